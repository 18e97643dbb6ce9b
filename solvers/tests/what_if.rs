//! Variants, comparisons, frontiers and price ranges, checked against planning each
//! case by hand with the same solver.

mod common;
use common::*;
use fluidity_solvers::whatif::compare::{compare, Shift};
use fluidity_solvers::whatif::sweep::{price_ranges, sweep, Parameter, SweepError};
use fluidity_solvers::whatif::variant::Variant;
use fluidity_solvers::{plan, PlanOptions};
use fluidity_solvers::{Change, Status};
use serde_json::json;

fn variant(v: serde_json::Value) -> Variant {
    Variant::list_from_json(&v.to_string()).unwrap().remove(0)
}

/// eng 10; a earns 3 per eng up to 8; b earns 1 per eng up to 100.
fn two_tier_value() -> serde_json::Value {
    json!({
        "name": "base",
        "periods": [{"id": "q"}],
        "resources": [{"id": "eng", "capacity": [10]}],
        "initiatives": [
            {"id": "a", "requirements": {"eng": 1}, "current": 8, "value": [{"upTo": 8, "perUnit": 3}]},
            {"id": "b", "requirements": {"eng": 1}, "current": 2, "value": [{"upTo": 100, "perUnit": 1}]}
        ]
    })
}

#[test]
fn a_variant_scales_capacity_in_the_periods_it_names() {
    let base = scenario(json!({
        "periods": [{"id": "nov"}, {"id": "dec"}],
        "resources": [{"id": "capital", "capacity": [100]}],
        "initiatives": []
    }));
    let v = variant(
        json!({"name": "december cut", "resources": [{"id": "capital", "scaleCapacity": 0.9, "periods": ["dec"]}]}),
    );
    let s = v.apply(&base, "variant").unwrap();
    assert_eq!(s.resources[0].capacity, vec![100.0, 90.0]);
}

#[test]
fn a_variant_sets_the_mip_gap_and_an_invalid_one_is_refused_at_its_path() {
    let base = scenario(json!({
        "periods": [{"id": "q"}],
        "resources": [{"id": "eng", "capacity": [10]}],
        "initiatives": []
    }));
    let s = variant(json!({"name": "quick", "policy": {"mipGap": 0.01}}))
        .apply(&base, "variants[0]")
        .unwrap();
    assert_eq!(s.policy.mip_gap, Some(0.01));
    let problems = variant(json!({"name": "bad", "policy": {"mipGap": 1.5}}))
        .apply(&base, "variants[0]")
        .unwrap_err();
    assert!(
        problems.iter().any(|p| p.path.ends_with("policy.mipGap")),
        "{problems:?}"
    );
}

#[test]
fn a_variant_naming_an_unknown_id_is_an_error_with_its_path() {
    let base = scenario(two_tier_value());
    let v = variant(json!({
        "resources": [{"id": "design", "scaleCapacity": 2}],
        "initiatives": [{"id": "zzz", "locked": true}],
        "removeInitiatives": ["ghost"],
        "addInitiatives": [{"id": "a", "current": 0}]
    }));
    let problems = v.apply(&base, "variants[0]").unwrap_err();
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "variants[0].resources[0].id",
            "variants[0].initiatives[0].id",
            "variants[0].removeInitiatives[0]",
            "variants[0].addInitiatives[0].id"
        ]
    );
}

#[test]
fn a_variant_whose_scenario_is_invalid_says_where() {
    let base = scenario(two_tier_value());
    let v = variant(json!({"resources": [{"id": "eng", "reserveMin": 1.5}]}));
    let problems = v.apply(&base, "variants[2]").unwrap_err();
    assert_eq!(
        problems[0].path,
        "variants[2].scenario.resources[0].reserveMin"
    );
}

#[test]
fn removing_an_initiative_drops_its_group_memberships_and_dependencies() {
    let mut s = two_tier_value();
    s["groups"] = json!([{"id": "g", "resource": "eng", "initiatives": ["a", "b"], "max": 9}]);
    s["dependencies"] = json!([{"initiative": "b", "requires": "a"}]);
    let v = variant(json!({"removeInitiatives": ["a"]}));
    let out = v.apply(&scenario(s), "v").unwrap();
    assert_eq!(out.groups[0].initiatives, vec!["b".to_string()]);
    assert!(out.dependencies.is_empty());
}

