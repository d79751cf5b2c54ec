//! A tiny purpose-built TCP server for misbehaviour no HTTP server plays:
//! a connection reset (RST) after the request head, or bytes that are not a
//! valid HTTP answer (a banner, a truncated body). Every well-formed answer
//! in the tests comes from the local tenant.

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
