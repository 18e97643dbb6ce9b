//! Batch runs: every scenario in a folder planned (with its variants and sweeps), and
//! per scenario a plan, CSVs and what-ifs, and for the batch a summary CSV and a
//! self-contained HTML report. A bad scenario never stops the batch: it is listed
//! with its problems.
//!
//! Folder conventions: `NAME.json` is a scenario; `NAME.variants.json` and
//! `NAME.X.variants.json` (or `.variant.json`) hold variants of it; `NAME.sweep.json`
//! and `NAME.X.sweep.json` hold sweeps of it (`{"resource": "capital", "factors":
//! [0.9, 1.0, 1.1]}` or `"levels"`).

mod outputs;
mod report;
mod svg;

use crate::numbers::num;
use fluidity_solvers::whatif::compare::{compare, Comparison};
use fluidity_solvers::whatif::sweep::{sweep, Parameter, Sweep};
use fluidity_solvers::whatif::variant::Variant;
use fluidity_solvers::{plan, Plan, PlanError, PlanOptions, Scenario, Status};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

pub use outputs::{summary_rows, write_entry, write_outputs, SummaryRow};

/// A portfolio's approved plan against what ran, for the report (from a store).
#[derive(Debug, Clone)]
pub struct Tracking {
    /// The portfolio.
    pub portfolio: String,
    /// Its approved plan's id.
    pub plan_id: i64,
    /// The approved plan against the actuals recorded.
    pub execution: fluidity_solvers::lifecycle::Execution,
    /// Its open alerts.
    pub alerts: Vec<crate::store::AlertRecord>,
}

/// A sweep file: one resource and either capacity factors or reserve levels.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SweepSpec {
    /// The resource to sweep (its id).
    pub resource: String,
    /// Capacity factors (1 = as in the scenario); exclusive with `levels`.
    #[serde(default)]
    pub factors: Vec<f64>,
    /// Reserve levels (fractions of capacity); exclusive with `factors`.
    #[serde(default)]
    pub levels: Vec<f64>,
}

/// One scenario of the folder with the what-if files that go with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// The scenario's name in outputs (its file stem).
    pub name: String,
    /// The scenario file.
    pub scenario: PathBuf,
    /// The variant files that go with it (`NAME.variants*.json`).
    pub variants: Vec<PathBuf>,
    /// The sweep files that go with it (`NAME.sweep*.json`).
    pub sweeps: Vec<PathBuf>,
}

/// What one scenario gave.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A plan (OPTIMAL, FEASIBLE or INFEASIBLE), with its what-ifs.
    Planned(Box<Planned>),
    /// Invalid input or a failed solve: the problems, one per line.
    Failed(Vec<String>),
}

/// A scenario planned, with what its what-if files gave.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The scenario as read.
    pub scenario: Scenario,
    /// Its plan.
    pub plan: Plan,
    /// The plan against the scenario's variants, when it has a variant file.
    pub comparison: Option<Comparison>,
    /// (the sweep file's label, the frontier)
    pub sweeps: Vec<(String, Sweep)>,
    /// Problems with what-if files (the plan itself stands).
    pub problems: Vec<String>,
}

/// One line of the batch.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The scenario's name (its file stem).
    pub name: String,
    /// The scenario file, relative to the batch folder.
    pub file: String,
    /// What it gave.
    pub outcome: Outcome,
}

impl Entry {
    /// OPTIMAL, FEASIBLE, INFEASIBLE or FAILED.
    pub fn status_word(&self) -> &'static str {
        match &self.outcome {
            Outcome::Failed(_) => "FAILED",
            Outcome::Planned(p) => match p.plan.status {
                Status::Optimal => "OPTIMAL",
                Status::Feasible => "FEASIBLE",
                Status::Infeasible => "INFEASIBLE",
            },
        }
    }

    /// A one-line account for progress output.
    pub fn line(&self) -> String {
        match &self.outcome {
            Outcome::Failed(problems) => format!(
                "{} FAILED: {}",
                self.file,
                problems.first().map_or("", String::as_str)
            ),
            Outcome::Planned(p) => format!(
                "{} {} objective {}",
                self.file,
                self.status_word(),
                num(p.plan.objective)
            ),
        }
    }
}

