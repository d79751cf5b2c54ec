//! Typed access to a verified token's claims.
//!
//! The registered claims validators care about are parsed strictly: a claim
//! of the wrong JSON type is an error, never "absent". Everything else stays
//! in the full claim map, and [`Claims::deserialize`] reads custom claims into
//! your own type.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::error::{Error, TokenKind};
use crate::flat::FlatMembers;
use crate::json::{
    self, Ctx, JsonError, KeySeed, Num, NumSeed, OneOrMany, SeenNames, SkipSeed, StrListSeed,
    StrSeed, WrongType,
};
use crate::jws::{JwsError, Part};

/// Longest claim value (in characters) copied into an error message.
pub(crate) const MAX_MESSAGE_VALUE_CHARS: usize = 128;

/// Shortens a token-supplied value for an error message.
pub(crate) fn truncate_for_message(value: &str) -> String {
    match value.char_indices().nth(MAX_MESSAGE_VALUE_CHARS) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_owned(),
    }
}

/// The `aud` claim: one audience or an array of them.
///
/// # Example
///
/// ```
/// use auth0_jwt::claims::Audience;
///
/// let aud = Audience::Many(vec!["https://api".into(), "client-id".into()]);
/// assert!(aud.contains("client-id"));
/// assert_eq!(aud.len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// `"aud": "x"`.
    Single(String),
    /// `"aud": ["x", "y"]` (possibly with one element or none).
    Many(Vec<String>),
}

impl Audience {
    /// True if `audience` is one of the values.
    pub fn contains(&self, audience: &str) -> bool {
        self.iter().any(|a| a == audience)
    }

    /// The values, in token order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let slice: &[String] = match self {
            Self::Single(one) => std::slice::from_ref(one),
            Self::Many(many) => many,
        };
        slice.iter().map(String::as_str)
    }

    /// How many values there are.
    pub fn len(&self) -> usize {
        match self {
            Self::Single(_) => 1,
            Self::Many(many) => many.len(),
        }
    }

    /// True for an empty array.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a registered claim should have been (for [`ClaimTypeError`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expected {
    String,
    NumericDate,
    Audience,
    StringArray,
}

impl Expected {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::String => "a string",
            Self::NumericDate => "an integer NumericDate (seconds since the epoch)",
            Self::Audience => "a string or array of strings",
            Self::StringArray => "an array of strings",
        }
    }
}

/// A registered claim with the wrong JSON type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClaimTypeError {
    pub(crate) claim: &'static str,
    pub(crate) expected: Expected,
}

/// A NumericDate: a JSON integer within `i64`, nothing else.
///
/// RFC 7519 §2 defines NumericDate as a JSON numeric value that may be
/// non-integer, but Auth0 only ever issues integer seconds, and the libraries
/// Auth0 tokens are checked with elsewhere refuse anything but an integer
/// (auth0-python requires an `int`, jsonwebtoken deserializes `exp`/`nbf` into
/// integers). Accepting `1.5`, `1.0` or `1e9` here would let this SDK read a
/// token differently from them (truncation, rounding of huge exponents), so a
/// fraction or an exponent form is the claim's wrong-type error, like a string.
/// An integer beyond `i64::MAX` is no real date and would make time
/// arithmetic overflow.
fn numeric_date(n: Num) -> Result<i64, WrongType> {
    match n {
        Num::I64(i) => Ok(i),
        Num::U64(u) => i64::try_from(u).map_err(|_| WrongType),
        // serde_json yields `F64` for every number written with a fraction or an
        // exponent (and for `-0`), whatever its value.
        Num::F64(_) => Err(WrongType),
    }
}

/// The registered claims, in the order their types are reported, with what
/// each must be. A claim's index is its bit in [`ParsedClaims`]'s masks.
const REGISTERED: [(&str, Expected); 14] = [
    ("iss", Expected::String),
    ("sub", Expected::String),
    ("aud", Expected::Audience),
    ("exp", Expected::NumericDate),
    ("nbf", Expected::NumericDate),
    ("iat", Expected::NumericDate),
    ("auth_time", Expected::NumericDate),
    ("nonce", Expected::String),
    ("azp", Expected::String),
    ("org_id", Expected::String),
    ("org_name", Expected::String),
    ("scope", Expected::String),
    ("permissions", Expected::StringArray),
    ("jti", Expected::String),
];

/// The index of `name` in [`REGISTERED`] (a `match` on the name: faster than a
/// scan of the table, which the unit tests check it against). Inlined into the
/// flat scan's callback, which calls it for every member.
#[inline(always)]
fn registered_index(name: &[u8]) -> Option<usize> {
    Some(match *name {
        [a, b, c] => match [a, b, c] {
            [b'i', b's', b's'] => 0,
            [b's', b'u', b'b'] => 1,
            [b'a', b'u', b'd'] => 2,
            [b'e', b'x', b'p'] => 3,
            [b'n', b'b', b'f'] => 4,
            [b'i', b'a', b't'] => 5,
            [b'a', b'z', b'p'] => 8,
            [b'j', b't', b'i'] => 13,
            _ => return None,
        },
        _ => match name {
            b"auth_time" => 6,
            b"nonce" => 7,
            b"org_id" => 9,
            b"org_name" => 10,
            b"scope" => 11,
            b"permissions" => 12,
            _ => return None,
        },
    })
}

