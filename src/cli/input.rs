//! Reading scenarios from files or stdin, with errors that name the file and field.

use anyhow::{anyhow, Context, Result};
use fluidity_solvers::whatif::variant::Variant;
use fluidity_solvers::Scenario;
use std::io::Read;
use std::path::Path;

/// Largest scenario file read; bigger inputs are refused before parsing.
const MAX_BYTES: u64 = 256 * 1024 * 1024;

/// What a scenario file is, by its name: an XLSX workbook (`.xlsx`), a folder of CSV
/// files (one per sheet), or protobuf JSON (anything else, and stdin).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScenarioFormat {
    Json,
    Xlsx,
    CsvFolder,
}

impl ScenarioFormat {
    pub fn of(path: &Path) -> ScenarioFormat {
        if path != Path::new("-") && path.is_dir() {
            ScenarioFormat::CsvFolder
        } else if path
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("xlsx"))
        {
            ScenarioFormat::Xlsx
        } else {
            ScenarioFormat::Json
        }
    }
}

/// Reads and parses a scenario; `-` is stdin. A workbook or CSV folder is also
/// validated here, so that every problem names its cell.
pub fn read_scenario(path: &Path) -> Result<Scenario> {
    let name = display_name(path);
    let extension = path
        .extension()
        .map(|x| x.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "xls" | "xlsb" | "ods" | "numbers" => {
            return Err(anyhow!(
                "{name}: only .xlsx workbooks are read; save it as an Excel workbook (.xlsx)"
            ))
        }
        "csv" if !path.is_dir() => {
            return Err(anyhow!(
                "{name}: a scenario in CSV is a folder of CSV files, one per sheet \
                 (periods.csv, resources.csv, initiatives.csv, ...): give the folder"
            ))
        }
        _ => {}
    }
    match ScenarioFormat::of(path) {
        ScenarioFormat::Json => {}
        ScenarioFormat::Xlsx => {
            let bytes = read_bytes(path).with_context(|| format!("cannot read {name}"))?;
            return fluidity::workbook::read_xlsx(&bytes, &unlimited())
                .map_err(|e| workbook_error(&name, e));
        }
        ScenarioFormat::CsvFolder => {
            let files = read_csv_folder(path).with_context(|| format!("cannot read {name}"))?;
            return fluidity::workbook::read_csv(&files, &unlimited())
                .map_err(|e| workbook_error(&name, e));
        }
    }
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

/// Size limits are the command's (`--max-variables`), checked when it plans.
fn unlimited() -> fluidity_solvers::Limits {
    fluidity_solvers::Limits {
        max_variables: usize::MAX,
        max_constraints: usize::MAX,
    }
}

fn workbook_error(name: &str, error: fluidity::workbook::WorkbookError) -> anyhow::Error {
    let mut text = format!("{name} is not a valid scenario:");
    for problem in &error.problems {
        text.push_str(&format!("\n  {problem}"));
    }
    anyhow!(text)
}

/// The `*.csv` files of a folder as (sheet, text), by name.
fn read_csv_folder(dir: &Path) -> Result<Vec<(String, String)>> {
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(anyhow!(
            "the folder holds no CSV file (periods.csv, resources.csv, initiatives.csv, ...)"
        ));
    }
    files
        .iter()
        .map(|file| {
            let sheet = file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text =
                read_text(file).with_context(|| format!("cannot read {}", file.display()))?;
            Ok((sheet, text))
        })
        .collect()
}

fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(anyhow!("larger than {} MiB", MAX_BYTES / (1024 * 1024)));
    }
    Ok(bytes)
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
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(anyhow!(
            "this is a zip archive, as an XLSX workbook is: give a workbook as a file named .xlsx"
        ));
    }
    String::from_utf8(bytes)
        .map_err(|e| anyhow!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()))
}

/// What an actuals file holds: activity per initiative and period, or resource use
/// per resource and period.
pub enum ActualsFile {
    /// `initiative,period,activity` rows.
    Activity(Vec<fluidity_solvers::lifecycle::Actual>),
    /// `resource,period,used` rows.
    ResourceUse(Vec<fluidity_solvers::lifecycle::ResourceActual>),
}

/// Reads actuals from CSV as finance keeps them: a header `initiative,period,activity`
/// (or `resource,period,used` for resource use), in any order and case, one row per
/// initiative (or resource) and period.
///
/// # Errors
/// Every problem at once, each naming its row and column: a missing or unknown
/// column, a short row, a cell that is not a number.
pub fn read_actuals(path: &Path) -> Result<ActualsFile> {
    let name = display_name(path);
    let text = read_text(path).with_context(|| format!("cannot read {name}"))?;
    // A spreadsheet's UTF-8 byte order mark is not part of the first column's name.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
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
    let uses = header.iter().any(|h| h == "resource");
    let expected: [&str; 3] = if uses {
        ["resource", "period", "used"]
    } else {
        ["initiative", "period", "activity"]
    };
    let mut problems = Vec::new();
    for (k, h) in header.iter().enumerate() {
        if !expected.contains(&h.as_str()) {
            problems.push(format!(
                "{name} row 1, column {}: unknown column \"{h}\" (expected {})",
                k + 1,
                expected.join(", ")
            ));
        }
    }
    for (k, h) in header.iter().enumerate() {
        if header[..k].contains(h) {
            problems.push(format!(
                "{name} row 1, column {}: \"{h}\" a second time",
                k + 1
            ));
        }
    }
    let column = |wanted: &str| header.iter().position(|h| h == wanted);
    let (Some(id), Some(p), Some(x)) = (
        column(expected[0]),
        column(expected[1]),
        column(expected[2]),
    ) else {
        problems.push(format!(
            "{name} row 1: the header must name the columns initiative, period and activity (or resource, period and used), not \"{}\"",
            header.join(",")
        ));
        return Err(anyhow!("{}", problems.join("\n")));
    };
    let mut rows: Vec<(String, String, f64)> = Vec::new();
    for (k, record) in reader.records().enumerate() {
        let row = k + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("{name} row {row}: {e}"));
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cell = |c: usize| record.get(c).unwrap_or("");
        if record.len() != header.len() {
            problems.push(format!(
                "{name} row {row}: {} cells, the header has {}",
                record.len(),
                header.len()
            ));
            continue;
        }
        match cell(x).parse::<f64>() {
            Ok(v) => rows.push((cell(id).to_string(), cell(p).to_string(), v)),
            Err(_) => problems.push(format!(
                "{name} row {row}, column {}: \"{}\" is not a number",
                expected[2],
                cell(x)
            )),
        }
    }
    if rows.is_empty() && problems.is_empty() {
        problems.push(format!("{name}: no rows after the header"));
    }
    if !problems.is_empty() {
        return Err(anyhow!("{}", problems.join("\n")));
    }
    Ok(if uses {
        ActualsFile::ResourceUse(
            rows.into_iter()
                .map(
                    |(resource, period, used)| fluidity_solvers::lifecycle::ResourceActual {
                        resource,
                        period,
                        used,
                    },
                )
                .collect(),
        )
    } else {
        ActualsFile::Activity(
            rows.into_iter()
                .map(
                    |(initiative, period, activity)| fluidity_solvers::lifecycle::Actual {
                        initiative,
                        period,
                        activity,
                    },
                )
                .collect(),
        )
    })
}
