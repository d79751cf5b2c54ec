//! A scripted in-process HTTP/1.1 server on 127.0.0.1 for integration tests,
//! plus a tiny `CONNECT` proxy.
//!
//! The server records every request, counts accepted connections and answers
//! with whatever the test's handler returns: a response (optionally with a
//! delay before the headers and/or the body), a streamed body of any size
//! (generated on the fly, never held in memory), or a dropped connection.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A complete response.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Bytes,
        /// Sleep before sending the headers.
        head_delay: Duration,
        /// Sleep between the headers and the body.
        body_delay: Duration,
    },
    /// A body of `total` bytes streamed in `chunk`-sized pieces with chunked
    /// encoding (or with `declared_length` as Content-Length).
    Stream {
        status: u16,
        total: u64,
        chunk: usize,
        declared_length: Option<u64>,
    },
    /// Read the request, then drop the connection without answering.
    Drop,
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Reply::Respond {
            status,
            headers: Vec::new(),
            body: Bytes::new(),
            head_delay: Duration::ZERO,
            body_delay: Duration::ZERO,
        }
    }

    pub fn json(status: u16, body: &str) -> Self {
        Reply::status(status)
            .header("content-type", "application/json")
            .body(body)
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Reply::Respond { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    pub fn body(mut self, text: &str) -> Self {
        if let Reply::Respond { body, .. } = &mut self {
            *body = Bytes::copy_from_slice(text.as_bytes());
        }
        self
    }

    pub fn head_delay(mut self, d: Duration) -> Self {
        if let Reply::Respond { head_delay, .. } = &mut self {
            *head_delay = d;
        }
        self
    }

    pub fn body_delay(mut self, d: Duration) -> Self {
        if let Reply::Respond { body_delay, .. } = &mut self {
            *body_delay = d;
        }
        self
    }
}

type Handler = dyn Fn(&Recorded, usize) -> Reply + Send + Sync;

struct State {
    handler: Box<Handler>,
    requests: Mutex<Vec<Recorded>>,
    connections: AtomicUsize,
    bytes_streamed: Arc<AtomicU64>,
}

/// A running test server; it stops with the test's runtime.
pub struct TestServer {
    pub addr: SocketAddr,
    state: Arc<State>,
}

impl TestServer {
    /// Starts a server answering request number `n` (from 0) with
    /// `handler(&request, n)`.
    pub async fn start(
        handler: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State {
            handler: Box::new(handler),
            requests: Mutex::new(Vec::new()),
            connections: AtomicUsize::new(0),
            bytes_streamed: Arc::new(AtomicU64::new(0)),
        });
        let accept_state = Arc::clone(&state);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                accept_state.connections.fetch_add(1, Ordering::SeqCst);
                let state = Arc::clone(&accept_state);
                tokio::spawn(async move {
                    let svc = service_fn(move |req| handle(Arc::clone(&state), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Self { addr, state }
    }

    /// Starts a server that plays `replies` in order and then repeats the
    /// last one.
    pub async fn scripted(replies: Vec<Reply>) -> Self {
        Self::start(move |_, n| replies[n.min(replies.len() - 1)].clone()).await
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    pub fn request_count(&self) -> usize {
        self.state.requests.lock().unwrap().len()
    }

    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    /// Body bytes handed to the socket by streamed replies so far.
    pub fn bytes_streamed(&self) -> u64 {
        self.state.bytes_streamed.load(Ordering::SeqCst)
    }
}

#[derive(Debug)]
struct Dropped;
impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("scripted connection drop")
    }
}
impl std::error::Error for Dropped {}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<ScriptBody>, Dropped> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let recorded = Recorded {
        method: parts.method,
        uri: parts.uri,
        headers: parts.headers,
        body,
    };
    let n = {
        let mut requests = state.requests.lock().unwrap();
        requests.push(recorded.clone());
        requests.len() - 1
    };
    match (state.handler)(&recorded, n) {
        Reply::Respond {
            status,
            headers,
            body,
            head_delay,
            body_delay,
        } => {
            tokio::time::sleep(head_delay).await;
            let mut response = Response::new(ScriptBody::once(body, body_delay));
            *response.status_mut() = StatusCode::from_u16(status).unwrap();
            for (name, value) in headers {
                response.headers_mut().append(
                    http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    http::HeaderValue::from_str(&value).unwrap(),
                );
            }
            Ok(response)
        }
        Reply::Stream {
            status,
            total,
            chunk,
            declared_length,
        } => {
            let mut response = Response::new(ScriptBody::stream(
                total,
                chunk,
                Arc::clone(&state.bytes_streamed),
            ));
            *response.status_mut() = StatusCode::from_u16(status).unwrap();
            if let Some(len) = declared_length {
                response
                    .headers_mut()
                    .insert(http::header::CONTENT_LENGTH, len.into());
            }
            Ok(response)
        }
        Reply::Drop => Err(Dropped),
    }
}

/// A body that optionally waits, then yields data; or streams generated
/// chunks without holding them.
pub struct ScriptBody {
    delay: Option<Pin<Box<tokio::time::Sleep>>>,
    once: Option<Bytes>,
    remaining: u64,
    chunk: Bytes,
    counter: Option<Arc<AtomicU64>>,
    exact: Option<u64>,
}

impl ScriptBody {
    fn once(body: Bytes, delay: Duration) -> Self {
        let exact = Some(body.len() as u64);
        Self {
            delay: (!delay.is_zero()).then(|| Box::pin(tokio::time::sleep(delay))),
            once: Some(body),
            remaining: 0,
            chunk: Bytes::new(),
            counter: None,
            exact,
        }
    }

    fn stream(total: u64, chunk: usize, counter: Arc<AtomicU64>) -> Self {
        Self {
            delay: None,
            once: None,
            remaining: total,
            chunk: Bytes::from(vec![b'x'; chunk]),
            counter: Some(counter),
            exact: None,
        }
    }
}

impl Body for ScriptBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if let Some(delay) = self.delay.as_mut() {
            if delay.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.delay = None;
        }
        if let Some(body) = self.once.take() {
            if body.is_empty() {
                return Poll::Ready(None);
            }
            return Poll::Ready(Some(Ok(Frame::data(body))));
        }
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let n = (self.chunk.len() as u64).min(self.remaining);
        self.remaining -= n;
        if let Some(counter) = &self.counter {
            counter.fetch_add(n, Ordering::SeqCst);
        }
        let data = self.chunk.slice(..n as usize);
        Poll::Ready(Some(Ok(Frame::data(data))))
    }

    fn is_end_stream(&self) -> bool {
        self.delay.is_none()
            && self.once.as_ref().is_none_or(Bytes::is_empty)
            && self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        match self.exact {
            Some(n) => SizeHint::with_exact(n),
            None => SizeHint::default(),
        }
    }
}

