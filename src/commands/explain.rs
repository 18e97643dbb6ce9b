//! `fluidity explain FILE [--initiative ID ...]`: what would change each decision.

use crate::cli::{ExplainArgs, Format};
use crate::{input, output, render, Outcome};
use anyhow::{anyhow, Result};
use fluidity_solvers::explain::{explain, ExplainError};
use fluidity_solvers::plan::Status;
use fluidity_solvers::{PlanError, PlanOptions};

pub fn run(args: ExplainArgs) -> Result<Outcome> {
    let scenario = input::read_scenario(&args.file)?;
    let name = input::display_name(&args.file);
    let options = PlanOptions {
        limits: args.limits.limits(),
        ..PlanOptions::default()
    };
    let explanation = explain(&scenario, &args.initiatives, &options).map_err(|e| match e {
        ExplainError::Plan(PlanError::Invalid(invalid)) => {
            anyhow!("{}", render::invalid(&name, &invalid))
        }
        ExplainError::UnknownInitiatives(_) => anyhow!("{e} in {name} (--initiative)"),
        ExplainError::Plan(other) => anyhow!("cannot plan {name}: {other}"),
    })?;
    let text = match args.output.format {
        Format::Json => render::json(&explanation),
        Format::Text => render::explanation(&name, &scenario, &explanation),
    };
    output::write(args.output.out.as_deref(), &text)?;
    Ok(if explanation.status == Status::Infeasible {
        Outcome::Infeasible
    } else {
        Outcome::Planned
    })
}
