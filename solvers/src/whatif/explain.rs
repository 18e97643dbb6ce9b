//! What it would take: for each initiative, the factor on its value curve at which
//! the plan would give it more (or less) at the end of the horizon, and what forcing
//! the other decision would cost.
//!
//! Found by re-planning the scenario with the initiative's `perUnit`s multiplied by a
//! factor f, the same [`plan`] every caller gets (so a check by re-planning sees what
//! this saw): a bracket [no change, change] is found by steps of 8 (up to 1e6), then
//! narrowed.
//! Each step first tries where the objective lines of the two bracketing plans cross
//! (a plan's objective is linear in f: the rest of its objective plus f times the
//! initiative's own value, so two adjacent optima swap exactly there), probing just
//! below and above that point; when the crossing is not the switch (tiers, a third
//! optimum in between) the bracket is halved instead. The factor is given to 1e-7
//! relative either way.

use crate::model::Model;
use crate::report::plan::{Change, Plan, Status};
use crate::{plan, PlanError, PlanOptions, Scenario};
use serde::{Deserialize, Serialize};

/// Steps of the bracket search, and where it stops looking.
const STEP: f64 = 8.0;
/// Past a factor of a million the initiative's value swamps every other by more than
/// the solvers' tolerances (1e-9): plans there are tie-breaking, not decisions.
const LARGEST_FACTOR: f64 = 1e6;
/// A LESS flip below this factor is round-off about 0 (values a millionth of their
/// own are within the solvers' tolerances of nothing): "never".
const SMALLEST_FACTOR: f64 = 1e-6;
/// Relative width at which halving stops, and the probes around a crossing: 1e-7,
/// a hundred times the solvers' optimality tolerance (1e-9), so that two probes are
/// never one tie seen two ways (with 1e-9 they were).
const WIDTH: f64 = 1e-7;
const PROBE: f64 = 1e-7;

/// What the plan would do for one initiative under other values, and at what cost
/// the other decision could be forced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitiativeExplanation {
    /// The initiative's id.
    pub id: String,
    /// The plan's decision: GROW, HOLD, SHRINK or STOP.
    pub change: Change,
    /// Activity today, before the first period.
    pub current: f64,
    /// Activity in the last period.
    pub end: f64,
    /// The plan's `marginalValue`, `resourceCost` and `heldBy` for the last period.
    pub marginal_value: f64,
    /// What one unit's resources are worth at the plan's prices, in the last period.
    pub resource_cost: f64,
    /// The initiative's own tight constraint, empty when the prices explain it.
    pub held_by: String,
    /// MORE for an initiative that stops, shrinks or holds below its cap; LESS for one
    /// that grows or holds above its floor (a HOLD can have both).
    pub flips: Vec<Flip>,
    /// The other decision, forced; decision NONE when there is none to force.
    pub forced: Forced,
}

/// Which way the end-of-horizon activity would move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Direction {
    /// The smallest factor > 1 at which the plan gives it more.
    More,
    /// The largest factor < 1 at which the plan gives it less.
    Less,
}

/// The factor on an initiative's value curve at which its end-of-horizon activity
/// changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Flip {
    /// MORE or LESS.
    pub direction: Direction,
    /// MORE: values x factor x (1 + 1e-4) give it more, x factor x (1 - 1e-4) do not.
    /// LESS: values x factor x (1 - 1e-4) give it less, x factor x (1 + 1e-4) do not.
    /// 0 when `never`.
    pub factor: f64,
    /// No factor does it (MORE up to 1e6, or up to the largest factor at which the
    /// scenario still plans; LESS down to 1e-6: below that it is round-off about a
    /// value of 0).
    pub never: bool,
    /// When never: the constraint that holds it whatever its value (`locked`,
    /// `max[x@dec]`, `rampUp[x@dec]`, `dependency[...]`, ...), `tiers` when the
    /// even-over tiers keep the resources it would need, or empty when none says.
    pub held_by: String,
}

/// The decision forced the other way.
/// (Named apart from `Change`'s values: protobuf enum values share one namespace.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    /// Nothing to force (a locked initiative, or one that holds at 0).
    #[serde(rename = "NOTHING_TO_FORCE")]
    None,
    /// Keep it at least at its current level in every period (its floor raised to it;
    /// one the plan stops or shrinks).
    #[serde(rename = "KEEP_CURRENT")]
    Keep,
    /// Stop it by the end of the horizon: its floor lifted, its last period's activity
    /// capped at 0, its ramps and everything else kept (one the plan grows or holds
    /// above 0).
    #[serde(rename = "STOP_ENTIRELY")]
    Stop,
}

