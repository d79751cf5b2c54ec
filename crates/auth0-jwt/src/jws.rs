//! Strict parsing of JWS compact serialization (RFC 7515 §7.1): `header.payload.signature`.
//!
//! [`Jws::parse`] checks the *shape* of a token — three non-empty parts, strict
//! base64url, JSON objects without duplicate members, a usable `alg`, no unknown `crit`
//! extensions, no unencoded payload — and keeps the exact received bytes of
//! `<header>.<payload>` as the signing input. It does **not** check the signature; hand
//! [`Jws::signing_input`] and [`Jws::signature`] to
//! [`VerifyingKey::verify`](crate::key::VerifyingKey::verify).
//!
//! # Keys named by the token are never used
//!
//! The `jku`, `x5u`, `jwk` and `x5c` header parameters are parsed as data (so they are
//! visible to callers and a malformed value is an error) but nothing in this crate ever
//! fetches, trusts or builds a key from them: keys come only from configuration
//! (a JWKS URL you chose, a PEM, a secret). Trusting a key the token carries would let
//! anyone sign their own tokens.

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::alg::{Algorithm, AlgorithmError};
use crate::base64url;
use crate::json::{self, Ctx, KeySeed, OneOrMany, StrListSeed, StrSeed, ValueSeed, WrongType};

pub use crate::json::{JsonError, MAX_DEPTH as MAX_JSON_DEPTH};

/// Default maximum token length accepted by [`Jws::parse`]: 16 KiB.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 16 * 1024;

/// Header parameters registered by RFC 7515 §4.1 (and RFC 7797's `b64`); `crit` must
/// never list them (RFC 7515 §4.1.11).
const REGISTERED_HEADER_PARAMS: &[&str] = &[
    "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit",
];

/// Options for [`Jws::parse`].
///
/// # Example
///
/// ```
/// use auth0_jwt::jws::ParseOptions;
///
/// let options = ParseOptions::default().max_token_len(8 * 1024);
/// assert_eq!(options.get_max_token_len(), 8 * 1024);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOptions {
    max_token_len: usize,
    understood_crit: Vec<String>,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
            understood_crit: Vec::new(),
        }
    }
}

impl ParseOptions {
    /// Same as [`ParseOptions::default`]: 16 KiB limit, no `crit` extension understood.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the maximum token length in bytes (default [`DEFAULT_MAX_TOKEN_LEN`]).
    pub fn max_token_len(mut self, max: usize) -> Self {
        self.max_token_len = max;
        self
    }

    /// The configured maximum token length.
    pub fn get_max_token_len(&self) -> usize {
        self.max_token_len
    }

    /// Declares that the caller understands and enforces the header extension `name`,
    /// so a `crit` that lists it is accepted. Only do this if your code actually
    /// processes that parameter. Registered names (`alg`, `kid`, …) and `b64` can't be
    /// made understood.
    pub fn understand_crit(mut self, name: impl Into<String>) -> Self {
        self.understood_crit.push(name.into());
        self
    }

    /// The extension names declared with [`ParseOptions::understand_crit`].
    pub fn understood_crit(&self) -> &[String] {
        &self.understood_crit
    }
}

/// Which of the three compact parts an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Part {
    /// The protected header (first part).
    Header,
    /// The payload / claims (second part).
    Payload,
    /// The signature (third part).
    Signature,
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Part::Header => "header",
            Part::Payload => "payload",
            Part::Signature => "signature",
        })
    }
}