/// Finds the scenarios of a folder and their what-if files; what-if files without a
/// scenario come back as failed entries.
pub fn discover(dir: &Path) -> std::io::Result<(Vec<Job>, Vec<Entry>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .is_some_and(|x| x == "json" || x.eq_ignore_ascii_case("xlsx"))
        })
        .collect();
    files.sort();
    let file_name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let kind = |name: &str| {
        if name.ends_with(".variants.json") || name.ends_with(".variant.json") {
            "variants"
        } else if name.ends_with(".sweep.json") {
            "sweep"
        } else {
            "scenario"
        }
    };
    let jobs: Vec<Job> = files
        .iter()
        .filter(|p| kind(&file_name(p)) == "scenario")
        .map(|p| Job {
            name: p
                .file_stem()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            scenario: p.clone(),
            variants: Vec::new(),
            sweeps: Vec::new(),
        })
        .collect();
    let mut orphans = Vec::new();
    // `q4.json` and `q4.xlsx` would write the same `q4.*` outputs: the first (JSON)
    // is planned, the other listed as failed.
    let mut named: Vec<Job> = Vec::new();
    for job in jobs {
        match named.iter().find(|j| j.name == job.name) {
            Some(first) => {
                let file = file_name(&job.scenario);
                orphans.push(Entry {
                    name: job.name.clone(),
                    file: file.clone(),
                    outcome: Outcome::Failed(vec![format!(
                        "{} has the same name and is planned instead: their outputs would collide; rename one",
                        file_name(&first.scenario)
                    )]),
                });
            }
            None => named.push(job),
        }
    }
    let mut jobs = named;
    for p in files.iter().filter(|p| kind(&file_name(p)) != "scenario") {
        let name = file_name(p);
        // The owner is the longest scenario name the file's name continues with a dot:
        // `q4.plan.variants.json` belongs to `q4.plan.json` even beside `q4.json`.
        let owner = jobs
            .iter()
            .enumerate()
            .filter(|(_, j)| {
                name.strip_prefix(j.name.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
            })
            .max_by_key(|(_, j)| j.name.len())
            .map(|(k, _)| k);
        let wanted = name.split('.').next().unwrap_or_default().to_string();
        match owner.map(|k| &mut jobs[k]) {
            Some(job) if kind(&name) == "variants" => job.variants.push(p.clone()),
            Some(job) => job.sweeps.push(p.clone()),
            None => orphans.push(Entry {
                name: name.clone(),
                file: name,
                outcome: Outcome::Failed(vec![format!(
                    "no scenario {wanted}.json (or another name this file's continues) in the folder for this file"
                )]),
            }),
        }
    }
    Ok((jobs, orphans))
}

/// Where a batch's plans come from: this process, or a server.
pub trait Planner: Sync {
    /// A plan, or the problems (one per line) that stop one.
    fn plan(&self, scenario: &Scenario) -> Result<Plan, Vec<String>>;
    /// The base planned beside each variant (see `fluidity_solvers::whatif::compare`).
    fn compare(&self, base: &Scenario, variants: &[Variant]) -> Result<Comparison, String>;
    /// The optimum along one resource (see `fluidity_solvers::whatif::sweep`).
    fn sweep(
        &self,
        base: &Scenario,
        resource: &str,
        parameter: Parameter,
        values: &[f64],
    ) -> Result<Sweep, String>;
}

/// Plans in this process.
pub struct InProcess(pub PlanOptions);

impl Planner for InProcess {
    fn plan(&self, scenario: &Scenario) -> Result<Plan, Vec<String>> {
        plan(scenario, &self.0).map_err(|e| match e {
            PlanError::Invalid(invalid) => {
                invalid.violations.iter().map(|v| v.to_string()).collect()
            }
            other => vec![other.to_string()],
        })
    }

