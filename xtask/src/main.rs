//! Project automation for auth0-rs, run as `cargo xtask <command>`.
//!
//! - `cargo xtask test`: the whole test suite (the command the README and
//!   `.ci/run` use): doc tests, the feature-less build of `auth0-jwt`, every
//!   example, the official auth0-python and node-auth0 SDKs against the
//!   `auth0-local` binary (`conformance/`; skipped with a message when python3
//!   or node is missing, except under `CI=true`), then every unit and
//!   integration test through cargo-nextest (or `cargo test` when nextest is
//!   not installed).
//! - `cargo xtask lint`: formatting, clippy with warnings denied, rustdoc
//!   with warnings denied.
//! - `cargo xtask ci`: what CI (`.ci/run`) runs: `lint`, then `test`.
//! - `cargo xtask bench [http|jwt|gateway|blocking|fleet|all]`: the benchmarks, each printing
//!   its ratio against a peer measured in the same run (`http`: auth0-core's
//!   stack, then the Management client against bare hyper + serde and
//!   reqwest; `fleet`: fleet mode against independent instances; needs
//!   redis-server, not in `all`).
//! - `cargo xtask quickstart`: the quickstart example (the README's first command
//!   runs the same thing through `cargo run`).
//! - `cargo xtask codegen [--check]`: generates the Management API's operations
//!   and models (`crates/auth0-management/src/generated/`) from
//!   `spec/management/auth0-management-openapi.json` and
//!   `spec/management/lifecycle.json`; `--check` only verifies that the
//!   committed files are up to date (`test` runs it first).
//! - `cargo xtask codegen lifecycle <management-api-oas.json>`: rewrites
//!   `spec/management/lifecycle.json` from Auth0's untouched description
//!   (see `spec/management/README.md`).
//! - `cargo xtask fuzz [target] [--secs N]`: runs the cargo-fuzz targets
//!   under `fuzz/` (all of them one after another, or one), N seconds each
//!   (default 60); needs a nightly toolchain and cargo-fuzz. See
//!   `docs/FUZZING.md`.

mod codegen;

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("ci") => lint().and_then(|()| test()),
        Some("lint") => lint(),
        Some("bench") => bench(args.get(1).map(String::as_str).unwrap_or("all")),
        Some("codegen") => match args.get(1).map(String::as_str) {
            None => codegen::run(false),
            Some("--check") => codegen::run(true),
            Some("lifecycle") => match args.get(2) {
                Some(source) => codegen::lifecycle::extract(source),
                None => {
                    Err("usage: cargo xtask codegen lifecycle <management-api-oas.json>".to_owned())
                }
            },
            Some(other) => Err(format!("unknown codegen option `{other}`; try `--check`")),
        },
        Some("conformance") => conformance(),
        Some("fuzz") => fuzz(&args[1..]),
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
         ci                        lint, then test (what .ci/run runs)\n  \
         lint                      fmt --check, clippy -D warnings, doc -D warnings\n  \
         bench [http|jwt|gateway|blocking|fleet|all]  run benchmarks; each prints ratios against its peer\n  \
         quickstart                run the quickstart example\n  \
         conformance               auth0-python and node-auth0 against the auth0-local binary (a step of test)\n  \
         codegen [--check]         generate the Management API code from the spec (or check it is current)\n  \
         codegen lifecycle <oas>   extract spec/management/lifecycle.json from Auth0's untouched OAS\n  \
         fuzz [target] [--secs N]  run the fuzz targets (nightly + cargo-fuzz), N seconds each"
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
    let started = std::time::Instant::now();
    let status = cmd
        .status()
        .map_err(|e| format!("could not start {cmd:?}: {e}"))?;
    // Each step's wall time, so a slow CI run says which step grew.
    eprintln!("xtask: {:.1} s", started.elapsed().as_secs_f64());
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed with {status}"))
    }
}

