//! Tracing: one span per SDK call, with OpenTelemetry's HTTP client
//! field names.
//!
//! [`TraceLayer`] is the outermost layer of the default stack
//! ([`stack`](crate::stack)), so its span covers the whole call — every
//! attempt, every wait — and the events the retry and rate-limit layers emit
//! are inside it. The span is `auth0.request` (target `auth0`, level
//! `INFO`) with these fields (the [OpenTelemetry HTTP client semantic
//! conventions] where one exists):
//!
//! | field | value |
//! |---|---|
//! | `otel.name` | `{METHOD} {url.template}`, or `{METHOD}` when the template is unknown |
//! | `otel.kind` | `client` |
//! | `http.request.method` | `GET`, `POST`, … |
//! | `url.template` | the path template of the API operation (`/api/v2/users/{id}`), when the API crate set an [`Operation`] |
//! | `auth0.operation` | the operation's name (`get_user`, `oauth_token`), likewise |
//! | `server.address`, `server.port` | the tenant's host and port |
//! | `url.path` | the actual path — only with [`TraceLayer::record_path`] (it holds ids and e-mail addresses) |
//! | `http.response.status_code` | the final status |
//! | `http.request.resend_count` | attempts after the first (retries), when there were any |
//! | `auth0.retry.wait_ms` | time spent waiting between attempts (backoff, `Retry-After`) |
//! | `auth0.rate_limit.wait_ms` | time spent waiting for the client-side rate limiter |
//! | `auth0.rate_limit.remaining` | the final answer's `x-ratelimit-remaining` |
//! | `error.type` | the status code for a 4xx/5xx, `timeout` / `connect_timeout` / `deadline` / `transport` for a failure |
//! | `otel.status_code` | `ERROR` when `error.type` is set |
//!
//! Never recorded: headers (`Authorization` included), bodies, the query
//! string, and — unless asked — the path.
//!
//! [OpenTelemetry HTTP client semantic conventions]: https://opentelemetry.io/docs/specs/semconv/http/http-spans/

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;
use tracing::field::Empty;

use crate::headers::RateLimitInfo;
use crate::timeout::{Elapsed, TimeoutKind};
use crate::types::{BoxError, HttpRequest, HttpResponse};

/// The API operation a request performs: a request extension the API
/// crates set so the span names it by its template, never by its ids.
///
/// ```
/// use auth0_core::trace::Operation;
/// let mut req = http::Request::new(bytes::Bytes::new());
/// req.extensions_mut().insert(Operation::new("get_user", "/api/v2/users/{id}"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operation {
    name: &'static str,
    path_template: &'static str,
}

impl Operation {
    /// An operation `name` on `path_template` (`/api/v2/users/{id}`).
    pub const fn new(name: &'static str, path_template: &'static str) -> Self {
        Self {
            name,
            path_template,
        }
    }

    /// The operation's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The path template.
    pub fn path_template(&self) -> &'static str {
        self.path_template
    }
}

thread_local! {
    /// The [`Operation`] of the call [`Auth0Client::send_operation`](crate::client::Auth0Client::send_operation)
    /// is starting on this thread, while it calls the default stack (whose
    /// outermost layer, [`Trace`], runs within that call): the span names
    /// it without an extension map on the request. `None` otherwise.
    static CALLING: Cell<Option<Operation>> = const { Cell::new(None) };
}

/// Runs `call` (the call of the default stack) with `operation` readable
/// by [`Trace::call`] on this thread, and clears it after.
pub(crate) fn calling<R>(operation: Option<Operation>, call: impl FnOnce() -> R) -> R {
    /// Puts the previous value back, also if `call` panics (a later call
    /// on this thread must not see this one's operation).
    struct Restore(Option<Operation>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CALLING.set(self.0);
        }
    }
    if operation.is_none() {
        return call();
    }
    let _restore = Restore(CALLING.replace(operation));
    call()
}

/// Waits and attempts of one call, shared by the attempts of a request
/// (a request extension the [`TraceLayer`] inserts; the retry and
/// rate-limit layers add to it).
#[derive(Debug, Clone, Default)]
pub struct CallStats {
    inner: Arc<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    attempts: AtomicU64,
    retry_wait_us: AtomicU64,
    rate_limit_wait_us: AtomicU64,
}

impl CallStats {
    /// One more attempt was sent.
    pub fn attempt(&self) {
        self.inner.attempts.fetch_add(1, Ordering::Relaxed);
    }

    /// The call waited `wait` between attempts.
    pub fn retry_wait(&self, wait: Duration) {
        add(&self.inner.retry_wait_us, wait);
    }

