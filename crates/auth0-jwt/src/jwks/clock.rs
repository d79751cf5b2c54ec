//! The monotonic clock the JWKS cache reads its TTL and cooldown against.
//!
//! The default follows Tokio's clock, so `tokio::time::pause()` and
//! `advance()` drive it in tests. A test that talks to a real socket (where a
//! paused clock would also fire the fetch timeout early) can inject its own
//! clock instead and move the cache's notion of "now" by hand.

use std::fmt;

use tokio::time::Instant;

/// A monotonic clock for the JWKS cache's TTL and cooldown checks.
///
/// Fetch timeouts and background-refresh sleeps always use Tokio's timers;
/// only the cache's age checks read this clock.
///
/// # Example
///
/// ```
/// use std::sync::Mutex;
/// use std::time::Duration;
/// use auth0_jwt::jwks::MonotonicClock;
/// use tokio::time::Instant;
///
/// /// A clock a test moves by hand.
/// struct ManualClock(Mutex<Instant>);
///
/// impl MonotonicClock for ManualClock {
///     fn now(&self) -> Instant {
///         *self.0.lock().unwrap()
///     }
/// }
///
/// let clock = ManualClock(Mutex::new(Instant::now()));
/// let before = clock.now();
/// *clock.0.lock().unwrap() += Duration::from_secs(600);
/// assert_eq!(clock.now() - before, Duration::from_secs(600));
/// ```
pub trait MonotonicClock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// The default [`MonotonicClock`]: [`tokio::time::Instant::now`], which
/// follows a paused and advanced Tokio clock.
///
/// # Example
///
/// ```
/// use auth0_jwt::jwks::{MonotonicClock, TokioClock};
///
/// let a = TokioClock.now();
/// let b = TokioClock.now();
/// assert!(b >= a);
/// ```
#[derive(Clone, Copy, Default)]
pub struct TokioClock;

impl MonotonicClock for TokioClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

impl fmt::Debug for TokioClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokioClock")
    }
}
