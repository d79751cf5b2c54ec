//! The transport's connection pool seen through `Auth0Client`: the HTTP/2
//! connect gate, the pool settings applied to HTTP/2 connections, and the
//! background sweep task. Servers are the local tenant on 127.0.0.1.

// Helpers outside #[test] fns may unwrap too: this is test code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use auth0_core::client::Auth0Client;
use auth0_core::config::ClientConfigBuilder;
use auth0_core::retry::RetryPolicy;
use auth0_local::{Fault, LocalTenant};
use http::Version;

/// A document the tenant serves to anyone.
const JWKS: &str = "/.well-known/jwks.json";

/// An HTTPS tenant offering h2 and http/1.1.
async fn http2_tenant() -> LocalTenant {
    LocalTenant::builder().http2(true).start().await.unwrap()
}

/// A config for `server` trusting its CA, without retries (each call is
/// one attempt, so connection counts say what the pool did).
fn trusting(server: &LocalTenant) -> ClientConfigBuilder {
    server
        .client_config()
        .add_root_certificates_pem(server.ca_certificate_pem().unwrap())
        .retry_policy(RetryPolicy::disabled())
}

fn client(config: ClientConfigBuilder) -> Auth0Client {
    Auth0Client::new(config.build().unwrap()).unwrap()
}

async fn fetch_jwks(client: &Auth0Client) {
    let jwks = client.get_json::<serde_json::Value>(JWKS).await.unwrap();
    assert!(jwks.data["keys"].is_array());
}

#[tokio::test]
async fn a_call_does_not_wait_for_a_first_call_that_is_not_being_polled() {
    // A first call that started connecting and is then left alone — a
    // `select!` branch while another branch's handler runs, a buffered
    // stream whose results are handled one by one — must not stall the
    // calls made meanwhile: they wait at most a connect timeout for it,
    // then connect on their own.
    let server = http2_tenant().await;
    let client = client(
        trusting(&server)
            .connect_timeout(Duration::from_millis(300))
            .attempt_timeout(Duration::from_secs(5)),
    );
    let mut first = pin!(client.get_json::<serde_json::Value>(JWKS));
    // Polled once: it leads the connect to the origin, then is not polled.
    tokio::select! {
        biased;
        _ = &mut first => panic!("cannot have connected in one poll"),
        () = std::future::ready(()) => {}
    }
    let started = Instant::now();
    let second = client.get_json::<serde_json::Value>(JWKS).await;
    assert!(second.is_ok(), "{second:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "waited {:?} for a connect nobody drove",
        started.elapsed()
    );
}

#[tokio::test]
async fn no_idle_connections_means_no_shared_http2_connection_either() {
    let server = http2_tenant().await;
    let client = client(trusting(&server).pool_max_idle_per_host(0));
    for _ in 0..3 {
        fetch_jwks(&client).await;
    }
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.version == Version::HTTP_2)
    );
    assert_eq!(
        server.connections(),
        3,
        "an idle HTTP/2 connection was kept"
    );
}

#[tokio::test]
async fn an_http2_connection_idle_past_the_timeout_is_not_reused() {
    let server = http2_tenant().await;
    let client = client(trusting(&server).pool_idle_timeout(Duration::ZERO));
    for _ in 0..3 {
        fetch_jwks(&client).await;
    }
    assert_eq!(
        server.connections(),
        3,
        "an expired HTTP/2 connection was reused"
    );
}

/// Polls its future with `handle`'s runtime as the current one, whichever
/// runtime runs the task: switching it stands for a poll that runs while
/// the runtime is shutting down.
struct InContext<F> {
    future: Pin<Box<F>>,
    handle: Arc<Mutex<tokio::runtime::Handle>>,
}

impl<F: Future> Future for InContext<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let handle = self.handle.lock().unwrap().clone();
        let _entered = handle.enter();
        self.future.as_mut().poll(cx)
    }
}

#[test]
fn a_call_finishing_while_the_runtime_shuts_down_does_not_deadlock() {
    // The runtime that drives the connections and the call.
    let io = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // A runtime already shut down: spawning onto it drops the task at once.
    let gone = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let gone_handle = gone.handle().clone();
    drop(gone);

    let server = io.block_on(async {
        let server = LocalTenant::builder().plain_http().start().await.unwrap();
        // Headers at once, the body a little later.
        server.inject(
            Fault::reply_raw(200, "{}")
                .with_header("content-type", "application/json")
                .with_body_delay(Duration::from_millis(400)),
        );
        server
    });
    let client = client(server.client_config().retry_policy(RetryPolicy::disabled()));
    let context = Arc::new(Mutex::new(io.handle().clone()));
    let call = InContext {
        future: Box::pin({
            let client = client.clone();
            async move { client.get_json::<serde_json::Value>("/slow").await }
        }),
        handle: Arc::clone(&context),
    };
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    io.spawn(async move {
        let _ = done_tx.send(call.await.is_ok());
    });
    // The headers are in and the body is on its way: the poll that reads
    // its end (and pools the connection) runs with the runtime gone.
    std::thread::sleep(Duration::from_millis(200));
    *context.lock().unwrap() = gone_handle;
    let outcome = done_rx.recv_timeout(Duration::from_secs(5));
    // A deadlocked worker would hang the runtime's drop: leave it behind.
    io.shutdown_background();
    assert_eq!(
        outcome,
        Ok(true),
        "the call never finished: its worker is stuck"
    );
    drop(server);
}
