//! The local tenant through its public API, the way its users call it: the
//! SDK's own clients over HTTPS with the tenant's CA, plus raw requests where
//! a test needs to see the wire.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, SystemTime};

use auth0_authentication::{
    AuthorizeUrl, PasswordLogin, PasswordlessLogin, PasswordlessSend, Pkce, Signup,
};
use auth0_core::retry::RetryPolicy;
use auth0_jwt::alg::Algorithm;
use auth0_jwt::id_token::{TokenVerifier, VerifyOptions};
use auth0_jwt::sign::SigningKey;
use auth0_jwt::verifier::{AsymmetricSignatureVerifier, StaticKeys};
use auth0_local::{DATABASE_CONNECTION, Fault, LocalTenant, NewUser, RateLimit};
use auth0_management::api::{ConnectionsListParams, UsersGetParams, UsersListParams};
use auth0_management::models::{
    CreateUserRequestContent, ListUsersResponseContent, UpdateUserRequestContent,
};
use bytes::Bytes;
use http::{Request, StatusCode, header};
use serde_json::{Value, json};
use support::wire::{management_token, raw_client};

const CALLBACK: &str = "http://localhost:3000/callback";

async fn tenant() -> LocalTenant {
    LocalTenant::builder().start().await.unwrap()
}

async fn jwks_verifier(tenant: &LocalTenant) -> TokenVerifier {
    let client = tenant.client().unwrap();
    let jwks = client
        .get_json::<Value>("/.well-known/jwks.json")
        .await
        .unwrap()
        .data;
    let keys = StaticKeys::from_jwks_json(&jwks.to_string()).unwrap();
    TokenVerifier::new(
        AsymmetricSignatureVerifier::new(keys)
            .with_algorithm(tenant.algorithm())
            .unwrap(),
        tenant.issuer().to_owned(),
        tenant.applications().web.client_id().to_owned(),
    )
    .unwrap()
}

#[tokio::test]
async fn discovery_names_an_https_issuer_and_rs256() {
    let tenant = tenant().await;
    assert!(tenant.is_https());
    assert!(tenant.issuer().starts_with("https://127.0.0.1:"));
    assert_eq!(tenant.algorithm(), Algorithm::RS256);
    assert!(
        tenant
            .ca_certificate_pem()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    let client = tenant.client().unwrap();
    let discovery = client
        .get_json::<Value>("/.well-known/openid-configuration")
        .await
        .unwrap()
        .data;
    assert_eq!(discovery["issuer"], tenant.issuer());
    assert_eq!(
        discovery["jwks_uri"],
        format!("{}.well-known/jwks.json", tenant.issuer())
    );
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"][0],
        "RS256"
    );
    let jwks = client
        .get_json::<Value>("/.well-known/jwks.json")
        .await
        .unwrap()
        .data;
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
    assert_eq!(jwks["keys"][0]["use"], "sig");

    // A client that does not trust the tenant's CA cannot talk to it.
    let untrusting = auth0_core::Auth0Client::new(
        auth0_core::ClientConfig::builder()
            .domain(tenant.domain())
            .retry_policy(RetryPolicy::disabled())
            .build()
            .unwrap(),
    )
    .unwrap();
    assert!(
        untrusting
            .get_json::<Value>("/.well-known/jwks.json")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn plain_http_mode_for_loopback_clients() {
    let tenant = LocalTenant::builder().plain_http().start().await.unwrap();
    assert!(!tenant.is_https());
    assert!(tenant.issuer().starts_with("http://127.0.0.1:"));
    assert!(tenant.ca_certificate_pem().is_none());
    let auth = tenant.authentication_client().unwrap();
    let token = auth
        .client_credentials(tenant.api_audience(), None)
        .await
        .unwrap();
    assert_eq!(token.token_type, "Bearer");
}

#[tokio::test]
async fn client_credentials_by_secret_and_private_key_jwt_with_jti_replay_refused() {
    let tenant = tenant().await;
    // Secret, through the ready-wired client.
    let auth = tenant.authentication_client().unwrap();
    let token = auth
        .client_credentials(&tenant.management_audience(), None)
        .await
        .unwrap();
    assert!(token.access_token.len() > 100);

    // A wrong secret: Auth0's 401 access_denied.
    let wrong = auth0_authentication::AuthenticationClient::builder(
        tenant.client().unwrap(),
        tenant.applications().machine.client_id(),
    )
    .client_secret("not-the-secret")
    .build()
    .unwrap();
    let err = wrong
        .client_credentials(tenant.api_audience(), None)
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(err.error_code(), Some("access_denied"));

    // private_key_jwt with the application's registered key.
    let app = &tenant.applications().machine_jwt;
    let key = SigningKey::rsa_pem(app.private_key_pem().unwrap(), Algorithm::RS256).unwrap();
    let jwt_auth = auth0_authentication::AuthenticationClient::builder(
        tenant.client().unwrap(),
        app.client_id(),
    )
    .private_key_jwt(key)
    .build()
    .unwrap();
    for _ in 0..2 {
        jwt_auth
            .client_credentials(tenant.api_audience(), None)
            .await
            .unwrap();
    }
    // The same assertion twice: the second is a replay.
    let key = SigningKey::rsa_pem(app.private_key_pem().unwrap(), Algorithm::RS256).unwrap();
    let assertion = auth0_authentication::client_auth::client_assertion(
        &key,
        app.client_id(),
        tenant.issuer(),
        Duration::from_secs(60),
        SystemTime::now(),
    )
    .unwrap();
    let client = raw_client(&tenant);
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", app.client_id()),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion.as_str()),
        ("audience", tenant.api_audience()),
    ];
    client
        .post_form::<Value>("/oauth/token", &form)
        .await
        .unwrap();
    let err = client
        .post_form::<Value>("/oauth/token", &form)
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(err.error_code(), Some("invalid_client"));

    // An audience without a client grant is refused as Auth0 does.
    let err = auth
        .client_credentials("https://not-an-api.test/", None)
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::FORBIDDEN));
    assert_eq!(err.error_code(), Some("access_denied"));
}

