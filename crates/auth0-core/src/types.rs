//! The request and response types every layer of the stack speaks.
//!
//! Bodies are fully buffered [`Bytes`]: Auth0's APIs answer with small JSON
//! documents, and a buffered body can be replayed by the retry layer, capped
//! by size, and covered by the per-attempt timeout together with the headers.

use bytes::Bytes;
use tower_service::Service;

/// A request as it travels through the SDK's tower stack.
pub type HttpRequest = http::Request<Bytes>;

/// A response as it travels back up the SDK's tower stack, body already read.
pub type HttpResponse = http::Response<Bytes>;

/// The error type of services in the stack: any error, boxed.
///
/// [`crate::client::Auth0Client`] turns known errors (timeouts, body too
/// large, transport failures) back into typed [`crate::error::Error`]s.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The services the SDK's clients can sit on: any cloneable tower
/// [`Service`] from [`HttpRequest`] to [`HttpResponse`] whose errors box
/// into [`BoxError`] and whose futures can move between threads — the
/// default stack, the default stack wrapped in your layers, or a test
/// transport. Implemented for every such service; name it in bounds instead
/// of spelling the four conditions out.
///
/// ```
/// use auth0_core::types::HttpService;
/// fn takes_any_stack<S: HttpService>(_service: S) {}
/// # fn check(config: &auth0_core::ClientConfig) -> Result<(), auth0_core::ConfigError> {
/// takes_any_stack(auth0_core::stack::default_stack(config)?);
/// # Ok(()) }
/// ```
pub trait HttpService:
    Service<HttpRequest, Response = HttpResponse, Error: Into<BoxError>, Future: Send + 'static>
    + Clone
    + Send
    + 'static
{
}

impl<S> HttpService for S
where
    S: Service<HttpRequest, Response = HttpResponse> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
}

/// A hand-written future of the stack polled again after it returned its
/// answer (a bug of the caller; reported as an error, never a panic).
#[derive(Debug, thiserror::Error)]
#[error("a future of the HTTP stack was polled after it completed")]
pub(crate) struct PolledAfterCompletion;
