//! `fluidity compare BASE --variant FILE ...`: the base and its variants side by side.

use crate::args::{CompareArgs, ResultFormat};
use crate::{input, output, render, Exit};
use anyhow::{anyhow, Result};
use fluidity_solvers::whatif::compare::compare;
use fluidity_solvers::{PlanError, PlanOptions};

pub fn run(args: CompareArgs) -> Result<Exit> {
    let format = args.output.check("compare", true)?;
    let base = input::read_scenario(&args.base)?;
    let name = input::display_name(&args.base);
    let mut variants = Vec::new();
    for file in &args.variants {
        variants.extend(input::read_variants(file)?);
    }
    // Every overlay is checked before anything is planned: a bad one stops the command.
    let problems = fluidity_solvers::whatif::variant::check_all(&base, &variants);
    if !problems.is_empty() {
        return Err(anyhow!(
            "{}",
            render::problems("the variants are not valid", &problems)
        ));
    }
    let options = PlanOptions {
        limits: args.limits.limits(),
        time_limit: None,
        ..PlanOptions::default()
    };
    let comparison = compare(&base, &variants, &options).map_err(|e| match e {
        PlanError::Invalid(invalid) => anyhow!("{}", render::invalid(&name, &invalid)),
        other => anyhow!("cannot plan {name}: {other}"),
    })?;
    let text = match format {
        ResultFormat::Json => render::json(&comparison),
        ResultFormat::Text => render::comparison(&name, &comparison),
        ResultFormat::Xlsx => {
            let bytes = fluidity::workbook::comparison_xlsx(&base, &comparison)
                .map_err(|e| anyhow!("cannot write the comparison as a workbook: {e}"))?;
            return output::write_bytes(args.output.out.as_deref(), &bytes).map(|_| Exit::Planned);
        }
    };
    output::write(args.output.out.as_deref(), &text)?;
    Ok(Exit::Planned)
}
