//! An explanation as a table and a few sentences: per initiative what it earns and
//! costs at the margin, the factor on its value that would change its decision, and
//! what forcing the other decision would cost.

use super::{num, table, Align};
use fluidity_solvers::whatif::explain::{
    Decision, Direction, Explanation, Flip, InitiativeExplanation,
};
use fluidity_solvers::Scenario;
use fluidity_solvers::{Change, Status};
use std::fmt::Write;

/// An explanation for a person: a table of decisions with their flip factors and
/// forced costs, a sentence per change, and the caveats that apply.
pub fn explanation(name: &str, scenario: &Scenario, x: &Explanation) -> String {
    let mut out = String::new();
    if x.status == Status::Infeasible {
        let _ = writeln!(
            out,
            "{name} has no plan to explain: it is INFEASIBLE (`fluidity plan` gives its diagnosis)."
        );
        return out;
    }
    let _ = writeln!(
        out,
        "What would change each decision in {name} (objective {}):",
        num(x.objective)
    );
    decisions(&mut out, x);
    let sentences: Vec<String> = x
        .initiatives
        .iter()
        .filter(|e| e.change != Change::Hold)
        .filter_map(sentence)
        .collect();
    if !sentences.is_empty() {
        let _ = writeln!(out);
        for s in sentences {
            let _ = writeln!(out, "  {s}");
        }
    }
    let _ = writeln!(
        out,
        "\n{} plans solved. A factor multiplies every perUnit of the initiative's value curve.",
        x.solves
    );
    if x.status == Status::Feasible {
        let _ = writeln!(
            out,
            "The plan was stopped by a time limit (FEASIBLE), and so may its re-plans be: the factors are approximate."
        );
    }
    if scenario.initiatives.iter().any(|i| i.integral) {
        let _ = writeln!(
            out,
            "Whole units: each re-plan is optimal only to within policy.mipGap, and so is each factor."
        );
    }
    out
}

/// One row per initiative: its decision, margins, flip factors and forced cost.
fn decisions(out: &mut String, x: &Explanation) {
    let rows: Vec<Vec<String>> = x
        .initiatives
        .iter()
        .map(|e| {
            vec![
                e.id.clone(),
                change(e.change).to_string(),
                num(e.end),
                num(e.marginal_value),
                num(e.resource_cost),
                flip(e, Direction::More),
                flip(e, Direction::Less),
                forced(e),
            ]
        })
        .collect();
    table(
        out,
        &[
            "initiative",
            "change",
            "last period",
            "earns/unit",
            "resources/unit",
            "more if value x",
            "less if value x",
            "the other decision costs",
        ],
        &[
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Left,
            Align::Left,
            Align::Left,
        ],
        &rows,
    );
}

fn change(c: Change) -> &'static str {
    match c {
        Change::Grow => "GROW",
        Change::Hold => "hold",
        Change::Shrink => "SHRINK",
        Change::Stop => "STOP",
    }
}

fn find(e: &InitiativeExplanation, direction: Direction) -> Option<&Flip> {
    e.flips.iter().find(|f| f.direction == direction)
}

fn flip(e: &InitiativeExplanation, direction: Direction) -> String {
    match find(e, direction) {
        None => "-".to_string(),
        Some(f) if f.never && f.held_by.is_empty() => "never".to_string(),
        Some(f) if f.never => format!("never ({})", f.held_by),
        Some(f) => format!("x{}", factor(f.factor)),
    }
}

/// A factor with the digits that tell it from 1: `x0.99999999`, not `x1`.
fn factor(f: f64) -> String {
    if (f - 1.0).abs() < 1e-3 && f != 1.0 {
        let text = format!("{f:.9}");
        text.trim_end_matches('0').to_string()
    } else {
        num(f)
    }
}

fn forced(e: &InitiativeExplanation) -> String {
    let what = match e.forced.decision {
        Decision::None => return "-".to_string(),
        Decision::Keep => "keep",
        Decision::Stop => "stop",
    };
    if !e.forced.feasible {
        return format!("{what}: impossible ({})", e.forced.conflicts.join(", "));
    }
    format!("{what}: {}", num(e.forced.cost))
}

/// "Keeping bnpl-pilot at its current 2 costs 123 of value; it would get more with its
/// value x2.47."
fn sentence(e: &InitiativeExplanation) -> Option<String> {
    let mut text = match (e.forced.decision, e.forced.feasible) {
        (Decision::Keep, true) => format!(
            "Keeping {} at its current {} {} {} of value",
            e.id,
            num(e.current),
            if e.forced.cost >= 0.0 {
                "costs"
            } else {
                "gains"
            },
            num(e.forced.cost.abs())
        ),
        (Decision::Stop, true) => format!(
            "Stopping {} {} {} of value",
            e.id,
            if e.forced.cost >= 0.0 {
                "costs"
            } else {
                "gains"
            },
            num(e.forced.cost.abs())
        ),
        (Decision::Keep, false) => format!("{} cannot be kept at its current level", e.id),
        (Decision::Stop, false) => format!("{} cannot be stopped", e.id),
        (Decision::None, _) => return None,
    };
    let flip = match e.change {
        Change::Grow => find(e, Direction::Less),
        _ => find(e, Direction::More),
    };
    match flip {
        Some(f) if !f.never => {
            let way = if f.direction == Direction::More {
                "more"
            } else {
                "less"
            };
            let _ = write!(
                text,
                "; the plan would give it {way} with its value x{}",
                factor(f.factor)
            );
        }
        Some(f) if !f.held_by.is_empty() => {
            let _ = write!(text, "; no value changes that ({})", f.held_by);
        }
        _ => {}
    }
    text.push('.');
    Some(text)
}