#[tokio::test]
async fn password_login_gives_an_id_token_that_verifies() {
    let tenant = tenant().await;
    let auth = tenant.authentication_client().unwrap();
    let user = tenant.user();
    let tokens = auth
        .login(&PasswordLogin::new(&user.email, &user.password).scope("openid profile email"))
        .await
        .unwrap();
    let claims = jwks_verifier(&tenant)
        .await
        .verify(tokens.id_token.as_deref().unwrap(), &VerifyOptions::new())
        .await
        .unwrap();
    assert_eq!(claims.sub(), Some(user.user_id.as_str()));
    let me = auth.userinfo(&tokens.access_token).await.unwrap();
    assert_eq!(me.sub, user.user_id);

    let err = auth
        .login(&PasswordLogin::new(&user.email, "wrong password"))
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("invalid_grant"));
}

/// As Auth0 grants them (RBAC off): the OIDC scopes and the permissions the
/// API defines; any other requested scope is dropped, not echoed into the
/// token (a scope of control characters and credentials once made a 29 KB
/// token, found by the `routes` fuzz target: `finding-2`).
#[tokio::test]
async fn a_user_login_is_granted_only_the_scopes_the_api_defines() {
    let tenant = tenant().await;
    let auth = tenant.authentication_client().unwrap();
    let user = tenant.user();
    let requested = "openid read:messages delete:everything \u{c}\u{c}junk read:messages\u{0}";
    let tokens = auth
        .login(&PasswordLogin::new(&user.email, &user.password).scope(requested))
        .await
        .unwrap();
    assert_eq!(tokens.scope.as_deref(), Some("openid read:messages"));
    let access = auth0_jwt::jws::Jws::parse(&tokens.access_token, &Default::default()).unwrap();
    assert_eq!(access.claims()["scope"], "openid read:messages");
    // The ID token still comes with `openid`.
    assert!(tokens.id_token.is_some());
}

#[tokio::test]
async fn authorization_code_with_pkce_then_refresh_rotation_and_revocation() {
    let tenant = tenant().await;
    let client = tenant.client().unwrap();
    let auth = tenant.authentication_client().unwrap();
    let web = tenant.applications().web.client_id();
    let pkce = Pkce::generate().unwrap();
    let url = AuthorizeUrl::new(client.domain(), web)
        .redirect_uri(CALLBACK)
        .state("st")
        .nonce("n-1")
        .scope("openid profile offline_access")
        .organization("acme")
        .pkce(&pkce)
        .build()
        .unwrap();
    let back = tenant.follow_authorize(&client, &url).await.unwrap();
    assert_eq!(back["state"], "st");

    // A wrong verifier fails and uses the code up.
    let wrong = Pkce::generate().unwrap();
    let err = auth
        .authorization_code_pkce(wrong.verifier(), &back["code"], Some(CALLBACK))
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("invalid_grant"));
    let err = auth
        .authorization_code_pkce(pkce.verifier(), &back["code"], Some(CALLBACK))
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("invalid_grant"));

    let back = tenant.follow_authorize(&client, &url).await.unwrap();
    let tokens = auth
        .authorization_code_pkce(pkce.verifier(), &back["code"], Some(CALLBACK))
        .await
        .unwrap();
    let claims = jwks_verifier(&tenant)
        .await
        .verify(
            tokens.id_token.as_deref().unwrap(),
            &VerifyOptions::new().nonce("n-1").organization("org_abc"),
        )
        .await
        .unwrap();
    assert_eq!(claims.org_name(), Some("acme"));

    // Rotation: each refresh token works once; reuse revokes the family.
    let first = tokens.refresh_token.unwrap();
    let second = auth
        .refresh_token(&first, None)
        .await
        .unwrap()
        .refresh_token
        .unwrap();
    assert_ne!(first, second);
    let err = auth.refresh_token(&first, None).await.unwrap_err();
    assert_eq!(err.error_code(), Some("invalid_grant"));
    let err = auth.refresh_token(&second, None).await.unwrap_err();
    assert_eq!(err.error_code(), Some("invalid_grant"));

    // Revocation of a fresh family.
    let back = tenant.follow_authorize(&client, &url).await.unwrap();
    let fresh = auth
        .authorization_code_pkce(pkce.verifier(), &back["code"], Some(CALLBACK))
        .await
        .unwrap()
        .refresh_token
        .unwrap();
    auth.revoke_refresh_token(&fresh).await.unwrap();
    assert!(auth.refresh_token(&fresh, None).await.is_err());

    // An unknown organization comes back on the redirect.
    let unknown = AuthorizeUrl::new(client.domain(), web)
        .redirect_uri(CALLBACK)
        .organization("org_unknown")
        .build()
        .unwrap();
    let back = tenant.follow_authorize(&client, &unknown).await.unwrap();
    assert_eq!(back["error"], "invalid_request");
}

