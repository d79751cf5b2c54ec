//! A tower layer that guards a service with OAuth 2.0 bearer tokens (RFC 6750).
//!
//! [`BearerAuthLayer`] takes the access token from the `Authorization` header,
//! hands it to an [`Authorize`] implementation (an [`AccessTokenValidator`] or
//! your own) and either passes the request on with the verified claims in its
//! extensions or answers it:
//!
//! | situation                                        | status | `WWW-Authenticate`                                 |
//! |--------------------------------------------------|--------|----------------------------------------------------|
//! | no `Authorization` header, or another scheme     | 401    | `Bearer realm="…"` (no error code, RFC 6750 §3.1)  |
//! | malformed header (two headers, bad characters …) | 400    | `Bearer …, error="invalid_request"`                |
//! | token rejected by the authorizer                 | 401    | `Bearer …, error="invalid_token"`                  |
//! | certificate-bound token, certificate not matching | 401    | `Bearer …, error="invalid_token"`                  |
//! | token valid but scopes missing                   | 403    | `Bearer …, error="insufficient_scope", scope="…"`  |
//! | keys could not be fetched                        | 503    | none                                               |
//!
//! # Certificate-bound tokens (RFC 8705 §3)
//!
//! A token whose `cnf` names a client certificate (`x5t#S256`, issued to a
//! client that authenticated with mutual TLS) is accepted only when the
//! request carries that certificate as a
//! [`PresentedCertificate`] extension, which the server that terminated TLS
//! inserts: a bound token with no certificate or another one is answered
//! 401 `invalid_token`. Tokens that are not bound pass, unless the layer is
//! built with [`require_certificate_binding`](BearerAuthLayer::require_certificate_binding).
//! With tokio-rustls, per connection:
//!
//! ```
//! use auth0_jwt::certificate_binding::PresentedCertificate;
//! use tower::ServiceExt;
//!
//! /// Serves one accepted TLS connection: every request carries the
//! /// client's certificate (tokio-rustls asked for one with a client
//! /// certificate verifier, e.g. `WebPkiClientVerifier`).
//! fn with_peer_certificate<S, B>(
//!     service: S,
//!     leaf_der: Option<&[u8]>, // tls_stream.get_ref().1.peer_certificates()?.first()
//! ) -> impl tower::Service<http::Request<B>, Response = S::Response, Error = S::Error>
//! where
//!     S: tower::Service<http::Request<B>>,
//! {
//!     let presented = leaf_der.map(PresentedCertificate::new);
//!     service.map_request(move |mut request: http::Request<B>| {
//!         if let Some(presented) = &presented {
//!             request.extensions_mut().insert(presented.clone());
//!         }
//!         request
//!     })
//! }
//! # let _ = with_peer_certificate::<_, ()>(tower::service_fn(|_: http::Request<()>| async { Ok::<_, std::convert::Infallible>(()) }), None);
//! ```
//!
//! With axum, the same from a `connect_info` type or a `middleware::from_fn`
//! that reads it; `docs/API_PROTECTION.md` shows a whole server.
//!
//! It is the shape of tower-http's `AsyncRequireAuthorization`, and depends
//! only on `tower-layer`, `tower-service` and `http`: no hyper, no runtime.
//! Rejection bodies are `ResBody::default()` (empty for the usual body types).

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::{AUTHORIZATION, HeaderName, HeaderValue, WWW_AUTHENTICATE};
use http::{Request, Response, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

use crate::access_token::{AccessTokenClaims, AccessTokenValidator};
use crate::certificate_binding::{
    CertificateBinding, CertificateBindingError, PresentedCertificate,
};
use crate::error::{Error, TokenKind};
use crate::organization::OrganizationPolicy;
use crate::resource_metadata::{MetadataServer, ProtectedResourceMetadata};
use crate::verifier::KeySourceError;

/// Longest `error_description` sent back, in bytes.
const MAX_DESCRIPTION_LEN: usize = 200;
/// Default bound on the token length (bytes) the layer will hash and verify.
const DEFAULT_MAX_TOKEN_LEN: usize = 16 * 1024;

/// Why an [`Authorize`] implementation turned a token down.
///
/// The variant picks the status code and `WWW-Authenticate` challenge; the
/// description is sent to the client (sanitized and truncated), so it must
/// never contain the token or anything secret.
///
/// # Example
///
/// ```
/// use auth0_jwt::layer::Rejection;
///
/// let expired = Rejection::invalid_token("the token has expired");
/// let narrow = Rejection::insufficient_scope("write:orders", "write:orders is required");
/// assert!(matches!(narrow, Rejection::InsufficientScope { .. }));
/// assert_eq!(expired.to_string(), "invalid token: the token has expired");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The token is expired, forged, malformed, for another audience, … —
    /// answered with 401 and `error="invalid_token"`.
    #[error("invalid token: {description}")]
    InvalidToken {
        /// What is wrong, for the `error_description` attribute.
        description: Cow<'static, str>,
    },
    /// The token is valid but lacks scopes the resource needs — answered with
    /// 403 and `error="insufficient_scope"`.
    #[error("insufficient scope: {description}")]
    InsufficientScope {
        /// Space-separated scopes the request needs, for the `scope` attribute.
        scope: String,
        /// What is missing, for the `error_description` attribute.
        description: Cow<'static, str>,
    },
    /// The token could not be checked right now (for example the JWKS
    /// endpoint is down) — answered with 503 and no challenge, so clients
    /// retry instead of throwing the token away.
    #[error("authorization unavailable: {description}")]
    Unavailable {
        /// What failed; not sent to the client.
        description: Cow<'static, str>,
    },
}

impl Rejection {
    /// An `invalid_token` rejection (401).
    pub fn invalid_token(description: impl Into<Cow<'static, str>>) -> Self {
        Self::InvalidToken {
            description: description.into(),
        }
    }

    /// An `insufficient_scope` rejection (403) naming the scopes needed.
    pub fn insufficient_scope(
        scope: impl Into<String>,
        description: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::InsufficientScope {
            scope: scope.into(),
            description: description.into(),
        }
    }

