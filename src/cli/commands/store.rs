//! What the lifecycle commands share: the store they open (`--store`, else a SQLite
//! file under the user's data folder), the actor they act as (`--as`, else the OS
//! user), and store errors in the CLI's words.

use crate::args::StoreArgs;
use anyhow::{anyhow, Context, Result};
use fluidity::store::{Actor, Role, Store, StoreError};

/// The store `args` name (the default file's folder made if need be), opened and
/// brought up to date, with the runtime that drives it.
pub fn open(args: &StoreArgs) -> Result<(tokio::runtime::Runtime, Store)> {
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
    let runtime = crate::runtime()?;
    let store = runtime
        .block_on(Store::open(&url))
        .with_context(|| format!("cannot open the store {url}"))?;
    Ok((runtime, store))
}

/// Who acts: `--as`, else the OS user (`USER`, `LOGNAME` or `USERNAME`); the audit
/// trail never records an unknown actor. In process, with the store's file at hand,
/// the actor has every right (an approver); over gRPC the token's role decides.
pub fn actor(args: &StoreArgs) -> Result<Actor> {
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
