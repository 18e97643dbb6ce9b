//! `fluidity batch DIR --out DIR`: every scenario of a folder, in parallel, with a
//! progress bar on a terminal (with the live state of a whole-unit search) and quiet
//! lines otherwise. SIGINT or SIGTERM stops it: whole-unit searches under way end with
//! their best plan, no new scenario starts; what was written stays whole, nothing is
//! half-written.

use crate::args::{BatchArgs, Format};
use crate::render::{self, Align};
use crate::Exit;
use anyhow::{anyhow, Context, Result};
use fluidity::batch::{self, Entry, InProcess, Planner};
use fluidity::client::Remote;
use fluidity::files::TEMP_SUFFIX;
use fluidity_solvers::{Cancel, PlanOptions, Progress, ProgressReport};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub fn run(args: BatchArgs) -> Result<Exit> {
    let (jobs, orphans) = prepare(&args)?;
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, stop.clone())
            .context("cannot install the signal handlers")?;
    }
    let workers = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);

    let bar = std::io::stderr()
        .is_terminal()
        .then(|| progress_bar(jobs.len()));
    let planner = planner(&args, &stop, bar.as_ref())?;
    let write_errors = std::sync::Mutex::new(Vec::new());
    let done = |entry: &Entry| {
        if let Err(e) = batch::write_entry(&args.out, entry) {
            write_errors
                .lock()
                .expect("not poisoned")
                .push(format!("{}: {e}", entry.file));
        }
        match &bar {
            Some(bar) => {
                bar.set_message(entry.line());
                bar.inc(1);
            }
            None => eprintln!("{}", entry.line()),
        }
    };
    let mut entries = batch::run_all(&jobs, planner.as_ref(), workers, &stop, &done);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let write_errors = write_errors.into_inner().expect("not poisoned");
    if !write_errors.is_empty() {
        return Err(anyhow!(
            "cannot write results:\n  {}",
            write_errors.join("\n  ")
        ));
    }
    if stop.load(Ordering::SeqCst) {
        eprintln!(
            "interrupted: {} of {} scenarios planned and written to {}; no summary or report",
            entries.len(),
            jobs.len(),
            args.out.display()
        );
        return Ok(Exit::Interrupted);
    }
    entries.extend(orphans);
    let title = format!("Fluidity batch: {}", args.dir.display());
    let tracking = match &args.store {
        Some(url) => tracking(url)?,
        None => Vec::new(),
    };
    batch::write_outputs(&args.out, &title, &entries, &tracking)
        .with_context(|| format!("cannot write to {}", args.out.display()))?;

    print_summary(&entries, args.format);
    Ok(exit(&entries, &args))
}

/// The scenario folder's jobs (and files that are not scenarios), after checking
/// that the output folder can be made and is not the scenario folder, and clearing
/// temporary files a killed run left there.
fn prepare(args: &BatchArgs) -> Result<(Vec<batch::Job>, Vec<Entry>)> {
    if !args.dir.is_dir() {
        return Err(anyhow!("{} is not a folder", args.dir.display()));
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    // Plans written among the scenarios would overwrite one named like an output
    // (`q4.plan.json` is also q4's plan) and be read as scenarios by the next run.
    let same_folder = |a: &std::path::Path, b: &std::path::Path| matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b);
    if same_folder(&args.dir, &args.out) {
        return Err(anyhow!(
            "--out {} is the scenario folder: plans written there would overwrite \
             scenarios and be read as scenarios next time; give another folder",
            args.out.display()
        ));
    }
    remove_stale_temporaries(&args.out);
    let (jobs, orphans) = batch::discover(&args.dir)
        .with_context(|| format!("cannot read {}", args.dir.display()))?;
    if jobs.is_empty() && orphans.is_empty() {
        return Err(anyhow!("{} holds no scenario (*.json)", args.dir.display()));
    }
    Ok((jobs, orphans))
}

fn progress_bar(scenarios: usize) -> ProgressBar {
    let bar = ProgressBar::new(scenarios as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} scenarios  {elapsed_precise}  {msg}")
            .expect("a valid template"),
    );
    bar
}

