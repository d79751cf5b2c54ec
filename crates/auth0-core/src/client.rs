//! [`Auth0Client`]: sends requests through the service stack and maps
//! answers to typed results.
//!
//! The client is generic over its service so that the API crates can run on
//! the default stack, on the default stack with extra layers, or on a fully
//! custom service (a test transport, a different retry arrangement).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use http::uri::Authority;
use http::{Method, Request, Uri};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use pin_project_lite::pin_project;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tower_layer::Layer;
use tower_service::Service;

use crate::config::{ClientConfig, Domain};
use crate::error::{ConfigError, Error};
use crate::response::ApiResponse;
use crate::retry::RebuildRequest;
use crate::secrets::Secrets;
use crate::stack::{DefaultService, default_stack, default_stack_over};
use crate::trace::Operation;
use crate::types::{BoxError, HttpRequest, HttpResponse, HttpService, PolledAfterCompletion};

const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
const FORM_URLENCODED: HeaderValue = HeaderValue::from_static("application/x-www-form-urlencoded");

/// The HTTP client every SDK call goes through.
///
/// Cheap to clone: clones share the configuration, the connection pool, the
/// rate limiter and the retry budget.
///
/// ```no_run
/// use auth0_core::client::Auth0Client;
/// use auth0_core::config::ClientConfig;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), auth0_core::error::Error> {
/// let client = Auth0Client::new(ClientConfig::new("tenant.eu.auth0.com")?)?;
/// let jwks = client
///     .get_json::<serde_json::Value>("/.well-known/jwks.json")
///     .await?;
/// println!("{} keys, {:?} requests left", jwks.data["keys"].as_array().map_or(0, Vec::len), jwks.rate_limit().remaining);
/// # Ok(()) }
/// ```
pub struct Auth0Client<S = DefaultService> {
    config: Arc<ClientConfig>,
    service: S,
    /// A clone of `service` that calls reuse: taken by a call, given back
    /// once the call has started, so a call costs no clone of the stack
    /// (a boxed stack's clone is an allocation). Calls that overlap the
    /// taking clone `service` instead.
    idle: Arc<Mutex<Option<S>>>,
    /// The default stack over the network transport, nothing added
    /// ([`ClientBuilder::new`] without [`ClientBuilder::with_layer`]): no
    /// layer of the caller's sees the requests, so the [`Operation`] of
    /// [`Auth0Client::send_operation`] goes to the trace layer without an
    /// extension (see there).
    default_stack_only: bool,
}

impl<S: Clone> Clone for Auth0Client<S> {
    fn clone(&self) -> Self {
        Self {
            config: Arc::clone(&self.config),
            service: self.service.clone(),
            idle: Arc::clone(&self.idle),
            default_stack_only: self.default_stack_only,
        }
    }
}

impl<S> fmt::Debug for Auth0Client<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth0Client")
            .field("config", &self.config)
            .field("service", &std::any::type_name::<S>())
            .finish()
    }
}

impl Auth0Client {
    /// A client on the default stack.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        Self::builder(config).build()
    }

    /// Starts a builder on the default stack, to add layers with
    /// [`ClientBuilder::with_layer`].
    pub fn builder(config: ClientConfig) -> ClientBuilder<DefaultService> {
        ClientBuilder::new(config)
    }
}

