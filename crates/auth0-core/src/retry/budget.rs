//! A retry budget: retries may add at most a fixed share of extra load.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use super::policy::RetryPolicyError;

/// The window is tracked in this many slots; a slot's counts expire together.
const SLOTS: usize = 10;
/// Fixed-point scale: one retry costs `SCALE` units.
const SCALE: i128 = 1_000;

/// Limits retries to a share of recent requests, plus a small floor.
///
/// Every request (not its retries) deposits `retry_ratio` of a retry; each
/// retry withdraws one. Deposits and withdrawals expire after `window`, and a
/// fixed reserve of `min_retries_per_second × window` retries lets a client
/// with little traffic still retry. When the balance is below one retry the
/// [`Retry`](super::Retry) service stops retrying and returns what it has,
/// so an outage cannot turn into a retry storm (the same scheme as tower's
/// `TpsBudget` and reqwest's retry budget).
///
/// Clones share the same balance: every clone of a
/// [`RetryLayer`](super::RetryLayer) or client draws from one budget.
/// Time is read from [`tokio::time::Instant`], so a paused test clock
/// controls the window.
///
/// ```
/// use std::time::Duration;
/// use auth0_core::retry::RetryBudget;
///
/// // 20% extra load, at least 1 retry/second, over a 10 s window.
/// let budget = RetryBudget::new(Duration::from_secs(10), 1, 0.2)?;
/// for _ in 0..10 {
///     budget.deposit();
/// }
/// // 10 × 0.2 + 1 × 10 = 12 retries available.
/// assert_eq!(budget.available(), 12);
/// assert!(budget.try_withdraw());
/// assert_eq!(budget.available(), 11);
/// # Ok::<(), auth0_core::retry::RetryPolicyError>(())
/// ```
#[derive(Clone)]
pub struct RetryBudget {
    inner: Arc<Inner>,
}

struct Inner {
    window: Duration,
    slot_len: Duration,
    reserve: i128,
    deposit_amount: i128,
    min_retries_per_second: u32,
    retry_ratio: f64,
    state: Mutex<State>,
}

struct State {
    deposits: [i128; SLOTS],
    withdrawals: [i128; SLOTS],
    current: usize,
    slot_start: Instant,
}

impl RetryBudget {
    /// The longest window accepted (one day).
    pub const MAX_WINDOW: Duration = Duration::from_secs(86_400);
    /// The shortest window accepted.
    pub const MIN_WINDOW: Duration = Duration::from_millis(10);
    /// The largest `retry_ratio` accepted.
    pub const MAX_RATIO: f64 = 1_000.0;

    /// A budget over `window` allowing `retry_ratio` retries per request
    /// (0.2 = 20% extra load) plus `min_retries_per_second` regardless of
    /// traffic.
    ///
    /// # Errors
    /// [`RetryPolicyError::InvalidBudgetWindow`] if `window` is outside
    /// [`MIN_WINDOW`](Self::MIN_WINDOW)..=[`MAX_WINDOW`](Self::MAX_WINDOW);
    /// [`RetryPolicyError::InvalidBudgetRatio`] if `retry_ratio` is NaN,
    /// negative or above [`MAX_RATIO`](Self::MAX_RATIO).
    pub fn new(
        window: Duration,
        min_retries_per_second: u32,
        retry_ratio: f64,
    ) -> Result<Self, RetryPolicyError> {
        if !(Self::MIN_WINDOW..=Self::MAX_WINDOW).contains(&window) {
            return Err(RetryPolicyError::InvalidBudgetWindow { window });
        }
        if !(0.0..=Self::MAX_RATIO).contains(&retry_ratio) {
            return Err(RetryPolicyError::InvalidBudgetRatio { ratio: retry_ratio });
        }
        Ok(Self::build(window, min_retries_per_second, retry_ratio))
    }

    /// Builds a budget from arguments already checked by [`new`](Self::new)
    /// (or the constant defaults).
    fn build(window: Duration, min_retries_per_second: u32, retry_ratio: f64) -> Self {
        let reserve =
            i128::from(min_retries_per_second) * window.as_millis() as i128 * SCALE / 1_000;
        // `retry_ratio` is in [0, MAX_RATIO], so the product fits comfortably.
        let deposit_amount = (retry_ratio * SCALE as f64).round() as i128;
        Self {
            inner: Arc::new(Inner {
                window,
                slot_len: window / SLOTS as u32,
                reserve,
                deposit_amount,
                min_retries_per_second,
                retry_ratio,
                state: Mutex::new(State {
                    deposits: [0; SLOTS],
                    withdrawals: [0; SLOTS],
                    current: 0,
                    slot_start: Instant::now(),
                }),
            }),
        }
    }

    /// The sliding window deposits and withdrawals count in.
    pub fn window(&self) -> Duration {
        self.inner.window
    }

    /// Retries per second allowed regardless of traffic.
    pub fn min_retries_per_second(&self) -> u32 {
        self.inner.min_retries_per_second
    }

    /// Retries each request adds to the budget.
    pub fn retry_ratio(&self) -> f64 {
        self.inner.retry_ratio
    }

    /// Records one request (not a retry).
    pub fn deposit(&self) {
        self.deposit_at(Instant::now());
    }

    /// [`RetryBudget::deposit`] at `now` (the retry layer's call start:
    /// one clock read for both).
    pub(crate) fn deposit_at(&self, now: Instant) {
        let mut state = self.state_at(now);
        let slot = state.current;
        state.deposits[slot] += self.inner.deposit_amount;
    }

