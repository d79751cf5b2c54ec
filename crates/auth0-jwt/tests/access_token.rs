//! Access-token validation: audiences, algorithms, typ, scopes, organizations,
//! custom claims and the verified-token cache.

// Helpers outside #[test] fns unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "fixtures/tracing/pin.rs"]
mod pin;
#[path = "fixtures/validate/support.rs"]
mod support;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth0_jwt::access_token::{
    AccessTokenValidator, OrganizationAllowList, OrganizationPolicy, TypPolicy,
};
use auth0_jwt::alg::Algorithm;
use auth0_jwt::cache::CacheConfig;
use auth0_jwt::clock::ManualClock;
use auth0_jwt::error::Error;
use auth0_jwt::key::{KeyFingerprint, KeySet, VerifyingKey};
use auth0_jwt::verifier::{KeySource, KeySourceError, StaticKeys};
use serde::Deserialize;
use serde_json::{Value, json};
use support::*;

fn rsa_keys() -> StaticKeys {
    let mut keys = KeySet::new();
    keys.insert(rsa1("k1").verifying_key().unwrap());
    keys.insert(ec1("e1").verifying_key().unwrap());
    StaticKeys::new(keys)
}

fn validator(clock: Arc<ManualClock>) -> auth0_jwt::access_token::AccessTokenValidatorBuilder {
    AccessTokenValidator::builder()
        .key_source(rsa_keys())
        .issuer(ISSUER)
        .audience(API)
        .shared_clock(clock)
}

fn token(claims: Value) -> String {
    sign(&rsa1("k1"), json!({}), claims)
}

async fn err_of(v: &AccessTokenValidator, token: &str) -> Error {
    match v.validate(token).await {
        Ok(c) => panic!("accepted: {c:?}"),
        Err(e) => e,
    }
}

#[tokio::test]
async fn valid_token_returns_claims() {
    let v = validator(clock()).build().unwrap();
    let claims = v.validate(&token(at_claims())).await.unwrap();
    assert_eq!(claims.sub(), Some("auth0|user1"));
    assert!(claims.has_scope("read:messages"));
    assert!(!claims.has_scope("read"));
}

#[tokio::test]
async fn missing_token() {
    let v = validator(clock()).build().unwrap();
    let e = err_of(&v, "").await;
    assert_eq!(e.to_string(), "access token is required but missing.");
}

#[tokio::test]
async fn audiences() {
    let v = validator(clock())
        .audience("https://second.example.com")
        .build()
        .unwrap();
    v.validate(&token(with(
        at_claims(),
        json!({"aud": "https://second.example.com"}),
    )))
    .await
    .unwrap();
    let e = err_of(
        &v,
        &token(with(at_claims(), json!({"aud": ["https://third"]}))),
    )
    .await;
    assert!(matches!(e, Error::AudienceMismatch { .. }));
    assert_eq!(
        e.to_string(),
        r#"Audience (aud) claim mismatch in the access token; expected "https://api.example.com, https://second.example.com" but was not one of "https://third""#
    );
    let e = err_of(&v, &token(with(at_claims(), json!({"aud": 5})))).await;
    assert!(matches!(e, Error::AudienceInvalid { .. }), "{e:?}");
    let e = err_of(&v, &token(with(at_claims(), json!({"aud": null})))).await;
    assert!(matches!(e, Error::AudienceInvalid { .. }), "{e:?}");
}

#[tokio::test]
async fn issuer_checked() {
    let v = validator(clock()).build().unwrap();
    let e = err_of(
        &v,
        &token(with(at_claims(), json!({"iss": "https://evil/"}))),
    )
    .await;
    assert_eq!(
        e.to_string(),
        r#"Issuer (iss) claim mismatch in the access token; expected "https://tenant.auth0.com/", found "https://evil/""#
    );
}

#[tokio::test]
async fn algorithm_allow_list() {
    let es = sign(&ec1("e1"), json!({}), at_claims());
    let v = validator(clock()).build().unwrap();
    let e = err_of(&v, &es).await;
    assert!(matches!(e, Error::AlgorithmNotSupported { .. }));
    assert_eq!(
        e.to_string(),
        r#"Signature algorithm of "ES256" is not supported. Expected the token to be signed with "RS256""#
    );

    let v = validator(clock())
        .algorithms([Algorithm::RS256, Algorithm::ES256])
        .build()
        .unwrap();
    v.validate(&es).await.unwrap();
    v.validate(&token(at_claims())).await.unwrap();
    let ps = sign(
        &auth0_jwt::sign::SigningKey::rsa_pem(RSA1_PRIVATE, Algorithm::PS256)
            .unwrap()
            .with_kid("k1"),
        json!({}),
        at_claims(),
    );
    let e = err_of(&v, &ps).await;
    assert_eq!(
        e.to_string(),
        r#"Signature algorithm of "PS256" is not supported. Expected the token to be signed with "RS256, ES256""#
    );

    assert!(matches!(
        validator(clock()).algorithms([]).build(),
        Err(Error::Config { .. })
    ));
}