/// Where the values of a list claim are.
#[derive(Debug, Clone, Copy)]
enum ListAt {
    /// A JSON array of strings without escapes, this span of the claims' text
    /// (read in place; the owned form is built only if asked for).
    Span { start: usize, end: usize },
    /// In `aud_built` (the full parser built it).
    Aud,
    /// In `permissions_built` (the full parser built it).
    Permissions,
}

/// Where the value of `aud` is.
#[derive(Clone)]
enum AudAt {
    /// One string.
    One(Text),
    /// An array of strings.
    List(ListAt),
}

/// A claim set parsed in one pass: registered claims typed straight into the
/// [`Claims`] a validator returns (already in its `Arc`, so never copied), a wrong type recorded in a bit mask
/// rather than reported, the JSON text kept, duplicates and depth checked
/// everywhere. Type errors are reported after the signature is verified, in
/// [`REGISTERED`] order, by [`ParsedClaims::into_claims`] or the getters.
#[derive(Debug)]
pub(crate) struct ParsedClaims {
    claims: Arc<Claims>,
    /// Registered claims present (bit = index in [`REGISTERED`]).
    seen: u16,
    /// Registered claims present with the wrong JSON type.
    wrong: u16,
}

/// Fills a [`ParsedClaims`] from a JSON object, the whole of `text`.
struct ClaimsSeed<'c, 'p, 'de> {
    ctx: &'c Ctx,
    out: &'p mut ParsedClaims,
    text: &'de str,
}

impl<'de> DeserializeSeed<'de> for ClaimsSeed<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

/// A registered string claim of a [`Claims`]: where it sits in the JSON text (the
/// usual case, a string without escapes: no copy, no allocation), or its
/// unescaped value.
#[derive(Clone)]
enum Text {
    Span { start: usize, end: usize },
    Owned(Box<str>),
}

/// Stores a string read from `text`: as a span of `text` when it was borrowed
/// from it, else owned.
fn set_text(slot: &mut Option<Text>, value: Result<Cow<'_, str>, WrongType>, text: &str) -> bool {
    match value {
        Ok(Cow::Borrowed(v)) => {
            let start = v.as_ptr().addr().wrapping_sub(text.as_ptr().addr());
            let end = start.wrapping_add(v.len());
            // The same bytes of `text`, or (never, but then) a copy.
            let inside = text
                .get(start..end)
                .is_some_and(|s| std::ptr::eq(s.as_ptr(), v.as_ptr()));
            *slot = Some(if inside {
                Text::Span { start, end }
            } else {
                Text::Owned(v.into())
            });
            true
        }
        Ok(Cow::Owned(v)) => {
            *slot = Some(Text::Owned(v.into_boxed_str()));
            true
        }
        Err(WrongType) => false,
    }
}

fn set_date(slot: &mut Option<i64>, value: Result<Num, WrongType>) -> bool {
    match value.and_then(numeric_date) {
        Ok(v) => {
            *slot = Some(v);
            true
        }
        Err(WrongType) => false,
    }
}

impl<'de> Visitor<'de> for ClaimsSeed<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ctx = self.ctx;
        let depth = ctx.enter(0)?;
        let string = StrSeed { ctx, depth };
        let number = NumSeed { ctx, depth };
        let list = |allow_one| StrListSeed {
            ctx,
            depth,
            allow_one,
        };
        let text = self.text;
        let out = self.out;
        // The `Arc` was created by `ParsedClaims::parse` and not shared yet, so
        // this never clones.
        let c = Arc::make_mut(&mut out.claims);
        // Names of the other (custom) claims, for duplicate detection only.
        let mut others = SeenNames::new();
        while let Some(name) = map.next_key_seed(KeySeed)? {
            let Some(index) = registered_index(name.as_bytes()) else {
                if let Err(name) = others.insert(name) {
                    return Err(ctx.duplicate(&name));
                }
                map.next_value_seed(SkipSeed { ctx, depth })?;
                continue;
            };
            let bit = 1u16 << index;
            if out.seen & bit != 0 {
                return Err(ctx.duplicate(&name));
            }
            out.seen |= bit;
            let ok = match index {
                0 => set_text(&mut c.iss, map.next_value_seed(string)?, text),
                1 => set_text(&mut c.sub, map.next_value_seed(string)?, text),
                2 => match map.next_value_seed(list(true))? {
                    Ok(OneOrMany::One(one)) => {
                        c.set_aud(Audience::Single(one.into_owned()));
                        true
                    }
                    Ok(OneOrMany::Many(many)) => {
                        c.set_aud(Audience::Many(many));
                        true
                    }
                    Err(WrongType) => false,
                },
                3 => set_date(&mut c.exp, map.next_value_seed(number)?),
                4 => set_date(&mut c.nbf, map.next_value_seed(number)?),
                5 => set_date(&mut c.iat, map.next_value_seed(number)?),
                6 => set_date(&mut c.auth_time, map.next_value_seed(number)?),
                7 => set_text(&mut c.nonce, map.next_value_seed(string)?, text),
                8 => set_text(&mut c.azp, map.next_value_seed(string)?, text),
                9 => set_text(&mut c.org_id, map.next_value_seed(string)?, text),
                10 => set_text(&mut c.org_name, map.next_value_seed(string)?, text),
                11 => set_text(&mut c.scope, map.next_value_seed(string)?, text),
                12 => match map.next_value_seed(list(false))? {
                    Ok(OneOrMany::Many(many)) => {
                        c.set_permissions(many);
                        true
                    }
                    Ok(OneOrMany::One(_)) | Err(WrongType) => false,
                },
                _ => set_text(&mut c.jti, map.next_value_seed(string)?, text),
            };
            if !ok {
                out.wrong |= bit;
            }
        }
        Ok(())
    }
}

