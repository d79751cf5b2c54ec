//! OpenID Connect ID-token verification, following auth0-python's
//! `TokenVerifier` check for check and message for message.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::alg::Algorithm;
use crate::claims::{Audience, Claims, ParsedClaims, truncate_for_message};
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, TokenKind};
use crate::flat::FlatMembers;
use crate::issuers::Issuers;
use crate::organization::OrganizationPolicy;
use crate::verifier::SignatureVerifier;
use crate::verifier::StaticKeys;

/// The claims of a verified ID token.
pub type IdTokenClaims = Claims;

const KIND: TokenKind = TokenKind::IdToken;

/// Default clock skew accepted on `exp` and `auth_time`.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

/// Per-login expectations for [`TokenVerifier::verify`].
///
/// Each `Some` value is checked, including `Some("")` and a zero `max_age`
/// (auth0-python skips "falsy" values; here only `None` means "don't check").
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use auth0_jwt::id_token::VerifyOptions;
///
/// let options = VerifyOptions::new()
///     .nonce("n-0S6_WzA2Mj")
///     .max_age(Duration::from_secs(3600))
///     .organization("org_abc");
/// assert_eq!(options.nonce.as_deref(), Some("n-0S6_WzA2Mj"));
/// assert_eq!(VerifyOptions::default().max_age, None);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifyOptions {
    /// The `nonce` sent in the authorization request.
    pub nonce: Option<String>,
    /// The `max_age` sent in the authorization request (whole seconds count).
    pub max_age: Option<Duration>,
    /// The organization logged in to: an id (`org_…`, compared with `org_id`
    /// exactly) or a name (compared with `org_name` case-insensitively).
    pub organization: Option<String>,
    /// The access token the authorization endpoint returned with the ID token
    /// (implicit `id_token token`, hybrid `code id_token token`): `at_hash`
    /// must be present and match it. A secret: never shown by `Debug`.
    pub access_token: Option<String>,
    /// The authorization code the authorization endpoint returned with the
    /// ID token (hybrid `code id_token`, `code id_token token`): `c_hash`
    /// must be present and match it. A secret: never shown by `Debug`.
    pub code: Option<String>,
}

impl fmt::Debug for VerifyOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The access token and the code are credentials: only whether one
        // was given is shown.
        let redacted = |value: &Option<String>| value.as_ref().map(|_| "<redacted>");
        f.debug_struct("VerifyOptions")
            .field("nonce", &self.nonce)
            .field("max_age", &self.max_age)
            .field("organization", &self.organization)
            .field("access_token", &redacted(&self.access_token))
            .field("code", &redacted(&self.code))
            .finish()
    }
}

impl VerifyOptions {
    /// No nonce, max age or organization checks.
    pub fn new() -> Self {
        Self::default()
    }

    /// Expects `nonce`.
    #[must_use]
    pub fn nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }

    /// Expects the user to have authenticated at most `max_age` ago.
    #[must_use]
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Expects this organization (id `org_…` or name).
    #[must_use]
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }

    /// The access token returned together with the ID token from the
    /// authorization endpoint (`response_type` `id_token token` or
    /// `code id_token token`). The ID token's `at_hash` is then required and
    /// must be the left half of the access token's hash (OIDC Core 1.0
    /// §3.2.2.9, §3.2.2.10, §3.3.2.11): an access token swapped in from
    /// another response is refused. Leave it unset for an access token from
    /// the token endpoint, where `at_hash` is optional.
    #[must_use]
    pub fn access_token(mut self, access_token: impl Into<String>) -> Self {
        self.access_token = Some(access_token.into());
        self
    }

    /// The authorization code returned together with the ID token from the
    /// authorization endpoint (hybrid flow, `response_type` `code id_token`
    /// or `code id_token token`). The ID token's `c_hash` is then required
    /// and must be the left half of the code's hash (OIDC Core 1.0
    /// §3.3.2.10, §3.3.2.11), so a code injected into the response is
    /// refused before it is exchanged.
    #[must_use]
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }
}

