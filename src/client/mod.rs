//! The gRPC client the CLI uses with `--server`: the same scenario in, the same plan
//! out as an in-process solve; `Remote`, a batch planner backed by a server; and
//! the plan lifecycle's calls (`lifecycle`).

pub mod lifecycle;
pub mod replicas;

pub use replicas::Replicas;

use crate::wire::convert::via_json;
use crate::wire::convert::{plan_from_proto, scenario_to_proto};
use crate::wire::proto::fluidity_service_client::FluidityServiceClient;
use crate::wire::proto::{CompareRequest, PlanRequest, SweepRequest, ValidateRequest};
use fluidity_solvers::whatif::compare::Comparison;
use fluidity_solvers::whatif::sweep::{Parameter, Sweep};
use fluidity_solvers::whatif::variant::Variant;
use fluidity_solvers::{Plan, Scenario, Violation};
use tonic::transport::Channel;
use tonic::Code;
use tonic_types::StatusExt;

/// What a server said instead of a plan.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// INVALID_ARGUMENT, with every problem the server listed.
    #[error("invalid scenario")]
    Invalid(Vec<Violation>),
    /// The server answered with an error status.
    #[error("the server answered {code}: {message}")]
    Status {
        /// The status code's canonical name (`DEADLINE_EXCEEDED`).
        code: &'static str,
        /// The server's message.
        message: String,
    },
    /// The connection broke before an answer came (a server killed mid-call, a
    /// connection reset): the client's transport made this status, not a server.
    #[error("the call was cut before an answer ({code}: {reason})")]
    Cut {
        /// The status code the client's transport reported.
        code: &'static str,
        /// The deepest cause (`connection reset by peer`).
        reason: String,
    },
    /// No connection (refused, TLS failure, unreadable certificate files).
    #[error("cannot reach the server at {url}: {reason}")]
    Connect {
        /// The server's URL as given.
        url: String,
        /// Why, for people.
        reason: String,
    },
    /// The server's answer was not what the protocol promises (a missing field).
    #[error("{0}")]
    Protocol(String),
}

/// What Validate answered.
pub struct Validation {
    /// Every problem, with its field path; empty for a valid scenario.
    pub violations: Vec<Violation>,
    /// The scenario's size in LP columns.
    pub variables: u64,
}

/// Where a server is and how to reach it: its URL (`http://` or `https://`), the CA
/// that signs its certificate, this client's certificate for mutual TLS, and a bearer
/// token.
#[derive(Debug, Clone, Default)]
pub struct Endpoint {
    /// `http://host:port` or `https://host:port`.
    pub url: String,
    /// PEM file of the CA that signs the server's certificate.
    pub ca: Option<std::path::PathBuf>,
    /// PEM file of this client's certificate (mutual TLS).
    pub cert: Option<std::path::PathBuf>,
    /// PEM file of this client's private key (mutual TLS).
    pub key: Option<std::path::PathBuf>,
    /// Bearer token sent with every call.
    pub token: Option<String>,
    /// Retries of a call whose server went away (UNAVAILABLE, or cut mid-call), each
    /// on another replica; `None` is [`replicas::DEFAULT_RETRIES`].
    pub retries: Option<u32>,
}

impl Endpoint {
    /// A server at `url` with neither TLS files nor a token.
    pub fn plain(url: &str) -> Endpoint {
        Endpoint {
            url: url.to_string(),
            ..Endpoint::default()
        }
    }
}

/// Adds `authorization: Bearer TOKEN` to every call.
#[derive(Clone)]
pub struct BearerToken(Option<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>);

