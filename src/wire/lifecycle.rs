//! The lifecycle's records on the wire: store and core types <-> `fluidity.v1`
//! lifecycle messages, both ways (the server sends them, the CLI with `--server`
//! reads them back into the same types it prints in process).

use super::convert::{
    plan_from_proto, plan_to_proto, scenario_from_proto, scenario_to_proto, via_json,
};
use super::proto;
use crate::store::{AlertRecord, AlertState, Approval, AuditEntry, PlanRecord, PlanState};
use fluidity_solvers::lifecycle::{Execution, PriorityChange, Triggers};
use fluidity_solvers::Change;

/// A plan state on the wire.
pub fn state_to_proto(state: PlanState) -> proto::PlanState {
    match state {
        PlanState::Draft => proto::PlanState::Draft,
        PlanState::Approved => proto::PlanState::Approved,
        PlanState::Superseded => proto::PlanState::Superseded,
        PlanState::Withdrawn => proto::PlanState::Withdrawn,
    }
}

/// A plan state from the wire; None for unspecified (or a number this build lacks).
pub fn state_from_proto(state: i32) -> Option<PlanState> {
    match proto::PlanState::try_from(state).ok()? {
        proto::PlanState::Draft => Some(PlanState::Draft),
        proto::PlanState::Approved => Some(PlanState::Approved),
        proto::PlanState::Superseded => Some(PlanState::Superseded),
        proto::PlanState::Withdrawn => Some(PlanState::Withdrawn),
        proto::PlanState::Unspecified => None,
    }
}

fn change_to_proto(c: Change) -> proto::Change {
    match c {
        Change::Grow => proto::Change::Grow,
        Change::Hold => proto::Change::Hold,
        Change::Shrink => proto::Change::Shrink,
        Change::Stop => proto::Change::Stop,
    }
}

fn change_from_proto(c: i32) -> Result<Change, String> {
    match proto::Change::try_from(c) {
        Ok(proto::Change::Grow) => Ok(Change::Grow),
        Ok(proto::Change::Hold) => Ok(Change::Hold),
        Ok(proto::Change::Shrink) => Ok(Change::Shrink),
        Ok(proto::Change::Stop) => Ok(Change::Stop),
        _ => Err(format!("unknown change {c}")),
    }
}

/// Priority changes on the wire.
pub fn changes_to_proto(changes: &[PriorityChange]) -> Vec<proto::PriorityChange> {
    changes
        .iter()
        .map(|c| proto::PriorityChange {
            initiative: c.initiative.clone(),
            from_activity: c.from,
            to_activity: c.to,
            change: change_to_proto(c.change) as i32,
            marginal_value: c.marginal_value,
            resource_cost: c.resource_cost,
            held_by: c.held_by.clone(),
        })
        .collect()
}

/// Priority changes from the wire.
pub fn changes_from_proto(
    changes: Vec<proto::PriorityChange>,
) -> Result<Vec<PriorityChange>, String> {
    changes
        .into_iter()
        .map(|c| {
            Ok(PriorityChange {
                initiative: c.initiative,
                from: c.from_activity,
                to: c.to_activity,
                change: change_from_proto(c.change)?,
                marginal_value: c.marginal_value,
                resource_cost: c.resource_cost,
                held_by: c.held_by,
            })
        })
        .collect()
}

/// A plan record on the wire; without its scenario and plan for a list.
pub fn record_to_proto(r: &PlanRecord, whole: bool) -> proto::PlanRecord {
    proto::PlanRecord {
        id: r.id,
        portfolio: r.portfolio.clone(),
        state: state_to_proto(r.state) as i32,
        scenario: whole.then(|| scenario_to_proto(&r.scenario)),
        plan: whole.then(|| plan_to_proto(&r.plan)),
        content_hash: r.content_hash.clone(),
        saved_by: r.saved_by.clone(),
        saved_at_unix_ms: r.saved_at,
        parent_id: r.parent.unwrap_or(0),
        approval: r.approval.as_ref().map(|a| proto::Approval {
            approved_by: a.by.clone(),
            approved_at_unix_ms: a.at,
            comment: a.comment.clone(),
            changes: changes_to_proto(&a.changes),
        }),
    }
}

