//! The tenant's signing keys: RS256 by default, as Auth0 signs; rotation
//! keeps the previous keys in the JWKS for a grace period, then drops them.

use std::sync::Arc;
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

/// What a tenant uses an RSA key for at start; each use has its own key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RsaUse {
    /// The tenant's first RS256 signing key.
    TenantSigning,
    /// The `private_key_jwt` application's key.
    ClientAssertion,
}

/// The RSA-2048 key for `what`, generated once per process and shared by
/// the tenants the process starts (each under its own random `kid`): a key
/// takes ~0.5 s to generate, and tests start tenants by the dozen. Keys made
/// by rotation are always fresh ([`KeyRing::rotate`]).
pub(crate) fn process_rsa_pem(what: RsaUse) -> Result<String, StartError> {
    use std::sync::OnceLock;
    static TENANT_SIGNING: OnceLock<String> = OnceLock::new();
    static CLIENT_ASSERTION: OnceLock<String> = OnceLock::new();
    let cell = match what {
        RsaUse::TenantSigning => &TENANT_SIGNING,
        RsaUse::ClientAssertion => &CLIENT_ASSERTION,
    };
    if let Some(pem) = cell.get() {
        return Ok(pem.clone());
    }
    // Two tenants starting at once may both generate; the first one stored
    // is the one every later start gets.
    let fresh = generate_rsa_pem()?;
    Ok(cell.get_or_init(|| fresh).clone())
}

/// Where an RSA key comes from.
#[derive(Clone, Copy)]
enum RsaSource {
    /// The process' tenant signing key ([`process_rsa_pem`]).
    Process,
    /// A new key (rotation).
    Fresh,
}

/// A key for `algorithm` with a random `kid`.
fn generate(algorithm: Algorithm, rsa: RsaSource) -> Result<TenantKey, StartError> {
    let kid = crate::tenant::random_id(16);
    let signing = match algorithm {
        Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 | Algorithm::PS256 => {
            let pem = match rsa {
                RsaSource::Process => process_rsa_pem(RsaUse::TenantSigning)?,
                RsaSource::Fresh => generate_rsa_pem()?,
            };
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
            current: Arc::new(generate(algorithm, RsaSource::Process)?),
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
        let fresh = Arc::new(generate(self.algorithm, RsaSource::Fresh)?);
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
        let key = generate(Algorithm::RS256, RsaSource::Fresh).unwrap();
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
    fn the_process_key_is_shared_under_new_kids_and_rotation_is_fresh() {
        let a = generate(Algorithm::RS256, RsaSource::Process).unwrap();
        let b = generate(Algorithm::RS256, RsaSource::Process).unwrap();
        assert_ne!(a.kid, b.kid);
        assert_eq!(a.jwk["n"], b.jwk["n"]);
        let fresh = generate(Algorithm::RS256, RsaSource::Fresh).unwrap();
        assert_ne!(fresh.jwk["n"], a.jwk["n"]);
        // Each use has its own key: the application's key never signs
        // the tenant's tokens.
        assert_ne!(
            process_rsa_pem(RsaUse::TenantSigning).unwrap(),
            process_rsa_pem(RsaUse::ClientAssertion).unwrap()
        );
    }
}
