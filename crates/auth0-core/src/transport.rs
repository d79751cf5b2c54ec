//! The bottom of the stack: a pooled hyper client over rustls.
//!
//! [`HttpTransport`] sends an [`HttpRequest`] and reads the whole response
//! body into [`Bytes`], refusing bodies over the configured cap while
//! reading (and up front when `Content-Length` already says so). TLS uses
//! rustls with the *ring* provider (or the application's process-wide default,
//! see [`crypto_provider`]) and the Mozilla (webpki) roots; HTTP/2 is
//! negotiated by ALPN, HTTP/1.1 otherwise. Plain HTTP is refused except to
//! loopback hosts when the configuration allows it. Proxies are reached with
//! an HTTP `CONNECT` tunnel. A configured
//! [`ClientCertificate`](crate::config::ClientCertificate) is presented to
//! servers that ask for one (mutual TLS, RFC 8705).
//!
//! Every clone shares one connection pool.

mod pool;
mod ring_provider;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::Uri;
use http::uri::{Authority, Scheme};
use http_body::Body as _;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower::ServiceExt as _;
use tower_service::Service;

use crate::config::{ClientConfig, ProxyConfig, is_loopback};
use crate::error::ConfigError;
use crate::streaming::StreamBody;
use crate::timeout::{Elapsed, TimeoutKind};
use crate::types::{BoxError, HttpRequest, HttpResponse, PolledAfterCompletion};

/// Request extension: a response-body limit for this one request, in bytes.
///
/// [`HttpTransport`] stops reading the body as soon as it passes the
/// smaller of this and the client's own cap
/// ([`ClientConfigBuilder::max_response_body`](crate::config::ClientConfigBuilder::max_response_body))
/// — up front when `Content-Length` already says so — and fails with
/// [`TransportError::BodyTooLarge`] (reported as
/// [`Error::BodyTooLarge`](crate::error::Error::BodyTooLarge)) carrying the
/// limit that applied. Use it for small documents fetched from a server you
/// do not fully trust (a JWKS, an OpenID discovery document), so a hostile or
/// broken answer costs at most this much memory and reading time. It can only
/// lower the client's cap, never raise it. A custom transport installed with
/// `ClientBuilder::from_service` sees the extension too and may honour it.
///
/// # Example
///
/// ```
/// use auth0_core::transport::BodyLimit;
/// use auth0_core::types::HttpRequest;
/// use bytes::Bytes;
///
/// let mut request = HttpRequest::new(Bytes::new());
/// request.extensions_mut().insert(BodyLimit(64 * 1024));
/// assert_eq!(request.extensions().get::<BodyLimit>(), Some(&BodyLimit(64 * 1024)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BodyLimit(pub usize);

/// Request extension: the response-body limit for this one request
/// *instead of* the client's cap, higher or lower (and ahead of any
/// [`BodyLimit`]).
///
/// For a download the caller knows to be large: a users export file
/// (auth0-management's `download_users_export`, streamed with
/// [`StreamBody`]), where the client's cap (16 MiB by default, sized for
/// JSON answers) would cut off a big tenant's export. The body is still
/// read with a cap.
///
/// ```
/// use auth0_core::transport::BodyLimitOverride;
/// use auth0_core::types::HttpRequest;
/// use bytes::Bytes;
///
/// let mut request = HttpRequest::new(Bytes::new());
/// request.extensions_mut().insert(BodyLimitOverride(512 * 1024 * 1024));
/// # let _ = request;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BodyLimitOverride(pub usize);

