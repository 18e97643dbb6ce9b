//! Stages: one solve per priority tier ("even over"), then the final solve.
//!
//! Stage k maximises tier k's value under every constraint and the values earlier
//! tiers reached; the final stage maximises value less move cost under all of that.
//! A time limit is shared by the stages: a stage that runs out with a feasible
//! point ends the solve there, with that point as a FEASIBLE plan.

use crate::backend::{Backend, Solution, SolveFailure, StageSolver};
use crate::formulation::{Formulation, Stage};
use crate::lp::{Cmp, RowKind};
use crate::model::Model;
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
    /// Largest LP for which `auto` takes a simplex vertex (whole, few moves) and a
    /// second, interior-point solve for prices; above it the simplex is too slow
    /// (measured: 15 ms at 750 columns, 1.3 s at 6,000) and Clarabel does both.
    pub const VERTEX_COLUMNS: usize = 2_500;

    /// The backends for a model: `named` is the scenario's `policy.solver`, None for auto.
    pub fn choose(named: Option<Backend>, model: &Model, columns: usize) -> Solvers {
        match named {
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

    #[cfg(not(feature = "highs"))]
    fn auto(model: &Model, columns: usize) -> Solvers {
        if model.has_integers() {
            Solvers {
                primal: Backend::Microlp,
                prices: None,
            }
        } else if columns <= Self::VERTEX_COLUMNS {
            Solvers {
                primal: Backend::Microlp,
                prices: Some(Backend::Clarabel),
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
    pub stages: u32,
    /// What produced the plan: `clarabel`, `microlp`, or `microlp+clarabel` (a
    /// simplex vertex priced by an interior-point solve).
    pub solver: String,
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

/// The shared clock of a solve's stages.
struct Clock {
    started: Instant,
    limit: Option<f64>,
    cancel: crate::Cancel,
}

impl Clock {
    fn remaining(&self) -> Option<f64> {
        self.limit
            .map(|limit| (limit - self.started.elapsed().as_secs_f64()).max(0.0))
    }
}

/// The program as the chosen backends will solve it: without the bounds other rows
/// imply for Clarabel (to which every bound is a row), with them for a simplex.
fn formulate(model: &Model, named: Option<Backend>) -> (Formulation, Solvers) {
    let mut formulation = Formulation::new(model);
    let solvers = Solvers::choose(named, model, formulation.lp.columns.len());
    if solvers.primal == Backend::Clarabel {
        formulation.drop_implied_bounds(model);
    }
    (formulation, solvers)
}

/// What one plan leaves for the next plan of a near-identical scenario: with HiGHS,
/// each stage's model and the basis it ended on (see `highs_session`), so that a
/// re-plan with a capacity changed starts from the previous optimum. Price-range
/// probes pass one along from probe to probe; a fresh one (or a backend other than
/// HiGHS) means every stage starts from scratch.
#[derive(Default)]
pub struct WarmStart {
    /// Stage n's kept model, by stage number from 0.
    #[cfg(feature = "highs")]
    stages: Vec<Option<crate::highs_session::HighsSession>>,
}

impl WarmStart {
    /// Stage n's kept solver, when it kept one for `backend`.
    fn take(&mut self, n: usize, backend: Backend) -> Option<StageSolver> {
        #[cfg(feature = "highs")]
        if backend == Backend::Highs {
            return self
                .stages
                .get_mut(n)
                .and_then(Option::take)
                .map(|session| StageSolver::resuming(backend, session));
        }
        let _ = (n, backend);
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
pub fn solve(
    model: &Model,
    named: Option<Backend>,
    time_limit: Option<f64>,
    cancel: &crate::Cancel,
    warm: &mut WarmStart,
) -> Result<Outcome, StageFailure> {
    let clock = Clock {
        started: Instant::now(),
        limit: time_limit,
        cancel: cancel.clone(),
    };
    let (mut formulation, solvers) = {
        let _span = tracing::debug_span!("formulate").entered();
        formulate(model, named)
    };
    tracing::debug!(
        columns = formulation.lp.columns.len(),
        rows = formulation.lp.rows.len(),
        primal = solvers.primal.name(),
        elapsed_ms = clock.started.elapsed().as_secs_f64() * 1e3,
        "formulated"
    );
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
    let mut last_point: Option<(Vec<f64>, Backend)> = None;
    for (n, &stage) in stages.iter().enumerate() {
        let number = n as u32 + 1;
        let _span = tracing::debug_span!("stage", number, ?stage).entered();
        if clock.cancel.is_raised() {
            return Err(StageFailure::Cancelled);
        }
        let mut primal = warm
            .take(n, solvers.primal)
            .or_else(|| carried.take())
            .unwrap_or_else(|| StageSolver::new(solvers.primal));
        formulation.set_objective(model, stage);
        let pricing = solvers.prices.filter(|_| stage == Stage::Final);
        let ((mut result, mut used), early_prices) =
            solve_stage_pricing_beside(&mut primal, pricing, &formulation, &clock);
        let mut loosened = false;
        // The earlier tiers' floors came from a solver's point, exact only to its
        // tolerance; a floor a hair too high empties this stage (an interior-point
        // method may also call a sliver of a feasible set empty). Loosen the floors a
        // step at a time, as little as gets the stage solved.
        for step in LOOSENING_STEPS {
            if n == 0 || result != Err(SolveFailure::Infeasible) {
                break;
            }
            tracing::warn!(
                number,
                step,
                "stage infeasible by round-off; loosening tier floors"
            );
            loosen_tier_floors(&mut formulation, step);
            loosened = true;
            (result, used) = solve_stage(&mut primal, &formulation, &clock);
        }
        let solution = match result {
            Ok(solution) => solution,
            Err(SolveFailure::Infeasible) if n == 0 => {
                return Ok(Outcome::Infeasible {
                    stages: 1,
                    solver: used.name(),
                    variables: formulation.lp.columns.len(),
                    constraints: formulation.lp.rows.len(),
                });
            }
            Err(SolveFailure::Cancelled) => return Err(StageFailure::Cancelled),
            Err(SolveFailure::TimeLimit) => {
                // An earlier stage's point satisfies every constraint: report it.
                return match last_point {
                    Some((x, solver)) => Ok(Outcome::Solved(solved(
                        &formulation,
                        &x,
                        None,
                        false,
                        number - 1,
                        solver.name().to_string(),
                    ))),
                    None => Err(StageFailure::TimeLimit {
                        seconds: time_limit.unwrap_or(0.0),
                    }),
                };
            }
            Err(failure) => {
                return Err(StageFailure::Solver {
                    solver: used.name(),
                    stage: number,
                    message: failure.to_string(),
                })
            }
        };
        if n + 1 == stages.len() || warm.holds(n + 1) {
            warm.keep(n, primal);
        } else {
            carried = Some(primal);
        }
        if !solution.proven_optimal {
            return Ok(Outcome::Solved(solved(
                &formulation,
                &solution.x,
                None,
                false,
                number,
                used.name().to_string(),
            )));
        }
        if stage == Stage::Final {
            let (duals, solver) = match (solution.duals, solvers.prices) {
                (Some(duals), _) => (Some(duals), used.name().to_string()),
                (None, Some(prices)) => match early_prices
                    .filter(|_| !loosened)
                    .unwrap_or_else(|| price(prices, &formulation, &clock))
                {
                    Some(duals) => (Some(duals), format!("{}+{}", used.name(), prices.name())),
                    None => (None, used.name().to_string()),
                },
                (None, None) => (None, used.name().to_string()),
            };
            return Ok(Outcome::Solved(solved(
                &formulation,
                &solution.x,
                duals.as_deref(),
                true,
                number,
                solver,
            )));
        }
        if let Stage::Tier(tier) = stage {
            keep_tier_value(&mut formulation, model, tier, &solution.x);
        }
        last_point = Some((solution.x, used));
    }
    unreachable!("the final stage always returns")
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
    };
    let (mut formulation, solvers) = formulate(model, named);
    let mut primal = StageSolver::new(solvers.primal);
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

/// Solves one stage; when Clarabel stalls (a feasible set with almost no interior
/// makes an interior-point method diverge) the simplex of microlp takes over, so a
/// numerically hard scenario still gets its plan, without duals.
fn solve_stage(solver: &mut StageSolver, formulation: &Formulation, clock: &Clock) -> Attempt {
    let started = Instant::now();
    let backend = solver.backend();
    let result = match solver.solve(&formulation.lp, clock.remaining(), &clock.cancel) {
        Err(SolveFailure::Solver(message)) if backend == Backend::Clarabel => {
            tracing::warn!(%message, "clarabel failed; retrying the stage with microlp");
            let retry = Backend::Microlp.solve(&formulation.lp, clock.remaining(), &clock.cancel);
            return (retry, Backend::Microlp);
        }
        result => result,
    };
    tracing::debug!(
        solver = backend.name(),
        elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
        ok = result.is_ok(),
        "stage solved"
    );
    (result, backend)
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

fn solved(
    formulation: &Formulation,
    x: &[f64],
    duals: Option<&[f64]>,
    proven_optimal: bool,
    stages: u32,
    solver: String,
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
