//! The `fluidity` binary as a user meets it: exit codes, output formats, files, and
//! bad input answered with a clear error and nothing else.

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn fluidity(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fluidity"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("the binary runs")
}

fn fluidity_with_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fluidity"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh folder under the target directory for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, contents: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_string_lossy().into_owned()
}

#[track_caller]
fn assert_rejected(out: &Output, words: &[&str]) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "stdout must stay empty: {}",
        text(&out.stdout)
    );
    for w in words {
        assert!(stderr.contains(w), "expected {w:?} in {stderr}");
    }
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[test]
fn plan_prints_a_readable_plan_and_exits_0() {
    let out = fluidity(&["plan", &example("portfolio.json")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for section in [
        "OPTIMAL",
        "status quo value",
        "Initiatives",
        "Resources",
        "Moves",
        "Bottlenecks",
        "shadow price",
    ] {
        assert!(stdout.contains(section), "missing {section}:\n{stdout}");
    }
    assert!(
        out.stderr.is_empty(),
        "quiet by default: {}",
        text(&out.stderr)
    );
}

#[test]
fn plan_json_has_every_field_of_the_plan() {
    let out = fluidity(&["plan", &example("portfolio.json"), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let plan: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&plan),
        [
            "baseline",
            "bottlenecks",
            "diagnosis",
            "initiatives",
            "moveCost",
            "moves",
            "objective",
            "resources",
            "solver",
            "status",
            "value"
        ]
    );
    assert_eq!(keys(&plan["baseline"]), ["feasible", "value", "violations"]);
    assert_eq!(
        keys(&plan["initiatives"][0]),
        [
            "activity",
            "change",
            "heldBy",
            "id",
            "marginalValue",
            "resourceCost"
        ]
    );
    assert_eq!(
        keys(&plan["resources"][0]),
        ["capacity", "id", "reserve", "shadowPrice", "used"]
    );
    assert_eq!(
        keys(&plan["moves"][0]),
        ["amount", "from", "period", "resource", "to"]
    );
    assert_eq!(
        keys(&plan["bottlenecks"][0]),
        ["constraint", "shadowPrice", "valueOfOnePercent"]
    );
    assert_eq!(
        keys(&plan["solver"]),
        [
            "bound",
            "constraints",
            "gap",
            "name",
            "seconds",
            "stages",
            "variables"
        ]
    );
    assert_eq!(plan["status"], "OPTIMAL");
    assert_eq!(plan["diagnosis"], Value::Array(vec![]));
}

#[test]
fn the_same_scenario_prints_the_same_plan_except_the_solve_time() {
    let run = || {
        let out = fluidity(&["plan", &example("tiered.json"), "--format", "json"]);
        let mut plan: Value = serde_json::from_slice(&out.stdout).unwrap();
        plan["solver"]["seconds"] = Value::Null;
        plan.to_string()
    };
    assert_eq!(run(), run());
}

#[test]
fn an_infeasible_scenario_exits_3_and_still_prints_the_plan_with_its_diagnosis() {
    let out = fluidity(&["plan", &example("infeasible.json"), "--format", "json"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["status"], "INFEASIBLE");
    assert!(!plan["diagnosis"].as_array().unwrap().is_empty());

    let human = fluidity(&["plan", &example("infeasible.json")]);
    assert_eq!(human.status.code(), Some(3));
    assert!(text(&human.stdout).contains("To make it feasible, relax"));
}

#[test]
fn every_shipped_example_validates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let out = fluidity(&["validate", &path.to_string_lossy()]);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}: {}",
                path.display(),
                text(&out.stderr)
            );
            seen += 1;
        }
    }
    assert!(seen >= 3);
}

#[test]
fn out_writes_the_file_whole_and_leaves_no_temporary_behind() {
    let dir = scratch("out_file");
    let target = dir.join("plan.json");
    let out = fluidity(&[
        "plan",
        &example("portfolio.json"),
        "--format",
        "json",
        "--out",
        &target.to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let written: Value = serde_json::from_slice(&std::fs::read(&target).unwrap()).unwrap();
    assert_eq!(written["status"], "OPTIMAL");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["plan.json".to_string()]);
}

#[test]
fn invalid_input_writes_no_output_file() {
    let dir = scratch("no_out_on_error");
    let bad = write(&dir, "bad.json", b"{\"periods\": []}");
    let target = dir.join("plan.json");
    let out = fluidity(&["plan", &bad, "--out", &target.to_string_lossy()]);
    assert_rejected(&out, &["periods"]);
    assert!(!target.exists());
}

#[test]
fn a_dash_reads_the_scenario_from_stdin() {
    let scenario = std::fs::read(example("tiered.json")).unwrap();
    let out = fluidity_with_stdin(&["plan", "-", "--format", "json"], &scenario);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["solver"]["stages"], 3);
}

