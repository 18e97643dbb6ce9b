//! Generated portfolios large enough for `auto` to hand the LP to Clarabel and the
//! crossover (above the simplex threshold): plans satisfy every constraint, and Clarabel's
//! optimum matches microlp's.

mod common;
use common::*;
use fluidity_solvers::generate::{generate, Shape};
use fluidity_solvers::Status;
use fluidity_solvers::{plan, PlanOptions};

fn medium(seed: u64) -> fluidity_solvers::Scenario {
    generate(Shape {
        initiatives: 120,
        resources: 4,
        periods: 6,
        seed,
        integral_share: 0.0,
    })
}

#[test]
fn generated_scenarios_are_planned_by_clarabel_with_crossover_and_satisfy_every_constraint() {
    for seed in 1..=4 {
        let s = medium(seed);
        let p = plan(&s, &PlanOptions::default()).unwrap();
        assert_eq!(p.status, Status::Optimal, "seed {seed}");
        let expected = if cfg!(feature = "highs") {
            "highs"
        } else {
            // Clarabel's point, taken to a vertex by lp_solve.
            "clarabel+lpsolve"
        };
        assert_eq!(p.solver.name, expected);
        let broken = broken_constraints(&s, &activities(&p));
        assert!(broken.is_empty(), "seed {seed}: {broken:?}");
        let (value, move_cost) = evaluate(&s, &activities(&p));
        assert_close(p.objective, value - move_cost);
    }
}

#[test]
fn on_generated_scenarios_clarabel_and_microlp_reach_the_same_optimum() {
    for seed in 1..=2 {
        let mut s = medium(seed);
        // Without tiers, so the optimum is one number (see backend_agreement.rs).
        for i in &mut s.initiatives {
            i.tier = 0;
        }
        let interior = plan(&s, &PlanOptions::default()).unwrap();
        s.policy.solver = "microlp".to_string();
        let simplex = plan(&s, &PlanOptions::default()).unwrap();
        let tol = 1e-6 * simplex.objective.abs().max(1.0);
        assert!(
            (interior.objective - simplex.objective).abs() <= tol,
            "seed {seed}: clarabel {} vs microlp {}",
            interior.objective,
            simplex.objective
        );
    }
}

#[test]
fn generated_scenarios_are_feasible_by_construction_with_whole_units_too() {
    let s = generate(Shape {
        initiatives: 12,
        resources: 3,
        periods: 3,
        seed: 11,
        integral_share: 0.5,
    });
    let p = plan(&s, &PlanOptions::default()).unwrap();
    assert!(matches!(p.status, Status::Optimal | Status::Feasible));
    assert!(broken_constraints(&s, &activities(&p)).is_empty());
    assert!(p.baseline.feasible, "{:?}", p.baseline.violations);
}
