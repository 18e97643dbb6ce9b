//! A [`LinearProgram`] as a good_lp problem, for the backends good_lp drives
//! (Clarabel and microlp): columns, objective and rows, and good_lp's errors as ours.

use crate::lp::{Cmp, LinearProgram, Sense};
use crate::solve::solution::{integer_bounds, SolveFailure};
use good_lp::{
    variable, Constraint, Expression, ProblemVariables, ResolutionError, SolverModel, Variable,
};

/// The program as good_lp's variables and objective, ready for a solver.
pub(super) fn unsolved(lp: &LinearProgram) -> (good_lp::variable::UnsolvedProblem, Vec<Variable>) {
    let (vars, columns, objective) = variables(lp);
    let unsolved = match lp.sense {
        Sense::Maximise => vars.maximise(objective),
        Sense::Minimise => vars.minimise(objective),
    };
    (unsolved, columns)
}

fn variables(lp: &LinearProgram) -> (ProblemVariables, Vec<Variable>, Expression) {
    let mut vars = ProblemVariables::new();
    let mut objective = Expression::with_capacity(lp.columns.len());
    let columns = lp
        .columns
        .iter()
        .map(|c| {
            let mut def = variable().min(c.lower).max(c.upper);
            if c.integer {
                let (lower, upper) = integer_bounds(c.lower, c.upper);
                // microlp keeps integer bounds in i32.
                def = variable()
                    .min(lower.max(i32::MIN as f64))
                    .max(upper.min(i32::MAX as f64))
                    .integer();
            }
            let v = vars.add(def);
            if c.objective != 0.0 {
                objective.add_mul(c.objective, v);
            }
            v
        })
        .collect();
    (vars, columns, objective)
}

/// Adds every row with terms; returns each row's reference (None for empty rows).
pub(super) fn add_rows<M: SolverModel>(
    model: &mut M,
    lp: &LinearProgram,
    columns: &[Variable],
) -> Vec<Option<good_lp::constraint::ConstraintReference>> {
    lp.rows
        .iter()
        .map(|row| {
            if row.terms.is_empty() {
                return None;
            }
            let mut lhs = Expression::with_capacity(row.terms.len());
            for &(col, coef) in &row.terms {
                lhs.add_mul(coef, columns[col]);
            }
            let constraint: Constraint = match row.cmp {
                Cmp::Le => lhs.leq(row.rhs),
                Cmp::Ge => lhs.geq(row.rhs),
                Cmp::Eq => lhs.eq(row.rhs),
            };
            Some(model.add_constraint(constraint))
        })
        .collect()
}

pub(super) fn failure(e: ResolutionError) -> SolveFailure {
    match e {
        ResolutionError::Infeasible => SolveFailure::Infeasible,
        ResolutionError::Unbounded => SolveFailure::Unbounded,
        // HiGHS says NoSolutionFound when a limit stopped it before any feasible point.
        ResolutionError::Other(s) if s.contains("Time limit") || s == "NoSolutionFound" => {
            SolveFailure::TimeLimit
        }
        ResolutionError::Other(s) => SolveFailure::Solver(s.to_string()),
        ResolutionError::Str(s) => SolveFailure::Solver(s),
    }
}
