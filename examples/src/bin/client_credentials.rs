//! Client credentials grant with `client_secret_post`: a machine-to-machine
//! access token, as auth0-python's `GetToken(...).client_credentials(audience)`.
//!
//! With `AUTH0_DOMAIN`, `AUTH0_CLIENT_ID` and `AUTH0_CLIENT_SECRET` set (and
//! optionally `AUTH0_AUDIENCE`) it asks that tenant. Without them it starts
//! the local tenant (the auth0-local crate) on 127.0.0.1.
//!
//! ```text
//! cargo run -p auth0-examples --bin client_credentials
//! ```

use std::process::ExitCode;

use auth0_authentication::AuthenticationClient;
use auth0_core::{Auth0Client, ClientConfig};
use auth0_examples::TenantSettings;

use auth0_examples::BoxError;

#[tokio::main]
async fn main() -> ExitCode {
    auth0_examples::exit_code("client_credentials", run().await)
}

async fn run() -> Result<(), BoxError> {
    let (settings, _local) = match TenantSettings::from_env()? {
        Some(settings) => {
            println!("Using the tenant {}", settings.domain);
            (settings, None)
        }
        None => {
            let tenant = auth0_examples::start_local_tenant().await?;
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
    let auth = AuthenticationClient::builder(Auth0Client::new(config)?, settings.client_id.clone())
        .client_secret(settings.client_secret.clone())
        .build()?;
    println!("The client's Debug output (secrets redacted): {auth:?}");

    let token = auth.client_credentials(&settings.audience, None).await?;
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
