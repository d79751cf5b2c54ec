//! Certificate-bound access tokens (RFC 8705 §3) at the gateway layers: a
//! token whose `cnf.x5t#S256` names a client certificate passes
//! `BearerAuthLayer` / `DpopAuthLayer` only when the request carries that
//! certificate as a `PresentedCertificate` extension (what the server that
//! terminated TLS inserts). Tokens from the local tenant's mutual-TLS
//! emulation, and tokens signed by a test key through the public API.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;
use std::sync::Arc;

use auth0_jwt::access_token::{AccessTokenClaims, AccessTokenValidator};
use auth0_jwt::alg::Algorithm;
use auth0_jwt::certificate_binding::CertificateBinding;
use auth0_jwt::clock::ManualClock;
use auth0_jwt::layer::BearerAuthLayer;
use auth0_jwt::sign::SigningKey;
use auth0_jwt::verifier::StaticKeys;
use auth0_jwt::{KeySet, PresentedCertificate};
use http::header::WWW_AUTHENTICATE;
use http::{Request, Response, StatusCode};
use serde_json::{Map, Value, json};
use tower::{Layer, ServiceExt, service_fn};

const NOW: i64 = 1_750_000_000;
const ISSUER: &str = "https://tenant.auth0.com/";
const API: &str = "https://api.example.com";

const NO_CERTIFICATE: &str =
    "The access token is bound to a client certificate and none was presented";
const OTHER_CERTIFICATE: &str = "The access token is bound to another client certificate";
const NOT_BOUND: &str = "The access token must be bound to the client certificate";

/// The handler behind the layers: answers with the token's `sub`.
fn handler()
-> impl tower::Service<Request<()>, Response = Response<String>, Error = Infallible, Future = impl Send>
+ Clone
+ Send
+ 'static {
    service_fn(|req: Request<()>| async move {
        let sub = req
            .extensions()
            .get::<Arc<AccessTokenClaims>>()
            .and_then(|c| c.sub().map(str::to_owned));
        Ok::<_, Infallible>(Response::new(sub.unwrap_or_default()))
    })
}

/// A request with `authorization` and, as a TLS server would insert it,
/// the client's certificate.
fn request(authorization: &str, certificate: Option<&PresentedCertificate>) -> Request<()> {
    let mut request = Request::builder()
        .uri("/orders")
        .header("authorization", authorization)
        .body(())
        .unwrap();
    if let Some(certificate) = certificate {
        request.extensions_mut().insert(certificate.clone());
    }
    request
}

fn challenges(response: &Response<String>) -> Vec<String> {
    response
        .headers()
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// Asserts a 401 `invalid_token` with `description` in `scheme`, and that
/// nothing of the token is in it.
fn assert_refused(response: &Response<String>, scheme: &str, description: &str, token: &str) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenges = challenges(response);
    let challenge = challenges
        .iter()
        .find(|c| c.starts_with(scheme))
        .unwrap_or_else(|| panic!("no {scheme} challenge in {challenges:?}"));
    assert!(
        challenge.contains(&format!(
            "error=\"invalid_token\", error_description=\"{description}\""
        )),
        "{challenge}"
    );
    for segment in token.split('.') {
        assert!(!challenge.contains(segment), "{challenge}");
    }
    assert!(response.body().is_empty());
}

/// Issuer key, validator and tokens signed through the public API.
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

    fn validator(&self) -> AccessTokenValidator {
        let mut keys = KeySet::new();
        keys.insert(self.issuer_key.verifying_key().unwrap());
        AccessTokenValidator::builder()
            .key_source(StaticKeys::new(keys))
            .algorithms([Algorithm::ES256])
            .issuer(ISSUER)
            .audience(API)
            .shared_clock(self.clock.clone())
            .build()
            .unwrap()
    }

    /// A token with `cnf` (when given).
    fn token(&self, cnf: Option<Value>) -> String {
        let mut claims = json!({"iss": ISSUER, "sub": "svc@clients", "aud": API,
            "iat": NOW, "exp": NOW + 3600, "scope": "read:orders"});
        if let Some(cnf) = cnf {
            claims["cnf"] = cnf;
        }
        self.issuer_key.sign_token(&Map::new(), &claims).unwrap()
    }
}

