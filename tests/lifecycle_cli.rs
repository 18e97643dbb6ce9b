//! A quarter run end to end from the command line, in process on SQLite: plan,
//! approve with a comment, record two months of actuals from CSV, an alert when an
//! initiative falls behind, acknowledged, the last month re-planned from actuals and
//! approved, and the trail verified; bad actuals files refused with their cells named.

mod common;
#[path = "common/stores.rs"]
mod stores;

use common::BIN;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("fluidity-lifecycle-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fluidity(dir: &Path, args: &[&str]) -> Output {
    let store = format!("sqlite:{}", dir.join("store.db").display());
    Command::new(BIN)
        .args(args)
        .args(["--store", &store, "--as", "tester"])
        .output()
        .unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = fluidity(dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const SCENARIO: &str = r#"{"name": "q", "periods": [{"id": "oct"}, {"id": "nov"}, {"id": "dec"}],
  "resources": [{"id": "eng", "capacity": [10]}],
  "initiatives": [
    {"id": "growth", "requirements": {"eng": 1}, "current": 2, "value": [{"upTo": 6, "perUnit": 5}]},
    {"id": "ops", "kind": "OPERATIONS", "requirements": {"eng": 1}, "current": 4, "value": [{"perUnit": 2}]}]}"#;

fn quarter_approved(dir: &Path) {
    std::fs::write(dir.join("q.json"), SCENARIO).unwrap();
    let saved = ok(
        dir,
        &[
            "plans",
            "save",
            dir.join("q.json").to_str().unwrap(),
            "--portfolio",
            "q4-2026",
        ],
    );
    assert!(saved.contains("saved plan 1 (DRAFT) of q4-2026"), "{saved}");
    let approved = ok(dir, &["plans", "approve", "1", "--comment", "as reviewed"]);
    assert!(
        approved.contains("approved plan 1 of q4-2026 (1 priority change(s)"),
        "{approved}"
    );
    assert!(
        approved.contains("growth") && approved.contains("GROW"),
        "{approved}"
    );
}

#[test]
fn a_quarter_runs_end_to_end_from_the_command_line() {
    let dir = scratch("quarter");
    quarter_approved(&dir);
    ok(
        &dir,
        &[
            "alerts",
            "triggers",
            "--portfolio",
            "q4-2026",
            "--max-relative-deviation",
            "0.2",
        ],
    );
    // growth is planned at 6 from October; it ran 3 and then 4.
    let csv = dir.join("actuals.csv");
    std::fs::write(
        &csv,
        "initiative,period,activity\ngrowth,oct,3\nops,oct,4\ngrowth,nov,4\nops,nov,4\n",
    )
    .unwrap();
    let recorded = ok(
        &dir,
        &[
            "actuals",
            "record",
            csv.to_str().unwrap(),
            "--portfolio",
            "q4-2026",
        ],
    );
    assert!(recorded.contains("2 new alert(s)"), "{recorded}");
    assert!(
        recorded.contains("growth ran 3 in oct against 6 planned (-50.0%"),
        "{recorded}"
    );
    let open = ok(&dir, &["alerts", "list"]);
    assert!(open.starts_with("2 open alert(s)"), "{open}");
    ok(&dir, &["alerts", "ack", "1"]);
    assert!(ok(&dir, &["alerts", "list"]).starts_with("1 open alert(s)"));

    let replanned = ok(&dir, &["replan", "--portfolio", "q4-2026"]);
    assert!(
        replanned.contains("from the actuals of nov (1 period(s) left): plan 2 (DRAFT)"),
        "{replanned}"
    );
    let shown = ok(&dir, &["plans", "show", "2", "--format", "json"]);
    let record: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(record["parent"], 1);
    assert_eq!(
        record["scenario"]["initiatives"][0]["current"], 4.0,
        "current = what ran in nov"
    );
    assert_eq!(record["scenario"]["periods"].as_array().unwrap().len(), 1);
    ok(
        &dir,
        &[
            "plans",
            "approve",
            "2",
            "--comment",
            "December from actuals",
        ],
    );
    // A late correction of October, a month the approved re-plan no longer has, is
    // still taken (checked against the plan that had it); an unknown month is not.
    std::fs::write(&csv, "initiative,period,activity\ngrowth,oct,3.5\n").unwrap();
    ok(
        &dir,
        &[
            "actuals",
            "record",
            csv.to_str().unwrap(),
            "--portfolio",
            "q4-2026",
        ],
    );
    std::fs::write(
        &csv,
        "initiative,period,activity\ngrowth,oct,3.5\ngrowth,jan,1\n",
    )
    .unwrap();
    let out = fluidity(
        &dir,
        &[
            "actuals",
            "record",
            csv.to_str().unwrap(),
            "--portfolio",
            "q4-2026",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("row 3, column period: unknown period \"jan\""));

    let list = ok(&dir, &["plans", "list", "--format", "json"]);
    let plans: serde_json::Value = serde_json::from_str(&list).unwrap();
    let states: Vec<&str> = plans
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, vec!["SUPERSEDED", "APPROVED"]);

    // A batch report with the store shows the portfolio's approved plan against what
    // ran, and its open alert (the second: the first was acknowledged).
    let scenarios = dir.join("scenarios");
    std::fs::create_dir_all(&scenarios).unwrap();
    std::fs::write(scenarios.join("q.json"), SCENARIO).unwrap();
    let store = format!("sqlite:{}", dir.join("store.db").display());
    let out = dir.join("report");
    let batch = Command::new(BIN)
        .args([
            "batch",
            scenarios.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--store",
            &store,
        ])
        .output()
        .unwrap();
    assert!(
        batch.status.success(),
        "{}",
        String::from_utf8_lossy(&batch.stderr)
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("Approved plans against what ran"),
        "the section"
    );
    assert!(html.contains("q4-2026: plan 2"));
    assert!(
        html.contains("alert 2: growth ran 4 in nov against 6 planned"),
        "the open alert"
    );
    assert!(
        !html.contains("alert 1:"),
        "an acknowledged alert is not listed"
    );

    let verified = ok(&dir, &["audit", "verify"]);
    assert!(verified.contains("the audit trail holds"), "{verified}");
    let trail = ok(&dir, &["audit", "show", "--format", "json"]);
    let events: Vec<String> = serde_json::from_str::<serde_json::Value>(&trail)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        events,
        [
            "SAVE",
            "APPROVE",
            "TRIGGERS",
            "ACTUALS",
            "ALERT",
            "ALERT",
            "ACKNOWLEDGE",
            "SAVE",
            "SUPERSEDE",
            "APPROVE",
            "ACTUALS"
        ]
    );
}

