//! The [`Timeout`] (one attempt) and [`Deadline`] (whole call) services.

use std::task::{Context, Poll};
use std::time::Duration;

use tower_service::Service;

use super::error::TimeoutKind;
use super::future::ResponseFuture;
use crate::types::BoxError;

/// Fails a single call of the inner service with
/// [`Elapsed { kind: Attempt, .. }`](super::Elapsed) when it takes longer
/// than the limit. Built by [`TimeoutLayer`](super::TimeoutLayer).
///
/// Bodies in this stack are buffered, so the limit covers sending the
/// request and reading the response headers *and* body.
#[derive(Debug, Clone)]
pub struct Timeout<S> {
    inner: S,
    after: Duration,
}

impl<S> Timeout<S> {
    /// Wraps `inner`, limiting each call to `after`.
    pub fn new(inner: S, after: Duration) -> Self {
        Self { inner, after }
    }

    /// The per-call limit.
    pub fn after(&self) -> Duration {
        self.after
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

impl<S, Req> Service<Req> for Timeout<S>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        ResponseFuture::new(self.inner.call(req), TimeoutKind::Attempt, self.after)
    }
}

/// Fails the whole call, including every retry and every wait inside the
/// inner stack, with [`Elapsed { kind: Deadline, .. }`](super::Elapsed) when
/// it takes longer than the limit. Built by [`DeadlineLayer`](super::DeadlineLayer).
#[derive(Debug, Clone)]
pub struct Deadline<S> {
    inner: S,
    after: Duration,
}

impl<S> Deadline<S> {
    /// Wraps `inner`, limiting each whole call to `after`.
    pub fn new(inner: S, after: Duration) -> Self {
        Self { inner, after }
    }

    /// The overall limit.
    pub fn after(&self) -> Duration {
        self.after
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

impl<S, Req> Service<Req> for Deadline<S>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        ResponseFuture::new(self.inner.call(req), TimeoutKind::Deadline, self.after)
    }
}
