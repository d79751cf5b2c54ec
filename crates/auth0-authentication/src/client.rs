//! [`AuthenticationClient`]: the Authentication API on an
//! [`Auth0Client`], with the application's client authentication.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use auth0_core::client::{Auth0Client, form_urlencode};
use auth0_core::config::ClientConfig;
use auth0_core::error::Error;
use auth0_core::retry::{
    NoRateLimitRetry, RebuildRequest, Rebuilt, RetryAttempt, RetryNonIdempotent,
};
use auth0_core::secrets::Secrets;
use auth0_core::stack::DefaultService;
use auth0_core::trace::Operation;
use auth0_core::types::{HttpRequest, HttpResponse, HttpService};
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{HeaderMap, Method, Request, Uri};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::authorize::{AuthorizeUrl, LogoutUrl, OidcLogoutUrl};
use crate::client_auth::{ClientAuthentication, ClientCredentials, DEFAULT_ASSERTION_LIFETIME};
use crate::dpop::{DpopKey, DpopState};
use auth0_jwt::id_token::TokenVerifier;
use auth0_jwt::sign::SigningKey;

const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
const FORM_URLENCODED: HeaderValue = HeaderValue::from_static("application/x-www-form-urlencoded");

/// Why an [`AuthenticationClient`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The client id is empty: copy it from the application's settings page.
    #[error("the client id is empty")]
    EmptyClientId,
    /// The client secret is empty: a missing environment variable, most
    /// likely.
    #[error("the client secret is empty")]
    EmptyClientSecret,
    /// A `private_key_jwt` key uses an HMAC algorithm: client assertions
    /// must be signed with the application's private key (RS256, PS256,
    /// ES256, …), not a shared secret.
    #[error("private_key_jwt needs an asymmetric key, not {alg}")]
    SymmetricAssertionKey {
        /// The key's algorithm.
        alg: &'static str,
    },
    /// A request object (JAR) key uses an HMAC algorithm: Auth0 checks
    /// request objects with the application's registered public key.
    #[error("a request object key must be asymmetric, not {alg}")]
    SymmetricRequestObjectKey {
        /// The key's algorithm.
        alg: &'static str,
    },
    /// The mTLS endpoint base is not an `https://` scheme and authority
    /// (no path).
    #[error("the mTLS endpoint base must be https://host[:port] without a path")]
    InvalidMtlsEndpointBase,
    /// The assertion lifetime is zero or longer than ten minutes.
    #[error("the client assertion lifetime must be between 1 s and 600 s, not {secs} s")]
    InvalidAssertionLifetime {
        /// The lifetime asked for, in seconds.
        secs: u64,
    },
}

struct Inner {
    credentials: ClientCredentials,
    dpop: Option<Arc<DpopState>>,
    request_object_key: Option<SigningKey>,
    id_token_verifier: Option<TokenVerifier>,
}

/// Client for the Auth0 Authentication API (`/oauth/token`, `/authorize`,
/// `/userinfo`, `/dbconnections/*`, `/passwordless/start`, …).
///
/// It runs on an [`Auth0Client`], so every layer of its stack (timeouts,
/// rate limiting, retries, telemetry, your own) applies. Token requests are
/// `POST`s and are never repeated after a 5xx answer or a dropped
/// connection (a grant must not be used twice), except the client
/// credentials grant, which only issues another token; a 429 answer is
/// retried by the stack as usual because Auth0 did not process the request.
/// Leave [`RetryPolicyBuilder::retry_non_idempotent`](auth0_core::retry::RetryPolicyBuilder::retry_non_idempotent)
/// off on the stack this client uses.
///
/// Cheap to clone. `Debug` never shows the secret or the key.
///
/// ```no_run
/// use auth0_authentication::AuthenticationClient;
/// use auth0_core::{Auth0Client, ClientConfig};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let core = Auth0Client::new(ClientConfig::new("tenant.eu.auth0.com")?)?;
/// let auth = AuthenticationClient::builder(core, "my-client-id")
///     .client_secret(std::env::var("AUTH0_CLIENT_SECRET")?)
///     .build()?;
/// let token = auth
///     .client_credentials("https://tenant.eu.auth0.com/api/v2/", None)
///     .await?;
/// println!("expires in {:?} s", token.expires_in);
/// # Ok(()) }
/// ```
pub struct AuthenticationClient<S = DefaultService> {
    core: Auth0Client<S>,
    inner: Arc<Inner>,
}

