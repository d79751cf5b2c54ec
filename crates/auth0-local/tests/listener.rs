//! The tenant's listener against clients that misbehave: connections that
//! stall in the TLS handshake or before their request's headers, idle
//! keep-alive connections, HTTP/2 clients that send no preface or stop
//! answering pings, request bodies that stop arriving or cannot be read,
//! answers the client does not read, plain HTTP sent to the TLS port, accept
//! errors (out of file descriptors), and the CA file written over a planted
//! symbolic link. Timeouts are checked on tokio's
//! paused clock: nothing here waits for real time (a live client holds the
//! clock still while its exchanges travel, see `HoldClock`).
//! Servers listen on 127.0.0.1 only.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use auth0_local::LocalTenant;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// The TLS handshake timeout the tenant promises (`http.rs`).
const HANDSHAKE: Duration = Duration::from_secs(10);
/// The HTTP/1.1 header read (and keep-alive idle) timeout (`http.rs`).
const HEADERS: Duration = Duration::from_secs(30);
/// How long a request body has to arrive (`http.rs`).
const BODY: Duration = Duration::from_secs(30);
/// How long an answer's bytes may wait for a client that does not read
/// (`http.rs`).
const WRITE: Duration = Duration::from_secs(30);
/// HTTP/2: the silence after which the tenant pings, and how long it waits
/// for the acknowledgement (`http.rs`).
const PING_INTERVAL: Duration = Duration::from_secs(30);
const PING_TIMEOUT: Duration = Duration::from_secs(20);
const HOUR: Duration = Duration::from_secs(3_600);

// ---------------------------------------------------------------- helpers

/// Nothing arrives and the connection stays open for `wait`.
async fn still_open_for(stream: &mut (impl AsyncRead + Unpin), wait: Duration) {
    let mut buf = [0; 1024];
    let read = tokio::time::timeout(wait, stream.read(&mut buf)).await;
    assert!(read.is_err(), "closed or answered early: {read:?}");
}

/// Reads until the server closes the connection (EOF or a reset); panics
/// when it is still open an hour later.
async fn read_until_closed(stream: &mut (impl AsyncRead + Unpin)) -> Vec<u8> {
    let give_up = Instant::now() + HOUR;
    let mut seen = Vec::new();
    let mut buf = [0; 1024];
    loop {
        match tokio::time::timeout_at(give_up, stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return seen,
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
            Err(_) => panic!("the connection is still open after an hour"),
        }
    }
}

/// Reads one HTTP/1.1 answer with a `Content-Length` and returns its head
/// and body.
async fn read_answer(stream: &mut (impl AsyncRead + Unpin)) -> (String, Vec<u8>) {
    let mut seen = Vec::new();
    let mut buf = [0; 4096];
    let end = loop {
        if let Some(at) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed before the answer's head ended: {seen:?}");
        seen.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8(seen[..end].to_vec()).unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().unwrap())
        })
        .expect("a content-length");
    let mut body = seen[end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed before the body ended");
        body.extend_from_slice(&buf[..n]);
    }
    (head, body)
}

const JWKS_REQUEST: &[u8] = b"GET /.well-known/jwks.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

/// A TLS connection to the tenant, handshake done (HTTP/1.1 by ALPN).
async fn tls_connection(tenant: &LocalTenant) -> tokio_rustls::client::TlsStream<TcpStream> {
    support::tls::tls_connection(tenant, &[b"http/1.1"]).await
}

/// The tenant answers a whole request on a new connection.
async fn serves(tenant: &LocalTenant) {
    let mut tls = tls_connection(tenant).await;
    tls.write_all(JWKS_REQUEST).await.unwrap();
    let (head, _) = read_answer(&mut tls).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
}

// ----------------------------------------------------- stalled handshakes