#[tokio::test]
async fn invitations_log_the_invited_user_in() {
    let tenant = tenant().await;
    let sam = tenant
        .add_user(NewUser::new("sam@example.com", "a long passphrase"))
        .unwrap();
    let invitation = tenant.invite("acme", "sam@example.com").unwrap();
    assert!(tenant.invite("nope", "sam@example.com").is_err());
    let client = tenant.client().unwrap();
    let url = AuthorizeUrl::new(client.domain(), tenant.applications().web.client_id())
        .redirect_uri(CALLBACK)
        .organization("org_abc")
        .invitation(invitation.as_str())
        .build()
        .unwrap();
    let back = tenant.follow_authorize(&client, &url).await.unwrap();
    let tokens = tenant
        .authentication_client()
        .unwrap()
        .authorization_code(&back["code"], Some(CALLBACK))
        .await
        .unwrap();
    let claims = jwks_verifier(&tenant)
        .await
        .verify(tokens.id_token.as_deref().unwrap(), &VerifyOptions::new())
        .await
        .unwrap();
    assert_eq!(claims.sub(), Some(sam.as_str()));
}

#[tokio::test]
async fn login_page_when_auto_login_is_off() {
    let tenant = LocalTenant::builder()
        .auto_login(false)
        .start()
        .await
        .unwrap();
    let client = raw_client(&tenant);
    let url = AuthorizeUrl::new(client.domain(), tenant.applications().web.client_id())
        .redirect_uri(CALLBACK)
        .state("<s>")
        .build()
        .unwrap();
    let page = client
        .send(Request::get(url.as_str()).body(Bytes::new()).unwrap())
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = String::from_utf8_lossy(page.body()).into_owned();
    assert!(html.contains("not a production identity provider"));
    assert!(html.contains("value=\"&lt;s&gt;\""), "state is escaped");
    let user = tenant.user();
    let mut form = String::new();
    for (name, value) in [
        ("client_id", tenant.applications().web.client_id()),
        ("redirect_uri", CALLBACK),
        ("response_type", "code"),
        ("state", "<s>"),
        ("username", user.email.as_str()),
        ("password", user.password.as_str()),
    ] {
        if !form.is_empty() {
            form.push('&');
        }
        form.push_str(name);
        form.push('=');
        auth0_core::client::percent_encode_into(&mut form, value);
    }
    let answer = client
        .send(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Bytes::from(form))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::FOUND);
    let back = auth0_local::redirect_params(answer.headers()[header::LOCATION].to_str().unwrap());
    assert!(back.contains_key("code"));
    assert_eq!(back["state"], "<s>");
}

