//! The retry, rate-limit and timeout layers as a user composes and calls
//! them: tower services over scripted inner services under tokio's paused
//! clock, and `Auth0Client` on the default stack against the local tenant.

// Helpers outside #[test] fns may unwrap too: this is test code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use auth0_core::client::Auth0Client;
use auth0_core::rate_limit::RateLimiter;
use auth0_core::retry::{RebuildRequest, RetryBudget, RetryLayer, RetryPolicy};
use auth0_core::timeout::{Elapsed, TimeoutKind};
use auth0_core::types::{BoxError, HttpRequest, HttpResponse};
use auth0_local::{Fault, LocalTenant};
use bytes::Bytes;
use http::{Method, StatusCode};
use tokio::time::{Instant, Sleep};
use tower::{Layer, Service, ServiceExt, service_fn};

/// A policy that retries at once (no backoff) with no budget, so only the
/// limits under test decide when attempts happen.
fn immediate_retries() -> RetryPolicy {
    RetryPolicy::builder()
        .max_retries(10)
        .base_delay(Duration::ZERO)
        .without_budget()
        .build()
        .unwrap()
}

fn answer(status: StatusCode, headers: &[(&'static str, &str)]) -> HttpResponse {
    let mut res = HttpResponse::new(Bytes::new());
    *res.status_mut() = status;
    for (name, value) in headers {
        res.headers_mut().insert(*name, value.parse().unwrap());
    }
    res
}

/// `err` is the call's deadline (a typed `Elapsed`, not another failure).
fn assert_deadline(err: &BoxError) {
    assert_eq!(
        Elapsed::find(err.as_ref()).map(|e| e.kind()),
        Some(TimeoutKind::Deadline),
        "{err}"
    );
}

fn request(method: Method) -> HttpRequest {
    http::Request::builder()
        .method(method)
        .uri("/api/v2/users")
        .body(Bytes::from_static(b"{}"))
        .unwrap()
}

/// A `POST` rate limited with `Retry-After: 0` again and again, paced by a
/// client-side limiter of one request a second, under a 2 s deadline: the
/// limiter's turn for the third attempt comes exactly at the deadline. No
/// attempt may start then — the deadline would cut it at once, after the
/// request was handed to the transport, so the caller would be told
/// "deadline" about a `POST` the server may be processing.
#[tokio::test(start_paused = true)]
async fn no_attempt_starts_when_the_limiters_turn_comes_at_the_deadline() {
    let sent: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let log = Arc::clone(&sent);
    let api = service_fn(move |_req: HttpRequest| {
        log.lock().unwrap().push(Instant::now());
        async {
            Ok::<_, BoxError>(answer(
                StatusCode::TOO_MANY_REQUESTS,
                &[("retry-after", "0")],
            ))
        }
    });
    let svc = RetryLayer::new(immediate_retries())
        .deadline(Duration::from_secs(2))
        .attempt_timeout(Duration::from_secs(30))
        .rate_limiter(RateLimiter::token_bucket(1, 1).unwrap())
        .layer(api);
    let start = Instant::now();
    let err = svc.oneshot(request(Method::POST)).await.unwrap_err();
    assert_deadline(&err);
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    let offsets: Vec<Duration> = sent.lock().unwrap().iter().map(|t| *t - start).collect();
    assert_eq!(
        offsets,
        [Duration::ZERO, Duration::from_secs(1)],
        "every attempt starts before the deadline"
    );
}

/// An inner service that is ready for its first call, and for later ones
/// only from `open_at` on (a pool or a concurrency limit of the user's).
struct ReadyFrom {
    open_at: Instant,
    wait: Option<Pin<Box<Sleep>>>,
    sent: Arc<Mutex<Vec<Instant>>>,
}

impl Clone for ReadyFrom {
    fn clone(&self) -> Self {
        Self {
            open_at: self.open_at,
            wait: None,
            sent: Arc::clone(&self.sent),
        }
    }
}

impl Service<HttpRequest> for ReadyFrom {
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = std::future::Ready<Result<HttpResponse, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        if self.sent.lock().unwrap().is_empty() || Instant::now() >= self.open_at {
            return Poll::Ready(Ok(()));
        }
        let open_at = self.open_at;
        let wait = self
            .wait
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(open_at)));
        wait.as_mut().poll(cx).map(Ok)
    }

    fn call(&mut self, _req: HttpRequest) -> Self::Future {
        self.sent.lock().unwrap().push(Instant::now());
        std::future::ready(Ok(answer(StatusCode::SERVICE_UNAVAILABLE, &[])))
    }
}

