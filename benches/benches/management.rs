//! The Management client against bare hyper + serde and against reqwest +
//! serde, decoding into the same generated models, same server, same run.
//!
//! ```text
//! cargo bench --manifest-path benches/Cargo.toml --bench management
//! # or: cargo xtask bench http   (after auth0-core's own http bench)
//! ```
//!
//! A purpose-built HTTP/1.1 server on 127.0.0.1 (its own thread and
//! runtime, keep-alive, answers precomputed bytes) serves two routes:
//!
//! * `GET /api/v2/connections?take=50`: a checkpoint page of 50 realistic
//!   connections (~30 KB), decoded into `ListConnectionsResponseContent`;
//! * `GET /api/v2/connections/{id}`: one connection, decoded into
//!   `GetConnectionResponseContent`.
//!
//! Contenders, each decoding the body into those models:
//!
//! * **sdk**: `ManagementClient` with a static token on the default stack
//!   (deadline, retry, timeout, telemetry, transport): `connections().list`
//!   and `connections().get`;
//! * **bare**: a hyper-util legacy client, the same headers, the body
//!   collected and `serde_json::from_slice` into the model;
//! * **reqwest**: reqwest (plain HTTP), `.bytes()` then `from_slice`.
//!
//! Each runs with 1 task and with 8 concurrent tasks on one current-thread
//! runtime (so the thread's CPU time is the client's whole cost, which other
//! load on a shared machine barely disturbs); rounds interleave the
//! contenders. Printed: requests/s (wall) and CPU µs per request, medians
//! over rounds, and each contender's ratio to bare hyper (throughput, i.e.
//! bare CPU per request / contender CPU per request), the median of the
//! per-round ratios. `TARGET MISSED` lines
//! name a target the SDK misses: ≥ 0.95× bare at 1 task, ≥ 0.92× at 8 tasks,
//! ahead of reqwest.
//!
//! Before the rounds, each contender's heap allocations per call (1 task,
//! counted on the client's thread by a counting global allocator; the
//! server's thread is not counted) are printed as `ALLOCS` lines.
//!
//! Knobs: `BENCH_REQUESTS` per task and round (default 2000),
//! `BENCH_ROUNDS` (default 11), `BENCH_ONLY=sdk|bare|reqwest` (one
//! contender, for a profiler), `BENCH_ROUTE=list|get` (one route).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use auth0_benches::management_server::{CONNECTION_ID, TOKEN, bodies, start_server};
use auth0_core::{Auth0Client, ClientConfig};
use auth0_management::ManagementClient;
use auth0_management::api::{ConnectionsGetParams, ConnectionsListParams};
use auth0_management::models::{GetConnectionResponseContent, ListConnectionsResponseContent};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// The system allocator, counting the allocations made on the current
/// thread (a `const` thread-local `Cell`: no allocation, no destructor).
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to `System` unchanged; the counter is a
// plain thread-local cell.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is passed on to `System`.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU time of the calling thread so far, in nanoseconds (Linux).
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Route {
    List,
    Get,
}

#[derive(Clone)]
enum Contender {
    Sdk(ManagementClient),
    Bare(Client<HttpConnector, Empty<Bytes>>, String),
    Reqwest(reqwest::Client, String),
}

type Call<'a> = Pin<Box<dyn Future<Output = usize> + 'a>>;

impl Contender {
    fn name(&self) -> &'static str {
        match self {
            Contender::Sdk(_) => "sdk",
            Contender::Bare(..) => "bare",
            Contender::Reqwest(..) => "reqwest",
        }
    }

    /// One call; returns the number of connections decoded (so the work
    /// cannot be optimised away and every contender is checked).
    fn call(&self, route: Route) -> Call<'_> {
        Box::pin(async move {
            match self {
                Contender::Sdk(auth0) => match route {
                    Route::List => {
                        let page = auth0
                            .connections()
                            .list(&ConnectionsListParams::new().take(50))
                            .await
                            .unwrap();
                        list_len(&page)
                    }
                    Route::Get => {
                        let c = auth0
                            .connections()
                            .get(CONNECTION_ID, &ConnectionsGetParams::new())
                            .await
                            .unwrap();
                        usize::from(c.id.is_some())
                    }
                },
                Contender::Bare(client, base) => {
                    let uri = uri(base, route);
                    let request = http::Request::get(uri)
                        .header(http::header::AUTHORIZATION, format!("Bearer {TOKEN}"))
                        .header(http::header::ACCEPT, "application/json")
                        .body(Empty::<Bytes>::new())
                        .unwrap();
                    let response = client.request(request).await.unwrap();
                    assert!(response.status().is_success());
                    let body = response.into_body().collect().await.unwrap().to_bytes();
                    decode(&body, route)
                }
                Contender::Reqwest(client, base) => {
                    let response = client
                        .get(uri(base, route))
                        .bearer_auth(TOKEN)
                        .header(http::header::ACCEPT, "application/json")
                        .send()
                        .await
                        .unwrap();
                    assert!(response.status().is_success());
                    let body = response.bytes().await.unwrap();
                    decode(&body, route)
                }
            }
        })
    }
}

