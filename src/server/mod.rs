//! The gRPC server: `fluidity.v1` plus the standard health and reflection services,
//! limits, and graceful shutdown.

mod arriving;
mod auth;
mod deadline;
mod health;
mod incoming;
mod lifecycle;
mod metrics;
mod metrics_endpoint;
mod pool;
mod reflection;
mod rpc;
mod service;

pub use arriving::ArrivalLimits;
pub use auth::{Auth, TokenFileError};
pub use metrics::Metrics;
pub use metrics_endpoint::serve_metrics;

use crate::wire::proto::fluidity_service_server::FluidityServiceServer;
use crate::wire::proto::plan_lifecycle_service_server::PlanLifecycleServiceServer;
use crate::wire::proto::FILE_DESCRIPTOR_SET;
use fluidity_solvers::{Limits, Scenario};
use pool::SolvePool;
use service::PlanningService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tonic_health::pb::health_check_response::ServingStatus;

/// The lifecycle service's full name, as health checks and reflection know it.
pub const LIFECYCLE_SERVICE: &str = "fluidity.v1.PlanLifecycleService";

/// The service's full name, as health checks and reflection know it.
pub const FLUIDITY_SERVICE: &str = "fluidity.v1.FluidityService";

/// Streams a connection may make the server reset (for its own protocol errors)
/// before the server closes it with GOAWAY: h2's default.
pub const LOCAL_RESET_LIMIT: usize = 1024;

/// A function the server calls with a scenario at a given point of a call (see
/// `ServerConfig::before_solve` and `before_check`).
pub type SolveHook = Arc<dyn Fn(&Scenario) + Send + Sync>;

/// The server's TLS identity, in PEM: its certificate chain and key, and for mutual
/// TLS the CA that signs the clients' certificates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    /// The server's certificate chain (PEM).
    pub certificate: Vec<u8>,
    /// The certificate's private key (PEM).
    pub key: Vec<u8>,
    /// The CA clients' certificates must chain to; None accepts any client.
    pub client_ca: Option<Vec<u8>>,
}

impl Tls {
    fn config(&self) -> tonic::transport::ServerTlsConfig {
        let identity = tonic::transport::Identity::from_pem(&self.certificate, &self.key);
        let tls = tonic::transport::ServerTlsConfig::new().identity(identity);
        match &self.client_ca {
            Some(ca) => tls.client_ca_root(tonic::transport::Certificate::from_pem(ca)),
            None => tls,
        }
    }
}

