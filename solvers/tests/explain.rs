//! What it would take (`explain`): every flip factor checked by re-planning the
//! scenario with the initiative's values multiplied around it, every "never" at a
//! factor of 1e6 (or 0), and every forced decision's cost by planning it forced. The
//! oracle is `plan` on a changed scenario and the model document's reading of the
//! result, nothing of the explanation's own workings.

mod common;
#[path = "common/random.rs"]
mod random;

use common::*;
use fluidity_solvers::whatif::explain::{
    explain, Decision, Direction, Explanation, InitiativeExplanation,
};
use fluidity_solvers::{plan, PlanOptions, Scenario};
use fluidity_solvers::{Change, Status};
use proptest::prelude::*;
use random::{random_scenario, Shape};
use serde_json::json;

fn end_of(s: &Scenario, id: &str) -> f64 {
    let p = plan(s, &PlanOptions::default()).unwrap();
    assert_ne!(p.status, Status::Infeasible);
    *activity(&p, id).last().unwrap()
}

fn with_values_times(s: &Scenario, id: &str, factor: f64) -> Scenario {
    let mut s = s.clone();
    let init = s.initiatives.iter_mut().find(|i| i.id == id).unwrap();
    for seg in &mut init.value {
        seg.per_unit *= factor;
    }
    s
}

/// A change of the last-period activity, as explain counts one: 1e-5 x max(1, |a|),
/// above the wiggle of about 1e-6 that the tier floors' 1e-7 round-off allowance lets
/// a tiered initiative's activity make from one factor to the next (seed
/// 14256968444910558186: 4.9230745 at x1, 4.9230769 at x0.5, 4.9230695 at x0.00398).
fn eps(end: f64) -> f64 {
    1e-5 * end.abs().max(1.0)
}

fn check_flips(s: &Scenario, e: &InitiativeExplanation) {
    let id = &e.id;
    let end = e.end;
    for flip in &e.flips {
        if flip.never && flip.held_by == "no positive value" {
            // Checked on the curve: no segment on that side of its level earns
            // anything, so a factor changes no value (re-planning would only show the
            // solvers' tie-breaking between equally good plans).
            let segments = &s.initiatives.iter().find(|i| &i.id == id).unwrap().value;
            let mut start = 0.0;
            for seg in segments {
                let top = seg.up_to.unwrap_or(f64::INFINITY);
                // A level within round-off of a breakpoint is at it.
                let near = 1e-7 * end.abs().max(1.0);
                let on_that_side = match flip.direction {
                    Direction::More => top > end + near,
                    Direction::Less => start < end - near,
                };
                assert!(!on_that_side || seg.per_unit <= 0.0, "{id}: {seg:?} earns");
                start = top;
            }
            continue;
        }
        let at = |f: f64| end_of(&with_values_times(s, id, f), id);
        match (flip.direction, flip.never) {
            (Direction::More, false) => {
                let above = at(flip.factor * (1.0 + 1e-4));
                let below = at(flip.factor * (1.0 - 1e-4));
                assert!(
                    above > end + eps(end),
                    "{id}: x{} gives {above}, not more than {end}",
                    flip.factor * (1.0 + 1e-4)
                );
                assert!(
                    below <= end + eps(end),
                    "{id}: x{} already gives {below} > {end}",
                    flip.factor * (1.0 - 1e-4)
                );
                assert!(flip.factor > 1.0);
            }
            (Direction::Less, false) => {
                let below = at(flip.factor * (1.0 - 1e-4));
                let above = at(flip.factor * (1.0 + 1e-4));
                assert!(
                    below < end - eps(end),
                    "{id}: x{} gives {below}, not less than {end}",
                    flip.factor * (1.0 - 1e-4)
                );
                assert!(
                    above >= end - eps(end),
                    "{id}: x{} already gives {above} < {end}",
                    flip.factor * (1.0 + 1e-4)
                );
                assert!(flip.factor < 1.0 && flip.factor >= 0.0);
            }
            (Direction::More, true) => {
                let huge = at(1e6);
                assert!(
                    huge <= end + eps(end),
                    "{id}: said never, but x1e6 gives {huge} > {end}"
                );
            }
            (Direction::Less, true) => {
                // Never down to 1e-6 (below, its value is within the solvers'
                // tolerances of nothing, and it may go).
                let small = at(1e-5);
                assert!(
                    small >= end - eps(end),
                    "{id}: said never, but x1e-5 gives {small} < {end}"
                );
            }
        }
    }
}

