//! The adaptive rate limiter as a provisioning service leans on it: many
//! calls queued behind one tenant limit, released when the server says
//! there is room and no faster than it says, in arrival order, never all at
//! once when a wait is cut short; and a `429`'s `RateLimitError::reset_at`
//! naming the wait the retry layer used. Under tokio's paused clock, with a
//! wall clock that moves with it, through `RateLimiter`, `RateLimitLayer`
//! and `Auth0Client` over scripted services.

// Helpers outside #[test] fns may unwrap too: this is test code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth0_core::client::ClientBuilder;
use auth0_core::config::ClientConfig;
use auth0_core::error::{Error, RetryAdvice};
use auth0_core::rate_limit::{RateLimitLayer, RateLimiter};
use auth0_core::retry::RetryPolicy;
use auth0_core::types::{BoxError, HttpRequest, HttpResponse};
use bytes::Bytes;
use http::StatusCode;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tower::{Layer, ServiceExt, service_fn};

/// The wall clock's UNIX second when a test starts.
const NOW: u64 = 1_700_000_000;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A wall clock that starts at [`NOW`] and moves with tokio's (paused)
/// clock, so `x-ratelimit-reset` seconds and waits agree.
fn wall_clock() -> impl Fn() -> SystemTime + Send + Sync + 'static {
    let base = Instant::now();
    move || UNIX_EPOCH + secs(NOW) + base.elapsed()
}

/// Adaptive mode only, the default 10 s cap, on the paused wall clock;
/// no spacing of the window's last requests (that has its own test), so
/// only the "none left" rule and the counts decide.
fn adaptive() -> RateLimiter {
    RateLimiter::builder()
        .adaptive(true)
        .slow_down_below(0.0)
        .clock(wall_clock())
        .build()
        .unwrap()
}

