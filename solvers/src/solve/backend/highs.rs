//! One HiGHS model kept across the stages of a plan, and across plans of
//! near-identical scenarios (cargo feature `highs`).
//!
//! A later stage is the earlier program with a new objective and one more row (the
//! tier's floor); a price-range probe is the same program with one capacity changed.
//! Rebuilding either makes HiGHS start from nothing; keeping the model lets it start
//! from the basis the previous solve ended on, which is how an analyst's script in
//! highspy would do it too. Measured: see BENCHMARKS.md. A program that keeps the
//! held one's columns and rows (right-hand sides and column bounds may change) and
//! may add rows at the end reuses the model; anything else rebuilds it.

use crate::lp::scaling::Scaling;
use crate::lp::{Cmp, LinearProgram, Row, Sense};
use crate::solve::solution::{integer_bounds, Solution, SolveFailure};
use highs::{Col, HighsModelStatus, HighsSolutionStatus, Model, RowProblem};
use std::ffi::{c_int, c_void};

/// Turns a HiGHS row dual into objective gained per unit of right-hand side (the
/// sign the dual-sign tests in `solve/backend/tests.rs` pin down).
pub const DUAL_SIGN: f64 = 1.0;

/// HiGHS threads per solve, the same for every HiGHS model in the process: HiGHS
/// keeps one scheduler per calling thread and refuses a run whose `threads` differs
/// from the one it started with (HiGHS.jl issue #130), and the server's solve pool
/// reuses threads. One thread: a simplex runs on one anyway, the worker pool only
/// added its start-up (3-7% of a generated medium plan), and the server already runs
/// solves side by side.
pub const THREADS: i32 = 1;

/// The model of the last stage solved, and the program it holds.
#[derive(Default)]
pub struct HighsSession {
    model: Option<Model>,
    columns: Vec<Col>,
    /// Rows and column bounds the model holds; objectives are set anew every stage.
    held: Option<LinearProgram>,
    /// Seconds the model's earlier runs took: HiGHS counts its time limit over every
    /// run of one model (HiGHS issue #1477), so each run's limit adds them.
    spent: f64,
    /// The scales of the program the model holds.
    scaling: Option<Scaling>,
}

impl HighsSession {
    /// Solves `lp`, reusing the previous stage's model and basis where `lp` only adds
    /// rows to it. LPs only: MILPs go through [`solve_milp`] (a branch and bound does
    /// not carry over between stages the same way).
    ///
    /// HiGHS's tolerances are absolute too (a value of 1e-9 per unit is below its
    /// dual feasibility tolerance), so it sees the program scaled like every other
    /// backend; a kept model keeps its column scales from stage to stage and plan to
    /// plan, so that the scaled program it holds still matches.
    pub fn solve(
        &mut self,
        lp: &LinearProgram,
        time_limit: Option<f64>,
    ) -> Result<Solution, SolveFailure> {
        let carried = self
            .scaling
            .as_ref()
            .and_then(|scaling| scaling.carried_to(lp))
            .filter(|(_, scaled)| self.held.as_ref().is_some_and(|held| extends(held, scaled)));
        let (scaling, scaled) = carried.unwrap_or_else(|| Scaling::of(lp));
        let solution = self.solve_scaled(&scaled, time_limit);
        let solution = solution.map(|s| Solution {
            x: scaling.point(&s.x),
            duals: s.duals.map(|d| scaling.duals(&d)),
            proven_optimal: s.proven_optimal,
            bound: s.bound.map(|b| scaling.objective_value(b)),
        });
        self.scaling = Some(scaling);
        solution
    }

