//! OpenID Connect Back-Channel Logout 1.0: the `logout_token` an OpenID
//! provider (Auth0) `POST`s to an application's back-channel logout URL when
//! a user's session ends.
//!
//! [`LogoutTokenValidator`] runs the checks of §2.6, in order:
//!
//! 1. signature (an asymmetric algorithm from the allow-list, keys from the
//!    trusted issuer's source) and `typ`: `logout+jwt` (explicit typing,
//!    §2.4) — `JWT` or none are accepted too unless
//!    [`require_explicit_typ`](LogoutTokenValidatorBuilder::require_explicit_typ),
//!    since providers (Auth0 among them) send `JWT`; any other type (an
//!    access token, a DPoP proof…) is refused;
//! 2. `iss` (a trusted issuer, exactly), `aud` (the client id), `iat`
//!    (required, not in the future beyond the leeway, not older than the
//!    [`max_age`](LogoutTokenValidatorBuilder::max_age)), `exp` when present;
//! 3. `sub` and/or `sid`;
//! 4. `events` is a JSON object with the member
//!    `http://schemas.openid.net/event/backchannel-logout`, itself a JSON
//!    object;
//! 5. no `nonce` (so an ID token can never pass as a logout token);
//! 6. `jti` present and not seen before within the window (the
//!    [`ReplayStore`] of DPoP: in memory by default, shared for a fleet).
//!
//! What to do with the result (end the sessions of `sid`, or all of `sub`'s)
//! is the application's; answer `200` on success and `400` on any error
//! (§2.8).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::alg::Algorithm;
use crate::claims::{Claims, ParsedClaims};
use crate::clock::{Clock, SystemClock};
use crate::dpop::{MemoryReplayStore, ProofId, ReplayStore, ReplayStoreError, Seen};
use crate::error::{Error, TokenKind};
use crate::id_token::duration_secs;
use crate::issuers::{Issuers, Trust};
use crate::jws::{HeaderRef, ParseOptions};
use crate::verifier::{KeySource, typ_is, verify_token};

const KIND: TokenKind = TokenKind::LogoutToken;

/// The `events` member that marks a logout token (§2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Default oldest `iat` accepted: 2 minutes. A logout token is sent right
/// after the logout; an older one is a replay or a very late retry.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(120);

/// Default clock skew on `iat` and `exp`: 30 seconds.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);

/// Why a logout token was refused. Never contains the token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogoutTokenError {
    /// The token failed a check it shares with ID tokens: malformed,
    /// algorithm, key, signature, issuer, audience, `exp`, claim types — or
    /// its header `typ` is neither `logout+jwt` nor (unless explicit typing
    /// is required) `JWT` or absent (§2.4): [`Error::TypeMismatch`], likely
    /// another kind of token posted to the logout endpoint.
    #[error(transparent)]
    Token(Error),
    /// `iat` is missing.
    #[error("the logout token has no `iat`")]
    MissingIssuedAt,
    /// `iat` is older than the maximum age plus leeway.
    #[error("the logout token is too old")]
    Stale,
    /// `iat` is further in the future than the leeway allows.
    #[error("the logout token is issued in the future")]
    IssuedInFuture,
    /// Neither `sub` nor `sid` is present, or one of them is present but
    /// empty (or, for `sid`, not a string) (§2.6 step 4).
    #[error(
        "the logout token has no usable `sub` or `sid` (both absent, or one empty or not a string)"
    )]
    NoSubjectOrSession,
    /// `events` is missing, not an object, or lacks the back-channel logout
    /// event as a JSON object (§2.6 step 5). Likely cause: another security
    /// event token.
    #[error("the logout token's `events` lacks the back-channel logout event")]
    MissingEvent,
    /// A `nonce` is present (§2.6 step 6): this is an ID token, not a logout
    /// token.
    #[error("the logout token must not contain a nonce")]
    NonceNotAllowed,
    /// `jti` is missing (§2.4: required).
    #[error("the logout token has no `jti`")]
    MissingJti,
    /// The same token (`iss`, `jti`) was received before within the window.
    #[error("the logout token was already used")]
    Replayed,
    /// The replay store could not answer; the token is refused since it may
    /// be a replay. A server problem (answer 5xx, the provider retries).
    #[error("the logout token replay check failed")]
    ReplayStore(#[source] ReplayStoreError),
}

