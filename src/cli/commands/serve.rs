//! `fluidity serve`: the gRPC service until SIGTERM or Ctrl-C.

use crate::args::ServeArgs;
use crate::Exit;
use anyhow::{anyhow, Context, Result};
use fluidity::server::serve_metrics;
use fluidity::server::ArrivalLimits;
use fluidity::server::Auth;
use fluidity::server::{serve, shutdown_signal, ServerConfig, Tls};
use std::io::Write;
use std::time::Duration;

/// Seconds from a flag; 0 means "off".
fn seconds(flag: &str, value: f64) -> Result<Option<Duration>> {
    if !(value.is_finite() && (0.0..=MOST_SECONDS).contains(&value)) {
        return Err(anyhow!(
            "--{flag} must be a number of seconds from 0 to {MOST_SECONDS:e} (0: off), not {value}"
        ));
    }
    Ok((value > 0.0).then(|| Duration::from_secs_f64(value)))
}

/// The longest time a flag may give: 31 years, past any real limit, and far inside
/// what clocks can add without overflowing (1e30 s panicked).
const MOST_SECONDS: f64 = 1e9;

/// The bounds on arriving requests, each at least what the one before it must allow.
fn arrival_limits(args: &ServeArgs) -> Result<ArrivalLimits> {
    if args.max_arriving_bytes_per_connection < args.max_message_bytes {
        return Err(anyhow!(
            "--max-arriving-bytes-per-connection ({}) must be at least --max-message-bytes ({}): \
             a request of the largest accepted size could never arrive",
            args.max_arriving_bytes_per_connection,
            args.max_message_bytes
        ));
    }
    if args.max_arriving_bytes < args.max_arriving_bytes_per_connection {
        return Err(anyhow!(
            "--max-arriving-bytes ({}) must be at least --max-arriving-bytes-per-connection ({})",
            args.max_arriving_bytes,
            args.max_arriving_bytes_per_connection
        ));
    }
    Ok(ArrivalLimits {
        per_connection: args.max_arriving_bytes_per_connection,
        total: args.max_arriving_bytes,
        // 0: no limit (a year is none in practice, and keeps the timer in range).
        body_timeout: seconds("request-body-timeout", args.request_body_timeout)?
            .unwrap_or(Duration::from_secs(365 * 24 * 3600)),
    })
}

/// The server's configuration from the flags, every flag checked (a clear error
/// names the flag).
fn config(args: &ServeArgs) -> Result<ServerConfig> {
    let auth = args.auth_tokens.as_deref().map(Auth::load).transpose()?;
    if auth.is_none() && !args.addr.ip().is_loopback() && !args.insecure_public {
        return Err(anyhow!(
            "refusing to serve on {} without --auth-tokens: anyone who reaches it could read and plan your scenarios; \
             add --auth-tokens FILE, or --insecure-public if something in front of it authenticates",
            args.addr
        ));
    }
    let tls = tls(args)?;
    if !(args.max_solve_seconds.is_finite()
        && args.max_solve_seconds > 0.0
        && args.max_solve_seconds <= MOST_SECONDS)
    {
        return Err(anyhow!(
            "--max-solve-seconds must be a number of seconds > 0 and at most {MOST_SECONDS:e}, not {}",
            args.max_solve_seconds
        ));
    }
    if args.max_message_bytes == 0 {
        return Err(anyhow!(
            "--max-message-bytes must be at least 1: 0 refuses every call"
        ));
    }
    if !(args.shutdown_grace.is_finite() && (0.0..=MOST_SECONDS).contains(&args.shutdown_grace)) {
        return Err(anyhow!(
            "--shutdown-grace must be a number of seconds from 0 to {MOST_SECONDS:e}, not {}",
            args.shutdown_grace
        ));
    }
    let defaults = ServerConfig::default();
    let config = ServerConfig {
        max_concurrent_solves: args
            .max_concurrent_solves
            .unwrap_or(defaults.max_concurrent_solves)
            .max(1),
        queue_limit: args.queue_limit,
        max_message_bytes: args.max_message_bytes,
        limits: args.limits.limits(),
        shutdown_grace: Duration::from_secs_f64(args.shutdown_grace),
        max_solve_seconds: Some(args.max_solve_seconds),
        auth,
        tls,
        http2_keepalive_interval: seconds(
            "http2-keepalive-interval",
            args.http2_keepalive_interval,
        )?,
        http2_keepalive_timeout: seconds("http2-keepalive-timeout", args.http2_keepalive_timeout)?,
        max_connection_age: seconds("max-connection-age", args.max_connection_age)?,
        max_concurrent_streams: args.max_concurrent_streams.max(1),
        connection_start_timeout: seconds(
            "connection-start-timeout",
            args.connection_start_timeout,
        )?
        // 0: no limit (a year is none in practice, and keeps the timer in range).
        .unwrap_or(Duration::from_secs(365 * 24 * 3600)),
        arrival: arrival_limits(args)?,
        metrics: defaults.metrics.clone(),
        before_solve: None,
        before_check: None,
        store: None,
    };
    Ok(config)
}

/// The TLS identity from `--tls-cert`, `--tls-key` (and `--tls-client-ca`); None
/// without a certificate and key.
fn tls(args: &ServeArgs) -> Result<Option<Tls>> {
    Ok(match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            let (certificate, key) = (read(cert, "certificate")?, read(key, "key")?);
            let client_ca = match &args.tls_client_ca {
                Some(ca) => Some(read(ca, "client CA")?),
                None => None,
            };
            Some(Tls {
                certificate,
                key,
                client_ca,
            })
        }
        _ => None,
    })
}

fn read(path: &std::path::Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read the {what} {}", path.display()))
}

pub fn run(args: ServeArgs) -> Result<Exit> {
    let mut config = config(&args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        if let Some(url) = &args.store {
            let store = fluidity::store::Store::open(url).await.map_err(|e| {
                anyhow!(
                    "cannot open the store {}: {e}",
                    fluidity::store::redacted(url)
                )
            })?;
            config.store = Some(store);
        }
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        let local = listener.local_addr()?;
        let shutdown = shutdown_signal().context("cannot install the signal handlers")?;
        if config.auth.is_none() {
            tracing::warn!(%local, "serving without authentication (--auth-tokens not given)");
        }
        // The one line a supervisor (or a test) reads to find the port.
        println!("listening on {local}");
        if let Some(addr) = args.metrics_addr {
            let metrics_listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr} for metrics"))?;
            tracing::info!(addr = %metrics_listener.local_addr()?, "serving metrics");
            println!("metrics on {}", metrics_listener.local_addr()?);
            tokio::spawn(serve_metrics(
                metrics_listener,
                config.metrics.clone(),
                std::future::pending(),
            ));
        }
        std::io::stdout().flush()?;
        tracing::info!(
            %local,
            solves = config.max_concurrent_solves,
            queue = config.queue_limit,
            tls = config.tls.is_some(),
            auth = config.auth.is_some(),
            "serving fluidity.v1"
        );
        serve(listener, config, shutdown).await?;
        anyhow::Ok(())
    })?;
    Ok(Exit::Planned)
}
