//! Known JWT attacks and malformed input: each is refused with a precise error.

// Helpers outside #[test] fns unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "fixtures/validate/support.rs"]
mod support;

use auth0_jwt::access_token::AccessTokenValidator;
use auth0_jwt::alg::Algorithm;
use auth0_jwt::error::Error;
use auth0_jwt::id_token::{TokenVerifier, VerifyOptions};
use auth0_jwt::jws::JwsError;
use auth0_jwt::key::{KeyError, KeySet};
use auth0_jwt::sign::SigningKey;
use auth0_jwt::verifier::{AsymmetricSignatureVerifier, StaticKeys};
use serde_json::{Value, json};
use support::*;

/// JWKS with rsa1 (kid k1, alg RS256) and ec1 (kid e1, alg ES256).
fn jwks_json() -> String {
    let keys: Vec<Value> = [rsa1("k1"), ec1("e1")]
        .iter()
        .map(|k| serde_json::to_value(k.to_public_jwk().unwrap()).unwrap())
        .collect();
    json!({ "keys": keys }).to_string()
}

fn id_verifier() -> TokenVerifier {
    TokenVerifier::builder()
        .signature_verifier(AsymmetricSignatureVerifier::from_jwks_json(&jwks_json()).unwrap())
        .issuer(ISSUER)
        .audience(CLIENT_ID)
        .shared_clock(clock())
        .build()
        .unwrap()
}

fn at_validator(algorithms: &[Algorithm]) -> AccessTokenValidator {
    AccessTokenValidator::builder()
        .key_source(StaticKeys::from_jwks_json(&jwks_json()).unwrap())
        .issuer(ISSUER)
        .audience(API)
        .algorithms(algorithms.iter().copied())
        .shared_clock(clock())
        .build()
        .unwrap()
}

async fn id_err(token: &str) -> Error {
    id_verifier()
        .verify(token, &VerifyOptions::new())
        .await
        .map(|c| panic!("accepted: {c:?}"))
        .unwrap_err()
}

async fn at_err(token: &str) -> Error {
    at_validator(&[Algorithm::RS256])
        .validate(token)
        .await
        .map(|c| panic!("accepted: {c:?}"))
        .unwrap_err()
}

