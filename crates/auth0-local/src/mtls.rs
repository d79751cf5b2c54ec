//! Mutual-TLS client authentication (RFC 8705) as Auth0 offers it.
//!
//! With [`LocalTenantBuilder::mtls`](crate::LocalTenantBuilder::mtls) the
//! TLS server asks every client for a certificate (optional: clients
//! without one connect as before) and checks the handshake signature, which
//! proves the client holds the certificate's key. The tenant advertises
//! `mtls_endpoint_aliases` at `https://localhost:PORT/` (the issuer is
//! `https://127.0.0.1:PORT/`): as at Auth0, where only the `mtls.` custom
//! domain forwards the certificate, a certificate counts only on requests
//! sent to the alias host.
//!
//! An application registered with [`LocalTenant::register_mtls_client`]
//! is authenticated by the certificate alone:
//!
//! - `tls_client_auth` ([`MtlsCredential::SubjectDn`]): the certificate must
//!   be one the tenant's CA issued ([`LocalTenant::issue_client_certificate`]
//!   — the tenant remembers each one's thumbprint and subject, so no chain is
//!   parsed) and its subject DN must equal the registered one;
//! - `self_signed_tls_client_auth` ([`MtlsCredential::Certificate`]): the
//!   presented certificate must be byte for byte the registered one
//!   (compared by SHA-256 thumbprint).
//!
//! Access tokens issued to such a client carry `cnf: {"x5t#S256": …}`, the
//! presented certificate's thumbprint (RFC 8705 §3.1).

use std::collections::HashMap;
use std::sync::Mutex;

use http::{StatusCode, header};
use serde_json::{Value, json};

use crate::routes::{AuthenticatedClient, sign, verify_own_token};
use crate::server::{Req, Resp, json, oauth_error};
use crate::tenant::{Shared, lock, random_hex};
use crate::{LocalTenant, TenantError};

/// A client certificate and its key, PEM, as the tenant made them.
///
/// `Debug` shows the subject, never the key.
#[derive(Clone)]
pub struct ClientCertificatePem {
    /// The certificate, PEM (`CERTIFICATE`).
    pub certificate_pem: String,
    /// Its private key, PEM (PKCS#8 `PRIVATE KEY`, ECDSA P-256).
    pub private_key_pem: String,
    /// The subject DN (RFC 4514 form), e.g. `CN=my-service`.
    pub subject_dn: String,
}

impl std::fmt::Debug for ClientCertificatePem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCertificatePem")
            .field("subject_dn", &self.subject_dn)
            .field("private_key_pem", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// What an mTLS application is registered with (Auth0's
/// `client_authentication_methods`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum MtlsCredential {
    /// `tls_client_auth` with a `cert_subject_dn` credential: a CA-issued
    /// certificate with this subject DN.
    SubjectDn(String),
    /// `self_signed_tls_client_auth` with an `x509_cert` credential: this
    /// certificate (PEM).
    Certificate(String),
}

/// The CA that issues client certificates (the tenant's TLS CA).
pub(crate) struct CaSigner {
    pub(crate) cert: rcgen::Certificate,
    pub(crate) key: rcgen::KeyPair,
}

/// mTLS state of one tenant.
#[derive(Default)]
pub(crate) struct MtlsState {
    /// `https://localhost:PORT/` when mTLS is on.
    pub(crate) alias: Option<String>,
    pub(crate) ca: Option<CaSigner>,
    /// Certificates the CA issued: thumbprint → subject DN.
    issued: Mutex<HashMap<String, String>>,
}

impl MtlsState {
    pub(crate) fn new(alias: Option<String>, ca: Option<CaSigner>) -> Self {
        Self {
            alias,
            ca,
            issued: Mutex::default(),
        }
    }
}

fn cert_error(e: rcgen::Error) -> TenantError {
    TenantError::Key {
        reason: e.to_string(),
    }
}

/// The first `CERTIFICATE` block of `pem`, DER (rustls-pki-types' RFC 7468
/// reader).
fn der_of_pem(pem: &str) -> Option<Vec<u8>> {
    use rustls::pki_types::pem::PemObject as _;
    rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
        .ok()
        .map(|der| der.to_vec())
}

fn params_for(common_name: &str) -> rcgen::CertificateParams {
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, common_name);
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    params
}

/// A new self-signed client certificate (ECDSA P-256) with subject
/// `CN=<common_name>`, for `self_signed_tls_client_auth`.
///
/// # Errors
///
/// [`TenantError::Key`] when the key or certificate cannot be made.
pub fn self_signed_client_certificate(
    common_name: &str,
) -> Result<ClientCertificatePem, TenantError> {
    let key = rcgen::KeyPair::generate().map_err(cert_error)?;
    let cert = params_for(common_name)
        .self_signed(&key)
        .map_err(cert_error)?;
    Ok(ClientCertificatePem {
        certificate_pem: crate::keys::pem("CERTIFICATE", cert.der()),
        private_key_pem: crate::keys::pem("PRIVATE KEY", &key.serialize_der()),
        subject_dn: format!("CN={common_name}"),
    })
}

