//! Replays the checked-in fuzz corpora (`fuzz/corpus/pagination/`,
//! `fuzz/corpus/export/`) through the same harnesses the `pagination` and
//! `export` fuzz targets call, so every input the fuzzer kept
//! (findings included) stays a regression test on stable. Run with
//! `--features fuzzing` (`cargo xtask test` does). See docs/FUZZING.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../fuzz/replay.rs"]
mod replay;

use replay::replay;

#[test]
fn pagination_corpus() {
    replay("pagination", auth0_management::fuzzing::pagination);
}

#[test]
fn export_corpus() {
    replay("export", auth0_management::fuzzing::export);
}
