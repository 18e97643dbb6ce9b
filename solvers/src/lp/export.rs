//! Export: the final stage's linear program as MPS or CPLEX LP text, so users can take
//! a model to their own solver, and benchmarks can time a raw solver on the very same
//! problem. Tier stages (if any) are solved first: their floors are rows of the final
//! stage.

use crate::lp::formulation::{Formulation, Stage};
use crate::lp::{Cmp, LinearProgram, Sense};
use crate::model::Model;
use crate::solve::backend::Backend;
use crate::{validate, PlanError, PlanOptions, Scenario};
use std::collections::HashSet;
use std::fmt::Write;

/// A text format for a linear program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Free MPS (HiGHS, CBC, Gurobi, CPLEX, SCIP read it).
    Mps,
    /// CPLEX LP.
    Lp,
}

/// The final stage's program of `scenario`, in `format`.
pub fn export(
    scenario: &Scenario,
    format: Format,
    options: &PlanOptions,
) -> Result<String, PlanError> {
    validate(scenario, &options.limits)?;
    let model = Model::new(scenario);
    let named =
        Backend::from_name(&scenario.policy.solver).expect("validation accepted the solver name");
    let mut formulation =
        crate::solve::final_stage(&model, named, options.time_limit).map_err(|e| match e {
            crate::solve::StageFailure::TimeLimit { seconds } => PlanError::TimeLimit { seconds },
            other => PlanError::Solver(other.to_string()),
        })?;
    formulation.set_objective(&model, Stage::Final);
    let columns = column_names(&formulation, &model);
    let rows: Vec<String> = formulation
        .lp
        .rows
        .iter()
        .map(|r| model.row_name(r.kind))
        .collect();
    Ok(match format {
        Format::Mps => mps(&formulation.lp, &columns, &rows, &scenario.name),
        Format::Lp => lp(&formulation.lp, &columns, &rows, &scenario.name),
    })
}

/// `a[id@period]`, `s[id@period#k]`, `up[...]`, `down[...]`.
fn column_names(f: &Formulation, model: &Model) -> Vec<String> {
    let mut names = vec![String::new(); f.lp.columns.len()];
    for ((i, t), &col) in f.columns.activity.indexed_iter() {
        let at = format!("{}@{}", model.initiative_ids[i], model.period_ids[t]);
        names[col] = format!("a[{at}]");
        let first = f.columns.segment_first[[i, t]];
        // A single segment is filled by the activity column itself.
        if first != col {
            for k in 0..model.curves[i].len() {
                names[first + k] = format!("s[{at}#{}]", k + 1);
            }
        }
        if let Some((up, down)) = f.columns.flow[[i, t]] {
            names[up] = format!("up[{at}]");
            names[down] = format!("down[{at}]");
        }
    }
    names
}

/// Names a file format can hold: ids with other characters, or repeated names, fall
/// back to `prefix` + index.
fn safe_names(names: &[String], allowed: impl Fn(char) -> bool, prefix: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    names
        .iter()
        .enumerate()
        .map(|(k, n)| {
            let ok = !n.is_empty()
                && n.chars().all(&allowed)
                && n.len() <= 255
                && seen.insert(n.clone());
            if ok {
                n.clone()
            } else {
                format!("{prefix}{k}")
            }
        })
        .collect()
}

fn number(x: f64) -> String {
    // Shortest round-trip form: the exported program is exactly the solved one.
    format!("{x:?}")
}

