//! [`fleet_stack`]: auth0-core's default stack with the fleet's limiter in
//! the rate-limit slot.
//!
//! The same public layers in the same order as `auth0_core::stack`
//! (trace → deadline → retry → rate limit → attempt timeout → telemetry →
//! transport), with [`FleetRateLimitLayer`] where `RateLimitLayer` goes:
//! inside the retry layer, so every attempt takes a slot of the fleet's
//! budget and every `429` is published. The config's own `rate_limiter`
//! is not used: give the fallback with [`RedisRateLimiterBuilder::local`].
//!
//! [`RedisRateLimiterBuilder::local`]: crate::RedisRateLimiterBuilder::local

use auth0_core::config::ClientConfig;
use auth0_core::error::ConfigError;
use auth0_core::retry::RetryLayer;
use auth0_core::stack::DefaultService;
use auth0_core::telemetry::TelemetryLayer;
use auth0_core::timeout::{DeadlineLayer, TimeoutLayer};
use auth0_core::trace::TraceLayer;
use auth0_core::transport::HttpTransport;
use auth0_core::types::HttpService;
use tower::ServiceBuilder;

use crate::limit::{FleetRateLimitLayer, RedisRateLimiter};

/// The default stack over the network transport, paced by `limiter`; give
/// it to `ClientBuilder::from_service`.
///
/// ```no_run
/// use std::time::Duration;
/// use auth0_core::{ClientBuilder, ClientConfig};
/// use auth0_redis::{fleet_stack, Fleet, RedisRateLimiter};
///
/// let config = ClientConfig::new("tenant.eu.auth0.com")?;
/// let fleet = Fleet::builder("redis://10.0.0.5:6379/").build()?;
/// let limiter = RedisRateLimiter::builder(fleet, "tenant.eu.auth0.com")
///     .rate(40, Duration::from_secs(1))
///     .build()?;
/// let http = ClientBuilder::from_service(config.clone(), fleet_stack(&config, limiter)?).build()?;
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
pub fn fleet_stack(
    config: &ClientConfig,
    limiter: RedisRateLimiter,
) -> Result<DefaultService, ConfigError> {
    Ok(fleet_stack_over(
        config,
        HttpTransport::new(config)?,
        limiter,
    ))
}

/// [`fleet_stack`] over any transport.
pub fn fleet_stack_over<T>(
    config: &ClientConfig,
    transport: T,
    limiter: RedisRateLimiter,
) -> DefaultService
where
    T: HttpService + Sync,
{
    let stack = ServiceBuilder::new()
        .layer(TraceLayer::new().record_path(config.trace_url_path()))
        .option_layer(config.deadline().map(DeadlineLayer::new))
        .layer(RetryLayer::new(config.retry_policy().clone()))
        .layer(FleetRateLimitLayer::new(limiter))
        .layer(TimeoutLayer::new(config.attempt_timeout()))
        .layer(TelemetryLayer::from_config(config))
        .service(transport);
    DefaultService::new(stack)
}
