//! PKCE (RFC 7636): a random code verifier and its S256 challenge.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom as _, SystemRandom};

/// Why a PKCE pair could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PkceError {
    /// The verifier is shorter than 43 or longer than 128 characters.
    #[error("a code verifier must be 43 to 128 characters long, not {len}")]
    Length {
        /// Its length.
        len: usize,
    },
    /// The verifier has a character outside `A-Z a-z 0-9 - . _ ~`.
    #[error("a code verifier may only contain A-Z a-z 0-9 - . _ ~")]
    Character,
    /// The system random number generator failed.
    #[error("the system random number generator failed")]
    Random,
}

/// A PKCE code verifier and its `S256` code challenge.
///
/// Send [`challenge`](Self::challenge) to `/authorize` (see
/// [`AuthorizeUrl::pkce`](crate::AuthorizeUrl::pkce)) and the
/// [`verifier`](Self::verifier) with
/// [`authorization_code_pkce`](crate::AuthenticationClient::authorization_code_pkce).
/// `Debug` hides the verifier.
///
/// ```
/// use auth0_authentication::Pkce;
/// // RFC 7636, appendix B.
/// let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")?;
/// assert_eq!(pkce.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
/// assert_eq!(pkce.method(), "S256");
///
/// let fresh = Pkce::generate()?;
/// assert_eq!(fresh.verifier().len(), 43);
/// # Ok::<(), auth0_authentication::PkceError>(())
/// ```
#[derive(Clone)]
pub struct Pkce {
    verifier: String,
    challenge: String,
}

impl fmt::Debug for Pkce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkce")
            .field("verifier", &"[REDACTED]")
            .field("challenge", &self.challenge)
            .finish()
    }
}

impl Pkce {
    /// A fresh verifier of 32 random bytes (43 base64url characters, 256
    /// bits of entropy, as RFC 7636 section 4.1 recommends).
    pub fn generate() -> Result<Self, PkceError> {
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| PkceError::Random)?;
        Self::from_verifier(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Uses a verifier you made; it must be 43–128 unreserved characters.
    pub fn from_verifier(verifier: impl Into<String>) -> Result<Self, PkceError> {
        let verifier = verifier.into();
        let len = verifier.len();
        if !(43..=128).contains(&len) {
            return Err(PkceError::Length { len });
        }
        if !verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
        {
            return Err(PkceError::Character);
        }
        let challenge = URL_SAFE_NO_PAD.encode(digest(&SHA256, verifier.as_bytes()));
        Ok(Self {
            verifier,
            challenge,
        })
    }

    /// The code verifier (a secret until the code is exchanged).
    pub fn verifier(&self) -> &str {
        &self.verifier
    }

    /// The `code_challenge`: base64url(SHA-256(verifier)).
    pub fn challenge(&self) -> &str {
        &self.challenge
    }

    /// The `code_challenge_method`: always `S256`.
    pub fn method(&self) -> &'static str {
        "S256"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_verifiers() {
        assert_eq!(
            Pkce::from_verifier("short").unwrap_err(),
            PkceError::Length { len: 5 }
        );
        assert_eq!(
            Pkce::from_verifier("a".repeat(129)).unwrap_err(),
            PkceError::Length { len: 129 }
        );
        assert_eq!(
            Pkce::from_verifier(format!("{}+", "a".repeat(43))).unwrap_err(),
            PkceError::Character
        );
        assert!(Pkce::from_verifier("a~._-".repeat(20)).is_ok());
    }

    #[test]
    fn generated_verifiers_differ_and_debug_hides_them() {
        let a = Pkce::generate().unwrap();
        let b = Pkce::generate().unwrap();
        assert_ne!(a.verifier(), b.verifier());
        assert!(!format!("{a:?}").contains(a.verifier()));
    }
}
