//! Reading the tenant logs by checkpoint: every log newer than a `log_id`,
//! in `log_id` order, without the 1,000-result window of search paging.
//!
//! Auth0 recommends this way for exporting logs (*Retrieve Logs Using the
//! Management API*, "Retrieve logs by checkpoint"): `GET /api/v2/logs?from=
//! <log_id>&take=N` answers a bare array of up to `N` logs newer than
//! `from` and a `Link: <…>; rel="next"` header naming the next `from`; once
//! nothing is newer it answers `[]`. Any other parameter (`q`, `sort`, …) is
//! ignored. [`ManagementClient::logs_checkpoint_pager`] walks that, and its
//! [`Pager::cursor`] is the checkpoint to store and resume from.

use crate::client::{ManagementClient, ManagementService};
use crate::generated::models::Log;
use crate::pagination::Pager;
use crate::request::{ApiPath, ApiRequest};

/// Where a log checkpoint walk starts and how many logs each request asks
/// for (`take`, 1..=100, default 100).
///
/// ```
/// use auth0_management::logs::LogCheckpoint;
///
/// let resume = LogCheckpoint::after("90020261206034711585000000000000000000000000000000000001").take(50);
/// assert_eq!(resume.from(), Some("90020261206034711585000000000000000000000000000000000001"));
/// assert_eq!(LogCheckpoint::oldest().from(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct LogCheckpoint {
    from: Option<String>,
    take: u32,
}

/// Auth0's largest `take`.
const MAX_TAKE: u32 = 100;

impl LogCheckpoint {
    /// The logs newer than `log_id` (a checkpoint saved from an earlier
    /// walk's [`Pager::cursor`], or any log's `log_id`).
    pub fn after(log_id: impl Into<String>) -> Self {
        Self {
            from: Some(log_id.into()),
            take: MAX_TAKE,
        }
    }

    /// Without a checkpoint: the first request sends only `take`, and the
    /// walk goes on from the logs Auth0 answers with. Prefer
    /// [`LogCheckpoint::after`] with a stored checkpoint for exports.
    pub fn oldest() -> Self {
        Self {
            from: None,
            take: MAX_TAKE,
        }
    }

    /// Logs per request, clamped to 1..=100.
    pub fn take(mut self, take: u32) -> Self {
        self.take = take.clamp(1, MAX_TAKE);
        self
    }

    /// The checkpoint the walk starts after.
    pub fn from(&self) -> Option<&str> {
        self.from.as_deref()
    }
}

impl<S: ManagementService> ManagementClient<S> {
    /// Walks the tenant logs by checkpoint (`GET /api/v2/logs` with
    /// `from`/`take`; needs `read:logs`): a [`Pager`] of typed [`Log`]s in
    /// `log_id` order that follows the `Link: rel="next"` cursor (or the
    /// last log's `log_id`) and ends at the first empty page. It has no
    /// result window, unlike the offset `auth0.logs().list_pager(…)`, whose
    /// walk stops at 1,000 results with [`Error::ResultWindow`](crate::Error::ResultWindow) naming
    /// this method.
    ///
    /// After the walk, [`Pager::cursor`] is the checkpoint to store: a
    /// later walk from [`LogCheckpoint::after`] it reads only newer logs.
    ///
    /// ```no_run
    /// use auth0_management::logs::LogCheckpoint;
    /// use futures_util::TryStreamExt;
    /// # async fn f(auth0: auth0_management::ManagementClient, saved: String) -> Result<(), auth0_management::Error> {
    /// let mut pager = auth0.logs_checkpoint_pager(LogCheckpoint::after(saved));
    /// while let Some(page) = pager.next_page().await {
    ///     for log in page?.items {
    ///         println!("{:?} {:?} {:?}", log.log_id, log.type_, log.description);
    ///     }
    /// }
    /// let checkpoint = pager.cursor().map(str::to_owned); // store it for next time
    /// # let _ = checkpoint;
    /// // Or as a stream of logs:
    /// let failed_logins: Vec<_> = auth0
    ///     .logs_checkpoint_pager(LogCheckpoint::oldest())
    ///     .into_stream()
    ///     .try_filter(|log| std::future::ready(log.type_.as_deref() == Some("f")))
    ///     .try_collect()
    ///     .await?;
    /// # let _ = failed_logins;
    /// # Ok(()) }
    /// ```
    pub fn logs_checkpoint_pager(&self, checkpoint: LogCheckpoint) -> Pager<Log, S> {
        Pager::checkpoint_by_item(
            self.clone(),
            ApiRequest::get(ApiPath::new("logs")),
            checkpoint.from,
            checkpoint.take,
            "log_id",
        )
    }
}
