//! The tenant's own certificate authority: a CA and a leaf for `localhost`
//! and the bound address, made fresh at every start, so nothing secret lives
//! in the repository and no two runs share a key.

use std::net::IpAddr;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::StartError;

/// The certificates of one run.
pub(crate) struct Certificates {
    /// The CA certificate, PEM: what clients must trust.
    pub(crate) ca_pem: String,
    /// The CA certificate, DER.
    pub(crate) ca_der: Vec<u8>,
    /// The TLS server configuration presenting the leaf (and the CA).
    pub(crate) server: Arc<rustls::ServerConfig>,
}

fn cert_error(e: rcgen::Error) -> StartError {
    StartError::Certificate {
        reason: e.to_string(),
    }
}

/// A CA and a leaf signed by it for `localhost`, `127.0.0.1`, `::1` and
/// `bind` (when it is another address); ALPN offers `h2` too when `http2`.
pub(crate) fn generate(bind: IpAddr, http2: bool) -> Result<Certificates, StartError> {
    let ca_key = KeyPair::generate().map_err(cert_error)?;
    let mut ca = CertificateParams::default();
    ca.distinguished_name.push(
        DnType::CommonName,
        "auth0-local test CA (not a production identity provider)",
    );
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key).map_err(cert_error)?;

    let leaf_key = KeyPair::generate().map_err(cert_error)?;
    let mut leaf = CertificateParams::default();
    leaf.distinguished_name
        .push(DnType::CommonName, "auth0-local tenant");
    let mut names = vec![
        SanType::DnsName("localhost".try_into().map_err(cert_error)?),
        SanType::IpAddress(IpAddr::from([127, 0, 0, 1])),
        SanType::IpAddress(IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1])),
    ];
    if !bind.is_loopback() && !bind.is_unspecified() {
        names.push(SanType::IpAddress(bind));
    }
    leaf.subject_alt_names = names;
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    // OpenSSL 3 in strict mode (Python 3.13's default) wants the authority
    // key identifier (RFC 5280 §4.2.1.1) on certificates a CA issues.
    leaf.use_authority_key_identifier_extension = true;
    let leaf_cert = leaf
        .signed_by(&leaf_key, &ca_cert, &ca_key)
        .map_err(cert_error)?;

    let chain = vec![
        CertificateDer::from(leaf_cert.der().to_vec()),
        CertificateDer::from(ca_cert.der().to_vec()),
    ];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = auth0_core::transport::crypto_provider();
    let mut server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StartError::Tls {
            reason: e.to_string(),
        })?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| StartError::Tls {
            reason: e.to_string(),
        })?;
    server.alpn_protocols = if http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(Certificates {
        ca_pem: ca_cert.pem(),
        ca_der: ca_cert.der().to_vec(),
        server: Arc::new(server),
    })
}