/// Why a token is not a well-formed JWS we are willing to verify. Never contains the
/// token itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwsError {
    /// The token is longer than [`ParseOptions::max_token_len`]. Usually garbage or an
    /// attempt to make the server do work; raise the limit if your tokens carry many
    /// claims.
    #[error("token is {len} bytes, longer than the {max}-byte limit")]
    TooLong {
        /// The token's length.
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// Not three dot-separated parts. Two parts: a truncated token or an unsigned JWT;
    /// five parts: a JWE (encrypted token), which is not supported; a trailing dot also
    /// lands here.
    #[error("a JWS compact token has 3 dot-separated parts, this one has {found}")]
    PartCount {
        /// Number of parts found.
        found: usize,
    },
    /// A part is empty (e.g. `.payload.sig`, or an unsigned token `header.payload.`).
    /// An empty payload is only an error for [`Jws`] (a JWT needs claims), not for
    /// [`RawJws`].
    #[error("the {part} part is empty")]
    EmptyPart {
        /// The empty part.
        part: Part,
    },
    /// A part is not strict unpadded base64url (padding, `+`/`/`, whitespace, bad
    /// length or non-canonical trailing bits). Often a token copied with its padding
    /// or mangled by URL decoding.
    #[error("the {part} part is not valid base64url: {reason}")]
    Base64 {
        /// The offending part.
        part: Part,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The header or payload decodes but is not a strict JSON object (syntax error,
    /// not an object, duplicate member name, nested too deep).
    #[error("the {part} part is not an acceptable JSON object")]
    Json {
        /// The offending part.
        part: Part,
        /// The JSON problem.
        #[source]
        error: JsonError,
    },
    /// The header has no `alg` member. Every JWS must name its algorithm.
    #[error("the header has no `alg` member")]
    MissingAlgorithm,
    /// The `alg` value is `none`, unknown or not supported.
    #[error("the header's `alg` is not acceptable")]
    Algorithm(#[source] AlgorithmError),
    /// A registered header member has the wrong JSON type (e.g. `alg` or `kid` is not a
    /// string, `x5c` is not an array of strings).
    #[error("header member `{name}` must be {expected}")]
    InvalidHeaderMember {
        /// The member name.
        name: &'static str,
        /// The type it must have.
        expected: &'static str,
    },
    /// `crit` is malformed: not an array of strings, empty, with duplicates, listing a
    /// registered parameter, or listing a parameter absent from the header
    /// (RFC 7515 §4.1.11).
    #[error("malformed `crit` header: {reason}")]
    MalformedCrit {
        /// What is wrong.
        reason: &'static str,
    },
    /// `crit` lists an extension this verifier does not understand; RFC 7515 requires
    /// rejecting the token. Declare it with [`ParseOptions::understand_crit`] only if you
    /// enforce it.
    #[error("critical header extension `{name}` is not understood")]
    UnsupportedCrit {
        /// The extension name (truncated to 64 characters).
        name: String,
    },
    /// `b64: false` (RFC 7797 unencoded payload) is not supported, and `b64` must be a
    /// boolean if present.
    #[error("unencoded payloads (`b64: false`) are not supported")]
    UnencodedPayload,
    /// The header has a `zip` (compression) parameter. `zip` is defined for JWE only
    /// (RFC 7516 §4.1.3) and means nothing in a JWS; a token carrying it was made by
    /// something confused or hostile (RFC 8725 §3.6 advises against compression).
    #[error("the header has a `zip` parameter, which a signed token cannot use")]
    CompressedPayload,
    /// The header says the payload is itself a JWT (`cty: JWT`, RFC 7519 §5.2): a
    /// nested token, which this crate does not process (its claims would be those of
    /// the inner token, not of the signed payload).
    #[error("nested JWTs (`cty: JWT`) are not supported")]
    NestedJwt,
}

/// The protected header of a JWS. Registered members are typed; all others are in
/// [`Header::extra`].
///
/// `jku`, `x5u`, `jwk` and `x5c` are kept as data only: they are never used to find or
/// trust a key (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Header {
    /// `alg`, exactly as in the token (already checked to parse as an [`Algorithm`]).
    pub alg: String,
    /// `kid`: which key signed the token.
    pub kid: Option<String>,
    /// `typ`, e.g. `JWT` or `at+jwt`.
    pub typ: Option<String>,
    /// `cty`, content type of the payload.
    pub cty: Option<String>,
    /// `crit`: extensions that must be understood (only ones declared in
    /// [`ParseOptions::understand_crit`] can be here).
    pub crit: Option<Vec<String>>,
    /// `jku` (data only, never fetched).
    pub jku: Option<String>,
    /// `x5u` (data only, never fetched).
    pub x5u: Option<String>,
    /// `jwk` (data only, never trusted).
    pub jwk: Option<Map<String, Value>>,
    /// `x5c` (data only, never trusted).
    pub x5c: Option<Vec<String>>,
    /// `x5t`.
    pub x5t: Option<String>,
    /// `x5t#S256`.
    pub x5t_s256: Option<String>,
    /// Every other member, as parsed.
    pub extra: Map<String, Value>,
    algorithm: Algorithm,
}

impl Header {
    /// The parsed `alg`.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

/// The protected header as parsed: `alg`, `kid` and `typ` borrow from the decoded
/// header bytes (no copy unless they contain escapes); the members a verifier does
/// not use are boxed, and only allocated if present. [`Header`] is its owned form.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HeaderRef<'h> {
    pub(crate) alg: Cow<'h, str>,
    pub(crate) algorithm: Algorithm,
    pub(crate) kid: Option<Cow<'h, str>>,
    pub(crate) typ: Option<Cow<'h, str>>,
    rest: Option<Box<HeaderRest>>,
}

/// The header members other than `alg`, `kid` and `typ`.
#[derive(Debug, Clone, PartialEq, Default)]
struct HeaderRest {
    cty: Option<String>,
    crit: Option<Vec<String>>,
    jku: Option<String>,
    x5u: Option<String>,
    jwk: Option<Map<String, Value>>,
    x5c: Option<Vec<String>>,
    x5t: Option<String>,
    x5t_s256: Option<String>,
    extra: Map<String, Value>,
}

impl HeaderRef<'_> {
    pub(crate) fn into_owned(self) -> Header {
        let own = |s: Option<Cow<'_, str>>| s.map(Cow::into_owned);
        let rest = self.rest.map(|r| *r).unwrap_or_default();
        Header {
            alg: self.alg.into_owned(),
            kid: own(self.kid),
            typ: own(self.typ),
            cty: rest.cty,
            crit: rest.crit,
            jku: rest.jku,
            x5u: rest.x5u,
            jwk: rest.jwk,
            x5c: rest.x5c,
            x5t: rest.x5t,
            x5t_s256: rest.x5t_s256,
            extra: rest.extra,
            algorithm: self.algorithm,
        }
    }
}

/// A member that was present: its value, or [`WrongType`] (already checked strictly
/// as JSON). `None` = absent.
type Slot<T> = Option<Result<T, WrongType>>;

/// The header members as found, before the JWS rules are applied (so JSON errors
/// anywhere in the header win over member errors, as with a parse-then-check).
#[derive(Default)]
struct RawHeader<'h> {
    alg: Slot<Cow<'h, str>>,
    kid: Slot<Cow<'h, str>>,
    typ: Slot<Cow<'h, str>>,
    rest: Option<Box<RawRest>>,
}

/// The rarely present members of [`RawHeader`].
#[derive(Default)]
struct RawRest {
    cty: Slot<String>,
    jku: Slot<String>,
    x5u: Slot<String>,
    x5t: Slot<String>,
    x5t_s256: Slot<String>,
    x5c: Slot<Vec<String>>,
    jwk: Option<Value>,
    crit: Option<Value>,
    extra: Map<String, Value>,
}

struct HeaderSeed<'c, 'o, 'h> {
    ctx: &'c Ctx,
    out: &'o mut RawHeader<'h>,
}

