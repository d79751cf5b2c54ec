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
        Num::F64(f) if (0.0..9.223_372_036_854_775e18).contains(&f) => {
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

/// Fills a [`ParsedClaims`] from a JSON object.
struct ClaimsSeed<'c, 'p> {
    ctx: &'c Ctx,
    out: &'p mut ParsedClaims,
}

impl<'de> DeserializeSeed<'de> for ClaimsSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

fn set_string(slot: &mut Option<String>, value: Result<Cow<'_, str>, WrongType>) -> bool {
    match value {
        Ok(v) => {
            *slot = Some(v.into_owned());
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

impl<'de> Visitor<'de> for ClaimsSeed<'_, '_> {
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
                0 => set_string(&mut c.iss, map.next_value_seed(string)?),
                1 => set_string(&mut c.sub, map.next_value_seed(string)?),
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
                7 => set_string(&mut c.nonce, map.next_value_seed(string)?),
                8 => set_string(&mut c.azp, map.next_value_seed(string)?),
                9 => set_string(&mut c.org_id, map.next_value_seed(string)?),
                10 => set_string(&mut c.org_name, map.next_value_seed(string)?),
                11 => set_string(&mut c.scope, map.next_value_seed(string)?),
                12 => match map.next_value_seed(list(false))? {
                    Ok(OneOrMany::Many(many)) => {
                        c.permissions = Some(many);
                        true
                    }
                    Ok(OneOrMany::One(_)) | Err(WrongType) => false,
                },
                _ => set_string(&mut c.jti, map.next_value_seed(string)?),
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
            0 => c.iss.as_deref(),
            1 => c.sub.as_deref(),
            7 => c.nonce.as_deref(),
            8 => c.azp.as_deref(),
            9 => c.org_id.as_deref(),
            10 => c.org_name.as_deref(),
            11 => c.scope.as_deref(),
            13 => c.jti.as_deref(),
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
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<Audience>,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
    auth_time: Option<i64>,
    nonce: Option<String>,
    azp: Option<String>,
    org_id: Option<String>,
    org_name: Option<String>,
    scope: Option<String>,
    permissions: Option<Vec<String>>,
    jti: Option<String>,
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
            .field("iss", &self.iss)
            .field("sub", &self.sub)
            .field("aud", &self.aud)
            .field("exp", &self.exp)
            .field("nbf", &self.nbf)
            .field("iat", &self.iat)
            .field("auth_time", &self.auth_time)
            .field("azp", &self.azp)
            .field("org_id", &self.org_id)
            .field("org_name", &self.org_name)
            .field("scope", &self.scope)
            .field("permissions", &self.permissions)
            .field("jti", &self.jti)
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
        self.iss.as_deref()
    }

    /// `sub`: the user (or client, for client-credentials tokens).
    pub fn sub(&self) -> Option<&str> {
        self.sub.as_deref()
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
        self.nonce.as_deref()
    }

    /// `azp`: the authorized party (client id).
    pub fn azp(&self) -> Option<&str> {
        self.azp.as_deref()
    }

    /// `org_id`: the Auth0 organization id (`org_…`).
    pub fn org_id(&self) -> Option<&str> {
        self.org_id.as_deref()
    }

    /// `org_name`: the Auth0 organization name (lowercase).
    pub fn org_name(&self) -> Option<&str> {
        self.org_name.as_deref()
    }

    /// `scope`: the raw space-separated scope string.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// The scopes in `scope`, split on spaces.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope
            .as_deref()
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
        self.jti.as_deref()
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
        .map(|s| s.len() + STRING)
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
