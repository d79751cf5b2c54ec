//! DPoP (RFC 9449) at the tenant: proofs at `/oauth/token` are checked with
//! auth0-jwt's [`DpopValidator`] (the SDK's one implementation), and the
//! tokens issued are bound to the proof's key — `cnf.jkt` in the access
//! token, `token_type: DPoP`, refresh tokens of public clients bound too
//! (§5). `/userinfo` takes `Authorization: DPoP` with a proof carrying `ath`
//! and refuses a bound token sent as `Bearer` (§7.2). With
//! [`LocalTenant::require_dpop_nonce`] both answer `use_dpop_nonce` with a
//! `DPoP-Nonce` header until a proof carries it (§8, §9).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use auth0_jwt::Algorithm;
use auth0_jwt::dpop::{DpopError, DpopRequest, DpopValidator, RotatingNonce};
use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, StatusCode};
use http_body_util::{BodyExt as _, Full};
use serde_json::{Value, json};

use crate::server::{Req, Resp, json, oauth_error};
use crate::tenant::{Shared, lock};
use crate::{LocalTenant, StartError};

/// How long a server nonce stays valid (two periods are accepted).
const NONCE_PERIOD: Duration = Duration::from_secs(300);

/// The validators and the refresh-token bindings.
pub(crate) struct DpopState {
    plain: DpopValidator,
    nonced: DpopValidator,
    require_nonce: AtomicBool,
    /// Refresh tokens bound to a key (RFC 9449 §5), by token: the thumbprint.
    refresh_keys: Mutex<HashMap<String, String>>,
}

impl DpopState {
    pub(crate) fn new(_issuer: &str) -> Result<Self, StartError> {
        let algorithms = [
            Algorithm::ES256,
            Algorithm::ES384,
            Algorithm::RS256,
            Algorithm::PS256,
            Algorithm::EdDSA,
        ];
        let config = |e: &dyn std::fmt::Display| StartError::Config {
            reason: format!("DPoP validator: {e}"),
        };
        let plain = DpopValidator::builder()
            .algorithms(algorithms)
            .build()
            .map_err(|e| config(&e))?;
        let nonce = RotatingNonce::random(NONCE_PERIOD).map_err(|e| config(&e))?;
        let nonced = DpopValidator::builder()
            .algorithms(algorithms)
            .require_nonce(std::sync::Arc::new(nonce))
            .build()
            .map_err(|e| config(&e))?;
        Ok(Self {
            plain,
            nonced,
            require_nonce: AtomicBool::new(false),
            refresh_keys: Mutex::new(HashMap::new()),
        })
    }

    fn validator(&self) -> &DpopValidator {
        if self.require_nonce.load(Ordering::Relaxed) {
            &self.nonced
        } else {
            &self.plain
        }
    }
}

impl LocalTenant {
    /// Makes `/oauth/token` and `/userinfo` require a server nonce in DPoP
    /// proofs (RFC 9449 §8): a proof without the current one is answered
    /// `use_dpop_nonce` with the nonce in `DPoP-Nonce`.
    pub fn require_dpop_nonce(&self, required: bool) {
        self.shared()
            .authn
            .dpop
            .require_nonce
            .store(required, Ordering::Relaxed);
    }

    /// The server nonce DPoP proofs must carry while
    /// [`require_dpop_nonce`](Self::require_dpop_nonce) is on (the one a
    /// `DPoP-Nonce` header would send now), for scripting an answer that
    /// hands it out, e.g. a 429 with `DPoP-Nonce`. `None` when nonces are
    /// off.
    pub fn dpop_nonce(&self) -> Option<String> {
        self.shared().authn.dpop.validator().current_nonce()
    }
}

/// The `DPoP` headers of a request.
fn proofs(req: &Req) -> Vec<&str> {
    req.headers
        .get_all("dpop")
        .iter()
        .map(|v| v.to_str().unwrap_or(""))
        .collect()
}

