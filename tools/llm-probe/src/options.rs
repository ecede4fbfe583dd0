//! The resolved options of a run: what the command line, the environment
//! (as the official SDKs read it), the config file and the defaults mean
//! together, in that order of precedence, checked once before any request.

use std::path::PathBuf;
use std::time::Duration;

use navikit::Error;

use crate::cli::{Arrival, Cli, Command, Common, RunArgs};
use crate::config::{self, FileConfig};
use crate::dialect::{self, Dialect, Prompt};
use crate::exchange::{Request, Timeouts};
use crate::prices::Prices;
use crate::scenario::{self, Scenario};

/// Target is the resolved endpoint of a run.
#[derive(Debug, Clone)]
pub struct Target {
    /// The provider's dialect.
    pub provider: &'static dyn Dialect,
    /// The endpoint every request goes to.
    pub url: String,
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
    /// The dialect's auth and version headers with this target's key.
    pub auth: Vec<(&'static str, String)>,
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

    /// Target::encode is a request body in this target's dialect, serialised.
    pub fn encode(&self, prompt: &Prompt<'_>, stream: bool) -> Vec<u8> {
        self.provider.body(prompt, stream).to_string().into_bytes()
    }

    /// Target::request is one attempt's request to this target: the `-H`
    /// headers, then the dialect's auth and version headers.
    pub fn request<'a>(&'a self, body: &'a [u8], stream: bool) -> Request<'a> {
        Request { dialect: self.provider, url: &self.url, auth: &self.auth, headers: &self.headers, body, stream }
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

/// parse reads the process arguments into what they ask for.
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
    let provider = dialect::parse(&provider_name).map_err(Error::input)?;
    let model = c.model.clone().or(file.model.clone()).unwrap_or_else(|| provider.id().default_model.to_string());
    let base_url = c
        .base_url
        .clone()
        .or_else(|| std::env::var(provider.id().base_env).ok().filter(|v| !v.is_empty()))
        .or(file.base_url.clone())
        .unwrap_or_else(|| provider.id().default_base.to_string());
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
    let key_env =
        c.api_key_env.clone().or(file.api_key_env.clone()).unwrap_or_else(|| provider.id().key_env.to_string());
    if !plausible_env_name(&key_env) {
        // Never echo it: a key pasted here by mistake must not reach a log.
        return Err(Error::input(
            "--api-key-env (or api_key_env) takes the NAME of a variable, like ANTHROPIC_API_KEY, not a key",
        ));
    }
    // Without a key the run sends none: the target decides whether it needs
    // one (llm-sim does not; a provider answers 401, recorded as `auth`). The
    // address cannot tell, and `preflight` fails a missing key.
    let key = std::env::var(&key_env).ok().filter(|k| !k.trim().is_empty());
    let total = match (c.timeout, file.timeout_seconds) {
        (Some(t), _) => t,
        (None, Some(s)) => {
            Duration::try_from_secs_f64(s).map_err(|_| Error::input("timeout_seconds is out of range"))?
        }
        (None, None) => Duration::from_secs(30),
    };
    let timeouts = Timeouts {
        connect: c.connect_timeout,
        first_token: c.first_token_timeout.unwrap_or(total),
        stall: c.stall_timeout,
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
        auth: provider.headers(key.as_deref()),
        url: provider.url(&base_url),
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
    let duration = a.duration;
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
        max_retry_time: a.max_retry_time,
        stream: !a.no_stream && target.provider.streams(),
        shard,
        run_id,
        seed: a.seed,
        grace: a.grace,
        start_at: a.start_at.as_deref().map(start_at).transpose()?,
        target,
    })
}
