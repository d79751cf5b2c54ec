//! The client-side rate limiter under Auth0's rate limits, as a user runs
//! it: `Auth0Client` on the default stack with an adaptive
//! `ClientConfig::rate_limiter`, and `RateLimitLayer` composed by hand,
//! over the real transport to the local tenant (plain http on 127.0.0.1)
//! scripting Auth0's `x-ratelimit-*`/`Retry-After` answers. Under tokio's
//! paused clock, with a wall clock that moves with it: each request's
//! moment is recorded as it is handed to the transport (before any I/O),
//! so the assertions name virtual instants the limiter decided.
//!
//! * a request waiting for the limiter's permit holds no slot of the
//!   service below (a concurrency limit shared with other callers);
//! * a `429` stops the adaptive limiter whatever `x-ratelimit-remaining`
//!   says, until its `Retry-After` (or reset);
//! * requests in flight count against the window an answer describes,
//!   however they end.

// Helpers outside #[test] fns may unwrap too: this is test code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth0_core::client::ClientBuilder;
use auth0_core::config::ClientConfig;
use auth0_core::error::Error;
use auth0_core::rate_limit::{RateLimitLayer, RateLimiter};
use auth0_core::retry::RetryPolicy;
use auth0_core::transport::HttpTransport;
use auth0_core::types::{BoxError, HttpRequest, HttpResponse};
use auth0_local::{Fault, LocalTenant, RecordedRequest};
use bytes::Bytes;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tower::{Layer, Service, ServiceExt};

/// The wall clock's UNIX second when a test starts.
const NOW: u64 = 1_700_000_000;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A wall clock that starts at [`NOW`] and moves with tokio's (paused)
/// clock, so `x-ratelimit-reset` seconds and the limiter's waits agree.
fn wall_clock(base: Instant) -> impl Fn() -> SystemTime + Send + Sync + 'static {
    move || UNIX_EPOCH + secs(NOW) + base.elapsed()
}

/// Adaptive mode on the paused wall clock; no spacing of the window's last
/// requests, so only the counts and the waits the server asks for decide.
fn adaptive(base: Instant, max_wait: Duration) -> RateLimiter {
    RateLimiter::builder()
        .adaptive(true)
        .slow_down_below(0.0)
        .max_wait(max_wait)
        .clock(wall_clock(base))
        .build()
        .unwrap()
}

/// A tenant on plain http answering every request with `script(n, request)`
/// (`n` from 0).
async fn scripted(
    script: impl Fn(usize, &RecordedRequest) -> Fault + Send + Sync + 'static,
) -> LocalTenant {
    let tenant = LocalTenant::builder().plain_http().start().await.unwrap();
    let n = AtomicUsize::new(0);
    tenant.inject(
        Fault::respond_with(move |req| Some(script(n.fetch_add(1, Ordering::SeqCst), req)))
            .forever(),
    );
    tenant
}

/// An answer with Auth0's headers: `remaining` of `limit`, resetting
/// `reset_in` seconds after [`NOW`].
fn answer(status: u16, limit: u64, remaining: u64, reset_in: u64) -> Fault {
    Fault::reply(status, serde_json::json!({ "status": status }))
        .with_header("x-ratelimit-limit", limit.to_string())
        .with_header("x-ratelimit-remaining", remaining.to_string())
        .with_header("x-ratelimit-reset", (NOW + reset_in).to_string())
}

/// Auth0's refusal: `429` with the headers and a body.
fn refused(limit: u64, remaining: u64, reset_in: u64) -> Fault {
    Fault::reply(
        429,
        serde_json::json!({
            "statusCode": 429,
            "error": "Too Many Requests",
            "message": "Too many requests. Check the X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset headers.",
            "errorCode": "too_many_requests"
        }),
    )
    .with_header("x-ratelimit-limit", limit.to_string())
    .with_header("x-ratelimit-remaining", remaining.to_string())
    .with_header("x-ratelimit-reset", (NOW + reset_in).to_string())
}

/// Requests as they were handed to the transport: path and virtual offset.
type Log = Arc<Mutex<Vec<(String, Duration)>>>;

