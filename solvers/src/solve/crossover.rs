//! From an interior point to a vertex: the default build's way to exact prices on
//! LPs too large for lp_solve's simplex alone.
//!
//! Clarabel's interior point is fast on large programs but ends near the *centre* of
//! the optimal face: a degenerate price comes out as the middle of its range, and a
//! price worth 1e-8 of the objective can come out as 0. A plan's prices must be the
//! duals of a basis (MODEL.md), so the interior point is only used to guess which
//! columns sit at a bound (their reduced cost clearly says so) and which rows have
//! room. In one kept lp_solve model those columns are held at their bound and those
//! rows set aside, and the simplex solves the rest to a vertex. Its basis is a basis
//! of the whole program (held columns non-basic, set-aside rows' slacks basic), and
//! an optimal one when no set-aside row is broken and every held column's reduced
//! cost has the sign its bound needs. Each guess that fails is undone and the model
//! solved again from its last basis; after `ROUNDS` rounds the whole program goes to
//! a fresh lp_solve solve. Whatever comes out is checked by `certificate` like any
//! vertex.

use crate::lp::{Cmp, LinearProgram};
use crate::solve::backend::lpsolve_api::{Options, Restartable};
use crate::solve::certificate::{activity, excess, maximising, reduced_costs};
use crate::solve::solution::{Solution, SolveFailure};

/// Rounds of guessing before the whole program goes to a fresh simplex.
const ROUNDS: usize = 8;
/// Round-off on the scaled program (numbers near 1), as for a simplex vertex.
const TOL: f64 = 1e-7;
/// A reduced cost or dual this large (scaled) is taken as a sign the interior point
/// means: its own residuals are ~1e-8, and a wrong guess only costs a round.
const CLEAR: f64 = 1e-6;

/// The vertex nearest in spirit to `interior` (a near-optimal point with duals, from
/// an interior-point solve of `lp`, which is scaled and has no integer columns): an
/// optimal basic point of `lp` with its basis's duals, from lp_solve.
///
/// Errors: lp_solve's, when the rounds of guessing run out and it solves the whole
/// program (a time limit, a cancellation, or what a fresh solve of it says).
///
/// Long because it is one loop of guess, solve, check and release, whose state (the
/// held columns, the rows set aside, the kept lp_solve model) is what each round
/// changes.
pub(crate) fn vertex(
    lp: &LinearProgram,
    interior: &Solution,
    options: &Options<'_>,
) -> Result<Solution, SolveFailure> {
    let duals = interior
        .duals
        .as_deref()
        .ok_or_else(|| SolveFailure::Solver("an interior point without duals".into()))?;
    let sense = maximising(lp);
    let reduced = reduced_costs(lp, duals);
    // Which columns are held at which bound, and which rows are set aside.
    let mut held: Vec<Option<f64>> = lp
        .columns
        .iter()
        .zip(&interior.x)
        .zip(&reduced)
        .map(|((c, &v), &d)| {
            let clear = CLEAR * (1.0 + c.objective.abs());
            let nearer_lower = (v - c.lower) <= (c.upper - v);
            if d < -clear && c.lower.is_finite() && nearer_lower {
                Some(c.lower)
            } else if d > clear && c.upper.is_finite() && !nearer_lower {
                Some(c.upper)
            } else {
                None
            }
        })
        .collect();
    let mut aside: Vec<bool> = lp
        .rows
        .iter()
        .zip(duals)
        .map(|(row, &y)| {
            let (lhs, size) = activity(row, &interior.x);
            let room = match row.cmp {
                Cmp::Le => row.rhs - lhs,
                Cmp::Ge => lhs - row.rhs,
                Cmp::Eq => 0.0,
            };
            row.cmp != Cmp::Eq
                && room > CLEAR * (1.0 + size + row.rhs.abs())
                && (sense * y).abs() <= CLEAR
        })
        .collect();
    let mut simplex = Restartable::load(lp)?;
    for (j, h) in held.iter().enumerate() {
        if let Some(v) = h {
            simplex.hold(j, *v);
        }
    }
    for (i, _) in aside.iter().enumerate().filter(|(_, a)| **a) {
        simplex.set_aside(i);
    }
    for round in 0..ROUNDS {
        tracing::debug!(
            round,
            held = held.iter().flatten().count(),
            aside = aside.iter().filter(|a| **a).count(),
            columns = lp.columns.len(),
            rows = lp.rows.len(),
            "crossover: solving with columns held and rows set aside"
        );
        let solved = match simplex.solve(options) {
            Ok(solved) => solved,
            // Holding columns can cut every plan off, and setting rows aside can free
            // a direction: the guess was wrong, not the program.
            Err(SolveFailure::Infeasible | SolveFailure::Unbounded) => break,
            Err(failure) => return Err(failure),
        };
        let Some(y) = solved.duals.as_deref() else {
            break;
        };
        let broken: Vec<usize> = (0..lp.rows.len())
            .filter(|&i| aside[i] && breaks(&lp.rows[i], &solved.x))
            .collect();
        let reduced = reduced_costs(lp, y);
        let wrong: Vec<usize> = (0..lp.columns.len())
            .filter(|&j| {
                held[j].is_some_and(|v| {
                    let c = &lp.columns[j];
                    let tol = TOL * (1.0 + c.objective.abs());
                    (v < c.upper && reduced[j] > tol) || (v > c.lower && reduced[j] < -tol)
                })
            })
            .collect();
        if broken.is_empty() && wrong.is_empty() {
            return Ok(solved);
        }
        tracing::debug!(
            round,
            rows = broken.len(),
            columns = wrong.len(),
            "crossover: guesses to undo"
        );
        for i in broken {
            aside[i] = false;
            simplex.restore(i);
        }
        for j in wrong {
            held[j] = None;
            simplex.release(j);
        }
    }
    tracing::debug!("crossover: solving the whole program");
    crate::solve::backend::lpsolve_api::solve(lp, options)
}