impl tonic::service::Interceptor for BearerToken {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

/// The generated client with the bearer token on every call.
pub type Client =
    FluidityServiceClient<tonic::service::interceptor::InterceptedService<Channel, BearerToken>>;

fn read(path: &std::path::Path, what: &str, url: &str) -> Result<Vec<u8>, RemoteError> {
    std::fs::read(path).map_err(|e| RemoteError::Connect {
        url: url.to_string(),
        reason: format!("cannot read the {what} {}: {e}", path.display()),
    })
}

/// Connects to the one server `endpoint` names, with TLS when its URL is `https://`:
/// the generated client, for calls made by hand. [`Replicas`] is what the CLI uses.
pub async fn connect(endpoint: &Endpoint) -> Result<Client, RemoteError> {
    let (channel, token) = channel(endpoint, None, true).await?;
    Ok(FluidityServiceClient::with_interceptor(channel, token)
        .max_decoding_message_size(usize::MAX))
}

/// How often a client pings its server over HTTP/2 and how long it waits for the
/// answer (and for a TCP connection) before taking the server for gone.
pub const KEEPALIVE: std::time::Duration = std::time::Duration::from_secs(10);

/// A channel to the server `endpoint` names (TLS as it says, checking the certificate
/// against `tls_name` when the URL holds an address resolved from that name) and the
/// token to send. `eager` connects now (and fails now); otherwise at the first call.
async fn channel(
    endpoint: &Endpoint,
    tls_name: Option<&str>,
    eager: bool,
) -> Result<(Channel, BearerToken), RemoteError> {
    let url = endpoint.url.as_str();
    let failed = |reason: String| RemoteError::Connect {
        url: url.to_string(),
        reason,
    };
    // A replica that hangs (stopped, or its host gone without a reset) would hold a
    // call for ever: HTTP/2 pings find it within KEEPALIVE x 2, and the call fails as
    // cut, which is retried where that is safe. A solve in progress does not delay the
    // server's ping answers (solves run off its I/O threads).
    let mut builder = Channel::from_shared(url.to_string())
        .map_err(|e| failed(e.to_string()))?
        .connect_timeout(KEEPALIVE)
        .http2_keep_alive_interval(KEEPALIVE)
        .keep_alive_timeout(KEEPALIVE)
        .keep_alive_while_idle(true);
    if url.starts_with("https://") {
        let mut tls = tonic::transport::ClientTlsConfig::new();
        if let Some(ca) = &endpoint.ca {
            tls = tls.ca_certificate(tonic::transport::Certificate::from_pem(read(
                ca,
                "CA certificate",
                url,
            )?));
        }
        match (&endpoint.cert, &endpoint.key) {
            (Some(cert), Some(key)) => {
                tls = tls.identity(tonic::transport::Identity::from_pem(
                    read(cert, "client certificate", url)?,
                    read(key, "client key", url)?,
                ));
            }
            (None, None) => {}
            _ => return Err(failed("--cert and --key go together".to_string())),
        }
        if let Some(name) = tls_name {
            tls = tls.domain_name(name);
        }
        builder = builder.tls_config(tls).map_err(|e| failed(e.to_string()))?;
    }
    let channel = if eager {
        builder.connect().await.map_err(|e| {
            let mut reason = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                reason = s.to_string();
                source = s.source();
            }
            failed(reason)
        })?
    } else {
        builder.connect_lazy()
    };
    let token = match &endpoint.token {
        Some(t) => Some(
            format!("Bearer {t}")
                .parse()
                .map_err(|_| failed("the token must be printable ASCII".to_string()))?,
        ),
        None => None,
    };
    Ok((channel, BearerToken(token)))
}

pub(crate) fn from_status(status: tonic::Status) -> RemoteError {
    if status.code() == Code::InvalidArgument {
        if let Some(bad) = status.get_details_bad_request() {
            let mut problems: Vec<Violation> = bad
                .field_violations
                .into_iter()
                .map(|v| Violation {
                    path: v.field,
                    message: v.description,
                })
                .collect();
            // The details hold only the first problems when there are many: say so,
            // with the server's own count.
            if status.message().contains(crate::wire::status::DETAILS_CUT) {
                problems.push(Violation {
                    path: "(more)".to_string(),
                    message: format!(
                        "only the first {} are listed: {}",
                        problems.len(),
                        status.message()
                    ),
                });
            }
            return RemoteError::Invalid(problems);
        }
    }
    if let Some(mut cause) = std::error::Error::source(&status) {
        while let Some(deeper) = cause.source() {
            cause = deeper;
        }
        return RemoteError::Cut {
            code: crate::wire::status::code_name(status.code()),
            reason: cause.to_string(),
        };
    }
    RemoteError::Status {
        code: crate::wire::status::code_name(status.code()),
        message: status.message().to_string(),
    }
}

