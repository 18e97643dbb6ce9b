//! The batch's HTML report: one self-contained page (inline CSS and SVG, no script,
//! no external reference) that answers the review's questions without JSON: what
//! each plan gains, where resources move, what the reserve is, which resource binds
//! and what one more unit of it is worth, what each what-if costs, and how far an
//! extra unit of a resource goes. It is well-formed XML (XHTML syntax), so tools and
//! tests can parse it.
//!
//! The page is the askama template `templates/batch_report.html`, which escapes every
//! value it is given; this module only turns a batch's entries into the template's
//! rows of text (numbers formatted for people) and its SVG charts (built by `svg`,
//! which escapes its own text, and inserted as they are).

use super::svg::{grouped_percent_bars, line, paired_bars};
use super::{Entry, Outcome, Planned, Tracking};
use crate::numbers::num;
use askama::Template;
use fluidity_solvers::whatif::compare::Comparison;
use fluidity_solvers::whatif::sweep::{Parameter, Sweep};
use fluidity_solvers::{Plan, Status};

/// The whole report; with `tracking` (a store's portfolios), a section of each
/// approved plan against what ran.
pub fn html(title: &str, entries: &[Entry], tracking: &[Tracking]) -> String {
    let page = Page {
        title,
        tracking: tracking.iter().map(tracked).collect(),
        planned: entries
            .iter()
            .filter(|e| matches!(e.outcome, Outcome::Planned(_)))
            .count(),
        summary: entries.iter().map(summary_row).collect(),
        sections: entries
            .iter()
            .map(|e| match &e.outcome {
                Outcome::Planned(p) => Section::Planned(Box::new(planned(e, p))),
                Outcome::Failed(problems) => Section::Failed(Failed {
                    anchor: anchor(&e.name),
                    file: e.file.clone(),
                    problems: problems.clone(),
                }),
            })
            .collect(),
    };
    let mut html = page
        .render()
        .expect("the report's template writes to a String, which cannot fail");
    html.push('\n');
    html
}

#[derive(Template)]
#[template(path = "batch_report.html")]
struct Page<'a> {
    title: &'a str,
    tracking: Vec<TrackedPortfolio>,
    planned: usize,
    summary: Vec<SummaryLine>,
    sections: Vec<Section>,
}

/// One scenario's line of the summary table.
struct SummaryLine {
    anchor: String,
    name: String,
    class: &'static str,
    status: &'static str,
    /// None for a scenario that failed (`problem` says why).
    numbers: Option<SummaryNumbers>,
    problem: String,
}

struct SummaryNumbers {
    objective: String,
    status_quo: String,
    gain: String,
    bottleneck: String,
    price: String,
    moves: usize,
}

enum Section {
    Failed(Failed),
    Planned(Box<PlannedSection>),
}

struct Failed {
    anchor: String,
    file: String,
    problems: Vec<String>,
}

/// Everything the page says about one planned scenario, as text.
struct PlannedSection {
    anchor: String,
    name: String,
    title: String,
    class: &'static str,
    status: &'static str,
    objective: String,
    value: String,
    move_cost: String,
    status_quo: String,
    gain: String,
    /// (best bound, gap) of a search that may not be optimal.
    gap: Option<(String, String)>,
    /// (constraint, relax by) of an infeasible scenario.
    diagnosis: Option<Vec<(String, String)>>,
    bottleneck: Option<BottleneckLine>,
    allocation_chart: String,
    why: Option<Vec<WhyRow>>,
    reserve_chart: String,
    periods: Vec<String>,
    /// Per resource: its id and (reserve, price) per period.
    reserves: Vec<(String, Vec<(String, String)>)>,
    moves_total: usize,
    /// The first moves (all of them are in the moves CSV).
    moves: Vec<MoveRow>,
    what_ifs: Vec<WhatIfRow>,
    priority_costs: Vec<PriorityCostTable>,
    frontiers: Vec<Frontier>,
    problems: Vec<String>,
}

struct BottleneckLine {
    resource: String,
    unit: Option<String>,
    period: String,
    worth: String,
    price: String,
    per: String,
}

struct WhyRow {
    id: String,
    change: String,
    earns: String,
    costs: String,
    held_by: String,
}

struct MoveRow {
    period: String,
    resource: String,
    amount: String,
    from: String,
    to: String,
}

struct WhatIfRow {
    name: String,
    /// None for a variant without a plan (`error` says why).
    numbers: Option<WhatIfNumbers>,
    error: String,
}

struct WhatIfNumbers {
    status: String,
    objective: String,
    vs_base: String,
    value: String,
    move_cost: String,
}

