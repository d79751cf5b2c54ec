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
//! * [`pagination`] decodes offset and checkpoint pages and walks them;
//!   [`logs`] reads the tenant logs by checkpoint (no 1,000-result window).
//! * [`jobs`] waits for jobs (backoff, deadline, typed failures with an
//!   import's error report) and reads users exports (gzip NDJSON or CSV).
//! * [`api`] and [`models`] (generated from the Management API's OpenAPI
//!   description by `cargo xtask codegen`) cover **all 452 operations**,
//!   users and connections included, in one shape.
//! * [`resources`] adds a few curated helpers on the generated groups
//!   (`users().list_by_email(email)`, `connections().all()`), taking and
//!   returning the generated models.
//! * `blocking` (feature `blocking`): the same client without `async` —
//!   every operation, pagers as iterators — on a background runtime thread.
//! * [`custom_domain`]: `Auth0-Custom-Domain` on the endpoints that accept
//!   it ([`ManagementClientBuilder::custom_domain`],
//!   [`ManagementClient::with_custom_domain`]).
//!
//! # Cargo features
//!
//! Each top-level resource group is a feature named like its accessor
//! (`users`, `clients`, `connections`, `roles`, `jobs`, `logs`, …), and
//! `full` (the default) turns them all on. A program that uses a few
//! groups compiles only those and the models they reach, which cuts the
//! crate's build time:
//!
//! ```toml
//! auth0-management = { version = "0.1", default-features = false, features = ["users", "roles"] }
//! ```
//!
//! [`jobs`] needs `jobs`, [`logs`] needs `logs`, and the curated helpers of
//! [`resources`] need their group. [`generated::OPERATIONS`] always lists
//! every operation.
//!
//! # All operations
//!
//! Every operation is a method on a resource group, named after its
//! `operationId` as Auth0's own SDKs (node-auth0 v5, auth0-python v5) name
//! it: `roles_list` is `auth0.roles().list(…)`, `users_roles_list` is
//! `auth0.users().roles().list(id, …)`, `organizations_members_roles_list`
//! is `auth0.organizations().members().roles().list(id, user_id, …)`. Path
//! parameters are arguments (percent-encoded one by one), query parameters
//! a `…Params` builder, bodies a model from [`models`] built with `new(…)`
//! and setters. Offset and checkpoint lists also get a `…_pager` method.
//! [`generated::OPERATIONS`] lists every operation.
//!
//! ```no_run
//! use auth0_management::api::{OrganizationsMembersListParams, RolesListParams};
//! use auth0_management::models::{UsersRolesAssignRequestContent, CreateRoleRequestContent};
//! # async fn f(auth0: auth0_management::ManagementClient) -> Result<(), auth0_management::Error> {
//! let role = auth0.roles().create(&CreateRoleRequestContent::new("billing-admin")).await?;
//! let role_id = role.id.unwrap_or_default();
//! auth0
//!     .users()
//!     .roles()
//!     .assign("auth0|5f7c8ec7c33c6c004bbafe82", &UsersRolesAssignRequestContent::new(vec![role_id]))
//!     .await?;
//! let mut roles = auth0.roles().list_pager(RolesListParams::new().per_page(100));
//! while let Some(page) = roles.next_page().await {
//!     for role in page?.items {
//!         println!("{:?}", role.name);
//!     }
//! }
//! let members = auth0
//!     .organizations()
//!     .members()
//!     .list("org_123", &OrganizationsMembersListParams::new().take(50))
//!     .await?;
//! # let _ = members;
//! # Ok(()) }
//! ```
//!
//! Users and connections follow the same convention; a `PATCH` body is a
//! `…RequestContent` built with `new()` and setters (`clear_<field>()`
//! sends `null`). Auth0 lets you change a connection's `display_name`,
//! `options`, `enabled_clients`, `realms`, `is_domain_connection`,
//! `show_as_button`, `metadata`, `authentication` and
//! `connected_accounts`; its `name` and `strategy` are fixed at creation.
//!
//! ```no_run
//! use auth0_core::{Auth0Client, ClientConfig};
//! use auth0_management::api::ConnectionsGetParams;
//! use auth0_management::models::UpdateConnectionRequestContent;
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
//!     .update(
//!         "con_ErZf9LpXQDE0cNBr",
//!         &UpdateConnectionRequestContent::new().display_name("MyNewName"),
//!     )
//!     .await?;
//! let modified = auth0
//!     .connections()
//!     .get("con_ErZf9LpXQDE0cNBr", &ConnectionsGetParams::new())
//!     .await?;
//! # let _ = (connections, modified);
//! # Ok(()) }
//! ```

// Without some group features, shared plumbing (list decoding, multipart,
// the string-enum macro, `Debug` helpers) has no user left; the full build
// (the default, which CI lints) keeps every warning.
#![cfg_attr(
    not(feature = "full"),
    allow(
        dead_code,
        unused_imports,
        unused_macros,
        unreachable_code,
        unreachable_pub
    )
)]

#[cfg(feature = "blocking")]
pub mod blocking;
pub mod client;
pub mod custom_domain;
pub mod error;
#[cfg(feature = "jobs")]
mod export_decoder;
pub mod generated;
#[cfg(feature = "jobs")]
pub mod jobs;
#[cfg(feature = "logs")]
pub mod logs;
mod model_support;
mod object;
pub mod pagination;
pub mod patch;
pub mod request;
pub mod resources;
pub mod token;

// Fuzzing harnesses (`fuzz/` and tests/fuzz_corpus.rs); not a supported API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

pub use generated::{api, models};
#[doc(hidden)]
pub use model_support::{record_untyped, take_untyped};

pub use client::{ManagementClient, ManagementClientBuilder, ManagementService};
pub use error::{BuildError, Error, TokenError};
pub use pagination::{Page, Pager};
pub use patch::Patch;
pub use request::{ApiPath, ApiRequest, Query, QueryParams};
pub use token::{ClientCredentials, TokenSource};
