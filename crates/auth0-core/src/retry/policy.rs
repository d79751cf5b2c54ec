//! [`RetryPolicy`]: when to retry, how long to wait, how often.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::{Method, StatusCode};

use super::after::{rate_limit_reset, retry_after};
use super::backoff::{Jitter, ceiling, full_jitter};
use super::budget::RetryBudget;
use crate::timeout::{Elapsed, TimeoutKind};
use crate::transport::TransportError;
use crate::types::{BoxError, HttpResponse};

/// A reason the builder or [`RetryBudget::new`] refused its settings.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RetryPolicyError {
    /// More retries than [`RetryPolicy::MAX_RETRIES_LIMIT`] were asked for;
    /// usually a unit mix-up or a typo. Lower the count, or rely on the
    /// deadline to bound the call.
    #[error("max_retries {requested} is above the limit of {limit}")]
    TooManyRetries {
        /// The count asked for.
        requested: u32,
        /// The highest count accepted.
        limit: u32,
    },
    /// The budget window is zero, shorter than
    /// [`RetryBudget::MIN_WINDOW`] or longer than [`RetryBudget::MAX_WINDOW`].
    #[error("retry budget window {window:?} is outside 10ms..=1 day")]
    InvalidBudgetWindow {
        /// The window asked for.
        window: Duration,
    },
    /// The budget ratio is NaN, negative or above [`RetryBudget::MAX_RATIO`];
    /// it is a fraction of requests, e.g. `0.2` for 20%.
    #[error("retry budget ratio {ratio} is not a number in 0..=1000")]
    InvalidBudgetRatio {
        /// The ratio asked for.
        ratio: f64,
    },
}

type WallClock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// When and how the [`Retry`](super::Retry) service retries a request.
///
/// What is retried:
///
/// * **429 Too Many Requests — always, for every method.** Auth0 rejected
///   the request before processing it, so even a `POST` is safe to resend.
/// * **5xx** (500, 502, 503, 504 and other 5xx except 501 Not Implemented
///   and 505 HTTP Version Not Supported, which will not change) — only for
///   idempotent methods (`GET`, `HEAD`, `OPTIONS`, `PUT`, `DELETE`).
/// * **Per-attempt timeouts and connection errors** after the request may
///   have been sent (reset, broken pipe, unexpected EOF, hyper protocol
///   errors, [`Elapsed`] with [`TimeoutKind::Attempt`]) — idempotent
///   methods only: the server may have acted on the request.
/// * **Connect failures** (`Elapsed` with [`TimeoutKind::Connect`], the
///   transport's `TransportError::Connect` or `Proxy` — or hyper-util's
///   connect error from a transport built on its client —, connection
///   refused, host or network
///   unreachable) — **every method**, because the request never left the
///   client, so resending cannot duplicate anything. TLS errors (a
///   `rustls::Error` anywhere in the chain) are never retried: a bad
///   certificate does not fix itself.
///
/// `POST` and `PATCH` join the idempotent methods for 5xx and connection
/// errors when the policy sets [`retry_non_idempotent`](RetryPolicyBuilder::retry_non_idempotent)
/// or the request carries the [`RetryNonIdempotent`](super::RetryNonIdempotent)
/// extension.
///
/// How long to wait: `Retry-After` when present (delta-seconds or an
/// HTTP-date in any of its three forms); for a 429 without it, the time
/// until `x-ratelimit-reset`; otherwise exponential backoff with full
/// jitter: a random time in `[0, min(max_wait, base_delay · 2ⁿ)]` for the
/// n-th retry (n from 0). A wait the server asks for (either header) that
/// is longer than [`max_wait`](Self::max_wait) — absurd and overflowing
/// values included — is not shortened: retrying earlier would only be
/// refused again, so the response is returned at once (a 429 becomes
/// `Error::RateLimited` with its `reset_at`).
///
/// Every retry also needs room in the [`RetryBudget`] (unless the policy
/// has none). When retries run out the last response is returned as `Ok`
/// (a 429 stays a response; the client maps it to its rate-limit error) or
/// the last error as `Err`.
///
/// Clones share the budget and the jitter source.
///
/// ```
/// use std::time::Duration;
/// use auth0_core::retry::RetryPolicy;
///
/// let policy = RetryPolicy::builder()
///     .max_retries(5)
///     .max_wait(Duration::from_secs(30))
///     .base_delay(Duration::from_millis(100))
///     .build()?;
/// assert_eq!(policy.max_retries(), 5);
///
/// assert!(RetryPolicy::builder().max_retries(11).build().is_err());
/// # Ok::<(), auth0_core::retry::RetryPolicyError>(())
/// ```
#[derive(Clone)]
pub struct RetryPolicy {
    max_retries: u32,
    max_wait: Duration,
    base_delay: Duration,
    budget: Option<RetryBudget>,
    retry_non_idempotent: bool,
    clock: WallClock,
    jitter: Jitter,
}

