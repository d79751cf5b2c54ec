//! Token grants on `POST /oauth/token`, with the bodies auth0-python's
//! `GetToken` sends (JSON; `client_id` always, client authentication where
//! the SDK adds it).

use std::fmt;

use auth0_core::error::Error;
use auth0_core::types::HttpService;
use auth0_jwt::id_token::{IdTokenClaims, VerifyOptions};
use http::{HeaderMap, Method};
use serde::Deserialize;
use serde_json::Value;

use crate::client::{
    AuthenticationClient, Encoding, Fields, decode, header_value, invalid_request, one_header,
};
use crate::client_auth::ClientAuthentication;

/// `grant_type` of the password-realm grant.
pub const GRANT_PASSWORD_REALM: &str = "http://auth0.com/oauth/grant-type/password-realm";
/// `grant_type` of the passwordless one-time-password grant.
pub const GRANT_PASSWORDLESS_OTP: &str = "http://auth0.com/oauth/grant-type/passwordless/otp";
/// `grant_type` of the RFC 8693 token exchange (Auth0 custom token exchange).
pub const GRANT_TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// `grant_type` of the Token Vault exchange for a federated connection's
/// access token.
pub const GRANT_FEDERATED_CONNECTION_ACCESS_TOKEN: &str =
    "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token";
/// RFC 8693 token type of an OAuth 2.0 refresh token.
pub const TOKEN_TYPE_REFRESH_TOKEN: &str = "urn:ietf:params:oauth:token-type:refresh_token";
/// RFC 8693 token type of an OAuth 2.0 access token.
pub const TOKEN_TYPE_ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";
/// Auth0's token type of a federated connection's access token (the
/// `requested_token_type` of a Token Vault exchange).
pub const TOKEN_TYPE_FEDERATED_CONNECTION_ACCESS_TOKEN: &str =
    "http://auth0.com/oauth/token-type/federated-connection-access-token";

/// Body fields [`AuthenticationClient::grant`] sets itself; `extra` may not
/// repeat them.
const RESERVED_GRANT_FIELDS: &[&str] = &[
    "grant_type",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
];

/// The token endpoint's successful answer.
///
/// `Debug` shows which tokens are present, never their values.
///
/// ```
/// use auth0_authentication::TokenResponse;
/// let t: TokenResponse = serde_json::from_str(
///     r#"{"access_token":"eyJ.a.b","token_type":"Bearer","expires_in":86400}"#)?;
/// assert_eq!(t.expires_in, Some(86400));
/// assert!(!format!("{t:?}").contains("eyJ"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Deserialize)]
#[non_exhaustive]
pub struct TokenResponse {
    /// The access token.
    pub access_token: String,
    /// The ID token, when `openid` was in the scope.
    #[serde(default)]
    pub id_token: Option<String>,
    /// The refresh token, when `offline_access` was granted.
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// The token type: `Bearer`, or `DPoP` for a token bound to the
    /// client's DPoP key (see [`TokenResponse::is_dpop`]).
    #[serde(default = "bearer")]
    pub token_type: String,
    /// Seconds until the access token expires (RFC 6749 §5.1). A
    /// fractional value is truncated; a negative or non-numeric one reads
    /// as absent.
    #[serde(default, deserialize_with = "seconds")]
    pub expires_in: Option<u64>,
    /// The granted scopes, space separated, when the server names them.
    #[serde(default)]
    pub scope: Option<String>,
    /// For a token exchange: the type of the issued token.
    #[serde(default)]
    pub issued_token_type: Option<String>,
    /// After [`AuthenticationClient::mfa_recovery_code`]: the user's new
    /// recovery code (the one used is spent). Show it to the user once;
    /// `Debug` hides it.
    #[serde(default)]
    pub recovery_code: Option<String>,
    /// With Rich Authorization Requests (CIBA, PAR): the
    /// `authorization_details` granted, a JSON array of objects with a
    /// `type`.
    #[serde(default)]
    pub authorization_details: Option<Value>,
    /// The claims of `id_token`, when the client verifies ID tokens
    /// ([`AuthenticationClientBuilder::id_token_verifier`](crate::AuthenticationClientBuilder::id_token_verifier)).
    #[serde(skip)]
    pub id_token_claims: Option<IdTokenClaims>,
}

