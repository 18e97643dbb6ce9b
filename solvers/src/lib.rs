//! Fluidity's optimisation core: from a [`Scenario`] to a [`Plan`].
//!
//! A scenario (resources with capacity per period, initiatives with requirements,
//! value curves, floors and ramps, the reserve policy; `../shared/MODEL.md`) is
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

use model::Model;
use solve::backend::Backend;
use solve::diagnosis;
use std::time::Instant;

/// How a caller constrains a plan beyond what the scenario says.
#[derive(Clone, Default)]
pub struct PlanOptions {
    /// Size limits a scenario must stay within (validation refuses it otherwise).
    pub limits: Limits,
    /// An upper bound on the solve time in seconds (a gRPC deadline, say); the
    /// tighter of this and `policy.timeLimitSeconds` applies.
    pub time_limit: Option<f64>,
    /// Set by a caller that no longer wants the answer (a gRPC client that went away).
    pub cancel: Cancel,
    /// Told, a few times a second, how a whole-unit search is going (a terminal's
    /// progress line).
    pub progress: Option<std::sync::Arc<Progress>>,
}

impl std::fmt::Debug for PlanOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlanOptions")
            .field("limits", &self.limits)
            .field("time_limit", &self.time_limit)
            .field("cancel", &self.cancel)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// Where a whole-unit search reports how it is going.
pub type Progress = dyn Fn(&ProgressReport) + Send + Sync;

/// A branch and bound's state, in the scenario's units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProgressReport {
    /// Seconds since the stage's search started.
    pub elapsed: f64,
    /// The best plan's objective so far; None before the first.
    pub incumbent: Option<f64>,
    /// The best bound known on the objective (the LP relaxation's optimum).
    pub bound: Option<f64>,
}

/// Flags a caller raises to stop a plan. `cancel` abandons it (nobody wants the
/// answer): checked between stages, and by lp_solve and Clarabel between iterations
/// (microlp and HiGHS run on to their time limit). `interrupt` stops lp_solve's
/// whole-unit search and answers with the best plan found so far (FEASIBLE, with its
/// gap), as a time limit does; an LP solve runs on to its end.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    interrupt: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl Cancel {
    /// A flag, and the handle to raise it with.
    pub fn new() -> (Cancel, std::sync::Arc<std::sync::atomic::AtomicBool>) {
        let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        (
            Cancel {
                cancel: Some(flag.clone()),
                interrupt: None,
            },
            flag,
        )
    }

    /// This flag with `interrupt` as well: raised, the search stops and the plan is
    /// the best found so far (a terminal's Ctrl-C).
    pub fn with_interrupt(
        mut self,
        interrupt: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> Cancel {
        self.interrupt = Some(interrupt);
        self
    }

    /// True once the caller abandoned the plan.
    pub fn is_raised(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|f| f.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// True once the user asked for the best plan found so far.
    pub fn is_interrupted(&self) -> bool {
        self.interrupt
            .as_ref()
            .is_some_and(|f| f.load(std::sync::atomic::Ordering::Relaxed))
    }

    pub(crate) fn flag(&self) -> Option<std::sync::Arc<std::sync::atomic::AtomicBool>> {
        self.cancel.clone()
    }
}

/// Why no plan (not even an INFEASIBLE one) could be given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// The scenario broke validation rules: every problem, with its field path.
    #[error(transparent)]
    Invalid(#[from] InvalidScenario),
    /// No plan (not even a feasible one) was found within the time limit.
    #[error("the time limit of {seconds} s was reached before any plan was found")]
    TimeLimit {
        /// The limit that applied, in seconds.
        seconds: f64,
    },
    /// A solver failed in a way no fallback recovered from; the message names it.
    #[error("the solver failed: {0}")]
    Solver(String),
    /// The caller raised the cancel flag; nobody wants the answer.
    #[error("the plan was cancelled by its caller")]
    Cancelled,
    /// Interrupted (Ctrl-C) before any feasible plan was found.
    #[error("interrupted before any plan was found")]
    Interrupted,
}

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
    plan_model(scenario, Model::new(scenario), options, warm)
}

