//! The Management API access token: a static one, or one obtained with the
//! client-credentials grant, cached, refreshed ahead of expiry and fetched
//! by one caller at a time.
//!
//! Refresh rules (times from the injectable [`Clock`], whole seconds):
//!
//! * a token fetched at `t` with `expires_in = L` is **fresh** until
//!   `t + L − min(60 s, L / 10)`, **usable** until `t + L` (`t` is taken
//!   before the request is sent, so network latency shortens, never extends,
//!   the token's life here);
//! * fresh → used as is (a read lock, no await);
//! * usable but not fresh → one caller refreshes while the others keep
//!   using the old token (a failed early refresh is ignored: the old token
//!   is still good);
//! * missing or expired → every caller waits for a single fetch (an async
//!   mutex); callers that were waiting when that fetch failed all get the
//!   same error instead of each trying again;
//! * a `401` from the API invalidates the token that was sent (only that
//!   one: concurrent 401s cause one re-fetch);
//! * wrong credentials (the token endpoint answers 401/403, or
//!   `access_denied` / `invalid_client` / `unauthorized_client`) are
//!   remembered: until a backoff elapses (5 s, doubling on each further
//!   refusal, at most 5 min; tokio's clock) every caller gets that typed
//!   error without a request, so a misconfigured client does not send every
//!   API call to `/oauth/token`;
//! * a `429` from the token endpoint that reaches the caller (its wait is
//!   longer than the retry layer's) is remembered the same way until the
//!   reset it names (`x-ratelimit-reset` / `Retry-After`; 5 s when it names
//!   none; at most 5 min): asking again sooner only spends the limit again.
//!
//! The token itself comes from auth0-authentication's
//! [`ClientCredentials::request_token`](auth0_authentication::ClientCredentials::request_token),
//! the SDK's one client-credentials grant and client authentication
//! (a `private_key_jwt` assertion is signed afresh for every attempt).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use auth0_core::client::Auth0Client;
use auth0_jwt::clock::Clock;
use auth0_jwt::sign::SigningKey;
use http::StatusCode;
use http::header::HeaderValue;
use tracing::Instrument as _;

use auth0_authentication::token_source::{AccessTokenSource, TokenRequest};

use crate::client::ManagementService;
use crate::error::{Error, TokenError};

/// How the client authenticates to the Management API.
///
/// `Debug` never shows the token or the secret.
///
/// ```
/// use auth0_management::token::{ClientCredentials, TokenSource};
///
/// let fixed = TokenSource::Static("eyJ…".to_owned());
/// let fetched = TokenSource::ClientCredentials(ClientCredentials::new("client-id", "s3cr3t-value"));
/// let shown = format!("{fixed:?} {fetched:?}");
/// assert!(!shown.contains("eyJ") && !shown.contains("s3cr3t-value"));
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub enum TokenSource {
    /// A token obtained elsewhere, used until it stops working (a `401` is
    /// returned as an error; nothing is refreshed).
    Static(String),
    /// Tokens fetched from `/oauth/token` with the client-credentials grant.
    ClientCredentials(ClientCredentials),
    /// Tokens from a source of your own (a token shared by a fleet, a
    /// secrets manager, a closure: see
    /// [`auth0_authentication::token_source`]), asked for the tenant's
    /// `https://{domain}/api/v2/` audience and `client_id`. The client's
    /// in-process cache sits in front of it as for the built-in grant:
    /// early refresh, one request at a time, a `401` from the API asks
    /// again, refused credentials back off.
    Source {
        /// The application the token is for (passed to the source).
        client_id: String,
        /// The source.
        source: Arc<dyn AccessTokenSource>,
    },
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Static(_) => f.write_str("Static(<redacted>)"),
            TokenSource::ClientCredentials(c) => {
                f.debug_tuple("ClientCredentials").field(c).finish()
            }
            TokenSource::Source { client_id, .. } => f
                .debug_struct("Source")
                .field("client_id", client_id)
                .finish_non_exhaustive(),
        }
    }
}

/// Lifetime of the `private_key_jwt` assertions the Management client
/// signs.
const ASSERTION_LIFETIME: Duration = Duration::from_secs(60);

