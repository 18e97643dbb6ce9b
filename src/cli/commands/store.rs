//! What the lifecycle commands share: where the records are (in process, a store:
//! `--store`, else a SQLite file under the user's data folder; or a server's with
//! `--server`), who acts (`--as`, else the OS user; a server takes its token's name),
//! and their errors in the CLI's words. `Records` answers every command the same
//! way wherever the records are.

use crate::args::StoreArgs;
use anyhow::{anyhow, Context, Result};
use fluidity::client::lifecycle::{LifecycleClient, Replanned};
use fluidity::store::{
    redacted, Actor, AlertRecord, AuditEntry, PlanFilter, PlanRecord, Role, SavedPlan, Store,
    StoreError, Verification,
};
use fluidity_solvers::lifecycle::{
    priority_changes, replan_scenario, Actual, Execution, ResourceActual, Triggers,
};
use fluidity_solvers::{plan, Limits, Plan, PlanOptions, Scenario};

/// The records, in process or on a server, and the runtime that drives them.
pub struct Records {
    runtime: tokio::runtime::Runtime,
    at: At,
}

enum At {
    /// In process; the actor is resolved when a write needs one (reading needs none).
    Store {
        store: Store,
        actor: Result<Actor, String>,
    },
    Server(Box<LifecycleClient>),
}

/// Opens the records `args` name.
pub fn open(args: &StoreArgs) -> Result<Records> {
    let runtime = crate::runtime()?;
    if let Some(endpoint) = args.remote.endpoint() {
        let client = runtime
            .block_on(LifecycleClient::connect(&endpoint))
            .map_err(|e| anyhow!("{e}"))?;
        return Ok(Records {
            runtime,
            at: At::Server(Box::new(client)),
        });
    }
    let actor = actor(args).map_err(|e| e.to_string());
    let url = match &args.store {
        Some(url) => url.clone(),
        None => {
            let dir = dirs::data_dir()
                .ok_or_else(|| {
                    anyhow!("no data folder for the default store: give --store sqlite:PATH")
                })?
                .join("fluidity");
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            format!("sqlite:{}", dir.join("store.db").display())
        }
    };
    let store = runtime
        .block_on(Store::open(&url))
        .map_err(|e| anyhow!("cannot open the store {}: {e}", redacted(&url)))?;
    Ok(Records {
        runtime,
        at: At::Store { store, actor },
    })
}

/// Who acts in process: `--as`, else the OS user (`USER`, `LOGNAME` or `USERNAME`);
/// the audit trail never records an unknown actor. With the store's file at hand the
/// actor has every right (an approver); over gRPC the token's role decides.
fn actor(args: &StoreArgs) -> Result<Actor> {
    let name = match &args.actor {
        Some(name) => name.trim().to_string(),
        None => ["USER", "LOGNAME", "USERNAME"]
            .iter()
            .find_map(|var| std::env::var(var).ok().filter(|v| !v.trim().is_empty()))
            .ok_or_else(|| {
                anyhow!("who is acting? give --as NAME (the OS user is not known here)")
            })?,
    };
    if name.is_empty() {
        return Err(anyhow!("--as needs a name"));
    }
    Ok(Actor {
        name,
        role: Role::Approver,
    })
}

/// The in-process actor, or why none is known (only a write needs one).
fn acting(who: &Result<Actor, String>) -> Result<&Actor> {
    who.as_ref().map_err(|e| anyhow!("{e}"))
}

/// A store error for the person at the terminal.
pub fn error(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Invalid(problems) => anyhow!(
            "{}",
            problems
                .iter()
                .map(|v| format!("{}: {}", v.path, v.message))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        other => anyhow!("{other}"),
    }
}

fn remote(e: fluidity::client::RemoteError) -> anyhow::Error {
    match e {
        fluidity::client::RemoteError::Invalid(problems) => error(StoreError::Invalid(problems)),
        other => anyhow!("{other}"),
    }
}

