//! See `auth0_jwt::fuzzing::id_token` for the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| auth0_jwt::fuzzing::id_token(data));
