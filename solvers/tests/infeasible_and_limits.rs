//! Infeasible scenarios are answers, not errors; time limits give the best plan
//! found or a clear error.

mod common;
use common::*;
use fluidity_solvers::{plan, PlanError, PlanOptions};
use fluidity_solvers::{Change, Status};
use serde_json::json;

fn floors_above_capacity() -> serde_json::Value {
    json!({
        "periods": [{"id": "q"}],
        "resources": [{"id": "eng", "capacity": [10]}],
        "initiatives": [
            {"id": "a", "kind": "OPERATIONS", "requirements": {"eng": 1}, "current": 6, "value": [{"perUnit": 1}]},
            {"id": "b", "kind": "OPERATIONS", "requirements": {"eng": 1}, "current": 6, "value": [{"perUnit": 2}]}
        ]
    })
}

#[test]
fn floors_above_capacity_are_diagnosed_with_the_cheapest_relaxation() {
    // Raising capacity by 2 costs 2/10; lowering a floor by 2 costs 2/6.
    let p = solve_json(floors_above_capacity());
    assert_eq!(p.status, Status::Infeasible);
    assert_eq!(p.diagnosis.len(), 1, "{:?}", p.diagnosis);
    assert_eq!(p.diagnosis[0].constraint, "capacity[eng@q]");
    assert_close(p.diagnosis[0].relax_by, 2.0);
}

#[test]
fn an_infeasible_plan_shows_the_status_quo() {
    let p = solve_json(floors_above_capacity());
    assert_all_close(&activity(&p, "a"), &[6.0]);
    assert!(p.initiatives.iter().all(|i| i.change == Change::Hold));
    assert_close(p.baseline.value, 18.0);
    assert_close(p.value, 18.0);
    assert_close(p.objective, 18.0);
    assert_eq!(p.move_cost, 0.0);
    assert!(p.moves.is_empty() && p.bottlenecks.is_empty());
    assert!(p.resources[0].shadow_price.iter().all(|&x| x == 0.0));
    assert!(!p.baseline.feasible);
    assert_eq!(p.baseline.violations, vec!["capacity[eng@q]".to_string()]);
    assert_eq!(p.solver.stages, 1);
}

#[test]
fn a_floor_that_a_ramp_cannot_reach_is_diagnosed() {
    // min 5 from current 0 with rampUp 1: the floor or the ramp must give.
    let p = solve_json(json!({
        "periods": [{"id": "m1"}, {"id": "m2"}],
        "resources": [{"id": "eng", "capacity": [100]}],
        "initiatives": [{"id": "a", "requirements": {"eng": 1}, "current": 0, "min": 5, "rampUp": 1, "value": [{"perUnit": 1}]}]
    }));
    assert_eq!(p.status, Status::Infeasible);
    let names: Vec<&str> = p.diagnosis.iter().map(|d| d.constraint.as_str()).collect();
    assert!(
        names
            .iter()
            .all(|n| n.starts_with("min[a@") || n.starts_with("rampUp[a@")),
        "{names:?}"
    );
}

#[test]
fn a_contradiction_inside_one_initiative_is_diagnosed_in_its_own_units() {
    // min 4 above the curve's end at 3: hi = 3 < lo = 4.
    let p = solve_json(json!({
        "periods": [{"id": "q"}],
        "resources": [{"id": "eng", "capacity": [100]}],
        "initiatives": [{"id": "a", "requirements": {"eng": 1}, "current": 0, "min": 4,
                         "value": [{"upTo": 3, "perUnit": 1}]}]
    }));
    assert_eq!(p.status, Status::Infeasible);
    let total: f64 = p.diagnosis.iter().map(|d| d.relax_by).sum();
    assert_close(total, 1.0);
}

#[test]
fn a_group_floor_on_initiatives_that_use_nothing_of_its_resource_is_diagnosed() {
    let p = solve_json(json!({
        "periods": [{"id": "q"}],
        "resources": [{"id": "eng", "capacity": [10]}, {"id": "capital", "capacity": [10]}],
        "initiatives": [{"id": "a", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 5, "perUnit": 1}]}],
        "groups": [{"id": "spend", "resource": "capital", "initiatives": ["a"], "min": 3}]
    }));
    assert_eq!(p.status, Status::Infeasible);
    assert_eq!(p.diagnosis[0].constraint, "groupMin[spend@q]");
    assert_close(p.diagnosis[0].relax_by, 3.0);
}

fn hard_integral_scenario(policy_seconds: f64) -> fluidity_solvers::Scenario {
    let mut initiatives = Vec::new();
    for k in 0..30 {
        initiatives.push(json!({"id": format!("i{k}"), "requirements": {"eng": 1.0 + (k % 7) as f64 * 0.37},
            "current": 0, "integral": true, "value": [{"upTo": 5, "perUnit": 1.0 + (k % 5) as f64}]}));
    }
    scenario(json!({
        "periods": [{"id": "m1"}, {"id": "m2"}, {"id": "m3"}],
        "resources": [{"id": "eng", "capacity": [37.3]}],
        "initiatives": initiatives,
        "policy": {"timeLimitSeconds": policy_seconds}
    }))
}

