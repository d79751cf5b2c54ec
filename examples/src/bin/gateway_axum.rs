//! auth0-jwt's `BearerAuthLayer` on an axum `Router`: every route behind it
//! gets the verified claims as an `Extension<Arc<AccessTokenClaims>>`;
//! requests without a valid token are answered 401 with an RFC 6750
//! `WWW-Authenticate` challenge before any handler runs.
//!
//! The API's tokens come from the local tenant (auth0-local): the validator
//! fetches its JWKS like it would your tenant's.
//!
//! ```text
//! cargo run -p auth0-examples --bin gateway_axum               # serve on 127.0.0.1:3000
//! cargo run -p auth0-examples --bin gateway_axum -- --self-test # valid/missing/bad token, exit 0/1
//! ```

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use auth0_examples::BoxError;
use auth0_jwt::access_token::AccessTokenClaims;
use auth0_jwt::layer::BearerAuthLayer;
use axum::routing;
use axum::{Extension, Router};
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

/// A protected handler: the layer put the verified claims in the request.
async fn orders(Extension(claims): Extension<Arc<AccessTokenClaims>>) -> String {
    format!("orders for {}\n", claims.sub().unwrap_or("?"))
}

#[tokio::main]
async fn main() -> ExitCode {
    auth0_examples::exit_code("gateway_axum", run().await)
}

async fn run() -> Result<(), BoxError> {
    let self_testing = std::env::args().any(|a| a == "--self-test");
    let api = auth0_examples::local_api().await?;

    // The layer as-is: `Router::layer` wraps every route.
    let app = Router::new()
        .route("/orders", routing::get(orders))
        .layer(BearerAuthLayer::new(api.validator));

    let listener = TcpListener::bind(("127.0.0.1", if self_testing { 0 } else { 3000 })).await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    if !self_testing {
        println!("gateway (axum) listening on http://{addr}");
        println!(
            "curl -si http://{addr}/orders -H 'Authorization: Bearer {}'",
            api.token
        );
        println!("curl -si http://{addr}/orders");
        server.await??;
        return Ok(());
    }
    let result = self_test(addr, &api.token).await;
    server.abort();
    result?;
    println!("self-test passed");
    Ok(())
}

/// A valid token is served; a missing or bad one is refused with the
/// layer's challenge.
async fn self_test(addr: SocketAddr, token: &str) -> Result<(), BoxError> {
    let mut bad = token.to_owned();
    bad.truncate(bad.len().saturating_sub(4));
    bad.push_str("AAAA");
    let cases = [
        ("valid token", Some(token), StatusCode::OK, None),
        (
            "missing token",
            None,
            StatusCode::UNAUTHORIZED,
            Some("Bearer"),
        ),
        (
            "bad token",
            Some(bad.as_str()),
            StatusCode::UNAUTHORIZED,
            Some("error=\"invalid_token\""),
        ),
    ];
    for (name, token, status, challenge) in cases {
        let (got, got_challenge, body) = get(addr, "/orders", token).await?;
        let challenge_ok = match challenge {
            None => got_challenge.is_none(),
            Some(part) => got_challenge.as_deref().is_some_and(|c| c.contains(part)),
        };
        println!(
            "{name}: {got} {}",
            got_challenge.as_deref().unwrap_or(body.trim())
        );
        if got != status || !challenge_ok {
            return Err(format!(
                "{name}: expected {status} with a challenge containing {}, got {got} with {}",
                auth0_examples::or_none(challenge),
                got_challenge.as_deref().unwrap_or("no challenge")
            )
            .into());
        }
    }
    Ok(())
}

/// `GET path` with an optional bearer token: status, `WWW-Authenticate`, body.
async fn get(
    addr: SocketAddr,
    path: &str,
    token: Option<&str>,
) -> Result<(StatusCode, Option<String>, String), BoxError> {
    let stream = TcpStream::connect(addr).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let mut request = Request::builder()
        .uri(path)
        .header(http::header::HOST, addr.to_string());
    if let Some(token) = token {
        request = request.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = sender
        .send_request(request.body(Empty::<Bytes>::new())?)
        .await?;
    let status = response.status();
    let challenge = response
        .headers()
        .get(WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.into_body().collect().await?.to_bytes();
    Ok((
        status,
        challenge,
        String::from_utf8_lossy(&body).into_owned(),
    ))
}
