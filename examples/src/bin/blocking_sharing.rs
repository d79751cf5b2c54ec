//! [`async_sharing`](async_sharing.rs) for synchronous programs: one HTTP
//! client (one connection pool) and one runtime thread shared by the
//! blocking Authentication and Management clients (feature `blocking`) and
//! by every thread that calls them. Clones are cheap and share the
//! Management token: eight threads listing connections cost one token
//! request. Like `async_sharing` it lists all users, gets a user and a
//! connection at once (two threads), and builds a second client on a static
//! Management API token over the same pool.
//!
//! Without a tenant it uses the local tenant on 127.0.0.1. With
//! `AUTH0_DOMAIN`, `AUTH0_CLIENT_ID` and `AUTH0_CLIENT_SECRET` (an M2M
//! application with `read:users` and `read:connections`) it only reads from
//! that tenant; `/userinfo` is called when `AUTH0_USERNAME` and
//! `AUTH0_PASSWORD` are set too.
//!
//! ```text
//! cargo run -p auth0-examples --bin blocking_sharing
//! ```

use std::process::ExitCode;

use auth0_authentication::PasswordLogin;
use auth0_authentication::blocking::AuthenticationClient;
use auth0_core::blocking::Runtime;
use auth0_core::{Auth0Client, ClientConfig};
use auth0_examples::{BoxError, TenantSettings};
use auth0_management::ClientCredentials;
use auth0_management::api::{ConnectionsGetParams, UsersGetParams, UsersListParams};
use auth0_management::blocking::ManagementClient;
use auth0_management::models::UpdateUserRequestContent;
use serde_json::{Map, json};

fn main() -> ExitCode {
    auth0_examples::exit_code("blocking_sharing", run())
}

fn run() -> Result<(), BoxError> {
    let remote = TenantSettings::from_env()?;
    let local = match remote {
        Some(_) => None,
        None => Some(auth0_examples::start_local_tenant_threaded()?),
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

    // One HTTP client — one connection pool — and one runtime thread for
    // everything.
    let http = Auth0Client::new(
        ClientConfig::builder()
            .domain(settings.domain.clone())
            .allow_insecure_loopback(local.is_some())
            .build()?,
    )?;
    let runtime = Runtime::new()?;
    let auth0 = ManagementClient::with_runtime(
        auth0_management::ManagementClient::builder(http.clone())
            .client_credentials(
                ClientCredentials::new(&settings.client_id, &settings.client_secret)
                    .audience(management_audience.clone()),
            )
            .build()?,
        &runtime,
    );
    let auth = AuthenticationClient::with_runtime(
        auth0_authentication::AuthenticationClient::builder(
            http.clone(),
            settings.client_id.clone(),
        )
        .client_secret(settings.client_secret.clone())
        .build()?,
        &runtime,
    );

    // users = auth0.users.all(): every user, page after page (offset paging
    // reaches Auth0's first 1,000 results; past them the pager stops with a
    // typed error naming the users export job).
    let users = match auth0
        .users()
        .list_pager(UsersListParams::new().per_page(50))
        .collect_all(1_000)
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
    let connections = auth0.connections().all()?;
    println!(
        "All users: {} user(s); {} connection(s)",
        users.len(),
        connections.len()
    );

    // A user and a connection at once, from two threads on the same pool.
    let user_id = users.first().and_then(|u| u.user_id.clone());
    let connection_id = connections.first().and_then(|c| c.id.clone());
    if let (Some(user_id), Some(connection_id)) = (&user_id, &connection_id) {
        let (user, connection) = std::thread::scope(|scope| {
            let user = scope.spawn(|| auth0.users().get(user_id, &UsersGetParams::new()));
            let connection = scope.spawn(|| {
                auth0
                    .connections()
                    .get(connection_id, &ConnectionsGetParams::new())
            });
            (user.join(), connection.join())
        });
        let user = user.map_err(|_| "a thread panicked")??;
        let connection = connection.map_err(|_| "a thread panicked")??;
        println!(
            "Concurrently: user {} and connection {} ({})",
            user.email.as_deref().unwrap_or("?"),
            connection.name.as_deref().unwrap_or("?"),
            connection.strategy.as_deref().unwrap_or("?")
        );
    }

    // The same client in many threads at once.
    let counts = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| auth0.connections().all().map(|c| c.len())))
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().map_err(|_| "a thread panicked"))
            .collect::<Result<Vec<_>, _>>()
    })?;
    let listed = counts.into_iter().collect::<Result<Vec<_>, _>>()?;
    println!(
        "{} threads listed the connections through one ManagementClient",
        listed.len()
    );

    // Get a user, and update it (local tenant only: a real tenant is only read).
    if let Some(id) = users.first().and_then(|u| u.user_id.clone()) {
        let user = auth0.users().get(&id, &UsersGetParams::new())?;
        println!("Got {id} <{}>", user.email.as_deref().unwrap_or("?"));
        if local.is_some() {
            let mut metadata = Map::new();
            metadata.insert("theme".to_owned(), json!("dark"));
            let updated = auth0.users().update(
                &id,
                &UpdateUserRequestContent::new().user_metadata(metadata),
            )?;
            println!(
                "Updated user_metadata: {}",
                auth0_examples::json_or_none(updated.user_metadata.as_ref())
            );
        }
    }

    // Auth0('domain', 'mgmt_api_token'): a client built on a Management API
    // token obtained elsewhere (here from the client credentials grant), on
    // a clone of the same `Auth0Client` and runtime — the same pool.
    let mgmt_api_token = auth
        .client_credentials(&management_audience, None)?
        .access_token;
    let with_token = ManagementClient::with_runtime(
        auth0_management::ManagementClient::builder(http.clone())
            .token(mgmt_api_token)
            .build()?,
        &runtime,
    );
    println!(
        "With a static Management API token, on the same pool: {} connection(s)",
        with_token.connections().all()?.len()
    );

    // The Authentication API on the same pool: log in, then /userinfo.
    if let Some((username, password)) = user {
        let tokens =
            auth.login(&PasswordLogin::new(username, password).scope("openid profile email"))?;
        let me = auth.userinfo(&tokens.access_token)?;
        println!(
            "/userinfo: {} <{}>",
            me.sub,
            me.email.as_deref().unwrap_or("?")
        );
    }
    println!("blocking_sharing finished.");
    Ok(())
}