fn check_forced(s: &Scenario, base_objective: f64, e: &InitiativeExplanation) {
    let mut forced = s.clone();
    let init = forced
        .initiatives
        .iter_mut()
        .find(|i| i.id == e.id)
        .unwrap();
    match e.forced.decision {
        Decision::None => return,
        Decision::Keep => {
            // At least where it is now, within its own bounds (the model document's
            // defaults, computed here).
            let i = s.initiatives.iter().position(|x| x.id == e.id).unwrap();
            let (lo, hi) = bounds(s, i);
            init.min = Some(init.current.min(hi).max(lo));
        }
        Decision::Stop => {
            // Stopped by the end of the horizon, said in the scenario's own terms: it
            // needs a phantom initiative (ratio 1) that needs a phantom resource with
            // room in every period but the last.
            init.min = Some(0.0);
            let stopped = init.id.clone();
            let periods = forced.periods.len();
            let mut room = vec![1e9; periods];
            room[periods - 1] = 0.0;
            let mut json = serde_json::to_value(&forced).unwrap();
            json["resources"]
                .as_array_mut()
                .unwrap()
                .push(json!({"id": "phantom-room", "capacity": room}));
            json["initiatives"].as_array_mut().unwrap().push(json!({
                "id": "phantom-end", "requirements": {"phantom-room": 1}, "current": 0
            }));
            let dependencies = json["dependencies"].as_array_mut();
            let link = json!({"initiative": stopped, "requires": "phantom-end", "ratio": 1});
            match dependencies {
                Some(list) => list.push(link),
                None => json["dependencies"] = json!([link]),
            }
            forced = scenario(json);
        }
    }
    let p = plan(&forced, &PlanOptions::default()).unwrap();
    if p.status == Status::Infeasible {
        assert!(!e.forced.feasible, "{}: forced plan is infeasible", e.id);
        assert!(!e.forced.conflicts.is_empty());
    } else {
        assert!(e.forced.feasible, "{}", e.id);
        let cost = base_objective - p.objective;
        assert!(
            (e.forced.cost - cost).abs() <= 1e-9 * base_objective.abs().max(1.0),
            "{}: cost {} vs {cost}",
            e.id,
            e.forced.cost
        );
        // Keeping what the optimum gave up costs something, never gains, without
        // tiers (with tiers the final objective is not what is maximised first, and a
        // stop lifts the initiative's own floor, so either may gain).
        let tiered = s.initiatives.iter().any(|i| i.tier > 0);
        if e.forced.decision == Decision::Keep && !tiered {
            assert!(
                cost >= -1e-9 * base_objective.abs().max(1.0),
                "{}: {cost}",
                e.id
            );
        }
    }
}

fn checked(s: &Scenario) -> Explanation {
    let explanation = explain(s, &[], &PlanOptions::default()).unwrap();
    for e in &explanation.initiatives {
        check_flips(s, e);
        check_forced(s, explanation.objective, e);
    }
    explanation
}

fn find<'a>(x: &'a Explanation, id: &str) -> &'a InitiativeExplanation {
    x.initiatives.iter().find(|e| e.id == id).unwrap()
}

/// One of each: STOP, SHRINK, HOLD at a floor, HOLD at a cap, GROW, GROW to a cap,
/// locked.
fn every_kind_of_decision() -> Scenario {
    scenario(json!({
        "periods": [{"id": "nov"}, {"id": "dec"}],
        "resources": [{"id": "eng", "unit": "FTE", "capacity": [20]}],
        "initiatives": [
            {"id": "core", "requirements": {"eng": 1}, "current": 4, "value": [{"upTo": 6, "perUnit": 30}, {"perUnit": 12}]},
            {"id": "pilot", "requirements": {"eng": 1}, "current": 4, "value": [{"perUnit": 8}]},
            {"id": "legacy", "requirements": {"eng": 1}, "current": 6, "rampDown": 1, "value": [{"perUnit": 9}]},
            {"id": "ops", "kind": "OPERATIONS", "requirements": {"eng": 1}, "current": 3, "value": [{"perUnit": 2}]},
            {"id": "kept", "requirements": {"eng": 1}, "current": 2, "max": 2, "value": [{"perUnit": 40}]},
            {"id": "star", "requirements": {"eng": 1}, "current": 1, "max": 3, "value": [{"perUnit": 50}]},
            {"id": "frozen", "locked": true, "requirements": {"eng": 1}, "current": 1, "value": [{"perUnit": 1}]}
        ]
    }))
}

