//! The lifecycle's arithmetic: priority changes, execution against plan, alerts, and
//! the scenario of the periods left. Expected numbers are worked out by hand from the
//! model document (value curves, floors), not read from the code.

mod common;
use common::*;
use fluidity_solvers::lifecycle::{
    alerts, execution, priority_changes, replan_scenario, Actual, AlertKind, Triggers,
};
use fluidity_solvers::{Change, Scenario};
use serde_json::json;

/// Two initiatives on 10 engineers over three months: `growth` earns 5 a unit up to 6,
/// `ops` (OPERATIONS, floor 3) earns 2 a unit.
fn quarter() -> Scenario {
    scenario(json!({
        "name": "q",
        "periods": [{"id": "oct"}, {"id": "nov"}, {"id": "dec", "weight": 2}],
        "resources": [{"id": "eng", "capacity": [10, 10, 12]}],
        "initiatives": [
            {"id": "growth", "requirements": {"eng": 1}, "current": 2,
             "value": [{"upTo": 6, "perUnit": 5}]},
            {"id": "ops", "kind": "OPERATIONS", "requirements": {"eng": 1}, "current": 4, "min": 3,
             "value": [{"perUnit": 2}]}
        ]
    }))
}

fn actual(initiative: &str, period: &str, activity: f64) -> Actual {
    Actual {
        initiative: initiative.into(),
        period: period.into(),
        activity,
    }
}

#[test]
fn the_first_approval_confirms_every_initiative_that_ends_away_from_today() {
    let s = quarter();
    let p = solve(&s);
    // growth fills its curve (6), ops takes the rest: 4 of 10, then 6 of 12 in dec.
    let changes = priority_changes(None, &s, &p);
    let growth = changes.iter().find(|c| c.initiative == "growth").unwrap();
    assert_eq!((growth.from, growth.change), (2.0, Change::Grow));
    assert_close(growth.to, 6.0);
    let ops = changes.iter().find(|c| c.initiative == "ops").unwrap();
    assert_close(ops.to, 6.0);
    assert_eq!(ops.change, Change::Grow);
}

#[test]
fn a_plan_compared_with_itself_confirms_no_change() {
    let s = quarter();
    let p = solve(&s);
    assert!(priority_changes(Some(&p), &s, &p).is_empty());
}

#[test]
fn execution_measures_deviation_value_and_capacity_by_hand() {
    let s = quarter();
    let p = solve(&s);
    // growth ran 3 instead of 6 in oct; ops as planned (4).
    let run = execution(&s, &p, &[actual("growth", "oct", 3.0)]).unwrap();
    assert_eq!(run.periods.len(), 1, "only recorded periods");
    let growth = &run.initiatives[0];
    assert!(growth.recorded);
    assert_close(growth.deviation, -3.0);
    assert_close(growth.relative_deviation, -0.5);
    assert!(!run.initiatives[1].recorded, "ops taken as planned");
    // value planned 6*5 + 4*2 = 38, realised 3*5 + 4*2 = 23.
    assert_close(run.periods[0].value_planned, 38.0);
    assert_close(run.periods[0].value_realised, 23.0);
    assert_close(run.resources[0].used, 7.0);
    assert_close(run.resources[0].capacity, 10.0);
}

#[test]
fn triggers_raise_deviation_shortfall_floor_and_capacity_alerts() {
    let s = quarter();
    let p = solve(&s);
    let run = execution(
        &s,
        &p,
        &[
            actual("growth", "oct", 3.0),
            actual("ops", "oct", 8.0),
            actual("ops", "nov", 2.0),
        ],
    )
    .unwrap();
    let triggers = Triggers {
        max_relative_deviation: Some(0.25),
        max_value_shortfall: Some(0.1),
        resource_over_capacity: true,
        operations_below_floor: true,
    };
    let raised = alerts(&run, &triggers);
    let kinds: Vec<(AlertKind, &str, &str)> = raised
        .iter()
        .map(|a| (a.kind, a.subject.as_str(), a.period.as_str()))
        .collect();
    // oct: growth -50%, ops +100%; nov: ops -50% and below its floor of 3;
    // oct value 3*5 + 8*2 = 31 of 38 (18% short); nov 6*5 + 2*2 = 34 of 38 (10.5%);
    // oct uses 11 of 10.
    assert_eq!(
        kinds,
        vec![
            (AlertKind::Deviation, "growth", "oct"),
            (AlertKind::Deviation, "ops", "oct"),
            (AlertKind::Deviation, "ops", "nov"),
            (AlertKind::BelowFloor, "ops", "nov"),
            (AlertKind::ValueShortfall, "", "oct"),
            (AlertKind::ValueShortfall, "", "nov"),
            (AlertKind::OverCapacity, "eng", "oct"),
        ]
    );
}

