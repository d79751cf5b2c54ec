//! Verification keys, checked once when built and ready for fast per-token use.
//!
//! A [`VerifyingKey`] is built from a JWK, a PEM (SPKI `PUBLIC KEY` or PKCS#1
//! `RSA PUBLIC KEY`), raw components, or an HMAC secret. All decoding and validation
//! happens at build time (RSA size and exponent, EC point on the curve, Ed25519 point
//! decoded with the opt-in `ed25519-dalek` feature, …); verifying a token only hands
//! the prepared material to `ring` (or, with the opt-in features, EdDSA to
//! `ed25519-dalek` and RSA to aws-lc with the key parsed once).
//!
//! The algorithm is decided by the key and the verifier's configuration, never by the
//! token: [`VerifyingKey::verify`] refuses an algorithm the key can't be used with
//! (wrong key type, curve or JWK `alg`), so an RSA public key can never be used as an
//! HMAC secret ("algorithm confusion").

use std::fmt;
use std::sync::{Arc, OnceLock};

use ring::rand::SecureRandom as _;
use ring::{agreement, digest, hmac, rand};

use crate::alg::{Algorithm, AlgorithmError, AlgorithmFamily};
use crate::base64url;
use crate::der::{self, Reader};
use crate::ecdsa::EcPublicKey;
use crate::ed25519::Ed25519PublicKey;
use crate::jwk::{Jwk, JwkSet};
use crate::pem;
use crate::rsa::RsaPublicKey;

/// Smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus accepted, in bits (ring's limit).
pub const MAX_RSA_BITS: usize = 8192;

/// SHA-256 identity of a key's material (see [`VerifyingKey::fingerprint`]).
///
/// Two keys with the same material have the same fingerprint regardless of `kid`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyFingerprint(pub [u8; 32]);

impl KeyFingerprint {
    /// The raw digest.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for KeyFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for KeyFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyFingerprint({self})")
    }
}

/// Elliptic curves supported for ECDSA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EcCurve {
    /// NIST P-256 (`ES256`).
    P256,
    /// NIST P-384 (`ES384`).
    P384,
}

impl EcCurve {
    /// The JWK `crv` name.
    pub const fn name(self) -> &'static str {
        match self {
            EcCurve::P256 => "P-256",
            EcCurve::P384 => "P-384",
        }
    }

    /// Coordinate length in bytes.
    pub const fn coordinate_len(self) -> usize {
        match self {
            EcCurve::P256 => 32,
            EcCurve::P384 => 48,
        }
    }

    /// The algorithm that goes with this curve.
    pub const fn algorithm(self) -> Algorithm {
        match self {
            EcCurve::P256 => Algorithm::ES256,
            EcCurve::P384 => Algorithm::ES384,
        }
    }
}

/// What kind of key a [`VerifyingKey`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyKind {
    /// RSA public key with a modulus of `bits` bits.
    Rsa {
        /// Modulus size.
        bits: usize,
    },
    /// EC public key.
    Ec(EcCurve),
    /// Ed25519 public key.
    Ed25519,
    /// HMAC shared secret.
    Hmac,
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyKind::Rsa { bits } => write!(f, "RSA-{bits}"),
            KeyKind::Ec(c) => write!(f, "EC {}", c.name()),
            KeyKind::Ed25519 => f.write_str("Ed25519"),
            KeyKind::Hmac => f.write_str("HMAC secret"),
        }
    }
}

impl KeyKind {
    fn allows(self, alg: Algorithm) -> bool {
        match self {
            KeyKind::Rsa { .. } => alg.is_rsa(),
            KeyKind::Ec(curve) => curve.algorithm() == alg,
            KeyKind::Ed25519 => alg == Algorithm::EdDSA,
            KeyKind::Hmac => alg.family() == AlgorithmFamily::Hmac,
        }
    }
}

