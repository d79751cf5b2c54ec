//! DPoP (RFC 9449): access tokens bound to a key the client holds, and the
//! per-request proofs that show it holds it.
//!
//! - [`DpopValidator`] checks one proof (the `DPoP` request header) the way
//!   RFC 9449 §4.3 lists: `typ` `dpop+jwt`, an asymmetric `alg` from an
//!   allow-list, a public key in the `jwk` header that verifies the
//!   signature, `htm`/`htu` against the request, `iat` inside a window,
//!   `ath` and `cnf.jkt` against the access token, an optional server
//!   `nonce`, and `jti` refused a second time ([`ReplayStore`]).
//! - [`DpopAccessTokenValidator`] puts it together with an
//!   [`AccessTokenValidator`] for a request's `Authorization` scheme and
//!   token: [`DpopMode`] disabled, allowed or required; a DPoP-bound token
//!   sent as `Bearer` is refused (RFC 9449 §7.2). The token check is cached
//!   as usual; the proof is checked on every request.
//!
//! Unlike an access token, a proof carries its own key: that is the point —
//! the key is trusted only because the access token (signed by the
//! authorization server) names its thumbprint in `cnf.jkt`.

pub(crate) mod htu;
mod layer;
mod nonce;
mod replay;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, Uri};
use serde_json::Value;

use crate::access_token::{AccessTokenClaims, AccessTokenValidator};
use crate::alg::Algorithm;
use crate::base64url;
use crate::clock::{Clock, SystemClock};
use crate::error::Error;
use crate::jwk::{Jwk, JwkError};
use crate::jws::{Jws, JwsError, ParseOptions};
use crate::key::{KeyError, VerifyingKey};
use crate::verifier::typ_is;

pub use layer::{DPOP, DPOP_NONCE, DpopAuth, DpopAuthFuture, DpopAuthLayer};
pub use nonce::{NonceSource, RotatingNonce};
pub use replay::{
    DEFAULT_REPLAY_CAPACITY, MemoryReplayStore, ProofId, ReplayStore, ReplayStoreError, Seen,
};

/// Default `iat` window: 300 seconds (auth0-api-js's `iatOffset`). A proof
/// is accepted until its `iat` plus this window plus the leeway
/// ([`DEFAULT_IAT_LEEWAY`]), so 330 seconds by default.
pub const DEFAULT_IAT_WINDOW: Duration = Duration::from_secs(300);
/// Default clock skew allowed around `iat`: 30 seconds (auth0-api-js's
/// `iatLeeway`).
pub const DEFAULT_IAT_LEEWAY: Duration = Duration::from_secs(30);
/// Default longest proof accepted: 8 KiB (an RSA-4096 `jwk` is under 1 KiB).
pub const DEFAULT_MAX_PROOF_LEN: usize = 8 * 1024;

