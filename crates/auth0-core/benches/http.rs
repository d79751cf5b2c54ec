//! Throughput of the full default SDK stack against a bare hyper-util client,
//! both talking to the same in-process HTTP/1.1 server on 127.0.0.1.
//!
//! Run with `cargo bench -p auth0-core --bench http`. Environment knobs:
//! `BENCH_REQUESTS` (default 20000), `BENCH_CONCURRENCY` (default 32),
//! `BENCH_ROUNDS` (default 3), `BENCH_ONLY` (`sdk`, `bare` or `layers`: run
//! one part alone, e.g. under a profiler).
//!
//! The server runs on its own thread and runtime; both clients run on the
//! same current-thread runtime, interleaved round by round, so they see the
//! same machine state. Each request reads the whole body into `Bytes`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
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

const BODY: &[u8] =
    br#"{"keys":[{"kty":"RSA","kid":"abc123","use":"sig","alg":"RS256"}],"ok":true}"#;

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

/// CPU time consumed so far by the calling thread (Linux), in nanoseconds.
/// The client runtime is single-threaded, so this is the client's whole
/// CPU cost, and it is far less disturbed by other load than wall time.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

struct Run {
    rps: f64,
    cpu_us_per_req: Option<f64>,
}

/// Slices each round is cut into (see the round loop).
const SLICES: usize = 5;

/// Sums of several [`Run`]s.
#[derive(Default)]
struct Totals {
    requests: f64,
    seconds: f64,
    cpu_us: Option<f64>,
}

impl Totals {
    fn add(&mut self, run: Run, requests: usize) {
        let n = requests as f64;
        self.requests += n;
        self.seconds += n / run.rps;
        self.cpu_us = match (self.cpu_us, run.cpu_us_per_req) {
            (None, Some(c)) if self.requests == n => Some(c * n),
            (Some(t), Some(c)) => Some(t + c * n),
            _ => None,
        };
    }

    fn run(&self) -> Run {
        Run {
            rps: self.requests / self.seconds,
            cpu_us_per_req: self.cpu_us.map(|t| t / self.requests),
        }
    }
}

/// Runs `total` requests with `concurrency` workers.
async fn drive<F, Fut>(total: usize, concurrency: usize, one: F) -> Run
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let per_worker = total / concurrency;
    let cpu_start = thread_cpu_ns();
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
    let done = (per_worker * concurrency) as f64;
    let rps = done / start.elapsed().as_secs_f64();
    let cpu_us_per_req = match (cpu_start, thread_cpu_ns()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a) as f64 / 1000.0 / done),
        _ => None,
    };
    Run {
        rps,
        cpu_us_per_req,
    }
}