/// `expires_in` as whole seconds: some servers and proxies send `3600.0`.
fn seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let value = Option::<Value>::deserialize(d)?;
    Ok(match value {
        Some(Value::Number(n)) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0 && *f < u64::MAX as f64)
                // Truncation toward zero is the intent.
                .map(|f| f as u64)
        }),
        _ => None,
    })
}

impl TokenResponse {
    /// True for a DPoP-bound access token (`token_type: DPoP`, RFC 9449
    /// §5): send it as `Authorization: DPoP …` with a proof, never as
    /// `Bearer`.
    pub fn is_dpop(&self) -> bool {
        self.token_type.eq_ignore_ascii_case("dpop")
    }
}

fn bearer() -> String {
    "Bearer".to_owned()
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |t: &Option<String>| t.as_ref().map(|_| "[REDACTED]");
        f.debug_struct("TokenResponse")
            .field("access_token", &"[REDACTED]")
            .field("id_token", &redact(&self.id_token))
            .field("refresh_token", &redact(&self.refresh_token))
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .field("issued_token_type", &self.issued_token_type)
            .field("recovery_code", &redact(&self.recovery_code))
            .field("authorization_details", &self.authorization_details)
            .field("id_token_claims", &self.id_token_claims)
            .finish()
    }
}

/// A resource-owner password login (`password-realm` grant); pass it to
/// [`AuthenticationClient::login`].
///
/// `Debug` never shows the password.
///
/// ```
/// use auth0_authentication::PasswordLogin;
/// let login = PasswordLogin::new("alice@example.com", "correct horse")
///     .realm("Username-Password-Authentication")
///     .scope("openid profile")
///     .audience("https://api.example.com")
///     .forwarded_for("203.0.113.7");
/// assert!(!format!("{login:?}").contains("horse"));
/// ```
#[derive(Clone)]
#[must_use]
pub struct PasswordLogin {
    username: String,
    password: String,
    realm: Option<String>,
    scope: Option<String>,
    audience: Option<String>,
    forwarded_for: Option<String>,
}

impl fmt::Debug for PasswordLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordLogin")
            .field("username", &self.username)
            .field("password", &"[REDACTED]")
            .field("realm", &self.realm)
            .field("scope", &self.scope)
            .field("audience", &self.audience)
            .field("forwarded_for", &self.forwarded_for)
            .finish()
    }
}

impl PasswordLogin {
    /// A login for `username` with `password`.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
            realm: None,
            scope: None,
            audience: None,
            forwarded_for: None,
        }
    }

    /// The connection (realm) the user belongs to.
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

    /// The end user's IP address, sent as the `auth0-forwarded-for` header
    /// so that brute-force protection works for server-side logins.
    pub fn forwarded_for(mut self, ip: impl Into<String>) -> Self {
        self.forwarded_for = Some(ip.into());
        self
    }
}

/// A passwordless login with the one-time code the user received; pass it
/// to [`AuthenticationClient::passwordless_login`].
///
/// `Debug` never shows the code.
///
/// ```
/// use auth0_authentication::PasswordlessLogin;
/// let login = PasswordlessLogin::new("+15555550100", "123456", "sms")
///     .scope("openid")
///     .audience("https://api.example.com");
/// assert!(!format!("{login:?}").contains("123456"));
/// ```
#[derive(Clone)]
#[must_use]
pub struct PasswordlessLogin {
    username: String,
    otp: String,
    realm: String,
    scope: Option<String>,
    audience: Option<String>,
}

impl fmt::Debug for PasswordlessLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordlessLogin")
            .field("username", &self.username)
            .field("otp", &"[REDACTED]")
            .field("realm", &self.realm)
            .field("scope", &self.scope)
            .field("audience", &self.audience)
            .finish()
    }
}