/// What a server allows.
#[derive(Clone)]
pub struct ServerConfig {
    /// Solves running at once (each on its own blocking thread).
    pub max_concurrent_solves: usize,
    /// Calls that may wait for a solve slot; beyond that, RESOURCE_EXHAUSTED.
    pub queue_limit: usize,
    /// Largest request accepted, in bytes; beyond that, RESOURCE_EXHAUSTED.
    pub max_message_bytes: usize,
    /// Problem size limits (LP columns).
    pub limits: Limits,
    /// How long in-flight calls may take to finish after a shutdown signal.
    pub shutdown_grace: Duration,
    /// Most seconds one call may solve, deadline or not.
    pub max_solve_seconds: Option<f64>,
    /// Bearer tokens; None serves without authentication.
    pub auth: Option<auth::Auth>,
    /// TLS (and, with a client CA, mutual TLS); None serves plaintext HTTP/2.
    pub tls: Option<Tls>,
    /// HTTP/2 pings to detect dead peers: how often.
    pub http2_keepalive_interval: Option<Duration>,
    /// How long to wait for a ping's answer before closing the connection.
    pub http2_keepalive_timeout: Option<Duration>,
    /// Connections older than this are closed gracefully (clients reconnect).
    pub max_connection_age: Option<Duration>,
    /// A connection that has not sent its whole opening (the HTTP/2 preface, or its
    /// first TLS record) this long after it connected is closed.
    pub connection_start_timeout: Duration,
    /// HTTP/2 streams one connection may have open at once (advertised in SETTINGS).
    pub max_concurrent_streams: u32,
    /// Bytes arriving requests may hold, per connection and in all, and how long one
    /// may take to arrive.
    pub arrival: arriving::ArrivalLimits,
    /// What the server counts (shared with the metrics endpoint).
    pub metrics: Arc<metrics::Metrics>,
    /// Called on the solve thread before each solve (tests hold or break a solve
    /// there).
    pub before_solve: Option<SolveHook>,
    /// Run before a Validate call checks its scenario, on the thread that checks it
    /// (tests hold a check there and see what else the server still answers).
    pub before_check: Option<SolveHook>,
    /// The plan store the lifecycle calls keep records in; None answers them
    /// FAILED_PRECONDITION.
    pub store: Option<crate::store::Store>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        ServerConfig {
            max_concurrent_solves: cores,
            queue_limit: 64,
            max_message_bytes: 16 * 1024 * 1024,
            limits: Limits::default(),
            shutdown_grace: Duration::from_secs(30),
            max_solve_seconds: Some(300.0),
            auth: None,
            tls: None,
            http2_keepalive_interval: Some(Duration::from_secs(30)),
            http2_keepalive_timeout: Some(Duration::from_secs(10)),
            max_connection_age: Some(Duration::from_secs(3600)),
            max_concurrent_streams: 256,
            connection_start_timeout: Duration::from_secs(5),
            arrival: arriving::ArrivalLimits::default(),
            metrics: Arc::new(metrics::Metrics::default()),
            before_solve: None,
            before_check: None,
            store: None,
        }
    }
}