/// The workspace's default build links one C crypto library (ring; aws-lc
/// only behind auth0-jwt's opt-in `aws-lc-rs` feature) and one version of
/// each crate it builds, proc-macros included (tonic, which would add two,
/// is behind the examples crate's `tonic` feature).
fn dependency_check() -> Result<(), String> {
    let tree = |args: &[&str]| -> Result<String, String> {
        let mut cmd = cargo();
        cmd.args(["tree", "--edges", "normal", "--workspace"])
            .args(args);
        eprintln!("xtask: running {cmd:?}");
        let output = cmd
            .output()
            .map_err(|e| format!("could not start {cmd:?}: {e}"))?;
        if !output.status.success() {
            return Err(format!("{cmd:?} failed with {}", output.status));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let duplicates = tree(&["--duplicates"])?;
    if !duplicates.trim().is_empty() {
        return Err(format!(
            "duplicate crate versions in the SDK's build:\n{duplicates}"
        ));
    }
    let all = tree(&["--prefix", "none", "--format", "{p}"])?;
    if let Some(line) = all.lines().find(|l| l.starts_with("aws-lc")) {
        return Err(format!(
            "the default build links aws-lc ({line}); it must stay opt-in"
        ));
    }
    Ok(())
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
    dependency_check()?;
    // A gateway depends on auth0-jwt alone, without HTTP: that build must
    // work. A check is enough for a library (nothing is linked); the build
    // took 24 s of a CI run, the check reuses the lint step's dependencies.
    run(cargo().args(["check", "--package", "auth0-jwt", "--no-default-features"]))?;
    // Its unit tests, and the suites that pin the verdicts of the backends
    // the default build does not use (the default verifies everything with
    // ring): the opt-in ed25519-dalek for EdDSA (with its differential test
    // against ring) and the opt-in aws-lc for RSA, in one build.
    run(cargo().args([
        "test",
        "--package",
        "auth0-jwt",
        "--no-default-features",
        "--features",
        "aws-lc-rs,ed25519-dalek",
        "--lib",
        "--test",
        "wycheproof",
        "--test",
        "attacks",
    ]))?;
    management_features()?;
    // One build of the workspace's binaries and tests, with one feature set
    // (`ALL_FEATURES`) for every later step: the doctests, the examples, the
    // conformance tenant and the test runner all find it built.
    build_binaries()?;
    run(cargo().args(["test", "--workspace", "--doc", "--features", ALL_FEATURES]))?;
    examples()?;
    conformance()?;
    // The unit and integration tests run last, so the runner's summary is
    // the last thing the log shows.
    if has_nextest() {
        let mut cmd = cargo();
        cmd.args(["nextest", "run", "--workspace", "--no-fail-fast"]);
        cmd.args(["--features", ALL_FEATURES]);
        if env::var_os("CI").is_some() {
            cmd.args(["--profile", "ci"]);
        }
        run(&mut cmd)
    } else {
        eprintln!("xtask: cargo-nextest not found; falling back to cargo test");
        run(cargo().args([
            "test",
            "--workspace",
            "--all-targets",
            "--no-fail-fast",
            "--features",
            ALL_FEATURES,
        ]))
    }
}

/// The features every workspace-wide step builds with (clippy, rustdoc, the
/// test build, the doctests), so each mode compiles each crate once: the
/// `fuzzing` features of the five crates that have them (they add the
/// doc-hidden harness modules, and so the corpus replay tests,
/// `tests/fuzz_corpus.rs` with `required-features`) and the examples'
/// `tonic` feature (the gateway_tonic example's optional dependencies).
/// Steps with different features rebuilt tokio, hyper, tower and the
/// workspace crates: a build of auth0-local without `tonic` rebuilt 17
/// crates (~1 m 45 s of a CI run), the doctests and rustdoc without the
/// `fuzzing` features ~1.5 min each.
const ALL_FEATURES: &str = "auth0-examples/tonic,auth0-jwt/fuzzing,auth0-core/fuzzing,\
     auth0-management/fuzzing,auth0-local/fuzzing,auth0-redis/fuzzing";

/// auth0-management's feature combinations that matter (one feature per
/// resource group, `full` by default): no group at all, single groups the
/// hand-written modules depend on (`jobs`, `logs`, `users`), and a group
/// whose models come from other groups' files (`organizations`). `cargo
/// check` only: the full build is tested below.
fn management_features() -> Result<(), String> {
    for features in [
        None,
        Some("users"),
        Some("jobs"),
        Some("logs"),
        Some("organizations"),
        // The blocking mirror is gated per group like the async API.
        Some("blocking"),
        Some("users,jobs,blocking"),
    ] {
        let mut cmd = cargo();
        cmd.args([
            "check",
            "--package",
            "auth0-management",
            "--no-default-features",
        ]);
        if let Some(f) = features {
            cmd.args(["--features", f]);
        }
        run(&mut cmd)?;
    }
    Ok(())
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
    ("management_export_users", &[]),
    ("error_handling", &[]),
    ("async_sharing", &[]),
    ("gateway", &["--self-test"]),
    ("gateway", &["--self-test", "--dpop"]),
    ("backchannel_logout", &[]),
    ("custom_middleware", &[]),
    ("mfa", &[]),
    // The seed examples without async (feature `blocking`).
    ("blocking_id_token", &[]),
    ("blocking_organizations", &[]),
    ("blocking_client_credentials", &[]),
    ("blocking_private_key_jwt", &[]),
    ("blocking_management_connections", &[]),
    ("blocking_management_users", &[]),
    ("blocking_error_handling", &[]),
    ("blocking_sharing", &[]),
    ("tracing", &[]),
    ("gateway_axum", &["--self-test"]),
    ("gateway_tonic", &["--self-test"]),
];

/// Builds the workspace's binaries (the examples, auth0-local) and tests
/// with `ALL_FEATURES`: the build the doctests, the examples, the
/// conformance step and the test runner share (`cargo build --tests`
/// resolves features as `cargo test` does, dev-dependencies included), so
/// whichever runs first builds and the others find it built.
fn build_binaries() -> Result<(), String> {
    run(cargo().args([
        "build",
        "--workspace",
        "--bins",
        "--tests",
        "--features",
        ALL_FEATURES,
    ]))
}

/// Where `build_binaries` puts the workspace's binaries: the target
/// directory's `debug`, under the target triple when one is set
/// (`CARGO_BUILD_TARGET`, as `.ci/run` does).
fn binary_dir() -> PathBuf {
    let mut dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    if let Some(triple) = env::var_os("CARGO_BUILD_TARGET") {
        dir.push(triple);
    }
    dir.join("debug")
}

fn examples() -> Result<(), String> {
    build_binaries()?;
    let binaries = binary_dir();
    for (name, args) in EXAMPLES {
        let binary = binaries.join(name);
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

// --- conformance step (auth0-local against SDKs nobody here wrote) ---

/// The official SDKs' pinned versions live in `conformance/requirements.txt`
/// and `conformance/package.json` (+ lock file); they are installed into
/// `conformance/.venv-conformance/` and `conformance/node_modules/`.
fn conformance() -> Result<(), String> {
    let dir = root().join("conformance");
    let has = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    let missing: Vec<&str> = ["python3", "node", "npm"]
        .into_iter()
        .filter(|tool| !has(tool))
        .collect();
    if !missing.is_empty() {
        let message = format!(
            "the conformance step needs {}, which is not installed",
            missing.join(", ")
        );
        if env::var("CI").is_ok_and(|v| v == "true") {
            return Err(message);
        }
        eprintln!("xtask: SKIPPED conformance: {message}");
        return Ok(());
    }
    // Proxies must not see the tenant's loopback traffic.
    let without_proxies = |cmd: &mut Command| {
        for (var, _) in env::vars_os() {
            if var
                .to_string_lossy()
                .to_ascii_lowercase()
                .ends_with("_proxy")
            {
                cmd.env_remove(&var);
            }
        }
        cmd.env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost");
    };
    let venv = dir.join(".venv-conformance");
    let python = venv.join("bin").join("python");
    if !python.exists() {
        run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    }
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(dir.join("requirements.txt")))?;
    // `npm ci` reinstalls from scratch: only when the pinned SDK is not the
    // one installed.
    let version_of = |path: PathBuf, pointer: &str| {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .and_then(|json| {
                json.pointer(pointer)
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            })
    };
    let pinned = version_of(dir.join("package.json"), "/dependencies/auth0");
    let installed = version_of(dir.join("node_modules/auth0/package.json"), "/version");
    if pinned.is_none() || pinned != installed {
        run(Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir))?;
    }
    // As `examples()` builds them: nothing is rebuilt when it ran first.
    build_binaries()?;

    let state = dir.join("state");
    let mut tenant = Command::new(binary_dir().join("auth0-local"))
        .arg("--state-dir")
        .arg(&state)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start auth0-local: {e}"))?;
    let result = (|| {
        // The binary prints `ready` once it serves.
        let stdout = tenant.stdout.take().ok_or("no stdout from auth0-local")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead as _;
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line == "ready" {
                    let _ = tx.send(());
                }
            }
        });
        rx.recv_timeout(std::time::Duration::from_secs(60))
            .map_err(|_| "auth0-local did not become ready within 60 s".to_owned())?;
        let ca = state.join("auth0-local-ca.pem");
        let tenant_json = state.join("tenant.json");
        let mut py = Command::new(&python);
        py.arg(dir.join("python_sdk.py"))
            .env("AUTH0_LOCAL_STATE", &tenant_json)
            .env("REQUESTS_CA_BUNDLE", &ca);
        without_proxies(&mut py);
        run(&mut py).map_err(|e| format!("auth0-python conformance failed: {e}"))?;
        let mut node = Command::new("node");
        node.arg(dir.join("node_sdk.js"))
            .current_dir(&dir)
            .env("AUTH0_LOCAL_STATE", &tenant_json)
            .env("NODE_EXTRA_CA_CERTS", &ca);
        without_proxies(&mut node);
        run(&mut node).map_err(|e| format!("node-auth0 conformance failed: {e}"))
    })();
    // Stop the tenant this step started, whatever happened.
    let _ = tenant.kill();
    let _ = tenant.wait();
    result
}

