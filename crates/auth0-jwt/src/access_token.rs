//! Access-token validation for APIs and gateways: signature, issuer,
//! audiences, times, `typ`, scopes/permissions and organization policy, with
//! a cache of already verified tokens.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::alg::Algorithm;
use crate::cache::{CacheConfig, VerifiedTokenCache};
use crate::claims::ParsedClaims;
use crate::claims::{Audience, Claims};
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, TokenKind, trunc_opt};
use crate::flat::FlatMembers;
use crate::id_token::{duration_secs, truncate_audience};
use crate::issuers::SourceRef;
use crate::issuers::{Issuers, Trust};
use crate::jws::HeaderRef;
use crate::jws::{KnownHeaders, ParseOptions};
use crate::key::KeyFingerprint;
pub use crate::organization::{
    BoxFuture, OrganizationAllowList, OrganizationCheck, OrganizationPolicy,
};
use crate::verifier::{
    Attempt, KeySource, Parsing, is_explicitly_typed_jwt, typ_is, verify_now, verify_token_keeping,
};

/// The claims of a validated access token.
pub type AccessTokenClaims = Claims;

const KIND: TokenKind = TokenKind::AccessToken;

/// Default clock skew for access tokens: 5 seconds (as Auth0's
/// `express-oauth2-jwt-bearer`). APIs see fresh tokens from the same
/// authorization server, so a minute of grace (the ID-token default) would
/// mostly extend the life of stolen tokens.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(5);

/// How long a token found expired is remembered as such.
///
/// A gateway sees clients keep sending a token after it expired until they
/// fetch a new one. "This exact token is expired" never becomes false while
/// the clock moves forward (a hit re-checks `now > exp + leeway`, so a clock
/// that moved back falls through to the full checks), and it is the verdict
/// the full path reaches right after parsing, before any key lookup or
/// signature check, so the remembered answer is exactly the one that would
/// be computed. The entries are keyed like verified ones (by the whole token)
/// but live in their own small cache, so tokens anyone can make up never
/// displace verified ones.
pub const EXPIRED_CACHE_TTL: Duration = Duration::from_secs(600);

/// Bounds of the cache of expired tokens: entries and bytes.
const EXPIRED_CACHE_ENTRIES: usize = 4_096;
const EXPIRED_CACHE_BYTES: usize = 8 * 1024 * 1024;

/// Expired-token entries belong to no key: a fixed fingerprint that no key
/// set's eviction ever looks at (that cache never calls `retain_keys`).
const NO_KEY: KeyFingerprint = KeyFingerprint([0; 32]);

/// Which header `typ` values are accepted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TypPolicy {
    /// Any `typ`, or none (the default; Auth0's default token profile says
    /// `JWT`, its RFC 9068 profile `at+jwt`) — except a type that names
    /// another kind of JWT (RFC 8725 §3.11): a `typ` ending in `+jwt` other
    /// than `at+jwt`, such as a back-channel logout token's `logout+jwt` or a
    /// DPoP proof's `dpop+jwt`, is refused.
    #[default]
    Any,
    /// RFC 9068 access tokens: `at+jwt` or `application/at+jwt`
    /// (case-insensitive). Rejects ID tokens presented as access tokens.
    AccessTokenJwt,
    /// `JWT` or `application/jwt` (case-insensitive).
    Jwt,
}

impl TypPolicy {
    fn accepts(self, typ: Option<&str>) -> bool {
        let is = |t: Option<&str>, short: &str| t.is_some_and(|t| typ_is(t, short));
        match self {
            Self::Any => !typ.is_some_and(|t| is_explicitly_typed_jwt(t) && !typ_is(t, "at+jwt")),
            Self::AccessTokenJwt => is(typ, "at+jwt"),
            Self::Jwt => is(typ, "jwt"),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Any => "no other kind's \"…+jwt\" (JWT, at+jwt or none)",
            Self::AccessTokenJwt => "\"at+jwt\"",
            Self::Jwt => "\"JWT\"",
        }
    }
}

