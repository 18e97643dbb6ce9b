//! Frontiers and price ranges: how the optimum moves with one resource.
//!
//! A sweep re-plans the scenario at several capacity factors or reserve levels of one
//! resource and reports the objective at each, where the bottleneck or the shadow
//! price changes, and what each extra unit bought between points. A price range says
//! over which capacities a resource's shadow price holds; it is found by re-solving,
//! not read off the LP, because a shadow price is only a local fact.

use crate::input::validate::Violation;
use crate::report::plan::{Plan, Status};
use crate::{plan, plan_warm, PlanError, PlanOptions, Scenario, WarmStart};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;

/// What a sweep varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Parameter {
    /// Capacity in every period, multiplied by each value.
    CapacityFactor,
    /// reserveMin, set to each value.
    ReserveLevel,
}

/// One point of a frontier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepPoint {
    /// The factor or level.
    pub at: f64,
    /// The resource's capacity per period at this point.
    pub capacity: Vec<f64>,
    /// The resource's reserve fraction at this point.
    pub reserve_min: f64,
    /// Why there is no plan at this point (empty when there is one).
    pub error: String,
    /// The plan's status; absent without a plan.
    pub status: Option<Status>,
    /// The plan's objective (0 without a plan).
    pub objective: f64,
    /// The resource's shadow price per period.
    pub shadow_price: Vec<f64>,
    /// The most binding capacity constraint of the whole plan (empty if none binds).
    pub bottleneck: String,
    /// Objective gained per extra unit of the resource's allocatable capacity since the
    /// previous point (absent at the first point or across a failed one).
    pub marginal_value: Option<f64>,
    /// The whole plan at this point, when the caller asked for plans.
    pub plan: Option<Plan>,
}

/// A frontier of one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sweep {
    /// The resource swept (its id).
    pub resource: String,
    /// What was varied: capacity by factors, capacity to levels, or the reserve.
    pub parameter: Parameter,
    /// One per value, in the order given.
    pub points: Vec<SweepPoint>,
    /// Where, between consecutive points, the bottleneck or the shadow price changes.
    pub changes: Vec<FrontierChange>,
    /// The base scenario's price ranges, one per resource and period.
    pub ranges: Vec<PriceRange>,
}

/// A change along the frontier between two consecutive points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FrontierChange {
    /// The point before the change (its `at`).
    pub from: f64,
    /// The point after the change (its `at`).
    pub to: f64,
    /// What changed, for people (`bottleneck capacity[eng@q] -> capacity[capital@q]`).
    pub what: String,
}

/// The capacities over which a shadow price holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceRange {
    /// The resource (its id).
    pub resource: String,
    /// The period (its id).
    pub period: String,
    /// The price over the range, per unit of allocatable capacity.
    pub shadow_price: f64,
    /// The scenario's capacity, inside the range.
    pub capacity: f64,
    /// Lowest capacity at which the price still holds.
    pub lower: f64,
    /// Highest capacity at which it still holds; absent when it holds without end.
    pub upper: Option<f64>,
}

/// Why a sweep could not start.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SweepError {
    /// The sweep's own arguments are wrong (each with its path).
    #[error("invalid sweep: {}", .0.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Violation>),
    /// Planning the base failed.
    #[error(transparent)]
    Plan(#[from] PlanError),
}

