//! Error handling, as auth0-python's "Error handling" section: every failed
//! call is an `auth0_core::Error` (the Management API wraps it in
//! `auth0_management::Error::Http`):
//!
//! - invalid data → `Error::Api(Auth0Error)` with `status_code`,
//!   `error_code` and `message`;
//! - the rate limit → `Error::RateLimited(RateLimitError)` with `reset_at`
//!   (`-1` when the `x-ratelimit-reset` header is absent), after the retry
//!   layer has waited and retried;
//! - network timeouts → `Error::Timeout(Elapsed)`, per attempt
//!   (`attempt_timeout`) or for the whole call (`deadline`).
//!
//! The `Auth0Error` cases run against the tenant in `AUTH0_DOMAIN` (with
//! `AUTH0_CLIENT_ID`, `AUTH0_CLIENT_SECRET`) or the local tenant. A real
//! tenant cannot be made to rate-limit or hang on demand, so those cases
//! always run against the local tenant with faults injected.
//!
//! ```text
//! cargo run -p auth0-examples --bin error_handling
//! ```

use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth0_authentication::AuthenticationClient;
use auth0_core::retry::RetryPolicy;
use auth0_core::{Auth0Client, ClientConfig, Error};
use auth0_examples::TenantSettings;
use auth0_local::{Fault, LocalTenant};
use auth0_management::{ClientCredentials, ManagementClient};
use tokio::net::TcpListener;

use auth0_examples::BoxError;

#[tokio::main]
async fn main() -> ExitCode {
    auth0_examples::exit_code("error_handling", run().await)
}

async fn run() -> Result<(), BoxError> {
    invalid_data().await?;
    rate_limits().await?;
    timeouts().await?;
    println!("\nerror_handling finished.");
    Ok(())
}

