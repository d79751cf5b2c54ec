//! [`SealingKey`]: the token sealed at rest in Redis with an AEAD.
//!
//! A sealed value is `s1.` followed by base64url(nonce ‖ ciphertext ‖ tag),
//! with a fresh random 96-bit nonce per write (RFC 5116 §3.2: a nonce never
//! repeats under one key) and the Redis key as associated data, so a value
//! copied under another tenant's, client's or audience's key does not open.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::aead::{self, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

/// The marker of a sealed value.
const SEALED: &str = "s1.";

/// An AEAD key the application gives to seal the shared token at rest.
///
/// Every instance of the fleet needs the same key. `Debug` never shows it.
///
/// ```
/// use auth0_redis::SealingKey;
/// let key = SealingKey::aes_256_gcm(&[7u8; 32]);
/// assert!(!format!("{key:?}").contains('7'));
/// ```
pub struct SealingKey {
    key: LessSafeKey,
    algorithm: &'static str,
    rng: SystemRandom,
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealingKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl SealingKey {
    /// AES-256-GCM with a 256-bit key.
    pub fn aes_256_gcm(key: &[u8; 32]) -> Self {
        Self::new(&aead::AES_256_GCM, key, "AES-256-GCM")
    }

    /// ChaCha20-Poly1305 (RFC 8439) with a 256-bit key.
    pub fn chacha20_poly1305(key: &[u8; 32]) -> Self {
        Self::new(&aead::CHACHA20_POLY1305, key, "ChaCha20-Poly1305")
    }

    fn new(alg: &'static aead::Algorithm, key: &[u8; 32], name: &'static str) -> Self {
        // Both algorithms take exactly 32 key bytes, which the array type
        // guarantees: `UnboundKey::new` cannot fail here.
        let unbound = match UnboundKey::new(alg, key) {
            Ok(k) => k,
            Err(_) => unreachable!("a 32-byte key fits both AEADs"),
        };
        Self {
            key: LessSafeKey::new(unbound),
            algorithm: name,
            rng: SystemRandom::new(),
        }
    }

    /// Seals `plain`, bound to `redis_key`. `None` only if the system's
    /// random generator fails (then nothing is written to Redis).
    pub(crate) fn seal(&self, redis_key: &str, plain: &str) -> Option<String> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).ok()?;
        let mut buf = plain.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(redis_key.as_bytes()),
                &mut buf,
            )
            .ok()?;
        let mut raw = Vec::with_capacity(NONCE_LEN + buf.len());
        raw.extend_from_slice(&nonce);
        raw.extend_from_slice(&buf);
        let mut out = String::from(SEALED);
        URL_SAFE_NO_PAD.encode_string(raw, &mut out);
        Some(out)
    }

    /// Opens a value written by [`seal`](Self::seal) under `redis_key`;
    /// `None` for anything else (plaintext, another key, tampering).
    pub(crate) fn open(&self, redis_key: &str, value: &str) -> Option<String> {
        let raw = URL_SAFE_NO_PAD.decode(value.strip_prefix(SEALED)?).ok()?;
        if raw.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buf = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(redis_key.as_bytes()), &mut buf)
            .ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        for key in [
            SealingKey::aes_256_gcm(&[1; 32]),
            SealingKey::chacha20_poly1305(&[1; 32]),
        ] {
            let a = key.seal("k1", "123:eyJ.tok.sig").unwrap();
            let b = key.seal("k1", "123:eyJ.tok.sig").unwrap();
            assert_ne!(a, b, "a fresh nonce per write");
            assert!(!a.contains("eyJ"));
            assert_eq!(key.open("k1", &a).unwrap(), "123:eyJ.tok.sig");
            // Another Redis key, another key, tampering, plaintext: refused.
            assert_eq!(key.open("k2", &a), None);
            assert_eq!(SealingKey::aes_256_gcm(&[2; 32]).open("k1", &a), None);
            let mut t = a.clone().into_bytes();
            let last = t.len() - 2;
            t[last] = if t[last] == b'A' { b'B' } else { b'A' };
            assert_eq!(key.open("k1", std::str::from_utf8(&t).unwrap()), None);
            assert_eq!(key.open("k1", "p1.123:eyJ"), None);
            assert_eq!(key.open("k1", "s1."), None);
        }
    }
}
