//! Trust by default (issue 10) for the Authentication API client, against
//! servers on 127.0.0.1:
//!
//! * a retried `private_key_jwt` request carries a new assertion per attempt
//!   (RFC 7523 §3: a `jti` is single use), for the client-credentials grant
//!   (resent after a 503) and for other grants (resent after a 429);
//! * every secret the client sends, echoed back by the server (in
//!   `error_description`, in an HTML error page, in a 200 body that does not
//!   decode), appears nowhere: not in `Display`, `Debug`, any `source()`, nor
//!   a TRACE-level log capture.

#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

#[path = "../support/mod.rs"]
mod support;

mod capture;

use std::collections::HashSet;
use std::time::Duration;

use auth0_authentication::{
    AuthenticationClient, ConnectionTokenExchange, MfaAssociate, MfaChallenge, PasswordLogin,
    PasswordlessLogin, Signup, TokenExchange,
};
use auth0_core::retry::RetryPolicy;
use auth0_core::{Auth0Client, ClientConfig, Error};
use auth0_jwt::alg::Algorithm;
use auth0_jwt::jws::{Jws, ParseOptions};
use auth0_jwt::sign::SigningKey;

use support::{
    Clients as _, Fault, LocalTenant, Recorded, Sent as _, answer_with, json, scripted, text,
};

const TOKEN_JSON: &str =
    r#"{"access_token":"at-1","token_type":"Bearer","expires_in":3600,"scope":"read"}"#;

