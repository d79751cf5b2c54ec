//! Auth0's native passkeys API (Early Access at Auth0; what
//! @auth0/auth0-auth-js and the mobile SDKs call): sign a new user up, or
//! log a user in, with a passkey from the platform's WebAuthn API.
//!
//! 1. Ask for a challenge: [`AuthenticationClient::passkey_register_challenge`]
//!    (`POST /passkey/register`, a new user: [`PasskeySignup`]) or
//!    [`AuthenticationClient::passkey_login_challenge`]
//!    (`POST /passkey/challenge`: [`PasskeyLogin`]). The answer,
//!    [`PasskeyChallenge`], holds the WebAuthn options
//!    (`authn_params_public_key`: `PublicKeyCredentialCreationOptions` or
//!    `PublicKeyCredentialRequestOptions`, binary members base64url) and an
//!    `auth_session`.
//! 2. Hand the options to the platform (`navigator.credentials.create/get`,
//!    Android Credential Manager, iOS `ASAuthorization`), which answers with
//!    a `PublicKeyCredential`: [`PasskeyCredential`].
//! 3. Exchange it: [`AuthenticationClient::passkey_token`] (`/oauth/token`,
//!    `grant_type=urn:okta:params:oauth:grant-type:webauthn`, `auth_session`,
//!    `authn_response`) returns the tokens.
//!
//! The application needs the Passkey grant and the connection a passkey
//! policy (Auth0 also needs a custom domain, the relying party). The
//! `auth_session` is a credential for the flow: `Debug` never shows it.

use std::fmt;

use auth0_core::error::Error;
use auth0_core::types::HttpService;
use http::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::{AuthenticationClient, Encoding, decode, invalid_request};
use crate::token::TokenResponse;

/// `grant_type` of the passkey token exchange.
pub const GRANT_WEBAUTHN: &str = "urn:okta:params:oauth:grant-type:webauthn";

/// A new user's passkey signup; pass it to
/// [`AuthenticationClient::passkey_register_challenge`].
///
/// ```
/// use auth0_authentication::passkey::PasskeySignup;
/// let signup = PasskeySignup::email("jane@example.com")
///     .name("Jane Example")
///     .realm("Username-Password-Authentication");
/// # let _ = signup;
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct PasskeySignup {
    user_profile: Map<String, Value>,
    realm: Option<String>,
    organization: Option<String>,
}

impl PasskeySignup {
    /// A signup identified by email (`user_profile.email`).
    pub fn email(email: impl Into<String>) -> Self {
        Self::default().profile("email", email)
    }

    /// A signup identified by phone number (`user_profile.phone_number`).
    pub fn phone_number(phone_number: impl Into<String>) -> Self {
        Self::default().profile("phone_number", phone_number)
    }

    /// A signup identified by username (`user_profile.username`).
    pub fn username(username: impl Into<String>) -> Self {
        Self::default().profile("username", username)
    }

    /// The user's display name (`user_profile.name`).
    pub fn name(self, name: impl Into<String>) -> Self {
        self.profile("name", name)
    }

    /// Any other `user_profile` member.
    pub fn profile(mut self, member: &str, value: impl Into<String>) -> Self {
        self.user_profile
            .insert(member.to_owned(), Value::String(value.into()));
        self
    }

    /// The database connection to create the user in (default: the one
    /// the application's passkey policy names).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// The organization to sign the user up to.
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }
}

/// A passkey login; pass it to
/// [`AuthenticationClient::passkey_login_challenge`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct PasskeyLogin {
    realm: Option<String>,
    organization: Option<String>,
}

impl PasskeyLogin {
    /// A login with Auth0's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The database connection.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// The organization to log the user in to.
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }
}

/// Auth0's answer to a challenge request: the WebAuthn options for the
/// platform and the flow's session.
#[derive(Clone, Deserialize)]
#[non_exhaustive]
pub struct PasskeyChallenge {
    /// `PublicKeyCredentialCreationOptions` (signup) or
    /// `PublicKeyCredentialRequestOptions` (login) as JSON, binary members
    /// base64url: hand it to the platform's WebAuthn API as it is.
    pub authn_params_public_key: Value,
    auth_session: String,
}

impl PasskeyChallenge {
    /// The flow's session, sent back with the credential. A credential:
    /// keep it out of logs.
    pub fn auth_session(&self) -> &str {
        &self.auth_session
    }

    /// The challenge (base64url) the authenticator signs.
    pub fn challenge(&self) -> Option<&str> {
        self.authn_params_public_key["challenge"].as_str()
    }

