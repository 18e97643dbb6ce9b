//! `fluidity plan FILE`: solve a scenario, in-process or on a server, and print or
//! write the plan. Both paths print the same bytes for the same plan.

use crate::args::{PlanArgs, ResultFormat};
use crate::watch::Watch;
use crate::{input, output, render, runtime, Exit};
use anyhow::{anyhow, Result};
use fluidity::client::{self, RemoteError};
use fluidity_solvers::{plan, InvalidScenario, PlanError, PlanOptions, Status};

pub fn run(args: PlanArgs) -> Result<Exit> {
    let format = args.output.check("plan", true)?;
    let mut scenario = input::read_scenario(&args.file)?;
    if let Some(solver) = args.solver {
        scenario.policy.solver = solver;
    }
    if let Some(seconds) = args.time_limit {
        if !(seconds.is_finite() && seconds >= 0.0) {
            return Err(anyhow!("--time-limit must be a number of seconds >= 0"));
        }
        // The tighter limit, written into the scenario so a server applies it too.
        let policy = &mut scenario.policy.time_limit_seconds;
        *policy = Some(policy.map_or(seconds, |p| p.min(seconds)));
    }
    let name = input::display_name(&args.file);
    let plan = match args.remote.endpoint() {
        None => {
            let (watch, cancel, progress) = Watch::start()?;
            let options = PlanOptions {
                limits: args.limits.limits(),
                time_limit: None,
                cancel,
                progress,
            };
            let planned = plan(&scenario, &options);
            let interrupted = watch.finish();
            let plan = planned.map_err(|e| match e {
                PlanError::Invalid(invalid) => anyhow!("{}", render::invalid(&name, &invalid)),
                other => anyhow!("cannot plan {name}: {other}"),
            })?;
            if interrupted {
                eprintln!(
                    "interrupted: the best plan found so far follows (gap {})",
                    fluidity::numbers::percent(plan.solver.gap)
                );
            }
            plan
        }
        Some(endpoint) => runtime()?
            .block_on(client::plan(&endpoint, &scenario))
            .map_err(|e| remote_error("plan", &name, e))?,
    };
    match format {
        ResultFormat::Json => output::write(args.output.out.as_deref(), &render::json(&plan))?,
        ResultFormat::Text => {
            output::write(args.output.out.as_deref(), &render::plan(&scenario, &plan))?
        }
        ResultFormat::Xlsx => {
            let bytes = fluidity::workbook::plan_xlsx(&scenario, &plan)
                .map_err(|e| anyhow!("cannot write the plan as a workbook: {e}"))?;
            output::write_bytes(args.output.out.as_deref(), &bytes)?
        }
    }
    Ok(match plan.status {
        Status::Infeasible => Exit::Infeasible,
        Status::Optimal | Status::Feasible => Exit::Planned,
    })
}

/// A server's refusal of a call that would `verb` the scenario `name` ("plan",
/// "validate"), worded as the in-process one would be.
pub fn remote_error(verb: &str, name: &str, error: RemoteError) -> anyhow::Error {
    match error {
        RemoteError::Invalid(violations) => {
            anyhow!("{}", render::invalid(name, &InvalidScenario { violations }))
        }
        other => anyhow!("cannot {verb} {name}: {other}"),
    }
}