/// JWK members that hold private key material (RFC 7518 §6.2.2, §6.3.2,
/// §6.4; RFC 8037 §2). RFC 9449 §4.3 check 7: the `jwk` header must not
/// contain a private key.
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Why a DPoP proof was refused. Never contains the proof, the access token
/// or key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DpopError {
    /// The proof is not a well-formed JWS (RFC 9449 §4.3 check 2).
    #[error("the DPoP proof is not a well-formed JWT")]
    Malformed(#[source] JwsError),
    /// The header `typ` is not `dpop+jwt` (RFC 9449 §4.2, §4.3 check 4).
    /// Likely cause: an access token or ID token sent as a proof.
    #[error("the DPoP proof's `typ` is not `dpop+jwt`")]
    WrongType,
    /// The header `alg` is symmetric or not in the allow-list (RFC 9449
    /// §4.3 check 5).
    #[error("the DPoP proof's `alg` {alg} is not accepted")]
    AlgorithmNotAllowed {
        /// The proof's algorithm.
        alg: Algorithm,
    },
    /// The header has no `jwk` (RFC 9449 §4.2).
    #[error("the DPoP proof has no `jwk` header")]
    MissingJwk,
    /// The `jwk` header holds a private key member (RFC 9449 §4.3 check 7).
    /// Likely cause: a client library serialising its whole key pair — the
    /// key must be considered leaked.
    #[error("the DPoP proof's `jwk` contains the private member `{member}`")]
    PrivateKey {
        /// The private member found.
        member: &'static str,
    },
    /// The `jwk` header is not a usable public key (bad members, unknown
    /// type or curve, not a point on the curve, …).
    #[error("the DPoP proof's `jwk` is not a usable public key")]
    InvalidJwk(#[source] KeyError),
    /// The `jwk` header's members have the wrong types.
    #[error("the DPoP proof's `jwk` is malformed")]
    MalformedJwk(#[source] JwkError),
    /// The signature does not verify with the `jwk` header's key (RFC 9449
    /// §4.3 check 6).
    #[error("the DPoP proof's signature is invalid")]
    InvalidSignature,
    /// A required claim is absent or has the wrong type (RFC 9449 §4.2,
    /// §4.3 check 3).
    #[error("the DPoP proof's `{claim}` claim is missing or not {expected}")]
    InvalidClaim {
        /// The claim.
        claim: &'static str,
        /// The type it must have.
        expected: &'static str,
    },
    /// `htm` is not the request's method (RFC 9449 §4.3 check 8).
    #[error("the DPoP proof was made for another HTTP method")]
    MethodMismatch,
    /// `htu` is not the request's URI (RFC 9449 §4.3 check 9). Likely cause
    /// behind a proxy: the API sees another scheme, host or path than the
    /// client; configure [`DpopValidatorBuilder::external_base_url`].
    #[error("the DPoP proof was made for another URI")]
    UriMismatch,
    /// The request URI the proof is compared with could not be formed (no
    /// `Host` header, not http(s), …). Behind a proxy, configure
    /// [`DpopValidatorBuilder::external_base_url`].
    #[error("the request URI cannot be compared with the DPoP proof: {reason}")]
    RequestUri {
        /// What is wrong.
        reason: &'static str,
    },
    /// `iat` is older than the window plus leeway (RFC 9449 §4.3 check 11):
    /// a stale or pre-made proof.
    #[error("the DPoP proof is too old")]
    Stale,
    /// `iat` is further in the future than the leeway allows (RFC 9449 §4.3
    /// check 11). Likely cause: the client's clock is ahead.
    #[error("the DPoP proof is issued in the future")]
    IssuedInFuture,
    /// The server requires a nonce and the proof has none, or one that is
    /// not (or no longer) valid (RFC 9449 §8, §4.3 check 10). Answer with
    /// `error="use_dpop_nonce"` and [`nonce`](DpopError::UseNonce::nonce) in
    /// the `DPoP-Nonce` header.
    #[error("the DPoP proof must carry the server's current nonce")]
    UseNonce {
        /// The nonce the client should use (not secret).
        nonce: String,
    },
    /// An access token was presented and the proof has no `ath` (RFC 9449
    /// §4.3 check 12, §7.1).
    #[error("the DPoP proof has no `ath` for the access token")]
    MissingAth,
    /// `ath` is not the hash of the presented access token (RFC 9449 §4.3
    /// check 12): the proof was made for another token.
    #[error("the DPoP proof's `ath` does not match the access token")]
    AthMismatch,
    /// The proof key's RFC 7638 thumbprint is not the token's `cnf.jkt`
    /// (RFC 9449 §4.3 check 12, §6.1): the token is bound to another key —
    /// a stolen token used with the thief's own key.
    #[error("the DPoP proof key is not the key the access token is bound to")]
    KeyMismatch,
    /// This proof (same key, same `jti`) was already used (RFC 9449 §11.1).
    #[error("the DPoP proof was already used")]
    Replayed,
    /// The replay store could not answer; the proof is refused since it may
    /// be a replay. A server problem (answer 503).
    #[error("the DPoP replay check failed")]
    ReplayStore(#[source] ReplayStoreError),
}

impl DpopError {
    /// True when the server, not the client, is at fault (answer 503, not 401).
    pub fn is_server_error(&self) -> bool {
        matches!(self, Self::ReplayStore(_))
    }
}

/// The HTTP request a proof must match: method and absolute URI as the
/// client addressed it (query and fragment are ignored). Its `Debug` shows
/// the access token as `<redacted>`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DpopRequest<'a> {
    method: &'a str,
    uri: &'a str,
    access_token: Option<(&'a str, &'a str)>,
}

impl fmt::Debug for DpopRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopRequest")
            .field("method", &self.method)
            .field("uri", &self.uri)
            .field("access_token", &self.access_token.map(|_| "<redacted>"))
            .field("cnf_jkt", &self.access_token.map(|(_, jkt)| jkt))
            .finish()
    }
}

