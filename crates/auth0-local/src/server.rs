//! The server side: one buffered request per exchange (recorded), the fault
//! injector and the tenant-wide rate limit that run
//! before any route, and the response helpers every route shares.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use serde_json::{Value, json};

use crate::faults::{Decision, Scripted, ScriptedBody};
use crate::http::TenantBody;
use crate::recording::RecordedRequest;
use crate::tenant::Shared;

/// Largest request body the tenant reads (Auth0 refuses bodies over 1 MB on
/// most endpoints too).
const MAX_REQUEST_BODY: usize = 1024 * 1024;

/// One response, fully buffered.
pub(crate) type Resp = Response<Full<Bytes>>;

/// What a route sees of one request: the body is already read.
#[derive(Debug)]
pub(crate) struct Req {
    pub(crate) method: Method,
    /// Still percent-encoded, without the query.
    pub(crate) path: String,
    pub(crate) query: String,
    pub(crate) headers: HeaderMap,
    /// The request target's authority when the URI carries one: HTTP/2's
    /// `:authority` (RFC 9113 §8.3.1), an absolute-form HTTP/1.1 target.
    pub(crate) authority: Option<String>,
    pub(crate) body: Bytes,
    /// The leaf certificate (DER) the client presented in the TLS
    /// handshake, when the tenant asks for one ([`crate::mtls`]).
    pub(crate) client_certificate: Option<Arc<Vec<u8>>>,
}

impl Req {
    /// The host the request was sent to (RFC 9110 §7.2): the target URI's
    /// authority when it has one — HTTP/2 sends it as `:authority` and
    /// needs no `Host` header —, else the `Host` header.
    pub(crate) fn host(&self) -> Option<&str> {
        self.authority
            .as_deref()
            .or_else(|| self.headers.get(header::HOST).and_then(|h| h.to_str().ok()))
    }

    /// The decoded query parameters (the last value of a repeated one).
    pub(crate) fn query_params(&self) -> HashMap<String, String> {
        parse_form(self.query.as_bytes())
    }

    /// Every value of one query parameter, in order: an array parameter
    /// comes once per item (OpenAPI's default `form` style with `explode`,
    /// `strategy=auth0&strategy=email`).
    pub(crate) fn query_values(&self, name: &str) -> Vec<String> {
        form_urlencoded::parse(self.query.as_bytes())
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
            .collect()
    }

    /// The token of an `Authorization: Bearer …` header.
    pub(crate) fn bearer(&self) -> Option<&str> {
        bearer(&self.headers)
    }

    /// `client_id:client_secret` of an `Authorization: Basic …` header
    /// (`client_secret_basic`, RFC 6749 §2.3.1).
    pub(crate) fn basic_credentials(&self) -> Option<(String, String)> {
        use base64::Engine as _;
        let value = self.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
        let (scheme, encoded) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (id, secret) = text.split_once(':')?;
        // RFC 6749 §2.3.1: both are form-encoded before being joined.
        Some((
            percent_decode(id.as_bytes()),
            percent_decode(secret.as_bytes()),
        ))
    }

    fn is_json(&self) -> bool {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with("application/json"))
    }

    /// The string fields of a JSON or form body (Auth0's authentication
    /// endpoints take both); numbers and booleans are kept as their JSON text.
    pub(crate) fn params(&self) -> Result<HashMap<String, String>, Resp> {
        if !self.is_json() {
            return Ok(parse_form(&self.body));
        }
        match serde_json::from_slice::<serde_json::Map<String, Value>>(&self.body) {
            Ok(map) => Ok(map
                .into_iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k, s)),
                    Value::Null => None,
                    other => Some((k, other.to_string())),
                })
                .collect()),
            Err(_) => Err(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Invalid JSON body",
            )),
        }
    }

    /// The JSON body, or the Management API's 400 when it is not JSON.
    pub(crate) fn json_body(&self) -> Result<Value, Resp> {
        serde_json::from_slice::<Value>(&self.body).map_err(|_| {
            api_error(
                StatusCode::BAD_REQUEST,
                "Payload validation error: 'Invalid JSON'.",
                "invalid_body",
            )
        })
    }
}

/// The token of an `Authorization: Bearer …` header in `headers` (also
/// read by the control API, before a [`Req`] exists).
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    // RFC 6750 §2.1: the scheme is case-insensitive.
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The error a service returns to make hyper drop the connection without an
/// answer: the injected "dropped connection" fault.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by an injected fault")]
pub(crate) struct Dropped;

