//! Client configuration: the tenant [`Domain`], timeouts, retry and
//! rate-limit policies, telemetry, default headers, body cap and proxy.
//!
//! Everything is validated once, in [`ClientConfigBuilder::build`], so the
//! request path never re-checks configuration.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::uri::{Authority, PathAndQuery, Scheme, Uri};

use crate::error::{ConfigError, InvalidDomainReason};
use crate::rate_limit::RateLimiter;
use crate::retry::RetryPolicy;

/// Default time allowed to open a TCP connection (plus proxy tunnel and TLS).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed for one attempt: response headers and whole body.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time allowed for a whole call, including retries and their waits.
///
/// Three full attempts fit; a call that is still failing after that long is
/// better reported than retried further.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(90);
/// Default cap on a response body: 16 MiB. Auth0 answers are small JSON
/// documents; anything near this size is a misbehaving proxy or server.
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 16 * 1024 * 1024;
/// Default time an idle pooled connection is kept.
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// An Auth0 tenant or custom domain, validated and normalised.
///
/// Accepted forms: `tenant.auth0.com`, `https://tenant.auth0.com/`,
/// `login.example.com`, `tenant.auth0.com:8443`. Plain
/// `http://127.0.0.1:PORT`, `http://localhost:PORT` and `http://[::1]:PORT`
/// are accepted only by [`Domain::parse_allow_insecure_loopback`] (used when
/// [`ClientConfigBuilder::allow_insecure_loopback`] is set), for tests and
/// local emulators. Anything else — paths, queries, fragments, user info,
/// other schemes, plain HTTP to a remote host, whitespace, bad ports — is a
/// [`ConfigError::InvalidDomain`].
///
/// ```
/// use auth0_core::config::Domain;
/// let d: Domain = "https://Tenant.EU.auth0.com/".parse()?;
/// assert_eq!(d.host(), "tenant.eu.auth0.com");
/// assert_eq!(d.base_url(), "https://tenant.eu.auth0.com");
/// assert_eq!(d.issuer(), "https://tenant.eu.auth0.com/");
/// assert!("http://tenant.auth0.com".parse::<Domain>().is_err());
/// # Ok::<(), auth0_core::error::ConfigError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Domain {
    secure: bool,
    host: String,
    port: Option<u16>,
    authority: Authority,
    base: String,
}

impl Domain {
    /// Parses an HTTPS domain (see the type docs for accepted forms).
    pub fn parse(input: &str) -> Result<Self, ConfigError> {
        parse_domain(input, false)
    }

    /// Parses a domain, additionally accepting `http://` to a loopback host
    /// (`localhost`, `127.0.0.0/8`, `[::1]`). Plain HTTP anywhere else is
    /// still rejected.
    pub fn parse_allow_insecure_loopback(input: &str) -> Result<Self, ConfigError> {
        parse_domain(input, true)
    }

