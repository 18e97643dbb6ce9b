//! lp_solve 5.5 (revised simplex, branch and bound), driven through its C API.
//!
//! The default build's simplex: its final basis gives *vertex* duals (a unique price
//! is exact, a degenerate one is a vertex of the dual set), and its branch and bound
//! takes a relative gap, an abort callback (time limit, cancellation, the user's
//! interrupt, progress) and reports whether it proved its incumbent. The C source
//! ships inside `lpsolve-sys` and is built by `cc`, so the build still needs nothing
//! but cargo. good_lp's own lp_solve wrapper builds every row as a dense vector and
//! hides the duals, which is why this module speaks to the C API itself.
//!
//! Every call into C is in this file; the program handed in is already scaled (see
//! `scaling`), so lp_solve's absolute tolerances are met at every magnitude.

use crate::lp::{Cmp, LinearProgram, Sense};
use crate::solve::solution::{Solution, SolveFailure};
use crate::{Cancel, Progress, ProgressReport};
use lpsolve_sys as ffi;
use std::ffi::{c_int, c_long, c_void};
use std::time::Instant;

// From lp_lib.h.
const ROW_LE: c_int = 1;
const ROW_GE: c_int = 2;
const ROW_EQ: c_int = 3;
const NEUTRAL: c_int = 0;
const OPTIMAL: c_int = 0;
const SUBOPTIMAL: c_int = 1;
const INFEASIBLE: c_int = 2;
const UNBOUNDED: c_int = 3;
const USERABORT: c_int = 6;
const TIMEOUT: c_int = 7;
const PRESOLVED: c_int = 9;
const NODE_FIRSTSELECT: c_int = 0;
const BRANCH_AUTOMATIC: c_int = 2;
const SIMPLEX_PRIMAL_PRIMAL: c_int = 5;
/// lp_solve's own "infinity": a bound at or beyond it is no bound.
const INFINITY: f64 = 1e30;

/// How a solve is run.
#[derive(Clone, Copy)]
pub(crate) struct Options<'a> {
    pub time_limit: Option<f64>,
    /// The relative gap at which branch and bound stops, in lp_solve's terms
    /// (against 1 + |incumbent| of this program; see `backend::lpsolve`).
    pub mip_gap: f64,
    pub cancel: &'a Cancel,
    pub progress: Option<&'a Progress>,
    /// The best bound known before the search (the LP relaxation's optimum, in the
    /// scenario's units), for progress reports.
    pub bound: Option<f64>,
    /// The program's objective is the scenario's times this (see `scaling`).
    pub objective_scale: f64,
}

impl<'a> Options<'a> {
    /// No limit, no gap, no progress, an unscaled objective (tests).
    #[cfg(test)]
    pub(crate) fn plain(cancel: &'a Cancel) -> Options<'a> {
        Options {
            time_limit: None,
            mip_gap: 0.0,
            cancel,
            progress: None,
            bound: None,
            objective_scale: 1.0,
        }
    }
}

/// An lp_solve model, freed on drop.
struct Model(*mut ffi::lprec);

impl Drop for Model {
    fn drop(&mut self) {
        // SAFETY: the pointer came from make_lp and is freed exactly once.
        unsafe { ffi::delete_lp(self.0) }
    }
}

/// What the abort callback reads: the clock, the flags, and where progress goes.
struct Watch<'a> {
    started: Instant,
    limit: Option<f64>,
    cancel: &'a Cancel,
    progress: Option<&'a Progress>,
    bound: Option<f64>,
    objective_scale: f64,
    last_report: f64,
    /// Set when the abort was the caller's (cancel) rather than the clock's or the
    /// user's interrupt.
    cancelled: bool,
    /// Set once this callback stopped the solve (for any reason).
    stopped: bool,
    /// True for a branch and bound, which an interrupt may stop.
    searching: bool,
}

