//! OAuth 2.0 Protected Resource Metadata (RFC 9728): the JSON document an API
//! publishes at `/.well-known/oauth-protected-resource` so that clients (MCP
//! clients and agents among them) can find its authorization servers, and
//! the `resource_metadata` parameter that names it in `WWW-Authenticate`
//! challenges (RFC 9728 §5.1).
//!
//! - [`ProtectedResourceMetadata`] builds the document and its URL;
//! - the auth layers serve it themselves
//!   ([`BearerAuthLayer::serve_resource_metadata`](crate::layer::BearerAuthLayer::serve_resource_metadata),
//!   [`DpopAuthLayer::serve_resource_metadata`](crate::dpop::DpopAuthLayer::serve_resource_metadata):
//!   a `GET`/`HEAD` of the well-known path, without authentication);
//!   [`ProtectedResourceMetadataLayer`] serves it where no auth layer runs;
//! - [`BearerAuthLayer::resource_metadata`](crate::layer::BearerAuthLayer::resource_metadata)
//!   and [`DpopAuthLayer::resource_metadata`](crate::dpop::DpopAuthLayer::resource_metadata)
//!   put `resource_metadata="…"` in every challenge they send.
//!
//! # Example
//!
//! ```
//! use auth0_jwt::alg::Algorithm;
//! use auth0_jwt::resource_metadata::ProtectedResourceMetadata;
//!
//! let metadata = ProtectedResourceMetadata::builder("https://api.example.com/orders")
//!     .authorization_server("https://tenant.auth0.com/")
//!     .scopes_supported(["read:orders", "write:orders"])
//!     .dpop_signing_alg_values_supported([Algorithm::ES256])
//!     .build()?;
//! // RFC 9728 §3.1: the well-known segment goes between host and path.
//! assert_eq!(
//!     metadata.url(),
//!     "https://api.example.com/.well-known/oauth-protected-resource/orders"
//! );
//! assert_eq!(metadata.path(), "/.well-known/oauth-protected-resource/orders");
//! let json: serde_json::Value = serde_json::from_str(metadata.json())?;
//! assert_eq!(json["authorization_servers"][0], "https://tenant.auth0.com/");
//! assert_eq!(json["bearer_methods_supported"][0], "header");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use http::{Method, Request, Response, StatusCode, Uri};
use serde_json::{Map, Value};
use tower_layer::Layer;
use tower_service::Service;

use crate::alg::Algorithm;

/// The well-known path segment of RFC 9728 §3.
pub const WELL_KNOWN_PATH: &str = "/.well-known/oauth-protected-resource";

/// Why a [`ProtectedResourceMetadataBuilder`] could not build.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResourceMetadataError {
    /// The resource identifier is not an absolute `https` URL without query
    /// or fragment (RFC 9728 §1.2); plain `http` only for loopback hosts.
    #[error("the protected resource identifier is not usable: {reason}")]
    Resource {
        /// What is wrong.
        reason: &'static str,
    },
    /// An authorization server issuer identifier is not an absolute URL.
    #[error("an authorization server identifier is not an absolute URL")]
    AuthorizationServer,
}

/// The metadata document of one protected resource and the URL it is
/// served at. Cheap to clone.
#[derive(Clone)]
pub struct ProtectedResourceMetadata {
    inner: Arc<Inner>,
}

struct Inner {
    resource: String,
    url: String,
    path: String,
    json: String,
    /// `resource_metadata="…"` for challenges.
    challenge_attr: String,
}

impl fmt::Debug for ProtectedResourceMetadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProtectedResourceMetadata")
            .field("resource", &self.inner.resource)
            .field("url", &self.inner.url)
            .finish_non_exhaustive()
    }
}