impl Records {
    /// Plans `scenario` (here, or on the server) and saves it as a DRAFT.
    pub fn save_plan(
        &mut self,
        portfolio: &str,
        scenario: &Scenario,
        limits: Limits,
        key: Option<&str>,
    ) -> Result<(SavedPlan, Plan)> {
        match &mut self.at {
            At::Store { store, actor: who } => {
                let options = PlanOptions {
                    limits,
                    ..PlanOptions::default()
                };
                let planned = plan(scenario, &options).map_err(|e| anyhow!("cannot plan: {e}"))?;
                let saved = self
                    .runtime
                    .block_on(store.save_plan(
                        acting(who)?,
                        portfolio,
                        scenario,
                        &planned,
                        None,
                        key,
                    ))
                    .map_err(error)?;
                Ok((saved, planned))
            }
            At::Server(client) => self
                .runtime
                .block_on(client.save_plan(portfolio, scenario, key))
                .map_err(remote),
        }
    }

    /// Approves draft `id`.
    pub fn approve(&mut self, id: i64, comment: &str) -> Result<PlanRecord> {
        match &mut self.at {
            At::Store { store, actor: who } => self
                .runtime
                .block_on(store.approve(acting(who)?, id, comment))
                .map_err(error),
            At::Server(client) => self
                .runtime
                .block_on(client.approve(id, comment))
                .map_err(remote),
        }
    }

    /// Withdraws draft `id`.
    pub fn withdraw(&mut self, id: i64) -> Result<()> {
        match &mut self.at {
            At::Store { store, actor: who } => self
                .runtime
                .block_on(store.withdraw(acting(who)?, id))
                .map_err(error),
            At::Server(client) => self.runtime.block_on(client.withdraw(id)).map_err(remote),
        }
    }

    /// Plan record `id`.
    pub fn plan(&mut self, id: i64) -> Result<PlanRecord> {
        match &mut self.at {
            At::Store { store, .. } => self.runtime.block_on(store.plan(id)).map_err(error),
            At::Server(client) => self.runtime.block_on(client.plan(id)).map_err(remote),
        }
    }

    /// Plan records matching `filter`.
    pub fn list_plans(&mut self, filter: &PlanFilter) -> Result<Vec<PlanRecord>> {
        match &mut self.at {
            At::Store { store, .. } => self
                .runtime
                .block_on(store.list_plans(filter))
                .map_err(error),
            At::Server(client) => self
                .runtime
                .block_on(client.list_plans(filter))
                .map_err(remote),
        }
    }

    /// Records actuals; the store's paths (`actuals[k].field`) are kept for the caller
    /// to place in its file.
    pub fn record_actuals(
        &mut self,
        portfolio: &str,
        actuals: &[Actual],
        uses: &[ResourceActual],
    ) -> Result<(Execution, Vec<AlertRecord>), StoreError> {
        match &mut self.at {
            At::Store { store, actor: who } => self.runtime.block_on(async {
                let actor = who
                    .as_ref()
                    .map_err(|e| StoreError::PermissionDenied(e.clone()))?;
                store.record(actor, portfolio, actuals, uses).await
            }),
            At::Server(client) => self
                .runtime
                .block_on(client.record_actuals(portfolio, actuals, uses))
                .map_err(|e| match e {
                    fluidity::client::RemoteError::Invalid(problems) => {
                        StoreError::Invalid(problems)
                    }
                    other => StoreError::Conflict(other.to_string()),
                }),
        }
    }

    /// The approved plan's id and the execution against it.
    pub fn execution(&mut self, portfolio: &str) -> Result<(i64, Execution)> {
        match &mut self.at {
            At::Store { store, .. } => {
                let (approved, _, run) = self
                    .runtime
                    .block_on(store.execution(portfolio))
                    .map_err(error)?;
                Ok((approved.id, run))
            }
            At::Server(client) => self
                .runtime
                .block_on(client.execution(portfolio))
                .map_err(remote),
        }
    }

    /// Sets the portfolio's triggers.
    pub fn set_triggers(&mut self, portfolio: &str, triggers: &Triggers) -> Result<()> {
        match &mut self.at {
            At::Store { store, actor: who } => self
                .runtime
                .block_on(store.set_triggers(acting(who)?, portfolio, triggers))
                .map_err(error),
            At::Server(client) => self
                .runtime
                .block_on(client.set_triggers(portfolio, triggers))
                .map_err(remote),
        }
    }