fn uri(base: &str, route: Route) -> String {
    match route {
        Route::List => format!("{base}/api/v2/connections?take=50"),
        Route::Get => format!("{base}/api/v2/connections/{CONNECTION_ID}"),
    }
}

fn list_len(page: &ListConnectionsResponseContent) -> usize {
    match page {
        ListConnectionsResponseContent::Array(items) => items.len(),
        ListConnectionsResponseContent::Offset(p) => p.connections.as_ref().map_or(0, Vec::len),
        ListConnectionsResponseContent::Checkpoint(p) => p.connections.as_ref().map_or(0, Vec::len),
        _ => 0,
    }
}

fn decode(body: &[u8], route: Route) -> usize {
    match route {
        Route::List => {
            list_len(&serde_json::from_slice::<ListConnectionsResponseContent>(body).unwrap())
        }
        Route::Get => {
            let c: GetConnectionResponseContent = serde_json::from_slice(body).unwrap();
            usize::from(c.id.is_some())
        }
    }
}

struct Sample {
    rps: f64,
    cpu_us: Option<f64>,
}

/// `tasks` concurrent tasks on this (current-thread) runtime, `per_task`
/// calls each.
async fn measure(contender: &Contender, route: Route, tasks: usize, per_task: usize) -> Sample {
    let expected = if route == Route::List { 50 } else { 1 };
    let cpu0 = thread_cpu_ns();
    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..tasks {
        let c = contender.clone();
        set.spawn_local(async move {
            for _ in 0..per_task {
                assert_eq!(
                    c.call(route).await,
                    expected,
                    "{} decoded wrongly",
                    c.name()
                );
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    let n = (tasks * per_task) as f64;
    let cpu_us = match (cpu0, thread_cpu_ns()) {
        (Some(a), Some(b)) => Some((b - a) as f64 / 1_000.0 / n),
        _ => None,
    };
    Sample {
        rps: n / secs,
        cpu_us,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let per_task_total = env_usize("BENCH_REQUESTS", 2000);
    let rounds = env_usize("BENCH_ROUNDS", 11).max(1);
    let only = std::env::var("BENCH_ONLY").ok();
    let bodies = bodies();
    let addr = start_server(&bodies);
    let base = format!("http://{addr}");
    println!(
        "management http bench: list = {} bytes (50 connections), get = {} bytes; {rounds} rounds",
        bodies.list.len(),
        bodies.get.len()
    );

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let config = ClientConfig::builder()
            .domain(base.clone())
            .allow_insecure_loopback(true)
            .build()
            .unwrap();
        let sdk = ManagementClient::builder(Auth0Client::new(config).unwrap())
            .token(TOKEN)
            .build()
            .unwrap();
        {
            // The state every SDK call carries (moved and boxed with it).
            let params = ConnectionsGetParams::new();
            let connections = sdk.connections();
            let get = connections.get(CONNECTION_ID, &params);
            println!(
                "sdk `connections().get` future: {} bytes",
                std::mem::size_of_val(&get)
            );
        }
        let bare = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
        let reqwest = reqwest::Client::builder().build().unwrap();
        let mut contenders = vec![
            Contender::Sdk(sdk),
            Contender::Bare(bare, base.clone()),
            Contender::Reqwest(reqwest, base.clone()),
        ];
        if let Some(only) = &only {
            contenders.retain(|c| c.name() == only);
        }
        let mut missed = Vec::new();
        let routes = match std::env::var("BENCH_ROUTE").as_deref() {
            Ok("list") => vec![Route::List],
            Ok("get") => vec![Route::Get],
            _ => vec![Route::List, Route::Get],
        };
        for &route in &routes {
            // Allocations (and reallocations) per call, warm, 1 task.
            let calls = 200;
            for c in &contenders {
                measure(c, route, 1, calls).await;
                let before = allocations();
                measure(c, route, 1, calls).await;
                let per_call = (allocations() - before) as f64 / calls as f64;
                let label = if route == Route::List { "list" } else { "get" };
                println!(
                    "ALLOCS {label} {:<8} {per_call:.1} allocations per call",
                    c.name()
                );
            }
        }
        for route in routes {
            for tasks in [1usize, 8] {
                let per_task = (per_task_total / tasks).max(1);
                let per_task = if route == Route::List {
                    per_task / 4
                } else {
                    per_task
                }
                .max(1);
                // Warm up: connections, token header, allocator.
                for c in &contenders {
                    measure(c, route, tasks, (per_task / 10).max(1)).await;
                }
                let mut rps: Vec<Vec<f64>> = vec![Vec::new(); contenders.len()];
                let mut cpu: Vec<Vec<f64>> = vec![Vec::new(); contenders.len()];
                for round in 0..rounds {
                    // Interleave, rotating who goes first.
                    for k in 0..contenders.len() {
                        let i = (k + round) % contenders.len();
                        let s = measure(&contenders[i], route, tasks, per_task).await;
                        rps[i].push(s.rps);
                        if let Some(c) = s.cpu_us {
                            cpu[i].push(c);
                        }
                    }
                }
                let label = match route {
                    Route::List => "list (GET /connections, 50 items)",
                    Route::Get => "get  (GET /connections/{id})",
                };
                println!("\n{label}, {tasks} task(s), {per_task} calls per task per round:");
                let bare_i = contenders.iter().position(|c| c.name() == "bare");
                // Ratios per round (each contender against bare hyper of the
                // same round), then their median: a drift of the machine's
                // speed during the run cancels within a round instead of
                // moving one contender's median and not the other's.
                let per_round = |num: &[f64], den: &[f64]| {
                    (num.len() == den.len() && !num.is_empty())
                        .then(|| median(num.iter().zip(den).map(|(n, d)| n / d).collect()))
                };
                let mut ratios = Vec::new();
                for (i, c) in contenders.iter().enumerate() {
                    let r = median(rps[i].clone());
                    let cu = (!cpu[i].is_empty()).then(|| median(cpu[i].clone()));
                    let wall_ratio = bare_i.and_then(|b| per_round(&rps[i], &rps[b]));
                    let cpu_ratio = bare_i.and_then(|b| per_round(&cpu[b], &cpu[i]));
                    println!(
                        "  {:<8} {:>9.0} req/s  {:>8} µs CPU/req   vs bare: {} wall, {} CPU",
                        c.name(),
                        r,
                        cu.map_or("-".to_owned(), |c| format!("{c:.1}")),
                        wall_ratio.map_or("-".to_owned(), |x| format!("{x:.3}×")),
                        cpu_ratio.map_or("-".to_owned(), |x| format!("{x:.3}×")),
                    );
                    ratios.push((c.name(), cpu_ratio.or(wall_ratio)));
                }
                let get = |n: &str| ratios.iter().find(|(m, _)| *m == n).and_then(|(_, r)| *r);
                if let Some(sdk) = get("sdk") {
                    let target = if tasks == 1 { 0.95 } else { 0.92 };
                    println!(
                        "RATIO sdk/bare {label} {tasks} task(s): {sdk:.3} (target ≥ {target})"
                    );
                    if sdk < target {
                        missed.push(format!(
                            "{label}, {tasks} task(s): sdk {sdk:.3}× bare < {target}"
                        ));
                    }
                    if let Some(rq) = get("reqwest") {
                        println!("RATIO reqwest/bare {label} {tasks} task(s): {rq:.3}");
                        if sdk < rq {
                            missed.push(format!(
                                "{label}, {tasks} task(s): sdk {sdk:.3}× behind reqwest {rq:.3}×"
                            ));
                        }
                    }
                }
            }
        }
        for m in &missed {
            println!("TARGET MISSED: {m}");
        }
    });
}
