//! Errors of the Management API client.
//!
//! HTTP failures and error statuses keep auth0-core's typed
//! [`auth0_core::error::Error`] (inside [`Error::Http`]); this module adds
//! what is specific to the Management API: getting its access token, building
//! paths, and walking pages.

use std::sync::Arc;

use auth0_core::error::{Auth0Error, RetryAdvice};
use auth0_core::types::BoxError;
use http::StatusCode;

/// Anything that can go wrong calling the Management API.
///
/// ```
/// use auth0_management::Error;
///
/// fn describe(err: &Error) -> &'static str {
///     match err {
///         e if e.status_code() == Some(http::StatusCode::NOT_FOUND) => "no such thing",
///         Error::Token(_) => "check the client id, secret and grants",
///         e if e.is_retryable_for(&http::Method::GET) => "try again later",
///         _ => "failed",
///     }
/// }
/// # let _ = describe;
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The HTTP call failed or the Management API answered with an error
    /// status: bad input (400), a missing scope (403), an unknown id (404),
    /// the rate limit (429), server trouble (5xx), a timeout or a network
    /// failure. The inner error says which.
    #[error(transparent)]
    Http(#[from] auth0_core::error::Error),
    /// No access token could be obtained from `/oauth/token`: wrong client id
    /// or secret, the application is not authorised for the Management API
    /// (no client grant), or the token endpoint is unreachable. Every call
    /// waiting for the same failed token request gets the same shared error.
    #[error("could not obtain a Management API access token")]
    Token(#[source] Arc<TokenError>),
    /// A path parameter is unusable, e.g. an empty id (which would address a
    /// different endpoint).
    #[error("invalid path parameter: {reason}")]
    InvalidPath {
        /// What is wrong.
        reason: &'static str,
    },
    /// A request body could not be serialised to JSON (a map with
    /// non-string keys, a failing `Serialize` impl).
    #[error("the request body could not be serialised to JSON")]
    InvalidBody(#[source] serde_json::Error),
    /// A listing reached the item cap given to
    /// [`Pager::collect_all`](crate::pagination::Pager::collect_all) while
    /// more items were available: raise the cap or walk pages with
    /// [`Pager::next_page`](crate::pagination::Pager::next_page).
    #[error("the listing has more than {cap} items")]
    TooManyItems {
        /// The cap that was reached.
        cap: usize,
    },
    /// A checkpoint listing returned a `next` cursor that was already used,
    /// or an offset listing answered the next `page` with the same items
    /// (a server or proxy that ignores `page`): it would send the same pages
    /// forever.
    #[error("the server repeated a pagination cursor or page")]
    PaginationLoop,
    /// A blocking client could not make the call (feature `blocking`):
    /// called from inside an async runtime (use the async client there),
    /// or its runtime thread is gone.
    #[cfg(feature = "blocking")]
    #[error(transparent)]
    Blocking(#[from] auth0_core::blocking::BlockingError),
    /// An offset listing reached Auth0's result window: `page`/`per_page`
    /// reach only the first `limit` results, a request past them is a 400.
    /// `alternative` names the way to read everything (a users export job,
    /// checkpoint paging, a log stream).
    #[error("offset paging reaches only the first {limit} results; {alternative}")]
    ResultWindow {
        /// The window: 1,000 results.
        limit: u64,
        /// How to read the whole list instead.
        alternative: &'static str,
    },
    /// A page had an unexpected shape (neither an array nor an object with
    /// the expected list field): an API change or a proxy answering.
    #[error("unexpected page shape: {reason}")]
    InvalidPage {
        /// What was wrong.
        reason: String,
    },
}

impl Error {
    /// The HTTP status of the error response behind this error, if any
    /// (including a failed token request).
    pub fn status_code(&self) -> Option<StatusCode> {
        self.core().and_then(auth0_core::error::Error::status_code)
    }

    /// The Auth0 error response behind this error, if any.
    pub fn auth0_error(&self) -> Option<&Auth0Error> {
        self.core().and_then(auth0_core::error::Error::auth0_error)
    }

    /// Whether to make the same call again, for a call of `method` (see
    /// [`auth0_core::error::Error::retry_advice`]): a 5xx, a dropped
    /// connection or an attempt timeout is only worth resending for
    /// idempotent methods, a 429 after its reset, a connect failure always.
    /// A failed token request is judged as the `POST` it is, except that
    /// asking for a token again consumes nothing.
    pub fn retry_advice(&self, method: &http::Method) -> RetryAdvice {
        match self {
            Error::Http(e) => e.retry_advice(method),
            // The client-credentials grant is safe to repeat: judge it as
            // an idempotent request.
            Error::Token(t) => match t.as_ref() {
                TokenError::Http(e) => e.retry_advice(&http::Method::PUT),
                _ => RetryAdvice::DoNotRetry,
            },
            _ => RetryAdvice::DoNotRetry,
        }
    }

    /// True when [`Error::retry_advice`] for `method` says to send the call
    /// again ([`RetryAdvice::should_retry`]).
    pub fn is_retryable_for(&self, method: &http::Method) -> bool {
        self.retry_advice(method).should_retry()
    }

    /// The auth0-core error behind this one: the API call's, or the token
    /// request's.
    pub fn core(&self) -> Option<&auth0_core::error::Error> {
        match self {
            Error::Http(e) => Some(e),
            Error::Token(t) => match t.as_ref() {
                TokenError::Http(e) => Some(e),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Why the Management API access token could not be obtained.
///
/// ```
/// use auth0_management::{Error, TokenError};
///
/// fn wrong_credentials(err: &Error) -> bool {
///     matches!(err, Error::Token(t) if matches!(t.as_ref(), TokenError::Http(_)))
///         && err.status_code().is_some_and(|s| s == http::StatusCode::UNAUTHORIZED)
/// }
/// # let _ = wrong_credentials;
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// `/oauth/token` failed or answered with an error status:
    /// `access_denied` / `unauthorized_client` for wrong credentials or a
    /// missing client grant, a timeout or network failure otherwise.
    #[error(transparent)]
    Http(auth0_core::error::Error),
    /// The token endpoint answered 2xx without a usable token (no
    /// `access_token`, a non-Bearer `token_type`, an `expires_in` that is
    /// not a positive number): a proxy or emulator answering instead of
    /// Auth0.
    #[error("the token response is unusable: {reason}")]
    InvalidResponse {
        /// What was wrong (never the token).
        reason: &'static str,
    },
    /// The `private_key_jwt` client assertion could not be signed: a key
    /// unsuitable for its algorithm.
    #[error("could not sign the client assertion")]
    Assertion(#[source] BoxError),
    /// A token source of your own ([`TokenSource::Source`](crate::TokenSource::Source))
    /// failed with an error other than an [`auth0_core::Error`].
    #[error("the token source failed")]
    Source(#[source] BoxError),
}

/// Why a [`ManagementClient`](crate::ManagementClient) could not be built.
///
/// ```
/// use auth0_core::{Auth0Client, ClientConfig};
/// use auth0_management::{BuildError, ManagementClient};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let http = Auth0Client::new(ClientConfig::new("tenant.auth0.com")?)?;
/// let err = ManagementClient::builder(http).build().unwrap_err();
/// assert_eq!(err, BuildError::MissingTokenSource);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Neither a static token nor client credentials were given.
    #[error("no token source: call .token(..) or .client_credentials(..)")]
    MissingTokenSource,
    /// The static token or the client id is empty, or the token contains
    /// characters not allowed in an HTTP header.
    #[error("invalid {what}: {reason}")]
    InvalidCredential {
        /// Which value (`token`, `client_id`, `client_secret`, `audience`).
        what: &'static str,
        /// What is wrong (never the value).
        reason: &'static str,
    },
    /// The custom domain for `Auth0-Custom-Domain` is not a host name
    /// (empty, a URL with a scheme or path, spaces, a port, characters a
    /// header cannot carry).
    #[error("invalid custom domain: {reason}")]
    InvalidCustomDomain {
        /// What is wrong.
        reason: &'static str,
    },
}
