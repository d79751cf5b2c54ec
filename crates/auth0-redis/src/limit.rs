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
//! script makes every instance's next slot start after it. A moment the
//! tenant names (`x-ratelimit-reset`, an HTTP-date `Retry-After`) goes to
//! Redis as that moment and is compared with Redis' `TIME` there, as the
//! window's reset is: no instance's clock enters the pause.
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
use std::time::{Duration, UNIX_EPOCH};

use auth0_core::headers::RateLimitInfo;
use auth0_core::rate_limit::RateLimiter;
use auth0_core::types::BoxError;
use tower_layer::Layer;
use tower_service::Service;

use crate::error::FleetError;
use crate::fleet::{Fleet, FleetStatus};

/// The Lua function both [`ACQUIRE`] and [`PROCEED`] renew a window with:
/// a window whose reset has passed starts again full (a fixed window
/// renews, a bucket is full by its reset), less the requests in flight, and
/// the request that renews it spends one of them; `false` when the window
/// was never known or the requests in flight fill it.
macro_rules! renew_window {
    () => {
        r"local function renew(key, now, period, limit, inflight)
  local fresh = limit - inflight
  if limit <= 0 or fresh <= 0 then return false end
  redis.call('HSET', key, 'remaining', fresh - 1, 'reset', string.format('%.0f', now + period), 'guess', 1, 'drained', 0)
  redis.call('PEXPIRE', key, math.ceil(period / 1000) + 60000)
  return true
end
"
    };
}

/// Reserves the next slot; returns the wait in microseconds (0: go now).
///
/// KEYS[1] the GCRA's theoretical arrival time (µs), KEYS[2] the published
/// pause end (µs), KEYS[3] the tenant's window as the fleet knows it (a hash:
/// `limit`, `remaining`, `reset` in µs, `guess` = 1 while no answer from
/// that window has been seen, `drained` = when its last request went,
/// `inflight` = requests sent and not yet answered); ARGV[1] the emission
/// interval T (µs), ARGV[2] the burst tolerance (burst − 1) × T (µs),
/// ARGV[3] the length of a window the fleet starts on its own (µs), ARGV[4]
/// the grace (µs) the answers to a window's last requests get before the
/// fleet paces on.
///
/// While no pause is published: a request goes at once if the tenant's
/// window still has requests the fleet has not spent (`remaining` > 0), and
/// a window whose reset has passed starts again full, less what is in
/// flight (a fixed window renews, a bucket is full by its reset); otherwise,
/// or with no window known, the GCRA reserves it a slot, and [`PROCEED`]
/// decides when the slot comes. Right after the fleet spends a window's last
/// request, it waits (up to the grace) for the answers: a fixed window's
/// last answer says `remaining: 0` and publishes a pause until the reset, so
/// no request is sent into a closed window; a bucket's answers show it
/// refilling, and the GCRA paces the fleet at the refill rate.
///
/// 0 means "go now" (counted in flight); w > 0 "your slot is in w µs";
/// −w "nothing reserved: ask again in w µs".
const ACQUIRE: &str = concat!(
    renew_window!(),
    r"local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local grace = tonumber(ARGV[4])
local pause = tonumber(redis.call('GET', KEYS[2]) or '0')
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local function go()
  redis.call('HINCRBY', KEYS[3], 'inflight', 1)
  -- What the credits send counts as sent now: no burst on top of them.
  if tat < now + tolerance then
    local next = now + tolerance
    redis.call('SET', KEYS[1], string.format('%.0f', next), 'PX', math.ceil((next - now) / 1000) + 1000)
  end
  return 0
end
if pause <= now then
  local w = redis.call('HMGET', KEYS[3], 'limit', 'remaining', 'reset', 'drained', 'inflight')
  local limit = tonumber(w[1]) or 0
  local remaining = tonumber(w[2]) or 0
  local reset = tonumber(w[3]) or 0
  local drained = tonumber(w[4]) or 0
  local inflight = tonumber(w[5]) or 0
  if reset > now then
    if remaining > 0 then
      redis.call('HINCRBY', KEYS[3], 'remaining', -1)
      if remaining == 1 then redis.call('HSET', KEYS[3], 'drained', string.format('%.0f', now)) end
      return go()
    end
    if now < drained + grace then return -math.max(1, math.floor((drained + grace - now) / 4)) end
  elseif renew(KEYS[3], now, period, limit, inflight) then
    return go()
  end
end
local base = now
if pause > base then base = pause end
if tat < base then tat = base end
local at = tat - tolerance
if at < base then at = base end
local next = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', next), 'PX', math.ceil((next - now) / 1000) + 1000)
local wait = math.floor(at - now)
if wait <= 0 then
  redis.call('HINCRBY', KEYS[3], 'inflight', 1)
  return 0
end
return wait"
);

