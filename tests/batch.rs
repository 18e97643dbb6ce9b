//! `fluidity batch`: a folder of good, infeasible and invalid scenarios gives the
//! right files, summary rows, report and exit code; an interrupted run leaves no
//! partial file.

use quick_xml::events::Event;
use quick_xml::Reader;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_fluidity");

mod common;

fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// A folder with a good scenario and its what-ifs, an infeasible one, an invalid one,
/// and a what-if file without its scenario.
fn mixed_folder(dir: &Path) {
    let finance = examples().join("finance");
    for name in [
        "q4-portfolio.json",
        "q4-portfolio.what-ifs.variants.json",
        "q4-portfolio.capital.sweep.json",
        "december-crunch.json",
    ] {
        std::fs::copy(finance.join(name), dir.join(name)).unwrap();
    }
    std::fs::write(
        dir.join("broken.json"),
        r#"{"periods": [], "resources": [{"id": "eng", "capacity": [-1]}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("ghost.sweep.json"),
        r#"{"resource": "eng", "factors": [1]}"#,
    )
    .unwrap();
}

fn batch(dir: &Path, out: &Path) -> Output {
    batch_with(dir, out, &[])
}

/// `fluidity batch DIR --out OUT EXTRA...`
fn batch_with(dir: &Path, out: &Path, extra: &[&str]) -> Output {
    Command::new(BIN)
        .args([
            "batch",
            &dir.display().to_string(),
            "--out",
            &out.display().to_string(),
        ])
        .args(extra)
        .output()
        .unwrap()
}

fn summary(out: &Path) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(out.join("summary.csv"))
        .unwrap()
        .records()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn a_mixed_folder_gives_every_file_the_right_summary_and_a_failing_exit_code() {
    let dir = scratch("batch_mixed_in");
    let out = scratch("batch_mixed_out");
    mixed_folder(&dir);
    let result = batch(&dir, &out);
    assert_eq!(
        result.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );

    for file in [
        "q4-portfolio.plan.json",
        "q4-portfolio.plan.xlsx",
        "q4-portfolio.compare.xlsx",
        "december-crunch.plan.xlsx",
        "q4-portfolio.activities.csv",
        "q4-portfolio.moves.csv",
        "q4-portfolio.compare.json",
        "q4-portfolio.capital.sweep.frontier.json",
        "december-crunch.plan.json",
        "summary.csv",
        "report.html",
    ] {
        assert!(out.join(file).is_file(), "missing {file}");
    }
    assert!(!out.join("broken.plan.json").exists());
    assert!(!out.join("broken.plan.xlsx").exists());

    let rows = summary(&out);
    let status: Vec<(&str, &str)> = rows.iter().map(|r| (&r[0], &r[2])).collect();
    assert_eq!(
        status,
        [
            ("broken", "FAILED"),
            ("december-crunch", "INFEASIBLE"),
            ("q4-portfolio", "OPTIMAL"),
            ("ghost.sweep.json", "FAILED")
        ]
    );
    let broken = &rows[0];
    assert!(
        broken[13].contains("periods: at least one period is required"),
        "{:?}",
        broken
    );
    assert!(
        broken[13].contains("resources[0].capacity[0]: must be >= 0"),
        "{:?}",
        broken
    );
    // The summary's numbers are the plan's.
    let plan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("q4-portfolio.plan.json")).unwrap())
            .unwrap();
    assert_eq!(
        rows[2][3].parse::<f64>().unwrap(),
        plan["objective"].as_f64().unwrap()
    );
    assert_eq!(&rows[2][11], "3"); // three variants
    assert_eq!(&rows[2][12], "1"); // one sweep
}

