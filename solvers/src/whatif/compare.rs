//! Comparison: a base scenario and its variants planned side by side, with what each
//! variant changes: objective, value and move cost deltas, end-of-quarter activity per
//! initiative, shadow prices per resource, the moves that appear or disappear, and,
//! when a variant adds initiatives, what that costs the existing ones (the seed of an
//! "either/or" conversation: what will be delayed or dropped, and how much value it
//! gives up).

use crate::input::validate::Violation;
use crate::model::Model;
use crate::report::plan::{Change, Move, Plan, Status};
use crate::whatif::variant::Variant;
use crate::{plan, PlanError, PlanOptions, Scenario};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The base and every variant, side by side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comparison {
    /// The base scenario's plan.
    pub base: Plan,
    /// One per variant, in the order given.
    pub variants: Vec<VariantOutcome>,
    /// Every initiative of the base or any variant, base order first.
    pub initiatives: Vec<InitiativeComparison>,
    /// Every resource, with its shadow prices in the base and in each variant.
    pub resources: Vec<ResourceComparison>,
}

/// One variant's plan and how it differs from the base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VariantOutcome {
    /// The variant's name (as given, else `variant N`).
    pub name: String,
    /// Why the variant has no plan (empty when it has one).
    pub error: String,
    /// Problems with the variant, each with its path (`variants[0].initiatives[1].id`).
    pub violations: Vec<Violation>,
    /// The variant's plan; absent when it has none (see `error`, `violations`).
    pub plan: Option<Plan>,
    /// Variant's objective minus the base's (0 without a plan).
    pub delta_objective: f64,
    /// Variant's value minus the base's (0 without a plan).
    pub delta_value: f64,
    /// Variant's move cost minus the base's (0 without a plan).
    pub delta_move_cost: f64,
    /// Moves in the variant's plan but not in the base's (period, resource, from, to).
    pub moves_appeared: Vec<Move>,
    /// Moves in the base's plan but not in the variant's.
    pub moves_disappeared: Vec<Move>,
    /// When the variant adds initiatives: what they bring, and what they displace.
    pub priority_cost: Option<PriorityCost>,
}

/// The cost of adding new priorities, in what existing initiatives give up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriorityCost {
    /// Ids of the initiatives the variant adds to the base.
    pub added: Vec<String>,
    /// Weighted value the added initiatives earn.
    pub added_value: f64,
    /// Existing initiatives that run less, largest value given up first.
    pub displaced: Vec<Displacement>,
    /// Value the displaced initiatives give up, together.
    pub value_given_up: f64,
}

/// An existing initiative that runs less once a new priority is added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Displacement {
    /// The displaced initiative's id.
    pub id: String,
    /// Activity lost, summed over the periods (unit-periods).
    pub activity_lost: f64,
    /// End-of-quarter activity lost.
    pub end_activity_lost: f64,
    /// Weighted value given up over the periods.
    pub value_lost: f64,
    /// STOP when it no longer runs at the end, else SHRINK.
    pub change: Change,
}

/// One initiative's end-of-quarter activity across the plans.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitiativeComparison {
    /// The initiative's id.
    pub id: String,
    /// End-of-quarter activity in the base (absent if the base does not have it).
    pub base: Option<f64>,
    /// One per variant, in the order given.
    pub variants: Vec<InitiativeInVariant>,
}

/// An initiative in one variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitiativeInVariant {
    /// End-of-quarter activity (absent if the variant has no such initiative or no plan).
    pub end: Option<f64>,
    /// Against the base's end-of-quarter activity.
    pub shift: Shift,
}

/// How an initiative's end-of-quarter activity moves from the base to a variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Shift {
    /// Ends higher in the variant, by more than 1e-6 x max(1, base).
    Up,
    /// Ends within 1e-6 x max(1, base) of the base.
    Same,
    /// Ends lower in the variant, by more than 1e-6 x max(1, base).
    Down,
    /// Only in the variant.
    Added,
    /// Only in the base.
    Removed,
    /// The variant has no plan.
    Unplanned,
}

