//! `fluidity actuals ...`: record what ran from CSV against the portfolio's approved
//! plan (alerts raised as its triggers say), and show the plan against what ran.

use super::store::{error, open};
use crate::args::{ActualsCommand, Format};
use crate::render::{self, num, table, Align};
use crate::{input, Exit};
use anyhow::{anyhow, Result};
use fluidity::store::{AlertRecord, StoreError};
use fluidity_solvers::lifecycle::Execution;

pub fn run(command: ActualsCommand) -> Result<Exit> {
    match command {
        ActualsCommand::Record {
            file,
            portfolio,
            store,
        } => {
            let name = input::display_name(&file);
            let (actuals, uses) = match input::read_actuals(&file)? {
                input::ActualsFile::Activity(a) => (a, Vec::new()),
                input::ActualsFile::ResourceUse(u) => (Vec::new(), u),
            };
            let (run, raised) = open(&store)?
                .record_actuals(&portfolio, &actuals, &uses)
                .map_err(|e| match e {
                    // The store names rows as `actuals[k]`; the file's row is k + 2.
                    StoreError::Invalid(problems) => anyhow!(
                        "{}",
                        problems
                            .iter()
                            .map(|v| format!("{name} {}: {}", csv_place(&v.path), v.message))
                            .collect::<Vec<_>>()
                            .join("\n")
                    ),
                    other => error(other),
                })?;
            if uses.is_empty() {
                println!("recorded {} actual(s) for {portfolio}", actuals.len());
            } else {
                println!(
                    "recorded the use of {} resource-period(s) for {portfolio}",
                    uses.len()
                );
            }
            print!("{}", execution_text(&run));
            print!("{}", alerts_text(&raised, "new alert(s)"));
            Ok(Exit::Planned)
        }
        ActualsCommand::Show {
            portfolio,
            format,
            store,
        } => {
            let (approved, run) = open(&store)?.execution(&portfolio)?;
            match format {
                Format::Json => print!("{}", render::json(&run)),
                Format::Text => {
                    println!("{portfolio}: approved plan {approved} against what ran");
                    print!("{}", execution_text(&run));
                }
            }
            Ok(Exit::Planned)
        }
    }
}

/// `actuals[3].period` (or `resourceUse[3].period`) as the CSV's `row 5, column period`.
fn csv_place(path: &str) -> String {
    let parsed = path
        .strip_prefix("actuals[")
        .or_else(|| path.strip_prefix("resourceUse["))
        .and_then(|rest| rest.split_once("]."))
        .and_then(|(k, field)| k.parse::<usize>().ok().map(|k| (k, field)));
    match parsed {
        Some((k, field)) => format!("row {}, column {field}", k + 2),
        None => path.to_string(),
    }
}

/// The execution for a person: initiatives off plan, value per period, capacity.
pub fn execution_text(run: &Execution) -> String {
    let mut out = String::new();
    let rows: Vec<Vec<String>> = run
        .initiatives
        .iter()
        .filter(|e| e.recorded)
        .map(|e| {
            vec![
                e.initiative.clone(),
                e.period.clone(),
                num(e.planned),
                num(e.actual),
                fluidity::numbers::off_plan(e.relative_deviation),
            ]
        })
        .collect();
    out.push_str("\nActivity: planned against actual\n");
    table(
        &mut out,
        &["initiative", "period", "planned", "actual", "off plan"],
        &[
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
        ],
        &rows,
    );
    let rows: Vec<Vec<String>> = run
        .periods
        .iter()
        .map(|p| {
            vec![
                p.period.clone(),
                num(p.value_planned),
                num(p.value_realised),
            ]
        })
        .collect();
    out.push_str("\nValue per period\n");
    table(
        &mut out,
        &["period", "planned", "realised"],
        &[Align::Left, Align::Right, Align::Right],
        &rows,
    );
    let rows: Vec<Vec<String>> = run
        .resources
        .iter()
        .map(|r| {
            vec![
                r.resource.clone(),
                r.period.clone(),
                num(r.used),
                num(r.capacity),
                if r.recorded {
                    "recorded"
                } else {
                    "from activity"
                }
                .to_string(),
            ]
        })
        .collect();
    out.push_str("\nCapacity used\n");
    table(
        &mut out,
        &["resource", "period", "used", "capacity", "use"],
        &[
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Left,
        ],
        &rows,
    );
    out
}

/// Alerts as lines.
pub fn alerts_text(alerts: &[AlertRecord], title: &str) -> String {
    let mut out = format!("\n{} {title}\n", alerts.len());
    for a in alerts {
        let state = match &a.state {
            fluidity::store::AlertState::Open => "open".to_string(),
            fluidity::store::AlertState::Acknowledged { by, .. } => format!("acknowledged by {by}"),
        };
        out.push_str(&format!(
            "  alert {} [{}] {} ({state})\n",
            a.id, a.kind, a.message
        ));
    }
    out
}
