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
use auth0_examples::BoxError;
use auth0_jwt::{Algorithm, SigningKey};

fn main() -> ExitCode {
    auth0_examples::exit_code("blocking_private_key_jwt", run())
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn run() -> Result<(), BoxError> {
    let tenant = (
        env("AUTH0_DOMAIN"),
        env("AUTH0_CLIENT_ID"),
        env("AUTH0_PRIVATE_KEY_FILE"),
    );
    let (domain, client_id, key, audience, _local) = match tenant {
        (Some(domain), Some(client_id), Some(key_file)) => {
            let alg =
                Algorithm::parse(&env("AUTH0_SIGNING_ALG").unwrap_or_else(|| "RS256".into()))?;
            let pem = std::fs::read_to_string(&key_file)
                .map_err(|e| format!("could not read {key_file}: {e}"))?;
            let key = SigningKey::from_pem(&pem, alg)?;
            let host = domain
                .trim_start_matches("https://")
                .trim_end_matches('/')
                .to_owned();
            let audience =
                env("AUTH0_AUDIENCE").unwrap_or_else(|| format!("https://{host}/api/v2/"));
            println!(
                "Using the tenant {domain}, key {key_file} ({})",
                alg.as_str()
            );
            (domain, client_id, key, audience, None)
        }
        _ => {
            let local = auth0_examples::start_local_tenant_threaded()?;
            let app = local.applications().machine_jwt.clone();
            let pem = app.private_key_pem().ok_or("no private key")?;
            let key = SigningKey::rsa_pem(pem, Algorithm::RS256)?;
            println!(
                "No AUTH0_DOMAIN set: using the local tenant at {} and its private_key_jwt application {}",
                local.domain(),
                app.client_id()
            );
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
    println!("Client: {auth:?}");

    for attempt in 1..=2 {
        let token = auth.client_credentials(&audience, None)?;
        println!(
            "Request {attempt}: got a {} access token for {audience} (expires in {:?} s) — \
             a new client assertion was signed for it",
            token.token_type, token.expires_in
        );
    }
    Ok(())
}
