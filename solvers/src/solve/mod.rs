//! Stages: one solve per priority tier ("even over"), then the final solve.
//!
//! Stage k maximises tier k's value under every constraint and the values earlier
//! tiers reached; the final stage maximises value less move cost under all of that.
//! A time limit is shared by the stages: a stage that runs out with a feasible
//! point ends the solve there, with that point as a FEASIBLE plan.

pub mod backend;
pub mod certificate;
pub mod crossover;
pub mod diagnosis;
pub mod solution;
pub mod stage_solver;

use crate::lp::formulation::{Formulation, Stage};
use crate::lp::{Cmp, RowKind};
use crate::model::Model;
use crate::solve::backend::Backend;
use crate::solve::backend::Search;
use crate::solve::solution::{Solution, SolveFailure};
use crate::solve::stage_solver::StageSolver;
use ndarray::Array2;
use std::time::Instant;

/// Which backends a solve uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Solvers {
    /// Solves every stage and gives the plan's activities.
    pub primal: Backend,
    /// Re-solves the final stage for shadow prices when `primal` has no duals.
    pub prices: Option<Backend>,
}

impl Solvers {
    /// Largest LP for which `auto` in the default build takes lp_solve's simplex (a
    /// vertex and its basis's exact duals in one solve); above it Clarabel's interior
    /// point is faster. Measured in BENCHMARKS.md.
    #[cfg_attr(feature = "highs", allow(dead_code))] // `auto` is HiGHS there
    pub const VERTEX_COLUMNS: usize = 3_000;

    /// The backends for a model: `named` is the scenario's `policy.solver`, None for auto.
    pub fn choose(named: Option<Backend>, model: &Model, columns: usize) -> Solvers {
        match named {
            // microlp has no duals: lp_solve prices its vertex.
            Some(Backend::Microlp) if !model.has_integers() => Solvers {
                primal: Backend::Microlp,
                prices: Some(Backend::LpSolve),
            },
            Some(backend) => Solvers {
                primal: backend,
                prices: None,
            },
            None => Self::auto(model, columns),
        }
    }

    /// With HiGHS compiled in, `auto` uses it for everything: one solve gives a vertex
    /// and its duals, and its model carries over between stages (generated medium:
    /// 0.20 s against Clarabel's 0.54 s; large: 20 s against 122 s).
    #[cfg(feature = "highs")]
    fn auto(_model: &Model, _columns: usize) -> Solvers {
        Solvers {
            primal: Backend::Highs,
            prices: None,
        }
    }

    /// Without HiGHS: lp_solve for whole units (within 0.5% of the optimum in a
    /// second on the generated 100x4x6 all-integral portfolio, where microlp stays 36%
    /// short) and for LPs up to `VERTEX_COLUMNS` (a vertex and exact prices in one
    /// solve); Clarabel above.
    #[cfg(not(feature = "highs"))]
    fn auto(model: &Model, columns: usize) -> Solvers {
        if model.has_integers() || columns <= Self::VERTEX_COLUMNS {
            Solvers {
                primal: Backend::LpSolve,
                prices: None,
            }
        } else {
            Solvers {
                primal: Backend::Clarabel,
                prices: None,
            }
        }
    }
}

/// A solved scenario, before reporting.
#[derive(Debug, Clone)]
pub struct Solved {
    /// a[i,t]
    pub activities: Array2<f64>,
    /// Shadow price of `capacity[r@t]` in the final stage; zeros without duals.
    pub shadow_prices: Array2<f64>,
    /// False when a time limit cut the search short.
    pub proven_optimal: bool,
    /// The best proven bound on the final stage's objective (for an LP, the
    /// objective; for a stopped search, what the solver proved or the LP relaxation).
    pub bound: f64,
    /// True when a tier stage's search was stopped before it proved its value: the
    /// plan is then not optimal, whatever the final stage's gap.
    pub tier_cut_short: bool,
    pub stages: u32,
    /// What produced the plan: the backend's name, or `primal+prices` when a second
    /// backend priced the first one's point.
    pub solver: String,
    pub variables: usize,
    pub constraints: usize,
}