    fn compare(&self, base: &Scenario, variants: &[Variant]) -> Result<Comparison, String> {
        compare(base, variants, &self.0).map_err(|e| e.to_string())
    }

    fn sweep(
        &self,
        base: &Scenario,
        resource: &str,
        parameter: Parameter,
        values: &[f64],
    ) -> Result<Sweep, String> {
        sweep(base, resource, parameter, values, &self.0).map_err(|e| e.to_string())
    }
}

/// Plans one job.
pub fn run_job(job: &Job, planner: &dyn Planner) -> Entry {
    let file = job
        .scenario
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let entry = |outcome| Entry {
        name: job.name.clone(),
        file: file.clone(),
        outcome,
    };
    let scenario = match read_scenario(&job.scenario) {
        Ok(s) => s,
        Err(problems) => {
            let mut lines = vec![format!("{file} is not a valid scenario")];
            lines.extend(problems);
            return entry(Outcome::Failed(lines));
        }
    };
    let plan = match planner.plan(&scenario) {
        Ok(p) => p,
        Err(problems) => return entry(Outcome::Failed(problems)),
    };
    let mut problems = Vec::new();
    let comparison = what_ifs(job, &scenario, planner, &mut problems);
    let sweeps = frontiers(job, &scenario, planner, &mut problems);
    entry(Outcome::Planned(Box::new(Planned {
        scenario,
        plan,
        comparison,
        sweeps,
        problems,
    })))
}

/// A scenario file of the batch: JSON, or an XLSX workbook (validated as it is read,
/// so each problem names its cell).
fn read_scenario(path: &Path) -> Result<Scenario, Vec<String>> {
    let workbook = path
        .extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("xlsx"));
    if workbook {
        let bytes = std::fs::read(path).map_err(|e| vec![format!("cannot be read: {e}")])?;
        let unlimited = fluidity_solvers::Limits {
            max_variables: usize::MAX,
            max_constraints: usize::MAX,
        };
        return crate::workbook::read_xlsx(&bytes, &unlimited)
            .map_err(|e| e.problems.iter().map(ToString::to_string).collect());
    }
    let text = std::fs::read_to_string(path).map_err(|e| vec![format!("cannot be read: {e}")])?;
    Scenario::from_json(&text).map_err(|e| vec![e.to_string()])
}

/// The scenario against its variant files' variants; None without variants or when
/// any is wrong (each problem goes to `problems`).
fn what_ifs(
    job: &Job,
    scenario: &Scenario,
    planner: &dyn Planner,
    problems: &mut Vec<String>,
) -> Option<Comparison> {
    let mut variants = Vec::new();
    for path in &job.variants {
        let label = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| Variant::list_from_json(&t).map_err(|e| e.to_string()))
        {
            Ok(list) => variants.extend(list),
            Err(e) => problems.push(format!("{label}: {e}")),
        }
    }
    let invalid: Vec<String> = fluidity_solvers::whatif::variant::check_all(scenario, &variants)
        .iter()
        .map(|v| v.to_string())
        .collect();
    if variants.is_empty() || !invalid.is_empty() {
        problems.extend(invalid);
        None
    } else {
        match planner.compare(scenario, &variants) {
            Ok(c) => Some(c),
            Err(e) => {
                problems.push(format!("variants: {e}"));
                None
            }
        }
    }
}