/// A user's transport wrapper recording each request's path and moment.
#[derive(Clone)]
struct Recorder<S> {
    inner: S,
    start: Instant,
    log: Log,
}

/// The real transport for `config`, recording each request it is handed
/// (moments counted from `start`), and the log it records into.
fn recording(config: &ClientConfig, start: Instant) -> (Recorder<HttpTransport>, Log) {
    let log: Log = Arc::default();
    let transport = Recorder {
        inner: HttpTransport::new(config).unwrap(),
        start,
        log: Arc::clone(&log),
    };
    (transport, log)
}

impl<S> Service<HttpRequest> for Recorder<S>
where
    S: Service<HttpRequest, Response = HttpResponse, Error = BoxError>,
{
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: HttpRequest) -> Self::Future {
        let path = req.uri().path().to_owned();
        self.log.lock().unwrap().push((path, self.start.elapsed()));
        self.inner.call(req)
    }
}

/// A user's concurrency limit (as `tower::limit::ConcurrencyLimit` does
/// it): `poll_ready` takes one of the shared slots, the call's response
/// gives it back. Clones share the slots.
struct Gate<S> {
    inner: S,
    slots: Arc<Semaphore>,
    held: Option<OwnedSemaphorePermit>,
    waiting: Mutex<Option<Pin<Box<dyn Future<Output = OwnedSemaphorePermit> + Send>>>>,
}

impl<S: Clone> Clone for Gate<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            slots: Arc::clone(&self.slots),
            held: None,
            waiting: Mutex::new(None),
        }
    }
}

impl<S> Gate<S> {
    fn new(inner: S, slots: usize) -> Self {
        Self {
            inner,
            slots: Arc::new(Semaphore::new(slots)),
            held: None,
            waiting: Mutex::new(None),
        }
    }
}

impl<S> Service<HttpRequest> for Gate<S>
where
    S: Service<HttpRequest, Response = HttpResponse, Error = BoxError>,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        if self.held.is_none() {
            let slots = Arc::clone(&self.slots);
            let waiting = self.waiting.get_mut().unwrap();
            let acquire = waiting.get_or_insert_with(|| {
                Box::pin(async move { slots.acquire_owned().await.unwrap() })
            });
            let permit = std::task::ready!(acquire.as_mut().poll(cx));
            *waiting = None;
            self.held = Some(permit);
        }
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: HttpRequest) -> Self::Future {
        let slot = self.held.take();
        let call = self.inner.call(req);
        Box::pin(async move {
            let res = call.await;
            drop(slot);
            res
        })
    }
}

fn get(path: &str) -> HttpRequest {
    http::Request::get(path).body(Bytes::new()).unwrap()
}

/// The tenant's config: its domain, no retries (each call is one request,
/// so the log shows the limiter's decisions alone).
fn config_for(server: &LocalTenant, limiter: Option<RateLimiter>) -> ClientConfig {
    let builder = server.client_config().retry_policy(RetryPolicy::disabled());
    match limiter {
        Some(limiter) => builder.rate_limiter(limiter),
        None => builder,
    }
    .build()
    .unwrap()
}

fn sent(log: &Log) -> Vec<(String, Duration)> {
    log.lock().unwrap().clone()
}

/// Two clients share one connection slot (the user's concurrency limit
/// below the default stack). The rate-limited client's call waits for its
/// limiter (none left for 20 s); meanwhile the other client's call gets the
/// slot at once — the waiting call holds no slot until it has its permit.
#[tokio::test(start_paused = true)]
async fn a_call_waiting_for_its_permit_holds_no_slot_below() {
    let start = Instant::now();
    let server = scripted(|n, _| match n {
        // The limited client's first call: none left until +20 s.
        0 => answer(200, 10, 0, 20),
        _ => answer(200, 10, 9, 40),
    })
    .await;
    let limiter = adaptive(start, secs(60));
    let limited_config = config_for(&server, Some(limiter));
    let (transport, log) = recording(&limited_config, start);
    let gate = Gate::new(transport, 1);
    let limited = ClientBuilder::with_transport(limited_config, gate.clone())
        .build()
        .unwrap();
    let other = ClientBuilder::with_transport(config_for(&server, None), gate)
        .build()
        .unwrap();

    limited.send(get("/api/v2/first")).await.unwrap();
    let waiting = tokio::spawn({
        let limited = limited.clone();
        async move { limited.send(get("/api/v2/limited")).await }
    });
    tokio::task::yield_now().await;
    other.send(get("/api/v2/other")).await.unwrap();
    waiting.await.unwrap().unwrap();
    assert_eq!(
        sent(&log),
        [
            ("/api/v2/first".to_owned(), secs(0)),
            ("/api/v2/other".to_owned(), secs(0)),
            ("/api/v2/limited".to_owned(), secs(20)),
        ]
    );
}

