//! Prometheus metrics in the text exposition format: calls by method and status,
//! solve time histograms by solver and problem size, queue depth and solves in flight.
//! A few counters behind mutexes: cheap next to any solve.
//!
//! Every label comes from a closed set (the service's methods and `unknown`, gRPC
//! code names, solver names, size buckets), so no caller can add a series, and every
//! label value is escaped by the exposition rules all the same. (prometheus-client
//! was considered: it writes label values unescaped, client_rust issue #151.) The
//! HTTP side is `metrics_endpoint`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Upper bounds (seconds) of the solve time histogram's buckets.
const BUCKETS: [f64; 11] = [
    0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 60.0, 300.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// A method as the metrics name it: the service's own, health and reflection, and
/// `unknown` for any other path (made-up names included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    Plan,
    PlanStream,
    Validate,
    Compare,
    Sweep,
    Explain,
    /// Any call of `fluidity.v1.PlanLifecycleService`.
    Lifecycle,
    Health,
    Reflection,
    Unknown,
}

impl Method {
    /// The method a request path (`/fluidity.v1.FluidityService/Plan`) calls.
    pub fn from_path(path: &str) -> Method {
        let (service, method) = path
            .strip_prefix('/')
            .and_then(|p| p.split_once('/'))
            .unwrap_or(("", ""));
        match (service, method) {
            ("fluidity.v1.FluidityService", "Plan") => Method::Plan,
            ("fluidity.v1.FluidityService", "PlanStream") => Method::PlanStream,
            ("fluidity.v1.FluidityService", "Validate") => Method::Validate,
            ("fluidity.v1.FluidityService", "Compare") => Method::Compare,
            ("fluidity.v1.FluidityService", "Sweep") => Method::Sweep,
            ("fluidity.v1.FluidityService", "Explain") => Method::Explain,
            ("fluidity.v1.PlanLifecycleService", _) => Method::Lifecycle,
            ("grpc.health.v1.Health", "Check" | "Watch") => Method::Health,
            (
                "grpc.reflection.v1.ServerReflection" | "grpc.reflection.v1alpha.ServerReflection",
                "ServerReflectionInfo",
            ) => Method::Reflection,
            _ => Method::Unknown,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Method::Plan => "Plan",
            Method::PlanStream => "PlanStream",
            Method::Validate => "Validate",
            Method::Compare => "Compare",
            Method::Sweep => "Sweep",
            Method::Explain => "Explain",
            Method::Lifecycle => "PlanLifecycle",
            Method::Health => "Health",
            Method::Reflection => "Reflection",
            Method::Unknown => "unknown",
        }
    }
}

/// Everything the server counts.
#[derive(Debug, Default)]
pub struct Metrics {
    calls: Mutex<BTreeMap<(Method, &'static str), u64>>,
    solves: Mutex<BTreeMap<(String, &'static str), Histogram>>,
    pub(crate) queued: AtomicUsize,
    pub(crate) in_flight: AtomicUsize,
    /// Set at the shutdown signal: the health service says NOT_SERVING from then on,
    /// and so does `/healthz` on the metrics port.
    stopping: std::sync::atomic::AtomicBool,
}

/// A label value as the text exposition format needs it: backslash, double quote
/// and line feed escaped.
pub fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// The size bucket of a problem, by LP columns.
pub fn size_bucket(variables: u32) -> &'static str {
    match variables {
        0..1_000 => "lt1k",
        1_000..10_000 => "1k-10k",
        10_000..100_000 => "10k-100k",
        _ => "ge100k",
    }
}

impl Metrics {
    /// The server has been told to stop: it takes no new calls.
    pub fn stop_serving(&self) {
        self.stopping
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Whether the server takes calls (false from the shutdown signal on).
    pub fn serving(&self) -> bool {
        !self.stopping.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// One finished call (or stream message): its method and status code.
    pub fn call(&self, method: Method, code: tonic::Code) {
        *self
            .calls
            .lock()
            .expect("no panics while counting")
            .entry((method, crate::wire::status::code_name(code)))
            .or_default() += 1;
    }

    /// One finished solve.
    pub fn solve(&self, solver: &str, variables: u32, seconds: f64) {
        let mut solves = self.solves.lock().expect("no panics while counting");
        let h = solves
            .entry((solver.to_string(), size_bucket(variables)))
            .or_default();
        for (k, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.counts[k] += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP fluidity_calls_total gRPC calls answered, by method and status code.\n# TYPE fluidity_calls_total counter\n");
        for ((method, code), n) in self.calls.lock().expect("no panics while counting").iter() {
            let _ = writeln!(
                out,
                "fluidity_calls_total{{method=\"{}\",code=\"{}\"}} {n}",
                escape_label(method.name()),
                escape_label(code),
            );
        }
        out.push_str("# HELP fluidity_solve_seconds Solve time of plans, by solver and problem size (LP columns).\n# TYPE fluidity_solve_seconds histogram\n");
        for ((solver, size), h) in self.solves.lock().expect("no panics while counting").iter() {
            let solver = escape_label(solver);
            for (k, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "fluidity_solve_seconds_bucket{{solver=\"{solver}\",size=\"{size}\",le=\"{bound}\"}} {}",
                    h.counts[k]
                );
            }
            let _ = writeln!(out, "fluidity_solve_seconds_bucket{{solver=\"{solver}\",size=\"{size}\",le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(
                out,
                "fluidity_solve_seconds_sum{{solver=\"{solver}\",size=\"{size}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "fluidity_solve_seconds_count{{solver=\"{solver}\",size=\"{size}\"}} {}",
                h.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP fluidity_queue_depth Calls waiting for a solve slot.\n# TYPE fluidity_queue_depth gauge\nfluidity_queue_depth {}",
            self.queued.load(Ordering::SeqCst)
        );
        let _ = writeln!(
            out,
            "# HELP fluidity_solves_in_flight Solves running now.\n# TYPE fluidity_solves_in_flight gauge\nfluidity_solves_in_flight {}",
            self.in_flight.load(Ordering::SeqCst)
        );
        out
    }
}