/// The result of the stages.
#[derive(Debug, Clone)]
pub enum Answer {
    Solved(Solved),
    /// No point satisfies the constraints (found in the first stage).
    Infeasible {
        stages: u32,
        solver: &'static str,
        variables: usize,
        constraints: usize,
    },
}

/// Why the stages produced neither a plan nor a proof of infeasibility.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StageFailure {
    #[error("the time limit of {seconds} s was reached before any plan was found")]
    TimeLimit { seconds: f64 },
    #[error("cancelled by the caller")]
    Cancelled,
    #[error("solver {solver} failed in stage {stage}: {message}")]
    Solver {
        solver: &'static str,
        stage: u32,
        message: String,
    },
}

/// Round-off a later stage may lose on an earlier tier's value (see the model document).
const TIER_SLACK: f64 = 1e-7;

/// The shared clock of a solve's stages, and who watches them.
struct Clock {
    started: Instant,
    limit: Option<f64>,
    cancel: crate::Cancel,
    search: Search,
}

impl Clock {
    fn remaining(&self) -> Option<f64> {
        self.limit
            .map(|limit| (limit - self.started.elapsed().as_secs_f64()).max(0.0))
    }

    /// Stage `n` of `stages`' clock: a whole-unit search may use all the time it is
    /// given, so each stage gets its share of what is left and a tier stage cannot
    /// starve the final one.
    fn for_stage(&self, model: &Model, n: usize, stages: usize) -> Clock {
        Clock {
            started: Instant::now(),
            limit: self
                .remaining()
                .filter(|_| model.has_integers())
                .map(|left| left / (stages - n) as f64)
                .or(self.remaining()),
            cancel: self.cancel.clone(),
            search: self.search.clone(),
        }
    }
}

/// The program as the chosen backends will solve it: without the bounds other rows
/// imply for Clarabel (to which every bound is a row), with them for a simplex.
fn formulate(model: &Model, named: Option<Backend>) -> (Formulation, Solvers) {
    let started = Instant::now();
    let span = tracing::debug_span!("formulate").entered();
    let mut formulation = Formulation::new(model);
    let solvers = Solvers::choose(named, model, formulation.lp.columns.len());
    if solvers.primal == Backend::Clarabel {
        formulation.drop_implied_bounds(model);
    }
    drop(span);
    tracing::debug!(
        columns = formulation.lp.columns.len(),
        rows = formulation.lp.rows.len(),
        primal = solvers.primal.name(),
        elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
        "formulated"
    );
    (formulation, solvers)
}

/// What one plan leaves for the next plan of a near-identical scenario: with HiGHS,
/// each stage's model and the basis it ended on (see `backend::highs`), so that a
/// re-plan with a capacity changed starts from the previous optimum. Price-range
/// probes pass one along from probe to probe; a fresh one (or a backend other than
/// HiGHS) means every stage starts from scratch.
#[derive(Default)]
pub struct WarmStart {
    /// Stage n's kept model, by stage number from 0.
    #[cfg(feature = "highs")]
    stages: Vec<Option<crate::solve::backend::highs::HighsSession>>,
}

impl WarmStart {
    /// Stage n's kept solver, when it kept one for `backend`.
    fn take(&mut self, n: usize, backend: Backend, search: &Search) -> Option<StageSolver> {
        #[cfg(feature = "highs")]
        if backend == Backend::Highs {
            return self
                .stages
                .get_mut(n)
                .and_then(Option::take)
                .map(|session| StageSolver::resuming(backend, search.clone(), session));
        }
        let _ = (n, backend, search);
        None
    }

    fn holds(&self, n: usize) -> bool {
        #[cfg(feature = "highs")]
        return self.stages.get(n).is_some_and(Option::is_some);
        #[cfg(not(feature = "highs"))]
        {
            let _ = n;
            false
        }
    }

    #[cfg(feature = "highs")]
    fn keep(&mut self, n: usize, solver: StageSolver) {
        if solver.backend() == Backend::Highs {
            if self.stages.len() <= n {
                self.stages.resize_with(n + 1, || None);
            }
            self.stages[n] = Some(solver.into_session());
        }
    }

    #[cfg(not(feature = "highs"))]
    fn keep(&mut self, _n: usize, _solver: StageSolver) {}
}

