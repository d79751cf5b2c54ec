//! Strictness of JWS parsing and key use: malformed tokens, hostile JSON, dangerous
//! headers, weak keys and algorithm confusion must all be refused with a typed error.

// Test helpers panic on unexpected results on purpose.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use auth0_jwt::alg::{Algorithm, AlgorithmError};
use auth0_jwt::jwk::Jwk;
use auth0_jwt::jws::{
    DEFAULT_MAX_TOKEN_LEN, JsonError, Jws, JwsError, MAX_JSON_DEPTH, ParseOptions, Part, RawJws,
};
use auth0_jwt::key::{KeyError, KeyKind, KeySet, VerifyingKey};
use auth0_jwt::sign::SigningKey;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Map, json};

const RSA_PKCS8: &str = include_str!("fixtures/crypto/rsa2048_pkcs8.pem");
const RSA_SPKI: &str = include_str!("fixtures/crypto/rsa2048_spki.pem");
const RSA1024_SPKI: &str = include_str!("fixtures/crypto/rsa1024_spki.pem");
const P256_SPKI: &str = include_str!("fixtures/crypto/p256_spki.pem");
const P521_SPKI: &str = include_str!("fixtures/crypto/p521_spki.pem");
const ED25519_SPKI: &str = include_str!("fixtures/crypto/ed25519_spki.pem");

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `header.payload.sig` from JSON text (signature is a dummy).
fn token(header: &str, payload: &str) -> String {
    format!("{}.{}.c2ln", b64(header), b64(payload))
}

const HS: &str = r#"{"alg":"HS256"}"#;
const CLAIMS: &str = r#"{"sub":"a"}"#;

fn parse(t: &str) -> Result<Jws<'_>, JwsError> {
    Jws::parse(t, &ParseOptions::default())
}

fn b64_error(t: &str) -> Part {
    match parse(t) {
        Err(JwsError::Base64 { part, .. }) => part,
        other => panic!("expected a base64 error for {t:?}, got {other:?}"),
    }
}

#[test]
fn accepts_a_well_formed_token() {
    let t = token(HS, CLAIMS);
    let jws = parse(&t).unwrap();
    assert_eq!(jws.claims()["sub"], "a");
    assert_eq!(jws.signature(), b"sig");
}

#[test]
fn bad_base64_is_rejected_per_part() {
    let (h, p) = (b64(HS), b64(CLAIMS));
    // Invalid characters.
    assert_eq!(b64_error(&format!("{h}!.{p}.c2ln")), Part::Header);
    assert_eq!(b64_error(&format!("{h}.{p}*.c2ln")), Part::Payload);
    assert_eq!(b64_error(&format!("{h}.{p}.c2l#")), Part::Signature);
    // Standard alphabet instead of URL-safe ('+' and '/').
    assert_eq!(b64_error(&format!("{h}.{p}.ab+/")), Part::Signature);
    // Whitespace anywhere.
    assert_eq!(b64_error(&format!(" {h}.{p}.c2ln")), Part::Header);
    assert_eq!(b64_error(&format!("{h}.{p}\n.c2ln")), Part::Payload);
    assert_eq!(b64_error(&format!("{h}.{p}.c2ln ")), Part::Signature);
    // Impossible length.
    assert_eq!(b64_error(&format!("{h}.{p}.c2lnA")), Part::Signature);
    // Non-canonical trailing bits: "c2lm" → "sif"; "QQ" is canonical for "A", "QR" isn't.
    assert_eq!(b64_error(&format!("{h}.{p}.QR")), Part::Signature);
    assert!(parse(&format!("{h}.{p}.QQ")).is_ok());
}

