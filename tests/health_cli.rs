//! `fluidity health --server URL`: what the container image's HEALTHCHECK runs; exit
//! 0 while the server is serving, 1 for an unknown service or an unreachable server.

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
