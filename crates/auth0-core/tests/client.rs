//! End-to-end behaviour of `Auth0Client` on the default stack against the
//! local tenant (`auth0-local`, plain http on 127.0.0.1) and its scripted
//! faults; a purpose-built CONNECT proxy and raw-socket server for what no
//! HTTP server plays.

// Helpers outside #[test] fns may unwrap too: this is test code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/connect_proxy.rs"]
mod connect_proxy;
#[path = "support/raw_socket.rs"]
mod raw_socket;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use auth0_core::client::{Auth0Client, ClientBuilder};
use auth0_core::config::{ClientConfig, ClientConfigBuilder};
use auth0_core::error::{Error, RetryAdvice};
use auth0_core::retry::RetryPolicy;
use auth0_core::timeout::TimeoutKind;
use auth0_core::types::{BoxError, HttpRequest, HttpResponse};
use auth0_local::{Fault, LocalTenant};
use base64::Engine as _;
use bytes::Bytes;
use connect_proxy::ConnectProxy;
use http::Method;
use raw_socket::{Raw, RawServer};

/// A local tenant on plain http.
async fn tenant() -> LocalTenant {
    LocalTenant::builder().plain_http().start().await.unwrap()
}

/// A tenant that answers request `n` with `faults[n]`, and every request
/// after the last with the last.
async fn scripted(mut faults: Vec<Fault>) -> LocalTenant {
    let tenant = tenant().await;
    let last = faults.pop().unwrap();
    for fault in faults {
        tenant.inject(fault);
    }
    tenant.inject(last.forever());
    tenant
}

/// A tenant that answers every request with `fault`.
async fn always(fault: Fault) -> LocalTenant {
    scripted(vec![fault]).await
}

/// A JSON answer with exactly these body bytes (some are not valid JSON).
fn json(status: u16, body: &str) -> Fault {
    Fault::reply_raw(status, body.to_owned()).with_header("content-type", "application/json")
}

/// A config for the tenant: fast retries, deterministic jitter.
fn config_for(server: &LocalTenant) -> ClientConfigBuilder {
    server.client_config().retry_policy(fast_retries(3))
}

fn fast_retries(max_retries: u32) -> RetryPolicy {
    RetryPolicy::builder()
        .max_retries(max_retries)
        .base_delay(Duration::from_millis(5))
        .max_wait(Duration::from_millis(50))
        .without_budget()
        .jitter(|| 1.0)
        .build()
        .unwrap()
}

fn client(config: ClientConfigBuilder) -> Auth0Client {
    Auth0Client::new(config.build().unwrap()).unwrap()
}

fn get(path: &str) -> HttpRequest {
    http::Request::get(path).body(Bytes::new()).unwrap()
}

