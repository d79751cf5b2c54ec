//! [`client_credentials`](client_credentials.rs) without async: the
//! blocking Authentication API client (feature `blocking`) from a plain
//! `fn main`, no tokio in sight. The client runs its calls on a background
//! runtime thread of its own (`auth0_core::blocking::Runtime`).
//!
//! With `AUTH0_DOMAIN`, `AUTH0_CLIENT_ID` and `AUTH0_CLIENT_SECRET` set (and
//! optionally `AUTH0_AUDIENCE`) it asks that tenant. Without them it starts
//! the local tenant (the auth0-local crate) on 127.0.0.1.
//!
//! ```text
//! cargo run -p auth0-examples --bin blocking_client_credentials
//! ```

use std::process::ExitCode;

use auth0_authentication::blocking::AuthenticationClient;
use auth0_core::{Auth0Client, ClientConfig};
use auth0_examples::{BoxError, TenantSettings};

fn main() -> ExitCode {
    auth0_examples::exit_code("blocking_client_credentials", run())
}

fn run() -> Result<(), BoxError> {
    let (settings, _local) = match TenantSettings::from_env()? {
        Some(settings) => {
            println!("Using the tenant {}", settings.domain);
            (settings, None)
        }
        None => {
            let tenant = auth0_examples::start_local_tenant_threaded()?;
            let config = auth0_examples::local_settings(&tenant);
            let settings = TenantSettings {
                domain: tenant.domain(),
                client_id: config.client_id,
                client_secret: config.client_secret,
                audience: config.audience,
            };
            (settings, Some(tenant))
        }
    };

    let config = ClientConfig::builder()
        .domain(settings.domain.clone())
        .allow_insecure_loopback(_local.is_some())
        .build()?;
    // The async client's builder, then the blocking wrapper around it.
    let auth = AuthenticationClient::from_async(
        auth0_authentication::AuthenticationClient::builder(
            Auth0Client::new(config)?,
            settings.client_id.clone(),
        )
        .client_secret(settings.client_secret.clone())
        .build()?,
    )?;
    println!("The client's Debug output (secrets redacted): {auth:?}");

    let token = auth.client_credentials(&settings.audience, None)?;
    println!(
        "Got a {} access token for {} ({} characters, {}, scope {})",
        token.token_type,
        settings.audience,
        token.access_token.len(),
        auth0_examples::expiry(token.expires_in),
        token.scope.as_deref().unwrap_or("(none)")
    );
    println!("The response's Debug output, as a log line shows it (secrets redacted): {token:?}");
    Ok(())
}
