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
