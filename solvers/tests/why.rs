//! Why each initiative sits where it does (MODEL.md v1.1: `marginalValue`,
//! `resourceCost`; the project's `heldBy`): the numbers recomputed here from the
//! scenario and the plan by their formulas, the optimality conditions they must meet,
//! and the constraint named for initiatives that constraints hold.

mod common;
#[path = "common/random.rs"]
mod random;

use common::*;
use fluidity_solvers::Scenario;
use fluidity_solvers::{Change, Plan};
use proptest::prelude::*;
use random::{random_scenario, Shape};
use serde_json::json;

fn weight(s: &Scenario, t: usize) -> f64 {
    s.periods[t].weight.unwrap_or(1.0)
}

/// The perUnits one more unit at `x` may fill: the segment x is in, and at a
/// breakpoint (within 1e-7) the next one too.
fn next_unit_values(s: &Scenario, i: usize, x: f64) -> Vec<f64> {
    let mut below = 0.0;
    let mut out = Vec::new();
    for seg in &s.initiatives[i].value {
        let top = seg.up_to.unwrap_or(f64::INFINITY);
        let near = |a: f64, b: f64| (a - b).abs() <= 1e-7 * b.abs().max(1.0);
        if (x >= below || near(x, below)) && (x < top || near(x, top)) {
            out.push(seg.per_unit);
        }
        below = top;
    }
    if out.is_empty()
        || s.initiatives[i]
            .value
            .last()
            .and_then(|g| g.up_to)
            .is_some_and(|top| x >= top - 1e-7 * top.max(1.0))
    {
        out.push(0.0);
    }
    out
}

fn resource_cost_by_formula(s: &Scenario, p: &Plan, i: usize, t: usize) -> f64 {
    s.resources
        .iter()
        .zip(&p.resources)
        .map(|(r, rp)| {
            s.initiatives[i]
                .requirements
                .get(&r.id)
                .copied()
                .unwrap_or(0.0)
                * rp.shadow_price[t]
        })
        .sum()
}

fn close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= 1e-7 * scale.max(a.abs()).max(b.abs()).max(1e-300)
}

/// No ramp, move cost, churn, group, dependency or tier touches initiative i: only its
/// bounds, its curve and the capacity rows.
fn free(s: &Scenario, i: usize) -> bool {
    let init = &s.initiatives[i];
    let uses =
        |r: &fluidity_solvers::Resource| init.requirements.get(&r.id).copied().unwrap_or(0.0) > 0.0;
    init.ramp_up.is_none()
        && init.ramp_down.is_none()
        && init.tier == 0
        && !init.integral
        && !s
            .resources
            .iter()
            .any(|r| uses(r) && (r.move_cost.unwrap_or(0.0) > 0.0 || r.max_churn.is_some()))
        && !s.groups.iter().any(|g| g.initiatives.contains(&init.id))
        && !s
            .dependencies
            .iter()
            .any(|d| d.initiative == init.id || d.requires == init.id)
}

