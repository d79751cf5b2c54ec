//! Keeping credentials out of error text: the [`Secrets`] a request carried,
//! and the one redactor every error built from a response goes through.
//!
//! A server or proxy may echo the request it received ("could not parse
//! body: {…client_secret…}"), so any text taken from a response — an
//! [`Auth0Error`](crate::error::Auth0Error)'s code and message, a body
//! snippet, a decoder's message — is scrubbed twice before it is kept:
//!
//! 1. **by exact value**: every secret the client sent in that request (the
//!    values of secret-named body fields, sensitive headers such as
//!    `Authorization`, every body the retry layer rebuilt, and whatever the
//!    caller added with [`Secrets::insert`]) is replaced wherever it occurs,
//!    also in its JSON-escaped, HTML-escaped, form- and percent-encoded forms,
//!    and as a JSON parser reads it back from a string it was pasted into
//!    unescaped;
//! 2. **by name**: a JSON body is walked in one pass (`json_redact`); the
//!    value of every field named in [`SECRET_KEYS`] (at any depth) is
//!    replaced and also scrubbed by value from the rest of the text. Text
//!    that is not JSON but names a secret key with a value (`client_secret=…`,
//!    `"access_token": …`) is withheld whole.
//!
//! [`Auth0Client::send`](crate::client::Auth0Client::send) records every
//! request in one [`Secrets`] (reusing one the caller attached; carried
//! down the stack with a request whose body the retry layer rebuilds) and
//! attaches the set to the response, where [`Error::from_response`](crate::error::Error::from_response)
//! and the body decoder find it. Recording copies no text: header values
//! and bodies are kept as shared bytes and only read when an error is
//! scrubbed.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use http::header::{AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION};
use http::{HeaderMap, HeaderValue};

/// What replaces a secret in text.
pub const REDACTED: &str = "[REDACTED]";

/// What is shown instead of a text that names a secret key with a value
/// but is not JSON (so the value's extent is unknown).
pub const WITHHELD: &str = "[withheld: the body may contain credentials]";

/// Secrets shorter than this are not scrubbed by value: replacing every
/// `1` or `ab` in a message would hide the message, not a credential.
pub const MIN_SECRET_LEN: usize = 4;

mod keys;

pub use keys::{
    PUBLIC_IN_OBJECTS, SECRET_IN_OBJECTS, SECRET_KEYS, SECRET_SUFFIXES, is_secret_field,
    is_secret_key,
};

#[derive(Default)]
struct Inner {
    values: Vec<String>,
    /// Bodies sent, expanded into `values` when first needed (only an
    /// error pays for parsing them).
    bodies: Vec<Bytes>,
    /// Sensitive header values sent, likewise expanded when first needed
    /// (a clone of a `HeaderValue` shares its bytes: recording the bearer
    /// token of every request copies no text). The first one is kept
    /// inline: most requests send one (`Authorization`), and then the set,
    /// itself kept in its [`Secrets`] until that is cloned, allocates
    /// nothing.
    first_header: Option<HeaderValue>,
    headers: Vec<HeaderValue>,
}

/// The credentials one request sent, to be scrubbed from anything built
/// from its response.
///
/// A request extension (and, after [`Auth0Client::send`](crate::client::Auth0Client::send),
/// a response extension). Clones share one set, so values added while the
/// request is under way (a client assertion signed for a retry) count too.
/// `Debug` shows only how many values it holds.
///
/// ```
/// use auth0_core::secrets::Secrets;
///
/// let secrets = Secrets::new();
/// secrets.insert("s3cr3t-value");
/// assert_eq!(
///     secrets.scrub("could not parse body: client_secret=s3cr3t-value"),
///     "could not parse body: client_secret=[REDACTED]"
/// );
/// ```
#[derive(Default)]
pub struct Secrets {
    set: Mutex<Set>,
}

/// Where a [`Secrets`]' values live: in the value itself until it is
/// cloned (a request's set usually never is: it goes from the client's
/// future to the response, so it costs no allocation of its own), then in
/// one set every clone shares.
enum Set {
    Own(Inner),
    Shared(Arc<Mutex<Inner>>),
}