/// Validates access tokens (JWT bearer tokens) for an API.
///
/// On a cache miss: parse → header `alg` in the allow-list → `typ` policy →
/// an expired `exp` refused at once (before any key lookup or signature
/// check) → key (cached, else resolved) → signature → claim types → `iss` →
/// `aud` (any accepted audience) → `exp` (required) / `nbf` / `iat` with
/// leeway → scopes and permissions → organization. Verified claims are cached
/// (keyed by the whole token, see [`crate::cache`]) until `exp`; a hit re-runs
/// the checks whose answer can change — `exp`/`nbf`/`iat` against the current
/// clock, so a cached token still expires on time, and the issuer when several
/// are trusted — while the rest (audiences, scopes, a synchronous organization
/// policy) is fixed when the validator is built and answers as it did. [`validate_cached`](Self::validate_cached) answers a hit
/// without an `async` call. Hits are used only while the key source is
/// current ([`KeySource::is_current`]): once a remote key set is past its TTL,
/// tokens are verified in full, which makes the source refresh first, and
/// tokens of keys the refresh removed leave the cache.
///
/// # Example
///
/// ```
/// use auth0_jwt::access_token::AccessTokenValidator;
/// use auth0_jwt::verifier::StaticKeys;
///
/// # async fn run(token: &str, jwks_json: &str) -> Result<(), auth0_jwt::error::Error> {
/// let validator = AccessTokenValidator::builder()
///     .key_source(StaticKeys::from_jwks_json(jwks_json)?)
///     .issuer("https://tenant.auth0.com/")
///     .audience("https://api.example.com")
///     .require_scopes(["read:messages"])
///     .build()?;
/// match validator.validate(token).await {
///     Ok(claims) => println!("caller: {:?}", claims.sub()),
///     Err(e) if e.is_insufficient_scope() => println!("403: {e}"),
///     Err(e) => println!("401: {e}"),
/// }
/// # Ok(()) }
/// ```
pub struct AccessTokenValidator {
    trust: Trust,
    audiences: Vec<String>,
    algorithms: Vec<Algorithm>,
    leeway: i64,
    typ: TypPolicy,
    scopes: Vec<String>,
    permissions: Vec<String>,
    organization: OrganizationPolicy,
    clock: Arc<dyn Clock>,
    cache: Option<VerifiedTokenCache<AccessTokenClaims>>,
    /// Tokens already found expired, with the second they expired at
    /// (`exp + leeway`); on whenever `cache` is. See [`EXPIRED_CACHE_TTL`].
    expired: Option<VerifiedTokenCache<i64>>,
    seen_key_version: AtomicU64,
    parse_options: ParseOptions,
    /// The headers of tokens that verified, parsed once (see `KnownHeaders`).
    known_headers: KnownHeaders,
}

impl fmt::Debug for AccessTokenValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessTokenValidator")
            .field("issuers", &self.trust)
            .field("audiences", &self.audiences)
            .field("algorithms", &self.algorithms)
            .field("leeway", &self.leeway)
            .field("typ", &self.typ)
            .field("scopes", &self.scopes)
            .field("permissions", &self.permissions)
            .field("organization", &self.organization)
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

/// Builds an [`AccessTokenValidator`]; key source, issuer and at least one
/// audience are required.
#[must_use]
pub struct AccessTokenValidatorBuilder {
    key_source: Option<Arc<dyn KeySource>>,
    issuer: Option<String>,
    issuers: Option<Issuers>,
    audiences: Vec<String>,
    algorithms: Vec<Algorithm>,
    leeway: Duration,
    typ: TypPolicy,
    scopes: Vec<String>,
    permissions: Vec<String>,
    organization: OrganizationPolicy,
    clock: Option<Arc<dyn Clock>>,
    cache: Option<Option<CacheConfig>>,
    parse_options: ParseOptions,
}

impl Default for AccessTokenValidatorBuilder {
    fn default() -> Self {
        Self {
            key_source: None,
            issuer: None,
            issuers: None,
            audiences: Vec::new(),
            algorithms: vec![Algorithm::RS256],
            leeway: DEFAULT_LEEWAY,
            typ: TypPolicy::Any,
            scopes: Vec::new(),
            permissions: Vec::new(),
            organization: OrganizationPolicy::Allowed,
            clock: None,
            cache: None,
            parse_options: ParseOptions::default(),
        }
    }
}

impl fmt::Debug for AccessTokenValidatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessTokenValidatorBuilder")
            .field("issuer", &self.issuer)
            .field("audiences", &self.audiences)
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

impl AccessTokenValidatorBuilder {
    /// Where keys come from: [`StaticKeys`](crate::verifier::StaticKeys), a
    /// remote JWKS (`jwks::RemoteJwks`, feature `remote`) or your own.
    pub fn key_source(mut self, source: impl KeySource) -> Self {
        self.key_source = Some(Arc::new(source));
        self
    }

