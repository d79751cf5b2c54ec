//! A small Auth0-compatible tenant that runs in-process on 127.0.0.1, so the
//! examples run on a machine with no tenant and no network.
//!
//! It plays the endpoints the examples need, with Auth0's request and
//! response shapes:
//! - `GET /.well-known/jwks.json` and `GET /.well-known/openid-configuration`;
//! - `GET /authorize`: the configured user is taken as logged in at once (no
//!   login page) and the browser is redirected to `redirect_uri` with a
//!   `code` and the `state`; `organization` (id or name), `invitation`,
//!   `nonce`, `audience`, `scope` and an S256 `code_challenge` are honoured;
//! - `POST /oauth/token` (form or JSON) for `client_credentials`, `password`,
//!   `http://auth0.com/oauth/grant-type/password-realm` and
//!   `authorization_code` (with the client secret or a PKCE `code_verifier`):
//!   access tokens are JWTs for the requested audience; the user grants add
//!   an ID token when the scope contains `openid`, with `nonce`, `org_id` and
//!   `org_name` when the authorization request named them;
//! - multi-factor authentication when [`LocalTenantConfig::mfa_otp`] is set:
//!   password logins answer `403 mfa_required` with an `mfa_token`;
//!   `POST /mfa/challenge`, `GET /mfa/authenticators` (one OTP app) and the
//!   `http://auth0.com/oauth/grant-type/mfa-otp` grant finish the login;
//! - `GET /userinfo` for a user's access token;
//! - a slice of the Management API for client-credentials tokens whose
//!   audience is [`LocalTenant::management_audience`]: `GET /api/v2/users`,
//!   `GET`/`PATCH /api/v2/users/{id}`, `GET /api/v2/connections` and
//!   `GET /api/v2/connections/{id}`.
//!
//! Tokens are signed with an ES256 key generated at start-up (nothing secret
//! lives in the repository). A real tenant signs with RS256 by default; the
//! verifiers are configured with the algorithm the tenant announces.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use auth0_jwt::access_token::AccessTokenValidator;
use auth0_jwt::alg::Algorithm;
use auth0_jwt::sign::SigningKey;
use auth0_jwt::verifier::StaticKeys;
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
    /// The organizations the user is a member of (`/authorize?organization=`
    /// accepts an id or a name).
    pub organizations: Vec<LocalOrganization>,
    /// When set, the user has an OTP authenticator enrolled: password logins
    /// answer `mfa_required` with an `mfa_token`, and the login is finished
    /// by the `mfa-otp` grant with this code (after an optional
    /// `/mfa/challenge`). `None` by default.
    pub mfa_otp: Option<String>,
}

/// An organization of the local tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalOrganization {
    /// Its id, put in tokens as `org_id`, e.g. `org_abc`.
    pub id: String,
    /// Its name, put in tokens as `org_name` (lowercase, as Auth0 stores it).
    pub name: String,
}

impl LocalOrganization {
    /// An organization with this id and name.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
        }
    }
}

impl std::fmt::Debug for LocalTenantConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTenantConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("audience", &self.audience)
            .field("scopes", &self.scopes)
            .field("user", &self.user.0)
            .field("organizations", &self.organizations)
            .field("mfa_otp", &self.mfa_otp.as_ref().map(|_| "<redacted>"))
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
            organizations: vec![LocalOrganization::new("org_abc", "acme")],
            mfa_otp: None,
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
    /// Codes issued by `/authorize`, not yet exchanged.
    codes: Mutex<HashMap<String, PendingCode>>,
    /// Password logins waiting for their second factor, by `mfa_token`.
    mfa_pending: Mutex<HashMap<String, UserLogin>>,
    /// Checks Management API tokens.
    management: AccessTokenValidator,
    /// Checks `/userinfo` tokens.
    userinfo: AccessTokenValidator,
    /// The Management API's view of the one user.
    user_record: Mutex<Value>,
    connections: Vec<Value>,
}

