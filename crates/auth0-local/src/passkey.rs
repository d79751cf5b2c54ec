//! Auth0's native passkeys API (the Authentication API's `/passkey/*`
//! endpoints, Early Access at Auth0): `POST /passkey/register` (a signup
//! challenge: `PublicKeyCredentialCreationOptions` and an `auth_session`),
//! `POST /passkey/challenge` (a login challenge:
//! `PublicKeyCredentialRequestOptions`), and the
//! `urn:okta:params:oauth:grant-type:webauthn` grant at `/oauth/token`,
//! which takes the `auth_session` and the authenticator's answer
//! (`authn_response`, a WebAuthn `PublicKeyCredential` as JSON).
//!
//! What the emulator checks of `authn_response` — structure, not
//! cryptography (no attestation or assertion signature is verified):
//!
//! - `id` is non-empty and equals `rawId`, `type` is `public-key`;
//! - `response.clientDataJSON` is base64url JSON whose `type` is
//!   `webauthn.create` (signup) or `webauthn.get` (login), whose `challenge`
//!   is the session's challenge, and which names an `origin`;
//! - signup: `response.attestationObject` is non-empty base64url; the user
//!   is created in the realm (the database connection) with the profile's
//!   email, and the credential id is remembered for that user;
//! - login: `response.authenticatorData` and `response.signature` are
//!   non-empty base64url, and `id` is a credential registered by an earlier
//!   signup; the tokens are that user's.
//!
//! A session is used once, by the client that asked for it, within its
//! timeout (60 s).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use http::StatusCode;
use serde_json::{Map, Value, json};

use crate::routes::{user_login, user_tokens};
use crate::server::{Req, Resp, json, oauth_error};
use crate::tenant::{DATABASE_CONNECTION, Shared, lock, random_id};

/// `grant_type` of the passkey token exchange.
pub(crate) const GRANT: &str = "urn:okta:params:oauth:grant-type:webauthn";
/// How long a challenge may be answered (`timeout`, milliseconds in the
/// options).
const TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug)]
enum Ceremony {
    /// A new user with this email.
    Signup {
        email: String,
        name: Option<String>,
    },
    Login,
}

#[derive(Debug)]
struct Session {
    client_id: String,
    challenge: String,
    ceremony: Ceremony,
    expires_at: Instant,
}

/// Open passkey sessions and registered credentials.
#[derive(Debug, Default)]
pub(crate) struct Passkeys {
    sessions: Mutex<HashMap<String, Session>>,
    /// Credential id → user id.
    credentials: Mutex<HashMap<String, String>>,
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn from_b64url(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .ok()
        .filter(|bytes| !bytes.is_empty())
}

fn bad_request(description: &str) -> Resp {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description)
}

/// The relying party id: the tenant's host (a custom domain at Auth0).
fn rp_id(shared: &Shared) -> String {
    let rest = shared
        .issuer
        .split_once("://")
        .map_or(shared.issuer.as_str(), |(_, rest)| rest);
    let authority = rest.trim_end_matches('/');
    authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host)
        .to_owned()
}

/// The client, when it exists and is allowed the passkey grant.
fn allowed_client(shared: &Shared, body: &Map<String, Value>) -> Result<String, Resp> {
    let client_id = body.get("client_id").and_then(Value::as_str).unwrap_or("");
    let store = lock(&shared.store);
    let Some(client) = store.client(client_id) else {
        return Err(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Unknown client",
        ));
    };
    let allowed = client["grant_types"]
        .as_array()
        .is_some_and(|grants| grants.iter().any(|g| g == GRANT));
    if !allowed {
        return Err(oauth_error(
            StatusCode::FORBIDDEN,
            "unauthorized_client",
            &format!("Grant type '{GRANT}' not allowed for the client."),
        ));
    }
    let realm = body
        .get("realm")
        .and_then(Value::as_str)
        .unwrap_or(DATABASE_CONNECTION);
    if realm != DATABASE_CONNECTION {
        return Err(bad_request(
            "Passkeys are enabled on the database connection only",
        ));
    }
    Ok(client_id.to_owned())
}

fn body(req: &Req) -> Result<Map<String, Value>, Resp> {
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(bad_request("Invalid JSON body")),
    }
}

fn open_session(shared: &Shared, client_id: String, ceremony: Ceremony) -> (String, String) {
    let challenge = b64url(random_id(32).as_bytes());
    let auth_session = random_id(40);
    lock(&shared.authn.passkeys.sessions).insert(
        auth_session.clone(),
        Session {
            client_id,
            challenge: challenge.clone(),
            ceremony,
            expires_at: Instant::now() + TIMEOUT,
        },
    );
    (auth_session, challenge)
}

