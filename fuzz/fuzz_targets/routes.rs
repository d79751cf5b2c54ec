//! See `auth0_local::fuzzing::routes` for the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| auth0_local::fuzzing::routes(data));