/// What an authorization request asked for, kept until its code is used.
struct PendingCode {
    redirect_uri: String,
    code_challenge: Option<String>,
    login: UserLogin,
}

/// The parameters of a user login that shape its tokens.
#[derive(Default, Clone)]
struct UserLogin {
    audience: String,
    scope: String,
    nonce: Option<String>,
    organization: Option<LocalOrganization>,
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
            "authorization_endpoint": format!("{issuer}authorize"),
            "userinfo_endpoint": format!("{issuer}userinfo"),
            "grant_types_supported": ["client_credentials", "password",
                "http://auth0.com/oauth/grant-type/password-realm", "authorization_code"],
            "code_challenge_methods_supported": ["S256"],
        }))?);
        let validator = |audience: String| {
            AccessTokenValidator::builder()
                .key_source(StaticKeys::from_key(key.verifying_key()?))
                .issuer(issuer.clone())
                .audience(audience)
                .algorithms([algorithm])
                .build()
                .map_err(Box::<dyn std::error::Error>::from)
        };
        let management = validator(format!("{issuer}api/v2/"))?;
        let userinfo = validator(format!("{issuer}userinfo"))?;
        let (username, _, sub) = &config.user;
        let user_record = json!({
            "user_id": sub, "email": username, "email_verified": true, "name": "Jane Example",
            "identities": [{ "provider": "auth0", "user_id": sub.trim_start_matches("auth0|"),
                "connection": "Username-Password-Authentication", "isSocial": false }],
            "user_metadata": {},
        });
        let connections = vec![
            json!({ "id": "con_ErZf9LpXQDE0cNBr", "name": "Amazon-Connection", "strategy": "amazon",
                "enabled_clients": [config.client_id], "options": { "profile": true, "scope": ["profile"] } }),
            json!({ "id": "con_i8qF5DPiZ3FdadwJ", "name": "Username-Password-Authentication",
                "strategy": "auth0", "enabled_clients": [config.client_id],
                "options": { "brute_force_protection": true } }),
        ];
        let state = Arc::new(State {
            config: config.clone(),
            issuer,
            key,
            jwks,
            discovery,
            codes: Mutex::new(HashMap::new()),
            mfa_pending: Mutex::new(HashMap::new()),
            management,
            userinfo,
            user_record: Mutex::new(user_record),
            connections,
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

    /// An SDK client for this tenant (plain http allowed: it is on loopback).
    ///
    /// # Errors
    ///
    /// When the client cannot be built.
    pub fn client(&self) -> Result<auth0_core::Auth0Client, auth0_core::Error> {
        let config = auth0_core::ClientConfig::builder()
            .domain(self.domain())
            .allow_insecure_loopback(true)
            .build()?;
        auth0_core::Auth0Client::new(config)
    }

    /// The issuer (`iss`) of every token: `http://127.0.0.1:PORT/`.
    pub fn issuer(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The Management API's audience: `http://127.0.0.1:PORT/api/v2/`.
    pub fn management_audience(&self) -> String {
        format!("http://{}/api/v2/", self.addr)
    }

    /// The algorithm tokens are signed with.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The configuration it was started with (credentials included).
    pub fn config(&self) -> &LocalTenantConfig {
        &self.config
    }

    /// Plays the browser of a login: opens `authorize_url` (built with
    /// `auth0_authentication::AuthorizeUrl`) through `client` and returns the
    /// query parameters of the redirect back to the application — `code`
    /// and `state`, or `error` and `error_description`. With a real tenant
    /// the user's browser does this, and the application reads the same
    /// parameters on its callback route.
    ///
    /// # Errors
    ///
    /// When the request fails or the answer is not a redirect.
    pub async fn follow_authorize(
        &self,
        client: &auth0_core::Auth0Client,
        authorize_url: &str,
    ) -> Result<HashMap<String, String>, Box<dyn std::error::Error>> {
        let request = Request::get(authorize_url).body(Bytes::new())?;
        let response = client.send(request).await?;
        let location = response
            .headers()
            .get(header::LOCATION)
            .ok_or_else(|| {
                format!(
                    "/authorize answered {} without a redirect",
                    response.status()
                )
            })?
            .to_str()?;
        Ok(redirect_params(location))
    }
}

/// The decoded query parameters of a redirect URL such as
/// `http://localhost:3000/callback?code=…&state=…`.
pub fn redirect_params(url: &str) -> HashMap<String, String> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split('#').next().unwrap_or("");
    parse_form(query.as_bytes())
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
        (&Method::GET, "/authorize") => authorize(&state, req.uri().query().unwrap_or("")),
        (&Method::POST, "/oauth/token") => token_endpoint(&state, req).await,
        (&Method::POST, "/mfa/challenge") => mfa_challenge(&state, req).await,
        (&Method::GET, "/mfa/authenticators") => mfa_authenticators(&state, &req),
        (&Method::GET, "/userinfo") => userinfo(&state, &req).await,
        (_, path) if path.starts_with("/api/v2/") => management_api(&state, req).await,
        _ => error_response(StatusCode::NOT_FOUND, "not_found", "Not Found"),
    };
    Ok(response)
}

