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
//! only the call's own headers. [`DefaultService`] holds that stack as its
//! concrete layers: a call's future is the layers' futures in place, with
//! no boxed future per call.
//!
//! Every layer is public, so a different arrangement (the table's, or your
//! own layer inside the retry layer) can be assembled by hand and given to
//! [`crate::client::ClientBuilder::from_service`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;
use tower::ServiceBuilder;
use tower::util::BoxCloneSyncService;
use tower_service::Service;

use crate::config::ClientConfig;
use crate::error::ConfigError;
use crate::retry::{Retry, RetryLayer};
use crate::telemetry::{Telemetry, TelemetryLayer};
use crate::trace::{Trace, TraceLayer};
use crate::transport::{self, HttpTransport};
use crate::types::{BoxError, HttpRequest, HttpResponse, HttpService};

/// A service of the stack's type, erased.
type Boxed = BoxCloneSyncService<HttpRequest, HttpResponse, BoxError>;

/// The future of a [`Boxed`] service.
type BoxedFuture = Pin<Box<dyn Future<Output = Result<HttpResponse, BoxError>> + Send>>;

/// The stack [`default_stack`] and [`default_stack_over`] build, as one
/// concrete type: each call's future is a plain value (no allocation, no
/// dynamic call per poll), not a boxed one.
type Layers = Trace<Retry<Telemetry<Transport>>>;

/// The service the SDK's clients run on by default ([`default_stack`]), or
/// any other service given to [`DefaultService::new`]: cheap to clone,
/// `Send + Sync`, one type whatever it holds, so it can be wrapped in your
/// own layers ([`ClientBuilder::with_layer`](crate::client::ClientBuilder::with_layer))
/// and named in the clients' types.
///
/// The default stack is held as its concrete layers: a call's future is
/// the layers' futures one inside the other, with no boxed future per call
/// (only a service given to [`DefaultService::new`], or a transport of
/// your own under the default layers, is called through a box).
///
/// ```
/// use auth0_core::config::ClientConfig;
/// use auth0_core::stack::DefaultService;
/// use auth0_core::types::{BoxError, HttpRequest, HttpResponse};
///
/// # fn main() -> Result<(), auth0_core::error::ConfigError> {
/// let config = ClientConfig::new("tenant.auth0.com")?;
/// let default = auth0_core::stack::default_stack(&config)?;
/// // Any other stack, under the same type.
/// let custom = DefaultService::new(tower::service_fn(|_req: HttpRequest| async {
///     Ok::<_, BoxError>(HttpResponse::new(bytes::Bytes::new()))
/// }));
/// let _both: [DefaultService; 2] = [default, custom];
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct DefaultService {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    Layers(Layers),
    Boxed(Boxed),
}

impl DefaultService {
    /// Any service from [`HttpRequest`] to [`HttpResponse`] under this type
    /// (as `tower::util::BoxCloneSyncService::new` would erase it): its
    /// futures are boxed.
    pub fn new<S>(service: S) -> Self
    where
        S: Service<HttpRequest, Response = HttpResponse> + Clone + Send + Sync + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
    {
        Self {
            inner: Inner::Boxed(boxed(service)),
        }
    }
}

fn boxed<S>(service: S) -> Boxed
where
    S: Service<HttpRequest, Response = HttpResponse> + Clone + Send + Sync + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    BoxCloneSyncService::new(tower::util::MapErr::new(service, Into::<BoxError>::into))
}

impl From<Boxed> for DefaultService {
    fn from(service: Boxed) -> Self {
        Self {
            inner: Inner::Boxed(service),
        }
    }
}

impl fmt::Debug for DefaultService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let held = match &self.inner {
            Inner::Layers(_) => "default layers",
            Inner::Boxed(_) => "boxed service",
        };
        f.debug_tuple("DefaultService").field(&held).finish()
    }
}

impl Service<HttpRequest> for DefaultService {
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        match &mut self.inner {
            Inner::Layers(layers) => layers.poll_ready(cx),
            Inner::Boxed(boxed) => boxed.poll_ready(cx),
        }
    }

    fn call(&mut self, req: HttpRequest) -> Self::Future {
        match &mut self.inner {
            Inner::Layers(layers) => ResponseFuture {
                inner: Calling::Layers {
                    future: layers.call(req),
                },
            },
            Inner::Boxed(boxed) => ResponseFuture {
                inner: Calling::Boxed {
                    future: boxed.call(req),
                },
            },
        }
    }
}

