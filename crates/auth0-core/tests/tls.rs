//! The real TLS path: rustls client against the local tenant over HTTPS
//! (a CA and leaf it makes at start, rcgen), HTTP/2 negotiated by ALPN,
//! trust via an extra root.

// Helpers outside #[test] fns may unwrap too: this is test code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use auth0_core::client::Auth0Client;
use auth0_core::config::ClientConfig;
use auth0_core::error::{ConfigError, Error};
use auth0_core::retry::RetryPolicy;
use auth0_core::transport::TransportError;
use auth0_local::LocalTenant;
use http::Version;

/// An HTTPS tenant offering h2 and http/1.1.
async fn start_tls_server() -> LocalTenant {
    LocalTenant::builder().http2(true).start().await.unwrap()
}

/// A document the tenant serves to anyone.
const JWKS: &str = "/.well-known/jwks.json";

/// A client of `server` trusting its CA.
fn client_trusting(server: &LocalTenant) -> Auth0Client {
    let config = ClientConfig::builder()
        .domain(server.domain())
        .add_root_certificates_pem(server.ca_certificate_pem().unwrap())
        .build()
        .unwrap();
    Auth0Client::new(config).unwrap()
}

/// `n` concurrent fetches of [`JWKS`], each checked.
async fn fetch_concurrently(client: &Auth0Client, n: usize) {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        let c = client.clone();
        set.spawn(async move { c.get_json::<serde_json::Value>(JWKS).await.unwrap() });
    }
    while let Some(done) = set.join_next().await {
        assert!(done.unwrap().data["keys"].is_array());
    }
}

#[tokio::test]
async fn https_with_extra_root_negotiates_http2_and_multiplexes() {
    let server = start_tls_server().await;
    let client = client_trusting(&server);

    let first = client.get_json::<serde_json::Value>(JWKS).await.unwrap();
    assert!(first.data["keys"].is_array());

    fetch_concurrently(&client, 20).await;
    let requests = server.requests();
    assert_eq!(requests.len(), 21);
    assert!(
        requests.iter().all(|r| r.version == Version::HTTP_2),
        "every request over HTTP/2"
    );
    assert_eq!(server.connections(), 1, "one multiplexed h2 connection");
}

#[tokio::test]
async fn concurrent_first_calls_share_one_http2_connection() {
    let server = start_tls_server().await;
    let client = client_trusting(&server);
    // No connection yet: the first call connects, the others wait for it
    // instead of each making a TLS handshake of their own.
    fetch_concurrently(&client, 16).await;
    assert_eq!(server.requests().len(), 16);
    assert_eq!(server.connections(), 1, "one handshake for 16 callers");
}

#[tokio::test]
async fn concurrent_first_calls_to_an_http1_origin_each_get_a_connection() {
    // HTTPS without HTTP/2: after the first handshake says HTTP/1.1, the
    // callers that waited for it connect on their own, all at once.
    let server = LocalTenant::builder().start().await.unwrap();
    let client = client_trusting(&server);
    fetch_concurrently(&client, 8).await;
    let requests = server.requests();
    assert_eq!(requests.len(), 8);
    assert!(requests.iter().all(|r| r.version == Version::HTTP_11));
    let opened = server.connections();
    assert!((2..=8).contains(&opened), "{opened} connections");
    // And they are pooled: calls one after another reuse them.
    for _ in 0..4 {
        client.get_json::<serde_json::Value>(JWKS).await.unwrap();
    }
    assert_eq!(server.connections(), opened);
}

#[tokio::test]
async fn untrusted_certificate_fails_to_connect_without_retries() {
    let server = start_tls_server().await;
    let config = ClientConfig::builder()
        .domain(server.domain())
        .retry_policy(RetryPolicy::default())
        .build()
        .unwrap();
    let client = Auth0Client::new(config).unwrap();
    let err = client
        .get_json::<serde_json::Value>(JWKS)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport { connect: true, .. }),
        "{err:?}"
    );
    let Error::Transport { source, .. } = &err else {
        unreachable!()
    };
    let transport = source.downcast_ref::<TransportError>().unwrap();
    assert!(
        matches!(transport, TransportError::Tls { .. }),
        "{transport:?}"
    );
    assert_eq!(server.request_count(), 0);
    // A certificate problem does not fix itself: one handshake, no retries.
    assert_eq!(server.connections(), 1);
}

#[test]
fn bad_root_certificates_are_config_errors() {
    let err = ClientConfig::builder()
        .domain("tenant.auth0.com")
        .add_root_certificates_pem("no pem here")
        .build()
        .unwrap_err();
    assert!(
        matches!(err, ConfigError::InvalidCertificate { .. }),
        "{err:?}"
    );
    let err = ClientConfig::builder()
        .domain("tenant.auth0.com")
        .add_root_certificate(vec![1, 2, 3])
        .build()
        .unwrap_err();
    assert!(
        matches!(err, ConfigError::InvalidCertificate { .. }),
        "{err:?}"
    );
}