/// Why a key could not be built, could not be used, or a signature did not verify.
/// Never contains key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// JWK `kty` is not `RSA`, `EC`, `OKP` or `oct` (or the PEM holds another kind of
    /// key, e.g. DSA).
    #[error("unsupported key type `{kty}`")]
    UnsupportedKeyType {
        /// The key type.
        kty: String,
    },
    /// The curve is not P-256, P-384 or Ed25519 (e.g. P-521, secp256k1, X25519).
    #[error("unsupported curve `{crv}`")]
    UnsupportedCurve {
        /// The curve name.
        crv: String,
    },
    /// A JWK member the key type needs is absent (e.g. `n` for RSA, `k` for oct).
    #[error("JWK member `{member}` is missing")]
    MissingMember {
        /// The member name.
        member: &'static str,
    },
    /// A JWK member is not strict base64url or has the wrong length.
    #[error("JWK member `{member}` is invalid: {reason}")]
    InvalidMember {
        /// The member name.
        member: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// RSA modulus shorter than 2048 bits: too weak, refused by policy.
    #[error("RSA key of {bits} bits is below the 2048-bit minimum")]
    RsaKeyTooSmall {
        /// The modulus size.
        bits: usize,
    },
    /// RSA modulus longer than 8192 bits.
    #[error("RSA key of {bits} bits is above the 8192-bit maximum")]
    RsaKeyTooLarge {
        /// The modulus size.
        bits: usize,
    },
    /// RSA public key is malformed (even modulus, exponent even, below 3 or above
    /// 2^33 − 1).
    #[error("invalid RSA public key: {reason}")]
    InvalidRsaKey {
        /// What is wrong.
        reason: &'static str,
    },
    /// The EC coordinates are not a valid point on the curve (or a compressed point).
    #[error("EC public key is not a valid point on {curve}")]
    InvalidEcPoint {
        /// The curve name.
        curve: &'static str,
    },
    /// An Ed25519 public key that isn't 32 bytes.
    #[error("Ed25519 public key must be 32 bytes")]
    InvalidEd25519Key,
    /// 32 bytes that do not encode a point of the Ed25519 curve: a corrupted or
    /// mis-encoded `x` (JWK) or key. Detected when the key is built with the opt-in
    /// `ed25519-dalek` feature; ring-only builds accept the key and then refuse every
    /// signature with [`KeyError::InvalidSignature`].
    #[error("Ed25519 public key is not a point on the curve")]
    InvalidEd25519Point,
    /// An empty HMAC secret.
    #[error("HMAC secret is empty")]
    EmptyHmacSecret,
    /// An `oct` JWK whose secret is shorter than the hash of the requested algorithm
    /// (RFC 7518 §3.2: 32 bytes for HS256, 48 for HS384, 64 for HS512). Short secrets
    /// can be brute-forced from a single token.
    #[error("HMAC key of {len} bytes is shorter than the {min} bytes {alg} requires")]
    HmacKeyTooShort {
        /// The secret's length.
        len: usize,
        /// The minimum for the algorithm.
        min: usize,
        /// The requested algorithm.
        alg: Algorithm,
    },
    /// The JWK's `alg` is not a JWS algorithm we support (e.g. `RSA-OAEP`, `ES512`).
    #[error("JWK `alg` is not usable")]
    JwkAlgorithm(#[source] AlgorithmError),
    /// The JWK's `alg` (or the algorithm set with [`VerifyingKey::with_algorithm`]) does
    /// not fit the key (e.g. `ES256` on an RSA key, `ES384` on a P-256 key).
    #[error("algorithm {alg} does not fit a {key} key")]
    AlgorithmDoesNotFitKey {
        /// The algorithm.
        alg: Algorithm,
        /// The key.
        key: KeyKind,
    },
    /// PEM text could not be decoded.
    #[error("invalid PEM: {reason}")]
    Pem {
        /// What is wrong.
        reason: &'static str,
    },
    /// PEM label other than `PUBLIC KEY` / `RSA PUBLIC KEY` (or, for signing keys,
    /// `PRIVATE KEY` / `RSA PRIVATE KEY`). Certificates are not accepted: extract the
    /// public key first.
    #[error("unsupported PEM label `{label}`")]
    UnsupportedPemLabel {
        /// The label.
        label: String,
    },
    /// The DER structure inside the PEM is malformed.
    #[error("invalid DER: {reason}")]
    Der {
        /// What is wrong.
        reason: &'static str,
    },
    /// The token's algorithm can't be used with this key type (e.g. `HS256` against an
    /// RSA key — the classic algorithm-confusion attack — or `RS256` against an EC key).
    #[error("algorithm {alg} can't be used with a {key} key")]
    IncompatibleAlgorithm {
        /// The requested algorithm.
        alg: Algorithm,
        /// The key.
        key: KeyKind,
    },
    /// The key is restricted to one algorithm (JWK `alg`) and another was requested.
    #[error("key is restricted to {allowed}, not {requested}")]
    AlgorithmMismatch {
        /// The requested algorithm.
        requested: Algorithm,
        /// The algorithm the key allows.
        allowed: Algorithm,
    },
    /// JWK `use` is present and not `sig` (e.g. an encryption key).
    #[error("key has `use` = `{key_use}`, not `sig`")]
    NotForSignatures {
        /// The `use` value (truncated to 64 characters).
        key_use: String,
    },
    /// JWK `key_ops` is present and does not contain `verify`.
    #[error("key's `key_ops` does not allow `verify`")]
    VerifyNotAllowed,
    /// The signature does not match (tampered token, wrong key, or wrong algorithm
    /// parameters).
    #[error("signature verification failed")]
    InvalidSignature,
    /// No key in the set has this `kid` (or, without `kid`, none fits the algorithm).
    /// After a key rotation, refetching the JWKS usually fixes it.
    #[error("no key matches kid {kid:?}")]
    NoMatchingKey {
        /// The token's `kid`.
        kid: Option<String>,
    },
    /// Several keys fit and the token has no (or a duplicated) `kid` to choose one.
    #[error("{candidates} keys match kid {kid:?}; refusing to guess")]
    AmbiguousKey {
        /// The token's `kid`.
        kid: Option<String>,
        /// How many keys fit.
        candidates: usize,
    },
}

/// The prepared key material.
enum Material {
    /// Boxed: with `aws-lc-rs` it also holds the parsed keys.
    Rsa(Box<RsaPublicKey>),
    /// Boxed: with `aws-lc-rs` it also holds the parsed key.
    Ec(Box<EcPublicKey>),
    /// Boxed: the prepared point (with `ed25519-dalek`) is ~190 bytes.
    Ed25519(Box<Ed25519PublicKey>),
    Hmac(Box<HmacKeys>),
}

struct HmacKeys {
    hs256: hmac::Key,
    hs384: hmac::Key,
    hs512: hmac::Key,
}

/// A public key (or HMAC secret) ready to verify JWS signatures.
///
/// `Debug` prints the kind, `kid`, algorithm and fingerprint — never an HMAC secret.
///
/// # Example
///
/// ```
/// use auth0_jwt::alg::Algorithm;
/// use auth0_jwt::key::{KeyError, VerifyingKey};
///
/// let key = VerifyingKey::hmac(b"a long, random, shared secret........")?.with_kid("k1");
/// assert_eq!(key.kid(), Some("k1"));
/// // The tag must be the full HMAC; anything else is refused.
/// assert_eq!(
///     key.verify(Algorithm::HS256, b"header.payload", &[0; 32]),
///     Err(KeyError::InvalidSignature)
/// );
/// // An HMAC key never verifies an RSA signature, and vice versa.
/// assert!(matches!(
///     key.verify(Algorithm::RS256, b"header.payload", &[0; 256]),
///     Err(KeyError::IncompatibleAlgorithm { .. })
/// ));
/// # Ok::<(), KeyError>(())
/// ```
pub struct VerifyingKey {
    material: Material,
    kind: KeyKind,
    kid: Option<String>,
    alg: Option<Algorithm>,
    key_use: Option<String>,
    key_ops: Option<Vec<String>>,
    fingerprint: KeyFingerprint,
    /// Secret length when RFC 7518 §3.2's minimum (secret at least as long as the hash)
    /// is enforced — set for keys from a JWK.
    hmac_min_len_enforced: Option<usize>,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kind", &self.kind)
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("use", &self.key_use)
            .field("key_ops", &self.key_ops)
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

fn decode_member(value: Option<&String>, member: &'static str) -> Result<Vec<u8>, KeyError> {
    let value = value.ok_or(KeyError::MissingMember { member })?;
    base64url::decode(value.as_bytes()).map_err(|e| KeyError::InvalidMember {
        member,
        reason: e.as_str(),
    })
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or_default()
}

fn bit_len(be: &[u8]) -> usize {
    match be.first() {
        None => 0,
        Some(&b) => (be.len() - 1) * 8 + (8 - b.leading_zeros() as usize),
    }
}

/// Feeds length-prefixed fields into a SHA-256 context (unambiguous encoding).
fn fingerprint_of(kty: &str, fields: &[&[u8]]) -> KeyFingerprint {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(b"auth0-jwt key fingerprint v1\0");
    ctx.update(kty.as_bytes());
    ctx.update(&[0]);
    for field in fields {
        ctx.update(&(field.len() as u64).to_be_bytes());
        ctx.update(field);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    KeyFingerprint(out)
}

/// Per-process random salt for HMAC fingerprints, so a fingerprint that ends up in a log
/// can't be used to brute-force a weak secret offline.
fn hmac_fingerprint_salt() -> &'static [u8; 32] {
    static SALT: OnceLock<[u8; 32]> = OnceLock::new();
    SALT.get_or_init(|| {
        let mut salt = [0u8; 32];
        if rand::SystemRandom::new().fill(&mut salt).is_err() {
            // No OS randomness: fall back to a per-process address/time mix. The salt
            // only has to be unpredictable to someone reading logs, not secret-grade.
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default();
            let seed = digest::digest(&digest::SHA256, &t.to_be_bytes());
            salt.copy_from_slice(seed.as_ref());
        }
        salt
    })
}

// OIDs (DER content bytes).
const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
const OID_SECP256K1: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x0a];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

fn der_err(e: der::DerError) -> KeyError {
    KeyError::Der { reason: e.as_str() }
}

impl VerifyingKey {
    fn new(material: Material, kind: KeyKind, fingerprint: KeyFingerprint) -> Self {
        VerifyingKey {
            material,
            kind,
            kid: None,
            alg: None,
            key_use: None,
            key_ops: None,
            fingerprint,
            hmac_min_len_enforced: None,
        }
    }

    /// An RSA public key from its big-endian modulus and exponent (leading zero bytes are
    /// ignored). Refuses moduli under 2048 or over 8192 bits, even moduli, and exponents
    /// that are even, below 3 or above 2^33 − 1 (what `ring` accepts).
    pub fn rsa(n: &[u8], e: &[u8]) -> Result<Self, KeyError> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        let bits = bit_len(n);
        if bits < MIN_RSA_BITS {
            return Err(KeyError::RsaKeyTooSmall { bits });
        }
        if bits > MAX_RSA_BITS {
            return Err(KeyError::RsaKeyTooLarge { bits });
        }
        if n.last().is_none_or(|b| b & 1 == 0) {
            return Err(KeyError::InvalidRsaKey {
                reason: "modulus is even",
            });
        }
        if bit_len(e) > 33 {
            return Err(KeyError::InvalidRsaKey {
                reason: "exponent is larger than 2^33 - 1",
            });
        }
        let e_value = e.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        if e_value < 3 {
            return Err(KeyError::InvalidRsaKey {
                reason: "exponent is below 3",
            });
        }
        if e_value & 1 == 0 {
            return Err(KeyError::InvalidRsaKey {
                reason: "exponent is even",
            });
        }
        if has_roca_fingerprint(n) {
            return Err(KeyError::InvalidRsaKey {
                reason: "modulus has the ROCA weakness (CVE-2017-15361); regenerate the key",
            });
        }
        let fingerprint = fingerprint_of("RSA", &[n, e]);
        Ok(Self::new(
            Material::Rsa(Box::new(RsaPublicKey::new(n, e))),
            KeyKind::Rsa { bits },
            fingerprint,
        ))
    }

    /// An EC public key from its affine coordinates (each exactly the curve's length,
    /// as RFC 7518 §6.2.1 requires). The point is validated now, once.
    pub fn ec(curve: EcCurve, x: &[u8], y: &[u8]) -> Result<Self, KeyError> {
        let len = curve.coordinate_len();
        if x.len() != len {
            return Err(KeyError::InvalidMember {
                member: "x",
                reason: "wrong length for the curve",
            });
        }
        if y.len() != len {
            return Err(KeyError::InvalidMember {
                member: "y",
                reason: "wrong length for the curve",
            });
        }
        let mut point = Vec::with_capacity(1 + 2 * len);
        point.push(0x04);
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        Self::ec_point(curve, point)
    }

    /// From an uncompressed SEC1 point.
    fn ec_point(curve: EcCurve, point: Vec<u8>) -> Result<Self, KeyError> {
        let len = curve.coordinate_len();
        if point.len() != 1 + 2 * len || point.first() != Some(&0x04) {
            return Err(KeyError::InvalidEcPoint {
                curve: curve.name(),
            });
        }
        validate_ec_point(curve, &point)?;
        let (x, y) = point.get(1..).unwrap_or_default().split_at(len);
        let fingerprint = fingerprint_of("EC", &[curve.name().as_bytes(), x, y]);
        Ok(Self::new(
            Material::Ec(Box::new(EcPublicKey::new(curve, point))),
            KeyKind::Ec(curve),
            fingerprint,
        ))
    }

    /// An Ed25519 public key (32 bytes, RFC 8032 encoding).
    ///
    /// With the opt-in `ed25519-dalek` feature the point is decoded here, once, and
    /// bytes that are not a curve point fail with [`KeyError::InvalidEd25519Point`].
    pub fn ed25519(public_key: &[u8]) -> Result<Self, KeyError> {
        let key: [u8; 32] = public_key
            .try_into()
            .map_err(|_| KeyError::InvalidEd25519Key)?;
        let fingerprint = fingerprint_of("OKP", &[b"Ed25519", &key]);
        Ok(Self::new(
            Material::Ed25519(Box::new(Ed25519PublicKey::from_bytes(key)?)),
            KeyKind::Ed25519,
            fingerprint,
        ))
    }

    /// An HMAC secret for `HS256`/`HS384`/`HS512` (restrict it to one with
    /// [`VerifyingKey::with_algorithm`]).
    ///
    /// Only the empty secret is refused, but RFC 7518 §3.2 requires a secret at least as
    /// long as the hash (32 bytes for HS256, 48 for HS384, 64 for HS512): a short or
    /// guessable secret lets anyone who holds one token brute-force it offline and mint
    /// tokens. Auth0 client secrets are long and random.
    pub fn hmac(secret: &[u8]) -> Result<Self, KeyError> {
        if secret.is_empty() {
            return Err(KeyError::EmptyHmacSecret);
        }
        let fingerprint = fingerprint_of("oct", &[hmac_fingerprint_salt(), secret]);
        Ok(Self::new(
            Material::Hmac(Box::new(HmacKeys {
                hs256: hmac::Key::new(hmac::HMAC_SHA256, secret),
                hs384: hmac::Key::new(hmac::HMAC_SHA384, secret),
                hs512: hmac::Key::new(hmac::HMAC_SHA512, secret),
            })),
            KeyKind::Hmac,
            fingerprint,
        ))
    }

    /// Builds a key from a JWK: `RSA` (`n`, `e`), `EC` (`crv` P-256/P-384, `x`, `y`),
    /// `OKP` (`crv` Ed25519, `x`) or `oct` (`k`). `kid`, `alg`, `use` and `key_ops` are
    /// kept and enforced by [`VerifyingKey::verify`]. An `alg` that doesn't fit the key
    /// is an error now. Unlike [`VerifyingKey::hmac`], an `oct` JWK must be at least as
    /// long as the hash of the algorithm it is used with (RFC 7518 §3.2).
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, KeyError> {
        let alg = match jwk.alg.as_deref() {
            None => None,
            Some(a) => Some(Algorithm::parse(a).map_err(KeyError::JwkAlgorithm)?),
        };
        let mut key = match jwk.kty.as_str() {
            "RSA" => {
                let n = decode_member(jwk.n.as_ref(), "n")?;
                let e = decode_member(jwk.e.as_ref(), "e")?;
                Self::rsa(&n, &e)?
            }
            "EC" => {
                let crv = jwk
                    .crv
                    .as_deref()
                    .ok_or(KeyError::MissingMember { member: "crv" })?;
                let curve = match crv {
                    "P-256" => EcCurve::P256,
                    "P-384" => EcCurve::P384,
                    other => {
                        return Err(KeyError::UnsupportedCurve {
                            crv: other.chars().take(64).collect(),
                        });
                    }
                };
                let x = decode_member(jwk.x.as_ref(), "x")?;
                let y = decode_member(jwk.y.as_ref(), "y")?;
                Self::ec(curve, &x, &y)?
            }
            "OKP" => {
                let crv = jwk
                    .crv
                    .as_deref()
                    .ok_or(KeyError::MissingMember { member: "crv" })?;
                if crv != "Ed25519" {
                    return Err(KeyError::UnsupportedCurve {
                        crv: crv.chars().take(64).collect(),
                    });
                }
                let x = decode_member(jwk.x.as_ref(), "x")?;
                Self::ed25519(&x)?
            }
            "oct" => {
                let k = decode_member(jwk.k.as_ref(), "k")?;
                let mut key = Self::hmac(&k)?;
                // A JWK is machine-generated: hold it to RFC 7518 §3.2.
                key.hmac_min_len_enforced = Some(k.len());
                key
            }
            other => {
                return Err(KeyError::UnsupportedKeyType {
                    kty: other.chars().take(64).collect(),
                });
            }
        };
        if let Some(alg) = alg {
            key = key.with_algorithm(alg)?;
        }
        key.kid = jwk.kid.clone();
        key.key_use = jwk.use_.clone();
        key.key_ops = jwk.key_ops.clone();
        Ok(key)
    }

    /// Builds a key from PEM: `PUBLIC KEY` (SubjectPublicKeyInfo with RSA, EC P-256/P-384
    /// or Ed25519) or `RSA PUBLIC KEY` (PKCS#1).
    ///
    /// ```
    /// use auth0_jwt::key::VerifyingKey;
    ///
    /// let key = VerifyingKey::from_pem(
    ///     "-----BEGIN PUBLIC KEY-----\n\
    ///      MCowBQYDK2VwAyEAfU0Of2FTpptiQrUiq77mhf2kQg+INLEIw72uNp71Sfo=\n\
    ///      -----END PUBLIC KEY-----\n",
    /// )?;
    /// assert_eq!(key.kind().to_string(), "Ed25519");
    /// # Ok::<(), auth0_jwt::key::KeyError>(())
    /// ```
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let block = pem::decode(pem).map_err(|e| KeyError::Pem { reason: e.as_str() })?;
        match block.label.as_str() {
            "PUBLIC KEY" => Self::from_spki_der(&block.der),
            "RSA PUBLIC KEY" => Self::from_pkcs1_der(&block.der),
            other => Err(KeyError::UnsupportedPemLabel {
                label: other.chars().take(64).collect(),
            }),
        }
    }

    /// Builds a key from DER SubjectPublicKeyInfo (RSA, EC P-256/P-384, Ed25519).
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let mut outer = Reader::new(der);
        let mut spki = outer.sequence().map_err(der_err)?;
        outer.finish().map_err(der_err)?;
        let mut alg_id = spki.sequence().map_err(der_err)?;
        let key_bytes = spki.bit_string_bytes().map_err(der_err)?;
        spki.finish().map_err(der_err)?;
        let oid = alg_id.oid().map_err(der_err)?;
        if oid == OID_RSA_ENCRYPTION {
            // Parameters must be NULL; tolerate absent (some encoders omit it).
            if !alg_id.is_empty() {
                alg_id.null().map_err(der_err)?;
            }
            alg_id.finish().map_err(der_err)?;
            Self::from_pkcs1_der(key_bytes)
        } else if oid == OID_EC_PUBLIC_KEY {
            let curve_oid = alg_id.oid().map_err(der_err)?;
            alg_id.finish().map_err(der_err)?;
            let curve = if curve_oid == OID_P256 {
                EcCurve::P256
            } else if curve_oid == OID_P384 {
                EcCurve::P384
            } else {
                let crv = if curve_oid == OID_P521 {
                    "P-521"
                } else if curve_oid == OID_SECP256K1 {
                    "secp256k1"
                } else {
                    "unknown"
                };
                return Err(KeyError::UnsupportedCurve { crv: crv.into() });
            };
            Self::ec_point(curve, key_bytes.to_vec())
        } else if oid == OID_ED25519 {
            alg_id.finish().map_err(der_err)?;
            Self::ed25519(key_bytes)
        } else {
            Err(KeyError::UnsupportedKeyType {
                kty: "unsupported SubjectPublicKeyInfo algorithm".into(),
            })
        }
    }

    /// Builds an RSA key from DER PKCS#1 `RSAPublicKey`.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, KeyError> {
        let mut outer = Reader::new(der);
        let mut seq = outer.sequence().map_err(der_err)?;
        outer.finish().map_err(der_err)?;
        let n = seq.positive_integer().map_err(der_err)?;
        let e = seq.positive_integer().map_err(der_err)?;
        seq.finish().map_err(der_err)?;
        Self::rsa(n, e)
    }

    /// Sets the key id.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Restricts the key to one algorithm (like a JWK `alg`). Fails if the algorithm
    /// doesn't fit the key.
    pub fn with_algorithm(mut self, alg: Algorithm) -> Result<Self, KeyError> {
        if !self.kind.allows(alg) {
            return Err(KeyError::AlgorithmDoesNotFitKey {
                alg,
                key: self.kind,
            });
        }
        self.alg = Some(alg);
        Ok(self)
    }

    /// The key id (`kid`), if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The algorithm this key is restricted to: the JWK `alg` if set, else the one its
    /// curve implies (EC, Ed25519). `None` for RSA and HMAC keys without `alg`, which
    /// allow their whole family.
    pub fn algorithm(&self) -> Option<Algorithm> {
        self.alg.or(match self.kind {
            KeyKind::Ec(curve) => Some(curve.algorithm()),
            KeyKind::Ed25519 => Some(Algorithm::EdDSA),
            KeyKind::Rsa { .. } | KeyKind::Hmac => None,
        })
    }

    /// What kind of key this is.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The JWK `use`, if any.
    pub fn key_use(&self) -> Option<&str> {
        self.key_use.as_deref()
    }

    /// SHA-256 over a canonical encoding of the key type and material (for HMAC keys
    /// salted per process, so it can't be used to test guesses of the secret). Used to
    /// tie cached results to the key that produced them.
    pub fn fingerprint(&self) -> KeyFingerprint {
        self.fingerprint
    }

    /// Checks that the key may be used for verifying at all (`use`, `key_ops`).
    pub fn check_usage(&self) -> Result<(), KeyError> {
        if let Some(u) = &self.key_use
            && u != "sig"
        {
            return Err(KeyError::NotForSignatures {
                key_use: u.chars().take(64).collect(),
            });
        }
        if let Some(ops) = &self.key_ops
            && !ops.iter().any(|op| op == "verify")
        {
            return Err(KeyError::VerifyNotAllowed);
        }
        Ok(())
    }

    /// Checks that `alg` may be used with this key: key type/curve, JWK `alg`, `use`
    /// and `key_ops`.
    pub fn check_algorithm(&self, alg: Algorithm) -> Result<(), KeyError> {
        if !self.kind.allows(alg) {
            return Err(KeyError::IncompatibleAlgorithm {
                alg,
                key: self.kind,
            });
        }
        self.check_usage()?;
        if let Some(allowed) = self.alg
            && allowed != alg
        {
            return Err(KeyError::AlgorithmMismatch {
                requested: alg,
                allowed,
            });
        }
        if let Some(len) = self.hmac_min_len_enforced {
            let min = match alg {
                Algorithm::HS384 => 48,
                Algorithm::HS512 => 64,
                _ => 32,
            };
            if len < min {
                return Err(KeyError::HmacKeyTooShort { len, min, alg });
            }
        }
        Ok(())
    }

    /// True if [`VerifyingKey::check_algorithm`] passes.
    pub fn is_compatible(&self, alg: Algorithm) -> bool {
        self.check_algorithm(alg).is_ok()
    }

    /// Verifies `signature` over `signing_input` with `alg`, which must be allowed for
    /// this key (see [`VerifyingKey::check_algorithm`]). HMAC tags are compared in
    /// constant time and must be full length; ECDSA signatures are the fixed-size
    /// `r || s` form JWS uses.
    pub fn verify(
        &self,
        alg: Algorithm,
        signing_input: &[u8],
        signature: &[u8],
    ) -> Result<(), KeyError> {
        self.check_algorithm(alg)?;
        let result = match (&self.material, alg) {
            (Material::Rsa(key), alg) => {
                // Already the typed error; see `rsa` for the two backends.
                return key
                    .verify(alg, signing_input, signature)
                    .unwrap_or_else(|| Err(self.incompatible(alg)));
            }
            (Material::Ec(key), alg) => {
                // Already the typed error; see `ecdsa` for the two backends.
                return key
                    .verify(alg, signing_input, signature)
                    .unwrap_or_else(|| Err(self.incompatible(alg)));
            }
            (Material::Ed25519(key), Algorithm::EdDSA) => {
                // Already the typed error; see `ed25519` for the two backends.
                return key.verify(signing_input, signature);
            }
            (Material::Hmac(keys), alg) => {
                let key = match alg {
                    Algorithm::HS256 => &keys.hs256,
                    Algorithm::HS384 => &keys.hs384,
                    Algorithm::HS512 => &keys.hs512,
                    _ => return Err(self.incompatible(alg)),
                };
                hmac::verify(key, signing_input, signature)
            }
            // `check_algorithm` already refused every other combination.
            _ => return Err(self.incompatible(alg)),
        };
        result.map_err(|_| KeyError::InvalidSignature)
    }

    fn incompatible(&self, alg: Algorithm) -> KeyError {
        KeyError::IncompatibleAlgorithm {
            alg,
            key: self.kind,
        }
    }
}