/// Auth0's bounds on profile text (`name`/`nickname` ≤ 300 characters,
/// `given_name`/`family_name` ≤ 150, `username` ≤ 128, none empty) hold on
/// every way in: Management create and update, signup; so no ID token with
/// `profile` outgrows what validators take.
#[tokio::test]
async fn profile_text_keeps_auth0s_length_limits() {
    let tenant = tenant().await;
    let management = tenant.management_client().unwrap();
    let users = management.users();
    let new_user = |email: &str| {
        CreateUserRequestContent::new(DATABASE_CONNECTION)
            .email(email)
            .password("a long passphrase")
    };
    let at_limit = users
        .create(&new_user("max@example.com").name("n".repeat(300)))
        .await
        .unwrap();
    assert_eq!(at_limit.name.as_deref().map(str::len), Some(300));
    let err = users
        .create(&new_user("long@example.com").name("n".repeat(301)))
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::BAD_REQUEST));
    assert_eq!(
        err.auth0_error().unwrap().message,
        "Payload validation error: 'String is too long (301 chars), maximum 300' on property name."
    );
    // Counted in UTF-16 units, as Auth0 (JavaScript) counts: 76 × "𝄞" is 152.
    let id = at_limit.user_id.unwrap();
    let err = users
        .update(
            &id,
            &UpdateUserRequestContent::new().given_name("𝄞".repeat(76)),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.auth0_error().unwrap().message,
        "Payload validation error: 'String is too long (152 chars), maximum 150' on property given_name."
    );
    let err = users
        .update(&id, &UpdateUserRequestContent::new().nickname(""))
        .await
        .unwrap_err();
    assert_eq!(
        err.auth0_error().unwrap().message,
        "Payload validation error: 'String is too short (0 chars), minimum 1' on property nickname."
    );
    users
        .update(
            &id,
            &UpdateUserRequestContent::new().family_name("f".repeat(150)),
        )
        .await
        .unwrap();

    let auth = tenant.authentication_client().unwrap();
    let err = auth
        .signup(
            &Signup::new("sign@example.com", "a long passphrase", DATABASE_CONNECTION)
                .username("u".repeat(129)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("invalid_signup"));
    assert_eq!(
        err.auth0_error().unwrap().message,
        "String is too long (129 chars), maximum 128 on property username"
    );
}

#[tokio::test]
async fn signup_change_password_and_passwordless() {
    let tenant = tenant().await;
    let auth = tenant.authentication_client().unwrap();
    let created = auth
        .signup(&Signup::new(
            "new@example.com",
            "a long passphrase",
            DATABASE_CONNECTION,
        ))
        .await
        .unwrap();
    assert_eq!(created.email.as_deref(), Some("new@example.com"));
    let err = auth
        .signup(&Signup::new(
            "new@example.com",
            "a long passphrase",
            DATABASE_CONNECTION,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::BAD_REQUEST));
    auth.login(&PasswordLogin::new("new@example.com", "a long passphrase"))
        .await
        .unwrap();
    let message = auth
        .change_password("new@example.com", DATABASE_CONNECTION, None)
        .await
        .unwrap();
    assert!(message.contains("reset your password"));

    auth.passwordless_email("otp@example.com", PasswordlessSend::Code, None)
        .await
        .unwrap();
    let code = tenant.passwordless_code("otp@example.com").unwrap();
    let err = auth
        .passwordless_login(&PasswordlessLogin::new(
            "otp@example.com",
            "000000x",
            "email",
        ))
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("invalid_grant"));
    let tokens = auth
        .passwordless_login(
            &PasswordlessLogin::new("otp@example.com", &code, "email").scope("openid email"),
        )
        .await
        .unwrap();
    assert!(tokens.id_token.is_some());
    // Phone-number users: two of them, each signed up on first login.
    for phone in ["+15550001", "+15550002"] {
        auth.passwordless_sms(phone).await.unwrap();
        let code = tenant.passwordless_code(phone).unwrap();
        auth.passwordless_login(&PasswordlessLogin::new(phone, &code, "sms"))
            .await
            .unwrap();
    }
    // The code is used up.
    assert!(
        auth.passwordless_login(&PasswordlessLogin::new("otp@example.com", &code, "email"))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn mfa_login_needs_the_code() {
    let tenant = LocalTenant::builder()
        .mfa_otp("123456")
        .start()
        .await
        .unwrap();
    let auth = tenant.authentication_client().unwrap();
    let user = tenant.user();
    let Err(auth0_core::Error::MfaRequired(mfa)) = auth
        .login(&PasswordLogin::new(&user.email, &user.password).scope("openid"))
        .await
    else {
        panic!("no mfa_required")
    };
    assert_eq!(
        auth.mfa_authenticators(mfa.mfa_token())
            .await
            .unwrap()
            .len(),
        1
    );
    let err = auth.mfa_otp(mfa.mfa_token(), "654321").await.unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::FORBIDDEN));
    let tokens = auth.mfa_otp(mfa.mfa_token(), "123456").await.unwrap();
    assert!(tokens.id_token.is_some());
    assert!(auth.mfa_otp(mfa.mfa_token(), "123456").await.is_err());

    // The recovery code finishes a login too, once, and the answer carries
    // the next one.
    let Err(auth0_core::Error::MfaRequired(mfa)) = auth
        .login(&PasswordLogin::new(&user.email, &user.password))
        .await
    else {
        panic!("no mfa_required")
    };
    let code = tenant.mfa_recovery_code().unwrap();
    assert_eq!(code.len(), 24);
    let err = auth
        .mfa_recovery_code(mfa.mfa_token(), "WRONGCODE")
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("invalid_grant"));
    let tokens = auth
        .mfa_recovery_code(mfa.mfa_token(), &code)
        .await
        .unwrap();
    let next = tokens.recovery_code.clone().unwrap();
    assert_ne!(next, code);
    assert_eq!(tenant.mfa_recovery_code(), Some(next));
}