impl<'a> DpopRequest<'a> {
    /// A request with this method (`GET`, `POST`, … exactly as sent) and
    /// absolute URI.
    pub fn new(method: &'a str, uri: &'a str) -> Self {
        Self {
            method,
            uri,
            access_token: None,
        }
    }

    /// The access token sent with the proof and the thumbprint its (already
    /// verified) `cnf.jkt` names: the proof must hash this token in `ath`
    /// and be signed by that key (RFC 9449 §4.3 check 12).
    pub fn access_token(mut self, token: &'a str, cnf_jkt: &'a str) -> Self {
        self.access_token = Some((token, cnf_jkt));
        self
    }
}

/// A proof that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedProof {
    /// RFC 7638 thumbprint (SHA-256, base64url) of the proof's key.
    pub jkt: String,
    /// The proof's `alg`.
    pub alg: Algorithm,
    /// The proof's `iat`.
    pub iat: i64,
}

/// Validates DPoP proofs (RFC 9449 §4.3). Build with [`DpopValidator::builder`].
///
/// ```
/// use auth0_jwt::dpop::{DpopRequest, DpopValidator};
/// use auth0_jwt::sign::SigningKey;
/// use auth0_jwt::{Algorithm, Clock, SystemClock};
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let validator = DpopValidator::builder().build()?;
///
/// // The client side: a key pair and a proof for `GET /orders`.
/// let key = SigningKey::generate_es256()?.with_typ(Some("dpop+jwt".into()));
/// let jwk = serde_json::to_value(key.to_public_jwk()?)?;
/// let mut header = serde_json::Map::new();
/// header.insert("jwk".into(), jwk);
/// let proof = key.sign_token(&header, &serde_json::json!({
///     "jti": "e1j3V_bKic8-LAEB", "htm": "GET",
///     "htu": "https://api.example.com/orders", "iat": SystemClock.now(),
/// }))?;
///
/// let verified = validator
///     .validate(&proof, &DpopRequest::new("GET", "https://api.example.com/orders?page=2"))
///     .await?;
/// assert_eq!(verified.alg, Algorithm::ES256);
/// // The same proof again is a replay.
/// assert!(validator
///     .validate(&proof, &DpopRequest::new("GET", "https://api.example.com/orders"))
///     .await
///     .is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct DpopValidator {
    algorithms: Vec<Algorithm>,
    iat_window: i64,
    leeway: i64,
    external_base: Option<String>,
    replay: Arc<dyn ReplayStore>,
    nonce: Option<Arc<dyn NonceSource>>,
    clock: Arc<dyn Clock>,
    parse_options: ParseOptions,
}

impl fmt::Debug for DpopValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopValidator")
            .field("algorithms", &self.algorithms)
            .field("iat_window", &self.iat_window)
            .field("leeway", &self.leeway)
            .field("external_base", &self.external_base)
            .field("nonce_required", &self.nonce.is_some())
            .finish_non_exhaustive()
    }
}

/// Builds a [`DpopValidator`].
pub struct DpopValidatorBuilder {
    algorithms: Vec<Algorithm>,
    iat_window: Duration,
    leeway: Duration,
    external_base: Option<String>,
    replay: Option<Arc<dyn ReplayStore>>,
    nonce: Option<Arc<dyn NonceSource>>,
    clock: Arc<dyn Clock>,
    max_proof_len: usize,
}

impl fmt::Debug for DpopValidatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopValidatorBuilder")
            .field("algorithms", &self.algorithms)
            .field("iat_window", &self.iat_window)
            .field("leeway", &self.leeway)
            .field("external_base", &self.external_base)
            .finish_non_exhaustive()
    }
}