#[test]
fn compare_reports_each_variant_as_planning_it_by_hand_does() {
    let base = scenario(two_tier_value());
    let variants = vec![
        variant(json!({"name": "eng -20%", "resources": [{"id": "eng", "scaleCapacity": 0.8}]})),
        variant(json!({"name": "b worth more", "initiatives": [{"id": "b", "scaleValue": 4}]})),
    ];
    let c = compare(&base, &variants, &PlanOptions::default()).unwrap();
    let by_hand =
        |v: &Variant| plan(&v.apply(&base, "v").unwrap(), &PlanOptions::default()).unwrap();
    assert_close(c.base.objective, 26.0);
    for (outcome, v) in c.variants.iter().zip(&variants) {
        let p = by_hand(v);
        assert_close(outcome.plan.as_ref().unwrap().objective, p.objective);
        assert_close(outcome.delta_objective, p.objective - 26.0);
    }
    // eng 8: a keeps 8, b stops; b at 4 per eng: b takes all 10.
    assert_close(c.variants[0].delta_objective, -2.0);
    assert_close(c.variants[1].delta_objective, 40.0 - 26.0);
    let a = c.initiatives.iter().find(|i| i.id == "a").unwrap();
    assert_eq!(a.base, Some(8.0));
    assert_eq!(a.variants[0].shift, Shift::Same);
    assert_eq!(a.variants[1].shift, Shift::Down);
    // Shadow price of eng: 1 in the base, 3 with less eng, 4 when b is worth more.
    let eng = &c.resources[0];
    assert_all_close(&eng.base, &[1.0]);
    let price = eng.variants[0].shadow_price[0];
    assert!(
        (1.0 - 1e-6..=3.0 + 1e-6).contains(&price),
        "degenerate: any price in [1, 3], got {price}"
    );
    assert_all_close(&eng.variants[1].shadow_price, &[4.0]);
}

#[test]
fn compare_lists_the_moves_a_variant_adds_and_removes() {
    let base = scenario(two_tier_value());
    let v = variant(json!({"name": "b worth more", "initiatives": [{"id": "b", "scaleValue": 4}]}));
    let c = compare(&base, &[v], &PlanOptions::default()).unwrap();
    // Base: b grows from the reserve? No: eng is full (8 + 2). Variant: a -> b.
    assert!(c.base.moves.is_empty());
    let appeared: Vec<(&str, &str)> = c.variants[0]
        .moves_appeared
        .iter()
        .map(|m| (m.from.as_str(), m.to.as_str()))
        .collect();
    assert_eq!(appeared, [("a", "b")]);
    assert!(c.variants[0].moves_disappeared.is_empty());
}

#[test]
fn adding_a_priority_says_what_it_displaces_and_what_that_costs() {
    // new earns 5 per eng up to 4: it takes 4 eng, which b (1 per eng) gives up first:
    // b 2 -> 0 (value 2), then a 8 -> 6 (value 6). New value 20; objective +12.
    let base = scenario(two_tier_value());
    let v = variant(json!({
        "name": "new priority",
        "addInitiatives": [{"id": "new", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 4, "perUnit": 5}]}]
    }));
    let c = compare(&base, &[v], &PlanOptions::default()).unwrap();
    let outcome = &c.variants[0];
    let cost = outcome.priority_cost.as_ref().unwrap();
    assert_eq!(cost.added, vec!["new".to_string()]);
    assert_close(cost.added_value, 20.0);
    let displaced: Vec<(&str, Change)> = cost
        .displaced
        .iter()
        .map(|d| (d.id.as_str(), d.change))
        .collect();
    assert_eq!(displaced, [("a", Change::Shrink), ("b", Change::Stop)]);
    assert_close(cost.displaced[0].value_lost, 6.0);
    assert_close(cost.displaced[0].end_activity_lost, 2.0);
    assert_close(cost.displaced[1].value_lost, 2.0);
    assert_close(cost.value_given_up, 8.0);
    assert_close(outcome.delta_objective, 12.0);
    let new = c.initiatives.iter().find(|i| i.id == "new").unwrap();
    assert_eq!(new.base, None);
    assert_eq!(new.variants[0].shift, Shift::Added);
}

#[test]
fn a_variant_that_cannot_be_planned_is_reported_and_the_others_still_are() {
    let base = scenario(two_tier_value());
    let variants = vec![
        variant(json!({"name": "broken", "initiatives": [{"id": "nobody", "locked": true}]})),
        variant(json!({"name": "fine", "resources": [{"id": "eng", "scaleCapacity": 1.1}]})),
    ];
    let c = compare(&base, &variants, &PlanOptions::default()).unwrap();
    assert!(c.variants[0].plan.is_none());
    assert_eq!(
        c.variants[0].violations[0].path,
        "variants[0].initiatives[0].id"
    );
    assert!(c.variants[1].plan.is_some());
}

