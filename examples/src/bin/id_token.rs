//! ID token validation, as auth0-python's
//! ```python
//! sv = AsymmetricSignatureVerifier(jwks_url)  # Reusable instance
//! tv = TokenVerifier(signature_verifier=sv, issuer=issuer, audience=client_id)
//! tv.verify(id_token)
//! ```
//! The keys come from the tenant's `/.well-known/jwks.json`, fetched once and
//! cached by `RemoteJwks`; a failed check is a typed `auth0_jwt::Error`
//! (auth0-python's `TokenValidationError`).
//!
//! Without a tenant it starts the local tenant on 127.0.0.1, logs its user in
//! with the authorization code flow (PKCE, `state` and `nonce`), verifies the
//! ID token (also with the JWKS URL given explicitly, as the seed does),
//! sets the application to HS256 through the Management API and verifies the
//! ID token of a new login with `SymmetricSignatureVerifier` (the seed's
//! symmetric case: signed with the application's client secret, as Auth0
//! does), then shows what tampered or unexpected tokens are rejected with.
//!
//! With `AUTH0_DOMAIN`, `AUTH0_CLIENT_ID` and `AUTH0_CLIENT_SECRET` set it
//! verifies, against that tenant's JWKS — or, with `AUTH0_ID_TOKEN_ALG=HS256`
//! (or HS384/HS512), the client secret —, the ID token in `AUTH0_ID_TOKEN`
//! (checking `AUTH0_NONCE` and `AUTH0_ORGANIZATION` when set), or else one
//! from a password login when `AUTH0_USERNAME` and `AUTH0_PASSWORD` are set;
//! with neither it fetches the JWKS and prints the login URL to try.
//!
//! ```text
//! cargo run -p auth0-examples --bin id_token
//! ```

use std::process::ExitCode;

use auth0_authentication::{AuthenticationClient, AuthorizeUrl, PasswordLogin, Pkce};
use auth0_core::{Auth0Client, ClientConfig};
use auth0_examples::TenantSettings;
use auth0_jwt::Algorithm;
use auth0_jwt::id_token::{TokenVerifier, VerifyOptions};
use auth0_jwt::jwks::RemoteJwks;
use auth0_jwt::verifier::{
    AsymmetricSignatureVerifier, SignatureVerifier, SymmetricSignatureVerifier,
};
use auth0_management::models::{
    ClientJwtConfiguration, SigningAlgorithmEnum, UpdateClientRequestContent,
};

use auth0_examples::BoxError;

const REDIRECT_URI: &str = "http://localhost:3000/callback";

#[tokio::main]
async fn main() -> ExitCode {
    let result = match TenantSettings::from_env() {
        Err(partial) => Err(partial.into()),
        Ok(Some(settings)) => with_tenant(settings).await,
        Ok(None) => with_local_tenant().await,
    };
    auth0_examples::exit_code("id_token", result)
}

