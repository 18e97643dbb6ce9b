//! Plans are right at every magnitude validation accepts: capital in USD at 1e12,
//! values at 1e-9 per unit, prices of 5e-10 per USD. Prices are checked against the
//! Lagrangian bound (a dual checker written from the model document, see
//! `common/lagrangian.rs`) and against published or hand-derived values, and a change
//! of units moves objective, activities and prices exactly as it should.

mod common;
#[path = "common/lagrangian.rs"]
mod lagrangian;
#[path = "common/random.rs"]
#[allow(dead_code)]
mod random;

use common::*;
use fluidity_solvers::Status;
use fluidity_solvers::{plan, Plan, PlanOptions, Scenario};
use lagrangian::lagrangian_bound;
use proptest::prelude::*;
use random::{random_scenario, Shape};
use serde_json::json;

fn relative(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(f64::MIN_POSITIVE)
}

fn assert_relative(actual: f64, expected: f64, tol: f64) {
    assert!(
        relative(actual, expected) <= tol,
        "expected {expected}, got {actual} (relative error {:e})",
        relative(actual, expected)
    );
}

/// `a` needs 2 and earns 60 per unit, `b` needs 1.5 and earns 30; one capital pool.
/// The capital price is exactly 30 (one more unit of capital buys 1/2 unit of `a`),
/// whether or not `b` binds.
fn capital_pair(capital: f64, copies: usize, cap_b: Option<f64>) -> Scenario {
    let mut initiatives = Vec::new();
    for k in 0..copies {
        initiatives.push(
            json!({"id": format!("a{k}"), "requirements": {"capital": 2}, "current": 0,
            "value": [{"perUnit": 60}]}),
        );
        let mut b = json!({"id": format!("b{k}"), "requirements": {"capital": 1.5}, "current": 0,
            "value": [{"perUnit": 30}]});
        if let Some(cap) = cap_b {
            b["max"] = json!(cap);
        }
        initiatives.push(b);
    }
    scenario(json!({
        "name": "capital pair",
        "periods": [{"id": "q"}],
        "resources": [{"id": "capital", "unit": "USD", "capacity": [capital]}],
        "initiatives": initiatives,
    }))
}

fn only_price(p: &Plan) -> f64 {
    p.resources[0].shadow_price[0]
}

#[test]
fn capital_at_a_billion_with_a_capped_initiative_is_priced_at_thirty() {
    let p = solve(&capital_pair(1e9, 1, Some(1e9)));
    assert_eq!(p.status, Status::Optimal);
    assert_relative(p.objective, 3e10, 1e-12);
    assert_relative(only_price(&p), 30.0, 1e-12);
    assert_eq!(p.bottlenecks.len(), 1);
}

#[test]
fn capital_at_thirty_billion_is_priced_at_thirty() {
    for capital in [3e10, 8e10, 1e12] {
        let p = solve(&capital_pair(capital, 1, None));
        assert_relative(p.objective, 30.0 * capital, 1e-12);
        assert_relative(only_price(&p), 30.0, 1e-12);
    }
}

#[test]
fn thirteen_hundred_capped_pairs_at_ten_billion_are_planned_and_priced() {
    let p = solve(&capital_pair(1e10, 1300, Some(1e9)));
    assert_eq!(p.status, Status::Optimal);
    assert_relative(p.objective, 3e11, 1e-9);
    assert_relative(only_price(&p), 30.0, 1e-9);
}

#[test]
fn a_price_of_five_tenths_of_a_billionth_per_usd_is_reported() {
    // 1e10 USD, 1e9 USD per unit, 0.5 per unit: all 5 of value comes from capital.
    let p = solve_json(json!({
        "name": "tiny price",
        "periods": [{"id": "q"}],
        "resources": [{"id": "capital", "capacity": [1e10]}],
        "initiatives": [{"id": "a", "requirements": {"capital": 1e9}, "current": 0,
            "value": [{"perUnit": 0.5}]}]
    }));
    assert_relative(p.objective, 5.0, 1e-12);
    assert_relative(only_price(&p), 5e-10, 1e-9);
    assert_eq!(p.bottlenecks.len(), 1);
    assert_relative(p.bottlenecks[0].value_of_one_percent, 0.05, 1e-9);
}

