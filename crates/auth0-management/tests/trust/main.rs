//! Trust by default (issue 10) for the Management API client:
//!
//! * the token fetch is auth0-authentication's client-credentials grant: a
//!   `private_key_jwt` fetch resent after a 503 carries a new, valid
//!   assertion (RFC 7523 §3);
//! * every secret the client sends (client secret, assertion, its access
//!   token, passwords and connection secrets in bodies), echoed back by a
//!   127.0.0.1 server, appears in no `Display`, `Debug`, `source()` or
//!   TRACE-level log;
//! * refused credentials are remembered with a backoff: callers get the typed
//!   error without a token request until it elapses (tokio's paused clock).

#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub, dead_code)]

#[path = "../../../auth0-authentication/tests/support/mod.rs"]
mod support;

#[path = "../../../auth0-authentication/tests/trust/capture.rs"]
mod capture;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth0_core::client::ClientBuilder;
use auth0_core::retry::RetryPolicy;
use auth0_core::types::{BoxError, HttpRequest, HttpResponse};
use auth0_core::{Auth0Client, ClientConfig};
use auth0_jwt::alg::Algorithm;
use auth0_jwt::jws::{Jws, ParseOptions};
use auth0_jwt::sign::SigningKey;
use auth0_management::models::CreateUserRequestContent;
use auth0_management::request::{ApiPath, ApiRequest};
use auth0_management::{ClientCredentials, Error, ManagementClient};
use bytes::Bytes;

use support::{Clients as _, Fault, LocalTenant, Recorded, Sent as _, answer_with, json, text};

const ACCESS_TOKEN: &str = "mgmt-at-S3CRET.eyJ.sig";

