//! A self-contained API gateway: `BearerAuthLayer` in front of a handler that
//! reads the verified claims from the request extensions — or, in DPoP mode
//! (`--dpop`, or `GATEWAY_DPOP=1`), `DpopAuthLayer` requiring DPoP-bound
//! tokens (RFC 9449) with a proof on every request. Both publish RFC 9728
//! protected-resource metadata and name it in their challenges.
//!
//! No tenant needed: the example mints its own ES256 keys and tokens (and,
//! in DPoP mode, the client's key and proofs), serves the public key at
//! `/.well-known/jwks.json`, and prints curl commands.
//!
//! ```text
//! cargo run -p auth0-examples --bin gateway               # serve on 127.0.0.1:3000
//! cargo run -p auth0-examples --bin gateway -- --port 8080
//! cargo run -p auth0-examples --bin gateway -- --self-test # send a few requests, exit 0/1
//! cargo run -p auth0-examples --bin gateway -- --dpop --self-test
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
use auth0_jwt::dpop::{DpopAccessTokenValidator, DpopAuthLayer, DpopMode, DpopValidator};
use auth0_jwt::layer::BearerAuthLayer;
use auth0_jwt::resource_metadata::ProtectedResourceMetadata;
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
use tower::util::BoxCloneService;
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
    /// DPoP mode: `valid`'s claims bound to `client_key` (`cnf.jkt`).
    bound: String,
    /// The client's DPoP key pair.
    client_key: SigningKey,
}

/// RFC 7638 thumbprint of a public key.
fn thumbprint(key: &SigningKey) -> Result<String, BoxError> {
    Ok(key.to_public_jwk()?.thumbprint()?)
}

/// A DPoP proof (RFC 9449 §4.2) for `GET url` carrying `token`.
fn dpop_proof(key: &SigningKey, url: &str, token: &str, jti: &str) -> Result<String, BoxError> {
    use base64::Engine;
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    let mut jwk = serde_json::to_value(key.to_public_jwk()?)?;
    if let Some(map) = jwk.as_object_mut() {
        map.remove("kid");
    }
    let mut header = Map::new();
    header.insert("typ".into(), json!("dpop+jwt"));
    header.insert("jwk".into(), jwk);
    let claims = json!({
        "jti": jti, "htm": "GET", "htu": url, "iat": now,
        "ath": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest),
    });
    Ok(key.sign_token(&header, &claims)?)
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
    let client_key = SigningKey::generate_es256()?.with_typ(None);
    let mut bound = claims("auth0|dana", now + 3_600, "read:orders");
    bound["cnf"] = json!({ "jkt": thumbprint(&client_key)? });
    let bound = sign(bound)?;
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
        bound,
        client_key,
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

type App = BoxCloneService<Request<Incoming>, Response<String>, Infallible>;

/// Serves the gateway on `listener` until the process ends.
async fn serve(listener: TcpListener, signer: Arc<SigningKey>, dpop: bool) -> Result<(), BoxError> {
    let addr = listener.local_addr()?;
    let validator = AccessTokenValidator::builder()
        .key_source(StaticKeys::from_key(signer.verifying_key()?))
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .algorithms([Algorithm::ES256])
        .require_scopes([REQUIRED_SCOPE])
        .build()?;
    // RFC 9728: where clients learn which authorization server to ask.
    let metadata = ProtectedResourceMetadata::builder(AUDIENCE)
        .authorization_server(ISSUER)
        .scopes_supported([REQUIRED_SCOPE, "write:orders"])
        .dpop_signing_alg_values_supported([Algorithm::ES256])
        .dpop_bound_access_tokens_required(dpop)
        .build()?;
    let protected: App = if dpop {
        let api = DpopAccessTokenValidator::new(
            validator,
            // Clients address this server as http://127.0.0.1:PORT; that is
            // what their proofs' `htu` names.
            DpopValidator::builder()
                .external_base_url(format!("http://{addr}"))
                .build()?,
            DpopMode::Required,
        );
        // The layer serves the RFC 9728 document itself and names it in
        // its challenges.
        let layer = DpopAuthLayer::new(api)
            .realm("orders-api")
            .serve_resource_metadata::<String>(&metadata);
        BoxCloneService::new(layer.layer(service_fn(orders)))
    } else {
        let layer = BearerAuthLayer::new(validator)
            .realm("orders-api")
            .serve_resource_metadata::<String>(&metadata);
        BoxCloneService::new(layer.layer(service_fn(orders)))
    };
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

/// What a test request carries: `Authorization: <scheme> <token>` and an
/// optional `DPoP` proof.
#[derive(Clone, Copy)]
struct Credentials<'a> {
    scheme: &'a str,
    token: &'a str,
    proof: Option<&'a str>,
}

fn bearer(token: &str) -> Option<Credentials<'_>> {
    Some(Credentials {
        scheme: "Bearer",
        token,
        proof: None,
    })
}