impl PasswordlessLogin {
    /// `username` is the phone number or email address, `otp` the code,
    /// `realm` `"sms"` or `"email"` (as used to start the flow).
    pub fn new(
        username: impl Into<String>,
        otp: impl Into<String>,
        realm: impl Into<String>,
    ) -> Self {
        Self {
            username: username.into(),
            otp: otp.into(),
            realm: realm.into(),
            scope: None,
            audience: None,
        }
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
}

/// An RFC 8693 token exchange (Auth0 Custom Token Exchange); pass it to
/// [`AuthenticationClient::token_exchange`].
///
/// `Debug` never shows the subject token.
///
/// ```
/// use auth0_authentication::TokenExchange;
/// let exchange = TokenExchange::new("external-token", "urn:acme:legacy-token")
///     .audience("https://api.example.com")
///     .scope("openid offline_access");
/// assert!(!format!("{exchange:?}").contains("external-token"));
/// ```
#[derive(Clone)]
#[must_use]
pub struct TokenExchange {
    subject_token: String,
    subject_token_type: String,
    audience: Option<String>,
    scope: Option<String>,
    organization: Option<String>,
    requested_token_type: Option<String>,
    actor_token: Option<(String, String)>,
}

impl fmt::Debug for TokenExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenExchange")
            .field("subject_token", &"[REDACTED]")
            .field("subject_token_type", &self.subject_token_type)
            .field("audience", &self.audience)
            .field("scope", &self.scope)
            .field("organization", &self.organization)
            .field("requested_token_type", &self.requested_token_type)
            .field(
                "actor_token",
                &self.actor_token.as_ref().map(|(_, t)| ("[REDACTED]", t)),
            )
            .finish()
    }
}

impl TokenExchange {
    /// Exchanges `subject_token` of type `subject_token_type` (a URI your
    /// token-exchange profile is registered for).
    pub fn new(subject_token: impl Into<String>, subject_token_type: impl Into<String>) -> Self {
        Self {
            subject_token: subject_token.into(),
            subject_token_type: subject_token_type.into(),
            audience: None,
            scope: None,
            organization: None,
            requested_token_type: None,
            actor_token: None,
        }
    }

    /// The type of token wanted (RFC 8693 §2.1 `requested_token_type`, e.g.
    /// [`TOKEN_TYPE_ACCESS_TOKEN`]).
    pub fn requested_token_type(mut self, token_type: impl Into<String>) -> Self {
        self.requested_token_type = Some(token_type.into());
        self
    }

    /// The party acting for the subject (RFC 8693 §2.1 `actor_token` and its
    /// required `actor_token_type`; delegation, §1.1). `Debug` hides the
    /// token.
    pub fn actor_token(mut self, token: impl Into<String>, token_type: impl Into<String>) -> Self {
        self.actor_token = Some((token.into(), token_type.into()));
        self
    }

    /// The API to get an access token for.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Requested scopes, space separated.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The organization to log the user in to.
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }
}

/// A Token Vault exchange: an Auth0 refresh or access token for the access
/// token of a federated connection (Google, Microsoft, Slack, …) the user
/// linked; pass it to [`AuthenticationClient::access_token_for_connection`].
///
/// `requested_token_type` defaults to
/// [`TOKEN_TYPE_FEDERATED_CONNECTION_ACCESS_TOKEN`]. `Debug` never shows
/// the subject token.
///
/// ```
/// use auth0_authentication::ConnectionTokenExchange;
/// let exchange = ConnectionTokenExchange::from_refresh_token("rt-secret", "google-oauth2")
///     .login_hint("alice@example.com");
/// assert!(!format!("{exchange:?}").contains("rt-secret"));
/// ```
#[derive(Clone)]
#[must_use]
pub struct ConnectionTokenExchange {
    subject_token: String,
    subject_token_type: String,
    requested_token_type: String,
    connection: String,
    login_hint: Option<String>,
}

impl fmt::Debug for ConnectionTokenExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionTokenExchange")
            .field("subject_token", &"[REDACTED]")
            .field("subject_token_type", &self.subject_token_type)
            .field("requested_token_type", &self.requested_token_type)
            .field("connection", &self.connection)
            .field("login_hint", &self.login_hint)
            .finish()
    }
}

