//! One module per Management API resource (`/connections`, `/users`, …).
//!
//! Each module holds the resource's models (serde types matching the
//! OpenAPI schemas, unknown fields kept in `extra`), its typed query
//! parameters, and a borrowed handle (`Connections<'_, S>`) whose methods
//! build [`ApiRequest`](crate::request::ApiRequest)s and call
//! [`ManagementClient::execute`](crate::ManagementClient::execute).
//!
//! Operations with a typed wrapper (OpenAPI `operationId`):
//!
//! | resource | operations |
//! |---|---|
//! | [`connections`] | `connections_list`, `connections_get`, `connections_create`, `connections_update`, `connections_delete`, `connections_checkStatus` |
//! | [`users`] | `users_list`, `users_get`, `users_create`, `users_update`, `users_delete`, `users_listUsersByEmail` |
//!
//! The other 440 operations are generated from the API description into
//! [`crate::api`] (groups such as `auth0.roles()`, including the remaining
//! operations of `users` and `connections`) and [`crate::models`]; see
//! `docs/MANAGEMENT.md`. [`ManagementClient::execute`](crate::ManagementClient::execute)
//! with a hand-built [`ApiRequest`](crate::request::ApiRequest) stays
//! available for endpoints the description does not have yet.

pub mod connections;
pub mod users;
