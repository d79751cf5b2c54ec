//! The fleet's shared token against a real `redis-server`: separate
//! Management clients (nothing shared but Redis) ask a counting local
//! tenant once; a dead lock holder blocks only for its lease; Redis killed
//! mid-run falls back to local fetches, and sharing resumes when it is
//! back; a sealed token is not readable in Redis.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use auth0_authentication::ClientCredentials;
use auth0_authentication::token_source::{
    AccessTokenSource, ClientCredentialsSource, IssuedToken, TokenRequest, from_fn,
};
use auth0_core::client::percent_encode_into;
use auth0_core::types::BoxError;
use auth0_core::{Auth0Client, ClientConfig};
use auth0_jwt::clock::{Clock, ManualClock};
use auth0_management::ManagementClient;
use auth0_management::request::{ApiPath, ApiRequest};
use auth0_redis::{Fleet, FleetStatus, RedisTokenSource, SealingKey};
use support::{RedisServer, TOKEN_PREFIX, Tenant};

const T0: i64 = 1_900_000_000;

fn http(addr: SocketAddr) -> Auth0Client {
    let config = ClientConfig::builder()
        .domain(format!("http://{addr}"))
        .allow_insecure_loopback(true)
        .build()
        .unwrap();
    Auth0Client::new(config).unwrap()
}

fn fleet(redis: &RedisServer) -> Fleet {
    fleet_at(&redis.url())
}

/// [`fleet`] on the Redis at `url`.
fn fleet_at(url: &str) -> Fleet {
    Fleet::builder(url)
        .op_timeout(Duration::from_millis(300))
        .retry_interval(Duration::ZERO)
        .build()
        .unwrap()
}

/// One instance: its own HTTP client, its own Redis connection, its own
/// clock; the client-credentials grant behind the shared source.
struct Instance {
    auth0: ManagementClient,
    fleet: Fleet,
    clock: Arc<ManualClock>,
}

fn instance(
    addr: SocketAddr,
    redis: &RedisServer,
    tune: impl FnOnce(auth0_redis::RedisTokenSourceBuilder) -> auth0_redis::RedisTokenSourceBuilder,
) -> Instance {
    instance_on(addr, fleet(redis), tune)
}

/// [`instance`] on a fleet of the test's own.
fn instance_on(
    addr: SocketAddr,
    fleet: Fleet,
    tune: impl FnOnce(auth0_redis::RedisTokenSourceBuilder) -> auth0_redis::RedisTokenSourceBuilder,
) -> Instance {
    let clock = Arc::new(ManualClock::new(T0));
    let http = http(addr);
    let credentials = ClientCredentials::client_secret("fleet-client", "fleet-secret")
        .with_clock(Arc::clone(&clock) as Arc<dyn Clock>);
    let grant = ClientCredentialsSource::new(http.clone(), credentials);
    let source = tune(RedisTokenSource::builder(fleet.clone(), grant).clock(Arc::clone(&clock)))
        .build()
        .unwrap();
    let auth0 = ManagementClient::builder(http)
        .access_token_source("fleet-client", source)
        .clock(Arc::clone(&clock))
        .build()
        .unwrap();
    Instance {
        auth0,
        fleet,
        clock,
    }
}