/// Client-credentials settings: client id, secret or signing key, audience.
///
/// The audience defaults to `https://{domain}/api/v2/`. Client
/// authentication and the grant itself are auth0-authentication's
/// [`ClientCredentials`](auth0_authentication::ClientCredentials): one
/// implementation for both API clients.
///
/// ```
/// use auth0_management::token::ClientCredentials;
///
/// let creds = ClientCredentials::new("my-client-id", "my-secret")
///     .audience("https://tenant.eu.auth0.com/api/v2/");
/// assert!(!format!("{creds:?}").contains("my-secret"));
/// ```
#[derive(Clone)]
pub struct ClientCredentials {
    credentials: auth0_authentication::ClientCredentials,
    audience: Option<String>,
}

impl ClientCredentials {
    /// Authenticates with a client secret (`client_secret_post`).
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self::from_credentials(
            auth0_authentication::ClientCredentials::client_secret(client_id, client_secret)
                .with_assertion_lifetime(ASSERTION_LIFETIME),
        )
    }

    /// Authenticates with a signed client assertion (`private_key_jwt`):
    /// `iss` = `sub` = client id, `aud` = `https://{domain}/`, valid for
    /// 60 s, random `jti`, a new one for every attempt.
    ///
    /// ```
    /// use auth0_jwt::sign::SigningKey;
    /// use auth0_management::token::ClientCredentials;
    ///
    /// let key = SigningKey::generate_es256()?;
    /// let creds = ClientCredentials::private_key_jwt("my-client-id", key);
    /// # let _ = creds;
    /// # Ok::<(), auth0_jwt::sign::SignError>(())
    /// ```
    pub fn private_key_jwt(client_id: impl Into<String>, key: SigningKey) -> Self {
        Self::from_credentials(
            auth0_authentication::ClientCredentials::private_key_jwt(client_id, key)
                .with_assertion_lifetime(ASSERTION_LIFETIME),
        )
    }

    /// Uses credentials built for the Authentication API (e.g. shared
    /// with an [`AuthenticationClient`](auth0_authentication::AuthenticationClient)).
    pub fn from_credentials(credentials: auth0_authentication::ClientCredentials) -> Self {
        Self {
            credentials,
            audience: None,
        }
    }

    /// Sets the audience (default `https://{domain}/api/v2/`), e.g. when
    /// calling through a custom domain.
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        self.credentials.client_id()
    }

    /// The client id and client authentication.
    pub fn credentials(&self) -> &auth0_authentication::ClientCredentials {
        &self.credentials
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("credentials", &self.credentials)
            .field("audience", &self.audience)
            .finish()
    }
}

/// A token ready to send.
pub(crate) struct CachedToken {
    /// `Bearer …`, marked sensitive.
    pub(crate) header: HeaderValue,
    /// Unix second after which the token is not used.
    expires_at: i64,
    /// Unix second after which one caller refreshes it.
    refresh_at: i64,
    /// Identifies this token for invalidation after a 401.
    pub(crate) generation: u64,
}

enum Kind {
    Static,
    Fetched {
        credentials: ClientCredentials,
        audience: String,
    },
    Source {
        source: Arc<dyn AccessTokenSource>,
        request: TokenRequest,
    },
}

/// Holds and refreshes the token. Not generic over the service: the HTTP
/// client is passed to each call.
pub(crate) struct TokenProvider {
    kind: Kind,
    clock: Arc<dyn Clock>,
    current: RwLock<Option<Arc<CachedToken>>>,
    refresh: tokio::sync::Mutex<()>,
    /// Fetches finished so far (success or failure).
    completed: AtomicU64,
    generation: AtomicU64,
    /// The latest failed fetch: its completion number and error.
    last_failure: Mutex<Option<(u64, Arc<TokenError>)>>,
    /// Credentials the token endpoint refused: the error, until when it is
    /// served without asking again, and the backoff that set that time.
    refused: Mutex<Option<Refusal>>,
}

/// A remembered refusal of the credentials, or rate limit of the token
/// endpoint.
struct Refusal {
    error: Arc<TokenError>,
    until: tokio::time::Instant,
    /// The refusal backoff that set `until`; zero for a rate limit, which
    /// waits for the reset the endpoint named instead.
    backoff: Duration,
}

/// First wait after the token endpoint refuses the credentials.
const REFUSAL_BACKOFF: Duration = Duration::from_secs(5);
/// Longest wait between two attempts with refused credentials.
const MAX_REFUSAL_BACKOFF: Duration = Duration::from_secs(300);

