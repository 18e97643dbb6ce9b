//! Validate: every problem with a scenario, with field paths, and its size; no solve.

use crate::server::service::{deadline_of, scenario_of, PlanningService};
use crate::wire::convert::violation_to_proto;
use crate::wire::proto::{ValidateRequest, ValidateResponse};
use crate::wire::status::to_plan_error;
use fluidity_solvers::{validate, variable_count};
use tonic::{Request, Response, Status};

impl PlanningService {
    pub(in crate::server) async fn validate_call(
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
}
