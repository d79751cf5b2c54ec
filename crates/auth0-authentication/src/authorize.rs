//! Browser URLs: `/authorize` (login, organization invitations, account
//! linking), `/v2/logout` and `/oidc/logout` (OpenID Connect RP-Initiated
//! Logout). Pure string building, no I/O.

use auth0_core::config::Domain;

use crate::pkce::Pkce;

/// Why an authorize URL could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorizeUrlError {
    /// An extra parameter repeats one the builder sets (or another extra):
    /// use the builder's method for it instead.
    #[error("the parameter `{name}` is given twice")]
    DuplicateParameter {
        /// The parameter name.
        name: String,
    },
    /// An `invitation` was given without its `organization`; the invitation
    /// link carries both (`?invitation=…&organization=…`).
    #[error("an invitation needs the organization it belongs to")]
    InvitationWithoutOrganization,
    /// An extra parameter has an empty name.
    #[error("a parameter name is empty")]
    EmptyParameterName,
    /// An organization invitation link lacks `invitation` or
    /// `organization` (Auth0's links carry both, and `organization_name`).
    #[error("the invitation link has no `{missing}` parameter")]
    InvalidInvitationLink {
        /// The parameter that is missing or empty.
        missing: &'static str,
    },
}

/// An organization invitation, as carried by the link Auth0 sends the
/// invitee (`https://app.example.com/login?invitation=…&organization=…&organization_name=…`,
/// the application's login route with the invitation's ticket).
///
/// Hand it to [`AuthorizeUrl::accept_invitation`] to start the login that
/// accepts it.
///
/// ```
/// use auth0_authentication::{AuthorizeUrl, OrganizationInvitation};
/// use auth0_core::config::Domain;
///
/// let invite = OrganizationInvitation::from_url(
///     "https://app.example.com/login?invitation=Fkj2Q&organization=org_W30&organization_name=acme%20corp",
/// )?;
/// assert_eq!(invite.organization_name.as_deref(), Some("acme corp"));
/// let url = AuthorizeUrl::new(&Domain::parse("tenant.auth0.com")?, "my-client")
///     .redirect_uri("https://app.example.com/callback")
///     .accept_invitation(&invite)
///     .build()?;
/// assert!(url.contains("&organization=org_W30&invitation=Fkj2Q"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrganizationInvitation {
    /// The invitation (ticket) id.
    pub invitation: String,
    /// The organization id (`org_…`).
    pub organization: String,
    /// The organization's name, when the link names it (for display).
    pub organization_name: Option<String>,
}

impl OrganizationInvitation {
    /// Reads the invitation from the link's query (an absolute URL, a
    /// path with a query, or the query alone); other parameters are
    /// ignored.
    pub fn from_url(link: &str) -> Result<Self, AuthorizeUrlError> {
        let query = link.split_once('?').map_or(link, |(_, q)| q);
        let query = query.split('#').next().unwrap_or_default();
        let (mut invitation, mut organization, mut organization_name) = (None, None, None);
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let slot = match name.as_ref() {
                "invitation" => &mut invitation,
                "organization" => &mut organization,
                "organization_name" => &mut organization_name,
                _ => continue,
            };
            if !value.is_empty() {
                *slot = Some(value.into_owned());
            }
        }
        Ok(Self {
            invitation: invitation.ok_or(AuthorizeUrlError::InvalidInvitationLink {
                missing: "invitation",
            })?,
            organization: organization.ok_or(AuthorizeUrlError::InvalidInvitationLink {
                missing: "organization",
            })?,
            organization_name,
        })
    }
}

/// Builds the `/authorize` URL to send the user's browser to.
///
/// Parameters appear in a fixed order (`response_type`, `client_id`,
/// `redirect_uri`, `scope`, `state`, `audience`, `connection`,
/// `organization`, `invitation`, `prompt`, `nonce`, `code_challenge`,
/// `code_challenge_method`, then extras in the order added), each
/// percent-encoded per RFC 3986 (everything but `A-Z a-z 0-9 - . _ ~`).
/// Defaults match auth0-python's `AuthorizeClient`: `response_type=code`,
/// `scope=openid`.
///
/// ```
/// use auth0_authentication::{AuthorizeUrl, Pkce};
/// use auth0_core::config::Domain;
///
/// let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")?;
/// let url = AuthorizeUrl::new(&Domain::parse("tenant.auth0.com")?, "my-client")
///     .redirect_uri("http://localhost:3000/callback")
///     .scope("openid profile")
///     .state("xyz")
///     .organization("org_abc")
///     .pkce(&pkce)
///     .build()?;
/// assert_eq!(url, "https://tenant.auth0.com/authorize?response_type=code&client_id=my-client\
///     &redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&scope=openid%20profile&state=xyz\
///     &organization=org_abc&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
///     &code_challenge_method=S256");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// `Debug` never shows an `id_token_hint` (see
/// [`link_user`](Self::link_user)): it is the user's ID token.
#[derive(Clone)]
#[must_use]
pub struct AuthorizeUrl {
    base: String,
    response_type: String,
    client_id: String,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    audience: Option<String>,
    connection: Option<String>,
    organization: Option<String>,
    invitation: Option<String>,
    prompt: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    extra: Vec<(String, String)>,
}

