//! The plan lifecycle over gRPC (`fluidity.v1.PlanLifecycleService`): the store's
//! operations as a server answers them, read back into the store's own types, so
//! the CLI prints the same whether it works in process or with `--server`.

use super::{channel, from_status, BearerToken, Endpoint, RemoteError};
use crate::store::{AlertRecord, AuditEntry, PlanFilter, PlanRecord, SavedPlan, Verification};
use crate::wire::convert::{plan_from_proto, scenario_to_proto};
use crate::wire::lifecycle::*;
use crate::wire::proto::plan_lifecycle_service_client::PlanLifecycleServiceClient;
use crate::wire::proto::*;
use fluidity_solvers::lifecycle::{Actual, Execution, PriorityChange, ResourceActual, Triggers};
use fluidity_solvers::{Plan, Scenario};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// A connection to a server's lifecycle service.
pub struct LifecycleClient {
    inner: PlanLifecycleServiceClient<InterceptedService<Channel, BearerToken>>,
}

/// What Replan answered.
#[derive(Debug, Clone)]
pub struct Replanned {
    /// The new DRAFT's id.
    pub id: i64,
    /// The approved plan it re-plans.
    pub parent: i64,
    /// Its plan.
    pub plan: Plan,
    /// The last period with actuals.
    pub from_period: String,
    /// Initiatives taken as planned in that period.
    pub assumed_as_planned: Vec<String>,
    /// Against the approved plan.
    pub changes: Vec<PriorityChange>,
}

fn protocol(e: String) -> RemoteError {
    RemoteError::Protocol(format!("the server's answer does not read back: {e}"))
}

impl LifecycleClient {
    /// Connects to the server `endpoint` names.
    pub async fn connect(endpoint: &Endpoint) -> Result<LifecycleClient, RemoteError> {
        let (channel, token) = channel(endpoint).await?;
        Ok(LifecycleClient {
            inner: PlanLifecycleServiceClient::with_interceptor(channel, token)
                .max_decoding_message_size(usize::MAX),
        })
    }

    /// SavePlan: the server plans `scenario` and saves it as a DRAFT.
    pub async fn save_plan(
        &mut self,
        portfolio: &str,
        scenario: &Scenario,
        idempotency_key: Option<&str>,
    ) -> Result<(SavedPlan, Plan), RemoteError> {
        let r = self
            .inner
            .save_plan(SavePlanRequest {
                portfolio: portfolio.to_string(),
                scenario: Some(scenario_to_proto(scenario)),
                idempotency_key: idempotency_key.unwrap_or_default().to_string(),
            })
            .await
            .map_err(from_status)?
            .into_inner();
        let plan =
            plan_from_proto(r.plan.ok_or_else(|| protocol("no plan".into()))?).map_err(protocol)?;
        Ok((
            SavedPlan {
                id: r.id,
                already_saved: r.already_saved,
            },
            plan,
        ))
    }

    /// ApprovePlan.
    pub async fn approve(&mut self, id: i64, comment: &str) -> Result<PlanRecord, RemoteError> {
        let r = self
            .inner
            .approve_plan(ApprovePlanRequest {
                id,
                comment: comment.to_string(),
            })
            .await
            .map_err(from_status)?
            .into_inner();
        record_from_proto(r.record.ok_or_else(|| protocol("no record".into()))?).map_err(protocol)
    }

    /// WithdrawPlan.
    pub async fn withdraw(&mut self, id: i64) -> Result<(), RemoteError> {
        self.inner
            .withdraw_plan(WithdrawPlanRequest { id })
            .await
            .map_err(from_status)?;
        Ok(())
    }

    /// GetPlan.
    pub async fn plan(&mut self, id: i64) -> Result<PlanRecord, RemoteError> {
        let r = self
            .inner
            .get_plan(GetPlanRequest { id })
            .await
            .map_err(from_status)?
            .into_inner();
        record_from_proto(r.record.ok_or_else(|| protocol("no record".into()))?).map_err(protocol)
    }

    /// ListPlans, one page; each record read whole with GetPlan (a list carries no
    /// scenarios or plans).
    pub async fn list_plans(
        &mut self,
        filter: &PlanFilter,
    ) -> Result<Vec<PlanRecord>, RemoteError> {
        let r = self
            .inner
            .list_plans(ListPlansRequest {
                portfolio: filter.portfolio.clone().unwrap_or_default(),
                state: filter.state.map_or(0, |s| state_to_proto(s) as i32),
                after_id: filter.after,
                page_size: filter.limit.clamp(1, 1000) as i32,
            })
            .await
            .map_err(from_status)?
            .into_inner();
        let mut records = Vec::new();
        for summary in r.records {
            records.push(self.plan(summary.id).await?);
        }
        Ok(records)
    }

