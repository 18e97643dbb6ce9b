//! Plan reporting: everything a plan says, evaluated from its activities.
//!
//! Value, move cost and the baseline are recomputed from a[i,t] and the scenario,
//! never read from solver internals, so a plan means the same whichever backend or
//! formulation produced it.

pub mod moves;
pub mod plan;
pub mod why;

use crate::model::Model;
use crate::report::moves::moves;
use crate::report::plan::{
    Baseline, Bottleneck, Change, InitiativePlan, Plan, Relaxation, ResourcePlan, SolverStats,
    Status,
};
use ndarray::{Array2, Axis};

/// How the activities were found, for the plan's `solver` block.
#[derive(Debug, Clone)]
pub struct Provenance {
    pub status: Status,
    pub solver: String,
    pub seconds: f64,
    pub variables: usize,
    pub constraints: usize,
    pub stages: u32,
    /// The best proven bound on the final stage's objective; None for an LP or an
    /// INFEASIBLE plan (bound = objective, or 0).
    pub bound: Option<f64>,
    /// A stopped search may count as OPTIMAL when its gap is within `policy.mipGap`;
    /// not when an earlier tier's search was stopped.
    pub may_promote: bool,
}

/// A relative gap this small is the round-off of re-evaluating the objective.
const ROUND_OFF: f64 = 1e-12;

/// The plan of activities `a[i,t]` with capacity shadow prices `price[r,t]`.
///
/// Long because it assembles the whole answer, field by field of `Plan`; each
/// number is computed by its own function.
pub fn plan(
    model: &Model,
    activities: &Array2<f64>,
    shadow_prices: &Array2<f64>,
    diagnosis: Vec<Relaxation>,
    provenance: Provenance,
) -> Plan {
    let value = value(model, activities);
    let move_cost = move_cost(model, activities);
    // used[r,t] = sum_i A[i,r] * a[i,t]
    let used = model.requirements.t().dot(activities);
    let resources = (0..model.resources())
        .map(|r| ResourcePlan {
            id: model.resource_ids[r].clone(),
            used: used.row(r).to_vec(),
            reserve: (&model.capacity.row(r) - &used.row(r)).to_vec(),
            capacity: model.capacity.row(r).to_vec(),
            shadow_price: shadow_prices.row(r).to_vec(),
        })
        .collect();
    let infeasible = provenance.status == Status::Infeasible;
    let initiatives = (0..model.initiatives())
        .map(|i| {
            let activity = activities.row(i).to_vec();
            let end = activity.last().copied().unwrap_or(model.current[i]);
            let marginal_value = (0..model.periods())
                .map(|t| why::marginal_value(model, i, t, activities[[i, t]]))
                .collect();
            let resource_cost = (0..model.periods())
                .map(|t| why::resource_cost(model, shadow_prices, i, t))
                .collect();
            InitiativePlan {
                id: model.initiative_ids[i].clone(),
                change: change(model.current[i], end),
                activity,
                marginal_value,
                resource_cost,
                // The status quo of an infeasible scenario is held by nothing: it is no plan.
                held_by: if infeasible {
                    String::new()
                } else {
                    why::held_by(model, activities, shadow_prices, i)
                },
            }
        })
        .collect();
    let objective = value - move_cost;
    let (bound, gap) = match (provenance.status, provenance.bound) {
        (Status::Infeasible, _) => (0.0, 0.0),
        (_, None) => (objective, 0.0),
        // A bound within round-off of the objective (either side) proves it.
        (_, Some(bound)) => {
            let gap = (bound - objective) / objective.abs().max(1.0);
            if gap <= ROUND_OFF {
                (objective, 0.0)
            } else {
                (bound, gap)
            }
        }
    };
    let status = match provenance.status {
        Status::Feasible
            if gap <= model.mip_gap && provenance.bound.is_some() && provenance.may_promote =>
        {
            Status::Optimal
        }
        Status::Optimal if gap > model.mip_gap => Status::Feasible,
        status => status,
    };
    Plan {
        status,
        objective,
        value,
        move_cost,
        baseline: baseline(model),
        initiatives,
        resources,
        moves: moves(model, activities),
        bottlenecks: bottlenecks(model, shadow_prices, objective),
        diagnosis,
        solver: SolverStats {
            name: provenance.solver,
            seconds: provenance.seconds,
            variables: provenance.variables as u32,
            constraints: provenance.constraints as u32,
            stages: provenance.stages,
            bound,
            gap,
        },
    }
}

/// Every initiative held at its current activity in every period.
pub fn status_quo(model: &Model) -> Array2<f64> {
    let current = model.current.view().insert_axis(Axis(1));
    current
        .broadcast((model.initiatives(), model.periods()))
        .expect("a column broadcasts across periods")
        .to_owned()
}

/// sum_t weight_t * sum_i f_i(a[i,t]).
pub fn value(model: &Model, activities: &Array2<f64>) -> f64 {
    let mut total = 0.0;
    for t in 0..model.periods() {
        let period: f64 = (0..model.initiatives())
            .map(|i| model.value_at(i, activities[[i, t]]))
            .sum();
        total += model.weight[t] * period;
    }
    total
}

