//! Explain: what would change each decision of the plan, by re-planning, under one
//! deadline for the whole call.

use crate::server::service::{caller_of, deadline_of, scenario_of, PlanningService};
use crate::wire::convert::via_json;
use crate::wire::proto::{ExplainRequest, ExplainResponse};
use crate::wire::status::{from_plan_error, invalid_argument};
use fluidity_solvers::whatif::explain::{explain, ExplainError};
use fluidity_solvers::{validate, Violation};
use tonic::{Request, Response, Status};
use tracing::Instrument;

impl PlanningService {
    pub(in crate::server) async fn explain_call(
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
                    Err(crate::wire::status::invalid_request(&unknown))
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
                    crate::wire::status::invalid_request(&[Violation {
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
}
