//! Trust by default (issue 10), at the `Auth0Client` level: waits asked for
//! beyond the retry policy's maximum end at once with `RateLimited`,
//! secrets sent in a request never come back in an error, and proxy
//! credentials never show in a `ConfigError`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::type_complexity)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth0_core::client::{Auth0Client, ClientBuilder};
use auth0_core::config::ClientConfig;
use auth0_core::error::{Error, RetryAdvice};
use auth0_core::retry::RetryPolicy;
use auth0_core::secrets::Secrets;
use auth0_core::types::{BoxError, HttpRequest, HttpResponse};
use bytes::Bytes;
use http::Method;

type Script = Arc<dyn Fn(usize, &HttpRequest) -> HttpResponse + Send + Sync>;

/// A transport that answers call `n` with `script(n, request)` and counts.
fn transport(
    script: impl Fn(usize, &HttpRequest) -> HttpResponse + Send + Sync + 'static,
) -> (
    impl tower::Service<
        HttpRequest,
        Response = HttpResponse,
        Error = BoxError,
        Future = std::future::Ready<Result<HttpResponse, BoxError>>,
    > + Clone
    + Send
    + Sync
    + 'static,
    Arc<Mutex<usize>>,
) {
    let script: Script = Arc::new(script);
    let calls = Arc::new(Mutex::new(0usize));
    let counter = calls.clone();
    let svc = tower::service_fn(move |req: HttpRequest| {
        let n = {
            let mut c = counter.lock().unwrap();
            *c += 1;
            *c - 1
        };
        std::future::ready(Ok::<_, BoxError>(script(n, &req)))
    });
    (svc, calls)
}

fn response(status: u16, headers: &[(&str, String)], body: impl Into<Bytes>) -> HttpResponse {
    let mut b = http::Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, v.as_str());
    }
    b.body(body.into()).unwrap()
}

fn config() -> ClientConfig {
    ClientConfig::builder()
        .domain("tenant.auth0.com")
        .retry_policy(
            RetryPolicy::builder()
                .max_wait(Duration::from_secs(10))
                .without_budget()
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test(start_paused = true)]
async fn waits_beyond_the_maximum_end_at_once_with_reset_at() {
    let reset = now_secs() + 600;
    let http_date = {
        // 2 hours ahead, as an IMF-fixdate.
        let at = SystemTime::now() + Duration::from_secs(7_200);
        httpdate(at)
    };
    let cases: Vec<(Vec<(&str, String)>, Box<dyn Fn(i64) -> bool>)> = vec![
        (
            vec![("retry-after", "120".to_owned())],
            Box::new(|r| (r - (now_secs() + 120)).abs() <= 1),
        ),
        (
            vec![("retry-after", http_date)],
            Box::new(|r| (r - (now_secs() + 7_200)).abs() <= 1),
        ),
        (
            vec![("x-ratelimit-reset", reset.to_string())],
            Box::new(move |r| r == reset),
        ),
        (
            vec![("retry-after", "999999999999999999999999".to_owned())],
            Box::new(|r| r == i64::MAX),
        ),
        (
            vec![("x-ratelimit-reset", "18446744073709551615".to_owned())],
            Box::new(|r| r == i64::MAX),
        ),
        (
            vec![("x-ratelimit-reset", "99999999999999999999999999".to_owned())],
            Box::new(|r| r == i64::MAX),
        ),
    ];
    for (headers, check) in cases {
        let h = headers.clone();
        let (svc, calls) = transport(move |_, _| response(429, &h, "{}"));
        let client = ClientBuilder::with_transport(config(), svc)
            .build()
            .unwrap();
        let started = tokio::time::Instant::now();
        let err = client
            .get_json::<serde_json::Value>("/api/v2/users")
            .await
            .unwrap_err();
        assert_eq!(*calls.lock().unwrap(), 1, "{headers:?}: no early retry");
        assert_eq!(started.elapsed(), Duration::ZERO, "{headers:?}: no wait");
        let Error::RateLimited(rl) = &err else {
            panic!("{headers:?}: {err:?}")
        };
        assert!(check(rl.reset_at), "{headers:?}: reset_at {}", rl.reset_at);
        assert_eq!(
            err.retry_advice(&Method::GET),
            RetryAdvice::RetryAt {
                reset_at: rl.reset_at
            }
        );
    }
}

/// An IMF-fixdate for `t` (RFC 9110 §5.6.7).
fn httpdate(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let days = secs / 86_400;
    let (h, m, s) = (secs % 86_400 / 3_600, secs % 3_600 / 60, secs % 60);
    // Civil from days (H. Hinnant).
    let z = days as i64 + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    format!(
        "{}, {d:02} {} {year} {h:02}:{m:02}:{s:02} GMT",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize]
    )
}

