//! The batch's HTML report: one self-contained page (inline CSS and SVG, no script,
//! no external reference) that answers the review's questions without JSON: what
//! each plan gains, where resources move, what the reserve is, which resource binds
//! and what one more unit of it is worth, what each what-if costs, and how far an
//! extra unit of a resource goes. It is well-formed XML (XHTML syntax), so tools and
//! tests can parse it.

use super::svg::{escape, grouped_percent_bars, line, paired_bars};
use super::{Entry, Outcome, Planned};
use crate::numbers::num;
use fluidity_solvers::whatif::sweep::Parameter;
use fluidity_solvers::Status;
use std::fmt::Write;

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1100px;color:#1d2430;padding:0 1rem}\
h1{font-size:1.6rem}h2{margin-top:2.5rem;border-bottom:2px solid #dde3ec;padding-bottom:.3rem}h3{margin-top:1.5rem;font-size:1.05rem}\
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}th,td{padding:.25rem .6rem;border-bottom:1px solid #e6eaf0;text-align:right}\
th{background:#f4f6f9}td.l,th.l{text-align:left}.ok{color:#1a7f37}.warn{color:#b35900}.bad{color:#c62828}\
.kpi{display:inline-block;margin:0 1.5rem .5rem 0}.kpi b{display:block;font-size:1.3rem}\
svg text{font-size:11px;fill:#1d2430}svg .chart-title{font-size:13px;font-weight:600}svg .legend{font-size:11px}\
svg .before{fill:#b8c2cf}svg .after{fill:#2f6fdb}svg .axis{stroke:#8a94a3;stroke-width:1}\
svg .frontier{fill:none;stroke:#2f6fdb;stroke-width:2}svg .marker{fill:#2f6fdb}\
svg .series0{fill:#2f6fdb}svg .series1{fill:#e07b24}svg .series2{fill:#2aa36b}svg .series3{fill:#a05ad8}svg .series4{fill:#d4a017}svg .series5{fill:#5a6b7d}\
.note{color:#5a6b7d;font-size:.9rem}";

/// The whole report.
pub fn html(title: &str, entries: &[Entry]) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>{t}</title><style>{STYLE}</style></head><body>\
         <h1>{t}</h1>",
        t = escape(title)
    );
    summary(&mut out, entries);
    for e in entries {
        match &e.outcome {
            Outcome::Planned(p) => scenario(&mut out, e, p),
            Outcome::Failed(problems) => {
                let _ = write!(
                    out,
                    "<h2 id=\"{}\">{} <span class=\"bad\">failed</span></h2><ul>",
                    anchor(&e.name),
                    escape(&e.file)
                );
                for p in problems {
                    let _ = write!(out, "<li>{}</li>", escape(p));
                }
                out.push_str("</ul>");
            }
        }
    }
    out.push_str("</body></html>\n");
    out
}

fn anchor(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("s-{cleaned}")
}

fn summary(out: &mut String, entries: &[Entry]) {
    let planned = entries
        .iter()
        .filter(|e| matches!(e.outcome, Outcome::Planned(_)))
        .count();
    let _ = write!(
        out,
        "<p class=\"note\">{} scenario(s): {} planned, {} failed.</p><table><tr><th class=\"l\">scenario</th><th class=\"l\">status</th>\
         <th>objective</th><th>status quo</th><th>gain</th><th class=\"l\">bottleneck</th><th>shadow price</th><th>moves</th></tr>",
        entries.len(),
        planned,
        entries.len() - planned
    );
    for e in entries {
        let link = format!("<a href=\"#{}\">{}</a>", anchor(&e.name), escape(&e.name));
        match &e.outcome {
            Outcome::Failed(problems) => {
                let _ = write!(
                    out,
                    "<tr><td class=\"l\">{link}</td><td class=\"l bad\">FAILED</td><td colspan=\"6\" class=\"l\">{}</td></tr>",
                    escape(problems.first().map_or("", String::as_str))
                );
            }
            Outcome::Planned(p) => {
                let b = p.plan.bottlenecks.first();
                let _ = write!(
                    out,
                    "<tr><td class=\"l\">{link}</td><td class=\"l {}\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td></tr>",
                    status_class(p.plan.status),
                    e.status_word(),
                    num(p.plan.objective),
                    num(p.plan.baseline.value),
                    signed(p.plan.objective - p.plan.baseline.value),
                    escape(b.map_or("none", |b| b.constraint.as_str())),
                    b.map_or("-".to_string(), |b| num(b.shadow_price)),
                    p.plan.moves.len()
                );
            }
        }
    }
    out.push_str("</table>");
}

fn status_class(s: Status) -> &'static str {
    match s {
        Status::Optimal => "ok",
        Status::Feasible => "warn",
        Status::Infeasible => "bad",
    }
}

fn signed(x: f64) -> String {
    if x >= 0.0 {
        format!("+{}", num(x))
    } else {
        num(x)
    }
}

/// Per initiative, in the last period: what one more unit earns, what its resources
/// are worth at the plan's prices, and the constraint that holds it, if one does.
fn why(out: &mut String, plan: &fluidity_solvers::Plan) {
    out.push_str(
        "<h3>Why each initiative ends where it does (last period)</h3><table><tr><th class=\"l\">initiative</th>\
         <th class=\"l\">change</th><th>earns per unit</th><th>its resources are worth</th><th class=\"l\">held by</th></tr>",
    );
    for i in &plan.initiatives {
        let _ = write!(
            out,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{:?}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td></tr>",
            escape(&i.id),
            i.change,
            i.marginal_value.last().map_or("-".to_string(), |&v| num(v)),
            i.resource_cost.last().map_or("-".to_string(), |&v| num(v)),
            escape(&i.held_by)
        );
    }
    out.push_str("</table>");
}

fn scenario(out: &mut String, e: &Entry, p: &Planned) {
    let plan = &p.plan;
    let title = if p.scenario.name.is_empty() {
        e.file.clone()
    } else {
        format!("{} ({})", p.scenario.name, e.file)
    };
    let _ = write!(
        out,
        "<h2 id=\"{}\">{} <span class=\"{}\">{}</span></h2>",
        anchor(&e.name),
        escape(&title),
        status_class(plan.status),
        e.status_word()
    );
    let _ = write!(
        out,
        "<div><span class=\"kpi\">objective<b>{}</b></span><span class=\"kpi\">value<b>{}</b></span>\
         <span class=\"kpi\">move cost<b>{}</b></span><span class=\"kpi\">status quo<b>{}</b></span><span class=\"kpi\">gain<b>{}</b></span></div>",
        num(plan.objective),
        num(plan.value),
        num(plan.move_cost),
        num(plan.baseline.value),
        signed(plan.objective - plan.baseline.value)
    );
    if plan.solver.gap > 0.0 || plan.status == Status::Feasible {
        let _ = write!(
            out,
            "<p>Best bound <b>{}</b>, gap <b>{}</b>: the optimum is at most that far above this plan.</p>",
            num(plan.solver.bound),
            crate::numbers::percent(plan.solver.gap)
        );
    }
    if plan.status == Status::Infeasible {
        out.push_str("<h3>No plan satisfies every constraint. Relax:</h3><table><tr><th class=\"l\">constraint</th><th>by</th></tr>");
        for d in &plan.diagnosis {
            let _ = write!(
                out,
                "<tr><td class=\"l\">{}</td><td>{}</td></tr>",
                escape(&d.constraint),
                num(d.relax_by)
            );
        }
        out.push_str("</table>");
    }
    match plan.bottlenecks.first() {
        Some(b) => {
            let (resource, unit, period) =
                crate::numbers::bottleneck_parts(&p.scenario, &b.constraint);
            let _ = write!(
                out,
                "<p>Bottleneck: one more percent of <b>{}</b>{} in <b>{}</b> is worth <b>{}</b> ({} per {}).</p>",
                escape(resource),
                unit.map_or(String::new(), |u| format!(" ({})", escape(u))),
                escape(period),
                num(b.value_of_one_percent),
                num(b.shadow_price),
                escape(unit.unwrap_or("unit"))
            );
        }
        None => out.push_str("<p>No capacity constraint binds.</p>"),
    }

    let rows: Vec<(String, f64, f64)> = p
        .scenario
        .initiatives
        .iter()
        .zip(&plan.initiatives)
        .map(|(s, i)| {
            (
                s.id.clone(),
                s.current,
                i.activity.last().copied().unwrap_or(s.current),
            )
        })
        .collect();
    out.push_str(&paired_bars(
        "Allocation per initiative: now and at the end of the quarter",
        &rows,
    ));
    if plan.status != Status::Infeasible {
        why(out, plan);
    }

    let periods: Vec<String> = p.scenario.periods.iter().map(|t| t.id.clone()).collect();
    let series: Vec<(String, Vec<f64>)> = plan
        .resources
        .iter()
        .map(|r| {
            let share = r
                .reserve
                .iter()
                .zip(&r.capacity)
                .map(|(res, cap)| if *cap > 0.0 { 100.0 * res / cap } else { 0.0 })
                .collect();
            (r.id.clone(), share)
        })
        .collect();
    out.push_str(&grouped_percent_bars(
        "Strategic reserve per period (% of capacity)",
        &periods,
        &series,
    ));

    out.push_str(
        "<h3>Reserve and shadow price per period</h3><table><tr><th class=\"l\">resource</th>",
    );
    for t in &periods {
        let _ = write!(
            out,
            "<th>{} reserve</th><th>{} price</th>",
            escape(t),
            escape(t)
        );
    }
    out.push_str("</tr>");
    for r in &plan.resources {
        let _ = write!(out, "<tr><td class=\"l\">{}</td>", escape(&r.id));
        for t in 0..periods.len() {
            let _ = write!(
                out,
                "<td>{}</td><td>{}</td>",
                num(r.reserve[t]),
                num(r.shadow_price[t])
            );
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");

    const SHOWN: usize = 40;
    let _ = write!(out, "<h3>Moves ({})</h3>", plan.moves.len());
    if plan.moves.is_empty() {
        out.push_str("<p>None: every initiative keeps its resources.</p>");
    } else {
        out.push_str("<table><tr><th class=\"l\">period</th><th class=\"l\">resource</th><th>amount</th><th class=\"l\">from</th><th class=\"l\">to</th></tr>");
        for m in plan.moves.iter().take(SHOWN) {
            let _ = write!(
                out,
                "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td></tr>",
                escape(&m.period),
                escape(&m.resource),
                num(m.amount),
                escape(&m.from),
                escape(&m.to)
            );
        }
        out.push_str("</table>");
        if plan.moves.len() > SHOWN {
            let _ = write!(
                out,
                "<p class=\"note\">... and {} more in {}.moves.csv.</p>",
                plan.moves.len() - SHOWN,
                escape(&e.name)
            );
        }
    }

    if let Some(c) = &p.comparison {
        out.push_str("<h3>What-ifs</h3><table><tr><th class=\"l\">variant</th><th class=\"l\">status</th><th>objective</th><th>vs base</th><th>value</th><th>move cost</th></tr>");
        for v in &c.variants {
            match &v.plan {
                Some(vp) => {
                    let _ = write!(
                        out,
                        "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        escape(&v.name),
                        format!("{:?}", vp.status).to_uppercase(),
                        num(vp.objective),
                        signed(v.delta_objective),
                        num(vp.value),
                        num(vp.move_cost)
                    );
                }
                None => {
                    let _ = write!(
                        out,
                        "<tr><td class=\"l\">{}</td><td class=\"l bad\" colspan=\"5\">{}</td></tr>",
                        escape(&v.name),
                        escape(&v.error)
                    );
                }
            }
        }
        out.push_str("</table>");
        for v in &c.variants {
            if let Some(cost) = &v.priority_cost {
                let _ = write!(
                    out,
                    "<p>Adding <b>{}</b> earns {} and costs the existing initiatives {}:</p><table><tr><th class=\"l\">initiative</th><th>end-of-quarter activity lost</th><th>value given up</th></tr>",
                    escape(&cost.added.join(", ")),
                    num(cost.added_value),
                    num(cost.value_given_up)
                );
                for d in &cost.displaced {
                    let _ = write!(
                        out,
                        "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td></tr>",
                        escape(&d.id),
                        num(d.end_activity_lost),
                        num(d.value_lost)
                    );
                }
                out.push_str("</table>");
            }
        }
    }

    for (label, s) in &p.sweeps {
        let what = match s.parameter {
            Parameter::CapacityFactor => "capacity factor",
            Parameter::ReserveLevel => "reserve level",
        };
        let points: Vec<(f64, f64)> = s
            .points
            .iter()
            .filter(|q| q.plan.is_some())
            .map(|q| (q.at, q.objective))
            .collect();
        let _ = write!(
            out,
            "<h3>Frontier: objective by {} {} ({})</h3>",
            escape(&s.resource),
            what,
            escape(label)
        );
        out.push_str(&line(
            &format!("Objective by {} {}", s.resource, what),
            &format!("{} {}", s.resource, what),
            &points,
        ));
        out.push_str("<table><tr><th>at</th><th>objective</th><th>per extra unit</th><th class=\"l\">bottleneck</th></tr>");
        for q in &s.points {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td></tr>",
                q.at,
                if q.plan.is_some() {
                    num(q.objective)
                } else {
                    escape(&q.error)
                },
                q.marginal_value.map_or("-".to_string(), num),
                escape(if q.bottleneck.is_empty() {
                    "none"
                } else {
                    &q.bottleneck
                })
            );
        }
        out.push_str("</table>");
        for ch in &s.changes {
            let _ = write!(
                out,
                "<p class=\"note\">Between {} and {}: {}</p>",
                ch.from,
                ch.to,
                escape(&ch.what)
            );
        }
    }
    if !p.problems.is_empty() {
        out.push_str("<h3 class=\"bad\">Problems with what-if files</h3><ul>");
        for problem in &p.problems {
            let _ = write!(out, "<li>{}</li>", escape(problem));
        }
        out.push_str("</ul>");
    }
}