impl<S: Clone> Clone for AuthenticationClient<S> {
    fn clone(&self) -> Self {
        Self {
            core: self.core.clone(),
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<S> fmt::Debug for AuthenticationClient<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticationClient")
            .field("domain", self.core.domain())
            .field("credentials", &self.inner.credentials)
            .field("dpop", &self.inner.dpop)
            .finish_non_exhaustive()
    }
}

impl AuthenticationClient {
    /// A client on the default stack for `domain` with client
    /// authentication `auth`. Use [`AuthenticationClient::builder`] to
    /// bring your own [`Auth0Client`] (custom layers, timeouts, retries).
    ///
    /// ```no_run
    /// use auth0_authentication::{AuthenticationClient, ClientAuthentication};
    /// let auth = AuthenticationClient::new("tenant.auth0.com", "my-client-id", ClientAuthentication::None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        domain: &str,
        client_id: impl Into<String>,
        auth: ClientAuthentication,
    ) -> Result<Self, NewClientError> {
        let core = Auth0Client::new(ClientConfig::new(domain).map_err(Error::from)?)?;
        Ok(Self::builder(core, client_id)
            .client_authentication(auth)
            .build()?)
    }
}

/// Why [`AuthenticationClient::new`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NewClientError {
    /// The domain or HTTP stack could not be set up (see the inner error).
    #[error(transparent)]
    Http(#[from] Error),
    /// The client settings are invalid.
    #[error(transparent)]
    Build(#[from] BuildError),
}

impl<S> AuthenticationClient<S> {
    /// Starts a builder on `core` for the application `client_id`.
    pub fn builder(
        core: Auth0Client<S>,
        client_id: impl Into<String>,
    ) -> AuthenticationClientBuilder<S> {
        AuthenticationClientBuilder {
            core,
            client_id: client_id.into(),
            auth: ClientAuthentication::None,
            assertion_lifetime: DEFAULT_ASSERTION_LIFETIME,
            dpop: None,
            request_object_key: None,
            id_token_verifier: None,
            mtls_endpoint_base: None,
        }
    }

    /// The verifier of login answers' ID tokens, when one was given.
    pub(crate) fn id_token_verifier(&self) -> Option<&TokenVerifier> {
        self.inner.id_token_verifier.as_ref()
    }

    /// The key that signs request objects (JAR), when one was given.
    pub fn request_object_key(&self) -> Option<&SigningKey> {
        self.inner.request_object_key.as_ref()
    }

    /// The DPoP key and remembered nonces, when the client has a key.
    pub(crate) fn dpop_state(&self) -> Option<&Arc<DpopState>> {
        self.inner.dpop.as_ref()
    }

    /// The application's client id.
    pub fn client_id(&self) -> &str {
        self.inner.credentials.client_id()
    }

    /// The client authentication in use.
    pub fn client_authentication(&self) -> &ClientAuthentication {
        self.inner.credentials.authentication()
    }

    /// The application's credentials (client id and authentication), the
    /// same type auth0-management fetches its token with.
    pub fn credentials(&self) -> &ClientCredentials {
        &self.inner.credentials
    }

    /// This client's client-credentials grant as an
    /// [`AccessTokenSource`](crate::token_source::AccessTokenSource), e.g.
    /// to put a cache (the Management client's, or one shared by a fleet)
    /// in front of it.
    pub fn token_source(&self) -> crate::token_source::ClientCredentialsSource<S>
    where
        S: Clone,
    {
        crate::token_source::ClientCredentialsSource::new(
            self.core.clone(),
            self.inner.credentials.clone(),
        )
    }

    /// The underlying HTTP client.
    pub fn core(&self) -> &Auth0Client<S> {
        &self.core
    }

    /// Starts an `/authorize` URL for this tenant and application (no
    /// I/O). See [`AuthorizeUrl`].
    pub fn authorize_url(&self) -> AuthorizeUrl {
        AuthorizeUrl::new(self.core.domain(), self.client_id())
    }

    /// Starts a `/v2/logout` URL for this tenant and application (no I/O).
    /// See [`LogoutUrl`].
    pub fn logout_url(&self) -> LogoutUrl {
        LogoutUrl::new(self.core.domain()).client_id(self.client_id())
    }

    /// Starts an `/oidc/logout` URL (OIDC RP-Initiated Logout) for this
    /// tenant, with this application's `client_id` (no I/O). See
    /// [`OidcLogoutUrl`].
    pub fn oidc_logout_url(&self) -> OidcLogoutUrl {
        OidcLogoutUrl::new(self.core.domain()).client_id(self.client_id())
    }

    /// The request fields common to every body: `client_id`.
    pub(crate) fn fields(&self) -> Fields {
        Fields::new().str("client_id", self.client_id())
    }

    /// Marks `fields` for client authentication: `client_secret`, or
    /// `client_assertion_type` and a `client_assertion` signed for each
    /// attempt, are added when the body is encoded (see [`post_fields`]).
    pub(crate) fn authenticate(&self, mut fields: Fields) -> Result<Fields, Error> {
        fields.authenticated = true;
        Ok(fields)
    }
}

/// Builds an [`AuthenticationClient`]; start with
/// [`AuthenticationClient::builder`].
///
/// ```
/// use std::time::Duration;
/// use auth0_authentication::AuthenticationClient;
/// use auth0_core::{Auth0Client, ClientConfig};
/// use auth0_jwt::sign::SigningKey;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let core = Auth0Client::new(ClientConfig::new("tenant.auth0.com")?)?;
/// let key = SigningKey::generate_es256()?.with_kid("key-1");
/// let auth = AuthenticationClient::builder(core, "my-client-id")
///     .private_key_jwt(key)
///     .assertion_lifetime(Duration::from_secs(60))
///     .build()?;
/// assert!(!format!("{auth:?}").contains("PRIVATE"));
/// # Ok(()) }
/// ```
#[must_use]
pub struct AuthenticationClientBuilder<S> {
    core: Auth0Client<S>,
    client_id: String,
    auth: ClientAuthentication,
    assertion_lifetime: Duration,
    dpop: Option<DpopKey>,
    request_object_key: Option<SigningKey>,
    id_token_verifier: Option<TokenVerifier>,
    mtls_endpoint_base: Option<String>,
}

impl<S> fmt::Debug for AuthenticationClientBuilder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticationClientBuilder")
            .field("domain", self.core.domain())
            .field("client_id", &self.client_id)
            .field("client_authentication", &self.auth)
            .field("assertion_lifetime", &self.assertion_lifetime)
            .field("dpop", &self.dpop)
            .field("request_object_key", &self.request_object_key)
            .field("verifies_id_tokens", &self.id_token_verifier.is_some())
            .finish_non_exhaustive()
    }
}

