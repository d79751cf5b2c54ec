//! The [`RateLimit`] service and its response future.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tower_service::Service;

use super::limiter::RateLimiter;
use crate::trace::CallStats;
use crate::types::BoxError;

/// Waits for the [`RateLimiter`] before each call of the inner service and
/// feeds every response back to it (a [`Permit`](super::Permit) per call).
/// Built by [`RateLimitLayer`](super::RateLimitLayer).
///
/// The wait happens inside the returned future (not in `poll_ready`), so
/// an outer deadline covers it and dropping the future cancels it cleanly.
/// The inner service is driven to readiness there too, once the permit is
/// in: a call waiting for its turn holds nothing of the service below (a
/// concurrency limit's slot, a pooled connection, a buffer's place).
#[derive(Debug, Clone)]
pub struct RateLimit<S> {
    inner: S,
    limiter: RateLimiter,
}

impl<S> RateLimit<S> {
    /// Wraps `inner`, pacing calls with `limiter`.
    pub fn new(inner: S, limiter: RateLimiter) -> Self {
        Self { inner, limiter }
    }

    /// The limiter in use (shared with every clone).
    pub fn limiter(&self) -> &RateLimiter {
        &self.limiter
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, Req, B> Service<Req> for RateLimit<S>
where
    S: Service<Req, Response = http::Response<B>> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    Req: Send + 'static,
    B: Send + 'static,
{
    type Response = http::Response<B>;
    type Error = BoxError;
    type Future = ResponseFuture<http::Response<B>>;

    /// Always ready: the call's future waits for the permit, then for the
    /// inner service.
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Req) -> Self::Future {
        let mut inner = self.inner.clone();
        let limiter = self.limiter.clone();
        let stats = req_stats(&req);
        ResponseFuture {
            inner: Box::pin(async move {
                let started = tokio::time::Instant::now();
                let permit = Unsent(Some(limiter.permit().await));
                report_wait(started.elapsed(), stats.as_ref());
                std::future::poll_fn(|cx| inner.poll_ready(cx))
                    .await
                    .map_err(Into::into)?;
                let permit = permit.sent();
                let res = inner.call(req).await.map_err(Into::into);
                // A failure drops the permit: sent, and no answer.
                if let (Some(permit), Ok(res)) = (permit, &res) {
                    permit.answered(res.status(), res.headers());
                }
                res
            }),
        }
    }
}

/// A permit whose request has not been handed on yet: given back unsent
/// when dropped (the inner service failed to get ready, or the call was
/// dropped while it waited).
struct Unsent(Option<super::Permit>);

impl Unsent {
    fn sent(mut self) -> Option<super::Permit> {
        self.0.take()
    }
}

impl Drop for Unsent {
    fn drop(&mut self) {
        if let Some(permit) = self.0.take() {
            permit.unsent();
        }
    }
}

/// Waits shorter than this are scheduling noise, not rate limiting.
const REPORTED_WAIT: std::time::Duration = std::time::Duration::from_millis(1);

/// Reports a wait for the limiter of 1 ms or more: a DEBUG event (inside
/// the call's span) and the span's `auth0.rate_limit.wait_ms`. Shared by
/// this service and the retry layer's built-in limiter
/// ([`RetryLayer::rate_limiter`](crate::retry::RetryLayer::rate_limiter)).
pub(crate) fn report_wait(waited: std::time::Duration, stats: Option<&CallStats>) {
    if waited >= REPORTED_WAIT {
        tracing::debug!(
            target: "auth0",
            wait_ms = u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
            "waited for the client-side rate limiter"
        );
        if let Some(stats) = stats {
            stats.rate_limit_wait(waited);
        }
    }
}

/// The call's [`CallStats`] when the request is an `http::Request` that
/// carries them (the default stack's [`TraceLayer`](crate::trace::TraceLayer)
/// inserts them).
fn req_stats<Req: 'static>(req: &Req) -> Option<CallStats> {
    let any: &dyn std::any::Any = req;
    any.downcast_ref::<crate::types::HttpRequest>()
        .and_then(|r| r.extensions().get::<CallStats>().cloned())
}

/// The future returned by [`RateLimit`]: the wait for a slot, then the call.
pub struct ResponseFuture<T> {
    inner: Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send + 'static>>,
}

impl<T> Future for ResponseFuture<T> {
    type Output = Result<T, BoxError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl<T> fmt::Debug for ResponseFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