    /// A key source shared with other validators.
    pub fn shared_key_source(mut self, source: Arc<dyn KeySource>) -> Self {
        self.key_source = Some(source);
        self
    }

    /// The expected `iss`, e.g. `https://tenant.auth0.com/`.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Trusts several issuers, each with its own key source (several custom
    /// domains of one tenant, or several tenants); see [`Issuers`]. The
    /// token's `iss` selects among them and keys are only ever looked up in
    /// (or fetched for) the selected issuer's source. An
    /// [`issuer`](Self::issuer) with a [`key_source`](Self::key_source) set
    /// as well is one more of them.
    pub fn issuers(mut self, issuers: Issuers) -> Self {
        self.issuers = Some(issuers);
        self
    }

    /// Adds an accepted audience (the API identifier); the token's `aud`
    /// must contain at least one accepted audience.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Adds several accepted audiences.
    pub fn audiences<I, S>(mut self, audiences: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.audiences.extend(audiences.into_iter().map(Into::into));
        self
    }

    /// The accepted signing algorithms (default `[RS256]`). The header `alg`
    /// must be one of them and match the key.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// Clock skew accepted on `exp`, `nbf` and `iat` (default
    /// [`DEFAULT_LEEWAY`], 5 s; whole seconds count).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Which header `typ` values are accepted (default [`TypPolicy::Any`]).
    pub fn typ(mut self, policy: TypPolicy) -> Self {
        self.typ = policy;
        self
    }

    /// Scopes the token must all have (in its space-separated `scope`).
    pub fn require_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes.extend(scopes.into_iter().map(Into::into));
        self
    }

    /// Permissions the token must all have (in its `permissions` array,
    /// Auth0 RBAC).
    pub fn require_permissions<I, S>(mut self, permissions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.permissions
            .extend(permissions.into_iter().map(Into::into));
        self
    }

    /// Which organizations may call (default [`OrganizationPolicy::Allowed`]).
    pub fn organization(mut self, policy: OrganizationPolicy) -> Self {
        self.organization = policy;
        self
    }

    /// The time source (default [`SystemClock`]).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// The time source, shared (e.g. an `Arc<ManualClock>` a test moves).
    pub fn shared_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Caches verified tokens with these limits. Without this call the cache
    /// is on (default [`CacheConfig`]) unless an `HS*` algorithm is allowed.
    pub fn cache(mut self, config: CacheConfig) -> Self {
        self.cache = Some(Some(config));
        self
    }

    /// Verifies every token fully, every time.
    pub fn no_cache(mut self) -> Self {
        self.cache = Some(None);
        self
    }

    /// Token parsing limits (e.g. maximum length).
    pub fn parse_options(mut self, options: ParseOptions) -> Self {
        self.parse_options = options;
        self
    }

    /// Builds the validator.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] if the key source, issuer or audience is missing,
    /// or the algorithm list is empty.
    pub fn build(self) -> Result<AccessTokenValidator, Error> {
        let issuer = self.issuer.filter(|s| !s.is_empty());
        let trust = match (self.issuers, issuer, self.key_source) {
            (None, Some(issuer), Some(keys)) => Trust::Single { issuer, keys },
            (None, None, _) => return Err(Error::config("AccessTokenValidator needs an issuer")),
            (None, _, None) => {
                return Err(Error::config("AccessTokenValidator needs a key source"));
            }
            (Some(issuers), issuer, keys) => {
                let issuers = match (issuer, keys) {
                    (Some(issuer), Some(keys)) => issuers.shared_issuer(issuer, keys),
                    (None, None) => issuers,
                    _ => {
                        return Err(Error::config(
                            "an issuer next to `issuers` needs its own key source, and a key source its issuer",
                        ));
                    }
                };
                if issuers.is_empty() {
                    return Err(Error::config("AccessTokenValidator needs an issuer"));
                }
                Trust::Many(Arc::new(issuers))
            }
        };
        if self.audiences.is_empty() || self.audiences.iter().any(String::is_empty) {
            return Err(Error::config(
                "AccessTokenValidator needs at least one non-empty audience",
            ));
        }
        if self.algorithms.is_empty() {
            return Err(Error::config(
                "AccessTokenValidator needs at least one algorithm",
            ));
        }
        let any_symmetric = self.algorithms.iter().any(|a| a.is_symmetric());
        let cache = match self.cache {
            Some(choice) => choice,
            None if any_symmetric => None,
            None => Some(CacheConfig::default()),
        }
        .map(VerifiedTokenCache::new);
        let expired = cache.as_ref().map(|_| {
            VerifiedTokenCache::new(
                CacheConfig::new()
                    .max_entries(EXPIRED_CACHE_ENTRIES)
                    .max_bytes(EXPIRED_CACHE_BYTES),
            )
        });
        let seen_key_version = AtomicU64::new(trust.version());
        Ok(AccessTokenValidator {
            trust,
            audiences: self.audiences,
            algorithms: self.algorithms,
            leeway: duration_secs(self.leeway),
            typ: self.typ,
            scopes: self.scopes,
            permissions: self.permissions,
            organization: self.organization,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            cache,
            expired,
            seen_key_version,
            known_headers: KnownHeaders::default(),
            parse_options: self.parse_options,
        })
    }
}

