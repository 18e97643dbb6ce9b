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
