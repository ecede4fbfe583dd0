//! Command-line arguments and configuration, resolved into [`RunOptions`]:
//! flags first, then the environment (as the official SDKs read it), then
//! the config file, then defaults.

pub use navikit::duration::flag as dur;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};
use navikit::Error;

use crate::config::{self, FileConfig};
use crate::exchange::Timeouts;
use crate::prices::Prices;
use crate::provider::Provider;
use crate::scenario::{self, Scenario};

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
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Connect timeout.
    #[arg(long, default_value = "5s", value_name = "DURATION")]
    pub connect_timeout: String,
    /// Time allowed to the first answer token (default: the whole-request timeout).
    #[arg(long, value_name = "DURATION")]
    pub first_token_timeout: Option<String>,
    /// Longest silence within a stream.
    #[arg(long, default_value = "15s", value_name = "DURATION")]
    pub stall_timeout: String,
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
    #[arg(long, value_name = "DURATION", conflicts_with = "runs")]
    pub duration: Option<String>,
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
    #[arg(long, default_value = "60s", value_name = "DURATION")]
    pub max_retry_time: String,
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
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub grace: String,
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
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub step_time: String,
    /// Each step makes at least this many requests (more when a quantile needs them).
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub min_requests: u64,
    /// Bound on the whole search's time.
    #[arg(long, default_value = "10m", value_name = "DURATION")]
    pub max_time: String,
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

/// Target is the resolved endpoint of a run.
#[derive(Debug, Clone)]
pub struct Target {
    /// Protocol.
    pub provider: Provider,
    /// Model.
    pub model: String,
    /// Base URL.
    pub base_url: String,
    /// Name of the key variable.
    pub key_env: String,
    /// The key, if set (never printed).
    pub key: Option<String>,
    /// Timeouts.
    pub timeouts: Timeouts,
    /// Scenarios to run.
    pub scenarios: Vec<Scenario>,
    /// Prices.
    pub prices: Prices,
    /// Where the config came from, for messages.
    pub config_name: Option<String>,
    /// The file config (for values only run uses).
    pub file: FileConfig,
    /// Extra request headers.
    pub headers: Vec<(String, String)>,
}

impl Target {
    /// Target::secrets is every value never to be printed: the API key and
    /// every `-H` value (a server that echoes request headers must not get
    /// them into records). Values under 4 characters are too short to tell
    /// from ordinary text and are left alone.
    pub fn secrets(&self) -> Vec<&str> {
        // Each value whole and word by word: a server may echo only the
        // token of `Bearer <token>`.
        self.key
            .iter()
            .map(String::as_str)
            .chain(self.headers.iter().flat_map(|(_, v)| std::iter::once(v.as_str()).chain(v.split_whitespace())))
            .filter(|v| v.len() >= 4)
            .collect()
    }

    /// Target::request is one attempt's request to this target.
    pub fn request<'a>(
        &'a self,
        url: &'a str,
        body: &'a serde_json::Value,
        stream: bool,
    ) -> crate::exchange::Request<'a> {
        crate::exchange::Request {
            provider: self.provider,
            url,
            key: self.key.as_deref(),
            headers: &self.headers,
            body,
            stream,
        }
    }
}

/// Load is how a run is driven.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Load {
    /// Closed loop with this many workers.
    Closed(u64),
    /// Open loop at this rate with this arrival process and in-flight cap.
    Open(f64, Arrival, u64),
}

/// RunOptions are everything `run` needs.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Target.
    pub target: Target,
    /// Count of requests, or None with a duration.
    pub runs: Option<u64>,
    /// Duration instead of a count.
    pub duration: Option<Duration>,
    /// Warm-up requests.
    pub warmup: u64,
    /// Closed or open loop.
    pub load: Load,
    /// Retries after the first attempt.
    pub retries: u64,
    /// Retry time budget.
    pub max_retry_time: Duration,
    /// Streamed answers.
    pub stream: bool,
    /// Shard index and count.
    pub shard: (u64, u64),
    /// Run id.
    pub run_id: String,
    /// Seed.
    pub seed: u64,
    /// Grace period after Ctrl-C.
    pub grace: Duration,
    /// When to start (`--start-at`).
    pub start_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Parsed is what the command line asked for.