    /// A rejection for when the token cannot be checked right now (503).
    pub fn unavailable(description: impl Into<Cow<'static, str>>) -> Self {
        Self::Unavailable {
            description: description.into(),
        }
    }
}

/// Checks a bearer token and returns its verified claims.
///
/// Implemented for [`AccessTokenValidator`] and for `Arc<A>` of any
/// implementation; implement it yourself to plug in another validator.
///
/// # Example
///
/// ```
/// use std::future::Future;
/// use std::sync::Arc;
/// use auth0_jwt::layer::{Authorize, Rejection};
///
/// /// Accepts one fixed token (for tests).
/// struct Fixed;
///
/// impl Authorize for Fixed {
///     type Claims = String;
///
///     fn authorize(&self, token: &str) -> impl Future<Output = Result<Arc<String>, Rejection>> + Send {
///         let result = if token == "letmein" {
///             Ok(Arc::new("alice".to_owned()))
///         } else {
///             Err(Rejection::invalid_token("unknown token"))
///         };
///         std::future::ready(result)
///     }
/// }
/// ```
pub trait Authorize: Send + Sync + 'static {
    /// The verified claims put into the request's extensions as `Arc<Claims>`.
    type Claims: Send + Sync + 'static;

    /// `true` if every token this authorizer accepts is an RFC 6750
    /// `b64token` (a compact JWS is). The layer then checks that syntax only
    /// for tokens the authorizer turns down — still answering 400
    /// `invalid_request` for them — instead of scanning every token up front.
    /// The default, `false`, checks every token before the authorizer sees it.
    const ACCEPTS_ONLY_B64TOKENS: bool = false;

    /// Validates `token` (the bearer token, without the scheme).
    fn authorize(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Arc<Self::Claims>, Rejection>> + Send;

    /// Decides at once when that needs no waiting (for example, the token is
    /// in a cache of verified tokens, or the check is purely computational);
    /// `None` — the default — sends the request the asynchronous way, through
    /// [`Authorize::authorize`].
    ///
    /// The layer calls this first on every request. An answer here spares the
    /// request the boxed future, the clone of the inner service and the
    /// shared reference counts of the asynchronous path. It must be the
    /// answer [`Authorize::authorize`] would give, and must not block.
    fn authorize_now(&self, token: &str) -> Option<Result<Arc<Self::Claims>, Rejection>> {
        let _ = token;
        None
    }
}

impl<A: Authorize> Authorize for Arc<A> {
    type Claims = A::Claims;

    const ACCEPTS_ONLY_B64TOKENS: bool = A::ACCEPTS_ONLY_B64TOKENS;

    fn authorize(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Arc<Self::Claims>, Rejection>> + Send {
        (**self).authorize(token)
    }

    fn authorize_now(&self, token: &str) -> Option<Result<Arc<Self::Claims>, Rejection>> {
        (**self).authorize_now(token)
    }
}

impl Authorize for AccessTokenValidator {
    type Claims = AccessTokenClaims;

    // It accepts only compact JWS: base64url segments joined by dots.
    const ACCEPTS_ONLY_B64TOKENS: bool = true;

    async fn authorize(&self, token: &str) -> Result<Arc<Self::Claims>, Rejection> {
        self.validate(token).await.map_err(|e| rejection_for(&e))
    }

    fn authorize_now(&self, token: &str) -> Option<Result<Arc<Self::Claims>, Rejection>> {
        self.validate_cached(token)
            .map(|result| result.map_err(|e| rejection_for(&e)))
    }
}

/// Maps a validation error to the answer RFC 6750 asks for.
///
/// Every `invalid_token` answer carries one of a few fixed descriptions
/// (RFC 6750 §3: `error_description` is for the developer, not a report):
/// nothing the sender wrote is reflected back, and nothing of the API's
/// configuration (issuer, audiences, accepted algorithms, organizations) or
/// of the server's clock and keys is told to an unauthenticated caller. The
/// full [`Error`] stays on the server side (log it from your own
/// [`Authorize`] wrapper if you need it).
pub(crate) fn rejection_for(error: &Error) -> Rejection {
    let description = match error {
        Error::InsufficientScope { missing } => {
            // RFC 6750 §3.1: the `scope` attribute names what is needed.
            return Rejection::insufficient_scope(
                missing.join(" "),
                "the access token lacks a required scope or permission",
            );
        }
        // The key set could not be fetched: not the client's fault.
        Error::KeySource(KeySourceError::Fetch { .. }) => {
            return Rejection::unavailable(error.to_string());
        }
        // A validator that cannot work is a server problem, not a bad token.
        Error::Config { .. } => return Rejection::unavailable(error.to_string()),
        // RFC 6750's own example text.
        Error::Expired { .. } => EXPIRED,
        Error::NotYetValid { .. } | Error::IssuedInFuture { .. } => NOT_YET_VALID,
        Error::InvalidSignature(_) => BAD_SIGNATURE,
        Error::KeyNotFound { .. } | Error::KeySource(_) | Error::Key(_) => UNKNOWN_KEY,
        Error::AlgorithmNotSupported { .. } => BAD_ALGORITHM,
        Error::Missing { .. }
        | Error::Malformed(_)
        | Error::ClaimsNotAnObject
        | Error::ClaimsDeserialize { .. } => MALFORMED,
        Error::IssuerInvalid { .. }
        | Error::IssuerMismatch { .. }
        | Error::AudienceInvalid { .. }
        | Error::AudienceMismatch { .. }
        | Error::TypeMismatch { .. }
        | Error::OrganizationIdInvalid { .. }
        | Error::OrganizationIdMismatch { .. }
        | Error::OrganizationNameInvalid { .. }
        | Error::OrganizationNameMismatch { .. }
        | Error::OrganizationNotAllowed { .. } => NOT_FOR_THIS_API,
        _ => INVALID,
    };
    Rejection::invalid_token(description)
}

/// `error_description` of an expired token (RFC 6750's own example text).
const EXPIRED: &str = "The access token expired";
/// `error_description` of a token not valid yet (`nbf`, `iat` in the future).
const NOT_YET_VALID: &str = "The access token is not valid yet";
/// `error_description` of a token whose signature does not verify.
const BAD_SIGNATURE: &str = "The access token signature is invalid";
/// `error_description` of a token signed by a key the API does not know.
const UNKNOWN_KEY: &str = "The access token was signed by an unknown key";
/// `error_description` of a token signed with an algorithm not accepted.
const BAD_ALGORITHM: &str = "The access token is signed with an algorithm that is not accepted";
/// `error_description` of a token that cannot be parsed.
const MALFORMED: &str = "The access token is malformed";
/// `error_description` of a token issued by someone else, for another
/// audience, of another type or for an organization not allowed.
const NOT_FOR_THIS_API: &str = "The access token is not valid for this resource";
/// `error_description` of any other invalid token.
const INVALID: &str = "The access token is invalid";
/// `error_description` of a certificate-bound token sent without a client
/// certificate (RFC 8705 §3).
const NO_CERTIFICATE: &str =
    "The access token is bound to a client certificate and none was presented";
/// `error_description` of a certificate-bound token sent with another one.
const OTHER_CERTIFICATE: &str = "The access token is bound to another client certificate";
/// `error_description` of an unbound token where binding is required.
const NOT_CERTIFICATE_BOUND: &str = "The access token must be bound to the client certificate";
/// The fixed descriptions whose challenges each layer builds once.
const FIXED_DESCRIPTIONS: [&str; 11] = [
    EXPIRED,
    BAD_SIGNATURE,
    UNKNOWN_KEY,
    NOT_YET_VALID,
    BAD_ALGORITHM,
    MALFORMED,
    NOT_FOR_THIS_API,
    INVALID,
    NO_CERTIFICATE,
    OTHER_CERTIFICATE,
    NOT_CERTIFICATE_BOUND,
];

/// The `error_description` of a certificate-binding refusal.
pub(crate) fn binding_description(error: &CertificateBindingError) -> &'static str {
    match error {
        CertificateBindingError::NoCertificate => NO_CERTIFICATE,
        CertificateBindingError::Mismatch => OTHER_CERTIFICATE,
        CertificateBindingError::NotBound => NOT_CERTIFICATE_BOUND,
        _ => MALFORMED,
    }
}