    /// RecordActuals, with resource use when given.
    pub async fn record_actuals(
        &mut self,
        portfolio: &str,
        actuals: &[Actual],
        uses: &[ResourceActual],
    ) -> Result<(Execution, Vec<AlertRecord>), RemoteError> {
        let r = self
            .inner
            .record_actuals(RecordActualsRequest {
                portfolio: portfolio.to_string(),
                actuals: actuals
                    .iter()
                    .map(|a| crate::wire::proto::Actual {
                        initiative: a.initiative.clone(),
                        period: a.period.clone(),
                        activity: a.activity,
                    })
                    .collect(),
                resource_use: uses
                    .iter()
                    .map(|u| crate::wire::proto::ResourceActual {
                        resource: u.resource.clone(),
                        period: u.period.clone(),
                        used: u.used,
                    })
                    .collect(),
            })
            .await
            .map_err(from_status)?
            .into_inner();
        let run = execution_from_proto(r.execution.unwrap_or_default()).map_err(protocol)?;
        Ok((
            run,
            r.new_alerts.into_iter().map(alert_from_proto).collect(),
        ))
    }

    /// GetExecution: the approved plan's id and the execution against it.
    pub async fn execution(&mut self, portfolio: &str) -> Result<(i64, Execution), RemoteError> {
        let r = self
            .inner
            .get_execution(GetExecutionRequest {
                portfolio: portfolio.to_string(),
            })
            .await
            .map_err(from_status)?
            .into_inner();
        let run = execution_from_proto(r.execution.unwrap_or_default()).map_err(protocol)?;
        Ok((r.plan_id, run))
    }

    /// SetTriggers.
    pub async fn set_triggers(
        &mut self,
        portfolio: &str,
        triggers: &Triggers,
    ) -> Result<(), RemoteError> {
        self.inner
            .set_triggers(SetTriggersRequest {
                portfolio: portfolio.to_string(),
                triggers: Some(triggers_to_proto(triggers)),
            })
            .await
            .map_err(from_status)?;
        Ok(())
    }

    /// ListAlerts.
    pub async fn alerts(
        &mut self,
        portfolio: Option<&str>,
        all: bool,
    ) -> Result<Vec<AlertRecord>, RemoteError> {
        let r = self
            .inner
            .list_alerts(ListAlertsRequest {
                portfolio: portfolio.unwrap_or_default().to_string(),
                include_acknowledged: all,
            })
            .await
            .map_err(from_status)?
            .into_inner();
        Ok(r.alerts.into_iter().map(alert_from_proto).collect())
    }

    /// AcknowledgeAlert.
    pub async fn acknowledge(&mut self, id: i64) -> Result<(), RemoteError> {
        self.inner
            .acknowledge_alert(AcknowledgeAlertRequest { id })
            .await
            .map_err(from_status)?;
        Ok(())
    }

    /// Replan.
    pub async fn replan(&mut self, portfolio: &str) -> Result<Replanned, RemoteError> {
        let r = self
            .inner
            .replan(ReplanRequest {
                portfolio: portfolio.to_string(),
            })
            .await
            .map_err(from_status)?
            .into_inner();
        Ok(Replanned {
            id: r.id,
            parent: r.parent_id,
            plan: plan_from_proto(r.plan.ok_or_else(|| protocol("no plan".into()))?)
                .map_err(protocol)?,
            from_period: r.from_period,
            assumed_as_planned: r.assumed_as_planned,
            changes: changes_from_proto(r.changes).map_err(protocol)?,
        })
    }

    /// GetAuditLog.
    pub async fn audit_log(
        &mut self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, RemoteError> {
        let r = self
            .inner
            .get_audit_log(GetAuditLogRequest {
                after_seq: after,
                page_size: limit.clamp(1, 1000) as i32,
            })
            .await
            .map_err(from_status)?
            .into_inner();
        Ok(r.entries.into_iter().map(audit_from_proto).collect())
    }

    /// VerifyAudit, and the last entry's hash.
    pub async fn verify(&mut self) -> Result<(Verification, String), RemoteError> {
        let r = self
            .inner
            .verify_audit(VerifyAuditRequest {})
            .await
            .map_err(from_status)?
            .into_inner();
        Ok((
            Verification {
                entries: r.entries,
                first_broken: (r.first_broken_seq != 0).then_some((r.first_broken_seq, r.problem)),
                altered_plans: r.altered_plans,
                records_differ: r.records_differ,
            },
            r.last_hash,
        ))
    }
}
