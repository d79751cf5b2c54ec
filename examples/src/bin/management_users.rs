//! Users through the Management API: create, read, update, search (walking
//! pages) and delete.
//!
//! ```text
//! # Against a tenant (an M2M application with create/read/update/delete:users):
//! AUTH0_DOMAIN=tenant.eu.auth0.com AUTH0_CLIENT_ID=… AUTH0_CLIENT_SECRET=… \
//! cargo run -p auth0-examples --bin management_users
//!
//! # Without a tenant: a tiny local server plays /oauth/token and /api/v2/users.
//! cargo run -p auth0-examples --bin management_users
//! ```

use std::error::Error;
use std::sync::{Arc, Mutex};

use auth0_core::{Auth0Client, ClientConfig};
use auth0_examples::stand_in::StandInRequest;
use auth0_management::resources::users::{CreateUser, ListUsersParams, UpdateUser};
use auth0_management::{ClientCredentials, ManagementClient};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let (config, client_id, client_secret) = match std::env::var("AUTH0_DOMAIN") {
        Ok(domain) => (
            ClientConfig::new(&domain)?,
            std::env::var("AUTH0_CLIENT_ID")?,
            std::env::var("AUTH0_CLIENT_SECRET")?,
        ),
        Err(_) => {
            let base = local_auth0::start().await?;
            println!("AUTH0_DOMAIN unset: using a local stand-in at {base}\n");
            let config = ClientConfig::builder()
                .domain(base)
                .allow_insecure_loopback(true)
                .build()?;
            (config, "exampleid".to_owned(), "examplesecret".to_owned())
        }
    };
    let auth0 = ManagementClient::builder(Auth0Client::new(config)?)
        .client_credentials(ClientCredentials::new(client_id, client_secret))
        .build()?;
    let users = auth0.users();

    let created = users
        .create(
            &CreateUser::new("Username-Password-Authentication")
                .email("rust-example@example.com")
                .password("A-long-example-passphrase-42")
                .name("Rust Example"),
        )
        .await?;
    let id = created
        .user_id
        .clone()
        .ok_or("the created user has no id")?;
    println!("created {id}");

    let updated = users
        .update(&id, &UpdateUser::new().nickname("rusty"))
        .await?;
    println!("nickname is now {:?}", updated.nickname);

    let fetched = users.get(&id).await?;
    println!("fetched {:?} <{:?}>", fetched.name, fetched.email);

    let mut pager = users.pager(
        ListUsersParams::new()
            .q("email:\"rust-example@example.com\"")
            .per_page(50),
    );
    while let Some(page) = pager.next_page().await {
        let page = page?;
        println!(
            "search page: {} of {:?} users",
            page.items.len(),
            page.total
        );
    }

    users.delete(&id).await?;
    println!("deleted {id}");
    Ok(())
}

/// A stand-in for Auth0 on 127.0.0.1, just enough for this example.
mod local_auth0 {
    use super::*;

    const TOKEN: &str = "local-example-token";

    type Users = Arc<Mutex<Vec<Value>>>;

    pub(crate) async fn start() -> std::io::Result<String> {
        let state: Users = Arc::default();
        auth0_examples::stand_in::serve(move |request| route(request, &state)).await
    }

    fn route(request: &StandInRequest<'_>, state: &Users) -> (u16, Value) {
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
        let not_found =
            json!({ "statusCode": 404, "error": "Not Found", "errorCode": "inexistent_user" });
        let mut users = match state.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let changes = serde_json::from_slice::<Value>(body).ok();
        match (method, path.strip_prefix("/api/v2/users")) {
            ("GET", Some("")) => {
                let total = users.len();
                (
                    200,
                    json!({ "start": 0, "limit": 50, "length": total, "total": total, "users": *users }),
                )
            }
            ("POST", Some("")) => {
                let mut user = changes.unwrap_or_else(|| json!({}));
                if let Some(fields) = user.as_object_mut() {
                    fields.remove("password");
                    fields.remove("connection");
                    fields.insert(
                        "user_id".into(),
                        json!(format!("auth0|{}", 1000 + users.len())),
                    );
                    fields.insert("created_at".into(), json!("2024-01-15T09:30:00.000Z"));
                }
                users.push(user.clone());
                (201, user)
            }
            (method, Some(rest)) if rest.starts_with('/') => {
                let id = auth0_examples::stand_in::percent_decode(&rest[1..]);
                let Some(index) = users.iter().position(|u| u["user_id"] == id.as_str()) else {
                    return (404, not_found);
                };
                match method {
                    "DELETE" => {
                        users.remove(index);
                        (204, Value::Null)
                    }
                    "PATCH" => {
                        if let (Some(user), Some(Value::Object(changes))) =
                            (users[index].as_object_mut(), changes)
                        {
                            user.extend(changes);
                        }
                        (200, users[index].clone())
                    }
                    _ => (200, users[index].clone()),
                }
            }
            _ => (404, not_found),
        }
    }
}
