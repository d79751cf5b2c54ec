//! Pushed Authorization Requests (RFC 9126, `POST /oauth/par`) and
//! Client-Initiated Backchannel Authentication (CIBA, `POST /bc-authorize`
//! and its token grant), as auth0-python's `PushedAuthorizationRequests`
//! and `BackChannelLogin`. Both endpoints take form-encoded bodies.
//!
//! A CIBA login is finished by polling the token endpoint
//! ([`AuthenticationClient::poll_back_channel_token`]) with the device
//! flow's rule (CIBA Core §11 takes RFC 8628's `slow_down`): wait
//! `interval` (5 s when absent, CIBA Core §7.3) after `authorization_pending`,
//! add 5 s for good after `slow_down` (and wait out a longer `Retry-After`,
//! which Auth0 sends), stop at `access_denied` or `expired_token`.

use std::fmt;
use std::time::Duration;

use auth0_core::error::Error;
use auth0_core::types::HttpService;
use http::HeaderMap;
use serde::Deserialize;

use crate::client::{AuthenticationClient, Encoding, decode, invalid_request};
use crate::device::{DEFAULT_INTERVAL, PollEnd, poll_grant};
use crate::token::TokenResponse;

/// `grant_type` of the CIBA token request.
pub const GRANT_CIBA: &str = "urn:openid:params:grant-type:ciba";

/// Fields the client sets itself; extra parameters may not override them.
const RESERVED: &[&str] = &[
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
];

/// The answer to a pushed authorization request: pass `request_uri` to
/// `/authorize` (with [`AuthorizeUrl::param`](crate::AuthorizeUrl::param)).
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct PushedAuthorization {
    /// The reference to the pushed request (`urn:ietf:params:oauth:request_uri:…`).
    pub request_uri: String,
    /// Seconds until `request_uri` expires.
    pub expires_in: u64,
}

/// The answer to a backchannel authentication request.
#[derive(Clone, Deserialize)]
#[non_exhaustive]
pub struct BackChannelAuthorization {
    /// Identifies the request when polling with
    /// [`AuthenticationClient::back_channel_token`]. `Debug` hides it.
    pub auth_req_id: String,
    /// Seconds until the request expires.
    pub expires_in: u64,
    /// Minimum seconds between polls.
    #[serde(default)]
    pub interval: Option<u64>,
}

impl fmt::Debug for BackChannelAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackChannelAuthorization")
            .field("auth_req_id", &"[REDACTED]")
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .finish()
    }
}

/// Why polling for a CIBA login's tokens ended without them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackChannelLoginError {
    /// The user refused on their authentication device (`access_denied`;
    /// Auth0 also answers it for a request that expired unanswered).
    #[error("the user denied the back-channel login")]
    Denied,
    /// The request expired before the user decided (`expired_token`, or
    /// its `expires_in` passed): start a new one.
    #[error("the back-channel login request expired")]
    Expired,
    /// The caller's deadline passed before the user decided.
    #[error("gave up polling for the back-channel login after {waited:?}")]
    DeadlineExceeded {
        /// How long the poller had waited.
        waited: Duration,
    },
    /// Any other failure (a network error, an unknown `auth_req_id`, a
    /// refused client, …).
    #[error(transparent)]
    Request(#[from] Error),
}

fn check_extra(extra: &[(&str, &str)]) -> Result<(), Error> {
    if let Some((name, _)) = extra.iter().find(|(k, _)| RESERVED.contains(k)) {
        return Err(Error::InvalidRequest {
            reason: format!("the parameter `{name}` is set by the client and can't be overridden"),
            source: None,
        });
    }
    Ok(())
}

