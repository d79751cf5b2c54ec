//! RSA public keys in verified form, on one of two backends.
//!
//! - By default `ring` verifies (ring is the one C crypto library of the
//!   default build of the whole SDK). Its API takes the modulus and exponent on
//!   every call, so each signature pays for setting the key up again (the
//!   Montgomery constants of the modulus: about a fifth of a 2048-bit
//!   verification).
//! - With the opt-in feature `aws-lc-rs`, aws-lc (the default crypto
//!   provider of rustls) verifies RS256/384/512 and PS256/384/512 against a
//!   key parsed once per algorithm (on first use) and kept, so a token pays
//!   only for its own exponentiation: about 1.3× ring's speed. aws-lc is a
//!   second C library: a much longer first build.
//!
//! Both accept exactly the same signatures: the key rules are ours (checked
//! before either backend sees the key: 2048–8192 bits, odd modulus, odd
//! exponent 3 ≤ e < 2³³, no ROCA fingerprint), PKCS#1 v1.5 compares the
//! whole encoded `DigestInfo`, PSS uses MGF1 with the same hash and a salt as
//! long as the hash (RFC 7518 §3.5). Every Wycheproof RSA case is checked
//! against raw ring on each backend. Should aws-lc ever refuse a key ring
//! took, ring verifies it, so the feature cannot change a verdict.

use ring::signature::{self, RsaPublicKeyComponents};

use crate::alg::Algorithm;
use crate::key::KeyError;

/// An RSA public key whose size and exponent were already checked.
pub(crate) struct RsaPublicKey {
    components: RsaPublicKeyComponents<Vec<u8>>,
    #[cfg(feature = "aws-lc-rs")]
    parsed: fast::Parsed,
}

impl RsaPublicKey {
    /// Big-endian modulus and exponent without leading zeros, already
    /// validated by [`crate::key::VerifyingKey::rsa`].
    pub(crate) fn new(n: &[u8], e: &[u8]) -> Self {
        Self {
            #[cfg(feature = "aws-lc-rs")]
            parsed: fast::Parsed::new(n, e),
            components: RsaPublicKeyComponents {
                n: n.to_vec(),
                e: e.to_vec(),
            },
        }
    }

    /// Verifies `signature` over `message` with an RSA algorithm; `None` when
    /// `alg` is not one.
    pub(crate) fn verify(
        &self,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Option<Result<(), KeyError>> {
        #[cfg(feature = "aws-lc-rs")]
        if let Some(verdict) = self.parsed.verify(alg, message, signature) {
            return Some(verdict);
        }
        let params: &signature::RsaParameters = match alg {
            Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
            Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
            Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
            Algorithm::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
            _ => return None,
        };
        Some(
            self.components
                .verify(params, message, signature)
                .map_err(|_| KeyError::InvalidSignature),
        )
    }
}

#[cfg(feature = "aws-lc-rs")]
mod fast {
    //! The aws-lc backend: one parsed key per algorithm, made on first use.

    use aws_lc_rs::signature::{self, RsaParameters};

    use crate::alg::Algorithm;
    use crate::key::KeyError;
    use crate::prepared::Prepared;

    const ALGORITHMS: [(Algorithm, &RsaParameters); 6] = [
        (Algorithm::RS256, &signature::RSA_PKCS1_2048_8192_SHA256),
        (Algorithm::RS384, &signature::RSA_PKCS1_2048_8192_SHA384),
        (Algorithm::RS512, &signature::RSA_PKCS1_2048_8192_SHA512),
        (Algorithm::PS256, &signature::RSA_PSS_2048_8192_SHA256),
        (Algorithm::PS384, &signature::RSA_PSS_2048_8192_SHA384),
        (Algorithm::PS512, &signature::RSA_PSS_2048_8192_SHA512),
    ];

    pub(super) struct Parsed {
        /// PKCS#1 `RSAPublicKey` DER, what aws-lc parses.
        der: Box<[u8]>,
        /// Per entry of `ALGORITHMS`.
        keys: [Prepared; 6],
    }

    impl Parsed {
        pub(super) fn new(n: &[u8], e: &[u8]) -> Self {
            Self {
                der: rsa_public_key_der(n, e).into_boxed_slice(),
                keys: Default::default(),
            }
        }

        /// aws-lc's verdict, or `None` to let ring decide (not an RSA
        /// algorithm, or a key aws-lc would not parse).
        pub(super) fn verify(
            &self,
            alg: Algorithm,
            message: &[u8],
            signature: &[u8],
        ) -> Option<Result<(), KeyError>> {
            let (index, (_, params)) = ALGORITHMS
                .iter()
                .enumerate()
                .find(|(_, (a, _))| *a == alg)?;
            self.keys
                .get(index)?
                .verify(*params, &self.der, message, signature)
        }
    }

