//! The SDK's error types.
//!
//! [`Error`] is what every call returns. Errors of the service stack (which
//! are boxed) are turned back into typed variants by
//! [`Error::from_service_error`], and HTTP error responses (status >= 400)
//! into [`Error::Api`], [`Error::RateLimited`] or [`Error::MfaRequired`] by
//! [`Error::from_response`].
//!
//! Nothing here ever shows a secret: response bodies are kept as bytes but
//! only a truncated, token-redacted snippet is shown, and request headers are
//! never kept at all.

use std::error::Error as StdError;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};

use crate::error_body::ErrorBody;
use crate::headers::{X_RATELIMIT_LIMIT, X_RATELIMIT_REMAINING};
use crate::retry::Attempts;
use crate::retry::RetryPolicy;
use crate::secrets::{Redactor, Secrets};
use crate::timeout::{Elapsed, TimeoutKind};
use crate::transport::TransportError;
use crate::types::{BoxError, HttpResponse};

/// Error code used when a response names none.
pub const UNKNOWN_ERROR_CODE: &str = "a0.sdk.internal.unknown";
/// Most bytes of a response body shown in a message or snippet.
pub const SNIPPET_LIMIT: usize = 512;

/// Anything that can go wrong when calling Auth0.
///
/// ```
/// use auth0_core::error::Error;
///
/// fn describe(err: &Error) -> &'static str {
///     match err {
///         Error::RateLimited(_) => "slow down",
///         Error::Api(api) if api.status_code.as_u16() == 404 => "not found",
///         e if e.is_timeout() => "timed out",
///         e if e.is_retryable_for(&http::Method::GET) => "try again later",
///         _ => "failed",
///     }
/// }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Auth0 answered with an error status (4xx/5xx other than 429 and
    /// `mfa_required`): bad input, missing scope, unknown resource, server
    /// trouble.
    #[error(transparent)]
    Api(Box<Auth0Error>),
    /// Auth0 kept answering 429 Too Many Requests until the retry policy gave
    /// up: the tenant's rate limit is exhausted; wait until
    /// [`RateLimitError::reset_at`].
    #[error(transparent)]
    RateLimited(Box<RateLimitError>),
    /// The login needs a second factor: continue with the MFA API using
    /// [`MfaRequiredError::mfa_token`].
    #[error(transparent)]
    MfaRequired(Box<MfaRequiredError>),
    /// A connect, attempt or overall deadline elapsed: network trouble or an
    /// overloaded server; the [`Elapsed`] says which.
    #[error(transparent)]
    Timeout(Elapsed),
    /// The HTTP exchange failed below the HTTP level: DNS, refused or reset
    /// connection, TLS failure, proxy refusal, a broken body.
    #[error("{}", transport_message(*.connect, .host.as_deref()))]
    Transport {
        /// `true` when no connection could be established (the request was
        /// certainly not sent).
        connect: bool,
        /// The server the request was for (`host` or `host:port`), when
        /// known.
        host: Option<String>,
        /// The underlying error. When the transport's own wrappers only
        /// restate what this variant's message says (the SDK's "no
        /// connection"; hyper-util's `client error (Connect)`, from a
        /// transport of the caller's built on its client), this is a
        /// [`TransportCause`]: shown from the first cause that adds
        /// something, the error as the transport produced it in
        /// [`TransportCause::get_ref`].
        #[source]
        source: BoxError,
    },
    /// The response did not have the expected shape (invalid JSON or a
    /// missing field): an API change, a proxy answering instead of Auth0, or
    /// a wrong target type.
    #[error("could not decode the response body (HTTP {status})")]
    Decode {
        /// Status of the response.
        status: StatusCode,
        /// The start of the body (at most [`SNIPPET_LIMIT`] bytes, token
        /// values redacted).
        body_snippet: String,
        /// The parser's error.
        #[source]
        source: BoxError,
    },
    /// The response body exceeded the configured cap
    /// ([`crate::config::ClientConfigBuilder::max_response_body`]): a
    /// misbehaving server or proxy, or a cap set too low.
    #[error("the response body exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// The configuration or the request was invalid: see the
    /// [`ConfigError`].
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A request could not be built (an invalid header value or URI) or its
    /// body could not be encoded.
    #[error("could not build the request: {reason}")]
    InvalidRequest {
        /// What was wrong.
        reason: String,
        /// The underlying error, if any.
        #[source]
        source: Option<BoxError>,
    },
    /// The ID token of a login answer did not pass the client's opt-in
    /// verifier (signature, issuer, audience, expiry, …): a token not meant
    /// for this application, or a verifier configured for another tenant
    /// or application. The verifier's error is the `source()`.
    #[error("the ID token in the response did not verify")]
    InvalidIdToken {
        /// The verifier's error.
        #[source]
        source: BoxError,
    },
    /// A blocking client could not make the call (feature `blocking`):
    /// called from inside an async runtime, or its runtime thread is gone.
    #[cfg(feature = "blocking")]
    #[error(transparent)]
    Blocking(#[from] crate::blocking::BlockingError),
}