impl<S> AuthenticationClientBuilder<S> {
    /// Authenticates with `client_secret_post`.
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.auth = ClientAuthentication::ClientSecret(secret.into());
        self
    }

    /// Authenticates with `client_secret_basic` (RFC 6749 §2.3.1: an HTTP
    /// Basic `Authorization` header).
    pub fn client_secret_basic(mut self, secret: impl Into<String>) -> Self {
        self.auth = ClientAuthentication::ClientSecretBasic(secret.into());
        self
    }

    /// Authenticates with `private_key_jwt`, signing each assertion with
    /// `key` (its algorithm and `kid` go into the JWT header).
    pub fn private_key_jwt(mut self, key: auth0_jwt::sign::SigningKey) -> Self {
        self.auth = ClientAuthentication::PrivateKeyJwt(Box::new(key));
        self
    }

    /// Where `tls_client_auth` / `self_signed_tls_client_auth` requests go
    /// (default `https://mtls.<domain>`); see
    /// [`ClientCredentials::with_mtls_endpoint_base`].
    pub fn mtls_endpoint_base(mut self, base: impl Into<String>) -> Self {
        self.mtls_endpoint_base = Some(base.into());
        self
    }

    /// Sets the client authentication (replacing earlier choices).
    pub fn client_authentication(mut self, auth: ClientAuthentication) -> Self {
        self.auth = auth;
        self
    }

    /// Lifetime of each `private_key_jwt` assertion (`exp - iat`); default
    /// 180 s as in auth0-python.
    pub fn assertion_lifetime(mut self, lifetime: Duration) -> Self {
        self.assertion_lifetime = lifetime;
        self
    }

    /// Requests DPoP-bound tokens (RFC 9449) with `key`: every token
    /// request carries a proof, and [`userinfo`](AuthenticationClient::userinfo)
    /// sends its token as `DPoP` with a proof. See [`crate::dpop`].
    pub fn dpop(mut self, key: DpopKey) -> Self {
        self.dpop = Some(key);
        self
    }

    /// Verifies the ID token of every login answer (password, code,
    /// refresh, passwordless, MFA, device, CIBA, token exchange) with
    /// `verifier` before returning it: signature, issuer, audience (this
    /// application), expiry, as auth0-jwt's [`TokenVerifier`] checks. A
    /// token that fails is [`Error::InvalidIdToken`]; the verified claims are
    /// in [`TokenResponse::id_token_claims`](crate::TokenResponse::id_token_claims).
    /// Checks that need the request's values (`nonce`, `max_age`) are made
    /// with [`AuthenticationClient::verify_id_token`].
    pub fn id_token_verifier(mut self, verifier: TokenVerifier) -> Self {
        self.id_token_verifier = Some(verifier);
        self
    }

    /// Signs request objects (JAR, RFC 9101; see [`crate::jar`]) with
    /// `key` (asymmetric, registered for the application) instead of the
    /// `private_key_jwt` key.
    pub fn request_object_key(mut self, key: SigningKey) -> Self {
        self.request_object_key = Some(key);
        self
    }

    /// Checks the settings ([`ClientCredentials::validate`]) and builds
    /// the client.
    pub fn build(self) -> Result<AuthenticationClient<S>, BuildError> {
        let mut credentials = ClientCredentials::new(self.client_id, self.auth)
            .with_assertion_lifetime(self.assertion_lifetime);
        if let Some(base) = self.mtls_endpoint_base {
            credentials = credentials.with_mtls_endpoint_base(base);
        }
        credentials.validate()?;
        if let Some(key) = &self.request_object_key
            && key.algorithm().family() == auth0_jwt::alg::AlgorithmFamily::Hmac
        {
            return Err(BuildError::SymmetricRequestObjectKey {
                alg: key.algorithm().as_str(),
            });
        }
        Ok(AuthenticationClient {
            core: self.core,
            inner: Arc::new(Inner {
                credentials,
                dpop: self.dpop.map(|key| Arc::new(DpopState::new(key))),
                request_object_key: self.request_object_key,
                id_token_verifier: self.id_token_verifier,
            }),
        })
    }
}

