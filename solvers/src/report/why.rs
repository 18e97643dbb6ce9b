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

/// weight_t x the left derivative of f_i at `x`: the `perUnit` of the segment the
/// last unit filled (at a breakpoint, the segment that ends there); the right
/// derivative at 0.
pub fn marginal_value_before(model: &Model, i: usize, t: usize, x: f64) -> f64 {
    let mut start = 0.0;
    for slice in &model.curves[i] {
        let end = start + slice.len;
        if x > start && !at(x, start) && (x < end || at(x, end)) {
            return model.weight[t] * slice.per_unit;
        }
        start = end;
    }
    marginal_value(model, i, t, x)
}

/// A scenario's value curves as the plan reads them, for a caller that explains a
/// plan's activities in words (the CLI's "why" column says what the last unit earned).
pub struct ValueCurves(Model);

impl ValueCurves {
    /// The curves of a valid scenario (its weights and segments, defaults applied).
    pub fn of(scenario: &crate::Scenario) -> ValueCurves {
        ValueCurves(Model::new(scenario))
    }

    /// What the last unit of `activity` earns initiative `initiative` (an index into
    /// the scenario's initiatives) in period `period`: weight x the `perUnit` of the
    /// segment it filled; at a breakpoint the segment that ends there, at 0 the first.
    pub fn value_of_last_unit(&self, initiative: usize, period: usize, activity: f64) -> f64 {
        marginal_value_before(&self.0, initiative, period, activity)
    }
}

/// Which way the initiative would move at the last period if only its value, its
/// resources' prices and its move cost counted.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Pull {
    /// The next unit earns more than its resources cost: by `gap` a unit.
    Up { gap: f64 },
    /// The last unit earns less than its resources cost: by `gap` a unit.
    Down { gap: f64 },
    /// Earns what its resources are worth, or its curve bends where the price lies
    /// (the next unit earns less than they cost, the last one more).
    Balanced,
}

/// What holds initiative `i` in the last period of plan `a` at prices `prices`.
struct Reading<'a> {
    model: &'a Model,
    a: &'a Array2<f64>,
    i: usize,
    t: usize,
    x: f64,
    before: f64,
}

impl Reading<'_> {
    fn new<'a>(model: &'a Model, a: &'a Array2<f64>, i: usize) -> Option<Reading<'a>> {
        let t = model.periods().checked_sub(1)?;
        let before = if t == 0 {
            model.current[i]
        } else {
            a[[i, t - 1]]
        };
        Some(Reading {
            model,
            a,
            i,
            t,
            x: a[[i, t]],
            before,
        })
    }

    fn name(&self, kind: RowKind) -> String {
        self.model.row_name(kind)
    }

    fn group_use(&self, g: usize) -> f64 {
        let group = &self.model.groups[g];
        group
            .members
            .iter()
            .map(|&k| self.model.requirements[[k, group.resource]] * self.a[[k, self.t]])
            .sum()
    }

    fn member(&self, g: usize) -> bool {
        let group = &self.model.groups[g];
        group.members.contains(&self.i) && self.model.requirements[[self.i, group.resource]] > 0.0
    }

    /// A churn row of a resource it uses, tight in the last period.
    fn churn(&self) -> Option<String> {
        let (m, t) = (self.model, self.t);
        (0..m.resources()).find_map(|r| {
            let limit = m.churn_limit[r].as_ref()?;
            if m.requirements[[self.i, r]] <= 0.0 {
                return None;
            }
            let churn: f64 = (0..m.initiatives())
                .map(|k| {
                    let prev = if t == 0 {
                        m.current[k]
                    } else {
                        self.a[[k, t - 1]]
                    };
                    m.requirements[[k, r]] * (self.a[[k, t]] - prev).abs()
                })
                .sum();
            at(churn, limit[t]).then(|| self.name(RowKind::Churn { r, t }))
        })
    }

    /// Its own tight row that stops it rising.
    fn blocks_rise(&self) -> Option<String> {
        let (m, i, t, x) = (self.model, self.i, self.t, self.x);
        if at(x, m.hi[i]) {
            return Some(self.name(RowKind::Max { i, t }));
        }
        if m.ramp_up[i].is_some_and(|up| at(x - self.before, up)) {
            return Some(self.name(RowKind::RampUp { i, t }));
        }
        for (link, l) in m.links.iter().enumerate() {
            if l.initiative == i && at(x, l.ratio * self.a[[l.requires, t]]) {
                return Some(self.name(RowKind::Dependency { link, t }));
            }
        }
        for (g, group) in m.groups.iter().enumerate() {
            if self.member(g) && group.max.is_some_and(|max| at(self.group_use(g), max)) {
                return Some(self.name(RowKind::GroupMax { g, t }));
            }
        }
        None
    }

    /// Its own tight row that stops it falling (a floor of 0 is none: it is stopped).
    fn blocks_fall(&self) -> Option<String> {
        let (m, i, t, x) = (self.model, self.i, self.t, self.x);
        if m.lo[i] > 0.0 && at(x, m.lo[i]) {
            return Some(self.name(RowKind::Min { i, t }));
        }
        if m.ramp_down[i].is_some_and(|down| at(self.before - x, down)) {
            return Some(self.name(RowKind::RampDown { i, t }));
        }
        for (link, l) in m.links.iter().enumerate() {
            let needer = self.a[[l.initiative, t]];
            if l.requires == i && needer > 0.0 && at(needer, l.ratio * x) {
                return Some(self.name(RowKind::Dependency { link, t }));
            }
        }
        for (g, group) in m.groups.iter().enumerate() {
            if self.member(g) && group.min.is_some_and(|min| at(self.group_use(g), min)) {
                return Some(self.name(RowKind::GroupMin { g, t }));
            }
        }
        None
    }

    /// Whole units (no prices): a resource without room for one more unit.
    fn no_room(&self) -> Option<String> {
        let (m, i, t) = (self.model, self.i, self.t);
        if !m.integral.iter().any(|&w| w) {
            return None;
        }
        let step = if m.integral[i] { 1.0 } else { 0.0 };
        (0..m.resources()).find_map(|r| {
            let units = m.requirements[[i, r]];
            let used: f64 = (0..m.initiatives())
                .map(|k| m.requirements[[k, r]] * self.a[[k, t]])
                .sum();
            let allocatable = m.allocatable[[r, t]];
            let full = at(used, allocatable)
                || allocatable - used < step * units - TIGHT * allocatable.abs().max(1.0);
            (units > 0.0 && full).then(|| self.name(RowKind::Capacity { r, t }))
        })
    }

    /// A move cost explains a gap of at most its own cost per unit, and only where
    /// the initiative did not move that way.
    fn move_cost(&self, gap: f64, rising: bool) -> Option<String> {
        let mc = self.model.move_cost[self.i];
        let still = if rising {
            self.x <= self.before + TIGHT * self.before.abs().max(1.0)
        } else {
            self.x >= self.before - TIGHT * self.before.abs().max(1.0)
        };
        (mc > 0.0 && still && gap <= mc * (1.0 + TIGHT)).then(|| "moveCost".to_string())
    }

    /// For an initiative in a tier, the row that keeps its tier's value in the final
    /// stage (`tier[1]`): it prices the initiative besides its resources.
    fn tier(&self) -> Option<String> {
        match self.model.tier[self.i] {
            0 => None,
            tier => Some(self.name(RowKind::Tier { tier })),
        }
    }
}

