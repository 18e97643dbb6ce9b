//! One test per validation rule of the model document: each breaks one rule in an
//! otherwise valid scenario and checks the problem is reported at its field path.

mod common;
use common::scenario;
use fluidity_solvers::{plan, validate, Limits, PlanError, PlanOptions, Scenario};
use serde_json::{json, Value};

fn valid() -> Value {
    json!({
        "name": "base",
        "periods": [{"id": "m1"}, {"id": "m2"}],
        "resources": [
            {"id": "eng", "capacity": [10, 8], "reserveMin": 0.1, "moveCost": 0.5, "maxChurn": 0.2},
            {"id": "capital", "capacity": [100]}
        ],
        "initiatives": [
            {"id": "a", "requirements": {"eng": 1, "capital": 5}, "current": 2,
             "value": [{"upTo": 4, "perUnit": 3}, {"perUnit": 1}], "rampUp": 2, "rampDown": 2},
            {"id": "b", "kind": "OPERATIONS", "requirements": {"eng": 2}, "current": 1, "min": 1, "max": 3,
             "value": [{"perUnit": 2}]}
        ],
        "groups": [{"id": "g", "resource": "eng", "initiatives": ["a", "b"], "min": 1, "max": 9}],
        "dependencies": [{"initiative": "a", "requires": "b", "ratio": 4}],
        "policy": {"tierTolerance": 0.1, "timeLimitSeconds": 10}
    })
}

/// The (path, message) pairs validation reports for a scenario.
fn problems(json: Value) -> Vec<(String, String)> {
    problems_of(&scenario(json), &Limits::default())
}

fn problems_of(s: &Scenario, limits: &Limits) -> Vec<(String, String)> {
    match validate(s, limits) {
        Ok(()) => Vec::new(),
        Err(e) => e
            .violations
            .into_iter()
            .map(|v| (v.path, v.message))
            .collect(),
    }
}

#[track_caller]
fn assert_reported(json: Value, path: &str, words: &str) {
    let found = problems(json);
    assert!(
        found.iter().any(|(p, m)| p == path && m.contains(words)),
        "expected `{path}: ...{words}...` in {found:#?}"
    );
}

#[test]
fn the_base_scenario_is_valid() {
    assert_eq!(problems(valid()), vec![]);
}

#[test]
fn empty_ids_are_refused() {
    let mut s = valid();
    s["periods"][1]["id"] = json!("");
    s["initiatives"][0]["id"] = json!(" ");
    assert_reported(s.clone(), "periods[1].id", "must not be empty");
    assert_reported(s, "initiatives[0].id", "must not be empty");
}

#[test]
fn duplicate_ids_are_refused_in_each_list() {
    let mut s = valid();
    s["periods"][1]["id"] = json!("m1");
    s["resources"][1]["id"] = json!("eng");
    s["initiatives"][1]["id"] = json!("a");
    s["groups"] = json!([{"id": "g", "resource": "eng"}, {"id": "g", "resource": "eng"}]);
    s["dependencies"] = json!([]);
    let found = problems(s);
    for path in [
        "periods[1].id",
        "resources[1].id",
        "initiatives[1].id",
        "groups[1].id",
    ] {
        assert!(
            found
                .iter()
                .any(|(p, m)| p == path && m.contains("duplicate id")),
            "{path} in {found:#?}"
        );
    }
}

#[test]
fn requirements_must_name_known_resources() {
    let mut s = valid();
    s["initiatives"][0]["requirements"]["design"] = json!(1);
    assert_reported(
        s,
        "initiatives[0].requirements.design",
        "unknown resource \"design\"",
    );
}

#[test]
fn groups_must_name_known_resources_and_initiatives() {
    let mut s = valid();
    s["groups"][0]["resource"] = json!("design");
    s["groups"][0]["initiatives"] = json!(["a", "zzz"]);
    assert_reported(s.clone(), "groups[0].resource", "unknown resource");
    assert_reported(s, "groups[0].initiatives[1]", "unknown initiative \"zzz\"");
}

#[test]
fn dependencies_must_name_known_initiatives() {
    let mut s = valid();
    s["dependencies"][0]["requires"] = json!("ghost");
    assert_reported(
        s,
        "dependencies[0].requires",
        "unknown initiative \"ghost\"",
    );
}

#[test]
fn non_finite_numbers_are_refused_wherever_they_appear() {
    let mut s = valid();
    s["resources"][0]["capacity"][1] = json!("NaN");
    s["initiatives"][0]["current"] = json!("Infinity");
    s["initiatives"][0]["value"][0]["perUnit"] = json!("-Infinity");
    s["initiatives"][1]["max"] = json!("NaN");
    s["periods"][0]["weight"] = json!("NaN");
    s["policy"]["tierTolerance"] = json!("Infinity");
    let found = problems(s);
    for path in [
        "resources[0].capacity[1]",
        "initiatives[0].current",
        "initiatives[0].value[0].perUnit",
        "initiatives[1].max",
        "periods[0].weight",
        "policy.tierTolerance",
    ] {
        assert!(
            found.iter().any(|(p, m)| p == path && m.contains("finite")),
            "{path} in {found:#?}"
        );
    }
}