impl RetryPolicy {
    /// The highest `max_retries` the builder accepts.
    pub const MAX_RETRIES_LIMIT: u32 = 10;
    /// Default number of retries after the first attempt.
    pub const DEFAULT_MAX_RETRIES: u32 = 3;
    /// Default cap on any single wait.
    pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(10);
    /// Default base delay of the exponential backoff.
    pub const DEFAULT_BASE_DELAY: Duration = Duration::from_millis(250);

    /// A builder starting from the defaults.
    pub fn builder() -> RetryPolicyBuilder {
        RetryPolicyBuilder::new()
    }

    /// A policy that never retries (one attempt per call).
    pub fn disabled() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Retries allowed after the first attempt.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The cap on any single wait.
    pub fn max_wait(&self) -> Duration {
        self.max_wait
    }

    /// The base delay of the exponential backoff.
    pub fn base_delay(&self) -> Duration {
        self.base_delay
    }

    /// The retry budget, if the policy has one.
    pub fn budget(&self) -> Option<&RetryBudget> {
        self.budget.as_ref()
    }

    /// Whether `POST`/`PATCH` are retried on 5xx and connection errors for
    /// every request, not only those carrying
    /// [`RetryNonIdempotent`](super::RetryNonIdempotent).
    pub fn retry_non_idempotent(&self) -> bool {
        self.retry_non_idempotent
    }

    /// True for the methods retried on 5xx and connection errors without
    /// an opt-in: `GET`, `HEAD`, `OPTIONS`, `PUT`, `DELETE`.
    pub fn is_idempotent(method: &Method) -> bool {
        matches!(
            *method,
            Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE
        )
    }

    /// True for the 5xx statuses worth retrying (all but 501 and 505).
    pub fn is_retryable_server_error(status: StatusCode) -> bool {
        status.is_server_error()
            && status != StatusCode::NOT_IMPLEMENTED
            && status != StatusCode::HTTP_VERSION_NOT_SUPPORTED
    }

    /// What to do after the attempt numbered `retry_index` (0 = the first
    /// attempt) produced `outcome`. Does not consult the budget or
    /// `max_retries`; the service does.
    pub(crate) fn decide(
        &self,
        method: &Method,
        opted_in: bool,
        outcome: &Result<HttpResponse, BoxError>,
        retry_index: u32,
    ) -> Option<RetryDecision> {
        let may_resend = opted_in || self.retry_non_idempotent || Self::is_idempotent(method);
        let (reason, header_wait) = match outcome {
            Ok(res) if res.status() == StatusCode::TOO_MANY_REQUESTS => {
                let now = (self.clock)();
                let wait = retry_after(res.headers(), now)
                    .or_else(|| rate_limit_reset(res.headers(), now));
                (RetryReason::RateLimited, wait)
            }
            Ok(res) if Self::is_retryable_server_error(res.status()) && may_resend => {
                let now = (self.clock)();
                (
                    RetryReason::ServerError(res.status()),
                    retry_after(res.headers(), now),
                )
            }
            Ok(_) => return None,
            Err(err) => match classify_error(err.as_ref()) {
                ErrorClass::NeverSent => (RetryReason::ConnectFailed, None),
                ErrorClass::MaybeSent(reason) if may_resend => (reason, None),
                ErrorClass::MaybeSent(_) | ErrorClass::Permanent => return None,
            },
        };
        let wait = match header_wait {
            // The server asked for longer than this policy waits: a retry
            // before then is a sure refusal that burns quota and budget, so
            // the answer goes back to the caller at once (its 429 becomes
            // `RateLimited` with `reset_at`; the caller decides).
            Some(asked) if asked > self.max_wait => return None,
            Some(asked) => asked,
            None => self.backoff(retry_index).min(self.max_wait),
        };
        Some(RetryDecision { wait, reason })
    }

