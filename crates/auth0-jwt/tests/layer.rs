//! The bearer-token layer in front of a mock service (tower's `service_fn`).

// Helper functions outside `#[test]` fns unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use auth0_jwt::layer::{Authorize, BearerAuthLayer, Rejection};
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{HeaderName, Request, Response, StatusCode};
use tower::{Layer, Service, ServiceExt, service_fn};

const GOOD: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWdvb2Q";
const NARROW: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJlLW5hcnJvdw";
const DOWN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjYXJvbCJ9.c2lnbmF0dXJlLWRvd24";
const LEAKY: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.c2lnbmF0dXJlLWxlYWt5";
const ODD_SCOPE: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0cmVudCJ9.c2lnbmF0dXJlLW9kZA";
const NO_SCOPE: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ2aWN0b3IifQ.c2lnbmF0dXJlLW5vbmU";

#[derive(Debug, PartialEq)]
struct Claims {
    sub: String,
}

/// Test authorizer: a fixed table of answers, counting its calls.
#[derive(Default)]
struct Table {
    calls: AtomicUsize,
    answers: HashMap<&'static str, Result<Arc<Claims>, Rejection>>,
}

impl Table {
    fn new() -> Self {
        let mut answers = HashMap::new();
        answers.insert(
            GOOD,
            Ok(Arc::new(Claims {
                sub: "alice".into(),
            })),
        );
        answers.insert(
            NARROW,
            Err(Rejection::insufficient_scope(
                "read:users write:users",
                "the token lacks the \"write:users\" scope",
            )),
        );
        // Scope words made only of characters a scope-token cannot hold.
        answers.insert(
            ODD_SCOPE,
            Err(Rejection::insufficient_scope(
                "read:users \"\" \\ write:users",
                "scopes missing",
            )),
        );
        answers.insert(
            NO_SCOPE,
            Err(Rejection::insufficient_scope("\"", "scopes missing")),
        );
        answers.insert(
            DOWN,
            Err(Rejection::unavailable("JWKS endpoint unreachable")),
        );
        answers.insert(
            LEAKY,
            Err(Rejection::invalid_token(format!("bad token {LEAKY}"))),
        );
        Self {
            calls: AtomicUsize::new(0),
            answers,
        }
    }
}

impl Authorize for Table {
    type Claims = Claims;

    fn authorize(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Arc<Claims>, Rejection>> + Send {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let answer = self
            .answers
            .get(token)
            .cloned()
            .unwrap_or_else(|| Err(Rejection::invalid_token("signature \"does not\" match")));
        async move { answer }
    }
}

struct Harness {
    table: Arc<Table>,
    inner_calls: Arc<AtomicUsize>,
}

impl Harness {
    fn new() -> Self {
        Self {
            table: Arc::new(Table::new()),
            inner_calls: Arc::new(AtomicUsize::new(0)),
        }
    }

    async fn send(
        &self,
        layer: BearerAuthLayer<Arc<Table>>,
        request: Request<()>,
    ) -> Response<String> {
        let inner_calls = Arc::clone(&self.inner_calls);
        let handler = service_fn(move |req: Request<()>| {
            let inner_calls = Arc::clone(&inner_calls);
            async move {
                inner_calls.fetch_add(1, Ordering::SeqCst);
                let claims = req.extensions().get::<Arc<Claims>>().cloned();
                let body =
                    claims.map_or_else(|| "no claims".to_owned(), |c| format!("hello {}", c.sub));
                Ok::<_, Infallible>(Response::new(body))
            }
        });
        let service = layer.layer(handler);
        service.oneshot(request).await.unwrap()
    }

    fn layer(&self) -> BearerAuthLayer<Arc<Table>> {
        BearerAuthLayer::new(Arc::clone(&self.table)).realm("orders-api")
    }

    fn inner_calls(&self) -> usize {
        self.inner_calls.load(Ordering::SeqCst)
    }

