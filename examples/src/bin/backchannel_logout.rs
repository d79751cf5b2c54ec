//! A back-channel logout endpoint (OpenID Connect Back-Channel Logout 1.0):
//! the provider `POST`s `logout_token=<JWT>` (form-encoded) to the
//! application, which verifies it with `LogoutTokenValidator` and ends the
//! sessions it names — `sid`, or every session of `sub`.
//!
//! Runs offline: the example plays the provider too, signing logout tokens
//! with an ES256 key of its own (`auth0_jwt::sign`; the local tenant does
//! not send logout tokens), serving the endpoint on 127.0.0.1 and posting
//! to it, then exits 0 if every answer was the expected one.
//!
//! ```text
//! cargo run -p auth0-examples --bin backchannel_logout
//! ```
//!
//! Against a real tenant the validator's keys are the tenant's JWKS
//! (`RemoteJwks::new(client)` or `RemoteJwks::discover(client, issuer)`),
//! its algorithm RS256, and the URL is the application's "Back-Channel
//! Logout URI" in the Auth0 dashboard.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use auth0_jwt::alg::Algorithm;
use auth0_jwt::logout_token::{BACKCHANNEL_LOGOUT_EVENT, LogoutTokenError, LogoutTokenValidator};
use auth0_jwt::sign::SigningKey;
use auth0_jwt::verifier::StaticKeys;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};
use tokio::net::{TcpListener, TcpStream};

const ISSUER: &str = "https://logout-demo.local/";
const CLIENT_ID: &str = "demo-client-id";
/// A logout request is a small form; anything bigger is refused unread.
const MAX_BODY: usize = 16 * 1024;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The application's sessions: session id → user id.
#[derive(Default)]
struct Sessions(Mutex<HashMap<String, String>>);

impl Sessions {
    fn login(&self, sid: &str, sub: &str) {
        self.lock().insert(sid.to_owned(), sub.to_owned());
    }

    /// Ends `sid`, or every session of `sub` when there is no `sid`.
    fn logout(&self, sid: Option<&str>, sub: Option<&str>) -> usize {
        let mut sessions = self.lock();
        let before = sessions.len();
        match (sid, sub) {
            (Some(sid), _) => {
                sessions.remove(sid);
            }
            (None, Some(sub)) => sessions.retain(|_, user| user != sub),
            (None, None) => {}
        }
        before - sessions.len()
    }