/// A request body under construction: string (or JSON) fields, `None`s
/// left out; `authenticated` asks for client authentication;
/// `caller_handles_429` sends a `429` straight back (no rate-limit retry).
#[derive(Default, Clone)]
pub(crate) struct Fields {
    map: Map<String, Value>,
    authenticated: bool,
    caller_handles_429: bool,
}

impl Fields {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn str(mut self, name: &str, value: &str) -> Self {
        self.set(name, value);
        self
    }

    pub(crate) fn set(&mut self, name: &str, value: &str) {
        self.map
            .insert(name.to_owned(), Value::String(value.to_owned()));
    }

    pub(crate) fn opt(self, name: &str, value: Option<&str>) -> Self {
        match value {
            Some(v) => self.str(name, v),
            None => self,
        }
    }

    /// The request carries [`NoRateLimitRetry`]: a `429` answer comes back
    /// at once (the device poll's `slow_down`, RFC 8628 §3.5).
    pub(crate) fn without_rate_limit_retry(mut self) -> Self {
        self.caller_handles_429 = true;
        self
    }

    pub(crate) fn remove(&mut self, name: &str) {
        self.map.remove(name);
    }

    pub(crate) fn value(mut self, name: &str, value: Value) -> Self {
        self.map.insert(name.to_owned(), value);
        self
    }