/// The token of `Authorization: DPoP <token>`.
fn dpop_token(req: &Req) -> Option<&str> {
    let value = req.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("dpop")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

fn bound_key(claims: &serde_json::Map<String, Value>) -> Option<&str> {
    claims.get("cnf")?.get("jkt")?.as_str()
}

/// Answers one request: DPoP's checks around [`crate::routes::route`].
pub(crate) async fn route(shared: &Shared, req: &Req) -> Resp {
    let proofs = proofs(req);
    match (&req.method, req.path.as_str()) {
        (&Method::POST, "/oauth/token") => token(shared, req, &proofs).await,
        (&Method::GET | &Method::POST, "/userinfo") => userinfo(shared, req, &proofs).await,
        _ => crate::routes::route(shared, req),
    }
}

/// A 400 (token endpoint) answer for a refused proof, RFC 9449 §4.3 / §8.
fn refused_at_token_endpoint(shared: &Shared, error: &DpopError) -> Resp {
    match error {
        DpopError::UseNonce { nonce } => {
            let mut response = oauth_error(
                StatusCode::BAD_REQUEST,
                "use_dpop_nonce",
                "Authorization server requires nonce in DPoP proof",
            );
            with_nonce(&mut response, nonce);
            response
        }
        error if error.is_server_error() => oauth_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "The DPoP proof could not be checked",
        ),
        _ => {
            let _ = shared;
            oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_dpop_proof",
                "Invalid DPoP proof",
            )
        }
    }
}

fn with_nonce(response: &mut Resp, nonce: &str) {
    if let Ok(value) = HeaderValue::from_str(nonce) {
        response.headers_mut().insert("dpop-nonce", value);
    }
}

async fn token(shared: &Shared, req: &Req, proofs: &[&str]) -> Resp {
    let dpop = &shared.authn.dpop;
    let params = match req.params() {
        Ok(params) => params,
        Err(response) => return response,
    };
    let jkt = match proofs {
        [] => None,
        [proof] => {
            let htu = format!("{}oauth/token", shared.issuer);
            match dpop
                .validator()
                .validate(proof, &DpopRequest::new("POST", &htu))
                .await
            {
                Ok(verified) => Some(verified.jkt),
                Err(error) => return refused_at_token_endpoint(shared, &error),
            }
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_dpop_proof",
                "Only one DPoP proof is allowed",
            );
        }
    };
    // RFC 9449 §5: a bound refresh token is used with a proof by its key.
    if params.get("grant_type").map(String::as_str) == Some("refresh_token") {
        let token = params.get("refresh_token").map_or("", String::as_str);
        let bound = lock(&dpop.refresh_keys).get(token).cloned();
        if bound.is_some() && bound != jkt {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "The refresh token is bound to another DPoP key",
            );
        }
    }
    let response = crate::routes::route(shared, req);
    let Some(jkt) = jkt else { return response };
    let mut response = if response.status() == StatusCode::OK {
        bind(shared, &params, response, &jkt).await
    } else {
        response
    };
    if let Some(nonce) = dpop.validator().current_nonce() {
        with_nonce(&mut response, &nonce);
    }
    response
}

