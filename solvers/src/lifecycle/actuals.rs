//! What actually ran, against the approved plan: per initiative and period the
//! deviation from plan, per period the value realised against the value planned,
//! and per resource and period the capacity used against capacity.

use crate::model::Model;
use crate::{Kind, Plan, Scenario, Violation};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One recorded activity: what initiative `initiative` actually ran in `period`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Actual {
    /// The initiative's id in the plan's scenario.
    pub initiative: String,
    /// The period's id in the plan's scenario.
    pub period: String,
    /// Activity that ran, in the initiative's units; finite and >= 0.
    pub activity: f64,
}

/// What one resource was actually used in one period, when finance records it (else
/// use is computed from the initiatives' activity).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceActual {
    /// The resource's id in the plan's scenario.
    pub resource: String,
    /// The period's id in the plan's scenario.
    pub period: String,
    /// Units used, in the resource's unit; finite and >= 0.
    pub used: f64,
}

/// The approved plan against what ran, over the periods with actuals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Execution {
    /// Per initiative (scenario order) and recorded period.
    pub initiatives: Vec<InitiativeExecution>,
    /// Per recorded period, in scenario order.
    pub periods: Vec<PeriodExecution>,
    /// Per resource (scenario order) and recorded period.
    pub resources: Vec<ResourceUse>,
}

/// One initiative in one recorded period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitiativeExecution {
    /// The initiative's id.
    pub initiative: String,
    /// The period's id.
    pub period: String,
    /// The approved plan's activity.
    pub planned: f64,
    /// What ran; the plan's activity when none was recorded (`recorded` false).
    pub actual: f64,
    /// Whether an actual was recorded for it.
    pub recorded: bool,
    /// actual - planned.
    pub deviation: f64,
    /// (actual - planned) / |planned|: -0.25 is a quarter behind plan; within
    /// [-1e6, 1e6] (an activity the plan did not have at all reads as 1e6).
    pub relative_deviation: f64,
    /// The initiative's floor (`lo_i`) and whether it is OPERATIONS work.
    pub floor: f64,
    /// OPERATIONS (run-the-business) work.
    pub operations: bool,
}

/// Value in one recorded period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeriodExecution {
    /// The period's id.
    pub period: String,
    /// weight x sum of the value curves at the planned activities.
    pub value_planned: f64,
    /// weight x sum of the value curves at what ran.
    pub value_realised: f64,
}

/// One resource in one recorded period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceUse {
    /// The resource's id.
    pub resource: String,
    /// The period's id.
    pub period: String,
    /// The use recorded, or sum of requirement x what ran (`recorded` false).
    pub used: f64,
    /// The period's capacity.
    pub capacity: f64,
    /// Whether the use was recorded rather than computed.
    pub recorded: bool,
}

/// The approved `plan` of `scenario` against `actuals`. Periods without any actual
/// are left out; within a recorded period an initiative without an actual is taken
/// to have run as planned (and says so: `recorded` false).
///
/// # Errors
/// Every actual naming an unknown initiative or period, a negative or non-finite
/// activity, or a second actual for the same initiative and period, each with its
/// path (`actuals[3].period`); nothing is computed then.
pub fn execution(
    scenario: &Scenario,
    plan: &Plan,
    actuals: &[Actual],
) -> Result<Execution, Vec<Violation>> {
    execution_with_use(scenario, plan, actuals, &[])
}