/// lp_solve calls this between iterations and nodes; non-zero stops the solve.
unsafe extern "C" fn abort_check(lp: *mut ffi::lprec, handle: *mut c_void) -> c_int {
    // SAFETY: `handle` is the `Watch` that `solve` keeps alive across the solve.
    let watch = unsafe { &mut *(handle as *mut Watch<'_>) };
    let elapsed = watch.started.elapsed().as_secs_f64();
    if watch.cancel.is_raised() {
        watch.cancelled = true;
        watch.stopped = true;
        return 1;
    }
    // An interrupt stops a search for whole units (its incumbent is the answer); an LP
    // has no answer before its end, so it runs on.
    let interrupted = watch.searching && watch.cancel.is_interrupted();
    if interrupted || watch.limit.is_some_and(|limit| elapsed >= limit) {
        watch.stopped = true;
        return 1;
    }
    if let Some(progress) = watch.progress {
        if elapsed - watch.last_report >= 0.2 {
            watch.last_report = elapsed;
            // SAFETY: lp is the model being solved.
            let found = unsafe { ffi::get_solutioncount(lp) } > 0;
            let incumbent =
                found.then(|| unsafe { ffi::get_working_objective(lp) } / watch.objective_scale);
            let report = ProgressReport {
                elapsed,
                incumbent,
                bound: watch.bound,
            };
            // A panic must not cross into C.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| progress(&report)));
        }
    }
    0
}

/// Solves `lp` (already scaled). A MILP is solved by branch and bound to
/// `options.mip_gap`; an LP's row duals come from the final basis.
///
/// lp_solve's default (a dual simplex first) calls some feasible programs infeasible,
/// and some bounded ones unbounded, when a column is free in a direction nothing
/// prices (an `up`/`down` pair without a move cost); either verdict is therefore
/// confirmed by the primal simplex before it is believed.
pub(crate) fn solve(lp: &LinearProgram, options: &Options<'_>) -> Result<Solution, SolveFailure> {
    match solve_with(lp, options, None) {
        Err(SolveFailure::Infeasible | SolveFailure::Unbounded) => {
            solve_with(lp, options, Some(SIMPLEX_PRIMAL_PRIMAL))
        }
        other => other,
    }
}

fn solve_with(
    lp: &LinearProgram,
    options: &Options<'_>,
    simplex: Option<c_int>,
) -> Result<Solution, SolveFailure> {
    let model = Model::new(lp.columns.len())?;
    let row_index = build(&model, lp, options.mip_gap)?;
    if let Some(simplex) = simplex {
        // SAFETY: the model is alive.
        unsafe { ffi::set_simplextype(model.0, simplex) };
    }
    run(&model, lp, &row_index, options)
}

impl Model {
    fn new(columns: usize) -> Result<Model, SolveFailure> {
        let columns = c_int::try_from(columns)
            .map_err(|_| SolveFailure::Solver("too many columns for lp_solve".into()))?;
        // SAFETY: make_lp returns a fresh model or null.
        let raw = unsafe { ffi::make_lp(0, columns) };
        if raw.is_null() {
            return Err(SolveFailure::Solver(
                "lp_solve could not allocate the model".into(),
            ));
        }
        // lp_solve rounds every coefficient, right-hand side and bound to 12
        // significant digits (roundToPrecision with the matrix's epsvalue, 1e-12), so a
        // plan is exact to about 1e-12 relative, not to the last digit (capital 2.5e9
        // against 1e9 per unit: 0.5000000000012849 units, a price 5e-13 off). Turning
        // the rounding off (epsvalue 0 or 1e-15) made those exact but left a degenerate
        // vertex's duals outside the dual set at values x 1e6 (the magnitude property,
        // seed 14382735461619585100): the rounding stays.
        Ok(Model(raw))
    }
}

/// An LP kept loaded, whose columns can be held at a value and rows set aside (and
/// both put back) between solves; each solve starts from the basis the last one ended
/// on, so a small change costs a few pivots (see `crossover`).
pub(crate) struct Restartable<'a> {
    model: Model,
    lp: &'a LinearProgram,
    row_index: Vec<Option<usize>>,
}

impl<'a> Restartable<'a> {
    /// Loads `lp` (already scaled; no integer columns).
    pub(crate) fn load(lp: &'a LinearProgram) -> Result<Self, SolveFailure> {
        let model = Model::new(lp.columns.len())?;
        let row_index = build(&model, lp, 0.0)?;
        Ok(Restartable {
            model,
            lp,
            row_index,
        })
    }

    /// Holds column `j` at `value` until [`Restartable::release`].
    pub(crate) fn hold(&mut self, j: usize, value: f64) {
        // SAFETY: the model is alive and has column j + 1.
        unsafe { ffi::set_bounds(self.model.0, j as c_int + 1, value, value) };
    }

    /// Gives column `j` its own bounds back.
    pub(crate) fn release(&mut self, j: usize) {
        let c = &self.lp.columns[j];
        let lower = if c.lower.is_finite() {
            c.lower
        } else {
            -INFINITY
        };
        let upper = if c.upper.is_finite() {
            c.upper
        } else {
            INFINITY
        };
        // SAFETY: as in `hold`.
        unsafe { ffi::set_bounds(self.model.0, j as c_int + 1, lower, upper) };
    }

    /// Lets row `i` take any value (its dual is then 0) until [`Restartable::restore`].
    /// Equality rows are never set aside.
    pub(crate) fn set_aside(&mut self, i: usize) {
        let far = match self.lp.rows[i].cmp {
            Cmp::Le => INFINITY,
            Cmp::Ge => -INFINITY,
            Cmp::Eq => return,
        };
        self.set_rhs(i, far);
    }

    /// Puts row `i` back as the program has it.
    pub(crate) fn restore(&mut self, i: usize) {
        self.set_rhs(i, self.lp.rows[i].rhs);
    }

    fn set_rhs(&mut self, i: usize, rhs: f64) {
        if let Some(r) = self.row_index[i] {
            // SAFETY: the model is alive and has row r + 1.
            unsafe { ffi::set_rh(self.model.0, r as c_int + 1, rhs) };
        }
    }

    /// Solves the program as it now stands: a vertex and its basis's duals, with
    /// every column and row of the loaded program.
    pub(crate) fn solve(&mut self, options: &Options<'_>) -> Result<Solution, SolveFailure> {
        run(&self.model, self.lp, &self.row_index, options)
    }
}

/// Runs lp_solve on a loaded model, under `options`' clock and flags.
fn run(
    model: &Model,
    lp: &LinearProgram,
    row_index: &[Option<usize>],
    options: &Options<'_>,
) -> Result<Solution, SolveFailure> {
    let integers = lp.has_integers();
    let mut watch = Watch {
        started: Instant::now(),
        limit: options.time_limit,
        cancel: options.cancel,
        progress: options.progress.filter(|_| integers),
        bound: options.bound,
        objective_scale: options.objective_scale,
        last_report: 0.0,
        cancelled: false,
        stopped: false,
        searching: integers,
    };
    // SAFETY: `watch` outlives the solve; the callback only reads and writes it.
    let status = unsafe {
        ffi::put_abortfunc(
            model.0,
            abort_check,
            &mut watch as *mut Watch<'_> as *mut c_void,
        );
        if let Some(limit) = options.time_limit {
            // Whole seconds, rounded up: the abort callback keeps the exact limit. A
            // limit past a year is no limit (and would overflow lp_solve's long).
            if limit < 3.2e7 {
                ffi::set_timeout(model.0, limit.max(0.0).ceil() as c_long + 1);
            }
        }
        ffi::solve(model.0)
    };
    // SAFETY: the model is alive; get_solutioncount reads a counter.
    let found = unsafe { ffi::get_solutioncount(model.0) } > 0;
    match status {
        OPTIMAL | PRESOLVED => Ok(solution(model, lp, row_index, true)?),
        // SUBOPTIMAL: a branch and bound ended with an incumbent in hand, either
        // because it was stopped or because its gap rule closed the search (lp_solve
        // says SUBOPTIMAL for both); only the first leaves the incumbent unproven.
        SUBOPTIMAL | USERABORT | TIMEOUT if integers && (found || status == SUBOPTIMAL) => {
            if watch.cancelled {
                return Err(SolveFailure::Cancelled);
            }
            let proven = status == SUBOPTIMAL && !watch.stopped;
            Ok(solution(model, lp, row_index, proven)?)
        }
        INFEASIBLE => Err(SolveFailure::Infeasible),
        UNBOUNDED => Err(SolveFailure::Unbounded),
        USERABORT if watch.cancelled => Err(SolveFailure::Cancelled),
        USERABORT | TIMEOUT => Err(SolveFailure::TimeLimit),
        other => Err(SolveFailure::Solver(format!(
            "lp_solve stopped with status {other}"
        ))),
    }
}

/// Loads the program into `model`; returns each row's lp_solve row number (None for
/// an empty row, which is not given to the solver).
///
/// Long because it is lp_solve's loading sequence, each step one C call with its
/// check: output and sense, objective, bounds and integers, rows, search settings.
fn build(
    model: &Model,
    lp: &LinearProgram,
    mip_gap: f64,
) -> Result<Vec<Option<usize>>, SolveFailure> {
    let fail = |what: &str| SolveFailure::Solver(format!("lp_solve refused the {what}"));
    let m = model.0;
    // SAFETY: every call below passes the live model and buffers of the stated length.
    unsafe {
        ffi::set_outputfile(m, c"".as_ptr() as *mut _);
        ffi::set_verbose(m, NEUTRAL);
        ffi::set_infinite(m, INFINITY);
        if lp.sense == Sense::Maximise {
            ffi::set_maxim(m);
        } else {
            ffi::set_minim(m);
        }
        let (mut values, mut indices): (Vec<f64>, Vec<c_int>) = lp
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.objective != 0.0)
            .map(|(j, c)| (c.objective, j as c_int + 1))
            .unzip();
        if ffi::set_obj_fnex(
            m,
            values.len() as c_int,
            values.as_mut_ptr(),
            indices.as_mut_ptr(),
        ) == 0
        {
            return Err(fail("objective"));
        }
        for (j, c) in lp.columns.iter().enumerate() {
            let col = j as c_int + 1;
            let (lower, upper) = if c.integer {
                crate::solve::solution::integer_bounds(c.lower, c.upper)
            } else {
                (c.lower, c.upper)
            };
            let lower = if lower.is_finite() { lower } else { -INFINITY };
            let upper = if upper.is_finite() { upper } else { INFINITY };
            if ffi::set_bounds(m, col, lower, upper) == 0 {
                return Err(fail("column bounds"));
            }
            if c.integer && ffi::set_int(m, col, 1) == 0 {
                return Err(fail("integer column"));
            }
        }
        ffi::set_add_rowmode(m, 1);
        let mut next = 0usize;
        let mut index = Vec::with_capacity(lp.rows.len());
        for row in &lp.rows {
            if row.terms.is_empty() {
                index.push(None);
                continue;
            }
            let (mut values, mut cols): (Vec<f64>, Vec<c_int>) = row
                .terms
                .iter()
                .map(|&(col, coef)| (coef, col as c_int + 1))
                .unzip();
            let kind = match row.cmp {
                Cmp::Le => ROW_LE,
                Cmp::Ge => ROW_GE,
                Cmp::Eq => ROW_EQ,
            };
            if ffi::add_constraintex(
                m,
                values.len() as c_int,
                values.as_mut_ptr(),
                cols.as_mut_ptr(),
                kind,
                row.rhs,
            ) == 0
            {
                return Err(fail("row"));
            }
            index.push(Some(next));
            next += 1;
        }
        ffi::set_add_rowmode(m, 0);
        if lp.has_integers() {
            // Measured on generated 100x4x6 all-integral portfolios (BENCHMARKS.md): the
            // first non-whole column, branched up or down by its fraction (automatic),
            // found plans where the pseudo-cost rules found none; always-ceiling stays
            // 1% off at 10 s, always-floor 4.6%.
            ffi::set_bb_rule(m, NODE_FIRSTSELECT);
            ffi::set_bb_floorfirst(m, BRANCH_AUTOMATIC);
            ffi::set_mip_gap(m, 0, mip_gap);
            // lp_solve's own default: its epsilon, not a gap anyone asked for.
            ffi::set_mip_gap(m, 1, 1e-11);
        }
        Ok(index)
    }
}

