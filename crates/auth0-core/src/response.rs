//! A decoded API response together with its status, headers and rate-limit
//! state.

use http::{HeaderMap, StatusCode};

use crate::config::RedactedHeaders;
use crate::headers::RateLimitInfo;

/// A successful response decoded into `T`, with what Auth0 said about it.
///
/// The `x-ratelimit-*` headers are read when asked for
/// ([`ApiResponse::rate_limit`]), not on every answer.
///
/// ```
/// use auth0_core::response::ApiResponse;
/// let mut headers = http::HeaderMap::new();
/// headers.insert("x-ratelimit-remaining", "9".parse().unwrap());
/// let resp = ApiResponse::new(42u32, http::StatusCode::OK, headers);
/// assert_eq!(resp.rate_limit().remaining, Some(9));
/// assert_eq!(resp.into_data(), 42);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct ApiResponse<T> {
    /// The decoded body.
    pub data: T,
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
}

impl<T> ApiResponse<T> {
    /// Wraps decoded data with its status and headers.
    pub fn new(data: T, status: StatusCode, headers: HeaderMap) -> Self {
        Self {
            data,
            status,
            headers,
        }
    }

    /// The `x-ratelimit-*` headers of the answer, parsed now (absent or
    /// malformed ones are `None`). Nothing is parsed for a caller who does
    /// not ask.
    pub fn rate_limit(&self) -> RateLimitInfo {
        RateLimitInfo::from_headers(&self.headers)
    }

    /// The decoded body, dropping the metadata.
    pub fn into_data(self) -> T {
        self.data
    }

    /// Transforms the body, keeping the metadata.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> ApiResponse<U> {
        ApiResponse {
            data: f(self.data),
            status: self.status,
            headers: self.headers,
        }
    }
}

/// Header values that are credentials (`set-cookie`, …) are redacted.
impl<T: std::fmt::Debug> std::fmt::Debug for ApiResponse<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiResponse")
            .field("data", &self.data)
            .field("status", &self.status)
            .field("headers", &RedactedHeaders(&self.headers))
            .field("rate_limit", &self.rate_limit())
            .finish()
    }
}
