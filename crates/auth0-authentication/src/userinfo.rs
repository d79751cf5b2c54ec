//! The OIDC `/userinfo` endpoint and token revocation (`/oauth/revoke`).

use auth0_core::error::Error;
use auth0_core::types::HttpService;
use http::{HeaderMap, Method};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::client::{AuthenticationClient, Encoding, decode};

/// RFC 7009 §2.1 `token_type_hint` of a refresh token.
pub const TOKEN_TYPE_HINT_REFRESH_TOKEN: &str = "refresh_token";
/// RFC 7009 §2.1 `token_type_hint` of an access token.
pub const TOKEN_TYPE_HINT_ACCESS_TOKEN: &str = "access_token";

/// The user's profile from `/userinfo` (standard OIDC claims; anything else
/// in [`extra`](Self::extra)).
///
/// ```
/// use auth0_authentication::UserInfo;
/// let u: UserInfo = serde_json::from_str(
///     r#"{"sub":"auth0|1","email":"a@example.com","email_verified":true,"https://example.com/roles":["admin"]}"#)?;
/// assert_eq!(u.sub, "auth0|1");
/// assert!(u.extra.contains_key("https://example.com/roles"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct UserInfo {
    /// The user id.
    pub sub: String,
    /// Full name.
    #[serde(default)]
    pub name: Option<String>,
    /// Given name(s).
    #[serde(default)]
    pub given_name: Option<String>,
    /// Family name(s).
    #[serde(default)]
    pub family_name: Option<String>,
    /// Nickname.
    #[serde(default)]
    pub nickname: Option<String>,
    /// Picture URL.
    #[serde(default)]
    pub picture: Option<String>,
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Whether the email address is verified.
    #[serde(default)]
    pub email_verified: Option<bool>,
    /// Last profile update (ISO 8601).
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Every other claim (custom namespaced claims included).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl<S> AuthenticationClient<S>
where
    S: HttpService,
{
    /// The profile of the user an access token was issued to
    /// (`GET /userinfo` with `Authorization: Bearer …`; needs the `openid`
    /// scope). A client with a [DPoP key](crate::AuthenticationClientBuilder::dpop)
    /// sends `Authorization: DPoP …` and a proof bound to the token instead
    /// (the tokens it gets are DPoP-bound).
    ///
    /// ```no_run
    /// # async fn f(auth: auth0_authentication::AuthenticationClient, access_token: String) -> Result<(), auth0_core::Error> {
    /// let me = auth.userinfo(&access_token).await?;
    /// println!("{} <{:?}>", me.sub, me.email);
    /// # Ok(()) }
    /// ```
    pub async fn userinfo(&self, access_token: &str) -> Result<UserInfo, Error> {
        let response = if self.dpop_state().is_some() {
            let authorization = crate::dpop::dpop_authorization(access_token)?;
            let authorization = &authorization;
            self.with_dpop(&Method::GET, "/userinfo", Some(access_token), move |dpop| {
                self.get_with_authorization("/userinfo", authorization.clone(), dpop)
            })
            .await?
        } else {
            self.get_with_bearer("/userinfo", access_token).await?
        };
        decode(&response)
    }

    /// Revokes a refresh token and every token issued from the same grant
    /// (`POST /oauth/revoke`; client authentication added).
    ///
    /// ```no_run
    /// # async fn f(auth: auth0_authentication::AuthenticationClient, refresh_token: String) -> Result<(), auth0_core::Error> {
    /// auth.revoke_refresh_token(&refresh_token).await?;
    /// # Ok(()) }
    /// ```
    pub async fn revoke_refresh_token(&self, token: &str) -> Result<(), Error> {
        self.revoke_token(token, None).await
    }

    /// Revokes a token (RFC 7009 `POST /oauth/revoke`, client
    /// authentication added) with an optional `token_type_hint`
    /// ([`TOKEN_TYPE_HINT_REFRESH_TOKEN`] or
    /// [`TOKEN_TYPE_HINT_ACCESS_TOKEN`]), as auth0-auth-js sends. Auth0
    /// revokes refresh tokens (and the grant they belong to); the server
    /// answers 200 whether or not it knew the token.
    ///
    /// ```no_run
    /// # use auth0_authentication::userinfo::TOKEN_TYPE_HINT_REFRESH_TOKEN;
    /// # async fn f(auth: auth0_authentication::AuthenticationClient, refresh_token: String) -> Result<(), auth0_core::Error> {
    /// auth.revoke_token(&refresh_token, Some(TOKEN_TYPE_HINT_REFRESH_TOKEN)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn revoke_token(
        &self,
        token: &str,
        token_type_hint: Option<&str>,
    ) -> Result<(), Error> {
        let fields = self
            .fields()
            .str("token", token)
            .opt("token_type_hint", token_type_hint);
        let fields = self.authenticate(fields)?;
        self.post("/oauth/revoke", &fields, Encoding::Json, HeaderMap::new())
            .await?;
        Ok(())
    }
}
