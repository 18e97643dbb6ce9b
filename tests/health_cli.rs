//! `fluidity health --server URL[,URL...]`: what the container image's HEALTHCHECK
//! runs; exit 0 while every server named is serving, 1 for an unknown service or an
//! unreachable server.

mod common;
use common::{spawn_server, BIN};
use std::process::Command;

fn health(args: &[&str]) -> std::process::Output {
    Command::new(BIN).arg("health").args(args).output().unwrap()
}

#[test]
fn health_says_serving_for_the_server_and_its_services_and_fails_otherwise() {
    let (mut server, addr) = spawn_server(&["--addr", "127.0.0.1:0"], None);
    let url = format!("http://{addr}");
    assert!(health(&["--server", &url]).status.success());
    for service in [
        "fluidity.v1.FluidityService",
        "fluidity.v1.PlanLifecycleService",
    ] {
        assert!(
            health(&["--server", &url, "--service", service])
                .status
                .success(),
            "{service}"
        );
    }
    let unknown = health(&["--server", &url, "--service", "nope"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("NOT_FOUND"));
    server.kill().unwrap();
    server.wait().unwrap();
    let gone = health(&["--server", &url, "--timeout", "2"]);
    assert_eq!(gone.status.code(), Some(1));
}

#[test]
fn health_asks_every_listed_replica_and_names_the_one_that_is_not_serving() {
    let (mut up, up_addr) = spawn_server(&["--addr", "127.0.0.1:0"], None);
    let (mut other, other_addr) = spawn_server(&["--addr", "127.0.0.1:0"], None);
    let both = format!("http://{up_addr},http://{other_addr}");
    let serving = health(&["--server", &both]);
    assert!(
        serving.status.success(),
        "{}",
        String::from_utf8_lossy(&serving.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&serving.stdout).lines().count(), 2);
    other.kill().unwrap();
    other.wait().unwrap();
    let one_gone = health(&["--server", &both, "--timeout", "2"]);
    assert_eq!(one_gone.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&one_gone.stdout);
    assert!(stdout.contains(&up_addr.to_string()), "{stdout}");
    let stderr = String::from_utf8_lossy(&one_gone.stderr);
    assert!(stderr.contains(&other_addr.to_string()), "{stderr}");
    up.kill().unwrap();
    up.wait().unwrap();
}
