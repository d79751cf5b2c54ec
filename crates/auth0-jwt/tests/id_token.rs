//! ID-token verification: every check in order, with auth0-python's messages.

// Helpers outside #[test] fns unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "fixtures/validate/support.rs"]
mod support;

use std::sync::Arc;
use std::time::Duration;

use auth0_jwt::alg::Algorithm;
use auth0_jwt::clock::{Clock, ManualClock};
use auth0_jwt::error::Error;
use auth0_jwt::id_token::{TokenVerifier, VerifyOptions};
use auth0_jwt::key::KeySet;
use auth0_jwt::verifier::{AsymmetricSignatureVerifier, SymmetricSignatureVerifier};
use serde_json::{Value, json};
use support::*;

fn rs_verifier(clock: Arc<ManualClock>) -> TokenVerifier {
    let mut keys = KeySet::new();
    keys.insert(rsa1("k1").verifying_key().unwrap());
    TokenVerifier::builder()
        .signature_verifier(AsymmetricSignatureVerifier::from_key_set(keys))
        .issuer(ISSUER)
        .audience(CLIENT_ID)
        .shared_clock(clock)
        .build()
        .unwrap()
}

fn hs_verifier(clock: Arc<ManualClock>) -> TokenVerifier {
    TokenVerifier::builder()
        .signature_verifier(SymmetricSignatureVerifier::new(SECRET).unwrap())
        .issuer(ISSUER)
        .audience(CLIENT_ID)
        .shared_clock(clock)
        .build()
        .unwrap()
}

/// Signs `claims` with rsa1/k1 and verifies with `options`; returns the error text.
async fn rs_error(claims: Value, options: &VerifyOptions) -> String {
    let token = sign(&rsa1("k1"), json!({}), claims);
    match rs_verifier(clock()).verify(&token, options).await {
        Ok(c) => panic!("accepted: {c:?}"),
        Err(e) => e.to_string(),
    }
}

async fn rs_ok(claims: Value, options: &VerifyOptions) {
    let token = sign(&rsa1("k1"), json!({}), claims);
    rs_verifier(clock()).verify(&token, options).await.unwrap();
}

#[tokio::test]
async fn rs256_with_static_keys_returns_typed_claims() {
    let token = sign(
        &rsa1("k1"),
        json!({}),
        with(
            id_claims(),
            json!({"nonce": "n1", "name": "Ada", "auth_time": NOW - 5}),
        ),
    );
    let claims = rs_verifier(clock())
        .verify(
            &token,
            &VerifyOptions::new()
                .nonce("n1")
                .max_age(Duration::from_secs(60)),
        )
        .await
        .unwrap();
    assert_eq!(claims.iss(), Some(ISSUER));
    assert_eq!(claims.sub(), Some("auth0|user1"));
    assert_eq!(claims.exp(), Some(NOW + 3600));
    assert_eq!(claims.nonce(), Some("n1"));
    assert_eq!(claims.get("name"), Some(&json!("Ada")));
}

#[tokio::test]
async fn rs256_from_pem_ignores_kid() {
    let verifier = TokenVerifier::builder()
        .signature_verifier(AsymmetricSignatureVerifier::from_pem(RSA1_PUBLIC).unwrap())
        .issuer(ISSUER)
        .audience(CLIENT_ID)
        .shared_clock(clock())
        .build()
        .unwrap();
    let token = sign(&rsa1("whatever"), json!({}), id_claims());
    verifier
        .verify(&token, &VerifyOptions::new())
        .await
        .unwrap();
    let other = sign(&rsa2("whatever"), json!({}), id_claims());
    let err = verifier
        .verify(&other, &VerifyOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "Invalid token signature.");
}

#[tokio::test]
async fn hs256_symmetric_path() {
    let token = sign(&hs256(), json!({"kid": "ignored"}), id_claims());
    let claims = hs_verifier(clock())
        .verify(&token, &VerifyOptions::new())
        .await
        .unwrap();
    assert_eq!(
        claims.aud().unwrap().iter().collect::<Vec<_>>(),
        [CLIENT_ID]
    );

    let wrong =
        auth0_jwt::sign::SigningKey::hmac(Algorithm::HS256, b"another-secret-another-secret-42")
            .unwrap();
    let forged = sign(&wrong, json!({}), id_claims());
    let err = hs_verifier(clock())
        .verify(&forged, &VerifyOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidSignature(_)), "{err:?}");
    assert_eq!(err.to_string(), "Invalid token signature.");
}