    /// Form encoding: strings as is, other JSON values as JSON text.
    fn to_form(&self) -> String {
        let pairs: Vec<(&str, String)> = self
            .map
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.as_str(), text)
            })
            .collect();
        form_urlencode(pairs.iter().map(|(k, v)| (*k, v.as_str())))
    }
}

/// Builds one retry's extra headers (a new DPoP proof) from the attempt.
pub(crate) type RetryHeadersFn =
    dyn Fn(&RetryAttempt<'_>) -> Result<HeaderMap, Error> + Send + Sync;

/// The extra headers of a request: the first attempt's, and what builds
/// each retry's own when they must not be replayed (a DPoP proof: new
/// `jti`, new `iat`, the newest nonce; RFC 9449 §11.1, §8). The retry
/// layer calls it through the request's one [`RebuildRequest`].
#[derive(Clone, Default)]
pub(crate) struct AttemptHeaders {
    first: HeaderMap,
    retry: Option<Arc<RetryHeadersFn>>,
}

impl AttemptHeaders {
    /// `first` for the first attempt, `retry` for each later one.
    pub(crate) fn new(first: HeaderMap, retry: Option<Arc<RetryHeadersFn>>) -> Self {
        Self { first, retry }
    }

    /// Adds headers that every attempt carries unchanged.
    pub(crate) fn with_fixed(mut self, headers: &HeaderMap) -> Self {
        let mut all = headers.clone();
        all.extend(std::mem::take(&mut self.first));
        self.first = all;
        self
    }
}

impl From<HeaderMap> for AttemptHeaders {
    fn from(first: HeaderMap) -> Self {
        Self { first, retry: None }
    }
}

/// Puts `headers` on `request`, and the one [`RebuildRequest`] for its
/// retries when its body (`body`, a newly signed client assertion) or its
/// headers (a new DPoP proof) must be built afresh per attempt.
fn attach(
    request: &mut HttpRequest,
    headers: AttemptHeaders,
    body: Option<Arc<dyn Fn() -> Result<Bytes, Error> + Send + Sync>>,
) {
    let AttemptHeaders { first, retry } = headers;
    request.headers_mut().extend(first);
    if body.is_none() && retry.is_none() {
        return;
    }
    request
        .extensions_mut()
        .insert(RebuildRequest::new(move |attempt| {
            let mut rebuilt = Rebuilt::new();
            if let Some(body) = &body {
                rebuilt = rebuilt.body(body().map_err(Box::new)?);
            }
            if let Some(retry) = &retry {
                rebuilt = rebuilt.headers(retry(attempt).map_err(Box::new)?);
            }
            Ok(rebuilt)
        }));
}

/// How a body is encoded.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Encoding {
    /// `application/json`, as auth0-python sends to most endpoints.
    Json,
    /// `application/x-www-form-urlencoded`, as RFC 9126 (PAR) and CIBA
    /// require.
    Form,
}

pub(crate) fn invalid_request(reason: &str) -> Error {
    Error::InvalidRequest {
        reason: reason.to_owned(),
        source: None,
    }
}

/// A header value built from caller input; the error names the header but
/// never the value (it may be a credential).
pub(crate) fn header_value(name: &str, value: &str, sensitive: bool) -> Result<HeaderValue, Error> {
    let mut v = HeaderValue::from_str(value)
        .map_err(|_| invalid_request(&format!("the {name} value is not a valid header value")))?;
    v.set_sensitive(sensitive);
    Ok(v)
}

