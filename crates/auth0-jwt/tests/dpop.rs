//! DPoP (RFC 9449) through the public API: proofs made the way §4.2 describes
//! (a fresh key pair, its public JWK in the header, `dpop+jwt`), checked as
//! §4.3 lists, and the attacks of §11: replay, wrong `htm`/`htu`, a stolen
//! token used without its key, a key swap, stale and future `iat`, private
//! keys in the header, symmetric algorithms, nonces.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use auth0_jwt::access_token::AccessTokenValidator;
use auth0_jwt::alg::Algorithm;
use auth0_jwt::clock::ManualClock;
use auth0_jwt::dpop::{
    DpopAccessTokenValidator, DpopAuthError, DpopConfigError, DpopError, DpopMode, DpopRequest,
    DpopValidator, MemoryReplayStore, NonceSource, RotatingNonce, Scheme, cnf_jkt,
};
use auth0_jwt::jwk::Jwk;
use auth0_jwt::key::KeySet;
use auth0_jwt::sign::SigningKey;
use auth0_jwt::verifier::StaticKeys;
use base64::Engine;
use serde_json::{Map, Value, json};

const NOW: i64 = 1_750_000_000;
const URL: &str = "https://api.example.com/orders";
const ISSUER: &str = "https://tenant.auth0.com/";
const API: &str = "https://api.example.com";

fn client_key() -> SigningKey {
    SigningKey::generate_es256().unwrap()
}

fn public_jwk(key: &SigningKey) -> Value {
    let mut jwk = serde_json::to_value(key.to_public_jwk().unwrap()).unwrap();
    // A client sends the bare public key; kid/alg/use are harmless but absent.
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

/// A proof signed by `signer` with `jwk` in its header.
fn proof_with(signer: &SigningKey, jwk: Value, claims: Value) -> String {
    let mut header = Map::new();
    header.insert("typ".into(), json!("dpop+jwt"));
    header.insert("jwk".into(), jwk);
    signer.sign_token(&header, &claims).unwrap()
}

fn claims(jti: &str) -> Value {
    json!({"jti": jti, "htm": "GET", "htu": URL, "iat": NOW})
}

fn with(mut base: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            base.as_object_mut().unwrap().remove(k);
        } else {
            base[k] = v.clone();
        }
    }
    base
}

fn proof(key: &SigningKey, claims: Value) -> String {
    proof_with(key, public_jwk(key), claims)
}

fn validator() -> DpopValidator {
    DpopValidator::builder()
        .clock(ManualClock::new(NOW))
        .build()
        .unwrap()
}

async fn refused(v: &DpopValidator, proof: &str, request: &DpopRequest<'_>) -> DpopError {
    match v.validate(proof, request).await {
        Ok(p) => panic!("accepted: {p:?}"),
        Err(e) => e,
    }
}

