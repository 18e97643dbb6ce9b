//! `fluidity replan --portfolio P`: the periods left, planned from where things
//! really are (each initiative's `current` is what it ran in the last recorded
//! period), saved as a DRAFT linked to the approved plan, with what it changes.

use super::plans::changes_table;
use super::store::{actor, error, open};
use crate::args::ReplanArgs;
use crate::render::num;
use crate::Exit;
use anyhow::{anyhow, Result};
use fluidity::store::StoreError;
use fluidity_solvers::lifecycle::{priority_changes, replan_scenario};
use fluidity_solvers::{plan, PlanOptions};

pub fn run(args: ReplanArgs) -> Result<Exit> {
    let (rt, db) = open(&args.store)?;
    let (approved, actuals, _) = rt.block_on(db.execution(&args.portfolio)).map_err(error)?;
    let replanning = replan_scenario(&approved.scenario, &approved.plan, &actuals)
        .map_err(|problems| error(StoreError::Invalid(problems)))?;
    let options = PlanOptions {
        limits: args.limits.limits(),
        ..PlanOptions::default()
    };
    let planned = plan(&replanning.scenario, &options)
        .map_err(|e| anyhow!("cannot re-plan {}: {e}", args.portfolio))?;
    let saved = rt
        .block_on(db.save_plan(
            &actor(&args.store)?,
            &args.portfolio,
            &replanning.scenario,
            &planned,
            Some(approved.id),
            None,
        ))
        .map_err(error)?;
    println!(
        "re-planned {} from the actuals of {} ({} period(s) left): plan {} (DRAFT), {:?}, objective {}",
        args.portfolio,
        replanning.from_period,
        replanning.scenario.periods.len(),
        saved.id,
        planned.status,
        num(planned.objective)
    );
    if !replanning.assumed_as_planned.is_empty() {
        println!(
            "no actuals for {} in {}: taken as planned",
            replanning.assumed_as_planned.join(", "),
            replanning.from_period
        );
    }
    println!("against approved plan {}:", approved.id);
    print!(
        "{}",
        changes_table(&priority_changes(
            Some(&approved.plan),
            &replanning.scenario,
            &planned
        ))
    );
    Ok(Exit::Planned)
}
