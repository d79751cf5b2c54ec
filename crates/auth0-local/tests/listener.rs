//! The tenant's listener against clients that misbehave: connections that
//! stall in the TLS handshake or before their request's headers, idle
//! keep-alive connections, plain HTTP sent to the TLS port, accept errors
//! (out of file descriptors), and the CA file written over a planted
//! symbolic link. Timeouts are checked on tokio's paused clock: nothing
//! here waits for real time. Servers listen on 127.0.0.1 only.

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
    let mut stream = TcpStream::connect(tenant.addr()).await.unwrap();
    stream.write_all(JWKS_REQUEST).await.unwrap();
    let (head, _) = read_answer(&mut stream).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    still_open_for(&mut stream, HEADERS - Duration::from_secs(1)).await;
    // Still usable: the next request is served, and the idle wait starts
    // again after its answer.
    stream.write_all(JWKS_REQUEST).await.unwrap();
    let (head, _) = read_answer(&mut stream).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let idle = Instant::now();
    read_until_closed(&mut stream).await;
    assert!(idle.elapsed() >= HEADERS, "{:?}", idle.elapsed());
    assert_eq!(tenant.connections(), 1);
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
