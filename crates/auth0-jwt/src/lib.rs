//! Strict, fast validation of Auth0 ID tokens and access tokens.
//!
//! - **ID tokens** (a web or native app after login): [`TokenVerifier`] runs
//!   the OpenID Connect checks in auth0-python's order and with its error
//!   messages — signature, `iss`, `sub`, `aud`, `exp`, `iat`, `nonce`,
//!   organization, `azp`, `auth_time`. Signatures are checked by an
//!   [`AsymmetricSignatureVerifier`] (RS256 by default: JWKS, PEM or a remote
//!   JWKS URL) or a [`SymmetricSignatureVerifier`] (HS256 with the client
//!   secret).
//! - **Access tokens** (an API or gateway): [`AccessTokenValidator`] checks
//!   the signature against an algorithm allow-list, issuer, audiences, times
//!   with leeway, `typ`, scopes/permissions and an organization policy, and
//!   caches verified tokens until they expire; [`layer::BearerAuthLayer`] puts
//!   it in front of a tower service.
//! - **Synchronous code** (feature `blocking`): `blocking::RemoteJwks`,
//!   `blocking::AccessTokenValidator` and `blocking::TokenVerifier` fetch
//!   keys on a background runtime thread and validate without `async`.
//! - **DPoP** (RFC 9449): [`dpop::DpopValidator`] checks proofs,
//!   [`dpop::DpopAccessTokenValidator`] a DPoP-bound request (token and
//!   proof), [`dpop::DpopAuthLayer`] is the tower layer for it.
//! - **Keys** come from a [`KeySource`]: fixed ([`StaticKeys`]) or fetched
//!   and cached (`jwks::RemoteJwks`, feature `remote`). The token's header
//!   never chooses the algorithm or supplies the key.
//!
//! Every failure is a typed [`Error`] variant; no message contains the token.
//!
//! # Example
//!
//! ```
//! use auth0_jwt::id_token::{TokenVerifier, VerifyOptions};
//! use auth0_jwt::sign::SigningKey;
//! use auth0_jwt::verifier::SymmetricSignatureVerifier;
//! use auth0_jwt::{Algorithm, SystemClock, Clock};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let secret = b"the-application-client-secret-0123456789";
//! # let now = SystemClock.now();
//! # let id_token = SigningKey::hmac(Algorithm::HS256, secret)?.sign_token(
//! #     &Default::default(),
//! #     &serde_json::json!({"iss": "https://tenant.auth0.com/", "sub": "auth0|1",
//! #         "aud": "my-client-id", "exp": now + 600, "iat": now, "nonce": "n-123"}),
//! # )?;
//! let verifier = TokenVerifier::new(
//!     SymmetricSignatureVerifier::new(secret)?,
//!     "https://tenant.auth0.com/",
//!     "my-client-id",
//! )?;
//! let claims = verifier
//!     .verify(&id_token, &VerifyOptions::new().nonce("n-123"))
//!     .await?;
//! assert_eq!(claims.sub(), Some("auth0|1"));
//! # Ok(()) }
//! ```
//!
//! # Cargo features
//!
//! - `remote` (default): `jwks::RemoteJwks`, which fetches and
//!   caches a tenant's JWKS through the `auth0-core` HTTP stack. Without it
//!   the crate has no HTTP client, no hyper and no tokio.
//! - `ed25519-dalek` (opt-in): EdDSA signatures are verified by
//!   `ed25519-dalek` against a point decoded once per key (about 1.5× ring's
//!   speed, and key bytes that are not a curve point are refused when the key
//!   is built). By default ring verifies EdDSA too (ed25519-dalek's
//!   proc-macro helper would bring a second `syn` into the default build).
//!   Both accept exactly the same signatures.
//! - `aws-lc-rs` (opt-in): RS256/384/512 and PS256/384/512 are verified by
//!   aws-lc (rustls' default provider) against a key parsed once, instead of
//!   ring, which sets the key up again for every signature: about 1.3×
//!   faster RSA verification, for a second C library in the build (a much
//!   longer first build). By default ring verifies RSA, and ring is the one C
//!   crypto library of the default build of the whole SDK. ES256/ES384 are
//!   verified by aws-lc too, against the point parsed once (ring decodes it
//!   on every call). Same verdicts on both.
//!
//! HMAC and signing always use ring.
//!
//! `default-features = false` gives the smallest build: ring only, no HTTP.
//! A gateway can add what it wants, e.g. `features = ["ed25519-dalek"]`
//! for the fast EdDSA backend without the JWKS fetcher, and `"aws-lc-rs"` for
//! the fastest RSA.
//!
//! See `docs/ARCHITECTURE.md` for how the modules fit together.

// --- JWS, algorithms, keys, signing (crypto side) ---
pub mod alg;
mod base64url;
mod der;
mod ecdsa;
mod ed25519;
mod flat;
mod json;
pub mod jwk;
pub mod jws;
pub mod key;
mod pem;
#[cfg(feature = "aws-lc-rs")]
mod prepared;
mod rsa;
pub mod sign;

// --- claims and verifiers (validation side) ---
pub mod access_token;
pub mod certificate_binding;
pub mod claims;
pub mod clock;
pub mod dpop;
pub mod error;
pub mod id_token;
pub mod issuers;
pub mod logout_token;
pub mod organization;
pub mod resource_metadata;
pub mod verifier;
// The `auth0.validate` span (docs/TRACING.md).
mod trace;

// Fuzzing harnesses (`fuzz/` and tests/fuzz_corpus.rs); not a supported API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

// gateway re-exports
pub mod cache;
pub mod layer;
pub use cache::{CacheConfig, VerifiedTokenCache};
pub use certificate_binding::{CertificateBinding, PresentedCertificate};
pub use layer::{Authorize, BearerAuth, BearerAuthLayer, Rejection};

// crypto re-exports
pub use alg::{Algorithm, AlgorithmError};
pub use jwk::{Jwk, JwkSet};
pub use jws::{Jws, JwsError, ParseOptions};
pub use key::{KeyError, KeyFingerprint, KeySet, VerifyingKey};
pub use sign::{SignError, SigningKey};

// validation re-exports
pub use access_token::{
    AccessTokenClaims, AccessTokenValidator, AccessTokenValidatorBuilder, OrganizationAllowList,
    OrganizationPolicy, TypPolicy,
};
pub use claims::{Audience, Claims};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, TokenKind};
pub use id_token::{IdTokenClaims, TokenVerifier, TokenVerifierBuilder, VerifyOptions};
pub use verifier::{
    AsymmetricSignatureVerifier, KeySource, KeySourceError, SignatureVerifier, StaticKeys,
    SymmetricSignatureVerifier,
};

// remote re-exports
#[cfg(feature = "blocking")]
pub mod blocking;
#[cfg(feature = "remote")]
pub mod jwks;
#[cfg(feature = "remote")]
pub use jwks::{JwksBuildError, JwksFetchError, JwksStatus, RemoteJwks, RemoteJwksBuilder};
