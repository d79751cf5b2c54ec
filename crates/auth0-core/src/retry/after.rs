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
    let at = parse_http_date(value, now)?;
    until(at, now)
}

/// Parses an HTTP-date in any of the three forms of RFC 9110 §5.6.7. `now`
/// resolves the RFC 850 form's two-digit year.
pub(crate) fn parse_http_date(s: &str, now: SystemTime) -> Option<SystemTime> {
    parse_imf_fixdate(s)
        .or_else(|| parse_rfc850(s, now))
        .or_else(|| parse_asctime(s))
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

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const WEEKDAYS_LONG: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// A date and time of day, checked and turned into a `SystemTime`.
struct Civil {
    /// Monday = 0.
    weekday: usize,
    year: u64,
    month: u64,
    day: u64,
    hour: u64,
    minute: u64,
    second: u64,
}

impl Civil {
    /// Ranges checked, the weekday must match the date, years before 1970 refused.
    fn to_time(&self) -> Option<SystemTime> {
        let Civil {
            weekday,
            year,
            month,
            day,
            hour,
            minute,
            second,
        } = *self;
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
}

fn month_of(name: &[u8]) -> Option<u64> {
    MONTHS
        .iter()
        .position(|m| m.as_bytes() == name)
        .map(|i| i as u64 + 1)
}

/// Parses `HH:MM:SS`.
fn time_of_day(b: &[u8]) -> Option<(u64, u64, u64)> {
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    Some((digits(&b[0..2])?, digits(&b[3..5])?, digits(&b[6..8])?))
}

/// Parses an IMF-fixdate (RFC 9110 §5.6.7), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
///
/// Strict: fixed widths, `GMT` only, field ranges checked, the weekday must
/// match the date. (The obsolete forms have their own parsers below.)
pub(crate) fn parse_imf_fixdate(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() != 29
        || &b[3..5] != b", "
        || b[7] != b' '
        || b[11] != b' '
        || b[16] != b' '
        || &b[25..] != b" GMT"
    {
        return None;
    }
    let (hour, minute, second) = time_of_day(&b[17..25])?;
    Civil {
        weekday: WEEKDAYS.iter().position(|w| w.as_bytes() == &b[0..3])?,
        day: digits(&b[5..7])?,
        month: month_of(&b[8..11])?,
        year: digits(&b[12..16])?,
        hour,
        minute,
        second,
    }
    .to_time()
}

/// Parses the obsolete RFC 850 form, e.g. `Sunday, 06-Nov-94 08:49:37 GMT`.
///
/// The two-digit year is read as RFC 9110 says: the year with those last two
/// digits that is at most 50 years after `now`'s year.
fn parse_rfc850(s: &str, now: SystemTime) -> Option<SystemTime> {
    let (name, rest) = s.split_once(", ")?;
    let weekday = WEEKDAYS_LONG.iter().position(|w| *w == name)?;
    let b = rest.as_bytes();
    // `DD-Mon-YY HH:MM:SS GMT`
    if b.len() != 22 || b[2] != b'-' || b[6] != b'-' || b[9] != b' ' || &b[18..] != b" GMT" {
        return None;
    }
    let (hour, minute, second) = time_of_day(&b[10..18])?;
    let yy = digits(&b[7..9])?;
    let this_year = year_of(now);
    let mut year = this_year - this_year % 100 + yy;
    if year > this_year + 50 {
        year = year.checked_sub(100)?;
    }
    Civil {
        weekday,
        day: digits(&b[0..2])?,
        month: month_of(&b[3..6])?,
        year,
        hour,
        minute,
        second,
    }
    .to_time()
}

/// Parses the asctime form, e.g. `Sun Nov  6 08:49:37 1994` (day padded
/// with a space, always GMT).
fn parse_asctime(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    // `Www Mmm DD HH:MM:SS YYYY`
    if b.len() != 24 || b[3] != b' ' || b[7] != b' ' || b[10] != b' ' || b[19] != b' ' {
        return None;
    }
    // `( 2DIGIT / ( SP DIGIT ) )`: " 6" or "06" or "16".
    let day = match b[8] {
        b' ' => digits(&b[9..10])?,
        _ => digits(&b[8..10])?,
    };
    let (hour, minute, second) = time_of_day(&b[11..19])?;
    Civil {
        weekday: WEEKDAYS.iter().position(|w| w.as_bytes() == &b[0..3])?,
        day,
        month: month_of(&b[4..7])?,
        year: digits(&b[20..24])?,
        hour,
        minute,
        second,
    }
    .to_time()
}

/// The proleptic Gregorian year of `t` (1970 for times before the epoch).
fn year_of(t: SystemTime) -> u64 {
    let days = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    // Walk from 1970 in 400-year eras, then years: exact and cheap enough for
    // a header that is parsed once per 429.
    let mut year = 1970 + days / 146_097 * 400;
    let mut left = days % 146_097;
    loop {
        let len = if is_leap(year) { 366 } else { 365 };
        if left < len {
            return year;
        }
        left -= len;
        year += 1;
    }
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
    fn parses_the_obsolete_forms() {
        let now = at(1_700_000_000); // 2023
        let rfc_example = Some(at(784_111_777));
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", now),
            rfc_example
        );
        assert_eq!(
            parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", now),
            rfc_example
        );
        assert_eq!(
            parse_http_date("Sun Nov  6 08:49:37 1994", now),
            rfc_example
        );
        assert_eq!(
            parse_http_date("Sun Nov 06 08:49:37 1994", now),
            rfc_example
        );
        // Two-digit years: at most 50 years ahead of now, else the century before.
        assert_eq!(
            parse_http_date("Tuesday, 14-Nov-23 22:13:20 GMT", now),
            Some(at(1_700_000_000))
        );
        assert_eq!(
            parse_http_date("Tuesday, 14-Nov-73 22:13:20 GMT", now),
            parse_imf_fixdate("Tue, 14 Nov 2073 22:13:20 GMT")
        );
        // 2074 is more than 50 years ahead of 2023: 1974 (a Thursday).
        assert_eq!(
            parse_http_date("Thursday, 14-Nov-74 22:13:20 GMT", now),
            Some(at(153_699_200))
        );
        assert_eq!(parse_http_date("Friday, 14-Nov-74 22:13:20 GMT", now), None);
        for bad in [
            "Sun, 06-Nov-94 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 UTC",
            "Monday, 06-Nov-94 08:49:37 GMT",
            "Sunday, 31-Nov-94 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994",
            "Sun Nov  6 08:49:37 1994 ",
            "Mon Nov  6 08:49:37 1994",
            "Sun Nov  6 08:49:37 94",
            "Sun Nov   08:49:37 1994",
            "Sun Nov  6 25:49:37 1994",
            "Sunday Nov  6 08:49:37 1994",
        ] {
            assert_eq!(parse_http_date(bad, now), None, "{bad:?}");
        }
    }

    #[test]
    fn year_of_matches_the_calendar() {
        assert_eq!(year_of(at(0)), 1970);
        assert_eq!(year_of(at(1_700_000_000)), 2023);
        assert_eq!(year_of(at(1_704_067_199)), 2023); // 2023-12-31 23:59:59
        assert_eq!(year_of(at(1_704_067_200)), 2024);
        assert_eq!(year_of(at(253_402_300_799)), 9999);
        assert_eq!(year_of(UNIX_EPOCH - Duration::from_secs(1)), 1970);
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