    /// The host, lower-cased; IPv6 addresses without brackets.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The explicit port, if one other than the scheme's default was given.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The authority (`host[:port]`) requests are sent to.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// `true` for `https`, `false` for an allowed plain-HTTP loopback domain.
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// `"https"` or `"http"`.
    pub fn scheme_str(&self) -> &'static str {
        if self.secure { "https" } else { "http" }
    }

    /// Scheme and authority without a trailing slash, e.g.
    /// `https://tenant.auth0.com`.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The token issuer Auth0 uses for this domain: the base URL with a
    /// trailing slash, e.g. `https://tenant.auth0.com/`.
    pub fn issuer(&self) -> String {
        format!("{}/", self.base)
    }

    /// Builds an absolute URL on this domain from a path such as
    /// `/api/v2/users?page=1`.
    ///
    /// ```
    /// # use auth0_core::config::Domain;
    /// let d = Domain::parse("tenant.auth0.com")?;
    /// assert_eq!(d.url("/oauth/token")?.to_string(), "https://tenant.auth0.com/oauth/token");
    /// # Ok::<(), auth0_core::error::ConfigError>(())
    /// ```
    pub fn url(&self, path_and_query: &str) -> Result<Uri, ConfigError> {
        let pq = PathAndQuery::from_str(path_and_query).map_err(|_| ConfigError::InvalidPath {
            path: truncate_for_display(path_and_query),
        })?;
        self.join(pq)
    }

    /// [`Domain::url`] for a path and query the caller has just built
    /// (`/api/v2/users/auth0%7C1?fields=name`): the text becomes the URI's
    /// own buffer — no copy, and the base URL is not parsed again (the
    /// scheme and authority are the domain's, shared).
    ///
    /// ```
    /// # use auth0_core::config::Domain;
    /// let d = Domain::parse("tenant.auth0.com")?;
    /// let uri = d.url_from_string(String::from("/api/v2/users?page=1"))?;
    /// assert_eq!(uri.to_string(), "https://tenant.auth0.com/api/v2/users?page=1");
    /// assert!(d.url_from_string(String::from("no slash")).is_err());
    /// # Ok::<(), auth0_core::error::ConfigError>(())
    /// ```
    pub fn url_from_string(&self, path_and_query: String) -> Result<Uri, ConfigError> {
        if !path_and_query.starts_with('/') {
            return Err(ConfigError::InvalidPath {
                path: truncate_for_display(&path_and_query),
            });
        }
        let pq =
            PathAndQuery::from_maybe_shared(bytes::Bytes::from(path_and_query)).map_err(|_| {
                ConfigError::InvalidPath {
                    // The text went into the buffer the parser refused.
                    path: String::from("<not a valid path and query>"),
                }
            })?;
        self.join(pq)
    }

    /// Resolves a request URI: a relative one (`/api/v2/users`) is put on
    /// this domain; an absolute one is returned unchanged.
    pub(crate) fn resolve(&self, uri: Uri) -> Result<Uri, ConfigError> {
        if uri.scheme().is_some() {
            return Ok(uri);
        }
        // `host:port` without a scheme parses as an authority; sending it to
        // our domain's "/" would silently hit the wrong endpoint.
        if uri.authority().is_none()
            && uri
                .path_and_query()
                .is_some_and(|pq| pq.as_str().starts_with('/'))
        {
            if let Some(pq) = uri.into_parts().path_and_query {
                return self.join(pq);
            }
            return Err(ConfigError::InvalidPath {
                path: String::from("<unrepresentable>"),
            });
        }
        Err(ConfigError::InvalidPath {
            path: truncate_for_display(&uri.to_string()),
        })
    }

    fn join(&self, pq: PathAndQuery) -> Result<Uri, ConfigError> {
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(if self.secure {
            Scheme::HTTPS
        } else {
            Scheme::HTTP
        });
        parts.authority = Some(self.authority.clone());
        parts.path_and_query = Some(pq);
        Uri::from_parts(parts).map_err(|_| ConfigError::InvalidPath {
            path: String::from("<unrepresentable>"),
        })
    }
}

impl FromStr for Domain {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Domain::parse(s)
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base)
    }
}

impl fmt::Debug for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Domain").field(&self.base).finish()
    }
}

fn invalid(input: &str, reason: InvalidDomainReason) -> ConfigError {
    ConfigError::InvalidDomain {
        input: truncate_for_display(&redact_userinfo(input)),
        reason,
    }
}

fn parse_domain(input: &str, allow_insecure_loopback: bool) -> Result<Domain, ConfigError> {
    if input.is_empty() {
        return Err(invalid(input, InvalidDomainReason::Empty));
    }
    if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(input, InvalidDomainReason::Whitespace));
    }
    let (secure, rest) = match input.find("://") {
        Some(i) => {
            let scheme = input[..i].to_ascii_lowercase();
            let secure = match scheme.as_str() {
                "https" => true,
                "http" => false,
                _ => return Err(invalid(input, InvalidDomainReason::UnsupportedScheme)),
            };
            (secure, &input[i + 3..])
        }
        None => (true, input),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, remainder) = rest.split_at(end);
    if authority.contains('@') {
        return Err(invalid(input, InvalidDomainReason::UserInfo));
    }
    if remainder.contains('#') {
        return Err(invalid(input, InvalidDomainReason::Fragment));
    }
    if remainder.contains('?') {
        return Err(invalid(input, InvalidDomainReason::Query));
    }
    if remainder.len() > 1 {
        return Err(invalid(input, InvalidDomainReason::Path));
    }
    if authority.is_empty() {
        return Err(invalid(input, InvalidDomainReason::InvalidHost));
    }

    let (host, port_text, is_v6) = if let Some(after) = authority.strip_prefix('[') {
        let Some(close) = after.find(']') else {
            return Err(invalid(input, InvalidDomainReason::InvalidHost));
        };
        let host = &after[..close];
        let tail = &after[close + 1..];
        let port = match tail {
            "" => None,
            t => match t.strip_prefix(':') {
                Some(p) => Some(p),
                None => return Err(invalid(input, InvalidDomainReason::InvalidHost)),
            },
        };
        if Ipv6Addr::from_str(host).is_err() {
            return Err(invalid(input, InvalidDomainReason::InvalidHost));
        }
        (host.to_ascii_lowercase(), port, true)
    } else {
        let mut split = authority.splitn(2, ':');
        let host = split.next().unwrap_or_default();
        let port = split.next();
        if port.is_some_and(|p| p.contains(':')) {
            return Err(invalid(input, InvalidDomainReason::InvalidHost));
        }
        let host = host.to_ascii_lowercase();
        if !valid_host(&host) {
            return Err(invalid(input, InvalidDomainReason::InvalidHost));
        }
        (host, port, false)
    };

    let port = match port_text {
        None => None,
        Some(p) => {
            let valid_digits =
                !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit());
            match p.parse::<u16>() {
                Ok(n) if valid_digits && n != 0 => Some(n),
                _ => return Err(invalid(input, InvalidDomainReason::InvalidPort)),
            }
        }
    };
    let default_port = if secure { 443 } else { 80 };
    let port = port.filter(|&p| p != default_port);

    if !secure {
        if !is_loopback(&host) {
            return Err(invalid(input, InvalidDomainReason::InsecureScheme));
        }
        if !allow_insecure_loopback {
            return Err(invalid(
                input,
                InvalidDomainReason::InsecureLoopbackNotAllowed,
            ));
        }
    }

    let host_part = if is_v6 {
        format!("[{host}]")
    } else {
        host.clone()
    };
    let authority_text = match port {
        Some(p) => format!("{host_part}:{p}"),
        None => host_part,
    };
    let authority = Authority::from_str(&authority_text)
        .map_err(|_| invalid(input, InvalidDomainReason::InvalidHost))?;
    let base = format!(
        "{}://{authority_text}",
        if secure { "https" } else { "http" }
    );
    Ok(Domain {
        secure,
        host,
        port,
        authority,
        base,
    })
}

