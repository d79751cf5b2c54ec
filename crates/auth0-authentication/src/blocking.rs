//! The Authentication API without `async` (feature `blocking`).
//!
//! [`AuthenticationClient`] has every `async` method of
//! [`crate::AuthenticationClient`] under the same name, with the same
//! arguments, returning the same `Result` when the call is done. It wraps
//! an async client and an [`auth0_core::blocking::Runtime`], the one
//! background runtime thread of the SDK's blocking clients (see its
//! documentation for the cost: one thread, one cross-thread wake-up per
//! I/O event). Clones share both; clients built with
//! [`AuthenticationClient::with_runtime`] on the same [`Runtime`] share the
//! thread.
//!
//! A call made inside an async runtime fails with
//! [`Error::Blocking`]
//! ([`BlockingError::InsideAsyncRuntime`]) instead of blocking it: use the
//! async client there.
//!
//! ```no_run
//! use auth0_authentication::blocking::AuthenticationClient;
//! use auth0_authentication::ClientAuthentication;
//!
//! let auth = AuthenticationClient::new(
//!     "my-domain.us.auth0.com",
//!     "my-client-id",
//!     ClientAuthentication::ClientSecret("my-client-secret".into()),
//! )?;
//! let token = auth.client_credentials("https://api.example.com/", None)?;
//! println!("{token:?}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::time::Duration;

use auth0_core::blocking::{BlockingError, Runtime};
use auth0_core::error::Error;
use auth0_core::stack::DefaultService;
use auth0_core::types::HttpService;
use auth0_jwt::id_token::{IdTokenClaims, VerifyOptions};
use serde_json::{Map, Value};

use crate::authorize::{AuthorizeUrl, LogoutUrl, OidcLogoutUrl};
use crate::client::NewClientError;
use crate::client_auth::ClientAuthentication;
use crate::database::{Signup, SignupResponse};
use crate::device::{DeviceAuthorization, DeviceCodeRequest, DeviceFlowError};
use crate::mfa::{Authenticator, MfaAssociate, MfaAssociation, MfaChallenge, MfaChallengeResponse};
use crate::par::{BackChannelAuthorization, BackChannelLoginError, PushedAuthorization};
use crate::passwordless::PasswordlessSend;
use crate::token::{
    ConnectionTokenExchange, PasswordLogin, PasswordlessLogin, TokenExchange, TokenResponse,
};
use crate::userinfo::UserInfo;

/// The blocking Authentication API client: see the [module
/// documentation](self).
pub struct AuthenticationClient<S = DefaultService> {
    inner: crate::AuthenticationClient<S>,
    runtime: Runtime,
}

impl<S: Clone> Clone for AuthenticationClient<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            runtime: self.runtime.clone(),
        }
    }
}

impl<S> fmt::Debug for AuthenticationClient<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::AuthenticationClient")
            .field("client", &self.inner)
            .field("runtime", &self.runtime)
            .finish()
    }
}

impl AuthenticationClient {
    /// A client on the default stack for `domain` with client
    /// authentication `auth`, on a runtime thread of its own (the blocking
    /// form of [`crate::AuthenticationClient::new`]).
    ///
    /// # Errors
    ///
    /// As [`crate::AuthenticationClient::new`]; and
    /// [`NewClientError::Http`] with [`Error::Blocking`] when the runtime
    /// thread cannot start.
    pub fn new(
        domain: &str,
        client_id: impl Into<String>,
        auth: ClientAuthentication,
    ) -> Result<Self, NewClientError> {
        let client = crate::AuthenticationClient::new(domain, client_id, auth)?;
        Ok(Self::from_async(client).map_err(Error::from)?)
    }
}

impl<S> AuthenticationClient<S> {
    /// Wraps an async client (built with
    /// [`crate::AuthenticationClient::builder`]: any stack, any client
    /// authentication) with a runtime thread of its own.
    ///
    /// # Errors
    ///
    /// [`BlockingError::Start`] when the runtime thread cannot start.
    pub fn from_async(client: crate::AuthenticationClient<S>) -> Result<Self, BlockingError> {
        Ok(Self::with_runtime(client, &Runtime::new()?))
    }

    /// Wraps an async client on a shared [`Runtime`] (one thread for every
    /// blocking client built on it).
    pub fn with_runtime(client: crate::AuthenticationClient<S>, runtime: &Runtime) -> Self {
        Self {
            inner: client,
            runtime: runtime.clone(),
        }
    }

    /// The async client behind this one (for its synchronous helpers: DPoP
    /// proofs, request objects, credentials).
    pub fn as_async(&self) -> &crate::AuthenticationClient<S> {
        &self.inner
    }

    /// The runtime this client's calls run on.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The application's client ID.
    pub fn client_id(&self) -> &str {
        self.inner.client_id()
    }

    /// An `/authorize` URL builder for this client
    /// ([`crate::AuthenticationClient::authorize_url`]).
    pub fn authorize_url(&self) -> AuthorizeUrl {
        self.inner.authorize_url()
    }

    /// A `/v2/logout` URL builder for this client
    /// ([`crate::AuthenticationClient::logout_url`]).
    pub fn logout_url(&self) -> LogoutUrl {
        self.inner.logout_url()
    }

    /// An `/oidc/logout` URL builder for this client
    /// ([`crate::AuthenticationClient::oidc_logout_url`]).
    pub fn oidc_logout_url(&self) -> OidcLogoutUrl {
        self.inner.oidc_logout_url()
    }
}