pin_project! {
    /// The future of a [`DefaultService`] call: the default layers'
    /// futures in place, or a boxed service's future.
    pub struct ResponseFuture {
        #[pin]
        inner: Calling,
    }
}

pin_project! {
    #[project = CallingProj]
    enum Calling {
        Layers { #[pin] future: <Layers as Service<HttpRequest>>::Future },
        Boxed { future: BoxedFuture },
    }
}

impl Future for ResponseFuture {
    type Output = Result<HttpResponse, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().inner.project() {
            CallingProj::Layers { future } => future.poll(cx),
            CallingProj::Boxed { future } => future.as_mut().poll(cx),
        }
    }
}

impl fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

/// The transport under the default layers: the network one, or any other
/// ([`default_stack_over`]) behind a box.
#[derive(Clone)]
enum Transport {
    Http(HttpTransport),
    Boxed(Boxed),
}

impl Service<HttpRequest> for Transport {
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = TransportFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        match self {
            Transport::Http(http) => http.poll_ready(cx),
            Transport::Boxed(boxed) => boxed.poll_ready(cx),
        }
    }

    fn call(&mut self, req: HttpRequest) -> Self::Future {
        match self {
            Transport::Http(http) => TransportFuture::Http {
                future: http.call(req),
            },
            Transport::Boxed(boxed) => TransportFuture::Boxed {
                future: boxed.call(req),
            },
        }
    }
}

pin_project! {
    #[project = TransportProj]
    enum TransportFuture {
        Http { #[pin] future: transport::ResponseFuture },
        Boxed { future: BoxedFuture },
    }
}

impl Future for TransportFuture {
    type Output = Result<HttpResponse, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            TransportProj::Http { future } => future.poll(cx),
            TransportProj::Boxed { future } => future.as_mut().poll(cx),
        }
    }
}

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
    Ok(layers(config, Transport::Http(HttpTransport::new(config)?)))
}

/// Builds the default stack over any transport, e.g. a recorded or
/// in-memory one in tests. The transport sits where [`HttpTransport`] would.
pub fn default_stack_over<T>(config: &ClientConfig, transport: T) -> DefaultService
where
    T: HttpService + Sync,
{
    layers(config, Transport::Boxed(boxed(transport)))
}

fn layers(config: &ClientConfig, transport: Transport) -> DefaultService {
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
    DefaultService {
        inner: Inner::Layers(
            ServiceBuilder::new()
                .layer(trace)
                .layer(retry)
                .layer(TelemetryLayer::from_config(config))
                .service(transport),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shareable<T: Clone + Send + Sync + 'static>() {}
    fn sendable<T: Send + 'static>() {}

    #[test]
    fn the_default_service_is_shareable_and_its_future_sendable() {
        shareable::<DefaultService>();
        sendable::<ResponseFuture>();
    }

    #[tokio::test]
    async fn a_boxed_service_answers_under_the_same_type() {
        use tower::ServiceExt as _;
        let config = ClientConfig::new("tenant.auth0.com").unwrap();
        let fake = tower::service_fn(|req: HttpRequest| async move {
            let mut res = HttpResponse::new(bytes::Bytes::from_static(b"{}"));
            *res.status_mut() = http::StatusCode::ACCEPTED;
            res.headers_mut()
                .insert("x-path", req.uri().path().parse().unwrap());
            Ok::<_, BoxError>(res)
        });
        let services = [
            DefaultService::new(fake),
            DefaultService::from(BoxCloneSyncService::new(fake)),
            default_stack_over(&config, fake),
        ];
        for service in services {
            let req = http::Request::get("https://tenant.auth0.com/api/v2/roles")
                .body(bytes::Bytes::new())
                .unwrap();
            let res = service.oneshot(req).await.unwrap();
            assert_eq!(res.status(), http::StatusCode::ACCEPTED);
            assert_eq!(res.headers()["x-path"], "/api/v2/roles");
        }
    }
}
