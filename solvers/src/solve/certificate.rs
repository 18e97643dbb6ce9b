//! Checks a backend's answer before anything is reported from it: the point satisfies
//! every row and bound, and (for an LP with duals) the duals prove it optimal.
//!
//! A solver's status is a claim, not a proof: an interior point can stall and call
//! itself solved, a simplex can stop on a wrong vertex of a badly scaled program.
//! The optimality conditions of a linear program are cheap to check, so every LP
//! answer is checked on the scaled program (numbers near 1, so one absolute
//! tolerance serves every magnitude) and a failed check sends the stage to another
//! backend instead of into a plan.

use crate::lp::{Cmp, LinearProgram, Sense};

/// What is wrong with an answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Flaw {
    #[error("row {row} is violated by {by:e}")]
    RowViolated { row: usize, by: f64 },
    #[error("column {column} is outside its bounds by {by:e}")]
    BoundViolated { column: usize, by: f64 },
    #[error("the dual of row {row} has the wrong sign ({dual:e})")]
    DualSign { row: usize, dual: f64 },
    #[error("row {row} has room ({slack:e}) but a price ({dual:e})")]
    PricedSlack { row: usize, slack: f64, dual: f64 },
    #[error("column {column} could still improve the objective (reduced cost {reduced:e})")]
    ReducedCost { column: usize, reduced: f64 },
}

/// Tolerances on the scaled program, whose coefficients, right-hand sides and
/// objective are near 1.
#[derive(Debug, Clone, Copy)]
pub struct Tolerance {
    pub primal: f64,
    pub dual: f64,
}

impl Tolerance {
    /// For a simplex vertex: exact up to round-off.
    pub const VERTEX: Tolerance = Tolerance {
        primal: 1e-7,
        dual: 1e-7,
    };
    /// For an interior point: Clarabel holds 1e-8 on its own equilibrated residuals,
    /// which leaves reduced costs of up to ~2e-5 on ours (measured on generated
    /// 500x6x6 scenarios); a wrong answer (a stall, a 9% miss) is far outside.
    pub const INTERIOR: Tolerance = Tolerance {
        primal: 1e-6,
        dual: 1e-4,
    };
}

/// Checks that `x` satisfies every row and bound of `lp`.
pub fn primal(lp: &LinearProgram, x: &[f64], tol: Tolerance) -> Result<(), Flaw> {
    for (column, (c, &v)) in lp.columns.iter().zip(x).enumerate() {
        let by = (c.lower - v).max(v - c.upper);
        // A NaN anywhere is a violation too.
        if by.is_nan() || by > tol.primal * (1.0 + v.abs()) {
            return Err(Flaw::BoundViolated { column, by });
        }
    }
    for (row, r) in lp.rows.iter().enumerate() {
        let (by, size) = excess(r, x);
        if by.is_nan() || by > tol.primal * size {
            return Err(Flaw::RowViolated { row, by });
        }
    }
    Ok(())
}

/// How far `x` breaks row `r` (<= 0 when it holds), and the row's size at `x`
/// (1 + its terms' magnitudes + |rhs|), against which a tolerance is relative.
pub(crate) fn excess(r: &crate::lp::Row, x: &[f64]) -> (f64, f64) {
    let (lhs, size) = activity(r, x);
    let by = match r.cmp {
        Cmp::Le => lhs - r.rhs,
        Cmp::Ge => r.rhs - lhs,
        Cmp::Eq => (lhs - r.rhs).abs(),
    };
    (by, 1.0 + size + r.rhs.abs())
}

