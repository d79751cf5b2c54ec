//! [`RateLimiter`]: a client-side token bucket plus an adaptive mode driven
//! by Auth0's `x-ratelimit-*` response headers.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use tokio::time::Instant;

use crate::headers::RateLimitInfo;

/// A reason [`RateLimiterBuilder::build`] refused its settings.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RateLimiterError {
    /// The rate is zero requests, or per a zero period; a limiter that
    /// never lets a request through is almost certainly a mistake.
    #[error("rate of {requests} requests per {per:?} is zero")]
    ZeroRate {
        /// Requests per period asked for.
        requests: u32,
        /// The period asked for.
        per: Duration,
    },
    /// A burst of zero would block every request; use at least 1.
    #[error("burst must be at least 1")]
    ZeroBurst,
    /// The adaptive slow-down threshold is not a fraction in `0..=1`.
    #[error("slow-down threshold {fraction} is not a fraction in 0..=1")]
    InvalidSlowDown {
        /// The threshold asked for.
        fraction: f64,
    },
    /// A burst was set without a rate; the burst only means something for
    /// the token bucket, so set [`RateLimiterBuilder::rate`] too.
    #[error("burst was set without a rate")]
    BurstWithoutRate,
    /// Neither a token bucket nor adaptive mode was configured, so the
    /// limiter would never limit anything.
    #[error("the rate limiter has neither a token bucket nor adaptive mode")]
    NothingToLimit,
}

type WallClock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Client-side request pacing, shared by every clone.
///
/// Two mechanisms, usable alone or together:
///
/// * **Token bucket** — at most `burst` requests at once, refilled at a
///   fixed rate ([`token_bucket`](Self::token_bucket),
///   [`RateLimiterBuilder::rate`]). Callers past the limit wait (with
///   [`tokio::time::sleep`]) in arrival order.
/// * **Adaptive** — [`observe`](Self::observe) reads `x-ratelimit-limit`,
///   `x-ratelimit-remaining` and `x-ratelimit-reset` from responses. When
///   `remaining` falls to the slow-down threshold (a fraction of `limit`,
///   default 20%) the remaining requests are spread evenly over the time
///   left until `reset`; when it reaches 0, callers wait until `reset`.
///   Adaptive waits are capped at [`max_wait`](RateLimiterBuilder::max_wait)
///   per call (default 10 s): after that the request goes anyway and the
///   retry layer deals with a 429. Without a `limit` header only the
///   "wait at 0" rule applies.
///
/// Waiting is cancel-safe: callers queue on a fair (FIFO) async lock, and
/// only the head of the queue sleeps, until the instant its request may
/// go; the slot is taken only when it goes. A caller dropped while queued
/// or sleeping (e.g. by the deadline) takes nothing with it.
///
/// The state lives behind an [`Arc`]: clone the limiter (or a client built
/// with it) freely, all clones draw from the same bucket.
///
/// ```
/// use std::time::Duration;
/// use auth0_core::rate_limit::RateLimiter;
///
/// // 10 requests/second with bursts of 5, slowing down on Auth0's signals.
/// let limiter = RateLimiter::builder()
///     .rate(10, Duration::from_secs(1))
///     .burst(5)
///     .adaptive(true)
///     .build()?;
/// let shared = limiter.clone(); // same bucket
/// # let _ = shared;
/// # Ok::<(), auth0_core::rate_limit::RateLimiterError>(())
/// ```
#[derive(Clone)]
pub struct RateLimiter {
    inner: Arc<Inner>,
}

struct Inner {
    bucket: Option<Bucket>,
    adaptive: Option<Adaptive>,
    clock: WallClock,
    /// Fair queue of waiting callers; only the holder sleeps.
    gate: tokio::sync::Mutex<()>,
    state: Mutex<State>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Time per token.
    interval: Duration,
    burst: u32,
    /// `(burst - 1) · interval`: how far ahead of the schedule a burst may run.
    tolerance: Duration,
}

