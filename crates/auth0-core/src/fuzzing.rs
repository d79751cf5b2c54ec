//! Fuzzing harnesses (feature `fuzzing`, not part of the supported API).
//!
//! Called by the `retry_after` fuzz target under `fuzz/` and by
//! `tests/fuzz_corpus.rs`, which replays the checked-in corpus on stable.
//! Panics (the fuzzer's "crash") when a property does not hold.

use std::time::{Duration, UNIX_EPOCH};

use http::HeaderMap;
use http::header::{HeaderValue, RETRY_AFTER};

use crate::retry::after;

/// The clock the harness reads relative dates against: 2023-11-14 22:13:20 UTC.
const NOW_SECS: u64 = 1_700_000_000;

/// Target `retry_after`: what the retry policy reads from `Retry-After`
/// (RFC 9110 §10.2.3).
///
/// - delta-seconds are the number, saturating at `u64::MAX` seconds;
/// - an HTTP-date (any of RFC 9110 §5.6.7's three forms, parsed by
///   `httpdate`) is the time left until it, and never a zero wait: a date
///   not in the future is ignored;
/// - an opaque (non-visible-ASCII) value is ignored;
/// - nothing panics, whatever the bytes.
pub fn retry_after(data: &[u8]) {
    let now = UNIX_EPOCH + Duration::from_secs(NOW_SECS);
    let Ok(value) = HeaderValue::from_bytes(data) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert(RETRY_AFTER, value);
    let wait = after::retry_after(&headers, now);
    let Ok(visible) = headers
        .get(RETRY_AFTER)
        .map_or(Err(()), |v| v.to_str().map_err(|_| ()))
    else {
        assert_eq!(wait, None, "opaque header value read");
        return;
    };
    let trimmed = visible.trim();
    let delta = !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit());
    if delta {
        let expected = trimmed.parse::<u64>().unwrap_or(u64::MAX);
        assert_eq!(wait, Some(Duration::from_secs(expected)), "{trimmed:?}");
    } else {
        let expected = httpdate::parse_http_date(trimmed)
            .ok()
            .and_then(|at| at.duration_since(now).ok())
            .filter(|d| !d.is_zero());
        assert_eq!(wait, expected, "{trimmed:?}");
        assert_ne!(wait, Some(Duration::ZERO), "a date gave a zero wait");
    }
}
