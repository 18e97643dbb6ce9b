//! Turning plans, comparisons, frontiers and errors into text: tables for a person,
//! JSON for machines.

mod compare;
mod explain;
mod sweep;

pub use compare::comparison;
pub use explain::explanation;
pub use sweep::frontier;

use fluidity_solvers::{Change, Plan, Status};
use fluidity_solvers::{InvalidScenario, Scenario};
use std::fmt::Write;

/// Any result as pretty JSON (protobuf JSON style, every field present).
pub fn json<T: serde::Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("results always serialise");
    text.push('\n');
    text
}

/// Every validation problem of a scenario, one per line with its field path.
pub fn invalid(name: &str, invalid: &InvalidScenario) -> String {
    problems(
        &format!("{name} is not a valid scenario"),
        &invalid.violations,
    )
}

/// A heading and every problem under it, one per line with its field path.
pub fn problems(heading: &str, violations: &[fluidity_solvers::Violation]) -> String {
    let n = violations.len();
    let mut text = format!("{heading} ({n} problem{}):", if n == 1 { "" } else { "s" });
    for v in violations {
        let _ = write!(text, "\n  {}: {}", v.path, v.message);
    }
    text
}

/// The plan as tables a person reads at a glance.
pub fn plan(scenario: &Scenario, plan: &Plan) -> String {
    let mut out = String::new();
    headline(&mut out, scenario, plan);
    if plan.status == Status::Infeasible {
        diagnosis(&mut out, plan);
    }
    initiatives(&mut out, scenario, plan);
    resources(&mut out, scenario, plan);
    if plan.status != Status::Infeasible {
        moves(&mut out, plan);
        bottlenecks(&mut out, plan);
    }
    let s = &plan.solver;
    let _ = writeln!(
        out,
        "\nSolved by {} in {:.3} s: {} variables, {} constraints, {} stage{}.",
        s.name,
        s.seconds,
        s.variables,
        s.constraints,
        s.stages,
        if s.stages == 1 { "" } else { "s" }
    );
    out
}

fn headline(out: &mut String, scenario: &Scenario, plan: &Plan) {
    let title = if scenario.name.is_empty() {
        "Scenario"
    } else {
        &scenario.name
    };
    let status = match plan.status {
        Status::Optimal => "OPTIMAL",
        Status::Feasible => "FEASIBLE (the search was stopped; best plan found)",
        Status::Infeasible => "INFEASIBLE (no plan satisfies every constraint)",
    };
    let _ = writeln!(out, "{title}: {status}");
    let b = &plan.baseline;
    if plan.status == Status::Infeasible {
        let _ = writeln!(out, "  status quo value {}", num(b.value));
        return;
    }
    let _ = writeln!(
        out,
        "  objective {} = value {} - move cost {}",
        num(plan.objective),
        num(plan.value),
        num(plan.move_cost)
    );
    let s = &plan.solver;
    if s.gap > 0.0 || plan.status == Status::Feasible {
        let _ = writeln!(
            out,
            "  best bound {}, gap {}: the optimum is at most that far above this plan",
            num(s.bound),
            fluidity::numbers::percent(s.gap)
        );
    }
    let gain = plan.objective - b.value;
    let _ = writeln!(
        out,
        "  status quo value {}, gain {}{}",
        num(b.value),
        if gain >= 0.0 { "+" } else { "" },
        num(gain)
    );
    if let Some(top) = plan.bottlenecks.first() {
        let _ = writeln!(
            out,
            "  bottleneck: {}",
            fluidity::numbers::bottleneck_sentence(scenario, top)
        );
    }
    if !b.feasible {
        let _ = writeln!(
            out,
            "  the status quo breaks {} constraint{}: {}",
            b.violations.len(),
            if b.violations.len() == 1 { "" } else { "s" },
            abbreviate(&b.violations, 6)
        );
    }
}

fn diagnosis(out: &mut String, plan: &Plan) {
    let _ = writeln!(
        out,
        "\nTo make it feasible, relax (each in its constraint's own units):"
    );
    let rows: Vec<Vec<String>> = plan
        .diagnosis
        .iter()
        .map(|d| vec![d.constraint.clone(), format!("by {}", num(d.relax_by))])
        .collect();
    table(
        out,
        &["constraint", "relax"],
        &[Align::Left, Align::Right],
        &rows,
    );
    let _ = writeln!(out, "\nShown below: the status quo (no plan).");
}