#[tokio::test]
async fn typ_policy() {
    let with_typ = |typ: Option<&str>| {
        let key = rsa1("k1").with_typ(typ.map(str::to_owned));
        sign(&key, json!({}), at_claims())
    };
    let at = validator(clock())
        .typ(TypPolicy::AccessTokenJwt)
        .build()
        .unwrap();
    for ok in [
        "at+jwt",
        "AT+JWT",
        "application/at+jwt",
        "Application/AT+JWT",
    ] {
        at.validate(&with_typ(Some(ok))).await.unwrap();
    }
    for bad in [Some("JWT"), None, Some("at+jwt2"), Some("application/jwt")] {
        let e = err_of(&at, &with_typ(bad)).await;
        assert!(matches!(e, Error::TypeMismatch { .. }), "{bad:?}: {e:?}");
    }
    assert_eq!(
        err_of(&at, &with_typ(Some("JWT"))).await.to_string(),
        r#"Type (typ) header mismatch in the access token; expected "at+jwt", found "JWT""#
    );

    let jwt = validator(clock()).typ(TypPolicy::Jwt).build().unwrap();
    jwt.validate(&with_typ(Some("JWT"))).await.unwrap();
    jwt.validate(&with_typ(Some("jwt"))).await.unwrap();
    assert!(jwt.validate(&with_typ(Some("at+jwt"))).await.is_err());

    let any = validator(clock()).build().unwrap();
    for ok in [
        None,
        Some("whatever"),
        Some("JWT"),
        Some("at+jwt"),
        Some("JOSE"),
    ] {
        any.validate(&with_typ(ok)).await.unwrap();
    }
    // RFC 8725 §3.11: by default, a JWT typed as another kind (a logout
    // token, a DPoP proof, a security event) is not an access token, even
    // signed by the API's issuer.
    for bad in [
        "logout+jwt",
        "application/logout+jwt",
        "DPoP+JWT",
        "secevent+jwt",
    ] {
        let e = err_of(&any, &with_typ(Some(bad))).await;
        assert!(matches!(e, Error::TypeMismatch { .. }), "{bad}: {e:?}");
    }
}

#[tokio::test]
async fn scopes_and_permissions() {
    let v = validator(clock())
        .require_scopes(["read:messages", "write:messages"])
        .build()
        .unwrap();
    v.validate(&token(at_claims())).await.unwrap();

    let v = validator(clock())
        .require_scopes(["read:messages", "admin", "delete:all"])
        .require_permissions(["read:users"])
        .build()
        .unwrap();
    let e = err_of(
        &v,
        &token(with(at_claims(), json!({"permissions": ["other"]}))),
    )
    .await;
    assert!(e.is_insufficient_scope());
    match &e {
        Error::InsufficientScope { missing } => {
            assert_eq!(missing, &["admin", "delete:all", "read:users"]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        e.to_string(),
        r#"Insufficient scope; the token is missing "admin delete:all read:users""#
    );
    // A scope substring is not the scope.
    let e = err_of(
        &v,
        &token(with(at_claims(), json!({"scope": "adminx read:messages"}))),
    )
    .await;
    assert!(e.is_insufficient_scope());

    let v = validator(clock())
        .require_permissions(["read:users", "write:users"])
        .build()
        .unwrap();
    v.validate(&token(with(
        at_claims(),
        json!({"permissions": ["write:users", "read:users"]}),
    )))
    .await
    .unwrap();
    let e = err_of(&v, &token(at_claims())).await;
    assert!(e.is_insufficient_scope());
    // Wrong types are errors, not "no scopes".
    let e = err_of(
        &v,
        &token(with(at_claims(), json!({"permissions": "read:users"}))),
    )
    .await;
    assert!(
        matches!(
            e,
            Error::InvalidClaim {
                claim: "permissions",
                ..
            }
        ),
        "{e:?}"
    );
    let e = err_of(&v, &token(with(at_claims(), json!({"scope": ["a"]})))).await;
    assert!(
        matches!(e, Error::InvalidClaim { claim: "scope", .. }),
        "{e:?}"
    );
}

#[tokio::test]
async fn time_claims() {
    let clock = clock();
    let v = validator(Arc::clone(&clock)).no_cache().build().unwrap();
    let e = err_of(&v, &token(with(at_claims(), json!({"exp": null})))).await;
    assert!(matches!(e, Error::ExpirationInvalid { .. }));

    // Default leeway is 5 s.
    let t = token(with(at_claims(), json!({"exp": NOW + 10})));
    clock.set(NOW + 15);
    v.validate(&t).await.unwrap();
    clock.set(NOW + 16);
    assert!(matches!(err_of(&v, &t).await, Error::Expired { .. }));

    clock.set(NOW);
    let nbf = token(with(at_claims(), json!({"nbf": NOW + 5})));
    v.validate(&nbf).await.unwrap();
    let nbf = token(with(at_claims(), json!({"nbf": NOW + 6})));
    let e = err_of(&v, &nbf).await;
    assert!(matches!(e, Error::NotYetValid { .. }));
    assert_eq!(
        e.to_string(),
        format!(
            "Not Before (nbf) claim error in the access token; current time ({NOW}) is before not before time ({})",
            NOW + 1
        )
    );

    let iat = token(with(at_claims(), json!({"iat": NOW + 5})));
    v.validate(&iat).await.unwrap();
    let iat = token(with(at_claims(), json!({"iat": NOW + 6})));
    assert!(matches!(
        err_of(&v, &iat).await,
        Error::IssuedInFuture { .. }
    ));
    // iat is optional for access tokens.
    v.validate(&token(with(at_claims(), json!({"iat": null}))))
        .await
        .unwrap();

    let long = validator(Arc::clone(&clock))
        .leeway(Duration::from_secs(60))
        .build()
        .unwrap();
    long.validate(&iat).await.unwrap();
}

/// A key source that counts lookups, to prove a path never reached it.
struct CountingKeys {
    inner: StaticKeys,
    lookups: AtomicUsize,
}

impl KeySource for CountingKeys {
    fn cached_key(&self, kid: Option<&str>, alg: Algorithm) -> Option<Arc<VerifyingKey>> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        self.inner.cached_key(kid, alg)
    }
    fn resolve_key<'a>(
        &'a self,
        kid: Option<&'a str>,
        alg: Algorithm,
    ) -> auth0_jwt::verifier::ResolveKeyFuture<'a> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        self.inner.resolve_key(kid, alg)
    }
    fn version(&self) -> u64 {
        self.inner.version()
    }
    fn contains(&self, fp: &KeyFingerprint) -> bool {
        self.inner.contains(fp)
    }
}

