//! The pipeline behind [`crate::plan`]: from a validated model to a plan, through the
//! stages, the diagnosis of an infeasible scenario (with a second solver's opinion
//! when the diagnosis finds nothing to relax), and the report; magnitudes past what
//! a double adds up refused before and after.

use crate::model::Model;
use crate::report;
use crate::solve::backend::Backend;
use crate::solve::{self, diagnosis, WarmStart};
use crate::{InvalidScenario, Plan, PlanError, PlanOptions, Scenario, Status, Violation};
use std::time::Instant;

/// [`crate::plan_warm`] of a validated scenario whose model a caller has adjusted
/// (`explain` caps an initiative's last-period activity).
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
    let run = Run {
        model: &model,
        options,
        time_limit,
        started,
    };
    let plan = match run.stages(named, time_limit, warm)? {
        solve::Answer::Solved(solved) => solved_plan(&model, solved, run.elapsed()),
        solve::Answer::Infeasible {
            stages,
            solver,
            variables,
            constraints,
        } => run.infeasible(solver, stages, variables, constraints)?,
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

/// One plan's solve: the model, the caller's options and the clock.
struct Run<'a> {
    model: &'a Model,
    options: &'a PlanOptions,
    time_limit: Option<f64>,
    started: Instant,
}

impl Run<'_> {
    fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    fn remaining(&self) -> Option<f64> {
        self.time_limit
            .map(|limit| (limit - self.elapsed()).max(0.0))
    }

    /// The stages on `named` (None: `auto`) within `time_limit` seconds.
    fn stages(
        &self,
        named: Option<Backend>,
        time_limit: Option<f64>,
        warm: &mut WarmStart,
    ) -> Result<solve::Answer, PlanError> {
        solve::solve(
            self.model,
            named,
            time_limit,
            &self.options.cancel,
            self.options.progress.clone(),
            warm,
        )
        .map_err(|e| match e {
            solve::StageFailure::TimeLimit { .. } if self.options.cancel.is_interrupted() => {
                PlanError::Interrupted
            }
            solve::StageFailure::TimeLimit { seconds } => PlanError::TimeLimit { seconds },
            solve::StageFailure::Cancelled => PlanError::Cancelled,
            other => PlanError::Solver(other.to_string()),
        })
    }

    /// The plan of a scenario `solver` found infeasible: the status quo with the
    /// diagnosis's relaxations. When the diagnosis finds nothing to relax, the first
    /// solver judged an edge case by its own tolerances and a second one settles it:
    /// its plan, or (both agreeing it is infeasible, by less than the diagnosis's
    /// threshold) the slight relaxations.
    fn infeasible(
        &self,
        solver: &'static str,
        stages: u32,
        variables: usize,
        constraints: usize,
    ) -> Result<Plan, PlanError> {
        let model = self.model;
        let diagnosis = diagnosis::diagnose(model, self.remaining()).map_err(|e| {
            PlanError::Solver(format!(
                "the scenario is infeasible, and its diagnosis failed: {e}"
            ))
        })?;
        let mut relaxations = diagnosis.relaxations;
        if relaxations.is_empty() {
            let other = second_opinion(solver, model.has_integers());
            tracing::warn!(
                first = solver,
                second = other.name(),
                "infeasible with nothing to relax; solving again"
            );
            match self.stages(Some(other), self.remaining(), &mut WarmStart::default()) {
                Ok(solve::Answer::Solved(solved)) => {
                    return Ok(solved_plan(model, solved, self.elapsed()))
                }
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
        Ok(report::plan(
            model,
            &report::status_quo(model),
            &zeros,
            relaxations,
            report::Provenance {
                status: Status::Infeasible,
                solver: solver.to_string(),
                seconds: self.elapsed(),
                variables,
                constraints,
                stages,
                bound: None,
                may_promote: false,
            },
        ))
    }
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
