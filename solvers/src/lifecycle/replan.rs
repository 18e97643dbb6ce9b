//! The scenario of the periods left, from where things really are: the approved
//! plan's scenario without the periods that have actuals, each initiative's
//! `current` the activity it actually ran in the last of them.

use super::actuals::index;
use super::Actual;
use crate::{Plan, Scenario, Violation};
use serde::{Deserialize, Serialize};

/// The scenario to re-plan, and what it assumed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Replanning {
    /// The remaining periods' scenario.
    pub scenario: Scenario,
    /// The last period with actuals (its activities are the new `current`).
    pub from_period: String,
    /// Initiatives without an actual in that period, taken to have run as planned.
    pub assumed_as_planned: Vec<String>,
}

/// The scenario of the periods after the last one with actuals, `current` set to what
/// ran then (the approved `plan`'s activity where nothing was recorded); capacities
/// given per period keep the remaining periods'.
///
/// # Errors
/// The actuals' problems (see [`super::execution`]); no actuals at all; actuals in
/// the last period (nothing is left to plan).
pub fn replan_scenario(
    scenario: &Scenario,
    plan: &Plan,
    actuals: &[Actual],
) -> Result<Replanning, Vec<Violation>> {
    let recorded = index(scenario, actuals)?;
    let Some(last) = recorded.keys().map(|&(_, t)| t).max() else {
        return Err(vec![Violation {
            path: "actuals".to_string(),
            message: "no actuals recorded: re-plan from today with `fluidity plan`".to_string(),
        }]);
    };
    if last + 1 == scenario.periods.len() {
        return Err(vec![Violation {
            path: "actuals".to_string(),
            message: format!(
                "actuals reach the last period, \"{}\": no period is left to re-plan",
                scenario.periods[last].id
            ),
        }]);
    }
    let mut next = scenario.clone();
    next.name = format!(
        "{} (re-planned after {})",
        scenario.name, scenario.periods[last].id
    );
    next.periods.drain(..=last);
    for resource in &mut next.resources {
        if resource.capacity.len() > 1 {
            resource.capacity.drain(..=last);
        }
    }
    let mut assumed = Vec::new();
    for (i, initiative) in next.initiatives.iter_mut().enumerate() {
        initiative.current = match recorded.get(&(i, last)) {
            Some(&a) => a,
            None => {
                assumed.push(initiative.id.clone());
                plan.initiatives[i].activity[last]
            }
        };
    }
    Ok(Replanning {
        scenario: next,
        from_period: scenario.periods[last].id.clone(),
        assumed_as_planned: assumed,
    })
}
