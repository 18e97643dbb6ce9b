//! Plan records: save (DRAFT), approve (with a written comment and the priority
//! changes it confirms; the portfolio's approved plan SUPERSEDED in the same
//! transaction), withdraw a draft, read, list and compare.

use super::audit::append;
use super::{next_id, now_ms, Actor, Role, Store, StoreError};
use fluidity_solvers::lifecycle::{priority_changes, PriorityChange};
use fluidity_solvers::{Plan, Scenario, Violation};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::Row;

/// Where a plan is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PlanState {
    /// Saved, not yet approved.
    Draft,
    /// The portfolio's plan of record (at most one per portfolio).
    Approved,
    /// Was approved; a later approval replaced it.
    Superseded,
    /// A draft taken back.
    Withdrawn,
}

impl PlanState {
    fn name(self) -> &'static str {
        match self {
            PlanState::Draft => "DRAFT",
            PlanState::Approved => "APPROVED",
            PlanState::Superseded => "SUPERSEDED",
            PlanState::Withdrawn => "WITHDRAWN",
        }
    }

    /// The state a stored name stands for.
    pub fn from_name(name: &str) -> Option<PlanState> {
        match name.to_ascii_uppercase().as_str() {
            "DRAFT" => Some(PlanState::Draft),
            "APPROVED" => Some(PlanState::Approved),
            "SUPERSEDED" => Some(PlanState::Superseded),
            "WITHDRAWN" => Some(PlanState::Withdrawn),
            _ => None,
        }
    }
}

/// A stored plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanRecord {
    /// The record's id, from 1.
    pub id: i64,
    /// The portfolio it belongs to (`q4-2026`).
    pub portfolio: String,
    /// Where it is in its life.
    pub state: PlanState,
    /// The scenario planned.
    pub scenario: Scenario,
    /// The plan.
    pub plan: Plan,
    /// SHA-256 of the scenario's JSON, the solver and Fluidity's version: the same
    /// question asked the same way has the same hash.
    pub content_hash: String,
    /// Who saved it.
    pub saved_by: String,
    /// When (milliseconds since 1970).
    pub saved_at: i64,
    /// The approved plan it re-plans, for a re-plan from actuals.
    pub parent: Option<i64>,
    /// Who approved it, when, with what comment, confirming which changes.
    pub approval: Option<Approval>,
}

/// An approval, as stored with its plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Approval {
    /// The approver.
    pub by: String,
    /// When (milliseconds since 1970).
    pub at: i64,
    /// The written confirmation.
    pub comment: String,
    /// The priority changes confirmed.
    pub changes: Vec<PriorityChange>,
}

/// Which plans to list.
#[derive(Debug, Clone, Default)]
pub struct PlanFilter {
    /// Only this portfolio's.
    pub portfolio: Option<String>,
    /// Only plans in this state.
    pub state: Option<PlanState>,
    /// Only ids above this (pagination: the last id of the previous page).
    pub after: i64,
    /// At most this many (1 to 1000).
    pub limit: i64,
}

/// What saving answered: the record's id, and whether an earlier save with the same
/// idempotency key had already stored it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SavedPlan {
    /// The record's id.
    pub id: i64,
    /// True when this call stored nothing new (a retried save).
    pub already_saved: bool,
}

/// The content hash of a scenario planned by `solver`.
pub fn content_hash(scenario: &Scenario, solver: &str) -> String {
    let mut h = Sha256::new();
    h.update(
        serde_json::to_string(scenario)
            .expect("a scenario serialises")
            .as_bytes(),
    );
    h.update(b"\n");
    h.update(solver.as_bytes());
    h.update(b"\n");
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    format!("{:x}", h.finalize())
}

/// SHA-256 of a stored text.
pub(super) fn text_hash(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

pub(super) fn portfolio_problems(portfolio: &str) -> Vec<Violation> {
    let ok = !portfolio.is_empty()
        && portfolio.len() <= 100
        && portfolio
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Vec::new()
    } else {
        vec![Violation {
            path: "portfolio".to_string(),
            message: format!(
                "\"{portfolio}\" is not a portfolio key: 1 to 100 letters, digits, '-', '_' or '.'"
            ),
        }]
    }
}

const COLUMNS: &str =
    "id, portfolio, state, scenario, plan, content_hash, saved_by, saved_at, parent, \
                       approved_by, approved_at, approval_comment, priority_changes";

