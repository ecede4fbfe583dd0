//! The record contract: one JSON object per line, tagged by `"kind"`.
//!
//! `docs/records.md` is the normative description and `docs/schema/*.json`
//! is generated from these types (`cargo run -p navikit --example schema`);
//! change all three together. Readers ignore unknown fields, so adding an
//! optional field is compatible; renaming or removing one is not.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Record is any line of the contract, tagged by its `kind` field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// One request made by llm-probe.
    Probe(Box<Probe>),
    /// One verdict of a checking tool.
    Check(Check),
    /// One summary from latency-stats.
    Stats(Box<Stats>),
    /// One reading of a server-side series while a load runs.
    Sample(Sample),
}

/// Probe is one request (one turn of a conversation) made by llm-probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
pub struct Probe {
    /// When the request completed (RFC 3339, UTC).
    pub ts: DateTime<Utc>,
    /// Identifies one llm-probe invocation; shards of one run share it.
    #[serde(default)]
    pub run_id: String,
    /// Provider protocol: `anthropic`, `openai`, `openai-responses`, `navi`.
    pub provider: String,
    /// Base URL of the target, without credentials.
    #[serde(default)]
    pub target: String,
    /// Model name as sent to the API.
    pub model: String,
    /// Scenario name (file stem under `scenarios/`).
    pub scenario: String,
    /// Sequence number of the request within the run, from 0.
    #[serde(default)]
    pub seq: u64,
    /// True for warm-up requests; latency-stats excludes them by default.
    #[serde(default)]
    pub warmup: bool,
    /// True when the request succeeded and its output assertion (if any) held.
    pub ok: bool,
    /// HTTP status of the last attempt, absent when no response arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// End-to-end latency in milliseconds; in open-loop runs measured from the
    /// intended send time (coordinated-omission corrected).
    pub latency_ms: f64,
    /// Time from the actual send of the last attempt to the end of the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_ms: Option<f64>,
    /// The server's own time for the request as it reported it in a
    /// `Server-Timing` header (its `total` or `app` metric), so
    /// `service_ms − server_ms` is what the client and the network added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_ms: Option<f64>,
    /// Time to the first non-empty answer token (role chunks and thinking excluded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_ms: Option<f64>,
    /// Time to the first generated token of any kind, thinking included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_any_ms: Option<f64>,
    /// Gaps between consecutive content deltas, in milliseconds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub itl_ms: Vec<f64>,
    /// Mean time per output token after the first: (latency − ttft) / (output_tokens − 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tpot_ms: Option<f64>,
    /// Output tokens per second over the whole response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens_per_s: Option<f64>,
    /// Prompt tokens billed (from the API's usage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
    /// Completion tokens billed (from the API's usage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u64>,
    /// Tokens written to the prompt cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_creation_input_tokens: Option<u64>,
    /// Tokens read from the prompt cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u64>,
    /// True when token counts are estimates because the API sent no usage.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tokens_estimated: bool,
    /// Cost of the request in US dollars from the price table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// Every attempt made, in order (more than one when retried).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<Attempt>,
    /// The server's request id (`request-id` or `x-request-id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Conversation id of a multi-turn scenario.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<String>,
    /// Turn index within the conversation, from 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn: Option<u32>,
    /// Why the request failed, when `ok` is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ProbeError>,
    /// Set when the server declared itself a stand-in (llm-sim sends
    /// `x-navi-stand-in`): the request measured the stand-in, not a model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stand_in: Option<String>,
    /// Step of a capacity search (`llm-probe search`), from 0; group by it
    /// with `latency-stats --by step,rate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u32>,
    /// Offered open-loop rate of the search step, requests per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
}

/// Attempt is one try of a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
pub struct Attempt {
    /// HTTP status of this attempt, absent when no response arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Milliseconds waited before this attempt (0 for the first).
    pub wait_ms: f64,
    /// Error class of this attempt when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// ProbeError says why a request failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
pub struct ProbeError {
    /// Error class, e.g. `rate_limited`, `stream_cut`, `total_timeout`.
    pub class: String,
    /// Human message with secrets redacted.
    pub message: String,
}

/// CheckStatus is the verdict of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// The check held.
    Pass,
    /// Worth a look; fails the run only under `--strict`.
    Warn,
    /// The check did not hold.
    Fail,
    /// The check could not be carried out (target down, tool missing).
    Error,
    /// The check could not look (nothing configured, first scrape, no
    /// history yet, no rows to sample): never counted as a pass.
    Skip,
}

