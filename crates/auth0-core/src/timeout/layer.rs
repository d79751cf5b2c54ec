//! [`TimeoutLayer`] and [`DeadlineLayer`].

use std::time::Duration;

use tower_layer::Layer;

use super::service::{Deadline, Timeout};

/// Limits each attempt (one call of the inner service: request, response
/// headers and buffered body) to a fixed duration.
///
/// Place it *inside* the retry layer so that every attempt gets the full
/// limit; a fired limit is an [`Elapsed`](super::Elapsed) with
/// [`TimeoutKind::Attempt`](super::TimeoutKind::Attempt).
///
/// ```
/// use std::time::Duration;
/// use auth0_core::timeout::{Elapsed, TimeoutKind, TimeoutLayer};
/// use auth0_core::types::{BoxError, HttpRequest, HttpResponse};
/// use bytes::Bytes;
/// use tower::{service_fn, ServiceBuilder, ServiceExt};
///
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
/// # rt.block_on(async {
/// let slow = service_fn(|_req: HttpRequest| async {
///     tokio::time::sleep(Duration::from_secs(60)).await;
///     Ok::<_, BoxError>(HttpResponse::new(Bytes::new()))
/// });
/// let svc = ServiceBuilder::new()
///     .layer(TimeoutLayer::new(Duration::from_secs(10)))
///     .service(slow);
/// let err = svc.oneshot(HttpRequest::new(Bytes::new())).await.unwrap_err();
/// let elapsed = Elapsed::find(err.as_ref()).unwrap();
/// assert_eq!(elapsed.kind, TimeoutKind::Attempt);
/// assert_eq!(elapsed.after, Duration::from_secs(10));
/// # });
/// ```
#[derive(Debug, Clone, Copy)]
pub struct TimeoutLayer {
    after: Duration,
}

impl TimeoutLayer {
    /// A layer limiting each attempt to `after`.
    pub fn new(after: Duration) -> Self {
        Self { after }
    }

    /// The per-attempt limit.
    pub fn after(&self) -> Duration {
        self.after
    }
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = Timeout<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Timeout::new(inner, self.after)
    }
}

/// Limits the whole call — every retry, backoff and rate-limit wait below
/// it — to a fixed duration.
///
/// Place it *outermost*; a fired limit is an [`Elapsed`](super::Elapsed)
/// with [`TimeoutKind::Deadline`](super::TimeoutKind::Deadline), and the
/// work in progress below is dropped (cancelled).
///
/// ```
/// use std::time::Duration;
/// use auth0_core::retry::{RetryLayer, RetryPolicy};
/// use auth0_core::timeout::{DeadlineLayer, Elapsed};
/// use auth0_core::types::{BoxError, HttpRequest, HttpResponse};
/// use bytes::Bytes;
/// use tower::{service_fn, ServiceBuilder, ServiceExt};
///
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
/// # rt.block_on(async {
/// // Always busy: the retry layer would keep waiting, the deadline stops it.
/// let busy = service_fn(|_req: HttpRequest| async {
///     let mut res = HttpResponse::new(Bytes::new());
///     *res.status_mut() = http::StatusCode::TOO_MANY_REQUESTS;
///     res.headers_mut().insert("retry-after", "10".parse().unwrap());
///     Ok::<_, BoxError>(res)
/// });
/// let svc = ServiceBuilder::new()
///     .layer(DeadlineLayer::new(Duration::from_secs(15)))
///     .layer(RetryLayer::new(RetryPolicy::default()))
///     .service(busy);
/// let err = svc.oneshot(HttpRequest::new(Bytes::new())).await.unwrap_err();
/// assert!(Elapsed::find(err.as_ref()).unwrap().is_deadline());
/// # });
/// ```
#[derive(Debug, Clone, Copy)]
pub struct DeadlineLayer {
    after: Duration,
}

impl DeadlineLayer {
    /// A layer limiting each whole call to `after`.
    pub fn new(after: Duration) -> Self {
        Self { after }
    }

    /// The overall limit.
    pub fn after(&self) -> Duration {
        self.after
    }
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Deadline::new(inner, self.after)
    }
}
