//! Fuzzing harnesses (feature `fuzzing`, not part of the supported API).
//!
//! One function per fuzz target under `fuzz/`: the libFuzzer targets call them
//! with generated inputs, and `tests/fuzz_corpus.rs` replays the checked-in
//! corpus through the same functions on stable. Each asserts real properties —
//! the fast parsers against the full ones, the full ones against an
//! independent reference (`serde_json`, the `base64` crate), round trips — and
//! panics (the fuzzer's "crash") when one does not hold. Bad input itself must
//! never panic: every parser under test returns a typed error for it.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::base64url;
use crate::claims::ParsedClaims;
use crate::der::{self, Reader};
use crate::json::{self, FlatValue, JsonError};
use crate::jwk::{Jwk, JwkError, JwkSet, SkipReason};
use crate::jws::{self, Jws, ParseOptions, RawJws, Scratch};
use crate::key::VerifyingKey;
use crate::pem;

/// Separates the header from the payload in the "parts" form of a
/// [`jws_claims`] input (never part of valid UTF-8, so never inside JSON).
pub const PART_SEPARATOR: u8 = 0xFF;

/// The signature appended to tokens built from parts (its value does not
/// matter: nothing here verifies it).
const SIGNATURE_B64: &str = "c2lnbmF0dXJl";

/// Builds the token a [`jws_claims`] input stands for: after a first byte
/// whose low bit is 0, the rest is the token itself; with the low bit set, the
/// rest is `header JSON 0xFF payload JSON`, each base64url-encoded into a
/// token (so the fuzzer reaches the JSON parsers without having to learn
/// base64url).
pub fn token_of(data: &[u8]) -> Option<String> {
    let (&mode, rest) = data.split_first()?;
    if mode & 1 == 0 {
        return std::str::from_utf8(rest).ok().map(str::to_owned);
    }
    let (header, payload) = match rest.iter().position(|&b| b == PART_SEPARATOR) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &b""[..]),
    };
    let mut token = base64url::encode(header);
    token.push('.');
    base64url::encode_into(payload, &mut token);
    token.push('.');
    token.push_str(SIGNATURE_B64);
    Some(token)
}

/// The input for [`jws_claims`] that builds a token from a header and payload.
pub fn parts_input(header: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = vec![1];
    out.extend_from_slice(header);
    out.push(PART_SEPARATOR);
    out.extend_from_slice(payload);
    out
}

/// Target `jws_claims`: compact JWS parsing and claims, fast path against full
/// path against an independent reference.
///
/// - header: the fast path (`parse_plain_header`, the flat scanner) and the
///   full strict parser agree whenever the fast one accepts;
/// - token: the validators' path (`parse_compact` + one-pass typed claims)
///   accepts exactly the tokens [`Jws::parse`] (map of claims) accepts, and
///   [`RawJws::parse`] agrees with both on the shape; with the token's own
///   header known (as a validator keeps it), it parses to the same parts;
/// - claims: see [`claims`], run on the decoded payload.
pub fn jws_claims(data: &[u8]) {
    let Some(token) = token_of(data) else { return };
    let options = ParseOptions::default();

    let mut scratch = Scratch::heap();
    let compact = jws::parse_compact(&token, &options, &mut scratch, None);
    let raw = RawJws::parse(&token, &options);
    let full = Jws::parse(&token, &options);
    let compact = match compact {
        Err(e) => {
            assert_eq!(raw.err(), Some(e.clone()), "RawJws vs parse_compact");
            assert_eq!(full.err(), Some(e), "Jws vs parse_compact");
            return;
        }
        Ok(compact) => compact,
    };
    let raw = match raw {
        Ok(raw) => raw,
        Err(e) => panic!("parse_compact accepted what RawJws refused: {e}"),
    };
    assert_eq!(raw.payload(), compact.payload);
    assert_eq!(raw.signature(), compact.signature);
    assert_eq!(raw.signing_input(), compact.signing_input());
    assert_eq!(raw.header().alg, compact.header.alg);
    // The signing input is the received text up to the second dot.
    let dots: Vec<usize> = token.match_indices('.').map(|(i, _)| i).collect();
    assert_eq!(dots.len(), 2, "three parts");
    assert_eq!(compact.signing_input(), &token.as_bytes()[..dots[1]]);

    header(&token.as_bytes()[..dots[0]]);

    // A validator's known headers change no verdict: once this token's
    // header is remembered (as after a verified signature), the token parses
    // to the same parts with the header served from them.
    let known = jws::KnownHeaders::default();
    compact.remember_header(&known);
    let mut again_scratch = Scratch::heap();
    match jws::parse_compact(&token, &options, &mut again_scratch, Some(&known)) {
        Ok(again) => {
            assert_eq!(again.header, compact.header, "known header");
            assert_eq!(again.payload, compact.payload);
            assert_eq!(again.signature, compact.signature);
            assert_eq!(again.signing_input(), compact.signing_input());
        }
        Err(e) => panic!("refused with its own header known: {e}"),
    }

    // The validators' payload path against `Jws::parse`'s map.
    let typed = jws::non_empty_payload(compact.payload)
        .map_err(|_| ())
        .and_then(|p| ParsedClaims::parse(p).map_err(|_| ()));
    match (&typed, &full) {
        (Ok(_), Ok(_)) | (Err(()), Err(_)) => {}
        (Ok(_), Err(e)) => panic!("typed claims accepted what Jws refused: {e}"),
        (Err(()), Ok(_)) => panic!("Jws accepted what the typed claims refused"),
    }
    if let Ok(jws) = &full {
        assert_eq!(jws.signature(), compact.signature);
        assert_eq!(jws.header(), raw.header());
    }
    claims(compact.payload);
}

/// The fast header scanner agrees with the full header parser (on the decoded
/// header of a base64url part; anything else is skipped).
fn header(header_b64: &[u8]) {
    let Ok(bytes) = base64url::decode(header_b64) else {
        return;
    };
    let options = ParseOptions::default();
    let full = jws::parse_header_full(&bytes, &options);
    if let Some(fast) = jws::parse_plain_header(&bytes) {
        match full {
            Ok(full) => assert_eq!(fast.into_owned(), full.into_owned(), "header fast/full"),
            Err(e) => panic!("fast header path accepted what the full parser refused: {e}"),
        }
    }
}

/// What a registered claim reads as, for comparing parsers.
#[derive(Debug, PartialEq)]
enum Read<T> {
    Absent,
    Value(T),
    WrongType,
}

fn read<T>(r: Result<Option<T>, crate::claims::ClaimTypeError>) -> Read<T> {
    match r {
        Ok(None) => Read::Absent,
        Ok(Some(v)) => Read::Value(v),
        Err(_) => Read::WrongType,
    }
}

const STRING_CLAIMS: [&str; 8] = [
    "iss", "sub", "nonce", "azp", "org_id", "org_name", "scope", "jti",
];
const DATE_CLAIMS: [&str; 4] = ["exp", "nbf", "iat", "auth_time"];

/// Everything a parse produced, in a comparable form.
#[derive(Debug, PartialEq)]
struct Summary {
    strings: Vec<Read<String>>,
    dates: Vec<Read<i64>>,
    aud: Read<Vec<String>>,
    aud_single: Option<bool>,
    permissions: Read<Vec<String>>,
    map: Map<String, Value>,
    first_wrong: Option<&'static str>,
}

fn summarize(p: &ParsedClaims) -> Summary {
    let strings = STRING_CLAIMS
        .iter()
        .map(|c| read(p.string(c).map(|v| v.map(str::to_owned))))
        .collect();
    let dates = DATE_CLAIMS
        .iter()
        .map(|c| read(p.numeric_date(c)))
        .collect();
    let aud = read(
        p.audience()
            .map(|a| a.map(|a| a.iter().map(str::to_owned).collect::<Vec<_>>())),
    );
    let aud_single = p
        .audience()
        .ok()
        .flatten()
        .map(|a| matches!(a, crate::claims::Audience::Single(_)));
    // In-place reads agree with the built audience.
    if let (Ok(Some(values)), Ok(Some(built))) = (p.audience_values(), p.audience()) {
        let values: Vec<&str> = values.collect();
        assert_eq!(
            values,
            built.iter().collect::<Vec<_>>(),
            "aud in place/built"
        );
        for v in &values {
            assert!(p.claims_ref().aud_contains(v), "aud_contains({v:?})");
        }
    }
    let c = p.claims_ref();
    let permissions = if p.wrong_mask() & (1 << 12) != 0 {
        Read::WrongType
    } else {
        match c.permissions() {
            None => Read::Absent,
            Some(list) => {
                for v in list {
                    assert!(c.has_permission(v), "has_permission({v:?})");
                }
                Read::Value(list.to_vec())
            }
        }
    };
    let first_wrong = match ParsedClaims::clone_for_check(p).into_claims() {
        Ok(_) => None,
        Err(e) => Some(e.claim),
    };
    Summary {
        strings,
        dates,
        aud,
        aud_single,
        permissions,
        map: c.as_map().clone(),
        first_wrong,
    }
}