#[test]
fn malformed_json_is_rejected_with_its_position() {
    let dir = scratch("malformed");
    let bad = write(&dir, "bad.json", b"{\"periods\": [{\"id\": \"m1\"}, ]}");
    assert_rejected(
        &fluidity(&["plan", &bad]),
        &["not a valid scenario", "line 1 column"],
    );
}

#[test]
fn nan_in_a_number_field_is_rejected_with_its_path() {
    let dir = scratch("nan");
    let bad = write(
        &dir,
        "nan.json",
        br#"{"periods":[{"id":"m"}],"resources":[{"id":"eng","capacity":["NaN"]}],"initiatives":[]}"#,
    );
    assert_rejected(
        &fluidity(&["plan", &bad]),
        &["resources[0].capacity[0]", "finite"],
    );
}

#[test]
fn negative_capacity_duplicate_ids_and_unknown_references_are_all_listed() {
    let dir = scratch("many_problems");
    let bad = write(
        &dir,
        "bad.json",
        br#"{"periods":[{"id":"m"},{"id":"m"}],
            "resources":[{"id":"eng","capacity":[-5]}],
            "initiatives":[{"id":"a","requirements":{"design":1},"current":1}],
            "dependencies":[{"initiative":"a","requires":"ghost"}]}"#,
    );
    let out = fluidity(&["plan", &bad]);
    assert_rejected(
        &out,
        &[
            "4 problems",
            "periods[1].id: duplicate id",
            "resources[0].capacity[0]: must be >= 0",
            "initiatives[0].requirements.design: unknown resource",
            "dependencies[0].requires: unknown initiative",
        ],
    );
}

#[test]
fn an_empty_file_is_rejected() {
    let dir = scratch("empty");
    let bad = write(&dir, "empty.json", b"");
    assert_rejected(&fluidity(&["plan", &bad]), &["is empty"]);
}

#[test]
fn a_large_garbage_file_is_rejected_quickly_and_cleanly() {
    let dir = scratch("garbage");
    let mut bytes = Vec::with_capacity(8 << 20);
    let mut x: u32 = 12345;
    for _ in 0..(8 << 20) {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        bytes.push((x >> 16) as u8);
    }
    let bad = write(&dir, "garbage.bin", &bytes);
    assert_rejected(&fluidity(&["plan", &bad]), &["cannot read"]);
    let text_garbage = write(&dir, "garbage.json", "[[[[{{{{".repeat(100_000).as_bytes());
    assert_rejected(
        &fluidity(&["plan", &text_garbage]),
        &["not a valid scenario"],
    );
}

