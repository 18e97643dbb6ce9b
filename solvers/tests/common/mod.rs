//! Helpers shared by the core's integration tests, including an independent checker
//! of every constraint in the model document. The checker re-derives the model's
//! defaults from the scenario itself and never calls the formulation code, so a
//! formulation bug cannot hide behind the code that has it.
#![allow(dead_code)]
// The checker indexes a[i][t] the way the model document writes it.
#![allow(clippy::needless_range_loop)]

use fluidity_solvers::{plan, PlanOptions};
use fluidity_solvers::{Kind, Scenario};
use fluidity_solvers::{Plan, Status};
use serde_json::Value;

pub fn scenario(json: Value) -> Scenario {
    Scenario::from_json(&json.to_string()).expect("test scenario parses")
}

pub fn solve(s: &Scenario) -> Plan {
    plan(s, &PlanOptions::default()).expect("test scenario plans")
}

pub fn solve_json(json: Value) -> Plan {
    solve(&scenario(json))
}

pub fn activity(plan: &Plan, id: &str) -> Vec<f64> {
    plan.initiatives
        .iter()
        .find(|i| i.id == id)
        .unwrap_or_else(|| panic!("no initiative {id} in the plan"))
        .activity
        .clone()
}

pub fn shadow_price(plan: &Plan, resource: &str) -> Vec<f64> {
    plan.resources
        .iter()
        .find(|r| r.id == resource)
        .unwrap()
        .shadow_price
        .clone()
}

#[track_caller]
pub fn assert_close(actual: f64, expected: f64) {
    let tol = 1e-6 * expected.abs().max(1.0);
    assert!(
        (actual - expected).abs() <= tol,
        "expected {expected}, got {actual}"
    );
}

#[track_caller]
pub fn assert_all_close(actual: &[f64], expected: &[f64]) {
    assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
    for (a, e) in actual.iter().zip(expected) {
        let tol = 1e-6 * e.abs().max(1.0);
        assert!(
            (a - e).abs() <= tol,
            "expected {expected:?}, got {actual:?}"
        );
    }
}

/// The bounds of a[i,t] per the model document's defaults.
pub fn bounds(s: &Scenario, i: usize) -> (f64, f64) {
    let init = &s.initiatives[i];
    if init.locked {
        return (init.current, init.current);
    }
    let last_up_to = init.value.last().and_then(|seg| seg.up_to);
    let hi = match (init.max, last_up_to) {
        (Some(m), Some(u)) => m.min(u),
        (Some(m), None) => m,
        (None, Some(u)) => u,
        (None, None) => f64::INFINITY,
    };
    let lo = match init.min {
        Some(m) => m,
        None if init.kind == Kind::Operations => init.current.min(hi),
        None => 0.0,
    };
    (lo, hi)
}

pub fn capacity(s: &Scenario, r: usize, t: usize) -> f64 {
    let c = &s.resources[r].capacity;
    if c.len() == 1 {
        c[0]
    } else {
        c[t]
    }
}

fn req(s: &Scenario, i: usize, r: usize) -> f64 {
    *s.initiatives[i]
        .requirements
        .get(&s.resources[r].id)
        .unwrap_or(&0.0)
}

/// f_i(x): the value curve filled from its first segment.
pub fn curve_value(s: &Scenario, i: usize, x: f64) -> f64 {
    let mut below = 0.0;
    let mut total = 0.0;
    for seg in &s.initiatives[i].value {
        let top = seg.up_to.unwrap_or(f64::INFINITY);
        let fill = (x.min(top) - below).max(0.0);
        total += seg.per_unit * fill;
        below = top;
        if x <= top {
            break;
        }
    }
    total
}

/// (value, moveCost) of activities a[i][t].
pub fn evaluate(s: &Scenario, a: &[Vec<f64>]) -> (f64, f64) {
    let mut value = 0.0;
    let mut cost = 0.0;
    for (t, p) in s.periods.iter().enumerate() {
        let w = p.weight.unwrap_or(1.0);
        for i in 0..s.initiatives.len() {
            value += w * curve_value(s, i, a[i][t]);
            let before = if t == 0 {
                s.initiatives[i].current
            } else {
                a[i][t - 1]
            };
            let mc: f64 = (0..s.resources.len())
                .map(|r| req(s, i, r) * s.resources[r].move_cost.unwrap_or(0.0))
                .sum();
            cost += mc * (a[i][t] - before).abs();
        }
    }
    (value, cost)
}

