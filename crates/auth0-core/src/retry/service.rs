//! The [`Retry`] service and its response future.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};
use tower_service::Service;

use super::policy::RetryPolicy;
use super::rebuild::{RebuildRequest, RetryAttempt};
use super::{Attempts, NoRateLimitRetry, RetryNonIdempotent};
use crate::rate_limit::{Permit, RateLimiter, report_wait};
use crate::secrets::Secrets;
use crate::timeout::{Elapsed, TimeoutKind};
use crate::trace::CallStats;
use crate::types::{BoxError, HttpRequest, HttpResponse, PolledAfterCompletion};

/// Retries calls of the inner service as its [`RetryPolicy`] allows.
/// Built by [`RetryLayer`](super::RetryLayer).
///
/// Each attempt sends a clone of the original request (method, URI,
/// version, headers, buffered body and extensions), with the parts a
/// [`RebuildRequest`] extension builds afresh for it; waits between attempts
/// use a [`tokio::time::Sleep`]. The first attempt is made when the service
/// is called. The final response carries [`Attempts`] in its extensions.
///
/// With [`RetryLayer::deadline`](super::RetryLayer::deadline) and
/// [`RetryLayer::attempt_timeout`](super::RetryLayer::attempt_timeout) the
/// service also enforces the limits a [`DeadlineLayer`](crate::timeout::DeadlineLayer)
/// outside it and a [`TimeoutLayer`](crate::timeout::TimeoutLayer) inside it
/// would, with the same errors, on one timer per call (the default stack
/// does this), and with [`RetryLayer::rate_limiter`](super::RetryLayer::rate_limiter)
/// takes a client-side limiter's permit before each attempt, as a
/// [`RateLimitLayer`](crate::rate_limit::RateLimitLayer) between the retry
/// layer and the attempt timeout would: the permit first, then the inner
/// service's readiness (so a call waiting for its turn holds nothing of
/// the service below — a concurrency limit's slot, a buffer's place), then
/// the attempt. Such a service is always ready itself.
#[derive(Debug, Clone)]
pub struct Retry<S> {
    inner: S,
    // Shared with every call's future: one reference count per call, not
    // one per shared part (budget, clock, jitter, limiter), and a smaller
    // future (each move of the stack's future is a copy).
    shared: Arc<Shared>,
}

/// What a [`Retry`] service and all its calls' futures share.
#[derive(Debug, Clone)]
struct Shared {
    policy: RetryPolicy,
    limits: TimeLimits,
    limiter: Option<RateLimiter>,
}

/// The time limits a [`Retry`] service enforces itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct TimeLimits {
    /// The whole call, waits included → `Elapsed { kind: Deadline }`.
    pub(super) deadline: Option<Duration>,
    /// Each attempt → `Elapsed { kind: Attempt }`, retried like a
    /// [`TimeoutLayer`](crate::timeout::TimeoutLayer)'s.
    pub(super) attempt: Option<Duration>,
}

impl<S> Retry<S> {
    /// Wraps `inner` with `policy`.
    pub fn new(inner: S, policy: RetryPolicy) -> Self {
        Self {
            inner,
            shared: Arc::new(Shared {
                policy,
                limits: TimeLimits::default(),
                limiter: None,
            }),
        }
    }

    pub(super) fn with_limits(self, limits: TimeLimits, limiter: Option<RateLimiter>) -> Self {
        let Shared { policy, .. } = Arc::unwrap_or_clone(self.shared);
        Self {
            inner: self.inner,
            shared: Arc::new(Shared {
                policy,
                limits,
                limiter,
            }),
        }
    }

    /// The client-side rate limiter this service takes a permit from
    /// before each attempt, if any.
    pub fn rate_limiter(&self) -> Option<&RateLimiter> {
        self.shared.limiter.as_ref()
    }

    /// The policy in use.
    pub fn policy(&self) -> &RetryPolicy {
        &self.shared.policy
    }

    /// The overall deadline this service enforces itself, if any.
    pub fn deadline(&self) -> Option<Duration> {
        self.shared.limits.deadline
    }