fn token_reply() -> Fault {
    json(
        200,
        &serde_json::json!({"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 86400})
            .to_string(),
    )
}

fn http(server: &LocalTenant) -> Auth0Client {
    let config = ClientConfig::builder()
        .domain(server.base_url())
        .allow_insecure_loopback(true)
        .retry_policy(
            RetryPolicy::builder()
                .base_delay(Duration::from_millis(1))
                .max_wait(Duration::from_secs(1))
                .without_budget()
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    Auth0Client::new(config).unwrap()
}

async fn get_user<S: auth0_management::ManagementService>(
    auth0: &ManagementClient<S>,
) -> Result<serde_json::Value, Error> {
    auth0
        .execute::<serde_json::Value>(ApiRequest::get(ApiPath::new("users").segment("auth0|1")))
        .await
        .map(|r| r.data)
}

#[tokio::test]
async fn a_resent_private_key_jwt_token_fetch_carries_a_new_assertion() {
    let token_calls = Arc::new(AtomicUsize::new(0));
    let calls = Arc::clone(&token_calls);
    let server = answer_with(move |req, _| {
        if req.uri.path() == "/oauth/token" {
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                return json(503, r#"{"error":"temporarily_unavailable"}"#);
            }
            return token_reply();
        }
        json(200, r#"{"user_id":"auth0|1"}"#)
    })
    .await;
    let key = SigningKey::generate_es256().unwrap();
    let verifying = key.verifying_key().unwrap();
    let auth0 = ManagementClient::builder(http(&server))
        .client_credentials(ClientCredentials::private_key_jwt("m2m-client", key))
        .build()
        .unwrap();
    assert_eq!(get_user(&auth0).await.unwrap()["user_id"], "auth0|1");

    let token_requests: Vec<Recorded> = server
        .requests()
        .into_iter()
        .filter(|r| r.uri.path() == "/oauth/token")
        .collect();
    assert_eq!(token_requests.len(), 2, "one retry after the 503");
    let mut jtis = Vec::new();
    for req in &token_requests {
        let body = req.fields();
        assert_eq!(body["grant_type"], "client_credentials");
        assert_eq!(body["audience"], format!("{}/api/v2/", server.base_url()));
        let jws = Jws::parse(
            body["client_assertion"].as_str().unwrap(),
            &ParseOptions::default(),
        )
        .unwrap();
        verifying
            .verify(Algorithm::ES256, jws.signing_input(), jws.signature())
            .expect("every assertion verifies");
        let claims = jws.claims();
        assert_eq!(claims["iss"], "m2m-client");
        assert_eq!(claims["aud"], format!("{}/", server.base_url()));
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            60
        );
        jtis.push(claims["jti"].as_str().unwrap().to_owned());
    }
    assert_ne!(jtis[0], jtis[1], "the assertion was replayed");
}

fn dump(req: &Recorded) -> String {
    format!(
        "{} {} headers: {:?} body: {}",
        req.method,
        req.uri,
        req.headers,
        String::from_utf8_lossy(&req.body)
    )
}

/// Echoes the whole request: in `error_description` (400, or `message` for
/// the Management API), as an HTML page (502), or as a 200 that does not
/// decode.
fn echo(req: &Recorded, mode: usize) -> Fault {
    let dump = dump(req);
    match mode {
        0 => json(
            if req.uri.path() == "/oauth/token" {
                401
            } else {
                400
            },
            &serde_json::json!({
                "statusCode": 400,
                "error": "access_denied",
                "error_description": format!("could not parse body: {dump}"),
                "message": format!("bad request: {dump}"),
            })
            .to_string(),
        ),
        1 => text(502, &format!("<html><pre>{dump}</pre></html>")),
        _ => text(200, &format!("unexpected: {dump}")),
    }
}

fn shown(err: &Error) -> String {
    let mut out = format!("{err}\n{err:?}");
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        out.push_str(&format!("\n{s}\n{s:?}"));
        source = s.source();
    }
    if let Some(api) = err.auth0_error() {
        out.push_str(&format!("\n{}\n{}", api.message, api.error_code));
    }
    if let Some(auth0_core::Error::Decode { body_snippet, .. }) = err.core() {
        out.push_str(&format!("\n{body_snippet}"));
    }
    out
}

fn assert_absent(text: &str, secret: &str, what: &str) {
    let mut percent = String::new();
    auth0_core::client::percent_encode_into(&mut percent, secret);
    let form = auth0_core::client::form_urlencode([("", secret)])[1..].to_owned();
    for form in [secret.to_owned(), percent, form] {
        assert!(
            !text.contains(&form),
            "{what}: secret {form:?} leaked in:\n{text}"
        );
    }
}

const CLIENT_SECRET: &str = "m2m-S3CRET/+&=é \"q\"";
const PASSWORD: &str = "user-pw-S3CRET horse/battery";
const CONNECTION_SECRET: &str = "google-client-S3CRET-value";

#[tokio::test(flavor = "current_thread")]
async fn secrets_echoed_by_the_server_appear_nowhere() {
    let capture = capture::Capture::default();
    let _guard = capture.on_this_thread();
    // Another thread, untraced, reaches the SDK's callsites first (a
    // parallel test does under `cargo test`): the capture still sees them.
    capture::untraced_on_another_thread(|| async {
        let server = answer_with(|req, n| match req.uri.path() {
            "/oauth/token" if n == 0 => json(503, r#"{"error":"temporarily_unavailable"}"#),
            "/oauth/token" => token_reply(),
            _ => json(200, r#"{"user_id":"auth0|1"}"#),
        })
        .await;
        let auth0 = ManagementClient::builder(http(&server))
            .client_credentials(ClientCredentials::new("m2m-client", CLIENT_SECRET))
            .build()
            .unwrap();
        get_user(&auth0).await.unwrap();
    });
    let mut checked = 0;
    for mode in 0..3 {
        // (a) The token endpoint echoes: client secret, then assertion.
        let server = answer_with(move |req, _| echo(req, mode)).await;
        let key = SigningKey::generate_es256().unwrap();
        for credentials in [
            ClientCredentials::new("m2m-client", CLIENT_SECRET),
            ClientCredentials::private_key_jwt("m2m-client", key),
        ] {
            let auth0 = ManagementClient::builder(http(&server))
                .client_credentials(credentials)
                .build()
                .unwrap();
            let err = get_user(&auth0).await.unwrap_err();
            assert!(matches!(err, Error::Token(_)), "{mode}: {err:?}");
            let text = shown(&err);
            assert_absent(&text, CLIENT_SECRET, &format!("token {mode}"));
            for req in server.requests() {
                if let Some(jwt) = req.fields().get("client_assertion") {
                    let jwt = jwt.as_str().unwrap();
                    assert_absent(&text, jwt, &format!("token {mode} assertion"));
                    let signature = jwt.rsplit('.').next().unwrap();
                    assert_absent(&text, signature, &format!("token {mode} signature"));
                }
            }
            checked += 1;
        }

        // (b) The API echoes: the access token, passwords, connection secrets.
        let server = answer_with(move |req, _| {
            if req.uri.path() == "/oauth/token" {
                token_reply()
            } else {
                echo(req, mode)
            }
        })
        .await;
        let auth0 = ManagementClient::builder(http(&server))
            .client_credentials(ClientCredentials::new("m2m-client", CLIENT_SECRET))
            .build()
            .unwrap();
        let results = [
            get_user(&auth0).await.map(|_| ()),
            auth0
                .users()
                .create(
                    &CreateUserRequestContent::new("db")
                        .email("a@example.com")
                        .password(PASSWORD),
                )
                .await
                .map(|_| ()),
            auth0
                .execute::<serde_json::Value>(
                    ApiRequest::post(ApiPath::new("connections"))
                        .json(&serde_json::json!({
                            "name": "google",
                            "strategy": "google-oauth2",
                            "options": {"client_id": "g", "client_secret": CONNECTION_SECRET},
                        }))
                        .unwrap(),
                )
                .await
                .map(|_| ()),
        ];
        for result in results {
            let err = result.unwrap_err();
            let text = shown(&err);
            for secret in [ACCESS_TOKEN, PASSWORD, CONNECTION_SECRET, CLIENT_SECRET] {
                assert_absent(&text, secret, &format!("api {mode}"));
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 3 * 5);
    let logs = capture.text();
    assert!(
        ["span auth0.token", "span auth0.request", "retrying request"]
            .iter()
            .all(|seen| logs.contains(seen)),
        "the capture works: {logs}"
    );
    for secret in [ACCESS_TOKEN, PASSWORD, CONNECTION_SECRET, CLIENT_SECRET] {
        assert_absent(&logs, secret, "TRACE capture");
    }
}

/// An in-memory Auth0: `/oauth/token` answers with `token_status` (401
/// `access_denied`, or 200 with a token), the API with 200; token requests
/// are counted.
#[derive(Clone)]
struct FakeTenant {
    token_requests: Arc<AtomicUsize>,
    token_ok: Arc<Mutex<bool>>,
}

impl FakeTenant {
    fn answer(&self, req: &HttpRequest) -> HttpResponse {
        let (status, body) = if req.uri().path() == "/oauth/token" {
            self.token_requests.fetch_add(1, Ordering::SeqCst);
            if *self.token_ok.lock().unwrap() {
                (
                    200,
                    r#"{"access_token":"tok","token_type":"Bearer","expires_in":86400}"#,
                )
            } else {
                (
                    401,
                    r#"{"error":"access_denied","error_description":"Unauthorized"}"#,
                )
            }
        } else {
            (200, r#"{"user_id":"auth0|1"}"#)
        };
        http::Response::builder()
            .status(status)
            .body(Bytes::from_static(body.as_bytes()))
            .unwrap()
    }
}

#[tokio::test(start_paused = true)]
async fn refused_credentials_back_off_instead_of_asking_on_every_call() {
    let tenant = FakeTenant {
        token_requests: Arc::default(),
        token_ok: Arc::new(Mutex::new(false)),
    };
    let t = tenant.clone();
    let transport = tower::service_fn(move |req: HttpRequest| {
        std::future::ready(Ok::<_, BoxError>(t.answer(&req)))
    });
    let http =
        ClientBuilder::with_transport(ClientConfig::new("tenant.auth0.com").unwrap(), transport)
            .build()
            .unwrap();
    let auth0 = ManagementClient::builder(http)
        .client_credentials(ClientCredentials::new("m2m-client", "wrong-secret"))
        .build()
        .unwrap();
    let count = || tenant.token_requests.load(Ordering::SeqCst);
    let refused = |err: Error| {
        assert!(matches!(err, Error::Token(_)), "{err:?}");
        assert_eq!(err.status_code().map(|s| s.as_u16()), Some(401));
        assert_eq!(err.auth0_error().unwrap().error_code, "access_denied");
    };

    // 100 calls: one token request, every caller gets the typed error.
    for _ in 0..100 {
        refused(get_user(&auth0).await.unwrap_err());
    }
    assert_eq!(count(), 1);

    // After the first backoff (5 s) one more request; the backoff doubles.
    tokio::time::advance(Duration::from_millis(4_900)).await;
    refused(get_user(&auth0).await.unwrap_err());
    assert_eq!(count(), 1);
    tokio::time::advance(Duration::from_millis(200)).await;
    for _ in 0..50 {
        refused(get_user(&auth0).await.unwrap_err());
    }
    assert_eq!(count(), 2);
    tokio::time::advance(Duration::from_secs(9)).await;
    refused(get_user(&auth0).await.unwrap_err());
    assert_eq!(count(), 2, "the second backoff is 10 s");
    tokio::time::advance(Duration::from_secs(1)).await;
    refused(get_user(&auth0).await.unwrap_err());
    assert_eq!(count(), 3);

    // Fixed credentials are used once the backoff (now 20 s) elapses, and a
    // success clears it.
    *tenant.token_ok.lock().unwrap() = true;
    tokio::time::advance(Duration::from_secs(20)).await;
    for _ in 0..10 {
        assert_eq!(get_user(&auth0).await.unwrap()["user_id"], "auth0|1");
    }
    assert_eq!(count(), 4);
}
