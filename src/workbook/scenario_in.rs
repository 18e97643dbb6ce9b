//! The workbook format's tables read into a scenario, every cell's place remembered so
//! that a problem found later (by the core's validation) still names its cell.
//!
//! Long because it is one reader per sheet, each a straight walk over its columns.

use super::table::{Cell, Table};
use super::{segment_column, Problem, INITIATIVE_FIELDS, RESOURCE_FIELDS, SHEETS};
use fluidity_solvers::{
    Dependency, Group, Initiative, Kind, Period, Policy, Resource, Scenario, Segment,
};
use std::collections::BTreeMap;

/// A scenario read from tables, with the cell each field came from.
pub struct Located {
    /// The scenario.
    pub scenario: Scenario,
    /// Field path (`initiatives[3].current`) to cell (`initiatives!E5`).
    pub cells: BTreeMap<String, String>,
}

impl Located {
    /// The cell of the field at `path`, or of its nearest enclosing field read from a
    /// cell (a row's first cell for the row; a sheet's A1 for a whole list).
    pub fn cell_of(&self, path: &str) -> String {
        let mut p = path;
        loop {
            if let Some(cell) = self.cells.get(p) {
                return cell.clone();
            }
            match p.rfind(['.', '[']) {
                Some(at) => p = &p[..at],
                None => return format!("{}!A1", sheet_of(path)),
            }
        }
    }
}

/// The sheet a top-level field lives in.
fn sheet_of(path: &str) -> &'static str {
    let top = path.split(['.', '[']).next().unwrap_or_default();
    match top {
        "periods" => "periods",
        "resources" => "resources",
        "initiatives" => "initiatives",
        "groups" => "groups",
        "dependencies" => "dependencies",
        _ => "policy",
    }
}

/// A sheet's columns by header, and the reading of its cells.
struct Sheet<'a> {
    table: &'a Table,
    /// lower-cased header -> column
    columns: BTreeMap<String, usize>,
}

struct Reader<'a> {
    problems: Vec<Problem>,
    cells: BTreeMap<String, String>,
    tables: &'a [Table],
}

impl<'a> Reader<'a> {
    fn problem(&mut self, cell: String, path: &str, message: impl Into<String>) {
        self.problems.push(Problem::at(&cell, path, message.into()));
    }