fn solved(seed: u64) -> (Scenario, Plan) {
    let s = random_scenario(seed, Shape::LP);
    let p = fluidity_solvers::plan(&s, &fluidity_solvers::PlanOptions::default()).unwrap();
    (s, p)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(200), ..ProptestConfig::default() })]

    #[test]
    fn marginal_value_and_resource_cost_follow_their_formulas(seed in any::<u64>()) {
        let (s, p) = solved(seed);
        for (i, ip) in p.initiatives.iter().enumerate() {
            prop_assert_eq!(ip.marginal_value.len(), s.periods.len());
            prop_assert_eq!(ip.resource_cost.len(), s.periods.len());
            for t in 0..s.periods.len() {
                let allowed: Vec<f64> = next_unit_values(&s, i, ip.activity[t]).iter().map(|v| weight(&s, t) * v).collect();
                prop_assert!(
                    allowed.iter().any(|&v| close(ip.marginal_value[t], v, 0.0)),
                    "seed {seed}: {} in period {t} at {}: marginalValue {} not in {allowed:?}",
                    ip.id, ip.activity[t], ip.marginal_value[t]
                );
                let cost = resource_cost_by_formula(&s, &p, i, t);
                prop_assert!(close(ip.resource_cost[t], cost, 0.0), "seed {seed}: {} resourceCost {} vs {cost}", ip.id, ip.resource_cost[t]);
            }
        }
    }

    /// Complementary slackness for a[i,t]: strictly inside its bounds and off a kink,
    /// with no other row on it, what one more unit earns is what its resources cost.
    #[test]
    fn a_free_initiative_inside_its_bounds_earns_what_its_resources_cost(seed in any::<u64>()) {
        let (s, p) = solved(seed);
        if !has_plan(&p) {
            return Ok(());
        }
        for (i, ip) in p.initiatives.iter().enumerate() {
            if !free(&s, i) {
                continue;
            }
            let (lo, hi) = bounds(&s, i);
            for t in 0..s.periods.len() {
                let x = ip.activity[t];
                let inside = x > lo + 1e-6 * lo.abs().max(1.0) && x < hi - 1e-6 * hi.abs().max(1.0);
                let allowed = next_unit_values(&s, i, x);
                if inside && allowed.len() == 1 {
                    prop_assert!(
                        close(ip.marginal_value[t], ip.resource_cost[t], ip.marginal_value[t].abs()),
                        "seed {seed}: {} at {x} in ({lo}, {hi}): earns {} but costs {}",
                        ip.id, ip.marginal_value[t], ip.resource_cost[t]
                    );
                }
            }
        }
    }

    /// At its lower bound 0, an initiative earns no more than its resources cost.
    #[test]
    fn a_free_initiative_at_zero_earns_no_more_than_its_resources_cost(seed in any::<u64>()) {
        let (s, p) = solved(seed);
        if !has_plan(&p) {
            return Ok(());
        }
        for (i, ip) in p.initiatives.iter().enumerate() {
            if !free(&s, i) || bounds(&s, i).0 > 0.0 {
                continue;
            }
            for t in 0..s.periods.len() {
                if ip.activity[t] <= 1e-9 && bounds(&s, i).1 > 1e-6 {
                    let (earns, costs) = (ip.marginal_value[t], ip.resource_cost[t]);
                    prop_assert!(earns <= costs + 1e-7 * earns.abs().max(costs.abs()).max(1e-300),
                        "seed {seed}: {} stopped in period {t}, earns {earns} > costs {costs}", ip.id);
                }
            }
        }
    }
}

