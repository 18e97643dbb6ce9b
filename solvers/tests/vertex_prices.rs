//! Programs too large for the simplex alone (over 3,000 columns, `auto`'s threshold,
//! where the default build solves with Clarabel's interior point) still get the prices
//! of a basis: a unique price exactly, a degenerate one at an end of its range, never
//! the centre of it.

mod common;
use common::*;
use fluidity_solvers::Status;
use fluidity_solvers::{Plan, Scenario};
use serde_json::json;

/// The name `auto` reports for a large LP in this build.
const LARGE_LP_SOLVER: &str = if cfg!(feature = "highs") {
    "highs"
} else {
    "clarabel+lpsolve"
};

/// `copies` initiatives, each needing `need` capital per unit and earning `per_unit`,
/// capped at 5 units; capital `capacity`.
fn identical_initiatives(copies: usize, need: f64, capacity: f64, per_unit: f64) -> Scenario {
    let initiatives: Vec<_> = (0..copies)
        .map(|k| {
            json!({"id": format!("i{k}"), "requirements": {"capital": need}, "current": 0,
                "max": 5, "value": [{"perUnit": per_unit}]})
        })
        .collect();
    scenario(json!({
        "name": "identical initiatives",
        "periods": [{"id": "q"}],
        "resources": [{"id": "capital", "capacity": [capacity]}],
        "initiatives": initiatives,
    }))
}

/// The capital price of a plan that went the large-LP way.
fn capital_price(p: &Plan) -> f64 {
    assert_eq!(p.solver.name, LARGE_LP_SOLVER);
    p.resources[0].shadow_price[0]
}

#[test]
fn a_unique_price_on_a_large_lp_is_exact() {
    // Capital for 8,000 of the 20,000 units: the marginal unit earns 12.5 exactly.
    let p = solve(&identical_initiatives(4_000, 1.0, 8_000.0, 12.5));
    assert_eq!(p.status, Status::Optimal);
    assert!(
        (p.objective - 100_000.0).abs() <= 1e-9 * 100_000.0,
        "{}",
        p.objective
    );
    assert!(
        (capital_price(&p) - 12.5).abs() <= 1e-12 * 12.5,
        "price {} is not exactly 12.5",
        capital_price(&p)
    );
}

#[test]
fn a_degenerate_price_on_a_large_lp_is_an_end_of_its_range() {
    // Capital for exactly every unit the caps allow: one more unit of capital is worth
    // 0 (nothing can use it) and one less costs 10, so every price in [0, 10] is
    // optimal. A basis gives 0 or 10; an interior point gives the middle.
    let p = solve(&identical_initiatives(4_000, 1.0, 20_000.0, 10.0));
    assert_eq!(p.status, Status::Optimal);
    let price = capital_price(&p);
    assert!(
        price.abs() <= 1e-12 || (price - 10.0).abs() <= 1e-12 * 10.0,
        "price {price} is not a vertex of [0, 10]"
    );
}

#[test]
fn a_large_lp_at_ten_billion_usd_is_priced_exactly() {
    // The first case with capital in units of 1e-10: 1e10 per unit of activity.
    let p = solve(&identical_initiatives(4_000, 1e10, 8e13, 12.5));
    assert_eq!(p.status, Status::Optimal);
    assert!((capital_price(&p) - 1.25e-9).abs() <= 1e-12 * 1.25e-9);
}
