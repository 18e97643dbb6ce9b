//! The health service as gRPC's health-checking protocol describes it: Watch on an
//! unknown service says SERVICE_UNKNOWN and stays open; at shutdown every watcher
//! hears NOT_SERVING and its stream ends, so an open Watch does not hold the server.

use fluidity::server::{serve, ServerConfig};
use std::time::Duration;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

async fn health(url: &str) -> HealthClient<Channel> {
    HealthClient::new(
        Channel::from_shared(url.to_string())
            .unwrap()
            .connect()
            .await
            .unwrap(),
    )
}

fn watching(service: &str) -> HealthCheckRequest {
    HealthCheckRequest {
        service: service.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_on_an_unknown_service_says_service_unknown_and_stays_open() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(
        listener,
        ServerConfig::default(),
        std::future::pending(),
    ));
    let mut updates = health(&url)
        .await
        .watch(watching("no.such.Service"))
        .await
        .unwrap()
        .into_inner();
    let first = updates.message().await.unwrap().unwrap();
    assert_eq!(first.status, ServingStatus::ServiceUnknown as i32);
    // Open: no further message and no end while nothing changes.
    let next = tokio::time::timeout(Duration::from_millis(500), updates.message()).await;
    assert!(next.is_err(), "the watch ended or changed: {next:?}");
    // Check, unlike Watch, answers NOT_FOUND for it.
    let status = health(&url)
        .await
        .check(watching("no.such.Service"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_watch_hears_not_serving_at_shutdown_and_does_not_hold_the_server() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = ServerConfig {
        shutdown_grace: Duration::from_secs(30),
        ..ServerConfig::default()
    };
    let server = tokio::spawn(serve(listener, config, async {
        let _ = stopped.await;
    }));
    let mut updates = health(&url)
        .await
        .watch(watching("fluidity.v1.FluidityService"))
        .await
        .unwrap()
        .into_inner();
    let first = updates.message().await.unwrap().unwrap();
    assert_eq!(first.status, ServingStatus::Serving as i32);
    stop.send(()).unwrap();
    let within = |seconds| Duration::from_secs(seconds);
    let last = tokio::time::timeout(within(10), updates.message())
        .await
        .expect("NOT_SERVING within 10 s")
        .unwrap()
        .unwrap();
    assert_eq!(last.status, ServingStatus::NotServing as i32);
    let end = tokio::time::timeout(within(10), updates.message())
        .await
        .expect("the watch ends within 10 s");
    assert!(end.unwrap().is_none(), "the watch goes on");
    // The server exits well within its 30 s grace: the watch held nothing.
    let exited = tokio::time::timeout(Duration::from_secs(10), server).await;
    assert!(exited.is_ok(), "the server waited on the open watch");
}
