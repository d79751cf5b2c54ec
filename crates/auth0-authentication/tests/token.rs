//! Token grants against an in-process Authentication API: exact request
//! bodies, client authentication, error mapping and retry behaviour.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashSet;
use std::time::Duration;

use auth0_authentication::client_auth::CLIENT_ASSERTION_TYPE;
use auth0_authentication::{
    AuthenticationClient, BuildError, ClientAuthentication, PasswordLogin, PasswordlessLogin,
    TokenExchange,
};
use auth0_core::Error;
use auth0_jwt::jws::{Jws, ParseOptions};
use auth0_jwt::{Algorithm, SigningKey, VerifyingKey};
use support::{
    Clients as _, LocalTenant, Sent as _, TOKEN_JSON, expect, json, scripted, strings, text,
};

async fn token_server() -> LocalTenant {
    scripted(vec![json(200, TOKEN_JSON)]).await
}

#[tokio::test]
async fn client_credentials_sends_the_python_sdk_body() {
    let server = token_server().await;
    let auth = server.secret_client();
    let token = auth
        .client_credentials("https://api.example.com/", None)
        .await
        .unwrap();
    assert_eq!(token.access_token, "at-SECRET");
    assert_eq!(token.id_token.as_deref(), Some("idt-SECRET"));
    assert_eq!(token.refresh_token.as_deref(), Some("rt-SECRET"));
    assert_eq!(token.token_type, "Bearer");
    assert_eq!(token.expires_in, Some(86400));
    assert_eq!(token.scope.as_deref(), Some("openid profile"));

    let req = server.only_request();
    assert_eq!(req.method, http::Method::POST);
    assert_eq!(req.uri.path(), "/oauth/token");
    // RFC 6749 §4.4.2: the client-credentials request is form-encoded
    // (auth0-python's fields, one shared path with auth0-management).
    assert_eq!(
        req.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        strings(&req.fields()),
        expect(&[
            ("grant_type", "client_credentials"),
            ("client_id", "client-123"),
            ("client_secret", "shh-SECRET"),
            ("audience", "https://api.example.com/"),
        ])
    );
}

#[tokio::test]
async fn client_credentials_with_organization() {
    let server = token_server().await;
    server
        .secret_client()
        .client_credentials("https://api.example.com/", Some("org_abc"))
        .await
        .unwrap();
    let body = server.only_request().fields();
    assert_eq!(body["organization"], "org_abc");
    assert_eq!(body.len(), 5);
}

#[tokio::test]
async fn authorization_code_bodies() {
    let server = token_server().await;
    let auth = server.secret_client();
    auth.authorization_code("code-1", Some("https://app.example.com/cb"))
        .await
        .unwrap();
    auth.authorization_code("code-2", None).await.unwrap();
    let reqs = server.requests();
    assert_eq!(
        strings(&reqs[0].json_object()),
        expect(&[
            ("grant_type", "authorization_code"),
            ("client_id", "client-123"),
            ("client_secret", "shh-SECRET"),
            ("code", "code-1"),
            ("redirect_uri", "https://app.example.com/cb"),
        ])
    );
    assert_eq!(
        strings(&reqs[1].json_object()),
        expect(&[
            ("grant_type", "authorization_code"),
            ("client_id", "client-123"),
            ("client_secret", "shh-SECRET"),
            ("code", "code-2"),
        ])
    );
}

#[tokio::test]
async fn authorization_code_pkce_sends_the_verifier_and_the_secret() {
    // A confidential client authenticates whether or not it uses PKCE, as
    // auth0-auth-js does (Auth0 refuses its exchange otherwise).
    let server = token_server().await;
    server
        .secret_client()
        .authorization_code_pkce("verifier-xyz", "code-1", Some("myapp://cb"))
        .await
        .unwrap();
    assert_eq!(
        strings(&server.only_request().json_object()),
        expect(&[
            ("grant_type", "authorization_code"),
            ("client_id", "client-123"),
            ("client_secret", "shh-SECRET"),
            ("code_verifier", "verifier-xyz"),
            ("code", "code-1"),
            ("redirect_uri", "myapp://cb"),
        ])
    );
}