fn certificate(name: &str) -> PresentedCertificate {
    // The layer only hashes the DER; any bytes stand for a certificate here.
    PresentedCertificate::new(format!("0\u{82} DER of {name}").into_bytes())
}

async fn bearer(
    layer: &BearerAuthLayer<AccessTokenValidator>,
    token: &str,
    certificate: Option<&PresentedCertificate>,
) -> Response<String> {
    layer
        .layer(handler())
        .oneshot(request(&format!("Bearer {token}"), certificate))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_bound_token_passes_only_with_its_certificate() {
    let api = Api::new();
    let layer = BearerAuthLayer::new(api.validator()).realm("orders");
    let mine = certificate("billing-service");
    let other = certificate("someone-else");
    let token = api.token(Some(json!({"x5t#S256": mine.thumbprint()})));
    // Each case twice: the first validation is the asynchronous path, the
    // second is answered from the verified-token cache (the inline path).
    for _ in 0..2 {
        let response = bearer(&layer, &token, Some(&mine)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.body(), "svc@clients");

        let response = bearer(&layer, &token, Some(&other)).await;
        assert_refused(&response, "Bearer", OTHER_CERTIFICATE, &token);

        // A stolen bound token used without the certificate.
        let response = bearer(&layer, &token, None).await;
        assert_refused(&response, "Bearer", NO_CERTIFICATE, &token);
    }
    // The order does not matter: a refusal first, then the cache.
    let fresh = api.token(Some(json!({"x5t#S256": mine.thumbprint(), "n": 2})));
    for _ in 0..2 {
        assert_refused(
            &bearer(&layer, &fresh, None).await,
            "Bearer",
            NO_CERTIFICATE,
            &fresh,
        );
    }
    assert_eq!(
        bearer(&layer, &fresh, Some(&mine)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn unbound_tokens_pass_unless_binding_is_required() {
    let api = Api::new();
    let mine = certificate("billing-service");
    let unbound = api.token(None);
    let dpop_only = api.token(Some(
        json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}),
    ));
    let bound = api.token(Some(json!({"x5t#S256": mine.thumbprint()})));

    let default = BearerAuthLayer::new(api.validator());
    for token in [&unbound, &dpop_only] {
        for certificate in [None, Some(&mine)] {
            assert_eq!(
                bearer(&default, token, certificate).await.status(),
                StatusCode::OK
            );
        }
    }

    let strict = BearerAuthLayer::new(api.validator()).require_certificate_binding();
    for _ in 0..2 {
        for token in [&unbound, &dpop_only] {
            for certificate in [None, Some(&mine)] {
                let response = bearer(&strict, token, certificate).await;
                assert_refused(&response, "Bearer", NOT_BOUND, token);
            }
        }
        assert_eq!(
            bearer(&strict, &bound, Some(&mine)).await.status(),
            StatusCode::OK
        );
        let response = bearer(&strict, &bound, None).await;
        assert_refused(&response, "Bearer", NO_CERTIFICATE, &bound);
    }
    // The same policy, spelled out.
    let spelled = BearerAuthLayer::new(api.validator())
        .certificate_binding(CertificateBinding::Required)
        .realm("orders");
    let response = bearer(&spelled, &unbound, Some(&mine)).await;
    assert_refused(&response, "Bearer realm=\"orders\"", NOT_BOUND, &unbound);
}

#[tokio::test]
async fn a_binding_that_cannot_be_read_is_refused() {
    let api = Api::new();
    let layer = BearerAuthLayer::new(api.validator());
    let mine = certificate("billing-service");
    for cnf in [
        json!({"x5t#S256": 7}),
        json!({"x5t#S256": null}),
        json!({"x5t#S256": [mine.thumbprint()]}),
    ] {
        let token = api.token(Some(cnf));
        for _ in 0..2 {
            let response = bearer(&layer, &token, Some(&mine)).await;
            assert_refused(&response, "Bearer", "The access token is malformed", &token);
        }
    }
    // A member name written with escapes is still read.
    let escaped_claims = format!(
        r#"{{"iss":"{ISSUER}","sub":"svc@clients","aud":"{API}","iat":{NOW},"exp":{},"\u0063nf":{{"x5t#S256":"{}"}}}}"#,
        NOW + 3600,
        mine.thumbprint()
    );
    let token = sign_raw(&api.issuer_key, &escaped_claims);
    assert_refused(
        &bearer(&layer, &token, None).await,
        "Bearer",
        NO_CERTIFICATE,
        &token,
    );
    assert_eq!(
        bearer(&layer, &token, Some(&mine)).await.status(),
        StatusCode::OK
    );
}

/// A compact JWS over exactly `claims_json` (the signer's own encoding of
/// a `Value` would unescape the member names).
fn sign_raw(key: &SigningKey, claims_json: &str) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    // Take the header the signer makes, then sign header.payload ourselves.
    let template = key.sign_token(&Map::new(), &json!({})).unwrap();
    let header = template.split('.').next().unwrap();
    let input = format!("{header}.{}", b64.encode(claims_json));
    let signature = key.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", b64.encode(signature))
}

mod dpop {
    //! A token bound both to a DPoP key and to a certificate needs both.

    use super::*;
    use auth0_jwt::dpop::{DpopAccessTokenValidator, DpopAuthLayer, DpopMode, DpopValidator};
    use auth0_jwt::jwk::Jwk;
    use base64::Engine;

    fn layer(api: &Api) -> DpopAuthLayer {
        DpopAuthLayer::new(DpopAccessTokenValidator::new(
            api.validator(),
            DpopValidator::builder()
                .clock(Arc::clone(&api.clock))
                .external_base_url("https://api.example.com")
                .build()
                .unwrap(),
            DpopMode::Allowed,
        ))
    }

    fn jkt(key: &SigningKey) -> String {
        let mut jwk = serde_json::to_value(key.to_public_jwk().unwrap()).unwrap();
        jwk.as_object_mut().unwrap().remove("kid");
        Jwk::from_value(jwk).unwrap().thumbprint().unwrap()
    }

    fn proof(key: &SigningKey, token: &str, jti: &str) -> String {
        let mut jwk = serde_json::to_value(key.to_public_jwk().unwrap()).unwrap();
        jwk.as_object_mut().unwrap().remove("kid");
        let mut header = Map::new();
        header.insert("typ".into(), json!("dpop+jwt"));
        header.insert("jwk".into(), jwk);
        let ath = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(ring::digest::digest(
            &ring::digest::SHA256,
            token.as_bytes(),
        ));
        let claims = json!({"jti": jti, "htm": "GET", "htu": "https://api.example.com/orders",
            "iat": NOW, "ath": ath});
        key.sign_token(&header, &claims).unwrap()
    }

    async fn call(
        layer: &DpopAuthLayer,
        token: &str,
        proof: &str,
        certificate: Option<&PresentedCertificate>,
    ) -> Response<String> {
        let mut request = request(&format!("DPoP {token}"), certificate);
        request.headers_mut().insert("dpop", proof.parse().unwrap());
        layer.layer(handler()).oneshot(request).await.unwrap()
    }

    #[tokio::test]
    async fn a_token_bound_to_a_key_and_a_certificate_needs_both() {
        let api = Api::new();
        let layer = layer(&api);
        let key = SigningKey::generate_es256().unwrap();
        let mine = certificate("billing-service");
        let other = certificate("someone-else");
        let token = api.token(Some(
            json!({"jkt": jkt(&key), "x5t#S256": mine.thumbprint()}),
        ));
        // Twice: the token check is asynchronous first, then from the cache.
        for round in 0..2 {
            let response = call(
                &layer,
                &token,
                &proof(&key, &token, &format!("ok-{round}")),
                Some(&mine),
            )
            .await;
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(response.body(), "svc@clients");

            let response = call(
                &layer,
                &token,
                &proof(&key, &token, &format!("other-{round}")),
                Some(&other),
            )
            .await;
            assert_refused(&response, "DPoP", OTHER_CERTIFICATE, &token);

            let response = call(
                &layer,
                &token,
                &proof(&key, &token, &format!("none-{round}")),
                None,
            )
            .await;
            assert_refused(&response, "DPoP", NO_CERTIFICATE, &token);

            // The right certificate does not make up for a proof by another key.
            let thief = SigningKey::generate_es256().unwrap();
            let response = call(
                &layer,
                &token,
                &proof(&thief, &token, &format!("thief-{round}")),
                Some(&mine),
            )
            .await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
            assert!(
                challenges(&response).iter().any(|c| c.contains(
                    "error=\"invalid_token\", error_description=\"Invalid DPoP key binding\""
                )),
                "{:?}",
                challenges(&response)
            );
        }
        // Required binding: a DPoP-only token is refused in the DPoP scheme.
        let strict = super::dpop::layer(&api).require_certificate_binding();
        let dpop_only = api.token(Some(json!({"jkt": jkt(&key)})));
        let response = call(
            &strict,
            &dpop_only,
            &proof(&key, &dpop_only, "strict"),
            Some(&mine),
        )
        .await;
        assert_refused(&response, "DPoP", NOT_BOUND, &dpop_only);
    }
}

#[cfg(feature = "remote")]
mod local_tenant {
    //! Tokens the local tenant issues to a mutual-TLS client (RFC 8705 §2),
    //! checked by a validator on its discovered JWKS.

    use super::*;
    use auth0_core::config::ClientCertificate;
    use auth0_jwt::jwks::RemoteJwks;
    use auth0_local::{LocalTenant, MtlsCredential};

    #[tokio::test]
    async fn a_token_from_the_mtls_endpoint_passes_only_with_its_certificate() {
        let tenant = LocalTenant::builder().mtls(true).start().await.unwrap();
        let pem = tenant.issue_client_certificate("billing-service").unwrap();
        let client_id = tenant
            .register_mtls_client("Billing", MtlsCredential::SubjectDn(pem.subject_dn.clone()))
            .unwrap();
        let client_certificate =
            ClientCertificate::from_pem(&pem.certificate_pem, &pem.private_key_pem).unwrap();
        let leaf = client_certificate.leaf().to_vec();
        let http = auth0_core::Auth0Client::new(
            tenant
                .client_config()
                .client_certificate(client_certificate)
                .build()
                .unwrap(),
        )
        .unwrap();
        // The client-credentials grant at the mTLS alias, no secret: the
        // certificate authenticates the client.
        let alias = format!("https://localhost:{}/oauth/token", tenant.addr().port());
        let answer = http
            .post_form::<Value>(
                &alias,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &client_id),
                    ("audience", tenant.api_audience()),
                ],
            )
            .await
            .unwrap();
        let token = answer.data["access_token"].as_str().unwrap().to_owned();

        let validator = AccessTokenValidator::builder()
            .key_source(RemoteJwks::discover(tenant.client().unwrap(), tenant.issuer()).unwrap())
            .issuer(tenant.issuer())
            .audience(tenant.api_audience())
            .build()
            .unwrap();
        let layer = BearerAuthLayer::new(validator);
        let presented = PresentedCertificate::new(leaf);
        let response = bearer(&layer, &token, Some(&presented)).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{:?}",
            challenges(&response)
        );

        let stranger = auth0_local::self_signed_client_certificate("someone-else").unwrap();
        let stranger = PresentedCertificate::new(
            ClientCertificate::from_pem(&stranger.certificate_pem, &stranger.private_key_pem)
                .unwrap()
                .leaf()
                .to_vec(),
        );
        let response = bearer(&layer, &token, Some(&stranger)).await;
        assert_refused(&response, "Bearer", OTHER_CERTIFICATE, &token);
        let response = bearer(&layer, &token, None).await;
        assert_refused(&response, "Bearer", NO_CERTIFICATE, &token);
        // The certificate's `Debug` shows its thumbprint, not its bytes.
        assert_eq!(
            format!("{presented:?}"),
            format!("PresentedCertificate({:?})", presented.thumbprint())
        );
    }
}
