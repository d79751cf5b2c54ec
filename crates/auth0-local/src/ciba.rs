//! Client-Initiated Backchannel Authentication (OpenID Connect CIBA Core
//! 1.0, poll mode) as Auth0 runs it: `POST /bc-authorize` names the user
//! with an `iss_sub` login hint and answers an `auth_req_id`; the
//! `urn:openid:params:grant-type:ciba` grant answers
//! `authorization_pending` (or `slow_down` when polled faster than the
//! interval) until the user decides. No push notification is sent: a test
//! decides with [`LocalTenant::approve_back_channel_login`] or
//! [`LocalTenant::deny_back_channel_login`], or ends the request's life
//! with [`LocalTenant::expire_back_channel_login`].
//!
//! `slow_down` is answered as Auth0 documents it ("Back-Channel Login flow
//! – Status Check"): with the seconds to wait in the description and in a
//! `Retry-After` header, a wait that grows by 5 s each time the client
//! polls too fast again (CIBA Core §11 takes RFC 8628's rule; the first
//! answer says 10 seconds, as Auth0's example does). Later polls are judged
//! against the grown interval.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use http::StatusCode;
use serde_json::{Map, Value, json};

use crate::routes::{authenticate_client, unauthorized_client, user_login, user_tokens};
use crate::server::{Req, Resp, json, oauth_error};
use crate::tenant::{Shared, UserLogin, lock, now_secs, random_id};
use crate::{LocalTenant, TenantError};

/// The CIBA grant type.
pub(crate) const GRANT: &str = "urn:openid:params:grant-type:ciba";
/// Seconds a request lives without `requested_expiry` (Auth0: 300).
const DEFAULT_EXPIRY: i64 = 300;
/// The longest `requested_expiry` Auth0 accepts (72 hours).
const MAX_EXPIRY: i64 = 259_200;
/// Seconds a client waits between polls (CIBA Core §7.3, Auth0: 5).
const INTERVAL: u64 = 5;
/// Auth0's limit on `binding_message`.
const MAX_BINDING_MESSAGE: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Pending,
    Approved,
    Denied,
}

struct BackChannelLogin {
    login: UserLogin,
    expires_at: i64,
    decision: Decision,
    last_poll: Option<Instant>,
    /// The least time between polls: [`INTERVAL`], plus 5 s per `slow_down`.
    interval: Duration,
}

/// The back-channel logins started and not finished. No `Debug`: the keys
/// are `auth_req_id`s, which work like bearer secrets.
#[derive(Default)]
pub(crate) struct BackChannelLogins {
    by_id: HashMap<String, BackChannelLogin>,
}

/// `POST /bc-authorize` (CIBA Core §7.1).
pub(crate) fn start(shared: &Shared, req: &Req) -> Resp {
    let params = match req.params() {
        Ok(params) => params,
        Err(refused) => return refused,
    };
    let client = match authenticate_client(shared, req, &params) {
        Ok(client) if !client.public => client,
        Ok(_) => return unauthorized_client(),
        Err(refused) => return refused,
    };
    let client_id = client.record["client_id"].as_str().unwrap_or_default();
    let allowed = client.record["grant_types"]
        .as_array()
        .is_some_and(|grants| grants.iter().any(|g| g == GRANT));
    if !allowed {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            &format!("Grant type '{GRANT}' not allowed for the client."),
        );
    }
    let field = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    let invalid =
        |description: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description);
    if !field("scope").split(' ').any(|s| s == "openid") {
        return invalid("The scope must contain openid");
    }
    let message = field("binding_message");
    let allowed_char = |c: char| c.is_ascii_alphanumeric() || " +-_.,:#".contains(c);
    if message.is_empty()
        || message.chars().count() > MAX_BINDING_MESSAGE
        || !message.chars().all(allowed_char)
    {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_binding_message",
            "binding_message is required: at most 64 letters, digits, spaces and +-_.,:#",
        );
    }
    // Auth0's login hint: `{"format":"iss_sub","iss":<tenant>,"sub":<user>}`.
    let hint: Map<String, Value> = match serde_json::from_str(field("login_hint")) {
        Ok(hint) => hint,
        Err(_) => return invalid("login_hint must be a JSON object"),
    };
    let text = |name: &str| hint.get(name).and_then(Value::as_str).unwrap_or("");
    if text("format") != "iss_sub" || text("iss") != shared.issuer {
        return invalid("login_hint must have format iss_sub and this tenant's issuer");
    }
    let user_id = text("sub").to_owned();
    if lock(&shared.store).user(&user_id).is_none() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unknown_user_id",
            "The user in login_hint does not exist",
        );
    }
    let expiry = match params.get("requested_expiry") {
        None => DEFAULT_EXPIRY,
        Some(value) => match value.parse::<i64>() {
            Ok(seconds) if (1..=MAX_EXPIRY).contains(&seconds) => seconds,
            _ => return invalid("requested_expiry must be between 1 and 259200"),
        },
    };
    let login = match user_login(shared, client_id, user_id, &params) {
        Ok(login) => login,
        Err(refused) => return refused,
    };
    let auth_req_id = random_id(24);
    let mut store = lock(&shared.store);
    let now = now_secs();
    store.back_channel.by_id.retain(|_, r| r.expires_at > now);
    store.back_channel.by_id.insert(
        auth_req_id.clone(),
        BackChannelLogin {
            login,
            expires_at: now + expiry,
            decision: Decision::Pending,
            last_poll: None,
            interval: Duration::from_secs(INTERVAL),
        },
    );
    json(
        StatusCode::OK,
        &json!({ "auth_req_id": auth_req_id, "expires_in": expiry, "interval": INTERVAL }),
    )
}

