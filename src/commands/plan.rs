//! `fluidity plan FILE`: solve a scenario in-process and print or write the plan.

use crate::cli::{Format, PlanArgs};
use crate::{input, output, render, Outcome};
use anyhow::{anyhow, Result};
use fluidity_solvers::{plan, Limits, PlanError, PlanOptions, Status};

pub fn run(args: PlanArgs) -> Result<Outcome> {
    let mut scenario = input::read_scenario(&args.file)?;
    if let Some(solver) = args.solver {
        scenario.policy.solver = solver;
    }
    if let Some(seconds) = args.time_limit {
        if !(seconds.is_finite() && seconds >= 0.0) {
            return Err(anyhow!("--time-limit must be a number of seconds >= 0"));
        }
    }
    let options = PlanOptions {
        limits: Limits {
            max_variables: args.limits.max_variables,
        },
        time_limit: args.time_limit,
    };
    let name = input::display_name(&args.file);
    let plan = plan(&scenario, &options).map_err(|e| match e {
        PlanError::Invalid(invalid) => anyhow!("{}", render::invalid(&name, &invalid)),
        other => anyhow!("cannot plan {name}: {other}"),
    })?;
    let text = match args.format {
        Format::Json => render::json(&plan),
        Format::Text => render::plan(&scenario, &plan),
    };
    output::write(args.out.as_deref(), &text)?;
    Ok(match plan.status {
        Status::Infeasible => Outcome::Infeasible,
        Status::Optimal | Status::Feasible => Outcome::Planned,
    })
}
