//! Shared pieces of the runnable examples in `src/bin/`.
//!
//! - [`local_tenant`]: an Auth0-compatible tenant on 127.0.0.1 that the
//!   examples fall back to when no real tenant is configured.
//! - [`TenantSettings`]: reads a real tenant's settings from the environment.

pub mod local_tenant;
pub mod stand_in;

use std::process::ExitCode;

/// The error type of the examples' `run` functions.
pub type BoxError = Box<dyn std::error::Error>;

/// An example's exit code: success, or the error and each of its causes on
/// stderr and failure.
///
/// ```
/// let code = auth0_examples::exit_code("demo", Err("it broke".into()));
/// assert_eq!(code, std::process::ExitCode::FAILURE);
/// ```
pub fn exit_code(example: &str, result: Result<(), BoxError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{example} failed: {error}");
            let mut source = error.source();
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}

// --- authn helper section (owned by the auth0-authentication helper; the lead may move it) ---
/// A `/oauth/token` on 127.0.0.1 that checks `private_key_jwt` client
/// assertions, for the `private_key_jwt` example.
pub mod local_tenant_authn;
// --- end authn helper section ---

/// A real tenant's settings, read from the environment.
///
/// `AUTH0_DOMAIN`, `AUTH0_CLIENT_ID` and `AUTH0_CLIENT_SECRET` are required;
/// `AUTH0_AUDIENCE` defaults to the Management API (`https://{domain}/api/v2/`).
#[derive(Clone)]
pub struct TenantSettings {
    /// The tenant's domain, e.g. `tenant.eu.auth0.com`.
    pub domain: String,
    /// An application's client ID.
    pub client_id: String,
    /// That application's client secret.
    pub client_secret: String,
    /// The API to request tokens for.
    pub audience: String,
}

impl std::fmt::Debug for TenantSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantSettings")
            .field("domain", &self.domain)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("audience", &self.audience)
            .finish()
    }
}

impl TenantSettings {
    /// The settings when all required variables are set and non-empty.
    pub fn from_env() -> Option<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let domain = var("AUTH0_DOMAIN")?;
        let client_id = var("AUTH0_CLIENT_ID")?;
        let client_secret = var("AUTH0_CLIENT_SECRET")?;
        let host = domain
            .trim_start_matches("https://")
            .trim_end_matches('/')
            .to_owned();
        let audience = var("AUTH0_AUDIENCE").unwrap_or_else(|| format!("https://{host}/api/v2/"));
        Some(Self {
            domain,
            client_id,
            client_secret,
            audience,
        })
    }
}

// --- docs helper section: docs/EXAMPLES.md as doc tests ---
/// `docs/EXAMPLES.md`, compiled by `cargo test -p auth0-examples --doc` so
/// that every `rust` block in it keeps building (and, where it needs no
/// tenant, running).
#[cfg(doctest)]
pub mod docs_examples {
    #![doc = include_str!("../../docs/EXAMPLES.md")]
}
// --- end docs helper section ---

/// `README.md`'s usage snippets, compiled as doc tests so they stay true.
#[cfg(doctest)]
pub mod readme {
    #![doc = include_str!("../../README.md")]
}