/// A DNS name (LDH labels) or a dotted IPv4 address.
fn valid_host(host: &str) -> bool {
    if host.is_empty() || host.len() > 253 {
        return false;
    }
    if Ipv4Addr::from_str(host).is_ok() {
        return true;
    }
    let labels_ok = host.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    });
    // A name made only of digits and dots that is not a valid IPv4 address
    // (`999.1.1.1`) is rejected rather than sent to DNS.
    let all_numeric = host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    labels_ok && !all_numeric
}

/// `localhost`, `*.localhost`, `127.0.0.0/8` or `::1`.
pub(crate) fn is_loopback(host: &str) -> bool {
    const SUFFIX: &str = ".localhost";
    let host = host.trim_start_matches('[').trim_end_matches(']');
    // Checked on every plain-http request: no allocation.
    let ends_with_suffix = host.len() > SUFFIX.len()
        && host.is_char_boundary(host.len() - SUFFIX.len())
        && host[host.len() - SUFFIX.len()..].eq_ignore_ascii_case(SUFFIX);
    if host.eq_ignore_ascii_case("localhost") || ends_with_suffix {
        return true;
    }
    IpAddr::from_str(host).is_ok_and(|ip| ip.is_loopback())
}

pub(crate) fn truncate_for_display(s: &str) -> String {
    const MAX: usize = 200;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Replaces `user:password@` in a URL-like string with `***@`.
///
/// Conservative on purpose: everything between the scheme and the *last*
/// `@` goes, wherever that `@` is, because a password may itself contain
/// `/`, `?`, `#` or `@` left unencoded (RFC 3986 §3.2.1 deprecates
/// passwords in URLs, and this text ends up in errors and `Debug`). Callers
/// redact before truncating, so a cut can never fall between a password
/// and its `@`.
pub(crate) fn redact_userinfo(s: &str) -> String {
    let start = s.find("://").map_or(0, |i| i + 3);
    match s[start..].rfind('@') {
        Some(at) => format!("{}***{}", &s[..start], &s[start + at..]),
        None => s.to_owned(),
    }
}

/// The DER bodies of the `CERTIFICATE` blocks of a PEM document; `None` if
/// a block is not valid base64 or is unterminated.
fn parse_pem_certificates(pem: &str) -> Option<Vec<Vec<u8>>> {
    pem_blocks(pem, "CERTIFICATE")
}

/// The DER bodies of the `label` blocks of a PEM document (RFC 7468);
/// `None` if such a block is not valid base64 or is unterminated.
fn pem_blocks(pem: &str, label: &str) -> Option<Vec<Vec<u8>>> {
    use base64::Engine as _;
    let begin = format!("-----BEGIN {label}-----");
    let end_marker = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find(&begin) {
        let body_start = start + begin.len();
        let end = rest[body_start..].find(&end_marker)? + body_start;
        let body: String = rest[body_start..end]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        out.push(
            base64::engine::general_purpose::STANDARD
                .decode(body)
                .ok()?,
        );
        rest = &rest[end + end_marker.len()..];
    }
    Some(out)
}

/// The encoding of a [`ClientCertificate`]'s private key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyFormat {
    Pkcs8,
    Sec1,
    Pkcs1,
}