/// [`execution`] with resource use recorded as well (`uses`): a resource's recorded
/// use replaces the one computed from activity, and a period with only recorded use
/// counts as recorded.
///
/// # Errors
/// As [`execution`], and for `uses` (paths `resourceUse[k].resource`, `.period`,
/// `.used`) likewise.
pub fn execution_with_use(
    scenario: &Scenario,
    plan: &Plan,
    actuals: &[Actual],
    uses: &[ResourceActual],
) -> Result<Execution, Vec<Violation>> {
    let (recorded, used) = match (index(scenario, actuals), index_uses(scenario, uses)) {
        (Ok(a), Ok(u)) => (a, u),
        (a, u) => {
            let mut problems = a.err().unwrap_or_default();
            problems.extend(u.err().unwrap_or_default());
            return Err(problems);
        }
    };
    let model = Model::new(scenario);
    let periods: Vec<usize> = (0..scenario.periods.len())
        .filter(|t| recorded.keys().any(|&(_, u)| u == *t) || used.keys().any(|&(_, u)| u == *t))
        .collect();
    let activity = |i: usize, t: usize| -> (f64, bool) {
        match recorded.get(&(i, t)) {
            Some(&a) => (a, true),
            None => (plan.initiatives[i].activity[t], false),
        }
    };
    let mut initiatives = Vec::new();
    for (i, initiative) in scenario.initiatives.iter().enumerate() {
        for &t in &periods {
            let planned = plan.initiatives[i].activity[t];
            let (actual, was_recorded) = activity(i, t);
            initiatives.push(InitiativeExecution {
                initiative: initiative.id.clone(),
                period: scenario.periods[t].id.clone(),
                planned,
                actual,
                recorded: was_recorded,
                deviation: actual - planned,
                relative_deviation: relative(actual, planned),
                floor: model.lo[i],
                operations: initiative.kind == Kind::Operations,
            });
        }
    }
    let period_values = periods
        .iter()
        .map(|&t| {
            let (mut planned, mut realised) = (0.0, 0.0);
            for i in 0..scenario.initiatives.len() {
                planned += model.value_at(i, plan.initiatives[i].activity[t]);
                realised += model.value_at(i, activity(i, t).0);
            }
            PeriodExecution {
                period: scenario.periods[t].id.clone(),
                value_planned: model.weight[t] * planned,
                value_realised: model.weight[t] * realised,
            }
        })
        .collect();
    let mut resources = Vec::new();
    for (r, resource) in scenario.resources.iter().enumerate() {
        for &t in &periods {
            let computed = (0..scenario.initiatives.len())
                .map(|i| model.requirements[[i, r]] * activity(i, t).0)
                .sum();
            resources.push(ResourceUse {
                resource: resource.id.clone(),
                period: scenario.periods[t].id.clone(),
                used: used.get(&(r, t)).copied().unwrap_or(computed),
                capacity: model.capacity[[r, t]],
                recorded: used.contains_key(&(r, t)),
            });
        }
    }
    let run = Execution {
        initiatives,
        periods: period_values,
        resources,
    };
    let problems = overflowing(scenario, &model, actuals, &run);
    if problems.is_empty() {
        Ok(run)
    } else {
        Err(problems)
    }
}

/// (actual - planned) / |planned| within [-1e6, 1e6]: finite even where the plan had
/// none, so that every stored and sent number is one.
fn relative(actual: f64, planned: f64) -> f64 {
    if planned.abs() < 1e-12 {
        return if (actual - planned).abs() < 1e-12 {
            0.0
        } else {
            1e6 * (actual - planned).signum()
        };
    }
    ((actual - planned) / planned.abs()).clamp(-1e6, 1e6)
}