/// A failure of the transport itself (below HTTP status codes).
///
/// Returned boxed from [`HttpTransport`]; [`crate::error::Error::from_service_error`]
/// maps it to [`crate::error::Error::BodyTooLarge`] or
/// [`crate::error::Error::Transport`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// No connection could be opened: DNS failure, connection refused,
    /// TLS handshake failure, connect timeout, proxy refusal. The request was
    /// not sent.
    #[error("no connection")]
    Connect {
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// The proxy refused or broke the `CONNECT` tunnel (wrong credentials,
    /// destination not allowed, proxy down), or the proxy URL from the
    /// environment is not `http://` (nothing was sent to it).
    #[error("the proxy tunnel could not be established")]
    Proxy {
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// The TLS handshake failed: an untrusted or expired certificate, a
    /// name mismatch, no common protocol version. Retrying will not help.
    /// The source is the `rustls::Error`.
    #[error("the TLS handshake failed")]
    Tls {
        /// The TLS library's error.
        #[source]
        source: BoxError,
    },
    /// A plain `http://` URL to a host that is not an allowed loopback host.
    #[error("refusing plain http:// to {host}; only https is allowed")]
    InsecureScheme {
        /// The host of the refused URL.
        host: String,
    },
    /// The connection failed while sending the request or receiving the
    /// response head (reset, closed early, protocol error).
    #[error("the HTTP exchange failed")]
    Request {
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// The connection failed while the response body was being read.
    #[error("reading the response body failed")]
    Body {
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// The response body is larger than the configured cap; reading stopped
    /// at the cap and the connection was dropped.
    #[error("the response body exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
}

impl TransportError {
    /// True when the request certainly never reached the server.
    pub fn is_connect(&self) -> bool {
        matches!(
            self,
            TransportError::Connect { .. }
                | TransportError::Tls { .. }
                | TransportError::Proxy { .. }
                | TransportError::InsecureScheme { .. }
        )
    }
}

type HttpsConnect = ConnectTimeout<HttpsConnector<ProxyConnector>>;

/// The bottom service of the stack: a pooled hyper client.
///
/// Cheap to clone; all clones share the connection pool.
///
/// ```
/// use auth0_core::config::ClientConfig;
/// use auth0_core::transport::HttpTransport;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), auth0_core::error::ConfigError> {
/// let config = ClientConfig::new("tenant.auth0.com")?;
/// let transport = HttpTransport::new(&config)?;
/// # let _ = transport;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct HttpTransport {
    // The stack is cloned for every call (tower's `call` takes `&mut self`,
    // and the retry layer keeps an instance for a further attempt): one
    // shared pointer keeps that clone to a single reference count and the
    // retry future small.
    shared: Arc<Shared>,
}

struct Shared {
    pool: pool::Pool,
    max_body: usize,
    /// The idle timeout of a streamed body ([`crate::streaming`]): the
    /// attempt timeout.
    stream_idle: Duration,
    allow_insecure_loopback: bool,
    /// The configured domain's authority when it is an allowed plain-http
    /// loopback host: requests to it skip re-parsing the host.
    loopback_domain: Option<Authority>,
}

impl fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpTransport")
            .field("max_body", &self.shared.max_body)
            .finish_non_exhaustive()
    }
}

impl HttpTransport {
    /// Builds the transport for `config` (TLS roots, proxy, pool, connect
    /// timeout, body cap). With [`ProxyConfig::FromEnv`] the environment is
    /// read here, once.
    pub fn new(config: &ClientConfig) -> Result<Self, ConfigError> {
        let mut http = HttpConnector::new();
        // The HTTPS connector hands https:// URIs down to this connector.
        http.enforce_http(false);
        http.set_nodelay(true);

        let matcher = match config.proxy() {
            ProxyConfig::None => None,
            ProxyConfig::Url(url) => Some(Arc::new(Matcher::builder().all(url.clone()).build())),
            ProxyConfig::FromEnv => Some(Arc::new(Matcher::from_env())),
        };
        let proxy = ProxyConnector {
            http,
            matcher,
            allow_insecure_loopback: config.allow_insecure_loopback(),
        };

        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls_config(config)?)
            // Plain http is filtered by `ProxyConnector` (loopback only).
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(proxy);
        let connector = ConnectTimeout {
            inner: Arc::new(https),
            timeout: config.connect_timeout(),
        };

        let pool = pool::Pool::new(
            connector,
            config.pool_idle_timeout(),
            config.pool_max_idle_per_host(),
        );
        Ok(Self {
            shared: Arc::new(Shared {
                pool,
                max_body: config.max_response_body(),
                stream_idle: config.attempt_timeout(),
                allow_insecure_loopback: config.allow_insecure_loopback(),
                loopback_domain: (!config.domain().is_secure())
                    .then(|| config.domain().authority().clone()),
            }),
        })
    }

    /// The response body cap in bytes.
    pub fn max_body(&self) -> usize {
        self.shared.max_body
    }
}