impl ConnectionTokenExchange {
    /// Exchanges `subject_token` of type `subject_token_type`
    /// ([`TOKEN_TYPE_REFRESH_TOKEN`] or [`TOKEN_TYPE_ACCESS_TOKEN`]) for an
    /// access token of the connection named `connection`.
    pub fn new(
        subject_token: impl Into<String>,
        subject_token_type: impl Into<String>,
        connection: impl Into<String>,
    ) -> Self {
        Self {
            subject_token: subject_token.into(),
            subject_token_type: subject_token_type.into(),
            requested_token_type: TOKEN_TYPE_FEDERATED_CONNECTION_ACCESS_TOKEN.to_owned(),
            connection: connection.into(),
            login_hint: None,
        }
    }

    /// Exchanges the user's Auth0 refresh token (a web app holding the
    /// user's session).
    pub fn from_refresh_token(
        refresh_token: impl Into<String>,
        connection: impl Into<String>,
    ) -> Self {
        Self::new(refresh_token, TOKEN_TYPE_REFRESH_TOKEN, connection)
    }

    /// Exchanges an Auth0 access token the user sent to your API (an API
    /// calling a third-party API on the user's behalf).
    pub fn from_access_token(
        access_token: impl Into<String>,
        connection: impl Into<String>,
    ) -> Self {
        Self::new(access_token, TOKEN_TYPE_ACCESS_TOKEN, connection)
    }

    /// Overrides the `requested_token_type`.
    pub fn requested_token_type(mut self, token_type: impl Into<String>) -> Self {
        self.requested_token_type = token_type.into();
        self
    }

    /// Which of the user's accounts on the connection to use, when they
    /// linked more than one.
    pub fn login_hint(mut self, hint: impl Into<String>) -> Self {
        self.login_hint = Some(hint.into());
        self
    }
}