impl<S> Auth0Client<S> {
    /// The configured domain.
    pub fn domain(&self) -> &Domain {
        self.config.domain()
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The service requests are sent through.
    pub fn service(&self) -> &S {
        &self.service
    }
}

impl<S: HttpService> Auth0Client<S> {
    /// Sends a request as is and returns the response whatever its status.
    ///
    /// A relative URI (`/api/v2/users?page=0`) is resolved against the
    /// domain; an absolute one is sent unchanged (plain `http://` only to
    /// allowed loopback hosts).
    ///
    /// ```no_run
    /// # use auth0_core::client::Auth0Client;
    /// # use auth0_core::config::ClientConfig;
    /// # async fn f(client: Auth0Client) -> Result<(), auth0_core::error::Error> {
    /// let request = http::Request::get("/api/v2/stats/active-users")
    ///     .body(bytes::Bytes::new())
    ///     .map_err(|e| auth0_core::error::Error::InvalidRequest { reason: e.to_string(), source: None })?;
    /// let response = client.send(request).await?;
    /// println!("{}", response.status());
    /// # Ok(()) }
    /// ```
    ///
    /// The request's credentials — its sensitive headers, the values of
    /// secret-named body fields, anything in a [`Secrets`] extension the
    /// caller attached — are recorded in a [`Secrets`] set that is put in
    /// the response's extensions, where [`Error::from_response`] and
    /// [`decode_body`] find it to scrub them from error text. A request
    /// whose body is rebuilt for each attempt
    /// ([`RebuildRequest`]) carries the set down
    /// the stack, and the retry layer adds every rebuilt body and sensitive header to it.
    ///
    /// The returned future holds the request once and the stack's future,
    /// nothing else: it is the state every SDK call carries. Nothing is
    /// sent before it is polled; it drives an instance of the service to
    /// readiness and calls it (reusing one instance across calls instead of
    /// cloning the stack for each).
    pub fn send(
        &self,
        request: HttpRequest,
    ) -> impl Future<Output = Result<HttpResponse, Error>> + Send + use<S> {
        self.start(request, None)
    }

    /// [`Auth0Client::send`] for an API operation: the same as inserting
    /// `operation` (when `Some`) in the request's extensions and sending
    /// it, which is
    /// what this does whenever a layer of yours (or your transport or
    /// service) could read them. On the default stack with nothing added
    /// ([`Auth0Client::new`], [`ClientBuilder::new`]) only the trace layer
    /// reads the [`Operation`] (for the `auth0.request` span), so it is
    /// handed to that layer directly, on this thread as the stack is
    /// called, and the request goes without an extension map — and the
    /// retry layer's copy of it without one either.
    ///
    /// ```no_run
    /// use auth0_core::trace::Operation;
    /// # async fn f(client: auth0_core::Auth0Client) -> Result<(), auth0_core::Error> {
    /// let request = http::Request::get("/api/v2/users/auth0%7C1")
    ///     .body(bytes::Bytes::new())
    ///     .map_err(|e| auth0_core::Error::InvalidRequest { reason: e.to_string(), source: None })?;
    /// let response = client
    ///     .send_operation(request, Some(Operation::new("users_get", "/api/v2/users/{id}")))
    ///     .await?;
    /// # let _ = response;
    /// # Ok(()) }
    /// ```
    pub fn send_operation(
        &self,
        mut request: HttpRequest,
        operation: Option<Operation>,
    ) -> impl Future<Output = Result<HttpResponse, Error>> + Send + use<S> {
        match operation {
            Some(operation) if !self.default_stack_only => {
                request.extensions_mut().insert(operation);
                self.start(request, None)
            }
            operation => self.start(request, operation),
        }
    }

    /// The future of one call; `operation` is handed to the trace layer
    /// as the stack is called (only on the default stack alone).
    fn start(&self, mut request: HttpRequest, operation: Option<Operation>) -> SendFuture<S> {
        match self.prepare(&mut request) {
            Ok((secrets, authority)) => {
                // A poisoned lock still holds a whole `Option<S>`.
                let reused = self
                    .idle
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                let service = reused.unwrap_or_else(|| self.service.clone());
                SendFuture::Calling {
                    call: Call::Readying {
                        service: Some(service),
                        request: Some(request),
                        idle: Arc::clone(&self.idle),
                        operation,
                    },
                    secrets: Some(secrets),
                    authority,
                }
            }
            Err(error) => SendFuture::Failed { error: Some(error) },
        }
    }

