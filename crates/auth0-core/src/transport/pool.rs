//! The connection pool of [`HttpTransport`](super::HttpTransport): hyper's
//! own client connections (`hyper::client::conn`), HTTP/1.1 or HTTP/2 as
//! ALPN decides, kept per origin (scheme and authority).
//!
//! Why not hyper-util's legacy `Client`, which does the same job: measured,
//! it costs a fifth of a small request's whole client-side CPU. In the
//! Management bench (`GET /api/v2/connections/{id}`, 701-byte answer,
//! keep-alive on 127.0.0.1, one current-thread runtime) a pool of hyper
//! connections behind a mutex took 41.8 µs of CPU per request where the
//! legacy client took 53.1 µs (1 task; 21.9 against 26.0 µs with 8 tasks),
//! same run. The legacy client spawns a task for every HTTP/1.1 response to
//! put the connection back once it is idle again, races a checkout against
//! a lazy connect on every request, and keys its pool by a cloned
//! `(Scheme, Authority)` in a hash map; here a connection goes back to the
//! pool when the transport has read the body to its end (it reads every
//! body whole), checkout is a short scan under one lock, and nothing is
//! spawned after a connection's own task.
//!
//! What the legacy client did that the transport relies on, kept here:
//!
//! * an HTTP/1.1 request gets a `Host` header (when it has none) and is sent
//!   in origin form; an HTTP/2 one keeps its absolute URI (`:authority`);
//! * a request that a **reused** connection gave back unsent (the server
//!   closed it while it sat idle) is sent again on another connection —
//!   it never reached the server, so any method may be;
//! * idle connections, HTTP/2 ones included, expire after the configured
//!   idle timeout (a background sweep while any are pooled, and at
//!   checkout), at most the configured number per origin are kept, and
//!   connections the server closed are dropped;
//! * one HTTP/2 connection per origin is shared by every request to it
//!   (none when no idle connection may be kept: then every request
//!   connects, as with HTTP/1.1);
//!   while an `https` origin that may speak HTTP/2 is being connected to,
//!   other requests to it wait for that connection (once, for at most the
//!   connect timeout) instead of each making a TLS handshake of their own
//!   — the first calls of a service starting with many tasks make one
//!   handshake, not one each. An origin found to speak HTTP/1.1 only is
//!   connected to in parallel (a connection per concurrent request), and
//!   plain `http` always is.
//!
//! A connection whose response was not read to the end (an error, a body
//! over the cap, a dropped call, a streamed download) is not pooled: its
//! sender is dropped with the response and hyper closes it.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use bytes::Bytes;
use http::header::{HOST, HeaderValue};
use http::uri::{Authority, Scheme};
use http::{Request, Response, Uri};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::client::legacy::connect::Connection as _;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::sync::watch;
use tokio::time::Instant;
use tower::ServiceExt as _;

use super::{HttpsConnect, TransportError, connect_error, request_error, same_authority};
use crate::types::BoxError;

type Body = Full<Bytes>;

/// Where a connection goes: scheme and authority of the request URI.
#[derive(Clone)]
pub(super) struct Origin {
    secure: bool,
    authority: Authority,
}

impl Origin {
    /// The origin of an absolute `uri` (`None` for a relative one).
    pub(super) fn of(uri: &Uri) -> Option<Origin> {
        Some(Origin {
            secure: uri.scheme() == Some(&Scheme::HTTPS),
            authority: uri.authority()?.clone(),
        })
    }

    fn is(&self, other: &Origin) -> bool {
        self.secure == other.secure && same_authority(&self.authority, &other.authority)
    }

    /// The URI the connector opens a connection to.
    fn uri(&self) -> Result<Uri, BoxError> {
        let scheme = if self.secure {
            Scheme::HTTPS
        } else {
            Scheme::HTTP
        };
        Ok(Uri::builder()
            .scheme(scheme)
            .authority(self.authority.clone())
            .path_and_query("/")
            .build()?)
    }

    /// The `Host` header of an HTTP/1.1 request: the authority without
    /// userinfo, its port only when it is not the scheme's default.
    fn host(&self) -> Result<HeaderValue, BoxError> {
        let default = if self.secure { 443 } else { 80 };
        let host = self.authority.host();
        let value = match self.authority.port_u16() {
            Some(port) if port != default => HeaderValue::from_str(&format!("{host}:{port}"))?,
            _ => HeaderValue::from_str(host)?,
        };
        Ok(value)
    }
}

/// A connection checked out of the pool, or just opened.
enum Sender {
    Http1(http1::SendRequest<Body>),
    Http2(http2::SendRequest<Body>),
}

