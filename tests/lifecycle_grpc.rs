//! The plan lifecycle over gRPC: the command line with `--server`, roles from the
//! token file, a server without a store, two replicas sharing one PostgreSQL store
//! (when CI provides one), and `kill -9` in the middle of a burst of saves and
//! approvals: every acknowledged record is there after a restart, intact.

mod common;
#[path = "common/stores.rs"]
mod stores;

use common::{spawn_server, BIN};
use fluidity::client::lifecycle::LifecycleClient;
use fluidity::client::{Endpoint, RemoteError};
use fluidity_solvers::Scenario;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PLANNER: &str = "ann-token-0123456789abcdef";
const APPROVER: &str = "bob-token-0123456789abcdef";

const SCENARIO: &str = r#"{"name": "q", "periods": [{"id": "oct"}, {"id": "nov"}, {"id": "dec"}],
  "resources": [{"id": "eng", "capacity": [10]}],
  "initiatives": [
    {"id": "growth", "requirements": {"eng": 1}, "current": 2, "value": [{"upTo": 6, "perUnit": 5}]},
    {"id": "ops", "kind": "OPERATIONS", "requirements": {"eng": 1}, "current": 4, "value": [{"perUnit": 2}]}]}"#;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "fluidity-grpc-lifecycle-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("q.json"), SCENARIO).unwrap();
    std::fs::write(
        dir.join("tokens"),
        format!("ann:{PLANNER}\nbob:approver:{APPROVER}\n"),
    )
    .unwrap();
    dir
}

fn serve(dir: &Path, store: &str) -> (std::process::Child, String) {
    let tokens = dir.join("tokens");
    spawn_server(
        &[
            "--addr",
            "127.0.0.1:0",
            "--store",
            store,
            "--auth-tokens",
            tokens.to_str().unwrap(),
        ],
        None,
    )
}

fn cli(addr: &str, token: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .args(["--server", &format!("http://{addr}"), "--token", token])
        .output()
        .unwrap()
}

