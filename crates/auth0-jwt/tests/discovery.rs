//! OIDC discovery as the JWKS source, and several issuers each with its own
//! discovered JWKS cache: two `auth0-local` tenants on 127.0.0.1, real
//! access tokens from their `/oauth/token`.

#![cfg(feature = "remote")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;
use std::sync::Arc;

use auth0_jwt::access_token::{AccessTokenClaims, AccessTokenValidator};
use auth0_jwt::error::Error;
use auth0_jwt::issuers::Issuers;
use auth0_jwt::jwks::{DiscoveryError, JwksBuildError, JwksFetchError, RemoteJwks};
use auth0_jwt::layer::BearerAuthLayer;
use auth0_jwt::verifier::{KeySource, KeySourceError};
use auth0_local::LocalTenant;
use http::{Request, Response, StatusCode};
use serde_json::Value;
use tower::{Layer, ServiceExt, service_fn};

async fn tenant() -> LocalTenant {
    LocalTenant::builder().start().await.unwrap()
}

/// An access token for the tenant's test API (client credentials).
async fn access_token(tenant: &LocalTenant) -> String {
    let machine = &tenant.applications().machine;
    let response = tenant
        .client()
        .unwrap()
        .post_form::<Value>(
            "/oauth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", machine.client_id()),
                ("client_secret", machine.client_secret().unwrap()),
                ("audience", tenant.api_audience()),
            ],
        )
        .await
        .unwrap();
    response.data["access_token"].as_str().unwrap().to_owned()
}

fn discovered(tenant: &LocalTenant, issuer: &str) -> RemoteJwks {
    RemoteJwks::discover(tenant.client().unwrap(), issuer).unwrap()
}

#[tokio::test]
async fn discovery_finds_the_jwks_and_checks_the_issuer_exactly() {
    let tenant = tenant().await;
    let jwks = discovered(&tenant, tenant.issuer());
    assert!(jwks.url().ends_with("/.well-known/openid-configuration"));
    jwks.refresh().await.unwrap();
    assert!(jwks.keys().is_some_and(|k| !k.is_empty()));

    // The document says `https://127.0.0.1:PORT/`; configured without the
    // trailing slash, the issuers differ (OIDC Discovery §4.3): no keys.
    let no_slash = tenant.issuer().trim_end_matches('/');
    let jwks = discovered(&tenant, no_slash);
    let error = jwks.refresh().await.unwrap_err();
    match &error {
        JwksFetchError::Discovery(DiscoveryError::IssuerMismatch { expected, found }) => {
            assert_eq!(expected, no_slash);
            assert_eq!(found, tenant.issuer());
        }
        other => panic!("{other:?}"),
    }
    assert!(jwks.keys().is_none());

    // A validator behind it refuses with a fetch error (503 at the layer).
    let validator = AccessTokenValidator::builder()
        .key_source(jwks)
        .issuer(tenant.issuer())
        .audience(tenant.api_audience())
        .build()
        .unwrap();
    let e = validator
        .validate(&access_token(&tenant).await)
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::KeySource(KeySourceError::Fetch { .. })),
        "{e:?}"
    );
}

#[tokio::test]
async fn issuers_must_be_https_except_on_loopback() {
    let tenant = tenant().await;
    let client = || tenant.client().unwrap();
    assert!(matches!(
        RemoteJwks::discover(client(), "http://login.example.com/"),
        Err(JwksBuildError::InsecureUrl { .. })
    ));
    assert!(matches!(
        RemoteJwks::discover(client(), "login.example.com"),
        Err(JwksBuildError::InvalidUrl { .. })
    ));
    assert!(matches!(
        RemoteJwks::discover(client(), "https://login.example.com/?x=1"),
        Err(JwksBuildError::InvalidUrl { .. })
    ));
    assert!(RemoteJwks::discover(client(), "http://127.0.0.1:1/").is_ok());
    assert!(RemoteJwks::discover(client(), "https://login.example.com/").is_ok());
}

