//! Database, passwordless, userinfo, revocation, PAR and CIBA endpoints
//! against an in-process Authentication API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use auth0_authentication::{AuthenticationClient, PasswordlessSend, Signup};
use auth0_core::Error;
use auth0_jwt::SigningKey;
use support::{
    Clients as _, Sent as _, TOKEN_JSON, answer_with, expect, json, scripted, strings, text,
};

#[tokio::test]
async fn signup_sends_fields_and_decodes_the_user() {
    let server = scripted(vec![json(
        200,
        r#"{"_id":"58457fe6b27","email_verified":false,"email":"alice@example.com","username":"alice","given_name":"Alice"}"#,
    )])
    .await;
    let signup = Signup::new(
        "alice@example.com",
        "pw-SECRET",
        "Username-Password-Authentication",
    )
    .username("alice")
    .given_name("Alice")
    .family_name("Liddell")
    .name("Alice Liddell")
    .nickname("al")
    .picture("https://example.com/a.png")
    .user_metadata(serde_json::json!({"plan": "free"}));
    let user = server.secret_client().signup(&signup).await.unwrap();
    assert_eq!(user.id.as_deref(), Some("58457fe6b27"));
    assert_eq!(user.email_verified, Some(false));
    assert_eq!(user.username.as_deref(), Some("alice"));
    assert_eq!(user.extra["given_name"], "Alice");

    let req = server.only_request();
    assert_eq!(req.uri.path(), "/dbconnections/signup");
    let body = req.json_object();
    assert_eq!(
        strings(&body),
        expect(&[
            ("client_id", "client-123"),
            ("email", "alice@example.com"),
            ("password", "pw-SECRET"),
            ("connection", "Username-Password-Authentication"),
            ("username", "alice"),
            ("given_name", "Alice"),
            ("family_name", "Liddell"),
            ("name", "Alice Liddell"),
            ("nickname", "al"),
            ("picture", "https://example.com/a.png"),
            ("user_metadata", r#"{"plan":"free"}"#),
        ])
    );
    assert!(
        !body.contains_key("client_secret"),
        "signup is not authenticated"
    );
}

#[tokio::test]
async fn change_password_returns_the_plain_text_message() {
    let server = scripted(vec![text(
        200,
        "We've just sent you an email to reset your password.",
    )])
    .await;
    let msg = server
        .secret_client()
        .change_password("alice@example.com", "db", Some("org_1"))
        .await
        .unwrap();
    assert_eq!(msg, "We've just sent you an email to reset your password.");
    let req = server.only_request();
    assert_eq!(req.uri.path(), "/dbconnections/change_password");
    assert_eq!(
        strings(&req.json_object()),
        expect(&[
            ("client_id", "client-123"),
            ("email", "alice@example.com"),
            ("connection", "db"),
            ("organization", "org_1"),
        ])
    );
}

#[tokio::test]
async fn passwordless_email_and_sms_start() {
    let server = scripted(vec![json(
        200,
        r#"{"_id":"1","email":"a@example.com","email_verified":false}"#,
    )])
    .await;
    let auth = server.secret_client();
    let mut params = serde_json::Map::new();
    params.insert("scope".into(), "openid".into());
    let answer = auth
        .passwordless_email("a@example.com", PasswordlessSend::Code, Some(&params))
        .await
        .unwrap();
    assert_eq!(answer["_id"], "1");
    auth.passwordless_email("a@example.com", PasswordlessSend::Link, None)
        .await
        .unwrap();
    auth.passwordless_sms("+15555550100").await.unwrap();

    let reqs = server.requests();
    assert!(reqs.iter().all(|r| r.uri.path() == "/passwordless/start"));
    assert_eq!(
        strings(&reqs[0].json_object()),
        expect(&[
            ("client_id", "client-123"),
            ("client_secret", "shh-SECRET"),
            ("connection", "email"),
            ("email", "a@example.com"),
            ("send", "code"),
            ("authParams", r#"{"scope":"openid"}"#),
        ])
    );
    assert_eq!(reqs[1].json_object()["send"], "link");
    assert!(!reqs[1].json_object().contains_key("authParams"));
    assert_eq!(
        strings(&reqs[2].json_object()),
        expect(&[
            ("client_id", "client-123"),
            ("client_secret", "shh-SECRET"),
            ("connection", "sms"),
            ("phone_number", "+15555550100"),
        ])
    );
}

#[tokio::test]
async fn userinfo_sends_the_bearer_token() {
    let server = scripted(vec![json(
        200,
        r#"{"sub":"auth0|1","email":"a@example.com","email_verified":true,"https://example.com/roles":["admin"]}"#,
    )])
    .await;
    let me = server.secret_client().userinfo("at-SECRET").await.unwrap();
    assert_eq!(me.sub, "auth0|1");
    assert_eq!(me.email_verified, Some(true));
    assert_eq!(me.extra["https://example.com/roles"][0], "admin");
    let req = server.only_request();
    assert_eq!(req.method, http::Method::GET);
    assert_eq!(req.uri.path(), "/userinfo");
    assert_eq!(req.headers["authorization"], "Bearer at-SECRET");
}

#[tokio::test]
async fn userinfo_with_a_bad_token_is_an_api_error() {
    let server = scripted(vec![text(401, "Unauthorized")]).await;
    let err = server
        .secret_client()
        .userinfo("expired")
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(http::StatusCode::UNAUTHORIZED));
    let err = server
        .secret_client()
        .userinfo("bad\ntoken")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }));
    assert!(!err.to_string().contains("bad\ntoken"));
}