impl ParsedClaims {
    /// Parses a claim set strictly (see the type's docs).
    pub(crate) fn parse(json: &[u8]) -> Result<Self, JsonError> {
        Self::parse_keeping(json, None)
    }

    /// [`ParsedClaims::parse`], recording in `members` (when given) every
    /// member the fast path read, so that a caller's own claims type can be
    /// built from them without a second pass over the text (see
    /// [`FlatMembers`]; left incomplete when the full parser ran).
    pub(crate) fn parse_keeping(
        json: &[u8],
        mut members: Option<&mut FlatMembers>,
    ) -> Result<Self, JsonError> {
        let raw = json::utf8(json)?;
        if let Some(members) = members.as_deref_mut() {
            members.clear();
        }
        match Self::parse_flat_keeping(raw, members) {
            Some(parsed) => Ok(parsed),
            None => Self::parse_full(raw),
        }
    }

    /// The full strict parser behind [`ParsedClaims::parse`].
    pub(crate) fn parse_full(raw: &str) -> Result<Self, JsonError> {
        let mut out = ParsedClaims {
            claims: Arc::new(Claims::empty()),
            seen: 0,
            wrong: 0,
        };
        let ctx = Ctx::new();
        json::parse_object_seed_str(
            raw,
            &ctx,
            ClaimsSeed {
                ctx: &ctx,
                out: &mut out,
                text: raw,
            },
        )?;
        Arc::make_mut(&mut out.claims).raw = raw.into();
        Ok(out)
    }

    /// The fast path of [`ParsedClaims::parse`] for the usual claim set (see
    /// [`json::scan_flat`]): every registered claim of its right type, no escapes,
    /// no nesting. `None` sends the text through the full parser, which also
    /// reports what is wrong; for any text both accept, both give the same claims.
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn parse_flat(raw: &str) -> Option<Self> {
        Self::parse_flat_keeping(raw, None)
    }

    /// [`ParsedClaims::parse_flat`], recording the members in `members`.
    fn parse_flat_keeping(raw: &str, mut members: Option<&mut FlatMembers>) -> Option<Self> {
        use json::FlatValue::{Int, Str, StrArray};
        // Filled in place: the `Arc` is not shared yet, and `Claims` is large.
        let mut claims = Arc::new(Claims::empty());
        let c = Arc::get_mut(&mut claims)?;
        let mut seen = 0u16;
        let mut others = SeenNames::new();
        let text = |r: &Range<usize>| {
            Some(Text::Span {
                start: r.start,
                end: r.end,
            })
        };
        let list = |r: &Range<usize>| {
            Some(ListAt::Span {
                start: r.start,
                end: r.end,
            })
        };
        // A full record is only a speed-up: past its room, stop recording.
        let mut full = false;
        json::scan_flat(raw, |name, value| {
            match registered_index(raw.as_bytes().get(name.clone())?) {
                None => others.insert(Cow::Borrowed(raw.get(name.clone())?)).ok()?,
                Some(index) => {
                    let bit = 1u16 << index;
                    if seen & bit != 0 {
                        return None;
                    }
                    seen |= bit;
                    match (index, &value) {
                        (0, Str(v)) => c.iss = text(v),
                        (1, Str(v)) => c.sub = text(v),
                        (2, Str(v)) => c.aud = text(v).map(AudAt::One),
                        (2, StrArray(a)) => c.aud = list(a).map(AudAt::List),
                        // At most 18 digits: always within `i64`.
                        (3, Int(n)) => c.exp = i64::try_from(*n).ok(),
                        (4, Int(n)) => c.nbf = i64::try_from(*n).ok(),
                        (5, Int(n)) => c.iat = i64::try_from(*n).ok(),
                        (6, Int(n)) => c.auth_time = i64::try_from(*n).ok(),
                        (7, Str(v)) => c.nonce = text(v),
                        (8, Str(v)) => c.azp = text(v),
                        (9, Str(v)) => c.org_id = text(v),
                        (10, Str(v)) => c.org_name = text(v),
                        (11, Str(v)) => c.scope = text(v),
                        (12, StrArray(a)) => c.permissions = list(a),
                        (13, Str(v)) => c.jti = text(v),
                        // A wrong type: the full parser records it.
                        _ => return None,
                    }
                }
            }
            // Recorded last, so the value moves into the record.
            if let Some(record) = members.as_deref_mut() {
                full = full || !record.push(name, value);
            }
            Some(())
        })?;
        c.raw = raw.into();
        c.flat = true;
        if let (Some(record), false) = (members, full) {
            record.finish();
        }
        Some(ParsedClaims {
            claims,
            seen,
            wrong: 0,
        })
    }

