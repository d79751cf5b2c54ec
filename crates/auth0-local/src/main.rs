//! `auth0-local`: a local Auth0 tenant for other processes and languages.
//!
//! ```text
//! cargo run -p auth0-local -- [--port N] [--bind ADDR] [--http] [--config FILE] [--state-dir DIR]
//! ```
//!
//! Prints the domain, the applications' credentials, a user's login, and the
//! environment lines for Python (`REQUESTS_CA_BUNDLE`) and Node
//! (`NODE_EXTRA_CA_CERTS`); writes the CA certificate and a `tenant.json`
//! with the same facts to the state directory; serves until interrupted.
//! Not a production identity provider.

#[path = "replace_file.rs"]
mod replace_file;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use auth0_local::{LocalOrganization, LocalTenant, LocalTenantBuilder, NewUser, RateLimit};
use serde_json::{Value, json};

const USAGE: &str =
    "usage: auth0-local [--port N] [--bind ADDR] [--http] [--config FILE] [--state-dir DIR]

  --port N         listen on port N (default: a free port)
  --bind ADDR      listen on ADDR (default 127.0.0.1; anything else exposes the tenant)
  --http           serve plain http instead of HTTPS
  --config FILE    a JSON file: port, bind, http, signing_alg, api_audience, api_scopes,
                   users [{email, password, name, user_id}], organizations [{id, name}],
                   mfa_otp, auto_login, client_secrets {web, machine},
                   rate_limit {limit, window_seconds}
  --state-dir DIR  where to write auth0-local-ca.pem (a new CA every start) and
                   tenant.json (owner-only: it holds the secrets)
                   (default: the system temp dir, auth0-local-PORT, owner-only)";

/// The command line.
#[derive(Debug, Default)]
struct Args {
    port: Option<u16>,
    bind: Option<IpAddr>,
    http: bool,
    config: Option<PathBuf>,
    state_dir: Option<PathBuf>,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut args = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => {
                args.port = Some(
                    value("--port")?
                        .parse()
                        .map_err(|_| "--port needs a number from 0 to 65535".to_owned())?,
                );
            }
            "--bind" => {
                args.bind = Some(
                    value("--bind")?
                        .parse()
                        .map_err(|_| "--bind needs an IP address".to_owned())?,
                );
            }
            "--http" => args.http = true,
            "--config" => args.config = Some(PathBuf::from(value("--config")?)),
            "--state-dir" => args.state_dir = Some(PathBuf::from(value("--state-dir")?)),
            "--help" | "-h" => return Ok(None),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Some(args))
}

/// The builder for a configuration file's settings.
fn from_config(
    mut builder: LocalTenantBuilder,
    config: &Value,
) -> Result<LocalTenantBuilder, String> {
    let text = |v: &Value, name: &str| v.get(name).and_then(Value::as_str).map(str::to_owned);
    if let Some(port) = config.get("port").and_then(Value::as_u64) {
        builder = builder.port(u16::try_from(port).map_err(|_| "port out of range")?);
    }
    if let Some(bind) = text(config, "bind") {
        builder = builder.bind(bind.parse().map_err(|_| "bind: not an IP address")?);
    }
    if config.get("http") == Some(&Value::Bool(true)) {
        builder = builder.plain_http();
    }
    if let Some(alg) = text(config, "signing_alg") {
        let alg =
            auth0_jwt::alg::Algorithm::parse(&alg).map_err(|e| format!("signing_alg: {e}"))?;
        builder = builder.signing_algorithm(alg);
    }
    if let Some(audience) = text(config, "api_audience") {
        builder = builder.api_audience(audience);
    }
    if let Some(scopes) = config.get("api_scopes").and_then(Value::as_array) {
        builder = builder.api_scopes(scopes.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    for user in config
        .get("users")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(email), Some(password)) = (text(user, "email"), text(user, "password")) else {
            return Err("every user needs an email and a password".to_owned());
        };
        let mut new = NewUser::new(email, password);
        if let Some(name) = text(user, "name") {
            new = new.name(name);
        }
        if let Some(id) = text(user, "user_id") {
            new = new.user_id(id);
        }
        builder = builder.user(new);
    }
    if let Some(orgs) = config.get("organizations").and_then(Value::as_array) {
        let orgs = orgs
            .iter()
            .map(|o| match (text(o, "id"), text(o, "name")) {
                (Some(id), Some(name)) => Ok(LocalOrganization::new(id, name)),
                _ => Err("every organization needs an id and a name".to_owned()),
            })
            .collect::<Result<Vec<_>, _>>()?;
        builder = builder.organizations(orgs);
    }
    if let Some(code) = text(config, "mfa_otp") {
        builder = builder.mfa_otp(code);
    }
    if let Some(auto) = config.get("auto_login").and_then(Value::as_bool) {
        builder = builder.auto_login(auto);
    }
    if let Some(secrets) = config.get("client_secrets") {
        match (text(secrets, "web"), text(secrets, "machine")) {
            (Some(web), Some(machine)) => builder = builder.client_secrets(web, machine),
            _ => return Err("client_secrets needs both web and machine".to_owned()),
        }
    }
    if let Some(limit) = config.get("rate_limit") {
        let count = limit
            .get("limit")
            .and_then(Value::as_u64)
            .ok_or("rate_limit.limit")?;
        let window = limit
            .get("window_seconds")
            .and_then(Value::as_f64)
            .unwrap_or(1.0);
        builder = builder.rate_limit(RateLimit::new(
            u32::try_from(count).unwrap_or(u32::MAX),
            Duration::from_secs_f64(window.max(0.001)),
        ));
    }
    Ok(builder)
}

