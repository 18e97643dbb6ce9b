//! Variants: a base scenario plus a small, readable overlay ("capital -10%", "hold a
//! 15% reserve", "add this priority"). An overlay that names an unknown id is an
//! error, never a silent no-op; the scenario it produces is validated like any other.

use crate::input::proto_json;
use crate::input::scenario::{Initiative, Kind, Scenario, Segment};
use crate::input::validate::Violation;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A named change to a base scenario.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Variant {
    /// The variant's name in comparisons (`variant N` when empty).
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub name: String,
    /// Changes to named resources.
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub resources: Vec<ResourceChange>,
    /// Changes to fields of named initiatives.
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub initiatives: Vec<InitiativeChange>,
    /// New initiatives (a new priority).
    #[serde(
        default,
        alias = "add_initiatives",
        deserialize_with = "proto_json::or_default"
    )]
    pub add_initiatives: Vec<Initiative>,
    /// Ids of initiatives to drop (with their group memberships and dependencies).
    #[serde(
        default,
        alias = "remove_initiatives",
        deserialize_with = "proto_json::or_default"
    )]
    pub remove_initiatives: Vec<String>,
    /// Policy fields to set.
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub policy: PolicyChange,
}

/// Changes to one resource.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceChange {
    /// The resource to change (its id in the base).
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub id: String,
    /// Multiplies capacity (in `periods`, or every period when empty).
    #[serde(
        default,
        alias = "scale_capacity",
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub scale_capacity: Option<f64>,
    /// Period ids `scaleCapacity` applies to; empty means every period.
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub periods: Vec<String>,
    /// New capacity (replaces the old; one value or one per period).
    #[serde(default, deserialize_with = "proto_json::doubles")]
    pub capacity: Vec<f64>,
    /// New `reserveMin`.
    #[serde(
        default,
        alias = "reserve_min",
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub reserve_min: Option<f64>,
    /// New `moveCost`.
    #[serde(
        default,
        alias = "move_cost",
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub move_cost: Option<f64>,
    /// New `maxChurn`.
    #[serde(
        default,
        alias = "max_churn",
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_churn: Option<f64>,
}

/// Fields of one initiative to set; absent fields keep their value.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InitiativeChange {
    /// The initiative to change (its id in the base).
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub id: String,
    /// New kind (OPERATIONS or STRATEGIC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    /// Requirements to set (other resources keep theirs).
    #[serde(default, deserialize_with = "proto_json::double_map")]
    pub requirements: BTreeMap<String, f64>,
    /// New `current`.
    #[serde(
        default,
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub current: Option<f64>,
    /// New `min`.
    #[serde(
        default,
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub min: Option<f64>,
    /// New `max`.
    #[serde(
        default,
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub max: Option<f64>,
    /// A new value curve (replaces the old when not empty).
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub value: Vec<Segment>,
    /// Multiplies every segment's perUnit (a value re-estimate).
    #[serde(
        default,
        alias = "scale_value",
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub scale_value: Option<f64>,
    /// New `rampUp`.
    #[serde(
        default,
        alias = "ramp_up",
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub ramp_up: Option<f64>,
    /// New `rampDown`.
    #[serde(
        default,
        alias = "ramp_down",
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub ramp_down: Option<f64>,
    /// New `locked`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked: Option<bool>,
    /// New `integral`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integral: Option<bool>,
    /// New `tier`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<u32>,
}

/// Policy fields to set.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyChange {
    /// New `tierTolerance`.
    #[serde(
        default,
        alias = "tier_tolerance",
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub tier_tolerance: Option<f64>,
    /// New `timeLimitSeconds`.
    #[serde(
        default,
        alias = "time_limit_seconds",
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub time_limit_seconds: Option<f64>,
    /// New `solver`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solver: Option<String>,
    /// `policy.mipGap` for the variant (a looser gap for a quick what-if).
    #[serde(
        default,
        alias = "mip_gap",
        deserialize_with = "proto_json::optional_double",
        skip_serializing_if = "Option::is_none"
    )]
    pub mip_gap: Option<f64>,
}

/// A file of variants: `{"variants": [...]}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VariantSet {
    /// The variants, in the order they are compared.
    #[serde(default, deserialize_with = "proto_json::or_default")]
    pub variants: Vec<Variant>,
}

/// Every problem with a list of variants of `base`, paths starting `variants[k]`;
/// empty when all of them apply.
pub fn check_all(base: &Scenario, variants: &[Variant]) -> Vec<Violation> {
    variants
        .iter()
        .enumerate()
        .filter_map(|(k, v)| v.apply(base, &format!("variants[{k}]")).err())
        .flatten()
        .collect()
}

