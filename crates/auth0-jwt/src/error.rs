//! The crate's top-level error: why a token was rejected.
//!
//! Claim-check messages use auth0-python's `token_verifier.py` wording, with
//! "ID token" replaced by "access token" for access tokens. Values copied from
//! the token (`iss`, `aud`, `org_id`, …) are truncated; the token itself never
//! appears in a message.

use std::fmt;

use crate::claims::{Audience, ClaimTypeError, truncate_for_message};
use crate::jws::JwsError;
use crate::key::KeyError;
use crate::verifier::KeySourceError;

/// Which kind of token a check was about (only changes the wording).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenKind {
    /// An OpenID Connect ID token.
    IdToken,
    /// An OAuth 2.0 access token (JWT profile).
    AccessToken,
    /// A claim set not tied to a token kind (e.g. [`Claims::from_json`](crate::claims::Claims::from_json)).
    Token,
    /// An OpenID Connect Back-Channel Logout token.
    LogoutToken,
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::IdToken => "ID token",
            Self::AccessToken => "access token",
            Self::Token => "token",
            Self::LogoutToken => "logout token",
        })
    }
}

/// Why a token was rejected (or a verifier could not be built).
///
/// Match on the variant for the check that failed; the lower-level cause of
/// [`Error::Malformed`], [`Error::Key`], [`Error::InvalidSignature`] and
/// [`Error::KeySource`] is reachable through [`std::error::Error::source`].
///
/// # Example
///
/// ```
/// use auth0_jwt::error::{Error, TokenKind};
///
/// let err = Error::IssuerMismatch {
///     kind: TokenKind::IdToken,
///     expected: "https://tenant.auth0.com/".into(),
///     found: "https://evil.example/".into(),
/// };
/// assert_eq!(
///     err.to_string(),
///     r#"Issuer (iss) claim mismatch in the ID token; expected "https://tenant.auth0.com/", found "https://evil.example/""#
/// );
/// assert!(!err.is_insufficient_scope());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The token was empty. Likely cause: no token was sent, or the caller
    /// passed the wrong field of a token response.
    #[error("{kind} is required but missing.")]
    Missing {
        /// The kind of token expected.
        kind: TokenKind,
    },

    /// The token is not a well-formed JWS (bad base64url, bad JSON, wrong
    /// number of parts, too large, …). Likely cause: not a JWT at all, a
    /// truncated or opaque token, or a tampered one.
    #[error("token could not be decoded.")]
    Malformed(#[source] JwsError),

    /// The header `alg` is not the algorithm this verifier is configured for.
    /// Likely cause: the API or application is configured for another
    /// signing algorithm, or an algorithm-confusion attack (`none`, `HS256`
    /// with a public key).
    #[error(
        "Signature algorithm of \"{found}\" is not supported. Expected the token to be signed with \"{expected}\""
    )]
    AlgorithmNotSupported {
        /// The header's `alg` (truncated).
        found: String,
        /// The configured algorithm(s).
        expected: String,
    },

    /// No key with the token's `kid` was found. Likely cause: the token was
    /// issued by another tenant, or its key was rotated out of the JWKS.
    #[error("RSA Public Key with ID \"{}\" was not found.", kid.as_deref().unwrap_or(""))]
    KeyNotFound {
        /// The header's `kid` (truncated), if any.
        kid: Option<String>,
    },

    /// The key source failed (e.g. the JWKS could not be fetched). Likely
    /// cause: the JWKS endpoint is unreachable or misconfigured.
    #[error("the verification key could not be obtained")]
    KeySource(#[source] KeySourceError),

    /// The key found cannot verify this token (wrong key type, or the JWK
    /// pins another `alg`). Likely cause: a `kid` pointing at a key of
    /// another type, or a header `alg` that differs from the JWK's `alg`.
    #[error("the verification key cannot be used for this token")]
    Key(#[source] KeyError),

    /// The signature does not match. Likely cause: a tampered token, or one
    /// signed with a key or secret other than the configured one.
    #[error("Invalid token signature.")]
    InvalidSignature(#[source] KeyError),

    /// `iss` is absent or not a string. Likely cause: not an Auth0 token, or
    /// a token from a non-OIDC issuer.
    #[error("Issuer (iss) claim must be a string present in the {kind}")]
    IssuerInvalid {
        /// The kind of token.
        kind: TokenKind,
    },

    /// `iss` differs from the configured issuer. Likely cause: a token from
    /// another tenant, or a missing trailing `/` in the configured issuer.
    #[error(
        "Issuer (iss) claim mismatch in the {kind}; expected \"{expected}\", found \"{found}\""
    )]
    IssuerMismatch {
        /// The kind of token.
        kind: TokenKind,
        /// The configured issuer.
        expected: String,
        /// The token's `iss` (truncated).
        found: String,
    },

    /// `sub` is absent or not a string. Likely cause: a token from a
    /// non-conforming issuer or a hand-made token.
    #[error("Subject (sub) claim must be a string present in the {kind}")]
    SubjectInvalid {
        /// The kind of token.
        kind: TokenKind,
    },

    /// `aud` is absent, or not a string or array of strings. Likely cause: a
    /// hand-made or non-conforming token.
    #[error("Audience (aud) claim must be a string or array of strings present in the {kind}")]
    AudienceInvalid {
        /// The kind of token.
        kind: TokenKind,
    },

    /// `aud` does not contain the configured audience. Likely cause: a
    /// token issued for another application or API.
    #[error("{}", audience_mismatch(*kind, expected, found))]
    AudienceMismatch {
        /// The kind of token.
        kind: TokenKind,
        /// The configured audience (several joined with `", "`).
        expected: String,
        /// The token's `aud` (values truncated).
        found: Audience,
    },

    /// `exp` is absent or not an integer NumericDate (a string such as
    /// `"1700000000"`, a fraction such as `1.5` or an exponent form such as
    /// `1e9` is refused). Likely cause: a hand-made token or a non-conforming
    /// issuer.
    #[error("Expiration Time (exp) claim must be a number present in the {kind}")]
    ExpirationInvalid {
        /// The kind of token.
        kind: TokenKind,
    },

    /// The token expired (more than the leeway ago). Likely cause: an old
    /// token reused, a client that does not refresh, or clock skew larger than
    /// the leeway.
    #[error(
        "Expiration Time (exp) claim error in the {kind}; current time ({now}) is after expiration time ({expired_at})"
    )]
    Expired {
        /// The kind of token.
        kind: TokenKind,
        /// The clock's time.
        now: i64,
        /// `exp` plus the leeway.
        expired_at: i64,
    },

    /// `iat` is absent (ID tokens) or not an integer NumericDate. Likely
    /// cause: a hand-made or non-conforming token.
    #[error("Issued At (iat) claim must be a number present in the {kind}")]
    IssuedAtInvalid {
        /// The kind of token.
        kind: TokenKind,
    },

    /// `iat` is in the future by more than the leeway. Likely cause: clock
    /// skew between the issuer and this host, or a forged token.
    #[error(
        "Issued At (iat) claim error in the {kind}; current time ({now}) is before issued at time ({issued_at})"
    )]
    IssuedInFuture {
        /// The kind of token.
        kind: TokenKind,
        /// The clock's time.
        now: i64,
        /// `iat` minus the leeway.
        issued_at: i64,
    },

    /// `nbf` is present but not an integer NumericDate. Likely cause: a
    /// hand-made or non-conforming token.
    #[error("Not Before (nbf) claim must be a number in the {kind}")]
    NotBeforeInvalid {
        /// The kind of token.
        kind: TokenKind,
    },

    /// The token is not valid yet (`nbf` more than the leeway away). Likely
    /// cause: this host's clock is behind the issuer's.
    #[error(
        "Not Before (nbf) claim error in the {kind}; current time ({now}) is before not before time ({not_before})"
    )]
    NotYetValid {
        /// The kind of token.
        kind: TokenKind,
        /// The clock's time.
        now: i64,
        /// `nbf` minus the leeway.
        not_before: i64,
    },

    /// A nonce was expected but `nonce` is absent or not a string (or, when
    /// none was expected, `nonce` is not a string). Likely cause: the
    /// authorization request did not send the nonce.
    #[error("Nonce (nonce) claim must be a string present in the {kind}")]
    NonceInvalid {
        /// The kind of token.
        kind: TokenKind,
    },

    /// `nonce` differs from the one sent. Likely cause: a replayed token or
    /// a mixed-up login transaction.
    #[error(
        "Nonce (nonce) claim mismatch in the {kind}; expected \"{expected}\", found \"{found}\""
    )]
    NonceMismatch {
        /// The kind of token.
        kind: TokenKind,
        /// The nonce sent in the authorization request.
        expected: String,
        /// The token's `nonce` (truncated).
        found: String,
    },

    /// An organization id was expected (or required by policy) but `org_id`
    /// is absent or not a string. Likely cause: the user logged in without
    /// an organization.
    #[error("Organization (org_id) claim must be a string present in the {kind}")]
    OrganizationIdInvalid {
        /// The kind of token.
        kind: TokenKind,
    },

    /// `org_id` differs from the expected organization. Likely cause: the
    /// user logged in to another organization.
    #[error(
        "Organization (org_id) claim mismatch in the {kind}; expected \"{expected}\", found \"{found}\""
    )]
    OrganizationIdMismatch {
        /// The kind of token.
        kind: TokenKind,
        /// The expected organization id.
        expected: String,
        /// The token's `org_id` (truncated).
        found: String,
    },

    /// An organization name was expected but `org_name` is absent or not a
    /// string. Likely cause: the tenant does not add organization names to
    /// tokens; pass the `org_…` id instead.
    #[error("Organization (org_name) claim must be a string present in the {kind}")]
    OrganizationNameInvalid {
        /// The kind of token.
        kind: TokenKind,
    },

    /// `org_name` differs (case-insensitively) from the expected name.
    /// Likely cause: the user logged in to another organization.
    #[error(
        "Organization (org_name) claim mismatch in the {kind}; expected \"{expected}\", found \"{found}\""
    )]
    OrganizationNameMismatch {
        /// The kind of token.
        kind: TokenKind,
        /// The expected organization name.
        expected: String,
        /// The token's `org_name` (truncated).
        found: String,
    },

    /// The access token's organization is not allowed by the
    /// [`OrganizationPolicy`](crate::access_token::OrganizationPolicy). Likely
    /// cause: a member of another organization calling this API.
    #[error("Organization of the {kind} is not allowed (org_id \"{}\", org_name \"{}\")",
        org_id.as_deref().unwrap_or(""), org_name.as_deref().unwrap_or(""))]
    OrganizationNotAllowed {
        /// The kind of token.
        kind: TokenKind,
        /// The token's `org_id` (truncated), if any.
        org_id: Option<String>,
        /// The token's `org_name` (truncated), if any.
        org_name: Option<String>,
    },

    /// `aud` has several values and `azp` is absent or not a string. Likely
    /// cause: a token issued for several audiences by a non-conforming issuer.
    #[error(
        "Authorized Party (azp) claim must be a string present in the {kind} when Audience (aud) claim has multiple values"
    )]
    AuthorizedPartyInvalid {
        /// The kind of token.
        kind: TokenKind,
    },

    /// `azp` differs from the configured audience (client id). Likely cause:
    /// a token obtained by another application.
    #[error(
        "Authorized Party (azp) claim mismatch in the {kind}; expected \"{expected}\", found \"{found}\""
    )]
    AuthorizedPartyMismatch {
        /// The kind of token.
        kind: TokenKind,
        /// The configured audience.
        expected: String,
        /// The token's `azp` (truncated).
        found: String,
    },

    /// `auth_time` is absent (when `max_age` was requested) or not an integer
    /// NumericDate.
    /// Likely cause: the authorization request did not send `max_age`.
    #[error(
        "Authentication Time (auth_time) claim must be a number present in the {kind} when Max Age (max_age) is specified"
    )]
    AuthTimeInvalid {
        /// The kind of token.
        kind: TokenKind,
    },

    /// The user authenticated longer ago than `max_age` (plus leeway).
    /// Likely cause: a session reused beyond the requested age; log in again.
    #[error(
        "Authentication Time (auth_time) claim in the {kind} indicates that too much time has passed since the last end-user authentication. Current time ({now}) is after last auth at ({valid_until})"
    )]
    AuthTimeTooOld {
        /// The kind of token.
        kind: TokenKind,
        /// The clock's time.
        now: i64,
        /// `auth_time + max_age + leeway`.
        valid_until: i64,
    },

    /// The header `typ` is not allowed by the validator's type policy.
    /// Likely cause: an ID token presented as an access token.
    #[error("Type (typ) header mismatch in the {kind}; expected {expected}, found \"{}\"",
        found.as_deref().unwrap_or(""))]
    TypeMismatch {
        /// The kind of token.
        kind: TokenKind,
        /// What the policy accepts.
        expected: &'static str,
        /// The header's `typ` (truncated), if any.
        found: Option<String>,
    },

    /// Some other registered claim (`jti`, `scope`, `permissions`, `azp`,
    /// …) has the wrong JSON type. Likely cause: a hand-made or
    /// non-conforming token.
    #[error("{claim} claim in the {kind} must be {expected}")]
    InvalidClaim {
        /// The kind of token.
        kind: TokenKind,
        /// The claim's name.
        claim: &'static str,
        /// The JSON type it must have.
        expected: &'static str,
    },

    /// The token lacks required scopes or permissions. Answer with HTTP 403
    /// (`insufficient_scope`), not 401.
    #[error("Insufficient scope; the token is missing \"{}\"", missing.join(" "))]
    InsufficientScope {
        /// The required scopes/permissions the token does not have.
        missing: Vec<String>,
    },

    /// The claim set is not a JSON object. Likely cause: the wrong input was
    /// passed to [`Claims::from_json`](crate::claims::Claims::from_json).
    #[error("the claims are not a JSON object")]
    ClaimsNotAnObject,

    /// The claims do not fit the type asked for with
    /// [`Claims::deserialize`](crate::claims::Claims::deserialize). Likely
    /// cause: a custom claim missing or of another type than your struct says.
    #[error("the token's claims do not match the requested type")]
    ClaimsDeserialize {
        /// The serde error (names the field; may quote a claim value).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },

    /// A verifier or validator could not be built. Likely cause: a missing
    /// builder setting or an unusable key/secret.
    #[error("invalid configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
        /// The underlying error, if any.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },

    /// A blocking validator could not run (feature `blocking`): called
    /// inside an async runtime (use the async validator there), or its
    /// runtime thread is gone.
    #[cfg(feature = "blocking")]
    #[error(transparent)]
    Blocking(#[from] auth0_core::blocking::BlockingError),
}

fn audience_mismatch(kind: TokenKind, expected: &str, found: &Audience) -> String {
    match found {
        Audience::Single(one) => format!(
            "Audience (aud) claim mismatch in the {kind}; expected \"{expected}\" but found \"{one}\""
        ),
        Audience::Many(many) => format!(
            "Audience (aud) claim mismatch in the {kind}; expected \"{expected}\" but was not one of \"{}\"",
            many.join(", ")
        ),
    }
}

impl Error {
    /// True for [`Error::InsufficientScope`]: the token is valid but lacks
    /// scopes/permissions (HTTP 403 rather than 401).
    pub fn is_insufficient_scope(&self) -> bool {
        matches!(self, Self::InsufficientScope { .. })
    }

    /// Maps a claim-type error to the claim's own variant.
    pub(crate) fn from_claim_type(e: ClaimTypeError, kind: TokenKind) -> Self {
        match e.claim {
            "iss" => Self::IssuerInvalid { kind },
            "sub" => Self::SubjectInvalid { kind },
            "aud" => Self::AudienceInvalid { kind },
            "exp" => Self::ExpirationInvalid { kind },
            "iat" => Self::IssuedAtInvalid { kind },
            "nbf" => Self::NotBeforeInvalid { kind },
            "nonce" => Self::NonceInvalid { kind },
            "org_id" => Self::OrganizationIdInvalid { kind },
            "org_name" => Self::OrganizationNameInvalid { kind },
            "auth_time" if kind == TokenKind::IdToken => Self::AuthTimeInvalid { kind },
            claim => Self::InvalidClaim {
                kind,
                claim,
                expected: e.expected.describe(),
            },
        }
    }

    pub(crate) fn config(reason: impl Into<String>) -> Self {
        Self::Config {
            reason: reason.into(),
            source: None,
        }
    }
}

/// Truncates an optional token-supplied value for an error.
pub(crate) fn trunc_opt(value: Option<&str>) -> Option<String> {
    value.map(truncate_for_message)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Result<_, Error>` travels through every step of the verify path. Today the
    /// largest variant is `KeySource(KeySourceError::KeyRejected { .. })`; a
    /// variant that grows the enum beyond this should be boxed.
    #[test]
    fn error_stays_small() {
        let size = std::mem::size_of::<Error>();
        eprintln!("size_of::<Error>() = {size}");
        assert!(size <= 72, "size_of::<Error>() = {size}");
    }
}
