//! [`RebuildRequest`]: the per-attempt hook of the retry layer, for requests
//! that must not be replayed byte for byte.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::HeaderMap;
use http::header::{HeaderName, HeaderValue};

use crate::types::BoxError;

type BuildFn = dyn Fn(&RetryAttempt<'_>) -> Result<Rebuilt, BoxError> + Send + Sync;

/// Request extension: builds parts of each attempt afresh instead of
/// replaying the first attempt's bytes.
///
/// For requests that are single use by design:
/// - a `private_key_jwt` client assertion (RFC 7523 §3: its `jti` may be
///   used once), so a resent token request needs a new body;
/// - a DPoP proof (RFC 9449 §11.1: a server refuses a `jti` it has seen;
///   §8: the proof must carry the server's newest nonce), so a resent
///   request needs a new `DPoP` header.
///
/// The [`Retry`](super::Retry) service calls the function before every
/// attempt after the first (the request as given is the first attempt) with
/// a [`RetryAttempt`]: the attempt's number and the headers of the previous
/// attempt's response, if it got one (e.g. its `DPoP-Nonce`). What the
/// function returns replaces that attempt's body (when it gives one) and its
/// headers of the same names; an error ends the call with that error,
/// nothing resent. Everything built is recorded in the request's
/// [`Secrets`](crate::secrets::Secrets) — the body's secret-named fields,
/// and sensitive headers (`Authorization`, values marked sensitive) — so its
/// credentials are scrubbed from errors like the first attempt's.
///
/// ```
/// use auth0_core::retry::{RebuildRequest, Rebuilt};
/// use bytes::Bytes;
/// use http::HeaderValue;
///
/// let mut req = http::Request::post("/oauth/token").body(Bytes::from_static(b"a=1")).unwrap();
/// req.extensions_mut().insert(RebuildRequest::new(|attempt| {
///     let nonce = attempt.previous_header("dpop-nonce").unwrap_or("none");
///     let mut proof = HeaderValue::from_str(&format!("proof-{}-{nonce}", attempt.number()))?;
///     proof.set_sensitive(true);
///     Ok(Rebuilt::new()
///         .body(Bytes::from(format!("a={}", attempt.number())))
///         .header(http::header::HeaderName::from_static("dpop"), proof))
/// }));
/// // A body alone (a newly signed client assertion each time):
/// let only_body = RebuildRequest::body(|| Ok(Bytes::from_static(b"a=2")));
/// # let _ = only_body;
/// ```
#[derive(Clone)]
pub struct RebuildRequest(Arc<BuildFn>);

impl RebuildRequest {
    /// Wraps the function that builds one attempt's parts.
    pub fn new(
        build: impl Fn(&RetryAttempt<'_>) -> Result<Rebuilt, BoxError> + Send + Sync + 'static,
    ) -> Self {
        Self(Arc::new(build))
    }

    /// A hook that rebuilds only the body, the same way for every attempt.
    pub fn body(build: impl Fn() -> Result<Bytes, BoxError> + Send + Sync + 'static) -> Self {
        Self::new(move |_| Ok(Rebuilt::new().body(build()?)))
    }

    /// Builds the parts of `attempt`.
    pub fn build(&self, attempt: &RetryAttempt<'_>) -> Result<Rebuilt, BoxError> {
        (self.0)(attempt)
    }
}

impl fmt::Debug for RebuildRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RebuildRequest(..)")
    }
}

/// The attempt a [`RebuildRequest`] builds for.
#[derive(Debug, Clone, Copy)]
pub struct RetryAttempt<'a> {
    number: u32,
    previous: Option<&'a HeaderMap>,
}

impl<'a> RetryAttempt<'a> {
    /// Attempt `number` (2 for the first retry), after a response with
    /// these headers (`None` when the previous attempt got no response: a
    /// dropped connection, a timeout).
    pub fn new(number: u32, previous_response: Option<&'a HeaderMap>) -> Self {
        Self {
            number,
            previous: previous_response,
        }
    }

    /// The attempt's number, counting the first as 1.
    pub fn number(&self) -> u32 {
        self.number
    }

    /// The headers of the previous attempt's response, if it got one.
    pub fn previous_response(&self) -> Option<&'a HeaderMap> {
        self.previous
    }

    /// One header of the previous attempt's response as text (e.g.
    /// `DPoP-Nonce`), when present and visible ASCII.
    pub fn previous_header(&self, name: &str) -> Option<&'a str> {
        self.previous?.get(name)?.to_str().ok()
    }
}

/// What a [`RebuildRequest`] built for one attempt: a body, headers, or
/// both. `Debug` shows the body's length and the header names only.
#[derive(Clone, Default)]
#[must_use]
pub struct Rebuilt {
    body: Option<Bytes>,
    headers: HeaderMap,
}

impl Rebuilt {
    /// Nothing rebuilt: the attempt is the first one's copy.
    pub fn new() -> Self {
        Self::default()
    }

    /// The attempt's body.
    pub fn body(mut self, body: Bytes) -> Self {
        self.body = Some(body);
        self
    }

    /// A header replacing the first attempt's of that name (mark a
    /// credential with [`HeaderValue::set_sensitive`]).
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Headers replacing the first attempt's of the same names.
    pub fn headers(mut self, headers: HeaderMap) -> Self {
        let mut last: Option<HeaderName> = None;
        for (name, value) in headers {
            match name {
                Some(name) => {
                    self.headers.insert(name.clone(), value);
                    last = Some(name);
                }
                // A further value of the same name.
                None => {
                    if let Some(name) = &last {
                        self.headers.append(name.clone(), value);
                    }
                }
            }
        }
        self
    }

    /// The body built, if any.
    pub fn built_body(&self) -> Option<&Bytes> {
        self.body.as_ref()
    }

    /// The headers built.
    pub fn built_headers(&self) -> &HeaderMap {
        &self.headers
    }

    pub(crate) fn into_parts(self) -> (Option<Bytes>, HeaderMap) {
        (self.body, self.headers)
    }
}

impl fmt::Debug for Rebuilt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rebuilt")
            .field("body_len", &self.body.as_ref().map(Bytes::len))
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .finish()
    }
}