#[test]
fn a_missing_file_is_an_io_error() {
    assert_rejected(
        &fluidity(&["plan", "/no/such/scenario.json"]),
        &["cannot read /no/such/scenario.json"],
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(fluidity(&["plan"]).status.code(), Some(2));
    assert_eq!(
        fluidity(&["plan", "x.json", "--format", "yaml"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(fluidity(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn validate_reports_a_valid_scenario_and_its_size() {
    let out = fluidity(&["validate", &example("portfolio.json")]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("valid (42 initiatives, 4 resources, 3 periods"));
}

#[test]
fn an_unknown_solver_is_rejected_with_those_available() {
    let out = fluidity(&["plan", &example("tiered.json"), "--solver", "gurobi"]);
    assert_rejected(
        &out,
        &[
            "policy.solver",
            "available: auto, clarabel, lpsolve, microlp",
        ],
    );
}

#[test]
fn generate_writes_a_feasible_scenario_that_plans() {
    let dir = scratch("generate");
    let file = dir.join("g.json").to_string_lossy().into_owned();
    let out = fluidity(&[
        "generate",
        "--initiatives",
        "40",
        "--resources",
        "3",
        "--periods",
        "4",
        "--seed",
        "7",
        "--out",
        &file,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let planned = fluidity(&["plan", &file, "--format", "json"]);
    assert_eq!(planned.status.code(), Some(0), "{}", text(&planned.stderr));
    let again = dir.join("again.json").to_string_lossy().into_owned();
    fluidity(&[
        "generate",
        "--initiatives",
        "40",
        "--resources",
        "3",
        "--periods",
        "4",
        "--seed",
        "7",
        "--out",
        &again,
    ]);
    assert_eq!(
        std::fs::read(&file).unwrap(),
        std::fs::read(&again).unwrap()
    );
}

#[test]
fn export_writes_the_program_as_mps_or_lp() {
    let mps = fluidity(&["export", &example("tiered.json")]);
    assert_eq!(mps.status.code(), Some(0), "{}", text(&mps.stderr));
    let mps = text(&mps.stdout);
    for section in [
        "NAME ",
        "OBJSENSE",
        "ROWS",
        "COLUMNS",
        "RHS",
        "BOUNDS",
        "ENDATA",
        " L  capacity[eng@oct]",
        " G  tier[1]",
    ] {
        assert!(mps.contains(section), "missing {section}");
    }
    let lp = text(&fluidity(&["export", &example("tiered.json"), "--format", "lp"]).stdout);
    for section in [
        "Maximize",
        "Subject To",
        "Bounds",
        "End",
        "capacity(eng@oct):",
    ] {
        assert!(lp.contains(section), "missing {section}");
    }
}

#[test]
fn export_of_an_invalid_scenario_is_refused() {
    let dir = scratch("export_invalid");
    let bad = write(&dir, "bad.json", b"{\"periods\": []}");
    assert_rejected(&fluidity(&["export", &bad]), &["periods"]);
}

#[test]
fn serve_refuses_an_arriving_bytes_budget_smaller_than_the_largest_request() {
    // Checked before anything listens: the command exits at once with the reason.
    let out = fluidity(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--max-message-bytes",
        "1000",
        "--max-arriving-bytes-per-connection",
        "999",
    ]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "--max-arriving-bytes-per-connection (999) must be at least --max-message-bytes (1000)"
        ),
        "{err}"
    );
    let out = fluidity(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--max-arriving-bytes-per-connection",
        "100000000",
        "--max-arriving-bytes",
        "99999999",
    ]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--max-arriving-bytes (99999999) must be at least"));
}

#[test]
fn a_price_per_dollar_reads_with_its_digits_and_the_bottleneck_is_headlined_per_percent() {
    let dir = scratch("per_dollar");
    let file = write(
        &dir,
        "capital.json",
        br#"{"name": "capital-bound", "periods": [{"id": "dec"}],
            "resources": [{"id": "eng", "unit": "FTE", "capacity": [20]},
                          {"id": "capital", "unit": "USD", "capacity": [1000000]}],
            "initiatives": [
              {"id": "upkeep", "requirements": {"eng": 1}, "current": 0, "value": [{"perUnit": 3}]},
              {"id": "expansion", "requirements": {"eng": 1, "capital": 100000}, "current": 0,
               "value": [{"perUnit": 47}]}]}"#,
    );
    let out = fluidity(&["plan", &file]);
    assert_eq!(out.status.code(), Some(0));
    let text = text(&out.stdout);
    assert!(
        text.contains(
            "bottleneck: one more percent of capital (USD) in dec is worth 4.4 (0.00044 per USD)"
        ),
        "{text}"
    );
    // The price column keeps the digits too.
    assert!(text.contains("0.00044"), "{text}");
    assert!(!text.contains("capacity[capital@dec]  4.4  0 "), "{text}");
}

#[test]
fn explain_says_what_would_change_each_decision_and_what_forcing_it_costs() {
    let out = fluidity(&[
        "explain",
        &example("tiered.json"),
        "--initiative",
        "self-serve-signup",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("self-serve-signup"), "{stdout}");
    assert!(
        stdout.contains("Keeping self-serve-signup at its current 2"),
        "{stdout}"
    );
    assert!(
        stdout.contains("the plan would give it more with its value x"),
        "{stdout}"
    );
    let json = fluidity(&[
        "explain",
        &example("tiered.json"),
        "--initiative",
        "self-serve-signup",
        "--format",
        "json",
    ]);
    let value: Value = serde_json::from_slice(&json.stdout).unwrap();
    let explained = &value["initiatives"][0];
    assert_eq!(explained["id"], "self-serve-signup");
    assert_eq!(explained["flips"][0]["direction"], "MORE");
    assert_eq!(explained["forced"]["decision"], "KEEP_CURRENT");
}

#[test]
fn explain_refuses_an_unknown_initiative_with_its_name() {
    let out = fluidity(&["explain", &example("tiered.json"), "--initiative", "ghost"]);
    assert_rejected(&out, &["no initiative with id \"ghost\"", "--initiative"]);
}

#[test]
fn explain_of_an_infeasible_scenario_exits_3_and_points_at_the_diagnosis() {
    let out = fluidity(&["explain", &example("infeasible.json")]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stdout).contains("INFEASIBLE"));
}

#[test]
fn serve_refuses_durations_too_large_or_negative_with_the_flag_named() {
    for (flag, value) in [
        ("--request-body-timeout", "1e30"),
        ("--shutdown-grace", "1e30"),
        ("--http2-keepalive-interval", "18446744073709551616"),
        ("--max-connection-age", "-1"),
        ("--max-solve-seconds", "1e300"),
    ] {
        let out = fluidity(&["serve", "--addr", "127.0.0.1:0", flag, value]);
        assert_eq!(out.status.code(), Some(1), "{flag} {value}");
        let err = text(&out.stderr);
        assert!(err.contains(flag), "{flag} {value}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("internal error"),
            "{err}"
        );
    }
}