#[test]
fn negative_quantities_are_refused() {
    let mut s = valid();
    s["resources"][1]["capacity"][0] = json!(-1);
    s["resources"][0]["moveCost"] = json!(-0.5);
    s["resources"][0]["maxChurn"] = json!(-0.1);
    s["initiatives"][0]["requirements"]["eng"] = json!(-1);
    s["initiatives"][0]["current"] = json!(-2);
    s["initiatives"][0]["rampUp"] = json!(-1);
    s["initiatives"][0]["rampDown"] = json!(-1);
    s["dependencies"][0]["ratio"] = json!(-1);
    s["policy"]["tierTolerance"] = json!(-0.1);
    s["policy"]["timeLimitSeconds"] = json!(-3);
    let found = problems(s);
    for path in [
        "resources[1].capacity[0]",
        "resources[0].moveCost",
        "resources[0].maxChurn",
        "initiatives[0].requirements.eng",
        "initiatives[0].current",
        "initiatives[0].rampUp",
        "initiatives[0].rampDown",
        "dependencies[0].ratio",
        "policy.tierTolerance",
        "policy.timeLimitSeconds",
    ] {
        assert!(
            found.iter().any(|(p, m)| p == path && m.contains(">= 0")),
            "{path} in {found:#?}"
        );
    }
}

#[test]
fn period_weight_must_be_positive() {
    let mut s = valid();
    s["periods"][1]["weight"] = json!(0);
    assert_reported(s, "periods[1].weight", "must be > 0");
}

#[test]
fn reserve_min_must_be_a_fraction_below_one() {
    let mut s = valid();
    s["resources"][0]["reserveMin"] = json!(1.0);
    s["resources"][1]["reserveMin"] = json!(-0.1);
    assert_reported(s.clone(), "resources[0].reserveMin", "[0, 1)");
    assert_reported(s, "resources[1].reserveMin", "[0, 1)");
}

#[test]
fn an_explicit_min_above_max_is_refused() {
    let mut s = valid();
    s["initiatives"][1]["min"] = json!(5);
    assert_reported(s, "initiatives[1].min", "above max");
}

#[test]
fn a_group_min_above_its_max_is_refused() {
    let mut s = valid();
    s["groups"][0]["min"] = json!(10);
    assert_reported(s, "groups[0].min", "above max");
}

#[test]
fn two_dependencies_between_the_same_pair_are_refused() {
    let mut s = valid();
    s["dependencies"] = json!([
        {"initiative": "a", "requires": "b"},
        {"initiative": "a", "requires": "b", "ratio": 2}
    ]);
    assert_reported(s, "dependencies[1]", "duplicate of dependencies[0]");
}

#[test]
fn capacity_needs_one_value_or_one_per_period() {
    let mut s = valid();
    s["resources"][0]["capacity"] = json!([1, 2, 3]);
    s["resources"][1]["capacity"] = json!([]);
    assert_reported(s.clone(), "resources[0].capacity", "has 3 values");
    assert_reported(s, "resources[1].capacity", "has 0 values");
}

#[test]
fn segments_must_rise_in_up_to_and_not_rise_in_value() {
    let mut s = valid();
    s["initiatives"][0]["value"] = json!([
        {"upTo": 4, "perUnit": 3},
        {"upTo": 4, "perUnit": 5},
        {"upTo": 0, "perUnit": 1},
        {"perUnit": 1}
    ]);
    let found = problems(s);
    assert!(
        found
            .iter()
            .any(|(p, m)| p == "initiatives[0].value[1].upTo" && m.contains("above the previous")),
        "{found:#?}"
    );
    assert!(found.iter().any(|(p, m)| p == "initiatives[0].value[1].perUnit" && m.contains("must not increase")), "{found:#?}");
    assert!(
        found
            .iter()
            .any(|(p, m)| p == "initiatives[0].value[2].upTo" && m.contains("> 0")),
        "{found:#?}"
    );
}

#[test]
fn only_the_last_segment_may_omit_up_to() {
    let mut s = valid();
    s["initiatives"][0]["value"] = json!([{"perUnit": 3}, {"upTo": 5, "perUnit": 1}]);
    assert_reported(s, "initiatives[0].value[0].upTo", "only the last segment");
}

#[test]
fn an_initiative_cannot_depend_on_itself() {
    let mut s = valid();
    s["dependencies"][0]["requires"] = json!("a");
    assert_reported(s, "dependencies[0].requires", "cannot depend on itself");
}

