//! Typed access to a verified token's claims.
//!
//! The registered claims validators care about are parsed strictly: a claim
//! of the wrong JSON type is an error, never "absent". Everything else stays
//! in the full claim map, and [`Claims::deserialize`] reads custom claims into
//! your own type.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::error::{Error, TokenKind};
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
            Self::NumericDate => "a number (seconds since the epoch)",
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

/// A NumericDate: JSON integers within `i64`, or finite non-negative floats below
/// 2^63 (truncated to whole seconds). Anything else — an integer beyond `i64::MAX`, a
/// negative or huge float — is no real date and would make time arithmetic overflow.
fn numeric_date(n: Num) -> Result<i64, WrongType> {
    match n {
        Num::I64(i) => Ok(i),
        Num::U64(u) => i64::try_from(u).map_err(|_| WrongType),
        // 9.2e18 is exactly representable and below 2^63; the cast truncates towards
        // zero. NaN and infinities fail the range test (serde_json never yields them
        // from JSON text anyway).
        Num::F64(f) if (0.0..9.223_372_036_854_775e18).contains(&f) =>
        {
            #[allow(clippy::cast_possible_truncation)]
            Ok(f as i64)
        }
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
            let Some(index) = REGISTERED.iter().position(|(n, _)| *n == &*name) else {
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
                        c.aud = Some(Audience::Single(one.into_owned()));
                        true
                    }
                    Ok(OneOrMany::Many(many)) => {
                        c.aud = Some(Audience::Many(many));
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
                        c.permissions = Some(many);
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
        let raw = json::utf8(json)?;
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
        Ok(self.claims.aud.as_ref())
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
    aud: Option<Audience>,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
    auth_time: Option<i64>,
    nonce: Option<Text>,
    azp: Option<Text>,
    org_id: Option<Text>,
    org_name: Option<Text>,
    scope: Option<Text>,
    permissions: Option<Vec<String>>,
    jti: Option<Text>,
    /// The whole claim set as received (strictly valid JSON: checked when parsed).
    raw: Box<str>,
    /// `raw` as a map, built on first use: validators never need it.
    all: OnceLock<Map<String, Value>>,
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
            .field("aud", &self.aud)
            .field("exp", &self.exp)
            .field("nbf", &self.nbf)
            .field("iat", &self.iat)
            .field("auth_time", &self.auth_time)
            .field("azp", &self.azp())
            .field("org_id", &self.org_id())
            .field("org_name", &self.org_name())
            .field("scope", &self.scope())
            .field("permissions", &self.permissions)
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
            jti: None,
            raw: Box::default(),
            all: OnceLock::new(),
        }
    }

    /// The value of a registered string claim.
    fn text<'s>(&'s self, text: &'s Option<Text>) -> Option<&'s str> {
        match text.as_ref()? {
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
        self.aud.as_ref()
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
        self.permissions.as_deref()
    }

    /// True if `permissions` contains `permission`.
    pub fn has_permission(&self, permission: &str) -> bool {
        self.permissions
            .as_deref()
            .is_some_and(|p| p.iter().any(|x| x == permission))
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
        let lists = self
            .aud
            .iter()
            .flat_map(Audience::iter)
            .chain(self.permissions.iter().flatten().map(String::as_str))
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
            r#"{"iss":"i","aud":["a","b"],"exp":10,"nbf":1.9,"scope":"x y",
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
