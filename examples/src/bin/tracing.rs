//! The SDK's spans, printed by `tracing-subscriber`: a Management API call
//! with the token fetch in front of it, a client-credentials grant, a JWKS
//! refresh and the validation of the token (see `docs/TRACING.md`).
//!
//! ```text
//! # Every SDK span (target `auth0`) down to DEBUG, printed when each closes:
//! cargo run -p auth0-examples --bin tracing
//!
//! # Your own filter (tracing-subscriber's EnvFilter syntax):
//! RUST_LOG=auth0=info cargo run -p auth0-examples --bin tracing
//!
//! # Against a tenant (an M2M application with read:users, granted the
//! # audience AUTH0_AUDIENCE, default the Management API):
//! AUTH0_DOMAIN=tenant.eu.auth0.com AUTH0_CLIENT_ID=… AUTH0_CLIENT_SECRET=… \
//! cargo run -p auth0-examples --bin tracing
//! ```
//!
//! Nothing secret is in any span: no token, secret, assertion, header, body,
//! query or claim value.

use std::process::ExitCode;

use auth0_authentication::AuthenticationClient;
use auth0_authentication::token_source::{AccessTokenSource, TokenRequest};
use auth0_core::{Auth0Client, ClientConfig};
use auth0_examples::{BoxError, TenantSettings};
use auth0_jwt::access_token::AccessTokenValidator;
use auth0_jwt::alg::Algorithm;
use auth0_jwt::jwks::RemoteJwks;
use auth0_management::api::UsersListParams;
use auth0_management::{ClientCredentials, ManagementClient};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

#[tokio::main]
async fn main() -> ExitCode {
    // RUST_LOG if set, else every SDK span and event down to DEBUG. Spans
    // are printed as they close, with their fields and timings.
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("auth0=debug"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    auth0_examples::exit_code("tracing", run().await)
}

async fn run() -> Result<(), BoxError> {
    let mut _local = None;
    let (config, settings, algorithm) = match TenantSettings::from_env()? {
        Some(settings) => {
            println!("Using the tenant {}", settings.domain);
            (
                ClientConfig::new(&settings.domain)?,
                settings,
                Algorithm::RS256,
            )
        }
        None => {
            let tenant = auth0_examples::start_local_tenant_https().await?;
            let machine = tenant.applications().machine.clone();
            let settings = TenantSettings {
                domain: tenant.domain(),
                client_id: machine.client_id().to_owned(),
                client_secret: machine.client_secret().unwrap_or_default().to_owned(),
                audience: tenant.management_audience(),
            };
            let config = tenant.client_config().build()?;
            let algorithm = tenant.algorithm();
            _local = Some(tenant);
            (config, settings, algorithm)
        }
    };
    let http = Auth0Client::new(config)?;

    // 1. A Management API call: an `auth0.token` span (cache miss: the
    //    client-credentials request inside it), then the call's own
    //    `auth0.request`. A second call finds the token cached.
    println!("\n# Management API: two calls, one token fetch");
    let management = ManagementClient::builder(http.clone())
        .client_credentials(ClientCredentials::new(
            settings.client_id.clone(),
            settings.client_secret.clone(),
        ))
        .build()?;
    for _ in 0..2 {
        let mut pager = management
            .users()
            .list_pager(UsersListParams::new().per_page(5));
        let page = pager.next_page().await.transpose()?;
        println!("listed {} users", page.map_or(0, |p| p.items.len()));
    }

    // 2. A client-credentials grant through the Authentication API: an
    //    `auth0.token.fetch` span around the `oauth_token` request.
    println!("\n# Authentication API: the client-credentials grant as a token source");
    let auth = AuthenticationClient::builder(http.clone(), settings.client_id.clone())
        .client_secret(settings.client_secret.clone())
        .build()?;
    let request = TokenRequest::new(
        auth.core().domain().issuer(),
        settings.audience.clone(),
        settings.client_id.clone(),
    );
    let token = auth
        .token_source()
        .access_token(&request)
        .await
        .map_err(|e| -> BoxError { e })?;
    println!("got a token valid until {} (UNIX time)", token.expires_at());

    // 3. Validation: an `auth0.validate` span (DEBUG) with the JWKS refresh
    //    (`auth0.jwks.refresh`, reason `no_keys`) inside it; then a token
    //    that fails, with the reason's stable name in `error.type`.
    println!("\n# Validation: the first one fetches the keys");
    let validator = AccessTokenValidator::builder()
        .key_source(RemoteJwks::new(http)?)
        .issuer(auth.core().domain().issuer())
        .audience(settings.audience.clone())
        .algorithms([algorithm])
        .build()?;
    let claims = validator.validate(token.access_token()).await?;
    println!("valid, scopes: {}", claims.scopes().count());
    let mut tampered = token.access_token().to_owned();
    tampered.truncate(tampered.len().saturating_sub(4));
    tampered.push_str("AAAA");
    match validator.validate(&tampered).await {
        Ok(_) => return Err("a tampered token was accepted".into()),
        Err(error) => println!("a tampered token is refused: {error}"),
    }
    Ok(())
}