/// Verifies ID tokens the way the OpenID Connect spec and auth0-python do.
///
/// Checks, in this order, each failing with its own [`Error`] variant: token
/// present → header `alg` equals the verifier's algorithm → key → signature →
/// `iss` → `sub` → `aud` → `exp` (with leeway) → `iat` → `nonce` (if asked) →
/// organization (if asked) → `azp` (when `aud` has several values) →
/// `auth_time` (if `max_age` asked) → `nbf` (if present, with leeway; RFC 7519
/// §4.1.5 — auth0-python skips it). Then every other registered claim must
/// have its JSON type, and finally `at_hash` / `c_hash` must match the access
/// token / code given in [`VerifyOptions`] (implicit and hybrid flows). `sub` must not be empty. The header `typ` must not name
/// another explicitly typed kind of JWT (RFC 8725 §3.11: `at+jwt`,
/// `logout+jwt`, `dpop+jwt`… any `…+jwt`), so an access token or a
/// back-channel logout token signed by the same key is refused.
///
/// # Example
///
/// ```
/// use auth0_jwt::id_token::{TokenVerifier, VerifyOptions};
/// use auth0_jwt::verifier::SymmetricSignatureVerifier;
///
/// # async fn run(id_token: &str) -> Result<(), auth0_jwt::error::Error> {
/// let verifier = TokenVerifier::builder()
///     .signature_verifier(SymmetricSignatureVerifier::new(b"client-secret")?)
///     .issuer("https://tenant.auth0.com/")
///     .audience("my-client-id")
///     .build()?;
/// let claims = verifier
///     .verify(id_token, &VerifyOptions::new().nonce("abc"))
///     .await?;
/// println!("logged in: {:?}", claims.sub());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TokenVerifier {
    signature: SignatureVerifier,
    issuer: String,
    audience: String,
    leeway: i64,
    clock: Arc<dyn Clock>,
    organization: OrganizationPolicy,
    issuers: Option<Arc<Issuers>>,
}

impl fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenVerifier")
            .field("signature", &self.signature)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("leeway", &self.leeway)
            .field("organization", &self.organization)
            .finish_non_exhaustive()
    }
}

/// Builds a [`TokenVerifier`]; `signature_verifier`, `issuer` and `audience`
/// are required.
#[derive(Default)]
#[must_use]
pub struct TokenVerifierBuilder {
    signature: Option<SignatureVerifier>,
    issuer: Option<String>,
    audience: Option<String>,
    leeway: Option<Duration>,
    clock: Option<Arc<dyn Clock>>,
    organization: OrganizationPolicy,
    issuers: Option<Issuers>,
}

impl fmt::Debug for TokenVerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenVerifierBuilder")
            .field("signature", &self.signature)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("leeway", &self.leeway)
            .finish_non_exhaustive()
    }
}

impl TokenVerifierBuilder {
    /// How signatures are checked: an
    /// [`AsymmetricSignatureVerifier`](crate::verifier::AsymmetricSignatureVerifier)
    /// (RS256, the Auth0 default) or a
    /// [`SymmetricSignatureVerifier`](crate::verifier::SymmetricSignatureVerifier) (HS256).
    pub fn signature_verifier(mut self, verifier: impl Into<SignatureVerifier>) -> Self {
        self.signature = Some(verifier.into());
        self
    }

    /// The expected `iss`, e.g. `https://tenant.auth0.com/` (trailing slash included).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Trusts several issuers (one tenant's custom domains), each with its
    /// own key source, instead of one [`issuer`](Self::issuer): the token's
    /// `iss` selects the keys among them and must equal one exactly. The
    /// [`signature_verifier`](Self::signature_verifier) then only sets the
    /// algorithm and parsing limits (default RS256); its own keys are not
    /// used.
    ///
    /// ```
    /// use auth0_jwt::id_token::TokenVerifier;
    /// use auth0_jwt::issuers::Issuers;
    /// use auth0_jwt::verifier::StaticKeys;
    /// # fn keys() -> StaticKeys { StaticKeys::new(auth0_jwt::KeySet::new()) }
    ///
    /// let verifier = TokenVerifier::builder()
    ///     .issuers(
    ///         Issuers::new()
    ///             .issuer("https://login.a.com/", keys())
    ///             .issuer("https://tenant.auth0.com/", keys()),
    ///     )
    ///     .audience("my-client-id")
    ///     .build()?;
    /// # let _ = verifier;
    /// # Ok::<(), auth0_jwt::error::Error>(())
    /// ```
    pub fn issuers(mut self, issuers: Issuers) -> Self {
        self.issuers = Some(issuers);
        self
    }