    /// The error for the claim at `index` if it had the wrong type.
    fn check(&self, index: usize) -> Result<(), ClaimTypeError> {
        if self.wrong & (1 << index) == 0 {
            return Ok(());
        }
        let (claim, expected) = REGISTERED.get(index).copied().unwrap_or(REGISTERED[0]);
        Err(ClaimTypeError { claim, expected })
    }

    fn index(claim: &str) -> usize {
        REGISTERED
            .iter()
            .position(|(n, _)| *n == claim)
            .unwrap_or(REGISTERED.len())
    }

    /// A registered string claim (`iss`, `sub`, `nonce`, `azp`, `org_id`, …).
    pub(crate) fn string(&self, claim: &'static str) -> Result<Option<&str>, ClaimTypeError> {
        let c = &self.claims;
        let index = Self::index(claim);
        self.check(index)?;
        Ok(match index {
            0 => c.text(&c.iss),
            1 => c.text(&c.sub),
            7 => c.text(&c.nonce),
            8 => c.text(&c.azp),
            9 => c.text(&c.org_id),
            10 => c.text(&c.org_name),
            11 => c.text(&c.scope),
            13 => c.text(&c.jti),
            _ => None,
        })
    }

    /// A registered NumericDate claim (`exp`, `nbf`, `iat`, `auth_time`).
    pub(crate) fn numeric_date(&self, claim: &'static str) -> Result<Option<i64>, ClaimTypeError> {
        let c = &self.claims;
        let index = Self::index(claim);
        self.check(index)?;
        Ok(match index {
            3 => c.exp,
            4 => c.nbf,
            5 => c.iat,
            6 => c.auth_time,
            _ => None,
        })
    }

    pub(crate) fn audience(&self) -> Result<Option<&Audience>, ClaimTypeError> {
        self.check(2)?;
        Ok(self.claims.aud())
    }

    /// The values of `aud`, read in place (see [`Claims::aud_values`]).
    pub(crate) fn audience_values(
        &self,
    ) -> Result<Option<impl Iterator<Item = &str>>, ClaimTypeError> {
        self.check(2)?;
        Ok(self.claims.aud_values())
    }

    /// The typed claims; the first registered claim (in [`REGISTERED`] order)
    /// with the wrong type is an error.
    pub(crate) fn into_claims(self) -> Result<Arc<Claims>, ClaimTypeError> {
        if self.wrong != 0 {
            let index = self.wrong.trailing_zeros() as usize;
            self.check(index)?;
        }
        Ok(self.claims)
    }
}

/// What the fuzzing harnesses compare between the fast and the full path.
#[cfg(feature = "fuzzing")]
impl ParsedClaims {
    pub(crate) fn claims_ref(&self) -> &Claims {
        &self.claims
    }

    pub(crate) fn wrong_mask(&self) -> u16 {
        self.wrong
    }

    pub(crate) fn clone_for_check(&self) -> Self {
        ParsedClaims {
            claims: Arc::clone(&self.claims),
            seen: self.seen,
            wrong: self.wrong,
        }
    }
}

/// The claims of a verified token: the registered claims, typed, plus the
/// whole claim set.
///
/// Returned by [`TokenVerifier::verify`](crate::id_token::TokenVerifier::verify)
/// (as [`IdTokenClaims`](crate::id_token::IdTokenClaims)) and
/// [`AccessTokenValidator::validate`](crate::access_token::AccessTokenValidator::validate)
/// (as [`AccessTokenClaims`](crate::access_token::AccessTokenClaims)).
///
/// # Example
///
/// ```
/// use auth0_jwt::claims::Claims;
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Custom {
///     sub: String,
///     #[serde(rename = "https://example.com/roles")]
///     roles: Vec<String>,
/// }
///
/// let claims = Claims::from_json(
///     r#"{"sub":"user|1","scope":"read:a write:b","exp":1700000000,
///         "https://example.com/roles":["admin"]}"#,
/// )?;
/// assert_eq!(claims.sub(), Some("user|1"));
/// assert!(claims.has_scope("write:b"));
/// assert_eq!(claims.exp(), Some(1_700_000_000));
/// let custom: Custom = claims.deserialize()?;
/// assert_eq!(custom.roles, ["admin"]);
/// # Ok::<(), auth0_jwt::error::Error>(())
/// ```
///
/// `Debug` prints the registered claims and the size of the claim set, not the
/// custom claims (they may be personal data).
#[derive(Clone)]
pub struct Claims {
    iss: Option<Text>,
    sub: Option<Text>,
    aud: Option<AudAt>,
    /// `aud` as an [`Audience`], built on first use (or by the full parser).
    aud_built: OnceLock<Audience>,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
    auth_time: Option<i64>,
    nonce: Option<Text>,
    azp: Option<Text>,
    org_id: Option<Text>,
    org_name: Option<Text>,
    scope: Option<Text>,
    permissions: Option<ListAt>,
    /// `permissions`, owned, built on first use (or by the full parser).
    permissions_built: OnceLock<Vec<String>>,
    jti: Option<Text>,
    /// The whole claim set as received (strictly valid JSON: checked when parsed).
    raw: Box<str>,
    /// `raw` as a map, built on first use: validators never need it.
    all: OnceLock<Map<String, Value>>,
    /// Read by the flat scanner, so no member's value is an object (nor
    /// has escapes): e.g. no `cnf` confirmation claim can be in it.
    flat: bool,
}

impl PartialEq for Claims {
    /// Equal claim sets (the typed claims follow from them).
    fn eq(&self, other: &Self) -> bool {
        self.as_map() == other.as_map()
    }
}

impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claims")
            .field("iss", &self.iss())
            .field("sub", &self.sub())
            .field("aud", &self.aud())
            .field("exp", &self.exp)
            .field("nbf", &self.nbf)
            .field("iat", &self.iat)
            .field("auth_time", &self.auth_time)
            .field("azp", &self.azp())
            .field("org_id", &self.org_id())
            .field("org_name", &self.org_name())
            .field("scope", &self.scope())
            .field("permissions", &self.permissions())
            .field("jti", &self.jti())
            .field("json", &format_args!("<{} bytes>", self.raw.len()))
            .finish_non_exhaustive()
    }
}

