//! A tiny purpose-built TCP server for misbehaviour no HTTP server plays:
//! a connection reset (RST) after the request head, or bytes that are not a
//! valid HTTP answer (a banner, a truncated body); and a keep-alive mode
//! that sees when the *client* closes an idle connection, which an HTTP
//! server does not report. Every other well-formed answer in the tests
//! comes from the local tenant.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What a [`RawServer`] connection does after reading a request head.
#[derive(Debug, Clone)]
pub enum Raw {
    /// Reset the connection (RST, via a zero linger time).
    Reset,
    /// Write these bytes, then close the connection.
    Write(&'static [u8]),
    /// Answer every request head on the connection with these bytes and
    /// keep it open until the client closes it (counted by
    /// [`RawServer::closed_by_client`]).
    KeepAlive(&'static [u8]),
}

/// A TCP server that speaks just enough HTTP to misbehave on purpose:
/// connection number `n` reads one request head and then performs
/// `script[min(n, len - 1)]`.
pub struct RawServer {
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    closed: Arc<AtomicUsize>,
}

impl RawServer {
    pub async fn start(script: Vec<Raw>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&connections);
        let closed = Arc::new(AtomicUsize::new(0));
        let closes = Arc::clone(&closed);
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let n = count.fetch_add(1, Ordering::SeqCst);
                let action = script[n.min(script.len() - 1)].clone();
                let closes = Arc::clone(&closes);
                tokio::spawn(async move {
                    if let Raw::KeepAlive(answer) = action {
                        return keep_alive(stream, answer, &closes).await;
                    }
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
                        Raw::KeepAlive(_) => unreachable!("answered above"),
                    }
                });
            }
        });
        Self {
            addr,
            connections,
            closed,
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Keep-alive connections the client closed (end of stream while the
    /// server waited for the next request).
    pub fn closed_by_client(&self) -> usize {
        self.closed.load(Ordering::SeqCst)
    }
}

/// [`Raw::KeepAlive`]: request heads (GETs, no body) answered one by one
/// until the client closes the connection.
async fn keep_alive(mut stream: tokio::net::TcpStream, answer: &[u8], closes: &AtomicUsize) {
    let mut pending = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            pending.drain(..end + 4);
            if stream.write_all(answer).await.is_err() {
                return;
            }
        }
        match stream.read(&mut buf).await {
            Ok(0) => {
                closes.fetch_add(1, Ordering::SeqCst);
                return;
            }
            Ok(k) => pending.extend_from_slice(&buf[..k]),
            Err(_) => return,
        }
    }
}