/// The scenario in other units: every value x `value_scale`, resource `r`'s
/// capacity and every requirement of it x `unit_scale`.
fn rescaled(s: &Scenario, value_scale: f64, r: usize, unit_scale: f64) -> Scenario {
    let mut s = s.clone();
    for init in &mut s.initiatives {
        for seg in &mut init.value {
            seg.per_unit *= value_scale;
        }
    }
    let id = s.resources[r].id.clone();
    for c in &mut s.resources[r].capacity {
        *c *= unit_scale;
    }
    if let Some(cost) = &mut s.resources[r].move_cost {
        *cost *= value_scale / unit_scale;
    }
    for init in &mut s.initiatives {
        if let Some(units) = init.requirements.get_mut(&id) {
            *units *= unit_scale;
        }
    }
    for g in &mut s.groups {
        if g.resource == id {
            g.min = g.min.map(|m| m * unit_scale);
            g.max = g.max.map(|m| m * unit_scale);
        }
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(60), ..ProptestConfig::default() })]

    /// Values of 1e-9 and capital in units of 1e12: the formulas and the optimality
    /// condition hold as they do at 1.
    #[test]
    fn why_holds_at_every_magnitude(
        seed in any::<u64>(),
        value_scale in prop::sample::select(vec![1e-9, 1e-4, 1e6]),
        unit_scale in prop::sample::select(vec![1e-6, 1e9, 1e12]),
    ) {
        let base = random_scenario(seed, Shape::LP);
        let r = (seed % base.resources.len() as u64) as usize;
        let s = rescaled(&base, value_scale, r, unit_scale);
        let p = fluidity_solvers::plan(&s, &fluidity_solvers::PlanOptions::default()).unwrap();
        if !has_plan(&p) {
            return Ok(());
        }
        for (i, ip) in p.initiatives.iter().enumerate() {
            let (lo, hi) = bounds(&s, i);
            for t in 0..s.periods.len() {
                let x = ip.activity[t];
                let allowed: Vec<f64> = next_unit_values(&s, i, x).iter().map(|v| weight(&s, t) * v).collect();
                prop_assert!(allowed.iter().any(|&v| close(ip.marginal_value[t], v, 0.0)),
                    "seed {seed}: {} marginalValue {} not in {allowed:?}", ip.id, ip.marginal_value[t]);
                let cost = resource_cost_by_formula(&s, &p, i, t);
                prop_assert!(close(ip.resource_cost[t], cost, 0.0), "seed {seed}: {} resourceCost {} vs {cost}", ip.id, ip.resource_cost[t]);
                let inside = x > lo + 1e-6 * lo.abs().max(1.0) && x < hi - 1e-6 * hi.abs().max(1.0);
                if free(&s, i) && inside && allowed.len() == 1 {
                    prop_assert!(close(ip.marginal_value[t], ip.resource_cost[t], ip.marginal_value[t].abs()),
                        "seed {seed} x{value_scale} {}: earns {} but costs {}", ip.id, ip.marginal_value[t], ip.resource_cost[t]);
                }
            }
        }
    }
}

fn two_periods(initiatives: serde_json::Value) -> Plan {
    solve_json(json!({
        "periods": [{"id": "nov"}, {"id": "dec"}],
        "resources": [
            {"id": "eng", "capacity": [10]},
            {"id": "capital", "unit": "USD", "capacity": [1e6]}
        ],
        "initiatives": initiatives
    }))
}

fn initiative<'a>(p: &'a Plan, id: &str) -> &'a fluidity_solvers::InitiativePlan {
    p.initiatives.iter().find(|i| i.id == id).unwrap()
}

#[test]
fn an_initiative_priced_out_earns_less_than_its_resources_cost_and_nothing_holds_it() {
    let p = two_periods(json!([
        {"id": "core", "requirements": {"eng": 1}, "current": 0, "value": [{"perUnit": 20}]},
        {"id": "pilot", "requirements": {"eng": 1, "capital": 1000}, "current": 4, "value": [{"perUnit": 12}]}
    ]));
    let pilot = initiative(&p, "pilot");
    assert_eq!(pilot.change, Change::Stop);
    assert_close(pilot.marginal_value[1], 12.0);
    // eng is worth 20 (core earns it); capital is free.
    assert_close(pilot.resource_cost[1], 20.0);
    assert_eq!(pilot.held_by, "");
    let core = initiative(&p, "core");
    assert_close(core.marginal_value[1], 0.0 + 20.0);
    assert_close(core.resource_cost[1], 20.0);
}

#[test]
fn a_capped_initiative_is_held_by_its_max() {
    let p = two_periods(json!([
        {"id": "star", "requirements": {"eng": 1}, "current": 2, "max": 5, "value": [{"perUnit": 30}]},
        {"id": "filler", "requirements": {"eng": 1}, "current": 0, "value": [{"perUnit": 10}]}
    ]));
    let star = initiative(&p, "star");
    assert_close(star.activity[1], 5.0);
    assert_close(star.resource_cost[1], 10.0);
    assert_eq!(star.held_by, "max[star@dec]");
}