#[tokio::test]
async fn expired_tokens_are_refused_before_key_lookup_and_signature() {
    let clock = clock();
    let keys = Arc::new(CountingKeys {
        inner: rsa_keys(),
        lookups: AtomicUsize::new(0),
    });
    let v = AccessTokenValidator::builder()
        .shared_key_source(keys.clone())
        .issuer(ISSUER)
        .audience(API)
        .shared_clock(clock.clone())
        .build()
        .unwrap();
    // Expired long ago, unknown kid, signature garbage: refused as expired
    // without a key lookup (which could start a JWKS fetch) or an RSA check.
    let expired = sign(
        &rsa1("unknown-kid"),
        json!({}),
        with(at_claims(), json!({"exp": NOW - 3600})),
    );
    let (head, _) = expired.rsplit_once('.').unwrap();
    let forged = format!("{head}.AAAA");
    assert!(matches!(err_of(&v, &forged).await, Error::Expired { .. }));
    assert_eq!(keys.lookups.load(Ordering::SeqCst), 0);
    // A live token with a bad signature still fails on the signature.
    let live = token(at_claims());
    let (head, _) = live.rsplit_once('.').unwrap();
    let e = err_of(&v, &format!("{head}.AAAA")).await;
    assert!(matches!(e, Error::InvalidSignature(_)), "{e:?}");
    // A malformed exp is still reported as such (after the signature check).
    let e = err_of(&v, &token(with(at_claims(), json!({"exp": "soon"})))).await;
    assert!(!matches!(e, Error::Expired { .. }), "{e:?}");
}

#[tokio::test]
async fn organization_policies() {
    let acme = with(
        at_claims(),
        json!({"org_id": "org_acme", "org_name": "acme"}),
    );
    let none = at_claims();

    let required = validator(clock())
        .organization(OrganizationPolicy::Required)
        .build()
        .unwrap();
    required.validate(&token(acme.clone())).await.unwrap();
    let e = err_of(&required, &token(none.clone())).await;
    assert!(matches!(e, Error::OrganizationIdInvalid { .. }), "{e:?}");

    let by_id = validator(clock())
        .organization(OrganizationPolicy::allow(["org_acme", "org_other"]))
        .build()
        .unwrap();
    by_id.validate(&token(acme.clone())).await.unwrap();
    let e = err_of(
        &by_id,
        &token(with(acme.clone(), json!({"org_id": "org_ACME"}))),
    )
    .await;
    assert!(matches!(e, Error::OrganizationNotAllowed { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        r#"Organization of the access token is not allowed (org_id "org_ACME", org_name "acme")"#
    );
    assert!(by_id.validate(&token(none.clone())).await.is_err());

    let by_name = validator(clock())
        .organization(OrganizationPolicy::allow(["ACME"]))
        .build()
        .unwrap();
    by_name
        .validate(&token(with(at_claims(), json!({"org_name": "Acme"}))))
        .await
        .unwrap();
    assert!(
        by_name
            .validate(&token(with(at_claims(), json!({"org_name": "globex"}))))
            .await
            .is_err()
    );

    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let checked = validator(clock())
        .organization(OrganizationPolicy::check(move |claims| {
            let counter = Arc::clone(&counter);
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::task::yield_now().await;
                claims.org_id() == Some("org_acme")
            }
        }))
        .build()
        .unwrap();
    let t = token(acme.clone());
    checked.validate(&t).await.unwrap();
    // A cache hit still asks the callback.
    checked.validate(&t).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(checked.cache().unwrap().len(), 1);
    let e = err_of(&checked, &token(with(acme, json!({"org_id": "org_evil"})))).await;
    assert!(matches!(e, Error::OrganizationNotAllowed { .. }));
}

#[derive(Debug, Deserialize)]
struct MyClaims {
    sub: String,
    #[serde(rename = "https://example.com/roles")]
    roles: Vec<String>,
    #[serde(default)]
    tier: Option<u8>,
}

#[tokio::test]
async fn custom_claims_struct() {
    let v = validator(clock()).build().unwrap();
    let t = token(with(
        at_claims(),
        json!({"https://example.com/roles": ["admin", "ops"], "tier": 3}),
    ));
    let mine: MyClaims = v.validate_as(&t).await.unwrap();
    assert_eq!(mine.sub, "auth0|user1");
    assert_eq!(mine.roles, ["admin", "ops"]);
    assert_eq!(mine.tier, Some(3));
    let claims = v.validate(&t).await.unwrap();
    let again: MyClaims = claims.deserialize().unwrap();
    assert_eq!(again.roles.len(), 2);

    let bad = token(with(
        at_claims(),
        json!({"https://example.com/roles": "admin"}),
    ));
    let e = v.validate_as::<MyClaims>(&bad).await.unwrap_err();
    assert!(matches!(e, Error::ClaimsDeserialize { .. }), "{e:?}");
}

/// A key source whose keys can be removed, counting lookups.
struct Rotating {
    keys: Mutex<KeySet>,
    version: AtomicU64,
    lookups: AtomicUsize,
}

impl Rotating {
    fn new(keys: KeySet) -> Arc<Self> {
        Arc::new(Self {
            keys: Mutex::new(keys),
            version: AtomicU64::new(1),
            lookups: AtomicUsize::new(0),
        })
    }

    fn replace(&self, keys: KeySet) {
        *self.keys.lock().unwrap() = keys;
        self.version.fetch_add(1, Ordering::SeqCst);
    }
}

impl KeySource for Rotating {
    fn cached_key(&self, kid: Option<&str>, alg: Algorithm) -> Option<Arc<VerifyingKey>> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        self.keys.lock().unwrap().find(kid, alg).ok()
    }

    fn resolve_key<'a>(
        &'a self,
        kid: Option<&'a str>,
        alg: Algorithm,
    ) -> auth0_jwt::verifier::ResolveKeyFuture<'a> {
        let found = self
            .keys
            .lock()
            .unwrap()
            .find(kid, alg)
            .map_err(|e| KeySourceError::from_key_set(kid, e));
        Box::pin(std::future::ready(found))
    }

    fn version(&self) -> u64 {
        self.version.load(Ordering::SeqCst)
    }

    fn contains(&self, fp: &KeyFingerprint) -> bool {
        self.keys.lock().unwrap().contains(fp)
    }
}