impl<S> AuthenticationClient<S>
where
    S: HttpService,
{
    /// Pushes an authorization request (`POST /oauth/par`, form encoded,
    /// client authentication added). `extra` carries any other
    /// `/authorize` parameter (`scope`, `state`, `audience`,
    /// `authorization_details`, `request`, …).
    ///
    /// ```no_run
    /// # async fn f(auth: auth0_authentication::AuthenticationClient) -> Result<(), Box<dyn std::error::Error>> {
    /// let par = auth
    ///     .pushed_authorization_request("code", "https://app.example.com/callback", &[("scope", "openid")])
    ///     .await?;
    /// let url = auth.authorize_url().param("request_uri", par.request_uri).build()?;
    /// # let _ = url; Ok(()) }
    /// ```
    pub async fn pushed_authorization_request(
        &self,
        response_type: &str,
        redirect_uri: &str,
        extra: &[(&str, &str)],
    ) -> Result<PushedAuthorization, Error> {
        check_extra(extra)?;
        let mut fields = self
            .fields()
            .str("response_type", response_type)
            .str("redirect_uri", redirect_uri);
        for (k, v) in extra {
            fields = fields.str(k, v);
        }
        let fields = self.authenticate(fields)?;
        let response = self
            .post("/oauth/par", &fields, Encoding::Form, HeaderMap::new())
            .await?;
        decode(&response)
    }

    /// Starts a CIBA login (`POST /bc-authorize`, form encoded, client
    /// authentication added). `login_hint` is the JSON `iss_sub` hint,
    /// e.g. `{"format":"iss_sub","iss":"https://tenant.auth0.com/","sub":"auth0|1"}`;
    /// `scope` must contain `openid`. `extra` adds other parameters
    /// (`audience`, `requested_expiry`, `authorization_details`, …).
    ///
    /// ```no_run
    /// # async fn f(auth: auth0_authentication::AuthenticationClient) -> Result<(), auth0_core::Error> {
    /// let hint = r#"{"format":"iss_sub","iss":"https://tenant.auth0.com/","sub":"auth0|1"}"#;
    /// let req = auth.back_channel_login("Pay 50 EUR to ACME", hint, "openid", &[]).await?;
    /// let tokens = auth.back_channel_token(&req.auth_req_id).await; // poll every `interval` s
    /// # let _ = tokens; Ok(()) }
    /// ```
    pub async fn back_channel_login(
        &self,
        binding_message: &str,
        login_hint: &str,
        scope: &str,
        extra: &[(&str, &str)],
    ) -> Result<BackChannelAuthorization, Error> {
        check_extra(extra)?;
        let mut fields = self
            .fields()
            .str("binding_message", binding_message)
            .str("login_hint", login_hint)
            .str("scope", scope);
        for (k, v) in extra {
            fields = fields.str(k, v);
        }
        let fields = self.authenticate(fields)?;
        let response = self
            .post("/bc-authorize", &fields, Encoding::Form, HeaderMap::new())
            .await?;
        decode(&response)
    }

    /// One poll for the tokens of a CIBA login (`POST /oauth/token`,
    /// `grant_type=urn:openid:params:grant-type:ciba`, form encoded). Until
    /// the user approves, Auth0 answers `authorization_pending` (an
    /// [`Error::Api`] with that `error_code`); `slow_down` means poll less
    /// often, and is handed back after one attempt even when it comes as a
    /// `429` (the stack does not resend it on its own, faster than asked).
    /// [`poll_back_channel_token`](Self::poll_back_channel_token) is the
    /// loop.
    pub async fn back_channel_token(&self, auth_req_id: &str) -> Result<TokenResponse, Error> {
        if auth_req_id.is_empty() {
            return Err(invalid_request("the auth_req_id is empty"));
        }
        let fields = self
            .fields()
            .str("grant_type", GRANT_CIBA)
            .str("auth_req_id", auth_req_id)
            .without_rate_limit_retry();
        let fields = &self.authenticate(fields)?;
        let response = self
            .with_dpop(&http::Method::POST, "/oauth/token", None, move |dpop| {
                self.post("/oauth/token", fields, Encoding::Form, dpop)
            })
            .await?;
        self.checked_tokens(decode(&response)?).await
    }

    /// Polls until the user approves the CIBA login (the tokens), refuses
    /// ([`BackChannelLoginError::Denied`]), the request expires
    /// ([`BackChannelLoginError::Expired`], also when its `expires_in`
    /// passes) or `deadline` (from now) passes
    /// ([`BackChannelLoginError::DeadlineExceeded`]). The first poll is sent
    /// at once, then every `interval` seconds (5 when Auth0 names none),
    /// plus 5 s for this and every later poll after each `slow_down`, or the
    /// answer's longer `Retry-After` (see the [module docs](self)).
    ///
    /// ```no_run
    /// # async fn f(auth: auth0_authentication::AuthenticationClient) -> Result<(), Box<dyn std::error::Error>> {
    /// let hint = r#"{"format":"iss_sub","iss":"https://tenant.auth0.com/","sub":"auth0|1"}"#;
    /// let request = auth.back_channel_login("Pay 50 EUR to ACME", hint, "openid", &[]).await?;
    /// let tokens = auth
    ///     .poll_back_channel_token(&request, Some(std::time::Duration::from_secs(120)))
    ///     .await?;
    /// # let _ = tokens; Ok(()) }
    /// ```
    pub async fn poll_back_channel_token(
        &self,
        request: &BackChannelAuthorization,
        deadline: Option<Duration>,
    ) -> Result<TokenResponse, BackChannelLoginError> {
        let interval = request
            .interval
            .map_or(DEFAULT_INTERVAL, Duration::from_secs);
        poll_grant(
            interval,
            Duration::from_secs(request.expires_in),
            deadline,
            || self.back_channel_token(&request.auth_req_id),
        )
        .await
        .map_err(|end| match end {
            PollEnd::Denied => BackChannelLoginError::Denied,
            PollEnd::Expired => BackChannelLoginError::Expired,
            PollEnd::DeadlineExceeded { waited } => {
                BackChannelLoginError::DeadlineExceeded { waited }
            }
            PollEnd::Request(error) => BackChannelLoginError::Request(error),
        })
    }
}
