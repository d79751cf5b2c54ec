//! The wire: the accept loop over plain TCP or TLS (HTTP/1.1, and HTTP/2
//! when the client asks for it by ALPN on a tenant started with
//! [`http2`](crate::LocalTenantBuilder::http2)), and the response body every
//! answer is sent with — buffered, or scripted with a pause before it or
//! generated on the fly.
//!
//! A client cannot hold a connection (a task and a file descriptor) for
//! nothing: it has [`TLS_HANDSHAKE_TIMEOUT`] to finish its TLS handshake
//! (over HTTP/2, and to send the connection preface) and
//! [`HEADER_READ_TIMEOUT`] to send each HTTP/1.1 request's headers, counted
//! from the start of the connection or the end of the previous answer (so an
//! idle keep-alive connection is closed after that long too). An HTTP/2
//! connection may stay idle, but the tenant pings a client it has not heard
//! from for [`HTTP2_KEEP_ALIVE_INTERVAL`] and closes the connection when the
//! answer is not back within [`HTTP2_KEEP_ALIVE_TIMEOUT`]: a dead peer, or
//! one that stopped in the middle of a header block (which may send nothing
//! else until it ends), goes. A request's body has [`BODY_READ_TIMEOUT`] to
//! arrive whole ([`crate::server`] answers `408` when it does not). An
//! answer the client does not read holds its connection no longer than
//! [`WRITE_TIMEOUT`] after the client last took any of it
//! ([`write_deadline`]). A plain-HTTP request to the TLS port is answered
//! `400` in plain text, as Go's and nginx's servers do, instead of a TLS
//! alert a client reads as garbage.

mod write_deadline;

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::{Body, Frame, SizeHint};
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::tenant::Shared;
use write_deadline::WriteDeadline;

/// A connection's socket, its writes bounded by [`WRITE_TIMEOUT`].
type Socket = WriteDeadline<TcpStream>;

/// How long a client has, from the moment its connection is accepted, to
/// complete the TLS handshake (10 s, the handshake timeout of Go's HTTP
/// client, ample on loopback); then the connection is closed. A client that
/// connects and says nothing, or stops in the middle of its `ClientHello`,
/// holds a file descriptor no longer than this.
pub(crate) const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long an HTTP/1.1 client has to send a request's headers, from the
/// connection's start (after the handshake) or from the end of the previous
/// answer on a keep-alive connection (hyper's default, 30 s; hyper applies
/// it only with a timer, so it is set explicitly). An idle keep-alive
/// connection is closed after this long; clients' pools notice and connect
/// again. HTTP/2 connections are not bound by it: idle ones are normal
/// (they are pinged instead, [`HTTP2_KEEP_ALIVE_INTERVAL`]).
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a request's body has to arrive whole once its headers are in
/// (as nginx's `client_body_timeout`, answered `408`): at most 1 MiB is
/// read, which needs little time on any link. A client that announces a
/// body and stops sending it holds its connection no longer than this.
pub(crate) const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a write to a connection may wait for room in the socket — for
/// a client that has stopped reading its answer — before the connection is
/// closed (as nginx's `send_timeout`, counted from the last bytes the
/// client took, so a slow reader is not cut off). Over TLS and HTTP/2
/// alike: it bounds the socket under both.
pub(crate) const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// After this long without hearing from an HTTP/2 client (a request, body
/// data or the answer to a ping), the tenant sends it a `PING` (idle
/// connections included: one that answers stays open).
pub(crate) const HTTP2_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(30);

/// How long an HTTP/2 client has to acknowledge the tenant's `PING` before
/// the connection is closed (hyper's default, set explicitly: hyper pings
/// only when given an interval and a timer).
pub(crate) const HTTP2_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// `SETTINGS_MAX_CONCURRENT_STREAMS` of an HTTP/2 connection (hyper's
/// current default, which hyper documents as unstable, so fixed here; RFC
/// 9113 §6.5.2 advises no fewer than 100).
const HTTP2_MAX_CONCURRENT_STREAMS: u32 = 200;

/// `SETTINGS_MAX_HEADER_LIST_SIZE` of an HTTP/2 connection: a request's
/// header list larger than this is refused (hyper's current default, 16
/// KiB, fixed here for the same reason).
const HTTP2_MAX_HEADER_LIST_SIZE: u32 = 16 * 1024;

/// The length of the client's HTTP/2 connection preface, `PRI *
/// HTTP/2.0…` (RFC 9113 §3.4), which must arrive within the handshake
/// timeout.
const HTTP2_PREFACE_LEN: usize = 24;

/// The pause after an accept error that is not about one connection — out
/// of file descriptors (`EMFILE`, `ENFILE`) or memory —, which would
/// otherwise fail again at once, spinning the loop at full CPU until a
/// descriptor is freed.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(100);