/// Whether `x` breaks `row` beyond round-off.
fn breaks(row: &crate::lp::Row, x: &[f64]) -> bool {
    let (by, size) = excess(row, x);
    by > TOL * size
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lp::RowKind;
    use crate::solve::certificate::{optimal, Tolerance};
    use crate::Cancel;

    /// max 3x + 2y + 2z s.t. x + y + z <= 4, x <= 3: y and z tie for the last unit,
    /// so the optimal face is an edge; the capacity price is exactly 2.
    fn tied_mix() -> LinearProgram {
        let mut lp = LinearProgram::new(crate::lp::Sense::Maximise);
        let x = lp.column(0.0, 3.0, 3.0);
        let y = lp.column(0.0, 10.0, 2.0);
        let z = lp.column(0.0, 10.0, 2.0);
        lp.row(
            RowKind::Capacity { r: 0, t: 0 },
            vec![(x, 1.0), (y, 1.0), (z, 1.0)],
            Cmp::Le,
            4.0,
        );
        lp
    }

    fn interior(x: Vec<f64>, duals: Vec<f64>) -> Solution {
        Solution {
            x,
            duals: Some(duals),
            proven_optimal: true,
            bound: None,
        }
    }

    #[test]
    fn the_centre_of_an_optimal_edge_becomes_a_vertex_with_the_exact_price() {
        let lp = tied_mix();
        let cancel = Cancel::default();
        let centre = interior(vec![2.999_999_9, 0.500_000_1, 0.5], vec![2.000_000_3]);
        let v = vertex(&lp, &centre, &Options::plain(&cancel)).unwrap();
        assert_eq!(v.duals.as_deref(), Some(&[2.0][..]));
        assert_eq!(v.x[0], 3.0);
        // A vertex: one of y, z at a bound.
        assert!(v.x[1] == 0.0 || v.x[2] == 0.0, "{:?}", v.x);
        assert_eq!(optimal(&lp, &v.x, &[2.0], Tolerance::VERTEX), Ok(()));
    }

    #[test]
    fn wrong_guesses_from_a_poor_interior_point_are_undone() {
        // Duals of 0 make every column look worth raising: all are held at their upper
        // bounds, which breaks the capacity row; x held low by a dual of 5 is wrong too.
        let lp = tied_mix();
        let cancel = Cancel::default();
        for (x, duals) in [
            (vec![2.9, 9.9, 9.9], vec![0.0]),
            (vec![0.1, 2.0, 1.9], vec![5.0]),
        ] {
            let v = vertex(&lp, &interior(x, duals), &Options::plain(&cancel)).unwrap();
            let y = v.duals.clone().unwrap();
            assert_eq!(y, vec![2.0]);
            assert_eq!(optimal(&lp, &v.x, &y, Tolerance::VERTEX), Ok(()));
            assert!((lp.objective_at(&v.x) - 11.0).abs() < 1e-12, "{:?}", v.x);
        }
    }
}
