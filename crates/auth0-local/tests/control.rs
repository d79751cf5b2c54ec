//! The control API (`/auth0-local/v1/…`) as a test in another language
//! uses it: plain HTTP requests with the control token, finishing the
//! out-of-band steps of logins made with the SDK's own clients.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use auth0_authentication::{
    AuthenticationClient, ClientAuthentication, DeviceCodeRequest, MfaAssociate, PasswordlessLogin,
    PasswordlessSend,
};
use auth0_core::types::HttpResponse;
use auth0_local::{Fault, LocalTenant};
use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use serde_json::Value;
use support::wire::raw_client as raw;

/// One control request (`path` relative to the control URL) with `token`.
async fn control(
    tenant: &LocalTenant,
    method: Method,
    path: &str,
    token: Option<&str>,
) -> HttpResponse {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("{}{path}", tenant.control_url()));
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    raw(tenant)
        .send(request.body(Bytes::new()).unwrap())
        .await
        .unwrap()
}

/// A decision (`…/approve`, `…/deny`) the tenant takes: `204`.
async fn decide(tenant: &LocalTenant, path: &str) {
    let answer = control(tenant, Method::POST, path, Some(tenant.control_token())).await;
    assert_eq!(answer.status(), StatusCode::NO_CONTENT, "{path}");
}

/// A path segment, percent-encoded.
fn segment(text: &str) -> String {
    let mut out = String::new();
    auth0_core::client::percent_encode_into(&mut out, text);
    out
}

fn json(response: &HttpResponse) -> Value {
    serde_json::from_slice(response.body()).unwrap()
}

