//! Organizations, as auth0-python's examples: log in to an organization,
//! check the ID token's organization (`org_id` for an id like `org_abc`,
//! `org_name` for a name), accept an invitation, and — on the API side —
//! accept access tokens only from known organizations.
//!
//! Without a tenant it runs every step against the local tenant on
//! 127.0.0.1 (whose user is a member of `org_abc`, named `acme`).
//!
//! With `AUTH0_DOMAIN`, `AUTH0_CLIENT_ID` and `AUTH0_CLIENT_SECRET` set it
//! prints that tenant's login and invitation URLs for `AUTH0_ORGANIZATION`
//! (default `org_abc`) and checks the tokens you got from them:
//! `AUTH0_ID_TOKEN` with the ID-token rules and `AUTH0_ACCESS_TOKEN` (for
//! `AUTH0_AUDIENCE`) with the API rules.
//!
//! ```text
//! cargo run -p auth0-examples --bin organizations
//! ```

use std::process::ExitCode;

use auth0_authentication::{AuthenticationClient, AuthorizeUrl};
use auth0_core::{Auth0Client, ClientConfig};
use auth0_examples::TenantSettings;
use auth0_jwt::Algorithm;
use auth0_jwt::access_token::{AccessTokenValidator, OrganizationPolicy};
use auth0_jwt::id_token::{TokenVerifier, VerifyOptions};
use auth0_jwt::jwks::RemoteJwks;
use auth0_jwt::verifier::AsymmetricSignatureVerifier;

use auth0_examples::BoxError;

const REDIRECT_URI: &str = "http://localhost:3000/callback";

#[tokio::main]
async fn main() -> ExitCode {
    let result = match TenantSettings::from_env() {
        Err(partial) => Err(partial.into()),
        Ok(Some(settings)) => with_tenant(settings).await,
        Ok(None) => with_local_tenant().await,
    };
    auth0_examples::exit_code("organizations", result)
}

async fn with_local_tenant() -> Result<(), BoxError> {
    let tenant = auth0_examples::start_local_tenant().await?;
    let config = auth0_examples::local_settings(&tenant);
    let client = tenant.client()?;
    let auth = AuthenticationClient::builder(client.clone(), config.client_id.clone())
        .client_secret(config.client_secret.clone())
        .build()?;
    let jwks = RemoteJwks::new(client.clone())?;
    let issuer = client.domain().issuer();
    let ids = TokenVerifier::new(
        AsymmetricSignatureVerifier::new(jwks.clone()).with_algorithm(tenant.algorithm())?,
        issuer.clone(),
        config.client_id.clone(),
    )?;

    // Log in to an organization.
    println!("## Log in to an organization");
    let url = AuthorizeUrl::new(client.domain(), &config.client_id)
        .redirect_uri(REDIRECT_URI)
        .audience(&config.audience)
        .organization("org_abc")
        .build()?;
    println!("{url}");
    let callback = tenant.follow_authorize(&client, &url).await?;
    let code = callback.get("code").ok_or("no code in the callback")?;
    let tokens = auth.authorization_code(code, Some(REDIRECT_URI)).await?;
    let id_token = tokens.id_token.ok_or("no ID token")?;

    // The ID token must carry the organization the user logged in to.
    let claims = ids
        .verify(&id_token, &VerifyOptions::new().organization("org_abc"))
        .await?;
    println!(
        "ID token valid for org_id {} (org_name {})",
        claims.org_id().unwrap_or("?"),
        claims.org_name().unwrap_or("?")
    );
    // A name is compared with `org_name`, ignoring case.
    ids.verify(&id_token, &VerifyOptions::new().organization("Acme"))
        .await?;
    println!("ID token valid for the organization name \"Acme\"");
    match ids
        .verify(&id_token, &VerifyOptions::new().organization("org_other"))
        .await
    {
        Err(error) => println!("Rejected for org_other: {error}"),
        Ok(_) => return Err("a token of org_abc passed as org_other".into()),
    }

    // Accept a user invitation: the ticket of the invitation URL (here from
    // the local tenant; in production from the invitation email, or from
    // the Management API's `organizations().invitations().create(…)`).
    println!("\n## Accept user invitations");
    let ticket = tenant.invite("org_abc", &tenant.user().email)?;
    let url = AuthorizeUrl::new(client.domain(), &config.client_id)
        .redirect_uri(REDIRECT_URI)
        .organization("org_abc")
        .invitation(ticket.as_str())
        .build()?;
    println!("{url}");
    let callback = tenant.follow_authorize(&client, &url).await?;
    if !callback.contains_key("code") {
        return Err(format!("the invitation was not accepted: {callback:?}").into());
    }
    println!("Invitation accepted: the callback has a code");
    match AuthorizeUrl::new(client.domain(), &config.client_id)
        .redirect_uri(REDIRECT_URI)
        .invitation("invitation_123")
        .build()
    {
        Err(error) => println!("An invitation without an organization is refused: {error}"),
        Ok(_) => return Err("an invitation URL without organization was built".into()),
    }

    // An API accepting only tokens of known organizations.
    println!("\n## Authorizing users from an Organization");
    let api = |policy: OrganizationPolicy| {
        AccessTokenValidator::builder()
            .key_source(jwks.clone())
            .issuer(issuer.clone())
            .audience(config.audience.clone())
            .algorithms([tenant.algorithm()])
            .organization(policy)
            .build()
    };
    let known = api(OrganizationPolicy::allow(["org_abc", "org_def"]))?;
    let claims = known.validate(&tokens.access_token).await?;
    println!(
        "Access token accepted for org_id {} (allow-list)",
        claims.org_id().unwrap_or("?")
    );
    // Or decide per request, e.g. from the sub-domain the request came to.
    let tenant_of_host = "org_abc";
    let per_host = api(OrganizationPolicy::check(move |claims| async move {
        claims.org_id() == Some(tenant_of_host)
    }))?;
    per_host.validate(&tokens.access_token).await?;
    println!("Access token accepted for the request's host (custom check)");
    // Or by hand, as the seed does after PyJWT's `jwt.decode`: validate with
    // no organization policy (signature, algorithm, expiry, issuer,
    // audience), then compare `org_id` with the expected organization.
    let no_policy = api(OrganizationPolicy::Allowed)?;
    let data = no_policy.validate(&tokens.access_token).await?;
    let organization = "org_abc"; // expected organization ID
    if data.org_id() != Some(organization) {
        return Err("Organization (org_id) claim mismatch".into());
    }
    println!("Access token accepted: org_id compared by hand");

    let elsewhere = api(OrganizationPolicy::allow(["org_xyz"]))?;
    let machine = auth.client_credentials(&config.audience, None).await?;
    let required = api(OrganizationPolicy::Required)?;
    let cases = [
        (
            "a token of org_abc where only org_xyz may call",
            elsewhere.validate(&tokens.access_token).await,
        ),
        (
            "a token without org_id where one is required",
            required.validate(&machine.access_token).await,
        ),
    ];
    for (what, result) in cases {
        match result {
            Err(error) => println!("Rejected {what}: {error}"),
            Ok(_) => return Err(format!("{what} was accepted").into()),
        }
    }
    println!("\norganizations finished.");
    Ok(())
}

