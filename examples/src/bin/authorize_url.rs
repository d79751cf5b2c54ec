//! Building `/authorize` and `/v2/logout` URLs (no I/O), as auth0-python's
//! `AuthorizeClient(...).authorize(...)` examples: log in to an
//! organization, accept an invitation, and the authorization code flow
//! with PKCE.
//!
//! Uses `AUTH0_DOMAIN` and `AUTH0_CLIENT_ID` when set, example values
//! otherwise; it never contacts a server.
//!
//! ```text
//! cargo run -p auth0-examples --bin authorize_url
//! ```

use std::process::ExitCode;

use auth0_authentication::{AuthorizeUrl, LogoutUrl, Pkce};
use auth0_core::config::Domain;

use auth0_examples::BoxError;

fn main() -> ExitCode {
    auth0_examples::exit_code("authorize_url", run())
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn run() -> Result<(), BoxError> {
    let domain = Domain::parse(&env_or("AUTH0_DOMAIN", "my.domain.com"))?;
    let client_id = env_or("AUTH0_CLIENT_ID", "client_id");

    // Log in to an organization.
    let url = AuthorizeUrl::new(&domain, &client_id)
        .redirect_uri("http://localhost")
        .organization("org_abc")
        .build()?;
    println!("Log in to an organization:\n  {url}\n");

    // Accept a user invitation (the invitation link carries both ids).
    let url = AuthorizeUrl::new(&domain, &client_id)
        .redirect_uri("http://localhost")
        .organization("org_abc")
        .invitation("invitation_123")
        .build()?;
    println!("Accept an invitation:\n  {url}\n");

    // Authorization code flow with PKCE: keep the verifier (and state) in
    // the user's session; send the verifier with the code to
    // AuthenticationClient::authorization_code_pkce.
    let pkce = Pkce::generate()?;
    let url = AuthorizeUrl::new(&domain, &client_id)
        .redirect_uri("http://localhost:3000/callback")
        .scope("openid profile email offline_access")
        .audience("https://api.example.com/")
        .state("af0ifjsldkj")
        .pkce(&pkce)
        .build()?;
    println!(
        "Authorization code + PKCE (S256 challenge of a {}-character verifier):\n  {url}\n",
        pkce.verifier().len()
    );

    let url = LogoutUrl::new(&domain)
        .client_id(&client_id)
        .return_to("http://localhost:3000/")
        .build();
    println!("Log out:\n  {url}");
    Ok(())
}
