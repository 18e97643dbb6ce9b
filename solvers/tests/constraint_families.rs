//! One hand-derived plan per constraint family of the model document: each test
//! states the scenario, the answer worked out by hand, and checks the plan gives it.

mod common;
use common::*;
use fluidity_solvers::{Change, Status};
use serde_json::json;

/// One period, one resource `eng` of the given capacity, and the given initiatives.
fn one_period(capacity: f64, initiatives: serde_json::Value) -> serde_json::Value {
    json!({
        "periods": [{"id": "q"}],
        "resources": [{"id": "eng", "capacity": [capacity]}],
        "initiatives": initiatives
    })
}

#[test]
fn capacity_goes_to_the_best_value_per_unit_of_resource() {
    // a: 3 per eng, up to 8 units; b: 5 per unit at 2 eng = 2.5 per eng.
    // a takes 8 eng, b the remaining 2 eng = 1 unit: 24 + 5 = 29.
    let plan = solve_json(one_period(
        10.0,
        json!([
            {"id": "a", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 8, "perUnit": 3}]},
            {"id": "b", "requirements": {"eng": 2}, "current": 0, "value": [{"upTo": 10, "perUnit": 5}]}
        ]),
    ));
    assert_eq!(plan.status, Status::Optimal);
    assert_close(plan.objective, 29.0);
    assert_all_close(&activity(&plan, "a"), &[8.0]);
    assert_all_close(&activity(&plan, "b"), &[1.0]);
    assert_all_close(&plan.resources[0].used, &[10.0]);
    assert_all_close(&plan.resources[0].reserve, &[0.0]);
}

#[test]
fn capacity_shadow_price_is_the_value_of_one_more_unit_and_positive() {
    // The marginal unit of eng goes to b at 2.5 per eng.
    let initiatives = json!([
        {"id": "a", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 8, "perUnit": 3}]},
        {"id": "b", "requirements": {"eng": 2}, "current": 0, "value": [{"upTo": 10, "perUnit": 5}]}
    ]);
    let plan = solve_json(one_period(10.0, initiatives.clone()));
    assert_all_close(&shadow_price(&plan, "eng"), &[2.5]);
    // The sign and size agree with re-solving with one more unit.
    let more = solve_json(one_period(11.0, initiatives));
    assert_close(more.objective - plan.objective, 2.5);
    assert_eq!(plan.bottlenecks.len(), 1);
    assert_eq!(plan.bottlenecks[0].constraint, "capacity[eng@q]");
    assert_close(plan.bottlenecks[0].shadow_price, 2.5);
}

#[test]
fn slack_capacity_has_no_shadow_price_and_no_bottleneck() {
    let plan = solve_json(one_period(
        100.0,
        json!([{"id": "a", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 8, "perUnit": 3}]}]),
    ));
    assert_all_close(&shadow_price(&plan, "eng"), &[0.0]);
    assert!(plan.bottlenecks.is_empty());
    assert_all_close(&plan.resources[0].reserve, &[92.0]);
}

#[test]
fn reserve_min_keeps_a_share_of_capacity_unallocated() {
    // 20% of 10 stays in reserve: a gets 8, b nothing.
    let mut s = one_period(
        10.0,
        json!([
            {"id": "a", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 8, "perUnit": 3}]},
            {"id": "b", "requirements": {"eng": 2}, "current": 0, "value": [{"upTo": 10, "perUnit": 5}]}
        ]),
    );
    s["resources"][0]["reserveMin"] = json!(0.2);
    let plan = solve_json(s);
    assert_close(plan.objective, 24.0);
    assert_all_close(&plan.resources[0].reserve, &[2.0]);
    // The optimum is degenerate (a sits at its curve's end exactly when eng runs
    // out): one more unit earns 2.5 (to b), one fewer loses 3 (from a), and any
    // price in between is a valid dual.
    let price = shadow_price(&plan, "eng")[0];
    assert!((2.5 - 1e-6..=3.0 + 1e-6).contains(&price), "price {price}");
}

