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