/// The reference reading of the registered claims, from the strict map.
fn reference(map: &Map<String, Value>) -> Summary {
    let string = |name: &str| match map.get(name) {
        None => Read::Absent,
        Some(Value::String(s)) => Read::Value(s.clone()),
        Some(_) => Read::WrongType,
    };
    let strings_of = |v: &Value| -> Option<Vec<String>> {
        v.as_array()?
            .iter()
            .map(|i| i.as_str().map(str::to_owned))
            .collect()
    };
    // RFC 7519 §2 NumericDate, restricted to integers (see `claims::numeric_date`).
    let date = |name: &str| match map.get(name) {
        None => Read::Absent,
        Some(Value::Number(n)) if !n.is_f64() => match n.as_i64() {
            Some(i) => Read::Value(i),
            None => Read::WrongType,
        },
        Some(_) => Read::WrongType,
    };
    let aud = match map.get("aud") {
        None => Read::Absent,
        Some(Value::String(s)) => Read::Value(vec![s.clone()]),
        Some(v) => strings_of(v).map_or(Read::WrongType, Read::Value),
    };
    let aud_single = match map.get("aud") {
        Some(Value::String(_)) => Some(true),
        Some(v) if strings_of(v).is_some() => Some(false),
        _ => None,
    };
    let permissions = match map.get("permissions") {
        None => Read::Absent,
        Some(v) => strings_of(v).map_or(Read::WrongType, Read::Value),
    };
    // The order validators report type errors in.
    let order = [
        "iss",
        "sub",
        "aud",
        "exp",
        "nbf",
        "iat",
        "auth_time",
        "nonce",
        "azp",
        "org_id",
        "org_name",
        "scope",
        "permissions",
        "jti",
    ];
    let wrong = |name: &str| match name {
        "aud" => aud == Read::WrongType,
        "permissions" => permissions == Read::WrongType,
        n if DATE_CLAIMS.contains(&n) => date(n) == Read::WrongType,
        n => string(n) == Read::WrongType,
    };
    let first_wrong = order.into_iter().find(|n| wrong(n));
    Summary {
        strings: STRING_CLAIMS.iter().map(|c| string(c)).collect(),
        dates: DATE_CLAIMS.iter().map(|c| date(c)).collect(),
        aud,
        aud_single,
        permissions,
        map: map.clone(),
        first_wrong,
    }
}

/// Target `claims` (run by [`jws_claims`] on every payload): the one-pass typed
/// claim parser's fast path (flat scan) and full path (serde visitor) accept
/// the same texts as the strict map parser, and read every registered claim as
/// the map says it is (including the integer-only NumericDate rule).
pub fn claims(payload: &[u8]) {
    let map = json::parse_object(payload);
    let parsed = ParsedClaims::parse(payload);
    let Ok(text) = std::str::from_utf8(payload) else {
        assert!(parsed.is_err() && map.is_err(), "invalid UTF-8 accepted");
        return;
    };
    let full = ParsedClaims::parse_full(text);
    match (&map, &full) {
        (Ok(_), Ok(_)) => {}
        (Err(a), Err(b)) => assert_eq!(a, b, "claims vs map error"),
        (Ok(_), Err(e)) => panic!("typed claims refused what the map accepted: {e}"),
        (Err(e), Ok(_)) => panic!("typed claims accepted what the map refused: {e}"),
    }
    let fast = ParsedClaims::parse_flat(text);
    match (&parsed, &full) {
        (Ok(p), Ok(f)) => assert_eq!(summarize(p), summarize(f), "parse vs parse_full"),
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("parse and parse_full disagree"),
    }
    let (Ok(map), Ok(full)) = (map, full) else {
        assert!(
            fast.is_none(),
            "fast path accepted what the full parser refused"
        );
        return;
    };
    let expected = reference(&map);
    assert_eq!(summarize(&full), expected, "full path vs reference");
    if let Some(fast) = fast {
        assert_eq!(
            fast.wrong_mask(),
            0,
            "the fast path never records a wrong type"
        );
        assert_eq!(summarize(&fast), expected, "fast path vs reference");
    }
    // The public entry point agrees.
    let public = crate::claims::Claims::from_json(text);
    assert_eq!(public.is_ok(), expected.first_wrong.is_none());
}

/// Walks a JSON document keeping every member, so duplicates can be counted
/// independently of `json.rs` (serde_json's own `Value` keeps the last one).
enum Doc {
    Scalar,
    Array(Vec<Doc>),
    Object(Vec<(String, Doc)>),
}

