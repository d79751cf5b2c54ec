//! Strict JSON for JWS headers, claims and JWK sets.
//!
//! `serde_json` accepts duplicate member names (the last one wins), which lets two
//! parsers disagree about what a token says — a classic way to smuggle a claim past one
//! component. Here every object, at every nesting level, is built by a visitor that
//! refuses a repeated name (after unescaping, so `"a"` and `"\u0061"` collide). Nesting is
//! capped at [`MAX_DEPTH`] (below `serde_json`'s own recursion limit of 128), so deep
//! input is a typed error, never a stack overflow.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashSet;
use std::fmt;
use std::ops::Range;

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

pub(crate) enum Failure {
    Duplicate(String),
    TooDeep,
}

/// Side channel that lets the visitor report a typed failure through serde's stringly
/// error type.
pub(crate) struct Ctx {
    failure: Cell<Option<Failure>>,
}

impl Ctx {
    pub(crate) fn new() -> Self {
        Ctx {
            failure: Cell::new(None),
        }
    }

    pub(crate) fn fail<E: de::Error>(&self, failure: Failure) -> E {
        let msg = match &failure {
            Failure::Duplicate(_) => "duplicate member name",
            Failure::TooDeep => "nesting too deep",
        };
        self.failure.set(Some(failure));
        E::custom(msg)
    }

    /// The error for a member name seen twice in one object.
    pub(crate) fn duplicate<E: de::Error>(&self, name: &str) -> E {
        self.fail(Failure::Duplicate(
            name.chars().take(MAX_NAME_IN_ERROR).collect(),
        ))
    }

    /// Depth of a container opened inside one at `depth`, or the too-deep error.
    pub(crate) fn enter<E: de::Error>(&self, depth: usize) -> Result<usize, E> {
        let depth = depth + 1;
        if depth > MAX_DEPTH {
            return Err(self.fail(Failure::TooDeep));
        }
        Ok(depth)
    }
}

/// Reads an object member name, borrowed from the input when it has no escapes.
pub(crate) struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// The member names of one object seen so far: a few borrowed names inline
/// (no allocation for typical objects), then a hash set for the rest and for
/// names that had escapes (so a 16 KiB token of tiny members stays linear).
///
/// The inline names are plain `&str`s: setting up the record is a few vector
/// stores, where an array of `Option<Cow<str>>` was copied from a template
/// (a `memcpy` call of ~250 bytes per claim set parsed).
pub(crate) struct SeenNames<'de> {
    few: [&'de str; SeenNames::FEW],
    len: usize,
    many: Option<HashSet<Cow<'de, str>>>,
}

impl<'de> SeenNames<'de> {
    const FEW: usize = 8;

    pub(crate) fn new() -> Self {
        SeenNames {
            few: [""; SeenNames::FEW],
            len: 0,
            many: None,
        }
    }

    /// Records `name`, or hands it back if it was already there.
    pub(crate) fn insert(&mut self, name: Cow<'de, str>) -> Result<(), Cow<'de, str>> {
        let few = self.few.get(..self.len).unwrap_or_default();
        if few.contains(&&*name) || self.many.as_ref().is_some_and(|set| set.contains(&name)) {
            return Err(name);
        }
        match (name, self.few.get_mut(self.len)) {
            (Cow::Borrowed(name), Some(slot)) => {
                *slot = name;
                self.len += 1;
            }
            (name, _) => {
                self.many.get_or_insert_default().insert(name);
            }
        }
        Ok(())
    }
}

/// Checks any JSON value strictly (duplicates, depth) and throws it away — no
/// allocation except for escaped member names.
#[derive(Clone, Copy)]
pub(crate) struct SkipSeed<'c> {
    pub(crate) ctx: &'c Ctx,
    pub(crate) depth: usize,
}

impl<'de> DeserializeSeed<'de> for SkipSeed<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SkipSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        skip_seq(self.ctx, self.depth, seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let depth = self.ctx.enter(self.depth)?;
        let inner = SkipSeed {
            ctx: self.ctx,
            depth,
        };
        let mut seen = SeenNames::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            if let Err(name) = seen.insert(key) {
                return Err(self.ctx.duplicate(&name));
            }
            map.next_value_seed(inner)?;
        }
        Ok(())
    }
}