#[test]
fn operations_keep_their_current_level_by_default() {
    // ops earns 1 per eng, growth 4; without a floor ops would stop.
    // OPERATIONS floors ops at current 5: growth gets 5. 5 + 20 = 25.
    let plan = solve_json(one_period(
        10.0,
        json!([
            {"id": "ops", "kind": "OPERATIONS", "requirements": {"eng": 1}, "current": 5, "value": [{"perUnit": 1}]},
            {"id": "growth", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 10, "perUnit": 4}]}
        ]),
    ));
    assert_close(plan.objective, 25.0);
    assert_all_close(&activity(&plan, "ops"), &[5.0]);
    assert_eq!(plan.initiatives[0].change, Change::Hold);
    assert_eq!(plan.initiatives[1].change, Change::Grow);
}

#[test]
fn strategic_initiatives_may_stop_unless_given_a_min() {
    let initiatives = |min: Option<f64>| {
        let mut slow = json!({"id": "slow", "requirements": {"eng": 1}, "current": 5, "value": [{"perUnit": 1}]});
        if let Some(m) = min {
            slow["min"] = json!(m);
        }
        json!([slow, {"id": "fast", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 10, "perUnit": 4}]}])
    };
    let stopped = solve_json(one_period(10.0, initiatives(None)));
    assert_all_close(&activity(&stopped, "slow"), &[0.0]);
    assert_eq!(stopped.initiatives[0].change, Change::Stop);
    assert_close(stopped.objective, 40.0);

    let floored = solve_json(one_period(10.0, initiatives(Some(3.0))));
    assert_all_close(&activity(&floored, "slow"), &[3.0]);
    assert_eq!(floored.initiatives[0].change, Change::Shrink);
    assert_close(floored.objective, 3.0 + 28.0);
}

#[test]
fn max_caps_activity_below_the_curve() {
    let plan = solve_json(one_period(
        10.0,
        json!([{"id": "a", "requirements": {"eng": 1}, "current": 0, "max": 4, "value": [{"upTo": 8, "perUnit": 3}]}]),
    ));
    assert_all_close(&activity(&plan, "a"), &[4.0]);
    assert_close(plan.objective, 12.0);
}

#[test]
fn segments_fill_in_order_with_diminishing_returns() {
    // 2 x 10 + 3 x 4 + 1 x 1 = 33 at a = 6 (capacity bound).
    let plan = solve_json(one_period(
        6.0,
        json!([{"id": "a", "requirements": {"eng": 1}, "current": 0,
                "value": [{"upTo": 2, "perUnit": 10}, {"upTo": 5, "perUnit": 4}, {"perUnit": 1}]}]),
    ));
    assert_all_close(&activity(&plan, "a"), &[6.0]);
    assert_close(plan.objective, 33.0);
    assert_close(plan.value, 33.0);
}

#[test]
fn a_negative_value_past_saturation_stops_growth_there() {
    let plan = solve_json(one_period(
        10.0,
        json!([{"id": "a", "requirements": {"eng": 1}, "current": 0,
                "value": [{"upTo": 3, "perUnit": 2}, {"perUnit": -1}]}]),
    ));
    assert_all_close(&activity(&plan, "a"), &[3.0]);
    assert_close(plan.objective, 6.0);
}

#[test]
fn ramp_up_limits_growth_per_period() {
    // Growth of at most 1 per period from 0: 1, 2, 3 -> value 5 x 6 = 30.
    let plan = solve_json(json!({
        "periods": [{"id": "m1"}, {"id": "m2"}, {"id": "m3"}],
        "resources": [{"id": "eng", "capacity": [10]}],
        "initiatives": [{"id": "a", "requirements": {"eng": 1}, "current": 0, "rampUp": 1,
                         "value": [{"perUnit": 5}], "max": 10}]
    }));
    assert_all_close(&activity(&plan, "a"), &[1.0, 2.0, 3.0]);
    assert_close(plan.objective, 30.0);
}

