//! Signed request objects (JAR, RFC 9101) and pushed authorization requests
//! (PAR, RFC 9126): `/authorize` takes `request=<jwt>` — checked with the
//! public key registered for the application (`typ: oauth-authz-req+jwt`,
//! `iss` = the client, `aud` = this tenant, within `nbf`/`exp`), its claims
//! replacing the query's parameters (§6.3) — or `request_uri` from
//! `POST /oauth/par`, which stores the (possibly signed) request for 60
//! seconds, for one use.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use auth0_jwt::alg::Algorithm;
use auth0_jwt::jws::{Jws, ParseOptions};
use http::StatusCode;
use serde_json::{Value, json};

use crate::routes::{authenticate_client, has_audience};
use crate::server::{Req, Resp, json, oauth_error};
use crate::tenant::{Shared, lock, now_secs, random_id};

/// How long a pushed request lives (Auth0 answers `expires_in: 30`).
const PAR_LIFETIME: Duration = Duration::from_secs(30);
/// The `request_uri` prefix of RFC 9126 §2.2.
const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
/// Clock skew allowed on `nbf`/`exp`.
const LEEWAY: i64 = 30;

struct Pushed {
    client_id: String,
    params: HashMap<String, String>,
    expires_at: Instant,
}

/// Pushed requests by `request_uri`.
#[derive(Default)]
pub(crate) struct PushedRequests {
    requests: Mutex<HashMap<String, Pushed>>,
}

fn invalid_object(description: &str) -> Resp {
    oauth_error(
        StatusCode::BAD_REQUEST,
        "invalid_request_object",
        description,
    )
}

/// The parameters of a request object signed by `client_id`'s registered
/// key (RFC 9101 §6.1–6.3).
fn verify_request_object(
    shared: &Shared,
    client_id: &str,
    jwt: &str,
) -> Result<HashMap<String, String>, Resp> {
    let jws = Jws::parse(jwt, &ParseOptions::default())
        .map_err(|_| invalid_object("Malformed request object"))?;
    let typ_ok = jws
        .header()
        .typ
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("oauth-authz-req+jwt"));
    if !typ_ok {
        return Err(invalid_object(
            "The request object's typ must be oauth-authz-req+jwt",
        ));
    }
    let alg = Algorithm::parse(&jws.header().alg)
        .map_err(|_| invalid_object("Unsupported request object alg"))?;
    {
        let store = lock(&shared.store);
        let key = store
            .client_keys
            .get(client_id)
            .ok_or_else(|| invalid_object("No public key is registered for this client"))?;
        if !key.verifies(alg, jws.signing_input(), jws.signature()) {
            return Err(invalid_object("Invalid request object signature"));
        }
    }
    let claims = jws.claims();
    let text = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or("");
    if text("iss") != client_id {
        return Err(invalid_object(
            "The request object's iss must be the client_id",
        ));
    }
    if !text("client_id").is_empty() && text("client_id") != client_id {
        return Err(invalid_object(
            "client_id does not match the request object",
        ));
    }
    if !has_audience(claims, &shared.issuer) {
        return Err(invalid_object(
            "The request object's aud must be the tenant",
        ));
    }
    let now = now_secs();
    let number = |name: &str| claims.get(name).and_then(Value::as_i64);
    if number("exp").is_none_or(|exp| exp + LEEWAY <= now) {
        return Err(invalid_object("The request object has expired"));
    }
    if number("nbf").is_some_and(|nbf| nbf > now + LEEWAY) {
        return Err(invalid_object("The request object is not valid yet"));
    }
    let mut params: HashMap<String, String> = claims
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "iss" | "aud" | "exp" | "iat" | "nbf" | "jti"))
        .filter_map(|(name, value)| match value {
            Value::String(s) => Some((name.clone(), s.clone())),
            Value::Null => None,
            other => Some((name.clone(), other.to_string())),
        })
        .collect();
    params.insert("client_id".to_owned(), client_id.to_owned());
    Ok(params)
}

/// `GET /authorize`: the parameters from `request_uri`, `request` or the
/// query, then the usual authorization.
pub(crate) fn authorize(shared: &Shared, req: &Req) -> Resp {
    let query = req.query_params();
    let client_id = query.get("client_id").cloned().unwrap_or_default();
    let params = if let Some(uri) = query.get("request_uri") {
        let mut pushed = lock(&shared.authn.par.requests);
        // RFC 9126 §4: one use, before expiry, by the client that pushed it.
        match pushed.remove(uri) {
            Some(p) if p.client_id == client_id && p.expires_at > Instant::now() => p.params,
            _ => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request_uri",
                    "Invalid or expired request_uri",
                );
            }
        }
    } else if let Some(jwt) = query.get("request") {
        if lock(&shared.store).client(&client_id).is_none() {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "Unknown client");
        }
        match verify_request_object(shared, &client_id, jwt) {
            Ok(params) => params,
            Err(response) => return response,
        }
    } else {
        query
    };
    crate::routes::authorize(shared, &params)
}

/// `POST /oauth/par` (RFC 9126 §2).
pub(crate) fn par(shared: &Shared, req: &Req) -> Resp {
    let params = match req.params() {
        Ok(params) => params,
        Err(response) => return response,
    };
    let client = match authenticate_client(shared, req, &params) {
        Ok(client) => client,
        Err(response) => return response,
    };
    // A confidential client must authenticate to push (RFC 9126 §2.1).
    if client.public && !crate::authn::is_public_client(&client.record) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication is required",
        );
    }
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
    let mut request = match params.get("request") {
        Some(jwt) => match verify_request_object(shared, &client_id, jwt) {
            Ok(params) => params,
            Err(response) => return response,
        },
        None => params
            .into_iter()
            .filter(|(name, _)| {
                !matches!(
                    name.as_str(),
                    "client_secret" | "client_assertion" | "client_assertion_type"
                )
            })
            .collect(),
    };
    request.insert("client_id".to_owned(), client_id.clone());
    for required in ["response_type", "redirect_uri"] {
        if request.get(required).is_none_or(String::is_empty) {
            return invalid(&format!("Missing required parameter: {required}"));
        }
    }
    // Refused when pushed, as `/authorize` would refuse it, not later.
    if let Err((error, description)) = crate::routes::check_authorize(shared, &request) {
        return oauth_error(StatusCode::BAD_REQUEST, error, &description);
    }
    let request_uri = format!("{REQUEST_URI_PREFIX}{}", random_id(24));
    lock(&shared.authn.par.requests).insert(
        request_uri.clone(),
        Pushed {
            client_id,
            params: request,
            expires_at: Instant::now() + PAR_LIFETIME,
        },
    );
    json(
        StatusCode::CREATED,
        &json!({ "request_uri": request_uri, "expires_in": PAR_LIFETIME.as_secs() }),
    )
}
