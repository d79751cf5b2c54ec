//! Test support for `jwks_remote.rs` and `key_freshness.rs`: the JWKS host
//! is the local tenant (`auth0-local`, plain http on 127.0.0.1) with a
//! scripted answer on the JWKS path that the test can switch (documents,
//! errors, a stall) or take down; a hand-moved clock; a `tracing`
//! subscriber that collects this thread's warnings, whichever thread logged
//! one first; and key/document helpers.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

#[path = "../fixtures/tracing/pin.rs"]
mod pin;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth0_core::client::Auth0Client;
use auth0_core::retry::RetryPolicy;
use auth0_jwt::jwks::MonotonicClock;
use auth0_jwt::sign::SigningKey;
use auth0_local::{Fault, LocalTenant};
use bytes::Bytes;
use tokio::time::Instant;

/// The path the SDK derives from a domain.
pub(crate) const JWKS_PATH: &str = "/.well-known/jwks.json";

/// What the host answers on the JWKS path.
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
    /// no `Content-Length`); [`JwksServer::streamed`] counts what was sent.
    Endless,
}

/// Size of one chunk of an [`Behavior::Endless`] body.
pub(crate) const ENDLESS_CHUNK: usize = 16 * 1024;

impl Behavior {
    fn fault(&self) -> Fault {
        match self {
            Self::Json(body) => {
                Fault::reply_raw(200, body.clone()).with_header("content-type", "application/json")
            }
            Self::Raw {
                status,
                content_type,
                body,
            } => Fault::reply_raw(*status, body.clone()).with_header("content-type", *content_type),
            Self::Stall => Fault::reply_raw(200, "").with_head_delay(Duration::from_secs(3600)),
            Self::Endless => Fault::stream(200, u64::MAX)
                .chunk_size(ENDLESS_CHUNK)
                .with_header("content-type", "application/json"),
        }
    }
}

/// A JWKS host for one test: a local tenant whose every answer is
/// scripted (an unexpected path gets `418`, failing loudly).
pub(crate) struct JwksServer {
    addr: SocketAddr,
    behavior: Arc<Mutex<Behavior>>,
    /// `None` once stopped.
    tenant: Mutex<Option<LocalTenant>>,
    /// Requests counted when it stopped.
    hits_at_stop: Mutex<u64>,
}

impl JwksServer {
    /// Starts a tenant on plain http and scripts its answers.
    pub(crate) async fn start(behavior: Behavior) -> Self {
        let tenant = LocalTenant::builder().plain_http().start().await.unwrap();
        let behavior = Arc::new(Mutex::new(behavior));
        let current = Arc::clone(&behavior);
        tenant.inject(
            Fault::respond_with(move |request| {
                Some(if request.path() == JWKS_PATH {
                    current.lock().unwrap().fault()
                } else {
                    Fault::reply_raw(
                        418,
                        format!("unexpected request {} {}", request.method, request.uri),
                    )
                })
            })
            .forever(),
        );
        Self {
            addr: tenant.addr(),
            behavior,
            tenant: Mutex::new(Some(tenant)),
            hits_at_stop: Mutex::new(0),
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
        let count = match &*self.tenant.lock().unwrap() {
            Some(tenant) => tenant.request_count(),
            None => *self.hits_at_stop.lock().unwrap(),
        };
        usize::try_from(count).unwrap()
    }

    /// Bytes of [`Behavior::Endless`] bodies handed to the connection so far.
    pub(crate) fn streamed(&self) -> usize {
        let tenant = self.tenant.lock().unwrap();
        usize::try_from(tenant.as_ref().map_or(0, LocalTenant::bytes_streamed)).unwrap()
    }

    /// The `Accept` header of the last request.
    pub(crate) fn last_accept(&self) -> Option<String> {
        let tenant = self.tenant.lock().unwrap();
        let last = tenant.as_ref()?.requests().pop()?;
        last.header("accept").map(str::to_owned)
    }

    /// Changes what the next requests get.
    pub(crate) fn set(&self, behavior: Behavior) {
        *self.behavior.lock().unwrap() = behavior;
    }

    /// Stops the tenant, which stops listening and closes every open
    /// connection: the host is down.
    pub(crate) fn stop(&self) {
        if let Some(tenant) = self.tenant.lock().unwrap().take() {
            *self.hits_at_stop.lock().unwrap() = tenant.request_count();
        }
    }
}

/// A client for the test server: plain HTTP to loopback allowed, no retries
/// (so request counts are exact).
pub(crate) fn client(server: &JwksServer) -> Auth0Client {
    let config = auth0_core::config::ClientConfig::builder()
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
/// returned guard lives, with other threads (the parallel tests) logging
/// uncaptured meanwhile.
///
/// A scoped subscriber alone is not enough (see `pin.rs`): the interest is
/// pinned first.
pub(crate) fn capture_warnings() -> (Warnings, tracing::subscriber::DefaultGuard) {
    pin::pin_interest();
    let warnings = Warnings::default();
    let guard = tracing::subscriber::set_default(WarnCollector(warnings.clone()));
    (warnings, guard)
}

/// A JWKS cache whose first fetch fails (503, nothing cached): one WARN.
async fn fetch_failure_without_keys() {
    let server = JwksServer::start(Behavior::Raw {
        status: 503,
        content_type: "text/plain",
        body: Bytes::from_static(b"down"),
    })
    .await;
    let jwks = auth0_jwt::jwks::RemoteJwks::builder(client(&server))
        .clock(TestClock::new())
        .build()
        .unwrap();
    let found = auth0_jwt::verifier::KeySource::resolve_key(
        &jwks,
        Some("k1"),
        auth0_jwt::alg::Algorithm::ES256,
    )
    .await;
    assert!(found.is_err());
}

/// The capture sees the warnings logged on its thread even when another
/// thread, untraced (a parallel test), reached their callsite first.
#[tokio::test(flavor = "current_thread")]
async fn capture_warnings_sees_what_another_thread_logged_first() {
    let (warnings, _guard) = capture_warnings();
    std::thread::spawn(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(fetch_failure_without_keys());
    })
    .join()
    .unwrap();
    fetch_failure_without_keys().await;
    let lines = warnings.lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("no keys are cached"), "{}", lines[0]);
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
