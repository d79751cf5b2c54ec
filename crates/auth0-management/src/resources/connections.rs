//! `/connections`: list, get, create, update and delete connections.
//!
//! Models follow the OpenAPI schemas `ConnectionForList`,
//! `GetConnectionResponseContent` (same fields as the create and update
//! responses) and the create/update request bodies. Strategy-specific
//! `options` stay a JSON object.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::{ManagementClient, ManagementService};
use crate::error::Error;
use crate::model_support::Keys;
use crate::pagination::{DEFAULT_MAX_ITEMS, Page, Pager};
use crate::request::{ApiPath, ApiRequest, FieldsFilter, Query, QueryParams};

/// The list field of a connections page.
const ITEMS: &str = "connections";

/// A connection (an identity provider or user store).
///
/// Fields not modelled here are kept in [`Connection::extra`] and sent back
/// unchanged when the value is serialised. `Debug` shows only the keys of
/// `options`, `metadata` and `extra`: options can hold IdP client secrets.
///
/// ```
/// use auth0_management::resources::connections::Connection;
///
/// let c: Connection = serde_json::from_value(serde_json::json!({
///     "id": "con_ErZf9LpXQDE0cNBr", "name": "Amazon-Connection", "strategy": "amazon",
///     "options": { "client_secret": "s3cr3t" }, "brand_new_field": 1
/// }))?;
/// assert_eq!(c.strategy.as_deref(), Some("amazon"));
/// assert_eq!(c.extra["brand_new_field"], 1);
/// assert!(!format!("{c:?}").contains("s3cr3t"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Connection {
    /// The connection's identifier (`con_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The connection's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Name shown in the Universal Login experience.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The identity provider type, e.g. `auth0`, `google-oauth2`, `samlp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
    /// Strategy-specific options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Map<String, Value>>,
    /// Client ids of the applications the connection is enabled for
    /// (deprecated by Auth0 in favour of `/connections/{id}/clients`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled_clients: Option<Vec<String>>,
    /// Realms (e.g. email domains) the connection serves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realms: Option<Vec<String>>,
    /// Whether third-party applications can use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_domain_connection: Option<bool>,
    /// Whether the login page shows a button for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_as_button: Option<bool>,
    /// Free-form metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    /// Fields this version does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("display_name", &self.display_name)
            .field("strategy", &self.strategy)
            .field("options", &Keys(&self.options))
            .field("enabled_clients", &self.enabled_clients)
            .field("realms", &self.realms)
            .field("is_domain_connection", &self.is_domain_connection)
            .field("show_as_button", &self.show_as_button)
            .field("metadata", &Keys(&self.metadata))
            .field("extra", &Keys(&self.extra))
            .finish()
    }
}

/// Query parameters of `GET /connections` (checkpoint paging).
///
/// ```
/// use auth0_management::request::{Query, QueryParams};
/// use auth0_management::resources::connections::ListConnectionsParams;
///
/// let params = ListConnectionsParams::new().strategy("auth0").take(10);
/// let mut q = Query::new();
/// params.append_to(&mut q);
/// assert_eq!(q.encode(), "take=10&strategy=auth0");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct ListConnectionsParams {
    from: Option<String>,
    take: Option<u32>,
    strategy: Vec<String>,
    name: Option<String>,
    fields: FieldsFilter,
}

impl ListConnectionsParams {
    /// No filter: every connection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Start after this cursor (a previous page's `next`).
    pub fn from(mut self, cursor: impl Into<String>) -> Self {
        self.from = Some(cursor.into());
        self
    }

    /// Page size (Auth0's default 50).
    pub fn take(mut self, take: u32) -> Self {
        self.take = Some(take);
        self
    }

    /// Only connections of this strategy (may be repeated).
    pub fn strategy(mut self, strategy: impl Into<String>) -> Self {
        self.strategy.push(strategy.into());
        self
    }

    /// Only the connection with this name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Restrict or exclude returned fields.
    pub fn fields(mut self, fields: FieldsFilter) -> Self {
        self.fields = fields;
        self
    }
}

impl QueryParams for ListConnectionsParams {
    fn append_to(&self, query: &mut Query) {
        query.push_opt("from", self.from.as_deref());
        query.push_opt("take", self.take);
        query.push_all("strategy", &self.strategy);
        query.push_opt("name", self.name.as_deref());
        self.fields.append_to(query);
    }
}