#[test]
fn every_flip_and_forced_cost_holds_when_re_planned() {
    let s = every_kind_of_decision();
    let x = checked(&s);
    assert_eq!(x.initiatives.len(), 7);
    assert_eq!(find(&x, "pilot").change, Change::Stop);
    assert_eq!(find(&x, "legacy").change, Change::Shrink);
    assert_eq!(find(&x, "ops").change, Change::Hold);
    assert_eq!(find(&x, "star").change, Change::Grow);
    assert_eq!(find(&x, "kept").change, Change::Hold);
}

#[test]
fn a_stopped_initiative_needs_its_value_raised_to_what_its_resources_earn_elsewhere() {
    let x = checked(&every_kind_of_decision());
    let pilot = find(&x, "pilot");
    let more = &pilot.flips[0];
    assert_eq!(more.direction, Direction::More);
    assert!(!more.never);
    // eng is worth 12 at the margin (core's second segment): 8 x 1.5.
    assert!((more.factor - 1.5).abs() <= 1e-6 * 1.5, "{}", more.factor);
    assert_eq!(pilot.forced.decision, Decision::Keep);
    // Kept at 4, it takes 4 FTE from core in both months: in November 4 units of
    // core's first segment (4 x 30), in December one of its second and three of its
    // first (12 + 90); it earns 4 x 8 x 2 back: 120 + 102 - 64 = 158.
    assert!(
        (pilot.forced.cost - 158.0).abs() <= 1e-9 * 158.0,
        "{}",
        pilot.forced.cost
    );
}

#[test]
fn locked_and_capped_initiatives_never_get_more() {
    let x = checked(&every_kind_of_decision());
    let frozen = find(&x, "frozen");
    assert!(frozen
        .flips
        .iter()
        .all(|f| f.never && f.held_by == "locked"));
    assert_eq!(frozen.forced.decision, Decision::None);
    let kept = find(&x, "kept");
    let more = kept
        .flips
        .iter()
        .find(|f| f.direction == Direction::More)
        .unwrap();
    assert!(more.never);
    assert_eq!(more.held_by, "max[kept@dec]");
    // It could get less: its value can fall to what eng earns elsewhere.
    let less = kept
        .flips
        .iter()
        .find(|f| f.direction == Direction::Less)
        .unwrap();
    assert!(!less.never);
    assert!((less.factor - 12.0 / 40.0).abs() <= 1e-6, "{}", less.factor);
}

#[test]
fn a_floor_held_initiative_never_gets_less_and_a_ramp_slows_a_shrinking_one() {
    let x = checked(&every_kind_of_decision());
    let ops = find(&x, "ops");
    // At its floor: only MORE applies.
    assert!(ops.flips.iter().all(|f| f.direction == Direction::More));
    // Stopping it lifts its floor: the 3 FTE it holds earn 12 instead of 2 elsewhere.
    assert_eq!(ops.forced.decision, Decision::Stop);
    assert!(ops.forced.feasible);
    assert!(
        (ops.forced.cost + 60.0).abs() <= 1e-9 * 60.0,
        "{}",
        ops.forced.cost
    );
    let legacy = find(&x, "legacy");
    assert_eq!(legacy.flips[0].direction, Direction::More);
}

