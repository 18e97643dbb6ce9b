//! Why no plan could be given (an infeasible scenario is not an error: it is a plan
//! with status INFEASIBLE).

use crate::InvalidScenario;

/// Why no plan (not even an INFEASIBLE one) could be given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// The scenario broke validation rules: every problem, with its field path.
    #[error(transparent)]
    Invalid(#[from] InvalidScenario),
    /// No plan (not even a feasible one) was found within the time limit.
    #[error("the time limit of {seconds} s was reached before any plan was found")]
    TimeLimit {
        /// The limit that applied, in seconds.
        seconds: f64,
    },
    /// A solver failed in a way no fallback recovered from; the message names it.
    #[error("the solver failed: {0}")]
    Solver(String),
    /// The caller raised the cancel flag; nobody wants the answer.
    #[error("the plan was cancelled by its caller")]
    Cancelled,
    /// Interrupted (Ctrl-C) before any feasible plan was found.
    #[error("interrupted before any plan was found")]
    Interrupted,
}