/// The answer to a plain-HTTP request on the TLS port (the text of Go's
/// `net/http`).
const PLAIN_HTTP_ON_TLS_PORT: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\
content-type: text/plain; charset=utf-8\r\n\
content-length: 48\r\n\
connection: close\r\n\
\r\n\
Client sent an HTTP request to an HTTPS server.\n";

/// The accept loop: serves until `stop` fires or the sender is dropped (the
/// [`LocalTenant`](crate::LocalTenant) is dropped); then every open
/// connection is closed too, as when a host goes down.
pub(crate) async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    mut stop: oneshot::Receiver<()>,
) {
    // Dropped when the loop ends: every connection's receiver then wakes.
    let (_open, gone) = watch::channel(());
    loop {
        let accepted = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            // One client gave up before it was accepted: take the next.
            Err(error) if one_connection(&error) => continue,
            Err(_) => {
                tokio::select! {
                    _ = &mut stop => break,
                    () = tokio::time::sleep(ACCEPT_ERROR_BACKOFF) => continue,
                }
            }
        };
        let connection = shared.recorder.connection_opened();
        let shared = Arc::clone(&shared);
        let tls = tls.clone();
        let mut gone = gone.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = serve_connection(stream, tls, shared, connection) => {}
                _ = gone.changed() => {}
            }
        });
    }
}

/// Whether an accept error concerns only the connection being accepted (as
/// hyper's and axum's accept loops tell them apart): the next accept may
/// well succeed, no pause needed.
fn one_connection(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// The HTTP/1.1 server settings of every connection.
fn http1() -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    builder
}

/// The HTTP/2 server settings of every connection: keep-alive pings (which
/// need a timer) so a dead peer is dropped, and fixed stream and header
/// bounds.
fn http2() -> http2::Builder<TokioExecutor> {
    let mut builder = http2::Builder::new(TokioExecutor::new());
    builder
        .timer(TokioTimer::new())
        .keep_alive_interval(HTTP2_KEEP_ALIVE_INTERVAL)
        .keep_alive_timeout(HTTP2_KEEP_ALIVE_TIMEOUT)
        .max_concurrent_streams(HTTP2_MAX_CONCURRENT_STREAMS)
        .max_header_list_size(HTTP2_MAX_HEADER_LIST_SIZE);
    builder
}

/// One connection, over TLS or not, until the client or a fault ends it.
async fn serve_connection(
    stream: TcpStream,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    connection: u64,
) {
    let service = |certificate: Option<Arc<Vec<u8>>>| {
        service_fn(move |req| {
            crate::server::handle(Arc::clone(&shared), connection, certificate.clone(), req)
        })
    };
    // A broken exchange (a client hanging up, a failed handshake, a
    // dropped-connection fault) only ends that one connection.
    match tls {
        Some(acceptor) => {
            // One deadline for the TLS handshake and, over HTTP/2, the
            // connection preface (hyper's HTTP/2 handshake has no bound).
            let deadline = tokio::time::Instant::now() + TLS_HANDSHAKE_TIMEOUT;
            let handshake = tokio::time::timeout_at(deadline, handshake(stream, acceptor));
            let Ok(Some(stream)) = handshake.await else {
                return;
            };
            // The client's certificate, when the tenant asked for one
            // (mTLS) and the client sent one; the handshake checked that
            // the client holds its key.
            let certificate = stream
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|chain| chain.first())
                .map(|leaf| Arc::new(leaf.to_vec()));
            let service = service(certificate);
            let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
            if h2 {
                let preface = tokio::time::timeout_at(deadline, with_preface(stream));
                let Ok(Some(io)) = preface.await else {
                    return;
                };
                let _ = http2().serve_connection(TokioIo::new(io), service).await;
            } else {
                let _ = http1()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            }
        }
        None => {
            let stream = WriteDeadline::new(stream, WRITE_TIMEOUT);
            let _ = http1()
                .serve_connection(TokioIo::new(stream), service(None))
                .await;
        }
    }
}

/// The TLS handshake, or `None` when there is none to make: the client
/// left, failed its handshake, or sent plain HTTP (answered `400`).
async fn handshake(stream: TcpStream, acceptor: TlsAcceptor) -> Option<TlsStream<Socket>> {
    // A TLS connection starts with a handshake record (0x16); an HTTP/1.x
    // request with its method, ASCII letters. Anything else is left to
    // rustls, which refuses it with an alert.
    let mut first = [0; 1];
    if stream.peek(&mut first).await.ok()? == 0 {
        return None;
    }
    if first[0].is_ascii_alphabetic() {
        let _ = refuse_plain_http(stream).await;
        return None;
    }
    acceptor
        .accept(WriteDeadline::new(stream, WRITE_TIMEOUT))
        .await
        .ok()
}