/// The generated planning client on one replica's channel.
fn planning(channel: Channel, token: BearerToken) -> Client {
    FluidityServiceClient::with_interceptor(channel, token).max_decoding_message_size(usize::MAX)
}

/// Plans `scenario` on the server (or servers) `endpoint` names.
pub async fn plan(endpoint: &Endpoint, scenario: &Scenario) -> Result<Plan, RemoteError> {
    plan_on(&Replicas::connect(endpoint).await?, scenario).await
}

/// Plans `scenario` on one of `servers`, retried on another when its server goes away.
pub async fn plan_on(servers: &Replicas, scenario: &Scenario) -> Result<Plan, RemoteError> {
    let request = PlanRequest {
        id: String::new(),
        scenario: Some(scenario_to_proto(scenario)),
    };
    let answer = servers
        .call(|channel, token| {
            let request = request.clone();
            async move { planning(channel, token).plan(request).await }
        })
        .await;
    let response = match answer {
        Ok(response) => response.into_inner(),
        // The trailers carried only the first problems: Validate's answer has them all,
        // so the user reads the same list as in process.
        Err(status)
            if status.code() == Code::InvalidArgument
                && status.message().contains(crate::wire::status::DETAILS_CUT) =>
        {
            let validation = validate_on(servers, scenario).await?;
            return Err(RemoteError::Invalid(validation.violations));
        }
        Err(status) => return Err(from_status(status)),
    };
    let plan = response
        .plan
        .ok_or_else(|| RemoteError::Protocol("the server answered without a plan".to_string()))?;
    plan_from_proto(plan).map_err(RemoteError::Protocol)
}

/// Validates `scenario` on the server (or servers) `endpoint` names.
pub async fn validate(endpoint: &Endpoint, scenario: &Scenario) -> Result<Validation, RemoteError> {
    validate_on(&Replicas::connect(endpoint).await?, scenario).await
}

/// Validates `scenario` on one of `servers`.
pub async fn validate_on(
    servers: &Replicas,
    scenario: &Scenario,
) -> Result<Validation, RemoteError> {
    let request = ValidateRequest {
        scenario: Some(scenario_to_proto(scenario)),
    };
    let response = servers
        .call(|channel, token| {
            let request = request.clone();
            async move { planning(channel, token).validate(request).await }
        })
        .await
        .map_err(from_status)?
        .into_inner();
    Ok(Validation {
        violations: response
            .violations
            .into_iter()
            .map(|v| Violation {
                path: v.field,
                message: v.description,
            })
            .collect(),
        variables: response.variables,
    })
}

/// Compares variants of `base` on the server (or servers) `endpoint` names.
pub async fn compare(
    endpoint: &Endpoint,
    base: &Scenario,
    variants: &[Variant],
) -> Result<Comparison, RemoteError> {
    compare_on(&Replicas::connect(endpoint).await?, base, variants).await
}

/// Compares variants of `base` on one of `servers`.
pub async fn compare_on(
    servers: &Replicas,
    base: &Scenario,
    variants: &[Variant],
) -> Result<Comparison, RemoteError> {
    let variants = variants
        .iter()
        .map(|v| via_json(v).map_err(RemoteError::Protocol))
        .collect::<Result<Vec<_>, _>>()?;
    let request = CompareRequest {
        base: Some(scenario_to_proto(base)),
        variants,
    };
    let response = servers
        .call(|channel, token| {
            let request = request.clone();
            async move { planning(channel, token).compare(request).await }
        })
        .await
        .map_err(from_status)?
        .into_inner();
    let comparison = response.comparison.ok_or_else(|| {
        RemoteError::Protocol("the server answered without a comparison".to_string())
    })?;
    via_json(&comparison).map_err(RemoteError::Protocol)
}

