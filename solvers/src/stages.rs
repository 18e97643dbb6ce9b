//! The pipeline's stages one at a time, for `benches/stages.rs` to time each alone:
//! not part of the API (hidden from the docs, no stability promised).

use crate::solve::{Answer, WarmStart};
use crate::{Cancel, Plan, Scenario, Status};

/// A scenario as the model the stages work on (defaults applied, arrays).
pub struct Model(crate::model::Model);

/// The final stage's activities and prices, before reporting.
#[derive(Clone)]
pub struct Solved(crate::solve::Solved);

/// The model of a valid scenario.
pub fn model(scenario: &Scenario) -> Model {
    Model(crate::model::Model::new(scenario))
}

/// The linear program of `model`'s final stage (its size, to keep the work observable).
pub fn formulate(model: &Model) -> usize {
    crate::lp::formulation::Formulation::new(&model.0)
        .lp
        .columns
        .len()
}

/// Every stage solved with the backends `auto` picks.
///
/// # Panics
/// When the scenario has no plan: the benchmarks plan generated scenarios, which are
/// feasible by construction.
pub fn solve(model: &Model) -> Solved {
    match crate::solve::solve(
        &model.0,
        None,
        None,
        &Cancel::default(),
        None,
        &mut WarmStart::default(),
    ) {
        Ok(Answer::Solved(solved)) => Solved(solved),
        _ => panic!("the benchmarks' scenarios are feasible by construction"),
    }
}

/// The plan of a solved model: value, moves, baseline, prices, bottlenecks.
pub fn report(model: &Model, solved: Solved) -> Plan {
    let s = solved.0;
    crate::report::plan(
        &model.0,
        &s.activities,
        &s.shadow_prices,
        Vec::new(),
        crate::report::Provenance {
            status: Status::Optimal,
            solver: s.solver,
            seconds: 0.0,
            variables: s.variables,
            constraints: s.constraints,
            stages: s.stages,
            bound: None,
            may_promote: true,
        },
    )
}