impl Service<HttpRequest> for HttpTransport {
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // The pool has no back-pressure of its own: it opens connections as
        // needed. Client-side limits belong to the rate-limit layer.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: HttpRequest) -> Self::Future {
        let this = &*self.shared;
        // Refuse plain http up front (the connector checks again) so the
        // error is not mistaken for a retryable connect failure.
        if req.uri().scheme() != Some(&Scheme::HTTPS)
            && !(this.allow_insecure_loopback
                && req.uri().scheme() == Some(&Scheme::HTTP)
                && (this
                    .loopback_domain
                    .as_ref()
                    .is_some_and(|d| req.uri().authority().is_some_and(|a| same_authority(a, d)))
                    || is_loopback(req.uri().host().unwrap_or_default())))
        {
            let host = req.uri().host().unwrap_or_default().to_owned();
            return ResponseFuture {
                state: Sending::Refused(Some(TransportError::InsecureScheme { host })),
            };
        }
        let max_body = match req.extensions().get::<BodyLimitOverride>() {
            Some(limit) => limit.0,
            None => req
                .extensions()
                .get::<BodyLimit>()
                .map_or(this.max_body, |limit| limit.0.min(this.max_body)),
        };
        let stream = req.extensions().get::<StreamBody>().is_some();
        let Some(origin) = pool::Origin::of(req.uri()) else {
            return ResponseFuture {
                state: Sending::Refused(Some(pool::no_origin(req.uri()))),
            };
        };
        let (parts, body) = req.into_parts();
        let request = http::Request::from_parts(parts, Full::new(body));
        let response = Box::pin(this.pool.send(request, origin));
        ResponseFuture {
            state: Sending::Headers {
                response,
                max_body,
                stream: stream.then_some(this.stream_idle),
            },
        }
    }
}

/// `a == b` (case-insensitive), answered without comparing the text when
/// both share one buffer (a URI built on the configured domain's
/// authority, as the API clients build theirs).
fn same_authority(a: &Authority, b: &Authority) -> bool {
    let (a_text, b_text) = (a.as_str(), b.as_str());
    (a_text.as_ptr() == b_text.as_ptr() && a_text.len() == b_text.len()) || a == b
}

/// The future of [`HttpTransport`]: the response head, then the body read
/// under the cap (or handed over unread, [`StreamBody`]). A state machine
/// over the pool's exchange (one allocation per call: that future, boxed).
pub struct ResponseFuture {
    state: Sending,
}

/// The pool's exchange: the response head and the connection's lease.
type Exchange = Pin<
    Box<
        dyn Future<Output = Result<(http::Response<Incoming>, Option<pool::Lease>), BoxError>>
            + Send,
    >,
>;

// The future is laid out once at its largest state (reading the body, with
// the connection's lease); boxing that state would add an allocation to
// every call for no memory saved.
#[allow(clippy::large_enum_variant)]
enum Sending {
    Refused(Option<TransportError>),
    Headers {
        response: Exchange,
        max_body: usize,
        // The idle timeout of a streamed body, when the request asked for
        // one.
        stream: Option<Duration>,
    },
    Body(ReadBody),
    Done,
}

impl Future for ResponseFuture {
    type Output = Result<HttpResponse, BoxError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let state = &mut self.state;
        loop {
            match state {
                Sending::Refused(error) => {
                    let error = error.take();
                    *state = Sending::Done;
                    return Poll::Ready(Err(match error {
                        Some(e) => Box::new(e),
                        None => Box::new(PolledAfterCompletion),
                    }));
                }
                Sending::Headers {
                    response,
                    max_body,
                    stream,
                } => {
                    let outcome = ready!(Pin::new(response).poll(cx));
                    let (max_body, stream) = (*max_body, *stream);
                    let (response, lease) = match outcome {
                        Ok(exchange) => exchange,
                        Err(e) => {
                            *state = Sending::Done;
                            return Poll::Ready(Err(e));
                        }
                    };
                    match stream {
                        Some(idle) if response.status().is_success() => {
                            // The connection is not pooled again: dropping
                            // its lease closes it once the body is read.
                            drop(lease);
                            *state = Sending::Done;
                            return Poll::Ready(
                                crate::streaming::hand_over(response, max_body, idle)
                                    .map_err(|e| Box::new(e) as BoxError),
                            );
                        }
                        _ => match ReadBody::new(response, max_body, lease) {
                            Ok(read) => *state = Sending::Body(read),
                            Err(e) => {
                                *state = Sending::Done;
                                return Poll::Ready(Err(Box::new(e)));
                            }
                        },
                    }
                }
                Sending::Body(read) => {
                    let outcome = ready!(read.poll_read(cx));
                    *state = Sending::Done;
                    return Poll::Ready(outcome.map_err(|e| Box::new(e) as BoxError));
                }
                Sending::Done => return Poll::Ready(Err(Box::new(PolledAfterCompletion))),
            }
        }
    }
}

impl fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

