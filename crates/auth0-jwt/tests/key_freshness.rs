//! Key freshness through the public validators: a `RemoteJwks` on a JWKS
//! server (127.0.0.1) whose key set changes over time, driven through
//! `AccessTokenValidator`, `TokenVerifier` and `BearerAuthLayer` the way an
//! application uses them — never through `resolve_key`.
//!
//! The JWKS cache's TTL and cooldown follow the injected `TestClock`; the
//! validators' own clock is the system clock (tokens are valid for an hour).

#![cfg(feature = "remote")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support_remote;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth0_core::client::Auth0Client;
use auth0_core::config::ClientConfig;
use auth0_core::retry::RetryPolicy;
use auth0_jwt::access_token::{AccessTokenClaims, AccessTokenValidator};
use auth0_jwt::alg::Algorithm;
use auth0_jwt::error::Error;
use auth0_jwt::id_token::{TokenVerifier, VerifyOptions};
use auth0_jwt::jwks::{JwksBuildError, JwksFetchError, RemoteJwks, RemoteJwksBuilder};
use auth0_jwt::layer::BearerAuthLayer;
use auth0_jwt::sign::SigningKey;
use auth0_jwt::verifier::{AsymmetricSignatureVerifier, KeySource, KeySourceError, StaticKeys};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::{Map, json};
use support_remote::{
    Behavior, ENDLESS_CHUNK, JwksServer, TestClock, capture_warnings, client, es256,
    jwks as jwks_doc,
};
use tower::{Layer, ServiceExt, service_fn};

const ISS: &str = "https://tenant.example.auth0.com/";
const AUD: &str = "https://orders.example";
const CLIENT_ID: &str = "client-123";
const TTL: Duration = Duration::from_secs(600);
const COOLDOWN: Duration = Duration::from_secs(30);
const STALE: Duration = Duration::from_secs(900);

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn remote(server: &JwksServer, clock: &TestClock) -> RemoteJwks {
    RemoteJwks::builder(client(server))
        .ttl(TTL)
        .unknown_kid_cooldown(COOLDOWN)
        .stale_if_error(STALE)
        .fetch_timeout(Duration::from_secs(10))
        .clock(clock.clone())
        .build()
        .unwrap()
}

fn validator(jwks: &RemoteJwks) -> AccessTokenValidator {
    AccessTokenValidator::builder()
        .key_source(jwks.clone())
        .issuer(ISS)
        .audience(AUD)
        .algorithms([Algorithm::ES256])
        .build()
        .unwrap()
}

fn access_token(key: &SigningKey) -> String {
    let now = now();
    let claims = json!({
        "iss": ISS, "sub": "auth0|alice", "aud": AUD, "iat": now - 5, "exp": now + 3600,
    });
    key.sign_token(&Map::new(), &claims).unwrap()
}

fn id_token(key: &SigningKey) -> String {
    let now = now();
    let claims = json!({
        "iss": ISS, "sub": "auth0|alice", "aud": CLIENT_ID, "iat": now - 5, "exp": now + 3600,
    });
    key.sign_token(&Map::new(), &claims).unwrap()
}

/// A one-key JWKS document with the public half of `key`, listed under `kid`.
fn doc_with_kid(key: &SigningKey, kid: &str) -> Bytes {
    let mut jwk = serde_json::to_value(key.to_public_jwk().unwrap()).unwrap();
    jwk["kid"] = json!(kid);
    Bytes::from(serde_json::to_vec(&json!({ "keys": [jwk] })).unwrap())
}

fn is_key_not_found(result: &Result<impl std::fmt::Debug, Error>) -> bool {
    matches!(result, Err(Error::KeyNotFound { .. }))
}

fn is_fetch_failure(result: &Result<impl std::fmt::Debug, Error>) -> bool {
    matches!(result, Err(Error::KeySource(KeySourceError::Fetch { .. })))
}

