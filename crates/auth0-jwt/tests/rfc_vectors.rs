//! RFC 7515 Appendix A and RFC 7520 §4.1–4.4 compact JWS examples from
//! `testdata/vectors/rfc-jws.json` (provenance: `testdata/vectors/README.md`).
//!
//! Decisions:
//! - `ES512` (A.4, RFC 7520 §4.3) is marked `valid` in the file, but this crate does not
//!   implement ES512/P-521 (Auth0 never signs with it). Those cases must fail *clearly*:
//!   `JwsError::Algorithm(AlgorithmError::Unsupported { alg: "ES512" })` at parse time and
//!   `KeyError::UnsupportedCurve { crv: "P-521" }` for the key — never a generic
//!   signature failure.
//! - A.5 (`alg: none`) must be rejected.
//! - Several payloads are not JSON (RFC 7520's text, A.4's `Payload`), so cases go through
//!   `RawJws`; JSON payloads are additionally checked with `Jws`.
//!
//! The test fails (it does not skip) if the vectors are missing.

// Test helpers panic on unexpected results on purpose.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use auth0_jwt::alg::{Algorithm, AlgorithmError};
use auth0_jwt::jwk::Jwk;
use auth0_jwt::jws::{Jws, JwsError, ParseOptions, Part, RawJws};
use auth0_jwt::key::{KeyError, KeySet, VerifyingKey};
use serde_json::Value;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/vectors");

fn load() -> Value {
    let path = format!("{VECTORS}/rfc-jws.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("RFC vectors missing at {path}: {e}"));
    serde_json::from_str(&text).expect("rfc-jws.json is JSON")
}

fn cases() -> Vec<Value> {
    let doc = load();
    let mut out = Vec::new();
    for section in ["rfc7515_appendix_a", "rfc7520_cookbook"] {
        out.extend(
            doc[section]
                .as_array()
                .unwrap_or_else(|| panic!("section {section} missing"))
                .iter()
                .cloned(),
        );
    }
    out
}

fn key_jwk(case: &Value) -> Jwk {
    let v = if case["jwk_public"].is_object() {
        &case["jwk_public"]
    } else {
        &case["jwk_private_or_secret"]
    };
    Jwk::from_value(v.clone()).unwrap()
}

fn tamper_signature(token: &str) -> String {
    let (input, sig) = token.rsplit_once('.').unwrap();
    // Change the first signature character (keeps base64url canonical).
    let mut chars: Vec<char> = sig.chars().collect();
    chars[0] = if chars[0] == 'A' { 'B' } else { 'A' };
    format!("{input}.{}", chars.into_iter().collect::<String>())
}

#[test]
fn rfc_cases() {
    let cases = cases();
    assert_eq!(cases.len(), 9, "A.1–A.5 and RFC 7520 4.1–4.4");
    let opts = ParseOptions::default();
    let (mut verified, mut unsupported, mut rejected) = (0, 0, 0);

    for case in &cases {
        let id = case["id"].as_str().unwrap();
        let alg = case["alg"].as_str().unwrap();
        let compact = case["compact"].as_str().unwrap();
        let expect = case["expect"].as_str().unwrap();

        if alg == "none" {
            assert!(expect.contains("REJECT"), "{id}: {expect}");
            // As given (empty signature part).
            assert_eq!(
                RawJws::parse(compact, &opts).unwrap_err(),
                JwsError::EmptyPart {
                    part: Part::Signature
                },
                "{id}"
            );
            // And with a dummy signature added: `none` itself is refused.
            let with_sig = format!("{compact}c2ln");
            assert_eq!(
                Jws::parse(&with_sig, &opts).unwrap_err(),
                JwsError::Algorithm(AlgorithmError::None),
                "{id}"
            );
            rejected += 1;
            println!("{id}: alg=none rejected");
            continue;
        }

        assert_eq!(expect, "valid", "{id}");
        let jwk = key_jwk(case);

        if alg == "ES512" {
            assert_eq!(
                RawJws::parse(compact, &opts).unwrap_err(),
                JwsError::Algorithm(AlgorithmError::Unsupported {
                    alg: "ES512".into()
                }),
                "{id}"
            );
            assert_eq!(
                VerifyingKey::from_jwk(&jwk).unwrap_err(),
                KeyError::UnsupportedCurve {
                    crv: "P-521".into()
                },
                "{id}"
            );
            unsupported += 1;
            println!("{id}: ES512 reported as unsupported (by design)");
            continue;
        }

        let raw = RawJws::parse(compact, &opts).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(raw.header().alg, alg, "{id}");
        assert_eq!(
            raw.payload(),
            case["payload_utf8"].as_str().unwrap().as_bytes(),
            "{id}"
        );
        // The signing input is the received text, byte for byte.
        assert_eq!(
            raw.signing_input(),
            compact.rsplit_once('.').unwrap().0.as_bytes(),
            "{id}"
        );
        let alg = raw.algorithm();

        let key = VerifyingKey::from_jwk(&jwk).unwrap_or_else(|e| panic!("{id}: {e}"));
        key.verify(alg, raw.signing_input(), raw.signature())
            .unwrap_or_else(|e| panic!("{id}: {e}"));

        // Found through a KeySet by the token's kid (or as the only key).
        let mut set = KeySet::new();
        set.insert(VerifyingKey::from_jwk(&jwk).unwrap());
        let found = set
            .find(raw.header().kid.as_deref(), alg)
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        found
            .verify(alg, raw.signing_input(), raw.signature())
            .unwrap();

        // JSON payloads also parse as a JWT.
        if serde_json::from_slice::<serde_json::Map<String, Value>>(raw.payload()).is_ok() {
            let jws = Jws::parse(compact, &opts).unwrap();
            assert_eq!(jws.claims()["iss"], "joe", "{id}");
        } else {
            assert!(
                matches!(
                    Jws::parse(compact, &opts),
                    Err(JwsError::Json {
                        part: Part::Payload,
                        ..
                    })
                ),
                "{id}"
            );
        }

        // Any change to the signature breaks it.
        let bad = tamper_signature(compact);
        let raw_bad = RawJws::parse(&bad, &opts).unwrap();
        assert_eq!(
            key.verify(alg, raw_bad.signing_input(), raw_bad.signature()),
            Err(KeyError::InvalidSignature),
            "{id}"
        );
        // The wrong family is refused before any crypto.
        let other = if alg.is_symmetric() {
            Algorithm::RS256
        } else {
            Algorithm::HS256
        };
        assert!(
            matches!(
                key.verify(other, raw.signing_input(), raw.signature()),
                Err(KeyError::IncompatibleAlgorithm { .. })
            ),
            "{id}"
        );
        verified += 1;
        println!("{id}: {alg} verified");
    }
    println!(
        "rfc-jws.json: {} cases, {verified} verified, {unsupported} ES512 unsupported (expected), {rejected} alg=none rejected",
        cases.len()
    );
    assert_eq!((verified, unsupported, rejected), (6, 2, 1));
}
