//! A scenario as the workbook format's tables (the inverse of `scenario_in`): what
//! `fluidity convert` writes to XLSX or to a CSV folder.

use super::table::{Cell, Table};
use super::Problem;
use fluidity_solvers::{Kind, Scenario};

fn text(s: &str) -> Cell {
    if s.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s.to_string())
    }
}

fn number(x: Option<f64>) -> Cell {
    x.map_or(Cell::Empty, Cell::Number)
}

fn header(names: &[String]) -> Vec<Cell> {
    names.iter().map(|n| Cell::Text(n.clone())).collect()
}

/// Ids the format would read back as something else: with blanks around them
/// (trimmed on reading), or equal but for case where they name columns (headers are
/// matched without regard to case).
fn ids_a_sheet_can_hold(scenario: &Scenario) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut check = |list: &str, ids: Vec<&str>, columns: bool| {
        for (k, id) in ids.iter().enumerate() {
            if id.trim() != *id {
                problems.push(Problem::at(
                    list,
                    &format!("{list}[{k}].id"),
                    format!("`{id}` has blanks around it, which a sheet would not keep"),
                ));
            }
            if columns {
                if let Some(j) = ids[..k].iter().position(|o| o.eq_ignore_ascii_case(id)) {
                    problems.push(Problem::at(
                        list,
                        &format!("{list}[{k}].id"),
                        format!(
                            "`{id}` and `{}` differ only in case, and name columns that \
                             a sheet could not tell apart",
                            ids[j]
                        ),
                    ));
                }
            }
        }
    };
    check(
        "periods",
        scenario.periods.iter().map(|p| p.id.as_str()).collect(),
        true,
    );
    check(
        "resources",
        scenario.resources.iter().map(|r| r.id.as_str()).collect(),
        true,
    );
    check(
        "initiatives",
        scenario.initiatives.iter().map(|i| i.id.as_str()).collect(),
        false,
    );
    problems
}

