//! The DPoP cache-hit path: a DPoP-bound token verified once, every later
//! request answered without waiting (`validate_now`) while its proof is
//! still checked in full; and `DPoP-Nonce` on successful responses
//! (RFC 9449 §8.2).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use auth0_jwt::access_token::AccessTokenValidator;
use auth0_jwt::alg::Algorithm;
use auth0_jwt::clock::ManualClock;
use auth0_jwt::dpop::{
    DpopAccessTokenValidator, DpopAuthError, DpopAuthLayer, DpopError, DpopMode, DpopRequest,
    DpopValidator, RotatingNonce, Scheme,
};
use auth0_jwt::jwk::Jwk;
use auth0_jwt::sign::SigningKey;
use auth0_jwt::verifier::StaticKeys;
use base64::Engine;
use http::{Request, Response, StatusCode};
use serde_json::{Map, Value, json};
use tower::{Layer, ServiceExt, service_fn};

const NOW: i64 = 1_750_000_000;
const URL: &str = "https://api.example.com/orders";
const ISSUER: &str = "https://tenant.auth0.com/";
const API: &str = "https://api.example.com";

fn public_jwk(key: &SigningKey) -> Value {
    let mut jwk = serde_json::to_value(key.to_public_jwk().unwrap()).unwrap();
    let map = jwk.as_object_mut().unwrap();
    map.remove("kid");
    map.remove("use");
    jwk
}

fn thumbprint(key: &SigningKey) -> String {
    Jwk::from_value(public_jwk(key))
        .unwrap()
        .thumbprint()
        .unwrap()
}

fn ath(token: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// A proof per RFC 9449 §4.2 for `GET URL` with `token`.
fn proof(key: &SigningKey, token: &str, jti: &str, nonce: Option<&str>) -> String {
    let mut header = Map::new();
    header.insert("typ".into(), json!("dpop+jwt"));
    header.insert("jwk".into(), public_jwk(key));
    let mut claims = json!({"jti": jti, "htm": "GET", "htu": URL, "iat": NOW, "ath": ath(token)});
    if let Some(nonce) = nonce {
        claims["nonce"] = json!(nonce);
    }
    key.sign_token(&header, &claims).unwrap()
}

struct Api {
    issuer_key: SigningKey,
    clock: Arc<ManualClock>,
}

impl Api {
    fn new() -> Self {
        Self {
            issuer_key: SigningKey::generate_es256().unwrap().with_kid("as-1"),
            clock: Arc::new(ManualClock::new(NOW)),
        }
    }

    fn validator(&self, proofs: DpopValidator) -> DpopAccessTokenValidator {
        DpopAccessTokenValidator::new(
            AccessTokenValidator::builder()
                .key_source(StaticKeys::from_key(
                    self.issuer_key.verifying_key().unwrap(),
                ))
                .algorithms([Algorithm::ES256])
                .issuer(ISSUER)
                .audience(API)
                .shared_clock(self.clock.clone())
                .build()
                .unwrap(),
            proofs,
            DpopMode::Required,
        )
    }

    fn proofs(&self) -> auth0_jwt::dpop::DpopValidatorBuilder {
        DpopValidator::builder().clock(Arc::clone(&self.clock))
    }

    fn token(&self, key: &SigningKey) -> String {
        let claims = json!({"iss": ISSUER, "sub": "auth0|u1", "aud": API,
            "iat": NOW, "exp": NOW + 3600, "cnf": {"jkt": thumbprint(key)}});
        self.issuer_key.sign_token(&Map::new(), &claims).unwrap()
    }
}

#[tokio::test]
async fn cached_token_fresh_proof_answered_at_once() {
    let api = Api::new();
    let v = api.validator(api.proofs().build().unwrap());
    let key = SigningKey::generate_es256().unwrap();
    let token = api.token(&key);
    let request = || DpopRequest::new("GET", URL);

    // Not seen yet: the asynchronous path is needed (and nothing recorded).
    let p1 = proof(&key, &token, "1", None);
    assert!(
        v.validate_now(Scheme::Dpop, &token, Some(&p1), request())
            .is_none()
    );
    v.validate(Scheme::Dpop, &token, Some(&p1), request())
        .await
        .unwrap();

    // From now on the token check is a cache hit; each proof still counts.
    let p2 = proof(&key, &token, "2", None);
    let claims = v
        .validate_now(Scheme::Dpop, &token, Some(&p2), request())
        .unwrap()
        .unwrap();
    assert_eq!(claims.sub(), Some("auth0|u1"));
    // The same proof again: a replay, refused on the fast path too.
    let e = v
        .validate_now(Scheme::Dpop, &token, Some(&p2), request())
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(e, DpopAuthError::Proof(DpopError::Replayed)),
        "{e:?}"
    );
    // The thief's key with the victim's cached token: refused.
    let thief = SigningKey::generate_es256().unwrap();
    let e = v
        .validate_now(
            Scheme::Dpop,
            &token,
            Some(&proof(&thief, &token, "3", None)),
            request(),
        )
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(e, DpopAuthError::Proof(DpopError::KeyMismatch)),
        "{e:?}"
    );
    // Wrong method on the fast path.
    let e = v
        .validate_now(
            Scheme::Dpop,
            &token,
            Some(&proof(&key, &token, "4", None)),
            DpopRequest::new("POST", URL),
        )
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(e, DpopAuthError::Proof(DpopError::MethodMismatch)),
        "{e:?}"
    );
    // The cached bound token as Bearer: refused (RFC 9449 §7.2).
    let e = v
        .validate_now(Scheme::Bearer, &token, None, request())
        .unwrap()
        .unwrap_err();
    assert!(matches!(e, DpopAuthError::BearerNotAccepted), "{e:?}");
    // Past the token's expiry the cache no longer answers, and the full
    // check refuses it (the proof is not even looked at).
    api.clock.advance(3600 + 6);
    let late = proof(&key, &token, "5", None);
    assert!(
        v.validate_now(Scheme::Dpop, &token, Some(&late), request())
            .is_none()
    );
    let e = v
        .validate(Scheme::Dpop, &token, Some(&late), request())
        .await
        .unwrap_err();
    assert!(
        matches!(e, DpopAuthError::Token(auth0_jwt::Error::Expired { .. })),
        "{e:?}"
    );
}

