//! Why each initiative sits where the plan puts it: what one more unit would earn
//! (`marginalValue`) against what its resources are worth at the plan's prices
//! (`resourceCost`), and, where those two alone do not explain the end-of-horizon
//! level, the initiative's own constraint that holds it (`heldBy`).
//!
//! At an optimum of the LP, an initiative strictly inside its bounds and free of ramp,
//! move-cost, group and dependency rows has marginalValue = resourceCost (off a kink
//! of its curve); one that wants more than it gets (marginalValue > resourceCost) is
//! held by a row that stops it rising, one that costs more than it earns is held by a
//! row that stops it falling. Everything here is read from the activities, the
//! prices and the model, never from solver internals, so both builds say the same.

use crate::lp::RowKind;
use crate::model::Model;
use ndarray::Array2;

/// Relative tolerance for "at a bound" and "equal".
const TIGHT: f64 = 1e-7;

fn at(x: f64, bound: f64) -> bool {
    bound.is_finite() && (x - bound).abs() <= TIGHT * bound.abs().max(1.0)
}

/// weight_t x the right derivative of f_i at `x`: the `perUnit` of the segment the
/// next unit would fill; 0 at or past the end of the curve, and 0 without segments.
pub fn marginal_value(model: &Model, i: usize, t: usize, x: f64) -> f64 {
    let mut start = 0.0;
    for slice in &model.curves[i] {
        let end = start + slice.len;
        // A level within round-off of a breakpoint is at it: the next unit fills the
        // next segment.
        if x < end && !at(x, end) {
            return model.weight[t] * slice.per_unit;
        }
        start = end;
    }
    0.0
}

/// sum_r A[i,r] x price[r,t].
pub fn resource_cost(model: &Model, prices: &Array2<f64>, i: usize, t: usize) -> f64 {
    (0..model.resources())
        .map(|r| model.requirements[[i, r]] * prices[[r, t]])
        .sum()
}

/// Which way the initiative would move at the last period if only value and prices
/// counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pull {
    Up,
    Down,
    /// Earns what its resources are worth: the prices explain it.
    Balanced,
}