impl<'h> DeserializeSeed<'h> for HeaderSeed<'_, '_, 'h> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'h>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'h> Visitor<'h> for HeaderSeed<'_, '_, 'h> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'h>>(self, mut map: A) -> Result<(), A::Error> {
        let ctx = self.ctx;
        let depth = ctx.enter(0)?;
        let string = StrSeed { ctx, depth };
        let value = ValueSeed { ctx, depth };
        let h = self.out;
        while let Some(name) = map.next_key_seed(KeySeed)? {
            let slot = match &*name {
                "alg" => &mut h.alg,
                "kid" => &mut h.kid,
                "typ" => &mut h.typ,
                _ => {
                    let rest = h.rest.get_or_insert_with(Box::default);
                    let owned = |v: Result<Cow<'_, str>, WrongType>| v.map(Cow::into_owned);
                    let slot = match &*name {
                        "cty" => &mut rest.cty,
                        "jku" => &mut rest.jku,
                        "x5u" => &mut rest.x5u,
                        "x5t" => &mut rest.x5t,
                        "x5t#S256" => &mut rest.x5t_s256,
                        "x5c" => {
                            if rest.x5c.is_some() {
                                return Err(ctx.duplicate(&name));
                            }
                            let list = map.next_value_seed(StrListSeed {
                                ctx,
                                depth,
                                allow_one: false,
                            })?;
                            rest.x5c = Some(list.and_then(|l| match l {
                                OneOrMany::Many(items) => Ok(items),
                                OneOrMany::One(_) => Err(WrongType),
                            }));
                            continue;
                        }
                        "jwk" | "crit" => {
                            let slot = if &*name == "jwk" {
                                &mut rest.jwk
                            } else {
                                &mut rest.crit
                            };
                            if slot.is_some() {
                                return Err(ctx.duplicate(&name));
                            }
                            *slot = Some(map.next_value_seed(value)?);
                            continue;
                        }
                        _ => {
                            if rest.extra.contains_key(&*name) {
                                return Err(ctx.duplicate(&name));
                            }
                            let v = map.next_value_seed(value)?;
                            rest.extra.insert(name.into_owned(), v);
                            continue;
                        }
                    };
                    if slot.is_some() {
                        return Err(ctx.duplicate(&name));
                    }
                    *slot = Some(owned(map.next_value_seed(string)?));
                    continue;
                }
            };
            if slot.is_some() {
                return Err(ctx.duplicate(&name));
            }
            *slot = Some(map.next_value_seed(string)?);
        }
        Ok(())
    }
}

fn string_member<T>(slot: Slot<T>, name: &'static str) -> Result<Option<T>, JwsError> {
    match slot {
        None => Ok(None),
        Some(Ok(s)) => Ok(Some(s)),
        Some(Err(WrongType)) => Err(JwsError::InvalidHeaderMember {
            name,
            expected: "a string",
        }),
    }
}

/// The fast path of [`parse_header`] for the usual header: `alg` and optionally
/// `kid` and `typ`, strings without escapes, nothing else (see
/// [`json::scan_flat`]). `None` leaves the header to the full parser, which also
/// reports what is wrong with it.
pub(crate) fn parse_plain_header(bytes: &[u8]) -> Option<HeaderRef<'_>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let (mut alg, mut kid, mut typ) = (None, None, None);
    json::scan_flat(text, |name, value| {
        let json::FlatValue::Str(value) = value else {
            return None;
        };
        let value = text.get(value)?;
        let slot = match text.get(name)? {
            "alg" => &mut alg,
            "kid" => &mut kid,
            "typ" => &mut typ,
            _ => return None,
        };
        // A repeated name is the full parser's to report.
        slot.replace(Cow::Borrowed(value)).is_none().then_some(())
    })?;
    let alg = alg?;
    let algorithm = Algorithm::parse(&alg).ok()?;
    Some(HeaderRef {
        alg,
        algorithm,
        kid,
        typ,
        rest: None,
    })
}

/// Parses the decoded header strictly and applies the JWS header rules.
pub(crate) fn parse_header<'h>(
    bytes: &'h [u8],
    options: &ParseOptions,
) -> Result<HeaderRef<'h>, JwsError> {
    match parse_plain_header(bytes) {
        Some(header) => Ok(header),
        None => parse_header_full(bytes, options),
    }
}

/// True if `typ` is the media type `short` (e.g. `jwt`), with or without the
/// `application/` prefix, ignoring ASCII case.
pub(crate) fn typ_is(typ: &str, short: &str) -> bool {
    const PREFIX: &str = "application/";
    // The lengths decide most calls; the exact spelling (what issuers
    // write) is one comparison, the case-insensitive one the rest.
    if typ.len() == short.len() {
        return typ == short || typ.eq_ignore_ascii_case(short);
    }
    if typ.len() != PREFIX.len() + short.len() {
        return false;
    }
    match (typ.get(..PREFIX.len()), typ.get(PREFIX.len()..)) {
        (Some(prefix), Some(bare)) => {
            prefix.eq_ignore_ascii_case(PREFIX) && bare.eq_ignore_ascii_case(short)
        }
        _ => false,
    }
}

