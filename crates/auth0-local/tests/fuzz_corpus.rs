//! Replays the checked-in fuzz corpus (`fuzz/corpus/routes/`) through the
//! same harness the `routes` fuzz target calls, so every input the fuzzer
//! kept (findings included) stays a regression test on stable. Run with
//! `--features fuzzing` (`cargo xtask test` does). See docs/FUZZING.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

/// Every file of `fuzz/corpus/<target>/`, sorted (the directory must exist
/// and hold at least one input).
fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            (path, data)
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "empty corpus {}", dir.display());
    files
}

#[test]
fn routes_corpus() {
    for (path, data) in corpus("routes") {
        if let Err(panic) = std::panic::catch_unwind(|| auth0_local::fuzzing::routes(&data)) {
            eprintln!("fuzz input {} failed", path.display());
            std::panic::resume_unwind(panic);
        }
    }
}