#[track_caller]
fn assert_feasible_or_out_of_time(s: &fluidity_solvers::Scenario, options: &PlanOptions) {
    match plan(s, options) {
        Ok(p) => {
            assert!(
                matches!(p.status, Status::Feasible | Status::Optimal),
                "{:?}",
                p.status
            );
            assert!(broken_constraints(s, &activities(&p)).is_empty());
        }
        Err(PlanError::TimeLimit { seconds }) => assert_eq!(seconds, 0.0),
        Err(other) => panic!("unexpected error {other}"),
    }
}

#[test]
fn a_zero_time_limit_gives_a_feasible_plan_or_a_clear_error() {
    assert_feasible_or_out_of_time(&hard_integral_scenario(0.0), &PlanOptions::default());
}

#[test]
fn the_callers_time_limit_caps_the_policys() {
    // The policy allows 1000 s; the caller (a gRPC deadline, say) allows none.
    let options = PlanOptions {
        time_limit: Some(0.0),
        ..PlanOptions::default()
    };
    assert_feasible_or_out_of_time(&hard_integral_scenario(1000.0), &options);
}

#[test]
fn a_raised_cancel_flag_stops_the_plan() {
    let (cancel, flag) = fluidity_solvers::Cancel::new();
    flag.store(true, std::sync::atomic::Ordering::SeqCst);
    let options = PlanOptions {
        cancel,
        ..PlanOptions::default()
    };
    let error = plan(&scenario(floors_above_capacity()), &options).unwrap_err();
    assert_eq!(error, PlanError::Cancelled);
}

#[test]
fn clarabel_stops_between_iterations_when_cancelled() {
    use fluidity_solvers::generate::{generate, Shape};
    let mut big = generate(Shape {
        initiatives: 1500,
        resources: 6,
        periods: 6,
        seed: 2,
        integral_share: 0.0,
    });
    big.policy.solver = "clarabel".to_string();
    let (cancel, flag) = fluidity_solvers::Cancel::new();
    let raiser = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    let options = PlanOptions {
        cancel,
        ..PlanOptions::default()
    };
    // Either the flag went up before the first stage, or Clarabel saw it mid-solve.
    assert_eq!(plan(&big, &options).unwrap_err(), PlanError::Cancelled);
    raiser.join().unwrap();
}

/// Capital counted in units of 1e-7 (a floor that needs 3e-7 of the 1e-7 there is):
/// the cheapest relaxation, capacity by 2e-7, is tiny in those units but the whole
/// story. It was dropped as round-off (under 1e-6 absolute) and the plan failed with
/// "nothing to relax".
#[test]
fn a_shortfall_in_tiny_units_is_diagnosed() {
    let p = solve_json(serde_json::json!({
        "periods": [{"id": "dec"}],
        "resources": [{"id": "capital", "capacity": [1e-7]}],
        "initiatives": [{"id": "ops", "requirements": {"capital": 1e-7}, "current": 3,
                         "min": 3, "value": [{"perUnit": 1}]}]
    }));
    assert_eq!(p.status, fluidity_solvers::Status::Infeasible);
    assert_eq!(p.diagnosis.len(), 1, "{:?}", p.diagnosis);
    assert_eq!(p.diagnosis[0].constraint, "capacity[capital@dec]");
    assert!(
        (p.diagnosis[0].relax_by - 2e-7).abs() <= 1e-12,
        "{}",
        p.diagnosis[0].relax_by
    );
}

fn floor_above_curve_end_by(gap: f64) -> serde_json::Value {
    json!({
        "periods": [{"id": "q"}],
        "resources": [{"id": "eng", "capacity": [9.3]}],
        "initiatives": [
            {"id": "a", "requirements": {"eng": 1.2}, "current": 3.7, "min": 1.3,
             "value": [{"upTo": 0.7, "perUnit": 4.2}, {"upTo": 1.3 - gap, "perUnit": 1.1}]},
            {"id": "b", "requirements": {"eng": 0.2}, "current": 2.8, "value": [{"perUnit": 6.5}]}
        ]
    })
}

/// A floor above the value curve's end by a ten-millionth of it (a derived lo_i > hi_i,
/// which the model document calls infeasible) is more than the solvers' tolerance and
/// less than the diagnosis's 1e-6 of a row: the plan failed with "nothing to relax"
/// instead of answering INFEASIBLE.
#[test]
fn a_contradiction_of_a_ten_millionth_is_infeasible_with_its_diagnosis() {
    let p = solve_json(floor_above_curve_end_by(1e-7));
    assert_eq!(p.status, Status::Infeasible);
    assert_eq!(p.diagnosis.len(), 1, "{:?}", p.diagnosis);
    assert!(
        ["min[a@q]", "max[a@q]"].contains(&p.diagnosis[0].constraint.as_str()),
        "{:?}",
        p.diagnosis
    );
    assert!(
        (p.diagnosis[0].relax_by - 1e-7).abs() <= 1e-9,
        "{:?}",
        p.diagnosis
    );
}

/// The same contradiction at round-off size (two ulps) is within every solver's
/// tolerance: a plan, with the activity on the floor to round-off.
#[test]
fn a_contradiction_of_round_off_size_is_planned_on_the_floor() {
    let p = solve_json(floor_above_curve_end_by(2.0 * f64::EPSILON));
    assert_eq!(p.status, Status::Optimal);
    assert!(
        (p.initiatives[0].activity[0] - 1.3).abs() <= 1e-12,
        "{:?}",
        p.initiatives[0].activity
    );
}
