//! llm-probe's command line, as clap reads it: flags, their defaults and
//! help, durations typed as they are read. What the flags mean together
//! (with the environment and the config file) is resolved in [`crate::options`].

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};
use navikit::duration::parse as duration;

const AFTER_HELP: &str = "\
Exit status: 0 done (failed requests are data in the records; judge them with
latency-stats thresholds), 1 a preflight check failed, 2 usage or configuration
error, 130 interrupted (finished records are flushed).

Examples:
  llm-probe preflight --config tests/e2e/real_llm_config.yaml
  llm-probe run --config tests/e2e/real_llm_config.yaml --base-url http://127.0.0.1:8787 \\
    | latency-stats --threshold 'p95<5s'
  llm-probe run --provider openai --model gpt-4o --runs 200 --concurrency 8 | tee run.ndjson | latency-stats --by scenario --format table
  llm-probe run --rate 20 --arrival poisson --duration 5m --max-in-flight 256 | latency-stats --histograms > part.ndjson
  JOB_COMPLETION_INDEX=3 llm-probe run --shard 3/8 --rate 400 --duration 10m | latency-stats --histograms";

/// Cli is the top level.
#[derive(Debug, Parser)]
#[command(name = "llm-probe", version, about = "Benchmark LLM APIs: streaming latency, TTFT, tokens, cost, errors, open-loop load", after_help = AFTER_HELP)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Command is a subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send requests and write one probe record per request (NDJSON on stdout).
    Run(RunArgs),
    /// Monday's checklist: keys present, config and scenarios valid, target reachable (check records).
    Preflight(PreflightArgs),
    /// Find the highest open-loop rate at which the thresholds hold: an
    /// exponential ramp to the first failing step, then bisection. Writes every
    /// step's probe records and stats, then an `llm.capacity` check record.
    Search(SearchArgs),
}

/// Arrival is the open-loop arrival process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Arrival {
    /// Evenly spaced sends.
    Constant,
    /// Exponential gaps (a Poisson process).
    Poisson,
}

/// Common are the flags both subcommands take.
#[derive(Debug, ClapArgs)]
pub struct Common {
    /// YAML config (the plan's real_llm_config.yaml and optional keys).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// anthropic | openai | openai-responses | navi (vllm, llama.cpp, litellm, ollama: openai).
    #[arg(long)]
    pub provider: Option<String>,
    /// Model name as the API expects it.
    #[arg(long)]
    pub model: Option<String>,
    /// Base URL (else ANTHROPIC_BASE_URL / OPENAI_BASE_URL / STAGING_URL, the config, the public API).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Environment variable holding the API key (default: the provider's, e.g. ANTHROPIC_API_KEY).
    #[arg(long, value_name = "NAME")]
    pub api_key_env: Option<String>,
    /// Directory of scenario YAML files (default: the ten built in).
    #[arg(long, value_name = "DIR")]
    pub scenarios: Option<PathBuf>,
    /// Run only these scenarios (repeatable, comma-separated).
    #[arg(long = "scenario", value_delimiter = ',', value_name = "NAME")]
    pub scenario_names: Vec<String>,
    /// Price table (YAML: model → input/output/cache_write/cache_read USD per Mtok).
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
    /// Whole-request timeout (default: timeout_seconds from the config, else 30s).
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub timeout: Option<Duration>,
    /// Connect timeout.
    #[arg(long, default_value = "5s", value_name = "DURATION", value_parser = duration)]
    pub connect_timeout: Duration,
    /// Time allowed to the first answer token (default: the whole-request timeout).
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub first_token_timeout: Option<Duration>,
    /// Longest silence within a stream.
    #[arg(long, default_value = "15s", value_name = "DURATION", value_parser = duration)]
    pub stall_timeout: Duration,
    /// Extra request header `NAME: VALUE` (repeatable), e.g. for a gateway or `x-sim-fault: cut`.
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
}

