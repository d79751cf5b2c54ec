//! How the application proves its identity to the token endpoint:
//! nothing (public clients), `client_secret_post`, `client_secret_basic`,
//! `private_key_jwt` with a fresh signed client assertion per attempt, or
//! mutual TLS (`tls_client_auth`, `self_signed_tls_client_auth`, RFC 8705)
//! at the tenant's mTLS endpoint aliases — and the one
//! client-credentials grant built on it ([`ClientCredentials`]), which
//! [`AuthenticationClient`](crate::AuthenticationClient) and
//! auth0-management's token fetch both use.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth0_core::client::Auth0Client;
use auth0_core::client::form_urlencode;
use auth0_core::config::Domain;
use auth0_core::error::Error;
use auth0_core::types::HttpService;
use auth0_jwt::alg::AlgorithmFamily;
use auth0_jwt::clock::{Clock, SystemClock};
use auth0_jwt::sign::{SignError, SigningKey};
use http::{HeaderMap, HeaderValue};
use ring::rand::{SecureRandom as _, SystemRandom};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::client::{AttemptHeaders, BuildError, Encoding, Fields, decode, post_fields};
use crate::token::TokenResponse;

/// The `client_assertion_type` sent with a `private_key_jwt` assertion.
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Default lifetime of a client assertion (`exp - iat`), as auth0-python
/// uses.
pub const DEFAULT_ASSERTION_LIFETIME: Duration = Duration::from_secs(180);

/// How requests that need client authentication identify the application.
///
/// `Debug` never shows the secret or the key.
///
/// ```
/// use auth0_authentication::ClientAuthentication;
/// use auth0_jwt::sign::SigningKey;
///
/// let secret = ClientAuthentication::ClientSecret("s3cr3t".into());
/// assert_eq!(format!("{secret:?}"), "ClientSecret([REDACTED])");
///
/// let key = SigningKey::generate_es256()?.with_kid("my-key");
/// let jwt = ClientAuthentication::PrivateKeyJwt(Box::new(key));
/// assert!(format!("{jwt:?}").starts_with("PrivateKeyJwt"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[non_exhaustive]
pub enum ClientAuthentication {
    /// No client authentication: a public client (SPA, native app).
    None,
    /// `client_secret_post`: the secret is sent as `client_secret`.
    ClientSecret(String),
    /// `client_secret_basic` (RFC 6749 §2.3.1): the client id and secret,
    /// each form-urlencoded, joined by `:` and sent base64-encoded in an
    /// `Authorization: Basic …` header; the body carries neither.
    ClientSecretBasic(String),
    /// `private_key_jwt`: a JWT signed with this key is sent as
    /// `client_assertion` (RS256, RS384, PS256, ES256, … as registered for
    /// the application; HMAC keys are refused by the builder).
    PrivateKeyJwt(Box<SigningKey>),
    /// `tls_client_auth` (RFC 8705 §2.1): the client certificate, issued by
    /// a CA, is presented in the TLS handshake and Auth0 matches its
    /// subject DN with the one registered for the application. The body
    /// carries `client_id` and no secret. The certificate and key are the
    /// HTTP client's: give them to
    /// [`ClientConfigBuilder::client_certificate`](auth0_core::config::ClientConfigBuilder::client_certificate).
    /// Requests go to the tenant's mTLS endpoint aliases (see
    /// [`ClientCredentials::with_mtls_endpoint_base`]).
    TlsClientAuth,
    /// `self_signed_tls_client_auth` (RFC 8705 §2.2): as
    /// [`TlsClientAuth`](Self::TlsClientAuth) with a self-signed
    /// certificate, which Auth0 matches with the certificate registered for
    /// the application.
    SelfSignedTlsClientAuth,
}

impl fmt::Debug for ClientAuthentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::ClientSecret(_) => f.write_str("ClientSecret([REDACTED])"),
            Self::ClientSecretBasic(_) => f.write_str("ClientSecretBasic([REDACTED])"),
            Self::TlsClientAuth => f.write_str("TlsClientAuth"),
            Self::SelfSignedTlsClientAuth => f.write_str("SelfSignedTlsClientAuth"),
            Self::PrivateKeyJwt(key) => f
                .debug_tuple("PrivateKeyJwt")
                .field(&format_args!(
                    "alg={} kid={:?}",
                    key.algorithm().as_str(),
                    key.kid()
                ))
                .finish(),
        }
    }
}

