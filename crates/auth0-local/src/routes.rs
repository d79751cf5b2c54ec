//! The Authentication API: discovery and JWKS, `/authorize` and its login
//! page, `/oauth/token` for every emulated grant, `/userinfo`,
//! `/oauth/revoke`, `/v2/logout`, database signup and change-password,
//! passwordless start and the MFA endpoints. `/api/v2/…` goes to
//! [`crate::management`].

use std::collections::HashMap;

use auth0_jwt::alg::Algorithm;
use auth0_jwt::jws::{Jws, ParseOptions};
use auth0_jwt::sign::SigningKey;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::server::{Req, Resp, html, json, no_store, oauth_error, redirect, text};
use crate::tenant::{
    DATABASE_CONNECTION, LocalOrganization, PendingCode, RefreshGrant, Shared, Store, UserLogin,
    lock, now_secs, random_id,
};

/// RFC 7523 §2.2: the client assertion type of `private_key_jwt`.
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const PASSWORD_REALM: &str = "http://auth0.com/oauth/grant-type/password-realm";
const MFA_OTP: &str = "http://auth0.com/oauth/grant-type/mfa-otp";
const MFA_RECOVERY_CODE: &str = "http://auth0.com/oauth/grant-type/mfa-recovery-code";
const PASSWORDLESS_OTP: &str = "http://auth0.com/oauth/grant-type/passwordless/otp";
/// Lifetime of access tokens for an API without a `token_lifetime` (Auth0's
/// default for an API: 24 hours).
const ACCESS_TOKEN_LIFETIME: i64 = 86_400;
/// Lifetime of ID tokens (Auth0's default: 10 hours).
const ID_TOKEN_LIFETIME: i64 = 36_000;

/// Dispatches one request.
pub(crate) fn route(shared: &Shared, req: &Req) -> Resp {
    let path = req.path.as_str();
    match (&req.method, path) {
        (&Method::GET, "/.well-known/jwks.json") => {
            json(StatusCode::OK, &lock(&shared.keys).jwks())
        }
        (&Method::GET, "/.well-known/openid-configuration") => discovery(shared),
        (&Method::GET, "/authorize") => crate::jar::authorize(shared, req),
        (&Method::POST, "/oauth/par") => crate::jar::par(shared, req),
        (&Method::POST, "/login") => login_form(shared, req),
        (&Method::POST, "/oauth/token") => token(shared, req),
        (&Method::GET | &Method::POST, "/userinfo") => userinfo(shared, req),
        (&Method::POST, "/oauth/revoke") => revoke(shared, req),
        (&Method::GET, "/v2/logout") => logout(req),
        (&Method::GET, "/oidc/logout") => crate::logout::oidc_logout(shared, req),
        (&Method::POST, "/dbconnections/signup") => signup(shared, req),
        (&Method::POST, "/dbconnections/change_password") => change_password(shared, req),
        (&Method::POST, "/passwordless/start") => passwordless_start(shared, req),
        (&Method::POST, "/bc-authorize") => crate::ciba::start(shared, req),
        (&Method::POST, "/mfa/associate") => crate::mfa::associate(shared, req),
        (&Method::POST, "/mfa/challenge") => crate::mfa::challenge(shared, req),
        (&Method::GET, "/mfa/authenticators") => crate::mfa::authenticators(shared, req),
        (&Method::POST, "/oauth/device/code") => crate::device::start(shared, req),
        (&Method::POST, "/passkey/register") => crate::passkey::register(shared, req),
        (&Method::POST, "/passkey/challenge") => crate::passkey::challenge(shared, req),
        (_, p) if p.starts_with("/api/v2/") => crate::management::route(shared, req),
        (&Method::GET, p) if p.starts_with("/exports/") => crate::jobs::download(shared, req),
        (_, p) if p.starts_with("/samlp/") || p.starts_with("/wsfed/") => oauth_error(
            StatusCode::NOT_IMPLEMENTED,
            "not_implemented",
            &format!("auth0-local does not emulate {} {path}", req.method),
        ),
        _ => oauth_error(StatusCode::NOT_FOUND, "not_found", "Not Found"),
    }
}

/// OIDC Discovery 1.0 §3: the provider metadata, with Auth0's values.
fn discovery(shared: &Shared) -> Resp {
    let issuer = &shared.issuer;
    let alg = lock(&shared.keys).algorithm();
    let mut document = json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}authorize"),
            "token_endpoint": format!("{issuer}oauth/token"),
            "userinfo_endpoint": format!("{issuer}userinfo"),
            "jwks_uri": format!("{issuer}.well-known/jwks.json"),
            "revocation_endpoint": format!("{issuer}oauth/revoke"),
            "pushed_authorization_request_endpoint": format!("{issuer}oauth/par"),
            "backchannel_authentication_endpoint": format!("{issuer}bc-authorize"),
            "backchannel_token_delivery_modes_supported": ["poll"],
            "end_session_endpoint": format!("{issuer}oidc/logout"),
            "scopes_supported": ["openid", "profile", "offline_access", "name", "given_name",
                "family_name", "nickname", "email", "email_verified", "picture", "created_at",
                "identities", "phone", "address"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "form_post"],
            "subject_types_supported": ["public"],
            // The tenant's key, and HS256 for an application set to it.
            "id_token_signing_alg_values_supported": [alg.as_str(), "HS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                "client_secret_post", "private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256", "RS384", "PS256"],
            "claims_supported": ["aud", "auth_time", "created_at", "email", "email_verified",
                "exp", "family_name", "given_name", "iat", "identities", "iss", "name",
                "nickname", "phone_number", "picture", "sub"],
            "code_challenge_methods_supported": ["S256", "plain"],
            "grant_types_supported": ["authorization_code", "refresh_token",
                "client_credentials", "password", PASSWORD_REALM, MFA_OTP, MFA_RECOVERY_CODE,
                PASSWORDLESS_OTP, crate::mfa::GRANT_OOB, crate::ciba::GRANT,
                crate::token_exchange::GRANT, crate::device::GRANT_DEVICE_CODE,
                crate::passkey::GRANT],
            "request_uri_parameter_supported": false,
            "request_parameter_supported": true,
            "request_object_signing_alg_values_supported": ["RS256", "RS384", "PS256", "ES256"],
            "device_authorization_endpoint": format!("{issuer}oauth/device/code"),
            "dpop_signing_alg_values_supported": ["ES256", "ES384", "RS256", "PS256", "EdDSA"],
    });
    crate::mtls::discovery(shared, &mut document);
    json(StatusCode::OK, &document)
}

