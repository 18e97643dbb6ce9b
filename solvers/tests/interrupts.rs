//! A whole-unit search watched by its caller, in whichever build runs the tests
//! (lp_solve in the default build, HiGHS with `--features highs`): progress is
//! reported while it runs, an interrupt keeps the best plan found with an honest gap,
//! and a cancel stops it with no plan.

use fluidity_solvers::generate::{generate, Shape};
use fluidity_solvers::Status;
use fluidity_solvers::{plan, Cancel, PlanError, PlanOptions, Progress, ProgressReport, Scenario};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A whole-unit portfolio asked for a proof (mipGap 0), without tiers so that one
/// long search runs: neither solver proves it within minutes here.
fn endless() -> Scenario {
    let mut s = generate(Shape {
        initiatives: 100,
        resources: 4,
        periods: 6,
        seed: 5,
        integral_share: 1.0,
    });
    s.policy.mip_gap = Some(0.0);
    for i in &mut s.initiatives {
        i.tier = 0;
    }
    s
}

/// Options whose progress callback raises `flag` once a plan has been found.
fn raising_on_first_plan(
    flag: Arc<AtomicBool>,
    cancel: Cancel,
) -> (PlanOptions, Arc<Mutex<Vec<ProgressReport>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let progress: Arc<Progress> = Arc::new(move |report: &ProgressReport| {
        log.lock().unwrap().push(*report);
        if report.incumbent.is_some() {
            flag.store(true, Ordering::SeqCst);
        }
    });
    (
        PlanOptions {
            cancel,
            progress: Some(progress),
            ..PlanOptions::default()
        },
        seen,
    )
}

#[test]
fn an_interrupt_keeps_the_best_plan_found_with_its_gap() {
    let interrupt = Arc::new(AtomicBool::new(false));
    let cancel = Cancel::default().with_interrupt(interrupt.clone());
    let (options, seen) = raising_on_first_plan(interrupt, cancel);
    let p = plan(&endless(), &options).unwrap();
    assert_eq!(p.status, Status::Feasible);
    assert!(
        p.solver.bound >= p.objective,
        "bound {} below {}",
        p.solver.bound,
        p.objective
    );
    assert!(p.solver.gap > 0.0);
    let seen = seen.lock().unwrap();
    assert!(!seen.is_empty(), "no progress was reported");
    let last = seen
        .iter()
        .rev()
        .find_map(|r| r.incumbent.zip(r.bound))
        .expect("a report with both");
    assert!(
        last.1 >= last.0,
        "a reported bound below its incumbent: {last:?}"
    );
}

#[test]
fn a_cancel_stops_the_search_with_no_plan() {
    let (cancel, flag) = Cancel::new();
    let (options, _) = raising_on_first_plan(flag, cancel);
    assert_eq!(
        plan(&endless(), &options).unwrap_err(),
        PlanError::Cancelled
    );
}
