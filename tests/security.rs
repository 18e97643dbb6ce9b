//! Who may call, over what: bearer tokens (constant-time, re-read on SIGHUP, health
//! exempt), loopback-only without them, TLS and mutual TLS, and the per-call limit.

use fluidity::client::{connect, Endpoint, RemoteError};
use fluidity::server::Auth;
use fluidity::server::{serve, ServerConfig, Tls};
use fluidity::wire::convert::scenario_to_proto;
use fluidity::wire::proto::{PlanRequest, ValidateRequest};
use fluidity_solvers::Scenario;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;
use tonic::Code;

mod common;
use common::BIN;
const PLANNER_TOKEN: &str = "planner-token-0123456789";
const FINANCE_TOKEN: &str = "finance-token-9876543210";

fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tiered() -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/tiered.json");
    Scenario::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn request() -> PlanRequest {
    PlanRequest {
        id: "x".into(),
        scenario: Some(scenario_to_proto(&tiered())),
    }
}

struct Running {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    port: u16,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stop.take().map(|s| s.send(()));
    }
}

async fn start(config: ServerConfig) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, config, async {
        let _ = stopped.await;
    }));
    Running {
        stop: Some(stop),
        port,
    }
}

fn token_file(dir: &Path) -> PathBuf {
    let path = dir.join("tokens");
    std::fs::write(
        &path,
        format!("# who may plan\nplanner:{PLANNER_TOKEN}\nfinance:{FINANCE_TOKEN}\n"),
    )
    .unwrap();
    path
}

