//! The [`Retry`] service and its response future.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tower::ServiceExt;
use tower_service::Service;

use super::policy::RetryPolicy;
use super::rebuild::{RebuildRequest, RetryAttempt};
use super::{Attempts, NoRateLimitRetry, RetryNonIdempotent};
use crate::secrets::Secrets;
use crate::timeout::Elapsed;
use crate::trace::CallStats;
use crate::types::{BoxError, HttpRequest, HttpResponse};

/// Retries calls of the inner service as its [`RetryPolicy`] allows.
/// Built by [`RetryLayer`](super::RetryLayer).
///
/// Each attempt sends a clone of the original request (method, URI,
/// version, headers, buffered body and extensions), with the parts a
/// [`RebuildRequest`] extension builds afresh for it; waits between attempts
/// use [`tokio::time::sleep`]. The final response carries
/// [`Attempts`] in its extensions.
#[derive(Debug, Clone)]
pub struct Retry<S> {
    inner: S,
    policy: RetryPolicy,
}

impl<S> Retry<S> {
    /// Wraps `inner` with `policy`.
    pub fn new(inner: S, policy: RetryPolicy) -> Self {
        Self { inner, policy }
    }

    /// The policy in use.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
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

impl<S> Service<HttpRequest> for Retry<S>
where
    S: Service<HttpRequest, Response = HttpResponse> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: HttpRequest) -> Self::Future {
        // The instance that was driven to readiness makes the first attempt;
        // a fresh clone stays behind for the next call.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        ResponseFuture {
            inner: Box::pin(run(inner, self.policy.clone(), req)),
        }
    }
}

/// The future returned by [`Retry`]: all attempts and the waits between them.
pub struct ResponseFuture {
    inner: Pin<Box<dyn Future<Output = Result<HttpResponse, BoxError>> + Send + 'static>>,
}

impl Future for ResponseFuture {
    type Output = Result<HttpResponse, BoxError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

async fn run<S>(
    mut svc: S,
    policy: RetryPolicy,
    mut template: HttpRequest,
) -> Result<HttpResponse, BoxError>
where
    S: Service<HttpRequest, Response = HttpResponse>,
    S::Error: Into<BoxError>,
{
    if let Some(budget) = policy.budget() {
        budget.deposit();
    }
    let method = template.method().clone();
    let opted_in = template.extensions().get::<RetryNonIdempotent>().is_some();
    let caller_handles_429 = template.extensions().get::<NoRateLimitRetry>().is_some();
    let rebuild = template.extensions().get::<RebuildRequest>().cloned();
    let stats = template.extensions().get::<CallStats>().cloned();
    let started = tokio::time::Instant::now();
    let mut retries: u32 = 0;
    // The headers of the last response, for a rebuild hook (`DPoP-Nonce`).
    let mut previous: Option<http::HeaderMap> = None;
    loop {
        let more_allowed = retries < policy.max_retries();
        // The last possible attempt takes the original instead of a copy.
        let mut req = if more_allowed {
            template.clone()
        } else {
            std::mem::take(&mut template)
        };
        if let (Some(rebuild), true) = (&rebuild, retries > 0) {
            // A request that must not be replayed (a single-use client
            // assertion, RFC 7523 §3; a DPoP proof, RFC 9449 §11.1): build
            // this attempt's own parts.
            let attempt = RetryAttempt::new(retries + 1, previous.as_ref());
            rebuild_parts(&mut req, rebuild, &attempt)?;
        }
        if retries > 0 {
            svc.ready().await.map_err(Into::into)?;
        }
        if let Some(stats) = &stats {
            stats.attempt();
        }
        let outcome = svc.call(req).await.map_err(Into::into);
        let attempts = retries + 1;
        let rate_limited =
            matches!(&outcome, Ok(res) if res.status() == http::StatusCode::TOO_MANY_REQUESTS);
        if !more_allowed || (caller_handles_429 && rate_limited) {
            return finish(outcome, attempts, started);
        }
        let Some(decision) = policy.decide(&method, opted_in, &outcome, retries) else {
            return finish(outcome, attempts, started);
        };
        if let Some(budget) = policy.budget() {
            if !budget.try_withdraw() {
                tracing::debug!(
                    target: "auth0",
                    attempts,
                    reason = %decision.reason,
                    "retry budget exhausted; not retrying"
                );
                return finish(outcome, attempts, started);
            }
        }
        // Inside the call's `auth0.request` span (trace.rs), which names
        // the method and the path template; the path itself may hold ids.
        tracing::debug!(
            target: "auth0",
            attempt = attempts,
            reason = %decision.reason,
            wait_ms = u64::try_from(decision.wait.as_millis()).unwrap_or(u64::MAX),
            "retrying request"
        );
        if let Some(stats) = &stats {
            stats.retry_wait(decision.wait);
        }
        // Release the failed response (and any pooled connection) before
        // waiting; its headers stay for the next attempt's rebuild.
        previous = match outcome {
            Ok(mut res) if rebuild.is_some() => Some(std::mem::take(res.headers_mut())),
            _ => None,
        };
        tokio::time::sleep(decision.wait).await;
        retries += 1;
    }
}

/// Puts what `rebuild` builds for `attempt` into `req`, recording it in
/// the request's [`Secrets`].
fn rebuild_parts(
    req: &mut HttpRequest,
    rebuild: &RebuildRequest,
    attempt: &RetryAttempt<'_>,
) -> Result<(), BoxError> {
    let (body, headers) = rebuild.build(attempt)?.into_parts();
    if let Some(secrets) = req.extensions().get::<Secrets>() {
        if let Some(body) = &body {
            secrets.record_body(body);
        }
        secrets.record_headers(&headers);
    }
    if let Some(body) = body {
        *req.body_mut() = body;
    }
    for name in headers.keys() {
        req.headers_mut().remove(name);
    }
    let mut last = None;
    for (name, value) in headers {
        if let Some(name) = name {
            last = Some(name);
        }
        if let Some(name) = &last {
            req.headers_mut().append(name.clone(), value);
        }
    }
    Ok(())
}

/// The call's answer: a response carries its [`Attempts`]; a timeout that
/// ends a call of several attempts says how many and how long it ran.
fn finish(
    outcome: Result<HttpResponse, BoxError>,
    attempts: u32,
    started: tokio::time::Instant,
) -> Result<HttpResponse, BoxError> {
    match outcome {
        Ok(mut res) => {
            res.extensions_mut().insert(Attempts(attempts));
            Ok(res)
        }
        Err(error) if attempts > 1 => match Elapsed::find(error.as_ref()) {
            Some(elapsed) => Err(Box::new(
                elapsed.after_attempts(attempts, started.elapsed()),
            )),
            None => Err(error),
        },
        Err(error) => Err(error),
    }
}
