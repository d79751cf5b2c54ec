//! Server-provided DPoP nonces (RFC 9449 §8 and §9): the server hands out a
//! value in the `DPoP-Nonce` header and accepts only proofs that carry a
//! recent one, which limits how long a proof made in advance stays usable.

use std::fmt;
use std::time::Duration;

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

use crate::base64url;

/// Hands out and checks server nonces. [`RotatingNonce`] needs no storage;
/// implement this to share nonces across a fleet some other way.
pub trait NonceSource: Send + Sync + 'static {
    /// The nonce to send in `DPoP-Nonce` now (RFC 9449 §8).
    fn current(&self, now: i64) -> String;

    /// True if a proof carrying `nonce` is acceptable at `now`.
    fn is_valid(&self, nonce: &str, now: i64) -> bool;
}

/// Nonces derived from a secret and the time: the nonce of period `t` is
/// base64url(HMAC-SHA256(secret, t)), and the current and previous period's
/// nonces are accepted, so a client that just fetched one never races the
/// rotation. Instances built with the same secret agree, so a fleet shares
/// nonces by sharing the secret.
///
/// ```
/// use std::time::Duration;
/// use auth0_jwt::dpop::{NonceSource, RotatingNonce};
///
/// let nonces = RotatingNonce::new(b"a 32-byte or longer random secret", Duration::from_secs(60));
/// let nonce = nonces.current(1_000); // period 960..=1019
/// assert!(nonces.is_valid(&nonce, 1_019));
/// assert!(nonces.is_valid(&nonce, 1_079)); // the previous period is still accepted
/// assert!(!nonces.is_valid(&nonce, 1_080));
/// ```
pub struct RotatingNonce {
    key: hmac::Key,
    period: i64,
}

impl RotatingNonce {
    /// Nonces from `secret`, rotating every `period` (at least one second).
    pub fn new(secret: &[u8], period: Duration) -> Self {
        let period = i64::try_from(period.as_secs()).unwrap_or(i64::MAX).max(1);
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
            period,
        }
    }

    /// Nonces from a fresh random secret (one instance only: others will not
    /// accept its nonces).
    pub fn random(period: Duration) -> Result<Self, ring::error::Unspecified> {
        let mut secret = [0u8; 32];
        SystemRandom::new().fill(&mut secret)?;
        Ok(Self::new(&secret, period))
    }

    fn slot(&self, now: i64) -> i64 {
        now.div_euclid(self.period)
    }
}

impl fmt::Debug for RotatingNonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret stays out.
        f.debug_struct("RotatingNonce")
            .field("period", &self.period)
            .finish_non_exhaustive()
    }
}

impl NonceSource for RotatingNonce {
    fn current(&self, now: i64) -> String {
        let tag = hmac::sign(&self.key, &self.slot(now).to_be_bytes());
        base64url::encode(tag.as_ref())
    }

    fn is_valid(&self, nonce: &str, now: i64) -> bool {
        let Ok(tag) = base64url::decode(nonce.as_bytes()) else {
            return false;
        };
        let slot = self.slot(now);
        // `hmac::verify` compares in constant time.
        [slot, slot.saturating_sub(1)]
            .iter()
            .any(|t| hmac::verify(&self.key, &t.to_be_bytes(), &tag).is_ok())
    }
}