    /// Takes one retry from the budget; `false` (and nothing taken) when
    /// the budget is exhausted.
    pub fn try_withdraw(&self) -> bool {
        let mut state = self.state();
        if self.balance(&state) < SCALE {
            return false;
        }
        let slot = state.current;
        state.withdrawals[slot] += SCALE;
        true
    }

    /// Whole retries currently available.
    pub fn available(&self) -> u64 {
        let state = self.state();
        u64::try_from(self.balance(&state) / SCALE).unwrap_or(0)
    }

    fn balance(&self, state: &State) -> i128 {
        let deposits: i128 = state.deposits.iter().sum();
        let withdrawals: i128 = state.withdrawals.iter().sum();
        self.inner.reserve + deposits - withdrawals
    }

    /// Locks the state and expires the slots the window has moved past.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state_at(Instant::now())
    }

    /// [`RetryBudget::state`] with the clock read by the caller.
    fn state_at(&self, now: Instant) -> MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the counters in an
        // unusable state, so a poisoned lock is simply taken over.
        let mut state = self.inner.state.lock().unwrap_or_else(|e| e.into_inner());
        let slot_len = self.inner.slot_len;
        let elapsed = now.saturating_duration_since(state.slot_start);
        if elapsed < slot_len {
            // Still in the current slot (nearly every call): no 128-bit
            // division.
            return state;
        }
        // slot_len >= MIN_WINDOW / SLOTS > 0, checked in `new`.
        let steps = elapsed.as_nanos() / slot_len.as_nanos().max(1);
        if steps >= SLOTS as u128 {
            state.deposits = [0; SLOTS];
            state.withdrawals = [0; SLOTS];
            state.slot_start = now;
        } else if steps > 0 {
            for _ in 0..steps {
                let next = (state.current + 1) % SLOTS;
                state.current = next;
                state.deposits[next] = 0;
                state.withdrawals[next] = 0;
            }
            // steps < SLOTS, so the multiplication is small.
            state.slot_start += slot_len * steps as u32;
        }
        state
    }
}

impl Default for RetryBudget {
    /// 20% extra load plus 3 retries/second, over a 10 s window.
    fn default() -> Self {
        Self::build(Duration::from_secs(10), 3, 0.2)
    }
}

impl fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryBudget")
            .field("window", &self.inner.window)
            .field("min_retries_per_second", &self.inner.min_retries_per_second)
            .field("retry_ratio", &self.inner.retry_ratio)
            .field("available", &self.available())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn floor_allows_retries_without_traffic() {
        let b = RetryBudget::new(Duration::from_secs(10), 2, 0.2).unwrap();
        assert_eq!(b.available(), 20);
        for _ in 0..20 {
            assert!(b.try_withdraw());
        }
        assert!(!b.try_withdraw());
        assert_eq!(b.available(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn deposits_add_a_fifth_of_a_retry_each() {
        let b = RetryBudget::new(Duration::from_secs(10), 0, 0.2).unwrap();
        assert!(!b.try_withdraw());
        for _ in 0..4 {
            b.deposit();
        }
        assert!(!b.try_withdraw(), "4 × 0.2 < 1");
        b.deposit();
        assert!(b.try_withdraw());
        assert!(!b.try_withdraw());
    }

    #[tokio::test(start_paused = true)]
    async fn withdrawals_expire_with_the_window() {
        let b = RetryBudget::new(Duration::from_secs(10), 1, 0.2).unwrap();
        for _ in 0..10 {
            assert!(b.try_withdraw());
        }
        assert!(!b.try_withdraw());
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(!b.try_withdraw(), "still inside the window");
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(b.available(), 10);
    }

    #[tokio::test(start_paused = true)]
    async fn window_slides_slot_by_slot() {
        let b = RetryBudget::new(Duration::from_secs(10), 0, 1.0).unwrap();
        b.deposit(); // slot 0
        tokio::time::advance(Duration::from_secs(3)).await;
        b.deposit(); // slot 3
        assert_eq!(b.available(), 2);
        tokio::time::advance(Duration::from_secs(7)).await;
        assert_eq!(b.available(), 1, "the first deposit has expired");
        tokio::time::advance(Duration::from_secs(3)).await;
        assert_eq!(b.available(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn clones_share_the_balance() {
        let a = RetryBudget::new(Duration::from_secs(10), 0, 1.0).unwrap();
        let b = a.clone();
        a.deposit();
        assert!(b.try_withdraw());
        assert!(!a.try_withdraw());
    }

    #[test]
    fn rejects_bad_arguments() {
        assert!(matches!(
            RetryBudget::new(Duration::ZERO, 1, 0.2),
            Err(RetryPolicyError::InvalidBudgetWindow { .. })
        ));
        assert!(matches!(
            RetryBudget::new(Duration::from_secs(100_000), 1, 0.2),
            Err(RetryPolicyError::InvalidBudgetWindow { .. })
        ));
        for ratio in [f64::NAN, -0.1, 1_000.5, f64::INFINITY] {
            assert!(matches!(
                RetryBudget::new(Duration::from_secs(10), 1, ratio),
                Err(RetryPolicyError::InvalidBudgetRatio { .. })
            ));
        }
    }

    #[test]
    fn default_is_valid_and_debug_shows_settings() {
        let b = RetryBudget::default();
        assert_eq!(b.window(), Duration::from_secs(10));
        assert_eq!(b.min_retries_per_second(), 3);
        assert_eq!(b.retry_ratio(), 0.2);
        let dbg = format!("{b:?}");
        assert!(dbg.contains("available: 30"), "{dbg}");
    }
}