    /// Makes `request` the one that enters the stack (its URI resolved,
    /// in place: the request is not moved), and returns its [`Secrets`]
    /// and its authority (to name the server in a transport error).
    fn prepare(&self, request: &mut HttpRequest) -> Result<(Secrets, Option<Authority>), Error> {
        let uri = std::mem::take(request.uri_mut());
        *request.uri_mut() = self.config.domain().resolve(uri)?;
        let extensions = request.extensions_mut();
        let secrets = match extensions.get::<Secrets>() {
            Some(s) => s.clone(),
            None => {
                let s = Secrets::new();
                // Only the retry layer adds to the set on the way down, and
                // only for a rebuilt request: other requests go without it
                // (one extension fewer to clone per attempt).
                if extensions.get::<RebuildRequest>().is_some() {
                    extensions.insert(s.clone());
                }
                s
            }
        };
        secrets.record_headers(request.headers());
        secrets.record_body(request.body());
        // A reference count, not a copy of the text.
        let authority = request.uri().authority().cloned();
        Ok((secrets, authority))
    }

    /// `GET`s JSON and decodes it into `T`. Error statuses become
    /// [`Error::Api`], [`Error::RateLimited`] or [`Error::MfaRequired`].
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        uri: impl AsRef<str>,
    ) -> Result<ApiResponse<T>, Error> {
        self.request_json::<T>(Method::GET, uri, None::<&()>).await
    }

    /// Sends a JSON request (body serialised when given) and decodes a JSON
    /// answer into `T`. An empty answer (e.g. `204`) decodes as JSON `null`,
    /// so `T = ()` or `Option<_>` fit it.
    ///
    /// ```no_run
    /// # use auth0_core::client::Auth0Client;
    /// # async fn f(client: Auth0Client) -> Result<(), auth0_core::error::Error> {
    /// let body = serde_json::json!({ "name": "ops" });
    /// let created = client
    ///     .request_json::<serde_json::Value>(http::Method::POST, "/api/v2/roles", Some(&body))
    ///     .await?;
    /// # let _ = created;
    /// # Ok(()) }
    /// ```
    pub async fn request_json<T: DeserializeOwned>(
        &self,
        method: Method,
        uri: impl AsRef<str>,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<ApiResponse<T>, Error> {
        let mut request = new_request(method, uri.as_ref())?;
        if let Some(body) = body {
            let json = serde_json::to_vec(body).map_err(|e| Error::InvalidRequest {
                reason: "the request body could not be serialised to JSON".to_owned(),
                source: Some(Box::new(e)),
            })?;
            *request.body_mut() = Bytes::from(json);
            request.headers_mut().insert(CONTENT_TYPE, APPLICATION_JSON);
        }
        let response = self.send(request).await?;
        decode_json(response)
    }

    /// `POST`s `application/x-www-form-urlencoded` fields (as the
    /// Authentication API's `/oauth/token` expects) and decodes a JSON answer.
    ///
    /// Field values are typically secrets; they are never logged or shown.
    ///
    /// ```no_run
    /// # use auth0_core::client::Auth0Client;
    /// # async fn f(client: Auth0Client) -> Result<(), auth0_core::error::Error> {
    /// let token = client
    ///     .post_form::<serde_json::Value>("/oauth/token", &[
    ///         ("grant_type", "client_credentials"),
    ///         ("client_id", "abc"),
    ///         ("client_secret", "…"),
    ///         ("audience", "https://tenant.auth0.com/api/v2/"),
    ///     ])
    ///     .await?;
    /// # let _ = token;
    /// # Ok(()) }
    /// ```
    pub async fn post_form<T: DeserializeOwned>(
        &self,
        uri: impl AsRef<str>,
        fields: &[(&str, &str)],
    ) -> Result<ApiResponse<T>, Error> {
        let mut request = new_request(Method::POST, uri.as_ref())?;
        *request.body_mut() = Bytes::from(form_urlencode(fields.iter().copied()));
        request.headers_mut().insert(CONTENT_TYPE, FORM_URLENCODED);
        let response = self.send(request).await?;
        decode_json(response)
    }
}

fn new_request(method: Method, uri: &str) -> Result<HttpRequest, Error> {
    let uri: Uri = uri.parse().map_err(|_| {
        Error::Config(ConfigError::InvalidPath {
            path: crate::config::truncate_for_display(uri),
        })
    })?;
    let mut request = Request::new(Bytes::new());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    request.headers_mut().insert(ACCEPT, APPLICATION_JSON);
    Ok(request)
}

/// Maps an error status, or decodes the body as JSON.
fn decode_json<T: DeserializeOwned>(response: HttpResponse) -> Result<ApiResponse<T>, Error> {
    let status = response.status();
    if status.is_client_error() || status.is_server_error() {
        return Err(Error::from_response(&response));
    }
    let data = decode_body::<T>(&response)?;
    let (parts, _) = response.into_parts();
    Ok(ApiResponse::new(data, status, parts.headers))
}

/// Decodes a response's JSON body into `T` (an empty body decodes as JSON
/// `null`, so `()` and `Option<_>` fit it). The one body decoder of the
/// SDK: a failure is [`Error::Decode`] built by
/// [`Error::decode_failure`], so neither its snippet nor its source shows a
/// secret the request sent or a secret-named value of the body.
///
/// ```
/// let resp = http::Response::new(bytes::Bytes::from_static(br#"{"n":1}"#));
/// let v: serde_json::Value = auth0_core::client::decode_body(&resp)?;
/// assert_eq!(v["n"], 1);
/// # Ok::<(), auth0_core::Error>(())
/// ```
pub fn decode_body<T: DeserializeOwned>(response: &HttpResponse) -> Result<T, Error> {
    let body = response.body();
    let bytes: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        body
    };
    serde_json::from_slice::<T>(bytes).map_err(|e| Error::decode_failure(response, &e))
}

