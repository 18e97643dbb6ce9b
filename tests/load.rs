//! Load and fault tests against `fluidity serve` on loopback, bounded in calls and
//! time: a mixed load at concurrency 64 (FLUIDITY_LOAD_SECONDS, default 10; CI runs
//! 60) where every answer must match its request, memory must come back, SIGTERM in
//! the middle of load, and cancelled calls giving back their queue places.

use fluidity::client::{connect, Endpoint};
use fluidity::wire::convert::{plan_from_proto, scenario_to_proto};
use fluidity::wire::proto::PlanRequest;
use fluidity_solvers::generate::{generate, Shape};
use fluidity_solvers::{plan, PlanOptions, Scenario};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tonic::Code;

mod common;

fn serve(args: &[&str]) -> (Child, String) {
    let args = [&["--addr", "127.0.0.1:0"], args].concat();
    let (child, addr) = common::spawn_server(&args, None);
    (child, format!("http://{addr}"))
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap()
}

/// What each kind of request must be answered with.
#[derive(Clone)]
enum Expect {
    Objective(f64),
    Code(Code),
}

fn mix() -> Vec<(&'static str, Scenario, Expect)> {
    let example = |name: &str| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(name);
        Scenario::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let objective =
        |s: &Scenario| Expect::Objective(plan(s, &PlanOptions::default()).unwrap().objective);
    let small = example("tiered.json");
    let medium = generate(Shape {
        initiatives: 60,
        resources: 4,
        periods: 6,
        seed: 7,
        integral_share: 0.0,
    });
    let infeasible = example("infeasible.json");
    let mut invalid = example("tiered.json");
    invalid.resources[0].capacity = vec![-1.0];
    vec![
        ("small", small.clone(), objective(&small)),
        ("medium", medium.clone(), objective(&medium)),
        ("infeasible", infeasible.clone(), objective(&infeasible)),
        ("invalid", invalid, Expect::Code(Code::InvalidArgument)),
    ]
}

#[test]
fn a_mixed_load_at_concurrency_64_answers_every_call_with_its_own_right_answer() {
    let seconds: u64 = std::env::var("FLUIDITY_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let (mut child, url) = serve(&["--queue-limit", "64"]);
    let pid = child.id();
    let mix = Arc::new(mix());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    // Warm up, then measure the resident set before the load.
    runtime.block_on(async {
        let mut c = connect(&Endpoint::plain(&url)).await.unwrap();
        for (_, s, _) in mix.iter() {
            let _ = c
                .plan(PlanRequest {
                    id: "warm".into(),
                    scenario: Some(scenario_to_proto(s)),
                })
                .await;
        }
    });
    let rss_before = rss_kib(pid);

    let counts: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
    let latencies: Arc<Mutex<Vec<f64>>> = Arc::default();
    let wrong = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    runtime.block_on(async {
        let workers: Vec<_> = (0..64)
            .map(|w| {
                let (url, mix, counts, latencies, wrong) = (
                    url.clone(),
                    mix.clone(),
                    counts.clone(),
                    latencies.clone(),
                    wrong.clone(),
                );
                tokio::spawn(async move {
                    let mut client = connect(&Endpoint::plain(&url)).await.unwrap();
                    let mut k = w;
                    while Instant::now() < deadline {
                        let (kind, scenario, expect) = &mix[k % mix.len()];
                        let id = format!("{w}-{k}");
                        let started = Instant::now();
                        let answer = client
                            .plan(PlanRequest {
                                id: id.clone(),
                                scenario: Some(scenario_to_proto(scenario)),
                            })
                            .await;
                        latencies
                            .lock()
                            .unwrap()
                            .push(started.elapsed().as_secs_f64() * 1e3);
                        let code = match &answer {
                            Ok(_) => "OK".to_string(),
                            Err(s) => format!("{:?}", s.code()),
                        };
                        *counts
                            .lock()
                            .unwrap()
                            .entry(format!("{kind} {code}"))
                            .or_default() += 1;
                        let right = match (answer, expect) {
                            (Ok(r), Expect::Objective(obj)) => {
                                let r = r.into_inner();
                                r.id == id
                                    && plan_from_proto(r.plan.unwrap()).unwrap().objective == *obj
                            }
                            (Err(s), Expect::Code(c)) => s.code() == *c,
                            _ => false,
                        };
                        if !right {
                            wrong.fetch_add(1, Ordering::SeqCst);
                        }
                        k += 1;
                    }
                })
            })
            .collect();
        for w in workers {
            w.await.unwrap();
        }
    });
    std::thread::sleep(Duration::from_millis(500));
    let rss_after = rss_kib(pid);
    let mut ms = latencies.lock().unwrap().clone();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q) as usize];
    println!(
        "load: {} calls in {seconds} s at concurrency 64, p50 {:.1} ms, p99 {:.1} ms; by kind and status {:?}; RSS {} KiB before, {} KiB after",
        ms.len(),
        at(0.5),
        at(0.99),
        counts.lock().unwrap(),
        rss_before,
        rss_after
    );
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        wrong.load(Ordering::SeqCst),
        0,
        "answers that did not match their request: {:?}",
        counts.lock().unwrap()
    );
    assert!(ms.len() >= 64, "the load ran");
    assert!(
        rss_after < rss_before + 200 * 1024,
        "memory did not come back: {rss_before} KiB -> {rss_after} KiB"
    );
}