/// RFC 8705 §3 for a request: `Err(error_description)` when `claims`
/// (access-token claims; other claim types have no binding to check) are
/// not accepted with the certificate the request carries.
pub(crate) fn certificate_binding<C: Send + Sync + 'static>(
    policy: CertificateBinding,
    claims: &Arc<C>,
    extensions: &http::Extensions,
) -> Result<(), &'static str> {
    let Some(claims) = as_access_claims(claims) else {
        return Ok(());
    };
    policy
        .check(claims, extensions.get::<PresentedCertificate>())
        .map_err(|error| binding_description(&error))
}

/// Settings shared by a layer and the services it builds.
#[derive(Clone)]
struct Settings {
    header: HeaderName,
    /// Challenge for requests without a bearer token: `Bearer` or `Bearer realm="…"`.
    bare_challenge: HeaderValue,
    /// `realm="…"`, or empty.
    realm_param: String,
    /// `resource_metadata="…"` (RFC 9728 §5.1), or empty.
    metadata_param: String,
    /// The parameters every challenge starts with, each followed by `, `:
    /// the realm and the resource metadata URL, or empty.
    realm_attr: String,
    /// The per-request organization policy, if any.
    organization: Option<OrganizationResolver>,
    /// Which tokens must match the request's client certificate.
    certificate_binding: CertificateBinding,
    /// The RFC 9728 document this layer serves itself, if any.
    metadata_server: Option<MetadataServer>,
    max_token_len: usize,
    /// `invalid_token` challenges for [`FIXED_DESCRIPTIONS`], built once per
    /// realm: the rejections that come in floods cost a header clone.
    fixed_challenges: [HeaderValue; FIXED_DESCRIPTIONS.len()],
}

impl Settings {
    /// Rebuilds the challenges from the realm and metadata parameters.
    fn rebuild(&mut self) {
        self.realm_attr = leading_params(&self.realm_param, &self.metadata_param);
        let bare = self.realm_attr.trim_end_matches(", ");
        self.bare_challenge = if bare.is_empty() {
            HeaderValue::from_static("Bearer")
        } else {
            header_value(&format!("Bearer {bare}"))
        };
        self.build_fixed_challenges();
    }

    fn build_fixed_challenges(&mut self) {
        self.fixed_challenges =
            FIXED_DESCRIPTIONS.map(|d| invalid_token_challenge(&self.realm_attr, d, ""));
    }

    /// The prebuilt challenge for a fixed description, if it is one.
    fn fixed_challenge(&self, description: &str) -> Option<&HeaderValue> {
        FIXED_DESCRIPTIONS
            .iter()
            .position(|d| *d == description)
            .and_then(|i| self.fixed_challenges.get(i))
    }
}

/// The authorizer and the settings, behind one `Arc`: a request clones one
/// shared counter (an atomic read-modify-write every thread contends on),
/// not two.
struct Shared<A> {
    authorizer: Arc<A>,
    settings: Settings,
}

impl<A> Clone for Shared<A> {
    fn clone(&self) -> Self {
        Self {
            authorizer: Arc::clone(&self.authorizer),
            settings: self.settings.clone(),
        }
    }
}

/// A [`Layer`] that requires a valid bearer token; see the [module docs](self).
///
/// # Example
///
/// ```
/// use std::future::Future;
/// use std::sync::Arc;
/// use auth0_jwt::layer::{Authorize, BearerAuthLayer, Rejection};
///
/// struct Fixed;
/// impl Authorize for Fixed {
///     type Claims = String;
///     fn authorize(&self, token: &str) -> impl Future<Output = Result<Arc<String>, Rejection>> + Send {
///         std::future::ready(if token == "letmein" {
///             Ok(Arc::new("alice".to_owned()))
///         } else {
///             Err(Rejection::invalid_token("unknown token"))
///         })
///     }
/// }
///
/// let layer = BearerAuthLayer::new(Fixed).realm("api");
/// // `tower::ServiceBuilder::new().layer(layer).service(handler)` or
/// // `tower_layer::Layer::layer(&layer, handler)`.
/// # let _ = layer;
/// ```
pub struct BearerAuthLayer<A> {
    shared: Arc<Shared<A>>,
}

