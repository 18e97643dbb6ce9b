//! The model: a validated scenario as arrays, with every default of the model
//! document applied. Formulation, diagnosis and reporting all read this, never the
//! raw scenario, so each default is decided in exactly one place.

use crate::input::scenario::{Initiative, Kind, Scenario};
use ndarray::{Array1, Array2};
use std::collections::HashMap;

/// One slice of a value curve, as a length of activity and its per-unit value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slice {
    /// `upTo_k - upTo_(k-1)`; infinite for an open last segment.
    pub len: f64,
    pub per_unit: f64,
}

/// `initiative` may run at most `ratio` times as much as `requires`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Link {
    pub initiative: usize,
    pub requires: usize,
    pub ratio: f64,
}

/// Bounds on a set of initiatives' combined use of one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupBound {
    pub resource: usize,
    pub members: Vec<usize>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// The scenario in arrays; i indexes initiatives, r resources, t periods.
#[derive(Debug, Clone)]
pub struct Model {
    pub period_ids: Vec<String>,
    pub resource_ids: Vec<String>,
    pub initiative_ids: Vec<String>,
    pub group_ids: Vec<String>,
    /// weight[t]
    pub weight: Array1<f64>,
    /// A[i, r]: resource units per unit of activity.
    pub requirements: Array2<f64>,
    /// capacity[r, t]
    pub capacity: Array2<f64>,
    /// (1 - reserveMin_r) * capacity[r, t]: what initiatives may use.
    pub allocatable: Array2<f64>,
    /// maxChurn_r * capacity[r, t], where a churn limit is set.
    pub churn_limit: Vec<Option<Array1<f64>>>,
    pub current: Array1<f64>,
    /// lo_i and hi_i, the bounds of a[i, t]; hi may be infinite.
    pub lo: Array1<f64>,
    pub hi: Array1<f64>,
    /// A bound on a[i,T] alone, the last period's activity (infinite unless a caller
    /// forces an end: `explain`'s "stopped by the end of the horizon").
    pub end_cap: Array1<f64>,
    /// mc_i = sum_r A[i, r] * moveCost_r.
    pub move_cost: Array1<f64>,
    pub ramp_up: Vec<Option<f64>>,
    pub ramp_down: Vec<Option<f64>>,
    pub integral: Vec<bool>,
    pub tier: Vec<u32>,
    pub curves: Vec<Vec<Slice>>,
    pub groups: Vec<GroupBound>,
    pub links: Vec<Link>,
    pub tier_tolerance: f64,
    /// `policy.mipGap`: the relative gap at which a whole-unit plan is OPTIMAL.
    pub mip_gap: f64,
}

/// `policy.mipGap` when absent: the usual solver default.
pub const DEFAULT_MIP_GAP: f64 = 1e-4;

impl Model {
    /// Builds the model of a scenario that passed validation.
    pub fn new(s: &Scenario) -> Model {
        let n_i = s.initiatives.len();
        let resource_index: HashMap<&str, usize> = s
            .resources
            .iter()
            .enumerate()
            .map(|(k, r)| (r.id.as_str(), k))
            .collect();
        let weight = Array1::from_iter(s.periods.iter().map(|p| p.weight.unwrap_or(1.0)));
        let (capacity, allocatable, churn_limit) = capacities(s);
        let mut requirements = Array2::zeros((n_i, s.resources.len()));
        for (i, init) in s.initiatives.iter().enumerate() {
            for (rid, &x) in &init.requirements {
                requirements[[i, resource_index[rid.as_str()]]] = x;
            }
        }
        let unit_move_cost =
            Array1::from_iter(s.resources.iter().map(|r| r.move_cost.unwrap_or(0.0)));
        let move_cost = requirements.dot(&unit_move_cost);
        let (lo, hi) = activity_bounds(s);
        let (groups, links) = groups_and_links(s, &resource_index);
        Model {
            period_ids: s.periods.iter().map(|p| p.id.clone()).collect(),
            resource_ids: s.resources.iter().map(|r| r.id.clone()).collect(),
            initiative_ids: s.initiatives.iter().map(|i| i.id.clone()).collect(),
            group_ids: s.groups.iter().map(|g| g.id.clone()).collect(),
            weight,
            requirements,
            capacity,
            allocatable,
            churn_limit,
            current: Array1::from_iter(s.initiatives.iter().map(|i| i.current)),
            lo,
            hi,
            end_cap: Array1::from_elem(n_i, f64::INFINITY),
            move_cost,
            ramp_up: s.initiatives.iter().map(|i| i.ramp_up).collect(),
            ramp_down: s.initiatives.iter().map(|i| i.ramp_down).collect(),
            integral: s.initiatives.iter().map(|i| i.integral).collect(),
            tier: s.initiatives.iter().map(|i| i.tier).collect(),
            curves: s.initiatives.iter().map(curve).collect(),
            groups,
            links,
            tier_tolerance: s.policy.tier_tolerance.unwrap_or(0.0),
            mip_gap: s.policy.mip_gap.unwrap_or(DEFAULT_MIP_GAP),
        }
    }

