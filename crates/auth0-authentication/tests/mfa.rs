//! The MFA API against an in-process Authentication API: exact request
//! shapes, decoding, redaction, error mapping, retries, and the whole
//! `login` → `mfa_required` → challenge → `mfa-otp` flow.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use auth0_authentication::mfa::{GRANT_MFA_OOB, GRANT_MFA_OTP, GRANT_MFA_RECOVERY_CODE};
use auth0_authentication::{
    AuthenticationClient, AuthenticatorType, BindingMethod, ChallengeType, MfaAssociate,
    MfaChallenge, OobChannel, PasswordLogin,
};
use auth0_core::Error;
use http::Method;
use support::{
    Clients as _, Fault, Sent as _, TOKEN_JSON, answer_with, expect, json, scripted, strings, text,
};

const MFA_TOKEN: &str = "mfa-SECRET";

#[tokio::test]
async fn challenge_sends_the_token_types_and_authenticator_in_a_json_body() {
    let server = scripted(vec![json(
        200,
        r#"{"challenge_type":"oob","oob_code":"oob-SECRET","binding_method":"prompt"}"#,
    )])
    .await;
    let challenge = server
        .secret_client()
        .mfa_challenge(
            MFA_TOKEN,
            &MfaChallenge::new()
                .challenge_type(ChallengeType::Otp)
                .challenge_type(ChallengeType::Oob)
                .challenge_type(ChallengeType::Otp)
                .authenticator_id("sms|dev_NU1O"),
        )
        .await
        .unwrap();
    assert_eq!(challenge.challenge_type, ChallengeType::Oob);
    assert_eq!(challenge.oob_code.as_deref(), Some("oob-SECRET"));
    assert_eq!(challenge.binding_method, Some(BindingMethod::Prompt));
    let shown = format!("{challenge:?}");
    assert!(!shown.contains("oob-SECRET"), "{shown}");
    assert!(shown.contains("Prompt"), "{shown}");

    let req = server.only_request();
    assert_eq!(req.method, Method::POST);
    assert_eq!(req.uri.path(), "/mfa/challenge");
    assert!(
        req.headers.get("authorization").is_none(),
        "the MFA token goes in the body"
    );
    assert_eq!(
        strings(&req.json_object()),
        expect(&[
            ("client_id", "client-123"),
            ("client_secret", "shh-SECRET"),
            ("mfa_token", MFA_TOKEN),
            ("challenge_type", "otp oob"),
            ("authenticator_id", "sms|dev_NU1O"),
        ])
    );
}