impl Default for DpopValidatorBuilder {
    fn default() -> Self {
        Self {
            // ES256 is what auth0-api-js accepts and RFC 9449 §4.2's example
            // uses; EdDSA and the RSA algorithms can be added.
            algorithms: vec![Algorithm::ES256],
            iat_window: DEFAULT_IAT_WINDOW,
            leeway: DEFAULT_IAT_LEEWAY,
            external_base: None,
            replay: None,
            nonce: None,
            clock: Arc::new(SystemClock),
            max_proof_len: DEFAULT_MAX_PROOF_LEN,
        }
    }
}

/// Why a [`DpopValidatorBuilder`] could not build.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DpopConfigError {
    /// The allow-list is empty or names a symmetric algorithm: RFC 9449 §4.2
    /// requires an asymmetric signature (a shared secret proves nothing about
    /// the client).
    #[error("DPoP algorithms must be a non-empty list of asymmetric algorithms")]
    Algorithms,
    /// The external base URL is not an absolute http(s) URL without query or
    /// fragment.
    #[error("the DPoP external base URL is not usable: {reason}")]
    ExternalBase {
        /// What is wrong.
        reason: &'static str,
    },
}

impl DpopValidatorBuilder {
    /// The accepted proof algorithms (default ES256). Only asymmetric ones.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// How long after its `iat` a proof is accepted (default 300 s). Replays
    /// are remembered this long (plus leeway), so a shorter window is also a
    /// smaller replay store.
    pub fn iat_window(mut self, window: Duration) -> Self {
        self.iat_window = window;
        self
    }

    /// Clock skew allowed on `iat`, both ways (default 30 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The URL clients use to reach this API, when a proxy or gateway in
    /// front changes scheme, host, port or path prefix: the request URI
    /// compared with `htu` is this base followed by the request's path
    /// ([`DpopValidator::request_uri`]). For example
    /// `https://api.example.com/v1` when the proxy strips `/v1`.
    pub fn external_base_url(mut self, base: impl Into<String>) -> Self {
        self.external_base = Some(base.into());
        self
    }

    /// Where seen proofs are remembered (default a [`MemoryReplayStore`] of
    /// [`DEFAULT_REPLAY_CAPACITY`]). Share one store between instances to
    /// refuse replays across a fleet.
    pub fn replay_store(mut self, store: Arc<dyn ReplayStore>) -> Self {
        self.replay = Some(store);
        self
    }

    /// Requires proofs to carry a nonce from `source` (RFC 9449 §8). Off by
    /// default.
    pub fn require_nonce(mut self, source: Arc<dyn NonceSource>) -> Self {
        self.nonce = Some(source);
        self
    }

    /// The clock (default the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Refuses longer proofs before decoding them (default 8 KiB).
    pub fn max_proof_len(mut self, max: usize) -> Self {
        self.max_proof_len = max;
        self
    }

    /// Checks the configuration and builds the validator.
    pub fn build(self) -> Result<DpopValidator, DpopConfigError> {
        if self.algorithms.is_empty() || self.algorithms.iter().any(|a| a.is_symmetric()) {
            return Err(DpopConfigError::Algorithms);
        }
        let external_base = match self.external_base {
            None => None,
            Some(base) => {
                if base.contains(['?', '#']) {
                    return Err(DpopConfigError::ExternalBase {
                        reason: "it has a query or fragment",
                    });
                }
                htu::normalize(&base).map_err(|e| DpopConfigError::ExternalBase { reason: e.0 })?;
                Some(base.trim_end_matches('/').to_owned())
            }
        };
        let secs = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        Ok(DpopValidator {
            algorithms: self.algorithms,
            iat_window: secs(self.iat_window),
            leeway: secs(self.leeway),
            external_base,
            replay: self
                .replay
                .unwrap_or_else(|| Arc::new(MemoryReplayStore::default())),
            nonce: self.nonce,
            clock: self.clock,
            parse_options: ParseOptions::default().max_token_len(self.max_proof_len),
        })
    }
}

impl DpopValidator {
    /// A builder with the defaults: ES256, 300 s window, 30 s leeway, an
    /// in-memory replay store, no nonce.
    pub fn builder() -> DpopValidatorBuilder {
        DpopValidatorBuilder::default()
    }