impl CheckStatus {
    /// CheckStatus::as_str is the wire name of the status.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Warn => "warn",
            CheckStatus::Fail => "fail",
            CheckStatus::Error => "error",
            CheckStatus::Skip => "skip",
        }
    }

    /// CheckStatus::ALL lists every status in report order.
    pub const ALL: [CheckStatus; 5] =
        [CheckStatus::Pass, CheckStatus::Warn, CheckStatus::Fail, CheckStatus::Error, CheckStatus::Skip];
}

/// Check is one verdict of pg-check, k8s-check, http-check or cloud-check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Check {
    /// When the verdict was reached.
    pub ts: DateTime<Utc>,
    /// The tool that reached it, e.g. `pg-check`.
    pub tool: String,
    /// Dotted check name, e.g. `pg.alembic.head`.
    pub check: String,
    /// What was checked, without credentials (`postgresql://user:***@host/db`).
    #[serde(default)]
    pub target: String,
    /// The verdict.
    pub status: CheckStatus,
    /// What was found (any JSON value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<serde_json::Value>,
    /// What was expected (any JSON value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<serde_json::Value>,
    /// One human sentence: what was found, and for a failure what to do.
    #[serde(default)]
    pub message: String,
    /// Set when what was looked at is a stand-in (llm-sim, the recorded
    /// Kubernetes API, captured cloud answers, a demo database) that said so
    /// itself: the verdict is about the stand-in, never about the real thing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stand_in: Option<String>,
}

/// Sample is one reading of a server-side series, taken on an interval while
/// a load runs (`pg-check --sample`, `http-check --sample`), so report-md can
/// lay the server's timeline beside the probe's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Sample {
    /// When the reading was taken.
    pub ts: DateTime<Utc>,
    /// The tool that took it, e.g. `pg-check`.
    pub tool: String,
    /// What was read, without credentials.
    #[serde(default)]
    pub target: String,
    /// The series, e.g. `pg_connections` or a scraped metric's name.
    pub series: String,
    /// The series' labels, e.g. `{"datname": "navi", "state": "idle"}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// The reading.
    pub value: f64,
    /// Set when what was read is a stand-in that declared itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stand_in: Option<String>,
}

/// Distribution summarises one measured field from an HDR histogram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
pub struct Distribution {
    /// Number of values recorded.
    pub count: u64,
    /// Smallest value.
    pub min: f64,
    /// Mean value.
    pub mean: f64,
    /// Standard deviation.
    pub stddev: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest value.
    pub max: f64,
}

/// TokenTotals sums the token counts of a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
pub struct TokenTotals {
    /// Prompt tokens.
    pub input: u64,
    /// Completion tokens.
    pub output: u64,
    /// Tokens written to the prompt cache.
    pub cache_creation_input: u64,
    /// Tokens read from the prompt cache.
    pub cache_read_input: u64,
    /// Records whose counts were estimates (no usage from the API).
    pub estimated_records: u64,
}

/// ClassCount counts the failed requests of one error class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClassCount {
    /// Error class.
    pub class: String,
    /// Failed requests of that class.
    pub count: u64,
}

/// PatternCount counts failure messages that normalise to one pattern.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PatternCount {
    /// Error class of the first message seen with this pattern.
    pub class: String,
    /// The message with numbers and ids replaced by `#`.
    pub pattern: String,
    /// How many failures had this pattern.
    pub count: u64,
}

/// SloVerdict is the result of one `--threshold` expression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SloVerdict {
    /// The expression as given, e.g. `p95<5s`.
    pub threshold: String,
    /// The metric it reads, e.g. `latency_ms.p95`.
    pub metric: String,
    /// The observed value in the metric's unit; absent when nothing was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<f64>,
    /// The bound in the metric's unit.
    pub limit: f64,
    /// True when the threshold was met.
    pub ok: bool,
    /// True for an escalation trigger (`escalate:` in the targets file):
    /// shown with its verdict, but only targets decide the exit code.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub escalation: bool,
}