    fn table(&mut self, name: &str, required: bool) -> Option<&'a Table> {
        // A sheet with nothing in it (a cleared optional sheet, an empty CSV file) is
        // as good as absent.
        let found = self
            .tables
            .iter()
            .find(|t| t.sheet.eq_ignore_ascii_case(name) && !t.is_blank());
        if found.is_none() && required {
            self.problem(
                format!("{name}!A1"),
                name,
                format!("the sheet `{name}` is missing (a CSV folder: {name}.csv)"),
            );
        }
        found
    }

    /// The header row of `table`: every non-empty cell a column; `known` says which
    /// headers the sheet takes (the rest are reported).
    fn sheet(&mut self, table: &'a Table, known: &dyn Fn(&str) -> bool) -> Sheet<'a> {
        let mut columns = BTreeMap::new();
        for (col, cell) in table.row(0) {
            let at = table.reference(0, col);
            let name = match cell {
                Cell::Empty => continue,
                Cell::Text(s) => s.trim().to_string(),
                Cell::Number(x) => x.to_string(),
                Cell::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
                Cell::Unreadable(why) => {
                    self.problem(at, &table.sheet, format!("header: {why}"));
                    continue;
                }
            };
            if !known(&name) {
                self.problem(at, &table.sheet, format!("unknown column `{name}`"));
            } else if columns.insert(name.to_lowercase(), col).is_some() {
                self.problem(
                    at,
                    &table.sheet,
                    format!("the column `{name}` appears twice"),
                );
            }
        }
        // A value under no header would be dropped without a word: refuse it.
        let headed: Vec<usize> = table.row(0).map(|(c, _)| c).collect();
        for row in table.data_rows() {
            if let Some((col, _)) = table.row(row).find(|(c, _)| !headed.contains(c)) {
                self.problem(
                    table.reference(row, col),
                    &table.sheet,
                    "a value in a column without a header: name the column in row 1, or \
                     move the value",
                );
            }
        }
        Sheet { table, columns }
    }

    /// Data rows (after the header) that have anything in them.
    fn rows(table: &Table) -> Vec<usize> {
        table.data_rows()
    }

    fn require(&mut self, sheet: &Sheet, column: &str) {
        // A nameless period or resource is reported where it is defined.
        if !column.trim().is_empty() && !sheet.columns.contains_key(&column.to_lowercase()) {
            let col = sheet.table.row(0).map(|(c, _)| c + 1).last().unwrap_or(0);
            self.problem(
                sheet.table.reference(0, col),
                &sheet.table.sheet,
                format!("the column `{column}` is missing from the header row"),
            );
        }
    }

    /// The cell under `column` in `row`, remembered as the place of `path`.
    fn at(
        &mut self,
        sheet: &Sheet<'a>,
        row: usize,
        column: &str,
        path: &str,
    ) -> Option<(&'a Cell, String)> {
        let col = *sheet.columns.get(&column.to_lowercase())?;
        let reference = sheet.table.reference(row, col);
        self.cells.insert(path.to_string(), reference.clone());
        Some((sheet.table.cell(row, col), reference))
    }

    /// An id or a reference (trimmed: a trailing blank is never meant).
    fn text(&mut self, sheet: &Sheet<'a>, row: usize, column: &str, path: &str) -> String {
        self.label(sheet, row, column, path).trim().to_string()
    }

    /// A label for people (a name, a unit, an owner), exactly as written.
    fn label(&mut self, sheet: &Sheet<'a>, row: usize, column: &str, path: &str) -> String {
        let Some((cell, reference)) = self.at(sheet, row, column, path) else {
            return String::new();
        };
        match cell {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Number(x) => x.to_string(),
            Cell::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            Cell::Unreadable(why) => {
                self.problem(reference, path, why.clone());
                String::new()
            }
        }
    }

    fn number(&mut self, sheet: &Sheet<'a>, row: usize, column: &str, path: &str) -> Option<f64> {
        let (cell, reference) = self.at(sheet, row, column, path)?;
        self.number_in(cell, reference, path)
    }

    fn number_in(&mut self, cell: &Cell, reference: String, path: &str) -> Option<f64> {
        match cell {
            Cell::Empty => None,
            Cell::Number(x) => Some(*x),
            Cell::Text(s) => match s.trim().parse::<f64>() {
                Ok(x) if x.is_finite() => Some(x),
                _ => {
                    self.problem(
                        reference,
                        path,
                        format!("expected a number, found the text \"{s}\""),
                    );
                    None
                }
            },
            Cell::Bool(b) => {
                self.problem(
                    reference,
                    path,
                    format!(
                        "expected a number, found {}",
                        if *b { "TRUE" } else { "FALSE" }
                    ),
                );
                None
            }
            Cell::Unreadable(why) => {
                self.problem(reference, path, why.clone());
                None
            }
        }
    }

    fn boolean(&mut self, sheet: &Sheet<'a>, row: usize, column: &str, path: &str) -> bool {
        let Some((cell, reference)) = self.at(sheet, row, column, path) else {
            return false;
        };
        let text = match cell {
            Cell::Empty => return false,
            Cell::Bool(b) => return *b,
            Cell::Number(x) if *x == 0.0 || *x == 1.0 => return *x == 1.0,
            Cell::Number(x) => x.to_string(),
            Cell::Text(s) => s.trim().to_lowercase(),
            Cell::Unreadable(why) => {
                self.problem(reference, path, why.clone());
                return false;
            }
        };
        match text.as_str() {
            "true" | "yes" | "1" => true,
            "false" | "no" | "0" => false,
            _ => {
                self.problem(
                    reference,
                    path,
                    format!("expected TRUE or FALSE, found \"{text}\""),
                );
                false
            }
        }
    }
}

fn known_fields(fields: &'static [&'static str]) -> impl Fn(&str) -> bool {
    move |name: &str| fields.iter().any(|f| f.eq_ignore_ascii_case(name))
}