impl<'de> Deserialize<'de> for Doc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Doc;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Doc, E> {
                Ok(Doc::Scalar)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Doc, E> {
                Ok(Doc::Scalar)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Doc, E> {
                Ok(Doc::Scalar)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Doc, E> {
                Ok(Doc::Scalar)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Doc, E> {
                Ok(Doc::Scalar)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Doc, E> {
                Ok(Doc::Scalar)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Doc, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element()? {
                    out.push(v);
                }
                Ok(Doc::Array(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Doc>()? {
                    out.push((k, v));
                }
                Ok(Doc::Object(out))
            }
        }
        d.deserialize_any(V)
    }
}

impl Doc {
    /// Nesting depth of containers (a scalar is 0, `{}` is 1).
    fn depth(&self) -> usize {
        match self {
            Doc::Scalar => 0,
            Doc::Array(items) => 1 + items.iter().map(Doc::depth).max().unwrap_or(0),
            Doc::Object(members) => 1 + members.iter().map(|(_, v)| v.depth()).max().unwrap_or(0),
        }
    }

    fn has_duplicates(&self) -> bool {
        match self {
            Doc::Scalar => false,
            Doc::Array(items) => items.iter().any(Doc::has_duplicates),
            Doc::Object(members) => {
                let mut names = BTreeMap::new();
                members
                    .iter()
                    .any(|(k, v)| names.insert(k.as_str(), ()).is_some() || v.has_duplicates())
            }
        }
    }
}

/// Target `json`: strict JSON with duplicate-member detection.
///
/// - `json::parse_object` accepts exactly the documents `serde_json` accepts
///   that are objects, repeat no member name at any level (compared after
///   unescaping, by an independent walk) and nest at most
///   `json::MAX_DEPTH` deep, and then yields the same map;
/// - each refusal is the right typed error;
/// - the fast flat scanner (`json::scan_flat`) accepts only documents the
///   full parser accepts (or refuses as duplicates when a name repeats), and
///   reads every member value as the full parser does.
pub fn json(data: &[u8]) {
    let ours = json::parse_object(data);
    let reference = serde_json::from_slice::<Doc>(data);
    match (&ours, &reference) {
        (Ok(map), Ok(doc)) => {
            assert!(matches!(doc, Doc::Object(_)), "accepted a non-object");
            assert!(!doc.has_duplicates(), "accepted a duplicate member");
            assert!(doc.depth() <= json::MAX_DEPTH, "accepted too deep");
            let plain: Value = match serde_json::from_slice(data) {
                Ok(v) => v,
                Err(e) => panic!("serde_json refused a document twice-parsed: {e}"),
            };
            assert_eq!(&Value::Object(map.clone()), &plain, "values differ");
        }
        (Ok(_), Err(e)) => panic!("accepted what serde_json refused: {e}"),
        (Err(JsonError::Syntax { .. }), Ok(_)) => panic!("valid JSON reported as a syntax error"),
        (Err(JsonError::NotAnObject), Ok(doc)) => {
            assert!(!matches!(doc, Doc::Object(_)), "object reported as not one");
        }
        (Err(JsonError::NotAnObject), Err(e)) => panic!("invalid JSON reported as valid: {e}"),
        (Err(JsonError::DuplicateMember { .. }), Ok(doc)) => {
            assert!(doc.has_duplicates(), "duplicate reported, none found");
        }
        (Err(JsonError::TooDeep { .. }), Ok(doc)) => {
            assert!(
                doc.depth() > json::MAX_DEPTH,
                "too deep reported, it is not"
            );
        }
        (Err(JsonError::Syntax { .. }), Err(_)) => {}
        // A duplicate or the depth limit found before a later syntax error (or
        // before serde_json's own recursion limit).
        (Err(JsonError::DuplicateMember { .. } | JsonError::TooDeep { .. }), Err(_)) => {}
    }
    // Any value, not only objects.
    match (json::parse_value(data), serde_json::from_slice::<Doc>(data)) {
        (Ok(v), Ok(doc)) => {
            assert!(!doc.has_duplicates() && doc.depth() <= json::MAX_DEPTH);
            let plain: Value = serde_json::from_slice(data).unwrap_or(Value::Null);
            assert_eq!(v, plain);
        }
        (Ok(_), Err(e)) => panic!("parse_value accepted what serde_json refused: {e}"),
        (Err(_), Ok(doc)) => assert!(doc.has_duplicates() || doc.depth() > json::MAX_DEPTH),
        (Err(_), Err(_)) => {}
    }

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut members: Vec<(String, FlatValue)> = Vec::new();
    let scanned = json::scan_flat(text, |name, value| {
        members.push((text.get(name)?.to_owned(), value));
        Some(())
    });
    if scanned.is_none() {
        return;
    }
    let mut names = BTreeMap::new();
    let duplicated = members
        .iter()
        .any(|(n, _)| names.insert(n.as_str(), ()).is_some());
    let map = match ours {
        Ok(map) => {
            assert!(!duplicated, "scan saw a duplicate the parser accepted");
            map
        }
        Err(JsonError::DuplicateMember { .. }) if duplicated => return,
        Err(e) => panic!("flat scan accepted what the parser refused: {e}"),
    };
    assert_eq!(members.len(), map.len());
    for (name, value) in members {
        let Some(expected) = map.get(&name) else {
            panic!("flat scan read a name the parser did not: {name:?}");
        };
        match value {
            FlatValue::Str(r) => {
                assert_eq!(Some(expected), text.get(r).map(Value::from).as_ref());
            }
            FlatValue::Int(n) => assert_eq!(expected.as_u64(), Some(n), "{name}"),
            FlatValue::Bool(b) => assert_eq!(expected.as_bool(), Some(b), "{name}"),
            FlatValue::Null => assert!(expected.is_null(), "{name}"),
            FlatValue::StrArray(r) => {
                let Some(array) = text.get(r) else {
                    panic!("array range off a char boundary")
                };
                let items: Vec<Value> = json::flat_items(array).map(Value::from).collect();
                assert_eq!(Some(&items), expected.as_array(), "{name}");
                for item in &items {
                    let item = item.as_str().unwrap_or_default();
                    assert!(json::flat_contains(array, item), "flat_contains {item:?}");
                    let other = format!("{item}\u{1}");
                    assert!(
                        !json::flat_contains(array, &other),
                        "flat_contains {other:?}"
                    );
                }
            }
        }
    }
}

/// Target `base64url`: the hand-written strict decoder against the `base64`
/// crate's `URL_SAFE_NO_PAD` (no padding, canonical trailing bits): same
/// verdict and bytes for every input; decoding into a non-empty buffer keeps
/// its prefix; accepted input is exactly the canonical encoding of its bytes;
/// and any bytes round-trip through encode and decode.
pub fn base64url(data: &[u8]) {
    let reference = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let ours = base64url::decode(data);
    match (&ours, reference.decode(data)) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, &b, "decoded bytes differ");
            assert_eq!(base64url::encode(a).as_bytes(), data, "not canonical");
            assert!(a.len() <= base64url::decoded_len_estimate(data.len()));
        }
        (Err(e), Err(_)) => {
            if *e == base64url::Base64Error::InvalidLength {
                assert_eq!(data.len() % 4, 1, "InvalidLength for a possible length");
            }
        }
        (Ok(_), Err(e)) => panic!("accepted what the base64 crate refused: {e}"),
        (Err(e), Ok(_)) => panic!("refused what the base64 crate accepted: {e:?}"),
    }
    let mut out = b"prefix".to_vec();
    let appended = base64url::decode_into(data, &mut out);
    assert_eq!(appended.is_ok(), ours.is_ok());
    match &ours {
        Ok(bytes) => assert_eq!(&out[6..], bytes.as_slice()),
        Err(_) => assert_eq!(out, b"prefix"),
    }
    let encoded = reference.encode(data);
    assert_eq!(base64url::encode(data), encoded);
    assert_eq!(
        base64url::decode(encoded.as_bytes()).as_deref(),
        Ok(data),
        "round trip"
    );
}

/// Target `jwk`: JWK and JWK set parsing.
///
/// Where the strict JSON accepts the document, a set parses exactly when it
/// is an object with a `keys` array, and no entry is skipped for its JSON
/// (a repeated name or depth). A set parsed from a document the strict JSON
/// refuses was refused for a repeated name or depth (inside an entry, which
/// is skipped); a document refused as invalid JSON or not an object refuses
/// the set with that same error. Every entry is either kept or skipped (each
/// index once; counted by `serde_json`, which keeps the last duplicate,
/// when it can read the document); kept keys have distinct `kid`s, rebuild
/// the same verifying key (same fingerprint) from their JWK, survive a
/// serialize/parse round trip, and a set rebuilt from them keeps them all.
/// A secret (`k`) never shows in `Debug`.
pub fn jwk(data: &[u8]) {
    let set = JwkSet::from_json(data);
    let doc = json::parse_object(data);
    let json_fault = |set: &JwkSet| {
        set.skipped().iter().any(|s| {
            matches!(
                s.reason,
                SkipReason::Malformed(JwkError::Json(
                    JsonError::DuplicateMember { .. } | JsonError::TooDeep { .. }
                ))
            )
        })
    };
    let count = match (&set, &doc) {
        (Ok(set), Ok(doc)) => {
            assert!(
                !json_fault(set),
                "an entry skipped for JSON the document passed"
            );
            match doc.get("keys") {
                Some(Value::Array(keys)) => Some(keys.len()),
                _ => panic!("set parsed without a keys array"),
            }
        }
        (Ok(set), Err(JsonError::DuplicateMember { .. } | JsonError::TooDeep { .. })) => {
            assert!(
                !set.skipped().is_empty(),
                "an entry's fault skipped nothing"
            );
            match serde_json::from_slice::<Value>(data) {
                Ok(Value::Object(doc)) => match doc.get("keys") {
                    Some(Value::Array(keys)) => Some(keys.len()),
                    _ => panic!("set parsed without a keys array"),
                },
                Ok(_) => panic!("set parsed from a document that is not an object"),
                // Nested past serde_json's own recursion limit.
                Err(_) => None,
            }
        }
        (Ok(_), Err(e)) => panic!("set parsed from refused JSON: {e}"),
        (Err(_), Ok(doc)) => {
            assert!(!matches!(doc.get("keys"), Some(Value::Array(_))));
            None
        }
        (Err(e), Err(doc @ (JsonError::Syntax { .. } | JsonError::NotAnObject))) => {
            assert_eq!(e, &JwkError::Json(doc.clone()), "the document's own error");
            None
        }
        (Err(_), Err(_)) => None,
    };
    if let Ok(set) = &set {
        check_set(set, count);
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(one) = Jwk::from_json(text)
    {
        round_trip_jwk(&one);
        if let Ok(key) = VerifyingKey::from_jwk(&one) {
            assert_eq!(key.kid(), one.kid.as_deref());
        }
    }
}

fn check_set(set: &JwkSet, count: Option<usize>) {
    assert_eq!(set.keys().len(), set.verifying_keys().len());
    let total = set.keys().len() + set.skipped().len();
    if let Some(count) = count {
        assert_eq!(total, count, "entries lost");
    }
    let mut skipped: Vec<usize> = set.skipped().iter().map(|s| s.index).collect();
    skipped.dedup();
    assert_eq!(skipped.len(), set.skipped().len(), "skipped twice");
    assert!(skipped.iter().all(|&i| i < total));
    let mut kids = BTreeMap::new();
    for (jwk, key) in set.keys().iter().zip(set.verifying_keys()) {
        if let Some(kid) = &jwk.kid {
            assert!(kids.insert(kid.clone(), ()).is_none(), "duplicate kid kept");
        }
        assert_eq!(key.kid(), jwk.kid.as_deref());
        match VerifyingKey::from_jwk(jwk) {
            Ok(again) => assert_eq!(again.fingerprint(), key.fingerprint()),
            Err(e) => panic!("a kept JWK does not build again: {e}"),
        }
        round_trip_jwk(jwk);
    }
    let again = JwkSet::from_jwks(set.keys().iter().cloned());
    let fingerprints = |s: &JwkSet| {
        s.verifying_keys()
            .iter()
            .map(|k| k.fingerprint())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        fingerprints(&again),
        fingerprints(set),
        "rebuilt set differs"
    );
    // No secret in `Debug`, unless the same text is also public in the
    // document (a `kid` or `kty` may contain it: that is not a leak).
    let debug = format!("{set:?}");
    let mut public = format!("{:?}", set.skipped());
    for jwk in set.keys() {
        let mut without = jwk.clone();
        without.k = None;
        public.push_str(&format!("{without:?}"));
    }
    for jwk in set.keys() {
        if let Some(k) = jwk.k.as_deref().filter(|k| k.len() >= 8)
            && !public.contains(k)
        {
            assert!(!debug.contains(k), "secret in Debug");
            assert!(!format!("{jwk:?}").contains(k), "secret in a JWK's Debug");
        }
    }
}

fn round_trip_jwk(jwk: &Jwk) {
    let text = match serde_json::to_string(jwk) {
        Ok(text) => text,
        Err(e) => panic!("a JWK does not serialize: {e}"),
    };
    match Jwk::from_json(&text) {
        Ok(again) => assert!(&again == jwk, "JWK round trip differs"),
        Err(e) => panic!("a serialized JWK does not parse: {e}"),
    }
}

/// Target `pem_der`: PEM and DER public keys.
///
/// The input is tried as PEM text, as SubjectPublicKeyInfo DER and as PKCS#1
/// DER. A key read from PEM is the key read from its decoded DER; DER that
/// gives a key gives the same key wrapped in PEM; every DER element the reader
/// accepts re-encodes (tag, minimal length, content) to exactly the bytes it
/// consumed.
pub fn pem_der(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let block = pem::decode(text);
        if let Ok(key) = VerifyingKey::from_pem(text) {
            let Ok(block) = &block else {
                panic!("key read from PEM that does not decode")
            };
            let again = match block.label.as_str() {
                "PUBLIC KEY" => VerifyingKey::from_spki_der(&block.der),
                "RSA PUBLIC KEY" => VerifyingKey::from_pkcs1_der(&block.der),
                other => panic!("key read from a {other:?} block"),
            };
            match again {
                Ok(again) => assert_eq!(again.fingerprint(), key.fingerprint()),
                Err(e) => panic!("PEM key whose DER is refused: {e}"),
            }
        }
        if let Ok(block) = block {
            // The decoded DER re-encodes to a block that decodes to it again.
            let wrapped = to_pem(&block.label, &block.der);
            match pem::decode(&wrapped) {
                Ok(again) => {
                    assert_eq!(again.der, block.der);
                    assert_eq!(again.label, block.label);
                }
                Err(e) => panic!("re-wrapped PEM refused: {}", e.as_str()),
            }
        }
    }
    for (label, key) in [
        ("PUBLIC KEY", VerifyingKey::from_spki_der(data)),
        ("RSA PUBLIC KEY", VerifyingKey::from_pkcs1_der(data)),
    ] {
        if let Ok(key) = key {
            match VerifyingKey::from_pem(&to_pem(label, data)) {
                Ok(again) => assert_eq!(again.fingerprint(), key.fingerprint()),
                Err(e) => panic!("DER key refused as PEM: {e}"),
            }
        }
    }
    der_elements(data);
}

fn to_pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Every element the DER reader accepts, at every level it can descend to,
/// re-encodes to the bytes it consumed.
fn der_elements(data: &[u8]) {
    let mut queue: Vec<&[u8]> = vec![data];
    let mut budget = 256;
    while let Some(bytes) = queue.pop() {
        let mut reader = Reader::new(bytes);
        let mut rest = bytes;
        while let Some(&tag) = rest.first() {
            budget -= 1;
            if budget == 0 {
                return;
            }
            let Ok(content) = reader.read(tag) else { break };
            let encoded = der_encode(tag, content);
            assert!(rest.starts_with(&encoded), "DER element does not re-encode");
            rest = &rest[encoded.len()..];
            assert_eq!(reader.is_empty(), rest.is_empty());
            if tag == der::TAG_SEQUENCE {
                queue.push(content);
            }
            // The typed readers agree with the raw one.
            let mut typed = Reader::new(&encoded);
            match tag {
                der::TAG_INTEGER => {
                    if let Ok(magnitude) = typed.positive_integer() {
                        assert!(content.ends_with(magnitude));
                        assert!(content.first().is_some_and(|b| b & 0x80 == 0));
                    }
                }
                der::TAG_BIT_STRING => {
                    if let Ok(bytes) = typed.bit_string_bytes() {
                        assert_eq!(content.first(), Some(&0));
                        assert_eq!(&content[1..], bytes);
                    }
                }
                der::TAG_NULL => assert_eq!(typed.null().is_ok(), content.is_empty()),
                _ => {}
            }
        }
        if rest.is_empty() {
            assert!(reader.finish().is_ok());
        }
    }
}

/// DER tag-length-value with the minimal length encoding (X.690 §10.1).
fn der_encode(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// The DPoP `htu` comparison's normalization (RFC 9449 §4.3 check 9; RFC 3986
/// §6.2.2, §6.2.3), over any text. Properties:
/// - a query or fragment never matters: the input with `?…#…` appended
///   normalizes to the same answer, error included;
/// - an accepted URI normalizes to an absolute `http`/`https` URI of visible
///   ASCII without query or fragment, that normalizes to itself (so the
///   comparison is an equivalence: normalizing either side again changes
///   nothing);
/// - the forms RFC 3986 calls equivalent normalize alike: the normalized
///   URI with its scheme or host in upper case, with the default port (or an
///   empty one) written out, with its path's unreserved characters
///   percent-encoded (lower-case hex), or with `.`/`x/..` segments put in;
/// - what the RFCs keep distinct stays distinct: a path letter in the other
///   case, or another port.
pub fn htu(data: &[u8]) {
    use crate::dpop::htu::normalize;
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let answer = normalize(text);
    assert_eq!(
        normalize(&format!("{text}?q=1#f")),
        answer,
        "query or fragment"
    );
    let Ok(n) = answer else {
        return;
    };
    assert!(n.bytes().all(|b| b.is_ascii_graphic()), "{n:?}");
    assert!(!n.contains(['?', '#']), "{n:?}");
    let Some((scheme, rest)) = n.split_once("://") else {
        panic!("not an absolute URI: {n:?}");
    };
    let default_port = match scheme {
        "https" => "443",
        "http" => "80",
        _ => panic!("scheme {scheme:?} in {n:?}"),
    };
    let Some(slash) = rest.find('/') else {
        panic!("no path: {n:?}");
    };
    let (authority, path) = rest.split_at(slash);
    assert_eq!(normalize(&n).as_deref(), Ok(n.as_str()), "idempotent");

    let same = |variant: String, what: &str| {
        assert_eq!(
            normalize(&variant).as_deref(),
            Ok(n.as_str()),
            "{what}: {variant:?}"
        );
    };
    same(
        format!("{}://{authority}{path}", scheme.to_ascii_uppercase()),
        "scheme case",
    );
    same(
        format!("{scheme}://{}{path}", authority.to_ascii_uppercase()),
        "host case",
    );
    // A port is written after the host (or after an IPv6 literal's `]`).
    let has_port = match authority.rfind(']') {
        Some(close) => authority[close..].contains(':'),
        None => authority.contains(':'),
    };
    if !has_port {
        same(
            format!("{scheme}://{authority}:{default_port}{path}"),
            "default port",
        );
        same(format!("{scheme}://{authority}:{path}"), "empty port");
        let other = if default_port == "443" {
            "8443"
        } else {
            "8080"
        };
        assert_ne!(
            normalize(&format!("{scheme}://{authority}:{other}{path}")).as_deref(),
            Ok(n.as_str()),
            "another port"
        );
    }
    // The path's characters outside its percent-escapes (`%` and two hex
    // digits: the normalized path has no other `%`).
    let bytes = path.as_bytes();
    let plain = |i: usize| {
        bytes[i] != b'%' && !(i >= 1 && bytes[i - 1] == b'%') && !(i >= 2 && bytes[i - 2] == b'%')
    };
    let mut encoded = String::new();
    for (i, &b) in bytes.iter().enumerate() {
        if plain(i) && (b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')) {
            encoded.push_str(&format!("%{b:02x}"));
        } else {
            encoded.push(char::from(b));
        }
    }
    same(
        format!("{scheme}://{authority}{encoded}"),
        "unreserved escapes",
    );
    same(format!("{scheme}://{authority}/.{path}"), "a `.` segment");
    same(
        format!("{scheme}://{authority}/x/..{path}"),
        "an `x/..` pair",
    );
    // A letter outside a percent-escape, in the other case: another resource.
    let letter = (0..bytes.len()).find(|&i| plain(i) && bytes[i].is_ascii_alphabetic());
    if let Some(i) = letter {
        // ASCII letters only: the text stays ASCII.
        let flipped: String = bytes
            .iter()
            .enumerate()
            .map(|(k, &b)| char::from(if k == i { b ^ 0x20 } else { b }))
            .collect();
        assert_ne!(
            normalize(&format!("{scheme}://{authority}{flipped}")).as_deref(),
            Ok(n.as_str()),
            "path case: {flipped:?}"
        );
    }
}

/// Polls `future` once: the harnesses' validations have what they need at
/// hand (static keys, memory replay stores), so waiting is a failure.
fn poll_now<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("waited with everything at hand"),
    }
}