/// The default stack with quick retries.
fn core(server: &LocalTenant) -> Auth0Client {
    let config = ClientConfig::builder()
        .domain(server.base_url())
        .allow_insecure_loopback(true)
        .retry_policy(
            RetryPolicy::builder()
                .base_delay(Duration::from_millis(1))
                .max_wait(Duration::from_secs(1))
                .without_budget()
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    Auth0Client::new(config).unwrap()
}

/// The assertions the server received, each checked: signed by `key`'s
/// public half, `iss`/`sub` the client, `aud` the tenant. Returns the `jti`s.
fn assertions(server: &LocalTenant, key: &auth0_jwt::key::VerifyingKey) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|req| {
            let body = req.fields();
            let jwt = body["client_assertion"].as_str().unwrap();
            let jws = Jws::parse(jwt, &ParseOptions::default()).unwrap();
            key.verify(Algorithm::ES256, jws.signing_input(), jws.signature())
                .expect("every assertion verifies");
            let c = jws.claims();
            assert_eq!(c["iss"], "client-123");
            assert_eq!(c["sub"], "client-123");
            assert_eq!(c["aud"], format!("{}/", server.base_url()));
            c["jti"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[tokio::test]
async fn a_resent_client_credentials_request_carries_a_new_assertion() {
    let server = scripted(vec![
        json(503, r#"{"error":"temporarily_unavailable"}"#),
        json(200, TOKEN_JSON),
    ])
    .await;
    let key = SigningKey::generate_es256().unwrap();
    let verifying = key.verifying_key().unwrap();
    let auth = AuthenticationClient::builder(core(&server), "client-123")
        .private_key_jwt(key)
        .build()
        .unwrap();
    let token = auth
        .client_credentials("https://api.example.com/", None)
        .await
        .unwrap();
    assert_eq!(token.access_token, "at-1");
    let jtis = assertions(&server, &verifying);
    assert_eq!(jtis.len(), 2, "one retry after the 503");
    assert_ne!(jtis[0], jtis[1], "the assertion was replayed");
}

#[tokio::test]
async fn other_grants_resent_after_a_429_carry_a_new_assertion() {
    let server = scripted(vec![
        json(429, r#"{"error":"too_many_requests"}"#).with_header("retry-after", "0"),
        json(429, r#"{"error":"too_many_requests"}"#).with_header("retry-after", "0"),
        json(200, TOKEN_JSON),
    ])
    .await;
    let key = SigningKey::generate_es256().unwrap();
    let verifying = key.verifying_key().unwrap();
    let auth = AuthenticationClient::builder(core(&server), "client-123")
        .private_key_jwt(key)
        .build()
        .unwrap();
    auth.refresh_token("rt-value", None).await.unwrap();
    let jtis = assertions(&server, &verifying);
    assert_eq!(jtis.len(), 3);
    assert_eq!(jtis.iter().collect::<HashSet<_>>().len(), 3, "{jtis:?}");
    // The rest of the body is the same on every attempt.
    for req in server.requests() {
        let body = req.fields();
        assert_eq!(body["grant_type"], "refresh_token");
        assert_eq!(body["refresh_token"], "rt-value");
    }
}

/// How the echoing server answers.
#[derive(Clone, Copy, Debug)]
enum Echo {
    /// 400 JSON whose `error_description` is the whole request.
    Description,
    /// 502 HTML page with the whole request.
    Html,
    /// 200 whose body is the request, not JSON: a decode error.
    Decode,
    /// 400 JSON with the request's fields as nested JSON.
    Nested,
}

fn dump(req: &Recorded) -> String {
    format!(
        "{} {} headers: {:?} body: {}",
        req.method,
        req.uri,
        req.headers,
        String::from_utf8_lossy(&req.body)
    )
}

fn echo(mode: Echo) -> impl Fn(&Recorded, usize) -> Fault + Send + Sync + 'static {
    move |req, _| {
        let dump = dump(req);
        match mode {
            Echo::Description => json(
                400,
                &serde_json::json!({
                    "error": "invalid_request",
                    "error_description": format!("could not parse body: {dump}"),
                })
                .to_string(),
            ),
            Echo::Html => text(502, &format!("<html><pre>{dump}</pre></html>")),
            Echo::Decode => text(200, &format!("unexpected: {dump}")),
            Echo::Nested => {
                let fields = serde_json::from_slice::<serde_json::Value>(&req.body)
                    .unwrap_or_else(|_| serde_json::json!(String::from_utf8_lossy(&req.body)));
                json(
                    400,
                    &serde_json::json!({
                        "error": "invalid_request",
                        "message": "bad request",
                        "request": {"body": fields},
                    })
                    .to_string(),
                )
            }
        }
    }
}

/// Every way `err` can be shown.
fn shown(err: &Error) -> String {
    let mut out = format!("{err}\n{err:?}");
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        out.push_str(&format!("\n{s}\n{s:?}"));
        source = s.source();
    }
    if let Some(api) = err.auth0_error() {
        out.push_str(&format!("\n{}\n{}", api.message, api.error_code));
    }
    if let Error::Decode { body_snippet, .. } = err {
        out.push_str(&format!("\n{body_snippet}"));
    }
    out
}

/// Fails if `secret`, or its form- or percent-encoding, is in `text`.
fn assert_absent(text: &str, secret: &str, what: &str) {
    let mut percent = String::new();
    auth0_core::client::percent_encode_into(&mut percent, secret);
    let form = auth0_core::client::form_urlencode([("", secret)])[1..].to_owned();
    for form in [secret.to_owned(), percent, form] {
        assert!(
            !text.contains(&form),
            "{what}: secret {form:?} leaked in:\n{text}"
        );
    }
}

// Secrets with characters every encoding changes.
const CLIENT_SECRET: &str = "cs-S3CRET/+&=é \"q\"";
const PASSWORD: &str = "pw-S3CRET correct/horse&battery";
const REFRESH_TOKEN: &str = "rt-S3CRET+v1/abc";
const CODE: &str = "code-S3CRET-4f2a";
const VERIFIER: &str = "verifier-S3CRET-0123456789abcdef0123456789abcdef";
const OTP: &str = "738291";
const MFA_TOKEN: &str = "mfa-S3CRET.Fe26.2**abc";
const OOB_CODE: &str = "oob-S3CRET-xyz";
const BINDING_CODE: &str = "bind-S3CRET";
const RECOVERY_CODE: &str = "RECOVERY-S3CRET-CODE";
const DEVICE_CODE: &str = "device-S3CRET-Ag_EE";
const SUBJECT_TOKEN: &str = "subject-S3CRET-eyJ";
const ACCESS_TOKEN: &str = "eyJ-access-S3CRET.payload.sig";
const AUTH_REQ_ID: &str = "authreq-S3CRET-id";

#[tokio::test(flavor = "current_thread")]
async fn secrets_echoed_by_the_server_appear_nowhere() {
    let capture = capture::Capture::default();
    let _guard = capture.on_this_thread();
    // Another thread, untraced, reaches the SDK's callsites first (a
    // parallel test does under `cargo test`): the capture still sees them.
    capture::untraced_on_another_thread(|| async {
        let server = scripted(vec![
            json(503, r#"{"error":"temporarily_unavailable"}"#),
            json(200, TOKEN_JSON),
        ])
        .await;
        let auth = AuthenticationClient::builder(core(&server), "client-123")
            .client_secret(CLIENT_SECRET)
            .build()
            .unwrap();
        auth.client_credentials("https://api.example.com/", None)
            .await
            .unwrap();
    });

    let all_secrets = [
        CLIENT_SECRET,
        PASSWORD,
        REFRESH_TOKEN,
        CODE,
        VERIFIER,
        OTP,
        MFA_TOKEN,
        OOB_CODE,
        BINDING_CODE,
        RECOVERY_CODE,
        DEVICE_CODE,
        SUBJECT_TOKEN,
        ACCESS_TOKEN,
        AUTH_REQ_ID,
    ];
    let mut errors = 0;
    for mode in [Echo::Description, Echo::Html, Echo::Decode, Echo::Nested] {
        let server = answer_with(echo(mode)).await;
        let secret_client = AuthenticationClient::builder(core(&server), "client-123")
            .client_secret(CLIENT_SECRET)
            .build()
            .unwrap();
        let key = SigningKey::generate_es256().unwrap();
        let jwt_client = AuthenticationClient::builder(core(&server), "client-123")
            .private_key_jwt(key)
            .build()
            .unwrap();

        let mut results: Vec<(&str, Error)> = Vec::new();
        macro_rules! call {
            ($what:expr, $fut:expr) => {
                match $fut.await {
                    // A 200 whose body is ignored (revoke) is a success.
                    Ok(_) if matches!(mode, Echo::Decode) => {}
                    Ok(v) => panic!("{} {mode:?}: unexpected success {v:?}", $what),
                    Err(e) => results.push(($what, e)),
                }
            };
        }
        for auth in [&secret_client, &jwt_client] {
            call!(
                "client_credentials",
                auth.client_credentials("https://api.example.com/", None)
            );
            call!(
                "login",
                auth.login(&PasswordLogin::new("alice", PASSWORD).realm("db"))
            );
            call!("refresh_token", auth.refresh_token(REFRESH_TOKEN, None));
            call!(
                "authorization_code",
                auth.authorization_code(CODE, Some("https://app/cb"))
            );
            call!(
                "authorization_code_pkce",
                auth.authorization_code_pkce(VERIFIER, CODE, None)
            );
            call!(
                "passwordless_login",
                auth.passwordless_login(&PasswordlessLogin::new("+15555550100", OTP, "sms"))
            );
            call!("mfa_otp", auth.mfa_otp(MFA_TOKEN, OTP));
            call!(
                "mfa_oob",
                auth.mfa_oob(MFA_TOKEN, OOB_CODE, Some(BINDING_CODE))
            );
            call!(
                "mfa_recovery_code",
                auth.mfa_recovery_code(MFA_TOKEN, RECOVERY_CODE)
            );
            call!(
                "mfa_challenge",
                auth.mfa_challenge(MFA_TOKEN, &MfaChallenge::new())
            );
            call!(
                "mfa_associate",
                auth.mfa_associate(MFA_TOKEN, &MfaAssociate::otp())
            );
            call!(
                "device_code",
                auth.grant(
                    "urn:ietf:params:oauth:grant-type:device_code",
                    &[("device_code", DEVICE_CODE)]
                )
            );
            call!(
                "token_exchange",
                auth.token_exchange(&TokenExchange::new(SUBJECT_TOKEN, "urn:acme:legacy"))
            );
            call!(
                "access_token_for_connection",
                auth.access_token_for_connection(&ConnectionTokenExchange::from_refresh_token(
                    REFRESH_TOKEN,
                    "google-oauth2"
                ))
            );
            call!("userinfo", auth.userinfo(ACCESS_TOKEN));
            call!("revoke", auth.revoke_refresh_token(REFRESH_TOKEN));
            call!("back_channel_token", auth.back_channel_token(AUTH_REQ_ID));
            call!(
                "signup",
                auth.signup(&Signup::new("alice@example.com", PASSWORD, "db"))
            );
        }
        // The assertions the private_key_jwt client signed are secrets too.
        let assertions: Vec<String> = server
            .requests()
            .iter()
            .filter_map(|r| {
                let text = String::from_utf8_lossy(&r.body).into_owned();
                let start = text.find("eyJ")?;
                let jwt: String = text[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                    .collect();
                (jwt.matches('.').count() == 2 && jwt.len() > 60).then_some(jwt)
            })
            .collect();
        assert!(assertions.len() >= 10, "{mode:?}: assertions sent");
        for (what, err) in &results {
            let text = shown(err);
            for secret in all_secrets {
                assert_absent(&text, secret, &format!("{what} {mode:?}"));
            }
            for assertion in &assertions {
                // Any 20 characters of the signature part would do; the
                // whole value and its signature must both be absent.
                assert_absent(&text, assertion, &format!("{what} {mode:?} assertion"));
                let signature = assertion.rsplit('.').next().unwrap();
                assert_absent(&text, signature, &format!("{what} {mode:?} signature"));
            }
        }
        errors += results.len();
    }
    // 18 calls × 2 clients × 4 echo modes, less the 200s whose body is unused.
    assert!(errors >= 4 * 2 * 18 - 2, "{errors}");
    let logs = capture.text();
    assert!(
        logs.contains("span auth0.request") && logs.contains("retrying request"),
        "the capture works: {logs}"
    );
    for secret in all_secrets {
        assert_absent(&logs, secret, "TRACE capture");
    }
}
