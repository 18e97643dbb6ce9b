//! The files a batch writes, each atomically: per scenario the plan JSON, activities
//! and moves CSVs, and its comparison and sweeps; for the batch a summary CSV and the
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
    }
    for (label, s) in &p.sweeps {
        write_atomic(&out.join(format!("{label}.frontier.json")), &json(s))?;
    }
    Ok(())
}

/// The summary rows, one per entry.
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
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| match &e.outcome {
            Outcome::Failed(problems) => {
                let mut row = vec![e.name.clone(), e.file.clone(), "FAILED".into()];
                row.extend(std::iter::repeat_n(String::new(), 10));
                row.push(problems.join("; "));
                row
            }
            Outcome::Planned(p) => {
                let b = p.plan.bottlenecks.first();
                vec![
                    e.name.clone(),
                    e.file.clone(),
                    e.status_word().to_string(),
                    p.plan.objective.to_string(),
                    p.plan.value.to_string(),
                    p.plan.move_cost.to_string(),
                    p.plan.baseline.value.to_string(),
                    (p.plan.objective - p.plan.baseline.value).to_string(),
                    b.map(|b| b.constraint.clone()).unwrap_or_default(),
                    b.map(|b| b.shadow_price.to_string()).unwrap_or_default(),
                    p.plan.moves.len().to_string(),
                    p.comparison
                        .as_ref()
                        .map_or(0, |c| c.variants.len())
                        .to_string(),
                    p.sweeps.len().to_string(),
                    p.problems.join("; "),
                ]
            }
        })
        .collect();
    csv_bytes(&header, &rows)
}

/// Writes the batch's summary CSV and HTML report.
pub fn write_outputs(out: &Path, title: &str, entries: &[Entry]) -> io::Result<()> {
    write_atomic(&out.join("summary.csv"), &summary_csv(entries)?)?;
    write_atomic(
        &out.join("report.html"),
        super::report::html(title, entries).as_bytes(),
    )
}
