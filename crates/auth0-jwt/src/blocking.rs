//! Token validation with a remote key set from synchronous code (feature
//! `blocking`, which implies `remote`).
//!
//! Verifying a signature and checking claims never waits; only getting the
//! key may: a [`RemoteJwks`](crate::jwks::RemoteJwks) fetches the tenant's
//! JWKS the first time, after its TTL and for an unknown `kid`, and that
//! fetch runs on a tokio runtime. What a synchronous program needs is
//! therefore:
//!
//! - [`RemoteJwks`]: the async key set built on an
//!   [`auth0_core::blocking::Runtime`] (its fetches, and the optional
//!   background refresh, run on that runtime's thread), with a blocking
//!   [`RemoteJwks::refresh`] to warm it at startup;
//! - [`AccessTokenValidator`] and [`TokenVerifier`]: the async validators
//!   (any key source: remote, static or a shared secret) with blocking
//!   `validate`/`verify` — the same checks, the same verified-token cache;
//!   the calling thread waits only when a key must be fetched.
//!
//! A validator without a remote key set (static JWKS, PEM, shared secret)
//! needs none of this: its futures never wait, and
//! [`crate::AccessTokenValidator::validate_cached`] answers a repeated
//! token inline. Calls made inside an async runtime fail with
//! [`Error::Blocking`] instead of blocking it.
//!
//! ```no_run
//! use auth0_core::blocking::Runtime;
//! use auth0_core::{Auth0Client, ClientConfig};
//! use auth0_jwt::blocking::{AccessTokenValidator, RemoteJwks};
//!
//! let runtime = Runtime::new()?;
//! let client = Auth0Client::new(ClientConfig::new("tenant.eu.auth0.com")?)?;
//! let jwks = RemoteJwks::new(client, &runtime)?;
//! jwks.refresh()?; // fetch once at startup
//! let validator = AccessTokenValidator::new(
//!     auth0_jwt::AccessTokenValidator::builder()
//!         .key_source(jwks.as_async().clone())
//!         .issuer("https://tenant.eu.auth0.com/")
//!         .audience("https://api.example.com")
//!         .build()?,
//!     &runtime,
//! );
//! # let token = "";
//! let claims = validator.validate(token)?;
//! println!("{:?}", claims.sub());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::sync::Arc;

use auth0_core::Auth0Client;
use auth0_core::blocking::{BlockingError, Runtime};
use auth0_core::types::HttpService;
use serde::de::DeserializeOwned;

use crate::access_token::AccessTokenClaims;
use crate::error::Error;
use crate::id_token::{IdTokenClaims, VerifyOptions};
use crate::jwks::{JwksBuildError, JwksFetchError, JwksStatus, RemoteJwksBuilder};
use crate::key::KeySet;

/// Why [`RemoteJwks::refresh`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RefreshError {
    /// The fetch failed; the previous keys (if any) are kept.
    #[error(transparent)]
    Fetch(#[from] JwksFetchError),
    /// Called inside an async runtime, or the runtime thread is gone.
    #[error(transparent)]
    Blocking(#[from] BlockingError),
}

/// A [`RemoteJwks`](crate::jwks::RemoteJwks) whose fetches run on a
/// blocking [`Runtime`]. Cheap to clone (clones share the cache).
#[derive(Clone)]
pub struct RemoteJwks {
    jwks: crate::jwks::RemoteJwks,
    runtime: Runtime,
}

impl fmt::Debug for RemoteJwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::RemoteJwks")
            .field("jwks", &self.jwks)
            .finish_non_exhaustive()
    }
}

impl RemoteJwks {
    /// The JWKS of the client's domain with default settings
    /// ([`crate::jwks::RemoteJwks::new`]), on `runtime`.
    ///
    /// # Errors
    ///
    /// See [`RemoteJwksBuilder::build`].
    pub fn new<S>(client: Auth0Client<S>, runtime: &Runtime) -> Result<Self, JwksBuildError>
    where
        S: HttpService + Sync,
    {
        Self::build(crate::jwks::RemoteJwks::builder(client), runtime)
    }

    /// Builds `builder`'s key set on `runtime` (so
    /// [`RemoteJwksBuilder::background_refresh`] runs on its thread).
    ///
    /// # Errors
    ///
    /// See [`RemoteJwksBuilder::build`].
    pub fn build(builder: RemoteJwksBuilder, runtime: &Runtime) -> Result<Self, JwksBuildError> {
        let jwks = {
            let _entered = runtime.enter();
            builder.build()?
        };
        Ok(Self {
            jwks,
            runtime: runtime.clone(),
        })
    }