/// [`plan_warm`] of a validated scenario whose model a caller has adjusted (`explain`
/// caps an initiative's last-period activity).
pub(crate) fn plan_model(
    scenario: &Scenario,
    model: Model,
    options: &PlanOptions,
    warm: &mut WarmStart,
) -> Result<Plan, PlanError> {
    let started = Instant::now();
    // The same refusal from every backend: before any solve, not from whichever
    // solver first chokes on numbers past a double (HiGHS failed where lp_solve
    // answered an infinite objective).
    if value_bound(&model) > 1e300 {
        return Err(PlanError::Invalid(too_large_to_add_up(scenario)));
    }
    let named =
        Backend::from_name(&scenario.policy.solver).expect("validation accepted the solver name");
    let time_limit = match (scenario.policy.time_limit_seconds, options.time_limit) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let span = tracing::debug_span!(
        "plan",
        initiatives = model.initiatives(),
        resources = model.resources(),
        periods = model.periods(),
        solver = %scenario.policy.solver
    );
    let _entered = span.enter();

    let outcome = solve::solve(
        &model,
        named,
        time_limit,
        &options.cancel,
        options.progress.clone(),
        warm,
    )
    .map_err(|e| match e {
        solve::StageFailure::TimeLimit { .. } if options.cancel.is_interrupted() => {
            PlanError::Interrupted
        }
        solve::StageFailure::TimeLimit { seconds } => PlanError::TimeLimit { seconds },
        solve::StageFailure::Cancelled => PlanError::Cancelled,
        other => PlanError::Solver(other.to_string()),
    })?;
    let elapsed = || started.elapsed().as_secs_f64();
    let plan = match outcome {
        solve::Outcome::Solved(solved) => solved_plan(&model, solved, elapsed()),
        solve::Outcome::Infeasible {
            stages,
            solver,
            variables,
            constraints,
        } => {
            let remaining = time_limit.map(|limit| (limit - elapsed()).max(0.0));
            let diagnosis = diagnosis::diagnose(&model, remaining).map_err(|e| {
                PlanError::Solver(format!(
                    "the scenario is infeasible, and its diagnosis failed: {e}"
                ))
            })?;
            let mut relaxations = diagnosis.relaxations;
            if relaxations.is_empty() {
                // Feasible to within the diagnosis's precision: the first solver judged
                // an edge case by its own tolerances. A second opinion settles it.
                let other = second_opinion(solver, model.has_integers());
                tracing::warn!(
                    first = solver,
                    second = other.name(),
                    "infeasible with nothing to relax; solving again"
                );
                let remaining = time_limit.map(|limit| (limit - elapsed()).max(0.0));
                match solve::solve(
                    &model,
                    Some(other),
                    remaining,
                    &options.cancel,
                    options.progress.clone(),
                    &mut WarmStart::default(),
                ) {
                    Ok(solve::Outcome::Solved(solved)) => {
                        return Ok(solved_plan(&model, solved, elapsed()))
                    }
                    // Both solvers agree it is infeasible, by less than the
                    // diagnosis's threshold: those slight relaxations are the answer.
                    _ if !diagnosis.slight.is_empty() => relaxations = diagnosis.slight,
                    _ => {
                        return Err(PlanError::Solver(format!(
                            "{solver} found the scenario infeasible, but its diagnosis found nothing to relax, and {} found no plan either (numerical trouble)",
                            other.name()
                        )))
                    }
                }
            }
            let zeros = ndarray::Array2::zeros((model.resources(), model.periods()));
            report::plan(
                &model,
                &report::status_quo(&model),
                &zeros,
                relaxations,
                report::Provenance {
                    status: Status::Infeasible,
                    solver: solver.to_string(),
                    seconds: elapsed(),
                    variables,
                    constraints,
                    stages,
                    bound: None,
                    may_promote: false,
                },
            )
        }
    };
    tracing::debug!(status = ?plan.status, objective = plan.objective, seconds = plan.solver.seconds, "planned");
    if [
        plan.objective,
        plan.value,
        plan.move_cost,
        plan.baseline.value,
    ]
    .iter()
    .any(|x| !x.is_finite())
    {
        return Err(PlanError::Invalid(too_large_to_add_up(scenario)));
    }
    Ok(plan)
}

