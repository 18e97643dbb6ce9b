//! The command line: subcommands and flags, nothing else.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "fluidity",
    version,
    about = "Mid-quarter resource reallocation: plans, moves and shadow prices"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Plan a scenario: activities per period, moves, value gained, bottlenecks.
    Plan(PlanArgs),
    /// Check a scenario and list every problem with its field path, without solving.
    Validate(ValidateArgs),
    /// Write a deterministic, feasible scenario of any size (benchmarks, demos).
    Generate(GenerateArgs),
    /// Serve the fluidity.v1 gRPC API (with health and reflection).
    Serve(ServeArgs),
    /// Plan a base scenario and its variants side by side.
    Compare(CompareArgs),
    /// The optimum as a function of one resource's capacity or reserve level.
    Sweep(SweepArgs),
    /// What it would take: for each initiative, the factor on its value at which the
    /// plan would give it more (or less), and what forcing the other decision costs.
    Explain(ExplainArgs),
    /// Plan every scenario in a folder (with its variants and sweeps); write plans,
    /// CSVs, a summary and an HTML report.
    Batch(BatchArgs),
    /// Write the final stage's linear program as MPS or CPLEX LP, for other solvers.
    Export(ExportArgs),
    /// Convert a scenario between JSON, an XLSX workbook and a folder of CSV files.
    Convert(ConvertArgs),
    /// Ask a server whether it is serving (gRPC health); exit 0 when it is, 1 when
    /// not or unreachable: a container's HEALTHCHECK, or a script's.
    Health(HealthArgs),
    /// Plan records: save, approve (with a written comment), withdraw, list, show, diff.
    #[command(subcommand)]
    Plans(PlansCommand),
    /// What actually ran: record it from CSV, compare it with the approved plan.
    #[command(subcommand)]
    Actuals(ActualsCommand),
    /// Alerts raised when execution drifts: list, acknowledge, set the triggers.
    #[command(subcommand)]
    Alerts(AlertsCommand),
    /// Re-plan the periods left from the recorded actuals; saved as a DRAFT.
    Replan(ReplanArgs),
    /// The append-only audit trail: show it, verify its hash chain.
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(clap::Args)]
pub struct ConvertArgs {
    /// The scenario: JSON (`-` reads stdin), an .xlsx workbook, or a folder of CSV files.
    pub input: PathBuf,
    /// Where to write it: NAME.json, NAME.xlsx, or a folder for CSV files (created; the
    /// format's CSV files in it are replaced); `-` writes JSON to stdout.
    pub output: PathBuf,
}

