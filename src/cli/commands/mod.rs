//! One module per subcommand; each reads its inputs, calls the core and writes.

mod actuals;
mod alerts;
mod audit;
mod batch;
mod compare;
mod convert;
mod explain;
mod export;
mod generate;
mod health;
mod plan;
mod plans;
mod replan;
mod serve;
mod store;
mod sweep;
mod validate;

use crate::args::{Cli, Command};
use crate::Exit;

pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Plan(args) => plan::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Batch(args) => batch::run(args),
        Command::Export(args) => export::run(args),
        Command::Convert(args) => convert::run(args),
        Command::Health(args) => health::run(args),
        Command::Plans(command) => plans::run(command),
        Command::Actuals(command) => actuals::run(command),
        Command::Alerts(command) => alerts::run(command),
        Command::Replan(args) => replan::run(args),
        Command::Audit(command) => audit::run(command),
    }
}