/// Body of `POST /connections`.
///
/// ```
/// use auth0_management::resources::connections::CreateConnection;
///
/// let body = CreateConnection::new("corp-db", "auth0").enabled_clients(["app-client-id"]);
/// assert_eq!(
///     serde_json::to_value(&body)?,
///     serde_json::json!({ "name": "corp-db", "strategy": "auth0", "enabled_clients": ["app-client-id"] })
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
#[must_use]
pub struct CreateConnection {
    /// The name: alphanumerics and `-`, at most 128 characters.
    pub name: String,
    /// The identity provider, e.g. `auth0`, `google-oauth2`.
    pub strategy: String,
    /// Name shown in the Universal Login experience.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Strategy-specific options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Map<String, Value>>,
    /// Client ids to enable the connection for (deprecated by Auth0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled_clients: Option<Vec<String>>,
    /// Make it usable by third-party applications.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_domain_connection: Option<bool>,
    /// Show a button on the login page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show_as_button: Option<bool>,
    /// Realms (e.g. email domains).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realms: Option<Vec<String>>,
    /// Free-form metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    /// Extra fields sent as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

// `options` carries the identity provider's secrets (social `client_secret`,
// enterprise signing keys, …): `Debug` shows keys only, like `Connection`.
impl fmt::Debug for CreateConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateConnection")
            .field("name", &self.name)
            .field("strategy", &self.strategy)
            .field("display_name", &self.display_name)
            .field("options", &Keys(&self.options))
            .field("enabled_clients", &self.enabled_clients)
            .field("is_domain_connection", &self.is_domain_connection)
            .field("show_as_button", &self.show_as_button)
            .field("realms", &self.realms)
            .field("metadata", &Keys(&self.metadata))
            .field("extra", &Keys(&self.extra))
            .finish()
    }
}

impl CreateConnection {
    /// A connection with a name and a strategy.
    pub fn new(name: impl Into<String>, strategy: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            strategy: strategy.into(),
            ..Self::default()
        }
    }

    /// Sets the display name.
    pub fn display_name(mut self, display_name: impl Into<String>) -> Self {
        self.display_name = Some(display_name.into());
        self
    }

    /// Sets the options.
    pub fn options(mut self, options: Map<String, Value>) -> Self {
        self.options = Some(options);
        self
    }

    /// Sets the enabled clients.
    pub fn enabled_clients<I: IntoIterator<Item = S>, S: Into<String>>(mut self, ids: I) -> Self {
        self.enabled_clients = Some(ids.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the realms.
    pub fn realms<I: IntoIterator<Item = S>, S: Into<String>>(mut self, realms: I) -> Self {
        self.realms = Some(realms.into_iter().map(Into::into).collect());
        self
    }

    /// Sets `is_domain_connection`.
    pub fn is_domain_connection(mut self, yes: bool) -> Self {
        self.is_domain_connection = Some(yes);
        self
    }

    /// Sets `show_as_button`.
    pub fn show_as_button(mut self, yes: bool) -> Self {
        self.show_as_button = Some(yes);
        self
    }

    /// Sets the metadata.
    pub fn metadata(mut self, metadata: Map<String, Value>) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// Sets any other field.
    pub fn set(mut self, field: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(field.into(), value.into());
        self
    }
}

/// Body of `PATCH /connections/{id}`: only the fields set are sent.
///
/// The OpenAPI body has no `name` (Auth0 treats it as immutable); the
/// Python SDK's example renames anyway, which [`UpdateConnection::set`]
/// allows.
///
/// ```
/// use auth0_management::resources::connections::UpdateConnection;
///
/// let body = UpdateConnection::new().display_name("Corp").set("name", "MyNewName");
/// assert_eq!(
///     serde_json::to_value(&body)?,
///     serde_json::json!({ "display_name": "Corp", "name": "MyNewName" })
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
#[must_use]
pub struct UpdateConnection {
    /// Name shown in the Universal Login experience.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Strategy-specific options (replaces the whole object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Map<String, Value>>,
    /// Client ids to enable the connection for (deprecated by Auth0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled_clients: Option<Vec<String>>,
    /// Make it usable by third-party applications.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_domain_connection: Option<bool>,
    /// Show a button on the login page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show_as_button: Option<bool>,
    /// Realms (e.g. email domains).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realms: Option<Vec<String>>,
    /// Free-form metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    /// Extra fields sent as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

// As for `CreateConnection`: `options` holds the provider's secrets.
impl fmt::Debug for UpdateConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpdateConnection")
            .field("display_name", &self.display_name)
            .field("options", &Keys(&self.options))
            .field("enabled_clients", &self.enabled_clients)
            .field("is_domain_connection", &self.is_domain_connection)
            .field("show_as_button", &self.show_as_button)
            .field("realms", &self.realms)
            .field("metadata", &Keys(&self.metadata))
            .field("extra", &Keys(&self.extra))
            .finish()
    }
}

impl UpdateConnection {
    /// An empty update.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the display name.
    pub fn display_name(mut self, display_name: impl Into<String>) -> Self {
        self.display_name = Some(display_name.into());
        self
    }

    /// Replaces the options.
    pub fn options(mut self, options: Map<String, Value>) -> Self {
        self.options = Some(options);
        self
    }

