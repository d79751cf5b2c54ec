//! A tower layer for APIs that accept DPoP-bound tokens (RFC 9449 §7): the
//! DPoP counterpart of [`BearerAuthLayer`](crate::layer::BearerAuthLayer).
//!
//! See [`DpopAuthLayer`] for what it answers when.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::{AUTHORIZATION, HeaderName, HeaderValue, WWW_AUTHENTICATE};
use http::{Request, Response, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

use super::{DpopAccessTokenValidator, DpopAuthError, DpopError, DpopMode, DpopRequest, Scheme};
use crate::certificate_binding::CertificateBinding;
use crate::layer::{
    OrganizationResolver, Rejection, RequestHead, certificate_binding, is_b64token, leading_params,
    organization, organization_now, owned_header_value, push_safe_description, push_scope_param,
    quoted_string, rejection_for,
};
use crate::organization::OrganizationPolicy;
use crate::resource_metadata::{MetadataServer, ProtectedResourceMetadata};

/// The `DPoP` request header (RFC 9449 §4.1).
pub const DPOP: HeaderName = HeaderName::from_static("dpop");
/// The `DPoP-Nonce` response header (RFC 9449 §8.1).
pub const DPOP_NONCE: HeaderName = HeaderName::from_static("dpop-nonce");

/// Default bound on the access token length (bytes), as the bearer layer.
const DEFAULT_MAX_TOKEN_LEN: usize = 16 * 1024;

/// Settings shared by the layer and its services.
struct Shared {
    validator: DpopAccessTokenValidator,
    /// `realm="…"`, or empty.
    realm_param: String,
    /// `resource_metadata="…"` (RFC 9728 §5.1), or empty.
    metadata_param: String,
    /// The parameters every challenge starts with, each followed by `, `.
    realm_attr: String,
    /// The per-request organization policy, if any.
    organization: Option<OrganizationResolver>,
    /// Which tokens must match the request's client certificate.
    certificate_binding: CertificateBinding,
    /// The RFC 9728 document this layer serves itself, if any.
    metadata_server: Option<MetadataServer>,
    /// `algs="ES256 …"` (RFC 9449 §7.1).
    algs_attr: String,
    max_token_len: usize,
}

/// A [`Layer`] requiring DPoP-bound (or, as the mode allows, bearer) access
/// tokens.
///
/// [`DpopAuthLayer`] reads `Authorization: DPoP <token>` (or `Bearer`, as the
/// [`DpopMode`] allows) and the `DPoP` proof header, has a
/// [`DpopAccessTokenValidator`] check both against the request's method and
/// URI, and passes the request on with `Arc<AccessTokenClaims>` in its
/// extensions, or answers it:
///
/// | situation | status | `WWW-Authenticate` |
/// |---|---|---|
/// | no credentials, another scheme, or a scheme the mode does not take (`Bearer` when DPoP is required, `DPoP` when disabled) | 401 | `DPoP algs="…"` (and `Bearer` unless DPoP is required) |
/// | malformed headers (two `Authorization` headers, an empty token, `DPoP` scheme without a proof, a proof with `Bearer`, …) | 400 | `… error="invalid_request"` |
/// | token refused | 401 | `<scheme> error="invalid_token"` |
/// | proof signed with a key the token is not bound to (`cnf.jkt`, RFC 9449 §7.1) | 401 | `DPoP error="invalid_token", error_description="Invalid DPoP key binding", algs="…"` |
/// | DPoP-bound token sent as `Bearer` (RFC 9449 §7.2) | 401 | `Bearer error="invalid_token"` and `DPoP algs="…"` |
/// | proof refused, two `DPoP` headers among them (RFC 9449 §4.3 check 1) | 401 | `DPoP error="invalid_dpop_proof", algs="…"` |
/// | nonce required or stale (RFC 9449 §8) | 401 | `DPoP error="use_dpop_nonce", algs="…"` + `DPoP-Nonce` |
/// | certificate-bound token (`cnf.x5t#S256`, RFC 8705 §3) without its client certificate | 401 | `<scheme> error="invalid_token"` |
/// | token valid, scopes missing | 403 | `<scheme> error="insufficient_scope"` |
/// | keys or replay store unavailable | 503 | none |
///
/// ```
/// use auth0_jwt::dpop::{DpopAccessTokenValidator, DpopAuthLayer, DpopMode, DpopValidator};
/// use auth0_jwt::{AccessTokenValidator, KeySet, StaticKeys};
///
/// let validator = DpopAccessTokenValidator::new(
///     AccessTokenValidator::builder()
///         .key_source(StaticKeys::new(KeySet::new()))
///         .issuer("https://tenant.auth0.com/")
///         .audience("https://api.example.com")
///         .build()?,
///     DpopValidator::builder().external_base_url("https://api.example.com").build()?,
///     DpopMode::Required,
/// );
/// let layer = DpopAuthLayer::new(validator).realm("orders");
/// // `tower::ServiceBuilder::new().layer(layer).service(handler)`
/// # let _ = layer;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct DpopAuthLayer {
    shared: Arc<Shared>,
}

