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
        let mut s = base.clone();
        if !self.name.is_empty() {
            s.name = format!("{} / {}", base.name, self.name);
        }
        for (k, change) in self.resources.iter().enumerate() {
            change.apply(base, &mut s, &format!("{at}.resources[{k}]"), &mut problems);
        }
        let removed: BTreeSet<&str> = self.remove_initiatives.iter().map(String::as_str).collect();
        for (k, change) in self.initiatives.iter().enumerate() {
            let path = format!("{at}.initiatives[{k}]");
            if removed.contains(change.id.as_str()) {
                problems.push(violation(
                    format!("{path}.id"),
                    format!("\"{}\" is also removed by this variant", change.id),
                ));
                continue;
            }
            change.apply(&mut s, &path, &mut problems);
        }
        self.remove_and_add(base, &mut s, at, &mut problems);
        self.policy.apply(&mut s);

        if problems.is_empty() {
            let unlimited = crate::Limits {
                max_variables: usize::MAX,
                max_constraints: usize::MAX,
            };
            if let Err(invalid) = crate::validate(&s, &unlimited) {
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

    /// Drops `removeInitiatives` (with their group memberships and dependencies) and
    /// appends `addInitiatives`.
    fn remove_and_add(
        &self,
        base: &Scenario,
        s: &mut Scenario,
        at: &str,
        problems: &mut Vec<Violation>,
    ) {
        let removed: BTreeSet<&str> = self.remove_initiatives.iter().map(String::as_str).collect();
        for (k, id) in self.remove_initiatives.iter().enumerate() {
            if !base.initiatives.iter().any(|i| &i.id == id) {
                problems.push(violation(
                    format!("{at}.removeInitiatives[{k}]"),
                    format!("unknown initiative \"{id}\""),
                ));
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
                problems.push(violation(
                    format!("{at}.addInitiatives[{k}].id"),
                    format!("initiative \"{}\" already exists", added.id),
                ));
            }
            s.initiatives.push(added.clone());
        }
    }
}

fn violation(path: String, message: String) -> Violation {
    Violation { path, message }
}

impl ResourceChange {
    /// This change applied to its resource in `s` (`base`'s periods name where
    /// `scaleCapacity` applies); problems at `path`.
    fn apply(&self, base: &Scenario, s: &mut Scenario, path: &str, problems: &mut Vec<Violation>) {
        let Some(r) = s.resources.iter_mut().find(|r| r.id == self.id) else {
            problems.push(violation(
                format!("{path}.id"),
                format!("unknown resource \"{}\"", self.id),
            ));
            return;
        };
        if !self.capacity.is_empty() {
            r.capacity = self.capacity.clone();
        }
        match self.scale_capacity {
            Some(factor) if !(factor.is_finite() && factor >= 0.0) => problems.push(violation(
                format!("{path}.scaleCapacity"),
                format!("must be a finite number >= 0, got {factor}"),
            )),
            Some(factor) => {
                for (j, p) in self.periods.iter().enumerate() {
                    if !base.periods.iter().any(|q| q.id == *p) {
                        problems.push(violation(
                            format!("{path}.periods[{j}]"),
                            format!("unknown period \"{p}\""),
                        ));
                    }
                }
                r.capacity = self.scaled(&r.capacity, base, factor);
            }
            None if !self.periods.is_empty() => problems.push(violation(
                format!("{path}.periods"),
                "periods apply to scaleCapacity, which is not set".to_string(),
            )),
            None => {}
        }
        r.reserve_min = self.reserve_min.or(r.reserve_min);
        r.move_cost = self.move_cost.or(r.move_cost);
        r.max_churn = self.max_churn.or(r.max_churn);
    }

    /// `capacity` (one number or one per period) per period of `base`, times `factor`
    /// in the periods this change names (all when it names none).
    fn scaled(&self, capacity: &[f64], base: &Scenario, factor: f64) -> Vec<f64> {
        (0..base.periods.len())
            .map(|t| {
                let c = if capacity.len() == 1 {
                    capacity[0]
                } else {
                    capacity.get(t).copied().unwrap_or(0.0)
                };
                let applies = self.periods.is_empty()
                    || self.periods.iter().any(|p| *p == base.periods[t].id);
                if applies {
                    c * factor
                } else {
                    c
                }
            })
            .collect()
    }
}

impl InitiativeChange {
    /// This change applied to its initiative in `s`; problems at `path`.
    fn apply(&self, s: &mut Scenario, path: &str, problems: &mut Vec<Violation>) {
        let Some(i) = s.initiatives.iter_mut().find(|i| i.id == self.id) else {
            problems.push(violation(
                format!("{path}.id"),
                format!("unknown initiative \"{}\"", self.id),
            ));
            return;
        };
        if let Some(kind) = self.kind {
            i.kind = kind;
        }
        for (r, &x) in &self.requirements {
            i.requirements.insert(r.clone(), x);
        }
        i.current = self.current.unwrap_or(i.current);
        i.min = self.min.or(i.min);
        i.max = self.max.or(i.max);
        if !self.value.is_empty() {
            i.value = self.value.clone();
        }
        if let Some(factor) = self.scale_value {
            if factor.is_finite() && factor >= 0.0 {
                for seg in &mut i.value {
                    seg.per_unit *= factor;
                }
            } else {
                problems.push(violation(
                    format!("{path}.scaleValue"),
                    format!("must be a finite number >= 0, got {factor}"),
                ));
            }
        }
        i.ramp_up = self.ramp_up.or(i.ramp_up);
        i.ramp_down = self.ramp_down.or(i.ramp_down);
        i.locked = self.locked.unwrap_or(i.locked);
        i.integral = self.integral.unwrap_or(i.integral);
        i.tier = self.tier.unwrap_or(i.tier);
    }
}

impl PolicyChange {
    /// The fields set here, set in `s`.
    fn apply(&self, s: &mut Scenario) {
        s.policy.tier_tolerance = self.tier_tolerance.or(s.policy.tier_tolerance);
        s.policy.time_limit_seconds = self.time_limit_seconds.or(s.policy.time_limit_seconds);
        s.policy.mip_gap = self.mip_gap.or(s.policy.mip_gap);
        if let Some(solver) = &self.solver {
            s.policy.solver = solver.clone();
        }
    }
}
