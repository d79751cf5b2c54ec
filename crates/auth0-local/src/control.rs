//! The control API (`/auth0-local/v1/…`): the steps Auth0 leaves to the
//! world outside HTTP — the code an email or a text message carries, the
//! "Allow" a user taps on their phone (CIBA, Guardian push), the code typed
//! on the device page — and a signing-key rotation, for tests written in
//! other languages against the `auth0-local` binary. Each endpoint is one
//! of [`LocalTenant`](crate::LocalTenant)'s test handles over HTTP, calling
//! the same function.
//!
//! | method and path | answer |
//! |---|---|
//! | `GET passwordless-codes/{recipient}` | `{"code": …}`: the code `/passwordless/start` "sent" to an email address or phone number |
//! | `GET mfa-oob-codes/{recipient}` | `{"code": …}`: the binding code an out-of-band MFA challenge "sent" |
//! | `POST back-channel-logins/{auth_req_id}/approve` (or `/deny`) | `204`: the next CIBA poll gets the tokens (or `access_denied`) |
//! | `POST mfa-push/{user_id}/approve` (or `/deny`) | `204`: the user's pending push challenges |
//! | `POST device-codes/{user_code}/approve[?user_id=…]` (or `/deny`) | `204`: the device login, as the first user unless `user_id` names another |
//! | `POST signing-keys/rotate` | `{"kid": …}`: a new current key (the old one stays for the grace period) |
//!
//! Every request needs `Authorization: Bearer <control token>` (random per
//! tenant: [`LocalTenant::control_token`](crate::LocalTenant::control_token),
//! `control.token` in the binary's `tenant.json`): the codes are
//! credentials, and the binary may listen beyond loopback. Unknown
//! recipients, requests and codes answer `404`. The control API is outside
//! the tenant's emulation: no fault, rate limit or request log applies to it,
//! so a test that scripts failures still drives its out-of-band steps.

use std::sync::Arc;

use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, StatusCode};
use serde_json::json;

use crate::routes::constant_time_eq;
use crate::server::{Resp, bearer, decode_segment, json, no_content, oauth_error, parse_form};
use crate::tenant::Shared;

/// Where the control API lives: a path Auth0 does not serve.
pub(crate) const PREFIX: &str = "/auth0-local/v1/";

/// The answer to a control request, `None` for any other path.
pub(crate) async fn route(
    shared: &Arc<Shared>,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Option<Resp> {
    let rest = path.strip_prefix(PREFIX)?;
    if !authorized(shared, headers) {
        let mut response = oauth_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "the control API needs `Authorization: Bearer <control token>` (tenant.json: control.token)",
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"auth0-local control\""),
        );
        return Some(response);
    }
    let segments: Vec<&str> = rest.split('/').collect();
    let answer = match (method, segments.as_slice()) {
        (&Method::GET, ["passwordless-codes", recipient]) => {
            code(shared.passwordless_code(&decode_segment(recipient)))
        }
        (&Method::GET, ["mfa-oob-codes", recipient]) => {
            code(crate::mfa::oob_code(shared, &decode_segment(recipient)))
        }
        (&Method::POST, ["back-channel-logins", id, verdict @ ("approve" | "deny")]) => {
            decided(crate::ciba::decide(shared, &decode_segment(id), *verdict == "approve").is_ok())
        }
        (&Method::POST, ["back-channel-logins", id, "expire"]) => {
            decided(crate::ciba::expire(shared, &decode_segment(id)).is_ok())
        }
        (&Method::POST, ["mfa-push", user_id, verdict @ ("approve" | "deny")]) => {
            let user_id = decode_segment(user_id);
            decided(crate::mfa::decide_push(shared, &user_id, *verdict == "approve").is_ok())
        }
        (&Method::POST, ["device-codes", user_code, verdict @ ("approve" | "deny")]) => {
            let approved_as = (*verdict == "approve").then(|| {
                parse_form(query.unwrap_or_default().as_bytes())
                    .remove("user_id")
                    .unwrap_or_else(|| shared.first_user_id.clone())
            });
            decided(crate::device::decide(
                shared,
                &decode_segment(user_code),
                approved_as,
            ))
        }
        (&Method::POST, ["signing-keys", "rotate"]) => rotate(shared).await,
        (
            _,
            ["passwordless-codes" | "mfa-oob-codes", _]
            | [
                "back-channel-logins" | "mfa-push" | "device-codes",
                _,
                "approve" | "deny",
            ]
            | ["back-channel-logins", _, "expire"]
            | ["signing-keys", "rotate"],
        ) => oauth_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "see docs/LOCAL_TENANT.md, \"The control API\", for each endpoint's method",
        ),
        _ => oauth_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such control endpoint (see docs/LOCAL_TENANT.md, \"The control API\")",
        ),
    };
    Some(answer)
}

/// Whether the request carries this tenant's control token.
fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    bearer(headers)
        .is_some_and(|token| constant_time_eq(token.as_bytes(), shared.control_token.as_bytes()))
}

fn code(code: Option<String>) -> Resp {
    match code {
        Some(code) => json(StatusCode::OK, &json!({ "code": code })),
        None => oauth_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "nothing was sent to this recipient",
        ),
    }
}

fn decided(found: bool) -> Resp {
    if found {
        no_content()
    } else {
        oauth_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "nothing pending has this id",
        )
    }
}

/// A new signing key: generated off the server's threads (an RSA key takes
/// a few hundred milliseconds).
async fn rotate(shared: &Arc<Shared>) -> Resp {
    let shared = Arc::clone(shared);
    match tokio::task::spawn_blocking(move || shared.rotate_signing_key()).await {
        Ok(Ok(kid)) => json(StatusCode::OK, &json!({ "kid": kid })),
        Ok(Err(e)) => oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "key_generation_failed",
            &e.to_string(),
        ),
        Err(_) => oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "key_generation_failed",
            "the key generation task did not finish",
        ),
    }
}