#[test]
fn the_report_is_well_formed_holds_the_numbers_and_fetches_nothing() {
    let dir = scratch("batch_report_in");
    let out = scratch("batch_report_out");
    mixed_folder(&dir);
    batch(&dir, &out);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();

    let mut reader = Reader::from_str(&html);
    let (mut depth, mut svgs, mut tables) = (0i64, 0, 0);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                depth += 1;
                match e.name().as_ref() {
                    "svg" => svgs += 1,
                    "table" => tables += 1,
                    _ => {}
                }
            }
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!(
                "report.html is not well-formed at {}: {e}",
                reader.buffer_position()
            ),
        }
    }
    assert_eq!(depth, 0, "every element closes");
    assert!(
        svgs >= 4,
        "charts: allocation, reserve (x2 planned) and a frontier; got {svgs}"
    );
    assert!(tables >= 5);

    let plan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("q4-portfolio.plan.json")).unwrap())
            .unwrap();
    let objective = fluidity::numbers::num(plan["objective"].as_f64().unwrap());
    assert!(
        html.contains(&objective),
        "the report shows the objective {objective}"
    );
    let bottleneck = plan["bottlenecks"][0]["constraint"].as_str().unwrap();
    assert!(html.contains(bottleneck));
    // Why each initiative ends where it does: the plan's numbers and holding rows.
    assert!(html.contains("Why each initiative ends where it does"));
    for initiative in plan["initiatives"].as_array().unwrap() {
        let earns = initiative["marginalValue"]
            .as_array()
            .unwrap()
            .last()
            .unwrap();
        assert!(html.contains(&format!(
            "<td>{}</td>",
            fluidity::numbers::num(earns.as_f64().unwrap())
        )));
        let held = initiative["heldBy"].as_str().unwrap();
        assert!(html.contains(held), "missing {held}");
    }
    for expected in [
        "Adding <b>ai-assistant</b>",
        "Frontier: objective by capital",
        "december-crunch",
        "capacity[eng@dec]",
        "failed",
    ] {
        assert!(html.contains(expected), "missing {expected}");
    }
    for external in ["http://", "https://", "src=", "<script", "@import", "url("] {
        assert!(!html.contains(external), "the report references {external}");
    }
}

