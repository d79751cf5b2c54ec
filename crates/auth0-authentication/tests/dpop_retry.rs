//! DPoP proofs across the retry layer's attempts, against
//! `auth0_local::LocalTenant`: every attempt of a token request (after a
//! 429, a 5xx) carries its own proof — new `jti`, fresh `iat`, the newest
//! server nonce — since a server refuses a `jti` it has seen (RFC 9449
//! §11.1); with `private_key_jwt` the client assertion is new per attempt
//! too (RFC 7523 §3); and the tenant refuses a replayed proof.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use auth0_authentication::{AuthenticationClient, DpopKey};
use auth0_core::retry::RetryPolicy;
use auth0_jwt::jws::{Jws, ParseOptions};
use auth0_local::{Fault, LocalTenant, RecordedRequest};
use serde_json::{Map, Value, json};

async fn tenant() -> LocalTenant {
    LocalTenant::builder().start().await.unwrap()
}

/// An HTTP client for the tenant with the default retry rules (no budget,
/// so tests do not depend on each other's traffic).
fn core(tenant: &LocalTenant) -> auth0_core::Auth0Client {
    let policy = RetryPolicy::builder()
        .without_budget()
        .base_delay(Duration::from_millis(1))
        .build()
        .unwrap();
    let config = tenant.client_config().retry_policy(policy).build().unwrap();
    auth0_core::Auth0Client::new(config).unwrap()
}

/// The web application with its client secret and a DPoP key.
fn secret_client(tenant: &LocalTenant) -> AuthenticationClient {
    let web = &tenant.applications().web;
    AuthenticationClient::builder(core(tenant), web.client_id())
        .client_secret(web.client_secret().unwrap())
        .dpop(DpopKey::generate().unwrap())
        .build()
        .unwrap()
}

/// The machine application with `private_key_jwt` and a DPoP key.
fn jwt_client(tenant: &LocalTenant) -> AuthenticationClient {
    let app = &tenant.applications().machine_jwt;
    let key =
        auth0_jwt::SigningKey::rsa_pem(app.private_key_pem().unwrap(), auth0_jwt::Algorithm::RS256)
            .unwrap();
    AuthenticationClient::builder(core(tenant), app.client_id())
        .private_key_jwt(key)
        .dpop(DpopKey::generate().unwrap())
        .build()
        .unwrap()
}

/// A 429 that asks to retry at once, for `/oauth/token`.
fn rate_limited() -> Fault {
    Fault::reply(429, json!({ "error": "too_many_requests" }))
        .with_header("retry-after", "0")
        .on_path("/oauth/token")
}

fn claims(jwt: &str) -> Map<String, Value> {
    Jws::parse(jwt, &ParseOptions::default())
        .unwrap()
        .claims()
        .clone()
}

/// The claims of the `DPoP` proof of each request to `/oauth/token`.
fn token_proofs(tenant: &LocalTenant) -> Vec<Map<String, Value>> {
    token_requests(tenant)
        .iter()
        .map(|r| claims(r.header("dpop").expect("a DPoP proof on every attempt")))
        .collect()
}

fn token_requests(tenant: &LocalTenant) -> Vec<RecordedRequest> {
    tenant.requests_to("/oauth/token")
}

fn jtis(proofs: &[Map<String, Value>]) -> Vec<String> {
    proofs
        .iter()
        .map(|c| c["jti"].as_str().unwrap().to_owned())
        .collect()
}

fn all_distinct(values: &[String]) -> bool {
    let set: std::collections::BTreeSet<&String> = values.iter().collect();
    set.len() == values.len()
}

/// Sends `request` (a token request as recorded) to the tenant again, as
/// is, without retries.
async fn replay(tenant: &LocalTenant, request: &RecordedRequest) -> http::Response<bytes::Bytes> {
    let mut again = http::Request::post("/oauth/token")
        .body(request.body.clone())
        .unwrap();
    for name in ["content-type", "dpop", "authorization"] {
        if let Some(value) = request.headers.get(name) {
            again.headers_mut().insert(name, value.clone());
        }
    }
    let config = tenant
        .client_config()
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    auth0_core::Auth0Client::new(config)
        .unwrap()
        .send(again)
        .await
        .unwrap()
}

