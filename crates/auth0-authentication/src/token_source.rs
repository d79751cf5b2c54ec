//! The token-source seam: "give me a valid access token for (domain,
//! audience, client)", with its expiry.
//!
//! [`AccessTokenSource`] is what a cache asks when it has no fresh token.
//! The SDK's sources are the client-credentials grant
//! ([`ClientCredentialsSource`]) and any async closure ([`from_fn`]); a
//! shared store (a token cached in Redis for a fleet of instances) is one
//! more implementation. auth0-management's client keeps the default
//! in-process cache in front of whichever source it is given: early refresh
//! before expiry, one fetch at a time, and a negative cache with backoff on
//! refused credentials.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use auth0_core::client::Auth0Client;
use auth0_core::error::Error;
use auth0_core::types::{BoxError, HttpService};
use tracing::Instrument as _;

use crate::client_auth::ClientCredentials;

/// The future an [`AccessTokenSource`] returns.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<IssuedToken, BoxError>> + Send + 'a>>;

/// Which token is wanted: a tenant, an API and an application.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TokenRequest {
    /// The tenant's issuer URL, `https://{domain}/`.
    pub issuer: String,
    /// The API the token is for (`aud`), e.g. `https://{domain}/api/v2/`.
    pub audience: String,
    /// The application asking.
    pub client_id: String,
}

impl TokenRequest {
    /// A request for `audience` on the tenant `issuer` by `client_id`.
    pub fn new(
        issuer: impl Into<String>,
        audience: impl Into<String>,
        client_id: impl Into<String>,
    ) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            client_id: client_id.into(),
        }
    }
}

/// An access token and when it stops being valid.
///
/// `Debug` never shows the token.
///
/// ```
/// use auth0_authentication::token_source::IssuedToken;
/// let t = IssuedToken::new("eyJ.secret.sig", 1_900_000_000);
/// assert!(!format!("{t:?}").contains("eyJ"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    access_token: String,
    expires_at: i64,
}

impl IssuedToken {
    /// `access_token`, valid until `expires_at` (UNIX seconds).
    pub fn new(access_token: impl Into<String>, expires_at: i64) -> Self {
        Self {
            access_token: access_token.into(),
            expires_at,
        }
    }

    /// The token (a credential: never log it).
    pub fn access_token(&self) -> &str {
        &self.access_token
    }

    /// When the token expires, in UNIX seconds.
    pub fn expires_at(&self) -> i64 {
        self.expires_at
    }
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("access_token", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Gives a valid access token for a [`TokenRequest`].
///
/// Called by a cache when it holds no fresh token; it may itself return a
/// token it shares with other processes, as long as the expiry is right. An
/// [`auth0_core::Error`] returned boxed keeps its meaning (an error
/// response of the token endpoint with 401/403 counts as refused
/// credentials for the negative cache); anything else is a failure of the
/// source.
pub trait AccessTokenSource: Send + Sync + 'static {
    /// A valid token for `request`.
    fn access_token<'a>(&'a self, request: &'a TokenRequest) -> TokenFuture<'a>;
}

/// A source from an async closure; see [`from_fn`].
pub struct FnSource<F>(F);

impl<F> fmt::Debug for FnSource<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnSource(..)")
    }
}

/// A source that calls `f` for each token: a token minted elsewhere, a
/// secrets manager, a cache shared by a fleet.
///
/// ```
/// use auth0_authentication::token_source::{from_fn, AccessTokenSource, IssuedToken, TokenRequest};
///
/// let source = from_fn(|request: TokenRequest| async move {
///     let token = format!("token-for-{}", request.audience);
///     Ok::<_, auth0_core::types::BoxError>(IssuedToken::new(token, 1_900_000_000))
/// });
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let t = source
///     .access_token(&TokenRequest::new("https://t.auth0.com/", "api", "client"))
///     .await
///     .unwrap();
/// assert_eq!(t.access_token(), "token-for-api");
/// # });
/// ```
pub fn from_fn<F, Fut>(f: F) -> FnSource<F>
where
    F: Fn(TokenRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<IssuedToken, BoxError>> + Send + 'static,
{
    FnSource(f)
}

impl<F, Fut> AccessTokenSource for FnSource<F>
where
    F: Fn(TokenRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<IssuedToken, BoxError>> + Send + 'static,
{
    fn access_token<'a>(&'a self, request: &'a TokenRequest) -> TokenFuture<'a> {
        Box::pin((self.0)(request.clone()))
    }
}

/// The client-credentials grant as a source: [`ClientCredentials::request_token`]
/// on an HTTP client. The token's expiry is `expires_in` counted from before
/// the request was sent (by the credentials' clock), so latency shortens,
/// never extends, its life.
pub struct ClientCredentialsSource<S> {
    http: Auth0Client<S>,
    credentials: ClientCredentials,
}

impl<S> fmt::Debug for ClientCredentialsSource<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentialsSource")
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl<S> ClientCredentialsSource<S> {
    /// The grant made by `credentials` through `http`.
    pub fn new(http: Auth0Client<S>, credentials: ClientCredentials) -> Self {
        Self { http, credentials }
    }
}

/// Why a grant's answer is not a usable token.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum UnusableToken {
    /// `token_type` is not `Bearer` (RFC 6750 §6.1.1).
    #[error("token_type is not Bearer")]
    NotBearer,
    /// `expires_in` is missing or not a positive number.
    #[error("expires_in is missing or not a positive number")]
    NoExpiry,
}

/// The `error.type` of a failed fetch: auth0-core's name for an SDK
/// error (`401`, `timeout`, …), or `unusable_token`.
fn fetch_error_type(error: &(dyn std::error::Error + 'static)) -> std::borrow::Cow<'static, str> {
    match error.downcast_ref::<Error>() {
        Some(error) => auth0_core::trace::error_type_of(error),
        None => "unusable_token".into(),
    }
}

impl<S: HttpService + Sync> AccessTokenSource for ClientCredentialsSource<S> {
    fn access_token<'a>(&'a self, request: &'a TokenRequest) -> TokenFuture<'a> {
        // One span per fetch (never the token): see docs/TRACING.md.
        let span = tracing::info_span!(
            target: "auth0",
            "auth0.token.fetch",
            auth0.grant_type = "client_credentials",
            auth0.audience = %request.audience,
            auth0.token.expires_in = tracing::field::Empty,
            error.type = tracing::field::Empty,
        );
        let fetch = async move {
            let started = self.credentials.now();
            let token = self
                .credentials
                .request_token(&self.http, &request.audience, None)
                .await
                .map_err(|e: Error| Box::new(e) as BoxError)?;
            if !token.token_type.eq_ignore_ascii_case("bearer") {
                return Err(Box::new(UnusableToken::NotBearer) as BoxError);
            }
            let lifetime = token
                .expires_in
                .and_then(|secs| i64::try_from(secs).ok())
                .filter(|secs| *secs > 0)
                .ok_or_else(|| Box::new(UnusableToken::NoExpiry) as BoxError)?;
            tracing::Span::current().record("auth0.token.expires_in", lifetime);
            Ok(IssuedToken::new(
                token.access_token,
                started.saturating_add(lifetime),
            ))
        };
        Box::pin(
            async move {
                let result = fetch.await;
                if let Err(error) = &result {
                    tracing::Span::current()
                        .record("error.type", &*fetch_error_type(error.as_ref()));
                }
                result
            }
            .instrument(span),
        )
    }
}