/// Per-call cost of the stack's layers over an in-memory transport that
/// answers at once, so no network noise hides the layers' own work.
async fn layer_costs(calls: usize) {
    use auth0_core::retry::{RetryLayer, RetryPolicy};
    use auth0_core::telemetry::TelemetryLayer;
    use auth0_core::timeout::{DeadlineLayer, TimeoutLayer};
    use auth0_core::types::{BoxError, HttpRequest, HttpResponse};
    use tower::{Layer, Service, ServiceExt};

    let config = ClientConfig::new("tenant.auth0.com").unwrap();
    let noop = tower::service_fn(|_req: HttpRequest| async {
        Ok::<_, BoxError>(HttpResponse::new(Bytes::from_static(BODY)))
    });
    async fn time<S>(name: &str, svc: S, calls: usize)
    where
        S: Service<HttpRequest, Response = HttpResponse> + Clone,
        S::Error: std::fmt::Debug,
    {
        let start = Instant::now();
        for _ in 0..calls {
            let req = http::Request::get("https://tenant.auth0.com/x")
                .body(Bytes::new())
                .unwrap();
            let resp = svc.clone().oneshot(req).await.unwrap();
            std::hint::black_box(resp);
        }
        let ns = start.elapsed().as_nanos() as f64 / calls as f64;
        println!("  {name:<34} {ns:>8.0} ns/call");
    }
    println!("layer cost over an in-memory transport ({calls} calls each):");
    time("transport only", noop, calls).await;
    time(
        "+ telemetry",
        TelemetryLayer::from_config(&config).layer(noop),
        calls,
    )
    .await;
    time(
        "+ attempt timeout",
        TimeoutLayer::new(Duration::from_secs(30)).layer(noop),
        calls,
    )
    .await;
    time(
        "+ retry",
        RetryLayer::new(RetryPolicy::default()).layer(noop),
        calls,
    )
    .await;
    time(
        "+ deadline",
        DeadlineLayer::new(Duration::from_secs(90)).layer(noop),
        calls,
    )
    .await;
    time(
        "default stack (boxed)",
        auth0_core::stack::default_stack_over(&config, noop),
        calls,
    )
    .await;
    let client = auth0_core::client::ClientBuilder::with_transport(config, noop)
        .build()
        .unwrap();
    let start = Instant::now();
    for _ in 0..calls {
        let req = http::Request::get("/x").body(Bytes::new()).unwrap();
        std::hint::black_box(client.send(req).await.unwrap());
    }
    let ns = start.elapsed().as_nanos() as f64 / calls as f64;
    println!(
        "  {:<34} {ns:>8.0} ns/call",
        "Auth0Client::send (full stack)"
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this too,
    // with a tiny workload so it stays fast.
    let quick = !std::env::args().any(|a| a == "--bench");
    let total = if quick {
        200
    } else {
        env_usize("BENCH_REQUESTS", 20_000)
    };
    let concurrency = env_usize("BENCH_CONCURRENCY", 32).max(1);
    let rounds = if quick {
        1
    } else {
        env_usize("BENCH_ROUNDS", 3)
    };

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
        // Shared by reference, as an application would hold it; `send`
        // itself clones the service stack once per call.
        let sdk = Arc::new(Auth0Client::new(config).unwrap());

        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let bare: Client<HttpConnector, Full<Bytes>> =
            Client::builder(TokioExecutor::new()).build(connector);
        let bare_uri: http::Uri = format!("http://{addr}/.well-known/jwks.json").parse().unwrap();

        // Both clients get a pre-parsed URI per request, so neither pays
        // for URI parsing; the SDK still resolves its relative URI against
        // the domain.
        let sdk_uri: http::Uri = "/.well-known/jwks.json".parse().unwrap();
        let sdk_send = {
            let sdk = Arc::clone(&sdk);
            move || {
                let sdk = Arc::clone(&sdk);
                let uri = sdk_uri.clone();
                async move {
                    let req = http::Request::get(uri).body(Bytes::new()).unwrap();
                    let resp = sdk.send(req).await.unwrap();
                    assert_eq!(resp.body().len(), BODY.len());
                }
            }
        };
        let sdk_json = {
            let sdk = Arc::clone(&sdk);
            move || {
                let sdk = Arc::clone(&sdk);
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

        let only = std::env::var("BENCH_ONLY").unwrap_or_default();
        // Warm up the pools.
        if only != "bare" {
            drive(concurrency * 20, concurrency, sdk_send.clone()).await;
        }
        if only != "sdk" {
            drive(concurrency * 20, concurrency, bare_send.clone()).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;

        println!(
            "auth0-core http bench: {total} requests/run, concurrency {concurrency}, {rounds} rounds, current-thread client runtime"
        );
        if only.is_empty() || only == "layers" {
            layer_costs(if quick { 100 } else { 200_000 }).await;
        }
        if only == "layers" {
            return;
        }
        let mut ratios = Vec::new();
        let mut cpu_ratios = Vec::new();
        for round in 1..=rounds {
            if only == "sdk" {
                let sdk = drive(total, concurrency, sdk_send.clone()).await;
                println!("round {round}: SDK send {:>9.0} req/s", sdk.rps);
                continue;
            }
            if only == "bare" {
                let bare = drive(total, concurrency, bare_send.clone()).await;
                println!("round {round}: bare hyper {:>9.0} req/s", bare.rps);
                continue;
            }
            // Alternate in slices so a burst of other load on the machine
            // hits all three alike.
            let (mut bare, mut sdk, mut json) = (Totals::default(), Totals::default(), Totals::default());
            for _ in 0..SLICES {
                bare.add(drive(total / SLICES, concurrency, bare_send.clone()).await, total / SLICES);
                sdk.add(drive(total / SLICES, concurrency, sdk_send.clone()).await, total / SLICES);
                json.add(drive(total / SLICES, concurrency, sdk_json.clone()).await, total / SLICES);
            }
            let (bare, sdk, json) = (bare.run(), sdk.run(), json.run());
            let ratio = sdk.rps / bare.rps;
            ratios.push(ratio);
            println!(
                "round {round}: bare hyper {:>9.0} req/s | SDK send {:>9.0} req/s | SDK get_json {:>9.0} req/s | SDK/bare {ratio:.3}",
                bare.rps, sdk.rps, json.rps
            );
            if let (Some(b), Some(s), Some(j)) =
                (bare.cpu_us_per_req, sdk.cpu_us_per_req, json.cpu_us_per_req)
            {
                cpu_ratios.push(b / s);
                println!(
                    "         client CPU per request: bare {b:.2} us | SDK send {s:.2} us | SDK get_json {j:.2} us | bare/SDK {:.3}",
                    b / s
                );
            }
        }
        if !ratios.is_empty() {
            ratios.sort_by(f64::total_cmp);
            println!("median SDK/bare throughput ratio: {:.3}", ratios[ratios.len() / 2]);
        }
        if !cpu_ratios.is_empty() {
            cpu_ratios.sort_by(f64::total_cmp);
            println!(
                "median bare/SDK client-CPU ratio (SDK efficiency): {:.3}",
                cpu_ratios[cpu_ratios.len() / 2]
            );
        }
    });
}
