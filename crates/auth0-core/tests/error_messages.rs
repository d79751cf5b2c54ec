//! What a person reads when a call fails below HTTP: a timeout that ends a
//! retried call says on which attempt and after how long; a connection
//! error names the server, once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use auth0_core::error::TransportCause;
use auth0_core::retry::RetryPolicy;
use auth0_core::transport::TransportError;
use auth0_core::types::{BoxError, HttpRequest, HttpResponse};
use auth0_core::{Auth0Client, ClientBuilder, ClientConfig, Error};
use bytes::Bytes;

fn chain(error: &dyn std::error::Error) -> Vec<String> {
    let mut out = vec![error.to_string()];
    let mut source = error.source();
    while let Some(e) = source {
        out.push(e.to_string());
        source = e.source();
    }
    out
}

fn get(uri: &str) -> HttpRequest {
    http::Request::get(uri).body(Bytes::new()).unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_timeout_after_retries_says_which_attempt_and_how_long() {
    let config = ClientConfig::builder()
        .domain("tenant.example.com")
        .attempt_timeout(Duration::from_secs(10))
        .retry_policy(
            RetryPolicy::builder()
                .max_retries(3)
                .base_delay(Duration::from_millis(100))
                .without_budget()
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    // A server that never answers.
    let stalled = tower::service_fn(|_req: HttpRequest| async {
        std::future::pending::<Result<HttpResponse, BoxError>>().await
    });
    let client = ClientBuilder::with_transport(config, stalled)
        .build()
        .unwrap();
    let error = client.send(get("/api/v2/users")).await.unwrap_err();
    let Error::Timeout(elapsed) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(elapsed.attempts, 4);
    let spent = elapsed.spent.unwrap();
    assert!(spent >= Duration::from_secs(40), "{spent:?}");
    let text = error.to_string();
    assert!(
        text.starts_with("per-attempt timeout elapsed after 10s on attempt 4 ("),
        "{text}"
    );
    assert!(text.ends_with("s since the call started)"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn a_single_attempt_timeout_reads_as_before() {
    let config = ClientConfig::builder()
        .domain("tenant.example.com")
        .attempt_timeout(Duration::from_secs(5))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let stalled = tower::service_fn(|_req: HttpRequest| async {
        std::future::pending::<Result<HttpResponse, BoxError>>().await
    });
    let client = ClientBuilder::with_transport(config, stalled)
        .build()
        .unwrap();
    let error = client.send(get("/x")).await.unwrap_err();
    assert_eq!(error.to_string(), "per-attempt timeout elapsed after 5s");
}

/// A port of the loopback interface nobody listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn a_connection_error_names_the_server_once_and_each_cause_once() {
    let port = closed_port();
    let config = ClientConfig::builder()
        .domain(format!("http://127.0.0.1:{port}"))
        .allow_insecure_loopback(true)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let client = Auth0Client::new(config).unwrap();
    let error = client.send(get("/api/v2/users")).await.unwrap_err();
    let host = format!("127.0.0.1:{port}");
    assert!(
        matches!(&error, Error::Transport { connect: true, host: Some(h), .. } if *h == host),
        "{error:?}"
    );
    // What the examples print: the error, then each cause, one per line.
    let lines = chain(&error);
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert_eq!(lines[0], format!("could not connect to {host}"));
    assert_eq!(lines[1], "tcp connect error");
    assert!(lines[2].to_lowercase().contains("refused"), "{lines:#?}");
    // Neither the SDK's "no connection" nor hyper-util's "client error
    // (Connect)" restates the first line.
    assert!(
        lines[1..].iter().all(|l| !l.contains("connect to")
            && !l.contains("no connection")
            && !l.contains("client error")),
        "{lines:#?}"
    );
    // The transport's error, wrappers included, stays reachable.
    let Error::Transport { source, .. } = &error else {
        unreachable!()
    };
    let cause = source.downcast_ref::<TransportCause>().unwrap();
    assert!(matches!(
        cause.get_ref().downcast_ref::<TransportError>(),
        Some(TransportError::Connect { .. })
    ));
    assert!(
        error.is_retryable_for(&http::Method::POST),
        "nothing was sent"
    );
}

#[tokio::test]
async fn a_connection_dropped_mid_exchange_says_so_once() {
    let tenant = auth0_local::LocalTenant::builder()
        .plain_http()
        .start()
        .await
        .unwrap();
    tenant.inject(auth0_local::Fault::drop_connection().forever());
    let config = tenant
        .client_config()
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let client = Auth0Client::new(config).unwrap();
    let error = client.send(get("/api/v2/users")).await.unwrap_err();
    let lines = chain(&error);
    let host = tenant
        .issuer()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    assert_eq!(
        lines[0],
        format!("the HTTP exchange with {host} failed"),
        "{lines:#?}"
    );
    assert!(
        lines[1..]
            .iter()
            .all(|l| !l.contains("HTTP exchange") && !l.contains("client error")),
        "{lines:#?}"
    );
    assert!(lines.len() >= 2, "the cause is told: {lines:#?}");
}