/// Why the server could not start, or stopped on its own.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A descriptor set compiled into the binary does not decode (a build fault).
    #[error("the reflection descriptors do not decode: {0}")]
    Reflection(#[from] prost::DecodeError),
    /// The TLS configuration was refused, or the transport failed while serving.
    #[error(transparent)]
    Transport(#[from] tonic::transport::Error),
}

/// Serves on `listener` until `shutdown` completes, then stops accepting calls, lets
/// in-flight ones finish (at most `shutdown_grace`), and returns.
///
/// # Errors
/// [`ServeError`] when the server cannot start (bad TLS configuration) or its
/// transport fails; a shutdown is `Ok`.
///
/// Long because it is one builder chain (services, HTTP/2 limits, TLS, the layers in
/// their order, the incoming connections) and the shutdown that races it.
pub async fn serve(
    listener: TcpListener,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let (health_reporter, health_service) = health::health_service();
    for service in ["", FLUIDITY_SERVICE, LIFECYCLE_SERVICE] {
        health_reporter.set(service, ServingStatus::Serving);
    }
    let (reflection_v1, reflection_v1alpha) = reflection::services(&[
        FILE_DESCRIPTOR_SET,
        tonic_health::pb::FILE_DESCRIPTOR_SET,
        // Reflection describes itself too, as gRPC's own servers do.
        tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
    ])?;

    let service = PlanningService {
        pool: Arc::new(SolvePool::new(
            config.max_concurrent_solves,
            config.queue_limit,
            config.metrics.clone(),
        )),
        config: config.clone(),
    };
    let lifecycle =
        PlanLifecycleServiceServer::new(lifecycle::LifecycleService::new(PlanningService {
            pool: service.pool.clone(),
            config: config.clone(),
        }))
        .max_decoding_message_size(config.max_message_bytes)
        .max_encoding_message_size(usize::MAX);
    let fluidity = FluidityServiceServer::new(service)
        .max_decoding_message_size(config.max_message_bytes)
        .max_encoding_message_size(usize::MAX);

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let reporter = health_reporter.clone();
    let metrics = config.metrics.clone();
    let signalled = async move {
        shutdown.await;
        tracing::info!("shutting down: no new calls; finishing those in flight");
        reporter.shut_down();
        metrics.stop_serving();
        let _ = stop_tx.send(());
    };
    if let Some(auth) = config.auth.clone() {
        tokio::spawn(reload_on_sighup(auth));
    }
    let mut builder = tonic::transport::Server::builder()
        .http2_keepalive_interval(config.http2_keepalive_interval)
        .http2_keepalive_timeout(config.http2_keepalive_timeout)
        .max_concurrent_streams(config.max_concurrent_streams)
        // tonic leaves hyper's limit on streams the server resets for a peer's errors
        // off unless told (None); h2's default, 1,024, answers MadeYouReset
        // (CVE-2025-8671) with GOAWAY.
        .http2_max_local_error_reset_streams(Some(LOCAL_RESET_LIMIT));
    if let Some(age) = config.max_connection_age {
        // No `max_connection_age_grace`: with it, tonic 0.14 never sends GOAWAY at the
        // age but closes the connection by force at age + grace, in-flight calls and
        // all (transport/server/mod.rs, connection_timeout_future). Without it the
        // connection is shut down gracefully at the age: GOAWAY, calls in flight finish.
        builder = builder.max_connection_age(age);
    }
    if let Some(tls) = config.tls.as_ref().map(Tls::config) {
        // `incoming` waits for the ClientHello's record; the rest of the handshake
        // gets as long again (a client that stalls after its hello is closed too).
        builder = builder.tls_config(tls.timeout(config.connection_start_timeout))?;
    }
    let server = builder
        .layer(tower::util::MapResponseLayer::new(
            oversize_is_resource_exhausted,
        ))
        .layer(auth::AuthLayer(config.auth.clone(), config.metrics.clone()))
        .layer(arriving::ArrivalLayer::new(
            config.arrival,
            config.metrics.clone(),
        ))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(fluidity)
        .add_service(lifecycle)
        .serve_with_incoming_shutdown(
            // TCP_NODELAY (Nagle's algorithm and delayed ACKs add ~40 ms to every small
            // unary answer), and only connections that start talking in time.
            incoming::incoming(
                listener,
                config.connection_start_timeout,
                config.tls.is_some(),
                config.arrival.per_connection,
            ),
            signalled,
        );
    let grace = config.shutdown_grace;
    tokio::select! {
        result = server => result?,
        _ = async { let _ = stop_rx.await; tokio::time::sleep(grace).await } => {
            tracing::warn!(seconds = grace.as_secs_f64(), "in-flight calls did not finish within the shutdown grace; stopping anyway");
        }
    }
    Ok(())
}

/// tonic answers a request over the size limit with OUT_OF_RANGE; gRPC's convention,
/// and what clients retry on, is RESOURCE_EXHAUSTED.
fn oversize_is_resource_exhausted(
    mut response: tonic::codegen::http::Response<tonic::body::Body>,
) -> tonic::codegen::http::Response<tonic::body::Body> {
    let headers = response.headers_mut();
    let out_of_range = headers.get("grpc-status").is_some_and(|v| v == "11");
    let too_large = headers
        .get("grpc-message")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|m| m.contains("too%20large") || m.contains("too large"));
    if out_of_range && too_large {
        headers.insert(
            "grpc-status",
            tonic::codegen::http::HeaderValue::from_static("8"),
        );
    }
    response
}

/// Re-reads the token file on every SIGHUP.
async fn reload_on_sighup(auth: auth::Auth) {
    #[cfg(unix)]
    {
        let Ok(mut hangups) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            tracing::error!("cannot listen for SIGHUP; the token file will not be re-read");
            return;
        };
        while hangups.recv().await.is_some() {
            auth.reload();
        }
    }
    #[cfg(not(unix))]
    let _ = auth;
}

/// A future that completes on SIGTERM or SIGINT (Ctrl-C), with both handlers already
/// installed when this returns.
pub fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    // Both handlers are installed here, before the caller announces its address: a
    // signal sent as soon as "listening on" is printed must find them in place (it
    // killed 9 servers in 10 when they were installed on the first poll).
    #[cfg(unix)]
    let (mut interrupt, mut terminate) = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
        )
    };
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    })
}
