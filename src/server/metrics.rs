//! Prometheus metrics in the text exposition format: calls by method and status,
//! solve time histograms by solver and problem size, queue depth and solves in flight.
//! A few counters behind mutexes: cheap next to any solve, and no dependency.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

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

/// Everything the server counts.
#[derive(Debug, Default)]
pub struct Metrics {
    calls: Mutex<BTreeMap<(String, String), u64>>,
    solves: Mutex<BTreeMap<(String, &'static str), Histogram>>,
    pub(crate) queued: AtomicUsize,
    pub(crate) in_flight: AtomicUsize,
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
    /// One finished call: its method (`Plan`) and status code name (`OK`).
    pub fn call(&self, method: &str, code: &str) {
        *self
            .calls
            .lock()
            .expect("no panics while counting")
            .entry((method.to_string(), code.to_string()))
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
                "fluidity_calls_total{{method=\"{method}\",code=\"{code}\"}} {n}"
            );
        }
        out.push_str("# HELP fluidity_solve_seconds Solve time of plans, by solver and problem size (LP columns).\n# TYPE fluidity_solve_seconds histogram\n");
        for ((solver, size), h) in self.solves.lock().expect("no panics while counting").iter() {
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

/// Serves `GET /metrics` over plain HTTP/1.1 on `listener` until `shutdown`.
pub async fn serve_metrics(
    listener: TcpListener,
    metrics: std::sync::Arc<Metrics>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((mut stream, _)) = accepted else {
            continue;
        };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let mut request = Vec::with_capacity(512);
            let mut buf = [0u8; 512];
            // Read the request head (bounded); the body, if any, is ignored.
            while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 8192 {
                match tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut buf))
                    .await
                {
                    Ok(Ok(n)) if n > 0 => request.extend_from_slice(&buf[..n]),
                    _ => return,
                }
            }
            let head = String::from_utf8_lossy(&request);
            let (status, body) = if head.starts_with("GET /metrics ") {
                ("200 OK", metrics.render())
            } else {
                (
                    "404 Not Found",
                    "only GET /metrics is served here\n".to_string(),
                )
            };
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        });
    }
}