/// The full strict parser behind [`parse_header`].
pub(crate) fn parse_header_full<'h>(
    bytes: &'h [u8],
    options: &ParseOptions,
) -> Result<HeaderRef<'h>, JwsError> {
    let ctx = Ctx::new();
    let mut raw = RawHeader::default();
    json::parse_object_seed(
        bytes,
        &ctx,
        HeaderSeed {
            ctx: &ctx,
            out: &mut raw,
        },
    )
    .map_err(|error| JwsError::Json {
        part: Part::Header,
        error,
    })?;
    let alg = match raw.alg {
        None => return Err(JwsError::MissingAlgorithm),
        Some(Ok(alg)) => alg,
        Some(Err(WrongType)) => {
            return Err(JwsError::InvalidHeaderMember {
                name: "alg",
                expected: "a string",
            });
        }
    };
    let algorithm = Algorithm::parse(&alg).map_err(JwsError::Algorithm)?;

    let Some(rest) = raw.rest else {
        return Ok(HeaderRef {
            alg,
            algorithm,
            kid: string_member(raw.kid, "kid")?,
            typ: string_member(raw.typ, "typ")?,
            rest: None,
        });
    };
    let rest = *rest;

    match rest.extra.get("b64") {
        None | Some(Value::Bool(true)) => {}
        Some(_) => return Err(JwsError::UnencodedPayload),
    }
    // RFC 7516 §4.1.3: `zip` belongs to JWE; RFC 7515 gives it no meaning in a JWS,
    // and RFC 8725 §3.6 advises against compressing what is protected.
    if rest.extra.contains_key("zip") {
        return Err(JwsError::CompressedPayload);
    }
    let crit = match rest.crit {
        None => None,
        Some(value) => Some(check_crit(value, &rest.extra, options)?),
    };
    let kid = string_member(raw.kid, "kid")?;
    let typ = string_member(raw.typ, "typ")?;
    let cty = string_member(rest.cty, "cty")?;
    // RFC 7519 §5.2: `cty: JWT` (media type, case-insensitive, `application/`
    // optional per RFC 7515 §4.1.10) marks a nested JWT; we verify one signature
    // and read its payload as the claims, so a nested token is refused.
    if cty.as_deref().is_some_and(|cty| typ_is(cty, "jwt")) {
        return Err(JwsError::NestedJwt);
    }
    let jku = string_member(rest.jku, "jku")?;
    let x5u = string_member(rest.x5u, "x5u")?;
    let jwk = match rest.jwk {
        None => None,
        Some(Value::Object(o)) => Some(o),
        Some(_) => {
            return Err(JwsError::InvalidHeaderMember {
                name: "jwk",
                expected: "an object",
            });
        }
    };
    let x5c = match rest.x5c {
        None => None,
        Some(Ok(items)) => Some(items),
        Some(Err(WrongType)) => {
            return Err(JwsError::InvalidHeaderMember {
                name: "x5c",
                expected: "an array of strings",
            });
        }
    };
    Ok(HeaderRef {
        alg,
        algorithm,
        kid,
        typ,
        rest: Some(Box::new(HeaderRest {
            cty,
            crit,
            jku,
            x5u,
            jwk,
            x5c,
            x5t: string_member(rest.x5t, "x5t")?,
            x5t_s256: string_member(rest.x5t_s256, "x5t#S256")?,
            extra: rest.extra,
        })),
    })
}

fn check_crit(
    value: Value,
    rest: &Map<String, Value>,
    options: &ParseOptions,
) -> Result<Vec<String>, JwsError> {
    let Value::Array(items) = value else {
        return Err(JwsError::MalformedCrit {
            reason: "not an array",
        });
    };
    if items.is_empty() {
        return Err(JwsError::MalformedCrit {
            reason: "empty array",
        });
    }
    let mut names: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let Value::String(name) = item else {
            return Err(JwsError::MalformedCrit {
                reason: "contains a non-string",
            });
        };
        if REGISTERED_HEADER_PARAMS.contains(&name.as_str()) {
            return Err(JwsError::MalformedCrit {
                reason: "lists a registered header parameter",
            });
        }
        if names.contains(&name) {
            return Err(JwsError::MalformedCrit {
                reason: "lists a name twice",
            });
        }
        if !rest.contains_key(&name) {
            return Err(JwsError::MalformedCrit {
                reason: "lists a parameter that is not in the header",
            });
        }
        names.push(name);
    }
    // Only a well-formed `crit` is checked for understanding. `b64` is never understood:
    // unencoded payloads are refused above, and a `b64: true` under `crit` is still an
    // RFC 7797 token we don't implement.
    if let Some(name) = names
        .iter()
        .find(|name| *name == "b64" || !options.understood_crit.contains(name))
    {
        return Err(JwsError::UnsupportedCrit {
            name: name.chars().take(64).collect(),
        });
    }
    Ok(names)
}

/// A parsed (not yet verified) JWS whose payload is kept as opaque bytes.
///
/// Same checks as [`Jws::parse`] except that the payload need not be JSON and may be
/// empty — for JWS that are not JWTs. Prefer [`Jws`] for tokens.
///
/// # Example
///
/// ```
/// use auth0_jwt::jws::{ParseOptions, RawJws};
///
/// let raw = RawJws::parse("eyJhbGciOiJIUzI1NiJ9.Zm9v.c2ln", &ParseOptions::default())?;
/// assert_eq!(raw.payload(), b"foo");
/// assert_eq!(raw.signing_input(), b"eyJhbGciOiJIUzI1NiJ9.Zm9v");
/// # Ok::<(), auth0_jwt::jws::JwsError>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct RawJws<'a> {
    token: &'a str,
    /// Byte index of the second `.`: `token[..signing_input_end]` is the signing input.
    signing_input_end: usize,
    header: Header,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

/// The three parts of a compact JWS, checked and decoded into a caller's buffer;
/// the header is parsed, the payload is not.
pub(crate) struct Compact<'t, 'b> {
    token: &'t str,
    /// Byte index of the first `.`: `token[..header_end]` is the header's base64url.
    header_end: usize,
    /// The header came from [`KnownHeaders`] (it was not decoded).
    header_known: bool,
    /// Byte index of the second `.`: `token[..signing_input_end]` is the signing input.
    signing_input_end: usize,
    pub(crate) header: HeaderRef<'b>,
    pub(crate) payload: &'b [u8],
    pub(crate) signature: &'b [u8],
}

