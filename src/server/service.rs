//! The `fluidity.v1.FluidityService` service: the trait tonic calls, each RPC handed
//! to its own file under `rpc/` and its answer counted (PlanStream counts each
//! message itself), and what every call shares: the service's state
//! (`PlanningService`: configuration and solve pool), the call's deadline and caller,
//! and a cancel flag raised when the caller goes away. Each `rpc/` file opens its
//! call's tracing span (the scenario's size, the solver, the time taken, the outcome).

use super::deadline::{self, Deadline};
use super::metrics::Method;
use super::pool::SolvePool;
use super::ServerConfig;
use crate::wire::convert::scenario_from_proto;
use crate::wire::proto::fluidity_service_server::FluidityService;
use crate::wire::proto::{
    CompareRequest, CompareResponse, ExplainRequest, ExplainResponse, PlanRequest, PlanResponse,
    SweepRequest, SweepResponse, ValidateRequest, ValidateResponse,
};
use crate::wire::status::invalid_argument;
use fluidity_solvers::{Cancel, PlanOptions, Scenario, Violation};
use std::sync::Arc;
use std::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

/// The service state shared by every call.
pub struct PlanningService {
    pub(super) config: ServerConfig,
    pub(super) pool: Arc<SolvePool>,
}

/// Raises a solve's cancel flag when a call is dropped before it answered, so the
/// solve stops (Clarabel between iterations, any backend between stages) and gives
/// its slot back.
pub(super) struct CancelOnDrop(Option<Arc<std::sync::atomic::AtomicBool>>);