impl<S> AuthenticationClient<S>
where
    S: HttpService,
{
    /// `POST`s `fields` to `path` and returns the successful response.
    pub(crate) async fn post(
        &self,
        path: &str,
        fields: &Fields,
        encoding: Encoding,
        headers: impl Into<AttemptHeaders>,
    ) -> Result<HttpResponse, Error> {
        self.post_with(path, fields, encoding, headers.into(), false)
            .await
    }

    /// [`Self::post`], and with `retry_server_errors` the stack may also
    /// resend it after a 5xx answer or a dropped connection: only for
    /// requests that change nothing when repeated.
    pub(crate) async fn post_with(
        &self,
        path: &str,
        fields: &Fields,
        encoding: Encoding,
        headers: AttemptHeaders,
        retry_server_errors: bool,
    ) -> Result<HttpResponse, Error> {
        let credentials = fields.authenticated.then_some(&self.inner.credentials);
        post_fields(
            &self.core,
            credentials,
            path,
            fields,
            encoding,
            headers,
            retry_server_errors,
        )
        .await
    }

    /// `GET`s `path` with a bearer token.
    pub(crate) async fn get_with_bearer(
        &self,
        path: &str,
        token: &str,
    ) -> Result<HttpResponse, Error> {
        self.send_without_body(Method::GET, path, Some(token), APPLICATION_JSON)
            .await
    }

    /// `GET`s `path` with this `Authorization` value and extra headers.
    pub(crate) async fn get_with_authorization(
        &self,
        path: &str,
        authorization: HeaderValue,
        headers: AttemptHeaders,
    ) -> Result<HttpResponse, Error> {
        let mut request = build_request(Method::GET, path, Bytes::new())?;
        request.headers_mut().insert(AUTHORIZATION, authorization);
        attach(&mut request, headers, None);
        self.execute(request).await
    }

    /// Sends a body-less request (`GET`, `DELETE`) to `path`, with a bearer
    /// token if one is given and `accept` as the `Accept` header, and
    /// returns the successful response.
    pub(crate) async fn send_without_body(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        accept: HeaderValue,
    ) -> Result<HttpResponse, Error> {
        let mut request = build_request(method, path, Bytes::new())?;
        request.headers_mut().insert(ACCEPT, accept);
        if let Some(token) = bearer {
            request
                .headers_mut()
                .insert(AUTHORIZATION, bearer_header(token)?);
        }
        self.execute(request).await
    }

    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        execute(&self.core, request).await
    }
}

/// Sends `request`, named by its operation (the `auth0.request` span's
/// name; in the request's extensions whenever a layer of the caller's could
/// read it, see `Auth0Client::send_operation`), and maps an error status.
async fn execute<S: HttpService>(
    http: &Auth0Client<S>,
    request: HttpRequest,
) -> Result<HttpResponse, Error> {
    let operation = operation(request.method(), request.uri());
    let response = http.send_operation(request, operation).await?;
    let status = response.status();
    if status.is_client_error() || status.is_server_error() {
        return Err(Error::from_response(&response));
    }
    Ok(response)
}

/// The body of one attempt: `fields`, plus the client authentication of
/// `credentials` (a newly signed assertion each time), encoded.
fn encode_body(
    credentials: Option<&ClientCredentials>,
    fields: &Fields,
    encoding: Encoding,
    issuer: &str,
) -> Result<(Bytes, HeaderValue), Error> {
    let mut fields = fields.clone();
    if let Some(credentials) = credentials {
        credentials.add_authentication(&mut fields, issuer)?;
    }
    Ok(match encoding {
        Encoding::Json => {
            let json = serde_json::to_vec(&fields.map).map_err(|e| Error::InvalidRequest {
                reason: "the request body could not be serialised to JSON".to_owned(),
                source: Some(Box::new(e)),
            })?;
            (Bytes::from(json), APPLICATION_JSON)
        }
        Encoding::Form => (Bytes::from(fields.to_form()), FORM_URLENCODED),
    })
}

