//! Starting passwordless logins (`POST /passwordless/start`), as
//! auth0-python's `Passwordless`.

use auth0_core::error::Error;
use auth0_core::types::HttpService;
use http::HeaderMap;
use serde_json::{Map, Value};

use crate::client::{AuthenticationClient, Encoding, decode};

/// What a passwordless email contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PasswordlessSend {
    /// A magic link that logs the user in (`send: "link"`).
    #[default]
    Link,
    /// A one-time code for [`AuthenticationClient::passwordless_login`]
    /// (`send: "code"`).
    Code,
}

impl PasswordlessSend {
    /// The wire value: `link` or `code`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Link => "link",
            Self::Code => "code",
        }
    }
}

impl<S> AuthenticationClient<S>
where
    S: HttpService,
{
    /// Sends a passwordless email (connection `email`) with a link or a
    /// code. `auth_params` are added to the link (`scope`, `redirect_uri`,
    /// `state`, …) as `authParams`. Returns Auth0's answer as JSON.
    ///
    /// ```no_run
    /// # use auth0_authentication::PasswordlessSend;
    /// # async fn f(auth: auth0_authentication::AuthenticationClient) -> Result<(), auth0_core::Error> {
    /// auth.passwordless_email("alice@example.com", PasswordlessSend::Code, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn passwordless_email(
        &self,
        email: &str,
        send: PasswordlessSend,
        auth_params: Option<&Map<String, Value>>,
    ) -> Result<Value, Error> {
        let mut fields = self
            .fields()
            .str("connection", "email")
            .str("email", email)
            .str("send", send.as_str());
        if let Some(params) = auth_params.filter(|p| !p.is_empty()) {
            fields = fields.value("authParams", Value::Object(params.clone()));
        }
        let fields = self.authenticate(fields)?;
        let response = self
            .post(
                "/passwordless/start",
                &fields,
                Encoding::Json,
                HeaderMap::new(),
            )
            .await?;
        decode(&response)
    }

    /// Sends a one-time code by SMS (connection `sms`). Returns Auth0's
    /// answer as JSON.
    ///
    /// ```no_run
    /// # async fn f(auth: auth0_authentication::AuthenticationClient) -> Result<(), auth0_core::Error> {
    /// auth.passwordless_sms("+15555550100").await?;
    /// # Ok(()) }
    /// ```
    pub async fn passwordless_sms(&self, phone_number: &str) -> Result<Value, Error> {
        let fields = self
            .fields()
            .str("connection", "sms")
            .str("phone_number", phone_number);
        let fields = self.authenticate(fields)?;
        let response = self
            .post(
                "/passwordless/start",
                &fields,
                Encoding::Json,
                HeaderMap::new(),
            )
            .await?;
        decode(&response)
    }
}