#[test]
fn an_initiative_that_earns_less_than_it_costs_is_held_by_its_floor() {
    let p = two_periods(json!([
        {"id": "ops", "kind": "OPERATIONS", "requirements": {"eng": 1}, "current": 4, "value": [{"perUnit": 5}]},
        {"id": "bet", "requirements": {"eng": 1}, "current": 0, "value": [{"perUnit": 25}]}
    ]));
    let ops = initiative(&p, "ops");
    assert_eq!(ops.change, Change::Hold);
    assert!(ops.marginal_value[1] < ops.resource_cost[1]);
    assert_eq!(ops.held_by, "min[ops@dec]");
}

#[test]
fn a_ramp_names_the_period_it_binds_in() {
    let p = two_periods(json!([
        {"id": "old", "requirements": {"eng": 1}, "current": 10, "rampDown": 3, "value": [{"perUnit": 5}]},
        {"id": "new", "requirements": {"eng": 1}, "current": 0, "rampUp": 3, "value": [{"perUnit": 25}]}
    ]));
    // eng's December price may be either initiative's value (a degenerate vertex):
    // each still names its own tight ramp.
    assert_eq!(initiative(&p, "new").held_by, "rampUp[new@dec]");
    assert_eq!(initiative(&p, "old").held_by, "rampDown[old@dec]");
}

#[test]
fn a_dependency_holds_the_initiative_that_needs_another() {
    let p = solve_json(json!({
        "periods": [{"id": "nov"}, {"id": "dec"}],
        "resources": [{"id": "eng", "capacity": [10]}],
        "initiatives": [
            {"id": "platform", "requirements": {"eng": 1}, "current": 2, "max": 2, "value": [{"perUnit": 1}]},
            {"id": "app", "requirements": {"eng": 1}, "current": 0, "value": [{"perUnit": 40}]},
            {"id": "filler", "requirements": {"eng": 1}, "current": 0, "value": [{"perUnit": 3}]}
        ],
        "dependencies": [{"initiative": "app", "requires": "platform", "ratio": 2}]
    }));
    let app = initiative(&p, "app");
    assert_close(app.activity[1], 4.0);
    assert_eq!(app.held_by, "dependency[app->platform@dec]");
}

#[test]
fn a_move_cost_holds_an_initiative_whose_gain_does_not_pay_for_the_move() {
    let p = solve_json(json!({
        "periods": [{"id": "dec"}],
        "resources": [{"id": "eng", "capacity": [10], "moveCost": 5}],
        "initiatives": [
            {"id": "a", "requirements": {"eng": 1}, "current": 10, "value": [{"perUnit": 10}]},
            {"id": "b", "requirements": {"eng": 1}, "current": 0, "value": [{"perUnit": 14}]}
        ]
    }));
    // Moving a unit from a to b gains 4 and costs 10. eng's price is anywhere from
    // a's value to b's (degenerate): whichever of the two it leaves unexplained
    // names the move cost.
    let (a, b) = (initiative(&p, "a"), initiative(&p, "b"));
    assert_close(b.activity[0], 0.0);
    assert!(
        a.held_by == "moveCost" || b.held_by == "moveCost",
        "a: {:?}, b: {:?}",
        a.held_by,
        b.held_by
    );
}

#[test]
fn a_whole_unit_plan_has_no_prices_and_names_the_full_resource() {
    let p = two_periods(json!([
        {"id": "squad", "integral": true, "requirements": {"eng": 3}, "current": 0, "value": [{"perUnit": 30}]}
    ]));
    let squad = initiative(&p, "squad");
    assert_close(squad.activity[1], 3.0);
    assert_eq!(squad.resource_cost, vec![0.0, 0.0]);
    assert_eq!(squad.held_by, "capacity[eng@dec]");
}

