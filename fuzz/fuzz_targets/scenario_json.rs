#![no_main]
//! Fuzz target: see `fluidity::fuzzing::scenario_json`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fluidity::fuzzing::scenario_json(data));