impl<'t> Compact<'t, '_> {
    /// The exact received bytes `<base64url header>.<base64url payload>`.
    pub(crate) fn signing_input(&self) -> &'t [u8] {
        signing_input(self.token, self.signing_input_end)
    }

    /// Remembers this token's header in `known` (call it once the signature
    /// verified), unless it came from there.
    pub(crate) fn remember_header(&self, known: &KnownHeaders) {
        if !self.header_known {
            let b64 = self
                .token
                .as_bytes()
                .get(..self.header_end)
                .unwrap_or_default();
            known.remember(b64, &self.header);
        }
    }
}

/// How many distinct headers a [`KnownHeaders`] keeps.
const KNOWN_HEADERS: usize = 8;

/// Longest header (base64url characters) a [`KnownHeaders`] keeps.
const KNOWN_HEADER_MAX: usize = 512;

/// The plain headers (`alg` and optionally `kid`, `typ`: what every Auth0
/// token carries) of tokens whose signature verified, by their exact
/// base64url text. A token whose header text is one of them skips decoding
/// and parsing it (about an eighth of an HS256 validation): the result of
/// parsing the same bytes with the same options is the same.
///
/// An issuer uses one header per signing key, so a validator sees a few.
/// The first [`KNOWN_HEADERS`] are kept for its lifetime (lock-free reads;
/// only verified tokens add one, so no sender can fill it); past them, and
/// for any other header, the header is decoded and parsed as usual.
#[derive(Default)]
pub(crate) struct KnownHeaders {
    slots: [OnceLock<KnownHeader>; KNOWN_HEADERS],
}

struct KnownHeader {
    b64: Box<[u8]>,
    alg: Box<str>,
    algorithm: Algorithm,
    kid: Option<Box<str>>,
    typ: Option<Box<str>>,
}

impl KnownHeaders {
    /// The known header `token` starts with (its base64url text, then the
    /// dot that ends it), and that dot's index. A known header holds no dot,
    /// so the dot is the token's first: the caller needs no search for it.
    fn prefix_of(&self, token: &[u8]) -> Option<(usize, HeaderRef<'_>)> {
        for slot in &self.slots {
            // Slots fill in order: the first empty one ends the search.
            let known = slot.get()?;
            let end = known.b64.len();
            if token.get(end) == Some(&b'.') && token.get(..end) == Some(&*known.b64) {
                return Some((
                    end,
                    HeaderRef {
                        alg: Cow::Borrowed(&known.alg),
                        algorithm: known.algorithm,
                        kid: known.kid.as_deref().map(Cow::Borrowed),
                        typ: known.typ.as_deref().map(Cow::Borrowed),
                        rest: None,
                    },
                ));
            }
        }
        None
    }

    /// Keeps `header` (parsed from `b64`) if it is plain, short, new, and
    /// there is room.
    fn remember(&self, b64: &[u8], header: &HeaderRef<'_>) {
        if header.rest.is_some() || b64.len() > KNOWN_HEADER_MAX {
            return;
        }
        for slot in &self.slots {
            match slot.get() {
                Some(known) if *known.b64 == *b64 => return,
                Some(_) => {}
                None => {
                    // Another thread may fill this slot first: then this
                    // header waits for a later token.
                    let _ = slot.set(KnownHeader {
                        b64: b64.into(),
                        alg: header.alg.as_ref().into(),
                        algorithm: header.algorithm,
                        kid: header.kid.as_deref().map(Into::into),
                        typ: header.typ.as_deref().map(Into::into),
                    });
                    return;
                }
            }
        }
    }

    /// How many headers are kept.
    fn len(&self) -> usize {
        self.slots.iter().take_while(|s| s.get().is_some()).count()
    }
}

impl fmt::Debug for KnownHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KnownHeaders")
            .field("count", &self.len())
            .finish()
    }
}

/// Lengths in base64url characters of common signatures, most common first:
/// RS256/PS256 with a 2048-bit key, ES256/EdDSA/HS512, HS256, 4096- and
/// 3072-bit RSA, ES384, HS384.
const SIGNATURE_LENGTHS: [usize; 7] = [342, 86, 43, 683, 512, 128, 64];

/// Room for a token's decoded parts: a caller's buffer (on the stack, say) when
/// they fit, else a vector.
pub(crate) struct Scratch<'s> {
    fixed: &'s mut [u8],
    grown: Vec<u8>,
}

impl<'s> Scratch<'s> {
    /// Uses `fixed` for tokens that fit in it.
    pub(crate) fn new(fixed: &'s mut [u8]) -> Self {
        Scratch {
            fixed,
            grown: Vec::new(),
        }
    }

    /// Always a vector.
    pub(crate) fn heap() -> Self {
        Self::new(&mut [])
    }

    /// `len` bytes of room (their contents are unspecified).
    fn room(&mut self, len: usize) -> &mut [u8] {
        if let Some(room) = self.fixed.get_mut(..len) {
            return room;
        }
        self.grown.clear();
        self.grown.resize(len, 0);
        &mut self.grown
    }
}