impl Default for Set {
    fn default() -> Self {
        Set::Own(Inner::default())
    }
}

/// A clone shares the set: the set moves behind an `Arc` the first time.
impl Clone for Secrets {
    fn clone(&self) -> Self {
        let mut set = lock(&self.set);
        let shared = match &mut *set {
            Set::Shared(shared) => Arc::clone(shared),
            Set::Own(inner) => {
                let shared = Arc::new(Mutex::new(std::mem::take(inner)));
                *set = Set::Shared(Arc::clone(&shared));
                shared
            }
        };
        Self {
            set: Mutex::new(Set::Shared(shared)),
        }
    }
}

/// A lock whose data stays whole: the data is plain lists, which a panic
/// elsewhere cannot leave torn.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_inner(|inner| {
            f.debug_struct("Secrets")
                .field("values", &inner.values.len())
                .field(
                    "headers",
                    &(inner.headers.len() + usize::from(inner.first_header.is_some())),
                )
                .field("bodies", &inner.bodies.len())
                .finish()
        })
    }
}

impl Secrets {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `f` on the set (its own, or the one its clones share).
    fn with_inner<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        let mut set = lock(&self.set);
        match &mut *set {
            Set::Own(inner) => f(inner),
            Set::Shared(shared) => f(&mut lock(shared)),
        }
    }

    /// Adds one value (ignored when shorter than [`MIN_SECRET_LEN`]).
    pub fn insert(&self, value: impl Into<String>) {
        let value = value.into();
        if value.len() >= MIN_SECRET_LEN {
            self.with_inner(|inner| {
                if !inner.values.contains(&value) {
                    inner.values.push(value);
                }
            });
        }
    }

    /// Records a request body sent: the values of its secret-named fields
    /// (JSON at any depth, or `application/x-www-form-urlencoded`) count as
    /// secrets. Parsed only when something is scrubbed.
    pub fn record_body(&self, body: &Bytes) {
        if !body.is_empty() {
            self.with_inner(|inner| inner.bodies.push(body.clone()));
        }
    }

    /// Records the sensitive headers of a request: `Authorization`,
    /// `Cookie`, `Proxy-Authorization` and any value marked sensitive (with
    /// and without its auth scheme, e.g. both `Bearer eyJ…` and `eyJ…`).
    pub fn record_headers(&self, headers: &HeaderMap) {
        for (name, value) in headers {
            // Compared as `HeaderName`s (standard names: one integer each).
            let named = name == AUTHORIZATION || name == PROXY_AUTHORIZATION || name == COOKIE;
            if named || value.is_sensitive() {
                self.with_inner(|inner| {
                    if inner.first_header.is_none() {
                        inner.first_header = Some(value.clone());
                    } else {
                        inner.headers.push(value.clone());
                    }
                });
            }
        }
    }

    /// Every value to scrub, longest first (so a value containing another
    /// is replaced whole).
    fn values(&self) -> Vec<String> {
        let mut values = self.with_inner(Inner::expand);
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values
    }

    /// `text` with every value of the set replaced by [`REDACTED`], also
    /// where it appears JSON-escaped, form-encoded or percent-encoded.
    pub fn scrub(&self, text: &str) -> String {
        scrub_values(text, &self.values())
    }
}

impl Inner {
    /// Expands the recorded headers and bodies into `values` (once) and
    /// returns them all.
    fn expand(inner: &mut Inner) -> Vec<String> {
        let first = inner.first_header.take();
        let headers = std::mem::take(&mut inner.headers);
        for value in first.iter().chain(&headers) {
            let Ok(text) = value.to_str() else { continue };
            let credential = text.split_once(' ').map(|(_, c)| c.trim());
            for value in std::iter::once(text).chain(credential) {
                if value.len() >= MIN_SECRET_LEN && !inner.values.iter().any(|v| v == value) {
                    inner.values.push(value.to_owned());
                }
            }
        }
        let bodies = std::mem::take(&mut inner.bodies);
        for body in &bodies {
            for value in secret_values_of_body(body) {
                if value.len() >= MIN_SECRET_LEN && !inner.values.contains(&value) {
                    inner.values.push(value);
                }
            }
        }
        inner.values.clone()
    }
}