    /// `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`
    /// (RFC 8017 A.1.1) for positive big-endian integers without leading zeros.
    pub(super) fn rsa_public_key_der(n: &[u8], e: &[u8]) -> Vec<u8> {
        let mut body = Vec::with_capacity(n.len() + e.len() + 12);
        for int in [n, e] {
            // A leading 0x00 keeps a high first bit from reading as negative.
            let pad = int.first().is_some_and(|b| b & 0x80 != 0);
            body.push(0x02);
            push_len(&mut body, int.len() + usize::from(pad));
            if pad {
                body.push(0);
            }
            body.extend_from_slice(int);
        }
        let mut der = Vec::with_capacity(body.len() + 4);
        der.push(0x30);
        push_len(&mut der, body.len());
        der.extend_from_slice(&body);
        der
    }

    fn push_len(out: &mut Vec<u8>, len: usize) {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        if len < 0x80 {
            out.extend_from_slice(significant);
        } else {
            // Long form: 0x80 | number of length bytes, then the bytes.
            out.push(0x80 | significant.len() as u8);
            out.extend_from_slice(significant);
        }
    }

    #[cfg(test)]
    mod tests {
        use aws_lc_rs::rsa::KeySize;
        use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RSA_PSS_SHA256, RsaKeyPair};

        use super::{Parsed, rsa_public_key_der};
        use crate::alg::Algorithm;

        #[test]
        fn aws_lc_decides_and_agrees_with_ring() {
            let pair = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
            let der = pair.public_key().as_ref().to_vec();
            let mut reader = crate::der::Reader::new(&der);
            let mut seq = reader.sequence().unwrap();
            let (n, e) = (
                seq.positive_integer().unwrap(),
                seq.positive_integer().unwrap(),
            );
            let parsed = Parsed::new(n, e);
            let key = super::super::RsaPublicKey::new(n, e);
            let rng = aws_lc_rs::rand::SystemRandom::new();
            let message = b"header.payload";
            for (alg, padding) in [
                (
                    Algorithm::RS256,
                    &RSA_PKCS1_SHA256 as &dyn aws_lc_rs::signature::RsaEncoding,
                ),
                (Algorithm::PS256, &RSA_PSS_SHA256),
            ] {
                let mut sig = vec![0u8; pair.public_modulus_len()];
                pair.sign(padding, &rng, message, &mut sig).unwrap();
                // aws-lc gives the verdict (it does not fall back to ring) …
                assert_eq!(parsed.verify(alg, message, &sig), Some(Ok(())));
                sig[10] ^= 1;
                assert!(matches!(parsed.verify(alg, message, &sig), Some(Err(_))));
                sig[10] ^= 1;
                // … and the key's path is the same.
                assert_eq!(key.verify(alg, message, &sig), Some(Ok(())));
            }
            // Not an RSA algorithm: neither backend answers.
            assert_eq!(parsed.verify(Algorithm::ES256, message, &[0; 64]), None);
        }

        #[test]
        fn der_matches_ring_and_reads_back() {
            // A 2048-bit modulus with its high bit set, e = 65537.
            let mut n = vec![0xC5u8; 256];
            n[255] = 0x01;
            let e = [0x01, 0x00, 0x01];
            let der = rsa_public_key_der(&n, &e);
            // 30 82 01 0a | 02 82 01 01 00 <256> | 02 03 01 00 01
            assert_eq!(&der[..4], &[0x30, 0x82, 0x01, 0x0a]);
            assert_eq!(&der[4..9], &[0x02, 0x82, 0x01, 0x01, 0x00]);
            assert_eq!(&der[der.len() - 5..], &[0x02, 0x03, 0x01, 0x00, 0x01]);
            assert_eq!(der.len(), 4 + 5 + 256 + 5);
            let mut reader = crate::der::Reader::new(&der);
            let mut seq = reader.sequence().unwrap();
            assert_eq!(seq.positive_integer().unwrap(), &n[..]);
            assert_eq!(seq.positive_integer().unwrap(), &e[..]);
            // Short lengths and no padding for a small first byte.
            assert_eq!(
                rsa_public_key_der(&[0x7f], &[0x03]),
                [0x30, 0x06, 0x02, 0x01, 0x7f, 0x02, 0x01, 0x03]
            );
        }
    }
}
