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
//! header it forwards — after checking the request came from that proxy).
//! [`BearerAuthLayer`](crate::layer::BearerAuthLayer) and
//! [`DpopAuthLayer`](crate::dpop::DpopAuthLayer) then check every bound
//! token against it ([`CertificateBinding`]); elsewhere, call
//! [`CertificateBinding::check`] or [`check_certificate_binding`] on the
//! validated claims yourself.
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

use std::sync::Arc;

use serde_json::Value;

use crate::claims::Claims;

/// Request extension: the leaf certificate (DER) the client presented on
/// this request's TLS connection, inserted by the server that terminated
/// TLS (see the [module docs](self)).
///
/// Make one per connection, when the handshake is done, and clone it into
/// each of the connection's requests: its SHA-256 thumbprint is computed
/// once, here, and a clone is a reference count.
///
/// ```
/// use auth0_jwt::certificate_binding::{certificate_thumbprint, PresentedCertificate};
///
/// let der = b"0\x82...the client's leaf certificate, DER".to_vec();
/// let presented = PresentedCertificate::new(der.clone());
/// assert_eq!(presented.der(), der.as_slice());
/// assert_eq!(presented.thumbprint(), certificate_thumbprint(&der));
/// // In a request: `request.extensions_mut().insert(presented.clone())`.
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct PresentedCertificate(Arc<Presented>);

#[derive(PartialEq, Eq)]
struct Presented {
    der: Box<[u8]>,
    thumbprint: String,
}

impl PresentedCertificate {
    /// The certificate `der` (the leaf, DER-encoded), with its thumbprint.
    pub fn new(der: impl Into<Vec<u8>>) -> Self {
        let der = der.into().into_boxed_slice();
        let thumbprint = certificate_thumbprint(&der);
        Self(Arc::new(Presented { der, thumbprint }))
    }

    /// The certificate, DER-encoded.
    pub fn der(&self) -> &[u8] {
        &self.0.der
    }

    /// Its RFC 8705 §3.1 `x5t#S256` thumbprint (base64url SHA-256).
    pub fn thumbprint(&self) -> &str {
        &self.0.thumbprint
    }
}

impl std::fmt::Debug for PresentedCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PresentedCertificate")
            .field(&self.thumbprint())
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
    /// The token's `cnf.x5t#S256` is not a string: the binding cannot be
    /// checked, so the token is refused rather than taken as unbound.
    #[error("the token's certificate binding (cnf.x5t#S256) is not a string")]
    Malformed,
}

/// When a gateway layer checks certificate-bound tokens (RFC 8705 §3); see
/// [`BearerAuthLayer::certificate_binding`](crate::layer::BearerAuthLayer::certificate_binding).
///
/// A bound token is always checked against the request's
/// [`PresentedCertificate`] — RFC 8705 §3: the resource "MUST verify that
/// the certificate matches" — and refused without one; the policy only says
/// what happens to tokens that are not bound.
///
/// ```
/// use auth0_jwt::certificate_binding::{
///     CertificateBinding, CertificateBindingError, PresentedCertificate,
/// };
/// use auth0_jwt::Claims;
///
/// let presented = PresentedCertificate::new(b"the client's certificate".to_vec());
/// let bound = Claims::from_json(&format!(
///     r#"{{"sub":"c@clients","cnf":{{"x5t#S256":"{}"}}}}"#,
///     presented.thumbprint()
/// ))?;
/// let unbound = Claims::from_json(r#"{"sub":"c@clients"}"#)?;
///
/// let policy = CertificateBinding::WhenBound;
/// assert!(policy.check(&bound, Some(&presented)).is_ok());
/// assert_eq!(policy.check(&bound, None), Err(CertificateBindingError::NoCertificate));
/// assert!(policy.check(&unbound, None).is_ok());
/// assert_eq!(
///     CertificateBinding::Required.check(&unbound, Some(&presented)),
///     Err(CertificateBindingError::NotBound)
/// );
/// # Ok::<(), auth0_jwt::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateBinding {
    /// Bound tokens must match the presented certificate; tokens that are
    /// not bound pass (the default).
    #[default]
    WhenBound,
    /// Every token must be certificate-bound and match the presented
    /// certificate: an API only for mutual-TLS clients.
    Required,
}

