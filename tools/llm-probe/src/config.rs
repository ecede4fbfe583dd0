//! The run configuration: the plan's `real_llm_config.yaml` accepted as
//! written (`llm_provider`, `model`, `api_key_env`, `test_runs`,
//! `timeout_seconds`, `track_metrics`) plus optional keys (`base_url`,
//! `scenarios`, `concurrency`, `rate`, `prices`, `retries`, `warmup`).
//! Unknown keys are warned about by name; a wrong type stops the run with
//! the file, the key and the type expected.

use std::path::Path;

use navikit::Error;
use serde_json::Value;

/// FileConfig holds what a config file set; absent keys stay `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileConfig {
    /// `llm_provider`.
    pub provider: Option<String>,
    /// `model`.
    pub model: Option<String>,
    /// `api_key_env`: the environment variable holding the key.
    pub api_key_env: Option<String>,
    /// `test_runs`.
    pub runs: Option<u64>,
    /// `timeout_seconds`.
    pub timeout_seconds: Option<f64>,
    /// `track_metrics` (informational: every metric is always recorded).
    pub track_metrics: Vec<String>,
    /// `base_url`.
    pub base_url: Option<String>,
    /// `scenarios`: names to run.
    pub scenarios: Vec<String>,
    /// `concurrency`.
    pub concurrency: Option<u64>,
    /// `rate` (requests/s, open loop).
    pub rate: Option<f64>,
    /// `prices`: a price file path.
    pub prices: Option<String>,
    /// `retries`: attempts after the first.
    pub retries: Option<u64>,
    /// `warmup`: warm-up requests.
    pub warmup: Option<u64>,
}

const KNOWN: &[&str] = &[
    "llm_provider",
    "model",
    "api_key_env",
    "test_runs",
    "timeout_seconds",
    "track_metrics",
    "base_url",
    "scenarios",
    "concurrency",
    "rate",
    "prices",
    "retries",
    "warmup",
];

const METRICS: &[&str] = &["latency", "tokens", "cost", "error_rate", "ttft", "throughput"];

/// load reads and checks a config file; warnings go to stderr.
pub fn load(path: &Path) -> Result<FileConfig, Error> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Error::input(format!("cannot read config {name}: {e}")))?;
    parse(&name, &text, &mut |w| eprintln!("llm-probe: warning: {w}"))
}

/// parse checks config text; `warn` receives each warning.
pub fn parse(name: &str, text: &str, warn: &mut dyn FnMut(String)) -> Result<FileConfig, Error> {
    let value: Value = serde_saphyr::from_str(text).map_err(|e| {
        let first = e.to_string().lines().next().unwrap_or("invalid YAML").to_string();
        Error::input(format!("{name}: not valid YAML: {first}"))
    })?;
    let map = match value {
        Value::Object(m) => m,
        Value::Null => serde_json::Map::new(),
        _ => return Err(Error::input(format!("{name}: expected a mapping of keys to values"))),
    };
    for key in map.keys() {
        if !KNOWN.contains(&key.as_str()) {
            warn(format!("{name}: unknown key `{key}` ignored (known: {})", KNOWN.join(", ")));
        }
    }
    let bad = |key: &str, want: &str, got: &Value| {
        Error::input(format!("{name}: key `{key}`: expected {want}, found {}", kind_of(got)))
    };
    let string = |key: &str| -> Result<Option<String>, Error> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(bad(key, "a string", v)),
        }
    };
    let uint = |key: &str| -> Result<Option<u64>, Error> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| bad(key, "a non-negative integer", v)),
        }
    };
    let number = |key: &str| -> Result<Option<f64>, Error> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_f64().filter(|x| *x >= 0.0).map(Some).ok_or_else(|| bad(key, "a non-negative number", v)),
        }
    };
    let list = |key: &str| -> Result<Vec<String>, Error> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().map(str::to_string).ok_or_else(|| bad(key, "a list of strings", i)))
                .collect(),
            Some(v) => Err(bad(key, "a list of strings", v)),
        }
    };
    let cfg = FileConfig {
        provider: string("llm_provider")?,
        model: string("model")?,
        api_key_env: string("api_key_env")?,
        runs: uint("test_runs")?,
        timeout_seconds: number("timeout_seconds")?,
        track_metrics: list("track_metrics")?,
        base_url: string("base_url")?,
        scenarios: list("scenarios")?,
        concurrency: uint("concurrency")?,
        rate: number("rate")?,
        prices: string("prices")?,
        retries: uint("retries")?,
        warmup: uint("warmup")?,
    };
    for m in &cfg.track_metrics {
        if !METRICS.contains(&m.as_str()) {
            warn(format!("{name}: track_metrics: unknown metric `{m}` (known: {})", METRICS.join(", ")));
        }
    }
    Ok(cfg)
}

fn kind_of(v: &Value) -> String {
    match v {
        Value::Null => "nothing".into(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) => format!("a string ({s:?})"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = "llm_provider: anthropic\nmodel: claude-sonnet-4\napi_key_env: ANTHROPIC_API_KEY\ntest_runs: 100\ntimeout_seconds: 30\ntrack_metrics:\n  - latency\n  - tokens\n  - cost\n  - error_rate\n";

    #[test]
    fn the_plans_config_is_accepted_verbatim() {
        let mut warnings = Vec::new();
        let c = parse("real_llm_config.yaml", PLAN, &mut |w| warnings.push(w)).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(c.provider.as_deref(), Some("anthropic"));
        assert_eq!(c.model.as_deref(), Some("claude-sonnet-4"));
        assert_eq!(c.api_key_env.as_deref(), Some("ANTHROPIC_API_KEY"));
        assert_eq!(c.runs, Some(100));
        assert_eq!(c.timeout_seconds, Some(30.0));
        assert_eq!(c.track_metrics, ["latency", "tokens", "cost", "error_rate"]);
    }

    #[test]
    fn unknown_keys_warn_and_wrong_types_fail() {
        let mut warnings = Vec::new();
        parse("c.yaml", "model: m\ntest_rnus: 5\n", &mut |w| warnings.push(w)).unwrap();
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].starts_with("c.yaml: unknown key `test_rnus` ignored"), "{warnings:?}");
        let e = parse("c.yaml", "test_runs: many\n", &mut |_| {}).unwrap_err().to_string();
        assert_eq!(e, "c.yaml: key `test_runs`: expected a non-negative integer, found a string (\"many\")");
        let e = parse("c.yaml", "timeout_seconds: [1]\n", &mut |_| {}).unwrap_err().to_string();
        assert!(e.contains("key `timeout_seconds`: expected a non-negative number, found a list"), "{e}");
        let e = parse("c.yaml", "model: [\n", &mut |_| {}).unwrap_err().to_string();
        assert!(e.starts_with("c.yaml: not valid YAML"), "{e}");
    }
}