    /// Fetches the key set now (or waits for the fetch already running),
    /// ignoring TTL and cooldown: warms the cache at startup.
    ///
    /// # Errors
    ///
    /// [`RefreshError::Fetch`] with the fetch's error (previous keys are
    /// kept); [`RefreshError::Blocking`] inside an async runtime.
    pub fn refresh(&self) -> Result<(), RefreshError> {
        Ok(self.runtime.block_on(self.jwks.refresh())??)
    }

    /// The async key set: give a clone of it to a validator's builder.
    pub fn as_async(&self) -> &crate::jwks::RemoteJwks {
        &self.jwks
    }

    /// The JWKS URL.
    pub fn url(&self) -> &str {
        self.jwks.url()
    }

    /// The keys currently held, if any were fetched.
    pub fn keys(&self) -> Option<Arc<KeySet>> {
        self.jwks.keys()
    }

    /// Freshness and the last fetch error ([`crate::jwks::RemoteJwks::status`]).
    pub fn status(&self) -> JwksStatus {
        self.jwks.status()
    }
}

/// An [`AccessTokenValidator`](crate::AccessTokenValidator) with blocking
/// validation on a [`Runtime`]. Cheap to clone.
#[derive(Clone)]
pub struct AccessTokenValidator {
    inner: Arc<crate::AccessTokenValidator>,
    runtime: Runtime,
}

impl fmt::Debug for AccessTokenValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::AccessTokenValidator")
            .field("validator", &self.inner)
            .finish_non_exhaustive()
    }
}

impl AccessTokenValidator {
    /// Wraps `validator`; key fetches run on `runtime`.
    pub fn new(validator: crate::AccessTokenValidator, runtime: &Runtime) -> Self {
        Self {
            inner: Arc::new(validator),
            runtime: runtime.clone(),
        }
    }

    /// The async validator.
    pub fn as_async(&self) -> &crate::AccessTokenValidator {
        &self.inner
    }

    /// Blocking [`crate::AccessTokenValidator::validate`]: a token in the
    /// verified-token cache is answered inline, without the runtime.
    ///
    /// # Errors
    ///
    /// As the async method; [`Error::Blocking`] inside an async runtime
    /// when a key lookup or verification is needed.
    pub fn validate(&self, token: &str) -> Result<Arc<AccessTokenClaims>, Error> {
        if let Some(answer) = self.inner.validate_cached(token) {
            return answer;
        }
        self.runtime.block_on(self.inner.validate(token))?
    }

    /// Blocking [`crate::AccessTokenValidator::validate_as`]: validates,
    /// then reads the claims into `T`.
    ///
    /// # Errors
    ///
    /// As [`Self::validate`], or [`Error::ClaimsDeserialize`].
    pub fn validate_as<T: DeserializeOwned>(&self, token: &str) -> Result<T, Error> {
        // A cache hit parsed nothing: `T` is read from the cached text once.
        // Otherwise the async method reads the claim set once for both.
        if let Some(answer) = self.inner.validate_cached(token) {
            return answer?.deserialize();
        }
        self.runtime.block_on(self.inner.validate_as(token))?
    }
}

/// An ID-token [`TokenVerifier`](crate::TokenVerifier) with blocking
/// verification on a [`Runtime`]. Cheap to clone.
#[derive(Clone)]
pub struct TokenVerifier {
    inner: Arc<crate::TokenVerifier>,
    runtime: Runtime,
}

impl fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::TokenVerifier")
            .field("verifier", &self.inner)
            .finish_non_exhaustive()
    }
}

impl TokenVerifier {
    /// Wraps `verifier`; key fetches run on `runtime`.
    pub fn new(verifier: crate::TokenVerifier, runtime: &Runtime) -> Self {
        Self {
            inner: Arc::new(verifier),
            runtime: runtime.clone(),
        }
    }

    /// The async verifier.
    pub fn as_async(&self) -> &crate::TokenVerifier {
        &self.inner
    }

    /// Blocking [`crate::TokenVerifier::verify`].
    ///
    /// # Errors
    ///
    /// As the async method; [`Error::Blocking`] inside an async runtime.
    pub fn verify(&self, token: &str, options: &VerifyOptions) -> Result<IdTokenClaims, Error> {
        self.runtime.block_on(self.inner.verify(token, options))?
    }

    /// Blocking [`crate::TokenVerifier::verify_as`]: verifies, then reads
    /// the claims into `T` (one read of the claim set for both).
    ///
    /// # Errors
    ///
    /// As [`Self::verify`], or [`Error::ClaimsDeserialize`].
    pub fn verify_as<T: DeserializeOwned>(
        &self,
        token: &str,
        options: &VerifyOptions,
    ) -> Result<T, Error> {
        self.runtime
            .block_on(self.inner.verify_as(token, options))?
    }
}