/// What forcing the other decision costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Forced {
    /// KEEP_CURRENT, STOP_ENTIRELY, or NOTHING_TO_FORCE.
    pub decision: Decision,
    /// False when no plan allows it; `conflicts` then names what stands in the way.
    pub feasible: bool,
    /// The objective with the decision forced (0 when infeasible).
    pub objective: f64,
    /// The plan's objective less the forced one: the value the decision gives up.
    pub cost: f64,
    /// The diagnosis's constraints when the forced decision has no plan.
    pub conflicts: Vec<String>,
}

/// The explanation of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    /// The plan's status; INFEASIBLE: nothing to explain (the plan's diagnosis says
    /// why), and `initiatives` is empty.
    pub status: Status,
    /// The plan's objective (value less move cost).
    pub objective: f64,
    /// One per initiative asked about, in scenario order.
    pub initiatives: Vec<InitiativeExplanation>,
    /// Plans solved to find all this.
    pub solves: u32,
}

/// Why an explanation could not be given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExplainError {
    /// Planning the scenario (or one of its re-plans) failed.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// Ids asked about that the scenario does not have.
    #[error("no initiative with id {}", .0.join(", "))]
    UnknownInitiatives(Vec<String>),
}

/// One initiative's explanation and the plans it took, or why there is none.
type Explained = Result<(InitiativeExplanation, u32), PlanError>;

/// How an explanation is worked out: on how many threads, and who hears how far it
/// has got.
#[derive(Clone, Copy, Default)]
pub struct Explaining<'a> {
    /// Initiatives explained at once, each on its own thread (0 or 1: one at a time).
    pub jobs: usize,
    /// Told (initiatives done, initiatives to do) after each initiative.
    pub progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
}

/// Explains the plan of `scenario` for the initiatives `only` names (all of them
/// when empty), one at a time.
pub fn explain(
    scenario: &Scenario,
    only: &[String],
    options: &PlanOptions,
) -> Result<Explanation, ExplainError> {
    explain_with(scenario, only, options, Explaining::default())
}

/// [`explain`], on `how.jobs` threads, telling `how.progress` as it goes. The answer
/// is the same whatever the number of threads (each initiative's search is its own).
///
/// Long because it owns the threads: the base plan, the work queue, the workers, the
/// progress count and the answers put back in scenario order.
pub fn explain_with(
    scenario: &Scenario,
    only: &[String],
    options: &PlanOptions,
    how: Explaining<'_>,
) -> Result<Explanation, ExplainError> {
    let unknown: Vec<String> = only
        .iter()
        .filter(|id| !scenario.initiatives.iter().any(|i| &i.id == *id))
        .map(|id| format!("{id:?}"))
        .collect();
    if !unknown.is_empty() {
        return Err(ExplainError::UnknownInitiatives(unknown));
    }
    let base = plan(scenario, options)?;
    if base.status == Status::Infeasible {
        return Ok(Explanation {
            status: base.status,
            objective: base.objective,
            initiatives: Vec::new(),
            solves: 1,
        });
    }
    let model = Model::new(scenario);
    let todo: Vec<usize> = (0..scenario.initiatives.len())
        .filter(|&i| only.is_empty() || only.contains(&scenario.initiatives[i].id))
        .collect();
    let explain_one = |i: usize| -> Explained {
        let mut search = Search {
            scenario,
            model: &model,
            i,
            options,
            solves: 0,
            end: last(&base, i),
        };
        let explained = search.initiative(&base)?;
        Ok((explained, search.solves))
    };
    let done = std::sync::atomic::AtomicUsize::new(0);
    let tell = || {
        let finished = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if let Some(progress) = how.progress {
            progress(finished, todo.len());
        }
    };
    let results: Vec<Explained> = if how.jobs <= 1 {
        todo.iter()
            .map(|&i| {
                let result = explain_one(i);
                tell();
                result
            })
            .collect()
    } else {
        // Each thread takes the next initiative not yet taken; a failure stops the
        // rest from starting.
        let next = std::sync::atomic::AtomicUsize::new(0);
        let failed = std::sync::atomic::AtomicBool::new(false);
        let slots: Vec<std::sync::Mutex<Option<Explained>>> =
            todo.iter().map(|_| std::sync::Mutex::new(None)).collect();
        std::thread::scope(|threads| {
            for _ in 0..how.jobs.min(todo.len()) {
                threads.spawn(|| loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if k >= todo.len() || failed.load(std::sync::atomic::Ordering::Relaxed) {
                        return;
                    }
                    let result = explain_one(todo[k]);
                    if result.is_err() {
                        failed.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                    *slots[k].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
                    tell();
                });
            }
        });
        slots
            .into_iter()
            .filter_map(|slot| slot.into_inner().unwrap_or_else(|e| e.into_inner()))
            .collect()
    };
    let mut initiatives = Vec::with_capacity(results.len());
    let mut solves = 1;
    for result in results {
        let (explained, used) = result?;
        solves += used;
        initiatives.push(explained);
    }
    Ok(Explanation {
        status: base.status,
        objective: base.objective,
        initiatives,
        solves,
    })
}