    /// The full-jitter backoff before retry number `retry_index` (from 0).
    pub(crate) fn backoff(&self, retry_index: u32) -> Duration {
        full_jitter(
            ceiling(self.base_delay, self.max_wait, retry_index),
            self.jitter.fraction(),
        )
    }
}

impl Default for RetryPolicy {
    /// 3 retries, waits capped at 10 s, 250 ms base delay, the default
    /// [`RetryBudget`], no retries of `POST`/`PATCH` on 5xx, system clock,
    /// random jitter.
    fn default() -> Self {
        Self {
            max_retries: Self::DEFAULT_MAX_RETRIES,
            max_wait: Self::DEFAULT_MAX_WAIT,
            base_delay: Self::DEFAULT_BASE_DELAY,
            budget: Some(RetryBudget::default()),
            retry_non_idempotent: false,
            clock: Arc::new(SystemTime::now),
            jitter: Jitter::random(),
        }
    }
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("max_retries", &self.max_retries)
            .field("max_wait", &self.max_wait)
            .field("base_delay", &self.base_delay)
            .field("budget", &self.budget)
            .field("retry_non_idempotent", &self.retry_non_idempotent)
            .field("clock", &"<fn() -> SystemTime>")
            .field("jitter", &self.jitter)
            .finish()
    }
}

/// Builds a [`RetryPolicy`]; see there for the rules. Start from
/// [`RetryPolicy::builder`].
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use auth0_core::retry::{RetryBudget, RetryPolicy};
///
/// let policy = RetryPolicy::builder()
///     .max_retries(2)
///     .budget(RetryBudget::new(Duration::from_secs(60), 1, 0.1)?)
///     .retry_non_idempotent(true)
///     // Deterministic tests: fixed wall clock, no randomness.
///     .clock(|| UNIX_EPOCH + Duration::from_secs(1_700_000_000))
///     .jitter(|| 1.0)
///     .build()?;
/// assert!(policy.retry_non_idempotent());
/// # Ok::<(), auth0_core::retry::RetryPolicyError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct RetryPolicyBuilder {
    policy: RetryPolicy,
}

impl RetryPolicyBuilder {
    fn new() -> Self {
        Self {
            policy: RetryPolicy::default(),
        }
    }

    /// Retries after the first attempt (default 3, at most
    /// [`RetryPolicy::MAX_RETRIES_LIMIT`]; checked by [`build`](Self::build)).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.policy.max_retries = n;
        self
    }

    /// Cap on any single wait, whether from `Retry-After`,
    /// `x-ratelimit-reset` or backoff (default 10 s).
    pub fn max_wait(mut self, cap: Duration) -> Self {
        self.policy.max_wait = cap;
        self
    }

    /// Base delay of the exponential backoff (default 250 ms).
    pub fn base_delay(mut self, base: Duration) -> Self {
        self.policy.base_delay = base;
        self
    }

    /// The budget retries draw from (default [`RetryBudget::default`]).
    /// Pass a clone of one budget to several policies to share it.
    pub fn budget(mut self, budget: RetryBudget) -> Self {
        self.policy.budget = Some(budget);
        self
    }

    /// No budget: only `max_retries` bounds retries.
    pub fn without_budget(mut self) -> Self {
        self.policy.budget = None;
        self
    }

    /// Retry `POST`/`PATCH` on 5xx and connection errors too (default
    /// `false`). Only safe when the endpoints called are idempotent in
    /// practice; prefer the per-request
    /// [`RetryNonIdempotent`](super::RetryNonIdempotent) extension.
    pub fn retry_non_idempotent(mut self, yes: bool) -> Self {
        self.policy.retry_non_idempotent = yes;
        self
    }

    /// The wall clock used to turn `x-ratelimit-reset` and HTTP-dates into
    /// waits (default [`SystemTime::now`]). Inject a fixed clock in tests.
    pub fn clock(mut self, now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.policy.clock = Arc::new(now);
        self
    }

    /// The source of the jitter fraction in `[0, 1]` (default: random).
    /// Values outside the range are clamped and NaN counts as 0;
    /// `|| 1.0` gives plain exponential backoff.
    pub fn jitter(mut self, fraction: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
        self.policy.jitter = Jitter::Custom(Arc::new(fraction));
        self
    }

    /// Checks the settings and returns the policy.
    ///
    /// # Errors
    /// [`RetryPolicyError::TooManyRetries`] when `max_retries` is above
    /// [`RetryPolicy::MAX_RETRIES_LIMIT`].
    pub fn build(self) -> Result<RetryPolicy, RetryPolicyError> {
        if self.policy.max_retries > RetryPolicy::MAX_RETRIES_LIMIT {
            return Err(RetryPolicyError::TooManyRetries {
                requested: self.policy.max_retries,
                limit: RetryPolicy::MAX_RETRIES_LIMIT,
            });
        }
        Ok(self.policy)
    }
}