/// The same with `RateLimitLayer` composed by hand over the shared slot.
#[tokio::test(start_paused = true)]
async fn a_layered_call_waiting_for_its_permit_holds_no_slot_below() {
    let start = Instant::now();
    let server = scripted(|n, _| match n {
        0 => answer(200, 10, 0, 20),
        _ => answer(200, 10, 9, 40),
    })
    .await;
    let config = config_for(&server, None);
    let (transport, log) = recording(&config, start);
    let gate = Gate::new(transport, 1);
    let limited = RateLimitLayer::new(adaptive(start, secs(60))).layer(gate.clone());
    let url = |path: &str| format!("http://{}{path}", server.addr());

    limited
        .clone()
        .oneshot(get(&url("/api/v2/first")))
        .await
        .unwrap();
    let waiting = tokio::spawn(limited.oneshot(get(&url("/api/v2/limited"))));
    tokio::task::yield_now().await;
    gate.oneshot(get(&url("/api/v2/other"))).await.unwrap();
    waiting.await.unwrap().unwrap();
    assert_eq!(
        sent(&log),
        [
            ("/api/v2/first".to_owned(), secs(0)),
            ("/api/v2/other".to_owned(), secs(0)),
            ("/api/v2/limited".to_owned(), secs(20)),
        ]
    );
}

/// Auth0 answers `429` for a per-endpoint or burst limit while the
/// tenant's `x-ratelimit-remaining` still shows room. The adaptive limiter
/// takes the `429` at its word: nothing more goes until its `Retry-After`
/// (3 s), then one request, and the others once its answer shows room.
#[tokio::test(start_paused = true)]
async fn a_429_with_requests_remaining_holds_the_next_calls_until_retry_after() {
    let start = Instant::now();
    let server = scripted(|n, _| match n {
        0 => refused(50, 40, 60).with_header("retry-after", "3"),
        _ => answer(200, 50, 39, 61),
    })
    .await;
    let config = config_for(&server, Some(adaptive(start, secs(60))));
    let (transport, log) = recording(&config, start);
    let client = ClientBuilder::with_transport(config, transport)
        .build()
        .unwrap();

    let err = client
        .get_json::<serde_json::Value>("/api/v2/users")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RateLimited(_)), "{err:?}");
    let calls: Vec<_> = (0..3)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { client.send(get(&format!("/api/v2/users/{i}"))).await })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap().status(), 200);
    }
    let at: Vec<Duration> = sent(&log).into_iter().map(|(_, t)| t).collect();
    assert_eq!(at, [secs(0), secs(3), secs(3), secs(3)]);
}

