//! `fluidity validate FILE`: every problem with its field path, no solve; in-process
//! or on a server.

use crate::args::ValidateArgs;
use crate::{input, render, runtime, Exit};
use anyhow::{anyhow, Result};
use fluidity::client;
use fluidity_solvers::{validate, variable_count, InvalidScenario};

pub fn run(args: ValidateArgs) -> Result<Exit> {
    let scenario = input::read_scenario(&args.file)?;
    let name = input::display_name(&args.file);
    let (violations, variables) = match args.remote.endpoint() {
        None => {
            let limits = args.limits.limits();
            let violations = validate(&scenario, &limits)
                .err()
                .map(|e| e.violations)
                .unwrap_or_default();
            (violations, variable_count(&scenario) as u64)
        }
        Some(endpoint) => {
            let answer = runtime()?
                .block_on(client::validate(&endpoint, &scenario))
                .map_err(|e| super::plan::remote_error("validate", &name, e))?;
            (answer.violations, answer.variables)
        }
    };
    if !violations.is_empty() {
        return Err(anyhow!(
            "{}",
            render::invalid(&name, &InvalidScenario { violations })
        ));
    }
    println!(
        "{name}: valid ({} initiatives, {} resources, {} periods, {variables} variables)",
        scenario.initiatives.len(),
        scenario.resources.len(),
        scenario.periods.len(),
    );
    Ok(Exit::Planned)
}
