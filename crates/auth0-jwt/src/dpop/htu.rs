//! The `htu` comparison of RFC 9449 §4.3 (check 9): the proof's URI and the
//! request's, both without query and fragment, after the syntax- and
//! scheme-based normalization of RFC 3986 §6.2.2 and §6.2.3 that the RFC
//! asks servers to apply ("to reduce the likelihood of false negatives").

/// Why a URI could not be normalized. The URI itself is not kept (it is the
/// sender's text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadUri(pub(crate) &'static str);

/// `uri` normalized for comparison: scheme and host lowercased, default port
/// dropped, percent-escapes in upper case and unreserved ones decoded, dot
/// segments removed, an empty path made `/`; query and fragment dropped.
/// Only absolute `http`/`https` URIs are accepted.
pub(crate) fn normalize(uri: &str) -> Result<String, BadUri> {
    if !uri.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(BadUri(
            "contains a space, a control or a non-ASCII character",
        ));
    }
    // RFC 9449 §4.2 and §4.3: query and fragment are not part of `htu`.
    let end = uri.find(['?', '#']).unwrap_or(uri.len());
    let uri = &uri[..end];
    let (scheme, rest) = uri.split_once("://").ok_or(BadUri("not an absolute URI"))?;
    // RFC 3986 §6.2.2.1: the scheme is case-insensitive.
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => return Err(BadUri("the scheme is not http or https")),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    // RFC 9110 §4.2.4: userinfo is deprecated in http(s) URIs; a proof
    // naming one is refused rather than compared.
    if authority.contains('@') {
        return Err(BadUri("the authority has userinfo"));
    }
    let (host, port) = split_port(authority)?;
    if host.is_empty() {
        return Err(BadUri("the host is empty"));
    }
    check_host(host)?;
    let mut out = String::with_capacity(uri.len());
    out.push_str(&scheme);
    out.push_str("://");
    // RFC 3986 §6.2.2.1: the host is case-insensitive.
    out.push_str(&normalize_escapes(host)?.to_ascii_lowercase());
    // RFC 3986 §6.2.3: an empty or default port is omitted.
    if let Some(port) = port
        && port != default_port
    {
        out.push(':');
        out.push_str(&port.to_string());
    }
    let path = normalize_escapes(path)?;
    // RFC 3986 §6.2.3: an empty path of an http(s) URI is `/`.
    if path.is_empty() {
        out.push('/');
    } else {
        remove_dot_segments(&path, &mut out);
    }
    Ok(out)
}

/// Splits `host[:port]` (host may be an `[IPv6]` literal). An empty port is
/// `None` (RFC 3986 §6.2.3).
fn split_port(authority: &str) -> Result<(&str, Option<u16>), BadUri> {
    let colon = if authority.starts_with('[') {
        let close = authority
            .find(']')
            .ok_or(BadUri("an IPv6 literal is not closed"))?;
        match &authority[close + 1..] {
            "" => None,
            tail if tail.starts_with(':') => Some(close + 1),
            _ => return Err(BadUri("characters after an IPv6 literal")),
        }
    } else {
        authority.rfind(':')
    };
    let Some(colon) = colon else {
        return Ok((authority, None));
    };
    let (host, port) = (&authority[..colon], &authority[colon + 1..]);
    if port.is_empty() {
        return Ok((host, None));
    }
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BadUri("the port is not a number"));
    }
    // Leading zeros are the same port; more than 5 digits is out of range anyway.
    let trimmed = port.trim_start_matches('0');
    let port = if trimmed.is_empty() {
        0
    } else {
        trimmed
            .parse::<u16>()
            .map_err(|_| BadUri("the port is out of range"))?
    };
    Ok((host, Some(port)))
}

/// RFC 3986 §3.2.2: a host is an IP literal in brackets (IPv6 or IPvFuture:
/// hex digits, `:`, `.`, `v` and the like) or a reg-name of unreserved
/// characters, percent-escapes and sub-delims. Anything else (a second `:`,
/// a stray `[` or `]`, …) makes the authority ambiguous: `h:8443:443` must
/// not pass for `h:8443`, and a normalized URI must read back the same.
fn check_host(host: &str) -> Result<(), BadUri> {
    let sub_delim = |b: u8| {
        matches!(
            b,
            b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
        )
    };
    let (inner, literal) = match host.strip_prefix('[') {
        // `split_port` checked that the literal ends the host.
        Some(literal) => (literal.strip_suffix(']').unwrap_or(literal), true),
        None => (host, false),
    };
    let allowed = |b: u8| is_unreserved(b) || sub_delim(b) || b == b'%' || (literal && b == b':');
    if inner.is_empty() || !inner.bytes().all(allowed) {
        return Err(BadUri(
            "the host has characters RFC 3986 does not allow there",
        ));
    }
    Ok(())
}