    /// The accepted algorithms, for the `algs` of a `WWW-Authenticate: DPoP`
    /// challenge (RFC 9449 §7.1).
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    /// The nonce to send in `DPoP-Nonce`, if nonces are required.
    pub fn current_nonce(&self) -> Option<String> {
        self.nonce.as_ref().map(|n| n.current(self.clock.now()))
    }

    /// The absolute URI of a request as the client addressed it, for
    /// [`DpopRequest::new`]: the external base URL followed by the request
    /// path when one is configured; else the request target itself when it is
    /// absolute; else `https://` + `Host` + path, where `Host` must be a host
    /// and optional port (RFC 9110 §7.2) — one carrying a path, query,
    /// fragment or userinfo is refused.
    pub fn request_uri(&self, uri: &Uri, headers: &HeaderMap) -> Result<String, DpopError> {
        let path = uri.path();
        if let Some(base) = &self.external_base {
            return Ok(format!("{base}{path}"));
        }
        if let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) {
            return Ok(format!("{scheme}://{authority}{path}"));
        }
        let host = headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .ok_or(DpopError::RequestUri {
                reason: "no usable Host header and no external base URL",
            })?;
        if !is_host_header(host) {
            return Err(DpopError::RequestUri {
                reason: "the Host header is not a host and optional port",
            });
        }
        Ok(format!("https://{host}{path}"))
    }

    /// Checks `proof` against `request` (RFC 9449 §4.3, in its order) and
    /// records it as used. A proof is recorded only once its signature
    /// verified, so junk never fills the replay store.
    ///
    /// # Errors
    ///
    /// The [`DpopError`] of the first check that fails.
    pub async fn validate(
        &self,
        proof: &str,
        request: &DpopRequest<'_>,
    ) -> Result<VerifiedProof, DpopError> {
        let validation = async {
            let checked = self.check(proof, request)?;
            let seen = self
                .replay
                .check_and_record(checked.id, checked.expires_at, checked.now)
                .await;
            checked.finish(seen)
        };
        let span = crate::trace::validation_span(crate::trace::DPOP_PROOF, proof);
        if span.is_disabled() {
            return validation.await;
        }
        crate::trace::traced(span, validation).await
    }

    /// [`validate`](Self::validate) when the replay store answers without
    /// waiting ([`ReplayStore::check_and_record_now`], as
    /// [`MemoryReplayStore`] does); `None` otherwise, before anything is
    /// checked or recorded.
    pub fn validate_now(
        &self,
        proof: &str,
        request: &DpopRequest<'_>,
    ) -> Option<Result<VerifiedProof, DpopError>> {
        let answer = self.validate_now_untraced(proof, request);
        crate::trace::validated_now(crate::trace::DPOP_PROOF, proof, answer.as_ref());
        answer
    }

    fn validate_now_untraced(
        &self,
        proof: &str,
        request: &DpopRequest<'_>,
    ) -> Option<Result<VerifiedProof, DpopError>> {
        let checked = match self.check(proof, request) {
            Ok(checked) => checked,
            Err(error) => return Some(Err(error)),
        };
        let seen = self
            .replay
            .check_and_record_now(checked.id, checked.expires_at, checked.now)?;
        Some(checked.finish(seen))
    }

    /// Every check but the replay one.
    fn check(&self, proof: &str, request: &DpopRequest<'_>) -> Result<Checked, DpopError> {
        // Check 2: one well-formed JWT (the single-header check, 1, is the
        // caller's: it sees the header map).
        let jws = Jws::parse(proof, &self.parse_options).map_err(DpopError::Malformed)?;
        let header = jws.header();
        // Check 4: `typ` (a media type, case-insensitive per RFC 7515 §4.1.9).
        if !header.typ.as_deref().is_some_and(|t| typ_is(t, "dpop+jwt")) {
            return Err(DpopError::WrongType);
        }
        // Check 5: asymmetric and allowed.
        let alg = jws.algorithm();
        if alg.is_symmetric() || !self.algorithms.contains(&alg) {
            return Err(DpopError::AlgorithmNotAllowed { alg });
        }
        // Check 7 before building the key: no private member at all.
        let jwk_map = header.jwk.as_ref().ok_or(DpopError::MissingJwk)?;
        if let Some(member) = PRIVATE_MEMBERS.iter().find(|m| jwk_map.contains_key(**m)) {
            return Err(DpopError::PrivateKey { member });
        }
        let jwk =
            Jwk::from_value(Value::Object(jwk_map.clone())).map_err(DpopError::MalformedJwk)?;
        let key = VerifyingKey::from_jwk(&jwk).map_err(DpopError::InvalidJwk)?;
        // Check 6: signed by that key.
        key.verify(alg, jws.signing_input(), jws.signature())
            .map_err(|e| match e {
                KeyError::InvalidSignature => DpopError::InvalidSignature,
                other => DpopError::InvalidJwk(other),
            })?;
        let claims = jws.claims();
        let string = |claim: &'static str| {
            claims
                .get(claim)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .ok_or(DpopError::InvalidClaim {
                    claim,
                    expected: "a non-empty string",
                })
        };
        // Check 3: the required claims (RFC 9449 §4.2).
        let jti = string("jti")?;
        let htm = string("htm")?;
        let htu = string("htu")?;
        let iat = numeric_date(claims.get("iat")).ok_or(DpopError::InvalidClaim {
            claim: "iat",
            expected: "a NumericDate",
        })?;
        // Check 8: the method, compared exactly (RFC 9110 §9.1: methods are
        // case-sensitive).
        if htm != request.method {
            return Err(DpopError::MethodMismatch);
        }
        // Check 9: the URI, normalized on both sides.
        let expected =
            htu::normalize(request.uri).map_err(|e| DpopError::RequestUri { reason: e.0 })?;
        match htu::normalize(htu) {
            Ok(found) if found == expected => {}
            _ => return Err(DpopError::UriMismatch),
        }
        let now = self.clock.now();
        // Check 10: the server nonce, when one is required (RFC 9449 §8).
        if let Some(source) = &self.nonce {
            let given = claims.get("nonce").and_then(Value::as_str);
            if !given.is_some_and(|n| source.is_valid(n, now)) {
                return Err(DpopError::UseNonce {
                    nonce: source.current(now),
                });
            }
        }
        // Check 11: `iat` inside [now - window - leeway, now + leeway].
        if iat > now.saturating_add(self.leeway) {
            return Err(DpopError::IssuedInFuture);
        }
        let expires_at = iat
            .saturating_add(self.iat_window)
            .saturating_add(self.leeway);
        if expires_at < now {
            return Err(DpopError::Stale);
        }
        // Computed once: check 12 and the replay id use it.
        let jkt = jwk.thumbprint().map_err(DpopError::MalformedJwk)?;
        // Check 12: bound to the access token presented with it.
        if let Some((token, cnf_jkt)) = request.access_token {
            let ath = claims.get("ath").ok_or(DpopError::MissingAth)?;
            let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
            if ath.as_str() != Some(base64url::encode(digest.as_ref()).as_str()) {
                return Err(DpopError::AthMismatch);
            }
            if jkt != cnf_jkt {
                return Err(DpopError::KeyMismatch);
            }
        }
        Ok(Checked {
            id: ProofId::new(&jkt, jti),
            expires_at,
            now,
            proof: VerifiedProof { jkt, alg, iat },
        })
    }
}

