//! [`RemoteJwks`]: a JSON Web Key Set fetched over HTTP and cached, as a
//! [`KeySource`] for the verifiers (feature `remote`).
//!
//! Keys are fetched through an `auth0-core` [`Auth0Client`], so the client's
//! layers (retries, rate limits, timeouts, proxies, your own layers) apply to
//! JWKS fetches too. The cache:
//!
//! - keeps the parsed [`KeySet`] for a TTL (default 10 minutes) and answers
//!   from it without locks or I/O;
//! - refetches once the TTL has passed, and when a token names an unknown
//!   `kid` — at most once per cooldown (default 30 seconds), so tokens with
//!   made-up `kid`s cannot make it hammer the JWKS host;
//! - runs at most one fetch at a time; everyone who needs it waits for that
//!   one (and a caller that gives up does not cancel it for the others);
//! - bounds every fetch by a fetch timeout (default 5 seconds, on top of the
//!   client's own timeouts) and a body size limit (default 1 MiB);
//! - keeps serving the last good keys when a refresh fails (stale-if-error),
//!   logging a `tracing` warning, and backs off for the cooldown before the
//!   next attempt;
//! - can refresh ahead of expiry in a background task
//!   ([`RemoteJwksBuilder::background_refresh`]).
//!
//! # Example
//!
//! ```no_run
//! use auth0_core::client::Auth0Client;
//! use auth0_core::config::ClientConfig;
//! use auth0_jwt::alg::Algorithm;
//! use auth0_jwt::jwks::RemoteJwks;
//! use auth0_jwt::verifier::KeySource;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Auth0Client::new(ClientConfig::new("tenant.eu.auth0.com")?)?;
//! // https://tenant.eu.auth0.com/.well-known/jwks.json
//! let jwks = RemoteJwks::new(client)?;
//! let key = jwks.resolve_key(Some("key-id-from-the-token"), Algorithm::RS256).await?;
//! println!("found {:?}", key.kid());
//! # Ok(()) }
//! ```

mod clock;
mod error;
mod fetch;
mod store;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use auth0_core::client::Auth0Client;
use auth0_core::types::{HttpRequest, HttpService};
use bytes::Bytes;
use http::Uri;

pub use self::clock::{MonotonicClock, TokioClock};
pub use self::error::{JwksBuildError, JwksFetchError};

use self::fetch::{Fetch, FetchFuture};
use self::store::{Settings, Store};
use crate::alg::Algorithm;
use crate::key::{KeyFingerprint, KeySet, VerifyingKey};
use crate::verifier::{KeySource, ResolveKeyFuture};

/// The path of the JWKS on an Auth0 domain.
pub const WELL_KNOWN_JWKS_PATH: &str = "/.well-known/jwks.json";

/// Default time a fetched key set is used before it is refetched.
pub const DEFAULT_TTL: Duration = Duration::from_secs(600);
/// Default minimum time between two fetches caused by unknown `kid`s (and
/// between a failed fetch and the next attempt).
pub const DEFAULT_COOLDOWN: Duration = Duration::from_secs(30);
/// Default limit for one fetch, on top of the client's own timeouts.
pub const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Default maximum size of a JWKS response body (1 MiB).
pub const DEFAULT_MAX_BODY_SIZE: usize = 1024 * 1024;

/// A JSON Web Key Set fetched over HTTP and cached; implements
/// [`KeySource`].
///
/// Cheap to clone: clones share the cache and the single in-flight fetch.
/// Fetching needs a Tokio runtime (the fetch runs in its own task); without
/// one, lookups that need a fetch fail with [`JwksFetchError::NoRuntime`].
///
/// # Example
///
/// ```no_run
/// use std::time::Duration;
/// use auth0_core::client::Auth0Client;
/// use auth0_core::config::ClientConfig;
/// use auth0_jwt::jwks::RemoteJwks;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Auth0Client::new(ClientConfig::new("tenant.eu.auth0.com")?)?;
/// let jwks = RemoteJwks::builder(client)
///     .url("https://tenant.eu.auth0.com/.well-known/jwks.json")
///     .ttl(Duration::from_secs(300))
///     .unknown_kid_cooldown(Duration::from_secs(60))
///     .background_refresh(true)
///     .build()?;
/// // Fetch once at startup so the first request does not wait.
/// jwks.refresh().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RemoteJwks {
    store: Arc<Store>,
}

