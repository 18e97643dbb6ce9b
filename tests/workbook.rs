//! Scenarios in spreadsheets: every example and generated scenarios (badly scaled
//! numbers included) go JSON -> XLSX -> JSON and JSON -> CSV folder -> JSON unchanged
//! and plan byte for byte alike; the shipped workbook is what `convert` writes; bad
//! workbooks are refused with their cells, nothing on stdout and no output file.

use fluidity::workbook::sources::xlsx_bytes;
use fluidity::workbook::table::{Cell, Table};
use fluidity_solvers::generate::{generate, Shape};
use fluidity_solvers::{Limits, Scenario};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_fluidity");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("workbook-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fluidity(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = fluidity(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Every scenario file shipped in examples/ (not variants or sweeps).
fn example_scenarios() -> Vec<PathBuf> {
    let mut found = Vec::new();
    for dir in [root().join("examples"), root().join("examples/finance")] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".json")
                && !name.ends_with(".variants.json")
                && !name.ends_with(".variant.json")
                && !name.ends_with(".sweep.json")
            {
                found.push(path);
            }
        }
    }
    found.sort();
    assert!(found.len() >= 5, "{found:?}");
    found
}

/// The plan as JSON without its solve time, and the exit code (INFEASIBLE has its own).
fn plan_json(file: &Path) -> (serde_json::Value, Option<i32>) {
    let out = fluidity(&["plan", file.to_str().unwrap(), "--format", "json"]);
    let mut plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    plan["solver"]["seconds"] = serde_json::Value::Null;
    (plan, out.status.code())
}

fn unlimited() -> Limits {
    Limits {
        max_variables: usize::MAX,
        max_constraints: usize::MAX,
    }
}

#[test]
fn every_example_goes_through_a_workbook_and_a_csv_folder_unchanged_and_plans_alike() {
    let dir = scratch("examples");
    for example in example_scenarios() {
        let stem = example.file_stem().unwrap().to_string_lossy().into_owned();
        let original = ok(&["convert", example.to_str().unwrap(), "-"]);
        let book = dir.join(format!("{stem}.xlsx"));
        let folder = dir.join(format!("{stem}-csv"));
        ok(&["convert", example.to_str().unwrap(), book.to_str().unwrap()]);
        ok(&[
            "convert",
            example.to_str().unwrap(),
            folder.to_str().unwrap(),
        ]);
        for converted in [&book, &folder] {
            let back = ok(&["convert", converted.to_str().unwrap(), "-"]);
            assert_eq!(
                back,
                original,
                "{} changed the scenario",
                converted.display()
            );
            assert_eq!(
                plan_json(converted),
                plan_json(&example),
                "{} plans differently",
                converted.display()
            );
        }
    }
}

#[test]
fn the_shipped_workbook_and_csv_folder_are_what_convert_writes_from_the_shipped_json() {
    let dir = scratch("shipped");
    let book = dir.join("portfolio.xlsx");
    ok(&["convert", "examples/portfolio.json", book.to_str().unwrap()]);
    assert!(
        std::fs::read(&book).unwrap() == std::fs::read(root().join("examples/portfolio.xlsx")).unwrap(),
        "examples/portfolio.xlsx is stale: fluidity convert examples/portfolio.json examples/portfolio.xlsx"
    );
    let folder = dir.join("portfolio");
    ok(&[
        "convert",
        "examples/portfolio.json",
        folder.to_str().unwrap(),
    ]);
    for sheet in fluidity::workbook::SHEETS {
        let name = format!("{sheet}.csv");
        let shipped = root().join("examples/portfolio-csv").join(&name);
        let written = folder.join(&name);
        assert_eq!(
            std::fs::read(&written).ok(),
            std::fs::read(&shipped).ok(),
            "examples/portfolio-csv/{name} is stale"
        );
    }
}

