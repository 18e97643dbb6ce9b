//! The `fluidity.v1.FluidityService` handlers: decode, validate, plan on the solve
//! pool, encode. Each call gets a tracing span with the scenario's size, the solver,
//! the time taken and the outcome.

use super::deadline::{self, Deadline};
use super::metrics::Method;
use super::pool::SolvePool;
use super::status::{from_plan_error, invalid_argument, to_plan_error};
use super::ServerConfig;
use crate::convert::via_json;
use crate::convert::{plan_to_proto, scenario_from_proto, violation_to_proto};
use crate::proto::fluidity_service_server::FluidityService;
use crate::proto::{
    CompareRequest, CompareResponse, ExplainRequest, ExplainResponse, PlanRequest, PlanResponse,
    SweepRequest, SweepResponse, ValidateRequest, ValidateResponse,
};
use fluidity_solvers::whatif::compare::compare;
use fluidity_solvers::whatif::explain::{explain, ExplainError};
use fluidity_solvers::whatif::sweep::{sweep, Parameter, SweepError};
use fluidity_solvers::whatif::variant::Variant;
use fluidity_solvers::{plan, validate, variable_count, Cancel, PlanOptions, Scenario, Violation};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, Semaphore};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::StreamExt;
use tonic::{Request, Response, Status, Streaming};
use tracing::Instrument;

/// The service state shared by every call.
pub struct Planner {
    pub(super) config: ServerConfig,
    pub(super) pool: Arc<SolvePool>,
}

/// Raises a solve's cancel flag when a call is dropped before it answered, so the
/// solve stops (Clarabel between iterations, any backend between stages) and gives
/// its slot back.
pub(super) struct CancelOnDrop(Option<Arc<std::sync::atomic::AtomicBool>>);

