//! Ed25519 public keys in verified form, on one of two backends.
//!
//! - With the opt-in feature `ed25519-dalek`, the key's point is decompressed
//!   and checked once, when the key is built, and every signature is verified
//!   by `ed25519-dalek` against the prepared point. That is the fastest Ed25519
//!   verification available to safe Rust on x86_64 and aarch64 (AVX2 is picked
//!   at run time), ahead of both ring and aws-lc, and it does not decode the key
//!   again for each token.
//! - Without it (the default), `ring` verifies (it decodes the 32 key bytes
//!   on every call and can only tell a bad key from a bad signature by
//!   failing).
//!
//! Both backends accept exactly the same signatures: RFC 8032 verification
//! without the cofactor (`[S]B = R + [k]A`, compared on R's 32-byte
//! encoding, so a non-canonical `R` never matches), `S` below the group order
//! `L`, and any key bytes that decode to a curve point. The Wycheproof suite
//! and a differential test run against each of them.

use crate::key::KeyError;

/// An Ed25519 public key ready to verify signatures.
pub(crate) struct Ed25519PublicKey {
    #[cfg(feature = "ed25519-dalek")]
    key: ed25519_dalek::VerifyingKey,
    #[cfg(not(feature = "ed25519-dalek"))]
    key: [u8; 32],
}

impl Ed25519PublicKey {
    /// Checks `bytes` (RFC 8032 §5.1.2 encoding).
    ///
    /// With `ed25519-dalek`, bytes that do not decode to a point fail here with
    /// [`KeyError::InvalidEd25519Point`]; ring-only builds accept them and then
    /// reject every signature.
    pub(crate) fn from_bytes(bytes: [u8; 32]) -> Result<Self, KeyError> {
        #[cfg(feature = "ed25519-dalek")]
        {
            let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                .map_err(|_| KeyError::InvalidEd25519Point)?;
            Ok(Self { key })
        }
        #[cfg(not(feature = "ed25519-dalek"))]
        {
            Ok(Self { key: bytes })
        }
    }

    /// Verifies a 64-byte signature `R || S` over `message`.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        #[cfg(feature = "ed25519-dalek")]
        {
            use ed25519_dalek::Verifier as _;
            let signature = ed25519_dalek::Signature::from_slice(signature)
                .map_err(|_| KeyError::InvalidSignature)?;
            // `verify`, not `verify_strict`: the cofactorless check ring (and
            // BoringSSL, and jsonwebtoken's backends) make, so the feature never
            // changes which tokens are accepted.
            self.key
                .verify(message, &signature)
                .map_err(|_| KeyError::InvalidSignature)
        }
        #[cfg(not(feature = "ed25519-dalek"))]
        {
            ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, &self.key)
                .verify(message, signature)
                .map_err(|_| KeyError::InvalidSignature)
        }
    }
}

#[cfg(all(test, feature = "ed25519-dalek"))]
mod tests {
    //! Differential test: the dalek backend and ring agree on every signature.

    use ring::rand::SystemRandom;
    use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};

    use super::Ed25519PublicKey;

    fn ring_accepts(key: &[u8], message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, key)
            .verify(message, signature)
            .is_ok()
    }

    #[test]
    fn dalek_and_ring_agree_on_mutated_signatures() {
        let rng = SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let public: [u8; 32] = pair.public_key().as_ref().try_into().unwrap();
        let key = Ed25519PublicKey::from_bytes(public).unwrap();
        let message = b"eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0";
        let good = pair.sign(message).as_ref().to_vec();
        assert!(key.verify(message, &good).is_ok());
        assert!(ring_accepts(&public, message, &good));

        let mut checked = 0;
        // Every single-bit flip of the signature, plus S pushed past the group
        // order (S + L, same value mod L: both must refuse it).
        for bit in 0..good.len() * 8 {
            let mut sig = good.clone();
            sig[bit / 8] ^= 1 << (bit % 8);
            assert_eq!(
                key.verify(message, &sig).is_ok(),
                ring_accepts(&public, message, &sig),
                "bit {bit}"
            );
            checked += 1;
        }
        const L: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut sig = good.clone();
        let mut carry = 0u16;
        for (s, l) in sig[32..].iter_mut().zip(L) {
            let sum = u16::from(*s) + u16::from(l) + carry;
            *s = (sum & 0xff) as u8;
            carry = sum >> 8;
        }
        assert!(key.verify(message, &sig).is_err());
        assert!(!ring_accepts(&public, message, &sig));
        // Wrong lengths.
        for len in [0, 63, 65] {
            let sig = vec![0u8; len];
            assert!(key.verify(message, &sig).is_err());
            assert!(!ring_accepts(&public, message, &sig));
        }
        assert_eq!(checked, 512);
    }

    #[test]
    fn key_bytes_off_the_curve_are_refused_when_built() {
        // y = 2 is not the y-coordinate of any point (x² = (y²-1)/(dy²+1) has no root).
        let mut bytes = [0u8; 32];
        bytes[0] = 2;
        assert!(matches!(
            Ed25519PublicKey::from_bytes(bytes),
            Err(crate::key::KeyError::InvalidEd25519Point)
        ));
    }
}
