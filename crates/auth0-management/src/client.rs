//! [`ManagementClient`]: sends [`ApiRequest`]s to `/api/v2` with a bearer
//! token, re-fetching the token once on a `401`, and maps answers to typed
//! results.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use auth0_core::client::Auth0Client;
use auth0_core::response::ApiResponse;
use auth0_core::retry::RetryNonIdempotent;
use auth0_core::stack::DefaultService;
use auth0_core::types::{HttpRequest, HttpResponse, HttpService};
use auth0_jwt::clock::{Clock, SystemClock};
use futures_util::FutureExt as _;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use http::{Request, StatusCode};
use serde::de::DeserializeOwned;

use crate::custom_domain::{self, CUSTOM_DOMAIN_HEADER};
use crate::error::{BuildError, Error};
use crate::model_support::decode_list_page;
use crate::request::ApiRequest;
use crate::token::{CachedToken, ClientCredentials, TokenProvider, TokenSource};

const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");

/// The services a [`ManagementClient`] can run on: any `Sync`
/// [`HttpService`] (the default stack,
/// the default stack with extra layers, a test transport).
///
/// Implemented for every such service; it only names the bounds once.
///
/// ```
/// use auth0_management::{ManagementClient, ManagementService};
///
/// fn count_connections<S: ManagementService>(auth0: &ManagementClient<S>) {
///     let _future = auth0.connections().all();
/// }
/// # let _ = count_connections::<auth0_core::stack::DefaultService>;
/// ```
pub trait ManagementService: HttpService + Sync {}

impl<S: HttpService + Sync> ManagementService for S {}

/// A Management API v2 client.
///
/// Built from an [`Auth0Client`], so every layer of its stack (timeouts,
/// retries, rate limiting, telemetry, your own layers) applies. Cheap to
/// clone; clones share the token.
///
/// ```no_run
/// use auth0_core::{Auth0Client, ClientConfig};
/// use auth0_management::{ClientCredentials, ManagementClient};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let http = Auth0Client::new(ClientConfig::new("tenant.eu.auth0.com")?)?;
/// let auth0 = ManagementClient::builder(http)
///     .client_credentials(ClientCredentials::new("client-id", "client-secret"))
///     .build()?;
/// for connection in auth0.connections().all().await? {
///     println!("{:?} {:?}", connection.id, connection.name);
/// }
/// # Ok(()) }
/// ```
pub struct ManagementClient<S = DefaultService> {
    inner: Arc<Inner<S>>,
    /// `Auth0-Custom-Domain`, sent on the endpoints that accept it
    /// ([`crate::custom_domain`]).
    custom_domain: Option<HeaderValue>,
}

struct Inner<S> {
    http: Auth0Client<S>,
    tokens: TokenProvider,
}

impl<S> Clone for ManagementClient<S> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            custom_domain: self.custom_domain.clone(),
        }
    }
}

impl<S> fmt::Debug for ManagementClient<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagementClient")
            .field("http", &self.inner.http)
            .field("tokens", &self.inner.tokens)
            .field("custom_domain", &self.custom_domain)
            .finish()
    }
}

impl<S> ManagementClient<S> {
    /// Starts a builder over `http`.
    pub fn builder(http: Auth0Client<S>) -> ManagementClientBuilder<S> {
        ManagementClientBuilder {
            http,
            source: None,
            clock: None,
            custom_domain: None,
        }
    }

    /// The HTTP client underneath.
    pub fn http(&self) -> &Auth0Client<S> {
        &self.inner.http
    }