fn ok(addr: &str, token: &str, args: &[&str]) -> String {
    let out = cli(addr, token, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn refused(addr: &str, token: &str, args: &[&str], expected: &str) {
    let out = cli(addr, token, args);
    assert_eq!(out.status.code(), Some(1), "{args:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(expected), "{args:?}: {stderr}");
}

#[test]
fn a_quarter_runs_over_grpc_with_roles_from_the_token_file() {
    let dir = scratch("quarter");
    let store = format!("sqlite:{}", dir.join("store.db").display());
    let (mut server, addr) = serve(&dir, &store);
    let q = dir.join("q.json");
    let saved = ok(
        &addr,
        PLANNER,
        &["plans", "save", q.to_str().unwrap(), "--portfolio", "q4"],
    );
    assert!(saved.contains("saved plan 1 (DRAFT) of q4"), "{saved}");
    refused(
        &addr,
        PLANNER,
        &["plans", "approve", "1", "--comment", "mine"],
        "PERMISSION_DENIED",
    );
    let approved = ok(
        &addr,
        APPROVER,
        &["plans", "approve", "1", "--comment", "agreed"],
    );
    assert!(approved.contains("confirmed by bob"), "{approved}");
    // Escalation is governance: a planner may not switch triggers off (or on).
    refused(
        &addr,
        PLANNER,
        &["alerts", "triggers", "--portfolio", "q4"],
        "PERMISSION_DENIED",
    );
    refused(
        &addr,
        APPROVER,
        &[
            "alerts",
            "triggers",
            "--portfolio",
            "q4",
            "--max-relative-deviation=NaN",
        ],
        "maxRelativeDeviation: must be a finite number >= 0",
    );
    ok(
        &addr,
        APPROVER,
        &[
            "alerts",
            "triggers",
            "--portfolio",
            "q4",
            "--max-relative-deviation",
            "0.2",
        ],
    );
    let csv = dir.join("a.csv");
    std::fs::write(
        &csv,
        "initiative,period,activity\ngrowth,oct,3\ngrowth,nov,6\n",
    )
    .unwrap();
    let recorded = ok(
        &addr,
        PLANNER,
        &[
            "actuals",
            "record",
            csv.to_str().unwrap(),
            "--portfolio",
            "q4",
        ],
    );
    assert!(recorded.contains("1 new alert(s)"), "{recorded}");
    refused(&addr, PLANNER, &["alerts", "ack", "1"], "PERMISSION_DENIED");
    ok(&addr, APPROVER, &["alerts", "ack", "1"]);
    // bad actuals name their row through the server too
    std::fs::write(
        &csv,
        "initiative,period,activity\ngrowth,oct,3\nnobody,oct,1\n",
    )
    .unwrap();
    refused(
        &addr,
        PLANNER,
        &[
            "actuals",
            "record",
            csv.to_str().unwrap(),
            "--portfolio",
            "q4",
        ],
        "row 3, column initiative",
    );
    let replanned = ok(&addr, PLANNER, &["replan", "--portfolio", "q4"]);
    assert!(replanned.contains("plan 2 (DRAFT)"), "{replanned}");
    ok(
        &addr,
        APPROVER,
        &["plans", "approve", "2", "--comment", "december"],
    );
    let trail = ok(&addr, PLANNER, &["audit", "show", "--format", "json"]);
    let actors: Vec<String> = serde_json::from_str::<serde_json::Value>(&trail)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actors.first().map(String::as_str),
        Some("ann"),
        "the token's name is the actor"
    );
    assert!(actors.iter().any(|a| a == "bob"));
    assert!(ok(&addr, PLANNER, &["audit", "verify"]).contains("the audit trail holds"));
    // What the server stored is what the CLI reads in process.
    server.kill().unwrap();
    server.wait().unwrap();
    let local = Command::new(BIN)
        .args([
            "plans", "list", "--store", &store, "--as", "x", "--format", "json",
        ])
        .output()
        .unwrap();
    let plans: serde_json::Value = serde_json::from_slice(&local.stdout).unwrap();
    assert_eq!(plans.as_array().unwrap().len(), 2);
}

#[test]
fn a_server_without_a_store_answers_failed_precondition() {
    let dir = scratch("no-store");
    let (mut server, addr) = spawn_server(&["--addr", "127.0.0.1:0"], None);
    let out = Command::new(BIN)
        .args(["plans", "list", "--server", &format!("http://{addr}")])
        .output()
        .unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("FAILED_PRECONDITION") && stderr.contains("--store"),
        "{stderr}"
    );
    let _ = dir;
}

#[test]
fn two_replicas_on_one_postgresql_store_share_every_record() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(url) = runtime.block_on(stores::fresh_postgres("replicas")) else {
        eprintln!("skipped: FLUIDITY_TEST_POSTGRES is not set (.ci/run sets it)");
        return;
    };
    let dir = scratch("replicas");
    let (mut one, a) = serve(&dir, &url);
    let (mut two, b) = serve(&dir, &url);
    let q = dir.join("q.json");
    ok(
        &a,
        PLANNER,
        &["plans", "save", q.to_str().unwrap(), "--portfolio", "q4"],
    );
    ok(
        &b,
        APPROVER,
        &[
            "plans",
            "approve",
            "1",
            "--comment",
            "through the other replica",
        ],
    );
    let csv = dir.join("a.csv");
    std::fs::write(&csv, "initiative,period,activity\ngrowth,oct,3\n").unwrap();
    ok(
        &a,
        PLANNER,
        &[
            "actuals",
            "record",
            csv.to_str().unwrap(),
            "--portfolio",
            "q4",
        ],
    );
    let replanned = ok(&b, PLANNER, &["replan", "--portfolio", "q4"]);
    assert!(replanned.contains("plan 2 (DRAFT)"), "{replanned}");
    let shown = ok(&a, PLANNER, &["plans", "show", "2", "--format", "json"]);
    assert!(shown.contains("\"parent\": 1"), "{shown}");
    // Two drafts of one portfolio approved at once through the two replicas: never
    // two APPROVED; a loser is told FAILED_PRECONDITION.
    runtime.block_on(async {
        let endpoint = |addr: &str| Endpoint {
            token: Some(APPROVER.to_string()),
            ..Endpoint::plain(&format!("http://{addr}"))
        };
        let mut x = LifecycleClient::connect(&endpoint(&a)).await.unwrap();
        let mut y = LifecycleClient::connect(&endpoint(&b)).await.unwrap();
        for round in 0..5 {
            let portfolio = format!("race{round}");
            let (d1, _) = x.save_plan(&portfolio, &scenario(), None).await.unwrap();
            let (d2, _) = y.save_plan(&portfolio, &scenario(), None).await.unwrap();
            let (r1, r2) = tokio::join!(x.approve(d1.id, "x"), y.approve(d2.id, "y"));
            for r in [&r1, &r2] {
                if let Err(e) = r {
                    assert!(e.to_string().contains("FAILED_PRECONDITION"), "{e}");
                }
            }
            let mut approved = 0;
            for id in [d1.id, d2.id] {
                if x.plan(id).await.unwrap().state == fluidity::store::PlanState::Approved {
                    approved += 1;
                }
            }
            assert_eq!(approved, 1, "round {round}: {r1:?} {r2:?}");
        }
    });
    for server in [&mut one, &mut two] {
        server.kill().unwrap();
        server.wait().unwrap();
    }
}