/// A decision to retry after `wait`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryDecision {
    pub(crate) wait: Duration,
    pub(crate) reason: RetryReason,
}

/// Why a request is retried (for logs; never carries header values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryReason {
    RateLimited,
    ServerError(StatusCode),
    ConnectFailed,
    AttemptTimeout,
    ConnectionError,
}

impl fmt::Display for RetryReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RateLimited => f.write_str("rate limited (429)"),
            Self::ServerError(s) => write!(f, "server error ({})", s.as_u16()),
            Self::ConnectFailed => f.write_str("connect failed"),
            Self::AttemptTimeout => f.write_str("attempt timed out"),
            Self::ConnectionError => f.write_str("connection error"),
        }
    }
}

enum ErrorClass {
    /// The request never left the client: safe to resend for any method.
    NeverSent,
    /// The request may have reached the server: resend idempotent ones only.
    MaybeSent(RetryReason),
    /// Retrying will not help (or the error is not a known transient one).
    Permanent,
}

/// Sorts an error from the inner stack by walking its source chain.
fn classify_error(err: &(dyn StdError + 'static)) -> ErrorClass {
    if chain(err).any(is_tls_error) {
        return ErrorClass::Permanent;
    }
    for e in chain(err) {
        if let Some(elapsed) = e.downcast_ref::<Elapsed>() {
            return match elapsed.kind {
                TimeoutKind::Connect => ErrorClass::NeverSent,
                TimeoutKind::Attempt => ErrorClass::MaybeSent(RetryReason::AttemptTimeout),
                _ => ErrorClass::Permanent,
            };
        }
        if let Some(TransportError::Connect { .. } | TransportError::Proxy { .. }) =
            e.downcast_ref::<TransportError>()
        {
            return ErrorClass::NeverSent;
        }
        // hyper-util's client, for a transport of the caller's built on it.
        if let Some(client_err) = e.downcast_ref::<hyper_util::client::legacy::Error>() {
            if client_err.is_connect() {
                return ErrorClass::NeverSent;
            }
            // Otherwise look further down for the io or hyper error.
            continue;
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return classify_io(io.kind());
        }
        if let Some(hyper_err) = e.downcast_ref::<hyper::Error>() {
            if hyper_err.is_user() {
                return ErrorClass::Permanent;
            }
            return ErrorClass::MaybeSent(RetryReason::ConnectionError);
        }
    }
    ErrorClass::Permanent
}

fn classify_io(kind: std::io::ErrorKind) -> ErrorClass {
    use std::io::ErrorKind as K;
    match kind {
        K::ConnectionRefused | K::HostUnreachable | K::NetworkUnreachable | K::NetworkDown => {
            ErrorClass::NeverSent
        }
        K::ConnectionReset
        | K::ConnectionAborted
        | K::BrokenPipe
        | K::UnexpectedEof
        | K::TimedOut
        | K::NotConnected
        | K::Interrupted => ErrorClass::MaybeSent(RetryReason::ConnectionError),
        _ => ErrorClass::Permanent,
    }
}

fn chain<'a>(
    err: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(err), |&e| e.source())
}