/// Detects moduli generated by the Infineon RSALib flaw (ROCA, CVE-2017-15361): such
/// primes have the form `k·M + (65537^a mod M)`, so `n mod p` lies in the subgroup
/// generated by 65537 modulo each small prime `p` dividing `M`. A random modulus passes
/// that test for all these primes with negligible probability (Nemec et al., CCS 2017).
fn has_roca_fingerprint(n: &[u8]) -> bool {
    const PRIMES: [u32; 38] = [
        3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89,
        97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
    ];
    PRIMES.iter().all(|&p| {
        let residue = n
            .iter()
            .fold(0u32, |acc, &b| (acc * 256 + u32::from(b)) % p);
        // Walk the cyclic subgroup generated by 65537 mod p.
        let g = 65537 % p;
        let mut x = 1u32;
        loop {
            if x == residue {
                return true;
            }
            x = x * g % p;
            if x == 1 {
                return false;
            }
        }
    })
}

/// Checks that `point` is on the curve (and not the identity) by doing one ECDH
/// agreement with a throwaway key: ring validates the peer point fully before using it.
fn validate_ec_point(curve: EcCurve, point: &[u8]) -> Result<(), KeyError> {
    let alg = match curve {
        EcCurve::P256 => &agreement::ECDH_P256,
        EcCurve::P384 => &agreement::ECDH_P384,
    };
    let rng = rand::SystemRandom::new();
    let invalid = KeyError::InvalidEcPoint {
        curve: curve.name(),
    };
    let ephemeral =
        agreement::EphemeralPrivateKey::generate(alg, &rng).map_err(|_| invalid.clone())?;
    agreement::agree_ephemeral(
        ephemeral,
        &agreement::UnparsedPublicKey::new(alg, point),
        |_| (),
    )
    .map_err(|_| invalid)
}