impl From<Error> for LogoutTokenError {
    fn from(error: Error) -> Self {
        Self::Token(error)
    }
}

/// A verified logout token: whose sessions to end.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LogoutToken {
    /// The issuer.
    pub iss: String,
    /// The user whose sessions end (all of them when `sid` is absent).
    pub sub: Option<String>,
    /// The session that ends.
    pub sid: Option<String>,
    /// The token's unique id.
    pub jti: String,
    /// When it was issued.
    pub iat: i64,
    /// The Auth0 organization of the session, if any.
    pub org_id: Option<String>,
    /// The Auth0 organization name, if any.
    pub org_name: Option<String>,
    /// Every claim.
    pub claims: Arc<Claims>,
}

/// Validates back-channel logout tokens; see the [module docs](self).
///
/// ```
/// use auth0_jwt::logout_token::LogoutTokenValidator;
/// use auth0_jwt::sign::SigningKey;
/// use auth0_jwt::verifier::StaticKeys;
/// use auth0_jwt::{Algorithm, Clock, SystemClock};
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// # let key = SigningKey::generate_es256()?.with_typ(Some("logout+jwt".into()));
/// # let now = SystemClock.now();
/// # let logout_token = key.sign_token(&Default::default(), &serde_json::json!({
/// #     "iss": "https://tenant.auth0.com/", "aud": "my-client-id", "iat": now,
/// #     "jti": "bWJq", "sid": "08a5019c-17e1-4977-8f42-65a12843ea02", "sub": "auth0|1",
/// #     "events": {"http://schemas.openid.net/event/backchannel-logout": {}} }))?;
/// let validator = LogoutTokenValidator::builder()
///     .key_source(StaticKeys::from_key(key.verifying_key()?))
///     .issuer("https://tenant.auth0.com/")
///     .audience("my-client-id")
///     .algorithms([Algorithm::ES256])
///     .build()?;
/// let logout = validator.validate(&logout_token).await?;
/// assert_eq!(logout.sid.as_deref(), Some("08a5019c-17e1-4977-8f42-65a12843ea02"));
/// // Posted twice: refused.
/// assert!(validator.validate(&logout_token).await.is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct LogoutTokenValidator {
    trust: Trust,
    audience: String,
    algorithms: Vec<Algorithm>,
    max_age: i64,
    leeway: i64,
    explicit_typ: bool,
    replay: Arc<dyn ReplayStore>,
    clock: Arc<dyn Clock>,
    parse_options: ParseOptions,
}

impl fmt::Debug for LogoutTokenValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogoutTokenValidator")
            .field("issuers", &self.trust)
            .field("audience", &self.audience)
            .field("algorithms", &self.algorithms)
            .field("max_age", &self.max_age)
            .field("leeway", &self.leeway)
            .field("explicit_typ", &self.explicit_typ)
            .finish_non_exhaustive()
    }
}

/// Builds a [`LogoutTokenValidator`]: keys and issuer (or issuers) and the
/// audience (the application's client id) are required.
#[must_use]
pub struct LogoutTokenValidatorBuilder {
    key_source: Option<Arc<dyn KeySource>>,
    issuer: Option<String>,
    issuers: Option<Issuers>,
    audience: Option<String>,
    algorithms: Vec<Algorithm>,
    max_age: Duration,
    leeway: Duration,
    explicit_typ: bool,
    replay: Option<Arc<dyn ReplayStore>>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for LogoutTokenValidatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogoutTokenValidatorBuilder")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

impl LogoutTokenValidatorBuilder {
    /// Where keys come from (the tenant's JWKS, usually a `RemoteJwks`).
    pub fn key_source(mut self, source: impl KeySource) -> Self {
        self.key_source = Some(Arc::new(source));
        self
    }

    /// A key source shared with other validators (e.g. the ID-token one).
    pub fn shared_key_source(mut self, source: Arc<dyn KeySource>) -> Self {
        self.key_source = Some(source);
        self
    }

    /// The expected `iss`, e.g. `https://tenant.auth0.com/`.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Several trusted issuers (custom domains), each with its own keys; see
    /// [`Issuers`].
    pub fn issuers(mut self, issuers: Issuers) -> Self {
        self.issuers = Some(issuers);
        self
    }

