//! Back-channel logout tokens (OIDC Back-Channel Logout 1.0 §2.4, §2.6),
//! made the way the spec describes, and each way §2.6 says to refuse one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use auth0_jwt::alg::Algorithm;
use auth0_jwt::clock::ManualClock;
use auth0_jwt::error::Error;
use auth0_jwt::issuers::Issuers;
use auth0_jwt::logout_token::{
    BACKCHANNEL_LOGOUT_EVENT, LogoutTokenError, LogoutTokenValidator, LogoutTokenValidatorBuilder,
};
use auth0_jwt::sign::SigningKey;
use auth0_jwt::verifier::StaticKeys;
use serde_json::{Value, json};

const ISS: &str = "https://tenant.auth0.com/";
const CLIENT: &str = "s6BhdRkqt3";
const NOW: i64 = 1_700_000_000;

fn key() -> SigningKey {
    SigningKey::generate_es256()
        .unwrap()
        .with_kid("k1")
        .with_typ(Some("logout+jwt".into()))
}

/// §2.4's example claims.
fn claims(jti: &str) -> Value {
    json!({
        "iss": ISS,
        "sub": "248289761001",
        "aud": CLIENT,
        "iat": NOW,
        "jti": jti,
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
        "sid": "08a5019c-17e1-4977-8f42-65a12843ea02",
    })
}

fn with(mut base: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            base.as_object_mut().unwrap().remove(k);
        } else {
            base[k] = v.clone();
        }
    }
    base
}

fn builder(key: &SigningKey, clock: &Arc<ManualClock>) -> LogoutTokenValidatorBuilder {
    LogoutTokenValidator::builder()
        .key_source(StaticKeys::from_key(key.verifying_key().unwrap()))
        .issuer(ISS)
        .audience(CLIENT)
        .algorithms([Algorithm::ES256])
        .shared_clock(clock.clone())
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(NOW))
}

fn sign(key: &SigningKey, claims: &Value) -> String {
    key.sign_token(&Default::default(), claims).unwrap()
}

#[tokio::test]
async fn a_logout_token_is_accepted_once() {
    let key = key();
    let clock = clock();
    let v = builder(&key, &clock).build().unwrap();
    let token = sign(&key, &with(claims("j1"), json!({"org_id": "org_acme"})));
    let logout = v.validate(&token).await.unwrap();
    assert_eq!(logout.iss, ISS);
    assert_eq!(logout.sub.as_deref(), Some("248289761001"));
    assert_eq!(
        logout.sid.as_deref(),
        Some("08a5019c-17e1-4977-8f42-65a12843ea02")
    );
    assert_eq!(logout.jti, "j1");
    assert_eq!(logout.iat, NOW);
    assert_eq!(logout.org_id.as_deref(), Some("org_acme"));
    // §2.6 step 7: the same jti again is a replay, even re-signed.
    assert!(matches!(
        v.validate(&token).await,
        Err(LogoutTokenError::Replayed)
    ));
    assert!(matches!(
        v.validate(&sign(&key, &claims("j1"))).await,
        Err(LogoutTokenError::Replayed)
    ));
    // sub only, or sid only, are enough (§2.4).
    v.validate(&sign(&key, &with(claims("j2"), json!({"sid": null}))))
        .await
        .unwrap();
    v.validate(&sign(&key, &with(claims("j3"), json!({"sub": null}))))
        .await
        .unwrap();
}

#[tokio::test]
async fn every_refusal_of_section_2_6() {
    let key = key();
    let clock = clock();
    let v = builder(&key, &clock).build().unwrap();
    let refused = |claims: Value| {
        let token = sign(&key, &claims);
        let v = &v;
        async move { v.validate(&token).await.unwrap_err() }
    };
    let e = refused(with(claims("a"), json!({"sub": null, "sid": null}))).await;
    assert!(matches!(e, LogoutTokenError::NoSubjectOrSession), "{e:?}");
    // An empty identifier is no identifier, even beside a good one (the
    // `logout` fuzz target's finding: an empty `sub` was read as absent).
    for (jti, empty) in [
        ("a2", json!({"sub": ""})),
        ("a3", json!({"sid": ""})),
        ("a4", json!({"sub": "", "sid": null})),
    ] {
        let e = refused(with(claims(jti), empty)).await;
        assert!(
            matches!(e, LogoutTokenError::NoSubjectOrSession),
            "{jti}: {e:?}"
        );
    }
    let e = refused(with(claims("b"), json!({"events": null}))).await;
    assert!(matches!(e, LogoutTokenError::MissingEvent), "{e:?}");
    // The event member must be a JSON object.
    let e = refused(with(
        claims("c"),
        json!({"events": {BACKCHANNEL_LOGOUT_EVENT: true}}),
    ))
    .await;
    assert!(matches!(e, LogoutTokenError::MissingEvent), "{e:?}");
    let e = refused(with(
        claims("d"),
        json!({"events": {"http://schemas.openid.net/event/other": {}}}),
    ))
    .await;
    assert!(matches!(e, LogoutTokenError::MissingEvent), "{e:?}");
    let e = refused(with(
        claims("e"),
        json!({"events": [BACKCHANNEL_LOGOUT_EVENT]}),
    ))
    .await;
    assert!(matches!(e, LogoutTokenError::MissingEvent), "{e:?}");
    // An ID token (with a nonce) posted as a logout token.
    let e = refused(with(claims("f"), json!({"nonce": "n-0S6_WzA2Mj"}))).await;
    assert!(matches!(e, LogoutTokenError::NonceNotAllowed), "{e:?}");
    let e = refused(with(claims("g"), json!({"jti": null}))).await;
    assert!(matches!(e, LogoutTokenError::MissingJti), "{e:?}");
    let e = refused(with(claims("h"), json!({"iat": null}))).await;
    assert!(matches!(e, LogoutTokenError::MissingIssuedAt), "{e:?}");
    let e = refused(with(claims("i"), json!({"iat": NOW - 120 - 31}))).await;
    assert!(matches!(e, LogoutTokenError::Stale), "{e:?}");
    let e = refused(with(claims("j"), json!({"iat": NOW + 31}))).await;
    assert!(matches!(e, LogoutTokenError::IssuedInFuture), "{e:?}");
    let e = refused(with(claims("k"), json!({"exp": NOW - 31}))).await;
    assert!(
        matches!(e, LogoutTokenError::Token(Error::Expired { .. })),
        "{e:?}"
    );
    let e = refused(with(claims("l"), json!({"aud": "another-client"}))).await;
    assert!(
        matches!(e, LogoutTokenError::Token(Error::AudienceMismatch { .. })),
        "{e:?}"
    );
    let e = refused(with(claims("m"), json!({"iss": "https://evil.example/"}))).await;
    assert!(
        matches!(e, LogoutTokenError::Token(Error::IssuerMismatch { .. })),
        "{e:?}"
    );
    // Signed by another key.
    let other = SigningKey::generate_es256().unwrap();
    let e = v.validate(&sign(&other, &claims("n"))).await.unwrap_err();
    assert!(
        matches!(e, LogoutTokenError::Token(Error::InvalidSignature(_))),
        "{e:?}"
    );
    // None of the refused tokens used up its jti: a good one with it passes.
    v.validate(&sign(&key, &claims("a"))).await.unwrap();
    // Inside the window and leeway: accepted.
    v.validate(&sign(&key, &with(claims("o"), json!({"iat": NOW - 150}))))
        .await
        .unwrap();
}