/// hyper's failure to send a request or read its head, as a typed
/// [`TransportError`].
fn request_error(e: hyper::Error) -> BoxError {
    match find_tls_error(&e) {
        Some(tls) => Box::new(TransportError::Tls {
            source: Box::new(tls),
        }),
        None => Box::new(TransportError::Request {
            source: Box::new(e),
        }),
    }
}

/// The connector's failure to open a connection (TCP, tunnel, TLS, its
/// timeout), as a typed [`TransportError`]: the request was not sent.
fn connect_error(e: BoxError) -> BoxError {
    if let Some(tls) = find_tls_error(&*e) {
        // Surface the rustls error at the top of the chain (it is buried in
        // nested io::Errors, whose `source()` skips it) so callers and the
        // retry policy can see it.
        return Box::new(TransportError::Tls {
            source: Box::new(tls),
        });
    }
    match e.downcast::<TransportError>() {
        // Already typed by the connector: a refused tunnel, plain http.
        Ok(typed) => typed,
        Err(e) => Box::new(TransportError::Connect { source: e }),
    }
}

/// A copy of the `rustls::Error` somewhere in `err`'s chain, looking
/// inside `io::Error`s with `get_ref` (their `source()` skips the wrapped
/// error).
fn find_tls_error(err: &(dyn std::error::Error + 'static)) -> Option<rustls::Error> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls.clone());
        }
        current = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

/// rustls with [`crypto_provider`], its safe default protocol versions
/// (TLS 1.3 and 1.2), the Mozilla roots and any configured extra roots.
fn tls_config(config: &ClientConfig) -> Result<rustls::ClientConfig, ConfigError> {
    let tls_error = |e: rustls::Error| ConfigError::Tls {
        reason: e.to_string(),
    };
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for der in config.extra_root_certificates() {
        roots
            .add(rustls::pki_types::CertificateDer::from(der.clone()))
            .map_err(tls_error)?;
    }
    let builder = rustls::ClientConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .with_root_certificates(roots);
    // Mutual TLS: the certificate goes to any server that asks for one.
    match config.client_certificate() {
        Some(certificate) => {
            let chain = certificate
                .chain()
                .iter()
                .map(|der| rustls::pki_types::CertificateDer::from(der.clone()))
                .collect();
            builder
                .with_client_auth_cert(chain, certificate.private_key())
                .map_err(tls_error)
        }
        None => Ok(builder.with_no_client_auth()),
    }
}

/// The TLS crypto provider of the SDK's clients (and of `auth0-local`'s
/// server): the process default when the application
/// installed one ([`rustls::crypto::CryptoProvider::install_default`], e.g.
/// aws-lc-rs for post-quantum key exchange), else *ring*, the workspace's one
/// C crypto library.
///
/// The fallback is rustls' *ring* provider with its default suites, groups
/// and algorithms, built from rustls' non-deprecated parts (rustls 0.23.48
/// deprecates `rustls::crypto::ring::default_provider`; see
/// `transport/ring_provider.rs`).
pub fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    if let Some(installed) = rustls::crypto::CryptoProvider::get_default() {
        return Arc::clone(installed);
    }
    Arc::new(ring_provider::provider())
}

/// Reads a response body fully, refusing more than `max_body` bytes.
///
/// A `Content-Length` over the cap fails before anything is read; a body
/// without one fails as soon as the cap is crossed, so memory stays bounded
/// by the cap whatever the server sends.
struct ReadBody {
    parts: Option<http::response::Parts>,
    /// The HTTP/1.1 connection, pooled again once the body has ended.
    lease: Option<pool::Lease>,
    body: Incoming,
    max_body: usize,
    declared: Option<u64>,
    // Most bodies arrive in one frame: kept as-is, copied only when a
    // second data frame arrives.
    first: Option<Bytes>,
    rest: Option<BytesMut>,
    total: usize,
}