/// An HTTP/1.1 connection lent to one exchange: back into the pool with
/// [`Lease::release`] once its response body was read to the end; dropped
/// (and closed) otherwise.
pub(super) struct Lease {
    pool: Pool,
    origin: Origin,
    sender: http1::SendRequest<Body>,
}

impl Lease {
    /// The exchange finished cleanly: the connection may serve another.
    pub(super) fn release(self) {
        let Lease {
            pool,
            origin,
            sender,
        } = self;
        pool.inner.check_in(origin, sender);
    }
}

/// The pool; clones share it.
#[derive(Clone)]
pub(super) struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    connector: HttpsConnect,
    http2: http2::Builder<TokioExecutor>,
    idle_timeout: Duration,
    max_idle: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    origins: Vec<Pooled>,
    /// A sweep task is running (it clears this when it ends).
    sweeping: bool,
}

/// The connections of one origin.
struct Pooled {
    origin: Origin,
    /// Its `Host` header, made once ([`Origin::host`]).
    host: Option<HeaderValue>,
    /// A connection it answered spoke HTTP/1.1 (no connect gate).
    http1_only: bool,
    /// A connect in progress that other requests wait for ([`Gate`]):
    /// its end (the sender's drop) wakes them.
    connecting: Option<watch::Receiver<()>>,
    idle: Vec<Idle>,
    /// The origin's shared HTTP/2 connection, and when it was last used.
    http2: Option<(http2::SendRequest<Body>, Instant)>,
}

struct Idle {
    sender: http1::SendRequest<Body>,
    since: Instant,
}