#[tokio::test]
async fn password_realm_login_with_forwarded_for() {
    let server = token_server().await;
    let login = PasswordLogin::new("alice@example.com", "pw-SECRET")
        .realm("Username-Password-Authentication")
        .scope("openid profile")
        .audience("https://api.example.com/")
        .forwarded_for("203.0.113.7");
    server.secret_client().login(&login).await.unwrap();
    let req = server.only_request();
    assert_eq!(req.headers["auth0-forwarded-for"], "203.0.113.7");
    assert_eq!(
        strings(&req.json_object()),
        expect(&[
            (
                "grant_type",
                "http://auth0.com/oauth/grant-type/password-realm"
            ),
            ("client_id", "client-123"),
            ("client_secret", "shh-SECRET"),
            ("username", "alice@example.com"),
            ("password", "pw-SECRET"),
            ("realm", "Username-Password-Authentication"),
            ("scope", "openid profile"),
            ("audience", "https://api.example.com/"),
        ])
    );
}

#[tokio::test]
async fn login_without_options_sends_no_header_and_no_nulls() {
    let server = token_server().await;
    server
        .secret_client()
        .login(&PasswordLogin::new("bob", "pw"))
        .await
        .unwrap();
    let req = server.only_request();
    assert!(req.headers.get("auth0-forwarded-for").is_none());
    assert_eq!(
        strings(&req.json_object()),
        expect(&[
            (
                "grant_type",
                "http://auth0.com/oauth/grant-type/password-realm"
            ),
            ("client_id", "client-123"),
            ("client_secret", "shh-SECRET"),
            ("username", "bob"),
            ("password", "pw"),
        ])
    );
}

