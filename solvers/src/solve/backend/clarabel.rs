//! Clarabel (pure Rust interior point): LPs with duals, driven directly through
//! good_lp's model for its termination callback; its point taken on to a vertex by
//! `crossover` so a plan's prices are a basis's.

use super::good_lp_program::{add_rows, failure, unsolved};
use crate::lp::scaling::Scaling;
use crate::lp::{Cmp, LinearProgram, Sense};
use crate::solve::certificate::Tolerance;
use crate::solve::solution::{Solution, SolveFailure};
use clarabel::solver::{IPSolver, SolverStatus};

/// Clarabel's interior point, taken to a vertex of the same program by
/// [`crate::solve::crossover`] with lp_solve (the plan's prices are then a basis's duals)
/// unless `vertex` is false and the point passes the interior point's check (a tier
/// stage, whose value is all that is passed on).
pub(crate) fn clarabel_then_vertex(
    lp: &LinearProgram,
    scaling: &Scaling,
    time_limit: Option<f64>,
    cancel: &crate::Cancel,
    vertex: bool,
) -> Result<Solution, SolveFailure> {
    let started = std::time::Instant::now();
    let interior = clarabel(lp, time_limit, cancel)?;
    if !vertex {
        let duals = interior.duals.as_deref().unwrap_or_default();
        match crate::solve::certificate::optimal(lp, &interior.x, duals, Tolerance::INTERIOR) {
            Ok(()) => return Ok(interior),
            Err(flaw) => tracing::debug!(%flaw, "clarabel's point failed its check; crossing over"),
        }
    }
    let interior_ms = started.elapsed().as_secs_f64() * 1e3;
    let options = crate::solve::backend::lpsolve_api::Options {
        time_limit: time_limit.map(|limit| (limit - started.elapsed().as_secs_f64()).max(0.0)),
        mip_gap: 0.0,
        cancel,
        progress: None,
        bound: None,
        objective_scale: scaling.objective_scale(),
    };
    let vertex = crate::solve::crossover::vertex(lp, &interior, &options)?;
    tracing::debug!(
        interior_ms,
        crossover_ms = started.elapsed().as_secs_f64() * 1e3 - interior_ms,
        "clarabel and crossover"
    );
    Ok(Solution {
        bound: Some(lp.objective_at(&vertex.x)),
        ..vertex
    })
}

/// Clarabel, first without iterative refinement of its linear-system solves: on
/// generated scenarios 25-35% faster, and what it calls solved is still held to its own
/// tolerances (1e-8 on the true residuals). A run that ends uncertain (almost solved,
/// stalled, numerical trouble) is solved once more with refinement, Clarabel's default.
fn clarabel(
    lp: &LinearProgram,
    time_limit: Option<f64>,
    cancel: &crate::Cancel,
) -> Result<Solution, SolveFailure> {
    let started = std::time::Instant::now();
    let mut run = clarabel_run(lp, time_limit, cancel, false)?;
    let certain = matches!(
        run.status,
        SolverStatus::Solved
            | SolverStatus::PrimalInfeasible
            | SolverStatus::DualInfeasible
            | SolverStatus::MaxTime
            | SolverStatus::CallbackTerminated
    );
    if !certain {
        tracing::debug!(status = ?run.status, "clarabel uncertain without iterative refinement; solving again with it");
        let remaining = time_limit.map(|limit| (limit - started.elapsed().as_secs_f64()).max(0.0));
        run = clarabel_run(lp, remaining, cancel, true)?;
    }
    match run.status {
        SolverStatus::Solved | SolverStatus::AlmostSolved => Ok(Solution {
            bound: Some(lp.objective_at(&run.x)),
            x: run.x,
            duals: Some(run.prices),
            proven_optimal: true,
        }),
        SolverStatus::PrimalInfeasible | SolverStatus::AlmostPrimalInfeasible => {
            Err(SolveFailure::Infeasible)
        }
        // An unbounded objective: validation should make it impossible, and this keeps
        // a miss from becoming a plan of huge numbers.
        SolverStatus::DualInfeasible | SolverStatus::AlmostDualInfeasible => {
            Err(SolveFailure::Unbounded)
        }
        SolverStatus::MaxTime => Err(SolveFailure::TimeLimit),
        SolverStatus::CallbackTerminated => Err(SolveFailure::Cancelled),
        other => Err(SolveFailure::Solver(format!("Clarabel: {other:?}"))),
    }
}

/// What one Clarabel run ended with.
struct ClarabelRun {
    status: SolverStatus,
    x: Vec<f64>,
    prices: Vec<f64>,
}

fn clarabel_run(
    lp: &LinearProgram,
    time_limit: Option<f64>,
    cancel: &crate::Cancel,
    refine: bool,
) -> Result<ClarabelRun, SolveFailure> {
    let (unsolved, columns) = unsolved(lp);
    let mut model = unsolved.using(good_lp::clarabel);
    model.settings().iterative_refinement_enable(refine);
    if let Some(seconds) = time_limit {
        model.settings().time_limit(seconds.max(0.0));
    }
    let rows = add_rows(&mut model, lp, &columns);
    // Solved here rather than by good_lp's `solve`, to give Clarabel a termination
    // callback (cancellation) and read its status and duals.
    let mut solver = model.try_into_solver().map_err(failure)?;
    if let Some(flag) = cancel.flag() {
        solver.set_termination_callback(move |_| flag.load(std::sync::atomic::Ordering::Relaxed));
    }
    solver.solve();
    let solution = &solver.solution;
    Ok(ClarabelRun {
        status: solution.status,
        x: solution.x[..columns.len()].to_vec(),
        prices: clarabel_prices(lp, &rows, &solution.z),
    })
}

/// Shadow prices (objective gained per unit of right-hand side) from Clarabel's duals
/// `z`. good_lp puts one row per finite column bound before the program's rows, and
/// writes `lhs >= rhs` as `-lhs <= -rhs`; Clarabel minimises, so a maximisation's
/// objective is negated. Together: price = z x (+1 maximising, -1 minimising) x (-1
/// for >= rows, +1 otherwise).
fn clarabel_prices(
    lp: &LinearProgram,
    rows: &[Option<good_lp::constraint::ConstraintReference>],
    z: &[f64],
) -> Vec<f64> {
    let bound_rows: usize = lp
        .columns
        .iter()
        .map(|c| usize::from(c.lower != f64::NEG_INFINITY) + usize::from(c.upper != f64::INFINITY))
        .sum();
    let sense = if lp.sense == Sense::Maximise {
        1.0
    } else {
        -1.0
    };
    let mut position = bound_rows;
    lp.rows
        .iter()
        .zip(rows)
        .map(|(row, added)| {
            if added.is_none() {
                return 0.0;
            }
            let price = sense * if row.cmp == Cmp::Ge { -1.0 } else { 1.0 } * z[position];
            position += 1;
            price
        })
        .collect()
}