/// Formulates `model` and runs every stage, starting each from what `warm` kept of
/// the same stage, and leaving its own for the next solve.
///
/// Long because it is the stage loop itself: each step is a call, and what passes
/// from stage to stage (the kept solver, the last point, whether a tier was cut
/// short) lives here.
pub fn solve(
    model: &Model,
    named: Option<Backend>,
    time_limit: Option<f64>,
    cancel: &crate::Cancel,
    progress: Option<std::sync::Arc<crate::Progress>>,
    warm: &mut WarmStart,
) -> Result<Answer, StageFailure> {
    let clock = Clock {
        started: Instant::now(),
        limit: time_limit,
        cancel: cancel.clone(),
        search: Search {
            mip_gap: model.mip_gap,
            progress,
        },
    };
    let (mut formulation, solvers) = formulate(model, named);
    let stages: Vec<Stage> = model
        .tiers()
        .into_iter()
        .map(Stage::Tier)
        .chain([Stage::Final])
        .collect();

    // Within a plan, a stage starts from the previous stage's model; from the second
    // plan on, from the same stage's model in the previous plan (a model cannot be in
    // both places, and the previous plan's is the closer start).
    let mut carried: Option<StageSolver> = None;
    let mut tier_cut_short = false;
    let mut last_point: Option<(Vec<f64>, Backend)> = None;
    for (n, &stage) in stages.iter().enumerate() {
        let number = n as u32 + 1;
        let _span = tracing::debug_span!("stage", number, ?stage).entered();
        if clock.cancel.is_raised() {
            return Err(StageFailure::Cancelled);
        }
        let mut primal = warm
            .take(n, solvers.primal, &clock.search)
            .or_else(|| carried.take())
            .unwrap_or_else(|| StageSolver::searching(solvers.primal, clock.search.clone()));
        formulation.set_objective(model, stage);
        primal.start_from(last_point.as_ref().map(|(x, _)| x.clone()));
        primal.end_on_vertex(stage == Stage::Final);
        let pricing = solvers.prices.filter(|_| stage == Stage::Final);
        let stage_clock = clock.for_stage(model, n, stages.len());
        let tried = solve_stage_loosening(&mut primal, pricing, &mut formulation, &stage_clock, n);
        let Tried {
            result,
            used,
            early_prices,
            loosened,
        } = tried;
        // Prices solved beside a stage whose floors were loosened since are another
        // program's.
        let early_prices = early_prices.filter(|_| !loosened);
        let solution = match result {
            Ok(solution) => solution,
            Err(failure) => {
                return stage_failed(
                    failure,
                    n,
                    used,
                    last_point,
                    &mut formulation,
                    model,
                    time_limit,
                )
            }
        };
        if n + 1 == stages.len() || warm.holds(n + 1) {
            warm.keep(n, primal);
        } else {
            carried = Some(primal);
        }
        if stage == Stage::Final {
            let last = LastStage {
                solution,
                used,
                early_prices,
                number,
                tier_cut_short,
            };
            return Ok(Answer::Solved(last.plan(
                solvers,
                &mut formulation,
                model,
                &clock,
            )));
        }
        if let Stage::Tier(tier) = stage {
            tier_cut_short |= !solution.proven_optimal;
            keep_tier_value(&mut formulation, model, tier, &solution.x);
        }
        last_point = Some((solution.x, used));
    }
    unreachable!("the final stage always returns")
}

/// One stage's solve, as `solve_stage_loosening` ended it.
struct Tried {
    result: Result<Solution, SolveFailure>,
    /// The backend whose answer `result` is.
    used: Backend,
    /// The final stage's prices from a second backend, solved beside the primal.
    early_prices: Option<Option<Vec<f64>>>,
    /// Whether tier floors were loosened (the early prices are then of another program).
    loosened: bool,
}

/// The final stage solved, and what its plan needs besides.
struct LastStage {
    solution: Solution,
    used: Backend,
    early_prices: Option<Option<Vec<f64>>>,
    number: u32,
    tier_cut_short: bool,
}

