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

/// Seconds of 9999-12-31 23:59:59 UTC, the last instant an HTTP-date can name.
const MAX_HTTP_DATE_SECS: u64 = 253_402_300_799;

/// Target `retry_after`: `Retry-After` values and HTTP-dates (RFC 9110 §5.6.7).
///
/// - where the grammars overlap, [`after::parse_http_date`] agrees with the
///   `httpdate` crate on accept/reject and on the instant (they differ, by
///   design, on the RFC 850 form's two-digit years 70–73, which RFC 9110
///   resolves relative to the current year and `httpdate` to 1970–2069, and on
///   the leap second `:60`, which only we accept);
/// - any instant formatted by `httpdate` (IMF-fixdate) parses back to itself;
/// - an accepted date prints back (IMF-fixdate) to a text that parses to it;
/// - `Retry-After` as delta-seconds is the number, saturating; as a date, the
///   time left until it, never zero or negative.
pub fn retry_after(data: &[u8]) {
    let now = UNIX_EPOCH + Duration::from_secs(NOW_SECS);
    // An instant from the input, formatted by the reference, parses back.
    if let Some(bytes) = data.get(..8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(bytes);
        let secs = u64::from_le_bytes(word) % (MAX_HTTP_DATE_SECS + 1);
        let at = UNIX_EPOCH + Duration::from_secs(secs);
        let text = httpdate::fmt_http_date(at);
        assert_eq!(after::parse_imf_fixdate(&text), Some(at), "{text}");
        assert_eq!(after::parse_http_date(&text, now), Some(at), "{text}");
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ours = after::parse_http_date(text, now);
    let reference = httpdate::parse_http_date(text).ok();
    let rfc850_ambiguous_year = text.contains('-')
        && text
            .split('-')
            .nth(2)
            .and_then(|rest| rest.get(..2))
            .and_then(|yy| yy.parse::<u32>().ok())
            .is_some_and(|yy| (70..=73).contains(&yy));
    let leap_second = text.contains(":60");
    match (ours, reference) {
        (Some(a), Some(b)) => {
            if !rfc850_ambiguous_year {
                assert_eq!(a, b, "{text:?}");
            }
        }
        (None, None) => {}
        (Some(_), None) if leap_second || rfc850_ambiguous_year => {}
        (None, Some(_)) if rfc850_ambiguous_year => {}
        (a, b) => panic!("{text:?}: ours {a:?}, httpdate {b:?}"),
    }
    if let Some(at) = ours {
        let since = at.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).ok();
        assert!(
            since.is_some_and(|s| s <= MAX_HTTP_DATE_SECS + 1),
            "{text:?}"
        );
        if since.is_some_and(|s| s <= MAX_HTTP_DATE_SECS) {
            let printed = httpdate::fmt_http_date(at);
            assert_eq!(after::parse_imf_fixdate(&printed), Some(at), "{printed}");
        }
    }

    // The header as the retry policy reads it.
    let Ok(value) = HeaderValue::from_bytes(data) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert(RETRY_AFTER, value);
    let wait = after::retry_after(&headers, now);
    let Ok(visible) = std::str::from_utf8(data) else {
        return;
    };
    let trimmed = visible.trim();
    let delta = !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit());
    if headers
        .get(RETRY_AFTER)
        .is_some_and(|v| v.to_str().is_err())
    {
        assert_eq!(wait, None, "opaque header value read");
    } else if delta {
        let expected = trimmed.parse::<u64>().unwrap_or(u64::MAX);
        assert_eq!(wait, Some(Duration::from_secs(expected)), "{trimmed:?}");
    } else {
        let expected = after::parse_http_date(trimmed, now)
            .and_then(|at| at.duration_since(now).ok())
            .filter(|d| !d.is_zero());
        assert_eq!(wait, expected, "{trimmed:?}");
    }
    if !delta {
        assert_ne!(wait, Some(Duration::ZERO), "a date gave a zero wait");
    }
}