    /// Sets the enabled clients.
    pub fn enabled_clients<I: IntoIterator<Item = S>, S: Into<String>>(mut self, ids: I) -> Self {
        self.enabled_clients = Some(ids.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the realms.
    pub fn realms<I: IntoIterator<Item = S>, S: Into<String>>(mut self, realms: I) -> Self {
        self.realms = Some(realms.into_iter().map(Into::into).collect());
        self
    }

    /// Sets `is_domain_connection`.
    pub fn is_domain_connection(mut self, yes: bool) -> Self {
        self.is_domain_connection = Some(yes);
        self
    }

    /// Sets `show_as_button`.
    pub fn show_as_button(mut self, yes: bool) -> Self {
        self.show_as_button = Some(yes);
        self
    }

    /// Sets the metadata.
    pub fn metadata(mut self, metadata: Map<String, Value>) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// Sets any other field.
    pub fn set(mut self, field: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(field.into(), value.into());
        self
    }
}

/// The `/connections` endpoints; from
/// [`ManagementClient::connections`].
///
/// ```no_run
/// use auth0_management::resources::connections::UpdateConnection;
/// # async fn f(auth0: auth0_management::ManagementClient) -> Result<(), auth0_management::Error> {
/// let all = auth0.connections().all().await?;
/// let renamed = auth0
///     .connections()
///     .update("con_ErZf9LpXQDE0cNBr", &UpdateConnection::new().display_name("Amazon"))
///     .await?;
/// let again = auth0.connections().get("con_ErZf9LpXQDE0cNBr").await?;
/// # let _ = (all, renamed, again);
/// # Ok(()) }
/// ```
///
/// The handle is `Copy` and its methods take it by value, so their futures
/// borrow only the client.
#[derive(Debug)]
pub struct Connections<'a, S> {
    pub(crate) client: &'a ManagementClient<S>,
}

impl<S> Clone for Connections<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Connections<'_, S> {}

impl<'a, S: ManagementService> Connections<'a, S> {
    pub(crate) fn new(client: &'a ManagementClient<S>) -> Self {
        Self { client }
    }

    /// `GET /connections` (`connections_list`): one page. Needs
    /// `read:connections`.
    pub async fn list(self, params: &ListConnectionsParams) -> Result<Page<Connection>, Error> {
        let request = ApiRequest::get(ApiPath::new("connections")).params(params);
        let data = self.client.execute::<Value>(request).await?.data;
        Page::from_json(data, ITEMS)
    }

    /// A pager over `GET /connections`, following `next` cursors (the
    /// params' `from`/`take` give the start and page size, default 50).
    pub fn pager(self, params: ListConnectionsParams) -> Pager<Connection, S> {
        let from = params.from.clone();
        let take = params.take.unwrap_or(50);
        let request = ApiRequest::get(ApiPath::new("connections")).params(&params);
        Pager::checkpoint(self.client.clone(), request, ITEMS, from, take)
    }

    /// Every connection (the Python SDK's `connections.all()`), at most
    /// [`DEFAULT_MAX_ITEMS`].
    pub async fn all(self) -> Result<Vec<Connection>, Error> {
        self.pager(ListConnectionsParams::new())
            .collect_all(DEFAULT_MAX_ITEMS)
            .await
    }

    /// `GET /connections/{id}` (`connections_get`).
    pub async fn get(self, id: &str) -> Result<Connection, Error> {
        self.get_with(id, &FieldsFilter::default()).await
    }

    /// `GET /connections/{id}` with a field filter.
    pub async fn get_with(self, id: &str, fields: &FieldsFilter) -> Result<Connection, Error> {
        let request = ApiRequest::get(ApiPath::new("connections").segment(id)).params(fields);
        Ok(self.client.execute(request).await?.data)
    }

    /// `POST /connections` (`connections_create`); never retried on 5xx.
    /// Needs `create:connections`.
    pub async fn create(self, body: &CreateConnection) -> Result<Connection, Error> {
        let request = ApiRequest::post(ApiPath::new("connections")).json(body)?;
        Ok(self.client.execute(request).await?.data)
    }

    /// `PATCH /connections/{id}` (`connections_update`). Needs
    /// `update:connections`.
    pub async fn update(self, id: &str, body: &UpdateConnection) -> Result<Connection, Error> {
        let request = ApiRequest::patch(ApiPath::new("connections").segment(id)).json(body)?;
        Ok(self.client.execute(request).await?.data)
    }

    /// `GET /connections/{id}/status` (`connections_checkStatus`): `Ok` when
    /// the connection is online; an AD/LDAP connector that is offline
    /// answers an error status. Needs `read:connections`.
    pub async fn check_status(self, id: &str) -> Result<(), Error> {
        let request = ApiRequest::get(ApiPath::new("connections").segment(id).segment("status"));
        self.client.execute_empty(request).await.map(|_| ())
    }

    /// `DELETE /connections/{id}` (`connections_delete`). Needs
    /// `delete:connections`.
    pub async fn delete(self, id: &str) -> Result<(), Error> {
        let request = ApiRequest::delete(ApiPath::new("connections").segment(id));
        self.client.execute_empty(request).await.map(|_| ())
    }
}