/// A generated scenario with its magnitudes moved by 10^`exponent`: capacities and
/// requirements together (the plan's shape stays), values alone.
fn scaled(seed: u64, shape: (usize, usize, usize), integral: f64, exponent: i32) -> Scenario {
    let mut s = generate(Shape {
        initiatives: shape.0,
        resources: shape.1,
        periods: shape.2,
        seed,
        integral_share: integral,
    });
    let factor = 10f64.powi(exponent);
    for r in &mut s.resources {
        r.capacity.iter_mut().for_each(|c| *c *= factor);
    }
    for i in &mut s.initiatives {
        i.requirements.values_mut().for_each(|x| *x *= factor);
        for segment in &mut i.value {
            segment.per_unit /= factor;
        }
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn generated_scenarios_go_through_a_workbook_and_csv_exactly(
        seed in 1u64..10_000,
        initiatives in 1usize..30,
        resources in 1usize..5,
        periods in 1usize..14,
        integral in prop_oneof![Just(0.0), Just(0.5)],
        exponent in -9i32..=12,
    ) {
        let scenario = scaled(seed, (initiatives, resources, periods), integral, exponent);
        let bytes = fluidity::workbook::write_xlsx(&scenario).unwrap();
        let back = fluidity::workbook::read_xlsx(&bytes, &unlimited());
        prop_assert_eq!(back.as_ref().ok(), Some(&scenario), "{:?}", back.as_ref().err());
        let files = fluidity::workbook::write_csv(&scenario).unwrap();
        let sheets: Vec<(String, String)> = files
            .into_iter()
            .map(|(name, text)| (name.trim_end_matches(".csv").to_string(), text))
            .collect();
        let back = fluidity::workbook::read_csv(&sheets, &unlimited());
        prop_assert_eq!(back.as_ref().ok(), Some(&scenario), "{:?}", back.as_ref().err());
    }
}

// ---- bad workbooks ----

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

fn num(x: f64) -> Cell {
    Cell::Number(x)
}

/// A small valid workbook: two periods, one resource, two initiatives.
fn good_tables() -> Vec<Table> {
    let initiatives = vec![
        ["id", "kind", "current", "eng", "upTo1", "perUnit1"]
            .map(text)
            .to_vec(),
        vec![
            text("growth"),
            Cell::Empty,
            num(1.0),
            num(1.0),
            num(6.0),
            num(5.0),
        ],
        vec![
            text("ops"),
            text("OPERATIONS"),
            num(2.0),
            num(1.0),
            Cell::Empty,
            num(2.0),
        ],
    ];
    vec![
        Table::from_rows(
            "periods",
            vec![vec![text("id")], vec![text("oct")], vec![text("nov")]],
        ),
        Table::from_rows(
            "resources",
            vec![
                vec![text("id"), text("oct"), text("nov")],
                vec![text("eng"), num(10.0), num(10.0)],
            ],
        ),
        Table::from_rows("initiatives", initiatives),
    ]
}

/// Writes `tables` as a workbook, plans it with `--out`, and checks the refusal: exit
/// 1, nothing on stdout, no output file, every expected text on stderr.
/// The good tables written cell by cell with rust_xlsxwriter (not through the code
/// under test), each sheet then handed to `edit` to spoil.
fn good_workbook_with(edit: impl Fn(&str, &mut rust_xlsxwriter::Worksheet)) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    for table in good_tables() {
        let sheet = book.add_worksheet();
        sheet.set_name(&table.sheet).unwrap();
        for (r, row) in table.rows().iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    Cell::Text(s) => {
                        sheet.write_string(r as u32, c as u16, s).unwrap();
                    }
                    Cell::Number(x) => {
                        sheet.write_number(r as u32, c as u16, *x).unwrap();
                    }
                    _ => {}
                }
            }
        }
        edit(&table.sheet, sheet);
    }
    book.save_to_buffer().unwrap()
}

