//! Solver backends behind one small enum: the only module that speaks good_lp.
//!
//! A backend takes a [`LinearProgram`] and returns the primal point and, where the
//! solver has them, the row duals as shadow prices (objective gained per unit of
//! right-hand side, whatever the row's direction). Clarabel (interior point, duals,
//! LP only) and microlp (simplex with branch and bound, integers, no duals) are pure
//! Rust; lp_solve (simplex with vertex duals, branch and bound with a gap; see
//! [`crate::lpsolve`]) is C built by cargo. All three are always compiled in and see
//! the program scaled (see [`crate::scaling`]); HiGHS scales for itself.

use crate::certificate::Tolerance;
use crate::lp::{Cmp, LinearProgram, RowKind, Sense};
use crate::scaling::Scaling;
use clarabel::solver::{IPSolver, SolverStatus};
use good_lp::solvers::WithTimeLimit;
use good_lp::{
    variable, Constraint, Expression, ProblemVariables, ResolutionError, Solution as _,
    SolutionStatus, SolverModel, Variable,
};

/// A solver Fluidity can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Clarabel,
    /// lp_solve 5.5: the default build's simplex (vertex duals) and branch and bound.
    LpSolve,
    Microlp,
    /// HiGHS (simplex, interior point, branch and cut): duals and integers; behind the
    /// `highs` cargo feature.
    #[cfg(feature = "highs")]
    Highs,
}

/// Names `policy.solver` accepts in this build, `auto` first.
#[cfg(not(feature = "highs"))]
pub const COMPILED: &[&str] = &["auto", "clarabel", "lpsolve", "microlp"];
#[cfg(feature = "highs")]
pub const COMPILED: &[&str] = &["auto", "clarabel", "highs", "lpsolve", "microlp"];

/// Backends that exist but are not in this build (each behind a cargo feature).
#[cfg(not(feature = "highs"))]
const NOT_COMPILED: &[&str] = &["highs"];
#[cfg(feature = "highs")]
const NOT_COMPILED: &[&str] = &[];

pub use super::solution::{Solution, SolveFailure};