#[test]
fn ramp_down_limits_how_fast_a_resource_is_freed() {
    // x falls at most 2 per period from 6: 4, 2, 0; y takes what x frees.
    // value = x (4 + 2 + 0) + 3 y (2 + 4 + 6) = 6 + 36 = 42.
    let plan = solve_json(json!({
        "periods": [{"id": "m1"}, {"id": "m2"}, {"id": "m3"}],
        "resources": [{"id": "eng", "capacity": [6]}],
        "initiatives": [
            {"id": "x", "requirements": {"eng": 1}, "current": 6, "rampDown": 2, "value": [{"perUnit": 1}]},
            {"id": "y", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 6, "perUnit": 3}]}
        ]
    }));
    assert_all_close(&activity(&plan, "x"), &[4.0, 2.0, 0.0]);
    assert_all_close(&activity(&plan, "y"), &[2.0, 4.0, 6.0]);
    assert_close(plan.objective, 42.0);
}

#[test]
fn move_cost_is_paid_at_both_ends_and_can_make_a_move_not_worth_it() {
    // Moving a unit from a (1/unit) to b (1.5/unit) gains 0.5 and costs 2 x moveCost.
    let scenario = |move_cost: f64| {
        json!({
            "periods": [{"id": "q"}],
            "resources": [{"id": "eng", "capacity": [10], "moveCost": move_cost}],
            "initiatives": [
                {"id": "a", "requirements": {"eng": 1}, "current": 10, "value": [{"perUnit": 1}]},
                {"id": "b", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 10, "perUnit": 1.5}]}
            ]
        })
    };
    let stays = solve_json(scenario(0.3)); // 0.6 > 0.5
    assert_all_close(&activity(&stays, "a"), &[10.0]);
    assert_close(stays.objective, 10.0);
    assert!(stays.moves.is_empty());

    let moves = solve_json(scenario(0.2)); // 0.4 < 0.5
    assert_all_close(&activity(&moves, "b"), &[10.0]);
    assert_close(moves.value, 15.0);
    assert_close(moves.move_cost, 4.0);
    assert_close(moves.objective, 11.0);
    assert_eq!(moves.moves.len(), 1);
    assert_eq!(
        (moves.moves[0].from.as_str(), moves.moves[0].to.as_str()),
        ("a", "b")
    );
    assert_close(moves.moves[0].amount, 10.0);
}

#[test]
fn move_cost_from_the_reserve_is_paid_once() {
    // b grows from the reserve: 1.5 x 10 - 0.7 x 10 = 8 > 0.
    let plan = solve_json(json!({
        "periods": [{"id": "q"}],
        "resources": [{"id": "eng", "capacity": [10], "moveCost": 0.7}],
        "initiatives": [{"id": "b", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 10, "perUnit": 1.5}]}]
    }));
    assert_close(plan.move_cost, 7.0);
    assert_close(plan.objective, 8.0);
    assert_eq!(plan.moves[0].from, "reserve");
}

#[test]
fn churn_limits_how_much_capacity_changes_hands_per_period() {
    // 10% of 10 = 1 unit of churn per period; moving x from a to b churns 2x.
    // b: 0.5, 1.0; a: 9.5, 9.0. value = (9.5 + 1) + (9 + 2) = 21.5.
    let plan = solve_json(json!({
        "periods": [{"id": "m1"}, {"id": "m2"}],
        "resources": [{"id": "eng", "capacity": [10], "maxChurn": 0.1}],
        "initiatives": [
            {"id": "a", "requirements": {"eng": 1}, "current": 10, "value": [{"perUnit": 1}]},
            {"id": "b", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 10, "perUnit": 2}]}
        ]
    }));
    assert_all_close(&activity(&plan, "b"), &[0.5, 1.0]);
    assert_all_close(&activity(&plan, "a"), &[9.5, 9.0]);
    assert_close(plan.objective, 21.5);
}