impl fmt::Debug for DpopAuthLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopAuthLayer")
            .field("mode", &self.shared.validator.mode())
            .field("realm", &self.shared.realm_attr)
            .finish_non_exhaustive()
    }
}

impl DpopAuthLayer {
    /// A layer that checks requests with `validator`.
    pub fn new(validator: DpopAccessTokenValidator) -> Self {
        let algs: Vec<&str> = validator
            .proofs()
            .algorithms()
            .iter()
            .map(|a| a.as_str())
            .collect();
        Self {
            shared: Arc::new(Shared {
                algs_attr: format!("algs=\"{}\"", algs.join(" ")),
                validator,
                realm_param: String::new(),
                metadata_param: String::new(),
                realm_attr: String::new(),
                organization: None,
                certificate_binding: CertificateBinding::default(),
                metadata_server: None,
                max_token_len: DEFAULT_MAX_TOKEN_LEN,
            }),
        }
    }

    fn shared_mut(&mut self) -> Option<&mut Shared> {
        // Only while building, before any clone exists.
        Arc::get_mut(&mut self.shared)
    }

    /// Sets the `realm` of every challenge (quoted and escaped). Call it
    /// before cloning the layer.
    pub fn realm(mut self, realm: &str) -> Self {
        if let Some(shared) = self.shared_mut() {
            shared.realm_param = format!("realm={}", quoted_string(realm));
            shared.realm_attr = leading_params(&shared.realm_param, &shared.metadata_param);
        }
        self
    }

    /// Names the API's RFC 9728 metadata document in every challenge,
    /// `Bearer` and `DPoP` alike (`resource_metadata="…"`, RFC 9728 §5.1).
    /// Serve the document with [`ProtectedResourceMetadata::layer`] outside
    /// this layer. Call it before cloning the layer.
    pub fn resource_metadata(mut self, metadata: &ProtectedResourceMetadata) -> Self {
        if let Some(shared) = self.shared_mut() {
            shared.metadata_param = metadata.challenge_param().to_owned();
            shared.realm_attr = leading_params(&shared.realm_param, &shared.metadata_param);
        }
        self
    }

    /// [`resource_metadata`](Self::resource_metadata), and the layer serves
    /// the document itself (`GET`/`HEAD` of its RFC 9728 §3.1 well-known
    /// path, without authentication), as
    /// [`BearerAuthLayer::serve_resource_metadata`](crate::layer::BearerAuthLayer::serve_resource_metadata)
    /// does; `B` is the service's response body type.
    pub fn serve_resource_metadata<B: From<String> + 'static>(
        self,
        metadata: &ProtectedResourceMetadata,
    ) -> Self {
        let mut this = self.resource_metadata(metadata);
        if let Some(shared) = this.shared_mut() {
            shared.metadata_server = Some(MetadataServer::new::<B>(metadata));
        }
        this
    }

    /// Applies an organization policy chosen per request (e.g. from the
    /// `Host` sub-domain) on top of the validator's own; see
    /// [`BearerAuthLayer::organization_resolver`](crate::layer::BearerAuthLayer::organization_resolver).
    /// Call it before cloning the layer.
    pub fn organization_resolver<F>(mut self, resolver: F) -> Self
    where
        F: Fn(&RequestHead<'_>) -> OrganizationPolicy + Send + Sync + 'static,
    {
        if let Some(shared) = self.shared_mut() {
            shared.organization = Some(Arc::new(resolver));
        }
        self
    }

    /// Sets which tokens must match the request's client certificate
    /// ([`PresentedCertificate`](crate::certificate_binding::PresentedCertificate)),
    /// as [`BearerAuthLayer::certificate_binding`](crate::layer::BearerAuthLayer::certificate_binding)
    /// does: by default every certificate-bound token (`cnf.x5t#S256`). A
    /// token bound both to a DPoP key (`cnf.jkt`) and to a certificate
    /// needs both: the proof and the certificate. Call it before cloning
    /// the layer.
    pub fn certificate_binding(mut self, policy: CertificateBinding) -> Self {
        if let Some(shared) = self.shared_mut() {
            shared.certificate_binding = policy;
        }
        self
    }

    /// Accepts only certificate-bound tokens presented with their
    /// certificate (RFC 8705 §3); see
    /// [`certificate_binding`](Self::certificate_binding).
    pub fn require_certificate_binding(self) -> Self {
        self.certificate_binding(CertificateBinding::Required)
    }

    /// Refuses longer access tokens with 400 (default 16 KiB). Call it before
    /// cloning the layer.
    pub fn max_token_len(mut self, max: usize) -> Self {
        if let Some(shared) = self.shared_mut() {
            shared.max_token_len = max;
        }
        self
    }
}