#[tokio::test(start_paused = true)]
async fn a_wait_within_the_maximum_is_honoured() {
    let (svc, calls) = transport(|n, _| {
        if n == 0 {
            response(429, &[("retry-after", "10".to_owned())], "{}")
        } else {
            response(200, &[], "{}")
        }
    });
    let client = ClientBuilder::with_transport(config(), svc)
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    client
        .get_json::<serde_json::Value>("/api/v2/users")
        .await
        .unwrap();
    assert_eq!(*calls.lock().unwrap(), 2);
    assert_eq!(started.elapsed(), Duration::from_secs(10));
}

#[tokio::test]
async fn echoed_request_secrets_never_reach_the_error() {
    const SECRET: &str = "cl13nt-s3cr3t/with+odd&chars";
    const EXTRA: &str = "caller-added-secret-value";
    // Echoes the whole request (headers and body) in three ways.
    let echo = |n: usize, req: &HttpRequest| {
        let dump = format!(
            "{:?} {}",
            req.headers(),
            String::from_utf8_lossy(req.body())
        );
        match n % 3 {
            0 => response(
                400,
                &[],
                serde_json::json!({"error": "invalid_request", "error_description": format!("could not parse body: {dump}")})
                    .to_string(),
            ),
            1 => response(502, &[], format!("<html>bad gateway: {dump}</html>")),
            _ => response(200, &[], format!("{{\"broken\": \"{dump}")),
        }
    };
    for n in 0..3 {
        let (svc, _) = transport(move |_, req| echo(n, req));
        let client = ClientBuilder::with_transport(
            ClientConfig::builder()
                .domain("tenant.auth0.com")
                .retry_policy(RetryPolicy::disabled())
                .build()
                .unwrap(),
            svc,
        )
        .build()
        .unwrap();
        let err = client
            .post_form::<serde_json::Value>(
                "/oauth/token",
                &[
                    ("grant_type", "client_credentials"),
                    ("client_secret", SECRET),
                ],
            )
            .await
            .unwrap_err();
        assert_nowhere(&err, SECRET);

        // A value named in a `Secrets` extension, a bearer token.
        let secrets = Secrets::new();
        secrets.insert(EXTRA);
        let mut req = http::Request::post("/x")
            .header("authorization", "Bearer eyJ.bearer.token")
            .body(Bytes::from(format!("free text {EXTRA}")))
            .unwrap();
        req.extensions_mut().insert(secrets);
        let res = client.send(req).await.unwrap();
        let err = if res.status().is_success() {
            auth0_core::client::decode_body::<serde_json::Value>(&res).unwrap_err()
        } else {
            Error::from_response(&res)
        };
        assert_nowhere(&err, EXTRA);
        assert_nowhere(&err, "eyJ.bearer.token");
    }
}