    pub fn periods(&self) -> usize {
        self.period_ids.len()
    }

    pub fn resources(&self) -> usize {
        self.resource_ids.len()
    }

    pub fn initiatives(&self) -> usize {
        self.initiative_ids.len()
    }

    pub fn has_integers(&self) -> bool {
        self.integral.iter().any(|&b| b)
    }

    /// The distinct tiers >= 1, highest priority (lowest number) first.
    pub fn tiers(&self) -> Vec<u32> {
        let mut tiers: Vec<u32> = self.tier.iter().copied().filter(|&k| k > 0).collect();
        tiers.sort_unstable();
        tiers.dedup();
        tiers
    }

    /// Value of initiative i at activity x in one period, before the period weight:
    /// the curve filled from the first slice on; activity past the last upTo earns nothing.
    pub fn value_at(&self, i: usize, x: f64) -> f64 {
        let mut left = x.max(0.0);
        let mut total = 0.0;
        for slice in &self.curves[i] {
            if left <= 0.0 {
                break;
            }
            let fill = left.min(slice.len);
            total += slice.per_unit * fill;
            left -= fill;
        }
        total
    }

    /// Whether a churn limit on a resource i uses makes its moves count.
    pub fn churn_applies(&self, i: usize) -> bool {
        self.churn_limit
            .iter()
            .enumerate()
            .any(|(r, limit)| limit.is_some() && self.requirements[[i, r]] > 0.0)
    }

    pub fn has_ramp(&self, i: usize) -> bool {
        self.ramp_up[i].is_some() || self.ramp_down[i].is_some()
    }

    /// Whether an initiative uses no resource at all.
    pub fn uses_nothing(&self, i: usize) -> bool {
        self.requirements.row(i).iter().all(|&x| x == 0.0)
    }