#[tokio::test]
async fn rate_limited_then_ok_waits_for_retry_after() {
    let server = scripted(vec![
        json(429, r#"{"error":"too_many_requests"}"#).with_header("retry-after", "1"),
        json(200, r#"{"ok":true}"#),
    ])
    .await;
    // Let the 1 s Retry-After through the cap.
    let policy = RetryPolicy::builder()
        .max_wait(Duration::from_secs(2))
        .without_budget()
        .build()
        .unwrap();
    let client = client(config_for(&server).retry_policy(policy));
    let start = Instant::now();
    let resp = client
        .get_json::<serde_json::Value>("/api/v2/users")
        .await
        .unwrap();
    assert_eq!(resp.data["ok"], true);
    assert!(
        start.elapsed() >= Duration::from_millis(950),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(server.request_count(), 2);
}

/// Auth0's 429 for a spent global limit of 50, resetting at `reset`.
fn global_limit_reached(reset: i64) -> Fault {
    json(429, r#"{"statusCode":429,"error":"Too Many Requests","message":"Global limit has been reached","errorCode":"too_many_requests"}"#)
            .with_header("x-ratelimit-limit", "50")
            .with_header("x-ratelimit-remaining", "0")
        .with_header("x-ratelimit-reset", reset.to_string())
}

#[tokio::test]
async fn rate_limited_forever_is_typed_with_reset() {
    let reset = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    // In the past: the retry layer waits 0 (bounded by the tiny cap anyway).
    let server = always(global_limit_reached(reset)).await;
    let client = client(config_for(&server).retry_policy(fast_retries(2)));
    let err = client
        .get_json::<serde_json::Value>("/api/v2/users")
        .await
        .unwrap_err();
    let Error::RateLimited(rl) = &err else {
        panic!("expected RateLimited, got {err:?}")
    };
    assert_eq!(rl.reset_at, reset);
    assert_eq!(rl.limit, 50);
    assert_eq!(rl.remaining, 0);
    assert_eq!(rl.attempts, Some(3));
    assert_eq!(rl.error.error_code, "too_many_requests");
    assert!(err.is_retryable_for(&Method::GET));
    assert_eq!(err.status_code(), Some(http::StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(server.request_count(), 3);
}

/// A `429` whose wait ends past the call's deadline is the answer at once:
/// the caller gets the typed rate limit with its `reset_at` to plan with,
/// not a timeout after sleeping until the deadline.
#[tokio::test]
async fn a_rate_limit_longer_than_the_deadline_is_reported_at_once() {
    let reset = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + 3_600;
    let server = always(global_limit_reached(reset)).await;
    let policy = RetryPolicy::builder()
        .max_retries(5)
        .max_wait(Duration::from_secs(7_200))
        .build()
        .unwrap();
    let client = client(
        config_for(&server)
            .retry_policy(policy)
            .deadline(Duration::from_secs(60)),
    );
    let err = client
        .get_json::<serde_json::Value>("/api/v2/users")
        .await
        .unwrap_err();
    let Error::RateLimited(rl) = &err else {
        panic!("expected RateLimited, got {err:?}")
    };
    assert_eq!(rl.reset_at, reset);
    assert_eq!(rl.attempts, Some(1));
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn server_error_retried_for_get_not_for_post() {
    let server = scripted(vec![
        json(500, r#"{"error":"boom"}"#),
        json(200, r#"{"id":1}"#),
    ])
    .await;
    let c = client(config_for(&server));
    let ok = c.get_json::<serde_json::Value>("/things/1").await.unwrap();
    assert_eq!(ok.data["id"], 1);
    assert_eq!(server.request_count(), 2);

    let server = scripted(vec![
        json(500, r#"{"error":"boom","error_description":"it broke"}"#),
        json(200, r#"{"id":1}"#),
    ])
    .await;
    let c = client(config_for(&server));
    let err = c
        .request_json::<serde_json::Value>(
            Method::POST,
            "/things",
            Some(&serde_json::json!({"a": 1})),
        )
        .await
        .unwrap_err();
    let api = err.auth0_error().expect("api error");
    assert_eq!(api.status_code, 500);
    assert_eq!(api.error_code, "boom");
    assert_eq!(api.message, "it broke");
    assert_eq!(server.request_count(), 1);
    let sent = &server.requests()[0];
    assert_eq!(sent.headers["content-type"], "application/json");
    assert_eq!(sent.body, Bytes::from_static(br#"{"a":1}"#));
}

#[tokio::test]
async fn slow_headers_hit_the_attempt_timeout() {
    let server = scripted(vec![
        json(200, "{}").with_head_delay(Duration::from_secs(5)),
    ])
    .await;
    let c = client(
        config_for(&server)
            .retry_policy(RetryPolicy::disabled())
            .attempt_timeout(Duration::from_millis(150)),
    );
    let start = Instant::now();
    let err = c.get_json::<serde_json::Value>("/slow").await.unwrap_err();
    let Error::Timeout(elapsed) = &err else {
        panic!("expected timeout, got {err:?}")
    };
    assert_eq!(elapsed.kind, TimeoutKind::Attempt);
    assert!(err.is_timeout());
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn slow_body_hits_the_attempt_timeout_and_get_is_retried() {
    let server = scripted(vec![
        json(200, r#"{"late":true}"#).with_body_delay(Duration::from_secs(5)),
        json(200, r#"{"late":false}"#),
    ])
    .await;
    let c = client(config_for(&server).attempt_timeout(Duration::from_millis(150)));
    let ok = c.get_json::<serde_json::Value>("/slow-body").await.unwrap();
    assert_eq!(ok.data["late"], false);
    assert_eq!(server.request_count(), 2);

    // Without retries the timeout surfaces with the right kind.
    let server = scripted(vec![
        json(200, "{}").with_body_delay(Duration::from_secs(5)),
    ])
    .await;
    let c = client(
        config_for(&server)
            .retry_policy(RetryPolicy::disabled())
            .attempt_timeout(Duration::from_millis(150)),
    );
    let err = c
        .get_json::<serde_json::Value>("/slow-body")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Timeout(e) if e.kind == TimeoutKind::Attempt),
        "{err:?}"
    );
}

/// Retries of a failing server stop at the deadline: the deadline cuts an
/// attempt in flight (a final `Timeout`), or — when the next backoff would
/// already end past it (a loaded machine can make the answers that slow) —
/// the last `503` is the answer, at once.
#[tokio::test]
async fn overall_deadline_bounds_retries() {
    let server = always(json(503, "{}").with_head_delay(Duration::from_millis(100))).await;
    let c = client(
        config_for(&server)
            .retry_policy(fast_retries(10))
            .deadline(Duration::from_millis(250)),
    );
    let err = c.get_json::<serde_json::Value>("/x").await.unwrap_err();
    match &err {
        Error::Timeout(e) => {
            assert_eq!(e.kind, TimeoutKind::Deadline, "{err:?}");
            assert!(err.is_timeout());
            assert!(
                !err.is_retryable_for(&Method::GET),
                "the overall deadline is final"
            );
        }
        other => assert_eq!(
            other.status_code(),
            Some(http::StatusCode::SERVICE_UNAVAILABLE),
            "{err:?}"
        ),
    }
    // 100 ms per answer: at most three attempts fit in 250 ms.
    assert!(
        (2..=3).contains(&server.request_count()),
        "{}",
        server.request_count()
    );
}

#[tokio::test]
async fn dropped_connection_is_retried_for_get_and_typed_otherwise() {
    let server = scripted(vec![Fault::drop_connection(), json(200, r#"{"n":2}"#)]).await;
    let c = client(config_for(&server));
    let ok = c.get_json::<serde_json::Value>("/flaky").await.unwrap();
    assert_eq!(ok.data["n"], 2);
    assert_eq!(server.request_count(), 2);

    let server = scripted(vec![Fault::drop_connection()]).await;
    let c = client(config_for(&server));
    let err = c
        .request_json::<serde_json::Value>(Method::POST, "/flaky", Some(&serde_json::json!({})))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport { connect: false, .. }),
        "{err:?}"
    );
    assert_eq!(err.retry_advice(&Method::POST), RetryAdvice::UnsafeToRepeat);
    assert_eq!(err.retry_advice(&Method::GET), RetryAdvice::Retry);
    assert_eq!(server.request_count(), 1, "POST must not be resent");
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    // Bind then drop a listener to get a port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = client(
        ClientConfig::builder()
            .domain(format!("http://127.0.0.1:{port}"))
            .allow_insecure_loopback(true)
            .retry_policy(fast_retries(1)),
    );
    let err = c.send(get("/")).await.unwrap_err();
    assert!(
        matches!(err, Error::Transport { connect: true, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn empty_html_and_invalid_json_bodies() {
    let server = scripted(vec![
        Fault::reply_raw(204, ""),
        Fault::reply_raw(500, ""),
        Fault::reply_raw(502, "<html><body><h1>502 Bad Gateway</h1></body></html>")
            .with_header("content-type", "text/html"),
        json(200, r#"{"access_token":"eyJSECRET","broken": "#),
        json(200, r#"{"name": 5}"#),
    ])
    .await;
    let c = client(config_for(&server).retry_policy(RetryPolicy::disabled()));

    let empty = c.get_json::<()>("/empty").await.unwrap();
    assert_eq!(empty.status, 204);

    let err = c
        .get_json::<serde_json::Value>("/empty-500")
        .await
        .unwrap_err();
    let api = err.auth0_error().unwrap();
    assert_eq!(api.message, "Internal Server Error");
    assert_eq!(api.error_code, auth0_core::error::UNKNOWN_ERROR_CODE);

    let err = c.get_json::<serde_json::Value>("/html").await.unwrap_err();
    let api = err.auth0_error().unwrap();
    assert_eq!(api.status_code, 502);
    assert!(api.message.contains("502 Bad Gateway"), "{}", api.message);

    let err = c
        .get_json::<serde_json::Value>("/invalid")
        .await
        .unwrap_err();
    match &err {
        Error::Decode {
            status,
            body_snippet,
            ..
        } => {
            assert_eq!(*status, 200);
            // Cut-off JSON naming a token: its extent is unknown, so the
            // snippet is withheld whole.
            assert_eq!(body_snippet, auth0_core::secrets::WITHHELD);
            assert!(
                !body_snippet.contains("eyJSECRET"),
                "token leaked: {body_snippet}"
            );
        }
        other => panic!("expected Decode, got {other:?}"),
    }
    assert!(!format!("{err} {err:?}").contains("eyJSECRET"));

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Named {
        name: String,
    }
    let err = c.get_json::<Named>("/wrong-type").await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn huge_streamed_body_is_cut_at_the_cap() {
    const HUNDRED_MIB: u64 = 100 * 1024 * 1024;
    let server = always(Fault::stream(200, HUNDRED_MIB).chunk_size(64 * 1024)).await;
    let c = client(config_for(&server).retry_policy(RetryPolicy::disabled()));
    let err = c.send(get("/big")).await.unwrap_err();
    assert!(
        matches!(err, Error::BodyTooLarge { limit } if limit == 16 * 1024 * 1024),
        "{err:?}"
    );
    assert_eq!(err.retry_advice(&Method::GET), RetryAdvice::DoNotRetry);
    // Give the server a moment to notice the closed connection.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let streamed = server.bytes_streamed();
    assert!(
        streamed < HUNDRED_MIB / 2,
        "server streamed {streamed} bytes"
    );
}

#[tokio::test]
async fn declared_length_over_cap_fails_before_reading() {
    let server = always(
        Fault::stream(200, 2048)
            .chunk_size(1024)
            .declared_length(2048),
    )
    .await;
    let c = client(config_for(&server).max_response_body(1024));
    let err = c.send(get("/big")).await.unwrap_err();
    assert!(
        matches!(err, Error::BodyTooLarge { limit: 1024 }),
        "{err:?}"
    );
    assert_eq!(server.request_count(), 1, "a too-large body is not retried");
}

#[tokio::test]
async fn telemetry_user_agent_and_default_headers() {
    let server = always(json(200, "{}")).await;
    let c = client(
        config_for(&server)
            .default_header("x-team", "billing")
            .default_header("x-override", "default"),
    );
    let mut req = get("/t");
    req.headers_mut()
        .insert("x-override", "mine".parse().unwrap());
    c.send(req).await.unwrap();
    let seen = &server.requests()[0];
    let raw = base64::engine::general_purpose::STANDARD
        .decode(seen.headers["auth0-client"].as_bytes())
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(json["name"], "auth0-rust");
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        json["env"]["rust"].as_str().unwrap().starts_with("1."),
        "{json}"
    );
    let ua = seen.headers["user-agent"].to_str().unwrap();
    assert!(
        ua.starts_with(&format!(
            "auth0-rust/{} (rust 1.",
            env!("CARGO_PKG_VERSION")
        )),
        "{ua}"
    );
    assert_eq!(seen.headers["x-team"], "billing");
    assert_eq!(
        seen.headers["x-override"], "mine",
        "the request's own header wins"
    );

    let quiet = client(config_for(&server).telemetry(false).send_user_agent(false));
    quiet.send(get("/t")).await.unwrap();
    let seen = &server.requests()[1];
    assert!(!seen.headers.contains_key("auth0-client"));
    assert!(!seen.headers.contains_key("user-agent"));

    let custom = client(config_for(&server).user_agent("my-app/2.0"));
    custom.send(get("/t")).await.unwrap();
    assert_eq!(server.requests()[2].headers["user-agent"], "my-app/2.0");
}

#[tokio::test]
async fn connections_are_reused_across_calls_and_clones() {
    let server = always(json(200, r#"{"ok":1}"#)).await;
    let c = client(config_for(&server));
    for i in 0..50 {
        let clone = c.clone();
        let resp = clone
            .get_json::<serde_json::Value>(format!("/n/{i}"))
            .await
            .unwrap();
        assert_eq!(resp.data["ok"], 1);
    }
    assert_eq!(server.request_count(), 50);
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn concurrent_calls_share_a_few_connections() {
    let server = always(json(200, r#"{"ok":1}"#)).await;
    let c = client(config_for(&server));
    let mut calls = tokio::task::JoinSet::new();
    for task in 0..8 {
        let c = c.clone();
        calls.spawn(async move {
            for i in 0..20 {
                let resp = c
                    .get_json::<serde_json::Value>(format!("/c/{task}/{i}"))
                    .await
                    .unwrap();
                assert_eq!(resp.data["ok"], 1);
            }
        });
    }
    while let Some(done) = calls.join_next().await {
        done.unwrap();
    }
    assert_eq!(server.request_count(), 160);
    assert!(
        (1..=8).contains(&server.connections()),
        "{} connections for 8 callers",
        server.connections()
    );
}

#[tokio::test]
async fn without_idle_connections_every_call_connects() {
    let server = always(json(200, "{}")).await;
    let c = client(config_for(&server).pool_max_idle_per_host(0));
    for _ in 0..3 {
        c.send(get("/once")).await.unwrap();
    }
    assert_eq!(server.connections(), 3);
}

#[tokio::test]
async fn idle_connections_are_closed_after_the_idle_timeout() {
    let server = RawServer::start(vec![Raw::KeepAlive(RAW_OK)]).await;
    let c = client(
        ClientConfig::builder()
            .domain(server.base_url())
            .allow_insecure_loopback(true)
            .pool_idle_timeout(Duration::from_millis(150)),
    );
    c.get_json::<serde_json::Value>("/1").await.unwrap();
    c.get_json::<serde_json::Value>("/2").await.unwrap();
    assert_eq!(server.connections(), 1, "reused while fresh");
    // Closed by the pool in the background, without another call.
    let waited = Instant::now();
    while server.closed_by_client() == 0 {
        assert!(
            waited.elapsed() < Duration::from_secs(5),
            "the idle connection was never closed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    c.get_json::<serde_json::Value>("/3").await.unwrap();
    assert_eq!(server.connections(), 2);
}

#[tokio::test]
async fn a_connection_the_server_closes_is_not_used_again() {
    // `connection: close` answers: the server ends each connection after
    // its answer. A POST (never resent by the retry layer, which is off
    // here) still goes out on a fresh connection every time.
    let server = always(json(200, r#"{"ok":1}"#).with_header("connection", "close")).await;
    let c = client(config_for(&server).retry_policy(RetryPolicy::disabled()));
    for _ in 0..3 {
        let resp = c
            .post_form::<serde_json::Value>("/p", &[("a", "b")])
            .await
            .unwrap();
        assert_eq!(resp.data["ok"], 1);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(server.request_count(), 3);
    assert_eq!(server.connections(), 3);
}

#[tokio::test]
async fn a_body_cut_off_at_the_cap_does_not_return_its_connection() {
    let server = scripted(vec![
        json(200, &"x".repeat(4096)).times(1),
        json(200, r#"{"ok":1}"#),
    ])
    .await;
    let c = client(config_for(&server).max_response_body(1024));
    let err = c.send(get("/big")).await.unwrap_err();
    assert!(matches!(err, Error::BodyTooLarge { .. }), "{err:?}");
    let resp = c.get_json::<serde_json::Value>("/small").await.unwrap();
    assert_eq!(resp.data["ok"], 1);
    assert_eq!(
        server.connections(),
        2,
        "the cut-off connection was dropped"
    );
}

#[tokio::test]
async fn user_layer_sees_each_call_once() {
    let server = scripted(vec![json(503, "{}"), json(200, "{}")]).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let c = Auth0Client::builder(config_for(&server).build().unwrap())
        .with_layer(tower::util::MapRequestLayer::new(
            move |mut req: HttpRequest| {
                counter.fetch_add(1, Ordering::SeqCst);
                req.headers_mut().insert("x-layer", "yes".parse().unwrap());
                req
            },
        ))
        .build()
        .unwrap();
    c.get_json::<serde_json::Value>("/layered").await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1, "outside the retry layer");
    assert_eq!(server.request_count(), 2);
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.headers["x-layer"] == "yes")
    );
}

#[tokio::test]
async fn custom_service_needs_no_network() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let svc = tower::service_fn(move |req: HttpRequest| {
        log.lock().unwrap().push(req.uri().to_string());
        async move {
            Ok::<_, BoxError>(
                http::Response::builder()
                    .status(200)
                    .header("x-ratelimit-remaining", "7")
                    .body(Bytes::from_static(br#"{"keys":[]}"#))
                    .unwrap(),
            )
        }
    });
    let config = ClientConfig::new("tenant.auth0.com").unwrap();
    let c = ClientBuilder::from_service(config, svc).build().unwrap();
    let resp = c
        .get_json::<serde_json::Value>("/.well-known/jwks.json")
        .await
        .unwrap();
    assert_eq!(resp.data["keys"], serde_json::json!([]));
    assert_eq!(resp.rate_limit().remaining, Some(7));
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        ["https://tenant.auth0.com/.well-known/jwks.json"]
    );
}

/// A client on the default stack over a fake transport that answers its
/// first request `503` and every later one `200 {}`, with two retries
/// allowed; the headers of every request the transport saw are in the
/// returned log.
fn unavailable_once() -> (Auth0Client, Arc<std::sync::Mutex<Vec<http::HeaderMap>>>) {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let transport = tower::service_fn(move |req: HttpRequest| {
        let mut log = log.lock().unwrap();
        log.push(req.headers().clone());
        let status = if log.len() == 1 { 503 } else { 200 };
        async move {
            Ok::<_, BoxError>(
                http::Response::builder()
                    .status(status)
                    .body(Bytes::from_static(b"{}"))
                    .unwrap(),
            )
        }
    });
    let config = ClientConfig::builder()
        .domain("tenant.auth0.com")
        .retry_policy(fast_retries(2))
        .build()
        .unwrap();
    let client = ClientBuilder::with_transport(config, transport)
        .build()
        .unwrap();
    (client, seen)
}

#[tokio::test]
async fn default_stack_over_a_fake_transport_retries() {
    let (c, seen) = unavailable_once();
    let resp: HttpResponse = c.send(get("/x")).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn every_attempt_carries_the_telemetry_headers_once() {
    // The default stack adds them below the retry layer: each attempt
    // (the request itself, then the retry layer's copy) gets them, once,
    // and a value the caller set wins on every attempt.
    let (c, seen) = unavailable_once();
    let mut request = get("/x");
    request
        .headers_mut()
        .insert(http::header::USER_AGENT, "mine/1.0".parse().unwrap());
    let resp: HttpResponse = c.send(request).await.unwrap();
    assert_eq!(resp.status(), 200);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    let telemetry = auth0_core::telemetry::auth0_client_value();
    for headers in seen.iter() {
        let values: Vec<_> = headers.get_all("auth0-client").iter().collect();
        assert_eq!(values, [&telemetry]);
        let agents: Vec<_> = headers.get_all(http::header::USER_AGENT).iter().collect();
        assert_eq!(agents, ["mine/1.0"]);
    }
}

#[tokio::test]
async fn post_form_encodes_fields() {
    let server = always(json(
        200,
        r#"{"access_token":"at","token_type":"Bearer","expires_in":86400}"#,
    ))
    .await;
    let c = client(config_for(&server));
    let resp = c
        .post_form::<serde_json::Value>(
            "/oauth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_secret", "s3cr&t =/é"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(resp.data["token_type"], "Bearer");
    let seen = &server.requests()[0];
    assert_eq!(seen.method, Method::POST);
    assert_eq!(
        seen.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        seen.body,
        Bytes::from_static(b"grant_type=client_credentials&client_secret=s3cr%26t+%3D%2F%C3%A9")
    );
}

#[tokio::test]
async fn mfa_required_keeps_token_private() {
    let server = always(json(
        403,
        r#"{"error":"mfa_required","error_description":"Multifactor authentication required","mfa_token":"Fe26.2**SECRETTOKEN"}"#,
    ))
    .await;
    let c = client(config_for(&server));
    let err = c
        .post_form::<serde_json::Value>("/oauth/token", &[("grant_type", "password")])
        .await
        .unwrap_err();
    let Error::MfaRequired(mfa) = &err else {
        panic!("expected MfaRequired, got {err:?}")
    };
    assert_eq!(mfa.mfa_token(), "Fe26.2**SECRETTOKEN");
    let shown = format!("{err} {err:?} {mfa} {mfa:?}");
    assert!(!shown.contains("SECRETTOKEN"), "{shown}");
}

#[tokio::test]
async fn plain_http_to_remote_hosts_is_refused_without_network() {
    let server = always(json(200, "{}")).await;
    let c = client(config_for(&server));
    let err = c.send(get("http://example.invalid/x")).await.unwrap_err();
    assert!(
        matches!(err, Error::Transport { connect: true, .. }),
        "{err:?}"
    );
    assert!(format!("{:?}", err).contains("InsecureScheme"), "{err:?}");
    assert_eq!(err.retry_advice(&Method::GET), RetryAdvice::DoNotRetry);
}

#[tokio::test]
async fn requests_go_through_a_connect_proxy_with_credentials() {
    let server = always(json(200, r#"{"via":"proxy"}"#)).await;
    let proxy = ConnectProxy::start().await;
    let c = client(config_for(&server).proxy(format!("http://alice:hunter2@{}", proxy.addr)));
    assert!(!format!("{:?}", c.config()).contains("hunter2"));
    let resp = c.get_json::<serde_json::Value>("/p").await.unwrap();
    assert_eq!(resp.data["via"], "proxy");
    let tunnels = proxy.tunnels();
    assert_eq!(tunnels.len(), 1);
    assert_eq!(tunnels[0].target, server.addr().to_string());
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("alice:hunter2")
    );
    assert_eq!(
        tunnels[0].proxy_authorization.as_deref(),
        Some(expected.as_str())
    );
}

#[tokio::test]
async fn proxy_refusal_is_a_connect_error() {
    let server = always(json(200, "{}")).await;
    let proxy = ConnectProxy::start().await;
    // The proxy only tunnels to 127.0.0.1; ask for localhost to be refused.
    let c = client(
        ClientConfig::builder()
            .domain(format!("http://localhost:{}", server.addr().port()))
            .allow_insecure_loopback(true)
            .retry_policy(RetryPolicy::disabled())
            .proxy(format!("http://{}", proxy.addr)),
    );
    let err = c.send(get("/p")).await.unwrap_err();
    assert!(
        matches!(err, Error::Transport { connect: true, .. }),
        "{err:?}"
    );
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn configured_rate_limiter_paces_requests() {
    let server = always(json(200, "{}")).await;
    let limiter = auth0_core::rate_limit::RateLimiter::token_bucket(20, 1).unwrap();
    let c = client(config_for(&server).rate_limiter(limiter));
    let start = Instant::now();
    for _ in 0..4 {
        c.send(get("/paced")).await.unwrap();
    }
    // One token up front, then one every 50 ms.
    assert!(
        start.elapsed() >= Duration::from_millis(140),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(server.request_count(), 4);
}

#[tokio::test]
async fn no_deadline_still_works() {
    let server = always(json(200, r#"{"a":1}"#)).await;
    let c = client(config_for(&server).no_deadline());
    assert_eq!(
        c.get_json::<serde_json::Value>("/a").await.unwrap().data["a"],
        1
    );
    assert_eq!(c.config().deadline(), None);
}

const RAW_OK: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 12\r\n\r\n{\"raw\":true}";

fn raw_client(server: &RawServer, policy: RetryPolicy) -> Auth0Client {
    client(
        ClientConfig::builder()
            .domain(server.base_url())
            .allow_insecure_loopback(true)
            .retry_policy(policy),
    )
}

#[tokio::test]
async fn tcp_reset_is_retried_for_get() {
    let server = RawServer::start(vec![Raw::Reset, Raw::Write(RAW_OK)]).await;
    let c = raw_client(&server, fast_retries(2));
    let resp = c.get_json::<serde_json::Value>("/r").await.unwrap();
    assert_eq!(resp.data["raw"], true);
    assert_eq!(server.connections(), 2);
}

#[tokio::test]
async fn tcp_reset_on_post_is_a_typed_transport_error() {
    let server = RawServer::start(vec![Raw::Reset, Raw::Write(RAW_OK)]).await;
    let c = raw_client(&server, fast_retries(2));
    let err = c
        .post_form::<serde_json::Value>("/r", &[("a", "b")])
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport { connect: false, .. }),
        "{err:?}"
    );
    assert_eq!(err.retry_advice(&Method::POST), RetryAdvice::UnsafeToRepeat);
    assert_eq!(
        server.connections(),
        1,
        "a POST that may have been received is not resent"
    );
}

#[tokio::test]
async fn garbage_and_truncated_answers_are_transport_errors() {
    let server = RawServer::start(vec![Raw::Write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")]).await;
    let c = raw_client(&server, RetryPolicy::disabled());
    let err = c.send(get("/g")).await.unwrap_err();
    assert!(
        matches!(err, Error::Transport { connect: false, .. }),
        "{err:?}"
    );

    let server = RawServer::start(vec![Raw::Write(
        b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"cut\":",
    )])
    .await;
    let c = raw_client(&server, RetryPolicy::disabled());
    let err = c.send(get("/t")).await.unwrap_err();
    let Error::Transport {
        connect: false,
        source,
        ..
    } = &err
    else {
        panic!("expected a transport error, got {err:?}")
    };
    assert!(
        matches!(
            source.downcast_ref::<auth0_core::transport::TransportError>(),
            Some(auth0_core::transport::TransportError::Body { .. })
        ),
        "{source:?}"
    );
}

/// Set in the child process of the `proxy_from_env_*` tests: the URL to call.
const PROXY_CHILD_TARGET: &str = "AUTH0_RS_TEST_PROXY_CHILD_TARGET";

/// The child half of the `proxy_from_env_*` tests. Environment variables can
/// only be set for a whole process (and `set_var` is `unsafe` in edition 2024),
/// so the parent test starts this test binary again, filtered to this one
/// test, with the proxy variables set; without the marker variable it does
/// nothing.
#[tokio::test]
async fn proxy_from_env_child() {
    let Ok(target) = std::env::var(PROXY_CHILD_TARGET) else {
        return;
    };
    let c = client(
        ClientConfig::builder()
            .domain(target)
            .allow_insecure_loopback(true)
            .retry_policy(RetryPolicy::disabled())
            .proxy_from_env(),
    );
    let outcome = c.get_json::<serde_json::Value>("/p").await;
    if std::env::var_os(PROXY_CHILD_EXPECT_REFUSAL).is_some() {
        let err = outcome.unwrap_err();
        let Error::Transport {
            connect: true,
            source,
            ..
        } = &err
        else {
            panic!("expected a connect error, got {err:?}")
        };
        assert!(
            matches!(
                source.downcast_ref::<auth0_core::transport::TransportError>(),
                Some(auth0_core::transport::TransportError::Proxy { .. })
            ),
            "{source:?}"
        );
        assert!(!format!("{err:?}").contains("s3cret"), "{err:?}");
        return;
    }
    assert_eq!(outcome.unwrap().data["ok"], true);
}

/// Set (with [`PROXY_CHILD_TARGET`]) when the child's call must be refused
/// with `TransportError::Proxy` instead of succeeding.
const PROXY_CHILD_EXPECT_REFUSAL: &str = "AUTH0_RS_TEST_PROXY_CHILD_EXPECT_REFUSAL";

/// Runs `proxy_from_env_child` in a new process with `env` (and every other
/// proxy variable removed); panics if it fails.
async fn run_proxy_child(target: String, env: &[(&str, String)]) {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "proxy_from_env_child",
        "--exact",
        "--nocapture",
        "--test-threads=1",
    ]);
    for var in [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
        "REQUEST_METHOD",
        PROXY_CHILD_EXPECT_REFUSAL,
    ] {
        cmd.env_remove(var);
    }
    cmd.env(PROXY_CHILD_TARGET, target);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        out.status.success(),
        "child failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The filter must have found the child test (libtest prints the count).
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "child test did not run:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[tokio::test]
async fn proxy_from_env_uses_http_proxy() {
    let server = always(json(200, r#"{"ok":true}"#)).await;
    let proxy = ConnectProxy::start().await;
    run_proxy_child(
        server.domain(),
        &[("HTTP_PROXY", format!("http://bob:s3cret@{}", proxy.addr))],
    )
    .await;
    let tunnels = proxy.tunnels();
    assert_eq!(tunnels.len(), 1, "one tunnel through the env proxy");
    assert_eq!(tunnels[0].target, server.addr().to_string());
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("bob:s3cret")
    );
    assert_eq!(
        tunnels[0].proxy_authorization.as_deref(),
        Some(expected.as_str())
    );
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn proxy_from_env_never_sends_credentials_in_clear_to_a_tls_or_socks_proxy() {
    // The transport speaks plain HTTP `CONNECT` to a proxy (a configured
    // https:// proxy URL is refused at build time for that reason). One
    // from the environment with another scheme is refused too, before
    // anything is sent: its `Proxy-Authorization` would otherwise go out
    // in clear text to a port that expects TLS (or SOCKS).
    let server = always(json(200, r#"{"ok":true}"#)).await;
    let proxy = ConnectProxy::start().await;
    for url in [
        format!("https://bob:s3cret@{}", proxy.addr),
        format!("socks5://bob:s3cret@{}", proxy.addr),
    ] {
        run_proxy_child(
            server.domain(),
            &[
                ("HTTP_PROXY", url),
                (PROXY_CHILD_EXPECT_REFUSAL, "1".to_owned()),
            ],
        )
        .await;
    }
    assert!(
        proxy.tunnels().is_empty(),
        "a tunnel was opened: {:?}",
        proxy.tunnels()
    );
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn proxy_from_env_honours_no_proxy() {
    let server = always(json(200, r#"{"ok":true}"#)).await;
    let proxy = ConnectProxy::start().await;
    run_proxy_child(
        server.domain(),
        &[
            ("HTTP_PROXY", format!("http://{}", proxy.addr)),
            ("NO_PROXY", "127.0.0.1".to_owned()),
        ],
    )
    .await;
    assert!(proxy.tunnels().is_empty(), "NO_PROXY bypasses the proxy");
    assert_eq!(server.request_count(), 1);
}