/// A request waiting for its GCRA slot: may it go? KEYS[1] the pause end,
/// KEYS[2] the window hash; ARGV[1] 1 when its slot has come, 0 while it is
/// still ahead; ARGV[2] the drain grace (µs, see [`ACQUIRE`]); ARGV[3] the
/// length of a window the fleet starts on its own (µs). Returns 0 (go:
/// counted in flight, and one of the window's requests spent if it has
/// any), the µs left of a pause published meanwhile (the request asks
/// [`ACQUIRE`] again after it), or −1: before the slot, "keep waiting"; at
/// the slot, "the window's requests are in flight: ask [`ACQUIRE`] again"
/// or "the window's last answers are due: ask [`ACQUIRE`] again". So a
/// slot reserved before a window closed does not go into the closed window,
/// nor on top of the credits of the window after it, and a request reserved
/// while no window was known goes as soon as the tenant's answers show
/// requests to spare.
///
/// A window whose reset has passed is renewed here as [`ACQUIRE`] renews
/// it, slot or not: requests that went early on a window's credits leave
/// the GCRA's later slots to the ones still waiting, which may be many
/// seconds ahead; if only a request at its slot could renew, the whole
/// fleet would sit idle until then through windows with requests to spare
/// (the fleet test once spent 80 requests of 40-per-second windows in 20 s).
const PROCEED: &str = concat!(
    renew_window!(),
    r"local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local pause = tonumber(redis.call('GET', KEYS[1]) or '0')
if pause > now then return math.floor(pause - now) end
local w = redis.call('HMGET', KEYS[2], 'remaining', 'reset', 'drained', 'limit', 'inflight')
local remaining = tonumber(w[1]) or 0
local reset = tonumber(w[2]) or 0
local drained = tonumber(w[3]) or 0
local current = reset > now
if reset > 0 and not current then
  if renew(KEYS[2], now, tonumber(ARGV[3]), tonumber(w[4]) or 0, tonumber(w[5]) or 0) then
    redis.call('HINCRBY', KEYS[2], 'inflight', 1)
    return 0
  end
  return -1
end
if ARGV[1] == '0' then
  if not (current and remaining > 0) then return -1 end
elseif current and remaining <= 0 and now < drained + tonumber(ARGV[2]) then
  return -1
end
if current and remaining > 0 then redis.call('HINCRBY', KEYS[2], 'remaining', -1) end
redis.call('HINCRBY', KEYS[2], 'inflight', 1)
return 0"
);

/// Learns the tenant's window from one response. KEYS[1] the window hash;
/// ARGV[1] `x-ratelimit-limit`, ARGV[2] `x-ratelimit-remaining`, ARGV[3]
/// `x-ratelimit-reset` (epoch s), or all three empty for a response without
/// them (or no response at all): then only the request leaves the in-flight
/// count.
///
/// The tenant counts the requests it has answered, the fleet also those
/// still in flight: a newer window is taken as reported minus what is in
/// flight, the same window only ever goes down, an older one is ignored.
const OBSERVE: &str = r"local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local inflight = tonumber(redis.call('HINCRBY', KEYS[1], 'inflight', -1))
if inflight < 0 then
  redis.call('HSET', KEYS[1], 'inflight', 0)
  inflight = 0
end
if ARGV[3] == '' then return 0 end
local reset = tonumber(ARGV[3]) * 1000000
if reset <= now then return 0 end
local reported = tonumber(ARGV[2]) - inflight
if reported < 0 then reported = 0 end
local w = redis.call('HMGET', KEYS[1], 'remaining', 'reset', 'guess')
local remaining = tonumber(w[1])
local stored = tonumber(w[2]) or 0
if remaining == nil or stored <= now then
  remaining = reported
elseif w[3] == '1' then
  if reported < remaining then remaining = reported end
elseif reset > stored then
  remaining = reported
elseif reset == stored then
  if reported < remaining then remaining = reported end
else
  return 0
end
redis.call('HSET', KEYS[1], 'limit', ARGV[1], 'remaining', remaining, 'reset', string.format('%.0f', reset), 'guess', 0)
redis.call('PEXPIRE', KEYS[1], math.ceil((reset - now) / 1000) + 60000)
return 1";

