//! Mutual-TLS client authentication (RFC 8705) against
//! `auth0_local::LocalTenant` over TLS: `tls_client_auth` (a certificate the
//! tenant's CA issued, matched by subject DN) and
//! `self_signed_tls_client_auth` (the registered certificate), the mTLS
//! endpoint alias read from discovery, certificate-bound tokens, and the
//! typed refusals.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use auth0_authentication::client_auth::discover_mtls_endpoint_base;
use auth0_authentication::{AuthenticationClient, ClientAuthentication, ClientCredentials};
use auth0_core::config::ClientCertificate;
use auth0_core::retry::RetryPolicy;
use auth0_jwt::Claims;
use auth0_jwt::certificate_binding::{
    CertificateBindingError, certificate_thumbprint, check_certificate_binding,
};
use auth0_jwt::jws::{Jws, ParseOptions};
use auth0_local::{ClientCertificatePem, LocalTenant, MtlsCredential};

async fn tenant() -> LocalTenant {
    LocalTenant::builder().mtls(true).start().await.unwrap()
}

/// An HTTP client for the tenant presenting `certificate` (when given).
fn core(
    tenant: &LocalTenant,
    certificate: Option<&ClientCertificatePem>,
) -> auth0_core::Auth0Client {
    let mut config = tenant.client_config().retry_policy(RetryPolicy::disabled());
    if let Some(pem) = certificate {
        config = config.client_certificate(
            ClientCertificate::from_pem(&pem.certificate_pem, &pem.private_key_pem).unwrap(),
        );
    }
    auth0_core::Auth0Client::new(config.build().unwrap()).unwrap()
}

fn leaf_der(pem: &ClientCertificatePem) -> Vec<u8> {
    let certificate =
        ClientCertificate::from_pem(&pem.certificate_pem, &pem.private_key_pem).unwrap();
    certificate.leaf().to_vec()
}

fn claims(token: &str) -> Claims {
    let jws = Jws::parse(token, &ParseOptions::default()).unwrap();
    Claims::from_json(&serde_json::Value::Object(jws.claims().clone()).to_string()).unwrap()
}

async fn client(
    tenant: &LocalTenant,
    client_id: &str,
    auth: ClientAuthentication,
    certificate: Option<&ClientCertificatePem>,
) -> AuthenticationClient {
    let http = core(tenant, certificate);
    let base = discover_mtls_endpoint_base(&http).await.unwrap().unwrap();
    AuthenticationClient::builder(http, client_id)
        .client_authentication(auth)
        .mtls_endpoint_base(base)
        .build()
        .unwrap()
}

#[tokio::test]
async fn discovery_advertises_the_mtls_aliases() {
    let tenant = tenant().await;
    let http = core(&tenant, None);
    let base = discover_mtls_endpoint_base(&http).await.unwrap();
    assert_eq!(
        base,
        Some(format!("https://localhost:{}", tenant.addr().port()))
    );
    // Without mTLS the tenant advertises none.
    let plain = LocalTenant::builder().start().await.unwrap();
    assert_eq!(
        discover_mtls_endpoint_base(&core(&plain, None))
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn tls_client_auth_gets_a_certificate_bound_token() {
    let tenant = tenant().await;
    let pem = tenant.issue_client_certificate("billing-service").unwrap();
    assert_eq!(pem.subject_dn, "CN=billing-service");
    assert!(!format!("{pem:?}").contains("PRIVATE KEY"));
    let client_id = tenant
        .register_mtls_client("Billing", MtlsCredential::SubjectDn(pem.subject_dn.clone()))
        .unwrap();
    let auth = client(
        &tenant,
        &client_id,
        ClientAuthentication::TlsClientAuth,
        Some(&pem),
    )
    .await;
    tenant.take_requests();
    let token = auth
        .client_credentials(tenant.api_audience(), None)
        .await
        .unwrap();

    // Sent to the alias host, with client_id and no secret.
    let sent = tenant.requests_to("/oauth/token");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].header("host"),
        Some(format!("localhost:{}", tenant.addr().port()).as_str())
    );
    let form = sent[0].form();
    assert_eq!(
        form.get("client_id").map(String::as_str),
        Some(client_id.as_str())
    );
    assert!(!form.contains_key("client_secret") && !form.contains_key("client_assertion"));

    // RFC 8705 §3.1: bound to the presented certificate.
    let claims = claims(&token.access_token);
    let der = leaf_der(&pem);
    assert_eq!(
        claims.get("cnf").unwrap()["x5t#S256"],
        certificate_thumbprint(&der)
    );
    check_certificate_binding(&claims, Some(&der)).unwrap();
    let other = auth0_local::self_signed_client_certificate("someone-else").unwrap();
    assert_eq!(
        check_certificate_binding(&claims, Some(&leaf_der(&other))),
        Err(CertificateBindingError::Mismatch)
    );
}

