//! [`RateLimiter`]: a client-side token bucket plus an adaptive mode driven
//! by Auth0's `x-ratelimit-*` response headers.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use http::HeaderMap;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::permit::{Permit, Settled};
use super::window::{Observation, Window, later};

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
/// * **Adaptive** — reads `x-ratelimit-limit`, `x-ratelimit-remaining` and
///   `x-ratelimit-reset` from responses (a [`Permit`]'s
///   [`answered`](Permit::answered), or [`observe`](Self::observe)), and
///   counts off the requests sent since: every request still in flight
///   (a permit not yet settled — the server's `remaining` may not count
///   it yet, and with a token bucket like Auth0's each answer names a
///   later reset, so a newer window), and every request that ended without
///   such an answer. When what is left falls to the slow-down threshold (a
///   fraction of `limit`, default 20%) the remaining requests are spread
///   evenly over the time left until `reset`; when it reaches 0, callers
///   wait until `reset` — or, when the answer also carried `Retry-After`
///   (as Auth0's 429s do), one request goes at that moment, the one the
///   retry layer sends then, and the rest wait for its answer. A `429`
///   counts as none left whatever its `x-ratelimit-remaining` says (Auth0
///   refuses for per-endpoint and burst limits too), until its
///   `Retry-After` or else its reset; only the answer to a request sent
///   after it lifts that. At the reset the window refills to `limit`
///   requests, no more, until an answer describes the new window (without
///   one, it is taken to last `max_wait`). A newer answer saying there is
///   room releases waiting callers at once, as many as it has room for.
///   Without a `limit` header only the "wait at 0" rule applies.
///
///   Each wait is capped at [`max_wait`](RateLimiterBuilder::max_wait)
///   (default 10 s), counted from when the caller is first in line: after
///   that it goes anyway (the retry layer deals with a 429), alone — the
///   next caller waits for that request's answer, or its own `max_wait`,
///   so a server that keeps saying "none left" gets one request per
///   `max_wait`, not the whole queue at once.
///
/// Waiting is cancel-safe: callers queue on a fair (FIFO) async lock, and
/// only the head of the queue sleeps, until the instant its request may
/// go or an answer changes the picture; the slot is taken only when it
/// goes. A caller dropped while queued or sleeping (e.g. by the deadline)
/// takes nothing with it.
///
/// [`RateLimitLayer`](super::RateLimitLayer) and the retry layer's
/// built-in limiter ([`RetryLayer::rate_limiter`](crate::retry::RetryLayer::rate_limiter))
/// take a [`permit`](Self::permit) for each request and settle it with
/// the answer (or the failure).
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
    /// Wakes the sleeping holder when an answer was observed.
    observed: Notify,
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
    /// Permits handed out and not settled yet (adaptive mode).
    in_flight: u64,
    /// Permits handed out so far: the next one's number.
    issued: u64,
    /// After a `429`: the number of the first permit handed out since.
    /// Until an answer to such a permit (or the reset), answers to requests
    /// sent before the refusal do not lift it.
    refused_at: Option<u64>,
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
                observed: Notify::new(),
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// True when adaptive mode is on.
    pub fn is_adaptive(&self) -> bool {
        self.inner.adaptive.is_some()
    }

    /// Waits until a request may be sent, then counts it off the window
    /// for good (adaptive mode), as a request whose answer will not be
    /// told; [`observe`](Self::observe) then reads the answer's headers.
    /// Prefer [`permit`](Self::permit), which counts the request only until
    /// its answer is in.
    ///
    /// Cancel-safe: dropping the future before it completes counts nothing.
    pub async fn acquire(&self) {
        self.take(false).await;
    }

    /// Waits until a request may be sent, then counts it as in flight
    /// until the [`Permit`] is settled: with the answer
    /// ([`Permit::answered`]), as never sent ([`Permit::unsent`]), or by
    /// dropping it (failed or abandoned: counted off the window, since the
    /// server may have counted it).
    ///
    /// Cancel-safe: dropping the future before it completes counts nothing.
    ///
    /// ```
    /// use auth0_core::rate_limit::RateLimiter;
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let limiter = RateLimiter::adaptive();
    /// let permit = limiter.permit().await;
    /// // ... send the request, then:
    /// let answer = http::Response::new(());
    /// permit.answered(answer.status(), answer.headers());
    /// # });
    /// ```
    pub async fn permit(&self) -> Permit {
        let number = self.take(true).await;
        Permit::new(self.clone(), number)
    }

    /// Waits for the turn and commits it: the permit's number.
    async fn take(&self, tracked: bool) -> u64 {
        let _turn = self.inner.gate.lock().await;
        // First in line from here: the adaptive cap counts from now.
        let head_since = Instant::now();
        loop {
            // Registered before the state is read, so an answer observed
            // after this point wakes the sleep below (no lost wakeup).
            let observed = self.inner.observed.notified();
            tokio::pin!(observed);
            observed.as_mut().enable();
            let now = Instant::now();
            let ready_at = {
                let mut state = self.state();
                let ready_at = self.earliest(&mut state, now, head_since);
                if ready_at <= now {
                    return self.commit(&mut state, now, tracked);
                }
                ready_at
            };
            // Woken when the slot opens, or when an answer may have
            // changed the picture; the loop re-checks either way.
            tokio::select! {
                () = tokio::time::sleep_until(ready_at) => {}
                () = observed => {}
            }
        }
    }

    /// Feeds a response's `x-ratelimit-*` headers (and, with none
    /// remaining, its `Retry-After`) to adaptive mode (no-op otherwise, or
    /// when `remaining`/`reset` are missing or `reset` has passed), for a
    /// request counted by [`acquire`](Self::acquire). A
    /// response from an older window than the one known is ignored; within
    /// the same window the lower `remaining` wins. A caller waiting for its
    /// turn re-checks at once. Headers alone do not tell a `429`: answers to
    /// a [`permit`](Self::permit) do ([`Permit::answered`]), and while such
    /// a refusal holds, answers given here do not lift it.
    pub fn observe(&self, headers: &HeaderMap) {
        if self.inner.adaptive.is_none() {
            return;
        }
        let Some(seen) = Observation::read(headers, Instant::now(), (self.inner.clock)(), false)
        else {
            return;
        };
        {
            let mut state = self.state();
            Self::take_in(&mut state, seen, None);
        }
        self.inner.observed.notify_waiters();
    }

    /// Settles permit `number`: it leaves the in-flight count, and its
    /// answer (if any) is taken in. A caller waiting for its turn re-checks
    /// at once.
    pub(super) fn settle(&self, number: u64, how: Settled<'_>) {
        if self.inner.adaptive.is_none() {
            return;
        }
        let seen = match how {
            Settled::Answered(status, headers) => Observation::read(
                headers,
                Instant::now(),
                (self.inner.clock)(),
                status == http::StatusCode::TOO_MANY_REQUESTS,
            ),
            Settled::Unsent | Settled::Lost => None,
        };
        {
            let mut state = self.state();
            state.in_flight = state.in_flight.saturating_sub(1);
            match (seen, how) {
                (Some(seen), _) => Self::take_in(&mut state, seen, Some(number)),
                // Sent, and no answer describing a window came back: the
                // server may have counted it.
                (None, Settled::Answered(..) | Settled::Lost) => {
                    if let Some(w) = &mut state.window {
                        w.spend();
                    }
                }
                (None, Settled::Unsent) => {}
            }
        }
        self.inner.observed.notify_waiters();
    }

    /// Takes in what an answer says, to permit `number` (`None`: a request
    /// counted by [`acquire`](Self::acquire)).
    fn take_in(state: &mut State, seen: Observation, number: Option<u64>) {
        if seen.refused {
            Window::refuse(&mut state.window, seen);
            state.refused_at = Some(state.issued);
            state.not_before = None;
            return;
        }
        if let Some(first_after) = state.refused_at {
            // Only the answer to a request sent since the refusal says
            // whether it is over.
            if number.is_some_and(|n| n >= first_after) {
                Window::replace(&mut state.window, seen);
                state.refused_at = None;
                state.not_before = None;
            }
            return;
        }
        if Window::update(&mut state.window, seen) {
            state.not_before = None;
        }
    }

    /// The instant the next request may start, given the state at `now`,
    /// for a caller first in line since `head_since`.
    fn earliest(&self, state: &mut State, now: Instant, head_since: Instant) -> Instant {
        let mut ready = now;
        if let (Some(bucket), Some(tat)) = (self.inner.bucket, state.tat)
            && let Some(at) = tat.checked_sub(bucket.tolerance)
        {
            ready = ready.max(at);
        }
        if let Some(adaptive) = self.inner.adaptive {
            if Window::roll_over(&mut state.window, now, adaptive.max_wait) {
                state.not_before = None;
                state.refused_at = None;
            }
            let in_flight = state.in_flight;
            let wanted = match state.window {
                Some(w) if w.available(in_flight) == 0 => Some(w.exhausted_until()),
                Some(w) if self.is_low(&w, in_flight, adaptive) => state.not_before,
                _ => None,
            };
            if let Some(wanted) = wanted {
                let cap = later(head_since, adaptive.max_wait);
                ready = ready.max(wanted.min(cap));
            }
        }
        ready
    }

    /// Counts a request starting at `now`: in flight until its permit is
    /// settled (`tracked`), else off the window for good. Returns the
    /// permit's number.
    fn commit(&self, state: &mut State, now: Instant, tracked: bool) -> u64 {
        if let Some(bucket) = self.inner.bucket {
            let base = state.tat.map_or(now, |tat| tat.max(now));
            state.tat = Some(later(base, bucket.interval));
        }
        let number = state.issued;
        if let Some(adaptive) = self.inner.adaptive {
            let in_flight = state.in_flight;
            let low = state
                .window
                .is_some_and(|w| self.is_low(&w, in_flight, adaptive));
            if let Some(w) = &mut state.window {
                let available = w.available(in_flight);
                if available == 0 {
                    w.start_exhausted();
                } else if low {
                    // Spread the requests left over the time left: this
                    // one goes now, the next after `left / available`.
                    let left = w.reset_at.saturating_duration_since(now);
                    let share = u32::try_from(available).unwrap_or(u32::MAX);
                    state.not_before = Some(now + left / share);
                }
                if !tracked {
                    w.spend();
                }
            }
            if tracked {
                state.in_flight += 1;
                state.issued += 1;
            }
        }
        number
    }

    fn is_low(&self, w: &Window, in_flight: u64, adaptive: Adaptive) -> bool {
        match w.limit {
            Some(limit) => {
                (w.available(in_flight) as f64) <= (limit as f64) * adaptive.slow_down_below
            }
            None => false,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state is a few plain values updated without intermediate
        // invariants, so a lock poisoned by a panicking thread is still usable.
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }
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