/// Reads the point and, for an LP, the duals of the final basis.
fn solution(
    model: &Model,
    lp: &LinearProgram,
    row_index: &[Option<usize>],
    proven_optimal: bool,
) -> Result<Solution, SolveFailure> {
    let m = model.0;
    let mut x = vec![0.0; lp.columns.len()];
    // SAFETY: x has one slot per column, as get_variables writes.
    if unsafe { ffi::get_variables(m, x.as_mut_ptr()) } == 0 {
        return Err(SolveFailure::Solver(
            "lp_solve has no solution to read".into(),
        ));
    }
    let duals = if lp.has_integers() {
        None
    } else {
        let mut ptr: *mut f64 = std::ptr::null_mut();
        // SAFETY: on success, ptr points at rows + columns duals owned by the model,
        // read before the model is freed.
        let ok = unsafe {
            ffi::get_ptr_sensitivity_rhs(m, &mut ptr, std::ptr::null_mut(), std::ptr::null_mut())
        };
        if ok == 0 || ptr.is_null() {
            return Err(SolveFailure::Solver("lp_solve gave no duals".into()));
        }
        let rows = row_index.iter().flatten().count();
        // SAFETY: see above.
        let raw = unsafe { std::slice::from_raw_parts(ptr, rows) };
        Some(
            row_index
                .iter()
                .map(|r| r.map_or(0.0, |r| raw[r]))
                .collect(),
        )
    };
    let objective = lp.objective_at(&x);
    Ok(Solution {
        x,
        duals,
        proven_optimal,
        bound: (!lp.has_integers()).then_some(objective),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lp::RowKind;

    fn options(cancel: &Cancel) -> Options<'_> {
        Options::plain(cancel)
    }

    #[test]
    fn a_ge_row_is_honoured_and_priced() {
        // min x + y s.t. x + 2y >= 4 (price: objective per unit of rhs = +0.5).
        let mut lp = LinearProgram::new(Sense::Minimise);
        let x = lp.column(0.0, 10.0, 1.0);
        let y = lp.column(0.0, 10.0, 1.0);
        lp.row(
            RowKind::Tier { tier: 1 },
            vec![(x, 1.0), (y, 2.0)],
            Cmp::Ge,
            4.0,
        );
        let cancel = Cancel::default();
        let s = solve(&lp, &options(&cancel)).unwrap();
        assert!((lp.objective_at(&s.x) - 2.0).abs() < 1e-12, "{:?}", s.x);
        assert!((s.duals.unwrap()[0] - 0.5).abs() < 1e-12);
    }

    #[test]
    fn a_maximisation_le_row_is_priced_positive() {
        let mut lp = LinearProgram::new(Sense::Maximise);
        let x = lp.column(0.0, f64::INFINITY, 3.0);
        lp.row(
            RowKind::Capacity { r: 0, t: 0 },
            vec![(x, 2.0)],
            Cmp::Le,
            4.0,
        );
        let cancel = Cancel::default();
        let s = solve(&lp, &options(&cancel)).unwrap();
        assert_eq!(s.x, vec![2.0]);
        assert_eq!(s.duals.unwrap(), vec![1.5]);
    }

    #[test]
    fn a_maximisation_ge_row_is_priced_negative() {
        // max -x s.t. x >= 3: one more unit of rhs costs one unit of objective.
        let mut lp = LinearProgram::new(Sense::Maximise);
        let x = lp.column(0.0, 10.0, -1.0);
        lp.row(RowKind::Tier { tier: 1 }, vec![(x, 1.0)], Cmp::Ge, 3.0);
        let cancel = Cancel::default();
        let s = solve(&lp, &options(&cancel)).unwrap();
        assert_eq!(s.x, vec![3.0]);
        assert_eq!(s.duals.unwrap(), vec![-1.0]);
    }
}
