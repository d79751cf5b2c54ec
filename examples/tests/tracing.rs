//! The SDK's spans, captured by a `tracing-subscriber` layer against the
//! local tenant through the public API: a Management call and its token
//! (`auth0.token`), a client-credentials source (`auth0.token.fetch`),
//! Authentication API calls (`auth0.request` with their operation), a JWKS
//! refresh (`auth0.jwks.refresh`) and validations (`auth0.validate`) — with
//! their fields, and no secret anywhere in what was recorded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth0_authentication::token_source::{AccessTokenSource, TokenRequest};
use auth0_jwt::access_token::AccessTokenValidator;
use auth0_jwt::jwks::RemoteJwks;
use auth0_local::LocalTenant;
use auth0_management::api::UsersGetParams;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

type FieldMap = BTreeMap<String, String>;

/// An event: the name of its span, and its fields.
type CapturedEvent = (Option<String>, FieldMap);

const COOLDOWN: Duration = Duration::from_millis(300);

/// Every span (name, level, fields, parent's name) and event recorded.
#[derive(Default, Clone)]
struct Captured {
    spans: Arc<Mutex<Vec<CapturedSpan>>>,
    events: Arc<Mutex<Vec<CapturedEvent>>>,
}

#[derive(Debug, Clone)]
struct CapturedSpan {
    id: u64,
    name: String,
    level: tracing::Level,
    parent: Option<String>,
    fields: FieldMap,
}

struct Fields<'a>(&'a mut FieldMap);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Captured {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = FieldMap::new();
        attrs.record(&mut Fields(&mut fields));
        let parent = ctx
            .span(id)
            .and_then(|s| s.parent().map(|p| p.name().to_owned()));
        self.spans.lock().unwrap().push(CapturedSpan {
            id: id.into_u64(),
            name: attrs.metadata().name().to_owned(),
            level: *attrs.metadata().level(),
            parent,
            fields,
        });
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut spans = self.spans.lock().unwrap();
        // Ids are reused once a span closes: the latest with this id.
        if let Some(span) = spans.iter_mut().rev().find(|s| s.id == id.into_u64()) {
            values.record(&mut Fields(&mut span.fields));
        }
    }
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = FieldMap::new();
        event.record(&mut Fields(&mut fields));
        let span = ctx.event_span(event).map(|s| s.name().to_owned());
        self.events.lock().unwrap().push((span, fields));
    }
}

impl Captured {
    fn named(&self, name: &str) -> Vec<CapturedSpan> {
        self.spans
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.name == name)
            .cloned()
            .collect()
    }

    fn clear(&self) {
        self.spans.lock().unwrap().clear();
        self.events.lock().unwrap().clear();
    }

    fn all_text(&self) -> String {
        let mut out = String::new();
        for span in self.spans.lock().unwrap().iter() {
            out.push_str(&format!("{span:?}\n"));
        }
        for event in self.events.lock().unwrap().iter() {
            out.push_str(&format!("{event:?}\n"));
        }
        out
    }
}

fn field<'a>(span: &'a CapturedSpan, name: &str) -> &'a str {
    span.fields
        .get(name)
        .unwrap_or_else(|| panic!("{} has no {name}: {span:?}", span.name))
}