impl AccessTokenValidator {
    /// A builder.
    pub fn builder() -> AccessTokenValidatorBuilder {
        AccessTokenValidatorBuilder::default()
    }

    /// The verified-token cache, if enabled.
    pub fn cache(&self) -> Option<&VerifiedTokenCache<AccessTokenClaims>> {
        self.cache.as_ref()
    }

    /// Validates `token` (without the `Bearer ` prefix) and returns its claims.
    ///
    /// # Errors
    ///
    /// The [`Error`] of the first check that fails; [`Error::InsufficientScope`]
    /// (see [`Error::is_insufficient_scope`]) when only scopes/permissions are
    /// missing.
    pub async fn validate(&self, token: &str) -> Result<Arc<AccessTokenClaims>, Error> {
        let span = crate::trace::validation_span(crate::trace::ACCESS_TOKEN, token);
        if span.is_disabled() {
            return self.validate_keeping(token, None).await;
        }
        // Traced: boxed, so the span and its instrumented future are not part
        // of every caller's future.
        Box::pin(crate::trace::traced(
            span,
            self.validate_keeping(token, None),
        ))
        .await
    }

    /// [`validate`](Self::validate), recording the claim set's members in
    /// `members` while it is parsed (not on a cache hit), for
    /// [`validate_as`](Self::validate_as).
    ///
    /// Everything up to the answer runs synchronously in
    /// [`validate_now`](Self::validate_now) (the token is decoded on its
    /// stack), so this future holds only what the two rare async steps need
    /// — a key resolution (which may fetch) and an async organization check —
    /// each boxed: about a tenth of the size of a future that keeps the
    /// parse state across an await, which every caller moves or embeds.
    async fn validate_keeping(
        &self,
        token: &str,
        mut members: Option<&mut FlatMembers>,
    ) -> Result<Arc<AccessTokenClaims>, Error> {
        // The step is consumed before the await: only the boxed future is
        // held across it.
        let rest: BoxFuture<'_, Result<Arc<AccessTokenClaims>, Error>> =
            match self.validate_now(token, members.as_deref_mut()) {
                Step::Done(answer) => return answer,
                Step::CheckOrganization(pending) => Box::pin(self.finish(token, pending)),
                Step::ResolveKey => Box::pin(self.validate_resolving(token, members)),
            };
        rest.await
    }

