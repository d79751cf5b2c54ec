//! DPoP on the client side (RFC 9449): a [`DpopKey`] the application keeps,
//! proofs signed with it (auth0-jwt's `sign` module), and the
//! [`AuthenticationClient`] wiring — with a key set, every `/oauth/token`
//! request carries a `DPoP` proof (Auth0 then issues tokens bound to the key,
//! `token_type: DPoP`), `/userinfo` is called with `Authorization: DPoP` and
//! a proof hashing the token (`ath`), and a server's `use_dpop_nonce` answer
//! is retried once with the nonce it sent (§8, §9). The last nonce of each
//! server is remembered for later proofs.
//!
//! ```no_run
//! use auth0_authentication::{AuthenticationClient, DpopKey};
//! use auth0_core::{Auth0Client, ClientConfig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let core = Auth0Client::new(ClientConfig::new("tenant.eu.auth0.com")?)?;
//! let auth = AuthenticationClient::builder(core, "my-client-id")
//!     .client_secret(std::env::var("AUTH0_CLIENT_SECRET")?)
//!     .dpop(DpopKey::generate()?)
//!     .build()?;
//! let token = auth.client_credentials("https://api.example.com/", None).await?;
//! assert!(token.is_dpop());
//! // A proof for a call to the API, bound to the token.
//! let proof = auth.dpop_proof(&http::Method::GET, "https://api.example.com/orders", Some(&token.access_token))?;
//! # let _ = proof; Ok(()) }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};

use auth0_core::error::{Auth0Error, Error};
use auth0_core::types::HttpResponse;
use auth0_jwt::alg::Algorithm;
use auth0_jwt::clock::{Clock, SystemClock};
use auth0_jwt::sign::{SignError, SigningKey};
use http::header::{HeaderValue, WWW_AUTHENTICATE};
use http::{HeaderMap, Method, Uri};
use serde::Serialize;
use serde_json::{Map, Value};

use auth0_core::retry::RetryAttempt;

use crate::client::{
    AttemptHeaders, AuthenticationClient, RetryHeadersFn, header_value, invalid_request, one_header,
};

/// The `DPoP` request header (RFC 9449 §4.1).
pub const DPOP_HEADER: &str = "dpop";
/// The `DPoP-Nonce` response header (RFC 9449 §8.1).
pub const DPOP_NONCE_HEADER: &str = "dpop-nonce";

/// Why a DPoP key could not be made or a proof signed. Never contains key
/// material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DpopError {
    /// DPoP needs an asymmetric key (RFC 9449 §4.2: the public key goes in
    /// the proof's header); an HMAC secret cannot be used.
    #[error("a DPoP key must be asymmetric, not {alg}")]
    SymmetricKey {
        /// The key's algorithm.
        alg: &'static str,
    },
    /// Making the key, its public JWK or a signature failed.
    #[error("DPoP signing failed")]
    Sign(#[source] SignError),
    /// The URI to prove is not an absolute `http(s)` URI.
    #[error("the DPoP target is not an absolute http(s) URI")]
    InvalidUri,
    /// The system random number generator failed (the proof's `jti`).
    #[error("the system random number generator failed")]
    Random,
}

/// The key pair an application proves possession of (RFC 9449). Tokens
/// issued with its proofs are bound to its thumbprint (`cnf.jkt`).
///
/// [`DpopKey::generate`] makes an ES256 (P-256) key with ring, as
/// auth0-spa-js and auth0-auth-js do. `Debug` shows the algorithm and the
/// thumbprint, never the private key.
///
/// ```
/// use auth0_authentication::DpopKey;
/// let key = DpopKey::generate()?;
/// assert_eq!(key.thumbprint().len(), 43);
/// assert!(format!("{key:?}").contains(key.thumbprint()));
/// let proof = key.proof(&http::Method::POST, "https://tenant.auth0.com/oauth/token").sign()?;
/// assert_eq!(proof.split('.').count(), 3);
/// # Ok::<(), auth0_authentication::dpop::DpopError>(())
/// ```
pub struct DpopKey {
    key: SigningKey,
    jwk: Value,
    jkt: String,
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey")
            .field("alg", &self.key.algorithm().as_str())
            .field("jkt", &self.jkt)
            .finish_non_exhaustive()
    }
}

