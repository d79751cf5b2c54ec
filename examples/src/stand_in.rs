//! A JSON stand-in server on 127.0.0.1 for examples that need a few Auth0
//! endpoints without a tenant: one routing function decides every answer.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;

/// Largest request body the stand-in reads.
const MAX_BODY: usize = 64 * 1024;

/// What a route sees of one request.
#[derive(Debug)]
pub struct StandInRequest<'a> {
    /// `GET`, `POST`, …
    pub method: &'a str,
    /// The path, still percent-encoded (see [`percent_decode`]), no query.
    pub path: &'a str,
    /// The request body.
    pub body: &'a [u8],
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
}

impl StandInRequest<'_> {
    /// True if the request carries `Authorization: Bearer {token}`.
    pub fn has_bearer(&self, token: &str) -> bool {
        self.authorization
            .and_then(|value| value.strip_prefix("Bearer "))
            .is_some_and(|sent| sent == token)
    }
}

/// Serves `route` on an ephemeral 127.0.0.1 port until the process ends and
/// returns its base URL (`http://127.0.0.1:PORT`). A route answers with a
/// status and a JSON body; `204` is sent without a body.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let base = auth0_examples::stand_in::serve(|request| {
///     (200, serde_json::json!({ "path": request.path }))
/// })
/// .await?;
/// assert!(base.starts_with("http://127.0.0.1:"));
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// When no port can be bound.
pub async fn serve<F>(route: F) -> std::io::Result<String>
where
    F: Fn(&StandInRequest<'_>) -> (u16, Value) + Send + Sync + 'static,
{
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let route = Arc::new(route);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let route = Arc::clone(&route);
            tokio::spawn(async move {
                let service = service_fn(move |request| answer(Arc::clone(&route), request));
                // A broken exchange only affects that one connection.
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(base)
}

async fn answer<F>(
    route: Arc<F>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible>
where
    F: Fn(&StandInRequest<'_>) -> (u16, Value),
{
    let (parts, body) = request.into_parts();
    let (status, reply) = match Limited::new(body, MAX_BODY).collect().await {
        Ok(body) => {
            let body = body.to_bytes();
            route(&StandInRequest {
                method: parts.method.as_str(),
                path: parts.uri.path(),
                body: &body,
                authorization: parts
                    .headers
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok()),
            })
        }
        Err(_) => (
            413,
            serde_json::json!({ "error": "request body too large" }),
        ),
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = if status == StatusCode::NO_CONTENT {
        Bytes::new()
    } else {
        Bytes::from(reply.to_string())
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// Decodes `%XX` escapes in a path segment (ids such as `auth0|…` arrive as
/// `auth0%7C…`); a `%` not followed by two hex digits is kept as is.
///
/// ```
/// assert_eq!(auth0_examples::stand_in::percent_decode("auth0%7C42%zz"), "auth0|42%zz");
/// ```
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
