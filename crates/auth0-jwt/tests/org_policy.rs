//! Organization policy: allowed / required / denied / allow-list (id exact,
//! name case-insensitive) on access tokens and ID tokens, and a per-request
//! policy in both tower layers (an organization per `Host` sub-domain).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use auth0_jwt::access_token::{AccessTokenClaims, AccessTokenValidator};
use auth0_jwt::alg::Algorithm;
use auth0_jwt::dpop::{DpopAccessTokenValidator, DpopAuthLayer, DpopMode, DpopValidator};
use auth0_jwt::error::Error;
use auth0_jwt::id_token::{TokenVerifier, VerifyOptions};
use auth0_jwt::layer::{BearerAuthLayer, RequestHead};
use auth0_jwt::organization::OrganizationPolicy;
use auth0_jwt::sign::SigningKey;
use auth0_jwt::verifier::{AsymmetricSignatureVerifier, StaticKeys};
use auth0_jwt::{Clock, SystemClock};
use http::{Request, Response, StatusCode};
use serde_json::{Value, json};
use tower::{Layer, ServiceExt, service_fn};

const ISS: &str = "https://tenant.auth0.com/";
const API: &str = "https://api.example.com";

fn signing_key() -> SigningKey {
    SigningKey::generate_es256().unwrap()
}

fn at(extra: Value) -> Value {
    let now = SystemClock.now();
    let mut claims =
        json!({"iss": ISS, "sub": "auth0|1", "aud": API, "iat": now, "exp": now + 600});
    if let (Some(c), Some(e)) = (claims.as_object_mut(), extra.as_object()) {
        c.extend(e.clone());
    }
    claims
}

fn sign(key: &SigningKey, claims: &Value) -> String {
    key.sign_token(&Default::default(), claims).unwrap()
}

fn validator(key: &SigningKey, policy: OrganizationPolicy) -> AccessTokenValidator {
    AccessTokenValidator::builder()
        .key_source(StaticKeys::from_key(key.verifying_key().unwrap()))
        .issuer(ISS)
        .audience(API)
        .algorithms([Algorithm::ES256])
        .organization(policy)
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_four_policies_on_access_tokens() {
    let key = signing_key();
    let personal = sign(&key, &at(json!({})));
    let acme = sign(&key, &at(json!({"org_id": "org_acme", "org_name": "acme"})));
    let name_only = sign(&key, &at(json!({"org_name": "acme"})));

    // Allowed (the default): with or without an organization.
    let v = validator(&key, OrganizationPolicy::default());
    v.validate(&personal).await.unwrap();
    v.validate(&acme).await.unwrap();

    let v = validator(&key, OrganizationPolicy::Required);
    v.validate(&acme).await.unwrap();
    let e = v.validate(&personal).await.unwrap_err();
    assert!(matches!(e, Error::OrganizationIdInvalid { .. }), "{e:?}");

    // Denied: neither org_id nor org_name may be present.
    let v = validator(&key, OrganizationPolicy::Denied);
    v.validate(&personal).await.unwrap();
    for token in [&acme, &name_only] {
        let e = v.validate(token).await.unwrap_err();
        assert!(matches!(e, Error::OrganizationNotAllowed { .. }), "{e:?}");
        // Cache hits follow the same policy.
        assert!(v.validate(token).await.is_err());
    }

    // Allow-list: ids exactly, names case-insensitively.
    let v = validator(&key, OrganizationPolicy::allow(["org_acme"]));
    v.validate(&acme).await.unwrap();
    assert!(
        v.validate(&sign(&key, &at(json!({"org_id": "org_ACME"}))))
            .await
            .is_err()
    );
    assert!(v.validate(&personal).await.is_err());
    let v = validator(&key, OrganizationPolicy::allow(["ACME"]));
    v.validate(&name_only).await.unwrap();
    v.validate(&sign(&key, &at(json!({"org_name": "AcMe"}))))
        .await
        .unwrap();
    // A name that looks like an id never matches a name entry.
    assert!(
        v.validate(&sign(&key, &at(json!({"org_name": "org_x"}))))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn the_same_policies_on_id_tokens() {
    let key = signing_key();
    let now = SystemClock.now();
    let id = |extra: Value| {
        let mut c =
            json!({"iss": ISS, "sub": "auth0|1", "aud": "client", "iat": now, "exp": now + 600});
        if let (Some(c), Some(e)) = (c.as_object_mut(), extra.as_object()) {
            c.extend(e.clone());
        }
        sign(&key, &c)
    };
    let verifier = |policy| {
        TokenVerifier::builder()
            .signature_verifier(
                AsymmetricSignatureVerifier::new(StaticKeys::from_key(
                    key.verifying_key().unwrap(),
                ))
                .with_algorithm(Algorithm::ES256)
                .unwrap(),
            )
            .issuer(ISS)
            .audience("client")
            .organization(policy)
            .build()
            .unwrap()
    };
    let options = VerifyOptions::new();
    let acme = id(json!({"org_id": "org_acme", "org_name": "acme"}));
    let personal = id(json!({}));

    verifier(OrganizationPolicy::Denied)
        .verify(&personal, &options)
        .await
        .unwrap();
    let e = verifier(OrganizationPolicy::Denied)
        .verify(&acme, &options)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::OrganizationNotAllowed { .. }), "{e:?}");
    let e = verifier(OrganizationPolicy::Required)
        .verify(&personal, &options)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::OrganizationIdInvalid { .. }), "{e:?}");
    verifier(OrganizationPolicy::allow(["Acme"]))
        .verify(&acme, &options)
        .await
        .unwrap();
    assert!(
        verifier(OrganizationPolicy::allow(["org_other"]))
            .verify(&acme, &options)
            .await
            .is_err()
    );
    let check =
        OrganizationPolicy::check(|claims| async move { claims.org_id() == Some("org_acme") });
    verifier(check.clone())
        .verify(&acme, &options)
        .await
        .unwrap();
    assert!(verifier(check).verify(&personal, &options).await.is_err());
}