impl DpopKey {
    /// A new ES256 key pair.
    pub fn generate() -> Result<Self, DpopError> {
        Self::from_signing_key(SigningKey::generate_es256().map_err(DpopError::Sign)?)
    }

    /// An existing asymmetric key (ES256, ES384, RS256, PS256, EdDSA, …),
    /// e.g. one kept across restarts so refresh tokens bound to it stay
    /// usable.
    pub fn from_signing_key(key: SigningKey) -> Result<Self, DpopError> {
        let alg = key.algorithm();
        if alg.is_symmetric() {
            return Err(DpopError::SymmetricKey { alg: alg.as_str() });
        }
        // RFC 9449 §4.2: `typ: dpop+jwt`, the public key in `jwk`, no `kid`.
        let key = key.with_typ(Some("dpop+jwt".to_owned()));
        let mut public = key.to_public_jwk().map_err(DpopError::Sign)?;
        let jkt = public.thumbprint().map_err(|_| {
            DpopError::Sign(SignError::KeyRejected {
                reason: "the public key has no thumbprint".to_owned(),
            })
        })?;
        public.kid = None;
        public.use_ = None;
        public.alg = None;
        let jwk = serde_json::to_value(&public).map_err(|e| {
            DpopError::Sign(SignError::Serialize {
                reason: e.to_string(),
            })
        })?;
        Ok(Self { key, jwk, jkt })
    }

    /// A key from a PKCS#8 PEM private key, signing with `alg`.
    pub fn from_pem(pem: &str, alg: Algorithm) -> Result<Self, DpopError> {
        Self::from_signing_key(SigningKey::from_pem(pem, alg).map_err(DpopError::Sign)?)
    }

    /// The RFC 7638 SHA-256 thumbprint of the public key: the `cnf.jkt` of
    /// tokens bound to it, and `dpop_jkt` of an authorization request.
    pub fn thumbprint(&self) -> &str {
        &self.jkt
    }

    /// The signing algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.key.algorithm()
    }

    /// Starts a proof for a `method` request to `uri` (query and fragment
    /// are left out of `htu`, RFC 9449 §4.2).
    pub fn proof<'a>(&'a self, method: &'a Method, uri: &'a str) -> DpopProof<'a> {
        DpopProof {
            key: self,
            method,
            uri,
            access_token: None,
            nonce: None,
            clock: None,
        }
    }
}

/// One DPoP proof being made; [`DpopProof::sign`] finishes it.
#[must_use]
pub struct DpopProof<'a> {
    key: &'a DpopKey,
    method: &'a Method,
    uri: &'a str,
    access_token: Option<&'a str>,
    nonce: Option<&'a str>,
    clock: Option<&'a dyn Clock>,
}

impl fmt::Debug for DpopProof<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopProof")
            .field("method", self.method)
            .field("uri", &self.uri)
            .field("access_token", &self.access_token.map(|_| "[REDACTED]"))
            .field("nonce", &self.nonce)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct ProofClaims<'a> {
    jti: String,
    htm: &'a str,
    htu: &'a str,
    iat: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    ath: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
}

impl<'a> DpopProof<'a> {
    /// Binds the proof to the access token sent with it (`ath`, the
    /// base64url SHA-256 of the token; RFC 9449 §4.2, for resource
    /// requests).
    pub fn access_token(mut self, token: &'a str) -> Self {
        self.access_token = Some(token);
        self
    }

    /// The server's latest `DPoP-Nonce` (RFC 9449 §8).
    pub fn nonce(mut self, nonce: &'a str) -> Self {
        self.nonce = Some(nonce);
        self
    }

    /// The clock that dates the proof (`iat`; default the system clock).
    pub fn clock(mut self, clock: &'a dyn Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The signed proof, for the `DPoP` header.
    pub fn sign(self) -> Result<String, DpopError> {
        let uri: Uri = self.uri.parse().map_err(|_| DpopError::InvalidUri)?;
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(DpopError::InvalidUri);
        };
        if !matches!(scheme, "http" | "https") {
            return Err(DpopError::InvalidUri);
        }
        let htu = format!("{scheme}://{authority}{}", uri.path());
        let ath = self.access_token.map(|token| {
            use base64::Engine as _;
            let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
        });
        let iat = match self.clock {
            Some(clock) => clock.now(),
            None => SystemClock.now(),
        };
        let claims = ProofClaims {
            jti: crate::client_auth::random_uuid_v4().map_err(|_| DpopError::Random)?,
            htm: self.method.as_str(),
            htu: &htu,
            iat,
            ath,
            nonce: self.nonce,
        };
        let mut header = Map::new();
        header.insert("jwk".to_owned(), self.key.jwk.clone());
        self.key
            .key
            .sign_token(&header, &claims)
            .map_err(DpopError::Sign)
    }
}

