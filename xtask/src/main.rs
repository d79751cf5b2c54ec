//! Project automation for auth0-rs, run as `cargo xtask <command>`.
//!
//! - `cargo xtask test`: the whole test suite (the command the README and
//!   `.ci/run` use): doc tests, the feature-less build of `auth0-jwt`, then every
//!   unit and integration test through cargo-nextest (or `cargo test` when
//!   nextest is not installed).
//! - `cargo xtask ci`: what CI runs: formatting, clippy with warnings denied,
//!   rustdoc with warnings denied, then `test`.
//! - `cargo xtask bench [http|jwt|gateway|fleet|all]`: the benchmarks, each printing
//!   its ratio against a peer measured in the same run (`fleet`: fleet mode
//!   against independent instances; needs redis-server, not in `all`).
//! - `cargo xtask quickstart`: the quickstart example (the README's first command
//!   runs the same thing through `cargo run`).
//! - `cargo xtask codegen [--check]`: generates the Management API's operations
//!   and models (`crates/auth0-management/src/generated/`) from
//!   `../shared/spec/auth0-management-openapi.json`; `--check` only verifies that
//!   the committed files are up to date (`test` runs it first).

mod codegen;

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("ci") => ci(),
        Some("bench") => bench(args.get(1).map(String::as_str).unwrap_or("all")),
        Some("codegen") => match args.get(1).map(String::as_str) {
            None => codegen::run(false),
            Some("--check") => codegen::run(true),
            Some(other) => Err(format!("unknown codegen option `{other}`; try `--check`")),
        },
        Some("quickstart") => {
            run(cargo().args(["run", "--package", "auth0-examples", "--bin", "quickstart"]))
        }
        Some("help") | Some("--help") | Some("-h") | None => {
            print_help();
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`; try `cargo xtask help`")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn print_help() {
    println!(
        "cargo xtask <command>\n\n\
         commands:\n  \
         test                      run the whole test suite (what CI runs)\n  \
         ci                        fmt --check, clippy -D warnings, doc -D warnings, then test\n  \
         bench [http|jwt|gateway|fleet|all]  run benchmarks; each prints ratios against its peer\n  \
         quickstart                run the quickstart example\n  \
         codegen [--check]         generate the Management API code from the spec (or check it is current)"
    );
}

/// The workspace root: xtask lives one level below it.
fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

fn cargo() -> Command {
    let mut cmd = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    cmd.current_dir(root());
    cmd
}

fn run(cmd: &mut Command) -> Result<(), String> {
    eprintln!("xtask: running {cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("could not start {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed with {status}"))
    }
}

fn has_nextest() -> bool {
    cargo()
        .args(["nextest", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn test() -> Result<(), String> {
    // Cheap, and a stale generated API would make every later step moot.
    codegen::run(true)?;
    // The test vectors live beside the repository; the suites that read them
    // fail (not skip) when they are missing, so say why up front.
    let vectors = root().join("../shared/vectors");
    if !vectors.is_dir() {
        eprintln!(
            "xtask: warning: {} is missing; the vector suites will fail",
            vectors.display()
        );
    }
    // A gateway depends on auth0-jwt alone, without HTTP: that build must work.
    run(cargo().args(["build", "--package", "auth0-jwt", "--no-default-features"]))?;
    // Its unit tests, and the suites that pin the verdicts of the ring-only
    // EdDSA and RSA backends (the default ones are ed25519-dalek and aws-lc),
    // on that build.
    run(cargo().args([
        "test",
        "--package",
        "auth0-jwt",
        "--no-default-features",
        "--lib",
        "--test",
        "wycheproof",
        "--test",
        "attacks",
    ]))?;
    run(cargo().args(["test", "--workspace", "--doc"]))?;
    examples()?;
    // The unit and integration tests run last, so the runner's summary is
    // the last thing the log shows.
    if has_nextest() {
        let mut cmd = cargo();
        cmd.args(["nextest", "run", "--workspace", "--no-fail-fast"]);
        if env::var_os("CI").is_some() {
            cmd.args(["--profile", "ci"]);
        }
        run(&mut cmd)
    } else {
        eprintln!("xtask: cargo-nextest not found; falling back to cargo test");
        run(cargo().args(["test", "--workspace", "--all-targets", "--no-fail-fast"]))
    }
}

/// Every runnable example, with the arguments that make it finish by itself.
/// Each must succeed against the local tenant, so examples stay runnable.
const EXAMPLES: &[(&str, &[&str])] = &[
    ("quickstart", &[]),
    ("id_token", &[]),
    ("organizations", &[]),
    ("client_credentials", &[]),
    ("private_key_jwt", &[]),
    ("authorize_url", &[]),
    ("management_connections", &[]),
    ("management_users", &[]),
    ("error_handling", &[]),
    ("async_sharing", &[]),
    ("gateway", &["--self-test"]),
    ("custom_middleware", &[]),
    ("mfa", &[]),
];

fn examples() -> Result<(), String> {
    run(cargo().args(["build", "--package", "auth0-examples", "--bins"]))?;
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    for (name, args) in EXAMPLES {
        let binary = target_dir.join("debug").join(name);
        let mut cmd = Command::new(&binary);
        cmd.args(*args).current_dir(root());
        // Never reach a real tenant from the test suite, whatever the
        // environment of the machine says.
        for (var, _) in env::vars_os() {
            let name = var.to_string_lossy();
            if name.starts_with("AUTH0_") || name.to_ascii_lowercase().ends_with("_proxy") {
                cmd.env_remove(&var);
            }
        }
        run(&mut cmd).map_err(|e| format!("example `{name}` failed: {e}"))?;
    }
    eprintln!("xtask: all {} examples ran", EXAMPLES.len());
    Ok(())
}

fn ci() -> Result<(), String> {
    run(cargo().args(["fmt", "--all", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    run(cargo()
        .args(["doc", "--workspace", "--no-deps"])
        .env("RUSTDOCFLAGS", "-D warnings"))?;
    test()
}

fn bench(which: &str) -> Result<(), String> {
    let benches_manifest = root().join("benches/Cargo.toml");
    let peer_bench = |name: &str, features: &[&str]| -> Result<(), String> {
        run(cargo()
            .args([
                "bench",
                "--manifest-path",
                &benches_manifest.to_string_lossy(),
                "--bench",
                name,
            ])
            .args(features))
    };
    match which {
        "http" => run(cargo().args(["bench", "--package", "auth0-core", "--bench", "http"])),
        // auth0-jwt as built by default, then with ring verifying RSA.
        "jwt" => {
            peer_bench("jwt", &[])?;
            peer_bench("jwt", &["--no-default-features"])
        }
        "gateway" => peer_bench("gateway", &[]),
        // Fleet mode (auth0-redis): counts 429s, token fetches and writes
        // against a rate-limited local tenant; the time is the tenant's
        // budget, not CPU, so the dev profile measures the same. Needs
        // redis-server; not part of `all`.
        "fleet" => run(cargo().args([
            "run",
            "--package",
            "auth0-redis",
            "--example",
            "fleet_bench",
        ])),
        "all" => {
            bench("http")?;
            bench("jwt")?;
            bench("gateway")
        }
        other => Err(format!(
            "unknown benchmark `{other}`; choose http, jwt, gateway, fleet or all"
        )),
    }
}
