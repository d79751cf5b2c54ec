//! The time source used for `exp`, `nbf`, `iat` and `auth_time` checks.
//!
//! Validators read the time through [`Clock`] so tests (and applications with
//! their own notion of time) can supply it; [`SystemClock`] is the default.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time in whole seconds since the Unix epoch.
///
/// # Example
///
/// ```
/// use auth0_jwt::clock::{Clock, SystemClock};
///
/// let now = SystemClock.now();
/// assert!(now > 1_600_000_000);
/// ```
pub trait Clock: Send + Sync + 'static {
    /// Seconds since 1970-01-01T00:00:00Z.
    fn now(&self) -> i64;
}

/// The operating system's wall clock.
///
/// On Linux it reads the kernel's coarse real-time clock
/// (`CLOCK_REALTIME_COARSE`): the wall time of the last timer tick, read
/// from the vDSO without a system call in ~4 ns, against ~35 ns for
/// `SystemTime::now()` (a tenth of a verified-token cache hit). A tick is
/// 1–10 ms, so in whole seconds the reading is the precise clock's, or the
/// second before it for at most one tick after each second begins — far
/// inside any leeway. Elsewhere it reads [`SystemTime::now`].
///
/// A clock set before 1970 reads as 0; one beyond `i64::MAX` seconds reads as
/// `i64::MAX` (neither can happen on a sane system, and neither panics).
///
/// # Example
///
/// ```
/// use auth0_jwt::clock::{Clock, SystemClock};
///
/// let clock = SystemClock;
/// assert!(clock.now() > 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[cfg(target_os = "linux")]
    fn now(&self) -> i64 {
        use rustix::time::{ClockId, clock_gettime};
        clock_gettime(ClockId::RealtimeCoarse).tv_sec.max(0)
    }

    #[cfg(not(target_os = "linux"))]
    fn now(&self) -> i64 {
        precise_now()
    }
}

/// Whole seconds since the Unix epoch from [`SystemTime::now`].
#[cfg_attr(target_os = "linux", allow(dead_code))]
fn precise_now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(elapsed) => i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX),
        Err(_) => 0,
    }
}

/// A clock that only moves when told to: for tests, replays and simulations.
///
/// It is safe to share between threads (`Arc<ManualClock>`) and to change
/// while validators are using it.
///
/// # Example
///
/// ```
/// use auth0_jwt::clock::{Clock, ManualClock};
///
/// let clock = ManualClock::new(1_700_000_000);
/// clock.advance(90);
/// assert_eq!(clock.now(), 1_700_000_090);
/// clock.set(5);
/// assert_eq!(clock.now(), 5);
/// ```
#[derive(Default)]
pub struct ManualClock {
    now: AtomicI64,
}

impl ManualClock {
    /// A clock reading `now` (seconds since the Unix epoch).
    pub fn new(now: i64) -> Self {
        Self {
            now: AtomicI64::new(now),
        }
    }

    /// Sets the time to `now`.
    pub fn set(&self, now: i64) {
        self.now.store(now, Ordering::SeqCst);
    }

    /// Moves the time by `seconds` (negative moves it back); saturates
    /// instead of overflowing.
    pub fn advance(&self, seconds: i64) {
        // fetch_update with a closure that always returns Some never fails.
        let _ = self
            .now
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some(t.saturating_add(seconds))
            });
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.now.load(Ordering::SeqCst)
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualClock")
            .field("now", &self.now())
            .finish()
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> i64 {
        (**self).now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The coarse reading is the precise clock's second, or at most one
    /// second behind it (within a tick of a second boundary).
    #[test]
    fn system_clock_follows_the_precise_clock() {
        for _ in 0..1_000 {
            let before = precise_now();
            let now = SystemClock.now();
            let after = precise_now();
            assert!(now >= before - 1 && now <= after, "{before} {now} {after}");
        }
        assert!(SystemClock.now() > 1_600_000_000);
    }
}
