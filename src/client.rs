//! The gRPC client the CLI uses with `--server`: the same scenario in, the same plan
//! out as an in-process solve.

use crate::convert::via_json;
use crate::convert::{plan_from_proto, scenario_to_proto};
use crate::proto::fluidity_service_client::FluidityServiceClient;
use crate::proto::{CompareRequest, PlanRequest, SweepRequest, ValidateRequest};
use fluidity_solvers::compare::Comparison;
use fluidity_solvers::sweep::{Parameter, Sweep};
use fluidity_solvers::variant::Variant;
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
    #[error("the server answered {code}: {message}")]
    Status { code: &'static str, message: String },
    #[error("cannot reach the server at {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("{0}")]
    Protocol(String),
}

/// What Validate answered.
pub struct Validation {
    pub violations: Vec<Violation>,
    pub variables: u64,
}

async fn connect(url: &str) -> Result<FluidityServiceClient<Channel>, RemoteError> {
    let endpoint = Channel::from_shared(url.to_string()).map_err(|e| RemoteError::Connect {
        url: url.to_string(),
        reason: e.to_string(),
    })?;
    let channel = endpoint.connect().await.map_err(|e| RemoteError::Connect {
        url: url.to_string(),
        reason: std::error::Error::source(&e).map_or(e.to_string(), |s| s.to_string()),
    })?;
    Ok(FluidityServiceClient::new(channel).max_decoding_message_size(usize::MAX))
}

fn from_status(status: tonic::Status) -> RemoteError {
    if status.code() == Code::InvalidArgument {
        if let Some(bad) = status.get_details_bad_request() {
            return RemoteError::Invalid(
                bad.field_violations
                    .into_iter()
                    .map(|v| Violation {
                        path: v.field,
                        message: v.description,
                    })
                    .collect(),
            );
        }
    }
    RemoteError::Status {
        code: crate::server::status::code_name(status.code()),
        message: status.message().to_string(),
    }
}

/// Plans `scenario` on the server at `url`.
pub async fn plan(url: &str, scenario: &Scenario) -> Result<Plan, RemoteError> {
    let mut client = connect(url).await?;
    let response = client
        .plan(PlanRequest {
            id: String::new(),
            scenario: Some(scenario_to_proto(scenario)),
        })
        .await
        .map_err(from_status)?
        .into_inner();
    let plan = response
        .plan
        .ok_or_else(|| RemoteError::Protocol("the server answered without a plan".to_string()))?;
    plan_from_proto(plan).map_err(RemoteError::Protocol)
}

/// Validates `scenario` on the server at `url`.
pub async fn validate(url: &str, scenario: &Scenario) -> Result<Validation, RemoteError> {
    let mut client = connect(url).await?;
    let response = client
        .validate(ValidateRequest {
            scenario: Some(scenario_to_proto(scenario)),
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

/// Compares variants of `base` on the server at `url`.
pub async fn compare(
    url: &str,
    base: &Scenario,
    variants: &[Variant],
) -> Result<Comparison, RemoteError> {
    let mut client = connect(url).await?;
    let variants = variants
        .iter()
        .map(|v| via_json(v).map_err(RemoteError::Protocol))
        .collect::<Result<Vec<_>, _>>()?;
    let response = client
        .compare(CompareRequest {
            base: Some(scenario_to_proto(base)),
            variants,
        })
        .await
        .map_err(from_status)?
        .into_inner();
    let comparison = response.comparison.ok_or_else(|| {
        RemoteError::Protocol("the server answered without a comparison".to_string())
    })?;
    via_json(&comparison).map_err(RemoteError::Protocol)
}

/// Sweeps one resource of `base` on the server at `url`.
pub async fn sweep(
    url: &str,
    base: &Scenario,
    resource: &str,
    parameter: Parameter,
    values: &[f64],
) -> Result<Sweep, RemoteError> {
    let mut client = connect(url).await?;
    let parameter = match parameter {
        Parameter::CapacityFactor => crate::proto::Parameter::CapacityFactor,
        Parameter::ReserveLevel => crate::proto::Parameter::ReserveLevel,
    } as i32;
    let response = client
        .sweep(SweepRequest {
            base: Some(scenario_to_proto(base)),
            resource: resource.to_string(),
            parameter,
            values: values.to_vec(),
        })
        .await
        .map_err(from_status)?
        .into_inner();
    let frontier = response
        .sweep
        .ok_or_else(|| RemoteError::Protocol("the server answered without a sweep".to_string()))?;
    via_json(&frontier).map_err(RemoteError::Protocol)
}

/// A batch's planner backed by a server: each call is a gRPC call, made from the
/// batch's worker threads on one shared runtime.
pub struct Remote {
    url: String,
    runtime: tokio::runtime::Runtime,
}

impl Remote {
    pub fn new(url: &str) -> std::io::Result<Remote> {
        Ok(Remote {
            url: url.to_string(),
            runtime: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?,
        })
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
            .block_on(plan(&self.url, scenario))
            .map_err(lines)
    }

    fn compare(&self, base: &Scenario, variants: &[Variant]) -> Result<Comparison, String> {
        self.runtime
            .block_on(compare(&self.url, base, variants))
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
            .block_on(sweep(&self.url, base, resource, parameter, values))
            .map_err(|e| lines(e).join("; "))
    }
}
