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
use auth0_management::resources::connections::UpdateConnection;
use auth0_management::{ClientCredentials, ManagementClient};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

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

/// A minimal HTTP/1.1 stand-in for Auth0 on 127.0.0.1: one request per
/// connection, just enough for this example.
mod local_auth0 {
    use super::*;

    const TOKEN: &str = "local-example-token";

    type Connections = Arc<Mutex<Vec<Value>>>;

    pub(crate) async fn start() -> std::io::Result<String> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
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

    async fn serve(mut stream: TcpStream, state: Connections) -> std::io::Result<()> {
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
        let reply = reply.to_string();
        let response = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
            reply.len()
        );
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await
    }

    fn route(
        method: &str,
        path: &str,
        body: &[u8],
        authorized: bool,
        state: &Connections,
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