    /// The expected audience: the application's client id.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Clock skew accepted on `exp` and `auth_time` (default 60 s; whole
    /// seconds count).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = Some(leeway);
        self
    }

    /// The time source (default [`SystemClock`]).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// The time source, shared (e.g. an `Arc<ManualClock>` a test keeps moving).
    pub fn shared_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Which organizations may log in (default
    /// [`OrganizationPolicy::Allowed`]): required, denied, an allow-list of
    /// ids and names, or your own check. It applies to every token, on top
    /// of a per-login [`VerifyOptions::organization`].
    ///
    /// ```
    /// use auth0_jwt::id_token::TokenVerifier;
    /// use auth0_jwt::organization::OrganizationPolicy;
    /// use auth0_jwt::verifier::SymmetricSignatureVerifier;
    ///
    /// let verifier = TokenVerifier::builder()
    ///     .signature_verifier(SymmetricSignatureVerifier::new(b"client-secret")?)
    ///     .issuer("https://tenant.auth0.com/")
    ///     .audience("my-client-id")
    ///     .organization(OrganizationPolicy::allow(["org_abc", "acme"]))
    ///     .build()?;
    /// # let _ = verifier;
    /// # Ok::<(), auth0_jwt::error::Error>(())
    /// ```
    pub fn organization(mut self, policy: OrganizationPolicy) -> Self {
        self.organization = policy;
        self
    }

    /// Builds the verifier.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] if the signature verifier, issuer or audience is
    /// missing or empty.
    pub fn build(self) -> Result<TokenVerifier, Error> {
        let issuers = match self.issuers {
            Some(_) if self.issuer.is_some() => {
                return Err(Error::config(
                    "TokenVerifier takes either one issuer or `issuers`, not both",
                ));
            }
            Some(issuers) if issuers.is_empty() => {
                return Err(Error::config("TokenVerifier needs an issuer"));
            }
            other => other.map(Arc::new),
        };
        let signature = match (self.signature, &issuers) {
            (Some(signature), _) => signature,
            // The keys come from `issuers`; this only sets the algorithm.
            (None, Some(_)) => {
                SignatureVerifier::new(Arc::new(StaticKeys::default()), Algorithm::RS256)
            }
            (None, None) => return Err(Error::config("TokenVerifier needs a signature verifier")),
        };
        let issuer = match &issuers {
            Some(_) => String::new(),
            None => self
                .issuer
                .filter(|s| !s.is_empty())
                .ok_or_else(|| Error::config("TokenVerifier needs an issuer"))?,
        };
        let audience = self
            .audience
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::config("TokenVerifier needs an audience"))?;
        Ok(TokenVerifier {
            signature,
            issuer,
            audience,
            leeway: duration_secs(self.leeway.unwrap_or(DEFAULT_LEEWAY)),
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            organization: self.organization,
            issuers,
        })
    }
}

/// Whole seconds of a duration, saturating at `i64::MAX`.
pub(crate) fn duration_secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

impl TokenVerifier {
    /// A builder.
    pub fn builder() -> TokenVerifierBuilder {
        TokenVerifierBuilder::default()
    }

    /// A verifier with the default leeway and clock.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] if `issuer` or `audience` is empty.
    pub fn new(
        signature_verifier: impl Into<SignatureVerifier>,
        issuer: impl Into<String>,
        audience: impl Into<String>,
    ) -> Result<Self, Error> {
        Self::builder()
            .signature_verifier(signature_verifier)
            .issuer(issuer)
            .audience(audience)
            .build()
    }

    /// The configured issuer (empty when several are, see
    /// [`TokenVerifierBuilder::issuers`]).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The configured audience.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// Verifies `token` and returns its claims.
    ///
    /// # Errors
    ///
    /// The [`Error`] variant of the first check that fails (see the type's
    /// docs for the order).
    pub async fn verify(
        &self,
        token: &str,
        options: &VerifyOptions,
    ) -> Result<IdTokenClaims, Error> {
        let span = crate::trace::validation_span(crate::trace::ID_TOKEN, token);
        if span.is_disabled() {
            return self.verify_untraced(token, options, None).await;
        }
        crate::trace::traced(span, self.verify_untraced(token, options, None)).await
    }

