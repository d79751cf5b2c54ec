//! Time limits for the stack: one attempt ([`TimeoutLayer`]) and the whole
//! call ([`DeadlineLayer`]).
//!
//! Both fail with [`Elapsed`], whose [`TimeoutKind`] says which limit fired;
//! the transport raises the same type with [`TimeoutKind::Connect`] when
//! opening a connection takes too long. In the default stack the deadline
//! is outermost and the per-attempt timeout sits inside the retry layer:
//!
//! ```text
//! DeadlineLayer → RetryLayer → RateLimitLayer → TimeoutLayer → … → transport
//! ```

mod error;
mod future;
mod layer;
mod service;

pub use error::{Elapsed, TimeoutKind, is_timeout};
pub use future::ResponseFuture;
pub use layer::{DeadlineLayer, TimeoutLayer};
pub use service::{Deadline, Timeout};

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;
    use tokio::time::Instant;
    use tower::{ServiceBuilder, ServiceExt, service_fn};
    use tower_layer::Layer;

    use super::*;
    use crate::types::{BoxError, HttpRequest, HttpResponse};

    fn request() -> HttpRequest {
        HttpRequest::new(Bytes::new())
    }

    /// A service that answers after `delay` (virtual time).
    fn answers_after(
        delay: Duration,
    ) -> impl tower_service::Service<HttpRequest, Response = HttpResponse, Error = BoxError> + Clone
    {
        service_fn(move |_req: HttpRequest| async move {
            tokio::time::sleep(delay).await;
            Ok::<_, BoxError>(HttpResponse::new(Bytes::from_static(b"ok")))
        })
    }

    #[tokio::test(start_paused = true)]
    async fn attempt_timeout_fires_with_attempt_kind() {
        let start = Instant::now();
        let svc = ServiceBuilder::new()
            .layer(TimeoutLayer::new(Duration::from_secs(5)))
            .service(answers_after(Duration::from_secs(30)));
        let err = svc.oneshot(request()).await.unwrap_err();
        let elapsed = err.downcast_ref::<Elapsed>().unwrap();
        assert_eq!(elapsed.kind, TimeoutKind::Attempt);
        assert_eq!(elapsed.after, Duration::from_secs(5));
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_fires_with_deadline_kind() {
        let svc = ServiceBuilder::new()
            .layer(DeadlineLayer::new(Duration::from_secs(2)))
            .service(answers_after(Duration::from_secs(3)));
        let err = svc.oneshot(request()).await.unwrap_err();
        assert_eq!(
            *err.downcast_ref::<Elapsed>().unwrap(),
            Elapsed::new(TimeoutKind::Deadline, Duration::from_secs(2))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn fast_response_passes_through() {
        let svc = ServiceBuilder::new()
            .layer(DeadlineLayer::new(Duration::from_secs(10)))
            .layer(TimeoutLayer::new(Duration::from_secs(5)))
            .service(answers_after(Duration::from_secs(4)));
        let res = svc.oneshot(request()).await.unwrap();
        assert_eq!(res.body(), &Bytes::from_static(b"ok"));
    }

    #[tokio::test(start_paused = true)]
    async fn response_ready_at_the_limit_wins() {
        let svc =
            TimeoutLayer::new(Duration::from_secs(5)).layer(answers_after(Duration::from_secs(5)));
        assert!(svc.oneshot(request()).await.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn inner_error_is_passed_on_unchanged() {
        let failing = service_fn(|_req: HttpRequest| async {
            Err::<HttpResponse, _>(std::io::Error::other("connection reset"))
        });
        let svc = TimeoutLayer::new(Duration::from_secs(5)).layer(failing);
        let err = svc.oneshot(request()).await.unwrap_err();
        assert!(!is_timeout(err.as_ref()));
        assert!(err.downcast_ref::<std::io::Error>().is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn huge_limit_does_not_overflow() {
        let svc = ServiceBuilder::new()
            .layer(DeadlineLayer::new(Duration::MAX))
            .layer(TimeoutLayer::new(Duration::MAX))
            .service(answers_after(Duration::from_secs(1)));
        assert!(svc.oneshot(request()).await.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn zero_limit_fails_a_pending_call() {
        let svc = TimeoutLayer::new(Duration::ZERO).layer(answers_after(Duration::from_millis(1)));
        let err = svc.oneshot(request()).await.unwrap_err();
        assert!(Elapsed::find(err.as_ref()).unwrap().is_attempt());
    }
}
