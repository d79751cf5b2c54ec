//! ECDSA verification (ES256, ES384) with a key prepared once.
//!
//! - With the default feature `aws-lc-rs`, aws-lc verifies against a
//!   `ParsedPublicKey` made on first use: the point is decoded and checked
//!   on the curve once, not on every call (what ring's `UnparsedPublicKey`
//!   does), which is most of the gap to a bare signature check.
//! - Without it (or should aws-lc ever refuse a point ring accepted when the
//!   key was built), ring verifies, as before.
//!
//! Both accept exactly the fixed-size `r || s` signatures of RFC 7518 §3.4.

use ring::signature::{self, UnparsedPublicKey};

use crate::alg::Algorithm;
use crate::key::{EcCurve, KeyError};

/// An EC public key: its uncompressed SEC1 point, already validated.
pub(crate) struct EcPublicKey {
    curve: EcCurve,
    /// `04 || x || y`.
    point: Vec<u8>,
    #[cfg(feature = "aws-lc-rs")]
    parsed: fast::Parsed,
}

impl EcPublicKey {
    /// `point` is an uncompressed SEC1 point on `curve`, already validated by
    /// [`crate::key::VerifyingKey::ec`].
    pub(crate) fn new(curve: EcCurve, point: Vec<u8>) -> Self {
        Self {
            curve,
            point,
            #[cfg(feature = "aws-lc-rs")]
            parsed: fast::Parsed::default(),
        }
    }

    /// Verifies `signature` over `message`; `None` when `alg` is not this
    /// key's curve's algorithm.
    pub(crate) fn verify(
        &self,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Option<Result<(), KeyError>> {
        let ring_alg: &signature::EcdsaVerificationAlgorithm = match (self.curve, alg) {
            (EcCurve::P256, Algorithm::ES256) => &signature::ECDSA_P256_SHA256_FIXED,
            (EcCurve::P384, Algorithm::ES384) => &signature::ECDSA_P384_SHA384_FIXED,
            _ => return None,
        };
        #[cfg(feature = "aws-lc-rs")]
        if let Some(verdict) = self
            .parsed
            .verify(self.curve, &self.point, message, signature)
        {
            return Some(verdict);
        }
        Some(
            UnparsedPublicKey::new(ring_alg, &self.point)
                .verify(message, signature)
                .map_err(|_| KeyError::InvalidSignature),
        )
    }
}

#[cfg(feature = "aws-lc-rs")]
mod fast {
    //! The aws-lc backend: the point parsed once, on first use.

    use std::sync::OnceLock;

    use aws_lc_rs::signature::{self, ParsedPublicKey};

    use crate::key::{EcCurve, KeyError};

    /// `None` inside when aws-lc refused the point (ring then decides).
    #[derive(Default)]
    pub(super) struct Parsed(OnceLock<Option<ParsedPublicKey>>);

    impl Parsed {
        /// aws-lc's verdict, or `None` to let ring decide.
        pub(super) fn verify(
            &self,
            curve: EcCurve,
            point: &[u8],
            message: &[u8],
            signature: &[u8],
        ) -> Option<Result<(), KeyError>> {
            let key = self
                .0
                .get_or_init(|| {
                    let alg = match curve {
                        EcCurve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
                        EcCurve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
                    };
                    ParsedPublicKey::new(alg, point).ok()
                })
                .as_ref()?;
            Some(
                key.verify_sig(message, signature)
                    .map_err(|_| KeyError::InvalidSignature),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use ring::rand::SystemRandom;
    use ring::signature::{
        ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
    };

    use super::EcPublicKey;
    use crate::alg::Algorithm;
    use crate::key::EcCurve;

    #[test]
    fn verifies_both_curves_and_refuses_other_algorithms() {
        let rng = SystemRandom::new();
        let message = b"header.payload";
        for (curve, alg, signing) in [
            (
                EcCurve::P256,
                Algorithm::ES256,
                &ECDSA_P256_SHA256_FIXED_SIGNING,
            ),
            (
                EcCurve::P384,
                Algorithm::ES384,
                &ECDSA_P384_SHA384_FIXED_SIGNING,
            ),
        ] {
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(signing, &rng).unwrap();
            let pair = EcdsaKeyPair::from_pkcs8(signing, pkcs8.as_ref(), &rng).unwrap();
            let key = EcPublicKey::new(curve, pair.public_key().as_ref().to_vec());
            let mut sig = pair.sign(&rng, message).unwrap().as_ref().to_vec();
            // Twice: the second call uses the key prepared by the first.
            for _ in 0..2 {
                assert_eq!(key.verify(alg, message, &sig), Some(Ok(())));
            }
            sig[5] ^= 1;
            assert!(matches!(key.verify(alg, message, &sig), Some(Err(_))));
            sig[5] ^= 1;
            assert!(matches!(key.verify(alg, b"other", &sig), Some(Err(_))));
            // A DER signature is not the JWS form.
            assert!(matches!(
                key.verify(alg, message, &sig[..sig.len() - 1]),
                Some(Err(_))
            ));
            // Another curve's algorithm: not this key's to answer.
            let other = if alg == Algorithm::ES256 {
                Algorithm::ES384
            } else {
                Algorithm::ES256
            };
            assert_eq!(key.verify(other, message, &sig), None);
            assert_eq!(key.verify(Algorithm::RS256, message, &sig), None);
        }
    }
}