/// Why a client assertion could not be created. Never contains key
/// material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AssertionError {
    /// Signing failed: usually an algorithm the key can't be used with.
    #[error("could not sign the client assertion")]
    Sign(#[source] SignError),
    /// The system random number generator failed while making the `jti`.
    #[error("the system random number generator failed")]
    Random,
    /// The system clock is before 1970.
    #[error("the system clock is before the UNIX epoch")]
    Clock,
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
    jti: String,
}

/// Signs a `private_key_jwt` client assertion exactly as auth0-python's
/// `create_client_assertion_jwt` does: `iss = sub = client_id`,
/// `aud = audience` (the tenant's issuer URL, `https://{domain}/`),
/// `iat = now`, `exp = now + lifetime`, a random UUID v4 `jti`; the header
/// has `alg`, `typ: JWT` and the key's `kid` when it has one.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use auth0_authentication::client_auth::client_assertion;
/// use auth0_jwt::jws::{Jws, ParseOptions};
/// use auth0_jwt::sign::SigningKey;
///
/// let key = SigningKey::generate_es256()?;
/// let jwt = client_assertion(&key, "my-client", "https://tenant.auth0.com/",
///     Duration::from_secs(180), SystemTime::now())?;
/// let jws = Jws::parse(&jwt, &ParseOptions::default())?;
/// assert_eq!(jws.claims()["iss"], "my-client");
/// assert_eq!(jws.claims()["aud"], "https://tenant.auth0.com/");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn client_assertion(
    key: &SigningKey,
    client_id: &str,
    audience: &str,
    lifetime: Duration,
    now: SystemTime,
) -> Result<String, AssertionError> {
    let iat = now
        .duration_since(UNIX_EPOCH)
        .map_err(|_| AssertionError::Clock)?
        .as_secs();
    let claims = AssertionClaims {
        iss: client_id,
        sub: client_id,
        aud: audience,
        iat,
        exp: iat.saturating_add(lifetime.as_secs()),
        jti: random_uuid_v4()?,
    };
    key.sign_token(&Map::<String, Value>::new(), &claims)
        .map_err(AssertionError::Sign)
}

/// A random RFC 9562 version 4 UUID, like Python's `uuid.uuid4()`.
pub(crate) fn random_uuid_v4() -> Result<String, AssertionError> {
    let mut b = [0u8; 16];
    SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| AssertionError::Random)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = |s: &[u8]| s.iter().map(|x| format!("{x:02x}")).collect::<String>();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        hex(&b[0..4]),
        hex(&b[4..6]),
        hex(&b[6..8]),
        hex(&b[8..10]),
        hex(&b[10..16])
    ))
}

/// The application's identity at the token endpoint — client id, client
/// authentication and assertion lifetime — and the client-credentials
/// grant made with it.
///
/// This is the SDK's one implementation of client authentication:
/// [`AuthenticationClient`](crate::AuthenticationClient) holds one, and
/// auth0-management fetches its Management API token through
/// [`ClientCredentials::request_token`] (as auth0-python's management
/// client uses `GetToken`). With `private_key_jwt` every attempt carries
/// its own assertion: the body is rebuilt, not replayed, when the stack
/// retries (RFC 7523 §3: the `jti` is single use).
///
/// Cheap to clone; `Debug` never shows the secret or the key.
///
/// ```no_run
/// use auth0_authentication::ClientCredentials;
/// use auth0_core::{Auth0Client, ClientConfig};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let http = Auth0Client::new(ClientConfig::new("tenant.eu.auth0.com")?)?;
/// let credentials = ClientCredentials::client_secret("my-client-id", std::env::var("AUTH0_CLIENT_SECRET")?);
/// credentials.validate()?;
/// let token = credentials
///     .request_token(&http, "https://tenant.eu.auth0.com/api/v2/", None)
///     .await?;
/// println!("expires in {:?} s", token.expires_in);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ClientCredentials {
    client_id: String,
    auth: Arc<ClientAuthentication>,
    assertion_lifetime: Duration,
    clock: Arc<dyn Clock>,
    mtls_base: Option<Arc<str>>,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("authentication", &self.auth)
            .field("assertion_lifetime", &self.assertion_lifetime)
            .field("mtls_endpoint_base", &self.mtls_base)
            .finish_non_exhaustive()
    }
}

impl ClientCredentials {
    /// Credentials of `client_id` authenticating with `auth`.
    pub fn new(client_id: impl Into<String>, auth: ClientAuthentication) -> Self {
        Self {
            client_id: client_id.into(),
            auth: Arc::new(auth),
            assertion_lifetime: DEFAULT_ASSERTION_LIFETIME,
            clock: Arc::new(SystemClock),
            mtls_base: None,
        }
    }

