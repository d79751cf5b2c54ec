//! The real TLS path: rustls client against an in-process rustls server on
//! 127.0.0.1, HTTP/2 negotiated by ALPN, trust via an extra root.
//!
//! The fixtures were made once with OpenSSL (P-256, valid until 2126):
//! `tests/fixtures/test-ca.pem` is a CA certificate (`CA:TRUE`);
//! `localhost.pem` is a leaf it signed for `DNS:localhost, IP:127.0.0.1`
//! (`serverAuth`); `localhost.key.pem` is the leaf's PKCS#8 key. They are
//! test-only and secure nothing.

// Helpers outside #[test] fns may unwrap too: this is test code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use auth0_core::client::Auth0Client;
use auth0_core::config::ClientConfig;
use auth0_core::error::{ConfigError, Error};
use auth0_core::retry::RetryPolicy;
use auth0_core::transport::TransportError;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

const CA_PEM: &str = include_str!("fixtures/test-ca.pem");
const LEAF_PEM: &str = include_str!("fixtures/localhost.pem");
const LEAF_KEY_PEM: &str = include_str!("fixtures/localhost.key.pem");

fn pem_body(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

struct TlsServer {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
}

/// An HTTPS server offering h2 and http/1.1 that answers
/// `{"version":"HTTP/2.0"}` (the request's HTTP version).
async fn start_tls_server() -> TlsServer {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cert = rustls::pki_types::CertificateDer::from(pem_body(LEAF_PEM));
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(pem_body(LEAF_KEY_PEM).into());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(AtomicUsize::new(0));
    let (conn_count, req_count) = (Arc::clone(&connections), Arc::clone(&requests));
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            conn_count.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            let req_count = Arc::clone(&req_count);
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    req_count.fetch_add(1, Ordering::SeqCst);
                    let body = format!(r#"{{"version":"{:?}"}}"#, req.version());
                    async move {
                        Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from(body))))
                    }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    TlsServer {
        addr,
        connections,
        requests,
    }
}

#[tokio::test]
async fn https_with_extra_root_negotiates_http2_and_multiplexes() {
    let server = start_tls_server().await;
    let config = ClientConfig::builder()
        .domain(format!("https://127.0.0.1:{}", server.addr.port()))
        .add_root_certificates_pem(CA_PEM)
        .build()
        .unwrap();
    let client = Auth0Client::new(config).unwrap();

    let first = client.get_json::<serde_json::Value>("/v").await.unwrap();
    assert_eq!(first.data["version"], "HTTP/2.0");

    let mut set = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let c = client.clone();
        set.spawn(async move { c.get_json::<serde_json::Value>("/v").await.unwrap() });
    }
    while let Some(done) = set.join_next().await {
        assert_eq!(done.unwrap().data["version"], "HTTP/2.0");
    }
    assert_eq!(server.requests.load(Ordering::SeqCst), 21);
    assert_eq!(
        server.connections.load(Ordering::SeqCst),
        1,
        "one multiplexed h2 connection"
    );
}

#[tokio::test]
async fn untrusted_certificate_fails_to_connect_without_retries() {
    let server = start_tls_server().await;
    let config = ClientConfig::builder()
        .domain(format!("https://127.0.0.1:{}", server.addr.port()))
        .retry_policy(RetryPolicy::default())
        .build()
        .unwrap();
    let client = Auth0Client::new(config).unwrap();
    let err = client
        .get_json::<serde_json::Value>("/v")
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
    assert_eq!(server.requests.load(Ordering::SeqCst), 0);
    // A certificate problem does not fix itself: one handshake, no retries.
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
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
