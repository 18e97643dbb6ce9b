//! Stages: one solve per priority tier ("even over"), then the final solve.
//!
//! Stage k maximises tier k's value under every constraint and the values earlier
//! tiers reached; the final stage maximises value less move cost under all of that.
//! A time limit is shared by the stages: a stage that runs out with a feasible
//! point ends the solve there, with that point as a FEASIBLE plan.

use crate::backend::{Backend, SolveFailure};
use crate::formulation::{Formulation, Stage};
use crate::lp::{Cmp, RowKind};
use crate::model::Model;
use ndarray::Array2;
use std::time::Instant;

/// A solved scenario, before reporting.
#[derive(Debug, Clone)]
pub struct Solved {
    /// a[i,t]
    pub activities: Array2<f64>,
    /// Shadow price of `capacity[r@t]` in the final stage; zeros without duals.
    pub shadow_prices: Array2<f64>,
    /// False when a time limit cut the search short.
    pub proven_optimal: bool,
    pub stages: u32,
    /// The backend that produced the final point (microlp when Clarabel stalled).
    pub solver: Backend,
    pub variables: usize,
    pub constraints: usize,
}

/// The result of the stages.
#[derive(Debug, Clone)]
pub enum Outcome {
    Solved(Solved),
    /// No point satisfies the constraints (found in the first stage).
    Infeasible {
        stages: u32,
        variables: usize,
        constraints: usize,
    },
}

/// Why the stages produced neither a plan nor a proof of infeasibility.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StageFailure {
    #[error("the time limit of {seconds} s was reached before any plan was found")]
    TimeLimit { seconds: f64 },
    #[error("solver {solver} failed in stage {stage}: {message}")]
    Solver {
        solver: &'static str,
        stage: u32,
        message: String,
    },
}

/// Round-off a later stage may lose on an earlier tier's value (see the model document).
const TIER_SLACK: f64 = 1e-7;

