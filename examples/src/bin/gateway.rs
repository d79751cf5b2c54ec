//! A self-contained API gateway: `BearerAuthLayer` in front of a handler that
//! reads the verified claims from the request extensions.
//!
//! No tenant needed: the example mints its own ES256 key and tokens, serves
//! the public key at `/.well-known/jwks.json`, and prints curl commands.
//!
//! ```text
//! cargo run -p auth0-examples --bin gateway               # serve on 127.0.0.1:3000
//! cargo run -p auth0-examples --bin gateway -- --port 8080
//! cargo run -p auth0-examples --bin gateway -- --self-test # send a few requests, exit 0/1
//! ```
//!
//! In production the validator's key source is `auth0_jwt::jwks::RemoteJwks`
//! (your tenant's `/.well-known/jwks.json`) instead of the static key here.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use auth0_jwt::access_token::{AccessTokenClaims, AccessTokenValidator};
use auth0_jwt::alg::Algorithm;
use auth0_jwt::layer::BearerAuthLayer;
use auth0_jwt::sign::SigningKey;
use auth0_jwt::verifier::StaticKeys;
use http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde_json::{Map, json};
use tokio::net::{TcpListener, TcpStream};
use tower::{Layer, ServiceExt, service_fn};

const ISSUER: &str = "https://gateway-demo.local/";
const AUDIENCE: &str = "https://orders.example";
const REQUIRED_SCOPE: &str = "read:orders";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The tokens the example hands out.
struct Tokens {
    valid: String,
    missing_scope: String,
    expired: String,
    forged: String,
}

fn mint(signer: &SigningKey) -> Result<Tokens, BoxError> {
    let now = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs())?;
    let claims = |sub: &str, exp: i64, scope: &str| {
        json!({
            "iss": ISSUER, "sub": sub, "aud": AUDIENCE,
            "iat": now - 60, "exp": exp, "scope": scope,
        })
    };
    let sign = |c: serde_json::Value| signer.sign_token(&Map::new(), &c);
    let valid = sign(claims(
        "auth0|alice",
        now + 3_600,
        "read:orders write:orders",
    ))?;
    // Same header and claims, signature from another key: must be rejected.
    let impostor = SigningKey::generate_es256()?.with_kid(signer.kid().unwrap_or_default());
    Ok(Tokens {
        missing_scope: sign(claims("auth0|bob", now + 3_600, "profile"))?,
        expired: sign(claims("auth0|carol", now - 600, "read:orders"))?,
        forged: impostor.sign_token(
            &Map::new(),
            &claims("auth0|alice", now + 3_600, "read:orders write:orders"),
        )?,
        valid,
    })
}

/// The protected handler: the claims are in the extensions, already verified.
async fn orders(request: Request<Incoming>) -> Result<Response<String>, Infallible> {
    let body = match request.extensions().get::<Arc<AccessTokenClaims>>() {
        Some(claims) => json!({
            "caller": claims.sub(),
            "scopes": claims.scopes().collect::<Vec<_>>(),
            "orders": [{"id": 1, "item": "coffee"}],
        })
        .to_string(),
        // Unreachable behind the layer; answer safely anyway.
        None => return Ok(status(StatusCode::UNAUTHORIZED, String::new())),
    };
    let mut response = status(StatusCode::OK, body);
    response.headers_mut().insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

fn status(code: StatusCode, body: String) -> Response<String> {
    let mut response = Response::new(body);
    *response.status_mut() = code;
    response
}

/// Serves the gateway on `listener` until the process ends.
async fn serve(listener: TcpListener, signer: Arc<SigningKey>) -> Result<(), BoxError> {
    let validator = AccessTokenValidator::builder()
        .key_source(StaticKeys::from_key(signer.verifying_key()?))
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .algorithms([Algorithm::ES256])
        .require_scopes([REQUIRED_SCOPE])
        .build()?;
    let protected = BearerAuthLayer::new(validator)
        .realm("orders-api")
        .layer(service_fn(orders));
    let jwks = json!({ "keys": [signer.to_public_jwk()?] }).to_string();

    // A two-route router: the JWKS is public, everything else is protected.
    let app = service_fn(move |request: Request<Incoming>| {
        let protected = protected.clone();
        let jwks = jwks.clone();
        async move {
            if request.uri().path() == "/.well-known/jwks.json" {
                let mut response = status(StatusCode::OK, jwks);
                response.headers_mut().insert(
                    CONTENT_TYPE,
                    http::HeaderValue::from_static("application/json"),
                );
                Ok::<_, Infallible>(response)
            } else {
                protected.oneshot(request).await
            }
        }
    });

    loop {
        let (stream, _) = listener.accept().await?;
        let service = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            if let Err(error) = connection.await {
                eprintln!("connection error: {error}");
            }
        });
    }
}

