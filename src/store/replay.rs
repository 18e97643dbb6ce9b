//! The records replayed from the audit trail: every plan's state and approval, every
//! actual and resource use, every alert and its acknowledgement, every portfolio's
//! triggers, as the trail says they should be, compared with the tables. An edit to a
//! record that bypassed the store (a state changed, an approval forged, a row deleted)
//! shows as a difference even though the trail itself is intact.

use super::plans::text_hash;
use super::{AuditEntry, Store, StoreError};
use serde_json::Value;
use sqlx::Row;
use std::collections::BTreeMap;

/// What the trail says a plan record should hold.
#[derive(Debug, Default, PartialEq)]
struct PlanFacts {
    state: String,
    approved_by: Option<String>,
    comment: Option<String>,
    changes_hash: Option<String>,
}

impl Store {
    /// The records that differ from what the trail says, one line each, in a stable
    /// order; empty when every record is what the trail made it.
    pub(super) async fn replay_differences(
        &self,
        trail: &[AuditEntry],
    ) -> Result<Vec<String>, StoreError> {
        let mut plans: BTreeMap<i64, PlanFacts> = BTreeMap::new();
        let mut actuals: BTreeMap<(String, String, String), f64> = BTreeMap::new();
        let mut uses: BTreeMap<(String, String, String), f64> = BTreeMap::new();
        let mut alerts: BTreeMap<i64, Option<String>> = BTreeMap::new();
        let mut triggers: BTreeMap<String, Value> = BTreeMap::new();
        for e in trail {
            let details: Value = serde_json::from_str(&e.details).unwrap_or(Value::Null);
            let id = |prefix: &str| {
                e.subject
                    .strip_prefix(prefix)
                    .and_then(|n| n.parse::<i64>().ok())
            };
            match e.event.as_str() {
                "SAVE" => {
                    if let Some(id) = id("plan ") {
                        plans.insert(
                            id,
                            PlanFacts {
                                state: "DRAFT".into(),
                                ..PlanFacts::default()
                            },
                        );
                    }
                }
                "APPROVE" => {
                    if let Some(p) = id("plan ").and_then(|id| plans.get_mut(&id)) {
                        p.state = "APPROVED".into();
                        p.approved_by = Some(e.actor.clone());
                        p.comment = details["comment"].as_str().map(str::to_string);
                        p.changes_hash = details["changesHash"].as_str().map(str::to_string);
                    }
                }
                "SUPERSEDE" | "WITHDRAW" => {
                    let state = if e.event == "SUPERSEDE" {
                        "SUPERSEDED"
                    } else {
                        "WITHDRAWN"
                    };
                    if let Some(p) = id("plan ").and_then(|id| plans.get_mut(&id)) {
                        p.state = state.into();
                    }
                }
                "ACTUALS" => {
                    for (rows, into) in [("rows", &mut actuals), ("resourceRows", &mut uses)] {
                        for row in details[rows].as_array().into_iter().flatten() {
                            if let (Some(who), Some(period), Some(x)) =
                                (row[0].as_str(), row[1].as_str(), row[2].as_f64())
                            {
                                into.insert(
                                    (e.subject.clone(), period.to_string(), who.to_string()),
                                    x,
                                );
                            }
                        }
                    }
                }
                "ALERT" => {
                    if let Some(id) = id("alert ") {
                        alerts.insert(id, None);
                    }
                }
                "ACKNOWLEDGE" => {
                    if let Some(a) = id("alert ").and_then(|id| alerts.get_mut(&id)) {
                        *a = Some(e.actor.clone());
                    }
                }
                "TRIGGERS" => {
                    triggers.insert(e.subject.clone(), details);
                }
                _ => {}
            }
        }
        let mut differences = Vec::new();
        self.compare_plans(&plans, &mut differences).await?;
        self.compare_rows(
            "actuals",
            "initiative",
            "activity",
            &actuals,
            &mut differences,
        )
        .await?;
        self.compare_rows(
            "resource_actuals",
            "resource",
            "used",
            &uses,
            &mut differences,
        )
        .await?;
        self.compare_alerts(&alerts, &mut differences).await?;
        self.compare_triggers(&triggers, &mut differences).await?;
        Ok(differences)
    }

