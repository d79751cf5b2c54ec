//! The device authorization grant (RFC 8628) for input-constrained devices:
//! [`AuthenticationClient::device_authorization`] starts a login
//! (`POST /oauth/device/code`), the user enters the `user_code` at the
//! `verification_uri` on another device, and
//! [`AuthenticationClient::poll_device_token`] polls the token endpoint
//! until they approve or refuse, or the code expires.
//!
//! Polling follows RFC 8628 §3.5: `authorization_pending` waits `interval`
//! seconds, `slow_down` adds 5 s to the interval for this and every later
//! poll, `expired_token` and `access_denied` end it
//! ([`DeviceFlowError`]). Auth0 answers `slow_down` with a `429` (RFC 8628
//! names a `400`; both are read the same way). Each poll carries
//! auth0-core's [`NoRateLimitRetry`](auth0_core::retry::NoRateLimitRetry),
//! so the stack's rate-limit retry hands that `429` straight back instead of
//! absorbing it (a retry after its own short backoff would only be too fast
//! again): the poller sees every `slow_down` and lengthens its interval. A
//! `429` with another error code (the tenant's rate limit) makes the poller
//! wait until the limit resets, at least one interval, without growing it.
//! A `slow_down` answer's `Retry-After`, when longer than the grown
//! interval, is waited out (a server asking for more than RFC 8628's 5 s).
//! The rule is [`PollInterval`], tested on its own; CIBA's poller
//! ([`AuthenticationClient::poll_back_channel_token`]) runs the same loop.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use auth0_core::error::Error;
use auth0_core::retry::server_requested_wait;
use auth0_core::types::HttpService;
use http::HeaderMap;
use serde::Deserialize;

use crate::client::{AuthenticationClient, Encoding, decode, invalid_request};
use crate::token::TokenResponse;

/// `grant_type` of the device code grant (RFC 8628 §3.4).
pub const GRANT_DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The polling interval when the server names none (RFC 8628 §3.2).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// What to ask for when starting a device login; pass it to
/// [`AuthenticationClient::device_authorization`].
///
/// ```
/// use auth0_authentication::DeviceCodeRequest;
/// let request = DeviceCodeRequest::new()
///     .scope("openid profile offline_access")
///     .audience("https://api.example.com/");
/// # let _ = request;
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct DeviceCodeRequest {
    scope: Option<String>,
    audience: Option<String>,
    organization: Option<String>,
}

impl DeviceCodeRequest {
    /// An empty request (Auth0's defaults: scope `openid`, the tenant's
    /// default audience).
    pub fn new() -> Self {
        Self::default()
    }

    /// Requested scopes, space separated (`offline_access` for a refresh
    /// token).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The API to get an access token for.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The organization to log the user in to.
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }
}

/// The answer to a device authorization request (RFC 8628 §3.2).
///
/// Show the user `user_code` and `verification_uri` (or
/// `verification_uri_complete`, e.g. as a QR code); keep `device_code`,
/// which `Debug` hides.
#[derive(Clone, Deserialize)]
#[non_exhaustive]
pub struct DeviceAuthorization {
    /// The device verification code, for polling.
    pub device_code: String,
    /// The code the user enters at the verification URI.
    pub user_code: String,
    /// Where the user enters the code.
    pub verification_uri: String,
    /// The verification URI with the code in it, when the server gives one.
    #[serde(default)]
    pub verification_uri_complete: Option<String>,
    /// Seconds until the codes expire.
    pub expires_in: u64,
    /// Minimum seconds between polls (default 5).
    #[serde(default = "default_interval")]
    pub interval: u64,
}

fn default_interval() -> u64 {
    DEFAULT_INTERVAL.as_secs()
}

impl fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("device_code", &"[REDACTED]")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("verification_uri_complete", &self.verification_uri_complete)
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .finish()
    }
}

/// Why polling for a device login's tokens ended without them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceFlowError {
    /// The user refused (`access_denied`).
    #[error("the user denied the device login")]
    Denied,
    /// The device code expired before the user approved (`expired_token`,
    /// or its `expires_in` passed): start a new device login.
    #[error("the device code expired")]
    Expired,
    /// The caller's deadline passed before the user decided.
    #[error("gave up polling for the device login after {waited:?}")]
    DeadlineExceeded {
        /// How long the poller had waited.
        waited: Duration,
    },
    /// Any other failure (a network error, an unknown `device_code`, a
    /// client not allowed the grant, …).
    #[error(transparent)]
    Request(#[from] Error),
}