#[tokio::test]
async fn a_plain_http_tenant_is_discovered_too() {
    let tenant = LocalTenant::builder().plain_http().start().await.unwrap();
    let validator = AccessTokenValidator::builder()
        .key_source(discovered(&tenant, tenant.issuer()))
        .issuer(tenant.issuer())
        .audience(tenant.api_audience())
        .build()
        .unwrap();
    validator
        .validate(&access_token(&tenant).await)
        .await
        .unwrap();
}

#[tokio::test]
async fn two_issuers_each_with_its_own_discovered_jwks() {
    let a = tenant().await;
    let b = tenant().await;
    let other = tenant().await;
    let jwks_a = Arc::new(discovered(&a, a.issuer()));
    let jwks_b = Arc::new(discovered(&b, b.issuer()));
    let issuers = Issuers::new()
        .shared_issuer(a.issuer(), Arc::clone(&jwks_a) as Arc<dyn KeySource>)
        .shared_issuer(b.issuer(), Arc::clone(&jwks_b) as Arc<dyn KeySource>);
    let validator = Arc::new(
        AccessTokenValidator::builder()
            .issuers(issuers)
            .audiences([a.api_audience(), b.api_audience()])
            .build()
            .unwrap(),
    );
    let token_a = access_token(&a).await;
    let token_b = access_token(&b).await;
    assert_eq!(
        validator.validate(&token_a).await.unwrap().iss(),
        Some(a.issuer())
    );
    assert_eq!(
        validator.validate(&token_b).await.unwrap().iss(),
        Some(b.issuer())
    );
    // Each issuer's keys came from its own tenant only.
    let ka = jwks_a.keys().unwrap();
    let kb = jwks_b.keys().unwrap();
    assert!(ka.iter().all(|k| !kb.contains(&k.fingerprint())));

    // Both are cached, each under its own issuer.
    assert!(validator.validate_cached(&token_a).unwrap().is_ok());
    assert!(validator.validate_cached(&token_b).unwrap().is_ok());
    assert_eq!(validator.cache().unwrap().len(), 2);

    // A third tenant is not trusted: refused before any key lookup (its
    // JWKS is never fetched; nothing but the configured issuers is).
    let foreign = access_token(&other).await;
    let e = validator.validate(&foreign).await.unwrap_err();
    assert!(matches!(e, Error::IssuerMismatch { .. }), "{e:?}");
}

#[tokio::test]
async fn the_layer_serves_both_issuers() {
    let a = tenant().await;
    let b = tenant().await;
    let issuers = Issuers::new()
        .issuer(a.issuer(), discovered(&a, a.issuer()))
        .issuer(b.issuer(), discovered(&b, b.issuer()));
    let validator = AccessTokenValidator::builder()
        .issuers(issuers)
        .audiences([a.api_audience(), b.api_audience()])
        .build()
        .unwrap();
    let handler = service_fn(|request: Request<()>| async move {
        let iss = request
            .extensions()
            .get::<Arc<AccessTokenClaims>>()
            .and_then(|c| c.iss().map(str::to_owned))
            .unwrap_or_default();
        Ok::<_, Infallible>(Response::new(iss))
    });
    let service = BearerAuthLayer::new(validator).layer(handler);
    for tenant in [&a, &b, &a] {
        let token = access_token(tenant).await;
        let request = Request::get("/orders")
            .header("authorization", format!("Bearer {token}"))
            .body(())
            .unwrap();
        let response = service.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.body(), tenant.issuer());
    }
}

#[tokio::test]
async fn issuers_discover_builds_one_cache_per_issuer() {
    // Plain-http tenants: one client reaches both (each HTTPS tenant has its
    // own CA, hence its own client above).
    let a = LocalTenant::builder().plain_http().start().await.unwrap();
    let b = LocalTenant::builder().plain_http().start().await.unwrap();
    let issuers = Issuers::discover(&a.client().unwrap(), [a.issuer(), b.issuer()]).unwrap();
    assert_eq!(
        issuers.fixed().collect::<Vec<_>>(),
        [a.issuer(), b.issuer()]
    );
    let validator = AccessTokenValidator::builder()
        .issuers(issuers)
        .audiences([a.api_audience(), b.api_audience()])
        .build()
        .unwrap();
    validator.validate(&access_token(&a).await).await.unwrap();
    validator.validate(&access_token(&b).await).await.unwrap();
    assert!(matches!(
        Issuers::discover(&a.client().unwrap(), ["http://login.example.com/"]),
        Err(JwksBuildError::InsecureUrl { .. })
    ));
}

