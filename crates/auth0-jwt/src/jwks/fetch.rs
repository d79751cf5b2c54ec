//! One JWKS fetch: the HTTP GET through an `auth0-core` client (behind the
//! object-safe [`Fetch`] trait, so the cache is not generic over the
//! client's service) and the checks that turn a response into a [`KeySet`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use auth0_core::types::HttpResponse;

use super::error::JwksFetchError;
use crate::jwk::{JwkSet, SkippedKey};
use crate::key::KeySet;

/// The future of one fetch; `'static` so it can run in its own task.
pub(crate) type FetchFuture =
    Pin<Box<dyn Future<Output = Result<HttpResponse, JwksFetchError>> + Send + 'static>>;

/// Something that can GET the JWKS document once.
pub(crate) trait Fetch: Send + Sync + 'static {
    /// Starts one GET of the JWKS URL.
    fn fetch(&self) -> FetchFuture;
}

/// Checks a JWKS response and parses its keys.
///
/// Non-2xx statuses, bodies over `max_body_size`, bodies that are not a JWK
/// Set (HTML pages, other JSON) and sets without a single usable key are
/// typed errors.
pub(crate) fn parse_response(
    response: HttpResponse,
    max_body_size: usize,
) -> Result<Fetched, JwksFetchError> {
    let status = response.status();
    if !status.is_success() {
        let source = (status.as_u16() >= 400)
            .then(|| Arc::new(auth0_core::error::Error::from_response(&response)));
        return Err(JwksFetchError::Status { status, source });
    }
    let body = response.body();
    if body.len() > max_body_size {
        return Err(JwksFetchError::BodyTooLarge {
            limit: max_body_size,
            size: Some(body.len()),
        });
    }
    let content_type = || {
        response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let jwks = JwkSet::from_json(body).map_err(|e| JwksFetchError::malformed(content_type(), e))?;
    let keys = KeySet::from_jwks(&jwks);
    if keys.is_empty() {
        return Err(JwksFetchError::NoUsableKeys {
            listed: jwks.skipped().len(),
        });
    }
    Ok(Fetched {
        keys,
        skipped: jwks.skipped().to_vec(),
    })
}

/// A parsed key set, with the keys that could not be used.
pub(crate) struct Fetched {
    pub(crate) keys: KeySet,
    pub(crate) skipped: Vec<SkippedKey>,
}
