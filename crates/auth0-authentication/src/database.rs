//! Database connections: sign-up and password-change emails
//! (`/dbconnections/*`), as auth0-python's `Database`.

use std::fmt;

use auth0_core::error::Error;
use auth0_core::types::HttpService;
use http::HeaderMap;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::client::{AuthenticationClient, Encoding, decode};

/// A new database user; pass it to [`AuthenticationClient::signup`].
///
/// `Debug` never shows the password.
///
/// ```
/// use auth0_authentication::Signup;
/// let signup = Signup::new("alice@example.com", "correct horse", "Username-Password-Authentication")
///     .username("alice")
///     .given_name("Alice")
///     .user_metadata(serde_json::json!({"plan": "free"}));
/// assert!(!format!("{signup:?}").contains("horse"));
/// ```
#[derive(Clone)]
#[must_use]
pub struct Signup {
    email: String,
    password: String,
    connection: String,
    username: Option<String>,
    user_metadata: Option<Value>,
    given_name: Option<String>,
    family_name: Option<String>,
    name: Option<String>,
    nickname: Option<String>,
    picture: Option<String>,
}

impl fmt::Debug for Signup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signup")
            .field("email", &self.email)
            .field("password", &"[REDACTED]")
            .field("connection", &self.connection)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

macro_rules! opt_setter {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub fn $name(mut self, value: impl Into<String>) -> Self {
            self.$name = Some(value.into());
            self
        }
    };
}

impl Signup {
    /// A user with `email` and `password` in the database `connection`.
    pub fn new(
        email: impl Into<String>,
        password: impl Into<String>,
        connection: impl Into<String>,
    ) -> Self {
        Self {
            email: email.into(),
            password: password.into(),
            connection: connection.into(),
            username: None,
            user_metadata: None,
            given_name: None,
            family_name: None,
            name: None,
            nickname: None,
            picture: None,
        }
    }

    opt_setter!(
        /// The username, if the connection requires one.
        username
    );
    opt_setter!(
        /// Given name(s).
        given_name
    );
    opt_setter!(
        /// Family name(s).
        family_name
    );
    opt_setter!(
        /// Full name.
        name
    );
    opt_setter!(
        /// Nickname.
        nickname
    );
    opt_setter!(
        /// URL of the user's picture.
        picture
    );

    /// Extra information stored as `user_metadata` (a JSON object).
    pub fn user_metadata(mut self, metadata: Value) -> Self {
        self.user_metadata = Some(metadata);
        self
    }
}

/// The user Auth0 created on sign-up.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct SignupResponse {
    /// The user id within the connection (`_id`, or `id` on some tenants).
    #[serde(rename = "_id", alias = "id", default)]
    pub id: Option<String>,
    /// The email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Whether the email address is verified (false right after sign-up).
    #[serde(default)]
    pub email_verified: Option<bool>,
    /// The username, if the connection uses usernames.
    #[serde(default)]
    pub username: Option<String>,
    /// Every other field of the answer.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl<S> AuthenticationClient<S>
where
    S: HttpService,
{
    /// Creates a user in a database connection (`POST /dbconnections/signup`).
    ///
    /// ```no_run
    /// # use auth0_authentication::Signup;
    /// # async fn f(auth: auth0_authentication::AuthenticationClient) -> Result<(), auth0_core::Error> {
    /// let user = auth.signup(&Signup::new("alice@example.com", "correct horse", "Username-Password-Authentication")).await?;
    /// println!("{:?}", user.id);
    /// # Ok(()) }
    /// ```
    pub async fn signup(&self, signup: &Signup) -> Result<SignupResponse, Error> {
        let mut fields = self
            .fields()
            .str("email", &signup.email)
            .str("password", &signup.password)
            .str("connection", &signup.connection)
            .opt("username", signup.username.as_deref())
            .opt("given_name", signup.given_name.as_deref())
            .opt("family_name", signup.family_name.as_deref())
            .opt("name", signup.name.as_deref())
            .opt("nickname", signup.nickname.as_deref())
            .opt("picture", signup.picture.as_deref());
        if let Some(meta) = &signup.user_metadata {
            fields = fields.value("user_metadata", meta.clone());
        }
        let response = self
            .post(
                "/dbconnections/signup",
                &fields,
                Encoding::Json,
                HeaderMap::new(),
            )
            .await?;
        decode(&response)
    }

    /// Sends the user a password-change email
    /// (`POST /dbconnections/change_password`) and returns Auth0's message
    /// (plain text, e.g. "We've just sent you an email to reset your
    /// password.").
    ///
    /// ```no_run
    /// # async fn f(auth: auth0_authentication::AuthenticationClient) -> Result<(), auth0_core::Error> {
    /// let message = auth.change_password("alice@example.com", "Username-Password-Authentication", None).await?;
    /// println!("{message}");
    /// # Ok(()) }
    /// ```
    pub async fn change_password(
        &self,
        email: &str,
        connection: &str,
        organization: Option<&str>,
    ) -> Result<String, Error> {
        let fields = self
            .fields()
            .str("email", email)
            .str("connection", connection)
            .opt("organization", organization);
        let response = self
            .post(
                "/dbconnections/change_password",
                &fields,
                Encoding::Json,
                HeaderMap::new(),
            )
            .await?;
        let text = String::from_utf8_lossy(response.body()).into_owned();
        // A JSON string answer is unwrapped; plain text is returned as is.
        Ok(match serde_json::from_str::<String>(&text) {
            Ok(s) => s,
            Err(_) => text,
        })
    }
}
