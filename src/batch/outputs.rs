//! The files a batch writes, each atomically: per scenario the plan JSON and workbook,
//! activities and moves CSVs, and its comparison (JSON and workbook) and sweeps; for the batch a summary CSV and the
//! HTML report.

use super::{Entry, Outcome};
use crate::files::write_atomic;
use std::io;
use std::path::Path;

fn json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut text = serde_json::to_vec_pretty(value).expect("results always serialise");
    text.push(b'\n');
    text
}

fn csv_bytes(header: &[String], rows: &[Vec<String>]) -> io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for row in rows {
        w.write_record(row)?;
    }
    w.into_inner().map_err(|e| io::Error::other(e.to_string()))
}

/// Writes one scenario's files; called as soon as it is planned.
pub fn write_entry(out: &Path, entry: &Entry) -> io::Result<()> {
    let Outcome::Planned(p) = &entry.outcome else {
        return Ok(());
    };
    let name = &entry.name;
    write_atomic(&out.join(format!("{name}.plan.json")), &json(&p.plan))?;
    let workbook = crate::workbook::plan_xlsx(&p.scenario, &p.plan).map_err(io::Error::other)?;
    write_atomic(&out.join(format!("{name}.plan.xlsx")), &workbook)?;

    let mut header = vec![
        "initiative".to_string(),
        "name".into(),
        "owner".into(),
        "current".into(),
    ];
    header.extend(p.scenario.periods.iter().map(|t| t.id.clone()));
    header.push("change".into());
    let rows: Vec<Vec<String>> = p
        .scenario
        .initiatives
        .iter()
        .zip(&p.plan.initiatives)
        .map(|(s, i)| {
            let mut row = vec![
                s.id.clone(),
                s.name.clone(),
                s.owner.clone(),
                s.current.to_string(),
            ];
            row.extend(i.activity.iter().map(|a| a.to_string()));
            row.push(format!("{:?}", i.change).to_uppercase());
            row
        })
        .collect();
    write_atomic(
        &out.join(format!("{name}.activities.csv")),
        &csv_bytes(&header, &rows)?,
    )?;

    let header: Vec<String> = ["period", "resource", "from", "to", "amount"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let rows: Vec<Vec<String>> = p
        .plan
        .moves
        .iter()
        .map(|m| {
            vec![
                m.period.clone(),
                m.resource.clone(),
                m.from.clone(),
                m.to.clone(),
                m.amount.to_string(),
            ]
        })
        .collect();
    write_atomic(
        &out.join(format!("{name}.moves.csv")),
        &csv_bytes(&header, &rows)?,
    )?;

    if let Some(c) = &p.comparison {
        write_atomic(&out.join(format!("{name}.compare.json")), &json(c))?;
        let workbook =
            crate::workbook::comparison_xlsx(&p.scenario, c).map_err(io::Error::other)?;
        write_atomic(&out.join(format!("{name}.compare.xlsx")), &workbook)?;
    }
    for (label, s) in &p.sweeps {
        write_atomic(&out.join(format!("{label}.frontier.json")), &json(s))?;
    }
    Ok(())
}

/// One scenario's line of the summary (CSV and `--format json`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryRow {
    /// The scenario's name (its file stem).
    pub scenario: String,
    /// The scenario file, relative to the batch folder.
    pub file: String,
    /// OPTIMAL, FEASIBLE, INFEASIBLE or FAILED.
    pub status: String,
    /// The plan's objective (value less move cost); absent without a plan.
    pub objective: Option<f64>,
    /// The plan's weighted value.
    pub value: Option<f64>,
    /// The plan's move cost.
    pub move_cost: Option<f64>,
    /// What keeping every initiative at its current activity would give.
    pub status_quo_value: Option<f64>,
    /// objective - status quo value.
    pub gain: Option<f64>,
    /// The bottleneck with the largest value of one percent (empty if none binds).
    pub bottleneck: String,
    /// Its shadow price, per unit of the resource.
    pub bottleneck_price: Option<f64>,
    /// Moves in the plan.
    pub moves: usize,
    /// Variants compared.
    pub variants: usize,
    /// Sweeps run.
    pub sweeps: usize,
    /// Problems with the scenario or its what-if files, one per line.
    pub problems: Vec<String>,
}

/// The summary, one row per entry.
pub fn summary_rows(entries: &[Entry]) -> Vec<SummaryRow> {
    entries
        .iter()
        .map(|e| match &e.outcome {
            Outcome::Failed(problems) => SummaryRow {
                scenario: e.name.clone(),
                file: e.file.clone(),
                status: "FAILED".to_string(),
                objective: None,
                value: None,
                move_cost: None,
                status_quo_value: None,
                gain: None,
                bottleneck: String::new(),
                bottleneck_price: None,
                moves: 0,
                variants: 0,
                sweeps: 0,
                problems: problems.clone(),
            },
            Outcome::Planned(p) => {
                let b = p.plan.bottlenecks.first();
                SummaryRow {
                    scenario: e.name.clone(),
                    file: e.file.clone(),
                    status: e.status_word().to_string(),
                    objective: Some(p.plan.objective),
                    value: Some(p.plan.value),
                    move_cost: Some(p.plan.move_cost),
                    status_quo_value: Some(p.plan.baseline.value),
                    gain: Some(p.plan.objective - p.plan.baseline.value),
                    bottleneck: b.map(|b| b.constraint.clone()).unwrap_or_default(),
                    bottleneck_price: b.map(|b| b.shadow_price),
                    moves: p.plan.moves.len(),
                    variants: p.comparison.as_ref().map_or(0, |c| c.variants.len()),
                    sweeps: p.sweeps.len(),
                    problems: p.problems.clone(),
                }
            }
        })
        .collect()
}

/// The summary as CSV.
pub fn summary_csv(entries: &[Entry]) -> io::Result<Vec<u8>> {
    let header: Vec<String> = [
        "scenario",
        "file",
        "status",
        "objective",
        "value",
        "move_cost",
        "status_quo_value",
        "gain",
        "bottleneck",
        "bottleneck_price",
        "moves",
        "variants",
        "sweeps",
        "problems",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let number = |x: Option<f64>| x.map(|x| x.to_string()).unwrap_or_default();
    let rows: Vec<Vec<String>> = summary_rows(entries)
        .into_iter()
        .map(|r| {
            vec![
                r.scenario,
                r.file,
                r.status,
                number(r.objective),
                number(r.value),
                number(r.move_cost),
                number(r.status_quo_value),
                number(r.gain),
                r.bottleneck,
                number(r.bottleneck_price),
                r.moves.to_string(),
                r.variants.to_string(),
                r.sweeps.to_string(),
                r.problems.join("; "),
            ]
        })
        .collect();
    csv_bytes(&header, &rows)
}

/// Writes the batch's summary CSV and HTML report.
pub fn write_outputs(
    out: &Path,
    title: &str,
    entries: &[Entry],
    tracking: &[super::Tracking],
) -> io::Result<()> {
    write_atomic(&out.join("summary.csv"), &summary_csv(entries)?)?;
    write_atomic(
        &out.join("report.html"),
        super::report::html(title, entries, tracking).as_bytes(),
    )
}
