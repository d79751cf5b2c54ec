//! Several trusted issuers, each with its own keys, through the public API:
//! access tokens, ID tokens, the cache, the resolver, and the attacks (a
//! token naming an untrusted issuer, one issuer's key used for another).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use auth0_jwt::access_token::AccessTokenValidator;
use auth0_jwt::alg::Algorithm;
use auth0_jwt::error::Error;
use auth0_jwt::id_token::{TokenVerifier, VerifyOptions};
use auth0_jwt::issuers::Issuers;
use auth0_jwt::key::{KeyFingerprint, VerifyingKey};
use auth0_jwt::sign::SigningKey;
use auth0_jwt::verifier::{KeySource, KeySourceError, ResolveKeyFuture, StaticKeys};
use auth0_jwt::{Clock, SystemClock};
use serde_json::{Value, json};

const A: &str = "https://login.a.com/";
const B: &str = "https://login.b.com/";
const API: &str = "https://api.example.com";

/// A key source that counts every lookup (to prove it is never asked).
struct Counting {
    inner: StaticKeys,
    lookups: Arc<AtomicUsize>,
}

impl KeySource for Counting {
    fn cached_key(&self, kid: Option<&str>, alg: Algorithm) -> Option<Arc<VerifyingKey>> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        self.inner.cached_key(kid, alg)
    }
    fn resolve_key<'a>(&'a self, kid: Option<&'a str>, alg: Algorithm) -> ResolveKeyFuture<'a> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        self.inner.resolve_key(kid, alg)
    }
    fn version(&self) -> u64 {
        0
    }
    fn contains(&self, fp: &KeyFingerprint) -> bool {
        self.inner.contains(fp)
    }
}

fn key(kid: &str) -> SigningKey {
    SigningKey::generate_es256().unwrap().with_kid(kid)
}

fn keys_of(key: &SigningKey) -> StaticKeys {
    let mut set = auth0_jwt::KeySet::new();
    set.insert(key.verifying_key().unwrap());
    StaticKeys::new(set)
}

fn token(key: &SigningKey, claims: Value) -> String {
    key.sign_token(&Default::default(), &claims).unwrap()
}

fn at(iss: &str) -> Value {
    let now = SystemClock.now();
    json!({"iss": iss, "sub": "auth0|1", "aud": API, "iat": now, "exp": now + 600})
}

struct Setup {
    key_a: SigningKey,
    key_b: SigningKey,
    lookups_a: Arc<AtomicUsize>,
    lookups_b: Arc<AtomicUsize>,
    validator: AccessTokenValidator,
}

fn setup() -> Setup {
    let key_a = key("ka");
    let key_b = key("kb");
    let lookups_a = Arc::new(AtomicUsize::new(0));
    let lookups_b = Arc::new(AtomicUsize::new(0));
    let issuers = Issuers::new()
        .issuer(
            A,
            Counting {
                inner: keys_of(&key_a),
                lookups: Arc::clone(&lookups_a),
            },
        )
        .issuer(
            B,
            Counting {
                inner: keys_of(&key_b),
                lookups: Arc::clone(&lookups_b),
            },
        );
    let validator = AccessTokenValidator::builder()
        .issuers(issuers)
        .audience(API)
        .algorithms([Algorithm::ES256])
        .build()
        .unwrap();
    Setup {
        key_a,
        key_b,
        lookups_a,
        lookups_b,
        validator,
    }
}

#[tokio::test]
async fn each_issuer_verifies_with_its_own_keys_only() {
    let s = setup();
    let claims = s.validator.validate(&token(&s.key_a, at(A))).await.unwrap();
    assert_eq!(claims.iss(), Some(A));
    s.validator.validate(&token(&s.key_b, at(B))).await.unwrap();
    assert_eq!(s.lookups_a.load(Ordering::SeqCst), 1);
    assert_eq!(s.lookups_b.load(Ordering::SeqCst), 1);

    // Issuer B's key signing a token that claims to be from A: looked up in
    // A's keys only, where `kb` does not exist.
    let e = s
        .validator
        .validate(&token(&s.key_b, at(A)))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::KeyNotFound { .. }), "{e:?}");
    assert_eq!(s.lookups_b.load(Ordering::SeqCst), 1);

    // Same kid, B's key material: A's key with that kid refuses the signature.
    let impostor = SigningKey::generate_es256().unwrap().with_kid("ka");
    let e = s
        .validator
        .validate(&token(&impostor, at(A)))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidSignature(_)), "{e:?}");
}