/// Signs `claims` with the current key (header `typ` `JWT`, as Auth0's
/// default token profile); on failure the 500 to send instead.
pub(crate) fn sign(shared: &Shared, claims: &Value) -> Result<String, Resp> {
    let key = lock(&shared.keys).current();
    sign_with(&key.signing, claims)
}

/// Signs `claims` with `key`; on failure the 500 to send instead.
fn sign_with(key: &SigningKey, claims: &Value) -> Result<String, Resp> {
    key.sign_token(&Map::new(), claims).map_err(|_| {
        oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "Could not sign the token",
        )
    })
}

/// The key an application's ID tokens are signed with: its client secret
/// when its `jwt_configuration.alg` is `HS256` (as Auth0 signs them; a
/// `secret_encoded` secret is base64url-decoded first), else `None` for the
/// tenant's key. On failure the 500 to send instead.
fn id_token_secret_key(client: Option<&Value>) -> Result<Option<SigningKey>, Resp> {
    let Some(client) = client else {
        return Ok(None);
    };
    if client["jwt_configuration"]["alg"] != "HS256" {
        return Ok(None);
    }
    let unusable = || {
        oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "The application signs ID tokens with HS256 but has no usable client secret",
        )
    };
    let secret = client["client_secret"].as_str().ok_or_else(unusable)?;
    let secret = if client["jwt_configuration"]["secret_encoded"] == true {
        URL_SAFE_NO_PAD
            .decode(secret.trim_end_matches('='))
            .map_err(|_| unusable())?
    } else {
        secret.as_bytes().to_vec()
    };
    SigningKey::hmac(Algorithm::HS256, &secret)
        .map(Some)
        .map_err(|_| unusable())
}

/// Signs an ID token's `claims` for the application `client_id`: with its
/// client secret when it is set to HS256, else as [`sign`].
fn sign_id_token(shared: &Shared, client_id: &str, claims: &Value) -> Result<String, Resp> {
    let key = id_token_secret_key(lock(&shared.store).client(client_id))?;
    match key {
        Some(key) => sign_with(&key, claims),
        None => sign(shared, claims),
    }
}

/// The claims of an `id_token_hint`: a token this tenant signed
/// ([`verify_own_signature`]), or an HS256 ID token signed with the client
/// secret of the application it names as its audience, when that
/// application is set to HS256. Never used for access tokens: a client
/// secret can sign whatever claims its holder likes.
pub(crate) fn verify_id_token_hint(shared: &Shared, token: &str) -> Option<Map<String, Value>> {
    let jws = Jws::parse(token, &ParseOptions::default()).ok()?;
    if jws.header().alg != "HS256" {
        return verify_own_signature(shared, token);
    }
    let claims = jws.claims();
    let client_id = claims.get("aud").and_then(Value::as_str)?;
    let key = id_token_secret_key(lock(&shared.store).client(client_id)).ok()??;
    key.verifying_key()
        .ok()?
        .verify(Algorithm::HS256, jws.signing_input(), jws.signature())
        .ok()?;
    if claims.get("iss").and_then(Value::as_str) != Some(shared.issuer.as_str()) {
        return None;
    }
    Some(claims.clone())
}

/// The claims of a token the tenant signed, when its signature verifies
/// with a published key, its issuer is this tenant and it has not expired.
pub(crate) fn verify_own_token(shared: &Shared, token: &str) -> Option<Map<String, Value>> {
    let claims = verify_own_signature(shared, token)?;
    let exp = claims.get("exp").and_then(Value::as_i64)?;
    if exp <= now_secs() {
        return None;
    }
    Some(claims)
}

/// [`verify_own_token`] without the expiry check (an `id_token_hint` may
/// have expired, OIDC RP-Initiated Logout §2).
pub(crate) fn verify_own_signature(shared: &Shared, token: &str) -> Option<Map<String, Value>> {
    let jws = Jws::parse(token, &ParseOptions::default()).ok()?;
    let alg = Algorithm::parse(&jws.header().alg).ok()?;
    let keys = lock(&shared.keys).published();
    let key = keys.iter().find(|k| Some(k.kid.as_str()) == jws.kid())?;
    if alg != key.signing.algorithm() {
        return None;
    }
    key.verifying
        .verify(alg, jws.signing_input(), jws.signature())
        .ok()?;
    let claims = jws.claims();
    // RFC 7519 §4.1.1: our issuer.
    if claims.get("iss").and_then(Value::as_str) != Some(shared.issuer.as_str()) {
        return None;
    }
    Some(claims.clone())
}

/// True if the token's `aud` (a string or an array, RFC 7519 §4.1.3)
/// contains `audience`.
pub(crate) fn has_audience(claims: &Map<String, Value>, audience: &str) -> bool {
    match claims.get("aud") {
        Some(Value::String(aud)) => aud == audience,
        Some(Value::Array(auds)) => auds.iter().any(|a| a == audience),
        _ => false,
    }
}

// ---------------------------------------------------------------- /authorize