#[tokio::test]
async fn self_signed_tls_client_auth_through_client_credentials() {
    let tenant = tenant().await;
    let pem = auth0_local::self_signed_client_certificate("reports").unwrap();
    let client_id = tenant
        .register_mtls_client(
            "Reports",
            MtlsCredential::Certificate(pem.certificate_pem.clone()),
        )
        .unwrap();
    // The SDK's one client-credentials path, as auth0-management uses it.
    let http = core(&tenant, Some(&pem));
    let base = discover_mtls_endpoint_base(&http).await.unwrap().unwrap();
    let credentials =
        ClientCredentials::self_signed_tls_client_auth(&client_id).with_mtls_endpoint_base(base);
    credentials.validate().unwrap();
    let token = credentials
        .request_token(&http, tenant.api_audience(), None)
        .await
        .unwrap();
    let claims = claims(&token.access_token);
    assert_eq!(claims.sub(), Some(format!("{client_id}@clients").as_str()));
    check_certificate_binding(&claims, Some(&leaf_der(&pem))).unwrap();
}

#[tokio::test]
async fn a_wrong_or_missing_certificate_is_refused() {
    let tenant = tenant().await;
    let registered = tenant.issue_client_certificate("payments").unwrap();
    let dn_client = tenant
        .register_mtls_client(
            "Payments",
            MtlsCredential::SubjectDn(registered.subject_dn.clone()),
        )
        .unwrap();
    let self_signed = auth0_local::self_signed_client_certificate("payments").unwrap();
    let cert_client = tenant
        .register_mtls_client(
            "Pinned",
            MtlsCredential::Certificate(self_signed.certificate_pem.clone()),
        )
        .unwrap();

    let refused = |err: auth0_core::Error| {
        assert_eq!(err.error_code(), Some("invalid_client"), "{err:?}");
        assert_eq!(err.status_code().map(|s| s.as_u16()), Some(401));
    };
    // No certificate at all.
    let auth = client(
        &tenant,
        &dn_client,
        ClientAuthentication::TlsClientAuth,
        None,
    )
    .await;
    refused(
        auth.client_credentials(tenant.api_audience(), None)
            .await
            .unwrap_err(),
    );
    // A self-signed certificate with the registered subject: not CA-issued.
    let auth = client(
        &tenant,
        &dn_client,
        ClientAuthentication::TlsClientAuth,
        Some(&self_signed),
    )
    .await;
    refused(
        auth.client_credentials(tenant.api_audience(), None)
            .await
            .unwrap_err(),
    );
    // Another CA-issued certificate, another subject.
    let stranger = tenant.issue_client_certificate("stranger").unwrap();
    let auth = client(
        &tenant,
        &dn_client,
        ClientAuthentication::TlsClientAuth,
        Some(&stranger),
    )
    .await;
    refused(
        auth.client_credentials(tenant.api_audience(), None)
            .await
            .unwrap_err(),
    );
    // A pinned self-signed certificate answered with another one.
    let auth = client(
        &tenant,
        &cert_client,
        ClientAuthentication::SelfSignedTlsClientAuth,
        Some(&registered),
    )
    .await;
    refused(
        auth.client_credentials(tenant.api_audience(), None)
            .await
            .unwrap_err(),
    );
    // The right certificate sent to the tenant's own host, not the alias:
    // Auth0 sees no certificate there.
    let http = core(&tenant, Some(&registered));
    let wrong_base = AuthenticationClient::builder(http, &dn_client)
        .client_authentication(ClientAuthentication::TlsClientAuth)
        .mtls_endpoint_base(format!("https://127.0.0.1:{}", tenant.addr().port()))
        .build()
        .unwrap();
    refused(
        wrong_base
            .client_credentials(tenant.api_audience(), None)
            .await
            .unwrap_err(),
    );
}

#[test]
fn client_certificate_errors_are_typed_and_keys_never_shown() {
    let pem = auth0_local::self_signed_client_certificate("debug-check").unwrap();
    let certificate =
        ClientCertificate::from_pem(&pem.certificate_pem, &pem.private_key_pem).unwrap();
    let key_body = pem.private_key_pem.lines().nth(1).unwrap();
    let config = auth0_core::ClientConfig::builder()
        .domain("tenant.auth0.com")
        .client_certificate(certificate.clone())
        .build()
        .unwrap();
    for shown in [format!("{certificate:?}"), format!("{config:?}")] {
        assert!(!shown.contains(key_body), "{shown}");
    }
    // A certificate without its key, or a key that is not one.
    let err = ClientCertificate::from_pem(&pem.certificate_pem, "").unwrap_err();
    assert!(matches!(
        err,
        auth0_core::error::ConfigError::InvalidCertificate { .. }
    ));
    let garbage = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    let err = ClientCertificate::from_pem(&pem.certificate_pem, garbage).unwrap_err();
    assert!(!err.to_string().contains("AAAA"));
    let err = ClientCertificate::from_pem("", &pem.private_key_pem).unwrap_err();
    assert!(matches!(
        err,
        auth0_core::error::ConfigError::InvalidCertificate { .. }
    ));
}
