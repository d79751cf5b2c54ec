//! The fleet's shared rate budget against a real `redis-server` and a
//! local tenant that enforces a per-second budget: separate clients stay
//! within it together; a wait one instance is told about is kept by all;
//! Redis down falls back to the local limiter and sharing resumes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth0_core::rate_limit::RateLimiter;
use auth0_core::retry::RetryPolicy;
use auth0_core::{Auth0Client, ClientBuilder, ClientConfig};
use auth0_redis::{Fleet, FleetStatus, RedisRateLimiter, fleet_stack};
use support::{RedisServer, Tenant};

fn config(addr: SocketAddr, local: Option<RateLimiter>) -> ClientConfig {
    let policy = RetryPolicy::builder()
        .max_retries(8)
        .base_delay(Duration::from_millis(20))
        .max_wait(Duration::from_secs(3))
        .without_budget()
        .build()
        .unwrap();
    let mut b = ClientConfig::builder()
        .domain(format!("http://{addr}"))
        .allow_insecure_loopback(true)
        .retry_policy(policy);
    if let Some(l) = local {
        b = b.rate_limiter(l);
    }
    b.build().unwrap()
}

fn fleet(redis: &RedisServer) -> Fleet {
    Fleet::builder(redis.url())
        .op_timeout(Duration::from_millis(300))
        .retry_interval(Duration::ZERO)
        .build()
        .unwrap()
}

/// An instance paced by the fleet's budget (its own Redis connection).
fn fleet_instance(
    addr: SocketAddr,
    redis: &RedisServer,
    rate: u32,
    burst: u32,
) -> (Auth0Client, RedisRateLimiter) {
    let limiter = RedisRateLimiter::builder(fleet(redis), format!("{addr}"))
        .rate(rate, Duration::from_secs(1))
        .burst(burst)
        .build()
        .unwrap();
    let config = config(addr, None);
    let stack = fleet_stack(&config, limiter.clone()).unwrap();
    (
        ClientBuilder::from_service(config, stack).build().unwrap(),
        limiter,
    )
}

async fn get(http: &Auth0Client) -> Result<(), auth0_core::Error> {
    http.get_json::<serde_json::Value>("/api/v2/users/auth0%7C1")
        .await
        .map(|_| ())
}