#[tokio::test]
async fn key_rotation_keeps_old_tokens_valid_until_the_old_key_is_dropped() {
    let tenant = tenant().await;
    let auth = tenant.authentication_client().unwrap();
    let old_kid = tenant.signing_key_ids()[0].clone();
    let old = auth
        .client_credentials(&tenant.management_audience(), None)
        .await
        .unwrap()
        .access_token;
    let new_kid = tenant.rotate_signing_key().unwrap();
    assert_eq!(tenant.signing_key_ids(), vec![new_kid.clone(), old_kid]);
    let client = raw_client(&tenant);
    let users = |token: String| {
        let client = client.clone();
        async move {
            client
                .send(
                    Request::get("/api/v2/users")
                        .header(header::AUTHORIZATION, format!("Bearer {token}"))
                        .body(Bytes::new())
                        .unwrap(),
                )
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(users(old.clone()).await, StatusCode::OK);
    let fresh = auth
        .client_credentials(&tenant.management_audience(), None)
        .await
        .unwrap()
        .access_token;
    let header = auth0_jwt::jws::Jws::parse(&fresh, &Default::default())
        .unwrap()
        .kid()
        .map(str::to_owned);
    assert_eq!(header.as_deref(), Some(new_kid.as_str()));
    tenant.drop_retired_keys();
    assert_eq!(tenant.signing_key_ids(), vec![new_kid]);
    assert_eq!(users(old).await, StatusCode::UNAUTHORIZED);
    assert_eq!(users(fresh).await, StatusCode::OK);
}

#[tokio::test]
async fn management_users_crud_search_and_paging_window() {
    let tenant = tenant().await;
    let management = tenant.management_client().unwrap();
    let created = management
        .users()
        .create(
            &CreateUserRequestContent::new(DATABASE_CONNECTION)
                .email("ada@example.com")
                .password("a long passphrase")
                .name("Ada"),
        )
        .await
        .unwrap();
    let id = created.user_id.clone().unwrap();
    let err = management
        .users()
        .create(
            &CreateUserRequestContent::new(DATABASE_CONNECTION)
                .email("ada@example.com")
                .password("a long passphrase"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::CONFLICT));
    let mut metadata = serde_json::Map::new();
    metadata.insert("plan".into(), json!("pro"));
    let updated = management
        .users()
        .update(
            &id,
            &UpdateUserRequestContent::new().user_metadata(metadata),
        )
        .await
        .unwrap();
    assert_eq!(updated.user_metadata.as_ref().unwrap()["plan"], "pro");
    // The new password works for a login.
    management
        .users()
        .update(
            &id,
            &UpdateUserRequestContent::new().password("another long passphrase"),
        )
        .await
        .unwrap();
    tenant
        .authentication_client()
        .unwrap()
        .login(&PasswordLogin::new(
            "ada@example.com",
            "another long passphrase",
        ))
        .await
        .unwrap();

    let found = management
        .users()
        .list_pager(UsersListParams::new().q("user_metadata.plan:pro"))
        .next_page()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.total, Some(1));
    assert_eq!(found.items[0].user_id.as_deref(), Some(id.as_str()));
    let by_email = management
        .users()
        .list_by_email("ADA@example.com")
        .await
        .unwrap();
    assert_eq!(by_email.len(), 1);

    management.users().delete(&id).await.unwrap();
    let err = management
        .users()
        .get(&id, &UsersGetParams::new())
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::NOT_FOUND));

    // Auth0 pages through the first 1,000 results only.
    for i in 0..1_001 {
        tenant
            .add_user(NewUser::new(format!("u{i}@bulk.test"), "a long passphrase"))
            .unwrap();
    }
    let last = management
        .users()
        .list(
            &UsersListParams::new()
                .page(9)
                .per_page(100)
                .include_totals(true),
        )
        .await
        .unwrap();
    let ListUsersResponseContent::Offset(last) = last else {
        panic!("include_totals answers a page object: {last:?}");
    };
    assert_eq!(last.users.as_ref().map(Vec::len), Some(100));
    assert_eq!(last.total, Some(1_000.0));
    let err = management
        .users()
        .list(&UsersListParams::new().page(10).per_page(100))
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::BAD_REQUEST));
    let err = management
        .users()
        .list(&UsersListParams::new().per_page(101))
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::BAD_REQUEST));
}

