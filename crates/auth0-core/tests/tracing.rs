//! The `auth0.request` span of the default stack, captured by a
//! `tracing-subscriber` layer: its OpenTelemetry field names and values,
//! retries and waits recorded, failures typed — and no secret, header, body,
//! query or path in any span or event unless the path is asked for.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth0_core::retry::RetryPolicy;
use auth0_core::trace::Operation;
use auth0_core::types::{BoxError, HttpRequest, HttpResponse};
use auth0_core::{Auth0Client, ClientBuilder, ClientConfig};
use bytes::Bytes;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

const SECRET: &str = "s3cr3t-client-secret-value";
const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.bearer-token-value.signature";
const USER_ID: &str = "auth0|user-id-with-data";

/// Everything recorded: spans (name → fields), and events (message and
/// fields, with the name of their span).
type FieldMap = BTreeMap<String, String>;
/// An event: the name of its span, and its fields.
type CapturedEvent = (Option<String>, FieldMap);

#[derive(Default, Clone)]
struct Captured {
    /// Span id → (span name, fields).
    spans: Arc<Mutex<BTreeMap<u64, (String, FieldMap)>>>,
    /// (name of the event's span, the event's fields).
    events: Arc<Mutex<Vec<CapturedEvent>>>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Captured {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        self.spans
            .lock()
            .unwrap()
            .insert(id.into_u64(), (attrs.metadata().name().to_owned(), fields));
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        if let Some((_, fields)) = self.spans.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(&mut Fields(fields));
        }
    }
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let span = ctx.event_span(event).map(|s| s.name().to_owned());
        self.events.lock().unwrap().push((span, fields));
    }
}

impl Captured {
    fn request_spans(&self) -> Vec<BTreeMap<String, String>> {
        self.spans
            .lock()
            .unwrap()
            .values()
            .filter(|(name, _)| name == "auth0.request")
            .map(|(_, f)| f.clone())
            .collect()
    }

    /// Every recorded text, for the "no secret anywhere" checks.
    fn all_text(&self) -> String {
        let mut out = String::new();
        for (name, fields) in self.spans.lock().unwrap().values() {
            out.push_str(&format!("{name} {fields:?}\n"));
        }
        for (span, fields) in self.events.lock().unwrap().iter() {
            out.push_str(&format!("{span:?} {fields:?}\n"));
        }
        out
    }
}

/// A transport answering each call with the next scripted status (the last
/// one repeats), with Auth0's rate-limit headers.
fn scripted(
    statuses: &'static [u16],
) -> impl tower::Service<
    HttpRequest,
    Response = HttpResponse,
    Error = BoxError,
    Future = impl Send + 'static,
> + Clone
+ Send
+ Sync
+ 'static {
    let calls = Arc::new(AtomicUsize::new(0));
    tower::service_fn(move |req: HttpRequest| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        let status = statuses[n.min(statuses.len() - 1)];
        async move {
            // The server echoes what it got: a careless span would record it.
            let body = format!(
                r#"{{"echo":"{}","auth":"{:?}"}}"#,
                String::from_utf8_lossy(req.body()),
                req.headers().get("authorization")
            );
            let res = http::Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .header("x-ratelimit-limit", "50")
                .header("x-ratelimit-remaining", "41")
                .header("retry-after", "0")
                .body(Bytes::from(body))
                .unwrap();
            Ok::<_, BoxError>(res)
        }
    })
}

fn config(record_path: bool) -> ClientConfig {
    ClientConfig::builder()
        .domain("tenant.example.com")
        .retry_policy(
            RetryPolicy::builder()
                .max_retries(3)
                .base_delay(Duration::from_millis(1))
                .without_budget()
                .build()
                .unwrap(),
        )
        .trace_url_path(record_path)
        .build()
        .unwrap()
}

