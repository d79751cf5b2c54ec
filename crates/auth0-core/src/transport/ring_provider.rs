//! The *ring* TLS provider, put together from rustls' public, non-deprecated
//! pieces.
//!
//! rustls 0.23.48 deprecates `rustls::crypto::ring::default_provider` (it
//! has no post-quantum key exchange) and offers no other constructor of the
//! *ring* provider in 0.23 (the `rustls-ring` crate takes over in 0.24);
//! `ClientConfig::builder()`, the other road to it, picks the provider from
//! rustls' crate features and panics when an application enables both
//! `ring` and `aws_lc_rs` without installing a default — a library must not
//! panic on its users' feature set. So the provider is assembled here, each
//! part from the crate that owns it: the cipher suites and key-exchange
//! groups are rustls' *ring* defaults, private keys are loaded by rustls'
//! *ring* signer, randomness is ring's `SystemRandom`, and certificate
//! signatures are checked by rustls-webpki's *ring* algorithms under the
//! same scheme mapping as rustls 0.23.48's provider (a test compares the two
//! field by field).

use std::sync::Arc;

use rustls::SignatureScheme;
use rustls::crypto::{
    CryptoProvider, GetRandomFailed, KeyProvider, SecureRandom, WebPkiSupportedAlgorithms,
};
use rustls::pki_types::PrivateKeyDer;
use rustls::sign::SigningKey;
use webpki::ring as algs;

/// rustls' *ring* provider, with its default suites, groups and algorithms.
pub(super) fn provider() -> CryptoProvider {
    CryptoProvider {
        cipher_suites: rustls::crypto::ring::DEFAULT_CIPHER_SUITES.to_vec(),
        kx_groups: rustls::crypto::ring::DEFAULT_KX_GROUPS.to_vec(),
        signature_verification_algorithms: SIGNATURE_ALGORITHMS,
        secure_random: &Ring,
        key_provider: &Ring,
    }
}

#[derive(Debug)]
struct Ring;

impl SecureRandom for Ring {
    fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
        use ring::rand::SecureRandom as _;
        ring::rand::SystemRandom::new()
            .fill(buf)
            .map_err(|_| GetRandomFailed)
    }
}

impl KeyProvider for Ring {
    fn load_private_key(
        &self,
        key_der: PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn SigningKey>, rustls::Error> {
        rustls::crypto::ring::sign::any_supported_type(&key_der)
    }
}

/// What webpki checks with *ring*, and which algorithms each TLS signature
/// scheme may use (for TLS 1.2 the curve is not fixed by the scheme).
static SIGNATURE_ALGORITHMS: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
    all: &[
        algs::ECDSA_P256_SHA256,
        algs::ECDSA_P256_SHA384,
        algs::ECDSA_P384_SHA256,
        algs::ECDSA_P384_SHA384,
        algs::ED25519,
        algs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
        algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
        algs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
        algs::RSA_PKCS1_2048_8192_SHA256,
        algs::RSA_PKCS1_2048_8192_SHA384,
        algs::RSA_PKCS1_2048_8192_SHA512,
        algs::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
        algs::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
        algs::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
    ],
    mapping: &[
        (
            SignatureScheme::ECDSA_NISTP384_SHA384,
            &[algs::ECDSA_P384_SHA384, algs::ECDSA_P256_SHA384],
        ),
        (
            SignatureScheme::ECDSA_NISTP256_SHA256,
            &[algs::ECDSA_P256_SHA256, algs::ECDSA_P384_SHA256],
        ),
        (SignatureScheme::ED25519, &[algs::ED25519]),
        (
            SignatureScheme::RSA_PSS_SHA512,
            &[algs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PSS_SHA384,
            &[algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PSS_SHA256,
            &[algs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA512,
            &[algs::RSA_PKCS1_2048_8192_SHA512],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA384,
            &[algs::RSA_PKCS1_2048_8192_SHA384],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA256,
            &[algs::RSA_PKCS1_2048_8192_SHA256],
        ),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    /// rustls' own *ring* provider, reached the non-deprecated way: from
    /// rustls' crate features (only `ring` is enabled in this workspace).
    fn rustls_ring() -> Arc<CryptoProvider> {
        Arc::clone(rustls::ClientConfig::builder().crypto_provider())
    }

    #[test]
    fn the_same_provider_as_rustls_ring_default() {
        let ours = provider();
        let theirs = rustls_ring();
        let suites =
            |p: &CryptoProvider| -> Vec<_> { p.cipher_suites.iter().map(|s| s.suite()).collect() };
        assert_eq!(suites(&ours), suites(&theirs));
        let groups =
            |p: &CryptoProvider| -> Vec<_> { p.kx_groups.iter().map(|g| g.name()).collect() };
        assert_eq!(groups(&ours), groups(&theirs));
        let (a, b) = (
            ours.signature_verification_algorithms,
            theirs.signature_verification_algorithms,
        );
        assert_eq!(a.supported_schemes(), b.supported_schemes());
        assert_eq!(format!("{:?}", a.all), format!("{:?}", b.all));
        assert_eq!(format!("{:?}", a.mapping), format!("{:?}", b.mapping));
        assert_eq!(ours.fips(), theirs.fips());
        let mut random = [0u8; 32];
        ours.secure_random.fill(&mut random).unwrap();
        assert_ne!(random, [0u8; 32]);
    }
}