/// Splits `token`, decodes its three parts into `buf` (one region, on the heap
/// only if the caller's fixed buffer is too small) and parses the header. The
/// checks and their order are those of [`RawJws::parse`].
pub(crate) fn parse_compact<'t, 'b>(
    token: &'t str,
    options: &ParseOptions,
    buf: &'b mut Scratch<'_>,
    known: Option<&'b KnownHeaders>,
) -> Result<Compact<'t, 'b>, JwsError> {
    if token.len() > options.max_token_len {
        return Err(JwsError::TooLong {
            len: token.len(),
            max: options.max_token_len,
        });
    }
    let bytes = token.as_bytes();
    let part_count = || JwsError::PartCount {
        found: bytes.iter().filter(|&&b| b == b'.').count() + 1,
    };
    // The first dot ends a known header (found by comparing its text), else
    // it is near the start (`find` uses memchr). The second is found
    // without a scan when the signature has the length of a common signature
    // (RS256 with a 2048-bit key, ES256/EdDSA, HS256, …), else by `rfind`.
    let known_header = known.and_then(|known| known.prefix_of(bytes));
    let first = match &known_header {
        Some((end, _)) => *end,
        None => token.find('.').ok_or_else(part_count)?,
    };
    let guessed = SIGNATURE_LENGTHS.iter().find_map(|&n| {
        let at = token.len().checked_sub(n + 1)?;
        (at > first && bytes.get(at) == Some(&b'.')).then_some(at)
    });
    let second = match guessed.or_else(|| token.rfind('.')) {
        Some(b) if b > first => b,
        _ => return Err(part_count()),
    };
    let header_b64 = bytes.get(..first).unwrap_or_default();
    let payload_b64 = bytes.get(first + 1..second).unwrap_or_default();
    let signature_b64 = bytes.get(second + 1..).unwrap_or_default();
    // Any other dot (more than three parts) is in the payload, or in the signature
    // if the second dot was guessed. Their base64url decoding finds it (a dot is
    // outside the alphabet) without a separate pass, and every error reported
    // before that point looks for one first, so too many parts is always reported
    // as such, whatever else is wrong.
    let parts_first = |e: JwsError| {
        if payload_b64.contains(&b'.') || signature_b64.contains(&b'.') {
            part_count()
        } else {
            e
        }
    };
    // An empty payload is legal JWS (RFC 7515 §7.1); `Jws` refuses it as a JWT.
    for (part, b64) in [(Part::Header, header_b64), (Part::Signature, signature_b64)] {
        if b64.is_empty() {
            return Err(parts_first(JwsError::EmptyPart { part }));
        }
    }

    // One buffer for the three parts, split so that the parsed header can borrow its
    // part while the others are decoded.
    let header_cap = base64url::decoded_len_estimate(header_b64.len());
    let payload_cap = base64url::decoded_len_estimate(payload_b64.len());
    let signature_cap = base64url::decoded_len_estimate(signature_b64.len());
    let buf = buf.room(header_cap + payload_cap + signature_cap);
    let (header_buf, rest) = buf.split_at_mut(header_cap);
    let (payload_buf, signature_buf) = rest.split_at_mut(payload_cap);

    let b64_err = |part| {
        move |e: base64url::Base64Error| {
            parts_first(JwsError::Base64 {
                part,
                reason: e.as_str(),
            })
        }
    };
    // Without a known prefix, the header is no known one (it would have
    // matched): decoded and parsed.
    let header_known = known_header.is_some();
    let header = match known_header {
        Some((_, header)) => header,
        None => {
            let len =
                base64url::decode_slice(header_b64, header_buf).map_err(b64_err(Part::Header))?;
            let header_buf: &'b [u8] = header_buf;
            parse_header(header_buf.get(..len).unwrap_or_default(), options).map_err(parts_first)?
        }
    };

    let len = base64url::decode_slice(payload_b64, payload_buf).map_err(b64_err(Part::Payload))?;
    let payload_buf: &'b [u8] = payload_buf;
    let payload = payload_buf.get(..len).unwrap_or_default();

    let len =
        base64url::decode_slice(signature_b64, signature_buf).map_err(b64_err(Part::Signature))?;
    let signature_buf: &'b [u8] = signature_buf;
    let signature = signature_buf.get(..len).unwrap_or_default();
    if signature.is_empty() {
        // Unreachable for a non-empty strict base64url part; kept as a guard.
        return Err(JwsError::EmptyPart {
            part: Part::Signature,
        });
    }

    Ok(Compact {
        token,
        header_end: first,
        header_known,
        signing_input_end: second,
        header,
        payload,
        signature,
    })
}

/// The payload of a JWT: it must not be empty.
pub(crate) fn non_empty_payload(payload: &[u8]) -> Result<&[u8], JwsError> {
    if payload.is_empty() {
        return Err(JwsError::EmptyPart {
            part: Part::Payload,
        });
    }
    Ok(payload)
}

impl<'a> RawJws<'a> {
    /// Parses and checks the shape of `token` (see the [module docs](self)); the payload
    /// may be any bytes. The signature is decoded but not verified.
    pub fn parse(token: &'a str, options: &ParseOptions) -> Result<Self, JwsError> {
        let mut buf = Scratch::heap();
        let compact = parse_compact(token, options, &mut buf, None)?;
        Ok(RawJws {
            token,
            signing_input_end: compact.signing_input_end,
            payload: compact.payload.to_vec(),
            signature: compact.signature.to_vec(),
            header: compact.header.into_owned(),
        })
    }

    /// The protected header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The parsed `alg` of the header.
    pub fn algorithm(&self) -> Algorithm {
        self.header.algorithm
    }

    /// The decoded payload bytes.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The exact received bytes `<base64url header>.<base64url payload>`.
    pub fn signing_input(&self) -> &'a [u8] {
        signing_input(self.token, self.signing_input_end)
    }

    /// The decoded signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The whole token as received.
    pub fn token(&self) -> &'a str {
        self.token
    }
}

/// Lists claim names, never values (they may be personal data).
struct ClaimNames<'a>(&'a Map<String, Value>);

impl std::fmt::Debug for ClaimNames<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

// `Debug` never prints the token: it is a bearer credential.
impl std::fmt::Debug for RawJws<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawJws")
            .field("header", &self.header)
            .field("payload", &format_args!("<{} bytes>", self.payload.len()))
            .field(
                "signature",
                &format_args!("<{} bytes>", self.signature.len()),
            )
            .field("token", &format_args!("<{} bytes>", self.token.len()))
            .finish()
    }
}