/// The bytes [`percent_encode_into`] escapes: everything but RFC 3986's
/// unreserved characters (`A-Z a-z 0-9 - . _ ~`).
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// RFC 3986's unreserved bytes, by value (one load per byte of an id).
const UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~');
        b += 1;
    }
    table
};

/// RFC 3986 percent-encoding, appended to `out`: the unreserved characters
/// (`A-Z a-z 0-9 - . _ ~`) stay, every other byte of the UTF-8 text becomes
/// `%XX`. Safe for a path segment (an id such as `auth0|1` or `a/b` stays
/// one segment) and for a query value. The SDK's one percent-encoder (the
/// `percent-encoding` crate with the unreserved set).
///
/// ```
/// let mut s = String::new();
/// auth0_core::client::percent_encode_into(&mut s, "a b&c=d/é~|");
/// assert_eq!(s, "a%20b%26c%3Dd%2F%C3%A9~%7C");
/// ```
pub fn percent_encode_into(out: &mut String, text: &str) {
    // Most ids and names need no escape at all: one copy, no iterator.
    if text.bytes().all(|b| UNRESERVED[usize::from(b)]) {
        out.push_str(text);
    } else {
        out.extend(utf8_percent_encode(text, NOT_UNRESERVED));
    }
}

/// Encodes fields as `application/x-www-form-urlencoded` (WHATWG URL
/// standard, by the `form_urlencoded` crate): `*-._` and ASCII alphanumerics
/// stay, space becomes `+`, everything else is `%XX` of its UTF-8 bytes.
///
/// ```
/// use auth0_core::client::form_urlencode;
/// assert_eq!(
///     form_urlencode([("a b", "x&y=z"), ("e", "é+/")]),
///     "a+b=x%26y%3Dz&e=%C3%A9%2B%2F"
/// );
/// ```
pub fn form_urlencode<'a>(fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    form_urlencode_into(&mut out, fields);
    out
}

/// [`form_urlencode`], appended to `out` (a query string built in the
/// buffer that already holds its path). What follows `out`'s current end
/// is the encoded fields, `&`-separated.
///
/// ```
/// let mut uri = String::from("/api/v2/users?");
/// auth0_core::client::form_urlencode_into(&mut uri, [("q", "a b"), ("page", "2")]);
/// assert_eq!(uri, "/api/v2/users?q=a+b&page=2");
/// ```
pub fn form_urlencode_into<'a>(
    out: &mut String,
    fields: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    let start = out.len();
    form_urlencoded::Serializer::for_suffix(out, start)
        .extend_pairs(fields)
        .finish();
}

