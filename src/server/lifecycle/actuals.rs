//! RecordActuals, GetExecution, SetTriggers, ListAlerts, AcknowledgeAlert, Replan.

use super::{status, LifecycleService};
use crate::server::service::{actor_of, deadline_of};
use crate::store::StoreError;
use crate::wire::convert::plan_to_proto;
use crate::wire::lifecycle::{
    alert_to_proto, changes_to_proto, execution_to_proto, triggers_from_proto,
};
use crate::wire::proto::*;
use crate::wire::status::from_plan_error;
use fluidity_solvers::lifecycle::{priority_changes, replan_scenario, Actual, ResourceActual};
use fluidity_solvers::plan;
use tonic::{Request, Status};

impl LifecycleService {
    pub(super) async fn record_actuals_call(
        &self,
        request: Request<RecordActualsRequest>,
    ) -> Result<RecordActualsResponse, Status> {
        let store = self.store()?;
        let actor = actor_of(&request);
        let r = request.into_inner();
        let actuals: Vec<Actual> = r
            .actuals
            .into_iter()
            .map(|a| Actual {
                initiative: a.initiative,
                period: a.period,
                activity: a.activity,
            })
            .collect();
        let uses: Vec<ResourceActual> = r
            .resource_use
            .into_iter()
            .map(|u| ResourceActual {
                resource: u.resource,
                period: u.period,
                used: u.used,
            })
            .collect();
        let (run, raised) = store
            .record(&actor, &r.portfolio, &actuals, &uses)
            .await
            .map_err(status)?;
        Ok(RecordActualsResponse {
            execution: Some(execution_to_proto(&run).map_err(Status::internal)?),
            new_alerts: raised.iter().map(alert_to_proto).collect(),
        })
    }

    pub(super) async fn get_execution_call(
        &self,
        request: Request<GetExecutionRequest>,
    ) -> Result<GetExecutionResponse, Status> {
        let store = self.store()?;
        let (approved, _, run) = store
            .execution(&request.into_inner().portfolio)
            .await
            .map_err(status)?;
        Ok(GetExecutionResponse {
            plan_id: approved.id,
            execution: Some(execution_to_proto(&run).map_err(Status::internal)?),
        })
    }

    pub(super) async fn set_triggers_call(
        &self,
        request: Request<SetTriggersRequest>,
    ) -> Result<SetTriggersResponse, Status> {
        let store = self.store()?;
        let actor = actor_of(&request);
        let r = request.into_inner();
        let triggers = triggers_from_proto(r.triggers.unwrap_or_default());
        store
            .set_triggers(&actor, &r.portfolio, &triggers)
            .await
            .map_err(status)?;
        Ok(SetTriggersResponse {})
    }

    pub(super) async fn list_alerts_call(
        &self,
        request: Request<ListAlertsRequest>,
    ) -> Result<ListAlertsResponse, Status> {
        let store = self.store()?;
        let r = request.into_inner();
        let portfolio = (!r.portfolio.is_empty()).then_some(r.portfolio.as_str());
        let alerts = store
            .alerts(portfolio, r.include_acknowledged)
            .await
            .map_err(status)?;
        Ok(ListAlertsResponse {
            alerts: alerts.iter().map(alert_to_proto).collect(),
        })
    }

    pub(super) async fn acknowledge_alert_call(
        &self,
        request: Request<AcknowledgeAlertRequest>,
    ) -> Result<AcknowledgeAlertResponse, Status> {
        let store = self.store()?;
        let actor = actor_of(&request);
        store
            .acknowledge(&actor, request.into_inner().id)
            .await
            .map_err(status)?;
        Ok(AcknowledgeAlertResponse {})
    }

    /// The periods left, planned on the solve pool from the recorded actuals, saved as
    /// a DRAFT whose parent is the approved plan.
    pub(super) async fn replan_call(
        &self,
        request: Request<ReplanRequest>,
    ) -> Result<ReplanResponse, Status> {
        let store = self.store()?;
        let deadline = deadline_of(&request);
        let actor = actor_of(&request);
        let portfolio = request.into_inner().portfolio;
        let (approved, actuals, _) = store.execution(&portfolio).await.map_err(status)?;
        let replanning = replan_scenario(&approved.scenario, &approved.plan, &actuals)
            .map_err(|problems| status(StoreError::Invalid(problems)))?;
        let (options, cancel_on_drop) = self.planning.options(deadline);
        let scenario = replanning.scenario.clone();
        let planned = self
            .planning
            .on_pool(deadline, move || plan(&scenario, &options))
            .await?
            .map_err(|e| from_plan_error(&e, deadline.is_some()))?;
        cancel_on_drop.disarm();
        let saved = store
            .save_plan(
                &actor,
                &portfolio,
                &replanning.scenario,
                &planned,
                Some(approved.id),
                None,
            )
            .await
            .map_err(status)?;
        Ok(ReplanResponse {
            id: saved.id,
            parent_id: approved.id,
            changes: changes_to_proto(&priority_changes(
                Some(&approved.plan),
                &replanning.scenario,
                &planned,
            )),
            plan: Some(plan_to_proto(&planned)),
            from_period: replanning.from_period,
            assumed_as_planned: replanning.assumed_as_planned,
        })
    }
}