impl Claims {
    /// No claims (filled in by [`ParsedClaims::parse`]).
    fn empty() -> Self {
        Claims {
            iss: None,
            sub: None,
            aud: None,
            aud_built: OnceLock::new(),
            exp: None,
            nbf: None,
            iat: None,
            auth_time: None,
            nonce: None,
            azp: None,
            org_id: None,
            org_name: None,
            scope: None,
            permissions: None,
            permissions_built: OnceLock::new(),
            jti: None,
            raw: Box::default(),
            all: OnceLock::new(),
            flat: false,
        }
    }

    /// True if no member's value is an object (known from how the claim set
    /// was read; `false` means it may have one). Lets a check for a nested
    /// claim such as `cnf` answer at once, per cached claim set.
    pub(crate) fn has_no_objects(&self) -> bool {
        self.flat
    }

    /// The value of a registered string claim.
    fn text<'s>(&'s self, text: &'s Option<Text>) -> Option<&'s str> {
        self.text_of(text.as_ref()?)
    }

    /// The value of a string claim.
    fn text_of<'s>(&'s self, text: &'s Text) -> Option<&'s str> {
        match text {
            // Spans are taken from `raw` itself when parsing.
            Text::Span { start, end } => self.raw.get(*start..*end),
            Text::Owned(s) => Some(s),
        }
    }

    /// The claims out of an `Arc` that is not shared (a copy if it is).
    pub(crate) fn unwrap_arc(claims: Arc<Self>) -> Self {
        Arc::try_unwrap(claims).unwrap_or_else(|shared| (*shared).clone())
    }

    /// Parses a JSON claim set (a payload you already trust, e.g. from a
    /// test or a cache), with the same strict JSON rules and type checks as
    /// the validators.
    ///
    /// # Errors
    ///
    /// [`Error::ClaimsNotAnObject`] if the text is not a JSON object,
    /// [`Error::Malformed`] if it repeats a member name or nests too deep, or
    /// [`Error::InvalidClaim`] (or the claim's own variant, e.g.
    /// [`Error::ExpirationInvalid`]) if a registered claim has the wrong type.
    pub fn from_json(json: &str) -> Result<Self, Error> {
        let parsed = ParsedClaims::parse(json.as_bytes()).map_err(|error| match error {
            JsonError::NotAnObject | JsonError::Syntax { .. } => Error::ClaimsNotAnObject,
            error => Error::Malformed(JwsError::Json {
                part: Part::Payload,
                error,
            }),
        })?;
        parsed
            .into_claims()
            .map(Claims::unwrap_arc)
            .map_err(|e| Error::from_claim_type(e, TokenKind::Token))
    }

    /// `iss`: who issued the token.
    pub fn iss(&self) -> Option<&str> {
        self.text(&self.iss)
    }

    /// `sub`: the user (or client, for client-credentials tokens).
    pub fn sub(&self) -> Option<&str> {
        self.text(&self.sub)
    }

    /// `aud`: who the token is for.
    pub fn aud(&self) -> Option<&Audience> {
        let at = self.aud.as_ref()?;
        Some(self.aud_built.get_or_init(|| match at {
            AudAt::One(text) => Audience::Single(self.text_of(text).unwrap_or_default().to_owned()),
            AudAt::List(list) => Audience::Many(self.list(*list).map(str::to_owned).collect()),
        }))
    }

    /// The values of `aud` in token order, read in place (no [`Audience`] built).
    pub(crate) fn aud_values(&self) -> Option<impl Iterator<Item = &str>> {
        let (one, list) = match self.aud.as_ref()? {
            AudAt::One(text) => (self.text_of(text), None),
            AudAt::List(list) => (None, Some(self.list(*list))),
        };
        Some(one.into_iter().chain(list.into_iter().flatten()))
    }

