//! Strict, fast validation of Auth0 ID tokens and access tokens.
//!
//! See `docs/ARCHITECTURE.md` for how the modules fit together.

// --- JWS, algorithms, keys, signing (crypto side) ---
pub mod alg;
mod base64url;
mod der;
mod json;
pub mod jwk;
pub mod jws;
pub mod key;
mod pem;
pub mod sign;

// --- claims and verifiers (validation side) ---
pub mod access_token;
pub mod claims;
pub mod clock;
pub mod error;
pub mod id_token;
pub mod verifier;

// gateway re-exports
pub mod cache;
pub mod layer;
pub use cache::{CacheConfig, VerifiedTokenCache};
pub use layer::{Authorize, BearerAuth, BearerAuthLayer, Rejection};

// crypto re-exports
pub use alg::{Algorithm, AlgorithmError};
pub use jwk::{Jwk, JwkSet};
pub use jws::{Jws, JwsError, ParseOptions};
pub use key::{KeyError, KeyFingerprint, KeySet, VerifyingKey};
pub use sign::{SignError, SigningKey};

// validation re-exports
pub use access_token::{
    AccessTokenClaims, AccessTokenValidator, AccessTokenValidatorBuilder, OrganizationPolicy,
    TypPolicy,
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
#[cfg(feature = "remote")]
pub mod jwks;
#[cfg(feature = "remote")]
pub use jwks::{JwksBuildError, JwksFetchError, RemoteJwks, RemoteJwksBuilder};