    /// The per-attempt timeout this service enforces itself, if any.
    pub fn attempt_timeout(&self) -> Option<Duration> {
        self.shared.limits.attempt
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
    S: Service<HttpRequest, Response = HttpResponse> + Clone,
    S::Error: Into<BoxError>,
{
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = ResponseFuture<S>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if self.shared.limiter.is_some() {
            // The call's future takes the limiter's permit, then drives the
            // inner service to readiness: nothing below is held meanwhile.
            return Poll::Ready(Ok(()));
        }
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: HttpRequest) -> Self::Future {
        // The instance that was driven to readiness (without a limiter)
        // makes the first attempt; a fresh clone stays behind for the next
        // call.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        ResponseFuture::start(inner, Arc::clone(&self.shared), req)
    }
}

pin_project! {
    /// The future returned by [`Retry`]: all attempts and the waits
    /// between them. A state machine over the inner service's future with
    /// at most one timer, which serves the deadline, the attempt timeout
    /// and the waits between attempts in turn (nothing is allocated per
    /// call).
    pub struct ResponseFuture<S: Service<HttpRequest>> {
        #[pin]
        state: State<S::Future>,
        // Armed for the earliest of: the end of this attempt, the end of
        // the wait, the call's deadline. `None` while nothing is timed.
        #[pin]
        timer: Option<Sleep>,
        svc: S,
        shared: Arc<Shared>,
        // The request every further attempt is copied from; `None` once
        // the last possible attempt took it.
        template: Option<Template>,
        opted_in: bool,
        caller_handles_429: bool,
        // Boxed: only a rebuilt request (client assertion, DPoP) has one.
        rebuild: Option<Box<Rebuilding>>,
        // The limiter's permit for the attempt under way, settled with its
        // outcome.
        permit: Option<Permit>,
        stats: Option<CallStats>,
        started: Instant,
        // `started + deadline`, when there is a deadline.
        deadline_at: Option<Instant>,
        retries: u32,
    }
}

/// A request whose parts are built afresh for each attempt.
struct Rebuilding {
    hook: RebuildRequest,
    // The headers of the last response, for the hook (`DPoP-Nonce`).
    previous: Option<http::HeaderMap>,
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        // Waiting for the rate limiter's permit for the next attempt (only
        // the deadline runs meanwhile); boxed, so a stack without a limiter
        // carries none of it. `None` only while moving on to `Readying`.
        Acquiring { wait: Option<Box<Acquire>> },
        // An attempt in flight.
        Calling { #[pin] future: F },
        // Waiting before the next attempt (until the timer fires).
        Waiting,
        // Driving the service to readiness for the next attempt, after the
        // limiter's permit when there is a limiter (`acquired`: what the
        // wait for it carried — the first attempt's request).
        Readying { acquired: Option<Box<Acquire>> },
        // The answer was returned.
        Done,
    }
}

/// An attempt waiting for a rate limiter's permit.
struct Acquire {
    permit: Pin<Box<dyn Future<Output = Permit> + Send>>,
    // The first attempt's request (later ones are built once the service
    // is ready).
    request: Option<HttpRequest>,
    since: Instant,
}

impl Acquire {
    fn state<F>(limiter: &RateLimiter, request: Option<HttpRequest>, since: Instant) -> State<F> {
        let limiter = limiter.clone();
        State::Acquiring {
            wait: Some(Box::new(Acquire {
                permit: Box::pin(async move { limiter.permit().await }),
                request,
                since,
            })),
        }
    }
}

/// `at + d`, or tokio's "far future" (30 years on) when that overflows, so
/// any `Duration` is accepted.
fn later(at: Instant, d: Duration) -> Instant {
    at.checked_add(d)
        .unwrap_or_else(|| at + Duration::from_secs(86_400 * 365 * 30))
}

/// True once `now` has reached the call's deadline, if it has one: no
/// attempt starts then.
fn past(deadline_at: Option<Instant>, now: Instant) -> bool {
    deadline_at.is_some_and(|d| now >= d)
}

/// The earlier of `a` and an optional `b`.
fn earliest(a: Instant, b: Option<Instant>) -> Instant {
    b.map_or(a, |b| a.min(b))
}

impl<S> ResponseFuture<S>
where
    S: Service<HttpRequest, Response = HttpResponse>,
    S::Error: Into<BoxError>,
{
    fn start(mut svc: S, shared: Arc<Shared>, req: HttpRequest) -> Self {
        let started = Instant::now();
        let (policy, limits) = (&shared.policy, &shared.limits);
        if let Some(budget) = policy.budget() {
            budget.deposit_at(started);
        }
        let extensions = req.extensions();
        let opted_in = extensions.get::<RetryNonIdempotent>().is_some();
        let caller_handles_429 = extensions.get::<NoRateLimitRetry>().is_some();
        let rebuild = extensions.get::<RebuildRequest>().map(|hook| {
            Box::new(Rebuilding {
                hook: hook.clone(),
                previous: None,
            })
        });
        let stats = extensions.get::<CallStats>().cloned();
        let deadline_at = limits.deadline.map(|d| later(started, d));
        // The first attempt is made at once, on the instance driven to
        // readiness by the caller, with the request itself; a copy stays
        // behind when more attempts may follow. (The request, not the copy,
        // goes first: a copied `HeaderMap` has no spare room, and the
        // layers below add headers — the transport its `Host` — which would
        // reallocate it on every call.)
        let template = (policy.max_retries() > 0).then(|| Template::of(&req));
        if let Some(stats) = &stats {
            stats.attempt();
        }
        // With a limiter the permit comes first, under the deadline alone.
        let timer_at = match shared.limiter {
            Some(_) => deadline_at,
            None => attempt_end(limits, started, deadline_at),
        };
        // One literal, the first attempt's future built in its field (each
        // move of it through a local or a tuple was a copy).
        Self {
            timer: timer_at.map(tokio::time::sleep_until),
            state: match &shared.limiter {
                Some(limiter) => Acquire::state(limiter, Some(req), started),
                None => State::Calling {
                    future: svc.call(req),
                },
            },
            svc,
            shared,
            template,
            opted_in,
            caller_handles_429,
            rebuild,
            permit: None,
            stats,
            started,
            deadline_at,
            retries: 0,
        }
    }
}

/// When an attempt starting `now` must end: its own limit or the call's
/// deadline, whichever comes first; `None` when neither is set.
fn attempt_end(limits: &TimeLimits, now: Instant, deadline_at: Option<Instant>) -> Option<Instant> {
    match limits.attempt {
        Some(attempt) => Some(earliest(later(now, attempt), deadline_at)),
        None => deadline_at,
    }
}

/// What a further attempt is built from: the request as the retry layer
/// got it. The header map is kept as its list of fields (one allocation,
/// not a copied map's two): the copy is made for every call and used only
/// by a retry, which rebuilds the map from it.
struct Template {
    method: http::Method,
    uri: http::Uri,
    version: http::Version,
    headers: Vec<(http::HeaderName, http::HeaderValue)>,
    extensions: http::Extensions,
    body: bytes::Bytes,
}

impl Template {
    fn of(req: &HttpRequest) -> Self {
        let mut headers = Vec::with_capacity(req.headers().len());
        for (name, value) in req.headers() {
            headers.push((name.clone(), value.clone()));
        }
        Self {
            method: req.method().clone(),
            uri: req.uri().clone(),
            version: req.version(),
            headers,
            extensions: req.extensions().clone(),
            body: req.body().clone(),
        }
    }