/// `GET /authorize` (OAuth 2.0 authorization code flow, RFC 6749 §4.1, with
/// Auth0's `organization`, `invitation` and `audience` parameters).
pub(crate) fn authorize(shared: &Shared, params: &HashMap<String, String>) -> Resp {
    let field = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    // RFC 6749 §4.1.2.1: without a valid client and redirect URI the error
    // is shown to the user, never sent to an unverified redirect.
    let known = lock(&shared.store).client(field("client_id")).is_some();
    if !known {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "Unknown client");
    }
    if field("redirect_uri").is_empty() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: redirect_uri",
        );
    }
    if let Err(e) = check_authorize(shared, params) {
        return back_to_client(params, Err(e));
    }
    if !shared.auto_login {
        return login_page(params, None);
    }
    let user_id = {
        let store = lock(&shared.store);
        // The user named by `login_hint`, else the invited one, else the first.
        let invited = params
            .get("invitation")
            .and_then(|ticket| store.organizations.invitation(ticket))
            .map(|invitation| invitation.email.clone());
        let hinted = params
            .get("login_hint")
            .cloned()
            .or(invited)
            .and_then(|hint| store.user_by_email(&hint));
        hinted
            .or_else(|| store.users.first())
            .and_then(|u| u["user_id"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    back_to_client(params, issue_code(shared, params, user_id))
}

/// The checks of `/authorize` that do not depend on who logs in.
pub(crate) fn check_authorize(
    shared: &Shared,
    params: &HashMap<String, String>,
) -> Result<(), (&'static str, String)> {
    let field = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    if field("response_type") != "code" {
        return Err((
            "unsupported_response_type",
            format!("Unsupported response type: {}", field("response_type")),
        ));
    }
    // RFC 7636 §4.3: `plain` when the method is absent; S256 or plain only.
    if !field("code_challenge").is_empty()
        && !matches!(field("code_challenge_method"), "" | "S256" | "plain")
    {
        return Err((
            "invalid_request",
            "Unsupported code_challenge_method".to_owned(),
        ));
    }
    let store = lock(&shared.store);
    let organization = organization_of(&store, field("organization"))?;
    match (field("invitation"), &organization) {
        ("", _) => {}
        (_, None) => {
            return Err((
                "invalid_request",
                "the invitation parameter requires an organization".to_owned(),
            ));
        }
        (invitation, Some(org)) => {
            let known = store.organizations.invitation(invitation);
            if known.is_none_or(|found| found.organization_id != org.id) {
                return Err((
                    "invalid_request",
                    "invitation not found or expired".to_owned(),
                ));
            }
        }
    }
    if !field("audience").is_empty() && resource_server(&store, field("audience")).is_none() {
        return Err((
            "access_denied",
            format!("Service not found: {}", field("audience")),
        ));
    }
    Ok(())
}

pub(crate) fn organization_of(
    store: &Store,
    wanted: &str,
) -> Result<Option<LocalOrganization>, (&'static str, String)> {
    if wanted.is_empty() {
        return Ok(None);
    }
    store.organizations.find(wanted).map(Some).ok_or((
        "invalid_request",
        "parameter organization is invalid".to_owned(),
    ))
}

pub(crate) fn resource_server<'a>(store: &'a Store, audience: &str) -> Option<&'a Value> {
    store
        .resource_servers
        .iter()
        .find(|r| r["identifier"] == audience)
}

/// A fresh code for `user_id` (the checks of [`check_authorize`] passed).
fn issue_code(
    shared: &Shared,
    params: &HashMap<String, String>,
    user_id: String,
) -> Result<String, (&'static str, String)> {
    let field = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    let mut store = lock(&shared.store);
    let organization = organization_of(&store, field("organization"))?;
    if let Some(org) = &organization {
        let ticket = params.get("invitation").map(String::as_str);
        crate::organizations::admit(&mut store, &org.id, &user_id, ticket)?;
    }
    let code_challenge = match field("code_challenge") {
        "" => None,
        challenge => Some((
            challenge.to_owned(),
            match field("code_challenge_method") {
                "" => "plain".to_owned(),
                method => method.to_owned(),
            },
        )),
    };
    let code = random_id(24);
    let login = UserLogin {
        user_id,
        client_id: field("client_id").to_owned(),
        audience: match field("audience") {
            "" => shared.api_audience.clone(),
            a => a.to_owned(),
        },
        scope: match field("scope") {
            "" => "openid".to_owned(),
            s => s.to_owned(),
        },
        nonce: params.get("nonce").cloned(),
        organization,
        auth_time: now_secs(),
    };
    store.codes.insert(
        code.clone(),
        PendingCode {
            redirect_uri: field("redirect_uri").to_owned(),
            code_challenge,
            login,
        },
    );
    Ok(code)
}

/// The redirect back to the application with `code` or `error` (RFC 6749
/// §4.1.2 and §4.1.2.1), `state` echoed.
fn back_to_client(
    params: &HashMap<String, String>,
    outcome: Result<String, (&'static str, String)>,
) -> Resp {
    let redirect_uri = params.get("redirect_uri").map_or("", String::as_str);
    let mut back: Vec<(&str, String)> = match outcome {
        Ok(code) => vec![("code", code)],
        Err((error, description)) => vec![
            ("error", error.to_owned()),
            ("error_description", description),
        ],
    };
    if let Some(state) = params.get("state") {
        back.push(("state", state.clone()));
    }
    // OAuth 2.0 Form Post Response Mode §2: the parameters are POSTed to the
    // redirect URI by an auto-submitting form.
    if params.get("response_mode").map(String::as_str) == Some("form_post") {
        let mut inputs = String::new();
        for (name, value) in &back {
            inputs.push_str(&format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                escape_html(value)
            ));
        }
        return html(
            StatusCode::OK,
            format!(
                "<!doctype html><html><head><title>Submit This Form</title></head>\
                 <body onload=\"javascript:document.forms[0].submit()\">\
                 <form method=\"post\" action=\"{}\">{inputs}\
                 <noscript><button type=\"submit\">Continue</button></noscript></form></body></html>",
                escape_html(redirect_uri)
            ),
        );
    }
    let mut location = redirect_uri.to_owned();
    for (i, (name, value)) in back.iter().enumerate() {
        location.push(if i == 0 && !redirect_uri.contains('?') {
            '?'
        } else {
            '&'
        });
        location.push_str(name);
        location.push('=');
        auth0_core::client::percent_encode_into(&mut location, value);
    }
    redirect(&location)
}

/// Escapes text for HTML content and attribute values.
fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The minimal login page: the authorization request's parameters ride along
/// as hidden fields.
fn login_page(params: &HashMap<String, String>, error: Option<&str>) -> Resp {
    let mut hidden = String::new();
    let mut names: Vec<&String> = params
        .keys()
        .filter(|k| *k != "username" && *k != "password")
        .collect();
    names.sort();
    for name in names {
        hidden.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
            escape_html(name),
            escape_html(&params[name])
        ));
    }
    let error = error
        .map(|e| format!("<p role=\"alert\">{}</p>", escape_html(e)))
        .unwrap_or_default();
    html(
        if error.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        },
        format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>Log in — auth0-local</title></head>\
             <body><h1>auth0-local</h1><p><strong>A local test tenant, not a production identity provider.</strong></p>\
             {error}<form method=\"post\" action=\"/login\">\n{hidden}\
             <label>Email <input name=\"username\" type=\"email\" autocomplete=\"username\"></label>\
             <label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\"></label>\
             <button type=\"submit\">Continue</button></form></body></html>"
        ),
    )
}

