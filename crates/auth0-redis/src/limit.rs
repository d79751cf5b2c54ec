//! [`RedisRateLimiter`] and [`FleetRateLimitLayer`]: one rate budget for
//! the whole fleet, and a `429` seen by one instance paces them all.
//!
//! The budget is a GCRA (generic cell rate algorithm, ITU-T I.371 §4.4.2's
//! virtual scheduling) kept in Redis under `{prefix}:rate:{name}:gcra`: one
//! Lua script, atomic on the server and dated by Redis' own `TIME` (so the
//! instances' clocks do not matter), reserves the next slot and returns how
//! long to wait for it. A response that asks for a wait (`Retry-After`, RFC
//! 9110 §10.2.3, else `x-ratelimit-reset` with `x-ratelimit-remaining: 0`
//! or a `429`) is published under `{prefix}:rate:{name}:pause`, and the same
//! script makes every instance's next slot start after it.
//!
//! The `{name}` braces are a Redis Cluster hash tag: both keys live on one
//! shard, as a script needs.
//!
//! Redis down or slow: each instance paces itself with its local
//! [`RateLimiter`] (see [`Fleet`]).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use auth0_core::headers::RateLimitInfo;
use auth0_core::rate_limit::RateLimiter;
use auth0_core::types::BoxError;
use tower_layer::Layer;
use tower_service::Service;

use crate::error::FleetError;
use crate::fleet::{Fleet, FleetStatus};

/// Reserves the next slot; returns the wait in microseconds.
///
/// KEYS[1] the GCRA's theoretical arrival time (µs), KEYS[2] the published
/// pause end (µs); ARGV[1] the emission interval T (µs), ARGV[2] the burst
/// tolerance (burst − 1) × T (µs).
const ACQUIRE: &str = r"local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local base = now
local pause = tonumber(redis.call('GET', KEYS[2]) or '0')
if pause > base then base = pause end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < base then tat = base end
local at = tat - tolerance
if at < base then at = base end
local next = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', next), 'PX', math.ceil((next - now) / 1000) + 1000)
return math.floor(at - now)";

/// Raises the pause end to now + ARGV[1] µs (never lowers it).
const PAUSE: &str = r"local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local wait = tonumber(ARGV[1])
local target = now + wait
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if target > current then
  redis.call('SET', KEYS[1], string.format('%.0f', target), 'PX', math.ceil(wait / 1000) + 1)
  return 1
end
return 0";

/// The scripts, hashed once (EVALSHA, with EVAL when Redis lacks them).
static ACQUIRE_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(ACQUIRE));
static PAUSE_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(PAUSE));

/// A rate budget shared by every instance through Redis, with a local
/// [`RateLimiter`] for when Redis is unavailable. Cheap to clone.
///
/// ```no_run
/// use std::time::Duration;
/// use auth0_redis::{Fleet, RedisRateLimiter};
///
/// let fleet = Fleet::builder("redis://10.0.0.5:6379/").build()?;
/// // The tenant allows ~50 Management API requests per second: the fleet
/// // takes 40 of them together, in bursts of at most 5.
/// let limiter = RedisRateLimiter::builder(fleet, "tenant.eu.auth0.com")
///     .rate(40, Duration::from_secs(1))
///     .burst(5)
///     .build()?;
/// # Ok::<_, auth0_redis::FleetError>(())
/// ```
#[derive(Clone)]
pub struct RedisRateLimiter {
    inner: Arc<Inner>,
}

struct Inner {
    fleet: Fleet,
    gcra_key: String,
    pause_key: String,
    interval_us: u64,
    tolerance_us: u64,
    max_pause: Duration,
    local: RateLimiter,
}

impl fmt::Debug for RedisRateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRateLimiter")
            .field("key", &self.inner.gcra_key)
            .field("interval_us", &self.inner.interval_us)
            .field("tolerance_us", &self.inner.tolerance_us)
            .field("status", &self.inner.fleet.status())
            .finish_non_exhaustive()
    }
}

/// Settings of a [`RedisRateLimiter`]; see [`RedisRateLimiter::builder`].
#[derive(Debug)]
pub struct RedisRateLimiterBuilder {
    fleet: Fleet,
    name: String,
    requests: u32,
    per: Duration,
    burst: u32,
    max_pause: Duration,
    local: Option<RateLimiter>,
}

impl RedisRateLimiterBuilder {
    /// The fleet's budget: `requests` per `per` (default 10 per second).
    pub fn rate(mut self, requests: u32, per: Duration) -> Self {
        self.requests = requests;
        self.per = per;
        self
    }

    /// How many requests may go at once after a quiet spell (default 1).
    pub fn burst(mut self, burst: u32) -> Self {
        self.burst = burst;
        self
    }

    /// The longest wait a response may impose on the fleet (default 60 s):
    /// a longer `Retry-After` is published as this much.
    pub fn max_pause(mut self, max: Duration) -> Self {
        self.max_pause = max;
        self
    }

    /// The limiter each instance uses on its own while Redis is down
    /// (default: adaptive, at the fleet's rate and burst — give it this
    /// instance's share if the fleet is large).
    pub fn local(mut self, limiter: RateLimiter) -> Self {
        self.local = Some(limiter);
        self
    }