fn initiatives(out: &mut String, scenario: &Scenario, plan: &Plan) {
    let mut header = vec![
        "initiative".to_string(),
        "owner".to_string(),
        "now".to_string(),
    ];
    header.extend(scenario.periods.iter().map(|p| p.id.clone()));
    header.push("change".to_string());
    let explained = plan.status != Status::Infeasible;
    if explained {
        header.push("why (last period)".to_string());
    }
    let mut align = vec![Align::Left, Align::Left, Align::Right];
    align.extend(scenario.periods.iter().map(|_| Align::Right));
    align.push(Align::Left);
    align.push(Align::Left);
    // The curves as the model reads them (for the value of the last unit, at a kink).
    let curves = fluidity_solvers::ValueCurves::of(scenario);
    let rows: Vec<Vec<String>> = scenario
        .initiatives
        .iter()
        .zip(&plan.initiatives)
        .enumerate()
        .map(|(k, (s, p))| {
            let mut row = vec![s.id.clone(), s.owner.clone(), num(s.current)];
            row.extend(p.activity.iter().map(|&a| num(a)));
            row.push(
                match p.change {
                    Change::Grow => "GROW",
                    Change::Hold => "hold",
                    Change::Shrink => "SHRINK",
                    Change::Stop => "STOP",
                }
                .to_string(),
            );
            if explained {
                row.push(why(scenario, &curves, plan, k, p));
            }
            row
        })
        .collect();
    let _ = writeln!(out, "\nInitiatives (activity per period)");
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    table(out, &header, &align, &rows);
}

/// Why an initiative ends where it does, in one line: what one more unit earns in the
/// last period against what its resources are worth there, and the constraint that
/// holds it when that is the reason. Empty for an initiative that holds with nothing
/// to say.
fn why(
    scenario: &Scenario,
    curves: &fluidity_solvers::ValueCurves,
    plan: &Plan,
    i: usize,
    p: &fluidity_solvers::InitiativePlan,
) -> String {
    let initiative = &scenario.initiatives[i];
    let (Some(&earns), Some(&costs)) = (p.marginal_value.last(), p.resource_cost.last()) else {
        return String::new();
    };
    let t = p.marginal_value.len() - 1;
    // The resources that make up its cost, the dearest first.
    let mut priced: Vec<(f64, &str)> = scenario
        .resources
        .iter()
        .zip(&plan.resources)
        .filter_map(|(r, rp)| {
            let units = initiative.requirements.get(&r.id).copied().unwrap_or(0.0);
            let worth = units * rp.shadow_price.get(t).copied().unwrap_or(0.0);
            (worth > 0.0).then_some((worth, r.id.as_str()))
        })
        .collect();
    priced.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    let names: Vec<&str> = priced.iter().map(|(_, name)| *name).collect();
    let (its, are) = match names.as_slice() {
        [] => ("its resources".to_string(), "are"),
        [one] => (format!("its {one}"), "is"),
        [first, second] => (format!("its {first} and {second}"), "are"),
        [first, second, ..] => (format!("its {first}, {second} and more"), "are"),
    };
    let earning = if earns == 0.0 {
        "earns nothing more".to_string()
    } else {
        format!("earns {}/unit", num(earns))
    };
    let held = match p.held_by.as_str() {
        "" => String::new(),
        "moveCost" => "; moving costs more than it gains".to_string(),
        row => format!("; held by {row}"),
    };
    let scale = earns.abs().max(costs.abs());
    let x = p.activity[t];
    let last_unit = curves.value_of_last_unit(i, t, x);
    let at_kink = earns < costs && last_unit >= costs - 1e-7 * scale;
    let verdict = if at_kink {
        // Its curve bends where the price lies: the last unit earns more than its
        // resources cost, the next one less.
        format!(
            "earns {}/unit up to here and {} beyond, {its} {are} worth {}",
            num(last_unit),
            num(earns),
            num(costs)
        )
    } else if scale == 0.0 {
        if held.is_empty() {
            return String::new();
        }
        "earns nothing more".to_string()
    } else if (earns - costs).abs() <= 1e-7 * scale {
        format!("{earning}, what {its} {are} worth")
    } else if earns < costs {
        format!("{earning}, {its} {are} worth {} elsewhere", num(costs))
    } else if priced.is_empty() {
        // No prices on its resources (or none at all: whole units).
        earning
    } else {
        format!("{earning}, {its} {are} worth {}", num(costs))
    };
    format!("{verdict}{held}")
}

