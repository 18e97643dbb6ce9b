//! The gRPC service end to end: a server on an ephemeral port, a tonic client, every
//! RPC, and answers equal to in-process solves; plus load, queue, deadline and bad
//! input behaviour.

use fluidity::server::{serve, ServerConfig, SolveHook};
use fluidity::wire::convert::{plan_from_proto, scenario_to_proto};
use fluidity::wire::proto::fluidity_service_client::FluidityServiceClient;
use fluidity::wire::proto::{PlanRequest, ValidateRequest};
use fluidity_solvers::generate::{generate, Shape};
use fluidity_solvers::{plan, Plan, PlanOptions, Scenario};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use tonic::transport::Channel;
use tonic::Code;
use tonic_types::StatusExt;

struct Running {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn start(config: ServerConfig) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, config, async {
        let _ = stopped.await;
    }));
    Running {
        url,
        stop: Some(stop),
    }
}

async fn client(server: &Running) -> FluidityServiceClient<Channel> {
    FluidityServiceClient::connect(server.url.clone())
        .await
        .unwrap()
}

fn example(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name);
    Scenario::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn request(id: &str, scenario: &Scenario) -> PlanRequest {
    PlanRequest {
        id: id.to_string(),
        scenario: Some(scenario_to_proto(scenario)),
    }
}

/// A plan as JSON with the solve time blanked: everything else must match.
fn comparable(mut plan: Plan) -> String {
    plan.solver.seconds = 0.0;
    serde_json::to_string(&plan).unwrap()
}