impl Backend {
    /// The backend a `policy.solver` names; `None` for `auto` (or empty).
    pub fn from_name(name: &str) -> Result<Option<Backend>, String> {
        match name.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => Ok(None),
            "clarabel" => Ok(Some(Backend::Clarabel)),
            "microlp" => Ok(Some(Backend::Microlp)),
            "lpsolve" | "lp_solve" => Ok(Some(Backend::LpSolve)),
            #[cfg(feature = "highs")]
            "highs" => Ok(Some(Backend::Highs)),
            other if NOT_COMPILED.contains(&other) => Err(format!(
                "solver \"{other}\" is not compiled into this build; available: {}",
                COMPILED.join(", ")
            )),
            _ => Err(format!(
                "unknown solver \"{name}\"; available: {}",
                COMPILED.join(", ")
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Clarabel => "clarabel",
            Backend::LpSolve => "lpsolve",
            Backend::Microlp => "microlp",
            #[cfg(feature = "highs")]
            Backend::Highs => "highs",
        }
    }

    pub fn supports_integers(self) -> bool {
        !matches!(self, Backend::Clarabel)
    }

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

/// The program as good_lp's variables and objective, ready for a solver.
fn unsolved(lp: &LinearProgram) -> (good_lp::variable::UnsolvedProblem, Vec<Variable>) {
    let (vars, columns, objective) = variables(lp);
    let unsolved = match lp.sense {
        Sense::Maximise => vars.maximise(objective),
        Sense::Minimise => vars.minimise(objective),
    };
    (unsolved, columns)
}

fn microlp(lp: &LinearProgram, time_limit: Option<f64>) -> Result<Solution, SolveFailure> {
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
fn add_rows<M: SolverModel>(
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
    highs: crate::highs_session::HighsSession,
}

/// How a branch and bound searches: the gap at which it stops, and who watches.
#[derive(Clone, Default)]
pub struct Search {
    /// Relative gap at which a whole-unit plan counts as optimal (`policy.mipGap`).
    pub mip_gap: f64,
    /// Told of the incumbent and bound while a search runs.
    pub progress: Option<std::sync::Arc<crate::Progress>>,
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
        highs: crate::highs_session::HighsSession,
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
    pub(crate) fn into_session(self) -> crate::highs_session::HighsSession {
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
            Backend::Highs => crate::highs_session::solve_milp(
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

/// Clarabel's interior point, taken to a vertex of the same program by
/// [`crate::crossover`] with lp_solve (the plan's prices are then a basis's duals)
/// unless `vertex` is false and the point passes the interior point's check (a tier
/// stage, whose value is all that is passed on).
fn clarabel_then_vertex(
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
        match crate::certificate::optimal(lp, &interior.x, duals, Tolerance::INTERIOR) {
            Ok(()) => return Ok(interior),
            Err(flaw) => tracing::debug!(%flaw, "clarabel's point failed its check; crossing over"),
        }
    }
    let interior_ms = started.elapsed().as_secs_f64() * 1e3;
    let options = crate::lpsolve::Options {
        time_limit: time_limit.map(|limit| (limit - started.elapsed().as_secs_f64()).max(0.0)),
        mip_gap: 0.0,
        cancel,
        progress: None,
        bound: None,
        objective_scale: scaling.objective_scale(),
    };
    let vertex = crate::crossover::vertex(lp, &interior, &options)?;
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

/// Holds a backend's answer to the optimality conditions (see `certificate`): a
/// simplex vertex to round-off, an interior point to its own tolerance; a point
/// without duals (microlp, a MILP) to feasibility.
fn check(
    lp: &LinearProgram,
    solution: &Solution,
    backend: Backend,
    tol: Tolerance,
) -> Result<(), SolveFailure> {
    use crate::certificate::{optimal, primal};
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

/// lp_solve: an LP in one simplex solve; a MILP as its LP relaxation (the bound a
/// stopped search reports, and the first progress line), then branch and bound.
fn lpsolve(
    lp: &LinearProgram,
    scaling: &Scaling,
    time_limit: Option<f64>,
    cancel: &crate::Cancel,
    search: &Search,
    start: Option<&[f64]>,
) -> Result<Solution, SolveFailure> {
    let started = std::time::Instant::now();
    let mut options = crate::lpsolve::Options {
        time_limit,
        mip_gap: 0.0,
        cancel,
        progress: search.progress.as_deref(),
        bound: None,
        objective_scale: scaling.objective_scale(),
    };
    if !lp.has_integers() {
        return crate::lpsolve::solve(lp, &options);
    }
    let mut relaxation = lp.clone();
    relaxation
        .columns
        .iter_mut()
        .for_each(|c| c.integer = false);
    let relaxed = crate::lpsolve::solve(&relaxation, &options)?;
    let relaxed_bound = lp.objective_at(&relaxed.x);
    // lp_solve prunes what cannot beat its incumbent by more than relgap x (1 +
    // |incumbent|), in the program's (scaled) units; our gap is mipGap x max(1,
    // |objective|) in the scenario's, i.e. mipGap x max(sigma, |objective|) scaled. With
    // the relaxation's optimum standing in for the incumbent, convert one to the other.
    let sigma = scaling.objective_scale();
    let size = relaxed_bound.abs();
    // Half of it, so that what a completed search proves stays within mipGap even
    // when the incumbent is smaller than the relaxation's optimum.
    let relgap = (0.5 * search.mip_gap * sigma.max(size) / (1.0 + size)).min(0.5);
    options.mip_gap = relgap;
    options.bound = Some(scaling.objective_value(relaxed_bound));
    let left = || time_limit.map(|limit| (limit - started.elapsed().as_secs_f64()).max(0.0));
    // A tier row (an earlier tier's value to keep) is one dense row over many whole
    // columns, and lp_solve's depth-first search often finds no plan under it at all
    // (three seeds in four of the generated 100x4x6 all-integral portfolio, in 10 s).
    // The earlier stage's plan keeps it: with the columns of the tier rows fixed where
    // that plan has them, the rest is searched without the row, and the plan found
    // there is a first incumbent for the whole search.
    let kept_tiers = start.and_then(|x| {
        let mut fixed = lp.clone();
        let mut any = false;
        for row in lp
            .rows
            .iter()
            .filter(|r| matches!(r.kind, RowKind::Tier { .. }))
        {
            for &(j, _) in &row.terms {
                let v = x[j] / scaling.column_scale(j);
                let v = if lp.columns[j].integer { v.round() } else { v };
                let c = &mut fixed.columns[j];
                (c.lower, c.upper) = (v, v);
                any = true;
            }
        }
        any.then(|| {
            let options = crate::lpsolve::Options {
                time_limit: left().map(|s| s * 0.4),
                ..options
            };
            crate::lpsolve::solve(&fixed, &options).ok()
        })
        .flatten()
    });
    tracing::debug!(
        objective = kept_tiers
            .as_ref()
            .map(|s| scaling.objective_value(lp.objective_at(&s.x))),
        elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
        "tiers kept"
    );
    options.time_limit = left();
    let searched = crate::lpsolve::solve(lp, &options);
    let better = |a: &[f64], b: &[f64]| match lp.sense {
        Sense::Maximise => lp.objective_at(a) > lp.objective_at(b),
        Sense::Minimise => lp.objective_at(a) < lp.objective_at(b),
    };
    let unproven = |x: Vec<f64>| Solution {
        x,
        duals: None,
        proven_optimal: false,
        bound: None,
    };
    let mut solution = match (searched, kept_tiers) {
        (Ok(found), Some(first)) if !found.proven_optimal && better(&first.x, &found.x) => {
            unproven(first.x)
        }
        (Ok(found), _) => found,
        (Err(SolveFailure::TimeLimit), Some(first)) => unproven(first.x),
        (Err(failure), _) => return Err(failure),
    };
    let objective = lp.objective_at(&solution.x);
    // A completed search proves what lp_solve's rule leaves open; a stopped one only
    // what the relaxation proves.
    let bound = if solution.proven_optimal {
        let slack = relgap * (1.0 + objective.abs());
        match lp.sense {
            Sense::Maximise => objective + slack,
            Sense::Minimise => objective - slack,
        }
    } else {
        relaxed_bound
    };
    solution.bound = Some(match lp.sense {
        Sense::Maximise => bound.min(relaxed_bound).max(objective),
        Sense::Minimise => bound.max(relaxed_bound).min(objective),
    });
    Ok(solution)
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

pub(crate) use super::solution::integer_bounds;

fn failure(e: ResolutionError) -> SolveFailure {
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
