//! Every `SigningKey` algorithm signs, the matching `VerifyingKey` (built directly, from
//! the public JWK, through a JWKS and from the public PEM) verifies, and any tampering
//! fails.

// Test helpers panic on unexpected results on purpose.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use auth0_jwt::alg::Algorithm;
use auth0_jwt::jwk::JwkSet;
use auth0_jwt::jws::{Jws, ParseOptions};
use auth0_jwt::key::{KeyError, KeySet, VerifyingKey};
use auth0_jwt::sign::{SignError, SigningKey};
use serde_json::{Map, Value, json};

const RSA_PKCS8: &str = include_str!("fixtures/crypto/rsa2048_pkcs8.pem");
const RSA_PKCS1: &str = include_str!("fixtures/crypto/rsa2048_pkcs1.pem");
const RSA_SPKI: &str = include_str!("fixtures/crypto/rsa2048_spki.pem");
const RSA_PKCS1_PUB: &str = include_str!("fixtures/crypto/rsa2048_pkcs1_pub.pem");
const P256_PKCS8: &str = include_str!("fixtures/crypto/p256_pkcs8.pem");
const P256_SPKI: &str = include_str!("fixtures/crypto/p256_spki.pem");
const P384_PKCS8: &str = include_str!("fixtures/crypto/p384_pkcs8.pem");
const P384_SPKI: &str = include_str!("fixtures/crypto/p384_spki.pem");
const ED25519_PKCS8: &str = include_str!("fixtures/crypto/ed25519_pkcs8.pem");
const ED25519_SPKI: &str = include_str!("fixtures/crypto/ed25519_spki.pem");

const SECRET: &[u8] = b"an HMAC secret that is at least sixty-four bytes long, really!!!";

/// (signing key, public PEM if any) for every algorithm.
fn all_keys() -> Vec<(SigningKey, Option<&'static str>)> {
    let mut keys = Vec::new();
    for alg in [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
    ] {
        keys.push((SigningKey::rsa_pem(RSA_PKCS8, alg).unwrap(), Some(RSA_SPKI)));
        keys.push((
            SigningKey::rsa_pem(RSA_PKCS1, alg).unwrap(),
            Some(RSA_PKCS1_PUB),
        ));
    }
    keys.push((
        SigningKey::ecdsa_pem(P256_PKCS8, Algorithm::ES256).unwrap(),
        Some(P256_SPKI),
    ));
    keys.push((
        SigningKey::ecdsa_pem(P384_PKCS8, Algorithm::ES384).unwrap(),
        Some(P384_SPKI),
    ));
    keys.push((SigningKey::generate_es256().unwrap(), None));
    keys.push((SigningKey::generate_es384().unwrap(), None));
    keys.push((
        SigningKey::ed25519_pem(ED25519_PKCS8).unwrap(),
        Some(ED25519_SPKI),
    ));
    keys.push((SigningKey::generate_ed25519().unwrap(), None));
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        keys.push((SigningKey::hmac(alg, SECRET).unwrap(), None));
    }
    keys
}

fn claims() -> Value {
    json!({"iss": "https://tenant.example/", "sub": "auth0|123", "nested": {"a": [1, 2]}})
}