#[test]
fn group_max_caps_the_combined_use_of_its_members() {
    // a 3, b 2, c 1 per eng; {a, b} may use at most 4: a = 4, c = 6 -> 18.
    let mut s = one_period(
        10.0,
        json!([
            {"id": "a", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 10, "perUnit": 3}]},
            {"id": "b", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 10, "perUnit": 2}]},
            {"id": "c", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 10, "perUnit": 1}]}
        ]),
    );
    s["groups"] = json!([{"id": "ab", "resource": "eng", "initiatives": ["a", "b"], "max": 4}]);
    let plan = solve_json(s);
    assert_all_close(&activity(&plan, "a"), &[4.0]);
    assert_all_close(&activity(&plan, "b"), &[0.0]);
    assert_all_close(&activity(&plan, "c"), &[6.0]);
    assert_close(plan.objective, 18.0);
}

#[test]
fn group_min_guarantees_the_combined_use_of_its_members() {
    // c (1 per eng) must use at least 7 of 10 eng: a gets 3 -> 9 + 7 = 16.
    let mut s = one_period(
        10.0,
        json!([
            {"id": "a", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 10, "perUnit": 3}]},
            {"id": "c", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 10, "perUnit": 1}]}
        ]),
    );
    s["groups"] = json!([{"id": "keep-c", "resource": "eng", "initiatives": ["c"], "min": 7}]);
    let plan = solve_json(s);
    assert_all_close(&activity(&plan, "c"), &[7.0]);
    assert_close(plan.objective, 16.0);
}

#[test]
fn dependency_limits_an_initiative_to_a_ratio_of_what_it_requires() {
    // b (10/unit) <= 0.5 a; a earns nothing; a + b <= 9 -> a = 6, b = 3 -> 30.
    let mut s = one_period(
        9.0,
        json!([
            {"id": "a", "requirements": {"eng": 1}, "current": 0, "max": 100},
            {"id": "b", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 100, "perUnit": 10}]}
        ]),
    );
    s["dependencies"] = json!([{"initiative": "b", "requires": "a", "ratio": 0.5}]);
    let plan = solve_json(s);
    assert_all_close(&activity(&plan, "a"), &[6.0]);
    assert_all_close(&activity(&plan, "b"), &[3.0]);
    assert_close(plan.objective, 30.0);
}

#[test]
fn integral_initiatives_run_in_whole_units() {
    // LP would run a at 10/3; whole units: a = 3 (9 eng), b = 1 -> 9 + 0.5.
    let plan = solve_json(one_period(
        10.0,
        json!([
            {"id": "a", "requirements": {"eng": 3}, "current": 0, "integral": true, "value": [{"upTo": 10, "perUnit": 3}]},
            {"id": "b", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 10, "perUnit": 0.5}]}
        ]),
    ));
    let expected = if cfg!(feature = "highs") {
        "highs"
    } else {
        "lpsolve"
    };
    assert_eq!(plan.solver.name, expected);
    assert_all_close(&activity(&plan, "a"), &[3.0]);
    assert_all_close(&activity(&plan, "b"), &[1.0]);
    assert_close(plan.objective, 9.5);
    // Shadow prices are LP-only.
    assert_all_close(&shadow_price(&plan, "eng"), &[0.0]);
}

#[test]
fn locked_initiatives_stay_at_current() {
    let plan = solve_json(one_period(
        10.0,
        json!([
            {"id": "fixed", "requirements": {"eng": 1}, "current": 4, "locked": true, "value": [{"perUnit": 0.1}]},
            {"id": "b", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 10, "perUnit": 5}]}
        ]),
    ));
    assert_all_close(&activity(&plan, "fixed"), &[4.0]);
    assert_all_close(&activity(&plan, "b"), &[6.0]);
}

