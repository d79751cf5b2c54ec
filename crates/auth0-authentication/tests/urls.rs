//! `/authorize` and `/v2/logout` URL building, and PKCE: pure, no I/O.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use auth0_authentication::{
    AuthenticationClient, AuthorizeUrl, AuthorizeUrlError, LogoutUrl, Pkce,
};
use auth0_core::config::Domain;
use auth0_core::{Auth0Client, ClientConfig};

fn domain() -> Domain {
    Domain::parse("tenant.auth0.com").unwrap()
}

const BASE: &str = "https://tenant.auth0.com/authorize?response_type=code&client_id=cid";

#[test]
fn rfc7636_appendix_b_vector() {
    let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
    assert_eq!(
        pkce.challenge(),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}

#[test]
fn generated_pkce_is_rfc7636_shaped() {
    for _ in 0..50 {
        let pkce = Pkce::generate().unwrap();
        let v = pkce.verifier();
        assert!((43..=128).contains(&v.len()));
        assert!(
            v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
        );
        // The challenge recomputes from the verifier.
        assert_eq!(
            Pkce::from_verifier(v).unwrap().challenge(),
            pkce.challenge()
        );
        assert_eq!(pkce.challenge().len(), 43);
    }
}

#[test]
fn encoding_table() {
    let cases: Vec<(AuthorizeUrl, String)> = vec![
        (
            AuthorizeUrl::new(&domain(), "cid"),
            format!("{BASE}&scope=openid"),
        ),
        (
            AuthorizeUrl::new(&domain(), "cid")
                .organization("org_abc")
                .redirect_uri("http://localhost"),
            format!("{BASE}&redirect_uri=http%3A%2F%2Flocalhost&scope=openid&organization=org_abc"),
        ),
        (
            AuthorizeUrl::new(&domain(), "cid")
                .redirect_uri("http://localhost")
                .organization("org_abc")
                .invitation("invitation_123"),
            format!(
                "{BASE}&redirect_uri=http%3A%2F%2Flocalhost&scope=openid&organization=org_abc&invitation=invitation_123"
            ),
        ),
        (
            AuthorizeUrl::new(&domain(), "cid")
                .scope("openid profile email offline_access")
                .state("a+b/c=d&e")
                .audience("https://api.example.com/v1?x=y")
                .connection("google-oauth2")
                .prompt("login")
                .nonce("n~1.2_3-4"),
            format!(
                "{BASE}&scope=openid%20profile%20email%20offline_access&state=a%2Bb%2Fc%3Dd%26e\
                 &audience=https%3A%2F%2Fapi.example.com%2Fv1%3Fx%3Dy&connection=google-oauth2\
                 &prompt=login&nonce=n~1.2_3-4"
            ),
        ),
        (
            AuthorizeUrl::new(&domain(), "cid")
                .response_type("id_token token")
                .state("é ✓")
                .param("ui_locales", "fr-CA en")
                .param("screen_hint", "signup"),
            "https://tenant.auth0.com/authorize?response_type=id_token%20token&client_id=cid\
             &scope=openid&state=%C3%A9%20%E2%9C%93&ui_locales=fr-CA%20en&screen_hint=signup"
                .to_owned(),
        ),
        (
            AuthorizeUrl::new(&domain(), "cid")
                .pkce(&Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap()),
            format!(
                "{BASE}&scope=openid&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
            ),
        ),
    ];
    for (builder, expected) in cases {
        assert_eq!(builder.build().unwrap(), expected);
    }
}

#[test]
fn authorize_url_errors() {
    assert_eq!(
        AuthorizeUrl::new(&domain(), "cid")
            .invitation("inv")
            .build(),
        Err(AuthorizeUrlError::InvitationWithoutOrganization)
    );
    assert_eq!(
        AuthorizeUrl::new(&domain(), "cid")
            .param("scope", "x")
            .build(),
        Err(AuthorizeUrlError::DuplicateParameter {
            name: "scope".into()
        })
    );
    assert_eq!(
        AuthorizeUrl::new(&domain(), "cid")
            .param("a", "1")
            .param("a", "2")
            .build(),
        Err(AuthorizeUrlError::DuplicateParameter { name: "a".into() })
    );
    assert_eq!(
        AuthorizeUrl::new(&domain(), "cid").param("", "1").build(),
        Err(AuthorizeUrlError::EmptyParameterName)
    );
}

#[test]
fn logout_urls() {
    assert_eq!(
        LogoutUrl::new(&domain()).build(),
        "https://tenant.auth0.com/v2/logout"
    );
    assert_eq!(
        LogoutUrl::new(&domain()).federated(true).build(),
        "https://tenant.auth0.com/v2/logout?federated"
    );
    assert_eq!(
        LogoutUrl::new(&domain())
            .return_to("https://app.example.com/?a=b c")
            .client_id("cid")
            .build(),
        "https://tenant.auth0.com/v2/logout?returnTo=https%3A%2F%2Fapp.example.com%2F%3Fa%3Db%20c&client_id=cid"
    );
}

#[test]
fn client_builds_urls_for_its_domain_and_client_id() {
    let core =
        Auth0Client::new(ClientConfig::new("https://Tenant.EU.auth0.com/").unwrap()).unwrap();
    let auth = AuthenticationClient::builder(core, "my client")
        .build()
        .unwrap();
    assert_eq!(
        auth.authorize_url().build().unwrap(),
        "https://tenant.eu.auth0.com/authorize?response_type=code&client_id=my%20client&scope=openid"
    );
    assert_eq!(
        auth.logout_url().build(),
        "https://tenant.eu.auth0.com/v2/logout?client_id=my%20client"
    );
}

/// The ID token an account-linking URL carries is the user's credential:
/// `Debug` (logs, panics) hides it, as `OidcLogoutUrl`'s does, and the URL
/// itself still carries it.
#[test]
fn authorize_url_debug_hides_the_id_token_hint() {
    let id_token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhdXRoMHwxIn0.SIGNATURE-S3CRET";
    let link = AuthorizeUrl::new(&domain(), "cid")
        .redirect_uri("https://app.example.com/callback")
        .link_user(id_token, "google-oauth2", None);
    let unlink = AuthorizeUrl::new(&domain(), "cid").unlink_user(id_token, "google-oauth2");
    for url in [&link, &unlink] {
        let shown = format!("{url:?}");
        assert!(!shown.contains("S3CRET"), "{shown}");
        assert!(shown.contains("google-oauth2"), "{shown}");
        assert!(url.build().unwrap().contains(id_token));
    }
}
