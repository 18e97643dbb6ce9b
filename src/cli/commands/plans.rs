//! `fluidity plans ...`: save a plan as a DRAFT of a portfolio, approve it with a
//! written comment (its priority changes confirmed), withdraw, list, show, diff.

use super::store::open;
use crate::args::{Format, PlansCommand};
use crate::render::{self, num, table, Align};
use crate::{input, Exit};
use anyhow::{anyhow, Result};
use fluidity::store::{time_text, PlanFilter, PlanRecord, PlanState};
use fluidity_solvers::lifecycle::{priority_changes, PriorityChange};

pub fn run(command: PlansCommand) -> Result<Exit> {
    match command {
        PlansCommand::Save {
            file,
            portfolio,
            idempotency_key,
            limits,
            store,
        } => {
            let scenario = input::read_scenario(&file)?;
            let name = input::display_name(&file);
            let (saved, planned) = open(&store)?
                .save_plan(
                    &portfolio,
                    &scenario,
                    limits.limits(),
                    idempotency_key.as_deref(),
                )
                .map_err(|e| anyhow!("{name}: {e}"))?;
            println!(
                "{} plan {} (DRAFT) of {portfolio}: {}, objective {}, {} over the status quo",
                if saved.already_saved {
                    "already saved:"
                } else {
                    "saved"
                },
                saved.id,
                format!("{:?}", planned.status).to_uppercase(),
                num(planned.objective),
                num(planned.objective - planned.baseline.value),
            );
            // As `fluidity plan`: an infeasible scenario is an answer, exit 3.
            Ok(if planned.status == fluidity_solvers::Status::Infeasible {
                Exit::Infeasible
            } else {
                Exit::Planned
            })
        }
        PlansCommand::Approve { id, comment, store } => {
            let approved = open(&store)?.approve(id, &comment)?;
            let approval = approved
                .approval
                .as_ref()
                .expect("an approved plan has its approval");
            println!(
                "approved plan {id} of {} ({} priority change(s) confirmed by {}):",
                approved.portfolio,
                approval.changes.len(),
                approval.by
            );
            print!("{}", changes_table(&approval.changes));
            Ok(Exit::Planned)
        }
        PlansCommand::Withdraw { id, store } => {
            open(&store)?.withdraw(id)?;
            println!("withdrew plan {id}");
            Ok(Exit::Planned)
        }
        PlansCommand::List {
            portfolio,
            state,
            after,
            limit,
            format,
            store,
        } => {
            let state = match state {
                Some(s) => Some(PlanState::from_name(&s).ok_or_else(|| {
                    anyhow!("--state {s}: expected DRAFT, APPROVED, SUPERSEDED or WITHDRAWN")
                })?),
                None => None,
            };
            let filter = PlanFilter {
                portfolio,
                state,
                after,
                limit,
            };
            let plans = open(&store)?.list_plans(&filter)?;
            match format {
                Format::Json => print!("{}", render::json(&plans)),
                Format::Text => print!("{}", list_table(&plans)),
            }
            Ok(Exit::Planned)
        }
        PlansCommand::Show { id, format, store } => {
            let record = open(&store)?.plan(id)?;
            match format {
                Format::Json => print!("{}", render::json(&record)),
                Format::Text => {
                    println!(
                        "plan {id} of {}: {}, saved by {} at {}{}",
                        record.portfolio,
                        format!("{:?}", record.state).to_uppercase(),
                        record.saved_by,
                        time_text(record.saved_at),
                        record
                            .parent
                            .map_or(String::new(), |p| format!(", re-planning plan {p}"))
                    );
                    if let Some(a) = &record.approval {
                        println!(
                            "approved by {} at {}: \"{}\"",
                            a.by,
                            time_text(a.at),
                            a.comment
                        );
                        print!("{}", changes_table(&a.changes));
                    }
                    println!();
                    print!("{}", render::plan(&record.scenario, &record.plan));
                }
            }
            Ok(Exit::Planned)
        }
        PlansCommand::Diff {
            from,
            to,
            format,
            store,
        } => {
            let mut records = open(&store)?;
            let before = records.plan(from)?;
            let after = records.plan(to)?;
            let changes = priority_changes(Some(&before.plan), &after.scenario, &after.plan);
            match format {
                Format::Json => print!("{}", render::json(&changes)),
                Format::Text => {
                    println!(
                        "plan {from} -> plan {to}: objective {} -> {} ({} change(s) at the end of the quarter)",
                        num(before.plan.objective),
                        num(after.plan.objective),
                        changes.len()
                    );
                    let periods = |r: &PlanRecord| {
                        r.scenario
                            .periods
                            .iter()
                            .map(|p| p.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    if periods(&before) != periods(&after) {
                        println!(
                            "the plans cover different periods ({} against {}): each objective is over its own",
                            periods(&before),
                            periods(&after)
                        );
                    }
                    print!("{}", changes_table(&changes));
                }
            }
            Ok(Exit::Planned)
        }
    }
}

/// Priority changes with their "why" numbers.
pub fn changes_table(changes: &[PriorityChange]) -> String {
    let mut out = String::new();
    if changes.is_empty() {
        out.push_str("  no initiative ends the quarter differently\n");
        return out;
    }
    let rows: Vec<Vec<String>> = changes
        .iter()
        .map(|c| {
            vec![
                c.initiative.clone(),
                format!("{:?}", c.change).to_uppercase(),
                num(c.from),
                num(c.to),
                num(c.marginal_value),
                num(c.resource_cost),
                c.held_by.clone(),
            ]
        })
        .collect();
    table(
        &mut out,
        &[
            "initiative",
            "change",
            "from",
            "to",
            "earns/unit",
            "resources/unit",
            "held by",
        ],
        &[
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Left,
        ],
        &rows,
    );
    out
}

fn list_table(plans: &[PlanRecord]) -> String {
    let mut out = String::new();
    let rows: Vec<Vec<String>> = plans
        .iter()
        .map(|p| {
            vec![
                p.id.to_string(),
                p.portfolio.clone(),
                format!("{:?}", p.state).to_uppercase(),
                num(p.plan.objective),
                p.saved_by.clone(),
                time_text(p.saved_at),
                p.approval.as_ref().map_or(String::new(), |a| a.by.clone()),
            ]
        })
        .collect();
    table(
        &mut out,
        &[
            "id",
            "portfolio",
            "state",
            "objective",
            "saved by",
            "saved at",
            "approved by",
        ],
        &[
            Align::Right,
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Left,
            Align::Left,
            Align::Left,
        ],
        &rows,
    );
    out
}