/// Raises the pause end (KEYS[1], µs) to what a response asks for, never
/// lowering it. ARGV[1] `at` or `for`; ARGV[2] for `at` the moment the
/// tenant named (UNIX s: `x-ratelimit-reset`, an HTTP-date `Retry-After`),
/// for `for` a wait from now (µs: delta-seconds `Retry-After`); ARGV[3]
/// `x-ratelimit-reset` (UNIX s) or empty, the moment to keep when ARGV[2]'s
/// has passed (an HTTP-date in the past is ignored, as the retry policy
/// ignores it); ARGV[4] the longest pause (µs). Moments are compared with
/// Redis' `TIME`, as [`OBSERVE`] compares the window's reset: the clock of
/// the instance that saw the response does not enter. Returns the pause
/// published (µs from now), 0 when none.
const PAUSE: &str = r"local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local target
if ARGV[1] == 'for' then
  target = now + tonumber(ARGV[2])
else
  target = tonumber(ARGV[2]) * 1000000
  if target <= now and ARGV[3] ~= '' then target = tonumber(ARGV[3]) * 1000000 end
end
local cap = now + tonumber(ARGV[4])
if target > cap then target = cap end
if target <= now then return 0 end
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if target > current then
  local wait = math.floor(target - now)
  redis.call('SET', KEYS[1], string.format('%.0f', target), 'PX', math.ceil(wait / 1000) + 1)
  return wait
end
return 0";

/// How long the answers to a window's last requests are awaited before the
/// fleet paces on (see [`ACQUIRE`]): a few round trips to the tenant.
const DRAIN_GRACE: Duration = Duration::from_millis(50);

/// How often a request waiting for a far slot looks for requests to spare
/// in the tenant's window.
const RECHECK: Duration = Duration::from_millis(100);

