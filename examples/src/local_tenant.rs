//! A small Auth0-compatible tenant that runs in-process on 127.0.0.1, so the
//! examples run on a machine with no tenant and no network.
//!
//! It plays the endpoints the quickstart needs, with Auth0's request and
//! response shapes:
//! - `GET /.well-known/jwks.json` and `GET /.well-known/openid-configuration`;
//! - `POST /oauth/token` (form or JSON) for `client_credentials`, `password`
//!   and `http://auth0.com/oauth/grant-type/password-realm`: access tokens are
//!   JWTs for the requested audience; the password grants add an ID token when
//!   the scope contains `openid`.
//!
//! Tokens are signed with an ES256 key generated at start-up (nothing secret
//! lives in the repository). A real tenant signs with RS256 by default; the
//! verifiers are configured with the algorithm the tenant announces.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use auth0_jwt::alg::Algorithm;
use auth0_jwt::sign::SigningKey;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Largest request body the tenant reads.
const MAX_REQUEST_BODY: usize = 64 * 1024;

/// Who may log in and with which credentials.
#[derive(Clone)]
pub struct LocalTenantConfig {
    /// The one application's client ID.
    pub client_id: String,
    /// Its client secret (`client_secret_post`).
    pub client_secret: String,
    /// The API audience tokens may be requested for.
    pub audience: String,
    /// Scopes granted to client-credentials tokens.
    pub scopes: Vec<String>,
    /// A database user for the password grants: (username, password, sub).
    pub user: (String, String, String),
}

impl std::fmt::Debug for LocalTenantConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTenantConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("audience", &self.audience)
            .field("scopes", &self.scopes)
            .field("user", &self.user.0)
            .finish()
    }
}

impl Default for LocalTenantConfig {
    fn default() -> Self {
        Self {
            client_id: "local-client".to_owned(),
            client_secret: random_secret(),
            audience: "https://api.local.test/".to_owned(),
            scopes: vec!["read:messages".to_owned(), "write:messages".to_owned()],
            user: (
                "jane@example.com".to_owned(),
                random_secret(),
                "auth0|local-user-1".to_owned(),
            ),
        }
    }
}

/// A running local tenant; stops when dropped.
pub struct LocalTenant {
    addr: SocketAddr,
    config: LocalTenantConfig,
    algorithm: Algorithm,
    _shutdown: oneshot::Sender<()>,
}

impl std::fmt::Debug for LocalTenant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTenant")
            .field("addr", &self.addr)
            .field("config", &self.config)
            .finish()
    }
}

struct State {
    config: LocalTenantConfig,
    issuer: String,
    key: SigningKey,
    jwks: Bytes,
    discovery: Bytes,
}