    /// [`HighsSession::solve`] on the scaled program; the model holds scaled programs.
    fn solve_scaled(
        &mut self,
        lp: &LinearProgram,
        time_limit: Option<f64>,
    ) -> Result<Solution, SolveFailure> {
        debug_assert!(!lp.has_integers());
        let reuse = self.held.as_ref().is_some_and(|held| extends(held, lp));
        let mut model = match (reuse, self.model.take()) {
            (true, Some(mut model)) => {
                let held = self.held.as_ref().expect("held with the model");
                let mut changed = 0;
                for (k, (old, new)) in held.columns.iter().zip(&lp.columns).enumerate() {
                    if (old.lower, old.upper) != (new.lower, new.upper) {
                        model.change_column_bounds(self.columns[k], new.lower..=new.upper);
                        changed += 1;
                    }
                }
                for (k, (old, new)) in held.rows.iter().zip(&lp.rows).enumerate() {
                    if old.rhs != new.rhs {
                        change_row_bounds(&mut model, k, new)?;
                        changed += 1;
                    }
                }
                for row in &lp.rows[held.rows.len()..] {
                    add_row(&mut model, &self.columns, row);
                }
                set_costs(&mut model, lp)?;
                tracing::debug!(
                    added_rows = lp.rows.len() - held.rows.len(),
                    changed_bounds = changed,
                    "warm start"
                );
                model
            }
            _ => {
                self.spent = 0.0;
                self.build(lp)?
            }
        };
        let limit = time_limit.map_or(f64::INFINITY, |s| self.spent + s.max(0.0));
        model.set_option("time_limit", limit);
        let started = std::time::Instant::now();
        let solved = model
            .try_solve()
            .map_err(|e| SolveFailure::Solver(format!("HiGHS: {e:?}")))?;
        self.spent += started.elapsed().as_secs_f64();
        let proven_optimal = outcome(&solved)?;
        let solution = solved.get_solution();
        let x = solution.columns().to_vec();
        let duals = solution.dual_rows().iter().map(|d| DUAL_SIGN * d).collect();
        self.model = Some(Model::from(solved));
        self.held = Some(LinearProgram {
            sense: lp.sense,
            columns: lp.columns.clone(),
            rows: lp.rows.clone(),
        });
        let bound = proven_optimal.then(|| lp.objective_at(&x));
        Ok(Solution {
            x,
            duals: Some(duals),
            proven_optimal,
            bound,
        })
    }

    fn build(&mut self, lp: &LinearProgram) -> Result<Model, SolveFailure> {
        let (mut model, columns) = load(lp)?;
        self.columns = columns;
        // The program is already lean (no fixed, empty or duplicate columns to remove),
        // so presolve costs more than it saves: without it every generated size solved
        // 10-25% faster (small to large, BENCHMARKS.md), and no postsolve stands
        // between one stage's basis and the next.
        model.set_option("presolve", "off");
        model.set_option("threads", THREADS);
        Ok(model)
    }
}

/// Solves a MILP with HiGHS's branch and cut, stopping at the relative gap `mip_gap`
/// or `time_limit`: the incumbent, and HiGHS's own dual bound (far tighter than the
/// LP relaxation once its root cuts are in). A MILP is built afresh each stage: a
/// branch and bound does not carry over between stages as a basis does.
pub fn solve_milp(
    lp: &LinearProgram,
    time_limit: Option<f64>,
    mip_gap: f64,
    cancel: &crate::Cancel,
    progress: Option<&crate::Progress>,
) -> Result<Solution, SolveFailure> {
    let (scaling, scaled) = Scaling::of(lp);
    let mut watch = MipWatch {
        cancel,
        progress,
        objective_scale: scaling.objective_scale(),
        last_report: f64::NEG_INFINITY,
        cancelled: false,
    };
    let solution = solve_scaled_milp(&scaled, time_limit, mip_gap, &mut watch)?;
    let x = scaling.point(&solution.x);
    // Without a dual bound to read, a closed gap proves the optimum within mipGap x
    // max(1, |objective|) of ours (HiGHS's relative gap is never the looser).
    let bound = match (solution.bound, solution.proven_optimal) {
        (Some(bound), _) => Some(scaling.objective_value(bound)),
        (None, true) => {
            let objective = lp.objective_at(&x);
            let slack = mip_gap * objective.abs().max(1.0);
            Some(match lp.sense {
                Sense::Maximise => objective + slack,
                Sense::Minimise => objective - slack,
            })
        }
        (None, false) => None,
    };
    Ok(Solution {
        x,
        duals: None,
        proven_optimal: solution.proven_optimal,
        bound,
    })
}