    fn authorizer_calls(&self) -> usize {
        self.table.calls.load(Ordering::SeqCst)
    }
}

fn with_auth(value: &str) -> Request<()> {
    Request::builder()
        .uri("/orders")
        .header(AUTHORIZATION, value)
        .body(())
        .unwrap()
}

fn challenge(response: &Response<String>) -> &str {
    response
        .headers()
        .get(WWW_AUTHENTICATE)
        .unwrap()
        .to_str()
        .unwrap()
}

#[tokio::test]
async fn valid_token_reaches_inner_service_with_claims() {
    let h = Harness::new();
    let response = h
        .send(h.layer(), with_auth(&format!("Bearer {GOOD}")))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body(), "hello alice");
    assert_eq!(h.inner_calls(), 1);
    assert_eq!(h.authorizer_calls(), 1);
}

#[tokio::test]
async fn scheme_is_case_insensitive_and_allows_several_spaces() {
    for value in [
        format!("bearer {GOOD}"),
        format!("BEARER {GOOD}"),
        format!("BeArEr   {GOOD}"),
    ] {
        let h = Harness::new();
        let response = h.send(h.layer(), with_auth(&value)).await;
        assert_eq!(response.status(), StatusCode::OK, "{value}");
    }
}

#[tokio::test]
async fn missing_header_gets_a_bare_challenge() {
    let h = Harness::new();
    let request = Request::builder().uri("/orders").body(()).unwrap();
    let response = h.send(h.layer(), request).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenge(&response), "Bearer realm=\"orders-api\"");
    assert_eq!(response.body(), "", "body is ResBody::default()");
    assert_eq!(h.inner_calls(), 0);
    assert_eq!(h.authorizer_calls(), 0);
}

#[tokio::test]
async fn bare_challenge_without_realm_is_just_bearer() {
    let h = Harness::new();
    let layer = BearerAuthLayer::new(Arc::clone(&h.table));
    let response = h.send(layer, Request::new(())).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenge(&response), "Bearer");
}

#[tokio::test]
async fn other_scheme_is_treated_as_no_token() {
    let h = Harness::new();
    let response = h
        .send(h.layer(), with_auth("Basic YWxhZGRpbjpvcGVuc2VzYW1l"))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenge(&response), "Bearer realm=\"orders-api\"");
    // A scheme that merely starts with "Bearer" is another scheme.
    let response = h
        .send(h.layer(), with_auth(&format!("Bearerx {GOOD}")))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(!challenge(&response).contains("error="));
    assert_eq!(h.authorizer_calls(), 0);
}

#[tokio::test]
async fn malformed_headers_are_invalid_requests() {
    let cases = [
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        format!("Bearer {GOOD} extra"),
        format!("Bearer {GOOD} "),
        "Bearer a,b".to_owned(),
        "Bearer ==".to_owned(),
        "Bearer a=b".to_owned(),
        "Bearer \"quoted\"".to_owned(),
        "Bearer tok\tab".to_owned(),
    ];
    for value in cases {
        let h = Harness::new();
        let response = h.send(h.layer(), with_auth(&value)).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{value:?}");
        let challenge = challenge(&response);
        assert!(
            challenge.starts_with(
                "Bearer realm=\"orders-api\", error=\"invalid_request\", error_description=\""
            ),
            "{challenge}"
        );
        assert_eq!(h.authorizer_calls(), 0, "{value:?}");
        assert_eq!(h.inner_calls(), 0);
    }
}

#[tokio::test]
async fn two_authorization_headers_are_rejected() {
    let h = Harness::new();
    let request = Request::builder()
        .header(AUTHORIZATION, format!("Bearer {GOOD}"))
        .header(AUTHORIZATION, format!("Bearer {GOOD}"))
        .body(())
        .unwrap();
    let response = h.send(h.layer(), request).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(challenge(&response).contains("more than one authorization header"));
    assert_eq!(h.authorizer_calls(), 0);
}

#[tokio::test]
async fn overlong_token_is_rejected_before_the_authorizer() {
    let h = Harness::new();
    let layer = h.layer().max_token_len(64);
    let response = h
        .send(layer, with_auth(&format!("Bearer {}", "a".repeat(65))))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(h.authorizer_calls(), 0);
}

#[tokio::test]
async fn invalid_token_gets_401_with_safe_description() {
    let h = Harness::new();
    let forged = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.Zm9yZ2Vk";
    let response = h
        .send(h.layer(), with_auth(&format!("Bearer {forged}")))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge(&response),
        "Bearer realm=\"orders-api\", error=\"invalid_token\", error_description=\"signature 'does not' match\""
    );
    assert_eq!(h.inner_calls(), 0);
}

