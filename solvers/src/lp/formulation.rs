//! The linear program of the model document, built from a [`Model`].
//!
//! Columns: activity a[i,t]; segment fills s[i,t,k] (none for an initiative with a
//! single segment: its a[i,t] is the fill, capped at the segment's length); and
//! up[i,t], down[i,t] only where a ramp limit, a move cost or a churn limit needs
//! them (an `up`/`down` pair that nothing bounds or prices is an unbounded optimal
//! face for an interior-point solver). Floors, caps and ramp limits are column bounds
//! here; the elastic diagnosis turns them into rows it can relax. For Clarabel, the
//! bounds other rows imply are dropped ([`Formulation::drop_implied_bounds`]).

use crate::lp::{Cmp, LinearProgram, RowKind, Sense};
use crate::model::Model;
use ndarray::Array2;

/// Where the model's variables sit among the program's columns.
#[derive(Debug, Clone)]
pub struct Columns {
    /// a[i,t]
    pub activity: Array2<usize>,
    /// s[i,t,k] is column `segment_first[i,t] + k`.
    pub segment_first: Array2<usize>,
    /// (up[i,t], down[i,t]) where the initiative has them.
    pub flow: Array2<Option<(usize, usize)>>,
}

/// The program of one scenario, ready for its stages.
#[derive(Debug, Clone)]
pub struct Formulation {
    pub lp: LinearProgram,
    pub columns: Columns,
    /// Row of `capacity[r@t]`, where any initiative uses r.
    pub capacity_rows: Array2<Option<usize>>,
    /// The bounds every a[i,t] must end within (lo_i, and hi_i or its cap), which
    /// the columns themselves may omit where other rows imply them.
    pub activity_bounds: Vec<(f64, f64)>,
    /// The model's `end_cap`: a bound on the last period's activity alone.
    pub end_caps: Vec<f64>,
}

/// What a stage maximises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The value of one tier's initiatives only.
    Tier(u32),
    /// Value less move cost, over everything.
    Final,
}

/// Adds a[i,t] and, where `needs_flow(i)`, up[i,t] and down[i,t] columns, with the
/// bounds each of the two programs (plan and diagnosis) chooses.
pub fn add_activity_columns(
    lp: &mut LinearProgram,
    model: &Model,
    activity_bounds: impl Fn(usize) -> (f64, f64),
    needs_flow: impl Fn(usize) -> bool,
    flow_bounds: impl Fn(usize) -> (f64, f64),
) -> (Array2<usize>, Array2<Option<(usize, usize)>>) {
    let (n_i, n_t) = (model.initiatives(), model.periods());
    let mut activity = Array2::zeros((n_i, n_t));
    let mut flow = Array2::from_elem((n_i, n_t), None);
    for i in 0..n_i {
        let (lo, hi) = activity_bounds(i);
        let with_flow = needs_flow(i);
        let (up_max, down_max) = flow_bounds(i);
        for t in 0..n_t {
            let a = lp.column(lo, hi, 0.0);
            lp.columns[a].integer = model.integral[i];
            activity[[i, t]] = a;
            if with_flow {
                let up = lp.column(0.0, up_max, 0.0);
                let down = lp.column(0.0, down_max, 0.0);
                flow[[i, t]] = Some((up, down));
            }
        }
    }
    (activity, flow)
}

/// Rows the plan and the diagnosis share unchanged: `flow` and `dependency`.
pub fn add_structural_rows(
    lp: &mut LinearProgram,
    model: &Model,
    activity: &Array2<usize>,
    flow: &Array2<Option<(usize, usize)>>,
) {
    for i in 0..model.initiatives() {
        for t in 0..model.periods() {
            if let Some((up, down)) = flow[[i, t]] {
                // a[i,t] - a[i,t-1] - up + down = 0, with a[i,0] = current.
                let mut terms = vec![(activity[[i, t]], 1.0), (up, -1.0), (down, 1.0)];
                let rhs = if t == 0 {
                    model.current[i]
                } else {
                    terms.push((activity[[i, t - 1]], -1.0));
                    0.0
                };
                lp.row(RowKind::Flow { i, t }, terms, Cmp::Eq, rhs);
            }
        }
    }
    for (k, link) in model.links.iter().enumerate() {
        for t in 0..model.periods() {
            let terms = vec![
                (activity[[link.initiative, t]], 1.0),
                (activity[[link.requires, t]], -link.ratio),
            ];
            lp.row(RowKind::Dependency { link: k, t }, terms, Cmp::Le, 0.0);
        }
    }
}

