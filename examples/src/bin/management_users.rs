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
use auth0_management::resources::users::{CreateUser, ListUsersParams, UpdateUser};
use auth0_management::{ClientCredentials, ManagementClient};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

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

/// A minimal HTTP/1.1 stand-in for Auth0 on 127.0.0.1: one request per
/// connection, just enough for this example.
mod local_auth0 {
    use super::*;

    const TOKEN: &str = "local-example-token";

    type Users = Arc<Mutex<Vec<Value>>>;

    pub(crate) async fn start() -> std::io::Result<String> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let state: Users = Arc::default();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = Arc::clone(&state);
                tokio::spawn(async move {
                    // A broken exchange only affects that one request.
                    let _ = serve(stream, state).await;
                });
            }
        });
        Ok(base)
    }

    async fn serve(mut stream: TcpStream, state: Users) -> std::io::Result<()> {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            if buf.len() > 64 * 1024 {
                return Ok(());
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap_or_default().split(' ');
        let method = request_line.next().unwrap_or_default().to_owned();
        let target = request_line.next().unwrap_or_default().to_owned();
        let mut length = 0usize;
        let mut authorized = false;
        for line in lines {
            if let Some((name, value)) = line.split_once(':') {
                let value = value.trim();
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.parse().unwrap_or(0);
                } else if name.eq_ignore_ascii_case("authorization") {
                    authorized = value == format!("Bearer {TOKEN}");
                }
            }
        }
        while buf.len() < head_end + length {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let body = &buf[head_end..buf.len().min(head_end + length)];
        let path = target.split('?').next().unwrap_or_default();

        let (status, reply) = route(&method, path, body, authorized, &state);
        let reply = if status == 204 {
            String::new()
        } else {
            reply.to_string()
        };
        let response = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
            reply.len()
        );
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await
    }

    /// Decodes `%XX` escapes (ids such as `auth0|…` arrive as `auth0%7C…`).
    fn percent_decode(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match (bytes[i], hex) {
                (b'%', Some(b)) => {
                    out.push(b);
                    i += 3;
                }
                (b, _) => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    fn route(
        method: &str,
        path: &str,
        body: &[u8],
        authorized: bool,
        state: &Users,
    ) -> (u16, Value) {
        if method == "POST" && path == "/oauth/token" {
            return (
                200,
                json!({ "access_token": TOKEN, "token_type": "Bearer", "expires_in": 86400 }),
            );
        }
        if !authorized {
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
                let id = percent_decode(&rest[1..]);
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
