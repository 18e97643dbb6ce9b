#![no_main]
//! Fuzz target: see `fluidity::fuzzing::plan_small`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fluidity::fuzzing::plan_small(data));
