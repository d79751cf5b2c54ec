//! `RemoteJwks` against a real HTTP server on 127.0.0.1, through the
//! `auth0-core` client: caching, TTL, unknown `kid`s, single flight under
//! load, outages, timeouts, key rotation and bad documents.
//!
//! TTL and cooldown are driven by a hand-moved clock (`TestClock`): a paused
//! Tokio clock would also fire the fetch timeout while real sockets are busy.
//! Timeouts use small real durations; no test sleeps longer than a second.

#![cfg(feature = "remote")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support_remote;

use std::sync::Arc;
use std::time::Duration;

use auth0_jwt::alg::Algorithm;
use auth0_jwt::jwks::{JwksBuildError, JwksFetchError, RemoteJwks, WELL_KNOWN_JWKS_PATH};
use auth0_jwt::jws::{Jws, ParseOptions};
use auth0_jwt::sign::SigningKey;
use auth0_jwt::verifier::{KeySource, KeySourceError};
use bytes::Bytes;
use support_remote::{
    Behavior, JwksServer, TestClock, capture_warnings, client, ed25519, es256, jwks, splitmix,
};

const TTL: Duration = Duration::from_secs(600);
const COOLDOWN: Duration = Duration::from_secs(30);

/// A cache on the test server with a hand-moved clock.
fn remote(server: &JwksServer, clock: &TestClock) -> RemoteJwks {
    RemoteJwks::builder(client(server))
        .ttl(TTL)
        .unknown_kid_cooldown(COOLDOWN)
        .fetch_timeout(Duration::from_millis(500))
        .clock(clock.clone())
        .build()
        .unwrap()
}

/// The `JwksFetchError` inside a `KeySourceError::Fetch`.
fn fetch_error(err: KeySourceError) -> JwksFetchError {
    match err {
        KeySourceError::Fetch { source, .. } => source
            .downcast_ref::<JwksFetchError>()
            .unwrap_or_else(|| panic!("source is not a JwksFetchError: {source:?}"))
            .clone(),
        other => panic!("expected KeySourceError::Fetch, got {other:?}"),
    }
}

/// Signs a token with `key` and verifies it with the key the cache resolves.
async fn verify_with(jwks: &RemoteJwks, key: &SigningKey) -> Result<(), KeySourceError> {
    let claims = serde_json::json!({ "sub": "user-1" });
    let token = key.sign_token(&serde_json::Map::new(), &claims).unwrap();
    let jws = Jws::parse(&token, &ParseOptions::default()).unwrap();
    let found = jwks.resolve_key(jws.kid(), jws.algorithm()).await?;
    found
        .verify(jws.algorithm(), jws.signing_input(), jws.signature())
        .expect("signature verifies with the fetched key");
    Ok(())
}

#[tokio::test]
async fn warm_cache_does_not_fetch_again() {
    let k1 = es256("k1");
    let server = JwksServer::start(Behavior::Json(jwks(&[&k1]))).await;
    let clock = TestClock::new();
    let jwks = remote(&server, &clock);
    assert_eq!(
        jwks.url(),
        server.url(),
        "URL derived from the client's domain"
    );
    assert!(jwks.url().ends_with(WELL_KNOWN_JWKS_PATH));
    assert!(jwks.cached_key(Some("k1"), Algorithm::ES256).is_none());

    verify_with(&jwks, &k1).await.unwrap();
    assert_eq!(server.hits(), 1);
    assert!(server.last_accept().unwrap().contains("application/json"));
    for _ in 0..50 {
        verify_with(&jwks, &k1).await.unwrap();
    }
    assert!(jwks.cached_key(Some("k1"), Algorithm::ES256).is_some());
    assert_eq!(server.hits(), 1);
    assert_eq!(jwks.version(), 1);
}

#[tokio::test]
async fn expired_set_is_refetched_after_the_ttl() {
    let k1 = es256("k1");
    let server = JwksServer::start(Behavior::Json(jwks(&[&k1]))).await;
    let clock = TestClock::new();
    let jwks = remote(&server, &clock);
    verify_with(&jwks, &k1).await.unwrap();

    clock.advance(TTL - Duration::from_millis(1));
    verify_with(&jwks, &k1).await.unwrap();
    assert_eq!(server.hits(), 1, "still fresh just before the TTL");

    clock.advance(Duration::from_millis(1));
    verify_with(&jwks, &k1).await.unwrap();
    verify_with(&jwks, &k1).await.unwrap();
    assert_eq!(server.hits(), 2);
    assert_eq!(jwks.version(), 1, "same keys: version unchanged");
}