impl<S> AuthenticationClient<S>
where
    S: HttpService,
{
    /// `POST /oauth/token` with `fields` (JSON, as auth0-python sends),
    /// client-authenticated when `authenticated`. Never resent after a 5xx
    /// or a dropped connection: these grants consume a code, a refresh
    /// token, an `mfa_token` or a password attempt.
    pub(crate) async fn token_request(
        &self,
        fields: Fields,
        authenticated: bool,
        headers: HeaderMap,
    ) -> Result<TokenResponse, Error> {
        let fields = if authenticated {
            self.authenticate(fields)?
        } else {
            fields
        };
        let (fields, headers) = (&fields, &headers);
        let response = self
            .with_dpop(&Method::POST, "/oauth/token", None, move |dpop| {
                let headers = dpop.with_fixed(headers);
                self.post_with("/oauth/token", fields, Encoding::Json, headers, false)
            })
            .await?;
        self.checked_tokens(decode(&response)?).await
    }

    /// `tokens` with their ID token verified (and its claims kept) when the
    /// client verifies ID tokens; as they are otherwise.
    pub(crate) async fn checked_tokens(
        &self,
        mut tokens: TokenResponse,
    ) -> Result<TokenResponse, Error> {
        if let (Some(verifier), Some(id_token)) = (self.id_token_verifier(), &tokens.id_token) {
            let claims = verifier
                .verify(id_token, &VerifyOptions::new())
                .await
                .map_err(|e| Error::InvalidIdToken {
                    source: Box::new(e),
                })?;
            tokens.id_token_claims = Some(claims);
        }
        Ok(tokens)
    }

    /// Verifies `id_token` with the client's ID-token verifier and
    /// `options` (the `nonce` sent to `/authorize`, `max_age`,
    /// `organization`). Errors with [`Error::InvalidRequest`] when the client
    /// has no verifier, [`Error::InvalidIdToken`] when the token fails.
    ///
    /// ```no_run
    /// # use auth0_jwt::id_token::VerifyOptions;
    /// # async fn f(auth: auth0_authentication::AuthenticationClient, tokens: auth0_authentication::TokenResponse) -> Result<(), auth0_core::Error> {
    /// let claims = auth
    ///     .verify_id_token(tokens.id_token.as_deref().unwrap_or_default(), &VerifyOptions::new().nonce("n-0S6_WzA2Mj"))
    ///     .await?;
    /// println!("{:?}", claims.sub());
    /// # Ok(()) }
    /// ```
    pub async fn verify_id_token(
        &self,
        id_token: &str,
        options: &VerifyOptions,
    ) -> Result<IdTokenClaims, Error> {
        let verifier = self
            .id_token_verifier()
            .ok_or_else(|| invalid_request("this client has no ID-token verifier"))?;
        verifier
            .verify(id_token, options)
            .await
            .map_err(|e| Error::InvalidIdToken {
                source: Box::new(e),
            })
    }

    /// Client credentials grant: a machine-to-machine access token for
    /// `audience`, optionally for an `organization` (the token then carries
    /// `org_id`/`org_name`). Needs client authentication. Unlike the other
    /// grants it is resent after a 5xx or a dropped connection (per the
    /// stack's retry policy): repeating it consumes nothing.
    ///
    /// ```no_run
    /// # async fn f(auth: auth0_authentication::AuthenticationClient) -> Result<(), auth0_core::Error> {
    /// let token = auth.client_credentials("https://api.example.com", Some("org_abc")).await?;
    /// println!("{:?}", token.scope);
    /// # Ok(()) }
    /// ```
    pub async fn client_credentials(
        &self,
        audience: &str,
        organization: Option<&str>,
    ) -> Result<TokenResponse, Error> {
        // The one client-credentials path, shared with auth0-management.
        let response = self
            .with_dpop(&Method::POST, "/oauth/token", None, |dpop| {
                self.credentials()
                    .send_token_request(self.core(), audience, organization, dpop)
            })
            .await?;
        decode(&response)
    }

    /// Authorization code grant (regular web apps): exchanges the `code`
    /// from the `/authorize` redirect. `redirect_uri` must be the one sent
    /// to `/authorize`, if one was. Needs client authentication.
    ///
    /// ```no_run
    /// # async fn f(auth: auth0_authentication::AuthenticationClient) -> Result<(), auth0_core::Error> {
    /// let tokens = auth.authorization_code("the-code", Some("https://app.example.com/callback")).await?;
    /// # let _ = tokens; Ok(()) }
    /// ```
    pub async fn authorization_code(
        &self,
        code: &str,
        redirect_uri: Option<&str>,
    ) -> Result<TokenResponse, Error> {
        let fields = self
            .fields()
            .str("grant_type", "authorization_code")
            .str("code", code)
            .opt("redirect_uri", redirect_uri);
        self.token_request(fields, true, HeaderMap::new()).await
    }

    /// Authorization code grant with PKCE: sends the `code_verifier` whose
    /// challenge went to `/authorize`, and the client's authentication
    /// whenever it has one (a regular web app using PKCE, as auth0-auth-js
    /// always does, must still authenticate: Auth0 refuses a confidential
    /// client's exchange without it). A public client (native app, SPA;
    /// [`ClientAuthentication::None`]) sends the verifier alone.
    ///
    /// ```no_run
    /// # async fn f(auth: auth0_authentication::AuthenticationClient, pkce: auth0_authentication::Pkce) -> Result<(), auth0_core::Error> {
    /// let tokens = auth
    ///     .authorization_code_pkce(pkce.verifier(), "the-code", Some("myapp://callback"))
    ///     .await?;
    /// # let _ = tokens; Ok(()) }
    /// ```
    pub async fn authorization_code_pkce(
        &self,
        code_verifier: &str,
        code: &str,
        redirect_uri: Option<&str>,
    ) -> Result<TokenResponse, Error> {
        let fields = self
            .fields()
            .str("grant_type", "authorization_code")
            .str("code_verifier", code_verifier)
            .str("code", code)
            .opt("redirect_uri", redirect_uri);
        self.token_request(fields, true, HeaderMap::new()).await
    }

    /// Resource-owner password grant with a realm
    /// (`http://auth0.com/oauth/grant-type/password-realm`). A user with MFA
    /// enrolled gets [`Error::MfaRequired`] carrying the `mfa_token`.
    ///
    /// ```no_run
    /// # use auth0_authentication::PasswordLogin;
    /// # async fn f(auth: auth0_authentication::AuthenticationClient) -> Result<(), auth0_core::Error> {
    /// match auth.login(&PasswordLogin::new("alice", "pw").realm("Username-Password-Authentication")).await {
    ///     Ok(tokens) => println!("{tokens:?}"),
    ///     Err(auth0_core::Error::MfaRequired(mfa)) => println!("continue with MFA ({} chars)", mfa.mfa_token().len()),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn login(&self, login: &PasswordLogin) -> Result<TokenResponse, Error> {
        let fields = self
            .fields()
            .str("grant_type", GRANT_PASSWORD_REALM)
            .str("username", &login.username)
            .str("password", &login.password)
            .opt("realm", login.realm.as_deref())
            .opt("scope", login.scope.as_deref())
            .opt("audience", login.audience.as_deref());
        let headers = match &login.forwarded_for {
            Some(ip) => one_header(
                "auth0-forwarded-for",
                header_value("forwarded_for", ip, false)?,
            ),
            None => HeaderMap::new(),
        };
        self.token_request(fields, true, headers).await
    }

    /// Refresh token grant: a new access token (and ID token) from a
    /// refresh token; `scope` can narrow the scopes.
    ///
    /// ```no_run
    /// # async fn f(auth: auth0_authentication::AuthenticationClient, rt: String) -> Result<(), auth0_core::Error> {
    /// let fresh = auth.refresh_token(&rt, None).await?;
    /// # let _ = fresh; Ok(()) }
    /// ```
    pub async fn refresh_token(
        &self,
        refresh_token: &str,
        scope: Option<&str>,
    ) -> Result<TokenResponse, Error> {
        let fields = self
            .fields()
            .str("grant_type", "refresh_token")
            .str("refresh_token", refresh_token)
            .opt("scope", scope.filter(|s| !s.is_empty()));
        self.token_request(fields, true, HeaderMap::new()).await
    }

    /// Passwordless OTP grant: completes a flow started with
    /// [`AuthenticationClient::passwordless_email`] or
    /// [`AuthenticationClient::passwordless_sms`].
    ///
    /// ```no_run
    /// # use auth0_authentication::PasswordlessLogin;
    /// # async fn f(auth: auth0_authentication::AuthenticationClient) -> Result<(), auth0_core::Error> {
    /// let tokens = auth
    ///     .passwordless_login(&PasswordlessLogin::new("alice@example.com", "123456", "email").scope("openid"))
    ///     .await?;
    /// # let _ = tokens; Ok(()) }
    /// ```
    pub async fn passwordless_login(
        &self,
        login: &PasswordlessLogin,
    ) -> Result<TokenResponse, Error> {
        let fields = self
            .fields()
            .str("grant_type", GRANT_PASSWORDLESS_OTP)
            .str("username", &login.username)
            .str("otp", &login.otp)
            .str("realm", &login.realm)
            .opt("scope", login.scope.as_deref())
            .opt("audience", login.audience.as_deref());
        self.token_request(fields, true, HeaderMap::new()).await
    }

    /// RFC 8693 token exchange (`urn:ietf:params:oauth:grant-type:token-exchange`)
    /// for Auth0 Custom Token Exchange. Needs client authentication.
    ///
    /// ```no_run
    /// # use auth0_authentication::TokenExchange;
    /// # async fn f(auth: auth0_authentication::AuthenticationClient) -> Result<(), auth0_core::Error> {
    /// let tokens = auth
    ///     .token_exchange(&TokenExchange::new("legacy-token", "urn:acme:legacy").audience("https://api.example.com"))
    ///     .await?;
    /// # let _ = tokens; Ok(()) }
    /// ```
    pub async fn token_exchange(&self, exchange: &TokenExchange) -> Result<TokenResponse, Error> {
        let fields = self
            .fields()
            .str("grant_type", GRANT_TOKEN_EXCHANGE)
            .str("subject_token", &exchange.subject_token)
            .str("subject_token_type", &exchange.subject_token_type)
            .opt("audience", exchange.audience.as_deref())
            .opt("scope", exchange.scope.as_deref())
            .opt("organization", exchange.organization.as_deref())
            .opt(
                "requested_token_type",
                exchange.requested_token_type.as_deref(),
            )
            .opt(
                "actor_token",
                exchange.actor_token.as_ref().map(|(t, _)| t.as_str()),
            )
            .opt(
                "actor_token_type",
                exchange.actor_token.as_ref().map(|(_, t)| t.as_str()),
            );
        self.token_request(fields, true, HeaderMap::new()).await
    }
    /// Token Vault: exchanges an Auth0 refresh or access token for the
    /// access token of a federated connection the user linked
    /// (`grant_type=urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token`),
    /// as auth0-python's `access_token_for_connection`. The answer carries
    /// `access_token`, `expires_in`, `scope` and `issued_token_type`.
    ///
    /// Needs client authentication: a client without a secret or
    /// `private_key_jwt` key gets [`Error::InvalidRequest`] without a
    /// request being sent.
    ///
    /// ```no_run
    /// # use auth0_authentication::ConnectionTokenExchange;
    /// # async fn f(auth: auth0_authentication::AuthenticationClient, refresh_token: String) -> Result<(), auth0_core::Error> {
    /// let google = auth
    ///     .access_token_for_connection(&ConnectionTokenExchange::from_refresh_token(refresh_token, "google-oauth2"))
    ///     .await?;
    /// println!("Google token for {:?} s, scopes {:?}", google.expires_in, google.scope);
    /// # Ok(()) }
    /// ```
    pub async fn access_token_for_connection(
        &self,
        exchange: &ConnectionTokenExchange,
    ) -> Result<TokenResponse, Error> {
        if matches!(self.client_authentication(), ClientAuthentication::None) {
            return Err(invalid_request(
                "a federated connection token exchange needs client authentication \
                 (a client secret or a private_key_jwt key)",
            ));
        }
        let fields = self
            .fields()
            .str("grant_type", GRANT_FEDERATED_CONNECTION_ACCESS_TOKEN)
            .str("subject_token", &exchange.subject_token)
            .str("subject_token_type", &exchange.subject_token_type)
            .str("requested_token_type", &exchange.requested_token_type)
            .str("connection", &exchange.connection)
            .opt("login_hint", exchange.login_hint.as_deref());
        self.token_request(fields, true, HeaderMap::new()).await
    }

    /// Any other grant on `/oauth/token`, as node-auth0's `oauth.grant`:
    /// `grant_type` plus the `params` given, with `client_id` and the client
    /// authentication added. For grants this client has no method for
    /// (a device code grant, a new Auth0 grant type, …).
    ///
    /// `params` may not set `grant_type`, `client_id` or the client
    /// authentication fields ([`Error::InvalidRequest`], nothing sent).
    ///
    /// ```no_run
    /// # async fn f(auth: auth0_authentication::AuthenticationClient) -> Result<(), auth0_core::Error> {
    /// let tokens = auth
    ///     .grant("urn:ietf:params:oauth:grant-type:device_code", &[("device_code", "Ag_EE…")])
    ///     .await?;
    /// # let _ = tokens; Ok(()) }
    /// ```
    pub async fn grant(
        &self,
        grant_type: &str,
        params: &[(&str, &str)],
    ) -> Result<TokenResponse, Error> {
        if grant_type.is_empty() {
            return Err(invalid_request("the grant type is empty"));
        }
        let mut fields = self.fields().str("grant_type", grant_type);
        for (i, (name, value)) in params.iter().enumerate() {
            if name.is_empty() {
                return Err(invalid_request("a grant parameter name is empty"));
            }
            if RESERVED_GRANT_FIELDS.contains(name) {
                return Err(invalid_request(&format!(
                    "the parameter `{name}` is set by the client and can't be overridden"
                )));
            }
            if params[..i].iter().any(|(earlier, _)| earlier == name) {
                return Err(invalid_request(&format!(
                    "the parameter `{name}` is given twice"
                )));
            }
            fields = fields.str(name, value);
        }
        self.token_request(fields, true, HeaderMap::new()).await
    }
}
