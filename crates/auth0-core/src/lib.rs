//! HTTP plumbing for the auth0-rs SDK.
//!
//! See `docs/ARCHITECTURE.md` for the crate map and the default stack.

// --- owned by the client/config side ---
pub mod client;
pub mod config;
pub mod error;
mod error_body;
mod json_redact;
pub mod response;
pub mod secrets;
pub mod stack;
pub mod streaming;
pub mod telemetry;
pub mod trace;
pub mod transport;

// --- owned by the layers side ---
pub mod rate_limit;
pub mod retry;
pub mod timeout;

// --- shared, small ---
#[cfg(feature = "blocking")]
pub mod blocking;
pub mod headers;
pub mod types;

// --- re-exports (client/config side) ---
// Fuzzing harnesses (`fuzz/` and tests/fuzz_corpus.rs); not a supported API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

pub use client::{Auth0Client, ClientBuilder};
pub use config::{ClientCertificate, ClientConfig, ClientConfigBuilder, Domain};
pub use error::{
    Auth0Error, ConfigError, DecodeError, Error, MfaRequiredError, RateLimitError, RetryAdvice,
};
pub use response::ApiResponse;
pub use stack::DefaultService;