/// `POST`s `fields` to `path` on `http`, authenticated by `credentials`
/// when given, and returns the successful response: the one way the SDK
/// sends a client-authenticated request.
///
/// The retry layer builds each attempt after the first afresh (one
/// [`RebuildRequest`]): with `private_key_jwt` a newly signed assertion
/// (new `jti` and `iat`; RFC 7523 §3: a `jti` is single use), and with
/// DPoP the headers' new proof (see [`AttemptHeaders`]).
/// `retry_server_errors` lets the stack resend after a 5xx or a dropped
/// connection (only for requests that change nothing when repeated).
pub(crate) async fn post_fields<S: HttpService>(
    http: &Auth0Client<S>,
    credentials: Option<&ClientCredentials>,
    path: &str,
    fields: &Fields,
    encoding: Encoding,
    headers: AttemptHeaders,
    retry_server_errors: bool,
) -> Result<HttpResponse, Error> {
    let issuer = http.domain().issuer();
    let (body, content_type) = encode_body(credentials, fields, encoding, &issuer)?;
    // Mutual TLS: the request goes to the tenant's mTLS endpoint alias.
    let mtls_url = credentials.and_then(|c| c.mtls_endpoint(http.domain(), path));
    let mut request = build_request(Method::POST, mtls_url.as_deref().unwrap_or(path), body)?;
    request.headers_mut().insert(CONTENT_TYPE, content_type);
    if let Some((basic, secret)) = credentials
        .map(ClientCredentials::basic_authorization)
        .transpose()?
        .flatten()
    {
        request.headers_mut().insert(AUTHORIZATION, basic);
        // The header is recorded as `Basic <base64>`; the secret itself
        // too, in case a server echoes it decoded.
        let secrets = Secrets::new();
        secrets.insert(secret);
        request.extensions_mut().insert(secrets);
    }
    if retry_server_errors {
        request.extensions_mut().insert(RetryNonIdempotent);
    }
    if fields.caller_handles_429 {
        request.extensions_mut().insert(NoRateLimitRetry);
    }
    let body = credentials
        .filter(|c| c.signs_assertions())
        .map(|credentials| {
            let (credentials, fields) = (credentials.clone(), fields.clone());
            Arc::new(move || {
                encode_body(Some(&credentials), &fields, encoding, &issuer).map(|(body, _)| body)
            }) as Arc<dyn Fn() -> Result<Bytes, Error> + Send + Sync>
        });
    attach(&mut request, headers, body);
    execute(http, request).await
}

fn build_request(method: Method, path: &str, body: Bytes) -> Result<HttpRequest, Error> {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .body(body)
        .map_err(|e| Error::InvalidRequest {
            reason: "the request could not be built".to_owned(),
            source: Some(Box::new(e)),
        })?;
    request.headers_mut().insert(ACCEPT, APPLICATION_JSON);
    Ok(request)
}

/// The Authentication API operations, by method and path: the name and
/// path template the `auth0.request` span reports (`auth0_core::trace`).
/// Templates replace ids with `{…}`, so no id reaches the span.
const OPERATIONS: &[(Method, &str, Operation)] = &[
    (
        Method::POST,
        "/oauth/token",
        Operation::new("oauth_token", "/oauth/token"),
    ),
    (
        Method::POST,
        "/oauth/revoke",
        Operation::new("revoke_token", "/oauth/revoke"),
    ),
    (
        Method::GET,
        "/userinfo",
        Operation::new("userinfo", "/userinfo"),
    ),
    (
        Method::POST,
        "/oauth/par",
        Operation::new("pushed_authorization_request", "/oauth/par"),
    ),
    (
        Method::POST,
        "/bc-authorize",
        Operation::new("ciba_authorize", "/bc-authorize"),
    ),
    (
        Method::POST,
        "/oauth/device/code",
        Operation::new("device_authorization", "/oauth/device/code"),
    ),
    (
        Method::POST,
        "/passwordless/start",
        Operation::new("passwordless_start", "/passwordless/start"),
    ),
    (
        Method::POST,
        "/dbconnections/signup",
        Operation::new("signup", "/dbconnections/signup"),
    ),
    (
        Method::POST,
        "/dbconnections/change_password",
        Operation::new("change_password", "/dbconnections/change_password"),
    ),
    (
        Method::POST,
        "/mfa/challenge",
        Operation::new("mfa_challenge", "/mfa/challenge"),
    ),
    (
        Method::POST,
        "/mfa/associate",
        Operation::new("mfa_associate", "/mfa/associate"),
    ),
    (
        Method::GET,
        "/mfa/authenticators",
        Operation::new("mfa_list_authenticators", "/mfa/authenticators"),
    ),
    (
        Method::POST,
        "/passkey/register",
        Operation::new("passkey_register", "/passkey/register"),
    ),
    (
        Method::POST,
        "/passkey/challenge",
        Operation::new("passkey_challenge", "/passkey/challenge"),
    ),
    (
        Method::GET,
        crate::enterprise::WSFED_METADATA_PATH,
        Operation::new("wsfed_metadata", crate::enterprise::WSFED_METADATA_PATH),
    ),
];