struct PriorityCostTable {
    added: String,
    earns: String,
    costs: String,
    /// (initiative, end-of-quarter activity lost, value given up)
    displaced: Vec<(String, String, String)>,
}

struct Frontier {
    resource: String,
    what: &'static str,
    label: String,
    chart: String,
    /// (at, objective or why none, per extra unit, bottleneck)
    points: Vec<(f64, String, String, String)>,
    changes: Vec<String>,
}

/// A portfolio's approved plan against what ran, as text.
struct TrackedPortfolio {
    portfolio: String,
    plan_id: i64,
    /// (period, value planned, value realised)
    periods: Vec<(String, String, String)>,
    /// (initiative, period, planned, actual, off plan) of recorded activity off plan.
    off_plan: Vec<(String, String, String, String, String)>,
    /// Open alerts' messages.
    alerts: Vec<String>,
}

fn tracked(t: &Tracking) -> TrackedPortfolio {
    TrackedPortfolio {
        portfolio: t.portfolio.clone(),
        plan_id: t.plan_id,
        periods: t
            .execution
            .periods
            .iter()
            .map(|p| {
                (
                    p.period.clone(),
                    num(p.value_planned),
                    num(p.value_realised),
                )
            })
            .collect(),
        off_plan: t
            .execution
            .initiatives
            .iter()
            .filter(|e| e.recorded && e.deviation.abs() > 1e-9 * e.planned.abs().max(1.0))
            .map(|e| {
                (
                    e.initiative.clone(),
                    e.period.clone(),
                    num(e.planned),
                    num(e.actual),
                    crate::numbers::off_plan(e.relative_deviation),
                )
            })
            .collect(),
        alerts: t
            .alerts
            .iter()
            .map(|a| format!("alert {}: {}", a.id, a.message))
            .collect(),
    }
}

/// Moves listed on the page; the rest are in the scenario's moves CSV.
const MOVES_SHOWN: usize = 40;

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

fn summary_row(e: &Entry) -> SummaryLine {
    let mut line = SummaryLine {
        anchor: anchor(&e.name),
        name: e.name.clone(),
        class: "bad",
        status: e.status_word(),
        numbers: None,
        problem: String::new(),
    };
    match &e.outcome {
        Outcome::Failed(problems) => line.problem = problems.first().cloned().unwrap_or_default(),
        Outcome::Planned(p) => {
            let plan = &p.plan;
            let b = plan.bottlenecks.first();
            line.class = status_class(plan.status);
            line.numbers = Some(SummaryNumbers {
                objective: num(plan.objective),
                status_quo: num(plan.baseline.value),
                gain: signed(plan.objective - plan.baseline.value),
                bottleneck: b.map_or("none".to_string(), |b| b.constraint.clone()),
                price: b.map_or("-".to_string(), |b| num(b.shadow_price)),
                moves: plan.moves.len(),
            });
        }
    }
    line
}

/// A planned scenario's section. Long because it fills every field of the section,
/// each from its own small expression or function.
fn planned(e: &Entry, p: &Planned) -> PlannedSection {
    let plan = &p.plan;
    let periods: Vec<String> = p.scenario.periods.iter().map(|t| t.id.clone()).collect();
    PlannedSection {
        anchor: anchor(&e.name),
        name: e.name.clone(),
        title: if p.scenario.name.is_empty() {
            e.file.clone()
        } else {
            format!("{} ({})", p.scenario.name, e.file)
        },
        class: status_class(plan.status),
        status: e.status_word(),
        objective: num(plan.objective),
        value: num(plan.value),
        move_cost: num(plan.move_cost),
        status_quo: num(plan.baseline.value),
        gain: signed(plan.objective - plan.baseline.value),
        gap: (plan.solver.gap > 0.0 || plan.status == Status::Feasible).then(|| {
            (
                num(plan.solver.bound),
                crate::numbers::percent(plan.solver.gap),
            )
        }),
        diagnosis: (plan.status == Status::Infeasible).then(|| {
            plan.diagnosis
                .iter()
                .map(|d| (d.constraint.clone(), num(d.relax_by)))
                .collect()
        }),
        bottleneck: plan.bottlenecks.first().map(|b| {
            let (resource, unit, period) =
                crate::numbers::bottleneck_parts(&p.scenario, &b.constraint);
            BottleneckLine {
                resource: resource.to_string(),
                unit: unit.map(str::to_string),
                period: period.to_string(),
                worth: num(b.value_of_one_percent),
                price: num(b.shadow_price),
                per: unit.unwrap_or("unit").to_string(),
            }
        }),
        allocation_chart: allocation_chart(p),
        why: (plan.status != Status::Infeasible).then(|| why(plan)),
        reserve_chart: reserve_chart(plan, &periods),
        reserves: plan
            .resources
            .iter()
            .map(|r| {
                let cells = (0..periods.len())
                    .map(|t| (num(r.reserve[t]), num(r.shadow_price[t])))
                    .collect();
                (r.id.clone(), cells)
            })
            .collect(),
        periods,
        moves_total: plan.moves.len(),
        moves: plan
            .moves
            .iter()
            .take(MOVES_SHOWN)
            .map(|m| MoveRow {
                period: m.period.clone(),
                resource: m.resource.clone(),
                amount: num(m.amount),
                from: m.from.clone(),
                to: m.to.clone(),
            })
            .collect(),
        what_ifs: p.comparison.as_ref().map(what_ifs).unwrap_or_default(),
        priority_costs: p
            .comparison
            .as_ref()
            .map(priority_costs)
            .unwrap_or_default(),
        frontiers: p
            .sweeps
            .iter()
            .map(|(label, s)| frontier(label, s))
            .collect(),
        problems: p.problems.clone(),
    }
}

