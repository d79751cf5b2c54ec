//! Building Management API requests: percent-encoded paths, typed query
//! strings and JSON bodies.
//!
//! Every endpoint wrapper (hand-written or generated) describes its call as
//! an [`ApiRequest`] and hands it to
//! [`ManagementClient::execute`](crate::ManagementClient::execute), which adds
//! the base path `/api/v2`, the token and the status mapping.

use std::fmt;

use auth0_core::trace::Operation;
use bytes::Bytes;
use http::Method;
use serde::Serialize;

use crate::error::Error;

/// A path below `/api/v2`, built from segments that are percent-encoded one
/// by one, so an id such as `auth0|123` or `a/b` stays one segment.
///
/// Errors (an empty segment, `.` or `..`) are kept and reported when the
/// request is executed, so building stays chainable.
///
/// ```
/// use auth0_management::request::ApiPath;
///
/// let path = ApiPath::new("users").segment("auth0|123").segment("roles");
/// assert_eq!(path.as_str(), "/users/auth0%7C123/roles");
/// assert!(ApiPath::new("users").segment("").check().is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiPath {
    /// [`BASE_PATH`] and the encoded segments: the buffer the request's
    /// URI is made of ([`ApiRequest::take_uri`]).
    encoded: String,
    error: Option<&'static str>,
}

impl ApiPath {
    /// A path starting with one segment, e.g. `ApiPath::new("users")`.
    pub fn new(first: &str) -> Self {
        // Room for `/api/v2` and the usual `/group/id/sub-resource` (and a
        // short query) without regrowing.
        let mut encoded = String::with_capacity(96);
        encoded.push_str(BASE_PATH);
        Self {
            encoded,
            error: None,
        }
        .segment(first)
    }

    /// Appends one segment, percent-encoding everything but RFC 3986
    /// unreserved characters (`A-Z a-z 0-9 - . _ ~`).
    #[must_use]
    pub fn segment(mut self, segment: &str) -> Self {
        if segment.is_empty() {
            self.error
                .get_or_insert("an empty path segment (e.g. an empty id)");
        } else if segment == "." || segment == ".." {
            self.error
                .get_or_insert("a path segment of `.` or `..` would change the endpoint");
        }
        self.encoded.push('/');
        auth0_core::client::percent_encode_into(&mut self.encoded, segment);
        self
    }

    /// The encoded path, starting with `/`, without the `/api/v2` prefix.
    pub fn as_str(&self) -> &str {
        self.encoded.get(BASE_PATH.len()..).unwrap_or_default()
    }

    /// Fails if a segment was unusable.
    pub fn check(&self) -> Result<(), Error> {
        match self.error {
            Some(reason) => Err(Error::InvalidPath { reason }),
            None => Ok(()),
        }
    }
}

impl fmt::Debug for ApiPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ApiPath").field(&self.as_str()).finish()
    }
}

/// An ordered query string; values are form-encoded. Repeated keys express
/// arrays (`strategy=ad&strategy=auth0`), as the Management API expects.
///
/// ```
/// use auth0_management::request::Query;
///
/// let mut q = Query::new();
/// q.push("q", "email:\"a b\"");
/// q.push_opt("page", Some(2u32));
/// q.push_opt("per_page", None::<u32>);
/// q.push_all("strategy", ["ad", "auth0"]);
/// assert_eq!(q.encode(), "q=email%3A%22a+b%22&page=2&strategy=ad&strategy=auth0");
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// An empty query.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `key=value`.
    pub fn push(&mut self, key: &str, value: impl fmt::Display) -> &mut Self {
        self.pairs.push((key.to_owned(), value.to_string()));
        self
    }

    /// Appends `key=value` when `value` is `Some`.
    pub fn push_opt(&mut self, key: &str, value: Option<impl fmt::Display>) -> &mut Self {
        if let Some(v) = value {
            self.push(key, v);
        }
        self
    }

    /// Appends `key=v` for every value.
    pub fn push_all<V: fmt::Display>(
        &mut self,
        key: &str,
        values: impl IntoIterator<Item = V>,
    ) -> &mut Self {
        for v in values {
            self.push(key, v);
        }
        self
    }

    /// Removes every pair named `key` (pagers replace their cursor).
    pub fn remove(&mut self, key: &str) -> &mut Self {
        self.pairs.retain(|(k, _)| k != key);
        self
    }

    /// True when there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The `application/x-www-form-urlencoded` text, without `?`.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        self.encode_into(&mut out);
        out
    }

    /// [`Query::encode`], appended to `out`.
    fn encode_into(&self, out: &mut String) {
        auth0_core::client::form_urlencode_into(
            out,
            self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
    }

    /// A generous guess of the encoded length (to size the buffer once).
    fn encoded_len_hint(&self) -> usize {
        self.pairs
            .iter()
            .map(|(k, v)| k.len() + v.len() + 2)
            .sum::<usize>()
            .saturating_mul(2)
    }
}

