//! Fuzzing harness for the local tenant's request handling (the `routes`
//! target). Not a supported API: behind the non-default `fuzzing` feature,
//! shared by `fuzz/fuzz_targets/routes.rs` and `tests/fuzz_corpus.rs`. See
//! docs/FUZZING.md.
//!
//! Other SDKs, test suites and curl send the emulator whatever they send, so
//! every request must get an answer in Auth0's shapes, not a panic and not a
//! 500.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{LazyLock, Mutex};

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode, Uri};
use serde_json::Value;

use auth0_jwt::verifier::AsymmetricSignatureVerifier;

use crate::faults::RateLimit;
use crate::server::{Req, full_bytes, respond};
use crate::tenant::LocalTenant;

/// One tenant for every input (starting one makes RSA keys), on a runtime of
/// its own, and the values an input can name with `{…}` placeholders: the
/// applications' credentials, the user's login and tokens minted at start,
/// so the fuzzer reaches past authentication.
struct Fixture {
    runtime: tokio::runtime::Runtime,
    tenant: LocalTenant,
    substitutions: Vec<(&'static [u8], Vec<u8>)>,
    /// The tenant's published keys, read from its JWKS document at start,
    /// through auth0-jwt's public API (not the tenant's own verifier).
    keys: AsymmetricSignatureVerifier,
}

/// Users, clients and the like the inputs create accumulate in the tenant;
/// past this many users a fresh tenant is started, so lists stay small.
const MAX_USERS: usize = 2_000;

static FIXTURE: LazyLock<Mutex<Option<Fixture>>> = LazyLock::new(|| Mutex::new(None));

impl Fixture {
    fn start() -> Fixture {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let tenant = runtime.block_on(async {
            LocalTenant::builder()
                .plain_http()
                // No 429s from the tenant-wide limit: the inputs come much
                // faster than any client's.
                .rate_limit(RateLimit::new(u32::MAX, std::time::Duration::from_secs(1)))
                .start()
                .await
                .expect("tenant")
        });
        // Asked for as the inputs ask: through `parse_request` and `respond`.
        let ask = |request: String| {
            let req = parse_request(request.as_bytes()).expect("a fixture request");
            let response = runtime.block_on(respond(tenant.shared(), &req));
            let status = response.status();
            let body = full_bytes(response.into_body());
            assert_eq!(status, StatusCode::OK, "{request}: {body:?}");
            body
        };
        let token = |form: String| -> Vec<u8> {
            let body = ask(format!(
                "POST /oauth/token\ncontent-type: application/x-www-form-urlencoded\n\n{form}"
            ));
            let body: Value = serde_json::from_slice(&body).expect("a JSON token response");
            let token = body["access_token"].as_str().expect("access_token");
            token.as_bytes().to_vec()
        };
        let jwks = ask("GET /.well-known/jwks.json".to_owned());
        let keys = AsymmetricSignatureVerifier::from_jwks_json(
            std::str::from_utf8(&jwks).expect("JWKS text"),
        )
        .expect("the tenant's JWKS");

        let apps = tenant.applications();
        let user = tenant.user();
        let (web_secret, m2m_secret) = (
            apps.web.client_secret().unwrap_or_default(),
            apps.machine.client_secret().unwrap_or_default(),
        );
        let (mgmt_aud, api_aud) = (tenant.management_audience(), tenant.api_audience());
        let management = token(format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&audience={}",
            apps.machine.client_id(),
            form(m2m_secret),
            form(&mgmt_aud),
        ));
        let user_token = token(format!(
            "grant_type=password&client_id={}&client_secret={}&username={}&password={}\
             &scope=openid%20profile%20email%20offline_access&audience={}",
            apps.web.client_id(),
            form(web_secret),
            form(&user.email),
            form(&user.password),
            form(api_aud),
        ));
        let substitutions: Vec<(&'static [u8], Vec<u8>)> = vec![
            (b"{web_id}", apps.web.client_id().into()),
            (b"{web_secret}", web_secret.into()),
            (b"{m2m_id}", apps.machine.client_id().into()),
            (b"{m2m_secret}", m2m_secret.into()),
            (b"{native_id}", apps.native.client_id().into()),
            (b"{email}", user.email.as_str().into()),
            (b"{password}", user.password.as_str().into()),
            (b"{user_id}", user.user_id.as_str().into()),
            (b"{mgmt_aud}", mgmt_aud.into_bytes()),
            (b"{api_aud}", api_aud.into()),
            (b"{mgmt}", management),
            (b"{user_token}", user_token),
            (b"{control_token}", tenant.control_token().into()),
        ];
        Fixture {
            runtime,
            tenant,
            substitutions,
            keys,
        }
    }
}