impl Error {
    /// True when a timeout fired (connect, attempt or overall deadline).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout(_))
    }

    /// Whether, and when, to send a call that failed with this error again,
    /// for a request of `method`.
    ///
    /// A failure after which the server may have acted on the request
    /// (a 5xx answer, a dropped connection, an attempt timeout) is only worth
    /// resending for idempotent methods (RFC 9110 §9.2.2: `GET`, `HEAD`,
    /// `OPTIONS`, `PUT`, `DELETE`); for `POST`/`PATCH` it is
    /// [`RetryAdvice::UnsafeToRepeat`] — the same rule the retry layer
    /// applies, so an application loop does not resend what the stack
    /// rightly refused to replay. A connect failure (nothing was sent) is
    /// [`RetryAdvice::Retry`] for every method, a 429
    /// [`RetryAdvice::RetryAt`] its reset time; TLS failures, refused
    /// plain-http URLs, the overall deadline, 501/505 and 4xx answers are
    /// [`RetryAdvice::DoNotRetry`].
    ///
    /// ```
    /// use auth0_core::error::{Error, RetryAdvice};
    /// use http::Method;
    /// let resp = http::Response::builder().status(503).body(bytes::Bytes::new()).unwrap();
    /// let err = Error::from_response(&resp);
    /// assert_eq!(err.retry_advice(&Method::GET), RetryAdvice::Retry);
    /// assert_eq!(err.retry_advice(&Method::POST), RetryAdvice::UnsafeToRepeat);
    /// assert!(!err.is_retryable_for(&Method::POST));
    /// ```
    pub fn retry_advice(&self, method: &Method) -> RetryAdvice {
        let if_idempotent = || {
            if RetryPolicy::is_idempotent(method) {
                RetryAdvice::Retry
            } else {
                RetryAdvice::UnsafeToRepeat
            }
        };
        match self {
            Error::RateLimited(e) => RetryAdvice::RetryAt {
                reset_at: e.reset_at,
            },
            Error::Timeout(e) => match e.kind {
                TimeoutKind::Connect => RetryAdvice::Retry,
                TimeoutKind::Attempt => if_idempotent(),
                _ => RetryAdvice::DoNotRetry,
            },
            // A certificate problem or a refused plain-http URL does not fix
            // itself; other transport failures may.
            Error::Transport {
                source, connect, ..
            } => match source.downcast_ref::<TransportError>() {
                Some(TransportError::Tls { .. } | TransportError::InsecureScheme { .. }) => {
                    RetryAdvice::DoNotRetry
                }
                _ if *connect => RetryAdvice::Retry,
                _ => if_idempotent(),
            },
            Error::Api(e) if RetryPolicy::is_retryable_server_error(e.status_code) => {
                if_idempotent()
            }
            _ => RetryAdvice::DoNotRetry,
        }
    }

    /// True when [`Error::retry_advice`] for `method` says to send the call
    /// again ([`RetryAdvice::should_retry`]).
    pub fn is_retryable_for(&self, method: &Method) -> bool {
        self.retry_advice(method).should_retry()
    }

    /// The HTTP status of the response this error came from, if any.
    pub fn status_code(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) => Some(e.status_code),
            Error::RateLimited(e) => Some(e.error.status_code),
            Error::MfaRequired(e) => Some(e.error.status_code),
            Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The Auth0 error code (`errorCode`, `error` or `code` of the body), if
    /// this error came from an error response.
    pub fn error_code(&self) -> Option<&str> {
        self.auth0_error().map(|e| e.error_code.as_str())
    }

    /// The Auth0 error response behind this error, if any.
    pub fn auth0_error(&self) -> Option<&Auth0Error> {
        match self {
            Error::Api(e) => Some(e.as_ref()),
            Error::RateLimited(e) => Some(&e.error),
            Error::MfaRequired(e) => Some(&e.error),
            _ => None,
        }
    }

    /// Maps an error response (status >= 400) to [`Error::RateLimited`]
    /// (429), [`Error::MfaRequired`] (`{"error":"mfa_required", …}`) or
    /// [`Error::Api`].
    ///
    /// ```
    /// use auth0_core::error::Error;
    /// let resp = http::Response::builder()
    ///     .status(404)
    ///     .body(bytes::Bytes::from_static(br#"{"statusCode":404,"error":"Not Found","message":"The user does not exist.","errorCode":"inexistent_user"}"#))
    ///     .unwrap();
    /// let err = Error::from_response(&resp);
    /// assert_eq!(err.error_code(), Some("inexistent_user"));
    /// assert_eq!(err.to_string(), "Auth0 returned HTTP 404 (inexistent_user): The user does not exist.");
    /// ```
    pub fn from_response(response: &HttpResponse) -> Error {
        let secrets = response.extensions().get::<Secrets>();
        let redactor = Redactor::new(secrets, response.body());
        let parsed = ParsedBody::parse(response.body(), &redactor);
        let error = Auth0Error::from_parsed(
            response.status(),
            response.headers().clone(),
            response.body().clone(),
            &parsed,
            &redactor,
        );
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            let headers = response.headers();
            return Error::RateLimited(Box::new(RateLimitError {
                reset_at: reset_at(headers, SystemTime::now()),
                limit: header_i64(headers, X_RATELIMIT_LIMIT),
                remaining: header_i64(headers, X_RATELIMIT_REMAINING),
                attempts: response.extensions().get::<Attempts>().map(|a| a.0),
                error,
            }));
        }
        if let ParsedBody::Json(json) = &parsed
            && let Some(token) = json.mfa_token()
        {
            return Error::MfaRequired(Box::new(MfaRequiredError {
                mfa_token: token.to_owned(),
                error,
            }));
        }
        Error::Api(Box::new(error))
    }

    /// [`Error::Decode`] for a response whose body did not decode: the
    /// snippet and the decoder's message (`err`) are scrubbed of the
    /// request's [`Secrets`] (found in the response's extensions) and of
    /// every secret-named value in the body.
    ///
    /// ```
    /// use auth0_core::error::Error;
    /// let resp = http::Response::new(bytes::Bytes::from_static(br#"{"access_token":"eyJ.x.y","expires_in":"soon"}"#));
    /// let err = serde_json::from_slice::<u32>(b"\"eyJ.x.y\"").unwrap_err();
    /// let e = Error::decode_failure(&resp, &err);
    /// assert!(!format!("{e} {e:?}").contains("eyJ.x.y"));
    /// ```
    pub fn decode_failure(response: &HttpResponse, err: &dyn fmt::Display) -> Error {
        let body = response.body();
        let redactor = Redactor::new(response.extensions().get::<Secrets>(), body);
        Error::Decode {
            status: response.status(),
            body_snippet: truncate(&redactor.body(body), SNIPPET_LIMIT),
            source: Box::new(DecodeError {
                message: truncate(&redactor.text(&err.to_string()), SNIPPET_LIMIT),
            }),
        }
    }

    /// Turns an error from the service stack back into a typed error: an
    /// [`Error`] boxed by a user layer is unboxed, and the error chain is
    /// searched for a timeout ([`Elapsed`]) and the transport's errors;
    /// anything else becomes [`Error::Transport`].
    pub fn from_service_error(err: BoxError) -> Error {
        let err = match err.downcast::<Error>() {
            Ok(typed) => return *typed,
            Err(other) => other,
        };
        let err = match err.downcast::<ConfigError>() {
            Ok(typed) => return Error::Config(*typed),
            Err(other) => other,
        };
        let mut connect = false;
        let mut current: Option<&(dyn StdError + 'static)> = Some(&*err);
        while let Some(e) = current {
            if let Some(elapsed) = e.downcast_ref::<Elapsed>() {
                return Error::Timeout(*elapsed);
            }
            if let Some(t) = e.downcast_ref::<TransportError>() {
                match t {
                    TransportError::BodyTooLarge { limit } => {
                        return Error::BodyTooLarge { limit: *limit };
                    }
                    TransportError::Connect { .. }
                    | TransportError::Tls { .. }
                    | TransportError::Proxy { .. }
                    | TransportError::InsecureScheme { .. } => {
                        connect = true;
                    }
                    _ => {}
                }
            }
            if e.downcast_ref::<hyper_util::client::legacy::Error>()
                .is_some_and(hyper_util::client::legacy::Error::is_connect)
            {
                connect = true;
            }
            current = e.source();
        }
        Error::Transport {
            connect,
            host: None,
            source: TransportCause::wrap(err),
        }
    }

    /// Names the server a [`Transport`](Error::Transport) error was for
    /// (other errors are returned unchanged).
    #[must_use]
    pub fn for_host(self, host: &str) -> Error {
        match self {
            Error::Transport {
                connect, source, ..
            } => Error::Transport {
                connect,
                host: Some(host.to_owned()),
                source,
            },
            other => other,
        }
    }
}