impl LastStage {
    /// The plan: a proven optimum with its prices (`final_prices`) and its bound, or a
    /// stopped search's point with the bound it proved (else the relaxation's).
    fn plan(
        mut self,
        solvers: Solvers,
        formulation: &mut Formulation,
        model: &Model,
        clock: &Clock,
    ) -> Solved {
        let x = &self.solution.x;
        let mut plan = if self.solution.proven_optimal {
            let (duals, solver) = final_prices(
                self.solution.duals.take(),
                self.used,
                solvers,
                self.early_prices,
                formulation,
                clock,
            );
            let bound = self
                .solution
                .bound
                .unwrap_or_else(|| formulation.lp.objective_at(x));
            let vertex = !self.tier_cut_short;
            solved(
                formulation,
                x,
                duals.as_deref(),
                vertex,
                bound,
                self.number,
                solver,
            )
        } else {
            let bound = self
                .solution
                .bound
                .unwrap_or_else(|| relaxation_bound(formulation, model, x));
            let solver = self.used.name().to_string();
            solved(formulation, x, None, false, bound, self.number, solver)
        };
        plan.tier_cut_short = self.tier_cut_short;
        plan
    }
}

/// Solves stage `n` (with its pricing solve beside it). The earlier tiers' floors came
/// from a solver's point, exact only to its tolerance; a floor a hair too high empties
/// this stage (an interior-point method may also call a sliver of a feasible set
/// empty). So an infeasible stage after the first is solved again with the floors
/// loosened a step at a time, as little as gets it solved.
fn solve_stage_loosening(
    primal: &mut StageSolver,
    pricing: Option<Backend>,
    formulation: &mut Formulation,
    clock: &Clock,
    n: usize,
) -> Tried {
    let ((mut result, mut used), early_prices) =
        solve_stage_pricing_beside(primal, pricing, formulation, clock);
    let mut loosened = false;
    for step in LOOSENING_STEPS {
        if n == 0 || result != Err(SolveFailure::Infeasible) {
            break;
        }
        tracing::warn!(
            number = n + 1,
            step,
            "stage infeasible by round-off; loosening tier floors"
        );
        loosen_tier_floors(formulation, step);
        loosened = true;
        (result, used) = solve_stage(primal, formulation, clock);
    }
    Tried {
        result,
        used,
        early_prices,
        loosened,
    }
}

/// What a failed stage `n` means: the first stage infeasible is an answer; a time limit
/// after an earlier stage reports that stage's point (it satisfies every constraint);
/// anything else is a failure.
fn stage_failed(
    failure: SolveFailure,
    n: usize,
    used: Backend,
    last_point: Option<(Vec<f64>, Backend)>,
    formulation: &mut Formulation,
    model: &Model,
    time_limit: Option<f64>,
) -> Result<Answer, StageFailure> {
    match failure {
        SolveFailure::Infeasible if n == 0 => Ok(Answer::Infeasible {
            stages: 1,
            solver: used.name(),
            variables: formulation.lp.columns.len(),
            constraints: formulation.lp.rows.len(),
        }),
        SolveFailure::Cancelled => Err(StageFailure::Cancelled),
        SolveFailure::TimeLimit => match last_point {
            Some((x, solver)) => {
                let bound = relaxation_bound(formulation, model, &x);
                let mut plan = solved(
                    formulation,
                    &x,
                    None,
                    false,
                    bound,
                    n as u32,
                    solver.name().to_string(),
                );
                plan.tier_cut_short = true;
                Ok(Answer::Solved(plan))
            }
            None => Err(StageFailure::TimeLimit {
                seconds: time_limit.unwrap_or(0.0),
            }),
        },
        failure => Err(StageFailure::Solver {
            solver: used.name(),
            stage: n as u32 + 1,
            message: failure.to_string(),
        }),
    }
}

