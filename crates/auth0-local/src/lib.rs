//! A local Auth0 tenant for tests and development — **not a production
//! identity provider**.
//!
//! [`LocalTenant::builder()`](LocalTenant::builder)`…start().await` serves,
//! on a free 127.0.0.1 port and over HTTPS with a certificate authority made
//! at start (plain http on request), the parts of Auth0 an application and
//! its SDK talk to:
//!
//! - discovery and JWKS (RS256 by default, as Auth0), with signing-key
//!   rotation that keeps the old key published for a grace period;
//! - `/authorize` (auto-login for tests, or a minimal login page), PKCE,
//!   organizations (enabled connections and membership checked) and
//!   invitations, pushed authorization requests (`/oauth/par`,
//!   `request_uri`);
//! - `/oauth/token`: client credentials (client secret or `private_key_jwt`
//!   with `jti` replay refused), password and password-realm, authorization
//!   code, refresh token with rotation and reuse detection, MFA OTP, OOB
//!   and recovery code, passwordless OTP, CIBA, custom token exchange
//!   ([`TokenExchangeProfile`]);
//! - `/userinfo`, `/oauth/revoke`, `/v2/logout`, `/dbconnections/signup`,
//!   `/dbconnections/change_password`, `/passwordless/start`,
//!   `/bc-authorize`, and `/mfa/associate`, `/mfa/challenge`,
//!   `/mfa/authenticators`;
//! - test handles for what a user does elsewhere: approve or deny a CIBA
//!   login ([`LocalTenant::approve_back_channel_login`]) or an MFA push
//!   ([`LocalTenant::approve_mfa_push`]), read the code an SMS or email
//!   would carry ([`LocalTenant::mfa_oob_code`],
//!   [`LocalTenant::passwordless_code`]);
//! - a stateful Management API for users, connections, clients, client
//!   grants, resource servers (RBAC: `enforce_policies` narrows user
//!   tokens' scopes, `access_token_authz` adds `permissions`), roles (with
//!   their permissions and users),
//!   users' roles and permissions, and organizations (members and their
//!   roles, invitations, enabled connections), behind Bearer tokens with
//!   the Management audience and scopes; other operations of the vendored
//!   API description answer `501` naming their `operationId`;
//! - Auth0's rate-limit headers and 429s, and faults on demand (latency,
//!   error statuses, dropped connections, scripted answers: stalls before
//!   or after the headers, streamed bodies of any size, raw bodies);
//! - for tests, a log of every request received ([`LocalTenant::requests`],
//!   credentials redacted in `Debug`) and counters of connections and
//!   streamed bytes.
//!
//! `docs/LOCAL_TENANT.md` in the repository has the table of what is
//! emulated and how faithfully. The `auth0-local` binary serves the same
//! tenant to other processes and languages.
//!
//! ```no_run
//! use auth0_local::{Fault, LocalTenant, NewUser};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let tenant = LocalTenant::builder().start().await?;
//! let alice = tenant.add_user(NewUser::new("alice@example.com", "correct horse battery"))?;
//! let auth = tenant.authentication_client()?; // the web app, with its secret
//! let management = tenant.management_client()?; // the M2M app
//! tenant.inject(Fault::status(503).on_path("/api/v2/")); // the next call fails once
//! tenant.rotate_signing_key()?; // new tokens get a new kid
//! # let _ = (alice, auth, management);
//! # Ok(()) }
//! ```
//!
//! # Dependencies
//!
//! auth0-local depends on the SDK crates (auth0-jwt to sign, auth0-core for
//! [`LocalTenant::client`], and with the default `sdk-clients` feature
//! auth0-authentication and auth0-management for the ready-wired clients);
//! the SDK crates never depend on it. Their *integration* tests (`tests/`)
//! can take it as a dev-dependency: Cargo builds one copy of each crate for
//! them. Their *unit* tests cannot use the wired clients, because there the
//! crate under test is a second, `cfg(test)` copy whose types differ.

// Route helpers return their early answer (a buffered response) as the error
// of a `Result`, moved once per request; boxing it would buy nothing.
#![allow(clippy::result_large_err)]

mod authn;
mod ciba;
mod control;
mod device;
mod dpop;
mod faults;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod http;
mod jar;
mod jobs;
mod keys;
mod list_filters;
mod logout;
mod logs;
mod management;
mod mfa;
mod mtls;
mod organizations;
mod passkey;
mod recording;
mod replace_file;
mod roles;
mod routes;
mod server;
mod spec;
mod tenant;
mod threaded;
mod tls;
mod token_exchange;