impl Pool {
    pub(super) fn new(connector: HttpsConnect, idle_timeout: Duration, max_idle: usize) -> Self {
        let mut http2 = http2::Builder::new(TokioExecutor::new());
        http2.timer(TokioTimer::new());
        Pool {
            inner: Arc::new(Inner {
                connector,
                http2,
                idle_timeout,
                max_idle,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// Sends `request` (absolute URI) on a pooled or new connection and
    /// returns the response head, with the HTTP/1.1 connection's lease.
    pub(super) fn send(
        &self,
        mut request: Request<Body>,
        origin: Origin,
    ) -> impl Future<Output = Result<(Response<Incoming>, Option<Lease>), BoxError>> + Send + 'static
    {
        let pool = self.clone();
        async move {
            let uri = request.uri().clone();
            let mut waited = false;
            loop {
                let (checked_out, host) = pool.inner.check_out(&origin);
                let (sender, reused) = match checked_out {
                    Some(sender) => (sender, true),
                    None => {
                        let lead = match pool.inner.gate(&origin, waited) {
                            Gate::Wait(mut connecting) => {
                                // Woken when that connect ends, however it
                                // ends; then look again (and connect alone
                                // if it failed or brought HTTP/1.1). At most
                                // a connect timeout, the longest the lead's
                                // own connect may take: the lead's call
                                // drives it, and a call left unpolled (a
                                // `select!` branch while another runs, a
                                // buffered stream's next result) drives
                                // nothing.
                                let wait = pool.inner.connector.timeout;
                                let _ = tokio::time::timeout(wait, connecting.changed()).await;
                                waited = true;
                                continue;
                            }
                            Gate::Lead(lead) => Some(lead),
                            Gate::Open => None,
                        };
                        // Boxed: the handshakes' state is kilobytes, and
                        // every call would otherwise move it (into the
                        // transport's boxed future) though few connect.
                        let connected = Box::pin(pool.connect(&origin)).await;
                        drop(lead);
                        (connected?, false)
                    }
                };
                match sender {
                    Sender::Http1(mut sender) => {
                        if let Err(e) = sender.ready().await {
                            if reused {
                                continue; // closed while it sat idle
                            }
                            return Err(request_error(e));
                        }
                        if !request.headers().contains_key(HOST) {
                            let host = match host {
                                Some(host) => host,
                                None => origin.host()?,
                            };
                            request.headers_mut().insert(HOST, host);
                        }
                        *request.uri_mut() = origin_form(&uri);
                        match sender.try_send_request(request).await {
                            Ok(response) => {
                                let lease = Lease {
                                    pool,
                                    origin,
                                    sender,
                                };
                                return Ok((response, Some(lease)));
                            }
                            Err(mut e) => match e.take_message() {
                                Some(unsent) if reused => request = unsent,
                                _ => return Err(request_error(e.into_error())),
                            },
                        }
                    }
                    Sender::Http2(mut sender) => {
                        // A shared connection that closed is dropped from
                        // the pool by the next checkout.
                        if let Err(e) = sender.ready().await {
                            if reused {
                                continue;
                            }
                            return Err(request_error(e));
                        }
                        match sender.try_send_request(request).await {
                            Ok(response) => return Ok((response, None)),
                            Err(mut e) => match e.take_message() {
                                Some(unsent) if reused => request = unsent,
                                _ => return Err(request_error(e.into_error())),
                            },
                        }
                    }
                }
                // Sent again below on another connection: as it came.
                *request.uri_mut() = uri.clone();
            }
        }
    }

    /// Opens a connection to `origin` (under the connector's timeout) and
    /// starts its task; an HTTP/2 one joins the pool at once.
    async fn connect(&self, origin: &Origin) -> Result<Sender, BoxError> {
        let connector = self.inner.connector.clone();
        let io = connector
            .oneshot(origin.uri()?)
            .await
            .map_err(connect_error)?;
        if io.connected().is_negotiated_h2() {
            let (mut sender, connection) = self
                .inner
                .http2
                .handshake(io)
                .await
                .map_err(handshake_error)?;
            drive(connection);
            sender.ready().await.map_err(handshake_error)?;
            if self.inner.max_idle > 0 {
                self.inner.share_http2(origin, sender.clone());
            }
            Ok(Sender::Http2(sender))
        } else {
            let (mut sender, connection) = http1::handshake(io).await.map_err(handshake_error)?;
            drive(connection);
            sender.ready().await.map_err(handshake_error)?;
            self.inner.lock().entry(origin.clone()).http1_only = true;
            Ok(Sender::Http1(sender))
        }
    }
}

/// Runs a connection's task until the connection ends. How it ended
/// (closed, reset, protocol error) is seen by its requests; nothing to
/// report here.
fn drive<C>(connection: C)
where
    C: Future<Output = Result<(), hyper::Error>> + Send + 'static,
{
    tokio::spawn(async move {
        let _ = connection.await;
    });
}

/// A handshake that failed: the request was not sent.
fn handshake_error(e: hyper::Error) -> BoxError {
    connect_error(Box::new(e))
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is a list of senders; a panic elsewhere cannot leave it
        // half-changed in a way that matters.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A live connection to `origin` — its shared HTTP/2 connection, else
    /// the most recently used idle HTTP/1.1 one that has not expired — and
    /// the origin's `Host` header, when the pool knows the origin.
    fn check_out(&self, origin: &Origin) -> (Option<Sender>, Option<HeaderValue>) {
        let now = Instant::now();
        let mut state = self.lock();
        let Some(pooled) = state.find(origin) else {
            return (None, None);
        };
        let host = pooled.host.clone();
        if let Some((sender, last_used)) = &mut pooled.http2 {
            // Expired like an idle HTTP/1.1 connection: not only by the
            // sweep, which may run up to a whole timeout later.
            if !sender.is_closed() && now.duration_since(*last_used) < self.idle_timeout {
                *last_used = now;
                return (Some(Sender::Http2(sender.clone())), host);
            }
            pooled.http2 = None;
        }
        while let Some(idle) = pooled.idle.pop() {
            if !idle.sender.is_closed() && now.duration_since(idle.since) < self.idle_timeout {
                return (Some(Sender::Http1(idle.sender)), host);
            }
        }
        (None, host)
    }

    fn check_in(self: &Arc<Self>, origin: Origin, sender: http1::SendRequest<Body>) {
        if sender.is_closed() || self.max_idle == 0 {
            return;
        }
        let since = Instant::now();
        let start_sweep = {
            let mut state = self.lock();
            let pooled = state.entry(origin);
            if pooled.idle.len() >= self.max_idle {
                return;
            }
            pooled.idle.push(Idle { sender, since });
            state.claim_sweep()
        };
        if start_sweep {
            self.spawn_sweep();
        }
    }

    fn share_http2(self: &Arc<Self>, origin: &Origin, sender: http2::SendRequest<Body>) {
        let now = Instant::now();
        let start_sweep = {
            let mut state = self.lock();
            let pooled = state.entry(origin.clone());
            if pooled.http2.as_ref().is_none_or(|(s, _)| s.is_closed()) {
                pooled.http2 = Some((sender, now));
                state.claim_sweep()
            } else {
                false
            }
        };
        if start_sweep {
            self.spawn_sweep();
        }
    }

    /// Whether a request that found no connection to `origin` connects,
    /// waits for a connect in progress, or leads one others wait for.
    fn gate(self: &Arc<Self>, origin: &Origin, waited: bool) -> Gate {
        // Plain http is HTTP/1.1 (no ALPN), and a request waits at most
        // once: after a failed or HTTP/1.1 connect it connects alone.
        // Without idle connections no HTTP/2 connection is shared
        // (`connect`), so there is nothing to wait for.
        if !origin.secure || waited || self.max_idle == 0 {
            return Gate::Open;
        }
        let mut state = self.lock();
        let pooled = state.entry(origin.clone());
        if pooled.http1_only {
            return Gate::Open;
        }
        if let Some(connecting) = &pooled.connecting {
            return Gate::Wait(connecting.clone());
        }
        let (done, connecting) = watch::channel(());
        pooled.connecting = Some(connecting);
        Gate::Lead(Lead {
            inner: Arc::clone(self),
            origin: origin.clone(),
            _done: done,
        })
    }

    /// Drops expired and closed connections; false when none is left.
    fn sweep(&self) -> bool {
        let now = Instant::now();
        let timeout = self.idle_timeout;
        let live = |since: Instant| now.duration_since(since) < timeout;
        let mut state = self.lock();
        state.origins.retain_mut(|pooled| {
            pooled
                .idle
                .retain(|idle| !idle.sender.is_closed() && live(idle.since));
            if pooled
                .http2
                .as_ref()
                .is_some_and(|(s, last_used)| s.is_closed() || !live(*last_used))
            {
                pooled.http2 = None;
            }
            !pooled.idle.is_empty() || pooled.http2.is_some() || pooled.connecting.is_some()
        });
        let any = !state.origins.is_empty();
        if !any {
            state.sweeping = false;
        }
        any
    }

    /// Starts the task that closes expired idle connections, once
    /// [`State::claim_sweep`] said none runs (without a tokio runtime to run
    /// it, expired connections are dropped at checkout).
    ///
    /// Called with the lock released: a runtime that is shutting down drops
    /// the task at once, inside `spawn`, and the task's [`Sweeper`] takes
    /// the lock as it drops.
    fn spawn_sweep(self: &Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.lock().sweeping = false;
            return;
        };
        let every = self.idle_timeout.max(Duration::from_millis(100));
        let sweeper = Sweeper(Arc::downgrade(self));
        runtime.spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let Some(inner) = sweeper.0.upgrade() else {
                    return;
                };
                if !inner.sweep() {
                    return;
                }
            }
        });
    }
}

