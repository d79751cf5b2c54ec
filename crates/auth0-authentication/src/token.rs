//! Token grants on `POST /oauth/token`, with the bodies auth0-python's
//! `GetToken` sends (JSON; `client_id` always, client authentication where
//! the SDK adds it).

use std::fmt;

use auth0_core::error::Error;
use auth0_core::types::HttpService;
use http::HeaderMap;
use serde::Deserialize;

use crate::client::{AuthenticationClient, Encoding, Fields, decode, header_value, one_header};

/// `grant_type` of the password-realm grant.
pub const GRANT_PASSWORD_REALM: &str = "http://auth0.com/oauth/grant-type/password-realm";
/// `grant_type` of the passwordless one-time-password grant.
pub const GRANT_PASSWORDLESS_OTP: &str = "http://auth0.com/oauth/grant-type/passwordless/otp";
/// `grant_type` of the RFC 8693 token exchange (Auth0 custom token exchange).
pub const GRANT_TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

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
    /// The token type, normally `Bearer`.
    #[serde(default = "bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    #[serde(default)]
    pub expires_in: Option<u64>,
    /// The granted scopes, space separated, when the server names them.
    #[serde(default)]
    pub scope: Option<String>,
    /// For a token exchange: the type of the issued token.
    #[serde(default)]
    pub issued_token_type: Option<String>,
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
}

impl fmt::Debug for TokenExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenExchange")
            .field("subject_token", &"[REDACTED]")
            .field("subject_token_type", &self.subject_token_type)
            .field("audience", &self.audience)
            .field("scope", &self.scope)
            .field("organization", &self.organization)
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
        }
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

impl<S> AuthenticationClient<S>
where
    S: HttpService,
{
    async fn token_request(
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
        let response = self
            .post("/oauth/token", &fields, Encoding::Json, headers)
            .await?;
        decode(&response)
    }

    /// Client credentials grant: a machine-to-machine access token for
    /// `audience`, optionally for an `organization` (the token then carries
    /// `org_id`/`org_name`). Needs client authentication.
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
        let fields = self
            .fields()
            .str("grant_type", "client_credentials")
            .str("audience", audience)
            .opt("organization", organization);
        self.token_request(fields, true, HeaderMap::new()).await
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

    /// Authorization code grant with PKCE (native apps, SPAs): sends the
    /// `code_verifier` whose challenge went to `/authorize`. As in
    /// auth0-python, no client authentication is added.
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
        self.token_request(fields, false, HeaderMap::new()).await
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
            .opt("organization", exchange.organization.as_deref());
        self.token_request(fields, true, HeaderMap::new()).await
    }
}