    /// The relying party id: `rp.id` (signup) or `rpId` (login).
    pub fn rp_id(&self) -> Option<&str> {
        self.authn_params_public_key["rpId"]
            .as_str()
            .or_else(|| self.authn_params_public_key["rp"]["id"].as_str())
    }

    /// How long the challenge may be answered, in milliseconds.
    pub fn timeout_ms(&self) -> Option<u64> {
        self.authn_params_public_key["timeout"].as_u64()
    }
}

impl fmt::Debug for PasskeyChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasskeyChallenge")
            .field("authn_params_public_key", &self.authn_params_public_key)
            .field("auth_session", &"[REDACTED]")
            .finish()
    }
}

/// The authenticator's answer (`response` of a WebAuthn
/// `PublicKeyCredential`), binary members base64url, as the platform's
/// `toJSON()` gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AuthenticatorResponse {
    /// The client data the authenticator signed over.
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
    /// Signup: the attestation object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation_object: Option<String>,
    /// Login: the authenticator data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_data: Option<String>,
    /// Login: the assertion signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// Login: the user handle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_handle: Option<String>,
    /// Signup: the transports the authenticator supports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transports: Option<Vec<String>>,
}

/// A WebAuthn `PublicKeyCredential` as JSON: what the platform returns and
/// what [`AuthenticationClient::passkey_token`] sends as `authn_response`.
/// Deserialize the platform's JSON into it, or build it with
/// [`attestation`](Self::attestation) / [`assertion`](Self::assertion).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PasskeyCredential {
    /// The credential id, base64url.
    pub id: String,
    /// The credential id, base64url (the same as `id`).
    pub raw_id: String,
    /// Always `public-key`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `platform` or `cross-platform`, when the platform says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_attachment: Option<String>,
    /// The authenticator's answer.
    pub response: AuthenticatorResponse,
    /// Extension outputs.
    #[serde(default)]
    pub client_extension_results: Map<String, Value>,
}

impl PasskeyCredential {
    /// A new credential (signup): `navigator.credentials.create()`'s answer.
    pub fn attestation(
        id: impl Into<String>,
        client_data_json: impl Into<String>,
        attestation_object: impl Into<String>,
    ) -> Self {
        Self::new(
            id.into(),
            AuthenticatorResponse {
                client_data_json: client_data_json.into(),
                attestation_object: Some(attestation_object.into()),
                ..AuthenticatorResponse::default()
            },
        )
    }

    /// An assertion (login): `navigator.credentials.get()`'s answer.
    pub fn assertion(
        id: impl Into<String>,
        client_data_json: impl Into<String>,
        authenticator_data: impl Into<String>,
        signature: impl Into<String>,
        user_handle: Option<String>,
    ) -> Self {
        Self::new(
            id.into(),
            AuthenticatorResponse {
                client_data_json: client_data_json.into(),
                authenticator_data: Some(authenticator_data.into()),
                signature: Some(signature.into()),
                user_handle,
                ..AuthenticatorResponse::default()
            },
        )
    }

    fn new(id: String, response: AuthenticatorResponse) -> Self {
        Self {
            raw_id: id.clone(),
            id,
            kind: "public-key".to_owned(),
            authenticator_attachment: None,
            response,
            client_extension_results: Map::new(),
        }
    }
}

/// The token exchange that finishes a passkey signup or login; pass it to
/// [`AuthenticationClient::passkey_token`].
///
/// `Debug` never shows the `auth_session`.
#[derive(Clone)]
#[must_use]
pub struct PasskeyGrant {
    auth_session: String,
    credential: PasskeyCredential,
    realm: Option<String>,
    scope: Option<String>,
    audience: Option<String>,
    organization: Option<String>,
}

impl fmt::Debug for PasskeyGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasskeyGrant")
            .field("auth_session", &"[REDACTED]")
            .field("credential_id", &self.credential.id)
            .field("realm", &self.realm)
            .field("scope", &self.scope)
            .field("audience", &self.audience)
            .field("organization", &self.organization)
            .finish()
    }
}

impl PasskeyGrant {
    /// The challenge's session and the platform's credential.
    pub fn new(challenge: &PasskeyChallenge, credential: PasskeyCredential) -> Self {
        Self {
            auth_session: challenge.auth_session.clone(),
            credential,
            realm: None,
            scope: None,
            audience: None,
            organization: None,
        }
    }

    /// The database connection (as in the challenge request).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// Requested scopes, space separated.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The API to get an access token for.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The organization to log the user in to.
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }
}

