//! [`RetryLayer`].

use tower_layer::Layer;

use super::policy::RetryPolicy;
use super::service::Retry;

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
}

impl RetryLayer {
    /// A layer retrying as `policy` allows.
    pub fn new(policy: RetryPolicy) -> Self {
        Self { policy }
    }

    /// The policy in use.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }
}

impl<S> Layer<S> for RetryLayer {
    type Service = Retry<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Retry::new(inner, self.policy.clone())
    }
}
