//! The Management API without `async` (feature `blocking`).
//!
//! [`ManagementClient`] wraps an async [`crate::ManagementClient`] (its
//! token cache, stack and custom domain) and an
//! [`auth0_core::blocking::Runtime`], the one background runtime thread of
//! the SDK's blocking clients (see there for the cost: one thread, one
//! cross-thread wake-up per I/O event). It has the same resource groups as
//! the async client — `auth0.users().roles().list(id, &params)` — generated
//! into `generated/blocking/` by `cargo xtask codegen`: every one of the
//! 452 operations, each method running the async method of the same name
//! to completion. Pagers are [`Pager`]s, an `Iterator` of items (and
//! [`Pager::next_page`] for whole pages). The curated helpers
//! (`users().list_by_email`, `connections().all()`), jobs
//! ([`ManagementClient::wait_for_job`], [`ManagementClient::export_users`])
//! and the logs' checkpoint pager are here too.
//!
//! A call made inside an async runtime fails with [`Error::Blocking`]
//! ([`BlockingError::InsideAsyncRuntime`]) instead of blocking it.
//!
//! ```no_run
//! use auth0_core::{Auth0Client, ClientConfig};
//! use auth0_management::api::RolesListParams;
//! use auth0_management::blocking::ManagementClient;
//! use auth0_management::token::ClientCredentials;
//!
//! let http = Auth0Client::new(ClientConfig::new("my-domain.us.auth0.com")?)?;
//! let client = auth0_management::ManagementClient::builder(http)
//!     .client_credentials(ClientCredentials::new("my-client-id", "my-client-secret"))
//!     .build()?;
//! let auth0 = ManagementClient::from_async(client)?;
//! let user = auth0.users().get("auth0|5f7c8ec7c33c6c004bbafe82", &Default::default())?;
//! println!("{:?}", user.email);
//! for role in auth0.roles().list_pager(RolesListParams::new().per_page(100)) {
//!     println!("{:?}", role?.name);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::future::Future;

use auth0_core::ApiResponse;
use auth0_core::blocking::{BlockingError, Runtime};
use auth0_core::stack::DefaultService;
use serde::de::DeserializeOwned;

use crate::client::ManagementService;
use crate::error::Error;
#[cfg(feature = "connections")]
use crate::generated::models::ConnectionForList;
#[cfg(feature = "logs")]
use crate::generated::models::Log;
#[cfg(feature = "users")]
use crate::generated::models::UserResponseSchema;
#[cfg(feature = "jobs")]
use crate::generated::models::{
    CreateExportUsersRequestContent, GetJobErrorResponseContent, GetJobResponseContent,
};
#[cfg(feature = "jobs")]
use crate::jobs::{ExportFormat, ExportedUser, JobError, JobWait};
#[cfg(feature = "logs")]
use crate::logs::LogCheckpoint;
use crate::pagination::Page;
use crate::request::ApiRequest;

pub use crate::generated::blocking::*;

/// The blocking Management API client: see the [module
/// documentation](self).
pub struct ManagementClient<S = DefaultService> {
    inner: crate::ManagementClient<S>,
    runtime: Runtime,
}

impl<S> Clone for ManagementClient<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            runtime: self.runtime.clone(),
        }
    }
}

impl<S> fmt::Debug for ManagementClient<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::ManagementClient")
            .field("client", &self.inner)
            .field("runtime", &self.runtime)
            .finish()
    }
}

impl<S> ManagementClient<S> {
    /// Wraps an async client (built with
    /// [`crate::ManagementClient::builder`]) with a runtime thread of its
    /// own.
    ///
    /// # Errors
    ///
    /// [`BlockingError::Start`] when the runtime thread cannot start.
    pub fn from_async(client: crate::ManagementClient<S>) -> Result<Self, BlockingError> {
        Ok(Self::with_runtime(client, &Runtime::new()?))
    }

    /// Wraps an async client on a shared [`Runtime`] (one thread for every
    /// blocking client built on it).
    pub fn with_runtime(client: crate::ManagementClient<S>, runtime: &Runtime) -> Self {
        Self {
            inner: client,
            runtime: runtime.clone(),
        }
    }

    /// The async client behind this one (same token cache and connections).
    pub fn as_async(&self) -> &crate::ManagementClient<S> {
        &self.inner
    }

    /// The runtime this client's calls run on.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Runs one call of the async client to completion.
    pub(crate) fn block_on<T, E: From<Error>>(
        &self,
        call: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        self.runtime
            .block_on(call)
            .map_err(|e| E::from(Error::from(e)))?
    }

