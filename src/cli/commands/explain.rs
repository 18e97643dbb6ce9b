//! `fluidity explain FILE [--initiative ID ...]`: what would change each decision.

use crate::args::{ExplainArgs, ResultFormat};
use crate::{input, output, render, Exit};
use anyhow::{anyhow, Result};
use fluidity_solvers::whatif::explain::{explain_with, ExplainError, Explaining};
use fluidity_solvers::Status;
use fluidity_solvers::{PlanError, PlanOptions};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

pub fn run(args: ExplainArgs) -> Result<Exit> {
    let format = args.output.check("explain", false)?;
    let scenario = input::read_scenario(&args.file)?;
    let name = input::display_name(&args.file);
    let options = PlanOptions {
        limits: args.limits.limits(),
        ..PlanOptions::default()
    };
    // Dozens of plans per initiative: on every core, with a bar on a terminal.
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("explaining {bar:30} {pos}/{len} initiatives, {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    });
    let progress = |done: usize, of: usize| {
        if let Some(bar) = &bar {
            bar.set_length(of as u64);
            bar.set_position(done as u64);
        }
    };
    let how = Explaining {
        jobs,
        progress: Some(&progress),
    };
    let explained = explain_with(&scenario, &args.initiatives, &options, how);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let explanation = explained.map_err(|e| match e {
        ExplainError::Plan(PlanError::Invalid(invalid)) => {
            anyhow!("{}", render::invalid(&name, &invalid))
        }
        ExplainError::UnknownInitiatives(_) => anyhow!("{e} in {name} (--initiative)"),
        ExplainError::Plan(other) => anyhow!("cannot plan {name}: {other}"),
    })?;
    let text = match format {
        ResultFormat::Json => render::json(&explanation),
        ResultFormat::Text => render::explanation(&name, &scenario, &explanation),
        ResultFormat::Xlsx => return Err(anyhow!("--format xlsx is for plan and compare")),
    };
    output::write(args.output.out.as_deref(), &text)?;
    Ok(if explanation.status == Status::Infeasible {
        Exit::Infeasible
    } else {
        Exit::Planned
    })
}
