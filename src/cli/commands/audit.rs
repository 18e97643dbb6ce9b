//! `fluidity audit ...`: the append-only trail, and its verification (exit 1 naming
//! the first broken entry, or a plan whose stored content changed).

use super::store::{error, open};
use crate::args::{AuditCommand, Format};
use crate::render::{self, table, Align};
use crate::Exit;
use anyhow::{anyhow, Result};
use fluidity::store::time_text;

pub fn run(command: AuditCommand) -> Result<Exit> {
    match command {
        AuditCommand::Verify { store } => {
            let (rt, db) = open(&store)?;
            let found = rt.block_on(db.verify()).map_err(error)?;
            if let Some((seq, why)) = &found.first_broken {
                return Err(anyhow!(
                    "the audit trail is broken at entry {seq}: {why} ({} entries read)",
                    found.entries
                ));
            }
            if !found.altered_plans.is_empty() {
                return Err(anyhow!(
                    "plan(s) {} no longer match what was saved (their content hash or the trail's record of them)",
                    found.altered_plans.iter().map(|id| id.to_string()).collect::<Vec<_>>().join(", ")
                ));
            }
            let head = rt
                .block_on(db.audit_log(found.entries - 1, 1))
                .map_err(error)?;
            println!(
                "the audit trail holds: {} entries, each following from the one before; every plan matches what was saved{}",
                found.entries,
                head.first().map_or(String::new(), |e| format!(" (last entry {}, hash {})", e.seq, e.hash))
            );
            Ok(Exit::Planned)
        }
        AuditCommand::Show {
            after,
            limit,
            format,
            store,
        } => {
            let (rt, db) = open(&store)?;
            let log = rt.block_on(db.audit_log(after, limit)).map_err(error)?;
            match format {
                Format::Json => print!("{}", render::json(&log)),
                Format::Text => {
                    let rows: Vec<Vec<String>> = log
                        .iter()
                        .map(|e| {
                            vec![
                                e.seq.to_string(),
                                time_text(e.at),
                                e.actor.clone(),
                                e.event.clone(),
                                e.subject.clone(),
                                e.details.clone(),
                            ]
                        })
                        .collect();
                    let mut out = String::new();
                    table(
                        &mut out,
                        &["seq", "at", "actor", "event", "subject", "details"],
                        &[
                            Align::Right,
                            Align::Left,
                            Align::Left,
                            Align::Left,
                            Align::Left,
                            Align::Left,
                        ],
                        &rows,
                    );
                    print!("{out}");
                }
            }
            Ok(Exit::Planned)
        }
    }
}