impl<S> Layer<S> for DpopAuthLayer {
    type Service = DpopAuth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        DpopAuth {
            inner,
            shared: Arc::clone(&self.shared),
        }
    }
}

/// The service built by [`DpopAuthLayer`].
#[derive(Clone)]
pub struct DpopAuth<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S: fmt::Debug> fmt::Debug for DpopAuth<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopAuth")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

/// The future of [`DpopAuth`].
pub type DpopAuthFuture<B, E> = Pin<Box<dyn Future<Output = Result<Response<B>, E>> + Send>>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for DpopAuth<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = DpopAuthFuture<ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let shared = &self.shared;
        if let Some(response) = shared
            .metadata_server
            .as_ref()
            .and_then(|server| server.respond(&request))
        {
            return Box::pin(std::future::ready(Ok(response)));
        }
        let credentials = match credentials(&request, shared) {
            Ok(c) => c,
            Err(response) => return Box::pin(std::future::ready(Ok(response))),
        };
        let policy = shared
            .organization
            .as_ref()
            .map(|resolve| resolve(&RequestHead::of(&request)));
        // Fast path: the token is in the verified-token cache and the replay
        // store answers at once; the proof is still checked in full.
        let request_info = DpopRequest::new(request.method().as_str(), &credentials.uri);
        let answered = shared.validator.validate_now(
            credentials.scheme,
            credentials.token,
            credentials.proof,
            request_info,
        );
        let answered = answered.map(|outcome| {
            outcome.map_err(Refused::Auth).and_then(|claims| {
                certificate_binding(shared.certificate_binding, &claims, request.extensions())
                    .map(|()| claims)
                    .map_err(Refused::Certificate)
            })
        });
        let verdict = match answered {
            Some(Ok(claims)) => match organization_now(policy.as_ref(), &claims) {
                Some(Ok(())) => Some(Ok(claims)),
                Some(Err(error)) => Some(Err(Refused::Auth(DpopAuthError::Token(error)))),
                // An async organization check: the asynchronous path.
                None => None,
            },
            Some(Err(error)) => Some(Err(error)),
            None => None,
        };
        match verdict {
            Some(Ok(claims)) => {
                let nonce = success_nonce(shared, credentials.scheme);
                request.extensions_mut().insert(claims);
                let response = self.inner.call(request);
                return match nonce {
                    None => Box::pin(response),
                    Some(nonce) => Box::pin(async move {
                        let mut response = response.await?;
                        response.headers_mut().insert(DPOP_NONCE, nonce);
                        Ok(response)
                    }),
                };
            }
            Some(Err(refused)) => {
                let response = refused.response(credentials.scheme, credentials.token, shared);
                return Box::pin(std::future::ready(Ok(response)));
            }
            None => {}
        }
        let owned = credentials.into_owned();
        let shared = Arc::clone(&self.shared);
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let Owned {
                scheme,
                token,
                proof,
                uri,
            } = owned;
            let method = request.method().as_str().to_owned();
            let request_info = DpopRequest::new(&method, &uri);
            let mut outcome = shared
                .validator
                .validate(scheme, &token, proof.as_deref(), request_info)
                .await
                .map_err(Refused::Auth)
                .and_then(|claims| {
                    certificate_binding(shared.certificate_binding, &claims, request.extensions())
                        .map(|()| claims)
                        .map_err(Refused::Certificate)
                });
            if let Ok(claims) = &outcome
                && let Err(error) = organization(policy.as_ref(), claims).await
            {
                outcome = Err(Refused::Auth(DpopAuthError::Token(error)));
            }
            match outcome {
                Ok(claims) => {
                    request.extensions_mut().insert(claims);
                    let nonce = success_nonce(&shared, scheme);
                    let mut response = inner.call(request).await?;
                    if let Some(nonce) = nonce {
                        response.headers_mut().insert(DPOP_NONCE, nonce);
                    }
                    Ok(response)
                }
                Err(refused) => Ok(refused.response(scheme, &token, &shared)),
            }
        })
    }
}

