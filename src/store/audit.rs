//! The audit trail: every event (save, approve, withdraw, supersede, actuals,
//! triggers, alert, acknowledge) appended in the transaction that causes it, with its
//! actor and time; each entry carries the SHA-256 of the one before, so an edit or a
//! deletion anywhere breaks the chain from that entry on. Nothing here updates or
//! deletes an entry.

use super::{now_ms, Store, StoreError};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

/// The hash before the first entry.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry of the trail.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// Its place in the trail, from 1.
    pub seq: i64,
    /// Milliseconds since 1970.
    pub at: i64,
    /// Who did it.
    pub actor: String,
    /// SAVE, APPROVE, SUPERSEDE, WITHDRAW, ACTUALS, TRIGGERS, ALERT, ACKNOWLEDGE.
    pub event: String,
    /// What it is about (`plan 3`, `q4-2026`, `alert 7`).
    pub subject: String,
    /// The event's details as JSON (a plan's content hash, a comment, counts).
    pub details: String,
    /// The previous entry's hash.
    pub previous_hash: String,
    /// SHA-256 of this entry's fields and `previous_hash`.
    pub hash: String,
}

/// What `audit verify` found.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// Entries read.
    pub entries: i64,
    /// The first entry that does not follow from the one before (edited, or one
    /// before it deleted), with why; None when the chain holds.
    pub first_broken: Option<(i64, String)>,
    /// Plans whose stored scenario no longer matches their content hash.
    pub altered_plans: Vec<i64>,
    /// Records that differ from what the trail made them (a state, an approval, an
    /// actual, an alert's acknowledgement, triggers), one line each; checked only
    /// when the chain holds.
    pub records_differ: Vec<String>,
}

fn entry_hash(
    previous: &str,
    seq: i64,
    at: i64,
    actor: &str,
    event: &str,
    subject: &str,
    details: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [
        previous,
        &seq.to_string(),
        &at.to_string(),
        actor,
        event,
        subject,
        details,
    ] {
        // Length-prefixed, so no two different entries hash the same bytes.
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    format!("{:x}", h.finalize())
}

/// Appends an entry in `tx` (the transaction of the event itself).
pub(super) async fn append(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    actor: &str,
    event: &str,
    subject: &str,
    details: &serde_json::Value,
) -> Result<(), StoreError> {
    let last = sqlx::query("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut **tx)
        .await?;
    let (seq, previous) = match last {
        Some(row) => (
            row.try_get::<i64, _>("seq")? + 1,
            row.try_get::<String, _>("hash")?,
        ),
        None => (1, GENESIS.to_string()),
    };
    let at = now_ms();
    let details = details.to_string();
    let hash = entry_hash(&previous, seq, at, actor, event, subject, &details);
    sqlx::query(
        "INSERT INTO audit (seq, at, actor, event, subject, details, previous_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(seq)
    .bind(at)
    .bind(actor)
    .bind(event)
    .bind(subject)
    .bind(details)
    .bind(previous)
    .bind(hash)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// The trail, oldest first, from entry `after + 1`, at most `limit` entries.
    pub async fn audit_log(&self, after: i64, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, event, subject, details, previous_hash, hash FROM audit \
             WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    seq: r.try_get("seq")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    event: r.try_get("event")?,
                    subject: r.try_get("subject")?,
                    details: r.try_get("details")?,
                    previous_hash: r.try_get("previous_hash")?,
                    hash: r.try_get("hash")?,
                })
            })
            .collect()
    }

    /// Walks the whole trail: every entry must follow from the one before (its
    /// sequence number, its `previous_hash`, its own hash); and every plan's stored
    /// scenario must still match its content hash.
    pub async fn verify(&self) -> Result<Verification, StoreError> {
        let mut previous = GENESIS.to_string();
        let mut expected_seq = 1;
        let mut entries = 0;
        let mut first_broken = None;
        let mut after = 0;
        let mut trail = Vec::new();
        'pages: loop {
            let page = self.audit_log(after, 1000).await?;
            if page.is_empty() {
                break;
            }
            for e in page {
                entries += 1;
                after = e.seq;
                let problem = if e.seq != expected_seq {
                    Some(format!(
                        "entry {expected_seq} is missing (the next one is {})",
                        e.seq
                    ))
                } else if e.previous_hash != previous {
                    Some("it does not follow from the entry before (an entry before it was altered or removed)".to_string())
                } else if e.hash
                    != entry_hash(
                        &previous, e.seq, e.at, &e.actor, &e.event, &e.subject, &e.details,
                    )
                {
                    Some("its content does not match its hash (the entry was edited)".to_string())
                } else {
                    None
                };
                if let Some(problem) = problem {
                    first_broken = Some((e.seq, problem));
                    break 'pages;
                }
                previous = e.hash.clone();
                expected_seq += 1;
                trail.push(e);
            }
        }
        let records_differ = if first_broken.is_none() {
            self.replay_differences(&trail).await?
        } else {
            Vec::new()
        };
        Ok(Verification {
            entries,
            first_broken,
            altered_plans: self.altered_plans().await?,
            records_differ,
        })
    }
}