    /// The same client (same token cache, same connections) sending
    /// `Auth0-Custom-Domain: domain` on the endpoints that accept it (see
    /// [`crate::custom_domain`]): the per-call override of
    /// [`ManagementClientBuilder::custom_domain`]. Cheap; use it for one
    /// call or keep it.
    ///
    /// ```no_run
    /// use auth0_management::models::UserResponseSchema;
    /// # async fn f(auth0: auth0_management::ManagementClient) -> Result<(), Box<dyn std::error::Error>> {
    /// // The verification email links to login.example.com for this call only.
    /// let user = auth0
    ///     .with_custom_domain("login.example.com")?
    ///     .users()
    ///     .create(&auth0_management::models::CreateUserRequestContent::new("Username-Password-Authentication")
    ///         .email("jane@example.com")
    ///         .password("correct horse battery staple"))
    ///     .await?;
    /// # let _: UserResponseSchema = user;
    /// # Ok(()) }
    /// ```
    pub fn with_custom_domain(&self, domain: &str) -> Result<Self, BuildError> {
        Ok(Self {
            inner: Arc::clone(&self.inner),
            custom_domain: Some(custom_domain::header_value(domain)?),
        })
    }

    /// The same client without a custom domain header.
    pub fn without_custom_domain(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            custom_domain: None,
        }
    }

    /// The custom domain this client sends where allowed, if any.
    pub fn custom_domain(&self) -> Option<&str> {
        self.custom_domain.as_ref().and_then(|v| v.to_str().ok())
    }
}

impl<S: ManagementService> ManagementClient<S> {
    /// Sends `request` and decodes a JSON answer into `T`; an error status
    /// becomes [`Error::Http`]. An empty body decodes as JSON `null`.
    ///
    /// This is what every endpoint wrapper calls; use it directly for an
    /// operation that has no wrapper yet.
    ///
    /// ```no_run
    /// use auth0_management::request::{ApiPath, ApiRequest};
    /// # async fn f(auth0: auth0_management::ManagementClient) -> Result<(), auth0_management::Error> {
    /// let stats = auth0
    ///     .execute::<serde_json::Value>(ApiRequest::get(ApiPath::new("stats").segment("active-users")))
    ///     .await?;
    /// println!("{} active users", stats.data);
    /// # Ok(()) }
    /// ```
    pub async fn execute<T: DeserializeOwned>(
        &self,
        request: ApiRequest,
    ) -> Result<ApiResponse<T>, Error> {
        Self::decode(self.send(request, None).await?)
    }

    // The crate's own senders below are the send future with the decoding
    // mapped onto its answer (`FutureExt::map`), not `async fn`s: an
    // `async fn` keeps its by-value arguments twice in its future (as
    // arguments and as locals) and copies its callee's whole future into
    // its own, and every generated operation's future would carry that.