/// What the poller does after one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PollStep {
    /// Poll again after this wait.
    Wait(Duration),
    /// Stop: the user refused.
    Denied,
    /// Stop: the code expired.
    Expired,
    /// Stop: another error.
    Fail,
}

/// RFC 8628 §3.5's polling rule: the interval, grown by 5 s on each
/// `slow_down`, and what each error answer means.
///
/// ```
/// use std::time::Duration;
/// use auth0_authentication::device::{PollInterval, PollStep};
///
/// let mut interval = PollInterval::new(Duration::from_secs(5));
/// assert_eq!(interval.after("authorization_pending"), PollStep::Wait(Duration::from_secs(5)));
/// assert_eq!(interval.after("slow_down"), PollStep::Wait(Duration::from_secs(10)));
/// assert_eq!(interval.after("authorization_pending"), PollStep::Wait(Duration::from_secs(10)));
/// assert_eq!(interval.after("access_denied"), PollStep::Denied);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollInterval {
    interval: Duration,
}

impl PollInterval {
    /// Starts at the server's `interval` (at least 1 s, so a server
    /// answering 0 is not hammered).
    pub fn new(interval: Duration) -> Self {
        Self {
            interval: interval.max(Duration::from_secs(1)),
        }
    }

    /// The current interval.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The step after an error answer with this `error` code.
    pub fn after(&mut self, error_code: &str) -> PollStep {
        match error_code {
            "authorization_pending" => PollStep::Wait(self.interval),
            "slow_down" => {
                self.interval = self.interval.saturating_add(Duration::from_secs(5));
                PollStep::Wait(self.interval)
            }
            "expired_token" => PollStep::Expired,
            "access_denied" => PollStep::Denied,
            _ => PollStep::Fail,
        }
    }
}

impl<S> AuthenticationClient<S>
where
    S: HttpService,
{
    /// Starts a device login (`POST /oauth/device/code`, RFC 8628 §3.1,
    /// form encoded), with the client's authentication when it has any.
    /// The application needs the Device Code grant (a Native application
    /// on Auth0).
    ///
    /// ```no_run
    /// # use auth0_authentication::DeviceCodeRequest;
    /// # async fn f(auth: auth0_authentication::AuthenticationClient) -> Result<(), Box<dyn std::error::Error>> {
    /// let device = auth
    ///     .device_authorization(&DeviceCodeRequest::new().scope("openid offline_access"))
    ///     .await?;
    /// println!("Go to {} and enter {}", device.verification_uri, device.user_code);
    /// let tokens = auth.poll_device_token(&device, None).await?;
    /// # let _ = tokens; Ok(()) }
    /// ```
    pub async fn device_authorization(
        &self,
        request: &DeviceCodeRequest,
    ) -> Result<DeviceAuthorization, Error> {
        let fields = self
            .fields()
            .opt("scope", request.scope.as_deref())
            .opt("audience", request.audience.as_deref())
            .opt("organization", request.organization.as_deref());
        let fields = self.authenticate(fields)?;
        let response = self
            .post(
                "/oauth/device/code",
                &fields,
                Encoding::Form,
                HeaderMap::new(),
            )
            .await?;
        decode(&response)
    }

    /// One poll of the device code grant (RFC 8628 §3.4). Until the user
    /// decides, Auth0 answers with an [`Error`] whose `error_code` is
    /// `authorization_pending` (or `slow_down`, an
    /// [`Error::RateLimited`] that the stack hands back at once rather than
    /// retrying); see [`poll_device_token`](Self::poll_device_token) for the
    /// loop.
    pub async fn device_token(&self, device_code: &str) -> Result<TokenResponse, Error> {
        if device_code.is_empty() {
            return Err(invalid_request("the device code is empty"));
        }
        let fields = self
            .fields()
            .str("grant_type", GRANT_DEVICE_CODE)
            .str("device_code", device_code)
            .without_rate_limit_retry();
        self.token_request(fields, true, HeaderMap::new()).await
    }

    /// Polls until the user approves (the tokens), refuses
    /// ([`DeviceFlowError::Denied`]), the code expires
    /// ([`DeviceFlowError::Expired`], also when its `expires_in` passes) or
    /// `deadline` (from now) passes ([`DeviceFlowError::DeadlineExceeded`]).
    /// The first poll is sent at once; then `interval` seconds apart, plus
    /// 5 s per `slow_down` (RFC 8628 §3.5; see the [module docs](self)).
    pub async fn poll_device_token(
        &self,
        device: &DeviceAuthorization,
        deadline: Option<Duration>,
    ) -> Result<TokenResponse, DeviceFlowError> {
        poll_grant(
            Duration::from_secs(device.interval),
            Duration::from_secs(device.expires_in),
            deadline,
            || self.device_token(&device.device_code),
        )
        .await
        .map_err(|end| match end {
            PollEnd::Denied => DeviceFlowError::Denied,
            PollEnd::Expired => DeviceFlowError::Expired,
            PollEnd::DeadlineExceeded { waited } => DeviceFlowError::DeadlineExceeded { waited },
            PollEnd::Request(error) => DeviceFlowError::Request(error),
        })
    }
}

