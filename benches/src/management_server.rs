//! The Management API server of the HTTP benches (`management`,
//! `blocking`): a purpose-built keep-alive HTTP/1.1 server on 127.0.0.1, on
//! its own thread and runtime, answering precomputed bytes.
//!
//! * `GET /api/v2/connections?take=50`: a checkpoint page of 50 realistic
//!   connections (~30 KB);
//! * any other `GET`: one connection (`GET /api/v2/connections/{id}`).

use std::net::SocketAddr;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The static Management API token the clients send.
pub const TOKEN: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL2JlbmNoLyIsImF1ZCI6Imh0dHBzOi8vYmVuY2gvYXBpL3YyLyJ9.c2lnbmF0dXJl";
/// The connection id the `get` route asks for.
pub const CONNECTION_ID: &str = "con_ErZf9LpXQDE0cNBr";

/// One connection as Auth0 lists it (fields of `ConnectionForList` /
/// `GetConnectionResponseContent`, options as a database or social
/// connection carries them).
pub fn connection(i: usize) -> serde_json::Value {
    let social = i % 3 == 0;
    serde_json::json!({
        "id": format!("con_{i:016}"),
        "name": if social { format!("google-oauth2-{i}") } else { format!("Username-Password-Authentication-{i}") },
        "display_name": format!("Connection {i}"),
        "strategy": if social { "google-oauth2" } else { "auth0" },
        "options": if social {
            serde_json::json!({"client_id": "1234567890-abc.apps.googleusercontent.com", "scope": ["email", "profile"], "email": true, "profile": true})
        } else {
            serde_json::json!({
                "mfa": {"active": true, "return_enroll_settings": true},
                "passwordPolicy": "good",
                "password_complexity_options": {"min_length": 8},
                "brute_force_protection": true,
                "strategy_version": 2,
                "requires_username": false,
                "validation": {"username": {"min": 1, "max": 15}},
                "import_mode": false,
                "disable_signup": false
            })
        },
        "enabled_clients": ["rOsnWgtw23nje2QCDuDJNVpxlsCylSLE", "DaM8bokEXBWrTUFCiJjWn50jei6FlyKn"],
        "realms": [format!("realm-{i}")],
        "is_domain_connection": false,
        "show_as_button": social,
        "metadata": {"team": "identity", "tier": "gold"},
        "authentication": {"active": true},
        "connected_accounts": {"active": false}
    })
}

/// The two answers' bodies.
pub struct Bodies {
    pub list: Vec<u8>,
    pub get: Vec<u8>,
}

pub fn bodies() -> Bodies {
    let items: Vec<_> = (0..50).map(connection).collect();
    let list = serde_json::json!({"connections": items, "next": "MjAyNi0wNi0yNVQwMDowMDowMC4wMDBaLGNvbl8wMDAwMDAwMDAwMDAwMDUw"});
    Bodies {
        list: serde_json::to_vec(&list).unwrap(),
        get: serde_json::to_vec(&connection(7)).unwrap(),
    }
}

fn response(body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\nx-ratelimit-limit: 50\r\nx-ratelimit-remaining: 49\r\nx-ratelimit-reset: 1900000000\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// A keep-alive HTTP/1.1 server answering precomputed bytes: only request
/// heads (GET, no body) are read, so it costs as little as a server can.
pub fn start_server(bodies: &Bodies) -> SocketAddr {
    let list = Bytes::from(response(&bodies.list));
    let get = Bytes::from(response(&bodies.get));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            loop {
                let (mut stream, _) = listener.accept().await.unwrap();
                stream.set_nodelay(true).unwrap();
                let (list, get) = (list.clone(), get.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::with_capacity(4096);
                    let mut chunk = [0u8; 4096];
                    loop {
                        // Answer every complete request head in the buffer.
                        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = &buf[..end];
                            let path_end = head.iter().position(|b| *b == b'\r').unwrap_or(end);
                            let line = &head[..path_end];
                            let answer = if line.windows(16).any(|w| w == b"/connections?tak") {
                                &list
                            } else {
                                &get
                            };
                            if stream.write_all(answer).await.is_err() {
                                return;
                            }
                            buf.drain(..end + 4);
                        }
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                });
            }
        });
    });
    rx.recv().unwrap()
}