/// The stream once the client's HTTP/2 connection preface has arrived
/// (`None` when the client left first), giving the preface back to hyper
/// as its first bytes; hyper checks them.
async fn with_preface(
    mut stream: TlsStream<Socket>,
) -> Option<impl AsyncRead + AsyncWrite + Send + Unpin + 'static> {
    let mut preface = [0; HTTP2_PREFACE_LEN];
    stream.read_exact(&mut preface).await.ok()?;
    let (read, write) = tokio::io::split(stream);
    Some(tokio::io::join(io::Cursor::new(preface).chain(read), write))
}

/// Answers a plain-HTTP request on the TLS port with `400` and closes the
/// connection once the client has (bounded by the handshake timeout):
/// closing with the request still unread would reset the connection, and
/// the client could lose the answer.
async fn refuse_plain_http(mut stream: TcpStream) -> io::Result<()> {
    stream.write_all(PLAIN_HTTP_ON_TLS_PORT).await?;
    stream.shutdown().await?;
    let mut rest = [0; 4096];
    while stream.read(&mut rest).await? > 0 {}
    Ok(())
}

/// The body of every answer: a route's buffered body, or a scripted one.
pub(crate) enum TenantBody {
    /// A buffered body.
    Full(Full<Bytes>),
    /// Given bytes after a pause (the pause starts when hyper first asks for
    /// the body, i.e. after the headers were written).
    Delayed {
        sleep: Option<Pin<Box<tokio::time::Sleep>>>,
        body: Option<Bytes>,
    },
    /// Generated bytes, `chunk` at a time, after an optional pause.
    Stream {
        sleep: Option<Pin<Box<tokio::time::Sleep>>>,
        remaining: u64,
        chunk: Bytes,
        shared: Arc<Shared>,
    },
}

impl TenantBody {
    fn pause(delay: Duration) -> Option<Pin<Box<tokio::time::Sleep>>> {
        (!delay.is_zero()).then(|| Box::pin(tokio::time::sleep(delay)))
    }

    /// `body` after `delay`.
    pub(crate) fn delayed(body: Bytes, delay: Duration) -> Self {
        if delay.is_zero() {
            return Self::Full(Full::new(body));
        }
        Self::Delayed {
            sleep: Self::pause(delay),
            body: Some(body),
        }
    }

    /// `total` generated bytes in `chunk`-sized frames after `delay`; the
    /// bytes handed out are counted in the tenant's recorder.
    pub(crate) fn stream(total: u64, chunk: usize, delay: Duration, shared: Arc<Shared>) -> Self {
        Self::Stream {
            sleep: Self::pause(delay),
            remaining: total,
            chunk: Bytes::from(vec![b'x'; chunk.max(1)]),
            shared,
        }
    }
}

impl From<Full<Bytes>> for TenantBody {
    fn from(body: Full<Bytes>) -> Self {
        Self::Full(body)
    }
}

/// Polls an optional pause; `Ready` once it is over (or there is none).
fn paused(sleep: &mut Option<Pin<Box<tokio::time::Sleep>>>, cx: &mut Context<'_>) -> Poll<()> {
    if let Some(s) = sleep.as_mut() {
        if s.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        *sleep = None;
    }
    Poll::Ready(())
}

impl Body for TenantBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            Self::Full(full) => Pin::new(full).poll_frame(cx),
            Self::Delayed { sleep, body } => {
                if paused(sleep, cx).is_pending() {
                    return Poll::Pending;
                }
                Poll::Ready(
                    body.take()
                        .filter(|b| !b.is_empty())
                        .map(|b| Ok(Frame::data(b))),
                )
            }
            Self::Stream {
                sleep,
                remaining,
                chunk,
                shared,
            } => {
                if paused(sleep, cx).is_pending() {
                    return Poll::Pending;
                }
                if *remaining == 0 {
                    return Poll::Ready(None);
                }
                let n = (chunk.len() as u64).min(*remaining);
                *remaining -= n;
                shared.recorder.streamed(n);
                // `n` is at most `chunk.len()`, a usize.
                Poll::Ready(Some(Ok(Frame::data(chunk.slice(..n as usize)))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Full(full) => full.is_end_stream(),
            Self::Delayed { sleep, body } => {
                sleep.is_none() && body.as_ref().is_none_or(Bytes::is_empty)
            }
            Self::Stream {
                sleep, remaining, ..
            } => sleep.is_none() && *remaining == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Full(full) => full.size_hint(),
            Self::Delayed { body, .. } => {
                SizeHint::with_exact(body.as_ref().map_or(0, |b| b.len() as u64))
            }
            // Chunked unless the script declares a length itself.
            Self::Stream { .. } => SizeHint::default(),
        }
    }
}