/// Parameters whose value is a credential, hidden in `Debug`.
const SECRET_PARAMS: &[&str] = &["id_token_hint"];

impl std::fmt::Debug for AuthorizeUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let extra: Vec<(&str, &str)> = self
            .extra
            .iter()
            .map(|(name, value)| {
                let shown = if SECRET_PARAMS.contains(&name.as_str()) {
                    "[REDACTED]"
                } else {
                    value.as_str()
                };
                (name.as_str(), shown)
            })
            .collect();
        f.debug_struct("AuthorizeUrl")
            .field("base", &self.base)
            .field("response_type", &self.response_type)
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .field("scope", &self.scope)
            .field("state", &self.state)
            .field("audience", &self.audience)
            .field("connection", &self.connection)
            .field("organization", &self.organization)
            .field("invitation", &self.invitation)
            .field("prompt", &self.prompt)
            .field("nonce", &self.nonce)
            .field("code_challenge", &self.code_challenge)
            .field("extra", &extra)
            .finish()
    }
}

macro_rules! setter {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub fn $name(mut self, value: impl Into<String>) -> Self {
            self.$name = Some(value.into());
            self
        }
    };
}

impl AuthorizeUrl {
    /// Starts a URL on `domain` for the application `client_id`.
    pub fn new(domain: &Domain, client_id: &str) -> Self {
        Self {
            base: domain.base_url().to_owned(),
            response_type: "code".to_owned(),
            client_id: client_id.to_owned(),
            redirect_uri: None,
            scope: Some("openid".to_owned()),
            state: None,
            audience: None,
            connection: None,
            organization: None,
            invitation: None,
            prompt: None,
            nonce: None,
            code_challenge: None,
            extra: Vec::new(),
        }
    }

    /// The OAuth response type (default `code`; e.g. `id_token token`).
    pub fn response_type(mut self, value: impl Into<String>) -> Self {
        self.response_type = value.into();
        self
    }

    setter!(
        /// Where Auth0 sends the user back; must be an allowed callback URL.
        redirect_uri
    );
    setter!(
        /// Requested scopes, space separated (default `openid`).
        scope
    );
    setter!(
        /// An opaque value returned unchanged, to prevent CSRF.
        state
    );
    setter!(
        /// The API to get an access token for.
        audience
    );
    setter!(
        /// Skips the login page and uses this connection (e.g. `google-oauth2`).
        connection
    );
    setter!(
        /// The organization (id or name) to log in to.
        organization
    );
    setter!(
        /// The invitation id from an organization invitation link (needs
        /// [`organization`](Self::organization)).
        invitation
    );
    setter!(
        /// `none`, `login`, `consent` or `select_account`.
        prompt
    );
    setter!(
        /// A value echoed in the ID token, to prevent replay.
        nonce
    );

    /// Accepts an organization invitation: sets `organization` and
    /// `invitation` from the link (see [`OrganizationInvitation`]).
    pub fn accept_invitation(mut self, invitation: &OrganizationInvitation) -> Self {
        self.organization = Some(invitation.organization.clone());
        self.invitation = Some(invitation.invitation.clone());
        self
    }

    /// Starts linking another account to the logged-in user, as auth0-auth-js'
    /// `buildLinkUserUrl`: `scope` `openid link_account`,
    /// `requested_connection` (the account's connection, with
    /// `requested_connection_scope` when given) and `id_token_hint` (the
    /// user's current ID token). Auth0 performs the link in the tenant's
    /// client-initiated account-linking Action; there is no Authentication
    /// API endpoint for it (the Management API's `/users/{id}/identities`
    /// links server-side).
    pub fn link_user(
        self,
        id_token_hint: &str,
        connection: &str,
        connection_scope: Option<&str>,
    ) -> Self {
        let mut url = self
            .scope("openid link_account")
            .param("requested_connection", connection)
            .param("id_token_hint", id_token_hint);
        if let Some(scope) = connection_scope {
            url = url.param("requested_connection_scope", scope);
        }
        url
    }