/// A TLS client certificate chain and its private key, presented when a
/// server asks for one: mutual TLS, as RFC 8705 client authentication
/// (`tls_client_auth`, `self_signed_tls_client_auth`) at Auth0's mTLS
/// endpoints needs. Give it to
/// [`ClientConfigBuilder::client_certificate`].
///
/// The key is checked when the certificate is made (an ECDSA P-256/P-384,
/// Ed25519 or RSA key in PKCS#8, SEC1 or PKCS#1 form). `Debug` shows the
/// chain's length, never the key.
///
/// ```
/// use auth0_core::config::ClientCertificate;
/// // A PEM chain (leaf first) and its key, e.g. read from files.
/// let err = ClientCertificate::from_pem("not pem", "not pem").unwrap_err();
/// assert!(err.to_string().contains("certificate"));
/// ```
#[derive(Clone)]
pub struct ClientCertificate {
    chain: Arc<[Vec<u8>]>,
    key: Arc<[u8]>,
    format: KeyFormat,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("chain_length", &self.chain.len())
            .field("key", &"[REDACTED]")
            .finish()
    }
}

impl ClientCertificate {
    /// From a PEM document of `CERTIFICATE` blocks (the leaf first, then
    /// any intermediates) and one holding the private key (`PRIVATE KEY`,
    /// `EC PRIVATE KEY` or `RSA PRIVATE KEY`). The error never quotes the
    /// key.
    pub fn from_pem(chain_pem: &str, key_pem: &str) -> Result<Self, ConfigError> {
        let chain = match parse_pem_certificates(chain_pem) {
            Some(chain) if !chain.is_empty() => chain,
            _ => {
                return Err(invalid_client_certificate(
                    "the client certificate PEM holds no readable CERTIFICATE block",
                ));
            }
        };
        let key = [
            ("PRIVATE KEY", KeyFormat::Pkcs8),
            ("EC PRIVATE KEY", KeyFormat::Sec1),
            ("RSA PRIVATE KEY", KeyFormat::Pkcs1),
        ]
        .into_iter()
        .find_map(|(label, format)| {
            pem_blocks(key_pem, label)
                .and_then(|mut keys| keys.pop())
                .map(|key| (key, format))
        });
        let Some((key, format)) = key else {
            return Err(invalid_client_certificate(
                "the private key PEM holds no readable PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY block",
            ));
        };
        Self::checked(chain, key, format)
    }

    /// From DER certificates (the leaf first) and a PKCS#8 DER private key.
    pub fn from_der(chain: Vec<Vec<u8>>, pkcs8_key: Vec<u8>) -> Result<Self, ConfigError> {
        if chain.is_empty() {
            return Err(invalid_client_certificate(
                "the client certificate chain is empty",
            ));
        }
        Self::checked(chain, pkcs8_key, KeyFormat::Pkcs8)
    }

    fn checked(chain: Vec<Vec<u8>>, key: Vec<u8>, format: KeyFormat) -> Result<Self, ConfigError> {
        let certificate = Self {
            chain: chain.into(),
            key: key.into(),
            format,
        };
        rustls::crypto::ring::sign::any_supported_type(&certificate.private_key()).map_err(
            |_| {
                invalid_client_certificate(
                    "the private key is not a supported ECDSA, Ed25519 or RSA key",
                )
            },
        )?;
        Ok(certificate)
    }

    /// The chain, DER, leaf first.
    pub fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// The leaf certificate, DER: what a server sees and hashes for a
    /// certificate-bound token's `cnf.x5t#S256` (RFC 8705 §3.1).
    pub fn leaf(&self) -> &[u8] {
        self.chain.first().map_or(&[], Vec::as_slice)
    }

    /// The private key in rustls' form (for the transport).
    pub(crate) fn private_key(&self) -> rustls::pki_types::PrivateKeyDer<'static> {
        use rustls::pki_types::{
            PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer,
        };
        let der = self.key.to_vec();
        match self.format {
            KeyFormat::Pkcs8 => PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der)),
            KeyFormat::Sec1 => PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(der)),
            KeyFormat::Pkcs1 => PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(der)),
        }
    }
}

fn invalid_client_certificate(reason: &str) -> ConfigError {
    ConfigError::InvalidCertificate {
        reason: reason.to_owned(),
    }
}

/// How the client reaches the network.
///
/// Proxies are tunnelled with HTTP `CONNECT` (for `https://` and plain
/// loopback `http://` destinations alike); the proxy itself is spoken to in
/// plain HTTP. Credentials in the proxy URL (`http://user:pass@proxy:3128`)
/// are sent as `Proxy-Authorization: Basic` and never shown by `Debug`.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyConfig {
    /// Connect directly (the default). Environment variables are ignored.
    #[default]
    None,
    /// Send every request through this proxy URL (`http://host:port`).
    Url(String),
    /// Read `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (and
    /// their lower-case forms) when the client is built.
    FromEnv,
}

impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyConfig::None => f.write_str("None"),
            ProxyConfig::Url(url) => f.debug_tuple("Url").field(&redact_userinfo(url)).finish(),
            ProxyConfig::FromEnv => f.write_str("FromEnv"),
        }
    }
}

