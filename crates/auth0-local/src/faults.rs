//! Misbehaviour on demand: latency, error statuses and dropped connections
//! ([`Faults`]), and the tenant-wide rate limit ([`RateLimit`]) with Auth0's
//! `x-ratelimit-*` headers and 429s.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use crate::tenant::lock;

/// One injected misbehaviour, applied to the next matching requests.
///
/// ```
/// use std::time::Duration;
/// use auth0_local::Fault;
///
/// let outage = Fault::status(503).times(2).on_path("/api/v2/");
/// let hang_up = Fault::drop_connection().on_path("/oauth/token");
/// let slow = Fault::delay(Duration::from_secs(2));
/// # let _ = (outage, hang_up, slow);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    action: FaultAction,
    times: u32,
    path_prefix: Option<String>,
}

/// What a fault does to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FaultAction {
    /// Answer with this status (Management API error shape) without
    /// processing the request.
    Status(u16),
    /// Close the connection without answering.
    Drop,
    /// Wait this long, then process the request.
    Delay(Duration),
    /// Answer exactly this, without processing the request.
    Reply {
        status: u16,
        body: String,
        headers: Vec<(String, String)>,
    },
}

impl Fault {
    /// Answer the next request with `status` (e.g. 500, 503) without
    /// processing it.
    pub fn status(status: u16) -> Self {
        Self::new(FaultAction::Status(status))
    }

    /// Close the connection of the next request without answering it (the
    /// request is not processed).
    pub fn drop_connection() -> Self {
        Self::new(FaultAction::Drop)
    }

    /// Hold the next request for `delay`, then process it normally. Sleeps on
    /// tokio's clock, so a test with a paused clock does not wait.
    pub fn delay(delay: Duration) -> Self {
        Self::new(FaultAction::Delay(delay))
    }

    /// Answer the next request with `status` and this JSON `body`, without
    /// processing it: a scripted answer for a misbehaviour the tenant does
    /// not otherwise play (a 429 with `Retry-After`, an odd error shape).
    ///
    /// ```
    /// let slow_down = auth0_local::Fault::reply(429, serde_json::json!({ "error": "too_many_requests" }))
    ///     .with_header("retry-after", "2");
    /// # let _ = slow_down;
    /// ```
    pub fn reply(status: u16, body: serde_json::Value) -> Self {
        Self::new(FaultAction::Reply {
            status,
            body: body.to_string(),
            headers: Vec::new(),
        })
    }

    /// Adds a header to a [`reply`](Self::reply) (ignored by other faults).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        if let FaultAction::Reply { headers, .. } = &mut self.action {
            headers.push((name.into(), value.into()));
        }
        self
    }

    fn new(action: FaultAction) -> Self {
        Self {
            action,
            times: 1,
            path_prefix: None,
        }
    }

    /// Applies to the next `times` matching requests instead of one.
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    /// Applies only to requests whose path starts with `prefix`.
    pub fn on_path(mut self, prefix: impl Into<String>) -> Self {
        self.path_prefix = Some(prefix.into());
        self
    }
}

/// The fault plan of a running tenant: a handle shared with the server.
#[derive(Debug, Default)]
pub(crate) struct FaultPlan {
    inner: Mutex<PlanState>,
}

#[derive(Debug, Default)]
struct PlanState {
    latency: Duration,
    queue: Vec<Fault>,
}

impl FaultPlan {
    pub(crate) fn inject(&self, fault: Fault) {
        if fault.times > 0 {
            lock(&self.inner).queue.push(fault);
        }
    }

    pub(crate) fn set_latency(&self, latency: Duration) {
        lock(&self.inner).latency = latency;
    }

    pub(crate) fn clear(&self) {
        let mut plan = lock(&self.inner);
        plan.queue.clear();
        plan.latency = Duration::ZERO;
    }

    pub(crate) fn pending(&self) -> u32 {
        lock(&self.inner).queue.iter().map(|f| f.times).sum()
    }

    /// The latency every request gets, and the first queued fault that
    /// matches `path` (used up by one).
    pub(crate) fn next_for(&self, path: &str) -> (Duration, Option<FaultAction>) {
        let mut plan = lock(&self.inner);
        let latency = plan.latency;
        let position = plan.queue.iter().position(|f| {
            f.path_prefix
                .as_deref()
                .is_none_or(|prefix| path.starts_with(prefix))
        });
        let action = position.map(|i| {
            let fault = &mut plan.queue[i];
            fault.times -= 1;
            let action = fault.action.clone();
            if fault.times == 0 {
                plan.queue.remove(i);
            }
            action
        });
        (latency, action)
    }
}