/// The Wyndor Glass product mix (Hillier and Lieberman): max 3x + 5y s.t. x <= 4,
/// 2y <= 12, 3x + 2y <= 18; optimum 36 at (2, 6), duals (0, 1.5, 1).
fn wyndor(capacity_factor: f64, value_factor: f64) -> Scenario {
    let k = capacity_factor;
    scenario(json!({
        "name": "wyndor",
        "periods": [{"id": "q"}],
        "resources": [
            {"id": "plant1", "capacity": [4.0 * k]},
            {"id": "plant2", "capacity": [12.0 * k]},
            {"id": "plant3", "capacity": [18.0 * k]}
        ],
        "initiatives": [
            {"id": "doors", "requirements": {"plant1": 1, "plant3": 3}, "current": 0,
             "value": [{"perUnit": 3.0 * value_factor}]},
            {"id": "windows", "requirements": {"plant2": 2, "plant3": 2}, "current": 0,
             "value": [{"perUnit": 5.0 * value_factor}]}
        ]
    }))
}

#[test]
fn the_textbook_product_mix_has_its_published_prices_at_every_scale() {
    for (k, v) in [
        (1.0, 1.0),
        (1e7, 1.0),
        (1.0, 1e-8),
        (1e7, 1e-8),
        (1e-6, 1e3),
    ] {
        let p = solve(&wyndor(k, v));
        assert_relative(p.objective, 36.0 * k * v, 1e-9);
        assert_all_close(&activity(&p, "doors"), &[2.0 * k]);
        let prices: Vec<f64> = p.resources.iter().map(|r| r.shadow_price[0] / v).collect();
        assert_eq!(prices[0], 0.0, "plant1 has room");
        assert_relative(prices[1], 1.5, 1e-9);
        assert_relative(prices[2], 1.0, 1e-9);
    }
}

#[test]
fn a_nearly_binding_tier_floor_leaves_the_unique_price_exact() {
    // Tier 1 runs `core` to its max (6.000004 units); the final stage may lower it
    // only by round-off (1e-7 of its value), so the spare unit of capacity goes to
    // `growth` at 10 per unit: the capacity price is exactly 10.
    let p = solve_json(json!({
        "name": "near-binding tier",
        "periods": [{"id": "q"}],
        "resources": [{"id": "eng", "capacity": [10]}],
        "initiatives": [
            {"id": "core", "requirements": {"eng": 1}, "current": 0, "max": 6.000004, "tier": 1,
             "value": [{"perUnit": 5}]},
            {"id": "growth", "requirements": {"eng": 1}, "current": 0,
             "value": [{"perUnit": 10}]}
        ]
    }));
    assert_eq!(p.status, Status::Optimal);
    assert_relative(only_price(&p), 10.0, 1e-12);
}

#[test]
fn the_prices_of_the_magnitude_cases_pass_the_dual_checker() {
    let cases = [
        capital_pair(1e9, 1, Some(1e9)),
        capital_pair(3e10, 1, None),
        wyndor(1e7, 1e-8),
        wyndor(1.0, 1.0),
    ];
    for s in cases {
        let p = solve(&s);
        let bound = lagrangian_bound(&s, &p).expect("the priced program is bounded");
        assert_relative(bound, p.objective, 1e-7);
    }
}

fn without_tiers(seed: u64) -> Scenario {
    random_scenario(
        seed,
        Shape {
            tiers: false,
            ..Shape::LP
        },
    )
}

/// One resource's units multiplied by k: capacity, requirements and its groups'
/// bounds times k, its move cost divided by k.
fn rescale_resource(s: &Scenario, r: usize, k: f64) -> Scenario {
    let mut s = s.clone();
    let id = s.resources[r].id.clone();
    let res = &mut s.resources[r];
    res.capacity.iter_mut().for_each(|c| *c *= k);
    res.move_cost = res.move_cost.map(|m| m / k);
    for i in &mut s.initiatives {
        if let Some(x) = i.requirements.get_mut(&id) {
            *x *= k;
        }
    }
    for g in s.groups.iter_mut().filter(|g| g.resource == id) {
        g.min = g.min.map(|m| m * k);
        g.max = g.max.map(|m| m * k);
    }
    s
}

/// Every value (segments and move costs) multiplied by k.
fn rescale_values(s: &Scenario, k: f64) -> Scenario {
    let mut s = s.clone();
    for i in &mut s.initiatives {
        i.value.iter_mut().for_each(|seg| seg.per_unit *= k);
    }
    for r in &mut s.resources {
        r.move_cost = r.move_cost.map(|m| m * k);
    }
    s
}

/// `b`'s prices are `a`'s times factor(resource), to 1e-6 of the largest; or, where the
/// dual is not unique (the model document lets a plan report any vertex of it), both
/// are right: each passes the dual checker on its own scenario.
fn same_or_equally_right_prices(
    (sa, a): (&Scenario, &Plan),
    (sb, b): (&Scenario, &Plan),
    factor: impl Fn(usize) -> f64,
) -> Result<(), String> {
    let Err(difference) = same_prices(a, b, factor) else {
        return Ok(());
    };
    for (s, p) in [(sa, a), (sb, b)] {
        let bound = lagrangian_bound(s, p).ok_or(format!(
            "{difference}; and prices leave the relaxed program unbounded"
        ))?;
        if (bound - p.objective).abs() > 1e-6 * p.objective.abs().max(1.0) {
            return Err(format!(
                "{difference}; and the Lagrangian bound {bound} is not the objective {}",
                p.objective
            ));
        }
    }
    Ok(())
}

