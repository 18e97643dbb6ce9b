//! `fluidity export FILE --format mps|lp`: the final stage's program, for other solvers.

use crate::args::{ExportArgs, ProgramFormat};
use crate::{input, output, render, Exit};
use anyhow::{anyhow, Result};
use fluidity_solvers::export::{export, Format};
use fluidity_solvers::{PlanError, PlanOptions};

pub fn run(args: ExportArgs) -> Result<Exit> {
    let scenario = input::read_scenario(&args.file)?;
    let name = input::display_name(&args.file);
    let format = match args.format {
        ProgramFormat::Mps => Format::Mps,
        ProgramFormat::Lp => Format::Lp,
    };
    let options = PlanOptions {
        limits: args.limits.limits(),
        time_limit: None,
        ..PlanOptions::default()
    };
    let text = export(&scenario, format, &options).map_err(|e| match e {
        PlanError::Invalid(invalid) => anyhow!("{}", render::invalid(&name, &invalid)),
        other => anyhow!("cannot export {name}: {other}"),
    })?;
    output::write(args.out.as_deref(), &text)?;
    Ok(Exit::Planned)
}
