//! `fluidity sweep BASE --resource R --factors ... | --levels ...`: a frontier.

use crate::args::{ResultFormat, SweepArgs};
use crate::{input, output, render, Exit};
use anyhow::{anyhow, Result};
use fluidity_solvers::whatif::sweep::{sweep, Parameter, SweepError};
use fluidity_solvers::{PlanError, PlanOptions};

pub fn run(args: SweepArgs) -> Result<Exit> {
    let format = args.output.check("sweep", false)?;
    let base = input::read_scenario(&args.base)?;
    let name = input::display_name(&args.base);
    let (parameter, values) = if args.factors.is_empty() {
        (Parameter::ReserveLevel, args.levels)
    } else {
        (Parameter::CapacityFactor, args.factors)
    };
    let options = PlanOptions {
        limits: args.limits.limits(),
        time_limit: None,
        ..PlanOptions::default()
    };
    let frontier =
        sweep(&base, &args.resource, parameter, &values, &options).map_err(|e| match e {
            SweepError::Invalid(violations) => anyhow!(
                "{}",
                render::problems("the sweep is not valid", &violations)
            ),
            SweepError::Plan(PlanError::Invalid(invalid)) => {
                anyhow!("{}", render::invalid(&name, &invalid))
            }
            SweepError::Plan(other) => anyhow!("cannot plan {name}: {other}"),
        })?;
    let text = match format {
        ResultFormat::Json => render::json(&frontier),
        ResultFormat::Text => render::frontier(&name, &frontier),
        ResultFormat::Xlsx => return Err(anyhow!("--format xlsx is for plan and compare")),
    };
    output::write(args.output.out.as_deref(), &text)?;
    Ok(Exit::Planned)
}