/// What HiGHS's MIP callback reads and writes: the caller's flags (a cancel stops the
/// search with no answer, an interrupt keeps the incumbent) and where progress goes.
struct MipWatch<'a> {
    cancel: &'a crate::Cancel,
    progress: Option<&'a crate::Progress>,
    /// The program's objective is the scenario's times this (see `scaling`).
    objective_scale: f64,
    last_report: f64,
    /// Set when the search was stopped for a cancel rather than an interrupt.
    cancelled: bool,
}

/// HiGHS calls this during branch and bound: at each interrupt check it asks whether
/// to stop, and it reports progress a few times a second.
unsafe extern "C" fn mip_callback(
    kind: c_int,
    _message: *const std::ffi::c_char,
    out: *const highs_sys::HighsCallbackDataOut,
    into: *mut highs_sys::HighsCallbackDataIn,
    handle: *mut c_void,
) {
    // SAFETY: `handle` is the `MipWatch` that `solve_scaled_milp` keeps alive across
    // the solve; HiGHS passes valid data pointers for the callback kinds started.
    let (watch, out) = unsafe { (&mut *(handle as *mut MipWatch<'_>), &*out) };
    if kind == highs_sys::kHighsCallbackMipInterrupt as c_int && !into.is_null() {
        let cancelled = watch.cancel.is_raised();
        if cancelled || watch.cancel.is_interrupted() {
            watch.cancelled |= cancelled;
            // SAFETY: checked non-null above.
            unsafe { (*into).user_interrupt = 1 };
        }
    }
    let Some(progress) = watch.progress else {
        return;
    };
    if out.running_time - watch.last_report < 0.2 {
        return;
    }
    watch.last_report = out.running_time;
    let finite = |v: f64| (v.is_finite() && v.abs() < 1e29).then(|| v / watch.objective_scale);
    let report = crate::ProgressReport {
        elapsed: out.running_time,
        incumbent: finite(out.mip_primal_bound),
        bound: finite(out.mip_dual_bound),
    };
    // A panic must not cross into C.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| progress(&report)));
}

fn solve_scaled_milp(
    lp: &LinearProgram,
    time_limit: Option<f64>,
    mip_gap: f64,
    watch: &mut MipWatch<'_>,
) -> Result<Solution, SolveFailure> {
    let (mut model, _) = load(lp)?;
    model.set_option("threads", THREADS);
    model.set_option("mip_rel_gap", mip_gap);
    if let Some(seconds) = time_limit {
        model.set_option("time_limit", seconds.max(0.0));
    }
    // SAFETY: the model is alive; `watch` outlives the solve below, which is the
    // only time HiGHS calls back.
    unsafe {
        let highs = model.as_mut_ptr();
        highs_sys::Highs_setCallback(
            highs,
            Some(mip_callback),
            watch as *mut MipWatch<'_> as *mut c_void,
        );
        highs_sys::Highs_startCallback(highs, highs_sys::kHighsCallbackMipInterrupt);
        highs_sys::Highs_startCallback(highs, highs_sys::kHighsCallbackMipImprovingSolution);
        highs_sys::Highs_startCallback(highs, highs_sys::kHighsCallbackMipLogging);
    }
    let solved = model
        .try_solve()
        .map_err(|e| SolveFailure::Solver(format!("HiGHS: {e:?}")))?;
    if watch.cancelled {
        return Err(SolveFailure::Cancelled);
    }
    let proven_optimal = outcome(&solved)?;
    let x = solved.get_solution().columns().to_vec();
    let bound = solved
        .double_info_value(c"mip_dual_bound")
        .ok()
        .filter(|b| b.is_finite());
    Ok(Solution {
        x,
        duals: None,
        proven_optimal,
        bound,
    })
}

/// `lp` as a quiet HiGHS model (integer columns with their whole bounds), and its
/// columns in order.
fn load(lp: &LinearProgram) -> Result<(Model, Vec<Col>), SolveFailure> {
    let mut problem = RowProblem::default();
    let columns: Vec<Col> = lp
        .columns
        .iter()
        .map(|c| {
            if c.integer {
                let (lower, upper) = integer_bounds(c.lower, c.upper);
                problem.add_integer_column(c.objective, lower..=upper)
            } else {
                problem.add_column(c.objective, c.lower..=c.upper)
            }
        })
        .collect();
    for row in &lp.rows {
        let terms = row.terms.iter().map(|&(col, coef)| (columns[col], coef));
        let (lower, upper) = row_bounds(row);
        problem.add_row(lower..=upper, terms);
    }
    let sense = match lp.sense {
        Sense::Maximise => highs::Sense::Maximise,
        Sense::Minimise => highs::Sense::Minimise,
    };
    let mut model = problem
        .try_optimise(sense)
        .map_err(|e| SolveFailure::Solver(format!("HiGHS: {e:?}")))?;
    model.make_quiet();
    Ok((model, columns))
}

/// What a HiGHS run ended with: a point proven optimal (true), a feasible point a
/// limit stopped at (false), or why there is none.
fn outcome(solved: &highs::SolvedModel) -> Result<bool, SolveFailure> {
    let proven_optimal = match solved.status() {
        HighsModelStatus::Optimal => true,
        HighsModelStatus::Infeasible | HighsModelStatus::UnboundedOrInfeasible => {
            return Err(SolveFailure::Infeasible)
        }
        HighsModelStatus::Unbounded => return Err(SolveFailure::Unbounded),
        HighsModelStatus::ReachedTimeLimit
        | HighsModelStatus::ReachedIterationLimit
        | HighsModelStatus::ReachedInterrupt => false,
        other => return Err(SolveFailure::Solver(format!("HiGHS: {other:?}"))),
    };
    if solved.primal_solution_status() != HighsSolutionStatus::Feasible {
        return Err(SolveFailure::TimeLimit);
    }
    Ok(proven_optimal)
}

/// Whether `next` is `held` with the same columns and rows (objectives, column bounds
/// and right-hand sides aside) and perhaps more rows after them.
fn extends(held: &LinearProgram, next: &LinearProgram) -> bool {
    held.sense == next.sense
        && held.columns.len() == next.columns.len()
        && held
            .columns
            .iter()
            .zip(&next.columns)
            .all(|(a, b)| a.integer == b.integer)
        && next.rows.len() >= held.rows.len()
        && held
            .rows
            .iter()
            .zip(&next.rows)
            .all(|(a, b)| a.kind == b.kind && a.cmp == b.cmp && a.terms == b.terms)
}

/// Sets every column's objective coefficient in one call (one call per column cost
/// about 4 ms on the generated medium scenario's 14k columns).
fn set_costs(model: &mut Model, lp: &LinearProgram) -> Result<(), SolveFailure> {
    let costs: Vec<f64> = lp.columns.iter().map(|c| c.objective).collect();
    let Some(last) = costs.len().checked_sub(1) else {
        return Ok(());
    };
    let last = highs_sys::HighsInt::try_from(last)
        .map_err(|_| SolveFailure::Solver("HiGHS: too many columns".to_string()))?;
    // SAFETY: the pointer is the live HiGHS instance `model` owns, borrowed mutably for
    // the call; `costs` holds one value for each of its columns 0..=last and outlives it.
    let status = unsafe {
        highs_sys::Highs_changeColsCostByRange(model.as_mut_ptr(), 0, last, costs.as_ptr())
    };
    accepted(status, || "HiGHS refused the objective".to_string())
}

/// Gives row `index` of `model` the bounds `row` states.
fn change_row_bounds(model: &mut Model, index: usize, row: &Row) -> Result<(), SolveFailure> {
    let (lower, upper) = row_bounds(row);
    let index = highs_sys::HighsInt::try_from(index)
        .map_err(|_| SolveFailure::Solver("HiGHS: too many rows".to_string()))?;
    // SAFETY: the pointer is the live HiGHS instance `model` owns, borrowed mutably for
    // the call, and `index` is one of its rows (the held program's rows are its rows).
    let status =
        unsafe { highs_sys::Highs_changeRowBounds(model.as_mut_ptr(), index, lower, upper) };
    accepted(status, || {
        format!("HiGHS refused new bounds for row {index}")
    })
}

/// A row's (lower, upper) bounds as HiGHS takes them; infinite where open.
fn row_bounds(row: &Row) -> (f64, f64) {
    match row.cmp {
        Cmp::Le => (f64::NEG_INFINITY, row.rhs),
        Cmp::Ge => (row.rhs, f64::INFINITY),
        Cmp::Eq => (row.rhs, row.rhs),
    }
}

/// A C API call's status as a result (a warning still did what was asked).
fn accepted(status: highs_sys::HighsInt, what: impl Fn() -> String) -> Result<(), SolveFailure> {
    if status == highs_sys::kHighsStatusError {
        Err(SolveFailure::Solver(what()))
    } else {
        Ok(())
    }
}

fn add_row(model: &mut Model, columns: &[Col], row: &Row) {
    let terms = row.terms.iter().map(|&(col, coef)| (columns[col], coef));
    let (lower, upper) = row_bounds(row);
    model.add_row(lower..=upper, terms);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lp::RowKind;

    /// max x + y, x <= 4, y <= 3, x + y <= 6.
    fn program() -> LinearProgram {
        let mut lp = LinearProgram::new(Sense::Maximise);
        let x = lp.column(0.0, 4.0, 1.0);
        let y = lp.column(0.0, 3.0, 1.0);
        lp.row(
            RowKind::Capacity { r: 0, t: 0 },
            vec![(x, 1.0), (y, 1.0)],
            Cmp::Le,
            6.0,
        );
        lp
    }

    #[test]
    fn a_changed_right_hand_side_reuses_the_model_and_moves_the_optimum() {
        let mut session = HighsSession::default();
        let mut lp = program();
        session.solve(&lp, None).unwrap();
        lp.rows[0].rhs = 5.0;
        lp.columns[1].upper = 2.0;
        assert!(extends(session.held.as_ref().unwrap(), &lp));
        let solution = session.solve(&lp, None).unwrap();
        // x + y <= 5 with y <= 2: the optimum is 5, the row binds at price 1.
        assert!((solution.x[0] + solution.x[1] - 5.0).abs() < 1e-9);
        assert!(solution.x[1] <= 2.0 + 1e-9);
        assert!((solution.duals.unwrap()[0] - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_program_with_other_terms_rebuilds_the_model() {
        let mut session = HighsSession::default();
        let mut lp = program();
        session.solve(&lp, None).unwrap();
        lp.rows[0].terms[1].1 = 2.0;
        assert!(!extends(session.held.as_ref().unwrap(), &lp));
        // max x + y, x <= 4, y <= 3, x + 2y <= 6: x = 4, y = 1.
        let solution = session.solve(&lp, None).unwrap();
        assert!((solution.x[0] - 4.0).abs() < 1e-9 && (solution.x[1] - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_stage_that_adds_a_row_and_changes_the_objective_reuses_the_model() {
        let mut session = HighsSession::default();
        let mut lp = program();
        let first = session.solve(&lp, None).unwrap();
        assert!((first.x[0] + first.x[1] - 6.0).abs() < 1e-9);
        // Next stage: keep x + y >= 6, now maximise y - x.
        lp.row(
            RowKind::Tier { tier: 1 },
            vec![(0, 1.0), (1, 1.0)],
            Cmp::Ge,
            6.0,
        );
        lp.columns[0].objective = -1.0;
        assert!(extends(session.held.as_ref().unwrap(), &lp));
        let second = session.solve(&lp, None).unwrap();
        assert!((second.x[0] - 3.0).abs() < 1e-9 && (second.x[1] - 3.0).abs() < 1e-9);
        // The capacity row binds with price 0 (y - x gains nothing from more room).
        assert_eq!(second.duals.unwrap().len(), 2);
    }
}