fn record(row: &AnyRow) -> Result<PlanRecord, StoreError> {
    let corrupt = |what: &str, e: serde_json::Error| {
        StoreError::Database(sqlx::Error::Decode(
            format!("stored {what} does not read back: {e}").into(),
        ))
    };
    let scenario: String = row.try_get("scenario")?;
    let plan: String = row.try_get("plan")?;
    let state: String = row.try_get("state")?;
    let approved_by: Option<String> = row.try_get("approved_by")?;
    let approval = match approved_by {
        Some(by) => {
            let changes: Option<String> = row.try_get("priority_changes")?;
            Some(Approval {
                by,
                at: row.try_get::<Option<i64>, _>("approved_at")?.unwrap_or(0),
                comment: row
                    .try_get::<Option<String>, _>("approval_comment")?
                    .unwrap_or_default(),
                changes: match changes {
                    Some(text) => serde_json::from_str(&text).map_err(|e| corrupt("changes", e))?,
                    None => Vec::new(),
                },
            })
        }
        None => None,
    };
    Ok(PlanRecord {
        id: row.try_get("id")?,
        portfolio: row.try_get("portfolio")?,
        state: PlanState::from_name(&state).unwrap_or(PlanState::Draft),
        scenario: Scenario::from_json(&scenario).map_err(|e| {
            StoreError::Database(sqlx::Error::Decode(
                format!("stored scenario does not read back: {e}").into(),
            ))
        })?,
        plan: serde_json::from_str(&plan).map_err(|e| corrupt("plan", e))?,
        content_hash: row.try_get("content_hash")?,
        saved_by: row.try_get("saved_by")?,
        saved_at: row.try_get("saved_at")?,
        parent: row.try_get("parent")?,
        approval,
    })
}

impl Store {
    /// Saves `plan` of `scenario` as a DRAFT of `portfolio` (re-planning `parent` when
    /// given). With an `idempotency_key` an earlier save with the same key is answered
    /// again, and nothing is stored twice.
    pub async fn save_plan(
        &self,
        actor: &Actor,
        portfolio: &str,
        scenario: &Scenario,
        plan: &Plan,
        parent: Option<i64>,
        idempotency_key: Option<&str>,
    ) -> Result<SavedPlan, StoreError> {
        let mut problems = portfolio_problems(portfolio);
        problems.extend(super::text_problems("actor", &actor.name, 200, false));
        if let Some(key) = idempotency_key {
            problems.extend(super::text_problems("idempotencyKey", key, 200, false));
        }
        if !problems.is_empty() {
            return Err(StoreError::Invalid(problems));
        }
        let idempotency_key = idempotency_key.filter(|k| !k.is_empty());
        let scenario_json = serde_json::to_string(scenario).expect("a scenario serialises");
        let plan_json = serde_json::to_string(plan).expect("a plan serialises");
        let hash = content_hash(scenario, &plan.solver.name);
        self.retrying(|| async {
            let mut tx = self.pool.begin().await?;
            if let Some(key) = idempotency_key {
                let earlier = sqlx::query(
                    "SELECT id, portfolio, content_hash, saved_by FROM plans WHERE idempotency_key = $1",
                )
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(row) = earlier {
                    let id: i64 = row.try_get("id")?;
                    let (was_portfolio, was_hash, was_by): (String, String, String) = (
                        row.try_get("portfolio")?,
                        row.try_get("content_hash")?,
                        row.try_get("saved_by")?,
                    );
                    // A retry is the same save; anything else reusing the key is a
                    // mistake the caller must hear about, not someone else's plan.
                    if was_portfolio != portfolio || was_hash != hash || was_by != actor.name {
                        return Err(StoreError::Conflict(format!(
                            "idempotency key \"{key}\" was used for plan {id}, another save (of {was_portfolio}, by {was_by}); use a new key"
                        )));
                    }
                    return Ok(SavedPlan {
                        id,
                        already_saved: true,
                    });
                }
            }
            let id = next_id(&mut tx, "plans", "id").await?;
            sqlx::query(
                "INSERT INTO plans (id, portfolio, state, scenario, plan, content_hash, saved_by, saved_at, parent, idempotency_key) \
                 VALUES ($1, $2, 'DRAFT', $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(id)
            .bind(portfolio)
            .bind(&scenario_json)
            .bind(&plan_json)
            .bind(&hash)
            .bind(&actor.name)
            .bind(now_ms())
            .bind(parent)
            .bind(idempotency_key)
            .execute(&mut *tx)
            .await?;
            let details = serde_json::json!({
                "portfolio": portfolio, "contentHash": hash, "planHash": text_hash(&plan_json),
                "objective": plan.objective, "status": plan.status, "parent": parent,
            });
            append(&mut tx, &actor.name, "SAVE", &format!("plan {id}"), &details).await?;
            tx.commit().await?;
            Ok(SavedPlan {
                id,
                already_saved: false,
            })
        })
        .await
    }

    /// The plan record `id`.
    pub async fn plan(&self, id: i64) -> Result<PlanRecord, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM plans WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no plan {id}")))?;
        record(&row)
    }

