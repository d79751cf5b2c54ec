//! The test facilities other crates' tests use: the request log, scripted
//! answers (raw bodies, stalls, streamed bodies, closures), method matching,
//! connection counting and HTTP/2.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use auth0_local::{Fault, LocalTenant};
use bytes::Bytes;
use http::{Method, Version};

async fn plain() -> LocalTenant {
    LocalTenant::builder().plain_http().start().await.unwrap()
}

/// A client that does not retry: each call is one request.
fn no_retries(tenant: &LocalTenant) -> auth0_core::Auth0Client {
    auth0_core::Auth0Client::new(
        tenant
            .client_config()
            .retry_policy(auth0_core::retry::RetryPolicy::disabled())
            .build()
            .unwrap(),
    )
    .unwrap()
}

fn get(path: &str) -> http::Request<Bytes> {
    http::Request::get(path).body(Bytes::new()).unwrap()
}

#[tokio::test]
async fn every_request_is_recorded_and_debug_hides_credentials() {
    let tenant = plain().await;
    let client = no_retries(&tenant);
    let secret = tenant.applications().machine.client_secret().unwrap();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", tenant.applications().machine.client_id()),
        ("client_secret", secret),
        ("audience", &tenant.management_audience()),
    ];
    client
        .post_form::<serde_json::Value>("/oauth/token", &form)
        .await
        .unwrap();
    tenant.inject(Fault::status(503));
    let _ = client.send(get("/userinfo?x=1")).await;

    let seen = tenant.requests();
    assert_eq!(seen.len(), 2, "the faulted request is recorded too");
    assert_eq!(tenant.request_count(), 2);
    let token = &seen[0];
    assert_eq!(token.method, Method::POST);
    assert_eq!(token.path(), "/oauth/token");
    assert_eq!(token.form()["client_secret"], secret);
    assert_eq!(
        token.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let shown = format!("{token:?}");
    assert!(!shown.contains(secret), "{shown}");
    assert!(shown.contains("client_credentials"), "{shown}");
    assert_eq!(seen[1].query_params()["x"], "1");
    assert_eq!(seen[1].index, 1);

    assert_eq!(tenant.requests_to("/userinfo").len(), 1);
    assert_eq!(tenant.take_requests().len(), 2);
    assert!(tenant.requests().is_empty());
    assert_eq!(tenant.request_count(), 2, "the count goes on");
}

#[tokio::test]
async fn bearer_tokens_are_redacted_in_debug() {
    let tenant = plain().await;
    let mut req = get("/userinfo");
    req.headers_mut()
        .insert("authorization", "Bearer eyJhbGciOi.secret".parse().unwrap());
    let _ = tenant.client().unwrap().send(req).await;
    let seen = &tenant.requests()[0];
    assert_eq!(
        seen.header("authorization"),
        Some("Bearer eyJhbGciOi.secret")
    );
    assert!(!format!("{seen:?}").contains("eyJhbGciOi.secret"));
}

#[tokio::test]
async fn raw_replies_keep_their_bytes_and_headers() {
    let tenant = plain().await;
    tenant.inject(
        Fault::reply_raw(502, "<h1>Bad Gateway</h1>")
            .with_header("content-type", "text/html")
            .with_header("x-a", "1")
            .with_header("x-a", "2"),
    );
    tenant.inject(Fault::reply_raw(204, ""));
    let client = no_retries(&tenant);
    let first = client.send(get("/a")).await.unwrap();
    assert_eq!(first.status(), 502);
    assert_eq!(first.headers()["content-type"], "text/html");
    assert_eq!(first.headers().get_all("x-a").iter().count(), 2);
    assert_eq!(first.body(), &Bytes::from_static(b"<h1>Bad Gateway</h1>"));
    let second = client.send(get("/b")).await.unwrap();
    assert_eq!(second.status(), 204);
    assert!(second.body().is_empty());
    assert_eq!(tenant.pending_faults(), 0);
}

