//! See `auth0_core::fuzzing::echoed_secrets` for the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| auth0_core::fuzzing::echoed_secrets(data));
