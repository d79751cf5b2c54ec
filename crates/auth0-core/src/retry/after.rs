//! How long a response asks the client to wait: `Retry-After` (delta-seconds
//! or an HTTP-date in any of its three RFC 9110 forms) and Auth0's
//! `x-ratelimit-reset`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use http::header::RETRY_AFTER;

use crate::headers::RateLimitInfo;

/// The wait a `Retry-After` header asks for, relative to `now`.
///
/// Delta-seconds are taken as they are (`0` means "retry now"; a value too
/// large for `u64` saturates — the policy caps every wait anyway). An
/// HTTP-date is turned into the time left until then; RFC 9110 §5.6.7 has
/// recipients accept all three forms: IMF-fixdate (`Sun, 06 Nov 1994
/// 08:49:37 GMT`), the obsolete RFC 850 form (`Sunday, 06-Nov-94 08:49:37
/// GMT`) and asctime (`Sun Nov  6 08:49:37 1994`). A date that is not in the future
/// is ignored (`None`), as is any other form: with client and server clocks
/// skewed, "already passed" is more likely skew than an invitation to retry
/// at once, so the caller falls back to backoff.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs));
    }
    let at = parse_http_date(value)?;
    until(at, now)
}

/// Parses an HTTP-date in any of the three forms of RFC 9110 §5.6.7, with
/// hyperium's `httpdate` (the parser hyper itself uses). It checks the
/// weekday, the calendar and the time of day, and reads the RFC 850 form's
/// two-digit years as 1970–2069 where RFC 9110 counts from the current year;
/// the two differ only for dates decades away, which no server means as a
/// `Retry-After`.
pub(crate) fn parse_http_date(s: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(s).ok()
}

/// The time left until Auth0's `x-ratelimit-reset` (epoch seconds), if
/// that is in the future.
///
/// A reset too far ahead to represent (a number beyond `u64`, or beyond
/// what `SystemTime` holds) is `Duration::MAX`, not "no header": the server
/// did ask for a wait, and the policy must not retry early.
pub(crate) fn rate_limit_reset(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let Some(reset) = RateLimitInfo::from_headers(headers).reset else {
        let raw = headers
            .get(crate::headers::X_RATELIMIT_RESET)?
            .to_str()
            .ok()?
            .trim();
        let all_digits = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit());
        return all_digits.then_some(Duration::MAX);
    };
    let Some(at) = UNIX_EPOCH.checked_add(Duration::from_secs(reset)) else {
        return Some(Duration::MAX);
    };
    until(at, now)
}

fn until(at: SystemTime, now: SystemTime) -> Option<Duration> {
    match at.duration_since(now) {
        Ok(d) if !d.is_zero() => Some(d),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn parses_the_three_forms() {
        let rfc_example = Some(at(784_111_777));
        for form in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun Nov 06 08:49:37 1994",
        ] {
            assert_eq!(parse_http_date(form), rfc_example, "{form:?}");
        }
        assert_eq!(
            parse_http_date("Thu, 29 Feb 2024 12:00:00 GMT"),
            Some(at(1_709_208_000))
        );
        assert_eq!(
            parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT"),
            Some(at(253_402_300_799))
        );
    }

    #[test]
    fn rejects_malformed_dates() {
        for bad in [
            "",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Mon, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Thu, 29 Feb 2023 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            "Wed, 31 Dec 1969 23:59:59 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMTX",
            "Sun, 06-Nov-94 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Monday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994",
            "Mon Nov  6 08:49:37 1994",
            "Sun Nov  6 08:49:37 94",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn retry_after_delta_seconds() {
        let now = at(1_000);
        assert_eq!(
            retry_after(&headers(&[("retry-after", "7")]), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", " 0 ")]), now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "99999999999999999999999")]), now),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "-3")]), now), None);
        assert_eq!(retry_after(&headers(&[("retry-after", "1.5")]), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn retry_after_http_date_relative_to_now() {
        let now = at(1_700_000_000) - Duration::from_millis(2_500);
        let h = headers(&[("retry-after", "Tue, 14 Nov 2023 22:13:20 GMT")]);
        assert_eq!(retry_after(&h, now), Some(Duration::from_millis(2_500)));
        // The obsolete forms count too.
        let h850 = headers(&[("retry-after", "Tuesday, 14-Nov-23 22:13:20 GMT")]);
        assert_eq!(retry_after(&h850, now), Some(Duration::from_millis(2_500)));
        let asc = headers(&[("retry-after", "Tue Nov 14 22:13:20 2023")]);
        assert_eq!(retry_after(&asc, now), Some(Duration::from_millis(2_500)));
        // A date in the past (or now) is ignored.
        assert_eq!(retry_after(&h, at(1_700_000_000)), None);
        assert_eq!(retry_after(&h, at(1_700_000_100)), None);
    }

    #[test]
    fn rate_limit_reset_relative_to_now() {
        let h = headers(&[("x-ratelimit-reset", "1700000003")]);
        assert_eq!(
            rate_limit_reset(&h, at(1_700_000_000)),
            Some(Duration::from_secs(3))
        );
        assert_eq!(rate_limit_reset(&h, at(1_700_000_003)), None);
        assert_eq!(
            rate_limit_reset(&headers(&[("x-ratelimit-reset", "soon")]), at(0)),
            None
        );
        assert_eq!(
            rate_limit_reset(
                &headers(&[("x-ratelimit-reset", "18446744073709551615")]),
                at(0)
            ),
            UNIX_EPOCH
                .checked_add(Duration::from_secs(u64::MAX))
                .map_or(Some(Duration::MAX), |_| Some(Duration::from_secs(u64::MAX)))
        );
        assert_eq!(
            rate_limit_reset(
                &headers(&[("x-ratelimit-reset", "99999999999999999999999")]),
                at(0)
            ),
            Some(Duration::MAX)
        );
    }
}