fn validate_proxy_url(url: &str) -> Result<(), ConfigError> {
    let shown = truncate_for_display(&redact_userinfo(url));
    let uri = Uri::from_str(url).map_err(|_| ConfigError::InvalidProxy {
        url: shown.clone(),
        reason: "not a valid URL",
    })?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => {
            return Err(ConfigError::InvalidProxy {
                url: shown,
                reason: "TLS to the proxy itself is not supported; use an http:// proxy URL (traffic to Auth0 is still TLS inside the tunnel)",
            });
        }
        _ => {
            return Err(ConfigError::InvalidProxy {
                url: shown,
                reason: "the proxy URL must start with http://",
            });
        }
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(ConfigError::InvalidProxy {
            url: shown,
            reason: "the proxy URL has no host",
        });
    }
    if uri.path_and_query().is_some_and(|pq| pq.as_str() != "/") {
        return Err(ConfigError::InvalidProxy {
            url: shown,
            reason: "the proxy URL must not have a path or query",
        });
    }
    Ok(())
}

/// Whether a header's value is a credential and must be hidden from `Debug`.
pub(crate) fn is_sensitive_header(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie" | "x-api-key"
    ) || name.as_str().contains("token")
        || name.as_str().contains("secret")
}

/// Writes a header map for `Debug`, with credential values replaced.
pub(crate) struct RedactedHeaders<'a>(pub(crate) &'a HeaderMap);

impl fmt::Debug for RedactedHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in self.0 {
            if is_sensitive_header(name) || value.is_sensitive() {
                map.entry(&name.as_str(), &"[REDACTED]");
            } else {
                map.entry(&name.as_str(), &value);
            }
        }
        map.finish()
    }
}

/// The validated configuration of an [`crate::client::Auth0Client`].
///
/// Built with [`ClientConfig::builder`]; cheap to clone.
///
/// ```
/// use std::time::Duration;
/// use auth0_core::config::ClientConfig;
///
/// let config = ClientConfig::builder()
///     .domain("tenant.eu.auth0.com")
///     .attempt_timeout(Duration::from_secs(10))
///     .default_header("x-request-source", "billing-service")
///     .build()?;
/// assert_eq!(config.domain().host(), "tenant.eu.auth0.com");
/// # Ok::<(), auth0_core::error::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct ClientConfig {
    domain: Domain,
    connect_timeout: Duration,
    attempt_timeout: Duration,
    deadline: Option<Duration>,
    retry: RetryPolicy,
    rate_limiter: Option<RateLimiter>,
    trace_url_path: bool,
    telemetry: bool,
    user_agent: Option<HeaderValue>,
    default_headers: HeaderMap,
    max_response_body: usize,
    proxy: ProxyConfig,
    allow_insecure_loopback: bool,
    pool_idle_timeout: Duration,
    pool_max_idle_per_host: usize,
    extra_roots: Arc<[Vec<u8>]>,
    client_certificate: Option<ClientCertificate>,
}

impl ClientConfig {
    /// Starts a builder; only the domain is required.
    pub fn builder() -> ClientConfigBuilder {
        ClientConfigBuilder::default()
    }

    /// A configuration with all defaults for this HTTPS domain.
    pub fn new(domain: &str) -> Result<Self, ConfigError> {
        Self::builder().domain(domain).build()
    }