    /// Wraps an async pager.
    pub(crate) fn pager<T>(&self, pager: crate::pagination::Pager<T, S>) -> Pager<T, S> {
        Pager {
            inner: pager,
            runtime: self.runtime.clone(),
            buffered: Vec::new().into_iter(),
            failed: false,
        }
    }
}

impl<S: ManagementService> ManagementClient<S> {
    /// Blocking form of [`crate::ManagementClient::execute`]: sends any
    /// request and decodes a JSON answer.
    ///
    /// # Errors
    ///
    /// As the async method; [`Error::Blocking`] inside an async runtime.
    pub fn execute<T: DeserializeOwned>(
        &self,
        request: ApiRequest,
    ) -> Result<ApiResponse<T>, Error> {
        self.block_on(self.inner.execute(request))
    }

    /// Blocking form of [`crate::ManagementClient::execute_empty`]: sends
    /// any request and ignores the body of the answer.
    ///
    /// # Errors
    ///
    /// As the async method; [`Error::Blocking`] inside an async runtime.
    pub fn execute_empty(&self, request: ApiRequest) -> Result<ApiResponse<()>, Error> {
        self.block_on(self.inner.execute_empty(request))
    }

    #[cfg(feature = "jobs")]
    /// Blocking form of [`crate::ManagementClient::wait_for_job`]: polls
    /// the job with backoff (the calling thread sleeps in between) until
    /// it completes, fails or the wait's deadline passes.
    ///
    /// # Errors
    ///
    /// As the async method; [`JobError::Api`] with [`Error::Blocking`]
    /// inside an async runtime.
    pub fn wait_for_job(
        &self,
        job_id: &str,
        wait: &JobWait,
    ) -> Result<GetJobResponseContent, JobError> {
        self.block_on(self.inner.wait_for_job(job_id, wait))
    }

    #[cfg(feature = "jobs")]
    /// Blocking form of [`crate::ManagementClient::job_import_errors`].
    ///
    /// # Errors
    ///
    /// As the async method; [`Error::Blocking`] inside an async runtime.
    pub fn job_import_errors(
        &self,
        job_id: &str,
    ) -> Result<Vec<GetJobErrorResponseContent>, Error> {
        self.block_on(self.inner.job_import_errors(job_id))
    }

    #[cfg(feature = "jobs")]
    /// Blocking form of [`crate::ManagementClient::export_users`]: starts a
    /// users export, waits for it and downloads the file.
    ///
    /// # Errors
    ///
    /// As the async method; [`JobError::Api`] with [`Error::Blocking`]
    /// inside an async runtime.
    pub fn export_users(
        &self,
        request: &CreateExportUsersRequestContent,
        wait: &JobWait,
    ) -> Result<UsersExport, JobError> {
        let export = self.block_on(self.inner.export_users(request, wait))?;
        Ok(self.export(export))
    }

    #[cfg(feature = "jobs")]
    /// Blocking form of [`crate::ManagementClient::download_users_export`].
    ///
    /// # Errors
    ///
    /// As the async method; [`JobError::Api`] with [`Error::Blocking`]
    /// inside an async runtime.
    pub fn download_users_export(
        &self,
        job: &GetJobResponseContent,
        max_bytes: usize,
    ) -> Result<UsersExport, JobError> {
        let export = self.block_on(self.inner.download_users_export(job, max_bytes))?;
        Ok(self.export(export))
    }

    #[cfg(feature = "jobs")]
    /// Wraps an async export download.
    fn export(&self, export: crate::jobs::UsersExport) -> UsersExport {
        UsersExport {
            inner: export,
            runtime: self.runtime.clone(),
            failed: false,
        }
    }

    #[cfg(feature = "logs")]
    /// Blocking form of [`crate::ManagementClient::logs_checkpoint_pager`]:
    /// the tenant logs by checkpoint, oldest first, resumable with
    /// [`Pager::cursor`].
    pub fn logs_checkpoint_pager(&self, checkpoint: LogCheckpoint) -> Pager<Log, S> {
        self.pager(self.inner.logs_checkpoint_pager(checkpoint))
    }
}

#[cfg(feature = "users")]
impl<S: ManagementService> Users<'_, S> {
    /// Blocking form of [`crate::api::Users::list_by_email`]: every user
    /// with this email address, all fields.
    ///
    /// # Errors
    ///
    /// As the async method; [`Error::Blocking`] inside an async runtime.
    pub fn list_by_email(self, email: &str) -> Result<Vec<UserResponseSchema>, Error> {
        self.client.block_on(self.run().list_by_email(email))
    }
}