/// The proven final stage's duals and the name of what produced the plan: the primal
/// backend's own duals, or a second backend's (`early_prices`, solved beside it, else
/// solved now), `primal+prices`.
fn final_prices(
    duals: Option<Vec<f64>>,
    used: Backend,
    solvers: Solvers,
    early_prices: Option<Option<Vec<f64>>>,
    formulation: &Formulation,
    clock: &Clock,
) -> (Option<Vec<f64>>, String) {
    match (duals, solvers.prices) {
        // Clarabel's final point is taken to a vertex by lp_solve (see `crossover`),
        // whose basis gives the prices.
        (Some(duals), _) if used == Backend::Clarabel => (
            Some(duals),
            format!("{}+{}", used.name(), Backend::LpSolve.name()),
        ),
        (Some(duals), _) => (Some(duals), used.name().to_string()),
        (None, Some(prices)) => {
            match early_prices.unwrap_or_else(|| price(prices, formulation, clock)) {
                Some(duals) => (Some(duals), format!("{}+{}", used.name(), prices.name())),
                None => (None, used.name().to_string()),
            }
        }
        (None, None) => (None, used.name().to_string()),
    }
}

/// The final stage's formulation: the tier stages solved (their floors are rows of
/// it), the final one not. Used to export the program a plan solves.
pub fn final_stage(
    model: &Model,
    named: Option<Backend>,
    time_limit: Option<f64>,
) -> Result<Formulation, StageFailure> {
    let clock = Clock {
        started: Instant::now(),
        limit: time_limit,
        cancel: crate::Cancel::default(),
        search: Search {
            mip_gap: model.mip_gap,
            progress: None,
        },
    };
    let (mut formulation, solvers) = formulate(model, named);
    let mut primal = StageSolver::searching(solvers.primal, clock.search.clone());
    for (n, tier) in model.tiers().into_iter().enumerate() {
        formulation.set_objective(model, Stage::Tier(tier));
        let (result, used) = solve_stage(&mut primal, &formulation, &clock);
        match result {
            Ok(solution) => keep_tier_value(&mut formulation, model, tier, &solution.x),
            Err(SolveFailure::TimeLimit) => {
                return Err(StageFailure::TimeLimit {
                    seconds: time_limit.unwrap_or(0.0),
                })
            }
            Err(failure) => {
                return Err(StageFailure::Solver {
                    solver: used.name(),
                    stage: n as u32 + 1,
                    message: failure.to_string(),
                })
            }
        }
    }
    Ok(formulation)
}