// --- end conformance step ---

/// What `.ci/run` runs before the README's test command (`cargo xtask
/// test`): formatting, lints and docs, cheap to fail. `cargo xtask ci` runs
/// both, as CI does.
fn lint() -> Result<(), String> {
    run(cargo().args(["fmt", "--all", "--check"]))?;
    // With `ALL_FEATURES` (the tonic gateway example, which the examples
    // crate's `tonic` feature gates, and the fuzzing harnesses with the
    // corpus replay tests `test` runs): one pass over the workspace instead
    // of a second one with other dependency features.
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--features",
        ALL_FEATURES,
        "--",
        "-D",
        "warnings",
    ]))?;
    // auth0-jwt without its default features and with the opt-in backends
    // (aws-lc for RSA, ed25519-dalek for EdDSA) is not in the one above.
    run(cargo().args([
        "clippy",
        "--package",
        "auth0-jwt",
        "--all-targets",
        "--no-default-features",
        "--features",
        "aws-lc-rs,ed25519-dalek",
        "--",
        "-D",
        "warnings",
    ]))?;
    // The features of the clippy pass above, so rustdoc reuses the
    // dependencies it checked (those the tests' dev-dependencies do not
    // unify differently): 101 s instead of 164 s of a CI run.
    run(cargo()
        .args([
            "doc",
            "--workspace",
            "--no-deps",
            "--features",
            ALL_FEATURES,
        ])
        .env("RUSTDOCFLAGS", "-D warnings"))
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
        // auth0-core's stack against bare hyper, then the Management client
        // against bare hyper + serde and reqwest + serde (benches/).
        "http" => {
            run(cargo().args(["bench", "--package", "auth0-core", "--bench", "http"]))?;
            peer_bench("management", &[])
        }
        // auth0-jwt with the opt-in aws-lc RSA backend (the bench crate's
        // default: the floor is aws-lc's prepared key), then as built by
        // default (ring verifies RSA).
        "jwt" => {
            peer_bench("jwt", &[])?;
            peer_bench("jwt", &["--no-default-features"])
        }
        "gateway" => peer_bench("gateway", &[]),
        // The blocking clients against the async ones on a tokio runtime:
        // one Management GET and one token validation (benches/).
        "blocking" => peer_bench("blocking", &["--features", "blocking"]),
        // Fleet mode (auth0-redis): counts 429s, token fetches and writes
        // against a rate-limited local tenant; the time is the tenant's
        // budget, not CPU, so the dev profile measures the same. Needs
        // redis-server; not part of `all`.
        "fleet" => run(cargo().args([
            "run",
            "--release",
            "--package",
            "auth0-redis",
            "--example",
            "fleet_bench",
        ])),
        "all" => {
            bench("http")?;
            bench("jwt")?;
            bench("gateway")?;
            bench("blocking")
        }
        other => Err(format!(
            "unknown benchmark `{other}`; choose http, jwt, gateway, blocking, fleet or all"
        )),
    }
}

