//! Decoding the generated object models from a JSON object (hand-written,
//! not generated).
//!
//! Every generated struct implements [`Object`] with one function: a loop
//! over the keys of the object that decodes each known field into its slot
//! and keeps unknown ones in `extra`. Its `Deserialize` is a one-line call
//! to [`decode`]. This replaces `#[derive(Deserialize)]` with
//! `#[serde(flatten)]` on the models, which expands to some twenty
//! functions per struct (a field enum, a field visitor for every primitive
//! type, a buffering map visitor) and made type checking and borrow
//! checking of those expansions most of the crate's build time; the JSON
//! accepted and the values decoded are the same (see the tests).

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::model_support::note;

/// A generated model read from a JSON object.
pub(crate) trait Object: Sized {
    /// The type's name, for "expected struct …" errors.
    const NAME: &'static str;

    /// Reads the object's entries: known fields into their slots, unknown
    /// ones into `extra`; fails on a missing required field.
    fn from_map<'de, A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
}

/// `Deserialize::deserialize` of every generated struct.
pub(crate) fn decode<'de, T: Object, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
    deserializer.deserialize_map(ObjectVisitor(PhantomData))
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Object> Visitor<'de> for ObjectVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "struct {}", T::NAME)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::from_map(map)
    }
}

/// An object key, borrowed from the input when it has no escapes.
pub(crate) struct Key<'de>(Cow<'de, str>);

impl<'de> Key<'de> {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn into_string(self) -> String {
        self.0.into_owned()
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }

        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Puts a member's value in its slot; a member sent twice fails with
/// serde's "duplicate field" error, as the derive did, instead of keeping
/// one of the two values silently.
pub(crate) fn once<T, E: de::Error>(
    slot: &mut Option<T>,
    field: &'static str,
    value: T,
) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::duplicate_field(field));
    }
    *slot = Some(value);
    Ok(())
}

/// The value of a required field that was not sent: an `Option` field is
/// `None` (as serde does), anything else fails with "missing field".
pub(crate) fn missing<'de, T: Deserialize<'de>, E: de::Error>(
    slot: Option<T>,
    field: &'static str,
) -> Result<T, E> {
    match slot {
        Some(v) => Ok(v),
        None => T::deserialize(Missing(field, PhantomData)),
    }
}