/// One blocking method per async method: same name, same arguments.
macro_rules! blocking {
    ($( fn $name:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $ret:ty; )*) => {
        $(
            #[doc = concat!(
                "Blocking form of [`AuthenticationClient::", stringify!($name),
                "`](crate::AuthenticationClient::", stringify!($name),
                "): the same request and answer.\n\n# Errors\n\nAs the async method; [`Error::Blocking`] inside an async runtime."
            )]
            pub fn $name(&self $(, $arg: $ty)*) -> Result<$ret, Error> {
                self.runtime.block_on(self.inner.$name($($arg),*))?
            }
        )*
    };
}

impl<S: HttpService> AuthenticationClient<S> {
    blocking! {
        fn client_credentials(&self, audience: &str, organization: Option<&str>) -> TokenResponse;
        fn authorization_code(&self, code: &str, redirect_uri: Option<&str>) -> TokenResponse;
        fn authorization_code_pkce(
            &self,
            code_verifier: &str,
            code: &str,
            redirect_uri: Option<&str>,
        ) -> TokenResponse;
        fn login(&self, login: &PasswordLogin) -> TokenResponse;
        fn refresh_token(&self, refresh_token: &str, scope: Option<&str>) -> TokenResponse;
        fn passwordless_login(&self, login: &PasswordlessLogin) -> TokenResponse;
        fn token_exchange(&self, exchange: &TokenExchange) -> TokenResponse;
        fn access_token_for_connection(&self, exchange: &ConnectionTokenExchange) -> TokenResponse;
        fn grant(&self, grant_type: &str, params: &[(&str, &str)]) -> TokenResponse;
        fn verify_id_token(&self, id_token: &str, options: &VerifyOptions) -> IdTokenClaims;
        fn signup(&self, signup: &Signup) -> SignupResponse;
        fn change_password(
            &self,
            email: &str,
            connection: &str,
            organization: Option<&str>,
        ) -> String;
        fn device_authorization(&self, request: &DeviceCodeRequest) -> DeviceAuthorization;
        fn device_token(&self, device_code: &str) -> TokenResponse;
        fn saml_metadata(&self, client_id: &str) -> String;
        fn wsfed_metadata(&self) -> String;
        fn pushed_signed_authorization_request(&self, request: &AuthorizeUrl) -> PushedAuthorization;
        fn mfa_challenge(&self, mfa_token: &str, challenge: &MfaChallenge) -> MfaChallengeResponse;
        fn mfa_otp(&self, mfa_token: &str, otp: &str) -> TokenResponse;
        fn mfa_oob(
            &self,
            mfa_token: &str,
            oob_code: &str,
            binding_code: Option<&str>,
        ) -> TokenResponse;
        fn mfa_recovery_code(&self, mfa_token: &str, recovery_code: &str) -> TokenResponse;
        fn mfa_associate(&self, mfa_or_access_token: &str, associate: &MfaAssociate) -> MfaAssociation;
        fn mfa_authenticators(&self, mfa_or_access_token: &str) -> Vec<Authenticator>;
        fn delete_mfa_authenticator(&self, access_token: &str, authenticator_id: &str) -> ();
        fn pushed_authorization_request(
            &self,
            response_type: &str,
            redirect_uri: &str,
            extra: &[(&str, &str)],
        ) -> PushedAuthorization;
        fn back_channel_login(
            &self,
            binding_message: &str,
            login_hint: &str,
            scope: &str,
            extra: &[(&str, &str)],
        ) -> BackChannelAuthorization;
        fn back_channel_token(&self, auth_req_id: &str) -> TokenResponse;
        fn passwordless_email(
            &self,
            email: &str,
            send: PasswordlessSend,
            auth_params: Option<&Map<String, Value>>,
        ) -> Value;
        fn passwordless_sms(&self, phone_number: &str) -> Value;
        fn userinfo(&self, access_token: &str) -> UserInfo;
        fn revoke_refresh_token(&self, token: &str) -> ();
        fn revoke_token(&self, token: &str, token_type_hint: Option<&str>) -> ();
    }

    /// Blocking form of
    /// [`AuthenticationClient::poll_device_token`](crate::AuthenticationClient::poll_device_token):
    /// polls at the server's interval (slowing down when asked) until the
    /// user decides, the code expires or `deadline` passes, sleeping the
    /// calling thread in between.
    ///
    /// # Errors
    ///
    /// As the async method; [`DeviceFlowError::Request`] with
    /// [`Error::Blocking`] inside an async runtime.
    pub fn poll_device_token(
        &self,
        device: &DeviceAuthorization,
        deadline: Option<Duration>,
    ) -> Result<TokenResponse, DeviceFlowError> {
        self.runtime
            .block_on(self.inner.poll_device_token(device, deadline))
            .map_err(Error::from)?
    }

    /// Blocking form of
    /// [`AuthenticationClient::poll_back_channel_token`](crate::AuthenticationClient::poll_back_channel_token):
    /// polls at the request's interval (slowing down when asked) until the
    /// user decides, the request expires or `deadline` passes, sleeping the
    /// calling thread in between.
    ///
    /// # Errors
    ///
    /// As the async method; [`BackChannelLoginError::Request`] with
    /// [`Error::Blocking`] inside an async runtime.
    pub fn poll_back_channel_token(
        &self,
        request: &BackChannelAuthorization,
        deadline: Option<Duration>,
    ) -> Result<TokenResponse, BackChannelLoginError> {
        self.runtime
            .block_on(self.inner.poll_back_channel_token(request, deadline))
            .map_err(Error::from)?
    }
}