/// Sweeps one resource of `base` on the server (or servers) `endpoint` names.
pub async fn sweep(
    endpoint: &Endpoint,
    base: &Scenario,
    resource: &str,
    parameter: Parameter,
    values: &[f64],
) -> Result<Sweep, RemoteError> {
    let servers = Replicas::connect(endpoint).await?;
    sweep_on(&servers, base, resource, parameter, values).await
}

/// Sweeps one resource of `base` on one of `servers`.
pub async fn sweep_on(
    servers: &Replicas,
    base: &Scenario,
    resource: &str,
    parameter: Parameter,
    values: &[f64],
) -> Result<Sweep, RemoteError> {
    let parameter = match parameter {
        Parameter::CapacityFactor => crate::wire::proto::Parameter::CapacityFactor,
        Parameter::ReserveLevel => crate::wire::proto::Parameter::ReserveLevel,
    } as i32;
    let request = SweepRequest {
        base: Some(scenario_to_proto(base)),
        resource: resource.to_string(),
        parameter,
        values: values.to_vec(),
    };
    let response = servers
        .call(|channel, token| {
            let request = request.clone();
            async move { planning(channel, token).sweep(request).await }
        })
        .await
        .map_err(from_status)?
        .into_inner();
    let frontier = response
        .sweep
        .ok_or_else(|| RemoteError::Protocol("the server answered without a sweep".to_string()))?;
    via_json(&frontier).map_err(RemoteError::Protocol)
}

/// A batch's planner backed by the servers `--server` names: one channel per replica,
/// made once and shared by the batch's worker threads, calls spread over the replicas
/// and retried on another when theirs goes away, each call made on one shared runtime.
pub struct Remote {
    servers: Replicas,
    runtime: tokio::runtime::Runtime,
}

impl Remote {
    /// Connects to every replica `endpoint` names once, for the whole run.
    pub fn connect(endpoint: &Endpoint) -> Result<Remote, RemoteError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| RemoteError::Connect {
                url: endpoint.url.clone(),
                reason: format!("cannot start the client runtime: {e}"),
            })?;
        let servers = runtime.block_on(Replicas::connect(endpoint))?;
        Ok(Remote { servers, runtime })
    }
}

fn lines(e: RemoteError) -> Vec<String> {
    match e {
        RemoteError::Invalid(violations) => violations.iter().map(|v| v.to_string()).collect(),
        other => vec![other.to_string()],
    }
}

impl crate::batch::Planner for Remote {
    fn plan(&self, scenario: &Scenario) -> Result<Plan, Vec<String>> {
        self.runtime
            .block_on(plan_on(&self.servers, scenario))
            .map_err(lines)
    }

    fn compare(&self, base: &Scenario, variants: &[Variant]) -> Result<Comparison, String> {
        self.runtime
            .block_on(compare_on(&self.servers, base, variants))
            .map_err(|e| lines(e).join("; "))
    }

    fn sweep(
        &self,
        base: &Scenario,
        resource: &str,
        parameter: Parameter,
        values: &[f64],
    ) -> Result<Sweep, String> {
        self.runtime
            .block_on(sweep_on(&self.servers, base, resource, parameter, values))
            .map_err(|e| lines(e).join("; "))
    }
}

/// The server's health as `grpc.health.v1.Health/Check` reports it for `service`
/// (empty: the server as a whole): true when SERVING. What a container's health check
/// or a script asks, without a gRPC tool at hand.
pub async fn healthy(endpoint: &Endpoint, service: &str) -> Result<bool, RemoteError> {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;
    use tonic_health::pb::HealthCheckRequest;
    let (channel, token) = channel(endpoint, None, true).await?;
    let mut client = HealthClient::with_interceptor(channel, token);
    let answer = client
        .check(HealthCheckRequest {
            service: service.to_string(),
        })
        .await
        .map_err(from_status)?
        .into_inner();
    Ok(answer.status == ServingStatus::Serving as i32)
}
