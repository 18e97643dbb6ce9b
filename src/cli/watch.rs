//! A solve as a person at a terminal watches it: after a second, a live line on
//! stderr (elapsed, best plan, bound, gap); the first Ctrl-C stops the search and
//! keeps the best plan found, a second one aborts at once (exit 130).

use fluidity_solvers::{Cancel, Progress, ProgressReport};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A whole-unit search shows progress only once it has run this long.
const QUIET_SECONDS: f64 = 1.0;

/// The terminal's side of one solve.
pub struct Watch {
    interrupted: Arc<AtomicBool>,
    bar: Arc<Mutex<Option<ProgressBar>>>,
}

impl Watch {
    /// Installs the Ctrl-C handling and, on a terminal, the progress line. Returns the
    /// flags and the progress callback to hand to the planner.
    pub fn start() -> anyhow::Result<(Watch, Cancel, Option<Arc<Progress>>)> {
        let interrupted = Arc::new(AtomicBool::new(false));
        // The order matters: the shutdown check sees the flag the first Ctrl-C set.
        signal_hook::flag::register_conditional_shutdown(
            signal_hook::consts::SIGINT,
            130,
            interrupted.clone(),
        )?;
        signal_hook::flag::register(signal_hook::consts::SIGINT, interrupted.clone())?;
        let cancel = Cancel::default().with_interrupt(interrupted.clone());
        let bar: Arc<Mutex<Option<ProgressBar>>> = Arc::new(Mutex::new(None));
        let progress = std::io::stderr().is_terminal().then(|| {
            let bar = bar.clone();
            let show: Arc<Progress> = Arc::new(move |report: &ProgressReport| {
                if report.elapsed < QUIET_SECONDS {
                    return;
                }
                let mut slot = bar.lock().unwrap_or_else(|e| e.into_inner());
                let line = slot.get_or_insert_with(|| {
                    let line = ProgressBar::new_spinner();
                    line.set_style(
                        ProgressStyle::with_template("{spinner} {msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    line.enable_steady_tick(Duration::from_millis(200));
                    line
                });
                line.set_message(describe(report));
            });
            show
        });
        Ok((Watch { interrupted, bar }, cancel, progress))
    }

    /// Clears the progress line; true when the user interrupted the search.
    pub fn finish(self) -> bool {
        if let Some(line) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).take() {
            line.finish_and_clear();
        }
        self.interrupted.load(Ordering::Relaxed)
    }
}

/// `whole units: 12.4 s, best plan 93,127.5, bound 94,260.08, gap 1.22% (Ctrl-C: ...)`
pub fn describe(report: &ProgressReport) -> String {
    use fluidity::numbers::{num, percent};
    let mut line = format!("whole units: {:.1} s", report.elapsed);
    match report.incumbent {
        Some(best) => line.push_str(&format!(", best plan {}", num(best))),
        None => line.push_str(", no plan yet"),
    }
    if let Some(bound) = report.bound {
        line.push_str(&format!(", bound {}", num(bound)));
        if let Some(best) = report.incumbent {
            let gap = ((bound - best) / best.abs().max(1.0)).max(0.0);
            line.push_str(&format!(", gap {}", percent(gap)));
        }
    }
    line.push_str(" (Ctrl-C: stop and keep the best plan)");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_progress_line_names_the_best_plan_bound_and_gap() {
        let line = describe(&ProgressReport {
            elapsed: 12.43,
            incumbent: Some(93127.5),
            bound: Some(94260.08),
        });
        assert_eq!(
            line,
            "whole units: 12.4 s, best plan 93,127.5, bound 94,260.08, gap 1.22% (Ctrl-C: stop and keep the best plan)"
        );
    }
}