impl<S> AuthenticationClient<S>
where
    S: HttpService,
{
    /// Asks for a signup challenge for a new user (`POST /passkey/register`,
    /// JSON: `client_id`, `realm`, `user_profile`, `organization`), with the
    /// client's authentication when it has any.
    pub async fn passkey_register_challenge(
        &self,
        signup: &PasskeySignup,
    ) -> Result<PasskeyChallenge, Error> {
        if signup.user_profile.is_empty() {
            return Err(invalid_request("the passkey signup has no user profile"));
        }
        let fields = self
            .fields()
            .opt("realm", signup.realm.as_deref())
            .opt("organization", signup.organization.as_deref())
            .value("user_profile", Value::Object(signup.user_profile.clone()));
        self.passkey_challenge("/passkey/register", fields).await
    }

    /// Asks for a login challenge (`POST /passkey/challenge`, JSON:
    /// `client_id`, `realm`, `organization`).
    ///
    /// ```no_run
    /// # use auth0_authentication::passkey::{PasskeyCredential, PasskeyGrant, PasskeyLogin};
    /// # async fn f(auth: auth0_authentication::AuthenticationClient, platform_answer: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// let challenge = auth.passkey_login_challenge(&PasskeyLogin::new()).await?;
    /// // Hand challenge.authn_params_public_key to the platform's WebAuthn API…
    /// let credential: PasskeyCredential = serde_json::from_str(platform_answer)?;
    /// let tokens = auth
    ///     .passkey_token(&PasskeyGrant::new(&challenge, credential).scope("openid profile"))
    ///     .await?;
    /// # let _ = tokens; Ok(()) }
    /// ```
    pub async fn passkey_login_challenge(
        &self,
        login: &PasskeyLogin,
    ) -> Result<PasskeyChallenge, Error> {
        let fields = self
            .fields()
            .opt("realm", login.realm.as_deref())
            .opt("organization", login.organization.as_deref());
        self.passkey_challenge("/passkey/challenge", fields).await
    }

    async fn passkey_challenge(
        &self,
        path: &str,
        fields: crate::client::Fields,
    ) -> Result<PasskeyChallenge, Error> {
        let fields = self.authenticate(fields)?;
        let response = self
            .post(path, &fields, Encoding::Json, HeaderMap::new())
            .await?;
        decode(&response)
    }

    /// Exchanges the platform's credential for tokens (`/oauth/token`,
    /// `grant_type=urn:okta:params:oauth:grant-type:webauthn`, with
    /// `auth_session` and `authn_response`). Never resent after a 5xx or a
    /// dropped connection: the session is single use.
    pub async fn passkey_token(&self, grant: &PasskeyGrant) -> Result<TokenResponse, Error> {
        if grant.auth_session.is_empty() {
            return Err(invalid_request("the passkey auth_session is empty"));
        }
        let authn_response =
            serde_json::to_value(&grant.credential).map_err(|e| Error::InvalidRequest {
                reason: "the passkey credential could not be serialised".to_owned(),
                source: Some(Box::new(e)),
            })?;
        let fields = self
            .fields()
            .str("grant_type", GRANT_WEBAUTHN)
            .str("auth_session", &grant.auth_session)
            .opt("realm", grant.realm.as_deref())
            .opt("scope", grant.scope.as_deref())
            .opt("audience", grant.audience.as_deref())
            .opt("organization", grant.organization.as_deref())
            .value("authn_response", authn_response);
        self.token_request(fields, true, HeaderMap::new()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_session_and_json_matches_webauthn() {
        let challenge: PasskeyChallenge = serde_json::from_str(
            r#"{"authn_params_public_key":{"challenge":"abc","rpId":"login.example.com","timeout":60000},"auth_session":"sess-SECRET"}"#,
        )
        .unwrap();
        assert_eq!(challenge.challenge(), Some("abc"));
        assert_eq!(challenge.rp_id(), Some("login.example.com"));
        assert_eq!(challenge.timeout_ms(), Some(60_000));
        let credential = PasskeyCredential::assertion("cred", "cdj", "ad", "sig", None);
        let grant = PasskeyGrant::new(&challenge, credential.clone());
        for shown in [format!("{challenge:?}"), format!("{grant:?}")] {
            assert!(!shown.contains("sess-SECRET"), "{shown}");
        }
        let json = serde_json::to_value(&credential).unwrap();
        assert_eq!(json["rawId"], "cred");
        assert_eq!(json["type"], "public-key");
        assert_eq!(json["response"]["clientDataJSON"], "cdj");
        assert_eq!(json["response"]["authenticatorData"], "ad");
        assert!(json["response"].get("attestationObject").is_none());
        let back: PasskeyCredential = serde_json::from_value(json).unwrap();
        assert_eq!(back, credential);
    }
}
