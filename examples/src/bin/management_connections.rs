//! The Python SDK's Management example, in Rust: list all connections,
//! rename one, and read it back.
//!
//! ```text
//! # Against a tenant (an M2M application with read:connections and
//! # update:connections; only `display_name` can be changed on a real tenant):
//! AUTH0_DOMAIN=tenant.eu.auth0.com AUTH0_CLIENT_ID=… AUTH0_CLIENT_SECRET=… \
//! AUTH0_CONNECTION_ID=con_… cargo run -p auth0-examples --bin management_connections
//!
//! # Without a tenant: a tiny local server plays /oauth/token and /api/v2/connections.
//! cargo run -p auth0-examples --bin management_connections
//! ```

use std::error::Error;
use std::sync::{Arc, Mutex};

use auth0_core::{Auth0Client, ClientConfig};
use auth0_examples::stand_in::StandInRequest;
use auth0_management::resources::connections::UpdateConnection;
use auth0_management::{ClientCredentials, ManagementClient};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let remote = std::env::var("AUTH0_DOMAIN").ok();
    let (config, client_id, client_secret, connection_id) = match &remote {
        Some(domain) => (
            ClientConfig::new(domain)?,
            std::env::var("AUTH0_CLIENT_ID")?,
            std::env::var("AUTH0_CLIENT_SECRET")?,
            std::env::var("AUTH0_CONNECTION_ID")?,
        ),
        None => {
            let base = local_auth0::start().await?;
            println!("AUTH0_DOMAIN unset: using a local stand-in at {base}\n");
            let config = ClientConfig::builder()
                .domain(base)
                .allow_insecure_loopback(true)
                .build()?;
            (
                config,
                "exampleid".to_owned(),
                "examplesecret".to_owned(),
                "con_ErZf9LpXQDE0cNBr".to_owned(),
            )
        }
    };

    let auth0 = ManagementClient::builder(Auth0Client::new(config)?)
        .client_credentials(ClientCredentials::new(client_id, client_secret))
        .build()?;

    // auth0.connections.all()
    for connection in auth0.connections().all().await? {
        println!(
            "{:<24} {:<36} {}",
            connection.id.as_deref().unwrap_or("-"),
            connection.name.as_deref().unwrap_or("-"),
            connection.strategy.as_deref().unwrap_or("-"),
        );
    }

    // auth0.connections.update('con_ErZf9LpXQDE0cNBr', {'name': 'MyNewName'})
    // A real tenant keeps `name` immutable; change the display name there.
    let change = if remote.is_some() {
        UpdateConnection::new().display_name("MyNewName")
    } else {
        UpdateConnection::new().set("name", "MyNewName")
    };
    auth0.connections().update(&connection_id, &change).await?;

    // modified_connection = auth0.connections.get('con_ErZf9LpXQDE0cNBr')
    let modified = auth0.connections().get(&connection_id).await?;
    println!("\nafter the update: {modified:#?}");
    Ok(())
}

/// A stand-in for Auth0 on 127.0.0.1, just enough for this example.
mod local_auth0 {
    use super::*;

    const TOKEN: &str = "local-example-token";

    type Connections = Arc<Mutex<Vec<Value>>>;

    pub(crate) async fn start() -> std::io::Result<String> {
        let state: Connections = Arc::new(Mutex::new(vec![
            json!({
                "enabled_clients": ["rOsnWgtw23nje2QCDuDJNVpxlsCylSLE"],
                "id": "con_ErZf9LpXQDE0cNBr",
                "name": "Amazon-Connection",
                "options": { "profile": true, "scope": ["profile"] },
                "strategy": "amazon"
            }),
            json!({
                "enabled_clients": ["rOsnWgtw23nje2QCDuDJNVpxlsCylSLE"],
                "id": "con_i8qF5DPiZ3FdadwJ",
                "name": "Username-Password-Authentication",
                "options": { "brute_force_protection": true },
                "strategy": "auth0"
            }),
        ]));
        auth0_examples::stand_in::serve(move |request| route(request, &state)).await
    }

    fn route(request: &StandInRequest<'_>, state: &Connections) -> (u16, Value) {
        let (method, path, body) = (request.method, request.path, request.body);
        if method == "POST" && path == "/oauth/token" {
            return (
                200,
                json!({ "access_token": TOKEN, "token_type": "Bearer", "expires_in": 86400 }),
            );
        }
        if !request.has_bearer(TOKEN) {
            return (401, json!({ "statusCode": 401, "error": "Unauthorized" }));
        }
        let mut connections = match state.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        match (method, path.strip_prefix("/api/v2/connections")) {
            ("GET", Some("")) => (200, json!({ "connections": *connections })),
            (method, Some(rest)) if rest.starts_with('/') => {
                let id = &rest[1..];
                let Some(found) = connections.iter_mut().find(|c| c["id"] == id) else {
                    return (404, json!({ "statusCode": 404, "error": "Not Found" }));
                };
                if method == "PATCH" {
                    if let (Some(target), Ok(Value::Object(changes))) =
                        (found.as_object_mut(), serde_json::from_slice::<Value>(body))
                    {
                        target.extend(changes);
                    }
                }
                (200, found.clone())
            }
            _ => (404, json!({ "statusCode": 404, "error": "Not Found" })),
        }
    }
}
