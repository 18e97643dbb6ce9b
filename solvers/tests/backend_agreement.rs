//! Backends agree: Clarabel (and HiGHS, with its feature) reach microlp's optimum on random LPs, and
//! microlp's and lp_solve's whole-unit plans match an exhaustive search on small random MILPs,
//! with a bound that is a true bound and a gap that says how far off a plan may be.

mod common;
#[path = "common/random.rs"]
mod random;

use common::*;
use fluidity_solvers::Status;
use fluidity_solvers::{plan, PlanOptions, Scenario};
use proptest::prelude::*;
use random::{random_scenario, Shape};

fn with_solver(s: &Scenario, solver: &str) -> fluidity_solvers::Plan {
    let mut s = s.clone();
    s.policy.solver = solver.to_string();
    plan(&s, &PlanOptions::default()).unwrap_or_else(|e| panic!("{solver}: {e}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(150), ..ProptestConfig::default() })]

    #[test]
    fn clarabel_and_microlp_reach_the_same_objective_on_random_lps(seed in any::<u64>()) {
        // Without tiers: a tiered optimum is defined only up to the tier floors'
        // round-off allowance (1e-7 of each tier's value), which trade-offs amplify.
        let s = random_scenario(seed, Shape { tiers: false, ..Shape::LP });
        assert_agrees_with_microlp(seed, &s, "clarabel", 1e-6)?;
    }

    #[test]
    fn clarabel_and_microlp_agree_closely_on_random_tiered_lps(seed in any::<u64>()) {
        assert_agrees_with_microlp(seed, &random_scenario(seed, Shape::LP), "clarabel", 1e-4)?;
    }

    #[cfg(feature = "highs")]
    #[test]
    fn highs_and_microlp_reach_the_same_objective_on_random_lps(seed in any::<u64>()) {
        let s = random_scenario(seed, Shape { tiers: false, ..Shape::LP });
        assert_agrees_with_microlp(seed, &s, "highs", 1e-6)?;
    }

    #[cfg(feature = "highs")]
    #[test]
    fn highs_keeping_its_model_between_tier_stages_agrees_with_microlp(seed in any::<u64>()) {
        // HiGHS starts each later stage from the previous stage's basis.
        assert_agrees_with_microlp(seed, &random_scenario(seed, Shape::LP), "highs", 1e-4)?;
    }

    #[cfg(feature = "highs")]
    #[test]
    fn highs_finds_the_best_whole_unit_plan_on_small_milps(seed in any::<u64>()) {
        let mut s = small_integral_scenario(seed);
        s.policy.solver = "highs".to_string();
        let p = plan(&s, &PlanOptions::default()).unwrap();
        match exhaustive_best(&s) {
            None => prop_assert_eq!(p.status, Status::Infeasible, "seed {}", seed),
            Some(best) => prop_assert!((p.objective - best).abs() <= 1e-6 * best.abs().max(1.0),
                "seed {seed}: highs {} vs exhaustive {best}", p.objective),
        }
    }

    #[test]
    fn lpsolve_asked_for_a_proof_finds_the_best_whole_unit_plan_on_small_milps(seed in any::<u64>()) {
        let mut s = small_integral_scenario(seed);
        s.policy.solver = "lpsolve".to_string();
        s.policy.mip_gap = Some(0.0);
        let p = plan(&s, &PlanOptions::default()).unwrap();
        match exhaustive_best(&s) {
            None => prop_assert_eq!(p.status, Status::Infeasible, "seed {}", seed),
            Some(best) => {
                prop_assert_eq!(p.status, Status::Optimal, "seed {}", seed);
                prop_assert!((p.objective - best).abs() <= 1e-6 * best.abs().max(1.0),
                    "seed {seed}: lpsolve {} vs exhaustive {best}", p.objective);
            }
        }
    }

    #[test]
    fn whole_unit_plans_report_an_honest_bound_and_gap(seed in any::<u64>()) {
        let s = small_integral_scenario(seed);
        let p = plan(&s, &PlanOptions::default()).unwrap();
        let Some(best) = exhaustive_best(&s) else {
            prop_assert_eq!(p.status, Status::Infeasible, "seed {}", seed);
            return Ok(());
        };
        let tol = 1e-6 * best.abs().max(1.0);
        let (bound, gap) = (p.solver.bound, p.solver.gap);
        // The bound is a true bound: nothing better than it exists.
        prop_assert!(bound >= best - tol, "seed {seed}: bound {bound} below the best {best}");
        prop_assert!(p.objective <= best + tol, "seed {seed}: objective {} above the best {best}", p.objective);
        prop_assert!((gap - (bound - p.objective) / p.objective.abs().max(1.0)).abs() <= 1e-12,
            "seed {seed}: gap {gap} is not (bound - objective) / max(1, |objective|)");
        // No tighter than the plain LP relaxation can prove, no looser than it gives.
        let mut relaxed = s.clone();
        relaxed.initiatives.iter_mut().for_each(|i| i.integral = false);
        let lp = plan(&relaxed, &PlanOptions::default()).unwrap();
        prop_assert!(bound <= lp.objective + tol, "seed {seed}: bound {bound} above the relaxation {}", lp.objective);
        if p.status == Status::Optimal {
            prop_assert!(gap <= 1e-4, "seed {seed}: OPTIMAL with gap {gap}");
        }
    }

    #[test]
    fn microlp_finds_the_best_whole_unit_plan_on_small_milps(seed in any::<u64>()) {
        let mut s = small_integral_scenario(seed);
        s.policy.solver = "microlp".to_string();
        let p = plan(&s, &PlanOptions::default()).unwrap();
        let best = exhaustive_best(&s);
        match best {
            None => prop_assert_eq!(p.status, Status::Infeasible, "seed {}", seed),
            Some(best) => {
                prop_assert_eq!(p.status, Status::Optimal, "seed {}", seed);
                prop_assert!(broken_constraints(&s, &activities(&p)).is_empty());
                prop_assert!((p.objective - best).abs() <= 1e-6 * best.abs().max(1.0),
                    "seed {seed}: microlp {} vs exhaustive {best}", p.objective);
            }
        }
    }
}

/// Clarabel and microlp agree on feasibility, and on the objective within `relative`.
/// `solver` and microlp agree on feasibility and, when feasible, on the objective to
/// within `relative`.
fn assert_agrees_with_microlp(
    seed: u64,
    s: &Scenario,
    solver: &str,
    relative: f64,
) -> Result<(), TestCaseError> {
    let other = with_solver(s, solver);
    let simplex = with_solver(s, "microlp");
    let infeasible = |p: &fluidity_solvers::Plan| p.status == Status::Infeasible;
    prop_assert_eq!(infeasible(&other), infeasible(&simplex), "seed {}", seed);
    if !infeasible(&other) {
        let tol = relative * simplex.objective.abs().max(1.0);
        prop_assert!(
            (other.objective - simplex.objective).abs() <= tol,
            "seed {seed}: {solver} {} vs microlp {}",
            other.objective,
            simplex.objective
        );
    }
    Ok(())
}

/// Every initiative integral, activity bounded by 3, at most 3 initiatives x 2 periods:
/// at most 4^6 plans to enumerate.
fn small_integral_scenario(seed: u64) -> Scenario {
    let shape = Shape {
        max_initiatives: 3,
        max_periods: 2,
        integral_share: 1.0,
        tiers: false,
    };
    let mut s = random_scenario(seed, shape);
    for init in &mut s.initiatives {
        init.max = Some(init.max.unwrap_or(3.0).min(3.0));
        init.min = init.min.map(|m| m.min(3.0));
        init.current = init.current.min(3.0);
    }
    s
}

/// The best objective over every whole-unit plan that breaks no constraint.
fn exhaustive_best(s: &Scenario) -> Option<f64> {
    let n_i = s.initiatives.len();
    let n_t = s.periods.len();
    let cells = n_i * n_t;
    let mut best: Option<f64> = None;
    for code in 0..4usize.pow(cells as u32) {
        let mut a = vec![vec![0.0; n_t]; n_i];
        let mut c = code;
        for row in a.iter_mut() {
            for x in row.iter_mut() {
                *x = (c % 4) as f64;
                c /= 4;
            }
        }
        if broken_constraints(s, &a).is_empty() {
            let (value, cost) = evaluate(s, &a);
            let objective = value - cost;
            best = Some(best.map_or(objective, |b: f64| b.max(objective)));
        }
    }
    best
}

#[test]
fn a_locked_initiative_past_a_curve_that_ends_below_zero_is_optimal_with_no_gap() {
    // Locked at 3 on a curve that ends at 2.3 with a negative last slice: the plan's
    // value is 1.4 x 0.8 - 0.9 x 0.9 = 0.31 and nothing can change it. Found by the
    // property above (seed 14099743940642461563): the fill skipped the negative slice
    // for the free slice past the end, so the bound read 1.12 and the plan FEASIBLE.
    for integral in [true, false] {
        let p = solve_json(serde_json::json!({
            "name": "locked past its curve",
            "periods": [{"id": "p0"}],
            "resources": [{"id": "r0", "capacity": [12]}],
            "initiatives": [{"id": "i0", "requirements": {"r0": 1}, "current": 3,
                "locked": true, "integral": integral,
                "value": [{"upTo": 1.4, "perUnit": 0.8}, {"upTo": 2.3, "perUnit": -0.9}]}]
        }));
        assert_eq!(p.status, Status::Optimal, "integral {integral}");
        assert!((p.objective - 0.31).abs() < 1e-12, "{}", p.objective);
        assert!(
            (p.solver.bound - 0.31).abs() < 1e-12,
            "bound {}",
            p.solver.bound
        );
        assert_eq!(p.solver.gap, 0.0);
    }
}