    /// The expected audience: the application's client id.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The accepted signing algorithms (default `[RS256]`, Auth0's); only
    /// asymmetric ones.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// The oldest `iat` accepted (default [`DEFAULT_MAX_AGE`]); replays are
    /// remembered this long plus the leeway.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// Clock skew on `iat` and `exp` (default [`DEFAULT_LEEWAY`]).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Accepts only `typ: logout+jwt` (default `false`: `JWT` and no `typ`
    /// are accepted too, as providers send them; §2.4).
    pub fn require_explicit_typ(mut self, required: bool) -> Self {
        self.explicit_typ = required;
        self
    }

    /// Where seen `jti`s are remembered (default an in-memory store).
    /// Share one store between instances behind a load balancer.
    pub fn replay_store(mut self, store: Arc<dyn ReplayStore>) -> Self {
        self.replay = Some(store);
        self
    }

    /// The clock (default the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The clock, shared.
    pub fn shared_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the validator.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when keys, issuer or audience are missing, or the
    /// algorithm list is empty or names an `HS*` algorithm.
    pub fn build(self) -> Result<LogoutTokenValidator, Error> {
        let audience = self
            .audience
            .filter(|a| !a.is_empty())
            .ok_or_else(|| Error::config("LogoutTokenValidator needs an audience (client id)"))?;
        if self.algorithms.is_empty() || self.algorithms.iter().any(|a| a.is_symmetric()) {
            return Err(Error::config(
                "LogoutTokenValidator needs a non-empty list of asymmetric algorithms",
            ));
        }
        let issuer = self.issuer.filter(|i| !i.is_empty());
        let trust = match (self.issuers, issuer, self.key_source) {
            (None, Some(issuer), Some(keys)) => Trust::Single { issuer, keys },
            (Some(issuers), None, None) if !issuers.is_empty() => Trust::Many(Arc::new(issuers)),
            (Some(issuers), Some(issuer), Some(keys)) => {
                Trust::Many(Arc::new(issuers.shared_issuer(issuer, keys)))
            }
            _ => {
                return Err(Error::config(
                    "LogoutTokenValidator needs an issuer and a key source, or issuers",
                ));
            }
        };
        Ok(LogoutTokenValidator {
            trust,
            audience,
            algorithms: self.algorithms,
            max_age: duration_secs(self.max_age),
            leeway: duration_secs(self.leeway),
            explicit_typ: self.explicit_typ,
            replay: self
                .replay
                .unwrap_or_else(|| Arc::new(MemoryReplayStore::default())),
            clock: self.clock,
            parse_options: ParseOptions::default(),
        })
    }
}

impl LogoutTokenValidator {
    /// A builder with the defaults: RS256, 2-minute maximum age, 30 s
    /// leeway, `JWT` or `logout+jwt` accepted, an in-memory replay store.
    pub fn builder() -> LogoutTokenValidatorBuilder {
        LogoutTokenValidatorBuilder {
            key_source: None,
            issuer: None,
            issuers: None,
            audience: None,
            algorithms: vec![Algorithm::RS256],
            max_age: DEFAULT_MAX_AGE,
            leeway: DEFAULT_LEEWAY,
            explicit_typ: false,
            replay: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// Validates a `logout_token` (the form field's value) and records its
    /// `jti`.
    ///
    /// # Errors
    ///
    /// The [`LogoutTokenError`] of the first check that fails.
    pub async fn validate(&self, token: &str) -> Result<LogoutToken, LogoutTokenError> {
        let span = crate::trace::validation_span(crate::trace::LOGOUT_TOKEN, token);
        if span.is_disabled() {
            return self.validate_untraced(token).await;
        }
        crate::trace::traced(span, self.validate_untraced(token)).await
    }

    async fn validate_untraced(&self, token: &str) -> Result<LogoutToken, LogoutTokenError> {
        if token.is_empty() {
            return Err(Error::Missing { kind: KIND }.into());
        }
        let check = |header: &HeaderRef<'_>, parsed: &ParsedClaims| {
            if !self.typ_accepted(header.typ.as_deref()) {
                return Err(Error::TypeMismatch {
                    kind: KIND,
                    expected: if self.explicit_typ {
                        "\"logout+jwt\""
                    } else {
                        "\"logout+jwt\" or \"JWT\""
                    },
                    found: header
                        .typ
                        .as_deref()
                        .map(crate::claims::truncate_for_message),
                });
            }
            self.trust.select(parsed, KIND)
        };
        let (parsed, _) =
            verify_token(token, &self.parse_options, &self.algorithms, KIND, check).await?;
        let claims = parsed
            .into_claims()
            .map_err(|e| Error::from_claim_type(e, KIND))?;
        let now = self.clock.now();

        // §2.6 step 3: validated as an ID token — iss, aud, iat, exp.
        let iss = claims.iss().ok_or(Error::IssuerInvalid { kind: KIND })?;
        self.trust.check_issuer(iss, KIND)?;
        if claims.aud_values().is_none() {
            return Err(Error::AudienceInvalid { kind: KIND }.into());
        }
        if !claims.aud_contains(&self.audience) {
            return Err(Error::AudienceMismatch {
                kind: KIND,
                expected: self.audience.clone(),
                found: claims
                    .aud()
                    .map(crate::id_token::truncate_audience)
                    .unwrap_or(crate::claims::Audience::Many(Vec::new())),
            }
            .into());
        }
        let iat = claims.iat().ok_or(LogoutTokenError::MissingIssuedAt)?;
        if iat > now.saturating_add(self.leeway) {
            return Err(LogoutTokenError::IssuedInFuture);
        }
        let window_end = iat.saturating_add(self.max_age).saturating_add(self.leeway);
        if window_end < now {
            return Err(LogoutTokenError::Stale);
        }
        if let Some(exp) = claims.exp() {
            let expired_at = exp.saturating_add(self.leeway);
            if now > expired_at {
                return Err(Error::Expired {
                    kind: KIND,
                    now,
                    expired_at,
                }
                .into());
            }
        }
        // Step 4: sub and/or sid.
        let sid = match claims.get("sid") {
            None => None,
            Some(Value::String(sid)) if !sid.is_empty() => Some(sid.clone()),
            Some(_) => return Err(LogoutTokenError::NoSubjectOrSession),
        };
        // An empty `sub` identifies nobody: refused like an empty `sid`, not
        // read as absent (which accepted it beside a `sid` and reported no
        // `sub` for a token that has one).
        let sub = match claims.sub() {
            Some("") => return Err(LogoutTokenError::NoSubjectOrSession),
            sub => sub,
        };
        if sub.is_none() && sid.is_none() {
            return Err(LogoutTokenError::NoSubjectOrSession);
        }
        // Step 5: the back-channel logout event, as a JSON object.
        let has_event = claims
            .get("events")
            .and_then(Value::as_object)
            .and_then(|events| events.get(BACKCHANNEL_LOGOUT_EVENT))
            .is_some_and(Value::is_object);
        if !has_event {
            return Err(LogoutTokenError::MissingEvent);
        }
        // Step 6: no nonce.
        if claims.get("nonce").is_some() {
            return Err(LogoutTokenError::NonceNotAllowed);
        }
        // Step 7: jti, once.
        let jti = claims
            .jti()
            .filter(|j| !j.is_empty())
            .ok_or(LogoutTokenError::MissingJti)?;
        let seen = self
            .replay
            .check_and_record(ProofId::new(iss, jti), window_end, now)
            .await
            .map_err(LogoutTokenError::ReplayStore)?;
        if seen != Seen::First {
            return Err(LogoutTokenError::Replayed);
        }
        Ok(LogoutToken {
            iss: iss.to_owned(),
            sub: sub.map(str::to_owned),
            sid,
            jti: jti.to_owned(),
            iat,
            org_id: claims.org_id().map(str::to_owned),
            org_name: claims.org_name().map(str::to_owned),
            claims: Arc::clone(&claims),
        })
    }

    fn typ_accepted(&self, typ: Option<&str>) -> bool {
        match typ {
            Some(typ) if typ_is(typ, "logout+jwt") => true,
            _ if self.explicit_typ => false,
            None => true,
            Some(typ) => typ_is(typ, "jwt"),
        }
    }
}