impl ProtectedResourceMetadata {
    /// A builder for the resource `resource` (the API's identifier: an
    /// `https` URL, for an Auth0 API usually its audience).
    pub fn builder(resource: impl Into<String>) -> ProtectedResourceMetadataBuilder {
        ProtectedResourceMetadataBuilder {
            resource: resource.into(),
            authorization_servers: Vec::new(),
            jwks_uri: None,
            scopes: Vec::new(),
            dpop_algs: Vec::new(),
            dpop_required: None,
            resource_name: None,
            extra: Map::new(),
        }
    }

    /// The resource identifier (`resource`).
    pub fn resource(&self) -> &str {
        &self.inner.resource
    }

    /// The absolute URL of the document (RFC 9728 §3.1: the well-known
    /// segment inserted between the resource's host and path).
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// The path the document is served at.
    pub fn path(&self) -> &str {
        &self.inner.path
    }

    /// The document, as JSON text.
    pub fn json(&self) -> &str {
        &self.inner.json
    }

    /// `resource_metadata="<url>"`, for a `WWW-Authenticate` challenge.
    pub fn challenge_param(&self) -> &str {
        &self.inner.challenge_attr
    }

    /// A layer that answers `GET` (and `HEAD`) of [`path`](Self::path) with
    /// the document and passes every other request on.
    pub fn layer(&self) -> ProtectedResourceMetadataLayer {
        ProtectedResourceMetadataLayer {
            metadata: self.clone(),
        }
    }

    /// The response to a request for the document: `200` with the JSON for
    /// `GET`/`HEAD` of [`path`](Self::path), `None` for any other request.
    pub fn respond<B, R: From<String> + Default>(
        &self,
        request: &Request<B>,
    ) -> Option<Response<R>> {
        self.matches(request.method(), request.uri())
            .then(|| self.response(request.method() == Method::HEAD))
    }

    fn matches(&self, method: &Method, uri: &Uri) -> bool {
        (method == Method::GET || method == Method::HEAD) && uri.path() == self.inner.path
    }

    fn response<R: From<String> + Default>(&self, head: bool) -> Response<R> {
        self.response_with(head, R::from)
    }

    /// The document's response with the body made by `make` (the one place
    /// the response is built: this type's layer and the auth layers).
    fn response_with<R: Default>(&self, head: bool, make: impl FnOnce(String) -> R) -> Response<R> {
        let body = if head {
            R::default()
        } else {
            make(self.inner.json.clone())
        };
        let mut response = Response::new(body);
        *response.status_mut() = StatusCode::OK;
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(
            CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        );
        response
    }
}

/// The document as an auth layer serves it: for responses whose body type
/// is the `B` the layer was configured with (kept as a `fn(String) -> B`
/// behind `Any`, since the layers only require `B: Default`).
#[derive(Clone)]
pub(crate) struct MetadataServer {
    metadata: ProtectedResourceMetadata,
    make_body: Arc<dyn std::any::Any + Send + Sync>,
}

impl MetadataServer {
    pub(crate) fn new<B: From<String> + 'static>(metadata: &ProtectedResourceMetadata) -> Self {
        let make: fn(String) -> B = B::from;
        Self {
            metadata: metadata.clone(),
            make_body: Arc::new(make),
        }
    }

    /// The answer to `request` when it asks for the document and the
    /// response body type is the configured one.
    pub(crate) fn respond<Q, B: Default + 'static>(
        &self,
        request: &Request<Q>,
    ) -> Option<Response<B>> {
        if !self.metadata.matches(request.method(), request.uri()) {
            return None;
        }
        let make = self.make_body.downcast_ref::<fn(String) -> B>()?;
        Some(
            self.metadata
                .response_with(request.method() == Method::HEAD, make),
        )
    }
}

impl fmt::Debug for MetadataServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetadataServer")
            .field("url", &self.metadata.url())
            .finish_non_exhaustive()
    }
}

