//! Auth0's rate-limit response headers.
//!
//! Auth0 reports its limits with `x-ratelimit-limit`, `x-ratelimit-remaining`
//! and `x-ratelimit-reset` (UNIX epoch seconds at which the bucket refills),
//! and sometimes `Retry-After` (seconds or an HTTP date).

use http::HeaderMap;

/// Header carrying the request limit of the current window.
pub const X_RATELIMIT_LIMIT: &str = "x-ratelimit-limit";
/// Header carrying how many requests remain in the current window.
pub const X_RATELIMIT_REMAINING: &str = "x-ratelimit-remaining";
/// Header carrying the epoch second at which the window resets.
pub const X_RATELIMIT_RESET: &str = "x-ratelimit-reset";

/// The rate-limit state a response reported, when it reported one.
///
/// ```
/// use auth0_core::headers::RateLimitInfo;
/// let mut h = http::HeaderMap::new();
/// h.insert("x-ratelimit-limit", "50".parse().unwrap());
/// h.insert("x-ratelimit-remaining", "0".parse().unwrap());
/// h.insert("x-ratelimit-reset", "1700000000".parse().unwrap());
/// let info = RateLimitInfo::from_headers(&h);
/// assert_eq!(info.limit, Some(50));
/// assert_eq!(info.remaining, Some(0));
/// assert_eq!(info.reset, Some(1_700_000_000));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RateLimitInfo {
    /// `x-ratelimit-limit`, when present and numeric.
    pub limit: Option<u64>,
    /// `x-ratelimit-remaining`, when present and numeric.
    pub remaining: Option<u64>,
    /// `x-ratelimit-reset` in epoch seconds, when present and numeric.
    pub reset: Option<u64>,
}

impl RateLimitInfo {
    /// Reads the three `x-ratelimit-*` headers; absent or malformed ones are `None`.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        Self {
            limit: header_u64(headers, X_RATELIMIT_LIMIT),
            remaining: header_u64(headers, X_RATELIMIT_REMAINING),
            reset: header_u64(headers, X_RATELIMIT_RESET),
        }
    }

    /// True when none of the headers was present.
    pub fn is_empty(&self) -> bool {
        self.limit.is_none() && self.remaining.is_none() && self.reset.is_none()
    }
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok()
}