/// Stats is one summary of probe records for one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
pub struct Stats {
    /// When the summary was made.
    pub ts: DateTime<Utc>,
    /// Group keys and their values (empty for the single default group).
    #[serde(default)]
    pub group: BTreeMap<String, String>,
    /// Non-warm-up requests counted.
    pub requests: u64,
    /// Requests with `ok: true`.
    pub ok: u64,
    /// Requests with `ok: false`.
    pub failed: u64,
    /// Warm-up records left out (0 with `--include-warmup`).
    #[serde(default)]
    pub warmup_excluded: u64,
    /// ok / requests, in percent.
    pub success_pct: f64,
    /// failed / requests, in percent.
    pub error_rate_pct: f64,
    /// Earliest record time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_ts: Option<DateTime<Utc>>,
    /// Latest record time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_ts: Option<DateTime<Utc>>,
    /// Distinct providers seen (at most 16).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub providers: Vec<String>,
    /// Distinct models seen (at most 16).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<String>,
    /// Distinct targets (base URLs) seen (at most 16).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// Distinct stand-ins the probes declared (at most 16); empty when every
    /// request reached a server that did not call itself a stand-in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stand_ins: Vec<String>,
    /// Probe records that came from a stand-in.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub stand_in_requests: u64,
    /// End-to-end latency of successful requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<Distribution>,
    /// Service time (from the actual send) of successful requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_ms: Option<Distribution>,
    /// Time to first answer token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_ms: Option<Distribution>,
    /// Time to first token of any kind (thinking included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_any_ms: Option<Distribution>,
    /// Time per output token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tpot_ms: Option<Distribution>,
    /// Inter-token gaps pooled over all requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub itl_ms: Option<Distribution>,
    /// Output tokens per second per request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens_per_s: Option<Distribution>,
    /// Token totals.
    #[serde(default)]
    pub tokens: TokenTotals,
    /// Total cost in US dollars.
    pub cost_usd_total: f64,
    /// Total cost divided by the requests that reported a cost.
    pub cost_usd_per_request: f64,
    /// Requests that reported a cost.
    #[serde(default)]
    pub costed_requests: u64,
    /// Failed requests per error class, most frequent first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ClassCount>,
    /// The most frequent normalised failure messages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top_failures: Vec<PatternCount>,
    /// One verdict per `--threshold`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slo: Vec<SloVerdict>,
    /// Serialised HDR histograms (V2 + DEFLATE, base64) per measured field,
    /// values in thousandths of the field's unit; present with `--histograms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histograms: Option<BTreeMap<String, String>>,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

impl Record {
    /// Record::kind is the wire name of the record's kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Record::Probe(_) => "probe",
            Record::Check(_) => "check",
            Record::Stats(_) => "stats",
            Record::Sample(_) => "sample",
        }
    }

    /// Record::ts is when the record's event happened.
    pub fn ts(&self) -> DateTime<Utc> {
        match self {
            Record::Probe(p) => p.ts,
            Record::Check(c) => c.ts,
            Record::Stats(s) => s.ts,
            Record::Sample(s) => s.ts,
        }
    }
}

impl Check {
    /// Check::new builds a check record stamped now.
    pub fn new(tool: &str, check: &str, target: &str, status: CheckStatus, message: impl Into<String>) -> Self {
        Check {
            ts: Utc::now(),
            tool: tool.to_string(),
            check: check.to_string(),
            target: target.to_string(),
            status,
            observed: None,
            expected: None,
            message: message.into(),
            stand_in: None,
        }
    }

    /// Check::observed sets what was found.
    pub fn observed(mut self, v: impl Into<serde_json::Value>) -> Self {
        self.observed = Some(v.into());
        self
    }

    /// Check::expected sets what was expected.
    pub fn expected(mut self, v: impl Into<serde_json::Value>) -> Self {
        self.expected = Some(v.into());
        self
    }
}