/// RunArgs are `run`'s flags.
#[derive(Debug, ClapArgs)]
pub struct RunArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: Common,
    /// Requests to make (conversations, for multi-turn scenarios); default test_runs, else 100.
    #[arg(long)]
    pub runs: Option<u64>,
    /// Run for this long instead of a count.
    #[arg(long, value_name = "DURATION", conflicts_with = "runs", value_parser = duration)]
    pub duration: Option<Duration>,
    /// Warm-up requests first, marked `warmup` (left out by latency-stats).
    #[arg(long)]
    pub warmup: Option<u64>,
    /// Closed loop: requests in flight at once.
    #[arg(long, short = 'c')]
    pub concurrency: Option<u64>,
    /// Open loop: requests started per second (latency counted from the intended send).
    #[arg(long)]
    pub rate: Option<f64>,
    /// Open-loop arrivals.
    #[arg(long, value_enum, default_value_t = Arrival::Constant)]
    pub arrival: Arrival,
    /// Open loop: cap on requests in flight (the rest wait, and their wait counts).
    #[arg(long, default_value_t = 256)]
    pub max_in_flight: u64,
    /// Retries after the first attempt, for 429/529/503 and resets before any byte.
    #[arg(long)]
    pub retries: Option<u64>,
    /// Give up retrying once this much time has passed.
    #[arg(long, default_value = "60s", value_name = "DURATION", value_parser = duration)]
    pub max_retry_time: Duration,
    /// Ask for a JSON answer instead of a stream.
    #[arg(long)]
    pub no_stream: bool,
    /// Run shard I of N (this process takes every N-th request, and 1/N of the rate).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Run id in the records (default: time-based).
    #[arg(long)]
    pub run_id: Option<String>,
    /// Seed for Poisson arrivals and retry jitter.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// After Ctrl-C, how long in-flight requests may finish.
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = duration)]
    pub grace: Duration,
    /// Start at this time (RFC 3339, at most 1 h ahead), so the pods of a
    /// distributed run load the target together.
    #[arg(long, value_name = "TIME")]
    pub start_at: Option<String>,
}

/// PreflightArgs are `preflight`'s flags.
#[derive(Debug, ClapArgs)]
pub struct PreflightArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: Common,
    /// Also make one minimal live call.
    #[arg(long)]
    pub live: bool,
    /// Also require these key variables (e.g. OPENAI_API_KEY), comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "NAME")]
    pub require_env: Vec<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub selection: navikit::checks::Selection,
}

/// SearchArgs are `search`'s flags.
#[derive(Debug, ClapArgs)]
pub struct SearchArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: Common,
    /// A threshold every step must meet, e.g. `p95<5s` (repeatable; latency-stats syntax).
    #[arg(long = "threshold", short = 't', value_name = "EXPR")]
    pub thresholds: Vec<String>,
    /// A targets file (one threshold per line; `escalate:` lines are reported, not searched on).
    #[arg(long, value_name = "FILE")]
    pub targets: Option<String>,
    /// First rate tried, requests per second.
    #[arg(long, default_value_t = 1.0, value_name = "RPS")]
    pub start_rate: f64,
    /// Highest rate tried, requests per second.
    #[arg(long, default_value_t = 1000.0, value_name = "RPS")]
    pub max_rate: f64,
    /// Stop when the lowest failing rate is within this of the highest passing one.
    #[arg(long, default_value = "10%", value_name = "PCT")]
    pub precision: String,
    /// Each step lasts at least this long, so a queue has time to build.
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = duration)]
    pub step_time: Duration,
    /// Each step makes at least this many requests (more when a quantile needs them).
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub min_requests: u64,
    /// Bound on the whole search's time.
    #[arg(long, default_value = "10m", value_name = "DURATION", value_parser = duration)]
    pub max_time: Duration,
    /// Bound on the whole search's requests.
    #[arg(long, default_value_t = 20_000, value_name = "N")]
    pub max_requests: u64,
    /// Open-loop arrivals.
    #[arg(long, value_enum, default_value_t = Arrival::Constant)]
    pub arrival: Arrival,
    /// Cap on requests in flight (the rest wait, and their wait counts).
    #[arg(long, default_value_t = 256)]
    pub max_in_flight: u64,
    /// Ask for a JSON answer instead of a stream.
    #[arg(long)]
    pub no_stream: bool,
    /// Run id in the records (default: time-based).
    #[arg(long)]
    pub run_id: Option<String>,
    /// Seed for Poisson arrivals.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}