    /// True if there is an `aud` claim (of the right type: the checks run on
    /// typed claims).
    pub(crate) fn has_aud(&self) -> bool {
        self.aud.is_some()
    }

    /// True if `aud` has `audience` among its values.
    pub(crate) fn aud_contains(&self, audience: &str) -> bool {
        match &self.aud {
            None => false,
            Some(AudAt::One(text)) => self.text_of(text) == Some(audience),
            Some(AudAt::List(list)) => self.list_contains(*list, audience),
        }
    }

    /// True if the list claim at `at` has `value` among its values.
    fn list_contains(&self, at: ListAt, value: &str) -> bool {
        match at {
            ListAt::Span { start, end } => self
                .raw
                .get(start..end)
                .is_some_and(|array| json::flat_contains(array, value)),
            ListAt::Aud => self.aud_built.get().is_some_and(|a| a.contains(value)),
            ListAt::Permissions => self
                .permissions_built
                .get()
                .is_some_and(|p| p.iter().any(|v| v == value)),
        }
    }

    /// The strings of a list claim.
    fn list(&self, at: ListAt) -> impl Iterator<Item = &str> {
        let (span, built): (_, Option<&[String]>) = match at {
            ListAt::Span { start, end } => (self.raw.get(start..end), None),
            ListAt::Aud => (
                None,
                self.aud_built.get().map(|aud| match aud {
                    Audience::Single(one) => std::slice::from_ref(one),
                    Audience::Many(many) => many.as_slice(),
                }),
            ),
            ListAt::Permissions => (None, self.permissions_built.get().map(Vec::as_slice)),
        };
        span.into_iter()
            .flat_map(json::flat_items)
            .chain(built.into_iter().flatten().map(String::as_str))
    }

    fn set_aud(&mut self, aud: Audience) {
        self.aud_built = OnceLock::from(aud);
        self.aud = Some(AudAt::List(ListAt::Aud));
    }

    fn set_permissions(&mut self, permissions: Vec<String>) {
        self.permissions_built = OnceLock::from(permissions);
        self.permissions = Some(ListAt::Permissions);
    }

    /// `exp`: expiry, seconds since the epoch.
    pub fn exp(&self) -> Option<i64> {
        self.exp
    }

    /// `nbf`: not valid before, seconds since the epoch.
    pub fn nbf(&self) -> Option<i64> {
        self.nbf
    }

    /// `iat`: issued at, seconds since the epoch.
    pub fn iat(&self) -> Option<i64> {
        self.iat
    }

    /// `auth_time`: when the user last authenticated, seconds since the epoch.
    pub fn auth_time(&self) -> Option<i64> {
        self.auth_time
    }

    /// `nonce`: the value sent in the authorization request.
    pub fn nonce(&self) -> Option<&str> {
        self.text(&self.nonce)
    }

    /// `azp`: the authorized party (client id).
    pub fn azp(&self) -> Option<&str> {
        self.text(&self.azp)
    }

    /// `org_id`: the Auth0 organization id (`org_…`).
    pub fn org_id(&self) -> Option<&str> {
        self.text(&self.org_id)
    }

    /// `org_name`: the Auth0 organization name (lowercase).
    pub fn org_name(&self) -> Option<&str> {
        self.text(&self.org_name)
    }

    /// `scope`: the raw space-separated scope string.
    pub fn scope(&self) -> Option<&str> {
        self.text(&self.scope)
    }

