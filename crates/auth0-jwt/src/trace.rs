//! The `auth0.validate` span: one per validation of an access token, ID
//! token, logout token or DPoP proof (target `auth0`, level `DEBUG`; see
//! `docs/TRACING.md`).
//!
//! Validation is on a gateway's hot path, so the span costs one level and
//! interest check when nobody listens: it is created by `debug_span!`
//! (disabled unless a subscriber wants `auth0` at DEBUG), and the header is
//! decoded for `jwt.alg` / `jwt.kid` only for an enabled span.
//!
//! Fields: `auth0.token.kind` (`access_token`, `id_token`, `logout_token`,
//! `dpop_proof`), `auth0.validate.outcome` (`valid` / `invalid`),
//! `error.type` (the stable snake_case name of the error variant, e.g.
//! `expired`, `invalid_signature`, `key_source`), `jwt.alg`, `jwt.kid`
//! (truncated) and `auth0.validate.inline` (`true` for an answer given
//! without waiting: a cache hit or an inline DPoP check). Never the token,
//! its signature or any claim value.

use std::future::Future;

use tracing::Instrument as _;
use tracing::field::Empty;

use crate::claims::truncate_for_message;
use crate::dpop::DpopError;
use crate::error::Error;
use crate::jws::ParseOptions;
use crate::logout_token::LogoutTokenError;

/// `auth0.token.kind` of an access token.
pub(crate) const ACCESS_TOKEN: &str = "access_token";
/// `auth0.token.kind` of an ID token.
pub(crate) const ID_TOKEN: &str = "id_token";
/// `auth0.token.kind` of a back-channel logout token.
pub(crate) const LOGOUT_TOKEN: &str = "logout_token";
/// `auth0.token.kind` of a DPoP proof.
pub(crate) const DPOP_PROOF: &str = "dpop_proof";

/// The `auth0.validate` span of a validation of `token` (disabled unless
/// a subscriber wants it: then the caller runs the validation untraced,
/// without building a second future).
pub(crate) fn validation_span(kind: &'static str, token: &str) -> tracing::Span {
    span(kind, token)
}

/// Runs `validation` inside the enabled `span` and records its outcome.
pub(crate) async fn traced<T, E: Reason>(
    span: tracing::Span,
    validation: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let result = validation.instrument(span.clone()).await;
    record(&span, result.as_ref().err(), false);
    result
}

/// Records an answer given at once (`validate_cached`, `validate_now`).
pub(crate) fn validated_now<T, E: Reason>(
    kind: &'static str,
    token: &str,
    result: Option<&Result<T, E>>,
) {
    let Some(result) = result else {
        return;
    };
    let span = span(kind, token);
    if !span.is_disabled() {
        record(&span, result.as_ref().err(), true);
    }
}

fn span(kind: &'static str, token: &str) -> tracing::Span {
    let span = tracing::debug_span!(
        target: "auth0",
        "auth0.validate",
        auth0.token.kind = kind,
        auth0.validate.outcome = Empty,
        auth0.validate.inline = Empty,
        error.type = Empty,
        jwt.alg = Empty,
        jwt.kid = Empty,
    );
    if !span.is_disabled() {
        record_header(&span, token);
    }
    span
}

fn record<E: Reason>(span: &tracing::Span, error: Option<&E>, inline: bool) {
    if inline {
        span.record("auth0.validate.inline", true);
    }
    match error {
        None => span.record("auth0.validate.outcome", "valid"),
        Some(error) => {
            span.record("auth0.validate.outcome", "invalid");
            span.record("error.type", error.reason())
        }
    };
}

/// The header's `alg` (as this crate names it, never the sender's text) and
/// `kid` (truncated), when the header decodes.
fn record_header(span: &tracing::Span, token: &str) {
    const MAX_HEADER: usize = 4096;
    let Some(encoded) = token.split('.').next().filter(|h| h.len() <= MAX_HEADER) else {
        return;
    };
    let Ok(bytes) = crate::base64url::decode(encoded.as_bytes()) else {
        return;
    };
    let Ok(header) = crate::jws::parse_header(&bytes, &ParseOptions::default()) else {
        return;
    };
    span.record("jwt.alg", header.algorithm.as_str());
    if let Some(kid) = header.kid.as_deref() {
        span.record("jwt.kid", truncate_for_message(kid).as_str());
    }
}

/// The stable name of a validation error: its variant in snake_case.
pub(crate) trait Reason {
    /// The name.
    fn reason(&self) -> &'static str;
}