impl<A> Clone for BearerAuthLayer<A> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<A> fmt::Debug for BearerAuthLayer<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAuthLayer")
            .field("header", &self.shared.settings.header)
            .field("realm", &self.shared.settings.realm_attr)
            .field("max_token_len", &self.shared.settings.max_token_len)
            .finish_non_exhaustive()
    }
}

impl<A: Authorize> BearerAuthLayer<A> {
    /// A layer that checks the `Authorization` header with `authorizer`.
    pub fn new(authorizer: A) -> Self {
        Self::from_arc(Arc::new(authorizer))
    }

    /// Like [`BearerAuthLayer::new`], sharing an authorizer already in an `Arc`.
    pub fn from_arc(authorizer: Arc<A>) -> Self {
        let mut settings = Settings {
            header: AUTHORIZATION,
            bare_challenge: HeaderValue::from_static("Bearer"),
            realm_param: String::new(),
            metadata_param: String::new(),
            realm_attr: String::new(),
            organization: None,
            certificate_binding: CertificateBinding::default(),
            metadata_server: None,
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
            fixed_challenges: [const { HeaderValue::from_static("Bearer") };
                FIXED_DESCRIPTIONS.len()],
        };
        settings.build_fixed_challenges();
        Self {
            shared: Arc::new(Shared {
                authorizer,
                settings,
            }),
        }
    }

    fn settings_mut(&mut self) -> &mut Settings {
        // Settings are only changed while building the layer; a clone made
        // earlier keeps the settings it had.
        &mut Arc::make_mut(&mut self.shared).settings
    }

    /// Sets the `realm` sent in every challenge. Characters outside printable
    /// ASCII are replaced; quotes and backslashes are escaped.
    pub fn realm(mut self, realm: &str) -> Self {
        let settings = self.settings_mut();
        settings.realm_param = format!("realm={}", quoted_string(realm));
        settings.rebuild();
        self
    }

    /// Names the API's RFC 9728 metadata document in every challenge
    /// (`resource_metadata="…"`, RFC 9728 §5.1), so a client that gets a 401
    /// can find the authorization servers. To have this layer serve the
    /// document too, use [`serve_resource_metadata`](Self::serve_resource_metadata);
    /// [`ProtectedResourceMetadata::layer`] serves it elsewhere in a stack.
    ///
    /// ```
    /// use auth0_jwt::layer::BearerAuthLayer;
    /// use auth0_jwt::resource_metadata::ProtectedResourceMetadata;
    /// # use auth0_jwt::{AccessTokenValidator, KeySet, StaticKeys};
    /// # let validator = AccessTokenValidator::builder()
    /// #     .key_source(StaticKeys::new(KeySet::new()))
    /// #     .issuer("https://tenant.auth0.com/").audience("https://api.example.com").build()?;
    ///
    /// let metadata = ProtectedResourceMetadata::builder("https://api.example.com")
    ///     .authorization_server("https://tenant.auth0.com/")
    ///     .build()?;
    /// let auth = BearerAuthLayer::new(validator).resource_metadata(&metadata);
    /// // tower::ServiceBuilder::new().layer(metadata.layer()).layer(auth).service(api)
    /// # let _ = auth;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resource_metadata(mut self, metadata: &ProtectedResourceMetadata) -> Self {
        let settings = self.settings_mut();
        settings.metadata_param = metadata.challenge_param().to_owned();
        settings.rebuild();
        self
    }

    /// [`resource_metadata`](Self::resource_metadata), and the layer serves
    /// the document itself: `GET`/`HEAD` of its well-known path (RFC 9728
    /// §3.1, path-suffixed for a resource with a path) is answered with the
    /// JSON, without authentication, and never reaches the inner service.
    /// `B` is the response body type of the service (it must be the same
    /// type: for another one the request is handled as any other).
    ///
    /// ```
    /// use auth0_jwt::layer::BearerAuthLayer;
    /// use auth0_jwt::resource_metadata::ProtectedResourceMetadata;
    /// # use auth0_jwt::{AccessTokenValidator, KeySet, StaticKeys};
    /// # let validator = AccessTokenValidator::builder()
    /// #     .key_source(StaticKeys::new(KeySet::new()))
    /// #     .issuer("https://tenant.auth0.com/").audience("https://api.example.com").build()?;
    /// let metadata = ProtectedResourceMetadata::builder("https://api.example.com/v1")
    ///     .authorization_server("https://tenant.auth0.com/")
    ///     .build()?;
    /// // Serves GET /.well-known/oauth-protected-resource/v1 for a String-bodied API.
    /// let auth = BearerAuthLayer::new(validator).serve_resource_metadata::<String>(&metadata);
    /// # let _ = auth;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn serve_resource_metadata<B: From<String> + 'static>(
        self,
        metadata: &ProtectedResourceMetadata,
    ) -> Self {
        let mut this = self.resource_metadata(metadata);
        this.settings_mut().metadata_server = Some(MetadataServer::new::<B>(metadata));
        this
    }

    /// Reads the token from this header instead of `Authorization`
    /// (for example behind a proxy that moves it).
    pub fn header_name(mut self, header: HeaderName) -> Self {
        self.settings_mut().header = header;
        self
    }

    /// Rejects longer tokens with 400 before hashing or parsing them
    /// (default 16 KiB).
    pub fn max_token_len(mut self, max: usize) -> Self {
        self.settings_mut().max_token_len = max;
        self
    }
}