/// Plans `base` at each value of `parameter` for `resource`.
pub fn sweep(
    base: &Scenario,
    resource: &str,
    parameter: Parameter,
    values: &[f64],
    options: &PlanOptions,
) -> Result<Sweep, SweepError> {
    let r = check(base, resource, parameter, values)?;
    let base_plan = plan(base, options)?;
    let ranges = price_ranges(base, &base_plan, options);
    let n_t = base.periods.len();
    let capacity = expanded_capacity(base, r);
    let mut points: Vec<SweepPoint> = Vec::with_capacity(values.len());
    for &at in values {
        let mut s = base.clone();
        match parameter {
            Parameter::CapacityFactor => {
                s.resources[r].capacity = capacity.iter().map(|c| c * at).collect();
            }
            Parameter::ReserveLevel => s.resources[r].reserve_min = Some(at),
        }
        let reserve_min = s.resources[r].reserve_min.unwrap_or(0.0);
        let keep = 1.0 - reserve_min;
        let cap_here = expanded_capacity(&s, r);
        let allocatable: f64 = cap_here.iter().map(|c| c * keep).sum();
        let mut point = SweepPoint {
            at,
            capacity: cap_here,
            reserve_min,
            error: String::new(),
            status: None,
            objective: 0.0,
            shadow_price: vec![0.0; n_t],
            bottleneck: String::new(),
            marginal_value: None,
            plan: None,
        };
        match plan(&s, options) {
            Ok(p) => {
                point.status = Some(p.status);
                point.objective = p.objective;
                point.shadow_price = p.resources[r].shadow_price.clone();
                point.bottleneck = p
                    .bottlenecks
                    .first()
                    .map(|b| b.constraint.clone())
                    .unwrap_or_default();
                if let Some(prev) = points.last().filter(|q| q.plan.is_some()) {
                    let keep_prev = 1.0 - prev.reserve_min;
                    let prev_alloc: f64 = prev.capacity.iter().map(|c| c * keep_prev).sum();
                    let feasible =
                        |st: Option<Status>| st.is_some_and(|st| st != Status::Infeasible);
                    if (allocatable - prev_alloc).abs() > 1e-12
                        && feasible(prev.status)
                        && feasible(point.status)
                    {
                        point.marginal_value =
                            Some((point.objective - prev.objective) / (allocatable - prev_alloc));
                    }
                }
                point.plan = Some(p);
            }
            Err(e) => point.error = e.to_string(),
        }
        points.push(point);
    }
    let changes = frontier_changes(&points);
    Ok(Sweep {
        resource: resource.to_string(),
        parameter,
        points,
        changes,
        ranges,
    })
}

fn check(
    base: &Scenario,
    resource: &str,
    parameter: Parameter,
    values: &[f64],
) -> Result<usize, SweepError> {
    let mut problems = Vec::new();
    let r = base.resources.iter().position(|x| x.id == resource);
    if r.is_none() {
        problems.push(Violation {
            path: "resource".to_string(),
            message: format!("unknown resource \"{resource}\""),
        });
    }
    if values.is_empty() {
        problems.push(Violation {
            path: "values".to_string(),
            message: "give at least one value".to_string(),
        });
    }
    for (k, &x) in values.iter().enumerate() {
        let ok = match parameter {
            Parameter::CapacityFactor => x.is_finite() && x >= 0.0,
            Parameter::ReserveLevel => (0.0..1.0).contains(&x),
        };
        if !ok {
            let want = match parameter {
                Parameter::CapacityFactor => "a finite factor >= 0",
                Parameter::ReserveLevel => "a level in [0, 1)",
            };
            problems.push(Violation {
                path: format!("values[{k}]"),
                message: format!("must be {want}, got {x}"),
            });
        }
    }
    match (r, problems.is_empty()) {
        (Some(r), true) => Ok(r),
        _ => Err(SweepError::Invalid(problems)),
    }
}

fn expanded_capacity(s: &Scenario, r: usize) -> Vec<f64> {
    let c = &s.resources[r].capacity;
    (0..s.periods.len())
        .map(|t| if c.len() == 1 { c[0] } else { c[t] })
        .collect()
}

fn frontier_changes(points: &[SweepPoint]) -> Vec<FrontierChange> {
    let mut changes = Vec::new();
    for pair in points.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a.plan.is_none() || b.plan.is_none() {
            continue;
        }
        if a.bottleneck != b.bottleneck {
            let name = |s: &str| {
                if s.is_empty() {
                    "none".to_string()
                } else {
                    s.to_string()
                }
            };
            changes.push(FrontierChange {
                from: a.at,
                to: b.at,
                what: format!(
                    "bottleneck {} -> {}",
                    name(&a.bottleneck),
                    name(&b.bottleneck)
                ),
            });
        }
        let differs = a
            .shadow_price
            .iter()
            .zip(&b.shadow_price)
            .any(|(x, y)| (x - y).abs() > 1e-6 * x.abs().max(y.abs()).max(1.0));
        if differs {
            changes.push(FrontierChange {
                from: a.at,
                to: b.at,
                what: format!(
                    "shadow price {} -> {}",
                    listed(&a.shadow_price),
                    listed(&b.shadow_price)
                ),
            });
        }
    }
    changes
}