/// A client that connects and says nothing, and one that stops in the
/// middle of its ClientHello, are disconnected once the handshake timeout
/// passes — not held (a task and a file descriptor each) until the tenant
/// stops.
#[tokio::test(start_paused = true)]
async fn stalled_tls_handshakes_are_closed_after_the_handshake_timeout() {
    let tenant = LocalTenant::builder().start().await.unwrap();
    let partial_hello: &[u8] = &[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00];
    for sent in [&[][..], partial_hello] {
        let start = Instant::now();
        let mut stream = TcpStream::connect(tenant.addr()).await.unwrap();
        stream.write_all(sent).await.unwrap();
        still_open_for(&mut stream, HANDSHAKE - Duration::from_secs(1)).await;
        let answer = read_until_closed(&mut stream).await;
        assert!(start.elapsed() >= HANDSHAKE, "{:?}", start.elapsed());
        assert!(answer.is_empty() || answer[0] == 0x15, "{answer:?}");
    }
    serves(&tenant).await;
}

// ----------------------------------------------- HTTP/1.1 header timeouts

/// Headers sent too slowly (a slowloris client): the connection is closed
/// once the header read timeout passes, over plain HTTP and over TLS.
#[tokio::test(start_paused = true)]
async fn headers_not_finished_in_time_close_the_connection() {
    let plain = LocalTenant::builder().plain_http().start().await.unwrap();
    let start = Instant::now();
    let mut stream = TcpStream::connect(plain.addr()).await.unwrap();
    stream
        .write_all(b"GET /.well-known/jwks.json HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    still_open_for(&mut stream, HEADERS - Duration::from_secs(1)).await;
    let answer = read_until_closed(&mut stream).await;
    assert!(start.elapsed() >= HEADERS, "{:?}", start.elapsed());
    assert!(!answer.starts_with(b"HTTP/1.1 200"), "{answer:?}");

    // Over TLS: the handshake done, then nothing.
    let tenant = LocalTenant::builder().start().await.unwrap();
    let start = Instant::now();
    let mut tls = tls_connection(&tenant).await;
    still_open_for(&mut tls, HEADERS - Duration::from_secs(1)).await;
    read_until_closed(&mut tls).await;
    assert!(start.elapsed() >= HEADERS, "{:?}", start.elapsed());
}

/// A keep-alive connection left idle after an answer is closed after the
/// same timeout; until then it serves the next request.
#[tokio::test(start_paused = true)]
async fn an_idle_keep_alive_connection_is_closed() {
    let tenant = LocalTenant::builder().plain_http().start().await.unwrap();
    // The clock stands still while each exchange travels (it would
    // otherwise jump to the tenant's header timeout with the request on
    // its way), and runs while the connection is idle.
    let hold = HoldClock::start();
    let mut stream = TcpStream::connect(tenant.addr()).await.unwrap();
    stream.write_all(JWKS_REQUEST).await.unwrap();
    let (head, _) = read_answer(&mut stream).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    drop(hold);
    still_open_for(&mut stream, HEADERS - Duration::from_secs(1)).await;
    // Still usable: the next request is served, and the idle wait starts
    // again after its answer.
    let hold = HoldClock::start();
    stream.write_all(JWKS_REQUEST).await.unwrap();
    let (head, _) = read_answer(&mut stream).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let idle = Instant::now();
    drop(hold);
    read_until_closed(&mut stream).await;
    assert!(idle.elapsed() >= HEADERS, "{:?}", idle.elapsed());
    assert_eq!(tenant.connections(), 1);
}

// ------------------------------------------------------ stalled bodies

/// A POST announcing a 1,000-byte body that sends 10 bytes and stops.
const STALLED_BODY: &[u8] = b"POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n\
      Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n\
      grant_type";

/// A request whose body stops arriving is answered `408` once the body
/// timeout passes and its HTTP/1.1 connection closed (nginx's
/// `client_body_timeout`), not held open forever; other clients are served
/// meanwhile.
#[tokio::test(start_paused = true)]
async fn a_request_body_that_stops_arriving_is_answered_408() {
    let plain = LocalTenant::builder().plain_http().start().await.unwrap();
    let start = Instant::now();
    let mut stream = TcpStream::connect(plain.addr()).await.unwrap();
    stream.write_all(STALLED_BODY).await.unwrap();
    // Someone else is served meanwhile.
    let mut other = TcpStream::connect(plain.addr()).await.unwrap();
    other.write_all(JWKS_REQUEST).await.unwrap();
    let (head, _) = read_answer(&mut other).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let answer = read_until_closed(&mut stream).await;
    assert!(start.elapsed() >= BODY, "{:?}", start.elapsed());
    let answer = String::from_utf8(answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
        "{answer}"
    );
    assert!(answer.contains("connection: close\r\n"), "{answer}");
    assert!(answer.ends_with("not received in time\"}"), "{answer}");

    let tenant = LocalTenant::builder().start().await.unwrap();
    let mut tls = tls_connection(&tenant).await;
    tls.write_all(STALLED_BODY).await.unwrap();
    serves(&tenant).await;
    let answer = read_until_closed(&mut tls).await;
    assert!(answer.starts_with(b"HTTP/1.1 408 "), "{answer:?}");
}

/// The same over HTTP/2: the client answers the tenant's pings, so only
/// the body timeout ends the stream; its connection goes on serving.
#[tokio::test(start_paused = true)]
async fn a_request_body_that_stops_arriving_over_http2_is_answered_408() {
    let tenant = LocalTenant::builder().http2(true).start().await.unwrap();
    let hold = HoldClock::start();
    let start = Instant::now();
    let mut h2 = h2_connection(&tenant).await;
    let block = header_block(&[
        (":method", "POST"),
        (":scheme", "https"),
        (":path", "/oauth/token"),
        (":authority", "127.0.0.1"),
        ("content-type", "application/x-www-form-urlencoded"),
        ("content-length", "1000"),
    ]);
    h2.write_all(&frame(HEADERS_FRAME, END_HEADERS, 1, &block))
        .await
        .unwrap();
    h2.write_all(&frame(DATA_FRAME, 0, 1, b"grant_type"))
        .await
        .unwrap();
    let pings = &mut 0;
    barrier(&mut h2, pings).await;
    drop(hold);
    tokio::time::sleep(BODY).await;

    let _hold = HoldClock::start();
    let head = h2_read_until(&mut h2, pings, |f| f.kind == HEADERS_FRAME && f.stream == 1).await;
    assert!(start.elapsed() >= BODY, "{:?}", start.elapsed());
    // A literal `:status` (static table entry 8) whose value is "408",
    // Huffman-coded (RFC 7541 Appendix B: '4' 011010, '0' 00000, '8'
    // 011110, padded with ones).
    assert_eq!(head.payload[0] & 0x0f, 8, "{head:?}");
    assert_eq!(head.payload[1..5], [0x83, 0x68, 0x0f, 0x7f], "{head:?}");
    let request = frame(
        HEADERS_FRAME,
        END_HEADERS | END_STREAM,
        3,
        &jwks_h2_request(),
    );
    h2.write_all(&request).await.unwrap();
    let head = h2_read_until(&mut h2, pings, |f| f.kind == HEADERS_FRAME && f.stream == 3).await;
    assert_eq!(head.payload[0], STATUS_200, "{head:?}");
}

/// A request body the tenant cannot read — a malformed chunk size, a client
/// that half-closes its side in the middle of a chunked body — is the
/// client's error: `400` with the Authentication API's error body (when
/// anyone can still read it), and the connection, whose framing is lost,
/// closed. Only a body over the 1 MiB limit is `413`.
#[tokio::test]
async fn an_unreadable_request_body_is_answered_400_and_only_an_oversized_one_413() {
    let tenant = LocalTenant::builder().plain_http().start().await.unwrap();
    const CHUNKED: &str = "POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n\
        Content-Type: application/x-www-form-urlencoded\r\n\
        Transfer-Encoding: chunked\r\n\r\n";
    let malformed = format!("{CHUNKED}zz\r\ngrant_type\r\n0\r\n\r\n");
    let mut stream = TcpStream::connect(tenant.addr()).await.unwrap();
    stream.write_all(malformed.as_bytes()).await.unwrap();
    let (head, body) = read_answer(&mut stream).await;
    assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{head}");
    assert!(head.contains("connection: close\r\n"), "{head}");
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");
    assert!(body["error_description"].is_string(), "{body}");
    let rest = read_until_closed(&mut stream).await;
    assert!(rest.is_empty(), "{rest:?}");

    // A chunk cut off by the client's FIN: no answer is owed to a client
    // that hung up, only never a `413`.
    let mut stream = TcpStream::connect(tenant.addr()).await.unwrap();
    let cut = format!("{CHUNKED}a\r\ngrant");
    stream.write_all(cut.as_bytes()).await.unwrap();
    stream.shutdown().await.unwrap();
    let answer = String::from_utf8(read_until_closed(&mut stream).await).unwrap();
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 400 "),
        "{answer}"
    );

    // Over the limit: still `413`.
    let mut stream = TcpStream::connect(tenant.addr()).await.unwrap();
    let length = 1024 * 1024 + 1;
    let head = format!(
        "POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&vec![b'a'; length]).await.unwrap();
    let (head, body) = read_answer(&mut stream).await;
    assert!(head.starts_with("HTTP/1.1 413 "), "{head}");
    // The rest of the body is never read: the connection is closed.
    assert!(
        head.to_ascii_lowercase()
            .contains("\r\nconnection: close\r\n"),
        "{head}"
    );
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");

    // The tenant goes on serving.
    let mut stream = TcpStream::connect(tenant.addr()).await.unwrap();
    stream.write_all(JWKS_REQUEST).await.unwrap();
    let (head, _) = read_answer(&mut stream).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
}

// ------------------------------------------------- answers nobody reads

/// A client that asks for a large answer and stops reading it (a
/// slow-loris reader) holds its connection — a task, the answer's buffers —
/// no longer than the write timeout after the last byte it took, over plain
/// HTTP and over TLS; one that goes on reading, however slowly, keeps it.
#[tokio::test(start_paused = true)]
async fn an_answer_the_client_stops_reading_is_abandoned_after_the_write_timeout() {
    const TOTAL: u64 = 128 * 1024 * 1024;
    let plain = LocalTenant::builder().plain_http().start().await.unwrap();
    let hold = HoldClock::start();
    let stream = TcpStream::connect(plain.addr()).await.unwrap();
    abandoned_after_the_write_timeout(&plain, stream, hold, TOTAL).await;

    let tenant = LocalTenant::builder().start().await.unwrap();
    let hold = HoldClock::start();
    let tls = tls_connection(&tenant).await;
    abandoned_after_the_write_timeout(&tenant, tls, hold, TOTAL).await;
}

/// The body of the test above, on one connection (the clock held by
/// `hold` until the answer has started).
async fn abandoned_after_the_write_timeout(
    tenant: &LocalTenant,
    mut stream: impl AsyncRead + tokio::io::AsyncWrite + Unpin,
    hold: HoldClock,
    total: u64,
) {
    tenant.inject(auth0_local::Fault::stream(200, total).chunk_size(64 * 1024));
    stream
        .write_all(b"GET /big HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    // The answer has started: the request was read.
    let mut buf = vec![0; 64 * 1024];
    let n = stream.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200 OK\r\n"));
    drop(hold);

    // The tenant fills the socket and waits; just before the timeout the
    // client reads until the answer moves on, twice (the second time well
    // past the timeout counted from the first wait): the connection stays.
    for _ in 0..2 {
        tokio::time::sleep(WRITE - Duration::from_secs(1)).await;
        let before = tenant.bytes_streamed();
        let hold = HoldClock::start();
        while tenant.bytes_streamed() == before {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed after {before} bytes");
        }
        drop(hold);
    }

    // Then it reads nothing for longer than the timeout: the tenant gives
    // up on the answer and closes the connection. Reading what is still
    // on its way makes the tenant send nothing more.
    tokio::time::sleep(WRITE + Duration::from_secs(1)).await;
    let streamed = tenant.bytes_streamed();
    assert!(streamed < total, "{streamed}");
    read_until_closed(&mut stream).await;
    assert_eq!(tenant.bytes_streamed(), streamed, "the answer went on");
}

// ------------------------------------------------------------- HTTP/2

const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
// Frame types and flags (RFC 9113 §6).
const DATA_FRAME: u8 = 0x0;
const HEADERS_FRAME: u8 = 0x1;
const SETTINGS_FRAME: u8 = 0x4;
const PING_FRAME: u8 = 0x6;
const GOAWAY_FRAME: u8 = 0x7;
const END_STREAM: u8 = 0x1;
const ACK: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
/// HPACK's indexed `:status: 200` (static table entry 8).
const STATUS_200: u8 = 0x88;
/// The payload of the client's own PINGs.
const BARRIER: &[u8; 8] = b"barrier!";

#[derive(Debug)]
struct Frame {
    kind: u8,
    flags: u8,
    stream: u32,
    payload: Vec<u8>,
}

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let length = u32::try_from(payload.len()).unwrap().to_be_bytes();
    let mut bytes = length[1..].to_vec();
    bytes.extend_from_slice(&[kind, flags]);
    bytes.extend_from_slice(&stream.to_be_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

/// An HPACK header block of literal fields, neither indexed nor
/// Huffman-coded (names and values under 127 bytes).
fn header_block(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut block = Vec::new();
    for (name, value) in fields {
        block.push(0);
        for text in [name, value] {
            block.push(u8::try_from(text.len()).unwrap());
            block.extend_from_slice(text.as_bytes());
        }
    }
    block
}

fn jwks_h2_request() -> Vec<u8> {
    header_block(&[
        (":method", "GET"),
        (":scheme", "https"),
        (":path", "/.well-known/jwks.json"),
        (":authority", "127.0.0.1"),
    ])
}

/// The tenant's next frame, or `None` once it closed the connection;
/// panics when nothing comes for an hour.
async fn read_frame(stream: &mut (impl AsyncRead + Unpin)) -> Option<Frame> {
    read_frame_by(stream, Instant::now() + HOUR).await
}

/// The tenant's next frame, or `None` once it closed the connection;
/// panics when it has not come by `give_up`.
async fn read_frame_by(stream: &mut (impl AsyncRead + Unpin), give_up: Instant) -> Option<Frame> {
    let mut head = [0; 9];
    match tokio::time::timeout_at(give_up, stream.read_exact(&mut head)).await {
        Ok(Ok(_)) => {}
        Ok(Err(_)) => return None,
        Err(_) => panic!("what the client waits for has not come in an hour"),
    }
    let length = u32::from_be_bytes([0, head[0], head[1], head[2]]);
    let mut payload = vec![0; usize::try_from(length).unwrap()];
    stream.read_exact(&mut payload).await.ok()?;
    Some(Frame {
        kind: head[3],
        flags: head[4],
        stream: u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff,
        payload,
    })
}

type H2 = tokio_rustls::client::TlsStream<TcpStream>;

/// An HTTP/2 connection to `tenant`, the client's preface and (empty)
/// SETTINGS sent.
async fn h2_connection(tenant: &LocalTenant) -> H2 {
    let mut tls = support::tls::tls_connection(tenant, &[b"h2"]).await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    tls.write_all(H2_PREFACE).await.unwrap();
    tls.write_all(&frame(SETTINGS_FRAME, 0, 0, &[]))
        .await
        .unwrap();
    tls
}

/// Keeps tokio's paused clock still while it lives, for a live client's
/// exchanges. The paused clock jumps to the next timer whenever every task
/// waits, also while bytes are on their way over loopback: the tenant's
/// PING and the end of its wait for the answer could pass in one jump,
/// before the client's answer is even read. A blocking task holds it
/// (tokio does not auto-advance while one runs), until the guard is dropped
/// or, should a test hang, 20 s of real time have passed (a passing test
/// holds it for a few loopback round trips).
struct HoldClock {
    _release: std::sync::mpsc::Sender<()>,
}

impl HoldClock {
    fn start() -> Self {
        let (release, held) = std::sync::mpsc::channel::<()>();
        tokio::task::spawn_blocking(move || held.recv_timeout(Duration::from_secs(20)));
        Self { _release: release }
    }
}

/// What a live client does while it waits: acknowledges the tenant's
/// SETTINGS and PINGs (counting the PINGs in `pings`) until a frame `want`
/// accepts arrives (returned). Panics when the tenant goes away, or when
/// the frame has not come within an hour.
async fn h2_read_until(tls: &mut H2, pings: &mut usize, want: impl Fn(&Frame) -> bool) -> Frame {
    let give_up = Instant::now() + HOUR;
    loop {
        let got = read_frame_by(tls, give_up)
            .await
            .expect("the tenant closed the connection");
        if want(&got) {
            return got;
        }
        match (got.kind, got.flags & ACK) {
            (SETTINGS_FRAME, 0) => {
                let ack = frame(SETTINGS_FRAME, ACK, 0, &[]);
                tls.write_all(&ack).await.unwrap();
            }
            (PING_FRAME, 0) => {
                *pings += 1;
                let ack = frame(PING_FRAME, ACK, 0, &got.payload);
                tls.write_all(&ack).await.unwrap();
            }
            (GOAWAY_FRAME, _) => panic!("the tenant went away: {got:?}"),
            _ => {}
        }
    }
}

/// Sends a PING of the client's own and waits for its acknowledgement:
/// the tenant has then read everything the client sent before it.
async fn barrier(tls: &mut H2, pings: &mut usize) {
    tls.write_all(&frame(PING_FRAME, 0, 0, BARRIER))
        .await
        .unwrap();
    h2_read_until(tls, pings, |f| {
        f.kind == PING_FRAME && f.flags & ACK == ACK && f.payload == BARRIER
    })
    .await;
}

/// A client that negotiates HTTP/2 by ALPN and then sends no connection
/// preface, or only part of it, is disconnected once the handshake timeout
/// passes: hyper's HTTP/2 handshake has no bound of its own.
#[tokio::test(start_paused = true)]
async fn http2_connections_without_a_preface_are_closed_after_the_handshake_timeout() {
    let tenant = LocalTenant::builder().http2(true).start().await.unwrap();
    for sent in [&[][..], &H2_PREFACE[..10]] {
        let start = Instant::now();
        let mut tls = support::tls::tls_connection(&tenant, &[b"h2"]).await;
        tls.write_all(sent).await.unwrap();
        still_open_for(&mut tls, HANDSHAKE - Duration::from_secs(1)).await;
        read_until_closed(&mut tls).await;
        assert!(start.elapsed() >= HANDSHAKE, "{:?}", start.elapsed());
    }
    let _hold = HoldClock::start();
    let mut h2 = h2_connection(&tenant).await;
    let request = frame(
        HEADERS_FRAME,
        END_HEADERS | END_STREAM,
        1,
        &jwks_h2_request(),
    );
    h2.write_all(&request).await.unwrap();
    let head = h2_read_until(&mut h2, &mut 0, |f| f.kind == HEADERS_FRAME).await;
    assert_eq!(head.payload[0], STATUS_200, "{head:?}");
}

/// HTTP/2 peers that stop answering — one silent after its preface, one
/// stopped in the middle of a request's header block (RFC 9113 §6.10: it
/// may send nothing else until the block ends) — are pinged and closed
/// when the ping goes unanswered.
#[tokio::test(start_paused = true)]
async fn http2_peers_that_stop_answering_pings_are_closed() {
    let tenant = LocalTenant::builder().http2(true).start().await.unwrap();
    let unfinished_headers = frame(HEADERS_FRAME, 0, 1, &jwks_h2_request());
    for sent in [&[][..], &unfinished_headers[..]] {
        let hold = HoldClock::start();
        let mut h2 = h2_connection(&tenant).await;
        barrier(&mut h2, &mut 0).await;
        h2.write_all(sent).await.unwrap();
        let start = Instant::now();
        drop(hold);
        let mut pinged = false;
        while let Some(got) = read_frame(&mut h2).await {
            pinged |= got.kind == PING_FRAME && got.flags & ACK == 0;
        }
        assert!(pinged, "closed without a ping");
        let bound = PING_INTERVAL + PING_TIMEOUT;
        assert!(start.elapsed() >= bound, "{:?}", start.elapsed());
    }
}

/// An idle HTTP/2 connection whose client answers the tenant's pings stays
/// open (ten minutes here, twenty pings) and serves its next request.
#[tokio::test(start_paused = true)]
async fn an_idle_http2_connection_that_answers_pings_stays_open() {
    let tenant = LocalTenant::builder().http2(true).start().await.unwrap();
    let mut hold = HoldClock::start();
    let mut h2 = h2_connection(&tenant).await;
    let pings = &mut 0;
    barrier(&mut h2, pings).await;
    for round in 1..=20 {
        drop(hold);
        tokio::time::sleep(PING_INTERVAL).await;
        hold = HoldClock::start();
        // The tenant's PING, answered; then the answer is known read.
        let ping = h2_read_until(&mut h2, pings, |f| {
            f.kind == PING_FRAME && f.flags & ACK == 0
        })
        .await;
        *pings += 1;
        let ack = frame(PING_FRAME, ACK, 0, &ping.payload);
        h2.write_all(&ack).await.unwrap();
        barrier(&mut h2, pings).await;
        assert_eq!(*pings, round);
    }
    let request = frame(
        HEADERS_FRAME,
        END_HEADERS | END_STREAM,
        1,
        &jwks_h2_request(),
    );
    h2.write_all(&request).await.unwrap();
    let head = h2_read_until(&mut h2, pings, |f| f.kind == HEADERS_FRAME).await;
    assert_eq!(head.payload[0], STATUS_200, "{head:?}");
    assert_eq!(tenant.connections(), 1);
    drop(hold);
}

// ------------------------------------------------ plain HTTP to TLS port

/// Plain HTTP sent to the HTTPS port gets a readable `400` (as Go's and
/// nginx's servers answer), not a TLS alert that curl reports as
/// "Received HTTP/0.9 when not allowed"; the tenant goes on serving.
#[tokio::test]
async fn plain_http_to_the_tls_port_is_answered_400() {
    for http2 in [false, true] {
        let tenant = LocalTenant::builder().http2(http2).start().await.unwrap();
        let requests: [&[u8]; 2] = [
            JWKS_REQUEST,
            b"POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 29\r\n\r\n\
              grant_type=client_credentials",
        ];
        for request in requests {
            let mut stream = TcpStream::connect(tenant.addr()).await.unwrap();
            stream.write_all(request).await.unwrap();
            let (head, body) = read_answer(&mut stream).await;
            assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{head}");
            assert!(
                head.to_ascii_lowercase()
                    .contains("content-type: text/plain"),
                "{head}"
            );
            assert_eq!(body, b"Client sent an HTTP request to an HTTPS server.\n");
            // Then the tenant closes the connection.
            let rest = read_until_closed(&mut stream).await;
            assert!(rest.is_empty(), "{rest:?}");
        }
        serves(&tenant).await;
    }
}

// ------------------------------------------------------- accept errors

/// Set in the child process of the next test.
const EMFILE_CHILD: &str = "AUTH0_LOCAL_TEST_EMFILE_CHILD";

/// When accepting fails for want of file descriptors, the accept loop
/// pauses before it tries again instead of spinning at full CPU, and
/// serves the waiting client once descriptors are free.
///
/// Runs itself again in a child process whose descriptor limit is lowered
/// (`ulimit -n`), so the rest of this test binary is not starved. There,
/// on tokio's paused clock, a one-second sleep ends only if the runtime
/// goes idle, which a spinning accept loop never lets it do: a watchdog
/// thread then fails the child (it waits 60 s of real time, but only when
/// the loop spins; a passing run never waits for it).
#[cfg(unix)]
#[tokio::test(start_paused = true)]
async fn accept_errors_back_off_instead_of_spinning() {
    const NAME: &str = "accept_errors_back_off_instead_of_spinning";
    if std::env::var_os(EMFILE_CHILD).is_none() {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg("ulimit -n 256 && exec \"$0\" \"$@\"")
            .arg(std::env::current_exe().unwrap())
            .args(["--exact", NAME, "--nocapture", "--test-threads=1"])
            .env(EMFILE_CHILD, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stdout}\n{stderr}");
        assert!(
            stdout.contains(&format!("test {NAME} ... ok")),
            "{stdout}\n{stderr}"
        );
        return;
    }

    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(60));
        eprintln!("the accept loop never paused after an accept error: it spins");
        std::process::exit(3);
    });
    let tenant = LocalTenant::builder().plain_http().start().await.unwrap();
    // The client's socket, made before the descriptors run out.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    let mut held = Vec::new();
    let exhausted = loop {
        match std::fs::File::open("/dev/null") {
            Ok(file) => held.push(file),
            Err(error) => break error,
        }
    };
    eprintln!("holding {} descriptors: {exhausted}", held.len());
    // Connecting takes no new descriptor; the tenant's accept fails.
    let mut stream = socket.connect(tenant.addr()).await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Descriptors free again: the waiting client is served.
    drop(held);
    stream.write_all(JWKS_REQUEST).await.unwrap();
    let (head, _) = read_answer(&mut stream).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
}

