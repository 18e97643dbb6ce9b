//! Replays the committed fuzz corpus (seeds and every input that once crashed a
//! target) through the fuzz targets' entry points, on stable Rust: what the fuzzers
//! found stays fixed.

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        run(&std::fs::read(&path).unwrap());
        n += 1;
    }
    assert!(n > 0, "no corpus for {target}");
}

#[test]
fn the_scenario_json_corpus_never_panics() {
    replay("scenario_json", fluidity::fuzzing::scenario_json);
}

#[test]
fn the_wire_requests_corpus_never_panics() {
    replay("wire_requests", fluidity::fuzzing::wire_requests);
}

#[test]
fn the_plan_small_corpus_never_panics() {
    replay("plan_small", fluidity::fuzzing::plan_small);
}