/// `POST /login`: the login page's form.
fn login_form(shared: &Shared, req: &Req) -> Resp {
    let params = crate::server::parse_form(&req.body);
    let field = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    if lock(&shared.store).client(field("client_id")).is_none() || field("redirect_uri").is_empty()
    {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "Unknown client");
    }
    if let Err(e) = check_authorize(shared, &params) {
        return back_to_client(&params, Err(e));
    }
    let outcome = check_password(shared, field("username"), field("password"), None);
    let user_id = outcome.as_ref().ok().map(String::as_str);
    crate::logs::login(shared, req, field("client_id"), field("username"), user_id);
    match outcome {
        Ok(user_id) => back_to_client(&params, issue_code(shared, &params, user_id)),
        Err(_) => login_page(&params, Some("Wrong email or password.")),
    }
}

// --------------------------------------------------------------- /oauth/token

/// How the client proved itself.
pub(crate) struct AuthenticatedClient {
    pub(crate) record: Value,
    /// No credential was sent (a public client's PKCE or refresh exchange).
    pub(crate) public: bool,
    /// Authenticated by mutual TLS: the certificate's `x5t#S256`, which
    /// the access tokens issued are bound to ([`crate::mtls`]).
    pub(crate) certificate_thumbprint: Option<String>,
}

pub(crate) fn unauthorized_client() -> Resp {
    oauth_error(StatusCode::UNAUTHORIZED, "access_denied", "Unauthorized")
}

