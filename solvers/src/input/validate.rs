//! Validation: every reason a scenario cannot be planned, listed at once.
//!
//! A scenario that passes here is safe to formulate: every number is finite, every
//! reference resolves, and no activity is unbounded while earning value (the
//! Clarabel backend would report such an LP as solved). A scenario that is valid but
//! contradictory (floors above capacity) is not rejected: it is planned as
//! INFEASIBLE and diagnosed.

use crate::input::scenario::{Initiative, Scenario};
use crate::solve::backend::Backend;
use std::collections::{BTreeSet, HashMap};
use std::fmt;

/// One problem with a scenario: the field path and what is wrong there. Its JSON
/// form is the proto's `Violation { field, description }`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Violation {
    /// Path of the field, e.g. `initiatives[3].requirements.eng`.
    #[serde(rename = "field")]
    pub path: String,
    /// What is wrong there, for people.
    #[serde(rename = "description")]
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every problem found in a scenario, in the order of its fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid scenario: {}", .violations.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("; "))]
pub struct InvalidScenario {
    /// Every problem, in the order of the scenario's fields.
    pub violations: Vec<Violation>,
}

/// Limits on what one plan may cost to compute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Largest LP, in columns, that a scenario may produce.
    pub max_variables: usize,
    /// Largest LP, in rows.
    pub max_constraints: usize,
}

impl Default for Limits {
    fn default() -> Self {
        // The large benchmark shape (5000 x 10 x 13) is about 390k columns; leave room
        // above it while refusing what would not fit in memory.
        Limits {
            max_variables: 2_000_000,
            max_constraints: 2_000_000,
        }
    }
}

/// Checks a scenario against every rule of the model's validation section.
pub fn validate(scenario: &Scenario, limits: &Limits) -> Result<(), InvalidScenario> {
    let mut check = Checker::default();
    check.structure(scenario);
    check.periods(scenario);
    check.resources(scenario);
    check.initiatives(scenario);
    check.groups(scenario);
    check.dependencies(scenario);
    check.policy(scenario);
    check.size(scenario, limits);
    if check.violations.is_empty() {
        Ok(())
    } else {
        Err(InvalidScenario {
            violations: check.violations,
        })
    }
}

/// Which initiatives get `up`/`down` columns and a `flow` row: those with a ramp
/// limit, or using a resource whose moves are priced or limited.
fn has_flow(scenario: &Scenario) -> Vec<bool> {
    let flow_resources: BTreeSet<&str> = scenario
        .resources
        .iter()
        .filter(|r| r.max_churn.is_some() || r.move_cost.is_some_and(|c| c > 0.0))
        .map(|r| r.id.as_str())
        .collect();
    scenario
        .initiatives
        .iter()
        .map(|i| {
            i.ramp_up.is_some()
                || i.ramp_down.is_some()
                || i.requirements
                    .iter()
                    .any(|(r, &x)| x > 0.0 && flow_resources.contains(r.as_str()))
        })
        .collect()
}

/// Columns the LP of a scenario has, counted without building it.
pub fn variable_count(scenario: &Scenario) -> usize {
    let per_period: usize = scenario
        .initiatives
        .iter()
        .zip(has_flow(scenario))
        .map(|(i, flow)| 1 + i.value.len() + if flow { 2 } else { 0 })
        .sum();
    per_period.saturating_mul(scenario.periods.len())
}

/// Rows the LP of a scenario has (at most), counted without building it.
pub fn constraint_count(scenario: &Scenario) -> usize {
    let per_period: usize = scenario.resources.len()
        + scenario
            .resources
            .iter()
            .filter(|r| r.max_churn.is_some())
            .count()
        + scenario
            .initiatives
            .iter()
            .zip(has_flow(scenario))
            .map(|(i, flow)| usize::from(!i.value.is_empty()) + usize::from(flow))
            .sum::<usize>()
        + scenario
            .groups
            .iter()
            .map(|g| usize::from(g.min.is_some()) + usize::from(g.max.is_some()))
            .sum::<usize>()
        + scenario.dependencies.len();
    per_period.saturating_mul(scenario.periods.len())
}

#[derive(Default)]
struct Checker {
    violations: Vec<Violation>,
}

