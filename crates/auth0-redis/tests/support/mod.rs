//! Test harness: a real `redis-server` on 127.0.0.1 (free port, no
//! persistence) that a test can kill and restart, and Auth0 played by the
//! local tenant (`auth0-local`) with a scripted answer that counts token
//! requests and enforces a rate budget.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth0_local::{Fault, LocalTenant, RecordedRequest};
use bytes::Bytes;

/// A `redis-server` child process on a free port of 127.0.0.1.
pub struct RedisServer {
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts one and waits until it answers `PING`.
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = Self { port, child: None };
        server.launch();
        server
    }

    fn launch(&mut self) {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "redis-server is not installed (.ci/run installs it: apt-get install redis-server)",
            );
        self.child = Some(child);
        // Readiness, not timing: poll until it answers (bounded).
        for _ in 0..400 {
            if self.ping() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("redis-server on port {} did not start", self.port);
    }

    fn ping(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
        if s.write_all(b"PING\r\n").is_err() {
            return false;
        }
        let mut buf = [0u8; 7];
        s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:{port}/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server (SIGKILL) and waits for it to go.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port (empty: nothing is persisted).
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }

    /// A direct connection for inspecting keys.
    pub async fn connection(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap()
    }

    /// Every key matching `pattern` with its value (a hash as its
    /// `field=value` pairs, space-separated).
    pub async fn dump(&self, pattern: &str) -> Vec<(String, String)> {
        let mut c = self.connection().await;
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(pattern)
            .query_async(&mut c)
            .await
            .unwrap();
        let mut out = Vec::new();
        for k in keys {
            let kind: String = redis::cmd("TYPE")
                .arg(&k)
                .query_async(&mut c)
                .await
                .unwrap();
            if kind == "hash" {
                let fields: Vec<(String, String)> = redis::cmd("HGETALL")
                    .arg(&k)
                    .query_async(&mut c)
                    .await
                    .unwrap();
                let text: Vec<String> = fields.iter().map(|(f, v)| format!("{f}={v}")).collect();
                out.push((k, text.join(" ")));
                continue;
            }
            let v: Option<String> = redis::cmd("GET").arg(&k).query_async(&mut c).await.unwrap();
            if let Some(v) = v {
                out.push((k, v));
            }
        }
        out
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Auth0 on 127.0.0.1 (a local tenant, plain http, every answer scripted by
/// [`Tenant::handle`]): `/oauth/token` issues a JWT-looking token
/// `eyJ…-N` (after `token_delay`), the API answers 200 (or 429 beyond
/// `budget` requests per second when a budget is set) and records each
/// `Authorization`.
#[derive(Default)]
pub struct Tenant {
    pub token_requests: AtomicUsize,
    pub api_calls: AtomicUsize,
    pub rejected: AtomicUsize,
    pub bearers: Mutex<Vec<String>>,
    pub token_delay_ms: AtomicU64,
    /// How long every API answer waits before its headers (0: none).
    pub api_delay_ms: AtomicU64,
    /// API requests allowed per wall-clock second (0: no limit).
    pub budget: AtomicU64,
    window: Mutex<(u64, u64)>,
    /// The second (UNIX) in which each call within the budget was served.
    pub served_in: Mutex<Vec<u64>>,
    /// A token bucket instead of fixed one-second windows (the model
    /// Auth0 documents for its rate limits).
    pub token_bucket: std::sync::atomic::AtomicBool,
    bucket: Mutex<(f64, f64)>,
    pub created: Mutex<Vec<String>>,
    /// While the wall clock is before this second, every API call gets a
    /// 429 with `x-ratelimit-reset` = this second.
    pub closed_until: AtomicU64,
    /// The tenant serving, once started; dropped with this.
    local: Mutex<Option<LocalTenant>>,
}

pub const TOKEN_PREFIX: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJmbGVldCJ9.c2ln";

fn reply(status: u16, body: String, headers: &[(&str, String)]) -> Fault {
    let mut fault = Fault::reply_raw(status, body).with_header("content-type", "application/json");
    for (k, v) in headers {
        fault = fault.with_header(*k, v.clone());
    }
    fault
}

impl Tenant {
    /// Starts the tenant; returns its address.
    pub async fn start(self: &Arc<Self>) -> SocketAddr {
        let local = LocalTenant::builder().plain_http().start().await.unwrap();
        // Weak: the tenant (and its server) goes when the test drops this.
        let me: Weak<Self> = Arc::downgrade(self);
        local.inject(
            Fault::respond_with(move |request| me.upgrade().map(|me| me.handle(request))).forever(),
        );
        let addr = local.addr();
        *self.local.lock().unwrap() = Some(local);
        addr
    }

    fn handle(&self, request: &RecordedRequest) -> Fault {
        let path = request.path().to_owned();
        let auth = request.header("authorization").map(str::to_owned);
        let body = &request.body;
        if path == "/oauth/token" {
            let n = self.token_requests.fetch_add(1, Ordering::SeqCst) + 1;
            let delay = Duration::from_millis(self.token_delay_ms.load(Ordering::SeqCst));
            return reply(
                200,
                format!(
                    r#"{{"access_token":"{TOKEN_PREFIX}-{n}","token_type":"Bearer","expires_in":86400}}"#
                ),
                &[],
            )
            .with_head_delay(delay);
        }
        self.api_calls.fetch_add(1, Ordering::SeqCst);
        let now_sec = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let closed = self.closed_until.load(Ordering::SeqCst);
        if now_sec < closed {
            self.rejected.fetch_add(1, Ordering::SeqCst);
            return reply(
                429,
                r#"{"statusCode":429,"error":"Too Many Requests","errorCode":"too_many_requests"}"#
                    .to_owned(),
                &[
                    ("x-ratelimit-limit", "10".to_owned()),
                    ("x-ratelimit-remaining", "0".to_owned()),
                    ("x-ratelimit-reset", closed.to_string()),
                ],
            );
        }
        let budget = self.budget.load(Ordering::SeqCst);
        if budget > 0 {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
            let (allowed, remaining, reset) = self.take(budget, now);
            if !allowed {
                self.rejected.fetch_add(1, Ordering::SeqCst);
                return reply(
                    429,
                    r#"{"statusCode":429,"error":"Too Many Requests","errorCode":"too_many_requests"}"#
                        .to_owned(),
                    &[
                        ("x-ratelimit-limit", budget.to_string()),
                        ("x-ratelimit-remaining", "0".to_owned()),
                        ("x-ratelimit-reset", reset.to_string()),
                    ],
                );
            }
            self.served_in.lock().unwrap().push(now.as_secs());
            self.record(auth, &path, body);
            return reply(
                200,
                r#"{"user_id":"auth0|1"}"#.to_owned(),
                &[
                    ("x-ratelimit-limit", budget.to_string()),
                    ("x-ratelimit-remaining", remaining.to_string()),
                    ("x-ratelimit-reset", reset.to_string()),
                ],
            );
        }
        self.record(auth, &path, body);
        let delay = Duration::from_millis(self.api_delay_ms.load(Ordering::SeqCst));
        reply(200, r#"{"user_id":"auth0|1"}"#.to_owned(), &[]).with_head_delay(delay)
    }

    /// One request against the budget: allowed?, remaining, reset (UNIX s).
    fn take(&self, budget: u64, now: Duration) -> (bool, u64, u64) {
        if self.token_bucket.load(Ordering::SeqCst) {
            // A bucket of `budget` tokens refilled at `budget` per second;
            // the reset is when it is full again (or, refused, when the
            // next token is there).
            let (rate, t) = (budget as f64, now.as_secs_f64());
            let mut b = self.bucket.lock().unwrap();
            if b.1 == 0.0 {
                *b = (rate, t);
            }
            b.0 = (b.0 + (t - b.1) * rate).min(rate);
            b.1 = t;
            if b.0 >= 1.0 {
                b.0 -= 1.0;
                let full = (t + (rate - b.0) / rate).ceil() as u64;
                (true, b.0.floor() as u64, full)
            } else {
                (false, 0, (t + (1.0 - b.0) / rate).ceil() as u64)
            }
        } else {
            let sec = now.as_secs();
            let mut w = self.window.lock().unwrap();
            if w.0 != sec {
                *w = (sec, 0);
            }
            w.1 += 1;
            (w.1 <= budget, budget.saturating_sub(w.1), sec + 1)
        }
    }

    fn record(&self, auth: Option<String>, path: &str, body: &Bytes) {
        self.bearers.lock().unwrap().push(auth.unwrap_or_default());
        if !body.is_empty() {
            self.created
                .lock()
                .unwrap()
                .push(format!("{path} {}", String::from_utf8_lossy(body)));
        }
    }

    pub fn rejected(&self) -> usize {
        self.rejected.load(Ordering::SeqCst)
    }

    pub fn token_requests(&self) -> usize {
        self.token_requests.load(Ordering::SeqCst)
    }
}