/// Operations whose last path segment is an id.
const OPERATIONS_WITH_ID: &[(Method, &str, Operation)] = &[
    (
        Method::DELETE,
        "/mfa/authenticators/",
        Operation::new(
            "mfa_delete_authenticator",
            "/mfa/authenticators/{authenticator_id}",
        ),
    ),
    (
        Method::GET,
        "/samlp/metadata/",
        Operation::new("saml_metadata", "/samlp/metadata/{client_id}"),
    ),
];

/// The [`Operation`] of a request to `uri` (relative, or absolute: an mTLS
/// endpoint on another host; only its path counts), if it is a known one.
fn operation(method: &Method, uri: &Uri) -> Option<Operation> {
    let path = uri.path();
    if let Some((_, _, op)) = OPERATIONS
        .iter()
        .find(|(m, p, _)| m == method && *p == path)
    {
        return Some(*op);
    }
    OPERATIONS_WITH_ID.iter().find_map(|(m, prefix, op)| {
        let id = path.strip_prefix(prefix)?;
        (m == method && !id.is_empty() && !id.contains('/')).then_some(*op)
    })
}

/// Decodes a successful response's JSON body with auth0-core's one
/// decoder (an empty body decodes as `null`; errors are scrubbed of the
/// request's secrets).
pub(crate) fn decode<T: DeserializeOwned>(response: &HttpResponse) -> Result<T, Error> {
    auth0_core::client::decode_body(response)
}

/// An `Authorization: Bearer …` value, marked sensitive; an empty token or
/// one that is not a valid header value is refused without echoing it.
pub(crate) fn bearer_header(token: &str) -> Result<HeaderValue, Error> {
    if token.is_empty() {
        return Err(invalid_request("the bearer token is empty"));
    }
    header_value("access token", &format!("Bearer {token}"), true)
}

/// `value` as one URI path segment (see [`encode_path_segment`]); an empty
/// value, `.` or `..` is refused (it would name another resource), the
/// error naming the parameter `name` only.
pub(crate) fn path_segment(name: &str, value: &str) -> Result<String, Error> {
    if value.is_empty() || value == "." || value == ".." {
        return Err(invalid_request(&format!(
            "the {name} is empty or a dot segment"
        )));
    }
    Ok(encode_path_segment(value))
}

/// Percent-encodes one URI path segment: everything but RFC 3986's
/// unreserved characters (`A-Z a-z 0-9 - . _ ~`) becomes `%XX`, so an id
/// such as `sms|dev_abc` or `a/b?c` stays inside its segment.
pub(crate) fn encode_path_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    auth0_core::client::percent_encode_into(&mut out, segment);
    out
}

/// One extra request header.
pub(crate) fn one_header(name: &'static str, value: HeaderValue) -> HeaderMap {
    let mut map = HeaderMap::new();
    map.insert(HeaderName::from_static(name), value);
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_named_by_template_never_by_id() {
        let op = |m: Method, uri: &str| {
            operation(&m, &uri.parse().unwrap()).map(|o| (o.name(), o.path_template()))
        };
        assert_eq!(
            op(Method::POST, "/oauth/token"),
            Some(("oauth_token", "/oauth/token"))
        );
        assert_eq!(
            op(Method::POST, "https://mtls.tenant.example/oauth/token"),
            Some(("oauth_token", "/oauth/token"))
        );
        assert_eq!(
            op(Method::DELETE, "/mfa/authenticators/sms%7Cdev_1"),
            Some((
                "mfa_delete_authenticator",
                "/mfa/authenticators/{authenticator_id}"
            ))
        );
        assert_eq!(
            op(Method::GET, "/samlp/metadata/abc?x=1"),
            Some(("saml_metadata", "/samlp/metadata/{client_id}"))
        );
        assert_eq!(op(Method::GET, "/oauth/token"), None);
        assert_eq!(op(Method::DELETE, "/mfa/authenticators/"), None);
        assert_eq!(op(Method::POST, "/unknown"), None);
    }
}