    /// What can be decided without awaiting: the answer from the cache or a
    /// key at hand, or which async step is left.
    fn validate_now(&self, token: &str, members: Option<&mut FlatMembers>) -> Step {
        if token.is_empty() {
            return Step::Done(Err(Error::Missing { kind: KIND }));
        }
        let now = self.clock.now();
        let mut key_version = 0;
        if let Some(cache) = &self.cache {
            key_version = self.evict_removed_keys(cache);
            // Keys past their freshness: verify in full, which makes the key
            // source refresh first; a cached verdict would outlive a key the
            // source may have dropped.
            if let Some(claims) = self.trust.cached(cache, token, now) {
                return match self.check_cached(&claims, now) {
                    Ok(()) => self.organization_step(token, claims, None),
                    Err(error) => Step::Done(Err(error)),
                };
            }
            if let Some(error) = self.known_expired(token, now) {
                return Step::Done(Err(error));
            }
        }
        let check = |header: &HeaderRef<'_>, parsed: &ParsedClaims| {
            self.check_before_signature(token, now, header, parsed)
        };
        let attempt = verify_now(
            token,
            self.parsing(),
            &self.algorithms,
            KIND,
            None,
            check,
            members,
        );
        match attempt {
            Ok(Attempt::Verified(parsed, fingerprint)) => match self.checked(parsed, now) {
                Ok(claims) => {
                    self.organization_step(token, claims, Some((fingerprint, key_version)))
                }
                Err(error) => Step::Done(Err(error)),
            },
            // The rare path (a `kid` the source does not hold yet): it parses
            // the token again, which is small next to resolving the key.
            Ok(Attempt::NeedKey { .. }) => Step::ResolveKey,
            Err(error) => Step::Done(Err(self.failed(error))),
        }
    }

    /// The full path when the key source has no key at hand for the token:
    /// resolve it (which may fetch), then verify and check.
    async fn validate_resolving(
        &self,
        token: &str,
        members: Option<&mut FlatMembers>,
    ) -> Result<Arc<AccessTokenClaims>, Error> {
        let now = self.clock.now();
        let key_version = match &self.cache {
            Some(cache) => self.evict_removed_keys(cache),
            None => 0,
        };
        let check = |header: &HeaderRef<'_>, parsed: &ParsedClaims| {
            self.check_before_signature(token, now, header, parsed)
        };
        let parsing = self.parsing();
        let verified =
            verify_token_keeping(token, parsing, &self.algorithms, KIND, check, members).await;
        let (parsed, fingerprint) = verified.map_err(|error| self.failed(error))?;
        let claims = self.checked(parsed, now)?;
        self.check_organization(&claims).await?;
        self.remember(token, &claims, fingerprint, key_version);
        Ok(claims)
    }

    /// This validator's parse options and known headers.
    fn parsing(&self) -> Parsing<'_> {
        Parsing {
            options: &self.parse_options,
            known: Some(&self.known_headers),
        }
    }

    /// The checks that need no key, run on the parsed token before its
    /// signature is checked; answers with the key source for its issuer.
    fn check_before_signature(
        &self,
        token: &str,
        now: i64,
        header: &HeaderRef<'_>,
        parsed: &ParsedClaims,
    ) -> Result<SourceRef<'_>, Error> {
        let typ = header.typ.as_deref();
        if !self.typ.accepts(typ) {
            return Err(Error::TypeMismatch {
                kind: KIND,
                expected: self.typ.describe(),
                found: trunc_opt(typ),
            });
        }
        // An expired token is refused before the key lookup and the
        // signature check: no signature can make it acceptable, so the costly
        // RSA check (or a JWKS fetch for its `kid`) would be wasted. Refusing
        // early is always safe; the verdict is remembered (see
        // `EXPIRED_CACHE_TTL`). A malformed `exp` is left to the full
        // checks, which report it after the signature as usual.
        if let Ok(Some(exp)) = parsed.numeric_date("exp") {
            let expired_at = exp.saturating_add(self.leeway);
            if now > expired_at {
                self.remember_expired(token, expired_at, now);
                return Err(Error::Expired {
                    kind: KIND,
                    now,
                    expired_at,
                });
            }
        }
        self.trust.select(parsed, KIND)
    }

    /// The claims of a verified token, typed and checked (all but an async
    /// organization check).
    fn checked(&self, parsed: ParsedClaims, now: i64) -> Result<Arc<AccessTokenClaims>, Error> {
        let claims = parsed
            .into_claims()
            .map_err(|e| Error::from_claim_type(e, KIND))?;
        self.check_claims(&claims, now)?;
        Ok(claims)
    }

    /// `error` from a verification, after evicting the tokens of keys a
    /// refresh during the call may have removed (they leave the cache now,
    /// not at the next lookup).
    fn failed(&self, error: Error) -> Error {
        if let Some(cache) = &self.cache {
            self.evict_removed_keys(cache);
        }
        error
    }

    /// The answer for checked `claims`, or the async organization check
    /// still to run. `verified` is the key that verified them and the key-set
    /// version seen before, when they are not from the cache.
    fn organization_step(
        &self,
        token: &str,
        claims: Arc<AccessTokenClaims>,
        verified: Option<(KeyFingerprint, u64)>,
    ) -> Step {
        if self.organization.is_async() {
            return Step::CheckOrganization(Pending { claims, verified });
        }
        if let Some((fingerprint, key_version)) = verified {
            self.remember(token, &claims, fingerprint, key_version);
        }
        Step::Done(Ok(claims))
    }

    /// Runs the async organization check left by [`validate_now`](Self::validate_now).
    async fn finish(&self, token: &str, pending: Pending) -> Result<Arc<AccessTokenClaims>, Error> {
        let Pending { claims, verified } = pending;
        self.organization.evaluate(&claims, KIND).await?;
        if let Some((fingerprint, key_version)) = verified {
            self.remember(token, &claims, fingerprint, key_version);
        }
        Ok(claims)
    }

    /// Caches the verified `claims` of `token` (when the cache is on and they
    /// expire).
    fn remember(
        &self,
        token: &str,
        claims: &Arc<AccessTokenClaims>,
        fingerprint: KeyFingerprint,
        key_version: u64,
    ) {
        if let (Some(cache), Some(exp)) = (&self.cache, claims.exp()) {
            cache.insert(
                token,
                Arc::clone(claims),
                exp,
                fingerprint,
                claims.approx_size(),
            );
            // The key set changed while we verified: the eviction that went
            // with the change may have run before this insert.
            if self.trust.version() != key_version {
                self.trust.retain(cache);
            }
        }
    }

    /// The answer for `token` if it can be given at once from the cache of
    /// verified tokens: `None` when the cache is off, the token is not in it,
    /// the key source is not current ([`KeySource::is_current`]: its keys need
    /// a refresh first), or the organization policy is an async
    /// [`OrganizationPolicy::Check`];
    /// otherwise exactly what [`validate`](Self::validate) would return (the
    /// time checks, and the issuer when several are trusted, run again on the
    /// cached claims; the other rules cannot answer differently). Never blocks and never does I/O, so a gateway can call
    /// it inline and fall back to `validate` on `None`.
    ///
    /// ```
    /// # use auth0_jwt::access_token::AccessTokenValidator;
    /// # use auth0_jwt::sign::SigningKey;
    /// # use auth0_jwt::verifier::StaticKeys;
    /// # use auth0_jwt::alg::Algorithm;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = SigningKey::generate_es256()?;
    /// # let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
    /// # let token = key.sign_token(&Default::default(), &serde_json::json!({
    /// #     "iss": "https://tenant.auth0.com/", "sub": "s", "aud": "https://api",
    /// #     "iat": now, "exp": now + 600 }))?;
    /// let validator = AccessTokenValidator::builder()
    ///     .key_source(StaticKeys::from_key(key.verifying_key()?))
    ///     .issuer("https://tenant.auth0.com/")
    ///     .audience("https://api")
    ///     .algorithms([Algorithm::ES256])
    ///     .build()?;
    /// assert!(validator.validate_cached(&token).is_none()); // not seen yet
    /// validator.validate(&token).await?;
    /// assert!(validator.validate_cached(&token).is_some_and(|r| r.is_ok()));
    /// # Ok(()) }
    /// ```
    pub fn validate_cached(&self, token: &str) -> Option<Result<Arc<AccessTokenClaims>, Error>> {
        let answer = self.validate_cached_untraced(token);
        crate::trace::validated_now(crate::trace::ACCESS_TOKEN, token, answer.as_ref());
        answer
    }

    fn validate_cached_untraced(
        &self,
        token: &str,
    ) -> Option<Result<Arc<AccessTokenClaims>, Error>> {
        let cache = self.cache.as_ref()?;
        if matches!(self.organization, OrganizationPolicy::Check(_)) {
            return None;
        }
        let now = self.clock.now();
        self.evict_removed_keys(cache);
        // Keys past their freshness: `validate` refreshes them first.
        let Some(claims) = self.trust.cached(cache, token, now) else {
            return self.known_expired(token, now).map(Err);
        };
        // The async organization `Check` returned `None` above.
        Some(self.check_cached(&claims, now).map(|()| claims))
    }

    /// Validates `token`, then reads its claims into `T` (custom claims).
    ///
    /// The claim set is read once: the scan that types the registered claims
    /// for the checks also records where every member is, and `T` is built
    /// from that record after the signature and the checks passed (the usual
    /// flat claim set: no nested objects, no escapes; any other is read by
    /// `serde_json`, with the same result). The JSON rules are the
    /// validator's either way: a repeated member name or a registered claim
    /// of the wrong type is refused before `T` sees anything.
    ///
    /// # Errors
    ///
    /// As [`validate`](Self::validate), or [`Error::ClaimsDeserialize`].
    pub async fn validate_as<T: DeserializeOwned>(&self, token: &str) -> Result<T, Error> {
        let span = crate::trace::validation_span(crate::trace::ACCESS_TOKEN, token);
        // As `validate`: answered synchronously when it can be (the record of
        // members stays on that call's stack), else the rest is boxed.
        let rest: BoxFuture<'_, Result<Recorded, Error>> = if span.is_disabled() {
            match self.validate_as_now(token) {
                Ok(answer) => return answer,
                Err(Later::CheckOrganization(pending, members)) => {
                    Box::pin(async move { Ok((self.finish(token, pending).await?, members)) })
                }
                Err(Later::ResolveKey) => Box::pin(self.validate_recording(token)),
            }
        } else {
            Box::pin(crate::trace::traced(span, self.validate_recording(token)))
        };
        let (claims, members) = rest.await?;
        read_as(&claims, &members)
    }

    /// [`validate_as`](Self::validate_as) up to its answer, or what is left
    /// to await.
    fn validate_as_now<T: DeserializeOwned>(&self, token: &str) -> Result<Result<T, Error>, Later> {
        let mut members = FlatMembers::new();
        match self.validate_now(token, Some(&mut members)) {
            Step::Done(answer) => Ok(answer.and_then(|claims| read_as(&claims, &members))),
            Step::CheckOrganization(pending) => {
                Err(Later::CheckOrganization(pending, Box::new(members)))
            }
            Step::ResolveKey => Err(Later::ResolveKey),
        }
    }

    /// [`validate`](Self::validate), recording the claim set's members.
    async fn validate_recording(&self, token: &str) -> Result<Recorded, Error> {
        let mut members = Box::new(FlatMembers::new());
        let claims = self.validate_keeping(token, Some(&mut members)).await?;
        Ok((claims, members))
    }

    /// The error for a token already found expired, if it still is.
    fn known_expired(&self, token: &str, now: i64) -> Option<Error> {
        let expired_at = *self.expired.as_ref()?.get(token, now)?;
        (now > expired_at).then_some(Error::Expired {
            kind: KIND,
            now,
            expired_at,
        })
    }

    /// Remembers that `token` expired at `expired_at` (when caching is on).
    fn remember_expired(&self, token: &str, expired_at: i64, now: i64) {
        if let Some(expired) = &self.expired {
            let until = now.saturating_add(duration_secs(EXPIRED_CACHE_TTL));
            let size = std::mem::size_of::<i64>();
            expired.insert(token, Arc::new(expired_at), until, NO_KEY, size);
        }
    }

    /// If the key set changed since we last looked, drops cached tokens whose
    /// key is gone. Returns the key-set version it saw.
    fn evict_removed_keys(&self, cache: &VerifiedTokenCache<AccessTokenClaims>) -> u64 {
        let version = self.trust.version();
        if self.seen_key_version.load(Ordering::Acquire) != version {
            // Evict before publishing the new version so no thread can skip
            // the eviction and hit a stale entry.
            self.trust.retain(cache);
            self.seen_key_version.store(version, Ordering::Release);
        }
        version
    }

    /// The synchronous claim checks of a verified token.
    fn check_claims(&self, claims: &AccessTokenClaims, now: i64) -> Result<(), Error> {
        self.check_issuer(claims)?;
        self.check_after_issuer(claims, now)
    }

    /// The checks of cached claims (they passed [`check_claims`](Self::check_claims)
    /// when cached): what can have changed since. The time moves, so `exp`,
    /// `nbf` and `iat` are checked again; with several issuers the trusted
    /// set can change (a resolver), so the issuer is too. The rest — one
    /// issuer, audiences, scopes, permissions, a synchronous organization
    /// policy — is fixed when the validator is built, and the claims are
    /// immutable, so it answers as it did.
    fn check_cached(&self, claims: &AccessTokenClaims, now: i64) -> Result<(), Error> {
        if matches!(self.trust, Trust::Many(_)) {
            self.check_issuer(claims)?;
        }
        self.check_times(claims, now)
    }

    fn check_issuer(&self, claims: &AccessTokenClaims) -> Result<(), Error> {
        let iss = claims
            .iss()
            .ok_or_else(|| Error::IssuerInvalid { kind: KIND })?;
        self.trust.check_issuer(iss, KIND)
    }

    /// The checks after the issuer, in order: audience, times, scopes and
    /// permissions, a synchronous organization policy.
    fn check_after_issuer(&self, claims: &AccessTokenClaims, now: i64) -> Result<(), Error> {
        // Audience
        if !claims.has_aud() {
            return Err(Error::AudienceInvalid { kind: KIND });
        }
        if !self.audiences.iter().any(|a| claims.aud_contains(a)) {
            return Err(Error::AudienceMismatch {
                kind: KIND,
                expected: self.audiences.join(", "),
                found: claims
                    .aud()
                    .map(truncate_audience)
                    .unwrap_or(Audience::Many(Vec::new())),
            });
        }

        self.check_times(claims, now)?;

        // Scopes and permissions
        if !self.scopes.is_empty() || !self.permissions.is_empty() {
            let missing_scope = self.scopes.iter().any(|s| !claims.has_scope(s));
            let missing_perm = self.permissions.iter().any(|p| !claims.has_permission(p));
            if missing_scope || missing_perm {
                let missing = self
                    .scopes
                    .iter()
                    .filter(|s| !claims.has_scope(s))
                    .chain(
                        self.permissions
                            .iter()
                            .filter(|p| !claims.has_permission(p)),
                    )
                    .cloned()
                    .collect();
                return Err(Error::InsufficientScope { missing });
            }
        }

        // Organization (the synchronous policies; `Check` is awaited by
        // `check_organization`)
        self.organization
            .evaluate_now(claims, KIND)
            .unwrap_or(Ok(()))
    }

    /// `exp` (required), `nbf` and `iat`, with the leeway.
    fn check_times(&self, claims: &AccessTokenClaims, now: i64) -> Result<(), Error> {
        let exp = claims
            .exp()
            .ok_or_else(|| Error::ExpirationInvalid { kind: KIND })?;
        let expired_at = exp.saturating_add(self.leeway);
        if now > expired_at {
            return Err(Error::Expired {
                kind: KIND,
                now,
                expired_at,
            });
        }
        if let Some(nbf) = claims.nbf() {
            let not_before = nbf.saturating_sub(self.leeway);
            if now < not_before {
                return Err(Error::NotYetValid {
                    kind: KIND,
                    now,
                    not_before,
                });
            }
        }
        if let Some(iat) = claims.iat() {
            let issued_at = iat.saturating_sub(self.leeway);
            if now < issued_at {
                return Err(Error::IssuedInFuture {
                    kind: KIND,
                    now,
                    issued_at,
                });
            }
        }
        Ok(())
    }

    async fn check_organization(&self, claims: &Arc<AccessTokenClaims>) -> Result<(), Error> {
        if self.organization.is_async() {
            return self.organization.evaluate(claims, KIND).await;
        }
        Ok(())
    }
}

