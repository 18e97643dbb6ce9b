//! Compare: the base and its variants planned side by side, under one deadline for
//! the whole call.

use crate::server::service::{caller_of, deadline_of, scenario_of, PlanningService};
use crate::wire::convert::via_json;
use crate::wire::proto::{CompareRequest, CompareResponse};
use crate::wire::status::{from_plan_error, invalid_argument};
use fluidity_solvers::whatif::compare::compare;
use fluidity_solvers::whatif::variant::Variant;
use fluidity_solvers::Violation;
use tonic::{Request, Response, Status};
use tracing::Instrument;

impl PlanningService {
    pub(in crate::server) async fn compare_call(
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
}