#[tokio::test]
async fn faults_match_on_method_and_closures_see_the_request() {
    let tenant = plain().await;
    tenant.inject(
        Fault::respond_with(|request| {
            let echoed = String::from_utf8_lossy(&request.body).into_owned();
            (request.path() == "/echo")
                .then(|| Fault::reply(200, serde_json::json!({ "echo": echoed })))
        })
        .forever(),
    );
    tenant.inject(Fault::status(500).on_method(Method::DELETE));
    let client = no_retries(&tenant);
    let echoed = client
        .request_json::<serde_json::Value>(
            Method::POST,
            "/echo",
            Some(&serde_json::json!({"a": 1})),
        )
        .await
        .unwrap();
    assert_eq!(echoed.data["echo"], r#"{"a":1}"#);
    // The closure passes on other paths: the tenant answers (discovery here).
    let discovery = client
        .get_json::<serde_json::Value>("/.well-known/openid-configuration")
        .await
        .unwrap();
    assert_eq!(discovery.data["issuer"], tenant.issuer());
    let deleted = client
        .send(http::Request::delete("/x").body(Bytes::new()).unwrap())
        .await
        .unwrap();
    assert_eq!(deleted.status(), 500);
    assert!(tenant.pending_faults() > 0, "the closure stays");
    tenant.clear_faults();
    assert_eq!(tenant.pending_faults(), 0);
}

#[tokio::test]
async fn stalls_before_and_after_the_headers() {
    let tenant = plain().await;
    let stall = Duration::from_millis(300);
    tenant.inject(Fault::reply(200, serde_json::json!({"late": "head"})).with_head_delay(stall));
    tenant.inject(Fault::reply(200, serde_json::json!({"late": "body"})).with_body_delay(stall));
    let client = tenant.client().unwrap();
    let started = std::time::Instant::now();
    let head = client.get_json::<serde_json::Value>("/h").await.unwrap();
    assert_eq!(head.data["late"], "head");
    assert!(started.elapsed() >= stall);
    let started = std::time::Instant::now();
    let body = client.get_json::<serde_json::Value>("/b").await.unwrap();
    assert_eq!(body.data["late"], "body");
    assert!(started.elapsed() >= stall);

    // A body that never comes in time: the client's attempt timeout ends it.
    tenant
        .inject(Fault::reply(200, serde_json::json!({})).with_body_delay(Duration::from_secs(30)));
    let impatient = auth0_core::Auth0Client::new(
        tenant
            .client_config()
            .retry_policy(auth0_core::retry::RetryPolicy::disabled())
            .attempt_timeout(Duration::from_millis(100))
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = impatient
        .get_json::<serde_json::Value>("/b")
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
}

#[tokio::test]
async fn streamed_bodies_are_generated_and_counted() {
    let tenant = plain().await;
    tenant.inject(Fault::stream(200, 100_000).chunk_size(1_000));
    tenant.inject(Fault::stream(200, 10).declared_length(10));
    let client = tenant.client().unwrap();
    let chunked = client.send(get("/s")).await.unwrap();
    assert_eq!(chunked.body().len(), 100_000);
    assert!(chunked.body().iter().all(|&b| b == b'x'));
    assert_eq!(tenant.bytes_streamed(), 100_000);
    let declared = client.send(get("/s")).await.unwrap();
    assert_eq!(declared.headers()["content-length"], "10");
    assert_eq!(declared.body().len(), 10);
}

#[tokio::test]
async fn connections_are_counted_and_dropped_ones_recorded() {
    let tenant = plain().await;
    let client = tenant.client().unwrap();
    for _ in 0..5 {
        client
            .get_json::<serde_json::Value>("/.well-known/jwks.json")
            .await
            .unwrap();
    }
    assert_eq!(tenant.connections(), 1, "one pooled connection");
    tenant.inject(Fault::drop_connection());
    let err = client
        .request_json::<serde_json::Value>(Method::POST, "/x", Some(&serde_json::json!({})))
        .await
        .unwrap_err();
    assert!(
        matches!(err, auth0_core::Error::Transport { .. }),
        "{err:?}"
    );
    assert_eq!(tenant.requests().len(), 6);
    client
        .get_json::<serde_json::Value>("/.well-known/jwks.json")
        .await
        .unwrap();
    assert_eq!(tenant.connections(), 2, "a new connection after the drop");
}

#[tokio::test]
async fn http2_by_alpn_when_enabled() {
    let tenant = LocalTenant::builder().http2(true).start().await.unwrap();
    let client = tenant.client().unwrap();
    client
        .get_json::<serde_json::Value>("/.well-known/jwks.json")
        .await
        .unwrap();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let c = client.clone();
        set.spawn(async move {
            c.get_json::<serde_json::Value>("/.well-known/jwks.json")
                .await
        });
    }
    while let Some(done) = set.join_next().await {
        done.unwrap().unwrap();
    }
    assert!(
        tenant
            .requests()
            .iter()
            .all(|r| r.version == Version::HTTP_2)
    );
    assert_eq!(tenant.connections(), 1, "one multiplexed connection");

    let default = LocalTenant::builder().start().await.unwrap();
    default
        .client()
        .unwrap()
        .get_json::<serde_json::Value>("/.well-known/jwks.json")
        .await
        .unwrap();
    assert_eq!(default.requests()[0].version, Version::HTTP_11);
}
