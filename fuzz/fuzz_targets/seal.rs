//! See `auth0_redis::fuzzing::seal` for the properties checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| auth0_redis::fuzzing::seal(data));
