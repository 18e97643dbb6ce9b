//! The plan lifecycle's arithmetic, apart from where its records are kept: the
//! priority changes an approval confirms, what actually ran against the approved plan
//! (deviations, value realised, capacity used), the alerts a portfolio's triggers
//! raise, and the scenario of the periods left, re-planned from where things really
//! are. Pure functions of scenarios, plans and actuals; the store and the audit trail
//! live in the `fluidity` library.

mod actuals;
mod changes;
mod replan;
mod triggers;

pub use actuals::{
    execution, execution_with_use, Actual, Execution, InitiativeExecution, PeriodExecution,
    ResourceActual, ResourceUse,
};
pub use changes::{priority_changes, PriorityChange};
pub use replan::{replan_scenario, Replanning};
pub use triggers::{alerts, Alert, AlertKind, Triggers};