#[tokio::test]
async fn the_layer_hands_out_the_next_nonce_on_success() {
    let api = Api::new();
    let nonces = Arc::new(RotatingNonce::random(Duration::from_secs(60)).unwrap());
    let v = api.validator(
        api.proofs()
            .external_base_url("https://api.example.com")
            .require_nonce(nonces)
            .build()
            .unwrap(),
    );
    let service = DpopAuthLayer::new(v).layer(service_fn(|_: Request<()>| async {
        Ok::<_, Infallible>(Response::new(String::from("orders")))
    }));
    let key = SigningKey::generate_es256().unwrap();
    let token = api.token(&key);
    let call = |proof: String| {
        let request = Request::get("/orders")
            .header("authorization", format!("DPoP {token}"))
            .header("dpop", proof)
            .body(())
            .unwrap();
        service.clone().oneshot(request)
    };
    let first = call(proof(&key, &token, "1", None)).await.unwrap();
    assert_eq!(first.status(), StatusCode::UNAUTHORIZED);
    let nonce = first.headers()["dpop-nonce"].to_str().unwrap().to_owned();
    // Slow path (token not cached yet), then the inline path: both 200 with
    // the nonce to use next.
    for jti in ["2", "3"] {
        let ok = call(proof(&key, &token, jti, Some(&nonce))).await.unwrap();
        assert_eq!(ok.status(), StatusCode::OK, "{jti}");
        assert_eq!(ok.headers()["dpop-nonce"], nonce.as_str());
    }
    // A replay through the layer's inline path.
    let again = call(proof(&key, &token, "3", Some(&nonce))).await.unwrap();
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    assert!(
        again.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_dpop_proof")
    );
}