impl RemoteJwks {
    /// A cache of `https://{domain}/.well-known/jwks.json` for the client's
    /// domain, with default settings.
    ///
    /// # Errors
    ///
    /// See [`RemoteJwksBuilder::build`].
    ///
    /// # Example
    ///
    /// ```no_run
    /// # use auth0_core::{client::Auth0Client, config::ClientConfig};
    /// # use auth0_jwt::jwks::RemoteJwks;
    /// # fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = Auth0Client::new(ClientConfig::new("tenant.eu.auth0.com")?)?;
    /// let jwks = RemoteJwks::new(client)?;
    /// assert_eq!(jwks.url(), "https://tenant.eu.auth0.com/.well-known/jwks.json");
    /// # Ok(()) }
    /// ```
    pub fn new<S>(client: Auth0Client<S>) -> Result<Self, JwksBuildError>
    where
        S: HttpService + Sync,
    {
        Self::builder(client).build()
    }

    /// A cache of the JWKS at `url` (absolute `https://` URL; plain
    /// `http://` only for loopback hosts), with default settings.
    ///
    /// # Errors
    ///
    /// See [`RemoteJwksBuilder::build`].
    ///
    /// # Example
    ///
    /// ```no_run
    /// # use auth0_core::{client::Auth0Client, config::ClientConfig};
    /// # use auth0_jwt::jwks::RemoteJwks;
    /// # fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = Auth0Client::new(ClientConfig::new("tenant.eu.auth0.com")?)?;
    /// let jwks = RemoteJwks::with_url(client, "https://login.example.com/keys.json")?;
    /// # Ok(()) }
    /// ```
    pub fn with_url<S>(client: Auth0Client<S>, url: &str) -> Result<Self, JwksBuildError>
    where
        S: HttpService + Sync,
    {
        Self::builder(client).url(url).build()
    }

    /// Starts a builder. The URL defaults to the client domain's
    /// `/.well-known/jwks.json`; see [`RemoteJwksBuilder::url`].
    pub fn builder<S>(client: Auth0Client<S>) -> RemoteJwksBuilder
    where
        S: HttpService + Sync,
    {
        let domain_url =
            client
                .domain()
                .url(WELL_KNOWN_JWKS_PATH)
                .map_err(|_| JwksBuildError::InvalidUrl {
                    url: format!("{}{WELL_KNOWN_JWKS_PATH}", client.domain().base_url()),
                    reason: "the client's domain does not form a valid JWKS URL",
                });
        RemoteJwksBuilder {
            client: Arc::new(ClientHandle(client)),
            url: UrlChoice::Domain(domain_url),
            ttl: DEFAULT_TTL,
            cooldown: DEFAULT_COOLDOWN,
            fetch_timeout: DEFAULT_FETCH_TIMEOUT,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            background_refresh: false,
            clock: Arc::new(TokioClock),
        }
    }

    /// The JWKS URL.
    pub fn url(&self) -> &str {
        self.store.url()
    }

    /// The configured TTL.
    pub fn ttl(&self) -> Duration {
        self.store.settings().ttl
    }

    /// The current key set (fresh or stale), or `None` before the first
    /// successful fetch. No I/O.
    pub fn keys(&self) -> Option<Arc<KeySet>> {
        self.store.keys()
    }

    /// Fetches the key set now, or waits for the fetch already running.
    /// Ignores TTL and cooldown; use it to warm the cache at startup.
    ///
    /// # Errors
    ///
    /// The [`JwksFetchError`] of the fetch; the previous keys (if any) are
    /// kept.
    pub async fn refresh(&self) -> Result<(), JwksFetchError> {
        self.store.refresh().await
    }
}

impl KeySource for RemoteJwks {
    fn cached_key(&self, kid: Option<&str>, alg: Algorithm) -> Option<Arc<VerifyingKey>> {
        self.store.cached_key(kid, alg)
    }

    fn resolve_key<'a>(&'a self, kid: Option<&'a str>, alg: Algorithm) -> ResolveKeyFuture<'a> {
        Box::pin(self.store.resolve(kid, alg))
    }