#[tokio::test]
async fn hs384_selectable_and_hs256_then_rejected() {
    let verifier = TokenVerifier::new(
        SymmetricSignatureVerifier::new(SECRET)
            .unwrap()
            .with_algorithm(Algorithm::HS384)
            .unwrap(),
        ISSUER,
        CLIENT_ID,
    )
    .unwrap();
    let token = sign(&hs256(), json!({}), id_claims());
    let err = verifier
        .verify(&token, &VerifyOptions::new())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Signature algorithm of "HS256" is not supported. Expected the token to be signed with "HS384""#
    );
    assert!(
        SymmetricSignatureVerifier::new(SECRET)
            .unwrap()
            .with_algorithm(Algorithm::RS256)
            .is_err()
    );
    assert!(SymmetricSignatureVerifier::new(b"").is_err());
}

#[tokio::test]
async fn token_missing() {
    let err = rs_verifier(clock())
        .verify("", &VerifyOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Missing { .. }));
    assert_eq!(err.to_string(), "ID token is required but missing.");
}

#[tokio::test]
async fn malformed_token() {
    let err = rs_verifier(clock())
        .verify("not.a.jwt", &VerifyOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Malformed(_)), "{err:?}");
    assert_eq!(err.to_string(), "token could not be decoded.");
    assert!(std::error::Error::source(&err).is_some());
}

#[tokio::test]
async fn algorithm_mismatch_uses_python_wording() {
    let token = sign(&hs256(), json!({}), id_claims());
    let err = rs_verifier(clock())
        .verify(&token, &VerifyOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AlgorithmNotSupported { .. }));
    assert_eq!(
        err.to_string(),
        r#"Signature algorithm of "HS256" is not supported. Expected the token to be signed with "RS256""#
    );
}

#[tokio::test]
async fn unknown_kid() {
    let token = sign(&rsa1("other"), json!({}), id_claims());
    let err = rs_verifier(clock())
        .verify(&token, &VerifyOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::KeyNotFound { .. }));
    assert_eq!(
        err.to_string(),
        r#"RSA Public Key with ID "other" was not found."#
    );
}

#[tokio::test]
async fn bad_signature() {
    let token = sign(&rsa2("k1"), json!({}), id_claims());
    let err = rs_verifier(clock())
        .verify(&token, &VerifyOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidSignature(_)));
    assert_eq!(err.to_string(), "Invalid token signature.");
}

#[tokio::test]
async fn issuer() {
    let none = VerifyOptions::new();
    for bad in [json!(null), json!(5), json!(["x"])] {
        let claims = if bad.is_null() {
            with(id_claims(), json!({"iss": null}))
        } else {
            with(id_claims(), json!({ "iss": bad }))
        };
        assert_eq!(
            rs_error(claims, &none).await,
            "Issuer (iss) claim must be a string present in the ID token"
        );
    }
    // `"iss": null` present (not absent) is also a type error.
    let mut claims = id_claims();
    claims["iss"] = Value::Null;
    assert_eq!(
        rs_error(claims, &none).await,
        "Issuer (iss) claim must be a string present in the ID token"
    );
    assert_eq!(
        rs_error(with(id_claims(), json!({"iss": "https://evil/"})), &none).await,
        r#"Issuer (iss) claim mismatch in the ID token; expected "https://tenant.auth0.com/", found "https://evil/""#
    );
}

#[tokio::test]
async fn subject() {
    let none = VerifyOptions::new();
    for claims in [
        with(id_claims(), json!({"sub": null})),
        with(id_claims(), json!({"sub": 42})),
        // OIDC Core §2: an identifier; an empty one identifies no one.
        with(id_claims(), json!({"sub": ""})),
    ] {
        assert_eq!(
            rs_error(claims, &none).await,
            "Subject (sub) claim must be a string present in the ID token"
        );
    }
}