fn request(method: http::Method) -> HttpRequest {
    let mut encoded = String::new();
    auth0_core::client::percent_encode_into(&mut encoded, USER_ID);
    let mut req = http::Request::builder()
        .method(method)
        .uri(format!(
            "https://tenant.example.com/api/v2/users/{encoded}?q=email:{SECRET}"
        ))
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Bytes::from(format!("client_secret={SECRET}")))
        .unwrap();
    req.extensions_mut()
        .insert(Operation::new("get_user", "/api/v2/users/{id}"));
    req
}

async fn run<T>(
    captured: &Captured,
    client: &Auth0Client<T>,
    req: HttpRequest,
) -> Result<HttpResponse, auth0_core::Error>
where
    T: auth0_core::types::HttpService,
{
    let subscriber = tracing_subscriber::registry().with(captured.clone());
    let _guard = tracing::subscriber::set_default(subscriber);
    client.send(req).await
}

#[tokio::test]
async fn one_span_per_call_with_opentelemetry_fields() {
    let captured = Captured::default();
    let client = ClientBuilder::with_transport(config(false), scripted(&[200]))
        .build()
        .unwrap();
    run(&captured, &client, request(http::Method::GET))
        .await
        .unwrap();
    let spans = captured.request_spans();
    assert_eq!(spans.len(), 1, "{spans:?}");
    let span = &spans[0];
    assert_eq!(span["otel.name"], "GET /api/v2/users/{id}");
    assert_eq!(span["otel.kind"], "client");
    assert_eq!(span["http.request.method"], "GET");
    assert_eq!(span["url.template"], "/api/v2/users/{id}");
    assert_eq!(span["auth0.operation"], "get_user");
    assert_eq!(span["server.address"], "tenant.example.com");
    assert_eq!(span["server.port"], "443");
    assert_eq!(span["http.response.status_code"], "200");
    assert_eq!(span["auth0.rate_limit.remaining"], "41");
    assert!(!span.contains_key("url.path"), "{span:?}");
    assert!(!span.contains_key("error.type"), "{span:?}");
    assert!(!span.contains_key("http.request.resend_count"), "{span:?}");
}

#[tokio::test]
async fn retries_and_their_waits_are_recorded_in_the_span() {
    let captured = Captured::default();
    let client = ClientBuilder::with_transport(config(false), scripted(&[503, 429, 200]))
        .build()
        .unwrap();
    run(&captured, &client, request(http::Method::GET))
        .await
        .unwrap();
    let spans = captured.request_spans();
    assert_eq!(spans.len(), 1, "one span for the call, not one per attempt");
    assert_eq!(spans[0]["http.request.resend_count"], "2");
    assert_eq!(spans[0]["http.response.status_code"], "200");
    let retries: Vec<_> = captured
        .events
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, f)| f.get("message").is_some_and(|m| m == "retrying request"))
        .map(|(span, f)| (span.clone(), f.get("reason").cloned()))
        .collect();
    assert_eq!(retries.len(), 2, "{retries:?}");
    assert!(
        retries
            .iter()
            .all(|(span, _)| span.as_deref() == Some("auth0.request")),
        "retry events belong to the call's span: {retries:?}"
    );
}

#[tokio::test]
async fn failures_set_error_type() {
    let captured = Captured::default();
    let client = ClientBuilder::with_transport(config(false), scripted(&[404]))
        .build()
        .unwrap();
    let _ = run(&captured, &client, request(http::Method::GET)).await;
    let span = &captured.request_spans()[0];
    assert_eq!(span["error.type"], "404");
    assert_eq!(span["otel.status_code"], "ERROR");

    let captured = Captured::default();
    let refused = tower::service_fn(|_req: HttpRequest| async {
        Err::<HttpResponse, BoxError>("connection refused".into())
    });
    let client = ClientBuilder::with_transport(config(false), refused)
        .build()
        .unwrap();
    assert!(
        run(&captured, &client, request(http::Method::POST))
            .await
            .is_err()
    );
    let span = &captured.request_spans()[0];
    assert_eq!(span["error.type"], "transport");
    assert_eq!(span["otel.status_code"], "ERROR");
    assert!(!span.contains_key("http.response.status_code"));
}

