//! microlp (pure Rust simplex with branch and bound): integers and a time limit, no
//! duals (lp_solve prices its vertex, see `solve`).

use super::good_lp_program::{add_rows, failure, unsolved};
use crate::lp::LinearProgram;
use crate::solve::solution::{Solution, SolveFailure};
use good_lp::solvers::WithTimeLimit;
use good_lp::{Solution as _, SolutionStatus, SolverModel};

/// microlp's answer to `lp` (its search runs to the end or to `time_limit`).
pub(crate) fn microlp(
    lp: &LinearProgram,
    time_limit: Option<f64>,
) -> Result<Solution, SolveFailure> {
    let (unsolved, columns) = unsolved(lp);
    let mut model = unsolved.using(good_lp::microlp);
    if let Some(seconds) = time_limit {
        model = model.with_time_limit(seconds.max(0.0));
    }
    add_rows(&mut model, lp, &columns);
    let solved = model.solve().map_err(failure)?;
    let proven_optimal = matches!(solved.status(), SolutionStatus::Optimal);
    let x: Vec<f64> = columns.iter().map(|&v| solved.value(v)).collect();
    // microlp closes its search completely; an LP's vertex is its own bound.
    let bound = proven_optimal.then(|| lp.objective_at(&x));
    Ok(Solution {
        x,
        duals: None,
        proven_optimal,
        bound,
    })
}
