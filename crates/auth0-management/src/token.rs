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
//!   one: concurrent 401s cause one re-fetch).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use auth0_core::client::{Auth0Client, form_urlencode};
use auth0_core::error::body_snippet;
use auth0_core::retry::RetryNonIdempotent;
use auth0_jwt::clock::Clock;
use auth0_jwt::sign::SigningKey;
use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use http::{Method, Request};
use serde::Deserialize;

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
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Static(_) => f.write_str("Static(<redacted>)"),
            TokenSource::ClientCredentials(c) => {
                f.debug_tuple("ClientCredentials").field(c).finish()
            }
        }
    }
}

/// How the application proves its identity at `/oauth/token`.
#[derive(Clone)]
enum ClientAuth {
    /// `client_secret_post`.
    Secret(String),
    /// `private_key_jwt`: a signed client assertion.
    PrivateKeyJwt(Arc<SigningKey>),
}

/// Client-credentials settings: client id, secret or signing key, audience.
///
/// The audience defaults to `https://{domain}/api/v2/`.
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
    client_id: String,
    auth: ClientAuth,
    audience: Option<String>,
}

impl ClientCredentials {
    /// Authenticates with a client secret (`client_secret_post`).
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            auth: ClientAuth::Secret(client_secret.into()),
            audience: None,
        }
    }

    /// Authenticates with a signed client assertion (`private_key_jwt`):
    /// `iss` = `sub` = client id, `aud` = `https://{domain}/`, valid for
    /// 60 s, random `jti`.
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
        Self {
            client_id: client_id.into(),
            auth: ClientAuth::PrivateKeyJwt(Arc::new(key)),
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
        &self.client_id
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = match &self.auth {
            ClientAuth::Secret(_) => "client_secret_post",
            ClientAuth::PrivateKeyJwt(_) => "private_key_jwt",
        };
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("auth", &auth)
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
}

impl fmt::Debug for TokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.kind {
            Kind::Static => "static",
            Kind::Fetched { .. } => "client_credentials",
        };
        f.debug_struct("TokenProvider")
            .field("kind", &kind)
            .field("completed_fetches", &self.completed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    token_type: Option<String>,
    expires_in: Option<serde_json::Number>,
}

