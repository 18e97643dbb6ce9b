//! Plan: one scenario planned on the solve pool (also the work behind each
//! PlanStream message): decoded and validated off the runtime, answered at once when
//! invalid, else planned under the call's deadline and cancelled if the caller leaves.

use crate::server::deadline::Deadline;
use crate::server::service::{scenario_of, PlanningService};
use crate::wire::convert::plan_to_proto;
use crate::wire::proto::{PlanRequest, PlanResponse};
use crate::wire::status::{from_plan_error, invalid_argument};
use fluidity_solvers::{plan, validate};
use std::time::Instant;
use tonic::Status;
use tracing::Instrument;

impl PlanningService {
    /// Plans one request: the work behind Plan and each PlanStream message.
    pub(in crate::server) async fn plan_one(
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