/// acme.api.example.com: org_acme only; globex.…: by name; www.…: personal
/// accounts only; anything else: denied.
fn per_host(head: &RequestHead<'_>) -> OrganizationPolicy {
    let hosts: HashMap<&str, OrganizationPolicy> = [
        ("acme", OrganizationPolicy::allow(["org_acme"])),
        ("globex", OrganizationPolicy::allow(["Globex"])),
        (
            "slow",
            OrganizationPolicy::check(|claims| async move {
                tokio::task::yield_now().await;
                claims.org_id() == Some("org_slow")
            }),
        ),
    ]
    .into();
    let sub = head.host().and_then(|h| h.strip_suffix(".api.example.com"));
    match sub {
        Some("www") => OrganizationPolicy::Denied,
        Some(sub) => hosts
            .get(sub)
            .cloned()
            .unwrap_or(OrganizationPolicy::Denied),
        None => OrganizationPolicy::Denied,
    }
}

fn handler()
-> impl tower::Service<Request<()>, Response = Response<String>, Error = Infallible, Future = impl Send>
+ Clone
+ Send {
    service_fn(|request: Request<()>| async move {
        let org = request
            .extensions()
            .get::<Arc<AccessTokenClaims>>()
            .and_then(|c| c.org_id().map(str::to_owned))
            .unwrap_or_default();
        Ok::<_, Infallible>(Response::new(org))
    })
}

async fn get<S>(service: &S, host: &str, authorization: &str) -> Response<String>
where
    S: tower::Service<Request<()>, Response = Response<String>, Error = Infallible> + Clone,
{
    let request = Request::get("/orders")
        .header("host", host)
        .header("authorization", authorization)
        .body(())
        .unwrap();
    service.clone().oneshot(request).await.unwrap()
}

#[tokio::test]
async fn the_bearer_layer_applies_the_hosts_policy() {
    let key = signing_key();
    let service = BearerAuthLayer::new(validator(&key, OrganizationPolicy::default()))
        .organization_resolver(per_host)
        .layer(handler());
    let acme = format!("Bearer {}", sign(&key, &at(json!({"org_id": "org_acme"}))));
    let globex = format!(
        "Bearer {}",
        sign(&key, &at(json!({"org_id": "org_g", "org_name": "globex"})))
    );
    let slow = format!("Bearer {}", sign(&key, &at(json!({"org_id": "org_slow"}))));
    let personal = format!("Bearer {}", sign(&key, &at(json!({}))));

    // Twice each: the second time is a cache hit, answered inline.
    for _ in 0..2 {
        let r = get(&service, "acme.api.example.com", &acme).await;
        assert_eq!(
            (r.status(), r.body().as_str()),
            (StatusCode::OK, "org_acme")
        );
        let r = get(&service, "globex.api.example.com:443", &globex).await;
        assert_eq!(r.status(), StatusCode::OK);
        let r = get(&service, "slow.api.example.com", &slow).await;
        assert_eq!(r.status(), StatusCode::OK);
        let r = get(&service, "www.api.example.com", &personal).await;
        assert_eq!(r.status(), StatusCode::OK);

        // Acme's member on Globex's host, an org member on the personal
        // host, anyone on an unknown host: 401 invalid_token.
        for (host, auth) in [
            ("globex.api.example.com", &acme),
            ("www.api.example.com", &acme),
            ("acme.api.example.com", &personal),
            ("slow.api.example.com", &acme),
            ("evil.example.com", &acme),
        ] {
            let r = get(&service, host, auth).await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{host}");
            let challenge = r.headers()["www-authenticate"].to_str().unwrap();
            assert_eq!(
                challenge,
                "Bearer error=\"invalid_token\", error_description=\"The access token is not valid for this resource\""
            );
        }
    }
}

#[tokio::test]
async fn the_dpop_layer_applies_the_hosts_policy() {
    let key = signing_key();
    let dpop = DpopAccessTokenValidator::new(
        validator(&key, OrganizationPolicy::default()),
        DpopValidator::builder().build().unwrap(),
        DpopMode::Allowed,
    );
    let service = DpopAuthLayer::new(dpop)
        .organization_resolver(per_host)
        .layer(handler());
    let acme = format!("Bearer {}", sign(&key, &at(json!({"org_id": "org_acme"}))));
    for _ in 0..2 {
        let r = get(&service, "acme.api.example.com", &acme).await;
        assert_eq!(r.status(), StatusCode::OK);
        let r = get(&service, "globex.api.example.com", &acme).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
}

#[test]
fn request_head_host() {
    let request = Request::get("https://API.example.com:8443/x")
        .body(())
        .unwrap();
    assert_eq!(RequestHead::of(&request).host(), Some("API.example.com"));
    let request = Request::get("/x")
        .header("host", "[::1]:80")
        .body(())
        .unwrap();
    assert_eq!(RequestHead::of(&request).host(), Some("[::1]"));
    let request = Request::get("/x").body(()).unwrap();
    assert_eq!(RequestHead::of(&request).host(), None);
}
