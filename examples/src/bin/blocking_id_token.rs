//! [`id_token`](id_token.rs) without async: ID token validation as
//! auth0-python's `TokenVerifier(...).verify(id_token)`, with the tenant's
//! JWKS fetched on a blocking runtime (`auth0_jwt::blocking`, feature
//! `blocking`) and the login through the blocking Authentication client.
//!
//! Without a tenant it starts the local tenant on 127.0.0.1, logs its user in
//! with the authorization code flow (PKCE, `state` and `nonce`), verifies the
//! ID token (also with the JWKS URL given explicitly), verifies an HS256 ID
//! token with `SymmetricSignatureVerifier` (signed by the example with the
//! client secret: the local tenant signs asymmetrically only), then shows
//! what tampered or unexpected tokens are rejected with.
//!
//! With `AUTH0_DOMAIN`, `AUTH0_CLIENT_ID` and `AUTH0_CLIENT_SECRET` set it
//! verifies (with the client secret when `AUTH0_ID_TOKEN_ALG` is HS256,
//! HS384 or HS512) the ID token in `AUTH0_ID_TOKEN` (checking `AUTH0_NONCE` when
//! set), or one from a password login when `AUTH0_USERNAME` and
//! `AUTH0_PASSWORD` are set; with neither it fetches the JWKS and prints the
//! login URL to try.
//!
//! ```text
//! cargo run -p auth0-examples --bin blocking_id_token
//! ```

use std::process::ExitCode;

use auth0_authentication::blocking::AuthenticationClient;
use auth0_authentication::{AuthorizeUrl, PasswordLogin, Pkce};
use auth0_core::blocking::Runtime;
use auth0_core::{Auth0Client, ClientConfig};
use auth0_examples::{BoxError, TenantSettings};
use auth0_jwt::blocking::{RemoteJwks, TokenVerifier};
use auth0_jwt::id_token::VerifyOptions;
use auth0_jwt::verifier::{AsymmetricSignatureVerifier, SymmetricSignatureVerifier};
use auth0_jwt::{Algorithm, SigningKey};

const REDIRECT_URI: &str = "http://localhost:3000/callback";

fn main() -> ExitCode {
    let result = match TenantSettings::from_env() {
        Err(partial) => Err(partial.into()),
        Ok(Some(settings)) => with_tenant(settings),
        Ok(None) => with_local_tenant(),
    };
    auth0_examples::exit_code("blocking_id_token", result)
}

/// One verifier per application, shared by every login: the JWKS is fetched
/// on `runtime`'s thread when a token needs it.
fn verifier(
    jwks: &RemoteJwks,
    algorithm: Algorithm,
    issuer: &str,
    client_id: &str,
    runtime: &Runtime,
) -> Result<TokenVerifier, BoxError> {
    let signature =
        AsymmetricSignatureVerifier::new(jwks.as_async().clone()).with_algorithm(algorithm)?;
    let verifier = auth0_jwt::TokenVerifier::new(signature, issuer, client_id)?;
    Ok(TokenVerifier::new(verifier, runtime))
}

/// A verifier for an HS256/HS384/HS512 application: its client secret is
/// the key.
fn symmetric_verifier(
    client_secret: &str,
    algorithm: Algorithm,
    issuer: &str,
    client_id: &str,
    runtime: &Runtime,
) -> Result<TokenVerifier, BoxError> {
    let signature = SymmetricSignatureVerifier::new(client_secret)?.with_algorithm(algorithm)?;
    let verifier = auth0_jwt::TokenVerifier::new(signature, issuer, client_id)?;
    Ok(TokenVerifier::new(verifier, runtime))
}