fn in_process(scenario: &Scenario) -> String {
    comparable(plan(scenario, &PlanOptions::default()).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_over_grpc_equals_the_in_process_plan_for_every_example() {
    let server = start(ServerConfig::default()).await;
    let mut client = client(&server).await;
    for name in ["portfolio.json", "tiered.json", "infeasible.json"] {
        let scenario = example(name);
        let response = client
            .plan(request(name, &scenario))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(response.id, name);
        assert!(response.error.is_none());
        let remote = plan_from_proto(response.plan.unwrap()).unwrap();
        assert_eq!(comparable(remote), in_process(&scenario), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_infeasible_scenario_is_an_answer_not_an_error() {
    let server = start(ServerConfig::default()).await;
    let response = client(&server)
        .await
        .plan(request("x", &example("infeasible.json")))
        .await
        .unwrap()
        .into_inner();
    let plan = response.plan.unwrap();
    assert_eq!(
        plan.status,
        fluidity::wire::proto::Status::Infeasible as i32
    );
    assert!(!plan.diagnosis.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_scenario_is_invalid_argument_with_every_field_violation() {
    let server = start(ServerConfig::default()).await;
    let mut scenario = example("tiered.json");
    scenario.resources[0].capacity = vec![f64::NAN];
    scenario.initiatives[0]
        .requirements
        .insert("ghost".to_string(), 1.0);
    let status = client(&server)
        .await
        .plan(request("bad", &scenario))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<String> = status
        .get_details_bad_request()
        .expect("BadRequest details")
        .field_violations
        .into_iter()
        .map(|v| v.field)
        .collect();
    assert_eq!(
        fields,
        [
            "resources[0].capacity[0]",
            "initiatives[0].requirements.ghost"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_without_a_scenario_is_invalid_argument() {
    let server = start(ServerConfig::default()).await;
    let status = client(&server)
        .await
        .plan(PlanRequest {
            id: "empty".into(),
            scenario: None,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_enum_number_is_a_field_violation() {
    let server = start(ServerConfig::default()).await;
    let mut wire = scenario_to_proto(&example("tiered.json"));
    wire.initiatives[2].kind = 7;
    let status = client(&server)
        .await
        .plan(PlanRequest {
            id: "enum".into(),
            scenario: Some(wire),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        status.get_details_bad_request().unwrap().field_violations[0].field,
        "initiatives[2].kind"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_lists_every_problem_without_solving() {
    let server = start(ServerConfig::default()).await;
    let mut client = client(&server).await;
    let ok = client
        .validate(ValidateRequest {
            scenario: Some(scenario_to_proto(&example("portfolio.json"))),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(ok.valid && ok.violations.is_empty());
    assert_eq!(ok.variables, 696);

    let mut bad = example("portfolio.json");
    bad.periods[1].weight = Some(-1.0);
    bad.resources[2].reserve_min = Some(1.5);
    let answer = client
        .validate(ValidateRequest {
            scenario: Some(scenario_to_proto(&bad)),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!answer.valid);
    let fields: Vec<&str> = answer.violations.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(fields, ["periods[1].weight", "resources[2].reserveMin"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_stream_answers_each_request_by_id_and_survives_a_bad_one() {
    let server = start(ServerConfig::default()).await;
    let mut bad = example("tiered.json");
    bad.periods.clear();
    let requests = vec![
        request("portfolio", &example("portfolio.json")),
        request("bad", &bad),
        request("tiered", &example("tiered.json")),
        request("infeasible", &example("infeasible.json")),
    ];
    let mut answers = client(&server)
        .await
        .plan_stream(tokio_stream::iter(requests))
        .await
        .unwrap()
        .into_inner();
    let mut seen = std::collections::BTreeMap::new();
    while let Some(answer) = answers.message().await.unwrap() {
        seen.insert(answer.id.clone(), answer);
    }
    assert_eq!(seen.len(), 4);
    let error = seen["bad"]
        .error
        .as_ref()
        .expect("the bad scenario's error");
    assert_eq!(error.code, "INVALID_ARGUMENT");
    assert_eq!(error.violations[0].field, "periods");
    for id in ["portfolio", "tiered", "infeasible"] {
        let remote = plan_from_proto(seen[id].plan.clone().unwrap()).unwrap();
        assert_eq!(
            comparable(remote),
            in_process(&example(&format!("{id}.json"))),
            "{id}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_concurrent_plans_each_get_their_own_right_answer() {
    let server = start(ServerConfig {
        queue_limit: 64,
        ..ServerConfig::default()
    })
    .await;
    let scenarios: Vec<Scenario> = (0..32)
        .map(|seed| {
            generate(Shape {
                initiatives: 15 + seed as usize % 7,
                resources: 3,
                periods: 3,
                seed,
                integral_share: 0.0,
            })
        })
        .collect();
    let calls = scenarios.iter().enumerate().map(|(k, s)| {
        let url = server.url.clone();
        let req = request(&format!("call-{k}"), s);
        tokio::spawn(async move {
            let mut client = FluidityServiceClient::connect(url).await.unwrap();
            client.plan(req).await.map(|r| r.into_inner())
        })
    });
    let answers = futures_join(calls.collect()).await;
    for (k, answer) in answers.into_iter().enumerate() {
        let response = answer.unwrap_or_else(|s| panic!("call {k}: {s}"));
        assert_eq!(response.id, format!("call-{k}"));
        let remote = plan_from_proto(response.plan.unwrap()).unwrap();
        assert_eq!(comparable(remote), in_process(&scenarios[k]), "call {k}");
    }
}

async fn futures_join<T: Send + 'static>(handles: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

/// Opened once, lets every held solve go on.
type Gate = Arc<(Mutex<bool>, Condvar)>;

/// A hook that holds every solve until the gate opens, counting those it holds.
fn gate() -> (SolveHook, Arc<AtomicUsize>, Gate) {
    let held = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    let (h, g) = (held.clone(), gate.clone());
    let hook: SolveHook = Arc::new(move |_| {
        h.fetch_add(1, Ordering::SeqCst);
        let (lock, open) = &*g;
        let mut is_open = lock.lock().unwrap();
        while !*is_open {
            is_open = open.wait(is_open).unwrap();
        }
    });
    (hook, held, gate)
}

async fn wait_until(what: impl Fn() -> bool) {
    for _ in 0..500 {
        if what() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition not reached in 5 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_queue_calls_are_refused_with_resource_exhausted_and_the_others_succeed() {
    let (hook, held, gate) = gate();
    let config = ServerConfig {
        max_concurrent_solves: 1,
        queue_limit: 1,
        before_solve: Some(hook),
        ..ServerConfig::default()
    };
    let metrics = config.metrics.clone();
    let server = start(config).await;
    let scenario = example("tiered.json");
    let spawn_call = |id: &str| {
        let (url, req) = (server.url.clone(), request(id, &scenario));
        tokio::spawn(async move {
            FluidityServiceClient::connect(url)
                .await
                .unwrap()
                .plan(req)
                .await
        })
    };
    let running = spawn_call("running");
    wait_until(|| held.load(Ordering::SeqCst) == 1).await;
    let queued = spawn_call("queued");
    // An event, not a sleep: the second call is waiting in the queue.
    wait_until(|| {
        metrics
            .render()
            .lines()
            .any(|l| l == "fluidity_queue_depth 1")
    })
    .await;
    let refused = spawn_call("refused").await.unwrap().unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");

    let (lock, open) = &*gate;
    *lock.lock().unwrap() = true;
    open.notify_all();
    assert!(running.await.unwrap().is_ok());
    assert!(queued.await.unwrap().is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_inside_a_solve_is_internal_and_the_server_keeps_serving() {
    let hook: SolveHook = Arc::new(|s: &Scenario| {
        if s.name == "boom" {
            panic!("injected by the test");
        }
    });
    let server = start(ServerConfig {
        before_solve: Some(hook),
        ..ServerConfig::default()
    })
    .await;
    let mut client = client(&server).await;
    let mut boom = example("tiered.json");
    boom.name = "boom".to_string();
    let status = client.plan(request("boom", &boom)).await.unwrap_err();
    assert_eq!(status.code(), Code::Internal);
    assert!(client
        .plan(request("after", &example("tiered.json")))
        .await
        .is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_deadline_on_a_big_scenario_is_answered_promptly_and_the_server_stays_healthy() {
    let server = start(ServerConfig::default()).await;
    let big = generate(Shape {
        initiatives: 1500,
        resources: 6,
        periods: 6,
        seed: 3,
        integral_share: 0.0,
    });
    let mut req = tonic::Request::new(request("big", &big));
    req.set_timeout(Duration::from_millis(300));
    let started = std::time::Instant::now();
    let answer = client(&server).await.plan(req).await;
    let waited = started.elapsed();
    match answer {
        Err(status) => assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}"),
        Ok(response) => assert_eq!(
            response.into_inner().plan.unwrap().status,
            fluidity::wire::proto::Status::Feasible as i32
        ),
    }
    // Answered at the deadline, not after the solve would have finished.
    assert!(waited < Duration::from_secs(5), "answered after {waited:?}");

    let channel = Channel::from_shared(server.url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let serving = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        serving.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
    assert!(client(&server)
        .await
        .plan(request("small", &example("tiered.json")))
        .await
        .is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_the_size_limit_is_resource_exhausted_and_the_server_stays_up() {
    let server = start(ServerConfig {
        max_message_bytes: 2_000,
        ..ServerConfig::default()
    })
    .await;
    let mut client = client(&server).await;
    let status = client
        .plan(request("big", &example("portfolio.json")))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let small = fluidity_solvers::Scenario::from_json(
        r#"{"periods":[{"id":"q"}],"resources":[{"id":"eng","capacity":[1]}],"initiatives":[]}"#,
    )
    .unwrap();
    assert!(client.plan(request("small", &small)).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenario_above_the_variable_limit_is_invalid_argument() {
    let server = start(ServerConfig {
        limits: fluidity_solvers::Limits {
            max_variables: 100,
            ..Default::default()
        },
        ..ServerConfig::default()
    })
    .await;
    let status = client(&server)
        .await
        .plan(request("big", &example("portfolio.json")))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().contains("above the limit of 100"),
        "{}",
        status.message()
    );
}

fn finance(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/finance")
            .join(name),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_over_grpc_equals_the_in_process_comparison() {
    use fluidity_solvers::whatif::variant::Variant;
    let server = start(ServerConfig::default()).await;
    let base = Scenario::from_json(&finance("q4-portfolio.json")).unwrap();
    let variants =
        Variant::list_from_json(&finance("q4-portfolio.what-ifs.variants.json")).unwrap();
    let wire_variants: Vec<fluidity::wire::proto::Variant> = variants
        .iter()
        .map(|v| fluidity::wire::convert::via_json(v).unwrap())
        .collect();
    let response = client(&server)
        .await
        .compare(fluidity::wire::proto::CompareRequest {
            base: Some(scenario_to_proto(&base)),
            variants: wire_variants,
        })
        .await
        .unwrap()
        .into_inner();
    let remote: fluidity_solvers::whatif::compare::Comparison =
        fluidity::wire::convert::via_json(&response.comparison.unwrap()).unwrap();
    let local =
        fluidity_solvers::whatif::compare::compare(&base, &variants, &PlanOptions::default())
            .unwrap();
    assert_eq!(remote.variants.len(), 3);
    for (r, l) in remote.variants.iter().zip(&local.variants) {
        assert_eq!(r.name, l.name);
        assert_eq!(r.delta_objective, l.delta_objective);
        assert_eq!(r.priority_cost, l.priority_cost);
        assert_eq!(r.moves_appeared, l.moves_appeared);
    }
    assert_eq!(remote.initiatives, local.initiatives);
    assert_eq!(remote.resources, local.resources);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compare_with_an_unknown_id_is_invalid_argument_with_its_path() {
    let server = start(ServerConfig::default()).await;
    let base = Scenario::from_json(&finance("q4-portfolio.json")).unwrap();
    let variant = fluidity::wire::proto::Variant {
        name: "typo".into(),
        remove_initiatives: vec!["ghost".into()],
        ..Default::default()
    };
    let status = client(&server)
        .await
        .compare(fluidity::wire::proto::CompareRequest {
            base: Some(scenario_to_proto(&base)),
            variants: vec![variant],
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        status.get_details_bad_request().unwrap().field_violations[0].field,
        "variants[0].removeInitiatives[0]"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweep_over_grpc_equals_the_in_process_sweep() {
    use fluidity_solvers::whatif::sweep::{sweep, Parameter};
    let server = start(ServerConfig::default()).await;
    let base = example("tiered.json");
    let response = client(&server)
        .await
        .sweep(fluidity::wire::proto::SweepRequest {
            base: Some(scenario_to_proto(&base)),
            resource: "eng".into(),
            parameter: fluidity::wire::proto::Parameter::CapacityFactor as i32,
            values: vec![0.8, 1.0, 1.2],
        })
        .await
        .unwrap()
        .into_inner();
    let remote: fluidity_solvers::whatif::sweep::Sweep =
        fluidity::wire::convert::via_json(&response.sweep.unwrap()).unwrap();
    let local = sweep(
        &base,
        "eng",
        Parameter::CapacityFactor,
        &[0.8, 1.0, 1.2],
        &PlanOptions::default(),
    )
    .unwrap();
    let objectives = |s: &fluidity_solvers::whatif::sweep::Sweep| {
        s.points.iter().map(|p| p.objective).collect::<Vec<_>>()
    };
    assert_eq!(objectives(&remote), objectives(&local));
    assert_eq!(remote.changes, local.changes);
    assert_eq!(remote.ranges, local.ranges);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_without_a_parameter_is_invalid_argument() {
    let server = start(ServerConfig::default()).await;
    let status = client(&server)
        .await
        .sweep(fluidity::wire::proto::SweepRequest {
            base: Some(scenario_to_proto(&example("tiered.json"))),
            resource: "eng".into(),
            parameter: 0,
            values: vec![1.0],
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenario_above_the_constraint_limit_is_invalid_argument() {
    let server = start(ServerConfig {
        limits: fluidity_solvers::Limits {
            max_constraints: 50,
            ..Default::default()
        },
        ..ServerConfig::default()
    })
    .await;
    let status = client(&server)
        .await
        .plan(request("big", &example("portfolio.json")))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status
            .message()
            .contains("constraints, above the limit of 50"),
        "{}",
        status.message()
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_validate_being_checked_does_not_hold_up_other_calls() {
    // One runtime thread serves every call. A Validate whose check is held (as a
    // large scenario's check would take its time) must leave that thread free: a
    // health check and a second Validate are answered meanwhile.
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    let entered = Arc::new(AtomicUsize::new(0));
    // Set when the gate was never opened: the test could not run while the check
    // was held (a check on the runtime thread blocks it), so the hook gave up.
    let stalled = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (g, e, st) = (gate.clone(), entered.clone(), stalled.clone());
    let hook: SolveHook = Arc::new(move |scenario: &Scenario| {
        if scenario.name != "held" {
            return;
        }
        e.fetch_add(1, Ordering::SeqCst);
        let (lock, open) = &*g;
        let guard = lock.lock().unwrap();
        let (guard, waited) = open
            .wait_timeout_while(guard, Duration::from_secs(10), |is_open| !*is_open)
            .unwrap();
        drop(guard);
        if waited.timed_out() {
            st.store(true, Ordering::SeqCst);
        }
    });
    let server = start(ServerConfig {
        before_check: Some(hook),
        ..ServerConfig::default()
    })
    .await;
    let mut held = example("portfolio.json");
    held.name = "held".to_string();
    let mut validator = client(&server).await;
    let validation = tokio::spawn(async move {
        validator
            .validate(ValidateRequest {
                scenario: Some(scenario_to_proto(&held)),
            })
            .await
    });
    // An event, not a sleep: the check has started and is held.
    while entered.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    let channel = Channel::from_shared(server.url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let answered = tokio::time::timeout(
        Duration::from_secs(10),
        health.check(tonic_health::pb::HealthCheckRequest::default()),
    )
    .await;
    let other = tokio::time::timeout(
        Duration::from_secs(10),
        client(&server).await.validate(ValidateRequest {
            scenario: Some(scenario_to_proto(&example("tiered.json"))),
        }),
    )
    .await;
    let (lock, open) = &*gate;
    *lock.lock().unwrap() = true;
    open.notify_all();
    assert!(
        !stalled.load(Ordering::SeqCst),
        "the held check blocked the runtime: nothing else could run"
    );
    assert!(
        answered.is_ok(),
        "the health check waited for the held check"
    );
    assert!(
        other.is_ok_and(|r| r.is_ok()),
        "a second Validate waited for the held one"
    );
    assert!(validation.await.unwrap().unwrap().into_inner().valid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_hundred_problems_arrive_as_invalid_argument_with_details_that_fit_the_trailers() {
    let server = start(ServerConfig::default()).await;
    let mut scenario = example("tiered.json");
    let template = scenario.initiatives[0].clone();
    for k in 0..400 {
        let mut broken = template.clone();
        broken.id = format!("broken-initiative-with-a-long-enough-name-{k}");
        broken.current = -1.0;
        scenario.initiatives.push(broken);
    }
    let status = client(&server)
        .await
        .plan(request("many", &scenario))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let listed = status
        .get_details_bad_request()
        .unwrap()
        .field_violations
        .len();
    assert!(
        listed > 0 && listed < 400,
        "{listed} violations in the details"
    );
    assert!(
        status.message().contains("Validate lists all"),
        "{}",
        status.message()
    );
    // Validate answers in its body: every problem.
    let validation = client(&server)
        .await
        .validate(ValidateRequest {
            scenario: Some(scenario_to_proto(&scenario)),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(validation.violations.len() >= 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_deadline_leaves_a_quick_plan_time_to_run() {
    // A 100 ms deadline: the margin kept back for the answer is a quarter of it, so the
    // small tiered plan (a few ms) is answered, not refused at once.
    let server = start(ServerConfig::default()).await;
    let mut client = client(&server).await;
    let scenario = example("tiered.json");
    // Warm the connection and the code paths first.
    client.plan(request("warm", &scenario)).await.unwrap();
    let mut call = tonic::Request::new(request("quick", &scenario));
    call.set_timeout(Duration::from_millis(100));
    let answer = client.plan(call).await;
    assert!(answer.is_ok(), "{:?}", answer.err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_answers_what_an_in_process_explanation_says() {
    use fluidity::wire::proto::ExplainRequest;
    let server = start(ServerConfig::default()).await;
    let scenario = example("tiered.json");
    let wanted = vec!["self-serve-signup".to_string(), "pricing-page".to_string()];
    let answer = client(&server)
        .await
        .explain(ExplainRequest {
            scenario: Some(scenario_to_proto(&scenario)),
            initiatives: wanted.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .explanation
        .unwrap();
    let local =
        fluidity_solvers::whatif::explain::explain(&scenario, &wanted, &PlanOptions::default())
            .unwrap();
    let remote: fluidity_solvers::whatif::explain::Explanation =
        fluidity::wire::convert::via_json(&answer).unwrap();
    assert_eq!(remote, local);
    assert_eq!(remote.initiatives.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_names_an_unknown_initiative_by_its_path() {
    use fluidity::wire::proto::ExplainRequest;
    let server = start(ServerConfig::default()).await;
    let status = client(&server)
        .await
        .explain(ExplainRequest {
            scenario: Some(scenario_to_proto(&example("tiered.json"))),
            initiatives: vec!["pricing-page".into(), "ghost".into()],
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<String> = status
        .get_details_bad_request()
        .unwrap()
        .field_violations
        .into_iter()
        .map(|v| v.field)
        .collect();
    assert_eq!(fields, ["initiatives[1]"]);
}

/// `--max-solve-seconds` bounds a call that plans many times (Explain here) as a
/// whole, not each of its plans: without it an explanation of a large scenario held a
/// solve slot for half an hour.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_limit_on_one_call_bounds_all_of_an_explanations_plans() {
    use fluidity::wire::proto::ExplainRequest;
    let server = start(ServerConfig {
        max_solve_seconds: Some(0.5),
        ..ServerConfig::default()
    })
    .await;
    let big = generate(Shape {
        initiatives: 120,
        resources: 3,
        periods: 3,
        seed: 5,
        integral_share: 0.0,
    });
    let started = std::time::Instant::now();
    let status = client(&server)
        .await
        .explain(ExplainRequest {
            scenario: Some(scenario_to_proto(&big)),
            initiatives: Vec::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    // The slot is free again: a plan is answered.
    assert!(client(&server)
        .await
        .plan(request("after", &example("tiered.json")))
        .await
        .is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_initiative_to_explain_is_a_bad_request_not_a_bad_scenario() {
    use fluidity::wire::proto::ExplainRequest;
    let server = start(ServerConfig::default()).await;
    let status = client(&server)
        .await
        .explain(ExplainRequest {
            scenario: Some(scenario_to_proto(&example("tiered.json"))),
            initiatives: vec!["ghost".into()],
        })
        .await
        .unwrap_err();
    assert!(
        status.message().starts_with("invalid request"),
        "{}",
        status.message()
    );
    assert!(
        status.message().contains("\"ghost\""),
        "{}",
        status.message()
    );
}
