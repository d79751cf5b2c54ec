//! `cargo bench -p auth0-jwt` runs the peer benchmarks of the repository's
//! `benches/` workspace: `jwt` (verify + validate per algorithm against raw
//! ring, raw ed25519-dalek and jsonwebtoken; once with auth0-jwt's opt-in
//! aws-lc RSA backend, once as auth0-jwt builds by default, ring verifying
//! RSA) and then `gateway` (the tower
//! layer with and without the verified-token cache against a jsonwebtoken
//! gateway).
//!
//! The peers (jsonwebtoken, aws-lc) live in that separate workspace so the
//! normal build, clippy and the test suite never compile them; this target
//! only starts `cargo bench` there. Pick one with
//! `cargo bench -p auth0-jwt -- jwt` (or `gateway`).

use std::path::Path;
use std::process::{Command, ExitCode};

const BENCHES: [&str; 2] = ["jwt", "gateway"];

fn main() -> ExitCode {
    // libtest-style flags (`--bench`, filters) arrive here; keep the names we know.
    let asked: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| BENCHES.contains(&a.as_str()))
        .collect();
    let which: Vec<&str> = if asked.is_empty() {
        BENCHES.to_vec()
    } else {
        asked.iter().map(String::as_str).collect()
    };
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../benches/Cargo.toml");
    if !manifest.is_file() {
        eprintln!(
            "peer benchmarks not found at {}: they live in the auth0-rs repository, \
             not in the published crate",
            manifest.display()
        );
        return ExitCode::FAILURE;
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut runs: Vec<(&str, &[&str])> = Vec::new();
    for bench in which {
        runs.push((bench, &[]));
        if bench == "jwt" {
            // Again as auth0-jwt builds by default: ring verifying RSA
            // (the bench crate's `aws-lc-rs` feature off).
            runs.push((bench, &["--no-default-features"]));
        }
    }
    for (bench, features) in runs {
        let status = Command::new(&cargo)
            .args(["bench", "--bench", bench, "--manifest-path"])
            .arg(&manifest)
            .args(features)
            // The outer `cargo bench` holds its target directory's lock while this
            // runs: build the peers in their own workspace's target directory.
            .env_remove("CARGO_TARGET_DIR")
            .status();
        match status {
            Ok(status) if status.success() => {}
            Ok(status) => {
                eprintln!("`cargo bench --bench {bench}` in benches/ failed: {status}");
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("could not start cargo for the {bench} benchmark: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