impl CertificateBinding {
    /// Checks `claims` against the certificate presented on the request's
    /// connection (`None` when none was), under this policy.
    pub fn check(
        self,
        claims: &Claims,
        presented: Option<&PresentedCertificate>,
    ) -> Result<(), CertificateBindingError> {
        match binding(claims)? {
            None if self == Self::Required => Err(CertificateBindingError::NotBound),
            None => Ok(()),
            Some(bound) => {
                let presented = presented.ok_or(CertificateBindingError::NoCertificate)?;
                same_thumbprint(bound, presented.thumbprint())
            }
        }
    }
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

/// The token's `cnf.x5t#S256`: `None` when absent, an error when it is there
/// but not a string.
fn binding(claims: &Claims) -> Result<Option<&str>, CertificateBindingError> {
    // Most tokens are not bound. A claim set the flat scanner read has no
    // object members, so no `cnf` object: answered without looking (this
    // runs on every request, cache hits included). Else a scan of the JSON
    // text spares the claim map (built on first use); a member name written
    // with escapes (`\u0063nf`) has a backslash, so it takes the full look.
    if claims.has_no_objects() {
        return Ok(None);
    }
    let raw = claims.as_json();
    if !raw.contains("cnf") && !raw.contains('\\') {
        return Ok(None);
    }
    match claims.get("cnf").and_then(|cnf| cnf.get("x5t#S256")) {
        None => Ok(None),
        Some(Value::String(bound)) => Ok(Some(bound)),
        Some(_) => Err(CertificateBindingError::Malformed),
    }
}

/// Checks a certificate-bound token (RFC 8705 §3) against the leaf
/// certificate presented on the connection (`None` when none was).
///
/// A token without `cnf.x5t#S256` is [`CertificateBindingError::NotBound`]:
/// call this only on APIs that require bound tokens, or treat that error
/// as "not applicable" (or use [`CertificateBinding::check`], which says
/// which).
pub fn check_certificate_binding(
    claims: &Claims,
    presented_der: Option<&[u8]>,
) -> Result<(), CertificateBindingError> {
    let bound = binding(claims)?.ok_or(CertificateBindingError::NotBound)?;
    let presented = presented_der.ok_or(CertificateBindingError::NoCertificate)?;
    same_thumbprint(bound, &certificate_thumbprint(presented))
}

/// Compares the bound and the presented thumbprints in time independent of
/// where they differ.
fn same_thumbprint(bound: &str, presented: &str) -> Result<(), CertificateBindingError> {
    let same = bound.len() == presented.len()
        && bound
            .bytes()
            .zip(presented.bytes())
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
        let shown = format!("{:?}", PresentedCertificate::new(b"abc".to_vec()));
        assert!(shown.contains("ungWv48B"), "{shown}");
        assert!(!shown.contains("abc"), "{shown}");
    }

    #[test]
    fn a_binding_that_is_not_a_string_is_refused() {
        let claims = Claims::from_json(r#"{"sub":"x","cnf":{"x5t#S256":7}}"#).unwrap();
        let presented = PresentedCertificate::new(b"abc".to_vec());
        for policy in [CertificateBinding::WhenBound, CertificateBinding::Required] {
            assert_eq!(
                policy.check(&claims, Some(&presented)),
                Err(CertificateBindingError::Malformed)
            );
        }
        assert_eq!(
            check_certificate_binding(&claims, Some(b"abc")),
            Err(CertificateBindingError::Malformed)
        );
    }

    /// A claim set read by the flat scanner (no object values) answers
    /// "not bound" without a look at the JSON; one with a `cnf` object
    /// (read by the full parser) is still bound, escapes in names included.
    #[test]
    fn only_an_object_cnf_binds() {
        let thumbprint = certificate_thumbprint(b"abc");
        for flat in [
            r#"{"sub":"x","cnf":"x5t#S256"}"#.to_owned(),
            format!(r#"{{"sub":"x","cnf":["{thumbprint}"],"x5t#S256":"{thumbprint}"}}"#),
        ] {
            let claims = Claims::from_json(&flat).unwrap();
            assert!(claims.has_no_objects(), "{flat}");
            assert_eq!(
                check_certificate_binding(&claims, Some(b"abc")),
                Err(CertificateBindingError::NotBound),
                "{flat}"
            );
        }
        for bound in [
            format!(r#"{{"sub":"x","cnf":{{"x5t#S256":"{thumbprint}"}}}}"#),
            format!(r#"{{"sub":"x","\u0063nf":{{"x5t#S256":"{thumbprint}"}}}}"#),
        ] {
            let claims = Claims::from_json(&bound).unwrap();
            assert!(!claims.has_no_objects(), "{bound}");
            assert_eq!(
                check_certificate_binding(&claims, Some(b"abc")),
                Ok(()),
                "{bound}"
            );
            assert_eq!(
                check_certificate_binding(&claims, Some(b"other")),
                Err(CertificateBindingError::Mismatch),
                "{bound}"
            );
        }
    }
}