/// One resource's shadow prices across the plans.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceComparison {
    /// The resource's id.
    pub id: String,
    /// Shadow prices per period in the base's plan.
    pub base: Vec<f64>,
    /// One entry per variant; empty prices when the variant has no plan.
    pub variants: Vec<Prices>,
}

/// One variant's shadow prices of a resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Prices {
    /// Per period; empty when the variant has no plan.
    pub shadow_price: Vec<f64>,
}

/// Plans the base and every variant. The base must plan (its errors are returned);
/// a variant that cannot be planned is reported in its outcome.
pub fn compare(
    base: &Scenario,
    variants: &[Variant],
    options: &PlanOptions,
) -> Result<Comparison, PlanError> {
    let base_plan = plan(base, options)?;
    let outcomes: Vec<VariantOutcome> = variants
        .iter()
        .enumerate()
        .map(|(k, v)| outcome(base, &base_plan, v, k, options))
        .collect();
    let initiatives = initiative_rows(base, &base_plan, &outcomes);
    let resources = base_plan
        .resources
        .iter()
        .map(|r| ResourceComparison {
            id: r.id.clone(),
            base: r.shadow_price.clone(),
            variants: outcomes
                .iter()
                .map(|o| Prices {
                    shadow_price: o
                        .plan
                        .as_ref()
                        .and_then(|p| p.resources.iter().find(|x| x.id == r.id))
                        .map(|x| x.shadow_price.clone())
                        .unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    Ok(Comparison {
        base: base_plan,
        variants: outcomes,
        initiatives,
        resources,
    })
}

fn outcome(
    base: &Scenario,
    base_plan: &Plan,
    variant: &Variant,
    k: usize,
    options: &PlanOptions,
) -> VariantOutcome {
    let name = if variant.name.is_empty() {
        format!("variant {}", k + 1)
    } else {
        variant.name.clone()
    };
    let failed = |error: String, violations: Vec<Violation>| VariantOutcome {
        name: name.clone(),
        error,
        violations,
        plan: None,
        delta_objective: 0.0,
        delta_value: 0.0,
        delta_move_cost: 0.0,
        moves_appeared: Vec::new(),
        moves_disappeared: Vec::new(),
        priority_cost: None,
    };
    let scenario = match variant.apply(base, &format!("variants[{k}]")) {
        Ok(s) => s,
        Err(violations) => {
            return failed(
                format!("the variant is invalid ({} problems)", violations.len()),
                violations,
            )
        }
    };
    let p = match plan(&scenario, options) {
        Ok(p) => p,
        Err(PlanError::Invalid(invalid)) => {
            return failed(
                "the variant's scenario is invalid".to_string(),
                invalid.violations,
            )
        }
        Err(e) => return failed(e.to_string(), Vec::new()),
    };
    let key = |m: &Move| {
        (
            m.period.clone(),
            m.resource.clone(),
            m.from.clone(),
            m.to.clone(),
        )
    };
    let base_moves: BTreeSet<_> = base_plan.moves.iter().map(key).collect();
    let variant_moves: BTreeSet<_> = p.moves.iter().map(key).collect();
    let priority_cost = (!variant.add_initiatives.is_empty() && p.status != Status::Infeasible)
        .then(|| priority_cost(base, base_plan, &scenario, &p, variant));
    VariantOutcome {
        name,
        error: String::new(),
        violations: Vec::new(),
        delta_objective: p.objective - base_plan.objective,
        delta_value: p.value - base_plan.value,
        delta_move_cost: p.move_cost - base_plan.move_cost,
        moves_appeared: p
            .moves
            .iter()
            .filter(|m| !base_moves.contains(&key(m)))
            .cloned()
            .collect(),
        moves_disappeared: base_plan
            .moves
            .iter()
            .filter(|m| !variant_moves.contains(&key(m)))
            .cloned()
            .collect(),
        priority_cost,
        plan: Some(p),
    }
}

/// Weighted value of each initiative over the periods, by id.
fn values_by_initiative(scenario: &Scenario, p: &Plan) -> BTreeMap<String, f64> {
    let model = Model::new(scenario);
    p.initiatives
        .iter()
        .enumerate()
        .map(|(i, ip)| {
            let v = ip
                .activity
                .iter()
                .enumerate()
                .map(|(t, &a)| model.weight[t] * model.value_at(i, a))
                .sum();
            (ip.id.clone(), v)
        })
        .collect()
}

fn priority_cost(
    base: &Scenario,
    base_plan: &Plan,
    scenario: &Scenario,
    p: &Plan,
    variant: &Variant,
) -> PriorityCost {
    let before = values_by_initiative(base, base_plan);
    let after = values_by_initiative(scenario, p);
    let added: Vec<String> = variant
        .add_initiatives
        .iter()
        .map(|i| i.id.clone())
        .collect();
    let added_value = added.iter().filter_map(|id| after.get(id)).sum();
    let mut displaced: Vec<Displacement> = base_plan
        .initiatives
        .iter()
        .filter_map(|b| {
            let v = p.initiatives.iter().find(|x| x.id == b.id)?;
            let activity_lost: f64 = b.activity.iter().zip(&v.activity).map(|(x, y)| x - y).sum();
            let end_before = b.activity.last().copied().unwrap_or(0.0);
            let end_after = v.activity.last().copied().unwrap_or(0.0);
            let eps = 1e-6 * end_before.abs().max(1.0);
            (activity_lost > eps || end_before - end_after > eps).then(|| Displacement {
                id: b.id.clone(),
                activity_lost,
                end_activity_lost: end_before - end_after,
                value_lost: before[&b.id] - after[&b.id],
                change: if end_after <= eps && end_before > eps {
                    Change::Stop
                } else {
                    Change::Shrink
                },
            })
        })
        .collect();
    displaced.sort_by(|x, y| y.value_lost.total_cmp(&x.value_lost).then(x.id.cmp(&y.id)));
    PriorityCost {
        added,
        added_value,
        value_given_up: displaced.iter().map(|d| d.value_lost).sum(),
        displaced,
    }
}

fn initiative_rows(
    base: &Scenario,
    base_plan: &Plan,
    outcomes: &[VariantOutcome],
) -> Vec<InitiativeComparison> {
    let mut ids: Vec<String> = base.initiatives.iter().map(|i| i.id.clone()).collect();
    for o in outcomes {
        for ip in o.plan.iter().flat_map(|p| &p.initiatives) {
            if !ids.contains(&ip.id) {
                ids.push(ip.id.clone());
            }
        }
    }
    let end_in = |p: &Plan, id: &str| {
        p.initiatives
            .iter()
            .find(|i| i.id == id)
            .map(|i| i.activity.last().copied().unwrap_or(0.0))
    };
    ids.into_iter()
        .map(|id| {
            let base_end = end_in(base_plan, &id);
            let variants = outcomes
                .iter()
                .map(|o| {
                    let Some(p) = &o.plan else {
                        return InitiativeInVariant {
                            end: None,
                            shift: Shift::Unplanned,
                        };
                    };
                    let end = end_in(p, &id);
                    let shift = match (base_end, end) {
                        (None, Some(_)) => Shift::Added,
                        (Some(_), None) => Shift::Removed,
                        (None, None) => Shift::Unplanned,
                        (Some(b), Some(v)) => {
                            let eps = 1e-6 * b.abs().max(1.0);
                            if (v - b).abs() <= eps {
                                Shift::Same
                            } else if v > b {
                                Shift::Up
                            } else {
                                Shift::Down
                            }
                        }
                    };
                    InitiativeInVariant { end, shift }
                })
                .collect();
            InitiativeComparison {
                id,
                base: base_end,
                variants,
            }
        })
        .collect()
}
