//! Exponential backoff with full jitter, and the jitter source behind it.
//!
//! Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"):
//! the n-th retry waits a uniformly random time in
//! `[0, min(cap, base · 2ⁿ)]`, which spreads clients out better than
//! adding a little noise to a fixed schedule.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Where the random fraction for full jitter comes from.
#[derive(Clone)]
pub(crate) enum Jitter {
    /// SplitMix64 over a shared atomic counter seeded from std's
    /// `RandomState` (randomly keyed per process). Not cryptographic — it
    /// only has to decorrelate clients.
    Random(Arc<AtomicU64>),
    /// A caller-supplied source of fractions, for deterministic tests.
    Custom(Arc<dyn Fn() -> f64 + Send + Sync>),
}

impl Jitter {
    pub(crate) fn random() -> Self {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(0x6175_7468_302d_7273); // "auth0-rs"
        Self::Random(Arc::new(AtomicU64::new(hasher.finish())))
    }

    /// A fraction in `[0, 1]`. A custom source's NaN counts as 0 and
    /// out-of-range values are clamped, so a faulty source cannot make a
    /// wait negative or longer than its ceiling.
    pub(crate) fn fraction(&self) -> f64 {
        match self {
            Self::Random(state) => {
                let x = splitmix64(state.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed));
                // The top 53 bits make a uniformly distributed f64 in [0, 1).
                (x >> 11) as f64 / (1u64 << 53) as f64
            }
            Self::Custom(f) => {
                let v = f();
                if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) }
            }
        }
    }
}

impl fmt::Debug for Jitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Random(_) => f.write_str("Jitter::Random"),
            Self::Custom(_) => f.write_str("Jitter::Custom"),
        }
    }
}

fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The ceiling of the `retry_index`-th wait (0 for the first retry):
/// `min(cap, base · 2^retry_index)`, saturating instead of overflowing.
pub(crate) fn ceiling(base: Duration, cap: Duration, retry_index: u32) -> Duration {
    let factor = 1u32.checked_shl(retry_index).unwrap_or(u32::MAX);
    base.saturating_mul(factor).min(cap)
}

/// A full-jitter wait: `fraction · ceiling`, never above `ceiling`.
pub(crate) fn full_jitter(ceiling: Duration, fraction: f64) -> Duration {
    Duration::try_from_secs_f64(ceiling.as_secs_f64() * fraction)
        .unwrap_or(ceiling)
        .min(ceiling)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_then_caps() {
        let base = Duration::from_millis(250);
        let cap = Duration::from_secs(10);
        let got: Vec<_> = (0..8).map(|n| ceiling(base, cap, n)).collect();
        let ms = |m| Duration::from_millis(m);
        assert_eq!(
            got,
            [
                ms(250),
                ms(500),
                ms(1000),
                ms(2000),
                ms(4000),
                ms(8000),
                ms(10_000),
                ms(10_000)
            ]
        );
        assert_eq!(ceiling(base, cap, 200), cap);
        assert_eq!(ceiling(Duration::MAX, Duration::MAX, 31), Duration::MAX);
    }

    #[test]
    fn full_jitter_stays_within_ceiling() {
        let c = Duration::from_secs(4);
        assert_eq!(full_jitter(c, 0.0), Duration::ZERO);
        assert_eq!(full_jitter(c, 0.5), Duration::from_secs(2));
        assert_eq!(full_jitter(c, 1.0), c);
        assert_eq!(full_jitter(Duration::MAX, 1.0), Duration::MAX);
    }

    #[test]
    fn random_fractions_are_in_range_and_vary() {
        let j = Jitter::random();
        let samples: Vec<f64> = (0..10_000).map(|_| j.fraction()).collect();
        assert!(samples.iter().all(|f| (0.0..1.0).contains(f)));
        let mean = samples.iter().sum::<f64>() / samples.len() as f64;
        assert!((0.45..0.55).contains(&mean), "mean {mean}");
        assert!(samples.iter().any(|f| *f < 0.1) && samples.iter().any(|f| *f > 0.9));
    }

    #[test]
    fn custom_fractions_are_sanitised() {
        assert_eq!(Jitter::Custom(Arc::new(|| f64::NAN)).fraction(), 0.0);
        assert_eq!(Jitter::Custom(Arc::new(|| -3.0)).fraction(), 0.0);
        assert_eq!(Jitter::Custom(Arc::new(|| 7.0)).fraction(), 1.0);
        assert_eq!(Jitter::Custom(Arc::new(|| 0.25)).fraction(), 0.25);
    }
}