    /// Verifies `token`, then reads its claims into `T` (your own claims
    /// type: custom and namespaced claims).
    ///
    /// The claim set is read once, as by
    /// [`AccessTokenValidator::validate_as`](crate::AccessTokenValidator::validate_as):
    /// the scan that types the registered claims for the checks records where
    /// every member is, and `T` is built from that record after the signature
    /// and every check passed (any claim set that is not flat is read by
    /// `serde_json`, with the same result).
    ///
    /// # Errors
    ///
    /// As [`verify`](Self::verify), or [`Error::ClaimsDeserialize`].
    ///
    /// # Example
    ///
    /// ```
    /// # use auth0_jwt::id_token::{TokenVerifier, VerifyOptions};
    /// # use auth0_jwt::sign::SigningKey;
    /// # use auth0_jwt::verifier::AsymmetricSignatureVerifier;
    /// # use auth0_jwt::alg::Algorithm;
    /// #[derive(serde::Deserialize)]
    /// struct Profile {
    ///     sub: String,
    ///     email: String,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = SigningKey::generate_es256()?;
    /// # let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
    /// # let token = key.sign_token(&Default::default(), &serde_json::json!({
    /// #     "iss": "https://tenant.auth0.com/", "sub": "auth0|1", "aud": "client-id",
    /// #     "email": "ada@example.com", "iat": now, "exp": now + 600 }))?;
    /// let mut set = auth0_jwt::key::KeySet::new(); // normally the tenant's JWKS
    /// set.insert(key.verifying_key()?);
    /// let keys = AsymmetricSignatureVerifier::from_key_set(set).with_algorithm(Algorithm::ES256)?;
    /// let verifier = TokenVerifier::builder()
    ///     .signature_verifier(keys)
    ///     .issuer("https://tenant.auth0.com/")
    ///     .audience("client-id")
    ///     .build()?;
    /// let profile: Profile = verifier.verify_as(&token, &VerifyOptions::default()).await?;
    /// assert_eq!(profile.email, "ada@example.com");
    /// # Ok(()) }
    /// ```
    pub async fn verify_as<T: DeserializeOwned>(
        &self,
        token: &str,
        options: &VerifyOptions,
    ) -> Result<T, Error> {
        // Boxed: the record is a kilobyte, and ID tokens are verified once
        // per sign-in, not at line rate.
        let mut members = Box::new(FlatMembers::new());
        let span = crate::trace::validation_span(crate::trace::ID_TOKEN, token);
        let claims = if span.is_disabled() {
            self.verify_untraced(token, options, Some(&mut members))
                .await?
        } else {
            crate::trace::traced(
                span,
                self.verify_untraced(token, options, Some(&mut members)),
            )
            .await?
        };
        claims.deserialize_from(&members)
    }

    async fn verify_untraced(
        &self,
        token: &str,
        options: &VerifyOptions,
        members: Option<&mut FlatMembers>,
    ) -> Result<IdTokenClaims, Error> {
        if token.is_empty() {
            return Err(Error::Missing { kind: KIND });
        }
        let claims = self
            .signature
            .verify_claims_from(token, KIND, self.issuers.as_deref(), members)
            .await?;
        self.check_claims(&claims, options, self.clock.now())?;
        let claims = claims
            .into_claims()
            .map_err(|e| Error::from_claim_type(e, KIND))?;
        // The header's `alg` equals the verifier's algorithm (checked when
        // the token was parsed), so this is the hash the claims were made with.
        let alg = self.signature.algorithm();
        if let Some(access_token) = &options.access_token {
            check_token_hash(&claims, "at_hash", access_token, alg, AT_HASH_EXPECTED)?;
        }
        if let Some(code) = &options.code {
            check_token_hash(&claims, "c_hash", code, alg, C_HASH_EXPECTED)?;
        }
        if !self.organization.is_allowed() {
            self.organization.evaluate(&claims, KIND).await?;
        }
        Ok(Claims::unwrap_arc(claims))
    }