/// Solves one stage and, with `pricing`, the same program for its duals on a second
/// thread meanwhile: the pricing solve needs nothing from the primal's, so a small
/// LP's vertex and its prices take the longer of the two solves, not their sum.
fn solve_stage_pricing_beside(
    primal: &mut StageSolver,
    pricing: Option<Backend>,
    formulation: &Formulation,
    clock: &Clock,
) -> (Attempt, Option<Option<Vec<f64>>>) {
    std::thread::scope(|scope| {
        let prices = pricing.map(|backend| {
            let span = tracing::Span::current();
            scope.spawn(move || span.in_scope(|| price(backend, formulation, clock)))
        });
        let solved = solve_stage(primal, formulation, clock);
        let prices = prices.map(|handle| {
            handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        (solved, prices)
    })
}

/// A stage's outcome and the backend that produced it.
type Attempt = (Result<Solution, SolveFailure>, Backend);

/// Solves one stage. An answer that failed its check, a stalled solver, or an
/// "unbounded" (validation rules that out) says more about the solver than about the
/// scenario: another backend solves the stage again, and its answer is checked too.
fn solve_stage(solver: &mut StageSolver, formulation: &Formulation, clock: &Clock) -> Attempt {
    let started = Instant::now();
    let backend = solver.backend();
    let result = solver.solve(&formulation.lp, clock.remaining(), &clock.cancel);
    tracing::debug!(
        solver = backend.name(),
        elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
        ok = result.is_ok(),
        "stage solved"
    );
    match (
        &result,
        second_backend(backend, formulation.lp.has_integers()),
    ) {
        (
            Err(
                failure @ (SolveFailure::Solver(_)
                | SolveFailure::Unbounded
                | SolveFailure::Unreliable(_)),
            ),
            Some(other),
        ) => {
            tracing::warn!(
                first = backend.name(),
                second = other.name(),
                %failure,
                "solving the stage again with another backend"
            );
            let mut retry = StageSolver::searching(other, clock.search.clone());
            let result = retry.solve(&formulation.lp, clock.remaining(), &clock.cancel);
            (result, other)
        }
        _ => (result, backend),
    }
}

/// The backend that re-solves a stage `first` could not be trusted with.
fn second_backend(first: Backend, integers: bool) -> Option<Backend> {
    match (first, integers) {
        (Backend::Clarabel, _) | (Backend::Microlp, _) => Some(Backend::LpSolve),
        (Backend::LpSolve, false) => Some(Backend::Clarabel),
        (Backend::LpSolve, true) => Some(Backend::Microlp),
        // HiGHS failed ("Unknown") on a rescaled scenario lp_solve plans: a solver
        // error is no answer in any build.
        #[cfg(feature = "highs")]
        (Backend::Highs, _) => Some(Backend::LpSolve),
    }
}

/// The final stage's duals from a second backend. Any optimal dual pairs with any
/// optimal primal (complementary slackness), so the vertex and the prices agree.
fn price(backend: Backend, formulation: &Formulation, clock: &Clock) -> Option<Vec<f64>> {
    let _span = tracing::debug_span!("prices", solver = backend.name()).entered();
    match backend.solve(&formulation.lp, clock.remaining(), &clock.cancel) {
        Ok(solution) => solution.duals,
        Err(failure) => {
            tracing::warn!(%failure, "no shadow prices: the pricing solve failed");
            None
        }
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

/// Relative amounts tier floors are lowered by, in turn, when a later stage is
/// infeasible by round-off: all far inside what a planner would notice.
const LOOSENING_STEPS: [f64; 3] = [1e-6, 1e-5, 1e-4];

/// Lowers every tier floor by `step` x max(1, |floor|).
fn loosen_tier_floors(formulation: &mut Formulation, step: f64) {
    for row in &mut formulation.lp.rows {
        if matches!(row.kind, RowKind::Tier { .. }) {
            row.rhs -= step * row.rhs.abs().max(1.0);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn solved(
    formulation: &Formulation,
    x: &[f64],
    duals: Option<&[f64]>,
    proven_optimal: bool,
    bound: f64,
    stages: u32,
    solver: String,
) -> Solved {
    let objective = formulation.lp.objective_at(x);
    let shadow_prices = formulation.capacity_rows.mapv(|row| match (row, duals) {
        (Some(index), Some(duals)) => {
            let row = &formulation.lp.rows[index];
            let lhs: f64 = row.terms.iter().map(|&(col, coef)| coef * x[col]).sum();
            // Complementary slackness: a row with room left has price 0 in every
            // optimal dual, whatever round-off an interior-point dual carries.
            let binding = row.rhs - lhs <= 1e-6 * row.rhs.abs().max(1.0);
            if binding {
                clean_price(duals[index], row.rhs, objective)
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
        bound,
        tier_cut_short: false,
        stages,
        solver,
        variables: formulation.lp.columns.len(),
        constraints: formulation.lp.rows.len(),
    }
}

/// A capacity row's price is >= 0 in theory; round-off leaves slightly negative or
/// tiny positive values on rows that do not bind. Only a price whose one percent of
/// capacity is worth within 1e-12 of the objective is round-off (the model
/// document): 5e-10 per USD on 1e10 USD is a real price.
fn clean_price(dual: f64, allocatable: f64, objective: f64) -> f64 {
    let worth = dual * allocatable.abs() / 100.0;
    if dual > 0.0 && worth > 1e-12 * objective.abs().max(1.0) {
        dual
    } else {
        0.0
    }
}

/// A bound on the final stage's objective when the search stopped before the final
/// stage proved one: the LP relaxation of the program as it stands (the tier floors
/// reached so far only tighten the final stage), under the final objective.
fn relaxation_bound(formulation: &mut Formulation, model: &Model, x: &[f64]) -> f64 {
    formulation.set_objective(model, Stage::Final);
    let mut relaxation = formulation.lp.clone();
    relaxation
        .columns
        .iter_mut()
        .for_each(|c| c.integer = false);
    let reached = formulation.lp.objective_at(x);
    match Backend::LpSolve.solve(&relaxation, None, &crate::Cancel::default()) {
        Ok(solution) => relaxation.objective_at(&solution.x).max(reached),
        Err(failure) => {
            tracing::warn!(%failure, "no bound: the relaxation failed; reporting the plan's own objective");
            reached
        }
    }
}