/// Client authentication at the token endpoint: `client_secret_post`,
/// `client_secret_basic` (RFC 6749 §2.3.1) or `private_key_jwt` (RFC 7523
/// §2.2, OIDC Core §9); no credential at all is a public client.
pub(crate) fn authenticate_client(
    shared: &Shared,
    req: &Req,
    params: &HashMap<String, String>,
) -> Result<AuthenticatedClient, Resp> {
    let field = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    if let Some(outcome) = crate::mtls::authenticate(shared, req, params) {
        return outcome;
    }
    if !field("client_assertion").is_empty() || !field("client_assertion_type").is_empty() {
        return client_assertion(shared, params).map(|record| AuthenticatedClient {
            record,
            public: false,
            certificate_thumbprint: None,
        });
    }
    let (client_id, secret) = match req.basic_credentials() {
        // RFC 6749 §2.3: one method per request; a body naming another
        // client contradicts the header.
        Some((id, _)) if !field("client_id").is_empty() && field("client_id") != id => {
            return Err(unauthorized_client());
        }
        Some((id, secret)) => (id, Some(secret)),
        None => (
            field("client_id").to_owned(),
            params.get("client_secret").cloned(),
        ),
    };
    let store = lock(&shared.store);
    let Some(record) = store.client(&client_id).cloned() else {
        return Err(unauthorized_client());
    };
    match secret {
        Some(secret) => {
            let expected = record["client_secret"].as_str().unwrap_or_default();
            if expected.is_empty() || !constant_time_eq(expected.as_bytes(), secret.as_bytes()) {
                return Err(unauthorized_client());
            }
            Ok(AuthenticatedClient {
                record,
                public: false,
                certificate_thumbprint: None,
            })
        }
        None => Ok(AuthenticatedClient {
            record,
            public: true,
            certificate_thumbprint: None,
        }),
    }
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks a `private_key_jwt` client assertion as Auth0 does.
fn client_assertion(shared: &Shared, params: &HashMap<String, String>) -> Result<Value, Resp> {
    let invalid = |why: &str| oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", why);
    let field = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    if field("client_assertion_type") != ASSERTION_TYPE {
        return Err(invalid("Missing or unexpected client_assertion_type"));
    }
    let jws = Jws::parse(field("client_assertion"), &ParseOptions::default())
        .map_err(|_| invalid("Malformed client_assertion"))?;
    let claims = jws.claims();
    let text = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or("");
    let client_id = text("iss");
    // RFC 7523 §3 items 1 and 2: `iss` and `sub` are the client id.
    if client_id.is_empty() || text("sub") != client_id {
        return Err(invalid("iss and sub must be the client_id"));
    }
    if !field("client_id").is_empty() && field("client_id") != client_id {
        return Err(invalid("client_id does not match the client_assertion"));
    }
    let alg = Algorithm::parse(&jws.header().alg).map_err(|_| invalid("Unsupported alg"))?;
    let mut store = lock(&shared.store);
    let Some(record) = store.client(client_id).cloned() else {
        return Err(invalid("Unknown client"));
    };
    let key = store
        .client_keys
        .get(client_id)
        .ok_or_else(|| invalid("No public key is registered for this client"))?;
    if !key.verifies(alg, jws.signing_input(), jws.signature()) {
        return Err(invalid("Invalid signature"));
    }
    // RFC 7523 §3 item 3: the audience is the tenant (its issuer URL, or the
    // token endpoint).
    let audience_ok = [
        shared.issuer.clone(),
        format!("{}oauth/token", shared.issuer),
    ]
    .iter()
    .any(|aud| has_audience(claims, aud));
    if !audience_ok {
        return Err(invalid("aud must be the tenant's issuer URL"));
    }
    // RFC 7523 §3 item 4: not expired; Auth0 also caps the lifetime.
    let number = |name: &str| claims.get(name).and_then(Value::as_i64).unwrap_or(0);
    let (iat, exp) = (number("iat"), number("exp"));
    if exp <= now_secs() || exp.saturating_sub(iat) > 300 {
        return Err(invalid("Expired or too long-lived client_assertion"));
    }
    // RFC 7523 §3 item 7: a `jti` is used once.
    let jti = text("jti");
    if jti.is_empty() || !store.seen_jti.insert(jti.to_owned()) {
        return Err(invalid("client_assertion jti missing or reused"));
    }
    Ok(record)
}

/// `POST /oauth/token` (RFC 6749 §3.2).
fn token(shared: &Shared, req: &Req) -> Resp {
    let params = match req.params() {
        Ok(params) => params,
        Err(response) => return response,
    };
    let grant_type = params.get("grant_type").map_or("", String::as_str);
    if grant_type.is_empty() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: grant_type",
        );
    }
    let client = match authenticate_client(shared, req, &params) {
        Ok(client) => client,
        Err(response) => return response,
    };
    let allowed = client.record["grant_types"]
        .as_array()
        .is_some_and(|grants| grants.iter().any(|g| g == grant_type));
    let known = matches!(
        grant_type,
        "client_credentials"
            | "password"
            | PASSWORD_REALM
            | MFA_OTP
            | MFA_RECOVERY_CODE
            | PASSWORDLESS_OTP
            | "authorization_code"
            | "refresh_token"
            | crate::ciba::GRANT
            | crate::token_exchange::GRANT
            | crate::mfa::GRANT_OOB
            | crate::device::GRANT_DEVICE_CODE
            | crate::passkey::GRANT
    );
    if !known {
        return oauth_error(
            StatusCode::FORBIDDEN,
            "unsupported_grant_type",
            &format!("Unsupported grant type: {grant_type}"),
        );
    }
    if !allowed {
        return oauth_error(
            StatusCode::FORBIDDEN,
            "unauthorized_client",
            &format!("Grant type '{grant_type}' not allowed for the client."),
        );
    }
    // Only a public application (`token_endpoint_auth_method: none`) may
    // leave authentication out, and only for code exchanges with a PKCE
    // verifier (RFC 7636 §4.5), refresh-token and device-code exchanges; a
    // confidential one must authenticate whatever the grant, PKCE or not
    // (as Auth0 answers a regular web app that sends none).
    let public_ok = crate::authn::is_public_client(&client.record)
        && match grant_type {
            "authorization_code" => params.contains_key("code_verifier"),
            "refresh_token" | crate::device::GRANT_DEVICE_CODE | crate::passkey::GRANT => true,
            _ => false,
        };
    let public_ok = public_ok || grant_type == PASSWORDLESS_OTP;
    if client.public && !public_ok {
        return unauthorized_client();
    }
    let client_id = client.record["client_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let field = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    let response = match grant_type {
        "client_credentials" => crate::logs::exchange(
            shared,
            req,
            &client_id,
            client_credentials(shared, &client_id, &params),
        ),
        "password" | PASSWORD_REALM => {
            let realm = (grant_type == PASSWORD_REALM).then(|| field("realm"));
            let outcome = check_password(shared, field("username"), field("password"), realm);
            let user_id = outcome.as_ref().ok().map(String::as_str);
            crate::logs::login(shared, req, &client_id, field("username"), user_id);
            match outcome {
                Ok(user_id) => {
                    let login = match user_login(shared, &client_id, user_id, &params) {
                        Ok(login) => login,
                        Err(response) => return response,
                    };
                    let mut store = lock(&shared.store);
                    if store.mfa_otp.is_some() || store.mfa.required_for(&login.user_id) {
                        // As Auth0 answers for a user with an enrolled factor.
                        let mfa_token = random_id(32);
                        store.mfa_pending.insert(mfa_token.clone(), login);
                        return json(
                            StatusCode::FORBIDDEN,
                            &json!({
                                "error": "mfa_required",
                                "error_description": "Multifactor authentication required",
                                "mfa_token": mfa_token,
                            }),
                        );
                    }
                    drop(store);
                    user_tokens(shared, &login, None)
                }
                Err(response) => response,
            }
        }
        MFA_OTP | MFA_RECOVERY_CODE => {
            let mut store = lock(&shared.store);
            let Some(login) = store.mfa_pending.get(field("mfa_token")).cloned() else {
                return oauth_error(
                    StatusCode::FORBIDDEN,
                    "invalid_grant",
                    "Malformed mfa_token",
                );
            };
            if login.client_id != client_id {
                return oauth_error(
                    StatusCode::FORBIDDEN,
                    "invalid_grant",
                    "Malformed mfa_token",
                );
            }
            let mut extra = Map::new();
            if grant_type == MFA_OTP {
                let tenant_code = store.mfa_otp.as_deref() == Some(field("otp"));
                if !tenant_code
                    && !crate::mfa::verify_otp(&mut store.mfa, &login.user_id, field("otp"))
                {
                    return oauth_error(
                        StatusCode::FORBIDDEN,
                        "invalid_grant",
                        "Invalid otp_code.",
                    );
                }
            } else {
                let matches = store.mfa_recovery_code.as_deref().is_some_and(|code| {
                    constant_time_eq(code.as_bytes(), field("recovery_code").as_bytes())
                });
                if !matches {
                    return oauth_error(
                        StatusCode::FORBIDDEN,
                        "invalid_grant",
                        "Invalid recovery_code.",
                    );
                }
                // A recovery code works once; Auth0 answers with the next one.
                let next = crate::tenant::recovery_code();
                store.mfa_recovery_code = Some(next.clone());
                extra.insert("recovery_code".to_owned(), json!(next));
            }
            // An mfa_token finishes one login.
            store.mfa_pending.remove(field("mfa_token"));
            drop(store);
            user_tokens_with(shared, &login, None, extra)
        }
        PASSWORDLESS_OTP => passwordless_grant(shared, &client_id, &params),
        "authorization_code" => authorization_code(shared, &client_id, &params),
        "refresh_token" => refresh_token(shared, &client_id, field("refresh_token")),
        crate::ciba::GRANT => crate::ciba::token(shared, &client_id, &params),
        crate::token_exchange::GRANT => crate::token_exchange::token(shared, &client_id, &params),
        crate::mfa::GRANT_OOB => crate::mfa::oob_grant(shared, &client_id, &params),
        crate::device::GRANT_DEVICE_CODE => crate::device::token(shared, &client_id, &params),
        crate::passkey::GRANT => crate::passkey::token(shared, &client_id, &params),
        _ => unauthorized_client(),
    };
    // RFC 8705 §3: a client authenticated by certificate gets tokens bound
    // to it.
    match &client.certificate_thumbprint {
        Some(thumbprint) => crate::mtls::bind(shared, response, thumbprint),
        None => response,
    }
}