#[test]
fn period_weight_multiplies_the_value_earned_in_that_period() {
    let plan = solve_json(json!({
        "periods": [{"id": "m1"}, {"id": "m2", "weight": 2}],
        "resources": [{"id": "eng", "capacity": [4]}],
        "initiatives": [{"id": "a", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 10, "perUnit": 1}]}]
    }));
    assert_close(plan.value, 4.0 + 8.0);
}

#[test]
fn capacity_may_differ_per_period() {
    let plan = solve_json(json!({
        "periods": [{"id": "nov"}, {"id": "dec"}],
        "resources": [{"id": "eng", "capacity": [10, 6]}],
        "initiatives": [{"id": "a", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 20, "perUnit": 1}]}]
    }));
    assert_all_close(&activity(&plan, "a"), &[10.0, 6.0]);
    assert_all_close(&shadow_price(&plan, "eng"), &[1.0, 1.0]);
}

#[test]
fn a_higher_tier_is_served_first_even_over_more_value() {
    // Without tiers t2 (10/unit) takes all 10 eng; with t1 in tier 1 it is served first.
    let initiatives = |tiers: bool| {
        json!([
            {"id": "t1", "requirements": {"eng": 1}, "current": 0, "tier": if tiers {1} else {0}, "value": [{"upTo": 10, "perUnit": 1}]},
            {"id": "t2", "requirements": {"eng": 1}, "current": 0, "tier": if tiers {2} else {0}, "value": [{"upTo": 10, "perUnit": 10}]}
        ])
    };
    let flat = solve_json(one_period(10.0, initiatives(false)));
    assert_close(flat.objective, 100.0);
    assert_eq!(flat.solver.stages, 1);

    let tiered = solve_json(one_period(10.0, initiatives(true)));
    assert_all_close(&activity(&tiered, "t1"), &[10.0]);
    assert_close(tiered.objective, 10.0);
    assert_eq!(tiered.solver.stages, 3);
}

#[test]
fn tier_tolerance_lets_lower_tiers_take_a_share_of_a_higher_tiers_value() {
    // t1 may lose up to half of its optimal 10: t1 = 5, t2 = 5 -> 5 + 50.
    let mut s = one_period(
        10.0,
        json!([
            {"id": "t1", "requirements": {"eng": 1}, "current": 0, "tier": 1, "value": [{"upTo": 10, "perUnit": 1}]},
            {"id": "t2", "requirements": {"eng": 1}, "current": 0, "tier": 2, "value": [{"upTo": 10, "perUnit": 10}]}
        ]),
    );
    s["policy"] = json!({"tierTolerance": 0.5});
    let plan = solve_json(s);
    assert_all_close(&activity(&plan, "t1"), &[5.0]);
    assert_close(plan.objective, 55.0);
}

#[test]
fn a_free_initiative_that_nothing_prices_stays_finite() {
    // `idle` uses nothing, has no max and earns nothing: an unbounded optimal face
    // for an interior-point solver. The plan must still be finite and optimal.
    let plan = solve_json(one_period(
        10.0,
        json!([
            {"id": "idle", "current": 2},
            {"id": "a", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 10, "perUnit": 1}]}
        ]),
    ));
    assert_eq!(plan.status, Status::Optimal);
    let idle = activity(&plan, "idle")[0];
    assert!(
        idle.is_finite() && (0.0..=2.0 + 1e-6).contains(&idle),
        "idle = {idle}"
    );
    assert_close(plan.objective, 10.0);
}

#[test]
fn a_scenario_without_initiatives_plans_to_an_empty_plan() {
    for solver in ["auto", "clarabel", "microlp"] {
        let plan = solve_json(json!({
            "periods": [{"id": "q"}],
            "resources": [{"id": "eng", "capacity": [5]}],
            "policy": {"solver": solver}
        }));
        assert_eq!(plan.status, Status::Optimal, "{solver}");
        assert!(plan.initiatives.is_empty());
        assert_all_close(&plan.resources[0].reserve, &[5.0]);
        assert_eq!(plan.objective, 0.0);
    }
}
