//! A frontier as tables: objective per point, what each extra unit bought, where the
//! bottleneck or price changes, and how far each base price holds.

use super::{num, table, Align};
use fluidity_solvers::whatif::sweep::{Parameter, Sweep};
use std::fmt::Write;

/// A frontier for a person: the objective at each point, where the bottleneck or
/// price changes, and how far each of the base plan's prices holds.
pub fn frontier(base_name: &str, s: &Sweep) -> String {
    let mut out = String::new();
    let what = match s.parameter {
        Parameter::CapacityFactor => "capacity factor",
        Parameter::ReserveLevel => "reserve level",
    };
    let _ = writeln!(
        out,
        "Frontier of {base_name} over the {what} of {}",
        s.resource
    );
    points(&mut out, s, what);
    let _ = writeln!(out, "\nChanges along the frontier");
    if s.changes.is_empty() {
        let _ = writeln!(out, "  none: the same bottleneck and price throughout");
    }
    for c in &s.changes {
        let _ = writeln!(out, "  between {} and {}: {}", c.from, c.to, c.what);
    }
    price_ranges(&mut out, s);
    out
}

/// One row per point: status, objective, what the extra units bought, prices,
/// bottleneck.
fn points(out: &mut String, s: &Sweep, what: &str) {
    let rows: Vec<Vec<String>> = s
        .points
        .iter()
        .map(|p| {
            if p.plan.is_none() {
                return vec![
                    format!("{}", p.at),
                    "NO PLAN".into(),
                    p.error.clone(),
                    String::new(),
                    String::new(),
                    String::new(),
                ];
            }
            vec![
                format!("{}", p.at),
                p.status
                    .map_or("-".to_string(), |st| format!("{st:?}").to_uppercase()),
                num(p.objective),
                p.marginal_value.map_or("-".to_string(), num),
                p.shadow_price
                    .iter()
                    .map(|&x| num(x))
                    .collect::<Vec<_>>()
                    .join(" / "),
                if p.bottleneck.is_empty() {
                    "none".to_string()
                } else {
                    p.bottleneck.clone()
                },
            ]
        })
        .collect();
    table(
        out,
        &[
            what,
            "status",
            "objective",
            "per extra unit",
            "shadow price",
            "bottleneck",
        ],
        &[
            Align::Right,
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Left,
        ],
        &rows,
    );
}

/// The capacities over which each of the base plan's prices holds.
fn price_ranges(out: &mut String, s: &Sweep) {
    let _ = writeln!(
        out,
        "\nWhere the base plan's shadow prices hold (capacity, re-solved)"
    );
    let rows: Vec<Vec<String>> = s
        .ranges
        .iter()
        .map(|r| {
            vec![
                r.resource.clone(),
                r.period.clone(),
                num(r.shadow_price),
                num(r.capacity),
                num(r.lower),
                r.upper.map_or("no limit".to_string(), num),
            ]
        })
        .collect();
    table(
        out,
        &[
            "resource",
            "period",
            "shadow price",
            "capacity",
            "holds from",
            "up to",
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
}