/// The same for the service's own readiness: a `GET` answered `503`,
/// retried at once, by a service that gets ready again exactly at the
/// deadline. The retry is not started at the deadline.
#[tokio::test(start_paused = true)]
async fn no_attempt_starts_when_the_service_gets_ready_at_the_deadline() {
    let sent: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let start = Instant::now();
    let inner = ReadyFrom {
        open_at: start + Duration::from_secs(3),
        wait: None,
        sent: Arc::clone(&sent),
    };
    let svc = RetryLayer::new(immediate_retries())
        .deadline(Duration::from_secs(3))
        .layer(inner);
    let err = svc.oneshot(request(Method::GET)).await.unwrap_err();
    assert_deadline(&err);
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    let offsets: Vec<Duration> = sent.lock().unwrap().iter().map(|t| *t - start).collect();
    assert_eq!(offsets, [Duration::ZERO], "no attempt at the deadline");
}

/// A request whose caller set `Content-Length`, with a body rebuilt for the
/// retry (a newly signed client assertion is rarely the same length): the
/// retry carries the rebuilt body whole, with its own length — not the
/// first body's length, which made hyper cut the new body short (or wait
/// for bytes that never come).
#[tokio::test]
async fn a_rebuilt_body_is_sent_whole_with_its_own_length() {
    let server = LocalTenant::builder().plain_http().start().await.unwrap();
    // Rate limited once, with no wait asked for: the retry goes at once.
    server.inject(Fault::status(429).with_header("retry-after", "0"));
    let client = Auth0Client::new(server.client_config().build().unwrap()).unwrap();
    let first = Bytes::from_static(b"client_assertion=a.b.c");
    let rebuilt = Bytes::from_static(b"client_assertion=a-longer.signed.assertion");
    let mut req = http::Request::post("/oauth/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("content-length", first.len())
        .body(first.clone())
        .unwrap();
    let again = rebuilt.clone();
    req.extensions_mut()
        .insert(RebuildRequest::body(move || Ok(again.clone())));
    // The tenant's answer to the made-up assertion does not matter here.
    let _ = client.send(req).await;
    let seen = server.requests_to("/oauth/token");
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0].body, first);
    assert_eq!(seen[1].body, rebuilt, "the retry's body arrived whole");
    assert_eq!(
        seen[1].headers["content-length"],
        rebuilt.len().to_string().as_str()
    );
}

/// A `429` asking for a wait that ends past the call's deadline: no retry
/// can follow, so the call ends at once with that answer (no sleeping until
/// the deadline to report only that it passed), and nothing is taken from
/// the retry budget — a burst of such calls must not leave the client unable
/// to retry a `503` afterwards.
#[tokio::test(start_paused = true)]
async fn a_wait_past_the_deadline_ends_the_call_with_the_answer_at_once() {
    // One retry per request, no floor.
    let budget = RetryBudget::new(Duration::from_secs(10), 0, 1.0).unwrap();
    let policy = RetryPolicy::builder()
        .budget(budget.clone())
        .build()
        .unwrap();
    let sent: Arc<Mutex<u32>> = Arc::default();
    let count = Arc::clone(&sent);
    let api = service_fn(move |_req: HttpRequest| {
        *count.lock().unwrap() += 1;
        async {
            Ok::<_, BoxError>(answer(
                StatusCode::TOO_MANY_REQUESTS,
                &[("retry-after", "5")],
            ))
        }
    });
    let svc = RetryLayer::new(policy)
        .deadline(Duration::from_secs(2))
        .layer(api);
    let start = Instant::now();
    let res = svc.oneshot(request(Method::POST)).await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(*sent.lock().unwrap(), 1);
    // The call's deposit is still there: no retry was made.
    assert_eq!(budget.available(), 1);
}