/// Values are shown: queries carry search terms and ids, never secrets.
impl fmt::Debug for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.pairs).finish()
    }
}

/// Typed query parameters of one operation.
///
/// ```
/// use auth0_management::request::{Query, QueryParams};
///
/// struct Search { q: String }
/// impl QueryParams for Search {
///     fn append_to(&self, query: &mut Query) {
///         query.push("q", &self.q);
///     }
/// }
/// let mut query = Query::new();
/// Search { q: "name:bob".into() }.append_to(&mut query);
/// assert_eq!(query.encode(), "q=name%3Abob");
/// ```
pub trait QueryParams {
    /// Appends this operation's parameters.
    fn append_to(&self, query: &mut Query);
}

impl QueryParams for () {
    fn append_to(&self, _query: &mut Query) {}
}

/// One Management API call: method, path, query and optional JSON body.
///
/// `GET`, `PUT` and `DELETE` are retried by the client's retry layer on 5xx
/// and connection errors; `POST` and `PATCH` are not (a create is never
/// duplicated), unless [`ApiRequest::retry_non_idempotent`] says the call is
/// safe to repeat.
///
/// ```
/// use auth0_management::request::{ApiPath, ApiRequest};
///
/// let request = ApiRequest::patch(ApiPath::new("connections").segment("con_1"))
///     .json(&serde_json::json!({ "display_name": "Corp" }))?;
/// assert_eq!(request.uri(), "/api/v2/connections/con_1");
/// # Ok::<(), auth0_management::Error>(())
/// ```
#[derive(Clone)]
pub struct ApiRequest {
    pub(crate) method: Method,
    pub(crate) path: ApiPath,
    pub(crate) query: Query,
    pub(crate) body: Option<Bytes>,
    pub(crate) retry_non_idempotent: bool,
    /// The operation, for the call's span ([`ApiRequest::operation`]).
    pub(crate) operation: Option<Operation>,
}

/// The base path of the Management API.
pub const BASE_PATH: &str = "/api/v2";

impl ApiRequest {
    /// A request with any method.
    pub fn new(method: Method, path: ApiPath) -> Self {
        Self {
            method,
            path,
            query: Query::new(),
            body: None,
            retry_non_idempotent: false,
            operation: None,
        }
    }

    /// A `GET`.
    pub fn get(path: ApiPath) -> Self {
        Self::new(Method::GET, path)
    }

    /// A `POST`.
    pub fn post(path: ApiPath) -> Self {
        Self::new(Method::POST, path)
    }

    /// A `PATCH`.
    pub fn patch(path: ApiPath) -> Self {
        Self::new(Method::PATCH, path)
    }

    /// A `PUT`.
    pub fn put(path: ApiPath) -> Self {
        Self::new(Method::PUT, path)
    }

    /// A `DELETE`.
    pub fn delete(path: ApiPath) -> Self {
        Self::new(Method::DELETE, path)
    }

    /// Adds typed query parameters.
    #[must_use]
    pub fn params(mut self, params: &(impl QueryParams + ?Sized)) -> Self {
        params.append_to(&mut self.query);
        self
    }

    /// The query, to add pairs by hand.
    pub fn query_mut(&mut self) -> &mut Query {
        &mut self.query
    }

