//! Command-line arguments, checked into [`Options`] before connecting.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use navikit::Error;

use crate::conn::{Limits, Target};

const AFTER_HELP: &str = "\
Connection: --database-url, else DATABASE_URL (SQLAlchemy URLs such as
postgresql+psycopg2://user:pass@host:5432/db are accepted), else libpq's PG* variables.
sslmode from the URL, DB_SSLMODE or PGSSLMODE: disable, prefer, require (encrypt,
no verification), verify-ca, verify-full (with sslrootcert=FILE in the URL).
AUDIT_ENCRYPTION_KEY, when set, is used to verify and decrypt sampled audit rows.
pg-check is read-only: one connection, default_transaction_read_only, timeouts.

Without DATABASE_URL, --database-url or PGHOST every check is `skip` (not validated).
A database whose comment starts with `navi-launch stand-in` (the demo's) marks every
verdict as made on a stand-in.

Exit status: 0 every check passed, 1 a check failed, errored or could not look (skip;
--allow-skip to accept; warnings too with --strict), 2 usage or configuration error.

Examples:
  DATABASE_URL=postgresql://navi:***@db:5432/navi_staging?sslmode=require pg-check | report-md validation-log
  pg-check --history results/pg-history.ndjson | tee -a results/pg-history.ndjson
  pg-check --only pg.llm_metrics.rows > before.ndjson; (workload); pg-check --only pg.llm_metrics.rows --rows-baseline before.ndjson
  pg-check --only pg.audit.encrypted,pg.alembic.head --expected-head 0031_metrics_learning
  pg-check --sample 2s --sample-for 10m > pg-samples.ndjson &  (load); kill %1";

/// Args are the raw arguments.
#[derive(Debug, Parser)]
#[command(name = "pg-check", version, about = "The plan's PostgreSQL checks in one read-only pass", after_help = AFTER_HELP)]
pub struct Args {
    /// Database URL (default: DATABASE_URL, then PG* variables). Prefer the variable: flags show in `ps`.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// sslmode overriding the URL's.
    #[arg(long, env = "DB_SSLMODE")]
    pub sslmode: Option<String>,
    /// Connect timeout.
    #[arg(long, default_value = "5s")]
    pub connect_timeout: String,
    /// statement_timeout of every query.
    #[arg(long, default_value = "5s")]
    pub statement_timeout: String,
    /// Alembic head expected in alembic_version.
    #[arg(long, default_value = "0031_metrics_learning")]
    pub expected_head: String,
    /// File of expected table names, one per line (default: the two tables the
    /// plan names, llm_metrics and telemetry_events; list your schema's own).
    #[arg(long, value_name = "FILE")]
    pub tables_file: Option<PathBuf>,
    /// Fewest connections to the app's database expected (plan: 2).
    #[arg(long, default_value_t = 2)]
    pub connections_min: i64,
    /// Most connections to the app's database expected (plan: 5).
    #[arg(long, default_value_t = 5)]
    pub connections_max: i64,
    /// Active connections must stay below this (plan: 10).
    #[arg(long, default_value_t = 10)]
    pub active_max: i64,
    /// Sessions idle in a transaction longer than this are flagged.
    #[arg(long, default_value = "60s")]
    pub idle_in_transaction: String,
    /// Warn when connections use this share of max_connections, in percent.
    #[arg(long, default_value_t = 80.0)]
    pub headroom_warn_pct: f64,
    /// Records of an earlier pg-check run (before the workload): the row
    /// checks pass only when the workload added rows since.
    #[arg(long, value_name = "FILE")]
    pub rows_baseline: Option<PathBuf>,
    /// Audit table and payload column.
    #[arg(long, default_value = "audit_logs.payload", value_name = "TABLE.COLUMN")]
    pub audit_column: String,
    /// Audit rows to sample (newest first).
    #[arg(long, default_value_t = 50)]
    pub audit_sample: i64,
    /// Earlier pg-check records, for the connection trend.
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// Runs of steady growth that count as a leak.
    #[arg(long, default_value_t = 4)]
    pub trend_runs: usize,
    /// Instead of the checks, sample the server every EVERY while a load runs:
    /// connections by database and state, and lock waits (sample records).
    #[arg(long, value_name = "EVERY")]
    pub sample: Option<String>,
    /// With --sample: stop after this long at the latest (SIGTERM stops it sooner).
    #[arg(long, default_value = "1h", value_name = "DURATION", requires = "sample")]
    pub sample_for: String,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub selection: navikit::checks::Selection,
}

/// Options are the checked arguments.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where to connect; `None` when no database is configured (every check is `skip`).
    pub target: Option<Target>,
    /// Session limits.
    pub limits: Limits,
    /// Expected Alembic head.
    pub expected_head: String,
    /// Expected tables.
    pub tables: Vec<String>,
    /// Connection range for the app's database.
    pub connections: (i64, i64),
    /// Active connection limit.
    pub active_max: i64,
    /// Idle-in-transaction age limit.
    pub idle_in_transaction: Duration,
    /// Headroom warning level, percent.
    pub headroom_warn_pct: f64,
    /// Earlier records with the row counts to compare with.
    pub rows_baseline: Option<PathBuf>,
    /// Audit table.
    pub audit_table: String,
    /// Audit column.
    pub audit_column: String,
    /// Sample size.
    pub audit_sample: i64,
    /// The audit key, if set.
    pub audit_key: Option<String>,
    /// History file.
    pub history: Option<PathBuf>,
    /// Trend length.
    pub trend_runs: usize,
    /// Sampling instead of checking (`--sample`).
    pub sample: Option<navikit::sample::Plan>,
    /// Which checks run, and whether warnings fail.
    pub selection: navikit::checks::Selection,
}