/// RFC 8725 §3.11: a token explicitly typed as another kind of JWT does not
/// pass as an ID token, even signed by the same key for the same client. A
/// back-channel logout token (OIDC Back-Channel Logout §2.4: `typ`
/// `logout+jwt`, with `iss`, `aud`, `iat`, `exp`, `sub`) otherwise satisfies
/// every ID-token rule when no nonce is expected.
#[tokio::test]
async fn other_kinds_of_jwt_are_refused() {
    let none = VerifyOptions::new();
    let logout = with(
        id_claims(),
        json!({
            "sid": "08a5019c",
            "jti": "bWJq",
            "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
        }),
    );
    for typ in [
        "logout+jwt",
        "application/logout+jwt",
        "Logout+JWT",
        "at+jwt",
        "application/at+jwt",
        "dpop+jwt",
        "secevent+jwt",
    ] {
        let token = sign(&rsa1("k1"), json!({"typ": typ}), logout.clone());
        let error = rs_verifier(clock())
            .verify(&token, &none)
            .await
            .expect_err(typ);
        assert!(
            matches!(error, Error::TypeMismatch { .. }),
            "{typ}: {error:?}"
        );
        assert!(error.to_string().contains(typ), "{error}");
    }
    // Auth0 writes `JWT`; no `typ`, or the generic ones, are fine.
    for typ in [
        json!({"typ": "JWT"}),
        json!({"typ": "application/jwt"}),
        json!({"typ": "JOSE"}),
        json!({}),
    ] {
        let token = sign(&rsa1("k1"), typ.clone(), logout.clone());
        rs_verifier(clock())
            .verify(&token, &none)
            .await
            .unwrap_or_else(|e| panic!("{typ}: {e}"));
    }
}

#[tokio::test]
async fn audience() {
    let none = VerifyOptions::new();
    let invalid =
        "Audience (aud) claim must be a string or array of strings present in the ID token";
    for claims in [
        with(id_claims(), json!({"aud": null})),
        with(id_claims(), json!({"aud": 5})),
        with(id_claims(), json!({"aud": [CLIENT_ID, 1]})),
        with(id_claims(), json!({"aud": {"a": 1}})),
    ] {
        assert_eq!(rs_error(claims, &none).await, invalid);
    }
    assert_eq!(
        rs_error(with(id_claims(), json!({"aud": "other"})), &none).await,
        r#"Audience (aud) claim mismatch in the ID token; expected "client-123" but found "other""#
    );
    assert_eq!(
        rs_error(with(id_claims(), json!({"aud": ["a", "b"]})), &none).await,
        r#"Audience (aud) claim mismatch in the ID token; expected "client-123" but was not one of "a, b""#
    );
    rs_ok(with(id_claims(), json!({"aud": [CLIENT_ID]})), &none).await;
}

#[tokio::test]
async fn expiration_and_leeway_edges() {
    let none = VerifyOptions::new();
    for claims in [
        with(id_claims(), json!({"exp": null})),
        with(id_claims(), json!({"exp": "1700003600"})),
        with(id_claims(), json!({"exp": -1.5})),
        with(id_claims(), json!({"exp": true})),
    ] {
        assert_eq!(
            rs_error(claims, &none).await,
            "Expiration Time (exp) claim must be a number present in the ID token"
        );
    }

    let clock = clock();
    let verifier = rs_verifier(Arc::clone(&clock));
    let exp = NOW + 100;
    let token = sign(
        &rsa1("k1"),
        json!({}),
        with(id_claims(), json!({ "exp": exp })),
    );
    clock.set(exp + 60);
    verifier.verify(&token, &none).await.unwrap();
    clock.set(exp + 61);
    let err = verifier.verify(&token, &none).await.unwrap_err();
    assert!(matches!(err, Error::Expired { .. }));
    assert_eq!(
        err.to_string(),
        format!(
            "Expiration Time (exp) claim error in the ID token; current time ({}) is after expiration time ({})",
            exp + 61,
            exp + 60
        )
    );

    // A float exp is refused, not truncated: NumericDates are integers (RFC
    // 7519 §2 allows fractions; Auth0 and auth0-python do not).
    let float = sign(
        &rsa1("k1"),
        json!({}),
        with(id_claims(), json!({"exp": (exp as f64) + 0.9})),
    );
    clock.set(exp + 60);
    assert!(matches!(
        verifier.verify(&float, &none).await,
        Err(Error::ExpirationInvalid { .. })
    ));
}

