//! Fuzzing harnesses (feature `fuzzing`, not part of the supported API).
//!
//! Called by the `retry_after` fuzz target under `fuzz/` and by
//! `tests/fuzz_corpus.rs`, which replays the checked-in corpus on stable.
//! Panics (the fuzzer's "crash") when a property does not hold.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use http::header::{HeaderValue, RETRY_AFTER};

use crate::retry::after;

/// The clock the harness reads relative dates against: 2023-11-14 22:13:20 UTC.
const NOW_SECS: u64 = 1_700_000_000;

/// Seconds of 9999-12-31 23:59:59 UTC, the last instant an HTTP-date can name.
const MAX_HTTP_DATE_SECS: u64 = 253_402_300_799;

/// Target `retry_after`: `Retry-After` values and HTTP-dates (RFC 9110 §5.6.7).
///
/// - where the grammars overlap, `after::parse_http_date` agrees with the
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
        (Some(a), Some(b)) if !rfc850_ambiguous_year => assert_eq!(a, b, "{text:?}"),
        // `httpdate` is laxer than the grammar in places (it does not check
        // every separator): only its canonical texts must be ours too.
        (None, Some(b)) if !rfc850_ambiguous_year && renderings(b).iter().any(|r| r == text) => {
            panic!("{text:?}: refused, httpdate reads {b:?}")
        }
        (Some(a), None) if !leap_second && !rfc850_ambiguous_year => {
            panic!("{text:?}: accepted as {a:?}, httpdate refuses it")
        }
        _ => {}
    }
    // We accept nothing but the exact renderings of the instant read (the
    // leap second aside, which lands on the next second).
    if let Some(at) = ours.filter(|_| !leap_second) {
        let forms = renderings(at);
        assert!(
            forms.iter().any(|r| r == text),
            "{text:?} is none of {forms:?}"
        );
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

/// The texts RFC 9110 §5.6.7 allows for `at`: IMF-fixdate, RFC 850 (two-digit
/// year), asctime with the day padded by a space, and with a zero. Empty for
/// instants beyond what an HTTP-date can name.
fn renderings(at: SystemTime) -> Vec<String> {
    let in_range = at
        .duration_since(UNIX_EPOCH)
        .is_ok_and(|d| d.as_secs() <= MAX_HTTP_DATE_SECS);
    if !in_range {
        return Vec::new();
    }
    let imf = httpdate::fmt_http_date(at);
    let (Some(wkd), Some(dd), Some(mon), Some(yyyy), Some(time)) = (
        imf.get(0..3),
        imf.get(5..7),
        imf.get(8..11),
        imf.get(12..16),
        imf.get(17..25),
    ) else {
        panic!("httpdate printed {imf:?}");
    };
    let long = match wkd {
        "Mon" => "Monday",
        "Tue" => "Tuesday",
        "Wed" => "Wednesday",
        "Thu" => "Thursday",
        "Fri" => "Friday",
        "Sat" => "Saturday",
        _ => "Sunday",
    };
    let day_sp = match dd.strip_prefix('0') {
        Some(one) => format!(" {one}"),
        None => dd.to_owned(),
    };
    vec![
        format!("{long}, {dd}-{mon}-{} {time} GMT", &yyyy[2..]),
        format!("{wkd} {mon} {day_sp} {time} {yyyy}"),
        format!("{wkd} {mon} {dd} {time} {yyyy}"),
        imf,
    ]
}
