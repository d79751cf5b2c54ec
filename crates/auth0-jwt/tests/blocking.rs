//! Token validation with a remote JWKS from synchronous code (feature
//! `blocking`): plain `#[test]`s, the local tenant on its own thread.

#![cfg(feature = "blocking")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use auth0_core::blocking::{BlockingError, Runtime};
use auth0_jwt::blocking::{AccessTokenValidator, RemoteJwks};
use auth0_jwt::error::Error;
use auth0_local::{LocalTenant, ThreadedTenant};
use serde_json::Value;

fn tenant() -> ThreadedTenant {
    LocalTenant::builder().start_threaded().unwrap()
}

/// An access token for the tenant's test API (client credentials).
fn access_token(tenant: &LocalTenant, runtime: &Runtime) -> String {
    let machine = &tenant.applications().machine;
    let client = tenant.client().unwrap();
    let response = runtime
        .block_on(client.post_form::<Value>(
            "/oauth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", machine.client_id()),
                ("client_secret", machine.client_secret().unwrap()),
                ("audience", tenant.api_audience()),
            ],
        ))
        .unwrap()
        .unwrap();
    response.data["access_token"].as_str().unwrap().to_owned()
}

fn validator(tenant: &LocalTenant, jwks: &RemoteJwks, runtime: &Runtime) -> AccessTokenValidator {
    AccessTokenValidator::new(
        auth0_jwt::AccessTokenValidator::builder()
            .key_source(jwks.as_async().clone())
            .issuer(tenant.issuer())
            .audience(tenant.api_audience())
            .build()
            .unwrap(),
        runtime,
    )
}

#[test]
fn validates_with_keys_fetched_on_demand_and_after_a_refresh() {
    let tenant = tenant();
    let runtime = Runtime::new().unwrap();
    let token = access_token(&tenant, &runtime);

    // No refresh first: the first validation fetches the JWKS.
    let jwks = RemoteJwks::new(tenant.client().unwrap(), &runtime).unwrap();
    assert!(jwks.keys().is_none());
    let validator = validator(&tenant, &jwks, &runtime);
    let claims = validator.validate(&token).unwrap();
    assert_eq!(
        claims.sub(),
        Some(format!("{}@clients", tenant.applications().machine.client_id()).as_str())
    );
    // `validate_as`: from the cache here, and on a miss (a fresh validator,
    // keys at hand) through the one-read path; the same claims either way.
    let as_value: Value = validator.validate_as(&token).unwrap();
    let uncached = AccessTokenValidator::new(
        auth0_jwt::AccessTokenValidator::builder()
            .key_source(jwks.as_async().clone())
            .issuer(tenant.issuer())
            .audience(tenant.api_audience())
            .no_cache()
            .build()
            .unwrap(),
        &runtime,
    );
    assert_eq!(uncached.validate_as::<Value>(&token).unwrap(), as_value);
    assert_eq!(as_value["sub"].as_str(), claims.sub());
    assert!(jwks.keys().is_some_and(|k| !k.is_empty()));
    assert_eq!(tenant.requests_to("/.well-known/jwks.json").len(), 1);

    // The second time from the verified-token cache, from another thread.
    let again = validator.clone();
    let token2 = token.clone();
    std::thread::spawn(move || again.validate(&token2).unwrap())
        .join()
        .unwrap();

    // A rotated key: an explicit refresh picks it up.
    tenant.rotate_signing_key().unwrap();
    jwks.refresh().unwrap();
    assert_eq!(tenant.requests_to("/.well-known/jwks.json").len(), 2);
    let fresh = access_token(&tenant, &runtime);
    validator.validate(&fresh).unwrap();

    // A tampered token is refused with the usual typed error.
    // A character in the middle of the signature, so the signature stays
    // canonical base64url (the last character carries padding bits that a
    // strict decoder refuses as malformed rather than as a bad signature).
    let at = fresh.len() - 20;
    let was = fresh.as_bytes()[at];
    let mut bad = fresh.clone();
    bad.replace_range(at..=at, if was == b'A' { "B" } else { "A" });
    assert!(matches!(
        validator.validate(&bad).unwrap_err(),
        Error::InvalidSignature(_)
    ));
}

#[test]
fn inside_an_async_runtime_a_fetch_is_a_typed_error() {
    let tenant = tenant();
    let runtime = Runtime::new().unwrap();
    let token = access_token(&tenant, &runtime);
    let jwks = RemoteJwks::new(tenant.client().unwrap(), &runtime).unwrap();
    let validator = validator(&tenant, &jwks, &runtime);
    let outer = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (refresh, validate) = outer.block_on(async {
        (
            jwks.refresh().unwrap_err(),
            validator.validate(&token).unwrap_err(),
        )
    });
    assert!(matches!(
        refresh,
        auth0_jwt::blocking::RefreshError::Blocking(BlockingError::InsideAsyncRuntime)
    ));
    assert!(matches!(
        validate,
        Error::Blocking(BlockingError::InsideAsyncRuntime)
    ));
    assert!(tenant.requests_to("/.well-known/jwks.json").is_empty());
}
