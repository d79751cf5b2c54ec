//! Pushed Authorization Requests (RFC 9126): `POST /oauth/par` checks and
//! keeps an authorization request and answers a `request_uri`;
//! `/authorize?client_id=…&request_uri=…` then runs on the pushed
//! parameters, once.

use std::collections::HashMap;

use http::StatusCode;
use serde_json::json;

use crate::routes::{authenticate_client, check_authorize};
use crate::server::{Req, Resp, json, oauth_error};
use crate::tenant::{Shared, lock, now_secs, random_id};

/// Seconds a `request_uri` stays usable (Auth0 answers `expires_in: 30`).
const LIFETIME: i64 = 30;
/// RFC 9126 §2.2: the `request_uri` prefix.
const URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
/// Client authentication parameters, not part of the authorization request.
const CREDENTIALS: &[&str] = &["client_secret", "client_assertion", "client_assertion_type"];

/// One pushed request.
struct Pushed {
    client_id: String,
    params: HashMap<String, String>,
    expires_at: i64,
}

/// The pushed requests not used yet. No `Debug`: `request_uri`s are
/// one-time credentials.
#[derive(Default)]
pub(crate) struct PushedRequests {
    by_uri: HashMap<String, Pushed>,
}

/// `POST /oauth/par` (RFC 9126 §2): the client authenticates as at the
/// token endpoint; the request is checked as `/authorize` would check it.
pub(crate) fn push(shared: &Shared, req: &Req) -> Resp {
    let mut params = match req.params() {
        Ok(params) => params,
        Err(refused) => return refused,
    };
    // Auth0 takes pushed requests from authenticated (confidential)
    // clients only.
    let client = match authenticate_client(shared, req, &params) {
        Ok(client) if !client.public => client,
        Ok(_) => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Client authentication is required",
            );
        }
        Err(refused) => return refused,
    };
    let client_id = client.record["client_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let invalid =
        |description: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description);
    // RFC 9126 §2.1: a pushed request cannot itself point at one.
    if params.contains_key("request_uri") {
        return invalid("request_uri is not allowed in a pushed authorization request");
    }
    if params
        .get("client_id")
        .is_some_and(|id| !id.is_empty() && *id != client_id)
    {
        return invalid("client_id does not match the authenticated client");
    }
    if params.get("redirect_uri").is_none_or(String::is_empty) {
        return invalid("Missing required parameter: redirect_uri");
    }
    for name in CREDENTIALS {
        params.remove(*name);
    }
    params.insert("client_id".to_owned(), client_id.clone());
    if let Err((error, description)) = check_authorize(shared, &params) {
        return oauth_error(StatusCode::BAD_REQUEST, error, &description);
    }
    let request_uri = format!("{URI_PREFIX}{}", random_id(24));
    let mut store = lock(&shared.store);
    let now = now_secs();
    store.pushed.by_uri.retain(|_, p| p.expires_at > now);
    store.pushed.by_uri.insert(
        request_uri.clone(),
        Pushed {
            client_id,
            params,
            expires_at: now + LIFETIME,
        },
    );
    json(
        StatusCode::CREATED,
        &json!({ "request_uri": request_uri, "expires_in": LIFETIME }),
    )
}

/// The parameters `/authorize` runs on: the query's own, or, with a
/// `request_uri`, the pushed ones (RFC 9126 §4: only those, and each
/// `request_uri` once). An unknown, expired or used `request_uri`, or one
/// pushed by another client, is shown to the user (never redirected).
pub(crate) fn resolve(
    shared: &Shared,
    params: &HashMap<String, String>,
) -> Result<HashMap<String, String>, Resp> {
    let Some(request_uri) = params.get("request_uri") else {
        return Ok(params.clone());
    };
    let invalid =
        |description: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description);
    let Some(pushed) = lock(&shared.store).pushed.by_uri.remove(request_uri) else {
        return Err(invalid("Invalid or used request_uri"));
    };
    if pushed.expires_at <= now_secs() {
        return Err(invalid("The request_uri has expired"));
    }
    // RFC 9126 §4: `client_id` must be sent, and match.
    if params.get("client_id") != Some(&pushed.client_id) {
        return Err(invalid("client_id does not match the pushed request"));
    }
    Ok(pushed.params)
}