pin_project! {
    /// The future of [`Auth0Client::send`]: the stack's call, then the
    /// error mapping and the [`Secrets`] put on the response. Written by
    /// hand (not an `async` block) so it holds the request once.
    #[project = SendProj]
    enum SendFuture<S: Service<HttpRequest>> {
        Failed { error: Option<Error> },
        Calling {
            #[pin]
            call: Call<S>,
            secrets: Option<Secrets>,
            authority: Option<Authority>,
        },
    }
}

pin_project! {
    /// One call of the service: driven to readiness, called, and given
    /// back to the client's idle slot (what `ServiceExt::oneshot` does,
    /// without giving the instance up).
    #[project = CallProj]
    enum Call<S: Service<HttpRequest>> {
        Readying {
            service: Option<S>,
            request: Option<HttpRequest>,
            idle: Arc<Mutex<Option<S>>>,
            // For the trace layer of the default stack (`send_operation`).
            operation: Option<Operation>,
        },
        Calling {
            #[pin]
            future: S::Future,
        },
    }
}

impl<S> Future for Call<S>
where
    S: Service<HttpRequest, Response = HttpResponse>,
    S::Error: Into<BoxError>,
{
    type Output = Result<HttpResponse, BoxError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            match self.as_mut().project() {
                CallProj::Readying {
                    service,
                    request,
                    idle,
                    operation,
                } => {
                    let Some(svc) = service.as_mut() else {
                        return Poll::Ready(Err(Box::new(PolledAfterCompletion)));
                    };
                    if let Err(e) = ready!(svc.poll_ready(cx)) {
                        // A failed instance is not reused.
                        service.take();
                        return Poll::Ready(Err(e.into()));
                    }
                    let (Some(mut svc), Some(req)) = (service.take(), request.take()) else {
                        return Poll::Ready(Err(Box::new(PolledAfterCompletion)));
                    };
                    let future = crate::trace::calling(*operation, || svc.call(req));
                    // Given back for the next call (which drives it to
                    // readiness again), unless another call did so first.
                    let mut slot = idle.lock().unwrap_or_else(PoisonError::into_inner);
                    if slot.is_none() {
                        *slot = Some(svc);
                    }
                    drop(slot);
                    self.set(Call::Calling { future });
                }
                CallProj::Calling { future } => {
                    return future.poll(cx).map_err(Into::into);
                }
            }
        }
    }
}

impl<S> Future for SendFuture<S>
where
    S: Service<HttpRequest, Response = HttpResponse>,
    S::Error: Into<BoxError>,
{
    type Output = Result<HttpResponse, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            SendProj::Failed { error } => {
                Poll::Ready(Err(error.take().unwrap_or_else(|| Error::InvalidRequest {
                    reason: "the request was polled after it completed".to_owned(),
                    source: None,
                })))
            }
            SendProj::Calling {
                call,
                secrets,
                authority,
            } => {
                let outcome = ready!(call.poll(cx));
                Poll::Ready(match outcome {
                    Ok(mut response) => {
                        if let Some(secrets) = secrets.take() {
                            response.extensions_mut().insert(secrets);
                        }
                        Ok(response)
                    }
                    Err(e) => {
                        let error = Error::from_service_error(e);
                        Err(match authority {
                            Some(authority) => error.for_host(authority.as_str()),
                            None => error,
                        })
                    }
                })
            }
        }
    }
}

/// Assembles an [`Auth0Client`]: the default stack plus user layers, or a
/// custom service.
///
/// Layers added with [`ClientBuilder::with_layer`] wrap the stack built so
/// far, so they run *outside* (before) the default stack and see each call
/// once, not each retry.
///
/// ```
/// use auth0_core::client::Auth0Client;
/// use auth0_core::config::ClientConfig;
/// use auth0_core::types::HttpRequest;
/// use tower::util::MapRequestLayer;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), auth0_core::error::Error> {
/// let client = Auth0Client::builder(ClientConfig::new("tenant.auth0.com")?)
///     .with_layer(MapRequestLayer::new(|mut req: HttpRequest| {
///         req.headers_mut().insert("x-tenant-region", http::HeaderValue::from_static("eu"));
///         req
///     }))
///     .build()?;
/// # let _ = client;
/// # Ok(()) }
/// ```
#[must_use]
pub struct ClientBuilder<S> {
    config: ClientConfig,
    service: Result<S, ConfigError>,
    /// Built by [`ClientBuilder::new`], no layer added.
    default_stack_only: bool,
}