/// Reads a scenario from the format's tables; every problem at once, each with its
/// cell and field path.
pub fn scenario(tables: &[Table]) -> Result<Located, Vec<Problem>> {
    let mut r = Reader {
        problems: Vec::new(),
        cells: BTreeMap::new(),
        tables,
    };
    for (k, table) in tables.iter().enumerate() {
        if let Some(first) = tables[..k]
            .iter()
            .find(|t| t.sheet.eq_ignore_ascii_case(&table.sheet))
        {
            r.problem(
                format!("{}!A1", table.sheet),
                "",
                format!(
                    "`{}` and `{}` are the same sheet: keep one",
                    first.sheet, table.sheet
                ),
            );
        }
        let name = table.sheet.to_lowercase();
        if !SHEETS.contains(&name.as_str()) && !table.sheet.starts_with('_') {
            r.problem(
                format!("{}!A1", table.sheet),
                "",
                format!(
                    "unknown sheet `{}`: the sheets are {} (name sheets of notes with a leading _)",
                    table.sheet,
                    SHEETS.join(", ")
                ),
            );
        }
    }
    let mut scenario = Scenario {
        periods: periods(&mut r),
        ..Scenario::default()
    };
    scenario.resources = resources(&mut r, &scenario.periods);
    scenario.initiatives = initiatives(&mut r, &scenario.resources);
    scenario.groups = groups(&mut r);
    scenario.dependencies = dependencies(&mut r);
    (scenario.name, scenario.policy) = policy(&mut r);
    if r.problems.is_empty() {
        Ok(Located {
            scenario,
            cells: r.cells,
        })
    } else {
        Err(r.problems)
    }
}

fn periods(r: &mut Reader) -> Vec<Period> {
    let Some(table) = r.table("periods", true) else {
        return Vec::new();
    };
    let sheet = r.sheet(table, &known_fields(&["id", "weight"]));
    r.require(&sheet, "id");
    Reader::rows(table)
        .into_iter()
        .enumerate()
        .map(|(t, row)| {
            let path = format!("periods[{t}]");
            r.cells.insert(path.clone(), table.reference(row, 0));
            Period {
                id: r.text(&sheet, row, "id", &format!("{path}.id")),
                weight: r.number(&sheet, row, "weight", &format!("{path}.weight")),
            }
        })
        .collect()
}

fn resources(r: &mut Reader, periods: &[Period]) -> Vec<Resource> {
    let Some(table) = r.table("resources", true) else {
        return Vec::new();
    };
    let ids: Vec<String> = periods.iter().map(|p| p.id.to_lowercase()).collect();
    let known =
        |name: &str| known_fields(RESOURCE_FIELDS)(name) || ids.contains(&name.to_lowercase());
    let sheet = r.sheet(table, &known);
    r.require(&sheet, "id");
    for period in periods {
        r.require(&sheet, &period.id);
    }
    let mut out = Vec::new();
    for (k, row) in Reader::rows(table).into_iter().enumerate() {
        let path = format!("resources[{k}]");
        r.cells.insert(path.clone(), table.reference(row, 0));
        let field = |f: &str| format!("{path}.{f}");
        let mut resource = Resource {
            id: r.text(&sheet, row, "id", &field("id")),
            name: r.label(&sheet, row, "name", &field("name")),
            unit: r.label(&sheet, row, "unit", &field("unit")),
            reserve_min: r.number(&sheet, row, "reserveMin", &field("reserveMin")),
            move_cost: r.number(&sheet, row, "moveCost", &field("moveCost")),
            max_churn: r.number(&sheet, row, "maxChurn", &field("maxChurn")),
            ..Resource::default()
        };
        // Every period's capacity, or only the first's (the same in every period).
        let mut given = Vec::new();
        for (t, period) in periods.iter().enumerate() {
            let value = r.number(&sheet, row, &period.id, &format!("{path}.capacity[{t}]"));
            given.push(value);
        }
        if let Some(first) = r.cells.get(&format!("{path}.capacity[0]")).cloned() {
            r.cells.insert(format!("{path}.capacity"), first);
        }
        let filled = given.iter().filter(|v| v.is_some()).count();
        resource.capacity = if filled == given.len() {
            given.into_iter().flatten().collect()
        } else if filled == 1 && given[0].is_some() {
            vec![given[0].unwrap_or_default()]
        } else {
            // The first period whose cell is really empty (not refused already, not
            // in a missing column, which is reported as such).
            let empty = periods.iter().enumerate().find(|(t, period)| {
                given[*t].is_none()
                    && sheet
                        .columns
                        .get(&period.id.to_lowercase())
                        .is_some_and(|&col| *table.cell(row, col) == super::table::Cell::Empty)
            });
            if let Some((t, _)) = empty {
                let cell = r.cell_of_path(&format!("{path}.capacity[{t}]"));
                r.problem(
                    cell,
                    &format!("{path}.capacity[{t}]"),
                    "no capacity for this period: give every period's capacity, or only \
                     the first period's (the same in every period)",
                );
            }
            Vec::new()
        };
        out.push(resource);
    }
    out
}

