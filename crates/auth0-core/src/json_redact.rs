//! One pass over a JSON document (a serde visitor, no `serde_json::Value`
//! tree) that finds the values of secret-named members and, when asked,
//! writes the document back with them redacted — the by-name half of
//! [`secrets`](crate::secrets).
//!
//! Rules (the same at any depth):
//!
//! * a member whose name is in [`SECRET_KEYS`](crate::secrets::SECRET_KEYS) has every string and number
//!   under it collected, and is written as `"[REDACTED]"` (a `null` stays
//!   `null`);
//! * with `envelope`, a top-level `code` holding a scalar is the error
//!   envelope's code (Auth0's `{"code":"invalid_body",…}`), not an
//!   authorization code: kept (an object or array under it is still
//!   redacted);
//! * any other string that names a secret key with a value
//!   (`client_secret=…`) is written as [`WITHHELD`];
//! * members are written in the order received (a member that occurs twice
//!   is written, and redacted, twice).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::secrets::{REDACTED, WITHHELD, is_secret_key, names_a_secret_with_value};

/// Walks `body`; pushes the values of secret-named members onto `found`
/// and, with `out`, writes the redacted document there. `false` when the
/// body is not one JSON document (`found` and `out` may then hold a part).
pub(crate) fn walk(
    body: &[u8],
    envelope: bool,
    found: &mut Vec<String>,
    out: Option<&mut String>,
) -> bool {
    let mut state = State { found, out };
    let mut de = serde_json::Deserializer::from_slice(body);
    let node = Node {
        mode: Mode::Plain { root: envelope },
        state: &mut state,
    };
    node.deserialize(&mut de).is_ok() && de.end().is_ok()
}

struct State<'o> {
    found: &'o mut Vec<String>,
    out: Option<&'o mut String>,
}

impl State<'_> {
    fn write(&mut self, text: &str) {
        if let Some(out) = self.out.as_deref_mut() {
            out.push_str(text);
        }
    }

    fn write_json_str(&mut self, text: &str) {
        if let Some(out) = self.out.as_deref_mut() {
            // A `&str` always serialises.
            out.push_str(&serde_json::to_string(text).unwrap_or_default());
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Written as is (strings checked for named secrets).
    Plain { root: bool },
    /// The value of a secret-named member: collected, written redacted.
    Secret,
    /// Inside a secret value: collected, not written.
    Inside,
    /// A top-level `code`: a scalar is kept, a container is a secret.
    EnvelopeCode,
}

struct Node<'s, 'o> {
    mode: Mode,
    state: &'s mut State<'o>,
}

impl<'de> DeserializeSeed<'de> for Node<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl Node<'_, '_> {
    fn scalar(self, text: String, quoted: bool) {
        match self.mode {
            Mode::Secret => {
                self.state.found.push(text);
                self.state.write_json_str(REDACTED);
            }
            Mode::Inside => self.state.found.push(text),
            Mode::Plain { .. } | Mode::EnvelopeCode => {
                if !quoted {
                    self.state.write(&text);
                } else if names_a_secret_with_value(&text) {
                    self.state.write_json_str(WITHHELD);
                } else {
                    self.state.write_json_str(&text);
                }
            }
        }
    }

    /// `true`/`false`/`null`: nothing to collect.
    fn literal(self, text: &str) {
        match self.mode {
            Mode::Inside => {}
            Mode::Secret if text != "null" => self.state.write_json_str(REDACTED),
            _ => self.state.write(text),
        }
    }

    /// The mode of a container's children, after writing its opening.
    fn open(&mut self, bracket: &str) -> Mode {
        match self.mode {
            Mode::Plain { .. } => {
                self.state.write(bracket);
                Mode::Plain { root: false }
            }
            Mode::Secret | Mode::EnvelopeCode => {
                self.state.write_json_str(REDACTED);
                Mode::Inside
            }
            Mode::Inside => Mode::Inside,
        }
    }

    fn close(&mut self, children: Mode, bracket: &str) {
        if matches!(children, Mode::Plain { .. }) {
            self.state.write(bracket);
        }
    }
}

impl<'de> Visitor<'de> for Node<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.scalar(v.to_owned(), true);
        Ok(())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<(), E> {
        self.scalar(v, true);
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.scalar(v.to_string(), false);
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.scalar(v.to_string(), false);
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        // serde_json's own formatting (`1.0`, `1e300`).
        match serde_json::Number::from_f64(v) {
            Some(n) => self.scalar(n.to_string(), false),
            None => self.literal("null"),
        }
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.literal(if v { "true" } else { "false" });
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.literal("null");
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let children = self.open("[");
        let mut first = true;
        loop {
            if !first && matches!(children, Mode::Plain { .. }) {
                // Written before knowing whether an element follows; a
                // trailing comma is taken back below.
                self.state.write(",");
            }
            let node = Node {
                mode: children,
                state: self.state,
            };
            if seq.next_element_seed(node)?.is_none() {
                if !first
                    && matches!(children, Mode::Plain { .. })
                    && let Some(out) = self.state.out.as_deref_mut()
                {
                    out.pop();
                }
                break;
            }
            first = false;
        }
        self.close(children, "]");
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let children = self.open("{");
        let root = matches!(self.mode, Mode::Plain { root: true });
        let mut first = true;
        while let Some(key) = map.next_key::<Key>()? {
            let mode = match children {
                Mode::Plain { .. } => {
                    if !first {
                        self.state.write(",");
                    }
                    self.state.write_json_str(&key.name);
                    self.state.write(":");
                    if root && key.name == "code" {
                        Mode::EnvelopeCode
                    } else if key.secret {
                        Mode::Secret
                    } else {
                        Mode::Plain { root: false }
                    }
                }
                other => other,
            };
            first = false;
            map.next_value_seed(Node {
                mode,
                state: self.state,
            })?;
        }
        self.close(children, "}");
        Ok(())
    }
}

