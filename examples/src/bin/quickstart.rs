//! Quickstart: get an access token, validate it, verify an ID token, and see
//! what a failed call looks like.
//!
//! With `AUTH0_DOMAIN`, `AUTH0_CLIENT_ID` and `AUTH0_CLIENT_SECRET` set (and
//! optionally `AUTH0_AUDIENCE`, `AUTH0_USERNAME`, `AUTH0_PASSWORD`) it talks to
//! that tenant. Without them it starts the local tenant (the auth0-local
//! crate) on 127.0.0.1 and runs the same steps against it.
//!
//! ```text
//! cargo run -p auth0-examples --bin quickstart
//! ```

use std::process::ExitCode;
use std::time::Duration;

use auth0_core::client::Auth0Client;
use auth0_core::config::ClientConfig;
use auth0_core::error::Error as Auth0Error;
use auth0_examples::TenantSettings;
use auth0_jwt::access_token::AccessTokenValidator;
use auth0_jwt::alg::Algorithm;
use auth0_jwt::id_token::{TokenVerifier, VerifyOptions};
use auth0_jwt::jwks::RemoteJwks;
use auth0_jwt::verifier::AsymmetricSignatureVerifier;
use serde::Deserialize;

/// The fields of `/oauth/token`'s answer the quickstart reads.
#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    id_token: Option<String>,
    expires_in: u64,
}

use auth0_examples::BoxError;

#[tokio::main]
async fn main() -> ExitCode {
    auth0_examples::exit_code("quickstart", run().await)
}

async fn run() -> Result<(), BoxError> {
    // 1. Where to talk to: a real tenant from the environment, or the local one.
    let (settings, algorithm, user, _local) = match TenantSettings::from_env()? {
        Some(settings) => {
            println!("Using the tenant {}", settings.domain);
            let user = match (
                std::env::var("AUTH0_USERNAME"),
                std::env::var("AUTH0_PASSWORD"),
            ) {
                (Ok(u), Ok(p)) => Some((u, p)),
                _ => None,
            };
            (settings, Algorithm::RS256, user, None)
        }
        None => {
            let tenant = auth0_examples::start_local_tenant().await?;
            let config = auth0_examples::local_settings(&tenant);
            let settings = TenantSettings {
                domain: tenant.domain(),
                client_id: config.client_id.clone(),
                client_secret: config.client_secret.clone(),
                audience: config.audience.clone(),
            };
            let user = Some((config.user.0.clone(), config.user.1.clone()));
            (settings, tenant.algorithm(), user, Some(tenant))
        }
    };

    // 2. One HTTP client for everything: pooled connections, retries on 429
    //    and 5xx (idempotent requests only), timeouts, telemetry.
    let config = ClientConfig::builder()
        .domain(settings.domain.clone())
        .allow_insecure_loopback(_local.is_some())
        .attempt_timeout(Duration::from_secs(10))
        .build()?;
    let client = Auth0Client::new(config)?;
    let issuer = client.domain().issuer();

    // 3. A machine-to-machine access token (client credentials grant).
    let token = client
        .post_form::<TokenResponse>(
            "/oauth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &settings.client_id),
                ("client_secret", &settings.client_secret),
                ("audience", &settings.audience),
            ],
        )
        .await?
        .data;
    println!(
        "Got an access token for {} (expires in {} s)",
        settings.audience, token.expires_in
    );

    // 4. Validate it the way an API would: keys from the tenant's JWKS (fetched
    //    once, cached), issuer, audience, algorithm, expiry.
    let jwks = RemoteJwks::new(client.clone())?;
    let validator = AccessTokenValidator::builder()
        .key_source(jwks.clone())
        .issuer(issuer.clone())
        .audience(settings.audience.clone())
        .algorithms([algorithm])
        .build()?;
    let claims = validator.validate(&token.access_token).await?;
    println!(
        "Access token valid: sub={}, scope={}",
        claims.sub().unwrap_or("?"),
        claims.scope().unwrap_or("none")
    );

    // 5. An ID token from a user login, verified like auth0-python's TokenVerifier.
    if let Some((username, password)) = user {
        let login = client
            .post_form::<TokenResponse>(
                "/oauth/token",
                &[
                    ("grant_type", "password"),
                    ("client_id", &settings.client_id),
                    ("client_secret", &settings.client_secret),
                    ("audience", &settings.audience),
                    ("username", &username),
                    ("password", &password),
                    ("scope", "openid profile email"),
                ],
            )
            .await?
            .data;
        match login.id_token {
            Some(id_token) => {
                let signature = AsymmetricSignatureVerifier::new(jwks).with_algorithm(algorithm)?;
                let verifier = TokenVerifier::new(signature, issuer, settings.client_id.clone())?;
                let id_claims = verifier.verify(&id_token, &VerifyOptions::new()).await?;
                println!("ID token valid: sub={}", id_claims.sub().unwrap_or("?"));
            }
            None => println!("The login returned no ID token (scope without openid?)"),
        }
    }

    // 6. A failing call: a wrong secret comes back as a typed Auth0 error.
    let failed = client
        .post_form::<TokenResponse>(
            "/oauth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &settings.client_id),
                ("client_secret", "wrong-secret"),
                ("audience", &settings.audience),
            ],
        )
        .await;
    match failed {
        Err(Auth0Error::Api(error)) => println!(
            "A wrong secret is rejected as expected: {} {} ({})",
            error.status_code, error.error_code, error.message
        ),
        Err(other) => return Err(other.into()),
        Ok(_) => return Err("a wrong client secret was accepted".into()),
    }
    println!("Quickstart finished.");
    Ok(())
}
