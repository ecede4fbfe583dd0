//! Command-line arguments.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args as ClapArgs, Parser, Subcommand};
use navikit::Error;

const AFTER_HELP: &str = "\
Checks: http.health, http.metrics.present, http.metrics.increasing, http.navi.smoke.
`startup` runs the plan's Wednesday test: the service must refuse to start in
production without AUDIT_ENCRYPTION_KEY, and start healthy with a fresh key.

Environment: STAGING_URL (as --base-url); HTTP_CHECK_AUTH, an Authorization header value.

Exit status: 0 all checks passed, 1 a check failed (warnings too with --strict), 2 usage error.

Examples:
  STAGING_URL=http://staging.example.com http-check | report-md validation-log
  http-check --interval 30s --only http.metrics.increasing
  http-check --history results/http-history.ndjson | tee -a results/http-history.ndjson
  http-check startup --cmd 'llm-sim --app-env production --listen 127.0.0.1:18799' --health-url http://127.0.0.1:18799/health";

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
    /// Base URL of the service.
    #[arg(long, env = "STAGING_URL", default_value = "http://127.0.0.1:8787")]
    pub base_url: String,
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
    #[command(flatten)]
    #[allow(missing_docs)]
    pub selection: navikit::cli::Selection,
}

/// StartupArgs are the startup test's flags.
#[derive(Debug, ClapArgs)]
pub struct StartupArgs {
    /// The service's start command (run with `sh -c`, APP_ENV=production).
    #[arg(long, env = "NAVI_START_CMD", default_value = "llm-sim --app-env production --listen 127.0.0.1:18799")]
    pub cmd: String,
    /// Health URL of the started service.
    #[arg(long, env = "NAVI_START_HEALTH_URL", default_value = "http://127.0.0.1:18799/health")]
    pub health_url: String,
    /// How long each start may take.
    #[arg(long, default_value = "20s")]
    pub timeout: String,
}

/// Parsed is what was asked for.
pub enum Parsed {
    /// Service checks.
    Service(Box<ServiceOptions>),
    /// Startup test.
    Startup(String, String, Duration),
}

/// ServiceOptions are checked service flags.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// Base URL.
    pub base_url: String,
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
    /// Which checks run, and whether warnings fail.
    pub selection: navikit::cli::Selection,
}

fn dur(flag: &str, v: &str) -> Result<Duration, Error> {
    navikit::duration::parse(v).map_err(|e| Error::input(format!("--{flag}: {e}")))
}

/// parse reads the process arguments.
pub fn parse() -> Result<Parsed, Error> {
    let cli = navikit::cli::parse_args::<Cli>()?;
    if let Some(Command::Startup(s)) = cli.command {
        return Ok(Parsed::Startup(s.cmd, s.health_url, dur("timeout", &s.timeout)?));
    }
    let a = cli.service;
    if !(a.base_url.starts_with("http://") || a.base_url.starts_with("https://")) {
        return Err(Error::input(format!(
            "--base-url `{}` must start with http:// or https://",
            navikit::redact::redact_url(&a.base_url)
        )));
    }
    a.selection.validate(crate::NAMES)?;
    Ok(Parsed::Service(Box::new(ServiceOptions {
        base_url: a.base_url.trim_end_matches('/').to_string(),
        series: a.require_series,
        interval: a.interval.as_deref().map(|v| dur("interval", v)).transpose()?,
        history: a.history,
        smoke_limit: dur("smoke-limit", &a.smoke_limit)?,
        timeout: dur("timeout", &a.timeout)?,
        selection: a.selection,
    })))
}
