//! How long a response asks the client to wait: `Retry-After` (delta-seconds
//! or IMF-fixdate HTTP-date) and Auth0's `x-ratelimit-reset`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use http::header::RETRY_AFTER;

use crate::headers::RateLimitInfo;

/// The wait a `Retry-After` header asks for, relative to `now`.
///
/// Delta-seconds are taken as they are (`0` means "retry now"; a value too
/// large for `u64` saturates — the policy caps every wait anyway). An
/// HTTP-date in the IMF-fixdate form (`Sun, 06 Nov 1994 08:49:37 GMT`) is
/// turned into the time left until then. A date that is not in the future
/// is ignored (`None`), as is any other form: with client and server clocks
/// skewed, "already passed" is more likely skew than an invitation to retry
/// at once, so the caller falls back to backoff.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs));
    }
    let at = parse_imf_fixdate(value)?;
    until(at, now)
}

/// The time left until Auth0's `x-ratelimit-reset` (epoch seconds), if
/// that is in the future.
pub(crate) fn rate_limit_reset(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let reset = RateLimitInfo::from_headers(headers).reset?;
    let at = UNIX_EPOCH.checked_add(Duration::from_secs(reset))?;
    until(at, now)
}

fn until(at: SystemTime, now: SystemTime) -> Option<Duration> {
    match at.duration_since(now) {
        Ok(d) if !d.is_zero() => Some(d),
        _ => None,
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Parses an IMF-fixdate (RFC 9110 §5.6.7), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
///
/// Strict: fixed widths, `GMT` only, field ranges checked, the weekday must
/// match the date. The obsolete RFC 850 and asctime forms are not accepted.
pub(crate) fn parse_imf_fixdate(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() != 29
        || &b[3..5] != b", "
        || b[7] != b' '
        || b[11] != b' '
        || b[16] != b' '
        || b[19] != b':'
        || b[22] != b':'
        || &b[25..] != b" GMT"
    {
        return None;
    }
    let weekday = WEEKDAYS.iter().position(|w| w.as_bytes() == &b[0..3])?;
    let day = digits(&b[5..7])?;
    let month = MONTHS.iter().position(|m| m.as_bytes() == &b[8..11])? as u64 + 1;
    let year = digits(&b[12..16])?;
    let hour = digits(&b[17..19])?;
    let minute = digits(&b[20..22])?;
    let second = digits(&b[23..25])?;
    if year < 1970 || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    // 60 is a leap second; it is accepted and lands on the next second.
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    // 1970-01-01 was a Thursday (index 3 with Monday = 0).
    if (days + 3) % 7 != weekday as u64 {
        return None;
    }
    let secs = days * 86_400 + hour * 3_600 + minute * 60 + second;
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

fn digits(b: &[u8]) -> Option<u64> {
    b.iter().try_fold(0u64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u64::from(c - b'0'))
    })
}

fn is_leap(year: u64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date with `year >= 1970`
/// (H. Hinnant's `days_from_civil`, restricted to unsigned years).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    // 719_468 = days from 0000-03-01 to 1970-01-01; year >= 1970 keeps this positive.
    era * 146_097 + doe - 719_468
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
    fn parses_rfc_example() {
        assert_eq!(
            parse_imf_fixdate("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(at(784_111_777))
        );
    }

    #[test]
    fn parses_epoch_leap_day_and_far_future() {
        assert_eq!(
            parse_imf_fixdate("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(at(0))
        );
        assert_eq!(
            parse_imf_fixdate("Thu, 29 Feb 2024 12:00:00 GMT"),
            Some(at(1_709_208_000))
        );
        assert_eq!(
            parse_imf_fixdate("Tue, 14 Nov 2023 22:13:20 GMT"),
            Some(at(1_700_000_000))
        );
        assert_eq!(
            parse_imf_fixdate("Fri, 31 Dec 9999 23:59:59 GMT"),
            Some(at(253_402_300_799))
        );
    }

    #[test]
    fn rejects_malformed_dates() {
        for bad in [
            "",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Mon, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Thu, 29 Feb 2023 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            "Sun, 06 Nov 1994 08:49:61 GMT",
            "Wed, 31 Dec 1969 23:59:59 GMT",
            "Sun, 0x Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMTX",
            "Sun, 06 Nov 1994 08:49:3é GMT",
        ] {
            assert_eq!(parse_imf_fixdate(bad), None, "{bad:?}");
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
                .map(|_| Duration::from_secs(u64::MAX))
        );
    }
}