#[test]
fn no_trigger_no_alert() {
    let s = quarter();
    let p = solve(&s);
    let run = execution(&s, &p, &[actual("growth", "oct", 0.0)]).unwrap();
    assert!(alerts(&run, &Triggers::default()).is_empty());
}

#[test]
fn bad_actuals_are_refused_with_their_paths() {
    let s = quarter();
    let p = solve(&s);
    let problems = execution(
        &s,
        &p,
        &[
            actual("nobody", "oct", 1.0),
            actual("growth", "jan", 1.0),
            actual("growth", "oct", -1.0),
            actual("ops", "nov", f64::NAN),
            actual("ops", "oct", 1.0),
            actual("ops", "oct", 2.0),
        ],
    )
    .unwrap_err();
    let paths: Vec<&str> = problems.iter().map(|v| v.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "actuals[0].initiative",
            "actuals[1].period",
            "actuals[2].activity",
            "actuals[3].activity",
            "actuals[5].period"
        ]
    );
}

#[test]
fn the_replanned_scenario_starts_where_things_really_are() {
    let s = quarter();
    let p = solve(&s);
    let r = replan_scenario(
        &s,
        &p,
        &[actual("growth", "oct", 3.0), actual("growth", "nov", 4.5)],
    )
    .unwrap();
    assert_eq!(r.from_period, "nov");
    assert_eq!(r.scenario.periods.len(), 1);
    assert_eq!(r.scenario.periods[0].id, "dec");
    assert_eq!(r.scenario.resources[0].capacity, vec![12.0]);
    assert_eq!(r.scenario.initiatives[0].current, 4.5);
    // ops has no actual in nov: taken as planned.
    assert_close(
        r.scenario.initiatives[1].current,
        p.initiatives[1].activity[1],
    );
    assert_eq!(r.assumed_as_planned, vec!["ops".to_string()]);
    // and it plans.
    assert_eq!(solve(&r.scenario).status, fluidity_solvers::Status::Optimal);
}

#[test]
fn nothing_is_left_to_replan_after_the_last_period() {
    let s = quarter();
    let p = solve(&s);
    let problems = replan_scenario(&s, &p, &[actual("growth", "dec", 1.0)]).unwrap_err();
    assert!(
        problems[0].message.contains("no period is left"),
        "{problems:?}"
    );
    assert!(replan_scenario(&s, &p, &[]).is_err());
}

#[test]
fn recorded_resource_use_replaces_the_computed_and_can_raise_over_capacity() {
    use fluidity_solvers::lifecycle::{execution_with_use, ResourceActual};
    let s = quarter();
    let p = solve(&s);
    // Only use recorded in nov: 11 engineers busy (capacity 10), activity as planned.
    let used = [ResourceActual {
        resource: "eng".into(),
        period: "nov".into(),
        used: 11.0,
    }];
    let run = execution_with_use(&s, &p, &[], &used).unwrap();
    assert_eq!(
        run.periods.len(),
        1,
        "a period with only resource use counts as recorded"
    );
    assert_eq!(run.periods[0].period, "nov");
    assert!(run.resources[0].recorded);
    assert_close(run.resources[0].used, 11.0);
    assert!(run.initiatives.iter().all(|e| !e.recorded));
    let raised = alerts(
        &run,
        &Triggers {
            resource_over_capacity: true,
            ..Triggers::default()
        },
    );
    assert_eq!(raised.len(), 1);
    assert_eq!(raised[0].kind, AlertKind::OverCapacity);
}

#[test]
fn bad_resource_use_is_refused_with_its_paths() {
    use fluidity_solvers::lifecycle::{execution_with_use, ResourceActual};
    let s = quarter();
    let p = solve(&s);
    let bad = [
        ResourceActual {
            resource: "capital".into(),
            period: "oct".into(),
            used: 1.0,
        },
        ResourceActual {
            resource: "eng".into(),
            period: "oct".into(),
            used: f64::INFINITY,
        },
    ];
    let problems = execution_with_use(&s, &p, &[actual("nobody", "oct", 1.0)], &bad).unwrap_err();
    let paths: Vec<&str> = problems.iter().map(|v| v.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "actuals[0].initiative",
            "resourceUse[0].resource",
            "resourceUse[1].used"
        ]
    );
}
