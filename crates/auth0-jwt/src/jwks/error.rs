//! Why a JWKS fetch failed ([`JwksFetchError`]) and why a
//! [`RemoteJwks`](super::RemoteJwks) could not be built ([`JwksBuildError`]).

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;

/// Why fetching or parsing the JSON Web Key Set failed.
///
/// One fetch can be shared by many waiting verifications, so this error is
/// cheap to [`Clone`]: the underlying causes sit behind [`Arc`]s. It reaches a
/// verifier as the source of
/// [`KeySourceError::Fetch`](crate::verifier::KeySourceError::Fetch); the
/// `auth0-core` error of a failed request is in turn its own
/// [`source`](std::error::Error::source).
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use auth0_jwt::jwks::JwksFetchError;
///
/// let err = JwksFetchError::TimedOut { after: Duration::from_secs(5) };
/// assert!(err.is_timeout());
/// assert_eq!(err.to_string(), "JWKS fetch did not complete within 5s");
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub enum JwksFetchError {
    /// The HTTP request failed before a response arrived: connection refused,
    /// DNS or TLS failure, or one of the client's own timeouts. Likely cause:
    /// the JWKS host is down or unreachable.
    Transport {
        /// The error from the `auth0-core` client.
        source: Arc<auth0_core::error::Error>,
    },
    /// The JWKS endpoint answered with a status other than 2xx. Likely cause:
    /// a wrong JWKS URL or domain (404), or an outage at the host (5xx).
    Status {
        /// The HTTP status of the response.
        status: StatusCode,
        /// The `auth0-core` reading of the error response (status 400 and up).
        source: Option<Arc<auth0_core::error::Error>>,
    },
    /// The fetch did not finish within the configured fetch timeout. Likely
    /// cause: the JWKS host or a proxy in between is stalled or overloaded.
    TimedOut {
        /// The configured fetch timeout.
        after: Duration,
    },
    /// The response body is larger than the configured maximum. Likely cause:
    /// the URL does not point to a JWKS, or the response is hostile.
    BodyTooLarge {
        /// The limit that applied, in bytes: the configured maximum, or the
        /// client's own response cap when that is lower.
        limit: usize,
        /// The size of the body, in bytes, when it was received whole;
        /// `None` when the transport stopped reading at the limit (a
        /// `Content-Length` over it, or a stream that passed it).
        size: Option<usize>,
    },
    /// The response body is not a JSON Web Key Set. Likely cause: the URL
    /// points to a web page (an HTML error or login page from a proxy) or to
    /// another JSON document.
    Malformed {
        /// The `Content-Type` of the response, if it had one.
        content_type: Option<String>,
        /// What the JSON or JWK parser reported.
        source: Arc<dyn StdError + Send + Sync + 'static>,
    },
    /// The document parsed, but none of its keys can verify a signature with
    /// this crate (unsupported key types or curves, or no keys at all). Likely
    /// cause: a misconfigured JWKS host. Old keys are kept in that case.
    NoUsableKeys {
        /// How many keys the document listed.
        listed: usize,
    },
    /// The OpenID Connect discovery step failed (a key set configured with
    /// [`RemoteJwks::discover`](super::RemoteJwks::discover)): the document
    /// could not be read, names another issuer, or has no usable `jwks_uri`.
    Discovery(super::DiscoveryError),
    /// A fetch was needed but no Tokio runtime is running on this thread.
    /// Likely cause: the key source is used from another async executor or
    /// from plain synchronous code.
    NoRuntime,
    /// The fetch task ended without a result. Likely cause: the Tokio runtime
    /// is shutting down.
    Interrupted,
}

impl JwksFetchError {
    /// The `error.type` of a failed fetch in the `auth0.jwks.refresh` span
    /// (the variant in snake_case).
    pub(crate) fn reason(&self) -> &'static str {
        match self {
            Self::Transport { .. } => "transport",
            Self::Status { .. } => "status",
            Self::TimedOut { .. } => "timed_out",
            Self::BodyTooLarge { .. } => "body_too_large",
            Self::Malformed { .. } => "malformed",
            Self::NoUsableKeys { .. } => "no_usable_keys",
            Self::Discovery(_) => "discovery",
            Self::NoRuntime => "no_runtime",
            Self::Interrupted => "interrupted",
        }
    }

    /// True if the fetch failed because it took too long (the fetch timeout
    /// here, or a timeout inside the client's stack).
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        match self {
            Self::TimedOut { .. } => true,
            Self::Transport { source } => source.is_timeout(),
            _ => false,
        }
    }

    pub(crate) fn malformed(
        content_type: Option<String>,
        source: impl StdError + Send + Sync + 'static,
    ) -> Self {
        Self::Malformed {
            content_type,
            source: Arc::new(source),
        }
    }
}