pub use faults::{Fault, RateLimit};
pub use mfa::OobAuthenticator;
pub use mtls::{ClientCertificatePem, MtlsCredential, self_signed_client_certificate};
pub use recording::{RECORDED_REQUESTS_KEPT, RecordedRequest};
pub use threaded::ThreadedTenant;
pub use token_exchange::{ExchangeRejection, TokenExchangeProfile};

/// `docs/LOCAL_TENANT.md`, compiled by `cargo test -p auth0-local --doc` so
/// its Rust examples keep building.
#[cfg(doctest)]
pub mod local_tenant_doc {
    #![doc = include_str!("../../../docs/LOCAL_TENANT.md")]
}
pub use tenant::{
    Application, Applications, DATABASE_CONNECTION, LocalOrganization, LocalTenant,
    LocalTenantBuilder, NewUser, UserCredentials, redirect_params,
};

/// Why a tenant could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The address could not be bound: the port is taken, or the address is
    /// not one of this machine's.
    #[error("could not listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The CA or server certificate could not be generated.
    #[error("could not make the TLS certificates: {reason}")]
    Certificate {
        /// What failed.
        reason: String,
    },
    /// The TLS server configuration was refused by rustls.
    #[error("could not configure TLS: {reason}")]
    Tls {
        /// What failed.
        reason: String,
    },
    /// A signing key could not be generated (or the algorithm asked for
    /// cannot sign).
    #[error("could not make a signing key: {reason}")]
    Key {
        /// What failed.
        reason: String,
    },
    /// The configuration is inconsistent, e.g. two users with one email.
    #[error("invalid tenant configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
    /// [`LocalTenantBuilder::start_threaded`] could not start its runtime
    /// thread, or was called inside an async runtime.
    #[error("could not start the tenant's runtime thread: {reason}")]
    Runtime {
        /// What failed.
        reason: String,
    },
}

/// Why a change to a running tenant failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TenantError {
    /// A user with this email already exists.
    #[error("a user with the email {email} already exists")]
    UserExists {
        /// The email address.
        email: String,
    },
    /// No organization has this id or name.
    #[error("no organization is called {organization}")]
    UnknownOrganization {
        /// The id or name asked for.
        organization: String,
    },
    /// No user has this id.
    #[error("no user has the id {user_id}")]
    UnknownUser {
        /// The id asked for.
        user_id: String,
    },
    /// Nothing of this kind is waiting for a decision: the id is wrong, or
    /// the request was already decided, finished or expired.
    #[error("no pending {what} matches")]
    NothingPending {
        /// What was looked for: a back-channel login, an MFA push challenge.
        what: &'static str,
    },
    /// A custom token exchange profile's `subject_token_type` is empty or in
    /// a namespace Auth0 reserves (`urn:ietf:params:oauth:`,
    /// `https://auth0.com/`, `urn:auth0:`).
    #[error("the subject_token_type {subject_token_type:?} is reserved")]
    ReservedTokenType {
        /// The type refused.
        subject_token_type: String,
    },
    /// A new signing key could not be generated.
    #[error("could not make a signing key: {reason}")]
    Key {
        /// What failed.
        reason: String,
    },
    /// The tenant serves plain http: it has no certificate authority.
    #[error("the tenant serves plain http and has no CA certificate")]
    PlainHttp,
    /// A file could not be written.
    #[error("could not write the file")]
    Io {
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

/// Why [`LocalTenant::follow_authorize`] found no redirect back to the
/// application.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorizeError {
    /// The authorization URL is not a valid request URI.
    #[error("the authorization URL is not a valid URI")]
    InvalidUrl,
    /// The request failed (connection, TLS, timeout).
    #[error("the authorization request failed")]
    Request(#[from] auth0_core::Error),
    /// `/authorize` answered without a `Location` (an error page, or the
    /// login page when auto-login is off).
    #[error("/authorize answered {status} without a redirect")]
    NoRedirect {
        /// The status it answered with.
        status: ::http::StatusCode,
    },
}

/// Why a ready-wired SDK client could not be built.
#[cfg(feature = "sdk-clients")]
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client")]
    Http(#[from] auth0_core::Error),
    /// The Authentication API client refused its settings.
    #[error("could not build the Authentication API client")]
    Authentication(#[source] auth0_authentication::BuildError),
    /// The Management API client refused its settings.
    #[error("could not build the Management API client")]
    Management(#[source] auth0_management::BuildError),
}
