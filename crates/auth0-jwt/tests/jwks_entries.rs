//! One bad entry of a JWK Set costs that entry only (RFC 7517 §5: a set is
//! still usable when some of its JWKs are not; §4: a JWK with a repeated
//! member name is rejected). The document itself stays strict: invalid JSON
//! anywhere, a top level that is not an object, or a repeated top-level
//! member (`keys` included) refuses the whole set.
//!
//! Through the public API: `JwkSet::from_json`, `StaticKeys::from_jwks_json`
//! behind an `AccessTokenValidator`, and `RemoteJwks` against a local
//! 127.0.0.1 JWKS host.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use auth0_jwt::access_token::AccessTokenValidator;
use auth0_jwt::alg::Algorithm;
use auth0_jwt::clock::ManualClock;
use auth0_jwt::jwk::{JwkError, JwkSet, SkipReason};
use auth0_jwt::jws::{JsonError, MAX_JSON_DEPTH as MAX_DEPTH};
use auth0_jwt::key::{KeyError, KeySet};
use auth0_jwt::sign::SigningKey;
use auth0_jwt::verifier::StaticKeys;
use serde_json::{Value, json};

const ISSUER: &str = "https://tenant.example.com/";
const API: &str = "https://api.example.com";
const NOW: i64 = 1_700_000_000;

fn es256(kid: &str) -> SigningKey {
    SigningKey::generate_es256().unwrap().with_kid(kid)
}

/// The key's public JWK as a JSON object.
fn public(key: &SigningKey) -> Value {
    serde_json::to_value(key.to_public_jwk().unwrap()).unwrap()
}

/// The public JWK as text with one more member written in front of it
/// (`"kty":"EC"` again gives `{"kty":"EC","kty":"EC",…}`).
fn with_member_in_front(key: &SigningKey, member: &str) -> String {
    let text = public(key).to_string();
    format!("{{{member},{}", &text[1..])
}

