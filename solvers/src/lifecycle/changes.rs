//! The priority changes an approval confirms in writing: the initiatives whose
//! end-of-quarter activity differs from the previously approved plan (or, for a
//! portfolio's first approval, from today's), each with its "why" numbers.

use crate::report::change;
use crate::{Change, Plan, Scenario};
use serde::{Deserialize, Serialize};

/// One initiative whose end-of-quarter activity the approval changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriorityChange {
    /// The initiative's id.
    pub initiative: String,
    /// End-of-quarter activity before: the previously approved plan's, or today's.
    pub from: f64,
    /// End-of-quarter activity in the plan being approved.
    pub to: f64,
    /// GROW, SHRINK or STOP (by the model document's rule, `from` standing for today).
    pub change: Change,
    /// What one more unit earns in the last period (the plan's `marginalValue`).
    pub marginal_value: f64,
    /// What one unit's resources are worth there (the plan's `resourceCost`).
    pub resource_cost: f64,
    /// The initiative's own tight constraint, empty when the prices explain it.
    pub held_by: String,
}

/// The initiatives of `plan` (of `scenario`) whose end-of-quarter activity differs
/// from `previous`'s (an initiative `previous` lacks counts as 0), or from today's
/// activity without a previous plan; in scenario order. Differences within
/// 1e-6 x max(1, before) are none.
pub fn priority_changes(
    previous: Option<&Plan>,
    scenario: &Scenario,
    plan: &Plan,
) -> Vec<PriorityChange> {
    scenario
        .initiatives
        .iter()
        .zip(&plan.initiatives)
        .filter_map(|(initiative, planned)| {
            let to = planned
                .activity
                .last()
                .copied()
                .unwrap_or(initiative.current);
            let from = match previous {
                Some(before) => before
                    .initiatives
                    .iter()
                    .find(|p| p.id == initiative.id)
                    .and_then(|p| p.activity.last().copied())
                    .unwrap_or(0.0),
                None => initiative.current,
            };
            let change = change(from, to);
            (change != Change::Hold).then(|| PriorityChange {
                initiative: initiative.id.clone(),
                from,
                to,
                change,
                marginal_value: planned.marginal_value.last().copied().unwrap_or(0.0),
                resource_cost: planned.resource_cost.last().copied().unwrap_or(0.0),
                held_by: planned.held_by.clone(),
            })
        })
        .collect()
}