/// A set of verification keys, looked up by `kid` and algorithm.
///
/// Cheap to clone (keys are shared).
///
/// # Example
///
/// ```
/// use auth0_jwt::alg::Algorithm;
/// use auth0_jwt::key::{KeyError, KeySet, VerifyingKey};
///
/// let mut keys = KeySet::new();
/// keys.insert(VerifyingKey::hmac(b"0123456789abcdef0123456789abcdef")?.with_kid("a"));
/// keys.insert(VerifyingKey::hmac(b"fedcba9876543210fedcba9876543210")?.with_kid("b"));
/// assert_eq!(keys.find(Some("b"), Algorithm::HS256)?.kid(), Some("b"));
/// // Without a kid, two candidates are ambiguous.
/// assert!(matches!(
///     keys.find(None, Algorithm::HS256),
///     Err(KeyError::AmbiguousKey { candidates: 2, .. })
/// ));
/// # Ok::<(), KeyError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: Vec<Arc<VerifyingKey>>,
}

impl KeySet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The usable keys of a parsed JWK set.
    pub fn from_jwks(jwks: &JwkSet) -> Self {
        KeySet {
            keys: jwks.verifying_keys().to_vec(),
        }
    }

    /// Adds a key. A key with the same `kid` and fingerprint as one already present is
    /// not added twice.
    pub fn insert(&mut self, key: impl Into<Arc<VerifyingKey>>) {
        let key = key.into();
        if !self
            .keys
            .iter()
            .any(|k| k.fingerprint == key.fingerprint && k.kid == key.kid)
        {
            self.keys.push(key);
        }
    }

    /// Finds the key for a token: by `kid` when the token has one (it must match exactly),
    /// otherwise the single key compatible with `alg`. Errors if none or several fit.
    pub fn find(&self, kid: Option<&str>, alg: Algorithm) -> Result<Arc<VerifyingKey>, KeyError> {
        let mut found: Option<&Arc<VerifyingKey>> = None;
        let mut candidates = 0usize;
        let mut first_refusal: Option<KeyError> = None;
        for key in &self.keys {
            if kid.is_some() && key.kid() != kid {
                continue;
            }
            match key.check_algorithm(alg) {
                Ok(()) => {
                    candidates += 1;
                    found.get_or_insert(key);
                }
                Err(e) => {
                    if kid.is_some() && first_refusal.is_none() {
                        first_refusal = Some(e);
                    }
                }
            }
        }
        match (found, candidates) {
            (Some(key), 1) => Ok(Arc::clone(key)),
            (Some(_), n) => Err(KeyError::AmbiguousKey {
                kid: kid.map(str::to_owned),
                candidates: n,
            }),
            // The kid matched, but the key refuses this algorithm: say why.
            (None, _) => Err(first_refusal.unwrap_or_else(|| KeyError::NoMatchingKey {
                kid: kid.map(str::to_owned),
            })),
        }
    }

    /// True if a key with this fingerprint is in the set.
    pub fn contains(&self, fingerprint: &KeyFingerprint) -> bool {
        self.keys.iter().any(|k| k.fingerprint == *fingerprint)
    }

    /// Iterates over the keys.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<VerifyingKey>> {
        self.keys.iter()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True if there are no keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl<'a> IntoIterator for &'a KeySet {
    type Item = &'a Arc<VerifyingKey>;
    type IntoIter = std::slice::Iter<'a, Arc<VerifyingKey>>;

    fn into_iter(self) -> Self::IntoIter {
        self.keys.iter()
    }
}