    fn check_claims(
        &self,
        map: &ParsedClaims,
        options: &VerifyOptions,
        now: i64,
    ) -> Result<(), Error> {
        let ty = |e| Error::from_claim_type(e, KIND);

        // Issuer
        let iss = map
            .string("iss")
            .map_err(ty)?
            .ok_or_else(|| Error::IssuerInvalid { kind: KIND })?;
        let trusted = match &self.issuers {
            Some(issuers) => issuers.trusts(iss),
            None => iss == self.issuer,
        };
        if !trusted {
            return Err(Error::IssuerMismatch {
                kind: KIND,
                expected: match &self.issuers {
                    Some(issuers) => issuers.describe(),
                    None => self.issuer.clone(),
                },
                found: truncate_for_message(iss),
            });
        }

        // Subject
        // OIDC Core §2: an identifier of the user; an empty one identifies
        // no one (the logout-token validator refuses an empty one too).
        map.string("sub")
            .map_err(ty)?
            .filter(|sub| !sub.is_empty())
            .ok_or_else(|| Error::SubjectInvalid { kind: KIND })?;

        // Audience
        let aud = map
            .audience_values()
            .map_err(ty)?
            .ok_or_else(|| Error::AudienceInvalid { kind: KIND })?;
        let several = {
            let mut found = false;
            let mut count = 0usize;
            for a in aud {
                found |= a == self.audience;
                count += 1;
            }
            if !found {
                return Err(Error::AudienceMismatch {
                    kind: KIND,
                    expected: self.audience.clone(),
                    found: map
                        .audience()
                        .ok()
                        .flatten()
                        .map(truncate_audience)
                        .unwrap_or(Audience::Many(Vec::new())),
                });
            }
            count > 1
        };

        // Expiration
        let exp = map
            .numeric_date("exp")
            .map_err(ty)?
            .ok_or_else(|| Error::ExpirationInvalid { kind: KIND })?;
        let expired_at = exp.saturating_add(self.leeway);
        if now > expired_at {
            return Err(Error::Expired {
                kind: KIND,
                now,
                expired_at,
            });
        }

        // Issued at: required (OIDC Core 1.0 §2), and not in the future beyond
        // the leeway (OIDC Core 1.0 §3.1.3.7 step 10: `iat` "can be used to
        // reject tokens that were issued too far away from the current time";
        // RFC 7519 §4.1.6). A token from the future means a wrong clock or a
        // token minted ahead of time.
        let iat = map
            .numeric_date("iat")
            .map_err(ty)?
            .ok_or_else(|| Error::IssuedAtInvalid { kind: KIND })?;
        let issued_at = iat.saturating_sub(self.leeway);
        if now < issued_at {
            return Err(Error::IssuedInFuture {
                kind: KIND,
                now,
                issued_at,
            });
        }

        // Nonce
        if let Some(expected) = &options.nonce {
            let found = map
                .string("nonce")
                .map_err(ty)?
                .ok_or_else(|| Error::NonceInvalid { kind: KIND })?;
            if found != expected {
                return Err(Error::NonceMismatch {
                    kind: KIND,
                    expected: expected.clone(),
                    found: truncate_for_message(found),
                });
            }
        }

        // Organization
        if let Some(expected) = &options.organization {
            check_organization(map, expected)?;
        }

        // Authorized party, OIDC Core 1.0 §3.1.3.7 steps 4 and 5: with several
        // audiences `azp` must be present; whenever it is present it must be
        // our client ID (a token issued to another party is not ours to use,
        // even if it also lists us as an audience).
        let azp = match map.string("azp") {
            Ok(azp) => azp,
            // Present but not a string: refused (as missing, when it is required).
            Err(_) if several => return Err(Error::AuthorizedPartyInvalid { kind: KIND }),
            Err(e) => return Err(ty(e)),
        };
        match azp {
            None if several => return Err(Error::AuthorizedPartyInvalid { kind: KIND }),
            None => {}
            Some(azp) if azp != self.audience => {
                return Err(Error::AuthorizedPartyMismatch {
                    kind: KIND,
                    expected: self.audience.clone(),
                    found: truncate_for_message(azp),
                });
            }
            Some(_) => {}
        }

        // Authentication time
        if let Some(max_age) = options.max_age {
            let auth_time = map
                .numeric_date("auth_time")
                .map_err(ty)?
                .ok_or_else(|| Error::AuthTimeInvalid { kind: KIND })?;
            let valid_until = auth_time
                .saturating_add(duration_secs(max_age))
                .saturating_add(self.leeway);
            if now > valid_until {
                return Err(Error::AuthTimeTooOld {
                    kind: KIND,
                    now,
                    valid_until,
                });
            }
        }

        // Not before (RFC 7519 §4.1.5: must not be accepted before it)
        if let Some(nbf) = map.numeric_date("nbf").map_err(ty)? {
            let not_before = nbf.saturating_sub(self.leeway);
            if now < not_before {
                return Err(Error::NotYetValid {
                    kind: KIND,
                    now,
                    not_before,
                });
            }
        }
        Ok(())
    }
}

