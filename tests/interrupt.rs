//! Ctrl-C during a whole-unit solve: the first stops the search and prints the best
//! plan found (FEASIBLE, with its gap); a second aborts at once.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn fluidity() -> Command {
    Command::new(env!("CARGO_BIN_EXE_fluidity"))
}

/// A 200-initiative all-integral scenario: its search runs far longer than the test.
fn slow_scenario(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("integral.json");
    let status = fluidity()
        .args([
            "generate",
            "--initiatives",
            "200",
            "--resources",
            "4",
            "--periods",
            "6",
        ])
        .args(["--seed", "5", "--integral-share", "1.0", "--out"])
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    path
}

/// `fluidity plan SCENARIO ARGS`, running, with its output piped.
fn plan(scenario: &std::path::Path, args: &[&str]) -> Child {
    fluidity()
        .arg("plan")
        .arg(scenario)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn interrupt(child: &Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits until the process has taken the SIGINT sent to it (Linux: no SIGINT pending
/// in /proc/PID/status), so that a second one is not merged into the first: the
/// kernel keeps one pending signal of a kind, and two sent back to back on a busy
/// machine arrived as one (the test saw exit 0, a single Ctrl-C).
fn wait_until_taken(child: &Child) {
    const SIGINT_BIT: u64 = 1 << (2 - 1);
    let path = format!("/proc/{}/status", child.id());
    for _ in 0..5_000 {
        let Ok(status) = std::fs::read_to_string(&path) else {
            return;
        };
        let pending = status
            .lines()
            .filter(|l| l.starts_with("SigPnd:") || l.starts_with("ShdPnd:"))
            .filter_map(|l| u64::from_str_radix(l.split_whitespace().nth(1)?, 16).ok())
            .fold(0, |all, mask| all | mask);
        if pending & SIGINT_BIT == 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("fluidity-interrupt-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn ctrl_c_during_a_whole_unit_search_prints_the_best_plan_found() {
    let dir = temp_dir("once");
    let scenario = slow_scenario(&dir);
    let child = plan(&scenario, &["--format", "json"]);
    std::thread::sleep(Duration::from_secs(3));
    interrupt(&child);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["status"], "FEASIBLE");
    let objective = plan["objective"].as_f64().unwrap();
    let bound = plan["solver"]["bound"].as_f64().unwrap();
    let gap = plan["solver"]["gap"].as_f64().unwrap();
    assert!(
        bound >= objective && gap > 0.0,
        "bound {bound}, objective {objective}, gap {gap}"
    );
    assert!(
        stderr.contains("interrupted: the best plan found so far follows"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_second_ctrl_c_aborts_at_once() {
    let dir = temp_dir("twice");
    let scenario = slow_scenario(&dir);
    let mut child = plan(&scenario, &[]);
    std::thread::sleep(Duration::from_secs(2));
    interrupt(&child);
    wait_until_taken(&child);
    interrupt(&child);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let _ = std::fs::remove_dir_all(dir);
}