/// `GET /authorize`: logs the configured user in at once and redirects back
/// with a code (or, as Auth0 does, with `error` and `error_description`).
fn authorize(state: &State, query: &str) -> Response<Full<Bytes>> {
    let params = parse_form(query.as_bytes());
    let field = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    if field("client_id") != state.config.client_id {
        return error_response(StatusCode::BAD_REQUEST, "invalid_request", "Unknown client");
    }
    let redirect_uri = field("redirect_uri");
    if redirect_uri.is_empty() {
        return error_response(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: redirect_uri",
        );
    }
    let mut back = vec![];
    let outcome = authorize_code(state, &params);
    match outcome {
        Ok(code) => back.push(("code", code)),
        Err((error, description)) => {
            back.push(("error", error.to_owned()));
            back.push(("error_description", description.to_owned()));
        }
    }
    if let Some(st) = params.get("state") {
        back.push(("state", st.clone()));
    }
    let mut location = redirect_uri.to_owned();
    for (i, (name, value)) in back.iter().enumerate() {
        location.push(if i == 0 && !redirect_uri.contains('?') {
            '?'
        } else {
            '&'
        });
        location.push_str(name);
        location.push('=');
        auth0_authentication::authorize::percent_encode_into(&mut location, value);
    }
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::FOUND;
    if let Ok(value) = http::HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// The checks of `/authorize`; a fresh code, or `(error, description)`.
fn authorize_code(
    state: &State,
    params: &HashMap<String, String>,
) -> Result<String, (&'static str, &'static str)> {
    let field = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    if field("response_type") != "code" {
        return Err((
            "unsupported_response_type",
            "Only response_type=code is supported",
        ));
    }
    let code_challenge = match (field("code_challenge"), field("code_challenge_method")) {
        ("", _) => None,
        (challenge, "S256") => Some(challenge.to_owned()),
        _ => {
            return Err((
                "invalid_request",
                "Only the S256 code_challenge_method is supported",
            ));
        }
    };
    let organization = match field("organization") {
        "" => None,
        wanted => Some(
            state
                .config
                .organizations
                .iter()
                .find(|o| o.id == wanted || o.name.eq_ignore_ascii_case(wanted))
                .cloned()
                .ok_or(("invalid_request", "parameter organization is invalid"))?,
        ),
    };
    if !field("invitation").is_empty() && organization.is_none() {
        return Err((
            "invalid_request",
            "the invitation parameter requires an organization",
        ));
    }
    let audience = match field("audience") {
        "" => state.config.audience.clone(),
        a if a == state.config.audience => a.to_owned(),
        _ => return Err(("access_denied", "Service not found")),
    };
    let code = random_secret();
    let pending = PendingCode {
        redirect_uri: field("redirect_uri").to_owned(),
        code_challenge,
        login: UserLogin {
            audience,
            scope: match field("scope") {
                "" => "openid".to_owned(),
                s => s.to_owned(),
            },
            nonce: params.get("nonce").cloned(),
            organization,
        },
    };
    lock(&state.codes).insert(code.clone(), pending);
    Ok(code)
}

/// `GET /userinfo` with a user's access token.
async fn userinfo(state: &State, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let Some(token) = bearer(req) else {
        return error_response(StatusCode::UNAUTHORIZED, "invalid_token", "Missing token");
    };
    match state.userinfo.validate(token).await {
        Ok(claims) => {
            let record = lock(&state.user_record).clone();
            let body = json!({
                "sub": claims.sub(), "email": record["email"],
                "email_verified": record["email_verified"], "name": record["name"],
            });
            json_response(
                StatusCode::OK,
                &Bytes::from(serde_json::to_vec(&body).unwrap_or_default()),
            )
        }
        Err(_) => error_response(StatusCode::UNAUTHORIZED, "invalid_token", "Unauthorized"),
    }
}

/// A slice of the Management API v2 (Auth0's error body shape).
async fn management_api(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let api_error = |status: StatusCode, code: &str, message: &str| {
        let body = json!({ "statusCode": status.as_u16(),
            "error": status.canonical_reason().unwrap_or(""), "message": message, "errorCode": code });
        json_response(
            status,
            &Bytes::from(serde_json::to_vec(&body).unwrap_or_default()),
        )
    };
    let authorized = match bearer(&req) {
        Some(token) => state.management.validate(token).await.is_ok(),
        None => false,
    };
    if !authorized {
        return api_error(StatusCode::UNAUTHORIZED, "invalid_token", "Invalid token");
    }
    let method = req.method().clone();
    let path = req.uri().path().trim_start_matches("/api/v2/").to_owned();
    let body = match Limited::new(req.into_body(), MAX_REQUEST_BODY)
        .collect()
        .await
    {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            return api_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "Payload too large",
            );
        }
    };
    let ok = |value: &Value| {
        json_response(
            StatusCode::OK,
            &Bytes::from(serde_json::to_vec(value).unwrap_or_default()),
        )
    };
    let mut parts = path.splitn(2, '/');
    match (&method, parts.next().unwrap_or(""), parts.next()) {
        (&Method::GET, "users", None) => {
            let users = vec![lock(&state.user_record).clone()];
            ok(&json!({ "start": 0, "limit": 50, "length": 1, "total": 1, "users": users }))
        }
        (&Method::GET | &Method::PATCH, "users", Some(id)) => {
            let id = percent_decode(id.as_bytes());
            let mut record = lock(&state.user_record);
            if record["user_id"] != id.as_str() {
                return api_error(
                    StatusCode::NOT_FOUND,
                    "inexistent_user",
                    "The user does not exist.",
                );
            }
            if method == Method::PATCH {
                let Ok(Value::Object(changes)) = serde_json::from_slice::<Value>(&body) else {
                    return api_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_body",
                        "Payload validation error: 'Expected type object'.",
                    );
                };
                for (name, value) in changes {
                    match (record.get_mut(&name), value) {
                        (Some(Value::Object(current)), Value::Object(merge))
                            if name.ends_with("_metadata") =>
                        {
                            current.extend(merge);
                        }
                        (_, value) => record[name] = value,
                    }
                }
            }
            ok(&record)
        }
        (&Method::GET, "connections", None) => ok(&json!({ "connections": state.connections })),
        (&Method::GET, "connections", Some(id)) => {
            match state.connections.iter().find(|c| c["id"] == id) {
                Some(found) => ok(found),
                None => api_error(
                    StatusCode::NOT_FOUND,
                    "inexistent_connection",
                    "The connection does not exist",
                ),
            }
        }
        _ => api_error(StatusCode::NOT_FOUND, "not_found", "Not Found"),
    }
}

