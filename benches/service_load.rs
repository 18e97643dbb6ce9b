//! Plan calls against an in-process `fluidity serve`: latency over sequential calls
//! and throughput at a given concurrency, with a Rust tonic client (a Python client
//! saturates first on 2 cores). Bounded in calls and time, loopback only.
//!
//! cargo bench --bench service_load -- [SCENARIO.json] [CALLS] [CONCURRENCY...]

use fluidity::server::{serve, ServerConfig};
use fluidity::wire::convert::scenario_to_proto;
use fluidity::wire::proto::fluidity_service_client::FluidityServiceClient;
use fluidity::wire::proto::PlanRequest;
use fluidity_solvers::Scenario;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let file = args
        .first()
        .cloned()
        .unwrap_or_else(|| "examples/tiered.json".to_string());
    let calls: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let levels: Vec<usize> = if args.len() > 2 {
        args[2..].iter().filter_map(|a| a.parse().ok()).collect()
    } else {
        vec![1, 16]
    };
    let scenario = Scenario::from_json(&std::fs::read_to_string(&file).expect("scenario file"))
        .expect("scenario");
    let request = PlanRequest {
        id: String::new(),
        scenario: Some(scenario_to_proto(&scenario)),
    };

    let server_runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = server_runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    server_runtime.spawn(serve(
        listener,
        ServerConfig::default(),
        std::future::pending(),
    ));

    let client_runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!("scenario {file}, {calls} calls per level, server solve slots = cores");
    for &concurrency in &levels {
        let (latencies, wall) = client_runtime.block_on(run(&url, &request, calls, concurrency));
        report(concurrency, &latencies, wall);
    }
}

async fn run(
    url: &str,
    request: &PlanRequest,
    calls: usize,
    concurrency: usize,
) -> (Vec<Duration>, Duration) {
    let per_worker = calls.div_ceil(concurrency);
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (url, request) = (url.to_string(), request.clone());
            tokio::spawn(async move {
                let mut client = FluidityServiceClient::connect(url).await.unwrap();
                let mut latencies = Vec::with_capacity(per_worker);
                for _ in 0..per_worker {
                    let t = Instant::now();
                    client.plan(request.clone()).await.expect("plan call");
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::with_capacity(calls);
    for w in workers {
        all.extend(w.await.unwrap());
    }
    (all, started.elapsed())
}

fn report(concurrency: usize, latencies: &[Duration], wall: Duration) {
    let mut ms: Vec<f64> = latencies.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "concurrency {concurrency:>3}: {} calls, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {:.0} plans/s",
        ms.len(),
        at(0.50),
        at(0.99),
        ms[ms.len() - 1],
        ms.len() as f64 / wall.as_secs_f64()
    );
}