/// sum_i A[i,r] * a[i,t]: the terms of resource r's use in period t.
pub fn use_terms(model: &Model, activity: &Array2<usize>, r: usize, t: usize) -> Vec<(usize, f64)> {
    (0..model.initiatives())
        .filter(|&i| model.requirements[[i, r]] > 0.0)
        .map(|i| (activity[[i, t]], model.requirements[[i, r]]))
        .collect()
}

/// sum_(i in g) A[i,resource_g] * a[i,t].
pub fn group_terms(
    model: &Model,
    activity: &Array2<usize>,
    g: usize,
    t: usize,
) -> Vec<(usize, f64)> {
    let group = &model.groups[g];
    group
        .members
        .iter()
        .filter(|&&i| model.requirements[[i, group.resource]] > 0.0)
        .map(|&i| (activity[[i, t]], model.requirements[[i, group.resource]]))
        .collect()
}

/// sum_i A[i,r] * (up[i,t] + down[i,t]).
pub fn churn_terms(
    model: &Model,
    flow: &Array2<Option<(usize, usize)>>,
    r: usize,
    t: usize,
) -> Vec<(usize, f64)> {
    let mut terms = Vec::new();
    for i in 0..model.initiatives() {
        let a = model.requirements[[i, r]];
        if let (true, Some((up, down))) = (a > 0.0, flow[[i, t]]) {
            terms.push((up, a));
            terms.push((down, a));
        }
    }
    terms
}

impl Formulation {
    /// The plan's program, with the final stage's objective. An initiative with a
    /// single value segment uses a[i,t] as its fill (no column, no row for it).
    pub fn new(model: &Model) -> Formulation {
        let mut lp = LinearProgram::new(Sense::Maximise);
        let free_cap = model.free_activity_cap();
        let activity_bounds: Vec<(f64, f64)> = (0..model.initiatives())
            .map(|i| {
                let mut hi = free_cap[i].map_or(model.hi[i], |c| c.min(model.hi[i]));
                if fills_itself(model, i) {
                    hi = hi.min(model.curves[i][0].len);
                }
                (model.lo[i], hi)
            })
            .collect();
        let (activity, flow) = add_activity_columns(
            &mut lp,
            model,
            |i| activity_bounds[i],
            |i| model.has_ramp(i) || model.move_cost[i] > 0.0 || model.churn_applies(i),
            |i| {
                (
                    model.ramp_up[i].unwrap_or(f64::INFINITY),
                    model.ramp_down[i].unwrap_or(f64::INFINITY),
                )
            },
        );

        let segment_first = add_segment_columns(&mut lp, model, &activity);
        let capacity_rows = add_capacity_rows(&mut lp, model, &activity);
        add_segment_rows(&mut lp, model, &activity, &segment_first);
        add_structural_rows(&mut lp, model, &activity, &flow);
        add_churn_and_group_rows(&mut lp, model, &activity, &flow);

        let mut formulation = Formulation {
            lp,
            columns: Columns {
                activity,
                segment_first,
                flow,
            },
            capacity_rows,
            activity_bounds,
            end_caps: model.end_cap.to_vec(),
        };
        formulation.apply_end_caps(model);
        formulation.set_objective(model, Stage::Final);
        formulation
    }

