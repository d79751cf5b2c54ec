//! Native passkeys against `auth0_local::LocalTenant`, through the public
//! API: a signup challenge, the WebAuthn token exchange creating the user,
//! a login challenge answered with the same credential, and the refusals.
//! The tenant checks the credential's structure and challenge, not its
//! signature (see auth0-local's `passkey` module), so the authenticator is
//! played here with well-formed, unsigned answers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use auth0_authentication::passkey::{
    PasskeyChallenge, PasskeyCredential, PasskeyGrant, PasskeyLogin, PasskeySignup,
};
use auth0_authentication::{AuthenticationClient, ClientAuthentication};
use auth0_core::retry::RetryPolicy;
use auth0_jwt::jws::{Jws, ParseOptions};
use auth0_local::LocalTenant;
use base64::Engine as _;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn client(
    tenant: &LocalTenant,
    client_id: &str,
    auth: ClientAuthentication,
) -> AuthenticationClient {
    let config = tenant
        .client_config()
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    AuthenticationClient::builder(auth0_core::Auth0Client::new(config).unwrap(), client_id)
        .client_authentication(auth)
        .build()
        .unwrap()
}

/// What a platform authenticator would send back for `challenge`.
fn client_data(kind: &str, challenge: &PasskeyChallenge) -> String {
    b64(serde_json::json!({
        "type": kind,
        "challenge": challenge.challenge().unwrap(),
        "origin": "https://localhost",
    })
    .to_string()
    .as_bytes())
}

fn sub(token: &str) -> String {
    Jws::parse(token, &ParseOptions::default())
        .unwrap()
        .claims()["sub"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn passkey_signup_then_login() {
    let tenant = LocalTenant::builder().start().await.unwrap();
    let native = tenant.applications().native.client_id().to_owned();
    let auth = client(&tenant, &native, ClientAuthentication::None);
    let users = tenant.user_count();

    // Signup: the options for navigator.credentials.create().
    let challenge = auth
        .passkey_register_challenge(&PasskeySignup::email("kim@example.com").name("Kim"))
        .await
        .unwrap();
    assert!(!challenge.auth_session().is_empty());
    assert!(!format!("{challenge:?}").contains(challenge.auth_session()));
    assert_eq!(challenge.rp_id(), Some("127.0.0.1"));
    assert_eq!(
        challenge.authn_params_public_key["user"]["name"],
        "kim@example.com"
    );
    let credential = PasskeyCredential::attestation(
        "cred-kim-1",
        client_data("webauthn.create", &challenge),
        b64(b"attestation object"),
    );
    let tokens = auth
        .passkey_token(&PasskeyGrant::new(&challenge, credential).scope("openid profile email"))
        .await
        .unwrap();
    let user_id = sub(tokens.id_token.as_deref().unwrap());
    assert_eq!(tenant.user_count(), users + 1);
    assert_eq!(
        tenant.user_record(&user_id).unwrap()["email"],
        "kim@example.com"
    );

    // What went on the wire: auth-js' field names.
    let sent = tenant.requests_to("/oauth/token");
    let body = sent.last().unwrap().json().unwrap();
    assert_eq!(
        body["grant_type"],
        "urn:okta:params:oauth:grant-type:webauthn"
    );
    assert_eq!(body["auth_session"], challenge.auth_session());
    assert_eq!(body["authn_response"]["rawId"], "cred-kim-1");
    assert_eq!(body["client_id"], native.as_str());

    // The session is single use.
    let again = PasskeyCredential::attestation(
        "cred-kim-2",
        client_data("webauthn.create", &challenge),
        b64(b"attestation object"),
    );
    let err = auth
        .passkey_token(&PasskeyGrant::new(&challenge, again))
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("invalid_grant"));

    // Login with the same credential.
    let challenge = auth
        .passkey_login_challenge(&PasskeyLogin::new())
        .await
        .unwrap();
    assert_eq!(challenge.rp_id(), Some("127.0.0.1"));
    let assertion = PasskeyCredential::assertion(
        "cred-kim-1",
        client_data("webauthn.get", &challenge),
        b64(b"authenticator data"),
        b64(b"signature"),
        None,
    );
    let tokens = auth
        .passkey_token(&PasskeyGrant::new(&challenge, assertion))
        .await
        .unwrap();
    assert_eq!(sub(&tokens.access_token), user_id);
}

#[tokio::test]
async fn passkey_refusals_are_typed() {
    let tenant = LocalTenant::builder().start().await.unwrap();
    let native = tenant.applications().native.client_id().to_owned();
    let auth = client(&tenant, &native, ClientAuthentication::None);

    // An existing user cannot sign up again.
    let err = auth
        .passkey_register_challenge(&PasskeySignup::email(tenant.user().email.clone()))
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("invalid_signup"));

    // A login answered for another challenge, or with an unknown passkey.
    let challenge = auth
        .passkey_login_challenge(&PasskeyLogin::new())
        .await
        .unwrap();
    let other = auth
        .passkey_login_challenge(&PasskeyLogin::new())
        .await
        .unwrap();
    let wrong_challenge = PasskeyCredential::assertion(
        "cred-x",
        client_data("webauthn.get", &other),
        b64(b"ad"),
        b64(b"sig"),
        None,
    );
    let err = auth
        .passkey_token(&PasskeyGrant::new(&challenge, wrong_challenge))
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("invalid_grant"));
    let unknown = PasskeyCredential::assertion(
        "cred-nobody",
        client_data("webauthn.get", &other),
        b64(b"ad"),
        b64(b"sig"),
        None,
    );
    let err = auth
        .passkey_token(&PasskeyGrant::new(&other, unknown))
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("invalid_grant"));

    // A signup with no profile is refused before sending.
    let err = auth
        .passkey_register_challenge(&PasskeySignup::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, auth0_core::Error::InvalidRequest { .. }),
        "{err:?}"
    );

    // An application without the passkey grant.
    let web = &tenant.applications().web;
    let web_auth = client(
        &tenant,
        web.client_id(),
        ClientAuthentication::ClientSecret(web.client_secret().unwrap().to_owned()),
    );
    let err = web_auth
        .passkey_login_challenge(&PasskeyLogin::new())
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("unauthorized_client"));
}
