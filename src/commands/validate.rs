//! `fluidity validate FILE`: every problem with its field path, no solve.

use crate::cli::ValidateArgs;
use crate::{input, render, Outcome};
use anyhow::{anyhow, Result};
use fluidity_solvers::{validate, validate::variable_count, Limits};

pub fn run(args: ValidateArgs) -> Result<Outcome> {
    let scenario = input::read_scenario(&args.file)?;
    let name = input::display_name(&args.file);
    let limits = Limits {
        max_variables: args.limits.max_variables,
    };
    validate(&scenario, &limits)
        .map_err(|invalid| anyhow!("{}", render::invalid(&name, &invalid)))?;
    println!(
        "{name}: valid ({} initiatives, {} resources, {} periods, {} variables)",
        scenario.initiatives.len(),
        scenario.resources.len(),
        scenario.periods.len(),
        variable_count(&scenario)
    );
    Ok(Outcome::Planned)
}