/// What a request that found no pooled connection does ([`Inner::gate`]).
enum Gate {
    /// Connect.
    Open,
    /// Connect; others wait until this is dropped.
    Lead(Lead),
    /// Wait for the connect in progress to end, then look again.
    Wait(watch::Receiver<()>),
}

/// The connect others wait for: dropped when it ends (or is cancelled
/// with its call), which clears the gate and wakes them.
struct Lead {
    inner: Arc<Inner>,
    origin: Origin,
    _done: watch::Sender<()>,
}

impl Drop for Lead {
    fn drop(&mut self) {
        let mut state = self.inner.lock();
        if let Some(pooled) = state.find(&self.origin) {
            pooled.connecting = None;
        }
        // `_done` drops after this, with the lock released: the waiters'
        // `changed()` ends.
    }
}

/// The sweep task's handle on the pool; marks the pool as unswept when the
/// task ends, however it ends (its runtime may shut down).
struct Sweeper(Weak<Inner>);

impl Drop for Sweeper {
    fn drop(&mut self) {
        if let Some(inner) = self.0.upgrade() {
            inner.lock().sweeping = false;
        }
    }
}

impl State {
    /// Marks the sweep task as running; true when the caller is to start it
    /// ([`Inner::spawn_sweep`], once the lock is released).
    fn claim_sweep(&mut self) -> bool {
        !std::mem::replace(&mut self.sweeping, true)
    }

    fn find(&mut self, origin: &Origin) -> Option<&mut Pooled> {
        self.origins.iter_mut().find(|p| p.origin.is(origin))
    }

    fn entry(&mut self, origin: Origin) -> &mut Pooled {
        let at = match self.origins.iter().position(|p| p.origin.is(&origin)) {
            Some(at) => at,
            None => {
                self.origins.push(Pooled {
                    host: origin.host().ok(),
                    origin,
                    http1_only: false,
                    connecting: None,
                    idle: Vec::new(),
                    http2: None,
                });
                self.origins.len() - 1
            }
        };
        &mut self.origins[at]
    }
}

/// `uri` in origin form (`/path?query`), as an HTTP/1.1 request line
/// carries it.
fn origin_form(uri: &Uri) -> Uri {
    match uri.path_and_query() {
        Some(path) if path.as_str() != "/" => Uri::from(path.clone()),
        _ => Uri::from_static("/"),
    }
}

/// A request URI the pool cannot route (relative, no authority).
pub(super) fn no_origin(uri: &Uri) -> TransportError {
    TransportError::Request {
        source: format!("the request URI `{uri}` has no scheme and authority").into(),
    }
}
