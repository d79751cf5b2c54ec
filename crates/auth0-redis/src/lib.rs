//! Fleet mode for auth0-rs: many instances of one service (replicas,
//! workers, serverless functions) share one machine-to-machine token and
//! the tenant's rate budget through Redis.
//!
//! - [`RedisTokenSource`] is an
//!   [`AccessTokenSource`](auth0_authentication::token_source::AccessTokenSource):
//!   the token is fetched once for the whole fleet under a lock with a
//!   lease, refreshed early, optionally sealed at rest with an AEAD key
//!   ([`SealingKey`]).
//! - [`RedisRateLimiter`] is the fleet's rate budget (a GCRA in one atomic
//!   Redis script) and the waits a `429` asks for, published to every
//!   instance; [`FleetRateLimitLayer`] puts it in the stack and
//!   [`fleet_stack`] builds the default stack with it.
//! - [`Fleet`] is the Redis handle all of them use: short timeouts, and on failure
//!   a fallback to local behaviour (the inner token source) that is visible
//!   as a `tracing` event and in [`Fleet::status`], until Redis answers
//!   again.
//!
//! See `docs/FLEET.md` for what is shared, the keys, and what happens on
//! failure.

mod error;
mod fleet;
// Fuzzing harnesses (`fuzz/` and tests/fuzz_corpus.rs); not a supported API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod limit;
mod seal;
mod stack;
mod token;

pub use error::FleetError;
pub use fleet::{Fleet, FleetBuilder, FleetStatus};
pub use limit::{FleetRateLimit, FleetRateLimitLayer, RedisRateLimiter, RedisRateLimiterBuilder};
pub use seal::SealingKey;
pub use stack::{fleet_stack, fleet_stack_over};
pub use token::{RedisTokenSource, RedisTokenSourceBuilder};