fn scrub_values(text: &str, values: &[String]) -> String {
    let mut out = text.to_owned();
    for value in values {
        for form in encoded_forms(value) {
            if form.len() >= MIN_SECRET_LEN && out.contains(form.as_str()) {
                out = out.replace(form.as_str(), REDACTED);
            }
        }
    }
    out
}

/// The forms a value takes when a server echoes a request: as is,
/// JSON-escaped (also with non-ASCII as `\uXXXX` and `/` as `\/`, as some
/// encoders write), as read back from a JSON string it was pasted into
/// unescaped, HTML-escaped, form-encoded, percent-encoded.
fn encoded_forms(value: &str) -> Vec<String> {
    let mut forms = vec![value.to_owned()];
    if let Ok(json) = serde_json::to_string(value) {
        // Without the quotes.
        let escaped = json[1..json.len() - 1].to_owned();
        let mut ascii = String::with_capacity(escaped.len());
        for c in escaped.chars() {
            if c.is_ascii() {
                ascii.push(c);
            } else {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    ascii.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
        forms.push(ascii.replace('/', "\\/"));
        forms.push(ascii);
        forms.push(escaped.replace('/', "\\/"));
        forms.push(escaped);
    }
    forms.push(
        value
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;"),
    );
    // A server that pastes the value into a JSON string unescaped (a message
    // built by concatenation): a value holding `\"` or `\n` then reads back,
    // once the body is parsed, as another text that still spells it out.
    // Found by the `echoed_secrets` fuzz target.
    if value.contains('\\')
        && let Ok(read_back) = serde_json::from_str::<String>(&format!("\"{value}\""))
    {
        forms.push(read_back);
    }
    forms.push(crate::client::form_urlencode([("", value)])[1..].to_owned());
    let mut percent = String::new();
    crate::client::percent_encode_into(&mut percent, value);
    forms.push(percent);
    forms.dedup();
    forms
}

/// The values of secret-named fields of a JSON or form-encoded body.
fn secret_values_of_body(body: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    if crate::json_redact::walk(body, false, &mut out, None) {
        return out;
    }
    out.clear();
    let Ok(text) = std::str::from_utf8(body) else {
        return out;
    };
    for pair in text.split('&') {
        let Some((name, value)) = pair.split_once('=') else {
            continue;
        };
        if is_secret_key(&form_decode(name)) {
            out.push(form_decode(value));
        }
    }
    out
}

/// Decodes one `application/x-www-form-urlencoded` component (`+` is a
/// space, `%XX` a byte; invalid escapes are kept as they are).
fn form_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| char::from(c).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        // Two hex digits: at most 0xff.
                        out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// True when `text` names a secret key followed by a value: `key=` (form
/// encoding, a query string) or `"key":` (JSON, possibly cut short or
/// embedded in other text).
pub(crate) fn names_a_secret_with_value(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    SECRET_KEYS.iter().any(|key| {
        lower.match_indices(key).any(|(at, _)| {
            let before = lower[..at].chars().next_back();
            // A key starts a word: `xcode=` is not `code=`.
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                return false;
            }
            let rest = &lower[at + key.len()..];
            if let Some(after_quote) = rest.strip_prefix('"').or_else(|| rest.strip_prefix("\\\""))
            {
                return before.is_some_and(|c| c == '"' || c == '\\')
                    && after_quote.trim_start().starts_with(':');
            }
            rest.starts_with('=') || rest.starts_with("%3d")
        })
    })
}

/// A decoder's `message` about a response `body` made safe to show: what
/// [`Error::decode_failure`](crate::error::Error::decode_failure) does to its
/// own message, for a caller that reports the failure in its own error type.
/// Every value of `secrets` (the request's, found in the response's
/// extensions) and every value `body` holds under a secret-like name is
/// replaced, and a message that still names a secret with a value is
/// withheld whole.
///
/// ```
/// use auth0_core::secrets::{scrub_decoder_message, Secrets};
/// let body = br#"{"client_secret":"k3y-echoed-back-0123","blocked":"k3y-echoed-back-0123"}"#;
/// let message = r#"invalid type: string "k3y-echoed-back-0123", expected a boolean"#;
/// let shown = scrub_decoder_message(None, body, message);
/// assert!(!shown.contains("k3y-echoed-back"));
/// assert!(shown.contains("expected a boolean"));
///
/// let secrets = Secrets::new();
/// secrets.insert("the-request-token-0123");
/// let shown = scrub_decoder_message(Some(&secrets), b"[]", "got \"the-request-token-0123\"");
/// assert!(!shown.contains("the-request-token"));
/// ```
pub fn scrub_decoder_message(secrets: Option<&Secrets>, body: &[u8], message: &str) -> String {
    Redactor::new(secrets, body).text(message)
}

/// A response text made safe to show: redacted by name (a JSON document is
/// parsed and walked; other text naming a secret key with a value is
/// withheld whole) and by value (`secrets`, plus every value found by the
/// walk). `extra` receives the values found, to scrub them from related
/// texts (a decoder's message) too.
pub(crate) struct Redactor {
    values: Vec<String>,
}

impl Redactor {
    /// A redactor for a response `body` to a request that sent `secrets`.
    pub(crate) fn new(secrets: Option<&Secrets>, body: &[u8]) -> Self {
        let mut values = secrets.map(Secrets::values).unwrap_or_default();
        let mut found = Vec::new();
        if crate::json_redact::walk(body, true, &mut found, None) {
            for v in found {
                if v.len() >= MIN_SECRET_LEN && !values.contains(&v) {
                    values.push(v);
                }
            }
            values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        }
        Self { values }
    }

    /// `text` scrubbed by value; withheld whole when it still names a
    /// secret key with a value.
    pub(crate) fn text(&self, text: &str) -> String {
        let scrubbed = scrub_values(text, &self.values);
        if names_a_secret_with_value(&scrubbed) {
            return WITHHELD.to_owned();
        }
        scrubbed
    }

    /// A body made safe to show: a JSON document with its secret-named
    /// fields redacted (re-serialised compactly), or the text otherwise,
    /// then scrubbed as [`Redactor::text`] does.
    pub(crate) fn body(&self, body: &[u8]) -> String {
        let mut redacted = String::new();
        if crate::json_redact::walk(body, true, &mut Vec::new(), Some(&mut redacted)) {
            // Redacted by name already: only values are left to scrub.
            return scrub_values(&redacted, &self.values);
        }
        self.text(&String::from_utf8_lossy(body))
    }

    /// Text scrubbed by value only (no withholding): for short labels such
    /// as an error code.
    pub(crate) fn value_only(&self, text: &str) -> String {
        scrub_values(text, &self.values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_every_encoding_of_a_value() {
        let s = Secrets::new();
        s.insert("p@ss w/rd+\"x\"");
        for text in [
            "echo: p@ss w/rd+\"x\"",
            r#"echo: {"password":"p@ss w/rd+\"x\""}"#,
            "echo: password=p%40ss+w%2Frd%2B%22x%22",
            "echo: p%40ss%20w%2Frd%2B%22x%22",
        ] {
            let out = s.scrub(text);
            assert!(!out.contains("w/rd") && !out.contains("w%2Frd"), "{out}");
            assert!(out.contains(REDACTED), "{out}");
        }
    }

    #[test]
    fn scrubs_the_escapes_other_encoders_use() {
        let s = Secrets::new();
        s.insert("é/<x>&\"y\"😀");
        for text in [
            r#"{"p":"\u00e9\/<x>&\"y\"\ud83d\ude00"}"#,
            r#"{"p":"\u00e9/<x>&\"y\"\ud83d\ude00"}"#,
            r#"{"p":"é\/<x>&\"y\"😀"}"#,
            "<pre>é/&lt;x&gt;&amp;&quot;y&quot;😀</pre>",
        ] {
            let out = s.scrub(text);
            assert!(
                out.contains(REDACTED) && !out.contains("y"),
                "{text} → {out}"
            );
        }
    }

    /// A server that builds its JSON message by pasting the request in
    /// unescaped: the value's `\"` reads back as `"` once the body is
    /// parsed, and that text is scrubbed too (from `Display` and `Debug`).
    #[test]
    fn a_value_pasted_unescaped_into_json_is_scrubbed_as_read_back() {
        let secret = r#"s3cr\"quoted\"e-13t-value"#;
        let secrets = Secrets::new();
        secrets.insert(secret);
        let mut response = http::Response::new(Bytes::from(format!(
            r#"{{"error":"invalid_client","error_description":"bad secret {secret}"}}"#
        )));
        *response.status_mut() = http::StatusCode::UNAUTHORIZED;
        response.extensions_mut().insert(secrets);
        let error = crate::error::Error::from_response(&response);
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains(secret), "{shown}");
        assert!(!shown.contains(r#"s3cr"quoted"e"#), "{shown}");
        assert!(shown.contains(REDACTED), "{shown}");
    }

    #[test]
    fn body_values_are_secrets_lazily() {
        let s = Secrets::new();
        s.record_body(&Bytes::from_static(
            b"grant_type=password&username=al&password=hunter2%21&otp=123456",
        ));
        s.record_body(&Bytes::from_static(
            br#"{"nested":{"client_secret":"abcd-1234"},"name":"visible"}"#,
        ));
        let out = s.scrub("hunter2! 123456 abcd-1234 visible al");
        assert_eq!(out, "[REDACTED] [REDACTED] [REDACTED] visible al");
    }

    #[test]
    fn headers_count_with_and_without_scheme() {
        let s = Secrets::new();
        let mut h = HeaderMap::new();
        h.insert("authorization", "Bearer eyJtoken".parse().unwrap());
        h.insert("x-other", "shown".parse().unwrap());
        s.record_headers(&h);
        assert_eq!(s.scrub("eyJtoken shown"), "[REDACTED] shown");
    }

    #[test]
    fn redactor_walks_json_at_any_depth() {
        let r = Redactor::new(
            None,
            br#"{"error":"x","request":{"body":{"ticket":"T1CKET","list":[{"cert":"C3RT"}]}}}"#,
        );
        let shown = r.body(
            br#"{"error":"x","request":{"body":{"ticket":"T1CKET","list":[{"cert":"C3RT"}]}}}"#,
        );
        assert!(
            !shown.contains("T1CKET") && !shown.contains("C3RT"),
            "{shown}"
        );
        assert!(shown.contains(r#""error":"x""#), "{shown}");
        // The same values are scrubbed from other texts of that response.
        assert_eq!(r.text("got T1CKET"), "got [REDACTED]");
    }

    #[test]
    fn text_naming_a_secret_with_a_value_is_withheld() {
        let r = Redactor::new(None, b"");
        for t in [
            "could not parse body: {\"client_secret\": \"zz",
            "echo grant_type=x&device_code=ABC",
            "<html>refresh_token%3Dabc</html>",
        ] {
            assert_eq!(r.text(t), WITHHELD, "{t}");
        }
        for t in [
            "Invalid client_secret: check the settings",
            "unicode=yes",
            "Wrong email or password.",
        ] {
            assert_eq!(r.text(t), t);
        }
    }

    #[test]
    fn clones_share_one_set_whenever_they_were_made() {
        let a = Secrets::new();
        a.insert("before-clone");
        let b = a.clone();
        let c = b.clone();
        a.insert("after-clone-a");
        c.record_body(&Bytes::from_static(b"client_secret=from-c-body"));
        let mut h = HeaderMap::new();
        h.insert("authorization", "Bearer tok-from-b".parse().unwrap());
        b.record_headers(&h);
        let text = "before-clone after-clone-a from-c-body tok-from-b";
        let all = "[REDACTED] [REDACTED] [REDACTED] [REDACTED]";
        for s in [&a, &b, &c] {
            assert_eq!(s.scrub(text), all);
        }
        assert!(format!("{a:?}").contains("values"));
        assert!(!format!("{a:?}").contains("tok-from-b"));
    }

    #[test]
    fn form_decoding() {
        assert_eq!(form_decode("a+b%21%zz%4"), "a b!%zz%4");
    }
}