async fn with_tenant(settings: TenantSettings) -> Result<(), BoxError> {
    println!("Using the tenant {}", settings.domain);
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let organization = env("AUTH0_ORGANIZATION").unwrap_or_else(|| "org_abc".to_owned());
    let client = Auth0Client::new(ClientConfig::new(&settings.domain)?)?;
    let issuer = client.domain().issuer();

    let login = AuthorizeUrl::new(client.domain(), &settings.client_id)
        .redirect_uri(REDIRECT_URI)
        .audience(&settings.audience)
        .organization(&organization)
        .build()?;
    let invitation = AuthorizeUrl::new(client.domain(), &settings.client_id)
        .redirect_uri(REDIRECT_URI)
        .organization(&organization)
        .invitation(env("AUTH0_INVITATION").unwrap_or_else(|| "invitation_123".to_owned()))
        .build()?;
    println!("Log in to {organization}:\n  {login}\nAccept an invitation:\n  {invitation}");

    let jwks = RemoteJwks::new(client.clone())?;
    let mut checked = false;
    if let Some(id_token) = env("AUTH0_ID_TOKEN") {
        let ids = TokenVerifier::new(
            AsymmetricSignatureVerifier::new(jwks.clone()),
            issuer.clone(),
            settings.client_id.clone(),
        )?;
        let claims = ids
            .verify(&id_token, &VerifyOptions::new().organization(&organization))
            .await?;
        println!(
            "ID token valid for {organization}: sub={}",
            claims.sub().unwrap_or("?")
        );
        checked = true;
    }
    if let Some(access_token) = env("AUTH0_ACCESS_TOKEN") {
        let validator = AccessTokenValidator::builder()
            .key_source(jwks)
            .issuer(issuer)
            .audience(settings.audience.clone())
            .algorithms([Algorithm::RS256])
            .organization(OrganizationPolicy::allow([organization.clone()]))
            .build()?;
        let claims = validator.validate(&access_token).await?;
        println!(
            "Access token valid for {}: sub={}",
            claims.org_id().or(claims.org_name()).unwrap_or("?"),
            claims.sub().unwrap_or("?")
        );
        checked = true;
    }
    if !checked {
        println!(
            "Set AUTH0_ID_TOKEN and/or AUTH0_ACCESS_TOKEN (from a login above) to check them."
        );
    }
    Ok(())
}
