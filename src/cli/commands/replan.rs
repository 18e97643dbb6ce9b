//! `fluidity replan --portfolio P`: the periods left, planned from where things
//! really are (each initiative's `current` is what it ran in the last recorded
//! period), saved as a DRAFT linked to the approved plan, with what it changes.

use super::plans::changes_table;
use super::store::open;
use crate::args::ReplanArgs;
use crate::render::num;
use crate::Exit;
use anyhow::Result;

pub fn run(args: ReplanArgs) -> Result<Exit> {
    let (replanned, periods) = open(&args.store)?.replan(&args.portfolio, args.limits.limits())?;
    println!(
        "re-planned {} from the actuals of {} ({periods} period(s) left): plan {} (DRAFT), {}, objective {}",
        args.portfolio,
        replanned.from_period,
        replanned.id,
        format!("{:?}", replanned.plan.status).to_uppercase(),
        num(replanned.plan.objective)
    );
    if !replanned.assumed_as_planned.is_empty() {
        println!(
            "no actuals for {} in {}: taken as planned",
            replanned.assumed_as_planned.join(", "),
            replanned.from_period
        );
    }
    println!("against approved plan {}:", replanned.parent);
    print!("{}", changes_table(&replanned.changes));
    Ok(
        if replanned.plan.status == fluidity_solvers::Status::Infeasible {
            println!(
                "the periods left have no plan: `fluidity plans show {}` gives the diagnosis",
                replanned.id
            );
            Exit::Infeasible
        } else {
            Exit::Planned
        },
    )
}