fn form(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Replaces every `{name}` placeholder of the fixture in `data`.
fn substitute(data: &[u8], substitutions: &[(&'static [u8], Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    'outer: while i < data.len() {
        if data[i] == b'{' {
            for (name, value) in substitutions {
                if data[i..].starts_with(name) {
                    out.extend_from_slice(value);
                    i += name.len();
                    continue 'outer;
                }
            }
        }
        out.push(data[i]);
        i += 1;
    }
    out
}

/// A request as an HTTP/1.1 server would hand it over: `None` for what
/// hyper refuses before the tenant sees it (a method or target that is not
/// one, a header that is not valid).
///
/// The input reads like a request: `METHOD TARGET` on the first line, then
/// `name: value` header lines, an empty line, and the body.
fn parse_request(data: &[u8]) -> Option<Req> {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    let mut lines = head.split(|&b| b == b'\n');
    let first = lines.next()?;
    let space = first.iter().position(|&b| b == b' ')?;
    let method = Method::from_bytes(&first[..space]).ok()?;
    let uri: Uri = Uri::try_from(&first[space + 1..]).ok()?;
    // Origin form (`/path?query`) or absolute form, as hyper passes them.
    if !uri.path().starts_with('/') {
        return None;
    }
    let mut headers = HeaderMap::new();
    for line in lines {
        let colon = line.iter().position(|&b| b == b':')?;
        let name = HeaderName::from_bytes(&line[..colon]).ok()?;
        let value = HeaderValue::from_bytes(line[colon + 1..].trim_ascii()).ok()?;
        headers.append(name, value);
    }
    Some(Req {
        method,
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or("").to_owned(),
        authority: uri.authority().map(|a| a.as_str().to_owned()),
        headers,
        body: Bytes::copy_from_slice(body),
        client_certificate: None,
    })
}

/// The `routes` target: any request the tenant is handed gets an answer at
/// once (its routes never wait on anything but themselves), and that answer
/// is one Auth0 could give:
///
/// - no `5xx` but `501` (an operation of the API description the tenant does
///   not emulate): whatever a client sends is a client error;
/// - a JSON content type means a body that parses as JSON;
/// - an error in JSON has Auth0's shape: on `/api/v2/` the Management API's
///   `statusCode` (equal to the status), `error` and `message`; on
///   `/dbconnections/signup` the signup errors' `name`, `code`,
///   `description` and `statusCode`; elsewhere the Authentication API's
///   `error` (RFC 6749 §5.2), with an `error_description` that is a string
///   when present;
/// - a redirect has a `Location`;
/// - every JWT a successful answer hands out verifies with the tenant's JWKS
///   and has its issuer, a subject, an audience and `exp` after `iat`.
pub fn routes(data: &[u8]) {
    let mut guard = FIXTURE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if guard
        .as_ref()
        .is_none_or(|f| f.tenant.user_count() > MAX_USERS)
    {
        // The old tenant (its server, its store) goes before the new starts.
        *guard = None;
        *guard = Some(Fixture::start());
    }
    let fixture = guard.as_ref().expect("started");
    let data = substitute(data, &fixture.substitutions);
    let Some(req) = parse_request(&data) else {
        return;
    };
    // As `server::handle` routes them: the control API first.
    let response = if req.path.starts_with(crate::control::PREFIX) {
        // A key rotation generates an RSA key (hundreds of milliseconds, on
        // a blocking thread): not an input the fuzzer should repeat.
        if req.path.ends_with("/rotate") {
            return;
        }
        let control = crate::control::route(
            &fixture.tenant.shared,
            &req.method,
            &req.path,
            Some(&req.query),
            &req.headers,
        );
        match poll_ready(control, fixture) {
            Some(response) => response,
            None => return,
        }
    } else {
        poll_ready(respond(fixture.tenant.shared(), &req), fixture)
    };
    let status = response.status();
    let json_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let has_location = response.headers().contains_key(header::LOCATION);
    let body = full_bytes(response.into_body());
    let context = || {
        format!(
            "{} {}?{} -> {status}: {}",
            req.method,
            req.path,
            req.query,
            String::from_utf8_lossy(&body)
        )
    };
    assert!(
        !status.is_server_error() || status == StatusCode::NOT_IMPLEMENTED,
        "a server error for a client's request: {}",
        context()
    );
    if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
        assert!(has_location, "a redirect without a Location: {}", context());
    }
    if !json_type {
        return;
    }
    let value: Value = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("a JSON content type over non-JSON ({e}): {}", context()));
    if status.is_success() {
        check_issued_tokens(fixture, &value, &context);
        return;
    }
    if !status.is_client_error() && !status.is_server_error() {
        return;
    }
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("an error that is no JSON object: {}", context()));
    // Each API's error shape: whether it repeats the status as
    // `statusCode`, and its string members.
    let (status_code, members): (bool, &[&str]) = if req.path.starts_with("/api/v2/") {
        (true, &["error", "message"])
    } else if req.method == Method::POST && req.path == "/dbconnections/signup" {
        // Auth0's signup errors keep their own shape (what the official
        // SDKs read as `code` and `description`).
        (true, &["name", "code", "description"])
    } else {
        // RFC 6749 §5.2.
        (false, &["error"])
    };
    if status_code {
        assert_eq!(
            object.get("statusCode").and_then(Value::as_u64),
            Some(u64::from(status.as_u16())),
            "statusCode: {}",
            context()
        );
    }
    for member in members {
        assert!(
            object.get(*member).is_some_and(Value::is_string),
            "no string `{member}`: {}",
            context()
        );
    }
    assert!(
        object.get("error_description").is_none_or(Value::is_string),
        "error_description: {}",
        context()
    );
}