fn resources(out: &mut String, scenario: &Scenario, plan: &Plan) {
    let mut rows = Vec::new();
    for (s, r) in scenario.resources.iter().zip(&plan.resources) {
        let label = if s.unit.is_empty() {
            s.id.clone()
        } else {
            format!("{} ({})", s.id, s.unit)
        };
        for (t, period) in scenario.periods.iter().enumerate() {
            let share = if r.capacity[t] > 0.0 {
                format!("{:.1}%", 100.0 * r.reserve[t] / r.capacity[t])
            } else {
                "-".to_string()
            };
            rows.push(vec![
                if t == 0 { label.clone() } else { String::new() },
                period.id.clone(),
                num(r.capacity[t]),
                num(r.used[t]),
                num(r.reserve[t]),
                share,
                num(r.shadow_price[t]),
            ]);
        }
    }
    let _ = writeln!(out, "\nResources");
    table(
        out,
        &[
            "resource",
            "period",
            "capacity",
            "used",
            "reserve",
            "reserve %",
            "shadow price",
        ],
        &[
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
        ],
        &rows,
    );
}

fn moves(out: &mut String, plan: &Plan) {
    let _ = writeln!(out, "\nMoves");
    if plan.moves.is_empty() {
        let _ = writeln!(out, "  none: every initiative keeps its resources");
        return;
    }
    let rows: Vec<Vec<String>> = plan
        .moves
        .iter()
        .map(|m| {
            vec![
                m.period.clone(),
                m.resource.clone(),
                num(m.amount),
                m.from.clone(),
                format!("-> {}", m.to),
            ]
        })
        .collect();
    table(
        out,
        &["period", "resource", "amount", "from", "to"],
        &[
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Left,
            Align::Left,
        ],
        &rows,
    );
}

fn bottlenecks(out: &mut String, plan: &Plan) {
    const SHOWN: usize = 10;
    let _ = writeln!(
        out,
        "\nBottlenecks (what one more percent of allocatable capacity is worth)"
    );
    if plan.bottlenecks.is_empty() {
        let _ = writeln!(
            out,
            "  none: no capacity constraint binds (or the solver gives no duals)"
        );
        return;
    }
    let rows: Vec<Vec<String>> = plan
        .bottlenecks
        .iter()
        .take(SHOWN)
        .map(|b| {
            vec![
                b.constraint.clone(),
                num(b.value_of_one_percent),
                num(b.shadow_price),
            ]
        })
        .collect();
    table(
        out,
        &["constraint", "value of 1%", "price per unit"],
        &[Align::Left, Align::Right, Align::Right],
        &rows,
    );
    if plan.bottlenecks.len() > SHOWN {
        let _ = writeln!(out, "  ... and {} more", plan.bottlenecks.len() - SHOWN);
    }
}

#[derive(Clone, Copy)]
pub enum Align {
    Left,
    Right,
}

pub fn table(out: &mut String, header: &[&str], align: &[Align], rows: &[Vec<String>]) {
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut text = String::from(" ");
        for ((cell, w), a) in cells.zip(&width).zip(align) {
            text.push(' ');
            let pad = w - cell.chars().count();
            match a {
                Align::Left => {
                    text.push_str(cell);
                    text.push_str(&" ".repeat(pad));
                }
                Align::Right => {
                    text.push_str(&" ".repeat(pad));
                    text.push_str(cell);
                }
            }
            text.push(' ');
        }
        text.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(&mut header.iter().copied()));
    for row in rows {
        let _ = writeln!(out, "{}", line(&mut row.iter().map(String::as_str)));
    }
}

fn abbreviate(list: &[String], shown: usize) -> String {
    let mut text = list
        .iter()
        .take(shown)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if list.len() > shown {
        let _ = write!(text, ", ... ({} more)", list.len() - shown);
    }
    text
}

pub use fluidity::numbers::num;
