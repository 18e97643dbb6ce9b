#![allow(dead_code)] // each test file uses part of it
//! Several `fluidity serve` replicas on loopback for the scale-out tests: started,
//! read through their `/metrics`, killed with SIGKILL; and a folder of generated
//! scenarios for a batch to spread over them.

use fluidity_solvers::generate::{generate, Shape};
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

/// One `fluidity serve` with its gRPC and metrics addresses.
pub struct Replica {
    child: Child,
    /// `127.0.0.1:PORT` of its gRPC service.
    pub addr: String,
    metrics: String,
    pub killed: bool,
}

impl Replica {
    /// Starts `fluidity serve` on free loopback ports with `extra` flags.
    pub fn start(extra: &[&str]) -> Replica {
        let (child, addr, metrics) = crate::common::spawn_server_with_metrics(extra);
        Replica {
            child,
            addr,
            metrics,
            killed: false,
        }
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The port of its gRPC service.
    pub fn port(&self) -> u16 {
        self.addr.rsplit_once(':').unwrap().1.parse().unwrap()
    }

    /// Its `/metrics` text.
    pub fn metrics(&self) -> String {
        crate::common::metrics_text(&self.metrics)
    }

    /// Plan calls it answered OK so far.
    pub fn plans_answered(&self) -> u64 {
        metric(
            &self.metrics(),
            "fluidity_calls_total{method=\"Plan\",code=\"OK\"}",
        ) as u64
    }

    /// Solves running plus calls queued for a solve slot.
    pub fn calls_inside(&self) -> u64 {
        let text = self.metrics();
        (metric(&text, "fluidity_solves_in_flight") + metric(&text, "fluidity_queue_depth")) as u64
    }

    /// SIGSTOP: the process hangs with its connections open; nothing answers on them,
    /// not even HTTP/2 pings (the kernel still accepts TCP). Killed when dropped.
    pub fn stop(&mut self) {
        let status = std::process::Command::new("kill")
            .args(["-STOP", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        self.killed = true;
    }

    /// SIGKILL: no goodbye to its connections, calls cut mid-solve.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.killed = true;
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of the sample named exactly `name` (with its labels) in a Prometheus
/// text exposition; 0 when absent.
pub fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .filter_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .filter_map(|v| v.trim().parse::<f64>().ok())
        .sum()
}

/// Scenarios planned in a test batch, each about a tenth of a second in a debug build,
/// so calls are in flight on every replica at any moment of the batch.
pub const SCENARIOS: usize = 200;

/// Writes [`SCENARIOS`] generated scenarios (`s000.json`, ...) into `dir`.
pub fn generated_folder(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for seed in 0..SCENARIOS {
        let scenario = generate(Shape {
            initiatives: 60,
            resources: 3,
            periods: 6,
            seed: seed as u64 + 1,
            integral_share: 0.0,
        });
        std::fs::write(
            dir.join(format!("s{seed:03}.json")),
            serde_json::to_string_pretty(&scenario).unwrap(),
        )
        .unwrap();
    }
}

/// Waits until `victim` is in the middle of a call, after the replicas together have
/// answered at least `answered` plans, then kills it; returns its count of plans
/// answered just before. Panics after a minute.
pub fn kill_mid_call(victim: &mut Replica, all: &[&Replica], answered: u64) -> u64 {
    end_mid_call(victim, all, answered, Replica::kill)
}

/// As [`kill_mid_call`], with `end` (SIGKILL or SIGSTOP) what happens to the victim.
pub fn end_mid_call(
    victim: &mut Replica,
    all: &[&Replica],
    answered: u64,
    end: fn(&mut Replica),
) -> u64 {
    let start = Instant::now();
    loop {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the batch never reached {answered} plans with a call on the victim"
        );
        let total: u64 =
            all.iter().map(|r| r.plans_answered()).sum::<u64>() + victim.plans_answered();
        if total >= answered && victim.calls_inside() > 0 {
            let before = victim.plans_answered();
            end(victim);
            return before;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The batch summary's rows as (scenario, status).
pub fn summary(out: &Path) -> Vec<(String, String)> {
    csv::Reader::from_path(out.join("summary.csv"))
        .unwrap()
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[2].to_string())
        })
        .collect()
}
