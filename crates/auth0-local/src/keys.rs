//! The tenant's signing keys: RS256 by default, as Auth0 signs; rotation
//! keeps the previous keys in the JWKS for a grace period, then drops them.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use auth0_jwt::alg::Algorithm;
use auth0_jwt::key::VerifyingKey;
use auth0_jwt::sign::SigningKey;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::StartError;

/// One signing key with its public forms.
pub(crate) struct TenantKey {
    pub(crate) kid: String,
    pub(crate) signing: SigningKey,
    pub(crate) verifying: VerifyingKey,
    pub(crate) jwk: Value,
}

/// The current key and the retired ones still published.
pub(crate) struct KeyRing {
    algorithm: Algorithm,
    grace: Duration,
    current: Arc<TenantKey>,
    retired: Vec<(Arc<TenantKey>, Instant)>,
}

fn key_error(what: impl std::fmt::Display) -> StartError {
    StartError::Key {
        reason: what.to_string(),
    }
}

/// A PEM block (RFC 7468) around `der`.
pub(crate) fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// A fresh RSA-2048 private key as PKCS#8 PEM (RustCrypto's `rsa` makes
/// the key; ring signs with it once loaded from the PKCS#8 document).
pub(crate) fn generate_rsa_pem() -> Result<String, StartError> {
    use rsa::pkcs8::EncodePrivateKey as _;
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
        .map_err(|_| key_error("RSA key generation failed"))?;
    let der = key
        .to_pkcs8_der()
        .map_err(|_| key_error("RSA key encoding failed"))?;
    Ok(pem("PRIVATE KEY", der.as_bytes()))
}

/// The `private_key_jwt` application's RSA key, made on first use. An
/// RSA-2048 key costs about half a second of CPU (RustCrypto's `rsa` looks
/// for its primes), and most tenants — most of a test suite's — never sign
/// a client assertion; a tenant used to make this key at start, beside its
/// own signing key, which doubled the CPU every start took.
///
/// Clones share the key. Until it is made nobody holds its private half, so
/// no client assertion can verify: [`LazyRsaKey::verifying`] has no key.
#[derive(Clone, Default)]
pub(crate) struct LazyRsaKey(Arc<OnceLock<Option<(String, VerifyingKey)>>>);

impl LazyRsaKey {
    /// The private key (PKCS#8 PEM), made now if it was not yet; `None` only
    /// if it could not be made (the system's random source failed).
    pub(crate) fn pem(&self) -> Option<&str> {
        let made = self.0.get_or_init(|| {
            let pem = generate_rsa_pem().ok()?;
            let public = SigningKey::rsa_pem(&pem, Algorithm::RS256)
                .and_then(|key| key.verifying_key())
                .ok()?;
            Some((pem, public))
        });
        made.as_ref().map(|(pem, _)| pem.as_str())
    }

    /// The public half; `None` until the key was made (this never makes it).
    fn verifying(&self) -> Option<&VerifyingKey> {
        self.0.get()?.as_ref().map(|(_, public)| public)
    }

    /// Whether `signature` over `input` verifies with this key (the
    /// application's client assertions and request objects): never before
    /// the key was handed out, since nothing signed with it can exist yet.
    pub(crate) fn verifies(&self, alg: Algorithm, input: &[u8], signature: &[u8]) -> bool {
        self.verifying()
            .is_some_and(|key| key.verify(alg, input, signature).is_ok())
    }
}

/// A fresh key for `algorithm` with a random `kid`. Every tenant makes its
/// own keys, as every Auth0 tenant has its own: tests that trust several
/// tenants check that one's keys never verify another's tokens.
pub(crate) fn generate(algorithm: Algorithm) -> Result<TenantKey, StartError> {
    let kid = crate::tenant::random_id(16);
    let signing = match algorithm {
        Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 | Algorithm::PS256 => {
            let pem = generate_rsa_pem()?;
            SigningKey::rsa_pem(&pem, algorithm).map_err(key_error)?
        }
        Algorithm::ES256 => SigningKey::generate_es256().map_err(key_error)?,
        Algorithm::ES384 => SigningKey::generate_es384().map_err(key_error)?,
        Algorithm::EdDSA => SigningKey::generate_ed25519().map_err(key_error)?,
        other => {
            return Err(key_error(format!(
                "{} is not an asymmetric algorithm the tenant can sign with",
                other.as_str()
            )));
        }
    }
    .with_kid(kid.clone());
    let verifying = signing.verifying_key().map_err(key_error)?;
    let mut jwk =
        serde_json::to_value(signing.to_public_jwk().map_err(key_error)?).map_err(key_error)?;
    jwk["use"] = json!("sig");
    jwk["alg"] = json!(algorithm.as_str());
    Ok(TenantKey {
        kid,
        signing,
        verifying,
        jwk,
    })
}

