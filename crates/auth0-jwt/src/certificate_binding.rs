//! Certificate-bound access tokens (RFC 8705 §3): a token issued to a
//! client that authenticated with mutual TLS carries
//! `cnf: {"x5t#S256": …}`, the base64url SHA-256 thumbprint of the client's
//! certificate, and a resource server accepts it only over a TLS connection
//! on which the client presented that same certificate.
//!
//! The gateway layers see HTTP requests, not the TLS connection, so the
//! certificate has to come from the server that terminated TLS: insert the
//! peer's leaf certificate (DER) as a [`PresentedCertificate`] request
//! extension in your own accept loop or middleware (with rustls:
//! `ServerConnection::peer_certificates()`; behind a proxy, the certificate
//! header it forwards — after checking the request came from that proxy),
//! then call [`check_certificate_binding`] on the validated claims, e.g. in
//! a handler after `BearerAuthLayer` put them in the extensions.
//!
//! ```
//! use auth0_jwt::certificate_binding::{
//!     certificate_thumbprint, check_certificate_binding, CertificateBindingError,
//! };
//! use auth0_jwt::Claims;
//!
//! let certificate_der = b"0\x82...the client's leaf certificate, DER";
//! let thumbprint = certificate_thumbprint(certificate_der);
//! let claims = Claims::from_json(&format!(r#"{{"sub":"c@clients","cnf":{{"x5t#S256":"{thumbprint}"}}}}"#))?;
//! assert!(check_certificate_binding(&claims, Some(certificate_der)).is_ok());
//! assert!(matches!(
//!     check_certificate_binding(&claims, Some(b"another certificate")),
//!     Err(CertificateBindingError::Mismatch)
//! ));
//! assert!(matches!(
//!     check_certificate_binding(&claims, None),
//!     Err(CertificateBindingError::NoCertificate)
//! ));
//! # Ok::<(), auth0_jwt::Error>(())
//! ```

use serde_json::Value;

use crate::claims::Claims;

/// Request extension: the leaf certificate (DER) the client presented on
/// this request's TLS connection, inserted by the server that terminated
/// TLS (see the [module docs](self)).
#[derive(Clone, PartialEq, Eq)]
pub struct PresentedCertificate(pub Vec<u8>);

impl std::fmt::Debug for PresentedCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PresentedCertificate")
            .field(&certificate_thumbprint(&self.0))
            .finish()
    }
}

/// Why a token is not accepted for the presented certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateBindingError {
    /// The token has no `cnf.x5t#S256`: it is not certificate-bound.
    #[error("the token is not bound to a client certificate")]
    NotBound,
    /// The token is bound, but no client certificate was presented.
    #[error("the token is bound to a client certificate and none was presented")]
    NoCertificate,
    /// The presented certificate is not the one the token is bound to.
    #[error("the presented client certificate is not the one the token is bound to")]
    Mismatch,
}

/// RFC 8705 §3.1: the base64url (unpadded) SHA-256 of a certificate's DER.
pub fn certificate_thumbprint(certificate_der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, certificate_der);
    crate::base64url::encode(digest.as_ref())
}

/// The token's `cnf.x5t#S256`, when it is certificate-bound.
pub fn bound_thumbprint(claims: &Claims) -> Option<&str> {
    claims.get("cnf")?.get("x5t#S256").and_then(Value::as_str)
}

/// Checks a certificate-bound token (RFC 8705 §3) against the leaf
/// certificate presented on the connection (`None` when none was).
///
/// A token without `cnf.x5t#S256` is [`CertificateBindingError::NotBound`]:
/// call this only on APIs that require bound tokens, or treat that error
/// as "not applicable".
pub fn check_certificate_binding(
    claims: &Claims,
    presented_der: Option<&[u8]>,
) -> Result<(), CertificateBindingError> {
    let bound = bound_thumbprint(claims).ok_or(CertificateBindingError::NotBound)?;
    let presented = presented_der.ok_or(CertificateBindingError::NoCertificate)?;
    let actual = certificate_thumbprint(presented);
    let same = bound.len() == actual.len()
        && bound
            .bytes()
            .zip(actual.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(())
    } else {
        Err(CertificateBindingError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprint_is_unpadded_base64url_sha256() {
        // SHA-256("abc") = ba7816bf…, base64url without padding.
        assert_eq!(
            certificate_thumbprint(b"abc"),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
    }

    #[test]
    fn unbound_token_and_debug() {
        let claims = Claims::from_json(r#"{"sub":"x"}"#).unwrap();
        assert_eq!(
            check_certificate_binding(&claims, Some(b"abc")),
            Err(CertificateBindingError::NotBound)
        );
        let shown = format!("{:?}", PresentedCertificate(b"abc".to_vec()));
        assert!(shown.contains("ungWv48B"), "{shown}");
    }
}