/// Checks the rest of an array strictly and throws it away.
pub(crate) fn skip_seq<'de, A: SeqAccess<'de>>(
    ctx: &Ctx,
    depth: usize,
    mut seq: A,
) -> Result<(), A::Error> {
    let depth = ctx.enter(depth)?;
    let inner = SkipSeed { ctx, depth };
    while seq.next_element_seed(inner)?.is_some() {}
    Ok(())
}

/// A value of an unexpected JSON type, already checked strictly and skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WrongType;

/// Reads a string without copying it when possible; any other value is checked
/// strictly and reported as [`WrongType`].
#[derive(Clone, Copy)]
pub(crate) struct StrSeed<'c> {
    pub(crate) ctx: &'c Ctx,
    pub(crate) depth: usize,
}

impl<'de> DeserializeSeed<'de> for StrSeed<'_> {
    type Value = Result<Cow<'de, str>, WrongType>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// Implements the scalar `visit_*` methods of a typed seed as "wrong type" and the
/// container ones as "check strictly, then wrong type".
macro_rules! wrong_type_for_others {
    ($($skip:ident),*) => {
        $(fn $skip<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Err(WrongType))
        })*
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Err(WrongType))
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            SkipSeed { ctx: self.ctx, depth: self.depth }.visit_map(map)?;
            Ok(Err(WrongType))
        }
    };
}

impl<'de> Visitor<'de> for StrSeed<'_> {
    type Value = Result<Cow<'de, str>, WrongType>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Ok(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Ok(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Ok(Cow::Owned(v)))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Err(WrongType))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Err(WrongType))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Err(WrongType))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        skip_seq(self.ctx, self.depth, seq)?;
        Ok(Err(WrongType))
    }

    wrong_type_for_others!(visit_unit, visit_none);
}

/// A JSON number as the parser saw it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
    I64(i64),
    U64(u64),
    F64(f64),
}

/// Reads a number; any other value is checked strictly and reported as [`WrongType`].
#[derive(Clone, Copy)]
pub(crate) struct NumSeed<'c> {
    pub(crate) ctx: &'c Ctx,
    pub(crate) depth: usize,
}

impl<'de> DeserializeSeed<'de> for NumSeed<'_> {
    type Value = Result<Num, WrongType>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NumSeed<'_> {
    type Value = Result<Num, WrongType>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Ok(Num::I64(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Ok(Num::U64(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Ok(Num::F64(v)))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Err(WrongType))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        skip_seq(self.ctx, self.depth, seq)?;
        Ok(Err(WrongType))
    }

    wrong_type_for_others!(visit_unit, visit_none);
}

/// A string, or an array of strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OneOrMany<'de> {
    One(Cow<'de, str>),
    Many(Vec<String>),
}

/// Reads a string or an array of strings (`aud`), or with `allow_one: false` only an
/// array of strings (`permissions`, `x5c`). Anything else — including an array with a
/// non-string element — is checked strictly and reported as [`WrongType`].
#[derive(Clone, Copy)]
pub(crate) struct StrListSeed<'c> {
    pub(crate) ctx: &'c Ctx,
    pub(crate) depth: usize,
    pub(crate) allow_one: bool,
}

impl<'de> DeserializeSeed<'de> for StrListSeed<'_> {
    type Value = Result<OneOrMany<'de>, WrongType>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrListSeed<'_> {
    type Value = Result<OneOrMany<'de>, WrongType>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(if self.allow_one {
            Ok(OneOrMany::One(Cow::Borrowed(v)))
        } else {
            Err(WrongType)
        })
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(if self.allow_one {
            Ok(OneOrMany::One(Cow::Owned(v.to_owned())))
        } else {
            Err(WrongType)
        })
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Err(WrongType))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Err(WrongType))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Err(WrongType))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let depth = self.ctx.enter(self.depth)?;
        let element = StrSeed {
            ctx: self.ctx,
            depth,
        };
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        let mut all_strings = true;
        while let Some(item) = seq.next_element_seed(element)? {
            match item {
                Ok(s) if all_strings => out.push(s.into_owned()),
                Ok(_) => {}
                Err(WrongType) => all_strings = false,
            }
        }
        Ok(if all_strings {
            Ok(OneOrMany::Many(out))
        } else {
            Err(WrongType)
        })
    }

    wrong_type_for_others!(visit_unit, visit_none);
}