/// Checks that `duals` (objective gained per unit of each row's right-hand side)
/// prove `x` optimal: each dual has its row's sign, a row with room has none, and
/// no column could move within its bounds and gain (reduced costs).
pub fn optimal(lp: &LinearProgram, x: &[f64], duals: &[f64], tol: Tolerance) -> Result<(), Flaw> {
    primal(lp, x, tol)?;
    let sense = maximising(lp);
    for (row, (r, &dual)) in lp.rows.iter().zip(duals).enumerate() {
        let y = sense * dual;
        let (lhs, size) = activity(r, x);
        let slack = match r.cmp {
            Cmp::Le => r.rhs - lhs,
            Cmp::Ge => lhs - r.rhs,
            Cmp::Eq => 0.0,
        };
        let wrong_sign = match r.cmp {
            Cmp::Le => y < -tol.dual,
            Cmp::Ge => y > tol.dual,
            Cmp::Eq => false,
        };
        if wrong_sign {
            return Err(Flaw::DualSign { row, dual });
        }
        if slack > tol.primal * (1.0 + size + r.rhs.abs()) && y.abs() > tol.dual {
            return Err(Flaw::PricedSlack { row, slack, dual });
        }
    }
    let reduced = reduced_costs(lp, duals);
    for (column, (c, (&v, &d))) in lp.columns.iter().zip(x.iter().zip(&reduced)).enumerate() {
        let room = tol.primal * (1.0 + v.abs());
        let can_rise = v < c.upper - room;
        let can_fall = v > c.lower + room;
        let scale = 1.0 + c.objective.abs();
        if (can_rise && d > tol.dual * scale) || (can_fall && d < -tol.dual * scale) {
            return Err(Flaw::ReducedCost { column, reduced: d });
        }
    }
    Ok(())
}

/// +1 for a maximisation, -1 for a minimisation: for a minimisation "gained" is the
/// objective's decrease, so duals and reduced costs times this read as a maximisation's.
pub(crate) fn maximising(lp: &LinearProgram) -> f64 {
    if lp.sense == Sense::Maximise {
        1.0
    } else {
        -1.0
    }
}

/// Each column's reduced cost, as a maximisation's, under row duals `duals`: what one
/// more unit of the column gains once its rows are paid for.
pub(crate) fn reduced_costs(lp: &LinearProgram, duals: &[f64]) -> Vec<f64> {
    let sense = maximising(lp);
    let mut reduced: Vec<f64> = lp.columns.iter().map(|c| sense * c.objective).collect();
    for (row, &dual) in lp.rows.iter().zip(duals) {
        for &(j, a) in &row.terms {
            reduced[j] -= a * sense * dual;
        }
    }
    reduced
}

/// A row's left-hand side at `x`, and the sum of its terms' magnitudes.
pub(crate) fn activity(r: &crate::lp::Row, x: &[f64]) -> (f64, f64) {
    r.terms.iter().fold((0.0, 0.0), |(sum, size), &(j, a)| {
        (sum + a * x[j], size + (a * x[j]).abs())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lp::RowKind;

    /// max 3x + 2y s.t. x + y <= 4, x <= 3 (bound): optimum x = 3, y = 1, price 2.
    fn product_mix() -> LinearProgram {
        let mut lp = LinearProgram::new(Sense::Maximise);
        let x = lp.column(0.0, 3.0, 3.0);
        let y = lp.column(0.0, f64::INFINITY, 2.0);
        lp.row(
            RowKind::Capacity { r: 0, t: 0 },
            vec![(x, 1.0), (y, 1.0)],
            Cmp::Le,
            4.0,
        );
        lp
    }

    #[test]
    fn the_optimum_with_its_price_passes() {
        assert_eq!(
            optimal(&product_mix(), &[3.0, 1.0], &[2.0], Tolerance::VERTEX),
            Ok(())
        );
    }

    #[test]
    fn a_suboptimal_vertex_fails_on_a_reduced_cost() {
        // x = 0, y = 4 with price 2: x could rise and gain 3 - 2.
        assert!(matches!(
            optimal(&product_mix(), &[0.0, 4.0], &[2.0], Tolerance::VERTEX),
            Err(Flaw::ReducedCost { column: 0, .. })
        ));
    }

    #[test]
    fn a_wrong_price_fails() {
        assert!(optimal(&product_mix(), &[3.0, 1.0], &[2.5], Tolerance::VERTEX).is_err());
        assert!(optimal(&product_mix(), &[3.0, 1.0], &[0.0], Tolerance::VERTEX).is_err());
    }

    #[test]
    fn a_price_on_a_row_with_room_fails() {
        assert!(matches!(
            optimal(&product_mix(), &[3.0, 0.5], &[2.0], Tolerance::VERTEX),
            Err(Flaw::PricedSlack { .. })
        ));
    }

    #[test]
    fn an_infeasible_point_fails() {
        assert!(matches!(
            primal(&product_mix(), &[3.0, 2.0], Tolerance::VERTEX),
            Err(Flaw::RowViolated { row: 0, .. })
        ));
        assert!(matches!(
            primal(&product_mix(), &[3.5, 0.0], Tolerance::VERTEX),
            Err(Flaw::BoundViolated { column: 0, .. })
        ));
    }
}