/// The scenario's frontiers, one per sweep file (each problem goes to `problems`).
fn frontiers(
    job: &Job,
    scenario: &Scenario,
    planner: &dyn Planner,
    problems: &mut Vec<String>,
) -> Vec<(String, Sweep)> {
    let mut sweeps = Vec::new();
    for path in &job.sweeps {
        let label = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let spec = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<SweepSpec>(&t).map_err(|e| e.to_string()));
        let result = spec.and_then(|spec| {
            let (parameter, values) = match (spec.factors.is_empty(), spec.levels.is_empty()) {
                (false, true) => (Parameter::CapacityFactor, spec.factors),
                (true, false) => (Parameter::ReserveLevel, spec.levels),
                _ => return Err("give either factors or levels".to_string()),
            };
            planner.sweep(scenario, &spec.resource, parameter, &values)
        });
        match result {
            Ok(s) => sweeps.push((label.trim_end_matches(".json").to_string(), s)),
            Err(e) => problems.push(format!("{label}: {e}")),
        }
    }
    sweeps
}

/// Plans one job; a panic (a bug) fails that scenario with its message instead of
/// ending the run, so the rest are planned and the summary is written.
fn run_isolated(job: &Job, planner: &dyn Planner) -> Entry {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_job(job, planner))).unwrap_or_else(
        |panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_string());
            Entry {
                name: job.name.clone(),
                file: job
                    .scenario
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                outcome: Outcome::Failed(vec![format!(
                    "internal error (a bug in fluidity): {message}"
                )]),
            }
        },
    )
}

/// Plans every job on `workers` threads, calling `done` after each; stops taking new
/// jobs once `stop` is set. Entries come back in job order.
pub fn run_all(
    jobs: &[Job],
    planner: &dyn Planner,
    workers: usize,
    stop: &AtomicBool,
    done: &(dyn Fn(&Entry) + Sync),
) -> Vec<Entry> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Entry)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers.max(1) {
            scope.spawn(|| loop {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let k = next.fetch_add(1, Ordering::SeqCst);
                let Some(job) = jobs.get(k) else { break };
                let entry = run_isolated(job, planner);
                done(&entry);
                results
                    .lock()
                    .expect("no worker panics holding the lock")
                    .push((k, entry));
            });
        }
    });
    let mut results = results.into_inner().expect("workers finished");
    results.sort_by_key(|(k, _)| *k);
    results.into_iter().map(|(_, e)| e).collect()
}

/// A short number for chart labels.
pub(crate) fn short(x: f64) -> String {
    num(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plans in process, except that it panics on one scenario (by its name).
    struct PanicsOn(&'static str, InProcess);

    impl Planner for PanicsOn {
        fn plan(&self, scenario: &Scenario) -> Result<Plan, Vec<String>> {
            if scenario.name == self.0 {
                panic!("planted bug on {}", scenario.name);
            }
            self.1.plan(scenario)
        }
        fn compare(&self, base: &Scenario, variants: &[Variant]) -> Result<Comparison, String> {
            self.1.compare(base, variants)
        }
        fn sweep(
            &self,
            base: &Scenario,
            resource: &str,
            parameter: Parameter,
            values: &[f64],
        ) -> Result<Sweep, String> {
            self.1.sweep(base, resource, parameter, values)
        }
    }

    #[test]
    fn a_panic_in_one_job_fails_that_scenario_and_the_rest_are_planned() {
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        let jobs: Vec<Job> = ["portfolio", "tiered", "infeasible"]
            .iter()
            .map(|name| Job {
                name: name.to_string(),
                scenario: examples.join(format!("{name}.json")),
                variants: Vec::new(),
                sweeps: Vec::new(),
            })
            .collect();
        let planner = PanicsOn(
            "Security even over growth (tiered)",
            InProcess(PlanOptions::default()),
        );
        let entries = run_all(&jobs, &planner, 2, &AtomicBool::new(false), &|_| {});
        assert_eq!(entries.len(), 3);
        match &entries[1].outcome {
            Outcome::Failed(problems) => assert!(
                problems[0].contains("planted bug on Security even over growth"),
                "{problems:?}"
            ),
            Outcome::Planned(_) => panic!("the panicking job was planned"),
        }
        for k in [0, 2] {
            assert!(
                matches!(entries[k].outcome, Outcome::Planned(_)),
                "{}",
                entries[k].name
            );
        }
    }
}