/// A bound on |value| any plan could reach: the weights times, per initiative, each
/// segment's |perUnit| over as much of it as the initiative could fill (its cap, what
/// capacity lets it reach, or the cap on free activity). An open segment that nothing
/// caps is left out (the check after the solve sees what it adds).
fn value_bound(model: &Model) -> f64 {
    let free = model.free_activity_cap();
    let weights: f64 = model.weight.iter().map(|w| w.abs()).sum();
    let mut total = 0.0;
    for (i, free_cap) in free.iter().enumerate() {
        let mut reach = model.hi[i].min(free_cap.unwrap_or(f64::INFINITY));
        for r in 0..model.resources() {
            let units = model.requirements[[i, r]];
            if units > 0.0 {
                let most = model
                    .allocatable
                    .row(r)
                    .iter()
                    .fold(0.0f64, |m, &c| m.max(c));
                reach = reach.min(most / units);
            }
        }
        let mut filled = 0.0;
        for slice in &model.curves[i] {
            let len = slice.len.min((reach - filled).max(0.0));
            if len.is_finite() {
                total += slice.per_unit.abs() * len;
            }
            filled += slice.len;
        }
    }
    weights * total
}

/// A scenario whose value adds up past what a double holds (values of 1e308 a unit):
/// refused, with the largest value named, rather than answered with an objective of
/// infinity.
fn too_large_to_add_up(scenario: &Scenario) -> InvalidScenario {
    let mut largest = (String::from("initiatives"), 0.0f64);
    for (k, initiative) in scenario.initiatives.iter().enumerate() {
        for (j, segment) in initiative.value.iter().enumerate() {
            if segment.per_unit.abs() > largest.1 {
                largest = (
                    format!("initiatives[{k}].value[{j}].perUnit"),
                    segment.per_unit.abs(),
                );
            }
        }
    }
    InvalidScenario {
        violations: vec![Violation {
            path: largest.0,
            message: format!(
                "values this large ({:e} a unit) add up past what a double can hold: the plan's value overflows; express them in larger units (millions, say)",
                largest.1
            ),
        }],
    }
}

/// The report of a solved scenario.
fn solved_plan(model: &Model, solved: solve::Solved, seconds: f64) -> Plan {
    let _span = tracing::debug_span!("report").entered();
    report::plan(
        model,
        &solved.activities,
        &solved.shadow_prices,
        Vec::new(),
        report::Provenance {
            status: if solved.proven_optimal {
                Status::Optimal
            } else {
                Status::Feasible
            },
            solver: solved.solver,
            seconds,
            variables: solved.variables,
            constraints: solved.constraints,
            stages: solved.stages,
            bound: model.has_integers().then_some(solved.bound),
            may_promote: !solved.tier_cut_short,
        },
    )
}

/// A backend other than the one (named `first`) that called a scenario infeasible.
fn second_opinion(first: &str, integers: bool) -> Backend {
    match (first, integers) {
        ("lpsolve", false) => Backend::Clarabel,
        (_, false) => Backend::LpSolve,
        #[cfg(feature = "highs")]
        ("lpsolve" | "microlp", true) => Backend::Highs,
        #[cfg(not(feature = "highs"))]
        ("lpsolve", true) => Backend::Microlp,
        (_, true) => Backend::LpSolve,
    }
}