fn last(plan: &Plan, i: usize) -> f64 {
    plan.initiatives[i].activity.last().copied().unwrap_or(0.0)
}

/// The re-planning of one initiative.
struct Search<'a> {
    scenario: &'a Scenario,
    model: &'a Model,
    i: usize,
    options: &'a PlanOptions,
    solves: u32,
    /// Its last-period activity in the plan being explained.
    end: f64,
}

/// A plan at one factor, as the search needs it.
struct Probe {
    factor: f64,
    end: f64,
    /// The objective less f times the initiative's own (unscaled) value.
    rest: f64,
    /// The initiative's own value, unscaled.
    own: f64,
    plan: Plan,
}

impl Search<'_> {
    fn initiative(&mut self, base: &Plan) -> Result<InitiativeExplanation, PlanError> {
        let i = self.i;
        let planned = &base.initiatives[i];
        let initiative = &self.scenario.initiatives[i];
        let t = planned.activity.len().saturating_sub(1);
        let locked = initiative.locked;
        let (lo, hi) = (self.model.lo[i], self.model.hi[i]);
        let eps = self.eps(self.end);
        let mut flips = Vec::new();
        let wants_more = matches!(planned.change, Change::Stop | Change::Shrink | Change::Hold);
        let may_less = matches!(planned.change, Change::Grow | Change::Hold);
        if wants_more {
            let flip = if locked {
                never(Direction::More, "locked")
            } else if self.end >= hi - eps {
                never(
                    Direction::More,
                    &self.model.row_name(crate::lp::RowKind::Max { i, t }),
                )
            } else {
                self.more()?
            };
            flips.push(flip);
        }
        if may_less && (locked || self.end > lo + eps) {
            let flip = if locked {
                never(Direction::Less, "locked")
            } else {
                self.less()?
            };
            flips.push(flip);
        }
        let decision = match planned.change {
            _ if locked => Decision::None,
            Change::Stop | Change::Shrink => Decision::Keep,
            Change::Grow => Decision::Stop,
            Change::Hold if initiative.current > 0.0 => Decision::Stop,
            Change::Hold => Decision::None,
        };
        let forced = self.forced(base, decision)?;
        Ok(InitiativeExplanation {
            id: initiative.id.clone(),
            change: planned.change,
            current: initiative.current,
            end: self.end,
            marginal_value: planned.marginal_value.last().copied().unwrap_or(0.0),
            resource_cost: planned.resource_cost.last().copied().unwrap_or(0.0),
            held_by: planned.held_by.clone(),
            flips,
            forced,
        })
    }

    /// What counts as a change of the last-period activity: 1e-5 x max(1, |activity|),
    /// ten times the plan's `change` rule, because the tier floors' round-off
    /// allowance (1e-7 x max(1, |V*|) of value) lets a tiered initiative's activity
    /// wiggle by about 1e-6 from one factor to the next, and a wiggle is no decision.
    fn eps(&self, end: f64) -> f64 {
        1e-5 * end.abs().max(1.0)
    }

    /// Why no factor moves it, read off the plan at the extreme factor: its own row
    /// that holds it that way, `tiers` when the even-over tiers hold the resources it
    /// would need (their guarantees come first whatever its value), or, for MORE,
    /// `no positive value` when a factor cannot make its next unit worth anything.
    fn reason(&self, extreme: &Plan, rising: bool) -> String {
        let activities = ndarray::Array2::from_shape_fn(
            (self.model.initiatives(), self.model.periods()),
            |(k, t)| extreme.initiatives[k].activity[t],
        );
        if let Some(row) = crate::report::why::holding_row(self.model, &activities, self.i, rising)
        {
            return row;
        }
        let t = self.model.periods().saturating_sub(1);
        let next = crate::report::why::marginal_value(self.model, self.i, t, self.end);
        if rising && next <= 0.0 {
            return "no positive value".to_string();
        }
        if self.model.tier.iter().any(|&tier| tier > 0) {
            return "tiers".to_string();
        }
        String::new()
    }

    /// The scenario with initiative i's value multiplied by `factor`.
    fn scaled(&self, factor: f64) -> Scenario {
        let mut scenario = self.scenario.clone();
        for segment in &mut scenario.initiatives[self.i].value {
            segment.per_unit *= factor;
        }
        scenario
    }

    fn probe(&mut self, factor: f64) -> Result<Probe, PlanError> {
        let plan = plan(&self.scaled(factor), self.options)?;
        self.solves += 1;
        let end = last(&plan, self.i);
        let activities = &plan.initiatives[self.i].activity;
        let own: f64 = activities
            .iter()
            .enumerate()
            .map(|(t, &a)| self.model.weight[t] * self.model.value_at(self.i, a))
            .sum();
        Ok(Probe {
            factor,
            end,
            rest: plan.objective - factor * own,
            own,
            plan,
        })
    }

    /// The largest `perUnit` of the curve's segments that lie below (`below`) or
    /// above the last-period activity: a factor only changes what that part earns.
    fn best_value(&self, below: bool) -> f64 {
        let mut start = 0.0;
        let mut best = f64::NEG_INFINITY;
        for slice in &self.model.curves[self.i] {
            let end = start + slice.len;
            let counts = if below {
                start < self.end
            } else {
                end > self.end
            };
            if counts {
                best = best.max(slice.per_unit);
            }
            start = end;
        }
        best
    }

    fn more(&mut self) -> Result<Flip, PlanError> {
        // Nothing above its level earns anything: scaling it changes nothing but the
        // solvers' tie-breaking (which moved such initiatives at random factors).
        if self.best_value(false) <= 0.0 {
            return Ok(never(Direction::More, "no positive value"));
        }
        let eps = self.eps(self.end);
        let threshold = self.end + eps;
        let changed = move |p: &Probe| p.end > threshold;
        // [lo: no change, hi: more]
        let mut lo = self.probe(1.0)?;
        let mut hi = loop {
            let next = (lo.factor * STEP).min(LARGEST_FACTOR);
            let p = match self.probe(next) {
                Ok(p) => p,
                // Values a thousand times their own and more can be past what the
                // solvers serve (1e12 on top of the scenario's own magnitudes): no
                // factor up to the last that planned moves it.
                Err(PlanError::Solver(_)) if next > 1e3 => {
                    let held = self.reason(&lo.plan, true);
                    return Ok(never(Direction::More, &held));
                }
                Err(e) => return Err(e),
            };
            if changed(&p) {
                break p;
            }
            if next >= LARGEST_FACTOR {
                // What holds it even then says why.
                let held = self.reason(&p.plan, true);
                return Ok(never(Direction::More, &held));
            }
            lo = p;
        };
        self.narrow(&mut lo, &mut hi, &changed)?;
        Ok(Flip {
            direction: Direction::More,
            factor: hi.factor,
            never: false,
            held_by: String::new(),
        })
    }

    fn less(&mut self) -> Result<Flip, PlanError> {
        if self.best_value(true) <= 0.0 {
            return Ok(never(Direction::Less, "no positive value"));
        }
        let eps = self.eps(self.end);
        let threshold = self.end - eps;
        let changed = move |p: &Probe| p.end < threshold;
        let mut zero = self.probe(0.0)?;
        if !changed(&zero) {
            let held = self.reason(&zero.plan, false);
            return Ok(never(Direction::Less, &held));
        }
        let mut one = self.probe(1.0)?;
        // Here the changed end is the low one: narrow on the mirrored order.
        self.narrow_down(&mut zero, &mut one, &changed)?;
        if zero.factor < SMALLEST_FACTOR {
            let held = self.reason(&one.plan, false);
            return Ok(never(Direction::Less, &held));
        }
        Ok(Flip {
            direction: Direction::Less,
            factor: zero.factor,
            never: false,
            held_by: String::new(),
        })
    }

    /// Narrows [lo (unchanged), hi (changed)], lo.factor < hi.factor.
    fn narrow(
        &mut self,
        lo: &mut Probe,
        hi: &mut Probe,
        changed: &dyn Fn(&Probe) -> bool,
    ) -> Result<(), PlanError> {
        while hi.factor - lo.factor > WIDTH * hi.factor {
            if let Some(cross) = crossing(lo, hi) {
                let below = self.probe(cross * (1.0 - PROBE))?;
                if changed(&below) {
                    *hi = below;
                } else {
                    *lo = below;
                    let above = self.probe(cross * (1.0 + PROBE))?;
                    if changed(&above) {
                        *hi = above;
                        return Ok(());
                    }
                    *lo = above;
                }
                if hi.factor - lo.factor <= WIDTH * hi.factor {
                    return Ok(());
                }
            }
            let mid = self.probe(0.5 * (lo.factor + hi.factor))?;
            if changed(&mid) {
                *hi = mid;
            } else {
                *lo = mid;
            }
        }
        Ok(())
    }

    /// Narrows [low (changed), high (unchanged)], low.factor < high.factor.
    fn narrow_down(
        &mut self,
        low: &mut Probe,
        high: &mut Probe,
        changed: &dyn Fn(&Probe) -> bool,
    ) -> Result<(), PlanError> {
        while high.factor - low.factor > WIDTH * high.factor {
            if let Some(cross) = crossing(low, high) {
                let above = self.probe(cross * (1.0 + PROBE))?;
                if changed(&above) {
                    *low = above;
                } else {
                    *high = above;
                    let below = self.probe(cross * (1.0 - PROBE))?;
                    if changed(&below) {
                        *low = below;
                        return Ok(());
                    }
                    *high = below;
                }
                if high.factor - low.factor <= WIDTH * high.factor {
                    return Ok(());
                }
            }
            let mid = self.probe(0.5 * (low.factor + high.factor))?;
            if changed(&mid) {
                *low = mid;
            } else {
                *high = mid;
            }
        }
        Ok(())
    }

    fn forced(&mut self, base: &Plan, decision: Decision) -> Result<Forced, PlanError> {
        let none = Forced {
            decision,
            feasible: true,
            objective: base.objective,
            cost: 0.0,
            conflicts: Vec::new(),
        };
        let mut scenario = self.scenario.clone();
        let initiative = &mut scenario.initiatives[self.i];
        let forced = match decision {
            Decision::None => return Ok(none),
            // Its floor raised to where it is now (within its own bounds: nothing
            // else about it is lifted).
            Decision::Keep => {
                let (lo, hi) = (self.model.lo[self.i], self.model.hi[self.i]);
                initiative.min = Some(initiative.current.min(hi).max(lo));
                plan(&scenario, self.options)?
            }
            // Stopped by the end of the horizon, as the `change` rule reads a stop:
            // its floor lifted, its last period capped at 0, its ramps and every
            // other limit kept (it winds down as fast as they allow).
            Decision::Stop => {
                initiative.min = Some(0.0);
                let mut model = Model::new(&scenario);
                model.end_cap[self.i] = 0.0;
                crate::planning::plan_model(
                    &scenario,
                    model,
                    self.options,
                    &mut crate::WarmStart::default(),
                )?
            }
        };
        self.solves += 1;
        Ok(if forced.status == Status::Infeasible {
            Forced {
                decision,
                feasible: false,
                objective: 0.0,
                cost: 0.0,
                conflicts: forced
                    .diagnosis
                    .iter()
                    .map(|d| d.constraint.clone())
                    .collect(),
            }
        } else {
            Forced {
                decision,
                feasible: true,
                objective: forced.objective,
                cost: base.objective - forced.objective,
                conflicts: Vec::new(),
            }
        })
    }
}

/// Where the two plans' objective lines in f cross, when strictly between them.
fn crossing(a: &Probe, b: &Probe) -> Option<f64> {
    let slope = b.own - a.own;
    if slope == 0.0 {
        return None;
    }
    let f = (a.rest - b.rest) / slope;
    let (low, high) = (a.factor.min(b.factor), a.factor.max(b.factor));
    (f.is_finite() && f > low && f < high).then_some(f)
}

fn never(direction: Direction, held_by: &str) -> Flip {
    Flip {
        direction,
        factor: 0.0,
        never: true,
        held_by: held_by.to_string(),
    }
}