fn refused(test: &str, bytes: &[u8], expected: &[&str]) {
    let dir = scratch(test);
    let book = dir.join("bad.xlsx");
    std::fs::write(&book, bytes).unwrap();
    let out_file = dir.join("plan.json");
    let out = fluidity(&[
        "plan",
        book.to_str().unwrap(),
        "--out",
        out_file.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(!out_file.exists(), "a refused workbook wrote a plan");
    for text in expected {
        assert!(stderr.contains(text), "expected {text:?} in: {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn with_cell(mut tables: Vec<Table>, sheet: usize, row: usize, col: usize, cell: Cell) -> Vec<u8> {
    tables[sheet].set(row, col, cell);
    xlsx_bytes(&tables).unwrap()
}

#[test]
fn the_small_good_workbook_plans() {
    let dir = scratch("good");
    let book = dir.join("good.xlsx");
    std::fs::write(&book, xlsx_bytes(&good_tables()).unwrap()).unwrap();
    ok(&["plan", book.to_str().unwrap()]);
}

#[test]
fn text_in_a_number_cell_is_refused_with_its_cell() {
    let bytes = with_cell(good_tables(), 2, 2, 2, text("two"));
    refused(
        "text-in-number",
        &bytes,
        &[
            "initiatives!C3",
            "initiatives[1].current",
            "expected a number, found the text \"two\"",
        ],
    );
}

#[test]
fn an_unknown_resource_column_is_refused_with_its_cell() {
    let bytes = with_cell(good_tables(), 2, 0, 3, text("marketing"));
    refused(
        "unknown-column",
        &bytes,
        &["initiatives!D1", "unknown column `marketing`"],
    );
}

#[test]
fn a_missing_header_is_refused_with_its_cell() {
    let bytes = with_cell(good_tables(), 2, 0, 0, Cell::Empty);
    refused(
        "missing-header",
        &bytes,
        &["initiatives!", "the column `id` is missing"],
    );
}

#[test]
fn a_missing_sheet_is_refused() {
    let mut tables = good_tables();
    tables.remove(1);
    refused(
        "missing-sheet",
        &xlsx_bytes(&tables).unwrap(),
        &["resources!A1", "the sheet `resources` is missing"],
    );
}

#[test]
fn a_misspelt_sheet_is_refused_rather_than_skipped() {
    let mut tables = good_tables();
    tables.push(Table::from_rows(
        "dependency",
        vec![
            vec![text("initiative"), text("requires")],
            vec![text("growth"), text("ops")],
        ],
    ));
    refused(
        "misspelt-sheet",
        &xlsx_bytes(&tables).unwrap(),
        &["unknown sheet `dependency`"],
    );
}

#[test]
fn a_merged_cell_is_refused_with_its_cells() {
    let book = good_workbook_with(|name, sheet| {
        if name == "resources" {
            sheet
                .merge_range(1, 1, 1, 2, "10", &rust_xlsxwriter::Format::new())
                .unwrap();
        }
    });
    refused(
        "merged",
        &book,
        &["resources!B2", "part of the merged cells B2:C2"],
    );
}

#[test]
fn validation_problems_name_their_cells() {
    let bytes = with_cell(good_tables(), 2, 1, 2, num(-3.0));
    refused(
        "validation",
        &bytes,
        &["initiatives!C2 (initiatives[0].current)"],
    );
}

#[test]
fn a_capacity_gap_names_the_empty_cell() {
    let mut tables = good_tables();
    tables[0].set(3, 0, text("dec"));
    tables[1].set(0, 3, text("dec"));
    tables[1].set(1, 3, num(9.0));
    tables[1].set(1, 2, Cell::Empty);
    refused(
        "capacity-gap",
        &xlsx_bytes(&tables).unwrap(),
        &["resources!C2", "no capacity for this period"],
    );
}

#[test]
fn a_csv_folder_with_text_in_a_number_cell_is_refused_with_its_cell() {
    let dir = scratch("csv-bad");
    let folder = dir.join("scenario");
    ok(&["convert", "examples/tiered.json", folder.to_str().unwrap()]);
    let path = folder.join("resources.csv");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replacen("60", "sixty", 1);
    std::fs::write(&path, text).unwrap();
    let out = fluidity(&["validate", folder.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("resources!") && stderr.contains("\"sixty\""),
        "{stderr}"
    );
}

#[test]
fn a_file_that_is_not_a_workbook_is_refused_plainly() {
    refused("not-xlsx", b"name,value\n", &["not an XLSX workbook"]);
}

#[test]
fn convert_refuses_an_invalid_scenario_and_writes_nothing() {
    let dir = scratch("convert-invalid");
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        r#"{"periods": [{"id": "oct"}], "resources": [{"id": "eng", "capacity": [-1]}]}"#,
    )
    .unwrap();
    let book = dir.join("bad.xlsx");
    let out = fluidity(&["convert", bad.to_str().unwrap(), book.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!book.exists());
    assert!(String::from_utf8_lossy(&out.stderr).contains("resources[0].capacity"));
}

// ---- plans and comparisons as workbooks ----

mod common;

/// The sheet `name` of the workbook at `path` as calamine reads it.
fn sheet(path: &Path, name: &str) -> calamine::Range<calamine::Data> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    book.worksheet_range(name).unwrap()
}

fn column(range: &calamine::Range<calamine::Data>, header: &str) -> usize {
    (0..range.width())
        .find(|&c| range.get((0, c)) == Some(&calamine::Data::String(header.into())))
        .unwrap_or_else(|| panic!("no column {header}"))
}

#[test]
fn the_plan_workbook_holds_the_plans_numbers_as_numbers() {
    let dir = scratch("plan-xlsx");
    let book = dir.join("plan.xlsx");
    let stdout = ok(&[
        "plan",
        "examples/portfolio.json",
        "--format",
        "xlsx",
        "--out",
        book.to_str().unwrap(),
    ]);
    assert!(stdout.is_empty());
    let (plan, _) = plan_json(Path::new("examples/portfolio.json"));
    let activities = sheet(&book, "activities");
    let at = column(&activities, "activity");
    let periods = 3;
    for (k, initiative) in plan["initiatives"].as_array().unwrap().iter().enumerate() {
        for (t, value) in initiative["activity"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            let cell = activities.get((1 + k * periods + t, at)).unwrap();
            assert_eq!(
                cell,
                &calamine::Data::Float(value.as_f64().unwrap()),
                "{initiative}"
            );
        }
    }
    let summary = sheet(&book, "summary");
    assert_eq!(
        summary.get((2, 1)),
        Some(&calamine::Data::String("OPTIMAL".into()))
    );
    assert_eq!(
        summary.get((3, 1)),
        Some(&calamine::Data::Float(plan["objective"].as_f64().unwrap()))
    );
}

#[test]
fn an_infeasible_plan_workbook_has_its_diagnosis() {
    let dir = scratch("infeasible-xlsx");
    let book = dir.join("plan.xlsx");
    let out = fluidity(&[
        "plan",
        "examples/infeasible.json",
        "--format",
        "xlsx",
        "--out",
        book.to_str().unwrap(),
    ]);
    let (plan, code) = plan_json(Path::new("examples/infeasible.json"));
    assert_eq!(out.status.code(), code, "the same exit as the JSON plan");
    let diagnosis = sheet(&book, "diagnosis");
    assert_eq!(
        diagnosis.height() - 1,
        plan["diagnosis"].as_array().unwrap().len()
    );
}

#[test]
fn a_workbook_without_a_file_to_go_to_is_refused_before_solving() {
    let out = fluidity(&["plan", "examples/portfolio.json", "--format", "xlsx"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--out FILE.xlsx"));
    let out = fluidity(&[
        "sweep",
        "examples/portfolio.json",
        "--resource",
        "eng",
        "--factors",
        "1",
        "--format",
        "xlsx",
        "--out",
        "/tmp/x.xlsx",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("plan and compare"));
}

#[test]
fn the_comparison_workbook_has_the_differences_and_a_sheet_set_per_variant() {
    let dir = scratch("compare-xlsx");
    let book = dir.join("compare.xlsx");
    ok(&[
        "compare",
        "examples/finance/q4-portfolio.json",
        "--variant",
        "examples/finance/q4-portfolio.what-ifs.variants.json",
        "--format",
        "xlsx",
        "--out",
        book.to_str().unwrap(),
    ]);
    let json = ok(&[
        "compare",
        "examples/finance/q4-portfolio.json",
        "--variant",
        "examples/finance/q4-portfolio.what-ifs.variants.json",
        "--format",
        "json",
    ]);
    let comparison: serde_json::Value = serde_json::from_str(&json).unwrap();
    let variants = comparison["variants"].as_array().unwrap();
    let differences = sheet(&book, "differences");
    assert_eq!(differences.height() - 1, variants.len());
    let delta = column(&differences, "change in objective");
    for (k, v) in variants.iter().enumerate() {
        assert_eq!(
            differences.get((k + 1, delta)),
            Some(&calamine::Data::Float(
                v["deltaObjective"].as_f64().unwrap()
            )),
            "{v}"
        );
    }
    use calamine::Reader;
    let names = calamine::open_workbook::<calamine::Xlsx<_>, _>(&book)
        .unwrap()
        .sheet_names();
    assert!(
        names.contains(&"base summary".to_string()) && names.contains(&"v1 summary".to_string()),
        "{names:?}"
    );
}

#[test]
fn a_workbook_plans_on_a_server_as_in_process() {
    let (mut server, addr) = common::spawn_server(&["--addr", "127.0.0.1:0"], None);
    let remote = fluidity(&[
        "plan",
        "examples/portfolio.xlsx",
        "--format",
        "json",
        "--server",
        &format!("http://{addr}"),
    ]);
    server.kill().unwrap();
    let _ = server.wait();
    assert!(
        remote.status.success(),
        "{}",
        String::from_utf8_lossy(&remote.stderr)
    );
    let mut remote: serde_json::Value = serde_json::from_slice(&remote.stdout).unwrap();
    remote["solver"]["seconds"] = serde_json::Value::Null;
    assert_eq!(remote, plan_json(Path::new("examples/portfolio.json")).0);
}

#[test]
fn a_batch_plans_workbooks_beside_json_and_writes_a_workbook_per_scenario() {
    let dir = scratch("batch");
    let input = dir.join("in");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::copy("examples/portfolio.xlsx", input.join("q4.xlsx")).unwrap();
    std::fs::copy("examples/tiered.json", input.join("tiered.json")).unwrap();
    std::fs::copy("examples/tiered.json", input.join("q4.json")).unwrap();
    let out = dir.join("out");
    let run = fluidity(&[
        "batch",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    // q4.json and q4.xlsx collide: the JSON is planned, the workbook listed as failed.
    assert_eq!(
        run.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(
        summary.contains("q4.xlsx,FAILED") && summary.contains("rename one"),
        "{summary}"
    );
    std::fs::remove_file(input.join("q4.json")).unwrap();
    let run = fluidity(&[
        "batch",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for file in ["q4.plan.json", "q4.plan.xlsx", "tiered.plan.xlsx"] {
        assert!(out.join(file).is_file(), "{file}");
    }
    let text = std::fs::read_to_string(out.join("q4.plan.json")).unwrap();
    let mut batch_plan: serde_json::Value = serde_json::from_str(&text).unwrap();
    batch_plan["solver"]["seconds"] = serde_json::Value::Null;
    assert_eq!(
        batch_plan,
        plan_json(Path::new("examples/portfolio.json")).0
    );
}

// ---- what a fresh user's attack found (each planned from wrong data, or crashed) ----

#[test]
fn a_value_in_a_sheets_far_corner_is_refused_at_its_cell_without_a_grid_to_it() {
    let book = good_workbook_with(|name, sheet| {
        if name == "initiatives" {
            sheet.write_number(1_048_575, 16_383, 42.0).unwrap();
        }
    });
    refused(
        "far-corner",
        &book,
        &[
            "initiatives!XFD1048576",
            "a value in a column without a header",
        ],
    );
}

#[test]
fn a_value_under_no_header_is_refused_rather_than_dropped() {
    let mut tables = good_tables();
    tables[1].set(1, 4, num(999.0));
    refused(
        "no-header-value",
        &xlsx_bytes(&tables).unwrap(),
        &["resources!E2", "without a header"],
    );
}

#[test]
fn a_deleted_resource_column_is_refused_rather_than_dropping_the_requirement() {
    let mut tables = good_tables();
    for row in 0..3 {
        tables[2].set(row, 3, Cell::Empty);
    }
    refused(
        "deleted-requirement",
        &xlsx_bytes(&tables).unwrap(),
        &["the column `eng` is missing"],
    );
}

fn csv_folder(test: &str) -> PathBuf {
    let folder = scratch(test).join("scenario");
    ok(&[
        "convert",
        "examples/portfolio.json",
        folder.to_str().unwrap(),
    ]);
    folder
}

fn refused_folder(folder: &Path, expected: &[&str]) {
    let out = fluidity(&["validate", folder.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    for text in expected {
        assert!(stderr.contains(text), "expected {text:?} in: {stderr}");
    }
}

#[test]
fn a_quote_that_never_closes_is_refused_rather_than_swallowing_the_file() {
    let folder = csv_folder("stray-quote");
    let path = folder.join("initiatives.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[21] = lines[21].replacen(',', ",\"", 1);
    std::fs::write(&path, lines.join("\r\n")).unwrap();
    refused_folder(&folder, &["a quote opened on line 22 never closes"]);
}

#[test]
fn a_quote_inside_an_unquoted_cell_is_text() {
    let folder = csv_folder("inch-mark");
    let path = folder.join("initiatives.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replacen("Card processing", "Card 5\" terminals", 1),
    )
    .unwrap();
    ok(&["validate", folder.to_str().unwrap()]);
}

#[test]
fn a_semicolon_separated_csv_is_named_as_such() {
    let folder = csv_folder("semicolons");
    let path = folder.join("periods.csv");
    let text = std::fs::read_to_string(&path).unwrap().replace(',', ";");
    std::fs::write(&path, text).unwrap();
    refused_folder(&folder, &["periods.csv is separated by semicolons"]);
}

#[test]
fn two_files_for_one_sheet_are_refused() {
    let folder = csv_folder("two-files");
    std::fs::copy(folder.join("periods.csv"), folder.join("Periods.csv")).unwrap();
    refused_folder(&folder, &["are the same sheet"]);
}

#[test]
fn an_empty_optional_sheet_is_as_good_as_none() {
    let folder = csv_folder("empty-optional");
    std::fs::write(folder.join("dependencies.csv"), "").unwrap();
    ok(&["validate", folder.to_str().unwrap()]);
}

#[test]
fn convert_refuses_ids_a_sheet_would_read_back_as_others() {
    let dir = scratch("ids-a-sheet-cannot-hold");
    let base = std::fs::read_to_string("examples/tiered.json").unwrap();
    for (case, scenario, expected) in [
        (
            "case",
            base.replacen("\"id\": \"nov\"", "\"id\": \"OCT\"", 1),
            "differ only in case",
        ),
        (
            "blanks",
            base.replacen("\"id\": \"nov\"", "\"id\": \"nov \"", 1),
            "blanks around it",
        ),
    ] {
        let input = dir.join(format!("{case}.json"));
        std::fs::write(&input, scenario).unwrap();
        let book = dir.join(format!("{case}.xlsx"));
        let out = fluidity(&["convert", input.to_str().unwrap(), book.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{case}: {stderr}");
        assert!(stderr.contains(expected), "{case}: {stderr}");
        assert!(!book.exists());
    }
}

#[test]
fn a_semicolon_in_a_group_members_id_is_refused_by_convert() {
    let dir = scratch("semicolon-id");
    let mut scenario: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("examples/portfolio.json").unwrap()).unwrap();
    let first = scenario["groups"][0]["initiatives"][0]
        .as_str()
        .unwrap()
        .to_string();
    for initiative in scenario["initiatives"].as_array_mut().unwrap() {
        if initiative["id"] == first.as_str() {
            initiative["id"] = format!("{first};x").into();
        }
    }
    scenario["groups"][0]["initiatives"][0] = format!("{first};x").into();
    let input = dir.join("s.json");
    std::fs::write(&input, scenario.to_string()).unwrap();
    let out = fluidity(&[
        "convert",
        input.to_str().unwrap(),
        dir.join("s.xlsx").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("comma or semicolon"));
}

#[test]
fn the_out_files_extension_chooses_the_format_and_a_contradiction_is_refused() {
    let dir = scratch("out-extension");
    let book = dir.join("plan.xlsx");
    ok(&[
        "plan",
        "examples/tiered.json",
        "--out",
        book.to_str().unwrap(),
    ]);
    assert!(
        std::fs::read(&book).unwrap().starts_with(b"PK"),
        "a workbook, not text"
    );
    let json = dir.join("plan.json");
    ok(&[
        "plan",
        "examples/tiered.json",
        "--out",
        json.to_str().unwrap(),
    ]);
    serde_json::from_slice::<serde_json::Value>(&std::fs::read(&json).unwrap()).unwrap();
    let wrong = dir.join("wrong.xlsx");
    let out = fluidity(&[
        "plan",
        "examples/tiered.json",
        "--format",
        "json",
        "--out",
        wrong.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not match"));
    assert!(!wrong.exists());
}

#[test]
fn files_of_other_kinds_are_named_for_what_they_are() {
    let dir = scratch("other-kinds");
    for (name, bytes, expected) in [
        (
            "s.xls",
            &b"\xd0\xcf\x11\xe0"[..],
            "only .xlsx workbooks are read",
        ),
        ("s.ods", &b"PK\x03\x04"[..], "only .xlsx workbooks are read"),
        (
            "initiatives.csv",
            &b"id\n"[..],
            "a scenario in CSV is a folder",
        ),
        (
            "s.json",
            &b"PK\x03\x04rest"[..],
            "give a workbook as a file named .xlsx",
        ),
        ("text.xlsx", &b"id,name\n"[..], "not an XLSX workbook"),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = fluidity(&["validate", path.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
    }
}