#[tokio::test]
async fn forwarded_for_that_is_not_a_header_value_is_refused_before_sending() {
    let server = token_server().await;
    let err = server
        .secret_client()
        .login(&PasswordLogin::new("bob", "pw").forwarded_for("1.2.3.4\r\nx: y"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn refresh_token_bodies() {
    let server = token_server().await;
    let auth = server.secret_client();
    auth.refresh_token("rt-1", Some("openid")).await.unwrap();
    auth.refresh_token("rt-2", None).await.unwrap();
    let reqs = server.requests();
    assert_eq!(
        strings(&reqs[0].json_object()),
        expect(&[
            ("grant_type", "refresh_token"),
            ("client_id", "client-123"),
            ("client_secret", "shh-SECRET"),
            ("refresh_token", "rt-1"),
            ("scope", "openid"),
        ])
    );
    assert!(!reqs[1].json_object().contains_key("scope"));
}

#[tokio::test]
async fn passwordless_login_body() {
    let server = token_server().await;
    let login = PasswordlessLogin::new("+15555550100", "123456", "sms")
        .scope("openid")
        .audience("https://api.example.com/");
    server
        .secret_client()
        .passwordless_login(&login)
        .await
        .unwrap();
    assert_eq!(
        strings(&server.only_request().json_object()),
        expect(&[
            (
                "grant_type",
                "http://auth0.com/oauth/grant-type/passwordless/otp"
            ),
            ("client_id", "client-123"),
            ("client_secret", "shh-SECRET"),
            ("username", "+15555550100"),
            ("otp", "123456"),
            ("realm", "sms"),
            ("scope", "openid"),
            ("audience", "https://api.example.com/"),
        ])
    );
}

#[tokio::test]
async fn token_exchange_body() {
    let server = scripted(vec![json(
        200,
        r#"{"access_token":"a","token_type":"Bearer","issued_token_type":"urn:ietf:params:oauth:token-type:access_token"}"#,
    )])
    .await;
    let t = server
        .secret_client()
        .token_exchange(
            &TokenExchange::new("ext-token", "urn:acme:legacy")
                .audience("https://api.example.com/")
                .scope("openid"),
        )
        .await
        .unwrap();
    assert_eq!(
        t.issued_token_type.as_deref(),
        Some("urn:ietf:params:oauth:token-type:access_token")
    );
    assert_eq!(
        strings(&server.only_request().json_object()),
        expect(&[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange"
            ),
            ("client_id", "client-123"),
            ("client_secret", "shh-SECRET"),
            ("subject_token", "ext-token"),
            ("subject_token_type", "urn:acme:legacy"),
            ("audience", "https://api.example.com/"),
            ("scope", "openid"),
        ])
    );
}

#[tokio::test]
async fn public_client_sends_no_client_authentication() {
    let server = token_server().await;
    let auth = AuthenticationClient::builder(server.core(), "spa-client")
        .build()
        .unwrap();
    auth.refresh_token("rt", None).await.unwrap();
    let body = server.only_request().json_object();
    for field in ["client_secret", "client_assertion", "client_assertion_type"] {
        assert!(!body.contains_key(field), "{field} sent");
    }
    assert_eq!(body["client_id"], "spa-client");
}

/// Checks one `private_key_jwt` request and returns the assertion's `jti`.
fn check_assertion(
    req: &support::Recorded,
    key: &VerifyingKey,
    alg: Algorithm,
    kid: Option<&str>,
    aud: &str,
) -> String {
    let body = req.fields();
    assert!(
        !body.contains_key("client_secret"),
        "client_secret sent with private_key_jwt"
    );
    assert_eq!(body["client_assertion_type"], CLIENT_ASSERTION_TYPE);
    let jwt = body["client_assertion"].as_str().unwrap();
    let jws = Jws::parse(jwt, &ParseOptions::default()).unwrap();
    assert_eq!(jws.header().alg, alg.as_str());
    assert_eq!(jws.header().kid.as_deref(), kid);
    key.verify(alg, jws.signing_input(), jws.signature())
        .expect("assertion signature verifies");
    let claims = jws.claims();
    assert_eq!(claims["iss"], "client-123");
    assert_eq!(claims["sub"], "client-123");
    assert_eq!(claims["aud"], aud);
    let iat = claims["iat"].as_u64().unwrap();
    let exp = claims["exp"].as_u64().unwrap();
    assert_eq!(exp - iat, 180);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(iat.abs_diff(now) <= 5, "iat {iat} is not now ({now})");
    let jti = claims["jti"].as_str().unwrap().to_owned();
    assert_eq!(jti.len(), 36, "jti is a UUID: {jti}");
    jti
}

#[tokio::test]
async fn private_key_jwt_es256_assertion_is_signed_fresh_per_request() {
    let server = token_server().await;
    let key = SigningKey::generate_es256().unwrap().with_kid("kid-1");
    let verifying = key.verifying_key().unwrap();
    let auth = AuthenticationClient::builder(server.core(), "client-123")
        .private_key_jwt(key)
        .build()
        .unwrap();
    auth.client_credentials("https://api.example.com/", None)
        .await
        .unwrap();
    auth.refresh_token("rt", None).await.unwrap();
    auth.login(&PasswordLogin::new("u", "p")).await.unwrap();

    let aud = format!("{}/", server.base_url());
    let mut jtis = HashSet::new();
    for req in server.requests() {
        let jti = check_assertion(&req, &verifying, Algorithm::ES256, Some("kid-1"), &aud);
        assert!(jtis.insert(jti), "jti reused");
    }
    assert_eq!(jtis.len(), 3);
    let first = &server.requests()[0].fields();
    assert_eq!(first["grant_type"], "client_credentials");
    assert_eq!(first["audience"], "https://api.example.com/");
    assert_eq!(first["client_id"], "client-123");
}

#[tokio::test]
async fn private_key_jwt_rsa_pem_rs256_and_ps256() {
    let pem = include_str!("fixtures/rsa2048_pkcs1_test_only.pem");
    for alg in [Algorithm::RS256, Algorithm::PS256] {
        let server = token_server().await;
        let key = SigningKey::from_pem(pem, alg).unwrap();
        let verifying = key.verifying_key().unwrap();
        let auth = AuthenticationClient::builder(server.core(), "client-123")
            .client_secret("ignored-SECRET")
            .client_authentication(ClientAuthentication::PrivateKeyJwt(Box::new(key)))
            .build()
            .unwrap();
        auth.client_credentials("https://api.example.com/", None)
            .await
            .unwrap();
        let aud = format!("{}/", server.base_url());
        check_assertion(&server.only_request(), &verifying, alg, None, &aud);
    }
}

#[tokio::test]
async fn assertion_lifetime_is_configurable() {
    let server = token_server().await;
    let auth = AuthenticationClient::builder(server.core(), "client-123")
        .private_key_jwt(SigningKey::generate_es256().unwrap())
        .assertion_lifetime(Duration::from_secs(60))
        .build()
        .unwrap();
    auth.client_credentials("a", None).await.unwrap();
    let body = server.only_request().fields();
    let jws = Jws::parse(
        body["client_assertion"].as_str().unwrap(),
        &ParseOptions::default(),
    )
    .unwrap();
    let c = jws.claims();
    assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 60);
}

#[tokio::test]
async fn builder_rejects_bad_settings() {
    let server = token_server().await;
    let err = AuthenticationClient::builder(server.core(), "")
        .build()
        .unwrap_err();
    assert_eq!(err, BuildError::EmptyClientId);
    let err = AuthenticationClient::builder(server.core(), "c")
        .client_secret("")
        .build()
        .unwrap_err();
    assert_eq!(err, BuildError::EmptyClientSecret);
    let hmac = SigningKey::hmac(Algorithm::HS256, b"0123456789abcdef0123456789abcdef").unwrap();
    let err = AuthenticationClient::builder(server.core(), "c")
        .private_key_jwt(hmac)
        .build()
        .unwrap_err();
    assert_eq!(err, BuildError::SymmetricAssertionKey { alg: "HS256" });
    for secs in [0, 601] {
        let err = AuthenticationClient::builder(server.core(), "c")
            .private_key_jwt(SigningKey::generate_es256().unwrap())
            .assertion_lifetime(Duration::from_secs(secs))
            .build()
            .unwrap_err();
        assert_eq!(err, BuildError::InvalidAssertionLifetime { secs });
    }
}

#[tokio::test]
async fn mfa_required_surfaces_the_mfa_token() {
    let server = scripted(vec![json(
        403,
        r#"{"error":"mfa_required","error_description":"Multifactor authentication required","mfa_token":"mfa-SECRET"}"#,
    )])
    .await;
    let err = server
        .secret_client()
        .login(&PasswordLogin::new("u", "p"))
        .await
        .unwrap_err();
    let Error::MfaRequired(mfa) = &err else {
        panic!("expected MfaRequired, got {err:?}");
    };
    assert_eq!(mfa.mfa_token(), "mfa-SECRET");
    assert_eq!(err.error_code(), Some("mfa_required"));
    assert!(!format!("{err:?}").contains("mfa-SECRET"));
    assert!(!err.to_string().contains("mfa-SECRET"));
}

#[tokio::test]
async fn invalid_grant_is_an_api_error_with_code_and_description() {
    let server = scripted(vec![json(
        401,
        r#"{"error":"invalid_grant","error_description":"Wrong email or password."}"#,
    )])
    .await;
    let err = server
        .secret_client()
        .login(&PasswordLogin::new("u", "p"))
        .await
        .unwrap_err();
    let Error::Api(api) = &err else {
        panic!("expected Api, got {err:?}");
    };
    assert_eq!(api.status_code, 401);
    assert_eq!(api.error_code, "invalid_grant");
    assert_eq!(api.message, "Wrong email or password.");
}

#[tokio::test]
async fn token_post_answered_503_is_not_retried() {
    // A refresh token may be rotated (and its reuse revoke the family) once
    // Auth0 processed the request: never resent.
    let server = scripted(vec![
        json(503, r#"{"error":"temporarily_unavailable"}"#).with_header("retry-after", "0"),
        json(200, TOKEN_JSON),
    ])
    .await;
    let err = server
        .secret_client()
        .refresh_token("rt-1", None)
        .await
        .unwrap_err();
    assert_eq!(
        err.status_code(),
        Some(http::StatusCode::SERVICE_UNAVAILABLE)
    );
    assert_eq!(server.request_count(), 1, "a grant must not be sent twice");
    // Nor is an authorization code.
    let server = scripted(vec![
        json(503, r#"{"error":"temporarily_unavailable"}"#).with_header("retry-after", "0"),
        json(200, TOKEN_JSON),
    ])
    .await;
    let err = server
        .secret_client()
        .authorization_code("code-1", Some("https://app/cb"))
        .await
        .unwrap_err();
    assert_eq!(
        err.status_code(),
        Some(http::StatusCode::SERVICE_UNAVAILABLE)
    );
    assert_eq!(server.request_count(), 1, "a code must not be sent twice");
}

#[tokio::test]
async fn client_credentials_answered_503_is_retried() {
    // Asking again only issues another token.
    let server = scripted(vec![
        json(503, r#"{"error":"temporarily_unavailable"}"#).with_header("retry-after", "0"),
        json(200, TOKEN_JSON),
    ])
    .await;
    let token = server
        .secret_client()
        .client_credentials("a", None)
        .await
        .unwrap();
    assert_eq!(token.access_token, "at-SECRET");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].body, reqs[1].body, "the same request again");
}

#[tokio::test]
async fn token_post_answered_429_is_retried() {
    let server = scripted(vec![
        json(429, r#"{"error":"too_many_requests"}"#).with_header("retry-after", "0"),
        json(200, TOKEN_JSON),
    ])
    .await;
    let token = server
        .secret_client()
        .client_credentials("a", None)
        .await
        .unwrap();
    assert_eq!(token.access_token, "at-SECRET");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        reqs[0].body, reqs[1].body,
        "the retry resends the same body"
    );
}

#[tokio::test]
async fn a_body_that_is_not_a_token_is_a_decode_error() {
    let server = scripted(vec![text(200, "<html>proxy login</html>")]).await;
    let err = server
        .secret_client()
        .client_credentials("a", None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn debug_output_redacts_secrets() {
    let server = token_server().await;
    let auth = server.secret_client();
    let token = auth.client_credentials("a", None).await.unwrap();
    let shown = format!("{token:?} {auth:?}");
    for secret in ["at-SECRET", "idt-SECRET", "rt-SECRET", "shh-SECRET"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(shown.contains("client-123"));

    let pem = include_str!("fixtures/rsa2048_pkcs1_test_only.pem");
    let key = SigningKey::from_pem(pem, Algorithm::RS256).unwrap();
    let auth = AuthenticationClient::builder(server.core(), "c")
        .private_key_jwt(key)
        .build()
        .unwrap();
    let shown = format!("{auth:?}");
    assert!(!shown.contains("PRIVATE KEY") && !shown.contains(&pem[40..80]));
    assert!(shown.contains("RS256"));
}

#[tokio::test]
async fn user_layers_on_the_core_client_apply_to_token_requests() {
    use auth0_core::types::HttpRequest;
    use tower::util::MapRequestLayer;

    let server = token_server().await;
    let config = auth0_core::ClientConfig::builder()
        .domain(server.base_url())
        .allow_insecure_loopback(true)
        .build()
        .unwrap();
    let core = auth0_core::Auth0Client::builder(config)
        .with_layer(MapRequestLayer::new(|mut req: HttpRequest| {
            req.headers_mut()
                .insert("x-tenant-region", http::HeaderValue::from_static("eu"));
            req
        }))
        .build()
        .unwrap();
    let auth = AuthenticationClient::builder(core, "client-123")
        .client_secret("s")
        .build()
        .unwrap();
    auth.client_credentials("a", None).await.unwrap();
    assert_eq!(server.only_request().headers["x-tenant-region"], "eu");
}

#[test]
fn new_rejects_an_invalid_domain() {
    let err = AuthenticationClient::new(
        "https://tenant.auth0.com/some/path",
        "c",
        ClientAuthentication::None,
    )
    .unwrap_err();
    assert!(
        matches!(err, auth0_authentication::NewClientError::Http(_)),
        "{err:?}"
    );
    let err =
        AuthenticationClient::new("tenant.auth0.com", "", ClientAuthentication::None).unwrap_err();
    assert!(matches!(
        err,
        auth0_authentication::NewClientError::Build(BuildError::EmptyClientId)
    ));
}

// ---- Token Vault (federated connection access token) and the generic grant ----

const CONNECTION_TOKEN_JSON: &str = r#"{"access_token":"google-at-SECRET","scope":"https://www.googleapis.com/auth/calendar","issued_token_type":"http://auth0.com/oauth/token-type/federated-connection-access-token","token_type":"Bearer","expires_in":3599}"#;

#[tokio::test]
async fn access_token_for_connection_sends_the_python_sdk_body() {
    use auth0_authentication::ConnectionTokenExchange;

    let server = scripted(vec![json(200, CONNECTION_TOKEN_JSON)]).await;
    let token = server
        .secret_client()
        .access_token_for_connection(&ConnectionTokenExchange::from_refresh_token(
            "rt-SECRET",
            "google-oauth2",
        ))
        .await
        .unwrap();
    assert_eq!(token.access_token, "google-at-SECRET");
    assert_eq!(token.expires_in, Some(3599));
    assert_eq!(
        token.scope.as_deref(),
        Some("https://www.googleapis.com/auth/calendar")
    );
    assert_eq!(
        token.issued_token_type.as_deref(),
        Some("http://auth0.com/oauth/token-type/federated-connection-access-token")
    );
    assert_eq!(token.id_token, None);
    assert!(!format!("{token:?}").contains("google-at-SECRET"));

    let req = server.only_request();
    assert_eq!(req.method, http::Method::POST);
    assert_eq!(req.uri.path(), "/oauth/token");
    assert_eq!(
        strings(&req.json_object()),
        expect(&[
            (
                "grant_type",
                "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token"
            ),
            ("client_id", "client-123"),
            ("client_secret", "shh-SECRET"),
            ("subject_token", "rt-SECRET"),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:refresh_token"
            ),
            (
                "requested_token_type",
                "http://auth0.com/oauth/token-type/federated-connection-access-token"
            ),
            ("connection", "google-oauth2"),
        ])
    );
}

#[tokio::test]
async fn access_token_for_connection_from_an_access_token_with_login_hint() {
    use auth0_authentication::ConnectionTokenExchange;
    use auth0_authentication::token::{
        TOKEN_TYPE_ACCESS_TOKEN, TOKEN_TYPE_FEDERATED_CONNECTION_ACCESS_TOKEN,
    };

    let server = scripted(vec![json(200, CONNECTION_TOKEN_JSON)]).await;
    let auth = server.secret_client();
    let exchange =
        ConnectionTokenExchange::from_access_token("at-SECRET", "github").login_hint("octocat");
    auth.access_token_for_connection(&exchange).await.unwrap();
    let custom = ConnectionTokenExchange::new("x-SECRET", "urn:acme:custom", "slack")
        .requested_token_type("urn:acme:requested");
    auth.access_token_for_connection(&custom).await.unwrap();

    let reqs = server.requests();
    let first = reqs[0].json_object();
    assert_eq!(first["subject_token"], "at-SECRET");
    assert_eq!(first["subject_token_type"], TOKEN_TYPE_ACCESS_TOKEN);
    assert_eq!(
        first["requested_token_type"],
        TOKEN_TYPE_FEDERATED_CONNECTION_ACCESS_TOKEN
    );
    assert_eq!(first["connection"], "github");
    assert_eq!(first["login_hint"], "octocat");
    let second = reqs[1].json_object();
    assert_eq!(second["subject_token_type"], "urn:acme:custom");
    assert_eq!(second["requested_token_type"], "urn:acme:requested");
    assert_eq!(second["connection"], "slack");
    assert!(!second.contains_key("login_hint"));
    for shown in [format!("{exchange:?}"), format!("{custom:?}")] {
        assert!(!shown.contains("SECRET"), "{shown}");
    }
}

#[tokio::test]
async fn access_token_for_connection_uses_private_key_jwt() {
    use auth0_authentication::ConnectionTokenExchange;

    let server = scripted(vec![json(200, CONNECTION_TOKEN_JSON)]).await;
    let key = SigningKey::generate_es256().unwrap();
    let verifying = key.verifying_key().unwrap();
    let auth = AuthenticationClient::builder(server.core(), "client-123")
        .private_key_jwt(key)
        .build()
        .unwrap();
    auth.access_token_for_connection(&ConnectionTokenExchange::from_refresh_token(
        "rt",
        "google-oauth2",
    ))
    .await
    .unwrap();
    let aud = format!("{}/", server.base_url());
    check_assertion(
        &server.only_request(),
        &verifying,
        Algorithm::ES256,
        None,
        &aud,
    );
}

#[tokio::test]
async fn access_token_for_connection_needs_client_authentication() {
    use auth0_authentication::ConnectionTokenExchange;

    let server = scripted(vec![json(200, CONNECTION_TOKEN_JSON)]).await;
    let public = AuthenticationClient::builder(server.core(), "spa")
        .build()
        .unwrap();
    let err = public
        .access_token_for_connection(&ConnectionTokenExchange::from_refresh_token(
            "rt-SECRET",
            "google-oauth2",
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    assert!(err.to_string().contains("client authentication"), "{err}");
    assert!(!format!("{err:?}").contains("rt-SECRET"));
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn access_token_for_connection_errors_are_typed() {
    use auth0_authentication::ConnectionTokenExchange;

    let server = scripted(vec![json(
        401,
        r#"{"error":"federated_connection_refresh_token_not_found","error_description":"Federated connection Refresh Token not found."}"#,
    )])
    .await;
    let err = server
        .secret_client()
        .access_token_for_connection(&ConnectionTokenExchange::from_refresh_token(
            "rt",
            "google-oauth2",
        ))
        .await
        .unwrap_err();
    assert_eq!(
        err.error_code(),
        Some("federated_connection_refresh_token_not_found")
    );
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn generic_grant_adds_client_id_and_authentication() {
    let server = token_server().await;
    let token = server
        .secret_client()
        .grant(
            "urn:ietf:params:oauth:grant-type:device_code",
            &[("device_code", "Ag_EE")],
        )
        .await
        .unwrap();
    assert_eq!(token.access_token, "at-SECRET");
    assert_eq!(
        strings(&server.only_request().json_object()),
        expect(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", "client-123"),
            ("client_secret", "shh-SECRET"),
            ("device_code", "Ag_EE"),
        ])
    );
}

#[tokio::test]
async fn generic_grant_refuses_reserved_duplicate_and_empty_parameters() {
    let server = token_server().await;
    let auth = server.secret_client();
    let cases: [(&str, &[(&str, &str)]); 6] = [
        ("", &[]),
        ("g", &[("grant_type", "password")]),
        ("g", &[("client_id", "other")]),
        ("g", &[("client_secret", "x")]),
        ("g", &[("a", "1"), ("a", "2")]),
        ("g", &[("", "1")]),
    ];
    for (grant_type, params) in cases {
        let err = auth.grant(grant_type, params).await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidRequest { .. }),
            "{grant_type} {params:?}: {err:?}"
        );
    }
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn rich_authorization_details_are_decoded() {
    let server = scripted(vec![json(
        200,
        r#"{"access_token":"at-SECRET","token_type":"Bearer","expires_in":60,"authorization_details":[{"type":"payment_initiation","amount":"50.00","currency":"EUR"}]}"#,
    )])
    .await;
    let token = server
        .secret_client()
        .back_channel_token("req-1")
        .await
        .unwrap();
    let details = token.authorization_details.as_ref().unwrap();
    assert_eq!(details[0]["type"], "payment_initiation");
    assert_eq!(details[0]["currency"], "EUR");
    let shown = format!("{token:?}");
    assert!(shown.contains("payment_initiation") && !shown.contains("at-SECRET"));
}

#[tokio::test]
async fn client_secret_basic_form_encodes_id_and_secret_into_the_header() {
    use base64::Engine as _;
    let server = token_server().await;
    // RFC 6749 §2.3.1: each part form-urlencoded before joining with ':'.
    let auth = AuthenticationClient::builder(server.core(), "client:1 é")
        .client_secret_basic("s3cr3t:+/ %=SECRET")
        .build()
        .unwrap();
    auth.authorization_code("code-1", None).await.unwrap();
    let req = server.only_request();
    let header = req.headers["authorization"].to_str().unwrap();
    let encoded = header.strip_prefix("Basic ").unwrap();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    assert_eq!(
        String::from_utf8(decoded).unwrap(),
        "client%3A1+%C3%A9:s3cr3t%3A%2B%2F+%25%3DSECRET"
    );
    // One authentication method per request: nothing of it in the body.
    let body = req.fields();
    for field in ["client_id", "client_secret", "client_assertion"] {
        assert!(!body.contains_key(field), "{field} sent");
    }
    assert!(!format!("{auth:?}").contains("SECRET"));
}

#[tokio::test]
async fn token_exchange_sends_requested_type_and_actor() {
    use auth0_authentication::token::TOKEN_TYPE_ACCESS_TOKEN;
    let server = token_server().await;
    let exchange = TokenExchange::new("subject-SECRET", "urn:acme:legacy")
        .requested_token_type(TOKEN_TYPE_ACCESS_TOKEN)
        .actor_token("actor-SECRET", "urn:ietf:params:oauth:token-type:jwt");
    assert!(!format!("{exchange:?}").contains("SECRET"));
    server
        .secret_client()
        .token_exchange(&exchange)
        .await
        .unwrap();
    assert_eq!(
        strings(&server.only_request().fields()),
        expect(&[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange"
            ),
            ("client_id", "client-123"),
            ("client_secret", "shh-SECRET"),
            ("subject_token", "subject-SECRET"),
            ("subject_token_type", "urn:acme:legacy"),
            ("requested_token_type", TOKEN_TYPE_ACCESS_TOKEN),
            ("actor_token", "actor-SECRET"),
            ("actor_token_type", "urn:ietf:params:oauth:token-type:jwt"),
        ])
    );
}

#[tokio::test]
async fn revoke_token_sends_the_type_hint() {
    let server = token_server().await;
    server
        .secret_client()
        .revoke_token("rt-1", Some("refresh_token"))
        .await
        .unwrap();
    let body = server.only_request().fields();
    assert_eq!(body["token"], "rt-1");
    assert_eq!(body["token_type_hint"], "refresh_token");
}