/// What the proxy saw for one tunnel.
#[derive(Debug, Clone)]
pub struct ProxiedTunnel {
    pub target: String,
    pub proxy_authorization: Option<String>,
}

/// A minimal HTTP `CONNECT` proxy on 127.0.0.1 that only tunnels to
/// 127.0.0.1 targets.
pub struct ConnectProxy {
    pub addr: SocketAddr,
    tunnels: Arc<Mutex<Vec<ProxiedTunnel>>>,
}

impl ConnectProxy {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let tunnels = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&tunnels);
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let seen = Arc::clone(&seen);
                tokio::spawn(async move {
                    let _ = tunnel(client, seen).await;
                });
            }
        });
        Self { addr, tunnels }
    }

    pub fn tunnels(&self) -> Vec<ProxiedTunnel> {
        self.tunnels.lock().unwrap().clone()
    }
}

async fn tunnel(
    mut client: TcpStream,
    seen: Arc<Mutex<Vec<ProxiedTunnel>>>,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte).await? == 0 || head.len() > 8192 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).to_string();
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut words = request_line.split(' ');
    let (method, target) = (
        words.next().unwrap_or_default(),
        words.next().unwrap_or_default(),
    );
    let proxy_authorization = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("proxy-authorization"))
        .map(|(_, v)| v.trim().to_owned());
    seen.lock().unwrap().push(ProxiedTunnel {
        target: target.to_owned(),
        proxy_authorization,
    });
    if method != "CONNECT" || !target.starts_with("127.0.0.1:") {
        client
            .write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
            .await?;
        return Ok(());
    }
    let mut upstream = TcpStream::connect(target).await?;
    client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

/// What a [`RawServer`] connection does after reading a request head.
#[derive(Debug, Clone)]
pub enum Raw {
    /// Reset the connection (RST, via a zero linger time).
    Reset,
    /// Write these bytes, then close the connection.
    Write(&'static [u8]),
}

/// A TCP server that speaks just enough HTTP to misbehave on purpose:
/// connection number `n` reads one request head and then performs
/// `script[min(n, len - 1)]`.
pub struct RawServer {
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
}

impl RawServer {
    pub async fn start(script: Vec<Raw>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&connections);
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let n = count.fetch_add(1, Ordering::SeqCst);
                let action = script[n.min(script.len() - 1)].clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(k) => head.extend_from_slice(&buf[..k]),
                        }
                    }
                    match action {
                        Raw::Reset => {
                            let _ = stream.set_zero_linger();
                            drop(stream);
                        }
                        Raw::Write(bytes) => {
                            let _ = stream.write_all(bytes).await;
                            let _ = stream.shutdown().await;
                        }
                    }
                });
            }
        });
        Self { addr, connections }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}