/// What [`Error::InvalidClaim`] says of a missing or wrong `at_hash`.
const AT_HASH_EXPECTED: &str = "present and match the access token returned with it";
/// What [`Error::InvalidClaim`] says of a missing or wrong `c_hash`.
const C_HASH_EXPECTED: &str = "present and match the authorization code returned with it";

/// `at_hash` / `c_hash` (OIDC Core 1.0 §3.1.3.6, §3.3.2.11): the claim must
/// be a string equal to the base64url left half of the hash of `value` under
/// the hash function of `alg`. Neither `value` nor the claim goes into the
/// error.
fn check_token_hash(
    claims: &Claims,
    claim: &'static str,
    value: &str,
    alg: Algorithm,
    expected: &'static str,
) -> Result<(), Error> {
    let refused = Error::InvalidClaim {
        kind: KIND,
        claim,
        expected,
    };
    let Some(found) = claims.get(claim).and_then(serde_json::Value::as_str) else {
        return Err(refused);
    };
    let digest = ring::digest::digest(hash_of(alg), value.as_bytes());
    let bytes = digest.as_ref();
    let left_half = bytes.get(..bytes.len() / 2).unwrap_or(bytes);
    if crate::base64url::encode(left_half) == found {
        Ok(())
    } else {
        Err(refused)
    }
}

/// The hash function of a JWS algorithm, as OIDC Core 1.0 §3.1.3.6 uses it
/// for `at_hash` and `c_hash`; for EdDSA (Ed25519, the only curve this crate
/// verifies) SHA-512, the hash Ed25519 signs with (OIDC Core errata set 2).
fn hash_of(alg: Algorithm) -> &'static ring::digest::Algorithm {
    match alg {
        Algorithm::RS256 | Algorithm::PS256 | Algorithm::ES256 | Algorithm::HS256 => {
            &ring::digest::SHA256
        }
        Algorithm::RS384 | Algorithm::PS384 | Algorithm::ES384 | Algorithm::HS384 => {
            &ring::digest::SHA384
        }
        Algorithm::RS512 | Algorithm::PS512 | Algorithm::HS512 | Algorithm::EdDSA => {
            &ring::digest::SHA512
        }
    }
}

/// `org_…` → `org_id` compared exactly; anything else → `org_name` compared
/// case-insensitively.
fn check_organization(map: &ParsedClaims, expected: &str) -> Result<(), Error> {
    let ty = |e| Error::from_claim_type(e, KIND);
    if expected.starts_with("org_") {
        let found = map
            .string("org_id")
            .map_err(ty)?
            .ok_or_else(|| Error::OrganizationIdInvalid { kind: KIND })?;
        if found != expected {
            return Err(Error::OrganizationIdMismatch {
                kind: KIND,
                expected: expected.to_owned(),
                found: truncate_for_message(found),
            });
        }
    } else {
        let found = map
            .string("org_name")
            .map_err(ty)?
            .ok_or_else(|| Error::OrganizationNameInvalid { kind: KIND })?;
        if found.to_lowercase() != expected.to_lowercase() {
            return Err(Error::OrganizationNameMismatch {
                kind: KIND,
                expected: expected.to_owned(),
                found: truncate_for_message(found),
            });
        }
    }
    Ok(())
}

/// A copy of `aud` fit for an error message (at most 10 values, each truncated).
pub(crate) fn truncate_audience(aud: &Audience) -> Audience {
    match aud {
        Audience::Single(one) => Audience::Single(truncate_for_message(one)),
        Audience::Many(many) => Audience::Many(
            many.iter()
                .take(10)
                .map(|a| truncate_for_message(a))
                .collect(),
        ),
    }
}
