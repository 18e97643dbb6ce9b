//! A plan (or a comparison) as a workbook a finance reader opens directly: a summary
//! sheet in words and numbers, then one table per sheet (activities with the "why"
//! numbers, resources with use, reserve and prices, moves, bottlenecks, and the
//! diagnosis when no plan exists). Numbers are numbers with number formats, headers
//! are bold and frozen, columns fit their content.

use crate::numbers::bottleneck_sentence;
use fluidity_solvers::whatif::compare::Comparison;
use fluidity_solvers::{Change, Kind, Plan, Scenario, Status};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

/// A cell of an output table.
enum Out {
    Text(String),
    Number(f64),
    /// A fraction shown as a percentage (0.12 reads 12.0%).
    Percent(f64),
    Empty,
}

fn t(s: impl Into<String>) -> Out {
    Out::Text(s.into())
}

fn n(x: f64) -> Out {
    if x.is_finite() {
        Out::Number(x)
    } else {
        Out::Empty
    }
}

fn pct(x: f64) -> Out {
    if x.is_finite() {
        Out::Percent(x)
    } else {
        Out::Empty
    }
}

struct Formats {
    header: Format,
    number: Format,
    percent: Format,
}

fn formats() -> Formats {
    Formats {
        header: Format::new().set_bold(),
        // Thousands grouped, two decimals; tiny prices stay visible in the cell's value.
        number: Format::new().set_num_format("#,##0.00"),
        percent: Format::new().set_num_format("0.0%"),
    }
}

/// Writes `header` and `rows` from A1, freezes the header, fits the columns.
fn table(
    sheet: &mut Worksheet,
    f: &Formats,
    header: &[&str],
    rows: &[Vec<Out>],
) -> Result<(), XlsxError> {
    for (c, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &f.header)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Out::Text(s) => {
                    sheet.write_string(r, c, s)?;
                }
                Out::Number(x) => {
                    sheet.write_number_with_format(r, c, *x, &f.number)?;
                }
                Out::Percent(x) => {
                    sheet.write_number_with_format(r, c, *x, &f.percent)?;
                }
                Out::Empty => {}
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofit();
    Ok(())
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Optimal => "OPTIMAL",
        Status::Feasible => "FEASIBLE",
        Status::Infeasible => "INFEASIBLE",
    }
}

fn change_word(change: Change) -> &'static str {
    match change {
        Change::Grow => "grow",
        Change::Hold => "hold",
        Change::Shrink => "shrink",
        Change::Stop => "stop",
    }
}

fn summary_rows(scenario: &Scenario, plan: &Plan) -> Vec<Vec<Out>> {
    let planned = plan.status != Status::Infeasible;
    // Without a plan there is no objective, value or gain to show, only the status quo.
    let if_planned = |x: f64| if planned { n(x) } else { Out::Empty };
    let mut rows = vec![
        vec![t("scenario"), t(scenario.name.clone())],
        vec![t("status"), t(status_word(plan.status))],
        vec![
            t("objective (value less move cost)"),
            if_planned(plan.objective),
        ],
        vec![t("value"), if_planned(plan.value)],
        vec![t("move cost"), if_planned(plan.move_cost)],
        vec![t("status quo value"), n(plan.baseline.value)],
        vec![
            t("gain over the status quo"),
            if_planned(plan.objective - plan.baseline.value),
        ],
        vec![t("solver"), t(plan.solver.name.clone())],
        vec![t("bound"), if_planned(plan.solver.bound)],
        vec![
            t("gap"),
            if planned {
                pct(plan.solver.gap)
            } else {
                Out::Empty
            },
        ],
        vec![t("solve seconds"), n(plan.solver.seconds)],
    ];
    let bottleneck = match plan.bottlenecks.first() {
        _ if !planned => "not priced: no plan exists".to_string(),
        Some(top) => bottleneck_sentence(scenario, top),
        None => "none: no capacity binds".to_string(),
    };
    rows.push(vec![t("bottleneck"), t(bottleneck)]);
    if !plan.baseline.feasible {
        rows.push(vec![
            t("the status quo breaks"),
            t(plan.baseline.violations.join("; ")),
        ]);
    }
    if !planned {
        rows.push(vec![
            t("no plan exists"),
            t("see the diagnosis sheet: what to relax, and by how much; the other sheets show the status quo"),
        ]);
    }
    rows
}