// ------------------------------------------------------------ CA file

#[cfg(unix)]
use support::binary::scratch_dir;

/// A symbolic link planted where the CA file goes is replaced by the file,
/// never written through (the target keeps its contents); the file is
/// public (no more than 0644) and no temporary file is left behind. A
/// second tenant's CA replaces the first's whole.
#[cfg(unix)]
#[tokio::test]
async fn the_ca_file_replaces_a_planted_symbolic_link() {
    use std::os::unix::fs::PermissionsExt as _;

    let dir = scratch_dir("ca");
    let decoy = dir.join("decoy");
    std::fs::write(&decoy, "decoy").unwrap();
    let state = dir.join("state");
    std::fs::create_dir(&state).unwrap();
    std::os::unix::fs::symlink(&decoy, state.join("auth0-local-ca.pem")).unwrap();

    let tenant = LocalTenant::builder().start().await.unwrap();
    let path = tenant.write_ca_file(&state).unwrap();
    assert_eq!(path, state.join("auth0-local-ca.pem"));
    assert_eq!(std::fs::read_to_string(&decoy).unwrap(), "decoy");
    let meta = std::fs::symlink_metadata(&path).unwrap();
    assert!(meta.file_type().is_file(), "{meta:?}");
    assert_eq!(meta.permissions().mode() & 0o7133, 0, "{meta:?}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        tenant.ca_certificate_pem().unwrap()
    );

    let other = LocalTenant::builder().start().await.unwrap();
    other.write_ca_file(&state).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        other.ca_certificate_pem().unwrap()
    );
    let names: Vec<_> = std::fs::read_dir(&state)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["auth0-local-ca.pem"]);
    std::fs::remove_dir_all(&dir).unwrap();
}
