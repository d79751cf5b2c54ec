//! [`FleetError`]: settings of the fleet-mode pieces that cannot work.

/// Why a [`Fleet`](crate::Fleet), [`RedisTokenSource`](crate::RedisTokenSource)
/// or [`RedisRateLimiter`](crate::RedisRateLimiter) was not built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FleetError {
    /// The Redis URL does not parse (expected
    /// `redis://[:password@]host:port/[db]`); `kind` is redis-rs' error
    /// kind (the URL itself is not repeated: it may hold a password).
    #[error("the Redis URL is invalid ({kind})")]
    InvalidUrl {
        /// redis-rs' error kind.
        kind: String,
    },
    /// The key prefix is empty: keys would collide with other data.
    #[error("the key prefix is empty")]
    EmptyPrefix,
    /// The Redis operation timeout is zero: every call would fall back.
    #[error("the Redis operation timeout is zero")]
    ZeroTimeout,
    /// A duration setting is zero or out of range (`what` names it).
    #[error("{what} must be positive and below a day")]
    InvalidDuration {
        /// The setting.
        what: &'static str,
    },
    /// A rate of zero requests, a zero period or a zero burst.
    #[error("the rate budget must allow at least one request per period")]
    ZeroRate,
}