/// Per initiative: activity now and at the end of the quarter.
fn allocation_chart(p: &Planned) -> String {
    let rows: Vec<(String, f64, f64)> = p
        .scenario
        .initiatives
        .iter()
        .zip(&p.plan.initiatives)
        .map(|(s, i)| {
            (
                s.id.clone(),
                s.current,
                i.activity.last().copied().unwrap_or(s.current),
            )
        })
        .collect();
    paired_bars(
        "Allocation per initiative: now and at the end of the quarter",
        &rows,
    )
}

/// Per resource and period: the reserve as a share of capacity.
fn reserve_chart(plan: &Plan, periods: &[String]) -> String {
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
    grouped_percent_bars(
        "Strategic reserve per period (% of capacity)",
        periods,
        &series,
    )
}

/// Per initiative, in the last period: what one more unit earns, what its resources
/// are worth at the plan's prices, and the constraint that holds it, if one does.
fn why(plan: &Plan) -> Vec<WhyRow> {
    plan.initiatives
        .iter()
        .map(|i| WhyRow {
            id: i.id.clone(),
            change: format!("{:?}", i.change),
            earns: i.marginal_value.last().map_or("-".to_string(), |&v| num(v)),
            costs: i.resource_cost.last().map_or("-".to_string(), |&v| num(v)),
            held_by: i.held_by.clone(),
        })
        .collect()
}

fn what_ifs(c: &Comparison) -> Vec<WhatIfRow> {
    c.variants
        .iter()
        .map(|v| WhatIfRow {
            name: v.name.clone(),
            numbers: v.plan.as_ref().map(|vp| WhatIfNumbers {
                status: format!("{:?}", vp.status).to_uppercase(),
                objective: num(vp.objective),
                vs_base: signed(v.delta_objective),
                value: num(vp.value),
                move_cost: num(vp.move_cost),
            }),
            error: v.error.clone(),
        })
        .collect()
}

fn priority_costs(c: &Comparison) -> Vec<PriorityCostTable> {
    c.variants
        .iter()
        .filter_map(|v| v.priority_cost.as_ref())
        .map(|cost| PriorityCostTable {
            added: cost.added.join(", "),
            earns: num(cost.added_value),
            costs: num(cost.value_given_up),
            displaced: cost
                .displaced
                .iter()
                .map(|d| (d.id.clone(), num(d.end_activity_lost), num(d.value_lost)))
                .collect(),
        })
        .collect()
}

fn frontier(label: &str, s: &Sweep) -> Frontier {
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
    Frontier {
        resource: s.resource.clone(),
        what,
        label: label.to_string(),
        chart: line(
            &format!("Objective by {} {}", s.resource, what),
            &format!("{} {}", s.resource, what),
            &points,
        ),
        points: s
            .points
            .iter()
            .map(|q| {
                (
                    q.at,
                    if q.plan.is_some() {
                        num(q.objective)
                    } else {
                        q.error.clone()
                    },
                    q.marginal_value.map_or("-".to_string(), num),
                    if q.bottleneck.is_empty() {
                        "none".to_string()
                    } else {
                        q.bottleneck.clone()
                    },
                )
            })
            .collect(),
        changes: s
            .changes
            .iter()
            .map(|ch| format!("Between {} and {}: {}", ch.from, ch.to, ch.what))
            .collect(),
    }
}
