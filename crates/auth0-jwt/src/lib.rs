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