/// Prices agree to 1e-6 of the largest price of the plan (a price of zero stays one).
fn same_prices(a: &Plan, b: &Plan, factor: impl Fn(usize) -> f64) -> Result<(), String> {
    let largest = a
        .resources
        .iter()
        .flat_map(|r| r.shadow_price.iter())
        .fold(0.0f64, |m, &p| m.max(p));
    for (r, (x, y)) in a.resources.iter().zip(&b.resources).enumerate() {
        for (p, q) in x.shadow_price.iter().zip(&y.shadow_price) {
            if (p * factor(r) - q).abs() > 1e-6 * (largest * factor(r)).max(f64::MIN_POSITIVE) {
                return Err(format!("{}: {p} x {} vs {q}", x.id, factor(r)));
            }
        }
    }
    Ok(())
}

/// A random scenario (seed found by CI's property run) that HiGHS solves on its own
/// in the `highs` build: its duals left the relaxed program unbounded.
#[test]
fn the_prices_of_a_degenerate_random_scenario_pass_the_dual_checker() {
    let s = without_tiers(12336536711603592157);
    let p = plan(&s, &PlanOptions::default()).unwrap();
    assert_eq!(p.status, Status::Optimal);
    let bound = lagrangian_bound(&s, &p).expect("the priced program is bounded");
    assert_relative(bound, p.objective, 1e-6);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(60), ..ProptestConfig::default() })]

    #[test]
    fn prices_pass_the_dual_checker(seed in any::<u64>()) {
        let s = without_tiers(seed);
        let p = plan(&s, &PlanOptions::default()).unwrap();
        if p.status == Status::Optimal {
            let bound = lagrangian_bound(&s, &p);
            prop_assert!(bound.is_some(), "seed {seed}: prices leave the relaxed program unbounded");
            let bound = bound.unwrap();
            prop_assert!((bound - p.objective).abs() <= 1e-6 * p.objective.abs().max(1.0),
                "seed {seed}: Lagrangian bound {bound} vs objective {}", p.objective);
        }
    }

    #[test]
    fn a_change_of_units_of_one_resource_changes_only_its_prices(
        seed in any::<u64>(),
        exponent in prop::sample::select(vec![-6i32, -3, 3, 6, 9]),
    ) {
        let s = without_tiers(seed);
        let base = plan(&s, &PlanOptions::default()).unwrap();
        prop_assume!(base.status == Status::Optimal);
        let r = (seed % s.resources.len() as u64) as usize;
        let k = 10f64.powi(exponent);
        let rescaled = rescale_resource(&s, r, k);
        let scaled = plan(&rescaled, &PlanOptions::default()).unwrap();
        prop_assert_eq!(scaled.status, Status::Optimal, "seed {}", seed);
        prop_assert!((scaled.objective - base.objective).abs() <= 1e-6 * base.objective.abs().max(1.0),
            "seed {seed} k {k}: objective {} vs {}", scaled.objective, base.objective);
        // Prices of the rescaled resource divide by k; the others stay.
        same_or_equally_right_prices((&s, &base), (&rescaled, &scaled), |q| if q == r { 1.0 / k } else { 1.0 })
            .map_err(|e| TestCaseError::fail(format!("seed {seed} k {k}: {e}")))?;
        // The same activities; where the optimum is not unique (the model document
        // lets a plan report any), the other optimum must be one of the base too.
        let same = base.initiatives.iter().zip(&scaled.initiatives).all(|(x, y)| {
            x.activity.iter().zip(&y.activity).all(|(a, b)| (a - b).abs() <= 1e-6 * a.abs().max(1.0))
        });
        if !same {
            let theirs = activities(&scaled);
            prop_assert!(broken_constraints(&s, &theirs).is_empty(), "seed {seed} k {k}: the rescaled plan breaks the base");
            let (value, cost) = evaluate(&s, &theirs);
            prop_assert!((value - cost - base.objective).abs() <= 1e-6 * base.objective.abs().max(1.0),
                "seed {seed} k {k}: activities differ and are not an optimum of the base");
        }
    }

    #[test]
    fn multiplying_every_value_multiplies_objective_and_prices(
        seed in any::<u64>(),
        exponent in prop::sample::select(vec![-9i32, -6, -3, 3, 6]),
    ) {
        let s = without_tiers(seed);
        let base = plan(&s, &PlanOptions::default()).unwrap();
        prop_assume!(base.status == Status::Optimal);
        let k = 10f64.powi(exponent);
        let rescaled = rescale_values(&s, k);
        let scaled = plan(&rescaled, &PlanOptions::default()).unwrap();
        prop_assert_eq!(scaled.status, Status::Optimal, "seed {}", seed);
        prop_assert!((scaled.objective - k * base.objective).abs() <= 1e-6 * (k * base.objective).abs().max(k),
            "seed {seed} k {k}: objective {} vs {}", scaled.objective, k * base.objective);
        same_or_equally_right_prices((&s, &base), (&rescaled, &scaled), |_| k)
            .map_err(|e| TestCaseError::fail(format!("seed {seed} k {k}: {e}")))?;
    }
}

