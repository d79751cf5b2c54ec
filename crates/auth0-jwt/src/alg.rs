//! JWS signature algorithms this crate verifies and signs with.
//!
//! The algorithm a token is checked with is decided by the key and the verifier's
//! configuration, never by the token alone: the token's `alg` header only selects
//! among the algorithms the key allows (see [`crate::key::VerifyingKey::verify`]).

use std::fmt;

/// A JWS signature algorithm (RFC 7518 §3, RFC 8037 for `EdDSA`).
///
/// `none` is not representable: [`Algorithm::parse`] always rejects it.
///
/// # Example
///
/// ```
/// use auth0_jwt::alg::{Algorithm, AlgorithmError, AlgorithmFamily};
///
/// let alg = Algorithm::parse("RS256")?;
/// assert_eq!(alg, Algorithm::RS256);
/// assert_eq!(alg.as_str(), "RS256");
/// assert_eq!(alg.family(), AlgorithmFamily::RsaPkcs1);
/// assert!(matches!(Algorithm::parse("none"), Err(AlgorithmError::None)));
/// assert!(matches!(Algorithm::parse("ES512"), Err(AlgorithmError::Unsupported { .. })));
/// # Ok::<(), AlgorithmError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (Auth0's default for ID and access tokens).
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256 and MGF1-SHA-256, 32-byte salt.
    PS256,
    /// RSASSA-PSS with SHA-384 and MGF1-SHA-384, 48-byte salt.
    PS384,
    /// RSASSA-PSS with SHA-512 and MGF1-SHA-512, 64-byte salt.
    PS512,
    /// ECDSA over P-256 with SHA-256, signature as fixed-length `r || s`.
    ES256,
    /// ECDSA over P-384 with SHA-384, signature as fixed-length `r || s`.
    ES384,
    /// Ed25519 (RFC 8037). Ed448 is not supported.
    EdDSA,
    /// HMAC with SHA-256 (a shared secret, e.g. an Auth0 client secret).
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
}

/// Groups of algorithms that share a key type and verification scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AlgorithmFamily {
    /// `RS256`, `RS384`, `RS512` — RSA keys.
    RsaPkcs1,
    /// `PS256`, `PS384`, `PS512` — RSA keys.
    RsaPss,
    /// `ES256`, `ES384` — EC keys on the matching curve.
    Ecdsa,
    /// `EdDSA` — OKP Ed25519 keys.
    EdDsa,
    /// `HS256`, `HS384`, `HS512` — shared secrets (`oct` keys).
    Hmac,
}

/// Why a JWS `alg` value was refused by [`Algorithm::parse`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AlgorithmError {
    /// The token says `alg: none` (any letter case): an unsigned token. Always rejected;
    /// a token like this is either a test artefact or an attack.
    #[error("the `none` algorithm is never accepted")]
    None,
    /// A registered JWS algorithm this crate does not implement (for example `ES512`,
    /// `ES256K`, `Ed448`). The token may be genuine but the issuer uses an algorithm we
    /// cannot verify; Auth0 tenants sign with `RS256`, `PS256` or `HS256`.
    #[error("unsupported JWS algorithm `{alg}`")]
    Unsupported {
        /// The `alg` value (truncated to 64 characters).
        alg: String,
    },
    /// Not a JWS signature algorithm at all (a typo, a JWE algorithm such as `RSA-OAEP`,
    /// or garbage).
    #[error("unknown JWS algorithm `{alg}`")]
    Unknown {
        /// The `alg` value (truncated to 64 characters).
        alg: String,
    },
}

/// Registered JWS `alg` values (IANA "JSON Web Signature and Encryption Algorithms",
/// usage JWS) that we recognise but do not implement.
const KNOWN_UNSUPPORTED: &[&str] = &[
    "ES512",
    "ES256K",
    "Ed25519",
    "Ed448",
    "ML-DSA-44",
    "ML-DSA-65",
    "ML-DSA-87",
];

/// Upper bound on how much of an attacker-chosen `alg` value an error keeps.
const MAX_ALG_IN_ERROR: usize = 64;

fn truncated(alg: &str) -> String {
    alg.chars().take(MAX_ALG_IN_ERROR).collect()
}

impl Algorithm {
    /// Every supported algorithm, in declaration order.
    pub const ALL: [Algorithm; 12] = [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
        Algorithm::HS256,
        Algorithm::HS384,
        Algorithm::HS512,
    ];