const DEFAULT_TABLES: &str = include_str!("../tables.txt");

fn ident(s: &str, what: &str) -> Result<String, Error> {
    let ok = !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit());
    if ok { Ok(s.to_string()) } else { Err(Error::input(format!("{what} `{s}` is not a plain SQL identifier"))) }
}

/// parse reads the process arguments.
pub fn parse() -> Result<Options, Error> {
    check(navikit::cli::parse_args::<Args>()?)
}

/// check validates raw arguments.
pub fn check(a: Args) -> Result<Options, Error> {
    let dur = |flag: &str, v: &str| navikit::duration::parse(v).map_err(|e| Error::input(format!("--{flag}: {e}")));
    let target = match a.database_url.as_deref().filter(|u| !u.is_empty()) {
        Some(url) => Some(Target::from_url(url, a.sslmode.as_deref())?),
        None if std::env::var("PGHOST").is_ok_and(|h| !h.is_empty()) => {
            Some(Target::from_pg_env(a.sslmode.as_deref())?)
        }
        None => None,
    };
    let tables_text = match &a.tables_file {
        Some(p) => navikit::files::read_small(&p.display().to_string())?,
        None => DEFAULT_TABLES.to_string(),
    };
    let tables = tables_text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| ident(l, "table"))
        .collect::<Result<Vec<_>, _>>()?;
    if tables.is_empty() {
        return Err(Error::input("--tables-file names no table: an empty list would pass without looking"));
    }
    let (table, column) = a
        .audit_column
        .split_once('.')
        .ok_or_else(|| Error::input(format!("--audit-column `{}`: write TABLE.COLUMN", a.audit_column)))?;
    a.selection.validate(crate::checks::CHECKS)?;
    Ok(Options {
        target,
        limits: Limits {
            connect: dur("connect-timeout", &a.connect_timeout)?,
            statement: dur("statement-timeout", &a.statement_timeout)?,
            lock: Duration::from_secs(1),
        },
        expected_head: a.expected_head,
        tables,
        connections: (a.connections_min, a.connections_max),
        active_max: a.active_max,
        idle_in_transaction: dur("idle-in-transaction", &a.idle_in_transaction)?,
        headroom_warn_pct: a.headroom_warn_pct,
        rows_baseline: a.rows_baseline,
        audit_table: ident(table, "audit table")?,
        audit_column: ident(column, "audit column")?,
        audit_sample: a.audit_sample.max(1),
        audit_key: std::env::var("AUDIT_ENCRYPTION_KEY").ok().filter(|k| !k.trim().is_empty()),
        history: a.history,
        trend_runs: a.trend_runs.max(2),
        sample: a.sample.as_deref().map(|every| navikit::sample::Plan::parse(every, &a.sample_for)).transpose()?,
        selection: a.selection,
    })
}