/// Prices per period for a sentence: `0.36 / 0.44 / 0`.
fn listed(xs: &[f64]) -> String {
    xs.iter()
        .map(|x| format!("{}", (x * 1e4).round() / 1e4))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// For every resource and period of a planned scenario: the capacities over which its
/// shadow price holds. A price of 0 holds from the capacity the plan uses upwards; a
/// positive price is probed by re-solving with that one capacity changed, widening the
/// step until the objective stops moving at that price, then bisecting.
pub fn price_ranges(base: &Scenario, base_plan: &Plan, options: &PlanOptions) -> Vec<PriceRange> {
    if base_plan.status != Status::Optimal {
        return Vec::new();
    }
    // Every probe is the base program with one capacity changed: with HiGHS each
    // re-solves from the previous probe's optimum. Only objectives are read, so which
    // optimum a degenerate probe lands on does not matter.
    let probes = Probes {
        base,
        objective: base_plan.objective,
        options,
        warm: RefCell::new(WarmStart::default()),
    };
    let mut out = Vec::new();
    for (r, res) in base_plan.resources.iter().enumerate() {
        // Share of capacity that may be allocated: prices are per allocatable unit.
        let keep = 1.0 - base.resources[r].reserve_min.unwrap_or(0.0);
        for (t, period) in base.periods.iter().enumerate() {
            let price = res.shadow_price[t];
            let capacity = res.capacity[t];
            let (lower, upper) = if price <= 0.0 {
                ((res.used[t] / keep).min(capacity), None)
            } else {
                probes.range(r, t, price * keep, capacity)
            };
            out.push(PriceRange {
                resource: res.id.clone(),
                period: period.id.clone(),
                shadow_price: price,
                capacity,
                lower,
                upper,
            });
        }
    }
    out
}

/// Re-plans of the base scenario with one capacity changed, each starting from the
/// previous one's solver state.
struct Probes<'a> {
    base: &'a Scenario,
    /// The base plan's objective.
    objective: f64,
    options: &'a PlanOptions,
    warm: RefCell<WarmStart>,
}

impl Probes<'_> {
    /// The range around `capacity` over which the objective moves at `slope` per unit of
    /// capacity (price x share allocatable).
    fn range(&self, r: usize, t: usize, slope: f64, capacity: f64) -> (f64, Option<f64>) {
        let (base, objective, options) = (self.base, self.objective, self.options);
        let solve_at = |c: f64| -> Option<f64> {
            let mut s = base.clone();
            let mut caps = expanded_capacity(base, r);
            caps[t] = c;
            s.resources[r].capacity = caps;
            plan_warm(&s, options, &mut self.warm.borrow_mut())
                .ok()
                .filter(|p| p.status == Status::Optimal)
                .map(|p| p.objective)
        };
        let holds = |delta: f64| -> bool {
            let c = capacity + delta;
            if c < 0.0 {
                return false;
            }
            solve_at(c).is_some_and(|obj| {
                let expected = objective + slope * delta;
                (obj - expected).abs()
                    <= 1e-7 * objective.abs().max(1.0) + 1e-6 * (slope * delta).abs()
            })
        };
        let step = (capacity * 1e-3).max(1e-6);
        let edge = |direction: f64, limit: f64| -> Option<f64> {
            // Widen until the price no longer holds (or the limit is reached).
            let mut good = 0.0;
            let mut bad = None;
            let mut delta = step;
            for _ in 0..40 {
                let d = delta.min(limit);
                if holds(direction * d) {
                    good = d;
                    if d >= limit {
                        break;
                    }
                    delta *= 2.0;
                } else {
                    bad = Some(d);
                    break;
                }
            }
            let mut bad = bad?;
            for _ in 0..30 {
                if bad - good <= 1e-6 * capacity.max(1.0) {
                    break;
                }
                let mid = 0.5 * (good + bad);
                if holds(direction * mid) {
                    good = mid;
                } else {
                    bad = mid;
                }
            }
            Some(good)
        };
        let down = edge(-1.0, capacity).unwrap_or(capacity);
        let up = edge(1.0, f64::INFINITY);
        (capacity - down, up.map(|u| capacity + u))
    }
}
