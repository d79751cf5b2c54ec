//! Retrying requests: [`RetryLayer`], [`Retry`], [`RetryPolicy`] and
//! [`RetryBudget`].
//!
//! The rules (what is retried for which method, how long to wait) are on
//! [`RetryPolicy`]. Requests opt into retries of `POST`/`PATCH` on 5xx and
//! connection errors with the [`RetryNonIdempotent`] extension; requests that
//! are single use (a signed client assertion, a DPoP proof) carry a
//! [`RebuildRequest`] that builds each retry's body and headers afresh; the
//! final response reports how many attempts were made with [`Attempts`].
//!
//! The retry layer sits inside the deadline and outside the rate limiter
//! and the per-attempt timeout, so each attempt waits for its turn and gets
//! its own timeout, while the deadline bounds the whole sequence.

pub(crate) mod after;
mod backoff;
mod budget;
mod layer;
mod policy;
mod rebuild;
mod service;

pub use budget::RetryBudget;

/// The wait a response's `Retry-After` asks for (RFC 9110 §10.2.3:
/// delta-seconds or an HTTP-date), from `now`.
pub(crate) fn requested_wait(
    headers: &http::HeaderMap,
    now: std::time::SystemTime,
) -> Option<std::time::Duration> {
    after::retry_after(headers, now)
}
/// The wait a `429` asks for, from `now`: `Retry-After` (RFC 9110
/// §10.2.3), else Auth0's `x-ratelimit-reset` — the wait the retry policy
/// honours. Public so a limiter shared by several processes (auth0-redis)
/// can tell the others; `Duration::MAX` for a reset too far to represent.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let mut h = http::HeaderMap::new();
/// h.insert("x-ratelimit-reset", "1700000005".parse().unwrap());
/// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// assert_eq!(auth0_core::retry::server_requested_wait(&h, now), Some(Duration::from_secs(5)));
/// h.insert("retry-after", "2".parse().unwrap());
/// assert_eq!(auth0_core::retry::server_requested_wait(&h, now), Some(Duration::from_secs(2)));
/// ```
pub fn server_requested_wait(
    headers: &http::HeaderMap,
    now: std::time::SystemTime,
) -> Option<std::time::Duration> {
    after::retry_after(headers, now).or_else(|| after::rate_limit_reset(headers, now))
}
pub use layer::RetryLayer;
pub use policy::{RetryPolicy, RetryPolicyBuilder, RetryPolicyError};
pub use rebuild::{RebuildRequest, Rebuilt, RetryAttempt};
pub use service::{ResponseFuture, Retry};

/// Request extension: allow retrying this `POST`/`PATCH` on 5xx and
/// connection errors, as if it were idempotent.
///
/// Use it for calls that are safe to repeat, e.g. a token request or a
/// create call carrying an idempotency key.
///
/// ```
/// use auth0_core::retry::RetryNonIdempotent;
/// use bytes::Bytes;
///
/// let mut req = http::Request::post("/oauth/token").body(Bytes::new()).unwrap();
/// req.extensions_mut().insert(RetryNonIdempotent);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RetryNonIdempotent;

/// Request extension: hand a `429` back at once instead of waiting and
/// retrying it.
///
/// For a caller with its own rule for that answer: Auth0 answers a device
/// code poll that comes too fast with `429` and `error: slow_down`, and RFC
/// 8628 §3.5 requires the poller itself to see it and add 5 s to its
/// interval (auth0-authentication's device poll sets this). Other
/// retries (5xx, connection errors) are unchanged; the answer becomes
/// [`Error::RateLimited`](crate::error::Error::RateLimited) as usual.
///
/// ```
/// use auth0_core::retry::NoRateLimitRetry;
/// use bytes::Bytes;
///
/// let mut req = http::Request::post("/oauth/token").body(Bytes::new()).unwrap();
/// req.extensions_mut().insert(NoRateLimitRetry);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct NoRateLimitRetry;