    /// Checks the settings.
    pub fn build(self) -> Result<RedisRateLimiter, FleetError> {
        if self.requests == 0 || self.per.is_zero() || self.burst == 0 {
            return Err(FleetError::ZeroRate);
        }
        if self.max_pause.is_zero() || self.max_pause >= Duration::from_secs(86_400) {
            return Err(FleetError::InvalidDuration { what: "max_pause" });
        }
        let per_us = u64::try_from(self.per.as_micros()).unwrap_or(u64::MAX);
        let interval_us = (per_us / u64::from(self.requests)).max(1);
        let tolerance_us = interval_us.saturating_mul(u64::from(self.burst) - 1);
        let local = match self.local {
            Some(l) => l,
            None => RateLimiter::builder()
                .rate(self.requests, self.per)
                .burst(self.burst)
                .adaptive(true)
                .build()
                .map_err(|_| FleetError::ZeroRate)?,
        };
        let mut tag = String::new();
        auth0_core::client::percent_encode_into(&mut tag, &self.name);
        let prefix = self.fleet.prefix().to_owned();
        Ok(RedisRateLimiter {
            inner: Arc::new(Inner {
                gcra_key: format!("{prefix}:rate:{{{tag}}}:gcra"),
                pause_key: format!("{prefix}:rate:{{{tag}}}:pause"),
                fleet: self.fleet,
                interval_us,
                tolerance_us,
                max_pause: self.max_pause,
                local,
            }),
        })
    }
}

impl RedisRateLimiter {
    /// A budget named `name` (the tenant's domain, usually: instances with
    /// the same name share it).
    pub fn builder(fleet: Fleet, name: impl Into<String>) -> RedisRateLimiterBuilder {
        RedisRateLimiterBuilder {
            fleet,
            name: name.into(),
            requests: 10,
            per: Duration::from_secs(1),
            burst: 1,
            max_pause: Duration::from_secs(60),
            local: None,
        }
    }

    /// Shared or local, as of the last Redis call.
    pub fn status(&self) -> FleetStatus {
        self.inner.fleet.status()
    }

    /// The local fallback limiter.
    pub fn local(&self) -> &RateLimiter {
        &self.inner.local
    }

    /// Waits for this instance's next slot in the fleet's budget (or the
    /// local limiter's, when Redis is unavailable). Dropping the future
    /// while it waits leaves the reserved slot unused.
    pub async fn acquire(&self) {
        let inner = &self.inner;
        let (gcra, pause) = (inner.gcra_key.as_str(), inner.pause_key.as_str());
        let (interval, tolerance) = (inner.interval_us, inner.tolerance_us);
        let wait: Option<i64> = inner
            .fleet
            .run("reserve rate slot", |mut c| async move {
                ACQUIRE_SCRIPT
                    .key(gcra)
                    .key(pause)
                    .arg(interval)
                    .arg(tolerance)
                    .invoke_async(&mut c)
                    .await
            })
            .await;
        match wait {
            Some(us) => {
                if let Ok(us @ 1..) = u64::try_from(us) {
                    tokio::time::sleep(Duration::from_micros(us)).await;
                }
            }
            None => inner.local.acquire().await,
        }
    }

    /// Learns from a response: the local limiter observes its
    /// `x-ratelimit-*` headers, and a wait it asks for (a `429`, or no
    /// requests remaining until the reset) is published to the fleet.
    pub async fn observe(&self, status: http::StatusCode, headers: &http::HeaderMap) {
        let inner = &self.inner;
        inner.local.observe(headers);
        let exhausted = RateLimitInfo::from_headers(headers).remaining == Some(0);
        if status != http::StatusCode::TOO_MANY_REQUESTS && !exhausted {
            return;
        }
        let Some(wait) = auth0_core::retry::server_requested_wait(headers, SystemTime::now())
        else {
            return;
        };
        let wait = wait.min(inner.max_pause);
        if wait.is_zero() {
            return;
        }
        let wait_us = u64::try_from(wait.as_micros()).unwrap_or(u64::MAX);
        let key = inner.pause_key.as_str();
        let published: Option<i64> = inner
            .fleet
            .run("publish pause", |mut c| async move {
                PAUSE_SCRIPT
                    .key(key)
                    .arg(wait_us)
                    .invoke_async(&mut c)
                    .await
            })
            .await;
        if published == Some(1) {
            tracing::debug!(
                target: "auth0_redis",
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "rate limit reached: the fleet waits until the reset"
            );
        }
    }
}

/// Paces a service with a [`RedisRateLimiter`]: the fleet's counterpart of
/// auth0-core's `RateLimitLayer`, with the same semantics (the wait is in
/// the response future, so an outer deadline covers it; every response is
/// observed). Put it where that layer goes — inside the retry layer, so
/// each attempt takes a slot and every `429` is seen; [`fleet_stack`]
/// does that.
///
/// [`fleet_stack`]: crate::fleet_stack
#[derive(Debug, Clone)]
pub struct FleetRateLimitLayer {
    limiter: RedisRateLimiter,
}

impl FleetRateLimitLayer {
    /// A layer pacing calls with `limiter`.
    pub fn new(limiter: RedisRateLimiter) -> Self {
        Self { limiter }
    }
}

impl<S> Layer<S> for FleetRateLimitLayer {
    type Service = FleetRateLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        FleetRateLimit {
            inner,
            limiter: self.limiter.clone(),
        }
    }
}

/// The service built by [`FleetRateLimitLayer`].
#[derive(Debug, Clone)]
pub struct FleetRateLimit<S> {
    inner: S,
    limiter: RedisRateLimiter,
}

impl<S, Req, B> Service<Req> for FleetRateLimit<S>
where
    S: Service<Req, Response = http::Response<B>> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    Req: Send + 'static,
    B: Send + 'static,
{
    type Response = http::Response<B>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<http::Response<B>, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        // Keep the instance that was driven to readiness for this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let limiter = self.limiter.clone();
        Box::pin(async move {
            limiter.acquire().await;
            let res = inner.call(req).await.map_err(Into::into)?;
            limiter.observe(res.status(), res.headers()).await;
            Ok(res)
        })
    }
}