    /// The last period's activity within its `end_cap`, where a caller set one.
    fn apply_end_caps(&mut self, model: &Model) {
        let Some(last) = model.periods().checked_sub(1) else {
            return;
        };
        for i in 0..model.initiatives() {
            let cap = model.end_cap[i];
            if cap.is_finite() {
                let column = &mut self.lp.columns[self.columns.activity[[i, last]]];
                column.upper = column.upper.min(cap);
            }
        }
    }

    /// Drops the activity bounds that other rows already imply, for an interior-point
    /// solver, to which every bound is a row (measured on the generated medium
    /// scenario: 9% faster with Clarabel; a simplex, which keeps bounds for free, was
    /// slower without them on most sizes, see BENCHMARKS.md).
    pub fn drop_implied_bounds(&mut self, model: &Model) {
        for ((i, _), &col) in self.columns.activity.indexed_iter() {
            let (lower, upper) = lean_activity_bounds(model, i, self.activity_bounds[i]);
            let column = &mut self.lp.columns[col];
            column.lower = lower;
            column.upper = upper;
        }
        self.apply_end_caps(model);
    }

    /// Points the objective at a stage.
    pub fn set_objective(&mut self, model: &Model, stage: Stage) {
        for c in &mut self.lp.columns {
            c.objective = 0.0;
        }
        for (k, coef) in self.value_terms(model, |i| match stage {
            Stage::Tier(tier) => model.tier[i] == tier,
            Stage::Final => true,
        }) {
            self.lp.columns[k].objective = coef;
        }
        if stage == Stage::Final {
            for ((i, _), f) in self.columns.flow.indexed_iter() {
                if let Some((up, down)) = *f {
                    self.lp.columns[up].objective = -model.move_cost[i];
                    self.lp.columns[down].objective = -model.move_cost[i];
                }
            }
        }
    }

    /// weight_t * perUnit_k on s[i,t,k], for the initiatives `include` picks.
    pub fn value_terms(&self, model: &Model, include: impl Fn(usize) -> bool) -> Vec<(usize, f64)> {
        let mut terms = Vec::new();
        for i in (0..model.initiatives()).filter(|&i| include(i)) {
            for t in 0..model.periods() {
                let first = self.columns.segment_first[[i, t]];
                for (k, slice) in model.curves[i].iter().enumerate() {
                    let coef = model.weight[t] * slice.per_unit;
                    if coef != 0.0 {
                        terms.push((first + k, coef));
                    }
                }
            }
        }
        terms
    }

    /// Activities of a solved point, as a[i,t], projected onto their bounds: an
    /// interior-point solver may leave them a hair outside (-1e-10 for a stopped
    /// initiative), which a plan must never show.
    pub fn activities_within_bounds(&self, x: &[f64]) -> Array2<f64> {
        let mut a = self.columns.activity.mapv(|col| x[col]);
        let last = a.ncols().saturating_sub(1);
        for ((i, t), v) in a.indexed_iter_mut() {
            let (lo, mut hi) = self.activity_bounds[i];
            if t == last {
                hi = hi.min(self.end_caps[i].max(lo));
            }
            *v = v.max(lo).min(hi);
        }
        a
    }
}

/// An initiative whose one value segment can be its activity column: s[i,t,1] =
/// a[i,t], so the fill needs no column and no `segments` row of its own.
fn fills_itself(model: &Model, i: usize) -> bool {
    model.curves[i].len() == 1
}

/// The bounds the a[i,t] column needs, given the bounds it must keep: with value
/// segments, a = sum s with 0 <= s <= len already implies a >= 0 and a <= sum len,
/// and capacity rows bound any activity that uses a resource (the cap on activity
/// is for those that use none).
fn lean_activity_bounds(model: &Model, i: usize, (lo, hi): (f64, f64)) -> (f64, f64) {
    if model.integral[i] {
        return (lo, hi);
    }
    let curve = &model.curves[i];
    if fills_itself(model, i) {
        return (lo, hi);
    }
    let filled: f64 = curve.iter().map(|s| s.len).sum();
    let lower = if !curve.is_empty() && lo <= 0.0 {
        f64::NEG_INFINITY
    } else {
        lo
    };
    let upper = if (!curve.is_empty() && filled <= hi)
        || (model.hi[i] == f64::INFINITY && !model.uses_nothing(i))
    {
        f64::INFINITY
    } else {
        hi
    };
    (lower, upper)
}