#[tokio::test]
async fn expiry_in_real_time_with_the_default_clock() {
    let k1 = es256("k1");
    let server = JwksServer::start(Behavior::Json(jwks(&[&k1]))).await;
    let jwks = RemoteJwks::builder(client(&server))
        .ttl(Duration::from_millis(400))
        .build()
        .unwrap();
    verify_with(&jwks, &k1).await.unwrap();
    verify_with(&jwks, &k1).await.unwrap();
    assert_eq!(server.hits(), 1);
    tokio::time::sleep(Duration::from_millis(450)).await;
    verify_with(&jwks, &k1).await.unwrap();
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn unknown_kid_fetches_exactly_once() {
    let k1 = es256("k1");
    let server = JwksServer::start(Behavior::Json(jwks(&[&k1]))).await;
    let clock = TestClock::new();
    let jwks = remote(&server, &clock);
    verify_with(&jwks, &k1).await.unwrap();
    clock.advance(COOLDOWN);

    let err = jwks
        .resolve_key(Some("unknown"), Algorithm::ES256)
        .await
        .unwrap_err();
    assert!(
        matches!(err, KeySourceError::NoMatchingKey { kid: Some(ref kid) } if kid == "unknown"),
        "{err:?}"
    );
    assert_eq!(server.hits(), 2);
    for _ in 0..20 {
        let err = jwks
            .resolve_key(Some("unknown"), Algorithm::ES256)
            .await
            .unwrap_err();
        assert!(matches!(err, KeySourceError::NoMatchingKey { .. }));
    }
    assert_eq!(server.hits(), 2, "no further fetch within the cooldown");
    clock.advance(COOLDOWN);
    jwks.resolve_key(Some("unknown"), Algorithm::ES256)
        .await
        .unwrap_err();
    assert_eq!(server.hits(), 3, "one more after the cooldown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_parallel_random_kids_share_one_fetch_per_cooldown() {
    let k1 = es256("k1");
    let server = JwksServer::start(Behavior::Json(jwks(&[&k1]))).await;
    let clock = TestClock::new();
    let jwks = Arc::new(remote(&server, &clock));

    let round = |seed: u64| {
        let mut tasks = Vec::new();
        for task in 0..100u64 {
            let jwks = Arc::clone(&jwks);
            tasks.push(tokio::spawn(async move {
                let mut no_match = 0;
                for i in 0..100u64 {
                    let kid = format!("kid-{:016x}", splitmix(seed ^ (task * 100 + i)));
                    match jwks.resolve_key(Some(&kid), Algorithm::ES256).await {
                        Err(KeySourceError::NoMatchingKey { .. }) => no_match += 1,
                        other => panic!("unexpected {other:?}"),
                    }
                }
                no_match
            }));
        }
        tasks
    };

    // Cold cache: all 10,000 lookups together cause one fetch.
    let mut total = 0;
    for task in round(1) {
        total += task.await.unwrap();
    }
    assert_eq!(total, 10_000);
    assert_eq!(server.hits(), 1);

    // Warm cache past the cooldown: again exactly one fetch.
    clock.advance(COOLDOWN);
    for task in round(2) {
        task.await.unwrap();
    }
    assert_eq!(server.hits(), 2);
    // The real key is still found without a fetch.
    verify_with(&jwks, &k1).await.unwrap();
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn server_down_after_a_good_fetch_serves_stale_keys_with_a_warning() {
    let (warnings, _guard) = capture_warnings();
    let k1 = es256("k1");
    let server = JwksServer::start(Behavior::Json(jwks(&[&k1]))).await;
    let clock = TestClock::new();
    let jwks = remote(&server, &clock);
    verify_with(&jwks, &k1).await.unwrap();
    assert!(warnings.lines().is_empty(), "{:?}", warnings.lines());

    server.stop();
    clock.advance(TTL + Duration::from_secs(1));
    verify_with(&jwks, &k1).await.unwrap();
    let lines = warnings.lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("stale"), "{}", lines[0]);
    assert!(lines[0].contains(&server.url()), "{}", lines[0]);
    assert!(lines[0].contains("expired=true"), "{}", lines[0]);

    // More lookups within the cooldown: stale keys, no new attempt, no new warning.
    for _ in 0..10 {
        verify_with(&jwks, &k1).await.unwrap();
    }
    assert_eq!(warnings.lines().len(), 1);

    // A forced refresh reports the transport failure and keeps the keys.
    let err = jwks.refresh().await.unwrap_err();
    assert!(matches!(err, JwksFetchError::Transport { .. }), "{err:?}");
    let core = std::error::Error::source(&err).unwrap();
    assert!(core.downcast_ref::<auth0_core::error::Error>().is_some());
    assert!(jwks.cached_key(Some("k1"), Algorithm::ES256).is_some());
    assert_eq!(jwks.version(), 1);
}

#[tokio::test]
async fn no_keys_and_server_down_is_a_typed_fetch_error() {
    let server = JwksServer::start(Behavior::Json(Bytes::new())).await;
    let clock = TestClock::new();
    let jwks = remote(&server, &clock);
    server.stop();
    let err = jwks
        .resolve_key(Some("k1"), Algorithm::ES256)
        .await
        .unwrap_err();
    assert!(err.to_string().contains(&server.url()), "{err}");
    assert!(matches!(fetch_error(err), JwksFetchError::Transport { .. }));
}

#[tokio::test]
async fn slow_server_times_out_within_the_fetch_timeout() {
    let server = JwksServer::start(Behavior::Stall).await;
    let test = async {
        let jwks = RemoteJwks::builder(client(&server))
            .fetch_timeout(Duration::from_millis(300))
            .build()
            .unwrap();
        let start = std::time::Instant::now();
        let err = fetch_error(
            jwks.resolve_key(Some("k1"), Algorithm::ES256)
                .await
                .unwrap_err(),
        );
        let took = start.elapsed();
        assert!(err.is_timeout(), "{err:?}");
        assert!(
            matches!(err, JwksFetchError::TimedOut { after } if after == Duration::from_millis(300))
        );
        assert!(took >= Duration::from_millis(300), "{took:?}");
        assert!(took < Duration::from_millis(1000), "{took:?}");
        assert_eq!(server.hits(), 1);
    };
    tokio::time::timeout(Duration::from_secs(2), test)
        .await
        .expect("test finished within 2 s");
}

#[tokio::test]
async fn rotated_keys_are_picked_up_and_removed_keys_dropped() {
    let (k1, k2) = (es256("k1"), ed25519("k2"));
    let server = JwksServer::start(Behavior::Json(jwks(&[&k1]))).await;
    let clock = TestClock::new();
    let jwks = remote(&server, &clock);
    verify_with(&jwks, &k1).await.unwrap();
    let fp1 = k1.verifying_key().unwrap().fingerprint();
    let fp2 = k2.verifying_key().unwrap().fingerprint();
    assert!(jwks.contains(&fp1));
    assert_eq!(jwks.version(), 1);

    // A new signing key appears: found after exactly one fetch.
    server.set(Behavior::Json(self::jwks(&[&k1, &k2])));
    clock.advance(COOLDOWN);
    verify_with(&jwks, &k2).await.unwrap();
    assert_eq!(server.hits(), 2);
    assert_eq!(jwks.version(), 2);
    assert!(jwks.contains(&fp2));

    // The old key is removed at the next refresh.
    server.set(Behavior::Json(self::jwks(&[&k2])));
    clock.advance(TTL);
    verify_with(&jwks, &k2).await.unwrap();
    assert_eq!(server.hits(), 3);
    assert_eq!(jwks.version(), 3);
    assert!(!jwks.contains(&fp1));
    assert!(jwks.contains(&fp2));
    assert!(jwks.cached_key(Some("k1"), Algorithm::ES256).is_none());
    let err = verify_with(&jwks, &k1).await.unwrap_err();
    assert!(
        matches!(err, KeySourceError::NoMatchingKey { .. }),
        "{err:?}"
    );
}

/// Recognises the expected error.
type Check = fn(&JwksFetchError) -> bool;

#[tokio::test]
async fn bad_documents_are_typed_errors_and_keep_the_old_keys() {
    let k1 = es256("k1");
    let server = JwksServer::start(Behavior::Json(jwks(&[&k1]))).await;
    let jwks = RemoteJwks::builder(client(&server))
        .max_body_size(4096)
        .build()
        .unwrap();
    jwks.refresh().await.unwrap();

    let html = Behavior::Raw {
        status: 200,
        content_type: "text/html; charset=utf-8",
        body: Bytes::from_static(b"<!doctype html><html><body>Sign in</body></html>"),
    };
    let not_jwks = Behavior::Json(Bytes::from_static(br#"{"issuer":"https://x/"}"#));
    let truncated = Behavior::Json(Bytes::from_static(br#"{"keys":[{"kty":"EC","#));
    let oversized = Behavior::Json(Bytes::from(
        serde_json::to_vec(&serde_json::json!({ "keys": [], "pad": "x".repeat(8192) })).unwrap(),
    ));
    let unusable = Behavior::Json(Bytes::from_static(
        br#"{"keys":[{"kty":"RSA","kid":"tiny","n":"AQAB","e":"AQAB"}]}"#,
    ));
    let server_error = Behavior::Raw {
        status: 500,
        content_type: "application/json",
        body: Bytes::from_static(br#"{"error":"boom"}"#),
    };
    let not_found = Behavior::Raw {
        status: 404,
        content_type: "text/plain",
        body: Bytes::from_static(b"no such file"),
    };

    let cases: Vec<(&str, Behavior, Check)> = vec![
        (
            "html",
            html,
            |e| matches!(e, JwksFetchError::Malformed { content_type: Some(ct), .. } if ct.starts_with("text/html")),
        ),
        ("not a jwks", not_jwks, |e| {
            matches!(e, JwksFetchError::Malformed { .. })
        }),
        ("truncated", truncated, |e| {
            matches!(e, JwksFetchError::Malformed { .. })
        }),
        ("oversized", oversized, |e| {
            matches!(
                e,
                JwksFetchError::BodyTooLarge {
                    limit: 4096,
                    size: None
                }
            )
        }),
        ("unusable keys", unusable, |e| {
            matches!(e, JwksFetchError::NoUsableKeys { listed: 1 })
        }),
        (
            "500",
            server_error,
            |e| matches!(e, JwksFetchError::Status { status, source: Some(_) } if status.as_u16() == 500),
        ),
        (
            "404",
            not_found,
            |e| matches!(e, JwksFetchError::Status { status, .. } if status.as_u16() == 404),
        ),
    ];
    for (name, behavior, check) in cases {
        server.set(behavior);
        let err = jwks.refresh().await.unwrap_err();
        assert!(check(&err), "{name}: unexpected {err:?}");
        assert!(!err.to_string().is_empty());
        assert!(
            jwks.cached_key(Some("k1"), Algorithm::ES256).is_some(),
            "{name}: old keys kept"
        );
        verify_with(&jwks, &k1).await.unwrap();
        assert_eq!(jwks.version(), 1, "{name}");
    }
}

#[tokio::test]
async fn background_refresh_keeps_the_set_fresh() {
    let k1 = es256("k1");
    let server = JwksServer::start(Behavior::Json(jwks(&[&k1]))).await;
    let jwks = RemoteJwks::builder(client(&server))
        .ttl(Duration::from_millis(400))
        .background_refresh(true)
        .build()
        .unwrap();
    // The first fetch starts by itself, refreshes follow at 3/4 of the TTL.
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(server.hits(), 1);
    assert!(jwks.cached_key(Some("k1"), Algorithm::ES256).is_some());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.hits(), 2);
    verify_with(&jwks, &k1).await.unwrap();
    assert_eq!(server.hits(), 2);

    drop(jwks);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(server.hits(), 2, "the task stopped with the cache");
}

#[tokio::test]
async fn builder_rejects_bad_settings() {
    let server = JwksServer::start(Behavior::Json(Bytes::new())).await;
    let err =
        RemoteJwks::with_url(client(&server), "http://tenant.example.com/jwks.json").unwrap_err();
    assert!(matches!(err, JwksBuildError::InsecureUrl { .. }));
    let err = RemoteJwks::with_url(client(&server), "/jwks.json").unwrap_err();
    assert!(matches!(err, JwksBuildError::InvalidUrl { .. }));
    let err = RemoteJwks::builder(client(&server))
        .ttl(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(err, JwksBuildError::ZeroSetting { setting: "ttl" });
    let err = RemoteJwks::builder(client(&server))
        .max_body_size(0)
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        JwksBuildError::ZeroSetting {
            setting: "max_body_size"
        }
    );
    // An explicit loopback URL on another path works.
    let jwks = RemoteJwks::with_url(client(&server), &format!("{}/other", server.base())).unwrap();
    assert!(jwks.url().ends_with("/other"));
    assert_eq!(server.hits(), 0, "building fetches nothing");
}

#[test]
fn background_refresh_outside_a_runtime_is_a_build_error() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(JwksServer::start(Behavior::Json(Bytes::new())));
    let client = {
        let _enter = runtime.enter();
        client(&server)
    };
    let err = RemoteJwks::builder(client)
        .background_refresh(true)
        .build()
        .unwrap_err();
    assert_eq!(err, JwksBuildError::NoRuntime);
}
