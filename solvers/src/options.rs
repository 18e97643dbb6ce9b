//! What a caller says about a plan beyond the scenario: size limits, a time limit, a
//! cancel flag, and who watches a whole-unit search.

use crate::Limits;

/// How a caller constrains a plan beyond what the scenario says.
#[derive(Clone, Default)]
pub struct PlanOptions {
    /// Size limits a scenario must stay within (validation refuses it otherwise).
    pub limits: Limits,
    /// An upper bound on the solve time in seconds (a gRPC deadline, say); the
    /// tighter of this and `policy.timeLimitSeconds` applies.
    pub time_limit: Option<f64>,
    /// Set by a caller that no longer wants the answer (a gRPC client that went away).
    pub cancel: Cancel,
    /// Told, a few times a second, how a whole-unit search is going (a terminal's
    /// progress line).
    pub progress: Option<std::sync::Arc<Progress>>,
}

impl std::fmt::Debug for PlanOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlanOptions")
            .field("limits", &self.limits)
            .field("time_limit", &self.time_limit)
            .field("cancel", &self.cancel)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// Where a whole-unit search reports how it is going.
pub type Progress = dyn Fn(&ProgressReport) + Send + Sync;

/// A branch and bound's state, in the scenario's units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProgressReport {
    /// Seconds since the stage's search started.
    pub elapsed: f64,
    /// The best plan's objective so far; None before the first.
    pub incumbent: Option<f64>,
    /// The best bound known on the objective (the LP relaxation's optimum).
    pub bound: Option<f64>,
}

/// Flags a caller raises to stop a plan. `cancel` abandons it (nobody wants the
/// answer): checked between stages, and by lp_solve and Clarabel between iterations
/// (microlp and HiGHS run on to their time limit). `interrupt` stops lp_solve's
/// whole-unit search and answers with the best plan found so far (FEASIBLE, with its
/// gap), as a time limit does; an LP solve runs on to its end.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    interrupt: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl Cancel {
    /// A flag, and the handle to raise it with.
    pub fn new() -> (Cancel, std::sync::Arc<std::sync::atomic::AtomicBool>) {
        let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        (
            Cancel {
                cancel: Some(flag.clone()),
                interrupt: None,
            },
            flag,
        )
    }

    /// This flag with `interrupt` as well: raised, the search stops and the plan is
    /// the best found so far (a terminal's Ctrl-C).
    pub fn with_interrupt(
        mut self,
        interrupt: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> Cancel {
        self.interrupt = Some(interrupt);
        self
    }

    /// True once the caller abandoned the plan.
    pub fn is_raised(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|f| f.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// True once the user asked for the best plan found so far.
    pub fn is_interrupted(&self) -> bool {
        self.interrupt
            .as_ref()
            .is_some_and(|f| f.load(std::sync::atomic::Ordering::Relaxed))
    }

    pub(crate) fn flag(&self) -> Option<std::sync::Arc<std::sync::atomic::AtomicBool>> {
        self.cancel.clone()
    }
}