/// Runs every stage of `model` on `backend`.
pub fn solve(
    model: &Model,
    backend: Backend,
    time_limit: Option<f64>,
) -> Result<Outcome, StageFailure> {
    let started = Instant::now();
    let remaining = || time_limit.map(|limit| (limit - started.elapsed().as_secs_f64()).max(0.0));
    let mut formulation = {
        let _span = tracing::debug_span!("formulate").entered();
        let f = Formulation::new(model);
        tracing::debug!(
            columns = f.lp.columns.len(),
            rows = f.lp.rows.len(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
            "formulated"
        );
        f
    };
    let tiers = model.tiers();
    let stages: Vec<Stage> = tiers
        .iter()
        .map(|&k| Stage::Tier(k))
        .chain([Stage::Final])
        .collect();

    let mut last_point: Option<Vec<f64>> = None;
    let mut solver = backend;
    for (n, &stage) in stages.iter().enumerate() {
        let stage_number = n as u32 + 1;
        let span = tracing::debug_span!("stage", number = stage_number, ?stage).entered();
        let stage_started = Instant::now();
        formulation.set_objective(model, stage);
        let (mut result, mut used) = solve_stage(backend, &formulation, remaining());
        if n > 0 && result == Err(SolveFailure::Infeasible) {
            // The earlier tiers' floors came from a solver's point, exact only to its
            // tolerance; a floor a hair too high empties this stage. Loosen, retry once.
            tracing::warn!("stage {stage_number} infeasible by round-off; loosening tier floors");
            loosen_tier_floors(&mut formulation);
            (result, used) = solve_stage(backend, &formulation, remaining());
        }
        solver = used;
        tracing::debug!(
            elapsed_ms = stage_started.elapsed().as_secs_f64() * 1e3,
            ok = result.is_ok(),
            "solved"
        );
        drop(span);
        let solution = match result {
            Ok(solution) => solution,
            Err(SolveFailure::Infeasible) if n == 0 => {
                return Ok(Outcome::Infeasible {
                    stages: 1,
                    variables: formulation.lp.columns.len(),
                    constraints: formulation.lp.rows.len(),
                });
            }
            Err(SolveFailure::TimeLimit) => {
                // An earlier stage's point satisfies every constraint: report it.
                return match last_point {
                    Some(x) => Ok(Outcome::Solved(solved(
                        &formulation,
                        &x,
                        None,
                        false,
                        stage_number - 1,
                        solver,
                    ))),
                    None => Err(StageFailure::TimeLimit {
                        seconds: time_limit.unwrap_or(0.0),
                    }),
                };
            }
            Err(failure) => {
                return Err(StageFailure::Solver {
                    solver: solver.name(),
                    stage: stage_number,
                    message: failure.to_string(),
                })
            }
        };
        if !solution.proven_optimal || stage == Stage::Final {
            let duals = solution.duals.as_deref().filter(|_| stage == Stage::Final);
            return Ok(Outcome::Solved(solved(
                &formulation,
                &solution.x,
                duals,
                solution.proven_optimal,
                stage_number,
                solver,
            )));
        }
        if let Stage::Tier(tier) = stage {
            keep_tier_value(&mut formulation, model, tier, &solution.x);
        }
        last_point = Some(solution.x);
    }
    unreachable!("the final stage always returns")
}

/// Solves one stage; when Clarabel stalls (a feasible set with almost no interior
/// makes an interior-point method diverge) the simplex of microlp takes over, so a
/// numerically hard scenario still gets its plan, without duals.
fn solve_stage(
    backend: Backend,
    formulation: &Formulation,
    time_limit: Option<f64>,
) -> (Result<crate::backend::Solution, SolveFailure>, Backend) {
    let started = Instant::now();
    match backend.solve(&formulation.lp, time_limit) {
        Err(SolveFailure::Solver(message)) if backend == Backend::Clarabel => {
            tracing::warn!(%message, "clarabel failed; retrying the stage with microlp");
            let left = time_limit.map(|limit| (limit - started.elapsed().as_secs_f64()).max(0.0));
            (
                Backend::Microlp.solve(&formulation.lp, left),
                Backend::Microlp,
            )
        }
        result => (result, backend),
    }
}

/// Adds `V_tier >= V* - tolerance * |V*| - 1e-7 * max(1, |V*|)`.
fn keep_tier_value(formulation: &mut Formulation, model: &Model, tier: u32, x: &[f64]) {
    let terms = formulation.value_terms(model, |i| model.tier[i] == tier);
    let reached: f64 = terms.iter().map(|&(col, coef)| coef * x[col]).sum();
    let floor =
        reached - model.tier_tolerance * reached.abs() - TIER_SLACK * reached.abs().max(1.0);
    formulation
        .lp
        .row(RowKind::Tier { tier }, terms, Cmp::Ge, floor);
}

/// Lowers every tier floor by 1e-5 x max(1, |floor|): still far inside any
/// tolerance a planner would notice, far outside solver round-off.
fn loosen_tier_floors(formulation: &mut Formulation) {
    for row in &mut formulation.lp.rows {
        if matches!(row.kind, RowKind::Tier { .. }) {
            row.rhs -= 1e-5 * row.rhs.abs().max(1.0);
        }
    }
}

fn solved(
    formulation: &Formulation,
    x: &[f64],
    duals: Option<&[f64]>,
    proven_optimal: bool,
    stages: u32,
    solver: Backend,
) -> Solved {
    let shadow_prices = formulation.capacity_rows.mapv(|row| match (row, duals) {
        (Some(index), Some(duals)) => {
            let row = &formulation.lp.rows[index];
            let lhs: f64 = row.terms.iter().map(|&(col, coef)| coef * x[col]).sum();
            // Complementary slackness: a row with room left has price 0 in every
            // optimal dual, whatever round-off the interior-point dual carries.
            let binding = row.rhs - lhs <= 1e-6 * row.rhs.abs().max(1.0);
            if binding {
                clean_price(duals[index])
            } else {
                0.0
            }
        }
        _ => 0.0,
    });
    Solved {
        activities: formulation.activities_within_bounds(x),
        shadow_prices,
        proven_optimal,
        stages,
        solver,
        variables: formulation.lp.columns.len(),
        constraints: formulation.lp.rows.len(),
    }
}

/// A capacity row's price is >= 0 in theory; interior-point round-off leaves
/// slightly negative or tiny positive values on rows that do not bind.
fn clean_price(dual: f64) -> f64 {
    if dual > 1e-9 {
        dual
    } else {
        0.0
    }
}