// ------------------------------------------------ discovery edge cases

/// A tenant whose discovery document is answered by `fault` (every time).
async fn scripted_discovery(fault: auth0_local::Fault) -> LocalTenant {
    let tenant = tenant().await;
    tenant.inject(
        fault
            .on_path(auth0_jwt::jwks::WELL_KNOWN_OPENID_CONFIGURATION)
            .forever(),
    );
    tenant
}

/// The discovery error of a first fetch through `RemoteJwks::discover`.
async fn discovery_error(tenant: &LocalTenant) -> DiscoveryError {
    let jwks = discovered(tenant, tenant.issuer());
    match jwks.refresh().await.unwrap_err() {
        JwksFetchError::Discovery(error) => {
            assert!(jwks.keys().is_none(), "no keys trusted");
            error
        }
        other => panic!("{other:?}"),
    }
}

fn document(issuer: &str, jwks_uri: Option<&str>) -> Value {
    let mut doc =
        serde_json::json!({ "issuer": issuer, "id_token_signing_alg_values_supported": ["RS256"] });
    if let Some(uri) = jwks_uri {
        doc["jwks_uri"] = Value::from(uri);
    }
    doc
}

#[tokio::test]
async fn a_document_for_another_issuer_is_refused() {
    let fault = auth0_local::Fault::reply(
        200,
        document(
            "https://evil.example.com/",
            Some("https://evil.example.com/.well-known/jwks.json"),
        ),
    );
    let tenant = scripted_discovery(fault).await;
    match discovery_error(&tenant).await {
        DiscoveryError::IssuerMismatch { expected, found } => {
            assert_eq!(expected, tenant.issuer());
            assert_eq!(found, "https://evil.example.com/");
        }
        other => panic!("{other:?}"),
    }
    // Nothing was fetched from the URL the document named (it is not even
    // reachable): only the discovery document was asked for.
    assert!(tenant.requests_to("/.well-known/jwks.json").is_empty());

    // No `issuer` at all is a mismatch too.
    let tenant = scripted_discovery(auth0_local::Fault::reply(
        200,
        serde_json::json!({ "jwks_uri": "https://127.0.0.1:1/jwks" }),
    ))
    .await;
    assert!(matches!(
        discovery_error(&tenant).await,
        DiscoveryError::IssuerMismatch { found, .. } if found.is_empty()
    ));
}

#[tokio::test]
async fn a_document_without_jwks_uri_is_refused() {
    let tenant = tenant().await;
    tenant.inject(
        auth0_local::Fault::reply(200, document(tenant.issuer(), None))
            .on_path(auth0_jwt::jwks::WELL_KNOWN_OPENID_CONFIGURATION)
            .forever(),
    );
    assert_eq!(
        discovery_error(&tenant).await,
        DiscoveryError::MissingJwksUri
    );
    // A jwks_uri that is not a string counts as missing.
    let tenant2 = crate::tenant().await;
    let mut doc = document(tenant2.issuer(), None);
    doc["jwks_uri"] = serde_json::json!(["https://a/"]);
    tenant2.inject(
        auth0_local::Fault::reply(200, doc)
            .on_path(auth0_jwt::jwks::WELL_KNOWN_OPENID_CONFIGURATION)
            .forever(),
    );
    assert_eq!(
        discovery_error(&tenant2).await,
        DiscoveryError::MissingJwksUri
    );
}

#[tokio::test]
async fn non_json_documents_are_refused() {
    for body in ["<html>login</html>", "[1,2]", "{\"issuer\":", ""] {
        let tenant = scripted_discovery(
            auth0_local::Fault::reply_raw(200, body).with_header("content-type", "text/html"),
        )
        .await;
        assert_eq!(
            discovery_error(&tenant).await,
            DiscoveryError::Malformed,
            "{body:?}"
        );
    }
}