async fn get_user(auth0: &ManagementClient) -> Result<(), auth0_management::Error> {
    auth0
        .execute::<serde_json::Value>(ApiRequest::get(ApiPath::new("users").segment("auth0|1")))
        .await
        .map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_clients_share_one_token_fetch() {
    let redis = RedisServer::start();
    let tenant = Arc::new(Tenant::default());
    // A slow token endpoint: the eight instances all miss at once.
    tenant.token_delay_ms.store(150, Ordering::SeqCst);
    let addr = tenant.start().await;
    let instances: Vec<_> = (0..8).map(|_| instance(addr, &redis, |b| b)).collect();

    let tasks: Vec<_> = instances
        .iter()
        .flat_map(|i| {
            (0..5).map(|_| {
                let auth0 = i.auth0.clone();
                tokio::spawn(async move { get_user(&auth0).await })
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(tenant.token_requests(), 1, "one fetch for the fleet");
    let bearers = tenant.bearers.lock().unwrap().clone();
    assert_eq!(bearers.len(), 40);
    assert!(
        bearers
            .iter()
            .all(|b| *b == format!("Bearer {TOKEN_PREFIX}-1"))
    );
    for i in &instances {
        assert_eq!(i.fleet.status(), FleetStatus::Shared);
    }
    // Stored in the clear by default, with the token's own lifetime, and
    // the lock is gone.
    let stored = redis.dump("auth0:*").await;
    assert_eq!(
        stored.len(),
        1,
        "{:?}",
        stored.iter().map(|s| &s.0).collect::<Vec<_>>()
    );
    let mut key = "auth0:token:".to_owned();
    percent_encode_into(&mut key, &format!("http://{addr}/"));
    key.push(':');
    percent_encode_into(&mut key, &format!("http://{addr}/api/v2/"));
    key.push_str(":fleet-client");
    assert_eq!(stored[0].0, key);
    assert!(stored[0].1.ends_with(&format!("{TOKEN_PREFIX}-1")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_holder_blocks_only_for_its_lease() {
    let redis = RedisServer::start();
    let tenant = Arc::new(Tenant::default());
    let addr = tenant.start().await;

    // Instance A's source never answers: it takes the lock and hangs.
    let asked = Arc::new(AtomicUsize::new(0));
    let a_asked = Arc::clone(&asked);
    let hanging = from_fn(move |_r: TokenRequest| {
        a_asked.fetch_add(1, Ordering::SeqCst);
        std::future::pending::<Result<IssuedToken, BoxError>>()
    });
    let a_source = RedisTokenSource::builder(fleet(&redis), hanging)
        .lease(Duration::from_millis(400))
        .build()
        .unwrap();
    let a = ManagementClient::builder(http(addr))
        .access_token_source("fleet-client", a_source)
        .build()
        .unwrap();
    let a_call = tokio::spawn(async move { get_user(&a).await });
    // Wait until A holds the lock and is inside its fetch, then kill A
    // mid-lease.
    let mut conn = redis.connection().await;
    // Bounded: a regression fails here instead of hanging.
    for round in 0.. {
        assert!(round < 10_000, "never published");
        let locks: Vec<String> = redis::cmd("KEYS")
            .arg("auth0:token:*:lock")
            .query_async(&mut conn)
            .await
            .unwrap();
        if !locks.is_empty() && asked.load(Ordering::SeqCst) == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    a_call.abort();

    // B waits for the lease to run out, then fetches itself.
    let b = instance(addr, &redis, |b| b.lease(Duration::from_millis(400)));
    get_user(&b.auth0).await.unwrap();
    assert_eq!(tenant.token_requests(), 1);
    assert_eq!(b.fleet.status(), FleetStatus::Shared);
    assert_eq!(redis.dump("auth0:token:*:lock").await.len(), 0);
    assert_eq!(redis.dump("auth0:token:*").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_falls_back_and_sharing_resumes_after_restart() {
    let mut redis = RedisServer::start();
    let tenant = Arc::new(Tenant::default());
    let addr = tenant.start().await;
    let a = instance(addr, &redis, |b| b);
    let b = instance(addr, &redis, |b| b);
    let both = |t: i64| {
        a.clock.set(t);
        b.clock.set(t);
    };

    get_user(&a.auth0).await.unwrap();
    get_user(&b.auth0).await.unwrap();
    assert_eq!(tenant.token_requests(), 1);

    // Redis dies; the tokens expire (the tenant's last 86,400 s): each
    // instance fetches its own and every call still works.
    redis.kill();
    both(T0 + 86_400);
    for _ in 0..3 {
        get_user(&a.auth0).await.unwrap();
        get_user(&b.auth0).await.unwrap();
    }
    assert_eq!(tenant.token_requests(), 3, "one local fetch per instance");
    assert_eq!(a.fleet.status(), FleetStatus::Local);
    assert_eq!(b.fleet.status(), FleetStatus::Local);
    assert!(a.fleet.failures() > 0);

    // Redis is back (empty): the next expiry is fetched once for both.
    redis.restart();
    both(T0 + 2 * 86_400);
    get_user(&a.auth0).await.unwrap();
    get_user(&b.auth0).await.unwrap();
    assert_eq!(tenant.token_requests(), 4, "shared again");
    assert_eq!(a.fleet.status(), FleetStatus::Shared);
    assert_eq!(b.fleet.status(), FleetStatus::Shared);
    let bearers = tenant.bearers.lock().unwrap().clone();
    let last_two = &bearers[bearers.len() - 2..];
    assert_eq!(last_two[0], format!("Bearer {TOKEN_PREFIX}-4"));
    assert_eq!(last_two[0], last_two[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sealed_token_is_not_readable_in_redis() {
    let redis = RedisServer::start();
    let tenant = Arc::new(Tenant::default());
    let addr = tenant.start().await;
    let key = [42u8; 32];
    let a = instance(addr, &redis, |b| {
        b.sealing_key(SealingKey::aes_256_gcm(&key))
    });
    let b = instance(addr, &redis, |b| {
        b.sealing_key(SealingKey::aes_256_gcm(&key))
    });
    get_user(&a.auth0).await.unwrap();
    get_user(&b.auth0).await.unwrap();
    assert_eq!(tenant.token_requests(), 1, "the sealed token is shared");

    let stored = redis.dump("auth0:token:*").await;
    assert_eq!(stored.len(), 1);
    let value = &stored[0].1;
    assert!(value.starts_with("s1."), "sealed marker");
    assert!(!value.contains("eyJ"), "no JWT in Redis");
    assert!(
        !value.contains(&(T0 + 86_400).to_string()),
        "nor its expiry"
    );

    // An instance with another key cannot open it: it fetches and replaces
    // it rather than failing.
    let c = instance(addr, &redis, |b| {
        b.sealing_key(SealingKey::chacha20_poly1305(&[7u8; 32]))
    });
    get_user(&c.auth0).await.unwrap();
    assert_eq!(tenant.token_requests(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_appears_in_no_debug_or_error_text() {
    let redis = RedisServer::start();
    let tenant = Arc::new(Tenant::default());
    let addr = tenant.start().await;
    let grant = ClientCredentialsSource::new(
        http(addr),
        ClientCredentials::client_secret("fleet-client", "fleet-secret"),
    );
    let source = RedisTokenSource::builder(
        Fleet::builder(format!("redis://:hunter2pass@127.0.0.1:{}/", redis.port()))
            .build()
            .unwrap(),
        grant,
    )
    .sealing_key(SealingKey::chacha20_poly1305(&[9u8; 32]))
    .build()
    .unwrap();
    let request = TokenRequest::new(
        format!("http://{addr}/"),
        format!("http://{addr}/api/v2/"),
        "fleet-client",
    );
    // The URL's password is refused by this server (no ACL set): the
    // source falls back to the grant, and says nothing of either secret.
    let token = source.access_token(&request).await.unwrap();
    assert!(token.access_token().starts_with(TOKEN_PREFIX));
    let shown = format!("{source:?} {token:?}");
    for secret in ["hunter2pass", "fleet-secret", TOKEN_PREFIX] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert_eq!(source.status(), FleetStatus::Local);
    assert_eq!(source.local_fetches(), 1);
    let err = Fleet::builder("redis://:hunter2pass@[::1")
        .build()
        .unwrap_err();
    assert!(!format!("{err} {err:?}").contains("hunter2pass"));
}

/// Captures every event's message and fields as text.
#[derive(Clone, Default)]
struct Capture(Arc<std::sync::Mutex<Vec<String>>>);

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Text(String);
        impl tracing::field::Visit for Text {
            fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                self.0.push_str(&format!("{}={v:?} ", f.name()));
            }
        }
        let mut text = Text(format!(
            "{} {} ",
            event.metadata().level(),
            event.metadata().target()
        ));
        event.record(&mut text);
        self.0.lock().unwrap().push(text.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test(flavor = "current_thread")]
async fn the_fallback_and_the_recovery_are_tracing_events_without_secrets() {
    let capture = Capture::default();
    // A second registered dispatcher, alive for the test. With only one,
    // tracing-core takes a callsite's interest from the default dispatcher
    // of the thread that first hits it: the parallel tests' threads have
    // none, and an event of this crate first logged there (the fallback
    // WARN, the recovery INFO) was disabled for good, here too.
    let _registered_too = tracing::Dispatch::new(Capture::default());
    let _guard = tracing::dispatcher::set_default(&tracing::Dispatch::new(capture.clone()));
    let mut redis = RedisServer::start();
    let tenant = Arc::new(Tenant::default());
    let addr = tenant.start().await;
    let a = instance(addr, &redis, |b| b);
    get_user(&a.auth0).await.unwrap();
    redis.kill();
    a.clock.set(T0 + 86_400);
    get_user(&a.auth0).await.unwrap();
    redis.restart();
    a.clock.set(T0 + 2 * 86_400);
    get_user(&a.auth0).await.unwrap();

    let events = capture.0.lock().unwrap().clone();
    let ours: Vec<_> = events
        .iter()
        .filter(|e| e.contains(" auth0_redis "))
        .collect();
    assert!(
        ours.iter()
            .any(|e| e.starts_with("WARN") && e.contains("falling back")),
        "{ours:?}"
    );
    assert!(
        ours.iter()
            .any(|e| e.starts_with("INFO") && e.contains("Redis is back")),
        "{ours:?}"
    );
    for e in &events {
        assert!(
            !e.contains(TOKEN_PREFIX) && !e.contains("fleet-secret"),
            "{e}"
        );
    }
}

/// The Redis key of the Management API token of `fleet-client` on `addr`.
fn token_key(addr: SocketAddr) -> String {
    let mut key = "auth0:token:".to_owned();
    percent_encode_into(&mut key, &format!("http://{addr}/"));
    key.push(':');
    percent_encode_into(&mut key, &format!("http://{addr}/api/v2/"));
    key.push_str(":fleet-client");
    key
}

/// Polls (bounded) until the token lock exists.
async fn wait_for_lock(redis: &RedisServer) {
    let mut conn = redis.connection().await;
    for round in 0.. {
        assert!(round < 10_000, "the lock was never taken");
        let locks: Vec<String> = redis::cmd("KEYS")
            .arg("auth0:token:*:lock")
            .query_async(&mut conn)
            .await
            .unwrap();
        if !locks.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fetch_slower_than_the_lease_keeps_its_lock() {
    let redis = RedisServer::start();
    let tenant = Arc::new(Tenant::default());
    // The token endpoint takes three leases to answer (Auth0 slow, or
    // answering 429 to the grant: the default stack retries for up to 90 s).
    tenant.token_delay_ms.store(3_000, Ordering::SeqCst);
    let addr = tenant.start().await;
    let tune = |b: auth0_redis::RedisTokenSourceBuilder| {
        b.lease(Duration::from_secs(1))
            .max_wait(Duration::from_secs(30))
    };
    let a = instance(addr, &redis, tune);
    let b = instance(addr, &redis, tune);
    let a_auth0 = a.auth0.clone();
    let a_call = tokio::spawn(async move { get_user(&a_auth0).await });
    wait_for_lock(&redis).await;
    // B finds A's fetch under way and waits for it, however long it takes.
    get_user(&b.auth0).await.unwrap();
    a_call.await.unwrap().unwrap();
    assert_eq!(tenant.token_requests(), 1, "one fetch for the fleet");
    assert_eq!(redis.dump("auth0:token:*:lock").await.len(), 0);
}

/// Polls (bounded, far below the tests' 60 s lease) until the token lock
/// is gone.
async fn wait_for_no_lock(redis: &RedisServer, why: &str) {
    let mut conn = redis.connection().await;
    for round in 0.. {
        assert!(round < 10_000, "{why}");
        let locks: Vec<String> = redis::cmd("KEYS")
            .arg("auth0:token:*:lock")
            .query_async(&mut conn)
            .await
            .unwrap();
        if locks.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// A token source that never answers and counts the times it was asked.
fn hanging_source(asked: &Arc<AtomicUsize>) -> impl AccessTokenSource {
    let asked = Arc::clone(asked);
    from_fn(move |_r: TokenRequest| {
        asked.fetch_add(1, Ordering::SeqCst);
        std::future::pending::<Result<IssuedToken, BoxError>>()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_whose_call_is_dropped_releases_the_lock_at_once() {
    let redis = RedisServer::start();
    let tenant = Arc::new(Tenant::default());
    let addr = tenant.start().await;
    let asked = Arc::new(AtomicUsize::new(0));
    // A long lease: a dropped call must not hold the others for it.
    let lease = Duration::from_secs(60);
    let a_source = RedisTokenSource::builder(fleet(&redis), hanging_source(&asked))
        .lease(lease)
        .build()
        .unwrap();
    let a = ManagementClient::builder(http(addr))
        .access_token_source("fleet-client", a_source)
        .build()
        .unwrap();
    // A caller that gives up (its own timeout, a cancelled request) while
    // its fetch is under way: A holds the lock and its source was asked.
    let a_call = tokio::spawn(async move { get_user(&a).await });
    wait_for_lock(&redis).await;
    for round in 0.. {
        assert!(round < 10_000, "A never asked its source");
        if asked.load(Ordering::SeqCst) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    a_call.abort();
    assert!(a_call.await.unwrap_err().is_cancelled());
    wait_for_no_lock(&redis, "the dropped holder's lock was kept for its lease").await;

    let b = instance(addr, &redis, |b| b.lease(lease).max_wait(lease * 2));
    get_user(&b.auth0).await.unwrap();
    assert_eq!(tenant.token_requests(), 1);
}

/// A TCP proxy on 127.0.0.1 in front of a `redis-server` for one
/// instance: every command reaches Redis, but once the instance has sent
/// one with an `NX` argument (the lock's `SET NX`), only `answers` more
/// reply lines come back; the rest are held until [`Self::answer_again`] —
/// Redis stops answering this instance at a chosen point, as in a network
/// blip, while the others still reach it. Each connection counts on its
/// own (a reconnection after a failure is answered).
struct SilentAfterLock {
    url: String,
    open: tokio::sync::watch::Sender<bool>,
}

impl SilentAfterLock {
    async fn start(redis: &RedisServer, answers: usize) -> Self {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("redis://{}/", listener.local_addr().unwrap());
        let upstream = ("127.0.0.1", redis.port());
        let (open, gate) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server = tokio::net::TcpStream::connect(upstream).await.unwrap();
                let (mut client_rx, mut client_tx) = client.into_split();
                let (mut server_rx, mut server_tx) = server.into_split();
                let nx_sent = Arc::new(std::sync::atomic::AtomicBool::new(false));
                let seen = Arc::clone(&nx_sent);
                tokio::spawn(async move {
                    // Commands, with the last bytes kept so an `NX` split
                    // between two reads is still seen.
                    let (mut buf, mut tail) = ([0u8; 4096], Vec::new());
                    while let Ok(n @ 1..) = client_rx.read(&mut buf).await {
                        tail.extend_from_slice(&buf[..n]);
                        if tail.windows(8).any(|w| w == b"$2\r\nNX\r\n") {
                            seen.store(true, Ordering::SeqCst);
                        }
                        tail.drain(..tail.len().saturating_sub(8));
                        if server_tx.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                });
                let mut gate = gate.clone();
                tokio::spawn(async move {
                    let (mut buf, mut left) = ([0u8; 4096], answers);
                    while let Ok(n @ 1..) = server_rx.read(&mut buf).await {
                        let mut pass = n;
                        if nx_sent.load(Ordering::SeqCst) && !*gate.borrow() {
                            // Up to the end of the `left`-th line.
                            pass = 0;
                            while left > 0 && pass < n {
                                if buf[pass] == b'\n' {
                                    left -= 1;
                                }
                                pass += 1;
                            }
                        }
                        if client_tx.write_all(&buf[..pass]).await.is_err() {
                            return;
                        }
                        if pass < n {
                            // Held (Redis' further answers wait in the
                            // socket meanwhile) until the test opens.
                            if gate.wait_for(|open| *open).await.is_err()
                                || client_tx.write_all(&buf[pass..n]).await.is_err()
                            {
                                return;
                            }
                        }
                    }
                });
            }
        });
        Self { url, open }
    }

    /// Every answer held so far, and all later ones, reach the instance.
    fn answer_again(&self) {
        self.open.send_replace(true);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_dropped_while_its_lock_request_is_in_flight_releases_the_lock() {
    let redis = RedisServer::start();
    let tenant = Arc::new(Tenant::default());
    let addr = tenant.start().await;
    let asked = Arc::new(AtomicUsize::new(0));
    // A's `SET NX` reaches Redis, which takes the lock for A, but the
    // answer is held on the way: A's call is dropped while it waits for it.
    let proxy = SilentAfterLock::start(&redis, 0).await;
    let a_fleet = Fleet::builder(&proxy.url)
        .op_timeout(Duration::from_secs(30))
        .retry_interval(Duration::ZERO)
        .build()
        .unwrap();
    let lease = Duration::from_secs(60);
    let a_source = Arc::new(
        RedisTokenSource::builder(a_fleet, hanging_source(&asked))
            .lease(lease)
            .build()
            .unwrap(),
    );
    let request = token_request(addr);
    let a_call = tokio::spawn(async move { a_source.access_token(&request).await });
    wait_for_lock(&redis).await;
    a_call.abort();
    assert!(a_call.await.unwrap_err().is_cancelled());
    // The network is back: the lock Redis took for A goes at once, not
    // after its lease (before, nothing released it: the others waited out
    // the 60 s).
    proxy.answer_again();
    wait_for_no_lock(
        &redis,
        "the lock of the dropped call was kept for its lease",
    )
    .await;

    let b = instance(addr, &redis, |b| b.lease(lease).max_wait(lease * 2));
    get_user(&b.auth0).await.unwrap();
    assert_eq!(tenant.token_requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresher_that_loses_redis_after_taking_the_lock_serves_the_valid_token() {
    let redis = RedisServer::start();
    let tenant = Arc::new(Tenant::default());
    let addr = tenant.start().await;
    // The fleet's token (the tenant's last a day), published by A.
    let a = instance(addr, &redis, |b| b);
    get_user(&a.auth0).await.unwrap();
    assert_eq!(tenant.token_requests(), 1);

    // 100 s before it expires (inside the 5 min early-refresh lead) B
    // takes the lock to refresh it, then Redis stops answering B: its
    // re-read under the lock fails.
    let clock = Arc::new(ManualClock::new(T0 + 86_400 - 100));
    let proxy = SilentAfterLock::start(&redis, 1).await;
    let b_fleet = Fleet::builder(&proxy.url)
        .op_timeout(Duration::from_millis(300))
        .retry_interval(Duration::ZERO)
        .build()
        .unwrap();
    let grant = ClientCredentialsSource::new(
        http(addr),
        ClientCredentials::client_secret("fleet-client", "fleet-secret")
            .with_clock(Arc::clone(&clock) as Arc<dyn Clock>),
    );
    let b = RedisTokenSource::builder(b_fleet, grant)
        .clock(Arc::clone(&clock))
        .build()
        .unwrap();
    let token = b.access_token(&token_request(addr)).await.unwrap();

    // B serves the token it holds, still valid for 100 s; a later call
    // refreshes it through the lock. It used to fetch one of its own that
    // it could not share: a token request more per refresher per blip.
    assert_eq!(token.access_token(), format!("{TOKEN_PREFIX}-1"));
    assert_eq!(
        tenant.token_requests(),
        1,
        "no fetch while a valid token is held"
    );
    assert_eq!(b.inner_fetches(), 0);
    assert!(b.fleet().failures() > 0, "Redis failed B");
    // B let go of the lock (the release went over a new connection).
    assert_eq!(redis.dump("auth0:token:*:lock").await.len(), 0);

    // Redis answers again: B's next call refreshes the token for the fleet.
    proxy.answer_again();
    let token = b.access_token(&token_request(addr)).await.unwrap();
    assert_eq!(token.access_token(), format!("{TOKEN_PREFIX}-2"));
    assert_eq!(tenant.token_requests(), 2);
}

/// A holder whose Redis failed under the lock (its re-read timed out) still
/// gives the lock back, though its fleet then stays off Redis for
/// `retry_interval` (the default 1 s, a minute here): the rest of the fleet
/// would otherwise wait out the lease.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_whose_redis_failed_under_the_lock_still_releases_it() {
    let redis = RedisServer::start();
    let tenant = Arc::new(Tenant::default());
    let addr = tenant.start().await;
    let a = instance(addr, &redis, |b| b);
    get_user(&a.auth0).await.unwrap();

    let clock = Arc::new(ManualClock::new(T0 + 86_400 - 100));
    let proxy = SilentAfterLock::start(&redis, 1).await;
    let b_fleet = Fleet::builder(&proxy.url)
        .op_timeout(Duration::from_millis(300))
        .retry_interval(Duration::from_secs(60))
        .build()
        .unwrap();
    let grant = ClientCredentialsSource::new(
        http(addr),
        ClientCredentials::client_secret("fleet-client", "fleet-secret")
            .with_clock(Arc::clone(&clock) as Arc<dyn Clock>),
    );
    let b = RedisTokenSource::builder(b_fleet, grant)
        .clock(Arc::clone(&clock))
        .build()
        .unwrap();
    b.access_token(&token_request(addr)).await.unwrap();
    assert!(b.fleet().failures() > 0, "Redis failed B under the lock");
    assert_eq!(
        redis.dump("auth0:token:*:lock").await.len(),
        0,
        "the lock was given back"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_early_refresh_still_serves_the_valid_shared_token() {
    let redis = RedisServer::start();
    let tenant = Arc::new(Tenant::default());
    let addr = tenant.start().await;
    let failing = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let asked = Arc::new(AtomicUsize::new(0));
    let source = |clock: Arc<ManualClock>| {
        let (failing, asked) = (Arc::clone(&failing), Arc::clone(&asked));
        from_fn(move |_r: TokenRequest| {
            let n = asked.fetch_add(1, Ordering::SeqCst) + 1;
            let result = if failing.load(Ordering::SeqCst) {
                Err::<_, BoxError>("the token endpoint is down".into())
            } else {
                Ok(IssuedToken::new(format!("tok-{n}"), clock.now() + 3_600))
            };
            async move { result }
        })
    };
    let client = |clock: Arc<ManualClock>| {
        let shared = RedisTokenSource::builder(fleet(&redis), source(Arc::clone(&clock)))
            .clock(Arc::clone(&clock))
            .build()
            .unwrap();
        ManagementClient::builder(http(addr))
            .access_token_source("fleet-client", shared)
            .clock(clock)
            .build()
            .unwrap()
    };
    get_user(&client(Arc::new(ManualClock::new(T0))))
        .await
        .unwrap();

    // 100 s before the shared token expires (inside the default 5 min
    // early-refresh lead), a new instance starts and the refresh fails:
    // the shared token is still good for its call.
    failing.store(true, Ordering::SeqCst);
    let late = client(Arc::new(ManualClock::new(T0 + 3_500)));
    get_user(&late).await.unwrap();
    assert_eq!(asked.load(Ordering::SeqCst), 2, "the refresh was tried");
    let bearers = tenant.bearers.lock().unwrap().clone();
    assert_eq!(bearers, ["Bearer tok-1", "Bearer tok-1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_value_under_the_token_key_is_replaced_not_taken_for_a_redis_failure() {
    let redis = RedisServer::start();
    let tenant = Arc::new(Tenant::default());
    let addr = tenant.start().await;
    let key = token_key(addr);
    let mut conn = redis.connection().await;
    // Bytes that are not UTF-8, then a value of another type (a hash).
    let foreign: [(&str, &[u8]); 2] = [("SET", b"\xff\xfe\x00garbage"), ("HSET", b"field")];
    for (round, (command, value)) in foreign.into_iter().enumerate() {
        let _: () = redis::cmd("DEL")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .unwrap();
        let mut cmd = redis::cmd(command);
        cmd.arg(&key).arg(value);
        if command == "HSET" {
            cmd.arg("v");
        }
        let _: () = cmd.query_async(&mut conn).await.unwrap();

        let a = instance(addr, &redis, |b| b);
        let b = instance(addr, &redis, |b| b);
        get_user(&a.auth0).await.unwrap();
        get_user(&b.auth0).await.unwrap();
        assert_eq!(tenant.token_requests(), round + 1, "{command}: one fetch");
        assert_eq!(a.fleet.status(), FleetStatus::Shared, "{command}");
        assert_eq!(a.fleet.failures(), 0, "{command}: Redis never failed");
        let stored: Option<String> = redis::cmd("GET")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .unwrap();
        assert!(
            stored
                .unwrap()
                .ends_with(&format!("{TOKEN_PREFIX}-{}", round + 1)),
            "{command}: replaced"
        );
    }
}

/// A source that counts its fetches and issues `tok-{n}`, living `life`
/// seconds from `clock`'s now, after `delay` (so concurrent callers meet
/// a fetch under way).
fn counting_source(
    asked: &Arc<AtomicUsize>,
    clock: &Arc<ManualClock>,
    life: i64,
    delay: Duration,
) -> impl AccessTokenSource {
    let (asked, clock) = (Arc::clone(asked), Arc::clone(clock));
    from_fn(move |_r: TokenRequest| {
        let n = asked.fetch_add(1, Ordering::SeqCst) + 1;
        let token = IssuedToken::new(format!("tok-{n}"), clock.now() + life);
        async move {
            tokio::time::sleep(delay).await;
            Ok::<_, BoxError>(token)
        }
    })
}

/// The Management API token request of `fleet-client` on `addr`.
fn token_request(addr: SocketAddr) -> TokenRequest {
    TokenRequest::new(
        format!("http://{addr}/"),
        format!("http://{addr}/api/v2/"),
        "fleet-client",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_living_less_than_the_refresh_lead_is_fetched_once_for_the_fleet() {
    let redis = RedisServer::start();
    let tenant = Arc::new(Tenant::default());
    let addr = tenant.start().await;
    let asked = Arc::new(AtomicUsize::new(0));
    // Tokens of 2 min: less than the default 5 min early-refresh lead.
    let life = 120;
    let source = |clock: &Arc<ManualClock>| {
        let inner = counting_source(&asked, clock, life, Duration::from_millis(150));
        RedisTokenSource::builder(fleet(&redis), inner)
            .clock(Arc::clone(clock))
            .build()
            .unwrap()
    };

    // Eight instances start at once: one fetches, seven wait for it.
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let clock = Arc::new(ManualClock::new(T0));
            ManagementClient::builder(http(addr))
                .access_token_source("fleet-client", source(&clock))
                .clock(clock)
                .build()
                .unwrap()
        })
        .collect();
    let calls: Vec<_> = clients
        .iter()
        .map(|auth0| {
            let auth0 = auth0.clone();
            tokio::spawn(async move { get_user(&auth0).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(asked.load(Ordering::SeqCst), 1, "one fetch for the fleet");
    let bearers = tenant.bearers.lock().unwrap().clone();
    assert_eq!(bearers, vec!["Bearer tok-1"; 8]);

    // Callers without a cache of their own in front: every call is served
    // the shared token while it is fresh.
    let clock = Arc::new(ManualClock::new(T0 + 30));
    let direct = source(&clock);
    for _ in 0..3 {
        let token = direct.access_token(&token_request(addr)).await.unwrap();
        assert_eq!(token.access_token(), "tok-1");
    }
    assert_eq!(asked.load(Ordering::SeqCst), 1, "no fetch per call");

    // Past half its life it is refreshed early, once, and the new token
    // is fresh for the others.
    clock.set(T0 + 61);
    let token = direct.access_token(&token_request(addr)).await.unwrap();
    assert_eq!(token.access_token(), "tok-2");
    let other = source(&Arc::new(ManualClock::new(T0 + 62)));
    let token = other.access_token(&token_request(addr)).await.unwrap();
    assert_eq!(token.access_token(), "tok-2");
    assert_eq!(asked.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_written_by_the_previous_version_are_read_as_before() {
    let redis = RedisServer::start();
    let tenant = Arc::new(Tenant::default());
    let addr = tenant.start().await;
    let key = token_key(addr);
    let mut conn = redis.connection().await;
    let asked = Arc::new(AtomicUsize::new(0));
    let clock = Arc::new(ManualClock::new(T0));
    let sealing = [5u8; 32];
    let source = |sealed: bool| {
        let inner = counting_source(&asked, &clock, 86_400, Duration::ZERO);
        let builder = RedisTokenSource::builder(fleet(&redis), inner).clock(Arc::clone(&clock));
        let builder = if sealed {
            builder.sealing_key(SealingKey::aes_256_gcm(&sealing))
        } else {
            builder
        };
        builder.build().unwrap()
    };
    let set = |value: String| {
        let (mut conn, key) = (conn.clone(), key.clone());
        async move {
            let _: () = redis::cmd("SET")
                .arg(&key)
                .arg(value)
                .query_async(&mut conn)
                .await
                .unwrap();
        }
    };

    // The previous version's value in the clear: `p1.{expires_at}:{token}`.
    set(format!("p1.{}:old-plain", T0 + 3_600)).await;
    let token = source(false)
        .access_token(&token_request(addr))
        .await
        .unwrap();
    assert_eq!(
        (token.access_token(), token.expires_at()),
        ("old-plain", T0 + 3_600)
    );

    // Sealed as the previous version sealed it: `s1.` and base64url(nonce
    // ‖ AES-256-GCM(`{expires_at}:{token}`) ‖ tag), the Redis key as
    // associated data.
    set(old_seal(
        &sealing,
        &key,
        &format!("{}:old-sealed", T0 + 3_600),
    ))
    .await;
    let token = source(true)
        .access_token(&token_request(addr))
        .await
        .unwrap();
    assert_eq!(token.access_token(), "old-sealed");
    assert_eq!(asked.load(Ordering::SeqCst), 0, "both served from Redis");

    // A previous version's value inside the lead is due as it was then
    // (its lifetime is unknown): refreshed once, in the new format.
    set(format!("p1.{}:old-short", T0 + 120)).await;
    let token = source(false)
        .access_token(&token_request(addr))
        .await
        .unwrap();
    assert_eq!(token.access_token(), "tok-1");
    let stored: String = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(stored, format!("p1.v2:{T0}:{}:tok-1", T0 + 86_400));
}

/// A value sealed as the previous version of the crate sealed it.
fn old_seal(key: &[u8; 32], redis_key: &str, plain: &str) -> String {
    use base64::Engine as _;
    use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
    let sealing = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).unwrap());
    let nonce = [3u8; NONCE_LEN];
    let mut buf = plain.as_bytes().to_vec();
    sealing
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(redis_key.as_bytes()),
            &mut buf,
        )
        .unwrap();
    let mut raw = nonce.to_vec();
    raw.extend_from_slice(&buf);
    format!(
        "s1.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    )
}

/// Calls of `SET` Redis has run so far (`INFO commandstats`).
async fn set_calls(conn: &mut redis::aio::MultiplexedConnection) -> u64 {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(conn)
        .await
        .unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("cmdstat_set:calls="))
        .and_then(|rest| rest.split(',').next())
        .map_or(0, |n| n.parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiter_serves_a_due_token_published_meanwhile_while_another_refreshes_it() {
    let redis = RedisServer::start();
    let tenant = Arc::new(Tenant::default());
    let addr = tenant.start().await;
    let key = token_key(addr);
    let mut conn = redis.connection().await;
    let asked = Arc::new(AtomicUsize::new(0));
    let clock = Arc::new(ManualClock::new(T0));
    let b = RedisTokenSource::builder(
        fleet(&redis),
        counting_source(&asked, &clock, 600, Duration::ZERO),
    )
    .clock(Arc::clone(&clock))
    .max_wait(Duration::from_secs(2))
    .build()
    .unwrap();

    // Another instance is fetching the fleet's first token: B finds no
    // token and the lock taken, and waits.
    let _: () = redis::cmd("SET")
        .arg(format!("{key}:lock"))
        .arg("another-instance")
        .arg("PX")
        .arg(60_000)
        .query_async(&mut conn)
        .await
        .unwrap();
    let sets = set_calls(&mut conn).await;
    let b_call = tokio::spawn(async move { b.access_token(&token_request(addr)).await });
    // B tried the lock (its `SET NX`): it is waiting.
    for round in 0.. {
        assert!(round < 10_000, "B never tried the lock");
        if set_calls(&mut conn).await > sets {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }

    // The token is published: 10-minute tokens, by an instance whose
    // clock is 400 s behind B's, so to B it is inside its refresh lead
    // (due) though valid for 200 s more; and another instance that also
    // finds it due holds the lock to refresh it.
    let _: () = redis::cmd("SET")
        .arg(&key)
        .arg(format!("p1.v2:{}:{}:published", T0 - 400, T0 + 200))
        .query_async(&mut conn)
        .await
        .unwrap();

    // B takes the valid token, as a caller arriving now would: while
    // another instance refreshes a due token, it is used meanwhile. B
    // used to ignore it, wait out `max_wait` and fetch on its own: a
    // second token request beside the refresher's.
    let token = b_call.await.unwrap().unwrap();
    assert_eq!(token.access_token(), "published");
    assert_eq!(asked.load(Ordering::SeqCst), 0, "no fetch of B's own");
}

/// A Redis slower than redis-rs' own defaults (a 500 ms response timeout, a
/// 1 s connection timeout) but well within the fleet's `op_timeout` is
/// used: `op_timeout` is the one bound on a Redis call, as documented.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_slower_than_redis_rs_defaults_within_the_op_timeout_is_shared() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let redis = RedisServer::start();
    let tenant = Arc::new(Tenant::default());
    let addr = tenant.start().await;
    // Every answer of Redis held 700 ms on its way back.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("redis://{}/", listener.local_addr().unwrap());
    let upstream = ("127.0.0.1", redis.port());
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = tokio::net::TcpStream::connect(upstream).await.unwrap();
            let (mut client_rx, mut client_tx) = client.into_split();
            let (mut server_rx, mut server_tx) = server.into_split();
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut client_rx, &mut server_tx).await;
            });
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = server_rx.read(&mut buf).await {
                    tokio::time::sleep(Duration::from_millis(700)).await;
                    if client_tx.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let fleet = Fleet::builder(url)
        .op_timeout(Duration::from_secs(10))
        .retry_interval(Duration::ZERO)
        .build()
        .unwrap();
    let a = instance_on(addr, fleet, |b| b);
    get_user(&a.auth0).await.unwrap();
    assert_eq!(a.fleet.failures(), 0, "no Redis call failed");
    assert_eq!(a.fleet.status(), FleetStatus::Shared);
    assert_eq!(tenant.token_requests(), 1);
    assert_eq!(
        redis.dump("auth0:token:*").await.len(),
        1,
        "the token was shared"
    );
}

/// A fleet on `url` that, after a failure, leaves Redis alone for a minute
/// (the default is 1 s): the rest of a test runs inside that rest.
fn resting_fleet(url: &str) -> Fleet {
    Fleet::builder(url)
        .op_timeout(Duration::from_millis(300))
        .retry_interval(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// A [`counting_source`] without delay whose first fetch waits for `go`.
fn gated_source(
    asked: &Arc<AtomicUsize>,
    clock: &Arc<ManualClock>,
    life: i64,
    go: &Arc<tokio::sync::Notify>,
) -> impl AccessTokenSource {
    let (asked, clock, go) = (Arc::clone(asked), Arc::clone(clock), Arc::clone(go));
    from_fn(move |_r: TokenRequest| {
        let n = asked.fetch_add(1, Ordering::SeqCst) + 1;
        let token = IssuedToken::new(format!("tok-{n}"), clock.now() + life);
        let go = Arc::clone(&go);
        async move {
            if n == 1 {
                go.notified().await;
            }
            Ok::<_, BoxError>(token)
        }
    })
}

/// Polls (bounded) until `asked` reaches `n`.
async fn wait_for_fetches(asked: &AtomicUsize, n: usize) {
    for round in 0.. {
        assert!(round < 10_000, "the source was never asked");
        if asked.load(Ordering::SeqCst) >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// The shared token's value in Redis, if any.
async fn stored_token(redis: &RedisServer, addr: SocketAddr) -> Option<String> {
    let mut conn = redis.connection().await;
    redis::cmd("GET")
        .arg(token_key(addr))
        .query_async(&mut conn)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn during_a_redis_outage_the_source_serves_the_token_it_holds() {
    let mut redis = RedisServer::start();
    let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let asked = Arc::new(AtomicUsize::new(0));
    let clock = Arc::new(ManualClock::new(T0));
    // A caller without a cache of its own in front: every call reaches
    // the source.
    let source = RedisTokenSource::builder(
        fleet(&redis),
        counting_source(&asked, &clock, 3_600, Duration::ZERO),
    )
    .clock(Arc::clone(&clock))
    .build()
    .unwrap();
    let request = token_request(addr);
    let token = source.access_token(&request).await.unwrap();
    assert_eq!(token.access_token(), "tok-1");

    // Redis goes away: the token the source read is good for an hour
    // more. It is served; it used to be a client-credentials request per
    // call (per instance, per call, for the whole outage).
    redis.kill();
    clock.set(T0 + 60);
    for _ in 0..3 {
        let token = source.access_token(&request).await.unwrap();
        assert_eq!(token.access_token(), "tok-1");
    }
    assert_eq!(source.status(), FleetStatus::Local);
    assert_eq!(asked.load(Ordering::SeqCst), 1, "no fetch per call");
    assert_eq!(source.local_fetches(), 0);

    // Inside its refresh lead (100 s before it expires) it is refreshed
    // locally, once: the new token is served to the later calls.
    clock.set(T0 + 3_500);
    for _ in 0..3 {
        let token = source.access_token(&request).await.unwrap();
        assert_eq!(token.access_token(), "tok-2");
    }
    assert_eq!(asked.load(Ordering::SeqCst), 2, "one local refresh");
    assert_eq!(source.local_fetches(), 1);
    assert!(!format!("{source:?}").contains("tok-"), "{source:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_fetched_while_redis_was_down_is_published_when_it_answers_again() {
    let mut redis = RedisServer::start();
    let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let asked = Arc::new(AtomicUsize::new(0));
    let clock = Arc::new(ManualClock::new(T0));
    let url = redis.url();
    let source = |clock: &Arc<ManualClock>| {
        RedisTokenSource::builder(
            fleet_at(&url),
            counting_source(&asked, clock, 3_600, Duration::ZERO),
        )
        .clock(Arc::clone(clock))
        .build()
        .unwrap()
    };
    let a = source(&clock);
    let request = token_request(addr);

    // Redis is down: A fetches on its own.
    redis.kill();
    let token = a.access_token(&request).await.unwrap();
    assert_eq!(token.access_token(), "tok-1");
    assert_eq!(a.local_fetches(), 1);

    // Redis is back, empty. A's next call finds no token: it publishes
    // the one it holds instead of fetching another (it used to fetch a
    // second token under the lock, and the fleet never saw the first).
    redis.restart();
    clock.set(T0 + 60);
    let token = a.access_token(&request).await.unwrap();
    assert_eq!(token.access_token(), "tok-1");
    assert_eq!(asked.load(Ordering::SeqCst), 1, "published, not fetched");
    assert_eq!(
        stored_token(&redis, addr).await.as_deref(),
        Some(format!("p1.v2:{T0}:{}:tok-1", T0 + 3_600).as_str())
    );
    // Another instance takes it.
    let b = source(&Arc::new(ManualClock::new(T0 + 60)));
    let token = b.access_token(&request).await.unwrap();
    assert_eq!(token.access_token(), "tok-1");
    assert_eq!(asked.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_fetched_in_a_blip_is_published_if_redis_is_back_by_then() {
    let mut redis = RedisServer::start();
    let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let asked = Arc::new(AtomicUsize::new(0));
    let clock = Arc::new(ManualClock::new(T0));
    let go = Arc::new(tokio::sync::Notify::new());
    // A's read fails (Redis restarting), so it fetches on its own; its
    // fleet then leaves Redis alone for its retry interval.
    let a = Arc::new(
        RedisTokenSource::builder(
            resting_fleet(&redis.url()),
            gated_source(&asked, &clock, 3_600, &go),
        )
        .clock(Arc::clone(&clock))
        .build()
        .unwrap(),
    );
    redis.kill();
    let a_call = {
        let (a, request) = (Arc::clone(&a), token_request(addr));
        tokio::spawn(async move { a.access_token(&request).await })
    };
    wait_for_fetches(&asked, 1).await;
    // Redis is back before A's fetch ends: A's token becomes the fleet's.
    redis.restart();
    go.notify_one();
    assert_eq!(a_call.await.unwrap().unwrap().access_token(), "tok-1");
    assert_eq!(a.local_fetches(), 1);
    let b = RedisTokenSource::builder(
        fleet(&redis),
        counting_source(&asked, &clock, 3_600, Duration::ZERO),
    )
    .clock(Arc::clone(&clock))
    .build()
    .unwrap();
    let token = b.access_token(&token_request(addr)).await.unwrap();
    // B used to find nothing and fetch a second token.
    assert_eq!(token.access_token(), "tok-1");
    assert_eq!(asked.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_publishes_its_token_though_another_call_on_its_fleet_failed_meanwhile() {
    let mut redis = RedisServer::start();
    let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let asked = Arc::new(AtomicUsize::new(0));
    let clock = Arc::new(ManualClock::new(T0));
    let go = Arc::new(tokio::sync::Notify::new());
    let fleet_a = resting_fleet(&redis.url());
    let a = Arc::new(
        RedisTokenSource::builder(fleet_a.clone(), gated_source(&asked, &clock, 3_600, &go))
            .clock(Arc::clone(&clock))
            .build()
            .unwrap(),
    );
    // A holds the lock and fetches the fleet's token.
    let a_call = {
        let (a, request) = (Arc::clone(&a), token_request(addr));
        tokio::spawn(async move { a.access_token(&request).await })
    };
    wait_for_fetches(&asked, 1).await;
    wait_for_lock(&redis).await;

    // Meanwhile another user of the same fleet (here a source for another
    // audience; the rate limiter alike) meets a Redis blip: the fleet
    // rests. Redis is back before A's fetch ends.
    let other_asked = Arc::new(AtomicUsize::new(0));
    let other = RedisTokenSource::builder(
        fleet_a.clone(),
        counting_source(&other_asked, &clock, 3_600, Duration::ZERO),
    )
    .clock(Arc::clone(&clock))
    .build()
    .unwrap();
    redis.kill();
    let other_request = TokenRequest::new(
        format!("http://{addr}/"),
        "https://api.example.com/",
        "fleet-client",
    );
    other.access_token(&other_request).await.unwrap();
    assert_eq!(fleet_a.status(), FleetStatus::Local);
    redis.restart();
    go.notify_one();
    assert_eq!(a_call.await.unwrap().unwrap().access_token(), "tok-1");

    // A's token reached Redis: B takes it. The publish used to be skipped
    // while A's fleet rested, and B fetched a second token.
    let b = RedisTokenSource::builder(
        fleet(&redis),
        counting_source(&asked, &clock, 3_600, Duration::ZERO),
    )
    .clock(Arc::clone(&clock))
    .build()
    .unwrap();
    let token = b.access_token(&token_request(addr)).await.unwrap();
    assert_eq!(token.access_token(), "tok-1");
    assert_eq!(asked.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_lock_request_serves_the_token_the_source_holds() {
    let redis = RedisServer::start();
    let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let key = token_key(addr);
    let mut conn = redis.connection().await;
    let asked = Arc::new(AtomicUsize::new(0));
    let clock = Arc::new(ManualClock::new(T0));
    // The fleet's token, good for an hour.
    let _: () = redis::cmd("SET")
        .arg(&key)
        .arg(format!("p1.v2:{T0}:{}:published", T0 + 3_600))
        .query_async(&mut conn)
        .await
        .unwrap();
    // Redis stops answering A right after its lock request.
    let proxy = SilentAfterLock::start(&redis, 0).await;
    let a = RedisTokenSource::builder(
        Fleet::builder(&proxy.url)
            .op_timeout(Duration::from_millis(300))
            .retry_interval(Duration::ZERO)
            .build()
            .unwrap(),
        counting_source(&asked, &clock, 3_600, Duration::ZERO),
    )
    .clock(Arc::clone(&clock))
    .build()
    .unwrap();
    let request = token_request(addr);
    let token = a.access_token(&request).await.unwrap();
    assert_eq!(token.access_token(), "published");

    // The key is gone (a failover to an empty replica, an eviction) and
    // Redis fails A while it asks for the lock: A still holds a token good
    // for most of an hour, and serves it. It used to fetch one.
    let _: () = redis::cmd("DEL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    clock.set(T0 + 60);
    let token = a.access_token(&request).await.unwrap();
    assert_eq!(token.access_token(), "published");
    assert!(a.fleet().failures() > 0, "the lock request failed");
    assert_eq!(asked.load(Ordering::SeqCst), 0, "no fetch");
}
