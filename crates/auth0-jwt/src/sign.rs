//! Signing compact JWS for the SDK's own needs: `private_key_jwt` client assertions and
//! test tokens. Verification never needs this module.

use std::fmt;

use ring::hmac;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::alg::{Algorithm, AlgorithmFamily};
use crate::base64url;
use crate::jwk::Jwk;
use crate::key::{EcCurve, KeyError, VerifyingKey};
use crate::pem;

/// Why a signing key could not be built or a token could not be signed. Never contains
/// key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The PEM text could not be decoded.
    #[error("invalid PEM: {reason}")]
    Pem {
        /// What is wrong.
        reason: &'static str,
    },
    /// The PEM label is not `PRIVATE KEY` (PKCS#8) or `RSA PRIVATE KEY` (PKCS#1).
    /// Encrypted keys (`ENCRYPTED PRIVATE KEY`) must be decrypted first.
    #[error("unsupported PEM label `{label}` for a private key")]
    UnsupportedPemLabel {
        /// The label.
        label: String,
    },
    /// `ring` refused the private key: wrong algorithm for the key, malformed DER,
    /// RSA key under 2048 bits, EC key without its public point, …
    #[error("private key rejected: {reason}")]
    KeyRejected {
        /// ring's description (never key bytes).
        reason: String,
    },
    /// The algorithm can't be used with this kind of key.
    #[error("algorithm {alg} can't be used with this key")]
    AlgorithmDoesNotFitKey {
        /// The algorithm.
        alg: Algorithm,
    },
    /// An empty HMAC secret.
    #[error("HMAC secret is empty")]
    EmptyHmacSecret,
    /// The system random number generator failed.
    #[error("random number generator failed")]
    Random,
    /// `header_extras` tried to set a member the signer controls (`alg`, or `b64`/`crit`
    /// which our own verifier would refuse).
    #[error("header member `{name}` can't be set through header_extras")]
    ReservedHeader {
        /// The member.
        name: &'static str,
    },
    /// The claims don't serialize to a JSON object.
    #[error("claims must serialize to a JSON object")]
    ClaimsNotObject,
    /// Serializing the claims failed (e.g. a map with non-string keys).
    #[error("claims could not be serialized: {reason}")]
    Serialize {
        /// serde's description.
        reason: String,
    },
    /// A public JWK was requested for an HMAC key (it would expose the secret).
    #[error("an HMAC key has no public form")]
    NoPublicKey,
    /// Building the matching verifying key failed.
    #[error("could not build the verifying key")]
    VerifyingKey(#[source] KeyError),
}

enum Signer {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair, EcCurve),
    Ed25519(Ed25519KeyPair),
    Hmac { key: hmac::Key, secret: Vec<u8> },
}

/// A private key (or HMAC secret) that signs compact JWS.
///
/// `Debug` shows the algorithm and `kid` only.
///
/// # Example
///
/// ```
/// use auth0_jwt::alg::Algorithm;
/// use auth0_jwt::jws::{Jws, ParseOptions};
/// use auth0_jwt::sign::SigningKey;
///
/// let key = SigningKey::generate_ed25519()?.with_kid("test-key");
/// let token = key.sign_token(&Default::default(), &serde_json::json!({"sub": "user"}))?;
/// let jws = Jws::parse(&token, &ParseOptions::default())?;
/// assert_eq!(jws.header().typ.as_deref(), Some("JWT"));
/// key.verifying_key()?.verify(Algorithm::EdDSA, jws.signing_input(), jws.signature())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SigningKey {
    signer: Signer,
    alg: Algorithm,
    kid: Option<String>,
    typ: Option<String>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("typ", &self.typ)
            .finish_non_exhaustive()
    }
}

fn rejected(e: ring::error::KeyRejected) -> SignError {
    SignError::KeyRejected {
        reason: e.to_string(),
    }
}

fn decode_pem(text: &str) -> Result<pem::Pem, SignError> {
    pem::decode(text).map_err(|e| SignError::Pem { reason: e.as_str() })
}

impl SigningKey {
    fn new(signer: Signer, alg: Algorithm) -> Self {
        SigningKey {
            signer,
            alg,
            kid: None,
            typ: Some("JWT".to_owned()),
        }
    }