impl Checker {
    fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.violations.push(Violation {
            path: path.into(),
            message: message.into(),
        });
    }

    /// A number that must be finite; returns whether it is.
    fn finite(&mut self, path: &str, x: f64) -> bool {
        if x.is_finite() {
            true
        } else {
            self.push(path, format!("must be a finite number, got {x}"));
            false
        }
    }

    fn non_negative(&mut self, path: &str, x: f64) {
        if self.finite(path, x) && x < 0.0 {
            self.push(path, format!("must be >= 0, got {x}"));
        }
    }

    fn optional_non_negative(&mut self, path: &str, x: Option<f64>) {
        if let Some(x) = x {
            self.non_negative(path, x);
        }
    }

    fn optional_finite(&mut self, path: &str, x: Option<f64>) -> Option<f64> {
        x.filter(|&x| self.finite(path, x))
    }

    /// Ids must be non-empty and unique within their list.
    fn ids<'a>(&mut self, list: &str, ids: impl Iterator<Item = &'a str>) {
        let mut first: HashMap<&str, usize> = HashMap::new();
        for (k, id) in ids.enumerate() {
            let path = format!("{list}[{k}].id");
            if id.trim().is_empty() {
                self.push(path, "must not be empty");
            } else if let Some(j) = first.get(id) {
                self.push(
                    path,
                    format!("duplicate id \"{id}\" (first at {list}[{j}])"),
                );
            } else {
                first.insert(id, k);
            }
        }
    }

    fn structure(&mut self, s: &Scenario) {
        if s.periods.is_empty() {
            self.push("periods", "at least one period is required");
        }
        if s.resources.is_empty() {
            self.push("resources", "at least one resource is required");
        }
    }

    fn periods(&mut self, s: &Scenario) {
        self.ids("periods", s.periods.iter().map(|p| p.id.as_str()));
        for (t, p) in s.periods.iter().enumerate() {
            let path = format!("periods[{t}].weight");
            if let Some(w) = self.optional_finite(&path, p.weight) {
                if w <= 0.0 {
                    self.push(path, format!("must be > 0, got {w}"));
                }
            }
        }
    }

    fn resources(&mut self, s: &Scenario) {
        self.ids("resources", s.resources.iter().map(|r| r.id.as_str()));
        let periods = s.periods.len();
        for (k, r) in s.resources.iter().enumerate() {
            let at = format!("resources[{k}]");
            let n = r.capacity.len();
            if n != 1 && n != periods {
                self.push(
                    format!("{at}.capacity"),
                    format!("has {n} values; give 1 (every period) or {periods} (one per period)"),
                );
            }
            for (t, &c) in r.capacity.iter().enumerate() {
                self.non_negative(&format!("{at}.capacity[{t}]"), c);
            }
            let path = format!("{at}.reserveMin");
            if let Some(x) = self.optional_finite(&path, r.reserve_min) {
                if !(0.0..1.0).contains(&x) {
                    self.push(path, format!("must be in [0, 1), got {x}"));
                }
            }
            self.optional_non_negative(&format!("{at}.moveCost"), r.move_cost);
            self.optional_non_negative(&format!("{at}.maxChurn"), r.max_churn);
        }
    }

    fn initiatives(&mut self, s: &Scenario) {
        self.ids("initiatives", s.initiatives.iter().map(|i| i.id.as_str()));
        let resources: BTreeSet<&str> = s.resources.iter().map(|r| r.id.as_str()).collect();
        for (k, i) in s.initiatives.iter().enumerate() {
            let at = format!("initiatives[{k}]");
            if i.id == crate::report::plan::RESERVE {
                self.push(
                    format!("{at}.id"),
                    "\"reserve\" is the strategic reserve's name in moves; choose another id",
                );
            }
            for (r, &x) in &i.requirements {
                let path = format!("{at}.requirements.{r}");
                if !resources.contains(r.as_str()) {
                    self.push(path.clone(), format!("unknown resource \"{r}\""));
                }
                self.non_negative(&path, x);
            }
            self.non_negative(&format!("{at}.current"), i.current);
            let min = self.optional_finite(&format!("{at}.min"), i.min);
            let max = self.optional_finite(&format!("{at}.max"), i.max);
            if let (Some(lo), Some(hi)) = (min, max) {
                if lo > hi {
                    self.push(format!("{at}.min"), format!("min {lo} is above max {hi}"));
                }
            }
            self.optional_non_negative(&format!("{at}.rampUp"), i.ramp_up);
            self.optional_non_negative(&format!("{at}.rampDown"), i.ramp_down);
            self.segments(&at, i);
        }
    }

    fn segments(&mut self, at: &str, i: &Initiative) {
        let mut previous: Option<(f64, f64)> = None; // (upTo, perUnit) of the last well-formed segment
        let last = i.value.len().saturating_sub(1);
        for (k, seg) in i.value.iter().enumerate() {
            let path = format!("{at}.value[{k}]");
            let per_unit_ok = self.finite(&format!("{path}.perUnit"), seg.per_unit);
            let up_to = match seg.up_to {
                None if k != last => {
                    self.push(
                        format!("{path}.upTo"),
                        "only the last segment may omit upTo",
                    );
                    None
                }
                None => None,
                Some(u) if !self.finite(&format!("{path}.upTo"), u) => None,
                Some(u) if u <= 0.0 => {
                    self.push(format!("{path}.upTo"), format!("must be > 0, got {u}"));
                    None
                }
                Some(u) => Some(u),
            };
            if let (Some((prev_up, prev_per)), true) = (previous, per_unit_ok) {
                if let Some(u) = up_to {
                    if u <= prev_up {
                        self.push(
                            format!("{path}.upTo"),
                            format!("must be above the previous segment's upTo {prev_up}, got {u}"),
                        );
                    }
                }
                if seg.per_unit > prev_per {
                    self.push(
                        format!("{path}.perUnit"),
                        format!(
                            "value must not increase along the curve (diminishing returns): {} after {prev_per}",
                            seg.per_unit
                        ),
                    );
                }
            }
            previous = match (up_to, per_unit_ok) {
                (Some(u), true) => Some((u, seg.per_unit)),
                _ => None,
            };
        }
        let bounded_by_curve = i.value.last().is_some_and(|seg| seg.up_to.is_some());
        let earns = i.value.last().is_some_and(|seg| seg.per_unit > 0.0);
        let uses_nothing = i.requirements.values().all(|&x| x == 0.0);
        if i.max.is_none() && !bounded_by_curve && !i.locked && uses_nothing && earns {
            self.push(
                format!("{at}.value"),
                "activity is unbounded: it earns value, uses no resource and has neither max nor a last upTo",
            );
        }
    }

    fn groups(&mut self, s: &Scenario) {
        self.ids("groups", s.groups.iter().map(|g| g.id.as_str()));
        let resources: BTreeSet<&str> = s.resources.iter().map(|r| r.id.as_str()).collect();
        let initiatives: BTreeSet<&str> = s.initiatives.iter().map(|i| i.id.as_str()).collect();
        for (k, g) in s.groups.iter().enumerate() {
            let at = format!("groups[{k}]");
            if !resources.contains(g.resource.as_str()) {
                self.push(
                    format!("{at}.resource"),
                    format!("unknown resource \"{}\"", g.resource),
                );
            }
            for (j, id) in g.initiatives.iter().enumerate() {
                if !initiatives.contains(id.as_str()) {
                    self.push(
                        format!("{at}.initiatives[{j}]"),
                        format!("unknown initiative \"{id}\""),
                    );
                }
            }
            let min = self.optional_finite(&format!("{at}.min"), g.min);
            let max = self.optional_finite(&format!("{at}.max"), g.max);
            if let (Some(lo), Some(hi)) = (min, max) {
                if lo > hi {
                    self.push(format!("{at}.min"), format!("min {lo} is above max {hi}"));
                }
            }
        }
    }

    fn dependencies(&mut self, s: &Scenario) {
        let initiatives: BTreeSet<&str> = s.initiatives.iter().map(|i| i.id.as_str()).collect();
        let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
        for (k, d) in s.dependencies.iter().enumerate() {
            let at = format!("dependencies[{k}]");
            for (field, id) in [("initiative", &d.initiative), ("requires", &d.requires)] {
                if !initiatives.contains(id.as_str()) {
                    self.push(
                        format!("{at}.{field}"),
                        format!("unknown initiative \"{id}\""),
                    );
                }
            }
            if d.initiative == d.requires {
                self.push(
                    format!("{at}.requires"),
                    "an initiative cannot depend on itself",
                );
            }
            self.optional_non_negative(&format!("{at}.ratio"), d.ratio);
            let key = (d.initiative.as_str(), d.requires.as_str());
            if let Some(j) = seen.get(&key) {
                self.push(at, format!("duplicate of dependencies[{j}]"));
            } else {
                seen.insert(key, k);
            }
        }
    }

    fn policy(&mut self, s: &Scenario) {
        let p = &s.policy;
        self.optional_non_negative("policy.tierTolerance", p.tier_tolerance);
        self.optional_non_negative("policy.timeLimitSeconds", p.time_limit_seconds);
        if let Some(gap) = self.optional_finite("policy.mipGap", p.mip_gap) {
            if !(0.0..1.0).contains(&gap) {
                self.push("policy.mipGap", format!("must be in [0, 1), got {gap}"));
            }
        }
        match Backend::from_name(&p.solver) {
            Err(message) => self.push("policy.solver", message),
            Ok(Some(backend)) if !backend.supports_integers() => {
                if let Some(k) = s.initiatives.iter().position(|i| i.integral) {
                    self.push(
                        "policy.solver",
                        format!(
                            "{} cannot solve integral initiatives (initiatives[{k}] is integral); use auto, lpsolve or microlp",
                            backend.name()
                        ),
                    );
                }
            }
            Ok(_) => {}
        }
    }

    fn size(&mut self, s: &Scenario, limits: &Limits) {
        let n = variable_count(s);
        if n > limits.max_variables {
            self.push(
                "initiatives",
                format!(
                    "the problem has {n} variables, above the limit of {}",
                    limits.max_variables
                ),
            );
        }
        let m = constraint_count(s);
        if m > limits.max_constraints {
            self.push(
                "initiatives",
                format!(
                    "the problem has {m} constraints, above the limit of {}",
                    limits.max_constraints
                ),
            );
        }
    }
}