    async fn compare_plans(
        &self,
        facts: &BTreeMap<i64, PlanFacts>,
        out: &mut Vec<String>,
    ) -> Result<(), StoreError> {
        let rows = sqlx::query("SELECT id, state, approved_by, approval_comment, priority_changes FROM plans ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        let mut seen = Vec::new();
        for r in rows {
            let id: i64 = r.try_get("id")?;
            seen.push(id);
            let stored = PlanFacts {
                state: r.try_get("state")?,
                approved_by: r.try_get("approved_by")?,
                comment: r.try_get("approval_comment")?,
                changes_hash: r
                    .try_get::<Option<String>, _>("priority_changes")?
                    .map(|c| text_hash(&c)),
            };
            match facts.get(&id) {
                None => out.push(format!("plan {id} has no SAVE entry in the trail")),
                Some(f) if *f != stored => out.push(format!(
                    "plan {id} is {} (approved by {:?}), the trail says {} (approved by {:?}), or its approval's comment or changes were edited",
                    stored.state, stored.approved_by, f.state, f.approved_by
                )),
                Some(_) => {}
            }
        }
        for id in facts.keys().filter(|id| !seen.contains(id)) {
            out.push(format!("plan {id} was saved but is gone"));
        }
        Ok(())
    }

    async fn compare_rows(
        &self,
        table: &str,
        who: &str,
        value: &str,
        facts: &BTreeMap<(String, String, String), f64>,
        out: &mut Vec<String>,
    ) -> Result<(), StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT portfolio, period, {who} AS who, {value} AS x FROM {table}"
        ))
        .fetch_all(&self.pool)
        .await?;
        let mut stored = BTreeMap::new();
        for r in rows {
            let key: (String, String, String) = (
                r.try_get("portfolio")?,
                r.try_get("period")?,
                r.try_get("who")?,
            );
            stored.insert(key, r.try_get::<f64, _>("x")?);
        }
        for (key, x) in facts {
            match stored.get(key) {
                None => out.push(format!(
                    "{table}: {} {} {} was recorded but is gone",
                    key.0, key.1, key.2
                )),
                Some(y) if y != x => out.push(format!(
                    "{table}: {} {} {} is {y}, the trail says {x}",
                    key.0, key.1, key.2
                )),
                Some(_) => {}
            }
        }
        for key in stored.keys().filter(|k| !facts.contains_key(*k)) {
            out.push(format!(
                "{table}: {} {} {} is not in the trail",
                key.0, key.1, key.2
            ));
        }
        Ok(())
    }

    async fn compare_alerts(
        &self,
        facts: &BTreeMap<i64, Option<String>>,
        out: &mut Vec<String>,
    ) -> Result<(), StoreError> {
        let rows = sqlx::query("SELECT id, acknowledged_by FROM alerts ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        let mut seen = Vec::new();
        for r in rows {
            let id: i64 = r.try_get("id")?;
            seen.push(id);
            let by: Option<String> = r.try_get("acknowledged_by")?;
            match facts.get(&id) {
                None => out.push(format!("alert {id} was never raised in the trail")),
                Some(f) if *f != by => out.push(format!(
                    "alert {id} is acknowledged by {by:?}, the trail says {f:?}"
                )),
                Some(_) => {}
            }
        }
        for id in facts.keys().filter(|id| !seen.contains(id)) {
            out.push(format!("alert {id} was raised but is gone"));
        }
        Ok(())
    }

    async fn compare_triggers(
        &self,
        facts: &BTreeMap<String, Value>,
        out: &mut Vec<String>,
    ) -> Result<(), StoreError> {
        let rows = sqlx::query("SELECT portfolio, config FROM triggers ORDER BY portfolio")
            .fetch_all(&self.pool)
            .await?;
        let mut seen = Vec::new();
        for r in rows {
            let portfolio: String = r.try_get("portfolio")?;
            let config: Value =
                serde_json::from_str(&r.try_get::<String, _>("config")?).unwrap_or(Value::Null);
            if facts.get(&portfolio) != Some(&config) {
                out.push(format!(
                    "the triggers of {portfolio} are not the ones the trail set"
                ));
            }
            seen.push(portfolio);
        }
        for p in facts.keys().filter(|p| !seen.contains(p)) {
            out.push(format!("the triggers of {p} were set but are gone"));
        }
        Ok(())
    }
}