impl fmt::Debug for TokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.kind {
            Kind::Static => "static",
            Kind::Fetched { .. } => "client_credentials",
            Kind::Source { .. } => "source",
        };
        f.debug_struct("TokenProvider")
            .field("kind", &kind)
            .field("completed_fetches", &self.completed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Refresh at most this long before expiry (less for short-lived tokens).
const REFRESH_LEEWAY_SECS: i64 = 60;

fn bearer(token: &str) -> Result<HeaderValue, &'static str> {
    if token.is_empty() {
        return Err("the token is empty");
    }
    let mut value = HeaderValue::try_from(format!("Bearer {token}"))
        .map_err(|_| "the token contains characters not allowed in a header")?;
    value.set_sensitive(true);
    Ok(value)
}

impl TokenProvider {
    /// A provider for `source` on the tenant `issuer` (`https://{domain}/`);
    /// the audience defaults to `{issuer}api/v2/`.
    pub(crate) fn new(
        source: TokenSource,
        issuer: String,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, crate::error::BuildError> {
        use crate::error::BuildError;
        let default_audience = format!("{issuer}api/v2/");
        let (kind, current) = match source {
            TokenSource::Static(token) => {
                let header = bearer(&token).map_err(|reason| BuildError::InvalidCredential {
                    what: "token",
                    reason,
                })?;
                let token = CachedToken {
                    header,
                    expires_at: i64::MAX,
                    refresh_at: i64::MAX,
                    generation: 0,
                };
                (Kind::Static, Some(Arc::new(token)))
            }
            TokenSource::ClientCredentials(credentials) => {
                use auth0_authentication::BuildError as Invalid;
                if let Err(e) = credentials.credentials.validate() {
                    let (what, reason) = match e {
                        Invalid::EmptyClientId => ("client_id", "it is empty"),
                        Invalid::EmptyClientSecret => ("client_secret", "it is empty"),
                        Invalid::SymmetricAssertionKey { .. } => (
                            "private_key",
                            "client assertions need an asymmetric key, not an HMAC secret",
                        ),
                        _ => ("client_credentials", "the settings are invalid"),
                    };
                    return Err(BuildError::InvalidCredential { what, reason });
                }
                // The provider's clock dates the assertions too.
                let mut credentials = credentials;
                credentials.credentials = credentials
                    .credentials
                    .clone()
                    .with_clock(Arc::clone(&clock));
                let audience = credentials.audience.clone().unwrap_or(default_audience);
                if audience.is_empty() {
                    return Err(BuildError::InvalidCredential {
                        what: "audience",
                        reason: "it is empty",
                    });
                }
                (
                    Kind::Fetched {
                        credentials,
                        audience,
                    },
                    None,
                )
            }
            TokenSource::Source { client_id, source } => {
                if client_id.is_empty() {
                    return Err(BuildError::InvalidCredential {
                        what: "client_id",
                        reason: "it is empty",
                    });
                }
                let request = TokenRequest::new(issuer, default_audience, client_id);
                (Kind::Source { source, request }, None)
            }
        };
        Ok(Self {
            kind,
            clock,
            current: RwLock::new(current),
            refresh: tokio::sync::Mutex::new(()),
            completed: AtomicU64::new(0),
            generation: AtomicU64::new(1),
            last_failure: Mutex::new(None),
            refused: Mutex::new(None),
        })
    }

    /// True when a 401 is worth a new token.
    pub(crate) fn can_refresh(&self) -> bool {
        !matches!(self.kind, Kind::Static)
    }

    fn current(&self) -> Option<Arc<CachedToken>> {
        // A poisoned lock still holds a consistent Option<Arc<_>>: the only
        // writes are whole-value assignments.
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn store(&self, token: Option<Arc<CachedToken>>) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = token;
    }

    /// Forgets the token of `generation` (after a 401), unless it was
    /// already replaced.
    pub(crate) fn invalidate(&self, generation: u64) {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        if current.as_ref().is_some_and(|t| t.generation == generation) {
            *current = None;
        }
    }

    /// The cached token while it is fresh (before its early-refresh time):
    /// the path of nearly every call, with nothing to await.
    pub(crate) fn fresh(&self) -> Option<Arc<CachedToken>> {
        let token = self
            .current()
            .filter(|token| self.clock.now() < token.refresh_at)?;
        let _ = self.span(tracing::Level::DEBUG, "hit");
        Some(token)
    }

    /// A token to send now.
    ///
    /// Traced as an `auth0.token` span (target `auth0`; see
    /// `docs/TRACING.md`): DEBUG when the cached token is fresh, INFO when
    /// this call waits for, refreshes or fetches one.
    pub(crate) async fn get<S: ManagementService>(
        &self,
        http: &Auth0Client<S>,
    ) -> Result<Arc<CachedToken>, Error> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let span = self.span(tracing::Level::INFO, "miss");
        let result = self.get_slow(http, &span).instrument(span.clone()).await;
        if let Err(Error::Token(err)) = &result {
            span.record("error.type", token_error_type(err).as_ref());
        }
        result
    }