    fn version(&self) -> u64 {
        self.store.version()
    }

    fn contains(&self, fp: &KeyFingerprint) -> bool {
        self.store.contains(fp)
    }
}

impl fmt::Debug for RemoteJwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let settings = self.store.settings();
        f.debug_struct("RemoteJwks")
            .field("url", &self.url())
            .field("keys", &self.keys().map_or(0, |k| k.len()))
            .field("version", &self.store.version())
            .field("ttl", &settings.ttl)
            .field("cooldown", &settings.cooldown)
            .field("fetch_timeout", &settings.fetch_timeout)
            .field("max_body_size", &settings.max_body_size)
            .finish()
    }
}

/// Where the JWKS URL comes from.
enum UrlChoice {
    /// Derived from the client's domain (already validated by auth0-core).
    Domain(Result<Uri, JwksBuildError>),
    /// Given explicitly; validated by `build()`.
    Explicit(String),
}

/// Builds a [`RemoteJwks`]; from [`RemoteJwks::builder`].
///
/// # Example
///
/// ```no_run
/// use std::time::Duration;
/// # use auth0_core::{client::Auth0Client, config::ClientConfig};
/// use auth0_jwt::jwks::RemoteJwks;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let client = Auth0Client::new(ClientConfig::new("tenant.eu.auth0.com")?)?;
/// let jwks = RemoteJwks::builder(client)
///     .ttl(Duration::from_secs(600))
///     .unknown_kid_cooldown(Duration::from_secs(30))
///     .fetch_timeout(Duration::from_secs(2))
///     .max_body_size(256 * 1024)
///     .background_refresh(true)
///     .build()?;
/// # Ok(()) }
/// ```
#[must_use = "a builder does nothing until `build()` is called"]
pub struct RemoteJwksBuilder {
    client: Arc<dyn ErasedClient>,
    url: UrlChoice,
    ttl: Duration,
    cooldown: Duration,
    fetch_timeout: Duration,
    max_body_size: usize,
    background_refresh: bool,
    clock: Arc<dyn MonotonicClock>,
}

impl RemoteJwksBuilder {
    /// Fetches from `url` instead of the client domain's
    /// `/.well-known/jwks.json`. Must be an absolute `https://` URL; plain
    /// `http://` is accepted only for loopback hosts (local tests).
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = UrlChoice::Explicit(url.into());
        self
    }

    /// How long a fetched key set is used before a lookup refetches it
    /// (default 10 minutes). Must be greater than zero.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Minimum time between two fetches caused by unknown `kid`s, counted
    /// from the last fetch of any kind (default 30 seconds). After a failed
    /// fetch, no new fetch starts (except [`RemoteJwks::refresh`]) before the
    /// same time has passed. Zero allows a fetch for every miss (still one
    /// at a time).
    pub fn unknown_kid_cooldown(mut self, cooldown: Duration) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// Limit for one fetch, on top of the client's own timeouts (default 5
    /// seconds): a slow JWKS host fails the fetch with
    /// [`JwksFetchError::TimedOut`] instead of holding up verifications.
    /// Must be greater than zero.
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.fetch_timeout = timeout;
        self
    }

    /// Largest accepted JWKS body, in bytes (default 1 MiB). The client's
    /// own response cap applies as well. Must be greater than zero.
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// Refresh in a background task (default off): the first fetch starts at
    /// once, then the set is refetched at three quarters of the TTL, so
    /// verifications rarely wait for a fetch. Failed refreshes are retried
    /// after the cooldown. The task stops when the last clone of the
    /// [`RemoteJwks`] is dropped. Needs a Tokio runtime when `build()` runs.
    pub fn background_refresh(mut self, enabled: bool) -> Self {
        self.background_refresh = enabled;
        self
    }

    /// The clock the TTL and cooldown are measured against (default
    /// [`TokioClock`], which follows a paused Tokio clock).
    pub fn clock(mut self, clock: impl MonotonicClock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Builds the cache. Nothing is fetched until a lookup, a
    /// [`RemoteJwks::refresh`] or the background task needs it.
    ///
    /// # Errors
    ///
    /// [`JwksBuildError::InvalidUrl`] / [`JwksBuildError::InsecureUrl`] for a
    /// bad URL, [`JwksBuildError::ZeroSetting`] for a zero TTL, fetch timeout
    /// or body size, [`JwksBuildError::NoRuntime`] for background refresh
    /// outside a Tokio runtime.
    pub fn build(self) -> Result<RemoteJwks, JwksBuildError> {
        let uri = match self.url {
            UrlChoice::Domain(uri) => uri?,
            UrlChoice::Explicit(url) => validate_url(&url)?,
        };
        for (setting, zero) in [
            ("ttl", self.ttl.is_zero()),
            ("fetch_timeout", self.fetch_timeout.is_zero()),
            ("max_body_size", self.max_body_size == 0),
        ] {
            if zero {
                return Err(JwksBuildError::ZeroSetting { setting });
            }
        }
        let background = if self.background_refresh {
            Some(tokio::runtime::Handle::try_current().map_err(|_| JwksBuildError::NoRuntime)?)
        } else {
            None
        };
        let settings = Settings {
            ttl: self.ttl,
            cooldown: self.cooldown,
            fetch_timeout: self.fetch_timeout,
            max_body_size: self.max_body_size,
        };
        let url = uri.to_string();
        let fetcher = Box::new(ClientFetch {
            client: self.client,
            uri,
        });
        Ok(RemoteJwks {
            store: Store::new(url, fetcher, settings, self.clock, background),
        })
    }
}

