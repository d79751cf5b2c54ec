//! Unit tests of the cache and single-flight logic against a fake fetcher,
//! under Tokio's paused clock. The HTTP side is covered by
//! `tests/jwks_remote.rs`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::time::{Instant, advance, sleep};

use super::fetch::{Fetch, FetchFuture, parse_response};
use super::store::{Settings, Store};
use super::*;
use crate::sign::SigningKey;
use crate::verifier::KeySourceError;

/// What the fake JWKS endpoint does on the next fetches.
#[derive(Clone)]
enum Mode {
    Serve(Bytes),
    Status(u16),
    Stall,
    Panic,
}

struct FakeState {
    mode: Mode,
    delay: Duration,
}

/// A fetcher that counts calls and answers as told.
#[derive(Clone)]
struct Fake {
    calls: Arc<AtomicUsize>,
    state: Arc<Mutex<FakeState>>,
}

impl Fake {
    fn serving(body: Bytes) -> Self {
        Self {
            calls: Arc::new(AtomicUsize::new(0)),
            state: Arc::new(Mutex::new(FakeState {
                mode: Mode::Serve(body),
                delay: Duration::ZERO,
            })),
        }
    }

    fn set(&self, mode: Mode) {
        self.state.lock().unwrap().mode = mode;
    }