/// A client's key and the last nonce each server sent.
pub(crate) struct DpopState {
    pub(crate) key: DpopKey,
    nonces: Mutex<HashMap<String, String>>,
}

impl fmt::Debug for DpopState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.key.fmt(f)
    }
}

impl DpopState {
    pub(crate) fn new(key: DpopKey) -> Self {
        Self {
            key,
            nonces: Mutex::new(HashMap::new()),
        }
    }

    fn nonces(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.nonces
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The last nonce the server at `origin` sent.
    fn nonce(&self, origin: &str) -> Option<String> {
        self.nonces().get(origin).cloned()
    }

    /// Keeps the `DPoP-Nonce` of a response from `origin`, if it has one.
    fn remember(&self, origin: &str, headers: &HeaderMap) {
        let nonce = headers
            .get(DPOP_NONCE_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|n| !n.is_empty());
        if let Some(nonce) = nonce {
            self.nonces().insert(origin.to_owned(), nonce.to_owned());
        }
    }

    /// A proof for `method` `uri` with the nonce remembered for its origin.
    fn proof(
        &self,
        method: &Method,
        uri: &str,
        access_token: Option<&str>,
    ) -> Result<String, DpopError> {
        let nonce = self.nonce(&origin(uri));
        let mut proof = self.key.proof(method, uri);
        if let Some(token) = access_token {
            proof = proof.access_token(token);
        }
        if let Some(nonce) = &nonce {
            proof = proof.nonce(nonce);
        }
        proof.sign()
    }
}

/// `scheme://authority` of `uri` (nonces are per server).
fn origin(uri: &str) -> String {
    match uri.parse::<Uri>() {
        Ok(u) => format!(
            "{}://{}",
            u.scheme_str().unwrap_or(""),
            u.authority().map_or("", |a| a.as_str())
        ),
        Err(_) => String::new(),
    }
}

/// True when an error answer asks for a (new) nonce: `use_dpop_nonce` in
/// the body (authorization server, RFC 9449 §8) or in a `WWW-Authenticate:
/// DPoP` challenge (resource server, §9), with a `DPoP-Nonce` header.
fn asks_for_nonce(error: &Auth0Error) -> bool {
    let has_nonce = error.headers.contains_key(DPOP_NONCE_HEADER);
    let in_challenge = error
        .headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.contains("use_dpop_nonce")));
    has_nonce && (error.error_code == "use_dpop_nonce" || in_challenge)
}

fn proof_error(e: DpopError) -> Error {
    Error::InvalidRequest {
        reason: "could not sign the DPoP proof".to_owned(),
        source: Some(Box::new(e)),
    }
}

/// `Authorization: DPoP <token>` (RFC 9449 §7.1), marked sensitive.
pub(crate) fn dpop_authorization(token: &str) -> Result<HeaderValue, Error> {
    if token.is_empty() {
        return Err(invalid_request("the access token is empty"));
    }
    header_value("access token", &format!("DPoP {token}"), true)
}

impl<S> AuthenticationClient<S> {
    /// The DPoP key, when the client was built with one.
    pub fn dpop_key(&self) -> Option<&DpopKey> {
        self.dpop_state().map(|s| &s.key)
    }

    /// A DPoP proof for a request to a resource server (or any URI) with
    /// this client's key: `ath` bound to `access_token` when given, the
    /// nonce that server last sent when one is known (see
    /// [`remember_dpop_nonce`](Self::remember_dpop_nonce)). Errors when the
    /// client has no DPoP key.
    pub fn dpop_proof(
        &self,
        method: &Method,
        uri: &str,
        access_token: Option<&str>,
    ) -> Result<String, Error> {
        let state = self
            .dpop_state()
            .ok_or_else(|| invalid_request("this client has no DPoP key"))?;
        state.proof(method, uri, access_token).map_err(proof_error)
    }

