//! Scenarios as spreadsheets: an XLSX workbook, or a folder of CSV files, one per
//! sheet. The format (README "Scenarios in spreadsheets"):
//!
//! | sheet | one row per | columns |
//! | --- | --- | --- |
//! | `periods` | period, in order | `id`, `weight` |
//! | `resources` | resource | `id`, `name`, `unit`, `reserveMin`, `moveCost`, `maxChurn`, then one column per period id: its capacity (only the first filled: the same in every period) |
//! | `initiatives` | initiative | `id`, `name`, `owner`, `kind`, `current`, `min`, `max`, `rampUp`, `rampDown`, `locked`, `integral`, `tier`, then one column per resource id (its requirement; empty: none), then `upTo1`, `perUnit1`, `upTo2`, `perUnit2`, ... (the value curve) |
//! | `groups` (optional) | group | `id`, `resource`, `initiatives` (ids separated by commas), `min`, `max` |
//! | `dependencies` (optional) | dependency | `initiative`, `requires`, `ratio` |
//! | `policy` (optional) | setting | `setting`, `value`: `name` (the scenario's), `tierTolerance`, `timeLimitSeconds`, `solver`, `mipGap` |
//!
//! Headers are matched without regard to case; sheets whose names start with `_` are
//! notes and are skipped. Reading never guesses: text where a number belongs, an
//! unknown column or sheet, a missing header, a formula without a computed value or a
//! merged cell is a problem naming its cell (`initiatives!D14`) and field path, and
//! the core's validation problems are reported at their cells too. Bytes and texts in
//! and out: reading and writing the files is the caller's.

mod plan_out;
mod scenario_in;
mod scenario_out;
pub mod sources;
pub mod table;

use fluidity_solvers::{Limits, Scenario};
pub use plan_out::{comparison_xlsx, plan_xlsx};
pub use scenario_in::Located;

/// The sheets of the format, in the order they are written.
pub const SHEETS: [&str; 6] = [
    "periods",
    "resources",
    "initiatives",
    "groups",
    "dependencies",
    "policy",
];

/// The `resources` sheet's columns before the capacities.
pub(crate) const RESOURCE_FIELDS: &[&str] =
    &["id", "name", "unit", "reserveMin", "moveCost", "maxChurn"];

/// The `initiatives` sheet's columns before the requirements.
pub(crate) const INITIATIVE_FIELDS: &[&str] = &[
    "id", "name", "owner", "kind", "current", "min", "max", "rampUp", "rampDown", "locked",
    "integral", "tier",
];

/// `upToK` or `perUnitK` (any case; K from 1, without leading zeros): which, and K.
pub(crate) fn segment_column(name: &str) -> Option<(&'static str, usize)> {
    let lower = name.to_lowercase();
    for (prefix, field) in [("upto", "upTo"), ("perunit", "perUnit")] {
        if let Some(k) = lower.strip_prefix(prefix) {
            if !k.is_empty() && !k.starts_with('0') && k.bytes().all(|b| b.is_ascii_digit()) {
                return k.parse().ok().map(|k| (field, k));
            }
        }
    }
    None
}

/// One problem with a workbook: where (a cell such as `initiatives!D14`, or a sheet or
/// file), the field path when there is one, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `sheet!A1`, or `workbook` for the file as a whole.
    pub cell: String,
    /// The scenario field (`initiatives[12].current`); empty when none.
    pub path: String,
    /// What is wrong, for people.
    pub message: String,
}

impl Problem {
    pub(crate) fn at(cell: &str, path: &str, message: String) -> Problem {
        Problem {
            cell: cell.to_string(),
            path: path.to_string(),
            message,
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.cell, self.message)
        } else {
            write!(f, "{} ({}): {}", self.cell, self.path, self.message)
        }
    }
}

/// Why a workbook gave no scenario: every problem found, in the order of the sheets.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} problem(s), the first: {}", problems.len(), problems.first().map(ToString::to_string).unwrap_or_default())]
pub struct WorkbookError {
    /// Each with its cell.
    pub problems: Vec<Problem>,
}

fn checked(tables: &[table::Table], limits: &Limits) -> Result<Scenario, WorkbookError> {
    let located = scenario_in::scenario(tables).map_err(|problems| WorkbookError { problems })?;
    match fluidity_solvers::validate(&located.scenario, limits) {
        Ok(()) => Ok(located.scenario),
        Err(invalid) => Err(WorkbookError {
            problems: invalid
                .violations
                .iter()
                .map(|v| Problem::at(&located.cell_of(&v.path), &v.path, v.message.clone()))
                .collect(),
        }),
    }
}

/// A valid scenario from an XLSX workbook's bytes, checked against `limits` as a plan
/// would be.
///
/// # Errors
/// Every problem at once: the file, the cells, then the scenario's validation, each
/// at its cell.
pub fn read_xlsx(bytes: &[u8], limits: &Limits) -> Result<Scenario, WorkbookError> {
    let tables = sources::xlsx_tables(bytes).map_err(|problems| WorkbookError { problems })?;
    checked(&tables, limits)
}

/// A valid scenario from a CSV folder's files, given as (sheet, text) pairs (the file
/// `initiatives.csv` is the sheet `initiatives`).
///
/// # Errors
/// As [`read_xlsx`], with `initiatives!D14` meaning line 14, column D of
/// `initiatives.csv`.
pub fn read_csv(files: &[(String, String)], limits: &Limits) -> Result<Scenario, WorkbookError> {
    let mut tables = Vec::new();
    let mut problems = Vec::new();
    for (sheet, text) in files {
        match sources::csv_table(sheet, text) {
            Ok(table) => tables.push(table),
            Err(problem) => problems.push(problem),
        }
    }
    if !problems.is_empty() {
        return Err(WorkbookError { problems });
    }
    checked(&tables, limits)
}

/// `scenario` as an XLSX workbook (the same scenario gives the same bytes).
///
/// # Errors
/// What the format cannot hold (see `scenario_out::tables`), each with its field.
pub fn write_xlsx(scenario: &Scenario) -> Result<Vec<u8>, WorkbookError> {
    let tables = scenario_out::tables(scenario).map_err(|problems| WorkbookError { problems })?;
    sources::xlsx_bytes(&tables).map_err(|p| WorkbookError { problems: vec![p] })
}

/// `scenario` as CSV files: (file name, text), `periods.csv` first.
///
/// # Errors
/// As [`write_xlsx`].
pub fn write_csv(scenario: &Scenario) -> Result<Vec<(String, String)>, WorkbookError> {
    let tables = scenario_out::tables(scenario).map_err(|problems| WorkbookError { problems })?;
    Ok(tables
        .iter()
        .map(|t| (format!("{}.csv", t.sheet), sources::csv_text(t)))
        .collect())
}
