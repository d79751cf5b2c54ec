//! How the application proves its identity to the token endpoint:
//! nothing (public clients), `client_secret_post`, or `private_key_jwt`
//! with a fresh signed client assertion per request.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth0_jwt::sign::{SignError, SigningKey};
use ring::rand::{SecureRandom as _, SystemRandom};
use serde::Serialize;
use serde_json::{Map, Value};

/// The `client_assertion_type` sent with a `private_key_jwt` assertion.
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Default lifetime of a client assertion (`exp - iat`), as auth0-python
/// uses.
pub const DEFAULT_ASSERTION_LIFETIME: Duration = Duration::from_secs(180);

/// How requests that need client authentication identify the application.
///
/// `Debug` never shows the secret or the key.
///
/// ```
/// use auth0_authentication::ClientAuthentication;
/// use auth0_jwt::sign::SigningKey;
///
/// let secret = ClientAuthentication::ClientSecret("s3cr3t".into());
/// assert_eq!(format!("{secret:?}"), "ClientSecret([REDACTED])");
///
/// let key = SigningKey::generate_es256()?.with_kid("my-key");
/// let jwt = ClientAuthentication::PrivateKeyJwt(Box::new(key));
/// assert!(format!("{jwt:?}").starts_with("PrivateKeyJwt"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[non_exhaustive]
pub enum ClientAuthentication {
    /// No client authentication: a public client (SPA, native app).
    None,
    /// `client_secret_post`: the secret is sent as `client_secret`.
    ClientSecret(String),
    /// `private_key_jwt`: a JWT signed with this key is sent as
    /// `client_assertion` (RS256, RS384, PS256, ES256, … as registered for
    /// the application; HMAC keys are refused by the builder).
    PrivateKeyJwt(Box<SigningKey>),
}

impl fmt::Debug for ClientAuthentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::ClientSecret(_) => f.write_str("ClientSecret([REDACTED])"),
            Self::PrivateKeyJwt(key) => f
                .debug_tuple("PrivateKeyJwt")
                .field(&format_args!(
                    "alg={} kid={:?}",
                    key.algorithm().as_str(),
                    key.kid()
                ))
                .finish(),
        }
    }
}

/// Why a client assertion could not be created. Never contains key
/// material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AssertionError {
    /// Signing failed: usually an algorithm the key can't be used with.
    #[error("could not sign the client assertion")]
    Sign(#[source] SignError),
    /// The system random number generator failed while making the `jti`.
    #[error("the system random number generator failed")]
    Random,
    /// The system clock is before 1970.
    #[error("the system clock is before the UNIX epoch")]
    Clock,
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
    jti: String,
}

/// Signs a `private_key_jwt` client assertion exactly as auth0-python's
/// `create_client_assertion_jwt` does: `iss = sub = client_id`,
/// `aud = audience` (the tenant's issuer URL, `https://{domain}/`),
/// `iat = now`, `exp = now + lifetime`, a random UUID v4 `jti`; the header
/// has `alg`, `typ: JWT` and the key's `kid` when it has one.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use auth0_authentication::client_auth::client_assertion;
/// use auth0_jwt::jws::{Jws, ParseOptions};
/// use auth0_jwt::sign::SigningKey;
///
/// let key = SigningKey::generate_es256()?;
/// let jwt = client_assertion(&key, "my-client", "https://tenant.auth0.com/",
///     Duration::from_secs(180), SystemTime::now())?;
/// let jws = Jws::parse(&jwt, &ParseOptions::default())?;
/// assert_eq!(jws.claims()["iss"], "my-client");
/// assert_eq!(jws.claims()["aud"], "https://tenant.auth0.com/");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn client_assertion(
    key: &SigningKey,
    client_id: &str,
    audience: &str,
    lifetime: Duration,
    now: SystemTime,
) -> Result<String, AssertionError> {
    let iat = now
        .duration_since(UNIX_EPOCH)
        .map_err(|_| AssertionError::Clock)?
        .as_secs();
    let claims = AssertionClaims {
        iss: client_id,
        sub: client_id,
        aud: audience,
        iat,
        exp: iat.saturating_add(lifetime.as_secs()),
        jti: random_uuid_v4()?,
    };
    key.sign_token(&Map::<String, Value>::new(), &claims)
        .map_err(AssertionError::Sign)
}

/// A random RFC 9562 version 4 UUID, like Python's `uuid.uuid4()`.
fn random_uuid_v4() -> Result<String, AssertionError> {
    let mut b = [0u8; 16];
    SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| AssertionError::Random)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = |s: &[u8]| s.iter().map(|x| format!("{x:02x}")).collect::<String>();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        hex(&b[0..4]),
        hex(&b[4..6]),
        hex(&b[6..8]),
        hex(&b[8..10]),
        hex(&b[10..16])
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_shape() {
        let u = random_uuid_v4().unwrap();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(u, random_uuid_v4().unwrap());
    }

    #[test]
    fn debug_redacts() {
        let s = format!("{:?}", ClientAuthentication::ClientSecret("hunter2".into()));
        assert!(!s.contains("hunter2"));
    }
}
