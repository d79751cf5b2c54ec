//! [`JwksStatus`]: the health of a [`RemoteJwks`](super::RemoteJwks) cache,
//! for metrics, health checks and alerts.

use std::time::Duration;

use super::error::JwksFetchError;

/// What [`RemoteJwks::status`](super::RemoteJwks::status) reports.
///
/// `stale` turns true when the key set outlives its TTL because refreshes
/// fail (each failure is also a `tracing` warning); `usable` turns false when
/// it has also outlived the stale-if-error window, and every token is then
/// refused until a fetch succeeds.
///
/// # Example
///
/// ```no_run
/// # use auth0_jwt::jwks::RemoteJwks;
/// # fn f(jwks: &RemoteJwks) {
/// let status = jwks.status();
/// let healthy = status.usable && !status.stale;
/// println!(
///     "jwks keys={} version={} age={:?} failures={} healthy={healthy}",
///     status.keys, status.version, status.age, status.consecutive_failures
/// );
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct JwksStatus {
    /// Keys in the current set (0 before the first successful fetch).
    pub keys: usize,
    /// The key-set version ([`KeySource::version`](crate::verifier::KeySource::version)).
    pub version: u64,
    /// Time since the current set was fetched; `None` before the first
    /// successful fetch.
    pub age: Option<Duration>,
    /// The current set is older than the TTL: it is served only because
    /// refreshing it failed (stale-if-error), or a refresh is about to run.
    pub stale: bool,
    /// The current set may still verify tokens: it is younger than TTL +
    /// stale-if-error. False before the first fetch.
    pub usable: bool,
    /// Failed fetches since the last successful one.
    pub consecutive_failures: u32,
    /// Why the last fetch failed, if it did.
    pub last_error: Option<JwksFetchError>,
    /// Time since the last fetch attempt finished; `None` before the first.
    pub since_last_attempt: Option<Duration>,
}