/// Where [`AccessTokenValidator::validate_now`] got to.
enum Step {
    /// The answer.
    Done(Result<Arc<AccessTokenClaims>, Error>),
    /// Verified and checked; the async organization check is left.
    CheckOrganization(Pending),
    /// The key source has no key at hand for the token: resolve one.
    ResolveKey,
}

/// Checked claims waiting for the async organization check.
struct Pending {
    claims: Arc<AccessTokenClaims>,
    /// The verifying key and the key-set version seen before verifying
    /// (`None`: the claims came from the cache).
    verified: Option<(KeyFingerprint, u64)>,
}

/// Verified claims and the record of their members (see `validate_as`).
type Recorded = (Arc<AccessTokenClaims>, Box<FlatMembers>);

/// What [`AccessTokenValidator::validate_as_now`] leaves to await.
enum Later {
    /// The async organization check, then `T` from the recorded members.
    CheckOrganization(Pending, Box<FlatMembers>),
    /// A key to resolve: the whole validation, awaited.
    ResolveKey,
}

/// `T` from verified `claims`, read from the `members` recorded while they
/// were parsed; on a cache hit nothing was parsed (`members` is incomplete)
/// and the cached text is read once instead.
fn read_as<T: DeserializeOwned>(
    claims: &AccessTokenClaims,
    members: &FlatMembers,
) -> Result<T, Error> {
    if members.is_complete() {
        claims.deserialize_from(members)
    } else {
        claims.deserialize()
    }
}
