//! `/users`: search and list, get, create, update and delete users, and
//! `/users-by-email`.
//!
//! Models follow the OpenAPI schemas `UserResponseSchema` (same fields as
//! the get, create and update responses), `UserIdentitySchema` and the
//! create/update request bodies.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::{ManagementClient, ManagementService};
use crate::error::Error;
use crate::model_support::Keys;
use crate::pagination::{Page, Pager};
use crate::request::{ApiPath, ApiRequest, FieldsFilter, Query, QueryParams};

/// The list field of a users page.
const ITEMS: &str = "users";

/// A date Auth0 sends as an ISO 8601 string (or, rarely, an object).
///
/// ```
/// use auth0_management::resources::users::UserDate;
///
/// let d: UserDate = serde_json::from_str("\"2024-01-15T09:30:00Z\"")?;
/// assert_eq!(d.as_str(), Some("2024-01-15T09:30:00Z"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum UserDate {
    /// An ISO 8601 timestamp, e.g. `2024-01-15T09:30:00Z`.
    Text(String),
    /// Any other JSON object.
    Object(Map<String, Value>),
}

impl UserDate {
    /// The timestamp text, if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            UserDate::Text(s) => Some(s),
            UserDate::Object(_) => None,
        }
    }
}

/// An identity id: a string for most providers, a number for some social
/// ones.
///
/// ```
/// use auth0_management::resources::users::IdentityUserId;
///
/// let id: IdentityUserId = serde_json::from_str("1234567")?;
/// assert_eq!(id.to_string(), "1234567");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum IdentityUserId {
    /// A string id.
    Text(String),
    /// A numeric id.
    Number(serde_json::Number),
}

impl fmt::Display for IdentityUserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdentityUserId::Text(s) => f.write_str(s),
            IdentityUserId::Number(n) => write!(f, "{n}"),
        }
    }
}

/// One identity (account at a connection) of a user.
///
/// `Debug` redacts the IdP tokens (present with `read:user_idp_tokens`).
///
/// ```
/// use auth0_management::resources::users::UserIdentity;
///
/// let identity: UserIdentity = serde_json::from_value(serde_json::json!({
///     "provider": "google-oauth2", "user_id": "1234", "isSocial": true, "access_token": "ya29.secret"
/// }))?;
/// assert_eq!(identity.is_social, Some(true));
/// assert!(!format!("{identity:?}").contains("ya29"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserIdentity {
    /// Name of the connection holding this identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    /// The user's id at the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<IdentityUserId>,
    /// The provider, e.g. `auth0`, `google-oauth2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Whether the provider is a social one.
    #[serde(default, rename = "isSocial", skip_serializing_if = "Option::is_none")]
    pub is_social: Option<bool>,
    /// The IdP access token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// The IdP access token secret (OAuth 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_secret: Option<String>,
    /// The IdP refresh token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The profile the provider returned (for linked identities).
    #[serde(
        default,
        rename = "profileData",
        skip_serializing_if = "Option::is_none"
    )]
    pub profile_data: Option<Map<String, Value>>,
    /// Fields this version does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl fmt::Debug for UserIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        f.debug_struct("UserIdentity")
            .field("connection", &self.connection)
            .field("user_id", &self.user_id)
            .field("provider", &self.provider)
            .field("is_social", &self.is_social)
            .field("access_token", &redact(&self.access_token))
            .field("access_token_secret", &redact(&self.access_token_secret))
            .field("refresh_token", &redact(&self.refresh_token))
            .field("profile_data", &Keys(&self.profile_data))
            .field("extra", &Keys(&self.extra))
            .finish()
    }
}