#[test]
fn rfc7638_thumbprint_vector() {
    // RFC 7638 §3.1.
    let jwk = Jwk::from_json(
        r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#,
    )
    .unwrap();
    assert_eq!(
        jwk.thumbprint().unwrap(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
    // Members outside the required set never change it; a missing one is an error.
    let mut bare = jwk.clone();
    bare.kid = None;
    bare.alg = None;
    assert_eq!(bare.thumbprint(), jwk.thumbprint());
    bare.e = None;
    assert!(bare.thumbprint().is_err());
}

#[tokio::test]
async fn a_proof_made_per_rfc_9449_is_accepted_once() {
    let v = validator();
    let key = client_key();
    let p = proof(&key, claims("jti-1"));
    // Query, fragment, scheme/host case and the default port don't matter (§4.3).
    let request = DpopRequest::new("GET", "HTTPS://API.example.com:443/orders?page=2#x");
    let verified = v.validate(&p, &request).await.unwrap();
    assert_eq!(verified.jkt, thumbprint(&key));
    assert_eq!(verified.alg, Algorithm::ES256);
    assert_eq!(verified.iat, NOW);
    // §11.1: the same proof again is a replay.
    assert_eq!(refused(&v, &p, &request).await, DpopError::Replayed);
    // A new jti from the same key is fine.
    v.validate(&proof(&key, claims("jti-2")), &request)
        .await
        .unwrap();
}

#[tokio::test]
async fn replays_are_remembered_until_the_window_closes_and_the_store_is_bounded() {
    let clock = Arc::new(ManualClock::new(NOW));
    let store = Arc::new(MemoryReplayStore::new(2));
    let v = DpopValidator::builder()
        .clock(Arc::clone(&clock))
        .replay_store(store.clone())
        .build()
        .unwrap();
    let key = client_key();
    let request = DpopRequest::new("GET", URL);
    v.validate(&proof(&key, claims("a")), &request)
        .await
        .unwrap();
    v.validate(&proof(&key, claims("b")), &request)
        .await
        .unwrap();
    // Full of live entries: a new proof is refused, never a replay let through.
    let e = refused(&v, &proof(&key, claims("c")), &request).await;
    assert!(e.is_server_error(), "{e:?}");
    assert_eq!(store.len(), 2);
    // After the window (300 s + 30 s leeway) those proofs are stale anyway and
    // their slots are reused.
    clock.set(NOW + 331);
    let fresh = with(claims("c"), json!({"iat": NOW + 331}));
    v.validate(&proof(&key, fresh), &request).await.unwrap();
    assert_eq!(store.len(), 1);
}

#[tokio::test]
async fn wrong_method_or_uri_is_refused() {
    let v = validator();
    let key = client_key();
    let p = |jti: &str| proof(&key, claims(jti));
    for (method, url, expected) in [
        ("POST", URL, DpopError::MethodMismatch),
        ("get", URL, DpopError::MethodMismatch),
        (
            "GET",
            "https://api.example.com/orders/1",
            DpopError::UriMismatch,
        ),
        (
            "GET",
            "https://evil.example.com/orders",
            DpopError::UriMismatch,
        ),
        (
            "GET",
            "http://api.example.com/orders",
            DpopError::UriMismatch,
        ),
        (
            "GET",
            "https://api.example.com:8443/orders",
            DpopError::UriMismatch,
        ),
    ] {
        let e = refused(
            &v,
            &p(&format!("{method}{url}")),
            &DpopRequest::new(method, url),
        )
        .await;
        assert_eq!(e, expected, "{method} {url}");
    }
    // A proof whose htu is not an http(s) URI never matches.
    let odd = proof(&key, with(claims("odd"), json!({"htu": "/orders"})));
    assert_eq!(
        refused(&v, &odd, &DpopRequest::new("GET", URL)).await,
        DpopError::UriMismatch
    );
}

#[tokio::test]
async fn behind_a_proxy_the_external_base_url_is_what_htu_names() {
    use http::{HeaderMap, Uri};
    let v = DpopValidator::builder()
        .clock(ManualClock::new(NOW))
        .external_base_url("https://api.example.com/")
        .build()
        .unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("host", "10.0.0.7:8080".parse().unwrap());
    let seen: Uri = "/orders?x=1".parse().unwrap();
    let uri = v.request_uri(&seen, &headers).unwrap();
    assert_eq!(uri, "https://api.example.com/orders");
    let key = client_key();
    v.validate(&proof(&key, claims("p")), &DpopRequest::new("GET", &uri))
        .await
        .unwrap();

    // Without a base URL the Host header is used (and the internal host is not
    // what the client signed).
    let plain = validator();
    let internal = plain.request_uri(&seen, &headers).unwrap();
    assert_eq!(internal, "https://10.0.0.7:8080/orders");
    assert_eq!(
        refused(
            &plain,
            &proof(&key, claims("q")),
            &DpopRequest::new("GET", &internal)
        )
        .await,
        DpopError::UriMismatch
    );
    assert!(matches!(
        DpopValidator::builder()
            .external_base_url("api.example.com")
            .build(),
        Err(DpopConfigError::ExternalBase { .. })
    ));
}

#[tokio::test]
async fn iat_window_and_leeway() {
    let v = validator();
    let key = client_key();
    let request = DpopRequest::new("GET", URL);
    let at = |jti: &str, iat: i64| proof(&key, with(claims(jti), json!({ "iat": iat })));
    v.validate(&at("edge-old", NOW - 330), &request)
        .await
        .unwrap();
    v.validate(&at("edge-new", NOW + 30), &request)
        .await
        .unwrap();
    assert_eq!(
        refused(&v, &at("old", NOW - 331), &request).await,
        DpopError::Stale
    );
    assert_eq!(
        refused(&v, &at("new", NOW + 31), &request).await,
        DpopError::IssuedInFuture
    );
    let not_a_date = proof(&key, with(claims("s"), json!({"iat": "yesterday"})));
    assert!(matches!(
        refused(&v, &not_a_date, &request).await,
        DpopError::InvalidClaim { claim: "iat", .. }
    ));
}

#[tokio::test]
async fn required_claims_and_header() {
    let v = validator();
    let key = client_key();
    let request = DpopRequest::new("GET", URL);
    for claim in ["jti", "htm", "htu", "iat"] {
        let p = proof(&key, with(claims(claim), json!({ claim: null })));
        assert!(
            matches!(refused(&v, &p, &request).await, DpopError::InvalidClaim { claim: c, .. } if c == claim),
            "{claim}"
        );
    }
    // typ must be dpop+jwt: an access token is not a proof.
    let mut header = Map::new();
    header.insert("jwk".into(), public_jwk(&key));
    let jwt = key.sign_token(&header, &claims("t")).unwrap();
    assert_eq!(refused(&v, &jwt, &request).await, DpopError::WrongType);
    // No jwk header.
    let mut header = Map::new();
    header.insert("typ".into(), json!("dpop+jwt"));
    let no_jwk = key.sign_token(&header, &claims("j")).unwrap();
    assert_eq!(refused(&v, &no_jwk, &request).await, DpopError::MissingJwk);
    assert!(matches!(
        refused(&v, "not.a.proof", &request).await,
        DpopError::Malformed(_)
    ));
}

#[tokio::test]
async fn a_private_key_in_the_jwk_header_is_refused() {
    let v = validator();
    let key = client_key();
    let mut jwk = public_jwk(&key);
    jwk["d"] = json!("870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE");
    let p = proof_with(&key, jwk, claims("d"));
    assert_eq!(
        refused(&v, &p, &DpopRequest::new("GET", URL)).await,
        DpopError::PrivateKey { member: "d" }
    );
}

#[tokio::test]
async fn symmetric_and_unlisted_algorithms_are_refused() {
    let v = validator();
    let request = DpopRequest::new("GET", URL);
    let secret = b"0123456789abcdef0123456789abcdef";
    let hmac = SigningKey::hmac(Algorithm::HS256, secret).unwrap();
    let jwk = json!({"kty": "oct", "k": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"});
    let p = proof_with(&hmac, jwk, claims("h"));
    assert_eq!(
        refused(&v, &p, &request).await,
        DpopError::AlgorithmNotAllowed {
            alg: Algorithm::HS256
        }
    );
    // EdDSA is asymmetric but not in the default allow-list…
    let ed = SigningKey::generate_ed25519().unwrap();
    let p = proof(&ed, claims("e"));
    assert_eq!(
        refused(&v, &p, &request).await,
        DpopError::AlgorithmNotAllowed {
            alg: Algorithm::EdDSA
        }
    );
    // …and accepted once listed.
    let v = DpopValidator::builder()
        .clock(ManualClock::new(NOW))
        .algorithms([Algorithm::ES256, Algorithm::EdDSA])
        .build()
        .unwrap();
    v.validate(&proof(&ed, claims("e2")), &request)
        .await
        .unwrap();
    assert_eq!(
        DpopValidator::builder()
            .algorithms([Algorithm::ES256, Algorithm::HS256])
            .build()
            .unwrap_err(),
        DpopConfigError::Algorithms
    );
}

#[tokio::test]
async fn stolen_token_key_swap_and_ath() {
    let v = validator();
    let victim = client_key();
    let thief = client_key();
    let token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln";
    let bound = thumbprint(&victim);
    let request = DpopRequest::new("GET", URL).access_token(token, &bound);
    let good = |jti: &str| with(claims(jti), json!({"ath": ath(token)}));

    v.validate(&proof(&victim, good("ok")), &request)
        .await
        .unwrap();
    // Stolen token, no key: the thief names the victim's public key but can
    // only sign with their own.
    let forged = proof_with(&thief, public_jwk(&victim), good("f"));
    assert_eq!(
        refused(&v, &forged, &request).await,
        DpopError::InvalidSignature
    );
    // Key swap: a valid proof by the thief's own key.
    assert_eq!(
        refused(&v, &proof(&thief, good("s")), &request).await,
        DpopError::KeyMismatch
    );
    // No ath, or the ath of another token.
    assert_eq!(
        refused(&v, &proof(&victim, claims("n")), &request).await,
        DpopError::MissingAth
    );
    let other = with(claims("o"), json!({"ath": ath("another.access.token")}));
    assert_eq!(
        refused(&v, &proof(&victim, other), &request).await,
        DpopError::AthMismatch
    );
}

#[tokio::test]
async fn server_nonce_required_then_accepted() {
    let nonces = Arc::new(RotatingNonce::new(
        b"fleet-shared-secret-0123456789abcdef",
        Duration::from_secs(60),
    ));
    let v = DpopValidator::builder()
        .clock(ManualClock::new(NOW))
        .require_nonce(nonces.clone())
        .build()
        .unwrap();
    let key = client_key();
    let request = DpopRequest::new("GET", URL);
    let DpopError::UseNonce { nonce } = refused(&v, &proof(&key, claims("1")), &request).await
    else {
        panic!("no use_dpop_nonce");
    };
    assert_eq!(Some(nonce.clone()), v.current_nonce());
    assert!(nonces.is_valid(&nonce, NOW));
    let wrong = with(claims("2"), json!({"nonce": "made-up"}));
    assert!(matches!(
        refused(&v, &proof(&key, wrong), &request).await,
        DpopError::UseNonce { .. }
    ));
    let right = with(claims("3"), json!({ "nonce": nonce }));
    v.validate(&proof(&key, right), &request).await.unwrap();
    // A nonce two periods old is no longer accepted.
    let old = nonces.current(NOW - 120);
    let stale = with(claims("4"), json!({ "nonce": old }));
    assert!(matches!(
        refused(&v, &proof(&key, stale), &request).await,
        DpopError::UseNonce { .. }
    ));
}

// --- access tokens and proofs together ---

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

    fn validator(&self, mode: DpopMode) -> DpopAccessTokenValidator {
        let mut keys = KeySet::new();
        keys.insert(self.issuer_key.verifying_key().unwrap());
        DpopAccessTokenValidator::new(
            AccessTokenValidator::builder()
                .key_source(StaticKeys::new(keys))
                .algorithms([Algorithm::ES256])
                .issuer(ISSUER)
                .audience(API)
                .shared_clock(self.clock.clone())
                .build()
                .unwrap(),
            DpopValidator::builder()
                .clock(Arc::clone(&self.clock))
                .build()
                .unwrap(),
            mode,
        )
    }

    /// An access token, bound to `key` when given (RFC 9449 §6.1 `cnf.jkt`).
    fn token(&self, key: Option<&SigningKey>) -> String {
        let mut claims = json!({"iss": ISSUER, "sub": "auth0|u1", "aud": API,
            "iat": NOW, "exp": NOW + 3600, "scope": "read:orders"});
        if let Some(key) = key {
            claims["cnf"] = json!({"jkt": thumbprint(key)});
        }
        self.issuer_key.sign_token(&Map::new(), &claims).unwrap()
    }
}

fn bound_proof(key: &SigningKey, token: &str, jti: &str) -> String {
    proof(key, with(claims(jti), json!({"ath": ath(token)})))
}

#[tokio::test]
async fn dpop_bound_request_with_cached_token_check() {
    let api = Api::new();
    let v = api.validator(DpopMode::Allowed);
    let key = client_key();
    let token = api.token(Some(&key));
    let request = DpopRequest::new("GET", URL);

    let p1 = bound_proof(&key, &token, "1");
    let claims = v
        .validate(Scheme::Dpop, &token, Some(&p1), request)
        .await
        .unwrap();
    assert_eq!(cnf_jkt(&claims), Some(thumbprint(&key).as_str()));
    // The token check was cached; the proof is checked per request.
    assert_eq!(v.tokens().cache().unwrap().len(), 1);
    assert!(v.tokens().validate_cached(&token).is_some());
    let again = v.validate(Scheme::Dpop, &token, Some(&p1), request).await;
    assert!(matches!(
        again,
        Err(DpopAuthError::Proof(DpopError::Replayed))
    ));
    let p2 = bound_proof(&key, &token, "2");
    v.validate(Scheme::Dpop, &token, Some(&p2), request)
        .await
        .unwrap();
    assert_eq!(v.tokens().cache().unwrap().len(), 1);

    // The same token with a thief's key, or no proof at all.
    let thief = client_key();
    let stolen = v
        .validate(
            Scheme::Dpop,
            &token,
            Some(&bound_proof(&thief, &token, "3")),
            request,
        )
        .await;
    assert!(matches!(
        stolen,
        Err(DpopAuthError::Proof(DpopError::KeyMismatch))
    ));
    let bare = v.validate(Scheme::Dpop, &token, None, request).await;
    assert!(matches!(bare, Err(DpopAuthError::MissingProof)));
    // An invalid token is refused before any proof check.
    let forged = format!("{}x", &token[..token.len() - 1]);
    let e = v
        .validate(
            Scheme::Dpop,
            &forged,
            Some(&bound_proof(&key, &forged, "4")),
            request,
        )
        .await;
    assert!(matches!(e, Err(DpopAuthError::Token(_))), "{e:?}");
}

#[tokio::test]
async fn a_bound_token_presented_as_bearer_is_refused() {
    let api = Api::new();
    let key = client_key();
    let bound = api.token(Some(&key));
    let plain = api.token(None);
    let request = DpopRequest::new("GET", URL);
    for mode in [DpopMode::Allowed, DpopMode::Required] {
        let v = api.validator(mode);
        let e = v.validate(Scheme::Bearer, &bound, None, request).await;
        assert!(
            matches!(
                e,
                Err(DpopAuthError::BoundTokenAsBearer | DpopAuthError::BearerNotAccepted)
            ),
            "{mode:?}: {e:?}"
        );
    }
    let allowed = api.validator(DpopMode::Allowed);
    allowed
        .validate(Scheme::Bearer, &plain, None, request)
        .await
        .unwrap();
    // A proof sent along with a Bearer token is not silently ignored.
    let p = bound_proof(&key, &plain, "b");
    assert!(matches!(
        allowed
            .validate(Scheme::Bearer, &plain, Some(&p), request)
            .await,
        Err(DpopAuthError::ProofWithBearer)
    ));
    // DPoP scheme with a token not bound to any key.
    let p = bound_proof(&key, &plain, "u");
    assert!(matches!(
        allowed
            .validate(Scheme::Dpop, &plain, Some(&p), request)
            .await,
        Err(DpopAuthError::TokenNotBound)
    ));
}

#[tokio::test]
async fn modes() {
    let api = Api::new();
    let key = client_key();
    let bound = api.token(Some(&key));
    let plain = api.token(None);
    let request = DpopRequest::new("GET", URL);

    let required = api.validator(DpopMode::Required);
    assert!(matches!(
        required
            .validate(Scheme::Bearer, &plain, None, request)
            .await,
        Err(DpopAuthError::BearerNotAccepted)
    ));
    required
        .validate(
            Scheme::Dpop,
            &bound,
            Some(&bound_proof(&key, &bound, "r")),
            request,
        )
        .await
        .unwrap();

    let disabled = api.validator(DpopMode::Disabled);
    assert!(matches!(
        disabled
            .validate(
                Scheme::Dpop,
                &bound,
                Some(&bound_proof(&key, &bound, "d")),
                request
            )
            .await,
        Err(DpopAuthError::DpopDisabled)
    ));
    disabled
        .validate(Scheme::Bearer, &plain, None, request)
        .await
        .unwrap();
}

/// The RFC's own proofs, checked at the time they were made.
#[tokio::test]
async fn rfc_9449_example_proofs() {
    // RFC 9449 Figure 6 (a token request proof).
    let token_request = concat!(
        "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6Ik",
        "VDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCR",
        "nMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JE",
        "QSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIj",
        "oiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwia",
        "WF0IjoxNTYyMjY1Mjk2fQ.pAqut2IRDm_De6PR93SYmGBPXpwrAk90e8cP2hjiaG5Qs",
        "GSuKDYW7_X620BxqhvYC8ynrrvZLTk41mSRroapUA",
    );
    let v = DpopValidator::builder()
        .clock(ManualClock::new(1_562_265_296))
        .build()
        .unwrap();
    let verified = v
        .validate(
            token_request,
            &DpopRequest::new("POST", "https://server.example.com/token"),
        )
        .await
        .unwrap();
    // RFC 9449 §6.1: the `jkt` of this key.
    assert_eq!(verified.jkt, "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");

    // RFC 9449 Figure 13 (a protected resource request with `ath`).
    let access_token = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
    let resource_request = concat!(
        "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6Ik",
        "VDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCR",
        "nMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JE",
        "QSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIj",
        "oiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0Z",
        "WRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNF",
        "c05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yRqzhrtNP86L-Ey71E",
        "OptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA",
    );
    let v = DpopValidator::builder()
        .clock(ManualClock::new(1_562_262_618))
        .build()
        .unwrap();
    let request = DpopRequest::new("GET", "https://resource.example.org/protectedresource")
        .access_token(access_token, "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
    v.validate(resource_request, &request).await.unwrap();
    // Bound to another key, the same proof is a key swap.
    let other = DpopRequest::new("GET", "https://resource.example.org/protectedresource")
        .access_token(access_token, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    assert_eq!(
        refused(&v, resource_request, &other).await,
        DpopError::KeyMismatch
    );
}

// --- through the tower layer ---

mod through_the_layer {
    use super::*;
    use auth0_jwt::AccessTokenClaims;
    use auth0_jwt::dpop::{DpopAuthLayer, DpopValidatorBuilder};
    use http::{Request, Response, StatusCode};
    use std::convert::Infallible;
    use tower::{Layer, ServiceExt, service_fn};

    fn layer(api: &Api, mode: DpopMode, proofs: DpopValidatorBuilder) -> DpopAuthLayer {
        direct_layer(
            api,
            mode,
            proofs.external_base_url("https://api.example.com"),
        )
    }

    /// A layer with no external base URL: the request URI is formed from
    /// the `Host` header.
    fn direct_layer(api: &Api, mode: DpopMode, proofs: DpopValidatorBuilder) -> DpopAuthLayer {
        let mut keys = KeySet::new();
        keys.insert(api.issuer_key.verifying_key().unwrap());
        DpopAuthLayer::new(DpopAccessTokenValidator::new(
            AccessTokenValidator::builder()
                .key_source(StaticKeys::new(keys))
                .algorithms([Algorithm::ES256])
                .issuer(ISSUER)
                .audience(API)
                .shared_clock(api.clock.clone())
                .build()
                .unwrap(),
            proofs.clock(Arc::clone(&api.clock)).build().unwrap(),
            mode,
        ))
        .realm("orders")
    }

    async fn call(layer: &DpopAuthLayer, headers: &[(&str, &str)]) -> Response<String> {
        // The gateway sees an origin-form target and an internal Host.
        call_at(layer, "/orders?page=1", "orders-svc:8080", headers).await
    }

    async fn call_at(
        layer: &DpopAuthLayer,
        target: &str,
        host: &str,
        headers: &[(&str, &str)],
    ) -> Response<String> {
        let handler = service_fn(|req: Request<()>| async move {
            let sub = req
                .extensions()
                .get::<Arc<AccessTokenClaims>>()
                .and_then(|c| c.sub().map(str::to_owned));
            Ok::<_, Infallible>(Response::new(sub.unwrap_or_default()))
        });
        let mut request = Request::builder()
            .method("GET")
            .uri(target)
            .header("host", host);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        layer
            .layer(handler)
            .oneshot(request.body(()).unwrap())
            .await
            .unwrap()
    }

    fn challenges(response: &Response<String>) -> Vec<String> {
        response
            .headers()
            .get_all("www-authenticate")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    #[tokio::test]
    async fn a_dpop_request_passes_with_its_claims_and_a_replay_does_not() {
        let api = Api::new();
        let l = layer(&api, DpopMode::Allowed, DpopValidator::builder());
        let key = client_key();
        let token = api.token(Some(&key));
        let auth = format!("DPoP {token}");
        let p = bound_proof(&key, &token, "1");
        let ok = call(&l, &[("authorization", &auth), ("dpop", &p)]).await;
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(ok.body(), "auth0|u1");
        let replay = call(&l, &[("authorization", &auth), ("dpop", &p)]).await;
        assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            challenges(&replay),
            ["DPoP realm=\"orders\", error=\"invalid_dpop_proof\", \
                 error_description=\"the DPoP proof was already used\", algs=\"ES256\""]
        );
        // A thief with the token and their own key.
        let thief = client_key();
        let stolen = call(
            &l,
            &[
                ("authorization", &auth),
                ("dpop", &bound_proof(&thief, &token, "2")),
            ],
        )
        .await;
        // RFC 9449 §7.1, Figure 15: the token's binding failed, not the proof.
        assert_eq!(stolen.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            challenges(&stolen),
            ["DPoP realm=\"orders\", error=\"invalid_token\", \
                 error_description=\"Invalid DPoP key binding\", algs=\"ES256\""]
        );
        // No proof.
        let none = call(&l, &[("authorization", &auth)]).await;
        assert_eq!(none.status(), StatusCode::BAD_REQUEST);
        assert!(challenges(&none)[0].contains("invalid_request"));
    }

    /// RFC 9449 §4.3 checks 1 and 2 (one `DPoP` field holding one JWT) are
    /// checks of the proof, and §7.1 answers a proof that fails them with
    /// `invalid_dpop_proof` in the `DPoP` scheme.
    #[tokio::test]
    async fn more_than_one_proof_is_an_invalid_dpop_proof() {
        let api = Api::new();
        let l = layer(&api, DpopMode::Allowed, DpopValidator::builder());
        let key = client_key();
        let token = api.token(Some(&key));
        let auth = format!("DPoP {token}");
        let p = bound_proof(&key, &token, "1");
        let two = call(&l, &[("authorization", &auth), ("dpop", &p), ("dpop", &p)]).await;
        assert_eq!(two.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            challenges(&two),
            ["DPoP realm=\"orders\", error=\"invalid_dpop_proof\", \
                 error_description=\"more than one DPoP header\", algs=\"ES256\""]
        );
        // Two proofs folded into one field by a proxy: not one JWT either.
        let folded = format!("{p}, {p}");
        let one = call(&l, &[("authorization", &auth), ("dpop", &folded)]).await;
        assert_eq!(one.status(), StatusCode::UNAUTHORIZED);
        assert!(
            challenges(&one)[0].contains("error=\"invalid_dpop_proof\""),
            "{:?}",
            challenges(&one)
        );
        // Neither attempt used up the proof.
        let ok = call(&l, &[("authorization", &auth), ("dpop", &p)]).await;
        assert_eq!(ok.status(), StatusCode::OK);
    }

    /// RFC 9449 §7.1: `credentials = "DPoP" 1*SP token68`, and RFC 6750 §2.1
    /// the same for `Bearer`: spaces only between scheme and token.
    #[tokio::test]
    async fn only_spaces_separate_the_scheme_from_the_token() {
        let api = Api::new();
        let l = layer(&api, DpopMode::Allowed, DpopValidator::builder());
        let key = client_key();
        let token = api.token(Some(&key));
        let tabbed = format!("DPoP \t{token}");
        let response = call(
            &l,
            &[
                ("authorization", &tabbed),
                ("dpop", &bound_proof(&key, &token, "tab")),
            ],
        )
        .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(
            challenges(&response)[0]
                .starts_with("DPoP realm=\"orders\", error=\"invalid_request\""),
            "{:?}",
            challenges(&response)
        );
        let plain = api.token(None);
        let response = call(&l, &[("authorization", &format!("Bearer \t{plain}"))]).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(
            challenges(&response)[0]
                .starts_with("Bearer realm=\"orders\", error=\"invalid_request\""),
            "{:?}",
            challenges(&response)
        );
        // Several spaces are fine.
        let spaced = format!("DPoP   {token}");
        let response = call(
            &l,
            &[
                ("authorization", &spaced),
                ("dpop", &bound_proof(&key, &token, "spaces")),
            ],
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
    }

    /// RFC 9449 §4.3 check 9 compares `htu` with the URI of this request.
    /// Formed from `Host` and the target, that URI must keep the header in
    /// the authority: a `Host` carrying a path or a query would let a proof
    /// made for another resource match this one.
    #[tokio::test]
    async fn the_host_header_must_be_a_host_and_port() {
        let api = Api::new();
        let l = direct_layer(&api, DpopMode::Allowed, DpopValidator::builder());
        let key = client_key();
        let token = api.token(Some(&key));
        let auth = format!("DPoP {token}");
        // A proof the client made for /admin/orders, sent to /orders.
        let admin = |jti: &str| {
            proof(
                &key,
                with(
                    claims(jti),
                    json!({"ath": ath(&token), "htu": "https://api.example.com/admin/orders"}),
                ),
            )
        };
        for host in ["api.example.com/admin", "api.example.com/admin/orders?"] {
            let target = if host.ends_with('?') { "/" } else { "/orders" };
            let response = call_at(
                &l,
                target,
                host,
                &[("authorization", &auth), ("dpop", &admin(host))],
            )
            .await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "Host: {host}");
            assert!(
                challenges(&response)[0].contains("error=\"invalid_request\""),
                "{:?}",
                challenges(&response)
            );
        }
        // The same proof where it belongs, with a plain Host.
        let response = call_at(
            &l,
            "/admin/orders",
            "api.example.com",
            &[("authorization", &auth), ("dpop", &admin("ok"))],
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        let response = call_at(
            &l,
            "/orders",
            "api.example.com:443",
            &[
                ("authorization", &auth),
                ("dpop", &bound_proof(&key, &token, "port")),
            ],
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
    }

    /// A scheme the mode does not take is no credentials (RFC 6750 §3.1):
    /// a bare 401 naming the accepted schemes. Errors are never put in a
    /// scheme the layer does not offer.
    #[tokio::test]
    async fn challenges_stay_in_the_schemes_the_mode_accepts() {
        let api = Api::new();
        let required = layer(&api, DpopMode::Required, DpopValidator::builder());
        let bare = ["DPoP realm=\"orders\", algs=\"ES256\""];
        // A malformed Bearer token to a DPoP-only API.
        let response = call(&required, &[("authorization", "Bearer a,b")]).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(challenges(&response), bare);
        // Two Authorization headers: the error is in the DPoP scheme.
        let response = call(
            &required,
            &[("authorization", "DPoP a"), ("authorization", "DPoP b")],
        )
        .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let c = challenges(&response);
        assert_eq!(c.len(), 1, "{c:?}");
        assert!(
            c[0].starts_with("DPoP realm=\"orders\", error=\"invalid_request\""),
            "{c:?}"
        );
        // DPoP disabled: two DPoP headers are still refused, in Bearer.
        let disabled = layer(&api, DpopMode::Disabled, DpopValidator::builder());
        let plain = api.token(None);
        let response = call(
            &disabled,
            &[
                ("authorization", &format!("Bearer {plain}")),
                ("dpop", "a.b.c"),
                ("dpop", "d.e.f"),
            ],
        )
        .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let c = challenges(&response);
        assert_eq!(c.len(), 1, "{c:?}");
        assert!(
            c[0].starts_with("Bearer realm=\"orders\", error=\"invalid_request\""),
            "{c:?}"
        );
    }

    #[tokio::test]
    async fn challenges_name_the_accepted_schemes() {
        let api = Api::new();
        let allowed = call(
            &layer(&api, DpopMode::Allowed, DpopValidator::builder()),
            &[],
        )
        .await;
        assert_eq!(allowed.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            challenges(&allowed),
            [
                "Bearer realm=\"orders\"",
                "DPoP realm=\"orders\", algs=\"ES256\""
            ]
        );
        let required = layer(
            &api,
            DpopMode::Required,
            DpopValidator::builder().algorithms([Algorithm::ES256, Algorithm::EdDSA]),
        );
        let bare = call(&required, &[]).await;
        assert_eq!(
            challenges(&bare),
            ["DPoP realm=\"orders\", algs=\"ES256 EdDSA\""]
        );
        let plain = api.token(None);
        let bearer = call(&required, &[("authorization", &format!("Bearer {plain}"))]).await;
        assert_eq!(bearer.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(challenges(&bearer), challenges(&bare));
    }

    #[tokio::test]
    async fn a_bound_token_as_bearer_is_refused_with_both_challenges() {
        let api = Api::new();
        let l = layer(&api, DpopMode::Allowed, DpopValidator::builder());
        let key = client_key();
        let bound = api.token(Some(&key));
        let response = call(&l, &[("authorization", &format!("Bearer {bound}"))]).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let c = challenges(&response);
        assert!(
            c[0].starts_with("Bearer realm=\"orders\", error=\"invalid_token\""),
            "{c:?}"
        );
        assert_eq!(c[1], "DPoP realm=\"orders\", algs=\"ES256\"");
        // A plain bearer token still works in this mode.
        let plain = api.token(None);
        let ok = call(&l, &[("authorization", &format!("Bearer {plain}"))]).await;
        assert_eq!(ok.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn use_dpop_nonce_then_success() {
        let api = Api::new();
        let nonces = Arc::new(RotatingNonce::random(Duration::from_secs(60)).unwrap());
        let l = layer(
            &api,
            DpopMode::Required,
            DpopValidator::builder().require_nonce(nonces),
        );
        let key = client_key();
        let token = api.token(Some(&key));
        let auth = format!("DPoP {token}");
        let first = call(
            &l,
            &[
                ("authorization", &auth),
                ("dpop", &bound_proof(&key, &token, "1")),
            ],
        )
        .await;
        assert_eq!(first.status(), StatusCode::UNAUTHORIZED);
        assert!(challenges(&first)[0].contains("error=\"use_dpop_nonce\""));
        let nonce = first.headers()["dpop-nonce"].to_str().unwrap().to_owned();
        let with_nonce = proof(
            &key,
            with(claims("2"), json!({"ath": ath(&token), "nonce": nonce})),
        );
        let second = call(&l, &[("authorization", &auth), ("dpop", &with_nonce)]).await;
        assert_eq!(second.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn a_forged_token_is_invalid_token_in_the_dpop_scheme() {
        let api = Api::new();
        let l = layer(&api, DpopMode::Allowed, DpopValidator::builder());
        let key = client_key();
        let token = api.token(Some(&key));
        let forged = format!("{}A", &token[..token.len() - 1]);
        let forged = if forged == token {
            format!("{}B", &token[..token.len() - 1])
        } else {
            forged
        };
        let response = call(
            &l,
            &[
                ("authorization", &format!("DPoP {forged}")),
                ("dpop", &bound_proof(&key, &forged, "f")),
            ],
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let c = challenges(&response);
        assert!(
            c[0].starts_with("DPoP realm=\"orders\", error=\"invalid_token\""),
            "{c:?}"
        );
        assert!(c[0].ends_with("algs=\"ES256\""), "{c:?}");
    }
}

#[tokio::test]
async fn unusable_keys_and_unsigned_proofs_are_refused() {
    let v = validator();
    let key = client_key();
    let request = DpopRequest::new("GET", URL);
    // `alg: none` is never a proof (RFC 9449 §4.3 check 5).
    let b64 = |v: Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
    };
    let unsigned = format!(
        "{}.{}.",
        b64(json!({"typ": "dpop+jwt", "alg": "none", "jwk": public_jwk(&key)})),
        b64(claims("none"))
    );
    assert!(matches!(
        refused(&v, &unsigned, &request).await,
        DpopError::Malformed(_)
    ));
    // A jwk whose point is not on the curve, or of a type we can't use.
    let mut off_curve = public_jwk(&key);
    off_curve["y"] = off_curve["x"].clone();
    let p = proof_with(&key, off_curve, claims("c"));
    assert!(matches!(
        refused(&v, &p, &request).await,
        DpopError::InvalidJwk(_)
    ));
    let p = proof_with(&key, json!({"kty": "XYZ"}), claims("t"));
    assert!(matches!(
        refused(&v, &p, &request).await,
        DpopError::InvalidJwk(_)
    ));
    // A proof whose header key is fine but whose signature was altered.
    let good = proof(&key, claims("s"));
    let (head, sig) = good.rsplit_once('.').unwrap();
    let mut bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(sig)
        .unwrap();
    bytes[10] ^= 1;
    let altered = format!(
        "{head}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    assert_eq!(
        refused(&v, &altered, &request).await,
        DpopError::InvalidSignature
    );
}

#[test]
fn nothing_secret_in_debug() {
    let secret = b"fleet-shared-secret-0123456789abcdef";
    let nonces = RotatingNonce::new(secret, Duration::from_secs(60));
    let text = format!("{nonces:?} {:?}", validator());
    assert!(!text.contains("fleet-shared-secret"), "{text}");
    assert!(!text.contains(&nonces.current(NOW)), "{text}");
}

/// A request's `Debug` (what a `tracing` field or a `dbg!` shows) names the
/// method, the URI and the key binding, never the access token it carries.
#[test]
fn a_dpop_request_debug_never_shows_the_access_token() {
    let token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg";
    let request = DpopRequest::new("GET", "https://api.example.com/orders")
        .access_token(token, "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
    let shown = format!("{request:?} {request:#?}");
    assert!(!shown.contains(token), "{shown}");
    assert!(!shown.contains("c2lnbmF0dXJl"), "{shown}");
    assert!(shown.contains("https://api.example.com/orders"), "{shown}");
    assert!(
        shown.contains("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"),
        "{shown}"
    );
}
