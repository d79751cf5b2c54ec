//! A tiny `/oauth/token` on 127.0.0.1 that accepts `private_key_jwt`
//! client assertions, for the `private_key_jwt` example when no tenant is
//! configured.
//!
//! It checks each assertion as Auth0 does: `client_assertion_type`, the
//! signature against the application's registered public key, `iss` =
//! `sub` = `client_id`, `aud` = the tenant's issuer URL, not expired, a
//! lifetime of at most five minutes and a `jti` never seen before. It then
//! answers a `client_credentials` grant with an opaque access token.

use std::collections::HashSet;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use auth0_jwt::alg::Algorithm;
use auth0_jwt::jws::{Jws, ParseOptions};
use auth0_jwt::key::VerifyingKey;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

struct State {
    client_id: String,
    issuer: String,
    key: VerifyingKey,
    seen_jti: Mutex<HashSet<String>>,
}

/// A running token endpoint; stops when dropped.
pub struct AssertionTenant {
    addr: SocketAddr,
    _shutdown: oneshot::Sender<()>,
}

impl std::fmt::Debug for AssertionTenant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssertionTenant")
            .field("addr", &self.addr)
            .finish()
    }
}

impl AssertionTenant {
    /// Starts the endpoint for the application `client_id` whose registered
    /// public key is `key`.
    ///
    /// # Errors
    ///
    /// When the port cannot be bound.
    pub async fn start(client_id: &str, key: VerifyingKey) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            client_id: client_id.to_owned(),
            issuer: format!("http://{addr}/"),
            key,
            seen_jti: Mutex::new(HashSet::new()),
        });
        let (shutdown, mut stop) = oneshot::channel::<()>();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stop => return,
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let state = Arc::clone(&state);
                        tokio::spawn(async move {
                            let svc = service_fn(move |req| handle(Arc::clone(&state), req));
                            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
                        });
                    }
                }
            }
        });
        Ok(Self {
            addr,
            _shutdown: shutdown,
        })
    }

    /// The domain to configure clients with: `http://127.0.0.1:PORT`.
    pub fn domain(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if (req.method(), req.uri().path()) != (&Method::POST, "/oauth/token") {
        return Ok(reply(StatusCode::NOT_FOUND, json!({"error": "not_found"})));
    }
    let Ok(body) = Limited::new(req.into_body(), 64 * 1024).collect().await else {
        return Ok(error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Unreadable body",
        ));
    };
    let Ok(fields) = serde_json::from_slice::<Map<String, Value>>(&body.to_bytes()) else {
        return Ok(error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Expected a JSON body",
        ));
    };
    let field = |name: &str| fields.get(name).and_then(Value::as_str).unwrap_or("");
    if field("client_id") != state.client_id {
        return Ok(error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Unknown client",
        ));
    }
    if let Err(why) = check_assertion(
        &state,
        field("client_assertion_type"),
        field("client_assertion"),
    ) {
        return Ok(error(StatusCode::UNAUTHORIZED, "invalid_client", why));
    }
    if field("grant_type") != "client_credentials" {
        return Ok(error(
            StatusCode::FORBIDDEN,
            "unsupported_grant_type",
            "Only client_credentials",
        ));
    }
    let mut token = [0u8; 24];
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut token).is_err() {
        return Ok(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "No randomness",
        ));
    }
    let token: String = token.iter().map(|b| format!("{b:02x}")).collect();
    Ok(reply(
        StatusCode::OK,
        json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 86_400,
            "scope": "read:messages",
        }),
    ))
}

fn check_assertion(state: &State, kind: &str, jwt: &str) -> Result<(), &'static str> {
    if kind != ASSERTION_TYPE {
        return Err("Missing or unexpected client_assertion_type");
    }
    let jws =
        Jws::parse(jwt, &ParseOptions::default()).map_err(|_| "Malformed client_assertion")?;
    let alg = Algorithm::parse(&jws.header().alg).map_err(|_| "Unsupported alg")?;
    state
        .key
        .verify(alg, jws.signing_input(), jws.signature())
        .map_err(|_| "Invalid signature")?;
    let claims = jws.claims();
    let text = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or("");
    let number = |name: &str| claims.get(name).and_then(Value::as_u64).unwrap_or(0);
    if text("iss") != state.client_id || text("sub") != state.client_id {
        return Err("iss and sub must be the client_id");
    }
    if text("aud") != state.issuer {
        return Err("aud must be the tenant's issuer URL");
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (iat, exp) = (number("iat"), number("exp"));
    if exp <= now || exp.saturating_sub(iat) > 300 {
        return Err("Expired or too long-lived client_assertion");
    }
    let jti = text("jti");
    let fresh = state
        .seen_jti
        .lock()
        .map(|mut seen| !jti.is_empty() && seen.insert(jti.to_owned()))
        .unwrap_or(false);
    if !fresh {
        return Err("client_assertion jti missing or reused");
    }
    Ok(())
}

fn error(status: StatusCode, code: &str, description: &str) -> Response<Full<Bytes>> {
    reply(
        status,
        json!({"error": code, "error_description": description}),
    )
}

fn reply(status: StatusCode, body: Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}