/// One exchange: read the body, answer a control request (`control.rs`,
/// outside the emulation), else record the request, ask the fault plan,
/// then the rate limit, then the routes.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    connection: u64,
    client_certificate: Option<Arc<Vec<u8>>>,
    request: Request<Incoming>,
) -> Result<Response<TenantBody>, Dropped> {
    let (parts, body) = request.into_parts();
    let read = Limited::new(body, MAX_REQUEST_BODY).collect();
    let body = match tokio::time::timeout(crate::http::BODY_READ_TIMEOUT, read).await {
        Ok(Ok(body)) => body.to_bytes(),
        // Over the limit: `413`, and an HTTP/1.1 connection closed (the
        // rest of the body is never read).
        Ok(Err(error)) if error.is::<LengthLimitError>() => {
            let answer = oauth_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request",
                "Request body too large",
            );
            return Ok(closing(answer, parts.version).map(TenantBody::from));
        }
        // The body could not be read — a malformed chunk, a client that
        // hung up or reset its stream in the middle —: `400` for whoever
        // can still read it, and an HTTP/1.1 connection, whose framing is
        // lost, closed.
        Ok(Err(_)) => {
            let answer = oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "The request body could not be read",
            );
            return Ok(closing(answer, parts.version).map(TenantBody::from));
        }
        // The client stopped sending its body: `408`, and an HTTP/1.1
        // connection is closed (RFC 9110 §15.5.9), the rest never read.
        Err(_) => {
            let answer = oauth_error(
                StatusCode::REQUEST_TIMEOUT,
                "invalid_request",
                "The request body was not received in time",
            );
            return Ok(closing(answer, parts.version).map(TenantBody::from));
        }
    };
    if let Some(answer) = crate::control::route(
        &shared,
        &parts.method,
        parts.uri.path(),
        parts.uri.query(),
        &parts.headers,
    )
    .await
    {
        return Ok(answer.map(TenantBody::from));
    }
    let recorded = shared.recorder.record(RecordedRequest {
        index: 0,
        connection,
        method: parts.method,
        uri: parts.uri,
        version: parts.version,
        headers: parts.headers,
        body,
    });
    let (latency, decision) = shared.faults.decide(&recorded);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match decision {
        Decision::Drop => return Err(Dropped),
        Decision::Status(status) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            return Ok(api_error(status, "Injected fault", "injected_fault").map(TenantBody::from));
        }
        Decision::Reply(scripted) => return Ok(scripted_response(&shared, scripted).await),
        Decision::Process => {}
    }
    let req = Req {
        method: recorded.method,
        path: recorded.uri.path().to_owned(),
        query: recorded.uri.query().unwrap_or("").to_owned(),
        authority: recorded.uri.authority().map(|a| a.as_str().to_owned()),
        headers: recorded.headers,
        body: recorded.body,
        client_certificate,
    };
    Ok(respond(&shared, &req).await.map(TenantBody::from))
}