#[test]
fn sigterm_under_load_finishes_in_flight_calls_refuses_new_ones_and_exits_0() {
    let (mut child, url) = serve(&["--shutdown-grace", "60"]);
    let mix = Arc::new(mix());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, refused, other) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(Mutex::new(Vec::new())),
    );
    let workers: Vec<_> = (0..16)
        .map(|w| {
            let (url, mix, stop, ok, refused, other) = (
                url.clone(),
                mix.clone(),
                stop.clone(),
                ok.clone(),
                refused.clone(),
                other.clone(),
            );
            runtime.spawn(async move {
                let Ok(mut client) = connect(&Endpoint::plain(&url)).await else {
                    return;
                };
                let mut k = w;
                while !stop.load(Ordering::SeqCst) {
                    let (_, scenario, _) = &mix[k % 3]; // valid kinds only
                    match client
                        .plan(PlanRequest {
                            id: k.to_string(),
                            scenario: Some(scenario_to_proto(scenario)),
                        })
                        .await
                    {
                        Ok(_) => ok.fetch_add(1, Ordering::SeqCst),
                        Err(s) if matches!(s.code(), Code::Unavailable | Code::Cancelled) => {
                            refused.fetch_add(1, Ordering::SeqCst);
                            break;
                        }
                        Err(s) => {
                            other
                                .lock()
                                .unwrap()
                                .push(format!("{:?}: {}", s.code(), s.message()));
                            break;
                        }
                    };
                    k += 1;
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    let done_before = ok.load(Ordering::SeqCst);
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    runtime.block_on(async {
        for w in workers {
            let _ = w.await;
        }
    });
    assert_eq!(status.code(), Some(0), "a clean exit after SIGTERM");
    assert!(done_before > 0, "the load was running");
    assert!(
        other.lock().unwrap().is_empty(),
        "unexpected failures: {:?}",
        other.lock().unwrap()
    );
    // After the exit nothing is served.
    let after = runtime.block_on(fluidity::client::plan(&Endpoint::plain(&url), &mix[0].1));
    assert!(after.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_that_gives_up_while_queued_gives_its_place_back() {
    use fluidity::server::{serve, ServerConfig, SolveHook};
    let gate = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
    let g = gate.clone();
    let hook: SolveHook = Arc::new(move |_| {
        let (lock, open) = &*g;
        let mut is_open = lock.lock().unwrap();
        while !*is_open {
            is_open = open.wait(is_open).unwrap();
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let config = ServerConfig {
        max_concurrent_solves: 1,
        queue_limit: 1,
        before_solve: Some(hook),
        ..ServerConfig::default()
    };
    let metrics = config.metrics.clone();
    let gauge = move |line: &'static str| {
        let metrics = metrics.clone();
        move || metrics.render().lines().any(|l| l == line)
    };
    tokio::spawn(serve(listener, config, std::future::pending()));
    let scenario = mix()[0].1.clone();
    let call = |timeout: Option<Duration>| {
        let (url, scenario) = (url.clone(), scenario.clone());
        tokio::spawn(async move {
            let mut client = connect(&Endpoint::plain(&url)).await.unwrap();
            let mut request = tonic::Request::new(PlanRequest {
                id: "x".into(),
                scenario: Some(scenario_to_proto(&scenario)),
            });
            if let Some(t) = timeout {
                request.set_timeout(t);
            }
            client.plan(request).await.map(|_| ())
        })
    };
    let running = call(None);
    assert!(
        within(30, gauge("fluidity_solves_in_flight 1")).await,
        "the first call holds the slot"
    );
    // This one queues, then gives up (its deadline passes while it waits).
    let gave_up = call(Some(Duration::from_millis(300))).await.unwrap();
    assert_eq!(gave_up.unwrap_err().code(), Code::DeadlineExceeded);
    // Its place is free again: the next call queues instead of being refused.
    let queued = call(None);
    assert!(
        within(30, gauge("fluidity_queue_depth 1")).await,
        "the third call is queued"
    );
    let (lock, open) = &*gate;
    *lock.lock().unwrap() = true;
    open.notify_all();
    assert!(running.await.unwrap().is_ok());
    assert!(
        queued.await.unwrap().is_ok(),
        "the freed queue place was taken"
    );
}

/// A whole-unit portfolio asked for a proof of optimality (`mipGap` 0): lp_solve's
/// search runs for many minutes on it, so a solve that ends within seconds was
/// stopped, not finished.
fn endless() -> Scenario {
    let mut s = generate(Shape {
        initiatives: 100,
        resources: 4,
        periods: 6,
        seed: 5,
        integral_share: 1.0,
    });
    s.policy.mip_gap = Some(0.0);
    s.policy.solver = "lpsolve".to_string();
    s
}

/// A server with one solve slot, and a way to read its solves in flight.
async fn one_slot_server() -> (String, Arc<fluidity::server::Metrics>) {
    use fluidity::server::{serve, ServerConfig};
    let config = ServerConfig {
        max_concurrent_solves: 1,
        ..ServerConfig::default()
    };
    let metrics = config.metrics.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, config, std::future::pending()));
    (url, metrics)
}

/// Waits up to `seconds` for `condition`, polling the server's own gauges.
async fn within(seconds: u64, condition: impl Fn() -> bool) -> bool {
    let until = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < until {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    condition()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_goes_away_mid_solve_stops_its_solve() {
    let (url, metrics) = one_slot_server().await;
    let in_flight = || metrics.render().contains("fluidity_solves_in_flight 1");
    let call = tokio::spawn(async move {
        let mut client = connect(&Endpoint::plain(&url)).await.unwrap();
        client
            .plan(PlanRequest {
                id: "endless".into(),
                scenario: Some(scenario_to_proto(&endless())),
            })
            .await
    });
    assert!(within(60, in_flight).await, "the endless solve started");
    // The client goes away; its solve stops at lp_solve's next callback and frees
    // its slot, where finishing would take minutes.
    call.abort();
    assert!(
        within(10, || !in_flight()).await,
        "the abandoned solve still holds its slot after 10 s"
    );
    assert!(
        !metrics.render().contains("fluidity_solve_seconds_count"),
        "the solve finished instead of stopping"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_whose_client_goes_away_mid_solve_stops_its_solve() {
    let (url, metrics) = one_slot_server().await;
    let in_flight = || metrics.render().contains("fluidity_solves_in_flight 1");
    let call = tokio::spawn(async move {
        let mut client = connect(&Endpoint::plain(&url)).await.unwrap();
        let (send, receive) = tokio::sync::mpsc::channel(1);
        send.send(PlanRequest {
            id: "endless".into(),
            scenario: Some(scenario_to_proto(&endless())),
        })
        .await
        .unwrap();
        let mut answers = client
            .plan_stream(tokio_stream::wrappers::ReceiverStream::new(receive))
            .await
            .unwrap()
            .into_inner();
        let answer = answers.message().await;
        drop(send);
        answer
    });
    assert!(within(60, in_flight).await, "the streamed solve started");
    call.abort();
    assert!(
        within(10, || !in_flight()).await,
        "the abandoned stream's solve still holds its slot after 10 s"
    );
    assert!(
        !metrics.render().contains("fluidity_solve_seconds_count"),
        "the streamed solve finished instead of stopping"
    );
}