impl Reader<'_> {
    fn cell_of_path(&self, path: &str) -> String {
        self.cells.get(path).cloned().unwrap_or_default()
    }
}

fn initiatives(r: &mut Reader, resources: &[Resource]) -> Vec<Initiative> {
    let Some(table) = r.table("initiatives", true) else {
        return Vec::new();
    };
    let ids: Vec<String> = resources.iter().map(|x| x.id.to_lowercase()).collect();
    let known = |name: &str| {
        known_fields(INITIATIVE_FIELDS)(name)
            || ids.contains(&name.to_lowercase())
            || segment_column(name).is_some()
    };
    let sheet = r.sheet(table, &known);
    r.require(&sheet, "id");
    // A deleted resource column would drop that requirement from every initiative.
    for resource in resources {
        r.require(&sheet, &resource.id);
    }
    let segments = sheet
        .columns
        .keys()
        .filter_map(|name| segment_column(name).map(|(_, k)| k))
        .max()
        .unwrap_or(0);
    let mut out = Vec::new();
    for (i, row) in Reader::rows(table).into_iter().enumerate() {
        let path = format!("initiatives[{i}]");
        r.cells.insert(path.clone(), table.reference(row, 0));
        let field = |f: &str| format!("{path}.{f}");
        let kind_text = r.text(&sheet, row, "kind", &field("kind"));
        let kind = match kind_text.to_uppercase().as_str() {
            "" | "STRATEGIC" => Kind::Strategic,
            "OPERATIONS" => Kind::Operations,
            _ => {
                let cell = r.cell_of_path(&field("kind"));
                r.problem(
                    cell,
                    &field("kind"),
                    format!("expected STRATEGIC or OPERATIONS, found \"{kind_text}\""),
                );
                Kind::Strategic
            }
        };
        let tier = r.number(&sheet, row, "tier", &field("tier")).unwrap_or(0.0);
        if tier < 0.0 || tier.fract() != 0.0 || tier > f64::from(u32::MAX) {
            let cell = r.cell_of_path(&field("tier"));
            r.problem(
                cell,
                &field("tier"),
                format!("expected a whole number from 0, found {tier}"),
            );
        }
        let mut initiative = Initiative {
            id: r.text(&sheet, row, "id", &field("id")),
            name: r.label(&sheet, row, "name", &field("name")),
            owner: r.label(&sheet, row, "owner", &field("owner")),
            kind,
            current: r
                .number(&sheet, row, "current", &field("current"))
                .unwrap_or(0.0),
            min: r.number(&sheet, row, "min", &field("min")),
            max: r.number(&sheet, row, "max", &field("max")),
            ramp_up: r.number(&sheet, row, "rampUp", &field("rampUp")),
            ramp_down: r.number(&sheet, row, "rampDown", &field("rampDown")),
            locked: r.boolean(&sheet, row, "locked", &field("locked")),
            integral: r.boolean(&sheet, row, "integral", &field("integral")),
            tier: tier.clamp(0.0, f64::from(u32::MAX)) as u32,
            ..Initiative::default()
        };
        for resource in resources {
            let path = field(&format!("requirements.{}", resource.id));
            if let Some(x) = r.number(&sheet, row, &resource.id, &path) {
                initiative.requirements.insert(resource.id.clone(), x);
            }
        }
        let mut ended = None;
        for k in 1..=segments {
            let at = field(&format!("value[{}]", k - 1));
            let up_to = r.number(&sheet, row, &format!("upTo{k}"), &format!("{at}.upTo"));
            let per_unit = r.number(
                &sheet,
                row,
                &format!("perUnit{k}"),
                &format!("{at}.perUnit"),
            );
            if let Some(cell) = r.cells.get(&format!("{at}.perUnit")).cloned() {
                r.cells.insert(at.clone(), cell);
            }
            match (up_to, per_unit) {
                (None, None) => {
                    ended.get_or_insert(k);
                }
                (_, Some(per_unit)) if ended.is_none() => {
                    initiative.value.push(Segment { up_to, per_unit })
                }
                (_, None) if ended.is_none() => {
                    let cell = r.cell_of_path(&format!("{at}.perUnit"));
                    r.problem(
                        cell,
                        &format!("{at}.perUnit"),
                        format!("upTo{k} is given but perUnit{k} is empty"),
                    );
                }
                _ => {
                    let gap = ended.unwrap_or(k);
                    let cell = r.cell_of_path(&format!("{at}.perUnit"));
                    r.problem(cell, &at, format!("segment {k} follows the empty segment {gap}: segments run without gaps"));
                }
            }
        }
        out.push(initiative);
    }
    out
}