// current_thread: the JWKS fetch task and the tenant run on this thread,
// under the thread's default subscriber.
#[tokio::test(flavor = "current_thread")]
async fn spans_of_tokens_calls_key_sets_and_validations_without_secrets() {
    let tenant = LocalTenant::builder().start().await.unwrap();
    let captured = Captured::default();
    let subscriber = tracing_subscriber::registry().with(captured.clone());
    let _guard = tracing::subscriber::set_default(subscriber);

    // --- Management: the first call fetches the token, the second hits.
    let management = tenant.management_client().unwrap();
    let user_id = tenant.user().user_id.clone();
    for _ in 0..2 {
        management
            .users()
            .get(&user_id, &UsersGetParams::new())
            .await
            .unwrap();
    }
    let tokens = captured.named("auth0.token");
    assert_eq!(tokens.len(), 2, "{tokens:?}");
    let (miss, hit) = (&tokens[0], &tokens[1]);
    assert_eq!(miss.level, tracing::Level::INFO);
    assert_eq!(field(miss, "auth0.token.cache"), "miss");
    assert_eq!(field(miss, "auth0.grant_type"), "client_credentials");
    assert_eq!(field(miss, "auth0.audience"), tenant.management_audience());
    let expires_in: i64 = field(miss, "auth0.token.expires_in").parse().unwrap();
    assert!(expires_in > 0 && expires_in <= 86_400, "{expires_in}");
    assert!(!miss.fields.contains_key("error.type"), "{miss:?}");
    assert_eq!(hit.level, tracing::Level::DEBUG);
    assert_eq!(field(hit, "auth0.token.cache"), "hit");
    let requests = captured.named("auth0.request");
    let token_call = requests
        .iter()
        .find(|s| s.fields.get("auth0.operation").map(String::as_str) == Some("oauth_token"))
        .expect("the token request has its span");
    assert_eq!(
        token_call.parent.as_deref(),
        Some("auth0.token"),
        "the token request runs inside the token span"
    );
    assert_eq!(field(token_call, "url.template"), "/oauth/token");
    assert_eq!(field(token_call, "otel.name"), "POST /oauth/token");
    assert_eq!(field(token_call, "http.response.status_code"), "200");
    let user_calls = requests
        .iter()
        .filter(|s| field(s, "http.request.method") == "GET")
        .count();
    assert_eq!(user_calls, 2, "{requests:?}");

    // --- A refused token fetch is typed in its span.
    captured.clear();
    let refused = auth0_management::ManagementClient::builder(tenant.client().unwrap())
        .client_credentials(auth0_management::ClientCredentials::new(
            tenant.applications().machine.client_id(),
            "a-wrong-secret-value",
        ))
        .build()
        .unwrap();
    assert!(
        refused
            .users()
            .get(&user_id, &UsersGetParams::new())
            .await
            .is_err()
    );
    let failed = &captured.named("auth0.token")[0];
    assert_eq!(field(failed, "error.type"), "401", "{failed:?}");

    // --- The client-credentials grant as a token source.
    let auth = tenant.authentication_client().unwrap();
    let source = auth.token_source();
    let request = TokenRequest::new(
        tenant.issuer(),
        tenant.api_audience(),
        auth.client_id().to_owned(),
    );
    let issued = source.access_token(&request).await.unwrap();
    let fetch = &captured.named("auth0.token.fetch")[0];
    assert_eq!(field(fetch, "auth0.grant_type"), "client_credentials");
    assert_eq!(field(fetch, "auth0.audience"), tenant.api_audience());
    assert!(
        field(fetch, "auth0.token.expires_in")
            .parse::<i64>()
            .unwrap()
            > 0
    );

    // --- Authentication API calls are named by operation.
    captured.clear();
    let _ = auth.userinfo(issued.access_token()).await;
    let _ = auth
        .delete_mfa_authenticator(issued.access_token(), "sms|dev_1")
        .await;
    let requests = captured.named("auth0.request");
    let operations: Vec<_> = requests
        .iter()
        .map(|s| (field(s, "auth0.operation"), field(s, "url.template")))
        .collect();
    assert_eq!(
        operations,
        [
            ("userinfo", "/userinfo"),
            (
                "mfa_delete_authenticator",
                "/mfa/authenticators/{authenticator_id}"
            )
        ]
    );

    // --- JWKS refresh and validation.
    captured.clear();
    // Keys found by OIDC discovery; a short unknown-kid cooldown so the
    // test sees a refetch allowed, then one suppressed.
    let jwks = RemoteJwks::builder(tenant.client().unwrap())
        .discover(tenant.issuer())
        .unknown_kid_cooldown(COOLDOWN)
        .build()
        .unwrap();
    let validator = AccessTokenValidator::builder()
        .key_source(jwks)
        .issuer(tenant.issuer())
        .audience(tenant.api_audience())
        .algorithms([tenant.algorithm()])
        .build()
        .unwrap();
    validator.validate(issued.access_token()).await.unwrap();
    let refresh = &captured.named("auth0.jwks.refresh")[0];
    assert_eq!(field(refresh, "auth0.jwks.reason"), "no_keys");
    assert_eq!(field(refresh, "auth0.jwks.outcome"), "ok");
    assert_eq!(field(refresh, "auth0.jwks.keys"), "1");
    assert_eq!(field(refresh, "auth0.jwks.changed"), "true");
    assert_eq!(field(refresh, "server.address"), "127.0.0.1");
    assert_eq!(refresh.parent.as_deref(), Some("auth0.validate"));
    let inside: Vec<_> = captured
        .named("auth0.request")
        .into_iter()
        .filter(|s| s.parent.as_deref() == Some("auth0.jwks.refresh"))
        .map(|s| field(&s, "auth0.operation").to_owned())
        .collect();
    assert_eq!(inside, ["openid_configuration", "jwks"]);
    let valid = &captured.named("auth0.validate")[0];
    assert_eq!(valid.level, tracing::Level::DEBUG);
    assert_eq!(field(valid, "auth0.token.kind"), "access_token");
    assert_eq!(field(valid, "auth0.validate.outcome"), "valid");
    assert_eq!(field(valid, "jwt.alg"), tenant.algorithm().as_str());
    assert_eq!(field(valid, "jwt.kid"), tenant.signing_key_ids()[0]);
    assert!(!valid.fields.contains_key("error.type"));
    // Answered from the cache of verified tokens: inline.
    assert!(validator.validate_cached(issued.access_token()).is_some());
    let inline = captured.named("auth0.validate").pop().unwrap();
    assert_eq!(field(&inline, "auth0.validate.inline"), "true");

    // A tampered token: invalid, with the reason's stable name.
    // A character in the middle of the signature: the last one carries
    // padding bits, which a strict decoder refuses as malformed instead.
    let mut tampered = issued.access_token().to_owned();
    let at = tampered.len() - 20;
    let was = tampered.as_bytes()[at];
    tampered.replace_range(at..=at, if was == b'A' { "B" } else { "A" });
    assert!(validator.validate(&tampered).await.is_err());
    let invalid = captured.named("auth0.validate").pop().unwrap();
    assert_eq!(field(&invalid, "auth0.validate.outcome"), "invalid");
    assert_eq!(field(&invalid, "error.type"), "invalid_signature");

    // A rotated key: the unknown kid refetches once, then the cooldown
    // suppresses the next refetch, visibly.
    tenant.rotate_signing_key().unwrap();
    tokio::time::sleep(COOLDOWN + Duration::from_millis(50)).await;
    let rotated = auth.token_source().access_token(&request).await.unwrap();
    validator.validate(rotated.access_token()).await.unwrap();
    let refresh = captured.named("auth0.jwks.refresh").pop().unwrap();
    assert_eq!(field(&refresh, "auth0.jwks.reason"), "unknown_kid");
    assert_eq!(field(&refresh, "auth0.jwks.keys"), "2");
    let forged = forge_with_kid(issued.access_token(), "a-kid-nobody-has");
    let err = validator.validate(&forged).await.unwrap_err();
    let rejected = captured.named("auth0.validate").pop().unwrap();
    assert_eq!(field(&rejected, "jwt.kid"), "a-kid-nobody-has");
    assert_eq!(
        field(&rejected, "auth0.validate.outcome"),
        "invalid",
        "{err}"
    );
    let suppressed = captured.events.lock().unwrap().iter().any(|(_, f)| {
        f.get("message")
            .is_some_and(|m| m.contains("suppressed by the cooldown"))
    });
    assert!(suppressed, "{}", captured.all_text());

    // --- Nothing secret, anywhere.
    let text = captured.all_text();
    for secret in [
        tenant.applications().web.client_secret().unwrap(),
        tenant.applications().machine.client_secret().unwrap(),
        "a-wrong-secret-value",
        issued.access_token(),
        rotated.access_token(),
        &tampered,
        tenant.user().user_id.as_str(),
        tenant.user().email.as_str(),
        // Any JWT (tokens, assertions) starts with a base64url `{"`.
        "eyJ",
    ] {
        assert!(!text.contains(secret), "{secret:?} recorded:\n{text}");
    }
}

/// `token` with its header's `kid` replaced (the signature no longer
/// matches, which is fine: the key lookup comes first).
fn forge_with_kid(token: &str, kid: &str) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (header, rest) = token.split_once('.').unwrap();
    let mut header: serde_json::Value =
        serde_json::from_slice(&b64.decode(header).unwrap()).unwrap();
    header["kid"] = kid.into();
    format!(
        "{}.{rest}",
        b64.encode(serde_json::to_vec(&header).unwrap())
    )
}