pub enum Parsed {
    /// `run`.
    Run(Box<RunOptions>),
    /// `preflight` with live, extra keys, and the selection and verdict policy.
    Preflight(Box<Target>, bool, Vec<String>, navikit::checks::Selection),
    /// `preflight --list`.
    ListPreflight,
    /// `search`.
    Search(Box<crate::search::SearchOptions>),
}

/// parse reads the process arguments.
pub fn parse() -> Result<Parsed, Error> {
    match navikit::cli::parse_args::<Cli>()?.command {
        Command::Run(a) => Ok(Parsed::Run(Box::new(run_options(a)?))),
        Command::Search(a) => Ok(Parsed::Search(Box::new(crate::search::options(a)?))),
        Command::Preflight(a) => {
            a.selection.validate(crate::preflight::CHECKS)?;
            if a.selection.list {
                return Ok(Parsed::ListPreflight);
            }
            Ok(Parsed::Preflight(Box::new(target(&a.common)?), a.live, a.require_env, a.selection))
        }
    }
}

/// target resolves the endpoint from flags, environment and config.
pub fn target(c: &Common) -> Result<Target, Error> {
    let file = match &c.config {
        Some(p) => config::load(p)?,
        None => FileConfig::default(),
    };
    let provider_name = c.provider.clone().or(file.provider.clone()).unwrap_or_else(|| "anthropic".into());
    let provider = Provider::parse(&provider_name).map_err(Error::input)?;
    let model = c.model.clone().or(file.model.clone()).unwrap_or_else(|| match provider {
        Provider::Anthropic | Provider::Navi => "claude-sonnet-4".into(),
        _ => "gpt-4o".into(),
    });
    let base_url = c
        .base_url
        .clone()
        .or_else(|| std::env::var(provider.base_env()).ok().filter(|v| !v.is_empty()))
        .or(file.base_url.clone())
        .unwrap_or_else(|| provider.default_base().to_string());
    if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
        return Err(Error::input(format!(
            "base URL `{}` must start with http:// or https://",
            navikit::redact::redact_url(&base_url)
        )));
    }
    if has_userinfo(&base_url) {
        return Err(Error::input(format!(
            "base URL `{}` carries credentials: put the key in the API key variable or a --header, never in the URL (it would be printed by proxies and logs)",
            navikit::redact::redact_url(&base_url)
        )));
    }
    let key_env = c.api_key_env.clone().or(file.api_key_env.clone()).unwrap_or_else(|| provider.key_env().to_string());
    if !plausible_env_name(&key_env) {
        // Never echo it: a key pasted here by mistake must not reach a log.
        return Err(Error::input(
            "--api-key-env (or api_key_env) takes the NAME of a variable, like ANTHROPIC_API_KEY, not a key",
        ));
    }
    let key = std::env::var(&key_env).ok().filter(|k| !k.trim().is_empty());
    let total = match (&c.timeout, file.timeout_seconds) {
        (Some(t), _) => dur("timeout", t)?,
        (None, Some(s)) => {
            Duration::try_from_secs_f64(s).map_err(|_| Error::input("timeout_seconds is out of range"))?
        }
        (None, None) => Duration::from_secs(30),
    };
    let timeouts = Timeouts {
        connect: dur("connect-timeout", &c.connect_timeout)?,
        first_token: c
            .first_token_timeout
            .as_deref()
            .map(|v| dur("first-token-timeout", v))
            .transpose()?
            .unwrap_or(total),
        stall: dur("stall-timeout", &c.stall_timeout)?,
        total,
    };
    let names = if c.scenario_names.is_empty() { file.scenarios.clone() } else { c.scenario_names.clone() };
    let scenarios = scenario::select(scenario::load(c.scenarios.as_deref())?, &names)?;
    let prices = match c.prices.clone().or(file.prices.clone().map(PathBuf::from)) {
        Some(p) => Prices::load(&p)?,
        None => Prices::built_in(),
    };
    let headers = c
        .headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            h.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .filter(|(k, _)| !k.is_empty())
                // Never echo the argument: it is likely a credential.
                .ok_or_else(|| Error::input(format!("--header #{}: write NAME: VALUE", i + 1)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Target {
        headers,
        provider,
        model,
        base_url,
        key_env,
        key,
        timeouts,
        scenarios,
        prices,
        config_name: c.config.as_ref().map(|p| p.display().to_string()),
        file,
    })
}

