//! Shared code the generated models and operations use (hand-written, not
//! generated): the forward-compatible string enum macro, `Debug` helpers that hide secrets,
//! decoding list pages and encoding `multipart/form-data` bodies.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::Error;

/// What `Debug` prints in place of a secret.
pub(crate) const REDACTED: &str = "<redacted>";

/// Declares a string enum that keeps values it does not know in
/// `Other(String)`, so a new value Auth0 adds never breaks decoding, and
/// sends them back unchanged.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version does not know, kept as received.
            Other(String),
        }

        impl $name {
            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $value, )*
                    Self::Other(value) => value,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $( $value => Self::$variant, )*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self::from(value.as_str())
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <String as ::serde::Deserialize>::deserialize(deserializer)?;
                Ok(Self::from(value.as_str()))
            }
        }
    };
}
pub(crate) use string_enum;

/// Whether decoding notes what it could not type (see [`record_untyped`]).
static RECORDING: AtomicBool = AtomicBool::new(false);
static UNTYPED: Mutex<Vec<String>> = Mutex::new(Vec::new());

pub(crate) fn note(what: impl FnOnce() -> String) {
    if RECORDING.load(Ordering::Relaxed)
        && let Ok(mut seen) = UNTYPED.lock()
    {
        seen.push(what());
    }
}

/// Starts (or stops) noting, process-wide, every field a model keeps in
/// `extra` and every union decoded as `Other`, for tests that check the
/// generated types against fixtures. Off by default; costs one atomic load
/// per decoded object when off.
#[doc(hidden)]
pub fn record_untyped(on: bool) {
    RECORDING.store(on, Ordering::Relaxed);
}

/// What was noted since the last call (see [`record_untyped`]).
#[doc(hidden)]
pub fn take_untyped() -> Vec<String> {
    UNTYPED
        .lock()
        .map(|mut seen| std::mem::take(&mut *seen))
        .unwrap_or_default()
}

/// Notes a union decoded as `Other`.
pub(crate) fn other(type_name: &str, value: &Value) {
    note(|| format!("{type_name} decoded as Other: {value}"));
}

/// Free-form JSON whose `Debug` shows keys, never values (they may hold
/// secrets: connection options, metadata, unknown fields).
pub(crate) trait JsonKeys {
    fn fmt_keys(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

impl JsonKeys for Map<String, Value> {
    fn fmt_keys(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.keys()).finish()
    }
}

impl JsonKeys for Value {
    fn fmt_keys(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Object(map) => map.fmt_keys(f),
            Value::Array(items) => f.debug_list().entries(items.iter().map(Keys)).finish(),
            Value::Null => f.write_str("null"),
            _ => f.write_str(REDACTED),
        }
    }
}

impl<T> JsonKeys for BTreeMap<String, T> {
    fn fmt_keys(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.keys()).finish()
    }
}

impl<T: JsonKeys> JsonKeys for Option<T> {
    fn fmt_keys(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Some(v) => {
                f.write_str("Some(")?;
                v.fmt_keys(f)?;
                f.write_str(")")
            }
            None => f.write_str("None"),
        }
    }
}

impl<T: JsonKeys> JsonKeys for crate::patch::Patch<T> {
    fn fmt_keys(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            crate::patch::Patch::Absent => f.write_str("Absent"),
            crate::patch::Patch::Null => f.write_str("Null"),
            crate::patch::Patch::Value(v) => {
                f.write_str("Value(")?;
                v.fmt_keys(f)?;
                f.write_str(")")
            }
        }
    }
}

impl<T: JsonKeys> JsonKeys for Vec<T> {
    fn fmt_keys(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter().map(Keys)).finish()
    }
}

/// `Debug` through [`JsonKeys`].
pub(crate) struct Keys<'a, T: ?Sized>(pub(crate) &'a T);

impl<T: JsonKeys + ?Sized> fmt::Debug for Keys<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt_keys(f)
    }
}

/// Decodes a paginated list answer into its page type, straight from the
/// body: the object form, or the bare array Auth0 sends when no paging
/// parameter asks for the object (no `include_totals=true`, no
/// `from`/`take`), read as `{"<items_key>": [...]}` — the array is wrapped
/// in bytes, not through a JSON tree.
pub(crate) fn decode_list_page<T: DeserializeOwned>(
    body: &[u8],
    items_key: &str,
) -> Result<T, serde_json::Error> {
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    if start.is_some_and(|i| body[i] == b'[') {
        let mut wrapped = Vec::with_capacity(body.len() + items_key.len() + 8);
        wrapped.extend_from_slice(b"{\"");
        // Keys are the spec's list field names (`[a-z_]+`); escape anyway.
        wrapped.extend_from_slice(items_key.escape_default().to_string().as_bytes());
        wrapped.extend_from_slice(b"\":");
        wrapped.extend_from_slice(body);
        wrapped.push(b'}');
        serde_json::from_slice(&wrapped)
    } else {
        serde_json::from_slice(body)
    }
}

/// A `multipart/form-data` body: every field of `body` as a part (strings
/// as they are, other values as JSON), the fields named in `files` as file
/// uploads. Returns the `Content-Type` value and the bytes.
pub(crate) fn multipart(
    body: &impl serde::Serialize,
    files: &[&str],
) -> Result<(String, Vec<u8>), Error> {
    let Value::Object(fields) = serde_json::to_value(body).map_err(Error::InvalidBody)? else {
        return Err(Error::InvalidBody(serde::ser::Error::custom(
            "a multipart body must be a JSON object",
        )));
    };
    // A boundary that occurs in no part, found by counting up.
    let texts: Vec<String> = fields.values().map(Value::to_string).collect();
    let mut n = 0u64;
    let boundary = loop {
        let candidate = format!("auth0-rs-boundary-{n}");
        if !texts.iter().any(|t| t.contains(&candidate)) {
            break candidate;
        }
        n += 1;
    };
    let mut out = Vec::new();
    for (name, value) in &fields {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Null => continue,
            other => other.to_string(),
        };
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        if files.contains(&name.as_str()) {
            out.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{name}.json\"\r\nContent-Type: application/json\r\n\r\n"
                )
                .as_bytes(),
            );
        } else {
            out.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            );
        }
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Ok((format!("multipart/form-data; boundary={boundary}"), out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hide_values() {
        let v = serde_json::json!({"client_secret": "s3cr3t", "list": [{"k": "v"}]});
        let shown = format!("{:?}", Keys(&v));
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("client_secret"));
    }

    #[test]
    fn bare_arrays_become_pages() {
        let page: Value = decode_list_page(b" [1, 2]", "roles").unwrap();
        assert_eq!(page, serde_json::json!({"roles": [1, 2]}));
        let page: Value = decode_list_page(br#"{"roles": [3], "next": "x"}"#, "roles").unwrap();
        assert_eq!(page, serde_json::json!({"roles": [3], "next": "x"}));
    }

    #[test]
    fn multipart_parts() {
        let (ct, body) = multipart(
            &serde_json::json!({"users": "[]", "upsert": true, "skip": null}),
            &["users"],
        )
        .unwrap();
        let boundary = ct.split("boundary=").nth(1).unwrap();
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with(&format!("--{boundary}\r\n")));
        assert!(text.contains("name=\"users\"; filename=\"users.json\""));
        assert!(text.contains("name=\"upsert\"\r\n\r\ntrue\r\n"));
        assert!(!text.contains("skip"));
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
    }
}
