//! The corpus replay every crate's `tests/fuzz_corpus.rs` runs on stable: one
//! file, included there with `#[path = "../../../fuzz/replay.rs"] mod replay;`
//! (each crate sits at `crates/<name>/`). See docs/FUZZING.md.

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

/// Runs `harness` on every corpus input of `target`, naming the input that
/// fails.
pub(crate) fn replay(target: &str, harness: fn(&[u8])) {
    for (path, data) in corpus(target) {
        if let Err(panic) = std::panic::catch_unwind(|| harness(&data)) {
            eprintln!("fuzz input {} failed", path.display());
            std::panic::resume_unwind(panic);
        }
    }
}
