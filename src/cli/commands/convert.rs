//! `fluidity convert`: a scenario between protobuf JSON, an XLSX workbook and a folder
//! of CSV files, both ways. The scenario is read and validated whole before anything
//! is written, so a bad input writes nothing.

use crate::args::ConvertArgs;
use crate::input::{self, ScenarioFormat};
use crate::{output, Exit};
use anyhow::{anyhow, Context, Result};
use std::path::Path;

pub fn run(args: ConvertArgs) -> Result<Exit> {
    let scenario = input::read_scenario(&args.input)?;
    if ScenarioFormat::of(&args.input) == ScenarioFormat::Json {
        // A workbook is validated as it is read; JSON is checked here, so that what
        // is written is a scenario that plans.
        let unlimited = fluidity_solvers::Limits {
            max_variables: usize::MAX,
            max_constraints: usize::MAX,
        };
        if let Err(invalid) = fluidity_solvers::validate(&scenario, &unlimited) {
            let name = input::display_name(&args.input);
            return Err(anyhow!("{}", crate::render::invalid(&name, &invalid)));
        }
    }
    let out = args.output.as_path();
    let problems = |e: fluidity::workbook::WorkbookError| {
        let mut text = format!("cannot write {} as a workbook:", out.display());
        for p in &e.problems {
            text.push_str(&format!("\n  {}: {}", p.path, p.message));
        }
        anyhow!(text)
    };
    if out == Path::new("-") || has_extension(out, "json") {
        let mut text = serde_json::to_string_pretty(&scenario)?;
        text.push('\n');
        output::write((out != Path::new("-")).then_some(out), &text)?;
    } else if has_extension(out, "xlsx") {
        let bytes = fluidity::workbook::write_xlsx(&scenario).map_err(problems)?;
        fluidity::files::write_atomic(out, &bytes)
            .with_context(|| format!("cannot write {}", out.display()))?;
    } else if out.extension().is_none() || out.is_dir() {
        let files: Vec<(String, Vec<u8>)> = fluidity::workbook::write_csv(&scenario)
            .map_err(problems)?
            .into_iter()
            .map(|(name, text)| (name, text.into_bytes()))
            .collect();
        // A sheet this scenario does not have must not linger from an earlier
        // conversion: it would be read back as part of the scenario.
        let sheets: Vec<String> = fluidity::workbook::SHEETS
            .iter()
            .map(|s| format!("{s}.csv"))
            .collect();
        fluidity::files::write_folder(out, &files, &sheets)
            .with_context(|| format!("cannot write the CSV folder {}", out.display()))?;
    } else {
        return Err(anyhow!(
            "cannot tell the format of {}: name it .json or .xlsx, or give a folder for CSV files",
            out.display()
        ));
    }
    Ok(Exit::Planned)
}

fn has_extension(path: &Path, extension: &str) -> bool {
    path.extension()
        .is_some_and(|x| x.eq_ignore_ascii_case(extension))
}