    /// Starts unlinking the account of `connection` from the logged-in user,
    /// as auth0-auth-js' `buildUnlinkUserUrl` (`scope` `openid
    /// unlink_account`, `requested_connection`, `id_token_hint`).
    pub fn unlink_user(self, id_token_hint: &str, connection: &str) -> Self {
        self.scope("openid unlink_account")
            .param("requested_connection", connection)
            .param("id_token_hint", id_token_hint)
    }

    /// Adds the PKCE `code_challenge` and `code_challenge_method=S256`.
    pub fn pkce(mut self, pkce: &Pkce) -> Self {
        self.code_challenge = Some(pkce.challenge().to_owned());
        self
    }

    /// Adds any other parameter (e.g. `screen_hint`, `ui_locales`,
    /// `request_uri`, `login_hint`).
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra.push((name.into(), value.into()));
        self
    }

    /// The finished URL.
    pub fn build(&self) -> Result<String, AuthorizeUrlError> {
        let params = self.params()?;
        let pairs: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Ok(with_query(format!("{}/authorize", self.base), &pairs))
    }

    /// The tenant's `/authorize` endpoint.
    pub(crate) fn endpoint(&self) -> String {
        format!("{}/authorize", self.base)
    }

    /// The application's client id.
    pub(crate) fn client_id_param(&self) -> &str {
        &self.client_id
    }

    /// Every parameter of the request, checked, in URL order.
    pub fn params(&self) -> Result<Vec<(String, String)>, AuthorizeUrlError> {
        if self.invitation.is_some() && self.organization.is_none() {
            return Err(AuthorizeUrlError::InvitationWithoutOrganization);
        }
        let mut params: Vec<(&str, &str)> = vec![
            ("response_type", &self.response_type),
            ("client_id", &self.client_id),
        ];
        let optional = [
            ("redirect_uri", &self.redirect_uri),
            ("scope", &self.scope),
            ("state", &self.state),
            ("audience", &self.audience),
            ("connection", &self.connection),
            ("organization", &self.organization),
            ("invitation", &self.invitation),
            ("prompt", &self.prompt),
            ("nonce", &self.nonce),
            ("code_challenge", &self.code_challenge),
        ];
        params.extend(
            optional
                .iter()
                .filter_map(|(k, v)| v.as_deref().map(|v| (*k, v))),
        );
        if self.code_challenge.is_some() {
            params.push(("code_challenge_method", "S256"));
        }
        for (name, value) in &self.extra {
            if name.is_empty() {
                return Err(AuthorizeUrlError::EmptyParameterName);
            }
            if params.iter().any(|(k, _)| k == name) {
                return Err(AuthorizeUrlError::DuplicateParameter { name: name.clone() });
            }
            params.push((name, value));
        }
        Ok(params
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect())
    }
}

/// Builds the `/v2/logout` URL that ends the user's Auth0 session.
///
/// ```
/// use auth0_authentication::LogoutUrl;
/// use auth0_core::config::Domain;
///
/// let url = LogoutUrl::new(&Domain::parse("tenant.auth0.com")?)
///     .client_id("my-client")
///     .return_to("https://app.example.com/bye?x=1")
///     .federated(true)
///     .build();
/// assert_eq!(url, "https://tenant.auth0.com/v2/logout?returnTo=https%3A%2F%2Fapp.example.com%2Fbye%3Fx%3D1&client_id=my-client&federated");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct LogoutUrl {
    base: String,
    client_id: Option<String>,
    return_to: Option<String>,
    federated: bool,
}

impl LogoutUrl {
    /// Starts a logout URL on `domain`.
    pub fn new(domain: &Domain) -> Self {
        Self {
            base: domain.base_url().to_owned(),
            client_id: None,
            return_to: None,
            federated: false,
        }
    }

    /// The application whose allowed logout URLs `returnTo` is checked
    /// against.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// Where to send the browser after logout.
    pub fn return_to(mut self, url: impl Into<String>) -> Self {
        self.return_to = Some(url.into());
        self
    }

    /// Also log the user out of the identity provider (`federated`).
    pub fn federated(mut self, yes: bool) -> Self {
        self.federated = yes;
        self
    }

    /// The finished URL.
    pub fn build(&self) -> String {
        let mut params: Vec<(&str, &str)> = Vec::new();
        if let Some(r) = &self.return_to {
            params.push(("returnTo", r));
        }
        if let Some(c) = &self.client_id {
            params.push(("client_id", c));
        }
        let mut url = with_query(format!("{}/v2/logout", self.base), &params);
        if self.federated {
            url.push(if params.is_empty() { '?' } else { '&' });
            url.push_str("federated");
        }
        url
    }
}

