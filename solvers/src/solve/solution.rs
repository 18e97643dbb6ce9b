//! What any backend hands back: a point with its duals and bound, or why there is
//! none; and the whole numbers a column's bounds allow. Shared by every backend, the
//! stage solver, crossover and diagnosis.

/// What a solve produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// Value of every column.
    pub x: Vec<f64>,
    /// Shadow price of every row, when the backend computes duals.
    pub duals: Option<Vec<f64>>,
    /// False when a time limit stopped the search with this feasible point in hand.
    pub proven_optimal: bool,
    /// The best proven bound on the objective: the objective itself for an LP; for a
    /// MILP what the branch and bound proved, None when the backend cannot say.
    pub bound: Option<f64>,
}

/// Why a solve produced no point.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SolveFailure {
    #[error("no solution satisfies the constraints")]
    Infeasible,
    #[error("the objective is unbounded")]
    Unbounded,
    #[error("the time limit was reached before any plan was found")]
    TimeLimit,
    #[error("cancelled by the caller")]
    Cancelled,
    /// The solver answered, but its answer failed the check of `certificate`.
    #[error("its answer failed the optimality check: {0}")]
    Unreliable(crate::solve::certificate::Flaw),
    #[error("{0}")]
    Solver(String),
}

/// The whole numbers a column's bounds allow: a bound within round-off of a whole
/// number (2.9999999999999996, the sum of 0.7 + 1.4 + 0.9) counts as that number.
pub(crate) fn integer_bounds(lower: f64, upper: f64) -> (f64, f64) {
    let snap = |x: f64| {
        let whole = x.round();
        if (x - whole).abs() <= 1e-9 * x.abs().max(1.0) {
            whole
        } else {
            x
        }
    };
    (snap(lower).ceil(), snap(upper).floor())
}
