//! A comparison as tables: the variants' numbers, the initiatives that move, shadow
//! prices, moves that appear or disappear, and the cost of new priorities.

use super::{num, table, Align};
use fluidity_solvers::whatif::compare::{Comparison, PriorityCost, Shift, VariantOutcome};
use fluidity_solvers::Status;
use std::fmt::Write;

/// A comparison for a person: the plans' numbers, the initiatives that end
/// differently, shadow prices, and per variant the moves that change and what a new
/// priority costs.
pub fn comparison(base_name: &str, c: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Comparison of {} variant(s) with {base_name}",
        c.variants.len()
    );
    numbers(&mut out, c);
    moved_initiatives(&mut out, c);
    shadow_prices(&mut out, c);
    for v in c.variants.iter().filter(|v| v.plan.is_some()) {
        changed_moves(&mut out, v);
        if let Some(cost) = &v.priority_cost {
            priority_cost(&mut out, cost);
        }
    }
    out
}

/// Status, objective and its change, value and move cost of the base and each
/// variant; then why a variant has no plan.
fn numbers(out: &mut String, c: &Comparison) {
    let mut rows = vec![vec![
        "base".to_string(),
        status(Some(c.base.status)),
        num(c.base.objective),
        String::new(),
        num(c.base.value),
        num(c.base.move_cost),
    ]];
    for v in &c.variants {
        match &v.plan {
            Some(p) => rows.push(vec![
                v.name.clone(),
                status(Some(p.status)),
                num(p.objective),
                signed(v.delta_objective),
                num(p.value),
                num(p.move_cost),
            ]),
            None => rows.push(vec![
                v.name.clone(),
                "NO PLAN".to_string(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
            ]),
        }
    }
    table(
        out,
        &[
            "plan",
            "status",
            "objective",
            "vs base",
            "value",
            "move cost",
        ],
        &[
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
        ],
        &rows,
    );
    for v in c.variants.iter().filter(|v| v.plan.is_none()) {
        let _ = writeln!(out, "\n{}: {}", v.name, v.error);
        for problem in &v.violations {
            let _ = writeln!(out, "  {}: {}", problem.path, problem.message);
        }
    }
}

/// The initiatives whose end-of-quarter activity differs from the base's somewhere.
fn moved_initiatives(out: &mut String, c: &Comparison) {
    let moved: Vec<_> = c
        .initiatives
        .iter()
        .filter(|i| {
            i.variants
                .iter()
                .any(|v| !matches!(v.shift, Shift::Same | Shift::Unplanned))
        })
        .collect();
    let _ = writeln!(out, "\nEnd-of-quarter activity that differs from the base");
    if moved.is_empty() {
        let _ = writeln!(out, "  none");
    } else {
        let mut header = vec!["initiative".to_string(), "base".to_string()];
        header.extend(c.variants.iter().map(|v| v.name.clone()));
        let rows: Vec<Vec<String>> = moved
            .iter()
            .map(|i| {
                let mut row = vec![i.id.clone(), i.base.map_or("-".to_string(), num)];
                row.extend(i.variants.iter().map(|v| match (v.end, v.shift) {
                    (_, Shift::Unplanned) => "-".to_string(),
                    (None, _) => "removed".to_string(),
                    (Some(e), Shift::Added) => format!("{} (new)", num(e)),
                    (Some(e), Shift::Up) => format!("{} ^", num(e)),
                    (Some(e), Shift::Down) => format!("{} v", num(e)),
                    (Some(e), _) => num(e),
                }));
                row
            })
            .collect();
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let mut align = vec![Align::Left];
        align.extend(std::iter::repeat_n(Align::Right, header.len() - 1));
        table(out, &header, &align, &rows);
    }
}

/// Each resource's shadow prices in the base and every variant.
fn shadow_prices(out: &mut String, c: &Comparison) {
    let _ = writeln!(out, "\nShadow prices (per period)");
    let mut header = vec!["resource".to_string(), "base".to_string()];
    header.extend(c.variants.iter().map(|v| v.name.clone()));
    let rows: Vec<Vec<String>> = c
        .resources
        .iter()
        .map(|r| {
            let mut row = vec![r.id.clone(), prices(&r.base)];
            row.extend(r.variants.iter().map(|p| {
                if p.shadow_price.is_empty() {
                    "-".to_string()
                } else {
                    prices(&p.shadow_price)
                }
            }));
            row
        })
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut align = vec![Align::Left];
    align.extend(std::iter::repeat_n(Align::Right, header.len() - 1));
    table(out, &header, &align, &rows);
}

/// The moves a variant's plan adds to and drops from the base's (the first eight of
/// each).
fn changed_moves(out: &mut String, v: &VariantOutcome) {
    let _ = writeln!(
        out,
        "\n{}: {} move(s) appear, {} disappear",
        v.name,
        v.moves_appeared.len(),
        v.moves_disappeared.len()
    );
    for (sign, list) in [("+", &v.moves_appeared), ("-", &v.moves_disappeared)] {
        for m in list.iter().take(8) {
            let _ = writeln!(
                out,
                "  {sign} {} {} {} {} -> {}",
                m.period,
                m.resource,
                num(m.amount),
                m.from,
                m.to
            );
        }
        if list.len() > 8 {
            let _ = writeln!(out, "  {sign} ... and {} more", list.len() - 8);
        }
    }
}

/// What adding new initiatives earns and what the existing ones give up.
fn priority_cost(out: &mut String, cost: &PriorityCost) {
    let _ = writeln!(
        out,
        "  adding {} earns {} and costs the existing initiatives {}:",
        cost.added.join(", "),
        num(cost.added_value),
        num(cost.value_given_up)
    );
    if cost.displaced.is_empty() {
        let _ = writeln!(out, "    nothing is delayed or dropped");
    }
    for d in &cost.displaced {
        let eps = 1e-6;
        let end = if d.change == fluidity_solvers::Change::Stop {
            "stops".to_string()
        } else if d.end_activity_lost > eps {
            format!("ends {} lower", num(d.end_activity_lost))
        } else if d.end_activity_lost < -eps {
            format!("ends {} higher", num(-d.end_activity_lost))
        } else {
            "ends level".to_string()
        };
        let _ = writeln!(
            out,
            "    {}: {end}, {} fewer unit-periods, value given up {}",
            d.id,
            num(d.activity_lost),
            num(d.value_lost)
        );
    }
}

fn status(s: Option<Status>) -> String {
    match s {
        Some(Status::Optimal) => "OPTIMAL",
        Some(Status::Feasible) => "FEASIBLE",
        Some(Status::Infeasible) => "INFEASIBLE",
        None => "NO PLAN",
    }
    .to_string()
}

fn signed(x: f64) -> String {
    if x >= 0.0 {
        format!("+{}", num(x))
    } else {
        num(x)
    }
}

fn prices(xs: &[f64]) -> String {
    xs.iter().map(|&x| num(x)).collect::<Vec<_>>().join(" / ")
}
