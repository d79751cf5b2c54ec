//! The Auth0 Authentication API for Rust, on the `auth0-core` HTTP stack.
//!
//! [`AuthenticationClient`] offers what auth0-python's
//! `auth0.authentication` package does, with the same request shapes:
//!
//! * token grants on `/oauth/token` ([`client_credentials`](AuthenticationClient::client_credentials),
//!   [`authorization_code`](AuthenticationClient::authorization_code),
//!   [`authorization_code_pkce`](AuthenticationClient::authorization_code_pkce),
//!   [`login`](AuthenticationClient::login) (password-realm),
//!   [`passwordless_login`](AuthenticationClient::passwordless_login),
//!   [`refresh_token`](AuthenticationClient::refresh_token),
//!   [`token_exchange`](AuthenticationClient::token_exchange),
//!   [`access_token_for_connection`](AuthenticationClient::access_token_for_connection)
//!   (Token Vault), and any other grant with [`grant`](AuthenticationClient::grant)),
//!   answered with a [`TokenResponse`];
//! * client authentication by `client_secret_post`, `client_secret_basic`,
//!   `private_key_jwt` ([`ClientAuthentication`]), a fresh signed
//!   assertion per request, or mutual TLS (`tls_client_auth`,
//!   `self_signed_tls_client_auth`, RFC 8705) at the tenant's mTLS endpoint
//!   aliases;
//! * DPoP-bound tokens and proofs ([`dpop`], [`DpopKey`]);
//! * the device authorization grant ([`device`]);
//! * native passkeys ([`passkey`]): signup and login challenges and the
//!   WebAuthn token exchange;
//! * browser URLs: [`AuthorizeUrl`] (with [`Pkce`], organization
//!   invitations, account linking, signed request objects — [`jar`]),
//!   [`LogoutUrl`] and [`OidcLogoutUrl`];
//! * database sign-up and password change, passwordless start,
//!   `/userinfo`, refresh-token revocation, pushed authorization requests
//!   and CIBA backchannel login;
//! * the MFA API ([`mfa`]): [`mfa_challenge`](AuthenticationClient::mfa_challenge),
//!   the [`mfa_otp`](AuthenticationClient::mfa_otp),
//!   [`mfa_oob`](AuthenticationClient::mfa_oob) and
//!   [`mfa_recovery_code`](AuthenticationClient::mfa_recovery_code) grants,
//!   enrollment with [`mfa_associate`](AuthenticationClient::mfa_associate),
//!   [`mfa_authenticators`](AuthenticationClient::mfa_authenticators) and
//!   [`delete_mfa_authenticator`](AuthenticationClient::delete_mfa_authenticator);
//! * SAML and WS-Federation metadata ([`saml_metadata`](AuthenticationClient::saml_metadata),
//!   [`wsfed_metadata`](AuthenticationClient::wsfed_metadata)).
//!
//! With the feature `blocking`, `blocking::AuthenticationClient` has every
//! method without `async` (on a background runtime thread).
//!
//! Not offered: the deprecated `/delegation` endpoint (auth0-python's
//! `Delegated`) and the legacy `/oauth/access_token` social sign-in
//! (`Social`); Auth0 has retired both for new tenants.
//!
//! Errors are [`auth0_core::Error`]: an `mfa_required` answer is
//! [`Error::MfaRequired`](auth0_core::Error::MfaRequired) with the MFA
//! token, other error answers [`Error::Api`](auth0_core::Error::Api) with
//! Auth0's `error` code and `error_description`.
//!
//! ```no_run
//! use auth0_authentication::AuthenticationClient;
//! use auth0_core::{Auth0Client, ClientConfig};
//! use auth0_jwt::{Algorithm, SigningKey};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let pem = std::fs::read_to_string("private-key.pem")?;
//! let core = Auth0Client::new(ClientConfig::new("my-domain.us.auth0.com")?)?;
//! let auth = AuthenticationClient::builder(core, "my-client-id")
//!     .private_key_jwt(SigningKey::from_pem(&pem, Algorithm::RS256)?)
//!     .build()?;
//! let token = auth
//!     .client_credentials("https://my-domain.us.auth0.com/api/v2/", None)
//!     .await?;
//! println!("{token:?}");
//! # Ok(()) }
//! ```

/// `docs/AUTHENTICATION.md`, compiled by `cargo test -p auth0-authentication
/// --doc` so its examples keep building.
#[cfg(doctest)]
pub mod authentication_doc {
    #![doc = include_str!("../../../docs/AUTHENTICATION.md")]
}

pub mod authorize;
#[cfg(feature = "blocking")]
pub mod blocking;
pub mod client;
pub mod client_auth;
pub mod database;
pub mod device;
pub mod dpop;
pub mod enterprise;
pub mod jar;
pub mod mfa;
pub mod par;
pub mod passkey;
pub mod passwordless;
pub mod pkce;
pub mod token;
pub mod token_source;
pub mod userinfo;

pub use authorize::{
    AuthorizeUrl, AuthorizeUrlError, LogoutUrl, OidcLogoutUrl, OrganizationInvitation,
};
pub use client::{AuthenticationClient, AuthenticationClientBuilder, BuildError, NewClientError};
pub use client_auth::{AssertionError, ClientAuthentication, ClientCredentials};
pub use database::{Signup, SignupResponse};
pub use device::{DeviceAuthorization, DeviceCodeRequest, DeviceFlowError};
pub use dpop::{DpopKey, DpopProof};
pub use mfa::{
    Authenticator, AuthenticatorType, BindingMethod, ChallengeType, MfaAssociate, MfaAssociation,
    MfaChallenge, MfaChallengeResponse, OobChannel,
};
pub use par::{BackChannelAuthorization, BackChannelLoginError, PushedAuthorization};
pub use passkey::{PasskeyChallenge, PasskeyCredential, PasskeyGrant, PasskeyLogin, PasskeySignup};
pub use passwordless::PasswordlessSend;
pub use pkce::{Pkce, PkceError};
pub use token::{
    ConnectionTokenExchange, PasswordLogin, PasswordlessLogin, TokenExchange, TokenResponse,
};
pub use userinfo::UserInfo;
