//! Replays the checked-in fuzz corpus (`fuzz/corpus/routes/`) through the
//! same harness the `routes` fuzz target calls, so every input the fuzzer
//! kept (findings included) stays a regression test on stable. Run with
//! `--features fuzzing` (`cargo xtask test` does). See docs/FUZZING.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../fuzz/replay.rs"]
mod replay;

#[test]
fn routes_corpus() {
    replay::replay("routes", auth0_local::fuzzing::routes);
}
