//! Time claims are integer NumericDates (issue #10, point 6).
//!
//! RFC 7519 §2 lets a NumericDate be any JSON number, fractions included. Auth0
//! only ever issues integer seconds, and the libraries Auth0 tokens are
//! checked with elsewhere (auth0-python, jsonwebtoken) refuse anything else,
//! so a fraction (`1.5`, `1.0`) or an exponent form (`1e9`) is refused here
//! too — on the fast path and the full path alike — with the claim's own typed
//! error, through both public validators.

// Helpers outside #[test] fns unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "fixtures/validate/support.rs"]
mod support;

use auth0_jwt::access_token::AccessTokenValidator;
use auth0_jwt::alg::Algorithm;
use auth0_jwt::error::Error;
use auth0_jwt::id_token::{TokenVerifier, VerifyOptions};
use auth0_jwt::verifier::{StaticKeys, SymmetricSignatureVerifier};
use serde_json::Value;
use std::time::Duration;
use support::*;

/// Signs a claim set given as text, so that number forms survive exactly.
fn sign_text(claims: &str) -> String {
    let input = format!(
        "{}.{}",
        b64(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64(claims.as_bytes())
    );
    let sig = hs256().sign(input.as_bytes()).unwrap();
    format!("{input}.{}", b64(&sig))
}

/// `base` without `claim`, then `claim` written as the raw JSON text `value`
/// (optionally after a member with an escape, which sends the claim set down
/// the full parser instead of the flat fast path).
fn claims_text(base: Value, claim: &str, value: &str, full_path: bool) -> String {
    let mut map = match base {
        Value::Object(map) => map,
        _ => unreachable!(),
    };
    map.remove(claim);
    let text = Value::Object(map).to_string();
    let escape = if full_path { r#""x":"\u0041","# } else { "" };
    format!(r#"{{{escape}"{claim}":{value},{}"#, &text[1..])
}

fn id_verifier() -> TokenVerifier {
    TokenVerifier::builder()
        .signature_verifier(SymmetricSignatureVerifier::new(SECRET).unwrap())
        .issuer(ISSUER)
        .audience(CLIENT_ID)
        .shared_clock(clock())
        .build()
        .unwrap()
}

fn at_validator() -> AccessTokenValidator {
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

/// Fraction and exponent forms of plausible dates: all refused.
fn non_integers() -> Vec<String> {
    let soon = NOW + 600;
    let past = NOW - 10;
    vec![
        "1.5".into(),
        "1.0".into(),
        "1e9".into(),
        "1E9".into(),
        "0.0".into(),
        "-0".into(),
        "-1.5".into(),
        format!("{soon}.0"),
        format!("{soon}.9"),
        format!("{past}.0"),
        format!("{soon}e0"),
        format!("{}e3", soon / 1000),
        format!("{}.{}e9", soon / 1_000_000_000, soon % 1_000_000_000),
        "1e300".into(),
    ]
}

#[tokio::test]
async fn access_tokens_refuse_fractions_and_exponents() {
    let v = at_validator();
    for full_path in [false, true] {
        // The integer forms are accepted, on both paths.
        let ok = claims_text(at_claims(), "exp", &(NOW + 600).to_string(), full_path);
        let claims = v.validate(&sign_text(&ok)).await.unwrap();
        assert_eq!(claims.exp(), Some(NOW + 600));
        for value in non_integers() {
            for claim in ["exp", "nbf", "iat", "auth_time"] {
                let text = claims_text(at_claims(), claim, &value, full_path);
                let e = v.validate(&sign_text(&text)).await.unwrap_err();
                let expected = match claim {
                    "exp" => matches!(e, Error::ExpirationInvalid { .. }),
                    "nbf" => matches!(e, Error::NotBeforeInvalid { .. }),
                    "iat" => matches!(e, Error::IssuedAtInvalid { .. }),
                    _ => matches!(
                        &e,
                        Error::InvalidClaim { claim: "auth_time", expected, .. }
                            if expected.contains("integer")
                    ),
                };
                assert!(expected, "{claim}: {value} ({full_path}): {e:?}");
            }
        }
    }
}

#[tokio::test]
async fn id_tokens_refuse_fractions_and_exponents() {
    let v = id_verifier();
    let max_age = VerifyOptions::new().max_age(Duration::from_secs(3600));
    let none = VerifyOptions::new();
    for full_path in [false, true] {
        let ok = claims_text(id_claims(), "auth_time", &(NOW - 5).to_string(), full_path);
        let claims = v.verify(&sign_text(&ok), &max_age).await.unwrap();
        assert_eq!(claims.auth_time(), Some(NOW - 5));
        for value in non_integers() {
            for claim in ["exp", "nbf", "iat", "auth_time"] {
                let text = claims_text(id_claims(), claim, &value, full_path);
                // `auth_time` is required (and read) when `max_age` is asked for.
                let options = if claim == "auth_time" {
                    &max_age
                } else {
                    &none
                };
                let e = v.verify(&sign_text(&text), options).await.unwrap_err();
                let expected = match claim {
                    "exp" => matches!(e, Error::ExpirationInvalid { .. }),
                    "nbf" => matches!(e, Error::NotBeforeInvalid { .. }),
                    "iat" => matches!(e, Error::IssuedAtInvalid { .. }),
                    _ => matches!(e, Error::AuthTimeInvalid { .. }),
                };
                assert!(expected, "{claim}: {value} ({full_path}): {e:?}");
            }
        }
    }
}

#[tokio::test]
async fn integers_at_the_edges_are_still_dates() {
    let v = at_validator();
    // Negative integers are integers (a date before 1970): a `nbf` long past.
    let text = claims_text(at_claims(), "nbf", "-1", false);
    assert_eq!(v.validate(&sign_text(&text)).await.unwrap().nbf(), Some(-1));
    // `0` and the largest integer the fast path reads itself (18 digits).
    let text = claims_text(at_claims(), "nbf", "0", true);
    assert_eq!(v.validate(&sign_text(&text)).await.unwrap().nbf(), Some(0));
    let text = claims_text(at_claims(), "exp", "999999999999999999", false);
    assert_eq!(
        v.validate(&sign_text(&text)).await.unwrap().exp(),
        Some(999_999_999_999_999_999)
    );
}