/// Why the layer refused a request whose headers were well formed.
enum Refused {
    /// The validator refused the token or the proof.
    Auth(DpopAuthError),
    /// The token and proof are valid, but the token is bound to a client
    /// certificate the request did not carry (RFC 8705 §3): this
    /// `error_description`.
    Certificate(&'static str),
}

impl Refused {
    fn response<B: Default>(&self, scheme: Scheme, token: &str, shared: &Shared) -> Response<B> {
        match self {
            Self::Auth(error) => refusal(error, scheme, token, shared),
            Self::Certificate(description) => with_challenge(
                StatusCode::UNAUTHORIZED,
                error_challenge(shared, scheme, "invalid_token", description, token),
            ),
        }
    }
}

/// The `DPoP-Nonce` for a successful DPoP response when the validator
/// requires nonces: RFC 9449 §8.2 lets the server hand out the next nonce
/// with any response, so clients rarely meet `use_dpop_nonce` on rotation.
fn success_nonce(shared: &Shared, scheme: Scheme) -> Option<HeaderValue> {
    if scheme != Scheme::Dpop {
        return None;
    }
    let nonce = shared.validator.proofs().current_nonce()?;
    HeaderValue::from_str(&nonce).ok()
}

/// What a request presented, borrowed from its headers.
struct Credentials<'r> {
    scheme: Scheme,
    token: &'r str,
    proof: Option<&'r str>,
    uri: String,
}

impl Credentials<'_> {
    fn into_owned(self) -> Owned {
        Owned {
            scheme: self.scheme,
            token: self.token.to_owned(),
            proof: self.proof.map(str::to_owned),
            uri: self.uri,
        }
    }
}

/// [`Credentials`], owned so the check can await without holding the request.
struct Owned {
    scheme: Scheme,
    token: String,
    proof: Option<String>,
    uri: String,
}

/// Reads the `Authorization` and `DPoP` headers and the request URI, or
/// answers the request at once.
fn credentials<'r, B, R: Default>(
    request: &'r Request<B>,
    shared: &Shared,
) -> Result<Credentials<'r>, Response<R>> {
    let headers = request.headers();
    let mode = shared.validator.mode();
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(bare(shared));
    };
    if values.next().is_some() {
        return Err(invalid_request(
            shared,
            main_scheme(mode),
            "more than one authorization header",
        ));
    }
    let bytes = value.as_bytes();
    let scheme_end = bytes.iter().position(|&b| b == b' ').unwrap_or(bytes.len());
    let (name, rest) = bytes.split_at(scheme_end);
    // RFC 9110 §11.1: the scheme name is case-insensitive.
    let scheme = if name.eq_ignore_ascii_case(b"dpop") {
        Scheme::Dpop
    } else if name.eq_ignore_ascii_case(b"bearer") {
        Scheme::Bearer
    } else {
        return Err(bare(shared));
    };
    // A scheme this mode does not accept is no credentials at all (RFC 6750
    // §3.1): a bare challenge naming the schemes that are, never an error in
    // a scheme the API does not take.
    if !accepts(mode, scheme) {
        return Err(bare(shared));
    }
    let token = token68(shared, scheme, rest)?;
    let proof = proof_header(shared, headers)?;
    let uri = shared
        .validator
        .proofs()
        .request_uri(request.uri(), headers)
        .map_err(|_| invalid_request(shared, scheme, "the request URI cannot be determined"))?;
    Ok(Credentials {
        scheme,
        token,
        proof,
        uri,
    })
}

/// Whether `mode` takes credentials in `scheme`.
fn accepts(mode: DpopMode, scheme: Scheme) -> bool {
    !matches!(
        (mode, scheme),
        (DpopMode::Disabled, Scheme::Dpop) | (DpopMode::Required, Scheme::Bearer)
    )
}