/// Builds a [`ProtectedResourceMetadata`]; from
/// [`ProtectedResourceMetadata::builder`].
#[must_use]
#[derive(Debug)]
pub struct ProtectedResourceMetadataBuilder {
    resource: String,
    authorization_servers: Vec<String>,
    jwks_uri: Option<String>,
    scopes: Vec<String>,
    dpop_algs: Vec<Algorithm>,
    dpop_required: Option<bool>,
    resource_name: Option<String>,
    extra: Map<String, Value>,
}

impl ProtectedResourceMetadataBuilder {
    /// Adds an authorization server's issuer identifier
    /// (`authorization_servers`), e.g. `https://tenant.auth0.com/`. Call it
    /// once per issuer (several custom domains).
    pub fn authorization_server(mut self, issuer: impl Into<String>) -> Self {
        self.authorization_servers.push(issuer.into());
        self
    }

    /// The resource's own JWKS (`jwks_uri`), if it signs responses; not the
    /// authorization server's.
    pub fn jwks_uri(mut self, uri: impl Into<String>) -> Self {
        self.jwks_uri = Some(uri.into());
        self
    }

    /// The scopes used to access the resource (`scopes_supported`).
    pub fn scopes_supported<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes.extend(scopes.into_iter().map(Into::into));
        self
    }

    /// The DPoP proof algorithms accepted (`dpop_signing_alg_values_supported`).
    pub fn dpop_signing_alg_values_supported(
        mut self,
        algorithms: impl IntoIterator<Item = Algorithm>,
    ) -> Self {
        self.dpop_algs.extend(algorithms);
        self
    }

    /// Whether only DPoP-bound access tokens are accepted
    /// (`dpop_bound_access_tokens_required`; omitted, i.e. `false`, by default).
    pub fn dpop_bound_access_tokens_required(mut self, required: bool) -> Self {
        self.dpop_required = Some(required);
        self
    }

    /// A human-readable name (`resource_name`).
    pub fn resource_name(mut self, name: impl Into<String>) -> Self {
        self.resource_name = Some(name.into());
        self
    }

    /// Any other member (RFC 9728 §2 allows extensions); the members this
    /// builder sets win over one of the same name.
    pub fn member(mut self, name: impl Into<String>, value: Value) -> Self {
        self.extra.insert(name.into(), value);
        self
    }

    /// Checks the identifiers and builds the document.
    ///
    /// # Errors
    ///
    /// [`ResourceMetadataError`] for a resource identifier that is not an
    /// absolute `https` URL without query or fragment (plain `http` only for
    /// loopback hosts), or an authorization server that is not absolute.
    pub fn build(self) -> Result<ProtectedResourceMetadata, ResourceMetadataError> {
        let bad = |reason| ResourceMetadataError::Resource { reason };
        if self.resource.contains(['?', '#']) {
            return Err(bad("it has a query or fragment"));
        }
        let uri: Uri = self.resource.parse().map_err(|_| bad("not a URL"))?;
        let authority = uri.authority().ok_or(bad("not an absolute URL"))?;
        let scheme = match uri.scheme_str() {
            Some("https") => "https",
            Some("http") if is_loopback(authority.host()) => "http",
            Some("http") => return Err(bad("it must use https")),
            _ => return Err(bad("not an absolute http(s) URL")),
        };
        for server in &self.authorization_servers {
            let ok = server
                .parse::<Uri>()
                .is_ok_and(|u| u.scheme().is_some() && u.authority().is_some());
            if !ok {
                return Err(ResourceMetadataError::AuthorizationServer);
            }
        }
        // RFC 9728 §3.1: a trailing `/` of the path is removed first.
        let resource_path = uri.path().trim_end_matches('/');
        let path = format!("{WELL_KNOWN_PATH}{resource_path}");
        let url = format!("{scheme}://{authority}{path}");

        let mut doc = self.extra;
        let strings = |v: &[String]| Value::Array(v.iter().cloned().map(Value::String).collect());
        doc.insert("resource".into(), Value::String(self.resource.clone()));
        if !self.authorization_servers.is_empty() {
            doc.insert(
                "authorization_servers".into(),
                strings(&self.authorization_servers),
            );
        }
        if let Some(jwks) = self.jwks_uri {
            doc.insert("jwks_uri".into(), Value::String(jwks));
        }
        if !self.scopes.is_empty() {
            doc.insert("scopes_supported".into(), strings(&self.scopes));
        }
        // Tokens are read from the Authorization header only (RFC 6750 §2.1).
        doc.insert(
            "bearer_methods_supported".into(),
            Value::Array(vec![Value::String("header".into())]),
        );
        if !self.dpop_algs.is_empty() {
            let algs: Vec<String> = self
                .dpop_algs
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect();
            doc.insert("dpop_signing_alg_values_supported".into(), strings(&algs));
        }
        if let Some(required) = self.dpop_required {
            doc.insert(
                "dpop_bound_access_tokens_required".into(),
                Value::Bool(required),
            );
        }
        if let Some(name) = self.resource_name {
            doc.insert("resource_name".into(), Value::String(name));
        }
        let json = Value::Object(doc).to_string();
        let challenge_attr = format!("resource_metadata={}", crate::layer::quoted_string(&url));
        Ok(ProtectedResourceMetadata {
            inner: Arc::new(Inner {
                resource: self.resource,
                url,
                path,
                json,
                challenge_attr,
            }),
        })
    }
}