fn client_credentials(shared: &Shared, client_id: &str, params: &HashMap<String, String>) -> Resp {
    let audience = match params.get("audience").map(String::as_str) {
        None | Some("") => shared.api_audience.clone(),
        Some(a) => a.to_owned(),
    };
    let store = lock(&shared.store);
    let Some(server) = resource_server(&store, &audience) else {
        return oauth_error(
            StatusCode::FORBIDDEN,
            "access_denied",
            &format!("Service not enabled within domain: {audience}"),
        );
    };
    let lifetime = server["token_lifetime"]
        .as_i64()
        .unwrap_or(ACCESS_TOKEN_LIFETIME);
    let Some(grant) = applicable_grant(&store, client_id, &audience) else {
        return oauth_error(
            StatusCode::FORBIDDEN,
            "access_denied",
            &format!(
                "Client is not authorized to access \"{audience}\". You need to create a \
                 \"client-grant\" associated to this API. See: \
                 https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants"
            ),
        );
    };
    let granted: Vec<&str> = grant["scope"]
        .as_array()
        .map(|s| s.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    // A requested scope narrows the grant; without one, all of it.
    let scope: Vec<&str> = match params.get("scope").map(String::as_str) {
        Some(requested) if !requested.trim().is_empty() => requested
            .split(' ')
            .filter(|s| granted.contains(s))
            .collect(),
        _ => granted,
    };
    let scope = scope.join(" ");
    drop(store);
    let now = now_secs();
    let claims = json!({
        "iss": shared.issuer,
        "sub": format!("{client_id}@clients"),
        "aud": audience,
        "iat": now,
        "exp": now + lifetime,
        "scope": scope,
        "gty": "client-credentials",
        "azp": client_id,
    });
    match sign(shared, &claims) {
        Ok(token) => no_store(&json!({
            "access_token": token,
            "scope": scope,
            "expires_in": lifetime,
            "token_type": "Bearer",
        })),
        Err(response) => response,
    }
}

/// The client grant a client-credentials exchange for `audience` uses: the
/// client's own grant for it, else — for a third-party client
/// (`is_first_party: false`) — the audience's `default_for:
/// third_party_clients` grant ("per-client grants for the same audience
/// take precedence"). First-party clients never get a default grant. Only
/// grants for client access count (`subject_type` `client`, the default):
/// a `user` grant is for user access flows.
fn applicable_grant<'a>(store: &'a Store, client_id: &str, audience: &str) -> Option<&'a Value> {
    let for_audience = || {
        store.client_grants.iter().filter(|g| {
            g["audience"] == audience && matches!(g["subject_type"].as_str(), None | Some("client"))
        })
    };
    if let Some(own) = for_audience().find(|g| g["client_id"] == client_id) {
        return Some(own);
    }
    // Auth0's default for an absent `is_first_party` is `true`.
    let third_party = store
        .client(client_id)
        .is_some_and(|c| c["is_first_party"] == false);
    if !third_party {
        return None;
    }
    for_audience().find(|g| g["default_for"] == "third_party_clients")
}

/// A database login; the user id, or Auth0's answer to a failed one.
fn check_password(
    shared: &Shared,
    username: &str,
    password: &str,
    realm: Option<&str>,
) -> Result<String, Resp> {
    let wrong = || {
        oauth_error(
            StatusCode::FORBIDDEN,
            "invalid_grant",
            "Wrong email or password.",
        )
    };
    // An empty realm falls back to the default directory, like `password`.
    if let Some(realm) = realm.filter(|r| !r.is_empty())
        && realm != DATABASE_CONNECTION
    {
        return Err(wrong());
    }
    let mut store = lock(&shared.store);
    let Some(user) = store.user_by_email(username).cloned() else {
        return Err(wrong());
    };
    let user_id = user["user_id"].as_str().unwrap_or_default().to_owned();
    let matches = store
        .passwords
        .get(&user_id)
        .is_some_and(|p| constant_time_eq(p.as_bytes(), password.as_bytes()));
    if !matches {
        return Err(wrong());
    }
    if user["blocked"] == true {
        return Err(oauth_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "user is blocked",
        ));
    }
    if let Some(record) = store
        .users
        .iter_mut()
        .find(|u| u["user_id"] == user_id.as_str())
    {
        let count = record["logins_count"].as_i64().unwrap_or(0);
        record["logins_count"] = json!(count + 1);
        record["last_login"] = json!(crate::tenant::now_iso());
    }
    Ok(user_id)
}

/// The login of a password or passwordless grant: audience checked, scope
/// defaulted as Auth0 does.
pub(crate) fn user_login(
    shared: &Shared,
    client_id: &str,
    user_id: String,
    params: &HashMap<String, String>,
) -> Result<UserLogin, Resp> {
    let audience = match params.get("audience").map(String::as_str) {
        None | Some("") => shared.api_audience.clone(),
        Some(a) => a.to_owned(),
    };
    if resource_server(&lock(&shared.store), &audience).is_none() {
        return Err(oauth_error(
            StatusCode::FORBIDDEN,
            "access_denied",
            &format!("Service not found: {audience}"),
        ));
    }
    Ok(UserLogin {
        user_id,
        client_id: client_id.to_owned(),
        audience,
        scope: match params.get("scope").map(String::as_str) {
            None | Some("") => "openid profile email".to_owned(),
            Some(s) => s.to_owned(),
        },
        nonce: None,
        organization: None,
        auth_time: now_secs(),
    })
}

/// The tokens of a user login: an access token for the audience (and
/// `/userinfo`), an ID token when the scope has `openid` (OIDC Core §2), a
/// refresh token when it has `offline_access` (OIDC Core §11), in the
/// rotation family `family` when this is a refresh.
pub(crate) fn user_tokens(shared: &Shared, login: &UserLogin, family: Option<String>) -> Resp {
    user_tokens_with(shared, login, family, Map::new())
}