/// One HTTP/1.1 request over a fresh connection; returns status, challenge, body.
async fn get(
    addr: SocketAddr,
    path: &str,
    credentials: Option<Credentials<'_>>,
) -> Result<(StatusCode, Option<String>, String), BoxError> {
    let stream = TcpStream::connect(addr).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let mut request = Request::builder()
        .uri(path)
        .header(http::header::HOST, addr.to_string());
    if let Some(c) = credentials {
        request = request.header(AUTHORIZATION, format!("{} {}", c.scheme, c.token));
        if let Some(proof) = c.proof {
            request = request.header("dpop", proof);
        }
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
    let cases: Vec<(&str, &str, Option<Credentials<'_>>, StatusCode, &str)> = vec![
        (
            "public JWKS",
            "/.well-known/jwks.json",
            None,
            StatusCode::OK,
            "\"keys\"",
        ),
        (
            "RFC 9728 metadata",
            "/.well-known/oauth-protected-resource",
            None,
            StatusCode::OK,
            "\"authorization_servers\"",
        ),
        (
            "valid token",
            "/orders",
            bearer(&tokens.valid),
            StatusCode::OK,
            "auth0|alice",
        ),
        (
            "no token",
            "/orders",
            None,
            StatusCode::UNAUTHORIZED,
            "Bearer realm=\"orders-api\", resource_metadata=",
        ),
        (
            "missing scope",
            "/orders",
            bearer(&tokens.missing_scope),
            StatusCode::FORBIDDEN,
            "insufficient_scope",
        ),
        (
            "expired token",
            "/orders",
            bearer(&tokens.expired),
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        ),
        (
            "forged signature",
            "/orders",
            bearer(&tokens.forged),
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        ),
    ];
    run_cases(addr, cases).await
}

/// The DPoP-mode requests: proofs made per RFC 9449 §4.2, and the attacks
/// of its §11 (replay, stolen token, bearer downgrade).
async fn dpop_self_test(addr: SocketAddr, tokens: &Tokens) -> Result<bool, BoxError> {
    let url = format!("http://{addr}/orders");
    let key = &tokens.client_key;
    let thief = SigningKey::generate_es256()?.with_typ(None);
    let p1 = dpop_proof(key, &url, &tokens.bound, "p1")?;
    let p2 = dpop_proof(key, &url, &tokens.bound, "p2")?;
    let stolen = dpop_proof(&thief, &url, &tokens.bound, "p3")?;
    let elsewhere = dpop_proof(key, "http://other.example/orders", &tokens.bound, "p4")?;
    fn with<'a>(token: &'a str, proof: &'a str) -> Option<Credentials<'a>> {
        Some(Credentials {
            scheme: "DPoP",
            token,
            proof: Some(proof),
        })
    }
    let bound = tokens.bound.as_str();
    let cases: Vec<(&str, &str, Option<Credentials<'_>>, StatusCode, &str)> = vec![
        (
            "RFC 9728 metadata",
            "/.well-known/oauth-protected-resource",
            None,
            StatusCode::OK,
            "\"dpop_bound_access_tokens_required\":true",
        ),
        (
            "no token",
            "/orders",
            None,
            StatusCode::UNAUTHORIZED,
            "DPoP realm=\"orders-api\", resource_metadata=",
        ),
        (
            "DPoP token and proof",
            "/orders",
            with(bound, &p1),
            StatusCode::OK,
            "auth0|dana",
        ),
        // The token check is now cached; the new proof is still checked.
        (
            "next proof (cached token)",
            "/orders",
            with(bound, &p2),
            StatusCode::OK,
            "auth0|dana",
        ),
        (
            "replayed proof",
            "/orders",
            with(bound, &p2),
            StatusCode::UNAUTHORIZED,
            "invalid_dpop_proof",
        ),
        (
            "stolen token, thief's key",
            "/orders",
            with(bound, &stolen),
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        ),
        (
            "proof for another URI",
            "/orders",
            with(bound, &elsewhere),
            StatusCode::UNAUTHORIZED,
            "invalid_dpop_proof",
        ),
        (
            "bound token as Bearer",
            "/orders",
            bearer(&tokens.bound),
            StatusCode::UNAUTHORIZED,
            "DPoP",
        ),
        (
            "plain Bearer token",
            "/orders",
            bearer(&tokens.valid),
            StatusCode::UNAUTHORIZED,
            "DPoP",
        ),
    ];
    run_cases(addr, cases).await
}

async fn run_cases(
    addr: SocketAddr,
    cases: Vec<(&str, &str, Option<Credentials<'_>>, StatusCode, &str)>,
) -> Result<bool, BoxError> {
    let mut all_passed = true;
    for (name, path, credentials, expected, needle) in cases {
        let (status, challenge, body) = get(addr, path, credentials).await?;
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
    let dpop = args.iter().any(|a| a == "--dpop")
        || std::env::var("GATEWAY_DPOP").is_ok_and(|v| v == "1" || v == "true");
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
    let server = tokio::spawn(serve(listener, Arc::clone(&signer), dpop));

    if self_testing {
        let passed = if dpop {
            dpop_self_test(addr, &tokens).await?
        } else {
            self_test(addr, &tokens).await?
        };
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
    if dpop {
        println!("gateway (DPoP required) listening on http://{addr}");
        println!("# a DPoP-bound token and a proof for GET /orders (single use):");
        let url = format!("http://{addr}/orders");
        println!(
            "curl -si {url} -H 'Authorization: DPoP {}' -H 'DPoP: {}'",
            tokens.bound,
            dpop_proof(&tokens.client_key, &url, &tokens.bound, "curl-1")?
        );
        println!("curl -s http://{addr}/.well-known/oauth-protected-resource");
    } else {
        print_usage(addr, &tokens);
    }
    server.await??;
    Ok(ExitCode::SUCCESS)
}
