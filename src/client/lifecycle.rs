//! The plan lifecycle over gRPC (`fluidity.v1.PlanLifecycleService`): the store's
//! operations as a server answers them, read back into the store's own types, so
//! the CLI prints the same whether it works in process or with `--server`.

use super::{from_status, BearerToken, Endpoint, RemoteError, Replicas};
use crate::store::{AlertRecord, AuditEntry, PlanFilter, PlanRecord, SavedPlan, Verification};
use crate::wire::convert::{plan_from_proto, scenario_to_proto};
use crate::wire::lifecycle::*;
use crate::wire::proto::plan_lifecycle_service_client::PlanLifecycleServiceClient;
use crate::wire::proto::*;
use fluidity_solvers::lifecycle::{Actual, Execution, PriorityChange, ResourceActual, Triggers};
use fluidity_solvers::{Plan, Scenario};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// The lifecycle service on the servers one `--server` names. Reads, and a SavePlan
/// with an idempotency key, are retried on another replica when theirs goes away;
/// calls that change the store otherwise are made once (a cut call may have landed).
pub struct LifecycleClient {
    servers: Replicas,
}

type Inner = PlanLifecycleServiceClient<InterceptedService<Channel, BearerToken>>;

/// Whether a call may be made again: reads, and writes the store recognises.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Repeat {
    Safe,
    Once,
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
        Ok(LifecycleClient {
            servers: Replicas::connect(endpoint).await?,
        })
    }

    /// Makes one RPC (`rpc` on a client over a replica's channel) and reads its answer.
    async fn send<Req, T, F, Fut>(
        &self,
        request: Req,
        repeat: Repeat,
        rpc: F,
    ) -> Result<T, RemoteError>
    where
        Req: Clone,
        F: Fn(Inner, Req) -> Fut,
        Fut: std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        let inner = |channel, token| {
            PlanLifecycleServiceClient::with_interceptor(channel, token)
                .max_decoding_message_size(usize::MAX)
        };
        let answer = match repeat {
            Repeat::Safe => {
                self.servers
                    .call(|channel, token| rpc(inner(channel, token), request.clone()))
                    .await
            }
            Repeat::Once => {
                self.servers
                    .call_once(|channel, token| rpc(inner(channel, token), request.clone()))
                    .await
            }
        };
        Ok(answer.map_err(from_status)?.into_inner())
    }

    /// SavePlan: the server plans `scenario` and saves it as a DRAFT.
    pub async fn save_plan(
        &mut self,
        portfolio: &str,
        scenario: &Scenario,
        idempotency_key: Option<&str>,
    ) -> Result<(SavedPlan, Plan), RemoteError> {
        let r = self
            .send(
                SavePlanRequest {
                    portfolio: portfolio.to_string(),
                    scenario: Some(scenario_to_proto(scenario)),
                    idempotency_key: idempotency_key.unwrap_or_default().to_string(),
                },
                if idempotency_key.is_some_and(|k| !k.is_empty()) {
                    Repeat::Safe
                } else {
                    Repeat::Once
                },
                |mut c, r| async move { c.save_plan(r).await },
            )
            .await?;
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
            .send(
                ApprovePlanRequest {
                    id,
                    comment: comment.to_string(),
                },
                Repeat::Once,
                |mut c, r| async move { c.approve_plan(r).await },
            )
            .await?;
        record_from_proto(r.record.ok_or_else(|| protocol("no record".into()))?).map_err(protocol)
    }

    /// WithdrawPlan.
    pub async fn withdraw(&mut self, id: i64) -> Result<(), RemoteError> {
        self.send(
            WithdrawPlanRequest { id },
            Repeat::Once,
            |mut c, r| async move { c.withdraw_plan(r).await },
        )
        .await?;
        Ok(())
    }

    /// GetPlan.
    pub async fn plan(&mut self, id: i64) -> Result<PlanRecord, RemoteError> {
        let r = self
            .send(GetPlanRequest { id }, Repeat::Safe, |mut c, r| async move {
                c.get_plan(r).await
            })
            .await?;
        record_from_proto(r.record.ok_or_else(|| protocol("no record".into()))?).map_err(protocol)
    }

    /// ListPlans, one page; each record read whole with GetPlan (a list carries no
    /// scenarios or plans).
    pub async fn list_plans(
        &mut self,
        filter: &PlanFilter,
    ) -> Result<Vec<PlanRecord>, RemoteError> {
        let r = self
            .send(
                ListPlansRequest {
                    portfolio: filter.portfolio.clone().unwrap_or_default(),
                    state: filter.state.map_or(0, |s| state_to_proto(s) as i32),
                    after_id: filter.after,
                    page_size: filter.limit.clamp(1, 1000) as i32,
                },
                Repeat::Safe,
                |mut c, r| async move { c.list_plans(r).await },
            )
            .await?;
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
            .send(
                RecordActualsRequest {
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
                },
                Repeat::Once,
                |mut c, r| async move { c.record_actuals(r).await },
            )
            .await?;
        let run = execution_from_proto(r.execution.unwrap_or_default()).map_err(protocol)?;
        Ok((
            run,
            r.new_alerts.into_iter().map(alert_from_proto).collect(),
        ))
    }

    /// GetExecution: the approved plan's id and the execution against it.
    pub async fn execution(&mut self, portfolio: &str) -> Result<(i64, Execution), RemoteError> {
        let r = self
            .send(
                GetExecutionRequest {
                    portfolio: portfolio.to_string(),
                },
                Repeat::Safe,
                |mut c, r| async move { c.get_execution(r).await },
            )
            .await?;
        let run = execution_from_proto(r.execution.unwrap_or_default()).map_err(protocol)?;
        Ok((r.plan_id, run))
    }

    /// SetTriggers.
    pub async fn set_triggers(
        &mut self,
        portfolio: &str,
        triggers: &Triggers,
    ) -> Result<(), RemoteError> {
        self.send(
            SetTriggersRequest {
                portfolio: portfolio.to_string(),
                triggers: Some(triggers_to_proto(triggers)),
            },
            Repeat::Once,
            |mut c, r| async move { c.set_triggers(r).await },
        )
        .await?;
        Ok(())
    }

    /// ListAlerts.
    pub async fn alerts(
        &mut self,
        portfolio: Option<&str>,
        all: bool,
    ) -> Result<Vec<AlertRecord>, RemoteError> {
        let r = self
            .send(
                ListAlertsRequest {
                    portfolio: portfolio.unwrap_or_default().to_string(),
                    include_acknowledged: all,
                },
                Repeat::Safe,
                |mut c, r| async move { c.list_alerts(r).await },
            )
            .await?;
        Ok(r.alerts.into_iter().map(alert_from_proto).collect())
    }

    /// AcknowledgeAlert.
    pub async fn acknowledge(&mut self, id: i64) -> Result<(), RemoteError> {
        self.send(
            AcknowledgeAlertRequest { id },
            Repeat::Once,
            |mut c, r| async move { c.acknowledge_alert(r).await },
        )
        .await?;
        Ok(())
    }

    /// Replan.
    pub async fn replan(&mut self, portfolio: &str) -> Result<Replanned, RemoteError> {
        let r = self
            .send(
                ReplanRequest {
                    portfolio: portfolio.to_string(),
                },
                Repeat::Once,
                |mut c, r| async move { c.replan(r).await },
            )
            .await?;
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
            .send(
                GetAuditLogRequest {
                    after_seq: after,
                    page_size: limit.clamp(1, 1000) as i32,
                },
                Repeat::Safe,
                |mut c, r| async move { c.get_audit_log(r).await },
            )
            .await?;
        Ok(r.entries.into_iter().map(audit_from_proto).collect())
    }

    /// VerifyAudit, and the last entry's hash.
    pub async fn verify(&mut self) -> Result<(Verification, String), RemoteError> {
        let r = self
            .send(VerifyAuditRequest {}, Repeat::Safe, |mut c, r| async move {
                c.verify_audit(r).await
            })
            .await?;
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
