//! Reading scenarios from files or stdin, with errors that name the file and field.

use anyhow::{anyhow, Context, Result};
use fluidity_solvers::whatif::variant::Variant;
use fluidity_solvers::Scenario;
use std::io::Read;
use std::path::Path;

/// Largest scenario file read; bigger inputs are refused before parsing.
const MAX_BYTES: u64 = 256 * 1024 * 1024;

/// Reads and parses a scenario; `-` is stdin.
pub fn read_scenario(path: &Path) -> Result<Scenario> {
    let name = display_name(path);
    let text = read_text(path).with_context(|| format!("cannot read {name}"))?;
    if text.trim().is_empty() {
        return Err(anyhow!("{name} is empty: expected a scenario as JSON"));
    }
    Scenario::from_json(&text).map_err(|e| anyhow!("{name} is not a valid scenario: {e}"))
}

/// Reads every variant in a variants file.
pub fn read_variants(path: &Path) -> Result<Vec<Variant>> {
    let name = display_name(path);
    let text = read_text(path).with_context(|| format!("cannot read {name}"))?;
    if text.trim().is_empty() {
        return Err(anyhow!("{name} is empty: expected a variant as JSON"));
    }
    Variant::list_from_json(&text).map_err(|e| anyhow!("{name} is not a valid variant file: {e}"))
}

pub fn display_name(path: &Path) -> String {
    if path == Path::new("-") {
        "standard input".to_string()
    } else {
        path.display().to_string()
    }
}

fn read_text(path: &Path) -> Result<String> {
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .take(MAX_BYTES + 1)
            .read_to_end(&mut bytes)?;
    } else {
        std::fs::File::open(path)?
            .take(MAX_BYTES + 1)
            .read_to_end(&mut bytes)?;
    }
    if bytes.len() as u64 > MAX_BYTES {
        return Err(anyhow!("larger than {} MiB", MAX_BYTES / (1024 * 1024)));
    }
    String::from_utf8(bytes)
        .map_err(|e| anyhow!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()))
}

/// Reads actuals from CSV as finance keeps them: a header `initiative,period,activity`
/// (in any order, any case), one row per initiative and period.
///
/// # Errors
/// Every problem at once, each naming its row and column: a missing or unknown
/// column, a short row, a cell that is not a number.
pub fn read_actuals(path: &Path) -> Result<Vec<fluidity_solvers::lifecycle::Actual>> {
    let name = display_name(path);
    let text = read_text(path).with_context(|| format!("cannot read {name}"))?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .with_context(|| format!("{name}: cannot read its header"))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let mut problems = Vec::new();
    let column = |wanted: &str| header.iter().position(|h| h == wanted);
    for (k, h) in header.iter().enumerate() {
        if !["initiative", "period", "activity"].contains(&h.as_str()) {
            problems.push(format!(
                "{name} row 1, column {}: unknown column \"{h}\" (expected initiative, period, activity)",
                k + 1
            ));
        }
    }
    let (Some(i), Some(p), Some(a)) = (column("initiative"), column("period"), column("activity"))
    else {
        problems.push(format!(
            "{name} row 1: the header must name the columns initiative, period and activity, not \"{}\"",
            header.join(",")
        ));
        return Err(anyhow!("{}", problems.join("\n")));
    };
    let mut actuals = Vec::new();
    for (k, record) in reader.records().enumerate() {
        let row = k + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("{name} row {row}: {e}"));
                continue;
            }
        };
        let cell = |c: usize| record.get(c).unwrap_or("");
        if record.len() < header.len() {
            problems.push(format!(
                "{name} row {row}: {} cells, the header has {}",
                record.len(),
                header.len()
            ));
            continue;
        }
        let activity = match cell(a).parse::<f64>() {
            Ok(x) => x,
            Err(_) => {
                problems.push(format!(
                    "{name} row {row}, column activity: \"{}\" is not a number",
                    cell(a)
                ));
                continue;
            }
        };
        actuals.push(fluidity_solvers::lifecycle::Actual {
            initiative: cell(i).to_string(),
            period: cell(p).to_string(),
            activity,
        });
    }
    if actuals.is_empty() && problems.is_empty() {
        problems.push(format!("{name}: no rows after the header"));
    }
    if problems.is_empty() {
        Ok(actuals)
    } else {
        Err(anyhow!("{}", problems.join("\n")))
    }
}
