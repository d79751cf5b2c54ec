//! A claim set read once: the members [`json::scan_flat`] found while the
//! registered claims were typed, kept so that a caller's own claims type is
//! built from them without parsing the JSON text again.
//!
//! The members are only spans of the text (no copy, no allocation) and are
//! served to `T`'s `Deserialize` by a serde `Deserializer` that answers
//! exactly as `serde_json` would for the flat shapes the scanner accepts
//! (strings without escapes, non-negative integers of at most 18 digits,
//! `true`/`false`/`null`, arrays of such strings): the same `visit_*` calls
//! with the same values. Anything else — a claim set the scanner did not
//! take, more members than fit, or a `T` that refuses the data — is left to
//! `serde_json` by the caller, so a success here never differs from
//! `serde_json`'s and every error is `serde_json`'s own.

use std::ops::Range;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::json::{self, FlatValue};

/// Most members kept; a larger claim set is read by `serde_json`.
const MAX_MEMBERS: usize = 24;

/// The error type of the deserializers here; never shown to users (a failure
/// sends the claims through `serde_json`, whose error is reported).
type Failed = de::value::Error;

/// The members of one flat claim set: name spans and values, in order.
pub(crate) struct FlatMembers {
    items: [(Range<usize>, FlatValue); MAX_MEMBERS],
    len: usize,
    /// Every member of the text is in `items`.
    complete: bool,
}

impl FlatMembers {
    pub(crate) fn new() -> Self {
        FlatMembers {
            items: [const { (0..0, FlatValue::Null) }; MAX_MEMBERS],
            len: 0,
            complete: false,
        }
    }

    /// Forgets what was recorded (a new scan starts).
    pub(crate) fn clear(&mut self) {
        self.len = 0;
        self.complete = false;
    }

    /// Records a member; false (and incomplete) once full.
    #[inline]
    pub(crate) fn push(&mut self, name: Range<usize>, value: FlatValue) -> bool {
        match self.items.get_mut(self.len) {
            Some(slot) => {
                *slot = (name, value);
                self.len += 1;
                true
            }
            None => false,
        }
    }

    /// Marks the recorded members as the whole claim set.
    pub(crate) fn finish(&mut self) {
        self.complete = true;
    }

    /// True once a scan recorded every member of its claim set.
    pub(crate) fn is_complete(&self) -> bool {
        self.complete
    }

    /// Scans `text` (a claim set already accepted by the strict parser) and
    /// records its members; false if it is not flat or too large.
    pub(crate) fn scan(&mut self, text: &str) -> bool {
        self.clear();
        let scanned = json::scan_flat(text, |name, value| self.push(name, value).then_some(()));
        if scanned.is_some() {
            self.finish();
        }
        self.complete
    }

    /// `T` built from the recorded members of `text` (the text they were
    /// scanned from); `None` if they are not the whole claim set or `T`
    /// refuses them (the caller then asks `serde_json`).
    pub(crate) fn deserialize<T: DeserializeOwned>(&self, text: &str) -> Option<T> {
        if !self.complete {
            return None;
        }
        let members = self.items.get(..self.len)?;
        T::deserialize(Object {
            text,
            members: members.iter(),
            value: None,
        })
        .ok()
    }
}

/// The claim set as a map.
struct Object<'a> {
    text: &'a str,
    members: std::slice::Iter<'a, (Range<usize>, FlatValue)>,
    /// The value of the member whose name was just read.
    value: Option<&'a FlatValue>,
}

impl<'de> de::Deserializer<'de> for Object<'de> {
    type Error = Failed;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Failed> {
        visitor.visit_map(self)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Failed> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Failed> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

impl<'de> MapAccess<'de> for Object<'de> {
    type Error = Failed;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Failed> {
        let Some((name, value)) = self.members.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        let name = self.text.get(name.clone()).ok_or_else(out_of_text)?;
        seed.deserialize(BorrowedStrDeserializer::new(name))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Failed> {
        let value = self
            .value
            .take()
            .ok_or_else(|| <Failed as de::Error>::custom("value before key"))?;
        seed.deserialize(Member {
            text: self.text,
            value,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.members.len())
    }
}

fn out_of_text() -> Failed {
    <Failed as de::Error>::custom("span outside the claims")
}

/// One member's value.
struct Member<'a> {
    text: &'a str,
    value: &'a FlatValue,
}

impl<'de> Member<'de> {
    fn str_at(&self, span: &Range<usize>) -> Result<&'de str, Failed> {
        self.text.get(span.clone()).ok_or_else(out_of_text)
    }
}

