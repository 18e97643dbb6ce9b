//! `fluidity audit ...`: the append-only trail, and its verification (exit 1 naming
//! the first broken entry, or a plan whose stored content changed).

use super::store::open;
use crate::args::{AuditCommand, Format};
use crate::render::{self, table, Align};
use crate::Exit;
use anyhow::{anyhow, Result};
use fluidity::store::time_text;

pub fn run(command: AuditCommand) -> Result<Exit> {
    match command {
        AuditCommand::Verify { store } => {
            let (found, last_hash) = open(&store)?.verify()?;
            if let Some((seq, why)) = &found.first_broken {
                return Err(anyhow!(
                    "the audit trail is broken at entry {seq}: {why} ({} entries read)",
                    found.entries
                ));
            }
            if !found.records_differ.is_empty() {
                return Err(anyhow!(
                    "the audit trail holds, but records differ from what it made them:\n  {}",
                    found.records_differ.join("\n  ")
                ));
            }
            if !found.altered_plans.is_empty() {
                return Err(anyhow!(
                    "plan(s) {} no longer match what was saved (their content hash or the trail's record of them)",
                    found.altered_plans.iter().map(|id| id.to_string()).collect::<Vec<_>>().join(", ")
                ));
            }
            println!(
                "the audit trail holds: {} entries, each following from the one before; every plan matches what was saved{}",
                found.entries,
                if last_hash.is_empty() {
                    String::new()
                } else {
                    format!(" (last entry {}, hash {last_hash})", found.entries)
                }
            );
            Ok(Exit::Planned)
        }
        AuditCommand::Show {
            after,
            limit,
            format,
            store,
        } => {
            let log = open(&store)?.audit_log(after, limit)?;
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