    /// `tls_client_auth` (RFC 8705 §2.1); the certificate is the HTTP
    /// client's ([`ClientConfigBuilder::client_certificate`](auth0_core::config::ClientConfigBuilder::client_certificate)).
    pub fn tls_client_auth(client_id: impl Into<String>) -> Self {
        Self::new(client_id, ClientAuthentication::TlsClientAuth)
    }

    /// `self_signed_tls_client_auth` (RFC 8705 §2.2).
    pub fn self_signed_tls_client_auth(client_id: impl Into<String>) -> Self {
        Self::new(client_id, ClientAuthentication::SelfSignedTlsClientAuth)
    }

    /// Where the mutual-TLS requests go: the scheme and authority of the
    /// tenant's mTLS endpoint aliases (RFC 8705 §5), e.g.
    /// `https://mtls.login.example.com`. Default: `mtls.` before the
    /// configured domain, as Auth0 names them; a tenant's discovery
    /// document advertises them as `mtls_endpoint_aliases`
    /// ([`discover_mtls_endpoint_base`] reads it). Only used with
    /// `tls_client_auth` / `self_signed_tls_client_auth`; checked by
    /// [`validate`](Self::validate).
    #[must_use]
    pub fn with_mtls_endpoint_base(mut self, base: impl Into<String>) -> Self {
        let base: String = base.into();
        self.mtls_base = Some(Arc::from(base.trim_end_matches('/')));
        self
    }

    /// True for `tls_client_auth` and `self_signed_tls_client_auth`.
    pub fn uses_mtls(&self) -> bool {
        matches!(
            self.auth.as_ref(),
            ClientAuthentication::TlsClientAuth | ClientAuthentication::SelfSignedTlsClientAuth
        )
    }

    /// The absolute URL of `path` (`/oauth/token`) at the mTLS endpoint
    /// aliases for a client using mutual TLS on `domain`; `None` for the
    /// other methods (their requests go to the domain itself).
    pub fn mtls_endpoint(&self, domain: &Domain, path: &str) -> Option<String> {
        if !self.uses_mtls() {
            return None;
        }
        Some(match &self.mtls_base {
            Some(base) => format!("{base}{path}"),
            None => format!(
                "{}://mtls.{}{path}",
                domain.scheme_str(),
                domain.authority()
            ),
        })
    }

    /// `client_secret_post` (RFC 6749 §2.3.1).
    pub fn client_secret(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self::new(client_id, ClientAuthentication::ClientSecret(secret.into()))
    }

    /// `client_secret_basic` (RFC 6749 §2.3.1): the secret in an HTTP Basic
    /// `Authorization` header instead of the body.
    pub fn client_secret_basic(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self::new(
            client_id,
            ClientAuthentication::ClientSecretBasic(secret.into()),
        )
    }

    /// `private_key_jwt` (RFC 7523 §2.2, OIDC Core 9), signing each
    /// assertion with `key`.
    pub fn private_key_jwt(client_id: impl Into<String>, key: SigningKey) -> Self {
        Self::new(
            client_id,
            ClientAuthentication::PrivateKeyJwt(Box::new(key)),
        )
    }

    /// Lifetime of each assertion (`exp - iat`; default 180 s, between 1 s
    /// and 600 s — checked by [`ClientCredentials::validate`]).
    #[must_use]
    pub fn with_assertion_lifetime(mut self, lifetime: Duration) -> Self {
        self.assertion_lifetime = lifetime;
        self
    }

    /// The clock that dates assertions (`iat`, `exp`; default the system
    /// clock).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The client authentication.
    pub fn authentication(&self) -> &ClientAuthentication {
        &self.auth
    }

    /// The assertion lifetime.
    pub fn assertion_lifetime(&self) -> Duration {
        self.assertion_lifetime
    }

    /// Checks the settings: a non-empty client id and secret, an asymmetric
    /// assertion key, a lifetime of 1 s to 600 s, an mTLS endpoint base that
    /// is an `https://` scheme and authority only.
    pub fn validate(&self) -> Result<(), BuildError> {
        if self.client_id.is_empty() {
            return Err(BuildError::EmptyClientId);
        }
        match self.auth.as_ref() {
            ClientAuthentication::ClientSecret(s) | ClientAuthentication::ClientSecretBasic(s)
                if s.is_empty() =>
            {
                return Err(BuildError::EmptyClientSecret);
            }
            // RFC 7523 §2.2 allows HMAC, but Auth0's private_key_jwt takes
            // the application's registered public key: a shared secret
            // belongs in client_secret.
            ClientAuthentication::PrivateKeyJwt(key)
                if key.algorithm().family() == AlgorithmFamily::Hmac =>
            {
                return Err(BuildError::SymmetricAssertionKey {
                    alg: key.algorithm().as_str(),
                });
            }
            _ => {}
        }
        if let Some(base) = &self.mtls_base {
            let uri: Option<http::Uri> = base.parse().ok();
            let valid = uri.as_ref().is_some_and(|u| {
                u.scheme_str() == Some("https")
                    && u.authority().is_some()
                    && u.path_and_query()
                        .is_none_or(|pq| pq.as_str().is_empty() || pq.as_str() == "/")
            });
            if !valid {
                return Err(BuildError::InvalidMtlsEndpointBase);
            }
        }
        if self.assertion_lifetime.is_zero() || self.assertion_lifetime > Duration::from_secs(600) {
            return Err(BuildError::InvalidAssertionLifetime {
                secs: self.assertion_lifetime.as_secs(),
            });
        }
        Ok(())
    }