/// The cause of an [`Error::Transport`], shown from its first informative
/// link.
///
/// `Error::Transport` already says "could not connect to `host`" or "the HTTP
/// exchange with `host` failed"; the wrappers right under it — the
/// transport's [`TransportError::Connect`] / [`TransportError::Request`] and,
/// from a transport of the caller's built on hyper-util's client, its client
/// error (`client error (Connect)`) — would only say it
/// again. A `TransportCause` displays the first error below them (`tcp
/// connect error`, `connection closed before message completed`, …) and its
/// `source()` continues from there, so a chain printed one `Display` per
/// line names each cause once:
///
/// ```text
/// could not connect to 127.0.0.1:1
///   caused by: tcp connect error
///   caused by: Connection refused (os error 111)
/// ```
///
/// The whole error, wrappers included (to downcast), is [`get_ref`](Self::get_ref).
pub struct TransportCause {
    error: BoxError,
}

impl TransportCause {
    /// `error` as an `Error::Transport` source: wrapped when its first link
    /// only restates the failure, else unchanged.
    fn wrap(error: BoxError) -> BoxError {
        if restates_failure(&*error) && error.source().is_some() {
            Box::new(TransportCause { error })
        } else {
            error
        }
    }

    /// The error as the transport produced it, wrappers included.
    pub fn get_ref(&self) -> &(dyn StdError + Send + Sync + 'static) {
        &*self.error
    }