    /// The tenant or custom domain requests are sent to.
    pub fn domain(&self) -> &Domain {
        &self.domain
    }
    /// Time allowed to establish a connection (TCP, proxy tunnel, TLS).
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }
    /// Time allowed for one attempt (response headers and body).
    pub fn attempt_timeout(&self) -> Duration {
        self.attempt_timeout
    }
    /// Time allowed for a whole call including retries, if bounded.
    pub fn deadline(&self) -> Option<Duration> {
        self.deadline
    }
    /// The retry policy of the default stack.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }
    /// The client-side rate limiter, if one is configured.
    pub fn rate_limiter(&self) -> Option<&RateLimiter> {
        self.rate_limiter.as_ref()
    }
    /// Whether the call's tracing span records the actual path as
    /// `url.path` (see [`crate::trace`]).
    pub fn trace_url_path(&self) -> bool {
        self.trace_url_path
    }
    /// Whether the `Auth0-Client` telemetry header is sent.
    pub fn telemetry(&self) -> bool {
        self.telemetry
    }
    /// The `User-Agent` sent, if any.
    pub fn user_agent(&self) -> Option<&HeaderValue> {
        self.user_agent.as_ref()
    }
    /// Headers added to every request that does not already set them.
    pub fn default_headers(&self) -> &HeaderMap {
        &self.default_headers
    }
    /// Largest response body accepted, in bytes.
    pub fn max_response_body(&self) -> usize {
        self.max_response_body
    }
    /// How the network is reached.
    pub fn proxy(&self) -> &ProxyConfig {
        &self.proxy
    }
    /// Whether plain HTTP to loopback hosts is allowed.
    pub fn allow_insecure_loopback(&self) -> bool {
        self.allow_insecure_loopback
    }
    /// How long an idle pooled connection is kept.
    pub fn pool_idle_timeout(&self) -> Duration {
        self.pool_idle_timeout
    }
    /// Most idle connections kept per host.
    pub fn pool_max_idle_per_host(&self) -> usize {
        self.pool_max_idle_per_host
    }
    /// DER certificates trusted in addition to the built-in (Mozilla) roots.
    pub fn extra_root_certificates(&self) -> &[Vec<u8>] {
        &self.extra_roots
    }
    /// The TLS client certificate presented when a server asks for one.
    pub fn client_certificate(&self) -> Option<&ClientCertificate> {
        self.client_certificate.as_ref()
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("domain", &self.domain)
            .field("connect_timeout", &self.connect_timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("deadline", &self.deadline)
            .field("retry", &self.retry)
            .field("rate_limiter", &self.rate_limiter.is_some())
            .field("telemetry", &self.telemetry)
            .field("user_agent", &self.user_agent)
            .field("default_headers", &RedactedHeaders(&self.default_headers))
            .field("max_response_body", &self.max_response_body)
            .field("proxy", &self.proxy)
            .field("allow_insecure_loopback", &self.allow_insecure_loopback)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("pool_max_idle_per_host", &self.pool_max_idle_per_host)
            .field("extra_root_certificates", &self.extra_roots.len())
            .field("client_certificate", &self.client_certificate)
            .finish()
    }
}

/// Builder for [`ClientConfig`]; see its example.
///
/// Setters never fail; [`ClientConfigBuilder::build`] reports the first
/// invalid value as a [`ConfigError`].
#[derive(Clone)]
#[must_use]
pub struct ClientConfigBuilder {
    domain: Option<String>,
    connect_timeout: Duration,
    attempt_timeout: Duration,
    deadline: Option<Duration>,
    retry: RetryPolicy,
    rate_limiter: Option<RateLimiter>,
    trace_url_path: bool,
    telemetry: bool,
    send_user_agent: bool,
    user_agent: Option<String>,
    headers: Vec<(String, String)>,
    max_response_body: usize,
    proxy: ProxyConfig,
    allow_insecure_loopback: bool,
    pool_idle_timeout: Duration,
    pool_max_idle_per_host: usize,
    extra_roots: Vec<Vec<u8>>,
    pem_error: bool,
    client_certificate: Option<ClientCertificate>,
}

impl Default for ClientConfigBuilder {
    fn default() -> Self {
        Self {
            domain: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            attempt_timeout: DEFAULT_ATTEMPT_TIMEOUT,
            deadline: Some(DEFAULT_DEADLINE),
            retry: RetryPolicy::default(),
            rate_limiter: None,
            trace_url_path: false,
            telemetry: true,
            send_user_agent: true,
            user_agent: None,
            headers: Vec::new(),
            max_response_body: DEFAULT_MAX_RESPONSE_BODY,
            proxy: ProxyConfig::None,
            allow_insecure_loopback: false,
            pool_idle_timeout: DEFAULT_POOL_IDLE_TIMEOUT,
            pool_max_idle_per_host: usize::MAX,
            extra_roots: Vec::new(),
            pem_error: false,
            client_certificate: None,
        }
    }
}

impl fmt::Debug for ClientConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| {
                let sensitive = HeaderName::from_str(n).map_or(true, |n| is_sensitive_header(&n));
                (
                    n.as_str(),
                    if sensitive { "[REDACTED]" } else { v.as_str() },
                )
            })
            .collect();
        f.debug_struct("ClientConfigBuilder")
            .field("domain", &self.domain.as_deref().map(redact_userinfo))
            .field("connect_timeout", &self.connect_timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("deadline", &self.deadline)
            .field("retry", &self.retry)
            .field("rate_limiter", &self.rate_limiter.is_some())
            .field("telemetry", &self.telemetry)
            .field("send_user_agent", &self.send_user_agent)
            .field("user_agent", &self.user_agent)
            .field("headers", &headers)
            .field("max_response_body", &self.max_response_body)
            .field("proxy", &self.proxy)
            .field("allow_insecure_loopback", &self.allow_insecure_loopback)
            .field("extra_root_certificates", &self.extra_roots.len())
            .field("client_certificate", &self.client_certificate)
            .finish_non_exhaustive()
    }
}

impl ClientConfigBuilder {
    /// The tenant or custom domain, e.g. `tenant.eu.auth0.com` (required).
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// Allows `http://localhost:PORT`, `http://127.0.0.1:PORT` and
    /// `http://[::1]:PORT` domains and request URLs, for tests and local
    /// emulators. Plain HTTP to any other host stays refused.
    pub fn allow_insecure_loopback(mut self, allow: bool) -> Self {
        self.allow_insecure_loopback = allow;
        self
    }

