//! Scale-out: a batch of generated scenarios spread over three `fluidity serve`
//! replicas, one killed with SIGKILL while it is solving, plans every scenario exactly
//! once, because the client retries the calls the kill cut. Once with client-side
//! balancing (`--server A,B,C`), once through nginx with the shipped
//! `deploy/nginx/fluidity.conf` (replicas sharing one store, saves with idempotency
//! keys alongside). Each has a control run with `--retries 0` that loses calls, so
//! these tests fail if the retry goes.
//!
//! nginx comes from Debian's packages; `.ci/run` installs it. Without it (and outside
//! CI) the nginx tests say so and pass; under `CI=true` they fail.

mod common;
#[path = "common/replicas.rs"]
mod replicas;
#[path = "common/stores.rs"]
mod stores;

use common::BIN;
use fluidity::client::lifecycle::LifecycleClient;
use fluidity::client::Endpoint;
use replicas::{end_mid_call, generated_folder, summary, Replica, SCENARIOS};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "scale-out-token-0123456789";

/// Longer than any batch here takes (a hung replica costs a call about 20 s, the
/// client's keepalive): past it the batch counts as hung and is killed.
const BATCH_LIMIT: Duration = Duration::from_secs(300);

fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What a batch run over replicas gave, and the replicas' counts around the kill.
struct Run {
    output: Output,
    out: PathBuf,
    /// Plans the victim answered before it was killed.
    victim_answered: u64,
    /// Each survivor's plans answered at the kill, and at the end.
    survivors: Vec<(u64, u64)>,
}

/// `fluidity batch IN --out OUT --server SERVER --retries RETRIES --jobs 6`, with
/// replica `victim` of `fleet` killed mid-call once the replicas have answered 60
/// plans between them.
fn batch_killing(
    dir: &Path,
    server: &str,
    retries: u32,
    fleet: &mut [Replica],
    victim: usize,
) -> Run {
    batch_ending(dir, server, retries, fleet, victim, Replica::kill)
}

