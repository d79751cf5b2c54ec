//! Shared pieces of the runnable examples in `src/bin/`.
//!
//! - [`start_local_tenant`] (or [`start_local_tenant_threaded`] for the
//!   blocking examples) / [`local_settings`]: the local tenant
//!   ([`auth0_local`]) the examples fall back to when no real tenant is
//!   configured.
//! - [`TenantSettings`]: reads a real tenant's settings from the environment.

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

/// The local tenant as most examples start it: plain http on 127.0.0.1, the
/// SDK's loopback mode, so an example's own `ClientConfig` needs only
/// `allow_insecure_loopback(true)` (the Management examples use HTTPS with
/// [`LocalTenant::client_config`](auth0_local::LocalTenant::client_config),
/// which trusts the tenant's CA).
pub fn local_tenant_builder() -> auth0_local::LocalTenantBuilder {
    auth0_local::LocalTenant::builder().plain_http()
}

/// Starts [`local_tenant_builder`]'s tenant.
///
/// # Errors
///
/// When the tenant cannot start (see [`auth0_local::StartError`]).
pub async fn start_local_tenant() -> Result<auth0_local::LocalTenant, BoxError> {
    Ok(local_tenant_builder().start().await?)
}

/// Starts [`local_tenant_builder`]'s tenant on a runtime thread of its own,
/// for the blocking examples (which run no async runtime).
///
/// # Errors
///
/// When the tenant cannot start (see [`auth0_local::StartError`]).
pub fn start_local_tenant_threaded() -> Result<auth0_local::ThreadedTenant, BoxError> {
    Ok(local_tenant_builder().start_threaded()?)
}

/// What the examples read of the local tenant: its web application (which
/// may use every grant), the test API and the first user.
#[derive(Clone)]
pub struct LocalSettings {
    /// The web application's client ID.
    pub client_id: String,
    /// Its client secret.
    pub client_secret: String,
    /// The test API's identifier.
    pub audience: String,
    /// The first user: (email, password, user id).
    pub user: (String, String, String),
}

impl std::fmt::Debug for LocalSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalSettings")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("audience", &self.audience)
            .field("user", &self.user.0)
            .finish()
    }
}

/// The [`LocalSettings`] of a running local tenant.
pub fn local_settings(tenant: &auth0_local::LocalTenant) -> LocalSettings {
    let web = &tenant.applications().web;
    let user = tenant.user();
    LocalSettings {
        client_id: web.client_id().to_owned(),
        client_secret: web.client_secret().unwrap_or_default().to_owned(),
        audience: tenant.api_audience().to_owned(),
        user: (
            user.email.clone(),
            user.password.clone(),
            user.user_id.clone(),
        ),
    }
}

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
