//! `fluidity`: the command-line shell over the optimisation core.
//!
//! It reads scenarios, hands them to `fluidity_solvers`, and writes plans; the logic
//! lives in the library. Exit codes: 0 a plan, 1 invalid input or I/O error (for a
//! batch: some scenario failed), 2 usage, 3 infeasible (the plan with its diagnosis is
//! still written), 130 a batch interrupted.

mod args;
mod commands;
mod input;
mod output;
mod render;
mod watch;

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

/// A small runtime for the CLI's calls to a server.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// What a command ended with; each maps to one exit code.
pub enum Exit {
    Planned,
    Infeasible,
    /// Some of a batch's scenarios could not be planned (they are listed).
    SomeFailed,
    /// Stopped by SIGINT or SIGTERM before the end.
    Interrupted,
}

fn main() -> ExitCode {
    // A bug must read as one line on stderr, never as a backtrace. A reader that
    // closed our output (`fluidity plans show 1 | head -1`) is not a bug: end quietly,
    // with the status a shell gives a process SIGPIPE ended (128 + 13).
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        if message.contains("failed printing to std") {
            std::process::exit(141);
        }
        let _ = writeln!(
            std::io::stderr(),
            "error: internal error (this is a bug in fluidity): {info}"
        );
    }));
    let args = args::Cli::parse();
    init_tracing();
    match std::panic::catch_unwind(|| commands::run(args)) {
        Ok(Ok(Exit::Planned)) => ExitCode::SUCCESS,
        Ok(Ok(Exit::Infeasible)) => ExitCode::from(3),
        Ok(Ok(Exit::SomeFailed)) => ExitCode::from(1),
        Ok(Ok(Exit::Interrupted)) => ExitCode::from(130),
        Ok(Err(error)) => {
            if error
                .chain()
                .filter_map(|e| e.downcast_ref::<std::io::Error>())
                .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::from(141);
            }
            let _ = writeln!(std::io::stderr(), "error: {error:#}");
            ExitCode::from(1)
        }
        Err(_) => ExitCode::from(1),
    }
}

/// Quiet by default; `RUST_LOG=debug` shows spans per solve stage with sizes and times.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .init();
}