    /// An RSA key from PEM, PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`), for
    /// `alg` one of `RS256`/`RS384`/`RS512`/`PS256`/`PS384`/`PS512`.
    pub fn rsa_pem(pem: &str, alg: Algorithm) -> Result<Self, SignError> {
        if !alg.is_rsa() {
            return Err(SignError::AlgorithmDoesNotFitKey { alg });
        }
        let block = decode_pem(pem)?;
        let pair = match block.label.as_str() {
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&block.der),
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(&block.der),
            other => {
                return Err(SignError::UnsupportedPemLabel {
                    label: other.chars().take(64).collect(),
                });
            }
        }
        .map_err(rejected)?;
        Ok(Self::new(Signer::Rsa(pair), alg))
    }

    /// An ECDSA key (`ES256` for P-256, `ES384` for P-384) from PKCS#8 PEM.
    pub fn ecdsa_pem(pem: &str, alg: Algorithm) -> Result<Self, SignError> {
        let block = decode_pem(pem)?;
        if block.label != "PRIVATE KEY" {
            return Err(SignError::UnsupportedPemLabel {
                label: block.label.chars().take(64).collect(),
            });
        }
        Self::ecdsa_pkcs8(&block.der, alg)
    }

    /// An ECDSA key from PKCS#8 DER.
    pub fn ecdsa_pkcs8(der: &[u8], alg: Algorithm) -> Result<Self, SignError> {
        let (ring_alg, curve) = match alg {
            Algorithm::ES256 => (&signature::ECDSA_P256_SHA256_FIXED_SIGNING, EcCurve::P256),
            Algorithm::ES384 => (&signature::ECDSA_P384_SHA384_FIXED_SIGNING, EcCurve::P384),
            _ => return Err(SignError::AlgorithmDoesNotFitKey { alg }),
        };
        let pair =
            EcdsaKeyPair::from_pkcs8(ring_alg, der, &SystemRandom::new()).map_err(rejected)?;
        Ok(Self::new(Signer::Ecdsa(pair, curve), alg))
    }

    /// A fresh random P-256 key for `ES256`.
    pub fn generate_es256() -> Result<Self, SignError> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| SignError::Random)?;
        Self::ecdsa_pkcs8(pkcs8.as_ref(), Algorithm::ES256)
    }

    /// A fresh random P-384 key for `ES384`.
    pub fn generate_es384() -> Result<Self, SignError> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P384_SHA384_FIXED_SIGNING, &rng)
            .map_err(|_| SignError::Random)?;
        Self::ecdsa_pkcs8(pkcs8.as_ref(), Algorithm::ES384)
    }

    /// An Ed25519 key (`EdDSA`) from PKCS#8 PEM (v1 as written by OpenSSL, or v2).
    pub fn ed25519_pem(pem: &str) -> Result<Self, SignError> {
        let block = decode_pem(pem)?;
        if block.label != "PRIVATE KEY" {
            return Err(SignError::UnsupportedPemLabel {
                label: block.label.chars().take(64).collect(),
            });
        }
        Self::ed25519_pkcs8(&block.der)
    }

    /// An Ed25519 key from PKCS#8 DER (v1 or v2).
    pub fn ed25519_pkcs8(der: &[u8]) -> Result<Self, SignError> {
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(rejected)?;
        Ok(Self::new(Signer::Ed25519(pair), Algorithm::EdDSA))
    }

    /// A fresh random Ed25519 key.
    pub fn generate_ed25519() -> Result<Self, SignError> {
        let pkcs8 =
            Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| SignError::Random)?;
        Self::ed25519_pkcs8(pkcs8.as_ref())
    }

    /// Any private key PEM: PKCS#1 RSA, or PKCS#8 RSA / EC / Ed25519, for `alg`.
    pub fn from_pem(pem: &str, alg: Algorithm) -> Result<Self, SignError> {
        match alg.family() {
            AlgorithmFamily::RsaPkcs1 | AlgorithmFamily::RsaPss => Self::rsa_pem(pem, alg),
            AlgorithmFamily::Ecdsa => Self::ecdsa_pem(pem, alg),
            AlgorithmFamily::EdDsa => Self::ed25519_pem(pem),
            AlgorithmFamily::Hmac => Err(SignError::AlgorithmDoesNotFitKey { alg }),
        }
    }

    /// An HMAC secret for `HS256`/`HS384`/`HS512`. Use a long random secret (at least
    /// the hash length); only the empty secret is refused.
    pub fn hmac(alg: Algorithm, secret: &[u8]) -> Result<Self, SignError> {
        let ring_alg = match alg {
            Algorithm::HS256 => hmac::HMAC_SHA256,
            Algorithm::HS384 => hmac::HMAC_SHA384,
            Algorithm::HS512 => hmac::HMAC_SHA512,
            _ => return Err(SignError::AlgorithmDoesNotFitKey { alg }),
        };
        if secret.is_empty() {
            return Err(SignError::EmptyHmacSecret);
        }
        Ok(Self::new(
            Signer::Hmac {
                key: hmac::Key::new(ring_alg, secret),
                secret: secret.to_vec(),
            },
            alg,
        ))
    }

    /// Sets the `kid` written into every token's header.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Sets the `typ` header (default `JWT`; e.g. `at+jwt`); `None` omits it.
    pub fn with_typ(mut self, typ: Option<String>) -> Self {
        self.typ = typ;
        self
    }

    /// The algorithm tokens are signed with.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The `kid`, if set.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Signs `claims` as a compact JWS. The header has `alg`, `typ` (unless disabled),
    /// `kid` (if set) and then `header_extras`, which may override `typ` and `kid` but
    /// not `alg` (nor set `b64`/`crit`).
    pub fn sign_token(
        &self,
        header_extras: &Map<String, Value>,
        claims: &impl Serialize,
    ) -> Result<String, SignError> {
        for name in ["alg", "b64", "crit"] {
            if header_extras.contains_key(name) {
                return Err(SignError::ReservedHeader { name });
            }
        }
        let mut header = Map::new();
        header.insert("alg".into(), Value::String(self.alg.as_str().into()));
        if let Some(typ) = &self.typ {
            header.insert("typ".into(), Value::String(typ.clone()));
        }
        if let Some(kid) = &self.kid {
            header.insert("kid".into(), Value::String(kid.clone()));
        }
        for (k, v) in header_extras {
            header.insert(k.clone(), v.clone());
        }
        let header_json = serde_json::to_vec(&header).map_err(|e| SignError::Serialize {
            reason: e.to_string(),
        })?;
        let claims_json = serde_json::to_vec(claims).map_err(|e| SignError::Serialize {
            reason: e.to_string(),
        })?;
        if claims_json.first() != Some(&b'{') {
            return Err(SignError::ClaimsNotObject);
        }
        let mut token =
            String::with_capacity((header_json.len() + claims_json.len()) * 4 / 3 + 400);
        base64url::encode_into(&header_json, &mut token);
        token.push('.');
        base64url::encode_into(&claims_json, &mut token);
        let signature = self.sign(token.as_bytes())?;
        token.push('.');
        base64url::encode_into(&signature, &mut token);
        Ok(token)
    }

    /// Signs raw bytes (a JWS signing input) and returns the signature.
    pub fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, SignError> {
        match &self.signer {
            Signer::Rsa(pair) => {
                let padding: &'static dyn signature::RsaEncoding = match self.alg {
                    Algorithm::RS256 => &signature::RSA_PKCS1_SHA256,
                    Algorithm::RS384 => &signature::RSA_PKCS1_SHA384,
                    Algorithm::RS512 => &signature::RSA_PKCS1_SHA512,
                    Algorithm::PS256 => &signature::RSA_PSS_SHA256,
                    Algorithm::PS384 => &signature::RSA_PSS_SHA384,
                    Algorithm::PS512 => &signature::RSA_PSS_SHA512,
                    alg => return Err(SignError::AlgorithmDoesNotFitKey { alg }),
                };
                let mut sig = vec![0u8; pair.public().modulus_len()];
                pair.sign(padding, &SystemRandom::new(), signing_input, &mut sig)
                    .map_err(|_| SignError::Random)?;
                Ok(sig)
            }
            Signer::Ecdsa(pair, _) => pair
                .sign(&SystemRandom::new(), signing_input)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| SignError::Random),
            Signer::Ed25519(pair) => Ok(pair.sign(signing_input).as_ref().to_vec()),
            Signer::Hmac { key, .. } => Ok(hmac::sign(key, signing_input).as_ref().to_vec()),
        }
    }

    /// The public key as a JWK (with `kid`, `alg` and `use: sig`), for building a JWKS.
    /// HMAC keys have no public form: [`SignError::NoPublicKey`].
    pub fn to_public_jwk(&self) -> Result<Jwk, SignError> {
        let mut jwk = Jwk {
            alg: Some(self.alg.as_str().to_owned()),
            kid: self.kid.clone(),
            use_: Some("sig".to_owned()),
            ..Jwk::default()
        };
        match &self.signer {
            Signer::Rsa(pair) => {
                let components = signature::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
                jwk.kty = "RSA".into();
                jwk.n = Some(base64url::encode(&components.n));
                jwk.e = Some(base64url::encode(&components.e));
            }
            Signer::Ecdsa(pair, curve) => {
                let point = pair.public_key().as_ref();
                let len = curve.coordinate_len();
                let xy = point.get(1..).unwrap_or_default();
                if xy.len() != 2 * len {
                    return Err(SignError::KeyRejected {
                        reason: "unexpected EC public key encoding".into(),
                    });
                }
                let (x, y) = xy.split_at(len);
                jwk.kty = "EC".into();
                jwk.crv = Some(curve.name().into());
                jwk.x = Some(base64url::encode(x));
                jwk.y = Some(base64url::encode(y));
            }
            Signer::Ed25519(pair) => {
                jwk.kty = "OKP".into();
                jwk.crv = Some("Ed25519".into());
                jwk.x = Some(base64url::encode(pair.public_key().as_ref()));
            }
            Signer::Hmac { .. } => return Err(SignError::NoPublicKey),
        }
        Ok(jwk)
    }

    /// The matching [`VerifyingKey`] (restricted to this key's algorithm, same `kid`).
    /// For HMAC it holds the same secret.
    pub fn verifying_key(&self) -> Result<VerifyingKey, SignError> {
        let key = match &self.signer {
            Signer::Hmac { secret, .. } => VerifyingKey::hmac(secret)
                .and_then(|k| k.with_algorithm(self.alg))
                .map_err(SignError::VerifyingKey)?,
            _ => {
                let mut jwk = self.to_public_jwk()?;
                jwk.use_ = None;
                VerifyingKey::from_jwk(&jwk).map_err(SignError::VerifyingKey)?
            }
        };
        Ok(match &self.kid {
            Some(kid) => key.with_kid(kid.clone()),
            None => key,
        })
    }
}