/// `localhost`, `*.localhost`, 127.0.0.0/8 and `::1`.
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.to_ascii_lowercase().ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Serves a [`ProtectedResourceMetadata`] document; see
/// [`ProtectedResourceMetadata::layer`]. Put it outside the authentication
/// layer: the document is public (RFC 9728 §3).
///
/// ```
/// use std::convert::Infallible;
/// use auth0_jwt::resource_metadata::ProtectedResourceMetadata;
/// use http::{Request, Response};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let metadata = ProtectedResourceMetadata::builder("https://api.example.com")
///     .authorization_server("https://tenant.auth0.com/")
///     .build()?;
/// let api = service_fn(|_req: Request<()>| async { Ok::<_, Infallible>(Response::new(String::from("api"))) });
/// let service = metadata.layer().layer(api);
/// let request = Request::get("/.well-known/oauth-protected-resource").body(())?;
/// let response = service.oneshot(request).await?;
/// assert!(response.body().contains("\"resource\":\"https://api.example.com\""));
/// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ProtectedResourceMetadataLayer {
    metadata: ProtectedResourceMetadata,
}

impl<S> Layer<S> for ProtectedResourceMetadataLayer {
    type Service = ProtectedResourceMetadataService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ProtectedResourceMetadataService {
            inner,
            metadata: self.metadata.clone(),
        }
    }
}

/// The service of a [`ProtectedResourceMetadataLayer`].
#[derive(Debug, Clone)]
pub struct ProtectedResourceMetadataService<S> {
    inner: S,
    metadata: ProtectedResourceMetadata,
}

/// The future of a [`ProtectedResourceMetadataService`].
pub type MetadataFuture<F, B, E> = Either<Pin<Box<F>>, std::future::Ready<Result<Response<B>, E>>>;

/// One of two futures.
#[derive(Debug)]
pub enum Either<A, B> {
    /// The inner service's future.
    Inner(A),
    /// The layer's own answer.
    Answered(B),
}

impl<A, B, T> Future for Either<A, B>
where
    A: Future<Output = T> + Unpin,
    B: Future<Output = T> + Unpin,
{
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match self.get_mut() {
            Self::Inner(a) => Pin::new(a).poll(cx),
            Self::Answered(b) => Pin::new(b).poll(cx),
        }
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for ProtectedResourceMetadataService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: From<String> + Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = MetadataFuture<S::Future, ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        match self.metadata.respond(&request) {
            Some(response) => Either::Answered(std::future::ready(Ok(response))),
            None => Either::Inner(Box::pin(self.inner.call(request))),
        }
    }
}