    /// The error as the transport produced it, wrappers included.
    pub fn into_inner(self) -> BoxError {
        self.error
    }

    /// The first link of the chain that is not a restating wrapper.
    fn shown(&self) -> &(dyn StdError + 'static) {
        let mut current: &(dyn StdError + 'static) = &*self.error;
        while restates_failure(current) {
            match current.source() {
                Some(next) => current = next,
                None => break,
            }
        }
        current
    }
}

/// A wrapper whose text only names the kind of failure `Error::Transport`'s
/// message already names.
fn restates_failure(error: &(dyn StdError + 'static)) -> bool {
    matches!(
        error.downcast_ref::<TransportError>(),
        Some(TransportError::Connect { .. } | TransportError::Request { .. })
    ) || error.is::<hyper_util::client::legacy::Error>()
}

impl fmt::Display for TransportCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.shown(), f)
    }
}

impl fmt::Debug for TransportCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.error, f)
    }
}

impl StdError for TransportCause {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.shown().source()
    }
}

fn transport_message(connect: bool, host: Option<&str>) -> String {
    match (connect, host) {
        (true, Some(host)) => format!("could not connect to {host}"),
        (true, None) => "could not connect to the server".to_owned(),
        (false, Some(host)) => format!("the HTTP exchange with {host} failed"),
        (false, None) => "the HTTP exchange failed".to_owned(),
    }
}

impl From<BoxError> for Error {
    fn from(err: BoxError) -> Self {
        Error::from_service_error(err)
    }
}

/// When a 429 says to send again, in UNIX seconds: the end of the wait the
/// retry layer honours ([`crate::retry::server_requested_wait`]:
/// `Retry-After` — RFC 9110 §10.2.3, delta-seconds or an HTTP-date — else
/// `x-ratelimit-reset`) from `now`, so the error names the moment the SDK
/// itself would have retried at; an `x-ratelimit-reset` already past as it
/// is; -1 when neither is usable. Values past the range saturate at
/// `i64::MAX` rather than wrapping.
fn reset_at(headers: &HeaderMap, now: SystemTime) -> i64 {
    if let Some(wait) = crate::retry::server_requested_wait(headers, now) {
        return now
            .checked_add(wait)
            .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
            .map_or(i64::MAX, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    }
    crate::headers::RateLimitInfo::from_headers(headers)
        .reset
        .map_or(-1, |reset| i64::try_from(reset).unwrap_or(i64::MAX))
}

fn header_i64(headers: &HeaderMap, name: &str) -> i64 {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or(-1)
}

/// Whether to send a failed call again; see [`Error::retry_advice`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryAdvice {
    /// The failure is transient and resending cannot do anything twice
    /// (nothing was sent, or the method is idempotent): try again after a
    /// backoff.
    Retry,
    /// Rate limited: try again once the limit resets.
    RetryAt {
        /// UNIX second at which to send again ([`RateLimitError::reset_at`]:
        /// `Retry-After`, else `x-ratelimit-reset`), or -1 when the server
        /// named none.
        reset_at: i64,
    },
    /// The failure may be transient, but the server may have acted on the
    /// request and the method is not idempotent: resend only a request
    /// that is idempotent by other means (an idempotency key, a token
    /// request that consumes nothing).
    UnsafeToRepeat,
    /// Trying again will not help: fix the request, configuration or
    /// environment first.
    DoNotRetry,
}