fn groups(r: &mut Reader) -> Vec<Group> {
    let Some(table) = r.table("groups", false) else {
        return Vec::new();
    };
    let sheet = r.sheet(
        table,
        &known_fields(&["id", "resource", "initiatives", "min", "max"]),
    );
    for column in ["id", "resource", "initiatives"] {
        r.require(&sheet, column);
    }
    Reader::rows(table)
        .into_iter()
        .enumerate()
        .map(|(g, row)| {
            let path = format!("groups[{g}]");
            r.cells.insert(path.clone(), table.reference(row, 0));
            let field = |f: &str| format!("{path}.{f}");
            let list = r.text(&sheet, row, "initiatives", &field("initiatives"));
            Group {
                id: r.text(&sheet, row, "id", &field("id")),
                resource: r.text(&sheet, row, "resource", &field("resource")),
                initiatives: list
                    .split([',', ';'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect(),
                min: r.number(&sheet, row, "min", &field("min")),
                max: r.number(&sheet, row, "max", &field("max")),
            }
        })
        .collect()
}

fn dependencies(r: &mut Reader) -> Vec<Dependency> {
    let Some(table) = r.table("dependencies", false) else {
        return Vec::new();
    };
    let sheet = r.sheet(table, &known_fields(&["initiative", "requires", "ratio"]));
    for column in ["initiative", "requires"] {
        r.require(&sheet, column);
    }
    Reader::rows(table)
        .into_iter()
        .enumerate()
        .map(|(d, row)| {
            let path = format!("dependencies[{d}]");
            r.cells.insert(path.clone(), table.reference(row, 0));
            let field = |f: &str| format!("{path}.{f}");
            Dependency {
                initiative: r.text(&sheet, row, "initiative", &field("initiative")),
                requires: r.text(&sheet, row, "requires", &field("requires")),
                ratio: r.number(&sheet, row, "ratio", &field("ratio")),
            }
        })
        .collect()
}

/// The scenario's name and its policy, from `setting | value` rows.
fn policy(r: &mut Reader) -> (String, Policy) {
    let mut name = String::new();
    let mut policy = Policy::default();
    let Some(table) = r.table("policy", false) else {
        return (name, policy);
    };
    let sheet = r.sheet(table, &known_fields(&["setting", "value"]));
    for column in ["setting", "value"] {
        r.require(&sheet, column);
    }
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for row in Reader::rows(table) {
        let setting = r.text(&sheet, row, "setting", "policy");
        let key = setting.to_lowercase();
        let reference = table.reference(row, sheet.columns.get("setting").copied().unwrap_or(0));
        if let Some(first) = seen.insert(key.clone(), reference.clone()) {
            r.problem(
                reference.clone(),
                "policy",
                format!("`{setting}` is set twice (first at {first})"),
            );
        }
        let path = match key.as_str() {
            "name" => "name".to_string(),
            "tiertolerance" => "policy.tierTolerance".to_string(),
            "timelimitseconds" => "policy.timeLimitSeconds".to_string(),
            "solver" => "policy.solver".to_string(),
            "mipgap" => "policy.mipGap".to_string(),
            _ => {
                r.problem(
                    reference,
                    "policy",
                    format!("unknown setting `{setting}`: the settings are name, tierTolerance, timeLimitSeconds, solver, mipGap"),
                );
                continue;
            }
        };
        match key.as_str() {
            "name" => name = r.label(&sheet, row, "value", &path),
            "solver" => policy.solver = r.text(&sheet, row, "value", &path),
            "tiertolerance" => policy.tier_tolerance = r.number(&sheet, row, "value", &path),
            "timelimitseconds" => policy.time_limit_seconds = r.number(&sheet, row, "value", &path),
            _ => policy.mip_gap = r.number(&sheet, row, "value", &path),
        }
    }
    (name, policy)
}
