//! [`error_handling`](error_handling.rs) without async: the same typed
//! errors from the blocking clients (feature `blocking`):
//!
//! - invalid data → `Error::Api(Auth0Error)` with `status_code`,
//!   `error_code` and `message` (the Management API wraps it in
//!   `auth0_management::Error::Http`);
//! - the rate limit → `Error::RateLimited(RateLimitError)` with `reset_at`,
//!   after the retry layer has waited and retried;
//! - network timeouts → `Error::Timeout(Elapsed)`;
//! - a blocking call made inside an async runtime →
//!   `Error::Blocking(BlockingError::InsideAsyncRuntime)`, never a panic or
//!   a stalled runtime.
//!
//! The `Auth0Error` case runs against the tenant in `AUTH0_DOMAIN` (with
//! `AUTH0_CLIENT_ID`, `AUTH0_CLIENT_SECRET`) or the local tenant; the
//! others always run against the local tenant with faults injected.
//!
//! ```text
//! cargo run -p auth0-examples --bin blocking_error_handling
//! ```

use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth0_authentication::blocking::AuthenticationClient;
use auth0_core::blocking::{BlockingError, Runtime};
use auth0_core::retry::RetryPolicy;
use auth0_core::{Auth0Client, ClientConfig, Error};
use auth0_examples::{BoxError, TenantSettings};
use auth0_local::{Fault, LocalTenant, ThreadedTenant};
use auth0_management::ClientCredentials;
use auth0_management::blocking::ManagementClient;
use auth0_management::request::{ApiPath, ApiRequest};
use serde_json::Value;

fn main() -> ExitCode {
    auth0_examples::exit_code("blocking_error_handling", run())
}

fn run() -> Result<(), BoxError> {
    let runtime = Runtime::new()?;
    invalid_data(&runtime)?;
    rate_limits(&runtime)?;
    timeouts(&runtime)?;
    inside_an_async_runtime(&runtime)?;
    println!("\nblocking_error_handling finished.");
    Ok(())
}

