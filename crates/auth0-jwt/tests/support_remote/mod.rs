//! Test support for `jwks_remote.rs`: an in-process JWKS server on
//! 127.0.0.1 that counts requests and can switch documents, fail, stall or
//! go away; a hand-moved clock; a `tracing` subscriber that collects warnings;
//! and key/document helpers.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use auth0_core::client::Auth0Client;
use auth0_core::config::ClientConfig;
use auth0_core::retry::RetryPolicy;
use auth0_jwt::jwks::MonotonicClock;
use auth0_jwt::sign::SigningKey;
use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::Frame;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

/// The path the SDK derives from a domain.
pub(crate) const JWKS_PATH: &str = "/.well-known/jwks.json";

/// What the server answers on the JWKS path.
#[derive(Clone, Debug)]
pub(crate) enum Behavior {
    /// 200 with this JSON body.
    Json(Bytes),
    /// This status, content type and body.
    Raw {
        status: u16,
        content_type: &'static str,
        body: Bytes,
    },
    /// Never answer (well, not for an hour).
    Stall,
    /// 200 with a JSON content type and a body that never ends (chunked,
    /// no `Content-Length`); [`JwksServer::streamed`] counts what it sent.
    Endless,
}

/// Size of one chunk of an [`Behavior::Endless`] body.
pub(crate) const ENDLESS_CHUNK: usize = 16 * 1024;
static SPACES: [u8; ENDLESS_CHUNK] = [b' '; ENDLESS_CHUNK];

/// A body of spaces that never ends, counting the bytes handed to hyper
/// (which asks for the next chunk only when the socket takes more).
struct EndlessBody(Arc<State>);

impl hyper::body::Body for EndlessBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.streamed.fetch_add(ENDLESS_CHUNK, Ordering::SeqCst);
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(&SPACES)))))
    }
}

type Body = Either<Full<Bytes>, EndlessBody>;

struct State {
    hits: AtomicUsize,
    streamed: AtomicUsize,
    behavior: Mutex<Behavior>,
    last_accept: Mutex<Option<String>>,
}