    /// The request again: every header value in its order (repeated
    /// names appended in turn).
    fn request(&self) -> HttpRequest {
        let mut req = HttpRequest::new(self.body.clone());
        *req.method_mut() = self.method.clone();
        *req.uri_mut() = self.uri.clone();
        *req.version_mut() = self.version;
        let headers = req.headers_mut();
        // The fields came out of a map, so they fit in one: the fallible
        // calls only keep a size error from being a panic. Room is left
        // for what the layers below add (the telemetry headers on the
        // default stack, the transport's `Host`), as the caller's map had.
        let _ = headers.try_reserve(self.headers.len() + ROOM_BELOW);
        for (name, value) in &self.headers {
            let _ = headers.try_append(name.clone(), value.clone());
        }
        *req.extensions_mut() = self.extensions.clone();
        req
    }
}

/// Header fields a rebuilt request has room for beyond its own: the
/// default stack's telemetry headers (`Auth0-Client`, `User-Agent`) and
/// the transport's `Host`, with one to spare.
const ROOM_BELOW: usize = 4;

/// The request for the next attempt, from the template (which is dropped
/// with the last one).
fn take_attempt(template: &mut Option<Template>, more_allowed: bool) -> HttpRequest {
    let req = template.as_ref().map(Template::request).unwrap_or_default();
    if !more_allowed {
        *template = None;
    }
    req
}

/// Points `timer` at `at` (a new timer the first time, then the same one
/// reset), or disarms it.
fn arm(mut timer: Pin<&mut Option<Sleep>>, at: Option<Instant>) {
    match (timer.as_mut().as_pin_mut(), at) {
        (Some(sleep), Some(at)) => sleep.reset(at),
        (None, Some(at)) => timer.set(Some(tokio::time::sleep_until(at))),
        (_, None) => timer.set(None),
    }
}

/// Polls the timer: `Ready(at)` with the instant it was set for once it
/// fired, `Pending` while it runs or when there is none.
fn poll_timer(timer: Pin<&mut Option<Sleep>>, cx: &mut Context<'_>) -> Poll<Instant> {
    match timer.as_pin_mut() {
        Some(mut sleep) => {
            ready!(sleep.as_mut().poll(cx));
            Poll::Ready(sleep.deadline())
        }
        None => Poll::Pending,
    }
}

impl<S> Future for ResponseFuture<S>
where
    S: Service<HttpRequest, Response = HttpResponse>,
    S::Error: Into<BoxError>,
{
    type Output = Result<HttpResponse, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        // The call's deadline, as a `DeadlineLayer` would report it.
        let deadline_error = |limits: &TimeLimits| -> BoxError {
            Box::new(Elapsed::new(
                TimeoutKind::Deadline,
                limits.deadline.unwrap_or_default(),
            ))
        };
        loop {
            let outcome = match this.state.as_mut().project() {
                StateProj::Acquiring { wait } => {
                    // Only the deadline is armed while waiting, and it is
                    // looked at first: a turn that comes at the deadline is
                    // not taken (nothing counted, nothing sent).
                    if poll_timer(this.timer.as_mut(), cx).is_ready() {
                        this.state.set(State::Done);
                        return Poll::Ready(Err(deadline_error(&this.shared.limits)));
                    }
                    let Some(acquire) = wait.as_mut() else {
                        this.state.set(State::Done);
                        return Poll::Ready(Err(Box::new(PolledAfterCompletion)));
                    };
                    let permit = ready!(acquire.permit.as_mut().poll(cx));
                    let now = Instant::now();
                    if past(*this.deadline_at, now) {
                        permit.unsent();
                        this.state.set(State::Done);
                        return Poll::Ready(Err(deadline_error(&this.shared.limits)));
                    }
                    report_wait(
                        now.saturating_duration_since(acquire.since),
                        this.stats.as_ref(),
                    );
                    // Then the service's readiness, still under the
                    // deadline alone.
                    *this.permit = Some(permit);
                    let acquired = wait.take();
                    this.state.set(State::Readying { acquired });
                    continue;
                }
                StateProj::Calling { future } => {
                    // The answer first: one ready at the same instant as a
                    // limit wins.
                    match future.poll(cx) {
                        Poll::Ready(outcome) => outcome.map_err(Into::into),
                        Poll::Pending => {
                            let fired = ready!(poll_timer(this.timer.as_mut(), cx));
                            if this.deadline_at.is_some_and(|d| fired >= d) {
                                this.state.set(State::Done);
                                // Sent, and no answer.
                                drop(this.permit.take());
                                return Poll::Ready(Err(deadline_error(&this.shared.limits)));
                            }
                            // The attempt's own limit: the attempt is
                            // dropped and its timeout goes to the policy
                            // like any other failure.
                            this.state.set(State::Done);
                            Err(Box::new(Elapsed::new(
                                TimeoutKind::Attempt,
                                this.shared.limits.attempt.unwrap_or_default(),
                            )) as BoxError)
                        }
                    }
                }
                StateProj::Waiting => {
                    let fired = ready!(poll_timer(this.timer.as_mut(), cx));
                    if this.deadline_at.is_some_and(|d| fired >= d) {
                        this.state.set(State::Done);
                        return Poll::Ready(Err(deadline_error(&this.shared.limits)));
                    }
                    *this.retries += 1;
                    // Only the deadline runs while the permit comes and the
                    // service gets ready.
                    arm(this.timer.as_mut(), *this.deadline_at);
                    match this.shared.limiter.as_ref() {
                        Some(limiter) => this.state.set(Acquire::state(limiter, None, fired)),
                        None => this.state.set(State::Readying { acquired: None }),
                    }
                    continue;
                }
                StateProj::Readying { acquired } => {
                    let failed = match this.svc.poll_ready(cx) {
                        // Ready only at (or past) the deadline: an attempt
                        // started now would be cut at once, after the
                        // request was handed over.
                        Poll::Ready(Ok(())) if past(*this.deadline_at, Instant::now()) => {
                            Some(deadline_error(&this.shared.limits))
                        }
                        Poll::Ready(Ok(())) => None,
                        Poll::Ready(Err(e)) => Some(e.into()),
                        Poll::Pending => {
                            ready!(poll_timer(this.timer.as_mut(), cx));
                            Some(deadline_error(&this.shared.limits))
                        }
                    };
                    if let Some(error) = failed {
                        if let Some(permit) = this.permit.take() {
                            permit.unsent();
                        }
                        this.state.set(State::Done);
                        return Poll::Ready(Err(error));
                    }
                    let first = acquired.as_mut().and_then(|a| a.request.take());
                    let req = match first {
                        Some(req) => req,
                        None => match next_attempt(
                            this.template,
                            this.rebuild,
                            *this.retries,
                            this.shared.policy.max_retries(),
                        ) {
                            Ok(req) => req,
                            Err(e) => {
                                if let Some(permit) = this.permit.take() {
                                    permit.unsent();
                                }
                                this.state.set(State::Done);
                                return Poll::Ready(Err(e));
                            }
                        },
                    };
                    if let Some(stats) = this.stats.as_ref().filter(|_| *this.retries > 0) {
                        stats.attempt();
                    }
                    if this.shared.limits.attempt.is_some() {
                        let end =
                            attempt_end(&this.shared.limits, Instant::now(), *this.deadline_at);
                        arm(this.timer.as_mut(), end);
                    }
                    let future = this.svc.call(req);
                    this.state.set(State::Calling { future });
                    continue;
                }
                StateProj::Done => {
                    return Poll::Ready(Err(Box::new(PolledAfterCompletion)));
                }
            };
            // An attempt ended with `outcome`: answer, or wait and go again.
            if let Some(permit) = this.permit.take() {
                // Adaptive mode learns from every answer, retried or not; a
                // failure drops the permit (sent, no answer).
                if let Ok(res) = &outcome {
                    permit.answered(res.status(), res.headers());
                }
            }
            let retries = *this.retries;
            let attempts = retries + 1;
            let more_allowed = retries < this.shared.policy.max_retries();
            let rate_limited =
                matches!(&outcome, Ok(res) if res.status() == http::StatusCode::TOO_MANY_REQUESTS);
            let decision = match (more_allowed, this.template.as_ref()) {
                (true, Some(template)) if !(*this.caller_handles_429 && rate_limited) => this
                    .shared
                    .policy
                    .decide(&template.method, *this.opted_in, &outcome, retries),
                _ => None,
            };
            let Some(decision) = decision else {
                this.state.set(State::Done);
                return Poll::Ready(finish(outcome, attempts, *this.started));
            };
            let wait_end = later(Instant::now(), decision.wait);
            // A wait that ends at or past the deadline leaves no time for
            // the retry: the call ends now with this answer (a 429 keeps
            // its `reset_at`), instead of sleeping until the deadline to
            // report only that it passed — as Google's API clients do when
            // the next delay would cross the deadline. Nothing is taken from
            // the budget.
            if past(*this.deadline_at, wait_end) {
                tracing::debug!(
                    target: "auth0",
                    attempts,
                    reason = %decision.reason,
                    wait_ms = u64::try_from(decision.wait.as_millis()).unwrap_or(u64::MAX),
                    "not retrying: the wait ends past the deadline"
                );
                this.state.set(State::Done);
                return Poll::Ready(finish(outcome, attempts, *this.started));
            }
            if let Some(budget) = this.shared.policy.budget()
                && !budget.try_withdraw()
            {
                tracing::debug!(
                    target: "auth0",
                    attempts,
                    reason = %decision.reason,
                    "retry budget exhausted; not retrying"
                );
                this.state.set(State::Done);
                return Poll::Ready(finish(outcome, attempts, *this.started));
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
            if let Some(stats) = this.stats.as_ref() {
                stats.retry_wait(decision.wait);
            }
            // Release the failed response (and any pooled connection) before
            // waiting; its headers stay for the next attempt's rebuild.
            this.state.set(State::Waiting);
            if let Some(rebuild) = this.rebuild.as_mut() {
                rebuild.previous = match outcome {
                    Ok(mut res) => Some(std::mem::take(res.headers_mut())),
                    Err(_) => None,
                };
            }
            arm(
                this.timer.as_mut(),
                Some(earliest(wait_end, *this.deadline_at)),
            );
        }
    }
}

impl<S: Service<HttpRequest>> fmt::Debug for ResponseFuture<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("retries", &self.retries)
            .finish_non_exhaustive()
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
        // A `Content-Length` the caller set was the first body's: sent with
        // another body it would cut that body short (or leave the server
        // waiting for bytes that never come). A length the hook built wins.
        let length = http::header::CONTENT_LENGTH;
        if req.headers().contains_key(&length) && !headers.contains_key(&length) {
            req.headers_mut()
                .insert(length, http::HeaderValue::from(body.len()));
        }
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

/// The request for retry number `retries` (of at most `max_retries`): the
/// template's copy, with the parts a [`RebuildRequest`] builds afresh for
/// it.
fn next_attempt(
    template: &mut Option<Template>,
    rebuild: &Option<Box<Rebuilding>>,
    retries: u32,
    max_retries: u32,
) -> Result<HttpRequest, BoxError> {
    let mut req = take_attempt(template, retries < max_retries);
    if let Some(rebuild) = rebuild.as_ref() {
        // A request that must not be replayed (a single-use client
        // assertion, RFC 7523 §3; a DPoP proof, RFC 9449 §11.1): build this
        // attempt's own parts.
        let attempt = RetryAttempt::new(retries + 1, rebuild.previous.as_ref());
        rebuild_parts(&mut req, &rebuild.hook, &attempt)?;
    }
    Ok(req)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn request_with(fields: &[(&'static str, &'static str)]) -> HttpRequest {
        let mut req = HttpRequest::new(bytes::Bytes::from_static(b"{}"));
        *req.method_mut() = http::Method::POST;
        *req.uri_mut() = http::Uri::from_static("https://tenant.auth0.com/api/v2/roles");
        for (name, value) in fields {
            req.headers_mut().append(
                http::HeaderName::from_static(name),
                http::HeaderValue::from_static(value),
            );
        }
        req
    }

    fn fields_of(req: &HttpRequest) -> Vec<(String, String)> {
        req.headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect()
    }

    #[test]
    fn template_replays_every_field_in_order() {
        // None, inline only, exactly inline, and past the inline slots,
        // with repeated names.
        let cases: [&[(&str, &str)]; 4] = [
            &[],
            &[
                ("authorization", "Bearer a"),
                ("accept", "application/json"),
            ],
            &[
                ("authorization", "Bearer a"),
                ("accept", "application/json"),
                ("content-type", "application/json"),
            ],
            &[
                ("authorization", "Bearer a"),
                ("x-a", "1"),
                ("accept", "application/json"),
                ("x-a", "2"),
                ("x-b", "3"),
                ("x-a", "4"),
            ],
        ];
        for fields in cases {
            let req = request_with(fields);
            let template = Template::of(&req);
            assert_eq!(template.headers.len(), req.headers().len());
            let again = template.request();
            assert_eq!(fields_of(&again), fields_of(&req));
            assert_eq!(again.method(), req.method());
            assert_eq!(again.uri(), req.uri());
            assert_eq!(again.body(), req.body());
        }
    }
}