    /// Keeps the `DPoP-Nonce` a resource server at `uri` sent (in
    /// `headers`) for the next [`dpop_proof`](Self::dpop_proof) to it.
    pub fn remember_dpop_nonce(&self, uri: &str, headers: &HeaderMap) {
        if let Some(state) = self.dpop_state() {
            state.remember(&origin(uri), headers);
        }
    }

    /// Sends a request through `send` with a DPoP proof for `method`
    /// `path` on the tenant (when the client has a key), retrying once with
    /// the server's nonce when it answers `use_dpop_nonce`.
    ///
    /// Each attempt carries its own proof (new `jti`, new `iat`: a server
    /// refuses a `jti` it has seen, RFC 9449 §11.1): the first from here,
    /// and those of the retry layer's attempts (a 429, a 5xx) from the
    /// [`AttemptHeaders`] `send` passes on, signed with the nonce of the
    /// response just received, else the last one remembered (§8).
    pub(crate) async fn with_dpop<F, Fut>(
        &self,
        method: &Method,
        path: &str,
        access_token: Option<&str>,
        send: F,
    ) -> Result<HttpResponse, Error>
    where
        F: Fn(AttemptHeaders) -> Fut,
        Fut: Future<Output = Result<HttpResponse, Error>>,
    {
        let Some(state) = self.dpop_state() else {
            return send(AttemptHeaders::default()).await;
        };
        let uri = self.core().domain().url(path)?.to_string();
        let origin = origin(&uri);
        let retry: Arc<RetryHeadersFn> = {
            let (state, method, uri, origin) = (
                Arc::clone(state),
                method.clone(),
                uri.clone(),
                origin.clone(),
            );
            let access_token = access_token.map(str::to_owned);
            Arc::new(move |attempt: &RetryAttempt<'_>| {
                if let Some(headers) = attempt.previous_response() {
                    state.remember(&origin, headers);
                }
                proof_header(&state, &method, &uri, access_token.as_deref())
            })
        };
        let mut retried = false;
        loop {
            let first = proof_header(state, method, &uri, access_token)?;
            match send(AttemptHeaders::new(first, Some(Arc::clone(&retry)))).await {
                Ok(response) => {
                    state.remember(&origin, response.headers());
                    return Ok(response);
                }
                Err(error) => {
                    let Some(api) = error.auth0_error() else {
                        return Err(error);
                    };
                    state.remember(&origin, &api.headers);
                    if retried || !asks_for_nonce(api) {
                        return Err(error);
                    }
                    retried = true;
                }
            }
        }
    }
}

/// The `DPoP` header of one attempt: a new proof with the nonce remembered
/// for the server.
fn proof_header(
    state: &DpopState,
    method: &Method,
    uri: &str,
    access_token: Option<&str>,
) -> Result<HeaderMap, Error> {
    let proof = state
        .proof(method, uri, access_token)
        .map_err(proof_error)?;
    Ok(one_header(
        DPOP_HEADER,
        header_value("DPoP proof", &proof, true)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth0_jwt::jws::{Jws, ParseOptions};

    #[test]
    fn proof_shape() {
        let key = DpopKey::generate().unwrap();
        let proof = key
            .proof(&Method::GET, "https://api.example.com/a/b?x=1#f")
            .access_token("tok")
            .nonce("n-1")
            .sign()
            .unwrap();
        let jws = Jws::parse(&proof, &ParseOptions::default()).unwrap();
        assert_eq!(jws.header().typ.as_deref(), Some("dpop+jwt"));
        let claims = jws.claims();
        assert_eq!(claims["htu"], "https://api.example.com/a/b");
        assert_eq!(claims["htm"], "GET");
        assert_eq!(claims["nonce"], "n-1");
        assert_eq!(claims["ath"], "GnZ0607njffhrEOak8P6jjyUV4TU3sn9jjARc4svHWI");
        assert!(jws.header().jwk.as_ref().unwrap().get("d").is_none());
    }

    #[test]
    fn refuses_hmac_and_relative_uris() {
        let hmac = SigningKey::hmac(Algorithm::HS256, b"0123456789abcdef0123456789abcdef").unwrap();
        assert!(matches!(
            DpopKey::from_signing_key(hmac),
            Err(DpopError::SymmetricKey { .. })
        ));
        let key = DpopKey::generate().unwrap();
        assert!(matches!(
            key.proof(&Method::GET, "/relative").sign(),
            Err(DpopError::InvalidUri)
        ));
    }
}