/// A whole plan record from the wire.
pub fn record_from_proto(r: proto::PlanRecord) -> Result<PlanRecord, String> {
    let scenario = r.scenario.ok_or("the record has no scenario")?;
    let scenario =
        scenario_from_proto(scenario).map_err(|v| format!("the record's scenario: {v:?}"))?;
    Ok(PlanRecord {
        id: r.id,
        portfolio: r.portfolio,
        state: state_from_proto(r.state).ok_or("the record has no state")?,
        scenario,
        plan: plan_from_proto(r.plan.ok_or("the record has no plan")?)?,
        content_hash: r.content_hash,
        saved_by: r.saved_by,
        saved_at: r.saved_at_unix_ms,
        parent: (r.parent_id != 0).then_some(r.parent_id),
        approval: match r.approval {
            Some(a) => Some(Approval {
                by: a.approved_by,
                at: a.approved_at_unix_ms,
                comment: a.comment,
                changes: changes_from_proto(a.changes)?,
            }),
            None => None,
        },
    })
}

/// An execution on the wire (the core's serde form is the message's JSON).
///
/// # Errors
/// When a number does not survive JSON (the core keeps every one finite).
pub fn execution_to_proto(e: &Execution) -> Result<proto::Execution, String> {
    via_json(e)
}

/// An execution from the wire.
pub fn execution_from_proto(e: proto::Execution) -> Result<Execution, String> {
    via_json(&e)
}

/// Triggers on the wire.
pub fn triggers_to_proto(t: &Triggers) -> proto::Triggers {
    proto::Triggers {
        max_relative_deviation: t.max_relative_deviation,
        max_value_shortfall: t.max_value_shortfall,
        resource_over_capacity: t.resource_over_capacity,
        operations_below_floor: t.operations_below_floor,
    }
}

/// Triggers from the wire, field for field (a NaN stays one, for the store to refuse:
/// through JSON it would read as "off").
pub fn triggers_from_proto(t: proto::Triggers) -> Triggers {
    Triggers {
        max_relative_deviation: t.max_relative_deviation,
        max_value_shortfall: t.max_value_shortfall,
        resource_over_capacity: t.resource_over_capacity,
        operations_below_floor: t.operations_below_floor,
    }
}

/// An alert on the wire.
pub fn alert_to_proto(a: &AlertRecord) -> proto::Alert {
    let (by, at) = match &a.state {
        AlertState::Open => (String::new(), 0),
        AlertState::Acknowledged { by, at } => (by.clone(), *at),
    };
    proto::Alert {
        id: a.id,
        portfolio: a.portfolio.clone(),
        plan_id: a.plan_id,
        kind: a.kind.clone(),
        subject: a.subject.clone(),
        period: a.period.clone(),
        measured: a.measured,
        limit: a.limit,
        message: a.message.clone(),
        raised_at_unix_ms: a.raised_at,
        acknowledged_by: by,
        acknowledged_at_unix_ms: at,
    }
}

/// An alert from the wire.
pub fn alert_from_proto(a: proto::Alert) -> AlertRecord {
    AlertRecord {
        id: a.id,
        portfolio: a.portfolio,
        plan_id: a.plan_id,
        kind: a.kind,
        subject: a.subject,
        period: a.period,
        measured: a.measured,
        limit: a.limit,
        message: a.message,
        raised_at: a.raised_at_unix_ms,
        state: if a.acknowledged_by.is_empty() {
            AlertState::Open
        } else {
            AlertState::Acknowledged {
                by: a.acknowledged_by,
                at: a.acknowledged_at_unix_ms,
            }
        },
    }
}

/// An audit entry on the wire.
pub fn audit_to_proto(e: &AuditEntry) -> proto::AuditEntry {
    proto::AuditEntry {
        seq: e.seq,
        at_unix_ms: e.at,
        actor: e.actor.clone(),
        event: e.event.clone(),
        subject: e.subject.clone(),
        details: e.details.clone(),
        previous_hash: e.previous_hash.clone(),
        hash: e.hash.clone(),
    }
}

/// An audit entry from the wire.
pub fn audit_from_proto(e: proto::AuditEntry) -> AuditEntry {
    AuditEntry {
        seq: e.seq,
        at: e.at_unix_ms,
        actor: e.actor,
        event: e.event,
        subject: e.subject,
        details: e.details,
        previous_hash: e.previous_hash,
        hash: e.hash,
    }
}