fn rotating_validator(source: &Arc<Rotating>, clock: &Arc<ManualClock>) -> AccessTokenValidator {
    AccessTokenValidator::builder()
        .shared_key_source(Arc::clone(source) as Arc<dyn KeySource>)
        .issuer(ISSUER)
        .audience(API)
        .shared_clock(Arc::clone(clock) as _)
        .build()
        .unwrap()
}

fn both_keys() -> KeySet {
    let mut keys = KeySet::new();
    keys.insert(rsa1("k1").verifying_key().unwrap());
    keys.insert(rsa2("k2").verifying_key().unwrap());
    keys
}

#[tokio::test]
async fn cache_serves_hits_and_expires_with_the_token() {
    let source = Rotating::new(both_keys());
    let clock = clock();
    let v = rotating_validator(&source, &clock);
    let exp = NOW + 100;
    let t = token(with(at_claims(), json!({ "exp": exp })));

    v.validate(&t).await.unwrap();
    assert_eq!(source.lookups.load(Ordering::SeqCst), 1);
    assert_eq!(v.cache().unwrap().len(), 1);

    clock.set(exp - 1);
    v.validate(&t).await.unwrap();
    assert_eq!(
        source.lookups.load(Ordering::SeqCst),
        1,
        "served from the cache"
    );

    clock.set(exp + 5); // within the leeway: verified again, still accepted
    v.validate(&t).await.unwrap();
    clock.set(exp + 6);
    let e = err_of(&v, &t).await;
    assert!(matches!(e, Error::Expired { .. }), "{e:?}");

    // A token that fails a policy check is not cached.
    clock.set(NOW);
    let strict = AccessTokenValidator::builder()
        .shared_key_source(Arc::clone(&source) as Arc<dyn KeySource>)
        .issuer(ISSUER)
        .audience(API)
        .require_scopes(["admin"])
        .shared_clock(Arc::clone(&clock) as _)
        .build()
        .unwrap();
    assert!(err_of(&strict, &t).await.is_insufficient_scope());
    assert!(strict.cache().unwrap().is_empty());
    assert!(err_of(&strict, &t).await.is_insufficient_scope());
}

#[tokio::test]
async fn cache_hit_rechecks_time_when_the_clock_moves_back() {
    let source = Rotating::new(both_keys());
    let clock = clock();
    let v = rotating_validator(&source, &clock);
    let t = token(with(at_claims(), json!({"nbf": NOW - 1})));
    v.validate(&t).await.unwrap();
    clock.set(NOW - 100);
    let e = err_of(&v, &t).await;
    assert!(matches!(e, Error::NotYetValid { .. }), "{e:?}");
    assert_eq!(
        source.lookups.load(Ordering::SeqCst),
        1,
        "decided on the hit path"
    );
}

#[tokio::test]
async fn removing_a_key_evicts_its_tokens() {
    let source = Rotating::new(both_keys());
    let clock = clock();
    let v = rotating_validator(&source, &clock);
    let t1 = token(at_claims());
    let t2 = sign(&rsa2("k2"), json!({}), at_claims());
    v.validate(&t1).await.unwrap();
    v.validate(&t2).await.unwrap();
    assert_eq!(v.cache().unwrap().len(), 2);

    let mut only_k2 = KeySet::new();
    only_k2.insert(rsa2("k2").verifying_key().unwrap());
    source.replace(only_k2);

    let e = err_of(&v, &t1).await;
    assert!(matches!(e, Error::KeyNotFound { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        r#"RSA Public Key with ID "k1" was not found."#
    );
    assert_eq!(v.cache().unwrap().len(), 1);
    let before = source.lookups.load(Ordering::SeqCst);
    v.validate(&t2).await.unwrap();
    assert_eq!(
        source.lookups.load(Ordering::SeqCst),
        before,
        "k2 token still cached"
    );
}

/// Hands out its key once (no cached fast path), then drops it, as if the
/// JWKS rotated while the token was being verified.
struct RotatesDuringResolve {
    key: Arc<VerifyingKey>,
    removed: std::sync::atomic::AtomicBool,
    version: AtomicU64,
}

impl KeySource for RotatesDuringResolve {
    fn cached_key(&self, _kid: Option<&str>, _alg: Algorithm) -> Option<Arc<VerifyingKey>> {
        None
    }

    fn resolve_key<'a>(
        &'a self,
        kid: Option<&'a str>,
        _alg: Algorithm,
    ) -> auth0_jwt::verifier::ResolveKeyFuture<'a> {
        let found = if self.removed.swap(true, Ordering::SeqCst) {
            Err(KeySourceError::NoMatchingKey {
                kid: kid.map(str::to_owned),
            })
        } else {
            self.version.fetch_add(1, Ordering::SeqCst);
            Ok(Arc::clone(&self.key))
        };
        Box::pin(std::future::ready(found))
    }

    fn version(&self) -> u64 {
        self.version.load(Ordering::SeqCst)
    }

    fn contains(&self, fp: &KeyFingerprint) -> bool {
        !self.removed.load(Ordering::SeqCst) && self.key.fingerprint() == *fp
    }
}