/// Actuals whose consequences do not fit in a double (a use or a value past 1e308),
/// each with its path; a total past it, at `actuals`.
fn overflowing(
    scenario: &Scenario,
    model: &Model,
    actuals: &[Actual],
    run: &Execution,
) -> Vec<Violation> {
    let mut problems = Vec::new();
    for (k, a) in actuals.iter().enumerate() {
        let (Some(i), Some(t)) = (
            scenario
                .initiatives
                .iter()
                .position(|x| x.id == a.initiative),
            scenario.periods.iter().position(|p| p.id == a.period),
        ) else {
            continue;
        };
        let uses_fit = (0..scenario.resources.len())
            .all(|r| (model.requirements[[i, r]] * a.activity).is_finite());
        let value_fits = (model.weight[t] * model.value_at(i, a.activity)).is_finite();
        if !(uses_fit && value_fits) {
            problems.push(Violation {
                path: format!("actuals[{k}].activity"),
                message: format!(
                    "{:e} is too large: the resources it uses or the value it earns do not fit in a double",
                    a.activity
                ),
            });
        }
    }
    let totals = run
        .periods
        .iter()
        .flat_map(|p| [p.value_planned, p.value_realised])
        .chain(run.resources.iter().map(|r| r.used));
    if problems.is_empty() && totals.into_iter().any(|x| !x.is_finite()) {
        problems.push(Violation {
            path: "actuals".to_string(),
            message:
                "these activities add up past what a double holds: record them in larger units"
                    .to_string(),
        });
    }
    problems
}

/// Recorded resource use by (resource, period) index, or every problem with it.
fn index_uses(
    scenario: &Scenario,
    uses: &[ResourceActual],
) -> Result<BTreeMap<(usize, usize), f64>, Vec<Violation>> {
    let mut problems = Vec::new();
    let mut recorded = BTreeMap::new();
    for (k, u) in uses.iter().enumerate() {
        let at = |field: &str| format!("resourceUse[{k}].{field}");
        let r = scenario.resources.iter().position(|x| x.id == u.resource);
        let t = scenario.periods.iter().position(|p| p.id == u.period);
        if r.is_none() {
            problems.push(Violation {
                path: at("resource"),
                message: format!("unknown resource \"{}\"", u.resource),
            });
        }
        if t.is_none() {
            problems.push(Violation {
                path: at("period"),
                message: format!("unknown period \"{}\"", u.period),
            });
        }
        if !(u.used.is_finite() && u.used >= 0.0) {
            problems.push(Violation {
                path: at("used"),
                message: format!("must be a finite number >= 0, got {}", u.used),
            });
        }
        if let (Some(r), Some(t)) = (r, t) {
            if recorded.insert((r, t), u.used).is_some() {
                problems.push(Violation {
                    path: at("period"),
                    message: format!("a second use of \"{}\" in \"{}\"", u.resource, u.period),
                });
            }
        }
    }
    if problems.is_empty() {
        Ok(recorded)
    } else {
        Err(problems)
    }
}

/// The actuals by (initiative, period) index, or every problem with them.
pub(super) fn index(
    scenario: &Scenario,
    actuals: &[Actual],
) -> Result<BTreeMap<(usize, usize), f64>, Vec<Violation>> {
    let mut problems = Vec::new();
    let mut recorded = BTreeMap::new();
    for (k, a) in actuals.iter().enumerate() {
        let at = |field: &str| format!("actuals[{k}].{field}");
        let i = scenario
            .initiatives
            .iter()
            .position(|x| x.id == a.initiative);
        let t = scenario.periods.iter().position(|p| p.id == a.period);
        if i.is_none() {
            problems.push(Violation {
                path: at("initiative"),
                message: format!("unknown initiative \"{}\"", a.initiative),
            });
        }
        if t.is_none() {
            problems.push(Violation {
                path: at("period"),
                message: format!("unknown period \"{}\"", a.period),
            });
        }
        if !(a.activity.is_finite() && a.activity >= 0.0) {
            problems.push(Violation {
                path: at("activity"),
                message: format!("must be a finite number >= 0, got {}", a.activity),
            });
        }
        if let (Some(i), Some(t)) = (i, t) {
            if recorded.insert((i, t), a.activity).is_some() {
                problems.push(Violation {
                    path: at("period"),
                    message: format!(
                        "a second actual for \"{}\" in \"{}\"",
                        a.initiative, a.period
                    ),
                });
            }
        }
    }
    if problems.is_empty() {
        Ok(recorded)
    } else {
        Err(problems)
    }
}
