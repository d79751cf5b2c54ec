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

/// An example's exit code: success, or the error and each of its causes
/// (their `Display`, one per line: `error: …` then `  caused by: …`) on
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
            let _ = example;
            eprintln!("error: {error}");
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
    let tenant = local_tenant_builder().start().await?;
    announce_local(&tenant);
    Ok(tenant)
}

/// Starts the local tenant over HTTPS (its own CA, trusted by
/// [`LocalTenant::client_config`](auth0_local::LocalTenant::client_config)),
/// as the Management examples use it.
///
/// # Errors
///
/// When the tenant cannot start (see [`auth0_local::StartError`]).
pub async fn start_local_tenant_https() -> Result<auth0_local::LocalTenant, BoxError> {
    let tenant = auth0_local::LocalTenant::builder().start().await?;
    announce_local(&tenant);
    Ok(tenant)
}

/// The one banner of local mode, printed once by the start functions
/// (call it yourself for a tenant built otherwise).
pub fn announce_local(tenant: &auth0_local::LocalTenant) {
    println!("{}", local_banner(&tenant.domain()));
}

/// The banner's text for a local tenant at `domain`.
///
/// ```
/// assert_eq!(
///     auth0_examples::local_banner("127.0.0.1:4000"),
///     "No tenant configured (no AUTH0_DOMAIN): using the local tenant at 127.0.0.1:4000"
/// );
/// ```
pub fn local_banner(domain: &str) -> String {
    format!("No tenant configured (no AUTH0_DOMAIN): using the local tenant at {domain}")
}

/// Starts [`local_tenant_builder`]'s tenant on a runtime thread of its own,
/// for the blocking examples (which run no async runtime).
///
/// # Errors
///
/// When the tenant cannot start (see [`auth0_local::StartError`]).
pub fn start_local_tenant_threaded() -> Result<auth0_local::ThreadedTenant, BoxError> {
    let tenant = local_tenant_builder().start_threaded()?;
    announce_local(&tenant);
    Ok(tenant)
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

/// A real tenant's settings, read from the environment by
/// [`TenantSettings::from_env`].
///
/// `AUTH0_DOMAIN`, `AUTH0_CLIENT_ID` and the application's credential
/// (`AUTH0_CLIENT_SECRET`, or `AUTH0_PRIVATE_KEY_FILE` for
/// `private_key_jwt`) are all set or all unset; `AUTH0_AUDIENCE` defaults to
/// the Management API (`https://{domain}/api/v2/`).
#[derive(Clone)]
pub struct TenantSettings {
    /// The tenant's domain, e.g. `tenant.eu.auth0.com`.
    pub domain: String,
    /// An application's client ID.
    pub client_id: String,
    /// That application's client secret (empty with [`Credential::KeyFile`]).
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

/// The application credential an example reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// `AUTH0_CLIENT_SECRET`.
    Secret,
    /// `AUTH0_PRIVATE_KEY_FILE`: a PEM file with the `private_key_jwt` key.
    KeyFile,
}

impl Credential {
    /// The variable that holds it.
    pub fn variable(self) -> &'static str {
        match self {
            Credential::Secret => "AUTH0_CLIENT_SECRET",
            Credential::KeyFile => "AUTH0_PRIVATE_KEY_FILE",
        }
    }
}

/// Some of the tenant's variables are set and some are not: the example
/// refuses to guess (it would otherwise run against the local tenant while
/// the user thinks it talks to theirs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialSettings {
    /// The variables that are set.
    pub set: Vec<&'static str>,
    /// The variables that are missing or empty.
    pub missing: Vec<&'static str>,
}

impl std::fmt::Display for PartialSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} set but {} missing: set all of them for your tenant, or none for the local tenant",
            self.set.join(", "),
            self.missing.join(", ")
        )
    }
}

impl std::error::Error for PartialSettings {}