/// A proof that passed every check but the replay one.
struct Checked {
    id: ProofId,
    expires_at: i64,
    now: i64,
    proof: VerifiedProof,
}

impl Checked {
    /// The verdict once the replay store answered.
    fn finish(self, seen: Result<Seen, ReplayStoreError>) -> Result<VerifiedProof, DpopError> {
        match seen.map_err(DpopError::ReplayStore)? {
            Seen::First => Ok(self.proof),
            _ => Err(DpopError::Replayed),
        }
    }
}

/// RFC 9110 §7.2: `Host = uri-host [ ":" port ]`. The header is the sender's
/// text and is pasted in front of the path: a `/`, `?`, `#` or `@` in it
/// would move part of it into the path or out of the host, so that
/// `Host: api.example.com/orders` with target `/x` compared equal to a
/// proof made for `https://api.example.com/orders/x` (RFC 9449 §4.3 check
/// 9: `htu` is the URI of *this* request).
fn is_host_header(host: &str) -> bool {
    !host.contains(['/', '?', '#', '@']) && host.parse::<http::uri::Authority>().is_ok()
}

/// A JSON NumericDate (RFC 7519 §2) as whole seconds; fractions are dropped.
fn numeric_date(value: Option<&Value>) -> Option<i64> {
    let number = value?.as_number()?;
    if let Some(i) = number.as_i64() {
        return Some(i);
    }
    let f = number.as_f64()?;
    // `as` saturates; the range check keeps huge values out anyway.
    (f.is_finite() && f.abs() < 1e15).then_some(f.trunc() as i64)
}

