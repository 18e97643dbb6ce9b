//! Sweep: the optimum along one resource (capacity factors or reserve levels) and
//! the base's price ranges, under one deadline for the whole call.

use crate::server::service::{caller_of, deadline_of, scenario_of, PlanningService};
use crate::wire::convert::via_json;
use crate::wire::proto::{SweepRequest, SweepResponse};
use crate::wire::status::{from_plan_error, invalid_argument};
use fluidity_solvers::whatif::sweep::{sweep, Parameter, SweepError};
use fluidity_solvers::Violation;
use tonic::{Request, Response, Status};
use tracing::Instrument;

impl PlanningService {
    pub(in crate::server) async fn sweep_call(
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
        let parameter = match crate::wire::proto::Parameter::try_from(request.parameter) {
            Ok(crate::wire::proto::Parameter::CapacityFactor) => Parameter::CapacityFactor,
            Ok(crate::wire::proto::Parameter::ReserveLevel) => Parameter::ReserveLevel,
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
