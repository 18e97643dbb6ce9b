#![no_main]
//! Fuzz target: see `fluidity::fuzzing::wire_requests`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fluidity::fuzzing::wire_requests(data));
