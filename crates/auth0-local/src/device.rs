//! The device authorization grant (RFC 8628) as Auth0 answers it:
//! `POST /oauth/device/code` starts a login, the
//! `urn:ietf:params:oauth:grant-type:device_code` grant polls it, and
//! [`LocalTenant::approve_device_code`] / [`LocalTenant::deny_device_code`]
//! play the user on the verification page.
//!
//! Auth0's answers while polling: `authorization_pending` (403), `slow_down`
//! (429, when polled faster than the interval; the interval then grows by
//! 5 s, RFC 8628 §3.5), `expired_token` (403), `access_denied` (403).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use http::StatusCode;
use serde_json::json;

use crate::LocalTenant;
use crate::routes::{authenticate_client, resource_server, unauthorized_client, user_tokens};
use crate::server::{Req, Resp, json, oauth_error};
use crate::tenant::{Shared, UserLogin, lock, now_secs, random_id};

/// `grant_type` of the device code grant (RFC 8628 §3.4).
pub(crate) const GRANT_DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// Lifetime of a device code (Auth0's default: 15 minutes).
const LIFETIME: Duration = Duration::from_secs(900);
/// The polling interval Auth0 asks for.
const INTERVAL: Duration = Duration::from_secs(5);
/// User codes as Auth0's default settings make them: two groups of four
/// consonants (no vowels, so no words), `BDFG-HJKL`.
const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Decision {
    Pending,
    Approved(String),
    Denied,
}

#[derive(Debug)]
struct DeviceGrant {
    user_code: String,
    client_id: String,
    audience: String,
    scope: String,
    expires_at: Instant,
    interval: Duration,
    last_poll: Option<Instant>,
    decision: Decision,
}

/// The device codes issued and not yet exchanged, by device code.
#[derive(Debug, Default)]
pub(crate) struct DeviceCodes {
    grants: Mutex<HashMap<String, DeviceGrant>>,
}

fn user_code() -> String {
    let raw = random_id(8);
    let letters: Vec<char> = raw
        .bytes()
        .take(8)
        .map(|b| char::from(USER_CODE_ALPHABET[usize::from(b) % USER_CODE_ALPHABET.len()]))
        .collect();
    format!(
        "{}-{}",
        letters[..4].iter().collect::<String>(),
        letters[4..].iter().collect::<String>()
    )
}

/// `POST /oauth/device/code` (RFC 8628 §3.1–3.2).
pub(crate) fn start(shared: &Shared, req: &Req) -> Resp {
    let params = match req.params() {
        Ok(params) => params,
        Err(response) => return response,
    };
    let client = match authenticate_client(shared, req, &params) {
        Ok(client) => client,
        Err(response) => return response,
    };
    // RFC 8628 §3.1: a confidential client authenticates.
    if client.public && !crate::authn::is_public_client(&client.record) {
        return unauthorized_client();
    }
    let allowed = client.record["grant_types"]
        .as_array()
        .is_some_and(|grants| grants.iter().any(|g| g == GRANT_DEVICE_CODE));
    if !allowed {
        return oauth_error(
            StatusCode::FORBIDDEN,
            "unauthorized_client",
            "Grant type 'urn:ietf:params:oauth:grant-type:device_code' not allowed for the client.",
        );
    }
    let field = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    let audience = match field("audience") {
        "" => shared.api_audience.clone(),
        a => a.to_owned(),
    };
    if resource_server(&lock(&shared.store), &audience).is_none() {
        return oauth_error(
            StatusCode::FORBIDDEN,
            "access_denied",
            &format!("Service not found: {audience}"),
        );
    }
    let device_code = random_id(24);
    let user_code = user_code();
    let verification_uri = format!("{}activate", shared.issuer);
    let grant = DeviceGrant {
        user_code: user_code.clone(),
        client_id: client.record["client_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        audience,
        scope: match field("scope") {
            "" => "openid".to_owned(),
            s => s.to_owned(),
        },
        expires_at: Instant::now() + LIFETIME,
        interval: INTERVAL,
        last_poll: None,
        decision: Decision::Pending,
    };
    lock(&shared.authn.device.grants).insert(device_code.clone(), grant);
    json(
        StatusCode::OK,
        &json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": verification_uri,
            "verification_uri_complete": format!("{verification_uri}?user_code={user_code}"),
            "expires_in": LIFETIME.as_secs(),
            "interval": INTERVAL.as_secs(),
        }),
    )
}

