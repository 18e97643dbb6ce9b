//! lp_solve as a backend: an LP in one simplex solve (vertex duals), a MILP as its
//! relaxation's bound and then branch and bound with our gap in lp_solve's terms.
//! The C API itself is `lpsolve_api`.

use super::lpsolve_api;
use super::Search;
use crate::lp::scaling::Scaling;
use crate::lp::{LinearProgram, RowKind, Sense};
use crate::solve::solution::{Solution, SolveFailure};

/// lp_solve: an LP in one simplex solve; a MILP as its LP relaxation (the bound a
/// stopped search reports, and the first progress line), then branch and bound.
///
/// Long because the whole-unit strategy is one sequence whose steps share the
/// options and the clock: relaxation, gap conversion, a first incumbent with the
/// tiers kept, the search, and the bound it proves.
pub(crate) fn lpsolve(
    lp: &LinearProgram,
    scaling: &Scaling,
    time_limit: Option<f64>,
    cancel: &crate::Cancel,
    search: &Search,
    start: Option<&[f64]>,
) -> Result<Solution, SolveFailure> {
    let started = std::time::Instant::now();
    let mut options = lpsolve_api::Options {
        time_limit,
        mip_gap: 0.0,
        cancel,
        progress: search.progress.as_deref(),
        bound: None,
        objective_scale: scaling.objective_scale(),
    };
    if !lp.has_integers() {
        return lpsolve_api::solve(lp, &options);
    }
    let mut relaxation = lp.clone();
    relaxation
        .columns
        .iter_mut()
        .for_each(|c| c.integer = false);
    let relaxed = lpsolve_api::solve(&relaxation, &options)?;
    let relaxed_bound = lp.objective_at(&relaxed.x);
    // lp_solve prunes what cannot beat its incumbent by more than relgap x (1 +
    // |incumbent|), in the program's (scaled) units; our gap is mipGap x max(1,
    // |objective|) in the scenario's, i.e. mipGap x max(sigma, |objective|) scaled. With
    // the relaxation's optimum standing in for the incumbent, convert one to the other.
    let sigma = scaling.objective_scale();
    let size = relaxed_bound.abs();
    // Half of it, so that what a completed search proves stays within mipGap even
    // when the incumbent is smaller than the relaxation's optimum.
    let relgap = (0.5 * search.mip_gap * sigma.max(size) / (1.0 + size)).min(0.5);
    options.mip_gap = relgap;
    options.bound = Some(scaling.objective_value(relaxed_bound));
    let left = || time_limit.map(|limit| (limit - started.elapsed().as_secs_f64()).max(0.0));
    let kept_tiers = start.and_then(|x| {
        let options = lpsolve_api::Options {
            time_limit: left().map(|s| s * 0.4),
            ..options
        };
        with_tiers_kept(lp, scaling, x, &options)
    });
    tracing::debug!(
        objective = kept_tiers
            .as_ref()
            .map(|s| scaling.objective_value(lp.objective_at(&s.x))),
        elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
        "tiers kept"
    );
    options.time_limit = left();
    let searched = lpsolve_api::solve(lp, &options);
    let better = |a: &[f64], b: &[f64]| match lp.sense {
        Sense::Maximise => lp.objective_at(a) > lp.objective_at(b),
        Sense::Minimise => lp.objective_at(a) < lp.objective_at(b),
    };
    let unproven = |x: Vec<f64>| Solution {
        x,
        duals: None,
        proven_optimal: false,
        bound: None,
    };
    let mut solution = match (searched, kept_tiers) {
        (Ok(found), Some(first)) if !found.proven_optimal && better(&first.x, &found.x) => {
            unproven(first.x)
        }
        (Ok(found), _) => found,
        (Err(SolveFailure::TimeLimit), Some(first)) => unproven(first.x),
        (Err(failure), _) => return Err(failure),
    };
    let objective = lp.objective_at(&solution.x);
    // A completed search proves what lp_solve's rule leaves open; a stopped one only
    // what the relaxation proves.
    let bound = if solution.proven_optimal {
        let slack = relgap * (1.0 + objective.abs());
        match lp.sense {
            Sense::Maximise => objective + slack,
            Sense::Minimise => objective - slack,
        }
    } else {
        relaxed_bound
    };
    solution.bound = Some(match lp.sense {
        Sense::Maximise => bound.min(relaxed_bound).max(objective),
        Sense::Minimise => bound.max(relaxed_bound).min(objective),
    });
    Ok(solution)
}

/// A tier row (an earlier tier's value to keep) is one dense row over many whole
/// columns, and lp_solve's depth-first search often finds no plan under it at all
/// (three seeds in four of the generated 100x4x6 all-integral portfolio, in 10 s).
/// The earlier stage's plan `x` keeps it: with the columns of the tier rows fixed where
/// that plan has them, the rest is searched without the row, and the plan found there
/// is a first incumbent for the whole search. None without tier rows or a plan.
fn with_tiers_kept(
    lp: &LinearProgram,
    scaling: &Scaling,
    x: &[f64],
    options: &lpsolve_api::Options,
) -> Option<Solution> {
    let mut fixed = lp.clone();
    let mut any = false;
    for row in lp
        .rows
        .iter()
        .filter(|r| matches!(r.kind, RowKind::Tier { .. }))
    {
        for &(j, _) in &row.terms {
            let v = x[j] / scaling.column_scale(j);
            let v = if lp.columns[j].integer { v.round() } else { v };
            let c = &mut fixed.columns[j];
            (c.lower, c.upper) = (v, v);
            any = true;
        }
    }
    if !any {
        return None;
    }
    lpsolve_api::solve(&fixed, options).ok()
}