#[tokio::test]
async fn an_oversized_document_is_refused_without_reading_it_all() {
    // 8 MiB, streamed: the JWKS body limit (1 MiB) applies to discovery too.
    let tenant = scripted_discovery(auth0_local::Fault::stream(200, 8 * 1024 * 1024)).await;
    let jwks = discovered(&tenant, tenant.issuer());
    match jwks.refresh().await.unwrap_err() {
        JwksFetchError::BodyTooLarge { limit, .. } => assert!(limit <= 1024 * 1024, "{limit}"),
        other => panic!("{other:?}"),
    }
    assert!(jwks.keys().is_none());
    assert!(tenant.bytes_streamed() < 8 * 1024 * 1024);
}

#[tokio::test]
async fn an_http_jwks_uri_under_an_https_issuer_is_refused() {
    let tenant = tenant().await;
    assert!(tenant.issuer().starts_with("https://"));
    // Even to a loopback host (accepted for a plain-http issuer): no
    // downgrade from the issuer's https.
    let http_jwks = tenant
        .issuer()
        .replacen("https://", "http://", 1)
        .to_owned()
        + ".well-known/jwks.json";
    tenant.inject(
        auth0_local::Fault::reply(200, document(tenant.issuer(), Some(&http_jwks)))
            .on_path(auth0_jwt::jwks::WELL_KNOWN_OPENID_CONFIGURATION)
            .forever(),
    );
    assert!(matches!(
        discovery_error(&tenant).await,
        DiscoveryError::InvalidJwksUri(JwksBuildError::InsecureUrl { .. })
    ));
    // And a jwks_uri that is no URL at all.
    let tenant = crate::tenant().await;
    tenant.inject(
        auth0_local::Fault::reply(200, document(tenant.issuer(), Some("/jwks.json")))
            .on_path(auth0_jwt::jwks::WELL_KNOWN_OPENID_CONFIGURATION)
            .forever(),
    );
    assert!(matches!(
        discovery_error(&tenant).await,
        DiscoveryError::InvalidJwksUri(JwksBuildError::InvalidUrl { .. })
    ));
}

#[tokio::test]
async fn redirects_are_not_followed() {
    // A redirect to another document (here: the tenant's own, which would
    // pass every check) is not followed: the configured URL must answer.
    let tenant = tenant().await;
    let elsewhere = format!("{}.well-known/openid-configuration-copy", tenant.issuer());
    for status in [301u16, 302, 307, 308] {
        tenant.clear_faults();
        tenant.inject(
            auth0_local::Fault::reply_raw(status, "")
                .with_header("location", elsewhere.clone())
                .on_path(auth0_jwt::jwks::WELL_KNOWN_OPENID_CONFIGURATION)
                .forever(),
        );
        match discovery_error(&tenant).await {
            DiscoveryError::Status { status: got } => assert_eq!(got.as_u16(), status),
            other => panic!("{status}: {other:?}"),
        }
    }
    assert!(
        tenant
            .requests_to("/.well-known/openid-configuration-copy")
            .is_empty()
    );
}

#[tokio::test]
async fn issuers_discover_reports_each_issuers_error() {
    // Plain http on loopback, so one client reaches both tenants.
    let plain = || LocalTenant::builder().plain_http().start();
    let good = plain().await.unwrap();
    let bad = plain().await.unwrap();
    bad.inject(
        auth0_local::Fault::reply(
            200,
            document(
                "https://other.example.com/",
                Some("https://other.example.com/jwks"),
            ),
        )
        .on_path(auth0_jwt::jwks::WELL_KNOWN_OPENID_CONFIGURATION)
        .forever(),
    );
    let issuers = Issuers::discover(
        &good.client().unwrap(),
        [good.issuer().to_owned(), bad.issuer().to_owned()],
    )
    .unwrap();
    let validator = AccessTokenValidator::builder()
        .issuers(issuers)
        .audience(good.api_audience())
        .build()
        .unwrap();
    // The good issuer's tokens pass.
    validator
        .validate(&access_token(&good).await)
        .await
        .unwrap();
    // The bad one's are refused with a fetch error: its document names
    // another issuer, so none of its keys are trusted (its JWKS is never
    // asked for).
    let e = validator
        .validate(&access_token(&bad).await)
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::KeySource(KeySourceError::Fetch { .. })),
        "{e:?}"
    );
    assert!(bad.requests_to("/.well-known/jwks.json").is_empty());
}
