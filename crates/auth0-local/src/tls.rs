//! The tenant's own certificate authority: a CA and a leaf for `localhost`
//! and the bound address, made fresh at every start, so nothing secret lives
//! in the repository and no two runs share a key. With mTLS on, the server
//! asks clients for a certificate ([`AnyClientCertificate`]) and the CA
//! issues client certificates ([`crate::mtls`]).

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
    /// The CA's certificate and key, to issue client certificates.
    pub(crate) signer: Option<crate::mtls::CaSigner>,
}

/// Asks every client for a certificate without requiring one, and accepts
/// any whose handshake signature verifies (the client holds its key); which
/// certificate authenticates which application is decided per request
/// ([`crate::mtls::authenticate`]), as Auth0's edge forwards the
/// certificate and Auth0 matches it.
#[derive(Debug)]
struct AnyClientCertificate {
    algorithms: rustls::crypto::WebPkiSupportedAlgorithms,
}

impl rustls::server::danger::ClientCertVerifier for AnyClientCertificate {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[rustls::DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::server::danger::ClientCertVerified, rustls::Error> {
        Ok(rustls::server::danger::ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

fn cert_error(e: rcgen::Error) -> StartError {
    StartError::Certificate {
        reason: e.to_string(),
    }
}

/// A CA and a leaf (ECDSA P-256) signed by it for `localhost`, `127.0.0.1`,
/// `::1` and `bind` (when it is another, specified, address); ALPN offers
/// `h2` too when `http2`; with `mtls` the server asks clients for a
/// certificate.
pub(crate) fn generate(bind: IpAddr, http2: bool, mtls: bool) -> Result<Certificates, StartError> {
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
    // The tenant's domain is the bound address (127.0.0.1 when it is
    // unspecified): another loopback address (127.0.0.2) needs its own name.
    if !bind.is_unspecified() && !names.contains(&SanType::IpAddress(bind)) {
        names.push(SanType::IpAddress(bind));
    }
    leaf.subject_alt_names = names;
    leaf.is_ca = IsCa::ExplicitNoCa;
    // An ECDSA key signs the handshake and nothing else: RFC 5480 §3 forbids
    // keyEncipherment on an id-ecPublicKey certificate.
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
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
    let algorithms = provider.signature_verification_algorithms;
    let builder = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StartError::Tls {
            reason: e.to_string(),
        })?;
    let builder = if mtls {
        builder.with_client_cert_verifier(Arc::new(AnyClientCertificate { algorithms }))
    } else {
        builder.with_no_client_auth()
    };
    let mut server = builder
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
        ca_pem: crate::keys::pem("CERTIFICATE", ca_cert.der()),
        ca_der: ca_cert.der().to_vec(),
        server: Arc::new(server),
        signer: Some(crate::mtls::CaSigner {
            cert: ca_cert,
            key: ca_key,
        }),
    })
}