    /// Sets a JSON body.
    pub fn json(mut self, body: &(impl Serialize + ?Sized)) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body).map_err(Error::InvalidBody)?;
        self.body = Some(Bytes::from(bytes));
        Ok(self)
    }

    /// Lets the retry layer resend this `POST`/`PATCH` on 5xx and
    /// connection errors: only for calls that are safe to repeat.
    #[must_use]
    pub fn retry_non_idempotent(mut self) -> Self {
        self.retry_non_idempotent = true;
        self
    }

    /// Names the operation (`users_get`) and its path template
    /// (`/api/v2/users/{id}`): the call's `auth0.request` span records
    /// them (`auth0.operation`, `url.template`, `otel.name`) instead of the
    /// ids in the path. Every generated operation sets it.
    ///
    /// ```
    /// use auth0_management::request::{ApiPath, ApiRequest};
    ///
    /// let request = ApiRequest::get(ApiPath::new("users").segment("auth0|1"))
    ///     .operation("users_get", "/api/v2/users/{id}");
    /// assert_eq!(request.operation_name(), Some("users_get"));
    /// ```
    #[must_use]
    pub fn operation(mut self, id: &'static str, path_template: &'static str) -> Self {
        self.operation = Some(Operation::new(id, path_template));
        self
    }

    /// The operation named by [`ApiRequest::operation`], if any.
    pub fn operation_name(&self) -> Option<&'static str> {
        self.operation.map(|o| o.name())
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The relative URI sent: `/api/v2` + path + `?query`.
    ///
    /// Built in one buffer sized up front; the client hands that buffer to
    /// the request's URI as it is ([`Domain::url_from_string`](auth0_core::config::Domain::url_from_string)).
    pub fn uri(&self) -> String {
        let mut uri = String::with_capacity(self.path.encoded.len() + self.query_len_hint());
        uri.push_str(&self.path.encoded);
        self.append_query(&mut uri);
        uri
    }

    /// [`ApiRequest::uri`] in the path's own buffer, taken out of the
    /// request (its path is empty afterwards): the text the client sends
    /// becomes the URI's without another copy.
    pub(crate) fn take_uri(&mut self) -> String {
        let mut uri = std::mem::take(&mut self.path.encoded);
        uri.reserve(self.query_len_hint());
        self.append_query(&mut uri);
        uri
    }

    /// Room for `?` and the encoded query.
    fn query_len_hint(&self) -> usize {
        if self.query.is_empty() {
            0
        } else {
            1 + self.query.encoded_len_hint()
        }
    }

    fn append_query(&self, uri: &mut String) {
        if !self.query.is_empty() {
            uri.push('?');
            self.query.encode_into(uri);
        }
    }
}

/// The body is shown by size only: it may carry passwords or secrets.
impl fmt::Debug for ApiRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("body_len", &self.body.as_ref().map(Bytes::len))
            .field("retry_non_idempotent", &self.retry_non_idempotent)
            .field("operation", &self.operation_name())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded() {
        let p = ApiPath::new("users").segment("auth0|123");
        assert_eq!(p.as_str(), "/users/auth0%7C123");
        let p = ApiPath::new("x").segment("a/b c?d#e%f").segment("é~._-");
        assert_eq!(p.as_str(), "/x/a%2Fb%20c%3Fd%23e%25f/%C3%A9~._-");
        assert!(p.check().is_ok());
    }

    #[test]
    fn bad_segments_fail_at_check() {
        for bad in ["", ".", ".."] {
            let p = ApiPath::new("users").segment(bad).segment("roles");
            assert!(
                matches!(p.check(), Err(Error::InvalidPath { .. })),
                "{bad:?}"
            );
        }
        assert!(ApiPath::new("users").segment("...").check().is_ok());
    }

    #[test]
    fn taken_uri_is_the_uri() {
        let mut r = ApiRequest::get(ApiPath::new("users").segment("auth0|1"));
        r.query_mut().push("fields", "a b");
        let uri = r.uri();
        assert_eq!(uri, "/api/v2/users/auth0%7C1?fields=a+b");
        assert_eq!(r.take_uri(), uri);
        assert_eq!(r.path.as_str(), "");
    }

    #[test]
    fn uri_with_and_without_query() {
        let r = ApiRequest::get(ApiPath::new("users"));
        assert_eq!(r.uri(), "/api/v2/users");
        let mut r = r;
        r.query_mut().push("page", 0).push("q", "a&b");
        assert_eq!(r.uri(), "/api/v2/users?page=0&q=a%26b");
        r.query_mut().remove("page");
        assert_eq!(r.uri(), "/api/v2/users?q=a%26b");
    }

    #[test]
    fn debug_hides_body() {
        let r = ApiRequest::post(ApiPath::new("users"))
            .json(&serde_json::json!({"password": "hunter2"}))
            .unwrap();
        assert!(!format!("{r:?}").contains("hunter2"));
    }
}
