//! Command-line arguments, checked into [`Options`] before the server starts.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use navikit::Error;

use crate::faults::FaultRates;

const AFTER_HELP: &str = "\
Endpoints: POST /v1/messages (Anthropic), POST /v1/chat/completions, GET /v1/models,
POST /v1/responses (OpenAI), GET /health, POST /api/navi/chat, GET /metrics (NAVI).

Faults: --faults 429=5%,529=2%,500=1%,503=1%,cut=1%,stall=1%,malformed=1%,slow_first_token=2%
  or per request with the header `x-sim-fault: KIND` (KIND as above, or `none`).

Environment: APP_ENV (as --app-env), AUDIT_ENCRYPTION_KEY (Fernet key, required in
  production), SIM_API_KEY (the key clients must send with --require-key), DATABASE_URL.

Exit status: 0 after a clean shutdown (SIGINT/SIGTERM); 2 on a usage error or when
  production mode lacks a valid AUDIT_ENCRYPTION_KEY.

Examples:
  llm-sim &                                   # 127.0.0.1:8787, realistic timing
  llm-sim --speed 0 --listen 127.0.0.1:9000   # no delays: for load tests of the client
  llm-sim --seed 7 --faults 429=5%,cut=1% &
  llm-probe run --provider anthropic --base-url http://127.0.0.1:8787 --runs 100 | latency-stats";

/// Args are the raw command-line arguments.
#[derive(Debug, Parser)]
#[command(name = "llm-sim", version, about = "Local wire-compatible LLM APIs and a NAVI-shaped service, with fault injection", after_help = AFTER_HELP)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Seed for timing, lengths and faults (deterministic per request order).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Speed factor: delays are divided by it; 0 means no delays at all.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Fault rates, e.g. `429=5%,cut=1%`.
    #[arg(long, default_value = "", value_name = "SPEC")]
    pub faults: String,
    /// Require an API key (`x-api-key` or `Authorization: Bearer`); 401 otherwise.
    #[arg(long)]
    pub require_key: bool,
    /// Application environment; `production` requires AUDIT_ENCRYPTION_KEY.
    #[arg(long, env = "APP_ENV", default_value = "development")]
    pub app_env: String,
    /// Retry-after sent with 429/529/503, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub retry_after_ms: u64,
    /// Extra time to first token for the slow_first_token fault, in milliseconds.
    #[arg(long, default_value_t = 5000)]
    pub slow_first_token_ms: u64,
    /// Largest accepted request body in bytes (413 beyond).
    #[arg(long, default_value_t = 1 << 20)]
    pub max_body_bytes: usize,
    /// Break service endpoints on purpose: `health` answers 500, `metrics` sends
    /// text that is not valid Prometheus exposition (comma-separated).
    #[arg(long = "break", value_delimiter = ',', value_name = "ENDPOINT")]
    pub break_endpoints: Vec<String>,
    /// Write llm_metrics, telemetry_events and audit_logs rows for NAVI chats
    /// (the URL is read from DATABASE_URL when this flag is given without it).
    #[arg(long)]
    pub record_to_db: bool,
    /// Database connections the service keeps open while recording.
    #[arg(long, default_value_t = 2)]
    pub db_pool: usize,
    /// A load model: at most N generations at once, the rest wait in a queue
    /// (so latency rises with load as a real server's does; 0 = unbounded).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub capacity: usize,
    /// A fault for the load-and-watch demo: every streaming NAVI chat opens a
    /// database connection and never closes it (as the plan's weekend found),
    /// up to this many; needs --record-to-db.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub leak_db_connections: usize,
}

/// Options are the checked arguments.
#[derive(Debug, Clone)]
pub struct Options {
    /// Listen address.
    pub listen: SocketAddr,
    /// Seed.
    pub seed: u64,
    /// Speed factor (0 = no delays).
    pub speed: f64,
    /// Fault rates.
    pub faults: FaultRates,
    /// Whether a key is required.
    pub require_key: bool,
    /// The key to require, if one is configured.
    pub expected_key: Option<String>,
    /// True in production mode.
    pub production: bool,
    /// The audit key (validated) when set.
    pub audit_key: Option<String>,
    /// Retry-after for 429/529/503.
    pub retry_after: Duration,
    /// Extra TTFT of the slow_first_token fault.
    pub slow_first_token: Duration,
    /// Body limit.
    pub max_body_bytes: usize,
    /// Database URL when recording NAVI chats.
    pub database_url: Option<String>,
    /// Database connections while recording.
    pub db_pool: usize,
    /// Generations at once (0 = unbounded).
    pub capacity: usize,
    /// Connections leaked by streaming NAVI chats, at most.
    pub leak_db_connections: usize,
    /// `/health` answers 500.
    pub break_health: bool,
    /// `/metrics` answers malformed text.
    pub break_metrics: bool,
}

/// parse reads the process arguments and environment into checked options.
pub fn parse() -> Result<Options, Error> {
    check(navikit::cli::parse_args::<Args>()?)
}

/// MAX_LEAKED bounds the demo leak well below PostgreSQL's default 100 connections.
const MAX_LEAKED: usize = 50;

/// check validates raw arguments.
pub fn check(a: Args) -> Result<Options, Error> {
    if !(a.speed >= 0.0 && a.speed.is_finite()) {
        return Err(Error::input(format!("--speed must be a finite number ≥ 0, got {}", a.speed)));
    }
    let faults = FaultRates::parse(&a.faults).map_err(|e| Error::input(format!("--faults: {e}")))?;
    let audit_key = std::env::var("AUDIT_ENCRYPTION_KEY").ok().filter(|k| !k.trim().is_empty());
    let database_url = if a.record_to_db {
        Some(std::env::var("DATABASE_URL").map_err(|_| Error::input("--record-to-db needs DATABASE_URL"))?)
    } else {
        None
    };
    for e in &a.break_endpoints {
        if e != "health" && e != "metrics" {
            return Err(Error::input(format!("--break: unknown endpoint `{e}` (health, metrics)")));
        }
    }
    if a.leak_db_connections > 0 && !a.record_to_db {
        return Err(Error::input("--leak-db-connections needs --record-to-db (it leaks connections to that database)"));
    }
    if a.leak_db_connections > MAX_LEAKED {
        return Err(Error::input(format!("--leak-db-connections is at most {MAX_LEAKED}")));
    }
    Ok(Options {
        db_pool: a.db_pool,
        capacity: a.capacity,
        leak_db_connections: a.leak_db_connections,
        break_health: a.break_endpoints.iter().any(|e| e == "health"),
        break_metrics: a.break_endpoints.iter().any(|e| e == "metrics"),
        listen: a.listen,
        seed: a.seed,
        speed: a.speed,
        faults,
        require_key: a.require_key,
        expected_key: std::env::var("SIM_API_KEY").ok().filter(|k| !k.is_empty()),
        production: a.app_env.eq_ignore_ascii_case("production"),
        audit_key,
        retry_after: Duration::from_millis(a.retry_after_ms),
        slow_first_token: Duration::from_millis(a.slow_first_token_ms),
        max_body_bytes: a.max_body_bytes,
        database_url,
    })
}
