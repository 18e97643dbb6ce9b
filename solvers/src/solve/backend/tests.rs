//! The backends on programs written by hand: the traps each solver hides are closed.

use super::Backend;
use crate::lp::{Cmp, LinearProgram, RowKind, Sense};
use crate::solve::solution::SolveFailure;
use crate::Cancel;

/// maximise x + y subject to x - y <= 1, x, y >= 0: unbounded along x = y.
fn unbounded() -> LinearProgram {
    let mut lp = LinearProgram::new(Sense::Maximise);
    let x = lp.column(0.0, f64::INFINITY, 1.0);
    let y = lp.column(0.0, f64::INFINITY, 1.0);
    lp.row(
        RowKind::Tier { tier: 1 },
        vec![(x, 1.0), (y, -1.0)],
        Cmp::Le,
        1.0,
    );
    lp
}

#[test]
fn clarabel_reports_an_unbounded_program_as_unbounded_not_solved() {
    assert_eq!(
        Backend::Clarabel.solve(&unbounded(), None, &Cancel::default()),
        Err(SolveFailure::Unbounded)
    );
}

#[test]
fn microlp_reports_an_unbounded_program_as_unbounded() {
    assert_eq!(
        Backend::Microlp.solve(&unbounded(), None, &Cancel::default()),
        Err(SolveFailure::Unbounded)
    );
}

#[test]
fn a_greater_or_equal_row_prices_with_the_sign_of_its_effect_on_the_objective() {
    // maximise -x subject to x >= 2: raising the floor by 1 lowers the optimum by 1.
    let mut lp = LinearProgram::new(Sense::Maximise);
    let x = lp.column(0.0, 10.0, -1.0);
    lp.row(RowKind::Tier { tier: 1 }, vec![(x, 1.0)], Cmp::Ge, 2.0);
    let solution = Backend::Clarabel
        .solve(&lp, None, &Cancel::default())
        .unwrap();
    let dual = solution.duals.unwrap()[0];
    assert!((dual + 1.0).abs() < 1e-6, "dual {dual}");
}

#[test]
fn a_less_or_equal_row_in_a_minimisation_prices_as_d_objective_d_rhs() {
    // minimise -x subject to x <= 3: raising the cap by 1 lowers the optimum by 1.
    let mut lp = LinearProgram::new(Sense::Minimise);
    let x = lp.column(0.0, f64::INFINITY, -1.0);
    lp.row(RowKind::Tier { tier: 1 }, vec![(x, 1.0)], Cmp::Le, 3.0);
    let solution = Backend::Clarabel
        .solve(&lp, None, &Cancel::default())
        .unwrap();
    let dual = solution.duals.unwrap()[0];
    assert!((dual + 1.0).abs() < 1e-6, "dual {dual}");
}

#[test]
fn crossing_bounds_are_infeasible_without_calling_a_solver() {
    let mut lp = LinearProgram::new(Sense::Maximise);
    lp.column(3.0, 2.0, 1.0);
    assert_eq!(
        Backend::Clarabel.solve(&lp, None, &Cancel::default()),
        Err(SolveFailure::Infeasible)
    );
    assert_eq!(
        Backend::Microlp.solve(&lp, None, &Cancel::default()),
        Err(SolveFailure::Infeasible)
    );
}

#[cfg(feature = "highs")]
mod highs {
    use super::*;

    #[test]
    fn highs_prices_a_binding_le_row_as_objective_gained_per_unit() {
        // maximise 3x subject to x <= 4: one more unit of rhs gains 3.
        let mut lp = LinearProgram::new(Sense::Maximise);
        let x = lp.column(0.0, f64::INFINITY, 3.0);
        lp.row(RowKind::Tier { tier: 1 }, vec![(x, 1.0)], Cmp::Le, 4.0);
        let solution = Backend::Highs.solve(&lp, None, &Cancel::default()).unwrap();
        assert!((solution.x[0] - 4.0).abs() < 1e-9);
        let dual = solution.duals.unwrap()[0];
        assert!((dual - 3.0).abs() < 1e-9, "dual {dual}");
    }

    #[test]
    fn highs_prices_a_binding_ge_row_with_the_sign_of_its_effect() {
        // maximise -x subject to x >= 2: raising the floor by 1 loses 1.
        let mut lp = LinearProgram::new(Sense::Maximise);
        let x = lp.column(0.0, 10.0, -1.0);
        lp.row(RowKind::Tier { tier: 1 }, vec![(x, 1.0)], Cmp::Ge, 2.0);
        let dual = Backend::Highs
            .solve(&lp, None, &Cancel::default())
            .unwrap()
            .duals
            .unwrap()[0];
        assert!((dual + 1.0).abs() < 1e-9, "dual {dual}");
    }

    #[test]
    fn highs_reports_an_unbounded_program_as_unbounded() {
        assert!(matches!(
            Backend::Highs.solve(&unbounded(), None, &Cancel::default()),
            Err(SolveFailure::Unbounded) | Err(SolveFailure::Infeasible)
        ));
    }

    #[test]
    fn highs_solves_whole_units() {
        // maximise x + y, 2x + 2y <= 5, integers: 2.
        let mut lp = LinearProgram::new(Sense::Maximise);
        let x = lp.column(0.0, 10.0, 1.0);
        let y = lp.column(0.0, 10.0, 1.0);
        lp.columns[x].integer = true;
        lp.columns[y].integer = true;
        lp.row(
            RowKind::Tier { tier: 1 },
            vec![(x, 2.0), (y, 2.0)],
            Cmp::Le,
            5.0,
        );
        let s = Backend::Highs.solve(&lp, None, &Cancel::default()).unwrap();
        assert!((s.x[0] + s.x[1] - 2.0).abs() < 1e-9);
        assert!(s.duals.is_none());
    }
}

#[test]
fn clarabel_reaches_the_simplex_optimum_on_a_badly_scaled_program() {
    // Capital in dollars beside people in FTE: coefficients eleven orders apart. Clarabel
    // runs first without iterative refinement, and must still agree with the simplex.
    let mut lp = LinearProgram::new(Sense::Maximise);
    let columns: Vec<usize> = (0..12)
        .map(|k| lp.column(0.0, 10.0 + k as f64, 1.0 + 0.37 * k as f64))
        .collect();
    let dollars: Vec<(usize, f64)> = columns
        .iter()
        .map(|&c| (c, 2.5e5 * (1.0 + (c % 3) as f64)))
        .collect();
    let people: Vec<(usize, f64)> = columns
        .iter()
        .map(|&c| (c, 1e-5 * (1.0 + (c % 4) as f64)))
        .collect();
    lp.row(RowKind::Capacity { r: 0, t: 0 }, dollars, Cmp::Le, 3.1e7);
    lp.row(RowKind::Capacity { r: 1, t: 0 }, people, Cmp::Le, 1.2e-3);
    let interior = Backend::Clarabel
        .solve(&lp, None, &Cancel::default())
        .unwrap();
    let simplex = Backend::Microlp
        .solve(&lp, None, &Cancel::default())
        .unwrap();
    let (a, b) = (lp.objective_at(&interior.x), lp.objective_at(&simplex.x));
    assert!(
        (a - b).abs() <= 1e-6 * b.abs().max(1.0),
        "clarabel {a} vs microlp {b}"
    );
}
