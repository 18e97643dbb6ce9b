//! Diagnosis of an infeasible scenario: the smallest set of relaxations that make it
//! feasible, found by an elastic program.
//!
//! Every `capacity`, `min`, `max`, `rampUp`, `rampDown`, `churn`, `groupMin` and
//! `groupMax` constraint gets a non-negative slack; `flow`, `dependency` and
//! `integral` stay as they are; value plays no part. Minimising
//! sum(slack / max(1, |rhs|)) makes resources in different units comparable.

use crate::lp::formulation::{
    add_activity_columns, add_structural_rows, churn_terms, group_terms, use_terms,
};
use crate::lp::{Cmp, LinearProgram, RowKind, Sense};
use crate::model::Model;
use crate::report::plan::Relaxation;
use crate::solve::backend::Backend;
use crate::solve::solution::SolveFailure;

/// Simplex gives a vertex (few, whole relaxations) where an interior-point method
/// would spread slack across equally good choices; above this many columns the
/// simplex is too slow and Clarabel answers instead.
const SIMPLEX_COLUMNS: usize = 5_000;

/// The elastic program and, for each of its slack columns, the row it relaxes and that
/// row's scale (the largest of |rhs| and its terms' |coefficients|).
struct Elastic {
    lp: LinearProgram,
    slacks: Vec<(usize, RowKind, f64)>,
}

/// What the elastic program relaxed, in constraint order.
#[derive(Debug, Default)]
pub struct Diagnosis {
    /// Relaxations of more than 1e-6 of their row's scale: the conflicts to report.
    pub relaxations: Vec<Relaxation>,
    /// Relaxations between 1e-9 and 1e-6 of their row's scale: round-off beside a real
    /// conflict, but the whole conflict when `relaxations` is empty (a floor above a
    /// cap by a ten-millionth is past the solvers' tolerance, yet still infeasible).
    pub slight: Vec<Relaxation>,
}

/// The relaxations that make `model` feasible.
pub fn diagnose(model: &Model, time_limit: Option<f64>) -> Result<Diagnosis, SolveFailure> {
    let elastic = elastic(model);
    let backend = if elastic.lp.has_integers() || elastic.lp.columns.len() <= SIMPLEX_COLUMNS {
        Backend::Microlp
    } else {
        Backend::Clarabel
    };
    let _span = tracing::debug_span!(
        "diagnose",
        solver = backend.name(),
        columns = elastic.lp.columns.len(),
        rows = elastic.lp.rows.len()
    )
    .entered();
    let solution = backend.solve(&elastic.lp, time_limit, &crate::Cancel::default())?;
    let mut diagnosis = Diagnosis::default();
    for &(col, kind, scale) in &elastic.slacks {
        let slack = solution.x[col];
        let relaxation = || Relaxation {
            constraint: model.row_name(kind),
            relax_by: slack,
        };
        if slack > 1e-6 * scale {
            diagnosis.relaxations.push(relaxation());
        } else if slack > 1e-9 * scale {
            diagnosis.slight.push(relaxation());
        }
    }
    Ok(diagnosis)
}

/// The elastic program of `model`: every relaxable row with its slack.
///
/// Long because it lists the model document's relaxable constraint families one after
/// another, each a short loop in the document's order (the order of the diagnosis).
fn elastic(model: &Model) -> Elastic {
    let mut lp = LinearProgram::new(Sense::Minimise);
    let free_cap = model.free_activity_cap();
    let (activity, flow) = add_activity_columns(
        &mut lp,
        model,
        |i| (0.0, free_cap[i].unwrap_or(f64::INFINITY)),
        |i| model.has_ramp(i) || model.churn_applies(i),
        |_| (f64::INFINITY, f64::INFINITY),
    );
    let mut slacks = Vec::new();
    // `terms (+/-) slack cmp rhs`, the slack weighted 1 / max(1, |rhs|).
    let mut elastic_row =
        |lp: &mut LinearProgram, kind, mut terms: Vec<(usize, f64)>, cmp, rhs: f64| {
            // The row's own scale: its right-hand side, or what one unit of its
            // largest term weighs; a slack is a relaxation when it is a visible part of
            // that (a floor of 2e-6 USD relaxed by 9e-7 is one, though tiny in dollars).
            let scale = terms
                .iter()
                .map(|&(_, coef)| coef.abs())
                .fold(rhs.abs(), f64::max);
            let slack = lp.column(0.0, f64::INFINITY, 1.0 / rhs.abs().max(1.0));
            terms.push((slack, if cmp == Cmp::Ge { 1.0 } else { -1.0 }));
            lp.row(kind, terms, cmp, rhs);
            slacks.push((slack, kind, scale));
        };
    let (n_i, n_t) = (model.initiatives(), model.periods());

    for r in 0..model.resources() {
        for t in 0..n_t {
            let terms = use_terms(model, &activity, r, t);
            if !terms.is_empty() {
                let rhs = model.allocatable[[r, t]];
                elastic_row(&mut lp, RowKind::Capacity { r, t }, terms, Cmp::Le, rhs);
            }
        }
    }
    for i in 0..n_i {
        for t in 0..n_t {
            if model.lo[i] > 0.0 {
                let terms = vec![(activity[[i, t]], 1.0)];
                elastic_row(&mut lp, RowKind::Min { i, t }, terms, Cmp::Ge, model.lo[i]);
            }
        }
    }
    for i in 0..n_i {
        for t in 0..n_t {
            // The last period's bound includes a caller's end cap.
            let hi = if t + 1 == n_t {
                model.hi[i].min(model.end_cap[i])
            } else {
                model.hi[i]
            };
            if hi.is_finite() {
                let terms = vec![(activity[[i, t]], 1.0)];
                elastic_row(&mut lp, RowKind::Max { i, t }, terms, Cmp::Le, hi);
            }
        }
    }
    for i in 0..n_i {
        for t in 0..n_t {
            let Some((up, down)) = flow[[i, t]] else {
                continue;
            };
            if let Some(limit) = model.ramp_up[i] {
                elastic_row(
                    &mut lp,
                    RowKind::RampUp { i, t },
                    vec![(up, 1.0)],
                    Cmp::Le,
                    limit,
                );
            }
            if let Some(limit) = model.ramp_down[i] {
                elastic_row(
                    &mut lp,
                    RowKind::RampDown { i, t },
                    vec![(down, 1.0)],
                    Cmp::Le,
                    limit,
                );
            }
        }
    }
    for r in 0..model.resources() {
        if let Some(limit) = &model.churn_limit[r] {
            for t in 0..n_t {
                let terms = churn_terms(model, &flow, r, t);
                if !terms.is_empty() {
                    elastic_row(&mut lp, RowKind::Churn { r, t }, terms, Cmp::Le, limit[t]);
                }
            }
        }
    }
    for (g, group) in model.groups.iter().enumerate() {
        for t in 0..n_t {
            if let Some(min) = group.min.filter(|&m| m > 0.0) {
                let terms = group_terms(model, &activity, g, t);
                elastic_row(&mut lp, RowKind::GroupMin { g, t }, terms, Cmp::Ge, min);
            }
            if let Some(max) = group.max {
                let terms = group_terms(model, &activity, g, t);
                elastic_row(&mut lp, RowKind::GroupMax { g, t }, terms, Cmp::Le, max);
            }
        }
    }
    add_structural_rows(&mut lp, model, &activity, &flow);
    Elastic { lp, slacks }
}
