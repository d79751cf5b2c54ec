//! Strict JSON for JWS headers, claims and JWK sets.
//!
//! `serde_json` accepts duplicate member names (the last one wins), which lets two
//! parsers disagree about what a token says — a classic way to smuggle a claim past one
//! component. Here every object, at every nesting level, is built by a visitor that
//! refuses a repeated name (after unescaping, so `"a"` and `"\u0061"` collide). Nesting is
//! capped at [`MAX_DEPTH`] (below `serde_json`'s own recursion limit of 128), so deep
//! input is a typed error, never a stack overflow.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Deepest nesting of arrays/objects accepted in headers, claims and JWK sets (the
/// top-level object is depth 1).
pub const MAX_DEPTH: usize = 64;

/// Upper bound on how much of an attacker-chosen member name an error keeps.
const MAX_NAME_IN_ERROR: usize = 64;

/// Why a JSON header, claims set or JWK set was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    /// Not valid JSON text (bad syntax, invalid UTF-8, trailing data, truncated input).
    /// The position is in the decoded JSON, not in the token.
    #[error("invalid JSON at line {line}, column {column}")]
    Syntax {
        /// 1-based line of the first error.
        line: usize,
        /// 1-based column of the first error.
        column: usize,
    },
    /// Valid JSON, but not an object (e.g. an array or a string) where an object is
    /// required.
    #[error("JSON value is not an object")]
    NotAnObject,
    /// The same member name appears twice in one object (anywhere in the document).
    /// Producers never do this; it is a sign of tampering.
    #[error("duplicate JSON member name `{name}`")]
    DuplicateMember {
        /// The repeated name (truncated to 64 characters).
        name: String,
    },
    /// Arrays/objects nested deeper than the limit (a "JSON bomb").
    #[error("JSON nested deeper than {max} levels")]
    TooDeep {
        /// The limit.
        max: usize,
    },
}

enum Failure {
    Duplicate(String),
    TooDeep,
}

/// Side channel that lets the visitor report a typed failure through serde's stringly
/// error type.
struct Ctx {
    failure: Cell<Option<Failure>>,
}

impl Ctx {
    fn fail<E: de::Error>(&self, failure: Failure) -> E {
        let msg = match &failure {
            Failure::Duplicate(_) => "duplicate member name",
            Failure::TooDeep => "nesting too deep",
        };
        self.failure.set(Some(failure));
        E::custom(msg)
    }
}

#[derive(Clone, Copy)]
struct ValueSeed<'c> {
    ctx: &'c Ctx,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        // serde_json never yields a non-finite float from JSON text; refuse defensively.
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let depth = self.depth + 1;
        if depth > MAX_DEPTH {
            return Err(self.ctx.fail(Failure::TooDeep));
        }
        let inner = ValueSeed {
            ctx: self.ctx,
            depth,
        };
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(v) = seq.next_element_seed(inner)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        visit_object(self.ctx, self.depth, map).map(Value::Object)
    }
}

fn visit_object<'de, A: MapAccess<'de>>(
    ctx: &Ctx,
    depth: usize,
    mut map: A,
) -> Result<Map<String, Value>, A::Error> {
    let depth = depth + 1;
    if depth > MAX_DEPTH {
        return Err(ctx.fail(Failure::TooDeep));
    }
    let inner = ValueSeed { ctx, depth };
    let mut out = Map::new();
    while let Some(key) = map.next_key::<String>()? {
        if out.contains_key(&key) {
            return Err(ctx.fail(Failure::Duplicate(key)));
        }
        let value = map.next_value_seed(inner)?;
        out.insert(key, value);
    }
    Ok(out)
}

/// Top-level seed: only an object is accepted.
struct ObjectSeed<'c> {
    ctx: &'c Ctx,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_> {
    type Value = Map<String, Value>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_> {
    type Value = Map<String, Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        visit_object(self.ctx, 0, map)
    }
}

/// Parses `bytes` as one JSON object, strictly (see the module docs).
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, JsonError> {
    // Cheap pre-check so that arrays/strings are reported as NotAnObject, not as a
    // serde type error.
    match bytes
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        Some(b'{') => {}
        Some(_) => {
            // Distinguish "valid JSON but not an object" from garbage.
            return Err(match parse_value(bytes) {
                Ok(_) => JsonError::NotAnObject,
                Err(e) => e,
            });
        }
        None => return Err(JsonError::Syntax { line: 1, column: 0 }),
    }
    let ctx = Ctx {
        failure: Cell::new(None),
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result = ObjectSeed { ctx: &ctx }
        .deserialize(&mut de)
        .and_then(|map| de.end().map(|()| map));
    result.map_err(|e| classify(&ctx, &e))
}