/// A member name and whether it names a secret.
struct Key {
    name: String,
    secret: bool,
}

impl<'de> serde::Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key {
                    name: v.to_owned(),
                    secret: is_secret_key(v),
                })
            }
        }
        deserializer.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redacted(body: &str, envelope: bool) -> (String, Vec<String>) {
        let mut found = Vec::new();
        let mut out = String::new();
        assert!(walk(body.as_bytes(), envelope, &mut found, Some(&mut out)));
        (out, found)
    }

    #[test]
    fn writes_the_document_back_in_order() {
        let body = r#"{"b":1,"a":[true,false,null,-2,1.5,"x\"y"],"c":{},"d":[]}"#;
        assert_eq!(redacted(body, true).0, body);
    }

    #[test]
    fn redacts_and_collects_secret_members_at_any_depth() {
        let (out, found) = redacted(
            r#"{"error":"x","req":{"Client_Secret":"S1","list":[{"otp":123456},{"password":null}]},"recovery_codes":["R1",["R2"]]}"#,
            true,
        );
        assert_eq!(
            out,
            r#"{"error":"x","req":{"Client_Secret":"[REDACTED]","list":[{"otp":"[REDACTED]"},{"password":null}]},"recovery_codes":"[REDACTED]"}"#
        );
        assert_eq!(found, ["S1", "123456", "R1", "R2"]);
    }

    #[test]
    fn envelope_code_and_free_text() {
        let (out, found) = redacted(
            r#"{"code":"invalid_body","message":"echo client_secret=abc","inner":{"code":"AUTHCODE"}}"#,
            true,
        );
        assert_eq!(
            out,
            format!(
                r#"{{"code":"invalid_body","message":"{WITHHELD}","inner":{{"code":"[REDACTED]"}}}}"#
            )
        );
        assert_eq!(found, ["AUTHCODE"]);
        // Without the envelope rule (a request body), `code` is a secret.
        let (_, found) = redacted(r#"{"code":"AUTHCODE2"}"#, false);
        assert_eq!(found, ["AUTHCODE2"]);
        // A container under a top-level `code` is a secret either way.
        let (out, found) = redacted(r#"{"code":{"v":"C"}}"#, true);
        assert_eq!(
            (out.as_str(), found.as_slice()),
            (r#"{"code":"[REDACTED]"}"#, &["C".to_owned()][..])
        );
    }

    #[test]
    fn not_json() {
        let mut found = Vec::new();
        for body in [&b"{\"a\":"[..], b"<html>", b"{} {}", b""] {
            assert!(!walk(body, true, &mut found, None), "{body:?}");
        }
    }
}