#[tokio::test]
async fn revoke_refresh_token_with_private_key_jwt() {
    let server = scripted(vec![text(200, "")]).await;
    let auth = AuthenticationClient::builder(server.core(), "client-123")
        .private_key_jwt(SigningKey::generate_es256().unwrap())
        .build()
        .unwrap();
    auth.revoke_refresh_token("rt-SECRET").await.unwrap();
    let req = server.only_request();
    assert_eq!(req.uri.path(), "/oauth/revoke");
    let body = req.json_object();
    assert_eq!(body["token"], "rt-SECRET");
    assert_eq!(body["client_id"], "client-123");
    assert!(body.contains_key("client_assertion"));
    assert!(!body.contains_key("client_secret"));
}

#[tokio::test]
async fn pushed_authorization_request_is_form_encoded() {
    let server = scripted(vec![json(
        201,
        r#"{"request_uri":"urn:ietf:params:oauth:request_uri:abc","expires_in":30}"#,
    )])
    .await;
    let auth = server.secret_client();
    let par = auth
        .pushed_authorization_request(
            "code",
            "https://app.example.com/cb?a=1&b=2",
            &[("scope", "openid profile"), ("state", "s t")],
        )
        .await
        .unwrap();
    assert_eq!(par.request_uri, "urn:ietf:params:oauth:request_uri:abc");
    assert_eq!(par.expires_in, 30);
    let req = server.only_request();
    assert_eq!(req.uri.path(), "/oauth/par");
    let form: Vec<(String, String)> = req.form_fields().into_iter().collect();
    assert_eq!(
        form,
        expect(&[
            ("client_id", "client-123"),
            ("client_secret", "shh-SECRET"),
            ("response_type", "code"),
            ("redirect_uri", "https://app.example.com/cb?a=1&b=2"),
            ("scope", "openid profile"),
            ("state", "s t"),
        ])
    );

    let err = auth
        .pushed_authorization_request("code", "x", &[("client_secret", "evil")])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }));
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn back_channel_login_and_token_poll() {
    let server = answer_with(|req, _| match req.uri.path() {
        "/bc-authorize" => json(
            200,
            r#"{"auth_req_id":"req-SECRET","expires_in":300,"interval":5}"#,
        ),
        _ => json(200, TOKEN_JSON),
    })
    .await;
    let auth = server.secret_client();
    let hint = r#"{"format":"iss_sub","iss":"https://t/","sub":"auth0|1"}"#;
    let started = auth
        .back_channel_login(
            "Pay 50 EUR",
            hint,
            "openid",
            &[("audience", "https://api/")],
        )
        .await
        .unwrap();
    assert_eq!(started.expires_in, 300);
    assert_eq!(started.interval, Some(5));
    assert!(!format!("{started:?}").contains("req-SECRET"));
    let tokens = auth.back_channel_token(&started.auth_req_id).await.unwrap();
    assert_eq!(tokens.access_token, "at-SECRET");

    let reqs = server.requests();
    let form: Vec<(String, String)> = reqs[0].form_fields().into_iter().collect();
    assert_eq!(
        form,
        expect(&[
            ("client_id", "client-123"),
            ("client_secret", "shh-SECRET"),
            ("binding_message", "Pay 50 EUR"),
            ("login_hint", hint),
            ("scope", "openid"),
            ("audience", "https://api/"),
        ])
    );
    let form: Vec<(String, String)> = reqs[1].form_fields().into_iter().collect();
    assert_eq!(reqs[1].uri.path(), "/oauth/token");
    assert_eq!(
        form,
        expect(&[
            ("client_id", "client-123"),
            ("client_secret", "shh-SECRET"),
            ("grant_type", "urn:openid:params:grant-type:ciba"),
            ("auth_req_id", "req-SECRET"),
        ])
    );
}

#[tokio::test]
async fn authorization_pending_is_an_api_error() {
    let server = scripted(vec![json(
        400,
        r#"{"error":"authorization_pending","error_description":"The end-user authorization is pending"}"#,
    )])
    .await;
    let err = server
        .secret_client()
        .back_channel_token("req")
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("authorization_pending"));
}

/// Auth0 answers a CIBA poll that comes too fast with `slow_down` (a `429`
/// when it comes as a rate limit, with `Retry-After`). The stack must hand
/// it back after one attempt, as for the device grant: resending it after
/// its own short backoff is polling faster still, and the caller never
/// learns to slow down (CIBA Core §11: the interval grows by 5 s).
#[tokio::test]
async fn back_channel_poll_hands_slow_down_back_after_one_attempt() {
    let server = scripted(vec![
        json(
            429,
            r#"{"error":"slow_down","error_description":"You are polling faster than allowed. Try again in 10 seconds."}"#,
        ),
        json(200, TOKEN_JSON),
    ])
    .await;
    // The default stack, which resends a 429 for every other request.
    let err = server
        .secret_client()
        .back_channel_token("req")
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("slow_down"));
    match &err {
        Error::RateLimited(limit) => assert_eq!(limit.attempts, Some(1)),
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert_eq!(server.request_count(), 1);

    // An empty id is refused before anything is sent, as a device code is.
    let err = server
        .secret_client()
        .back_channel_token("")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    assert_eq!(server.request_count(), 1);
}
