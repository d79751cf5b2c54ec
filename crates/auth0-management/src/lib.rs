//! The Auth0 Management API v2 for Rust, on the auth0-core HTTP stack.
//!
//! * [`ManagementClient`] wraps an [`auth0_core::Auth0Client`] (so its
//!   timeouts, retries and rate limiting apply) and authenticates with a
//!   static token or with client credentials ([`token`]): the token is
//!   fetched lazily, cached, refreshed before it expires, fetched once for
//!   any number of concurrent calls, and fetched again once after a `401`.
//! * [`request`] builds calls: percent-encoded path segments, typed query
//!   parameters, JSON bodies. `GET`/`PUT`/`DELETE` are retried on 5xx by the
//!   stack, `POST`/`PATCH` are not.
//! * [`pagination`] decodes offset and checkpoint pages and walks them.
//! * [`resources`] has one module per resource (`connections`, `users`).
//!
//! ```no_run
//! use auth0_core::{Auth0Client, ClientConfig};
//! use auth0_management::resources::connections::UpdateConnection;
//! use auth0_management::{ClientCredentials, ManagementClient};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let http = Auth0Client::new(ClientConfig::new("myaccount.auth0.com")?)?;
//! let auth0 = ManagementClient::builder(http)
//!     .client_credentials(ClientCredentials::new("client-id", "client-secret"))
//!     .build()?;
//!
//! let connections = auth0.connections().all().await?;
//! auth0
//!     .connections()
//!     .update("con_ErZf9LpXQDE0cNBr", &UpdateConnection::new().display_name("MyNewName"))
//!     .await?;
//! let modified = auth0.connections().get("con_ErZf9LpXQDE0cNBr").await?;
//! # let _ = (connections, modified);
//! # Ok(()) }
//! ```

pub mod client;
pub mod error;
pub mod pagination;
pub mod request;
pub mod resources;
pub mod token;

pub use client::{ManagementClient, ManagementClientBuilder, ManagementService};
pub use error::{BuildError, Error, TokenError};
pub use pagination::{Page, Pager};
pub use request::{ApiPath, ApiRequest, FieldsFilter, Query, QueryParams};
pub use token::{ClientCredentials, TokenSource};
