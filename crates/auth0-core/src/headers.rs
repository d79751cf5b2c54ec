//! Auth0's rate-limit response headers.
//!
//! Auth0 reports its limits with `x-ratelimit-limit`, `x-ratelimit-remaining`
//! and `x-ratelimit-reset` (UNIX epoch seconds at which the bucket refills),
//! and sometimes `Retry-After` (seconds or an HTTP date).

use http::{HeaderMap, HeaderName};

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

// Looked up as `HeaderName`s: a `&str` key is parsed and validated again
// on every lookup (this runs for every answer).
const LIMIT: HeaderName = HeaderName::from_static(X_RATELIMIT_LIMIT);
const REMAINING: HeaderName = HeaderName::from_static(X_RATELIMIT_REMAINING);
const RESET: HeaderName = HeaderName::from_static(X_RATELIMIT_RESET);

impl RateLimitInfo {
    /// Reads the three `x-ratelimit-*` headers; absent or malformed ones are `None`.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        Self {
            limit: header_u64(headers, &LIMIT),
            remaining: header_u64(headers, &REMAINING),
            reset: header_u64(headers, &RESET),
        }
    }

    /// True when none of the headers was present.
    pub fn is_empty(&self) -> bool {
        self.limit.is_none() && self.remaining.is_none() && self.reset.is_none()
    }
}

/// The header's value as a decimal `u64` (ASCII whitespace around it
/// allowed, as `str::trim` would, and a leading `+` as `u64::from_str`
/// takes it); `None` when absent, not a number, or too large.
fn header_u64(headers: &HeaderMap, name: &HeaderName) -> Option<u64> {
    let bytes = headers.get(name)?.as_bytes().trim_ascii();
    let digits = bytes.strip_prefix(b"+").unwrap_or(bytes);
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &b| {
        let digit = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(value: &str) -> Option<u64> {
        let mut headers = HeaderMap::new();
        headers.insert(
            X_RATELIMIT_REMAINING,
            http::HeaderValue::from_bytes(value.as_bytes()).unwrap(),
        );
        RateLimitInfo::from_headers(&headers).remaining
    }

    #[test]
    fn values_read_as_u64_from_str_would() {
        for value in [
            "0",
            "42",
            " 42\t",
            "+7",
            "007",
            "18446744073709551615",
            "18446744073709551616",
            "",
            " ",
            "+",
            "-1",
            "1.5",
            "1e3",
            "4 2",
            "٣",
        ] {
            assert_eq!(read(value), value.trim().parse::<u64>().ok(), "{value:?}");
        }
        assert_eq!(
            RateLimitInfo::from_headers(&HeaderMap::new()),
            RateLimitInfo::default()
        );
    }
}