#[test]
fn a_batch_of_good_scenarios_exits_0() {
    let dir = scratch("batch_good_in");
    let out = scratch("batch_good_out");
    std::fs::copy(examples().join("tiered.json"), dir.join("security.json")).unwrap();
    std::fs::copy(examples().join("portfolio.json"), dir.join("q4.json")).unwrap();
    let result = batch(&dir, &out);
    assert_eq!(
        result.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert_eq!(summary(&out).len(), 2);
}

#[test]
fn an_interrupted_batch_leaves_only_whole_files() {
    let dir = scratch("batch_interrupted_in");
    let out = scratch("batch_interrupted_out");
    for seed in 0..40 {
        let file = dir.join(format!("bu-{seed:02}.json")).display().to_string();
        let generated = Command::new(BIN)
            .args([
                "generate",
                "--initiatives",
                "150",
                "--resources",
                "4",
                "--periods",
                "6",
                "--seed",
                &seed.to_string(),
                "--out",
                &file,
            ])
            .status()
            .unwrap();
        assert!(generated.success());
    }
    let mut child = Command::new(BIN)
        .args([
            "batch",
            &dir.display().to_string(),
            "--out",
            &out.display().to_string(),
            "--jobs",
            "2",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first results, then interrupt mid-way.
    for _ in 0..200 {
        if std::fs::read_dir(&out).unwrap().count() >= 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "interrupted runs say so");

    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n.ends_with(".plan.json")),
        "some scenarios finished: {names:?}"
    );
    assert!(
        names.len() < 40 * 3,
        "it stopped early: {} files",
        names.len()
    );
    assert!(
        !names.iter().any(|n| n.contains("fluidity-tmp")),
        "no temporary left: {names:?}"
    );
    assert!(
        !names.contains(&"summary.csv".to_string()) && !names.contains(&"report.html".to_string())
    );
    for name in names.iter().filter(|n| n.ends_with(".json")) {
        let text = std::fs::read(out.join(name)).unwrap();
        serde_json::from_slice::<serde_json::Value>(&text)
            .unwrap_or_else(|e| panic!("{name} is partial: {e}"));
    }
    for name in names.iter().filter(|n| n.ends_with(".csv")) {
        let text = std::fs::read_to_string(out.join(name)).unwrap();
        assert!(text.ends_with('\n'), "{name} is partial");
    }
}

#[test]
fn the_summary_prints_as_json_rows_on_request() {
    let dir = scratch("batch_json_in");
    let out = scratch("batch_json_out");
    mixed_folder(&dir);
    let result = batch_with(&dir, &out, &["--format", "json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&result.stdout).unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0]["status"], "FAILED");
    assert!(rows[0]["objective"].is_null());
    assert_eq!(rows[2]["status"], "OPTIMAL");
    assert_eq!(rows[2]["variants"], 3);
}

#[test]
fn a_batch_through_a_server_makes_one_connection_for_every_call() {
    use std::sync::atomic::Ordering;
    let dir = scratch("batch_remote_in");
    let out = scratch("batch_remote_out");
    mixed_folder(&dir);
    std::fs::copy(examples().join("tiered.json"), dir.join("security.json")).unwrap();
    std::fs::copy(examples().join("portfolio.json"), dir.join("q4.json")).unwrap();
    // The server, behind a proxy that counts the TCP connections made to it.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (port, accepted) = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = listener.local_addr().unwrap();
        tokio::spawn(fluidity::server::serve(
            listener,
            fluidity::server::ServerConfig::default(),
            std::future::pending(),
        ));
        common::counting_proxy(server).await
    });
    let result = batch_with(
        &dir,
        &out,
        &["--server", &format!("http://127.0.0.1:{port}")],
    );
    // Planned remotely like in process: the same rows (a mixed folder fails: exit 1).
    assert_eq!(
        result.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let local = scratch("batch_remote_local_out");
    batch(&dir, &local);
    // scenario, file, status, variants, sweeps
    let rows = |out: &Path| -> Vec<Vec<String>> {
        summary(out)
            .iter()
            .map(|r| {
                [0, 1, 2, 11, 12]
                    .iter()
                    .map(|&k| r[k].to_string())
                    .collect()
            })
            .collect()
    };
    assert_eq!(rows(&out), rows(&local));
    // Three planned scenarios, a comparison and a sweep: one connection for all.
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[test]
fn owners_of_what_if_files_are_matched_by_the_longest_scenario_name() {
    let dir = scratch("batch_dots_in");
    let out = scratch("batch_dots_out");
    let finance = examples().join("finance");
    // A scenario with a dot in its name, its what-ifs, and a shorter namesake.
    std::fs::copy(finance.join("q4-portfolio.json"), dir.join("q4.plan.json")).unwrap();
    std::fs::copy(
        finance.join("q4-portfolio.what-ifs.variants.json"),
        dir.join("q4.plan.variants.json"),
    )
    .unwrap();
    std::fs::copy(
        finance.join("q4-portfolio.capital.sweep.json"),
        dir.join("q4.plan.capital.sweep.json"),
    )
    .unwrap();
    std::fs::copy(examples().join("tiered.json"), dir.join("q4.json")).unwrap();
    let result = batch(&dir, &out);
    assert_eq!(
        result.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let rows = summary(&out);
    assert_eq!(rows.len(), 2, "{rows:?}");
    let text = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(!text.contains("no scenario"), "{text}");
    // The comparison and the sweep went to q4.plan.
    let written: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        written
            .iter()
            .any(|f| f.starts_with("q4.plan") && f.contains("compare")),
        "{written:?}"
    );
    assert!(
        written
            .iter()
            .any(|f| f.starts_with("q4.plan") && f.contains("sweep")),
        "{written:?}"
    );
}

#[test]
fn an_output_folder_that_is_the_scenario_folder_is_refused_and_nothing_is_written() {
    let dir = scratch("batch_same_folder");
    std::fs::copy(examples().join("tiered.json"), dir.join("q4.json")).unwrap();
    std::fs::copy(examples().join("tiered.json"), dir.join("q4.plan.json")).unwrap();
    let before = std::fs::read(dir.join("q4.plan.json")).unwrap();
    let result = batch(&dir, &dir.join("."));
    assert_eq!(result.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("is the scenario folder"), "{stderr}");
    // The scenario named like q4's plan is untouched, and nothing was added.
    assert_eq!(std::fs::read(dir.join("q4.plan.json")).unwrap(), before);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
}