/// The segment fill columns s[i,t,k]; per (i, t) the first one's index (the activity
/// column itself for an initiative that fills itself).
fn add_segment_columns(
    lp: &mut LinearProgram,
    model: &Model,
    activity: &Array2<usize>,
) -> Array2<usize> {
    let (n_i, n_t) = (model.initiatives(), model.periods());
    let mut segment_first = Array2::zeros((n_i, n_t));
    for i in 0..n_i {
        for t in 0..n_t {
            if fills_itself(model, i) {
                segment_first[[i, t]] = activity[[i, t]];
                continue;
            }
            segment_first[[i, t]] = lp.columns.len();
            // A slice that ends at or below the activity's floor is full in every
            // plan. Saying so keeps the fill in order where the curve is not
            // concave: a locked initiative past its curve's end has an open slice
            // worth 0 after a last slice that may be worth less than 0.
            let mut end = 0.0;
            for slice in &model.curves[i] {
                end += slice.len;
                let lower = if end <= model.lo[i] { slice.len } else { 0.0 };
                lp.column(lower, slice.len, 0.0);
            }
        }
    }
    segment_first
}

/// `capacity[r@t]`: use within allocatable capacity; per (r, t) the row's index
/// (None where nothing uses the resource).
fn add_capacity_rows(
    lp: &mut LinearProgram,
    model: &Model,
    activity: &Array2<usize>,
) -> Array2<Option<usize>> {
    let n_t = model.periods();
    let mut capacity_rows = Array2::from_elem((model.resources(), n_t), None);
    for r in 0..model.resources() {
        for t in 0..n_t {
            let terms = use_terms(model, activity, r, t);
            if !terms.is_empty() {
                let rhs = model.allocatable[[r, t]];
                capacity_rows[[r, t]] =
                    Some(lp.row(RowKind::Capacity { r, t }, terms, Cmp::Le, rhs));
            }
        }
    }
    capacity_rows
}

/// `segments[i@t]`: the activity is the sum of its segment fills.
fn add_segment_rows(
    lp: &mut LinearProgram,
    model: &Model,
    activity: &Array2<usize>,
    segment_first: &Array2<usize>,
) {
    let (n_i, n_t) = (model.initiatives(), model.periods());
    for i in 0..n_i {
        let slices = model.curves[i].len();
        if slices == 0 || fills_itself(model, i) {
            continue;
        }
        for t in 0..n_t {
            let first = segment_first[[i, t]];
            let mut terms = vec![(activity[[i, t]], 1.0)];
            terms.extend((first..first + slices).map(|s| (s, -1.0)));
            lp.row(RowKind::Segments { i, t }, terms, Cmp::Eq, 0.0);
        }
    }
}

/// `churn[r@t]`, `groupMin[g@t]` and `groupMax[g@t]`.
fn add_churn_and_group_rows(
    lp: &mut LinearProgram,
    model: &Model,
    activity: &Array2<usize>,
    flow: &Array2<Option<(usize, usize)>>,
) {
    let n_t = model.periods();
    for r in 0..model.resources() {
        if let Some(limit) = &model.churn_limit[r] {
            for t in 0..n_t {
                let terms = churn_terms(model, flow, r, t);
                lp.row(RowKind::Churn { r, t }, terms, Cmp::Le, limit[t]);
            }
        }
    }
    for (g, group) in model.groups.iter().enumerate() {
        for t in 0..n_t {
            if let Some(min) = group.min {
                let terms = group_terms(model, activity, g, t);
                lp.row(RowKind::GroupMin { g, t }, terms, Cmp::Ge, min);
            }
            if let Some(max) = group.max {
                let terms = group_terms(model, activity, g, t);
                lp.row(RowKind::GroupMax { g, t }, terms, Cmp::Le, max);
            }
        }
    }
}