impl Variant {
    /// The variants in a file: one variant, or `{"variants": [...]}`.
    pub fn list_from_json(text: &str) -> Result<Vec<Variant>, crate::ParseError> {
        let looks_like_set = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| v.as_object().map(|o| o.contains_key("variants")))
            .unwrap_or(false);
        if looks_like_set {
            Ok(crate::input::scenario::parse_json::<VariantSet>(text)?.variants)
        } else {
            Ok(vec![crate::input::scenario::parse_json::<Variant>(text)?])
        }
    }

    /// The base scenario with this overlay applied, or every problem with the overlay
    /// (paths start at `at`, e.g. `variants[1]`), including those of the scenario it
    /// produces (paths start at `<at>.scenario`).
    pub fn apply(&self, base: &Scenario, at: &str) -> Result<Scenario, Vec<Violation>> {
        let mut problems = Vec::new();
        let mut push = |path: String, message: String| problems.push(Violation { path, message });
        let mut s = base.clone();
        if !self.name.is_empty() {
            s.name = format!("{} / {}", base.name, self.name);
        }
        let periods: BTreeSet<&str> = base.periods.iter().map(|p| p.id.as_str()).collect();

        for (k, change) in self.resources.iter().enumerate() {
            let path = format!("{at}.resources[{k}]");
            let Some(r) = s.resources.iter_mut().find(|r| r.id == change.id) else {
                push(
                    format!("{path}.id"),
                    format!("unknown resource \"{}\"", change.id),
                );
                continue;
            };
            if !change.capacity.is_empty() {
                r.capacity = change.capacity.clone();
            }
            if let Some(factor) = change.scale_capacity {
                if !(factor.is_finite() && factor >= 0.0) {
                    push(
                        format!("{path}.scaleCapacity"),
                        format!("must be a finite number >= 0, got {factor}"),
                    );
                } else {
                    for (j, p) in change.periods.iter().enumerate() {
                        if !periods.contains(p.as_str()) {
                            push(
                                format!("{path}.periods[{j}]"),
                                format!("unknown period \"{p}\""),
                            );
                        }
                    }
                    let n = base.periods.len();
                    let expanded: Vec<f64> = (0..n)
                        .map(|t| {
                            if r.capacity.len() == 1 {
                                r.capacity[0]
                            } else {
                                r.capacity.get(t).copied().unwrap_or(0.0)
                            }
                        })
                        .collect();
                    r.capacity = expanded
                        .iter()
                        .enumerate()
                        .map(|(t, &c)| {
                            let applies = change.periods.is_empty()
                                || change.periods.iter().any(|p| *p == base.periods[t].id);
                            if applies {
                                c * factor
                            } else {
                                c
                            }
                        })
                        .collect();
                }
            } else if !change.periods.is_empty() {
                push(
                    format!("{path}.periods"),
                    "periods apply to scaleCapacity, which is not set".to_string(),
                );
            }
            r.reserve_min = change.reserve_min.or(r.reserve_min);
            r.move_cost = change.move_cost.or(r.move_cost);
            r.max_churn = change.max_churn.or(r.max_churn);
        }

        let removed: BTreeSet<&str> = self.remove_initiatives.iter().map(String::as_str).collect();
        for (k, change) in self.initiatives.iter().enumerate() {
            let path = format!("{at}.initiatives[{k}]");
            if removed.contains(change.id.as_str()) {
                push(
                    format!("{path}.id"),
                    format!("\"{}\" is also removed by this variant", change.id),
                );
                continue;
            }
            let Some(i) = s.initiatives.iter_mut().find(|i| i.id == change.id) else {
                push(
                    format!("{path}.id"),
                    format!("unknown initiative \"{}\"", change.id),
                );
                continue;
            };
            if let Some(kind) = change.kind {
                i.kind = kind;
            }
            for (r, &x) in &change.requirements {
                i.requirements.insert(r.clone(), x);
            }
            i.current = change.current.unwrap_or(i.current);
            i.min = change.min.or(i.min);
            i.max = change.max.or(i.max);
            if !change.value.is_empty() {
                i.value = change.value.clone();
            }
            if let Some(factor) = change.scale_value {
                if factor.is_finite() && factor >= 0.0 {
                    for seg in &mut i.value {
                        seg.per_unit *= factor;
                    }
                } else {
                    push(
                        format!("{path}.scaleValue"),
                        format!("must be a finite number >= 0, got {factor}"),
                    );
                }
            }
            i.ramp_up = change.ramp_up.or(i.ramp_up);
            i.ramp_down = change.ramp_down.or(i.ramp_down);
            i.locked = change.locked.unwrap_or(i.locked);
            i.integral = change.integral.unwrap_or(i.integral);
            i.tier = change.tier.unwrap_or(i.tier);
        }

        for (k, id) in self.remove_initiatives.iter().enumerate() {
            if !base.initiatives.iter().any(|i| &i.id == id) {
                push(
                    format!("{at}.removeInitiatives[{k}]"),
                    format!("unknown initiative \"{id}\""),
                );
            }
        }
        s.initiatives.retain(|i| !removed.contains(i.id.as_str()));
        for g in &mut s.groups {
            g.initiatives.retain(|id| !removed.contains(id.as_str()));
        }
        s.dependencies.retain(|d| {
            !removed.contains(d.initiative.as_str()) && !removed.contains(d.requires.as_str())
        });

        for (k, added) in self.add_initiatives.iter().enumerate() {
            if s.initiatives.iter().any(|i| i.id == added.id) {
                push(
                    format!("{at}.addInitiatives[{k}].id"),
                    format!("initiative \"{}\" already exists", added.id),
                );
            }
            s.initiatives.push(added.clone());
        }

        let p = &self.policy;
        s.policy.tier_tolerance = p.tier_tolerance.or(s.policy.tier_tolerance);
        s.policy.time_limit_seconds = p.time_limit_seconds.or(s.policy.time_limit_seconds);
        s.policy.mip_gap = p.mip_gap.or(s.policy.mip_gap);
        if let Some(solver) = &p.solver {
            s.policy.solver = solver.clone();
        }

        if problems.is_empty() {
            if let Err(invalid) = crate::validate(
                &s,
                &crate::Limits {
                    max_variables: usize::MAX,
                    max_constraints: usize::MAX,
                },
            ) {
                problems.extend(invalid.violations.into_iter().map(|v| Violation {
                    path: format!("{at}.scenario.{}", v.path),
                    message: v.message,
                }));
            }
        }
        if problems.is_empty() {
            Ok(s)
        } else {
            Err(problems)
        }
    }
}