#[tokio::test]
async fn challenge_without_options_and_from_a_public_client() {
    let server = scripted(vec![json(200, r#"{"challenge_type":"otp"}"#)]).await;
    let public = AuthenticationClient::builder(server.core(), "native-app")
        .build()
        .unwrap();
    let challenge = public
        .mfa_challenge(MFA_TOKEN, &MfaChallenge::new())
        .await
        .unwrap();
    assert_eq!(challenge.challenge_type, ChallengeType::Otp);
    assert_eq!(challenge.oob_code, None);
    assert_eq!(challenge.binding_method, None);
    assert_eq!(
        strings(&server.only_request().json_object()),
        expect(&[("client_id", "native-app"), ("mfa_token", MFA_TOKEN)])
    );
}

#[tokio::test]
async fn challenge_binding_methods_auth0_adds_later_are_kept() {
    let server = scripted(vec![json(
        200,
        r#"{"challenge_type":"oob","oob_code":"c","binding_method":"transfer"}"#,
    )])
    .await;
    let challenge = server
        .secret_client()
        .mfa_challenge(MFA_TOKEN, &MfaChallenge::new())
        .await
        .unwrap();
    assert_eq!(
        challenge.binding_method,
        Some(BindingMethod::Other("transfer".to_owned()))
    );
    assert_eq!(challenge.binding_method.unwrap().as_str(), "transfer");
}

#[tokio::test]
async fn mfa_grant_bodies() {
    let server = scripted(vec![json(200, TOKEN_JSON)]).await;
    let auth = server.secret_client();
    auth.mfa_otp(MFA_TOKEN, "123456").await.unwrap();
    auth.mfa_oob(MFA_TOKEN, "oob-1", Some("246810"))
        .await
        .unwrap();
    auth.mfa_oob(MFA_TOKEN, "oob-2", None).await.unwrap();
    auth.mfa_recovery_code(MFA_TOKEN, "RC-1").await.unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4);
    for req in &reqs {
        assert_eq!(req.method, Method::POST);
        assert_eq!(req.uri.path(), "/oauth/token");
    }
    let base = [
        ("client_id", "client-123"),
        ("client_secret", "shh-SECRET"),
        ("mfa_token", MFA_TOKEN),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut all = base.to_vec();
        all.extend_from_slice(extra);
        expect(&all)
    };
    assert_eq!(
        strings(&reqs[0].json_object()),
        with(&[("grant_type", GRANT_MFA_OTP), ("otp", "123456")])
    );
    assert_eq!(
        strings(&reqs[1].json_object()),
        with(&[
            ("grant_type", GRANT_MFA_OOB),
            ("oob_code", "oob-1"),
            ("binding_code", "246810"),
        ])
    );
    assert_eq!(
        strings(&reqs[2].json_object()),
        with(&[("grant_type", GRANT_MFA_OOB), ("oob_code", "oob-2")])
    );
    assert_eq!(
        strings(&reqs[3].json_object()),
        with(&[
            ("grant_type", GRANT_MFA_RECOVERY_CODE),
            ("recovery_code", "RC-1"),
        ])
    );
    assert_eq!(GRANT_MFA_OTP, "http://auth0.com/oauth/grant-type/mfa-otp");
    assert_eq!(GRANT_MFA_OOB, "http://auth0.com/oauth/grant-type/mfa-oob");
    assert_eq!(
        GRANT_MFA_RECOVERY_CODE,
        "http://auth0.com/oauth/grant-type/mfa-recovery-code"
    );
}

#[tokio::test]
async fn recovery_code_grant_surfaces_the_new_code_and_hides_it_in_debug() {
    let server = scripted(vec![json(
        200,
        r#"{"access_token":"at-SECRET","id_token":"idt-SECRET","token_type":"Bearer","expires_in":86400,"recovery_code":"NEWRC-SECRET"}"#,
    )])
    .await;
    let tokens = server
        .secret_client()
        .mfa_recovery_code(MFA_TOKEN, "OLDRC-SECRET")
        .await
        .unwrap();
    assert_eq!(tokens.recovery_code.as_deref(), Some("NEWRC-SECRET"));
    assert_eq!(tokens.access_token, "at-SECRET");
    let shown = format!("{tokens:?}");
    for secret in ["NEWRC-SECRET", "at-SECRET", "idt-SECRET"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(
        shown.contains("recovery_code: Some(\"[REDACTED]\")"),
        "{shown}"
    );
}

#[tokio::test]
async fn empty_credentials_are_refused_before_sending() {
    let server = scripted(vec![json(200, TOKEN_JSON)]).await;
    let auth = server.secret_client();
    let errors = [
        auth.mfa_otp("", "123456").await.unwrap_err(),
        auth.mfa_otp(MFA_TOKEN, "").await.unwrap_err(),
        auth.mfa_oob(MFA_TOKEN, "", None).await.unwrap_err(),
        auth.mfa_recovery_code(MFA_TOKEN, "").await.unwrap_err(),
        auth.mfa_challenge("", &MfaChallenge::new())
            .await
            .unwrap_err(),
        auth.mfa_authenticators("").await.unwrap_err(),
        auth.mfa_associate("", &MfaAssociate::otp())
            .await
            .unwrap_err(),
    ];
    for err in errors {
        assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    }
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn associate_otp_sends_the_bearer_and_decodes_the_secrets() {
    let server = scripted(vec![json(
        200,
        r#"{"authenticator_type":"otp","secret":"OTPSECRET","barcode_uri":"otpauth://totp/t:alice?secret=OTPSECRET&issuer=t","recovery_codes":["RC1-SECRET","RC2-SECRET"],"id":"totp|dev_1"}"#,
    )])
    .await;
    let enrollment = server
        .secret_client()
        .mfa_associate(MFA_TOKEN, &MfaAssociate::otp())
        .await
        .unwrap();
    assert_eq!(enrollment.authenticator_type, AuthenticatorType::Otp);
    assert_eq!(enrollment.secret.as_deref(), Some("OTPSECRET"));
    assert!(
        enrollment
            .barcode_uri
            .as_deref()
            .unwrap()
            .starts_with("otpauth://totp/")
    );
    assert_eq!(
        enrollment.recovery_codes,
        Some(vec!["RC1-SECRET".to_owned(), "RC2-SECRET".to_owned()])
    );
    assert_eq!(enrollment.extra["id"], "totp|dev_1");
    let shown = format!("{enrollment:?}");
    for secret in ["OTPSECRET", "otpauth", "RC1-SECRET", "RC2-SECRET"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(shown.contains("[2 REDACTED]"), "{shown}");

    let req = server.only_request();
    assert_eq!(req.method, Method::POST);
    assert_eq!(req.uri.path(), "/mfa/associate");
    assert_eq!(req.headers["authorization"], "Bearer mfa-SECRET");
    let body = req.json_object();
    assert_eq!(body["authenticator_types"], serde_json::json!(["otp"]));
    assert_eq!(
        strings(&body),
        expect(&[
            ("client_id", "client-123"),
            ("client_secret", "shh-SECRET"),
            ("authenticator_types", r#"["otp"]"#),
        ])
    );
}

#[tokio::test]
async fn associate_oob_channels_bodies() {
    let server = scripted(vec![json(
        200,
        r#"{"authenticator_type":"oob","oob_channel":"sms","oob_code":"oob-SECRET","binding_method":"prompt","recovery_codes":["RC-SECRET"]}"#,
    )])
    .await;
    let auth = server.secret_client();
    let sms = auth
        .mfa_associate("at-SECRET", &MfaAssociate::sms("+15555550100"))
        .await
        .unwrap();
    assert_eq!(sms.authenticator_type, AuthenticatorType::Oob);
    assert_eq!(sms.oob_channel, Some(OobChannel::Sms));
    assert_eq!(sms.oob_code.as_deref(), Some("oob-SECRET"));
    assert_eq!(sms.binding_method, Some(BindingMethod::Prompt));
    assert!(!format!("{sms:?}").contains("oob-SECRET"));

    auth.mfa_associate("at-SECRET", &MfaAssociate::voice("+15555550101"))
        .await
        .unwrap();
    auth.mfa_associate("at-SECRET", &MfaAssociate::email("alice@example.com"))
        .await
        .unwrap();
    auth.mfa_associate("at-SECRET", &MfaAssociate::push())
        .await
        .unwrap();
    auth.mfa_associate(
        "at-SECRET",
        &MfaAssociate::otp()
            .authenticator_type(AuthenticatorType::Oob)
            .oob_channel(OobChannel::Sms)
            .oob_channel(OobChannel::Voice)
            .phone_number("+15555550102"),
    )
    .await
    .unwrap();

    let reqs = server.requests();
    assert_eq!(reqs.len(), 5);
    let json = |i: usize| serde_json::Value::Object(reqs[i].json_object());
    for req in &reqs {
        assert_eq!(req.headers["authorization"], "Bearer at-SECRET");
    }
    let auth_fields = serde_json::json!({"client_id": "client-123", "client_secret": "shh-SECRET"});
    let merged = |extra: serde_json::Value| {
        let mut all = auth_fields.as_object().unwrap().clone();
        all.extend(extra.as_object().unwrap().clone());
        serde_json::Value::Object(all)
    };
    assert_eq!(
        json(0),
        merged(serde_json::json!({
            "authenticator_types": ["oob"], "oob_channels": ["sms"], "phone_number": "+15555550100"
        }))
    );
    assert_eq!(
        json(1),
        merged(serde_json::json!({
            "authenticator_types": ["oob"], "oob_channels": ["voice"], "phone_number": "+15555550101"
        }))
    );
    assert_eq!(
        json(2),
        merged(serde_json::json!({
            "authenticator_types": ["oob"], "oob_channels": ["email"], "email": "alice@example.com"
        }))
    );
    assert_eq!(
        json(3),
        merged(serde_json::json!({"authenticator_types": ["oob"], "oob_channels": ["auth0"]}))
    );
    assert_eq!(
        json(4),
        merged(serde_json::json!({
            "authenticator_types": ["otp", "oob"], "oob_channels": ["sms", "voice"],
            "phone_number": "+15555550102"
        }))
    );
}

#[tokio::test]
async fn associate_requests_auth0_would_refuse_are_not_sent() {
    let server = scripted(vec![json(200, "{}")]).await;
    let auth = server.secret_client();
    let bad = [
        MfaAssociate::new(AuthenticatorType::Oob),
        MfaAssociate::new(AuthenticatorType::Oob).oob_channel(OobChannel::Sms),
        MfaAssociate::new(AuthenticatorType::Oob)
            .oob_channel(OobChannel::Voice)
            .phone_number(""),
    ];
    for associate in &bad {
        let err = auth.mfa_associate("at", associate).await.unwrap_err();
        assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    }
    // A bearer token that can't be a header value: refused, never echoed.
    let err = auth
        .mfa_associate("tok-SECRET\r\nx-injected: 1", &MfaAssociate::otp())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    assert!(!format!("{err:?} {err}").contains("tok-SECRET"));
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn an_association_that_fails_to_decode_does_not_leak_its_secrets() {
    // No `authenticator_type`: a decode error whose snippet must not show
    // the secret, the barcode URI or the recovery codes.
    let server = scripted(vec![json(
        200,
        r#"{"type":"otp","secret":"OTPSECRET","barcode_uri":"otpauth://totp/x?secret=OTPSECRET","recovery_codes":["RC-SECRET"]}"#,
    )])
    .await;
    let err = server
        .secret_client()
        .mfa_associate(MFA_TOKEN, &MfaAssociate::otp())
        .await
        .unwrap_err();
    let Error::Decode { body_snippet, .. } = &err else {
        panic!("expected Decode, got {err:?}");
    };
    assert!(body_snippet.contains("\"type\":\"otp\""), "{body_snippet}");
    let shown = format!("{err:?} {err} {body_snippet}");
    for secret in ["OTPSECRET", "otpauth", "RC-SECRET"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }

    // Not JSON at all but mentioning a secret field: withheld entirely.
    let server = scripted(vec![text(
        200,
        "barcode_uri=otpauth://totp/x?secret=OTPSECRET",
    )])
    .await;
    let err = server
        .secret_client()
        .mfa_associate(MFA_TOKEN, &MfaAssociate::otp())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(!format!("{err:?}").contains("OTPSECRET"));
}

#[tokio::test]
async fn authenticators_are_listed_with_the_bearer_token() {
    let server = scripted(vec![json(
        200,
        r#"[
          {"id":"recovery-code|dev_O4KY","authenticator_type":"recovery-code","active":true},
          {"id":"email|dev_NU1O","authenticator_type":"oob","active":true,"oob_channel":"email","name":"a***@example.com"},
          {"id":"totp|dev_2","authenticator_type":"otp","active":false,"created_at":"2026-11-01T10:00:00.000Z"},
          {"id":"webauthn|dev_3","authenticator_type":"webauthn-roaming","active":true,"oob_channel":"carrier-pigeon"}
        ]"#,
    )])
    .await;
    let list = server
        .secret_client()
        .mfa_authenticators(MFA_TOKEN)
        .await
        .unwrap();
    assert_eq!(list.len(), 4);
    assert_eq!(list[0].authenticator_type, AuthenticatorType::RecoveryCode);
    assert_eq!(list[1].oob_channel, Some(OobChannel::Email));
    assert_eq!(list[1].name.as_deref(), Some("a***@example.com"));
    assert!(!list[2].active);
    assert_eq!(list[2].extra["created_at"], "2026-11-01T10:00:00.000Z");
    assert_eq!(
        list[3].authenticator_type,
        AuthenticatorType::Other("webauthn-roaming".to_owned())
    );
    assert_eq!(
        list[3].oob_channel,
        Some(OobChannel::Other("carrier-pigeon".to_owned()))
    );

    let req = server.only_request();
    assert_eq!(req.method, Method::GET);
    assert_eq!(req.uri.path(), "/mfa/authenticators");
    assert_eq!(req.headers["authorization"], "Bearer mfa-SECRET");
    assert_eq!(req.headers["accept"], "application/json");
    assert!(req.body.is_empty());
}

#[tokio::test]
async fn an_empty_authenticator_list_decodes() {
    let server = scripted(vec![json(200, "[]")]).await;
    let list = server
        .secret_client()
        .mfa_authenticators(MFA_TOKEN)
        .await
        .unwrap();
    assert!(list.is_empty());
}

#[tokio::test]
async fn delete_authenticator_percent_encodes_the_id() {
    let server = scripted(vec![Fault::reply_raw(204, "")]).await;
    let auth = server.secret_client();
    auth.delete_mfa_authenticator("at-SECRET", "sms|dev_O4KY")
        .await
        .unwrap();
    auth.delete_mfa_authenticator("at-SECRET", "a/../b?c#d e")
        .await
        .unwrap();
    let reqs = server.requests();
    assert_eq!(reqs[0].method, Method::DELETE);
    assert_eq!(reqs[0].uri.path(), "/mfa/authenticators/sms%7Cdev_O4KY");
    assert_eq!(reqs[0].headers["authorization"], "Bearer at-SECRET");
    assert_eq!(
        reqs[1].uri.to_string(),
        "/mfa/authenticators/a%2F..%2Fb%3Fc%23d%20e"
    );
    assert!(reqs[1].uri.query().is_none());
}

#[tokio::test]
async fn delete_refuses_ids_that_would_name_another_path() {
    let server = scripted(vec![json(204, "")]).await;
    let auth = server.secret_client();
    for id in ["", ".", ".."] {
        let err = auth.delete_mfa_authenticator("at", id).await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidRequest { .. }),
            "{id:?}: {err:?}"
        );
    }
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn delete_of_an_unknown_authenticator_is_a_404_api_error() {
    let server = scripted(vec![json(
        404,
        r#"{"error":"not_found","error_description":"Authenticator not found"}"#,
    )])
    .await;
    let err = server
        .secret_client()
        .delete_mfa_authenticator("at", "sms|nope")
        .await
        .unwrap_err();
    let Error::Api(api) = &err else {
        panic!("expected Api, got {err:?}");
    };
    assert_eq!(api.status_code, 404);
    assert_eq!(api.error_code, "not_found");
}

#[tokio::test]
async fn a_wrong_otp_is_invalid_grant() {
    let server = scripted(vec![json(
        403,
        r#"{"error":"invalid_grant","error_description":"Invalid otp_code."}"#,
    )])
    .await;
    let err = server
        .secret_client()
        .mfa_otp(MFA_TOKEN, "000000")
        .await
        .unwrap_err();
    let Error::Api(api) = &err else {
        panic!("expected Api, got {err:?}");
    };
    assert_eq!(api.status_code, 403);
    assert_eq!(api.error_code, "invalid_grant");
    assert_eq!(api.message, "Invalid otp_code.");
    assert!(!format!("{err:?} {err}").contains(MFA_TOKEN));
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn an_expired_mfa_token_is_expired_token() {
    let server = scripted(vec![json(
        401,
        r#"{"error":"expired_token","error_description":"mfa_token is expired"}"#,
    )])
    .await;
    let err = server
        .secret_client()
        .mfa_challenge(MFA_TOKEN, &MfaChallenge::new())
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("expired_token"));
    assert_eq!(err.status_code(), Some(http::StatusCode::UNAUTHORIZED));
    assert!(!err.is_retryable_for(&http::Method::POST));
}

#[tokio::test]
async fn push_polling_reports_authorization_pending() {
    let server = scripted(vec![
        json(
            400,
            r#"{"error":"authorization_pending","error_description":"Authorization pending: please repeat the request in a few seconds."}"#,
        ),
        json(200, TOKEN_JSON),
    ])
    .await;
    let auth = server.secret_client();
    let err = auth.mfa_oob(MFA_TOKEN, "oob-push", None).await.unwrap_err();
    assert_eq!(err.error_code(), Some("authorization_pending"));
    let tokens = auth.mfa_oob(MFA_TOKEN, "oob-push", None).await.unwrap();
    assert_eq!(tokens.access_token, "at-SECRET");
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn a_challenge_answered_429_is_retried_with_the_same_body() {
    let server = scripted(vec![
        json(429, r#"{"error":"too_many_requests"}"#).with_header("retry-after", "0"),
        json(200, r#"{"challenge_type":"otp"}"#),
    ])
    .await;
    let challenge = server
        .secret_client()
        .mfa_challenge(
            MFA_TOKEN,
            &MfaChallenge::new().challenge_type(ChallengeType::Otp),
        )
        .await
        .unwrap();
    assert_eq!(challenge.challenge_type, ChallengeType::Otp);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].body, reqs[1].body);
}

#[tokio::test]
async fn mfa_posts_answered_5xx_are_not_retried() {
    let unavailable =
        || json(503, r#"{"error":"temporarily_unavailable"}"#).with_header("retry-after", "0");
    let ok_challenge = json(200, r#"{"challenge_type":"oob","oob_code":"c"}"#);

    let server = scripted(vec![unavailable(), ok_challenge]).await;
    let err = server
        .secret_client()
        .mfa_challenge(MFA_TOKEN, &MfaChallenge::new())
        .await
        .unwrap_err();
    assert_eq!(
        err.status_code(),
        Some(http::StatusCode::SERVICE_UNAVAILABLE)
    );
    assert_eq!(server.request_count(), 1, "a second SMS must not be sent");

    let server = scripted(vec![unavailable(), json(200, TOKEN_JSON)]).await;
    let err = server
        .secret_client()
        .mfa_otp(MFA_TOKEN, "123456")
        .await
        .unwrap_err();
    assert_eq!(
        err.retry_advice(&http::Method::POST),
        auth0_core::error::RetryAdvice::UnsafeToRepeat,
        "the grant may have been consumed: only the caller can decide"
    );
    assert_eq!(server.request_count(), 1, "a grant must not be sent twice");

    let server = scripted(vec![
        unavailable(),
        json(200, r#"{"authenticator_type":"otp"}"#),
    ])
    .await;
    server
        .secret_client()
        .mfa_associate(MFA_TOKEN, &MfaAssociate::otp())
        .await
        .unwrap_err();
    assert_eq!(
        server.request_count(),
        1,
        "an enrollment must not be sent twice"
    );
}

#[tokio::test]
async fn listing_authenticators_answered_503_is_retried() {
    let server = scripted(vec![
        json(503, r#"{"error":"temporarily_unavailable"}"#).with_header("retry-after", "0"),
        json(200, "[]"),
    ])
    .await;
    let list = server
        .secret_client()
        .mfa_authenticators(MFA_TOKEN)
        .await
        .unwrap();
    assert!(list.is_empty());
    assert_eq!(server.request_count(), 2, "a GET is idempotent");
}

/// The whole flow a server-side login runs: password → `mfa_required` →
/// list authenticators → challenge the OTP one → `mfa-otp` → tokens. The
/// server checks each step's inputs like Auth0 would.
#[tokio::test]
async fn full_flow_login_mfa_required_challenge_otp_tokens() {
    const ISSUED_MFA_TOKEN: &str = "Fe26.2*mfa-SECRET";
    let server = answer_with(|req, _| {
        let path = req.uri.path();
        let body = if req.body.is_empty() {
            serde_json::Map::new()
        } else {
            req.json_object()
        };
        let grant = body.get("grant_type").and_then(|v| v.as_str());
        let secret_ok = body.get("client_secret").and_then(|v| v.as_str()) == Some("shh-SECRET");
        let token_ok = body.get("mfa_token").and_then(|v| v.as_str()) == Some(ISSUED_MFA_TOKEN);
        match (req.method.as_str(), path, grant) {
            ("POST", "/oauth/token", Some("http://auth0.com/oauth/grant-type/password-realm"))
                if secret_ok && body["password"] == "correct horse" =>
            {
                json(
                    403,
                    &format!(
                        r#"{{"error":"mfa_required","error_description":"Multifactor authentication required","mfa_token":"{ISSUED_MFA_TOKEN}"}}"#
                    ),
                )
            }
            ("GET", "/mfa/authenticators", None)
                if req.headers["authorization"] == format!("Bearer {ISSUED_MFA_TOKEN}") =>
            {
                json(
                    200,
                    r#"[{"id":"totp|dev_1","authenticator_type":"otp","active":true}]"#,
                )
            }
            ("POST", "/mfa/challenge", None)
                if secret_ok && token_ok && body["authenticator_id"] == "totp|dev_1" =>
            {
                json(200, r#"{"challenge_type":"otp"}"#)
            }
            ("POST", "/oauth/token", Some("http://auth0.com/oauth/grant-type/mfa-otp"))
                if secret_ok && token_ok && body["otp"] == "424242" =>
            {
                json(200, TOKEN_JSON)
            }
            _ => json(
                400,
                r#"{"error":"invalid_request","error_description":"unexpected request"}"#,
            ),
        }
    })
    .await;
    let auth = server.secret_client();

    let login = PasswordLogin::new("alice@example.com", "correct horse")
        .realm("Username-Password-Authentication")
        .scope("openid profile");
    let err = auth.login(&login).await.unwrap_err();
    let Error::MfaRequired(mfa) = err else {
        panic!("expected MfaRequired, got {err:?}");
    };
    let mfa_token = mfa.mfa_token();

    let authenticators = auth.mfa_authenticators(mfa_token).await.unwrap();
    let otp = authenticators
        .iter()
        .find(|a| a.authenticator_type == AuthenticatorType::Otp && a.active)
        .unwrap();
    let challenge = auth
        .mfa_challenge(
            mfa_token,
            &MfaChallenge::new()
                .challenge_type(ChallengeType::Otp)
                .authenticator_id(&otp.id),
        )
        .await
        .unwrap();
    assert_eq!(challenge.challenge_type, ChallengeType::Otp);

    let tokens = auth.mfa_otp(mfa_token, "424242").await.unwrap();
    assert_eq!(tokens.access_token, "at-SECRET");
    assert_eq!(tokens.id_token.as_deref(), Some("idt-SECRET"));

    let paths: Vec<String> = server
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.uri.path()))
        .collect();
    assert_eq!(
        paths,
        [
            "POST /oauth/token",
            "GET /mfa/authenticators",
            "POST /mfa/challenge",
            "POST /oauth/token"
        ]
    );
}

#[test]
fn wire_values_round_trip() {
    for (wire, t) in [
        ("otp", AuthenticatorType::Otp),
        ("oob", AuthenticatorType::Oob),
        ("recovery-code", AuthenticatorType::RecoveryCode),
        ("push", AuthenticatorType::Other("push".to_owned())),
    ] {
        assert_eq!(AuthenticatorType::from(wire), t);
        assert_eq!(t.as_str(), wire);
        assert_eq!(t.to_string(), wire);
    }
    for (wire, c) in [
        ("auth0", OobChannel::Auth0),
        ("sms", OobChannel::Sms),
        ("voice", OobChannel::Voice),
        ("email", OobChannel::Email),
    ] {
        assert_eq!(OobChannel::from(wire), c);
        assert_eq!(c.as_str(), wire);
    }
    assert_eq!(ChallengeType::Otp.as_str(), "otp");
    assert_eq!(ChallengeType::Oob.to_string(), "oob");
    let unknown: Result<auth0_authentication::MfaChallengeResponse, _> =
        serde_json::from_str(r#"{"challenge_type":"webauthn"}"#);
    assert!(unknown.is_err(), "challenge types are a closed set");
}
