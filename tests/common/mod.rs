//! Helpers shared by the binary's integration tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_fluidity");

/// Starts `fluidity serve ARGS` and reads its `listening on ADDR` line. With a log
/// level, RUST_LOG is set and stderr is piped for the test to read; else discarded.
pub fn spawn_server(args: &[&str], log_level: Option<&str>) -> (Child, String) {
    let mut command = Command::new(BIN);
    command.arg("serve").args(args).stdout(Stdio::piped());
    match log_level {
        Some(level) => command.env("RUST_LOG", level).stderr(Stdio::piped()),
        None => command.env_remove("RUST_LOG").stderr(Stdio::null()),
    };
    let mut child = command.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .expect("the address line")
        .to_string();
    (child, addr)
}

/// Starts `fluidity serve --addr 127.0.0.1:0 --metrics-addr 127.0.0.1:0 EXTRA...` and
/// reads its two address lines: (the server, its gRPC address, its metrics address).
/// Its stdout is kept drained, so it never writes into a closed pipe.
pub fn spawn_server_with_metrics(extra: &[&str]) -> (Child, String, String) {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--metrics-addr",
            "127.0.0.1:0",
        ])
        .args(extra)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next = |prefix: &str| {
        let line = lines.next().unwrap().unwrap();
        line.strip_prefix(prefix).expect(prefix).to_string()
    };
    let addr = next("listening on ");
    let metrics = next("metrics on ");
    std::thread::spawn(move || lines.for_each(drop));
    (child, addr, metrics)
}

/// The whole HTTP answer (status line, headers, body) of `GET /metrics` at `addr`.
pub fn metrics_text(addr: &str) -> String {
    http_get(addr, "/metrics").unwrap()
}

/// The whole HTTP/1.1 response (status line, headers, body) to `GET path` on `addr`;
/// an error when nothing listens there.
pub fn http_get(addr: &str, path: &str) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr)?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )?;
    let mut text = String::new();
    stream.read_to_string(&mut text)?;
    Ok(text)
}

/// A TCP proxy on a loopback port in front of `server`, counting the connections
/// made through it: what a test reads to see connections opened or replaced.
pub async fn counting_proxy(
    server: std::net::SocketAddr,
) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = proxy.local_addr().unwrap().port();
    let accepted = std::sync::Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = proxy.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(server).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    (port, accepted)
}
