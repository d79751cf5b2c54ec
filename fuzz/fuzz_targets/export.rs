//! See `auth0_management::fuzzing::export` for the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| auth0_management::fuzzing::export(data));
