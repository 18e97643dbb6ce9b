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
            println!("triggers of {portfolio}: {}", describe(&triggers));
            Ok(Exit::Planned)
        }
    }
}

/// Triggers for a person: the ones on, each in words; "none" when all are off.
fn describe(t: &Triggers) -> String {
    let mut on = Vec::new();
    if let Some(x) = t.max_relative_deviation {
        on.push(format!(
            "an initiative more than {:.1}% off plan",
            100.0 * x
        ));
    }
    if let Some(x) = t.max_value_shortfall {
        on.push(format!(
            "a period's value more than {:.1}% short of plan",
            100.0 * x
        ));
    }
    if t.resource_over_capacity {
        on.push("a resource used beyond capacity".to_string());
    }
    if t.operations_below_floor {
        on.push("OPERATIONS work below its floor".to_string());
    }
    if on.is_empty() {
        "none (every trigger off)".to_string()
    } else {
        on.join("; ")
    }
}
