//! A TLS client connection to a tenant, for the tests that read the wire.

use std::sync::Arc;

use auth0_local::LocalTenant;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// A TLS connection to `tenant` trusting its CA, handshake done, offering
/// the `alpn` protocols.
pub(crate) async fn tls_connection(tenant: &LocalTenant, alpn: &[&[u8]]) -> TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(
            tenant.ca_certificate_der().unwrap().to_vec(),
        ))
        .unwrap();
    let mut config =
        rustls::ClientConfig::builder_with_provider(auth0_core::transport::crypto_provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(tenant.addr()).await.unwrap();
    let name = ServerName::IpAddress(tenant.addr().ip().into());
    connector.connect(name, tcp).await.unwrap()
}
