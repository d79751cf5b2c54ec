//! Finishing a login that needs a second factor (Auth0's MFA API).
//!
//! A password login for a user with an enrolled authenticator does not give
//! tokens: Auth0 answers `mfa_required` with an `mfa_token`, which the SDK
//! surfaces as `auth0_core::Error::MfaRequired` (the token is hidden from
//! `Debug` and `Display`). The application then lists the user's
//! authenticators, asks Auth0 to challenge one and trades the user's code
//! for the tokens with the `mfa-otp` grant.
//!
//! Without a tenant it uses the local tenant on 127.0.0.1 with a user whose
//! OTP authenticator accepts a fixed code, and also shows a wrong code being
//! refused. With `AUTH0_DOMAIN`, `AUTH0_CLIENT_ID`, `AUTH0_CLIENT_SECRET`,
//! `AUTH0_USERNAME` and `AUTH0_PASSWORD` (a user enrolled in OTP MFA, an
//! application allowed the password and MFA grants) it asks for the code on
//! standard input.
//!
//! ```text
//! cargo run -p auth0-examples --bin mfa
//! ```

use std::io::BufRead as _;
use std::process::ExitCode;

use auth0_authentication::{
    AuthenticationClient, AuthenticatorType, ChallengeType, MfaChallenge, PasswordLogin,
    TokenResponse,
};
use auth0_core::{Auth0Client, ClientConfig, Error};
use auth0_examples::{BoxError, TenantSettings};
use auth0_jwt::id_token::{TokenVerifier, VerifyOptions};
use auth0_jwt::jwks::RemoteJwks;
use auth0_jwt::verifier::AsymmetricSignatureVerifier;

#[tokio::main]
async fn main() -> ExitCode {
    let result = match TenantSettings::from_env() {
        Err(partial) => Err(partial.into()),
        Ok(Some(settings)) => with_tenant(settings).await,
        Ok(None) => with_local_tenant().await,
    };
    auth0_examples::exit_code("mfa", result)
}

async fn with_local_tenant() -> Result<(), BoxError> {
    const CODE: &str = "424242";
    let tenant = auth0_examples::local_tenant_builder()
        .mfa_otp(CODE)
        .start()
        .await?;
    auth0_examples::announce_local(&tenant);
    println!("Its user has an OTP authenticator.");
    let config = auth0_examples::local_settings(&tenant);
    let client = tenant.client()?;
    let auth = AuthenticationClient::builder(client.clone(), config.client_id.clone())
        .client_secret(config.client_secret.clone())
        .build()?;
    let (username, password, _) = &config.user;

    let tokens = login_with_second_factor(&auth, username, password, |attempt| {
        // The user types a wrong code first, then the right one.
        Ok(if attempt == 0 { "000000" } else { CODE }.to_owned())
    })
    .await?;

    // The ID token is verified as after any login.
    let id_token = tokens.id_token.as_deref().ok_or("no ID token")?;
    let verifier = TokenVerifier::new(
        AsymmetricSignatureVerifier::new(RemoteJwks::new(client.clone())?)
            .with_algorithm(tenant.algorithm())?,
        tenant.issuer(),
        config.client_id.clone(),
    )?;
    let claims = verifier.verify(id_token, &VerifyOptions::new()).await?;
    println!("ID token valid: sub={}", claims.sub().unwrap_or("?"));
    println!("mfa finished.");
    Ok(())
}

async fn with_tenant(settings: TenantSettings) -> Result<(), BoxError> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let (Some(username), Some(password)) = (env("AUTH0_USERNAME"), env("AUTH0_PASSWORD")) else {
        return Err("set AUTH0_USERNAME and AUTH0_PASSWORD (a user enrolled in OTP MFA)".into());
    };
    println!("Using the tenant {}", settings.domain);
    let client = Auth0Client::new(ClientConfig::new(&settings.domain)?)?;
    let auth = AuthenticationClient::builder(client, settings.client_id.clone())
        .client_secret(settings.client_secret.clone())
        .build()?;
    let tokens = login_with_second_factor(&auth, &username, &password, |_| {
        println!("Enter the code from your authenticator app:");
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim().to_owned())
    })
    .await?;
    match tokens.expires_in {
        Some(secs) => println!("Logged in: access token for {secs} seconds"),
        None => println!("Logged in (the answer gave no expiry)"),
    }
    Ok(())
}

/// Logs in with a password; when Auth0 asks for a second factor, challenges
/// the user's OTP authenticator and asks `read_code` (up to three times).
async fn login_with_second_factor(
    auth: &AuthenticationClient,
    username: &str,
    password: &str,
    read_code: impl Fn(u32) -> Result<String, BoxError>,
) -> Result<TokenResponse, BoxError> {
    let login = PasswordLogin::new(username, password).scope("openid profile email");
    let mfa = match auth.login(&login).await {
        Ok(tokens) => {
            println!("Logged in without a second factor");
            return Ok(tokens);
        }
        Err(Error::MfaRequired(mfa)) => mfa,
        Err(e) => return Err(e.into()),
    };
    // Display (and Debug) show the error, never the mfa_token.
    println!("Auth0 asks for a second factor: {mfa}");

    let authenticators = auth.mfa_authenticators(mfa.mfa_token()).await?;
    let otp = authenticators
        .iter()
        .find(|a| a.active && a.authenticator_type == AuthenticatorType::Otp)
        .ok_or("the user has no active OTP authenticator")?;
    println!("Enrolled OTP authenticator: {}", otp.id);

    let challenge = auth
        .mfa_challenge(
            mfa.mfa_token(),
            &MfaChallenge::new()
                .challenge_type(ChallengeType::Otp)
                .authenticator_id(&otp.id),
        )
        .await?;
    println!("Challenge: {}", challenge.challenge_type);

    for attempt in 0..3 {
        let code = read_code(attempt)?;
        match auth.mfa_otp(mfa.mfa_token(), &code).await {
            Ok(tokens) => {
                println!("Second factor accepted");
                return Ok(tokens);
            }
            Err(Error::Api(e)) if e.error_code == "invalid_grant" => {
                println!("Code refused ({}), try again", e.message);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err("three wrong codes".into())
}