#[test]
fn a_scenario_needs_periods_and_resources() {
    assert_reported(json!({"initiatives": []}), "periods", "at least one period");
    assert_reported(
        json!({"periods": [{"id": "m"}]}),
        "resources",
        "at least one resource",
    );
}

#[test]
fn an_initiative_earning_value_without_bound_or_resource_use_is_refused() {
    // Clarabel would report such an LP as solved; validation closes that trap.
    let mut s = valid();
    s["initiatives"].as_array_mut().unwrap().push(json!(
        {"id": "free", "current": 0, "value": [{"perUnit": 1}]}
    ));
    assert_reported(s.clone(), "initiatives[2].value", "unbounded");
    let error = plan(&scenario(s), &PlanOptions::default()).unwrap_err();
    assert!(matches!(error, PlanError::Invalid(_)), "{error:?}");
}

#[test]
fn the_same_initiative_with_a_max_or_locked_is_valid() {
    for extra in [json!({"max": 3}), json!({"locked": true})] {
        let mut s = valid();
        let mut free = json!({"id": "free", "current": 0, "value": [{"perUnit": 1}]});
        free.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        s["initiatives"].as_array_mut().unwrap().push(free);
        assert_eq!(problems(s), vec![]);
    }
}

#[test]
fn a_problem_above_the_size_limit_is_refused() {
    let s = scenario(valid());
    let found = problems_of(
        &s,
        &Limits {
            max_variables: 3,
            ..Limits::default()
        },
    );
    assert!(
        found
            .iter()
            .any(|(p, m)| p == "initiatives" && m.contains("above the limit of 3")),
        "{found:#?}"
    );
}

#[test]
fn an_unknown_or_absent_solver_is_refused_with_the_list_of_those_compiled_in() {
    let mut s = valid();
    s["policy"]["solver"] = json!("gurobi");
    let compiled = fluidity_solvers::SOLVERS.join(", ");
    assert_reported(
        s.clone(),
        "policy.solver",
        &format!("available: {compiled}"),
    );
    if cfg!(not(feature = "highs")) {
        s["policy"]["solver"] = json!("highs");
        assert_reported(s, "policy.solver", "not compiled into this build");
    }
}

#[test]
fn clarabel_cannot_be_asked_to_solve_whole_units() {
    let mut s = valid();
    s["policy"]["solver"] = json!("clarabel");
    s["initiatives"][1]["integral"] = json!(true);
    assert_reported(s, "policy.solver", "cannot solve integral initiatives");
}

#[test]
fn every_problem_is_listed_at_once() {
    let mut s = valid();
    s["periods"][0]["weight"] = json!(-1);
    s["resources"][0]["reserveMin"] = json!(2);
    s["initiatives"][0]["current"] = json!(-1);
    s["dependencies"][0]["requires"] = json!("nobody");
    assert_eq!(problems(s).len(), 4);
}

#[test]
fn unknown_fields_are_parse_errors_with_their_path() {
    let mut s = valid();
    s["resources"][0]["maxChrun"] = json!(0.1);
    let error = Scenario::from_json(&s.to_string()).unwrap_err();
    assert_eq!(error.path, "resources[0].maxChrun");
    assert!(
        error.message.contains("unknown field `maxChrun`"),
        "{error}"
    );
}

#[test]
fn wrongly_typed_fields_are_parse_errors_with_their_path() {
    let mut s = valid();
    s["initiatives"][1]["requirements"]["eng"] = json!("lots");
    let error = Scenario::from_json(&s.to_string()).unwrap_err();
    assert_eq!(error.path, "initiatives[1].requirements.eng");
}

#[test]
fn proto_field_names_and_numbers_in_strings_are_accepted() {
    let mut s = valid();
    s["resources"][0]
        .as_object_mut()
        .unwrap()
        .remove("reserveMin");
    s["resources"][0]["reserve_min"] = json!("0.25");
    let parsed = scenario(s);
    assert_eq!(parsed.resources[0].reserve_min, Some(0.25));
}

#[test]
fn a_contradictory_scenario_is_valid_and_planned_as_infeasible() {
    let mut s = valid();
    s["initiatives"][1]["min"] = json!(3);
    s["resources"][0]["capacity"] = json!([1]);
    assert_eq!(problems(s.clone()), vec![]);
    let plan = plan(&scenario(s), &PlanOptions::default()).unwrap();
    assert_eq!(plan.status, fluidity_solvers::Status::Infeasible);
    assert!(!plan.diagnosis.is_empty());
}

#[test]
fn a_problem_above_the_constraint_limit_is_refused() {
    let s = scenario(valid());
    let found = problems_of(
        &s,
        &Limits {
            max_constraints: 5,
            ..Limits::default()
        },
    );
    assert!(
        found
            .iter()
            .any(|(p, m)| p == "initiatives" && m.contains("constraints, above the limit of 5")),
        "{found:#?}"
    );
}