/// A tenant-wide request budget: `limit` requests per `window`, as Auth0
/// enforces per tenant. Every limited answer carries `x-ratelimit-limit`,
/// `x-ratelimit-remaining` and `x-ratelimit-reset` (UNIX seconds when the
/// window restarts); past the budget the tenant answers `429 Too Many
/// Requests` without processing the request.
///
/// ```
/// use std::time::Duration;
/// let tight = auth0_local::RateLimit::new(2, Duration::from_secs(1));
/// assert_eq!(tight.limit(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    limit: u32,
    window: Duration,
}

impl RateLimit {
    /// `limit` requests per `window` (a zero window is taken as one second).
    pub fn new(limit: u32, window: Duration) -> Self {
        let window = if window.is_zero() {
            Duration::from_secs(1)
        } else {
            window
        };
        Self { limit, window }
    }

    /// Requests allowed per window.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// The window.
    pub fn window(&self) -> Duration {
        self.window
    }
}

impl Default for RateLimit {
    /// Generous enough for any test suite, but present, so clients always see
    /// the headers: 1,000 requests per second.
    fn default() -> Self {
        Self::new(1_000, Duration::from_secs(1))
    }
}

/// What the rate limiter decided for one request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    pub(crate) allowed: bool,
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    pub(crate) reset_unix: u64,
}

/// The fixed-window counter behind [`RateLimit`].
#[derive(Debug)]
pub(crate) struct RateLimiter {
    inner: Mutex<Window>,
}

#[derive(Debug)]
struct Window {
    config: RateLimit,
    started: Instant,
    used: u32,
}

impl RateLimiter {
    pub(crate) fn new(config: RateLimit) -> Self {
        Self {
            inner: Mutex::new(Window {
                config,
                started: Instant::now(),
                used: 0,
            }),
        }
    }

    pub(crate) fn set(&self, config: RateLimit) {
        let mut window = lock(&self.inner);
        window.config = config;
        window.started = Instant::now();
        window.used = 0;
    }

    /// Takes one request from the budget.
    pub(crate) fn take(&self) -> Budget {
        let mut window = lock(&self.inner);
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(window.started);
        if elapsed >= window.config.window {
            window.started = now;
            window.used = 0;
        }
        let allowed = window.used < window.config.limit;
        if allowed {
            window.used += 1;
        }
        let left = window
            .config
            .window
            .saturating_sub(now.saturating_duration_since(window.started));
        let unix_now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        Budget {
            allowed,
            limit: window.config.limit,
            remaining: window.config.limit.saturating_sub(window.used),
            // Rounded up: a client that waits until `reset` finds a fresh window.
            reset_unix: (unix_now + left.as_secs_f64()).ceil() as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_used_up_in_order_and_by_path() {
        let plan = FaultPlan::default();
        plan.inject(Fault::status(503).times(2).on_path("/api/v2/"));
        plan.inject(Fault::drop_connection());
        assert_eq!(plan.pending(), 3);
        assert_eq!(plan.next_for("/oauth/token").1, Some(FaultAction::Drop));
        assert_eq!(
            plan.next_for("/api/v2/users").1,
            Some(FaultAction::Status(503))
        );
        assert_eq!(
            plan.next_for("/api/v2/users").1,
            Some(FaultAction::Status(503))
        );
        assert_eq!(plan.next_for("/api/v2/users").1, None);
        plan.set_latency(Duration::from_millis(5));
        assert_eq!(plan.next_for("/").0, Duration::from_millis(5));
        plan.clear();
        assert_eq!(plan.next_for("/").0, Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn the_budget_refills_each_window() {
        let limiter = RateLimiter::new(RateLimit::new(2, Duration::from_secs(10)));
        let first = limiter.take();
        assert!(first.allowed);
        assert_eq!(first.remaining, 1);
        assert!(limiter.take().allowed);
        let refused = limiter.take();
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        tokio::time::advance(Duration::from_secs(10)).await;
        let again = limiter.take();
        assert!(again.allowed);
        assert_eq!(again.remaining, 1);
    }
}