impl fmt::Debug for RemoteJwksBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = match &self.url {
            UrlChoice::Domain(Ok(uri)) => uri.to_string(),
            UrlChoice::Domain(Err(_)) => String::from("<invalid domain URL>"),
            UrlChoice::Explicit(url) => url.clone(),
        };
        f.debug_struct("RemoteJwksBuilder")
            .field("url", &url)
            .field("ttl", &self.ttl)
            .field("cooldown", &self.cooldown)
            .field("fetch_timeout", &self.fetch_timeout)
            .field("max_body_size", &self.max_body_size)
            .field("background_refresh", &self.background_refresh)
            .finish_non_exhaustive()
    }
}

/// Checks an explicit JWKS URL: absolute, `https`, or `http` to loopback.
fn validate_url(url: &str) -> Result<Uri, JwksBuildError> {
    let invalid = |reason| JwksBuildError::InvalidUrl {
        url: url.to_owned(),
        reason,
    };
    let uri: Uri = url.parse().map_err(|_| invalid("not a URL"))?;
    let host = uri
        .host()
        .ok_or_else(|| invalid("not an absolute URL (no host)"))?;
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err(invalid("credentials in the URL are not supported"));
    }
    match uri.scheme_str() {
        Some("https") => Ok(uri),
        Some("http") if is_loopback(host) => Ok(uri),
        Some("http") => Err(JwksBuildError::InsecureUrl {
            url: url.to_owned(),
        }),
        Some(_) => Err(invalid("the scheme must be https")),
        None => Err(invalid("not an absolute URL (no scheme)")),
    }
}

/// `localhost`, `*.localhost`, 127.0.0.0/8 and `::1`.
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost") {
        return true;
    }
    host.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// The client with its service type erased, so neither the builder nor the
/// cache is generic over it.
trait ErasedClient: Send + Sync + 'static {
    fn get(&self, uri: Uri) -> FetchFuture;
}

struct ClientHandle<S>(Auth0Client<S>);

impl<S> ErasedClient for ClientHandle<S>
where
    S: HttpService + Sync,
{
    fn get(&self, uri: Uri) -> FetchFuture {
        let client = self.0.clone();
        Box::pin(async move {
            let mut request = HttpRequest::new(Bytes::new());
            *request.uri_mut() = uri;
            request.headers_mut().insert(
                http::header::ACCEPT,
                http::HeaderValue::from_static("application/json, application/jwk-set+json"),
            );
            client
                .send(request)
                .await
                .map_err(|e| JwksFetchError::Transport {
                    source: Arc::new(e),
                })
        })
    }
}

/// GETs one fixed JWKS URL through the client.
struct ClientFetch {
    client: Arc<dyn ErasedClient>,
    uri: Uri,
}

impl Fetch for ClientFetch {
    fn fetch(&self) -> FetchFuture {
        self.client.get(self.uri.clone())
    }
}

#[cfg(test)]
mod tests;