impl<'de> de::Deserializer<'de> for Member<'de> {
    type Error = Failed;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Failed> {
        match self.value {
            FlatValue::Str(span) => visitor.visit_borrowed_str(self.str_at(span)?),
            FlatValue::Int(n) => visitor.visit_u64(*n),
            FlatValue::Bool(b) => visitor.visit_bool(*b),
            FlatValue::Null => visitor.visit_unit(),
            FlatValue::StrArray(span) => visitor.visit_seq(Items {
                items: json::flat_items(self.str_at(span)?),
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Failed> {
        match self.value {
            FlatValue::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Failed> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Failed> {
        // A string names a unit variant, as in serde_json; any other flat
        // value is no enum there either.
        match self.value {
            FlatValue::Str(span) => {
                visitor.visit_enum(BorrowedStrDeserializer::<Failed>::new(self.str_at(span)?))
            }
            _ => Err(<Failed as de::Error>::custom("not an enum")),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

/// The strings of an array member.
struct Items<I> {
    items: I,
}

impl<'de, I: Iterator<Item = &'de str>> SeqAccess<'de> for Items<I> {
    type Error = Failed;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Failed> {
        match self.items.next() {
            Some(item) => seed
                .deserialize(BorrowedStrDeserializer::new(item))
                .map(Some),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;
    use serde_json::Value;

    use super::*;

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Typed {
        iss: String,
        aud: Vec<String>,
        exp: i64,
        admin: bool,
        nick: Option<String>,
        gone: Option<String>,
        #[serde(default)]
        missing: u8,
        kind: Kind,
        id: Id,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Kind {
        User,
        Service,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Id(String);

    fn both<T: DeserializeOwned + PartialEq + std::fmt::Debug>(text: &str) -> Option<T> {
        let mut members = FlatMembers::new();
        assert!(members.scan(text), "not flat: {text}");
        let ours = members.deserialize::<T>(text);
        let theirs = serde_json::from_str::<T>(text).ok();
        if let Some(ours) = &ours {
            assert_eq!(Some(ours), theirs.as_ref(), "{text}");
        }
        ours
    }

    #[test]
    fn builds_what_serde_json_builds() {
        let text = concat!(
            r#"{"iss":"https://t/","aud":["a","b"],"exp":1700000000,"admin":true, "#,
            r#""nick":"n","gone":null,"kind":"service","id":"x|1"}"#
        );
        let typed: Typed = both(text).expect("flat path");
        assert_eq!(typed.kind, Kind::Service);
        assert_eq!(typed.missing, 0);
        assert_eq!(both::<Value>(text), serde_json::from_str(text).ok());
        assert!(both::<BTreeMap<String, Value>>(text).is_some());
    }

    #[test]
    fn refusals_are_left_to_serde_json() {
        // Type mismatches, unknown fields, missing fields: `None`, so the
        // caller reports serde_json's error.
        for text in [
            r#"{"iss":1,"aud":[],"exp":1,"admin":true,"kind":"user","id":"i"}"#,
            r#"{"iss":"i","aud":"a","exp":1,"admin":true,"kind":"user","id":"i"}"#,
            r#"{"iss":"i","aud":[],"exp":"1","admin":true,"kind":"user","id":"i"}"#,
            r#"{"iss":"i","aud":[],"exp":1,"admin":true,"kind":"other","id":"i"}"#,
            r#"{"iss":"i","aud":[],"exp":1,"admin":true,"kind":"user","id":"i","x":1}"#,
            r#"{"aud":[],"exp":1,"admin":true,"kind":"user","id":"i"}"#,
        ] {
            assert_eq!(both::<Typed>(text), None, "{text}");
            assert!(serde_json::from_str::<Typed>(text).is_err(), "{text}");
        }
    }

    #[test]
    fn not_flat_or_too_many_members_is_not_complete() {
        let mut members = FlatMembers::new();
        assert!(!members.scan(r#"{"a":{"b":1}}"#));
        assert!(members.deserialize::<Value>(r#"{"a":{"b":1}}"#).is_none());
        // Whitespace other than spaces (pretty-printed claims) is left to the
        // full parser too.
        assert!(!members.scan("{\"a\":1,\n\"b\":2}"));
        assert!(members.scan("{\"a\":1, \"b\":2}"));
        let many = (0..=MAX_MEMBERS)
            .map(|i| format!("\"m{i}\":{i}"))
            .collect::<Vec<_>>()
            .join(",");
        let text = format!("{{{many}}}");
        assert!(!members.scan(&text));
        assert!(members.deserialize::<Value>(&text).is_none());
    }
}