const FORM_URLENCODED: HeaderValue = HeaderValue::from_static("application/x-www-form-urlencoded");
const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
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
    /// A provider for `source`; `default_audience` is
    /// `https://{domain}/api/v2/`.
    pub(crate) fn new(
        source: TokenSource,
        default_audience: String,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, crate::error::BuildError> {
        use crate::error::BuildError;
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
                if credentials.client_id.is_empty() {
                    return Err(BuildError::InvalidCredential {
                        what: "client_id",
                        reason: "it is empty",
                    });
                }
                if matches!(&credentials.auth, ClientAuth::Secret(s) if s.is_empty()) {
                    return Err(BuildError::InvalidCredential {
                        what: "client_secret",
                        reason: "it is empty",
                    });
                }
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
        };
        Ok(Self {
            kind,
            clock,
            current: RwLock::new(current),
            refresh: tokio::sync::Mutex::new(()),
            completed: AtomicU64::new(0),
            generation: AtomicU64::new(1),
            last_failure: Mutex::new(None),
        })
    }

    /// True when a 401 is worth a new token.
    pub(crate) fn can_refresh(&self) -> bool {
        matches!(self.kind, Kind::Fetched { .. })
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

    /// A token to send now.
    pub(crate) async fn get<S: ManagementService>(
        &self,
        http: &Auth0Client<S>,
    ) -> Result<Arc<CachedToken>, Error> {
        if let Some(token) = self.current() {
            let now = self.clock.now();
            if now < token.refresh_at {
                return Ok(token);
            }
            if now < token.expires_at {
                // Usable but due for renewal: one caller renews, the others
                // go on with the current token.
                if let Ok(_guard) = self.refresh.try_lock() {
                    if let Some(newer) = self.current().filter(|t| t.generation != token.generation)
                    {
                        return Ok(newer);
                    }
                    if let Ok(fresh) = self.fetch_and_store(http).await {
                        return Ok(fresh);
                    }
                }
                return Ok(token);
            }
        }
        // Missing or expired: everyone waits for one fetch.
        let seen = self.completed.load(Ordering::SeqCst);
        let _guard = self.refresh.lock().await;
        if let Some(token) = self.current() {
            if self.clock.now() < token.expires_at {
                return Ok(token);
            }
        }
        if let Some((at, err)) = self
            .last_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            if *at > seen {
                return Err(Error::Token(Arc::clone(err)));
            }
        }
        self.fetch_and_store(http).await
    }

    /// Fetches a token (the caller holds the refresh lock) and records the
    /// outcome.
    async fn fetch_and_store<S: ManagementService>(
        &self,
        http: &Auth0Client<S>,
    ) -> Result<Arc<CachedToken>, Error> {
        let outcome = self.fetch(http).await;
        let number = self.completed.fetch_add(1, Ordering::SeqCst) + 1;
        match outcome {
            Ok(token) => {
                let token = Arc::new(token);
                self.store(Some(Arc::clone(&token)));
                Ok(token)
            }
            Err(err) => {
                let err = Arc::new(err);
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
        let Kind::Fetched {
            credentials,
            audience,
        } = &self.kind
        else {
            return Err(TokenError::InvalidResponse {
                reason: "a static token cannot be refreshed",
            });
        };
        let started = self.clock.now();
        let assertion;
        let mut fields: Vec<(&str, &str)> = vec![
            ("grant_type", "client_credentials"),
            ("client_id", &credentials.client_id),
            ("audience", audience),
        ];
        match &credentials.auth {
            ClientAuth::Secret(secret) => fields.push(("client_secret", secret)),
            ClientAuth::PrivateKeyJwt(key) => {
                assertion = sign_assertion(
                    key,
                    &credentials.client_id,
                    &http.domain().issuer(),
                    started,
                )?;
                fields.push(("client_assertion_type", ASSERTION_TYPE));
                fields.push(("client_assertion", &assertion));
            }
        }
        let mut request = Request::new(Bytes::from(form_urlencode(fields)));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = http::Uri::from_static("/oauth/token");
        request.headers_mut().insert(CONTENT_TYPE, FORM_URLENCODED);
        request.headers_mut().insert(ACCEPT, APPLICATION_JSON);
        // Asking for a token twice is harmless: let the stack retry 5xx.
        request.extensions_mut().insert(RetryNonIdempotent);

        let response = http.send(request).await.map_err(TokenError::Http)?;
        let status = response.status();
        if status.is_client_error() || status.is_server_error() {
            return Err(TokenError::Http(auth0_core::error::Error::from_response(
                &response,
            )));
        }
        let body = response.body();
        let parsed: TokenResponse = serde_json::from_slice(body).map_err(|e| {
            TokenError::Http(auth0_core::error::Error::Decode {
                status,
                body_snippet: body_snippet(body),
                source: Box::new(e),
            })
        })?;
        let access_token = parsed.access_token.ok_or(TokenError::InvalidResponse {
            reason: "no access_token",
        })?;
        if let Some(kind) = &parsed.token_type {
            if !kind.eq_ignore_ascii_case("bearer") {
                return Err(TokenError::InvalidResponse {
                    reason: "token_type is not Bearer",
                });
            }
        }
        let lifetime = parsed
            .expires_in
            .as_ref()
            .and_then(|n| {
                n.as_i64()
                    .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            })
            .filter(|secs| *secs > 0)
            .ok_or(TokenError::InvalidResponse {
                reason: "expires_in is missing or not a positive number",
            })?;
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

fn sign_assertion(
    key: &SigningKey,
    client_id: &str,
    audience: &str,
    now: i64,
) -> Result<String, TokenError> {
    let mut jti = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut jti)
        .map_err(|_| TokenError::Assertion("the system random number generator failed".into()))?;
    let jti: String = jti.iter().map(|b| format!("{b:02x}")).collect();
    let claims = serde_json::json!({
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": now,
        "exp": now.saturating_add(60),
        "jti": jti,
    });
    key.sign_token(&serde_json::Map::new(), &claims)
        .map_err(|e| TokenError::Assertion(Box::new(e)))
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

    #[test]
    fn assertion_has_expected_claims() {
        let key = SigningKey::generate_ed25519().unwrap();
        let jwt = sign_assertion(&key, "cid", "https://t.auth0.com/", 1000).unwrap();
        let jws = auth0_jwt::jws::Jws::parse(&jwt, &Default::default()).unwrap();
        let c = jws.claims();
        assert_eq!(c["iss"], "cid");
        assert_eq!(c["sub"], "cid");
        assert_eq!(c["aud"], "https://t.auth0.com/");
        assert_eq!(c["exp"], 1060);
        assert_eq!(c["jti"].as_str().unwrap().len(), 32);
    }
}