/// RFC 3986 §2.3: unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~".
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// RFC 3986 §6.2.2.1 and §6.2.2.2: percent-escapes in upper case, escapes of
/// unreserved characters decoded.
fn normalize_escapes(s: &str) -> Result<String, BadUri> {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b'%' {
            out.push(char::from(b));
            i += 1;
            continue;
        }
        let hex = |at: usize| {
            bytes
                .get(at)
                .and_then(|h| char::from(*h).to_digit(16))
                .ok_or(BadUri("a malformed percent-escape"))
        };
        let value = hex(i + 1)? * 16 + hex(i + 2)?;
        // Two hex digits: always below 256.
        let decoded = u8::try_from(value).map_err(|_| BadUri("a malformed percent-escape"))?;
        if is_unreserved(decoded) {
            out.push(char::from(decoded));
        } else {
            out.push('%');
            out.push_str(&format!("{decoded:02X}"));
        }
        i += 3;
    }
    Ok(out)
}

/// RFC 3986 §5.2.4 on an absolute path, appended to `out`.
fn remove_dot_segments(path: &str, out: &mut String) {
    let mut segments: Vec<&str> = Vec::new();
    let mut parts = path.split('/').skip(1).peekable();
    while let Some(segment) = parts.next() {
        let last = parts.peek().is_none();
        match segment {
            "." | ".." => {
                if segment == ".." {
                    segments.pop();
                }
                // `/a/b/..` is `/a/`: a dot segment at the end leaves a slash.
                if last {
                    segments.push("");
                }
            }
            other => segments.push(other),
        }
    }
    out.push('/');
    out.push_str(&segments.join("/"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equivalent_forms_normalize_alike() {
        let canonical = "https://api.example.com/orders/1";
        for form in [
            "https://api.example.com/orders/1",
            "HTTPS://API.Example.COM/orders/1",
            "https://api.example.com:443/orders/1",
            "https://api.example.com:/orders/1",
            "https://api.example.com/orders/./x/../1",
            "https://api.example.com/%6Frders/1?q=1#frag",
            "https://api.example.com/orders/1#frag",
        ] {
            assert_eq!(normalize(form).as_deref(), Ok(canonical), "{form}");
        }
        assert_eq!(
            normalize("http://h:80").as_deref(),
            Ok("http://h/"),
            "empty path and default port"
        );
        assert_eq!(normalize("http://h/a/%2f").as_deref(), Ok("http://h/a/%2F"));
        assert_eq!(normalize("http://h/a/b/..").as_deref(), Ok("http://h/a/"));
        assert_eq!(
            normalize("https://[::1]:8443/x").as_deref(),
            Ok("https://[::1]:8443/x")
        );
        assert_eq!(normalize("https://h:00443/").as_deref(), Ok("https://h/"));
    }

    #[test]
    fn differences_that_matter_survive() {
        let a = normalize("https://api.example.com/orders").unwrap();
        for other in [
            "http://api.example.com/orders",
            "https://api.example.com:8443/orders",
            "https://api.example.com/Orders",
            "https://api.example.com/orders/",
            "https://evil.example.com/orders",
        ] {
            assert_ne!(normalize(other).unwrap(), a, "{other}");
        }
    }

    #[test]
    fn unusable_uris_are_refused() {
        for bad in [
            "/orders",
            "ftp://h/x",
            "https://user@h/x",
            "https:///x",
            "https://h:99999/x",
            "https://h:ab/x",
            "https://h/%zz",
            "https://h/%4",
            "https://h/a b",
            "https://[::1/x",
            "https://h/é",
            // Found by the `htu` fuzz target: hosts a reading of the
            // normalized URI would split differently.
            "http://a]:http://a]:62/",
            "https://api.example.com:8443:443/x",
            "https://h]/x",
            "https://[]/x",
            "https://h[1]/x",
        ] {
            assert!(normalize(bad).is_err(), "{bad}");
        }
    }
}
