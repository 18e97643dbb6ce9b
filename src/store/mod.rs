//! The plan store: plan records and their lifecycle (DRAFT -> APPROVED -> SUPERSEDED,
//! or WITHDRAWN), actuals, escalation triggers and alerts, and the append-only audit
//! trail, on SQLite (embedded, the default) or PostgreSQL (several servers sharing
//! one store), through one code path: sqlx's `Any` driver, with the schema's
//! versioned migrations (`migrations/`) embedded and run at open.
//!
//! Every write is one transaction that also appends its audit entry, so a record and
//! its trail are stored together or not at all. Ids are assigned inside that
//! transaction; a concurrent writer that took the same id (or the same audit
//! sequence number) fails on the primary key and its transaction is retried.

mod actuals;
mod audit;
mod plans;
mod replay;

pub use actuals::{AlertRecord, AlertState};
pub use audit::{AuditEntry, Verification};
pub use plans::{content_hash, Approval, PlanFilter, PlanRecord, PlanState, SavedPlan};

use fluidity_solvers::Violation;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The schema's migrations, embedded in the binary.
pub static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Who acts, and with what rights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Recorded with every write: a token's name, or `--as` (the OS user) in process.
    pub name: String,
    /// What the actor may do.
    pub role: Role,
}

/// What an actor may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Saves plans, withdraws its own drafts, records actuals, re-plans.
    Planner,
    /// A planner who may also approve, withdraw anyone's draft and acknowledge alerts.
    Approver,
}

/// Why a store operation did nothing.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The request is wrong (each problem with its field path); nothing was stored.
    #[error("invalid request: {}", .0.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Violation>),
    /// No such record.
    #[error("{0}")]
    NotFound(String),
    /// The records' state does not allow it (approving a plan that is not a draft,
    /// a concurrent approval that won); nothing was stored.
    #[error("{0}")]
    Conflict(String),
    /// The actor's role does not allow it.
    #[error("{0}")]
    PermissionDenied(String),
    /// The store URL is not one this build serves.
    #[error("{0}")]
    Url(String),
    /// The database failed (unreachable, full, corrupt).
    #[error("the store failed: {0}")]
    Database(#[from] sqlx::Error),
    /// The database's migrations failed.
    #[error("the store's schema could not be brought up to date: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

/// An open store.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
}

impl Store {
    /// Opens (creating a SQLite file if needed) the store at `url`, `sqlite:PATH` or
    /// `postgres://...`, and brings its schema up to date.
    ///
    /// # Errors
    /// [`StoreError::Url`] for another scheme; the database's or the migration's error.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        Self::open_with(url, &MIGRATIONS).await
    }

    /// [`Store::open`] with the given migrations (tests open an old schema with the
    /// first migrations only).
    #[doc(hidden)]
    pub async fn open_with(
        url: &str,
        migrations: &sqlx::migrate::Migrator,
    ) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (url, sqlite) = if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.trim_start_matches("//");
            if path.is_empty() {
                return Err(StoreError::Url(
                    "sqlite: needs a file path (sqlite:PATH)".into(),
                ));
            }
            (format!("sqlite://{path}?mode=rwc"), true)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (url.to_string(), false)
        } else {
            return Err(StoreError::Url(format!(
                "unknown store \"{url}\": give sqlite:PATH or postgres://USER@HOST/DB"
            )));
        };
        // One connection first, so that a wrong file or an unreachable server fails
        // at once with its own reason (a pool would retry until its timeout).
        {
            use sqlx::Connection;
            let mut probe = sqlx::AnyConnection::connect(&url).await?;
            if sqlite {
                sqlx::query("PRAGMA schema_version")
                    .execute(&mut probe)
                    .await?;
            }
            probe.close().await?;
        }
        let pool = AnyPoolOptions::new()
            .max_connections(if sqlite { 4 } else { 8 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if sqlite {
                        // WAL: readers never wait for the writer; FULL sync: what a
                        // commit acknowledged survives a crash; a writer waits for
                        // another instead of failing at once.
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA synchronous = FULL",
                            "PRAGMA busy_timeout = 10000",
                        ] {
                            sqlx::query(pragma).execute(&mut *conn).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        // Several processes opening a new store at once all try to create it: the
        // losers fail on a table the winner made, and find it made when they retry.
        let mut attempt = 0;
        loop {
            match migrations.run(&pool).await {
                Err(e) if attempt < 10 && e.to_string().contains("already exists") => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
                }
                done => break done?,
            }
        }
        Ok(Store { pool })
    }

    /// Runs `work` (one transaction) again while it fails on a concurrent writer: a
    /// primary key another transaction took first, or a busy SQLite file.
    async fn retrying<T, F, Fut>(&self, mut work: F) -> Result<T, StoreError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let mut attempt = 0;
        loop {
            match work().await {
                Err(StoreError::Database(e)) if attempt < 20 && concurrent(&e) => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(5 * attempt)).await;
                }
                other => return other,
            }
        }
    }
}

/// A failure another writer caused: worth trying again. A unique key another
/// transaction took first (an id, the audit sequence, an idempotency key, an alert
/// raised meanwhile): the retry reads what it wrote and goes on from there. (The one
/// unique key whose violation is an answer, one approved plan per portfolio, is turned
/// into a conflict before it gets here.) Also a busy SQLite file, and PostgreSQL's
/// serialization failure.
fn concurrent(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            let message = db.message().to_ascii_lowercase();
            let unique = db.code().as_deref() == Some("23505")
                || message.contains("unique constraint failed")
                || message.contains("duplicate key value");
            unique
                || message.contains("database is locked")
                || message.contains("busy")
                || db.code().as_deref() == Some("40001")
        }
        _ => false,
    }
}

/// Problems with a name or a text people will read back in listings and the audit
/// trail: too long, or control characters that could draw fake lines on a terminal
/// (newlines and tabs allowed where `multiline`).
pub(crate) fn text_problems(
    path: &str,
    text: &str,
    most: usize,
    multiline: bool,
) -> Vec<Violation> {
    let mut problems = Vec::new();
    if text.chars().count() > most {
        problems.push(Violation {
            path: path.to_string(),
            message: format!("at most {most} characters, got {}", text.chars().count()),
        });
    }
    if text
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t')))
    {
        problems.push(Violation {
            path: path.to_string(),
            message: "control characters are not allowed".to_string(),
        });
    }
    problems
}

/// `url` fit for a log or an error message: a password in it replaced by `***`.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Milliseconds since 1970, the store's clock.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A stored time for people: `2026-12-01T06:55:02Z`.
pub fn time_text(ms: i64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64))
        .to_string()
}

/// The next id of `table` (its largest plus one), read in the writing transaction.
async fn next_id(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    table: &str,
    column: &str,
) -> Result<i64, StoreError> {
    let row: AnyRow = sqlx::query(&format!(
        "SELECT COALESCE(MAX({column}), 0) + 1 AS next FROM {table}"
    ))
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get::<i64, _>("next")?)
}