#[test]
fn tiered_initiatives_are_explained_in_every_build() {
    let s = Scenario::from_json(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/tiered.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let x = checked(&s);
    assert_eq!(x.initiatives.len(), s.initiatives.len());
    assert!(x.initiatives.iter().any(|e| e.change == Change::Stop));
    assert!(x.initiatives.iter().any(|e| e.change == Change::Grow));
}

#[test]
fn whole_units_are_explained_by_re_planning_too() {
    let s = scenario(json!({
        "periods": [{"id": "dec"}],
        "resources": [{"id": "eng", "capacity": [10]}],
        "initiatives": [
            {"id": "squad", "integral": true, "requirements": {"eng": 3}, "current": 1, "value": [{"perUnit": 20}]},
            {"id": "contractors", "requirements": {"eng": 1}, "current": 2, "value": [{"perUnit": 8}]}
        ]
    }));
    checked(&s);
}

#[test]
fn badly_scaled_values_are_explained_as_exactly() {
    // The same decisions in values of 1e-9 and capacities of 1e12.
    let s = scenario(json!({
        "periods": [{"id": "dec"}],
        "resources": [{"id": "capital", "unit": "USD", "capacity": [2e12]}],
        "initiatives": [
            {"id": "a", "requirements": {"capital": 1e12}, "current": 0, "value": [{"upTo": 1, "perUnit": 3e-9}, {"perUnit": 1e-9}]},
            {"id": "b", "requirements": {"capital": 1e12}, "current": 1, "value": [{"perUnit": 2e-9}]}
        ]
    }));
    let x = checked(&s);
    let b = find(&x, "b");
    let more = b
        .flips
        .iter()
        .find(|f| f.direction == Direction::More)
        .unwrap();
    assert!(!more.never);
}

#[test]
fn only_the_initiatives_asked_for_are_explained_and_unknown_ids_are_named() {
    let s = every_kind_of_decision();
    let x = explain(&s, &["pilot".to_string()], &PlanOptions::default()).unwrap();
    assert_eq!(x.initiatives.len(), 1);
    let error = explain(
        &s,
        &["nope".to_string(), "pilot".to_string(), "ghost".to_string()],
        &PlanOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "no initiative with id \"nope\", \"ghost\""
    );
}

#[test]
fn an_infeasible_scenario_has_nothing_to_explain() {
    let s = scenario(json!({
        "periods": [{"id": "dec"}],
        "resources": [{"id": "eng", "capacity": [1]}],
        "initiatives": [{"id": "ops", "requirements": {"eng": 1}, "current": 3, "min": 3, "value": [{"perUnit": 1}]}]
    }));
    let x = explain(&s, &[], &PlanOptions::default()).unwrap();
    assert_eq!(x.status, Status::Infeasible);
    assert!(x.initiatives.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(24), ..ProptestConfig::default() })]

    /// Random scenarios (ramps, move costs, churn, groups, dependencies): every flip
    /// and forced cost holds when re-planned. Without tiers: the tier floors' round-off
    /// allowance (1e-7 x max(1, |V*|), the model document's) lets a tiered
    /// initiative's activity wiggle in proportion to its value, so at large factors a
    /// wiggle passes any fixed threshold (seed 13069332042437837216: 2.2e-5 at x1683);
    /// tiered scenarios are covered by `tiered_initiatives_are_explained_in_every_build`.
    #[test]
    fn explanations_of_random_scenarios_hold_when_re_planned(seed in any::<u64>()) {
        let s = random_scenario(seed, Shape { tiers: false, ..Shape::LP });
        let explanation = explain(&s, &[], &PlanOptions::default()).unwrap();
        for e in &explanation.initiatives {
            check_flips(&s, e);
            check_forced(&s, explanation.objective, e);
        }
    }
}

/// An initiative whose ramp-down is slower than its current level can still be
/// stopped by the end of the horizon: the forced stop winds it down as fast as its
/// ramp allows (it read "cannot be stopped" when every period was forced to 0).
#[test]
fn a_forced_stop_winds_down_within_the_ramp_by_the_last_period() {
    let s = scenario(json!({
        "periods": [{"id": "p1"}, {"id": "p2"}, {"id": "p3"}],
        "resources": [{"id": "eng", "capacity": [10]}],
        "initiatives": [
            {"id": "x", "requirements": {"eng": 1}, "current": 2, "rampDown": 1.5, "value": [{"upTo": 10, "perUnit": 12}]},
            {"id": "y", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 10, "perUnit": 10}]}
        ]
    }));
    let x = checked(&s);
    let forced = &find(&x, "x").forced;
    assert_eq!(forced.decision, Decision::Stop);
    assert!(forced.feasible, "{forced:?}");
    // x grows to 10 in the plan; stopped by p3 with a ramp-down of 1.5 it can run at
    // most 3 in p1 and 1.5 in p2, and y takes the rest at 10 a unit instead of 12.
    assert!(forced.cost > 0.0);
}

#[test]
fn the_same_explanation_comes_from_one_thread_or_several() {
    use fluidity_solvers::whatif::explain::{explain_with, Explaining};
    let s = every_kind_of_decision();
    let one = explain(&s, &[], &PlanOptions::default()).unwrap();
    let told = std::sync::atomic::AtomicUsize::new(0);
    let progress = |done: usize, of: usize| {
        assert!(done <= of);
        told.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    };
    let many = explain_with(
        &s,
        &[],
        &PlanOptions::default(),
        Explaining {
            jobs: 3,
            progress: Some(&progress),
        },
    )
    .unwrap();
    assert_eq!(one, many);
    assert_eq!(told.into_inner(), s.initiatives.len());
}