impl RetryAdvice {
    /// True for [`RetryAdvice::Retry`] and [`RetryAdvice::RetryAt`]: the call
    /// may be sent again (after a backoff, or once the limit resets).
    ///
    /// ```
    /// use auth0_core::error::RetryAdvice;
    /// assert!(RetryAdvice::RetryAt { reset_at: -1 }.should_retry());
    /// assert!(!RetryAdvice::UnsafeToRepeat.should_retry());
    /// ```
    pub fn should_retry(self) -> bool {
        matches!(self, RetryAdvice::Retry | RetryAdvice::RetryAt { .. })
    }
}

/// An error response from Auth0.
///
/// `error_code` comes from the body's `errorCode`, then `error`, then
/// `code` (else [`UNKNOWN_ERROR_CODE`]); `message` from
/// `error_description`, then `message`, then `description` (the
/// `/dbconnections` shape), then `error`. The body is decoded in one pass
/// straight into those members (no JSON tree). A body that is not a JSON
/// object becomes the message as (truncated, redacted) text; an empty body
/// gets the status's reason phrase.
///
/// `Debug` and `Display` show neither the body nor the headers (both may
/// carry tokens or cookies); read [`Auth0Error::body`] deliberately.
#[derive(Clone)]
#[non_exhaustive]
pub struct Auth0Error {
    /// HTTP status of the response.
    pub status_code: StatusCode,
    /// Auth0's machine-readable error code, e.g. `invalid_grant`.
    pub error_code: String,
    /// Human-readable message.
    pub message: String,
    /// The raw response body.
    pub body: Bytes,
    /// The response headers.
    pub headers: HeaderMap,
}

impl Auth0Error {
    /// Builds the error from a response's parts.
    ///
    /// ```
    /// use auth0_core::error::Auth0Error;
    /// let e = Auth0Error::new(
    ///     http::StatusCode::FORBIDDEN,
    ///     http::HeaderMap::new(),
    ///     bytes::Bytes::from_static(br#"{"error":"access_denied","error_description":"Unauthorized"}"#),
    /// );
    /// assert_eq!(e.error_code, "access_denied");
    /// assert_eq!(e.message, "Unauthorized");
    /// ```
    pub fn new(status: StatusCode, headers: HeaderMap, body: Bytes) -> Self {
        let redactor = Redactor::new(None, &body);
        let parsed = ParsedBody::parse(&body, &redactor);
        Self::from_parsed(status, headers, body, &parsed, &redactor)
    }

    fn from_parsed(
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
        parsed: &ParsedBody,
        redactor: &Redactor,
    ) -> Self {
        let status_message = || {
            status
                .canonical_reason()
                .map_or_else(|| format!("HTTP {}", status.as_u16()), str::to_owned)
        };
        let (error_code, message) = match parsed {
            ParsedBody::Empty => (UNKNOWN_ERROR_CODE.to_owned(), status_message()),
            ParsedBody::Text(text) => (UNKNOWN_ERROR_CODE.to_owned(), text.clone()),
            ParsedBody::Json(json) => {
                let code = json
                    .code()
                    .map(|c| truncate(&redactor.value_only(c), SNIPPET_LIMIT))
                    .unwrap_or_else(|| UNKNOWN_ERROR_CODE.to_owned());
                let message = json
                    .message()
                    .map(|m| truncate(&redactor.text(m), SNIPPET_LIMIT))
                    .unwrap_or_else(status_message);
                (code, message)
            }
        };
        Self {
            status_code: status,
            error_code,
            message,
            body,
            headers,
        }
    }

    /// The raw response body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

impl fmt::Display for Auth0Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Auth0 returned HTTP {} ({}): {}",
            self.status_code.as_u16(),
            self.error_code,
            self.message
        )
    }
}

impl fmt::Debug for Auth0Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth0Error")
            .field("status_code", &self.status_code)
            .field("error_code", &self.error_code)
            .field("message", &self.message)
            .field("body_len", &self.body.len())
            .field("headers", &self.headers.len())
            .finish()
    }
}

impl StdError for Auth0Error {}