impl<A: Authorize<Claims = AccessTokenClaims>> BearerAuthLayer<A> {
    /// Applies an organization policy chosen per request, on top of the
    /// validator's own (e.g. the organization a `Host` sub-domain belongs
    /// to). A token the request's policy refuses is answered 401
    /// `invalid_token` ("not valid for this resource"), like one the
    /// validator refuses. The resolver runs on every request that carries
    /// an accepted token, including cache hits: keep it cheap (return
    /// prepared policies; cloning an allow-list is a reference count).
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use auth0_jwt::layer::{BearerAuthLayer, RequestHead};
    /// use auth0_jwt::organization::OrganizationPolicy;
    /// # use auth0_jwt::{AccessTokenValidator, KeySet, StaticKeys};
    /// # let validator = AccessTokenValidator::builder()
    /// #     .key_source(StaticKeys::new(KeySet::new()))
    /// #     .issuer("https://tenant.auth0.com/").audience("https://api.example.com").build()?;
    ///
    /// // acme.api.example.com serves the members of org_acme only.
    /// let tenants: HashMap<&str, OrganizationPolicy> =
    ///     [("acme", OrganizationPolicy::allow(["org_acme"]))].into();
    /// let layer = BearerAuthLayer::new(validator).organization_resolver(move |head: &RequestHead<'_>| {
    ///     head.host()
    ///         .and_then(|host| host.strip_suffix(".api.example.com"))
    ///         .and_then(|sub| tenants.get(sub).cloned())
    ///         .unwrap_or(OrganizationPolicy::Denied)
    /// });
    /// # let _ = layer;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn organization_resolver<F>(mut self, resolver: F) -> Self
    where
        F: Fn(&RequestHead<'_>) -> OrganizationPolicy + Send + Sync + 'static,
    {
        self.settings_mut().organization = Some(Arc::new(resolver));
        self
    }

    /// Sets which tokens must match the client certificate of the request
    /// ([`PresentedCertificate`], see the [module docs](self)): by default
    /// ([`CertificateBinding::WhenBound`]) every certificate-bound token
    /// (`cnf.x5t#S256`) does, and a bound token on a request without a
    /// certificate is refused; [`CertificateBinding::Required`] also
    /// refuses tokens that are not bound. Refusals are 401 `invalid_token`.
    pub fn certificate_binding(mut self, policy: CertificateBinding) -> Self {
        self.settings_mut().certificate_binding = policy;
        self
    }

    /// Accepts only certificate-bound tokens presented with their
    /// certificate (RFC 8705 §3): an API for mutual-TLS clients only.
    /// Shorthand for `certificate_binding(CertificateBinding::Required)`.
    ///
    /// ```
    /// use auth0_jwt::layer::BearerAuthLayer;
    /// # use auth0_jwt::{AccessTokenValidator, KeySet, StaticKeys};
    /// # let validator = AccessTokenValidator::builder()
    /// #     .key_source(StaticKeys::new(KeySet::new()))
    /// #     .issuer("https://tenant.auth0.com/").audience("https://api.example.com").build()?;
    /// let layer = BearerAuthLayer::new(validator).require_certificate_binding();
    /// # let _ = layer;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn require_certificate_binding(self) -> Self {
        self.certificate_binding(CertificateBinding::Required)
    }
}

impl<A, S> Layer<S> for BearerAuthLayer<A> {
    type Service = BearerAuth<S, A>;

    fn layer(&self, inner: S) -> Self::Service {
        BearerAuth {
            inner,
            shared: Arc::clone(&self.shared),
        }
    }
}

/// The service built by [`BearerAuthLayer`]: checks the bearer token, then
/// calls `S` with `Arc<A::Claims>` in the request extensions.
///
/// Requests without a usable token are answered here (status and
/// `WWW-Authenticate` as in the [module docs](self)) with an empty
/// `ResBody::default()` body; `S` is not called for them.
///
/// # Example
///
/// ```
/// use std::convert::Infallible;
/// use std::future::Future;
/// use std::sync::Arc;
/// use auth0_jwt::layer::{Authorize, BearerAuthLayer, Rejection};
/// use http::{Request, Response, StatusCode};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// struct Fixed;
/// impl Authorize for Fixed {
///     type Claims = String;
///     fn authorize(&self, token: &str) -> impl Future<Output = Result<Arc<String>, Rejection>> + Send {
///         std::future::ready(if token == "letmein" {
///             Ok(Arc::new("alice".to_owned()))
///         } else {
///             Err(Rejection::invalid_token("unknown token"))
///         })
///     }
/// }
///
/// let handler = service_fn(|req: Request<()>| async move {
///     let who = req.extensions().get::<Arc<String>>().map(|c| c.to_string());
///     Ok::<_, Infallible>(Response::new(who.unwrap_or_default()))
/// });
/// let service = BearerAuthLayer::new(Fixed).layer(handler);
///
/// let runtime = tokio::runtime::Builder::new_current_thread().build()?;
/// let request = Request::builder().header("authorization", "Bearer letmein").body(())?;
/// let response = runtime.block_on(service.clone().oneshot(request))?;
/// assert_eq!(response.body(), "alice");
///
/// let response = runtime.block_on(service.oneshot(Request::new(())))?;
/// assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct BearerAuth<S, A> {
    inner: S,
    shared: Arc<Shared<A>>,
}

impl<S: Clone, A> Clone for BearerAuth<S, A> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<S: fmt::Debug, A> fmt::Debug for BearerAuth<S, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAuth")
            .field("inner", &self.inner)
            .field("header", &self.shared.settings.header)
            .finish_non_exhaustive()
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// The future returned by [`BearerAuth`]: resolves to the inner service's
/// response, or to the rejection answered by the layer (see the
/// [`BearerAuth`] example).
pub struct ResponseFuture<B, E> {
    kind: FutureKind<B, E>,
}

enum FutureKind<B, E> {
    /// Answered without calling the authorizer (no or malformed header).
    Ready(Option<Response<B>>),
    /// Authorizing then calling the inner service, or (token already
    /// accepted by `Authorize::authorize_now`) only calling it.
    Boxed(BoxFuture<Result<Response<B>, E>>),
}

impl<B, E> fmt::Debug for ResponseFuture<B, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

// Neither variant needs pinning: the boxed future is pinned on the heap and
// the ready response is only moved out, never polled.
impl<B, E> Unpin for ResponseFuture<B, E> {}

impl<B, E> Future for ResponseFuture<B, E> {
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match &mut this.kind {
            FutureKind::Ready(response) => match response.take() {
                Some(response) => Poll::Ready(Ok(response)),
                None => Poll::Pending,
            },
            FutureKind::Boxed(fut) => fut.as_mut().poll(cx),
        }
    }
}