/// A rustls error, directly or inside an `io::Error` (whose `source()`
/// skips the wrapped error, so it is looked at with `get_ref`).
fn is_tls_error(e: &(dyn StdError + 'static)) -> bool {
    // hyper-rustls nests the rustls error inside one or more io::Errors;
    // follow them all (bounded, in case of a cyclic custom error).
    let mut current: &(dyn StdError + 'static) = e;
    for _ in 0..8 {
        if current.is::<rustls::Error>() {
            return true;
        }
        match current
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => current = inner,
            None => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use bytes::Bytes;

    use super::*;

    const NOW: u64 = 1_700_000_000;

    #[test]
    fn tls_error_found_through_nested_io_errors() {
        let tls = rustls::Error::General("bad certificate".into());
        let once = std::io::Error::other(tls.clone());
        let twice = std::io::Error::other(std::io::Error::other(tls));
        assert!(is_tls_error(&once));
        assert!(is_tls_error(&twice));
        assert!(!is_tls_error(&std::io::Error::other("plain")));
    }

    fn policy() -> RetryPolicy {
        RetryPolicy::builder()
            .clock(|| UNIX_EPOCH + Duration::from_secs(NOW))
            .jitter(|| 1.0)
            .build()
            .unwrap()
    }

    fn response(status: u16, headers: &[(&'static str, &str)]) -> Result<HttpResponse, BoxError> {
        let mut res = HttpResponse::new(Bytes::new());
        *res.status_mut() = StatusCode::from_u16(status).unwrap();
        for (k, v) in headers {
            res.headers_mut().insert(*k, v.parse().unwrap());
        }
        Ok(res)
    }

    fn error(e: impl StdError + Send + Sync + 'static) -> Result<HttpResponse, BoxError> {
        Err(Box::new(e))
    }

    fn wait(
        p: &RetryPolicy,
        m: Method,
        outcome: &Result<HttpResponse, BoxError>,
    ) -> Option<Duration> {
        p.decide(&m, false, outcome, 0).map(|d| d.wait)
    }

    #[test]
    fn builder_defaults_and_limit() {
        let p = RetryPolicy::default();
        assert_eq!(p.max_retries(), 3);
        assert_eq!(p.max_wait(), Duration::from_secs(10));
        assert!(!p.retry_non_idempotent());
        assert!(p.budget().is_some());
        assert_eq!(
            RetryPolicy::builder()
                .max_retries(10)
                .build()
                .unwrap()
                .max_retries(),
            10
        );
        assert_eq!(
            RetryPolicy::builder().max_retries(11).build().unwrap_err(),
            RetryPolicyError::TooManyRetries {
                requested: 11,
                limit: 10
            }
        );
        assert_eq!(RetryPolicy::disabled().max_retries(), 0);
        assert!(
            RetryPolicy::builder()
                .without_budget()
                .build()
                .unwrap()
                .budget()
                .is_none()
        );
    }

    #[test]
    fn debug_does_not_fail_on_closures() {
        let dbg = format!("{:?}", policy());
        assert!(dbg.contains("max_retries: 3"), "{dbg}");
        assert!(dbg.contains("Jitter::Custom"), "{dbg}");
    }

    #[test]
    fn rate_limited_is_retried_for_every_method() {
        let p = policy();
        let res = response(429, &[("retry-after", "2")]);
        for m in [Method::GET, Method::POST, Method::PATCH, Method::DELETE] {
            assert_eq!(wait(&p, m, &res), Some(Duration::from_secs(2)));
        }
    }

    #[test]
    fn rate_limit_wait_sources_in_order() {
        let p = policy();
        let reset = (NOW + 4).to_string();
        // Retry-After wins over x-ratelimit-reset.
        let both = response(429, &[("retry-after", "1"), ("x-ratelimit-reset", &reset)]);
        assert_eq!(wait(&p, Method::GET, &both), Some(Duration::from_secs(1)));
        let reset_only = response(429, &[("x-ratelimit-reset", &reset)]);
        assert_eq!(
            wait(&p, Method::GET, &reset_only),
            Some(Duration::from_secs(4))
        );
        // Neither: backoff (jitter 1.0 → the full ceiling, 250 ms for the first retry).
        let bare = response(429, &[]);
        assert_eq!(
            wait(&p, Method::GET, &bare),
            Some(Duration::from_millis(250))
        );
        // A reset in the past falls back to backoff too.
        let past = response(429, &[("x-ratelimit-reset", &(NOW - 5).to_string())]);
        assert_eq!(
            wait(&p, Method::GET, &past),
            Some(Duration::from_millis(250))
        );
    }

    #[test]
    fn asked_waits_beyond_the_cap_are_not_shortened_and_backoff_is_capped() {
        let p = policy();
        let far = (NOW + 3_600).to_string();
        // Retrying before the server's time is a sure 429: no retry at all.
        assert_eq!(
            wait(&p, Method::GET, &response(429, &[("retry-after", "120")])),
            None
        );
        assert_eq!(
            wait(
                &p,
                Method::GET,
                &response(429, &[("x-ratelimit-reset", &far)])
            ),
            None
        );
        assert_eq!(
            wait(&p, Method::GET, &response(503, &[("retry-after", "11")])),
            None
        );
        assert_eq!(
            wait(&p, Method::GET, &response(429, &[("retry-after", "10")])),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            p.decide(&Method::GET, false, &response(500, &[]), 9)
                .map(|d| d.wait),
            Some(Duration::from_secs(10))
        );
    }

    #[test]
    fn server_errors_need_idempotence_or_opt_in() {
        let p = policy();
        for status in [500, 502, 503, 504, 599] {
            let res = response(status, &[]);
            assert!(p.decide(&Method::GET, false, &res, 0).is_some(), "{status}");
            assert!(p.decide(&Method::PUT, false, &res, 0).is_some(), "{status}");
            assert!(
                p.decide(&Method::POST, false, &res, 0).is_none(),
                "{status}"
            );
            assert!(
                p.decide(&Method::PATCH, false, &res, 0).is_none(),
                "{status}"
            );
            assert!(p.decide(&Method::POST, true, &res, 0).is_some(), "{status}");
        }
        let opt_in = RetryPolicy::builder()
            .retry_non_idempotent(true)
            .build()
            .unwrap();
        assert!(
            opt_in
                .decide(&Method::POST, false, &response(503, &[]), 0)
                .is_some()
        );
    }

    #[test]
    fn final_statuses_are_not_retried() {
        let p = policy();
        for status in [200, 201, 204, 301, 400, 401, 403, 404, 409, 501, 505] {
            assert!(
                p.decide(&Method::GET, true, &response(status, &[]), 0)
                    .is_none(),
                "{status}"
            );
        }
    }

    #[test]
    fn server_error_honours_retry_after() {
        let p = policy();
        let res = response(503, &[("retry-after", "Tue, 14 Nov 2023 22:13:23 GMT")]);
        assert_eq!(wait(&p, Method::GET, &res), Some(Duration::from_secs(3)));
    }

    #[test]
    fn errors_are_classified() {
        let p = policy();
        let connect = error(Elapsed::new(TimeoutKind::Connect, Duration::from_secs(1)));
        let attempt = error(Elapsed::new(TimeoutKind::Attempt, Duration::from_secs(1)));
        let deadline = error(Elapsed::new(TimeoutKind::Deadline, Duration::from_secs(1)));
        let reset = error(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        let refused = error(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        let invalid = error(std::io::Error::from(std::io::ErrorKind::InvalidData));
        let tls = error(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            rustls::Error::General("bad certificate".into()),
        ));
        let unknown: Result<HttpResponse, BoxError> = Err("something else".into());

        let reason = |m: Method, o: &Result<HttpResponse, BoxError>| {
            p.decide(&m, false, o, 0).map(|d| d.reason)
        };
        assert_eq!(
            reason(Method::POST, &connect),
            Some(RetryReason::ConnectFailed)
        );
        assert_eq!(
            reason(Method::POST, &refused),
            Some(RetryReason::ConnectFailed)
        );
        assert_eq!(
            reason(Method::GET, &attempt),
            Some(RetryReason::AttemptTimeout)
        );
        assert_eq!(reason(Method::POST, &attempt), None);
        assert_eq!(
            reason(Method::GET, &reset),
            Some(RetryReason::ConnectionError)
        );
        assert_eq!(reason(Method::PATCH, &reset), None);
        assert_eq!(reason(Method::GET, &deadline), None);
        assert_eq!(reason(Method::GET, &invalid), None);
        assert_eq!(reason(Method::GET, &tls), None);
        assert_eq!(reason(Method::GET, &unknown), None);
    }

    #[test]
    fn backoff_doubles_with_full_jitter() {
        let p = policy();
        let got: Vec<_> = (0..4).map(|n| p.backoff(n)).collect();
        let ms = Duration::from_millis;
        assert_eq!(got, [ms(250), ms(500), ms(1000), ms(2000)]);
        let half = RetryPolicy::builder().jitter(|| 0.5).build().unwrap();
        assert_eq!(half.backoff(2), ms(500));
    }

    #[test]
    fn random_jitter_is_bounded() {
        let p = RetryPolicy::default();
        for n in 0..6 {
            let ceiling = ceiling(p.base_delay(), p.max_wait(), n);
            for _ in 0..500 {
                assert!(p.backoff(n) <= ceiling);
            }
        }
        let distinct: std::collections::HashSet<_> = (0..100).map(|_| p.backoff(3)).collect();
        assert!(
            distinct.len() > 50,
            "jitter should vary: {}",
            distinct.len()
        );
    }
}