/// `POST /passkey/register`: a signup challenge for a new user.
pub(crate) fn register(shared: &Shared, req: &Req) -> Resp {
    let body = match body(req) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let client_id = match allowed_client(shared, &body) {
        Ok(id) => id,
        Err(response) => return response,
    };
    let profile = &body.get("user_profile").cloned().unwrap_or(Value::Null);
    let email = profile["email"].as_str().unwrap_or("");
    if !email.contains('@') {
        return bad_request("user_profile.email is required");
    }
    if lock(&shared.store).user_by_email(email).is_some() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_signup",
            "The user already exists.",
        );
    }
    let name = profile["name"].as_str().map(str::to_owned);
    let display = name.clone().unwrap_or_else(|| email.to_owned());
    let (auth_session, challenge) = open_session(
        shared,
        client_id,
        Ceremony::Signup {
            email: email.to_owned(),
            name,
        },
    );
    json(
        StatusCode::OK,
        &json!({
            "authn_params_public_key": {
                "challenge": challenge,
                "timeout": TIMEOUT.as_millis(),
                "rp": { "id": rp_id(shared), "name": "auth0-local" },
                "user": { "id": b64url(random_id(16).as_bytes()), "name": email, "displayName": display },
                "pubKeyCredParams": [
                    { "type": "public-key", "alg": -7 },
                    { "type": "public-key", "alg": -257 },
                ],
                "authenticatorSelection": { "residentKey": "required", "userVerification": "preferred" },
            },
            "auth_session": auth_session,
        }),
    )
}

/// `POST /passkey/challenge`: a login challenge.
pub(crate) fn challenge(shared: &Shared, req: &Req) -> Resp {
    let body = match body(req) {
        Ok(body) => body,
        Err(response) => return response,
    };
    let client_id = match allowed_client(shared, &body) {
        Ok(id) => id,
        Err(response) => return response,
    };
    let (auth_session, challenge) = open_session(shared, client_id, Ceremony::Login);
    json(
        StatusCode::OK,
        &json!({
            "authn_params_public_key": {
                "challenge": challenge,
                "timeout": TIMEOUT.as_millis(),
                "rpId": rp_id(shared),
                "userVerification": "preferred",
            },
            "auth_session": auth_session,
        }),
    )
}

fn invalid_grant(description: &str) -> Resp {
    oauth_error(StatusCode::FORBIDDEN, "invalid_grant", description)
}

/// The `authn_response` checks shared by both ceremonies (see the module
/// docs); the credential id.
fn check_credential(
    credential: &Value,
    expected_type: &str,
    challenge: &str,
) -> Result<String, Resp> {
    let id = credential["id"].as_str().unwrap_or("");
    if id.is_empty() || credential["rawId"].as_str() != Some(id) {
        return Err(invalid_grant(
            "authn_response.id and rawId must be the same credential id",
        ));
    }
    if credential["type"] != "public-key" {
        return Err(invalid_grant("authn_response.type must be public-key"));
    }
    let client_data = credential["response"]["clientDataJSON"]
        .as_str()
        .and_then(from_b64url)
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .ok_or_else(|| {
            invalid_grant("authn_response.response.clientDataJSON is not base64url JSON")
        })?;
    if client_data["type"] != expected_type {
        return Err(invalid_grant(&format!(
            "clientDataJSON.type must be {expected_type}"
        )));
    }
    if client_data["challenge"].as_str() != Some(challenge) {
        return Err(invalid_grant(
            "clientDataJSON.challenge is not the session's challenge",
        ));
    }
    if client_data["origin"].as_str().is_none_or(str::is_empty) {
        return Err(invalid_grant("clientDataJSON.origin is missing"));
    }
    Ok(id.to_owned())
}

fn present(credential: &Value, member: &str) -> bool {
    credential["response"][member]
        .as_str()
        .and_then(from_b64url)
        .is_some()
}

/// The passkey grant; the client is authenticated and allowed it.
pub(crate) fn token(shared: &Shared, client_id: &str, params: &HashMap<String, String>) -> Resp {
    let auth_session = params.get("auth_session").map_or("", String::as_str);
    let session = lock(&shared.authn.passkeys.sessions).remove(auth_session);
    let Some(session) = session.filter(|s| s.client_id == client_id) else {
        return invalid_grant("Invalid or expired auth_session");
    };
    if Instant::now() >= session.expires_at {
        return invalid_grant("Invalid or expired auth_session");
    }
    let credential = params
        .get("authn_response")
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .unwrap_or(Value::Null);
    let user_id = match session.ceremony {
        Ceremony::Signup { email, name } => {
            let id = match check_credential(&credential, "webauthn.create", &session.challenge) {
                Ok(id) => id,
                Err(response) => return response,
            };
            if !present(&credential, "attestationObject") {
                return invalid_grant("authn_response.response.attestationObject is missing");
            }
            let mut extra = Map::new();
            if let Some(name) = name {
                extra.insert("name".to_owned(), json!(name));
            }
            let created =
                lock(&shared.store).insert_user(DATABASE_CONNECTION, &email, None, None, extra);
            let user_id = match created {
                Ok(record) => record["user_id"].as_str().unwrap_or_default().to_owned(),
                Err(_) => {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_signup",
                        "The user already exists.",
                    );
                }
            };
            lock(&shared.authn.passkeys.credentials).insert(id, user_id.clone());
            user_id
        }
        Ceremony::Login => {
            let id = match check_credential(&credential, "webauthn.get", &session.challenge) {
                Ok(id) => id,
                Err(response) => return response,
            };
            if !present(&credential, "authenticatorData") || !present(&credential, "signature") {
                return invalid_grant(
                    "authn_response.response needs authenticatorData and signature",
                );
            }
            match lock(&shared.authn.passkeys.credentials).get(&id).cloned() {
                Some(user_id) => user_id,
                None => return invalid_grant("Unknown passkey"),
            }
        }
    };
    match user_login(shared, client_id, user_id, params) {
        Ok(login) => user_tokens(shared, &login, None),
        Err(response) => response,
    }
}