/// Auth0 answered 429 Too Many Requests and the retry policy gave up.
///
/// `limit` and `remaining` come from the `x-ratelimit-*` headers, and
/// `reset_at` is when the server said to send again; each is `-1` when
/// absent.
#[derive(Debug, Clone, thiserror::Error)]
#[error("rate limited by Auth0 (limit {limit}, resets at {reset_at}); {error}")]
#[non_exhaustive]
pub struct RateLimitError {
    /// UNIX epoch second at which the server said to send again, or -1:
    /// `Retry-After` when the answer has one, else `x-ratelimit-reset` —
    /// the wait the retry layer honours
    /// ([`server_requested_wait`](crate::retry::server_requested_wait)).
    /// Auth0's 429s carry both: `Retry-After` is when the next request is
    /// allowed, `x-ratelimit-reset` when the whole bucket has refilled
    /// (later); the error names the moment the SDK would retry at.
    pub reset_at: i64,
    /// Requests allowed per window (`x-ratelimit-limit`), or -1.
    pub limit: i64,
    /// Requests left in the window (`x-ratelimit-remaining`), or -1.
    pub remaining: i64,
    /// How many attempts the retry layer made, when it reported it.
    pub attempts: Option<u32>,
    /// The final 429 response.
    pub error: Auth0Error,
}

impl RateLimitError {
    /// The time left from `now` until [`reset_at`](Self::reset_at): zero
    /// once it has passed, `None` when the answer named no reset (or `now`
    /// is before 1970). `reset_at` is a second of the system clock, so
    /// `now` is too.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use auth0_core::error::Error;
    /// let answer = http::Response::builder()
    ///     .status(429)
    ///     .header("x-ratelimit-reset", "1700000005")
    ///     .body(bytes::Bytes::new())
    ///     .unwrap();
    /// let Error::RateLimited(limited) = Error::from_response(&answer) else { panic!() };
    /// let at = |s| UNIX_EPOCH + Duration::from_secs(s);
    /// assert_eq!(limited.until_reset(at(1_700_000_000)), Some(Duration::from_secs(5)));
    /// assert_eq!(limited.until_reset(at(1_700_000_009)), Some(Duration::ZERO));
    /// ```
    pub fn until_reset(&self, now: SystemTime) -> Option<Duration> {
        let reset = u64::try_from(self.reset_at).ok()?;
        let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
        Some(Duration::from_secs(reset.saturating_sub(now)))
    }
}

/// The user must complete multi-factor authentication.
///
/// The MFA token is available through [`MfaRequiredError::mfa_token`] and is
/// never shown by `Display` or `Debug`.
#[derive(Clone, thiserror::Error)]
#[error("multi-factor authentication is required (HTTP {})", .error.status_code.as_u16())]
pub struct MfaRequiredError {
    mfa_token: String,
    error: Auth0Error,
}

impl MfaRequiredError {
    /// The token to pass to the MFA API (`/mfa/challenge`, `/oauth/token`
    /// with an MFA grant). Treat it as a credential.
    pub fn mfa_token(&self) -> &str {
        &self.mfa_token
    }

    /// The error response itself.
    pub fn auth0_error(&self) -> &Auth0Error {
        &self.error
    }
}

impl fmt::Debug for MfaRequiredError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MfaRequiredError")
            .field("mfa_token", &"[REDACTED]")
            .field("error", &self.error)
            .finish()
    }
}

/// What was wrong with a domain string; see [`ConfigError::InvalidDomain`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidDomainReason {
    /// The string is empty.
    Empty,
    /// It contains whitespace or control characters (often a stray newline
    /// from an environment variable or file).
    Whitespace,
    /// A scheme other than `https` (or `http` for loopback).
    UnsupportedScheme,
    /// It has a path: give the domain only, e.g. `tenant.auth0.com`.
    Path,
    /// It has a query string.
    Query,
    /// It has a fragment.
    Fragment,
    /// It has `user:password@`.
    UserInfo,
    /// The host is not a valid DNS name or IP address.
    InvalidHost,
    /// The port is not a number in 1..=65535.
    InvalidPort,
    /// Plain `http://` to a host that is not loopback.
    InsecureScheme,
    /// Plain `http://` to a loopback host without
    /// [`crate::config::ClientConfigBuilder::allow_insecure_loopback`].
    InsecureLoopbackNotAllowed,
}

impl fmt::Display for InvalidDomainReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "it is empty",
            Self::Whitespace => "it contains whitespace or control characters",
            Self::UnsupportedScheme => "only https:// is supported",
            Self::Path => "it has a path; give only the domain, e.g. tenant.auth0.com",
            Self::Query => "it has a query string",
            Self::Fragment => "it has a fragment",
            Self::UserInfo => "it contains user info (user:password@)",
            Self::InvalidHost => "the host is not a valid domain name or IP address",
            Self::InvalidPort => "the port is not a number between 1 and 65535",
            Self::InsecureScheme => "plain http:// is only allowed for loopback hosts",
            Self::InsecureLoopbackNotAllowed => {
                "plain http:// to a loopback host needs allow_insecure_loopback(true)"
            }
        })
    }
}