    fn set_delay(&self, delay: Duration) {
        self.state.lock().unwrap().delay = delay;
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Fetch for Fake {
    fn fetch(&self) -> FetchFuture {
        let this = self.clone();
        Box::pin(async move {
            this.calls.fetch_add(1, Ordering::SeqCst);
            let (mode, delay) = {
                let state = this.state.lock().unwrap();
                (state.mode.clone(), state.delay)
            };
            sleep(delay).await;
            match mode {
                Mode::Serve(body) => Ok(http::Response::new(body)),
                Mode::Status(code) => Ok(http::Response::builder()
                    .status(code)
                    .body(Bytes::from_static(b"unavailable"))
                    .unwrap()),
                Mode::Stall => {
                    sleep(Duration::from_secs(3600)).await;
                    Ok(http::Response::new(Bytes::new()))
                }
                Mode::Panic => panic!("fetcher exploded"),
            }
        })
    }
}

fn settings() -> Settings {
    Settings {
        ttl: DEFAULT_TTL,
        cooldown: DEFAULT_COOLDOWN,
        fetch_timeout: DEFAULT_FETCH_TIMEOUT,
        max_body_size: DEFAULT_MAX_BODY_SIZE,
        stale_if_error: DEFAULT_STALE_IF_ERROR,
    }
}

fn remote(fake: &Fake, settings: Settings, background: bool) -> RemoteJwks {
    let background = background.then(tokio::runtime::Handle::current);
    RemoteJwks {
        store: Store::new(
            "https://tenant.example/.well-known/jwks.json".into(),
            Box::new(fake.clone()),
            settings,
            Arc::new(TokioClock),
            background,
        ),
    }
}

fn key(kid: &str) -> SigningKey {
    SigningKey::generate_es256().unwrap().with_kid(kid)
}

fn jwks(keys: &[&SigningKey]) -> Bytes {
    let keys: Vec<_> = keys
        .iter()
        .map(|k| serde_json::to_value(k.to_public_jwk().unwrap()).unwrap())
        .collect();
    Bytes::from(serde_json::to_vec(&serde_json::json!({ "keys": keys })).unwrap())
}

fn fingerprint(key: &SigningKey) -> KeyFingerprint {
    key.verifying_key().unwrap().fingerprint()
}

fn fetch_error(err: KeySourceError) -> JwksFetchError {
    match err {
        KeySourceError::Fetch { source, .. } => source
            .downcast_ref::<JwksFetchError>()
            .expect("source is a JwksFetchError")
            .clone(),
        other => panic!("expected a fetch error, got {other:?}"),
    }
}

const ES256: Algorithm = Algorithm::ES256;

#[tokio::test(start_paused = true)]
async fn warm_cache_answers_without_fetching() {
    let k1 = key("k1");
    let fake = Fake::serving(jwks(&[&k1]));
    let jwks = remote(&fake, settings(), false);
    assert!(jwks.cached_key(Some("k1"), ES256).is_none());
    assert_eq!(jwks.version(), 0);

    let found = jwks.resolve_key(Some("k1"), ES256).await.unwrap();
    assert_eq!(found.kid(), Some("k1"));
    for _ in 0..10 {
        jwks.resolve_key(Some("k1"), ES256).await.unwrap();
    }
    assert_eq!(fake.calls(), 1);
    assert!(jwks.cached_key(Some("k1"), ES256).is_some());
    assert_eq!(jwks.version(), 1);
    assert!(jwks.contains(&fingerprint(&k1)));
}

#[tokio::test(start_paused = true)]
async fn expired_set_is_refetched_once() {
    let k1 = key("k1");
    let fake = Fake::serving(jwks(&[&k1]));
    let jwks = remote(&fake, settings(), false);
    jwks.resolve_key(Some("k1"), ES256).await.unwrap();

    advance(DEFAULT_TTL - Duration::from_millis(1)).await;
    jwks.resolve_key(Some("k1"), ES256).await.unwrap();
    assert_eq!(fake.calls(), 1, "still fresh just before the TTL");

    advance(Duration::from_millis(1)).await;
    jwks.resolve_key(Some("k1"), ES256).await.unwrap();
    jwks.resolve_key(Some("k1"), ES256).await.unwrap();
    assert_eq!(fake.calls(), 2);
    assert_eq!(jwks.version(), 1, "same keys: no version bump");
}

#[tokio::test(start_paused = true)]
async fn unknown_kid_fetches_once_per_cooldown() {
    let k1 = key("k1");
    let fake = Fake::serving(jwks(&[&k1]));
    let jwks = remote(&fake, settings(), false);
    jwks.resolve_key(Some("k1"), ES256).await.unwrap();

    // Right after a fetch: within the cooldown, no refetch.
    let err = jwks.resolve_key(Some("nope"), ES256).await.unwrap_err();
    assert!(matches!(err, KeySourceError::NoMatchingKey { kid: Some(ref k) } if k == "nope"));
    assert_eq!(fake.calls(), 1);

    advance(DEFAULT_COOLDOWN).await;
    let err = jwks.resolve_key(Some("nope"), ES256).await.unwrap_err();
    assert!(matches!(err, KeySourceError::NoMatchingKey { .. }));
    assert_eq!(fake.calls(), 2);
    jwks.resolve_key(Some("nope2"), ES256).await.unwrap_err();
    assert_eq!(fake.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn refusing_key_is_reported_without_a_refetch() {
    let (k1, k2) = (key("k1"), key("k2"));
    let fake = Fake::serving(jwks(&[&k1, &k2]));
    let jwks = remote(&fake, settings(), false);
    jwks.refresh().await.unwrap();
    advance(DEFAULT_COOLDOWN).await;

    // The kid exists but is an ES256 key: EdDSA is refused.
    let err = jwks
        .resolve_key(Some("k1"), Algorithm::EdDSA)
        .await
        .unwrap_err();
    assert!(matches!(err, KeySourceError::KeyRejected { .. }), "{err:?}");
    // No kid: never matched to a fetched key (OIDC Core §10.1), no fetch.
    let err = jwks.resolve_key(None, ES256).await.unwrap_err();
    assert!(
        matches!(err, KeySourceError::NoMatchingKey { kid: None }),
        "{err:?}"
    );
    assert_eq!(fake.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn concurrent_misses_share_one_fetch() {
    let k1 = key("k1");
    let fake = Fake::serving(jwks(&[&k1]));
    fake.set_delay(Duration::from_millis(50));
    let jwks = remote(&fake, settings(), false);

    let mut tasks = Vec::new();
    for i in 0..200 {
        let jwks = jwks.clone();
        tasks.push(tokio::spawn(async move {
            let kid = if i % 2 == 0 {
                "k1".to_owned()
            } else {
                format!("x{i}")
            };
            jwks.resolve_key(Some(&kid), ES256).await.map(|_| ())
        }));
    }
    let mut ok = 0;
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await.unwrap() {
            Ok(()) => ok += 1,
            Err(KeySourceError::NoMatchingKey { .. }) => assert!(i % 2 == 1),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ok, 100);
    assert_eq!(fake.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn dropped_waiter_does_not_cancel_the_fetch() {
    let k1 = key("k1");
    let fake = Fake::serving(jwks(&[&k1]));
    fake.set_delay(Duration::from_secs(1));
    let jwks = remote(&fake, settings(), false);

    // The first caller starts the fetch and gives up early.
    let gave_up = tokio::time::timeout(
        Duration::from_millis(10),
        jwks.resolve_key(Some("k1"), ES256),
    )
    .await;
    assert!(gave_up.is_err());
    // A second caller joins the same fetch and gets the key.
    let start = Instant::now();
    jwks.resolve_key(Some("k1"), ES256).await.unwrap();
    assert!(start.elapsed() < Duration::from_secs(1));
    assert_eq!(fake.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn stale_keys_are_served_when_the_refresh_fails() {
    let k1 = key("k1");
    let fake = Fake::serving(jwks(&[&k1]));
    let jwks = remote(&fake, settings(), false);
    jwks.resolve_key(Some("k1"), ES256).await.unwrap();

    fake.set(Mode::Status(503));
    advance(DEFAULT_TTL).await;
    jwks.resolve_key(Some("k1"), ES256).await.unwrap();
    assert_eq!(fake.calls(), 2);
    // Back-off: no new attempt within the cooldown, keys still served.
    for _ in 0..5 {
        jwks.resolve_key(Some("k1"), ES256).await.unwrap();
    }
    assert_eq!(fake.calls(), 2);
    // An unknown kid during the outage reports the fetch failure.
    let err = fetch_error(jwks.resolve_key(Some("k9"), ES256).await.unwrap_err());
    assert!(matches!(err, JwksFetchError::Status { status, .. } if status == 503));
    assert_eq!(fake.calls(), 2);

    advance(DEFAULT_COOLDOWN).await;
    jwks.resolve_key(Some("k1"), ES256).await.unwrap();
    assert_eq!(fake.calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn no_keys_and_failed_fetch_is_a_typed_error() {
    let fake = Fake::serving(Bytes::new());
    fake.set(Mode::Status(500));
    let jwks = remote(&fake, settings(), false);
    let err = jwks.resolve_key(Some("k1"), ES256).await.unwrap_err();
    assert!(err.to_string().contains("tenant.example"));
    let fetch = fetch_error(err);
    assert!(matches!(fetch, JwksFetchError::Status { status, source: Some(_) } if status == 500));
    // The auth0-core error is reachable through the source chain.
    let core = std::error::Error::source(&fetch).unwrap();
    assert!(core.downcast_ref::<auth0_core::error::Error>().is_some());
    // Back-off applies to the first fetch too...
    jwks.resolve_key(Some("k1"), ES256).await.unwrap_err();
    assert_eq!(fake.calls(), 1);
    // ...but with no keys at all it is short, not a whole cooldown.
    advance(Duration::from_millis(1_100)).await;
    jwks.resolve_key(Some("k1"), ES256).await.unwrap_err();
    assert_eq!(fake.calls(), 2);
    // An explicit refresh ignores it.
    let k1 = key("k1");
    fake.set(Mode::Serve(jwks_body(&k1)));
    jwks.refresh().await.unwrap();
    jwks.resolve_key(Some("k1"), ES256).await.unwrap();
    assert_eq!(fake.calls(), 3);
}

fn jwks_body(k: &SigningKey) -> Bytes {
    jwks(&[k])
}

#[tokio::test(start_paused = true)]
async fn stalled_fetch_times_out() {
    let fake = Fake::serving(Bytes::new());
    fake.set(Mode::Stall);
    let mut s = settings();
    s.fetch_timeout = Duration::from_secs(2);
    let jwks = remote(&fake, s, false);
    let start = Instant::now();
    let err = fetch_error(jwks.resolve_key(Some("k1"), ES256).await.unwrap_err());
    assert!(err.is_timeout());
    assert!(matches!(err, JwksFetchError::TimedOut { after } if after == Duration::from_secs(2)));
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn rotation_bumps_the_version_and_drops_removed_keys() {
    let (k1, k2) = (key("k1"), key("k2"));
    let fake = Fake::serving(jwks(&[&k1]));
    let jwks = remote(&fake, settings(), false);
    jwks.resolve_key(Some("k1"), ES256).await.unwrap();
    assert_eq!(jwks.version(), 1);

    // k2 appears: found after one fetch (past the cooldown).
    fake.set(Mode::Serve(self::jwks(&[&k1, &k2])));
    advance(DEFAULT_COOLDOWN).await;
    jwks.resolve_key(Some("k2"), ES256).await.unwrap();
    assert_eq!(fake.calls(), 2);
    assert_eq!(jwks.version(), 2);

    // k1 is removed.
    fake.set(Mode::Serve(self::jwks(&[&k2])));
    jwks.refresh().await.unwrap();
    assert_eq!(jwks.version(), 3);
    assert!(!jwks.contains(&fingerprint(&k1)));
    assert!(jwks.contains(&fingerprint(&k2)));
    assert!(jwks.cached_key(Some("k1"), ES256).is_none());
}

/// Recognises the expected error.
type Check = fn(&JwksFetchError) -> bool;

#[tokio::test(start_paused = true)]
async fn bad_documents_keep_the_old_keys() {
    let k1 = key("k1");
    let fake = Fake::serving(jwks(&[&k1]));
    let mut s = settings();
    s.max_body_size = 4096;
    let jwks = remote(&fake, s, false);
    jwks.refresh().await.unwrap();

    let cases: Vec<(Bytes, Check)> = vec![
        (Bytes::from_static(b"<html>oops</html>"), |e| {
            matches!(e, JwksFetchError::Malformed { .. })
        }),
        (Bytes::from_static(br#"{"keys": 5}"#), |e| {
            matches!(e, JwksFetchError::Malformed { .. })
        }),
        (Bytes::from(vec![b' '; 5000]), |e| {
            matches!(
                e,
                JwksFetchError::BodyTooLarge {
                    limit: 4096,
                    size: Some(5000)
                }
            )
        }),
        (Bytes::from_static(br#"{"keys": [{"kty": "XX"}]}"#), |e| {
            matches!(e, JwksFetchError::NoUsableKeys { listed: 1 })
        }),
    ];
    for (body, check) in cases {
        fake.set(Mode::Serve(body));
        let err = jwks.refresh().await.unwrap_err();
        assert!(check(&err), "unexpected {err:?}");
        assert!(jwks.cached_key(Some("k1"), ES256).is_some());
        assert_eq!(jwks.version(), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn panicking_fetcher_does_not_wedge_the_cache() {
    let fake = Fake::serving(Bytes::new());
    fake.set(Mode::Panic);
    let jwks = remote(&fake, settings(), false);
    let err = fetch_error(jwks.resolve_key(Some("k1"), ES256).await.unwrap_err());
    assert!(matches!(err, JwksFetchError::Interrupted));

    let k1 = key("k1");
    fake.set(Mode::Serve(jwks_body(&k1)));
    jwks.refresh().await.unwrap();
    jwks.resolve_key(Some("k1"), ES256).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn background_refresh_runs_ahead_of_expiry_and_stops_on_drop() {
    let k1 = key("k1");
    let fake = Fake::serving(jwks(&[&k1]));
    let jwks = remote(&fake, settings(), true);
    // The first fetch starts by itself.
    sleep(Duration::from_millis(1)).await;
    assert_eq!(fake.calls(), 1);
    assert!(jwks.cached_key(Some("k1"), ES256).is_some());

    // Refreshed at 3/4 of the TTL, so lookups never see it expire.
    sleep(DEFAULT_TTL * 3 / 4).await;
    assert_eq!(fake.calls(), 2);
    sleep(DEFAULT_TTL * 3 / 4).await;
    assert_eq!(fake.calls(), 3);
    jwks.resolve_key(Some("k1"), ES256).await.unwrap();
    assert_eq!(fake.calls(), 3);

    // Failures are retried after the cooldown; keys stay.
    fake.set(Mode::Status(503));
    sleep(DEFAULT_TTL * 3 / 4).await;
    assert_eq!(fake.calls(), 4);
    sleep(DEFAULT_COOLDOWN).await;
    assert_eq!(fake.calls(), 5);
    assert!(jwks.cached_key(Some("k1"), ES256).is_some());

    // Dropping the last handle stops the task.
    let weak = Arc::downgrade(&jwks.store);
    drop(jwks);
    sleep(Duration::from_millis(1)).await;
    assert!(weak.upgrade().is_none());
    sleep(DEFAULT_TTL * 2).await;
    assert_eq!(fake.calls(), 5);
}

#[test]
fn fetch_outside_a_runtime_is_a_typed_error() {
    let fake = Fake::serving(Bytes::new());
    let store = Store::new(
        "https://tenant.example/.well-known/jwks.json".into(),
        Box::new(fake.clone()),
        settings(),
        Arc::new(ManualTestClock),
        None,
    );
    let jwks = RemoteJwks { store };
    // Drive the future by hand: it must finish at once, without a runtime.
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut fut = jwks.resolve_key(Some("k1"), ES256);
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(Err(err)) => {
            assert!(matches!(fetch_error(err), JwksFetchError::NoRuntime));
        }
        other => panic!("expected a ready error, got {:?}", other.map(|r| r.is_ok())),
    }
    assert_eq!(fake.calls(), 0);
}

/// A fixed clock that works without a runtime.
struct ManualTestClock;

impl MonotonicClock for ManualTestClock {
    fn now(&self) -> Instant {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        Instant::from_std(*START.get_or_init(std::time::Instant::now))
    }
}

#[test]
fn parse_response_maps_statuses() {
    let response = http::Response::builder()
        .status(404)
        .body(Bytes::from_static(b"not found"))
        .unwrap();
    let Err(err) = parse_response(response, 1024) else {
        panic!("404 accepted");
    };
    assert!(matches!(err, JwksFetchError::Status { status, source: Some(_) } if status == 404));
    let response = http::Response::builder()
        .status(302)
        .body(Bytes::new())
        .unwrap();
    let Err(err) = parse_response(response, 1024) else {
        panic!("302 accepted");
    };
    assert!(matches!(err, JwksFetchError::Status { source: None, .. }));
}

#[test]
fn urls_are_validated() {
    for ok in [
        "https://tenant.auth0.com/.well-known/jwks.json",
        "http://127.0.0.1:8080/jwks.json",
        "http://localhost/jwks",
        "http://[::1]:9/jwks",
    ] {
        assert!(validate_url(ok).is_ok(), "{ok}");
    }
    assert!(matches!(
        validate_url("http://tenant.auth0.com/jwks"),
        Err(JwksBuildError::InsecureUrl { .. })
    ));
    for bad in [
        "tenant.auth0.com",
        "/.well-known/jwks.json",
        "ftp://tenant.auth0.com/x",
        "https://user:pw@tenant.auth0.com/x",
        "not a url",
    ] {
        assert!(
            matches!(validate_url(bad), Err(JwksBuildError::InvalidUrl { .. })),
            "{bad}"
        );
    }
}