    /// Time allowed to open a connection, including proxy tunnel and TLS
    /// handshake (default 10 s). Exceeding it fails the attempt with
    /// [`crate::timeout::TimeoutKind::Connect`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for one attempt, response headers and body (default
    /// 30 s). Exceeding it fails the attempt with
    /// [`crate::timeout::TimeoutKind::Attempt`]; the retry policy decides
    /// whether to try again.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// Time allowed for a whole call including retries and their waits
    /// (default 90 s), after which it fails with
    /// [`crate::timeout::TimeoutKind::Deadline`].
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Removes the overall deadline; only per-attempt timeouts and the retry
    /// policy bound a call.
    pub fn no_deadline(mut self) -> Self {
        self.deadline = None;
        self
    }

    /// The retry policy (default: [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// A client-side rate limiter shared by every clone of the client (and
    /// by any other client given a clone of the same limiter).
    pub fn rate_limiter(mut self, limiter: RateLimiter) -> Self {
        self.rate_limiter = Some(limiter);
        self
    }

    /// Also record the actual path of each call as `url.path` in its
    /// tracing span (default off: paths carry user ids and e-mail
    /// addresses; the span always has the operation's `url.template`).
    pub fn trace_url_path(mut self, record: bool) -> Self {
        self.trace_url_path = record;
        self
    }

    /// Whether to send the `Auth0-Client` telemetry header (default on).
    pub fn telemetry(mut self, enabled: bool) -> Self {
        self.telemetry = enabled;
        self
    }

