//! Asynchronous environments, as auth0-python's `asyncify` example — in Rust
//! every call is `async` already, and "sharing a session" means sharing one
//! `Auth0Client`: its clones share the connection pool, the retry budget and
//! the rate limiter, so the Authentication API, the Management API and the
//! JWKS cache all go through the same connections.
//!
//! It runs Management calls concurrently (`tokio::join!`), fans one
//! `ManagementClient` out to many tasks (`tokio::spawn`; one token request
//! serves them all), gets and updates a user, and calls `/userinfo`.
//!
//! Without a tenant it uses the local tenant on 127.0.0.1 (which plays a
//! slice of the Management API). With `AUTH0_DOMAIN`, `AUTH0_CLIENT_ID` and
//! `AUTH0_CLIENT_SECRET` (an M2M application with `read:users` and
//! `read:connections`) it only reads from that tenant; `/userinfo` is called
//! when `AUTH0_USERNAME` and `AUTH0_PASSWORD` are set too.
//!
//! ```text
//! cargo run -p auth0-examples --bin async_sharing
//! ```

use std::process::ExitCode;

use auth0_authentication::{AuthenticationClient, PasswordLogin};
use auth0_core::{Auth0Client, ClientConfig};
use auth0_examples::TenantSettings;
use auth0_management::api::{UsersGetParams, UsersListParams};
use auth0_management::models::UpdateUserRequestContent;
use auth0_management::{ClientCredentials, ManagementClient};
use serde_json::{Map, json};
use tokio::task::JoinSet;

use auth0_examples::BoxError;

#[tokio::main]
async fn main() -> ExitCode {
    auth0_examples::exit_code("async_sharing", run().await)
}

async fn run() -> Result<(), BoxError> {
    let remote = TenantSettings::from_env()?;
    let local = match remote {
        Some(_) => None,
        None => Some(auth0_examples::start_local_tenant().await?),
    };
    let (settings, management_audience, user) = match (&remote, &local) {
        (Some(settings), _) => {
            println!("Using the tenant {}", settings.domain);
            let host = settings
                .domain
                .trim_start_matches("https://")
                .trim_end_matches('/');
            let user = match (
                std::env::var("AUTH0_USERNAME"),
                std::env::var("AUTH0_PASSWORD"),
            ) {
                (Ok(u), Ok(p)) => Some((u, p)),
                _ => None,
            };
            (settings.clone(), format!("https://{host}/api/v2/"), user)
        }
        (None, Some(tenant)) => {
            let config = auth0_examples::local_settings(tenant);
            let settings = TenantSettings {
                domain: tenant.domain(),
                client_id: config.client_id,
                client_secret: config.client_secret,
                audience: config.audience,
            };
            let user = Some((config.user.0, config.user.1));
            (settings, tenant.management_audience(), user)
        }
        (None, None) => return Err("no tenant".into()),
    };

    // One HTTP client — one connection pool — for everything.
    let http = Auth0Client::new(
        ClientConfig::builder()
            .domain(settings.domain.clone())
            .allow_insecure_loopback(local.is_some())
            .build()?,
    )?;
    let auth0 = ManagementClient::builder(http.clone())
        .client_credentials(
            ClientCredentials::new(&settings.client_id, &settings.client_secret)
                .audience(management_audience),
        )
        .build()?;
    let auth = AuthenticationClient::builder(http.clone(), settings.client_id.clone())
        .client_secret(settings.client_secret.clone())
        .build()?;

    // Calls to several services at once, on the same pool.
    let mut first_page = auth0.users().list_pager(UsersListParams::new().per_page(5));
    let (users, connections) = tokio::join!(first_page.next_page(), auth0.connections().all(),);
    let users = users
        .transpose()?
        .map(|page| page.items)
        .unwrap_or_default();
    let connections = connections?;
    println!(
        "Concurrently: {} user(s) on the first page, {} connection(s)",
        users.len(),
        connections.len()
    );

    // The same client in many tasks: clones are cheap and share the token.
    let mut tasks = JoinSet::new();
    for task in 0..8 {
        let auth0 = auth0.clone();
        tasks.spawn(async move {
            let connections = auth0.connections().all().await?;
            Ok::<_, auth0_management::Error>((task, connections.len()))
        });
    }
    let mut done = 0;
    while let Some(joined) = tasks.join_next().await {
        let (_task, _count) = joined??;
        done += 1;
    }
    println!("{done} tasks listed the connections through one ManagementClient");

    // Get a user, and update it (local tenant only: a real tenant is only read).
    if let Some(id) = users.first().and_then(|u| u.user_id.clone()) {
        let user = auth0.users().get(&id, &UsersGetParams::new()).await?;
        println!("Got {id} <{}>", user.email.as_deref().unwrap_or("?"));
        if local.is_some() {
            let mut metadata = Map::new();
            metadata.insert("theme".to_owned(), json!("dark"));
            let updated = auth0
                .users()
                .update(
                    &id,
                    &UpdateUserRequestContent::new().user_metadata(metadata),
                )
                .await?;
            println!(
                "Updated user_metadata: {}",
                auth0_examples::json_or_none(updated.user_metadata.as_ref())
            );
        }
    }

    // The Authentication API on the same pool: log in, then /userinfo.
    if let Some((username, password)) = user {
        let tokens = auth
            .login(&PasswordLogin::new(username, password).scope("openid profile email"))
            .await?;
        let me = auth.userinfo(&tokens.access_token).await?;
        println!(
            "/userinfo: {} <{}>",
            me.sub,
            me.email.as_deref().unwrap_or("?")
        );
    }
    println!("async_sharing finished.");
    Ok(())
}
