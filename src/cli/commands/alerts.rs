//! `fluidity alerts ...`: the alerts execution raised, acknowledged by name, and the
//! triggers that raise them.

use super::actuals::alerts_text;
use super::store::open;
use crate::args::{AlertsCommand, Format};
use crate::{render, Exit};
use anyhow::Result;
use fluidity_solvers::lifecycle::Triggers;

pub fn run(command: AlertsCommand) -> Result<Exit> {
    match command {
        AlertsCommand::List {
            portfolio,
            all,
            format,
            store,
        } => {
            let alerts = open(&store)?.alerts(portfolio.as_deref(), all)?;
            match format {
                Format::Json => print!("{}", render::json(&alerts)),
                Format::Text => print!(
                    "{}",
                    alerts_text(&alerts, if all { "alert(s)" } else { "open alert(s)" })
                        .trim_start()
                ),
            }
            Ok(Exit::Planned)
        }
        AlertsCommand::Ack { id, store } => {
            match open(&store)?.acknowledge(id)? {
                Some(who) => println!("alert {id} acknowledged by {who}"),
                None => println!("alert {id} acknowledged"),
            }
            Ok(Exit::Planned)
        }
        AlertsCommand::Triggers {
            portfolio,
            max_relative_deviation,
            max_value_shortfall,
            resource_over_capacity,
            operations_below_floor,
            store,
        } => {
            let triggers = Triggers {
                max_relative_deviation,
                max_value_shortfall,
                resource_over_capacity,
                operations_below_floor,
            };
            open(&store)?.set_triggers(&portfolio, &triggers)?;
            println!(
                "triggers of {portfolio}: {}",
                serde_json::to_string(&triggers)?
            );
            Ok(Exit::Planned)
        }
    }
}