/// `answer` with `Connection: close` on HTTP/1.x (RFC 9112 §9.6), for a
/// connection the tenant closes after it; HTTP/2 has no such header.
fn closing(mut answer: Resp, version: http::Version) -> Resp {
    if version < http::Version::HTTP_2 {
        answer
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    answer
}

/// The answer to a request whose body is read and that no fault took: the
/// tenant-wide rate limit, then the routes (DPoP's checks around them).
pub(crate) async fn respond(shared: &Shared, req: &Req) -> Resp {
    // The well-known documents are served from Auth0's CDN, outside the
    // tenant's rate limits.
    let limited = !req.path.starts_with("/.well-known/");
    let budget = limited.then(|| shared.rate_limit.take());
    let mut response = match &budget {
        Some(b) if !b.allowed => too_many_requests(&req.path),
        _ => crate::dpop::route(shared, req).await,
    };
    if let Some(budget) = budget {
        let headers = response.headers_mut();
        for (name, value) in [
            ("x-ratelimit-limit", u64::from(budget.limit)),
            ("x-ratelimit-remaining", u64::from(budget.remaining)),
            ("x-ratelimit-reset", budget.reset_unix),
        ] {
            headers.insert(name, HeaderValue::from(value));
        }
    }
    response
}

/// A scripted answer: waits before the head, then sends the headers and a
/// body that may wait again or be generated as it goes.
async fn scripted_response(shared: &Arc<Shared>, scripted: Scripted) -> Response<TenantBody> {
    if !scripted.head_delay.is_zero() {
        tokio::time::sleep(scripted.head_delay).await;
    }
    let declared = match &scripted.body {
        ScriptedBody::Stream { declared, .. } => *declared,
        ScriptedBody::Bytes(_) => None,
    };
    let body = match scripted.body {
        ScriptedBody::Bytes(bytes) => TenantBody::delayed(bytes, scripted.body_delay),
        ScriptedBody::Stream { total, chunk, .. } => {
            TenantBody::stream(total, chunk, scripted.body_delay, Arc::clone(shared))
        }
    };
    let mut response = Response::new(body);
    *response.status_mut() =
        StatusCode::from_u16(scripted.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(length) = declared {
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    for (name, value) in scripted.headers {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// Auth0's 429, in the error shape of the API the path belongs to.
fn too_many_requests(path: &str) -> Resp {
    if path.starts_with("/api/v2/") {
        api_error(
            StatusCode::TOO_MANY_REQUESTS,
            "Global limit has been reached",
            "too_many_requests",
        )
    } else {
        oauth_error(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "Global limit has been reached",
        )
    }
}

/// A JSON response.
/// The bytes of a buffered body (a `Full` is ready at once: no waiting).
pub(crate) fn full_bytes(body: Full<Bytes>) -> Bytes {
    use http_body_util::BodyExt as _;
    let mut collect = std::pin::pin!(body.collect());
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match collect.as_mut().poll(&mut context) {
        std::task::Poll::Ready(Ok(collected)) => collected.to_bytes(),
        _ => Bytes::new(),
    }
}

pub(crate) fn json(status: StatusCode, body: &Value) -> Resp {
    let bytes = Bytes::from(serde_json::to_vec(body).unwrap_or_default());
    let mut response = Response::new(Full::new(bytes));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// A 200 JSON answer that must not be cached (RFC 6749 §5.1: token
/// responses carry `Cache-Control: no-store`).
pub(crate) fn no_store(body: &Value) -> Resp {
    let mut response = json(StatusCode::OK, body);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
        .headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// The Authentication API's error shape (RFC 6749 §5.2).
pub(crate) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Resp {
    json(
        status,
        &json!({ "error": error, "error_description": description }),
    )
}

/// The Management API's error shape.
pub(crate) fn api_error(status: StatusCode, message: &str, error_code: &str) -> Resp {
    json(
        status,
        &json!({
            "statusCode": status.as_u16(),
            "error": status.canonical_reason().unwrap_or(""),
            "message": message,
            "errorCode": error_code,
        }),
    )
}

/// A `302 Found` to `location`.
pub(crate) fn redirect(location: &str) -> Resp {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::FOUND;
    match HeaderValue::from_str(location) {
        Ok(value) => {
            response.headers_mut().insert(header::LOCATION, value);
            response
        }
        Err(_) => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The redirect URL is not a valid header value",
        ),
    }
}

/// An HTML page.
pub(crate) fn html(status: StatusCode, page: String) -> Resp {
    let mut response = Response::new(Full::new(Bytes::from(page)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// A plain-text answer (Auth0 answers change-password and logout this way).
pub(crate) fn text(status: StatusCode, body: &'static str) -> Resp {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// `204 No Content`.
pub(crate) fn no_content() -> Resp {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// Decodes `application/x-www-form-urlencoded` (also a URL's query).
pub(crate) fn parse_form(body: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// One `application/x-www-form-urlencoded` component: `+` is a space,
/// `%XX` a byte, a malformed `%` stays as it is, bytes that are not UTF-8
/// become U+FFFD (what `form_urlencoded::parse` does to whole bodies).
pub(crate) fn percent_decode(input: &[u8]) -> String {
    let spaced: Vec<u8> = input
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_encoding::percent_decode(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// Decodes a path segment: like [`percent_decode`], but `+` stays a `+`.
pub(crate) fn decode_segment(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding() {
        let form = parse_form(b"a=1&b=x+y&c=%41%2f&d=%zz&e=%4");
        assert_eq!(form["a"], "1");
        assert_eq!(form["b"], "x y");
        assert_eq!(form["c"], "A/");
        assert_eq!(form["d"], "%zz");
        assert_eq!(form["e"], "%4");
        assert_eq!(decode_segment("auth0%7C1+2"), "auth0|1+2");
    }
}
