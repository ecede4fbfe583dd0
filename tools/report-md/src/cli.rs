//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args as ClapArgs, Parser, Subcommand};
use navikit::Error;

const AFTER_HELP: &str = "\
Input: records (NDJSON) from FILEs, or standard input when FILE is `-` or absent.

Exit status: 0 written (benchmarks: every target met; checklist: every box ticked on real
evidence; validation-log: every check passed; deployment-log: the rollout completed
(logged, or logged before); alert-rules, lessons: always), 1 a target missed / a box open /
a check failed / a rollout incomplete or no rollout verdict to log, errored or could not look (skip; --allow-skip to accept) / the run had no
verdict at all, 2 usage or input error.

Examples:
  llm-probe run --runs 100 | latency-stats --histograms > s.ndjson; latency-stats --by scenario --histograms results.ndjson >> s.ndjson
  report-md benchmarks s.ndjson --output docs/PERFORMANCE_BENCHMARKS.md --baseline last-week.ndjson
  pg-check | report-md validation-log --log docs/staging_validation_log.md
  cat results/*.ndjson | report-md checklist --output docs/week1_checklist.md
  k8s-check | report-md prometheus > /var/lib/node_exporter/navi_checks.prom
  report-md alert-rules --targets config/targets.txt -o deploy/prometheus/navi-rules.yaml
  cat results/*.ndjson | report-md lessons -o docs/week1_lessons_learned.md
  { k8s-check; pg-check; http-check; } | report-md deployment-log --log docs/staging_deployment_log.md";

/// Cli is the top level.
#[derive(Debug, Parser)]
#[command(name = "report-md", version, about = "Write the plan's documents from records", after_help = AFTER_HELP)]
pub struct Cli {
    /// What to write.
    #[command(subcommand)]
    pub command: Command,
}

/// Command is a document kind.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// PERFORMANCE_BENCHMARKS.md from stats records (overall and per scenario).
    Benchmarks(BenchArgs),
    /// Append a run's check records to the staging validation log.
    ValidationLog(LogArgs),
    /// The week-1 success checklist, ticked from evidence.
    Checklist(ChecklistArgs),
    /// Prometheus textfile gauges for check records (node_exporter).
    Prometheus(OutArgs),
    /// Prometheus recording and alerting rules from the targets file.
    AlertRules(RulesArgs),
    /// week1_lessons_learned.md from the week's record files.
    Lessons(OutArgs),
    /// Append the deployment Thursday's records describe to the staging deployment log.
    DeploymentLog(DeployArgs),
}

/// ChecklistArgs are `checklist`'s flags.
#[derive(Debug, ClapArgs)]
pub struct ChecklistArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub out: OutArgs,
    /// Where the week's documents are (the Documentation boxes read them).
    #[arg(long, default_value = "docs", value_name = "DIR")]
    pub docs: PathBuf,
}

/// DeployArgs are `deployment-log`'s flags.
#[derive(Debug, ClapArgs)]
pub struct DeployArgs {
    /// Record files (`-` = stdin; default stdin): k8s-check's, with pg-check's and http-check's.
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,
    /// The log to append to (created with its title when missing).
    #[arg(long, default_value = "docs/staging_deployment_log.md", value_name = "FILE")]
    pub log: PathBuf,
}

/// RulesArgs are `alert-rules`' flags.
#[derive(Debug, ClapArgs)]
pub struct RulesArgs {
    /// The week's targets file (one threshold per line, `escalate: EXPR`).
    #[arg(long, default_value = "config/targets.txt", value_name = "FILE")]
    pub targets: String,
    /// Label matchers selecting the service's series (e.g. `job="navi-backend"`), added to every service query.
    #[arg(long, default_value = "", value_name = "MATCHERS")]
    pub service_selector: String,
    /// Label matchers selecting the chat endpoint's series in the service's metrics.
    #[arg(long, default_value = "path=\"/api/navi/chat\"", value_name = "MATCHERS")]
    pub chat_selector: String,
    /// Divide every window and `for` by N: the same rules N times faster, for a
    /// demo or a test against a real Prometheus (never for production).
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=3600))]
    pub compress: u32,
    /// Prefix of every alert's runbook_url (a directory or a URL of docs/runbooks).
    #[arg(long, default_value = "docs/runbooks", value_name = "URL")]
    pub runbook_base: String,
    /// Write here instead of stdout (replaced atomically).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// OutArgs are inputs and an output file.
#[derive(Debug, ClapArgs)]
pub struct OutArgs {
    /// Record files (`-` = stdin; default stdin).
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,
    /// Write here instead of stdout (replaced atomically).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// BenchArgs are `benchmarks`' flags.
#[derive(Debug, ClapArgs)]
pub struct BenchArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub out: OutArgs,
    /// Stats records of an earlier run, to compare against.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<String>,
    /// Concurrency or rate, for the run metadata.
    #[arg(long, default_value = "")]
    pub load: String,
}

/// LogArgs are `validation-log`'s flags.
#[derive(Debug, ClapArgs)]
pub struct LogArgs {
    /// Record files (`-` = stdin; default stdin).
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,
    /// The log to append to (created with its title when missing).
    #[arg(long, default_value = "docs/staging_validation_log.md", value_name = "FILE")]
    pub log: PathBuf,
    /// The time to log the run at (RFC 3339; default: the earliest record's
    /// `ts`, so a replayed or late-appended run lands where it happened).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Checks that could not look (`skip`) do not fail the run (they are
    /// still logged as not validated).
    #[arg(long)]
    pub allow_skip: bool,
}

/// parse reads the process arguments.
pub fn parse() -> Result<Command, Error> {
    Ok(navikit::cli::parse_args::<Cli>()?.command)
}
