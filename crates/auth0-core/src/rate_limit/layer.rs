//! [`RateLimitLayer`].

use tower_layer::Layer;

use super::limiter::RateLimiter;
use super::service::RateLimit;

/// Wraps a service in [`RateLimit`], pacing its calls with a
/// [`RateLimiter`]. Every service the layer builds shares the limiter.
///
/// ```
/// use std::time::Duration;
/// use auth0_core::rate_limit::{RateLimitLayer, RateLimiter};
/// use auth0_core::types::{BoxError, HttpRequest, HttpResponse};
/// use bytes::Bytes;
/// use tokio::time::Instant;
/// use tower::{service_fn, ServiceBuilder, ServiceExt};
///
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
/// # rt.block_on(async {
/// let limiter = RateLimiter::token_bucket(2, 1).unwrap(); // one request every 500 ms
/// let svc = ServiceBuilder::new()
///     .layer(RateLimitLayer::new(limiter))
///     .service(service_fn(|_req: HttpRequest| async {
///         Ok::<_, BoxError>(HttpResponse::new(Bytes::new()))
///     }));
/// let start = Instant::now();
/// for _ in 0..3 {
///     svc.clone().oneshot(HttpRequest::new(Bytes::new())).await.unwrap();
/// }
/// assert_eq!(start.elapsed(), Duration::from_secs(1));
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct RateLimitLayer {
    limiter: RateLimiter,
}

impl RateLimitLayer {
    /// A layer pacing calls with `limiter`.
    pub fn new(limiter: RateLimiter) -> Self {
        Self { limiter }
    }

    /// The limiter in use.
    pub fn limiter(&self) -> &RateLimiter {
        &self.limiter
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimit::new(inner, self.limiter.clone())
    }
}
