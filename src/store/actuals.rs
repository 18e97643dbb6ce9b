//! Actuals, escalation triggers and alerts: what ran is recorded per portfolio,
//! period and initiative against the portfolio's approved plan; each recording
//! compares it with the plan and stores the alerts the portfolio's triggers raise
//! (once each); an approver acknowledges them by name.

use super::audit::append;
use super::plans::portfolio_problems;
use super::{next_id, now_ms, Actor, PlanRecord, Role, Store, StoreError};
use fluidity_solvers::lifecycle::{
    alerts, execution_with_use, Actual, AlertKind, Execution, ResourceActual, Triggers,
};
use fluidity_solvers::Violation;
use serde::Serialize;
use sqlx::Row;

/// An alert as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertRecord {
    /// The alert's id.
    pub id: i64,
    /// Its portfolio.
    pub portfolio: String,
    /// The approved plan it measured against.
    pub plan_id: i64,
    /// DEVIATION, VALUE_SHORTFALL, OVER_CAPACITY or BELOW_FLOOR.
    pub kind: String,
    /// The initiative or resource (empty for a period's value).
    pub subject: String,
    /// The period.
    pub period: String,
    /// What was measured.
    pub measured: f64,
    /// The limit crossed.
    pub limit: f64,
    /// For people.
    pub message: String,
    /// When it was raised (milliseconds since 1970).
    pub raised_at: i64,
    /// Open, or acknowledged by whom and when.
    pub state: AlertState,
}

/// Whether someone has taken an alert in hand.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum AlertState {
    /// Nobody has acknowledged it.
    Open,
    /// Acknowledged.
    Acknowledged {
        /// Who.
        by: String,
        /// When (milliseconds since 1970).
        at: i64,
    },
}

fn kind_name(kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::Deviation => "DEVIATION",
        AlertKind::ValueShortfall => "VALUE_SHORTFALL",
        AlertKind::OverCapacity => "OVER_CAPACITY",
        AlertKind::BelowFloor => "BELOW_FLOOR",
    }
}

impl Store {
    /// The portfolio's approved plan, or a conflict saying there is none.
    async fn approved_or_conflict(&self, portfolio: &str) -> Result<PlanRecord, StoreError> {
        self.approved(portfolio).await?.ok_or_else(|| {
            StoreError::Conflict(format!(
                "{portfolio} has no approved plan: approve one before recording or comparing actuals"
            ))
        })
    }

    /// Records `actuals` of `portfolio` (a later recording of the same initiative and
    /// period replaces the earlier), compares everything recorded with the approved
    /// plan, and stores the alerts the triggers raise that were not raised before.
    /// Returns the execution and the new alerts.
    ///
    /// # Errors
    /// Invalid with every actual that names an unknown initiative or period of the
    /// approved plan, is negative or not finite, or repeats; nothing is stored then.
    pub async fn record_actuals(
        &self,
        actor: &Actor,
        portfolio: &str,
        actuals: &[Actual],
    ) -> Result<(Execution, Vec<AlertRecord>), StoreError> {
        self.record(actor, portfolio, actuals, &[]).await
    }