    /// Now, by the clock that dates assertions (UNIX seconds).
    pub(crate) fn now(&self) -> i64 {
        self.clock.now()
    }

    /// True when each attempt needs its own body (a signed assertion).
    pub(crate) fn signs_assertions(&self) -> bool {
        matches!(self.auth.as_ref(), ClientAuthentication::PrivateKeyJwt(_))
    }

    /// True when the application has a credential to present (a public
    /// client has none).
    pub fn is_confidential(&self) -> bool {
        !matches!(self.auth.as_ref(), ClientAuthentication::None)
    }

    /// The `Authorization: Basic …` value of `client_secret_basic` (marked
    /// sensitive) and the secret, for the request's
    /// [`Secrets`](auth0_core::secrets::Secrets); `None` for the other
    /// methods.
    ///
    /// RFC 6749 §2.3.1: the id and the secret are each encoded with
    /// `application/x-www-form-urlencoded` before being joined by `:`.
    pub(crate) fn basic_authorization(&self) -> Result<Option<(HeaderValue, &str)>, Error> {
        let ClientAuthentication::ClientSecretBasic(secret) = self.auth.as_ref() else {
            return Ok(None);
        };
        use base64::Engine as _;
        // The one form encoder: both parts are encoded as a `name=value`
        // pair, and `=` itself is always escaped (`%3D`), so the only
        // literal `=` is the separator, which becomes the `:`.
        let joined =
            form_urlencode([(self.client_id.as_str(), secret.as_str())]).replacen('=', ":", 1);
        let encoded = base64::engine::general_purpose::STANDARD.encode(joined);
        let mut value = HeaderValue::from_str(&format!("Basic {encoded}")).map_err(|_| {
            Error::InvalidRequest {
                reason: "the client credentials are not a valid header value".to_owned(),
                source: None,
            }
        })?;
        value.set_sensitive(true);
        Ok(Some((value, secret.as_str())))
    }

    /// Adds `client_secret`, drops `client_id` (Basic: the header names
    /// it), or adds `client_assertion_type` and a newly signed
    /// `client_assertion` for `issuer` (the tenant's `https://{domain}/`),
    /// as auth0-python's `add_client_authentication`.
    pub(crate) fn add_authentication(
        &self,
        fields: &mut Fields,
        issuer: &str,
    ) -> Result<(), Error> {
        match self.auth.as_ref() {
            // Mutual TLS: the certificate authenticates in the handshake;
            // the body names the client (RFC 8705 §2: `client_id` is
            // required) and carries no secret.
            ClientAuthentication::None
            | ClientAuthentication::TlsClientAuth
            | ClientAuthentication::SelfSignedTlsClientAuth => {}
            ClientAuthentication::ClientSecret(secret) => fields.set("client_secret", secret),
            // The header carries the id: the body must not name a second one
            // (RFC 6749 §2.3: one authentication method per request).
            ClientAuthentication::ClientSecretBasic(_) => fields.remove("client_id"),
            ClientAuthentication::PrivateKeyJwt(key) => {
                let secs = u64::try_from(self.clock.now()).unwrap_or(0);
                let jwt = client_assertion(
                    key,
                    &self.client_id,
                    issuer,
                    self.assertion_lifetime,
                    UNIX_EPOCH + Duration::from_secs(secs),
                )
                .map_err(|e| Error::InvalidRequest {
                    reason: "could not create the client assertion".to_owned(),
                    source: Some(Box::new(e)),
                })?;
                fields.set("client_assertion", &jwt);
                fields.set("client_assertion_type", CLIENT_ASSERTION_TYPE);
            }
        }
        Ok(())
    }