impl<S, A, ReqBody, ResBody> Service<Request<ReqBody>> for BearerAuth<S, A>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: 'static,
    A: Authorize,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let settings = &self.shared.settings;
        if let Some(response) = settings
            .metadata_server
            .as_ref()
            .and_then(|server| server.respond(&request))
        {
            return ResponseFuture {
                kind: FutureKind::Ready(Some(response)),
            };
        }
        let syntax_checked = !A::ACCEPTS_ONLY_B64TOKENS;
        let start = match extract_bearer(request.headers(), settings, syntax_checked) {
            Ok(start) => start,
            Err(bad) => {
                return ResponseFuture {
                    kind: FutureKind::Ready(Some(bad.into_response(settings))),
                };
            }
        };
        // Fast path: the authorizer can answer without waiting.
        let answered = {
            let Some(token) = bearer_token(request.headers(), settings, start) else {
                // Not UTF-8, so not a `b64token` either.
                return ResponseFuture {
                    kind: FutureKind::Ready(Some(
                        HeaderProblem::Malformed(BAD_TOKEN_CHARS).into_response(settings),
                    )),
                };
            };
            self.shared.authorizer.authorize_now(token).map(|outcome| {
                outcome.map_err(|rejection| refusal(&rejection, token, settings, syntax_checked))
            })
        };
        // The request's organization policy, when the layer has a resolver.
        let policy = settings
            .organization
            .as_ref()
            .map(|resolve| resolve(&RequestHead::of(&request)));
        let answered = answered.map(|outcome| {
            outcome.and_then(|claims| {
                match certificate_binding(
                    settings.certificate_binding,
                    &claims,
                    request.extensions(),
                ) {
                    Ok(()) => Ok(claims),
                    Err(description) => Err(rejection_response(
                        &Rejection::invalid_token(description),
                        "",
                        settings,
                    )),
                }
            })
        });
        match answered {
            Some(Ok(claims)) => match organization_now(policy.as_ref(), &claims) {
                Some(Ok(())) => {
                    request.extensions_mut().insert(claims);
                    // The service made ready by `poll_ready` serves the request.
                    return ResponseFuture {
                        kind: FutureKind::Boxed(Box::pin(self.inner.call(request))),
                    };
                }
                Some(Err(error)) => {
                    let response = rejection_response(&rejection_for(&error), "", settings);
                    return ResponseFuture {
                        kind: FutureKind::Ready(Some(response)),
                    };
                }
                // An async organization check: the asynchronous path.
                None => {}
            },
            Some(Err(response)) => {
                return ResponseFuture {
                    kind: FutureKind::Ready(Some(response)),
                };
            }
            None => {}
        }
        // Drive the service that was made ready, leave a fresh clone behind.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let shared = Arc::clone(&self.shared);
        let fut = async move {
            // The token is read from the request's own header (no copy and
            // no reference count to bump); only `&HeaderMap` (`Sync`) is held
            // across the await, so any `Send` body works.
            let outcome = {
                let headers = request.headers();
                // Checked to be UTF-8 before this future was made.
                let token = bearer_token(headers, &shared.settings, start).unwrap_or_default();
                let bound = shared.settings.certificate_binding;
                let authorized = shared.authorizer.authorize(token).await.and_then(|claims| {
                    certificate_binding(bound, &claims, request.extensions())
                        .map(|()| claims)
                        .map_err(Rejection::invalid_token)
                });
                match authorized {
                    Ok(claims) => match organization(policy.as_ref(), &claims).await {
                        Ok(()) => Ok(claims),
                        Err(error) => Err(rejection_response(
                            &rejection_for(&error),
                            token,
                            &shared.settings,
                        )),
                    },
                    Err(rejection) => {
                        Err(refusal(&rejection, token, &shared.settings, syntax_checked))
                    }
                }
            };
            match outcome {
                Ok(claims) => {
                    request.extensions_mut().insert(claims);
                    inner.call(request).await
                }
                Err(response) => Ok(response),
            }
        };
        ResponseFuture {
            kind: FutureKind::Boxed(Box::pin(fut)),
        }
    }
}

/// What a per-request organization resolver sees of the request.
#[derive(Debug, Clone, Copy)]
pub struct RequestHead<'a> {
    /// The method.
    pub method: &'a http::Method,
    /// The request target.
    pub uri: &'a http::Uri,
    /// The headers.
    pub headers: &'a http::HeaderMap,
}

impl<'a> RequestHead<'a> {
    /// The head of `request`.
    pub fn of<B>(request: &'a Request<B>) -> Self {
        Self {
            method: request.method(),
            uri: request.uri(),
            headers: request.headers(),
        }
    }

    /// The host the client addressed, without port: the request target's
    /// authority if it is absolute, else the `Host` header. Behind a proxy
    /// that rewrites `Host`, read your proxy's header from
    /// [`headers`](Self::headers) instead.
    pub fn host(&self) -> Option<&'a str> {
        let authority = match self.uri.authority() {
            Some(authority) => authority.as_str(),
            None => self.headers.get(http::header::HOST)?.to_str().ok()?,
        };
        let authority = authority.rsplit('@').next().unwrap_or(authority);
        if authority.starts_with('[') {
            // An IPv6 literal keeps its brackets.
            return authority.split_inclusive(']').next();
        }
        authority.split(':').next().filter(|h| !h.is_empty())
    }
}

/// A per-request organization policy; see
/// [`BearerAuthLayer::organization_resolver`].
pub type OrganizationResolver =
    Arc<dyn Fn(&RequestHead<'_>) -> OrganizationPolicy + Send + Sync + 'static>;

/// The request's organization verdict on `claims` if it can be given at
/// once; `None` for an async [`OrganizationPolicy::Check`].
pub(crate) fn organization_now<C: Send + Sync + 'static>(
    policy: Option<&OrganizationPolicy>,
    claims: &Arc<C>,
) -> Option<Result<(), Error>> {
    // No resolver: nothing to look at (the common case, kept to one branch).
    let Some(policy) = policy else {
        return Some(Ok(()));
    };
    let Some(claims) = as_access_claims(claims) else {
        return Some(Ok(()));
    };
    policy.evaluate_now(claims, TokenKind::AccessToken)
}

