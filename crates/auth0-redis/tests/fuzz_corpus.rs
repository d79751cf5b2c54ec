//! Replays the checked-in fuzz corpus (`fuzz/corpus/seal/`) through the same
//! harness the `seal` fuzz target calls, so every input the fuzzer kept
//! (findings included) stays a regression test on stable. Run with
//! `--features fuzzing` (`cargo xtask test` does). See docs/FUZZING.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../fuzz/replay.rs"]
mod replay;

use replay::replay;

#[test]
fn seal_corpus() {
    replay("seal", auth0_redis::fuzzing::seal);
}