    /// The client-credentials grant (RFC 6749 §4.4): an access token for
    /// `audience`, optionally for an Auth0 `organization`.
    ///
    /// `POST /oauth/token`, form-encoded as RFC 6749 §4.4.2 specifies, with
    /// `client_id` and the client authentication. Asking twice only issues
    /// another token, so the stack may resend it after a 5xx or a dropped
    /// connection; each attempt then carries a newly signed assertion.
    pub async fn request_token<S: HttpService>(
        &self,
        http: &Auth0Client<S>,
        audience: &str,
        organization: Option<&str>,
    ) -> Result<TokenResponse, Error> {
        let response = self
            .send_token_request(http, audience, organization, HeaderMap::new().into())
            .await?;
        decode(&response)
    }

    /// [`request_token`](Self::request_token)'s request with extra
    /// `headers` (a DPoP proof), answered but not decoded.
    pub(crate) async fn send_token_request<S: HttpService>(
        &self,
        http: &Auth0Client<S>,
        audience: &str,
        organization: Option<&str>,
        headers: AttemptHeaders,
    ) -> Result<auth0_core::types::HttpResponse, Error> {
        let fields = Fields::new()
            .str("grant_type", "client_credentials")
            .str("client_id", &self.client_id)
            .str("audience", audience)
            .opt("organization", organization);
        post_fields(
            http,
            Some(self),
            "/oauth/token",
            &fields,
            Encoding::Form,
            headers,
            true,
        )
        .await
    }
}

/// The scheme and authority of the tenant's mTLS endpoint aliases, read
/// from its discovery document (`GET /.well-known/openid-configuration`,
/// `mtls_endpoint_aliases.token_endpoint`, RFC 8705 §5); `None` when the
/// tenant advertises none (Auth0: the tenant setting
/// `mtls.enable_endpoint_aliases` is off). Pass it to
/// [`ClientCredentials::with_mtls_endpoint_base`].
///
/// ```no_run
/// # async fn f(http: auth0_core::Auth0Client) -> Result<(), auth0_core::Error> {
/// use auth0_authentication::client_auth::discover_mtls_endpoint_base;
/// use auth0_authentication::ClientCredentials;
/// let mut credentials = ClientCredentials::tls_client_auth("my-client-id");
/// if let Some(base) = discover_mtls_endpoint_base(&http).await? {
///     credentials = credentials.with_mtls_endpoint_base(base);
/// }
/// # Ok(()) }
/// ```
pub async fn discover_mtls_endpoint_base<S: HttpService>(
    http: &Auth0Client<S>,
) -> Result<Option<String>, Error> {
    let discovery = http
        .get_json::<Value>("/.well-known/openid-configuration")
        .await?;
    let token_endpoint = discovery
        .data
        .get("mtls_endpoint_aliases")
        .and_then(|aliases| aliases.get("token_endpoint"))
        .and_then(Value::as_str);
    Ok(token_endpoint.and_then(|url| {
        let uri: http::Uri = url.parse().ok()?;
        Some(format!("{}://{}", uri.scheme_str()?, uri.authority()?))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mtls_endpoints() {
        let domain = Domain::parse("tenant.eu.auth0.com").unwrap();
        let c = ClientCredentials::tls_client_auth("id");
        assert_eq!(
            c.mtls_endpoint(&domain, "/oauth/token").as_deref(),
            Some("https://mtls.tenant.eu.auth0.com/oauth/token")
        );
        let c = c.with_mtls_endpoint_base("https://mtls.login.example.com/");
        assert_eq!(
            c.mtls_endpoint(&domain, "/oauth/par").as_deref(),
            Some("https://mtls.login.example.com/oauth/par")
        );
        c.validate().unwrap();
        for bad in ["http://mtls.x.com", "mtls.x.com", "https://mtls.x.com/path"] {
            let c =
                ClientCredentials::self_signed_tls_client_auth("id").with_mtls_endpoint_base(bad);
            assert_eq!(
                c.validate(),
                Err(BuildError::InvalidMtlsEndpointBase),
                "{bad}"
            );
        }
        let secret = ClientCredentials::client_secret("id", "s");
        assert_eq!(secret.mtls_endpoint(&domain, "/oauth/token"), None);
        assert_eq!(
            format!("{:?}", ClientAuthentication::TlsClientAuth),
            "TlsClientAuth"
        );
    }

    #[test]
    fn uuid_shape() {
        let u = random_uuid_v4().unwrap();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(u, random_uuid_v4().unwrap());
    }

    #[test]
    fn debug_redacts() {
        let s = format!("{:?}", ClientAuthentication::ClientSecret("hunter2".into()));
        assert!(!s.contains("hunter2"));
    }
}