/// The scripts, hashed once (EVALSHA, with EVAL when Redis lacks them).
static ACQUIRE_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(ACQUIRE));
static OBSERVE_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(OBSERVE));
static PAUSE_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(PAUSE));
static PROCEED_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(PROCEED));

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
    window_key: String,
    interval_us: u64,
    period_us: u64,
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
                window_key: format!("{prefix}:rate:{{{tag}}}:window"),
                fleet: self.fleet,
                interval_us,
                period_us: per_us,
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
    /// local limiter's, when Redis is unavailable): at once while the
    /// tenant's window has requests the fleet has not spent, else the
    /// GCRA's next slot, and never before a published pause ends — a pause
    /// published while this request waited for its slot holds it too.
    /// Dropping the future while it waits leaves the reserved slot unused.
    ///
    /// Every `acquire` is followed by one [`observe`](Self::observe) (or
    /// [`abandon`](Self::abandon) when no response came): the fleet counts
    /// the requests in flight, which the tenant's `x-ratelimit-remaining`
    /// does not yet include.
    pub async fn acquire(&self) {
        loop {
            let Some(wait) = self.reserve().await else {
                self.inner.local.acquire().await;
                return;
            };
            if wait < 0 {
                // Nothing reserved: the window's last answers are due.
                tokio::time::sleep(Duration::from_micros(wait.unsigned_abs())).await;
                continue;
            }
            let Ok(us @ 1..) = u64::try_from(wait) else {
                return;
            };
            match self.wait_for_slot(Duration::from_micros(us)).await {
                // Redis failed while this request waited for its slot: the
                // local limiter paces it, as it paces every request while
                // Redis is down (else all the waiting requests would go at
                // once, the moment Redis failed).
                None => {
                    self.inner.local.acquire().await;
                    return;
                }
                Some(left) if left > 0 => {
                    // A pause published while this request waited holds it
                    // too; then it asks again.
                    tokio::time::sleep(Duration::from_micros(left.unsigned_abs())).await;
                }
                // At the slot, the window's requests are in flight or its
                // last answers are due: ask again.
                Some(left) if left < 0 => {}
                Some(_) => return,
            }
        }
    }

    /// Waits up to `wait` for a reserved slot, looking every
    /// [`RECHECK`] for requests to spare in the tenant's window. What
    /// [`PROCEED`] says last (or `None` without Redis).
    async fn wait_for_slot(&self, wait: Duration) -> Option<i64> {
        let slot = tokio::time::Instant::now() + wait;
        loop {
            let now = tokio::time::Instant::now();
            if now >= slot {
                return self.proceed(true).await;
            }
            tokio::time::sleep((slot - now).min(RECHECK)).await;
            if tokio::time::Instant::now() < slot {
                match self.proceed(false).await {
                    Some(-1) => {}
                    other => return other,
                }
            }
        }
    }

    /// One run of the reserve script: the wait in µs, `None` without Redis.
    async fn reserve(&self) -> Option<i64> {
        let inner = &self.inner;
        let (gcra, pause) = (inner.gcra_key.as_str(), inner.pause_key.as_str());
        let window = inner.window_key.as_str();
        let (interval, tolerance) = (inner.interval_us, inner.tolerance_us);
        let period = inner.period_us;
        let grace = u64::try_from(DRAIN_GRACE.as_micros()).unwrap_or(u64::MAX);
        inner
            .fleet
            .run("reserve rate slot", |mut c| async move {
                ACQUIRE_SCRIPT
                    .key(gcra)
                    .key(pause)
                    .key(window)
                    .arg(interval)
                    .arg(tolerance)
                    .arg(period)
                    .arg(grace)
                    .invoke_async(&mut c)
                    .await
            })
            .await
    }

    /// One run of the proceed script (`at_slot`: the reserved slot has
    /// come); `None` without Redis.
    async fn proceed(&self, at_slot: bool) -> Option<i64> {
        let (pause, window) = (
            self.inner.pause_key.as_str(),
            self.inner.window_key.as_str(),
        );
        let grace = u64::try_from(DRAIN_GRACE.as_micros()).unwrap_or(u64::MAX);
        let period = self.inner.period_us;
        self.inner
            .fleet
            .run("take rate slot", |mut c| async move {
                PROCEED_SCRIPT
                    .key(pause)
                    .key(window)
                    .arg(u8::from(at_slot))
                    .arg(grace)
                    .arg(period)
                    .invoke_async(&mut c)
                    .await
            })
            .await
    }

    /// Learns from a response: the fleet's view of the tenant's window
    /// takes its `x-ratelimit-*` headers (and the request leaves the
    /// in-flight count), the local limiter observes them too, and a wait
    /// the response asks for (a `429`, or no requests remaining until the
    /// reset) is published to the fleet.
    pub async fn observe(&self, status: http::StatusCode, headers: &http::HeaderMap) {
        let answer = self.read_answer(status, headers);
        self.settle(answer).await;
    }

    /// What a response tells the fleet, read from its headers at once (the
    /// local limiter observes them here).
    fn read_answer(&self, status: http::StatusCode, headers: &http::HeaderMap) -> Answer {
        self.inner.local.observe(headers);
        let info = RateLimitInfo::from_headers(headers);
        let asks_wait = status == http::StatusCode::TOO_MANY_REQUESTS || info.remaining == Some(0);
        let pause = asks_wait
            .then(|| Requested::from_headers(headers))
            .flatten()
            .and_then(|requested| match requested {
                Requested::For(wait) => {
                    let wait = wait.min(self.inner.max_pause);
                    (!wait.is_zero()).then_some(Requested::For(wait))
                }
                at => Some(at),
            });
        Answer { info, pause }
    }

    /// Gives the fleet a request's outcome: its window, one request fewer
    /// in flight, and the wait it asks for, if any.
    async fn settle(&self, answer: Answer) {
        self.learn(answer.info).await;
        if let Some(requested) = answer.pause {
            self.publish_pause(requested, answer.info.reset).await;
        }
    }

    /// Publishes a wait for every instance (see [`PAUSE`]).
    async fn publish_pause(&self, requested: Requested, reset: Option<u64>) {
        let inner = &self.inner;
        let (kind, value) = match requested {
            Requested::At(since_epoch) => ("at", since_epoch.as_secs()),
            Requested::For(wait) => ("for", u64::try_from(wait.as_micros()).unwrap_or(u64::MAX)),
        };
        let reset = reset.map(|r| r.to_string()).unwrap_or_default();
        let max_us = u64::try_from(inner.max_pause.as_micros()).unwrap_or(u64::MAX);
        let key = inner.pause_key.as_str();
        let published: Option<i64> = inner
            .fleet
            .run("publish pause", |mut c| async move {
                PAUSE_SCRIPT
                    .key(key)
                    .arg(kind)
                    .arg(value)
                    .arg(reset)
                    .arg(max_us)
                    .invoke_async(&mut c)
                    .await
            })
            .await;
        if let Some(wait_us @ 1..) = published {
            tracing::debug!(
                target: "auth0_redis",
                wait_ms = wait_us / 1_000,
                "rate limit reached: the fleet waits until the reset"
            );
        }
    }

    /// A request [`acquire`](Self::acquire)d a slot but got no response (a
    /// connection error, a timeout): it leaves the in-flight count.
    pub async fn abandon(&self) {
        self.settle(Answer::none()).await;
    }

    /// Runs the observe script: the window as reported (all three headers,
    /// or nothing), one request fewer in flight.
    async fn learn(&self, info: RateLimitInfo) {
        let key = self.inner.window_key.as_str();
        let (limit, remaining, reset) = match (info.limit, info.remaining, info.reset) {
            (Some(l), Some(r), Some(s)) => (l.to_string(), r.to_string(), s.to_string()),
            _ => (String::new(), String::new(), String::new()),
        };
        let _: Option<i64> = self
            .inner
            .fleet
            .run("observe rate window", |mut c| async move {
                OBSERVE_SCRIPT
                    .key(key)
                    .arg(limit)
                    .arg(remaining)
                    .arg(reset)
                    .invoke_async(&mut c)
                    .await
            })
            .await;
    }
}