fn answer(status: StatusCode, headers: &[(&'static str, String)]) -> HttpResponse {
    let mut res = HttpResponse::new(Bytes::new());
    *res.status_mut() = status;
    for (name, value) in headers {
        res.headers_mut().insert(*name, value.parse().unwrap());
    }
    res
}

/// Auth0's headers: `limit`, `remaining`, and a reset `reset_in` seconds
/// after [`NOW`].
fn window(limit: u64, remaining: u64, reset_in: u64) -> Vec<(&'static str, String)> {
    vec![
        ("x-ratelimit-limit", limit.to_string()),
        ("x-ratelimit-remaining", remaining.to_string()),
        ("x-ratelimit-reset", (NOW + reset_in).to_string()),
    ]
}

fn headers(pairs: &[(&'static str, String)]) -> http::HeaderMap {
    answer(StatusCode::OK, pairs).headers().clone()
}

/// Starts `n` callers of `acquire`, in this order, each queued before the
/// next starts; each records its index and when its turn came.
async fn queue(
    limiter: &RateLimiter,
    n: usize,
) -> (Vec<JoinHandle<()>>, Arc<Mutex<Vec<(usize, Duration)>>>) {
    let start = Instant::now();
    let went: Arc<Mutex<Vec<(usize, Duration)>>> = Arc::default();
    let mut tasks = Vec::new();
    for i in 0..n {
        let limiter = limiter.clone();
        let went = Arc::clone(&went);
        tasks.push(tokio::spawn(async move {
            limiter.acquire().await;
            went.lock().unwrap().push((i, start.elapsed()));
        }));
        // Let it reach the queue before the next one starts.
        tokio::task::yield_now().await;
    }
    (tasks, went)
}

fn went_at(went: &Mutex<Vec<(usize, Duration)>>) -> Vec<(usize, Duration)> {
    went.lock().unwrap().clone()
}

/// A caller waiting for the window's reset goes as soon as a newer answer
/// (a later window) says requests are left, not at the old reset.
#[tokio::test(start_paused = true)]
async fn a_waiter_goes_when_a_newer_window_has_room() {
    let limiter = adaptive();
    limiter.observe(&headers(&window(10, 0, 5)));
    let (tasks, went) = queue(&limiter, 1).await;
    tokio::time::sleep(secs(1)).await;
    assert!(went_at(&went).is_empty(), "nothing is left until the reset");
    limiter.observe(&headers(&window(10, 3, 6)));
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(went_at(&went), [(0, secs(1))]);
}

/// The same through `RateLimitLayer`: call 0 is in flight (its answer
/// comes a second later, from a newer window with 3 left) when call 1 is
/// told "none left until +5"; call 2, sent after call 1's answer, goes as
/// soon as call 0's answer is in.
#[tokio::test(start_paused = true)]
async fn a_layered_call_goes_when_an_answer_in_flight_says_there_is_room() {
    let start = Instant::now();
    let sent: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let log = Arc::clone(&sent);
    let api = service_fn(move |_req: HttpRequest| {
        let n = {
            let mut s = log.lock().unwrap();
            s.push(start.elapsed());
            s.len() - 1
        };
        async move {
            let headers = match n {
                0 => {
                    tokio::time::sleep(secs(1)).await;
                    window(10, 3, 6)
                }
                1 => window(10, 0, 5),
                _ => window(10, 2, 6),
            };
            Ok::<_, BoxError>(answer(StatusCode::OK, &headers))
        }
    });
    let svc = RateLimitLayer::new(adaptive()).layer(api);
    let in_flight = tokio::spawn(svc.clone().oneshot(HttpRequest::new(Bytes::new())));
    tokio::task::yield_now().await;
    svc.clone()
        .oneshot(HttpRequest::new(Bytes::new()))
        .await
        .unwrap();
    svc.oneshot(HttpRequest::new(Bytes::new())).await.unwrap();
    in_flight.await.unwrap().unwrap();
    assert_eq!(*sent.lock().unwrap(), [secs(0), secs(0), secs(1)]);
}

/// A newer window with room for two releases two of five waiters, in
/// arrival order; the rest keep waiting for more room.
#[tokio::test(start_paused = true)]
async fn room_for_two_releases_two_in_order() {
    let limiter = adaptive();
    limiter.observe(&headers(&window(10, 0, 30)));
    let (_tasks, went) = queue(&limiter, 5).await;
    tokio::time::sleep(secs(1)).await;
    limiter.observe(&headers(&window(10, 2, 31)));
    tokio::time::sleep(secs(1)).await;
    assert_eq!(went_at(&went), [(0, secs(1)), (1, secs(1))]);
    // The next answer (same window, none left) changes nothing.
    limiter.observe(&headers(&window(10, 0, 31)));
    tokio::time::sleep(secs(1)).await;
    assert_eq!(went_at(&went).len(), 2);
    // A later window with room for all of them: the other three, in order.
    limiter.observe(&headers(&window(10, 9, 32)));
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(
        went_at(&went),
        [
            (0, secs(1)),
            (1, secs(1)),
            (2, secs(3)),
            (3, secs(3)),
            (4, secs(3))
        ]
    );
}

/// A caller held back to spread the window's last requests goes at once
/// when a newer window has plenty of room.
#[tokio::test(start_paused = true)]
async fn a_spaced_caller_goes_when_a_newer_window_has_room() {
    let limiter = RateLimiter::builder()
        .adaptive(true)
        .clock(wall_clock())
        .build()
        .unwrap();
    // 2 of 10 left for 20 s: one now, the next after 10 s.
    limiter.observe(&headers(&window(10, 2, 20)));
    limiter.acquire().await;
    let (tasks, went) = queue(&limiter, 1).await;
    tokio::time::sleep(secs(1)).await;
    limiter.observe(&headers(&window(10, 8, 21)));
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(went_at(&went), [(0, secs(1))]);
}

/// When the 10 s cap ends the wait for a far reset (the server said "none
/// left" and nothing newer came), one caller goes; the others do not all
/// follow it at once: each waits its own turn at the head of the queue.
#[tokio::test(start_paused = true)]
async fn the_cap_releases_one_caller_at_a_time() {
    let limiter = adaptive();
    limiter.observe(&headers(&window(10, 0, 3_600)));
    let (tasks, went) = queue(&limiter, 4).await;
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        went_at(&went),
        [(0, secs(10)), (1, secs(20)), (2, secs(30)), (3, secs(40))]
    );
}

/// Through the layer: four calls queued behind "none left for an hour".
/// The first goes at the cap; its answer (one second later) is a newer
/// window with room, and the other three follow it at once.
#[tokio::test(start_paused = true)]
async fn the_capped_callers_answer_releases_the_others() {
    let start = Instant::now();
    let sent: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let log = Arc::clone(&sent);
    let api = service_fn(move |_req: HttpRequest| {
        let n = {
            let mut s = log.lock().unwrap();
            s.push(start.elapsed());
            s.len() - 1
        };
        async move {
            let (status, headers) = match n {
                0 => (StatusCode::TOO_MANY_REQUESTS, window(10, 0, 3_600)),
                1 => {
                    tokio::time::sleep(secs(1)).await;
                    (StatusCode::OK, window(10, 9, 3_601))
                }
                _ => (StatusCode::OK, window(10, 8, 3_601)),
            };
            Ok::<_, BoxError>(answer(status, &headers))
        }
    });
    let svc = RateLimitLayer::new(adaptive()).layer(api);
    svc.clone()
        .oneshot(HttpRequest::new(Bytes::new()))
        .await
        .unwrap();
    let calls: Vec<_> = (0..4)
        .map(|_| tokio::spawn(svc.clone().oneshot(HttpRequest::new(Bytes::new()))))
        .collect();
    for c in calls {
        c.await.unwrap().unwrap();
    }
    assert_eq!(
        *sent.lock().unwrap(),
        [secs(0), secs(10), secs(11), secs(11), secs(11)]
    );
}

/// At the reset the server's window refills to its `limit`, no more: of
/// five callers waiting for it, three go; the others wait for an answer
/// saying there is more room (or their own cap).
#[tokio::test(start_paused = true)]
async fn the_reset_releases_no_more_than_the_limit() {
    let limiter = adaptive();
    limiter.observe(&headers(&window(3, 0, 2)));
    let (_tasks, went) = queue(&limiter, 5).await;
    tokio::time::sleep(secs(3)).await;
    assert_eq!(went_at(&went), [(0, secs(2)), (1, secs(2)), (2, secs(2))]);
    // The first answer of the new window: one left.
    limiter.observe(&headers(&window(3, 1, 4)));
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(went_at(&went).len(), 4);
    assert_eq!(went_at(&went)[3], (3, secs(3)));
}

/// With no answer describing the new window, the refilled one is taken to
/// last one `max_wait`: at most `limit` requests per `max_wait` go, and
/// none waits for ever.
#[tokio::test(start_paused = true)]
async fn with_no_news_the_window_refills_every_max_wait() {
    let limiter = adaptive();
    limiter.observe(&headers(&window(2, 0, 1)));
    let (tasks, went) = queue(&limiter, 5).await;
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        went_at(&went),
        [
            (0, secs(1)),
            (1, secs(1)),
            (2, secs(11)),
            (3, secs(11)),
            (4, secs(21))
        ]
    );
}

/// A 429's `Retry-After` (one request allowed again in a second; the
/// bucket full only in 30 s) lets one waiting caller through then, not the
/// whole queue; the others wait for more room.
#[tokio::test(start_paused = true)]
async fn retry_after_lets_one_caller_through() {
    let limiter = adaptive();
    let mut refused = window(10, 0, 30);
    refused.push(("retry-after", "1".to_owned()));
    limiter.observe(&headers(&refused));
    let (_tasks, went) = queue(&limiter, 3).await;
    tokio::time::sleep(secs(5)).await;
    assert_eq!(went_at(&went), [(0, secs(1))]);
    // Its answer: a token again, in a later window.
    limiter.observe(&headers(&window(10, 1, 31)));
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(went_at(&went), [(0, secs(1)), (1, secs(5))]);
}

/// A waiter dropped while it waits (a deadline, a cancelled task) frees its
/// place: the room a newer answer brings goes to the next in line, and the
/// next head's cap counts from when it reached the head.
#[tokio::test(start_paused = true)]
async fn a_dropped_waiter_frees_its_place() {
    let limiter = adaptive();
    limiter.observe(&headers(&window(10, 0, 3_600)));
    let (mut tasks, went) = queue(&limiter, 3).await;
    tokio::time::sleep(secs(4)).await;
    let head = tasks.remove(0);
    head.abort();
    assert!(head.await.unwrap_err().is_cancelled());
    limiter.observe(&headers(&window(10, 1, 3_601)));
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(went_at(&went), [(1, secs(4))]);
    // Caller 2 became the head at 4 s: its cap ends at 14 s.
    tokio::time::sleep(secs(20)).await;
    assert_eq!(went_at(&went), [(1, secs(4)), (2, secs(14))]);
}

/// When each attempt was sent, from the test's start.
type Sent = Arc<Mutex<Vec<Duration>>>;

type Transport = tower::util::BoxCloneSyncService<HttpRequest, HttpResponse, BoxError>;

/// A scripted transport for `Auth0Client`: every call answers 429 with
/// `Retry-After: 2` and an `x-ratelimit-reset` 10 minutes away (Auth0
/// sends both: the bucket refills later than the next request is
/// allowed); records when each attempt was sent.
fn refusing_transport(retry_after: u64, reset_in: u64) -> (Transport, Sent) {
    let start = Instant::now();
    let sent: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let log = Arc::clone(&sent);
    let svc = service_fn(move |_req: HttpRequest| {
        log.lock().unwrap().push(start.elapsed());
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let mut headers = vec![
            ("x-ratelimit-limit", "50".to_owned()),
            ("x-ratelimit-remaining", "0".to_owned()),
            ("x-ratelimit-reset", (now + reset_in).to_string()),
            ("retry-after", retry_after.to_string()),
        ];
        headers.push(("content-type", "application/json".to_owned()));
        std::future::ready(Ok::<_, BoxError>(answer(
            StatusCode::TOO_MANY_REQUESTS,
            &headers,
        )))
    });
    (Transport::new(svc), sent)
}

fn one_retry() -> RetryPolicy {
    RetryPolicy::builder()
        .max_retries(1)
        .max_wait(secs(10))
        .without_budget()
        .build()
        .unwrap()
}

fn now_secs() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// A 429 with both `Retry-After` and a later `x-ratelimit-reset`: the retry
/// layer waits `Retry-After`, and the `RateLimitError` it ends in names the
/// same moment — `reset_at`, `until_reset` and `RetryAdvice::RetryAt` —
/// not the bucket's full refill ten minutes on.
#[tokio::test(start_paused = true)]
async fn rate_limit_error_names_the_wait_the_retry_layer_used() {
    let (transport, sent) = refusing_transport(2, 600);
    let config = ClientConfig::builder()
        .domain("tenant.auth0.com")
        .retry_policy(one_retry())
        .build()
        .unwrap();
    let client = ClientBuilder::with_transport(config, transport)
        .build()
        .unwrap();
    let err = client
        .get_json::<serde_json::Value>("/api/v2/users")
        .await
        .unwrap_err();
    assert_eq!(
        *sent.lock().unwrap(),
        [secs(0), secs(2)],
        "retried after Retry-After"
    );
    let Error::RateLimited(rl) = &err else {
        panic!("{err:?}")
    };
    let expected = now_secs() + 2;
    assert!(
        (rl.reset_at - expected).abs() <= 1,
        "reset_at {} vs {expected}",
        rl.reset_at
    );
    let left = rl.until_reset(SystemTime::now()).unwrap();
    assert!(left >= secs(1) && left <= secs(3), "until_reset {left:?}");
    assert_eq!(
        err.retry_advice(&http::Method::GET),
        RetryAdvice::RetryAt {
            reset_at: rl.reset_at
        }
    );
}

/// When the server asks for more than the policy waits (`Retry-After: 60`)
/// the 429 comes back at once; its `reset_at` is that minute, not an
/// earlier `x-ratelimit-reset` a caller would retry at only to be refused.
#[tokio::test(start_paused = true)]
async fn a_refused_retry_names_the_wait_the_server_asked_for() {
    let (transport, sent) = refusing_transport(60, 1);
    let config = ClientConfig::builder()
        .domain("tenant.auth0.com")
        .retry_policy(one_retry())
        .build()
        .unwrap();
    let client = ClientBuilder::with_transport(config, transport)
        .build()
        .unwrap();
    let err = client
        .get_json::<serde_json::Value>("/api/v2/users")
        .await
        .unwrap_err();
    assert_eq!(*sent.lock().unwrap(), [secs(0)], "no retry before 60 s");
    let Error::RateLimited(rl) = &err else {
        panic!("{err:?}")
    };
    let expected = now_secs() + 60;
    assert!(
        (rl.reset_at - expected).abs() <= 1,
        "reset_at {} vs {expected}",
        rl.reset_at
    );
}

/// With an adaptive limiter on the client too, the retry goes when
/// `Retry-After` says, not when the limiter's view of the window (its full
/// refill, cut at the 10 s cap) would let it: the limiter, the retry layer
/// and the error agree on one moment.
#[tokio::test(start_paused = true)]
async fn the_limiter_lets_the_retry_go_when_retry_after_says() {
    let (transport, sent) = refusing_transport(2, 600);
    let config = ClientConfig::builder()
        .domain("tenant.auth0.com")
        .retry_policy(one_retry())
        .rate_limiter(RateLimiter::adaptive())
        .build()
        .unwrap();
    let client = ClientBuilder::with_transport(config, transport)
        .build()
        .unwrap();
    let err = client
        .get_json::<serde_json::Value>("/api/v2/users")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RateLimited(_)), "{err:?}");
    assert_eq!(*sent.lock().unwrap(), [secs(0), secs(2)]);
}