#[tokio::test]
async fn a_key_removed_during_verification_is_not_left_in_the_cache() {
    let source = RotatesDuringResolve {
        key: Arc::new(rsa1("k1").verifying_key().unwrap()),
        removed: std::sync::atomic::AtomicBool::new(false),
        version: AtomicU64::new(0),
    };
    let v = AccessTokenValidator::builder()
        .key_source(source)
        .issuer(ISSUER)
        .audience(API)
        .shared_clock(clock())
        .build()
        .unwrap();
    let t = token(at_claims());
    v.validate(&t).await.unwrap();
    assert!(v.cache().unwrap().is_empty());
    assert!(matches!(err_of(&v, &t).await, Error::KeyNotFound { .. }));
}

#[tokio::test]
async fn forged_token_sharing_a_prefix_with_a_cached_one_is_rejected() {
    let source = Rotating::new(both_keys());
    let clock = clock();
    let v = rotating_validator(&source, &clock);
    let t = token(at_claims());
    v.validate(&t).await.unwrap();

    // Same header and payload, one signature character changed.
    let mut forged = t.clone().into_bytes();
    let i = forged.len() - 20;
    forged[i] = if forged[i] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    let e = err_of(&v, &forged).await;
    assert!(matches!(e, Error::InvalidSignature(_)), "{e:?}");

    // Same header and payload, signature from another key.
    let other = sign(&rsa2("k1"), json!({}), at_claims());
    let (prefix, _) = t.rsplit_once('.').unwrap();
    let (_, other_sig) = other.rsplit_once('.').unwrap();
    let spliced = format!("{prefix}.{other_sig}");
    assert!(matches!(
        err_of(&v, &spliced).await,
        Error::InvalidSignature(_)
    ));
    assert_eq!(v.cache().unwrap().len(), 1);
}

#[tokio::test]
async fn cache_defaults() {
    let v = validator(clock()).build().unwrap();
    assert!(v.cache().is_some(), "on by default for RS256");
    let v = validator(clock()).no_cache().build().unwrap();
    assert!(v.cache().is_none());
    let hs = AccessTokenValidator::builder()
        .key_source(StaticKeys::from_key(VerifyingKey::hmac(SECRET).unwrap()))
        .issuer(ISSUER)
        .audience(API)
        .algorithms([Algorithm::HS256])
        .shared_clock(clock())
        .build()
        .unwrap();
    assert!(hs.cache().is_none(), "off by default for HS*");
    hs.validate(&sign(&hs256(), json!({}), at_claims()))
        .await
        .unwrap();
    let hs_cached = AccessTokenValidator::builder()
        .key_source(StaticKeys::from_key(VerifyingKey::hmac(SECRET).unwrap()))
        .issuer(ISSUER)
        .audience(API)
        .algorithms([Algorithm::HS256])
        .cache(CacheConfig::default().max_entries(64))
        .shared_clock(clock())
        .build()
        .unwrap();
    hs_cached
        .validate(&sign(&hs256(), json!({}), at_claims()))
        .await
        .unwrap();
    assert_eq!(hs_cached.cache().unwrap().len(), 1);
}

#[tokio::test]
async fn builder_requires_settings() {
    let e = AccessTokenValidator::builder()
        .issuer(ISSUER)
        .audience(API)
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("key source"));
    let e = AccessTokenValidator::builder()
        .key_source(rsa_keys())
        .issuer(ISSUER)
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("audience"));
}

#[tokio::test]
async fn concurrent_validation_shares_the_cache() {
    let v = Arc::new(validator(clock()).build().unwrap());
    let t = Arc::new(token(at_claims()));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (v, t) = (Arc::clone(&v), Arc::clone(&t));
        tasks.push(tokio::spawn(
            async move { v.validate(&t).await.map(|_| ()) },
        ));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(v.cache().unwrap().len(), 1);
}

/// End to end with `RemoteJwks` over an in-memory transport: a JWKS change
/// that removes a key evicts the cached tokens it signed.
#[cfg(feature = "remote")]
mod remote {
    use std::convert::Infallible;
    use std::future::{Ready, ready};
    use std::task::{Context, Poll};

    use auth0_core::client::ClientBuilder;
    use auth0_core::config::ClientConfig;
    use auth0_core::types::{HttpRequest, HttpResponse};
    use auth0_jwt::id_token::{TokenVerifier, VerifyOptions};
    use auth0_jwt::jwks::RemoteJwks;
    use auth0_jwt::verifier::AsymmetricSignatureVerifier;
    use bytes::Bytes;

    use super::*;

    /// Answers every request with the current JWKS body.
    #[derive(Clone)]
    struct JwksEndpoint {
        body: Arc<Mutex<String>>,
        hits: Arc<AtomicUsize>,
    }

    impl tower_service::Service<HttpRequest> for JwksEndpoint {
        type Response = HttpResponse;
        type Error = Infallible;
        type Future = Ready<Result<HttpResponse, Infallible>>;

        fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _req: HttpRequest) -> Self::Future {
            self.hits.fetch_add(1, Ordering::SeqCst);
            let body = Bytes::from(self.body.lock().unwrap().clone());
            let mut resp = http::Response::new(body);
            resp.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
            ready(Ok(resp))
        }
    }

    fn jwks_of(keys: &[auth0_jwt::sign::SigningKey]) -> String {
        let keys: Vec<Value> = keys
            .iter()
            .map(|k| serde_json::to_value(k.to_public_jwk().unwrap()).unwrap())
            .collect();
        json!({ "keys": keys }).to_string()
    }

    fn endpoint(body: String) -> JwksEndpoint {
        JwksEndpoint {
            body: Arc::new(Mutex::new(body)),
            hits: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn client(ep: &JwksEndpoint) -> auth0_core::client::Auth0Client<JwksEndpoint> {
        let config = ClientConfig::new("tenant.auth0.com").unwrap();
        ClientBuilder::from_service(config, ep.clone())
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn jwks_rotation_evicts_cached_tokens() {
        let ep = endpoint(jwks_of(&[rsa1("k1"), rsa2("k2")]));
        let jwks = RemoteJwks::new(client(&ep)).unwrap();
        let clock = clock();
        let v = AccessTokenValidator::builder()
            .key_source(jwks.clone())
            .issuer(ISSUER)
            .audience(API)
            .shared_clock(Arc::clone(&clock) as _)
            .build()
            .unwrap();
        let t1 = token(at_claims());
        let t2 = sign(&rsa2("k2"), json!({}), at_claims());
        v.validate(&t1).await.unwrap();
        v.validate(&t2).await.unwrap();
        assert_eq!(v.cache().unwrap().len(), 2);
        assert_eq!(ep.hits.load(Ordering::SeqCst), 1);

        *ep.body.lock().unwrap() = jwks_of(&[rsa2("k2")]);
        jwks.refresh().await.unwrap();

        let e = err_of(&v, &t1).await;
        assert!(matches!(e, Error::KeyNotFound { .. }), "{e:?}");
        v.validate(&t2).await.unwrap();
        assert_eq!(v.cache().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn id_token_verifier_from_jwks_url() {
        let ep = endpoint(jwks_of(&[rsa1("k1")]));
        let verifier = TokenVerifier::builder()
            .signature_verifier(
                AsymmetricSignatureVerifier::from_jwks_url(
                    client(&ep),
                    "https://tenant.auth0.com/.well-known/jwks.json",
                )
                .unwrap(),
            )
            .issuer(ISSUER)
            .audience(CLIENT_ID)
            .shared_clock(clock())
            .build()
            .unwrap();
        let t = sign(&rsa1("k1"), json!({}), id_claims());
        verifier.verify(&t, &VerifyOptions::new()).await.unwrap();
        assert!(
            AsymmetricSignatureVerifier::from_jwks_url(client(&ep), "http://evil.example/jwks")
                .is_err()
        );
    }
}

#[test]
fn validators_errors_and_futures_are_send_and_sync() {
    fn send_sync<T: Send + Sync + 'static>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<AccessTokenValidator>();
    send_sync::<auth0_jwt::id_token::TokenVerifier>();
    send_sync::<Error>();
    send_sync::<OrganizationPolicy>();
    let v = validator(clock()).build().unwrap();
    send(&v.validate("x"));
    let t = auth0_jwt::id_token::TokenVerifier::new(
        auth0_jwt::verifier::SymmetricSignatureVerifier::new(SECRET).unwrap(),
        ISSUER,
        CLIENT_ID,
    )
    .unwrap();
    let options = auth0_jwt::id_token::VerifyOptions::new();
    send(&t.verify("x", &options));
}

/// A key source that never has a key at hand: every token goes through
/// `resolve_key` (as with a remote JWKS before its first fetch).
struct ResolveOnly(StaticKeys);

impl KeySource for ResolveOnly {
    fn cached_key(&self, _kid: Option<&str>, _alg: Algorithm) -> Option<Arc<VerifyingKey>> {
        None
    }
    fn resolve_key<'a>(
        &'a self,
        kid: Option<&'a str>,
        alg: Algorithm,
    ) -> auth0_jwt::verifier::ResolveKeyFuture<'a> {
        self.0.resolve_key(kid, alg)
    }
    fn version(&self) -> u64 {
        0
    }
    fn contains(&self, fp: &KeyFingerprint) -> bool {
        self.0.contains(fp)
    }
}

#[tokio::test]
async fn resolved_keys_and_tokens_longer_than_the_stack_buffer() {
    let resolving = AccessTokenValidator::builder()
        .key_source(ResolveOnly(rsa_keys()))
        .issuer(ISSUER)
        .audience(API)
        .shared_clock(clock())
        .no_cache()
        .build()
        .unwrap();
    let at_hand = validator(clock()).no_cache().build().unwrap();
    let short = token(at_claims());
    // Decoded on the heap rather than in the stack buffer.
    let long = token(with(at_claims(), json!({"padding": "x".repeat(4_000)})));
    for v in [&resolving, &at_hand] {
        for t in [&short, &long] {
            let claims = v.validate(t).await.unwrap();
            assert_eq!(claims.sub(), Some("auth0|user1"));
        }
        let claims = v.validate(&long).await.unwrap();
        let padding = claims.get("padding").and_then(Value::as_str).map(str::len);
        assert_eq!(padding, Some(4_000));
        // Unknown kid, bad signature: the same errors on both paths.
        let other = sign(&rsa1("nope"), json!({}), at_claims());
        let e = err_of(v, &other).await;
        assert!(matches!(e, Error::KeyNotFound { .. }), "{e:?}");
        let (head, _) = long.rsplit_once('.').unwrap();
        let e = err_of(v, &format!("{head}.AAAA")).await;
        assert!(matches!(e, Error::InvalidSignature(_)), "{e:?}");
    }
}

#[tokio::test]
async fn validate_cached_answers_only_from_the_cache() {
    let clock = clock();
    let v = validator(Arc::clone(&clock)).build().unwrap();
    let t = token(at_claims());
    assert!(v.validate_cached(&t).is_none(), "not validated yet");
    v.validate(&t).await.unwrap();
    let hit = v.validate_cached(&t).unwrap().unwrap();
    assert_eq!(hit.sub(), Some("auth0|user1"));
    // Past exp the entry is gone: no answer, so the caller takes the full path.
    clock.set(NOW + 3600);
    assert!(v.validate_cached(&t).is_none());
    // Within the leeway the full path still accepts it (and does not cache it again)...
    v.validate(&t).await.unwrap();
    assert!(v.validate_cached(&t).is_none());
    // ...and past it, refuses it.
    clock.set(NOW + 3600 + 6);
    assert!(matches!(err_of(&v, &t).await, Error::Expired { .. }));

    // The rules still apply to a cached token.
    clock.set(NOW);
    let strict = validator(Arc::clone(&clock))
        .require_scopes(["write:messages"])
        .build()
        .unwrap();
    let scoped = token(with(
        at_claims(),
        json!({"scope": "read:messages write:messages"}),
    ));
    strict.validate(&scoped).await.unwrap();
    assert!(strict.validate_cached(&scoped).unwrap().is_ok());

    // An async organization check can't be answered inline.
    let checked = validator(Arc::clone(&clock))
        .organization(OrganizationPolicy::check(|_| async { true }))
        .build()
        .unwrap();
    checked.validate(&t).await.unwrap();
    assert!(checked.validate_cached(&t).is_none());

    // No cache, no inline answers.
    let uncached = validator(clock).no_cache().build().unwrap();
    uncached.validate(&t).await.unwrap();
    assert!(uncached.validate_cached(&t).is_none());
}

#[tokio::test]
async fn expired_tokens_are_remembered_and_answered_inline() {
    let clock = clock();
    let keys = Arc::new(CountingKeys {
        inner: rsa_keys(),
        lookups: AtomicUsize::new(0),
    });
    let v = AccessTokenValidator::builder()
        .shared_key_source(keys.clone())
        .issuer(ISSUER)
        .audience(API)
        .shared_clock(clock.clone())
        .build()
        .unwrap();
    let expired = token(with(
        at_claims(),
        json!({"exp": NOW - 60, "iat": NOW - 120}),
    ));
    assert!(v.validate_cached(&expired).is_none(), "not seen yet");
    assert!(matches!(err_of(&v, &expired).await, Error::Expired { .. }));
    // Seen once: answered from memory, inline, with the same error.
    let inline = v.validate_cached(&expired).unwrap().unwrap_err();
    let Error::Expired { expired_at, .. } = inline else {
        panic!("{inline:?}")
    };
    assert_eq!(expired_at, NOW - 60 + 5);
    assert!(matches!(err_of(&v, &expired).await, Error::Expired { .. }));
    assert_eq!(keys.lookups.load(Ordering::SeqCst), 0);
    // A clock that moved back behind exp + leeway gets the full checks
    // again, which accept the token: the memory never outvotes them.
    clock.set(NOW - 60);
    assert!(v.validate_cached(&expired).is_none());
    v.validate(&expired).await.unwrap();
    // Without a cache nothing is remembered.
    let uncached = validator(clock.clone()).no_cache().build().unwrap();
    clock.set(NOW);
    assert!(matches!(
        err_of(&uncached, &expired).await,
        Error::Expired { .. }
    ));
    assert!(uncached.validate_cached(&expired).is_none());
}

#[tokio::test]
async fn an_allow_list_built_directly_is_normalised_like_allow() {
    // Built from a set with mixed case, the way `AllowList(HashSet)` used to
    // skip the lowercasing `allow()` does.
    let set: std::collections::HashSet<String> =
        ["ACME".to_owned(), "org_Globex".to_owned()].into();
    let policies = [
        OrganizationPolicy::allow(["ACME", "org_Globex"]),
        OrganizationPolicy::AllowList(set.into()),
        OrganizationPolicy::AllowList(OrganizationAllowList::new(["ACME", "org_Globex"])),
        OrganizationPolicy::AllowList(["ACME", "org_Globex"].into_iter().collect()),
    ];
    for policy in policies {
        let v = validator(clock())
            .organization(policy.clone())
            .build()
            .unwrap();
        for name in ["acme", "Acme", "ACME"] {
            v.validate(&token(with(at_claims(), json!({"org_name": name}))))
                .await
                .unwrap_or_else(|e| panic!("{policy:?} refused {name}: {e}"));
        }
        // IDs stay exact.
        v.validate(&token(with(at_claims(), json!({"org_id": "org_Globex"}))))
            .await
            .unwrap();
        for claims in [
            json!({"org_id": "org_globex"}),
            json!({"org_name": "globex"}),
            json!({"org_name": "other"}),
        ] {
            let e = err_of(&v, &token(with(at_claims(), claims.clone()))).await;
            assert!(
                matches!(e, Error::OrganizationNotAllowed { .. }),
                "{claims}: {e:?}"
            );
        }
    }
}

/// Once a header is known (parsed once, kept after a verified token), tokens
/// carrying the same header text still get every other check: signature,
/// expiry, audience. Without the cache, so every call parses.
#[tokio::test]
async fn a_known_header_skips_no_check() {
    let v = validator(clock()).no_cache().build().unwrap();
    let header = |t: &str| t.split('.').next().unwrap().to_owned();
    let first = token(at_claims());
    for _ in 0..3 {
        v.validate(&first).await.unwrap();
    }
    let mut claims = at_claims();
    claims["sub"] = json!("auth0|user2");
    let second = token(claims.clone());
    assert_eq!(header(&second), header(&first));
    assert_eq!(
        v.validate(&second).await.unwrap().sub(),
        Some("auth0|user2")
    );

    // Same header, the signature of another key with the same kid.
    let other = sign(&rsa2("k1"), json!({}), at_claims());
    assert_eq!(header(&other), header(&first));
    let e = err_of(&v, &other).await;
    assert!(matches!(e, Error::InvalidSignature(_)), "{e:?}");

    // Same header, expired.
    let mut expired = at_claims();
    expired["exp"] = json!(NOW - 3_600);
    let expired = token(expired);
    assert_eq!(header(&expired), header(&first));
    assert!(matches!(err_of(&v, &expired).await, Error::Expired { .. }));

    // Same header, another audience.
    claims["aud"] = json!("https://other.example/");
    let elsewhere = token(claims);
    assert!(matches!(
        err_of(&v, &elsewhere).await,
        Error::AudienceMismatch { .. }
    ));
    v.validate(&first).await.unwrap();
}

/// A subscriber that enables every span, so validations take their traced
/// path.
struct EnableAll(Arc<AtomicU64>);

impl tracing::Subscriber for EnableAll {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(self.0.fetch_add(1, Ordering::SeqCst) + 1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// `validate_as` answers the same on each of its paths: at once, after an
/// async organization check, after resolving a key the source did not hold,
/// from the cache, and traced.
#[tokio::test]
async fn validate_as_on_every_path() {
    #[derive(Debug, Deserialize, PartialEq)]
    struct Mine {
        sub: String,
        org_id: String,
        tier: u8,
    }
    let expected = Mine {
        sub: "auth0|user1".into(),
        org_id: "org_acme".into(),
        tier: 3,
    };
    let t = token(with(at_claims(), json!({"org_id": "org_acme", "tier": 3})));
    let other_org = token(with(at_claims(), json!({"org_id": "org_else", "tier": 3})));

    // At once (no cache: every call parses), then from the cache.
    for v in [
        validator(clock()).no_cache().build().unwrap(),
        validator(clock()).build().unwrap(),
    ] {
        for _ in 0..2 {
            assert_eq!(v.validate_as::<Mine>(&t).await.unwrap(), expected);
        }
    }

    // After an async organization check.
    let checked = validator(clock())
        .organization(OrganizationPolicy::check(|claims| async move {
            tokio::task::yield_now().await;
            claims.org_id() == Some("org_acme")
        }))
        .build()
        .unwrap();
    for _ in 0..2 {
        assert_eq!(checked.validate_as::<Mine>(&t).await.unwrap(), expected);
        assert!(checked.validate_as::<Mine>(&other_org).await.is_err());
    }

    // After resolving the key: the source holds none at hand.
    struct Resolving(KeySet);
    impl KeySource for Resolving {
        fn cached_key(&self, _: Option<&str>, _: Algorithm) -> Option<Arc<VerifyingKey>> {
            None
        }
        fn resolve_key<'a>(
            &'a self,
            kid: Option<&'a str>,
            alg: Algorithm,
        ) -> auth0_jwt::verifier::ResolveKeyFuture<'a> {
            let found = self
                .0
                .find(kid, alg)
                .map_err(|e| KeySourceError::from_key_set(kid, e));
            Box::pin(async move {
                tokio::task::yield_now().await;
                found
            })
        }
        fn version(&self) -> u64 {
            1
        }
        fn contains(&self, fp: &KeyFingerprint) -> bool {
            self.0.contains(fp)
        }
    }
    let resolving = AccessTokenValidator::builder()
        .key_source(Resolving(both_keys()))
        .issuer(ISSUER)
        .audience(API)
        .shared_clock(clock())
        .no_cache()
        .build()
        .unwrap();
    assert_eq!(resolving.validate_as::<Mine>(&t).await.unwrap(), expected);
    let e = resolving.validate_as::<Mine>(&token(json!({}))).await;
    assert!(e.is_err());

    // Traced.
    let spans = Arc::new(AtomicU64::new(0));
    // Pinned first (see `pin.rs`): else an untraced thread reaching the
    // span first would hide it from this one.
    pin::pin_interest();
    let _guard = tracing::subscriber::set_default(EnableAll(Arc::clone(&spans)));
    // Another thread, untraced, validating meanwhile: here it reaches the
    // span first.
    let other = t.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let v = validator(clock()).no_cache().build().unwrap();
        runtime.block_on(v.validate(&other)).unwrap();
    })
    .join()
    .unwrap();
    let v = validator(clock()).no_cache().build().unwrap();
    assert_eq!(v.validate_as::<Mine>(&t).await.unwrap(), expected);
    assert_eq!(v.validate(&t).await.unwrap().sub(), Some("auth0|user1"));
    assert!(matches!(
        v.validate_as::<Mine>(&other_org.replace('.', "")).await,
        Err(Error::Malformed(_))
    ));
    assert!(
        spans.load(Ordering::SeqCst) >= 3,
        "the traced path was taken"
    );
}