    fn is_active(&self, sid: &str) -> bool {
        self.lock().contains_key(sid)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// §2.8: 200 on success, 400 with an OAuth-style error otherwise; never
/// cached. The message never contains the token.
fn answer(status: StatusCode, body: Option<Value>) -> Response<Full<Bytes>> {
    let text = body.map(|b| b.to_string()).unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// `POST /backchannel-logout`.
async fn endpoint(
    request: Request<Incoming>,
    validator: Arc<LogoutTokenValidator>,
    sessions: Arc<Sessions>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if request.method() != Method::POST || request.uri().path() != "/backchannel-logout" {
        return Ok(answer(StatusCode::NOT_FOUND, None));
    }
    let Ok(body) = Limited::new(request.into_body(), MAX_BODY).collect().await else {
        return Ok(answer(
            StatusCode::BAD_REQUEST,
            Some(json!({"error": "invalid_request"})),
        ));
    };
    let body = body.to_bytes();
    let token = form_urlencoded_value(&body, "logout_token");
    let Some(token) = token else {
        return Ok(answer(
            StatusCode::BAD_REQUEST,
            Some(json!({"error": "invalid_request", "error_description": "no logout_token"})),
        ));
    };
    match validator.validate(&token).await {
        Ok(logout) => {
            let ended = sessions.logout(logout.sid.as_deref(), logout.sub.as_deref());
            println!(
                "  logout: sub={} sid={} jti={} -> {ended} session(s) ended",
                auth0_examples::or_none(logout.sub.as_deref()),
                auth0_examples::or_none(logout.sid.as_deref()),
                logout.jti
            );
            Ok(answer(StatusCode::OK, None))
        }
        // Our replay store could not answer: let the provider retry.
        Err(LogoutTokenError::ReplayStore(_)) => Ok(answer(StatusCode::SERVICE_UNAVAILABLE, None)),
        Err(error) => Ok(answer(
            StatusCode::BAD_REQUEST,
            Some(json!({"error": "invalid_request", "error_description": error.to_string()})),
        )),
    }
}

/// The value of `name` in an `application/x-www-form-urlencoded` body,
/// decoded by `form_urlencoded` (the WHATWG form decoder the tree already
/// has); `None` when it is absent or given more than once.
fn form_urlencoded_value(body: &[u8], name: &str) -> Option<String> {
    let mut values = form_urlencoded::parse(body).filter(|(key, _)| key == name);
    let (_, value) = values.next()?;
    values.next().is_none().then(|| value.into_owned())
}

/// The provider's side: a logout token per §2.4.
fn logout_token(
    signer: &SigningKey,
    jti: &str,
    sid: Option<&str>,
    extra: Value,
) -> Result<String, BoxError> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let mut claims = json!({
        "iss": ISSUER, "aud": CLIENT_ID, "iat": now, "jti": jti,
        "sub": "auth0|alice",
        "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
    });
    if let Some(sid) = sid {
        claims["sid"] = json!(sid);
    }
    if let (Some(c), Some(e)) = (claims.as_object_mut(), extra.as_object()) {
        c.extend(e.clone());
    }
    Ok(signer.sign_token(&Map::new(), &claims)?)
}

/// Posts `logout_token=<token>` and returns the status.
async fn post(addr: SocketAddr, token: &str) -> Result<StatusCode, BoxError> {
    let stream = TcpStream::connect(addr).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = Request::post("/backchannel-logout")
        .header(http::header::HOST, addr.to_string())
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(format!("logout_token={token}"))))?;
    Ok(sender.send_request(request).await?.status())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("backchannel_logout: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<bool, BoxError> {
    // The provider's signing key; `logout+jwt` explicit typing (§2.4).
    let signer = SigningKey::generate_es256()?
        .with_kid("demo-1")
        .with_typ(Some("logout+jwt".into()));
    let validator = Arc::new(
        LogoutTokenValidator::builder()
            .key_source(StaticKeys::from_key(signer.verifying_key()?))
            .issuer(ISSUER)
            .audience(CLIENT_ID)
            .algorithms([Algorithm::ES256])
            .build()?,
    );
    let sessions = Arc::new(Sessions::default());
    sessions.login("sid-1", "auth0|alice");
    sessions.login("sid-2", "auth0|alice");
    sessions.login("sid-3", "auth0|bob");

    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let (v, s) = (Arc::clone(&validator), Arc::clone(&sessions));
    let server = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (v, s) = (Arc::clone(&v), Arc::clone(&s));
            let service = hyper::service::service_fn(move |request| {
                endpoint(request, Arc::clone(&v), Arc::clone(&s))
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service),
            );
        }
    });
    println!("back-channel logout endpoint on http://{addr}/backchannel-logout");

    let one_session = logout_token(&signer, "jti-1", Some("sid-1"), json!({}))?;
    let impostor = SigningKey::generate_es256()?.with_kid("demo-1");
    let cases: Vec<(&str, String, StatusCode)> = vec![
        (
            "logout of session sid-1",
            one_session.clone(),
            StatusCode::OK,
        ),
        (
            "the same token again (replay)",
            one_session,
            StatusCode::BAD_REQUEST,
        ),
        (
            "an ID token posted instead (nonce, no event)",
            logout_token(
                &signer,
                "jti-2",
                Some("sid-2"),
                json!({"nonce": "n", "events": null}),
            )?,
            StatusCode::BAD_REQUEST,
        ),
        (
            "signed by someone else",
            logout_token(&impostor, "jti-3", Some("sid-2"), json!({}))?,
            StatusCode::BAD_REQUEST,
        ),
        (
            "for another application",
            logout_token(&signer, "jti-4", Some("sid-2"), json!({"aud": "other-app"}))?,
            StatusCode::BAD_REQUEST,
        ),
        (
            "every session of auth0|alice (sub, no sid)",
            logout_token(&signer, "jti-5", None, json!({}))?,
            StatusCode::OK,
        ),
    ];
    let mut passed = true;
    for (name, token, expected) in cases {
        let status = post(addr, &token).await?;
        let ok = status == expected;
        passed &= ok;
        println!("{} {name}: {status}", if ok { "ok  " } else { "FAIL" });
    }
    let sessions_ok =
        !sessions.is_active("sid-1") && !sessions.is_active("sid-2") && sessions.is_active("sid-3");
    println!(
        "{} sessions left: bob's only",
        if sessions_ok { "ok  " } else { "FAIL" }
    );
    server.abort();
    Ok(passed && sessions_ok)
}