/// A user.
///
/// Fields not modelled here (e.g. `last_password_reset`,
/// `multifactor_last_modified`) are kept in [`User::extra`]. `Debug` shows
/// only the keys of `extra` and the metadata maps, and redacts identity
/// tokens.
///
/// ```
/// use auth0_management::resources::users::User;
///
/// let user: User = serde_json::from_value(serde_json::json!({
///     "user_id": "auth0|123", "email": "a@example.com", "logins_count": 3,
///     "created_at": "2024-01-15T09:30:00Z", "last_password_reset": "2024-01-16T00:00:00Z"
/// }))?;
/// assert_eq!(user.logins_count, Some(3));
/// assert_eq!(user.created_at.as_ref().and_then(|d| d.as_str()), Some("2024-01-15T09:30:00Z"));
/// assert!(user.extra.contains_key("last_password_reset"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// The user's id, e.g. `auth0|5f7c8ec7c33c6c004bbafe82`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether the email is verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// Username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Phone number (E.164).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Whether the phone number is verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_verified: Option<bool>,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<UserDate>,
    /// Last update time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<UserDate>,
    /// Accounts linked to this user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identities: Option<Vec<UserIdentity>>,
    /// Metadata the user cannot change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_metadata: Option<Map<String, Value>>,
    /// Metadata the user can change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_metadata: Option<Map<String, Value>>,
    /// Picture URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// Full name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Nickname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// Enrolled MFA providers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multifactor: Option<Vec<String>>,
    /// Last login IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_ip: Option<String>,
    /// Last login time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login: Option<UserDate>,
    /// Number of logins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logins_count: Option<i64>,
    /// Whether the user is blocked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked: Option<bool>,
    /// Given name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Family name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Fields this version does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("user_id", &self.user_id)
            .field("email", &self.email)
            .field("email_verified", &self.email_verified)
            .field("username", &self.username)
            .field("phone_number", &self.phone_number)
            .field("phone_verified", &self.phone_verified)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .field("identities", &self.identities)
            .field("app_metadata", &Keys(&self.app_metadata))
            .field("user_metadata", &Keys(&self.user_metadata))
            .field("picture", &self.picture)
            .field("name", &self.name)
            .field("nickname", &self.nickname)
            .field("multifactor", &self.multifactor)
            .field("last_ip", &self.last_ip)
            .field("last_login", &self.last_login)
            .field("logins_count", &self.logins_count)
            .field("blocked", &self.blocked)
            .field("given_name", &self.given_name)
            .field("family_name", &self.family_name)
            .field("extra", &Keys(&self.extra))
            .finish()
    }
}

/// The search engine version of `GET /users` (`SearchEngineVersionsEnum`).
///
/// ```
/// use auth0_management::resources::users::SearchEngine;
/// assert_eq!(SearchEngine::V3.to_string(), "v3");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SearchEngine {
    /// `v1` (retired by Auth0).
    V1,
    /// `v2` (retired by Auth0).
    V2,
    /// `v3`, the current engine.
    V3,
}

impl fmt::Display for SearchEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SearchEngine::V1 => "v1",
            SearchEngine::V2 => "v2",
            SearchEngine::V3 => "v3",
        })
    }
}

/// Query parameters of `GET /users` (offset paging).
///
/// ```
/// use auth0_management::request::{Query, QueryParams};
/// use auth0_management::resources::users::ListUsersParams;
///
/// let params = ListUsersParams::new().q("email:\"jane@example.com\"").per_page(10).sort("created_at:1");
/// let mut q = Query::new();
/// params.append_to(&mut q);
/// assert_eq!(q.encode(), "per_page=10&sort=created_at%3A1&q=email%3A%22jane%40example.com%22");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct ListUsersParams {
    page: Option<u64>,
    per_page: Option<u32>,
    include_totals: Option<bool>,
    sort: Option<String>,
    connection: Option<String>,
    fields: FieldsFilter,
    q: Option<String>,
    search_engine: Option<SearchEngine>,
    primary_order: Option<bool>,
}

impl ListUsersParams {
    /// No filter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Page index, from 0.
    pub fn page(mut self, page: u64) -> Self {
        self.page = Some(page);
        self
    }

    /// Page size (Auth0's default 50, at most 100).
    pub fn per_page(mut self, per_page: u32) -> Self {
        self.per_page = Some(per_page);
        self
    }

    /// Return `start`/`limit`/`total` with the page.
    pub fn include_totals(mut self, yes: bool) -> Self {
        self.include_totals = Some(yes);
        self
    }

    /// Sort, e.g. `created_at:1` (1 ascending, -1 descending).
    pub fn sort(mut self, sort: impl Into<String>) -> Self {
        self.sort = Some(sort.into());
        self
    }

    /// Only users of this connection (with search engine v1).
    pub fn connection(mut self, connection: impl Into<String>) -> Self {
        self.connection = Some(connection.into());
        self
    }

    /// Restrict or exclude returned fields.
    pub fn fields(mut self, fields: FieldsFilter) -> Self {
        self.fields = fields;
        self
    }

    /// A Lucene query, e.g. `email:"jane@example.com"`.
    pub fn q(mut self, query: impl Into<String>) -> Self {
        self.q = Some(query.into());
        self
    }

    /// The search engine version.
    pub fn search_engine(mut self, engine: SearchEngine) -> Self {
        self.search_engine = Some(engine);
        self
    }

    /// Whether to order primary identities first.
    pub fn primary_order(mut self, yes: bool) -> Self {
        self.primary_order = Some(yes);
        self
    }
}