/// [`user_tokens`] with `extra` fields in the answer (the next MFA
/// recovery code).
pub(crate) fn user_tokens_with(
    shared: &Shared,
    login: &UserLogin,
    family: Option<String>,
    extra: Map<String, Value>,
) -> Resp {
    let Some(user) = lock(&shared.store).user(&login.user_id).cloned() else {
        return oauth_error(StatusCode::FORBIDDEN, "invalid_grant", "Unknown user");
    };
    // The API's `token_lifetime` (Auth0 sets access-token lifetimes per API).
    let lifetime = resource_server(&lock(&shared.store), &login.audience)
        .and_then(|server| server["token_lifetime"].as_i64())
        .unwrap_or(ACCESS_TOKEN_LIFETIME);
    let now = now_secs();
    let scopes: Vec<&str> = login.scope.split(' ').filter(|s| !s.is_empty()).collect();
    let openid = scopes.contains(&"openid");
    let userinfo = format!("{}userinfo", shared.issuer);
    let (granted, permissions) = crate::roles::authorize_login(
        &lock(&shared.store),
        &login.user_id,
        &login.audience,
        &login.scope,
    );
    let mut access = json!({
        "iss": shared.issuer, "sub": login.user_id,
        "aud": if openid { json!([login.audience, userinfo]) } else { json!(login.audience) },
        "iat": now, "exp": now + lifetime,
        "scope": granted, "azp": login.client_id,
    });
    if let Some(permissions) = permissions {
        access["permissions"] = json!(permissions);
    }
    let mut id = json!({
        "iss": shared.issuer, "sub": login.user_id, "aud": login.client_id,
        "iat": now, "exp": now + ID_TOKEN_LIFETIME, "auth_time": login.auth_time,
        "sid": random_id(12),
    });
    if scopes.contains(&"profile") {
        for name in ["name", "nickname", "picture", "updated_at"] {
            id[name] = user[name].clone();
        }
    }
    if scopes.contains(&"email") {
        id["email"] = user["email"].clone();
        id["email_verified"] = user["email_verified"].clone();
    }
    if let Some(org) = &login.organization {
        for claims in [&mut access, &mut id] {
            claims["org_id"] = json!(org.id);
            claims["org_name"] = json!(org.name);
        }
    }
    if let Some(nonce) = &login.nonce {
        // OIDC Core §3.1.3.7 item 11: the nonce of the authentication request.
        id["nonce"] = json!(nonce);
    }
    let mut body = json!({
        "token_type": "Bearer", "expires_in": lifetime, "scope": granted,
    });
    match sign(shared, &access) {
        Ok(token) => body["access_token"] = json!(token),
        Err(response) => return response,
    }
    if openid {
        match sign_id_token(shared, &login.client_id, &id) {
            Ok(token) => body["id_token"] = json!(token),
            Err(response) => return response,
        }
    }
    for (name, value) in extra {
        body[name] = value;
    }
    if scopes.contains(&"offline_access") {
        let refresh = random_id(36);
        lock(&shared.store).refresh_tokens.insert(
            refresh.clone(),
            RefreshGrant {
                family: family.unwrap_or_else(|| random_id(12)),
                login: login.clone(),
                used: false,
            },
        );
        body["refresh_token"] = json!(refresh);
    }
    no_store(&body)
}

fn authorization_code(shared: &Shared, client_id: &str, params: &HashMap<String, String>) -> Resp {
    let field = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    let invalid =
        |description: &str| oauth_error(StatusCode::FORBIDDEN, "invalid_grant", description);
    // RFC 6749 §4.1.2: a code is good for one exchange, whatever its outcome.
    let Some(pending) = lock(&shared.store).codes.remove(field("code")) else {
        return invalid("Invalid authorization code");
    };
    if pending.login.client_id != client_id {
        return invalid("Invalid authorization code");
    }
    // RFC 6749 §4.1.3: the same redirect_uri as the authorization request.
    let redirect_uri = field("redirect_uri");
    if !redirect_uri.is_empty() && redirect_uri != pending.redirect_uri {
        return invalid("Unable to verify the redirect_uri");
    }
    match (&pending.code_challenge, field("code_verifier")) {
        (None, "") => {}
        (Some((challenge, method)), verifier) if !verifier.is_empty() => {
            // RFC 7636 §4.6.
            let computed = if method == "S256" {
                use base64::Engine as _;
                let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
            } else {
                verifier.to_owned()
            };
            if !constant_time_eq(computed.as_bytes(), challenge.as_bytes()) {
                return invalid("Failed to verify code verifier");
            }
        }
        _ => return invalid("Failed to verify code verifier"),
    }
    user_tokens(shared, &pending.login, None)
}

/// RFC 6749 §6 with rotation: each refresh token works once; presenting a
/// rotated one again revokes its whole family (reuse detection, RFC 9700
/// §4.14.2).
fn refresh_token(shared: &Shared, client_id: &str, token: &str) -> Resp {
    let invalid = || {
        oauth_error(
            StatusCode::FORBIDDEN,
            "invalid_grant",
            "Unknown or invalid refresh token.",
        )
    };
    let mut store = lock(&shared.store);
    let Some(grant) = store.refresh_tokens.get_mut(token) else {
        return invalid();
    };
    if grant.login.client_id != client_id {
        return invalid();
    }
    if grant.used {
        let family = grant.family.clone();
        store.refresh_tokens.retain(|_, g| g.family != family);
        return invalid();
    }
    grant.used = true;
    let family = grant.family.clone();
    let mut login = grant.login.clone();
    login.nonce = None;
    drop(store);
    user_tokens(shared, &login, Some(family))
}

fn passwordless_grant(shared: &Shared, client_id: &str, params: &HashMap<String, String>) -> Resp {
    let field = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    let username = field("username");
    let realm = field("realm");
    let wrong = || {
        oauth_error(
            StatusCode::FORBIDDEN,
            "invalid_grant",
            "Wrong email or verification code.",
        )
    };
    let mut store = lock(&shared.store);
    let matches = store
        .otps
        .get(username)
        .is_some_and(|otp| constant_time_eq(otp.as_bytes(), field("otp").as_bytes()));
    if !matches || !matches!(realm, "email" | "sms") {
        return wrong();
    }
    store.otps.remove(username);
    let existing = if realm == "email" {
        store.user_by_email(username).cloned()
    } else {
        store
            .users
            .iter()
            .find(|u| u["phone_number"] == username)
            .cloned()
    };
    let user_id = match existing {
        Some(user) => user["user_id"].as_str().unwrap_or_default().to_owned(),
        None => {
            // Auth0 signs passwordless users up on their first login.
            let mut extra = Map::new();
            extra.insert("email_verified".to_owned(), json!(true));
            let email = if realm == "email" {
                username.to_owned()
            } else {
                extra.insert("phone_number".to_owned(), json!(username));
                String::new()
            };
            match store.insert_user(realm, &email, None, None, extra) {
                Ok(record) => record["user_id"].as_str().unwrap_or_default().to_owned(),
                Err(_) => return wrong(),
            }
        }
    };
    drop(store);
    match user_login(shared, client_id, user_id, params) {
        Ok(login) => user_tokens(shared, &login, None),
        Err(response) => response,
    }
}