/// A `{"keys":[…]}` document from entries already written as JSON text.
fn document(entries: &[String]) -> String {
    format!(r#"{{"keys":[{}]}}"#, entries.join(","))
}

fn token(key: &SigningKey) -> String {
    let claims = json!({
        "iss": ISSUER,
        "aud": API,
        "sub": "auth0|user1",
        "iat": NOW - 10,
        "exp": NOW + 600,
    });
    key.sign_token(&serde_json::Map::new(), &claims).unwrap()
}

fn validator(keys: StaticKeys) -> AccessTokenValidator {
    AccessTokenValidator::builder()
        .key_source(keys)
        .issuer(ISSUER)
        .audience(API)
        .algorithms([Algorithm::ES256])
        .shared_clock(Arc::new(ManualClock::new(NOW)))
        .build()
        .unwrap()
}

/// The reason an entry was skipped, by its index.
fn reason(set: &JwkSet, index: usize) -> SkipReason {
    set.skipped()
        .iter()
        .find(|s| s.index == index)
        .unwrap_or_else(|| panic!("entry {index} not skipped: {:?}", set.skipped()))
        .reason
        .clone()
}

fn malformed_json(reason: &SkipReason) -> &JsonError {
    match reason {
        SkipReason::Malformed(JwkError::Json(e)) => e,
        other => panic!("expected Malformed(Json(_)), got {other:?}"),
    }
}

/// The report case from the field: a rotation published one entry with a
/// repeated member next to the key the tenant signs with; tokens signed by
/// the good key still validate.
#[tokio::test]
async fn a_jwk_with_a_repeated_member_is_skipped_and_the_good_key_still_validates() {
    let good = es256("good");
    let bad = es256("bad");
    let doc = document(&[
        with_member_in_front(&bad, r#""kty":"EC""#),
        public(&good).to_string(),
    ]);

    let set = JwkSet::from_json(doc.as_bytes()).unwrap();
    assert_eq!(set.len(), 1);
    assert_eq!(set.keys()[0].kid.as_deref(), Some("good"));
    assert_eq!(set.skipped().len(), 1);
    let skipped = &set.skipped()[0];
    assert_eq!(skipped.index, 0);
    assert_eq!(skipped.kid.as_deref(), Some("bad"));
    assert_eq!(skipped.kty.as_deref(), Some("EC"));
    assert_eq!(
        malformed_json(&skipped.reason),
        &JsonError::DuplicateMember { name: "kty".into() }
    );
    // The reason as logged names what is wrong.
    assert_eq!(
        skipped.reason.to_string(),
        "malformed: duplicate JSON member name `kty`"
    );

    let v = validator(StaticKeys::from_jwks_json(&doc).unwrap());
    let claims = v.validate(&token(&good)).await.unwrap();
    assert_eq!(claims.sub(), Some("auth0|user1"));
    // The skipped key verifies nothing, even though its material is fine.
    assert!(v.validate(&token(&bad)).await.is_err());
}

/// A repeated name is found however deep in the entry it is, and after
/// unescaping (`"kid"` and `"\u006bid"` are one name).
#[test]
fn repeated_members_anywhere_in_an_entry_skip_that_entry_only() {
    let good = es256("good");
    let nested = with_member_in_front(&es256("nested"), r#""ext":{"a":[{"b":1,"b":2}]}"#);
    let escaped = with_member_in_front(&es256("escaped"), r#""\u006bid":"other""#);
    let doc = document(&[nested, public(&good).to_string(), escaped]);

    let set = JwkSet::from_json(doc.as_bytes()).unwrap();
    assert_eq!(set.len(), 1);
    assert_eq!(set.keys()[0].kid.as_deref(), Some("good"));
    assert_eq!(
        malformed_json(&reason(&set, 0)),
        &JsonError::DuplicateMember { name: "b".into() }
    );
    assert_eq!(
        malformed_json(&reason(&set, 2)),
        &JsonError::DuplicateMember { name: "kid".into() }
    );
    // The kid reported is the lexically last one, as a JSON parser that
    // keeps the last duplicate (RFC 7517 §4) would read it.
    let skipped = set.skipped().iter().find(|s| s.index == 2).unwrap();
    assert_eq!(skipped.kid.as_deref(), Some("escaped"));
}

/// Entries that are not objects at all are skipped as not-an-object.
#[test]
fn entries_that_are_not_objects_are_skipped() {
    let good = es256("good");
    let doc = document(&[
        "1".into(),
        r#""a string""#.into(),
        "null".into(),
        "[]".into(),
        "true".into(),
        public(&good).to_string(),
    ]);

    let set = JwkSet::from_json(doc.as_bytes()).unwrap();
    assert_eq!(set.len(), 1);
    assert_eq!(set.keys()[0].kid.as_deref(), Some("good"));
    for index in 0..5 {
        assert_eq!(
            malformed_json(&reason(&set, index)),
            &JsonError::NotAnObject,
            "entry {index}"
        );
    }
    assert!(set.skipped().iter().all(|s| s.kid.is_none()));
}

/// RFC 7517 §5: a `kty` this crate does not understand costs that entry.
#[test]
fn an_unknown_kty_is_skipped() {
    let good = es256("good");
    let doc = document(&[
        r#"{"kty":"PQC","kid":"future","pub":"AAAA"}"#.into(),
        public(&good).to_string(),
    ]);

    let set = JwkSet::from_json(doc.as_bytes()).unwrap();
    assert_eq!(set.len(), 1);
    let skipped = &set.skipped()[0];
    assert_eq!(skipped.kid.as_deref(), Some("future"));
    assert_eq!(skipped.kty.as_deref(), Some("PQC"));
    assert!(
        matches!(
            skipped.reason,
            SkipReason::Unusable(KeyError::UnsupportedKeyType { .. })
        ),
        "{:?}",
        skipped.reason
    );
}

/// The nesting limit still holds inside an entry: the entry nested past it
/// is skipped as too deep, its neighbours are kept. The limit counts from
/// the document (the set's object is level 1, `keys` 2, an entry 3).
#[test]
fn an_entry_nested_too_deep_is_skipped() {
    let good = es256("good");
    let nest = |levels: usize| format!("{}{}", "[".repeat(levels), "]".repeat(levels));
    // The entry's member opens levels 4..: MAX_DEPTH - 3 arrays reach the limit exactly.
    let at_limit = with_member_in_front(
        &es256("at-limit"),
        &format!(r#""ext":{}"#, nest(MAX_DEPTH - 3)),
    );
    let too_deep =
        with_member_in_front(&es256("deep"), &format!(r#""ext":{}"#, nest(MAX_DEPTH - 2)));
    let doc = document(&[too_deep, public(&good).to_string(), at_limit]);

    let set = JwkSet::from_json(doc.as_bytes()).unwrap();
    let kept: Vec<_> = set.keys().iter().map(|k| k.kid.as_deref()).collect();
    assert_eq!(kept, [Some("good"), Some("at-limit")]);
    assert_eq!(
        malformed_json(&reason(&set, 0)),
        &JsonError::TooDeep { max: MAX_DEPTH }
    );
    assert_eq!(set.skipped()[0].kid.as_deref(), Some("deep"));

    // Far deeper (arrays, then objects): the same reason for that entry, no
    // stack overflow, the other keys kept.
    let objects = |levels: usize| format!("{}1{}", r#"{"a":"#.repeat(levels), "}".repeat(levels));
    let bombs = document(&[
        format!(r#"{{"kty":"EC","kid":"arrays","ext":{}}}"#, nest(100_000)),
        public(&good).to_string(),
        format!(
            r#"{{"kty":"EC","kid":"objects","ext":{}}}"#,
            objects(100_000)
        ),
    ]);
    let set = JwkSet::from_json(bombs.as_bytes()).unwrap();
    assert_eq!(set.len(), 1);
    for index in [0, 2] {
        assert_eq!(
            malformed_json(&reason(&set, index)),
            &JsonError::TooDeep { max: MAX_DEPTH }
        );
    }
    // Past the limit the text is still checked: invalid JSON there refuses
    // the whole document.
    let broken = document(&[format!(r#"{{"kty":"EC","ext":{}]}}"#, nest(100))]);
    assert!(matches!(
        JwkSet::from_json(broken.as_bytes()).unwrap_err(),
        JwkError::Json(JsonError::Syntax { .. })
    ));
}

/// Recognises the expected error.
type Check = fn(&JwkError) -> bool;

/// What is wrong with the document itself still refuses the whole set.
#[test]
fn the_document_itself_stays_strict() {
    let good = public(&es256("good")).to_string();
    let cases: Vec<(String, Check)> = vec![
        (format!(r#"{{"keys":[{good}],"keys":[]}}"#), |e| {
            *e == JwkError::Json(JsonError::DuplicateMember {
                name: "keys".into(),
            })
        }),
        (format!(r#"{{"keys":[{good}],"\u006beys":[]}}"#), |e| {
            *e == JwkError::Json(JsonError::DuplicateMember {
                name: "keys".into(),
            })
        }),
        (format!(r#"{{"keys":[{good}],"x":1,"x":2}}"#), |e| {
            *e == JwkError::Json(JsonError::DuplicateMember { name: "x".into() })
        }),
        // Other top-level members are checked strictly too.
        (
            format!(r#"{{"meta":{{"a":1,"a":2}},"keys":[{good}]}}"#),
            |e| *e == JwkError::Json(JsonError::DuplicateMember { name: "a".into() }),
        ),
        (format!(r#"[{{"keys":[{good}]}}]"#), |e| {
            *e == JwkError::Json(JsonError::NotAnObject)
        }),
        // Invalid JSON inside one entry: the text cannot be trusted at all.
        (format!(r#"{{"keys":[{good},{{"kty":"EC",}}]}}"#), |e| {
            matches!(e, JwkError::Json(JsonError::Syntax { .. }))
        }),
        (
            format!(r#"{{"keys":[{good},{{"kty":"EC" "kid":"a"}}]}}"#),
            |e| matches!(e, JwkError::Json(JsonError::Syntax { .. })),
        ),
        (format!(r#"{{"keys":[{good}]"#), |e| {
            matches!(e, JwkError::Json(JsonError::Syntax { .. }))
        }),
        (format!(r#"{{"keys":[{good}]}} {{}}"#), |e| {
            matches!(e, JwkError::Json(JsonError::Syntax { .. }))
        }),
        (r#"{"keys":{"a":1,"a":2}}"#.into(), |e| {
            *e == JwkError::Json(JsonError::DuplicateMember { name: "a".into() })
        }),
        (r#"{"keys":{}}"#.into(), |e| *e == JwkError::KeysNotArray),
        (r#"{"keys":"x"}"#.into(), |e| *e == JwkError::KeysNotArray),
        (r#"{"other":[]}"#.into(), |e| *e == JwkError::MissingKeys),
    ];
    for (doc, check) in cases {
        let err = JwkSet::from_json(doc.as_bytes()).unwrap_err();
        assert!(check(&err), "{doc}: {err:?}");
        assert!(StaticKeys::from_jwks_json(&doc).is_err(), "{doc}");
    }
}

/// The existing set-level rules still apply to malformed entries: a broken
/// entry that names a usable key's `kid` makes that `kid` ambiguous.
#[test]
fn a_malformed_entry_still_counts_for_the_duplicate_kid_rule() {
    let good = es256("a");
    let doc = document(&[
        public(&good).to_string(),
        with_member_in_front(&es256("a"), r#""kty":"EC""#),
        with_member_in_front(&es256("b"), r#""kty":"EC""#),
    ]);

    let set = JwkSet::from_json(doc.as_bytes()).unwrap();
    assert!(set.is_empty(), "{:?}", set.keys());
    assert_eq!(reason(&set, 0), SkipReason::DuplicateKid);
    assert_eq!(reason(&set, 1), SkipReason::DuplicateKid);
    assert!(matches!(reason(&set, 2), SkipReason::Malformed(_)));
    assert!(KeySet::from_jwks(&set).is_empty());
}

#[cfg(feature = "remote")]
mod support_remote;

/// A fetched JWKS with a bad entry serves the good key, and the skipped
/// entry is reported (a `tracing` warning with its index, kid and reason).
#[cfg(feature = "remote")]
#[tokio::test]
async fn a_remote_jwks_with_a_bad_entry_serves_the_good_key() {
    use std::time::Duration;

    use auth0_jwt::jwks::RemoteJwks;
    use auth0_jwt::jws::{Jws, ParseOptions};
    use auth0_jwt::verifier::KeySource;
    use bytes::Bytes;
    use support_remote::{Behavior, JwksServer, TestClock, capture_warnings, client};

    let (warnings, _guard) = capture_warnings();
    let good = es256("good");
    let doc = document(&[
        with_member_in_front(&es256("rotated-in"), r#""kty":"EC""#),
        "42".into(),
        public(&good).to_string(),
    ]);
    let server = JwksServer::start(Behavior::Json(Bytes::from(doc))).await;
    let jwks = RemoteJwks::builder(client(&server))
        .fetch_timeout(Duration::from_secs(5))
        .clock(TestClock::new())
        .build()
        .unwrap();

    let token = token(&good);
    let jws = Jws::parse(&token, &ParseOptions::default()).unwrap();
    let key = jwks.resolve_key(jws.kid(), jws.algorithm()).await.unwrap();
    key.verify(jws.algorithm(), jws.signing_input(), jws.signature())
        .unwrap();
    assert_eq!(jwks.status().keys, 1);
    assert!(jwks.status().last_error.is_none());

    // And through a validator, as an API uses it.
    let v = AccessTokenValidator::builder()
        .key_source(jwks)
        .issuer(ISSUER)
        .audience(API)
        .algorithms([Algorithm::ES256])
        .shared_clock(Arc::new(ManualClock::new(NOW)))
        .build()
        .unwrap();
    v.validate(&token).await.unwrap();

    let lines = warnings.lines();
    let skipped: Vec<_> = lines
        .iter()
        .filter(|l| l.contains("JWKS key skipped"))
        .collect();
    assert_eq!(skipped.len(), 2, "{lines:?}");
    assert!(skipped[0].contains("index=0"), "{}", skipped[0]);
    assert!(skipped[0].contains("rotated-in"), "{}", skipped[0]);
    assert!(
        skipped[0].contains("malformed: duplicate JSON member name `kty`"),
        "{}",
        skipped[0]
    );
    assert!(skipped[1].contains("index=1"), "{}", skipped[1]);
    assert!(
        skipped[1].contains("malformed: JSON value is not an object"),
        "{}",
        skipped[1]
    );
}