    /// The scopes in `scope`, split on spaces.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope()
            .unwrap_or("")
            .split(' ')
            .filter(|s| !s.is_empty())
    }

    /// True if `scope` contains `scope` as a whole word.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes().any(|s| s == scope)
    }

    /// `permissions`: Auth0 RBAC permissions.
    pub fn permissions(&self) -> Option<&[String]> {
        let at = self.permissions?;
        Some(
            self.permissions_built
                .get_or_init(|| self.list(at).map(str::to_owned).collect()),
        )
    }

    /// True if `permissions` contains `permission`.
    pub fn has_permission(&self, permission: &str) -> bool {
        self.permissions
            .is_some_and(|at| self.list_contains(at, permission))
    }

    /// `jti`: the token's unique id.
    pub fn jti(&self) -> Option<&str> {
        self.text(&self.jti)
    }

    /// Any claim by name, registered or custom.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.as_map().get(name)
    }

    /// The whole claim set (built from the JSON text on first use).
    pub fn as_map(&self) -> &Map<String, Value> {
        self.all.get_or_init(|| {
            // `raw` was accepted by the same strict parser when these claims were
            // built, so this parse cannot fail; an empty map is never observed.
            json::parse_object(self.raw.as_bytes()).unwrap_or_default()
        })
    }

    /// The whole claim set, by value.
    pub fn into_map(mut self) -> Map<String, Value> {
        self.as_map();
        self.all.take().unwrap_or_default()
    }

    /// The claim set as the JSON text the token carried.
    pub fn as_json(&self) -> &str {
        &self.raw
    }

    /// Reads the claims into your own type (custom claims, namespaced
    /// claims, …), straight from the JSON text.
    ///
    /// # Errors
    ///
    /// [`Error::ClaimsDeserialize`] if the claims don't fit `T`.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let mut members = FlatMembers::new();
        members.scan(&self.raw);
        self.deserialize_from(&members)
    }

    /// [`Claims::deserialize`] from the members of this claim set already
    /// recorded by a scan of its text (one pass for the registered claims
    /// and `T`); `serde_json` reads the text when they are incomplete (not
    /// a flat claim set) or `T` refuses them, so its error is the one
    /// reported.
    pub(crate) fn deserialize_from<T: DeserializeOwned>(
        &self,
        members: &FlatMembers,
    ) -> Result<T, Error> {
        if let Some(value) = members.deserialize(&self.raw) {
            return Ok(value);
        }
        serde_json::from_str(&self.raw).map_err(|e| Error::ClaimsDeserialize {
            source: Box::new(e),
        })
    }

    /// Rough heap size, for cache accounting: the JSON text, the typed
    /// copies of the registered claims, and room for the map should a caller
    /// ask for it.
    pub(crate) fn approx_size(&self) -> usize {
        const STRING: usize = 24;
        let strings = [
            &self.iss,
            &self.sub,
            &self.nonce,
            &self.azp,
            &self.org_id,
            &self.org_name,
            &self.scope,
            &self.jti,
        ]
        .into_iter()
        .flatten()
        .map(|t| match t {
            Text::Span { .. } => 0,
            Text::Owned(s) => s.len() + STRING,
        })
        .sum::<usize>();
        let permissions = self.permissions.map(|at| self.list(at));
        let lists = self
            .aud_values()
            .into_iter()
            .flatten()
            .chain(permissions.into_iter().flatten())
            .map(|s| s.len() + STRING)
            .sum::<usize>();
        // A parsed map costs about three times its text (nodes, keys, values).
        std::mem::size_of::<Self>() + self.raw.len() * 4 + strings + lists
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<ParsedClaims, JsonError> {
        ParsedClaims::parse(json.as_bytes())
    }

    #[test]
    fn one_pass_types_and_keeps_the_rest() {
        let p = parse(
            r#"{"iss":"i","aud":["a","b"],"exp":10,"nbf":1,"scope":"x y",
                "permissions":["p"],"n":{"deep":[1,{"k":null}]},"s":"t"}"#,
        )
        .unwrap();
        let c = Claims::unwrap_arc(p.into_claims().unwrap());
        assert_eq!(c.iss(), Some("i"));
        assert_eq!(c.aud(), Some(&Audience::Many(vec!["a".into(), "b".into()])));
        assert_eq!((c.exp(), c.nbf()), (Some(10), Some(1)));
        assert!(c.has_scope("y") && c.has_permission("p"));
        assert_eq!(c.get("s"), Some(&Value::from("t")));
        assert_eq!(c.as_map()["n"]["deep"][1]["k"], Value::Null);
        assert_eq!(c.clone().into_map().len(), 8);
        assert_eq!(c, Claims::from_json(c.as_json()).unwrap());
    }

    #[test]
    fn registered_index_matches_the_table() {
        for (index, (name, _)) in REGISTERED.iter().enumerate() {
            assert_eq!(registered_index(name.as_bytes()), Some(index));
        }
        for other in ["gty", "is", "isss", "ISS", "nonc", "auth_tim", ""] {
            assert_eq!(registered_index(other.as_bytes()), None, "{other}");
        }
    }

    /// What a parse produced, for comparing the fast and full paths.
    fn summary(p: &ParsedClaims) -> String {
        let c = &p.claims;
        format!(
            "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {} {} {}",
            c.iss(),
            c.sub(),
            c.aud(),
            c.exp(),
            c.nbf(),
            c.iat(),
            c.auth_time(),
            c.nonce(),
            c.azp(),
            c.org_id(),
            c.org_name(),
            c.scope(),
            c.permissions(),
            c.jti(),
            c.as_json(),
            p.seen,
            p.wrong
        )
    }

    #[test]
    fn fast_path_agrees_with_the_full_parser() {
        let taken = [
            r#"{}"#,
            r#" { "iss" : "https://t/" , "aud" : [ "a" , "b" ] , "exp" : 1700000000 } "#,
            r#"{"sub":"u","aud":"one","iat":0,"nbf":5,"auth_time":7,"azp":"c","nonce":"n"}"#,
            r#"{"org_id":"org_1","org_name":"acme","scope":"a b","permissions":[],"jti":"j"}"#,
            r#"{"permissions":["read:x","write:y"],"gty":"client-credentials","x":true,"y":null,"z":false}"#,
            r#"{"custom":["a"],"n":123456789012345678,"ü":"é…","long":"0123456789abcdefghij"}"#,
            "{\"a\":\"\u{7f}\"}",
        ];
        for json in taken {
            let fast = ParsedClaims::parse_flat(json).unwrap_or_else(|| panic!("fast: {json}"));
            let full = ParsedClaims::parse_full(json).unwrap();
            assert_eq!(summary(&fast), summary(&full), "{json}");
        }
        // Left to the full parser: escapes, floats, negatives, big numbers, nesting,
        // wrong types, duplicates, bad syntax, trailing data, control characters.
        let left = [
            r#"{"iss":"a\u0062"}"#,
            r#"{"i\u0073s":"a"}"#,
            r#"{"long":"0123456789abcdef\"ghij"}"#,
            r#"{"exp":1.5}"#,
            r#"{"exp":1e3}"#,
            r#"{"exp":-1}"#,
            r#"{"exp":1234567890123456789}"#,
            r#"{"exp":01}"#,
            r#"{"o":{}}"#,
            r#"{"a":[1]}"#,
            r#"{"a":[["x"]]}"#,
            r#"{"exp":"1"}"#,
            r#"{"aud":1}"#,
            r#"{"permissions":"p"}"#,
            r#"{"iss":"a","iss":"a"}"#,
            r#"{"c":1,"c":1}"#,
            r#"{"a":1,}"#,
            r#"{"a":1}x"#,
            r#"{"a":tru}"#,
            r#"{"a":"x"#,
            r#"{"a" 1}"#,
            r#"[]"#,
            "{\"a\":\"\u{1}\"}",
            "{\"a\":\"a line\nbreak in a long string\"}",
        ];
        for json in left {
            assert!(ParsedClaims::parse_flat(json).is_none(), "{json}");
        }
    }

    #[test]
    fn string_claims_borrow_or_own() {
        let c = Claims::from_json(r#"{"iss":"a\"b\u00e9","sub":"plain","scope":"","jti":"ü"}"#)
            .unwrap();
        assert!(matches!(c.iss, Some(Text::Owned(_))));
        assert!(matches!(c.sub, Some(Text::Span { .. })));
        assert_eq!(c.iss(), Some("a\"bé"));
        assert_eq!(c.sub(), Some("plain"));
        assert_eq!(c.scope(), Some(""));
        assert_eq!(c.jti(), Some("ü"));
        // Spans still point at the right text in a clone.
        assert_eq!(c.clone().sub(), Some("plain"));
    }

    #[test]
    fn escaped_names_are_the_registered_claims() {
        let c = Claims::unwrap_arc(
            parse(r#"{"\u0069ss":"i","e\u0078p":5}"#)
                .unwrap()
                .into_claims()
                .unwrap(),
        );
        assert_eq!((c.iss(), c.exp()), (Some("i"), Some(5)));
    }

    #[test]
    fn duplicates_after_a_wrong_type_are_still_duplicates() {
        for json in [
            r#"{"exp":"x","exp":1}"#,
            r#"{"aud":{},"aud":"a"}"#,
            r#"{"c":1,"d":2,"c":3}"#,
        ] {
            assert!(
                matches!(parse(json), Err(JsonError::DuplicateMember { .. })),
                "{json}"
            );
        }
    }

    #[test]
    fn type_errors_come_in_a_fixed_order_after_json_errors() {
        // `sub` comes first in the text, `iss` first in the check order.
        let e = parse(r#"{"sub":1,"iss":2}"#)
            .unwrap()
            .into_claims()
            .unwrap_err();
        assert_eq!(e.claim, "iss");
        // A JSON error anywhere wins over a type error.
        assert!(matches!(
            parse(r#"{"iss":2,"x":1,"x":1}"#),
            Err(JsonError::DuplicateMember { .. })
        ));
        let p = parse(r#"{"iss":2,"exp":"soon"}"#).unwrap();
        assert!(p.string("iss").is_err());
        assert!(p.numeric_date("exp").is_err());
        assert_eq!(p.string("sub"), Ok(None));
    }

    #[test]
    fn depth_limit_matches_the_map_parser() {
        let nest = |n: usize| format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n));
        let ok = nest(json::MAX_DEPTH);
        assert!(parse(&ok).is_ok());
        assert!(json::parse_object(ok.as_bytes()).is_ok());
        let deep = nest(json::MAX_DEPTH + 1);
        assert_eq!(
            parse(&deep).unwrap_err(),
            JsonError::TooDeep {
                max: json::MAX_DEPTH
            }
        );
        let arrays = format!("{{\"a\":{}", "[".repeat(100_000));
        assert_eq!(
            parse(&arrays).unwrap_err(),
            JsonError::TooDeep {
                max: json::MAX_DEPTH
            }
        );
    }

    #[test]
    fn not_objects_and_bad_text() {
        assert_eq!(parse("[1]").unwrap_err(), JsonError::NotAnObject);
        assert!(matches!(parse("{"), Err(JsonError::Syntax { .. })));
        assert!(matches!(
            ParsedClaims::parse(b"{\"a\":\"\xff\"}"),
            Err(JsonError::Syntax { .. })
        ));
        assert!(matches!(
            Claims::from_json("[]"),
            Err(Error::ClaimsNotAnObject)
        ));
        assert!(matches!(
            Claims::from_json(r#"{"a":1,"a":1}"#),
            Err(Error::Malformed(_))
        ));
    }

    #[test]
    fn debug_hides_custom_claims() {
        let c = Claims::from_json(r#"{"sub":"u","email":"x@example.com"}"#).unwrap();
        let dbg = format!("{c:?}");
        assert!(
            dbg.contains("\"u\"") && !dbg.contains("x@example.com"),
            "{dbg}"
        );
    }
}