/// Invalid data: an `Auth0Error` with the error code and description.
async fn invalid_data() -> Result<(), BoxError> {
    println!("## Invalid data: Auth0Error");
    let (settings, local) = match TenantSettings::from_env()? {
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
    let client = Auth0Client::new(
        ClientConfig::builder()
            .domain(settings.domain.clone())
            .allow_insecure_loopback(local.is_some())
            .build()?,
    )?;

    // The Authentication API: a wrong client secret.
    let auth = AuthenticationClient::builder(client.clone(), settings.client_id.clone())
        .client_secret("not-the-secret")
        .build()?;
    match auth.client_credentials(&settings.audience, None).await {
        Err(Error::Api(error)) => println!(
            "Authentication API: HTTP {}, error_code {:?}, message {:?}",
            error.status_code.as_u16(),
            error.error_code,
            error.message
        ),
        Err(other) => return Err(other.into()),
        Ok(_) => return Err("a wrong client secret was accepted".into()),
    }

    // The Management API: an unknown user (the local tenant's Management API).
    if let Some(tenant) = &local {
        let management = ManagementClient::builder(client.clone())
            .client_credentials(
                ClientCredentials::new(&settings.client_id, &settings.client_secret)
                    .audience(tenant.management_audience()),
            )
            .build()?;
        match management
            .users()
            .get(
                "auth0|nobody",
                &auth0_management::api::UsersGetParams::new(),
            )
            .await
        {
            Err(error) => match error.auth0_error() {
                Some(api) => println!(
                    "Management API: HTTP {}, error_code {:?}, message {:?}",
                    api.status_code.as_u16(),
                    api.error_code,
                    api.message
                ),
                None => return Err(error.into()),
            },
            Ok(_) => return Err("an unknown user was found".into()),
        }
    }
    Ok(())
}

/// The rate limit: a `RateLimitError` with `reset_at` (or -1).
async fn rate_limits() -> Result<(), BoxError> {
    println!("\n## Rate limit reached: RateLimitError");
    let server = misbehaving_server().await?;
    // One retry, waiting at most 100 ms (by default up to 3 retries, each
    // waiting for the reset time, capped at 10 s).
    let client = Auth0Client::new(
        ClientConfig::builder()
            .domain(server.domain())
            .allow_insecure_loopback(true)
            .retry_policy(
                RetryPolicy::builder()
                    .max_retries(1)
                    .max_wait(Duration::from_millis(100))
                    .build()?,
            )
            .build()?,
    )?;
    for path in ["/rate-limited", "/rate-limited-without-headers"] {
        match client.get_json::<serde_json::Value>(path).await {
            Err(Error::RateLimited(error)) => println!(
                "{path}: reset_at {}, limit {}, remaining {}, after {} attempt(s); \
                 error_code {:?}",
                error.reset_at,
                error.limit,
                error.remaining,
                error
                    .attempts
                    .map_or_else(|| "?".to_owned(), |n| n.to_string()),
                error.error.error_code
            ),
            Err(other) => return Err(other.into()),
            Ok(_) => return Err(format!("{path} was not rate limited").into()),
        }
    }
    Ok(())
}

/// Timeouts: per attempt, and for the whole call.
async fn timeouts() -> Result<(), BoxError> {
    println!("\n## Network timeouts");
    let server = misbehaving_server().await?;
    let attempt_only = Auth0Client::new(
        ClientConfig::builder()
            .domain(server.domain())
            .allow_insecure_loopback(true)
            .attempt_timeout(Duration::from_millis(200))
            .retry_policy(RetryPolicy::disabled())
            .build()?,
    )?;
    let with_deadline = Auth0Client::new(
        ClientConfig::builder()
            .domain(server.domain())
            .allow_insecure_loopback(true)
            .attempt_timeout(Duration::from_millis(300))
            .deadline(Duration::from_millis(500))
            .build()?,
    )?;
    for (what, client) in [
        ("attempt timeout 200 ms, no retries", &attempt_only),
        (
            "attempt timeout 300 ms, retries, deadline 500 ms",
            &with_deadline,
        ),
    ] {
        match client.get_json::<serde_json::Value>("/slow").await {
            Err(Error::Timeout(elapsed)) => println!(
                "{what}: {elapsed} (kind {:?}, retryable: {})",
                elapsed.kind,
                Error::Timeout(elapsed).is_retryable_for(&http::Method::GET)
            ),
            Err(other) => return Err(other.into()),
            Ok(_) => return Err("the slow call did not time out".into()),
        }
    }

    // Nothing listening: a transport error, before anything was sent.
    let closed = TcpListener::bind(("127.0.0.1", 0)).await?.local_addr()?;
    let nowhere = Auth0Client::new(
        ClientConfig::builder()
            .domain(format!("http://{closed}"))
            .allow_insecure_loopback(true)
            .retry_policy(RetryPolicy::disabled())
            .build()?,
    )?;
    match nowhere.get_json::<serde_json::Value>("/").await {
        Err(error @ Error::Transport { connect, .. }) => {
            println!("A closed port: {error} (connect: {connect})");
        }
        Err(other) => return Err(other.into()),
        Ok(_) => return Err("a closed port answered".into()),
    }
    Ok(())
}

/// The local tenant (plain http on 127.0.0.1) scripted to answer 429 (with
/// and without the rate-limit headers) or to take 3 s to answer.
async fn misbehaving_server() -> Result<LocalTenant, BoxError> {
    let tenant = LocalTenant::builder().plain_http().start().await?;
    let too_many = serde_json::json!({
        "statusCode": 429,
        "error": "Too Many Requests",
        "message": "Global limit has been reached",
        "errorCode": "too_many_requests",
    });
    let reset = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        + 60;
    tenant.inject(
        Fault::reply(429, too_many.clone())
            .on_path("/rate-limited-without-headers")
            .forever(),
    );
    tenant.inject(
        Fault::reply(429, too_many)
            .with_header("x-ratelimit-limit", "10")
            .with_header("x-ratelimit-remaining", "0")
            .with_header("x-ratelimit-reset", reset.to_string())
            .on_path("/rate-limited")
            .forever(),
    );
    tenant.inject(
        Fault::reply(200, serde_json::json!({}))
            .with_head_delay(Duration::from_secs(3))
            .on_path("/slow")
            .forever(),
    );
    Ok(tenant)
}