    /// The call waited `wait` for the rate limiter.
    pub fn rate_limit_wait(&self, wait: Duration) {
        add(&self.inner.rate_limit_wait_us, wait);
    }

    /// Attempts so far.
    pub fn attempts(&self) -> u64 {
        self.inner.attempts.load(Ordering::Relaxed)
    }

    /// Total wait between attempts so far.
    pub fn retry_waited(&self) -> Duration {
        Duration::from_micros(self.inner.retry_wait_us.load(Ordering::Relaxed))
    }

    /// Total wait for the rate limiter so far.
    pub fn rate_limit_waited(&self) -> Duration {
        Duration::from_micros(self.inner.rate_limit_wait_us.load(Ordering::Relaxed))
    }
}

fn add(counter: &AtomicU64, wait: Duration) {
    let us = u64::try_from(wait.as_micros()).unwrap_or(u64::MAX);
    // Saturating: a sum of absurd waits must not wrap.
    let _ = counter.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
        Some(v.saturating_add(us))
    });
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Wraps a service in one `auth0.request` span per call (see the
/// [module docs](self) for its fields).
///
/// ```
/// use auth0_core::trace::TraceLayer;
/// use tower::ServiceBuilder;
/// # let transport = tower::service_fn(|_req: auth0_core::types::HttpRequest| async {
/// #     Ok::<_, auth0_core::types::BoxError>(http::Response::new(bytes::Bytes::new()))
/// # });
/// let traced = ServiceBuilder::new().layer(TraceLayer::new()).service(transport);
/// # let _ = traced;
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct TraceLayer {
    record_path: bool,
}

impl TraceLayer {
    /// The layer, without `url.path`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also records the actual path as `url.path` (off by default: paths
    /// carry user ids and e-mail addresses).
    pub fn record_path(mut self, record: bool) -> Self {
        self.record_path = record;
        self
    }
}

impl<S> Layer<S> for TraceLayer {
    type Service = Trace<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Trace {
            inner,
            record_path: self.record_path,
        }
    }
}

/// The service built by [`TraceLayer`].
#[derive(Debug, Clone)]
pub struct Trace<S> {
    inner: S,
    record_path: bool,
}

impl<S> Service<HttpRequest> for Trace<S>
where
    S: Service<HttpRequest, Response = HttpResponse>,
    S::Error: Into<BoxError>,
{
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut req: HttpRequest) -> Self::Future {
        let span = request_span(&req, self.record_path);
        // Nobody listens (no subscriber, or one not interested in target
        // `auth0`): no counters for the retry and rate-limit layers to fill.
        let stats = (!span.is_disabled()).then(|| {
            let stats = CallStats::default();
            req.extensions_mut().insert(stats.clone());
            stats
        });
        // One struct literal, the inner future written straight into its
        // field (the stack's future is large: each move of it is a copy;
        // a `Finish` inside `tracing::Instrumented` was built, then moved
        // twice).
        ResponseFuture {
            future: Some({
                let _entered = span.enter();
                self.inner.call(req)
            }),
            span,
            stats,
        }
    }
}

fn request_span(req: &HttpRequest, record_path: bool) -> tracing::Span {
    let method = req.method().as_str();
    // The request's own, else the one `Auth0Client::send_operation` hands
    // this layer directly on the default stack.
    let operation = req
        .extensions()
        .get::<Operation>()
        .copied()
        .or_else(|| CALLING.get());
    let operation = operation.as_ref();
    let uri = req.uri();
    let span = tracing::info_span!(
        target: "auth0",
        "auth0.request",
        // Formatted only when a subscriber records the span.
        otel.name = %OtelName(method, operation),
        otel.kind = "client",
        otel.status_code = Empty,
        http.request.method = method,
        url.template = Empty,
        url.path = Empty,
        auth0.operation = Empty,
        server.address = uri.host().unwrap_or_default(),
        server.port = uri.port_u16().or_else(|| default_port(uri)),
        http.response.status_code = Empty,
        http.request.resend_count = Empty,
        auth0.retry.wait_ms = Empty,
        auth0.rate_limit.wait_ms = Empty,
        auth0.rate_limit.remaining = Empty,
        error.type = Empty,
    );
    if let Some(op) = operation {
        span.record("url.template", op.path_template());
        span.record("auth0.operation", op.name());
    }
    if record_path {
        span.record("url.path", uri.path());
    }
    span
}

/// `{METHOD} {url.template}`, or `{METHOD}` when the template is unknown.
struct OtelName<'a>(&'a str, Option<&'a Operation>);