    /// Replaces the default `User-Agent` (`auth0-rust/<version> (rust
    /// <rustc version>)`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self.send_user_agent = true;
        self
    }

    /// Whether to send a `User-Agent` at all (default on).
    pub fn send_user_agent(mut self, enabled: bool) -> Self {
        self.send_user_agent = enabled;
        self
    }

    /// Adds a header sent with every request that does not set it itself
    /// (setting the same name again replaces the value). Values of credential headers (`Authorization`, cookies, names
    /// containing `token`/`secret`) are marked sensitive and never shown by
    /// `Debug`.
    pub fn default_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Largest response body accepted, in bytes (default 16 MiB). A larger
    /// body fails with [`crate::error::Error::BodyTooLarge`] without being
    /// buffered whole.
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = bytes;
        self
    }

    /// Sends every request through this HTTP proxy (`http://[user:pass@]host:port`).
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = ProxyConfig::Url(url.into());
        self
    }

    /// Uses the proxy named by `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`,
    /// honouring `NO_PROXY`. Without this call the environment is ignored.
    pub fn proxy_from_env(mut self) -> Self {
        self.proxy = ProxyConfig::FromEnv;
        self
    }

    /// Connects directly, ignoring proxy environment variables (default).
    pub fn no_proxy(mut self) -> Self {
        self.proxy = ProxyConfig::None;
        self
    }

    /// How long an idle pooled connection is kept (default 90 s).
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.pool_idle_timeout = timeout;
        self
    }

    /// Most idle connections kept per host (default unbounded).
    pub fn pool_max_idle_per_host(mut self, max: usize) -> Self {
        self.pool_max_idle_per_host = max;
        self
    }

    /// Trusts this CA certificate (DER) in addition to the built-in Mozilla
    /// roots, e.g. a corporate TLS-inspecting proxy's CA or a test CA.
    pub fn add_root_certificate(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.extra_roots.push(der.into());
        self
    }

    /// Trusts every `CERTIFICATE` block of a PEM document in addition to the
    /// built-in roots. A document with no certificate, or a block that is
    /// not valid base64, fails [`build`](Self::build).
    pub fn add_root_certificates_pem(mut self, pem: &str) -> Self {
        match parse_pem_certificates(pem) {
            Some(ders) if !ders.is_empty() => self.extra_roots.extend(ders),
            _ => self.pem_error = true,
        }
        self
    }

    /// Presents this certificate when a server asks for one during the TLS
    /// handshake (mutual TLS): RFC 8705 client authentication at Auth0's
    /// mTLS endpoint aliases (auth0-authentication's `tls_client_auth` and
    /// `self_signed_tls_client_auth`).
    pub fn client_certificate(mut self, certificate: ClientCertificate) -> Self {
        self.client_certificate = Some(certificate);
        self
    }

    /// Validates everything and builds the configuration.
    pub fn build(self) -> Result<ClientConfig, ConfigError> {
        let domain_text = self.domain.ok_or(ConfigError::MissingDomain)?;
        let domain = parse_domain(&domain_text, self.allow_insecure_loopback)?;

        for (name, value) in [
            ("connect_timeout", self.connect_timeout),
            ("attempt_timeout", self.attempt_timeout),
        ] {
            if value.is_zero() {
                return Err(ConfigError::InvalidTimeout { name });
            }
        }
        if self.deadline.is_some_and(|d| d.is_zero()) {
            return Err(ConfigError::InvalidTimeout { name: "deadline" });
        }
        if self.max_response_body == 0 {
            return Err(ConfigError::InvalidBodyLimit);
        }

        let user_agent = match (self.send_user_agent, self.user_agent) {
            (false, _) => None,
            (true, Some(text)) => {
                Some(HeaderValue::from_str(&text).map_err(|_| ConfigError::InvalidUserAgent)?)
            }
            (true, None) => Some(crate::telemetry::default_user_agent_header()),
        };

        let mut default_headers = HeaderMap::with_capacity(self.headers.len());
        for (name, value) in self.headers {
            let header_name =
                HeaderName::from_str(&name).map_err(|_| ConfigError::InvalidHeader {
                    name: truncate_for_display(&name),
                    reason: "not a valid header name",
                })?;
            let mut header_value =
                HeaderValue::from_str(&value).map_err(|_| ConfigError::InvalidHeader {
                    name: header_name.as_str().to_owned(),
                    reason: "the value contains characters not allowed in a header",
                })?;
            if is_sensitive_header(&header_name) {
                header_value.set_sensitive(true);
            }
            default_headers.insert(header_name, header_value);
        }

        if let ProxyConfig::Url(url) = &self.proxy {
            validate_proxy_url(url)?;
        }

        if self.pem_error {
            return Err(ConfigError::InvalidCertificate {
                reason: "the PEM document holds no readable CERTIFICATE block".to_owned(),
            });
        }
        let mut probe = rustls::RootCertStore::empty();
        for der in &self.extra_roots {
            probe
                .add(rustls::pki_types::CertificateDer::from(der.as_slice()))
                .map_err(|e| ConfigError::InvalidCertificate {
                    reason: e.to_string(),
                })?;
        }

        Ok(ClientConfig {
            domain,
            connect_timeout: self.connect_timeout,
            attempt_timeout: self.attempt_timeout,
            deadline: self.deadline,
            retry: self.retry,
            rate_limiter: self.rate_limiter,
            trace_url_path: self.trace_url_path,
            telemetry: self.telemetry,
            user_agent,
            default_headers,
            max_response_body: self.max_response_body,
            proxy: self.proxy,
            allow_insecure_loopback: self.allow_insecure_loopback,
            pool_idle_timeout: self.pool_idle_timeout,
            pool_max_idle_per_host: self.pool_max_idle_per_host,
            extra_roots: self.extra_roots.into(),
            client_certificate: self.client_certificate,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_userinfo() {
        assert_eq!(
            redact_userinfo("http://user:pw@proxy:3128"),
            "http://***@proxy:3128"
        );
        // A password with an unencoded `/` or `@` is hidden whole.
        assert_eq!(redact_userinfo("proxy:3128/a@b"), "***@b");
        assert_eq!(
            redact_userinfo("http://u:pa/ss@w@proxy:3128"),
            "http://***@proxy:3128"
        );
        assert_eq!(redact_userinfo("u:p@h"), "***@h");
    }

    #[test]
    fn proxy_validation() {
        assert!(validate_proxy_url("http://proxy:3128").is_ok());
        assert!(validate_proxy_url("http://u:p@proxy:3128/").is_ok());
        assert!(validate_proxy_url("https://proxy:3128").is_err());
        assert!(validate_proxy_url("socks5://proxy:1080").is_err());
        assert!(validate_proxy_url("http://proxy:3128/path").is_err());
        let err = validate_proxy_url("ftp://user:hunter2@proxy").unwrap_err();
        assert!(!format!("{err} {err:?}").contains("hunter2"));
    }

    #[test]
    fn resolve_relative_and_absolute() {
        let d = Domain::parse("tenant.auth0.com").unwrap();
        let rel: Uri = "/api/v2/users?q=a".parse().unwrap();
        assert_eq!(
            d.resolve(rel).unwrap().to_string(),
            "https://tenant.auth0.com/api/v2/users?q=a"
        );
        for bad in ["other.example.com", "example.com:443", "*"] {
            let uri: Uri = bad.parse().unwrap();
            assert!(
                matches!(d.resolve(uri), Err(ConfigError::InvalidPath { .. })),
                "{bad}"
            );
        }
        let abs: Uri = "https://other.example.com/x".parse().unwrap();
        assert_eq!(
            d.resolve(abs).unwrap().to_string(),
            "https://other.example.com/x"
        );
    }

    #[test]
    fn loopback_detection() {
        for h in [
            "localhost",
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
            "a.localhost",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["example.com", "10.0.0.1", "::2", "localhost.example.com"] {
            assert!(!is_loopback(h), "{h}");
        }
    }
}