impl FromIterator<VerifyingKey> for KeySet {
    fn from_iter<I: IntoIterator<Item = VerifyingKey>>(iter: I) -> Self {
        let mut set = KeySet::new();
        for key in iter {
            set.insert(key);
        }
        set
    }
}

impl Extend<VerifyingKey> for KeySet {
    fn extend<I: IntoIterator<Item = VerifyingKey>>(&mut self, iter: I) {
        for key in iter {
            self.insert(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<VerifyingKey>();
        assert_send_sync::<KeySet>();
        assert_send_sync::<KeyError>();
    }

    #[test]
    fn rsa_checks() {
        let mut n = vec![0xffu8; 256];
        n[255] = 0xfb;
        assert!(VerifyingKey::rsa(&n, &[1, 0, 1]).is_ok());
        assert_eq!(
            VerifyingKey::rsa(&n[..128], &[1, 0, 1]).unwrap_err(),
            KeyError::RsaKeyTooSmall { bits: 1024 }
        );
        let mut with_zeros = vec![0, 0];
        with_zeros.extend_from_slice(&n);
        assert_eq!(
            VerifyingKey::rsa(&with_zeros, &[0, 1, 0, 1])
                .unwrap()
                .fingerprint(),
            VerifyingKey::rsa(&n, &[1, 0, 1]).unwrap().fingerprint()
        );
        let mut even = n.clone();
        even[255] = 0xfa;
        assert!(matches!(
            VerifyingKey::rsa(&even, &[3]),
            Err(KeyError::InvalidRsaKey { .. })
        ));
        for e in [&[1u8][..], &[2], &[4], &[0], &[], &[3, 0, 0, 0, 1]] {
            assert!(
                matches!(
                    VerifyingKey::rsa(&n, e),
                    Err(KeyError::InvalidRsaKey { .. })
                ),
                "{e:?}"
            );
        }
        assert_eq!(
            VerifyingKey::rsa(&vec![0xff; 1025], &[3]).unwrap_err(),
            KeyError::RsaKeyTooLarge { bits: 8200 }
        );
    }

    #[test]
    fn roca_fingerprint() {
        // A modulus congruent to 65537^a mod every small prime (here a = 1, i.e.
        // n ≡ 65537 mod M) has the fingerprint; an ordinary one doesn't.
        assert!(has_roca_fingerprint(&[0x01, 0x00, 0x01]));
        assert!(!has_roca_fingerprint(&[0x01, 0x00, 0x03]));
        let mut n = vec![0xffu8; 256];
        n[255] = 0xfb;
        assert!(!has_roca_fingerprint(&n));
    }

    #[test]
    fn ec_point_validation() {
        assert!(matches!(
            VerifyingKey::ec(EcCurve::P256, &[1; 32], &[2; 32]),
            Err(KeyError::InvalidEcPoint { curve: "P-256" })
        ));
        assert!(matches!(
            VerifyingKey::ec(EcCurve::P256, &[1; 31], &[2; 32]),
            Err(KeyError::InvalidMember { member: "x", .. })
        ));
    }

    #[test]
    fn hmac_debug_redacts_and_fingerprint_is_stable() {
        let a = VerifyingKey::hmac(b"topsecretvalue").unwrap();
        let b = VerifyingKey::hmac(b"topsecretvalue").unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(
            a.fingerprint(),
            VerifyingKey::hmac(b"other").unwrap().fingerprint()
        );
        let dbg = format!("{a:?}");
        assert!(!dbg.contains("topsecret"), "{dbg}");
        assert_eq!(
            VerifyingKey::hmac(b"").unwrap_err(),
            KeyError::EmptyHmacSecret
        );
    }

    #[test]
    fn usage_rules() {
        let jwk = Jwk {
            kty: "oct".into(),
            k: Some("c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0ISE".into()),
            use_: Some("enc".into()),
            ..Jwk::default()
        };
        let key = VerifyingKey::from_jwk(&jwk).unwrap();
        assert!(matches!(
            key.verify(Algorithm::HS256, b"x", &[0; 32]),
            Err(KeyError::NotForSignatures { .. })
        ));
        let jwk = Jwk {
            use_: None,
            key_ops: Some(vec!["sign".into()]),
            ..jwk
        };
        let key = VerifyingKey::from_jwk(&jwk).unwrap();
        assert_eq!(
            key.verify(Algorithm::HS256, b"x", &[0; 32]),
            Err(KeyError::VerifyNotAllowed)
        );
        let jwk = Jwk {
            key_ops: None,
            ..jwk
        };
        let key = VerifyingKey::from_jwk(&jwk).unwrap();
        assert_eq!(
            key.verify(Algorithm::HS256, b"x", &[0; 32]),
            Err(KeyError::InvalidSignature)
        );
        assert_eq!(
            key.verify(Algorithm::HS384, b"x", &[0; 48]),
            Err(KeyError::HmacKeyTooShort {
                len: 32,
                min: 48,
                alg: Algorithm::HS384
            })
        );
    }

    #[test]
    fn find_rules() {
        let mut set = KeySet::new();
        assert_eq!(
            set.find(None, Algorithm::HS256).unwrap_err(),
            KeyError::NoMatchingKey { kid: None }
        );
        set.insert(VerifyingKey::hmac(b"one").unwrap().with_kid("1"));
        set.insert(VerifyingKey::hmac(b"one").unwrap().with_kid("1"));
        assert_eq!(set.len(), 1);
        assert_eq!(set.find(None, Algorithm::HS384).unwrap().kid(), Some("1"));
        assert_eq!(
            set.find(Some("2"), Algorithm::HS256).unwrap_err(),
            KeyError::NoMatchingKey {
                kid: Some("2".into())
            }
        );
        assert!(matches!(
            set.find(Some("1"), Algorithm::RS256).unwrap_err(),
            KeyError::IncompatibleAlgorithm { .. }
        ));
        set.insert(
            VerifyingKey::hmac(b"two")
                .unwrap()
                .with_kid("1")
                .with_algorithm(Algorithm::HS512)
                .unwrap(),
        );
        assert_eq!(
            set.find(Some("1"), Algorithm::HS256).unwrap().kid(),
            Some("1")
        );
        assert!(matches!(
            set.find(Some("1"), Algorithm::HS512).unwrap_err(),
            KeyError::AmbiguousKey { candidates: 2, .. }
        ));
        assert!(set.contains(&VerifyingKey::hmac(b"two").unwrap().fingerprint()));
    }
}
