//! `fluidity serve`: the gRPC service until SIGTERM or Ctrl-C.

use crate::cli::ServeArgs;
use crate::Outcome;
use anyhow::{anyhow, Context, Result};
use fluidity::server::{serve, shutdown_signal, ServerConfig};
use fluidity_solvers::Limits;
use std::io::Write;
use std::time::Duration;

pub fn run(args: ServeArgs) -> Result<Outcome> {
    if !(args.shutdown_grace.is_finite() && args.shutdown_grace >= 0.0) {
        return Err(anyhow!("--shutdown-grace must be a number of seconds >= 0"));
    }
    let defaults = ServerConfig::default();
    let config = ServerConfig {
        max_concurrent_solves: args
            .max_concurrent_solves
            .unwrap_or(defaults.max_concurrent_solves)
            .max(1),
        queue_limit: args.queue_limit,
        max_message_bytes: args.max_message_bytes,
        limits: Limits {
            max_variables: args.limits.max_variables,
        },
        shutdown_grace: Duration::from_secs_f64(args.shutdown_grace),
        before_solve: None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        let local = listener.local_addr()?;
        // The one line a supervisor (or a test) reads to find the port.
        println!("listening on {local}");
        std::io::stdout().flush()?;
        tracing::info!(%local, solves = config.max_concurrent_solves, queue = config.queue_limit, "serving fluidity.v1");
        serve(listener, config, shutdown_signal()).await
    })?;
    Ok(Outcome::Planned)
}