#[tokio::test]
async fn management_collections_scopes_and_unemulated_operations() {
    let tenant = tenant().await;
    let management = tenant.management_client().unwrap();
    let connections = management
        .connections()
        .list_checkpoint_pager(ConnectionsListParams::new())
        .collect_all(100)
        .await
        .unwrap();
    assert!(
        connections
            .iter()
            .any(|c| c.name.as_deref() == Some(DATABASE_CONNECTION))
    );

    let client = raw_client(&tenant);
    let token = management_token(&tenant).await;
    let call = |method: &str, path: &str, token: &str, body: Option<Value>| {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(Bytes::from(body.map(|b| b.to_string()).unwrap_or_default()))
            .unwrap();
        let client = client.clone();
        async move {
            let response = client.send(request).await.unwrap();
            let status = response.status();
            let body: Value = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
            (status, body)
        }
    };
    let (status, role) = call(
        "POST",
        "/api/v2/roles",
        &token,
        Some(json!({ "name": "editor", "description": "Edits" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let role_id = role["id"].as_str().unwrap().to_owned();
    // Bodies are checked against the vendored API description.
    let (status, body) = call(
        "POST",
        "/api/v2/roles",
        &token,
        Some(json!({ "name": "x", "colour": "red" })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        "Payload validation error: 'Additional properties not allowed: colour'."
    );
    let (status, _) = call(
        "POST",
        "/api/v2/roles",
        &token,
        Some(json!({ "name": "editor" })),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, role) = call(
        "PATCH",
        &format!("/api/v2/roles/{role_id}"),
        &token,
        Some(json!({ "description": "Writes" })),
    )
    .await;
    assert_eq!(
        (status, &role["description"]),
        (StatusCode::OK, &json!("Writes"))
    );
    let (status, page) = call("GET", "/api/v2/roles?include_totals=true", &token, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 2);
    let (status, _) = call("DELETE", &format!("/api/v2/roles/{role_id}"), &token, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, grants) = call(
        "GET",
        &format!(
            "/api/v2/client-grants?client_id={}",
            tenant.applications().machine.client_id()
        ),
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(grants.as_array().unwrap().len(), 2);

    let (status, body) = call("GET", "/api/v2/log-streams", &token, None).await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED);
    assert_eq!(
        body["message"],
        "auth0-local does not emulate logStreams_list (GET /api/v2/log-streams)"
    );
    let (status, body) = call("GET", "/api/v2/roles/rol_1/groups", &token, None).await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("/roles/{id}/groups")
    );
    let (status, _) = call("GET", "/api/v2/no-such-resource", &token, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A token for another API is not a Management token; a narrower grant
    // lacks scopes.
    let api = tenant
        .authentication_client()
        .unwrap()
        .client_credentials(tenant.api_audience(), None)
        .await
        .unwrap()
        .access_token;
    let (status, _) = call("GET", "/api/v2/users", &api, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let narrow = client
        .post_form::<Value>(
            "/oauth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", tenant.applications().machine.client_id()),
                (
                    "client_secret",
                    tenant.applications().machine.client_secret().unwrap(),
                ),
                ("audience", &tenant.management_audience()),
                ("scope", "read:users"),
            ],
        )
        .await
        .unwrap()
        .data;
    assert_eq!(narrow["scope"], "read:users");
    let narrow = narrow["access_token"].as_str().unwrap();
    let (status, body) = call("DELETE", "/api/v2/users/auth0%7Cx", narrow, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["errorCode"], "insufficient_scope");
}

#[tokio::test]
async fn faults_and_rate_limits() {
    let tenant = tenant().await;
    let management = tenant.management_client().unwrap();
    management
        .users()
        .list(&UsersListParams::new())
        .await
        .unwrap();

    // A 503 on a GET is retried by the SDK's stack and the call succeeds.
    tenant.inject(Fault::status(503).on_path("/api/v2/users"));
    management
        .users()
        .list(&UsersListParams::new())
        .await
        .unwrap();
    assert_eq!(tenant.pending_faults(), 0);

    // Without retries the client sees the fault itself.
    let client = raw_client(&tenant);
    tenant.inject(Fault::status(500).on_path("/.well-known/"));
    let err = client
        .get_json::<Value>("/.well-known/jwks.json")
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(StatusCode::INTERNAL_SERVER_ERROR));
    tenant.inject(Fault::drop_connection());
    assert!(
        client
            .get_json::<Value>("/.well-known/jwks.json")
            .await
            .unwrap_err()
            .status_code()
            .is_none()
    );
    client
        .get_json::<Value>("/.well-known/jwks.json")
        .await
        .unwrap();

    // A scripted answer.
    tenant.inject(
        Fault::reply(418, json!({ "error": "teapot" }))
            .with_header("x-custom", "1")
            .on_path("/userinfo"),
    );
    let scripted = client
        .send(Request::get("/userinfo").body(Bytes::new()).unwrap())
        .await
        .unwrap();
    assert_eq!(scripted.status().as_u16(), 418);
    assert_eq!(scripted.headers()["x-custom"], "1");
    assert_eq!(scripted.body().as_ref(), br#"{"error":"teapot"}"#);

    // Auth0's headers on every limited answer; 429 past the budget.
    tenant.set_rate_limit(RateLimit::new(2, Duration::from_secs(60)));
    let first = client
        .send(Request::get("/userinfo").body(Bytes::new()).unwrap())
        .await
        .unwrap();
    assert_eq!(first.headers()["x-ratelimit-limit"], "2");
    assert_eq!(first.headers()["x-ratelimit-remaining"], "1");
    let reset: u64 = first.headers()["x-ratelimit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(reset > 1_700_000_000);
    client
        .send(Request::get("/userinfo").body(Bytes::new()).unwrap())
        .await
        .unwrap();
    let limited = client
        .send(Request::get("/userinfo").body(Bytes::new()).unwrap())
        .await
        .unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()["x-ratelimit-remaining"], "0");
    let body: Value = serde_json::from_slice(limited.body()).unwrap();
    assert_eq!(body["error"], "too_many_requests");
}

#[tokio::test]
async fn unemulated_authentication_endpoints_answer_501() {
    let tenant = tenant().await;
    let client = raw_client(&tenant);
    // PAR and CIBA are emulated (tests/emulation.rs); SAML and WS-Fed not.
    for path in ["/samlp/metadata/local-web-app", "/wsfed/local-web-app"] {
        let response = client
            .send(
                Request::builder()
                    .method("GET")
                    .uri(path)
                    .body(Bytes::new())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_IMPLEMENTED, "{path}");
        let body: Value = serde_json::from_slice(response.body()).unwrap();
        assert!(body["error_description"].as_str().unwrap().contains(path));
    }
}

#[tokio::test]
async fn form_post_response_mode_and_oidc_logout() {
    let tenant = tenant().await;
    let client = raw_client(&tenant);
    let url = AuthorizeUrl::new(client.domain(), tenant.applications().web.client_id())
        .redirect_uri(CALLBACK)
        .state("s1")
        .param("response_mode", "form_post")
        .build()
        .unwrap();
    let page = client
        .send(Request::get(url.as_str()).body(Bytes::new()).unwrap())
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = String::from_utf8_lossy(page.body()).into_owned();
    assert!(html.contains(&format!("action=\"{CALLBACK}\"")));
    assert!(html.contains("name=\"code\""));
    assert!(html.contains("name=\"state\" value=\"s1\""));

    let logout = client
        .send(
            Request::get(
                "/oidc/logout?client_id=local-web-app&post_logout_redirect_uri=http%3A%2F%2Flocalhost%2Fbye&state=x%20y",
            )
            .body(Bytes::new())
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::FOUND);
    assert_eq!(
        logout.headers()[header::LOCATION],
        "http://localhost/bye?state=x%20y"
    );
}

#[tokio::test]
async fn access_token_lifetime_is_the_apis() {
    let tenant = LocalTenant::builder()
        .access_token_lifetime(Duration::from_secs(90))
        .start()
        .await
        .unwrap();
    let auth = tenant.authentication_client().unwrap();
    let machine = auth
        .client_credentials(&tenant.management_audience(), None)
        .await
        .unwrap();
    assert_eq!(machine.expires_in, Some(90));
    let user = tenant.user();
    let login = auth
        .login(&PasswordLogin::new(&user.email, &user.password))
        .await
        .unwrap();
    assert_eq!(login.expires_in, Some(90));
    let claims = auth0_jwt::jws::Jws::parse(&login.access_token, &Default::default())
        .unwrap()
        .claims()
        .clone();
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        90
    );
}

#[tokio::test]
async fn the_mtls_alias_is_recognised_over_http2() {
    use auth0_authentication::client_auth::discover_mtls_endpoint_base;
    use auth0_authentication::{AuthenticationClient, ClientAuthentication};
    use auth0_core::config::ClientCertificate;

    let tenant = LocalTenant::builder()
        .mtls(true)
        .http2(true)
        .start()
        .await
        .unwrap();
    let pem = tenant.issue_client_certificate("h2-service").unwrap();
    let client_id = tenant
        .register_mtls_client(
            "H2 service",
            auth0_local::MtlsCredential::SubjectDn(pem.subject_dn.clone()),
        )
        .unwrap();
    let config = tenant
        .client_config()
        .retry_policy(RetryPolicy::disabled())
        .client_certificate(
            ClientCertificate::from_pem(&pem.certificate_pem, &pem.private_key_pem).unwrap(),
        )
        .build()
        .unwrap();
    let http = auth0_core::Auth0Client::new(config.clone()).unwrap();
    let base = discover_mtls_endpoint_base(&http).await.unwrap().unwrap();
    let auth = AuthenticationClient::builder(http, client_id.as_str())
        .client_authentication(ClientAuthentication::TlsClientAuth)
        .mtls_endpoint_base(base)
        .build()
        .unwrap();
    tenant.take_requests();
    let token = auth
        .client_credentials(tenant.api_audience(), None)
        .await
        .unwrap();

    // Sent over HTTP/2 to the alias: the host is in `:authority`, and no
    // `Host` header says it.
    let sent = tenant.requests_to("/oauth/token");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].version, http::Version::HTTP_2);
    assert_eq!(
        sent[0].uri.authority().map(|a| a.as_str().to_owned()),
        Some(format!("localhost:{}", tenant.addr().port()))
    );
    assert_eq!(sent[0].header("host"), None);
    // Authenticated by the certificate: the token is bound to it.
    let jws = auth0_jwt::jws::Jws::parse(
        &token.access_token,
        &auth0_jwt::jws::ParseOptions::default(),
    )
    .unwrap();
    assert!(
        jws.claims()["cnf"]["x5t#S256"].is_string(),
        "{:?}",
        jws.claims()
    );

    // The same grant sent to the issuer's host (not the alias), also over
    // HTTP/2 with the certificate, is refused: the alias is told by host.
    let http = auth0_core::Auth0Client::new(config).unwrap();
    let body = format!(
        "grant_type=client_credentials&client_id={client_id}&audience={}",
        tenant.api_audience()
    );
    let request = Request::post("/oauth/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Bytes::from(body))
        .unwrap();
    let refused = http.send(request).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let error: Value = serde_json::from_slice(refused.body()).unwrap();
    assert_eq!(error["error"], "invalid_client");
    let sent = tenant.requests_to("/oauth/token");
    assert_eq!(sent.last().unwrap().version, http::Version::HTTP_2);
}

/// An application set to HS256 in the Management API (`jwt_configuration.alg`,
/// Auth0's "JSON Web Token Signature Algorithm") gets ID tokens signed with
/// its client secret, as Auth0 signs them: `SymmetricSignatureVerifier`
/// with the secret accepts them, the tenant's public keys do not, and the
/// access token stays signed by the tenant. Such an ID token is a valid
/// `id_token_hint` at logout; a token signed with another secret is not.
#[tokio::test]
async fn an_hs256_application_gets_id_tokens_signed_with_its_client_secret() {
    use auth0_jwt::verifier::SymmetricSignatureVerifier;
    use auth0_management::models::{
        ClientJwtConfiguration, SigningAlgorithmEnum, UpdateClientRequestContent,
    };

    let tenant = tenant().await;
    let web = &tenant.applications().web;
    let secret = web.client_secret().unwrap().to_owned();
    let auth0 = tenant.management_client().unwrap();
    let body = UpdateClientRequestContent::new()
        .jwt_configuration(ClientJwtConfiguration::new().alg(SigningAlgorithmEnum::Hs256));
    auth0
        .clients()
        .update(web.client_id(), &body)
        .await
        .unwrap();

    let auth = tenant.authentication_client().unwrap();
    let user = tenant.user();
    let tokens = auth
        .login(&PasswordLogin::new(&user.email, &user.password).scope("openid profile"))
        .await
        .unwrap();
    let id_token = tokens.id_token.as_deref().unwrap();
    let hs256 = TokenVerifier::new(
        SymmetricSignatureVerifier::new(secret.as_bytes()).unwrap(),
        tenant.issuer().to_owned(),
        web.client_id().to_owned(),
    )
    .unwrap();
    let claims = hs256.verify(id_token, &VerifyOptions::new()).await.unwrap();
    assert_eq!(claims.sub(), Some(user.user_id.as_str()));
    assert!(
        jwks_verifier(&tenant)
            .await
            .verify(id_token, &VerifyOptions::new())
            .await
            .is_err()
    );
    // The access token is the API's, signed by the tenant as before.
    let me = auth.userinfo(&tokens.access_token).await.unwrap();
    assert_eq!(me.sub, user.user_id);

    let client = raw_client(&tenant);
    let logout = |hint: String| {
        let client = client.clone();
        let client_id = web.client_id().to_owned();
        async move {
            let uri = format!("/oidc/logout?id_token_hint={hint}&client_id={client_id}");
            client
                .send(Request::get(uri).body(Bytes::new()).unwrap())
                .await
                .map(|r| r.status())
                .unwrap_or_else(|e| e.status_code().unwrap())
        }
    };
    assert_eq!(logout(id_token.to_owned()).await, StatusCode::OK);
    // The same claims signed with another secret: refused.
    let forged = SigningKey::hmac(Algorithm::HS256, b"another-secret-of-32-bytes-000000")
        .unwrap()
        .sign_token(&Default::default(), &claims_of(id_token))
        .unwrap();
    assert_eq!(logout(forged).await, StatusCode::BAD_REQUEST);
}

/// The claims of a compact JWS, unverified.
fn claims_of(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}