// ------------------------------------------------------------ other endpoints

/// `/userinfo` (OIDC Core §5.3) for a user's access token.
fn userinfo(shared: &Shared, req: &Req) -> Resp {
    let unauthorized = || oauth_error(StatusCode::UNAUTHORIZED, "invalid_token", "Unauthorized");
    let Some(claims) = req.bearer().and_then(|t| verify_own_token(shared, t)) else {
        return unauthorized();
    };
    if !has_audience(&claims, &format!("{}userinfo", shared.issuer)) {
        return unauthorized();
    }
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(user) = lock(&shared.store).user(sub).cloned() else {
        return unauthorized();
    };
    json(
        StatusCode::OK,
        &json!({
            "sub": sub, "name": user["name"], "nickname": user["nickname"],
            "picture": user["picture"], "updated_at": user["updated_at"],
            "email": user["email"], "email_verified": user["email_verified"],
        }),
    )
}

/// `POST /oauth/revoke` (RFC 7009): revokes a refresh token and its family.
fn revoke(shared: &Shared, req: &Req) -> Resp {
    let params = match req.params() {
        Ok(params) => params,
        Err(response) => return response,
    };
    let client = match authenticate_client(shared, req, &params) {
        Ok(client) => client,
        Err(response) => return response,
    };
    let Some(token) = params.get("token").filter(|t| !t.is_empty()) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: token",
        );
    };
    let mut store = lock(&shared.store);
    let family = store
        .refresh_tokens
        .get(token)
        .filter(|g| client.record["client_id"] == g.login.client_id.as_str())
        .map(|g| g.family.clone());
    if let Some(family) = family {
        store.refresh_tokens.retain(|_, g| g.family != family);
    }
    // RFC 7009 §2.2: 200 whether or not the token was known.
    json(StatusCode::OK, &json!({}))
}

/// `GET /v2/logout`: back to `returnTo`, or a plain OK.
fn logout(req: &Req) -> Resp {
    match req.query_params().get("returnTo") {
        Some(to) if !to.is_empty() => redirect(to),
        _ => text(StatusCode::OK, "OK"),
    }
}

fn signup_error(code: &str, description: &str) -> Resp {
    json(
        StatusCode::BAD_REQUEST,
        &json!({ "name": "BadRequestError", "code": code, "description": description,
                 "statusCode": 400 }),
    )
}

/// `POST /dbconnections/signup`.
fn signup(shared: &Shared, req: &Req) -> Resp {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&req.body) else {
        return signup_error("invalid_body", "Invalid JSON body");
    };
    let text = |name: &str| body.get(name).and_then(Value::as_str).unwrap_or("");
    let mut store = lock(&shared.store);
    if store.client(text("client_id")).is_none() {
        return signup_error("invalid_client", "Unknown client");
    }
    if text("connection") != DATABASE_CONNECTION {
        return signup_error("invalid_connection", "Connection not found");
    }
    if text("password").len() < 8 {
        return signup_error(
            "invalid_password",
            "PasswordStrengthError: Password is too weak",
        );
    }
    if !text("email").contains('@') {
        return signup_error("invalid_signup", "Invalid sign up");
    }
    let mut extra = Map::new();
    for name in [
        "username",
        "name",
        "given_name",
        "family_name",
        "nickname",
        "picture",
        "user_metadata",
    ] {
        if let Some(value) = body.get(name) {
            extra.insert(name.to_owned(), value.clone());
        }
    }
    if let Some(error) = crate::tenant::profile_length_error(&extra) {
        let description = format!("{} on property {}", error.message, error.name);
        return signup_error("invalid_signup", &description);
    }
    match store.insert_user(
        DATABASE_CONNECTION,
        text("email"),
        Some(text("password")),
        None,
        extra,
    ) {
        Ok(record) => {
            let id = record["user_id"]
                .as_str()
                .and_then(|id| id.split_once('|'))
                .map_or("", |(_, id)| id)
                .to_owned();
            let mut answer = json!({
                "_id": id, "email": record["email"], "email_verified": false,
            });
            if let Some(username) = body.get("username") {
                answer["username"] = username.clone();
            }
            json(StatusCode::OK, &answer)
        }
        Err(_) => signup_error("invalid_signup", "Invalid sign up"),
    }
}

/// `POST /dbconnections/change_password`: Auth0 answers the same text
/// whether or not the user exists.
fn change_password(shared: &Shared, req: &Req) -> Resp {
    let params = match req.params() {
        Ok(params) => params,
        Err(response) => return response,
    };
    let field = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    if lock(&shared.store).client(field("client_id")).is_none() {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "Unknown client");
    }
    if field("connection") != DATABASE_CONNECTION {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "connection not found",
        );
    }
    text(
        StatusCode::OK,
        "We've just sent you an email to reset your password.",
    )
}

/// `POST /passwordless/start`: "sends" a six-digit code, kept for the grant
/// and for [`crate::LocalTenant::passwordless_code`].
fn passwordless_start(shared: &Shared, req: &Req) -> Resp {
    let params = match req.params() {
        Ok(params) => params,
        Err(response) => return response,
    };
    let field = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    if lock(&shared.store).client(field("client_id")).is_none() {
        return unauthorized_client();
    }
    let (recipient, answer) = match field("connection") {
        "email" if field("email").contains('@') => (
            field("email").to_owned(),
            json!({ "_id": random_id(9), "email": field("email"), "email_verified": false }),
        ),
        "sms" if !field("phone_number").is_empty() => (
            field("phone_number").to_owned(),
            json!({ "_id": random_id(9), "phone_number": field("phone_number"),
                    "phone_verified": false, "request_language": null }),
        ),
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "bad.connection",
                "Connection does not exist",
            );
        }
    };
    let code = crate::tenant::six_digit_code();
    lock(&shared.store).otps.insert(recipient, code);
    json(StatusCode::OK, &answer)
}