impl<S> fmt::Debug for ClientBuilder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("config", &self.config)
            .field("service", &std::any::type_name::<S>())
            .finish()
    }
}

impl ClientBuilder<DefaultService> {
    /// The default stack over the network transport.
    pub fn new(config: ClientConfig) -> Self {
        let service = default_stack(&config);
        Self {
            config,
            service,
            default_stack_only: true,
        }
    }

    /// The default stack (deadline, retry, rate limit, timeout, telemetry)
    /// over a transport of your own, e.g. an in-memory fake in tests.
    pub fn with_transport<T>(config: ClientConfig, transport: T) -> Self
    where
        T: HttpService + Sync,
    {
        let service = Ok(default_stack_over(&config, transport));
        Self {
            config,
            service,
            default_stack_only: false,
        }
    }
}

impl<S> ClientBuilder<S> {
    /// Uses `service` as the whole stack: nothing is added to it. The
    /// configuration still provides the domain for relative URIs.
    pub fn from_service(config: ClientConfig, service: S) -> Self {
        Self {
            config,
            service: Ok(service),
            default_stack_only: false,
        }
    }

    /// Wraps the stack built so far in `layer`.
    pub fn with_layer<L: Layer<S>>(self, layer: L) -> ClientBuilder<L::Service> {
        ClientBuilder {
            config: self.config,
            service: self.service.map(|s| layer.layer(s)),
            default_stack_only: false,
        }
    }

    /// Finishes the client. Fails when the default transport could not be
    /// set up (TLS configuration).
    pub fn build(self) -> Result<Auth0Client<S>, Error> {
        Ok(Auth0Client {
            config: Arc::new(self.config),
            service: self.service?,
            idle: Arc::new(Mutex::new(None)),
            default_stack_only: self.default_stack_only,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding() {
        assert_eq!(form_urlencode([]), "");
        assert_eq!(form_urlencode([("k", "")]), "k=");
        assert_eq!(
            form_urlencode([("scope", "openid profile"), ("x", "~!'()")]),
            "scope=openid+profile&x=%7E%21%27%28%29"
        );
        assert_eq!(form_urlencode([("p", "%+\n")]), "p=%25%2B%0A");
    }

    #[test]
    fn unreserved_table_matches_the_encoder_set() {
        for b in 0..=255u8 {
            let mut out = String::new();
            let text = [b];
            // Only ASCII is a `str` of one byte; the rest is checked by its
            // table entry alone (never unreserved).
            match std::str::from_utf8(&text) {
                Ok(text) => {
                    percent_encode_into(&mut out, text);
                    assert_eq!(UNRESERVED[usize::from(b)], out == text, "{b:#x}");
                }
                Err(_) => assert!(!UNRESERVED[usize::from(b)], "{b:#x}"),
            }
        }
    }

    #[test]
    fn decode_empty_body_as_null() {
        let resp = http::Response::builder()
            .status(204)
            .body(Bytes::new())
            .unwrap();
        let out: ApiResponse<()> = decode_json(resp).unwrap();
        assert_eq!(out.status, http::StatusCode::NO_CONTENT);
    }

    #[test]
    fn decode_error_has_status_and_snippet() {
        let resp = http::Response::builder()
            .status(200)
            .body(Bytes::from_static(b"{not json"))
            .unwrap();
        let err = decode_json::<serde_json::Value>(resp).unwrap_err();
        match err {
            Error::Decode {
                status,
                body_snippet,
                ..
            } => {
                assert_eq!(status, http::StatusCode::OK);
                assert_eq!(body_snippet, "{not json");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
