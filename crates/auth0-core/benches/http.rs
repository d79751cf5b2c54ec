//! Throughput of the full default SDK stack against a bare hyper-util client,
//! both talking to the same in-process HTTP/1.1 server on 127.0.0.1.
//!
//! Run with `cargo bench -p auth0-core --bench http`. Environment knobs:
//! `BENCH_REQUESTS` (default 20000), `BENCH_CONCURRENCY` (default 32),
//! `BENCH_ROUNDS` (default 3).
//!
//! The server runs on its own thread and runtime; both clients run on the
//! same current-thread runtime, interleaved round by round, so they see the
//! same machine state. Each request reads the whole body into `Bytes`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use auth0_core::client::Auth0Client;
use auth0_core::config::ClientConfig;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

const BODY: &[u8] = br#"{"keys":[{"kty":"RSA","kid":"abc123","use":"sig","alg":"RS256"}],"ok":true}"#;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn start_server() -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                stream.set_nodelay(true).unwrap();
                tokio::spawn(async move {
                    let svc = service_fn(|_req| async {
                        let mut resp = hyper::Response::new(Full::new(Bytes::from_static(BODY)));
                        resp.headers_mut().insert(
                            http::header::CONTENT_TYPE,
                            http::HeaderValue::from_static("application/json"),
                        );
                        Ok::<_, Infallible>(resp)
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
    });
    rx.recv().unwrap()
}

/// Runs `total` requests with `concurrency` workers and returns req/s.
async fn drive<F, Fut>(total: usize, concurrency: usize, one: F) -> f64
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let per_worker = total / concurrency;
    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let one = one.clone();
        set.spawn(async move {
            for _ in 0..per_worker {
                one().await;
            }
        });
    }
    while let Some(done) = set.join_next().await {
        done.unwrap();
    }
    (per_worker * concurrency) as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this too,
    // with a tiny workload so it stays fast.
    let quick = !std::env::args().any(|a| a == "--bench");
    let total = if quick { 200 } else { env_usize("BENCH_REQUESTS", 20_000) };
    let concurrency = env_usize("BENCH_CONCURRENCY", 32).max(1);
    let rounds = if quick { 1 } else { env_usize("BENCH_ROUNDS", 3) };

    let addr = start_server();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let config = ClientConfig::builder()
            .domain(format!("http://{addr}"))
            .allow_insecure_loopback(true)
            .build()
            .unwrap();
        let sdk = Auth0Client::new(config).unwrap();

        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let bare: Client<HttpConnector, Full<Bytes>> =
            Client::builder(TokioExecutor::new()).build(connector);
        let bare_uri: http::Uri = format!("http://{addr}/.well-known/jwks.json").parse().unwrap();

        let sdk_send = {
            let sdk = sdk.clone();
            move || {
                let sdk = sdk.clone();
                async move {
                    let req = http::Request::get("/.well-known/jwks.json")
                        .body(Bytes::new())
                        .unwrap();
                    let resp = sdk.send(req).await.unwrap();
                    assert_eq!(resp.body().len(), BODY.len());
                }
            }
        };
        let sdk_json = {
            let sdk = sdk.clone();
            move || {
                let sdk = sdk.clone();
                async move {
                    let resp = sdk
                        .get_json::<serde_json::Value>("/.well-known/jwks.json")
                        .await
                        .unwrap();
                    assert_eq!(resp.data["ok"], true);
                }
            }
        };
        let bare_send = move || {
            let bare = bare.clone();
            let uri = bare_uri.clone();
            async move {
                let req = http::Request::get(uri).body(Full::new(Bytes::new())).unwrap();
                let resp = bare.request(req).await.unwrap();
                let body = resp.into_body().collect().await.unwrap().to_bytes();
                assert_eq!(body.len(), BODY.len());
            }
        };

        // Warm up both pools.
        drive(concurrency * 20, concurrency, sdk_send.clone()).await;
        drive(concurrency * 20, concurrency, bare_send.clone()).await;
        tokio::time::sleep(Duration::from_millis(50)).await;

        println!(
            "auth0-core http bench: {total} requests/run, concurrency {concurrency}, {rounds} rounds, current-thread client runtime"
        );
        let mut ratios = Vec::new();
        for round in 1..=rounds {
            let bare_rps = drive(total, concurrency, bare_send.clone()).await;
            let sdk_rps = drive(total, concurrency, sdk_send.clone()).await;
            let json_rps = drive(total, concurrency, sdk_json.clone()).await;
            let ratio = sdk_rps / bare_rps;
            ratios.push(ratio);
            println!(
                "round {round}: bare hyper {bare_rps:>9.0} req/s | SDK send {sdk_rps:>9.0} req/s | SDK get_json {json_rps:>9.0} req/s | SDK/bare {ratio:.3}"
            );
        }
        ratios.sort_by(f64::total_cmp);
        println!("median SDK/bare ratio: {:.3}", ratios[ratios.len() / 2]);
    });
}