/// MAX_START_AHEAD bounds `--start-at`: a start days away is a typo.
const MAX_START_AHEAD: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// start_at reads `--start-at`: RFC 3339, at most an hour ahead.
fn start_at(v: &str) -> Result<chrono::DateTime<chrono::Utc>, Error> {
    let t = chrono::DateTime::parse_from_rfc3339(v.trim())
        .map_err(|e| Error::input(format!("--start-at `{v}`: not an RFC 3339 time ({e})")))?
        .with_timezone(&chrono::Utc);
    if t - chrono::Utc::now() > MAX_START_AHEAD {
        return Err(Error::input(format!("--start-at `{v}` is more than an hour ahead")));
    }
    Ok(t)
}

/// has_userinfo says whether a URL carries `user[:password]@` before its host.
fn has_userinfo(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?', '#']).next().unwrap_or_default().contains('@')
}

/// plausible_env_name says whether a text can be an environment variable's name.
pub fn plausible_env_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// MAX_WORKERS and the bounds below: sane limits so a typo cannot spin up 40,000 threads or
/// schedule one request per 10^300 seconds.
pub const MAX_WORKERS: u64 = 10_000;
/// RATE_RANGE bounds an open-loop rate, requests per second.
pub const RATE_RANGE: (f64, f64) = (0.001, 100_000.0);
const MAX_RETRIES: u64 = 100;

fn run_options(a: RunArgs) -> Result<RunOptions, Error> {
    let target = target(&a.common)?;
    let f = &target.file;
    // Without a key the run sends none: the target decides whether it needs
    // one (llm-sim does not; a provider answers 401, recorded as `auth`). The
    // address cannot tell, and `preflight` fails a missing key.
    let duration = a.duration.as_deref().map(|d| dur("duration", d)).transpose()?;
    let runs = if duration.is_some() { None } else { Some(a.runs.or(f.runs).unwrap_or(100)) };
    let rate = a.rate.or(f.rate);
    let workers = |flag: &str, n: u64| {
        if (1..=MAX_WORKERS).contains(&n) {
            Ok(n)
        } else {
            Err(Error::input(format!("--{flag} must be between 1 and {MAX_WORKERS}, got {n}")))
        }
    };
    let load = match rate {
        Some(r) if r.is_finite() && (RATE_RANGE.0..=RATE_RANGE.1).contains(&r) => {
            Load::Open(r, a.arrival, workers("max-in-flight", a.max_in_flight)?)
        }
        Some(r) => {
            return Err(Error::input(format!(
                "--rate must be between {} and {} requests per second, got {r}",
                RATE_RANGE.0, RATE_RANGE.1
            )));
        }
        None => Load::Closed(workers("concurrency", a.concurrency.or(f.concurrency).unwrap_or(1))?),
    };
    let retries = a.retries.or(f.retries).unwrap_or(3);
    if retries > MAX_RETRIES {
        return Err(Error::input(format!("--retries must be at most {MAX_RETRIES}, got {retries}")));
    }
    let shard = match &a.shard {
        None => (0, 1),
        Some(s) => {
            let (i, n) =
                s.split_once('/').ok_or_else(|| Error::input(format!("--shard `{s}`: write I/N, e.g. 0/4")))?;
            let (i, n): (u64, u64) = (
                i.trim().parse().map_err(|_| Error::input(format!("--shard `{s}`: I is not a number")))?,
                n.trim().parse().map_err(|_| Error::input(format!("--shard `{s}`: N is not a number")))?,
            );
            if n == 0 || i >= n || n > MAX_WORKERS {
                return Err(Error::input(format!("--shard `{s}`: need 0 <= I < N <= {MAX_WORKERS}")));
            }
            (i, n)
        }
    };
    let run_id = a.run_id.clone().unwrap_or_else(|| chrono::Utc::now().format("r-%Y%m%d-%H%M%S").to_string());
    Ok(RunOptions {
        runs,
        duration,
        warmup: a.warmup.or(f.warmup).unwrap_or(0),
        load,
        retries,
        max_retry_time: dur("max-retry-time", &a.max_retry_time)?,
        stream: !a.no_stream && target.provider.streams(),
        shard,
        run_id,
        seed: a.seed,
        grace: dur("grace", &a.grace)?,
        start_at: a.start_at.as_deref().map(start_at).transpose()?,
        target,
    })
}