/// As [`batch_killing`], with `end` what happens to the victim mid-call.
fn batch_ending(
    dir: &Path,
    server: &str,
    retries: u32,
    fleet: &mut [Replica],
    victim: usize,
    end: fn(&mut Replica),
) -> Run {
    let input = dir.join("in");
    if !input.exists() {
        generated_folder(&input);
    }
    let out = dir.join(format!("out-retries-{retries}"));
    let child = Command::new(BIN)
        .args([
            "batch",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args([
            "--server",
            server,
            "--retries",
            &retries.to_string(),
            "--jobs",
            "6",
        ])
        .env("FLUIDITY_TOKEN", TOKEN)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut victims, mut survivors): (Vec<_>, Vec<_>) = fleet
        .iter_mut()
        .enumerate()
        .partition(|(k, _)| *k == victim);
    let victim = &mut victims[0].1;
    let others: Vec<&Replica> = survivors.iter().map(|(_, r)| &**r).collect();
    let victim_answered = end_mid_call(victim, &others, 60, end);
    let at_kill: Vec<u64> = others.iter().map(|r| r.plans_answered()).collect();
    // A batch that hangs (a replica no one notices is gone) must fail the test, not
    // hold CI until its own limit: SIGKILL after BATCH_LIMIT, which fails the asserts.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watchdog = {
        let (done, pid) = (done.clone(), child.id().to_string());
        std::thread::spawn(move || {
            let start = Instant::now();
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                if start.elapsed() > BATCH_LIMIT {
                    let _ = Command::new("kill").args(["-KILL", &pid]).status();
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    let output = child.wait_with_output().unwrap();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    watchdog.join().unwrap();
    let survivors = survivors
        .iter_mut()
        .zip(at_kill)
        .map(|((_, r), before)| (before, r.plans_answered()))
        .collect();
    Run {
        output,
        out,
        victim_answered,
        survivors,
    }
}

/// Every scenario once in the summary, planned OPTIMAL, with its plan file; the
/// survivors took the load after the kill; plans equal to in-process ones.
fn assert_every_scenario_planned_once(run: &Run, dir: &Path) {
    use std::os::unix::process::ExitStatusExt;
    assert_ne!(
        run.output.status.signal(),
        Some(9),
        "the batch hung: killed after {BATCH_LIMIT:?}"
    );
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    assert!(run.output.status.success(), "the batch failed: {stderr}");
    let rows = summary(&run.out);
    let mut names: Vec<&str> = rows.iter().map(|(name, _)| name.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(rows.len(), SCENARIOS, "one summary row per scenario");
    assert_eq!(names.len(), SCENARIOS, "no scenario twice");
    for (name, status) in &rows {
        assert_eq!(status, "OPTIMAL", "{name}");
        assert!(run.out.join(format!("{name}.plan.json")).exists(), "{name}");
    }
    for (before, after) in &run.survivors {
        assert!(
            after > before,
            "a survivor took no call after the kill: {run:?}"
        );
    }
    // At most the 6 calls in flight can have been answered, unseen, between the last
    // reading of the victim's count and its death.
    let survivors_total: u64 = run.survivors.iter().map(|(_, after)| after).sum();
    assert!(
        survivors_total + run.victim_answered + 6 >= SCENARIOS as u64,
        "the survivors answered {survivors_total}, the victim {}: plans are missing",
        run.victim_answered
    );
    for name in ["s000", "s077", "s199"] {
        let local = Command::new(BIN)
            .args([
                "plan",
                dir.join("in")
                    .join(format!("{name}.json"))
                    .to_str()
                    .unwrap(),
            ])
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert!(local.status.success());
        let remote = std::fs::read_to_string(run.out.join(format!("{name}.plan.json"))).unwrap();
        assert_eq!(
            without_solve_time(&remote),
            without_solve_time(&String::from_utf8(local.stdout).unwrap()),
            "{name}: the remote plan differs from the in-process one"
        );
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "victim answered {}, survivors (at kill, at end) {:?}",
            self.victim_answered, self.survivors
        )
    }
}

fn without_solve_time(plan: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(plan).unwrap();
    v["solver"]["seconds"] = serde_json::Value::Null;
    v
}

/// With retries off, the killed replica's calls come back FAILED: the proof that the
/// kill cuts calls and that the retry is what saves them.
fn assert_calls_were_lost(run: &Run) {
    assert!(!run.output.status.success(), "{run:?}");
    let failed: Vec<(String, String)> = summary(&run.out)
        .into_iter()
        .filter(|(_, status)| status == "FAILED")
        .collect();
    assert!(!failed.is_empty(), "no call was cut: {run:?}");
    let stdout = String::from_utf8_lossy(&run.output.stdout);
    assert!(
        stdout.contains("UNAVAILABLE") || stdout.contains("the call was cut"),
        "the failures name what happened: {stdout}"
    );
}

fn three_replicas(extra: &[&str]) -> Vec<Replica> {
    (0..3).map(|_| Replica::start(extra)).collect()
}

fn comma_separated(fleet: &[Replica]) -> String {
    fleet.iter().map(Replica::url).collect::<Vec<_>>().join(",")
}

#[test]
fn a_batch_over_three_replicas_plans_every_scenario_once_when_one_is_killed_mid_call() {
    let dir = scratch("client-side-balancing");
    let mut fleet = three_replicas(&[]);
    let servers = comma_separated(&fleet);
    let run = batch_killing(&dir, &servers, 4, &mut fleet, 1);
    assert_every_scenario_planned_once(&run, &dir);
}

/// A replica that hangs (SIGSTOP) answers nothing, not even a reset: the client's
/// HTTP/2 pings find it out, its calls go to the others, and the batch ends.
#[test]
fn a_batch_over_three_replicas_plans_every_scenario_once_when_one_hangs_mid_call() {
    let dir = scratch("client-side-balancing-hung");
    let mut fleet = three_replicas(&[]);
    let servers = comma_separated(&fleet);
    let run = batch_ending(&dir, &servers, 4, &mut fleet, 1, Replica::stop);
    assert_every_scenario_planned_once(&run, &dir);
}

#[test]
fn without_retries_a_replica_killed_mid_call_loses_its_calls() {
    let dir = scratch("client-side-balancing-no-retries");
    let mut fleet = three_replicas(&[]);
    let servers = comma_separated(&fleet);
    let run = batch_killing(&dir, &servers, 0, &mut fleet, 1);
    assert_calls_were_lost(&run);
}

#[test]
fn a_batch_starts_when_listed_replicas_are_down_or_unknown_and_fails_when_all_are() {
    let dir = scratch("client-side-one-down");
    generated_folder(&dir.join("in"));
    let fleet = three_replicas(&[]);
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let servers = format!(
        "{dead},http://no-such-replica.invalid:50051,{},{}",
        fleet[0].url(),
        fleet[1].url()
    );
    let out = dir.join("out");
    let run = Command::new(BIN)
        .args([
            "batch",
            dir.join("in").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--server", &servers])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(summary(&out).len(), SCENARIOS);

    let none = Command::new(BIN)
        .args(["plan", dir.join("in/s000.json").to_str().unwrap()])
        .args(["--server", &format!("{dead},{dead}")])
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(1));
    assert!(none.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&none.stderr);
    assert!(stderr.contains("no replica answers"), "{stderr}");
}

// ---- through nginx ----

/// nginx from Debian's packages, when installed; under CI its absence is a failure.
fn nginx_binary() -> Option<PathBuf> {
    let found = std::env::var_os("FLUIDITY_NGINX")
        .map(PathBuf::from)
        .or_else(|| {
            ["/usr/sbin/nginx", "/usr/bin/nginx"]
                .iter()
                .map(PathBuf::from)
                .find(|p| p.exists())
        });
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "nginx is not installed (.ci/run installs Debian's nginx)"
        );
        eprintln!("nginx not installed: the nginx scale-out test is skipped");
    }
    found
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// nginx running the shipped `deploy/nginx/fluidity.conf`, its three upstream ports
/// and its listening port rewritten to the test's; stops when dropped.
struct Nginx {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Nginx {
    fn start(binary: &Path, dir: &Path, replicas: &[u16]) -> Nginx {
        let shipped = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/nginx/fluidity.conf"),
        )
        .unwrap();
        let port = free_port();
        let mut conf = shipped.replace(
            "listen 127.0.0.1:8080 http2;",
            &format!("listen 127.0.0.1:{port} http2;"),
        );
        for (k, replica) in replicas.iter().enumerate() {
            conf = conf.replace(
                &format!("server 127.0.0.1:{} ", 50051 + k),
                &format!("server 127.0.0.1:{replica} "),
            );
        }
        assert!(
            conf.contains(&format!(":{port} http2")),
            "the shipped listen line moved"
        );
        for replica in replicas {
            assert!(
                conf.contains(&format!("127.0.0.1:{replica} max_fails")),
                "the shipped upstream lines moved"
            );
        }
        let dir = dir.join("nginx");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("fluidity.conf"), conf).unwrap();
        let d = dir.display();
        std::fs::write(
            dir.join("nginx.conf"),
            format!(
                "worker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
                 events {{ worker_connections 1024; }}\n\
                 http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
                 fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
                 include {d}/fluidity.conf;\n}}\n"
            ),
        )
        .unwrap();
        let child = Command::new(binary)
            .args([
                "-p",
                &d.to_string(),
                "-c",
                &format!("{d}/nginx.conf"),
                "-g",
                "daemon off;",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut nginx = Nginx { child, port, dir };
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = nginx.child.try_wait() {
                let mut stderr = String::new();
                nginx
                    .child
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut stderr)
                    .unwrap();
                panic!("nginx exited ({status}): {stderr}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "nginx did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        nginx
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn errors(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    /// SIGTERM, so the master stops its workers: a SIGKILLed master leaves them running.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The store three replicas share: PostgreSQL when CI provides one, else one SQLite file.
fn shared_store(name: &str) -> String {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let urls = runtime.block_on(stores::fresh_urls(name));
    urls.last().unwrap().clone()
}

fn replicas_on_store(dir: &Path, store: &str) -> Vec<Replica> {
    let tokens = dir.join("tokens");
    std::fs::write(&tokens, format!("analyst:{TOKEN}\n")).unwrap();
    three_replicas(&["--store", store, "--auth-tokens", tokens.to_str().unwrap()])
}

/// Saves `n` generated scenarios as drafts of portfolio `scale` through `server`,
/// each with its own idempotency key; the ids answered.
fn save_with_keys(server: &str, dir: &Path, n: usize) -> Vec<i64> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let endpoint = Endpoint {
            token: Some(TOKEN.to_string()),
            ..Endpoint::plain(server)
        };
        let mut client = LifecycleClient::connect(&endpoint).await.unwrap();
        let mut ids = Vec::new();
        for k in 0..n {
            let text = std::fs::read_to_string(dir.join(format!("in/s{k:03}.json"))).unwrap();
            let scenario = fluidity_solvers::Scenario::from_json(&text).unwrap();
            let (saved, _) = client
                .save_plan("scale", &scenario, Some(&format!("save-{k}")))
                .await
                .unwrap_or_else(|e| panic!("save {k}: {e}"));
            ids.push(saved.id);
        }
        ids
    })
}

#[test]
fn a_batch_through_nginx_plans_every_scenario_once_when_a_replica_is_killed_mid_call() {
    let Some(binary) = nginx_binary() else { return };
    let dir = scratch("nginx-balancing");
    generated_folder(&dir.join("in"));
    let store = shared_store("nginx_balancing");
    let mut fleet = replicas_on_store(&dir, &store);
    let ports: Vec<u16> = fleet.iter().map(Replica::port).collect();
    let nginx = Nginx::start(&binary, &dir, &ports);
    let url = nginx.url();
    // Saves through the balancer while the batch runs and the replica dies.
    let saves = {
        let (url, dir) = (url.clone(), dir.clone());
        std::thread::spawn(move || save_with_keys(&url, &dir, 40))
    };
    let run = batch_killing(&dir, &url, 4, &mut fleet, 2);
    assert_every_scenario_planned_once(&run, &dir);
    let ids = saves.join().unwrap();
    let mut distinct = ids.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 40, "one plan per key: {ids:?}");
    // The store holds exactly those plans: a retried save stored nothing twice.
    let list = Command::new(BIN)
        .args([
            "plans",
            "list",
            "--store",
            &store,
            "--format",
            "json",
            "--portfolio",
            "scale",
        ])
        .output()
        .unwrap();
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let listed: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(listed.as_array().map(Vec::len), Some(40), "{listed}");
    assert!(
        !nginx.errors().contains("[emerg]"),
        "nginx complained: {}",
        nginx.errors()
    );
}

#[test]
fn through_nginx_without_retries_a_replica_killed_mid_call_loses_its_calls() {
    let Some(binary) = nginx_binary() else { return };
    let dir = scratch("nginx-balancing-no-retries");
    let mut fleet = three_replicas(&[]);
    let ports: Vec<u16> = fleet.iter().map(Replica::port).collect();
    let nginx = Nginx::start(&binary, &dir, &ports);
    let run = batch_killing(&dir, &nginx.url(), 0, &mut fleet, 0);
    assert_calls_were_lost(&run);
}