/// The deserializer serde uses for a missing field: `None` for an
/// `Option`, else the "missing field" error.
struct Missing<E>(&'static str, PhantomData<E>);

impl<'de, E: de::Error> Deserializer<'de> for Missing<E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, E> {
        Err(E::missing_field(self.0))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_none()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// A constant field (`"type": "webhook"`): any other value fails, so a
/// `oneOf` tries its next member instead of taking the wrong one.
pub(crate) fn constant<E: de::Error>(value: String, expected: &'static str) -> Result<String, E> {
    if value == expected {
        Ok(value)
    } else {
        Err(E::invalid_value(de::Unexpected::Str(&value), &expected))
    }
}

/// Notes the keys of a model's `extra` map when recording
/// (`record_untyped`).
pub(crate) fn note_extra(extra: &Map<String, Value>) {
    if !extra.is_empty() {
        note(|| format!("extra fields {:?}", extra.keys().collect::<Vec<_>>()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::Patch;

    /// What the generator emits for a struct with a required field, an
    /// optional one, a constant, a tri-state one and `extra`.
    #[derive(Debug, PartialEq, serde::Serialize)]
    struct Sample {
        id: String,
        name: Option<String>,
        nullable: Option<u32>,
        kind: String,
        logo: Patch<String>,
        #[serde(flatten)]
        extra: Map<String, Value>,
    }

    impl Object for Sample {
        const NAME: &'static str = "Sample";

        fn from_map<'de, A: MapAccess<'de>>(mut de_map: A) -> Result<Self, A::Error> {
            let mut f_id = None;
            let mut f_name = None;
            let mut f_nullable = None;
            let mut f_kind = None;
            let mut f_logo = None;
            let mut f_extra = Map::new();
            while let Some(de_key) = de_map.next_key::<Key<'de>>()? {
                match de_key.as_str() {
                    "id" => once(&mut f_id, "id", de_map.next_value()?)?,
                    "name" => once(&mut f_name, "name", de_map.next_value()?)?,
                    "nullable" => once(&mut f_nullable, "nullable", de_map.next_value()?)?,
                    "type" => once(
                        &mut f_kind,
                        "type",
                        constant(de_map.next_value()?, "sample")?,
                    )?,
                    "logo" => once(&mut f_logo, "logo", de_map.next_value()?)?,
                    _ => {
                        f_extra.insert(de_key.into_string(), de_map.next_value()?);
                    }
                }
            }
            note_extra(&f_extra);
            Ok(Self {
                id: missing(f_id, "id")?,
                name: f_name.unwrap_or_default(),
                nullable: missing(f_nullable, "nullable")?,
                kind: missing(f_kind, "type")?,
                logo: f_logo.unwrap_or_default(),
                extra: f_extra,
            })
        }
    }

    impl<'de> Deserialize<'de> for Sample {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            decode(deserializer)
        }
    }

    #[test]
    fn reads_fields_and_keeps_the_rest() {
        let s: Sample = serde_json::from_str(
            r#"{"id":"a\"b","name":null,"type":"sample","logo":null,"more":[1],"x\u0041":2}"#,
        )
        .unwrap();
        assert_eq!(s.id, "a\"b");
        assert_eq!((s.name, s.nullable), (None, None));
        assert_eq!(s.logo, Patch::Null);
        assert_eq!(
            s.extra,
            serde_json::json!({"more": [1], "xA": 2})
                .as_object()
                .cloned()
                .unwrap()
        );
        let s: Sample =
            serde_json::from_str(r#"{"id":"1","name":"n","nullable":3,"type":"sample"}"#).unwrap();
        assert_eq!(
            (s.name.as_deref(), s.nullable, s.logo),
            (Some("n"), Some(3), Patch::Absent)
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let missing = serde_json::from_str::<Sample>(r#"{"type":"sample"}"#).unwrap_err();
        assert!(
            missing.to_string().contains("missing field `id`"),
            "{missing}"
        );
        let wrong = serde_json::from_str::<Sample>(r#"{"id":"1","type":"other"}"#).unwrap_err();
        assert!(wrong.to_string().contains("expected sample"), "{wrong}");
        let not_object = serde_json::from_str::<Sample>("[1]").unwrap_err();
        assert!(
            not_object.to_string().contains("expected struct Sample"),
            "{not_object}"
        );
        for twice in [
            r#"{"id":"1","id":"2","type":"sample"}"#,
            r#"{"id":"1","name":"a","name":"b","type":"sample"}"#,
            r#"{"id":"1","logo":null,"logo":"x","type":"sample"}"#,
        ] {
            let err = serde_json::from_str::<Sample>(twice).unwrap_err();
            assert!(err.to_string().contains("duplicate field"), "{err}");
        }
        let bad_field = serde_json::from_str::<Sample>(r#"{"id":1,"type":"sample"}"#).unwrap_err();
        assert!(
            bad_field.to_string().contains("invalid type"),
            "{bad_field}"
        );
    }

    #[test]
    fn decodes_from_buffered_and_tree_input() {
        // `oneOf` unions buffer the input (serde's untagged enums) and
        // tests decode from `Value`: keys come as owned strings there.
        let v = serde_json::json!({"id": "1", "type": "sample", "k": true});
        let s: Sample = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(serde_json::to_value(&s).unwrap()["k"], true);
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Either {
            S(Sample),
            Other(Value),
        }
        assert!(matches!(serde_json::from_value(v).unwrap(), Either::S(s) if s.id == "1"));
        let other = serde_json::json!({"id": "1", "type": "nope"});
        assert!(matches!(
            serde_json::from_value(other.clone()).unwrap(),
            Either::Other(o) if o == other
        ));
    }
}