    /// A finite cap for activities that nothing bounds or prices (no max, no last
    /// upTo, no resource use; validation guarantees they earn nothing at the margin).
    ///
    /// Interior-point solvers drift along such an unbounded optimal face. Capping
    /// a[i,t] at the largest level anything could want (its floor, current, the
    /// curve's last breakpoint, or what its dependants can need) keeps an optimum:
    /// replacing a[i,t] by min(a[i,t], cap) loses no value, frees no capacity, keeps
    /// every dependency and shrinks every period-to-period change. `None` when no
    /// finite cap can be proven (a cycle of such initiatives), or none is needed.
    pub fn free_activity_cap(&self) -> Vec<Option<f64>> {
        let n = self.initiatives();
        let mut cap: Vec<Option<f64>> = vec![None; n];
        let bound = |i: usize, cap: &[Option<f64>]| -> Option<f64> {
            if self.hi[i].is_finite() {
                return Some(self.hi[i]);
            }
            if !self.uses_nothing(i) {
                // Capacity bounds it.
                let mut best = f64::INFINITY;
                for r in 0..self.resources() {
                    let a = self.requirements[[i, r]];
                    if a > 0.0 {
                        let most = self.allocatable.row(r).iter().cloned().fold(0.0, f64::max);
                        best = best.min(most / a);
                    }
                }
                return Some(best);
            }
            cap[i]
        };
        // Resolve caps in rounds so chains of dependencies settle; n rounds suffice
        // for any acyclic chain.
        for _ in 0..=n {
            let mut changed = false;
            for i in 0..n {
                if self.hi[i].is_finite() || !self.uses_nothing(i) || cap[i].is_some() {
                    continue;
                }
                let mut want = self.lo[i].max(self.current[i]);
                for slice_end in self.curve_breakpoints(i) {
                    want = want.max(slice_end);
                }
                let mut resolved = true;
                for link in self
                    .links
                    .iter()
                    .filter(|l| l.requires == i && l.ratio > 0.0)
                {
                    match bound(link.initiative, &cap) {
                        Some(b) => want = want.max(b / link.ratio),
                        None => resolved = false,
                    }
                }
                if resolved {
                    cap[i] = Some(want);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        cap
    }

    fn curve_breakpoints(&self, i: usize) -> impl Iterator<Item = f64> + '_ {
        self.curves[i]
            .iter()
            .scan(0.0, |end, slice| {
                *end += slice.len;
                Some(*end)
            })
            .filter(|x| x.is_finite())
    }
}

/// Capacity per resource and period (one number repeated), what the reserve leaves
/// allocatable, and each resource's churn limit per period.
fn capacities(s: &Scenario) -> (Array2<f64>, Array2<f64>, Vec<Option<Array1<f64>>>) {
    let capacity = Array2::from_shape_fn((s.resources.len(), s.periods.len()), |(r, t)| {
        let c = &s.resources[r].capacity;
        if c.len() == 1 {
            c[0]
        } else {
            c[t]
        }
    });
    let keep = Array1::from_iter(
        s.resources
            .iter()
            .map(|r| 1.0 - r.reserve_min.unwrap_or(0.0)),
    );
    let allocatable = &capacity * &keep.insert_axis(ndarray::Axis(1));
    let churn_limit = s
        .resources
        .iter()
        .enumerate()
        .map(|(r, res)| res.max_churn.map(|m| capacity.row(r).mapv(|c| m * c)))
        .collect();
    (capacity, allocatable, churn_limit)
}

/// An initiative's value curve as slices of activity. A locked initiative may sit
/// past its curve's last upTo; activity there earns nothing, which an open slice worth
/// 0 says without capping it.
fn curve(init: &Initiative) -> Vec<Slice> {
    let mut below = 0.0;
    let mut slices: Vec<Slice> = init
        .value
        .iter()
        .map(|seg| {
            let len = seg.up_to.map_or(f64::INFINITY, |u| u - below);
            below = seg.up_to.unwrap_or(f64::INFINITY);
            Slice {
                len,
                per_unit: seg.per_unit,
            }
        })
        .collect();
    let curve_end: f64 = slices.iter().map(|slice| slice.len).sum();
    if init.locked && !slices.is_empty() && init.current > curve_end {
        slices.push(Slice {
            len: f64::INFINITY,
            per_unit: 0.0,
        });
    }
    slices
}

/// lo_i and hi_i, the model document's defaults applied.
fn activity_bounds(s: &Scenario) -> (Array1<f64>, Array1<f64>) {
    let n_i = s.initiatives.len();
    let mut lo = Array1::zeros(n_i);
    let mut hi = Array1::zeros(n_i);
    for (i, init) in s.initiatives.iter().enumerate() {
        if init.locked {
            lo[i] = init.current;
            hi[i] = init.current;
            continue;
        }
        let curve_end = init.value.last().and_then(|seg| seg.up_to);
        hi[i] = match (init.max, curve_end) {
            (Some(m), Some(u)) => m.min(u),
            (Some(m), None) => m,
            (None, Some(u)) => u,
            (None, None) => f64::INFINITY,
        };
        lo[i] = match (init.min, init.kind) {
            (Some(m), _) => m,
            (None, Kind::Operations) => init.current.min(hi[i]),
            (None, Kind::Strategic) => 0.0,
        };
        // `min: 1.3` against a curve ending at 0.6 + 0.7 = 1.2999999999999998 is
        // the same bound, not a contradiction: bounds within round-off meet.
        if lo[i] > hi[i] && lo[i] - hi[i] <= 1e-9 * hi[i].abs().max(1.0) {
            lo[i] = hi[i];
        }
    }
    (lo, hi)
}

/// The groups and dependencies, by index.
fn groups_and_links(
    s: &Scenario,
    resource_index: &HashMap<&str, usize>,
) -> (Vec<GroupBound>, Vec<Link>) {
    let initiative_index: HashMap<&str, usize> = s
        .initiatives
        .iter()
        .enumerate()
        .map(|(k, i)| (i.id.as_str(), k))
        .collect();
    let groups = s
        .groups
        .iter()
        .map(|g| GroupBound {
            resource: resource_index[g.resource.as_str()],
            // A member listed twice still counts once: the group is a set.
            members: g.initiatives.iter().fold(Vec::new(), |mut members, id| {
                let i = initiative_index[id.as_str()];
                if !members.contains(&i) {
                    members.push(i);
                }
                members
            }),
            min: g.min,
            max: g.max,
        })
        .collect();
    let links = s
        .dependencies
        .iter()
        .map(|d| Link {
            initiative: initiative_index[d.initiative.as_str()],
            requires: initiative_index[d.requires.as_str()],
            ratio: d.ratio.unwrap_or(1.0),
        })
        .collect();
    (groups, links)
}
