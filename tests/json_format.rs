//! One JSON format: a scenario file is the protobuf JSON of `fluidity.v1.Scenario`,
//! and `--format json` is the protobuf JSON of `fluidity.v1.Plan`. Both paths (the
//! core's serde types, and pbjson through the generated proto types) must agree.

use fluidity::wire::convert::{plan_to_proto, scenario_from_proto};
use fluidity::wire::proto;
use fluidity_solvers::{plan, PlanOptions, Scenario};
use std::path::Path;

fn examples() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 3);
    files
        .into_iter()
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_example_reads_the_same_through_the_core_and_through_protobuf_json() {
    for (name, text) in examples() {
        let core = Scenario::from_json(&text).unwrap();
        let wire: proto::Scenario =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let via_wire = scenario_from_proto(wire).unwrap();
        assert_eq!(core, via_wire, "{name}");
    }
}

#[test]
fn plan_json_is_the_protobuf_json_of_the_plan_byte_for_byte() {
    for (name, text) in examples() {
        let scenario = Scenario::from_json(&text).unwrap();
        let plan = plan(&scenario, &PlanOptions::default()).unwrap();
        let core_json = serde_json::to_string_pretty(&plan).unwrap();
        let wire_json = serde_json::to_string_pretty(&plan_to_proto(&plan)).unwrap();
        assert_eq!(core_json, wire_json, "{name}");
    }
}

#[test]
fn protobuf_json_spellings_the_core_also_reads() {
    // Field names as in the .proto, numbers as strings, "NaN" (refused later by validation).
    let text = r#"{"periods":[{"id":"q"}],"resources":[{"id":"eng","capacity":["10"],"reserve_min":"0.1","max_churn":"NaN"}],
                  "initiatives":[{"id":"a","kind":"OPERATIONS","current":1,"value":[{"up_to":2,"per_unit":3}]}]}"#;
    let core = Scenario::from_json(text).unwrap();
    let wire: proto::Scenario = serde_json::from_str(text).unwrap();
    let via_wire = scenario_from_proto(wire).unwrap();
    assert_eq!(core.resources[0].capacity, via_wire.resources[0].capacity);
    assert_eq!(
        core.resources[0].reserve_min,
        via_wire.resources[0].reserve_min
    );
    assert!(
        core.resources[0].max_churn.unwrap().is_nan()
            && via_wire.resources[0].max_churn.unwrap().is_nan()
    );
    assert_eq!(core.initiatives, via_wire.initiatives);
}
