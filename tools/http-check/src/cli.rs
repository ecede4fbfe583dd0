//! Command-line arguments.

use navikit::duration::flag as dur;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args as ClapArgs, Parser, Subcommand};
use navikit::Error;

const AFTER_HELP: &str = "\
Checks: http.health, http.metrics.present, http.metrics.increasing, http.navi.smoke.
`startup` runs the plan's Wednesday test: the service must refuse to start in
production without AUDIT_ENCRYPTION_KEY, and start healthy with a fresh key.

Environment: STAGING_URL (as --base-url; through `kubectl port-forward` that is
http://localhost:8787); HTTP_CHECK_AUTH, an Authorization header value. Without a base
URL every service check is `skip`; without NAVI_START_CMD the start-up test is `skip`.
A server that sends `x-navi-stand-in` (llm-sim) marks the verdicts as a stand-in's.

Exit status: 0 all checks passed, 1 a check failed, errored or could not look (skip;
--allow-skip to accept; warnings too with --strict), 2 usage error.

Examples:
  STAGING_URL=http://staging.example.com http-check | report-md validation-log
  http-check --interval 30s --only http.metrics.increasing
  http-check --sample 2s --sample-for 10m > http-samples.ndjson &  (load); kill %1
  http-check --history results/http-history.ndjson | tee -a results/http-history.ndjson
  http-check startup --cmd 'cd backend && python -m uvicorn backend.api.main:app --port 18799' --health-url http://127.0.0.1:18799/health";

/// Cli is the top level.
#[derive(Debug, Parser)]
#[command(name = "http-check", version, about = "The service's own checks: health, metrics, NAVI smoke, audit-key startup", after_help = AFTER_HELP, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// `startup`, or nothing for the service checks.
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub service: ServiceArgs,
}

/// Command is a subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The audit-key startup test (check records startup.audit_key.*).
    Startup(StartupArgs),
}

/// ServiceArgs are the service checks' flags.
#[derive(Debug, ClapArgs)]
pub struct ServiceArgs {
    /// Base URL of the service (no default: without it every check is `skip`).
    #[arg(long, env = "STAGING_URL")]
    pub base_url: Option<String>,
    /// Series that /metrics must expose (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "aep_llm_calls_total,http_requests_total")]
    pub require_series: Vec<String>,
    /// Scrape twice this far apart to see counters grow.
    #[arg(long, value_name = "DURATION")]
    pub interval: Option<String>,
    /// Earlier http-check records, to compare counters with the last run.
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// The smoke request must answer within this.
    #[arg(long, default_value = "10s")]
    pub smoke_limit: String,
    /// Request timeout.
    #[arg(long, default_value = "15s")]
    pub timeout: String,
    /// Instead of the checks, scrape /metrics every EVERY while a load runs and
    /// write the --require-series samples as sample records.
    #[arg(long, value_name = "EVERY")]
    pub sample: Option<String>,
    /// With --sample: stop after this long at the latest (SIGTERM stops it sooner).
    #[arg(long, default_value = "1h", value_name = "DURATION", requires = "sample")]
    pub sample_for: String,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub selection: navikit::checks::Selection,
}

/// StartupArgs are the startup test's flags.
#[derive(Debug, ClapArgs)]
pub struct StartupArgs {
    /// The real service's start command, a shell line (run with `sh -c` in
    /// its own process group, APP_ENV=production). Without it: `skip`.
    #[arg(long, env = "NAVI_START_CMD")]
    pub cmd: Option<String>,
    /// Health URL of the started service.
    #[arg(long, env = "NAVI_START_HEALTH_URL")]
    pub health_url: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub selection: navikit::checks::Selection,
    /// How long each start may take.
    #[arg(long, default_value = "20s")]
    pub timeout: String,
}

/// Parsed is what was asked for.
pub enum Parsed {
    /// Service checks.
    Service(Box<ServiceOptions>),
    /// Startup test: command, health URL, bound per start, selection.
    Startup(Option<String>, Option<String>, Duration, navikit::checks::Selection),
}

/// ServiceOptions are checked service flags.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// Base URL; `None` when not configured (every check is `skip`).
    pub base_url: Option<String>,
    /// Required series.
    pub series: Vec<String>,
    /// Second scrape after this.
    pub interval: Option<Duration>,
    /// History file.
    pub history: Option<PathBuf>,
    /// Smoke limit.
    pub smoke_limit: Duration,
    /// Timeout.
    pub timeout: Duration,
    /// Sampling instead of checking (`--sample`).
    pub sample: Option<navikit::sample::Plan>,
    /// Which checks run, and whether warnings fail.
    pub selection: navikit::checks::Selection,
}

/// parse reads the process arguments.
pub fn parse() -> Result<Parsed, Error> {
    let cli = navikit::cli::parse_args::<Cli>()?;
    if let Some(Command::Startup(s)) = cli.command {
        let defs = crate::startup::NAMES.map(|name| navikit::checks::Def { name, meaning: crate::startup::MEANING });
        s.selection.validate(&defs)?;
        return Ok(Parsed::Startup(s.cmd, s.health_url, dur("timeout", &s.timeout)?, s.selection));
    }
    let a = cli.service;
    let base_url = a.base_url.filter(|u| !u.trim().is_empty());
    if let Some(u) = &base_url
        && !(u.starts_with("http://") || u.starts_with("https://"))
    {
        return Err(Error::input(format!(
            "--base-url `{}` must start with http:// or https://",
            navikit::redact::redact_url(u)
        )));
    }
    a.selection.validate(crate::CHECKS)?;
    Ok(Parsed::Service(Box::new(ServiceOptions {
        base_url: base_url.map(|u| u.trim_end_matches('/').to_string()),
        series: a.require_series,
        interval: a.interval.as_deref().map(|v| dur("interval", v)).transpose()?,
        history: a.history,
        smoke_limit: dur("smoke-limit", &a.smoke_limit)?,
        timeout: dur("timeout", &a.timeout)?,
        sample: a.sample.as_deref().map(|every| navikit::sample::Plan::parse(every, &a.sample_for)).transpose()?,
        selection: a.selection,
    })))
}