#[test]
fn padding_is_rejected() {
    let (h, p) = (b64(HS), b64(r#"{"sub":"abc"}"#));
    assert!(!p.ends_with('='));
    assert_eq!(b64_error(&format!("{h}.{p}=.c2ln")), Part::Payload);
    assert_eq!(b64_error(&format!("{h}=.{p}.c2ln")), Part::Header);
    assert_eq!(b64_error(&format!("{h}.{p}.c2lnQQ==")), Part::Signature);
    // The same payload encoded with std padding.
    let padded = STANDARD.encode(r#"{"sub":"abc"}"#);
    assert!(padded.ends_with('='));
    assert!(matches!(
        parse(&format!("{h}.{padded}.c2ln")),
        Err(JwsError::Base64 {
            part: Part::Payload,
            ..
        })
    ));
}

/// The parser guesses where the signature starts from common signature lengths;
/// a dot anywhere else must still be reported as too many parts, before any other
/// error.
#[test]
fn extra_dots_are_part_count_errors_whatever_the_signature_length() {
    let (h, p) = (b64(HS), b64(CLAIMS));
    let four = Err(JwsError::PartCount { found: 4 });
    for n in [342, 86, 43, 683, 512, 128, 64, 10, 2] {
        let sig = "A".repeat(n);
        let good = format!("{h}.{p}.{sig}");
        assert!(parse(&good).is_ok(), "{n}");
        for cut in [0, 1, n / 2, n - 1] {
            let mut dotted = sig.clone();
            dotted.replace_range(cut..=cut, ".");
            assert_eq!(parse(&format!("{h}.{p}.{dotted}")), four, "{n} {cut}");
            // Too many parts wins over a bad header or payload.
            assert_eq!(parse(&format!("!{h}.{p}.{dotted}")), four, "{n} {cut}");
            assert_eq!(parse(&format!("{h}.!{p}.{dotted}")), four, "{n} {cut}");
        }
        let (p1, p2) = p.split_at(3);
        assert_eq!(parse(&format!("{h}.{p1}.{p2}.{sig}")), four, "{n}");
        assert_eq!(parse(&format!("{h}.{p}.x.{sig}")), four, "{n}");
        assert_eq!(parse(&format!("{good}.x")), four, "{n}");
        assert_eq!(parse(&format!("{good}.")), four, "{n}");
        assert_eq!(parse(&format!("!.{p1}.{p2}.{sig}")), four, "{n}");
        assert_eq!(
            parse(&format!("{h}{p}.{sig}")),
            Err(JwsError::PartCount { found: 2 }),
            "{n}"
        );
    }
}

#[test]
fn part_count_and_empty_parts() {
    let (h, p) = (b64(HS), b64(CLAIMS));
    assert_eq!(
        parse(&format!("{h}.{p}")),
        Err(JwsError::PartCount { found: 2 })
    );
    assert_eq!(
        parse(&format!("{h}.{p}.c2ln.c2ln")),
        Err(JwsError::PartCount { found: 4 })
    );
    // Trailing dot.
    assert_eq!(
        parse(&format!("{h}.{p}.c2ln.")),
        Err(JwsError::PartCount { found: 4 })
    );
    // A JWE has five parts.
    assert_eq!(parse("a.b.c.d.e"), Err(JwsError::PartCount { found: 5 }));
    assert_eq!(parse(""), Err(JwsError::PartCount { found: 1 }));
    assert_eq!(parse("...."), Err(JwsError::PartCount { found: 5 }));
    assert_eq!(
        parse(&format!(".{p}.c2ln")),
        Err(JwsError::EmptyPart { part: Part::Header })
    );
    assert_eq!(
        parse(&format!("{h}..c2ln")),
        Err(JwsError::EmptyPart {
            part: Part::Payload
        })
    );
    // An unsecured JWS: empty signature.
    assert_eq!(
        parse(&format!("{h}.{p}.")),
        Err(JwsError::EmptyPart {
            part: Part::Signature
        })
    );
    assert_eq!(parse(".."), Err(JwsError::EmptyPart { part: Part::Header }));
    // RawJws allows an empty payload (legal JWS), still not an empty signature.
    let empty_payload = format!("{h}..c2ln");
    let raw = RawJws::parse(&empty_payload, &ParseOptions::default()).unwrap();
    assert!(raw.payload().is_empty());
}

#[test]
fn oversized_tokens_are_rejected_before_any_work() {
    let big_claim = "x".repeat(DEFAULT_MAX_TOKEN_LEN);
    let t = token(HS, &format!(r#"{{"sub":"{big_claim}"}}"#));
    assert_eq!(
        parse(&t),
        Err(JwsError::TooLong {
            len: t.len(),
            max: DEFAULT_MAX_TOKEN_LEN
        })
    );
    // Garbage that is too long is refused for its length, not its content.
    let garbage = "!".repeat(DEFAULT_MAX_TOKEN_LEN + 1);
    assert!(matches!(parse(&garbage), Err(JwsError::TooLong { .. })));
    // The limit is configurable both ways.
    let roomy = ParseOptions::default().max_token_len(t.len());
    assert!(Jws::parse(&t, &roomy).is_ok());
    let small = token(HS, CLAIMS);
    let tight = ParseOptions::default().max_token_len(small.len() - 1);
    assert!(matches!(
        Jws::parse(&small, &tight),
        Err(JwsError::TooLong { .. })
    ));
}

#[test]
fn duplicate_members_are_rejected() {
    // In the header: the classic "alg twice" trick.
    assert_eq!(
        parse(&token(r#"{"alg":"HS256","alg":"none"}"#, CLAIMS)),
        Err(JwsError::Json {
            part: Part::Header,
            error: JsonError::DuplicateMember { name: "alg".into() }
        })
    );
    // Top-level claim.
    assert_eq!(
        parse(&token(HS, r#"{"sub":"a","sub":"admin"}"#)),
        Err(JwsError::Json {
            part: Part::Payload,
            error: JsonError::DuplicateMember { name: "sub".into() }
        })
    );
    // Nested claim, inside an array, and via an escape.
    for payload in [
        r#"{"org":{"id":"a","roles":["x"],"id":"b"}}"#,
        r#"{"list":[{"k":1},{"k":1,"k":2}]}"#,
        r#"{"sub":"a","\u0073ub":"b"}"#,
    ] {
        assert!(
            matches!(
                parse(&token(HS, payload)),
                Err(JwsError::Json {
                    part: Part::Payload,
                    error: JsonError::DuplicateMember { .. }
                })
            ),
            "{payload}"
        );
    }
}

#[test]
fn header_and_payload_must_be_objects() {
    for bad in [
        "[]",
        r#""HS256""#,
        "1",
        "null",
        "true",
        "[{\"alg\":\"HS256\"}]",
    ] {
        assert_eq!(
            parse(&token(bad, CLAIMS)),
            Err(JwsError::Json {
                part: Part::Header,
                error: JsonError::NotAnObject
            }),
            "{bad}"
        );
        assert_eq!(
            parse(&token(HS, bad)),
            Err(JwsError::Json {
                part: Part::Payload,
                error: JsonError::NotAnObject
            }),
            "{bad}"
        );
    }
    for bad in ["{", "{\"a\":1,}", "{\"a\":1} x", " ", "{'a':1}"] {
        assert!(
            matches!(
                parse(&token(HS, bad)),
                Err(JwsError::Json {
                    part: Part::Payload,
                    error: JsonError::Syntax { .. }
                })
            ),
            "{bad}"
        );
    }
    // Not UTF-8.
    let t = format!("{}.{}.c2ln", b64(HS), b64(b"{\"sub\":\"\xff\"}"));
    assert!(matches!(
        parse(&t),
        Err(JwsError::Json {
            part: Part::Payload,
            error: JsonError::Syntax { .. }
        })
    ));
}

#[test]
fn json_bombs_are_errors_not_crashes() {
    let opts = ParseOptions::default().max_token_len(1 << 20);
    let arrays = format!("{{\"a\":{}", "[".repeat(100_000));
    let objects = "{\"a\":".repeat(100_000);
    for bomb in [&arrays, &objects] {
        let t = token(HS, bomb);
        assert_eq!(
            Jws::parse(&t, &opts),
            Err(JwsError::Json {
                part: Part::Payload,
                error: JsonError::TooDeep {
                    max: MAX_JSON_DEPTH
                }
            })
        );
        let t = token(bomb, CLAIMS);
        assert_eq!(
            Jws::parse(&t, &opts),
            Err(JwsError::Json {
                part: Part::Header,
                error: JsonError::TooDeep {
                    max: MAX_JSON_DEPTH
                }
            })
        );
    }
    // A bare array bomb is an error too (not an object, and too deep).
    let t = token(HS, &"[".repeat(100_000));
    assert!(Jws::parse(&t, &opts).is_err());
    // Within the limit is fine.
    let ok = format!(
        "{}1{}",
        "{\"a\":".repeat(MAX_JSON_DEPTH),
        "}".repeat(MAX_JSON_DEPTH)
    );
    assert!(Jws::parse(&token(HS, &ok), &opts).is_ok());
}

#[test]
fn alg_member_rules() {
    assert_eq!(
        parse(&token(r#"{"typ":"JWT"}"#, CLAIMS)),
        Err(JwsError::MissingAlgorithm)
    );
    for bad in [r#"{"alg":256}"#, r#"{"alg":null}"#, r#"{"alg":["HS256"]}"#] {
        assert_eq!(
            parse(&token(bad, CLAIMS)),
            Err(JwsError::InvalidHeaderMember {
                name: "alg",
                expected: "a string"
            }),
            "{bad}"
        );
    }
    for none in ["none", "None", "NONE"] {
        assert_eq!(
            parse(&token(&format!(r#"{{"alg":"{none}"}}"#), CLAIMS)),
            Err(JwsError::Algorithm(AlgorithmError::None))
        );
    }
    assert_eq!(
        parse(&token(r#"{"alg":"HS257"}"#, CLAIMS)),
        Err(JwsError::Algorithm(AlgorithmError::Unknown {
            alg: "HS257".into()
        }))
    );
    assert_eq!(
        parse(&token(r#"{"alg":"ES512"}"#, CLAIMS)),
        Err(JwsError::Algorithm(AlgorithmError::Unsupported {
            alg: "ES512".into()
        }))
    );
    assert_eq!(
        parse(&token(r#"{"alg":""}"#, CLAIMS)),
        Err(JwsError::Algorithm(AlgorithmError::Unknown {
            alg: "".into()
        }))
    );
}

#[test]
fn crit_is_rejected_unless_understood() {
    // Unknown extension.
    assert_eq!(
        parse(&token(r#"{"alg":"HS256","crit":["exp"],"exp":1}"#, CLAIMS)),
        Err(JwsError::UnsupportedCrit { name: "exp".into() })
    );
    // Malformed crit values.
    for (header, reason) in [
        (r#"{"alg":"HS256","crit":"exp","exp":1}"#, "not an array"),
        (r#"{"alg":"HS256","crit":[]}"#, "empty array"),
        (r#"{"alg":"HS256","crit":[1]}"#, "contains a non-string"),
        (
            r#"{"alg":"HS256","crit":["alg"]}"#,
            "lists a registered header parameter",
        ),
        (
            r#"{"alg":"HS256","crit":["kid"],"kid":"a"}"#,
            "lists a registered header parameter",
        ),
        (
            r#"{"alg":"HS256","crit":["exp","exp"],"exp":1}"#,
            "lists a name twice",
        ),
        (
            r#"{"alg":"HS256","crit":["exp"]}"#,
            "lists a parameter that is not in the header",
        ),
    ] {
        assert_eq!(
            parse(&token(header, CLAIMS)),
            Err(JwsError::MalformedCrit { reason }),
            "{header}"
        );
    }
    // Declared as understood: accepted and reported.
    let opts = ParseOptions::default().understand_crit("exp");
    let t = token(r#"{"alg":"HS256","crit":["exp"],"exp":1}"#, CLAIMS);
    let jws = Jws::parse(&t, &opts).unwrap();
    assert_eq!(jws.header().crit, Some(vec!["exp".to_string()]));
    assert_eq!(jws.header().extra["exp"], 1);
    // Understanding one extension doesn't cover another.
    let t = token(
        r#"{"alg":"HS256","crit":["exp","foo"],"exp":1,"foo":2}"#,
        CLAIMS,
    );
    assert_eq!(
        Jws::parse(&t, &opts),
        Err(JwsError::UnsupportedCrit { name: "foo".into() })
    );
}

#[test]
fn unencoded_payload_is_rejected() {
    for header in [
        r#"{"alg":"HS256","b64":false}"#,
        r#"{"alg":"HS256","b64":false,"crit":["b64"]}"#,
        r#"{"alg":"HS256","b64":"false"}"#,
        r#"{"alg":"HS256","b64":0}"#,
    ] {
        assert_eq!(
            parse(&token(header, CLAIMS)),
            Err(JwsError::UnencodedPayload),
            "{header}"
        );
    }
    // b64:true is the default meaning; listed in crit it is still not understood.
    assert!(parse(&token(r#"{"alg":"HS256","b64":true}"#, CLAIMS)).is_ok());
    assert_eq!(
        Jws::parse(
            &token(r#"{"alg":"HS256","b64":true,"crit":["b64"]}"#, CLAIMS),
            &ParseOptions::default().understand_crit("b64")
        ),
        Err(JwsError::UnsupportedCrit { name: "b64".into() })
    );
}

#[test]
fn registered_members_have_types() {
    for (header, name) in [
        (r#"{"alg":"HS256","kid":1}"#, "kid"),
        (r#"{"alg":"HS256","typ":{}}"#, "typ"),
        (r#"{"alg":"HS256","jku":[]}"#, "jku"),
        (r#"{"alg":"HS256","x5u":1}"#, "x5u"),
        (r#"{"alg":"HS256","jwk":"k"}"#, "jwk"),
        (r#"{"alg":"HS256","x5c":"MII"}"#, "x5c"),
        (r#"{"alg":"HS256","x5c":[1]}"#, "x5c"),
    ] {
        assert!(
            matches!(
                parse(&token(header, CLAIMS)),
                Err(JwsError::InvalidHeaderMember { name: n, .. }) if n == name
            ),
            "{header}"
        );
    }
}

#[test]
fn embedded_keys_are_data_never_trusted() {
    // An attacker signs with their own key and embeds it (jwk), points at their JWKS
    // (jku/x5u) and adds a chain (x5c). The header is parsed, but verification uses only
    // the configured key and fails.
    let attacker = SigningKey::generate_es256().unwrap();
    let victim = SigningKey::generate_es256().unwrap().with_kid("real");
    let attacker_jwk = serde_json::to_value(attacker.to_public_jwk().unwrap()).unwrap();
    let mut extras = Map::new();
    extras.insert("kid".into(), json!("real"));
    extras.insert("jwk".into(), attacker_jwk);
    extras.insert("jku".into(), json!("https://attacker.example/jwks.json"));
    extras.insert("x5u".into(), json!("https://attacker.example/cert.pem"));
    extras.insert("x5c".into(), json!(["MIIBfake"]));
    let forged = attacker
        .sign_token(&extras, &json!({"sub":"admin"}))
        .unwrap();

    let jws = parse(&forged).unwrap();
    assert!(jws.header().jwk.is_some());
    assert_eq!(
        jws.header().jku.as_deref(),
        Some("https://attacker.example/jwks.json")
    );
    assert_eq!(jws.header().x5c.as_ref().map(Vec::len), Some(1));

    let mut keys = KeySet::new();
    keys.insert(victim.verifying_key().unwrap());
    let key = keys.find(jws.kid(), jws.algorithm()).unwrap();
    assert_eq!(
        key.verify(jws.algorithm(), jws.signing_input(), jws.signature()),
        Err(KeyError::InvalidSignature)
    );
}

#[test]
fn rsa_1024_and_other_weak_or_unsupported_keys_are_rejected() {
    assert_eq!(
        VerifyingKey::from_pem(RSA1024_SPKI).unwrap_err(),
        KeyError::RsaKeyTooSmall { bits: 1024 }
    );
    assert_eq!(
        VerifyingKey::from_pem(P521_SPKI).unwrap_err(),
        KeyError::UnsupportedCurve {
            crv: "P-521".into()
        }
    );
    // Same 1024-bit key as a JWK.
    let der = STANDARD
        .decode(
            RSA1024_SPKI
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>(),
        )
        .unwrap();
    assert_eq!(
        VerifyingKey::from_spki_der(&der).unwrap_err(),
        KeyError::RsaKeyTooSmall { bits: 1024 }
    );
    // Unknown key types and curves from JWK.
    let jwk = Jwk::from_json(r#"{"kty":"OKP","crv":"X25519","x":"AAAA"}"#).unwrap();
    assert!(matches!(
        VerifyingKey::from_jwk(&jwk),
        Err(KeyError::UnsupportedCurve { .. })
    ));
    let jwk = Jwk::from_json(r#"{"kty":"DSA"}"#).unwrap();
    assert!(matches!(
        VerifyingKey::from_jwk(&jwk),
        Err(KeyError::UnsupportedKeyType { .. })
    ));
    // Public exponent 1 (no-op RSA) and an even exponent.
    let rsa = VerifyingKey::from_pem(RSA_SPKI).unwrap();
    let KeyKind::Rsa { bits } = rsa.kind() else {
        panic!("RSA expected")
    };
    assert_eq!(bits, 2048);
    let n = vec![0xc5u8; 256];
    assert!(matches!(
        VerifyingKey::rsa(&n, &[1]),
        Err(KeyError::InvalidRsaKey { .. })
    ));
    assert!(matches!(
        VerifyingKey::rsa(&n, &[1, 0, 0]),
        Err(KeyError::InvalidRsaKey { .. })
    ));
    // Empty HMAC secret.
    assert_eq!(
        VerifyingKey::hmac(b"").unwrap_err(),
        KeyError::EmptyHmacSecret
    );
}

#[test]
fn hs256_with_rsa_public_key_as_secret_is_rejected() {
    // The algorithm-confusion attack: sign HS256 with the RSA *public* key bytes (which
    // the attacker knows) and hope the verifier feeds its RSA key into HMAC.
    let rsa_key = VerifyingKey::from_pem(RSA_SPKI).unwrap().with_kid("rsa");
    let public_bytes = RSA_SPKI.as_bytes();
    let attacker = SigningKey::hmac(Algorithm::HS256, public_bytes)
        .unwrap()
        .with_kid("rsa");
    let forged = attacker
        .sign_token(&Map::new(), &json!({"sub":"admin"}))
        .unwrap();
    let jws = parse(&forged).unwrap();
    assert_eq!(jws.algorithm(), Algorithm::HS256);

    // The forgery is a genuine HMAC over those bytes…
    VerifyingKey::hmac(public_bytes)
        .unwrap()
        .verify(Algorithm::HS256, jws.signing_input(), jws.signature())
        .unwrap();
    // …but an RSA key never does HMAC.
    assert_eq!(
        rsa_key.verify(Algorithm::HS256, jws.signing_input(), jws.signature()),
        Err(KeyError::IncompatibleAlgorithm {
            alg: Algorithm::HS256,
            key: KeyKind::Rsa { bits: 2048 }
        })
    );
    // Also through key lookup by kid.
    let mut keys = KeySet::new();
    keys.insert(rsa_key);
    assert!(matches!(
        keys.find(jws.kid(), jws.algorithm()),
        Err(KeyError::IncompatibleAlgorithm { .. })
    ));
    // And the same with the DER bytes as secret.
    let der = STANDARD
        .decode(
            RSA_SPKI
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>(),
        )
        .unwrap();
    let attacker = SigningKey::hmac(Algorithm::HS256, &der).unwrap();
    let forged = attacker.sign_token(&Map::new(), &json!({})).unwrap();
    let jws = parse(&forged).unwrap();
    assert!(matches!(
        VerifyingKey::from_spki_der(&der).unwrap().verify(
            jws.algorithm(),
            jws.signing_input(),
            jws.signature()
        ),
        Err(KeyError::IncompatibleAlgorithm { .. })
    ));
}

#[test]
fn header_alg_must_match_jwk_alg() {
    let signer = SigningKey::rsa_pem(RSA_PKCS8, Algorithm::PS256).unwrap();
    let token = signer.sign_token(&Map::new(), &json!({"sub":"a"})).unwrap();
    let jws = parse(&token).unwrap();
    // The JWK says RS256; the token (validly signed by the same key) says PS256.
    let mut jwk = signer.to_public_jwk().unwrap();
    jwk.alg = Some("RS256".into());
    let key = VerifyingKey::from_jwk(&jwk).unwrap();
    assert_eq!(key.algorithm(), Some(Algorithm::RS256));
    assert_eq!(
        key.verify(jws.algorithm(), jws.signing_input(), jws.signature()),
        Err(KeyError::AlgorithmMismatch {
            requested: Algorithm::PS256,
            allowed: Algorithm::RS256
        })
    );
    // Without the restriction the signature itself is fine.
    jwk.alg = None;
    VerifyingKey::from_jwk(&jwk)
        .unwrap()
        .verify(jws.algorithm(), jws.signing_input(), jws.signature())
        .unwrap();
    // A JWK alg that doesn't fit the key type is refused at build time.
    jwk.alg = Some("ES256".into());
    assert!(matches!(
        VerifyingKey::from_jwk(&jwk),
        Err(KeyError::AlgorithmDoesNotFitKey { .. })
    ));
    jwk.alg = Some("RSA-OAEP".into());
    assert!(matches!(
        VerifyingKey::from_jwk(&jwk),
        Err(KeyError::JwkAlgorithm(AlgorithmError::Unknown { .. }))
    ));
}

#[test]
fn ec_and_ed_keys_refuse_other_algorithms() {
    let ec = VerifyingKey::from_pem(P256_SPKI).unwrap();
    assert_eq!(ec.algorithm(), Some(Algorithm::ES256));
    for alg in [
        Algorithm::RS256,
        Algorithm::PS256,
        Algorithm::ES384,
        Algorithm::EdDSA,
        Algorithm::HS256,
    ] {
        assert!(
            matches!(
                ec.verify(alg, b"a.b", &[0; 64]),
                Err(KeyError::IncompatibleAlgorithm { .. })
            ),
            "{alg}"
        );
    }
    let ed = VerifyingKey::from_pem(ED25519_SPKI).unwrap();
    assert!(matches!(
        ed.verify(Algorithm::ES256, b"a.b", &[0; 64]),
        Err(KeyError::IncompatibleAlgorithm { .. })
    ));
    let hmac = VerifyingKey::hmac(b"0123456789abcdef0123456789abcdef").unwrap();
    assert!(matches!(
        hmac.verify(Algorithm::EdDSA, b"a.b", &[0; 64]),
        Err(KeyError::IncompatibleAlgorithm { .. })
    ));
}

#[test]
fn key_lookup_rules() {
    let a = SigningKey::generate_ed25519().unwrap().with_kid("a");
    let b = SigningKey::generate_es256().unwrap().with_kid("b");
    let mut keys = KeySet::new();
    keys.insert(a.verifying_key().unwrap());
    keys.insert(b.verifying_key().unwrap());
    // No kid: the single compatible key is used.
    assert_eq!(keys.find(None, Algorithm::EdDSA).unwrap().kid(), Some("a"));
    assert_eq!(keys.find(None, Algorithm::ES256).unwrap().kid(), Some("b"));
    assert_eq!(
        keys.find(None, Algorithm::RS256).unwrap_err(),
        KeyError::NoMatchingKey { kid: None }
    );
    // Unknown kid.
    assert_eq!(
        keys.find(Some("zzz"), Algorithm::EdDSA).unwrap_err(),
        KeyError::NoMatchingKey {
            kid: Some("zzz".into())
        }
    );
    // Two compatible keys and no kid: ambiguous.
    keys.insert(
        SigningKey::generate_ed25519()
            .unwrap()
            .with_kid("c")
            .verifying_key()
            .unwrap(),
    );
    assert!(matches!(
        keys.find(None, Algorithm::EdDSA),
        Err(KeyError::AmbiguousKey {
            kid: None,
            candidates: 2
        })
    ));
    assert_eq!(keys.len(), 3);
    assert!(keys.contains(&a.verifying_key().unwrap().fingerprint()));
}

#[test]
fn garbage_keys_never_panic() {
    let der = STANDARD
        .decode(
            RSA_SPKI
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>(),
        )
        .unwrap();
    // Every truncation of a valid SPKI.
    for end in 0..der.len() {
        assert!(VerifyingKey::from_spki_der(&der[..end]).is_err(), "{end}");
    }
    // Trailing garbage.
    let mut longer = der.clone();
    longer.push(0);
    assert!(matches!(
        VerifyingKey::from_spki_der(&longer),
        Err(KeyError::Der { .. })
    ));
    // Single-byte corruptions anywhere: an error or (if the change lands in the modulus)
    // a different key — never a panic.
    let original = VerifyingKey::from_spki_der(&der).unwrap().fingerprint();
    for i in 0..der.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut bad = der.clone();
            bad[i] ^= flip;
            if let Ok(key) = VerifyingKey::from_spki_der(&bad) {
                assert_ne!(key.fingerprint(), original);
            }
        }
    }
    // Pseudo-random input.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for len in 0..600 {
        let bytes: Vec<u8> = (0..len % 300)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let _ = VerifyingKey::from_spki_der(&bytes);
        let _ = VerifyingKey::from_pkcs1_der(&bytes);
        let _ = VerifyingKey::from_pem(&String::from_utf8_lossy(&bytes));
    }
    // Bad PEMs.
    for pem in [
        "",
        "-----BEGIN PUBLIC KEY-----",
        "-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
    ] {
        assert!(VerifyingKey::from_pem(pem).is_err(), "{pem}");
    }
}

#[tokio::test]
async fn header_parameters_without_meaning_for_a_signed_jwt_are_refused() {
    use auth0_jwt::access_token::AccessTokenValidator;
    use auth0_jwt::error::Error;
    use auth0_jwt::verifier::StaticKeys;

    // RFC 7516 §4.1.3 / RFC 8725 §3.6: `zip` is JWE-only; RFC 7519 §5.2: a
    // `cty` of JWT marks a nested token, which is not processed.
    let refused = [
        (json!({"zip": "DEF"}), JwsError::CompressedPayload),
        (json!({"zip": null}), JwsError::CompressedPayload),
        (json!({"cty": "JWT"}), JwsError::NestedJwt),
        (json!({"cty": "jwt"}), JwsError::NestedJwt),
        (json!({"cty": "application/JWT"}), JwsError::NestedJwt),
    ];
    let signer = SigningKey::generate_es256().unwrap().with_kid("k1");
    let validator = AccessTokenValidator::builder()
        .key_source(StaticKeys::from_key(signer.verifying_key().unwrap()))
        .issuer("https://issuer.example/")
        .audience("https://api.example")
        .algorithms([Algorithm::ES256])
        .build()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({
        "iss": "https://issuer.example/", "aud": "https://api.example",
        "sub": "a", "iat": now, "exp": now + 600,
    });
    let sign = |extras: &serde_json::Value| {
        let extras: Map<String, serde_json::Value> = extras.as_object().unwrap().clone();
        signer.sign_token(&extras, &claims).unwrap()
    };
    for (extras, expected) in refused {
        let token = sign(&extras);
        assert_eq!(parse(&token).unwrap_err(), expected, "{extras}");
        match validator.validate(&token).await {
            Err(Error::Malformed(e)) => assert_eq!(e, expected, "{extras}"),
            other => panic!("{extras}: expected a malformed-token error, got {other:?}"),
        }
    }
    // Another content type is only data; the same key and claims pass.
    for extras in [json!({}), json!({"cty": "json"}), json!({"cty": "JWS"})] {
        validator.validate(&sign(&extras)).await.unwrap();
    }
}
