//! [`RemoteJwks`]: a JSON Web Key Set fetched over HTTP and cached, as a
//! [`KeySource`] for the verifiers (feature `remote`).
//!
//! Keys are fetched through an `auth0-core` [`Auth0Client`], so the client's
//! layers (retries, rate limits, timeouts, proxies, your own layers) apply to
//! JWKS fetches too. The cache:
//!
//! - keeps the parsed [`KeySet`] for a TTL (default 10 minutes) and answers
//!   from it without locks or I/O (one clock read and one atomic load per
//!   verification decide whether the set is still current);
//! - once the TTL has passed, accepts no token with the old set before a
//!   refresh has been attempted: the next verification fetches (single
//!   flight) and waits for the result, also for a `kid` the old set knows;
//!   a key the tenant removed stops verifying within TTL + one fetch, and
//!   tokens it signed leave the validators' verified-token caches;
//! - refetches when a token names an unknown `kid` — at most once per
//!   cooldown (default 30 seconds), so tokens with made-up `kid`s cannot
//!   make it hammer the JWKS host;
//! - never matches a token without `kid` to a fetched key (OIDC Core 1.0
//!   §10.1; Auth0 always sets `kid`); use [`StaticKeys`](crate::verifier::StaticKeys)
//!   for a key you configure yourself;
//! - runs at most one fetch at a time; everyone who needs it waits for that
//!   one (and a caller that gives up does not cancel it for the others);
//! - bounds every fetch by a fetch timeout (default 5 seconds, on top of the
//!   client's own timeouts) and a body size limit (default 1 MiB);
//! - keeps serving the last good keys when a refresh fails (stale-if-error),
//!   logging a `tracing` warning per failed fetch and retrying once per
//!   cooldown, but only up to [`RemoteJwksBuilder::stale_if_error`] past the
//!   TTL (default 1 hour); after that every token is refused with
//!   [`KeySourceError::Fetch`](crate::verifier::KeySourceError::Fetch) (503
//!   from the gateway layer) until a fetch succeeds. [`RemoteJwks::status`]
//!   shows the age, staleness and last error;
//! - can refresh ahead of expiry in a background task
//!   ([`RemoteJwksBuilder::background_refresh`], off by default: see there).
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
mod discovery;
mod error;
mod fetch;
mod status;
mod store;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use auth0_core::client::Auth0Client;
use auth0_core::transport::BodyLimit;
use auth0_core::types::{HttpRequest, HttpService};
use bytes::Bytes;
use http::Uri;