/// The constraint that holds initiative `i` at its last-period level against the pull
/// of value and prices; empty when the prices explain it (or, stopped, nothing holds
/// it up). A whole-unit plan has no prices, so an initiative that earns anything pulls
/// up, and a full resource can be what holds it.
pub fn held_by(model: &Model, a: &Array2<f64>, prices: &Array2<f64>, i: usize) -> String {
    let n_t = model.periods();
    if n_t == 0 {
        return String::new();
    }
    let t = n_t - 1;
    let x = a[[i, t]];
    let earns = marginal_value(model, i, t, x);
    let costs = resource_cost(model, prices, i, t);
    let scale = earns.abs().max(costs.abs()).max(1e-300);
    let pull = if earns - costs > TIGHT * scale {
        Pull::Up
    } else if costs - earns > TIGHT * scale {
        Pull::Down
    } else {
        Pull::Balanced
    };
    let before = if t == 0 {
        model.current[i]
    } else {
        a[[i, t - 1]]
    };
    let name = |kind| model.row_name(kind);
    let used = |r: usize, period: usize| -> f64 {
        (0..model.initiatives())
            .map(|k| model.requirements[[k, r]] * a[[k, period]])
            .sum()
    };
    let group_use = |g: usize| -> f64 {
        let group = &model.groups[g];
        group
            .members
            .iter()
            .map(|&k| model.requirements[[k, group.resource]] * a[[k, t]])
            .sum()
    };
    let churn_tight = |r: usize| -> bool {
        model.churn_limit[r].as_ref().is_some_and(|limit| {
            let churn: f64 = (0..model.initiatives())
                .map(|k| {
                    let prev = if t == 0 {
                        model.current[k]
                    } else {
                        a[[k, t - 1]]
                    };
                    model.requirements[[k, r]] * (a[[k, t]] - prev).abs()
                })
                .sum();
            at(churn, limit[t])
        })
    };
    // Rows that stop it rising, and rows that stop it falling, tight at the plan.
    let blocks_rise = || -> Option<String> {
        if at(x, model.hi[i]) {
            return Some(name(RowKind::Max { i, t }));
        }
        if model.ramp_up[i].is_some_and(|up| at(x - before, up)) {
            return Some(name(RowKind::RampUp { i, t }));
        }
        for (link, l) in model.links.iter().enumerate() {
            if l.initiative == i && at(x, l.ratio * a[[l.requires, t]]) {
                return Some(name(RowKind::Dependency { link, t }));
            }
        }
        for (g, group) in model.groups.iter().enumerate() {
            let member =
                group.members.contains(&i) && model.requirements[[i, group.resource]] > 0.0;
            if member && group.max.is_some_and(|max| at(group_use(g), max)) {
                return Some(name(RowKind::GroupMax { g, t }));
            }
        }
        None
    };
    let blocks_fall = || -> Option<String> {
        // A floor of 0 is no reason: the initiative is simply stopped.
        if model.lo[i] > 0.0 && at(x, model.lo[i]) {
            return Some(name(RowKind::Min { i, t }));
        }
        if model.ramp_down[i].is_some_and(|down| at(before - x, down)) {
            return Some(name(RowKind::RampDown { i, t }));
        }
        for (link, l) in model.links.iter().enumerate() {
            if l.requires == i
                && a[[l.initiative, t]] > 0.0
                && at(a[[l.initiative, t]], l.ratio * x)
            {
                return Some(name(RowKind::Dependency { link, t }));
            }
        }
        for (g, group) in model.groups.iter().enumerate() {
            let member =
                group.members.contains(&i) && model.requirements[[i, group.resource]] > 0.0;
            if member && group.min.is_some_and(|min| at(group_use(g), min)) {
                return Some(name(RowKind::GroupMin { g, t }));
            }
        }
        None
    };
    match pull {
        // Earning what its resources are worth can be a degenerate price's doing (the
        // price set by this very initiative at a bound): a tight row of its own is
        // still the better reason.
        Pull::Balanced => blocks_rise().or_else(blocks_fall).unwrap_or_default(),
        Pull::Up => {
            if let Some(row) = blocks_rise() {
                return row;
            }
            for r in 0..model.resources() {
                if model.requirements[[i, r]] > 0.0 && churn_tight(r) {
                    return name(RowKind::Churn { r, t });
                }
            }
            if model.move_cost[i] > 0.0 && x <= before + TIGHT * before.abs().max(1.0) {
                return "moveCost".to_string();
            }
            // Whole units: no prices, so a resource without room for one more unit
            // (of this initiative, or a fraction of one for a continuous initiative
            // in a whole-unit plan) is what stops it.
            if model.integral.iter().any(|&w| w) {
                let step = if model.integral[i] { 1.0 } else { 0.0 };
                for r in 0..model.resources() {
                    let units = model.requirements[[i, r]];
                    let room = model.allocatable[[r, t]] - used(r, t);
                    if units > 0.0
                        && (room < step * units - TIGHT * model.allocatable[[r, t]].abs().max(1.0)
                            || at(used(r, t), model.allocatable[[r, t]]))
                    {
                        return name(RowKind::Capacity { r, t });
                    }
                }
            }
            tier_row(model, i)
        }
        Pull::Down => {
            // Stopped: nothing holds it up.
            let level = if model.hi[i].is_finite() {
                model.hi[i]
            } else {
                0.0
            };
            let scale = level.max(model.current[i]).max(before.abs());
            if x <= TIGHT * scale && model.lo[i] <= 0.0 {
                return String::new();
            }
            if let Some(row) = blocks_fall() {
                return row;
            }
            for r in 0..model.resources() {
                if model.requirements[[i, r]] > 0.0 && churn_tight(r) {
                    return name(RowKind::Churn { r, t });
                }
            }
            if model.move_cost[i] > 0.0 && x >= before - TIGHT * before.abs().max(1.0) && x > 0.0 {
                return "moveCost".to_string();
            }
            if x > 0.0 {
                tier_row(model, i)
            } else {
                String::new()
            }
        }
    }
}

/// For an initiative in a tier, the row that keeps its tier's value in the final
/// stage (`tier[1]`): it prices the initiative besides its resources.
fn tier_row(model: &Model, i: usize) -> String {
    match model.tier[i] {
        0 => String::new(),
        tier => model.row_name(RowKind::Tier { tier }),
    }
}