/// Auth0's limits are token buckets: every answer names a later reset, so
/// each describes a "newer" window. With 2 of 10 left, five calls at once:
/// two go; the first answer (1 left) comes while the second request is
/// still in flight, which that 1 is for — no third request may go on it.
/// The other three wait for the reset.
#[tokio::test(start_paused = true)]
async fn requests_in_flight_count_against_a_newer_window() {
    let start = Instant::now();
    let server = scripted(move |n, _| match n {
        // Before the burst: 2 of 10 left, full again in 20 s.
        0 => answer(200, 10, 2, 20),
        // The burst's first two requests, answered after 1 s and 2 s.
        1 => answer(200, 10, 1, 21).with_head_delay(secs(1)),
        2 => answer(200, 10, 0, 22).with_head_delay(secs(2)),
        // Nothing left before the reset named last; full again after it.
        _ if start.elapsed() < secs(22) => refused(10, 0, 22),
        _ => answer(200, 10, 9, 42),
    })
    .await;
    let config = config_for(&server, Some(adaptive(start, secs(60))));
    let (transport, log) = recording(&config, start);
    let client = ClientBuilder::with_transport(config, transport)
        .build()
        .unwrap();

    client.send(get("/api/v2/probe")).await.unwrap();
    let calls: Vec<_> = (0..5)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { client.send(get(&format!("/api/v2/users/{i}"))).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for call in calls {
        statuses.push(call.await.unwrap().map(|res| res.status().as_u16()));
    }
    let at: Vec<Duration> = sent(&log).into_iter().map(|(_, t)| t).collect();
    assert_eq!(
        at,
        [secs(0), secs(0), secs(0), secs(22), secs(22), secs(22)]
    );
    assert!(
        statuses.iter().all(|s| matches!(s, Ok(200))),
        "{statuses:?}"
    );
}

/// Requests in flight leave the count however they end: one whose
/// connection the server drops, one whose caller gives up (its task
/// aborted while the server holds it). Both are counted off the window
/// (the server may have counted them), and neither holds a place in it
/// after: at the reset, the window's full `limit` goes at once.
#[tokio::test(start_paused = true)]
async fn failed_and_abandoned_requests_leave_the_in_flight_count() {
    let start = Instant::now();
    let server = scripted(|n, req| match req.path() {
        "/api/v2/fails" => Fault::drop_connection(),
        "/api/v2/hangs" => answer(200, 2, 0, 20).with_head_delay(secs(3_600)),
        // Before: 2 of 2 left until +20 s; after the reset, room again.
        _ if n == 0 => answer(200, 2, 2, 20),
        _ => answer(200, 2, 1, 40),
    })
    .await;
    let config = config_for(&server, Some(adaptive(start, secs(60))));
    let (transport, log) = recording(&config, start);
    let client = ClientBuilder::with_transport(config, transport)
        .build()
        .unwrap();

    client.send(get("/api/v2/probe")).await.unwrap();
    let hangs = tokio::spawn({
        let client = client.clone();
        async move { client.send(get("/api/v2/hangs")).await }
    });
    let err = client.send(get("/api/v2/fails")).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(sent(&log).len(), 3, "both went while the window had room");
    hangs.abort();
    assert!(hangs.await.unwrap_err().is_cancelled());
    let calls: Vec<_> = (0..2)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { client.send(get(&format!("/api/v2/users/{i}"))).await })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap().status(), 200);
    }
    let at: Vec<Duration> = sent(&log).into_iter().map(|(_, t)| t).collect();
    assert_eq!(at, [secs(0), secs(0), secs(0), secs(20), secs(20)]);
}

/// A `429` that names only its `Retry-After` (no `x-ratelimit-*`
/// headers) still stops the limiter until then; composed by hand with
/// `RateLimitLayer`.
#[tokio::test(start_paused = true)]
async fn a_429_with_only_retry_after_holds_the_next_call() {
    let start = Instant::now();
    let server = scripted(|n, _| match n {
        0 => Fault::reply(429, serde_json::json!({ "error": "too_many_requests" }))
            .with_header("retry-after", "2"),
        _ => Fault::reply(200, serde_json::json!({})),
    })
    .await;
    let config = config_for(&server, None);
    let (transport, log) = recording(&config, start);
    let svc = RateLimitLayer::new(adaptive(start, secs(60))).layer(transport);
    let url = format!("http://{}/api/v2/users", server.addr());
    let first = svc.clone().oneshot(get(&url)).await.unwrap();
    assert_eq!(first.status(), 429);
    let second = svc.oneshot(get(&url)).await.unwrap();
    assert_eq!(second.status(), 200);
    let at: Vec<Duration> = sent(&log).into_iter().map(|(_, t)| t).collect();
    assert_eq!(at, [secs(0), secs(2)]);
}