#[derive(Clone, Copy)]
pub(crate) struct ValueSeed<'c> {
    pub(crate) ctx: &'c Ctx,
    pub(crate) depth: usize,
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
        let depth = self.ctx.enter(self.depth)?;
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
    let depth = ctx.enter(depth)?;
    let inner = ValueSeed { ctx, depth };
    let mut out = Map::new();
    while let Some(key) = map.next_key::<String>()? {
        if out.contains_key(&key) {
            return Err(ctx.duplicate(&key));
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
    let ctx = Ctx::new();
    parse_object_seed(bytes, &ctx, ObjectSeed { ctx: &ctx })
}

/// Runs `seed` (which must ask for a map, and report typed failures through `ctx`)
/// over `bytes`, which must hold exactly one JSON object.
pub(crate) fn parse_object_seed<'de, S: DeserializeSeed<'de>>(
    bytes: &'de [u8],
    ctx: &Ctx,
    seed: S,
) -> Result<S::Value, JsonError> {
    parse_object_seed_str(utf8(bytes)?, ctx, seed)
}

/// The bytes as text, or the error a JSON parser reports for them. Checking UTF-8
/// once up front lets serde_json skip re-checking every string.
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, JsonError> {
    std::str::from_utf8(bytes).map_err(|e| match parse_value(bytes) {
        Err(error) => error,
        // Unreachable: serde_json refuses invalid UTF-8 anywhere in a document.
        Ok(_) => JsonError::Syntax {
            line: 1,
            column: e.valid_up_to() + 1,
        },
    })
}

/// [`parse_object_seed`] over text already known to be UTF-8.
pub(crate) fn parse_object_seed_str<'de, S: DeserializeSeed<'de>>(
    text: &'de str,
    ctx: &Ctx,
    seed: S,
) -> Result<S::Value, JsonError> {
    // Cheap pre-check so that arrays/strings are reported as NotAnObject, not as a
    // serde type error.
    match text
        .bytes()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        Some(b'{') => {}
        Some(_) => {
            // Distinguish "valid JSON but not an object" from garbage.
            return Err(match parse_value(text.as_bytes()) {
                Ok(_) => JsonError::NotAnObject,
                Err(e) => e,
            });
        }
        None => return Err(JsonError::Syntax { line: 1, column: 0 }),
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let result = seed
        .deserialize(&mut de)
        .and_then(|value| de.end().map(|()| value));
    result.map_err(|e| classify(ctx, &e))
}

/// Parses any JSON value strictly (duplicates and depth checked).
pub(crate) fn parse_value(bytes: &[u8]) -> Result<Value, JsonError> {
    let ctx = Ctx::new();
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

/// A member value of the shapes [`scan_flat`] understands. Strings are byte ranges
/// of the text, always on character boundaries (they start and end next to a `"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FlatValue {
    /// A string without escapes: the range of its contents.
    Str(Range<usize>),
    /// A non-negative integer of at most 18 digits, without fraction or exponent.
    Int(u64),
    /// An array of strings without escapes: the range from `[` to `]` (read it
    /// with [`flat_items`]).
    StrArray(Range<usize>),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// The fast path for the usual shape of JWT headers and claim sets: one flat object
/// whose names are strings without escapes and whose values are strings without
/// escapes, small non-negative integers, `true`/`false`/`null` or arrays of such
/// strings, with no control character anywhere (so no whitespace but spaces).
/// Calls `member` for each member in order, with the member's name (the range of
/// its contents; its bytes are `text.as_bytes()[name]`) and value.
///
/// Returns `None` as soon as the text leaves that shape, is not valid JSON, or
/// `member` returns `None`: the caller then runs the full strict parser, which
/// decides and reports. So this scanner never has to produce an error, only to
/// accept nothing the full parser would refuse or read differently. Duplicate names
/// are the caller's to detect (`member` sees every name).
pub(crate) fn scan_flat(
    text: &str,
    mut member: impl FnMut(Range<usize>, FlatValue) -> Option<()>,
) -> Option<()> {
    let b = text.as_bytes();
    // Escapes and control characters (including whitespace other than spaces,
    // which tokens do not carry) are left to the full parser (see
    // `QuoteStream`). In such text every quote delimits a string, so the
    // quotes are taken in order, each where the grammar expects one: an
    // opening quote anywhere else (a stray one) ends the fast path.
    let mut quotes = QuoteStream::new(b);
    let mut i = skip_ws(b, 0);
    if *b.get(i)? != b'{' {
        return None;
    }
    i = skip_ws(b, i + 1);
    if *b.get(i)? == b'}' {
        return (skip_ws(b, i + 1) == b.len()).then_some(());
    }
    loop {
        let end = quotes.string_at(i)?;
        let name = i + 1..end;
        i = skip_ws(b, end + 1);
        if *b.get(i)? != b':' {
            return None;
        }
        i = skip_ws(b, i + 1);
        let value = match *b.get(i)? {
            b'"' => {
                let end = quotes.string_at(i)?;
                let value = i + 1..end;
                i = end + 1;
                FlatValue::Str(value)
            }
            b'0'..=b'9' => {
                let (n, digits) = leading_digits(b.get(i..)?)?;
                // No leading zeros (invalid JSON).
                if digits > 1 && b.get(i) == Some(&b'0') {
                    return None;
                }
                i += digits;
                // Fractions and exponents are left to the full parser.
                if matches!(b.get(i), Some(b'.' | b'e' | b'E')) {
                    return None;
                }
                FlatValue::Int(n)
            }
            b'[' => {
                let start = i;
                i = skip_ws(b, i + 1);
                if *b.get(i)? != b']' {
                    loop {
                        i = skip_ws(b, quotes.string_at(i)? + 1);
                        match *b.get(i)? {
                            b',' => i = skip_ws(b, i + 1),
                            b']' => break,
                            _ => return None,
                        }
                    }
                }
                i += 1;
                FlatValue::StrArray(start..i)
            }
            c => {
                let (word, value): (&[u8], _) = match c {
                    b't' => (b"true", FlatValue::Bool(true)),
                    b'f' => (b"false", FlatValue::Bool(false)),
                    b'n' => (b"null", FlatValue::Null),
                    _ => return None,
                };
                if b.get(i..i + word.len())? != word {
                    return None;
                }
                i += word.len();
                value
            }
        };
        member(name, value)?;
        i = skip_ws(b, i);
        match *b.get(i)? {
            b',' => i = skip_ws(b, i + 1),
            b'}' => return (skip_ws(b, i + 1) == b.len()).then_some(()),
            _ => return None,
        }
    }
}

/// The value and length of the run of ASCII digits `b` starts with; `None`
/// past 18 digits (the scanner leaves such numbers to the full parser).
///
/// Eight characters at a time: the run's length is the first byte of the
/// word that is no digit, its value one multiply per pair, four and eight
/// digits (the usual SWAR conversion). A timestamp (10 digits) costs two
/// words instead of two byte loops; the byte loop's exit was the scanner's
/// most mispredicted branch (`perf annotate`, jwt bench HS256 profile).
fn leading_digits(b: &[u8]) -> Option<(u64, usize)> {
    const POW10: [u64; 9] = [
        1,
        10,
        100,
        1_000,
        10_000,
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
    ];
    let (mut n, mut len) = (0u64, 0usize);
    loop {
        let rest = b.get(len..).unwrap_or_default();
        let word = match rest.first_chunk::<8>() {
            // Read in place: a copy through a buffer costs a `memcpy` call and
            // a stalled load (store forwarding fails on the byte-wise copy).
            Some(word) => *word,
            None => {
                // Past the text: spaces, which are no digits.
                let mut word = [b' '; 8];
                word.get_mut(..rest.len())?.copy_from_slice(rest);
                word
            }
        };
        // Digits become 0..=9; every other byte 10 or more, or its top bit set.
        let t = u64::from_le_bytes(word) ^ 0x3030_3030_3030_3030;
        // A byte's flag is set if it is no digit. A carry out of a byte only
        // leaves one that is flagged already, into the bytes after it.
        let flags = (t | t.wrapping_add(0x7676_7676_7676_7676)) & 0x8080_8080_8080_8080;
        let count = (flags.trailing_zeros() / 8) as usize;
        if count == 0 {
            return Some((n, len));
        }
        if len + count > 18 {
            return None;
        }
        // The run's digits last, zeros (leading zeros) before them.
        let v = t << (8 * (8 - count));
        let v = (v.wrapping_mul(10) + (v >> 8)) & 0x00FF_00FF_00FF_00FF;
        let v = (v.wrapping_mul(100) + (v >> 16)) & 0x0000_FFFF_0000_FFFF;
        let v = (v.wrapping_mul(10_000) + (v >> 32)) & 0xFFFF_FFFF;
        n = n * POW10[count] + v;
        len += count;
        if count < 8 {
            return Some((n, len));
        }
    }
}

/// The strings of a [`FlatValue::StrArray`], in order.
pub(crate) fn flat_items(array: &str) -> impl Iterator<Item = &str> {
    // Between the brackets: strings without escapes, commas and spaces only
    // (what `scan_flat` accepts), so quotes come in pairs around the items.
    let b = array.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        let open = next_quote(b, i)?;
        let close = next_quote(b, open + 1)?;
        i = close + 1;
        array.get(open + 1..close)
    })
}