impl fmt::Display for OtelName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Some(op) => write!(f, "{} {}", self.0, op.path_template()),
            None => f.write_str(self.0),
        }
    }
}

fn default_port(uri: &http::Uri) -> Option<u16> {
    match uri.scheme_str() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    }
}

fn finish(span: &tracing::Span, stats: &CallStats, outcome: &Result<HttpResponse, BoxError>) {
    let attempts = stats.attempts();
    if attempts > 1 {
        span.record("http.request.resend_count", attempts - 1);
    }
    if !stats.retry_waited().is_zero() {
        span.record("auth0.retry.wait_ms", millis(stats.retry_waited()));
    }
    if !stats.rate_limit_waited().is_zero() {
        span.record(
            "auth0.rate_limit.wait_ms",
            millis(stats.rate_limit_waited()),
        );
    }
    match outcome {
        Ok(res) => {
            let status = res.status();
            span.record("http.response.status_code", status.as_u16());
            if let Some(remaining) = RateLimitInfo::from_headers(res.headers()).remaining {
                span.record("auth0.rate_limit.remaining", remaining);
            }
            if status.is_client_error() || status.is_server_error() {
                span.record("error.type", status.as_str());
                span.record("otel.status_code", "ERROR");
            }
        }
        Err(error) => {
            span.record("error.type", error_type(error.as_ref()));
            span.record("otel.status_code", "ERROR");
        }
    }
}

/// OpenTelemetry's `error.type` for a failed SDK call, as the
/// `auth0.request` span names it: the status code of an error answer
/// (`401`, `429`), `mfa_required`, `timeout` / `connect_timeout` /
/// `deadline`, `transport`, `decode`, `body_too_large`, `invalid_request`,
/// `config`, `invalid_id_token` or (feature `blocking`) `blocking`. Spans above a call (the token fetch)
/// use it too, so one failure has one name everywhere.
///
/// ```
/// let err = auth0_core::Error::BodyTooLarge { limit: 1 };
/// assert_eq!(auth0_core::trace::error_type_of(&err), "body_too_large");
/// ```
pub fn error_type_of(error: &crate::Error) -> std::borrow::Cow<'static, str> {
    use crate::Error;
    match error {
        Error::Api(api) => api.status_code.as_str().to_owned().into(),
        Error::RateLimited(_) => "429".into(),
        Error::MfaRequired(_) => "mfa_required".into(),
        Error::Timeout(_) | Error::Transport { .. } => error_type(error).into(),
        Error::Decode { .. } => "decode".into(),
        Error::BodyTooLarge { .. } => "body_too_large".into(),
        Error::Config(_) => "config".into(),
        Error::InvalidRequest { .. } => "invalid_request".into(),
        Error::InvalidIdToken { .. } => "invalid_id_token".into(),
        #[cfg(feature = "blocking")]
        Error::Blocking(_) => "blocking".into(),
    }
}

/// A low-cardinality name for a failure (OpenTelemetry's `error.type`).
fn error_type(error: &(dyn std::error::Error + 'static)) -> &'static str {
    let mut source = Some(error);
    while let Some(e) = source {
        if let Some(elapsed) = e.downcast_ref::<Elapsed>() {
            return match elapsed.kind() {
                TimeoutKind::Connect => "connect_timeout",
                TimeoutKind::Attempt => "timeout",
                TimeoutKind::Deadline => "deadline",
            };
        }
        source = e.source();
    }
    "transport"
}

pin_project! {
    /// The future returned by [`Trace`]: the inner call inside the
    /// `auth0.request` span (entered on every poll and while the inner
    /// future is dropped, as `tracing::Instrumented` does), its outcome
    /// recorded on the span at the end when a subscriber listens. A plain
    /// struct over the inner future (no allocation per call).
    pub struct ResponseFuture<F> {
        // `None` once dropped inside the span (see the drop below).
        #[pin]
        future: Option<F>,
        span: tracing::Span,
        stats: Option<CallStats>,
    }

    impl<F> PinnedDrop for ResponseFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            // Whatever the inner future does as it is dropped happens
            // inside the call's span.
            let _entered = this.span.enter();
            this.future.set(None);
        }
    }
}

impl<F, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<HttpResponse, E>>,
    E: Into<BoxError>,
{
    type Output = Result<HttpResponse, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let Some(future) = this.future.as_pin_mut() else {
            return Poll::Ready(Err(Box::new(crate::types::PolledAfterCompletion)));
        };
        let outcome = ready!(future.poll(cx)).map_err(Into::into);
        if let Some(stats) = this.stats.as_ref() {
            finish(this.span, stats, &outcome);
        }
        Poll::Ready(outcome)
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