/// Response extension: how many attempts the [`Retry`] service made
/// (1 when the first attempt was final).
///
/// ```
/// use auth0_core::retry::Attempts;
///
/// let mut res = http::Response::new(bytes::Bytes::new());
/// res.extensions_mut().insert(Attempts(2));
/// assert_eq!(res.extensions().get::<Attempts>().map(|a| a.0), Some(2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Attempts(pub u32);

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use bytes::Bytes;
    use http::{Method, StatusCode};
    use tokio::time::Instant;
    use tower::{ServiceBuilder, ServiceExt, service_fn};
    use tower_layer::Layer;
    use tower_service::Service;

    use super::*;
    use crate::timeout::{DeadlineLayer, Elapsed, TimeoutKind, TimeoutLayer};
    use crate::types::{BoxError, HttpRequest, HttpResponse};

    const NOW: u64 = 1_700_000_000;

    type Script = Arc<dyn Fn(usize, &HttpRequest) -> Result<HttpResponse, BoxError> + Send + Sync>;

    /// A mock API: answers call `n` with `script(n, request)`, recording the
    /// (virtual) time of every call and the requests it saw.
    #[derive(Clone)]
    struct Mock {
        script: Script,
        calls: Arc<Mutex<Vec<(Instant, HttpRequest)>>>,
    }

    impl Mock {
        fn new(
            script: impl Fn(usize, &HttpRequest) -> Result<HttpResponse, BoxError>
            + Send
            + Sync
            + 'static,
        ) -> Self {
            Self {
                script: Arc::new(script),
                calls: Arc::default(),
            }
        }

        fn service(&self) -> Mock {
            self.clone()
        }

        fn count(&self) -> usize {
            self.calls.lock().unwrap().len()
        }

        /// Offsets of every call from `start`.
        fn offsets(&self, start: Instant) -> Vec<Duration> {
            self.calls
                .lock()
                .unwrap()
                .iter()
                .map(|(t, _)| *t - start)
                .collect()
        }
    }

    impl Service<HttpRequest> for Mock {
        type Response = HttpResponse;
        type Error = BoxError;
        type Future = std::future::Ready<Result<HttpResponse, BoxError>>;

        fn poll_ready(
            &mut self,
            _cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), BoxError>> {
            std::task::Poll::Ready(Ok(()))
        }

        fn call(&mut self, req: HttpRequest) -> Self::Future {
            let mut calls = self.calls.lock().unwrap();
            let out = (self.script)(calls.len(), &req);
            calls.push((Instant::now(), req));
            std::future::ready(out)
        }
    }

    fn status(code: u16, headers: &[(&'static str, &str)]) -> Result<HttpResponse, BoxError> {
        let mut res = HttpResponse::new(Bytes::from_static(b"{}"));
        *res.status_mut() = StatusCode::from_u16(code).unwrap();
        for (k, v) in headers {
            res.headers_mut().insert(*k, v.parse().unwrap());
        }
        Ok(res)
    }

    fn fixed_now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(NOW)
    }

    fn policy() -> RetryPolicyBuilder {
        RetryPolicy::builder()
            .clock(fixed_now)
            .jitter(|| 1.0)
            .without_budget()
    }

    fn request(method: Method) -> HttpRequest {
        http::Request::builder()
            .method(method)
            .uri("/api/v2/users")
            .header("authorization", "Bearer secret")
            .body(Bytes::from_static(b"{\"a\":1}"))
            .unwrap()
    }

    async fn send(
        policy: RetryPolicy,
        mock: &Mock,
        req: HttpRequest,
    ) -> Result<HttpResponse, BoxError> {
        RetryLayer::new(policy)
            .layer(mock.service())
            .oneshot(req)
            .await
    }

    fn attempts(res: &HttpResponse) -> u32 {
        res.extensions().get::<Attempts>().unwrap().0
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limited_then_ok_honours_retry_after() {
        let mock = Mock::new(|n, _| {
            if n == 0 {
                status(429, &[("retry-after", "3")])
            } else {
                status(200, &[])
            }
        });
        let start = Instant::now();
        let res = send(policy().build().unwrap(), &mock, request(Method::POST))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(attempts(&res), 2);
        assert_eq!(mock.offsets(start), [secs(0), secs(3)]);
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limited_then_ok_honours_http_date_retry_after() {
        let mock = Mock::new(|n, _| {
            if n == 0 {
                status(429, &[("retry-after", "Tue, 14 Nov 2023 22:13:22 GMT")])
            } else {
                status(200, &[])
            }
        });
        let start = Instant::now();
        let res = send(policy().build().unwrap(), &mock, request(Method::GET))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(mock.offsets(start), [secs(0), secs(2)]);
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limited_then_ok_honours_ratelimit_reset() {
        let reset = (NOW + 5).to_string();
        let mock = Mock::new(move |n, _| {
            if n == 0 {
                status(
                    429,
                    &[
                        ("x-ratelimit-limit", "10"),
                        ("x-ratelimit-remaining", "0"),
                        ("x-ratelimit-reset", &reset),
                    ],
                )
            } else {
                status(200, &[])
            }
        });
        // A wall clock 400 ms into the second: the wait is exact to the millisecond.
        let policy = policy()
            .clock(|| UNIX_EPOCH + Duration::from_millis(NOW * 1_000 + 400))
            .build()
            .unwrap();
        let start = Instant::now();
        let res = send(policy, &mock, request(Method::PATCH)).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(mock.offsets(start), [secs(0), Duration::from_millis(4_600)]);
    }

    #[tokio::test(start_paused = true)]
    async fn waits_asked_beyond_the_cap_end_at_once() {
        let far_reset = (NOW + 120).to_string();
        let overflow = u64::MAX.to_string();
        for (code, headers) in [
            (429, vec![("retry-after", "120")]),
            (429, vec![("retry-after", "Tue, 14 Nov 2023 22:15:20 GMT")]),
            (429, vec![("x-ratelimit-reset", far_reset.as_str())]),
            (429, vec![("retry-after", "99999999999999999999999999")]),
            (429, vec![("x-ratelimit-reset", overflow.as_str())]),
            (503, vec![("retry-after", "3600")]),
        ] {
            let h: Vec<(&'static str, String)> =
                headers.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
            let mock = Mock::new(move |_, _| {
                let pairs: Vec<(&'static str, &str)> =
                    h.iter().map(|(k, v)| (*k, v.as_str())).collect();
                status(code, &pairs)
            });
            let policy = policy().max_wait(secs(10)).build().unwrap();
            let start = Instant::now();
            let res = send(policy, &mock, request(Method::GET)).await.unwrap();
            assert_eq!(res.status().as_u16(), code, "{headers:?}");
            assert_eq!(attempts(&res), 1, "{headers:?}: no early retry");
            assert_eq!(mock.count(), 1, "{headers:?}");
            assert_eq!(start.elapsed(), Duration::ZERO, "{headers:?}: no wait");
        }
        // A wait within the cap is honoured exactly.
        let mock = Mock::new(|n, _| {
            if n == 0 {
                status(429, &[("retry-after", "10")])
            } else {
                status(200, &[])
            }
        });
        let policy = policy().max_wait(secs(10)).build().unwrap();
        let start = Instant::now();
        send(policy, &mock, request(Method::GET)).await.unwrap();
        assert_eq!(mock.offsets(start), [secs(0), secs(10)]);
    }

    #[tokio::test(start_paused = true)]
    async fn rebuilt_body_for_every_retry() {
        use std::sync::atomic::{AtomicU32, Ordering};
        let mock = Mock::new(|n, _| {
            if n < 2 {
                status(503, &[])
            } else {
                status(200, &[])
            }
        });
        let built = Arc::new(AtomicU32::new(0));
        let counter = built.clone();
        let mut req = request(Method::POST);
        req.extensions_mut().insert(RetryNonIdempotent);
        req.extensions_mut().insert(RebuildRequest::body(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 2;
            Ok(Bytes::from(format!("attempt-{n}")))
        }));
        send(policy().build().unwrap(), &mock, req).await.unwrap();
        let bodies: Vec<Bytes> = mock
            .calls
            .lock()
            .unwrap()
            .iter()
            .map(|(_, r)| r.body().clone())
            .collect();
        assert_eq!(
            bodies,
            [
                Bytes::from_static(b"{\"a\":1}"),
                Bytes::from_static(b"attempt-2"),
                Bytes::from_static(b"attempt-3")
            ]
        );
        // A failing rebuild ends the call with its error, nothing resent.
        let mock = Mock::new(|_, _| status(503, &[]));
        let mut req = request(Method::GET);
        req.extensions_mut()
            .insert(RebuildRequest::body(|| Err("no key".into())));
        let err = send(policy().build().unwrap(), &mock, req)
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "no key");
        assert_eq!(mock.count(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn rebuilt_headers_see_the_previous_response_and_are_recorded() {
        use crate::secrets::Secrets;
        // 429 with a nonce, then a dropped connection, then fine.
        let mock = Mock::new(|n, _| match n {
            0 => status(429, &[("retry-after", "1"), ("dpop-nonce", "nonce-1")]),
            1 => Err(std::io::Error::from(std::io::ErrorKind::ConnectionReset).into()),
            _ => status(200, &[]),
        });
        let mut req = request(Method::POST);
        req.headers_mut()
            .insert("dpop", http::HeaderValue::from_static("proof-1"));
        req.headers_mut()
            .append("x-multi", http::HeaderValue::from_static("old"));
        req.extensions_mut().insert(RetryNonIdempotent);
        let secrets = Secrets::new();
        req.extensions_mut().insert(secrets.clone());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        req.extensions_mut()
            .insert(RebuildRequest::new(move |attempt| {
                let nonce = attempt.previous_header("dpop-nonce").map(str::to_owned);
                log.lock().unwrap().push((attempt.number(), nonce.clone()));
                let proof = format!(
                    "proof-{}-{}-very-secret",
                    attempt.number(),
                    nonce.as_deref().unwrap_or("none")
                );
                let mut proof = http::HeaderValue::from_str(&proof)?;
                proof.set_sensitive(true);
                let mut multi = http::HeaderMap::new();
                multi.append("x-multi", http::HeaderValue::from_static("a"));
                multi.append("x-multi", http::HeaderValue::from_static("b"));
                Ok(Rebuilt::new()
                    .header(http::header::HeaderName::from_static("dpop"), proof)
                    .headers(multi))
            }));
        let res = send(policy().build().unwrap(), &mock, req).await.unwrap();
        assert_eq!(attempts(&res), 3);
        assert_eq!(
            *seen.lock().unwrap(),
            [(2, Some("nonce-1".to_owned())), (3, None)]
        );
        let calls = mock.calls.lock().unwrap();
        let proofs: Vec<Vec<&str>> = calls
            .iter()
            .map(|(_, r)| {
                r.headers()
                    .get_all("dpop")
                    .iter()
                    .map(|v| v.to_str().unwrap())
                    .collect()
            })
            .collect();
        assert_eq!(
            proofs,
            [
                vec!["proof-1"],
                vec!["proof-2-nonce-1-very-secret"],
                vec!["proof-3-none-very-secret"]
            ]
        );
        for (_, r) in calls.iter().skip(1) {
            let multi: Vec<_> = r.headers().get_all("x-multi").iter().collect();
            assert_eq!(multi, ["a", "b"], "replaced, both values kept");
            // The body is the first attempt's: only headers were rebuilt.
            assert_eq!(r.body(), &Bytes::from_static(b"{\"a\":1}"));
        }
        let scrubbed =
            secrets.scrub("echo proof-2-nonce-1-very-secret and proof-3-none-very-secret");
        assert!(!scrubbed.contains("very-secret"), "{scrubbed}");
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limited_forever_returns_the_last_429() {
        let mock = Mock::new(|n, _| {
            let n = n.to_string();
            status(429, &[("retry-after", "1"), ("x-attempt", &n)])
        });
        let start = Instant::now();
        let res = send(policy().build().unwrap(), &mock, request(Method::POST))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            res.headers()["x-attempt"],
            "3",
            "the last response is returned"
        );
        assert_eq!(attempts(&res), 4);
        assert_eq!(mock.count(), 4);
        assert_eq!(mock.offsets(start), [secs(0), secs(1), secs(2), secs(3)]);
    }

    #[tokio::test(start_paused = true)]
    async fn server_error_on_get_is_retried_with_backoff() {
        let mock = Mock::new(|n, _| {
            if n < 3 {
                status(503, &[])
            } else {
                status(200, &[])
            }
        });
        let start = Instant::now();
        let res = send(policy().build().unwrap(), &mock, request(Method::GET))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(attempts(&res), 4);
        // Jitter fixed at 1.0: waits of 250, 500 and 1000 ms.
        let ms = Duration::from_millis;
        assert_eq!(mock.offsets(start), [ms(0), ms(250), ms(750), ms(1_750)]);
    }

    #[tokio::test(start_paused = true)]
    async fn server_error_on_post_is_not_retried() {
        let mock = Mock::new(|_, _| status(500, &[]));
        let res = send(policy().build().unwrap(), &mock, request(Method::POST))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(attempts(&res), 1);
        assert_eq!(mock.count(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn not_implemented_is_not_retried() {
        let mock = Mock::new(|_, _| status(501, &[]));
        let res = send(policy().build().unwrap(), &mock, request(Method::GET))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_IMPLEMENTED);
        assert_eq!(mock.count(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn server_error_on_post_with_extension_is_retried() {
        let mock = Mock::new(|n, _| {
            if n == 0 {
                status(502, &[])
            } else {
                status(201, &[])
            }
        });
        let mut req = request(Method::POST);
        req.extensions_mut().insert(RetryNonIdempotent);
        let res = send(policy().build().unwrap(), &mock, req).await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        assert_eq!(mock.count(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn server_error_on_patch_with_policy_opt_in_is_retried() {
        let mock = Mock::new(|n, _| {
            if n == 0 {
                status(504, &[])
            } else {
                status(200, &[])
            }
        });
        let policy = policy().retry_non_idempotent(true).build().unwrap();
        let res = send(policy, &mock, request(Method::PATCH)).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(mock.count(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn connection_error_is_retried_for_get() {
        let mock = Mock::new(|n, _| {
            if n == 0 {
                Err(std::io::Error::from(std::io::ErrorKind::ConnectionReset).into())
            } else {
                status(200, &[])
            }
        });
        let res = send(policy().build().unwrap(), &mock, request(Method::GET))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(attempts(&res), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn connection_error_is_not_retried_for_post() {
        let mock =
            Mock::new(|_, _| Err(std::io::Error::from(std::io::ErrorKind::ConnectionReset).into()));
        let err = send(policy().build().unwrap(), &mock, request(Method::POST))
            .await
            .unwrap_err();
        assert!(err.downcast_ref::<std::io::Error>().is_some());
        assert_eq!(mock.count(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn connect_timeout_is_retried_for_post_and_last_error_returned() {
        let mock = Mock::new(|_, _| Err(Elapsed::new(TimeoutKind::Connect, secs(2)).into()));
        let policy = policy().max_retries(2).build().unwrap();
        let err = send(policy, &mock, request(Method::POST))
            .await
            .unwrap_err();
        assert!(Elapsed::find(err.as_ref()).unwrap().is_connect());
        assert_eq!(mock.count(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn attempt_timeout_is_retried_for_get_only() {
        // The inner service hangs on the first call; the per-attempt timeout cuts it.
        let calls = Arc::new(Mutex::new(Vec::new()));
        let seen = calls.clone();
        let slow_first = service_fn(move |req: HttpRequest| {
            let n = {
                let mut c = seen.lock().unwrap();
                c.push(Instant::now());
                c.len()
            };
            let _ = req;
            async move {
                if n == 1 {
                    tokio::time::sleep(secs(60)).await;
                }
                status(200, &[])
            }
        });
        let svc = ServiceBuilder::new()
            .layer(RetryLayer::new(policy().build().unwrap()))
            .layer(TimeoutLayer::new(secs(5)))
            .service(slow_first);
        let start = Instant::now();
        let res = svc.clone().oneshot(request(Method::DELETE)).await.unwrap();
        assert_eq!(attempts(&res), 2);
        let offsets: Vec<_> = calls.lock().unwrap().iter().map(|t| *t - start).collect();
        assert_eq!(offsets, [secs(0), secs(5) + Duration::from_millis(250)]);

        calls.lock().unwrap().clear();
        let err = svc.oneshot(request(Method::POST)).await.unwrap_err();
        assert!(Elapsed::find(err.as_ref()).unwrap().is_attempt());
        assert_eq!(calls.lock().unwrap().len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn every_attempt_gets_the_full_request() {
        let mock = Mock::new(|n, _| {
            if n < 2 {
                status(503, &[])
            } else {
                status(200, &[])
            }
        });
        let mut req = request(Method::PUT);
        req.extensions_mut().insert(RetryNonIdempotent);
        // Repeated fields keep their order in every attempt.
        req.headers_mut().append("x-multi", "one".parse().unwrap());
        req.headers_mut().append("x-multi", "two".parse().unwrap());
        req.headers_mut()
            .append("accept", "application/json".parse().unwrap());
        *req.version_mut() = http::Version::HTTP_2;
        send(policy().build().unwrap(), &mock, req).await.unwrap();
        let calls = mock.calls.lock().unwrap();
        assert_eq!(calls.len(), 3);
        for (_, r) in calls.iter() {
            assert_eq!(r.method(), Method::PUT);
            assert_eq!(r.uri(), "/api/v2/users");
            assert_eq!(r.version(), http::Version::HTTP_2);
            assert_eq!(r.headers()["authorization"], "Bearer secret");
            let multi: Vec<_> = r.headers().get_all("x-multi").iter().collect();
            assert_eq!(multi, ["one", "two"]);
            assert_eq!(r.headers().len(), 4);
            assert_eq!(r.body(), &Bytes::from_static(b"{\"a\":1}"));
            assert!(r.extensions().get::<RetryNonIdempotent>().is_some());
        }
    }

    #[tokio::test(start_paused = true)]
    async fn no_rate_limit_retry_hands_the_429_back_but_still_retries_5xx() {
        let mock = Mock::new(|n, _| match n {
            0 => status(503, &[]),
            _ => status(429, &[("retry-after", "1")]),
        });
        let mut req = request(Method::GET);
        req.extensions_mut().insert(NoRateLimitRetry);
        let res = send(policy().build().unwrap(), &mock, req).await.unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        // The 503 was retried; the 429 went back at once.
        assert_eq!(attempts(&res), 2);
        assert_eq!(mock.count(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn disabled_policy_makes_one_attempt() {
        let mock = Mock::new(|_, _| status(429, &[]));
        let res = send(RetryPolicy::disabled(), &mock, request(Method::GET))
            .await
            .unwrap();
        assert_eq!(attempts(&res), 1);
        assert_eq!(mock.count(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn budget_stops_a_retry_storm() {
        let mock = Mock::new(|_, _| status(503, &[]));
        let budget = RetryBudget::new(secs(10), 0, 0.2).unwrap();
        let policy = policy()
            .budget(budget.clone())
            .base_delay(Duration::from_millis(1))
            .build()
            .unwrap();
        let layer = RetryLayer::new(policy);
        for _ in 0..100 {
            // A fresh service per request, as clones of a client would make.
            let res = layer
                .layer(mock.service())
                .oneshot(request(Method::GET))
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        }
        // Without the budget: 400 calls. With it: 100 + 20% of 100.
        assert_eq!(mock.count(), 120);
        assert_eq!(budget.available(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn budget_floor_lets_low_traffic_retry() {
        let mock = Mock::new(|n, _| {
            if n % 2 == 0 {
                status(503, &[])
            } else {
                status(200, &[])
            }
        });
        let policy = policy()
            .budget(RetryBudget::new(secs(10), 1, 0.0).unwrap())
            .build()
            .unwrap();
        for _ in 0..3 {
            let res = send(policy.clone(), &mock, request(Method::GET))
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
        }
        assert_eq!(mock.count(), 6);
    }

    #[tokio::test(start_paused = true)]
    async fn random_jitter_waits_stay_under_the_ceiling() {
        let mock = Mock::new(|_, _| status(500, &[]));
        let policy = RetryPolicy::builder()
            .without_budget()
            .max_retries(5)
            .build()
            .unwrap();
        let start = Instant::now();
        send(policy, &mock, request(Method::GET)).await.unwrap();
        let offsets = mock.offsets(start);
        assert_eq!(offsets.len(), 6);
        for (i, pair) in offsets.windows(2).enumerate() {
            let ceiling = Duration::from_millis(250) * (1 << i);
            assert!(
                pair[1] - pair[0] <= ceiling,
                "wait {i}: {:?}",
                pair[1] - pair[0]
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_bounds_all_retries() {
        let mock = Mock::new(|_, _| status(429, &[("retry-after", "4")]));
        let svc = ServiceBuilder::new()
            .layer(DeadlineLayer::new(secs(10)))
            .layer(RetryLayer::new(policy().build().unwrap()))
            .service(mock.service());
        let start = Instant::now();
        let err = svc.oneshot(request(Method::GET)).await.unwrap_err();
        assert_eq!(
            Elapsed::find(err.as_ref()).unwrap().kind,
            TimeoutKind::Deadline
        );
        assert_eq!(start.elapsed(), secs(10));
        assert_eq!(mock.offsets(start), [secs(0), secs(4), secs(8)]);
    }

    /// A scripted API for the time-limit comparison: call `n` answers
    /// `answers[n]` (the last one repeats) after its delay.
    fn timed(
        answers: &'static [(u64, u16)],
    ) -> (
        impl Service<HttpRequest, Response = HttpResponse, Error = BoxError, Future: Send>
        + Clone
        + Send
        + 'static,
        Arc<Mutex<Vec<Instant>>>,
    ) {
        let calls: Arc<Mutex<Vec<Instant>>> = Arc::default();
        let seen = calls.clone();
        let svc = service_fn(move |_req: HttpRequest| {
            let n = {
                let mut c = seen.lock().unwrap();
                c.push(Instant::now());
                c.len() - 1
            };
            let (delay_ms, code) = answers[n.min(answers.len() - 1)];
            async move {
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                status(code, &[("retry-after", "4")])
            }
        });
        (svc, calls)
    }

    /// What a call came to: the answer or the error, when each attempt
    /// started and how long the call took.
    async fn outcome<S>(svc: S, method: Method, calls: &Mutex<Vec<Instant>>) -> String
    where
        S: Service<HttpRequest, Response = HttpResponse, Error = BoxError>,
    {
        let start = Instant::now();
        let result = svc.oneshot(request(method)).await;
        let offsets: Vec<_> = calls.lock().unwrap().iter().map(|t| *t - start).collect();
        let result = match result {
            Ok(res) => format!("{} after {} attempt(s)", res.status(), attempts(&res)),
            Err(e) => format!("{:?}", Elapsed::find(e.as_ref())),
        };
        format!(
            "{result}; attempts at {offsets:?}; done at {:?}",
            start.elapsed()
        )
    }

    /// (answers as (delay ms, status), method, deadline, attempt timeout)
    type Case = (&'static [(u64, u16)], Method, Duration, Duration);

    const HANG: u64 = 3_600_000;

    fn limit_cases() -> Vec<Case> {
        const MAX: Duration = Duration::MAX;
        vec![
            (&[(10, 200)], Method::GET, secs(90), secs(30)),
            (&[(HANG, 200), (10, 200)], Method::GET, secs(90), secs(5)),
            (&[(HANG, 200)], Method::GET, secs(12), secs(5)),
            (&[(HANG, 200)], Method::POST, secs(12), secs(5)),
            // (The wait after the third 429 ends past the deadline: see
            // `LAST_WAIT_CROSSES_THE_DEADLINE`.)
            (&[(10, 429)], Method::POST, secs(10), secs(5)),
            (
                &[(10, 503), (10, 503), (10, 200)],
                Method::GET,
                secs(90),
                secs(5),
            ),
            (&[(5_000, 200)], Method::GET, secs(90), secs(5)),
            (&[(5_000, 200)], Method::GET, secs(5), secs(30)),
            (&[(HANG, 200)], Method::GET, secs(3), secs(5)),
            (&[(HANG, 200)], Method::GET, secs(5), secs(5)),
            (&[(1_000, 200)], Method::GET, MAX, MAX),
            (&[(1, 200)], Method::GET, secs(90), Duration::ZERO),
            (&[(1, 200)], Method::POST, secs(90), Duration::ZERO),
            // (The deadline falls inside the second attempt with and
            // without a limiter's wait of a second: at an exact tie of the
            // wait's end and the deadline the built-in limit gives up
            // without starting an attempt the deadline would cancel at once.)
            (
                &[(4_000, 503)],
                Method::GET,
                Duration::from_millis(9_500),
                secs(5),
            ),
            // Shorter than a limiter's wait of a second.
            (
                &[(10, 200)],
                Method::GET,
                secs(90),
                Duration::from_millis(500),
            ),
            (
                &[(10, 200)],
                Method::GET,
                Duration::from_millis(500),
                secs(5),
            ),
            (
                &[(10, 503), (600, 200)],
                Method::GET,
                secs(90),
                Duration::from_millis(500),
            ),
        ]
    }

    /// The case of [`limit_cases`] whose last wait (a 429's `Retry-After:
    /// 4` after the third attempt) would end past the deadline. The built-in
    /// deadline knows it and answers with that 429 at once; a
    /// `DeadlineLayer` outside the retry layer cannot, so the layered form
    /// sleeps until it fires. Every other case matches exactly.
    const LAST_WAIT_CROSSES_THE_DEADLINE: usize = 4;

    /// `got` (built-in) against `expected` (layered) for case `i`.
    fn matches_the_layers(i: usize, got: &str, expected: &str) {
        if i != LAST_WAIT_CROSSES_THE_DEADLINE {
            assert_eq!(got, expected, "case {i}");
            return;
        }
        let (got_answer, got_attempts) = got.split_once("; done at").unwrap();
        let (expected_answer, expected_attempts) = expected.split_once("; done at").unwrap();
        assert!(
            expected_answer.starts_with("Some(Elapsed { kind: Deadline"),
            "{expected}"
        );
        assert!(
            got_answer.starts_with("429 Too Many Requests after 3 attempt(s)"),
            "{got}"
        );
        // The same attempts at the same times; only the end differs.
        assert_eq!(
            got_answer.split_once("; attempts at").unwrap().1,
            expected_answer.split_once("; attempts at").unwrap().1,
        );
        assert_ne!(got_attempts, expected_attempts);
    }

    /// `RetryLayer::deadline` + `attempt_timeout` (one timer) give what a
    /// `DeadlineLayer` outside and a `TimeoutLayer` inside the retry layer
    /// give: the same answers and errors, at the same (virtual) times.
    #[tokio::test(start_paused = true)]
    async fn built_in_limits_match_the_layers() {
        for (i, (answers, method, deadline, attempt)) in limit_cases().into_iter().enumerate() {
            let (api, calls) = timed(answers);
            let layered = ServiceBuilder::new()
                .layer(DeadlineLayer::new(deadline))
                .layer(RetryLayer::new(policy().build().unwrap()))
                .layer(TimeoutLayer::new(attempt))
                .service(api.clone());
            let expected = outcome(layered, method.clone(), &calls).await;
            calls.lock().unwrap().clear();
            let built_in = RetryLayer::new(policy().build().unwrap())
                .deadline(deadline)
                .attempt_timeout(attempt)
                .layer(api);
            let got = outcome(built_in, method.clone(), &calls).await;
            matches_the_layers(i, &got, &expected);
        }
    }

    /// With a client-side rate limiter too: `RetryLayer::rate_limiter`
    /// gives what `DeadlineLayer → RetryLayer → RateLimitLayer →
    /// TimeoutLayer` gives (the limiter's waits count toward the deadline,
    /// not toward an attempt), at the same times, and the same wait is
    /// reported to the call's stats.
    #[tokio::test(start_paused = true)]
    async fn built_in_limiter_matches_the_layers() {
        use crate::rate_limit::{RateLimitLayer, RateLimiter};
        use crate::trace::CallStats;

        /// One request a second, its one token already spent: every
        /// attempt waits for its turn.
        async fn drained() -> RateLimiter {
            let limiter = RateLimiter::token_bucket(1, 1).unwrap();
            limiter.acquire().await;
            limiter
        }
        async fn run<S>(svc: S, method: Method, calls: &Mutex<Vec<Instant>>) -> (String, Duration)
        where
            S: Service<HttpRequest, Response = HttpResponse, Error = BoxError>,
        {
            let stats = CallStats::default();
            let svc = tower::util::MapRequestLayer::new({
                let stats = stats.clone();
                move |mut req: HttpRequest| {
                    req.extensions_mut().insert(stats.clone());
                    req
                }
            })
            .layer(svc);
            let text = outcome(svc, method, calls).await;
            (text, stats.rate_limit_waited())
        }
        for (i, (answers, method, deadline, attempt)) in limit_cases().into_iter().enumerate() {
            let (api, calls) = timed(answers);
            let layered = ServiceBuilder::new()
                .layer(DeadlineLayer::new(deadline))
                .layer(RetryLayer::new(policy().build().unwrap()))
                .layer(RateLimitLayer::new(drained().await))
                .layer(TimeoutLayer::new(attempt))
                .service(api.clone());
            let expected = run(layered, method.clone(), &calls).await;
            calls.lock().unwrap().clear();
            let built_in = RetryLayer::new(policy().build().unwrap())
                .deadline(deadline)
                .attempt_timeout(attempt)
                .rate_limiter(drained().await)
                .layer(api);
            let got = run(built_in, method.clone(), &calls).await;
            assert_eq!(got.1, expected.1, "case {i}: the limiter's waits");
            matches_the_layers(i, &got.0, &expected.0);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn built_in_deadline_covers_a_service_that_never_gets_ready() {
        #[derive(Clone)]
        struct NeverReady;
        impl Service<HttpRequest> for NeverReady {
            type Response = HttpResponse;
            type Error = BoxError;
            type Future = std::future::Ready<Result<HttpResponse, BoxError>>;
            fn poll_ready(
                &mut self,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Result<(), BoxError>> {
                std::task::Poll::Pending
            }
            fn call(&mut self, _req: HttpRequest) -> Self::Future {
                std::future::ready(status(503, &[]))
            }
        }
        // The first attempt is made by the caller's ready instance; the
        // retry then waits for readiness that never comes, until the deadline.
        let start = Instant::now();
        let err = RetryLayer::new(policy().build().unwrap())
            .deadline(secs(7))
            .layer(NeverReady)
            .call(request(Method::GET))
            .await
            .unwrap_err();
        assert_eq!(
            Elapsed::find(err.as_ref()).unwrap().kind,
            TimeoutKind::Deadline
        );
        assert_eq!(start.elapsed(), secs(7));
    }
}