/// How an API treats DPoP (auth0-api-js's `dpop.enabled` / `dpop.required`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DpopMode {
    /// Bearer tokens only; the `DPoP` scheme is refused.
    Disabled,
    /// Both schemes; a DPoP-bound token must come with the `DPoP` scheme and
    /// a proof (RFC 9449 §7.2).
    #[default]
    Allowed,
    /// Only the `DPoP` scheme with a DPoP-bound token and a proof.
    Required,
}

/// The `Authorization` scheme a token came with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scheme {
    /// `Bearer` (RFC 6750).
    Bearer,
    /// `DPoP` (RFC 9449 §7.1).
    Dpop,
}

/// Why a request's credentials were refused by a [`DpopAccessTokenValidator`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DpopAuthError {
    /// The access token itself is invalid.
    #[error(transparent)]
    Token(Error),
    /// The DPoP proof is invalid.
    #[error(transparent)]
    Proof(DpopError),
    /// The `DPoP` scheme was used but this API has DPoP disabled.
    #[error("DPoP is not enabled for this API")]
    DpopDisabled,
    /// A `Bearer` token was sent to an API that requires DPoP.
    #[error("this API requires DPoP-bound access tokens")]
    BearerNotAccepted,
    /// A DPoP-bound token (with `cnf.jkt`) was sent as `Bearer`: whoever sends
    /// it may not hold the key (RFC 9449 §7.2).
    #[error("a DPoP-bound access token must be sent with the DPoP scheme")]
    BoundTokenAsBearer,
    /// The `DPoP` scheme was used with a token that has no `cnf.jkt` (RFC 9449
    /// §7.1: the scheme is for DPoP-bound tokens).
    #[error("the access token is not DPoP-bound")]
    TokenNotBound,
    /// The `DPoP` scheme was used without a `DPoP` proof header (RFC 9449
    /// §7.1).
    #[error("the request has no DPoP proof")]
    MissingProof,
    /// A `Bearer` token came with a `DPoP` header: refused rather than
    /// silently ignoring the proof the client meant to use.
    #[error("a DPoP proof was sent with a Bearer token")]
    ProofWithBearer,
}

/// Validates a request's access token and, for DPoP, its proof.
///
/// ```
/// use auth0_jwt::dpop::{DpopAccessTokenValidator, DpopMode, DpopValidator, Scheme, DpopRequest};
/// use auth0_jwt::{AccessTokenValidator, StaticKeys};
///
/// # fn keys() -> StaticKeys { StaticKeys::new(auth0_jwt::KeySet::new()) }
/// let validator = DpopAccessTokenValidator::new(
///     AccessTokenValidator::builder()
///         .key_source(keys())
///         .issuer("https://tenant.auth0.com/")
///         .audience("https://api.example.com")
///         .build()?,
///     DpopValidator::builder().build()?,
///     DpopMode::Required,
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct DpopAccessTokenValidator {
    tokens: AccessTokenValidator,
    proofs: DpopValidator,
    mode: DpopMode,
}

impl DpopAccessTokenValidator {
    /// Access tokens checked by `tokens`, proofs by `proofs`, under `mode`.
    pub fn new(tokens: AccessTokenValidator, proofs: DpopValidator, mode: DpopMode) -> Self {
        Self {
            tokens,
            proofs,
            mode,
        }
    }

    /// The access-token validator (and its cache).
    pub fn tokens(&self) -> &AccessTokenValidator {
        &self.tokens
    }

    /// The proof validator.
    pub fn proofs(&self) -> &DpopValidator {
        &self.proofs
    }

    /// The mode.
    pub fn mode(&self) -> DpopMode {
        self.mode
    }