    /// The portfolio's approved plan, if it has one.
    pub async fn approved(&self, portfolio: &str) -> Result<Option<PlanRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM plans WHERE portfolio = $1 AND state = 'APPROVED'"
        ))
        .bind(portfolio)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(record).transpose()
    }

    /// Plans matching `filter`, by id.
    pub async fn list_plans(&self, filter: &PlanFilter) -> Result<Vec<PlanRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM plans WHERE id > $1 \
             AND ($2 = '' OR portfolio = $2) AND ($3 = '' OR state = $3) ORDER BY id LIMIT $4"
        ))
        .bind(filter.after)
        .bind(filter.portfolio.clone().unwrap_or_default())
        .bind(filter.state.map_or("", PlanState::name))
        .bind(filter.limit.clamp(1, 1000))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(record).collect()
    }

    /// Approves draft `id` with `comment`: the portfolio's approved plan (if any)
    /// becomes SUPERSEDED in the same transaction, and the approval stores the
    /// priority changes it confirms (against that plan, or today's activity).
    ///
    /// # Errors
    /// PermissionDenied for a planner; Invalid without a comment; Conflict when the
    /// plan is not a DRAFT, or another approval of the portfolio won meanwhile.
    pub async fn approve(
        &self,
        actor: &Actor,
        id: i64,
        comment: &str,
    ) -> Result<PlanRecord, StoreError> {
        if actor.role != Role::Approver {
            return Err(StoreError::PermissionDenied(format!(
                "{} may not approve plans: approving takes the approver role",
                actor.name
            )));
        }
        if comment.trim().is_empty() {
            return Err(StoreError::Invalid(vec![Violation {
                path: "comment".to_string(),
                message: "an approval needs a written comment".to_string(),
            }]));
        }
        let problems = super::text_problems("comment", comment, 10_000, true);
        if !problems.is_empty() {
            return Err(StoreError::Invalid(problems));
        }
        self.retrying(|| async {
            let mut tx = self.pool.begin().await?;
            let row = sqlx::query(&format!("SELECT {COLUMNS} FROM plans WHERE id = $1"))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("no plan {id}")))?;
            let draft = record(&row)?;
            if draft.plan.status == fluidity_solvers::Status::Infeasible {
                return Err(StoreError::Conflict(format!(
                    "plan {id} is INFEASIBLE: there is no plan to approve (its diagnosis says what to relax)"
                )));
            }
            if draft.state != PlanState::Draft {
                return Err(StoreError::Conflict(format!(
                    "plan {id} is {}: only a DRAFT can be approved",
                    draft.state.name()
                )));
            }
            let previous = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM plans WHERE portfolio = $1 AND state = 'APPROVED'"
            ))
            .bind(&draft.portfolio)
            .fetch_optional(&mut *tx)
            .await?;
            let previous = previous.as_ref().map(record).transpose()?;
            let changes = priority_changes(previous.as_ref().map(|p| &p.plan), &draft.scenario, &draft.plan);
            if let Some(old) = &previous {
                sqlx::query("UPDATE plans SET state = 'SUPERSEDED' WHERE id = $1 AND state = 'APPROVED'")
                    .bind(old.id)
                    .execute(&mut *tx)
                    .await?;
                append(&mut tx, &actor.name, "SUPERSEDE", &format!("plan {}", old.id), &serde_json::json!({"by": id})).await?;
            }
            let at = now_ms();
            let updated = sqlx::query(
                "UPDATE plans SET state = 'APPROVED', approved_by = $1, approved_at = $2, \
                 approval_comment = $3, priority_changes = $4 WHERE id = $5 AND state = 'DRAFT'",
            )
            .bind(&actor.name)
            .bind(at)
            .bind(comment)
            .bind(serde_json::to_string(&changes).expect("changes serialise"))
            .bind(id)
            .execute(&mut *tx)
            .await;
            match updated {
                Ok(done) if done.rows_affected() == 1 => {}
                Ok(_) => {
                    return Err(StoreError::Conflict(format!("plan {id} changed state meanwhile")))
                }
                Err(sqlx::Error::Database(e)) if e.message().contains("plans_one_approved") || e.message().contains("UNIQUE constraint failed: plans.portfolio") => {
                    return Err(StoreError::Conflict(format!(
                        "another plan of {} was approved meanwhile; plan {id} is still a DRAFT",
                        draft.portfolio
                    )))
                }
                Err(e) => return Err(e.into()),
            }
            let details = serde_json::json!({
                "comment": comment, "changes": changes.len(), "supersedes": previous.as_ref().map(|p| p.id),
                "contentHash": draft.content_hash,
                "changesHash": text_hash(&serde_json::to_string(&changes).expect("changes serialise")),
            });
            append(&mut tx, &actor.name, "APPROVE", &format!("plan {id}"), &details).await?;
            tx.commit().await.map_err(|e| match &e {
                sqlx::Error::Database(db) if db.message().contains("plans_one_approved") => StoreError::Conflict(format!(
                    "another plan of {} was approved meanwhile; plan {id} is still a DRAFT",
                    draft.portfolio
                )),
                _ => e.into(),
            })?;
            Ok(PlanRecord {
                state: PlanState::Approved,
                approval: Some(Approval {
                    by: actor.name.clone(),
                    at,
                    comment: comment.to_string(),
                    changes,
                }),
                ..draft
            })
        })
        .await
    }

    /// Withdraws draft `id`: its saver may, and an approver may withdraw anyone's.
    pub async fn withdraw(&self, actor: &Actor, id: i64) -> Result<(), StoreError> {
        self.retrying(|| async {
            let mut tx = self.pool.begin().await?;
            let row = sqlx::query("SELECT state, saved_by FROM plans WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("no plan {id}")))?;
            let state: String = row.try_get("state")?;
            let saved_by: String = row.try_get("saved_by")?;
            if state != "DRAFT" {
                return Err(StoreError::Conflict(format!(
                    "plan {id} is {state}: only a DRAFT can be withdrawn"
                )));
            }
            if saved_by != actor.name && actor.role != Role::Approver {
                return Err(StoreError::PermissionDenied(format!(
                    "plan {id} was saved by {saved_by}: withdrawing another's draft takes the approver role"
                )));
            }
            let done = sqlx::query("UPDATE plans SET state = 'WITHDRAWN' WHERE id = $1 AND state = 'DRAFT'")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict(format!("plan {id} changed state meanwhile")));
            }
            append(&mut tx, &actor.name, "WITHDRAW", &format!("plan {id}"), &serde_json::json!({})).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Plans whose stored scenario no longer hashes to their content hash, or whose
    /// stored plan is not the one their SAVE entry in the trail hashed.
    pub(super) async fn altered_plans(&self) -> Result<Vec<i64>, StoreError> {
        let rows = sqlx::query("SELECT id, scenario, plan, content_hash FROM plans ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        let mut altered = Vec::new();
        for row in rows {
            let id: i64 = row.try_get("id")?;
            let stored: String = row.try_get("content_hash")?;
            let plan_text: String = row.try_get("plan")?;
            let saved =
                sqlx::query("SELECT details FROM audit WHERE event = 'SAVE' AND subject = $1")
                    .bind(format!("plan {id}"))
                    .fetch_optional(&self.pool)
                    .await?;
            let saved_hash = saved
                .map(|r| r.try_get::<String, _>("details"))
                .transpose()?
                .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
                .and_then(|d| d["planHash"].as_str().map(str::to_string));
            let scenario = Scenario::from_json(&row.try_get::<String, _>("scenario")?);
            let plan: Result<Plan, _> = serde_json::from_str(&plan_text);
            let intact = match (scenario, plan) {
                (Ok(s), Ok(p)) => {
                    content_hash(&s, &p.solver.name) == stored
                        && saved_hash.as_deref() == Some(text_hash(&plan_text).as_str())
                }
                _ => false,
            };
            if !intact {
                altered.push(id);
            }
        }
        Ok(altered)
    }
}