async fn with_local_tenant() -> Result<(), BoxError> {
    let tenant = auth0_examples::start_local_tenant().await?;
    let config = auth0_examples::local_settings(&tenant);
    let client = tenant.client()?;

    // 1. Log in: authorization code flow with PKCE, a `state` against CSRF
    //    and a `nonce` against replayed ID tokens.
    let pkce = Pkce::generate()?;
    let state = random_value()?;
    let nonce = random_value()?;
    let url = AuthorizeUrl::new(client.domain(), &config.client_id)
        .redirect_uri(REDIRECT_URI)
        .scope("openid profile email")
        .state(&state)
        .nonce(&nonce)
        .pkce(&pkce)
        .build()?;
    println!("Login URL: {url}");
    let callback = tenant.follow_authorize(&client, &url).await?;
    if callback.get("state") != Some(&state) {
        return Err("the callback's state does not match".into());
    }
    let code = callback.get("code").ok_or("the callback has no code")?;
    let auth = AuthenticationClient::builder(client.clone(), config.client_id.clone())
        .client_secret(config.client_secret.clone())
        .build()?;
    let tokens = auth
        .authorization_code_pkce(pkce.verifier(), code, Some(REDIRECT_URI))
        .await?;
    let id_token = tokens
        .id_token
        .ok_or("no ID token (scope without openid?)")?;

    // 2. Verify it. One verifier per application, shared by every login.
    let issuer = client.domain().issuer();
    let jwks = RemoteJwks::new(client.clone())?;
    let signature = AsymmetricSignatureVerifier::new(jwks).with_algorithm(tenant.algorithm())?;
    let verifier = TokenVerifier::new(signature, issuer.clone(), config.client_id.clone())?;
    let claims = verifier
        .verify(&id_token, &VerifyOptions::new().nonce(&nonce))
        .await?;
    println!(
        "ID token valid: sub={}, email={}, nonce checked",
        claims.sub().unwrap_or("?"),
        claims.get("email").and_then(|v| v.as_str()).unwrap_or("?")
    );

    // The JWKS URL given explicitly, as auth0-python's
    // `AsymmetricSignatureVerifier(jwks_url)`: the same checks.
    let jwks_url = format!("{issuer}.well-known/jwks.json");
    let by_url = TokenVerifier::new(
        AsymmetricSignatureVerifier::from_jwks_url(client.clone(), &jwks_url)?
            .with_algorithm(tenant.algorithm())?,
        issuer.clone(),
        config.client_id.clone(),
    )?;
    by_url
        .verify(&id_token, &VerifyOptions::new().nonce(&nonce))
        .await?;
    println!("ID token valid against the keys at {jwks_url}");

    // 3. Symmetric algorithms (HS256): an application set to HS256 (its
    //    `jwt_configuration.alg`, the dashboard's "JSON Web Token Signature
    //    Algorithm") gets ID tokens signed with its client secret, verified
    //    with SymmetricSignatureVerifier. Set it through the Management API
    //    and log the user in again.
    let management = tenant.management_client()?;
    let to_hs256 = UpdateClientRequestContent::new()
        .jwt_configuration(ClientJwtConfiguration::new().alg(SigningAlgorithmEnum::Hs256));
    management
        .clients()
        .update(&config.client_id, &to_hs256)
        .await?;
    let user = tenant.user();
    let hs256_token = auth
        .login(&PasswordLogin::new(&user.email, &user.password).scope("openid profile"))
        .await?
        .id_token
        .ok_or("no HS256 ID token")?;
    let symmetric = TokenVerifier::new(
        SymmetricSignatureVerifier::new(&config.client_secret)?,
        issuer.clone(),
        config.client_id.clone(),
    )?;
    let hs256_claims = symmetric
        .verify(&hs256_token, &VerifyOptions::new())
        .await?;
    println!(
        "HS256 ID token valid with the client secret: sub={}",
        hs256_claims.sub().unwrap_or("?")
    );
    let other_secret = TokenVerifier::new(
        SymmetricSignatureVerifier::new("not-the-client-secret-0123456789")?,
        issuer.clone(),
        config.client_id.clone(),
    )?;

    // 4. What invalid tokens look like: each is a typed auth0_jwt::Error.
    let tampered = tamper(&id_token)?;
    let other_audience = TokenVerifier::new(
        AsymmetricSignatureVerifier::new(RemoteJwks::new(client.clone())?)
            .with_algorithm(tenant.algorithm())?,
        issuer,
        "another-client-id",
    )?;
    let cases = [
        (
            "a replayed token (other nonce)",
            verifier
                .verify(&id_token, &VerifyOptions::new().nonce("another-nonce"))
                .await,
        ),
        (
            "a tampered payload",
            verifier.verify(&tampered, &VerifyOptions::new()).await,
        ),
        (
            "a token for another application",
            other_audience
                .verify(&id_token, &VerifyOptions::new())
                .await,
        ),
        (
            "an empty token",
            verifier.verify("", &VerifyOptions::new()).await,
        ),
        (
            "an HS256 token checked with another secret",
            other_secret
                .verify(&hs256_token, &VerifyOptions::new())
                .await,
        ),
        (
            "an RS256 token where HS256 is expected",
            symmetric.verify(&id_token, &VerifyOptions::new()).await,
        ),
    ];
    for (what, result) in cases {
        match result {
            Err(error) => println!("Rejected {what}: {error}"),
            Ok(_) => return Err(format!("{what} was accepted").into()),
        }
    }
    println!("id_token finished.");
    Ok(())
}

