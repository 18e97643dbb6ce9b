//! Fluidity's optimisation core: from a [`Scenario`] to a [`Plan`].
//!
//! A scenario (resources with capacity per period, initiatives with requirements,
//! value curves, floors and ramps, the reserve policy; `docs/model.md`) is
//! checked by [`validate`], planned by [`plan`] (or [`plan_warm`] for a run of
//! near-identical scenarios), and answered with a [`Plan`]: activity per initiative
//! and period, moves, the value gained over the status quo, shadow prices and the
//! bottlenecks; or, when no plan satisfies the constraints, status INFEASIBLE with the
//! smallest relaxations that would make one (a diagnosis, not an error). The what-if
//! questions asked by planning again are in [`whatif`]; [`export`] writes the program
//! a plan solves for another solver; [`generate`] makes feasible scenarios of any size.
//!
//! This crate does no I/O and knows nothing of gRPC, files or terminals.
//!
//! ```
//! use fluidity_solvers::{plan, PlanOptions, Scenario, Status};
//!
//! // Ten engineers; the first initiative earns 3 a unit up to 6 units, the second 2.
//! let scenario = Scenario::from_json(r#"{
//!     "periods": [{"id": "q1"}],
//!     "resources": [{"id": "eng", "capacity": [10]}],
//!     "initiatives": [
//!         {"id": "search", "requirements": {"eng": 1}, "current": 5,
//!          "value": [{"upTo": 6, "perUnit": 3}]},
//!         {"id": "ads", "requirements": {"eng": 1}, "current": 5,
//!          "value": [{"perUnit": 2}]}
//!     ]
//! }"#)?;
//! let answer = plan(&scenario, &PlanOptions::default())?;
//! assert_eq!(answer.status, Status::Optimal);
//! assert_eq!(answer.initiatives[0].activity, vec![6.0]);
//! // The last engineer earns 2 in `ads`: that is the price of one more.
//! assert!((answer.resources[0].shadow_price[0] - 2.0).abs() < 1e-9);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Inside, the pipeline has one folder a stage: `input/` (scenario types, protobuf
//! JSON numbers, validation) -> `model` (defaults applied, arrays) -> `lp/` (the
//! program as data, its formulation, scaling, export) -> `solve/` (tier stages then the
//! final one on a backend, fallbacks, diagnosis) -> `report/` (what a plan says) ->
//! `whatif/` (compare, sweep, explain). See ARCHITECTURE.md.

#![deny(missing_docs)]

pub mod generate;
mod input;
pub mod lifecycle;
mod lp;
mod model;
mod report;
mod solve;
pub mod whatif;

pub use input::scenario::{
    Dependency, Group, Initiative, Kind, ParseError, Period, Policy, Resource, Scenario, Segment,
};
pub use input::validate::{validate, variable_count, InvalidScenario, Limits, Violation};
pub use lp::export;
pub use report::plan::{
    Baseline, Bottleneck, Change, InitiativePlan, Move, Plan, Relaxation, ResourcePlan,
    SolverStats, Status, RESERVE,
};
pub use report::why::ValueCurves;
pub use solve::backend::COMPILED as SOLVERS;
pub use solve::WarmStart;

#[doc(hidden)]
pub mod stages;

mod error;
mod options;
mod planning;

pub use error::PlanError;
pub use options::{Cancel, PlanOptions, Progress, ProgressReport};

use model::Model;

/// Plans a scenario: validation, the stages, and the report; or, when no plan
/// satisfies the constraints, the status quo with a diagnosis (status INFEASIBLE).
pub fn plan(scenario: &Scenario, options: &PlanOptions) -> Result<Plan, PlanError> {
    plan_warm(scenario, options, &mut WarmStart::default())
}

/// [`plan`], starting from what `warm` kept of an earlier plan and leaving this
/// plan's solver state in it: much faster for a run of near-identical scenarios (a
/// capacity changed) with HiGHS. Where the optimum is not unique, the activities and
/// prices may be another optimum's than a fresh [`plan`] would give.
pub fn plan_warm(
    scenario: &Scenario,
    options: &PlanOptions,
    warm: &mut WarmStart,
) -> Result<Plan, PlanError> {
    validate(scenario, &options.limits)?;
    planning::plan_model(scenario, Model::new(scenario), options, warm)
}
