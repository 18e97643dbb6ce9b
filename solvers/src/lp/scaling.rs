//! Row, column and objective scaling: the program a solver sees has numbers near 1
//! whatever the scenario's units (capital in USD at 1e12, values at 1e-9 per unit).
//!
//! Solvers work to absolute tolerances (1e-8 to 1e-10), so a program whose right-hand
//! sides are 1e10 or whose objective coefficients are 1e-9 is solved to the wrong
//! precision: prices 0 or 9% off, "unbounded" on a bounded program. Scaling fixes the
//! kind, not the instance: for x = s * y (column scales s), rows multiplied by rho and
//! the objective by sigma, the scaled program
//!
//! ```text
//!   max sigma * sum_j c_j s_j y_j   s.t.  sum_j (rho_i a_ij s_j) y_j  cmp  rho_i b_i,
//!                                         l_j / s_j <= y_j <= u_j / s_j
//! ```
//!
//! has the same optimal points (x = s * y) and its row duals are the original's times
//! sigma / rho_i. The scales are geometric means over the matrix, the right-hand
//! sides, the finite column bounds and the objective (a few passes, as in Curtis and
//! Reid's and lp_solve's geometric scaling), rounded to powers of two so that scaling
//! and unscaling are exact in floating point. Integer columns keep s = 1, so whole
//! numbers stay whole.

use crate::lp::{LinearProgram, Row};

/// The scales of one program.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scaling {
    /// rho_i per row.
    rows: Vec<f64>,
    /// s_j per column: x_j = s_j * y_j.
    columns: Vec<f64>,
    /// sigma: the scaled objective is the original times this.
    objective: f64,
}

/// A scaled coefficient this far below its line's largest (the objective's is about
/// 1) is round-off.
const ROUND_OFF: f64 = 1e-13;

/// An entry this far below its line's largest is round-off (8e-17 beside 2.4: a
/// segment's perUnit in a tier row) and plays no part in the line's scale; left in,
/// it would pull its column up by 1e8, past a simplex's tolerances. Anything larger is
/// a real magnitude (1 FTE and 1e12 FTE per unit in one row) and counts.
const SIGNIFICANT: f64 = ROUND_OFF;

/// Geometric passes; more change nothing measurable on generated scenarios.
const PASSES: usize = 8;

impl Scaling {
    /// Scales for `lp` and the scaled program.
    pub(crate) fn of(lp: &LinearProgram) -> (Scaling, LinearProgram) {
        let scaling = Scaling::compute(lp);
        let scaled = scaling.apply(lp);
        (scaling, scaled)
    }

    /// These column scales (and row scales for the rows they have) carried over to
    /// `lp`, a program with the same columns and perhaps more rows (a later stage, a
    /// re-plan with a capacity changed): a solver that keeps its model across them
    /// must see the same scaled columns. New rows get their own scales, and the
    /// objective a scale of its own. None when `lp` has other columns.
    #[cfg(feature = "highs")]
    pub(crate) fn carried_to(&self, lp: &LinearProgram) -> Option<(Scaling, LinearProgram)> {
        if lp.columns.len() != self.columns.len() || lp.rows.len() < self.rows.len() {
            return None;
        }
        let mut rows = self.rows.clone();
        for row in &lp.rows[self.rows.len()..] {
            rows.push(row_scale(row, &self.columns));
        }
        let scaling = Scaling {
            rows,
            columns: self.columns.clone(),
            objective: objective_scale(lp, &self.columns),
        };
        let scaled = scaling.apply(lp);
        Some((scaling, scaled))
    }

    /// The scaled objective is the scenario's objective times this.
    pub(crate) fn objective_scale(&self) -> f64 {
        self.objective
    }

    fn compute(lp: &LinearProgram) -> Scaling {
        let n = lp.columns.len();
        let mut rows: Vec<f64>;
        let mut columns = vec![1.0; n];
        let mut largest = vec![0.0f64; n];
        let mut smallest = vec![f64::INFINITY; n];
        for _ in 0..PASSES {
            rows = lp.rows.iter().map(|row| row_scale(row, &columns)).collect();
            // Columns: their coefficients (with the rows' scales) and the larger of their
            // finite bounds (a bound u on x_j is u / s_j on y_j: the entry s_j / u wants
            // it near 1; a floor of 1e-30 under a cap of 6 says nothing of the column's
            // size). Not the objective: a round-off coefficient there would blow the
            // column up.
            let bound_entries = |j: usize, s: f64| {
                let c = &lp.columns[j];
                [c.lower, c.upper]
                    .into_iter()
                    .filter(|b| b.is_finite() && *b != 0.0)
                    .map(f64::abs)
                    .reduce(f64::max)
                    .map(move |b| s / b)
                    .into_iter()
            };
            largest.iter_mut().for_each(|v| *v = 0.0);
            smallest.iter_mut().for_each(|v| *v = f64::INFINITY);
            for (i, row) in lp.rows.iter().enumerate() {
                for &(j, a) in &row.terms {
                    largest[j] = largest[j].max((a * rows[i] * columns[j]).abs());
                }
            }
            for j in 0..n {
                largest[j] = bound_entries(j, columns[j]).fold(largest[j], f64::max);
            }
            for (i, row) in lp.rows.iter().enumerate() {
                for &(j, a) in &row.terms {
                    let v = (a * rows[i] * columns[j]).abs();
                    if v >= SIGNIFICANT * largest[j] && v > 0.0 {
                        smallest[j] = smallest[j].min(v);
                    }
                }
            }
            for (j, c) in lp.columns.iter().enumerate() {
                if c.integer || largest[j] == 0.0 || !largest[j].is_finite() {
                    continue;
                }
                let min = bound_entries(j, columns[j])
                    .filter(|&v| v >= SIGNIFICANT * largest[j])
                    .fold(smallest[j], f64::min);
                columns[j] *= power_of_two(1.0 / (min * largest[j]).sqrt());
            }
        }
        // The last pass moved the columns: bring rows and objective after them.
        rows = lp.rows.iter().map(|row| row_scale(row, &columns)).collect();
        let objective = objective_scale(lp, &columns);
        Scaling {
            rows,
            columns,
            objective,
        }
    }

