//! ECDSA public keys (P-256, P-384) in verified form, on one of two backends.
//!
//! - By default `ring` verifies. Its API takes the encoded point on every
//!   call, so each signature pays for decoding and checking the point again.
//! - With the opt-in feature `aws-lc-rs` (the one that also moves RSA to
//!   aws-lc, see `rsa`), aws-lc verifies ES256/ES384 against a key parsed once
//!   (on first use) and kept: the bench's prepared-key floor itself. Ring's
//!   per-call decoding is about 3% of an ES256 `validate` (callgrind, 769k
//!   against 743k instructions).
//!
//! Both accept exactly the same signatures: the fixed-size `r || s` form JWS
//! uses (RFC 7518 §3.4), `0 < r, s < n`, the point validated when the key was
//! built (`crate::key`). The Wycheproof ECDSA suites run against each backend.
//! Should aws-lc ever refuse a point ring took, ring verifies, so the feature
//! cannot change a verdict.

use ring::signature::{self, UnparsedPublicKey};

use crate::alg::Algorithm;
use crate::key::{EcCurve, KeyError};

/// An EC public key whose point was already validated on its curve.
pub(crate) struct EcPublicKey {
    curve: EcCurve,
    /// Uncompressed SEC1 point `04 || x || y`.
    point: Vec<u8>,
    #[cfg(feature = "aws-lc-rs")]
    parsed: crate::prepared::Prepared,
}

impl EcPublicKey {
    /// `point` is uncompressed SEC1, already validated on `curve`.
    pub(crate) fn new(curve: EcCurve, point: Vec<u8>) -> Self {
        Self {
            curve,
            point,
            #[cfg(feature = "aws-lc-rs")]
            parsed: Default::default(),
        }
    }

    /// Verifies the fixed-size `signature` over `message` with the curve's
    /// algorithm; `None` when `alg` is not it.
    pub(crate) fn verify(
        &self,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Option<Result<(), KeyError>> {
        let ring_alg = match (self.curve, alg) {
            (EcCurve::P256, Algorithm::ES256) => &signature::ECDSA_P256_SHA256_FIXED,
            (EcCurve::P384, Algorithm::ES384) => &signature::ECDSA_P384_SHA384_FIXED,
            _ => return None,
        };
        #[cfg(feature = "aws-lc-rs")]
        {
            use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ECDSA_P384_SHA384_FIXED};
            let aws_lc_alg = match self.curve {
                EcCurve::P256 => &ECDSA_P256_SHA256_FIXED,
                EcCurve::P384 => &ECDSA_P384_SHA384_FIXED,
            };
            let verdict = self
                .parsed
                .verify(aws_lc_alg, &self.point, message, signature);
            if verdict.is_some() {
                return verdict;
            }
        }
        Some(
            UnparsedPublicKey::new(ring_alg, &self.point)
                .verify(message, signature)
                .map_err(|_| KeyError::InvalidSignature),
        )
    }
}

#[cfg(test)]
mod tests {
    use ring::rand::SystemRandom;
    use ring::signature::{
        ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair,
        EcdsaSigningAlgorithm, KeyPair as _,
    };

    use super::*;

    /// Whatever the backend, a good signature verifies, a flipped bit or a
    /// zero `r || s` does not, and another algorithm is not answered.
    #[test]
    fn verdicts_on_the_build_backend() {
        let rng = SystemRandom::new();
        let cases: [(EcCurve, Algorithm, &EcdsaSigningAlgorithm); 2] = [
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
        ];
        for (curve, alg, signing) in cases {
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(signing, &rng).unwrap();
            let pair = EcdsaKeyPair::from_pkcs8(signing, pkcs8.as_ref(), &rng).unwrap();
            let key = EcPublicKey::new(curve, pair.public_key().as_ref().to_vec());
            let message = b"header.payload";
            let mut sig = pair.sign(&rng, message).unwrap().as_ref().to_vec();
            // Twice: the second call uses the kept key (with aws-lc).
            for _ in 0..2 {
                assert_eq!(key.verify(alg, message, &sig), Some(Ok(())));
            }
            sig[5] ^= 1;
            assert_eq!(
                key.verify(alg, message, &sig),
                Some(Err(KeyError::InvalidSignature))
            );
            let zero = vec![0; sig.len()];
            assert_eq!(
                key.verify(alg, message, &zero),
                Some(Err(KeyError::InvalidSignature))
            );
            assert_eq!(
                key.verify(alg, message, &sig[1..]),
                Some(Err(KeyError::InvalidSignature))
            );
            assert_eq!(key.verify(Algorithm::RS256, message, &sig), None);
        }
    }
}