/// Invalid data: an `Auth0Error` with the error code and description.
fn invalid_data(runtime: &Runtime) -> Result<(), BoxError> {
    println!("## Invalid data: Auth0Error");
    let (settings, local) = match TenantSettings::from_env()? {
        Some(settings) => {
            println!("Using the tenant {}", settings.domain);
            (settings, None)
        }
        None => {
            let tenant = auth0_examples::start_local_tenant_threaded()?;
            auth0_examples::announce_local(&tenant);
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
    let auth = AuthenticationClient::with_runtime(
        auth0_authentication::AuthenticationClient::builder(
            client.clone(),
            settings.client_id.clone(),
        )
        .client_secret("not-the-secret")
        .build()?,
        runtime,
    );
    match auth.client_credentials(&settings.audience, None) {
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
        let management = ManagementClient::with_runtime(
            auth0_management::ManagementClient::builder(client.clone())
                .client_credentials(
                    ClientCredentials::new(&settings.client_id, &settings.client_secret)
                        .audience(tenant.management_audience()),
                )
                .build()?,
            runtime,
        );
        match management.users().get(
            "auth0|nobody",
            &auth0_management::api::UsersGetParams::new(),
        ) {
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

/// A blocking Management client for `server` with a static token and
/// `config`'s timeouts and retries.
fn management(
    config: auth0_core::ClientConfigBuilder,
    runtime: &Runtime,
) -> Result<ManagementClient, BoxError> {
    Ok(ManagementClient::with_runtime(
        auth0_management::ManagementClient::builder(Auth0Client::new(config.build()?)?)
            .token("a-management-api-token")
            .build()?,
        runtime,
    ))
}

fn get(client: &ManagementClient, path: &str) -> Result<Value, auth0_management::Error> {
    client
        .execute::<Value>(ApiRequest::get(ApiPath::new(path)))
        .map(|answer| answer.data)
}

/// The rate limit: a `RateLimitError` with `reset_at` (or -1).
fn rate_limits(runtime: &Runtime) -> Result<(), BoxError> {
    println!("\n## Rate limit reached: RateLimitError");
    let server = misbehaving_server()?;
    // One retry, waiting at most 100 ms.
    let client = management(
        server.client_config().retry_policy(
            RetryPolicy::builder()
                .max_retries(1)
                .max_wait(Duration::from_millis(100))
                .build()?,
        ),
        runtime,
    )?;
    for path in ["rate-limited", "rate-limited-without-headers"] {
        match get(&client, path) {
            Err(auth0_management::Error::Http(Error::RateLimited(error))) => println!(
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

/// Timeouts: per attempt, and for the whole call; and a closed port.
fn timeouts(runtime: &Runtime) -> Result<(), BoxError> {
    println!("\n## Network timeouts");
    let server = misbehaving_server()?;
    let attempt_only = management(
        server
            .client_config()
            .attempt_timeout(Duration::from_millis(200))
            .retry_policy(RetryPolicy::disabled()),
        runtime,
    )?;
    let with_deadline = management(
        server
            .client_config()
            .attempt_timeout(Duration::from_millis(300))
            .deadline(Duration::from_millis(500)),
        runtime,
    )?;
    for (what, client) in [
        ("attempt timeout 200 ms, no retries", &attempt_only),
        (
            "attempt timeout 300 ms, retries, deadline 500 ms",
            &with_deadline,
        ),
    ] {
        match get(client, "slow") {
            Err(auth0_management::Error::Http(Error::Timeout(elapsed))) => println!(
                "{what}: {elapsed} (kind {:?}, retryable: {})",
                elapsed.kind,
                Error::Timeout(elapsed).is_retryable_for(&http::Method::GET)
            ),
            Err(other) => return Err(other.into()),
            Ok(_) => return Err("the slow call did not time out".into()),
        }
    }

    // Nothing listening: a transport error, before anything was sent.
    let closed = std::net::TcpListener::bind(("127.0.0.1", 0))?.local_addr()?;
    let nowhere = management(
        ClientConfig::builder()
            .domain(format!("http://{closed}"))
            .allow_insecure_loopback(true)
            .retry_policy(RetryPolicy::disabled()),
        runtime,
    )?;
    match get(&nowhere, "users") {
        Err(auth0_management::Error::Http(error @ Error::Transport { connect, .. })) => {
            println!("A closed port: {error} (connect: {connect})");
        }
        Err(other) => return Err(other.into()),
        Ok(_) => return Err("a closed port answered".into()),
    }
    Ok(())
}

/// A blocking call from async code is refused with a typed error: use the
/// async client there.
fn inside_an_async_runtime(runtime: &Runtime) -> Result<(), BoxError> {
    println!("\n## A blocking call inside an async runtime: BlockingError");
    let server = misbehaving_server()?;
    let client = management(server.client_config(), runtime)?;
    let result = tokio::runtime::Builder::new_current_thread()
        .build()?
        .block_on(async { get(&client, "users") });
    match result {
        Err(auth0_management::Error::Blocking(error @ BlockingError::InsideAsyncRuntime)) => {
            println!("Refused: {error}");
            Ok(())
        }
        Err(other) => Err(other.into()),
        Ok(_) => Err("a blocking call ran inside an async runtime".into()),
    }
}

/// The local tenant (plain http on 127.0.0.1, on its own thread) scripted
/// to answer 429 (with and without the rate-limit headers) or to take 3 s
/// to answer.
fn misbehaving_server() -> Result<ThreadedTenant, BoxError> {
    let tenant = LocalTenant::builder().plain_http().start_threaded()?;
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
            .on_path("/api/v2/rate-limited-without-headers")
            .forever(),
    );
    tenant.inject(
        Fault::reply(429, too_many)
            .with_header("x-ratelimit-limit", "10")
            .with_header("x-ratelimit-remaining", "0")
            .with_header("x-ratelimit-reset", reset.to_string())
            .on_path("/api/v2/rate-limited")
            .forever(),
    );
    tenant.inject(
        Fault::reply(200, serde_json::json!({}))
            .with_head_delay(Duration::from_secs(3))
            .on_path("/api/v2/slow")
            .forever(),
    );
    Ok(tenant)
}