/// The scenario's tables: periods, resources, initiatives, groups, dependencies,
/// policy (the last three only when they hold something).
///
/// # Errors
/// What the format cannot hold: a capacity whose length is neither 1 nor the number
/// of periods, a period named like a resource field, a resource named like an
/// initiative field, an id with a comma in a group's list.
pub fn tables(scenario: &Scenario) -> Result<Vec<Table>, Vec<Problem>> {
    let mut problems = ids_a_sheet_can_hold(scenario);
    let periods = Table::from_rows(
        "periods",
        std::iter::once(header(&["id".into(), "weight".into()]))
            .chain(
                scenario
                    .periods
                    .iter()
                    .map(|p| vec![text(&p.id), number(p.weight)]),
            )
            .collect(),
    );

    let mut columns: Vec<String> = super::RESOURCE_FIELDS
        .iter()
        .map(|s| s.to_string())
        .collect();
    for (t, period) in scenario.periods.iter().enumerate() {
        if super::RESOURCE_FIELDS
            .iter()
            .any(|f| f.eq_ignore_ascii_case(&period.id))
        {
            problems.push(Problem::at(
                "periods",
                &format!("periods[{t}].id"),
                format!(
                    "a period named `{}` would be read as a resource field",
                    period.id
                ),
            ));
        }
        columns.push(period.id.clone());
    }
    let mut resources = vec![header(&columns)];
    for (r, resource) in scenario.resources.iter().enumerate() {
        let mut row = vec![
            text(&resource.id),
            text(&resource.name),
            text(&resource.unit),
            number(resource.reserve_min),
            number(resource.move_cost),
            number(resource.max_churn),
        ];
        let n = scenario.periods.len();
        match resource.capacity.len() {
            1 => row.push(Cell::Number(resource.capacity[0])),
            len if len == n => row.extend(resource.capacity.iter().map(|c| Cell::Number(*c))),
            len => problems.push(Problem::at(
                "resources",
                &format!("resources[{r}].capacity"),
                format!("{len} capacities for {n} periods: give 1 or {n}"),
            )),
        }
        resources.push(row);
    }

    let segments = scenario
        .initiatives
        .iter()
        .map(|i| i.value.len())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut columns: Vec<String> = super::INITIATIVE_FIELDS
        .iter()
        .map(|s| s.to_string())
        .collect();
    for (r, resource) in scenario.resources.iter().enumerate() {
        if super::INITIATIVE_FIELDS
            .iter()
            .any(|f| f.eq_ignore_ascii_case(&resource.id))
            || super::segment_column(&resource.id).is_some()
        {
            problems.push(Problem::at(
                "resources",
                &format!("resources[{r}].id"),
                format!(
                    "a resource named `{}` would be read as an initiative field",
                    resource.id
                ),
            ));
        }
        columns.push(resource.id.clone());
    }
    for k in 1..=segments {
        columns.push(format!("upTo{k}"));
        columns.push(format!("perUnit{k}"));
    }
    let mut initiatives = vec![header(&columns)];
    for initiative in &scenario.initiatives {
        let mut row = vec![
            text(&initiative.id),
            text(&initiative.name),
            text(&initiative.owner),
            Cell::Text(
                match initiative.kind {
                    Kind::Strategic => "STRATEGIC",
                    Kind::Operations => "OPERATIONS",
                }
                .into(),
            ),
            Cell::Number(initiative.current),
            number(initiative.min),
            number(initiative.max),
            number(initiative.ramp_up),
            number(initiative.ramp_down),
            Cell::Bool(initiative.locked),
            Cell::Bool(initiative.integral),
            Cell::Number(f64::from(initiative.tier)),
        ];
        for resource in &scenario.resources {
            row.push(number(initiative.requirements.get(&resource.id).copied()));
        }
        for (i, (id, _)) in initiative.requirements.iter().enumerate() {
            if !scenario.resources.iter().any(|r| &r.id == id) {
                problems.push(Problem::at(
                    "initiatives",
                    &format!("initiatives[{i}].requirements.{id}"),
                    format!("`{id}` is not a resource"),
                ));
            }
        }
        for segment in &initiative.value {
            row.push(number(segment.up_to));
            row.push(Cell::Number(segment.per_unit));
        }
        initiatives.push(row);
    }

    let mut tables = vec![
        periods,
        Table::from_rows("resources", resources),
        Table::from_rows("initiatives", initiatives),
    ];
    if !scenario.groups.is_empty() {
        let mut rows = vec![header(
            &["id", "resource", "initiatives", "min", "max"].map(String::from),
        )];
        for (g, group) in scenario.groups.iter().enumerate() {
            if let Some(id) = group.initiatives.iter().find(|id| id.contains([',', ';'])) {
                problems.push(Problem::at(
                    "groups",
                    &format!("groups[{g}].initiatives"),
                    format!("`{id}` has a comma or semicolon, which separate ids in the cell"),
                ));
            }
            rows.push(vec![
                text(&group.id),
                text(&group.resource),
                text(&group.initiatives.join(", ")),
                number(group.min),
                number(group.max),
            ]);
        }
        tables.push(Table::from_rows("groups", rows));
    }
    if !scenario.dependencies.is_empty() {
        let mut rows = vec![header(
            &["initiative", "requires", "ratio"].map(String::from),
        )];
        for d in &scenario.dependencies {
            rows.push(vec![
                text(&d.initiative),
                text(&d.requires),
                number(d.ratio),
            ]);
        }
        tables.push(Table::from_rows("dependencies", rows));
    }
    let policy = &scenario.policy;
    let mut rows = vec![header(&["setting", "value"].map(String::from))];
    let mut setting = |name: &str, value: Cell| {
        if value != Cell::Empty {
            rows.push(vec![Cell::Text(name.into()), value]);
        }
    };
    setting("name", text(&scenario.name));
    setting("tierTolerance", number(policy.tier_tolerance));
    setting("timeLimitSeconds", number(policy.time_limit_seconds));
    setting("solver", text(&policy.solver));
    setting("mipGap", number(policy.mip_gap));
    if rows.len() > 1 {
        tables.push(Table::from_rows("policy", rows));
    }
    if problems.is_empty() {
        Ok(tables)
    } else {
        Err(problems)
    }
}