impl QueryParams for ListUsersParams {
    fn append_to(&self, query: &mut Query) {
        query.push_opt("page", self.page);
        query.push_opt("per_page", self.per_page);
        query.push_opt("include_totals", self.include_totals);
        query.push_opt("sort", self.sort.as_deref());
        query.push_opt("connection", self.connection.as_deref());
        self.fields.append_to(query);
        query.push_opt("q", self.q.as_deref());
        query.push_opt("search_engine", self.search_engine);
        query.push_opt("primary_order", self.primary_order);
    }
}

/// Body of `POST /users`. `Debug` redacts the password.
///
/// ```
/// use auth0_management::resources::users::CreateUser;
///
/// let body = CreateUser::new("Username-Password-Authentication")
///     .email("jane@example.com")
///     .password("correct horse battery staple");
/// assert!(!format!("{body:?}").contains("horse"));
/// assert_eq!(serde_json::to_value(&body)?["connection"], "Username-Password-Authentication");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
#[must_use]
pub struct CreateUser {
    /// The connection to create the user in (required).
    pub connection: String,
    /// Email address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone number (SMS connections).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Metadata the user can change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_metadata: Option<Map<String, Value>>,
    /// Block the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked: Option<bool>,
    /// Mark the email verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// Mark the phone verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_verified: Option<bool>,
    /// Metadata the user cannot change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_metadata: Option<Map<String, Value>>,
    /// Given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Full name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Nickname.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// Picture URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// The id to give the user (without the `auth0|` prefix).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Initial password (database connections).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Send a verification email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_email: Option<bool>,
    /// Username (connections that require one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Extra fields sent as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CreateUser {
    /// A user in `connection`.
    pub fn new(connection: impl Into<String>) -> Self {
        Self {
            connection: connection.into(),
            ..Self::default()
        }
    }

    /// Sets the email.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Sets the password.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// Sets the username.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// Sets the phone number.
    pub fn phone_number(mut self, phone: impl Into<String>) -> Self {
        self.phone_number = Some(phone.into());
        self
    }

    /// Sets the full name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets `email_verified`.
    pub fn email_verified(mut self, yes: bool) -> Self {
        self.email_verified = Some(yes);
        self
    }

    /// Sets `verify_email`.
    pub fn verify_email(mut self, yes: bool) -> Self {
        self.verify_email = Some(yes);
        self
    }

    /// Sets the user metadata.
    pub fn user_metadata(mut self, metadata: Map<String, Value>) -> Self {
        self.user_metadata = Some(metadata);
        self
    }

    /// Sets the app metadata.
    pub fn app_metadata(mut self, metadata: Map<String, Value>) -> Self {
        self.app_metadata = Some(metadata);
        self
    }

    /// Sets any other field.
    pub fn set(mut self, field: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(field.into(), value.into());
        self
    }
}

impl fmt::Debug for CreateUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateUser")
            .field("connection", &self.connection)
            .field("email", &self.email)
            .field("username", &self.username)
            .field("phone_number", &self.phone_number)
            .field("user_id", &self.user_id)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("extra", &Keys(&self.extra))
            .finish_non_exhaustive()
    }
}

/// Body of `PATCH /users/{id}`: only the fields set are sent. `Debug`
/// redacts the password.
///
/// ```
/// use auth0_management::resources::users::UpdateUser;
///
/// let body = UpdateUser::new().blocked(true);
/// assert_eq!(serde_json::to_value(&body)?, serde_json::json!({ "blocked": true }));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
#[must_use]
pub struct UpdateUser {
    /// Block or unblock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked: Option<bool>,
    /// Mark the email verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// New email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// New phone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Mark the phone verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_verified: Option<bool>,
    /// Metadata the user can change (merged at the top level).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_metadata: Option<Map<String, Value>>,
    /// Metadata the user cannot change (merged at the top level).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_metadata: Option<Map<String, Value>>,
    /// Given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Full name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Nickname.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// Picture URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// Send a verification email for the new email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_email: Option<bool>,
    /// Send a verification for the new phone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_phone_number: Option<bool>,
    /// New password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The connection the change applies to (for email/password changes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    /// The client id used for verification emails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// New username.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Extra fields sent as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl UpdateUser {
    /// An empty update.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `blocked`.
    pub fn blocked(mut self, yes: bool) -> Self {
        self.blocked = Some(yes);
        self
    }

    /// Sets the email.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Sets the password.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// Sets the full name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the nickname.
    pub fn nickname(mut self, nickname: impl Into<String>) -> Self {
        self.nickname = Some(nickname.into());
        self
    }

    /// Sets the user metadata.
    pub fn user_metadata(mut self, metadata: Map<String, Value>) -> Self {
        self.user_metadata = Some(metadata);
        self
    }