/// The token of an `Authorization: Bearer …` header.
fn bearer(req: &Request<Incoming>) -> Option<&str> {
    req.headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .filter(|t| !t.is_empty())
}

/// Locks a mutex, going on with the data if a panicking holder poisoned it
/// (every update here leaves the data consistent).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The string fields of a JSON or form request body; the error answer when
/// it cannot be read.
async fn request_params(
    req: Request<Incoming>,
) -> Result<HashMap<String, String>, Response<Full<Bytes>>> {
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
            return Err(error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request",
                "Request body too large",
            ));
        }
    };
    if is_json {
        match serde_json::from_slice::<HashMap<String, Value>>(&body) {
            Ok(map) => Ok(map
                .into_iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
                .collect()),
            Err(_) => Err(error_response(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Invalid JSON",
            )),
        }
    } else {
        Ok(parse_form(&body))
    }
}

/// `POST /mfa/challenge`: the one enrolled authenticator is an OTP app, so
/// the answer is always `{"challenge_type":"otp"}`.
async fn mfa_challenge(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let params = match request_params(req).await {
        Ok(params) => params,
        Err(response) => return response,
    };
    let field = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    if field("client_id") != state.config.client_id
        || (!field("client_secret").is_empty()
            && field("client_secret") != state.config.client_secret)
    {
        return error_response(StatusCode::UNAUTHORIZED, "access_denied", "Unauthorized");
    }
    if !lock(&state.mfa_pending).contains_key(field("mfa_token")) {
        return error_response(
            StatusCode::FORBIDDEN,
            "invalid_grant",
            "Malformed mfa_token",
        );
    }
    let types = field("challenge_type");
    if !types.is_empty() && !types.split(' ').any(|t| t == "otp") {
        return error_response(
            StatusCode::BAD_REQUEST,
            "unsupported_challenge_type",
            "User does not have an enrolled authenticator of the requested type",
        );
    }
    json_response(
        StatusCode::OK,
        &Bytes::from_static(br#"{"challenge_type":"otp"}"#),
    )
}

/// `GET /mfa/authenticators` with an `mfa_token` as bearer.
fn mfa_authenticators(state: &State, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let known = bearer(req).is_some_and(|token| lock(&state.mfa_pending).contains_key(token));
    if !known {
        return error_response(StatusCode::UNAUTHORIZED, "invalid_token", "Unauthorized");
    }
    json_response(
        StatusCode::OK,
        &Bytes::from_static(
            br#"[{"id":"totp|dev_local","authenticator_type":"otp","active":true}]"#,
        ),
    )
}

async fn token_endpoint(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let params = match request_params(req).await {
        Ok(params) => params,
        Err(response) => return response,
    };
    let field = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    let config = &state.config;
    let grant_type = field("grant_type");
    let unauthorized = || error_response(StatusCode::UNAUTHORIZED, "access_denied", "Unauthorized");

    if field("client_id") != config.client_id {
        return unauthorized();
    }
    // A PKCE code exchange proves itself with the verifier instead of a secret.
    let pkce_exchange = grant_type == "authorization_code" && !field("code_verifier").is_empty();
    if !pkce_exchange && field("client_secret") != config.client_secret {
        return unauthorized();
    }
    let management_audience = format!("{}api/v2/", state.issuer);
    let audience = match field("audience") {
        "" => config.audience.clone(),
        a if a == config.audience => a.to_owned(),
        a if a == management_audience && grant_type == "client_credentials" => a.to_owned(),
        _ => {
            return error_response(
                StatusCode::FORBIDDEN,
                "access_denied",
                "Service not enabled within domain",
            );
        }
    };
    match grant_type {
        "client_credentials" => {
            let now = now_secs();
            let scope = if audience == management_audience {
                "read:users update:users read:connections".to_owned()
            } else {
                config.scopes.join(" ")
            };
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
            let (username, password, _) = &config.user;
            if field("username") != username || field("password") != password {
                return error_response(
                    StatusCode::FORBIDDEN,
                    "invalid_grant",
                    "Wrong email or password.",
                );
            }
            let login = UserLogin {
                audience,
                scope: match field("scope") {
                    "" => "openid profile email".to_owned(),
                    s => s.to_owned(),
                },
                ..UserLogin::default()
            };
            if config.mfa_otp.is_some() {
                // As Auth0 does for a user with an enrolled factor.
                let mfa_token = random_secret();
                lock(&state.mfa_pending).insert(mfa_token.clone(), login);
                let body = json!({
                    "error": "mfa_required",
                    "error_description": "Multifactor authentication required",
                    "mfa_token": mfa_token,
                });
                return json_response(
                    StatusCode::FORBIDDEN,
                    &Bytes::from(serde_json::to_vec(&body).unwrap_or_default()),
                );
            }
            user_tokens(state, &login)
        }
        "http://auth0.com/oauth/grant-type/mfa-otp" => {
            let mut pending = lock(&state.mfa_pending);
            let Some(login) = pending.get(field("mfa_token")) else {
                return error_response(
                    StatusCode::FORBIDDEN,
                    "invalid_grant",
                    "Malformed mfa_token",
                );
            };
            if config.mfa_otp.as_deref() != Some(field("otp")) {
                return error_response(StatusCode::FORBIDDEN, "invalid_grant", "Invalid otp_code.");
            }
            let login = login.clone();
            // An mfa_token finishes one login.
            pending.remove(field("mfa_token"));
            drop(pending);
            user_tokens(state, &login)
        }
        "authorization_code" => {
            let invalid =
                |description| error_response(StatusCode::FORBIDDEN, "invalid_grant", description);
            // A code is good for one exchange, whatever its outcome.
            let Some(pending) = lock(&state.codes).remove(field("code")) else {
                return invalid("Invalid authorization code");
            };
            let redirect_uri = field("redirect_uri");
            if !redirect_uri.is_empty() && redirect_uri != pending.redirect_uri {
                return invalid("Unable to verify the redirect_uri");
            }
            match (&pending.code_challenge, field("code_verifier")) {
                (None, "") => {}
                (Some(challenge), verifier) if !verifier.is_empty() => {
                    use base64::Engine as _;
                    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
                    let computed =
                        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref());
                    if &computed != challenge {
                        return invalid("Failed to verify code verifier");
                    }
                }
                _ => return invalid("Failed to verify code verifier"),
            }
            user_tokens(state, &pending.login)
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

/// The tokens of a user login: an access token for the audience (and
/// `/userinfo`), plus an ID token when the scope has `openid`.
fn user_tokens(state: &State, login: &UserLogin) -> Response<Full<Bytes>> {
    let config = &state.config;
    let (username, _, sub) = &config.user;
    let now = now_secs();
    let scope = login.scope.as_str();
    let mut access = json!({
        "iss": state.issuer, "sub": sub,
        "aud": [login.audience, format!("{}userinfo", state.issuer)],
        "iat": now, "exp": now + 86_400, "azp": config.client_id, "scope": scope,
    });
    let mut id = json!({
        "iss": state.issuer, "sub": sub, "aud": config.client_id,
        "iat": now, "exp": now + 36_000, "auth_time": now,
        "email": username, "email_verified": true,
    });
    if let Some(org) = &login.organization {
        for claims in [&mut access, &mut id] {
            claims["org_id"] = Value::String(org.id.clone());
            claims["org_name"] = Value::String(org.name.clone());
        }
    }
    if let Some(nonce) = &login.nonce {
        id["nonce"] = Value::String(nonce.clone());
    }
    let mut body = json!({ "token_type": "Bearer", "expires_in": 86_400, "scope": scope });
    match sign(state, &access, Some("at+jwt")) {
        Ok(token) => body["access_token"] = Value::String(token),
        Err(e) => return *e,
    }
    if scope.split(' ').any(|s| s == "openid") {
        match sign(state, &id, None) {
            Ok(token) => body["id_token"] = Value::String(token),
            Err(e) => return *e,
        }
    }
    token_response(body)
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

    #[test]
    fn redirect_parameters() {
        let params = redirect_params("http://localhost/cb?code=abc&state=x%20y#frag");
        assert_eq!(params["code"], "abc");
        assert_eq!(params["state"], "x y");
        assert!(redirect_params("http://localhost/cb").is_empty());
    }

    use auth0_authentication::{AuthenticationClient, AuthorizeUrl, Pkce};
    use auth0_core::Auth0Client;

    async fn tenant_and_client() -> (LocalTenant, Auth0Client, AuthenticationClient) {
        let tenant = LocalTenant::start(LocalTenantConfig::default())
            .await
            .unwrap();
        let client = tenant.client().unwrap();
        let auth = AuthenticationClient::builder(client.clone(), tenant.config().client_id.clone())
            .client_secret(tenant.config().client_secret.clone())
            .build()
            .unwrap();
        (tenant, client, auth)
    }

    const CALLBACK: &str = "http://localhost/cb";

    #[tokio::test]
    async fn authorization_code_with_pkce_nonce_and_organization() {
        let (tenant, client, auth) = tenant_and_client().await;
        let pkce = Pkce::generate().unwrap();
        let url = AuthorizeUrl::new(client.domain(), &tenant.config().client_id)
            .redirect_uri(CALLBACK)
            .state("st")
            .nonce("n-1")
            .organization("ACME")
            .pkce(&pkce)
            .build()
            .unwrap();
        let back = tenant.follow_authorize(&client, &url).await.unwrap();
        assert_eq!(back["state"], "st");
        let code = back["code"].clone();

        // A wrong verifier fails, and uses up the code.
        let wrong = Pkce::generate().unwrap();
        let err = auth
            .authorization_code_pkce(wrong.verifier(), &code, Some(CALLBACK))
            .await
            .unwrap_err();
        assert_eq!(err.error_code(), Some("invalid_grant"));
        let err = auth
            .authorization_code_pkce(pkce.verifier(), &code, Some(CALLBACK))
            .await
            .unwrap_err();
        assert_eq!(err.error_code(), Some("invalid_grant"));

        // A fresh code with the right verifier gives tokens with nonce and org.
        let back = tenant.follow_authorize(&client, &url).await.unwrap();
        let tokens = auth
            .authorization_code_pkce(pkce.verifier(), &back["code"], Some(CALLBACK))
            .await
            .unwrap();
        let keys = StaticKeys::from_jwks_json(
            &client
                .get_json::<Value>("/.well-known/jwks.json")
                .await
                .unwrap()
                .data
                .to_string(),
        )
        .unwrap();
        let verifier = auth0_jwt::id_token::TokenVerifier::new(
            auth0_jwt::verifier::AsymmetricSignatureVerifier::new(keys)
                .with_algorithm(tenant.algorithm())
                .unwrap(),
            tenant.issuer(),
            tenant.config().client_id.clone(),
        )
        .unwrap();
        let options = auth0_jwt::id_token::VerifyOptions::new()
            .nonce("n-1")
            .organization("org_abc");
        let claims = verifier
            .verify(tokens.id_token.as_deref().unwrap(), &options)
            .await
            .unwrap();
        assert_eq!(claims.org_name(), Some("acme"));
        let me = auth.userinfo(&tokens.access_token).await.unwrap();
        assert_eq!(me.sub, tenant.config().user.2);
    }

    #[tokio::test]
    async fn authorize_errors_come_back_on_the_redirect() {
        let (tenant, client, _) = tenant_and_client().await;
        let unknown = AuthorizeUrl::new(client.domain(), &tenant.config().client_id)
            .redirect_uri(CALLBACK)
            .organization("org_unknown")
            .build()
            .unwrap();
        let back = tenant.follow_authorize(&client, &unknown).await.unwrap();
        assert_eq!(back["error"], "invalid_request");
        assert!(!back.contains_key("code"));
        // An invitation without organization (sent by hand: the builder refuses it).
        let url = format!(
            "{}/authorize?response_type=code&client_id={}&redirect_uri=x&invitation=i",
            tenant.domain(),
            tenant.config().client_id
        );
        let back = tenant.follow_authorize(&client, &url).await.unwrap();
        assert_eq!(back["error"], "invalid_request");
    }

    #[tokio::test]
    async fn management_api_needs_a_management_token() {
        let (tenant, client, auth) = tenant_and_client().await;
        let err = client
            .get_json::<Value>("/api/v2/connections")
            .await
            .unwrap_err();
        assert_eq!(err.status_code(), Some(StatusCode::UNAUTHORIZED));
        // A token for the other API is refused too.
        let api = auth
            .client_credentials(&tenant.config().audience, None)
            .await
            .unwrap();
        let request = Request::get("/api/v2/connections")
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", api.access_token),
            )
            .body(Bytes::new())
            .unwrap();
        let response = client.send(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let token = auth
            .client_credentials(&tenant.management_audience(), None)
            .await
            .unwrap();
        let request = Request::get("/api/v2/connections/con_i8qF5DPiZ3FdadwJ")
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", token.access_token),
            )
            .body(Bytes::new())
            .unwrap();
        let response = client.send(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn mfa_login_needs_the_code_and_its_token_is_single_use() {
        use auth0_authentication::{MfaChallenge, PasswordLogin};
        let tenant = LocalTenant::start(LocalTenantConfig {
            mfa_otp: Some("123456".to_owned()),
            ..LocalTenantConfig::default()
        })
        .await
        .unwrap();
        let auth = AuthenticationClient::builder(
            tenant.client().unwrap(),
            tenant.config().client_id.clone(),
        )
        .client_secret(tenant.config().client_secret.clone())
        .build()
        .unwrap();
        let (user, password, _) = tenant.config().user.clone();
        let login = PasswordLogin::new(&user, &password).scope("openid");
        let Err(auth0_core::Error::MfaRequired(mfa)) = auth.login(&login).await else {
            panic!("no mfa_required")
        };
        assert!(!format!("{mfa:?}").contains(mfa.mfa_token()));
        // Unknown tokens are refused everywhere.
        let err = auth.mfa_otp("not-a-token", "123456").await.unwrap_err();
        assert_eq!(err.status_code(), Some(StatusCode::FORBIDDEN));
        assert!(auth.mfa_authenticators("not-a-token").await.is_err());
        assert!(
            auth.mfa_challenge("not-a-token", &MfaChallenge::new())
                .await
                .is_err()
        );
        // The right token: one OTP authenticator, an otp challenge.
        let authenticators = auth.mfa_authenticators(mfa.mfa_token()).await.unwrap();
        assert_eq!(authenticators.len(), 1);
        auth.mfa_challenge(mfa.mfa_token(), &MfaChallenge::new())
            .await
            .unwrap();
        // A wrong code keeps the login pending; the right one finishes it.
        let err = auth.mfa_otp(mfa.mfa_token(), "654321").await.unwrap_err();
        assert_eq!(err.status_code(), Some(StatusCode::FORBIDDEN));
        let tokens = auth.mfa_otp(mfa.mfa_token(), "123456").await.unwrap();
        assert!(tokens.id_token.is_some());
        let again = auth.mfa_otp(mfa.mfa_token(), "123456").await.unwrap_err();
        assert_eq!(again.status_code(), Some(StatusCode::FORBIDDEN));
        // Without mfa_otp configured the same login gets tokens at once.
        let (plain, _, plain_auth) = tenant_and_client().await;
        let (user, password, _) = plain.config().user.clone();
        let tokens = plain_auth
            .login(&PasswordLogin::new(&user, &password))
            .await
            .unwrap();
        assert!(tokens.access_token.len() > 20);
    }
}
