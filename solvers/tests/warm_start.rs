//! A plan that starts from an earlier plan's solver state (`plan_warm`) reaches the
//! same optimum as a plan from scratch: what price-range probes rely on. With HiGHS
//! the warm plan re-solves a kept model after changed right-hand sides and bounds;
//! with the other backends it is a plain plan.

mod common;
#[path = "common/random.rs"]
mod random;

use common::*;
use fluidity_solvers::Status;
use fluidity_solvers::{plan, plan_warm, PlanOptions, Scenario, WarmStart};
use proptest::prelude::*;
use random::{random_scenario, Dice, Shape};

/// The scenario with one resource's capacity scaled and its reserve changed.
fn perturbed(s: &Scenario, dice: &mut Dice) -> Scenario {
    let mut s = s.clone();
    let r = dice.int(0, s.resources.len() as u64 - 1) as usize;
    let factor = dice.num(0.6, 1.4);
    for c in &mut s.resources[r].capacity {
        *c *= factor;
    }
    if dice.chance(0.5) {
        s.resources[r].reserve_min = Some(dice.num(0.0, 0.3));
    }
    s
}

fn same_optimum(
    warm: &fluidity_solvers::Plan,
    cold: &fluidity_solvers::Plan,
    seed: u64,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(warm.status, cold.status, "seed {}", seed);
    if cold.status == Status::Optimal {
        prop_assert!(
            (warm.objective - cold.objective).abs() <= 1e-6 * cold.objective.abs().max(1.0),
            "seed {seed}: warm {} vs cold {}",
            warm.objective,
            cold.objective
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(100), ..ProptestConfig::default() })]

    #[test]
    fn a_warm_plan_after_changed_capacities_reaches_the_optimum_of_a_plan_from_scratch(seed in any::<u64>()) {
        let base = random_scenario(seed, Shape::LP);
        let mut dice = Dice::new(seed ^ 0xC0FF_EE00);
        let mut warm = WarmStart::default();
        let options = PlanOptions::default();
        // A run of probes, each from the previous one's state (tiers included: every
        // stage keeps its own model from plan to plan).
        for _ in 0..4 {
            let s = perturbed(&base, &mut dice);
            let from_warm = plan_warm(&s, &options, &mut warm).unwrap();
            let from_scratch = plan(&s, &options).unwrap();
            same_optimum(&from_warm, &from_scratch, seed)?;
            if has_plan(&from_warm) {
                prop_assert!(broken_constraints(&s, &activities(&from_warm)).is_empty(), "seed {}", seed);
            }
        }
    }
}

#[test]
fn a_warm_plan_of_another_scenario_starts_afresh_and_is_right() {
    // Different initiatives: nothing of the first plan's program fits the second.
    let first = random_scenario(1, Shape::LP);
    let second = random_scenario(2, Shape::LP);
    let mut warm = WarmStart::default();
    let options = PlanOptions::default();
    plan_warm(&first, &options, &mut warm).unwrap();
    let from_warm = plan_warm(&second, &options, &mut warm).unwrap();
    let from_scratch = plan(&second, &options).unwrap();
    assert_eq!(from_warm.status, from_scratch.status);
    assert_close(from_warm.objective, from_scratch.objective);
}