impl LocalTenant {
    /// A client certificate (ECDSA P-256) with subject `CN=<common_name>`,
    /// issued by the tenant's CA, for `tls_client_auth`.
    ///
    /// # Errors
    ///
    /// [`TenantError::PlainHttp`] without TLS; [`TenantError::Key`] when
    /// the key or certificate cannot be made.
    pub fn issue_client_certificate(
        &self,
        common_name: &str,
    ) -> Result<ClientCertificatePem, TenantError> {
        let mtls = &self.shared().authn.mtls;
        let ca = mtls.ca.as_ref().ok_or(TenantError::PlainHttp)?;
        let key = rcgen::KeyPair::generate().map_err(cert_error)?;
        let mut params = params_for(common_name);
        params.use_authority_key_identifier_extension = true;
        let cert = params
            .signed_by(&key, &ca.cert, &ca.key)
            .map_err(cert_error)?;
        let subject_dn = format!("CN={common_name}");
        lock(&mtls.issued).insert(
            auth0_jwt::certificate_binding::certificate_thumbprint(cert.der()),
            subject_dn.clone(),
        );
        Ok(ClientCertificatePem {
            certificate_pem: crate::keys::pem("CERTIFICATE", cert.der()),
            private_key_pem: crate::keys::pem("PRIVATE KEY", &key.serialize_der()),
            subject_dn,
        })
    }

    /// Registers a machine-to-machine application that authenticates with
    /// mutual TLS (`tls_client_auth` or `self_signed_tls_client_auth` as
    /// `credential` says), allowed the client-credentials grant for the
    /// tenant's API; returns its client id. Needs a tenant started with
    /// [`mtls`](crate::LocalTenantBuilder::mtls).
    ///
    /// # Errors
    ///
    /// [`TenantError::PlainHttp`] without TLS; [`TenantError::Key`] when a
    /// [`MtlsCredential::Certificate`] holds no readable certificate.
    pub fn register_mtls_client(
        &self,
        name: &str,
        credential: MtlsCredential,
    ) -> Result<String, TenantError> {
        let shared = self.shared();
        if shared.authn.mtls.ca.is_none() {
            return Err(TenantError::PlainHttp);
        }
        let methods = match &credential {
            MtlsCredential::SubjectDn(dn) => json!({ "tls_client_auth": { "credentials": [
                { "id": format!("cred_{}", random_hex(8)), "credential_type": "cert_subject_dn", "subject_dn": dn }
            ]}}),
            MtlsCredential::Certificate(pem) => {
                let der = der_of_pem(pem).ok_or_else(|| TenantError::Key {
                    reason: "the PEM holds no readable CERTIFICATE block".to_owned(),
                })?;
                json!({ "self_signed_tls_client_auth": { "credentials": [
                    { "id": format!("cred_{}", random_hex(8)), "credential_type": "x509_cert",
                      "thumbprint_sha256": auth0_jwt::certificate_binding::certificate_thumbprint(&der) }
                ]}})
            }
        };
        let client_id = format!("mtls-{}", random_hex(8));
        let mut store = lock(&shared.store);
        let scopes: Vec<Value> = crate::routes::resource_server(&store, &shared.api_audience)
            .and_then(|server| server["scopes"].as_array())
            .map(|scopes| scopes.iter().map(|s| s["value"].clone()).collect())
            .unwrap_or_default();
        store.clients.push(json!({
            "client_id": client_id,
            "name": name,
            "app_type": "non_interactive",
            "tenant": "local",
            "is_first_party": true,
            "oidc_conformant": true,
            "grant_types": ["client_credentials"],
            "callbacks": [],
            "allowed_logout_urls": [],
            "token_endpoint_auth_method": Value::Null,
            "client_authentication_methods": methods,
        }));
        store.client_grants.push(json!({
            "id": format!("cgr_{}", random_hex(8)), "client_id": client_id,
            "audience": shared.api_audience, "scope": scopes,
        }));
        Ok(client_id)
    }
}

/// The mutual-TLS methods `record` is registered with, if any.
fn methods(record: &Value) -> Option<&Value> {
    let methods = &record["client_authentication_methods"];
    (methods.get("tls_client_auth").is_some()
        || methods.get("self_signed_tls_client_auth").is_some())
    .then_some(methods)
}