impl LocalTenant {
    /// Starts a tenant on an ephemeral 127.0.0.1 port.
    ///
    /// # Errors
    ///
    /// When the port cannot be bound or the signing key cannot be made.
    pub async fn start(config: LocalTenantConfig) -> Result<Self, Box<dyn std::error::Error>> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let issuer = format!("http://{addr}/");
        let key = SigningKey::generate_es256()?.with_kid("local-es256-1");
        let algorithm = key.algorithm();
        let jwk = serde_json::to_value(key.to_public_jwk()?)?;
        let jwks = Bytes::from(serde_json::to_vec(&json!({ "keys": [jwk] }))?);
        let discovery = Bytes::from(serde_json::to_vec(&json!({
            "issuer": issuer,
            "jwks_uri": format!("{issuer}.well-known/jwks.json"),
            "token_endpoint": format!("{issuer}oauth/token"),
            "id_token_signing_alg_values_supported": [algorithm.as_str()],
            "grant_types_supported": ["client_credentials", "password",
                "http://auth0.com/oauth/grant-type/password-realm"],
        }))?);
        let state = Arc::new(State {
            config: config.clone(),
            issuer,
            key,
            jwks,
            discovery,
        });
        let (shutdown, mut stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = &mut stopped => break,
                    accepted = listener.accept() => accepted,
                };
                let Ok((stream, _)) = accepted else { continue };
                let state = state.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(state.clone(), req));
                    // A client that hangs up mid-request is not the tenant's problem.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self {
            addr,
            config,
            algorithm,
            _shutdown: shutdown,
        })
    }

    /// The domain to configure clients with: `http://127.0.0.1:PORT`.
    pub fn domain(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The issuer (`iss`) of every token: `http://127.0.0.1:PORT/`.
    pub fn issuer(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The algorithm tokens are signed with.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The configuration it was started with (credentials included).
    pub fn config(&self) -> &LocalTenantConfig {
        &self.config
    }
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let response = match (req.method(), req.uri().path()) {
        (&Method::GET, "/.well-known/jwks.json") => json_response(StatusCode::OK, &state.jwks),
        (&Method::GET, "/.well-known/openid-configuration") => {
            json_response(StatusCode::OK, &state.discovery)
        }
        (&Method::POST, "/oauth/token") => token_endpoint(&state, req).await,
        _ => error_response(StatusCode::NOT_FOUND, "not_found", "Not Found"),
    };
    Ok(response)
}

async fn token_endpoint(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let body = match Limited::new(req.into_body(), MAX_REQUEST_BODY)
        .collect()
        .await
    {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request",
                "Request body too large",
            );
        }
    };
    let params = if is_json {
        match serde_json::from_slice::<HashMap<String, Value>>(&body) {
            Ok(map) => map
                .into_iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
                .collect(),
            Err(_) => {
                return error_response(StatusCode::BAD_REQUEST, "invalid_request", "Invalid JSON");
            }
        }
    } else {
        parse_form(&body)
    };
    let field = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    let config = &state.config;

    if field("client_id") != config.client_id || field("client_secret") != config.client_secret {
        return error_response(StatusCode::UNAUTHORIZED, "access_denied", "Unauthorized");
    }
    let audience = match field("audience") {
        "" => config.audience.as_str(),
        a if a == config.audience => a,
        _ => {
            return error_response(
                StatusCode::FORBIDDEN,
                "access_denied",
                "Service not enabled within domain",
            );
        }
    };
    let now = now_secs();
    match field("grant_type") {
        "client_credentials" => {
            let scope = config.scopes.join(" ");
            let claims = json!({
                "iss": state.issuer,
                "sub": format!("{}@clients", config.client_id),
                "aud": audience,
                "iat": now,
                "exp": now + 86_400,
                "azp": config.client_id,
                "scope": scope,
                "gty": "client-credentials",
            });
            match sign(state, &claims, Some("at+jwt")) {
                Ok(token) => token_response(json!({
                    "access_token": token,
                    "token_type": "Bearer",
                    "expires_in": 86_400,
                    "scope": scope,
                })),
                Err(e) => *e,
            }
        }
        "password" | "http://auth0.com/oauth/grant-type/password-realm" => {
            let (username, password, sub) = &config.user;
            if field("username") != username || field("password") != password {
                return error_response(
                    StatusCode::FORBIDDEN,
                    "invalid_grant",
                    "Wrong email or password.",
                );
            }
            let scope = match field("scope") {
                "" => "openid profile email",
                s => s,
            };
            let access = json!({
                "iss": state.issuer, "sub": sub, "aud": [audience, format!("{}userinfo", state.issuer)],
                "iat": now, "exp": now + 86_400, "azp": config.client_id, "scope": scope,
            });
            let mut body = json!({ "token_type": "Bearer", "expires_in": 86_400, "scope": scope });
            match sign(state, &access, Some("at+jwt")) {
                Ok(token) => body["access_token"] = Value::String(token),
                Err(e) => return *e,
            }
            if scope.split(' ').any(|s| s == "openid") {
                let id = json!({
                    "iss": state.issuer, "sub": sub, "aud": config.client_id,
                    "iat": now, "exp": now + 36_000, "auth_time": now,
                    "email": username, "email_verified": true,
                });
                match sign(state, &id, None) {
                    Ok(token) => body["id_token"] = Value::String(token),
                    Err(e) => return *e,
                }
            }
            token_response(body)
        }
        "" => error_response(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: grant_type",
        ),
        _ => error_response(
            StatusCode::FORBIDDEN,
            "unsupported_grant_type",
            "Grant type not allowed for the client.",
        ),
    }
}

/// Signs `claims`; on failure, the 500 answer to send instead.
fn sign(
    state: &State,
    claims: &Value,
    typ: Option<&str>,
) -> Result<String, Box<Response<Full<Bytes>>>> {
    let mut extras = serde_json::Map::new();
    if let Some(typ) = typ {
        extras.insert("typ".to_owned(), Value::String(typ.to_owned()));
    }
    state.key.sign_token(&extras, claims).map_err(|_| {
        Box::new(error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "Could not sign the token",
        ))
    })
}

fn token_response(body: Value) -> Response<Full<Bytes>> {
    let bytes = Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
    let mut response = json_response(StatusCode::OK, &bytes);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    response
}

fn json_response(status: StatusCode, body: &Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.clone()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

fn error_response(status: StatusCode, error: &str, description: &str) -> Response<Full<Bytes>> {
    let body = json!({ "error": error, "error_description": description });
    json_response(
        status,
        &Bytes::from(serde_json::to_vec(&body).unwrap_or_default()),
    )
}

/// Decodes `application/x-www-form-urlencoded`.
fn parse_form(body: &[u8]) -> HashMap<String, String> {
    body.split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut it = pair.splitn(2, |&b| b == b'=');
            let key = percent_decode(it.next().unwrap_or_default());
            let value = percent_decode(it.next().unwrap_or_default());
            (key, value)
        })
        .collect()
}

fn percent_decode(input: &[u8]) -> String {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < input.len() => {
                let hex = std::str::from_utf8(&input[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// 32 random bytes, base64url: a fresh credential for each run.
fn random_secret() -> String {
    use base64::Engine as _;
    use ring::rand::SecureRandom as _;
    let mut bytes = [0u8; 32];
    // SystemRandom only fails when the OS has no entropy source; a fixed
    // value would then be a predictable credential, so fall back to the clock
    // mixed through SHA-256 rather than zeros.
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let digest = ring::digest::digest(&ring::digest::SHA256, &seed.to_le_bytes());
        bytes.copy_from_slice(digest.as_ref());
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding() {
        let form = parse_form(b"a=1&b=x+y&c=%41%2f&d=%zz&e=%4");
        assert_eq!(form["a"], "1");
        assert_eq!(form["b"], "x y");
        assert_eq!(form["c"], "A/");
        assert_eq!(form["d"], "%zz");
        assert_eq!(form["e"], "%4");
    }
}
