//! [`Fleet`]: one Redis connection shared by this instance's fleet-mode
//! pieces, with short timeouts and a fallback state.
//!
//! Every Redis call goes through [`Fleet::run`]: it fails fast (an operation
//! timeout, a connect timeout) and, after a failure, leaves Redis alone for
//! a retry interval so callers go on with local behaviour without paying a
//! timeout each. The first success after that switches back to shared mode.
//! Both transitions are `tracing` events (target `auth0_redis`) and
//! [`Fleet::status`] tells which mode is in force.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use tokio::time::Instant;

use crate::error::FleetError;

/// Whether this instance currently shares state through Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FleetStatus {
    /// Redis answered the last call: the token and the rate budget are
    /// shared with the fleet.
    Shared,
    /// Redis failed or was too slow: this instance uses its own token
    /// source and its own limiter until Redis answers again.
    Local,
}

/// A handle to the fleet's Redis: cheap to clone (clones share the
/// connection and the status).
///
/// ```no_run
/// use auth0_redis::Fleet;
/// let fleet = Fleet::builder("redis://127.0.0.1:6379/").build()?;
/// # Ok::<_, auth0_redis::FleetError>(())
/// ```
#[derive(Clone)]
pub struct Fleet {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    conn: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    prefix: String,
    op_timeout: Duration,
    retry_interval: Duration,
    /// When the last failure happened, while in local mode.
    down_since: Mutex<Option<Instant>>,
    local: AtomicBool,
    failures: AtomicU64,
}

impl fmt::Debug for Fleet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry a password: only the key prefix is shown.
        f.debug_struct("Fleet")
            .field("prefix", &self.inner.prefix)
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

/// Settings of a [`Fleet`]; see [`Fleet::builder`].
#[derive(Clone)]
pub struct FleetBuilder {
    url: String,
    prefix: String,
    op_timeout: Duration,
    retry_interval: Duration,
}

impl fmt::Debug for FleetBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the URL: it may carry a password.
        f.debug_struct("FleetBuilder")
            .field("prefix", &self.prefix)
            .field("op_timeout", &self.op_timeout)
            .field("retry_interval", &self.retry_interval)
            .finish_non_exhaustive()
    }
}

impl FleetBuilder {
    /// The prefix of every key this crate writes (default `auth0`): one
    /// Redis can serve several unrelated fleets.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long one Redis call (connecting included) may take before this
    /// instance falls back to local behaviour (default 250 ms).
    pub fn op_timeout(mut self, timeout: Duration) -> Self {
        self.op_timeout = timeout;
        self
    }

    /// After a failure, how long Redis is left alone before it is tried
    /// again (default 1 s; zero tries on every call).
    pub fn retry_interval(mut self, interval: Duration) -> Self {
        self.retry_interval = interval;
        self
    }

    /// Checks the settings. Connects lazily: a Redis that is down now only
    /// means local mode until it is up.
    pub fn build(self) -> Result<Fleet, FleetError> {
        if self.prefix.is_empty() {
            return Err(FleetError::EmptyPrefix);
        }
        if self.op_timeout.is_zero() {
            return Err(FleetError::ZeroTimeout);
        }
        // redis-rs' error text may quote the URL (and its password): only
        // the kind is kept.
        let client =
            redis::Client::open(self.url.as_str()).map_err(|e| FleetError::InvalidUrl {
                kind: format!("{:?}", e.kind()),
            })?;
        Ok(Fleet {
            inner: Arc::new(Inner {
                client,
                conn: tokio::sync::Mutex::new(None),
                prefix: self.prefix,
                op_timeout: self.op_timeout,
                retry_interval: self.retry_interval,
                down_since: Mutex::new(None),
                local: AtomicBool::new(false),
                failures: AtomicU64::new(0),
            }),
        })
    }
}

impl Fleet {
    /// A fleet on the Redis at `url` (`redis://[:password@]host:port/[db]`).
    pub fn builder(url: impl Into<String>) -> FleetBuilder {
        FleetBuilder {
            url: url.into(),
            prefix: "auth0".to_owned(),
            op_timeout: Duration::from_millis(250),
            retry_interval: Duration::from_secs(1),
        }
    }

    /// Shared or local, as of the last Redis call.
    pub fn status(&self) -> FleetStatus {
        if self.inner.local.load(Ordering::Acquire) {
            FleetStatus::Local
        } else {
            FleetStatus::Shared
        }
    }

    /// Redis calls that failed or timed out so far.
    pub fn failures(&self) -> u64 {
        self.inner.failures.load(Ordering::Relaxed)
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// Runs `op` on a connection within the operation timeout. `None`
    /// means "Redis is unavailable: do the local thing".
    pub(crate) async fn run<T, F, Fut>(&self, what: &'static str, op: F) -> Option<T>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        if self.resting() {
            return None;
        }
        self.run_now(what, op).await
    }

    /// [`run`](Self::run), also while a recent failure keeps this instance
    /// off Redis: for the one call worth a try whatever happened just
    /// before — giving back a lock the rest of the fleet waits for.
    pub(crate) async fn run_now<T, F, Fut>(&self, what: &'static str, op: F) -> Option<T>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let inner = &self.inner;
        let attempt = async {
            let conn = self.connection().await?;
            op(conn).await
        };
        match tokio::time::timeout(inner.op_timeout, attempt).await {
            Ok(Ok(value)) => {
                self.mark_up();
                Some(value)
            }
            Ok(Err(e)) => {
                self.mark_down(what, &format!("{:?}", e.kind()));
                None
            }
            Err(_) => {
                self.mark_down(what, "timeout");
                None
            }
        }
    }

    /// True while a recent failure keeps this instance off Redis.
    fn resting(&self) -> bool {
        let since = *self
            .inner
            .down_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        since.is_some_and(|t| t.elapsed() < self.inner.retry_interval)
    }

    async fn connection(&self) -> redis::RedisResult<MultiplexedConnection> {
        let mut slot = self.inner.conn.lock().await;
        if let Some(conn) = slot.as_ref() {
            return Ok(conn.clone());
        }
        // redis-rs bounds connecting (1 s) and every answer (500 ms) by
        // default: `op_timeout` is the one bound (a larger one set by the
        // user would otherwise be cut at half a second).
        let bound = Some(self.inner.op_timeout);
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(bound)
            .set_response_timeout(bound);
        let conn = self
            .inner
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        *slot = Some(conn.clone());
        Ok(conn)
    }

    fn mark_up(&self) {
        *self
            .inner
            .down_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
        if self.inner.local.swap(false, Ordering::AcqRel) {
            tracing::info!(
                target: "auth0_redis",
                prefix = %self.inner.prefix,
                "Redis is back: fleet mode shares the token and rate budget again"
            );
        }
    }

    fn mark_down(&self, what: &'static str, reason: &str) {
        self.inner.failures.fetch_add(1, Ordering::Relaxed);
        *self
            .inner
            .down_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
        // A broken connection is replaced on the next attempt. try_lock: a
        // caller connecting right now will find out by itself.
        if let Ok(mut slot) = self.inner.conn.try_lock() {
            *slot = None;
        }
        if !self.inner.local.swap(true, Ordering::AcqRel) {
            tracing::warn!(
                target: "auth0_redis",
                prefix = %self.inner.prefix,
                operation = what,
                reason,
                "Redis unavailable: falling back to the local token source and limiter"
            );
        }
    }
}