fn error_code(response: &http::Response<bytes::Bytes>) -> String {
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    body["error"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_429_then_success_sends_two_different_proofs() {
    let tenant = tenant().await;
    tenant.inject(rate_limited());
    let auth = secret_client(&tenant);
    let token = auth
        .client_credentials(tenant.api_audience(), None)
        .await
        .unwrap();
    assert!(token.is_dpop());

    let proofs = token_proofs(&tenant);
    assert_eq!(proofs.len(), 2, "one 429, one success");
    assert!(all_distinct(&jtis(&proofs)), "{proofs:?}");
    for proof in &proofs {
        assert_eq!(proof["htm"], "POST");
        assert_eq!(proof["htu"], format!("{}oauth/token", tenant.issuer()));
        assert!(proof["iat"].as_i64().unwrap() > 0);
    }
    assert!(proofs[1]["iat"].as_i64() >= proofs[0]["iat"].as_i64());

    // The tenant refuses the accepted proof sent again (RFC 9449 §11.1).
    let requests = token_requests(&tenant);
    let again = replay(&tenant, &requests[1]).await;
    assert_eq!(again.status(), 400);
    assert_eq!(error_code(&again), "invalid_dpop_proof");
    // The same request with a new proof goes through: only the jti was
    // refused.
    let mut fresh = requests[1].clone();
    let proof = auth
        .dpop_proof(
            &http::Method::POST,
            &format!("{}oauth/token", tenant.issuer()),
            None,
        )
        .unwrap();
    fresh.headers.insert("dpop", proof.parse().unwrap());
    assert_eq!(replay(&tenant, &fresh).await.status(), 200);
}

#[tokio::test]
async fn the_retry_signs_with_the_nonce_the_429_sent() {
    let tenant = tenant().await;
    tenant.require_dpop_nonce(true);
    let nonce = tenant.dpop_nonce().unwrap();
    tenant.inject(rate_limited().with_header("dpop-nonce", nonce.clone()));
    let auth = secret_client(&tenant);
    let token = auth
        .client_credentials(tenant.api_audience(), None)
        .await
        .unwrap();
    assert!(token.is_dpop());

    // No use_dpop_nonce round trip: the retry already had the nonce.
    let proofs = token_proofs(&tenant);
    assert_eq!(proofs.len(), 2, "{proofs:?}");
    assert!(proofs[0].get("nonce").is_none());
    assert_eq!(proofs[1]["nonce"], nonce.as_str());
    assert!(all_distinct(&jtis(&proofs)));
}

#[tokio::test]
async fn nonce_retry_composes_with_a_429_retry() {
    let tenant = tenant().await;
    tenant.require_dpop_nonce(true);
    tenant.inject(rate_limited());
    let auth = secret_client(&tenant);
    let token = auth
        .client_credentials(tenant.api_audience(), None)
        .await
        .unwrap();
    assert!(token.is_dpop());

    // 429 (retry layer: new proof, still no nonce) → 400 use_dpop_nonce
    // (the DPoP rule: new proof with the nonce) → 200.
    let proofs = token_proofs(&tenant);
    assert_eq!(proofs.len(), 3, "{proofs:?}");
    assert!(all_distinct(&jtis(&proofs)));
    assert!(proofs[1].get("nonce").is_none());
    assert!(proofs[2]["nonce"].as_str().is_some_and(|n| !n.is_empty()));

    // A later request uses the remembered nonce at once, even after a 429.
    tenant.inject(rate_limited());
    auth.client_credentials(tenant.api_audience(), None)
        .await
        .unwrap();
    let proofs = token_proofs(&tenant);
    assert_eq!(proofs.len(), 5, "{proofs:?}");
    assert!(proofs[3]["nonce"].is_string() && proofs[4]["nonce"].is_string());
    assert!(all_distinct(&jtis(&proofs)));
}

#[tokio::test]
async fn private_key_jwt_and_dpop_are_both_fresh_per_attempt() {
    let tenant = tenant().await;
    // A 5xx (client credentials may be resent) and a 429.
    tenant.inject(Fault::status(503).on_path("/oauth/token"));
    tenant.inject(rate_limited());
    let auth = jwt_client(&tenant);
    let token = auth
        .client_credentials(tenant.api_audience(), None)
        .await
        .unwrap();
    assert!(token.is_dpop());

    let requests = token_requests(&tenant);
    assert_eq!(requests.len(), 3);
    let proofs = token_proofs(&tenant);
    assert!(all_distinct(&jtis(&proofs)), "{proofs:?}");
    let assertions: Vec<Map<String, Value>> = requests
        .iter()
        .map(|r| claims(&r.form()["client_assertion"]))
        .collect();
    assert!(all_distinct(&jtis(&assertions)), "{assertions:?}");

    // The accepted request again: its proof is a replay.
    let again = replay(&tenant, &requests[2]).await;
    assert_eq!(again.status(), 400);
    assert_eq!(error_code(&again), "invalid_dpop_proof");
}

#[tokio::test]
async fn userinfo_retried_after_a_5xx_sends_a_new_proof_bound_to_the_token() {
    let tenant = tenant().await;
    let auth = secret_client(&tenant);
    let user = tenant.user();
    let tokens = auth
        .login(
            &auth0_authentication::PasswordLogin::new(&user.email, &user.password).scope("openid"),
        )
        .await
        .unwrap();
    tenant.inject(Fault::status(503).on_path("/userinfo"));
    let me = auth.userinfo(&tokens.access_token).await.unwrap();
    assert_eq!(me.sub, user.user_id);
    let proofs: Vec<Map<String, Value>> = tenant
        .requests_to("/userinfo")
        .iter()
        .map(|r| claims(r.header("dpop").unwrap()))
        .collect();
    assert_eq!(proofs.len(), 2);
    assert!(all_distinct(&jtis(&proofs)));
    assert_eq!(proofs[0]["ath"], proofs[1]["ath"]);
    assert!(proofs[1]["ath"].is_string());
}
