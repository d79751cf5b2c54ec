//! An in-process Authentication API on 127.0.0.1 for the tests: records
//! every request and answers with whatever the test's handler returns.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use auth0_authentication::AuthenticationClient;
use auth0_core::{Auth0Client, ClientConfig};
use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    /// The body as a JSON object (panics if it is not one).
    pub fn json(&self) -> serde_json::Map<String, Value> {
        assert_eq!(
            self.headers.get("content-type").unwrap(),
            "application/json",
            "expected a JSON body"
        );
        match serde_json::from_slice(&self.body).unwrap() {
            Value::Object(m) => m,
            other => panic!("not an object: {other}"),
        }
    }

    /// The body's fields whatever the encoding: a JSON object, or a form
    /// body's fields as JSON strings.
    pub fn fields(&self) -> serde_json::Map<String, Value> {
        if self.headers.get("content-type").unwrap() == "application/x-www-form-urlencoded" {
            return self
                .form()
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
        }
        self.json()
    }

    /// The body as form fields (panics on a repeated name).
    pub fn form(&self) -> BTreeMap<String, String> {
        assert_eq!(
            self.headers.get("content-type").unwrap(),
            "application/x-www-form-urlencoded"
        );
        let mut out = BTreeMap::new();
        let text = std::str::from_utf8(&self.body).unwrap();
        for pair in text.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap();
            assert!(out.insert(decode(k), decode(v)).is_none(), "repeated {k}");
        }
        out
    }
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// What to answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type", "application/json".to_owned())],
            body: body.to_owned(),
        }
    }

    pub fn text(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type", "text/plain".to_owned())],
            body: body.to_owned(),
        }
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }
}

/// A token answer like Auth0's.
pub const TOKEN_JSON: &str = r#"{"access_token":"at-SECRET","id_token":"idt-SECRET","refresh_token":"rt-SECRET","token_type":"Bearer","expires_in":86400,"scope":"openid profile"}"#;

type Handler = dyn Fn(&Recorded, usize) -> Reply + Send + Sync;

pub struct TestServer {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl TestServer {
    /// Answers request number `n` (from 0) with `handler(&request, n)`.
    pub async fn start(
        handler: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let recorded = Arc::clone(&requests);
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let handler = Arc::clone(&handler);
                let recorded = Arc::clone(&recorded);
                tokio::spawn(async move {
                    let svc = service_fn(move |req: Request<Incoming>| {
                        let handler = Arc::clone(&handler);
                        let recorded = Arc::clone(&recorded);
                        async move {
                            let (parts, body) = req.into_parts();
                            let body = body
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            let rec = Recorded {
                                method: parts.method,
                                uri: parts.uri,
                                headers: parts.headers,
                                body,
                            };
                            let n = {
                                let mut all = recorded.lock().unwrap();
                                all.push(rec.clone());
                                all.len() - 1
                            };
                            let reply = handler(&rec, n);
                            let mut resp = Response::builder().status(reply.status);
                            for (k, v) in &reply.headers {
                                resp = resp.header(*k, v);
                            }
                            Ok::<_, Infallible>(
                                resp.body(Full::new(Bytes::from(reply.body))).unwrap(),
                            )
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Self { addr, requests }
    }

    /// Plays `replies` in order, repeating the last.
    pub async fn scripted(replies: Vec<Reply>) -> Self {
        Self::start(move |_, n| replies[n.min(replies.len() - 1)].clone()).await
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    pub fn request_count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    /// An `Auth0Client` on the default stack pointed at this server.
    pub fn core(&self) -> Auth0Client {
        let config = ClientConfig::builder()
            .domain(self.base_url())
            .allow_insecure_loopback(true)
            .build()
            .unwrap();
        Auth0Client::new(config).unwrap()
    }

    /// An authentication client with `client_secret_post`.
    pub fn secret_client(&self) -> AuthenticationClient {
        AuthenticationClient::builder(self.core(), "client-123")
            .client_secret("shh-SECRET")
            .build()
            .unwrap()
    }

    /// The only request received.
    pub fn only_request(&self) -> Recorded {
        let all = self.requests();
        assert_eq!(all.len(), 1, "expected exactly one request");
        all.into_iter().next().unwrap()
    }
}

/// `map` as sorted `(key, string value)` pairs, for exact comparisons.
pub fn strings(map: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    map.iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), v)
        })
        .collect()
}

/// Expected pairs, sorted like a `serde_json::Map`.
pub fn expect(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    v.sort();
    v
}