#[derive(Debug, Clone, Copy)]
struct Adaptive {
    slow_down_below: f64,
    max_wait: Duration,
}

#[derive(Debug, Default)]
struct State {
    /// GCRA "theoretical arrival time" of the token bucket.
    tat: Option<Instant>,
    /// The server's window, from the latest response headers.
    window: Option<Window>,
    /// Earliest start of the next request while spacing out the window's
    /// last requests.
    not_before: Option<Instant>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    limit: Option<u64>,
    remaining: u64,
    reset_epoch: u64,
    reset_at: Instant,
}

impl RateLimiter {
    /// Default fraction of `limit` below which adaptive mode spaces requests.
    pub const DEFAULT_SLOW_DOWN_BELOW: f64 = 0.2;
    /// Default cap on an adaptive wait.
    pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(10);

    /// A builder with nothing configured yet.
    pub fn builder() -> RateLimiterBuilder {
        RateLimiterBuilder::default()
    }

    /// A token bucket: `per_second` requests per second, at most `burst`
    /// at once.
    ///
    /// # Errors
    /// [`RateLimiterError::ZeroRate`] or [`RateLimiterError::ZeroBurst`].
    ///
    /// ```
    /// use auth0_core::rate_limit::RateLimiter;
    /// let limiter = RateLimiter::token_bucket(15, 30)?;
    /// # let _ = limiter;
    /// # Ok::<(), auth0_core::rate_limit::RateLimiterError>(())
    /// ```
    pub fn token_bucket(per_second: u32, burst: u32) -> Result<Self, RateLimiterError> {
        Self::builder()
            .rate(per_second, Duration::from_secs(1))
            .burst(burst)
            .build()
    }

    /// Adaptive mode only, with the default threshold and cap.
    pub fn adaptive() -> Self {
        Self::from_parts(
            None,
            Some(Adaptive {
                slow_down_below: Self::DEFAULT_SLOW_DOWN_BELOW,
                max_wait: Self::DEFAULT_MAX_WAIT,
            }),
            Arc::new(SystemTime::now),
        )
    }