    /// [`Store::record_actuals`] with resource use recorded as well (`uses`; paths
    /// `resourceUse[k]...` in errors).
    pub async fn record(
        &self,
        actor: &Actor,
        portfolio: &str,
        actuals: &[Actual],
        uses: &[ResourceActual],
    ) -> Result<(Execution, Vec<AlertRecord>), StoreError> {
        let approved = self.approved_or_conflict(portfolio).await?;
        // Checked alone first, so the paths name the caller's rows; a period the
        // approved plan no longer has (re-planned away) is checked against the plan
        // that had it, so a late correction of October is still taken.
        let lineage = self.lineage(&approved).await?;
        check_against_lineage(&lineage, actuals, uses).map_err(StoreError::Invalid)?;
        let triggers = self.triggers(portfolio).await?;
        self.retrying(|| async {
            let mut tx = self.pool.begin().await?;
            let at = now_ms();
            for a in actuals {
                sqlx::query("DELETE FROM actuals WHERE portfolio = $1 AND period = $2 AND initiative = $3")
                    .bind(portfolio)
                    .bind(&a.period)
                    .bind(&a.initiative)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO actuals (portfolio, period, initiative, activity, recorded_by, recorded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(portfolio)
                .bind(&a.period)
                .bind(&a.initiative)
                .bind(a.activity)
                .bind(&actor.name)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            for u in uses {
                sqlx::query("DELETE FROM resource_actuals WHERE portfolio = $1 AND period = $2 AND resource = $3")
                    .bind(portfolio)
                    .bind(&u.period)
                    .bind(&u.resource)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO resource_actuals (portfolio, period, resource, used, recorded_by, recorded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(portfolio)
                .bind(&u.period)
                .bind(&u.resource)
                .bind(u.used)
                .bind(&actor.name)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            append(
                &mut tx,
                &actor.name,
                "ACTUALS",
                portfolio,
                &serde_json::json!({
                    "plan": approved.id,
                    // The rows themselves, so that `verify` can replay the tables.
                    "rows": actuals.iter().map(|a| serde_json::json!([a.initiative, a.period, a.activity])).collect::<Vec<_>>(),
                    "resourceRows": uses.iter().map(|u| serde_json::json!([u.resource, u.period, u.used])).collect::<Vec<_>>(),
                }),
            )
            .await?;
            let (all, all_uses) = stored_actuals(&mut tx, portfolio, &approved).await?;
            let run = execution_with_use(&approved.scenario, &approved.plan, &all, &all_uses)
                .map_err(StoreError::Invalid)?;
            let mut raised = Vec::new();
            for alert in alerts(&run, &triggers) {
                let kind = kind_name(alert.kind);
                let exists = sqlx::query(
                    "SELECT id FROM alerts WHERE portfolio = $1 AND plan_id = $2 AND kind = $3 AND subject = $4 AND period = $5",
                )
                .bind(portfolio)
                .bind(approved.id)
                .bind(kind)
                .bind(&alert.subject)
                .bind(&alert.period)
                .fetch_optional(&mut *tx)
                .await?;
                if exists.is_some() {
                    continue;
                }
                let id = next_id(&mut tx, "alerts", "id").await?;
                sqlx::query(
                    "INSERT INTO alerts (id, portfolio, plan_id, kind, subject, period, measured, limit_value, message, raised_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(id)
                .bind(portfolio)
                .bind(approved.id)
                .bind(kind)
                .bind(&alert.subject)
                .bind(&alert.period)
                .bind(alert.measured)
                .bind(alert.limit)
                .bind(&alert.message)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                append(&mut tx, &actor.name, "ALERT", &format!("alert {id}"), &serde_json::json!({"message": alert.message, "portfolio": portfolio, "plan": approved.id, "kind": kind, "subject": alert.subject, "period": alert.period})).await?;
                raised.push(AlertRecord {
                    id,
                    portfolio: portfolio.to_string(),
                    plan_id: approved.id,
                    kind: kind.to_string(),
                    subject: alert.subject.clone(),
                    period: alert.period.clone(),
                    measured: alert.measured,
                    limit: alert.limit,
                    message: alert.message.clone(),
                    raised_at: at,
                    state: AlertState::Open,
                });
            }
            tx.commit().await?;
            Ok((run, raised))
        })
        .await
    }

    /// `plan` and the plans it re-plans, newest first.
    async fn lineage(&self, plan: &PlanRecord) -> Result<Vec<PlanRecord>, StoreError> {
        let mut lineage = vec![plan.clone()];
        while let Some(parent) = lineage.last().and_then(|p| p.parent) {
            if lineage.len() > 1000 || lineage.iter().any(|p| p.id == parent) {
                break;
            }
            lineage.push(self.plan(parent).await?);
        }
        Ok(lineage)
    }

    /// The approved plan of `portfolio` against everything recorded for it.
    pub async fn execution(
        &self,
        portfolio: &str,
    ) -> Result<(PlanRecord, Vec<Actual>, Execution), StoreError> {
        let approved = self.approved_or_conflict(portfolio).await?;
        let mut tx = self.pool.begin().await?;
        let (all, uses) = stored_actuals(&mut tx, portfolio, &approved).await?;
        tx.commit().await?;
        let run = execution_with_use(&approved.scenario, &approved.plan, &all, &uses)
            .map_err(StoreError::Invalid)?;
        Ok((approved, all, run))
    }

    /// The portfolio's triggers (all off when none were set).
    pub async fn triggers(&self, portfolio: &str) -> Result<Triggers, StoreError> {
        let row = sqlx::query("SELECT config FROM triggers WHERE portfolio = $1")
            .bind(portfolio)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(row) => {
                serde_json::from_str(&row.try_get::<String, _>("config")?).unwrap_or_default()
            }
            None => Triggers::default(),
        })
    }

    /// Sets the portfolio's triggers (all of them: one not given is off).
    ///
    /// # Errors
    /// PermissionDenied for a planner (escalation is governance, as acknowledging
    /// is); Invalid for a limit that is negative or not finite.
    pub async fn set_triggers(
        &self,
        actor: &Actor,
        portfolio: &str,
        triggers: &Triggers,
    ) -> Result<(), StoreError> {
        if actor.role != Role::Approver {
            return Err(StoreError::PermissionDenied(format!(
                "{} may not change escalation triggers: that takes the approver role",
                actor.name
            )));
        }
        let mut problems = portfolio_problems(portfolio);
        for (path, value) in [
            ("maxRelativeDeviation", triggers.max_relative_deviation),
            ("maxValueShortfall", triggers.max_value_shortfall),
        ] {
            if let Some(v) = value.filter(|v| !(v.is_finite() && *v >= 0.0)) {
                problems.push(Violation {
                    path: path.to_string(),
                    message: format!("must be a finite number >= 0, got {v}"),
                });
            }
        }
        if !problems.is_empty() {
            return Err(StoreError::Invalid(problems));
        }
        let config = serde_json::to_string(triggers).expect("triggers serialise");
        self.retrying(|| async {
            let mut tx = self.pool.begin().await?;
            sqlx::query("DELETE FROM triggers WHERE portfolio = $1")
                .bind(portfolio)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO triggers (portfolio, config) VALUES ($1, $2)")
                .bind(portfolio)
                .bind(&config)
                .execute(&mut *tx)
                .await?;
            let details: serde_json::Value = serde_json::from_str(&config).expect("JSON");
            append(&mut tx, &actor.name, "TRIGGERS", portfolio, &details).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Alerts, by id: of one portfolio or all, open ones only unless `all`.
    pub async fn alerts(
        &self,
        portfolio: Option<&str>,
        all: bool,
    ) -> Result<Vec<AlertRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, portfolio, plan_id, kind, subject, period, measured, limit_value, message, raised_at, \
             acknowledged_by, acknowledged_at FROM alerts WHERE ($1 = '' OR portfolio = $1) \
             AND ($2 = 1 OR acknowledged_by IS NULL) ORDER BY id",
        )
        .bind(portfolio.unwrap_or_default())
        .bind(i64::from(all))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let by: Option<String> = r.try_get("acknowledged_by")?;
                Ok(AlertRecord {
                    id: r.try_get("id")?,
                    portfolio: r.try_get("portfolio")?,
                    plan_id: r.try_get("plan_id")?,
                    kind: r.try_get("kind")?,
                    subject: r.try_get("subject")?,
                    period: r.try_get("period")?,
                    measured: r.try_get("measured")?,
                    limit: r.try_get("limit_value")?,
                    message: r.try_get("message")?,
                    raised_at: r.try_get("raised_at")?,
                    state: match by {
                        Some(by) => AlertState::Acknowledged {
                            by,
                            at: r.try_get::<Option<i64>, _>("acknowledged_at")?.unwrap_or(0),
                        },
                        None => AlertState::Open,
                    },
                })
            })
            .collect()
    }

    /// Acknowledges alert `id` in the approver's name.
    pub async fn acknowledge(&self, actor: &Actor, id: i64) -> Result<(), StoreError> {
        if actor.role != Role::Approver {
            return Err(StoreError::PermissionDenied(format!(
                "{} may not acknowledge alerts: that takes the approver role",
                actor.name
            )));
        }
        self.retrying(|| async {
            let mut tx = self.pool.begin().await?;
            let row = sqlx::query("SELECT acknowledged_by FROM alerts WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("no alert {id}")))?;
            if let Some(by) = row.try_get::<Option<String>, _>("acknowledged_by")? {
                return Err(StoreError::Conflict(format!("alert {id} was already acknowledged by {by}")));
            }
            sqlx::query("UPDATE alerts SET acknowledged_by = $1, acknowledged_at = $2 WHERE id = $3 AND acknowledged_by IS NULL")
                .bind(&actor.name)
                .bind(now_ms())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            append(&mut tx, &actor.name, "ACKNOWLEDGE", &format!("alert {id}"), &serde_json::json!({})).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }
}

/// The portfolio's actuals and resource use in the approved plan's periods (earlier
/// periods, re-planned away, are kept but not compared).
async fn stored_actuals(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    portfolio: &str,
    approved: &PlanRecord,
) -> Result<(Vec<Actual>, Vec<ResourceActual>), StoreError> {
    let known_period = |p: &str| approved.scenario.periods.iter().any(|x| x.id == p);
    let rows = sqlx::query(
        "SELECT period, initiative, activity FROM actuals WHERE portfolio = $1 ORDER BY period, initiative",
    )
    .bind(portfolio)
    .fetch_all(&mut **tx)
    .await?;
    let mut actuals = Vec::new();
    for r in rows {
        let a = Actual {
            period: r.try_get("period")?,
            initiative: r.try_get("initiative")?,
            activity: r.try_get("activity")?,
        };
        if known_period(&a.period)
            && approved
                .scenario
                .initiatives
                .iter()
                .any(|i| i.id == a.initiative)
        {
            actuals.push(a);
        }
    }
    let rows = sqlx::query(
        "SELECT period, resource, used FROM resource_actuals WHERE portfolio = $1 ORDER BY period, resource",
    )
    .bind(portfolio)
    .fetch_all(&mut **tx)
    .await?;
    let mut uses = Vec::new();
    for r in rows {
        let u = ResourceActual {
            period: r.try_get("period")?,
            resource: r.try_get("resource")?,
            used: r.try_get("used")?,
        };
        if known_period(&u.period)
            && approved
                .scenario
                .resources
                .iter()
                .any(|x| x.id == u.resource)
        {
            uses.push(u);
        }
    }
    Ok((actuals, uses))
}

/// Each actual and resource use checked against the newest plan of `lineage` that has
/// its period (the approved plan when none has it, which names the unknown period),
/// every problem's path naming the caller's row.
fn check_against_lineage(
    lineage: &[PlanRecord],
    actuals: &[Actual],
    uses: &[ResourceActual],
) -> Result<(), Vec<Violation>> {
    let home = |period: &str| {
        lineage
            .iter()
            .position(|p| p.scenario.periods.iter().any(|x| x.id == period))
            .unwrap_or(0)
    };
    let mut problems = Vec::new();
    for (g, plan) in lineage.iter().enumerate() {
        let (mut a_rows, mut a_index) = (Vec::new(), Vec::new());
        for (k, a) in actuals
            .iter()
            .enumerate()
            .filter(|(_, a)| home(&a.period) == g)
        {
            a_rows.push(a.clone());
            a_index.push(k);
        }
        let (mut u_rows, mut u_index) = (Vec::new(), Vec::new());
        for (k, u) in uses
            .iter()
            .enumerate()
            .filter(|(_, u)| home(&u.period) == g)
        {
            u_rows.push(u.clone());
            u_index.push(k);
        }
        if a_rows.is_empty() && u_rows.is_empty() {
            continue;
        }
        if let Err(found) = execution_with_use(&plan.scenario, &plan.plan, &a_rows, &u_rows) {
            for mut v in found {
                v.path = renumber(&v.path, "actuals[", &a_index)
                    .or_else(|| renumber(&v.path, "resourceUse[", &u_index))
                    .unwrap_or(v.path);
                problems.push(v);
            }
        }
    }
    // In the caller's order: actuals by row, then resource use by row.
    let key = |path: &str| {
        let (prefix, rest) = path.split_once('[').unwrap_or((path, ""));
        let row = rest
            .split(']')
            .next()
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0);
        (prefix != "actuals", row, path.to_string())
    };
    problems.sort_by_key(|v| key(&v.path));
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// `actuals[j].field` as `actuals[index[j]].field`.
fn renumber(path: &str, prefix: &str, index: &[usize]) -> Option<String> {
    let rest = path.strip_prefix(prefix)?;
    let (j, field) = rest.split_once(']')?;
    let original = index.get(j.parse::<usize>().ok()?)?;
    Some(format!("{prefix}{original}]{field}"))
}