#[test]
fn one_fte_and_a_trillion_fte_per_unit_in_one_row_keep_capacity_in_every_solver() {
    // `c` needs 1e12 FTE per unit: 2 FTE left after `a` buy 2e-12 of it.
    let s = scenario(json!({
        "name": "mixed magnitudes in a row",
        "periods": [{"id": "p"}],
        "resources": [{"id": "fte", "capacity": [10]}],
        "initiatives": [
            {"id": "a", "requirements": {"fte": 1}, "current": 2, "min": 2,
             "value": [{"upTo": 8, "perUnit": 1}]},
            {"id": "c", "requirements": {"fte": 1e12}, "current": 0, "value": [{"perUnit": 3}]}
        ]
    }));
    for solver in ["lpsolve", "clarabel", "microlp"] {
        let mut s = s.clone();
        s.policy.solver = solver.to_string();
        let p = solve(&s);
        assert!(
            broken_constraints(&s, &activities(&p)).is_empty(),
            "{solver}: {:?}",
            activities(&p)
        );
        assert_relative(p.objective, 8.000000000006, 1e-9);
    }
}

#[test]
fn a_floor_of_round_off_size_leaves_the_plan_as_without_it() {
    for floor in [1e-12, 1e-30] {
        let p = solve_json(json!({
            "name": "tiny floor",
            "periods": [{"id": "p"}],
            "resources": [{"id": "fte", "capacity": [10]}],
            "initiatives": [{"id": "a", "requirements": {"fte": 1}, "current": 2, "min": floor,
                "rampDown": 1, "value": [{"upTo": 6, "perUnit": 1}]}]
        }));
        assert_eq!(p.status, Status::Optimal, "floor {floor}");
        assert_relative(p.objective, 6.0, 1e-12);
    }
}

#[test]
fn capital_in_billions_per_unit_gives_the_hand_computed_plan_to_twelve_digits() {
    // 2.5e9 of capital, 1e9 per unit, three initiatives of one unit each worth 100, 90
    // and 80: a and b run, c runs at half, the price is 80 per 1e9. lp_solve rounds its
    // input to 12 significant digits (see solve/backend/lpsolve_api.rs), which bounds what is exact here.
    let p = solve_json(json!({
        "name": "billions per unit",
        "periods": [{"id": "p"}],
        "resources": [{"id": "r", "capacity": [2.5e9]}],
        "initiatives": [
            {"id": "a", "requirements": {"r": 1e9}, "current": 0, "value": [{"upTo": 1, "perUnit": 100}]},
            {"id": "b", "requirements": {"r": 1e9}, "current": 0, "value": [{"upTo": 1, "perUnit": 90}]},
            {"id": "c", "requirements": {"r": 1e9}, "current": 0, "value": [{"upTo": 1, "perUnit": 80}]}
        ]
    }));
    assert_relative(p.objective, 230.0, 1e-11);
    assert_relative(only_price(&p), 8e-8, 1e-11);
    assert_relative(activity(&p, "c")[0], 0.5, 1e-11);
}

/// Values so large that the plan's value overflows a double are refused with the
/// field named (the plan came back OPTIMAL with an objective of null).
#[test]
fn values_whose_sum_overflows_are_refused_with_their_path() {
    let s = scenario(json!({
        "periods": [{"id": "q"}],
        "resources": [{"id": "eng", "capacity": [10]}],
        "initiatives": [
            {"id": "h", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 5, "perUnit": 1e300}]},
            {"id": "k", "requirements": {"eng": 1}, "current": 0, "value": [{"upTo": 10, "perUnit": 1.5e308}]}
        ]
    }));
    match plan(&s, &PlanOptions::default()) {
        Err(fluidity_solvers::PlanError::Invalid(invalid)) => {
            assert_eq!(
                invalid.violations[0].path,
                "initiatives[1].value[0].perUnit"
            );
        }
        other => panic!("{other:?}"),
    }
}
