//! `fluidity generate`: a deterministic, feasible scenario of a given size.

use crate::args::GenerateArgs;
use crate::{output, Exit};
use anyhow::{anyhow, Result};
use fluidity_solvers::generate::{generate, Shape};

pub fn run(args: GenerateArgs) -> Result<Exit> {
    if !(0.0..=1.0).contains(&args.integral_share) {
        return Err(anyhow!("--integral-share must be between 0 and 1"));
    }
    if args.initiatives == 0 || args.resources == 0 || args.periods == 0 {
        return Err(anyhow!(
            "--initiatives, --resources and --periods must be at least 1"
        ));
    }
    let scenario = generate(Shape {
        initiatives: args.initiatives,
        resources: args.resources,
        periods: args.periods,
        seed: args.seed,
        integral_share: args.integral_share,
    });
    let mut text = serde_json::to_string_pretty(&scenario)?;
    text.push('\n');
    output::write(args.out.as_deref(), &text)?;
    Ok(Exit::Planned)
}