#[tokio::test]
async fn access_tokens_of_a_removed_key_stop_verifying_after_the_ttl() {
    let (k1, k2) = (es256("k1"), es256("k2"));
    let server = JwksServer::start(Behavior::Json(jwks_doc(&[&k1]))).await;
    let clock = TestClock::new();
    let jwks = remote(&server, &clock);
    let validator = validator(&jwks);
    let old = access_token(&k1);

    validator.validate(&old).await.unwrap();
    assert!(validator.validate_cached(&old).unwrap().is_ok());
    assert_eq!(server.hits(), 1);
    assert_eq!(validator.cache().unwrap().len(), 1);

    // The tenant rotates: k1 is gone upstream.
    server.set(Behavior::Json(jwks_doc(&[&k2])));
    clock.advance(TTL - Duration::from_secs(1));
    validator.validate(&old).await.unwrap();
    assert_eq!(server.hits(), 1, "within the TTL the cached set answers");

    clock.advance(Duration::from_secs(1));
    // Past the TTL nothing is answered from the cache without a refresh.
    assert!(validator.validate_cached(&old).is_none());
    let refused = validator.validate(&old).await;
    assert!(is_key_not_found(&refused), "{refused:?}");
    assert_eq!(server.hits(), 2, "one refresh");
    assert_eq!(
        validator.cache().unwrap().len(),
        0,
        "tokens of the removed key left the verified-token cache"
    );
    assert!(validator.validate_cached(&old).is_none());
    assert!(is_key_not_found(&validator.validate(&old).await));

    // The new key works, and is cached again.
    let new = access_token(&k2);
    validator.validate(&new).await.unwrap();
    assert!(validator.validate_cached(&new).unwrap().is_ok());
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn an_unchanged_set_is_refreshed_once_per_ttl_and_tokens_keep_passing() {
    let k1 = es256("k1");
    let server = JwksServer::start(Behavior::Json(jwks_doc(&[&k1]))).await;
    let clock = TestClock::new();
    let jwks = remote(&server, &clock);
    let validator = validator(&jwks);
    let token = access_token(&k1);
    for round in 1..=3 {
        for _ in 0..20 {
            validator.validate(&token).await.unwrap();
        }
        assert_eq!(server.hits(), round);
        clock.advance(TTL);
    }
    assert_eq!(jwks.version(), 1, "same keys, same version");
    assert_eq!(validator.cache().unwrap().len(), 1);
}

#[tokio::test]
async fn id_tokens_of_a_removed_key_stop_verifying_after_the_ttl() {
    let (k1, k2) = (es256("k1"), es256("k2"));
    let server = JwksServer::start(Behavior::Json(jwks_doc(&[&k1]))).await;
    let clock = TestClock::new();
    let jwks = remote(&server, &clock);
    let signature = AsymmetricSignatureVerifier::new(jwks.clone())
        .with_algorithm(Algorithm::ES256)
        .unwrap();
    let verifier = TokenVerifier::new(signature, ISS, CLIENT_ID).unwrap();
    let options = VerifyOptions::new();
    let old = id_token(&k1);

    verifier.verify(&old, &options).await.unwrap();
    server.set(Behavior::Json(jwks_doc(&[&k2])));
    clock.advance(TTL - Duration::from_secs(1));
    verifier.verify(&old, &options).await.unwrap();
    assert_eq!(server.hits(), 1);

    clock.advance(Duration::from_secs(1));
    let refused = verifier.verify(&old, &options).await;
    assert!(is_key_not_found(&refused), "{refused:?}");
    assert_eq!(server.hits(), 2);
    verifier.verify(&id_token(&k2), &options).await.unwrap();
    assert_eq!(server.hits(), 2);
}

type Handler = tower::util::BoxCloneService<Request<()>, Response<String>, Infallible>;

fn gateway(
    validator: AccessTokenValidator,
) -> auth0_jwt::layer::BearerAuth<Handler, AccessTokenValidator> {
    let handler = Handler::new(service_fn(|req: Request<()>| async move {
        let claims = req.extensions().get::<Arc<AccessTokenClaims>>().unwrap();
        Ok::<_, Infallible>(Response::new(claims.sub().unwrap_or_default().to_owned()))
    }));
    BearerAuthLayer::new(validator).layer(handler)
}

async fn call(
    service: &auth0_jwt::layer::BearerAuth<Handler, AccessTokenValidator>,
    token: &str,
) -> Response<String> {
    let request = Request::builder()
        .header(http::header::AUTHORIZATION, format!("Bearer {token}"))
        .body(())
        .unwrap();
    service.clone().oneshot(request).await.unwrap()
}

#[tokio::test]
async fn the_gateway_refuses_a_removed_key_after_the_ttl() {
    let (k1, k2) = (es256("k1"), es256("k2"));
    let server = JwksServer::start(Behavior::Json(jwks_doc(&[&k1]))).await;
    let clock = TestClock::new();
    let jwks = remote(&server, &clock);
    let service = gateway(validator(&jwks));
    let old = access_token(&k1);

    for _ in 0..5 {
        assert_eq!(call(&service, &old).await.status(), StatusCode::OK);
    }
    server.set(Behavior::Json(jwks_doc(&[&k2])));
    clock.advance(TTL);
    let response = call(&service, &old).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(server.hits(), 2);
    assert_eq!(
        call(&service, &old).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let new = access_token(&k2);
    assert_eq!(call(&service, &new).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn stale_if_error_is_bounded_visible_and_recovers() {
    let k1 = es256("k1");
    let server = JwksServer::start(Behavior::Json(jwks_doc(&[&k1]))).await;
    let clock = TestClock::new();
    let jwks = remote(&server, &clock);
    let service = gateway(validator(&jwks));
    let token = access_token(&k1);
    assert_eq!(call(&service, &token).await.status(), StatusCode::OK);
    let status = jwks.status();
    assert!(!status.stale && status.usable && status.last_error.is_none());
    assert_eq!((status.keys, status.version), (1, 1));

    // The tenant goes down.
    server.set(Behavior::Raw {
        status: 503,
        content_type: "text/plain",
        body: Bytes::from_static(b"down"),
    });
    clock.advance(TTL);
    let (warnings, _guard) = capture_warnings();
    assert_eq!(call(&service, &token).await.status(), StatusCode::OK);
    assert_eq!(server.hits(), 2, "a refresh was attempted first");
    assert!(
        warnings
            .lines()
            .iter()
            .any(|l| l.contains("stale-if-error")),
        "{:?}",
        warnings.lines()
    );
    let status = jwks.status();
    assert!(status.stale && status.usable, "{status:?}");
    assert_eq!(status.consecutive_failures, 1);
    assert!(matches!(
        status.last_error,
        Some(JwksFetchError::Status { status, .. }) if status.as_u16() == 503
    ));
    assert_eq!(status.age, Some(TTL));

    // Within the cooldown the stale keys answer without another fetch.
    for _ in 0..10 {
        assert_eq!(call(&service, &token).await.status(), StatusCode::OK);
    }
    assert_eq!(server.hits(), 2);
    // Then one retry per cooldown, each still served stale.
    clock.advance(COOLDOWN);
    assert_eq!(call(&service, &token).await.status(), StatusCode::OK);
    assert_eq!(server.hits(), 3);
    assert_eq!(jwks.status().consecutive_failures, 2);

    // Past TTL + stale_if_error: refused with 503, not served.
    clock.advance(STALE);
    let response = call(&service, &token).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        warnings
            .lines()
            .iter()
            .any(|l| l.contains("past their stale-if-error limit")),
        "{:?}",
        warnings.lines()
    );
    let status = jwks.status();
    assert!(status.stale && !status.usable, "{status:?}");
    // Within the cooldown nothing is fetched, and still nothing is accepted.
    let hits = server.hits();
    assert_eq!(
        call(&service, &token).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(server.hits(), hits);

    // The tenant is back: the next attempt (after the cooldown) recovers.
    server.set(Behavior::Json(jwks_doc(&[&k1])));
    clock.advance(COOLDOWN);
    assert_eq!(call(&service, &token).await.status(), StatusCode::OK);
    let status = jwks.status();
    assert!(!status.stale && status.usable && status.last_error.is_none());
    assert_eq!(status.consecutive_failures, 0);
}

#[tokio::test]
async fn zero_stale_if_error_refuses_as_soon_as_a_refresh_fails() {
    let k1 = es256("k1");
    let server = JwksServer::start(Behavior::Json(jwks_doc(&[&k1]))).await;
    let clock = TestClock::new();
    let jwks = RemoteJwks::builder(client(&server))
        .ttl(TTL)
        .stale_if_error(Duration::ZERO)
        .clock(clock.clone())
        .build()
        .unwrap();
    let validator = validator(&jwks);
    let token = access_token(&k1);
    validator.validate(&token).await.unwrap();
    server.stop();
    clock.advance(TTL);
    let refused = validator.validate(&token).await;
    assert!(is_fetch_failure(&refused), "{refused:?}");
    assert!(validator.validate_cached(&token).is_none());
}

#[tokio::test]
async fn tokens_without_kid_never_match_a_remote_key() {
    let signer = SigningKey::generate_es256().unwrap(); // no kid
    let doc = doc_with_kid(&signer, "k1");
    let server = JwksServer::start(Behavior::Json(doc.clone())).await;
    let clock = TestClock::new();
    let jwks = remote(&server, &clock);
    jwks.refresh().await.unwrap();
    let validator = validator(&jwks);
    let token = access_token(&signer);
    // One key in the set, and it did sign the token: still refused, and no
    // fetch is made for it (OIDC Core §10.1).
    let refused = validator.validate(&token).await;
    assert!(is_key_not_found(&refused), "{refused:?}");
    assert_eq!(server.hits(), 1);

    // The same key configured explicitly is used whatever the token's kid.
    let static_keys = AccessTokenValidator::builder()
        .key_source(StaticKeys::from_key(signer.verifying_key().unwrap()))
        .issuer(ISS)
        .audience(AUD)
        .algorithms([Algorithm::ES256])
        .build()
        .unwrap();
    static_keys.validate(&token).await.unwrap();
    // As is a one-key JWKS document you configured yourself.
    let from_doc = StaticKeys::from_jwks_json(std::str::from_utf8(&doc).unwrap()).unwrap();
    let static_doc = AccessTokenValidator::builder()
        .key_source(from_doc)
        .issuer(ISS)
        .audience(AUD)
        .algorithms([Algorithm::ES256])
        .build()
        .unwrap();
    static_doc.validate(&token).await.unwrap();
}

type Configure = fn(RemoteJwksBuilder) -> RemoteJwksBuilder;

#[tokio::test]
async fn nonsensical_settings_are_build_errors() {
    let server = JwksServer::start(Behavior::Json(jwks_doc(&[&es256("k1")]))).await;
    let cases: [(&str, Configure); 4] = [
        ("unknown_kid_cooldown", |b| {
            b.unknown_kid_cooldown(Duration::ZERO)
        }),
        ("ttl", |b| b.ttl(Duration::ZERO)),
        ("fetch_timeout", |b| b.fetch_timeout(Duration::ZERO)),
        ("max_body_size", |b| b.max_body_size(0)),
    ];
    for (setting, configure) in cases {
        let err = configure(RemoteJwks::builder(client(&server)))
            .build()
            .unwrap_err();
        assert_eq!(err, JwksBuildError::ZeroSetting { setting });
    }
}

#[tokio::test]
async fn an_endless_jwks_body_is_cut_off_at_the_jwks_limit() {
    const LIMIT: usize = 64 * 1024;
    const CLIENT_CAP: usize = 256 * 1024 * 1024;
    let server = JwksServer::start(Behavior::Endless).await;
    // A client whose own cap is far above the JWKS limit: before the
    // per-request limit, it would buffer all of it first.
    let config = ClientConfig::builder()
        .domain(server.base())
        .allow_insecure_loopback(true)
        .retry_policy(RetryPolicy::disabled())
        .max_response_body(CLIENT_CAP)
        .build()
        .unwrap();
    let jwks = RemoteJwks::builder(Auth0Client::new(config).unwrap())
        .max_body_size(LIMIT)
        .fetch_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let err = jwks.refresh().await.unwrap_err();
    assert!(
        matches!(
            err,
            JwksFetchError::BodyTooLarge {
                limit: LIMIT,
                size: None
            }
        ),
        "{err:?}"
    );
    let streamed = server.streamed();
    // What the server managed to hand over: the limit plus what the
    // loopback socket buffers took, far below the client's own cap.
    assert!(
        streamed < 32 * 1024 * 1024,
        "{streamed} bytes streamed before the error"
    );
    assert!(streamed >= LIMIT - ENDLESS_CHUNK);

    // Through a validator, the same failure is "keys unavailable".
    let validator = validator(&jwks);
    let refused = validator.validate(&access_token(&es256("k1"))).await;
    assert!(is_fetch_failure(&refused), "{refused:?}");
}