#[test]
fn every_algorithm_round_trips() {
    let keys = all_keys();
    assert_eq!(keys.len(), 12 + 6 + 3);
    let mut covered = std::collections::BTreeSet::new();
    for (signing, pem) in keys {
        let alg = signing.algorithm();
        covered.insert(alg);
        let signing = signing.with_kid(format!("kid-{alg}"));
        let token = signing.sign_token(&Map::new(), &claims()).unwrap();
        let jws = Jws::parse(&token, &ParseOptions::default()).unwrap();
        assert_eq!(jws.algorithm(), alg);
        assert_eq!(jws.header().alg, alg.as_str());
        assert_eq!(jws.header().typ.as_deref(), Some("JWT"));
        assert_eq!(jws.kid(), Some(format!("kid-{alg}").as_str()));
        assert_eq!(Value::Object(jws.claims().clone()), claims());

        // Directly.
        let vk = signing.verifying_key().unwrap();
        assert_eq!(vk.algorithm(), Some(alg));
        vk.verify(alg, jws.signing_input(), jws.signature())
            .unwrap_or_else(|e| panic!("{alg}: {e}"));

        // Through the public PEM.
        if let Some(pem) = pem {
            let from_pem = VerifyingKey::from_pem(pem).unwrap();
            assert_eq!(from_pem.fingerprint(), vk.fingerprint(), "{alg}");
            from_pem
                .verify(alg, jws.signing_input(), jws.signature())
                .unwrap();
        }

        // Through a JWKS and a KeySet (asymmetric keys only: HMAC has no public JWK).
        if alg.is_asymmetric() {
            let jwk = signing.to_public_jwk().unwrap();
            let doc = json!({"keys": [jwk]}).to_string();
            let set = JwkSet::from_json(doc.as_bytes()).unwrap();
            assert!(set.skipped().is_empty(), "{:?}", set.skipped());
            let keys = KeySet::from_jwks(&set);
            let found = keys.find(jws.kid(), alg).unwrap();
            found
                .verify(alg, jws.signing_input(), jws.signature())
                .unwrap();
            assert_eq!(found.fingerprint(), vk.fingerprint());
        } else {
            assert_eq!(signing.to_public_jwk(), Err(SignError::NoPublicKey));
        }

        assert_tampering_fails(&vk, alg, &token);
    }
    assert_eq!(covered.len(), Algorithm::ALL.len(), "every algorithm signs");
}