impl CancelOnDrop {
    /// The call answered: nothing to cancel.
    pub(in crate::server) fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(flag) = self.0.take() {
            tracing::info!("the caller went away; cancelling its solve");
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// The call's deadline: read once by the auth layer (which also answers a call its
/// handler cannot answer in time) and handed on in the request's extensions; read
/// here from the metadata for a call that skipped the layers.
pub(in crate::server) fn deadline_of<T>(request: &Request<T>) -> Option<Deadline> {
    match request.extensions().get::<super::auth::CallDeadline>() {
        Some(read) => read.0,
        None => deadline::from_metadata(request.metadata(), Instant::now()),
    }
}

/// The authenticated caller's name, or `anonymous` on a server without tokens.
pub(in crate::server) fn caller_of<T>(request: &Request<T>) -> String {
    actor_of(request).name
}

/// Who acts: the token's name and role; on a server without tokens (loopback only,
/// unless told otherwise) `anonymous`, with every right, as the CLI in process.
pub(in crate::server) fn actor_of<T>(request: &Request<T>) -> crate::store::Actor {
    match request.extensions().get::<super::auth::Caller>() {
        Some(caller) => crate::store::Actor {
            name: caller.0.clone(),
            role: caller.1,
        },
        None => crate::store::Actor {
            name: "anonymous".to_string(),
            role: crate::store::Role::Approver,
        },
    }
}

pub(in crate::server) fn scenario_of(
    scenario: Option<crate::wire::proto::Scenario>,
) -> Result<Scenario, Status> {
    let scenario = scenario.ok_or_else(|| {
        invalid_argument(&[Violation {
            path: "scenario".to_string(),
            message: "a scenario is required".to_string(),
        }])
    })?;
    scenario_from_proto(scenario).map_err(|violations| invalid_argument(&violations))
}

impl PlanningService {
    /// Runs `job` on the solve pool, answering DEADLINE_EXCEEDED just before the
    /// deadline even when the job (formulating alone, say) outlasts it: tonic would
    /// otherwise cancel the call, and the caller would read CANCELLED.
    pub(in crate::server) async fn on_pool<T: Send + 'static>(
        &self,
        deadline: Option<Deadline>,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Status> {
        self.bounded(
            deadline,
            self.pool.run(deadline.map(Deadline::answer_by), job),
        )
        .await
    }

    /// Runs CPU work (decoding checks, validation) on tokio's blocking pool, never on
    /// the runtime's threads, under the call's deadline. A panic is INTERNAL.
    pub(in crate::server) async fn off_runtime<T: Send + 'static>(
        &self,
        deadline: Option<Deadline>,
        job: impl FnOnce() -> Result<T, Status> + Send + 'static,
    ) -> Result<T, Status> {
        self.bounded(deadline, async move {
            tokio::task::spawn_blocking(job)
                .await
                .map_err(|_| Status::internal("internal error: a check panicked"))?
        })
        .await
    }

    /// Awaits `work`, or answers DEADLINE_EXCEEDED just before the deadline.
    pub(in crate::server) async fn bounded<T>(
        &self,
        deadline: Option<Deadline>,
        work: impl std::future::Future<Output = Result<T, Status>>,
    ) -> Result<T, Status> {
        match deadline.map(Deadline::answer_by) {
            Some(answer_by) => tokio::time::timeout_at(answer_by.into(), work)
                .await
                .unwrap_or_else(|_| {
                    Err(Status::deadline_exceeded(
                        "no answer was found before the call's deadline (or the server's --max-solve-seconds for the whole call)",
                    ))
                }),
            None => work.await,
        }
    }

    /// Counts one answered call (or stream message) by method and status code.
    pub(in crate::server) fn count<T>(&self, method: Method, answer: &Result<T, Status>) {
        let code = match answer {
            Ok(_) => tonic::Code::Ok,
            Err(status) => status.code(),
        };
        self.config.metrics.call(method, code);
    }

    /// The deadline of a call that plans many times (Compare, Sweep, Explain): the
    /// caller's, or `--max-solve-seconds` from now when that is sooner, so that the
    /// server's limit on one call bounds all its plans together, not each of them.
    pub(in crate::server) fn whole_call(&self, deadline: Option<Deadline>) -> Option<Deadline> {
        // A limit too large for a Duration is no limit.
        let Some(limit) = self
            .config
            .max_solve_seconds
            .and_then(|s| std::time::Duration::try_from_secs_f64(s).ok())
        else {
            return deadline;
        };
        let now = Instant::now();
        if now.checked_add(limit).is_none() {
            return deadline;
        }
        let cap = Deadline::after(now, limit);
        match deadline {
            Some(own) if own.at <= cap.at => Some(own),
            _ => Some(cap),
        }
    }

    /// The deadline's budget, capped by the server's per-call limit, and a cancel flag
    /// the returned guard raises if the call is dropped (its client went away) before
    /// the guard is disarmed.
    pub(in crate::server) fn options(
        &self,
        deadline: Option<Deadline>,
    ) -> (PlanOptions, CancelOnDrop) {
        let time_limit = match (
            deadline.map(Deadline::solve_budget),
            self.config.max_solve_seconds,
        ) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let (cancel, flag) = Cancel::new();
        (
            PlanOptions {
                limits: self.config.limits,
                time_limit,
                cancel,
                progress: None,
            },
            CancelOnDrop(Some(flag)),
        )
    }
}

#[tonic::async_trait]
impl FluidityService for PlanningService {
    async fn plan(&self, request: Request<PlanRequest>) -> Result<Response<PlanResponse>, Status> {
        let deadline = deadline_of(&request);
        let caller = caller_of(&request);
        let answer = self.plan_one(request.into_inner(), deadline, &caller).await;
        self.count(Method::Plan, &answer);
        answer.map(Response::new)
    }

    async fn validate(
        &self,
        request: Request<ValidateRequest>,
    ) -> Result<Response<ValidateResponse>, Status> {
        let answer = self.validate_call(request).await;
        self.count(Method::Validate, &answer);
        answer
    }

    type PlanStreamStream = ReceiverStream<Result<PlanResponse, Status>>;

    async fn plan_stream(
        &self,
        request: Request<Streaming<PlanRequest>>,
    ) -> Result<Response<Self::PlanStreamStream>, Status> {
        self.plan_stream_call(request)
    }

    async fn compare(
        &self,
        request: Request<CompareRequest>,
    ) -> Result<Response<CompareResponse>, Status> {
        let answer = self.compare_call(request).await;
        self.count(Method::Compare, &answer);
        answer
    }

    async fn sweep(
        &self,
        request: Request<SweepRequest>,
    ) -> Result<Response<SweepResponse>, Status> {
        let answer = self.sweep_call(request).await;
        self.count(Method::Sweep, &answer);
        answer
    }

    async fn explain(
        &self,
        request: Request<ExplainRequest>,
    ) -> Result<Response<ExplainResponse>, Status> {
        let answer = self.explain_call(request).await;
        self.count(Method::Explain, &answer);
        answer
    }
}