    fn apply(&self, lp: &LinearProgram) -> LinearProgram {
        let mut scaled = lp.clone();
        for (j, c) in scaled.columns.iter_mut().enumerate() {
            let s = self.columns[j];
            c.lower /= s;
            c.upper /= s;
            c.objective *= s * self.objective;
            // The largest coefficient is about 1 now: one of 1e-13 is round-off (a
            // segment's perUnit of 2.2e-16), and left in, it misleads a simplex.
            if c.objective.abs() < ROUND_OFF {
                c.objective = 0.0;
            }
        }
        for (i, row) in scaled.rows.iter_mut().enumerate() {
            let rho = self.rows[i];
            for (j, a) in &mut row.terms {
                *a *= rho * self.columns[*j];
            }
            // As in the objective: a coefficient 1e-13 below the row's largest is
            // round-off of the scenario's arithmetic, not a requirement.
            let largest = row.terms.iter().fold(0.0f64, |m, &(_, a)| m.max(a.abs()));
            row.terms.retain(|&(_, a)| a.abs() >= ROUND_OFF * largest);
            row.rhs *= rho;
        }
        scaled
    }

    /// s_j: a column's value in the scenario is its scaled value times this.
    pub(crate) fn column_scale(&self, j: usize) -> f64 {
        self.columns[j]
    }

    /// The scenario's point from the scaled program's.
    pub(crate) fn point(&self, y: &[f64]) -> Vec<f64> {
        y.iter().zip(&self.columns).map(|(y, s)| y * s).collect()
    }

    /// The scenario's row duals (objective per unit of right-hand side) from the
    /// scaled program's.
    pub(crate) fn duals(&self, scaled: &[f64]) -> Vec<f64> {
        scaled
            .iter()
            .zip(&self.rows)
            .map(|(d, rho)| d * rho / self.objective)
            .collect()
    }

    /// An objective value of the scaled program in the scenario's units.
    pub(crate) fn objective_value(&self, scaled: f64) -> f64 {
        scaled / self.objective
    }
}

/// The objective's scale: its largest coefficient to about 1. Not a geometric mean:
/// a coefficient of round-off size (a last segment's perUnit of -2e-16) would pull
/// the others up to 1e8, past where a simplex's tolerances hold.
fn objective_scale(lp: &LinearProgram, columns: &[f64]) -> f64 {
    let largest = lp
        .columns
        .iter()
        .zip(columns)
        .map(|(c, s)| (c.objective * s).abs())
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    if largest == 0.0 {
        1.0
    } else {
        power_of_two(1.0 / largest)
    }
}

/// A row's scale: 1 / sqrt(smallest x largest) of its coefficients (with the columns'
/// scales) and right-hand side, so that their geometric middle sits at 1.
fn row_scale(row: &Row, columns: &[f64]) -> f64 {
    let entries = || {
        row.terms
            .iter()
            .map(|&(j, a)| (a * columns[j]).abs())
            .chain([row.rhs.abs()])
            .filter(|v| v.is_finite() && *v > 0.0)
    };
    let largest = entries().fold(0.0, f64::max);
    if largest == 0.0 {
        return 1.0;
    }
    let smallest = entries()
        .filter(|&v| v >= SIGNIFICANT * largest)
        .fold(f64::INFINITY, f64::min);
    power_of_two(1.0 / (smallest * largest).sqrt())
}

/// The power of two nearest `x` (scaling by it is exact in floating point).
fn power_of_two(x: f64) -> f64 {
    2f64.powi(x.log2().round().clamp(-900.0, 900.0) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lp::{Cmp, RowKind, Sense};

    fn capital_pair(capital: f64) -> LinearProgram {
        let mut lp = LinearProgram::new(Sense::Maximise);
        let a = lp.column(0.0, f64::INFINITY, 60.0);
        let b = lp.column(0.0, 1e9, 30.0);
        lp.row(
            RowKind::Capacity { r: 0, t: 0 },
            vec![(a, 2.0), (b, 1.5)],
            Cmp::Le,
            capital,
        );
        lp
    }

    #[test]
    fn scaled_numbers_sit_near_one() {
        let (_, scaled) = Scaling::of(&capital_pair(1e10));
        let row = &scaled.rows[0];
        for &(_, a) in &row.terms {
            assert!((0.01..=100.0).contains(&a.abs()), "coefficient {a}");
        }
        assert!((0.01..=100.0).contains(&row.rhs), "rhs {}", row.rhs);
    }

    #[test]
    fn scales_are_powers_of_two_so_unscaling_is_exact() {
        let lp = capital_pair(3e10);
        let (scaling, scaled) = Scaling::of(&lp);
        let upper: Vec<f64> = scaled.columns.iter().map(|c| c.upper).collect();
        assert_eq!(scaling.point(&upper)[1], 1e9);
        for s in scaling.columns.iter().chain(&scaling.rows) {
            assert_eq!(s.log2().fract(), 0.0, "scale {s}");
        }
    }

    #[test]
    fn integer_columns_are_not_scaled() {
        let mut lp = capital_pair(1e12);
        lp.columns[0].integer = true;
        let (scaling, _) = Scaling::of(&lp);
        assert_eq!(scaling.columns[0], 1.0);
    }
}