#[tokio::test]
async fn custom_leeway_zero() {
    let clock = clock();
    let verifier = TokenVerifier::builder()
        .signature_verifier(SymmetricSignatureVerifier::new(SECRET).unwrap())
        .issuer(ISSUER)
        .audience(CLIENT_ID)
        .leeway(Duration::ZERO)
        .shared_clock(Arc::clone(&clock) as Arc<dyn Clock>)
        .build()
        .unwrap();
    let token = sign(&hs256(), json!({}), with(id_claims(), json!({"exp": NOW})));
    verifier
        .verify(&token, &VerifyOptions::new())
        .await
        .unwrap();
    clock.advance(1);
    assert!(
        verifier
            .verify(&token, &VerifyOptions::new())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn issued_at() {
    let none = VerifyOptions::new();
    for claims in [
        with(id_claims(), json!({"iat": null})),
        with(id_claims(), json!({"iat": "now"})),
    ] {
        assert_eq!(
            rs_error(claims, &none).await,
            "Issued At (iat) claim must be a number present in the ID token"
        );
    }
}

#[tokio::test]
async fn nonce() {
    let asked = VerifyOptions::new().nonce("n-123");
    assert_eq!(
        rs_error(id_claims(), &asked).await,
        "Nonce (nonce) claim must be a string present in the ID token"
    );
    assert_eq!(
        rs_error(with(id_claims(), json!({"nonce": 7})), &asked).await,
        "Nonce (nonce) claim must be a string present in the ID token"
    );
    assert_eq!(
        rs_error(with(id_claims(), json!({"nonce": "n-999"})), &asked).await,
        r#"Nonce (nonce) claim mismatch in the ID token; expected "n-123", found "n-999""#
    );
    rs_ok(with(id_claims(), json!({"nonce": "n-123"})), &asked).await;
    // Not asked: absent is fine.
    rs_ok(id_claims(), &VerifyOptions::new()).await;
}

#[tokio::test]
async fn organization_id_is_exact() {
    let asked = VerifyOptions::new().organization("org_ABC");
    assert_eq!(
        rs_error(id_claims(), &asked).await,
        "Organization (org_id) claim must be a string present in the ID token"
    );
    assert_eq!(
        rs_error(with(id_claims(), json!({"org_id": "org_abc"})), &asked).await,
        r#"Organization (org_id) claim mismatch in the ID token; expected "org_ABC", found "org_abc""#
    );
    rs_ok(with(id_claims(), json!({"org_id": "org_ABC"})), &asked).await;
}

#[tokio::test]
async fn organization_name_is_case_insensitive() {
    let asked = VerifyOptions::new().organization("Acme Corp");
    assert_eq!(
        rs_error(with(id_claims(), json!({"org_id": "org_1"})), &asked).await,
        "Organization (org_name) claim must be a string present in the ID token"
    );
    assert_eq!(
        rs_error(with(id_claims(), json!({"org_name": "globex"})), &asked).await,
        r#"Organization (org_name) claim mismatch in the ID token; expected "Acme Corp", found "globex""#
    );
    rs_ok(with(id_claims(), json!({"org_name": "acme corp"})), &asked).await;
    rs_ok(with(id_claims(), json!({"org_name": "ACME Corp"})), &asked).await;
}

#[tokio::test]
async fn authorized_party() {
    let none = VerifyOptions::new();
    let multi = with(id_claims(), json!({"aud": [CLIENT_ID, "https://api"]}));
    assert_eq!(
        rs_error(multi.clone(), &none).await,
        "Authorized Party (azp) claim must be a string present in the ID token when Audience (aud) claim has multiple values"
    );
    assert_eq!(
        rs_error(with(multi.clone(), json!({"azp": 1})), &none).await,
        "Authorized Party (azp) claim must be a string present in the ID token when Audience (aud) claim has multiple values"
    );
    assert_eq!(
        rs_error(with(multi.clone(), json!({"azp": "someone-else"})), &none).await,
        r#"Authorized Party (azp) claim mismatch in the ID token; expected "client-123", found "someone-else""#
    );
    rs_ok(with(multi, json!({"azp": CLIENT_ID})), &none).await;
    // One audience: azp is not required, but when present it must be us
    // (OIDC Core 1.0 §3.1.3.7 step 5).
    rs_ok(id_claims(), &none).await;
    rs_ok(with(id_claims(), json!({"azp": CLIENT_ID})), &none).await;
    assert_eq!(
        rs_error(with(id_claims(), json!({"azp": "someone-else"})), &none).await,
        r#"Authorized Party (azp) claim mismatch in the ID token; expected "client-123", found "someone-else""#
    );
    assert_eq!(
        rs_error(with(id_claims(), json!({"azp": ["x"]})), &none).await,
        "azp claim in the ID token must be a string"
    );
}

#[tokio::test]
async fn issued_in_the_future_beyond_the_leeway_is_refused() {
    // OIDC Core 1.0 §3.1.3.7 step 10; the default ID-token leeway is 60 s.
    let none = VerifyOptions::new();
    rs_ok(with(id_claims(), json!({"iat": NOW + 60})), &none).await;
    assert_eq!(
        rs_error(with(id_claims(), json!({"iat": NOW + 61})), &none).await,
        format!(
            "Issued At (iat) claim error in the ID token; current time ({NOW}) is before issued at time ({})",
            NOW + 1
        )
    );
}

#[tokio::test]
async fn max_age_and_auth_time() {
    let asked = VerifyOptions::new().max_age(Duration::from_secs(300));
    assert_eq!(
        rs_error(id_claims(), &asked).await,
        "Authentication Time (auth_time) claim must be a number present in the ID token when Max Age (max_age) is specified"
    );
    assert_eq!(
        rs_error(with(id_claims(), json!({"auth_time": "yesterday"})), &asked).await,
        "Authentication Time (auth_time) claim must be a number present in the ID token when Max Age (max_age) is specified"
    );
    // now == auth_time + max_age + leeway is accepted, one second more is not.
    rs_ok(with(id_claims(), json!({"auth_time": NOW - 360})), &asked).await;
    assert_eq!(
        rs_error(with(id_claims(), json!({"auth_time": NOW - 361})), &asked).await,
        format!(
            "Authentication Time (auth_time) claim in the ID token indicates that too much time has passed since the last end-user authentication. Current time ({NOW}) is after last auth at ({})",
            NOW - 1
        )
    );
    // Not asked: auth_time is not required.
    rs_ok(id_claims(), &VerifyOptions::new()).await;
}

#[tokio::test]
async fn checks_run_in_python_order() {
    let all = VerifyOptions::new()
        .nonce("n")
        .organization("org_1")
        .max_age(Duration::from_secs(1));
    // Everything wrong: the issuer is reported first.
    let broken = json!({"iss": "x", "aud": "y", "exp": 1, "nonce": "m", "org_id": "org_2"});
    assert!(
        rs_error(broken, &all)
            .await
            .starts_with("Issuer (iss) claim mismatch")
    );
    // Then sub, aud, exp, iat, nonce, org, azp, auth_time.
    let steps: [(Value, &str); 8] = [
        (json!({"sub": null, "aud": "y"}), "Subject (sub)"),
        (
            json!({"aud": "y", "exp": 1}),
            "Audience (aud) claim mismatch",
        ),
        (
            json!({"exp": 1, "iat": null}),
            "Expiration Time (exp) claim error",
        ),
        (json!({"iat": null, "nonce": "m"}), "Issued At (iat)"),
        (
            json!({"nonce": "m", "org_id": "org_2"}),
            "Nonce (nonce) claim mismatch",
        ),
        (
            json!({"nonce": "n", "org_id": "org_2", "aud": [CLIENT_ID, "z"]}),
            "Organization (org_id) claim mismatch",
        ),
        (
            json!({"nonce": "n", "org_id": "org_1", "aud": [CLIENT_ID, "z"], "auth_time": 1}),
            "Authorized Party (azp) claim must",
        ),
        (
            json!({"nonce": "n", "org_id": "org_1", "auth_time": 1}),
            "Authentication Time (auth_time) claim in the ID token",
        ),
    ];
    for (changes, prefix) in steps {
        let msg = rs_error(with(id_claims(), changes.clone()), &all).await;
        assert!(msg.starts_with(prefix), "{changes}: {msg}");
    }
}

#[tokio::test]
async fn other_registered_claims_must_have_their_type() {
    let none = VerifyOptions::new();
    let err = rs_error(with(id_claims(), json!({"nbf": "soon"})), &none).await;
    assert_eq!(
        err,
        "Not Before (nbf) claim must be a number in the ID token"
    );
    let err = rs_error(with(id_claims(), json!({"jti": 1})), &none).await;
    assert_eq!(err, "jti claim in the ID token must be a string");
    // Not asked for a nonce, but a non-string nonce is still refused.
    let err = rs_error(with(id_claims(), json!({"nonce": 1})), &none).await;
    assert_eq!(
        err,
        "Nonce (nonce) claim must be a string present in the ID token"
    );
}

#[tokio::test]
async fn builder_requires_settings() {
    let err = TokenVerifier::builder()
        .issuer(ISSUER)
        .audience(CLIENT_ID)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config { .. }));
    let err = TokenVerifier::builder()
        .signature_verifier(SymmetricSignatureVerifier::new(SECRET).unwrap())
        .audience(CLIENT_ID)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("issuer"));
    let err = TokenVerifier::builder()
        .signature_verifier(SymmetricSignatureVerifier::new(SECRET).unwrap())
        .issuer(ISSUER)
        .audience("")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("audience"));
}