#[tokio::test]
async fn no_secret_header_body_query_or_path_is_recorded() {
    let captured = Captured::default();
    let client = ClientBuilder::with_transport(config(false), scripted(&[500, 500, 200]))
        .build()
        .unwrap();
    run(&captured, &client, request(http::Method::GET))
        .await
        .unwrap();
    let text = captured.all_text();
    assert!(text.contains("auth0.request"), "{text}");
    for needle in [
        SECRET,
        TOKEN,
        "user-id-with-data",
        "Bearer",
        "/api/v2/users/auth0",
    ] {
        assert!(!text.contains(needle), "{needle:?} recorded:\n{text}");
    }
}

#[tokio::test]
async fn the_path_is_recorded_only_when_asked() {
    let captured = Captured::default();
    let client = ClientBuilder::with_transport(config(true), scripted(&[200]))
        .build()
        .unwrap();
    run(&captured, &client, request(http::Method::GET))
        .await
        .unwrap();
    let span = &captured.request_spans()[0];
    assert_eq!(span["url.path"], "/api/v2/users/auth0%7Cuser-id-with-data");
    // The query is never recorded, asked or not.
    assert!(!captured.all_text().contains(SECRET));
}

/// `send_operation` names the call's span on the default stack alone (the
/// operation goes to the trace layer without an extension: a local tenant
/// answers, nothing else sees the request), and puts the `Operation`
/// extension on the request whenever a layer of the caller's could read
/// it — here one added with `with_layer`, which also sees the span named.
#[tokio::test]
async fn send_operation_names_the_span_and_reaches_user_layers() {
    let tenant = auth0_local::LocalTenant::builder()
        .plain_http()
        .start()
        .await
        .unwrap();
    let operation = Operation::new("jwks_get", "/.well-known/jwks.json");
    let get = || {
        http::Request::get("/.well-known/jwks.json")
            .body(Bytes::new())
            .unwrap()
    };
    // The default stack alone.
    let captured = Captured::default();
    let plain = Auth0Client::new(tenant.client_config().build().unwrap()).unwrap();
    {
        let subscriber = tracing_subscriber::registry().with(captured.clone());
        let _guard = tracing::subscriber::set_default(subscriber);
        let response = plain.send_operation(get(), Some(operation)).await.unwrap();
        assert_eq!(response.status(), 200);
        // Handed over for that call only: the next one names nothing.
        plain.send(get()).await.unwrap();
    }
    let spans = captured.request_spans();
    assert_eq!(spans.len(), 2, "{spans:?}");
    assert_eq!(spans[0]["url.template"], "/.well-known/jwks.json");
    assert_eq!(spans[0]["auth0.operation"], "jwks_get");
    assert_eq!(spans[0]["otel.name"], "GET /.well-known/jwks.json");
    assert!(!spans[1].contains_key("auth0.operation"), "{spans:?}");
    // With a layer of the caller's: the extension, as before.
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let layered = Auth0Client::builder(tenant.client_config().build().unwrap())
        .with_layer(tower::util::MapRequestLayer::new(
            move |req: HttpRequest| {
                log.lock()
                    .unwrap()
                    .push(req.extensions().get::<Operation>().copied());
                req
            },
        ))
        .build()
        .unwrap();
    let captured = Captured::default();
    {
        let subscriber = tracing_subscriber::registry().with(captured.clone());
        let _guard = tracing::subscriber::set_default(subscriber);
        layered
            .send_operation(get(), Some(operation))
            .await
            .unwrap();
        layered.send_operation(get(), None).await.unwrap();
    }
    assert_eq!(seen.lock().unwrap().as_slice(), [Some(operation), None]);
    let spans = captured.request_spans();
    assert_eq!(spans[0]["auth0.operation"], "jwks_get");
    assert!(!spans[1].contains_key("auth0.operation"), "{spans:?}");
}
