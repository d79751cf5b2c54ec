//! Captures the version of the compiler building this crate, so the
//! `Auth0-Client` telemetry header and the default `User-Agent` can report it
//! without any work at run time.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=RUSTC");
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| parse_version(&text))
        // A missing or odd compiler must never break the build: the header
        // then reports "unknown".
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=AUTH0_CORE_RUSTC_VERSION={version}");
}

/// `rustc 1.95.0 (abcdef 2026-01-01)` → `1.95.0`; keeps only characters that
/// are safe in an HTTP header value and in JSON.
fn parse_version(text: &str) -> Option<String> {
    let word = text.split_whitespace().nth(1)?;
    let clean: String = word
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
        .collect();
    (!clean.is_empty()).then_some(clean)
}