#[tokio::test]
async fn control_requests_need_the_tenants_token() {
    let tenant = LocalTenant::builder().start().await.unwrap();
    assert!(tenant.control_url().starts_with(tenant.issuer()));
    assert!(tenant.control_url().ends_with("/auth0-local/v1/"));
    let path = "passwordless-codes/nobody%40example.com";
    for token in [None, Some("wrong"), Some("")] {
        let answer = control(&tenant, Method::GET, path, token).await;
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(json(&answer)["error"], "unauthorized");
        assert!(answer.headers().contains_key(header::WWW_AUTHENTICATE));
    }
    let token = Some(tenant.control_token());
    let nothing = control(&tenant, Method::GET, path, token).await;
    assert_eq!(nothing.status(), StatusCode::NOT_FOUND);
    assert_eq!(json(&nothing)["error"], "not_found");
    let unknown = control(&tenant, Method::GET, "users", token).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let wrong_method = control(&tenant, Method::POST, path, token).await;
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
    let undecided = control(
        &tenant,
        Method::POST,
        "back-channel-logins/no-such-request/approve",
        token,
    )
    .await;
    assert_eq!(undecided.status(), StatusCode::NOT_FOUND);
    // The token is the tenant's own: another tenant's is refused.
    let other = LocalTenant::builder().start().await.unwrap();
    assert_ne!(other.control_token(), tenant.control_token());
    let answer = control(&other, Method::GET, path, token).await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn passwordless_and_back_channel_logins_finish_through_it() {
    let tenant = LocalTenant::builder().start().await.unwrap();
    let token = Some(tenant.control_token());
    let auth = tenant.authentication_client().unwrap();

    // The code an email would carry, then a phone number's (a `+` in the
    // path stays a `+`).
    auth.passwordless_email("otp@example.com", PasswordlessSend::Code, None)
        .await
        .unwrap();
    let sent = control(
        &tenant,
        Method::GET,
        "passwordless-codes/otp%40example.com",
        token,
    )
    .await;
    assert_eq!(sent.status(), StatusCode::OK);
    let code = json(&sent)["code"].as_str().unwrap().to_owned();
    assert_eq!(
        Some(&code),
        tenant.passwordless_code("otp@example.com").as_ref()
    );
    let tokens = auth
        .passwordless_login(&PasswordlessLogin::new("otp@example.com", &code, "email"))
        .await
        .unwrap();
    assert!(tokens.id_token.is_some());
    auth.passwordless_sms("+15550009").await.unwrap();
    let sent = control(&tenant, Method::GET, "passwordless-codes/+15550009", token).await;
    assert_eq!(
        json(&sent)["code"].as_str(),
        tenant.passwordless_code("+15550009").as_deref()
    );

    // CIBA: approved, then denied, through the control API.
    let hint = serde_json::json!({
        "format": "iss_sub", "iss": tenant.issuer(), "sub": tenant.user().user_id,
    })
    .to_string();
    let started = auth
        .back_channel_login("Approve transfer 1", &hint, "openid", &[])
        .await
        .unwrap();
    let path = format!("back-channel-logins/{}/approve", started.auth_req_id);
    decide(&tenant, &path).await;
    let tokens = auth.back_channel_token(&started.auth_req_id).await.unwrap();
    assert!(tokens.id_token.is_some());
    // Decided once: a second decision finds nothing pending.
    let again = control(&tenant, Method::POST, &path, token).await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let started = auth
        .back_channel_login("Approve transfer 2", &hint, "openid", &[])
        .await
        .unwrap();
    decide(
        &tenant,
        &format!("back-channel-logins/{}/deny", started.auth_req_id),
    )
    .await;
    let err = auth
        .back_channel_token(&started.auth_req_id)
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("access_denied"));
    // One left unanswered until it expires.
    let started = auth
        .back_channel_login("Approve transfer 3", &hint, "openid", &[])
        .await
        .unwrap();
    let path = format!("back-channel-logins/{}/expire", started.auth_req_id);
    decide(&tenant, &path).await;
    let err = auth
        .back_channel_token(&started.auth_req_id)
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("expired_token"));
    let again = control(&tenant, Method::POST, &path, token).await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let wrong_method = control(&tenant, Method::GET, &path, token).await;
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn device_logins_mfa_codes_and_key_rotation_through_it() {
    let tenant = LocalTenant::builder().start().await.unwrap();
    let token = Some(tenant.control_token());

    // A device login approved as another user, one denied.
    let native = tenant.applications().native.client_id().to_owned();
    let device_client = AuthenticationClient::builder(raw(&tenant), native)
        .client_authentication(ClientAuthentication::None)
        .build()
        .unwrap();
    let request = DeviceCodeRequest::new().scope("openid");
    let device = device_client.device_authorization(&request).await.unwrap();
    let other = tenant
        .add_user(auth0_local::NewUser::new(
            "tv@example.com",
            "a long passphrase",
        ))
        .unwrap();
    let path = format!(
        "device-codes/{}/approve?user_id={}",
        device.user_code,
        segment(&other)
    );
    decide(&tenant, &path).await;
    let tokens = device_client
        .device_token(&device.device_code)
        .await
        .unwrap();
    let claims = auth0_jwt::jws::Jws::parse(
        tokens.id_token.as_deref().unwrap(),
        &auth0_jwt::jws::ParseOptions::default(),
    )
    .unwrap()
    .claims()
    .clone();
    assert_eq!(claims["sub"], other.as_str());
    let device = device_client.device_authorization(&request).await.unwrap();
    decide(&tenant, &format!("device-codes/{}/deny", device.user_code)).await;
    let err = device_client
        .device_token(&device.device_code)
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("access_denied"));

    // The binding code an MFA email enrollment "sent".
    tenant.require_mfa(true);
    let auth = tenant.authentication_client().unwrap();
    let user = tenant.user().clone();
    let mfa_token = match auth
        .login(&auth0_authentication::PasswordLogin::new(
            &user.email,
            &user.password,
        ))
        .await
    {
        Err(auth0_core::Error::MfaRequired(mfa)) => mfa.mfa_token().to_owned(),
        other => panic!("expected mfa_required, got {other:?}"),
    };
    let enrollment = auth
        .mfa_associate(&mfa_token, &MfaAssociate::email("jane-2fa@example.com"))
        .await
        .unwrap();
    let sent = control(
        &tenant,
        Method::GET,
        "mfa-oob-codes/jane-2fa%40example.com",
        token,
    )
    .await;
    let code = json(&sent)["code"].as_str().unwrap().to_owned();
    let tokens = auth
        .mfa_oob(
            &mfa_token,
            enrollment.oob_code.as_deref().unwrap(),
            Some(&code),
        )
        .await
        .unwrap();
    assert!(!tokens.access_token.is_empty());
    // No push challenge is pending for this user.
    let path = format!("mfa-push/{}/approve", segment(&user.user_id));
    assert_eq!(
        control(&tenant, Method::POST, &path, token).await.status(),
        StatusCode::NOT_FOUND
    );

    // A rotation: the new key is current and published.
    let before = tenant.signing_key_ids();
    let rotated = control(&tenant, Method::POST, "signing-keys/rotate", token).await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let kid = json(&rotated)["kid"].as_str().unwrap().to_owned();
    assert!(!before.contains(&kid));
    assert_eq!(tenant.signing_key_ids().first(), Some(&kid));
}

#[tokio::test]
async fn faults_rate_limits_and_the_request_log_leave_it_alone() {
    let tenant = LocalTenant::builder()
        .rate_limit(auth0_local::RateLimit::new(
            1,
            std::time::Duration::from_secs(60),
        ))
        .start()
        .await
        .unwrap();
    let token = Some(tenant.control_token());
    tenant.inject(Fault::status(503).forever());
    let recorded = tenant.requests().len();
    for _ in 0..3 {
        let answer = control(&tenant, Method::GET, "passwordless-codes/x%40y.z", token).await;
        assert_eq!(answer.status(), StatusCode::NOT_FOUND);
        assert!(!answer.headers().contains_key("x-ratelimit-limit"));
    }
    assert_eq!(tenant.requests().len(), recorded);
    // The emulated endpoints still get the fault.
    let jwks = raw(&tenant)
        .get_json::<Value>("/.well-known/jwks.json")
        .await
        .unwrap_err();
    assert_eq!(jwks.status_code(), Some(StatusCode::SERVICE_UNAVAILABLE));
}