#[derive(clap::Args)]
pub struct HealthArgs {
    /// The service to ask about [default: the server as a whole].
    #[arg(long, default_value = "")]
    pub service: String,
    /// Seconds to wait for the answer.
    #[arg(long, default_value_t = 5.0)]
    pub timeout: f64,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

/// Where plan records are kept, and who acts.
#[derive(clap::Args)]
pub struct StoreArgs {
    /// The store: sqlite:PATH or postgres://USER@HOST/DB [default: sqlite: a file
    /// under your data folder, e.g. ~/.local/share/fluidity/store.db].
    #[arg(long, env = "FLUIDITY_STORE", value_name = "URL")]
    pub store: Option<String>,
    /// The name recorded as the actor, in process [default: the OS user]. With
    /// --server you act as your token's name.
    #[arg(long = "as", value_name = "NAME", conflicts_with = "server")]
    pub actor: Option<String>,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

#[derive(clap::Subcommand)]
pub enum PlansCommand {
    /// Plan a scenario and save the plan as a DRAFT of a portfolio.
    Save {
        /// Scenario JSON file; `-` reads stdin.
        file: PathBuf,
        /// The portfolio it belongs to (e.g. q4-2026).
        #[arg(long)]
        portfolio: String,
        /// A key that makes a retried save store nothing twice.
        #[arg(long, value_name = "KEY")]
        idempotency_key: Option<String>,
        #[command(flatten)]
        limits: LimitArgs,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Approve a DRAFT, confirming its priority changes in writing; the portfolio's
    /// approved plan becomes SUPERSEDED.
    Approve {
        /// The plan's id.
        id: i64,
        /// The written confirmation (required).
        #[arg(long)]
        comment: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Withdraw a DRAFT.
    Withdraw {
        /// The plan's id.
        id: i64,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List plans, oldest first.
    List {
        /// Only this portfolio's.
        #[arg(long)]
        portfolio: Option<String>,
        /// Only plans in this state (DRAFT, APPROVED, SUPERSEDED, WITHDRAWN).
        #[arg(long)]
        state: Option<String>,
        /// Only plans with an id above this (the last id of the previous page).
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// One plan record: its state, approval, and the plan.
    Show {
        /// The plan's id.
        id: i64,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// What changes from one plan to another: end-of-quarter activity, objective.
    Diff {
        /// The earlier plan's id.
        from: i64,
        /// The later plan's id.
        to: i64,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(clap::Subcommand)]
pub enum ActualsCommand {
    /// Record actuals from CSV (header `initiative,period,activity`) against the
    /// portfolio's approved plan; alerts are raised as the triggers say.
    Record {
        /// The CSV file; `-` reads stdin.
        file: PathBuf,
        #[arg(long)]
        portfolio: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The approved plan against what ran: deviations, value, capacity used.
    Show {
        #[arg(long)]
        portfolio: String,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(clap::Subcommand)]
pub enum AlertsCommand {
    /// Open alerts (with --all, acknowledged ones too).
    List {
        #[arg(long)]
        portfolio: Option<String>,
        #[arg(long)]
        all: bool,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Acknowledge an alert in your name.
    Ack {
        /// The alert's id.
        id: i64,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Set a portfolio's escalation triggers (those not given are off).
    Triggers {
        #[arg(long)]
        portfolio: String,
        /// Alert when an initiative runs more than this fraction off plan (0.2 = 20%).
        #[arg(long, value_name = "FRACTION")]
        max_relative_deviation: Option<f64>,
        /// Alert when a period's realised value falls short of plan by more than
        /// this fraction.
        #[arg(long, value_name = "FRACTION")]
        max_value_shortfall: Option<f64>,
        /// Alert when a resource is used beyond its capacity.
        #[arg(long)]
        resource_over_capacity: bool,
        /// Alert when OPERATIONS work runs below its floor.
        #[arg(long)]
        operations_below_floor: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(clap::Args)]
pub struct ReplanArgs {
    /// The portfolio whose approved plan is re-planned from its actuals.
    #[arg(long)]
    pub portfolio: String,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(clap::Subcommand)]
pub enum AuditCommand {
    /// Check the trail's hash chain and every plan's content hash; exit 1 naming the
    /// first broken entry.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The trail, oldest first.
    Show {
        /// Only entries after this one.
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(clap::Args)]
pub struct ExplainArgs {
    /// Scenario JSON file; `-` reads stdin.
    pub file: PathBuf,
    /// Explain only this initiative; repeat for more [default: every initiative].
    #[arg(long = "initiative", value_name = "ID")]
    pub initiatives: Vec<String>,
    /// Initiatives explained at once, each on its own core [default: the number of
    /// cores].
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(clap::Args)]
pub struct ExportArgs {
    /// Scenario JSON file; `-` reads stdin.
    pub file: PathBuf,
    #[arg(long, value_enum, default_value_t = ProgramFormat::Mps)]
    pub format: ProgramFormat,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgramFormat {
    /// Free MPS.
    Mps,
    /// CPLEX LP.
    Lp,
}

#[derive(clap::Args)]
pub struct BatchArgs {
    /// Folder of scenarios (NAME.json), variants (NAME[.X].variants.json) and sweeps
    /// (NAME[.X].sweep.json).
    pub dir: PathBuf,
    /// Folder for the results (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// Scenarios planned at once [default: the number of cores].
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// How the summary is printed on stdout at the end.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Also show, in the report, every portfolio's approved plan in this store
    /// (sqlite:PATH or postgres://...) against its recorded actuals and open alerts.
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
}

#[derive(clap::Args)]
pub struct CompareArgs {
    /// Base scenario JSON file; `-` reads stdin.
    pub base: PathBuf,
    /// A variant file (one variant, or {"variants": [...]}); repeat for more.
    #[arg(long = "variant", value_name = "FILE", required = true)]
    pub variants: Vec<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("values").required(true).args(["factors", "levels"])))]
pub struct SweepArgs {
    /// Base scenario JSON file; `-` reads stdin.
    pub base: PathBuf,
    /// The resource to vary.
    #[arg(long)]
    pub resource: String,
    /// Capacity factors, e.g. 0.8,0.9,1.0,1.1,1.2 (every period scaled).
    #[arg(long, value_delimiter = ',', value_name = "F,F,...")]
    pub factors: Vec<f64>,
    /// Reserve levels (reserveMin), e.g. 0.05,0.10,0.15.
    #[arg(long, value_delimiter = ',', value_name = "L,L,...")]
    pub levels: Vec<f64>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(clap::Args)]
// `--shutdown-grace -1` is a bad value (said so), not an unknown flag.
#[command(allow_negative_numbers = true)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:50051")]
    pub addr: std::net::SocketAddr,
    /// Keep plan records (the lifecycle service) in this store: sqlite:PATH, or
    /// postgres://USER@HOST/DB for several replicas sharing one store. Without it the
    /// server keeps nothing and the lifecycle calls answer FAILED_PRECONDITION.
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// Solves running at once [default: the number of cores].
    #[arg(long, value_name = "N")]
    pub max_concurrent_solves: Option<usize>,
    /// Calls that may wait for a solve slot; beyond that, RESOURCE_EXHAUSTED.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub queue_limit: usize,
    /// Largest request in bytes; beyond that, RESOURCE_EXHAUSTED.
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_message_bytes: usize,
    /// Seconds in-flight calls may take to finish after SIGTERM or Ctrl-C.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub shutdown_grace: f64,
    /// Most seconds one call may solve (a shorter client deadline wins).
    #[arg(long, value_name = "SECONDS", default_value_t = 300.0)]
    pub max_solve_seconds: f64,
    /// Bearer tokens, one `name:token` per line (re-read on SIGHUP); calls without a
    /// valid token are UNAUTHENTICATED, health checks excepted.
    #[arg(long, value_name = "FILE")]
    pub auth_tokens: Option<PathBuf>,
    /// Serve Prometheus metrics (text format, GET /metrics) on this address, e.g. 127.0.0.1:9464.
    #[arg(long, value_name = "ADDR")]
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Allow a non-loopback address without --auth-tokens.
    #[arg(long)]
    pub insecure_public: bool,
    /// Server certificate chain (PEM): serve TLS.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// Server private key (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// CA (PEM) whose client certificates are required: mutual TLS.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
    /// Seconds between HTTP/2 pings that detect dead peers (0: off).
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub http2_keepalive_interval: f64,
    /// Seconds to wait for a ping's answer before closing the connection.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub http2_keepalive_timeout: f64,
    /// Seconds after which a connection is closed gracefully (clients reconnect; 0: never).
    #[arg(long, value_name = "SECONDS", default_value_t = 3600.0)]
    pub max_connection_age: f64,
    /// Calls (HTTP/2 streams) one connection may have open at once, advertised to
    /// clients as SETTINGS_MAX_CONCURRENT_STREAMS; a stream beyond it is refused.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub max_concurrent_streams: u32,
    /// Seconds a new connection has to send its whole opening (the HTTP/2 preface, or
    /// its first TLS record) before it is closed; with TLS, the rest of the handshake
    /// gets as long again (0: no limit).
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub connection_start_timeout: f64,
    /// Bytes the requests still arriving on one connection may hold (a unary request
    /// until its body ends, a streamed one until its message is whole); a request past
    /// it is RESOURCE_EXHAUSTED. At least --max-message-bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024 * 1024)]
    pub max_arriving_bytes_per_connection: usize,
    /// Bytes the requests still arriving on all connections may hold together; a
    /// request past it is RESOURCE_EXHAUSTED. At least the per-connection bound.
    #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024 * 1024)]
    pub max_arriving_bytes: usize,
    /// Seconds a unary request (from its headers) or one streamed message (from its
    /// first byte) may take to arrive whole; past it, DEADLINE_EXCEEDED.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub request_body_timeout: f64,

    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(clap::Args)]
pub struct GenerateArgs {
    #[arg(long, default_value_t = 50)]
    pub initiatives: usize,
    #[arg(long, default_value_t = 3)]
    pub resources: usize,
    #[arg(long, default_value_t = 3)]
    pub periods: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Share of initiatives that run in whole units (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    pub integral_share: f64,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct PlanArgs {
    /// Scenario JSON file (protobuf JSON of fluidity.v1.Scenario); `-` reads stdin.
    pub file: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Override the scenario's policy.solver (auto, lpsolve, clarabel, microlp; highs in
    /// the highs build).
    #[arg(long)]
    pub solver: Option<String>,
    /// Cap the solve time in seconds (the tighter of this and policy.timeLimitSeconds applies).
    #[arg(long, value_name = "SECONDS")]
    pub time_limit: Option<f64>,
    #[command(flatten)]
    pub remote: RemoteArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(clap::Args)]
pub struct ValidateArgs {
    /// Scenario JSON file; `-` reads stdin.
    pub file: PathBuf,
    #[command(flatten)]
    pub remote: RemoteArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// How to reach a server: `--server URL` and, for TLS and tokens, the rest.
#[derive(clap::Args, Clone)]
pub struct RemoteArgs {
    /// Use a Fluidity server (http://HOST:PORT, or https:// for TLS) instead of solving
    /// in-process. Several replicas: URLs separated by commas, or a name that resolves to
    /// several addresses (a headless Service); calls are spread over them.
    #[arg(long, value_name = "URL[,URL...]")]
    pub server: Option<String>,
    /// Times a call is made again, on another replica, when its server went away
    /// (UNAVAILABLE, or the connection cut mid-call). Only calls that are safe to repeat
    /// are retried: plan, validate, compare, sweep, reads, and saves with a key.
    #[arg(long, value_name = "N", requires = "server", default_value_t = fluidity::client::replicas::DEFAULT_RETRIES)]
    pub retries: u32,
    /// CA certificate (PEM) that signs the server's certificate (https).
    #[arg(long, value_name = "PEM", requires = "server")]
    pub ca: Option<PathBuf>,
    /// This client's certificate (PEM), for servers that require mutual TLS.
    #[arg(long, value_name = "PEM", requires = "key")]
    pub cert: Option<PathBuf>,
    /// This client's private key (PEM).
    #[arg(long, value_name = "PEM", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Bearer token for servers started with --auth-tokens.
    #[arg(
        long,
        env = "FLUIDITY_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
}

impl RemoteArgs {
    pub fn endpoint(&self) -> Option<fluidity::client::Endpoint> {
        self.server.as_ref().map(|url| fluidity::client::Endpoint {
            url: url.clone(),
            ca: self.ca.clone(),
            cert: self.cert.clone(),
            key: self.key.clone(),
            token: self.token.clone(),
            retries: Some(self.retries),
        })
    }
}

/// Where a result goes and in what form (plan, compare, sweep, explain).
#[derive(clap::Args)]
pub struct OutputArgs {
    /// Output format [default: from the --out file's extension (.json, .xlsx), else
    /// text]; `xlsx` (plan and compare) writes a workbook to --out.
    #[arg(long, value_enum)]
    pub format: Option<ResultFormat>,
    /// Write the output to FILE (atomically: a temporary file, then a rename).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// How a plan, comparison, sweep or explanation is written.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ResultFormat {
    /// Tables for a person.
    Text,
    /// The result as protobuf JSON, every field present.
    Json,
    /// An XLSX workbook for a spreadsheet (plan and compare; needs --out FILE.xlsx).
    Xlsx,
}

impl OutputArgs {
    /// The format to write, and a refusal, before any solving, of what cannot be
    /// written: a workbook without a file to go to, from a command without a workbook
    /// form, or under a name that says another format (`--out plan.xlsx` as text).
    pub fn check(&self, command: &str, workbook: bool) -> anyhow::Result<ResultFormat> {
        let named = self.out.as_deref().and_then(|path| {
            let extension = path.extension()?.to_string_lossy().to_lowercase();
            match extension.as_str() {
                "xlsx" => Some(ResultFormat::Xlsx),
                "json" => Some(ResultFormat::Json),
                _ => None,
            }
        });
        let format = match (self.format, named) {
            (Some(given), Some(named)) if given != named => {
                return Err(anyhow::anyhow!(
                    "--format {} does not match the name {}: name the file for its format",
                    given.name(),
                    self.out
                        .as_deref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default()
                ))
            }
            (Some(given), _) => given,
            (None, Some(named)) => named,
            (None, None) => ResultFormat::Text,
        };
        if format == ResultFormat::Xlsx {
            if !workbook {
                return Err(anyhow::anyhow!(
                    "a workbook is written by plan and compare; write {command} as text or json"
                ));
            }
            if self.out.is_none() {
                return Err(anyhow::anyhow!(
                    "--format xlsx writes a workbook: give --out FILE.xlsx"
                ));
            }
        }
        Ok(format)
    }
}

impl ResultFormat {
    fn name(self) -> &'static str {
        match self {
            ResultFormat::Text => "text",
            ResultFormat::Json => "json",
            ResultFormat::Xlsx => "xlsx",
        }
    }
}

#[derive(clap::Args)]
pub struct LimitArgs {
    /// Refuse scenarios whose program would have more columns than this.
    #[arg(long, value_name = "N", default_value_t = fluidity_solvers::Limits::default().max_variables)]
    pub max_variables: usize,
    /// Refuse scenarios whose program would have more rows than this.
    #[arg(long, value_name = "N", default_value_t = fluidity_solvers::Limits::default().max_constraints)]
    pub max_constraints: usize,
}

impl LimitArgs {
    pub fn limits(&self) -> fluidity_solvers::Limits {
        fluidity_solvers::Limits {
            max_variables: self.max_variables,
            max_constraints: self.max_constraints,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Tables for a person.
    Text,
    /// The result as protobuf JSON (a Plan, Comparison, Sweep or Explanation), every
    /// field present.
    Json,
}