/// sum_t sum_i mc_i * |a[i,t] - a[i,t-1]|, with a[i,0] = current.
pub fn move_cost(model: &Model, activities: &Array2<f64>) -> f64 {
    let mut total = 0.0;
    for i in 0..model.initiatives() {
        if model.move_cost[i] == 0.0 {
            continue;
        }
        let mut before = model.current[i];
        for t in 0..model.periods() {
            let a = activities[[i, t]];
            total += model.move_cost[i] * (a - before).abs();
            before = a;
        }
    }
    total
}

/// The first rule that applies: STOP, HOLD, GROW, else SHRINK.
pub fn change(current: f64, end: f64) -> Change {
    let eps = 1e-6 * current.max(1.0);
    if current > eps && end <= eps {
        Change::Stop
    } else if (end - current).abs() <= eps {
        Change::Hold
    } else if end > current {
        Change::Grow
    } else {
        Change::Shrink
    }
}

/// `capacity` rows whose one more percent is worth more than 1e-9 x max(1,
/// |objective|), largest `valueOfOnePercent` first, ties by name: prices per unit do
/// not compare across units (per FTE, per USD), a percent of capacity does.
fn bottlenecks(model: &Model, shadow_prices: &Array2<f64>, objective: f64) -> Vec<Bottleneck> {
    let threshold = 1e-9 * objective.abs().max(1.0);
    let mut list: Vec<Bottleneck> = shadow_prices
        .indexed_iter()
        .map(|((r, t), &price)| Bottleneck {
            constraint: model.row_name(crate::lp::RowKind::Capacity { r, t }),
            shadow_price: price,
            value_of_one_percent: price * model.allocatable[[r, t]] / 100.0,
        })
        .filter(|b| b.value_of_one_percent > threshold)
        .collect();
    list.sort_by(|x, y| {
        y.value_of_one_percent
            .total_cmp(&x.value_of_one_percent)
            .then_with(|| x.constraint.cmp(&y.constraint))
    });
    list
}

/// The status quo, and the constraints it breaks.
pub fn baseline(model: &Model) -> Baseline {
    let a = status_quo(model);
    let violations = violations(model, &a);
    Baseline {
        feasible: violations.is_empty(),
        value: value(model, &a),
        violations,
    }
}

/// Names of the constraints activities `a` break, in the model document's order.
///
/// Long because it checks every constraint family of the model document in turn,
/// each a short loop (the order of the names is the document's).
pub fn violations(model: &Model, a: &Array2<f64>) -> Vec<String> {
    use crate::lp::RowKind::*;
    let broken_le = |lhs: f64, rhs: f64| lhs > rhs + 1e-9 * rhs.abs().max(1.0);
    let mut out = Vec::new();
    let (n_i, n_r, n_t) = (model.initiatives(), model.resources(), model.periods());
    let used = model.requirements.t().dot(a);
    for r in 0..n_r {
        for t in 0..n_t {
            if broken_le(used[[r, t]], model.allocatable[[r, t]]) {
                out.push(model.row_name(Capacity { r, t }));
            }
        }
    }
    for i in 0..n_i {
        for t in 0..n_t {
            if broken_le(model.lo[i], a[[i, t]]) {
                out.push(model.row_name(Min { i, t }));
            }
        }
    }
    for i in 0..n_i {
        for t in 0..n_t {
            if broken_le(a[[i, t]], model.hi[i]) {
                out.push(model.row_name(Max { i, t }));
            }
        }
    }
    let before = |i: usize, t: usize| {
        if t == 0 {
            model.current[i]
        } else {
            a[[i, t - 1]]
        }
    };
    for i in 0..n_i {
        for t in 0..n_t {
            let delta = a[[i, t]] - before(i, t);
            if model.ramp_up[i].is_some_and(|up| broken_le(delta, up)) {
                out.push(model.row_name(RampUp { i, t }));
            }
            if model.ramp_down[i].is_some_and(|down| broken_le(-delta, down)) {
                out.push(model.row_name(RampDown { i, t }));
            }
        }
    }
    for r in 0..n_r {
        if let Some(limit) = &model.churn_limit[r] {
            for t in 0..n_t {
                let churn: f64 = (0..n_i)
                    .map(|i| model.requirements[[i, r]] * (a[[i, t]] - before(i, t)).abs())
                    .sum();
                if broken_le(churn, limit[t]) {
                    out.push(model.row_name(Churn { r, t }));
                }
            }
        }
    }
    for (g, group) in model.groups.iter().enumerate() {
        for t in 0..n_t {
            let total: f64 = group
                .members
                .iter()
                .map(|&i| model.requirements[[i, group.resource]] * a[[i, t]])
                .sum();
            if group.min.is_some_and(|min| broken_le(min, total)) {
                out.push(model.row_name(GroupMin { g, t }));
            }
            if group.max.is_some_and(|max| broken_le(total, max)) {
                out.push(model.row_name(GroupMax { g, t }));
            }
        }
    }
    for (k, link) in model.links.iter().enumerate() {
        for t in 0..n_t {
            if broken_le(a[[link.initiative, t]], link.ratio * a[[link.requires, t]]) {
                out.push(model.row_name(Dependency { link: k, t }));
            }
        }
    }
    for i in (0..n_i).filter(|&i| model.integral[i]) {
        for t in 0..n_t {
            let x = a[[i, t]];
            if (x - x.round()).abs() > 1e-9 * x.abs().max(1.0) {
                out.push(format!(
                    "integral[{}@{}]",
                    model.initiative_ids[i], model.period_ids[t]
                ));
            }
        }
    }
    out
}
