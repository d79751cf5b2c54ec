//! Enterprise federation metadata: the SAML 2.0 identity-provider metadata
//! of an application (`/samlp/metadata/{client_id}`) and the tenant's
//! WS-Federation metadata, as auth0-python's `Enterprise`. Both are XML
//! documents, returned as text for the service provider to import.

use auth0_core::error::Error;
use auth0_core::types::{HttpResponse, HttpService};
use http::{HeaderValue, Method};

use crate::client::{AuthenticationClient, path_segment};

/// Path of the tenant's WS-Federation metadata document.
pub const WSFED_METADATA_PATH: &str = "/wsfed/FederationMetadata/2007-06/FederationMetadata.xml";

const ACCEPT_XML: HeaderValue =
    HeaderValue::from_static("application/samlmetadata+xml, application/xml, text/xml;q=0.9");

/// The body of a metadata answer as text: it must be UTF-8 (XML metadata
/// always is) and not empty.
fn metadata_text(response: HttpResponse) -> Result<String, Error> {
    let body = response.body();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::decode_failure(
            &response,
            &"the metadata document is empty",
        ));
    }
    match std::str::from_utf8(body) {
        Ok(text) => Ok(text.to_owned()),
        Err(e) => Err(Error::decode_failure(&response, &e)),
    }
}

impl<S> AuthenticationClient<S>
where
    S: HttpService,
{
    /// The SAML 2.0 identity-provider metadata (XML) of the application
    /// `client_id` (`GET /samlp/metadata/{client_id}`, the id
    /// percent-encoded) — the application must have the SAML2 Web App
    /// addon on. Pass [`client_id`](Self::client_id) for this client's own
    /// application.
    ///
    /// A non-2xx answer is the usual [`Error::Api`]; a body that is empty
    /// or not UTF-8 is an [`Error::Decode`].
    ///
    /// ```no_run
    /// # async fn f(auth: auth0_authentication::AuthenticationClient) -> Result<(), auth0_core::Error> {
    /// let xml = auth.saml_metadata(auth.client_id()).await?;
    /// std::fs::write("idp-metadata.xml", xml).ok();
    /// # Ok(()) }
    /// ```
    pub async fn saml_metadata(&self, client_id: &str) -> Result<String, Error> {
        let path = format!("/samlp/metadata/{}", path_segment("client id", client_id)?);
        let response = self
            .send_without_body(Method::GET, &path, None, ACCEPT_XML)
            .await?;
        metadata_text(response)
    }

    /// The tenant's WS-Federation metadata (XML;
    /// `GET /wsfed/FederationMetadata/2007-06/FederationMetadata.xml`).
    ///
    /// ```no_run
    /// # async fn f(auth: auth0_authentication::AuthenticationClient) -> Result<(), auth0_core::Error> {
    /// let xml = auth.wsfed_metadata().await?;
    /// assert!(xml.contains("EntityDescriptor"));
    /// # Ok(()) }
    /// ```
    pub async fn wsfed_metadata(&self) -> Result<String, Error> {
        let response = self
            .send_without_body(Method::GET, WSFED_METADATA_PATH, None, ACCEPT_XML)
            .await?;
        metadata_text(response)
    }
}
