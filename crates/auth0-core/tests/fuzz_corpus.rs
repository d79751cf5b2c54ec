//! Replays the checked-in fuzz corpus (`fuzz/corpus/retry_after/`) through the same
//! harness the `retry_after` fuzz target calls, so every input the fuzzer kept
//! (findings included) stays a regression test on stable. Run with
//! `--features fuzzing` (`cargo xtask test` does). See docs/FUZZING.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../fuzz/replay.rs"]
mod replay;

use replay::replay;

#[test]
fn retry_after_corpus() {
    replay("retry_after", auth0_core::fuzzing::retry_after);
}

#[test]
fn echoed_secrets_corpus() {
    replay("echoed_secrets", auth0_core::fuzzing::echoed_secrets);
}
