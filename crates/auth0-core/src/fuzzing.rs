//! Fuzzing harnesses (feature `fuzzing`, not part of the supported API).
//!
//! Called by the `retry_after` and `echoed_secrets` fuzz targets under `fuzz/` and by
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

/// Separates an [`echoed_secrets`] input's secret from the rest (never part
/// of valid UTF-8, so never inside the secret).
pub const SECRET_END: u8 = 0xFF;

/// Marks, in an [`echoed_secrets`] body, where the secret is echoed; the
/// byte after it picks the form.
pub const ECHO: u8 = 0x01;

/// Target `echoed_secrets`: a server answers an error whose body echoes a
/// credential the request sent, and nothing the SDK shows of the error —
/// `Display`, `Debug` and every `source()` below it — holds that
/// credential (the promise of [`secrets`](crate::secrets)).
///
/// Input: `mode`, the secret, [`SECRET_END`], a status byte, then the body,
/// where each [`ECHO`] and the byte after it become the secret in one of the
/// forms a server echoes it in: as sent (in the JSON or form body, or the
/// header the request carried), JSON-escaped as `JSON.stringify` or
/// `serde_json` writes it (also with `\/`, also with non-ASCII as `\uXXXX`),
/// form-encoded and percent-encoded as the SDK sent it, HTML-escaped, or
/// pasted into the body unescaped (inside a JSON string, say).
/// `mode` picks how the request carried the secret: recorded by hand
/// (`Secrets::insert`), as `client_secret` of a form body, as
/// `client_secret` of a JSON body (nested), or in `Authorization: Bearer`.
///
/// The secret is at least [`MIN_SECRET_LEN`](crate::secrets::MIN_SECRET_LEN)
/// · 2 bytes, holds a digit, and has no capital letter, `[`, `]`, `:`, `(`
/// or `)` (so it cannot be spelled by the SDK's own words around a redaction,
/// `[REDACTED]`, or the withheld notice, which hold none of its digits). It
/// must not show in `Display` as written, nor in `Debug` as `Debug` escapes it.
pub fn echoed_secrets(data: &[u8]) {
    use bytes::Bytes;
    use http::header::AUTHORIZATION;

    use crate::error::Error;
    use crate::secrets::{MIN_SECRET_LEN, Secrets};

    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Some(end) = rest.iter().position(|&b| b == SECRET_END) else {
        return;
    };
    let Ok(secret) = std::str::from_utf8(&rest[..end]) else {
        return;
    };
    // `Debug` writes escapes (`\n`, `\0`, `\u{1f}`): a body holding a
    // line feed and then the secret without its first `n` would show the
    // secret in `Debug` by accident (the fuzzer's first stop, kept as
    // `finding-1-debug-escape-tail`). So the secret starts with none of the
    // characters an escape ends with and holds no brace.
    let usable = secret.len() >= 2 * MIN_SECRET_LEN
        && secret.bytes().any(|b| b.is_ascii_digit())
        && !secret.starts_with(['n', 'r', 't', '0', '\\', '\'', '"'])
        && !secret.chars().any(|c| {
            c.is_uppercase()
                || c.is_control()
                || matches!(c, '[' | ']' | ':' | '(' | ')' | '{' | '}')
        });
    // A credential has no whitespace at its ends, and a header's none at
    // all (RFC 9110 §11.4: `token68`; a field value's own leading and
    // trailing spaces are not part of it — the fuzzer's third stop, kept as
    // `finding-1-spaces-around-bearer-token`).
    let trimmed = secret.trim() == secret;
    if !usable || !trimmed || (mode % 4 == 3 && secret.contains(char::is_whitespace)) {
        return;
    }
    let Some((&status, template)) = rest[end + 1..].split_first() else {
        return;
    };
    let status = [400, 401, 403, 404, 409, 429, 500, 502, 503][usize::from(status % 9)];

    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json[1..json.len() - 1].to_owned();
    let mut json_ascii = String::new();
    for c in json.chars() {
        if c.is_ascii() {
            json_ascii.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                json_ascii.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    let form_body = crate::client::form_urlencode([("grant_type", "x"), ("client_secret", secret)]);
    let json_body = format!(r#"{{"credentials":{{"client_secret":"{json}"}},"n":1}}"#);
    let mut percent = String::new();
    crate::client::percent_encode_into(&mut percent, secret);
    let html = secret
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;");
    let forms = [
        secret.to_owned(),
        json.replace('/', "\\/"),
        json_ascii,
        json,
        crate::client::form_urlencode([("", secret)])[1..].to_owned(),
        percent,
        html,
        // The whole body the request sent, echoed.
        match mode % 4 {
            1 => form_body.clone(),
            2 => json_body.clone(),
            _ => format!("Bearer {secret}"),
        },
    ];
    let mut body = Vec::new();
    let mut bytes = template.iter();
    while let Some(&b) = bytes.next() {
        if b == ECHO {
            let pick = bytes.next().copied().unwrap_or(0);
            body.extend_from_slice(forms[usize::from(pick) % forms.len()].as_bytes());
        } else {
            body.push(b);
        }
    }

    let secrets = Secrets::new();
    match mode % 4 {
        0 => secrets.insert(secret),
        1 => secrets.record_body(&Bytes::from(form_body)),
        2 => secrets.record_body(&Bytes::from(json_body)),
        _ => {
            let mut headers = HeaderMap::new();
            let Ok(value) = HeaderValue::from_str(&format!("Bearer {secret}")) else {
                return;
            };
            headers.insert(AUTHORIZATION, value);
            secrets.record_headers(&headers);
        }
    }
    let mut response = http::Response::new(Bytes::from(body));
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap_or_default();
    response.extensions_mut().insert(secrets);
    let error = Error::from_response(&response);

    // `Display` shows text as it is, `Debug` escaped (`"` as `\"`, `\` as
    // `\\`): each is searched for the secret as it would write it. (Raw in
    // `Debug`, a prefix of the secret and `Debug`'s closing quote, or a run of
    // doubled backslashes, spell it by accident: the fuzzer's stops kept as
    // `finding-1-debug-closing-quote` and `finding-1-debug-doubled-backslashes`.)
    let mut display = error.to_string();
    let mut debug = format!("{error:?}");
    let mut source = std::error::Error::source(&error);
    while let Some(inner) = source {
        display.push_str(&format!("\n{inner}"));
        debug.push_str(&format!("\n{inner:?}"));
        source = inner.source();
    }
    let escaped = format!("{secret:?}");
    let escaped = &escaped[1..escaped.len() - 1];
    assert!(
        !display.contains(secret) && !debug.contains(escaped),
        "the secret {secret:?} (mode {}) shows in:\n{display}\n{debug}",
        mode % 4
    );
}
