//! `GET /oidc/logout` (OpenID Connect RP-Initiated Logout 1.0 §2), the
//! `end_session_endpoint` of discovery: `id_token_hint` must be a token this
//! tenant signed, or an HS256 ID token of an application set to HS256 (an
//! expired one is accepted), a `client_id` given with it
//! must be its audience, and `post_logout_redirect_uri` needs one of them to
//! name the application; the browser goes back there with `state`.

use http::StatusCode;
use serde_json::Value;

use crate::routes::{has_audience, verify_id_token_hint};
use crate::server::{Req, Resp, oauth_error, redirect, text};
use crate::tenant::{Shared, lock};

fn invalid(description: &str) -> Resp {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description)
}

pub(crate) fn oidc_logout(shared: &Shared, req: &Req) -> Resp {
    let params = req.query_params();
    let field = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    let mut client_id = field("client_id").to_owned();
    if !field("id_token_hint").is_empty() {
        let Some(claims) = verify_id_token_hint(shared, field("id_token_hint")) else {
            return invalid("Invalid id_token_hint");
        };
        if client_id.is_empty() {
            client_id = match claims.get("aud") {
                Some(Value::String(aud)) => aud.clone(),
                _ => String::new(),
            };
        } else if !has_audience(&claims, &client_id) {
            return invalid("client_id does not match the id_token_hint audience");
        }
    }
    if !client_id.is_empty() && lock(&shared.store).client(&client_id).is_none() {
        return invalid("Unknown client");
    }
    let to = field("post_logout_redirect_uri");
    if to.is_empty() {
        return text(StatusCode::OK, "OK");
    }
    // §2: the redirect needs the application (to check its logout URLs).
    if client_id.is_empty() {
        return invalid("post_logout_redirect_uri needs an id_token_hint or a client_id");
    }
    let mut location = to.to_owned();
    if let Some(state) = params.get("state") {
        location.push(if to.contains('?') { '&' } else { '?' });
        location.push_str("state=");
        auth0_core::client::percent_encode_into(&mut location, state);
    }
    redirect(&location)
}