async fn with_tenant(settings: TenantSettings) -> Result<(), BoxError> {
    println!("Using the tenant {}", settings.domain);
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let client = Auth0Client::new(ClientConfig::new(&settings.domain)?)?;
    let issuer = client.domain().issuer();
    let jwks = RemoteJwks::new(client.clone())?;
    // RS256 is the default; set AUTH0_ID_TOKEN_ALG for another algorithm:
    // an asymmetric one checks the tenant's JWKS, HS256/HS384/HS512 the
    // application's client secret (AUTH0_CLIENT_SECRET).
    let alg = match env("AUTH0_ID_TOKEN_ALG") {
        Some(alg) => Algorithm::parse(&alg)?,
        None => Algorithm::RS256,
    };
    let signature: SignatureVerifier = if alg.is_symmetric() {
        SymmetricSignatureVerifier::new(&settings.client_secret)?
            .with_algorithm(alg)?
            .into()
    } else {
        AsymmetricSignatureVerifier::new(jwks.clone())
            .with_algorithm(alg)?
            .into()
    };
    let verifier = TokenVerifier::new(signature, issuer, settings.client_id.clone())?;

    let mut options = VerifyOptions::new();
    let id_token = if let Some(token) = env("AUTH0_ID_TOKEN") {
        if let Some(nonce) = env("AUTH0_NONCE") {
            options = options.nonce(nonce);
        }
        if let Some(organization) = env("AUTH0_ORGANIZATION") {
            options = options.organization(organization);
        }
        token
    } else if let (Some(username), Some(password)) = (env("AUTH0_USERNAME"), env("AUTH0_PASSWORD"))
    {
        let auth = AuthenticationClient::builder(client.clone(), settings.client_id.clone())
            .client_secret(settings.client_secret.clone())
            .build()?;
        let mut login = PasswordLogin::new(username, password).scope("openid profile email");
        if let Some(realm) = env("AUTH0_REALM") {
            login = login.realm(realm);
        }
        auth.login(&login)
            .await?
            .id_token
            .ok_or("the login returned no ID token")?
    } else {
        jwks.refresh().await?;
        let keys = jwks.keys().map_or(0, |k| k.len());
        let url = AuthorizeUrl::new(client.domain(), &settings.client_id)
            .redirect_uri(REDIRECT_URI)
            .scope("openid profile email")
            .nonce(random_value()?)
            .build()?;
        println!("Fetched {} with {keys} key(s).", jwks.url());
        println!(
            "Log in at {url}\nthen run again with AUTH0_ID_TOKEN (and AUTH0_NONCE) set, \
             or set AUTH0_USERNAME and AUTH0_PASSWORD."
        );
        return Ok(());
    };
    let claims = verifier.verify(&id_token, &options).await?;
    println!(
        "ID token valid: sub={}, issued by {}",
        claims.sub().unwrap_or("?"),
        claims.iss().unwrap_or("?")
    );
    Ok(())
}

/// The token with its payload rewritten (`sub` changed), signature kept.
fn tamper(token: &str) -> Result<String, BoxError> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let payload = parts.get_mut(1).ok_or("not a JWS")?;
    let mut claims: serde_json::Value = serde_json::from_slice(&b64.decode(payload.as_bytes())?)?;
    claims["sub"] = serde_json::Value::from("auth0|someone-else");
    *payload = b64.encode(serde_json::to_vec(&claims)?);
    Ok(parts.join("."))
}

/// An unguessable value for `state` and `nonce`.
fn random_value() -> Result<String, BoxError> {
    use base64::Engine as _;
    use ring::rand::SecureRandom as _;
    let mut bytes = [0u8; 24];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| "the system has no source of randomness")?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}