/// A string member of a JSON object, read independently of the crate.
fn text_member(map: &Map<String, Value>, name: &str) -> Option<String> {
    map.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// A token the [`dpop`] and [`logout`] targets build from their input and
/// sign: the header and payload as signed, and whether the fuzzer changed
/// nothing (two empty objects).
struct Built {
    token: String,
    header: Map<String, Value>,
    payload: Vec<u8>,
    plain: bool,
}

/// Builds the token an input stands for: `mode`, a JSON object for the
/// header, [`PART_SEPARATOR`], the payload. The fuzzer's header members are
/// added to `header` (mode bit 0 clear) or put over its members (bit 0
/// set); the payload is the fuzzer's bytes as they are (bit 1 set) or its
/// object's members put over `claims`. `None` when the input is not of that
/// form.
fn build_signed(
    data: &[u8],
    mut header: Map<String, Value>,
    mut claims: Map<String, Value>,
    key: &crate::sign::SigningKey,
) -> Option<Built> {
    let (&mode, rest) = data.split_first()?;
    let (header_extra, payload_extra) = match rest.iter().position(|&b| b == PART_SEPARATOR) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &b"{}"[..]),
    };
    let Ok(Value::Object(header_extra)) = serde_json::from_slice::<Value>(header_extra) else {
        return None;
    };
    let mut plain = header_extra.is_empty() && mode & 2 == 0;
    for (name, value) in header_extra {
        if mode & 1 == 1 || !header.contains_key(&name) {
            header.insert(name, value);
        }
    }
    let payload = if mode & 2 == 2 {
        payload_extra.to_vec()
    } else {
        let Ok(Value::Object(extra)) = serde_json::from_slice::<Value>(payload_extra) else {
            return None;
        };
        plain = plain && extra.is_empty();
        claims.extend(extra);
        serde_json::to_vec(&claims).ok()?
    };
    let mut token = base64url::encode(&serde_json::to_vec(&header).ok()?);
    token.push('.');
    base64url::encode_into(&payload, &mut token);
    let Ok(signature) = key.sign(token.as_bytes()) else {
        panic!("signing a token");
    };
    token.push('.');
    base64url::encode_into(&signature, &mut token);
    Some(Built {
        token,
        header,
        payload,
        plain,
    })
}

/// The claim set of an accepted token, read twice independently: by the
/// strict parser (no duplicate member) and by `serde_json`, which must agree.
fn accepted_claims(payload: &[u8]) -> Map<String, Value> {
    let Ok(claims) = json::parse_object(payload) else {
        panic!("accepted a claim set the strict parser refuses");
    };
    let Ok(Value::Object(read)) = serde_json::from_slice::<Value>(payload) else {
        panic!("accepted a claim set serde_json refuses");
    };
    assert_eq!(claims, read, "strict and serde_json read different claims");
    read
}

/// The HMAC secret of the [`gateway`] target's validator.
const GATEWAY_SECRET: &[u8] = b"gateway-fuzz-secret-gateway-fuzz-secret!";