fn scenario() -> Scenario {
    Scenario::from_json(SCENARIO).unwrap()
}

/// Saves and approvals from many tasks at once until the server dies; what it
/// acknowledged (an id answered) is returned.
async fn burst(addr: &str) -> Vec<i64> {
    let endpoint = Endpoint {
        token: Some(APPROVER.to_string()),
        ..Endpoint::plain(&format!("http://{addr}"))
    };
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let endpoint = endpoint.clone();
        tasks.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            let Ok(mut client) = LifecycleClient::connect(&endpoint).await else {
                return acknowledged;
            };
            for n in 0.. {
                let portfolio = format!("p{worker}");
                let key = format!("w{worker}-{n}");
                match client.save_plan(&portfolio, &scenario(), Some(&key)).await {
                    Ok((saved, _)) => acknowledged.push(saved.id),
                    Err(
                        RemoteError::Connect { .. }
                        | RemoteError::Status { .. }
                        | RemoteError::Cut { .. },
                    ) => break,
                    Err(e) => panic!("{e}"),
                }
                if n % 2 == 1
                    && client
                        .approve(*acknowledged.last().unwrap(), "burst")
                        .await
                        .is_err()
                {
                    break;
                }
            }
            acknowledged
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

fn killed_mid_burst_keeps_every_acknowledged_record(store: &str, name: &str) {
    let dir = scratch(name);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (mut server, addr) = serve(&dir, store);
    let killer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        // SIGKILL: no shutdown, no flush beyond what commits already made durable.
        server.kill().unwrap();
        server.wait().unwrap();
    });
    let acknowledged = runtime.block_on(burst(&addr));
    killer.join().unwrap();
    eprintln!(
        "{store}: {} records acknowledged before the kill",
        acknowledged.len()
    );
    assert!(
        acknowledged.len() >= 5,
        "the burst got going ({} acknowledged)",
        acknowledged.len()
    );
    let (mut again, addr) = serve(&dir, store);
    runtime.block_on(async {
        let endpoint = Endpoint {
            token: Some(PLANNER.to_string()),
            ..Endpoint::plain(&format!("http://{addr}"))
        };
        let mut client = LifecycleClient::connect(&endpoint).await.unwrap();
        for id in &acknowledged {
            let record = client
                .plan(*id)
                .await
                .unwrap_or_else(|e| panic!("{store}: plan {id} lost: {e}"));
            assert_eq!(
                record.content_hash,
                fluidity::store::content_hash(&record.scenario, &record.plan.solver.name)
            );
        }
        let (verified, _) = client.verify().await.unwrap();
        assert_eq!(verified.first_broken, None, "{store}");
        assert!(verified.altered_plans.is_empty(), "{store}");
    });
    again.kill().unwrap();
    again.wait().unwrap();
}

#[test]
fn kill_9_mid_burst_loses_nothing_acknowledged_on_sqlite() {
    let dir = scratch("kill-sqlite-store");
    killed_mid_burst_keeps_every_acknowledged_record(
        &format!("sqlite:{}", dir.join("store.db").display()),
        "kill-sqlite",
    );
}

#[test]
fn kill_9_mid_burst_loses_nothing_acknowledged_on_postgresql() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(url) = runtime.block_on(stores::fresh_postgres("kill")) else {
        eprintln!("skipped: FLUIDITY_TEST_POSTGRES is not set (.ci/run sets it)");
        return;
    };
    killed_mid_burst_keeps_every_acknowledged_record(&url, "kill-postgres");
}
