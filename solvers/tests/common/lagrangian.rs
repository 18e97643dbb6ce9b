//! A dual checker written from the model document, independent of the formulation
//! code: the Lagrangian bound of the capacity rows at the reported prices.
//!
//! For prices pi >= 0 on the `capacity[r@t]` rows, L(pi) = max over every other
//! constraint of  objective(a) + sum_rt pi[r,t] (allocatable[r,t] - use[r,t](a)).
//! Weak duality gives L(pi) >= the optimum for any pi >= 0; strong duality of a linear
//! program gives L(pi) = the optimum exactly when pi is an optimal dual of the
//! capacity rows. So a plan's prices are right if and only if L(prices) equals its
//! objective. The program is built here with good_lp straight from the model
//! document and solved by microlp, whatever the plan's backend was. Scenarios with
//! tiers are out of scope (their final stage has rows this checker does not rebuild).

#![allow(clippy::needless_range_loop)] // indices follow the model document's i, r, t

use super::{bounds, capacity};
use fluidity_solvers::{Plan, Scenario};
use good_lp::{variable, Expression, ProblemVariables, Solution, SolverModel, Variable};

fn req(s: &Scenario, i: usize, r: usize) -> f64 {
    *s.initiatives[i]
        .requirements
        .get(&s.resources[r].id)
        .unwrap_or(&0.0)
}

/// L(prices) for the plan's shadow prices; None when the relaxed program is unbounded
/// (the prices then undervalue some resource) or has no solution.
pub fn lagrangian_bound(s: &Scenario, plan: &Plan) -> Option<f64> {
    assert!(
        s.initiatives.iter().all(|i| i.tier == 0),
        "the Lagrangian checker covers scenarios without tiers"
    );
    let n_i = s.initiatives.len();
    let n_r = s.resources.len();
    let n_t = s.periods.len();
    let price = |r: usize, t: usize| plan.resources[r].shadow_price[t];
    let mut vars = ProblemVariables::new();
    let mut objective = Expression::from(0.0);
    let mut rows: Vec<good_lp::Constraint> = Vec::new();
    let mut a: Vec<Vec<Variable>> = Vec::new();
    let mut moved: Vec<Vec<Expression>> = Vec::new();
    for i in 0..n_i {
        let init = &s.initiatives[i];
        let (lo, hi) = bounds(s, i);
        // A floor above the cap by round-off (`min` 1.3, a curve ending at
        // 0.7 + 0.6 = 1.2999999999999998) is within every solver's tolerance, and a plan
        // sits on it; the relaxed program must not call that infeasible.
        let lo = if lo > hi && lo - hi <= 1e-9 * hi.abs().max(1.0) {
            hi
        } else {
            lo
        };
        let mc: f64 = (0..n_r)
            .map(|r| req(s, i, r) * s.resources[r].move_cost.unwrap_or(0.0))
            .sum();
        let mut row = Vec::new();
        let mut moves = Vec::new();
        for t in 0..n_t {
            let w = s.periods[t].weight.unwrap_or(1.0);
            let at = vars.add(variable().min(lo).max(hi));
            // The value curve: segment fills summing to the activity. Activity past the
            // curve's end earns nothing (only a locked initiative can be there).
            if !init.value.is_empty() {
                let mut below = 0.0;
                let mut fill = Expression::from(0.0);
                for seg in &init.value {
                    let top = seg.up_to.unwrap_or(f64::INFINITY);
                    let part = vars.add(variable().min(0.0).max(top - below));
                    objective += w * seg.per_unit * part;
                    fill += part;
                    below = top;
                }
                if below.is_finite() && hi > below {
                    fill += vars.add(variable().min(0.0).max(hi - below));
                }
                rows.push(fill.eq(at));
            }
            // Capacity, priced instead of enforced.
            for r in 0..n_r {
                objective -= price(r, t) * req(s, i, r) * at;
            }
            // Moves: up - down = a[t] - a[t-1], each unit paid at mc.
            let up = vars.add(
                variable()
                    .min(0.0)
                    .max(init.ramp_up.unwrap_or(f64::INFINITY)),
            );
            let down = vars.add(
                variable()
                    .min(0.0)
                    .max(init.ramp_down.unwrap_or(f64::INFINITY)),
            );
            let before: Expression = if t == 0 {
                Expression::from(init.current)
            } else {
                Expression::from(row[t - 1])
            };
            rows.push((at - before).eq(up - down));
            objective -= mc * (up + down);
            moves.push(up + down);
            row.push(at);
        }
        a.push(row);
        moved.push(moves);
    }
    for r in 0..n_r {
        let res = &s.resources[r];
        for t in 0..n_t {
            let allocatable = (1.0 - res.reserve_min.unwrap_or(0.0)) * capacity(s, r, t);
            objective += price(r, t) * allocatable;
            if let Some(churn) = res.max_churn {
                let mut used = Expression::from(0.0);
                for i in 0..n_i {
                    used += req(s, i, r) * moved[i][t].clone();
                }
                rows.push(used.leq(churn * capacity(s, r, t)));
            }
        }
    }
    for g in &s.groups {
        let r = s.resources.iter().position(|x| x.id == g.resource).unwrap();
        for t in 0..n_t {
            let mut used = Expression::from(0.0);
            for id in &g.initiatives {
                let i = s.initiatives.iter().position(|x| &x.id == id).unwrap();
                used += req(s, i, r) * a[i][t];
            }
            if let Some(min) = g.min {
                rows.push(used.clone().geq(min));
            }
            if let Some(max) = g.max {
                rows.push(used.leq(max));
            }
        }
    }
    for d in &s.dependencies {
        let b = s
            .initiatives
            .iter()
            .position(|x| x.id == d.initiative)
            .unwrap();
        let req_a = s
            .initiatives
            .iter()
            .position(|x| x.id == d.requires)
            .unwrap();
        for t in 0..n_t {
            rows.push((a[b][t] - d.ratio.unwrap_or(1.0) * a[req_a][t]).leq(0.0));
        }
    }
    let mut model = vars.maximise(objective.clone()).using(good_lp::microlp);
    for row in rows {
        model.add_constraint(row);
    }
    let solved = model.solve().ok()?;
    Some(solved.eval(&objective))
}
