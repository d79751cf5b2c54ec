//! The one streamed-body path: a download too large to buffer (a users
//! export file) read chunk by chunk.
//!
//! Every other answer is read whole by the transport (see
//! [`transport`](crate::transport)). A request carrying the
//! [`StreamBody`] extension is sent through the same stack — trace,
//! deadline, retry, rate limit, attempt timeout, telemetry, TLS, the
//! connection pool — but when its answer is a success (2xx), the
//! [`HttpTransport`](crate::transport::HttpTransport) stops after the
//! headers: the response's body is empty and a [`StreamedBody`] in its
//! extensions holds the body, unread. An error status is read whole as
//! usual, so it maps to a typed error and may be retried.
//!
//! What differs once the headers are in, and why:
//!
//! * **no retry**: the retry layer has already returned the response; a
//!   connection that breaks mid-body is an error of
//!   [`BodyReader::chunk`], and the caller decides to download again;
//! * **no attempt timeout or deadline on the whole body** (a large file may
//!   take longer than any sensible attempt); instead each chunk must arrive
//!   within an idle timeout, by default the client's attempt timeout;
//! * **the size cap still applies**, counted as chunks are read (and up
//!   front when `Content-Length` already passes it): the client's cap, or
//!   the request's [`BodyLimit`](crate::transport::BodyLimit) /
//!   [`BodyLimitOverride`](crate::transport::BodyLimitOverride).
//!
//! A custom transport (`ClientBuilder::from_service`) that does not know
//! [`StreamBody`] just answers with the body buffered; callers fall back to
//! the response's body when there is no [`StreamedBody`].
//!
//! ```no_run
//! use auth0_core::streaming::{StreamBody, StreamedBody};
//! # async fn f(client: auth0_core::Auth0Client) -> Result<(), auth0_core::Error> {
//! let mut request = http::Request::get("https://storage.example.com/export.json.gz")
//!     .body(bytes::Bytes::new())
//!     .expect("a valid request");
//! request.extensions_mut().insert(StreamBody);
//! let response = client.send(request).await?;
//! let taken = response.extensions().get::<StreamedBody>().and_then(StreamedBody::take);
//! if let Some(mut body) = taken {
//!     let mut total = 0;
//!     while let Some(chunk) = body.chunk().await? {
//!         total += chunk.len();
//!     }
//!     println!("{total} bytes");
//! }
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body::Body as _;
use http_body_util::BodyExt as _;
use hyper::body::Incoming;

use crate::error::Error;
use crate::timeout::{Elapsed, TimeoutKind};
use crate::transport::TransportError;
use crate::types::HttpResponse;

/// Request extension: hand a successful answer's body over unread, as a
/// [`StreamedBody`] response extension (see the [module docs](self)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct StreamBody;

/// Response extension: the unread body of a successful answer to a request
/// marked [`StreamBody`]. Clones share it; the first [`take`](Self::take)
/// gets it.
#[derive(Clone)]
pub struct StreamedBody(Arc<Mutex<Option<BodyReader>>>);

impl StreamedBody {
    /// The body reader, once.
    pub fn take(&self) -> Option<BodyReader> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

impl fmt::Debug for StreamedBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamedBody").finish_non_exhaustive()
    }
}

/// Reads a streamed body chunk by chunk, within its size cap and idle
/// timeout.
pub struct BodyReader {
    body: Incoming,
    limit: usize,
    read: usize,
    idle: Duration,
}

impl fmt::Debug for BodyReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyReader")
            .field("limit", &self.limit)
            .field("read", &self.read)
            .field("idle", &self.idle)
            .finish_non_exhaustive()
    }
}

impl BodyReader {
    /// The body's length when the server declared it (`Content-Length`).
    pub fn content_length(&self) -> Option<u64> {
        self.body.size_hint().exact()
    }

    /// The most bytes this body may have.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The longest wait for the next chunk (default: the client's attempt
    /// timeout).
    #[must_use]
    pub fn idle_timeout(mut self, idle: Duration) -> Self {
        self.idle = idle;
        self
    }

    /// The next chunk of the body; `None` after the last one.
    ///
    /// # Errors
    ///
    /// [`Error::BodyTooLarge`] past the cap, [`Error::Timeout`] (kind
    /// `Attempt`) when no chunk came within the idle timeout, and
    /// [`Error::Transport`] when the connection failed mid-body.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        loop {
            let frame = tokio::time::timeout(self.idle, self.body.frame())
                .await
                .map_err(|_| Error::Timeout(Elapsed::new(TimeoutKind::Attempt, self.idle)))?;
            let Some(frame) = frame else {
                return Ok(None);
            };
            let frame = frame.map_err(|e| {
                Error::from_service_error(Box::new(TransportError::Body {
                    source: Box::new(e),
                }))
            })?;
            let Ok(data) = frame.into_data() else {
                continue; // trailers carry nothing the SDK uses
            };
            self.read = self.read.saturating_add(data.len());
            if self.read > self.limit {
                return Err(Error::BodyTooLarge { limit: self.limit });
            }
            if !data.is_empty() {
                return Ok(Some(data));
            }
        }
    }
}

/// The transport's side: a response with an empty body and the body as a
/// [`StreamedBody`]; a declared length past `limit` fails at once.
pub(crate) fn hand_over(
    response: http::Response<Incoming>,
    limit: usize,
    idle: Duration,
) -> Result<HttpResponse, TransportError> {
    let (mut parts, body) = response.into_parts();
    if body
        .size_hint()
        .exact()
        .is_some_and(|len| len > limit as u64)
    {
        return Err(TransportError::BodyTooLarge { limit });
    }
    let reader = BodyReader {
        body,
        limit,
        read: 0,
        idle,
    };
    parts
        .extensions
        .insert(StreamedBody(Arc::new(Mutex::new(Some(reader)))));
    Ok(http::Response::from_parts(parts, Bytes::new()))
}