impl ReadBody {
    fn new(
        response: http::Response<Incoming>,
        max_body: usize,
        lease: Option<pool::Lease>,
    ) -> Result<Self, TransportError> {
        let (parts, body) = response.into_parts();
        let declared = body.size_hint().exact();
        if declared.is_some_and(|len| len > max_body as u64) {
            return Err(TransportError::BodyTooLarge { limit: max_body });
        }
        Ok(Self {
            parts: Some(parts),
            lease,
            body,
            max_body,
            declared,
            first: None,
            rest: None,
            total: 0,
        })
    }

    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Result<HttpResponse, TransportError>> {
        let too_large = |limit| TransportError::BodyTooLarge { limit };
        while let Some(frame) = ready!(Pin::new(&mut self.body).poll_frame(cx)) {
            let frame = frame.map_err(|e| TransportError::Body {
                source: Box::new(e),
            })?;
            let Ok(data) = frame.into_data() else {
                continue; // trailers carry nothing the SDK uses
            };
            self.total = self.total.saturating_add(data.len());
            if self.total > self.max_body {
                return Poll::Ready(Err(too_large(self.max_body)));
            }
            match (&mut self.first, &mut self.rest) {
                (None, _) => self.first = Some(data),
                (Some(head), None) => {
                    let capacity = self
                        .declared
                        .map_or(self.total.saturating_mul(2), |d| d as usize)
                        .min(self.max_body);
                    let mut buf = BytesMut::with_capacity(capacity.max(self.total));
                    buf.extend_from_slice(head);
                    buf.extend_from_slice(&data);
                    self.rest = Some(buf);
                }
                (Some(_), Some(buf)) => buf.extend_from_slice(&data),
            }
        }
        if let Some(lease) = self.lease.take() {
            lease.release();
        }
        let bytes = match (self.first.take(), self.rest.take()) {
            (_, Some(buf)) => buf.freeze(),
            (Some(head), None) => head,
            (None, None) => Bytes::new(),
        };
        Poll::Ready(match self.parts.take() {
            Some(parts) => Ok(http::Response::from_parts(parts, bytes)),
            None => Err(TransportError::Body {
                source: Box::new(PolledAfterCompletion),
            }),
        })
    }
}

/// Opens TCP connections, directly or through a `CONNECT` tunnel, and
/// refuses plain HTTP to hosts that are not allowed loopback hosts.
#[derive(Clone)]
struct ProxyConnector {
    http: HttpConnector,
    matcher: Option<Arc<Matcher>>,
    allow_insecure_loopback: bool,
}

type ConnectFuture = Pin<Box<dyn Future<Output = Result<TokioIo<TcpStream>, BoxError>> + Send>>;

impl Service<Uri> for ProxyConnector {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = ConnectFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.http.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let host = dst.host().unwrap_or_default().to_owned();
        let secure = dst.scheme() == Some(&Scheme::HTTPS);
        if !(secure || self.allow_insecure_loopback && is_loopback(&host)) {
            return Box::pin(async move { Err(TransportError::InsecureScheme { host }.into()) });
        }
        let intercept = self.matcher.as_ref().and_then(|m| m.intercept(&dst));
        match intercept {
            // The tunnel speaks plain HTTP to the proxy. A configured proxy
            // URL must be http:// (`ClientConfigBuilder::build`); one from
            // the environment is checked here, before anything is sent:
            // its `CONNECT` and `Proxy-Authorization` would otherwise go in
            // clear text to a port expecting TLS or SOCKS.
            Some(intercept) if intercept.uri().scheme() != Some(&Scheme::HTTP) => {
                let scheme = intercept.uri().scheme_str().unwrap_or_default().to_owned();
                Box::pin(async move {
                    Err(TransportError::Proxy {
                        source: Box::new(UnsupportedProxyScheme { scheme }),
                    }
                    .into())
                })
            }
            Some(intercept) => {
                let mut tunnel = Tunnel::new(intercept.uri().clone(), self.http.clone());
                if let Some(auth) = intercept.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                let target = with_explicit_port(dst, secure);
                Box::pin(async move {
                    let target = target?;
                    tunnel.oneshot(target).await.map_err(|e| {
                        TransportError::Proxy {
                            source: Box::new(e),
                        }
                        .into()
                    })
                })
            }
            None => {
                let connecting = self.http.call(dst);
                Box::pin(async move { connecting.await.map_err(Into::into) })
            }
        }
    }
}

/// A proxy URL from the environment whose scheme the transport does not
/// speak (only `http://` proxies are supported).
#[derive(Debug, thiserror::Error)]
#[error(
    "{scheme}:// proxies are not supported; use an http:// proxy URL (traffic to Auth0 is still TLS inside the tunnel)"
)]
struct UnsupportedProxyScheme {
    scheme: String,
}

/// The tunnel's `CONNECT host:port` needs a port; fill in the scheme's
/// default (the tunnel itself would assume 443 even for http).
fn with_explicit_port(dst: Uri, secure: bool) -> Result<Uri, BoxError> {
    if dst.port().is_some() {
        return Ok(dst);
    }
    let host = dst.host().unwrap_or_default();
    let port = if secure { 443 } else { 80 };
    let authority = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let authority: Authority = authority.parse()?;
    let mut parts = dst.into_parts();
    parts.authority = Some(authority);
    Ok(Uri::from_parts(parts)?)
}