/// The request's organization verdict on `claims`.
pub(crate) async fn organization<C: Send + Sync + 'static>(
    policy: Option<&OrganizationPolicy>,
    claims: &Arc<C>,
) -> Result<(), Error> {
    let (Some(policy), Some(claims)) = (policy, policy.and_then(|_| as_access_claims(claims)))
    else {
        return Ok(());
    };
    policy.evaluate(claims, TokenKind::AccessToken).await
}

/// The claims as access-token claims (the resolver is only configurable
/// when they are).
fn as_access_claims<C: Send + Sync + 'static>(claims: &Arc<C>) -> Option<&Arc<AccessTokenClaims>> {
    (claims as &dyn std::any::Any).downcast_ref::<Arc<AccessTokenClaims>>()
}

/// `realm="…", resource_metadata="…", ` — each present parameter followed
/// by `, `, or empty.
pub(crate) fn leading_params(realm: &str, metadata: &str) -> String {
    let mut out = String::new();
    for param in [realm, metadata] {
        if !param.is_empty() {
            out.push_str(param);
            out.push_str(", ");
        }
    }
    out
}

/// The token `extract_bearer` found at offset `start` of the (single)
/// header, if it is UTF-8 (always, when its syntax was checked).
fn bearer_token<'h>(
    headers: &'h http::HeaderMap,
    settings: &Settings,
    start: usize,
) -> Option<&'h str> {
    let value = headers.get(&settings.header)?;
    std::str::from_utf8(value.as_bytes().get(start..)?).ok()
}

/// Why the header did not yield a token.
enum HeaderProblem {
    /// No header, or a scheme other than Bearer: a bare challenge.
    Missing,
    /// Present but malformed: `invalid_request`.
    Malformed(&'static str),
}

impl HeaderProblem {
    fn into_response<B: Default>(self, settings: &Settings) -> Response<B> {
        match self {
            Self::Missing => {
                challenge_response(StatusCode::UNAUTHORIZED, settings.bare_challenge.clone())
            }
            Self::Malformed(description) => {
                let value = format!(
                    "Bearer {}error=\"invalid_request\", error_description=\"{description}\"",
                    settings.realm_attr
                );
                challenge_response(StatusCode::BAD_REQUEST, header_value(&value))
            }
        }
    }
}

/// The rejection answered for `token`: `invalid_request` (400) if it breaks
/// the RFC 6750 syntax that was not checked up front, else the rejection's own.
fn refusal<B: Default>(
    rejection: &Rejection,
    token: &str,
    settings: &Settings,
    syntax_checked: bool,
) -> Response<B> {
    if !syntax_checked && !is_b64token(token.as_bytes()) {
        return HeaderProblem::Malformed(BAD_TOKEN_CHARS).into_response(settings);
    }
    rejection_response(rejection, token, settings)
}

/// `error_description` for a token with characters RFC 6750 does not allow.
const BAD_TOKEN_CHARS: &str = "bearer token has characters not allowed by RFC 6750";

/// Finds the bearer token: returns its offset in the header value.
///
/// With `check_syntax`, the token must be a `b64token`; without, the syntax
/// is checked later, if the authorizer rejects the token.
fn extract_bearer(
    headers: &http::HeaderMap,
    settings: &Settings,
    check_syntax: bool,
) -> Result<usize, HeaderProblem> {
    let mut values = headers.get_all(&settings.header).iter();
    let Some(value) = values.next() else {
        return Err(HeaderProblem::Missing);
    };
    if values.next().is_some() {
        return Err(HeaderProblem::Malformed(
            "more than one authorization header",
        ));
    }
    let bytes = value.as_bytes();
    let scheme_end = bytes.iter().position(|&b| b == b' ').unwrap_or(bytes.len());
    let (scheme, rest) = bytes.split_at(scheme_end);
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        // Another scheme (Basic, DPoP, …): the client did not try bearer auth.
        return Err(HeaderProblem::Missing);
    }
    // RFC 7235: the scheme is followed by one or more spaces.
    let spaces = rest.iter().take_while(|&&b| b == b' ').count();
    let start = scheme_end + spaces;
    let token = bytes.get(start..).unwrap_or_default();
    if token.is_empty() {
        return Err(HeaderProblem::Malformed("empty bearer token"));
    }
    if token.len() > settings.max_token_len {
        return Err(HeaderProblem::Malformed("bearer token too long"));
    }
    if check_syntax && !is_b64token(token) {
        return Err(HeaderProblem::Malformed(BAD_TOKEN_CHARS));
    }
    Ok(start)
}

/// RFC 6750 §2.1: `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
pub(crate) fn is_b64token(token: &[u8]) -> bool {
    let padding = token.iter().rev().take_while(|&&b| b == b'=').count();
    let body = token.get(..token.len() - padding).unwrap_or_default();
    if body.is_empty() {
        return false;
    }
    // This runs on every request over ~1 KB tokens: a branch-free test per
    // byte into 32 independent lanes, which the compiler turns into SIMD.
    let mut blocks = body.chunks_exact(32);
    let mut bad = [0u8; 32];
    for block in &mut blocks {
        if let Ok(block) = <&[u8; 32]>::try_from(block) {
            for (lane, &b) in bad.iter_mut().zip(block) {
                *lane |= u8::from(!is_b64token_char(b));
            }
        }
    }
    let rest = blocks
        .remainder()
        .iter()
        .fold(0u8, |acc, &b| acc | u8::from(!is_b64token_char(b)));
    bad.iter().fold(rest, |acc, &lane| acc | lane) == 0
}

#[inline(always)]
fn is_b64token_char(b: u8) -> bool {
    // `| 0x20` folds A-Z onto a-z and nothing else onto a-z;
    // `-` `.` `/` `0`-`9` are the contiguous range 0x2D..=0x39.
    ((b | 0x20).wrapping_sub(b'a') < 26)
        | (b.wrapping_sub(b'-') < 13)
        | (b == b'+')
        | (b == b'_')
        | (b == b'~')
}

fn challenge_response<B: Default>(status: StatusCode, challenge: HeaderValue) -> Response<B> {
    let mut response = Response::new(B::default());
    *response.status_mut() = status;
    response.headers_mut().insert(WWW_AUTHENTICATE, challenge);
    response
}