/// Capital priced per USD (0.00044 a dollar) binds harder than eng priced per FTE
/// (3 an FTE): a percent of each compares them, a price per unit does not.
#[test]
fn a_per_usd_resource_that_binds_hardest_heads_the_bottlenecks() {
    let p = solve_json(json!({
        "periods": [{"id": "dec"}],
        "resources": [
            {"id": "eng", "unit": "FTE", "capacity": [20]},
            {"id": "capital", "unit": "USD", "capacity": [1e6]}
        ],
        "initiatives": [
            // Needs only eng, and takes what expansion leaves: eng is worth 3 an FTE.
            {"id": "upkeep", "requirements": {"eng": 1}, "current": 0, "value": [{"perUnit": 3}]},
            // Capital-heavy: 1e5 USD and 1 FTE a unit, earning 47 a unit.
            {"id": "expansion", "requirements": {"eng": 1, "capital": 100000}, "current": 0, "value": [{"perUnit": 47}]}
        ]
    }));
    // expansion runs at 10 (all the capital), upkeep on the other 10 FTE: capital is
    // worth (47 - 3) / 1e5 = 0.00044 a dollar, 4.4 a percent; eng 0.3 a percent.
    let first = &p.bottlenecks[0];
    assert_eq!(
        first.constraint, "capacity[capital@dec]",
        "{:?}",
        p.bottlenecks
    );
    assert_close(first.shadow_price, 0.00044);
    assert_close(first.value_of_one_percent, 4.4);
    for pair in p.bottlenecks.windows(2) {
        assert!(pair[0].value_of_one_percent >= pair[1].value_of_one_percent);
    }
    for b in &p.bottlenecks {
        let capacity = if b.constraint.contains("capital") {
            1e6
        } else {
            20.0
        };
        assert_close(b.value_of_one_percent, b.shadow_price * capacity / 100.0);
    }
}

/// An initiative that stops at a bend of its own curve (the last unit earns 30, the
/// next 5, its eng costs about 10) is explained by the bend, not by a small move
/// cost (it was "held by moveCost" though moving costs 0.1 a unit against a gap of 5).
#[test]
fn a_bend_of_its_own_curve_is_not_blamed_on_a_move_cost() {
    let p = solve_json(json!({
        "periods": [{"id": "dec"}],
        "resources": [{"id": "eng", "capacity": [10], "moveCost": 0.1}],
        "initiatives": [
            {"id": "bent", "requirements": {"eng": 1}, "current": 0,
             "value": [{"upTo": 4, "perUnit": 30}, {"perUnit": 5}]},
            {"id": "flat", "requirements": {"eng": 1}, "current": 0, "value": [{"perUnit": 10}]}
        ]
    }));
    let bent = initiative(&p, "bent");
    assert_close(bent.activity[0], 4.0);
    assert_close(bent.marginal_value[0], 5.0);
    assert!(bent.resource_cost[0] > 5.0);
    assert_eq!(bent.held_by, "");
}

#[test]
fn a_tiered_initiative_far_from_paying_for_its_resources_is_held_by_its_tier() {
    let s = Scenario::from_json(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/tiered.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let p = fluidity_solvers::plan(&s, &fluidity_solvers::PlanOptions::default()).unwrap();
    // Its last unit earns nothing and its eng is worth 27.6; moving costs 2 a unit.
    assert_eq!(initiative(&p, "incident-response").held_by, "tier[1]");
}

/// A rescaled random scenario (values x1e-4, one resource in units of 1e-6) that
/// HiGHS failed on ("HiGHS: Unknown") is planned in every build: a backend's error
/// sends the stage to another backend, HiGHS's too.
#[test]
fn a_scenario_highs_failed_on_is_planned_in_every_build() {
    let seed = 387028470420676557u64;
    let base = random_scenario(seed, Shape::LP);
    let r = (seed % base.resources.len() as u64) as usize;
    let s = rescaled(&base, 1e-4, r, 1e-6);
    let p = fluidity_solvers::plan(&s, &fluidity_solvers::PlanOptions::default());
    assert!(p.is_ok(), "{p:?}");
}