/// Target `gateway`: the tower layer in front of an API
/// ([`BearerAuthLayer`](crate::layer::BearerAuthLayer) over an HS256
/// [`AccessTokenValidator`](crate::AccessTokenValidator) with a static key),
/// with an `Authorization` header from the input: after a first byte whose
/// low two bits are 0, the rest is the header value as is; otherwise the
/// rest is a token as [`token_of`] builds it, signed with the validator's
/// key (so the claim checks run on what the fuzzer wrote), after `Bearer `,
/// `bearer ` or `BEARER   `. Properties:
/// - the call completes at once (the key is at hand: nothing to wait for)
///   and never panics;
/// - the API is reached only with a token the validator accepts, in RFC
///   6750's `b64token` syntax, and that a validator without a cache accepts
///   with the same claims (the layer's cache lives across inputs);
/// - a refusal is 400, 401 or 403 (RFC 6750 §3.1) with a `WWW-Authenticate`
///   header whose every value is a well-formed challenge list (RFC 9110
///   §11.3: a scheme, then `token=token` or `token="quoted"` parameters;
///   RFC 6750 §3: `error_description` and `error` without `"` or `\`), a 401
///   always with one;
/// - no challenge echoes the token, or a dot-separated part of it of 12
///   characters or more.
pub fn gateway(data: &[u8]) {
    use std::convert::Infallible;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, OnceLock};
    use std::task::{Context, Poll, Waker};

    use http::header::{AUTHORIZATION, HeaderValue, WWW_AUTHENTICATE};
    use http::{Request, Response, StatusCode};
    use tower_layer::Layer;
    use tower_service::Service;

    use crate::layer::BearerAuthLayer;
    use crate::sign::SigningKey;
    use crate::{AccessTokenValidator, Algorithm, StaticKeys};

    /// The API behind the layer: notes that it was reached.
    #[derive(Clone)]
    struct Api(Arc<AtomicBool>);
    impl Service<Request<()>> for Api {
        type Response = Response<String>;
        type Error = Infallible;
        type Future = std::future::Ready<Result<Response<String>, Infallible>>;
        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }
        fn call(&mut self, _: Request<()>) -> Self::Future {
            self.0.store(true, Ordering::SeqCst);
            std::future::ready(Ok(Response::new(String::new())))
        }
    }

    /// The layer's validator (its verified-token cache on, as by default,
    /// and kept across inputs), the same without a cache, and the signer.
    type Setup = (Arc<AccessTokenValidator>, AccessTokenValidator, SigningKey);
    static SETUP: OnceLock<Setup> = OnceLock::new();
    let (validator, uncached, signer) = SETUP.get_or_init(|| {
        let validator = |cache: bool| {
            let Ok(key) = VerifyingKey::hmac(GATEWAY_SECRET) else {
                panic!("the HMAC key");
            };
            let builder = AccessTokenValidator::builder()
                .key_source(StaticKeys::from_key(key))
                .algorithms([Algorithm::HS256])
                .issuer("https://tenant.example/")
                .audience("https://api.example/");
            let builder = if cache { builder } else { builder.no_cache() };
            let Ok(validator) = builder.build() else {
                panic!("the validator");
            };
            validator
        };
        let Ok(signer) = SigningKey::hmac(Algorithm::HS256, GATEWAY_SECRET) else {
            panic!("the signing key");
        };
        (Arc::new(validator(true)), validator(false), signer)
    });

    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (header, token) = match mode % 4 {
        0 => (rest.to_vec(), None),
        m => {
            let Some(token) = token_of(rest) else {
                return;
            };
            let input = token.rsplit_once('.').map_or("", |(input, _)| input);
            let Ok(signature) = signer.sign(input.as_bytes()) else {
                return;
            };
            let token = format!("{input}.{}", base64url::encode(&signature));
            let scheme = ["Bearer ", "bearer ", "BEARER   "][usize::from(m - 1)];
            (format!("{scheme}{token}").into_bytes(), Some(token))
        }
    };
    let Ok(value) = HeaderValue::from_bytes(&header) else {
        return;
    };
    // What a challenge must not echo: the text after the scheme.
    let token = token.or_else(|| {
        let text = std::str::from_utf8(&header).ok()?;
        Some(text.split_once(' ')?.1.trim().to_owned())
    });

    let reached = Arc::new(AtomicBool::new(false));
    let mut service =
        BearerAuthLayer::from_arc(Arc::clone(validator)).layer(Api(Arc::clone(&reached)));
    let mut request = Request::new(());
    *request.uri_mut() = http::Uri::from_static("https://api.example/orders");
    request.headers_mut().insert(AUTHORIZATION, value);
    let mut cx = Context::from_waker(Waker::noop());
    assert!(service.poll_ready(&mut cx).is_ready());
    let Ok(response) = poll_now(service.call(request));

    if reached.load(Ordering::SeqCst) {
        assert_eq!(response.status(), StatusCode::OK);
        let Some(token) = &token else {
            panic!("the API was reached without a token");
        };
        assert!(is_b64token(token), "reached with {token:?}");
        let Ok(claims) = poll_now(validator.validate(token)) else {
            panic!("reached with a refused token");
        };
        // A cached answer is the answer of a full validation of this very
        // token, never another token's.
        let Ok(fresh) = poll_now(uncached.validate(token)) else {
            panic!("reached with a token a validator without a cache refuses");
        };
        assert_eq!(
            claims.as_json(),
            fresh.as_json(),
            "a cached answer for another token"
        );
        return;
    }
    let status = response.status().as_u16();
    assert!(matches!(status, 400 | 401 | 403), "refused with {status}");
    let challenges: Vec<_> = response
        .headers()
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .collect();
    assert!(
        status != 401 || !challenges.is_empty(),
        "a 401 without a challenge"
    );
    for challenge in challenges {
        let Ok(text) = challenge.to_str() else {
            panic!("a challenge that is not visible ASCII: {challenge:?}");
        };
        if let Err(why) = check_challenges(text) {
            panic!("{why}: {text:?}");
        }
        if let Some(token) = token.as_deref().filter(|t| t.len() >= 12) {
            assert!(!text.contains(token), "the token echoed: {text:?}");
            for part in token.split('.').filter(|p| p.len() >= 12) {
                assert!(!text.contains(part), "a part of the token echoed: {text:?}");
            }
        }
    }
}

/// RFC 6750 §2.1's `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" /
/// "+" / "/" ) *"="`.
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

/// Checks a `WWW-Authenticate` value against RFC 9110 §11.3 (written here
/// from the grammar, independently of the layer): `#challenge`, each
/// `auth-scheme [ 1*SP #auth-param ]`, each parameter `token BWS "=" BWS (
/// token / quoted-string )`; and RFC 6750 §3's tighter rule for `error`,
/// `error_description` and `scope`: `%x20-21 / %x23-5B / %x5D-7E` only (no
/// quoted-pair at all).
fn check_challenges(text: &str) -> Result<(), &'static str> {
    let b = text.as_bytes();
    let tchar = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c);
    let token_end = |mut i: usize| {
        while i < b.len() && tchar(b[i]) {
            i += 1;
        }
        i
    };
    let ows = |mut i: usize| {
        while i < b.len() && matches!(b[i], b' ' | b'\t') {
            i += 1;
        }
        i
    };
    let mut i = 0;
    let mut in_challenge = false;
    loop {
        i = ows(i);
        let start = i;
        i = token_end(i);
        if i == start {
            return Err("a token expected");
        }
        let name = &text[start..i];
        let after = ows(i);
        if b.get(after) == Some(&b'=') {
            if !in_challenge {
                return Err("a parameter before any scheme");
            }
            i = ows(after + 1);
            if b.get(i) == Some(&b'"') {
                i += 1;
                let value_start = i;
                loop {
                    match b.get(i) {
                        None => return Err("an unclosed quoted-string"),
                        Some(b'"') => break,
                        Some(b'\\') => {
                            if matches!(name, "error" | "error_description" | "scope") {
                                return Err("a quoted-pair where RFC 6750 allows none");
                            }
                            match b.get(i + 1) {
                                Some(&c) if c == b'\t' || (b' '..=b'~').contains(&c) => i += 2,
                                _ => return Err("a bad quoted-pair"),
                            }
                        }
                        Some(&c) if c == b'\t' || (b' '..=b'~').contains(&c) => i += 1,
                        Some(_) => return Err("a control character in a quoted-string"),
                    }
                }
                let value = &b[value_start..i];
                if matches!(name, "error" | "error_description" | "scope")
                    && value.iter().any(|&c| c == b'"' || c == b'\\' || c == b'\t')
                {
                    return Err("a character RFC 6750 excludes");
                }
                i += 1;
            } else {
                let value_start = i;
                i = token_end(i);
                if i == value_start {
                    return Err("a parameter without a value");
                }
            }
        } else {
            // A scheme: alone, or followed by one or more spaces and its
            // first parameter.
            in_challenge = true;
            if b.get(i) == Some(&b' ') {
                let next = ows(i);
                if next < b.len() && b[next] != b',' {
                    i = next;
                    continue;
                }
            }
        }
        i = ows(i);
        match b.get(i) {
            None => return Ok(()),
            Some(b',') => i += 1,
            Some(_) => return Err("something after an element"),
        }
    }
}

/// The time the [`dpop`] target's validator reads (2023-11-14 22:13:20 UTC).
const DPOP_NOW: i64 = 1_700_000_000;