    /// Sets the app metadata.
    pub fn app_metadata(mut self, metadata: Map<String, Value>) -> Self {
        self.app_metadata = Some(metadata);
        self
    }

    /// Sets the connection the change applies to.
    pub fn connection(mut self, connection: impl Into<String>) -> Self {
        self.connection = Some(connection.into());
        self
    }

    /// Sets any other field.
    pub fn set(mut self, field: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(field.into(), value.into());
        self
    }
}

impl fmt::Debug for UpdateUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpdateUser")
            .field("blocked", &self.blocked)
            .field("email", &self.email)
            .field("username", &self.username)
            .field("connection", &self.connection)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("extra", &Keys(&self.extra))
            .finish_non_exhaustive()
    }
}

/// The `/users` endpoints; from [`ManagementClient::users`].
///
/// ```no_run
/// use auth0_management::resources::users::{CreateUser, ListUsersParams, UpdateUser};
/// # async fn f(auth0: auth0_management::ManagementClient) -> Result<(), auth0_management::Error> {
/// let user = auth0
///     .users()
///     .create(&CreateUser::new("Username-Password-Authentication").email("jane@example.com").password("…"))
///     .await?;
/// let id = user.user_id.unwrap_or_default();
/// auth0.users().update(&id, &UpdateUser::new().nickname("jj")).await?;
/// let page = auth0.users().list(&ListUsersParams::new().q("nickname:jj").include_totals(true)).await?;
/// println!("{:?} matches", page.total);
/// auth0.users().delete(&id).await?;
/// # Ok(()) }
/// ```
///
/// The handle is `Copy` and its methods take it by value, so their futures
/// borrow only the client.
#[derive(Debug)]
pub struct Users<'a, S> {
    pub(crate) client: &'a ManagementClient<S>,
}

impl<S> Clone for Users<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Users<'_, S> {}

impl<'a, S: ManagementService> Users<'a, S> {
    pub(crate) fn new(client: &'a ManagementClient<S>) -> Self {
        Self { client }
    }

    /// `GET /users` (`users_list`): one page of a listing or search. Needs
    /// `read:users`.
    pub async fn list(self, params: &ListUsersParams) -> Result<Page<User>, Error> {
        let request = ApiRequest::get(ApiPath::new("users")).params(params);
        let data = self.client.execute::<Value>(request).await?.data;
        Page::from_json(data, ITEMS)
    }

    /// A pager over `GET /users` from `params.page` (default 0) with
    /// `params.per_page` (default 50) items per page; totals are always
    /// requested.
    pub fn pager(self, params: ListUsersParams) -> Pager<User, S> {
        let first = params.page.unwrap_or(0);
        let per_page = params.per_page.unwrap_or(50);
        let request = ApiRequest::get(ApiPath::new("users")).params(&params);
        Pager::offset(self.client.clone(), request, ITEMS, first, per_page)
    }

    /// `GET /users/{id}` (`users_get`).
    pub async fn get(self, id: &str) -> Result<User, Error> {
        self.get_with(id, &FieldsFilter::default()).await
    }

    /// `GET /users/{id}` with a field filter.
    pub async fn get_with(self, id: &str, fields: &FieldsFilter) -> Result<User, Error> {
        let request = ApiRequest::get(ApiPath::new("users").segment(id)).params(fields);
        Ok(self.client.execute(request).await?.data)
    }

    /// `GET /users-by-email` (`users_listUsersByEmail`): every user with
    /// this email (case-insensitive), across connections.
    pub async fn list_by_email(
        self,
        email: &str,
        fields: &FieldsFilter,
    ) -> Result<Vec<User>, Error> {
        let mut request = ApiRequest::get(ApiPath::new("users-by-email")).params(fields);
        request.query_mut().push("email", email);
        Ok(self.client.execute(request).await?.data)
    }

    /// `POST /users` (`users_create`); never retried on 5xx. Needs
    /// `create:users`.
    pub async fn create(self, body: &CreateUser) -> Result<User, Error> {
        let request = ApiRequest::post(ApiPath::new("users")).json(body)?;
        Ok(self.client.execute(request).await?.data)
    }

    /// `PATCH /users/{id}` (`users_update`). Needs `update:users`.
    pub async fn update(self, id: &str, body: &UpdateUser) -> Result<User, Error> {
        let request = ApiRequest::patch(ApiPath::new("users").segment(id)).json(body)?;
        Ok(self.client.execute(request).await?.data)
    }

    /// `DELETE /users/{id}` (`users_delete`). Needs `delete:users`.
    pub async fn delete(self, id: &str) -> Result<(), Error> {
        let request = ApiRequest::delete(ApiPath::new("users").segment(id));
        self.client.execute_empty(request).await.map(|_| ())
    }
}