#[test]
fn a_capacity_sweep_gives_the_frontier_and_what_each_unit_buys() {
    // cap c: objective 3c up to 8, then 24 + (c - 8).
    let base = scenario(two_tier_value());
    let s = sweep(
        &base,
        "eng",
        Parameter::CapacityFactor,
        &[0.5, 1.0, 1.5],
        &PlanOptions::default(),
    )
    .unwrap();
    let objectives: Vec<f64> = s.points.iter().map(|p| p.objective).collect();
    assert_all_close(&objectives, &[15.0, 26.0, 31.0]);
    assert_eq!(s.points[0].marginal_value, None);
    assert_close(s.points[1].marginal_value.unwrap(), 11.0 / 5.0);
    assert_close(s.points[2].marginal_value.unwrap(), 1.0);
    assert_all_close(&s.points[0].shadow_price, &[3.0]);
    assert_all_close(&s.points[2].shadow_price, &[1.0]);
    assert!(
        s.changes
            .iter()
            .any(|c| c.from == 0.5 && c.to == 1.0 && c.what.starts_with("shadow price")),
        "{:?}",
        s.changes
    );
    // Each point is the plan of the scaled scenario.
    let mut scaled = base.clone();
    scaled.resources[0].capacity = vec![15.0];
    assert_close(
        plan(&scaled, &PlanOptions::default()).unwrap().objective,
        s.points[2].objective,
    );
}

#[test]
fn a_reserve_sweep_sets_the_reserve_level() {
    let base = scenario(two_tier_value());
    let s = sweep(
        &base,
        "eng",
        Parameter::ReserveLevel,
        &[0.0, 0.2],
        &PlanOptions::default(),
    )
    .unwrap();
    assert_close(s.points[0].objective, 26.0);
    assert_close(s.points[1].objective, 24.0); // 8 allocatable: a only
    assert_close(s.points[1].marginal_value.unwrap(), 1.0); // 2 units of allocatable, 2 value
}

#[test]
fn a_sweep_of_an_unknown_resource_or_a_bad_value_is_refused_with_paths() {
    let base = scenario(two_tier_value());
    let Err(SweepError::Invalid(problems)) = sweep(
        &base,
        "design",
        Parameter::ReserveLevel,
        &[1.5],
        &PlanOptions::default(),
    ) else {
        panic!("expected invalid")
    };
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["resource", "values[0]"]);
}

#[test]
fn a_price_range_holds_inside_and_changes_just_outside() {
    // At eng 10 the price is 1 (b is the marginal user) from 8 (below it a is, at 3)
    // up to 108 (where b reaches its curve's end at 100 and the price falls to 0).
    let base = scenario(two_tier_value());
    let base_plan = plan(&base, &PlanOptions::default()).unwrap();
    let ranges = price_ranges(&base, &base_plan, &PlanOptions::default());
    let r = &ranges[0];
    assert_close(r.shadow_price, 1.0);
    assert!((r.lower - 8.0).abs() < 1e-3, "lower {}", r.lower);
    assert!(
        (r.upper.unwrap() - 108.0).abs() < 1e-2,
        "upper {:?}",
        r.upper
    );
    let price_at = |c: f64| {
        let mut s = base.clone();
        s.resources[0].capacity = vec![c];
        shadow_price(&plan(&s, &PlanOptions::default()).unwrap(), "eng")[0]
    };
    assert_close(price_at(8.5), 1.0);
    assert_close(price_at(107.0), 1.0);
    assert_close(price_at(7.5), 3.0);
    assert_close(price_at(109.0), 0.0);
}

#[test]
fn an_unpriced_resource_holds_its_zero_price_from_what_the_plan_uses_upwards() {
    let base = scenario(json!({
        "periods": [{"id": "q"}],
        "resources": [{"id": "eng", "capacity": [10], "reserveMin": 0.5}],
        "initiatives": [{"id": "a", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 2, "perUnit": 3}]}]
    }));
    let p = plan(&base, &PlanOptions::default()).unwrap();
    assert_eq!(p.status, Status::Optimal);
    let r = &price_ranges(&base, &p, &PlanOptions::default())[0];
    assert_eq!(r.shadow_price, 0.0);
    assert_close(r.lower, 4.0); // 2 used / 0.5 allocatable share
    assert_eq!(r.upper, None);
}