impl TenantSettings {
    /// The tenant's settings from the environment: `Ok(None)` when none of
    /// the variables is set (the examples then use the local tenant), an
    /// error naming the missing ones when only some are.
    ///
    /// # Errors
    ///
    /// [`PartialSettings`] for a partial set.
    pub fn from_env() -> Result<Option<Self>, PartialSettings> {
        Self::from_vars(Credential::Secret, |name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) with `credential` and the variables
    /// from `var` (empty or blank values count as unset). With
    /// [`Credential::KeyFile`], `client_secret` holds the key file's path.
    ///
    /// ```
    /// use auth0_examples::{Credential, TenantSettings};
    /// let vars = |name: &str| (name == "AUTH0_DOMAIN").then(|| "t.eu.auth0.com".to_owned());
    /// let err = TenantSettings::from_vars(Credential::Secret, vars).unwrap_err();
    /// assert_eq!(err.missing, ["AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET"]);
    /// ```
    ///
    /// # Errors
    ///
    /// [`PartialSettings`] for a partial set.
    pub fn from_vars(
        credential: Credential,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, PartialSettings> {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let names = ["AUTH0_DOMAIN", "AUTH0_CLIENT_ID", credential.variable()];
        let values = names.map(var);
        let (domain, client_id, credential) = match values {
            [None, None, None] => return Ok(None),
            [Some(domain), Some(client_id), Some(credential)] => (domain, client_id, credential),
            values => {
                let (set, missing): (Vec<_>, Vec<_>) =
                    names.iter().zip(&values).partition(|(_, v)| v.is_some());
                return Err(PartialSettings {
                    set: set.into_iter().map(|(name, _)| *name).collect(),
                    missing: missing.into_iter().map(|(name, _)| *name).collect(),
                });
            }
        };
        let host = domain
            .trim_start_matches("https://")
            .trim_end_matches('/')
            .to_owned();
        let audience = var("AUTH0_AUDIENCE").unwrap_or_else(|| format!("https://{host}/api/v2/"));
        Ok(Some(Self {
            domain,
            client_id,
            client_secret: credential,
            audience,
        }))
    }
}

/// How long a token lives, as an answer's optional `expires_in` says:
/// `expires in 86400 s`, or that the answer did not say.
///
/// ```
/// assert_eq!(auth0_examples::expiry(Some(86400)), "expires in 86400 s");
/// assert_eq!(auth0_examples::expiry(None), "no expires_in in the answer");
/// ```
pub fn expiry(expires_in: Option<u64>) -> String {
    match expires_in {
        Some(secs) => format!("expires in {secs} s"),
        None => "no expires_in in the answer".to_owned(),
    }
}

/// An optional value as a reader wants it: the value, or `none` — never
/// `Some(…)`.
///
/// ```
/// assert_eq!(auth0_examples::or_none(Some("dark")), "dark");
/// assert_eq!(auth0_examples::or_none(None::<u64>), "none");
/// ```
pub fn or_none<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "none".to_owned(), |value| value.to_string())
}

/// A JSON object (user or app metadata) as compact JSON, or `none`.
pub fn json_or_none(value: Option<&serde_json::Map<String, serde_json::Value>>) -> String {
    value.map_or_else(
        || "none".to_owned(),
        |map| serde_json::Value::Object(map.clone()).to_string(),
    )
}

/// An extra variable an example needs with a real tenant; the error names
/// it.
///
/// # Errors
///
/// When the variable is unset or blank.
pub fn required_var(name: &str) -> Result<String, BoxError> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| format!("{name} is not set (needed with a real tenant)").into())
}

/// Reads a file the user named, the error naming the file.
///
/// # Errors
///
/// The I/O error, with the path in its message.
pub fn read_named_file(variable: &str, path: &str) -> Result<String, BoxError> {
    std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {path} (from {variable}): {e}").into())
}

/// What the gateway examples protect an API with: the local tenant, a
/// validator for its test API (keys from its JWKS, issuer, audience,
/// algorithm) and an access token it issued for that API.
pub struct LocalApi {
    /// The running tenant (dropping it stops it).
    pub tenant: auth0_local::LocalTenant,
    /// The API's validator.
    pub validator: auth0_jwt::access_token::AccessTokenValidator,
    /// A valid access token for the API (client credentials).
    pub token: String,
}

impl std::fmt::Debug for LocalApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalApi")
            .field("issuer", &self.tenant.issuer())
            .field("token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// Starts the local tenant and sets up [`LocalApi`].
///
/// # Errors
///
/// When the tenant cannot start or the token cannot be obtained.
pub async fn local_api() -> Result<LocalApi, BoxError> {
    let tenant = start_local_tenant().await?;
    let settings = local_settings(&tenant);
    let http = tenant.client()?;
    let auth =
        auth0_authentication::AuthenticationClient::builder(http.clone(), settings.client_id)
            .client_secret(settings.client_secret)
            .build()?;
    let token = auth
        .client_credentials(&settings.audience, None)
        .await?
        .access_token;
    let validator = auth0_jwt::access_token::AccessTokenValidator::builder()
        .key_source(auth0_jwt::jwks::RemoteJwks::new(http)?)
        .issuer(tenant.issuer())
        .audience(settings.audience)
        .algorithms([tenant.algorithm()])
        .build()?;
    Ok(LocalApi {
        tenant,
        validator,
        token,
    })
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
