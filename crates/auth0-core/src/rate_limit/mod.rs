//! Client-side rate limiting: [`RateLimiter`], [`RateLimitLayer`] and the
//! [`RateLimit`] service.
//!
//! Auth0 enforces rate limits per tenant and endpoint and answers excess
//! requests with 429. A client that paces itself — a fixed token bucket,
//! and/or an adaptive mode that follows the `x-ratelimit-*` headers of
//! recent responses — avoids most of those round trips. Whatever still
//! gets a 429 is handled by the [retry layer](crate::retry).

mod layer;
mod limiter;
mod permit;
mod service;
mod window;

pub use layer::RateLimitLayer;
pub use limiter::{RateLimiter, RateLimiterBuilder, RateLimiterError};
pub use permit::Permit;
pub(crate) use service::report_wait;
pub use service::{RateLimit, ResponseFuture};

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use bytes::Bytes;
    use http::HeaderMap;
    use tokio::time::Instant;
    use tower::{ServiceBuilder, ServiceExt, service_fn};
    use tower_layer::Layer;

    use super::*;
    use crate::timeout::{DeadlineLayer, Elapsed};
    use crate::types::{BoxError, HttpRequest, HttpResponse};

    const NOW: u64 = 1_700_000_000;

    fn fixed_now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(NOW)
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn rate_headers(limit: u64, remaining: u64, reset: u64) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-limit", limit.into());
        h.insert("x-ratelimit-remaining", remaining.into());
        h.insert("x-ratelimit-reset", reset.into());
        h
    }

    fn adaptive() -> RateLimiter {
        RateLimiter::builder()
            .adaptive(true)
            .clock(fixed_now)
            .build()
            .unwrap()
    }

    /// Start offsets of `n` sequential acquisitions.
    async fn offsets(limiter: &RateLimiter, n: usize) -> Vec<Duration> {
        let start = Instant::now();
        let mut out = Vec::new();
        for _ in 0..n {
            limiter.acquire().await;
            out.push(start.elapsed());
        }
        out
    }

    #[tokio::test(start_paused = true)]
    async fn token_bucket_paces_at_the_rate() {
        let limiter = RateLimiter::token_bucket(4, 1).unwrap();
        assert_eq!(
            offsets(&limiter, 5).await,
            [ms(0), ms(250), ms(500), ms(750), ms(1000)]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn token_bucket_allows_a_burst_then_refills() {
        let limiter = RateLimiter::token_bucket(2, 3).unwrap();
        assert_eq!(
            offsets(&limiter, 5).await,
            [ms(0), ms(0), ms(0), ms(500), ms(1000)]
        );
        // Idle long enough to refill the whole burst.
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(offsets(&limiter, 4).await, [ms(0), ms(0), ms(0), ms(500)]);
    }

    #[tokio::test(start_paused = true)]
    async fn slow_rates_below_one_per_second() {
        let limiter = RateLimiter::builder()
            .rate(1, Duration::from_secs(3))
            .build()
            .unwrap();
        assert_eq!(offsets(&limiter, 3).await, [ms(0), ms(3000), ms(6000)]);
    }

    #[tokio::test(start_paused = true)]
    async fn clones_share_one_bucket() {
        let a = RateLimiter::token_bucket(1, 2).unwrap();
        let b = a.clone();
        let start = Instant::now();
        a.acquire().await;
        b.acquire().await;
        a.acquire().await;
        assert_eq!(start.elapsed(), ms(1000));
        b.acquire().await;
        assert_eq!(start.elapsed(), ms(2000));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_are_served_in_turn() {
        let limiter = RateLimiter::token_bucket(10, 1).unwrap();
        let start = Instant::now();
        let times = Arc::new(Mutex::new(Vec::new()));
        let tasks: Vec<_> = (0..5)
            .map(|_| {
                let limiter = limiter.clone();
                let times = times.clone();
                tokio::spawn(async move {
                    limiter.acquire().await;
                    times.lock().unwrap().push(start.elapsed());
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let mut got = times.lock().unwrap().clone();
        got.sort();
        assert_eq!(got, [ms(0), ms(100), ms(200), ms(300), ms(400)]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_waiter_takes_no_slot() {
        let limiter = RateLimiter::token_bucket(1, 1).unwrap();
        let start = Instant::now();
        limiter.acquire().await;
        // This caller gives up after 300 ms, while waiting for the 1 s slot.
        let gave_up = tokio::time::timeout(ms(300), limiter.acquire()).await;
        assert!(gave_up.is_err());
        // The next caller gets that slot instead of the one after it.
        limiter.acquire().await;
        assert_eq!(start.elapsed(), ms(1000));
    }

    #[tokio::test(start_paused = true)]
    async fn adaptive_spaces_the_last_requests_until_reset() {
        let limiter = adaptive();
        // 2 of 10 left (at the 20% threshold), window resets in 4 s.
        limiter.observe(&rate_headers(10, 2, NOW + 4));
        // Now, then after 4 s / 2, then at reset (remaining 0).
        assert_eq!(
            offsets(&limiter, 4).await,
            [ms(0), ms(2000), ms(4000), ms(4000)]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn adaptive_does_not_slow_down_above_threshold() {
        let limiter = adaptive();
        limiter.observe(&rate_headers(10, 8, NOW + 4));
        // 8 → 5 remaining: all above 2 (20% of 10).
        assert_eq!(offsets(&limiter, 3).await, [ms(0), ms(0), ms(0)]);
        // Next ones are counted locally: 5, 4, 3 left → still free; at 2 spacing starts.
        assert_eq!(offsets(&limiter, 3).await, [ms(0), ms(0), ms(0)]);
        let spaced = offsets(&limiter, 2).await;
        assert_eq!(spaced, [ms(0), ms(2000)]);
    }

    #[tokio::test(start_paused = true)]
    async fn adaptive_waits_for_reset_when_exhausted() {
        let limiter = adaptive();
        limiter.observe(&rate_headers(10, 0, NOW + 3));
        assert_eq!(offsets(&limiter, 2).await, [ms(3000), ms(3000)]);
    }

    #[tokio::test(start_paused = true)]
    async fn adaptive_wait_is_capped() {
        let limiter = RateLimiter::builder()
            .adaptive(true)
            .max_wait(Duration::from_secs(5))
            .clock(fixed_now)
            .build()
            .unwrap();
        limiter.observe(&rate_headers(10, 0, NOW + 3_600));
        assert_eq!(offsets(&limiter, 2).await, [ms(5000), ms(10_000)]);
    }

    #[tokio::test(start_paused = true)]
    async fn adaptive_without_limit_only_waits_at_zero() {
        let limiter = adaptive();
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", 1u64.into());
        h.insert("x-ratelimit-reset", (NOW + 2).into());
        limiter.observe(&h);
        assert_eq!(offsets(&limiter, 2).await, [ms(0), ms(2000)]);
    }

    #[tokio::test(start_paused = true)]
    async fn observe_keeps_the_newest_window_and_lowest_remaining() {
        let limiter = adaptive();
        limiter.observe(&rate_headers(10, 0, NOW + 5));
        // A stale response from an older window changes nothing.
        limiter.observe(&rate_headers(10, 9, NOW + 1));
        // A higher remaining for the same window does not raise it.
        limiter.observe(&rate_headers(10, 9, NOW + 5));
        assert_eq!(offsets(&limiter, 1).await, [ms(5000)]);
    }

    #[tokio::test(start_paused = true)]
    async fn observe_ignores_past_resets_and_missing_headers() {
        let limiter = adaptive();
        limiter.observe(&rate_headers(10, 0, NOW));
        limiter.observe(&rate_headers(10, 0, NOW - 10));
        limiter.observe(&HeaderMap::new());
        assert_eq!(offsets(&limiter, 1).await, [ms(0)]);
        // A bucket-only limiter ignores the headers entirely.
        let bucket = RateLimiter::token_bucket(100, 10).unwrap();
        bucket.observe(&rate_headers(10, 0, NOW + 60));
        assert_eq!(offsets(&bucket, 1).await, [ms(0)]);
    }

    #[tokio::test(start_paused = true)]
    async fn bucket_and_adaptive_combine() {
        let limiter = RateLimiter::builder()
            .rate(2, Duration::from_secs(1))
            .adaptive(true)
            .clock(fixed_now)
            .build()
            .unwrap();
        limiter.observe(&rate_headers(100, 0, NOW + 1));
        // Waits for the reset at 1 s, then the bucket paces at 500 ms.
        assert_eq!(offsets(&limiter, 3).await, [ms(1000), ms(1500), ms(2000)]);
    }

    #[test]
    fn builder_rejects_bad_settings() {
        use RateLimiterError as E;
        assert!(matches!(
            RateLimiter::token_bucket(0, 1),
            Err(E::ZeroRate { .. })
        ));
        assert!(matches!(
            RateLimiter::builder().rate(5, Duration::ZERO).build(),
            Err(E::ZeroRate { .. })
        ));
        assert_eq!(RateLimiter::token_bucket(1, 0).unwrap_err(), E::ZeroBurst);
        assert_eq!(
            RateLimiter::builder().build().unwrap_err(),
            E::NothingToLimit
        );
        assert_eq!(
            RateLimiter::builder()
                .adaptive(true)
                .burst(3)
                .build()
                .unwrap_err(),
            E::BurstWithoutRate
        );
        for f in [-0.1, 1.5, f64::NAN] {
            assert!(matches!(
                RateLimiter::builder()
                    .adaptive(true)
                    .slow_down_below(f)
                    .build(),
                Err(E::InvalidSlowDown { .. })
            ));
        }
        assert!(RateLimiter::adaptive().is_adaptive());
        let dbg = format!("{:?}", RateLimiter::token_bucket(4, 2).unwrap());
        assert!(dbg.contains("burst: 2"), "{dbg}");
    }

    #[tokio::test(start_paused = true)]
    async fn layer_observes_responses() {
        // The API says 0 remaining until NOW + 2 on the first response.
        let calls = Arc::new(Mutex::new(Vec::new()));
        let seen = calls.clone();
        let api = service_fn(move |_req: HttpRequest| {
            let mut c = seen.lock().unwrap();
            c.push(Instant::now());
            let n = c.len();
            async move {
                let mut res = HttpResponse::new(Bytes::new());
                if n == 1 {
                    *res.headers_mut() = rate_headers(10, 0, NOW + 2);
                }
                Ok::<_, BoxError>(res)
            }
        });
        let svc = RateLimitLayer::new(adaptive()).layer(api);
        let start = Instant::now();
        for _ in 0..3 {
            svc.clone()
                .oneshot(HttpRequest::new(Bytes::new()))
                .await
                .unwrap();
        }
        let offsets: Vec<_> = calls.lock().unwrap().iter().map(|t| *t - start).collect();
        assert_eq!(offsets, [ms(0), ms(2000), ms(2000)]);
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_cancels_a_wait_without_leaking_the_slot() {
        let limiter = RateLimiter::token_bucket(1, 1).unwrap();
        let ok = service_fn(|_req: HttpRequest| async {
            Ok::<_, BoxError>(HttpResponse::new(Bytes::new()))
        });
        let plain = RateLimitLayer::new(limiter.clone()).layer(ok);
        let with_deadline = ServiceBuilder::new()
            .layer(DeadlineLayer::new(ms(400)))
            .layer(RateLimitLayer::new(limiter))
            .service(ok);
        let start = Instant::now();
        plain
            .clone()
            .oneshot(HttpRequest::new(Bytes::new()))
            .await
            .unwrap();
        let err = with_deadline
            .oneshot(HttpRequest::new(Bytes::new()))
            .await
            .unwrap_err();
        assert!(Elapsed::find(err.as_ref()).unwrap().is_deadline());
        assert_eq!(start.elapsed(), ms(400));
        // Goes at 1 s (the slot the cancelled call never took), not 2 s.
        plain.oneshot(HttpRequest::new(Bytes::new())).await.unwrap();
        assert_eq!(start.elapsed(), ms(1000));
    }
}