    /// Validates `token` sent with `scheme`, and `proof` (the `DPoP` header,
    /// if any) against `request` (method and URI; its access token is set
    /// here). The token check goes through the validator's cache; the proof is
    /// checked every time.
    pub async fn validate(
        &self,
        scheme: Scheme,
        token: &str,
        proof: Option<&str>,
        request: DpopRequest<'_>,
    ) -> Result<Arc<AccessTokenClaims>, DpopAuthError> {
        self.check_scheme(scheme, proof)?;
        let claims = self
            .tokens
            .validate(token)
            .await
            .map_err(DpopAuthError::Token)?;
        if let Some((proof, jkt)) = self.binding(scheme, proof, &claims)? {
            self.proofs
                .validate(proof, &request.access_token(token, jkt))
                .await
                .map_err(DpopAuthError::Proof)?;
        }
        Ok(claims)
    }

    /// [`validate`](Self::validate) when it can be answered without waiting:
    /// the token is in the validator's verified-token cache
    /// ([`AccessTokenValidator::validate_cached`]) and the replay store
    /// answers at once ([`DpopValidator::validate_now`]); the proof is
    /// checked in full either way. `None` otherwise (nothing recorded).
    pub fn validate_now(
        &self,
        scheme: Scheme,
        token: &str,
        proof: Option<&str>,
        request: DpopRequest<'_>,
    ) -> Option<Result<Arc<AccessTokenClaims>, DpopAuthError>> {
        if let Err(error) = self.check_scheme(scheme, proof) {
            return Some(Err(error));
        }
        let claims = match self.tokens.validate_cached(token)? {
            Ok(claims) => claims,
            Err(error) => return Some(Err(DpopAuthError::Token(error))),
        };
        let bound = match self.binding(scheme, proof, &claims) {
            Ok(bound) => bound,
            Err(error) => return Some(Err(error)),
        };
        if let Some((proof, jkt)) = bound {
            let verdict = self
                .proofs
                .validate_now(proof, &request.access_token(token, jkt))?;
            if let Err(error) = verdict {
                return Some(Err(DpopAuthError::Proof(error)));
            }
        }
        Some(Ok(claims))
    }

    /// The scheme and proof-header rules that need no token.
    fn check_scheme(&self, scheme: Scheme, proof: Option<&str>) -> Result<(), DpopAuthError> {
        match (scheme, self.mode) {
            (Scheme::Dpop, DpopMode::Disabled) => Err(DpopAuthError::DpopDisabled),
            (Scheme::Bearer, DpopMode::Required) => Err(DpopAuthError::BearerNotAccepted),
            (Scheme::Bearer, _) if proof.is_some() && self.mode != DpopMode::Disabled => {
                Err(DpopAuthError::ProofWithBearer)
            }
            (Scheme::Dpop, _) if proof.is_none() => Err(DpopAuthError::MissingProof),
            _ => Ok(()),
        }
    }

    /// After the token is valid: the proof to check and the thumbprint it
    /// must match (`None` for an accepted bearer token).
    fn binding<'p, 'c>(
        &self,
        scheme: Scheme,
        proof: Option<&'p str>,
        claims: &'c AccessTokenClaims,
    ) -> Result<Option<(&'p str, &'c str)>, DpopAuthError> {
        let jkt = cnf_jkt(claims);
        match scheme {
            Scheme::Bearer => {
                // RFC 9449 §7.2: a resource server that supports DPoP refuses
                // a DPoP-bound token used as a bearer token.
                if self.mode != DpopMode::Disabled && jkt.is_some() {
                    return Err(DpopAuthError::BoundTokenAsBearer);
                }
                Ok(None)
            }
            Scheme::Dpop => {
                let jkt = jkt.ok_or(DpopAuthError::TokenNotBound)?;
                let proof = proof.ok_or(DpopAuthError::MissingProof)?;
                Ok(Some((proof, jkt)))
            }
        }
    }
}

/// `cnf.jkt` of a verified access token (RFC 9449 §6.1), if it has one.
pub fn cnf_jkt(claims: &AccessTokenClaims) -> Option<&str> {
    claims.get("cnf")?.get("jkt")?.as_str()
}