/// An invalid client configuration.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No domain was given to the builder.
    #[error("no domain configured")]
    MissingDomain,
    /// The domain string is not an acceptable Auth0 domain.
    #[error("invalid domain {input:?}: {reason}")]
    InvalidDomain {
        /// The input (truncated, user info redacted).
        input: String,
        /// What is wrong with it.
        reason: InvalidDomainReason,
    },
    /// A request path could not be put on the domain.
    #[error("invalid request path {path:?}")]
    InvalidPath {
        /// The path (truncated).
        path: String,
    },
    /// A timeout of zero was given.
    #[error("{name} must be greater than zero")]
    InvalidTimeout {
        /// Which setting.
        name: &'static str,
    },
    /// A maximum response body of zero bytes was given.
    #[error("max_response_body must be greater than zero")]
    InvalidBodyLimit,
    /// The user agent contains characters not allowed in a header.
    #[error("the user agent is not a valid header value")]
    InvalidUserAgent,
    /// A default header has an invalid name or value.
    #[error("invalid default header {name:?}: {reason}")]
    InvalidHeader {
        /// The header name (truncated).
        name: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The proxy URL is not usable.
    #[error("invalid proxy {url:?}: {reason}")]
    InvalidProxy {
        /// The URL, user info redacted.
        url: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// An extra root certificate could not be used: not DER/PEM, or not a
    /// valid X.509 CA certificate.
    #[error("invalid root certificate: {reason}")]
    InvalidCertificate {
        /// What the parser reported.
        reason: String,
    },
    /// The TLS configuration could not be built (no usable protocol
    /// versions in the crypto provider).
    #[error("could not set up TLS: {reason}")]
    Tls {
        /// The TLS library's message.
        reason: String,
    },
}

/// A response body, parsed once for error mapping.
enum ParsedBody {
    Empty,
    Text(String),
    /// A JSON object, decoded straight into the members read.
    Json(ErrorBody),
}

impl ParsedBody {
    fn parse(body: &[u8], redactor: &Redactor) -> Self {
        if body.iter().all(u8::is_ascii_whitespace) {
            return ParsedBody::Empty;
        }
        match ErrorBody::parse(body) {
            Some(json) => ParsedBody::Json(json),
            None => ParsedBody::Text(truncate(&redactor.body(body), SNIPPET_LIMIT)),
        }
    }
}

/// Cuts a string to at most `max` bytes on a char boundary, marking the cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// A display-safe start of a body: at most [`SNIPPET_LIMIT`] bytes, lossy
/// UTF-8. A JSON body is parsed and the value of every secret-named field
/// (at any depth; see [`crate::secrets::SECRET_KEYS`]) replaced by
/// `[REDACTED]`; other text that names a secret key with a value
/// (`client_secret=…`, a cut-off `{"access_token":"…`) is withheld whole.
///
/// Errors built from a response use the request's [`Secrets`] as well
/// (see [`Error::from_response`], [`Error::decode_failure`]).
pub fn body_snippet(body: &[u8]) -> String {
    truncate(&Redactor::new(None, body).body(body), SNIPPET_LIMIT)
}

/// The message of a response body that could not be decoded, scrubbed of
/// every secret the request sent and every secret-named value of the body
/// (a parser's message may quote the value it choked on).
///
/// The source of [`Error::Decode`].
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct DecodeError {
    message: String,
}

impl DecodeError {
    /// The decoder's message, scrubbed.
    pub fn message(&self) -> &str {
        &self.message
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::WITHHELD;

    fn resp(status: u16, body: &'static str) -> HttpResponse {
        http::Response::builder()
            .status(status)
            .body(Bytes::from_static(body.as_bytes()))
            .unwrap()
    }

    #[test]
    fn code_and_message_precedence() {
        let e = Error::from_response(&resp(
            400,
            r#"{"errorCode":"ec","error":"er","code":"co","error_description":"ed","message":"me"}"#,
        ));
        let a = e.auth0_error().unwrap();
        assert_eq!((a.error_code.as_str(), a.message.as_str()), ("ec", "ed"));
        let e = Error::from_response(&resp(400, r#"{"error":"er","code":"co","message":"me"}"#));
        let a = e.auth0_error().unwrap();
        assert_eq!((a.error_code.as_str(), a.message.as_str()), ("er", "me"));
        let e = Error::from_response(&resp(400, r#"{"code":"co"}"#));
        let a = e.auth0_error().unwrap();
        assert_eq!(
            (a.error_code.as_str(), a.message.as_str()),
            ("co", "Bad Request")
        );
        let e = Error::from_response(&resp(400, r#"{"x":1}"#));
        assert_eq!(e.error_code(), Some(UNKNOWN_ERROR_CODE));
    }

    #[test]
    fn non_json_and_empty_bodies() {
        let e = Error::from_response(&resp(502, "<html>Bad gateway</html>"));
        assert_eq!(e.auth0_error().unwrap().message, "<html>Bad gateway</html>");
        assert!(e.is_retryable_for(&Method::GET));
        assert_eq!(e.retry_advice(&Method::POST), RetryAdvice::UnsafeToRepeat);
        let e = Error::from_response(&resp(503, ""));
        assert_eq!(e.auth0_error().unwrap().message, "Service Unavailable");
        let long = "x".repeat(5000);
        let e = Error::from_response(
            &http::Response::builder()
                .status(500)
                .body(Bytes::from(long))
                .unwrap(),
        );
        assert!(e.auth0_error().unwrap().message.len() <= SNIPPET_LIMIT + 4);
    }

    #[test]
    fn rate_limit_headers() {
        let r = http::Response::builder()
            .status(429)
            .header("x-ratelimit-reset", "1700000000")
            .header("x-ratelimit-limit", "10")
            .body(Bytes::new())
            .unwrap();
        let Error::RateLimited(rl) = Error::from_response(&r) else {
            panic!("not rate limited")
        };
        assert_eq!(
            (rl.reset_at, rl.limit, rl.remaining),
            (1_700_000_000, 10, -1)
        );
        assert_eq!(rl.error.status_code, StatusCode::TOO_MANY_REQUESTS);
    }

    #[test]
    fn mfa_token_hidden() {
        let e = Error::from_response(&resp(
            403,
            r#"{"error":"mfa_required","error_description":"Multifactor authentication required","mfa_token":"Fe26.SECRETMFA"}"#,
        ));
        let Error::MfaRequired(m) = &e else {
            panic!("not mfa")
        };
        assert_eq!(m.mfa_token(), "Fe26.SECRETMFA");
        let shown = format!("{e} {e:?} {m:?}");
        assert!(!shown.contains("SECRETMFA"), "{shown}");
    }

    #[test]
    fn snippet_withholds_form_encoded_secrets() {
        for body in [
            "barcode_uri=otpauth://totp/x?secret=OTPSECRET",
            "grant_type=client_credentials&client_secret=SECRET&client_id=x",
            "<html>echo: refresh_token=SECRET</html>",
        ] {
            assert_eq!(body_snippet(body.as_bytes()), WITHHELD, "{body}");
        }
        // A JSON value holding `secret=` is redacted, not the whole body.
        let s = body_snippet(br#"{"type":"otp","barcode_uri":"otpauth://x?secret=S3"}"#);
        assert!(s.contains(r#""type":"otp""#) && !s.contains("S3"), "{s}");
        // Mentioning a key without a value is harmless and shown.
        assert_eq!(
            body_snippet(b"<html>invalid token</html>"),
            "<html>invalid token</html>"
        );
    }

    #[test]
    fn snippet_redacts_arrays_of_secrets() {
        let s = body_snippet(
            br#"{"authenticator_type":"otp","recovery_codes":["AAA]SECRET1", "BBB\"SECRET2"],"barcode_uri":"otpauth://totp/x?secret=SECRET3","n":[1]}"#,
        );
        assert!(!s.contains("SECRET"), "{s}");
        assert!(s.contains(r#""recovery_codes":"[REDACTED]""#), "{s}");
        assert!(s.contains(r#""n":[1]"#), "{s}");
        assert!(s.contains("authenticator_type"), "{s}");
        // Truncated inside the array: redacted to the end.
        let s = body_snippet(br#"{"recovery_codes":["SECRET1", "SECR"#);
        assert!(!s.contains("SECR"), "{s}");
    }

    #[test]
    fn snippet_redacts_tokens_even_when_truncated_or_malformed() {
        // Not JSON, so the value's extent is unknown: withheld whole.
        let s = body_snippet(br#"{"access_token": "eyJSECRET", "token_type":"Bearer", "x":"#);
        assert_eq!(s, WITHHELD);
        let s = body_snippet(br#"{"refresh_token":"abc\"defSECRET"}"#);
        assert!(!s.contains("SECRET"), "{s}");
        let s = body_snippet(br#"{"id_token":"SECRETunterminated"#);
        assert!(!s.contains("SECRET"), "{s}");
    }

    #[test]
    fn predicates() {
        let e = Error::from_response(&resp(404, "{}"));
        assert_eq!(e.retry_advice(&Method::GET), RetryAdvice::DoNotRetry);
        assert_eq!(e.status_code(), Some(StatusCode::NOT_FOUND));
        assert!(!e.is_timeout());
    }
}