/// The constraint that holds initiative `i` where the plan leaves it in the last
/// period, rising (`rising`) or falling; None when nothing of its own does. Read off
/// any plan of the scenario (`explain` reads it at extreme values).
pub fn holding_row(model: &Model, a: &Array2<f64>, i: usize, rising: bool) -> Option<String> {
    let reading = Reading::new(model, a, i)?;
    if rising {
        reading
            .blocks_rise()
            .or_else(|| reading.churn())
            .or_else(|| reading.no_room())
            .or_else(|| reading.tier())
    } else {
        reading
            .blocks_fall()
            .or_else(|| reading.churn())
            .or_else(|| reading.tier())
    }
}

/// The constraint that holds initiative `i` at its last-period level against the pull
/// of value, prices and its move cost; empty when those explain it (or, stopped,
/// nothing holds it up). A whole-unit plan has no prices, so an initiative that earns
/// anything pulls up, and a resource without room for one more unit can be what
/// holds it.
pub fn held_by(model: &Model, a: &Array2<f64>, prices: &Array2<f64>, i: usize) -> String {
    let Some(r) = Reading::new(model, a, i) else {
        return String::new();
    };
    let t = r.t;
    let after = marginal_value(model, i, t, r.x);
    let before = marginal_value_before(model, i, t, r.x);
    let costs = resource_cost(model, prices, i, t);
    let tol = |v: f64| TIGHT * v.abs().max(costs.abs()).max(1e-300);
    let pull = if after - costs > tol(after) {
        Pull::Up { gap: after - costs }
    } else if costs - before > tol(before) {
        Pull::Down {
            gap: costs - before,
        }
    } else {
        Pull::Balanced
    };
    let found = match pull {
        // Earning what its resources are worth can be a degenerate price's doing (the
        // price set by this very initiative at a bound): a tight row of its own is
        // still the better reason.
        Pull::Balanced => r.blocks_rise().or_else(|| r.blocks_fall()),
        Pull::Up { gap } => r
            .blocks_rise()
            .or_else(|| r.churn())
            .or_else(|| r.move_cost(gap, true))
            .or_else(|| r.no_room())
            .or_else(|| r.tier()),
        Pull::Down { gap } => {
            // Stopped with no floor: nothing holds it up.
            let level = if model.hi[i].is_finite() {
                model.hi[i]
            } else {
                0.0
            };
            let scale = level.max(model.current[i]).max(r.before.abs());
            if r.x <= TIGHT * scale && model.lo[i] <= 0.0 {
                None
            } else {
                r.blocks_fall()
                    .or_else(|| r.churn())
                    .or_else(|| r.move_cost(gap, false))
                    .or_else(|| r.tier())
            }
        }
    };
    found.unwrap_or_default()
}