impl fmt::Display for JwksFetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Transport { .. } => f.write_str("JWKS request failed"),
            Self::Status { status, .. } => {
                write!(f, "JWKS endpoint answered with HTTP {status}")
            }
            Self::TimedOut { after } => {
                write!(f, "JWKS fetch did not complete within {after:?}")
            }
            Self::BodyTooLarge {
                limit,
                size: Some(size),
            } => write!(
                f,
                "JWKS response body is {size} bytes, more than the limit of {limit} bytes"
            ),
            Self::BodyTooLarge { limit, size: None } => write!(
                f,
                "JWKS response body is larger than the limit of {limit} bytes"
            ),
            Self::Malformed { content_type, .. } => match content_type {
                Some(ct) => write!(
                    f,
                    "JWKS response (content type {ct:?}) is not a JSON Web Key Set"
                ),
                None => f.write_str("JWKS response is not a JSON Web Key Set"),
            },
            Self::NoUsableKeys { listed } => write!(
                f,
                "JWKS lists {listed} key(s), none of which can verify signatures"
            ),
            Self::Discovery(_) => f.write_str("OpenID Connect discovery of the JWKS failed"),
            Self::NoRuntime => {
                f.write_str("fetching the JWKS needs a Tokio runtime, and none is running")
            }
            Self::Interrupted => f.write_str("JWKS fetch task ended without a result"),
        }
    }
}

impl fmt::Debug for JwksFetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Transport { source } => {
                f.debug_struct("Transport").field("source", source).finish()
            }
            Self::Status { status, source } => f
                .debug_struct("Status")
                .field("status", status)
                .field("source", source)
                .finish(),
            Self::TimedOut { after } => f.debug_struct("TimedOut").field("after", after).finish(),
            Self::BodyTooLarge { limit, size } => f
                .debug_struct("BodyTooLarge")
                .field("limit", limit)
                .field("size", size)
                .finish(),
            Self::Malformed {
                content_type,
                source,
            } => f
                .debug_struct("Malformed")
                .field("content_type", content_type)
                .field("source", source)
                .finish(),
            Self::NoUsableKeys { listed } => f
                .debug_struct("NoUsableKeys")
                .field("listed", listed)
                .finish(),
            Self::Discovery(error) => f.debug_tuple("Discovery").field(error).finish(),
            Self::NoRuntime => f.write_str("NoRuntime"),
            Self::Interrupted => f.write_str("Interrupted"),
        }
    }
}

impl StdError for JwksFetchError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        // Hand out the inner error itself (not the `Arc`), so callers can
        // `downcast_ref::<auth0_core::error::Error>()` the source.
        match self {
            Self::Transport { source } => Some(source.as_ref()),
            Self::Status {
                source: Some(source),
                ..
            } => Some(source.as_ref()),
            Self::Malformed { source, .. } => Some(source.as_ref()),
            Self::Discovery(error) => Some(error),
            _ => None,
        }
    }
}

/// Why a [`RemoteJwks`](super::RemoteJwks) could not be built.
///
/// # Example
///
/// ```
/// use auth0_jwt::jwks::JwksBuildError;
///
/// let err = JwksBuildError::ZeroSetting { setting: "ttl" };
/// assert_eq!(err.to_string(), "JWKS setting `ttl` must be greater than zero");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwksBuildError {
    /// The JWKS URL is not an absolute `https://` (or loopback `http://`)
    /// URL. Likely cause: a bare domain or a relative path was passed where a
    /// full URL is needed; use the domain constructor for a bare domain.
    #[error("invalid JWKS URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The JWKS URL uses plain `http://` to a host that is not a loopback
    /// address. Keys fetched without TLS could be replaced in transit, so only
    /// `https://` is accepted outside local tests.
    #[error(
        "JWKS URL {url:?} must use https:// (plain http:// is allowed only for loopback hosts)"
    )]
    InsecureUrl {
        /// The URL as given.
        url: String,
    },
    /// A duration or size setting is zero. Likely cause: a unit mistake
    /// (e.g. `Duration::from_secs(0)` for a TTL).
    #[error("JWKS setting `{setting}` must be greater than zero")]
    ZeroSetting {
        /// The builder method whose value was zero.
        setting: &'static str,
    },
    /// Background refresh was requested but no Tokio runtime is running on
    /// the thread calling `build()`. Likely cause: the key source is built
    /// before the runtime starts; build it inside the runtime instead.
    #[error("background JWKS refresh needs a Tokio runtime, and none is running")]
    NoRuntime,
}
