//! What the tenant saw: every request as it arrived ([`RecordedRequest`]),
//! the connections it accepted and the bytes its streamed answers sent —
//! for tests that check what an SDK put on the wire.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use auth0_core::secrets::{REDACTED, Secrets};
use bytes::Bytes;
use http::{HeaderMap, Method, Uri, Version};

use crate::tenant::{LocalTenant, lock};

/// How many requests a tenant keeps; older ones are forgotten first, so a
/// long-running tenant (the binary) does not grow without bound.
pub const RECORDED_REQUESTS_KEPT: usize = 10_000;

/// One request as the tenant received it, before any fault or route saw it.
///
/// `Debug` never shows credentials: `Authorization`, `Proxy-Authorization`
/// and `Cookie` headers are redacted, and so are the values of
/// secret-named fields of a JSON or form body (`client_secret`,
/// `client_assertion`, `password`, … — `auth0_core::secrets::SECRET_KEYS`)
/// wherever they appear in the body. The fields themselves hold the exact
/// bytes, for the test to check.
#[derive(Clone)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// Its number since the tenant started, from 0 (also counting requests
    /// no longer kept).
    pub index: u64,
    /// The number of the connection it came on, from 0 in accept order.
    pub connection: u64,
    /// The method.
    pub method: Method,
    /// The path and query, as sent (still percent-encoded).
    pub uri: Uri,
    /// The HTTP version spoken.
    pub version: Version,
    /// The headers.
    pub headers: HeaderMap,
    /// The body (at most 1 MiB: the tenant refuses larger ones).
    pub body: Bytes,
}

impl RecordedRequest {
    /// The path, still percent-encoded.
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    /// A header's value as text, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The fields of an `application/x-www-form-urlencoded` body, decoded
    /// (a repeated name keeps its last value).
    pub fn form(&self) -> BTreeMap<String, String> {
        crate::server::parse_form(&self.body).into_iter().collect()
    }

    /// The decoded query parameters.
    pub fn query_params(&self) -> BTreeMap<String, String> {
        crate::server::parse_form(self.uri.query().unwrap_or("").as_bytes())
            .into_iter()
            .collect()
    }

    /// The credentials this request carries: its sensitive headers and the
    /// secret-named fields of its body.
    fn secrets(&self) -> Secrets {
        let secrets = Secrets::new();
        secrets.record_headers(&self.headers);
        secrets.record_body(&self.body);
        secrets
    }
}

impl fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secrets = self.secrets();
        let headers: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let shown = if matches!(
                    name.as_str(),
                    "authorization" | "proxy-authorization" | "cookie"
                ) || value.is_sensitive()
                {
                    REDACTED.to_owned()
                } else {
                    secrets.scrub(&String::from_utf8_lossy(value.as_bytes()))
                };
                (name.as_str().to_owned(), shown)
            })
            .collect();
        f.debug_struct("RecordedRequest")
            .field("index", &self.index)
            .field("connection", &self.connection)
            .field("method", &self.method)
            .field("uri", &secrets.scrub(&self.uri.to_string()))
            .field("version", &self.version)
            .field("headers", &headers)
            .field("body", &secrets.scrub(&String::from_utf8_lossy(&self.body)))
            .finish()
    }
}

/// The tenant's log: requests, connections, streamed bytes.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    requests: Mutex<VecDeque<RecordedRequest>>,
    next_index: AtomicU64,
    connections: AtomicU64,
    bytes_streamed: AtomicU64,
}

impl Recorder {
    /// Counts a new connection and returns its number.
    pub(crate) fn connection_opened(&self) -> u64 {
        self.connections.fetch_add(1, Ordering::SeqCst)
    }

    /// Numbers and keeps a request; returns the kept copy.
    pub(crate) fn record(&self, mut request: RecordedRequest) -> RecordedRequest {
        let mut requests = lock(&self.requests);
        request.index = self.next_index.fetch_add(1, Ordering::SeqCst);
        if requests.len() == RECORDED_REQUESTS_KEPT {
            requests.pop_front();
        }
        requests.push_back(request.clone());
        request
    }

    pub(crate) fn streamed(&self, bytes: u64) {
        self.bytes_streamed.fetch_add(bytes, Ordering::SeqCst);
    }
}

/// The request log and counters of a running tenant.
impl LocalTenant {
    /// Every request received so far (up to the last
    /// [`RECORDED_REQUESTS_KEPT`]), oldest first — including those a fault
    /// answered or dropped and those refused by the rate limit.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// let tenant = auth0_local::LocalTenant::builder().start().await?;
    /// tenant.client()?.get_json::<serde_json::Value>("/.well-known/jwks.json").await?;
    /// let seen = tenant.requests();
    /// assert_eq!(seen[0].path(), "/.well-known/jwks.json");
    /// assert!(seen[0].header("auth0-client").is_some());
    /// # Ok(()) }
    /// ```
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.recorder.requests)
            .iter()
            .cloned()
            .collect()
    }

    /// The requests received so far whose path starts with `prefix`.
    pub fn requests_to(&self, prefix: &str) -> Vec<RecordedRequest> {
        lock(&self.shared.recorder.requests)
            .iter()
            .filter(|r| r.path().starts_with(prefix))
            .cloned()
            .collect()
    }

    /// The requests received so far, forgetting them: the next call returns
    /// only newer ones.
    pub fn take_requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.recorder.requests).drain(..).collect()
    }

    /// How many requests were received since the tenant started.
    pub fn request_count(&self) -> u64 {
        self.shared.recorder.next_index.load(Ordering::SeqCst)
    }

    /// How many connections (TCP, before any TLS handshake) were accepted
    /// since the tenant started.
    pub fn connections(&self) -> u64 {
        self.shared.recorder.connections.load(Ordering::SeqCst)
    }

    /// Body bytes handed to the socket by [`Fault::stream`](crate::Fault::stream)
    /// answers so far: how much of a huge body was sent before the client
    /// gave up.
    pub fn bytes_streamed(&self) -> u64 {
        self.shared.recorder.bytes_streamed.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_credentials_in_headers_and_bodies() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Bearer eyJ.secret.token".parse().unwrap());
        headers.insert(
            "content-type",
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        let request = RecordedRequest {
            index: 0,
            connection: 0,
            method: Method::POST,
            uri: Uri::from_static("/oauth/token"),
            version: Version::HTTP_11,
            headers,
            body: Bytes::from_static(
                b"grant_type=client_credentials&client_id=app&client_secret=sup3r-s3cret",
            ),
        };
        let shown = format!("{request:?}");
        assert!(!shown.contains("sup3r-s3cret"), "{shown}");
        assert!(!shown.contains("eyJ.secret.token"), "{shown}");
        assert!(shown.contains("client_credentials"), "{shown}");
        assert!(shown.contains("client_id=app"), "{shown}");
        assert_eq!(request.form()["client_secret"], "sup3r-s3cret");
    }

    #[test]
    fn the_log_is_bounded() {
        let recorder = Recorder::default();
        let request = RecordedRequest {
            index: 0,
            connection: 0,
            method: Method::GET,
            uri: Uri::from_static("/"),
            version: Version::HTTP_11,
            headers: HeaderMap::new(),
            body: Bytes::new(),
        };
        for _ in 0..RECORDED_REQUESTS_KEPT + 5 {
            recorder.record(request.clone());
        }
        let kept = lock(&recorder.requests);
        assert_eq!(kept.len(), RECORDED_REQUESTS_KEPT);
        assert_eq!(kept.front().map(|r| r.index), Some(5));
    }
}