#[tokio::test]
async fn every_auth0_error_shape_is_read_typed_and_scrubbed() {
    const SECRET: &str = "s3cr3t-Passw0rd!";
    const DEEP: &str = "eyJdeep.token.value";
    // (body, expected code, expected message without the secrets)
    let cases: Vec<(String, &str, &str)> = vec![
        // Management API shape, the secret echoed in `message`.
        (
            serde_json::json!({"statusCode": 400, "error": "Bad Request",
                "message": format!("Payload validation error: password {SECRET} is weak"),
                "errorCode": "invalid_body"})
            .to_string(),
            "invalid_body",
            "Payload validation error: password [REDACTED] is weak",
        ),
        // `/dbconnections` shape: `code` + `description`, both echoing.
        (
            serde_json::json!({"name": "BadRequestError", "code": SECRET,
                "description": format!("The password {SECRET} is too weak"), "statusCode": 400})
            .to_string(),
            "[REDACTED]",
            "The password [REDACTED] is too weak",
        ),
        // OAuth shape; a secret-named member deep in the body (never sent
        // by this client) is scrubbed from the message too.
        (
            serde_json::json!({"error": "invalid_grant",
                "error_description": format!("token {DEEP} is not valid"),
                "details": {"nested": [{"access_token": DEEP}]}})
            .to_string(),
            "invalid_grant",
            "token [REDACTED] is not valid",
        ),
        // A numeric code, a structured description (ignored), no message.
        (
            serde_json::json!({"errorCode": 1234, "description": {"rules": [SECRET]}}).to_string(),
            "1234",
            "Bad Request",
        ),
        // Not an object: shown as text, scrubbed.
        (
            serde_json::json!(["invalid_request", SECRET]).to_string(),
            auth0_core::error::UNKNOWN_ERROR_CODE,
            r#"["invalid_request","[REDACTED]"]"#,
        ),
    ];
    for (body, code, message) in cases {
        let answer = body.clone();
        let (svc, _) = transport(move |_, _| response(400, &[], answer.clone()));
        let client = ClientBuilder::with_transport(config(), svc)
            .build()
            .unwrap();
        let err = client
            .post_form::<serde_json::Value>(
                "/dbconnections/signup",
                &[("email", "a@example.com"), ("password", SECRET)],
            )
            .await
            .unwrap_err();
        let api = err.auth0_error().unwrap();
        assert_eq!(
            (api.error_code.as_str(), api.message.as_str()),
            (code, message),
            "{body}"
        );
        assert_nowhere(&err, SECRET);
        assert_nowhere(&err, DEEP);
    }
}

fn assert_nowhere(err: &Error, secret: &str) {
    let mut shown = format!("{err} {err:?}");
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        shown.push_str(&format!(" {s} {s:?}"));
        source = s.source();
    }
    if let Some(api) = err.auth0_error() {
        shown.push_str(&api.message);
        shown.push_str(&api.error_code);
    }
    if let Error::Decode { body_snippet, .. } = err {
        shown.push_str(body_snippet);
    }
    let mut encoded = String::new();
    auth0_core::client::percent_encode_into(&mut encoded, secret);
    for form in [secret.to_owned(), encoded] {
        assert!(!shown.contains(&form), "{form:?} leaked: {shown}");
    }
}

#[test]
fn proxy_credentials_never_show_even_when_the_url_is_long() {
    let password = "p4ssw0rd".repeat(40);
    for url in [
        format!("http://user:{password}@proxy.internal:3128/not-allowed"),
        format!("https://user:{password}@proxy.internal:3128"),
        format!("http://user:pa/ss{password}@proxy.internal:3128/x"),
    ] {
        let err = ClientConfig::builder()
            .domain("tenant.auth0.com")
            .proxy(url.clone())
            .build()
            .unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("p4ss"), "{shown}");
        assert!(!shown.contains("user:"), "{shown}");
    }
    // Also in the Debug of a valid configuration.
    let config = ClientConfig::builder()
        .domain("tenant.auth0.com")
        .proxy(format!("http://user:{password}@proxy.internal:3128"))
        .build()
        .unwrap();
    assert!(!format!("{config:?}").contains("p4ss"));
    let _ = Auth0Client::new(config);
}