#[tokio::test]
async fn description_never_echoes_the_token() {
    let h = Harness::new();
    let response = h
        .send(h.layer(), with_auth(&format!("Bearer {LEAKY}")))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = challenge(&response);
    for segment in LEAKY.split('.') {
        assert!(!challenge.contains(segment), "{challenge}");
    }
    assert!(challenge.contains("error=\"invalid_token\""));
}

#[tokio::test]
async fn missing_scope_gets_403_with_scope_attribute() {
    let h = Harness::new();
    let response = h
        .send(h.layer(), with_auth(&format!("Bearer {NARROW}")))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        challenge(&response),
        "Bearer realm=\"orders-api\", error=\"insufficient_scope\", error_description=\"the token lacks the 'write:users' scope\", scope=\"read:users write:users\""
    );
    assert_eq!(h.inner_calls(), 0);
}

/// RFC 6750 §3: `scope = scope-token *( SP scope-token )` with
/// `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )` — a word with no such
/// character is dropped whole (no empty token, no double space), and a scope
/// with none left is not sent at all.
#[tokio::test]
async fn scope_attribute_keeps_the_rfc_6750_grammar() {
    let h = Harness::new();
    let response = h
        .send(h.layer(), with_auth(&format!("Bearer {ODD_SCOPE}")))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        challenge(&response),
        "Bearer realm=\"orders-api\", error=\"insufficient_scope\", error_description=\"scopes missing\", scope=\"read:users write:users\""
    );
    let response = h
        .send(h.layer(), with_auth(&format!("Bearer {NO_SCOPE}")))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        challenge(&response),
        "Bearer realm=\"orders-api\", error=\"insufficient_scope\", error_description=\"scopes missing\""
    );
}

#[tokio::test]
async fn unavailable_key_source_gets_503_without_challenge() {
    let h = Harness::new();
    let response = h
        .send(h.layer(), with_auth(&format!("Bearer {DOWN}")))
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().get(WWW_AUTHENTICATE).is_none());
    assert_eq!(h.inner_calls(), 0);
}

