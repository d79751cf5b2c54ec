//! The response future shared by [`Timeout`](super::Timeout) and
//! [`Deadline`](super::Deadline): the inner future raced against a sleep.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::Sleep;

use super::error::{Elapsed, TimeoutKind};
use crate::types::BoxError;

pin_project! {
    /// Resolves to the inner response, or to [`Elapsed`] if the limit fires first.
    ///
    /// The inner future is polled before the timer, so a response that is
    /// ready at the same instant as the limit wins.
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        response: F,
        #[pin]
        sleep: Sleep,
        kind: TimeoutKind,
        after: Duration,
    }
}

impl<F> ResponseFuture<F> {
    pub(super) fn new(response: F, kind: TimeoutKind, after: Duration) -> Self {
        Self {
            response,
            // `tokio::time::sleep` saturates a too-large duration to "far
            // future" instead of overflowing, so any `Duration` is accepted.
            sleep: tokio::time::sleep(after),
            kind,
            after,
        }
    }
}

impl<F, T, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<T, E>>,
    E: Into<BoxError>,
{
    type Output = Result<T, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(result) = this.response.poll(cx) {
            return Poll::Ready(result.map_err(Into::into));
        }
        match this.sleep.poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Box::new(Elapsed::new(*this.kind, *this.after)))),
            Poll::Pending => Poll::Pending,
        }
    }
}