    /// [`ManagementClient::execute`] without the [`ApiResponse`] around
    /// the answer (what the generated operations return): the model is
    /// decoded and handed back, not moved into and out of a wrapper.
    pub(crate) fn execute_data<T: DeserializeOwned>(
        &self,
        request: ApiRequest,
    ) -> impl Future<Output = Result<T, Error>> + '_ {
        self.send(request, None).map(|response| {
            // auth0-core's one decoder, as in `decode`.
            Ok(auth0_core::client::decode_body::<T>(&response?)?)
        })
    }

    /// Sends `request` with a non-JSON body (`multipart/form-data` for the
    /// user import job) and decodes a JSON answer into `T`.
    pub(crate) async fn execute_multipart<T: DeserializeOwned>(
        &self,
        mut request: ApiRequest,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<ApiResponse<T>, Error> {
        let content_type = HeaderValue::from_str(content_type).map_err(|_| Error::InvalidPath {
            reason: "the multipart content type is not a valid header value",
        })?;
        request.body = Some(bytes::Bytes::from(body));
        Self::decode(self.send(request, Some(content_type)).await?)
    }

    /// Sends a list request and decodes the page type `T` straight from
    /// the body (the bare array Auth0 sends without paging parameters lands
    /// under `items_key`).
    pub(crate) fn execute_list<'a, T: DeserializeOwned>(
        &'a self,
        request: ApiRequest,
        items_key: &'a str,
    ) -> impl Future<Output = Result<ApiResponse<T>, Error>> + 'a {
        self.send(request, None).map(move |response| {
            let response = response?;
            let data = decode_list_page::<T>(response.body(), items_key)
                .map_err(|e| auth0_core::error::Error::decode_failure(&response, &e))?;
            let (parts, _) = response.into_parts();
            Ok(ApiResponse::new(data, parts.status, parts.headers))
        })
    }

    /// Sends a list request whose answer is a bare array or a checkpoint
    /// page object with the items under `items_key` (`{"deliveries": [...],
    /// "next": "…"}`), and returns the items of either.
    pub(crate) fn execute_items<'a, T: DeserializeOwned>(
        &'a self,
        request: ApiRequest,
        items_key: &'a str,
    ) -> impl Future<Output = Result<ApiResponse<Vec<T>>, Error>> + 'a {
        self.send(request, None).map(move |response| {
            let response = response?;
            let page = crate::pagination::decode_page::<T>(response.body(), items_key)
                .map_err(|e| auth0_core::error::Error::decode_failure(&response, &e))?;
            let (parts, _) = response.into_parts();
            Ok(ApiResponse::new(page.items, parts.status, parts.headers))
        })
    }

    /// Sends `request` and hands back the successful answer undecoded (for
    /// the pagers, which decode pages themselves).
    pub(crate) fn execute_raw(
        &self,
        request: ApiRequest,
    ) -> impl Future<Output = Result<HttpResponse, Error>> + '_ {
        self.send(request, None)
    }

    fn decode<T: DeserializeOwned>(response: HttpResponse) -> Result<ApiResponse<T>, Error> {
        // auth0-core's one decoder: its errors are scrubbed of the
        // request's secrets (the bearer token, passwords in the body).
        let data = auth0_core::client::decode_body::<T>(&response)?;
        let (parts, _) = response.into_parts();
        Ok(ApiResponse::new(data, parts.status, parts.headers))
    }

    /// Sends `request` and ignores the body of a successful answer (for
    /// deletes and actions, which answer `204` or a meaningless body).
    pub async fn execute_empty(&self, request: ApiRequest) -> Result<ApiResponse<()>, Error> {
        let response = self.send(request, None).await?;
        let (parts, _) = response.into_parts();
        Ok(ApiResponse::new((), parts.status, parts.headers))
    }

    /// Sends with the current token; on a `401` with a refreshable token
    /// source, drops that token, gets a new one and sends once more (the
    /// API rejected the request before acting on it, so resending is safe
    /// for every method). Error statuses are mapped.
    ///
    /// An `async` block over its arguments rather than an `async fn` (which
    /// would keep `request` twice in its future); the resend after a `401`
    /// is boxed, so the future of every call does not carry a second send.
    #[expect(
        clippy::manual_async_fn,
        reason = "an `async fn` would keep `request` twice in every call's future"
    )]
    fn send(
        &self,
        mut request: ApiRequest,
        content_type: Option<HeaderValue>,
    ) -> impl Future<Output = Result<HttpResponse, Error>> + '_ {
        async move {
            request.path.check()?;
            let token = self.token().await?;
            let custom_domain = self
                .custom_domain
                .as_ref()
                .filter(|_| custom_domain::allowed(request.path.as_str()));
            // The path's buffer becomes the URI (the request's path is empty
            // from here on); a resend after a 401 shares it. (In a block:
            // what is moved here is not kept in the future across the await.)
            let resend_uri;
            let response = {
                let uri = self.uri(request.take_uri())?;
                resend_uri = self.inner.tokens.can_refresh().then(|| uri.clone());
                let first =
                    self.http_request(&request, uri, &token, content_type.as_ref(), custom_domain);
                self.http_send(&request, first)
            }
            .await?;
            let response = match resend_uri {
                Some(uri) if response.status() == StatusCode::UNAUTHORIZED => {
                    drop(response);
                    let again =
                        self.resend(&request, uri, &token, content_type.as_ref(), custom_domain);
                    Box::pin(again).await?
                }
                _ => response,
            };
            let status = response.status();
            if status.is_client_error() || status.is_server_error() {
                return Err(Error::Http(auth0_core::error::Error::from_response(
                    &response,
                )));
            }
            Ok(response)
        }
    }

    /// The resend after a `401`: `stale` is dropped from the cache, a
    /// new token fetched, and `request` sent once more to `uri`.
    async fn resend(
        &self,
        request: &ApiRequest,
        uri: http::Uri,
        stale: &CachedToken,
        content_type: Option<&HeaderValue>,
        custom_domain: Option<&HeaderValue>,
    ) -> Result<HttpResponse, Error> {
        self.inner.tokens.invalidate(stale.generation);
        let token = self.token().await?;
        let again = self.http_request(request, uri, &token, content_type, custom_domain);
        Ok(self.http_send(request, again).await?)
    }

    /// Sends one HTTP request of `request`, naming its operation for the
    /// call's span (`Auth0Client::send_operation`: an `Operation` request
    /// extension, or, on the default stack alone, straight to the trace
    /// layer).
    fn http_send(
        &self,
        request: &ApiRequest,
        http_request: HttpRequest,
    ) -> impl Future<Output = Result<HttpResponse, auth0_core::Error>> + Send + use<S> {
        self.inner
            .http
            .send_operation(http_request, request.operation)
    }

    /// A token to send now: the cached one without awaiting anything while
    /// it is fresh; otherwise the token cache's refresh path, on the heap
    /// (it may run a whole token request, state no other call should
    /// carry).
    async fn token(&self) -> Result<Arc<CachedToken>, Error> {
        match self.inner.tokens.fresh() {
            Some(token) => Ok(token),
            None => Box::pin(self.inner.tokens.get(&self.inner.http)).await,
        }
    }

    /// The absolute URI of a request's path and query (its one buffer,
    /// [`ApiRequest::take_uri`], becomes the URI's own), on the domain's
    /// scheme and authority (nothing parsed but the path and query).
    fn uri(&self, path_and_query: String) -> Result<http::Uri, Error> {
        self.inner
            .http
            .domain()
            .url_from_string(path_and_query)
            .map_err(|_| Error::InvalidPath {
                reason: "the path and query do not form a valid URI",
            })
    }

    /// The HTTP request of one attempt with `token`.
    fn http_request(
        &self,
        request: &ApiRequest,
        uri: http::Uri,
        token: &CachedToken,
        content_type: Option<&HeaderValue>,
        custom_domain: Option<&HeaderValue>,
    ) -> HttpRequest {
        let mut http_request = Request::new(request.body.clone().unwrap_or_default());
        *http_request.method_mut() = request.method.clone();
        *http_request.uri_mut() = uri;
        let headers = http_request.headers_mut();
        headers.insert(AUTHORIZATION, token.header.clone());
        headers.insert(ACCEPT, APPLICATION_JSON);
        if request.body.is_some() {
            headers.insert(
                CONTENT_TYPE,
                content_type.cloned().unwrap_or(APPLICATION_JSON),
            );
        }
        if let Some(domain) = custom_domain {
            headers.insert(CUSTOM_DOMAIN_HEADER, domain.clone());
        }
        if request.retry_non_idempotent {
            http_request.extensions_mut().insert(RetryNonIdempotent);
        }
        http_request
    }
}