fn activity_rows(scenario: &Scenario, plan: &Plan) -> Vec<Vec<Out>> {
    let mut rows = Vec::new();
    for initiative in &plan.initiatives {
        let input = scenario.initiatives.iter().find(|x| x.id == initiative.id);
        let owner = input.map_or(String::new(), |x| x.owner.clone());
        let kind = match input.map(|x| x.kind) {
            Some(Kind::Operations) => "OPERATIONS",
            _ => "STRATEGIC",
        };
        let current = input.map_or(0.0, |x| x.current);
        for (k, period) in scenario.periods.iter().enumerate() {
            let activity = initiative.activity.get(k).copied().unwrap_or(f64::NAN);
            let before = if k == 0 {
                current
            } else {
                initiative.activity.get(k - 1).copied().unwrap_or(f64::NAN)
            };
            rows.push(vec![
                t(initiative.id.clone()),
                t(owner.clone()),
                t(kind),
                t(period.id.clone()),
                n(current),
                n(activity),
                n(activity - before),
                t(change_word(initiative.change)),
                n(initiative
                    .marginal_value
                    .get(k)
                    .copied()
                    .unwrap_or(f64::NAN)),
                n(initiative.resource_cost.get(k).copied().unwrap_or(f64::NAN)),
                t(initiative.held_by.clone()),
            ]);
        }
    }
    rows
}

fn resource_rows(scenario: &Scenario, plan: &Plan) -> Vec<Vec<Out>> {
    let mut rows = Vec::new();
    for resource in &plan.resources {
        let unit = scenario
            .resources
            .iter()
            .find(|r| r.id == resource.id)
            .map_or(String::new(), |r| r.unit.clone());
        for (k, period) in scenario.periods.iter().enumerate() {
            let at = |v: &Vec<f64>| v.get(k).copied().unwrap_or(f64::NAN);
            let capacity = at(&resource.capacity);
            let reserve = at(&resource.reserve);
            rows.push(vec![
                t(resource.id.clone()),
                t(unit.clone()),
                t(period.id.clone()),
                n(capacity),
                n(at(&resource.used)),
                n(reserve),
                n(if capacity > 0.0 {
                    reserve / capacity
                } else {
                    f64::NAN
                }),
                n(at(&resource.shadow_price)),
            ]);
        }
    }
    rows
}

/// The plan's sheets into `book`, each sheet name prefixed (a comparison's variants).
fn plan_sheets(
    book: &mut Workbook,
    f: &Formats,
    prefix: &str,
    scenario: &Scenario,
    plan: &Plan,
) -> Result<(), XlsxError> {
    let name = |s: &str| sheet_name(prefix, s);
    table(
        book.add_worksheet().set_name(name("summary"))?,
        f,
        &["item", "value"],
        &summary_rows(scenario, plan),
    )?;
    table(
        book.add_worksheet().set_name(name("activities"))?,
        f,
        &[
            "initiative",
            "owner",
            "kind",
            "period",
            "now",
            "activity",
            "change from the period before",
            "end of quarter against now",
            "marginal value",
            "resource cost",
            "held by",
        ],
        &activity_rows(scenario, plan),
    )?;
    table(
        book.add_worksheet().set_name(name("resources"))?,
        f,
        &[
            "resource",
            "unit",
            "period",
            "capacity",
            "used",
            "reserve",
            "reserve share",
            "shadow price",
        ],
        &resource_rows(scenario, plan),
    )?;
    let moves: Vec<Vec<Out>> = plan
        .moves
        .iter()
        .map(|m| {
            vec![
                t(m.period.clone()),
                t(m.resource.clone()),
                t(m.from.clone()),
                t(m.to.clone()),
                n(m.amount),
            ]
        })
        .collect();
    table(
        book.add_worksheet().set_name(name("moves"))?,
        f,
        &["period", "resource", "from", "to", "amount"],
        &moves,
    )?;
    let bottlenecks: Vec<Vec<Out>> = plan
        .bottlenecks
        .iter()
        .map(|b| {
            vec![
                t(b.constraint.clone()),
                n(b.value_of_one_percent),
                n(b.shadow_price),
                t(bottleneck_sentence(scenario, b)),
            ]
        })
        .collect();
    table(
        book.add_worksheet().set_name(name("bottlenecks"))?,
        f,
        &[
            "constraint",
            "value of one percent more",
            "price per unit",
            "in words",
        ],
        &bottlenecks,
    )?;
    if plan.status == Status::Infeasible {
        let relax: Vec<Vec<Out>> = plan
            .diagnosis
            .iter()
            .map(|d| vec![t(d.constraint.clone()), n(d.relax_by)])
            .collect();
        table(
            book.add_worksheet().set_name(name("diagnosis"))?,
            f,
            &["constraint", "relax by (its own units)"],
            &relax,
        )?;
    }
    Ok(())
}