fn rejection_response<B: Default>(
    rejection: &Rejection,
    token: &str,
    settings: &Settings,
) -> Response<B> {
    let realm = &settings.realm_attr;
    match rejection {
        Rejection::InvalidToken { description } => {
            let challenge = match settings.fixed_challenge(description) {
                Some(prebuilt) => prebuilt.clone(),
                None => invalid_token_challenge(realm, description, token),
            };
            challenge_response(StatusCode::UNAUTHORIZED, challenge)
        }
        Rejection::InsufficientScope { scope, description } => {
            let mut value = String::with_capacity(100 + realm.len() + MAX_DESCRIPTION_LEN);
            value.push_str("Bearer ");
            value.push_str(realm);
            value.push_str("error=\"insufficient_scope\", error_description=\"");
            push_safe_description(&mut value, description, token);
            value.push('"');
            push_scope_param(&mut value, scope);
            challenge_response(StatusCode::FORBIDDEN, owned_header_value(value))
        }
        Rejection::Unavailable { .. } => {
            let mut response = Response::new(B::default());
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            response
        }
    }
}

/// `Bearer <realm>error="invalid_token", error_description="…"`, built in one
/// buffer that becomes the header value without a copy.
fn invalid_token_challenge(realm: &str, description: &str, token: &str) -> HeaderValue {
    let mut value = String::with_capacity(80 + realm.len() + MAX_DESCRIPTION_LEN);
    value.push_str("Bearer ");
    value.push_str(realm);
    value.push_str("error=\"invalid_token\", error_description=\"");
    push_safe_description(&mut value, description, token);
    value.push('"');
    owned_header_value(value)
}

/// Appends `description`, made safe for `error_description="…"`: RFC 6750
/// allows only %x20-21 / %x23-5B / %x5D-7E (no quote, no backslash, even
/// escaped), and at most [`MAX_DESCRIPTION_LEN`] bytes are written. Writes a
/// generic text instead if it would reveal any part of the token.
pub(crate) fn push_safe_description(out: &mut String, description: &str, token: &str) {
    let description = if reveals_token(description, token) {
        "the access token is invalid"
    } else {
        description
    };
    let start = out.len();
    for c in description.chars() {
        if out.len() - start >= MAX_DESCRIPTION_LEN {
            break;
        }
        out.push(match c {
            '"' => '\'',
            '\\' => '/',
            ' '..='~' => c,
            _ => '?',
        });
    }
}

/// True if the description contains the token or one of its segments.
fn reveals_token(description: &str, token: &str) -> bool {
    // Short segments (a tiny header) could appear by chance and reveal nothing.
    const MIN_SEGMENT: usize = 12;
    (!token.is_empty() && description.contains(token))
        || token
            .split('.')
            .filter(|s| s.len() >= MIN_SEGMENT)
            .any(|s| description.contains(s))
}

/// Keeps only scope-token characters (%x21 / %x23-5B / %x5D-7E) and single
/// spaces. A word with none of them is dropped whole: RFC 6750 §3 has
/// `scope = scope-token *( SP scope-token )` and `scope-token = 1*( … )`, so
/// neither an empty token nor two spaces in a row may be sent.
fn safe_scope(scope: &str) -> String {
    let mut out = String::with_capacity(scope.len());
    for word in scope.split(' ') {
        let mut kept = word
            .chars()
            .filter(|&c| matches!(c, '!' | '#'..='[' | ']'..='~'))
            .peekable();
        if kept.peek().is_none() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(kept);
    }
    out
}

/// Appends `, scope="…"` (RFC 6750 §3) naming `scope` made safe, or nothing
/// when no scope-token is left: an empty `scope=""` breaks the grammar.
pub(crate) fn push_scope_param(out: &mut String, scope: &str) {
    let scope = safe_scope(scope);
    if scope.is_empty() {
        return;
    }
    out.push_str(", scope=\"");
    out.push_str(&scope);
    out.push('"');
}

/// `"…"` with quotes and backslashes escaped and non-printable characters replaced.
pub(crate) fn quoted_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => out.push('?'),
        }
    }
    out.push('"');
    out
}

/// Like [`header_value`], taking the text's buffer over instead of copying it.
pub(crate) fn owned_header_value(s: String) -> HeaderValue {
    HeaderValue::try_from(s).unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
}

/// Builds a header value from text the functions above made printable ASCII.
fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn safe_description(description: &str, token: &str) -> String {
        let mut out = String::new();
        push_safe_description(&mut out, description, token);
        out
    }

    #[test]
    fn b64token_grammar() {
        assert!(is_b64token(b"abc.DEF-_~+/=="));
        assert!(is_b64token(b"a"));
        assert!(!is_b64token(b"=="));
        assert!(!is_b64token(b"a=b"));
        assert!(!is_b64token(b"a b"));
        assert!(!is_b64token(b"a,b"));
        assert!(!is_b64token(b"a\"b"));
        for b in 0..=255u8 {
            let expected = b.is_ascii_alphanumeric() || b"-._~+/".contains(&b);
            assert_eq!(is_b64token_char(b), expected, "byte {b}");
            let long: Vec<u8> = std::iter::repeat_n(b'a', 100).chain([b]).collect();
            assert_eq!(is_b64token(&long), expected || b == b'=', "byte {b}");
        }
    }

    #[test]
    fn descriptions_are_sanitized_and_never_echo_the_token() {
        let token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";
        assert_eq!(
            safe_description("bad \"aud\" \\ é\r\n", token),
            "bad 'aud' / ???"
        );
        assert_eq!(
            safe_description(&format!("token {token} expired"), token),
            "the access token is invalid"
        );
        assert_eq!(
            safe_description("payload eyJzdWIiOiJhbGljZSJ9 broken", token),
            "the access token is invalid"
        );
        assert!(safe_description(&"x".repeat(1_000), token).len() <= MAX_DESCRIPTION_LEN);
    }

    #[test]
    fn scope_and_realm_are_made_safe() {
        assert_eq!(safe_scope("read:a  write\"b\\c"), "read:a writebc");
        assert_eq!(quoted_string("my \"api\"\n"), "\"my \\\"api\\\"?\"");
    }
}
