//! The plan: what Fluidity answers for a scenario.
//!
//! The serde form is the protobuf JSON mapping of `fluidity.v1.Plan` with every field
//! present, zeros and empty lists included, so that spreadsheets and `jq` never have
//! to guess at a missing field. Field order follows the proto, so the JSON of the same
//! plan is the same bytes whichever path produced it.

use serde::{Deserialize, Serialize};

/// A reallocation plan, or, for an infeasible scenario, the status quo and a diagnosis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// OPTIMAL, FEASIBLE (stopped early, see `solver.gap`) or INFEASIBLE (see `diagnosis`).
    pub status: Status,
    /// `value - moveCost`.
    pub objective: f64,
    /// Weighted value of all activities over all periods.
    pub value: f64,
    /// Value lost to moving resources between initiatives.
    pub move_cost: f64,
    /// What keeping every initiative at its current activity would give.
    pub baseline: Baseline,
    /// One per scenario initiative, in scenario order.
    pub initiatives: Vec<InitiativePlan>,
    /// One per scenario resource, in scenario order.
    pub resources: Vec<ResourcePlan>,
    /// Resource units changing hands, period by period (the model document's matching).
    pub moves: Vec<Move>,
    /// Priced capacity constraints, largest `valueOfOnePercent` first.
    pub bottlenecks: Vec<Bottleneck>,
    /// For an INFEASIBLE scenario: the constraints to relax, and by how much.
    pub diagnosis: Vec<Relaxation>,
    /// Which solver ran, for how long, on how large a program, and the gap.
    pub solver: SolverStats,
}

/// How the plan was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// Proven optimal: an LP solved, or a whole-unit search whose gap is within
    /// `policy.mipGap`.
    Optimal,
    /// A time limit, a deadline or the user's interrupt stopped the search; the best
    /// plan found satisfies every constraint and `solver.gap` says how far it may be
    /// from the optimum.
    Feasible,
    /// No plan satisfies the constraints; see `diagnosis`.
    Infeasible,
}

/// The status quo: every initiative kept at its current activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Baseline {
    /// True when the status quo breaks no constraint.
    pub feasible: bool,
    /// Weighted value the status quo earns over all periods.
    pub value: f64,
    /// Names of the constraints the status quo breaks (`capacity[eng@aug]`).
    pub violations: Vec<String>,
}

/// One initiative's activity over the periods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitiativePlan {
    /// The initiative's id.
    pub id: String,
    /// Activity per period, in the scenario's periods' order.
    pub activity: Vec<f64>,
    /// End-of-horizon activity against current.
    pub change: Change,
    /// Per period: what one more unit of activity would earn at the planned level,
    /// weight_t x the `perUnit` of the segment it would fill (0 past the curve's end).
    pub marginal_value: Vec<f64>,
    /// Per period: what one unit of activity's resources are worth at the plan's
    /// prices, `sum_r A[i,r] x shadowPrice[r,t]` (0 for a whole-unit plan: no prices).
    pub resource_cost: Vec<f64>,
    /// The initiative's own constraint that holds its end-of-horizon activity where
    /// the prices alone would not (`max[x@dec]`, `rampDown[x@dec]`,
    /// `dependency[b->a@dec]`, `groupMax[g@dec]`, `churn[eng@dec]`, `capacity[eng@dec]`
    /// for whole units, or `moveCost`); empty when the prices explain it.
    pub held_by: String,
}

/// How an initiative ends the horizon compared with now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Change {
    /// Ends the horizon above today's activity.
    Grow,
    /// Ends within 1e-6 x max(1, current) of today's activity.
    Hold,
    /// Ends below today's activity, but not stopped.
    Shrink,
    /// Was running and ends at (or within 1e-6 of) zero.
    Stop,
}

/// One resource's use, reserve and marginal value over the periods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourcePlan {
    /// The resource's id.
    pub id: String,
    /// Units used per period: sum over initiatives of requirement x activity.
    pub used: Vec<f64>,
    /// Capacity minus use: the strategic reserve left in each period.
    pub reserve: Vec<f64>,
    /// Capacity per period (a scenario's single number repeated).
    pub capacity: Vec<f64>,
    /// Objective gained per extra unit of allocatable capacity in each period.
    pub shadow_price: Vec<f64>,
}

/// Resource units leaving one initiative (or the reserve) for another in a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Move {
    /// The period the move happens in (its id).
    pub period: String,
    /// The resource moved (its id).
    pub resource: String,
    /// Initiative id, or `reserve`.
    pub from: String,
    /// Initiative id, or `reserve`.
    pub to: String,
    /// Units of the resource moved.
    pub amount: f64,
}

/// A priced capacity constraint and what more of it is worth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bottleneck {
    /// The capacity row's name (`capacity[eng@aug]`).
    pub constraint: String,
    /// Objective gained per extra unit of allocatable capacity (the row's dual).
    pub shadow_price: f64,
    /// shadowPrice x allocatable capacity / 100: objective gained by one more percent
    /// of the resource, comparable across units (FTE, USD, hours).
    pub value_of_one_percent: f64,
}

/// A constraint an infeasible scenario must relax, in the constraint's own units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Relaxation {
    /// The constraint's name (`min[ops@aug]`, `capacity[eng@aug]`).
    pub constraint: String,
    /// How much its right-hand side must move, in the constraint's own units.
    pub relax_by: f64,
}

/// Which solver ran, for how long, on how large a problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SolverStats {
    /// The backend (`lpsolve`), or two joined by `+` when a second one gave the prices.
    pub name: String,
    /// Wall-clock seconds of the whole plan (the one field that differs between runs).
    pub seconds: f64,
    /// Columns of the final stage's program.
    pub variables: u32,
    /// Rows of the final stage's program.
    pub constraints: u32,
    /// Solves: one per priority tier, then the final one.
    pub stages: u32,
    /// Best proven bound on the final stage's objective: the objective for an LP, 0
    /// for an INFEASIBLE plan.
    pub bound: f64,
    /// (bound - objective) / max(1, |objective|) >= 0: how far the plan may be from
    /// the optimum, relative.
    pub gap: f64,
}

/// The id moves use for the strategic reserve.
pub const RESERVE: &str = "reserve";