/// Target `dpop`: DPoP proofs (RFC 9449 §4.3) built from the input and
/// signed with one fixed ES256 key, checked by a
/// [`DpopValidator`](crate::dpop::DpopValidator) (default settings, its
/// clock at `DPOP_NOW`) against `POST https://api.example.com/orders?page=2`.
///
/// Input: a mode byte, then a JSON object for the header and, after
/// [`PART_SEPARATOR`], the payload. The header is `typ: dpop+jwt`,
/// `alg: ES256` and the key's public `jwk`, with the fuzzer's members added
/// (mode bit 0 clear) or put over them (bit 0 set). The payload is the
/// fuzzer's bytes as they are (bit 1 set), or its object's members put over
/// a valid claim set (`jti`, `htm`, `htu`, `iat`). Properties, for any input:
/// - the memory replay store answers at once, and nothing panics;
/// - a proof is accepted only if its header names `dpop+jwt` (any case),
///   `ES256` and the signing key itself, and its claim set (one strict JSON
///   object) has a non-empty string `jti`, `htm` = `POST` exactly, an `htu`
///   that normalizes to the request's URI, and an integer `iat` within the
///   default window (300 s back, 30 s leeway either side) — all read here
///   from the text with `serde_json`;
/// - an accepted proof reports `ES256`, that `iat`, and the key's RFC 7638
///   thumbprint (computed here from the JWK's `crv`, `kty`, `x`, `y`), and
///   the same proof again is refused as [`Replayed`](crate::dpop::DpopError::Replayed);
/// - with nothing from the fuzzer (two empty objects) the proof is accepted.
pub fn dpop(data: &[u8]) {
    use std::sync::OnceLock;

    use crate::dpop::htu::normalize;
    use crate::dpop::{DpopError, DpopRequest, DpopValidator};
    use crate::sign::SigningKey;
    use crate::{Algorithm, ManualClock};

    const URI: &str = "https://api.example.com/orders?page=2";

    static KEY: OnceLock<(SigningKey, Value, String)> = OnceLock::new();
    let (key, jwk, jkt) = KEY.get_or_init(|| {
        let Ok(key) = SigningKey::generate_es256() else {
            panic!("an ES256 key");
        };
        let Ok(Ok(jwk)) = key.to_public_jwk().map(serde_json::to_value) else {
            panic!("its public JWK as JSON");
        };
        // RFC 7638 §3.2: the required members, in lexicographic order, no
        // whitespace; SHA-256; base64url.
        let member = |name: &str| jwk.get(name).and_then(Value::as_str).unwrap_or_default();
        let canonical = format!(
            r#"{{"crv":"{}","kty":"{}","x":"{}","y":"{}"}}"#,
            member("crv"),
            member("kty"),
            member("x"),
            member("y")
        );
        let digest = ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes());
        (key, jwk, base64url::encode(digest.as_ref()))
    });

    let mut header = Map::new();
    header.insert("typ".into(), Value::from("dpop+jwt"));
    header.insert("alg".into(), Value::from("ES256"));
    header.insert("jwk".into(), jwk.clone());
    let mut claims = Map::new();
    claims.insert("jti".into(), Value::from("e1j3V_bKic8-LAEB"));
    claims.insert("htm".into(), Value::from("POST"));
    claims.insert("htu".into(), Value::from("https://api.example.com/orders"));
    claims.insert("iat".into(), Value::from(DPOP_NOW - 5));
    let Some(built) = build_signed(data, header, claims, key) else {
        return;
    };

    let Ok(validator) = DpopValidator::builder()
        .clock(ManualClock::new(DPOP_NOW))
        .build()
    else {
        panic!("the validator");
    };
    let request = DpopRequest::new("POST", URI);
    let Some(answer) = validator.validate_now(&built.token, &request) else {
        panic!("the memory replay store waited");
    };
    let verified = match answer {
        Ok(verified) => verified,
        Err(error) => {
            assert!(!built.plain, "a plain proof refused: {error}");
            return;
        }
    };

    // Accepted: check what it holds, read independently.
    let header = &built.header;
    let typ = text_member(header, "typ").unwrap_or_default();
    assert!(typ.eq_ignore_ascii_case("dpop+jwt"), "typ {typ:?} accepted");
    assert_eq!(text_member(header, "alg").as_deref(), Some("ES256"));
    let named = header.get("jwk").unwrap_or(&Value::Null);
    for member in ["kty", "crv", "x", "y"] {
        assert_eq!(
            named.get(member),
            jwk.get(member),
            "a jwk other than the signer's: {named}"
        );
    }
    let read = accepted_claims(&built.payload);
    assert!(
        text_member(&read, "jti").is_some_and(|jti| !jti.is_empty()),
        "jti"
    );
    assert_eq!(text_member(&read, "htm").as_deref(), Some("POST"), "htm");
    let Some(htu) = text_member(&read, "htu") else {
        panic!("accepted without a string htu");
    };
    assert_eq!(normalize(&htu).ok(), normalize(URI).ok(), "htu {htu:?}");
    // A NumericDate may have a fraction (RFC 7519 §2): its whole seconds
    // count (the fuzzer's first stop, kept as `finding-1-fractional-iat`).
    let Some(iat) = whole_seconds(&read, "iat") else {
        panic!("accepted without a numeric iat: {:?}", read.get("iat"));
    };
    assert!(
        (DPOP_NOW - 330..=DPOP_NOW + 30).contains(&iat),
        "iat {iat} outside the window"
    );
    assert_eq!(verified.iat, iat);
    assert_eq!(verified.alg, Algorithm::ES256);
    assert_eq!(&verified.jkt, jkt, "thumbprint");
    assert!(
        matches!(
            validator.validate_now(&built.token, &request),
            Some(Err(DpopError::Replayed))
        ),
        "a replay accepted"
    );
}

/// The whole seconds of a numeric member (a NumericDate, RFC 7519 §2, may
/// have a fraction), read independently of the crate.
fn whole_seconds(map: &Map<String, Value>, name: &str) -> Option<i64> {
    let Some(Value::Number(n)) = map.get(name) else {
        return None;
    };
    n.as_i64().or_else(|| {
        n.as_f64()
            .filter(|f| f.is_finite() && f.abs() < 1e15)
            .map(|f| f.trunc() as i64)
    })
}

/// Target `logout`: back-channel logout tokens (OIDC Back-Channel Logout 1.0
/// §2.6) built from the input and signed with one fixed ES256 key, checked
/// by a [`LogoutTokenValidator`](crate::logout_token::LogoutTokenValidator)
/// (ES256 allowed, issuer `https://tenant.example/`, audience `client-1`, default maximum
/// age and leeway, its clock at `DPOP_NOW`).
///
/// Input: a mode byte, then a JSON object for the header and, after
/// [`PART_SEPARATOR`], the payload. The header is `typ: logout+jwt` and
/// `alg: ES256`, with the fuzzer's members added (mode bit 0 clear) or put
/// over them (bit 0 set); the payload is the fuzzer's bytes as they are (bit
/// 1 set) or its object's members put over a valid claim set. Properties:
/// - the validation completes at once (static key, memory replay store) and
///   nothing panics;
/// - a token is accepted only if its header's `alg` is `ES256` and its `typ`
///   absent, `JWT` or `logout+jwt` (any case, with or without
///   `application/`), and its claim set (strict JSON, read alike by
///   `serde_json`) has `iss` = the issuer exactly, the client id as `aud`
///   (or among its values), a numeric `iat` not older than 150 s nor more
///   than 30 s ahead, an `exp` (if any) not past by more than 30 s, a string
///   `sub` or `sid` (neither present and empty), an `events` object whose
///   back-channel logout member is an object, no `nonce` member, and a
///   string `jti` — read here from the text;
/// - an accepted token reports those `iss`, `sub`, `sid`, `jti` and `iat`,
///   and the same token again is refused as
///   [`Replayed`](crate::logout_token::LogoutTokenError::Replayed);
/// - with nothing from the fuzzer (two empty objects) the token is accepted.
pub fn logout(data: &[u8]) {
    use std::sync::OnceLock;

    use crate::logout_token::{BACKCHANNEL_LOGOUT_EVENT, LogoutTokenError, LogoutTokenValidator};
    use crate::sign::SigningKey;
    use crate::{Algorithm, ManualClock, StaticKeys};

    const ISSUER: &str = "https://tenant.example/";
    const CLIENT: &str = "client-1";

    static KEY: OnceLock<(SigningKey, StaticKeys)> = OnceLock::new();
    let (key, public) = KEY.get_or_init(|| {
        let Ok(key) = SigningKey::generate_es256() else {
            panic!("an ES256 key");
        };
        let Ok(public) = key.verifying_key() else {
            panic!("its verifying key");
        };
        (key, StaticKeys::from_key(public))
    });

    let mut header = Map::new();
    header.insert("typ".into(), Value::from("logout+jwt"));
    header.insert("alg".into(), Value::from("ES256"));
    let mut claims = Map::new();
    claims.insert("iss".into(), Value::from(ISSUER));
    claims.insert("aud".into(), Value::from(CLIENT));
    claims.insert("iat".into(), Value::from(DPOP_NOW - 5));
    claims.insert("jti".into(), Value::from("bWJq"));
    claims.insert("sid".into(), Value::from("08a5019c-17e1-4977"));
    claims.insert("sub".into(), Value::from("auth0|1"));
    let mut events = Map::new();
    events.insert(BACKCHANNEL_LOGOUT_EVENT.into(), Value::Object(Map::new()));
    claims.insert("events".into(), Value::Object(events));
    let Some(built) = build_signed(data, header, claims, key) else {
        return;
    };

    let Ok(validator) = LogoutTokenValidator::builder()
        .key_source(public.clone())
        .algorithms([Algorithm::ES256])
        .issuer(ISSUER)
        .audience(CLIENT)
        .clock(ManualClock::new(DPOP_NOW))
        .build()
    else {
        panic!("the validator");
    };
    let logout = match poll_now(validator.validate(&built.token)) {
        Ok(logout) => logout,
        Err(error) => {
            assert!(!built.plain, "a plain logout token refused: {error}");
            return;
        }
    };

    // Accepted: check what it holds, read independently.
    let header = &built.header;
    assert_eq!(text_member(header, "alg").as_deref(), Some("ES256"));
    if let Some(typ) = header.get("typ") {
        let typ = typ
            .as_str()
            .unwrap_or("<not a string>")
            .to_ascii_lowercase();
        let typ = typ.strip_prefix("application/").unwrap_or(&typ);
        assert!(matches!(typ, "jwt" | "logout+jwt"), "typ {typ:?} accepted");
    }
    let read = accepted_claims(&built.payload);
    assert_eq!(text_member(&read, "iss").as_deref(), Some(ISSUER), "iss");
    let aud_ok = match read.get("aud") {
        Some(Value::String(aud)) => aud == CLIENT,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(CLIENT)),
        _ => false,
    };
    assert!(aud_ok, "aud {:?}", read.get("aud"));
    let Some(iat) = whole_seconds(&read, "iat") else {
        panic!("accepted without a numeric iat: {:?}", read.get("iat"));
    };
    assert!((DPOP_NOW - 150..=DPOP_NOW + 30).contains(&iat), "iat {iat}");
    if read.contains_key("exp") {
        let Some(exp) = whole_seconds(&read, "exp") else {
            panic!("accepted a non-numeric exp: {:?}", read.get("exp"));
        };
        assert!(exp >= DPOP_NOW - 30, "an expired token accepted: exp {exp}");
    }
    let (sub, sid) = (text_member(&read, "sub"), text_member(&read, "sid"));
    assert!(sub.is_some() || sid.is_some(), "neither sub nor sid");
    assert!(
        sub.as_deref() != Some("") && sid.as_deref() != Some(""),
        "an empty sub or sid accepted"
    );
    let event = read
        .get("events")
        .and_then(Value::as_object)
        .and_then(|events| events.get(BACKCHANNEL_LOGOUT_EVENT));
    assert!(
        matches!(event, Some(Value::Object(_))),
        "events {:?}",
        read.get("events")
    );
    assert!(!read.contains_key("nonce"), "a nonce accepted");
    let Some(jti) = text_member(&read, "jti") else {
        panic!("accepted without a string jti");
    };
    assert_eq!(logout.iss, ISSUER);
    assert_eq!((logout.sub, logout.sid), (sub, sid));
    assert_eq!(logout.jti, jti);
    assert_eq!(logout.iat, iat);
    assert!(
        matches!(
            poll_now(validator.validate(&built.token)),
            Err(LogoutTokenError::Replayed)
        ),
        "a replay accepted"
    );
}