/// The scheme of a challenge about a request whose scheme is unknown.
fn main_scheme(mode: DpopMode) -> Scheme {
    if mode == DpopMode::Required {
        Scheme::Dpop
    } else {
        Scheme::Bearer
    }
}

/// The token after the scheme name: RFC 9449 §7.1 `"DPoP" 1*SP token68` and
/// RFC 6750 §2.1 `"Bearer" 1*SP b64token` — spaces only, then a `token68`.
fn token68<'r, R: Default>(
    shared: &Shared,
    scheme: Scheme,
    rest: &'r [u8],
) -> Result<&'r str, Response<R>> {
    let spaces = rest.iter().take_while(|&&b| b == b' ').count();
    let token = rest.get(spaces..).unwrap_or_default();
    if token.is_empty() {
        return Err(invalid_request(shared, scheme, "empty access token"));
    }
    if token.len() > shared.max_token_len {
        return Err(invalid_request(shared, scheme, "access token too long"));
    }
    if !is_b64token(token) {
        return Err(invalid_request(
            shared,
            scheme,
            "access token has characters not allowed by RFC 6750",
        ));
    }
    // b64token characters are ASCII, so this never fails.
    std::str::from_utf8(token)
        .map_err(|_| invalid_request(shared, scheme, "access token is not ASCII"))
}

/// The `DPoP` header, if any. RFC 9449 §4.3 checks 1 and 2 — one `DPoP`
/// field, holding one JWT — are checks of the proof: failing them is
/// `invalid_dpop_proof` (§7.1). With DPoP disabled no proof is read, but a
/// malformed header is still refused, in the `Bearer` scheme.
fn proof_header<'r, R: Default>(
    shared: &Shared,
    headers: &'r http::HeaderMap,
) -> Result<Option<&'r str>, Response<R>> {
    let mut proofs = headers.get_all(DPOP).iter();
    let Some(first) = proofs.next() else {
        return Ok(None);
    };
    let problem = if proofs.next().is_some() {
        "more than one DPoP header"
    } else {
        match first.to_str() {
            Ok(proof) => return Ok(Some(proof)),
            Err(_) => "the DPoP header is not ASCII",
        }
    };
    if shared.validator.mode() == DpopMode::Disabled {
        return Err(invalid_request(shared, Scheme::Bearer, problem));
    }
    Err(with_challenge(
        StatusCode::UNAUTHORIZED,
        dpop_challenge(shared, Some(("invalid_dpop_proof", problem, ""))),
    ))
}

/// 401 with a challenge for each accepted scheme and no error code
/// (RFC 6750 §3.1: the request had no credentials we take).
fn bare<B: Default>(shared: &Shared) -> Response<B> {
    let mut response = status(StatusCode::UNAUTHORIZED);
    let mode = shared.validator.mode();
    if mode != DpopMode::Required {
        let realm = shared.realm_attr.trim_end_matches(", ");
        let bearer = if realm.is_empty() {
            "Bearer".to_owned()
        } else {
            format!("Bearer {realm}")
        };
        response
            .headers_mut()
            .append(WWW_AUTHENTICATE, owned_header_value(bearer));
    }
    if mode != DpopMode::Disabled {
        response
            .headers_mut()
            .append(WWW_AUTHENTICATE, dpop_challenge(shared, None));
    }
    response
}

/// `DPoP <realm>[error…, ]algs="…"`.
fn dpop_challenge(shared: &Shared, error: Option<(&str, &str, &str)>) -> HeaderValue {
    let mut value = format!("DPoP {}", shared.realm_attr);
    if let Some((code, description, token)) = error {
        push_error(&mut value, code, description, token);
        value.push_str(", ");
    }
    value.push_str(&shared.algs_attr);
    owned_header_value(value)
}

fn push_error(value: &mut String, code: &str, description: &str, token: &str) {
    value.push_str("error=\"");
    value.push_str(code);
    value.push_str("\", error_description=\"");
    push_safe_description(value, description, token);
    value.push('"');
}

/// A challenge with an error in `scheme`.
fn error_challenge(
    shared: &Shared,
    scheme: Scheme,
    code: &str,
    description: &str,
    token: &str,
) -> HeaderValue {
    match scheme {
        Scheme::Dpop => dpop_challenge(shared, Some((code, description, token))),
        _ => {
            let mut value = format!("Bearer {}", shared.realm_attr);
            push_error(&mut value, code, description, token);
            owned_header_value(value)
        }
    }
}

