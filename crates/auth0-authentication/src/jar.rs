//! JWT-Secured Authorization Requests (JAR, RFC 9101): the parameters of an
//! authorization request signed into a request object (`typ:
//! oauth-authz-req+jwt`, `iss` = the client id, `aud` = the tenant's issuer,
//! `iat`/`nbf`/`exp`/`jti`), sent as `request` on `/authorize` or to
//! `/oauth/par`. The tenant checks it with the public key registered for the
//! application, so the parameters cannot be changed in the browser.
//!
//! The request object is signed with the key given to
//! [`AuthenticationClientBuilder::request_object_key`](crate::AuthenticationClientBuilder::request_object_key),
//! or else the `private_key_jwt` key.

use std::time::Duration;

use auth0_core::error::Error;
use auth0_core::types::HttpService;
use auth0_jwt::sign::SigningKey;
use http::HeaderMap;
use serde_json::{Map, Value};

use crate::authorize::{AuthorizeUrl, with_query};
use crate::client::{AuthenticationClient, Encoding, decode, invalid_request};
use crate::client_auth::{ClientAuthentication, random_uuid_v4};
use crate::par::PushedAuthorization;

/// The `typ` of a request object (RFC 9101 §4, §10.8).
pub const REQUEST_OBJECT_TYP: &str = "oauth-authz-req+jwt";

/// Lifetime of a request object (`exp - iat`): short, it is used at once.
pub const REQUEST_OBJECT_LIFETIME: Duration = Duration::from_secs(300);

fn jar_error(reason: &str, source: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::InvalidRequest {
        reason: reason.to_owned(),
        source: Some(Box::new(source)),
    }
}

impl<S> AuthenticationClient<S> {
    /// The key request objects are signed with: the one given to the
    /// builder, else the `private_key_jwt` key.
    fn request_object_signer(&self) -> Option<&SigningKey> {
        self.request_object_key()
            .or(match self.client_authentication() {
                ClientAuthentication::PrivateKeyJwt(key) => Some(key.as_ref()),
                _ => None,
            })
    }

    /// Signs the parameters of `request` into a request object (RFC 9101
    /// §4): every authorization parameter as a claim, plus `iss`, `aud`,
    /// `iat`, `nbf`, `exp` and a random `jti`.
    ///
    /// Errors when the client has no signing key, or `request` is invalid.
    pub fn request_object(&self, request: &AuthorizeUrl) -> Result<String, Error> {
        let key = self.request_object_signer().ok_or_else(|| {
            invalid_request(
                "a signed request object needs a request_object_key or a private_key_jwt key",
            )
        })?;
        let params = request
            .params()
            .map_err(|e| jar_error("the authorization request is invalid", e))?;
        let mut claims = Map::new();
        for (name, value) in params {
            claims.insert(name, Value::String(value));
        }
        let now = self.credentials().now();
        let issuer = self.core().domain().issuer();
        for (name, value) in [
            ("iss", Value::String(self.client_id().to_owned())),
            ("aud", Value::String(issuer)),
            ("iat", now.into()),
            ("nbf", now.into()),
            (
                "exp",
                now.saturating_add(REQUEST_OBJECT_LIFETIME.as_secs().try_into().unwrap_or(300))
                    .into(),
            ),
            (
                "jti",
                Value::String(
                    random_uuid_v4().map_err(|e| jar_error("could not make the jti", e))?,
                ),
            ),
        ] {
            claims.insert(name.to_owned(), value);
        }
        let mut header = Map::new();
        header.insert(
            "typ".to_owned(),
            Value::String(REQUEST_OBJECT_TYP.to_owned()),
        );
        key.sign_token(&header, &claims)
            .map_err(|e| jar_error("could not sign the request object", e))
    }

    /// The `/authorize` URL carrying `request` as a signed request object
    /// (RFC 9101 §5.1): `client_id` and `request` only.
    ///
    /// ```no_run
    /// # fn f(auth: auth0_authentication::AuthenticationClient) -> Result<(), auth0_core::Error> {
    /// let url = auth.signed_authorize_url(
    ///     &auth.authorize_url().redirect_uri("https://app.example.com/callback").state("s"),
    /// )?;
    /// # let _ = url; Ok(()) }
    /// ```
    pub fn signed_authorize_url(&self, request: &AuthorizeUrl) -> Result<String, Error> {
        let jwt = self.request_object(request)?;
        Ok(with_query(
            request.endpoint(),
            &[("client_id", request.client_id_param()), ("request", &jwt)],
        ))
    }
}

impl<S> AuthenticationClient<S>
where
    S: HttpService,
{
    /// Pushes `request` as a signed request object (`POST /oauth/par` with
    /// `request=<jwt>`, RFC 9126 §3 + RFC 9101), with the client's
    /// authentication; send the browser to `/authorize` with the answer's
    /// `request_uri`.
    pub async fn pushed_signed_authorization_request(
        &self,
        request: &AuthorizeUrl,
    ) -> Result<PushedAuthorization, Error> {
        let jwt = self.request_object(request)?;
        let fields = self.fields().str("request", &jwt);
        let fields = self.authenticate(fields)?;
        let response = self
            .post("/oauth/par", &fields, Encoding::Form, HeaderMap::new())
            .await?;
        decode(&response)
    }
}