/// Excel's sheet names are at most 31 characters and cannot hold `[]:*?/\`.
fn sheet_name(prefix: &str, name: &str) -> String {
    let clean: String = prefix
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .collect();
    let full = if clean.is_empty() {
        name.to_string()
    } else {
        format!("{clean} {name}")
    };
    full.chars().take(31).collect()
}

fn new_book() -> Result<Workbook, XlsxError> {
    let mut book = Workbook::new();
    let epoch = ExcelDateTime::from_ymd(2026, 1, 1)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&epoch));
    Ok(book)
}

/// `plan` of `scenario` as an XLSX workbook.
///
/// # Errors
/// What rust_xlsxwriter refuses, as its message.
pub fn plan_xlsx(scenario: &Scenario, plan: &Plan) -> Result<Vec<u8>, String> {
    let write = || -> Result<Vec<u8>, XlsxError> {
        let mut book = new_book()?;
        plan_sheets(&mut book, &formats(), "", scenario, plan)?;
        book.save_to_buffer()
    };
    write().map_err(|e| e.to_string())
}

/// A comparison as an XLSX workbook: the differences first (one row per variant, then
/// per initiative and resource), then the base plan's sheets and each variant's,
/// prefixed `v1`, `v2`, ... (names in the differences sheet).
///
/// # Errors
/// What rust_xlsxwriter refuses, as its message.
pub fn comparison_xlsx(base: &Scenario, comparison: &Comparison) -> Result<Vec<u8>, String> {
    let write = || -> Result<Vec<u8>, XlsxError> {
        let f = formats();
        let mut book = new_book()?;
        let variants: Vec<Vec<Out>> = comparison
            .variants
            .iter()
            .enumerate()
            .map(|(k, v)| {
                let status = v.plan.as_ref().map_or(
                    if v.error.is_empty() {
                        "INVALID"
                    } else {
                        "FAILED"
                    }
                    .to_string(),
                    |p| status_word(p.status).to_string(),
                );
                let infeasible = v
                    .plan
                    .as_ref()
                    .is_some_and(|p| p.status == Status::Infeasible);
                let problem = if !v.error.is_empty() {
                    v.error.clone()
                } else if infeasible {
                    format!("no plan exists: see v{} diagnosis", k + 1)
                } else {
                    v.violations
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                // An infeasible variant has no objective to compare, only a diagnosis.
                let number = |x: f64| if infeasible { Out::Empty } else { n(x) };
                vec![
                    t(format!("v{}", k + 1)),
                    t(v.name.clone()),
                    t(status),
                    number(v.plan.as_ref().map_or(f64::NAN, |p| p.objective)),
                    number(v.delta_objective),
                    number(v.delta_value),
                    number(v.delta_move_cost),
                    t(problem),
                ]
            })
            .collect();
        table(
            book.add_worksheet().set_name("differences")?,
            &f,
            &[
                "sheet prefix",
                "variant",
                "status",
                "objective",
                "change in objective",
                "change in value",
                "change in move cost",
                "problem",
            ],
            &variants,
        )?;
        plan_sheets(&mut book, &f, "base", base, &comparison.base)?;
        for (k, v) in comparison.variants.iter().enumerate() {
            if let Some(plan) = &v.plan {
                plan_sheets(&mut book, &f, &format!("v{}", k + 1), base, plan)?;
            }
        }
        book.save_to_buffer()
    };
    write().map_err(|e| e.to_string())
}