#[tokio::test]
async fn explicit_typing() {
    let clock = clock();
    // One key, no `typ` of its own: each token sets its own.
    let key = SigningKey::generate_es256().unwrap().with_typ(None);
    let v = builder(&key, &clock).build().unwrap();
    let strict = builder(&key, &clock)
        .require_explicit_typ(true)
        .build()
        .unwrap();
    let typed = |typ: Option<&str>, jti: &str| {
        let mut header = serde_json::Map::new();
        if let Some(typ) = typ {
            header.insert("typ".into(), Value::String(typ.into()));
        }
        key.sign_token(&header, &claims(jti)).unwrap()
    };
    for (typ, lenient, explicit) in [
        (Some("logout+jwt"), true, true),
        (Some("application/logout+jwt"), true, true),
        (Some("JWT"), true, false),
        (None, true, false),
        (Some("at+jwt"), false, false),
        (Some("dpop+jwt"), false, false),
    ] {
        let jti = format!("{typ:?}");
        let t = typed(typ, &jti);
        assert_eq!(v.validate(&t).await.is_ok(), lenient, "{typ:?}");
        let t = typed(typ, &format!("{jti}-strict"));
        let result = strict.validate(&t).await;
        assert_eq!(result.is_ok(), explicit, "{typ:?}");
        if let Err(e) = result {
            assert!(
                matches!(e, LogoutTokenError::Token(Error::TypeMismatch { .. })),
                "{e:?}"
            );
        }
    }
}

#[tokio::test]
async fn several_issuers_and_configuration() {
    let key_a = key();
    let key_b = key();
    let clock = clock();
    let v = LogoutTokenValidator::builder()
        .issuers(
            Issuers::new()
                .issuer(ISS, StaticKeys::from_key(key_a.verifying_key().unwrap()))
                .issuer(
                    "https://login.b.com/",
                    StaticKeys::from_key(key_b.verifying_key().unwrap()),
                ),
        )
        .audience(CLIENT)
        .algorithms([Algorithm::ES256])
        .shared_clock(clock.clone())
        .build()
        .unwrap();
    v.validate(&sign(&key_a, &claims("x"))).await.unwrap();
    let from_b = with(claims("x"), json!({"iss": "https://login.b.com/"}));
    // Same jti from another issuer is another token.
    v.validate(&sign(&key_b, &from_b)).await.unwrap();
    // B's key cannot speak for A.
    assert!(v.validate(&sign(&key_b, &claims("y"))).await.is_err());

    // HS256 is refused: a logout token is signed by the provider's key.
    assert!(matches!(
        builder(&key_a, &clock)
            .algorithms([Algorithm::HS256])
            .build(),
        Err(Error::Config { .. })
    ));
    assert!(matches!(
        LogoutTokenValidator::builder()
            .issuer(ISS)
            .audience(CLIENT)
            .build(),
        Err(Error::Config { .. })
    ));
    // Replays are remembered only for the window.
    let v = builder(&key_a, &clock)
        .max_age(Duration::from_secs(60))
        .build()
        .unwrap();
    let t = sign(&key_a, &claims("z"));
    v.validate(&t).await.unwrap();
    assert!(matches!(
        v.validate(&t).await,
        Err(LogoutTokenError::Replayed)
    ));
    clock.advance(91);
    assert!(matches!(v.validate(&t).await, Err(LogoutTokenError::Stale)));
    // The Debug output names no key material.
    assert!(!format!("{v:?}").contains("BEGIN"));
}
