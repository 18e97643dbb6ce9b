//! The entry points of the fuzz targets in `fuzz/`, here so that the corpus replay
//! test (`tests/fuzz_corpus.rs`) runs exactly what the fuzzers ran, on stable Rust.
//! Each takes arbitrary bytes and must return without panicking, whatever they are.

use crate::wire::convert::{scenario_from_proto, via_json};
use crate::wire::proto;
use fluidity_solvers::whatif::variant::Variant;
use fluidity_solvers::{plan, validate, Limits, PlanOptions, Scenario};
use prost::Message;

/// The largest problem `plan_small` solves, so a fuzzer spends its time on inputs.
const SMALL: usize = 2_000;

/// Scenario JSON: parse, validate, and read the same bytes as a variant file applied
/// to a small base.
pub fn scenario_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(scenario) = Scenario::from_json(text) {
        let _ = validate(&scenario, &Limits::default());
        let _ = fluidity_solvers::variable_count(&scenario);
    }
    if let Ok(variants) = Variant::list_from_json(text) {
        let base = base();
        for (k, v) in variants.iter().enumerate() {
            let _ = v.apply(&base, &format!("variants[{k}]"));
        }
    }
}

/// Protobuf bytes as every request message: decode, convert, validate.
pub fn wire_requests(data: &[u8]) {
    if let Ok(request) = proto::PlanRequest::decode(data) {
        if let Some(s) = request.scenario {
            if let Ok(scenario) = scenario_from_proto(s) {
                let _ = validate(&scenario, &Limits::default());
            }
        }
    }
    if let Ok(request) = proto::ValidateRequest::decode(data) {
        if let Some(s) = request.scenario {
            let _ = scenario_from_proto(s);
        }
    }
    if let Ok(request) = proto::CompareRequest::decode(data) {
        let base = request.base.map(scenario_from_proto);
        for v in &request.variants {
            if let (Ok(variant), Some(Ok(base))) = (via_json::<_, Variant>(v), &base) {
                let _ = variant.apply(base, "variants[0]");
            }
        }
    }
    if let Ok(request) = proto::SweepRequest::decode(data) {
        if let Some(s) = request.base {
            let _ = scenario_from_proto(s);
        }
    }
}

/// Parse, validate and solve small scenarios under a short time limit.
pub fn plan_small(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(scenario) = Scenario::from_json(text) else {
        return;
    };
    let options = PlanOptions {
        limits: Limits {
            max_variables: SMALL,
            ..Limits::default()
        },
        time_limit: Some(1.0),
        ..PlanOptions::default()
    };
    if let Ok(p) = plan(&scenario, &options) {
        // The plan must serialise and convert like any other.
        let _ = serde_json::to_string(&p);
        let _ = crate::wire::convert::plan_to_proto(&p);
    }
}

fn base() -> Scenario {
    Scenario::from_json(
        r#"{"periods":[{"id":"m1"},{"id":"m2"}],"resources":[{"id":"eng","capacity":[10]}],
            "initiatives":[{"id":"a","requirements":{"eng":1},"current":2,"value":[{"upTo":5,"perUnit":3}]}]}"#,
    )
    .expect("the fuzzing base scenario parses")
}