/// The CIBA grant (CIBA Core §10 and §11).
pub(crate) fn token(shared: &Shared, client_id: &str, params: &HashMap<String, String>) -> Resp {
    let error =
        |status: StatusCode, code: &str, description: &str| oauth_error(status, code, description);
    let id = params.get("auth_req_id").map_or("", String::as_str);
    let mut store = lock(&shared.store);
    let Some(request) = store
        .back_channel
        .by_id
        .get_mut(id)
        .filter(|r| r.login.client_id == client_id)
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Invalid or expired auth_req_id",
        );
    };
    if request.expires_at <= now_secs() {
        store.back_channel.by_id.remove(id);
        return error(
            StatusCode::BAD_REQUEST,
            "expired_token",
            "The auth_req_id has expired",
        );
    }
    match request.decision {
        Decision::Pending => {
            let now = Instant::now();
            let too_fast = request
                .last_poll
                .is_some_and(|last| now.duration_since(last) < request.interval);
            request.last_poll = Some(now);
            if too_fast {
                request.interval += Duration::from_secs(5);
                return slow_down(request.interval.as_secs());
            }
            error(
                StatusCode::BAD_REQUEST,
                "authorization_pending",
                "The end-user authorization is pending",
            )
        }
        Decision::Denied => {
            store.back_channel.by_id.remove(id);
            error(
                StatusCode::FORBIDDEN,
                "access_denied",
                "The end-user denied the authorization request or it has been expired",
            )
        }
        Decision::Approved => {
            let Some(request) = store.back_channel.by_id.remove(id) else {
                return unauthorized_client();
            };
            drop(store);
            user_tokens(shared, &request.login, None)
        }
    }
}

/// Auth0's `slow_down`: wait `seconds`, said twice.
fn slow_down(seconds: u64) -> Resp {
    let mut response = oauth_error(
        StatusCode::BAD_REQUEST,
        "slow_down",
        &format!("You are polling faster than allowed. Try again in {seconds} seconds."),
    );
    response
        .headers_mut()
        .insert(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
    response
}

impl LocalTenant {
    /// Approves a pending back-channel (CIBA) login, as the user would on
    /// their phone: the next poll of the CIBA grant gets the tokens.
    ///
    /// # Errors
    ///
    /// [`TenantError::NothingPending`] when no pending request has this
    /// `auth_req_id`.
    ///
    /// ```no_run
    /// # async fn demo(tenant: auth0_local::LocalTenant) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// let auth = tenant.authentication_client()?;
    /// let hint = serde_json::json!({ "format": "iss_sub", "iss": tenant.issuer(), "sub": tenant.user().user_id });
    /// let started = auth.back_channel_login("Approve payment 42", &hint.to_string(), "openid", &[]).await?;
    /// tenant.approve_back_channel_login(&started.auth_req_id)?;
    /// let tokens = auth.back_channel_token(&started.auth_req_id).await?;
    /// # let _ = tokens; Ok(()) }
    /// ```
    pub fn approve_back_channel_login(&self, auth_req_id: &str) -> Result<(), TenantError> {
        decide(self.shared(), auth_req_id, true)
    }

    /// Denies a pending back-channel (CIBA) login: the next poll answers
    /// `access_denied`.
    ///
    /// # Errors
    ///
    /// [`TenantError::NothingPending`] when no pending request has this
    /// `auth_req_id`.
    pub fn deny_back_channel_login(&self, auth_req_id: &str) -> Result<(), TenantError> {
        decide(self.shared(), auth_req_id, false)
    }

    /// Ends the life of a pending back-channel (CIBA) login now, as if its
    /// `expires_in` had passed unanswered: the next poll answers
    /// `expired_token`.
    ///
    /// # Errors
    ///
    /// [`TenantError::NothingPending`] when no pending request has this
    /// `auth_req_id`.
    pub fn expire_back_channel_login(&self, auth_req_id: &str) -> Result<(), TenantError> {
        expire(self.shared(), auth_req_id)
    }
}

/// Makes the pending back-channel login `auth_req_id` expired: behind
/// [`LocalTenant::expire_back_channel_login`] and the control API.
pub(crate) fn expire(shared: &Shared, auth_req_id: &str) -> Result<(), TenantError> {
    let mut store = lock(&shared.store);
    match store.back_channel.by_id.get_mut(auth_req_id) {
        Some(request) if request.decision == Decision::Pending => {
            request.expires_at = now_secs();
            Ok(())
        }
        _ => Err(TenantError::NothingPending {
            what: "back-channel login",
        }),
    }
}

/// Approves (`approve`) or denies the pending back-channel login
/// `auth_req_id`: behind [`LocalTenant::approve_back_channel_login`], its
/// twin and the control API.
pub(crate) fn decide(shared: &Shared, auth_req_id: &str, approve: bool) -> Result<(), TenantError> {
    let mut store = lock(&shared.store);
    match store.back_channel.by_id.get_mut(auth_req_id) {
        Some(request) if request.decision == Decision::Pending => {
            request.decision = if approve {
                Decision::Approved
            } else {
                Decision::Denied
            };
            Ok(())
        }
        _ => Err(TenantError::NothingPending {
            what: "back-channel login",
        }),
    }
}