fn describe(tenant: &LocalTenant, ca_file: Option<&PathBuf>) -> Value {
    let apps = tenant.applications();
    let app = |a: &auth0_local::Application| json!({ "name": a.name(), "client_id": a.client_id(), "client_secret": a.client_secret() });
    json!({
        "domain": tenant.host(),
        "base_url": tenant.domain(),
        "issuer": tenant.issuer(),
        "management_audience": tenant.management_audience(),
        "api_audience": tenant.api_audience(),
        "signing_alg": tenant.algorithm().as_str(),
        "ca_file": ca_file,
        "applications": {
            "web": app(&apps.web),
            "machine": app(&apps.machine),
            "machine_jwt": {
                "client_id": apps.machine_jwt.client_id(),
                "private_key_pem": apps.machine_jwt.private_key_pem(),
            },
            "native": { "client_id": apps.native.client_id() },
        },
        "user": {
            "email": tenant.user().email,
            "password": tenant.user().password,
            "user_id": tenant.user().user_id,
        },
        "database_connection": auth0_local::DATABASE_CONNECTION,
        // The out-of-band steps over HTTP (docs/LOCAL_TENANT.md, "The
        // control API").
        "control": { "url": tenant.control_url(), "token": tenant.control_token() },
    })
}

/// Whether a tenant listening on `bind` is reachable from other machines:
/// anything but a loopback address, the unspecified ones (`0.0.0.0`, `::`:
/// every interface) included.
fn exposed(bind: IpAddr) -> bool {
    !bind.is_loopback()
}

/// Makes the state directory (owner-only, 0700, for what it creates) and,
/// for the default one — a predictable name in the shared temp dir —
/// refuses one that is not a real directory or that other users can write
/// to: they could swap the CA file clients are told to trust.
fn prepare_state_dir(dir: &Path, shared_default: bool) -> Result<(), String> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    if shared_default {
        let refuse = |why: &str| {
            format!(
                "{} {why}; remove it or choose another place with --state-dir",
                dir.display()
            )
        };
        let meta = std::fs::symlink_metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if !meta.is_dir() {
            return Err(refuse("is not a directory (a symbolic link?)"));
        }
        #[cfg(unix)]
        if std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o022 != 0 {
            return Err(refuse("is writable by other users"));
        }
    }
    Ok(())
}