pub use self::clock::{MonotonicClock, TokioClock};
pub use self::discovery::{DiscoveryError, WELL_KNOWN_OPENID_CONFIGURATION};
pub use self::error::{JwksBuildError, JwksFetchError};
pub use self::status::JwksStatus;

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
/// Default time past its TTL a key set is still served while every refresh
/// fails (stale-if-error, as RFC 5861 §4 names it for HTTP caches).
pub const DEFAULT_STALE_IF_ERROR: Duration = Duration::from_secs(3600);

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

    /// A cache of the JWKS of `issuer`, found through OpenID Connect
    /// Discovery: `{issuer}/.well-known/openid-configuration` names the
    /// `jwks_uri`, and the document's `issuer` must equal `issuer` exactly
    /// (OIDC Discovery §4.3) or nothing is fetched from it
    /// ([`DiscoveryError::IssuerMismatch`]). The document is cached for the
    /// key set's TTL. Default settings; see [`RemoteJwksBuilder::discover`].
    ///
    /// # Errors
    ///
    /// [`JwksBuildError::InvalidUrl`] / [`JwksBuildError::InsecureUrl`] for
    /// an issuer that is not an absolute `https` URL (plain `http` only for
    /// loopback hosts).
    ///
    /// # Example
    ///
    /// ```no_run
    /// # use auth0_core::{client::Auth0Client, config::ClientConfig};
    /// use auth0_jwt::issuers::Issuers;
    /// use auth0_jwt::jwks::RemoteJwks;
    /// # fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = Auth0Client::new(ClientConfig::new("tenant.eu.auth0.com")?)?;
    /// // One tenant behind two custom domains: each issuer gets its own cache.
    /// let issuers = Issuers::new()
    ///     .issuer("https://login.a.com/", RemoteJwks::discover(client.clone(), "https://login.a.com/")?)
    ///     .issuer("https://login.b.com/", RemoteJwks::discover(client, "https://login.b.com/")?);
    /// # let _ = issuers;
    /// # Ok(()) }
    /// ```
    pub fn discover<S>(client: Auth0Client<S>, issuer: &str) -> Result<Self, JwksBuildError>
    where
        S: HttpService + Sync,
    {
        Self::builder(client).discover(issuer).build()
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
            stale_if_error: DEFAULT_STALE_IF_ERROR,
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

    /// The cache's health, for metrics and health checks: key count and
    /// version, the set's age, whether it is past its TTL (`stale`) and still
    /// served (`usable`), and the last fetch error. Takes a small lock; not
    /// meant for every request.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # use auth0_core::{client::Auth0Client, config::ClientConfig};
    /// # use auth0_jwt::jwks::RemoteJwks;
    /// # fn f(jwks: &RemoteJwks) {
    /// let status = jwks.status();
    /// if status.stale {
    ///     eprintln!(
    ///         "JWKS {} is {:?} old, {} failed refreshes: {:?}",
    ///         jwks.url(),
    ///         status.age,
    ///         status.consecutive_failures,
    ///         status.last_error
    ///     );
    /// }
    /// # }
    /// ```
    pub fn status(&self) -> JwksStatus {
        self.store.status()
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

    fn is_current(&self) -> bool {
        self.store.is_current()
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
            .field("stale_if_error", &settings.stale_if_error)
            .finish()
    }
}

/// Where the JWKS URL comes from.
enum UrlChoice {
    /// Derived from the client's domain (already validated by auth0-core).
    Domain(Result<Uri, JwksBuildError>),
    /// Given explicitly; validated by `build()`.
    Explicit(String),
    /// Found through the discovery document of this issuer.
    Discover(String),
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
    stale_if_error: Duration,
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

    /// Finds the JWKS through `issuer`'s OpenID Connect discovery document
    /// instead of a fixed URL; see [`RemoteJwks::discover`]. The document is
    /// fetched again once it is older than the [`ttl`](Self::ttl), before
    /// the key set it leads to.
    pub fn discover(mut self, issuer: impl Into<String>) -> Self {
        self.url = UrlChoice::Discover(issuer.into());
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
    /// same time has passed. Must be greater than zero: without it every
    /// token with a made-up `kid` would cost a request to the tenant.
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

    /// Largest accepted JWKS body, in bytes (default 1 MiB). The transport
    /// stops reading once the body passes it (the request carries it as an
    /// [`auth0_core::transport::BodyLimit`]); the client's own response cap
    /// applies as well. Must be greater than zero.
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// How long past the TTL the last good key set is still served while
    /// every refresh fails (default [`DEFAULT_STALE_IF_ERROR`], 1 hour).
    ///
    /// Within this window a tenant outage does not take the API down: the
    /// old keys keep verifying, a refresh is retried once per cooldown and
    /// each failure logs a `tracing` warning ([`RemoteJwks::status`] shows
    /// it too). After it, tokens are refused with
    /// [`KeySourceError::Fetch`](crate::verifier::KeySourceError::Fetch)
    /// until a fetch succeeds: a key the tenant revoked is trusted at most
    /// TTL + this long after the last successful fetch. Zero serves nothing
    /// stale: every token is refused as soon as a refresh after the TTL fails.
    pub fn stale_if_error(mut self, window: Duration) -> Self {
        self.stale_if_error = window;
        self
    }

    /// Refresh in a background task (default off): the first fetch starts at
    /// once, then the set is refetched at three quarters of the TTL, so
    /// verifications rarely wait for a fetch. Failed refreshes are retried
    /// after the cooldown. The task stops when the last clone of the
    /// [`RemoteJwks`] is dropped. Needs a Tokio runtime when `build()` runs.
    ///
    /// Why it is off by default, even inside a runtime: freshness does not
    /// depend on it (a set past its TTL never accepts a token without a
    /// refresh attempt, background task or not), so it only moves the fetch
    /// latency off the request that finds the set expired. Turning it on
    /// silently would tie a task to whichever runtime happens to run
    /// `build()` (a test's paused-clock runtime, a short-lived runtime in a
    /// CLI), make `build()` start network traffic, and keep fetching while no
    /// token arrives. A long-running gateway should turn it on.
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
        for (setting, zero) in [
            ("ttl", self.ttl.is_zero()),
            ("unknown_kid_cooldown", self.cooldown.is_zero()),
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
            stale_if_error: self.stale_if_error,
        };
        let fixed = |uri: Uri| -> (String, Box<dyn Fetch>) {
            (
                uri.to_string(),
                Box::new(ClientFetch {
                    client: Arc::clone(&self.client),
                    uri,
                    max_body_size: self.max_body_size,
                }),
            )
        };
        let (url, fetcher) = match self.url {
            UrlChoice::Domain(uri) => fixed(uri?),
            UrlChoice::Explicit(ref url) => fixed(validate_url(url)?),
            UrlChoice::Discover(ref issuer) => {
                let (fetch, uri) = discovery::DiscoveryFetch::new(
                    Arc::clone(&self.client),
                    issuer,
                    self.ttl,
                    self.max_body_size,
                    Arc::clone(&self.clock),
                )?;
                (uri.to_string(), Box::new(fetch) as Box<dyn Fetch>)
            }
        };
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
            UrlChoice::Discover(issuer) => format!("{issuer} (discovery)"),
        };
        f.debug_struct("RemoteJwksBuilder")
            .field("url", &url)
            .field("ttl", &self.ttl)
            .field("cooldown", &self.cooldown)
            .field("fetch_timeout", &self.fetch_timeout)
            .field("max_body_size", &self.max_body_size)
            .field("stale_if_error", &self.stale_if_error)
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
    fn get(&self, uri: Uri, max_body_size: usize) -> FetchFuture;
}

struct ClientHandle<S>(Auth0Client<S>);

/// The `auth0.request` span's operation of a key-set request: the
/// discovery document, or the JWKS (Auth0's path, else the template
/// `{jwks_path}`: a configured path is not `'static`, and a span names
/// templates, never the paths themselves).
fn operation(path: &str) -> auth0_core::trace::Operation {
    use auth0_core::trace::Operation;
    const AUTH0_JWKS_PATH: &str = "/.well-known/jwks.json";
    if path.ends_with(discovery::WELL_KNOWN_OPENID_CONFIGURATION) {
        Operation::new(
            "openid_configuration",
            discovery::WELL_KNOWN_OPENID_CONFIGURATION,
        )
    } else if path == AUTH0_JWKS_PATH {
        Operation::new("jwks", AUTH0_JWKS_PATH)
    } else {
        Operation::new("jwks", "{jwks_path}")
    }
}

impl<S> ErasedClient for ClientHandle<S>
where
    S: HttpService + Sync,
{
    fn get(&self, uri: Uri, max_body_size: usize) -> FetchFuture {
        let client = self.0.clone();
        Box::pin(async move {
            let mut request = HttpRequest::new(Bytes::new());
            *request.uri_mut() = uri;
            // The transport stops reading past the JWKS limit instead of
            // buffering up to the client's general cap first.
            request.extensions_mut().insert(BodyLimit(max_body_size));
            let operation = operation(request.uri().path());
            request.extensions_mut().insert(operation);
            request.headers_mut().insert(
                http::header::ACCEPT,
                http::HeaderValue::from_static("application/json, application/jwk-set+json"),
            );
            client.send(request).await.map_err(|e| match e {
                // Cut off by the transport: at the JWKS limit, or at the
                // client's own cap when that is lower.
                auth0_core::error::Error::BodyTooLarge { limit } => {
                    JwksFetchError::BodyTooLarge { limit, size: None }
                }
                e => JwksFetchError::Transport {
                    source: Arc::new(e),
                },
            })
        })
    }
}

/// GETs one fixed JWKS URL through the client.
struct ClientFetch {
    client: Arc<dyn ErasedClient>,
    uri: Uri,
    max_body_size: usize,
}

impl Fetch for ClientFetch {
    fn fetch(&self) -> FetchFuture {
        self.client.get(self.uri.clone(), self.max_body_size)
    }
}

#[cfg(test)]
mod tests;