/// Bounds the whole connection set-up (TCP, tunnel, TLS) by the connect
/// timeout, failing with [`Elapsed`] of kind [`TimeoutKind::Connect`].
///
/// The connector sits behind one shared pointer: the pool clones this
/// service for each connection it opens, and each clone is one reference
/// count (the connector itself is cloned from the shared one inside the
/// attempt).
struct ConnectTimeout<C> {
    inner: Arc<C>,
    timeout: Duration,
}

impl<C> Clone for ConnectTimeout<C> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            timeout: self.timeout,
        }
    }
}

impl<C> Service<Uri> for ConnectTimeout<C>
where
    C: Service<Uri, Error = BoxError> + Clone + Send + Sync + 'static,
    C::Future: Send + 'static,
{
    type Response = C::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<C::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Each connection is opened by its own copy of the connector, made
        // ready inside the returned future (under the connect timeout).
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let mut connector = C::clone(&self.inner);
        let timeout = self.timeout;
        Box::pin(async move {
            let connecting = async move {
                std::future::poll_fn(|cx| connector.poll_ready(cx)).await?;
                connector.call(dst).await
            };
            match tokio::time::timeout(timeout, connecting).await {
                Ok(result) => result,
                Err(_) => Err(Box::new(Elapsed::new(TimeoutKind::Connect, timeout)) as BoxError),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn connect_timeout_is_typed() {
        // A connector that never finishes connecting.
        let hanging = tower::service_fn(|_dst: Uri| async {
            std::future::pending::<Result<TokioIo<TcpStream>, BoxError>>().await
        });
        let mut connector = ConnectTimeout {
            inner: Arc::new(hanging),
            timeout: Duration::from_secs(3),
        };
        let err = connector
            .call("https://tenant.auth0.com".parse().unwrap())
            .await
            .unwrap_err();
        let elapsed = Elapsed::find(err.as_ref()).unwrap();
        assert_eq!(elapsed.kind, TimeoutKind::Connect);
        assert_eq!(elapsed.after, Duration::from_secs(3));
        let mapped = crate::error::Error::from_service_error(err);
        assert!(
            mapped.is_timeout() && mapped.is_retryable_for(&http::Method::POST),
            "{mapped:?}"
        );
    }

    #[tokio::test]
    async fn insecure_scheme_refused_before_connecting() {
        let config = ClientConfig::new("tenant.auth0.com").unwrap();
        let mut transport = HttpTransport::new(&config).unwrap();
        for uri in [
            "http://127.0.0.1:9/x",
            "http://example.com/x",
            "ftp://example.com/",
        ] {
            let req = http::Request::get(uri).body(Bytes::new()).unwrap();
            let err = transport.call(req).await.unwrap_err();
            assert!(
                matches!(
                    err.downcast_ref::<TransportError>(),
                    Some(TransportError::InsecureScheme { .. })
                ),
                "{uri}: {err:?}"
            );
        }
    }

    #[test]
    fn same_authority_by_buffer_or_by_text() {
        let configured: Authority = "127.0.0.1:8080".parse().unwrap();
        assert!(same_authority(&configured.clone(), &configured));
        let upper: Authority = "LOCALHOST:1".parse().unwrap();
        let lower: Authority = "localhost:1".parse().unwrap();
        assert!(same_authority(&upper, &lower));
        let other: Authority = "127.0.0.1:8081".parse().unwrap();
        assert!(!same_authority(&other, &configured));
        // A prefix of the same buffer is not the same authority.
        let text = bytes::Bytes::from_static(b"a.example:10");
        let long = Authority::from_maybe_shared(text.clone()).unwrap();
        let short = Authority::from_maybe_shared(text.slice(..11)).unwrap();
        assert!(!same_authority(&short, &long));
    }

    #[test]
    fn explicit_port_filled_in() {
        let u = with_explicit_port("http://localhost/x".parse().unwrap(), false).unwrap();
        assert_eq!(u.authority().unwrap().as_str(), "localhost:80");
        let u = with_explicit_port("https://tenant.auth0.com/".parse().unwrap(), true).unwrap();
        assert_eq!(u.port_u16(), Some(443));
        let u = with_explicit_port("http://[::1]:8080/".parse().unwrap(), false).unwrap();
        assert_eq!(u.port_u16(), Some(8080));
    }
}