/// A server's planner with `--server`, else this process's. In process, a stop also
/// interrupts the whole-unit searches under way: each ends with its best plan found
/// (FEASIBLE, with its gap) instead of running on.
fn planner(
    args: &BatchArgs,
    stop: &Arc<AtomicBool>,
    bar: Option<&ProgressBar>,
) -> Result<Box<dyn Planner>> {
    Ok(match args.remote.endpoint() {
        Some(endpoint) => Box::new(Remote::connect(&endpoint).context("cannot reach the server")?),
        None => Box::new(InProcess(PlanOptions {
            limits: args.limits.limits(),
            time_limit: None,
            cancel: Cancel::default().with_interrupt(stop.clone()),
            progress: bar.cloned().map(|bar| {
                let show: Arc<Progress> = Arc::new(move |report: &ProgressReport| {
                    if report.elapsed >= 1.0 {
                        bar.set_message(crate::watch::describe(report));
                    }
                });
                show
            }),
        })),
    })
}

/// The run's closing line on stderr, and its exit: some failed, else some
/// infeasible, else planned.
fn exit(entries: &[Entry], args: &BatchArgs) -> Exit {
    let failed = entries
        .iter()
        .filter(|e| e.status_word() == "FAILED")
        .count();
    let infeasible = entries
        .iter()
        .filter(|e| e.status_word() == "INFEASIBLE")
        .count();
    eprintln!(
        "planned {} of {} scenarios ({infeasible} infeasible, {failed} failed); summary: {}, report: {}",
        entries.len() - failed,
        entries.len(),
        args.out.join("summary.csv").display(),
        args.out.join("report.html").display()
    );
    if failed > 0 {
        Exit::SomeFailed
    } else if infeasible > 0 {
        Exit::Infeasible
    } else {
        Exit::Planned
    }
}

/// Every portfolio with an approved plan in the store at `url`: the plan against its
/// actuals, and its open alerts.
fn tracking(url: &str) -> Result<Vec<batch::Tracking>> {
    use fluidity::store::{PlanFilter, PlanState, Store};
    let runtime = crate::runtime()?;
    runtime.block_on(async {
        let store = Store::open(url).await.map_err(|e| {
            anyhow!(
                "cannot open the store {}: {e}",
                fluidity::store::redacted(url)
            )
        })?;
        let approved = store
            .list_plans(&PlanFilter {
                state: Some(PlanState::Approved),
                limit: 1000,
                ..PlanFilter::default()
            })
            .await?;
        let mut tracking = Vec::new();
        for record in approved {
            let (_, _, execution) = store.execution(&record.portfolio).await?;
            let alerts = store.alerts(Some(&record.portfolio), false).await?;
            tracking.push(batch::Tracking {
                portfolio: record.portfolio,
                plan_id: record.id,
                execution,
                alerts,
            });
        }
        Ok(tracking)
    })
}

/// The summary on stdout: a table, or JSON rows.
fn print_summary(entries: &[Entry], format: Format) {
    let rows = batch::summary_rows(entries);
    match format {
        Format::Json => print!("{}", render::json(&rows)),
        Format::Text => {
            let number = |x: Option<f64>| x.map(render::num).unwrap_or_default();
            let table_rows: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.scenario.clone(),
                        r.status.clone(),
                        number(r.objective),
                        number(r.gain),
                        r.bottleneck.clone(),
                        number(r.bottleneck_price),
                        r.problems
                            .first()
                            .map(|p| p.chars().take(60).collect())
                            .unwrap_or_default(),
                    ]
                })
                .collect();
            let mut out = String::new();
            render::table(
                &mut out,
                &[
                    "scenario",
                    "status",
                    "objective",
                    "gain",
                    "bottleneck",
                    "price",
                    "first problem",
                ],
                &[
                    Align::Left,
                    Align::Left,
                    Align::Right,
                    Align::Right,
                    Align::Left,
                    Align::Right,
                    Align::Left,
                ],
                &table_rows,
            );
            print!("{out}");
        }
    }
}

/// Temporary files of a run that was killed outright (SIGKILL) are removed.
fn remove_stale_temporaries(out: &std::path::Path) {
    if let Ok(entries) = std::fs::read_dir(out) {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().ends_with(TEMP_SUFFIX) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}