/// The program as free MPS. Long because it writes the format's sections in its
/// order (NAME, OBJSENSE, ROWS, COLUMNS with markers around integers, RHS, BOUNDS), each a
/// short loop.
fn mps(lp: &LinearProgram, columns: &[String], rows: &[String], name: &str) -> String {
    let mps_char = |c: char| c.is_ascii_graphic();
    let columns = safe_names(columns, mps_char, "C");
    let rows = safe_names(rows, mps_char, "R");
    let mut out = String::new();
    let title: String = name
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '_' })
        .collect();
    let _ = writeln!(
        out,
        "NAME {}",
        if title.is_empty() { "fluidity" } else { &title }
    );
    let _ = writeln!(
        out,
        "OBJSENSE\n    {}",
        if lp.sense == Sense::Maximise {
            "MAX"
        } else {
            "MIN"
        }
    );
    out.push_str("ROWS\n N  obj\n");
    for (row, name) in lp.rows.iter().zip(&rows) {
        let kind = match row.cmp {
            Cmp::Le => "L",
            Cmp::Ge => "G",
            Cmp::Eq => "E",
        };
        let _ = writeln!(out, " {kind}  {name}");
    }
    // Column-major entries.
    let mut entries: Vec<Vec<(usize, f64)>> = vec![Vec::new(); lp.columns.len()];
    for (r, row) in lp.rows.iter().enumerate() {
        for &(col, coef) in &row.terms {
            entries[col].push((r, coef));
        }
    }
    out.push_str("COLUMNS\n");
    let mut integer_block = false;
    for (j, column) in lp.columns.iter().enumerate() {
        if column.integer != integer_block {
            let marker = if column.integer { "INTORG" } else { "INTEND" };
            let _ = writeln!(out, "    MARKER  'MARKER'  '{marker}'");
            integer_block = column.integer;
        }
        let _ = writeln!(out, "    {}  obj  {}", columns[j], number(column.objective));
        for &(r, coef) in &entries[j] {
            let _ = writeln!(out, "    {}  {}  {}", columns[j], rows[r], number(coef));
        }
    }
    if integer_block {
        out.push_str("    MARKER  'MARKER'  'INTEND'\n");
    }
    out.push_str("RHS\n");
    for (row, name) in lp.rows.iter().zip(&rows) {
        if row.rhs != 0.0 {
            let _ = writeln!(out, "    RHS  {name}  {}", number(row.rhs));
        }
    }
    out.push_str("BOUNDS\n");
    for (column, name) in lp.columns.iter().zip(&columns) {
        // Bounds are always written for integer columns: some readers take an
        // integer column without bounds to be binary.
        match (column.lower, column.upper) {
            (l, u) if l == u => {
                let _ = writeln!(out, " FX BND  {name}  {}", number(l));
            }
            (l, u) => {
                if l == f64::NEG_INFINITY {
                    let _ = writeln!(out, " MI BND  {name}");
                } else if l != 0.0 || column.integer {
                    let _ = writeln!(out, " LO BND  {name}  {}", number(l));
                }
                if u.is_finite() {
                    let _ = writeln!(out, " UP BND  {name}  {}", number(u));
                } else if column.integer {
                    let _ = writeln!(out, " PL BND  {name}");
                }
            }
        }
    }
    out.push_str("ENDATA\n");
    out
}

/// The program as CPLEX LP. Long because it writes the format's sections, as `mps` does,
/// in order (objective, Subject To, Bounds, General).
fn lp(lp: &LinearProgram, columns: &[String], rows: &[String], name: &str) -> String {
    // CPLEX LP names: letters, digits and !"#$%&()/,.;?@_`'{}|~, not starting with a
    // digit or a period; square brackets become parentheses.
    let lp_char = |c: char| c.is_ascii_alphanumeric() || "!\"#$%&()/,.;?@_`'{}|~".contains(c);
    let rename = |names: &[String]| -> Vec<String> {
        names
            .iter()
            .map(|n| n.replace('[', "(").replace(']', ")"))
            .map(|n| {
                if n.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
                    format!("_{n}")
                } else {
                    n
                }
            })
            .collect()
    };
    let columns = safe_names(&rename(columns), lp_char, "x");
    let rows = safe_names(&rename(rows), lp_char, "r");
    let term = |coef: f64, name: &str| {
        format!(
            "{} {} {name}",
            if coef < 0.0 { "-" } else { "+" },
            number(coef.abs())
        )
    };
    let mut out = String::new();
    let _ = writeln!(out, "\\ {}", name.replace('\n', " "));
    let _ = writeln!(
        out,
        "{}",
        if lp.sense == Sense::Maximise {
            "Maximize"
        } else {
            "Minimize"
        }
    );
    let mut objective: Vec<String> = lp
        .columns
        .iter()
        .zip(&columns)
        .filter(|(c, _)| c.objective != 0.0)
        .map(|(c, n)| term(c.objective, n))
        .collect();
    if objective.is_empty() {
        objective.push(format!(
            "+ 0 {}",
            columns.first().map_or("x0", String::as_str)
        ));
    }
    let _ = writeln!(out, " obj: {}", objective.join(" "));
    out.push_str("Subject To\n");
    for (row, name) in lp.rows.iter().zip(&rows) {
        let lhs: Vec<String> = row
            .terms
            .iter()
            .map(|&(col, coef)| term(coef, &columns[col]))
            .collect();
        let lhs = if lhs.is_empty() {
            format!("0 {}", columns.first().map_or("x0", String::as_str))
        } else {
            lhs.join(" ")
        };
        let cmp = match row.cmp {
            Cmp::Le => "<=",
            Cmp::Ge => ">=",
            Cmp::Eq => "=",
        };
        let _ = writeln!(out, " {name}: {lhs} {cmp} {}", number(row.rhs));
    }
    out.push_str("Bounds\n");
    for (column, name) in lp.columns.iter().zip(&columns) {
        let lower = if column.lower == f64::NEG_INFINITY {
            "-inf".to_string()
        } else {
            number(column.lower)
        };
        let upper = if column.upper == f64::INFINITY {
            "+inf".to_string()
        } else {
            number(column.upper)
        };
        let _ = writeln!(out, " {lower} <= {name} <= {upper}");
    }
    let integers: Vec<&str> = lp
        .columns
        .iter()
        .zip(&columns)
        .filter(|(c, _)| c.integer)
        .map(|(_, n)| n.as_str())
        .collect();
    if !integers.is_empty() {
        let _ = writeln!(out, "General\n {}", integers.join(" "));
    }
    out.push_str("End\n");
    out
}