/// One HTTP/1.1 request over a fresh connection; returns status, challenge, body.
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

/// Sends the demo requests and checks each answer.
async fn self_test(addr: SocketAddr, tokens: &Tokens) -> Result<bool, BoxError> {
    let cases: [(&str, &str, Option<&str>, StatusCode, &str); 6] = [
        (
            "public JWKS",
            "/.well-known/jwks.json",
            None,
            StatusCode::OK,
            "\"keys\"",
        ),
        (
            "valid token",
            "/orders",
            Some(&tokens.valid),
            StatusCode::OK,
            "auth0|alice",
        ),
        (
            "no token",
            "/orders",
            None,
            StatusCode::UNAUTHORIZED,
            "Bearer realm=\"orders-api\"",
        ),
        (
            "missing scope",
            "/orders",
            Some(&tokens.missing_scope),
            StatusCode::FORBIDDEN,
            "insufficient_scope",
        ),
        (
            "expired token",
            "/orders",
            Some(&tokens.expired),
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        ),
        (
            "forged signature",
            "/orders",
            Some(&tokens.forged),
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        ),
    ];
    let mut all_passed = true;
    for (name, path, token, expected, needle) in cases {
        let (status, challenge, body) = get(addr, path, token).await?;
        let seen = format!("{} {}", challenge.as_deref().unwrap_or(""), body);
        let passed = status == expected && seen.contains(needle);
        all_passed &= passed;
        println!(
            "{} {name}: {status}{}",
            if passed { "ok  " } else { "FAIL" },
            challenge
                .map(|c| format!(" (WWW-Authenticate: {c})"))
                .unwrap_or_default()
        );
    }
    Ok(all_passed)
}

fn print_usage(addr: SocketAddr, tokens: &Tokens) {
    println!("gateway listening on http://{addr}");
    println!();
    println!("# the public key set:");
    println!("curl -s http://{addr}/.well-known/jwks.json");
    println!("# 200, claims echoed by the handler:");
    println!(
        "curl -si http://{addr}/orders -H 'Authorization: Bearer {}'",
        tokens.valid
    );
    println!("# 401 with a bare `WWW-Authenticate: Bearer realm=...` challenge:");
    println!("curl -si http://{addr}/orders");
    println!("# 403 insufficient_scope (token lacks {REQUIRED_SCOPE}):");
    println!(
        "curl -si http://{addr}/orders -H 'Authorization: Bearer {}'",
        tokens.missing_scope
    );
    println!("# 401 invalid_token (expired):");
    println!(
        "curl -si http://{addr}/orders -H 'Authorization: Bearer {}'",
        tokens.expired
    );
    println!();
    println!("Ctrl-C to stop.");
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("gateway: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<ExitCode, BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let self_testing = args.iter().any(|a| a == "--self-test");
    let port: u16 = match args.iter().position(|a| a == "--port") {
        Some(i) => args.get(i + 1).ok_or("--port needs a value")?.parse()?,
        // The self-test takes any free port; interactive use a fixed one.
        None if self_testing => 0,
        None => 3000,
    };

    let signer = Arc::new(SigningKey::generate_es256()?.with_kid("gateway-demo"));
    let tokens = mint(&signer)?;
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(serve(listener, Arc::clone(&signer)));

    if self_testing {
        let passed = self_test(addr, &tokens).await?;
        server.abort();
        println!(
            "{}",
            if passed {
                "self-test passed"
            } else {
                "self-test FAILED"
            }
        );
        return Ok(if passed {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    print_usage(addr, &tokens);
    server.await??;
    Ok(ExitCode::SUCCESS)
}