#[tokio::test]
async fn signature_verifier_alone_returns_payload() {
    let sv = SymmetricSignatureVerifier::new(SECRET).unwrap();
    let token = sign(&hs256(), json!({}), json!({"anything": 1}));
    let payload = sv.verify_signature(&token).await.unwrap();
    assert_eq!(payload["anything"], 1);
}

#[tokio::test]
async fn long_values_are_truncated_in_messages() {
    let long = "x".repeat(10_000);
    let msg = rs_error(
        with(id_claims(), json!({ "iss": long })),
        &VerifyOptions::new(),
    )
    .await;
    assert!(msg.len() < 400, "{}", msg.len());
}

/// `verify_as` gives what `verify` then `deserialize` give, for a flat claim
/// set (one read) and a nested one (read by serde_json), and every error of
/// `verify` first.
#[tokio::test]
async fn verify_as_reads_the_claims_once_with_the_same_results() {
    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Profile {
        sub: String,
        name: String,
        #[serde(default)]
        address: Option<Value>,
    }
    let verifier = rs_verifier(clock());
    let options = VerifyOptions::new().nonce("n1");
    for extra in [
        json!({"nonce": "n1", "name": "Ada"}),
        json!({"nonce": "n1", "name": "Ada", "address": {"country": "UK"}}),
        json!({"nonce": "n1", "name": "Ada \u{e9}\"quoted\""}),
    ] {
        let token = sign(&rsa1("k1"), json!({}), with(id_claims(), extra.clone()));
        let once: Profile = verifier.verify_as(&token, &options).await.unwrap();
        let twice: Profile = verifier
            .verify(&token, &options)
            .await
            .unwrap()
            .deserialize()
            .unwrap();
        assert_eq!(once, twice, "{extra}");
        assert_eq!(once.name, extra["name"].as_str().unwrap());
    }
    // A claim of the wrong type for `T`.
    let token = sign(
        &rsa1("k1"),
        json!({}),
        with(id_claims(), json!({"nonce": "n1", "name": 7})),
    );
    assert!(matches!(
        verifier.verify_as::<Profile>(&token, &options).await,
        Err(Error::ClaimsDeserialize { .. })
    ));
    // The checks come first: a wrong nonce is refused as by `verify`.
    let token = sign(
        &rsa1("k1"),
        json!({}),
        with(id_claims(), json!({"nonce": "n2", "name": "Ada"})),
    );
    let as_error = verifier
        .verify_as::<Profile>(&token, &options)
        .await
        .unwrap_err()
        .to_string();
    let error = verifier
        .verify(&token, &options)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(as_error, error);
}