/// Every constraint of the model document that activities a[i][t] break, with a
/// tolerance of 1e-6 relative to each right-hand side.
pub fn broken_constraints(s: &Scenario, a: &[Vec<f64>]) -> Vec<String> {
    let tol = |rhs: f64| 1e-6 * rhs.abs().max(1.0);
    let mut broken = Vec::new();
    let n_t = s.periods.len();
    let before = |i: usize, t: usize| {
        if t == 0 {
            s.initiatives[i].current
        } else {
            a[i][t - 1]
        }
    };
    for t in 0..n_t {
        let pid = &s.periods[t].id;
        for (r, res) in s.resources.iter().enumerate() {
            let used: f64 = (0..s.initiatives.len())
                .map(|i| req(s, i, r) * a[i][t])
                .sum();
            let alloc = (1.0 - res.reserve_min.unwrap_or(0.0)) * capacity(s, r, t);
            if used > alloc + tol(alloc) {
                broken.push(format!("capacity[{}@{pid}] used {used} > {alloc}", res.id));
            }
            if let Some(m) = res.max_churn {
                let churn: f64 = (0..s.initiatives.len())
                    .map(|i| req(s, i, r) * (a[i][t] - before(i, t)).abs())
                    .sum();
                let limit = m * capacity(s, r, t);
                if churn > limit + tol(limit) {
                    broken.push(format!("churn[{}@{pid}] {churn} > {limit}", res.id));
                }
            }
        }
        for (i, init) in s.initiatives.iter().enumerate() {
            let (lo, hi) = bounds(s, i);
            let x = a[i][t];
            if x < -1e-9 || x < lo - tol(lo) || x > hi + tol(hi) {
                broken.push(format!("bounds[{}@{pid}] {x} not in [{lo}, {hi}]", init.id));
            }
            let delta = x - before(i, t);
            if init.ramp_up.is_some_and(|up| delta > up + tol(up)) {
                broken.push(format!("rampUp[{}@{pid}] {delta}", init.id));
            }
            if init.ramp_down.is_some_and(|down| -delta > down + tol(down)) {
                broken.push(format!("rampDown[{}@{pid}] {delta}", init.id));
            }
            if init.integral && (x - x.round()).abs() > 1e-6 {
                broken.push(format!("integral[{}@{pid}] {x}", init.id));
            }
        }
        for g in &s.groups {
            let r = s.resources.iter().position(|r| r.id == g.resource).unwrap();
            let mut members: Vec<usize> = g
                .initiatives
                .iter()
                .map(|id| s.initiatives.iter().position(|i| &i.id == id).unwrap())
                .collect();
            members.sort_unstable();
            members.dedup();
            let total: f64 = members.iter().map(|&i| req(s, i, r) * a[i][t]).sum();
            if g.min.is_some_and(|m| total < m - tol(m)) {
                broken.push(format!("groupMin[{}@{pid}] {total}", g.id));
            }
            if g.max.is_some_and(|m| total > m + tol(m)) {
                broken.push(format!("groupMax[{}@{pid}] {total}", g.id));
            }
        }
        for d in &s.dependencies {
            let b = s
                .initiatives
                .iter()
                .position(|i| i.id == d.initiative)
                .unwrap();
            let r = s
                .initiatives
                .iter()
                .position(|i| i.id == d.requires)
                .unwrap();
            let ratio = d.ratio.unwrap_or(1.0);
            let rhs = ratio * a[r][t];
            if a[b][t] > rhs + tol(rhs) {
                broken.push(format!(
                    "dependency[{}->{}@{pid}]",
                    d.initiative, d.requires
                ));
            }
        }
    }
    broken
}

pub fn activities(plan: &Plan) -> Vec<Vec<f64>> {
    plan.initiatives
        .iter()
        .map(|i| i.activity.clone())
        .collect()
}

/// Whether the plan has a point (not INFEASIBLE).
pub fn has_plan(plan: &Plan) -> bool {
    plan.status != Status::Infeasible
}

/// Property-test cases: `PROPTEST_CASES` when set (for long soak runs), else `default`.
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