#[cfg(feature = "connections")]
impl<S: ManagementService> Connections<'_, S> {
    /// Blocking form of [`crate::api::Connections::all`]: every connection,
    /// through checkpoint paging.
    ///
    /// # Errors
    ///
    /// As the async method; [`Error::Blocking`] inside an async runtime.
    pub fn all(self) -> Result<Vec<ConnectionForList>, Error> {
        self.client.block_on(self.run().all())
    }
}

#[cfg(feature = "jobs")]
/// A users export being downloaded (blocking form of
/// [`crate::jobs::UsersExport`]): an `Iterator` of users, decoded as the
/// file arrives, so memory stays bounded whatever the export's size. The
/// first problem ends the iteration after it is yielded.
pub struct UsersExport {
    inner: crate::jobs::UsersExport,
    runtime: Runtime,
    /// A call failed outside the export (inside an async runtime): the
    /// iteration ends there.
    failed: bool,
}

#[cfg(feature = "jobs")]
impl fmt::Debug for UsersExport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::UsersExport")
            .field("export", &self.inner)
            .finish()
    }
}

#[cfg(feature = "jobs")]
impl UsersExport {
    /// The file's format.
    pub fn format(&self) -> ExportFormat {
        self.inner.format()
    }

    /// The size of the file (compressed) when storage declared it.
    pub fn content_length(&self) -> Option<u64> {
        self.inner.content_length()
    }

    /// The async export behind this one.
    pub fn into_async(self) -> crate::jobs::UsersExport {
        self.inner
    }
}

#[cfg(feature = "jobs")]
impl Iterator for UsersExport {
    type Item = Result<ExportedUser, JobError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.runtime.block_on(self.inner.next_user()) {
            Ok(user) => user,
            Err(e) => {
                self.failed = true;
                Some(Err(JobError::Api(Error::from(e))))
            }
        }
    }
}

/// A blocking pager: an `Iterator` over the items of every page (fetching
/// the next page when the current one is used up), or whole pages with
/// [`Pager::next_page`]. The same walk as the async
/// [`Pager`](crate::pagination::Pager) — loop detection, the 1,000-result
/// window of offset paging — which it runs.
///
/// After an error the iterator ends (`None`); [`Pager::next_page`] may
/// be called again to retry the page that failed.
pub struct Pager<T, S = DefaultService> {
    inner: crate::pagination::Pager<T, S>,
    runtime: Runtime,
    buffered: std::vec::IntoIter<T>,
    /// The iterator returned an error: it ends there.
    failed: bool,
}

impl<T, S> fmt::Debug for Pager<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::Pager")
            .field("pager", &self.inner)
            .field("buffered", &self.buffered.len())
            .finish()
    }
}

impl<T: DeserializeOwned, S: ManagementService> Pager<T, S> {
    /// Fetches the next page, or `None` when there is none. Items already
    /// fetched for the iterator are not returned again.
    pub fn next_page(&mut self) -> Option<Result<Page<T>, Error>> {
        match self.runtime.block_on(self.inner.next_page()) {
            Ok(page) => page,
            Err(e) => Some(Err(e.into())),
        }
    }

    /// The checkpoint cursor of the next page (see
    /// [`crate::pagination::Pager::cursor`]), to resume a walk later.
    pub fn cursor(&self) -> Option<&str> {
        self.inner.cursor()
    }

    /// Fetches every remaining page and returns all items (those buffered
    /// by the iterator first), failing with [`Error::TooManyItems`] rather
    /// than holding more than `max_items`.
    ///
    /// # Errors
    ///
    /// The first failing page's error; [`Error::Blocking`] inside an async
    /// runtime.
    pub fn collect_all(mut self, max_items: usize) -> Result<Vec<T>, Error> {
        let mut all: Vec<T> = self.buffered.by_ref().collect();
        while let Some(page) = self.next_page() {
            all.extend(page?.items);
            if all.len() > max_items {
                return Err(Error::TooManyItems { cap: max_items });
            }
        }
        Ok(all)
    }
}

impl<T: DeserializeOwned, S: ManagementService> Iterator for Pager<T, S> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.buffered.next() {
                return Some(Ok(item));
            }
            if self.failed {
                return None;
            }
            match self.next_page()? {
                Ok(page) => self.buffered = page.items.into_iter(),
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}
