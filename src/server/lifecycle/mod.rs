//! `fluidity.v1.PlanLifecycleService`: plan records, approvals, actuals, alerts,
//! re-plans and the audit trail, kept in the server's store (`--store`). The trait
//! tonic calls hands each RPC to its file (`plans`, `actuals`, `audit`) and counts
//! its answer; planning (SavePlan, Replan) runs on the solve pool like Plan. Without
//! a store every call is FAILED_PRECONDITION; the actor is the caller's token.

mod actuals;
mod audit;
mod plans;

use super::metrics::Method;
use super::service::PlanningService;
use crate::store::{Store, StoreError};
use crate::wire::proto::plan_lifecycle_service_server::PlanLifecycleService;
use crate::wire::proto::*;
use tonic::{Request, Response, Status};

/// The lifecycle service: the planning service's pool and limits, and the store.
pub struct LifecycleService {
    planning: PlanningService,
}

impl LifecycleService {
    /// The service over `planning`'s pool and configuration (its store included).
    pub fn new(planning: PlanningService) -> LifecycleService {
        LifecycleService { planning }
    }

    /// The store, or FAILED_PRECONDITION saying how to give the server one.
    fn store(&self) -> Result<&Store, Status> {
        self.planning.config.store.as_ref().ok_or_else(|| {
            Status::failed_precondition(
                "this server keeps no plans: start it with --store sqlite:PATH or --store postgres://... to use the plan lifecycle",
            )
        })
    }

    fn answer<T>(&self, answer: Result<T, Status>) -> Result<Response<T>, Status> {
        self.planning.count(Method::Lifecycle, &answer);
        answer.map(Response::new)
    }
}

/// A store error as the gRPC status that means it.
fn status(e: StoreError) -> Status {
    match e {
        StoreError::Invalid(problems) => crate::wire::status::invalid_request(&problems),
        StoreError::NotFound(m) => Status::not_found(m),
        StoreError::Conflict(m) => Status::failed_precondition(m),
        StoreError::PermissionDenied(m) => Status::permission_denied(m),
        StoreError::Database(e) => {
            tracing::error!(error = %e, "the store failed");
            Status::unavailable(format!("the store failed: {e}"))
        }
        other => Status::internal(other.to_string()),
    }
}

/// At most 1000, 0 meaning 100.
fn page_size(asked: i32) -> i64 {
    if asked <= 0 {
        100
    } else {
        i64::from(asked).min(1000)
    }
}

#[tonic::async_trait]
impl PlanLifecycleService for LifecycleService {
    async fn save_plan(
        &self,
        r: Request<SavePlanRequest>,
    ) -> Result<Response<SavePlanResponse>, Status> {
        self.answer(self.save_plan_call(r).await)
    }

    async fn approve_plan(
        &self,
        r: Request<ApprovePlanRequest>,
    ) -> Result<Response<ApprovePlanResponse>, Status> {
        self.answer(self.approve_plan_call(r).await)
    }

    async fn withdraw_plan(
        &self,
        r: Request<WithdrawPlanRequest>,
    ) -> Result<Response<WithdrawPlanResponse>, Status> {
        self.answer(self.withdraw_plan_call(r).await)
    }

    async fn get_plan(
        &self,
        r: Request<GetPlanRequest>,
    ) -> Result<Response<GetPlanResponse>, Status> {
        self.answer(self.get_plan_call(r).await)
    }

    async fn list_plans(
        &self,
        r: Request<ListPlansRequest>,
    ) -> Result<Response<ListPlansResponse>, Status> {
        self.answer(self.list_plans_call(r).await)
    }

    async fn diff_plans(
        &self,
        r: Request<DiffPlansRequest>,
    ) -> Result<Response<DiffPlansResponse>, Status> {
        self.answer(self.diff_plans_call(r).await)
    }

    async fn record_actuals(
        &self,
        r: Request<RecordActualsRequest>,
    ) -> Result<Response<RecordActualsResponse>, Status> {
        self.answer(self.record_actuals_call(r).await)
    }

    async fn get_execution(
        &self,
        r: Request<GetExecutionRequest>,
    ) -> Result<Response<GetExecutionResponse>, Status> {
        self.answer(self.get_execution_call(r).await)
    }

    async fn set_triggers(
        &self,
        r: Request<SetTriggersRequest>,
    ) -> Result<Response<SetTriggersResponse>, Status> {
        self.answer(self.set_triggers_call(r).await)
    }

    async fn list_alerts(
        &self,
        r: Request<ListAlertsRequest>,
    ) -> Result<Response<ListAlertsResponse>, Status> {
        self.answer(self.list_alerts_call(r).await)
    }

    async fn acknowledge_alert(
        &self,
        r: Request<AcknowledgeAlertRequest>,
    ) -> Result<Response<AcknowledgeAlertResponse>, Status> {
        self.answer(self.acknowledge_alert_call(r).await)
    }

    async fn replan(&self, r: Request<ReplanRequest>) -> Result<Response<ReplanResponse>, Status> {
        self.answer(self.replan_call(r).await)
    }

    async fn get_audit_log(
        &self,
        r: Request<GetAuditLogRequest>,
    ) -> Result<Response<GetAuditLogResponse>, Status> {
        self.answer(self.get_audit_log_call(r).await)
    }

    async fn verify_audit(
        &self,
        r: Request<VerifyAuditRequest>,
    ) -> Result<Response<VerifyAuditResponse>, Status> {
        self.answer(self.verify_audit_call(r).await)
    }
}