/// Builds the `/oidc/logout` URL (OpenID Connect RP-Initiated Logout 1.0
/// §2, the `end_session_endpoint` Auth0 tenants advertise in discovery).
///
/// Auth0 checks `post_logout_redirect_uri` against the application's
/// Allowed Logout URLs, and needs `id_token_hint` or `client_id` with it;
/// `federated` also ends the session at the identity provider. Parameters
/// appear in the order of the setters below.
///
/// ```
/// use auth0_authentication::OidcLogoutUrl;
/// use auth0_core::config::Domain;
///
/// let url = OidcLogoutUrl::new(&Domain::parse("tenant.auth0.com")?)
///     .id_token_hint("eyJ.x.y")
///     .post_logout_redirect_uri("https://app.example.com/bye")
///     .state("s1")
///     .build();
/// assert_eq!(url, "https://tenant.auth0.com/oidc/logout?id_token_hint=eyJ.x.y\
///     &post_logout_redirect_uri=https%3A%2F%2Fapp.example.com%2Fbye&state=s1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct OidcLogoutUrl {
    base: String,
    id_token_hint: Option<String>,
    logout_hint: Option<String>,
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    ui_locales: Option<String>,
    federated: bool,
}

impl std::fmt::Debug for OidcLogoutUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcLogoutUrl")
            .field("base", &self.base)
            .field(
                "id_token_hint",
                &self.id_token_hint.as_ref().map(|_| "[REDACTED]"),
            )
            .field("logout_hint", &self.logout_hint)
            .field("client_id", &self.client_id)
            .field("post_logout_redirect_uri", &self.post_logout_redirect_uri)
            .field("state", &self.state)
            .field("ui_locales", &self.ui_locales)
            .field("federated", &self.federated)
            .finish()
    }
}

impl OidcLogoutUrl {
    /// Starts a logout URL on `domain`.
    pub fn new(domain: &Domain) -> Self {
        Self {
            base: domain.base_url().to_owned(),
            id_token_hint: None,
            logout_hint: None,
            client_id: None,
            post_logout_redirect_uri: None,
            state: None,
            ui_locales: None,
            federated: false,
        }
    }

    setter!(
        /// The ID token the user logged in with (it names the user and
        /// the application; an expired one is accepted).
        id_token_hint
    );
    setter!(
        /// The session to end (Auth0: the `sid` of the ID token).
        logout_hint
    );
    setter!(
        /// The application, when no `id_token_hint` is given.
        client_id
    );
    setter!(
        /// Where to send the browser after logout; an Allowed Logout URL.
        post_logout_redirect_uri
    );
    setter!(
        /// An opaque value returned with the redirect.
        state
    );
    setter!(
        /// Preferred languages of the logout page, space separated.
        ui_locales
    );

    /// Also log the user out of the identity provider (`federated`).
    pub fn federated(mut self, yes: bool) -> Self {
        self.federated = yes;
        self
    }

    /// The finished URL.
    pub fn build(&self) -> String {
        let optional = [
            ("id_token_hint", &self.id_token_hint),
            ("logout_hint", &self.logout_hint),
            ("client_id", &self.client_id),
            ("post_logout_redirect_uri", &self.post_logout_redirect_uri),
            ("state", &self.state),
            ("ui_locales", &self.ui_locales),
        ];
        let params: Vec<(&str, &str)> = optional
            .iter()
            .filter_map(|(k, v)| v.as_deref().map(|v| (*k, v)))
            .collect();
        let mut url = with_query(format!("{}/oidc/logout", self.base), &params);
        if self.federated {
            url.push(if params.is_empty() { '?' } else { '&' });
            url.push_str("federated");
        }
        url
    }
}

pub(crate) fn with_query(mut url: String, params: &[(&str, &str)]) -> String {
    for (i, (name, value)) in params.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        percent_encode_into(&mut url, name);
        url.push('=');
        percent_encode_into(&mut url, value);
    }
    url
}

/// RFC 3986 percent-encoding (unreserved characters stay, every other byte
/// of the UTF-8 text becomes `%XX`): auth0-core's one encoder, re-exported
/// for the URL builders' users.
///
/// ```
/// let mut s = String::new();
/// auth0_authentication::authorize::percent_encode_into(&mut s, "a b&c=d/é~");
/// assert_eq!(s, "a%20b%26c%3Dd%2F%C3%A9~");
/// ```
pub use auth0_core::client::percent_encode_into;