/// True if the [`FlatValue::StrArray`] text `array` has `value` among its strings
/// (compared in place: an item is only searched for its end when it does not
/// match).
pub(crate) fn flat_contains(array: &str, value: &str) -> bool {
    let (b, v) = (array.as_bytes(), value.as_bytes());
    let mut i = 0;
    while let Some(open) = next_quote(b, i) {
        let start = open + 1;
        let after = start + v.len();
        if b.get(start..after) == Some(v) && b.get(after) == Some(&b'"') {
            return true;
        }
        match next_quote(b, start) {
            Some(close) => i = close + 1,
            None => return false,
        }
    }
    false
}

/// The index of the first `"` in `b` at or after `from`, eight bytes at a
/// time: for text [`scan_flat`] accepted (the items of an array), where no
/// byte needs checking, only the quotes finding. A word's quotes are its
/// zero bytes after `^ 0x22…`; the usual zero-byte test can flag a byte above
/// a true zero (a borrow), never one below it, so the lowest flag is exact.
/// On the jwt bench's `validate_as` it replaced a 64-byte quote-word reader
/// that recomputed its words for each array: ~380 instructions fewer per
/// token (callgrind).
fn next_quote(b: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut i = from;
    while let Some(word) = b.get(i..).and_then(|rest| rest.first_chunk::<8>()) {
        let x = u64::from_le_bytes(*word) ^ (ONES * u64::from(b'"'));
        let zeros = x.wrapping_sub(ONES) & !x & HIGHS;
        if zeros != 0 {
            return Some(i + (zeros.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    let rest = b.get(i..)?;
    rest.iter().position(|&c| c == b'"').map(|at| i + at)
}

/// The index of the first byte at or after `i` that is not a space. The flat
/// scanner takes spaces only: a tab, line feed or carriage return (valid JSON
/// whitespace) stops it, and the full parser reads the text. So a text it
/// accepts holds no control character anywhere — not only inside strings,
/// which [`QuoteStream`] checks.
#[inline(always)]
fn skip_ws(b: &[u8], i: usize) -> usize {
    // Tokens carry no whitespace: one comparison decides.
    match b.get(i) {
        Some(&c) if c > b' ' => i,
        _ => skip_spaces(b, i),
    }
}

fn skip_spaces(b: &[u8], mut i: usize) -> usize {
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    i
}

/// The quotes of a text in order, for [`scan_flat`]: 64 bytes of quote bits
/// at a time ([`quote_bits`]), each quote taken by clearing the word's lowest
/// bit.
///
/// A word holding a backslash or a byte below 0x20 is refused (`None`), so the
/// strings the scanner reads hold no escape and no control character, and in
/// such text each `"` after an opening one is the closing one. The words are
/// read in order from the start, so every byte up to the last quote taken is
/// checked. Whitespace other than spaces between members (pretty-printed
/// claims) is refused by [`skip_ws`]: tokens do not carry it, and the full
/// parser reads such text.
///
/// Every string the scanner reads is asked for where its opening quote must
/// be ([`string_at`](Self::string_at)), and the quotes are consumed in
/// order, so a quote anywhere else — one more than the grammar has room for
/// — is the next one taken at the next string and fails that check.
///
/// Measured on the jwt bench's claim set (360 bytes, 9 members): the scan
/// with a no-op callback took 147–154 ns, against 173–188 ns for a reader
/// that kept one word and shifted it by each search's start (3,000,000 calls
/// a round, four rounds, release build), itself ~400 instructions fewer than
/// an eight-byte SWAR search per string (callgrind).
struct QuoteStream<'a> {
    b: &'a [u8],
    /// Start of the word in `bits`.
    base: usize,
    /// The word's quotes not taken yet (bit `k`: `b[base + k]`).
    bits: u64,
}

impl<'a> QuoteStream<'a> {
    fn new(b: &'a [u8]) -> Self {
        QuoteStream {
            b,
            // No word read yet: the first `next` reads the one at 0.
            base: 0usize.wrapping_sub(64),
            bits: 0,
        }
    }

    /// The next quote not taken; `None` at the end of the text or at a word
    /// holding an escape or a control character.
    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.bits == 0 {
            self.base = self.base.wrapping_add(64);
            self.bits = quote_bits(self.b.get(self.base..)?)?;
        }
        let at = self.base + self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        Some(at)
    }

    /// The closing quote of the string whose opening quote must be at `open`:
    /// `None` if the next quote is elsewhere (or there is none).
    #[inline]
    fn string_at(&mut self, open: usize) -> Option<usize> {
        if self.next()? != open {
            return None;
        }
        self.next()
    }
}

/// The quote bits of the first 64 bytes of `bytes` (fewer at the end of the
/// text), or `None` if they hold a backslash or a byte below 0x20, or none.
/// Kept out of line: inlined into the scanner's loop it compiled to ~800
/// instructions more per claim set (callgrind, jwt bench HS256 profile).
#[inline(never)]
fn quote_bits(bytes: &[u8]) -> Option<u64> {
    // Bit `k` of `(x * SPREAD) >> 56` is byte `k` of `x`, for bytes of 0 or 1.
    const SPREAD: u64 = 0x0102_0408_1020_4080;
    let padded: [u8; 64];
    // Read in place (a copy of 64 bytes costs a `memcpy` call per word).
    let word: &[u8; 64] = match bytes.first_chunk::<64>() {
        Some(word) => word,
        None if bytes.is_empty() => return None,
        None => {
            // The end of the text, padded with spaces (neither quotes nor
            // refused).
            let mut tail = [b' '; 64];
            tail.get_mut(..bytes.len())?.copy_from_slice(bytes);
            padded = tail;
            &padded
        }
    };
    let refused: [u8; 64] =
        std::array::from_fn(|k| u8::from((word[k] == b'\\') | (word[k] < 0x20)).wrapping_neg());
    let quotes: [u8; 64] = std::array::from_fn(|k| u8::from(word[k] == b'"'));
    let mut any = 0u128;
    for block in refused.chunks_exact(16) {
        any |= u128::from_le_bytes(block.try_into().ok()?);
    }
    if any != 0 {
        return None;
    }
    let mut bits = 0u64;
    for (j, eight) in quotes.chunks_exact(8).enumerate() {
        let x = u64::from_le_bytes(eight.try_into().ok()?);
        bits |= (x.wrapping_mul(SPREAD) >> 56) << (8 * j);
    }
    Some(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The eight-at-a-time digit reader agrees with a byte loop, for runs of
    /// every length up to 20 (so ending anywhere in a first, second or third
    /// word) followed by the end of the text or by any of several bytes.
    #[test]
    fn leading_digits_match_a_byte_loop() {
        let naive = |b: &[u8]| {
            let len = b.iter().take_while(|c| c.is_ascii_digit()).count();
            let n = b[..len]
                .iter()
                .fold(0u64, |n, c| n.wrapping_mul(10) + u64::from(c - b'0'));
            (len <= 18).then_some((n, len))
        };
        let mut state = 0x0123_4567_89AB_CDEFu64;
        for len in 0..=20 {
            for after in [&b""[..], b",", b"}", b"/", b":", b"\x80", b" 1", b"a9"] {
                for _ in 0..50 {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let mut text: Vec<u8> = (0..len)
                        .map(|k| b'0' + (state.rotate_left(k as u32 * 3) % 10) as u8)
                        .collect();
                    text.extend_from_slice(after);
                    assert_eq!(leading_digits(&text), naive(&text), "{text:?}");
                }
            }
        }
        assert_eq!(
            leading_digits(b"999999999999999999"),
            Some((999_999_999_999_999_999, 18))
        );
        assert_eq!(leading_digits(b"1000000000000000000"), None);
        assert_eq!(leading_digits(b"1700000000,"), Some((1_700_000_000, 10)));
    }

    /// Both quote readers agree with a byte loop, wherever the byte that
    /// decides falls in a word, and the scanner's never steps over an escape
    /// or a control character.
    #[test]
    fn quotes_match_a_byte_loop() {
        let refused = |c: &u8| *c == b'\\' || *c < 0x20;
        // The byte loop's answers for every start at once, from one pass
        // backwards: the next quote, and the next refused byte, at or after
        // each position (`len` when there is none).
        let next_at = |b: &[u8], wanted: &dyn Fn(&u8) -> bool| {
            let mut next = vec![b.len(); b.len() + 1];
            for i in (0..b.len()).rev() {
                next[i] = if wanted(&b[i]) { i } else { next[i + 1] };
            }
            next
        };
        let alphabet = [
            b'a', b'"', b'\\', 0x1f, 0x20, 0x7f, 0x80, 0xff, b'!', b'#', 0x00, b'\n',
        ];
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        // 4,000 texts of 0 to 199 bytes: every start in every word position
        // many times over (a debug build spends ~1 ms per text).
        for _ in 0..4_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 200) as usize;
            let rare = 3 + (state >> 56) % 60;
            let bytes: Vec<u8> = (0..len)
                .map(|k| {
                    let r = state.rotate_left(k as u32 * 5) ^ (k as u64).wrapping_mul(0x9E37);
                    if r.is_multiple_of(rare) {
                        alphabet[(r >> 8) as usize % alphabet.len()]
                    } else {
                        b'a'
                    }
                })
                .collect();
            let quote = next_at(&bytes, &|c| *c == b'"');
            let bad = next_at(&bytes, &refused);
            let naive = |start: usize| (quote[start] < len).then_some(quote[start]);
            // The search for validated text: every start.
            for start in 0..=len {
                assert_eq!(
                    next_quote(&bytes, start),
                    naive(start),
                    "{bytes:?} from {start}"
                );
            }
            // The scanner's stream: the text's quotes in order, each only
            // once every word up to it (whole words from the start) is free
            // of refused bytes.
            let mut stream = QuoteStream::new(&bytes);
            let mut from = 0;
            loop {
                let Some(at) = stream.next() else {
                    // Ended: no quote left, or a refused byte in the word
                    // holding the next one (or before it).
                    let next = naive(from);
                    assert!(
                        next.is_none_or(|q| bad[0] < (q | 63) + 1),
                        "{bytes:?}: stopped before {next:?}"
                    );
                    break;
                };
                assert_eq!(Some(at), naive(from), "{bytes:?} after {from}");
                assert!(
                    bad[0] > (at | 63).min(len - 1),
                    "{bytes:?}: quote {at} past a refused byte"
                );
                from = at + 1;
            }
        }
    }

    #[test]
    fn flat_scan_reads_items_and_refuses_the_rest() {
        let text = r#"{"a":["x", "", "yz"],"b":7,"c":"s"}"#;
        let mut seen = Vec::new();
        scan_flat(text, |name, value| {
            seen.push((text.get(name)?.to_owned(), value));
            Some(())
        })
        .unwrap();
        assert_eq!(seen.len(), 3);
        let FlatValue::StrArray(array) = seen[0].1.clone() else {
            panic!("{seen:?}");
        };
        let items: Vec<&str> = flat_items(&text[array.clone()]).collect();
        assert_eq!(items, ["x", "", "yz"]);
        for (value, found) in [
            ("x", true),
            ("", true),
            ("yz", true),
            ("y", false),
            ("x\"", false),
        ] {
            assert_eq!(flat_contains(&text[array.clone()], value), found, "{value}");
        }
        assert!(!flat_contains("[]", ""));
        assert_eq!(seen[1].1, FlatValue::Int(7));
        let s = text.rfind("\"s\"").unwrap() + 1;
        assert_eq!(seen[2].1, FlatValue::Str(s..s + 1));
        // The caller can stop the scan.
        assert!(scan_flat(text, |_, _| None).is_none());
        for bad in [
            "",
            "{",
            "{}}",
            r#"{"a":[}"#,
            r#"{"a":["x",]}"#,
            r#"{"a":nul}"#,
            "{\"a\":1\u{0}}",
        ] {
            assert!(scan_flat(bad, |_, _| Some(())).is_none(), "{bad}");
        }
    }

    /// An array whose items are separated by a long run of whitespace with a
    /// tab, line feed or carriage return in a 64-byte word that holds no
    /// string byte (so the string search never reads it): the flat scanner
    /// must not accept it (the full parser reads it), else the array's own
    /// readers, aligned differently, would stop at that word and lose items
    /// (found by the `json` fuzz target).
    #[test]
    fn whitespace_other_than_spaces_is_left_to_the_full_parser() {
        let items = ["a", "bc", "", "def"];
        let quoted: Vec<String> = items.iter().map(|i| format!("\"{i}\"")).collect();
        for control in ["\n", "\t", "\r"] {
            for pad in 0..64 {
                let gap = format!(",{}{control}{}", " ".repeat(pad), " ".repeat(70));
                let text = format!("{{\"a\":[{}]}}", quoted.join(&gap));
                assert!(scan_flat(&text, |_, _| Some(())).is_none(), "{text:?}");
                // With spaces only it is flat, and every item is read back.
                let gap = format!(",{}", " ".repeat(pad + 71));
                let text = format!("{{\"a\":[{}]}}", quoted.join(&gap));
                let mut array = None;
                scan_flat(&text, |_, value| {
                    if let FlatValue::StrArray(r) = value {
                        array = Some(r);
                    }
                    Some(())
                })
                .expect("flat");
                let array = text.get(array.expect("array")).expect("in the text");
                assert_eq!(flat_items(array).collect::<Vec<_>>(), items, "{text:?}");
                for item in items {
                    assert!(flat_contains(array, item), "{item} in {text:?}");
                }
            }
        }
    }

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
        assert_eq!(
            parse_object(br#"{"\u0061":1,"a":2}"#),
            Err(JsonError::DuplicateMember { name: "a".into() })
        );
    }

    /// A repeated name is found wherever each copy was kept: inline
    /// (borrowed, among the first eight), or in the set (escaped, or past
    /// the eighth), in either order.
    #[test]
    fn seen_names_find_repeats_inline_and_in_the_set() {
        let names: Vec<String> = (0..20).map(|k| format!("n{k}")).collect();
        for repeat in [0, 5, 7, 8, 12, 19] {
            for owned_at in [None, Some(0), Some(repeat), Some(10)] {
                let mut seen = SeenNames::new();
                for (k, name) in names.iter().enumerate() {
                    let name = if owned_at == Some(k) {
                        Cow::Owned(name.clone())
                    } else {
                        Cow::Borrowed(name.as_str())
                    };
                    assert!(seen.insert(name).is_ok(), "first {k}");
                }
                let again = &names[repeat];
                assert_eq!(
                    seen.insert(Cow::Borrowed(again)),
                    Err(Cow::Borrowed(again.as_str()))
                );
                assert!(seen.insert(Cow::Owned(again.clone())).is_err());
                assert!(seen.insert(Cow::Borrowed("new")).is_ok());
                assert!(seen.insert(Cow::Owned("new".into())).is_err());
            }
        }
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