/// The issuer the [`id_token`] target's verifier trusts.
const ID_ISSUER: &str = "https://tenant.example/";
/// The client id (audience) of the [`id_token`] target's verifier.
const ID_CLIENT: &str = "client-1";
/// The HMAC secret of the [`id_token`] target's HS256 verifier.
const ID_SECRET: &[u8] = b"id-token-fuzz-secret-id-token-fuzz-secret";
/// The nonce the [`id_token`] target's base claim set carries.
const ID_NONCE: &str = "n-0S6_WzA2Mj";

/// Target `id_token`: OpenID Connect ID tokens (OIDC Core 1.0 §3.1.3.7, and
/// Auth0's rules as auth0-python's `TokenVerifier` implements them) built
/// from the input, signed with HS256 or ES256, checked by a
/// [`TokenVerifier`](crate::id_token::TokenVerifier) through its public
/// `verify` or `verify_as`, with verifier options the fuzzer picks.
///
/// Input: four option bytes, then what `build_signed` reads (a mode byte,
/// a JSON object for the header, [`PART_SEPARATOR`], the payload) over the
/// header `alg` (the signer's) and `typ: JWT` (bit 1 of option byte 0: no
/// `typ`) and a valid claim set (`iss`, `sub`, `aud`, `iat`, `exp`, `nonce`,
/// `auth_time`, `org_id`, `org_name`). Option byte 0: bit 0 ES256 (else
/// HS256), bits 2–3 the expected nonce, bits 4–6 the expected organization; byte 1: the leeway (low nibble) and `max_age` (high
/// nibble), each from a pool of edge values; bytes 2–3: the clock's offset
/// (signed) from `DPOP_NOW`. Properties:
/// - the verification completes at once (static keys) and never panics;
/// - `verify` and `verify_as` (into a JSON map) answer alike: the same
///   claims, or the same error;
/// - when the header is plain (`alg` and `typ` strings, nothing else), the
///   token is accepted exactly when `id_token_reference` — written here
///   from OIDC Core 1.0 §3.1.3.7 and the verifier's documented order —
///   accepts it, and a refusal is the typed error of the first rule that
///   fails in that order; with any other header, a token is accepted only
///   if its claim set is;
/// - an accepted token yields its claim set as read independently
///   (strict and `serde_json` alike);
/// - no error shows the token or its signature, in `Display`, `Debug` or any
///   `source()`.
pub fn id_token(data: &[u8]) {
    use std::sync::OnceLock;
    use std::time::Duration;

    use crate::id_token::{TokenVerifier, VerifyOptions};
    use crate::sign::SigningKey;
    use crate::verifier::{AsymmetricSignatureVerifier, SignatureVerifier};
    use crate::verifier::{StaticKeys, SymmetricSignatureVerifier};
    use crate::{Algorithm, ManualClock};

    type Keys = [(SigningKey, SignatureVerifier); 2];
    static KEYS: OnceLock<Keys> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        let (Ok(hs), Ok(symmetric)) = (
            SigningKey::hmac(Algorithm::HS256, ID_SECRET),
            SymmetricSignatureVerifier::new(ID_SECRET),
        ) else {
            panic!("the HS256 key");
        };
        let Ok(es) = SigningKey::generate_es256() else {
            panic!("an ES256 key");
        };
        let Ok(Ok(asymmetric)) = es.verifying_key().map(|public| {
            AsymmetricSignatureVerifier::new(StaticKeys::from_key(public))
                .with_algorithm(Algorithm::ES256)
        }) else {
            panic!("its verifier");
        };
        [(hs, symmetric.into()), (es, asymmetric.into())]
    });

    let Some((options, rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let [flags, durations, offset @ ..] = *options;
    let (key, signature) = &keys[usize::from(flags & 1)];
    let untyped = flags & 2 == 2;
    let nonce = [None, Some(ID_NONCE), Some(""), Some("N-0S6_WzA2Mj")][usize::from(flags >> 2 & 3)];
    let organization = [
        None,
        Some("org_abc"),
        Some("acme"),
        Some("ACME"),
        Some("org_ABC"),
        Some(""),
        Some("org_"),
        Some("Org_abc"),
    ][usize::from(flags >> 4 & 7)];
    // `None`: the builder's default (60 s).
    const SECS: [Option<u64>; 16] = [
        None,
        Some(0),
        Some(1),
        Some(5),
        Some(59),
        Some(60),
        Some(61),
        Some(300),
        Some(3600),
        Some(86_400),
        Some(1 << 31),
        Some(1 << 32),
        Some(1 << 62),
        Some(i64::MAX as u64 - 1),
        Some(i64::MAX as u64),
        Some(100),
    ];
    let leeway = SECS[usize::from(durations & 15)];
    let max_age = SECS[usize::from(durations >> 4)];
    let now = DPOP_NOW + i64::from(i16::from_le_bytes(offset));

    let mut header = Map::new();
    header.insert("alg".into(), Value::from(key.algorithm().as_str()));
    if !untyped {
        header.insert("typ".into(), Value::from("JWT"));
    }
    let mut claims = Map::new();
    claims.insert("iss".into(), Value::from(ID_ISSUER));
    claims.insert("sub".into(), Value::from("auth0|1"));
    claims.insert("aud".into(), Value::from(ID_CLIENT));
    claims.insert("iat".into(), Value::from(DPOP_NOW - 5));
    claims.insert("exp".into(), Value::from(DPOP_NOW + 600));
    claims.insert("nonce".into(), Value::from(ID_NONCE));
    claims.insert("auth_time".into(), Value::from(DPOP_NOW - 100));
    claims.insert("org_id".into(), Value::from("org_abc"));
    claims.insert("org_name".into(), Value::from("Acme"));
    let Some(built) = build_signed(rest, header, claims, key) else {
        return;
    };

    let mut builder = TokenVerifier::builder()
        .signature_verifier(signature.clone())
        .issuer(ID_ISSUER)
        .audience(ID_CLIENT)
        .clock(ManualClock::new(now));
    if let Some(secs) = leeway {
        builder = builder.leeway(Duration::from_secs(secs));
    }
    let Ok(verifier) = builder.build() else {
        panic!("the verifier");
    };
    let mut verify = VerifyOptions::new();
    verify.nonce = nonce.map(str::to_owned);
    verify.max_age = max_age.map(Duration::from_secs);
    verify.organization = organization.map(str::to_owned);

    let answer =
        poll_now(verifier.verify(&built.token, &verify)).map(|claims| claims.as_map().clone());
    // `verify_as` (claims read from the scan's record) answers alike.
    let typed = poll_now(verifier.verify_as::<Map<String, Value>>(&built.token, &verify));
    match (&answer, &typed) {
        (Ok(read), Ok(typed)) => assert_eq!(read, typed, "verify_as read other claims"),
        (Err(a), Err(b)) => assert_eq!(id_error_name(a), id_error_name(b), "verify_as"),
        _ => panic!("verify and verify_as disagree: {answer:?} / {typed:?}"),
    }

    // What the verifier should answer, from the header and claim set as signed.
    let rules = IdTokenRules {
        now,
        leeway: leeway.unwrap_or(60),
        nonce,
        organization,
        max_age,
    };
    let header = &built.header;
    let plain_header = header.keys().all(|name| name == "alg" || name == "typ")
        && header.get("alg").is_some_and(Value::is_string)
        && header.get("typ").is_none_or(Value::is_string);
    // RFC 8725 §3.11: an explicitly typed JWT (`…+jwt`) is another kind of
    // token.
    let typ = text_member(header, "typ")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let another_kind = typ.len() > 4 && typ.ends_with("+jwt");
    let expected = if text_member(header, "alg").as_deref() != Some(key.algorithm().as_str()) {
        Err("algorithm_not_supported".to_owned())
    } else {
        match json::parse_object(&built.payload) {
            Err(_) => Err("malformed".to_owned()),
            Ok(map) => {
                if another_kind {
                    Err("type_mismatch".to_owned())
                } else {
                    id_token_reference(&map, &rules).map_err(str::to_owned)
                }
            }
        }
    };

    match answer {
        Ok(read) => {
            assert!(
                expected.is_ok() || !plain_header,
                "accepted, the reference says {expected:?}"
            );
            assert_eq!(read, accepted_claims(&built.payload), "the claims");
            let alg = text_member(header, "alg");
            assert_eq!(alg.as_deref(), Some(key.algorithm().as_str()), "alg");
            assert!(
                !another_kind,
                "an explicitly typed {typ:?} accepted as an ID token"
            );
            let Ok(map) = json::parse_object(&built.payload) else {
                unreachable!("checked by accepted_claims");
            };
            if let Err(rule) = id_token_reference(&map, &rules) {
                panic!("accepted a claim set the reference refuses ({rule})");
            }
        }
        Err(error) => {
            let name = id_error_name(&error);
            if plain_header {
                assert_eq!(Err(name), expected, "{error}");
            }
            let signature_part = built.token.rsplit('.').next().unwrap_or_default();
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
            while let Some(e) = source {
                for shown in [e.to_string(), format!("{e:?}")] {
                    assert!(!shown.contains(&built.token), "the token shown: {shown}");
                    assert!(
                        signature_part.len() < 12 || !shown.contains(signature_part),
                        "the signature shown: {shown}"
                    );
                }
                source = e.source();
            }
        }
    }
}

/// What [`id_token_reference`] checks a claim set against.
struct IdTokenRules {
    now: i64,
    leeway: u64,
    nonce: Option<&'static str>,
    organization: Option<&'static str>,
    max_age: Option<u64>,
}

/// The ID-token claim rules, written from OIDC Core 1.0 §3.1.3.7 and
/// Auth0's (auth0-python's `TokenVerifier`), in the order
/// [`TokenVerifier`](crate::id_token::TokenVerifier) documents: `iss` (step
/// 2), `sub` (§2: required), `aud` (step 3), `exp` (step 9) and `iat` (step
/// 10: not in the future) with the leeway, the `nonce` when one was sent
/// (step 11), the organization when one is expected (an `org_…` id compared
/// with `org_id` exactly, a name with `org_name` case-insensitively), `azp`
/// (steps 4–5: required with several audiences, the client whenever
/// present), `auth_time` when `max_age` was sent (step 13), `nbf` (RFC 7519
/// §4.1.5), then every other registered claim's JSON type. NumericDates are
/// integers here, as auth0-python requires (`isinstance(…, int)`): the
/// verifier documents that a fraction is refused. The answer is the
/// snake_case name (as traces report it) of the error of the first rule
/// that fails. Time sums are exact
/// (`i128`).
fn id_token_reference(map: &Map<String, Value>, rules: &IdTokenRules) -> Result<(), &'static str> {
    let read = reference(map);
    let string = |name: &str| {
        let at = STRING_CLAIMS.iter().position(|c| *c == name);
        at.and_then(|at| read.strings.get(at))
            .unwrap_or(&Read::Absent)
    };
    let date = |name: &str| {
        let at = DATE_CLAIMS.iter().position(|c| *c == name);
        match at.and_then(|at| read.dates.get(at)) {
            Some(Read::Value(t)) => Read::Value(i128::from(*t)),
            Some(Read::WrongType) => Read::WrongType,
            _ => Read::Absent,
        }
    };
    let now = i128::from(rules.now);
    let leeway = i128::from(rules.leeway);

    match string("iss") {
        Read::Value(iss) if iss == ID_ISSUER => {}
        Read::Value(_) => return Err("issuer_mismatch"),
        _ => return Err("issuer_invalid"),
    }
    // OIDC Core §2: `sub` identifies the user; an empty one identifies no one.
    if !matches!(string("sub"), Read::Value(sub) if !sub.is_empty()) {
        return Err("subject_invalid");
    }
    let several = match &read.aud {
        Read::Value(aud) if aud.iter().any(|a| a == ID_CLIENT) => aud.len() > 1,
        Read::Value(_) => return Err("audience_mismatch"),
        _ => return Err("audience_invalid"),
    };
    match date("exp") {
        Read::Value(exp) if now > exp + leeway => return Err("expired"),
        Read::Value(_) => {}
        _ => return Err("expiration_invalid"),
    }
    match date("iat") {
        Read::Value(iat) if now < iat - leeway => return Err("issued_in_future"),
        Read::Value(_) => {}
        _ => return Err("issued_at_invalid"),
    }
    if let Some(expected) = rules.nonce {
        match string("nonce") {
            Read::Value(nonce) if nonce == expected => {}
            Read::Value(_) => return Err("nonce_mismatch"),
            _ => return Err("nonce_invalid"),
        }
    }
    if let Some(expected) = rules.organization {
        // Case-insensitive: each character lower-cased on its own.
        let lower = |s: &str| s.chars().flat_map(char::to_lowercase).collect::<String>();
        if expected.starts_with("org_") {
            match string("org_id") {
                Read::Value(id) if id == expected => {}
                Read::Value(_) => return Err("organization_id_mismatch"),
                _ => return Err("organization_id_invalid"),
            }
        } else {
            match string("org_name") {
                Read::Value(name) if lower(name) == lower(expected) => {}
                Read::Value(_) => return Err("organization_name_mismatch"),
                _ => return Err("organization_name_invalid"),
            }
        }
    }
    match string("azp") {
        Read::Value(azp) if azp != ID_CLIENT => return Err("authorized_party_mismatch"),
        Read::Value(_) => {}
        _ if several => return Err("authorized_party_invalid"),
        Read::WrongType => return Err("invalid_claim(azp)"),
        Read::Absent => {}
    }
    if let Some(max_age) = rules.max_age {
        match date("auth_time") {
            Read::Value(at) if now > at + i128::from(max_age) + leeway => {
                return Err("auth_time_too_old");
            }
            Read::Value(_) => {}
            _ => return Err("auth_time_invalid"),
        }
    }
    match date("nbf") {
        Read::Value(nbf) if now < nbf - leeway => return Err("not_yet_valid"),
        Read::WrongType => return Err("not_before_invalid"),
        _ => {}
    }
    match read.first_wrong {
        None => Ok(()),
        Some("iss") => Err("issuer_invalid"),
        Some("sub") => Err("subject_invalid"),
        Some("aud") => Err("audience_invalid"),
        Some("exp") => Err("expiration_invalid"),
        Some("nbf") => Err("not_before_invalid"),
        Some("iat") => Err("issued_at_invalid"),
        Some("auth_time") => Err("auth_time_invalid"),
        Some("nonce") => Err("nonce_invalid"),
        Some("org_id") => Err("organization_id_invalid"),
        Some("org_name") => Err("organization_name_invalid"),
        Some("azp") => Err("invalid_claim(azp)"),
        Some("scope") => Err("invalid_claim(scope)"),
        Some("permissions") => Err("invalid_claim(permissions)"),
        Some("jti") => Err("invalid_claim(jti)"),
        Some(_) => Err("invalid_claim(?)"),
    }
}