/// A JWKS server for one test.
pub(crate) struct JwksServer {
    addr: SocketAddr,
    state: Arc<State>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl JwksServer {
    /// Binds 127.0.0.1 on a free port and starts serving.
    pub(crate) async fn start(behavior: Behavior) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State {
            hits: AtomicUsize::new(0),
            streamed: AtomicUsize::new(0),
            behavior: Mutex::new(behavior),
            last_accept: Mutex::new(None),
        });
        let accept_state = Arc::clone(&state);
        let task = tokio::spawn(async move {
            // Connection tasks live in this set: aborting the accept task
            // drops it and so closes every open connection as well.
            let mut connections = JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                while connections.try_join_next().is_some() {}
                let state = Arc::clone(&accept_state);
                connections.spawn(async move {
                    let service = service_fn(move |req| {
                        let state = Arc::clone(&state);
                        async move { Ok::<_, Infallible>(respond(state, req).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            addr,
            state,
            task: Mutex::new(Some(task)),
        }
    }

    /// `http://127.0.0.1:{port}`.
    pub(crate) fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The JWKS URL on this server.
    pub(crate) fn url(&self) -> String {
        format!("{}{JWKS_PATH}", self.base())
    }

    /// Requests received so far (any path).
    pub(crate) fn hits(&self) -> usize {
        self.state.hits.load(Ordering::SeqCst)
    }

    /// Bytes of [`Behavior::Endless`] bodies handed to the connection so far.
    pub(crate) fn streamed(&self) -> usize {
        self.state.streamed.load(Ordering::SeqCst)
    }

    /// The `Accept` header of the last request.
    pub(crate) fn last_accept(&self) -> Option<String> {
        self.state.last_accept.lock().unwrap().clone()
    }

    /// Changes what the next requests get.
    pub(crate) fn set(&self, behavior: Behavior) {
        *self.state.behavior.lock().unwrap() = behavior;
    }

    /// Stops listening and closes every connection: the host is down.
    pub(crate) fn stop(&self) {
        if let Some(task) = self.task.lock().unwrap().take() {
            task.abort();
        }
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn respond(state: Arc<State>, req: Request<hyper::body::Incoming>) -> Response<Body> {
    let full = |body| Either::Left(Full::new(body));
    state.hits.fetch_add(1, Ordering::SeqCst);
    *state.last_accept.lock().unwrap() = req
        .headers()
        .get(http::header::ACCEPT)
        .map(|v| v.to_str().unwrap_or("<binary>").to_owned());
    if req.uri().path() != JWKS_PATH {
        // Catch-all: an unexpected request fails loudly.
        return Response::builder()
            .status(StatusCode::IM_A_TEAPOT)
            .body(full(Bytes::from(format!(
                "unexpected request {} {}",
                req.method(),
                req.uri()
            ))))
            .unwrap();
    }
    let behavior = state.behavior.lock().unwrap().clone();
    match behavior {
        Behavior::Json(body) => Response::builder()
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(full(body))
            .unwrap(),
        Behavior::Raw {
            status,
            content_type,
            body,
        } => Response::builder()
            .status(status)
            .header(http::header::CONTENT_TYPE, content_type)
            .body(full(body))
            .unwrap(),
        Behavior::Stall => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Response::new(full(Bytes::new()))
        }
        Behavior::Endless => Response::builder()
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Either::Right(EndlessBody(Arc::clone(&state))))
            .unwrap(),
    }
}

/// A client for the test server: plain HTTP to loopback allowed, no retries
/// (so request counts are exact).
pub(crate) fn client(server: &JwksServer) -> Auth0Client {
    let config = ClientConfig::builder()
        .domain(server.base())
        .allow_insecure_loopback(true)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    Auth0Client::new(config).unwrap()
}

/// A clock the test moves by hand (TTL and cooldown only; timeouts stay real).
#[derive(Clone)]
pub(crate) struct TestClock(Arc<Mutex<Instant>>);

impl TestClock {
    pub(crate) fn new() -> Self {
        Self(Arc::new(Mutex::new(Instant::now())))
    }

    pub(crate) fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl MonotonicClock for TestClock {
    fn now(&self) -> Instant {
        *self.0.lock().unwrap()
    }
}

/// A fresh ES256 key with this `kid`.
pub(crate) fn es256(kid: &str) -> SigningKey {
    SigningKey::generate_es256().unwrap().with_kid(kid)
}

/// A fresh Ed25519 key with this `kid`.
pub(crate) fn ed25519(kid: &str) -> SigningKey {
    SigningKey::generate_ed25519().unwrap().with_kid(kid)
}

/// A JWKS document with the public halves of these keys.
pub(crate) fn jwks(keys: &[&SigningKey]) -> Bytes {
    let keys: Vec<_> = keys
        .iter()
        .map(|k| serde_json::to_value(k.to_public_jwk().unwrap()).unwrap())
        .collect();
    Bytes::from(serde_json::to_vec(&serde_json::json!({ "keys": keys })).unwrap())
}

/// A cheap deterministic pseudo-random sequence (splitmix64).
pub(crate) fn splitmix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Collects the WARN (and ERROR) events logged on this thread while the
/// returned guard lives.
pub(crate) fn capture_warnings() -> (Warnings, tracing::subscriber::DefaultGuard) {
    let warnings = Warnings::default();
    let guard = tracing::subscriber::set_default(WarnCollector(warnings.clone()));
    (warnings, guard)
}

/// The warnings collected by [`capture_warnings`], one line each.
#[derive(Clone, Default)]
pub(crate) struct Warnings(Arc<Mutex<Vec<String>>>);

impl Warnings {
    pub(crate) fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

struct WarnCollector(Warnings);

impl tracing::Subscriber for WarnCollector {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        *metadata.level() <= tracing::Level::WARN
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut line = Line(String::new());
        event.record(&mut line);
        (self.0).0.lock().unwrap().push(line.0);
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

struct Line(String);

impl tracing::field::Visit for Line {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write as _;
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}