async fn run(args: Args) -> Result<(), String> {
    let mut builder = LocalTenant::builder().auto_login(false);
    // The address asked for (the flag over the file), for the warning: the
    // tenant's own address says 127.0.0.1 when it listens everywhere.
    let mut bind = args.bind;
    if let Some(path) = &args.config {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let config: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
        builder = from_config(builder, &config).map_err(|e| format!("{}: {e}", path.display()))?;
        bind = bind.or_else(|| {
            config
                .get("bind")
                .and_then(Value::as_str)
                .and_then(|b| b.parse().ok())
        });
    }
    if let Some(port) = args.port {
        builder = builder.port(port);
    }
    if let Some(bind) = args.bind {
        builder = builder.bind(bind);
    }
    if args.http {
        builder = builder.plain_http();
    }
    let tenant = builder.start().await.map_err(|e| {
        let mut message = e.to_string();
        if let Some(source) = std::error::Error::source(&e) {
            message.push_str(&format!(": {source}"));
        }
        message
    })?;
    let state_dir = args.state_dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("auth0-local-{}", tenant.addr().port()))
    });
    prepare_state_dir(&state_dir, args.state_dir.is_none())?;
    let ca_file = if tenant.is_https() {
        Some(
            tenant
                .write_ca_file(&state_dir)
                .map_err(|e| format!("cannot write the CA file: {e}"))?,
        )
    } else {
        None
    };
    let description = describe(&tenant, ca_file.as_ref());
    let state_file = state_dir.join("tenant.json");
    let pretty = serde_json::to_string_pretty(&description).unwrap_or_default();
    // Owner-only (0600 from the moment it exists): it holds client secrets,
    // a private key and the control token.
    replace_file::replace(&state_file, pretty.as_bytes(), 0o600)
        .map_err(|e| format!("{}: {e}", state_file.display()))?;

    let apps = tenant.applications();
    let secret = |a: &auth0_local::Application| a.client_secret().unwrap_or_default().to_owned();
    println!("auth0-local: a LOCAL TEST TENANT — not a production identity provider.");
    if let Some(bind) = bind.filter(|b| exposed(*b)) {
        println!(
            "WARNING: listening on {bind} port {}, reachable from other machines.",
            tenant.addr().port()
        );
    }
    println!();
    println!("domain:               {}", tenant.host());
    println!("issuer:               {}", tenant.issuer());
    println!("management audience:  {}", tenant.management_audience());
    println!("api audience:         {}", tenant.api_audience());
    println!("signing algorithm:    {}", tenant.algorithm().as_str());
    println!(
        "web app:              {} / {}",
        apps.web.client_id(),
        secret(&apps.web)
    );
    println!(
        "m2m app:              {} / {}",
        apps.machine.client_id(),
        secret(&apps.machine)
    );
    println!(
        "m2m app (private_key_jwt): {} (key in {})",
        apps.machine_jwt.client_id(),
        state_file.display()
    );
    println!(
        "user:                 {} / {}",
        tenant.user().email,
        tenant.user().password
    );
    println!(
        "control API:          {} (bearer token: control.token in tenant.json)",
        tenant.control_url()
    );
    println!("state:                {}", state_file.display());
    println!();
    println!("# environment for other SDKs:");
    println!("AUTH0_DOMAIN={}", tenant.host());
    println!("AUTH0_CLIENT_ID={}", apps.machine.client_id());
    println!("AUTH0_CLIENT_SECRET={}", secret(&apps.machine));
    if let Some(ca) = &ca_file {
        println!("REQUESTS_CA_BUNDLE={}", ca.display());
        println!("NODE_EXTRA_CA_CERTS={}", ca.display());
        println!("SSL_CERT_FILE={}", ca.display());
    }
    println!();
    println!("ready");
    wait_for_shutdown().await;
    drop(tenant);
    Ok(())
}

async fn wait_for_shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("auth0-local: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("auth0-local: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::exposed;

    #[test]
    fn every_address_but_loopback_is_exposed() {
        // The unspecified addresses listen on every interface; the tenant's
        // own address then reads 127.0.0.1, which once hid the warning.
        for bind in ["0.0.0.0", "::", "192.0.2.7", "2001:db8::1"] {
            assert!(exposed(bind.parse().unwrap()), "{bind}");
        }
        for bind in ["127.0.0.1", "127.0.0.2", "::1"] {
            assert!(!exposed(bind.parse().unwrap()), "{bind}");
        }
    }
}