    /// The `auth0.token` span at `level`, with the cache outcome `cache`
    /// (changed later if the call ends otherwise). Never the token.
    fn span(&self, level: tracing::Level, cache: &'static str) -> tracing::Span {
        let (grant, audience) = match &self.kind {
            Kind::Static => ("static", None),
            Kind::Fetched { audience, .. } => ("client_credentials", Some(audience.as_str())),
            Kind::Source { request, .. } => ("token_source", Some(request.audience.as_str())),
        };
        macro_rules! token_span {
            ($level:expr) => {
                tracing::span!(
                    target: "auth0",
                    $level,
                    "auth0.token",
                    auth0.grant_type = grant,
                    auth0.audience = audience,
                    auth0.token.cache = cache,
                    auth0.token.expires_in = tracing::field::Empty,
                    error.type = tracing::field::Empty,
                )
            };
        }
        if level == tracing::Level::DEBUG {
            token_span!(tracing::Level::DEBUG)
        } else {
            token_span!(tracing::Level::INFO)
        }
    }

    /// [`get`](Self::get) past a fresh cached token.
    async fn get_slow<S: ManagementService>(
        &self,
        http: &Auth0Client<S>,
        span: &tracing::Span,
    ) -> Result<Arc<CachedToken>, Error> {
        if let Some(token) = self.current()
            && self.clock.now() < token.expires_at
        {
            // Usable but due for renewal: one caller renews, the others
            // go on with the current token.
            span.record("auth0.token.cache", "hit");
            if let Ok(_guard) = self.refresh.try_lock() {
                if let Some(newer) = self.current().filter(|t| t.generation != token.generation) {
                    return Ok(newer);
                }
                if self.refusal().is_none() {
                    span.record("auth0.token.cache", "refresh");
                    match self.fetch_boxed(http, span).await {
                        Ok(fresh) => return Ok(fresh),
                        // The old token is still good: the call goes on.
                        Err(Error::Token(err)) => {
                            span.record("error.type", token_error_type(&err).as_ref());
                        }
                        Err(_) => {}
                    }
                }
            }
            return Ok(token);
        }
        // Missing or expired: everyone waits for one fetch.
        let seen = self.completed.load(Ordering::SeqCst);
        let _guard = self.refresh.lock().await;
        if let Some(token) = self.current()
            && self.clock.now() < token.expires_at
        {
            // Another caller's fetch, waited for.
            span.record("auth0.token.cache", "hit");
            return Ok(token);
        }
        if let Some((at, err)) = self
            .last_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            && *at > seen
        {
            return Err(Error::Token(Arc::clone(err)));
        }
        if let Some(err) = self.refusal() {
            // Refused credentials, remembered: no request.
            span.record("auth0.token.cache", "refused");
            return Err(Error::Token(err));
        }
        self.fetch_boxed(http, span).await
    }

    /// [`Self::fetch_and_store`] on the heap: a token request is a whole
    /// HTTP call, and inlined into `get` its state would be part of every
    /// Management call's future (copied and allocated with it), though it
    /// runs once an hour.
    fn fetch_boxed<'a, S: ManagementService>(
        &'a self,
        http: &'a Auth0Client<S>,
        span: &'a tracing::Span,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Arc<CachedToken>, Error>> + Send + 'a>,
    > {
        Box::pin(self.fetch_and_store(http, span))
    }

