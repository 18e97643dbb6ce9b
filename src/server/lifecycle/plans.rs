//! SavePlan, ApprovePlan, WithdrawPlan, GetPlan, ListPlans, DiffPlans.

use super::{page_size, status, LifecycleService};
use crate::server::service::{actor_of, deadline_of, scenario_of};
use crate::store::PlanFilter;
use crate::wire::convert::plan_to_proto;
use crate::wire::lifecycle::{changes_to_proto, record_to_proto, state_from_proto};
use crate::wire::proto::*;
use crate::wire::status::{from_plan_error, invalid_argument};
use fluidity_solvers::lifecycle::priority_changes;
use fluidity_solvers::{plan, validate};
use tonic::{Request, Status};

impl LifecycleService {
    /// Plans the request's scenario on the solve pool, then saves it as a DRAFT.
    pub(super) async fn save_plan_call(
        &self,
        request: Request<SavePlanRequest>,
    ) -> Result<SavePlanResponse, Status> {
        let store = self.store()?;
        let deadline = deadline_of(&request);
        let actor = actor_of(&request);
        let request = request.into_inner();
        let limits = self.planning.config.limits;
        let proto = request.scenario;
        let scenario = self
            .planning
            .off_runtime(deadline, move || {
                let scenario = scenario_of(proto)?;
                validate(&scenario, &limits)
                    .map(|()| scenario)
                    .map_err(|invalid| invalid_argument(&invalid.violations))
            })
            .await?;
        let (options, cancel_on_drop) = self.planning.options(deadline);
        let planned_scenario = scenario.clone();
        let planned = self
            .planning
            .on_pool(deadline, move || plan(&planned_scenario, &options))
            .await?
            .map_err(|e| from_plan_error(&e, deadline.is_some()))?;
        cancel_on_drop.disarm();
        let key = (!request.idempotency_key.is_empty()).then_some(request.idempotency_key.as_str());
        let saved = store
            .save_plan(&actor, &request.portfolio, &scenario, &planned, None, key)
            .await
            .map_err(status)?;
        tracing::info!(id = saved.id, portfolio = %request.portfolio, actor = %actor.name, "plan saved");
        Ok(SavePlanResponse {
            id: saved.id,
            already_saved: saved.already_saved,
            plan: Some(plan_to_proto(&planned)),
        })
    }

    pub(super) async fn approve_plan_call(
        &self,
        request: Request<ApprovePlanRequest>,
    ) -> Result<ApprovePlanResponse, Status> {
        let store = self.store()?;
        let actor = actor_of(&request);
        let r = request.into_inner();
        let record = store
            .approve(&actor, r.id, &r.comment)
            .await
            .map_err(status)?;
        tracing::info!(id = r.id, actor = %actor.name, "plan approved");
        Ok(ApprovePlanResponse {
            record: Some(record_to_proto(&record, true)),
        })
    }

    pub(super) async fn withdraw_plan_call(
        &self,
        request: Request<WithdrawPlanRequest>,
    ) -> Result<WithdrawPlanResponse, Status> {
        let store = self.store()?;
        let actor = actor_of(&request);
        store
            .withdraw(&actor, request.into_inner().id)
            .await
            .map_err(status)?;
        Ok(WithdrawPlanResponse {})
    }

    pub(super) async fn get_plan_call(
        &self,
        request: Request<GetPlanRequest>,
    ) -> Result<GetPlanResponse, Status> {
        let record = self
            .store()?
            .plan(request.into_inner().id)
            .await
            .map_err(status)?;
        Ok(GetPlanResponse {
            record: Some(record_to_proto(&record, true)),
        })
    }

    pub(super) async fn list_plans_call(
        &self,
        request: Request<ListPlansRequest>,
    ) -> Result<ListPlansResponse, Status> {
        let store = self.store()?;
        let r = request.into_inner();
        let limit = page_size(r.page_size);
        let filter = PlanFilter {
            portfolio: (!r.portfolio.is_empty()).then_some(r.portfolio),
            state: state_from_proto(r.state),
            after: r.after_id,
            limit,
        };
        let records = store.list_plans(&filter).await.map_err(status)?;
        let next_after_id = match records.last() {
            Some(last) if records.len() as i64 == limit => last.id,
            _ => 0,
        };
        Ok(ListPlansResponse {
            records: records.iter().map(|r| record_to_proto(r, false)).collect(),
            next_after_id,
        })
    }

    pub(super) async fn diff_plans_call(
        &self,
        request: Request<DiffPlansRequest>,
    ) -> Result<DiffPlansResponse, Status> {
        let store = self.store()?;
        let r = request.into_inner();
        let before = store.plan(r.from_id).await.map_err(status)?;
        let after = store.plan(r.to_id).await.map_err(status)?;
        Ok(DiffPlansResponse {
            from_objective: before.plan.objective,
            to_objective: after.plan.objective,
            changes: changes_to_proto(&priority_changes(
                Some(&before.plan),
                &after.scenario,
                &after.plan,
            )),
        })
    }
}