    fn from_parts(bucket: Option<Bucket>, adaptive: Option<Adaptive>, clock: WallClock) -> Self {
        Self {
            inner: Arc::new(Inner {
                bucket,
                adaptive,
                clock,
                gate: tokio::sync::Mutex::new(()),
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// True when adaptive mode is on.
    pub fn is_adaptive(&self) -> bool {
        self.inner.adaptive.is_some()
    }

    /// Waits until a request may be sent, then counts it.
    ///
    /// Cancel-safe: dropping the future before it completes counts nothing.
    pub async fn acquire(&self) {
        let started = Instant::now();
        let _turn = self.inner.gate.lock().await;
        loop {
            let now = Instant::now();
            let ready_at = {
                let mut state = self.state();
                let ready_at = self.earliest(&mut state, now, started);
                if ready_at <= now {
                    self.commit(&mut state, now);
                    return;
                }
                ready_at
            };
            // Woken exactly when the slot opens; the loop re-checks because
            // an observed response may have changed the picture meanwhile.
            tokio::time::sleep_until(ready_at).await;
        }
    }

    /// Feeds a response's `x-ratelimit-*` headers to adaptive mode (no-op
    /// otherwise, or when `remaining`/`reset` are missing or `reset` has
    /// passed). A response from an older window than the one known is
    /// ignored; within the same window the lower `remaining` wins, since
    /// requests still in flight are already counted locally.
    pub fn observe(&self, headers: &HeaderMap) {
        if self.inner.adaptive.is_none() {
            return;
        }
        let info = RateLimitInfo::from_headers(headers);
        let (Some(remaining), Some(reset_epoch)) = (info.remaining, info.reset) else {
            return;
        };
        let now_wall = (self.inner.clock)();
        let Some(left) = UNIX_EPOCH
            .checked_add(Duration::from_secs(reset_epoch))
            .and_then(|reset| reset.duration_since(now_wall).ok())
            .filter(|d| !d.is_zero())
        else {
            return;
        };
        let now = Instant::now();
        let reset_at = now.checked_add(left).unwrap_or_else(|| far_future(now));
        let mut state = self.state();
        match &mut state.window {
            Some(w) if w.reset_epoch > reset_epoch => {}
            Some(w) if w.reset_epoch == reset_epoch => {
                w.remaining = w.remaining.min(remaining);
                w.limit = info.limit.or(w.limit);
            }
            _ => {
                state.window = Some(Window {
                    limit: info.limit,
                    remaining,
                    reset_epoch,
                    reset_at,
                });
                state.not_before = None;
            }
        }
    }

    /// The instant the next request may start, given the state at `now`.
    fn earliest(&self, state: &mut State, now: Instant, started: Instant) -> Instant {
        let mut ready = now;
        if let (Some(bucket), Some(tat)) = (self.inner.bucket, state.tat)
            && let Some(at) = tat.checked_sub(bucket.tolerance)
        {
            ready = ready.max(at);
        }
        if let Some(adaptive) = self.inner.adaptive {
            if state.window.is_some_and(|w| now >= w.reset_at) {
                state.window = None;
                state.not_before = None;
            }
            let wanted = match state.window {
                Some(w) if w.remaining == 0 => Some(w.reset_at),
                Some(w) if self.is_low(&w, adaptive) => state.not_before,
                _ => None,
            };
            if let Some(wanted) = wanted {
                let cap = started
                    .checked_add(adaptive.max_wait)
                    .unwrap_or_else(|| far_future(started));
                ready = ready.max(wanted.min(cap));
            }
        }
        ready
    }

    /// Counts a request starting at `now`.
    fn commit(&self, state: &mut State, now: Instant) {
        if let Some(bucket) = self.inner.bucket {
            let base = state.tat.map_or(now, |tat| tat.max(now));
            state.tat = Some(
                base.checked_add(bucket.interval)
                    .unwrap_or_else(|| far_future(base)),
            );
        }
        if let Some(adaptive) = self.inner.adaptive {
            let low = state.window.is_some_and(|w| self.is_low(&w, adaptive));
            if let Some(w) = &mut state.window {
                if low && w.remaining > 0 {
                    // Spread the `remaining` requests over the time left:
                    // this one goes now, the next after `left / remaining`.
                    let left = w.reset_at.saturating_duration_since(now);
                    let share = u32::try_from(w.remaining).unwrap_or(u32::MAX);
                    state.not_before = Some(now + left / share);
                }
                w.remaining = w.remaining.saturating_sub(1);
            }
        }
    }

    fn is_low(&self, w: &Window, adaptive: Adaptive) -> bool {
        match w.limit {
            Some(limit) => (w.remaining as f64) <= (limit as f64) * adaptive.slow_down_below,
            None => false,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state is a few plain values updated without intermediate
        // invariants, so a lock poisoned by a panicking thread is still usable.
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// About 30 years ahead, as tokio does for unbounded sleeps.
fn far_future(from: Instant) -> Instant {
    // Only reached when `from + d` overflowed, which tokio's clock cannot
    // get near in practice; returning `from` then is harmless.
    from.checked_add(Duration::from_secs(86_400 * 365 * 30))
        .unwrap_or(from)
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RateLimiter");
        if let Some(b) = self.inner.bucket {
            d.field("interval", &b.interval).field("burst", &b.burst);
        }
        if let Some(a) = self.inner.adaptive {
            d.field("slow_down_below", &a.slow_down_below)
                .field("max_wait", &a.max_wait);
        }
        d.finish_non_exhaustive()
    }
}

/// Builds a [`RateLimiter`]; start from [`RateLimiter::builder`].
///
/// ```
/// use std::time::Duration;
/// use auth0_core::rate_limit::RateLimiter;
///
/// // Adaptive only: slow down below 10% remaining, wait at most 5 s.
/// let limiter = RateLimiter::builder()
///     .adaptive(true)
///     .slow_down_below(0.1)
///     .max_wait(Duration::from_secs(5))
///     .build()?;
/// assert!(limiter.is_adaptive());
/// # Ok::<(), auth0_core::rate_limit::RateLimiterError>(())
/// ```
#[must_use]
pub struct RateLimiterBuilder {
    rate: Option<(u32, Duration)>,
    burst: Option<u32>,
    adaptive: bool,
    slow_down_below: f64,
    max_wait: Duration,
    clock: WallClock,
}

impl Default for RateLimiterBuilder {
    fn default() -> Self {
        Self {
            rate: None,
            burst: None,
            adaptive: false,
            slow_down_below: RateLimiter::DEFAULT_SLOW_DOWN_BELOW,
            max_wait: RateLimiter::DEFAULT_MAX_WAIT,
            clock: Arc::new(SystemTime::now),
        }
    }
}

impl fmt::Debug for RateLimiterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiterBuilder")
            .field("rate", &self.rate)
            .field("burst", &self.burst)
            .field("adaptive", &self.adaptive)
            .field("slow_down_below", &self.slow_down_below)
            .field("max_wait", &self.max_wait)
            .field("clock", &"<fn() -> SystemTime>")
            .finish()
    }
}

impl RateLimiterBuilder {
    /// Turns on the token bucket: `requests` per `per` (e.g. `rate(1, 2s)`
    /// for one request every two seconds).
    pub fn rate(mut self, requests: u32, per: Duration) -> Self {
        self.rate = Some((requests, per));
        self
    }

    /// How many requests may go at once when the bucket is full (default 1;
    /// needs [`rate`](Self::rate)).
    pub fn burst(mut self, burst: u32) -> Self {
        self.burst = Some(burst);
        self
    }

    /// Turns adaptive mode on or off (default off).
    pub fn adaptive(mut self, on: bool) -> Self {
        self.adaptive = on;
        self
    }

    /// Fraction of `x-ratelimit-limit` at or below which adaptive mode
    /// spaces requests out (default 0.2).
    pub fn slow_down_below(mut self, fraction: f64) -> Self {
        self.slow_down_below = fraction;
        self
    }

    /// Cap on the adaptive wait of a single call (default 10 s).
    pub fn max_wait(mut self, cap: Duration) -> Self {
        self.max_wait = cap;
        self
    }

    /// Wall clock used to read `x-ratelimit-reset` (default
    /// [`SystemTime::now`]); inject a fixed clock in tests.
    pub fn clock(mut self, now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(now);
        self
    }

    /// Checks the settings and returns the limiter.
    ///
    /// # Errors
    /// See [`RateLimiterError`]'s variants.
    pub fn build(self) -> Result<RateLimiter, RateLimiterError> {
        let bucket = match self.rate {
            Some((requests, per)) => {
                let interval = per / requests.max(1);
                if requests == 0 || interval.is_zero() {
                    return Err(RateLimiterError::ZeroRate { requests, per });
                }
                let burst = self.burst.unwrap_or(1);
                if burst == 0 {
                    return Err(RateLimiterError::ZeroBurst);
                }
                Some(Bucket {
                    interval,
                    burst,
                    tolerance: interval.saturating_mul(burst - 1),
                })
            }
            None if self.burst.is_some() => return Err(RateLimiterError::BurstWithoutRate),
            None => None,
        };
        if !(0.0..=1.0).contains(&self.slow_down_below) {
            return Err(RateLimiterError::InvalidSlowDown {
                fraction: self.slow_down_below,
            });
        }
        let adaptive = self.adaptive.then_some(Adaptive {
            slow_down_below: self.slow_down_below,
            max_wait: self.max_wait,
        });
        if bucket.is_none() && adaptive.is_none() {
            return Err(RateLimiterError::NothingToLimit);
        }
        Ok(RateLimiter::from_parts(bucket, adaptive, self.clock))
    }
}
