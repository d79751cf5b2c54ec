//! Asynchronous environments, as auth0-python's `asyncify` example — in Rust
//! every call is `async` already, and "sharing a session" means sharing one
//! `Auth0Client`: its clones share the connection pool, the retry budget and
//! the rate limiter, so the Authentication API, the Management API and the
//! JWKS cache all go through the same connections.
//!
//! The seed's blocks, in order: all users (`users.all_async()`: every page),
//! a get then an update of one user (`async with auth0.users`), a user and a
//! connection fetched at once (`tokio::join!`), one `ManagementClient` fanned
//! out to many tasks (`tokio::spawn`; one token request serves them all), a
//! second client built on a static Management API token
//! (`Auth0('domain', 'mgmt_api_token')`) over the same pool (the seed's
//! shared `aiohttp` session), and `/userinfo` (`userinfo_async`).
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
use auth0_management::api::{ConnectionsGetParams, UsersGetParams, UsersListParams};
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
                .audience(management_audience.clone()),
        )
        .build()?;
    let auth = AuthenticationClient::builder(http.clone(), settings.client_id.clone())
        .client_secret(settings.client_secret.clone())
        .build()?;

    // users = await auth0.users.all_async(): every user, page after page
    // (offset paging reaches Auth0's first 1,000 results; past them the pager
    // stops with a typed error naming the users export job).
    let users = match auth0
        .users()
        .list_pager(UsersListParams::new().per_page(50))
        .collect_all(1_000)
        .await
    {
        Ok(users) => users,
        Err(
            error @ (auth0_management::Error::ResultWindow { .. }
            | auth0_management::Error::TooManyItems { .. }),
        ) => {
            println!("All users: {error} (see the management_export_users example)");
            Vec::new()
        }
        Err(other) => return Err(other.into()),
    };
    println!("All users: {} user(s)", users.len());

    // async with auth0.users as users: get_async(id), then update_async(id, …)
    // — several calls to the same service (local tenant only: a real tenant
    // is only read).
    let user_id = users.first().and_then(|u| u.user_id.clone());
    if let Some(id) = &user_id {
        let user = auth0.users().get(id, &UsersGetParams::new()).await?;
        println!("Got {id} <{}>", user.email.as_deref().unwrap_or("?"));
        if local.is_some() {
            let mut metadata = Map::new();
            metadata.insert("theme".to_owned(), json!("dark"));
            let updated = auth0
                .users()
                .update(id, &UpdateUserRequestContent::new().user_metadata(metadata))
                .await?;
            println!(
                "Updated user_metadata: {}",
                auth0_examples::json_or_none(updated.user_metadata.as_ref())
            );
        }
    }

    // async with Auth0(...) as auth0: users.get_async(user_id) and
    // connections.get_async(connection_id) — calls to several services, here
    // at once on the same pool.
    let connections = auth0.connections().all().await?;
    let connection_id = connections.first().and_then(|c| c.id.clone());
    if let (Some(user_id), Some(connection_id)) = (&user_id, &connection_id) {
        let (user_params, connection_params) = (UsersGetParams::new(), ConnectionsGetParams::new());
        let (user, connection) = tokio::join!(
            auth0.users().get(user_id, &user_params),
            auth0.connections().get(connection_id, &connection_params),
        );
        let (user, connection) = (user?, connection?);
        println!(
            "Concurrently: user {} and connection {} ({})",
            user.email.as_deref().unwrap_or("?"),
            connection.name.as_deref().unwrap_or("?"),
            connection.strategy.as_deref().unwrap_or("?")
        );
    }

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

    // Auth0('domain', 'mgmt_api_token'), and services sharing one session:
    // a client built on a Management API token obtained elsewhere (here from
    // the client credentials grant; on a real tenant also the dashboard's
    // API Explorer), on a clone of the same `Auth0Client` — the same pool.
    let mgmt_api_token = auth
        .client_credentials(&management_audience, None)
        .await?
        .access_token;
    let with_token = ManagementClient::builder(http.clone())
        .token(mgmt_api_token)
        .build()?;
    let mut first_page = with_token
        .users()
        .list_pager(UsersListParams::new().per_page(5));
    let (u, c) = tokio::join!(first_page.next_page(), with_token.connections().all());
    let u = u.transpose()?.map(|page| page.items).unwrap_or_default();
    println!(
        "With a static Management API token, on the same pool: {} user(s) on the first page, {} connection(s)",
        u.len(),
        c?.len()
    );

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