    /// Alerts (open ones unless `all`).
    pub fn alerts(&mut self, portfolio: Option<&str>, all: bool) -> Result<Vec<AlertRecord>> {
        match &mut self.at {
            At::Store { store, .. } => self
                .runtime
                .block_on(store.alerts(portfolio, all))
                .map_err(error),
            At::Server(client) => self
                .runtime
                .block_on(client.alerts(portfolio, all))
                .map_err(remote),
        }
    }

    /// Acknowledges alert `id`; answers who acknowledged it (in process; the token's
    /// name on a server, which the server records).
    pub fn acknowledge(&mut self, id: i64) -> Result<Option<String>> {
        match &mut self.at {
            At::Store { store, actor: who } => {
                self.runtime
                    .block_on(store.acknowledge(acting(who)?, id))
                    .map_err(error)?;
                Ok(Some(acting(who)?.name.clone()))
            }
            At::Server(client) => {
                self.runtime
                    .block_on(client.acknowledge(id))
                    .map_err(remote)?;
                Ok(None)
            }
        }
    }

    /// Re-plans the periods left from the recorded actuals; saved as a DRAFT.
    pub fn replan(&mut self, portfolio: &str, limits: Limits) -> Result<(Replanned, usize)> {
        match &mut self.at {
            At::Store { store, actor: who } => {
                let (approved, actuals, _) = self
                    .runtime
                    .block_on(store.execution(portfolio))
                    .map_err(error)?;
                let replanning = replan_scenario(&approved.scenario, &approved.plan, &actuals)
                    .map_err(|problems| error(StoreError::Invalid(problems)))?;
                let options = PlanOptions {
                    limits,
                    ..PlanOptions::default()
                };
                let planned = plan(&replanning.scenario, &options)
                    .map_err(|e| anyhow!("cannot re-plan {portfolio}: {e}"))?;
                let saved = self
                    .runtime
                    .block_on(store.save_plan(
                        acting(who)?,
                        portfolio,
                        &replanning.scenario,
                        &planned,
                        Some(approved.id),
                        None,
                    ))
                    .map_err(error)?;
                let periods = replanning.scenario.periods.len();
                Ok((
                    Replanned {
                        id: saved.id,
                        parent: approved.id,
                        changes: priority_changes(
                            Some(&approved.plan),
                            &replanning.scenario,
                            &planned,
                        ),
                        plan: planned,
                        from_period: replanning.from_period,
                        assumed_as_planned: replanning.assumed_as_planned,
                    },
                    periods,
                ))
            }
            At::Server(client) => {
                let replanned = self
                    .runtime
                    .block_on(client.replan(portfolio))
                    .map_err(remote)?;
                let periods = replanned
                    .plan
                    .initiatives
                    .first()
                    .map_or(0, |i| i.activity.len());
                Ok((replanned, periods))
            }
        }
    }

    /// Audit entries after `after`.
    pub fn audit_log(&mut self, after: i64, limit: i64) -> Result<Vec<AuditEntry>> {
        match &mut self.at {
            At::Store { store, .. } => self
                .runtime
                .block_on(store.audit_log(after, limit))
                .map_err(error),
            At::Server(client) => self
                .runtime
                .block_on(client.audit_log(after, limit))
                .map_err(remote),
        }
    }

    /// The trail verified, and its last entry's hash (empty when broken or empty).
    pub fn verify(&mut self) -> Result<(Verification, String)> {
        match &mut self.at {
            At::Store { store, .. } => {
                let found = self.runtime.block_on(store.verify()).map_err(error)?;
                let last = if found.first_broken.is_none() && found.entries > 0 {
                    self.runtime
                        .block_on(store.audit_log(found.entries - 1, 1))
                        .map_err(error)?
                        .pop()
                        .map(|e| e.hash)
                        .unwrap_or_default()
                } else {
                    String::new()
                };
                Ok((found, last))
            }
            At::Server(client) => self.runtime.block_on(client.verify()).map_err(remote),
        }
    }
}