/// The fuzz targets under `fuzz/fuzz_targets/`, each a harness in a crate's
/// `fuzzing` module (see docs/FUZZING.md).
const FUZZ_TARGETS: &[&str] = &[
    "jws_claims",
    "json",
    "base64url",
    "jwk",
    "pem_der",
    "htu",
    "gateway",
    "dpop",
    "logout",
    "id_token",
    "seal",
    "retry_after",
    "echoed_secrets",
    "pagination",
    "routes",
];

/// `cargo xtask fuzz [target] [--secs N]`: each target in turn (they share the
/// CPU badly), through `cargo +nightly fuzz run`.
fn fuzz(args: &[String]) -> Result<(), String> {
    let mut target = None;
    let mut secs: u64 = 60;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--secs" => {
                let value = rest.next().ok_or("`--secs` needs a number of seconds")?;
                secs = value
                    .parse()
                    .map_err(|_| format!("`--secs {value}`: not a number of seconds"))?;
            }
            t if FUZZ_TARGETS.contains(&t) && target.is_none() => target = Some(t),
            other => {
                return Err(format!(
                    "unknown fuzz target or option `{other}`; targets: {}",
                    FUZZ_TARGETS.join(", ")
                ));
            }
        }
    }
    let nightly = |args: &[&str]| {
        let mut cmd = Command::new("cargo");
        cmd.arg("+nightly")
            .args(args)
            .current_dir(root().join("fuzz"));
        cmd
    };
    if !nightly(&["--version"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Err(
            "fuzzing needs a nightly toolchain: `rustup toolchain install nightly` \
                    (through rustup, so that `cargo +nightly` works)"
                .to_owned(),
        );
    }
    if !nightly(&["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Err("fuzzing needs cargo-fuzz: `cargo install cargo-fuzz`".to_owned());
    }
    let targets = match target {
        Some(t) => vec![t],
        None => FUZZ_TARGETS.to_vec(),
    };
    let max_time = format!("-max_total_time={secs}");
    for t in targets {
        // An input that takes seconds is a hang; `routes` starts a local
        // tenant (two RSA keys) with its first input, and again when what
        // the inputs created has grown (see `auth0_local::fuzzing`).
        let timeout = if t == "routes" {
            "-timeout=60"
        } else {
            "-timeout=5"
        };
        // Release build with debug assertions (overflow checks); no sanitizer:
        // every crate forbids `unsafe`, so ASan would only cost throughput.
        run(&mut nightly(&[
            "fuzz",
            "run",
            t,
            "--release",
            "--debug-assertions",
            "--sanitizer",
            "none",
            "--",
            &max_time,
            timeout,
            "-print_final_stats=1",
        ]))?;
    }
    Ok(())
}