    /// The remembered refusal of the credentials, while its backoff runs.
    fn refusal(&self) -> Option<Arc<TokenError>> {
        let refused = self.refused.lock().unwrap_or_else(PoisonError::into_inner);
        refused
            .as_ref()
            .filter(|r| tokio::time::Instant::now() < r.until)
            .map(|r| Arc::clone(&r.error))
    }

    /// Remembers a fetch outcome for the negative cache: a refusal of the
    /// credentials starts (or doubles) the backoff, a `429` is kept until
    /// the reset it names, a success clears both.
    fn record_refusal(&self, outcome: Result<(), &Arc<TokenError>>) {
        let mut refused = self.refused.lock().unwrap_or_else(PoisonError::into_inner);
        match outcome {
            Ok(()) => *refused = None,
            Err(err) if is_refusal(err) => {
                let backoff = refused
                    .as_ref()
                    .filter(|r| !r.backoff.is_zero())
                    .map_or(REFUSAL_BACKOFF, |r| {
                        (r.backoff * 2).min(MAX_REFUSAL_BACKOFF)
                    });
                *refused = Some(Refusal {
                    error: Arc::clone(err),
                    until: tokio::time::Instant::now() + backoff,
                    backoff,
                });
            }
            // A 429 is kept until its reset: asking again sooner only
            // spends the limit again (every call would send its own token
            // request meanwhile). Timeouts and 5xx are left to the retry
            // layer: nothing kept.
            Err(err) => {
                if let Some(wait) = rate_limit_wait(err) {
                    *refused = Some(Refusal {
                        error: Arc::clone(err),
                        until: tokio::time::Instant::now() + wait,
                        backoff: Duration::ZERO,
                    });
                }
            }
        }
    }

    /// Fetches a token (the caller holds the refresh lock) and records the
    /// outcome.
    async fn fetch_and_store<S: ManagementService>(
        &self,
        http: &Auth0Client<S>,
        span: &tracing::Span,
    ) -> Result<Arc<CachedToken>, Error> {
        let outcome = self.fetch(http).await;
        if let Ok(token) = &outcome {
            span.record(
                "auth0.token.expires_in",
                token.expires_at.saturating_sub(self.clock.now()),
            );
        }
        let number = self.completed.fetch_add(1, Ordering::SeqCst) + 1;
        match outcome {
            Ok(token) => {
                self.record_refusal(Ok(()));
                let token = Arc::new(token);
                self.store(Some(Arc::clone(&token)));
                Ok(token)
            }
            Err(err) => {
                let err = Arc::new(err);
                self.record_refusal(Err(&err));
                *self
                    .last_failure
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some((number, Arc::clone(&err)));
                Err(Error::Token(err))
            }
        }
    }

    async fn fetch<S: ManagementService>(
        &self,
        http: &Auth0Client<S>,
    ) -> Result<CachedToken, TokenError> {
        let (credentials, audience) = match &self.kind {
            Kind::Fetched {
                credentials,
                audience,
            } => (credentials, audience),
            Kind::Source { source, request } => return self.ask_source(source, request).await,
            Kind::Static => {
                return Err(TokenError::InvalidResponse {
                    reason: "a static token cannot be refreshed",
                });
            }
        };
        let started = self.clock.now();
        let parsed = credentials
            .credentials
            .request_token(http, audience, None)
            .await
            .map_err(TokenError::Http)?;
        // RFC 6750 §6.1.1: the token type is case-insensitive.
        if !parsed.token_type.eq_ignore_ascii_case("bearer") {
            return Err(TokenError::InvalidResponse {
                reason: "token_type is not Bearer",
            });
        }
        let lifetime = parsed
            .expires_in
            .and_then(|secs| i64::try_from(secs).ok())
            .filter(|secs| *secs > 0)
            .ok_or(TokenError::InvalidResponse {
                reason: "expires_in is missing or not a positive number",
            })?;
        let access_token = parsed.access_token;
        let header =
            bearer(&access_token).map_err(|reason| TokenError::InvalidResponse { reason })?;
        let window = REFRESH_LEEWAY_SECS.min(lifetime / 10);
        let expires_at = started.saturating_add(lifetime);
        Ok(CachedToken {
            header,
            expires_at,
            refresh_at: expires_at.saturating_sub(window),
            generation: self.generation.fetch_add(1, Ordering::SeqCst),
        })
    }
}

