//! Curated helpers: thin functions on top of the generated operations,
//! for the calls the official SDKs make easy. They live on the same
//! generated group handles (`auth0.users()`, `auth0.connections()`), take
//! and return the generated models, and only fill in defaults — there is
//! no second set of models.
//!
//! | helper | built on |
//! |---|---|
//! | [`Users::list_by_email`](crate::api::Users::list_by_email) | `users_listUsersByEmail` with every field |
//! | [`Connections::all`](crate::api::Connections::all) | `connections_list`, checkpoint pages of 100 |
//!
//! Every operation itself, users and connections included, is generated
//! into [`crate::api`] with the same shape (path arguments, a `…Params`
//! builder, a typed body, `list`/`list_pager`); see `docs/MANAGEMENT.md`.

#[cfg(feature = "connections")]
mod connections;
#[cfg(feature = "users")]
mod users;