/// Every JWT a successful answer hands out (`access_token`, `id_token`) is
/// signed with a key of the tenant's JWKS and names the tenant as its
/// issuer, a subject, an audience and an expiry after its issue time.
/// Tokens for an API the inputs set to HS256 (signed with its secret, as
/// Auth0 does) and opaque access tokens are not JWKS-signed and are skipped.
fn check_issued_tokens(fixture: &Fixture, value: &Value, context: &dyn Fn() -> String) {
    for name in ["access_token", "id_token"] {
        let Some(token) = value.get(name).and_then(Value::as_str) else {
            continue;
        };
        if token.split('.').count() != 3 {
            continue;
        }
        let header = auth0_jwt::jws::Jws::parse(token, &Default::default())
            .unwrap_or_else(|e| panic!("{name} does not parse ({e}): {}", context()));
        if header.header().alg.starts_with("HS") {
            continue;
        }
        let claims = poll_ready(fixture.keys.verify_signature(token), fixture)
            .unwrap_or_else(|e| panic!("{name} does not verify ({e}): {}", context()));
        assert_eq!(
            claims.get("iss").and_then(Value::as_str),
            Some(fixture.tenant.issuer()),
            "{name} iss: {}",
            context()
        );
        assert!(
            claims
                .get("sub")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty()),
            "{name} sub: {}",
            context()
        );
        assert!(
            claims
                .get("aud")
                .is_some_and(|a| a.is_string() || a.is_array()),
            "{name} aud: {}",
            context()
        );
        let (iat, exp) = (
            claims.get("iat").and_then(Value::as_i64),
            claims.get("exp").and_then(Value::as_i64),
        );
        assert!(
            matches!((iat, exp), (Some(iat), Some(exp)) if exp > iat),
            "{name} iat/exp: {}",
            context()
        );
    }
}

/// Polls `future` on the fixture's runtime; it must complete without
/// waiting on a timer or I/O (a route that waits would hang a client).
fn poll_ready<F: std::future::Future>(future: F, fixture: &Fixture) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let _entered = fixture.runtime.enter();
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a route waited"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse_as_an_http_server_hands_them_over() {
        let req = parse_request(b"POST /oauth/token?x=1\ncontent-type: a/b\n\nbody").unwrap();
        assert_eq!(req.method, Method::POST);
        assert_eq!(
            (req.path.as_str(), req.query.as_str()),
            ("/oauth/token", "x=1")
        );
        assert_eq!(req.headers[header::CONTENT_TYPE], "a/b");
        assert_eq!(&req.body[..], b"body");
        assert!(parse_request(b"GET").is_none());
        assert!(parse_request(b"G T /x").is_none());
        assert!(parse_request(b"GET /x\nbad header").is_none());
        assert_eq!(
            substitute(b"a{x}b{y}{", &[(b"{x}", b"1".to_vec())]),
            b"a1b{y}{".to_vec()
        );
    }
}