fn with_local_tenant() -> Result<(), BoxError> {
    let tenant = auth0_examples::start_local_tenant_threaded()?;
    let config = auth0_examples::local_settings(&tenant);
    let client = tenant.client()?;
    // One runtime thread for the blocking clients of this program.
    let runtime = Runtime::new()?;
    let auth = AuthenticationClient::with_runtime(
        auth0_authentication::AuthenticationClient::builder(
            client.clone(),
            config.client_id.clone(),
        )
        .client_secret(config.client_secret.clone())
        .build()?,
        &runtime,
    );

    // 1. Log in: authorization code flow with PKCE, `state` and `nonce`.
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
    // The local tenant plays the browser (an async helper of the test
    // tenant, run on the same runtime).
    let callback = runtime.block_on(tenant.follow_authorize(&client, &url))??;
    if callback.get("state") != Some(&state) {
        return Err("the callback's state does not match".into());
    }
    let code = callback.get("code").ok_or("the callback has no code")?;
    let tokens = auth.authorization_code_pkce(pkce.verifier(), code, Some(REDIRECT_URI))?;
    let id_token = tokens
        .id_token
        .ok_or("no ID token (scope without openid?)")?;

    // 2. Verify it.
    let issuer = client.domain().issuer();
    let jwks = RemoteJwks::new(client.clone(), &runtime)?;
    let verifier = verifier(
        &jwks,
        tenant.algorithm(),
        &issuer,
        &config.client_id,
        &runtime,
    )?;
    let claims = verifier.verify(&id_token, &VerifyOptions::new().nonce(&nonce))?;
    println!(
        "ID token valid: sub={}, email={}, nonce checked",
        claims.sub().unwrap_or("?"),
        claims.get("email").and_then(|v| v.as_str()).unwrap_or("?")
    );

    // The JWKS URL given explicitly, as auth0-python's
    // `AsymmetricSignatureVerifier(jwks_url)`: the same checks.
    let jwks_url = format!("{issuer}.well-known/jwks.json");
    let by_url = TokenVerifier::new(
        auth0_jwt::TokenVerifier::new(
            AsymmetricSignatureVerifier::from_jwks_url(client.clone(), &jwks_url)?
                .with_algorithm(tenant.algorithm())?,
            issuer.as_str(),
            config.client_id.as_str(),
        )?,
        &runtime,
    );
    by_url.verify(&id_token, &VerifyOptions::new().nonce(&nonce))?;
    println!("ID token valid against the keys at {jwks_url}");

    // 3. Symmetric algorithms (HS256): an application set to HS256 gets ID
    //    tokens signed with its client secret, verified with
    //    SymmetricSignatureVerifier. The local tenant signs with its
    //    asymmetric key only, so here the example signs the same claims with
    //    the application's secret itself, as Auth0 does for such an
    //    application.
    let hs256_token = SigningKey::hmac(Algorithm::HS256, config.client_secret.as_bytes())?
        .sign_token(&Default::default(), claims.as_map())?;
    let symmetric = symmetric_verifier(
        &config.client_secret,
        Algorithm::HS256,
        &issuer,
        &config.client_id,
        &runtime,
    )?;
    let hs256_claims = symmetric.verify(&hs256_token, &VerifyOptions::new().nonce(&nonce))?;
    println!(
        "HS256 ID token valid with the client secret: sub={}",
        hs256_claims.sub().unwrap_or("?")
    );
    let other_secret = symmetric_verifier(
        "not-the-client-secret-0123456789",
        Algorithm::HS256,
        &issuer,
        &config.client_id,
        &runtime,
    )?;

    // 4. What invalid tokens look like: each is a typed auth0_jwt::Error.
    let tampered = tamper(&id_token)?;
    let other_audience = self::verifier(
        &jwks,
        tenant.algorithm(),
        &issuer,
        "another-client-id",
        &runtime,
    )?;
    let cases = [
        (
            "a replayed token (other nonce)",
            verifier.verify(&id_token, &VerifyOptions::new().nonce("another-nonce")),
        ),
        (
            "a tampered payload",
            verifier.verify(&tampered, &VerifyOptions::new()),
        ),
        (
            "a token for another application",
            other_audience.verify(&id_token, &VerifyOptions::new()),
        ),
        ("an empty token", verifier.verify("", &VerifyOptions::new())),
        (
            "an HS256 token checked with another secret",
            other_secret.verify(&hs256_token, &VerifyOptions::new()),
        ),
        (
            "an RS256 token where HS256 is expected",
            symmetric.verify(&id_token, &VerifyOptions::new()),
        ),
    ];
    for (what, result) in cases {
        match result {
            Err(error) => println!("Rejected {what}: {error}"),
            Ok(_) => return Err(format!("{what} was accepted").into()),
        }
    }
    println!("blocking_id_token finished.");
    Ok(())
}

fn with_tenant(settings: TenantSettings) -> Result<(), BoxError> {
    println!("Using the tenant {}", settings.domain);
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let runtime = Runtime::new()?;
    let client = Auth0Client::new(ClientConfig::new(&settings.domain)?)?;
    let issuer = client.domain().issuer();
    let jwks = RemoteJwks::new(client.clone(), &runtime)?;
    // RS256 is the default; HS256/HS384/HS512 check the client secret.
    let algorithm = match env("AUTH0_ID_TOKEN_ALG") {
        Some(alg) => Algorithm::parse(&alg)?,
        None => Algorithm::RS256,
    };
    let verifier = if algorithm.is_symmetric() {
        symmetric_verifier(
            &settings.client_secret,
            algorithm,
            &issuer,
            &settings.client_id,
            &runtime,
        )?
    } else {
        verifier(&jwks, algorithm, &issuer, &settings.client_id, &runtime)?
    };

    let mut options = VerifyOptions::new();
    let id_token = if let Some(token) = env("AUTH0_ID_TOKEN") {
        if let Some(nonce) = env("AUTH0_NONCE") {
            options = options.nonce(nonce);
        }
        token
    } else if let (Some(username), Some(password)) = (env("AUTH0_USERNAME"), env("AUTH0_PASSWORD"))
    {
        let auth = AuthenticationClient::with_runtime(
            auth0_authentication::AuthenticationClient::builder(
                client.clone(),
                settings.client_id.clone(),
            )
            .client_secret(settings.client_secret.clone())
            .build()?,
            &runtime,
        );
        let login = PasswordLogin::new(username, password).scope("openid profile email");
        auth.login(&login)?
            .id_token
            .ok_or("the login returned no ID token")?
    } else {
        jwks.refresh()?;
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
    let claims = verifier.verify(&id_token, &options)?;
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