    /// Parses a JWS `alg` value. Names are case-sensitive (RFC 7515 §4.1.1), except that
    /// `none` is recognised in any case so that it is reported as [`AlgorithmError::None`].
    pub fn parse(alg: &str) -> Result<Self, AlgorithmError> {
        Ok(match alg {
            "RS256" => Algorithm::RS256,
            "RS384" => Algorithm::RS384,
            "RS512" => Algorithm::RS512,
            "PS256" => Algorithm::PS256,
            "PS384" => Algorithm::PS384,
            "PS512" => Algorithm::PS512,
            "ES256" => Algorithm::ES256,
            "ES384" => Algorithm::ES384,
            "EdDSA" => Algorithm::EdDSA,
            "HS256" => Algorithm::HS256,
            "HS384" => Algorithm::HS384,
            "HS512" => Algorithm::HS512,
            other if other.eq_ignore_ascii_case("none") => return Err(AlgorithmError::None),
            other if KNOWN_UNSUPPORTED.contains(&other) => {
                return Err(AlgorithmError::Unsupported {
                    alg: truncated(other),
                });
            }
            other => {
                return Err(AlgorithmError::Unknown {
                    alg: truncated(other),
                });
            }
        })
    }

    /// The registered name, e.g. `"RS256"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::EdDSA => "EdDSA",
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
        }
    }

    /// The family (and so the key type) this algorithm belongs to.
    pub const fn family(self) -> AlgorithmFamily {
        match self {
            Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 => AlgorithmFamily::RsaPkcs1,
            Algorithm::PS256 | Algorithm::PS384 | Algorithm::PS512 => AlgorithmFamily::RsaPss,
            Algorithm::ES256 | Algorithm::ES384 => AlgorithmFamily::Ecdsa,
            Algorithm::EdDSA => AlgorithmFamily::EdDsa,
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => AlgorithmFamily::Hmac,
        }
    }

    /// True for `RS*` and `PS*`.
    pub const fn is_rsa(self) -> bool {
        matches!(
            self.family(),
            AlgorithmFamily::RsaPkcs1 | AlgorithmFamily::RsaPss
        )
    }

    /// True for `HS*`: the key is a shared secret.
    pub const fn is_symmetric(self) -> bool {
        matches!(self.family(), AlgorithmFamily::Hmac)
    }

    /// True for every algorithm verified with a public key.
    pub const fn is_asymmetric(self) -> bool {
        !self.is_symmetric()
    }

    /// The JWK `kty` a key for this algorithm has (`RSA`, `EC`, `OKP` or `oct`).
    pub const fn key_type(self) -> &'static str {
        match self.family() {
            AlgorithmFamily::RsaPkcs1 | AlgorithmFamily::RsaPss => "RSA",
            AlgorithmFamily::Ecdsa => "EC",
            AlgorithmFamily::EdDsa => "OKP",
            AlgorithmFamily::Hmac => "oct",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Algorithm {
    type Err = AlgorithmError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::parse(s)
    }
}

impl serde::Serialize for Algorithm {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Algorithm {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AlgVisitor;
        impl serde::de::Visitor<'_> for AlgVisitor {
            type Value = Algorithm;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JWS algorithm name such as \"RS256\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Algorithm, E> {
                Algorithm::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(AlgVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_name() {
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::parse(alg.as_str()), Ok(alg));
            assert_eq!(alg.to_string(), alg.as_str());
            assert_eq!(alg.as_str().parse::<Algorithm>(), Ok(alg));
        }
    }

    #[test]
    fn none_in_any_case_is_none() {
        for s in ["none", "None", "NONE", "nOnE"] {
            assert_eq!(Algorithm::parse(s), Err(AlgorithmError::None));
        }
    }

    #[test]
    fn names_are_case_sensitive() {
        assert!(matches!(
            Algorithm::parse("rs256"),
            Err(AlgorithmError::Unknown { .. })
        ));
        assert!(matches!(
            Algorithm::parse("RS256 "),
            Err(AlgorithmError::Unknown { .. })
        ));
    }

    #[test]
    fn known_unsupported_are_distinguished() {
        for s in ["ES512", "ES256K", "Ed448"] {
            assert_eq!(
                Algorithm::parse(s),
                Err(AlgorithmError::Unsupported { alg: s.into() })
            );
        }
        assert_eq!(
            Algorithm::parse("RSA-OAEP"),
            Err(AlgorithmError::Unknown {
                alg: "RSA-OAEP".into()
            })
        );
    }

    #[test]
    fn long_names_are_truncated_in_errors() {
        let long = "x".repeat(10_000);
        match Algorithm::parse(&long) {
            Err(AlgorithmError::Unknown { alg }) => assert_eq!(alg.len(), MAX_ALG_IN_ERROR),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn families() {
        assert_eq!(Algorithm::PS384.family(), AlgorithmFamily::RsaPss);
        assert!(Algorithm::PS384.is_rsa());
        assert!(Algorithm::HS512.is_symmetric());
        assert!(Algorithm::EdDSA.is_asymmetric());
        assert_eq!(Algorithm::ES384.key_type(), "EC");
        assert_eq!(Algorithm::EdDSA.key_type(), "OKP");
    }

    #[test]
    fn serde_uses_names() {
        let v = serde_json::to_string(&Algorithm::ES256).unwrap();
        assert_eq!(v, "\"ES256\"");
        let a: Algorithm = serde_json::from_str("\"HS384\"").unwrap();
        assert_eq!(a, Algorithm::HS384);
        assert!(serde_json::from_str::<Algorithm>("\"none\"").is_err());
    }
}