fn status<B: Default>(code: StatusCode) -> Response<B> {
    let mut response = Response::new(B::default());
    *response.status_mut() = code;
    response
}

fn with_challenge<B: Default>(code: StatusCode, challenge: HeaderValue) -> Response<B> {
    let mut response = status(code);
    response.headers_mut().insert(WWW_AUTHENTICATE, challenge);
    response
}

fn invalid_request<B: Default>(shared: &Shared, scheme: Scheme, description: &str) -> Response<B> {
    with_challenge(
        StatusCode::BAD_REQUEST,
        error_challenge(shared, scheme, "invalid_request", description, ""),
    )
}

/// The answer to refused credentials.
fn refusal<B: Default>(
    error: &DpopAuthError,
    scheme: Scheme,
    token: &str,
    shared: &Shared,
) -> Response<B> {
    match error {
        DpopAuthError::Token(error) => match rejection_for(error) {
            Rejection::InvalidToken { description } => with_challenge(
                StatusCode::UNAUTHORIZED,
                error_challenge(shared, scheme, "invalid_token", &description, token),
            ),
            Rejection::InsufficientScope { scope, description } => {
                let mut value = match scheme {
                    Scheme::Dpop => format!("DPoP {}", shared.realm_attr),
                    _ => format!("Bearer {}", shared.realm_attr),
                };
                push_error(&mut value, "insufficient_scope", &description, token);
                push_scope_param(&mut value, &scope);
                if scheme == Scheme::Dpop {
                    value.push_str(", ");
                    value.push_str(&shared.algs_attr);
                }
                with_challenge(StatusCode::FORBIDDEN, owned_header_value(value))
            }
            _ => status(StatusCode::SERVICE_UNAVAILABLE),
        },
        DpopAuthError::Proof(DpopError::UseNonce { nonce }) => {
            // RFC 9449 §9: the nonce goes back in `DPoP-Nonce`.
            let mut response = with_challenge(
                StatusCode::UNAUTHORIZED,
                dpop_challenge(
                    shared,
                    Some((
                        "use_dpop_nonce",
                        "Resource server requires nonce in DPoP proof",
                        token,
                    )),
                ),
            );
            if let Ok(value) = HeaderValue::from_str(nonce) {
                response.headers_mut().insert(DPOP_NONCE, value);
            }
            response
        }
        // RFC 9449 §7.1 (its Figure 15): a sound proof with a key the token
        // is not bound to is the token's failure — `invalid_token`, as
        // Auth0's Node SDKs answer it, so a client does not make a new proof
        // with the same wrong key.
        DpopAuthError::Proof(DpopError::KeyMismatch) => with_challenge(
            StatusCode::UNAUTHORIZED,
            dpop_challenge(
                shared,
                Some(("invalid_token", "Invalid DPoP key binding", token)),
            ),
        ),
        DpopAuthError::Proof(proof) if proof.is_server_error() => {
            status(StatusCode::SERVICE_UNAVAILABLE)
        }
        DpopAuthError::Proof(proof) => with_challenge(
            StatusCode::UNAUTHORIZED,
            dpop_challenge(
                shared,
                Some(("invalid_dpop_proof", &proof.to_string(), token)),
            ),
        ),
        DpopAuthError::BoundTokenAsBearer => {
            // RFC 9449 §7.2: refuse, and tell the client which scheme to use.
            let mut response = with_challenge(
                StatusCode::UNAUTHORIZED,
                error_challenge(
                    shared,
                    Scheme::Bearer,
                    "invalid_token",
                    "DPoP-bound access tokens must be sent with the DPoP scheme",
                    token,
                ),
            );
            response
                .headers_mut()
                .append(WWW_AUTHENTICATE, dpop_challenge(shared, None));
            response
        }
        DpopAuthError::BearerNotAccepted | DpopAuthError::DpopDisabled => bare(shared),
        DpopAuthError::TokenNotBound => with_challenge(
            StatusCode::UNAUTHORIZED,
            error_challenge(
                shared,
                Scheme::Dpop,
                "invalid_token",
                "the access token is not DPoP-bound",
                token,
            ),
        ),
        DpopAuthError::MissingProof => {
            invalid_request(shared, Scheme::Dpop, "the DPoP proof header is missing")
        }
        DpopAuthError::ProofWithBearer => invalid_request(
            shared,
            Scheme::Bearer,
            "a DPoP proof was sent with a Bearer token",
        ),
    }
}