fn assert_tampering_fails(vk: &VerifyingKey, alg: Algorithm, token: &str) {
    let (input, sig) = token.rsplit_once('.').unwrap();
    let jws = Jws::parse(token, &ParseOptions::default()).unwrap();
    let sig_bytes = jws.signature().to_vec();

    // Flip one bit in each signature byte position (sampled) and in the input.
    for i in (0..sig_bytes.len()).step_by(7) {
        let mut bad = sig_bytes.clone();
        bad[i] ^= 0x01;
        assert_eq!(
            vk.verify(alg, input.as_bytes(), &bad),
            Err(KeyError::InvalidSignature),
            "{alg} sig byte {i}"
        );
    }
    let mut bad_input = input.as_bytes().to_vec();
    let last = bad_input.len() - 1;
    bad_input[last] ^= 0x02;
    assert_eq!(
        vk.verify(alg, &bad_input, &sig_bytes),
        Err(KeyError::InvalidSignature)
    );
    // Truncated and extended signatures.
    assert_eq!(
        vk.verify(alg, input.as_bytes(), &sig_bytes[..sig_bytes.len() - 1]),
        Err(KeyError::InvalidSignature)
    );
    let mut longer = sig_bytes.clone();
    longer.push(0);
    assert_eq!(
        vk.verify(alg, input.as_bytes(), &longer),
        Err(KeyError::InvalidSignature)
    );
    // Changed claims with the original signature.
    let (header, _) = input.split_once('.').unwrap();
    let forged_payload = auth0_jwt_b64(br#"{"sub":"admin"}"#);
    let forged = format!("{header}.{forged_payload}.{sig}");
    let jws = Jws::parse(&forged, &ParseOptions::default()).unwrap();
    assert_eq!(
        vk.verify(alg, jws.signing_input(), jws.signature()),
        Err(KeyError::InvalidSignature)
    );
}

fn auth0_jwt_b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[test]
fn header_extras_and_typ() {
    let key = SigningKey::hmac(Algorithm::HS256, SECRET)
        .unwrap()
        .with_kid("k")
        .with_typ(Some("at+jwt".into()));
    let mut extras = Map::new();
    extras.insert("kid".into(), json!("override"));
    extras.insert("x-custom".into(), json!(1));
    let token = key.sign_token(&extras, &claims()).unwrap();
    let jws = Jws::parse(&token, &ParseOptions::default()).unwrap();
    assert_eq!(jws.header().typ.as_deref(), Some("at+jwt"));
    assert_eq!(jws.kid(), Some("override"));
    assert_eq!(jws.header().extra["x-custom"], 1);

    let key = key.with_typ(None);
    let token = key.sign_token(&Map::new(), &claims()).unwrap();
    let jws = Jws::parse(&token, &ParseOptions::default()).unwrap();
    assert_eq!(jws.header().typ, None);

    for reserved in ["alg", "crit", "b64"] {
        let mut extras = Map::new();
        extras.insert(reserved.into(), json!("x"));
        assert!(matches!(
            key.sign_token(&extras, &claims()),
            Err(SignError::ReservedHeader { .. })
        ));
    }
    assert_eq!(
        key.sign_token(&Map::new(), &json!([1, 2])),
        Err(SignError::ClaimsNotObject)
    );
    assert_eq!(
        key.sign_token(&Map::new(), &"string"),
        Err(SignError::ClaimsNotObject)
    );
}

#[test]
fn signing_key_errors() {
    assert!(matches!(
        SigningKey::rsa_pem(RSA_PKCS8, Algorithm::ES256),
        Err(SignError::AlgorithmDoesNotFitKey { .. })
    ));
    assert!(matches!(
        SigningKey::rsa_pem(RSA_SPKI, Algorithm::RS256),
        Err(SignError::UnsupportedPemLabel { .. })
    ));
    assert!(matches!(
        SigningKey::ecdsa_pem(P256_PKCS8, Algorithm::ES384),
        Err(SignError::KeyRejected { .. })
    ));
    assert!(matches!(
        SigningKey::ecdsa_pem(RSA_PKCS8, Algorithm::ES256),
        Err(SignError::KeyRejected { .. })
    ));
    assert!(matches!(
        SigningKey::ed25519_pem(P256_PKCS8),
        Err(SignError::KeyRejected { .. })
    ));
    assert!(matches!(
        SigningKey::rsa_pem("not a pem", Algorithm::RS256),
        Err(SignError::Pem { .. })
    ));
    assert_eq!(
        SigningKey::hmac(Algorithm::HS256, b"").unwrap_err(),
        SignError::EmptyHmacSecret
    );
    assert!(matches!(
        SigningKey::hmac(Algorithm::RS256, SECRET),
        Err(SignError::AlgorithmDoesNotFitKey { .. })
    ));
    assert!(matches!(
        SigningKey::from_pem(ED25519_PKCS8, Algorithm::HS256),
        Err(SignError::AlgorithmDoesNotFitKey { .. })
    ));
    SigningKey::from_pem(ED25519_PKCS8, Algorithm::EdDSA).unwrap();
}

#[test]
fn debug_redacts_private_material() {
    for (key, _) in all_keys() {
        let dbg = format!("{key:?}");
        assert!(!dbg.contains("secret"), "{dbg}");
        assert!(!dbg.contains("MII"), "{dbg}");
        assert!(dbg.len() < 200, "{dbg}");
    }
    let vk = SigningKey::hmac(Algorithm::HS256, SECRET)
        .unwrap()
        .verifying_key()
        .unwrap();
    let dbg = format!("{vk:?}");
    assert!(!dbg.contains("sixty-four"), "{dbg}");
}

#[test]
fn verifying_key_is_restricted_to_the_signing_algorithm() {
    let key = SigningKey::rsa_pem(RSA_PKCS8, Algorithm::PS256).unwrap();
    let token = key.sign_token(&Map::new(), &claims()).unwrap();
    let jws = Jws::parse(&token, &ParseOptions::default()).unwrap();
    let vk = key.verifying_key().unwrap();
    assert_eq!(
        vk.verify(Algorithm::RS256, jws.signing_input(), jws.signature()),
        Err(KeyError::AlgorithmMismatch {
            requested: Algorithm::RS256,
            allowed: Algorithm::PS256
        })
    );
    // An unrestricted RSA key still refuses a PSS signature checked as PKCS#1.
    let open = VerifyingKey::from_pem(RSA_SPKI).unwrap();
    assert_eq!(open.algorithm(), None);
    assert_eq!(
        open.verify(Algorithm::RS256, jws.signing_input(), jws.signature()),
        Err(KeyError::InvalidSignature)
    );
    open.verify(Algorithm::PS256, jws.signing_input(), jws.signature())
        .unwrap();
}