/// Assembles a [`ManagementClient`]: a token source (required), and
/// optionally the clock used for token expiry and a custom domain.
///
/// ```
/// use auth0_core::{Auth0Client, ClientConfig};
/// use auth0_management::ManagementClient;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let http = Auth0Client::new(ClientConfig::new("tenant.auth0.com")?)?;
/// let auth0 = ManagementClient::builder(http).token("eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl").build()?;
/// assert!(!format!("{auth0:?}").contains("eyJhbGciOi"));
/// # Ok(()) }
/// ```
#[must_use]
pub struct ManagementClientBuilder<S> {
    http: Auth0Client<S>,
    source: Option<TokenSource>,
    clock: Option<Arc<dyn Clock>>,
    custom_domain: Option<String>,
}

impl<S> fmt::Debug for ManagementClientBuilder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagementClientBuilder")
            .field("http", &self.http)
            .field("source", &self.source)
            .field("custom_clock", &self.clock.is_some())
            .field("custom_domain", &self.custom_domain)
            .finish()
    }
}

impl<S> ManagementClientBuilder<S> {
    /// Uses a token obtained elsewhere ([`TokenSource::Static`]).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.source = Some(TokenSource::Static(token.into()));
        self
    }

    /// Fetches tokens with the client-credentials grant
    /// ([`TokenSource::ClientCredentials`]).
    pub fn client_credentials(mut self, credentials: ClientCredentials) -> Self {
        self.source = Some(TokenSource::ClientCredentials(credentials));
        self
    }

    /// Takes tokens for `client_id` from a source of your own
    /// ([`TokenSource::Source`]), behind the client's cache.
    ///
    /// ```
    /// use auth0_authentication::token_source::{from_fn, IssuedToken};
    /// use auth0_core::{Auth0Client, ClientConfig};
    /// use auth0_management::ManagementClient;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let http = Auth0Client::new(ClientConfig::new("tenant.auth0.com")?)?;
    /// let auth0 = ManagementClient::builder(http)
    ///     .access_token_source("my-client-id", from_fn(|_request| async {
    ///         // e.g. read a token shared by every instance of the service
    ///         Ok::<_, auth0_core::types::BoxError>(IssuedToken::new("eyJ…", 1_900_000_000))
    ///     }))
    ///     .build()?;
    /// # let _ = auth0;
    /// # Ok(()) }
    /// ```
    pub fn access_token_source(
        mut self,
        client_id: impl Into<String>,
        source: impl auth0_authentication::token_source::AccessTokenSource,
    ) -> Self {
        self.source = Some(TokenSource::Source {
            client_id: client_id.into(),
            source: Arc::new(source),
        });
        self
    }

    /// Sets the token source.
    pub fn token_source(mut self, source: TokenSource) -> Self {
        self.source = Some(source);
        self
    }

    /// The clock used to decide when a token expires (default: the system
    /// clock). Tests pass an [`auth0_jwt::clock::ManualClock`].
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Sends `Auth0-Custom-Domain: domain` on the endpoints that accept it
    /// — the ones node-auth0's `withCustomDomainHeader` sends it on (see
    /// [`crate::custom_domain`]) — so emails and tickets Auth0 makes for
    /// those calls link to your custom domain. Override per call with
    /// [`ManagementClient::with_custom_domain`].
    ///
    /// ```
    /// use auth0_core::{Auth0Client, ClientConfig};
    /// use auth0_management::ManagementClient;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let http = Auth0Client::new(ClientConfig::new("tenant.auth0.com")?)?;
    /// let auth0 = ManagementClient::builder(http)
    ///     .token("eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl")
    ///     .custom_domain("login.example.com")
    ///     .build()?;
    /// assert_eq!(auth0.custom_domain(), Some("login.example.com"));
    /// # Ok(()) }
    /// ```
    pub fn custom_domain(mut self, domain: impl Into<String>) -> Self {
        self.custom_domain = Some(domain.into());
        self
    }

    /// Finishes the client. Fails without a token source, with an empty
    /// token, client id or secret, or with a custom domain that is not a
    /// host name.
    pub fn build(self) -> Result<ManagementClient<S>, BuildError> {
        let custom_domain = self
            .custom_domain
            .as_deref()
            .map(custom_domain::header_value)
            .transpose()?;
        let source = self.source.ok_or(BuildError::MissingTokenSource)?;
        let issuer = self.http.domain().issuer();
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let tokens = TokenProvider::new(source, issuer, clock)?;
        Ok(ManagementClient {
            inner: Arc::new(Inner {
                http: self.http,
                tokens,
            }),
            custom_domain,
        })
    }
}
