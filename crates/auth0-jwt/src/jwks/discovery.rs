//! OpenID Connect Discovery 1.0 as the way to the JWKS: `issuer` →
//! `{issuer}/.well-known/openid-configuration` → `jwks_uri`, with the issuer
//! check of §4.3 (the document's `issuer` must equal the configured issuer
//! exactly). The document is cached for the key set's TTL; the JWKS cache
//! around it (single flight, cooldowns, stale-if-error) is the usual one.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use http::{StatusCode, Uri};
use tokio::time::Instant;

use super::clock::MonotonicClock;
use super::error::JwksFetchError;
use super::fetch::{Fetch, FetchFuture};
use super::{ErasedClient, JwksBuildError, validate_url};

/// The discovery document's path under the issuer (OIDC Discovery §4).
pub const WELL_KNOWN_OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";

/// Why the discovery step of a JWKS fetch failed (the cause of
/// [`JwksFetchError::Discovery`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// The discovery endpoint answered with a status other than 2xx. Likely
    /// cause: a wrong issuer (404) or an outage (5xx).
    #[error("the OpenID configuration endpoint answered with HTTP {status}")]
    Status {
        /// The HTTP status.
        status: StatusCode,
    },
    /// The document is not a JSON object. Likely cause: the URL serves a web
    /// page (a proxy's error or login page).
    #[error("the OpenID configuration is not a JSON object")]
    Malformed,
    /// The document's `issuer` is not the configured issuer (OIDC Discovery
    /// §4.3: they must be identical). Likely cause: a trailing-slash
    /// difference in the configuration, or a document served for another
    /// issuer — its keys must not be trusted for this one.
    #[error("the OpenID configuration is for issuer \"{found}\", not \"{expected}\"")]
    IssuerMismatch {
        /// The configured issuer.
        expected: String,
        /// The document's `issuer` (truncated), or empty when absent.
        found: String,
    },
    /// The document has no `jwks_uri` string.
    #[error("the OpenID configuration has no jwks_uri")]
    MissingJwksUri,
    /// The document's `jwks_uri` is not an absolute `https` URL (plain
    /// `http` is accepted only for loopback hosts of a plain-`http` issuer,
    /// for local tests: an `https` issuer's keys never come over `http`).
    #[error("the OpenID configuration's jwks_uri is not usable: {0}")]
    InvalidJwksUri(JwksBuildError),
}

/// Where the JWKS URL was last found and when.
struct Found {
    jwks_uri: Uri,
    at: Instant,
}

/// A [`Fetch`] that finds the JWKS through discovery first.
pub(super) struct DiscoveryFetch {
    state: Arc<State>,
}

struct State {
    client: Arc<dyn ErasedClient>,
    issuer: String,
    discovery_uri: Uri,
    ttl: Duration,
    max_body_size: usize,
    clock: Arc<dyn MonotonicClock>,
    found: Mutex<Option<Found>>,
}

impl DiscoveryFetch {
    /// Checks `issuer` and builds the fetcher; returns it with the discovery
    /// URL.
    pub(super) fn new(
        client: Arc<dyn ErasedClient>,
        issuer: &str,
        ttl: Duration,
        max_body_size: usize,
        clock: Arc<dyn MonotonicClock>,
    ) -> Result<(Self, Uri), JwksBuildError> {
        if issuer.contains(['?', '#']) {
            return Err(JwksBuildError::InvalidUrl {
                url: issuer.to_owned(),
                reason: "an issuer has no query or fragment",
            });
        }
        let url = format!(
            "{}{WELL_KNOWN_OPENID_CONFIGURATION}",
            issuer.trim_end_matches('/')
        );
        // The issuer's scheme rules are the JWKS URL's: https, or http to a
        // loopback host.
        validate_url(issuer)?;
        let discovery_uri = validate_url(&url)?;
        let state = Arc::new(State {
            client,
            issuer: issuer.to_owned(),
            discovery_uri: discovery_uri.clone(),
            ttl,
            max_body_size,
            clock,
            found: Mutex::new(None),
        });
        Ok((Self { state }, discovery_uri))
    }
}

impl Fetch for DiscoveryFetch {
    fn fetch(&self) -> FetchFuture {
        let state = Arc::clone(&self.state);
        Box::pin(async move {
            let jwks_uri = state.jwks_uri().await?;
            state.client.get(jwks_uri, state.max_body_size).await
        })
    }
}

impl State {
    /// The JWKS URL: the one found less than a TTL ago, else discovered now.
    async fn jwks_uri(&self) -> Result<Uri, JwksFetchError> {
        let now = self.clock.now();
        {
            let found = self.found.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(found) = found.as_ref()
                && now.saturating_duration_since(found.at) < self.ttl
            {
                return Ok(found.jwks_uri.clone());
            }
        }
        let jwks_uri = self.discover().await?;
        let mut found = self.found.lock().unwrap_or_else(PoisonError::into_inner);
        *found = Some(Found {
            jwks_uri: jwks_uri.clone(),
            at: now,
        });
        Ok(jwks_uri)
    }

    async fn discover(&self) -> Result<Uri, JwksFetchError> {
        let response = self
            .client
            .get(self.discovery_uri.clone(), self.max_body_size)
            .await?;
        let status = response.status();
        if !status.is_success() {
            return Err(DiscoveryError::Status { status }.into());
        }
        let document: serde_json::Value =
            serde_json::from_slice(response.body()).map_err(|_| DiscoveryError::Malformed)?;
        let document = document.as_object().ok_or(DiscoveryError::Malformed)?;
        // §4.3: exactly the issuer we were configured with.
        let issuer = document.get("issuer").and_then(|v| v.as_str());
        if issuer != Some(self.issuer.as_str()) {
            return Err(DiscoveryError::IssuerMismatch {
                expected: self.issuer.clone(),
                found: issuer
                    .map(crate::claims::truncate_for_message)
                    .unwrap_or_default(),
            }
            .into());
        }
        let jwks_uri = document
            .get("jwks_uri")
            .and_then(|v| v.as_str())
            .ok_or(DiscoveryError::MissingJwksUri)?;
        let uri = validate_url(jwks_uri).map_err(DiscoveryError::InvalidJwksUri)?;
        // No downgrade: an https issuer's keys come over https, even from a
        // loopback host (plain http is for issuers that are plain http).
        if self.issuer.starts_with("https://") && uri.scheme_str() != Some("https") {
            return Err(DiscoveryError::InvalidJwksUri(JwksBuildError::InsecureUrl {
                url: crate::claims::truncate_for_message(jwks_uri),
            })
            .into());
        }
        Ok(uri)
    }
}

impl From<DiscoveryError> for JwksFetchError {
    fn from(error: DiscoveryError) -> Self {
        JwksFetchError::Discovery(error)
    }
}