/// How a polling loop ended without tokens.
pub(crate) enum PollEnd {
    /// `access_denied`.
    Denied,
    /// `expired_token`, or the request's `expires_in` passed.
    Expired,
    /// The caller's deadline passed first.
    DeadlineExceeded { waited: Duration },
    /// Any other answer or failure.
    Request(Error),
}

/// The polling loop of the grants that wait for a user on another device
/// (the device code grant, RFC 8628 §3.5, and CIBA's poll mode, CIBA Core
/// §7.3 and §11, which takes the same rule): `poll` once at once, then
/// every `interval` ([`PollInterval`]: `slow_down` adds 5 s for good) until
/// tokens, a terminal answer, `expires_in` or `deadline`.
///
/// A `slow_down` answer's `Retry-After` (Auth0 sends one, and asks for
/// longer waits from clients that keep polling too fast; read by
/// auth0-core's `server_requested_wait`, which the retry layer uses too) is
/// waited out when it is longer than the grown interval. Each poll must carry
/// [`NoRateLimitRetry`](auth0_core::retry::NoRateLimitRetry) so a `429`
/// `slow_down` reaches this loop instead of being resent by the stack.
pub(crate) async fn poll_grant<F, Fut>(
    interval: Duration,
    expires_in: Duration,
    deadline: Option<Duration>,
    mut poll: F,
) -> Result<TokenResponse, PollEnd>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<TokenResponse, Error>>,
{
    let started = tokio::time::Instant::now();
    let expires = started + expires_in;
    let give_up = deadline.map(|d| started + d);
    let mut interval = PollInterval::new(interval);
    loop {
        let error = match poll().await {
            Ok(tokens) => return Ok(tokens),
            Err(error) => error,
        };
        let code = error.error_code().unwrap_or_default();
        let wait = match (&error, interval.after(code)) {
            (_, PollStep::Wait(wait)) if code == "slow_down" => {
                let asked = error.auth0_error().and_then(|answer| {
                    server_requested_wait(&answer.headers, std::time::SystemTime::now())
                });
                wait.max(asked.unwrap_or_default())
            }
            (_, PollStep::Wait(wait)) => wait,
            (_, PollStep::Denied) => return Err(PollEnd::Denied),
            (_, PollStep::Expired) => return Err(PollEnd::Expired),
            // The tenant's own rate limit (not `slow_down`): wait for
            // its reset, at least one interval.
            (Error::RateLimited(limit), _) => interval.interval().max(
                limit
                    .until_reset(std::time::SystemTime::now())
                    .unwrap_or_default(),
            ),
            _ => return Err(PollEnd::Request(error)),
        };
        let next = tokio::time::Instant::now() + wait;
        if next >= expires {
            return Err(PollEnd::Expired);
        }
        if give_up.is_some_and(|at| next >= at) {
            return Err(PollEnd::DeadlineExceeded {
                waited: started.elapsed(),
            });
        }
        tokio::time::sleep_until(next).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_rules() {
        let mut p = PollInterval::new(Duration::ZERO);
        assert_eq!(p.interval(), Duration::from_secs(1));
        assert_eq!(p.after("slow_down"), PollStep::Wait(Duration::from_secs(6)));
        assert_eq!(
            p.after("slow_down"),
            PollStep::Wait(Duration::from_secs(11))
        );
        assert_eq!(p.after("expired_token"), PollStep::Expired);
        assert_eq!(p.after("invalid_grant"), PollStep::Fail);
        assert_eq!(p.interval(), Duration::from_secs(11));
    }

    #[test]
    fn debug_hides_device_code() {
        let d: DeviceAuthorization = serde_json::from_str(
            r#"{"device_code":"dev-SECRET","user_code":"ABCD-EFGH","verification_uri":"https://x/activate","expires_in":900}"#,
        )
        .unwrap();
        assert_eq!(d.interval, 5);
        assert!(!format!("{d:?}").contains("dev-SECRET"));
    }
}