impl TokenProvider {
    /// A token from a caller's source, checked like a fetched one.
    async fn ask_source(
        &self,
        source: &Arc<dyn AccessTokenSource>,
        request: &TokenRequest,
    ) -> Result<CachedToken, TokenError> {
        let issued = source.access_token(request).await.map_err(|e| match e
            .downcast::<auth0_core::error::Error>()
        {
            Ok(core) => TokenError::Http(*core),
            Err(other) => TokenError::Source(other),
        })?;
        let now = self.clock.now();
        let lifetime = issued.expires_at().saturating_sub(now);
        if lifetime <= 0 {
            return Err(TokenError::InvalidResponse {
                reason: "the source gave an expired token",
            });
        }
        let header = bearer(issued.access_token())
            .map_err(|reason| TokenError::InvalidResponse { reason })?;
        let window = REFRESH_LEEWAY_SECS.min(lifetime / 10);
        Ok(CachedToken {
            header,
            expires_at: issued.expires_at(),
            refresh_at: issued.expires_at().saturating_sub(window),
            generation: self.generation.fetch_add(1, Ordering::SeqCst),
        })
    }
}

/// The `error.type` of a failed token fetch: auth0-core's name for an SDK
/// error (`401`, `timeout`, …), else what went wrong with the answer.
fn token_error_type(err: &TokenError) -> std::borrow::Cow<'static, str> {
    match err {
        TokenError::Http(e) => auth0_core::trace::error_type_of(e),
        TokenError::InvalidResponse { .. } => "invalid_response".into(),
        TokenError::Assertion(_) => "assertion".into(),
        TokenError::Source(_) => "token_source".into(),
    }
}

/// How long a token request that ended in a `429` should not be sent
/// again: until the reset the answer named (`x-ratelimit-reset` or
/// `Retry-After`, as auth0-core read it), else the first refusal backoff;
/// at most [`MAX_REFUSAL_BACKOFF`]. `None` for any other error, or a reset
/// already past.
fn rate_limit_wait(err: &TokenError) -> Option<Duration> {
    let TokenError::Http(auth0_core::Error::RateLimited(limited)) = err else {
        return None;
    };
    // The endpoint named no reset: the first refusal backoff.
    let wait = limited
        .until_reset(std::time::SystemTime::now())
        .unwrap_or(REFUSAL_BACKOFF);
    (!wait.is_zero()).then(|| wait.min(MAX_REFUSAL_BACKOFF))
}

/// True when the token endpoint refused the credentials themselves
/// (RFC 6749 §5.2: `invalid_client`, `unauthorized_client`; Auth0 answers
/// `access_denied` with 401/403 for a wrong secret or a missing grant).
fn is_refusal(err: &TokenError) -> bool {
    let TokenError::Http(e) = err else {
        return false;
    };
    let Some(api) = e.auth0_error() else {
        return false;
    };
    matches!(
        api.status_code,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
    ) || matches!(
        api.error_code.as_str(),
        "access_denied" | "invalid_client" | "unauthorized_client"
    ) && api.status_code.is_client_error()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_header_is_sensitive_and_checked() {
        let h = bearer("abc").unwrap();
        assert!(h.is_sensitive());
        assert_eq!(h, "Bearer abc");
        assert!(bearer("").is_err());
        assert!(bearer("a\nb").is_err());
    }

    #[test]
    fn static_provider_never_refreshes() {
        let p = TokenProvider::new(
            TokenSource::Static("t".into()),
            "aud".into(),
            Arc::new(auth0_jwt::clock::SystemClock),
        )
        .unwrap();
        assert!(!p.can_refresh());
        assert!(format!("{p:?}").contains("static"));
    }

    #[test]
    fn empty_credentials_are_rejected() {
        let clock: Arc<dyn Clock> = Arc::new(auth0_jwt::clock::SystemClock);
        for source in [
            TokenSource::Static(String::new()),
            TokenSource::ClientCredentials(ClientCredentials::new("", "s")),
            TokenSource::ClientCredentials(ClientCredentials::new("c", "")),
            TokenSource::ClientCredentials(ClientCredentials::new("c", "s").audience("")),
        ] {
            assert!(TokenProvider::new(source, "aud".into(), Arc::clone(&clock)).is_err());
        }
    }
}