impl Reason for Error {
    fn reason(&self) -> &'static str {
        match self {
            Error::Missing { .. } => "missing",
            Error::Malformed(_) => "malformed",
            Error::AlgorithmNotSupported { .. } => "algorithm_not_supported",
            Error::KeyNotFound { .. } => "key_not_found",
            Error::KeySource(_) => "key_source",
            Error::Key(_) => "key",
            Error::InvalidSignature(_) => "invalid_signature",
            Error::IssuerInvalid { .. } => "issuer_invalid",
            Error::IssuerMismatch { .. } => "issuer_mismatch",
            Error::SubjectInvalid { .. } => "subject_invalid",
            Error::AudienceInvalid { .. } => "audience_invalid",
            Error::AudienceMismatch { .. } => "audience_mismatch",
            Error::ExpirationInvalid { .. } => "expiration_invalid",
            Error::Expired { .. } => "expired",
            Error::IssuedAtInvalid { .. } => "issued_at_invalid",
            Error::IssuedInFuture { .. } => "issued_in_future",
            Error::NotBeforeInvalid { .. } => "not_before_invalid",
            Error::NotYetValid { .. } => "not_yet_valid",
            Error::NonceInvalid { .. } => "nonce_invalid",
            Error::NonceMismatch { .. } => "nonce_mismatch",
            Error::OrganizationIdInvalid { .. } => "organization_id_invalid",
            Error::OrganizationIdMismatch { .. } => "organization_id_mismatch",
            Error::OrganizationNameInvalid { .. } => "organization_name_invalid",
            Error::OrganizationNameMismatch { .. } => "organization_name_mismatch",
            Error::OrganizationNotAllowed { .. } => "organization_not_allowed",
            Error::AuthorizedPartyInvalid { .. } => "authorized_party_invalid",
            Error::AuthorizedPartyMismatch { .. } => "authorized_party_mismatch",
            Error::AuthTimeInvalid { .. } => "auth_time_invalid",
            Error::AuthTimeTooOld { .. } => "auth_time_too_old",
            Error::TypeMismatch { .. } => "type_mismatch",
            Error::InvalidClaim { .. } => "invalid_claim",
            Error::InsufficientScope { .. } => "insufficient_scope",
            Error::ClaimsNotAnObject => "claims_not_an_object",
            Error::ClaimsDeserialize { .. } => "claims_deserialize",
            Error::Config { .. } => "config",
            #[cfg(feature = "blocking")]
            Error::Blocking(_) => "blocking",
        }
    }
}

impl Reason for LogoutTokenError {
    fn reason(&self) -> &'static str {
        match self {
            LogoutTokenError::Token(error) => error.reason(),
            LogoutTokenError::MissingIssuedAt => "missing_issued_at",
            LogoutTokenError::Stale => "stale",
            LogoutTokenError::IssuedInFuture => "issued_in_future",
            LogoutTokenError::NoSubjectOrSession => "no_subject_or_session",
            LogoutTokenError::MissingEvent => "missing_event",
            LogoutTokenError::NonceNotAllowed => "nonce_not_allowed",
            LogoutTokenError::MissingJti => "missing_jti",
            LogoutTokenError::Replayed => "replayed",
            LogoutTokenError::ReplayStore(_) => "replay_store",
        }
    }
}

impl Reason for DpopError {
    fn reason(&self) -> &'static str {
        match self {
            DpopError::Malformed(_) => "malformed",
            DpopError::WrongType => "wrong_type",
            DpopError::AlgorithmNotAllowed { .. } => "algorithm_not_allowed",
            DpopError::MissingJwk => "missing_jwk",
            DpopError::PrivateKey { .. } => "private_key",
            DpopError::InvalidJwk(_) => "invalid_jwk",
            DpopError::MalformedJwk(_) => "malformed_jwk",
            DpopError::InvalidSignature => "invalid_signature",
            DpopError::InvalidClaim { .. } => "invalid_claim",
            DpopError::MethodMismatch => "method_mismatch",
            DpopError::UriMismatch => "uri_mismatch",
            DpopError::RequestUri { .. } => "request_uri",
            DpopError::Stale => "stale",
            DpopError::IssuedInFuture => "issued_in_future",
            DpopError::UseNonce { .. } => "use_nonce",
            DpopError::MissingAth => "missing_ath",
            DpopError::AthMismatch => "ath_mismatch",
            DpopError::KeyMismatch => "key_mismatch",
            DpopError::Replayed => "replayed",
            DpopError::ReplayStore(_) => "replay_store",
        }
    }
}