#[tokio::test]
async fn custom_header_name() {
    let h = Harness::new();
    let name = HeaderName::from_static("x-forwarded-authorization");
    let layer = h.layer().header_name(name.clone());
    let request = Request::builder()
        .header(name, format!("Bearer {GOOD}"))
        .body(())
        .unwrap();
    let response = h.send(layer.clone(), request).await;
    assert_eq!(response.status(), StatusCode::OK);
    // The standard header is ignored when another one is configured.
    let response = h.send(layer, with_auth(&format!("Bearer {GOOD}"))).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn realm_is_a_safe_quoted_string() {
    let h = Harness::new();
    let layer = BearerAuthLayer::new(Arc::clone(&h.table)).realm("my \"api\"\r\n");
    let response = h.send(layer, Request::new(())).await;
    assert_eq!(challenge(&response), "Bearer realm=\"my \\\"api\\\"??\"");
}

#[tokio::test]
async fn service_is_reusable_and_clones_share_the_authorizer() {
    let h = Harness::new();
    let handler = service_fn(|req: Request<()>| async move {
        let sub = req.extensions().get::<Arc<Claims>>().map(|c| c.sub.clone());
        Ok::<_, Infallible>(Response::new(sub.unwrap_or_default()))
    });
    let mut service = h.layer().layer(handler);
    for _ in 0..3 {
        let response = service
            .ready()
            .await
            .unwrap()
            .call(with_auth(&format!("Bearer {GOOD}")))
            .await
            .unwrap();
        assert_eq!(response.body(), "alice");
    }
    let clone = service.clone();
    let response = clone
        .oneshot(with_auth(&format!("Bearer {GOOD}")))
        .await
        .unwrap();
    assert_eq!(response.body(), "alice");
    assert_eq!(h.authorizer_calls(), 4);
}

#[tokio::test]
async fn inner_service_errors_pass_through() {
    let h = Harness::new();
    let failing = service_fn(|_req: Request<()>| async { Err::<Response<String>, _>("boom") });
    let result = h
        .layer()
        .layer(failing)
        .oneshot(with_auth(&format!("Bearer {GOOD}")))
        .await;
    assert_eq!(result.unwrap_err(), "boom");
}

/// The same table, also answering synchronously for the tokens it knows.
struct Immediate {
    table: Table,
    now_calls: AtomicUsize,
}

impl Authorize for Immediate {
    type Claims = Claims;

    fn authorize(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Arc<Claims>, Rejection>> + Send {
        self.table.authorize(token)
    }

    fn authorize_now(&self, token: &str) -> Option<Result<Arc<Claims>, Rejection>> {
        self.now_calls.fetch_add(1, Ordering::SeqCst);
        self.table.answers.get(token).cloned()
    }
}

/// Sends `value` through a layer over `authorizer` and a handler that echoes the claims.
async fn send_with<A: Authorize<Claims = Claims>>(
    authorizer: Arc<A>,
    value: &str,
) -> (Response<String>, usize) {
    let inner_calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&inner_calls);
    let handler = service_fn(move |req: Request<()>| {
        counter.fetch_add(1, Ordering::SeqCst);
        let claims = req.extensions().get::<Arc<Claims>>().cloned();
        async move {
            let body =
                claims.map_or_else(|| "no claims".to_owned(), |c| format!("hello {}", c.sub));
            Ok::<_, Infallible>(Response::new(body))
        }
    });
    let service = BearerAuthLayer::from_arc(authorizer)
        .realm("orders-api")
        .layer(handler);
    let response = service
        .oneshot(with_auth(&format!("Bearer {value}")))
        .await
        .unwrap();
    (response, inner_calls.load(Ordering::SeqCst))
}

#[tokio::test]
async fn immediate_answers_match_the_asynchronous_ones() {
    let immediate = Arc::new(Immediate {
        table: Table::new(),
        now_calls: AtomicUsize::new(0),
    });
    let asynchronous = Arc::new(Table::new());
    for token in [GOOD, NARROW, DOWN, LEAKY] {
        let (fast, fast_inner) = send_with(Arc::clone(&immediate), token).await;
        let (slow, slow_inner) = send_with(Arc::clone(&asynchronous), token).await;
        assert_eq!(fast.status(), slow.status(), "{token}");
        assert_eq!(
            fast.headers().get(WWW_AUTHENTICATE),
            slow.headers().get(WWW_AUTHENTICATE),
            "{token}"
        );
        assert_eq!(fast.body(), slow.body(), "{token}");
        assert_eq!(fast_inner, slow_inner, "{token}");
    }
    // Every one of them was answered at once: the async path never ran.
    assert_eq!(immediate.now_calls.load(Ordering::SeqCst), 4);
    assert_eq!(immediate.table.calls.load(Ordering::SeqCst), 0);
    let (ok, inner) = send_with(Arc::clone(&immediate), GOOD).await;
    assert_eq!(
        (ok.status(), ok.body().as_str(), inner),
        (StatusCode::OK, "hello alice", 1)
    );
}

#[tokio::test]
async fn no_immediate_answer_falls_back_to_authorize() {
    let immediate = Arc::new(Immediate {
        table: Table::new(),
        now_calls: AtomicUsize::new(0),
    });
    // Not in the table: `authorize_now` says None, `authorize` rejects it.
    let (response, inner) = send_with(Arc::clone(&immediate), "unknown.token.here").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(challenge(&response).contains("error=\"invalid_token\""));
    assert_eq!(inner, 0);
    assert_eq!(immediate.now_calls.load(Ordering::SeqCst), 1);
    assert_eq!(immediate.table.calls.load(Ordering::SeqCst), 1);
    // A malformed header never reaches either method.
    let (response, _) = send_with(Arc::clone(&immediate), "bad,token").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(immediate.now_calls.load(Ordering::SeqCst), 1);
}

mod with_access_token_validator {
    //! The layer in front of the real `AccessTokenValidator` (ES256, static keys).

    use super::*;
    use auth0_jwt::access_token::{AccessTokenClaims, AccessTokenValidator};
    use auth0_jwt::alg::Algorithm;
    use auth0_jwt::sign::SigningKey;
    use auth0_jwt::verifier::StaticKeys;
    use serde_json::{Map, json};

    const ISS: &str = "https://tenant.example.auth0.com/";
    const AUD: &str = "https://orders.example";

    struct Setup {
        signer: SigningKey,
        validator: Arc<AccessTokenValidator>,
        service: auth0_jwt::layer::BearerAuth<
            tower::util::BoxCloneService<Request<()>, Response<String>, Infallible>,
            AccessTokenValidator,
        >,
    }

    fn setup() -> Setup {
        let signer = SigningKey::generate_es256().unwrap().with_kid("k1");
        let keys = StaticKeys::from_key(signer.verifying_key().unwrap());
        let validator = AccessTokenValidator::builder()
            .key_source(keys)
            .issuer(ISS)
            .audience(AUD)
            .algorithms([auth0_jwt::alg::Algorithm::ES256])
            .require_scopes(["read:orders"])
            .build()
            .unwrap();
        let handler =
            tower::util::BoxCloneService::new(service_fn(|req: Request<()>| async move {
                let claims = req.extensions().get::<Arc<AccessTokenClaims>>().unwrap();
                Ok::<_, Infallible>(Response::new(claims.sub().unwrap_or_default().to_owned()))
            }));
        let validator = Arc::new(validator);
        let service = BearerAuthLayer::from_arc(Arc::clone(&validator))
            .realm("orders")
            .layer(handler);
        Setup {
            signer,
            validator,
            service,
        }
    }

    fn token(signer: &SigningKey, exp_offset: i64, scope: &str) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let claims = json!({
            "iss": ISS, "sub": "auth0|alice", "aud": AUD,
            "iat": now - 10, "exp": now + exp_offset, "scope": scope,
        });
        signer.sign_token(&Map::new(), &claims).unwrap()
    }

    async fn send(setup: &Setup, token: &str) -> Response<String> {
        setup
            .service
            .clone()
            .oneshot(with_auth(&format!("Bearer {token}")))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn valid_token_passes_claims_to_the_handler() {
        let s = setup();
        let response = send(&s, &token(&s.signer, 600, "read:orders")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.body(), "auth0|alice");
    }

    #[tokio::test]
    async fn malformed_tokens_are_still_invalid_requests() {
        // The validator accepts only compact JWS, so the layer checks the
        // RFC 6750 syntax only for rejected tokens: the answers stay the same.
        let s = setup();
        let good = token(&s.signer, 600, "read:orders");
        for bad in [
            format!("{good},x"),
            format!("{}\"{}", &good[..10], &good[11..]),
            "a;b".to_owned(),
        ] {
            let response = send(&s, &bad).await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
            let challenge = challenge(&response);
            assert!(
                challenge.contains("error=\"invalid_request\""),
                "{challenge}"
            );
            assert!(challenge.contains("RFC 6750"), "{challenge}");
        }
        // Not UTF-8 at all.
        let mut request = Request::new(());
        request.headers_mut().insert(
            AUTHORIZATION,
            http::HeaderValue::from_bytes(b"Bearer abc\xff\xfe").unwrap(),
        );
        let response = s.service.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        // A well-formed token that fails is a 401, a good one still passes.
        let response = send(&s, "eyJhbGciOiJFUzI1NiJ9.e30.c2ln").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let response = send(&s, &good).await;
        assert_eq!(response.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn expired_token_is_invalid_token() {
        let s = setup();
        let expired = token(&s.signer, -600, "read:orders");
        for _ in 0..2 {
            // The second time the verdict comes from the validator's memory
            // of expired tokens, answered inline: the same response.
            let response = send(&s, &expired).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
            assert_eq!(
                challenge(&response),
                "Bearer realm=\"orders\", error=\"invalid_token\", error_description=\"The access token expired\""
            );
        }
    }

    #[tokio::test]
    async fn unknown_key_is_invalid_token_without_reflecting_the_kid() {
        // A key set (not a single key): tokens are matched to keys by `kid`.
        let signer = SigningKey::generate_es256().unwrap().with_kid("k1");
        let mut keys = auth0_jwt::key::KeySet::new();
        keys.insert(signer.verifying_key().unwrap());
        let validator = AccessTokenValidator::builder()
            .key_source(StaticKeys::new(keys))
            .issuer(ISS)
            .audience(AUD)
            .algorithms([auth0_jwt::alg::Algorithm::ES256])
            .build()
            .unwrap();
        let service = BearerAuthLayer::new(validator)
            .realm("orders")
            .layer(service_fn(|_req: Request<()>| async move {
                Ok::<_, Infallible>(Response::new(String::new()))
            }));
        let stranger = SigningKey::generate_es256()
            .unwrap()
            .with_kid("attacker-chosen-kid-text");
        let bearer = format!("Bearer {}", token(&stranger, 600, "read:orders"));
        let response = service.oneshot(with_auth(&bearer)).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let challenge = challenge(&response);
        assert!(
            challenge
                .contains("error_description=\"The access token was signed by an unknown key\""),
            "{challenge}"
        );
        assert!(!challenge.contains("attacker-chosen"), "{challenge}");
    }

    #[tokio::test]
    async fn forged_signature_is_invalid_token_and_not_echoed() {
        let s = setup();
        let good = token(&s.signer, 600, "read:orders");
        let forged = SigningKey::generate_es256().unwrap().with_kid("k1");
        let bad = token(&forged, 600, "read:orders");
        assert_eq!(send(&s, &good).await.status(), StatusCode::OK);
        let response = send(&s, &bad).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let challenge = challenge(&response);
        assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
        for segment in bad.split('.') {
            assert!(!challenge.contains(segment));
        }
    }

    #[tokio::test]
    async fn unknown_kid_is_invalid_token() {
        let s = setup();
        let other = SigningKey::generate_es256().unwrap().with_kid("k2");
        let response = send(&s, &token(&other, 600, "read:orders")).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(challenge(&response).contains("error=\"invalid_token\""));
    }

    #[tokio::test]
    async fn challenges_do_not_repeat_the_configuration() {
        // Issuer, audiences, algorithms and organizations are the API's
        // configuration: an unauthenticated caller learns none of them.
        let s = setup();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let base = json!({
            "iss": ISS, "sub": "auth0|alice", "aud": AUD,
            "iat": now - 10, "exp": now + 600, "scope": "read:orders",
        });
        let with = |patch: serde_json::Value| {
            let mut claims = base.clone();
            for (k, v) in patch.as_object().unwrap() {
                claims[k] = v.clone();
            }
            s.signer.sign_token(&Map::new(), &claims).unwrap()
        };
        let hs = SigningKey::hmac(Algorithm::HS256, b"0123456789abcdef0123456789abcdef")
            .unwrap()
            .sign_token(&Map::new(), &base)
            .unwrap();
        let cases = [
            (
                with(json!({"aud": "https://other.example"})),
                "The access token is not valid for this resource",
            ),
            (
                with(json!({"iss": "https://evil.example/"})),
                "The access token is not valid for this resource",
            ),
            (
                with(json!({"aud": 5})),
                "The access token is not valid for this resource",
            ),
            (
                with(json!({"nbf": now + 600})),
                "The access token is not valid yet",
            ),
            (
                with(json!({"iat": now + 600})),
                "The access token is not valid yet",
            ),
            (with(json!({"exp": "soon"})), "The access token is invalid"),
            (
                hs,
                "The access token is signed with an algorithm that is not accepted",
            ),
            (
                "eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.c2ln".to_owned(),
                "The access token is malformed",
            ),
        ];
        for (token, description) in cases {
            let response = send(&s, &token).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
            let challenge = challenge(&response);
            assert_eq!(
                challenge,
                format!(
                    "Bearer realm=\"orders\", error=\"invalid_token\", error_description=\"{description}\""
                )
            );
            for secret in [ISS, AUD, "tenant.example", "orders.example", "ES256"] {
                assert!(!challenge.contains(secret), "{challenge}");
            }
        }
    }

    #[tokio::test]
    async fn missing_scope_is_403_naming_it() {
        let s = setup();
        let response = send(&s, &token(&s.signer, 600, "write:orders")).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let challenge = challenge(&response);
        assert!(
            challenge.contains("error=\"insufficient_scope\""),
            "{challenge}"
        );
        assert!(challenge.ends_with("scope=\"read:orders\""), "{challenge}");
    }

    #[tokio::test]
    async fn repeated_token_is_served_from_the_cache() {
        let s = setup();
        let t = token(&s.signer, 600, "read:orders");
        for _ in 0..3 {
            assert_eq!(send(&s, &t).await.status(), StatusCode::OK);
        }
        let cache = s
            .validator
            .cache()
            .expect("cache is on by default for ES256");
        assert_eq!(cache.len(), 1);
        assert!(cache.get(&t, 0).is_some());
    }
}