fn invalid_client(description: &str) -> Resp {
    oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", description)
}

/// True when the request was sent to the mTLS alias host.
fn at_alias(shared: &Shared, req: &Req) -> bool {
    let Some(alias) = &shared.authn.mtls.alias else {
        return false;
    };
    let host = req.host().unwrap_or_default();
    alias
        .strip_prefix("https://")
        .and_then(|a| a.strip_suffix('/'))
        .is_some_and(|a| a.eq_ignore_ascii_case(host))
}

/// Client authentication by certificate, for an application registered
/// with an mTLS method and sending no other credential; `None` for every
/// other request (the other methods decide).
pub(crate) fn authenticate(
    shared: &Shared,
    req: &Req,
    params: &HashMap<String, String>,
) -> Option<Result<AuthenticatedClient, Resp>> {
    let client_id = params.get("client_id").map_or("", String::as_str);
    let other_credential = params.contains_key("client_secret")
        || params.contains_key("client_assertion")
        || req.headers.contains_key(header::AUTHORIZATION);
    if client_id.is_empty() || other_credential {
        return None;
    }
    let record = lock(&shared.store).client(client_id).cloned()?;
    let methods = methods(&record)?.clone();
    // As at Auth0: the certificate reaches the tenant only through the
    // mTLS alias (the edge that forwards it).
    let presented = req
        .client_certificate
        .as_deref()
        .filter(|_| at_alias(shared, req));
    let Some(presented) = presented else {
        return Some(Err(invalid_client(
            "A client certificate is required (send the request to the mtls_endpoint_aliases)",
        )));
    };
    let thumbprint = auth0_jwt::certificate_binding::certificate_thumbprint(presented);
    let credentials = |method: &str| {
        methods[method]["credentials"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let issued_dn = lock(&shared.authn.mtls.issued).get(&thumbprint).cloned();
    let by_subject = issued_dn.is_some_and(|dn| {
        credentials("tls_client_auth")
            .iter()
            .any(|c| c["subject_dn"].as_str() == Some(dn.as_str()))
    });
    let by_certificate = credentials("self_signed_tls_client_auth")
        .iter()
        .any(|c| c["thumbprint_sha256"].as_str() == Some(thumbprint.as_str()));
    if !(by_subject || by_certificate) {
        return Some(Err(invalid_client(
            "The client certificate does not match the client's registered credentials",
        )));
    }
    Some(Ok(AuthenticatedClient {
        record,
        public: false,
        certificate_thumbprint: Some(thumbprint),
    }))
}

/// The token answer with its access token re-signed with `cnf.x5t#S256`
/// (RFC 8705 §3.1); other answers unchanged.
pub(crate) fn bind(shared: &Shared, response: Resp, thumbprint: &str) -> Resp {
    if response.status() != StatusCode::OK {
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = crate::server::full_bytes(body);
    let Ok(Value::Object(mut answer)) = serde_json::from_slice::<Value>(&body) else {
        return http::Response::from_parts(parts, http_body_util::Full::new(body));
    };
    let token = answer
        .get("access_token")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(mut claims) = verify_own_token(shared, token) else {
        return http::Response::from_parts(parts, http_body_util::Full::new(body));
    };
    claims.insert("cnf".to_owned(), json!({ "x5t#S256": thumbprint }));
    let bound = match sign(shared, &Value::Object(claims)) {
        Ok(bound) => bound,
        Err(response) => return response,
    };
    answer.insert("access_token".to_owned(), json!(bound));
    let mut response = json(StatusCode::OK, &Value::Object(answer));
    for (name, value) in &parts.headers {
        if name != header::CONTENT_LENGTH {
            response.headers_mut().insert(name, value.clone());
        }
    }
    response
}

/// The discovery members of mTLS (RFC 8705 §3.3, §5), when it is on.
pub(crate) fn discovery(shared: &Shared, document: &mut Value) {
    let Some(alias) = &shared.authn.mtls.alias else {
        return;
    };
    document["mtls_endpoint_aliases"] = json!({
        "token_endpoint": format!("{alias}oauth/token"),
        "revocation_endpoint": format!("{alias}oauth/revoke"),
        "pushed_authorization_request_endpoint": format!("{alias}oauth/par"),
        "device_authorization_endpoint": format!("{alias}oauth/device/code"),
        "backchannel_authentication_endpoint": format!("{alias}bc-authorize"),
        "userinfo_endpoint": format!("{alias}userinfo"),
    });
    document["tls_client_certificate_bound_access_tokens"] = json!(true);
    if let Some(methods) = document["token_endpoint_auth_methods_supported"].as_array_mut() {
        methods.push(json!("tls_client_auth"));
        methods.push(json!("self_signed_tls_client_auth"));
    }
}