async fn run_all(clients: &[Auth0Client], calls: usize) {
    let tasks: Vec<_> = clients
        .iter()
        .flat_map(|c| {
            (0..calls).map(|_| {
                let c = c.clone();
                tokio::spawn(async move { get(&c).await })
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_instances_share_one_budget() {
    let redis = RedisServer::start();
    let tenant = Arc::new(Tenant::default());
    tenant.budget.store(30, Ordering::SeqCst);
    let addr = tenant.start().await;

    // Independent instances, each allowed a burst of 8 at 20/s: their 64
    // first attempts go at once, and however a window boundary splits
    // them, one window gets more than 30.
    let alone: Vec<_> = (0..8)
        .map(|_| {
            let local = RateLimiter::token_bucket(20, 8).unwrap();
            Auth0Client::new(config(addr, Some(local))).unwrap()
        })
        .collect();
    run_all(&alone, 8).await;
    let rejected_alone = tenant.rejected();
    assert!(rejected_alone > 0, "the tenant's budget is real");

    // The same fleet sharing 20/s through Redis: no 429 at all.
    let before = tenant.rejected();
    let shared: Vec<_> = (0..8)
        .map(|_| fleet_instance(addr, &redis, 20, 2))
        .collect();
    let clients: Vec<_> = shared.iter().map(|(c, _)| c.clone()).collect();
    run_all(&clients, 4).await;
    assert_eq!(
        tenant.rejected() - before,
        0,
        "alone: {rejected_alone} 429s"
    );
    for (_, l) in &shared {
        assert_eq!(l.status(), FleetStatus::Shared);
    }
    let keys = redis.dump("auth0:rate:*").await;
    assert!(keys.iter().any(|(k, _)| k.ends_with("}:gcra")), "{keys:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fleet_spends_the_window_the_tenant_reports_and_no_more() {
    let redis = RedisServer::start();
    let tenant = Arc::new(Tenant::default());
    tenant.budget.store(40, Ordering::SeqCst);
    let addr = tenant.start().await;
    // Configured far below the tenant (4/s): paced by the GCRA alone, 80
    // calls would span 20 seconds. The tenant's x-ratelimit-* headers say
    // 40 per window, and the four instances spend them together.
    let shared: Vec<_> = (0..4).map(|_| fleet_instance(addr, &redis, 4, 1)).collect();
    let clients: Vec<_> = shared.iter().map(|(c, _)| c.clone()).collect();
    run_all(&clients, 20).await;
    assert_eq!(tenant.rejected(), 0, "never more than the window holds");
    let seconds = tenant.served_in.lock().unwrap().clone();
    assert_eq!(seconds.len(), 80);
    let mut windows = seconds.clone();
    windows.dedup();
    // 80 calls at 40 per window: two full windows, plus the one the first
    // answer arrived in and at most one partial one at the edges — and no
    // window with requests to spare sat out between them (requests waiting
    // for far GCRA slots renew a window whose reset passed; before, the
    // fleet idled until the next slot, and the 80 calls spread over 6–20 s).
    assert!(windows.len() <= 4, "spread over {windows:?}");
    let span = windows.last().unwrap() - windows.first().unwrap();
    assert!(span <= 3, "idle windows: served in seconds {windows:?}");
    let keys = redis.dump("auth0:rate:*").await;
    assert!(
        keys.iter()
            .any(|(k, v)| k.ends_with("}:window") && v.contains("limit=40")),
        "{keys:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_requests_remaining_pauses_every_instance_until_the_reset() {
    let redis = RedisServer::start();
    let tenant = Arc::new(Tenant::default());
    // One request per second: the first answer says "0 remaining".
    tenant.budget.store(1, Ordering::SeqCst);
    let addr = tenant.start().await;
    let (a, _) = fleet_instance(addr, &redis, 100, 10);
    let (b, _) = fleet_instance(addr, &redis, 100, 10);
    for _ in 0..3 {
        get(&a).await.unwrap();
        // B has not seen any response: it waits because A did.
        get(&b).await.unwrap();
    }
    assert_eq!(tenant.rejected(), 0);
    assert_eq!(tenant.api_calls.load(Ordering::SeqCst), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_seen_by_one_instance_is_kept_by_the_others() {
    let redis = RedisServer::start();
    let tenant = Arc::new(Tenant::default());
    let addr = tenant.start().await;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    tenant.closed_until.store(now + 2, Ordering::SeqCst);
    let (a, _) = fleet_instance(addr, &redis, 100, 10);
    let (b, _) = fleet_instance(addr, &redis, 100, 10);
    let a_call = tokio::spawn(async move { get(&a).await });
    // Once A's 429 is published, B (which never saw it) waits too.
    let mut conn = redis.connection().await;
    // Bounded: a regression fails here instead of hanging.
    for round in 0.. {
        assert!(round < 10_000, "never published");
        let pause: Option<String> = redis::cmd("GET")
            .arg(format!(
                "auth0:rate:{{{}}}:pause",
                addr.to_string().replace(':', "%3A")
            ))
            .query_async(&mut conn)
            .await
            .unwrap();
        if pause.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    get(&b).await.unwrap();
    a_call.await.unwrap().unwrap();
    assert_eq!(tenant.rejected(), 1, "only A's first attempt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_paces_locally_and_sharing_resumes() {
    let mut redis = RedisServer::start();
    let tenant = Arc::new(Tenant::default());
    let addr = tenant.start().await;
    let (a, limiter) = fleet_instance(addr, &redis, 1000, 10);
    get(&a).await.unwrap();
    assert_eq!(limiter.status(), FleetStatus::Shared);
    redis.kill();
    for _ in 0..5 {
        get(&a).await.unwrap();
    }
    assert_eq!(limiter.status(), FleetStatus::Local);
    redis.restart();
    get(&a).await.unwrap();
    assert_eq!(limiter.status(), FleetStatus::Shared);
    assert_eq!(tenant.api_calls.load(Ordering::SeqCst), 7);
}

#[test]
fn settings_that_cannot_work_are_typed_errors() {
    use auth0_redis::{FleetError, RedisTokenSource};
    let fleet = || Fleet::builder("redis://127.0.0.1:1/").build().unwrap();
    assert_eq!(
        Fleet::builder("redis://h/").prefix("").build().unwrap_err(),
        FleetError::EmptyPrefix
    );
    assert_eq!(
        Fleet::builder("redis://h/")
            .op_timeout(Duration::ZERO)
            .build()
            .unwrap_err(),
        FleetError::ZeroTimeout
    );
    assert!(matches!(
        Fleet::builder("nope://h/").build().unwrap_err(),
        FleetError::InvalidUrl { .. }
    ));
    for (rate, per, burst) in [(0, 1, 1), (1, 0, 1), (1, 1, 0)] {
        assert_eq!(
            RedisRateLimiter::builder(fleet(), "t")
                .rate(rate, Duration::from_secs(per))
                .burst(burst)
                .build()
                .unwrap_err(),
            FleetError::ZeroRate
        );
    }
    assert_eq!(
        RedisRateLimiter::builder(fleet(), "t")
            .max_pause(Duration::ZERO)
            .build()
            .unwrap_err(),
        FleetError::InvalidDuration { what: "max_pause" }
    );
    let source = || {
        auth0_authentication::token_source::from_fn(|_r| async {
            Err::<auth0_authentication::token_source::IssuedToken, _>("unused".into())
        })
    };
    // Zero, or under the millisecond of `SET … PX` (`PX 0` is refused).
    for lease in [Duration::ZERO, Duration::from_micros(999)] {
        assert_eq!(
            RedisTokenSource::builder(fleet(), source())
                .lease(lease)
                .build()
                .unwrap_err(),
            FleetError::InvalidDuration { what: "lease" }
        );
    }
    assert_eq!(
        RedisTokenSource::builder(fleet(), source())
            .refresh_before(Duration::from_secs(86_400))
            .build()
            .unwrap_err(),
        FleetError::InvalidDuration {
            what: "refresh_before"
        }
    );
}

/// The fleet's window hash field `field` (documented in docs/FLEET.md).
async fn window_field(redis: &RedisServer, addr: SocketAddr, field: &str) -> Option<String> {
    let mut conn = redis.connection().await;
    redis::cmd("HGET")
        .arg(format!(
            "auth0:rate:{{{}}}:window",
            addr.to_string().replace(':', "%3A")
        ))
        .arg(field)
        .query_async(&mut conn)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_cut_by_its_deadline_leaves_the_fleets_in_flight_count() {
    let redis = RedisServer::start();
    let tenant = Arc::new(Tenant::default());
    // The tenant answers after the caller's deadline: the call's future is
    // dropped between the fleet's slot and the answer.
    tenant.api_delay_ms.store(3_000, Ordering::SeqCst);
    let addr = tenant.start().await;
    let limiter = RedisRateLimiter::builder(fleet(&redis), format!("{addr}"))
        .rate(100, Duration::from_secs(1))
        .build()
        .unwrap();
    let config = ClientConfig::builder()
        .domain(format!("http://{addr}"))
        .allow_insecure_loopback(true)
        .deadline(Duration::from_millis(300))
        .build()
        .unwrap();
    let stack = fleet_stack(&config, limiter).unwrap();
    let http = ClientBuilder::from_service(config, stack).build().unwrap();
    let err = get(&http).await.unwrap_err();
    assert!(matches!(err, auth0_core::Error::Timeout(_)), "{err:?}");
    assert_eq!(tenant.api_calls.load(Ordering::SeqCst), 1, "it was sent");

    // The request is no longer in flight: a count left at 1 would shrink
    // every window the fleet learns from then on (one per dropped call).
    let mut inflight = None;
    for _ in 0..500 {
        inflight = window_field(&redis, addr, "inflight").await;
        if inflight.as_deref() == Some("0") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(inflight.as_deref(), Some("0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_failing_while_requests_wait_for_their_slots_hands_them_to_the_local_limiter() {
    let mut redis = RedisServer::start();
    let tenant = Arc::new(Tenant::default());
    let addr = tenant.start().await;
    // The fleet allows one request per 10 s; the local fallback one per
    // hour (after its first).
    let local = RateLimiter::builder()
        .rate(1, Duration::from_secs(3_600))
        .build()
        .unwrap();
    let limiter = RedisRateLimiter::builder(fleet(&redis), format!("{addr}"))
        .rate(1, Duration::from_secs(10))
        .local(local)
        .build()
        .unwrap();
    let config = config(addr, None);
    let stack = fleet_stack(&config, limiter).unwrap();
    let http = ClientBuilder::from_service(config, stack).build().unwrap();
    let calls: Vec<_> = (0..4)
        .map(|_| {
            let http = http.clone();
            tokio::spawn(async move { get(&http).await })
        })
        .collect();
    // Wait until the first went and the other three hold GCRA slots (the
    // theoretical arrival time is then 40 s ahead of Redis' clock).
    let mut conn = redis.connection().await;
    let gcra = format!(
        "auth0:rate:{{{}}}:gcra",
        addr.to_string().replace(':', "%3A")
    );
    for round in 0.. {
        assert!(round < 2_000, "the slots were never reserved");
        let tat: Option<String> = redis::cmd("GET")
            .arg(&gcra)
            .query_async(&mut conn)
            .await
            .unwrap();
        let (secs, micros): (u64, u64) = redis::cmd("TIME").query_async(&mut conn).await.unwrap();
        let now = secs * 1_000_000 + micros;
        let ahead = tat.and_then(|t| t.parse::<u64>().ok()).unwrap_or(0);
        if tenant.api_calls.load(Ordering::SeqCst) == 1 && ahead >= now + 35_000_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    drop(conn);
    redis.kill();

    // The three waiting requests go on with the local limiter: one goes,
    // two wait an hour. None may go unpaced because Redis failed.
    for round in 0.. {
        assert!(round < 2_000, "no request went on after Redis failed");
        if tenant.api_calls.load(Ordering::SeqCst) >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Room for any other to go, if one would.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(tenant.api_calls.load(Ordering::SeqCst), 2);
    for c in calls {
        c.abort();
    }
}

/// Redis' clock (µs), the one the fleet's scripts date everything by.
async fn redis_time_us(redis: &RedisServer) -> u64 {
    let mut conn = redis.connection().await;
    let (secs, micros): (u64, u64) = redis::cmd("TIME").query_async(&mut conn).await.unwrap();
    secs * 1_000_000 + micros
}

/// The published pause end of the budget `name` (µs, Redis time).
async fn pause_end(redis: &RedisServer, name: &str) -> Option<u64> {
    let mut conn = redis.connection().await;
    let end: Option<String> = redis::cmd("GET")
        .arg(format!("auth0:rate:{{{name}}}:pause"))
        .query_async(&mut conn)
        .await
        .unwrap();
    end.map(|e| e.parse().unwrap())
}

/// `unix` as an IMF-fixdate (RFC 9110 §5.6.7).
fn http_date(unix: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (days, secs) = (unix / 86_400, unix % 86_400);
    // Civil from days (H. Hinnant), days since 1970-01-01.
    let z = days + 719_468;
    let (era, doe) = (z / 146_097, z % 146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = era * 400 + yoe + u64::from(month <= 2);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        DAYS[usize::try_from(days % 7).unwrap()],
        MONTHS[usize::try_from(month - 1).unwrap()],
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}

#[test]
fn the_test_dates_are_imf_fixdates() {
    assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_eq!(http_date(1_709_208_000), "Thu, 29 Feb 2024 12:00:00 GMT");
}

fn headers(pairs: &[(&'static str, String)]) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    for (k, v) in pairs {
        h.insert(*k, v.parse().unwrap());
    }
    h
}

/// What a `429` asks of the fleet is published as the moment the tenant
/// named, read against Redis' clock as the window is: the replica that saw
/// it adds nothing of its own clock. Before, the replica turned the
/// absolute `x-ratelimit-reset` (or an HTTP-date `Retry-After`) into a wait
/// with its own clock and the script added that wait to Redis' `TIME`: the
/// pause ended at reset + (Redis' clock − the replica's), off by whatever
/// the replica's clock is off (a replica minutes slow paused the fleet for
/// `max_pause` on every `429`; one fast by more than the wait published no
/// pause at all) — and, with clocks in agreement, still late by the time
/// between reading the response and the script running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_published_pause_ends_at_the_moment_the_tenant_named_in_redis_time() {
    let redis = RedisServer::start();
    let limiter = |name: &str| {
        RedisRateLimiter::builder(fleet(&redis), name)
            .rate(100, Duration::from_secs(1))
            .build()
            .unwrap()
    };
    let now_s = redis_time_us(&redis).await / 1_000_000;

    // `x-ratelimit-reset` (UNIX seconds) with no requests remaining.
    let reset = now_s + 30;
    let l = limiter("reset");
    l.acquire().await;
    let h = headers(&[
        ("x-ratelimit-limit", "10".to_owned()),
        ("x-ratelimit-remaining", "0".to_owned()),
        ("x-ratelimit-reset", reset.to_string()),
    ]);
    l.observe(http::StatusCode::TOO_MANY_REQUESTS, &h).await;
    assert_eq!(pause_end(&redis, "reset").await, Some(reset * 1_000_000));

    // An HTTP-date `Retry-After` names a moment too.
    let at = now_s + 40;
    let l = limiter("date");
    l.acquire().await;
    let h = headers(&[("retry-after", http_date(at))]);
    l.observe(http::StatusCode::TOO_MANY_REQUESTS, &h).await;
    assert_eq!(pause_end(&redis, "date").await, Some(at * 1_000_000));

    // An HTTP-date already past by Redis' clock leaves the reset to pace
    // the fleet, as the retry policy falls back to it.
    let l = limiter("past-date");
    l.acquire().await;
    let h = headers(&[
        ("retry-after", http_date(now_s - 5)),
        ("x-ratelimit-limit", "10".to_owned()),
        ("x-ratelimit-remaining", "0".to_owned()),
        ("x-ratelimit-reset", reset.to_string()),
    ]);
    l.observe(http::StatusCode::TOO_MANY_REQUESTS, &h).await;
    assert_eq!(
        pause_end(&redis, "past-date").await,
        Some(reset * 1_000_000)
    );

    // Delta-seconds are a wait from when Redis publishes it.
    let l = limiter("delta");
    l.acquire().await;
    let before = redis_time_us(&redis).await;
    let h = headers(&[("retry-after", "20".to_owned())]);
    l.observe(http::StatusCode::TOO_MANY_REQUESTS, &h).await;
    let after = redis_time_us(&redis).await;
    let end = pause_end(&redis, "delta").await.unwrap();
    assert!(
        (before + 20_000_000..=after + 20_000_000).contains(&end),
        "{before} {end} {after}"
    );

    // A reset further than `max_pause` (60 s) is published as 60 s from
    // Redis' now; one already past by Redis' clock, not at all.
    let l = limiter("far");
    l.acquire().await;
    let before = redis_time_us(&redis).await;
    let h = headers(&[
        ("x-ratelimit-limit", "10".to_owned()),
        ("x-ratelimit-remaining", "0".to_owned()),
        ("x-ratelimit-reset", (now_s + 3_600).to_string()),
    ]);
    l.observe(http::StatusCode::TOO_MANY_REQUESTS, &h).await;
    let after = redis_time_us(&redis).await;
    let end = pause_end(&redis, "far").await.unwrap();
    assert!(
        (before + 60_000_000..=after + 60_000_000).contains(&end),
        "{before} {end} {after}"
    );
    let l = limiter("past");
    l.acquire().await;
    let h = headers(&[
        ("x-ratelimit-limit", "10".to_owned()),
        ("x-ratelimit-remaining", "0".to_owned()),
        ("x-ratelimit-reset", (now_s - 1).to_string()),
    ]);
    l.observe(http::StatusCode::TOO_MANY_REQUESTS, &h).await;
    assert_eq!(pause_end(&redis, "past").await, None);
}