impl std::fmt::Debug for Jws<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jws")
            .field("header", &self.header)
            .field("claims", &ClaimNames(&self.claims))
            .field(
                "signature",
                &format_args!("<{} bytes>", self.signature.len()),
            )
            .field("token", &format_args!("<{} bytes>", self.token.len()))
            .finish()
    }
}

fn signing_input(token: &str, end: usize) -> &[u8] {
    // `end` is the index of an ASCII '.', so this is always in bounds; `get` keeps it
    // panic-free regardless.
    token.as_bytes().get(..end).unwrap_or_default()
}

/// A parsed (not yet verified) JWS in compact serialization whose payload is a JSON
/// object (a JWT), borrowing the token.
///
/// # Example
///
/// ```
/// use auth0_jwt::alg::Algorithm;
/// use auth0_jwt::jws::{Jws, ParseOptions};
///
/// // RFC 7515 Appendix A.1 (HS256). Its header contains CR LF; the signing input is the
/// // received text, never re-encoded JSON.
/// let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9\
///     .eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ\
///     .dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// let jws = Jws::parse(token, &ParseOptions::default())?;
/// assert_eq!(jws.header().alg, "HS256");
/// assert_eq!(jws.algorithm(), Algorithm::HS256);
/// assert_eq!(jws.claims()["iss"], "joe");
/// assert_eq!(jws.signature().len(), 32);
/// assert_eq!(jws.signing_input(), token.rsplit_once('.').unwrap().0.as_bytes());
/// # Ok::<(), auth0_jwt::jws::JwsError>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct Jws<'a> {
    token: &'a str,
    signing_input_end: usize,
    header: Header,
    claims: Map<String, Value>,
    signature: Vec<u8>,
}

impl<'a> Jws<'a> {
    /// Parses and checks the shape of `token` (see the [module docs](self)); the payload
    /// must be a JSON object (strict: duplicate member names rejected at every level).
    /// The signature is decoded but not verified.
    pub fn parse(token: &'a str, options: &ParseOptions) -> Result<Self, JwsError> {
        let mut buf = Scratch::heap();
        let compact = parse_compact(token, options, &mut buf, None)?;
        let payload = non_empty_payload(compact.payload)?;
        let claims = json::parse_object(payload).map_err(|error| JwsError::Json {
            part: Part::Payload,
            error,
        })?;
        Ok(Jws {
            token,
            signing_input_end: compact.signing_input_end,
            signature: compact.signature.to_vec(),
            header: compact.header.into_owned(),
            claims,
        })
    }

    /// The protected header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The `alg` of the header, parsed. Only a hint of which key algorithm to use: the
    /// verifier must still check it against what the key and its configuration allow.
    pub fn algorithm(&self) -> Algorithm {
        self.header.algorithm
    }

    /// The `kid` of the header, if any.
    pub fn kid(&self) -> Option<&str> {
        self.header.kid.as_deref()
    }

    /// The payload, a strictly parsed JSON object.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// Takes the claims out, dropping the rest.
    pub fn into_claims(self) -> Map<String, Value> {
        self.claims
    }

