//! Moves: who gave a resource to whom, period by period.
//!
//! An LP says how much each initiative uses, not who handed what to whom; the model
//! document fixes one matching so that the same plan always lists the same moves.
//! Per period and resource: initiatives whose use fell are donors, those whose use
//! rose are receivers, and the reserve balances the two. Both sides are sorted by
//! amount (largest first, ties by id) and matched greedily.

use crate::model::Model;
use crate::report::plan::{Move, RESERVE};
use ndarray::Array2;
use std::cmp::Ordering;

/// The moves of a plan with activities a[i,t], periods in order, resources in scenario order.
pub fn moves(model: &Model, activities: &Array2<f64>) -> Vec<Move> {
    let mut out = Vec::new();
    for t in 0..model.periods() {
        for r in 0..model.resources() {
            let mut donors: Vec<(&str, f64)> = Vec::new();
            let mut receivers: Vec<(&str, f64)> = Vec::new();
            let mut net = 0.0;
            for i in 0..model.initiatives() {
                let a = model.requirements[[i, r]];
                if a == 0.0 {
                    continue;
                }
                let before = if t == 0 {
                    model.current[i]
                } else {
                    activities[[i, t - 1]]
                };
                let change = a * activities[[i, t]] - a * before;
                net += change;
                let id = model.initiative_ids[i].as_str();
                match change.partial_cmp(&0.0) {
                    Some(Ordering::Less) => donors.push((id, -change)),
                    Some(Ordering::Greater) => receivers.push((id, change)),
                    _ => {}
                }
            }
            if net > 0.0 {
                donors.push((RESERVE, net));
            } else if net < 0.0 {
                receivers.push((RESERVE, -net));
            }
            let threshold = 1e-6 * model.capacity[[r, t]].max(1.0);
            for (from, to, amount) in match_greedily(donors, receivers) {
                if amount >= threshold {
                    out.push(Move {
                        period: model.period_ids[t].clone(),
                        resource: model.resource_ids[r].clone(),
                        from: from.to_string(),
                        to: to.to_string(),
                        amount,
                    });
                }
            }
        }
    }
    out
}

/// Repeatedly moves min(first donor's remainder, first receiver's remainder) from the
/// first donor to the first receiver, dropping whichever is exhausted.
fn match_greedily<'a>(
    mut donors: Vec<(&'a str, f64)>,
    mut receivers: Vec<(&'a str, f64)>,
) -> Vec<(&'a str, &'a str, f64)> {
    let by_amount =
        |x: &(&str, f64), y: &(&str, f64)| y.1.total_cmp(&x.1).then_with(|| x.0.cmp(y.0));
    donors.sort_by(by_amount);
    receivers.sort_by(by_amount);
    let (mut d, mut r) = (0, 0);
    let mut matched = Vec::new();
    while d < donors.len() && r < receivers.len() {
        let amount = donors[d].1.min(receivers[r].1);
        matched.push((donors[d].0, receivers[r].0, amount));
        donors[d].1 -= amount;
        receivers[r].1 -= amount;
        // When both run out together, dropping both only skips a zero-amount move,
        // which would never be listed.
        if donors[d].1 <= 0.0 {
            d += 1;
        }
        if receivers[r].1 <= 0.0 {
            r += 1;
        }
    }
    matched
}

#[cfg(test)]
mod tests {
    use super::match_greedily;

    #[test]
    fn largest_donor_feeds_largest_receiver_first() {
        let donors = vec![("a", 1.0), ("b", 3.0)];
        let receivers = vec![("x", 2.0), ("y", 2.0)];
        let m = match_greedily(donors, receivers);
        assert_eq!(m, vec![("b", "x", 2.0), ("b", "y", 1.0), ("a", "y", 1.0)]);
    }

    #[test]
    fn ties_in_amount_break_by_id() {
        let m = match_greedily(vec![("z", 1.0), ("a", 1.0)], vec![("r", 2.0)]);
        assert_eq!(m, vec![("a", "r", 1.0), ("z", "r", 1.0)]);
    }
}