/// Parses any JSON value strictly (duplicates and depth checked).
pub(crate) fn parse_value(bytes: &[u8]) -> Result<Value, JsonError> {
    let ctx = Ctx {
        failure: Cell::new(None),
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result = ValueSeed {
        ctx: &ctx,
        depth: 0,
    }
    .deserialize(&mut de)
    .and_then(|v| de.end().map(|()| v));
    result.map_err(|e| classify(&ctx, &e))
}

fn classify(ctx: &Ctx, e: &serde_json::Error) -> JsonError {
    match ctx.failure.take() {
        Some(Failure::Duplicate(name)) => JsonError::DuplicateMember {
            name: name.chars().take(MAX_NAME_IN_ERROR).collect(),
        },
        Some(Failure::TooDeep) => JsonError::TooDeep { max: MAX_DEPTH },
        None => {
            if e.is_data() {
                JsonError::NotAnObject
            } else {
                JsonError::Syntax {
                    line: e.line(),
                    column: e.column(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_objects() {
        let m = parse_object(br#" {"a":1,"b":[true,null,"x",-2,1.5],"c":{"d":{}}} "#).unwrap();
        assert_eq!(m["a"], 1);
        assert_eq!(m["b"][3], -2);
        assert_eq!(m["b"][4], 1.5);
        assert!(m["c"]["d"].as_object().unwrap().is_empty());
        assert_eq!(
            parse_object(br#"{"big":18446744073709551615}"#).unwrap()["big"],
            u64::MAX
        );
    }

    #[test]
    fn rejects_duplicates_at_every_level() {
        assert_eq!(
            parse_object(br#"{"a":1,"a":2}"#),
            Err(JsonError::DuplicateMember { name: "a".into() })
        );
        assert_eq!(
            parse_object(br#"{"x":{"y":[{"k":1,"k":1}]}}"#),
            Err(JsonError::DuplicateMember { name: "k".into() })
        );
        // Escapes are resolved before comparing.
        assert_eq!(
            parse_object(br#"{"a":1,"\u0061":2}"#),
            Err(JsonError::DuplicateMember { name: "a".into() })
        );
    }

    #[test]
    fn rejects_non_objects() {
        for input in [&b"[]"[..], b"\"s\"", b"1", b"null", b"true"] {
            assert_eq!(
                parse_object(input),
                Err(JsonError::NotAnObject),
                "{input:?}"
            );
        }
        assert!(matches!(parse_object(b""), Err(JsonError::Syntax { .. })));
        assert!(matches!(parse_object(b"{"), Err(JsonError::Syntax { .. })));
        assert!(matches!(
            parse_object(b"{} {}"),
            Err(JsonError::Syntax { .. })
        ));
        assert!(matches!(
            parse_object(b"{}x"),
            Err(JsonError::Syntax { .. })
        ));
        assert!(matches!(
            parse_object(b"{\"a\":\xff}"),
            Err(JsonError::Syntax { .. })
        ));
        assert!(matches!(
            parse_object(b"nul"),
            Err(JsonError::Syntax { .. })
        ));
    }

    #[test]
    fn depth_limit() {
        let ok = format!("{}1{}", "{\"a\":".repeat(MAX_DEPTH), "}".repeat(MAX_DEPTH));
        assert!(parse_object(ok.as_bytes()).is_ok());
        let deep = format!(
            "{}1{}",
            "{\"a\":".repeat(MAX_DEPTH + 1),
            "}".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(
            parse_object(deep.as_bytes()),
            Err(JsonError::TooDeep { max: MAX_DEPTH })
        );
    }

    #[test]
    fn bombs_are_errors_not_crashes() {
        let arrays = "[".repeat(100_000);
        assert!(parse_object(arrays.as_bytes()).is_err());
        assert!(parse_value(arrays.as_bytes()).is_err());
        let objects = "{\"a\":".repeat(100_000);
        assert_eq!(
            parse_object(objects.as_bytes()),
            Err(JsonError::TooDeep { max: MAX_DEPTH })
        );
        let mixed = format!("{{\"a\":{}", "[".repeat(100_000));
        assert_eq!(
            parse_object(mixed.as_bytes()),
            Err(JsonError::TooDeep { max: MAX_DEPTH })
        );
    }
}