impl KeyRing {
    pub(crate) fn new(algorithm: Algorithm, grace: Duration) -> Result<Self, StartError> {
        Ok(Self {
            algorithm,
            grace,
            current: Arc::new(generate(algorithm)?),
            retired: Vec::new(),
        })
    }

    pub(crate) fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub(crate) fn current(&self) -> Arc<TenantKey> {
        Arc::clone(&self.current)
    }

    fn prune(&mut self) {
        let now = Instant::now();
        let grace = self.grace;
        self.retired
            .retain(|(_, since)| now.saturating_duration_since(*since) < grace);
    }

    /// A new current key; the old one stays published for the grace period.
    pub(crate) fn rotate(&mut self) -> Result<String, StartError> {
        let fresh = Arc::new(generate(self.algorithm)?);
        let old = std::mem::replace(&mut self.current, fresh);
        self.retired.push((old, Instant::now()));
        self.prune();
        Ok(self.current.kid.clone())
    }

    /// Drops every retired key now, whatever the grace period.
    pub(crate) fn drop_retired(&mut self) {
        self.retired.clear();
    }

    /// The keys tokens may be verified with: the current one first.
    pub(crate) fn published(&mut self) -> Vec<Arc<TenantKey>> {
        self.prune();
        std::iter::once(Arc::clone(&self.current))
            .chain(self.retired.iter().map(|(k, _)| Arc::clone(k)))
            .collect()
    }

    /// The JWKS document (RFC 7517 §5).
    pub(crate) fn jwks(&mut self) -> Value {
        let keys: Vec<Value> = self.published().iter().map(|k| k.jwk.clone()).collect();
        json!({ "keys": keys })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_rotated_key_stays_published_for_the_grace_period() {
        let mut ring = KeyRing::new(Algorithm::ES256, Duration::from_secs(600)).unwrap();
        let first = ring.current().kid.clone();
        let second = ring.rotate().unwrap();
        let kids = |ring: &mut KeyRing| -> Vec<String> {
            ring.published().iter().map(|k| k.kid.clone()).collect()
        };
        assert_eq!(kids(&mut ring), vec![second.clone(), first]);
        assert_eq!(ring.jwks()["keys"].as_array().unwrap().len(), 2);
        tokio::time::advance(Duration::from_secs(599)).await;
        assert_eq!(kids(&mut ring).len(), 2);
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(kids(&mut ring), vec![second]);
    }

    #[test]
    fn rs256_keys_are_rsa_2048() {
        let key = generate(Algorithm::RS256).unwrap();
        assert_eq!(key.jwk["kty"], "RSA");
        assert_eq!(key.jwk["alg"], "RS256");
        assert_eq!(key.jwk["e"], "AQAB");
        // 2048-bit modulus: 256 bytes, 342 base64url characters.
        assert_eq!(key.jwk["n"].as_str().unwrap().len(), 342);
        // ring signs with it and its public key verifies the signature.
        let signature = key.signing.sign(b"header.payload").unwrap();
        assert_eq!(signature.len(), 256);
        key.verifying
            .verify(Algorithm::RS256, b"header.payload", &signature)
            .unwrap();
        assert!(
            key.verifying
                .verify(Algorithm::RS256, b"header.payloaD", &signature)
                .is_err()
        );
    }

    #[test]
    fn every_key_is_new() {
        let a = generate(Algorithm::RS256).unwrap();
        let b = generate(Algorithm::RS256).unwrap();
        assert_ne!(a.kid, b.kid);
        assert_ne!(a.jwk["n"], b.jwk["n"]);
    }

    #[test]
    fn the_application_key_is_made_once_on_first_use_and_shared_by_clones() {
        let lazy = LazyRsaKey::default();
        let clone = lazy.clone();
        // Nothing to verify with before anyone holds the private half.
        assert!(clone.verifying().is_none());
        let pem = lazy.pem().unwrap().to_owned();
        assert_eq!(clone.pem(), Some(pem.as_str()), "made once");
        let signing = SigningKey::rsa_pem(&pem, Algorithm::RS256).unwrap();
        let signature = signing.sign(b"header.payload").unwrap();
        let public = clone.verifying().expect("made by the other clone");
        public
            .verify(Algorithm::RS256, b"header.payload", &signature)
            .unwrap();
    }
}