impl CancelOnDrop {
    /// The call answered: nothing to cancel.
    fn disarm(mut self) {
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
fn deadline_of<T>(request: &Request<T>) -> Option<Deadline> {
    match request.extensions().get::<super::auth::CallDeadline>() {
        Some(read) => read.0,
        None => deadline::from_metadata(request.metadata(), Instant::now()),
    }
}

/// The authenticated caller's name, or `anonymous` on a server without tokens.
fn caller_of<T>(request: &Request<T>) -> String {
    request
        .extensions()
        .get::<super::auth::Caller>()
        .map_or_else(|| "anonymous".to_string(), |c| c.0.clone())
}

fn scenario_of(scenario: Option<crate::proto::Scenario>) -> Result<Scenario, Status> {
    let scenario = scenario.ok_or_else(|| {
        invalid_argument(&[Violation {
            path: "scenario".to_string(),
            message: "a scenario is required".to_string(),
        }])
    })?;
    scenario_from_proto(scenario).map_err(|violations| invalid_argument(&violations))
}

impl Planner {
    /// Runs `job` on the solve pool, answering DEADLINE_EXCEEDED just before the
    /// deadline even when the job (formulating alone, say) outlasts it: tonic would
    /// otherwise cancel the call, and the caller would read CANCELLED.
    async fn on_pool<T: Send + 'static>(
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
    async fn off_runtime<T: Send + 'static>(
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
    async fn bounded<T>(
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
    fn count<T>(&self, method: Method, answer: &Result<T, Status>) {
        let code = match answer {
            Ok(_) => tonic::Code::Ok,
            Err(status) => status.code(),
        };
        self.config.metrics.call(method, code);
    }

    /// The deadline of a call that plans many times (Compare, Sweep, Explain): the
    /// caller's, or `--max-solve-seconds` from now when that is sooner, so that the
    /// server's limit on one call bounds all its plans together, not each of them.
    fn whole_call(&self, deadline: Option<Deadline>) -> Option<Deadline> {
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
    fn options(&self, deadline: Option<Deadline>) -> (PlanOptions, CancelOnDrop) {
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

    /// Plans one request: the work behind Plan and each PlanStream message.
    async fn plan_one(
        &self,
        request: PlanRequest,
        deadline: Option<Deadline>,
        caller: &str,
    ) -> Result<PlanResponse, Status> {
        let started = Instant::now();
        // Invalid input is answered at once, without waiting for (or taking) a solve
        // slot; decoding and validating a large scenario is real work, so both run off
        // the runtime, in one hop.
        let (proto, limits) = (request.scenario, self.config.limits);
        let scenario = self
            .off_runtime(deadline, move || {
                let scenario = scenario_of(proto)?;
                validate(&scenario, &limits)
                    .map(|()| scenario)
                    .map_err(|invalid| invalid_argument(&invalid.violations))
            })
            .await?;
        let span = tracing::info_span!(
            "plan",
            caller = %caller,
            id = %request.id,
            initiatives = scenario.initiatives.len(),
            resources = scenario.resources.len(),
            periods = scenario.periods.len(),
            solver = tracing::field::Empty,
            status = tracing::field::Empty,
            ms = tracing::field::Empty,
        );
        let (options, cancel_on_drop) = self.options(deadline);
        let hook = self.config.before_solve.clone();
        let result = self
            .on_pool(deadline, move || {
                if let Some(hook) = hook {
                    hook(&scenario);
                }
                plan(&scenario, &options)
            })
            .instrument(span.clone())
            .await;
        if result.is_ok() {
            // The solve finished; otherwise (deadline, refusal) dropping the guard
            // stops whatever still runs.
            cancel_on_drop.disarm();
        }
        span.record("ms", started.elapsed().as_secs_f64() * 1e3);
        let outcome =
            result.and_then(|planned| planned.map_err(|e| from_plan_error(&e, deadline.is_some())));
        match &outcome {
            Ok(p) => {
                self.config
                    .metrics
                    .solve(&p.solver.name, p.solver.variables, p.solver.seconds);
                span.record("solver", p.solver.name.as_str());
                span.record("status", tracing::field::debug(p.status));
                tracing::info!(parent: &span, objective = p.objective, "planned");
            }
            Err(status) => {
                span.record("status", tracing::field::debug(status.code()));
                tracing::info!(parent: &span, message = status.message(), "not planned");
            }
        }
        outcome.map(|p| PlanResponse {
            id: request.id,
            plan: Some(plan_to_proto(&p)),
            error: None,
        })
    }
}

#[tonic::async_trait]
impl FluidityService for Planner {
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
        let deadline = deadline_of(&request);
        let caller = caller_of(&request);
        let mut inbound = request.into_inner();
        let (tx, rx) = mpsc::channel(64);
        let planner = Arc::new(Planner {
            config: self.config.clone(),
            pool: self.pool.clone(),
        });
        // One stream never floods the shared queue by itself: it keeps at most as many
        // scenarios in flight as there are solve slots.
        let in_flight = Arc::new(Semaphore::new(self.config.max_concurrent_solves.max(1)));
        tokio::spawn(
            async move {
                // Each message is planned in a task this driver owns: when the client
                // goes away (the response stream is dropped, so `tx` closes), the
                // driver returns and dropping `plans` aborts every task, whose
                // `CancelOnDrop` guards then stop their solves.
                let mut plans = tokio::task::JoinSet::new();
                let mut reading = true;
                loop {
                    if !reading && plans.is_empty() {
                        // Every answer sent: dropping `tx` ends the response stream.
                        return;
                    }
                    tokio::select! {
                        _ = tx.closed() => return,
                        Some(_) = plans.join_next(), if !plans.is_empty() => continue,
                        message = inbound.next(), if reading => {
                            let request = match message {
                                Some(Ok(request)) => request,
                                Some(Err(status)) => {
                                    let _ = tx.send(Err(super::status::from_transport(status))).await;
                                    return;
                                }
                                None => {
                                    reading = false;
                                    continue;
                                }
                            };
                            let slot = tokio::select! {
                                _ = tx.closed() => return,
                                slot = in_flight.clone().acquire_owned() => slot,
                            };
                            let Ok(slot) = slot else { return };
                            let (planner, tx, caller) = (planner.clone(), tx.clone(), caller.clone());
                            plans.spawn(
                                async move {
                                    let _slot = slot;
                                    let id = request.id.clone();
                                    let planned = planner.plan_one(request, deadline, &caller).await;
                                    planner.count(Method::PlanStream, &planned);
                                    let answer = match planned {
                                        Ok(response) => response,
                                        Err(status) => PlanResponse {
                                            id,
                                            plan: None,
                                            error: Some(to_plan_error(&status)),
                                        },
                                    };
                                    let _ = tx.send(Ok(answer)).await;
                                }
                                .in_current_span(),
                            );
                        }
                    }
                }
            }
            .in_current_span(),
        );
        Ok(Response::new(ReceiverStream::new(rx)))
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

/// The RPCs' work; the trait methods above count each answer.
impl Planner {
    async fn validate_call(
        &self,
        request: Request<ValidateRequest>,
    ) -> Result<Response<ValidateResponse>, Status> {
        let deadline = deadline_of(&request);
        let proto = request.into_inner().scenario;
        let limits = self.config.limits;
        let hook = self.config.before_check.clone();
        // Converting and validating a large scenario is real work: off the runtime.
        let response = self
            .off_runtime(deadline, move || {
                let scenario = match scenario_of(proto) {
                    Ok(s) => s,
                    Err(status) => {
                        // An unreadable enum is a validation problem like any other here.
                        return Ok(ValidateResponse {
                            valid: false,
                            violations: to_plan_error(&status).violations,
                            variables: 0,
                        });
                    }
                };
                if let Some(hook) = hook {
                    hook(&scenario);
                }
                let violations = match validate(&scenario, &limits) {
                    Ok(()) => Vec::new(),
                    Err(invalid) => invalid.violations.iter().map(violation_to_proto).collect(),
                };
                Ok(ValidateResponse {
                    valid: violations.is_empty(),
                    violations,
                    variables: variable_count(&scenario) as u64,
                })
            })
            .await?;
        tracing::info!(problems = response.violations.len(), "validated");
        Ok(Response::new(response))
    }

    async fn compare_call(
        &self,
        request: Request<CompareRequest>,
    ) -> Result<Response<CompareResponse>, Status> {
        let deadline = self.whole_call(deadline_of(&request));
        let caller = caller_of(&request);
        let request = request.into_inner();
        let (base, variants) = self
            .off_runtime(deadline, move || {
                let base = scenario_of(request.base)?;
                let mut variants = Vec::with_capacity(request.variants.len());
                for (k, v) in request.variants.iter().enumerate() {
                    variants.push(via_json::<_, Variant>(v).map_err(|e| {
                        invalid_argument(&[Violation {
                            path: format!("variants[{k}]"),
                            message: e,
                        }])
                    })?);
                }
                if variants.is_empty() {
                    return Err(invalid_argument(&[Violation {
                        path: "variants".to_string(),
                        message: "give at least one variant".to_string(),
                    }]));
                }
                let problems = fluidity_solvers::whatif::variant::check_all(&base, &variants);
                if problems.is_empty() {
                    Ok((base, variants))
                } else {
                    Err(invalid_argument(&problems))
                }
            })
            .await?;
        let span = tracing::info_span!(
            "compare",
            caller = %caller,
            variants = variants.len(),
            initiatives = base.initiatives.len()
        );
        let (options, cancel_on_drop) = self.options(deadline);
        let comparison = self
            .on_pool(deadline, move || compare(&base, &variants, &options))
            .instrument(span)
            .await?
            .map_err(|e| from_plan_error(&e, deadline.is_some()))?;
        cancel_on_drop.disarm();
        let comparison = via_json(&comparison)
            .map_err(|e| Status::internal(format!("encoding the comparison: {e}")))?;
        Ok(Response::new(CompareResponse {
            comparison: Some(comparison),
        }))
    }

    async fn explain_call(
        &self,
        request: Request<ExplainRequest>,
    ) -> Result<Response<ExplainResponse>, Status> {
        let deadline = self.whole_call(deadline_of(&request));
        let caller = caller_of(&request);
        let request = request.into_inner();
        let only = request.initiatives;
        let proto = request.scenario;
        let limits = self.config.limits;
        let (scenario, only) = self
            .off_runtime(deadline, move || {
                let scenario = scenario_of(proto)?;
                validate(&scenario, &limits)
                    .map_err(|invalid| invalid_argument(&invalid.violations))?;
                let unknown: Vec<Violation> = only
                    .iter()
                    .enumerate()
                    .filter(|(_, id)| !scenario.initiatives.iter().any(|i| &i.id == *id))
                    .map(|(k, id)| Violation {
                        path: format!("initiatives[{k}]"),
                        message: format!("the scenario has no initiative {id:?} to explain"),
                    })
                    .collect();
                if unknown.is_empty() {
                    Ok((scenario, only))
                } else {
                    Err(super::status::invalid_request(&unknown))
                }
            })
            .await?;
        let span = tracing::info_span!(
            "explain",
            caller = %caller,
            initiatives = scenario.initiatives.len(),
            explained = if only.is_empty() { scenario.initiatives.len() } else { only.len() }
        );
        let (options, cancel_on_drop) = self.options(deadline);
        let explanation = self
            .on_pool(deadline, move || explain(&scenario, &only, &options))
            .instrument(span)
            .await?
            .map_err(|e| match e {
                ExplainError::Plan(e) => from_plan_error(&e, deadline.is_some()),
                // Checked above; kept for completeness.
                ExplainError::UnknownInitiatives(ids) => {
                    super::status::invalid_request(&[Violation {
                        path: "initiatives".to_string(),
                        message: format!("no initiative with id {}", ids.join(", ")),
                    }])
                }
            })?;
        cancel_on_drop.disarm();
        tracing::info!(solves = explanation.solves, "explained");
        let explanation = via_json(&explanation)
            .map_err(|e| Status::internal(format!("encoding the explanation: {e}")))?;
        Ok(Response::new(ExplainResponse {
            explanation: Some(explanation),
        }))
    }

    async fn sweep_call(
        &self,
        request: Request<SweepRequest>,
    ) -> Result<Response<SweepResponse>, Status> {
        let deadline = self.whole_call(deadline_of(&request));
        let caller = caller_of(&request);
        let request = request.into_inner();
        let proto = request.base;
        let base = self
            .off_runtime(deadline, move || scenario_of(proto))
            .await?;
        let parameter = match crate::proto::Parameter::try_from(request.parameter) {
            Ok(crate::proto::Parameter::CapacityFactor) => Parameter::CapacityFactor,
            Ok(crate::proto::Parameter::ReserveLevel) => Parameter::ReserveLevel,
            _ => {
                return Err(invalid_argument(&[Violation {
                    path: "parameter".to_string(),
                    message: "use CAPACITY_FACTOR or RESERVE_LEVEL".to_string(),
                }]))
            }
        };
        let span = tracing::info_span!(
            "sweep",
            caller = %caller,
            resource = %request.resource,
            points = request.values.len()
        );
        let (options, cancel_on_drop) = self.options(deadline);
        let (resource, values) = (request.resource, request.values);
        let frontier = self
            .on_pool(deadline, move || {
                sweep(&base, &resource, parameter, &values, &options)
            })
            .instrument(span)
            .await?
            .map_err(|e| match e {
                SweepError::Invalid(violations) => invalid_argument(&violations),
                SweepError::Plan(e) => from_plan_error(&e, deadline.is_some()),
            })?;
        cancel_on_drop.disarm();
        let frontier = via_json(&frontier)
            .map_err(|e| Status::internal(format!("encoding the sweep: {e}")))?;
        Ok(Response::new(SweepResponse {
            sweep: Some(frontier),
        }))
    }
}