    /// The exact received bytes `<base64url header>.<base64url payload>` — what the
    /// signature covers.
    pub fn signing_input(&self) -> &'a [u8] {
        signing_input(self.token, self.signing_input_end)
    }

    /// The decoded signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The whole token as received.
    pub fn token(&self) -> &'a str {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_header_fast_path_agrees_with_the_full_parser() {
        let o = ParseOptions::default();
        for json in [
            r#"{"alg":"RS256"}"#,
            r#"{"alg":"RS256","typ":"at+jwt","kid":"k-1"}"#,
            r#"{"kid":"","typ":"JWT","alg":"HS256"}"#,
            r#" { "kid" : "" , "alg" : "EdDSA" } "#,
            r#"{"alg":"RS256","kid":"ключ"}"#,
        ] {
            let fast = parse_plain_header(json.as_bytes()).unwrap();
            assert_eq!(
                fast,
                parse_header_full(json.as_bytes(), &o).unwrap(),
                "{json}"
            );
        }
        for json in [
            r#"{"alg":"none"}"#,
            r#"{"alg":"RS256","alg":"HS256"}"#,
            r#"{"alg":"RS256","kid":1}"#,
            r#"{"alg":"RS\u0032\u0035\u0036"}"#,
            r#"{"alg":"RS256","cty":"JWT"}"#,
            r#"{"alg":"RS256","b64":false,"crit":["b64"]}"#,
            r#"{"kid":"k"}"#,
            r#"{"alg":"RS256"} x"#,
        ] {
            assert!(parse_plain_header(json.as_bytes()).is_none(), "{json}");
        }
    }

    fn b64(s: &str) -> String {
        base64url::encode(s.as_bytes())
    }

    /// Parses `t` with `known`, remembers its header as after a verified
    /// signature, and says whether the header came from `known`.
    fn parse_remembering(t: &str, known: &KnownHeaders) -> (Header, bool) {
        let mut buf = Scratch::heap();
        let compact = parse_compact(t, &ParseOptions::default(), &mut buf, Some(known)).unwrap();
        compact.remember_header(known);
        (compact.header.into_owned(), compact.header_known)
    }

    #[test]
    fn known_headers_serve_byte_identical_headers_only() {
        let known = KnownHeaders::default();
        let plain = r#"{"alg":"RS256","typ":"at+jwt","kid":"k-1"}"#;
        let t = token(plain, r#"{"sub":"a"}"#);
        let (first, from_known) = parse_remembering(&t, &known);
        assert!(!from_known);
        assert_eq!(known.len(), 1);
        // The same header text: served from `known`, the same header.
        let other = token(plain, r#"{"sub":"b"}"#);
        let (second, from_known) = parse_remembering(&other, &known);
        assert!(from_known);
        assert_eq!(second, first);
        assert_eq!(known.len(), 1);
        // Another text (one byte differs, or the same JSON spelled another
        // way) is parsed, and kept as a second header.
        for different in [
            r#"{"alg":"RS256","typ":"at+jwt","kid":"k-2"}"#,
            r#"{"alg":"RS256", "typ":"at+jwt","kid":"k-1"}"#,
        ] {
            let t = token(different, r#"{"sub":"a"}"#);
            let (header, from_known) = parse_remembering(&t, &known);
            assert!(!from_known, "{different}");
            assert_eq!(
                header,
                parse_header_full(different.as_bytes(), &ParseOptions::default())
                    .unwrap()
                    .into_owned()
            );
        }
        assert_eq!(known.len(), 3);
        // A header with other members is never kept.
        let t = token(r#"{"alg":"RS256","x5t":"abc"}"#, r#"{"sub":"a"}"#);
        assert!(!parse_remembering(&t, &known).1);
        assert!(!parse_remembering(&t, &known).1);
        assert_eq!(known.len(), 3);
        // Nor an overlong one.
        let long = format!(
            r#"{{"alg":"RS256","kid":"{}"}}"#,
            "k".repeat(KNOWN_HEADER_MAX)
        );
        let t = token(&long, r#"{"sub":"a"}"#);
        assert!(!parse_remembering(&t, &known).1);
        assert!(!parse_remembering(&t, &known).1);
        assert_eq!(known.len(), 3);
        // Bounded: past `KNOWN_HEADERS`, headers are parsed as usual.
        for n in 0..2 * KNOWN_HEADERS {
            let t = token(
                &format!(r#"{{"alg":"ES256","kid":"{n}"}}"#),
                r#"{"sub":"a"}"#,
            );
            let (header, _) = parse_remembering(&t, &known);
            assert_eq!(header.kid.as_deref(), Some(n.to_string().as_str()));
        }
        assert_eq!(known.len(), KNOWN_HEADERS);
        // A known header still comes with a token's own checks: a broken
        // payload or signature is refused as before.
        let broken = format!("{}.!!.c2ln", b64(plain));
        let mut buf = Scratch::heap();
        assert!(matches!(
            parse_compact(&broken, &ParseOptions::default(), &mut buf, Some(&known)),
            Err(JwsError::Base64 {
                part: Part::Payload,
                ..
            })
        ));
        // A header whose text starts with a known one's is another header:
        // decoded and parsed (here: JSON with two bytes after it).
        let longer = format!("{}QUI.{}.c2ln", b64(plain), b64(r#"{"sub":"a"}"#));
        assert_eq!(b64(plain).len() % 4, 0);
        assert!(matches!(
            parse_compact(&longer, &ParseOptions::default(), &mut buf, Some(&known)),
            Err(JwsError::Json {
                part: Part::Header,
                ..
            })
        ));
        let format = format!("{:?}", known);
        assert!(format.contains("count: 8"), "{format}");
    }

    fn token(header: &str, payload: &str) -> String {
        format!("{}.{}.c2ln", b64(header), b64(payload))
    }

    #[test]
    fn parses_minimal() {
        let t = token(
            r#"{"alg":"RS256","kid":"k1","typ":"JWT","x":1}"#,
            r#"{"sub":"a"}"#,
        );
        let jws = Jws::parse(&t, &ParseOptions::default()).unwrap();
        assert_eq!(jws.kid(), Some("k1"));
        assert_eq!(jws.header().typ.as_deref(), Some("JWT"));
        assert_eq!(jws.header().extra["x"], 1);
        assert_eq!(jws.signature(), b"sig");
        assert_eq!(
            jws.signing_input(),
            t.rsplit_once('.').unwrap().0.as_bytes()
        );
    }

    #[test]
    fn part_counts() {
        let opts = ParseOptions::default();
        assert_eq!(
            Jws::parse("abc", &opts),
            Err(JwsError::PartCount { found: 1 })
        );
        assert_eq!(
            Jws::parse("a.b", &opts),
            Err(JwsError::PartCount { found: 2 })
        );
        assert_eq!(
            Jws::parse("a.b.c.d", &opts),
            Err(JwsError::PartCount { found: 4 })
        );
        assert_eq!(
            Jws::parse("a.b.c.d.e", &opts),
            Err(JwsError::PartCount { found: 5 })
        );
        assert_eq!(
            Jws::parse("a.b.", &opts),
            Err(JwsError::EmptyPart {
                part: Part::Signature
            })
        );
    }

    #[test]
    fn debug_hides_token_and_claim_values() {
        let t = token(r#"{"alg":"HS256"}"#, r#"{"email":"someone@example.com"}"#);
        let jws = Jws::parse(&t, &ParseOptions::default()).unwrap();
        let dbg = format!("{jws:?}");
        assert!(dbg.contains("email"), "{dbg}");
        assert!(!dbg.contains("someone"), "{dbg}");
        assert!(!dbg.contains(&t[..20]), "{dbg}");
        let raw = RawJws::parse(&t, &ParseOptions::default()).unwrap();
        assert!(!format!("{raw:?}").contains("someone"));
    }

    #[test]
    fn crit_understood_when_declared() {
        let t = token(r#"{"alg":"HS256","crit":["exp"],"exp":1}"#, "{}");
        assert_eq!(
            Jws::parse(&t, &ParseOptions::default()),
            Err(JwsError::UnsupportedCrit { name: "exp".into() })
        );
        let opts = ParseOptions::default().understand_crit("exp");
        let jws = Jws::parse(&t, &opts).unwrap();
        assert_eq!(jws.header().crit.as_deref(), Some(&["exp".to_string()][..]));
    }
}