/// The stable name of an ID-token verification error (the crate's
/// snake_case reason, with the claim for `Error::InvalidClaim`), as
/// [`id_token_reference`] names it; every variant must be of the ID-token
/// kind.
fn id_error_name(error: &crate::Error) -> String {
    use crate::{Error, TokenKind};
    let kind = match error {
        Error::IssuerInvalid { kind }
        | Error::IssuerMismatch { kind, .. }
        | Error::SubjectInvalid { kind }
        | Error::AudienceInvalid { kind }
        | Error::AudienceMismatch { kind, .. }
        | Error::ExpirationInvalid { kind }
        | Error::Expired { kind, .. }
        | Error::IssuedAtInvalid { kind }
        | Error::IssuedInFuture { kind, .. }
        | Error::NotBeforeInvalid { kind }
        | Error::NotYetValid { kind, .. }
        | Error::NonceInvalid { kind }
        | Error::NonceMismatch { kind, .. }
        | Error::OrganizationIdInvalid { kind }
        | Error::OrganizationIdMismatch { kind, .. }
        | Error::OrganizationNameInvalid { kind }
        | Error::OrganizationNameMismatch { kind, .. }
        | Error::AuthorizedPartyInvalid { kind }
        | Error::AuthorizedPartyMismatch { kind, .. }
        | Error::AuthTimeInvalid { kind }
        | Error::AuthTimeTooOld { kind, .. }
        | Error::TypeMismatch { kind, .. }
        | Error::InvalidClaim { kind, .. } => Some(*kind),
        _ => None,
    };
    assert!(
        kind.is_none_or(|kind| kind == TokenKind::IdToken),
        "an error of another kind: {error:?}"
    );
    // The crate's own stable names (the ones traces report).
    match error {
        Error::InvalidClaim { claim, .. } => format!("invalid_claim({claim})"),
        other => crate::trace::Reason::reason(other).to_owned(),
    }
}