/// Re-signs the issued access token with `cnf.jkt` (RFC 9449 §6.1) and
/// answers `token_type: DPoP` (§5); binds a public client's refresh token.
async fn bind(
    shared: &Shared,
    params: &HashMap<String, String>,
    response: Resp,
    jkt: &str,
) -> Resp {
    let (parts, body) = response.into_parts();
    let Ok(body) = body.collect().await.map(|b| b.to_bytes());
    let Ok(Value::Object(mut answer)) = serde_json::from_slice::<Value>(&body) else {
        return http::Response::from_parts(parts, Full::new(body));
    };
    let token = answer
        .get("access_token")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(mut claims) = crate::routes::verify_own_token(shared, token) else {
        return http::Response::from_parts(parts, Full::new(body));
    };
    claims.insert("cnf".to_owned(), json!({ "jkt": jkt }));
    let bound = match crate::routes::sign(shared, &Value::Object(claims)) {
        Ok(bound) => bound,
        Err(response) => return response,
    };
    answer.insert("access_token".to_owned(), json!(bound));
    answer.insert("token_type".to_owned(), json!("DPoP"));
    if let Some(refresh) = answer.get("refresh_token").and_then(Value::as_str) {
        let client_id = params.get("client_id").map_or("", String::as_str);
        let public = lock(&shared.store)
            .client(client_id)
            .is_some_and(crate::authn::is_public_client);
        if public {
            lock(&shared.authn.dpop.refresh_keys).insert(refresh.to_owned(), jkt.to_owned());
        }
    }
    let mut response = json(StatusCode::OK, &Value::Object(answer));
    for (name, value) in &parts.headers {
        if name != header::CONTENT_LENGTH {
            response.headers_mut().insert(name, value.clone());
        }
    }
    response
}

/// A 401 with an RFC 9449 §7.1 challenge.
fn challenge(shared: &Shared, error: &str, description: &str, nonce: Option<&str>) -> Resp {
    let mut response = oauth_error(StatusCode::UNAUTHORIZED, error, description);
    let algs = shared
        .authn
        .dpop
        .validator()
        .algorithms()
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let value =
        format!("DPoP error=\"{error}\", error_description=\"{description}\", algs=\"{algs}\"");
    if let Ok(value) = HeaderValue::from_str(&value) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    if let Some(nonce) = nonce {
        with_nonce(&mut response, nonce);
    }
    response
}

async fn userinfo(shared: &Shared, req: &Req, proofs: &[&str]) -> Resp {
    let Some(token) = dpop_token(req) else {
        // RFC 9449 §7.2: a DPoP-bound token is not a bearer token.
        let bound = req
            .bearer()
            .and_then(|t| crate::routes::verify_own_token(shared, t))
            .is_some_and(|claims| bound_key(&claims).is_some());
        if bound {
            return challenge(
                shared,
                "invalid_token",
                "DPoP-bound token sent as Bearer",
                None,
            );
        }
        return crate::routes::route(shared, req);
    };
    let Some(claims) = crate::routes::verify_own_token(shared, token) else {
        return challenge(shared, "invalid_token", "Invalid token", None);
    };
    let Some(jkt) = bound_key(&claims) else {
        return challenge(shared, "invalid_token", "The token is not DPoP-bound", None);
    };
    let [proof] = proofs else {
        return challenge(
            shared,
            "invalid_dpop_proof",
            "One DPoP proof is required",
            None,
        );
    };
    let htu = format!("{}userinfo", shared.issuer);
    let request = DpopRequest::new(req.method.as_str(), &htu).access_token(token, jkt);
    if let Err(error) = shared
        .authn
        .dpop
        .validator()
        .validate(proof, &request)
        .await
    {
        return match error {
            DpopError::UseNonce { nonce } => challenge(
                shared,
                "use_dpop_nonce",
                "Resource server requires nonce in DPoP proof",
                Some(&nonce),
            ),
            _ => challenge(shared, "invalid_dpop_proof", "Invalid DPoP proof", None),
        };
    }
    // The proof holds: answer as for the same token sent as Bearer.
    let mut headers = req.headers.clone();
    headers.remove("dpop");
    match HeaderValue::from_str(&format!("Bearer {token}")) {
        Ok(value) => {
            headers.insert(header::AUTHORIZATION, value);
        }
        Err(_) => return challenge(shared, "invalid_token", "Invalid token", None),
    }
    let bearer = Req {
        method: req.method.clone(),
        path: req.path.clone(),
        query: req.query.clone(),
        headers,
        authority: req.authority.clone(),
        body: Bytes::clone(&req.body),
        client_certificate: req.client_certificate.clone(),
    };
    crate::routes::route(shared, &bearer)
}
