//! A backend as the stages of one plan use it: the checks every stage's program
//! passes first, scaling around the scaled backends, each answer held to the
//! optimality conditions (`certificate`), and HiGHS's model kept between stages.

use super::backend::{clarabel_then_vertex, lpsolve, microlp, Backend, Search};
use super::certificate::Tolerance;
use super::solution::{integer_bounds, Solution, SolveFailure};
use crate::lp::scaling::Scaling;
use crate::lp::{Cmp, LinearProgram};

/// A backend as the stages of one plan use it, in turn: HiGHS keeps its model (and
/// basis) from one stage to the next; the others start each stage afresh.
pub struct StageSolver {
    backend: Backend,
    search: Search,
    /// A point satisfying the earlier stages' rows (the previous stage's plan), in the
    /// scenario's units: where a whole-unit search starts looking.
    start: Option<Vec<f64>>,
    /// Whether an interior point is taken on to a vertex (see `crossover`): the
    /// final stage's point and prices must be a basis's; a tier stage only passes its
    /// value on.
    vertex: bool,
    #[cfg(feature = "highs")]
    highs: crate::solve::backend::highs::HighsSession,
}

impl StageSolver {
    pub fn new(backend: Backend) -> StageSolver {
        StageSolver::searching(backend, Search::default())
    }

    /// A solver whose branch and bound stops at `search.mip_gap`.
    pub fn searching(backend: Backend, search: Search) -> StageSolver {
        StageSolver {
            backend,
            search,
            start: None,
            vertex: true,
            #[cfg(feature = "highs")]
            highs: Default::default(),
        }
    }

    /// A solver that starts from a model an earlier solve kept.
    #[cfg(feature = "highs")]
    pub(crate) fn resuming(
        backend: Backend,
        search: Search,
        highs: crate::solve::backend::highs::HighsSession,
    ) -> Self {
        StageSolver {
            backend,
            search,
            start: None,
            vertex: true,
            highs,
        }
    }

    /// The model this solver kept, for a later solve to start from.
    #[cfg(feature = "highs")]
    pub(crate) fn into_session(self) -> crate::solve::backend::highs::HighsSession {
        self.highs
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The previous stage's plan, for a whole-unit search to start from.
    pub fn start_from(&mut self, x: Option<Vec<f64>>) {
        self.start = x;
    }

    /// Whether the next solves must end on a vertex (the default) or may end on an
    /// interior point, checked to the interior point's tolerance.
    pub fn end_on_vertex(&mut self, vertex: bool) {
        self.vertex = vertex;
    }

    /// Solves the next stage's program.
    pub fn solve(
        &mut self,
        lp: &LinearProgram,
        time_limit: Option<f64>,
        cancel: &crate::Cancel,
    ) -> Result<Solution, SolveFailure> {
        let backend = self.backend;
        if lp.has_integers() && !backend.supports_integers() {
            return Err(SolveFailure::Solver(format!(
                "{} cannot solve a program with integer columns",
                backend.name()
            )));
        }
        if trivially_infeasible(lp) {
            return Err(SolveFailure::Infeasible);
        }
        if lp.columns.is_empty() {
            // Nothing to decide (a scenario with no initiatives). Clarabel panics on an
            // empty problem, and every row is empty and already satisfied.
            return Ok(Solution {
                x: Vec::new(),
                duals: Some(vec![0.0; lp.rows.len()]),
                proven_optimal: true,
                bound: Some(0.0),
            });
        }
        match backend {
            #[cfg(feature = "highs")]
            Backend::Highs if !lp.has_integers() => self.highs.solve(lp, time_limit),
            #[cfg(feature = "highs")]
            Backend::Highs => crate::solve::backend::highs::solve_milp(
                lp,
                time_limit,
                self.search.mip_gap,
                cancel,
                self.search.progress.as_deref(),
            ),
            _ => scaled(lp, |scaled, scaling| {
                let solution = match backend {
                    Backend::Clarabel => {
                        clarabel_then_vertex(scaled, scaling, time_limit, cancel, self.vertex)
                    }
                    Backend::Microlp => microlp(scaled, time_limit),
                    _ => lpsolve(
                        scaled,
                        scaling,
                        time_limit,
                        cancel,
                        &self.search,
                        self.start.as_deref(),
                    ),
                }?;
                check(scaled, &solution, backend, Tolerance::VERTEX)?;
                Ok(solution)
            }),
        }
    }
}

/// Holds a backend's answer to the optimality conditions (see `certificate`): a
/// simplex vertex to round-off, an interior point to its own tolerance; a point
/// without duals (microlp, a MILP) to feasibility.
fn check(
    lp: &LinearProgram,
    solution: &Solution,
    backend: Backend,
    tol: Tolerance,
) -> Result<(), SolveFailure> {
    use crate::solve::certificate::{optimal, primal};
    let verdict = match &solution.duals {
        Some(duals) if solution.proven_optimal => optimal(lp, &solution.x, duals, tol),
        _ => primal(lp, &solution.x, tol),
    };
    verdict.map_err(|flaw| {
        tracing::warn!(solver = backend.name(), %flaw, "answer failed its check");
        SolveFailure::Unreliable(flaw)
    })
}

/// Solves the scaled program with `solve` and returns the point, duals and bound in
/// the scenario's units.
fn scaled(
    lp: &LinearProgram,
    solve: impl FnOnce(&LinearProgram, &Scaling) -> Result<Solution, SolveFailure>,
) -> Result<Solution, SolveFailure> {
    let (scaling, scaled) = Scaling::of(lp);
    let solution = solve(&scaled, &scaling)?;
    let x = scaling.point(&solution.x);
    Ok(Solution {
        bound: solution.bound.map(|b| scaling.objective_value(b)),
        duals: solution.duals.map(|d| scaling.duals(&d)),
        proven_optimal: solution.proven_optimal,
        x,
    })
}

/// An empty row that its right-hand side contradicts (a group floor on nothing), or a
/// column whose bounds cross: solvers handle these unevenly, so answer them here.
fn trivially_infeasible(lp: &LinearProgram) -> bool {
    let tol = |x: f64| 1e-9 * x.abs().max(1.0);
    let empty_row_broken = lp.rows.iter().any(|row| {
        row.terms.is_empty()
            && match row.cmp {
                Cmp::Le => 0.0 > row.rhs + tol(row.rhs),
                Cmp::Ge => 0.0 < row.rhs - tol(row.rhs),
                Cmp::Eq => row.rhs.abs() > tol(row.rhs),
            }
    });
    let bounds_cross = lp.columns.iter().any(|c| {
        let (lower, upper) = if c.integer {
            integer_bounds(c.lower, c.upper)
        } else {
            (c.lower, c.upper)
        };
        lower > upper + tol(upper)
    });
    empty_row_broken || bounds_cross
}

impl Backend {
    /// Solves `lp`, stopping after `time_limit` seconds when given: a program on its
    /// own, as a one-stage [`StageSolver`].
    pub fn solve(
        self,
        lp: &LinearProgram,
        time_limit: Option<f64>,
        cancel: &crate::Cancel,
    ) -> Result<Solution, SolveFailure> {
        StageSolver::new(self).solve(lp, time_limit, cancel)
    }
}
