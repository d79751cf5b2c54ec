//! Pushed Authorization Requests (RFC 9126, `POST /oauth/par`) and
//! Client-Initiated Backchannel Authentication (CIBA, `POST /bc-authorize`
//! and its token grant), as auth0-python's `PushedAuthorizationRequests`
//! and `BackChannelLogin`. Both endpoints take form-encoded bodies.

use std::fmt;

use auth0_core::error::Error;
use auth0_core::types::HttpService;
use http::HeaderMap;
use serde::Deserialize;

use crate::client::{AuthenticationClient, Encoding, decode};
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

    /// Polls for the tokens of a CIBA login (`POST /oauth/token`,
    /// `grant_type=urn:openid:params:grant-type:ciba`, form encoded). Until
    /// the user approves, Auth0 answers `authorization_pending` (an
    /// [`Error::Api`] with that `error_code`); `slow_down` means poll less
    /// often.
    pub async fn back_channel_token(&self, auth_req_id: &str) -> Result<TokenResponse, Error> {
        let fields = self
            .fields()
            .str("grant_type", GRANT_CIBA)
            .str("auth_req_id", auth_req_id);
        let fields = &self.authenticate(fields)?;
        let response = self
            .with_dpop(&http::Method::POST, "/oauth/token", None, move |dpop| {
                self.post("/oauth/token", fields, Encoding::Form, dpop)
            })
            .await?;
        self.checked_tokens(decode(&response)?).await
    }
}
