//! Auth0 Custom Token Exchange (RFC 8693,
//! `urn:ietf:params:oauth:grant-type:token-exchange`): a
//! [`TokenExchangeProfile`] stands for Auth0's profile and its Action — it
//! decides which user a `subject_token` of its `subject_token_type` is, or
//! rejects it — and the grant answers that user's tokens for the requested
//! `audience` and `scope` (and `organization`).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use http::StatusCode;
use serde_json::{Map, json};

use crate::routes::{organization_of, user_login, user_tokens_with};
use crate::server::{Resp, oauth_error};
use crate::tenant::{Shared, lock};
use crate::{LocalTenant, TenantError};

/// The token exchange grant type.
pub(crate) const GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// RFC 8693 §3: what the answer's `access_token` is.
const ISSUED_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// Namespaces Auth0 reserves: a custom `subject_token_type` may not use them.
const RESERVED: &[&str] = &["urn:ietf:params:oauth:", "https://auth0.com/", "urn:auth0:"];

/// Why a [`TokenExchangeProfile`] refused a subject token, as its Action
/// would say it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExchangeRejection {
    /// `api.access.rejectInvalidSubjectToken(reason)`: the token is not
    /// valid. The grant answers `400 invalid_request` with `reason`.
    InvalidSubjectToken(String),
    /// `api.access.deny(code, reason)`: a policy refused the exchange. The
    /// grant answers `403` with `code` as the `error`.
    Denied {
        /// The OAuth error code, e.g. `access_denied`.
        code: String,
        /// The `error_description`.
        reason: String,
    },
}

type Validate = dyn Fn(&str) -> Result<String, ExchangeRejection> + Send + Sync;

/// A custom token exchange profile: the `subject_token_type` it serves and
/// the check its Action makes, returning the id of the user the subject
/// token stands for (`api.authentication.setUserById`).
///
/// ```
/// use auth0_local::{ExchangeRejection, TokenExchangeProfile};
/// let profile = TokenExchangeProfile::new("urn:acme:legacy-token", |token| {
///     token
///         .strip_prefix("legacy:")
///         .map(|user| format!("auth0|{user}"))
///         .ok_or_else(|| ExchangeRejection::InvalidSubjectToken("not a legacy token".into()))
/// });
/// assert_eq!(profile.subject_token_type(), "urn:acme:legacy-token");
/// ```
#[derive(Clone)]
pub struct TokenExchangeProfile {
    subject_token_type: String,
    validate: Arc<Validate>,
}

impl fmt::Debug for TokenExchangeProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenExchangeProfile")
            .field("subject_token_type", &self.subject_token_type)
            .finish_non_exhaustive()
    }
}

impl TokenExchangeProfile {
    /// A profile for `subject_token_type` whose Action is `validate`: the
    /// subject token in, the user id out (or why not).
    pub fn new<F>(subject_token_type: impl Into<String>, validate: F) -> Self
    where
        F: Fn(&str) -> Result<String, ExchangeRejection> + Send + Sync + 'static,
    {
        Self {
            subject_token_type: subject_token_type.into(),
            validate: Arc::new(validate),
        }
    }

    /// The `subject_token_type` it serves.
    pub fn subject_token_type(&self) -> &str {
        &self.subject_token_type
    }
}

/// The profiles, by subject token type.
#[derive(Default)]
pub(crate) struct Profiles {
    by_type: HashMap<String, TokenExchangeProfile>,
}

impl fmt::Debug for Profiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.by_type.keys()).finish()
    }
}

/// The token exchange grant.
pub(crate) fn token(shared: &Shared, client_id: &str, params: &HashMap<String, String>) -> Resp {
    let field = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    let invalid =
        |description: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description);
    for name in ["subject_token", "subject_token_type"] {
        if field(name).is_empty() {
            return invalid(&format!("Missing required parameter: {name}"));
        }
    }
    let Some(profile) = lock(&shared.store)
        .exchange_profiles
        .by_type
        .get(field("subject_token_type"))
        .cloned()
    else {
        return invalid("subject_token_type is not supported by any token exchange profile");
    };
    // The profile's check is the test's code: run it without the lock.
    let user_id = match (profile.validate)(field("subject_token")) {
        Ok(user_id) => user_id,
        Err(ExchangeRejection::InvalidSubjectToken(reason)) => return invalid(&reason),
        Err(ExchangeRejection::Denied { code, reason }) => {
            return oauth_error(StatusCode::FORBIDDEN, &code, &reason);
        }
    };
    if lock(&shared.store).user(&user_id).is_none() {
        return invalid("The user set by the token exchange profile does not exist");
    }
    let mut login = match user_login(shared, client_id, user_id, params) {
        Ok(login) => login,
        Err(refused) => return refused,
    };
    if !field("organization").is_empty() {
        let mut store = lock(&shared.store);
        let organization = organization_of(&store, field("organization")).and_then(|org| {
            if let Some(org) = &org {
                crate::organizations::admit(&mut store, &org.id, &login.user_id, None)?;
            }
            Ok(org)
        });
        match organization {
            Ok(org) => login.organization = org,
            Err((error, description)) => {
                return oauth_error(StatusCode::BAD_REQUEST, error, &description);
            }
        }
    }
    let mut extra = Map::new();
    extra.insert("issued_token_type".to_owned(), json!(ISSUED_TOKEN_TYPE));
    user_tokens_with(shared, &login, None, extra)
}

impl LocalTenant {
    /// Adds (or replaces) a custom token exchange profile: the token
    /// exchange grant then accepts its `subject_token_type` and issues the
    /// tokens of the user its check returns.
    ///
    /// # Errors
    ///
    /// [`TenantError::ReservedTokenType`] when the type is in a namespace
    /// Auth0 reserves (`urn:ietf:params:oauth:`, `https://auth0.com/`,
    /// `urn:auth0:`).
    ///
    /// ```no_run
    /// use auth0_authentication::TokenExchange;
    /// use auth0_local::{ExchangeRejection, TokenExchangeProfile};
    ///
    /// # async fn demo(tenant: auth0_local::LocalTenant) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// let user = tenant.user().user_id.clone();
    /// tenant.add_token_exchange_profile(TokenExchangeProfile::new("urn:acme:legacy", move |token| {
    ///     (token == "valid").then(|| user.clone())
    ///         .ok_or_else(|| ExchangeRejection::InvalidSubjectToken("bad token".into()))
    /// }))?;
    /// let tokens = tenant
    ///     .authentication_client()?
    ///     .token_exchange(&TokenExchange::new("valid", "urn:acme:legacy").scope("openid"))
    ///     .await?;
    /// # let _ = tokens; Ok(()) }
    /// ```
    pub fn add_token_exchange_profile(
        &self,
        profile: TokenExchangeProfile,
    ) -> Result<(), TenantError> {
        let reserved = RESERVED
            .iter()
            .any(|prefix| profile.subject_token_type.starts_with(prefix));
        if reserved || profile.subject_token_type.is_empty() {
            return Err(TenantError::ReservedTokenType {
                subject_token_type: profile.subject_token_type,
            });
        }
        lock(&self.shared().store)
            .exchange_profiles
            .by_type
            .insert(profile.subject_token_type.clone(), profile);
        Ok(())
    }
}
