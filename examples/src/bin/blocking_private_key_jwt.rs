//! [`private_key_jwt`](private_key_jwt.rs) without async: client
//! credentials with a signed client assertion through the blocking
//! Authentication API client (feature `blocking`).
//!
//! With `AUTH0_DOMAIN`, `AUTH0_CLIENT_ID` and `AUTH0_PRIVATE_KEY_FILE` (a
//! PEM private key) set — optionally `AUTH0_SIGNING_ALG` (default `RS256`)
//! and `AUTH0_AUDIENCE` — it asks that tenant. Without them it runs against
//! the local tenant (auth0-local) and its `private_key_jwt` application.
//!
//! ```text
//! cargo run -p auth0-examples --bin blocking_private_key_jwt
//! ```

use std::process::ExitCode;

use auth0_authentication::blocking::AuthenticationClient;
use auth0_core::{Auth0Client, ClientConfig};
use auth0_examples::{BoxError, Credential, TenantSettings};
use auth0_jwt::{Algorithm, SigningKey};

fn main() -> ExitCode {
    auth0_examples::exit_code("blocking_private_key_jwt", run())
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn run() -> Result<(), BoxError> {
    let settings = TenantSettings::from_vars(Credential::KeyFile, |name| std::env::var(name).ok())?;
    let (domain, client_id, key, audience, _local) = match settings {
        Some(settings) => {
            let alg =
                Algorithm::parse(&env("AUTH0_SIGNING_ALG").unwrap_or_else(|| "RS256".into()))?;
            // With Credential::KeyFile the credential is the key file's path.
            let key_file = settings.client_secret;
            let pem = auth0_examples::read_named_file("AUTH0_PRIVATE_KEY_FILE", &key_file)?;
            let key = SigningKey::from_pem(&pem, alg)
                .map_err(|e| format!("the key in {key_file} is not usable: {e}"))?;
            println!(
                "Using the tenant {}, key {key_file} ({})",
                settings.domain,
                alg.as_str()
            );
            (
                settings.domain,
                settings.client_id,
                key,
                settings.audience,
                None,
            )
        }
        None => {
            let local = auth0_examples::start_local_tenant_threaded()?;
            let app = local.applications().machine_jwt.clone();
            let pem = app.private_key_pem().ok_or("no private key")?;
            let key = SigningKey::rsa_pem(pem, Algorithm::RS256)?;
            println!("Using its private_key_jwt application {}", app.client_id());
            let audience = local.api_audience().to_owned();
            let client_id = app.client_id().to_owned();
            (local.domain(), client_id, key, audience, Some(local))
        }
    };

    let config = ClientConfig::builder()
        .domain(domain)
        .allow_insecure_loopback(_local.is_some())
        .build()?;
    let auth = AuthenticationClient::from_async(
        auth0_authentication::AuthenticationClient::builder(Auth0Client::new(config)?, client_id)
            .private_key_jwt(key)
            .build()?,
    )?;
    println!("The client's Debug output (secrets redacted): {auth:?}");

    for attempt in 1..=2 {
        let token = auth.client_credentials(&audience, None)?;
        println!(
            "Request {attempt}: got a {} access token for {audience} ({}) — \
             a new client assertion was signed for it",
            token.token_type,
            auth0_examples::expiry(token.expires_in)
        );
    }
    Ok(())
}
