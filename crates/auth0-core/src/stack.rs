//! The default service stack, built in one place.
//!
//! In layers, outermost first:
//!
//! ```text
//! TraceLayer                     one `auth0.request` span per call (trace.rs)
//!  → DeadlineLayer(deadline)     whole call, retries and waits included
//!   → RetryLayer(policy)         429 / 5xx / connection errors, Retry-After
//!    → RateLimitLayer(limiter)   only when a client-side limiter is configured
//!     → TimeoutLayer(attempt)    one attempt: headers and body
//!      → TelemetryLayer          Auth0-Client, User-Agent, default headers
//!       → HttpTransport          pooled hyper + rustls, body size cap
//! ```
//!
//! The deadline, the client-side rate limiter and the attempt timeout are
//! enforced by the retry layer itself ([`RetryLayer::deadline`],
//! [`RetryLayer::rate_limiter`], [`RetryLayer::attempt_timeout`]): the same
//! limits and errors as the three layers, on one timer per call — the
//! limiter's waits count toward the deadline, not toward an attempt. The
//! stack that is built is `Trace → Retry(+deadline, +limiter, +attempt
//! timeout) → Telemetry → HttpTransport`: the telemetry headers are added
//! to each attempt below the retry layer (the same values every time), so
//! the copy the retry layer keeps of a request for a further attempt holds
//! only the call's own headers.
//!
//! Every layer is public, so a different arrangement (the table's, or your
//! own layer inside the retry layer) can be assembled by hand and given to
//! [`crate::client::ClientBuilder::from_service`].

use tower::ServiceBuilder;
use tower::util::BoxCloneSyncService;

use crate::config::ClientConfig;
use crate::error::ConfigError;
use crate::retry::RetryLayer;
use crate::telemetry::TelemetryLayer;
use crate::trace::TraceLayer;
use crate::transport::HttpTransport;
use crate::types::{BoxError, HttpRequest, HttpResponse, HttpService};

/// The type-erased default stack: cheap to clone, `Send + Sync`.
pub type DefaultService = BoxCloneSyncService<HttpRequest, HttpResponse, BoxError>;

/// Builds the default stack over the real network transport.
///
/// ```
/// use auth0_core::config::ClientConfig;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), auth0_core::error::ConfigError> {
/// let config = ClientConfig::new("tenant.auth0.com")?;
/// let service = auth0_core::stack::default_stack(&config)?;
/// # let _ = service;
/// # Ok(()) }
/// ```
pub fn default_stack(config: &ClientConfig) -> Result<DefaultService, ConfigError> {
    Ok(default_stack_over(config, HttpTransport::new(config)?))
}

/// Builds the default stack over any transport, e.g. a recorded or
/// in-memory one in tests. The transport sits where [`HttpTransport`] would.
pub fn default_stack_over<T>(config: &ClientConfig, transport: T) -> DefaultService
where
    T: HttpService + Sync,
{
    let trace = TraceLayer::new().record_path(config.trace_url_path());
    // Deadline, limiter and attempt timeout on the retry layer's one timer;
    // the telemetry headers (the same on every attempt) are added below it,
    // so its copy of the request for a retry does not carry them.
    let retry =
        RetryLayer::new(config.retry_policy().clone()).attempt_timeout(config.attempt_timeout());
    let retry = match config.deadline() {
        Some(deadline) => retry.deadline(deadline),
        None => retry,
    };
    let retry = match config.rate_limiter() {
        Some(limiter) => retry.rate_limiter(limiter.clone()),
        None => retry,
    };
    BoxCloneSyncService::new(
        ServiceBuilder::new()
            .layer(trace)
            .layer(retry)
            .layer(TelemetryLayer::from_config(config))
            .service(transport),
    )
}