#[test]
fn audit_verify_names_the_first_edited_entry_and_exits_1() {
    let dir = scratch("tamper");
    quarter_approved(&dir);
    let url = format!("sqlite:{}", dir.join("store.db").display());
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(stores::raw(
            &url,
            "UPDATE audit SET details = '{}' WHERE seq = 1",
        ));
    let out = fluidity(&dir, &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken at entry 1"), "{stderr}");
}

#[test]
fn bad_actuals_files_are_refused_with_the_cell_named_and_store_nothing() {
    let dir = scratch("bad-csv");
    quarter_approved(&dir);
    let trail_before = ok(&dir, &["audit", "show", "--format", "json"]);
    let cases = [
        (
            "initiative,month,activity\ngrowth,oct,3\n",
            "row 1, column 2: unknown column \"month\"",
        ),
        (
            "initiative,period,activity\ngrowth,oct,three\n",
            "row 2, column activity: \"three\" is not a number",
        ),
        (
            "initiative,period,activity\ngrowth,oct,3\nnobody,oct,1\n",
            "row 3, column initiative: unknown initiative \"nobody\"",
        ),
        (
            "initiative,period,activity\ngrowth,jan,3\n",
            "row 2, column period: unknown period \"jan\"",
        ),
        (
            "initiative,period,activity\ngrowth,oct,-1\n",
            "row 2, column activity: must be a finite number >= 0",
        ),
        (
            "initiative,period,activity\ngrowth,oct\n",
            "row 2: 2 cells, the header has 3",
        ),
        ("initiative,period,activity\n", "no rows after the header"),
    ];
    for (text, expected) in cases {
        let csv = dir.join("bad.csv");
        std::fs::write(&csv, text).unwrap();
        let out = fluidity(
            &dir,
            &[
                "actuals",
                "record",
                csv.to_str().unwrap(),
                "--portfolio",
                "q4-2026",
            ],
        );
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(out.stdout.is_empty(), "{text}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{text}: {stderr}");
    }
    assert_eq!(
        ok(&dir, &["audit", "show", "--format", "json"]),
        trail_before,
        "nothing stored"
    );
}

#[test]
fn actuals_without_an_approved_plan_are_refused() {
    let dir = scratch("unapproved");
    std::fs::write(dir.join("q.json"), SCENARIO).unwrap();
    ok(
        &dir,
        &[
            "plans",
            "save",
            dir.join("q.json").to_str().unwrap(),
            "--portfolio",
            "q4",
        ],
    );
    let csv = dir.join("a.csv");
    std::fs::write(&csv, "initiative,period,activity\ngrowth,oct,3\n").unwrap();
    let out = fluidity(
        &dir,
        &[
            "actuals",
            "record",
            csv.to_str().unwrap(),
            "--portfolio",
            "q4",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("q4 has no approved plan"));
}

#[test]
fn resource_use_from_csv_is_recorded_and_raises_over_capacity() {
    let dir = scratch("resource-use");
    quarter_approved(&dir);
    ok(
        &dir,
        &[
            "alerts",
            "triggers",
            "--portfolio",
            "q4-2026",
            "--resource-over-capacity",
        ],
    );
    let csv = dir.join("use.csv");
    // A spreadsheet's byte order mark, a blank line, columns in another order.
    std::fs::write(&csv, "\u{feff}period,resource,used\n\noct,eng,12.5\n").unwrap();
    let recorded = ok(
        &dir,
        &[
            "actuals",
            "record",
            csv.to_str().unwrap(),
            "--portfolio",
            "q4-2026",
        ],
    );
    assert!(
        recorded.contains("recorded the use of 1 resource-period(s)"),
        "{recorded}"
    );
    assert!(
        recorded.contains("eng used 12.5 in oct, over its capacity of 10"),
        "{recorded}"
    );
    let shown = ok(&dir, &["actuals", "show", "--portfolio", "q4-2026"]);
    assert!(shown.contains("recorded"), "{shown}");
    std::fs::write(&csv, "resource,period,used\nmoney,oct,1\n").unwrap();
    let out = fluidity(
        &dir,
        &[
            "actuals",
            "record",
            csv.to_str().unwrap(),
            "--portfolio",
            "q4-2026",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("row 2, column resource: unknown resource \"money\""));
}

#[test]
fn a_key_reused_for_another_save_is_refused_and_names_are_plain_text() {
    let dir = scratch("misuse");
    std::fs::write(dir.join("q.json"), SCENARIO).unwrap();
    let q = dir.join("q.json");
    ok(
        &dir,
        &[
            "plans",
            "save",
            q.to_str().unwrap(),
            "--portfolio",
            "a",
            "--idempotency-key",
            "k1",
        ],
    );
    let again = ok(
        &dir,
        &[
            "plans",
            "save",
            q.to_str().unwrap(),
            "--portfolio",
            "a",
            "--idempotency-key",
            "k1",
        ],
    );
    assert!(again.starts_with("already saved: plan 1"), "{again}");
    let out = fluidity(
        &dir,
        &[
            "plans",
            "save",
            q.to_str().unwrap(),
            "--portfolio",
            "b",
            "--idempotency-key",
            "k1",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("idempotency key \"k1\" was used for plan 1")
    );
    let out = fluidity(&dir, &["plans", "approve", "1", "--comment", "ok\u{1b}[2J"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("comment: control characters are not allowed"));
}

#[test]
fn an_infeasible_plan_is_saved_with_exit_3_and_cannot_be_approved() {
    let dir = scratch("infeasible");
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/infeasible.json");
    let out = fluidity(&dir, &["plans", "save", file, "--portfolio", "h"]);
    assert_eq!(out.status.code(), Some(3));
    let out = fluidity(&dir, &["plans", "approve", "1", "--comment", "sure"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("plan 1 is INFEASIBLE"));
}

#[test]
fn actuals_too_large_for_a_double_extra_cells_and_repeated_columns_are_refused() {
    let dir = scratch("csv-edges");
    quarter_approved(&dir);
    let before = ok(&dir, &["audit", "show", "--format", "json"]);
    let cases = [
        (
            "initiative,period,activity\nops,oct,1e308\n",
            "row 2, column activity: 1e308 is too large",
        ),
        (
            "initiative,period,activity\ngrowth,oct,1,500\n",
            "row 2: 4 cells, the header has 3",
        ),
        (
            "initiative,period,activity,activity\ngrowth,oct,1,2\n",
            "row 1, column 4: \"activity\" a second time",
        ),
    ];
    for (text, expected) in cases {
        let csv = dir.join("edge.csv");
        std::fs::write(&csv, text).unwrap();
        let out = fluidity(
            &dir,
            &[
                "actuals",
                "record",
                csv.to_str().unwrap(),
                "--portfolio",
                "q4-2026",
            ],
        );
        assert_eq!(out.status.code(), Some(1), "{text}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{text}: {stderr}");
    }
    assert_eq!(
        ok(&dir, &["audit", "show", "--format", "json"]),
        before,
        "nothing stored"
    );
}

#[test]
fn reading_needs_no_actor_and_a_closed_pipe_ends_quietly() {
    let dir = scratch("reader");
    quarter_approved(&dir);
    let store = format!("sqlite:{}", dir.join("store.db").display());
    let out = Command::new(BIN)
        .args(["plans", "list", "--store", &store])
        .env_remove("USER")
        .env_remove("LOGNAME")
        .env_remove("USERNAME")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A reader that takes one line and closes the pipe: no panic message.
    let mut child = Command::new(BIN)
        .args(["plans", "show", "1", "--store", &store])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("internal error") && !stderr.contains("panicked"),
        "{stderr}"
    );
    assert!(
        matches!(out.status.code(), Some(0) | Some(141)),
        "{:?}",
        out.status
    );
}

#[test]
fn ten_processes_opening_a_new_store_at_once_all_succeed() {
    let dir = scratch("parallel-open");
    let store = format!("sqlite:{}", dir.join("new.db").display());
    let children: Vec<_> = (0..10)
        .map(|_| {
            Command::new(BIN)
                .args(["plans", "list", "--store", &store, "--as", "t"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
