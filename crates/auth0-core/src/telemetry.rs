//! Identifying headers: `Auth0-Client` telemetry, `User-Agent`, and the
//! configured default headers.
//!
//! All header values are built once, when the layer is created; per request
//! the layer only inserts ref-counted copies (no formatting, no encoding).

use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use base64::Engine as _;
use http::header::{HeaderName, HeaderValue, USER_AGENT};
use tower_layer::Layer;
use tower_service::Service;

use crate::config::ClientConfig;
use crate::types::HttpRequest;

/// The `Auth0-Client` header name.
pub const AUTH0_CLIENT: HeaderName = HeaderName::from_static("auth0-client");
/// The SDK name reported in telemetry.
pub const SDK_NAME: &str = "auth0-rust";
/// This crate's version.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");
/// Version of the compiler that built this crate, or `"unknown"`.
pub const RUSTC_VERSION: &str = env!("AUTH0_CORE_RUSTC_VERSION");

/// The default `User-Agent`: `auth0-rust/<version> (rust <rustc version>)`.
pub fn default_user_agent() -> String {
    format!("{SDK_NAME}/{SDK_VERSION} (rust {RUSTC_VERSION})")
}

/// The `Auth0-Client` value: standard base64 with padding (as auth0-python sends it)
/// of `{"name":"auth0-rust","version":…,"env":{"rust":…}}`.
///
/// ```
/// use base64::Engine as _;
/// let value = auth0_core::telemetry::auth0_client_value();
/// let json = base64::engine::general_purpose::STANDARD
///     .decode(value.as_bytes())
///     .unwrap();
/// let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
/// assert_eq!(json["name"], "auth0-rust");
/// ```
pub fn auth0_client_value() -> HeaderValue {
    let json = serde_json::json!({
        "name": SDK_NAME,
        "version": SDK_VERSION,
        "env": { "rust": RUSTC_VERSION },
    });
    let encoded = base64::engine::general_purpose::STANDARD.encode(json.to_string());
    // Base64 output is always a valid header value; fall back to a static
    // empty-safe value rather than panicking should that ever change.
    HeaderValue::from_str(&encoded).unwrap_or_else(|_| HeaderValue::from_static("e30"))
}

/// `make()`'s value, made once per process into a buffer that lives as
/// long as the process: the clones every request takes copy a pointer
/// instead of counting references (two atomic operations per header and
/// request fewer). Only for values that are the same for the whole
/// process, so the buffer is one per value, never one per client.
fn process_wide(cell: &'static OnceLock<HeaderValue>, make: fn() -> HeaderValue) -> HeaderValue {
    cell.get_or_init(|| {
        let value = make();
        let text: &'static [u8] = Box::leak(value.as_bytes().to_vec().into_boxed_slice());
        HeaderValue::from_maybe_shared(bytes::Bytes::from_static(text)).unwrap_or(value)
    })
    .clone()
}

/// [`auth0_client_value`], built once per process.
fn auth0_client_header() -> HeaderValue {
    static VALUE: OnceLock<HeaderValue> = OnceLock::new();
    process_wide(&VALUE, auth0_client_value)
}

/// [`default_user_agent`] as a header value, built once per process.
pub(crate) fn default_user_agent_header() -> HeaderValue {
    static VALUE: OnceLock<HeaderValue> = OnceLock::new();
    process_wide(&VALUE, || {
        HeaderValue::from_str(&default_user_agent())
            .unwrap_or_else(|_| HeaderValue::from_static(SDK_NAME))
    })
}

/// The precomputed headers a [`Telemetry`] service adds.
#[derive(Debug, Clone, Default)]
pub struct TelemetryHeaders {
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl TelemetryHeaders {
    /// No headers.
    pub fn new() -> Self {
        Self::default()
    }

    /// The headers a [`ClientConfig`] asks for: `Auth0-Client` (if
    /// telemetry is on), `User-Agent` (if enabled) and the default headers.
    pub fn from_config(config: &ClientConfig) -> Self {
        let mut this = Self::new();
        if config.telemetry() {
            this = this.with(AUTH0_CLIENT, auth0_client_header());
        }
        if let Some(ua) = config.user_agent() {
            this = this.with(USER_AGENT, ua.clone());
        }
        for (name, value) in config.default_headers() {
            this = this.with(name.clone(), value.clone());
        }
        this
    }

    /// Adds a header, replacing an earlier value for the same name.
    #[must_use]
    pub fn with(mut self, name: HeaderName, value: HeaderValue) -> Self {
        match self.headers.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.headers.push((name, value)),
        }
        self
    }

    /// True when there is nothing to add.
    pub fn is_empty(&self) -> bool {
        self.headers.is_empty()
    }
}

/// Adds the [`TelemetryHeaders`] to every request that does not already set
/// them (a header set on the request wins).
///
/// ```
/// use auth0_core::config::ClientConfig;
/// use auth0_core::telemetry::TelemetryLayer;
/// let config = ClientConfig::new("tenant.auth0.com")?;
/// let layer = TelemetryLayer::from_config(&config);
/// # let _ = layer;
/// # Ok::<(), auth0_core::error::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct TelemetryLayer {
    headers: Arc<TelemetryHeaders>,
}

impl TelemetryLayer {
    /// A layer adding these headers.
    pub fn new(headers: TelemetryHeaders) -> Self {
        Self {
            headers: Arc::new(headers),
        }
    }

    /// A layer adding the headers `config` asks for.
    pub fn from_config(config: &ClientConfig) -> Self {
        Self::new(TelemetryHeaders::from_config(config))
    }
}

impl<S> Layer<S> for TelemetryLayer {
    type Service = Telemetry<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Telemetry {
            inner,
            headers: Arc::clone(&self.headers),
        }
    }
}

/// The service of [`TelemetryLayer`].
#[derive(Debug, Clone)]
pub struct Telemetry<S> {
    inner: S,
    headers: Arc<TelemetryHeaders>,
}

impl<S> Service<HttpRequest> for Telemetry<S>
where
    S: Service<HttpRequest>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: HttpRequest) -> Self::Future {
        let headers = req.headers_mut();
        for (name, value) in &self.headers.headers {
            // One hash lookup per header; a value the request set wins.
            headers.entry(name).or_insert_with(|| value.clone());
        }
        self.inner.call(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telemetry_json_shape() {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(auth0_client_value().as_bytes())
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&raw).unwrap();
        assert_eq!(v["name"], "auth0-rust");
        assert_eq!(v["version"], SDK_VERSION);
        assert_eq!(v["env"]["rust"], RUSTC_VERSION);
        assert!(RUSTC_VERSION.starts_with("1.") || RUSTC_VERSION == "unknown");
    }

    #[test]
    fn process_wide_values_are_the_built_ones() {
        assert_eq!(auth0_client_header(), auth0_client_value());
        assert_eq!(auth0_client_header(), auth0_client_header());
        assert_eq!(
            default_user_agent_header().to_str().unwrap(),
            default_user_agent()
        );
    }

    #[test]
    fn user_agent_format() {
        let ua = default_user_agent();
        assert!(ua.starts_with("auth0-rust/0."), "{ua}");
        assert!(ua.contains("(rust "), "{ua}");
    }
}