/// What one response (or its absence) tells the fleet.
#[derive(Debug, Clone, Copy)]
struct Answer {
    /// Its `x-ratelimit-*` headers.
    info: RateLimitInfo,
    /// The wait it asks of the fleet (a wait from now capped by
    /// `max_pause`; a moment is capped by the script).
    pause: Option<Requested>,
}

/// The wait a response asks for, as the server put it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Requested {
    /// Until a moment, as a time since the UNIX epoch: `x-ratelimit-reset`
    /// or an HTTP-date `Retry-After`. Compared with Redis' clock, never
    /// this instance's.
    At(Duration),
    /// For this long from when it is published: a delta-seconds
    /// `Retry-After` (or a reset too far ahead to represent).
    For(Duration),
}

impl Requested {
    /// What `headers` ask for, by auth0-core's reading of them
    /// ([`server_requested_wait`]: `Retry-After`, else `x-ratelimit-reset`),
    /// without reading any clock: measured from the epoch, a moment gives
    /// its own date and a delta its length, and only a moment's wait
    /// shrinks when measured from a second later.
    ///
    /// [`server_requested_wait`]: auth0_core::retry::server_requested_wait
    fn from_headers(headers: &http::HeaderMap) -> Option<Self> {
        use auth0_core::retry::server_requested_wait;
        let from_epoch = server_requested_wait(headers, UNIX_EPOCH)?;
        let a_second_later = UNIX_EPOCH + Duration::from_secs(1);
        if server_requested_wait(headers, a_second_later) == Some(from_epoch) {
            Some(Requested::For(from_epoch))
        } else {
            Some(Requested::At(from_epoch))
        }
    }
}

impl Answer {
    /// No response: the request only leaves the in-flight count.
    fn none() -> Self {
        Answer {
            info: RateLimitInfo::default(),
            pause: None,
        }
    }
}

/// A request that took a slot of the fleet's budget and was not settled
/// yet. The fleet counts it in flight until it is: dropped unsettled (the
/// call's future was dropped — a deadline, a cancelled caller — between
/// its slot and its answer), it is abandoned from a spawned task; a count
/// left behind would shrink every window the fleet learns afterwards, for
/// good.
struct InFlight {
    limiter: Option<RedisRateLimiter>,
}

impl InFlight {
    /// Settles with `answer` in a task of its own, so a drop of this
    /// future meanwhile neither cuts the settlement short nor repeats it.
    async fn settle(mut self, answer: Answer) {
        let Some(limiter) = self.limiter.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                // A panic in the task is the task's; the call goes on.
                let _ = runtime
                    .spawn(async move { limiter.settle(answer).await })
                    .await;
            }
            Err(_) => limiter.settle(answer).await,
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let Some(limiter) = self.limiter.take() else {
            return;
        };
        // Outside a runtime nothing can run it: the count stays until the
        // window's key expires.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { limiter.abandon().await });
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
            let sent = InFlight {
                limiter: Some(limiter.clone()),
            };
            let result: Result<_, BoxError> = inner.call(req).await.map_err(Into::into);
            let answer = match &result {
                Ok(res) => limiter.read_answer(res.status(), res.headers()),
                Err(_) => Answer::none(),
            };
            sent.settle(answer).await;
            result
        })
    }
}