/// OIDC Core 1.0 Appendix A.3 / A.4: an access token and a code returned
/// from the authorization endpoint, and their RS256 `at_hash` / `c_hash`.
const SPEC_ACCESS_TOKEN: &str = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
const SPEC_AT_HASH: &str = "77QmUPtjPfzWtF2AnpK9RQ";
const SPEC_CODE: &str = "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk";
const SPEC_C_HASH: &str = "LDktKdoQak3Pk0cnXxCltA";

#[tokio::test]
async fn at_hash_and_c_hash_bind_the_authorization_response() {
    // Implicit (`id_token token`) and hybrid (`code id_token token`): the ID
    // token's hashes tie the access token and code to it (OIDC Core 1.0
    // §3.2.2.9, §3.3.2.10, §3.3.2.11).
    let hashes = with(
        id_claims(),
        json!({"at_hash": SPEC_AT_HASH, "c_hash": SPEC_C_HASH}),
    );
    let both = VerifyOptions::new()
        .access_token(SPEC_ACCESS_TOKEN)
        .code(SPEC_CODE);
    rs_ok(hashes.clone(), &both).await;
    rs_ok(
        hashes.clone(),
        &VerifyOptions::new().access_token(SPEC_ACCESS_TOKEN),
    )
    .await;
    rs_ok(hashes.clone(), &VerifyOptions::new().code(SPEC_CODE)).await;
    // Nothing given (code flow, token endpoint): the hashes are not checked.
    rs_ok(
        with(id_claims(), json!({"at_hash": "x", "c_hash": "y"})),
        &VerifyOptions::new(),
    )
    .await;

    // An access token or code from another response is refused.
    let swapped_token = VerifyOptions::new().access_token("another-access-token");
    let err = rs_error(hashes.clone(), &swapped_token).await;
    assert_eq!(
        err,
        "at_hash claim in the ID token must be present and match the access token returned with it"
    );
    assert!(!err.contains("another-access-token"), "{err}");
    let err = rs_error(hashes.clone(), &VerifyOptions::new().code("injected-code")).await;
    assert_eq!(
        err,
        "c_hash claim in the ID token must be present and match the authorization code returned with it"
    );
    assert!(!err.contains("injected-code"), "{err}");

    // Missing, or not a string, while a token / code was returned with it.
    for claims in [
        with(hashes.clone(), json!({"at_hash": null})),
        with(hashes.clone(), json!({"at_hash": 77})),
        // The whole hash instead of its left half.
        with(
            hashes.clone(),
            json!({"at_hash": "q7nS86GgvvFaZkzALLWqJYaJIKw2wCDAVfCAsm5CrBM"}),
        ),
    ] {
        let err = rs_error(claims, &both).await;
        assert!(err.starts_with("at_hash claim"), "{err}");
    }
    let err = rs_error(with(hashes.clone(), json!({"c_hash": null})), &both).await;
    assert!(err.starts_with("c_hash claim"), "{err}");

    // The hash follows the token's algorithm: SHA-512 for HS512.
    let verifier = TokenVerifier::builder()
        .signature_verifier(
            SymmetricSignatureVerifier::new(SECRET)
                .unwrap()
                .with_algorithm(Algorithm::HS512)
                .unwrap(),
        )
        .issuer(ISSUER)
        .audience(CLIENT_ID)
        .shared_clock(clock())
        .build()
        .unwrap();
    let hs512 = auth0_jwt::sign::SigningKey::hmac(Algorithm::HS512, SECRET).unwrap();
    let options = VerifyOptions::new().access_token(SPEC_ACCESS_TOKEN);
    let sha512_half = sign(
        &hs512,
        json!({}),
        with(
            id_claims(),
            json!({"at_hash": "q7nS86GgvvFaZkzALLWqJYaJIKw2wCDAVfCAsm5CrBM"}),
        ),
    );
    verifier.verify(&sha512_half, &options).await.unwrap();
    let sha256_half = sign(
        &hs512,
        json!({}),
        with(id_claims(), json!({"at_hash": SPEC_AT_HASH})),
    );
    let err = verifier.verify(&sha256_half, &options).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidClaim {
                claim: "at_hash",
                ..
            }
        ),
        "{err:?}"
    );

    // The access token and the code are credentials: not in `Debug`.
    let debug = format!("{both:?}");
    assert!(!debug.contains(SPEC_ACCESS_TOKEN), "{debug}");
    assert!(!debug.contains(SPEC_CODE), "{debug}");
}