/// The device code grant (RFC 8628 §3.4–3.5); the client is authenticated
/// and allowed the grant.
pub(crate) fn token(shared: &Shared, client_id: &str, params: &HashMap<String, String>) -> Resp {
    let device_code = params.get("device_code").map_or("", String::as_str);
    let now = Instant::now();
    let mut grants = lock(&shared.authn.device.grants);
    let Some(grant) = grants
        .get_mut(device_code)
        .filter(|g| g.client_id == client_id)
    else {
        return oauth_error(
            StatusCode::FORBIDDEN,
            "invalid_grant",
            "Invalid or expired device code.",
        );
    };
    if now >= grant.expires_at {
        grants.remove(device_code);
        return oauth_error(
            StatusCode::FORBIDDEN,
            "expired_token",
            "The device code has expired.",
        );
    }
    // RFC 8628 §3.5: polled faster than the interval; the client must add
    // 5 s to it for this and every later request.
    let too_fast = grant
        .last_poll
        .is_some_and(|last| now.duration_since(last) < grant.interval);
    grant.last_poll = Some(now);
    if too_fast && grant.decision == Decision::Pending {
        grant.interval += Duration::from_secs(5);
        let interval = grant.interval.as_secs();
        return oauth_error(
            StatusCode::TOO_MANY_REQUESTS,
            "slow_down",
            &format!("You are polling faster than the specified interval of {interval} seconds."),
        );
    }
    let user_id = match &grant.decision {
        Decision::Pending => {
            return oauth_error(
                StatusCode::FORBIDDEN,
                "authorization_pending",
                "User has yet to authorize device code.",
            );
        }
        Decision::Denied => {
            grants.remove(device_code);
            return oauth_error(
                StatusCode::FORBIDDEN,
                "access_denied",
                "User cancelled the confirmation prompt or consent page.",
            );
        }
        Decision::Approved(user_id) => user_id.clone(),
    };
    // A device code is exchanged once.
    let Some(grant) = grants.remove(device_code) else {
        return oauth_error(
            StatusCode::FORBIDDEN,
            "invalid_grant",
            "Invalid device code.",
        );
    };
    drop(grants);
    let login = UserLogin {
        user_id,
        client_id: grant.client_id,
        audience: grant.audience,
        scope: grant.scope,
        nonce: None,
        organization: None,
        auth_time: now_secs(),
    };
    user_tokens(shared, &login, None)
}

/// Decides the pending device login whose user code is `user_code`:
/// approved as the user `approved_as`, or denied (`None`). False when no
/// pending device login has this code. Behind [`LocalTenant`]'s methods and
/// the control API.
pub(crate) fn decide(shared: &Shared, user_code: &str, approved_as: Option<String>) -> bool {
    let decision = approved_as.map_or(Decision::Denied, Decision::Approved);
    let wanted = user_code.trim().to_ascii_uppercase();
    let mut grants = lock(&shared.authn.device.grants);
    match grants
        .values_mut()
        .find(|g| g.user_code == wanted && g.decision == Decision::Pending)
    {
        Some(grant) => {
            grant.decision = decision;
            true
        }
        None => false,
    }
}

impl LocalTenant {
    /// Plays the user who enters `user_code` on the verification page and
    /// accepts: the next poll of its device code gets the first user's
    /// tokens. False when no pending device login has this code.
    pub fn approve_device_code(&self, user_code: &str) -> bool {
        decide(self.shared(), user_code, Some(self.user().user_id.clone()))
    }

    /// [`approve_device_code`](Self::approve_device_code) for the user
    /// `user_id`.
    pub fn approve_device_code_as(&self, user_code: &str, user_id: &str) -> bool {
        decide(self.shared(), user_code, Some(user_id.to_owned()))
    }

    /// Plays the user who refuses: the next poll answers `access_denied`.
    pub fn deny_device_code(&self, user_code: &str) -> bool {
        decide(self.shared(), user_code, None)
    }

    /// Ends the lifetime of a device login now: the next poll answers
    /// `expired_token` (Auth0's codes last 15 minutes).
    pub fn expire_device_code(&self, user_code: &str) -> bool {
        let wanted = user_code.trim().to_ascii_uppercase();
        let mut grants = lock(&self.shared().authn.device.grants);
        match grants.values_mut().find(|g| g.user_code == wanted) {
            Some(grant) => {
                grant.expires_at = Instant::now();
                true
            }
            None => false,
        }
    }
}