#[tokio::test]
async fn an_untrusted_or_missing_issuer_is_refused_before_any_key_lookup() {
    let s = setup();
    for claims in [
        at("https://evil.example/"),
        at("https://login.a.com"), // no trailing slash: not the same issuer
        json!({"sub": "x", "aud": API, "exp": SystemClock.now() + 60}),
        json!({"iss": 7, "sub": "x", "aud": API, "exp": SystemClock.now() + 60}),
    ] {
        let e = s
            .validator
            .validate(&token(&s.key_a, claims.clone()))
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::IssuerMismatch { .. } | Error::IssuerInvalid { .. }
            ),
            "{claims}: {e:?}"
        );
    }
    assert_eq!(s.lookups_a.load(Ordering::SeqCst), 0);
    assert_eq!(s.lookups_b.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn the_cache_keeps_each_issuers_tokens_apart() {
    let s = setup();
    let ta = token(&s.key_a, at(A));
    let tb = token(&s.key_b, at(B));
    assert!(s.validator.validate_cached(&ta).is_none());
    s.validator.validate(&ta).await.unwrap();
    s.validator.validate(&tb).await.unwrap();
    let hit = s.validator.validate_cached(&ta).unwrap().unwrap();
    assert_eq!(hit.iss(), Some(A));
    let hit = s.validator.validate_cached(&tb).unwrap().unwrap();
    assert_eq!(hit.iss(), Some(B));
    // Hits needed no key lookups.
    assert_eq!(s.lookups_a.load(Ordering::SeqCst), 1);
    assert_eq!(s.lookups_b.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_resolver_is_asked_once_per_trusted_issuer_and_never_trusts_by_itself() {
    let key_c = key("kc");
    let keys_c: Arc<dyn KeySource> = Arc::new(keys_of(&key_c));
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&asked);
    let issuers = Issuers::new().resolver(move |iss: &str| {
        counter.fetch_add(1, Ordering::SeqCst);
        // e.g. the custom domains a database knows.
        (iss == "https://login.c.com/").then(|| Arc::clone(&keys_c))
    });
    let validator = AccessTokenValidator::builder()
        .issuers(issuers)
        .audience(API)
        .algorithms([Algorithm::ES256])
        .no_cache()
        .build()
        .unwrap();
    for _ in 0..3 {
        validator
            .validate(&token(&key_c, at("https://login.c.com/")))
            .await
            .unwrap();
    }
    assert_eq!(asked.load(Ordering::SeqCst), 1);
    let e = validator
        .validate(&token(&key_c, at("https://login.d.com/")))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::IssuerMismatch { .. }), "{e:?}");
}

#[tokio::test]
async fn id_tokens_from_several_issuers() {
    let key_a = key("ka");
    let key_b = key("kb");
    let verifier = TokenVerifier::builder()
        .issuers(
            Issuers::new()
                .issuer(A, keys_of(&key_a))
                .issuer(B, keys_of(&key_b)),
        )
        .signature_verifier(
            auth0_jwt::verifier::AsymmetricSignatureVerifier::new(StaticKeys::default())
                .with_algorithm(Algorithm::ES256)
                .unwrap(),
        )
        .audience("client-1")
        .build()
        .unwrap();
    let now = SystemClock.now();
    let id = |iss: &str| json!({"iss": iss, "sub": "auth0|1", "aud": "client-1", "iat": now, "exp": now + 600});
    let claims = verifier
        .verify(&token(&key_a, id(A)), &VerifyOptions::new())
        .await
        .unwrap();
    assert_eq!(claims.iss(), Some(A));
    verifier
        .verify(&token(&key_b, id(B)), &VerifyOptions::new())
        .await
        .unwrap();
    let e = verifier
        .verify(&token(&key_b, id(A)), &VerifyOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::KeyNotFound { .. }), "{e:?}");
    let e = verifier
        .verify(&token(&key_a, id("https://evil/")), &VerifyOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::IssuerMismatch { .. }), "{e:?}");

    // One issuer or several, not both.
    assert!(matches!(
        TokenVerifier::builder()
            .issuers(Issuers::new().issuer(A, keys_of(&key_a)))
            .issuer(A)
            .audience("client-1")
            .build(),
        Err(Error::Config { .. })
    ));
}

#[tokio::test]
async fn configuration_errors() {
    let k = key("k");
    assert!(matches!(
        AccessTokenValidator::builder()
            .issuers(Issuers::new())
            .audience(API)
            .build(),
        Err(Error::Config { .. })
    ));
    // An issuer next to `issuers` needs its key source.
    assert!(matches!(
        AccessTokenValidator::builder()
            .issuers(Issuers::new().issuer(A, keys_of(&k)))
            .issuer(B)
            .audience(API)
            .build(),
        Err(Error::Config { .. })
    ));
    // With its key source it is one more trusted issuer.
    let v = AccessTokenValidator::builder()
        .issuers(Issuers::new().issuer(A, keys_of(&k)))
        .issuer(B)
        .key_source(keys_of(&k))
        .audience(API)
        .algorithms([Algorithm::ES256])
        .build()
        .unwrap();
    v.validate(&token(&k, at(B))).await.unwrap();
    let _ = KeySourceError::NoMatchingKey { kid: None };
}