fn malformed(e: &Error) -> &JwsError {
    match e {
        Error::Malformed(inner) => inner,
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[tokio::test]
async fn sanity_valid_tokens_pass() {
    id_verifier()
        .verify(
            &sign(&rsa1("k1"), json!({}), id_claims()),
            &VerifyOptions::new(),
        )
        .await
        .unwrap();
    at_validator(&[Algorithm::RS256])
        .validate(&sign(&rsa1("k1"), json!({}), at_claims()))
        .await
        .unwrap();
}

#[tokio::test]
async fn alg_none_is_refused() {
    for alg in ["none", "None", "NONE"] {
        // With a (garbage) signature the alg itself is what is refused.
        let t = raw_token(&json!({"alg": alg, "kid": "k1"}), &id_claims(), b"sig");
        let e = id_err(&t).await;
        assert!(matches!(e, Error::AlgorithmNotSupported { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            r#"Signature algorithm of "none" is not supported. Expected the token to be signed with "RS256""#
        );
        let e = at_err(&raw_token(&json!({"alg": alg}), &at_claims(), b"sig")).await;
        assert!(matches!(e, Error::AlgorithmNotSupported { .. }), "{e:?}");
    }
    // The classic unsigned form `header.payload.` has an empty signature part.
    let unsigned = format!(
        "{}.{}.",
        b64(json!({"alg": "none"}).to_string().as_bytes()),
        b64(id_claims().to_string().as_bytes())
    );
    let e = id_err(&unsigned).await;
    assert!(matches!(malformed(&e), JwsError::EmptyPart { .. }), "{e:?}");
}

#[tokio::test]
async fn hs256_signed_with_the_rsa_public_key_is_refused() {
    // Key confusion: the attacker HMACs with the PEM public key as the secret.
    let forger = SigningKey::hmac(Algorithm::HS256, RSA1_PUBLIC.as_bytes())
        .unwrap()
        .with_kid("k1");
    let id = sign(&forger, json!({}), id_claims());
    let e = id_err(&id).await;
    assert!(matches!(e, Error::AlgorithmNotSupported { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        r#"Signature algorithm of "HS256" is not supported. Expected the token to be signed with "RS256""#
    );
    let at = sign(&forger, json!({}), at_claims());
    assert!(matches!(
        at_err(&at).await,
        Error::AlgorithmNotSupported { .. }
    ));

    // Even a validator that allows HS256 never uses an RSA key as an HMAC secret.
    let lax = at_validator(&[Algorithm::RS256, Algorithm::HS256]);
    let e = lax.validate(&at).await.unwrap_err();
    assert!(
        matches!(e, Error::Key(KeyError::IncompatibleAlgorithm { .. })),
        "{e:?}"
    );
    // A PEM-configured verifier (no kid matching) refuses it the same way.
    let pem_source = StaticKeys::from_pem(RSA1_PUBLIC).unwrap();
    let lax_pem = AccessTokenValidator::builder()
        .key_source(pem_source)
        .issuer(ISSUER)
        .audience(API)
        .algorithms([Algorithm::RS256, Algorithm::HS256])
        .shared_clock(clock())
        .build()
        .unwrap();
    let e = lax_pem.validate(&at).await.unwrap_err();
    assert!(
        matches!(e, Error::Key(KeyError::IncompatibleAlgorithm { .. })),
        "{e:?}"
    );
}

#[tokio::test]
async fn kid_pointing_at_a_key_of_another_type() {
    // RS256 token whose kid names the EC key.
    let t = sign(&rsa1("e1"), json!({}), at_claims());
    let e = at_err(&t).await;
    assert!(
        matches!(e, Error::Key(KeyError::IncompatibleAlgorithm { .. })),
        "{e:?}"
    );
    assert!(std::error::Error::source(&e).is_some());
    let e = id_err(&sign(&rsa1("e1"), json!({}), id_claims())).await;
    assert!(matches!(e, Error::Key(_)), "{e:?}");
}

#[tokio::test]
async fn header_alg_differs_from_the_jwk_alg() {
    // Same RSA key, PS256 instead of the JWK's pinned RS256.
    let ps = SigningKey::rsa_pem(RSA1_PRIVATE, Algorithm::PS256)
        .unwrap()
        .with_kid("k1");
    let t = sign(&ps, json!({}), at_claims());
    let v = at_validator(&[Algorithm::RS256, Algorithm::PS256]);
    let e = v.validate(&t).await.unwrap_err();
    assert!(
        matches!(e, Error::Key(KeyError::AlgorithmMismatch { .. })),
        "{e:?}"
    );
    // The ID-token verifier is fixed to RS256.
    let e = id_err(&sign(&ps, json!({}), id_claims())).await;
    assert!(matches!(e, Error::AlgorithmNotSupported { .. }), "{e:?}");
}

#[tokio::test]
async fn wrongly_typed_registered_claims() {
    let t = sign(
        &rsa1("k1"),
        json!({}),
        with(at_claims(), json!({"exp": "9999999999"})),
    );
    assert!(matches!(at_err(&t).await, Error::ExpirationInvalid { .. }));
    let t = sign(
        &rsa1("k1"),
        json!({}),
        with(id_claims(), json!({"exp": "9999999999"})),
    );
    assert_eq!(
        id_err(&t).await.to_string(),
        "Expiration Time (exp) claim must be a number present in the ID token"
    );
    let t = sign(&rsa1("k1"), json!({}), with(at_claims(), json!({"aud": 5})));
    assert!(matches!(at_err(&t).await, Error::AudienceInvalid { .. }));
    let t = sign(&rsa1("k1"), json!({}), with(id_claims(), json!({"aud": 5})));
    assert!(matches!(id_err(&t).await, Error::AudienceInvalid { .. }));
    let t = sign(
        &rsa1("k1"),
        json!({}),
        with(at_claims(), json!({"exp": 1e300})),
    );
    assert!(matches!(at_err(&t).await, Error::ExpirationInvalid { .. }));
    let t = sign(
        &rsa1("k1"),
        json!({}),
        with(at_claims(), json!({"exp": u64::MAX})),
    );
    assert!(matches!(at_err(&t).await, Error::ExpirationInvalid { .. }));
    let mut claims = at_claims();
    claims["iss"] = Value::Null;
    let t = sign(&rsa1("k1"), json!({}), claims);
    assert!(matches!(at_err(&t).await, Error::IssuerInvalid { .. }));
}

#[tokio::test]
async fn oversized_token() {
    let big = with(at_claims(), json!({"padding": "x".repeat(20_000)}));
    let t = sign(&rsa1("k1"), json!({}), big);
    let e = at_err(&t).await;
    assert!(matches!(malformed(&e), JwsError::TooLong { .. }), "{e:?}");
    let e = id_err(&t).await;
    assert!(matches!(malformed(&e), JwsError::TooLong { .. }), "{e:?}");
}

#[tokio::test]
async fn bad_base64() {
    let t = sign(&rsa1("k1"), json!({}), at_claims());
    let (header, rest) = t.split_once('.').unwrap();
    for bad_header in [
        format!("{header}="),
        format!("+{}", &header[1..]),
        format!("{header} "),
    ] {
        let e = at_err(&format!("{bad_header}.{rest}")).await;
        assert!(matches!(malformed(&e), JwsError::Base64 { .. }), "{e:?}");
    }
    let e = at_err("!!!.???.***").await;
    assert!(matches!(malformed(&e), JwsError::Base64 { .. }), "{e:?}");
}

#[tokio::test]
async fn trailing_dot_and_extra_parts() {
    let t = sign(&rsa1("k1"), json!({}), at_claims());
    let e = at_err(&format!("{t}.")).await;
    assert!(
        matches!(malformed(&e), JwsError::PartCount { found: 4 }),
        "{e:?}"
    );
    let e = at_err(&format!("{t}.x.y")).await;
    assert!(
        matches!(malformed(&e), JwsError::PartCount { found: 5 }),
        "{e:?}"
    );
    let (prefix, _) = t.rsplit_once('.').unwrap();
    let e = at_err(prefix).await;
    assert!(
        matches!(malformed(&e), JwsError::PartCount { found: 2 }),
        "{e:?}"
    );
    let e = id_err("onlyonepart").await;
    assert!(
        matches!(malformed(&e), JwsError::PartCount { found: 1 }),
        "{e:?}"
    );
}

#[tokio::test]
async fn nested_json_bomb() {
    let depth = 5_000;
    let payload = format!(
        r#"{{"iss":"{ISSUER}","a":{}1{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let t = format!(
        "{}.{}.{}",
        b64(br#"{"alg":"RS256","kid":"k1"}"#),
        b64(payload.as_bytes()),
        b64(b"sig")
    );
    let e = at_err(&t).await;
    assert!(matches!(malformed(&e), JwsError::Json { .. }), "{e:?}");
    let e = id_err(&t).await;
    assert!(matches!(malformed(&e), JwsError::Json { .. }), "{e:?}");
}

#[tokio::test]
async fn duplicate_claims_are_refused() {
    let payload = format!(r#"{{"iss":"{ISSUER}","iss":"https://evil/"}}"#);
    let t = format!(
        "{}.{}.{}",
        b64(br#"{"alg":"RS256","kid":"k1"}"#),
        b64(payload.as_bytes()),
        b64(b"sig")
    );
    let e = at_err(&t).await;
    assert!(matches!(malformed(&e), JwsError::Json { .. }), "{e:?}");
}

#[tokio::test]
async fn messages_never_contain_the_token() {
    let t = sign(&rsa2("k1"), json!({}), at_claims());
    let e = at_err(&t).await;
    let (_, _, sig) = {
        let mut parts = t.split('.');
        (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        )
    };
    for text in [e.to_string(), format!("{e:?}")] {
        assert!(!text.contains(sig), "{text}");
    }
    let e = at_err(&format!("{t}.")).await;
    assert!(!format!("{e:?}{e}").contains(sig));
}

#[tokio::test]
async fn symmetric_keys_are_not_shared_with_asymmetric_verifier() {
    // An `oct` JWK with the right kid cannot make an RS256 verifier accept HS256.
    let mut keys = KeySet::new();
    keys.insert(
        auth0_jwt::key::VerifyingKey::hmac(SECRET)
            .unwrap()
            .with_kid("k1"),
    );
    let verifier = TokenVerifier::new(
        AsymmetricSignatureVerifier::from_key_set(keys),
        ISSUER,
        CLIENT_ID,
    )
    .unwrap();
    let t = sign(&hs256().with_kid("k1"), json!({}), id_claims());
    let e = verifier
        .verify(&t, &VerifyOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::AlgorithmNotSupported { .. }), "{e:?}");
}

// ---- Regression tests from the jwt-perf review (one-pass claims parser, RFC 8725) ----

/// Signs hand-written header and claims JSON text (what `json!` can't express:
/// escapes, duplicates, huge numbers) with `key`.
fn sign_text(key: &SigningKey, header: &str, claims: &str) -> String {
    let input = format!("{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()));
    let sig = key.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", b64(&sig))
}

fn hs_validator() -> AccessTokenValidator {
    AccessTokenValidator::builder()
        .key_source(StaticKeys::from_key(
            auth0_jwt::key::VerifyingKey::hmac(SECRET).unwrap(),
        ))
        .issuer(ISSUER)
        .audience(API)
        .algorithms([Algorithm::HS256])
        .shared_clock(clock())
        .build()
        .unwrap()
}

fn at_claims_text(extra: &str) -> String {
    format!(
        r#"{{"iss":"{ISSUER}","sub":"auth0|u1","aud":"{API}","iat":{},"exp":{}{extra}}}"#,
        NOW - 10,
        NOW + 3600
    )
}

#[tokio::test]
async fn id_token_typed_as_access_token_is_refused() {
    // RFC 9068 §2.1 / RFC 8725 §3.11: an `at+jwt` is an access token, even when
    // the same key signs both kinds.
    for typ in ["at+jwt", "application/AT+JWT"] {
        let t = sign(&rsa1("k1"), json!({ "typ": typ }), id_claims());
        let e = id_err(&t).await;
        assert!(matches!(e, Error::TypeMismatch { .. }), "{typ}: {e:?}");
    }
    // `JWT` (Auth0's ID-token type) and no `typ` still pass.
    for header in [json!({ "typ": "JWT" }), json!({})] {
        let t = sign(&rsa1("k1"), header, id_claims());
        id_verifier()
            .verify(&t, &VerifyOptions::new())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn times_at_the_integer_limits_neither_overflow_nor_panic() {
    let v = hs_validator();
    // exp = i64::MAX plus leeway saturates: valid, no overflow.
    let t = sign(
        &hs256(),
        json!({}),
        with(
            at_claims(),
            json!({"exp": i64::MAX, "nbf": i64::MIN, "iat": i64::MIN}),
        ),
    );
    let claims = v.validate(&t).await.unwrap();
    assert_eq!(claims.exp(), Some(i64::MAX));
    // nbf / iat = i64::MAX: not yet valid, reported without overflow.
    let t = sign(
        &hs256(),
        json!({}),
        with(at_claims(), json!({"nbf": i64::MAX})),
    );
    assert!(matches!(
        v.validate(&t).await.unwrap_err(),
        Error::NotYetValid { .. }
    ));
    let t = sign(
        &hs256(),
        json!({}),
        with(at_claims(), json!({"iat": i64::MAX})),
    );
    assert!(matches!(
        v.validate(&t).await.unwrap_err(),
        Error::IssuedInFuture { .. }
    ));
    // exp = i64::MIN minus nothing: expired.
    let t = sign(
        &hs256(),
        json!({}),
        with(at_claims(), json!({"exp": i64::MIN})),
    );
    assert!(matches!(
        v.validate(&t).await.unwrap_err(),
        Error::Expired { .. }
    ));
    // A huge leeway and a clock at the end of time.
    let v = AccessTokenValidator::builder()
        .key_source(StaticKeys::from_key(
            auth0_jwt::key::VerifyingKey::hmac(SECRET).unwrap(),
        ))
        .issuer(ISSUER)
        .audience(API)
        .algorithms([Algorithm::HS256])
        .leeway(std::time::Duration::MAX)
        .clock(auth0_jwt::ManualClock::new(i64::MAX))
        .build()
        .unwrap();
    let t = sign(
        &hs256(),
        json!({}),
        with(at_claims(), json!({"nbf": i64::MAX})),
    );
    v.validate(&t).await.unwrap();
    // ID token: auth_time + max_age + leeway saturates.
    let verifier = TokenVerifier::builder()
        .signature_verifier(auth0_jwt::SymmetricSignatureVerifier::new(SECRET).unwrap())
        .issuer(ISSUER)
        .audience(CLIENT_ID)
        .leeway(std::time::Duration::MAX)
        .shared_clock(clock())
        .build()
        .unwrap();
    let t = sign(
        &hs256(),
        json!({}),
        with(id_claims(), json!({"exp": i64::MAX, "auth_time": i64::MAX})),
    );
    verifier
        .verify(&t, &VerifyOptions::new().max_age(std::time::Duration::MAX))
        .await
        .unwrap();
}

#[tokio::test]
async fn float_dates() {
    let v = hs_validator();
    let check = |extra: &str| sign_text(&hs256(), r#"{"alg":"HS256"}"#, &at_claims_text(extra));
    // NumericDates are integers (RFC 7519 §2 allows fractions; Auth0 never
    // issues them and auth0-python/jsonwebtoken refuse them): a fraction is
    // refused, not truncated (tests/numeric_dates.rs has the whole matrix).
    let t = check(&format!(r#","nbf":{}.75"#, NOW - 1));
    let e = v.validate(&t).await.unwrap_err();
    assert!(matches!(e, Error::NotBeforeInvalid { .. }), "{e:?}");
    // Negative and huge floats are not dates either.
    for extra in [r#","nbf":-1.5"#, r#","nbf":9.3e18"#, r#","nbf":1e300"#] {
        let e = v.validate(&check(extra)).await.unwrap_err();
        assert!(
            matches!(e, Error::NotBeforeInvalid { .. }),
            "{extra}: {e:?}"
        );
    }
    // Beyond f64 (serde_json refuses to round it to infinity): malformed, no panic.
    let e = v.validate(&check(r#","nbf":1e400"#)).await.unwrap_err();
    assert!(matches!(e, Error::Malformed(_)), "{e:?}");
    // An integer beyond i64 is not a date either.
    let e = v
        .validate(&check(r#","nbf":18446744073709551615"#))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotBeforeInvalid { .. }), "{e:?}");
}

#[tokio::test]
async fn claim_type_confusion_is_an_error_not_an_absence() {
    let scoped = AccessTokenValidator::builder()
        .key_source(StaticKeys::from_key(
            auth0_jwt::key::VerifyingKey::hmac(SECRET).unwrap(),
        ))
        .issuer(ISSUER)
        .audience(API)
        .algorithms([Algorithm::HS256])
        .require_scopes(["read:a"])
        .shared_clock(clock())
        .build()
        .unwrap();
    let cases = [
        // scope must be a space-separated string, never an array
        (json!({"scope": ["read:a"]}), "scope"),
        // permissions must be an array of strings
        (json!({"permissions": "read:a"}), "permissions"),
        (json!({"permissions": ["read:a", 1]}), "permissions"),
        (json!({"jti": 5}), "jti"),
    ];
    for (change, claim) in cases {
        let t = sign(&hs256(), json!({}), with(at_claims(), change));
        match scoped.validate(&t).await.unwrap_err() {
            Error::InvalidClaim { claim: c, .. } => assert_eq!(c, claim),
            other => panic!("{claim}: {other:?}"),
        }
    }
    let v = hs_validator();
    for (change, want) in [
        (json!({"aud": [API, 5]}), "aud"),
        (json!({"aud": {"0": API}}), "aud"),
        (json!({"iss": [ISSUER]}), "iss"),
        (json!({"sub": 1}), "sub-ok"),
    ] {
        let t = sign(&hs256(), json!({}), with(at_claims(), change));
        let r = v.validate(&t).await;
        match (want, r) {
            ("aud", Err(Error::AudienceInvalid { .. })) => {}
            ("iss", Err(Error::IssuerInvalid { .. })) => {}
            // `sub` is not required by the access-token checks, but its type is.
            ("sub-ok", Err(Error::SubjectInvalid { .. })) => {}
            (want, other) => panic!("{want}: {other:?}"),
        }
    }
    // An empty audience array matches no audience.
    let t = sign(&hs256(), json!({}), with(at_claims(), json!({"aud": []})));
    assert!(matches!(
        v.validate(&t).await.unwrap_err(),
        Error::AudienceMismatch { .. }
    ));
}

#[tokio::test]
async fn duplicates_are_refused_even_when_escaped_or_nested() {
    let v = hs_validator();
    for extra in [
        // `\u0065xp` is `exp`
        r#","\u0065xp":1"#,
        // a custom claim twice
        r#","x":1,"x":2"#,
        // escaped custom claim twice
        r#","x":1,"\u0078":2"#,
        // a duplicate inside a custom claim's object
        r#","ctx":{"a":[{"k":1,"k":2}]}"#,
    ] {
        let e = v
            .validate(&sign_text(
                &hs256(),
                r#"{"alg":"HS256"}"#,
                &at_claims_text(extra),
            ))
            .await
            .unwrap_err();
        match malformed(&e) {
            JwsError::Json { .. } => {}
            other => panic!("{extra}: {other:?}"),
        }
    }
    // Many distinct custom claims (the seen-name set grows) are fine; one repeat
    // among them is not.
    let many: String = (0..100).map(|i| format!(r#","c{i}":{i}"#)).collect();
    let t = sign_text(&hs256(), r#"{"alg":"HS256"}"#, &at_claims_text(&many));
    v.validate(&t).await.unwrap();
    let t = sign_text(
        &hs256(),
        r#"{"alg":"HS256"}"#,
        &at_claims_text(&format!(r#"{many},"c7":0"#)),
    );
    assert!(matches!(
        v.validate(&t).await.unwrap_err(),
        Error::Malformed(_)
    ));
    // Header members too, registered or not.
    for header in [
        r#"{"alg":"HS256","alg":"HS256"}"#,
        r#"{"alg":"HS256","\u0061lg":"HS256"}"#,
        r#"{"alg":"HS256","kid":"a","kid":"b"}"#,
        r#"{"alg":"HS256","x":1,"x":1}"#,
    ] {
        let t = sign_text(&hs256(), header, &at_claims_text(""));
        let e = v.validate(&t).await.unwrap_err();
        assert!(
            matches!(malformed(&e), JwsError::Json { .. }),
            "{header}: {e:?}"
        );
    }
}

#[tokio::test]
async fn crit_and_b64_through_the_validator() {
    let v = hs_validator();
    for (header, check) in [
        (
            r#"{"alg":"HS256","crit":["x"],"x":1}"#,
            "UnsupportedCrit" as &str,
        ),
        (r#"{"alg":"HS256","crit":["x"]}"#, "MalformedCrit"),
        (r#"{"alg":"HS256","crit":[]}"#, "MalformedCrit"),
        (r#"{"alg":"HS256","b64":false}"#, "UnencodedPayload"),
    ] {
        let t = sign_text(&hs256(), header, &at_claims_text(""));
        let e = v.validate(&t).await.unwrap_err();
        let ok = match malformed(&e) {
            JwsError::UnsupportedCrit { .. } => check == "UnsupportedCrit",
            JwsError::MalformedCrit { .. } => check == "MalformedCrit",
            JwsError::UnencodedPayload => check == "UnencodedPayload",
            _ => false,
        };
        assert!(ok, "{header}: {e:?}");
    }
}

#[tokio::test]
async fn debug_and_display_leak_neither_secrets_nor_private_claims() {
    let t = sign(
        &hs256(),
        json!({}),
        with(at_claims(), json!({"email": "someone@example.com"})),
    );
    let v = hs_validator();
    let claims = v.validate(&t).await.unwrap();
    let dbg = format!("{claims:?}");
    assert!(dbg.contains("auth0|user1"), "{dbg}");
    assert!(!dbg.contains("someone@example.com"), "{dbg}");
    // The custom claim is still there for those who ask.
    assert_eq!(claims.get("email"), Some(&json!("someone@example.com")));
    assert_eq!(
        claims.as_map().get("email"),
        Some(&json!("someone@example.com"))
    );
    let secret = String::from_utf8(SECRET.to_vec()).unwrap();
    for text in [
        format!("{v:?}"),
        format!("{:?}", hs256()),
        format!(
            "{:?}",
            auth0_jwt::SymmetricSignatureVerifier::new(SECRET).unwrap()
        ),
        format!("{:?}", auth0_jwt::key::VerifyingKey::hmac(SECRET).unwrap()),
    ] {
        assert!(!text.contains(&secret[..16]), "{text}");
    }
    // Errors about the payload never quote it.
    let bad = sign_text(
        &hs256(),
        r#"{"alg":"HS256"}"#,
        r#"{"secret-ish":"v","secret-ish":"w"}"#,
    );
    let e = v.validate(&bad).await.unwrap_err();
    let (_, payload_and_sig) = bad.split_once('.').unwrap();
    for text in [e.to_string(), format!("{e:?}")] {
        assert!(!text.contains(payload_and_sig), "{text}");
        assert!(!text.contains("\"v\""), "{text}");
    }
}

#[tokio::test]
async fn id_token_not_before_is_enforced() {
    // RFC 7519 §4.1.5; auth0-python ignores `nbf`, we don't.
    let t = sign(
        &rsa1("k1"),
        json!({}),
        with(id_claims(), json!({"nbf": NOW + 3600})),
    );
    assert!(matches!(id_err(&t).await, Error::NotYetValid { .. }));
    // Within the 60 s default leeway, and in the past: fine.
    for nbf in [NOW + 30, NOW - 3600] {
        let t = sign(
            &rsa1("k1"),
            json!({}),
            with(id_claims(), json!({ "nbf": nbf })),
        );
        id_verifier()
            .verify(&t, &VerifyOptions::new())
            .await
            .unwrap();
    }
    let t = sign(
        &rsa1("k1"),
        json!({}),
        with(id_claims(), json!({"nbf": "later"})),
    );
    assert!(matches!(id_err(&t).await, Error::NotBeforeInvalid { .. }));
}

/// An Ed25519 JWK whose `x` is 32 bytes but no curve point (y = 2): with the
/// opt-in `ed25519-dalek` backend it is refused when the set is parsed (and
/// listed as skipped); a ring-only build keeps it and refuses every signature.
/// Either way no token verifies against it.
#[test]
fn ed25519_key_off_the_curve() {
    use auth0_jwt::jwk::{JwkSet, SkipReason};
    use auth0_jwt::key::VerifyingKey;

    let mut y = [0u8; 32];
    y[0] = 2;
    let x = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, y);
    let jwks = format!(r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","kid":"bad","x":"{x}"}}]}}"#);
    let set = JwkSet::from_json(jwks.as_bytes()).unwrap();
    let direct = VerifyingKey::ed25519(&y);
    if cfg!(feature = "ed25519-dalek") {
        assert!(set.keys().is_empty());
        assert_eq!(
            set.skipped()[0].reason,
            SkipReason::Unusable(KeyError::InvalidEd25519Point)
        );
        assert!(matches!(direct, Err(KeyError::InvalidEd25519Point)));
    } else {
        assert_eq!(set.keys().len(), 1);
        let key = direct.unwrap();
        assert_eq!(
            key.verify(Algorithm::EdDSA, b"a.b", &[0u8; 64]),
            Err(KeyError::InvalidSignature)
        );
    }
}

/// `validate_as` reads the claim set in one pass (the scan that types the
/// registered claims records the members `T` is built from) with the same
/// strictness and the same results as `validate` + `serde_json`: flat claim
/// sets, escapes, nesting, literals, more members than the record holds, and
/// every refusal.
#[tokio::test]
async fn validate_as_reads_once_with_the_same_rules_and_results() {
    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Mine {
        sub: String,
        aud: String,
        exp: i64,
        #[serde(default)]
        admin: Option<bool>,
        #[serde(default)]
        tags: Vec<String>,
    }
    let v = hs_validator();
    let cached = AccessTokenValidator::builder()
        .key_source(StaticKeys::from_key(
            auth0_jwt::key::VerifyingKey::hmac(SECRET).unwrap(),
        ))
        .issuer(ISSUER)
        .audience(API)
        .algorithms([Algorithm::HS256])
        .shared_clock(clock())
        .cache(auth0_jwt::cache::CacheConfig::default())
        .build()
        .unwrap();
    let many: String = (0..40).map(|i| format!(r#","c{i}":{i}"#)).collect();
    for extra in [
        "",
        r#","admin":true,"tags":["a","b"],"n":null"#,
        r#","admin":false,"tags":[]"#,
        r#","tags":["caf\u00e9","\"q\""]"#,
        r#","ctx":{"a":[1,{"b":null}]},"f":1.5,"neg":-3"#,
        many.as_str(),
    ] {
        let t = sign_text(&hs256(), r#"{"alg":"HS256"}"#, &at_claims_text(extra));
        let claims = v.validate(&t).await.unwrap();
        let expected: Mine = serde_json::from_str(claims.as_json()).unwrap();
        assert_eq!(
            v.validate_as::<Mine>(&t).await.unwrap(),
            expected,
            "{extra}"
        );
        let value: Value = v.validate_as(&t).await.unwrap();
        assert_eq!(
            value,
            serde_json::from_str::<Value>(claims.as_json()).unwrap()
        );
        assert_eq!(claims.deserialize::<Mine>().unwrap(), expected);
        // Cache miss, then hit: the same answer.
        for _ in 0..2 {
            assert_eq!(cached.validate_as::<Mine>(&t).await.unwrap(), expected);
        }
    }
    // Refusals: the JSON rules come first, then the registered claims'
    // types, then `T`'s own error.
    for (extra, json_rule) in [(r#","x":1,"x":2"#, true), (r#","\u0065xp":1"#, true)] {
        let t = sign_text(&hs256(), r#"{"alg":"HS256"}"#, &at_claims_text(extra));
        let e = v.validate_as::<Mine>(&t).await.unwrap_err();
        assert_eq!(
            matches!(e, Error::Malformed(_)),
            json_rule,
            "{extra}: {e:?}"
        );
    }
    let t = sign_text(
        &hs256(),
        r#"{"alg":"HS256"}"#,
        &at_claims_text(r#","scope":7"#),
    );
    let e = v.validate_as::<Mine>(&t).await.unwrap_err();
    assert!(!matches!(e, Error::ClaimsDeserialize { .. }), "{e:?}");
    assert_eq!(
        format!("{e:?}"),
        format!("{:?}", v.validate(&t).await.unwrap_err())
    );
    let t = sign_text(
        &hs256(),
        r#"{"alg":"HS256"}"#,
        &at_claims_text(r#","admin":"yes""#),
    );
    let e = v.validate_as::<Mine>(&t).await.unwrap_err();
    let Error::ClaimsDeserialize { source } = &e else {
        panic!("{e:?}")
    };
    // serde_json's own message (with its position), as before.
    let claims = v.validate(&t).await.unwrap();
    let theirs = serde_json::from_str::<Mine>(claims.as_json()).unwrap_err();
    assert_eq!(source.to_string(), theirs.to_string());
}
