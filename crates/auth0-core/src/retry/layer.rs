//! [`RetryLayer`].

use tower_layer::Layer;

use std::time::Duration;

use super::policy::RetryPolicy;
use super::service::{Retry, TimeLimits};
use crate::rate_limit::RateLimiter;

/// Wraps a service in [`Retry`] with a [`RetryPolicy`].
///
/// All services the layer builds share the policy's
/// [`RetryBudget`](super::RetryBudget).
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::sync::Arc;
/// use auth0_core::retry::{Attempts, RetryLayer, RetryPolicy};
/// use auth0_core::types::{BoxError, HttpRequest, HttpResponse};
/// use bytes::Bytes;
/// use http::StatusCode;
/// use tower::{service_fn, ServiceBuilder, ServiceExt};
///
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
/// # rt.block_on(async {
/// // Rate limited once, then fine.
/// let calls = Arc::new(AtomicU32::new(0));
/// let counter = calls.clone();
/// let api = service_fn(move |_req: HttpRequest| {
///     let n = counter.fetch_add(1, Ordering::SeqCst);
///     async move {
///         let mut res = HttpResponse::new(Bytes::new());
///         if n == 0 {
///             *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
///             res.headers_mut().insert("retry-after", "1".parse().unwrap());
///         }
///         Ok::<_, BoxError>(res)
///     }
/// });
/// let svc = ServiceBuilder::new()
///     .layer(RetryLayer::new(RetryPolicy::default()))
///     .service(api);
/// let res = svc.oneshot(HttpRequest::new(Bytes::new())).await.unwrap();
/// assert_eq!(res.status(), StatusCode::OK);
/// assert_eq!(res.extensions().get::<Attempts>(), Some(&Attempts(2)));
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct RetryLayer {
    policy: RetryPolicy,
    limits: TimeLimits,
    limiter: Option<RateLimiter>,
}

impl RetryLayer {
    /// A layer retrying as `policy` allows.
    pub fn new(policy: RetryPolicy) -> Self {
        Self {
            policy,
            limits: TimeLimits::default(),
            limiter: None,
        }
    }

    /// Also limits each whole call, retries and waits included, to
    /// `deadline`: the same limit and error (`Elapsed { kind: Deadline }`)
    /// as a [`DeadlineLayer`](crate::timeout::DeadlineLayer) wrapping this
    /// layer, on the timer the service already keeps for its waits (no
    /// second timer per call).
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth0_core::retry::{RetryLayer, RetryPolicy};
    /// use auth0_core::timeout::{Elapsed, TimeoutKind};
    /// use auth0_core::types::{BoxError, HttpRequest, HttpResponse};
    /// use tower::{service_fn, ServiceBuilder, ServiceExt};
    ///
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
    /// # rt.block_on(async {
    /// // An API that answers after a minute, attempts limited to 5 s, the call to 12 s.
    /// let slow = service_fn(|_req: HttpRequest| async {
    ///     tokio::time::sleep(Duration::from_secs(60)).await;
    ///     Ok::<_, BoxError>(HttpResponse::new(bytes::Bytes::new()))
    /// });
    /// let svc = ServiceBuilder::new()
    ///     .layer(
    ///         RetryLayer::new(RetryPolicy::default())
    ///             .deadline(Duration::from_secs(12))
    ///             .attempt_timeout(Duration::from_secs(5)),
    ///     )
    ///     .service(slow);
    /// let err = svc.oneshot(HttpRequest::new(bytes::Bytes::new())).await.unwrap_err();
    /// let elapsed = Elapsed::find(err.as_ref()).unwrap();
    /// assert_eq!(elapsed.kind(), TimeoutKind::Deadline);
    /// # });
    /// ```
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.limits.deadline = Some(deadline);
        self
    }

    /// Also limits each attempt to `timeout`: the same limit and error
    /// (`Elapsed { kind: Attempt }`, retried for idempotent requests) as a
    /// [`TimeoutLayer`](crate::timeout::TimeoutLayer) just inside this
    /// layer, on the same one timer as [`deadline`](Self::deadline).
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.limits.attempt = Some(timeout);
        self
    }

    /// Also takes a permit from `limiter` before each attempt, and gives
    /// it every answer's `x-ratelimit-*` headers (adaptive mode): what a
    /// [`RateLimitLayer`](crate::rate_limit::RateLimitLayer) just inside
    /// this layer does. The wait counts toward the
    /// [`deadline`](Self::deadline), not toward the
    /// [`attempt_timeout`](Self::attempt_timeout), which starts once the
    /// permit is taken — the same limits as `DeadlineLayer → RetryLayer →
    /// RateLimitLayer → TimeoutLayer`, on the one timer. The default stack
    /// uses this when the configuration has a
    /// [`rate_limiter`](crate::config::ClientConfigBuilder::rate_limiter).
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth0_core::rate_limit::RateLimiter;
    /// use auth0_core::retry::{RetryLayer, RetryPolicy};
    /// use auth0_core::types::{BoxError, HttpRequest, HttpResponse};
    /// use tower::{service_fn, ServiceBuilder, ServiceExt};
    ///
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
    /// # rt.block_on(async {
    /// let api = service_fn(|_req: HttpRequest| async {
    ///     Ok::<_, BoxError>(HttpResponse::new(bytes::Bytes::new()))
    /// });
    /// // One request per second, no burst.
    /// let limiter = RateLimiter::token_bucket(1, 1).unwrap();
    /// let svc = ServiceBuilder::new()
    ///     .layer(
    ///         RetryLayer::new(RetryPolicy::default())
    ///             .deadline(Duration::from_secs(30))
    ///             .attempt_timeout(Duration::from_secs(5))
    ///             .rate_limiter(limiter),
    ///     )
    ///     .service(api);
    /// let start = tokio::time::Instant::now();
    /// for _ in 0..3 {
    ///     svc.clone().oneshot(HttpRequest::new(bytes::Bytes::new())).await.unwrap();
    /// }
    /// assert_eq!(start.elapsed(), Duration::from_secs(2));
    /// # });
    /// ```
    pub fn rate_limiter(mut self, limiter: RateLimiter) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// The policy in use.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }
}

impl<S> Layer<S> for RetryLayer {
    type Service = Retry<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Retry::new(inner, self.policy.clone()).with_limits(self.limits, self.limiter.clone())
    }
}