fn endpoint(port: u16, token: Option<&str>) -> Endpoint {
    Endpoint {
        url: format!("http://127.0.0.1:{port}"),
        token: token.map(String::from),
        ..Endpoint::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_without_a_valid_token_are_unauthenticated() {
    let dir = scratch("auth_required");
    let server = start(ServerConfig {
        auth: Some(Auth::load(&token_file(&dir)).unwrap()),
        ..ServerConfig::default()
    })
    .await;
    for token in [None, Some("not-a-known-token-at-all")] {
        let mut client = connect(&endpoint(server.port, token)).await.unwrap();
        let status = client.plan(request()).await.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{token:?}");
        let status = client
            .validate(ValidateRequest {
                scenario: Some(scenario_to_proto(&tiered())),
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated);
    }
    for token in [PLANNER_TOKEN, FINANCE_TOKEN] {
        let mut client = connect(&endpoint(server.port, Some(token))).await.unwrap();
        assert!(client.plan(request()).await.is_ok());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_checks_need_no_token() {
    let dir = scratch("auth_health");
    let server = start(ServerConfig {
        auth: Some(Auth::load(&token_file(&dir)).unwrap()),
        ..ServerConfig::default()
    })
    .await;
    let channel =
        tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{}", server.port))
            .unwrap()
            .connect()
            .await
            .unwrap();
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let answer = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap();
    assert_eq!(
        answer.into_inner().status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
}

/// A CA, a server certificate for 127.0.0.1/localhost, and a client certificate, as PEM files.
struct Pki {
    ca: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
}

fn pki(dir: &Path) -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "fluidity test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf = |names: Vec<String>| {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &issuer)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    };
    let (server_pem, server_key) = leaf(vec!["localhost".into(), "127.0.0.1".into()]);
    let (client_pem, client_key) = leaf(vec!["planning-tool".into()]);
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    Pki {
        ca: write("ca.pem", &ca.pem()),
        server_cert: write("server.pem", &server_pem),
        server_key: write("server.key", &server_key),
        client_cert: write("client.pem", &client_pem),
        client_key: write("client.key", &client_key),
    }
}

fn tls(p: &Pki, mutual: bool) -> Tls {
    Tls {
        certificate: std::fs::read(&p.server_cert).unwrap(),
        key: std::fs::read(&p.server_key).unwrap(),
        client_ca: mutual.then(|| std::fs::read(&p.ca).unwrap()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_serves_clients_that_trust_its_ca() {
    let dir = scratch("tls");
    let p = pki(&dir);
    let server = start(ServerConfig {
        tls: Some(tls(&p, false)),
        ..ServerConfig::default()
    })
    .await;
    let url = format!("https://localhost:{}", server.port);
    let trusted = Endpoint {
        url: url.clone(),
        ca: Some(p.ca.clone()),
        ..Endpoint::default()
    };
    let plan = fluidity::client::plan(&trusted, &tiered()).await.unwrap();
    assert_eq!(plan.solver.stages, 3);
    // Without the CA the server's certificate is not trusted.
    let untrusted = Endpoint {
        url,
        ..Endpoint::default()
    };
    assert!(fluidity::client::plan(&untrusted, &tiered()).await.is_err());
    // And plaintext gets nothing.
    assert!(
        fluidity::client::plan(&endpoint(server.port, None), &tiered())
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_requires_a_client_certificate_from_its_ca() {
    let dir = scratch("mtls");
    let p = pki(&dir);
    let server = start(ServerConfig {
        tls: Some(tls(&p, true)),
        ..ServerConfig::default()
    })
    .await;
    let url = format!("https://localhost:{}", server.port);
    let with_cert = Endpoint {
        url: url.clone(),
        ca: Some(p.ca.clone()),
        cert: Some(p.client_cert.clone()),
        key: Some(p.client_key.clone()),
        token: None,
        retries: None,
    };
    assert!(fluidity::client::plan(&with_cert, &tiered()).await.is_ok());
    let without = Endpoint {
        url,
        ca: Some(p.ca.clone()),
        ..Endpoint::default()
    };
    let refused = fluidity::client::plan(&without, &tiered()).await;
    assert!(
        matches!(
            refused,
            Err(RemoteError::Connect { .. })
                | Err(RemoteError::Status { .. })
                | Err(RemoteError::Cut { .. })
        ),
        "{refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_call_solve_limit_answers_deadline_exceeded() {
    let big = fluidity_solvers::generate::generate(fluidity_solvers::generate::Shape {
        initiatives: 1500,
        resources: 6,
        periods: 6,
        seed: 4,
        integral_share: 0.0,
    });
    let server = start(ServerConfig {
        max_solve_seconds: Some(0.01),
        ..ServerConfig::default()
    })
    .await;
    let mut client = connect(&endpoint(server.port, None)).await.unwrap();
    let status = client
        .plan(PlanRequest {
            id: "big".into(),
            scenario: Some(scenario_to_proto(&big)),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_their_maximum_age_are_replaced_without_failing_calls() {
    let server = start(ServerConfig {
        max_connection_age: Some(Duration::from_millis(300)),
        ..ServerConfig::default()
    })
    .await;
    let (port, connections) =
        common::counting_proxy(format!("127.0.0.1:{}", server.port).parse().unwrap()).await;
    let mut client = connect(&endpoint(port, None)).await.unwrap();
    // Six calls over about a second on one client: every call succeeds, and the
    // server's 300 ms limit makes the client open new connections along the way.
    for _ in 0..6 {
        client.plan(request()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let opened = connections.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        opened >= 2,
        "one connection served every call ({opened} opened)"
    );
}

/// `fluidity serve` as a process with a token file, stderr captured.
fn serve_process(args: &[&str]) -> (Child, u16) {
    let (child, addr) = common::spawn_server(args, Some("info"));
    let port = addr.rsplit(':').next().unwrap().parse().expect("a port");
    (child, port)
}

#[test]
fn the_token_file_is_re_read_on_sighup_and_logs_name_the_caller_not_the_token() {
    let dir = scratch("sighup");
    let tokens = token_file(&dir);
    let (child, port) = serve_process(&[
        "--addr",
        "127.0.0.1:0",
        "--auth-tokens",
        &tokens.display().to_string(),
    ]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let plans = |token: &str| {
        runtime
            .block_on(fluidity::client::plan(
                &endpoint(port, Some(token)),
                &tiered(),
            ))
            .is_ok()
    };
    assert!(plans(PLANNER_TOKEN));
    std::fs::write(&tokens, format!("finance:{FINANCE_TOKEN}\n")).unwrap();
    Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    let mut revoked = false;
    for _ in 0..50 {
        if !plans(PLANNER_TOKEN) {
            revoked = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(revoked, "the planner token still works after SIGHUP");
    assert!(plans(FINANCE_TOKEN));
    // A broken file on the next SIGHUP keeps the tokens in force.
    std::fs::write(&tokens, "this line has no colon\n").unwrap();
    Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        plans(FINANCE_TOKEN),
        "a bad token file must not lock everyone out"
    );
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.contains("caller=planner") && log.contains("caller=finance"),
        "{log}"
    );
    assert!(
        !log.contains(PLANNER_TOKEN) && !log.contains(FINANCE_TOKEN),
        "a token leaked into the log"
    );
}

#[test]
fn without_tokens_the_server_refuses_a_public_address_unless_told_otherwise() {
    let out = Command::new(BIN)
        .args(["serve", "--addr", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("without --auth-tokens"));
    let (child, _) = serve_process(&["--addr", "0.0.0.0:0", "--insecure-public"]);
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("serving without authentication"));
}

#[test]
fn a_malformed_token_file_stops_the_server_with_the_line_at_fault() {
    let dir = scratch("bad_tokens");
    let path = dir.join("tokens");
    std::fs::write(&path, "planner\n").unwrap();
    let out = Command::new(BIN)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--auth-tokens",
            &path.display().to_string(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 1: expected name:token"));
}

#[test]
fn the_cli_client_sends_its_token() {
    let dir = scratch("cli_token");
    let tokens = token_file(&dir);
    let (mut child, port) = serve_process(&[
        "--addr",
        "127.0.0.1:0",
        "--auth-tokens",
        &tokens.display().to_string(),
    ]);
    let example = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/tiered.json")
        .display()
        .to_string();
    let url = format!("http://127.0.0.1:{port}");
    let without = Command::new(BIN)
        .args(["plan", &example, "--server", &url])
        .output()
        .unwrap();
    assert_eq!(without.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&without.stderr).contains("UNAUTHENTICATED"));
    let with = Command::new(BIN)
        .args(["plan", &example, "--server", &url])
        .env("FLUIDITY_TOKEN", PLANNER_TOKEN)
        .output()
        .unwrap();
    assert_eq!(
        with.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&with.stderr)
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn metrics_count_calls_by_method_and_status_and_time_solves() {
    let dir = scratch("metrics");
    let tokens = token_file(&dir);
    let (mut child, addr, metrics_addr) =
        common::spawn_server_with_metrics(&["--auth-tokens", &tokens.display().to_string()]);
    let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        fluidity::client::plan(&endpoint(port, Some(PLANNER_TOKEN)), &tiered())
            .await
            .unwrap();
        fluidity::client::plan(&endpoint(port, Some(PLANNER_TOKEN)), &tiered())
            .await
            .unwrap();
        let _ = fluidity::client::plan(&endpoint(port, None), &tiered()).await;
        let mut bad = tiered();
        bad.periods.clear();
        let _ = fluidity::client::plan(&endpoint(port, Some(PLANNER_TOKEN)), &bad).await;
    });

    let text = common::metrics_text(&metrics_addr);
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    for line in [
        "fluidity_calls_total{method=\"Plan\",code=\"OK\"} 2",
        "fluidity_calls_total{method=\"Plan\",code=\"UNAUTHENTICATED\"} 1",
        "fluidity_calls_total{method=\"Plan\",code=\"INVALID_ARGUMENT\"} 1",
        "fluidity_solve_seconds_count{solver=\"lpsolve\",size=\"lt1k\"} 2",
        "fluidity_queue_depth 0",
        "fluidity_solves_in_flight 0",
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Checks every line of a text exposition against the format's grammar (written
/// from the Prometheus exposition format document): `# HELP`/`# TYPE` comments, or
/// `name{label="value",...} number` where a value escapes only `\\`, `\"` and `\n`.
fn exposition_problems(text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for line in text.lines() {
        if line.starts_with("# HELP ") || line.starts_with("# TYPE ") || line.is_empty() {
            continue;
        }
        let name_end = line
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(line.len());
        let (name, mut rest) = line.split_at(name_end);
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
            problems.push(format!("bad metric name: {line:?}"));
            continue;
        }
        if let Some(labels) = rest.strip_prefix('{') {
            let mut chars = labels.char_indices().peekable();
            let mut ok = false;
            loop {
                // label name
                let start = chars.peek().map(|&(i, _)| i);
                while chars
                    .peek()
                    .is_some_and(|&(_, c)| c.is_ascii_alphanumeric() || c == '_')
                {
                    chars.next();
                }
                if start == chars.peek().map(|&(i, _)| i) {
                    break;
                }
                if chars.next().map(|(_, c)| c) != Some('=')
                    || chars.next().map(|(_, c)| c) != Some('"')
                {
                    break;
                }
                let mut closed = false;
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => match chars.next() {
                            Some((_, '\\' | '"' | 'n')) => {}
                            _ => break,
                        },
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\n' => break,
                        _ => {}
                    }
                }
                if !closed {
                    break;
                }
                match chars.next() {
                    Some((_, ',')) => continue,
                    Some((i, '}')) => {
                        rest = &labels[i + 1..];
                        ok = true;
                        break;
                    }
                    _ => break,
                }
            }
            if !ok {
                problems.push(format!("bad labels: {line:?}"));
                continue;
            }
        }
        let value = rest.trim_start_matches(' ');
        if rest.len() == value.len()
            || value.parse::<f64>().is_err() && !["+Inf", "-Inf", "NaN"].contains(&value)
        {
            problems.push(format!("bad value: {line:?}"));
        }
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn made_up_method_names_add_no_series_and_the_exposition_still_parses() {
    let dir = scratch("metrics_labels");
    let config = ServerConfig {
        auth: Some(Auth::load(&token_file(&dir)).unwrap()),
        ..ServerConfig::default()
    };
    let metrics = config.metrics.clone();
    let server = start(config).await;
    let channel =
        tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{}", server.port))
            .unwrap()
            .connect()
            .await
            .unwrap();
    // Names a caller controls, with the characters the format must escape, and many
    // distinct ones: all refused before any service, each counted.
    let mut paths: Vec<String> = [
        "/svc/b\\",
        "/svc/a\"b",
        "/x\\y/\"",
        // A line feed cannot be in a path; its percent-encoding can.
        "/svc/new%0Aline",
        "/fluidity.v1.FluidityService/Nope",
    ]
    .iter()
    .map(|p| p.to_string())
    .collect();
    paths.extend((0..10_000).map(|k| format!("/made.up.Service{k}/Method{k}")));
    let mut grpc = tonic::client::Grpc::new(channel);
    for path in &paths {
        grpc.ready().await.unwrap();
        let path: tonic::codegen::http::uri::PathAndQuery = path.parse().unwrap();
        let codec =
            tonic_prost::ProstCodec::<PlanRequest, fluidity::wire::proto::PlanResponse>::default();
        let status = grpc
            .unary(tonic::Request::new(request()), path, codec)
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated);
    }
    // With a valid token the same paths reach the router, which answers UNIMPLEMENTED:
    // counted as well, under the same `unknown`.
    for path in &paths[..100] {
        grpc.ready().await.unwrap();
        let path: tonic::codegen::http::uri::PathAndQuery = path.parse().unwrap();
        let codec =
            tonic_prost::ProstCodec::<PlanRequest, fluidity::wire::proto::PlanResponse>::default();
        let mut call = tonic::Request::new(request());
        call.metadata_mut().insert(
            "authorization",
            format!("Bearer {PLANNER_TOKEN}").parse().unwrap(),
        );
        let status = grpc.unary(call, path, codec).await.unwrap_err();
        assert_eq!(status.code(), Code::Unimplemented);
    }
    let text = metrics.render();
    assert_eq!(exposition_problems(&text), Vec::<String>::new(), "{text}");
    let series = text
        .lines()
        .filter(|l| l.starts_with("fluidity_calls_total{"))
        .count();
    assert_eq!(series, 2, "{text}");
    assert!(
        text.contains("fluidity_calls_total{method=\"unknown\",code=\"UNIMPLEMENTED\"} 100"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "fluidity_calls_total{{method=\"unknown\",code=\"UNAUTHENTICATED\"}} {}",
            paths.len()
        )),
        "{text}"
    );
}

#[test]
fn the_exposition_checker_rejects_an_unescaped_label() {
    // The checker above must be able to fail: the line the old code wrote.
    let broken = "fluidity_calls_total{method=\"b\\\",code=\"UNAUTHENTICATED\"} 1\n";
    assert_eq!(exposition_problems(broken).len(), 1);
    let fine = "fluidity_calls_total{method=\"b\\\\\",code=\"UNAUTHENTICATED\"} 1\n";
    assert!(exposition_problems(fine).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_client_that_stalls_after_its_first_record_is_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = scratch("tls_stall");
    let p = pki(&dir);
    let server = start(ServerConfig {
        tls: Some(tls(&p, false)),
        connection_start_timeout: Duration::from_millis(300),
        ..ServerConfig::default()
    })
    .await;
    let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", server.port))
        .await
        .unwrap();
    // A whole first record (handshake, TLS 1.2 framing, 4 bytes) holding only the
    // start of a ClientHello that says 512 bytes follow; then nothing more.
    socket
        .write_all(&[0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x00, 0x02, 0x00])
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut buf))
        .await
        .expect("the stalled handshake is closed within 10 s");
    // Closed (end of stream, a reset, or a TLS alert before it): never left open.
    if let Ok(n) = read {
        if n > 0 {
            let more = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut buf))
                .await
                .expect("closed after its alert");
            assert!(matches!(more, Ok(0) | Err(_)));
        }
    }
}
