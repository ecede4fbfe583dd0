//! `report-md alert-rules`: the week's targets file turned into Prometheus
//! recording and alerting rules, so the SLOs a launch was judged against on
//! probe runs keep being watched on the live service.
//!
//! The service's own metrics carry the live SLOs: `http_requests_total` and
//! the `http_request_duration_seconds` histogram of the chat path.
//! - A success target becomes an error budget watched with the SRE
//!   workbook's multi-window, multi-burn-rate alerts (a fast burn pages, a
//!   slow one opens a ticket).
//! - A latency percentile target `pQ<T` becomes "at most (100−Q) % of chat
//!   requests slower than T", read from the histogram's `le=T` bucket over a
//!   long and a short window; a missing bucket has its own alert, because a
//!   query over a series that does not exist is silently never true.
//! - A cost target reads the probe's textfile (`navi_probe_cost_usd_per_request`).
//! - An `escalate:` line becomes a paging alert on the same expression.
//!
//! The toolkit's checks, exported by `report-md prometheus` through
//! node_exporter's textfile collector, give the rest: a check failing, a
//! monitor gone stale, database connections near `max_connections`, the
//! connection count rising across runs, NAVI's counters flat. Every alert
//! carries a `runbook_url` to `docs/runbooks/<alert>.md`.

use std::fmt::Write;

use navikit::threshold::{Field, Metric, Op, Stat, Threshold};

/// Options says where the service's metrics are and where runbooks live.
#[derive(Debug, Clone)]
pub struct Options {
    /// Label matchers selecting the service's series, e.g. `job="navi-backend"` (may be empty).
    pub service: String,
    /// Label matchers selecting the chat endpoint's series, e.g. `path="/api/navi/chat"`.
    pub chat: String,
    /// Prefix of every `runbook_url` (a directory or a URL).
    pub runbook_base: String,
    /// Time compression: every window, `for` and staleness bound divided by
    /// it (1 for production; the demo runs the same rules 60x faster).
    pub compress: u32,
}

/// Alert is one alerting rule before rendering.
struct Alert {
    name: &'static str,
    expr: String,
    for_: &'static str,
    severity: &'static str,
    /// Labels beyond `severity`, telling apart rules of one alert name.
    labels: Vec<(&'static str, String)>,
    summary: String,
}

/// STALE_AFTER_S is how long without a monitor run is stale: the 4-hourly
/// run missed once, with an hour to spare.
const STALE_AFTER_S: u32 = 5 * 3600;

/// FAILED matches the statuses of failed chat requests: server errors, and
/// the rate limits a client sees as failures too (probe runs count both).
const FAILED: &str = "5..|429";

/// BURN_WINDOWS are the workbook's (long, short, burn rate, severity) pairs.
const BURN_WINDOWS: [(&str, &str, f64, &str); 4] =
    [("1h", "5m", 14.4, "page"), ("6h", "30m", 6.0, "page"), ("1d", "2h", 3.0, "ticket"), ("3d", "6h", 1.0, "ticket")];

/// check_alerts watch the toolkit's own verdicts (0 pass, 1 warn, 2 fail, 3 error, 4 skip).
fn check_alerts() -> Vec<Alert> {
    let status = |check: &str| format!("navi_check_status{{check=\"{check}\",stand_in=\"\"}}");
    vec![
        Alert {
            name: "NaviCheckFailing",
            expr: "navi_check_status{stand_in=\"\"} >= 2 and navi_check_status{stand_in=\"\"} <= 3".into(),
            for_: "10m",
            severity: "ticket",
            labels: Vec::new(),
            summary: "{{ $labels.check }} ({{ $labels.tool }}) failed or errored on {{ $labels.target }}".into(),
        },
        Alert {
            name: "NaviCheckNotValidated",
            expr: "navi_check_status{stand_in=\"\"} == 4".into(),
            for_: "12h",
            severity: "ticket",
            labels: Vec::new(),
            summary: "{{ $labels.check }} could not look for 12 h: nothing proves it holds".into(),
        },
        Alert {
            name: "NaviMonitorStale",
            expr: format!(
                "time() - max(navi_checks_last_run_timestamp_seconds) > {STALE_AFTER_S} or absent(navi_checks_last_run_timestamp_seconds)"
            ),
            for_: "15m",
            severity: "ticket",
            labels: Vec::new(),
            summary: "the 4-hourly monitor has not reported for over 5 h".into(),
        },
        Alert {
            name: "NaviDbConnectionsNearMax",
            expr: format!("{} == 1 or {} == 2", status("pg.connections.headroom"), status("pg.connections.headroom")),
            for_: "0m",
            severity: "ticket",
            labels: Vec::new(),
            summary: "database connections in use are near max_connections (pg.connections.headroom)".into(),
        },
        Alert {
            name: "NaviDbConnectionLeak",
            expr: format!("{} == 1", status("pg.connections.trend")),
            for_: "0m",
            severity: "ticket",
            labels: Vec::new(),
            summary: "the connection count grew in each of the last monitor runs: a leak".into(),
        },
        Alert {
            name: "NaviCountersFlat",
            expr: format!("{} == 1", status("http.metrics.increasing")),
            for_: "0m",
            severity: "ticket",
            labels: Vec::new(),
            summary: "NAVI's counters did not grow between monitor runs".into(),
        },
    ]
}

/// short rounds a ratio to six decimals, so `p99.9` reads 0.999, not 0.9990000000000001.
fn short(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// seconds writes a bound in seconds as Prometheus prints `le` (`5`, `0.8`).
fn seconds(ms: f64) -> String {
    format!("{}", ms / 1000.0)
}

/// le_matcher matches a bucket bound however the client library spelled it
/// (`5` from Go and Rust clients, `5.0` from Python's).
fn le_matcher(ms: f64) -> String {
    let s = seconds(ms);
    if s.contains('.') { format!("le=\"{s}\"") } else { format!("le=~\"{s}|{s}\\\\.0\"") }
}

/// slo_alerts turn the targets file into alerts on the service's metrics.
fn slo_alerts(o: &Options, targets: &[Threshold]) -> (Vec<Alert>, Vec<(String, String)>, Vec<String>) {
    let mut alerts = Vec::new();
    let mut recording = Vec::new();
    let mut not_watched: Vec<String> = Vec::new();
    let calls = if o.service.is_empty() { String::new() } else { format!("{{{}}}", o.service) };
    // With no matcher at all, one that every series meets keeps `{…,x}` valid.
    let joined =
        [o.service.as_str(), o.chat.as_str()].iter().filter(|m| !m.is_empty()).copied().collect::<Vec<_>>().join(",");
    let chat = &if joined.is_empty() { "job=~\".*\"".to_string() } else { joined };
    // One threshold per metric and kind (a later line wins, as everywhere),
    // and one error budget: a second success or error-rate line is not watched twice.
    let targets = Threshold::overlay(Vec::new(), targets.to_vec());
    let (mut budget_target, mut budget_escalation) = (None::<String>, None::<String>);
    let errors = |w: &str| format!("navi:chat_errors:ratio_rate{w}");
    let mut burn_recorded = false;
    let mut buckets: Vec<f64> = Vec::new();
    for t in &targets {
        let lower_is_better = matches!(t.op, Op::Lt | Op::Le);
        match (&t.metric, lower_is_better) {
            (Metric::SuccessPct, false) | (Metric::ErrorRatePct, true) => {
                let slot = if t.escalation { &mut budget_escalation } else { &mut budget_target };
                if let Some(first) = slot {
                    not_watched.push(format!("{}: `{first}` already sets the error budget", t.source));
                    continue;
                }
                *slot = Some(t.source.clone());
                let budget =
                    short(if t.metric == Metric::SuccessPct { (100.0 - t.limit) / 100.0 } else { t.limit / 100.0 });
                if !burn_recorded {
                    for w in ["5m", "30m", "1h", "2h", "6h", "1d", "3d"] {
                        let e = format!(
                            "sum(rate(http_requests_total{{{chat},status=~\"{FAILED}\"}}[{w}]))\n  / sum(rate(http_requests_total{{{chat}}}[{w}]))"
                        );
                        recording.push((errors(w), e));
                    }
                    burn_recorded = true;
                }
                if t.escalation {
                    alerts.push(Alert {
                        name: "NaviChatSuccessEscalation",
                        expr: format!("{} > {budget} and {} > {budget}", errors("1h"), errors("5m")),
                        for_: "5m",
                        severity: "page",
                        labels: Vec::new(),
                        summary: format!(
                            "chat success below the escalation line `{}` over the last hour and 5 minutes",
                            t.source
                        ),
                    });
                    continue;
                }
                for (fast, name) in [(true, "NaviChatErrorBudgetFastBurn"), (false, "NaviChatErrorBudgetSlowBurn")] {
                    let parts: Vec<String> = BURN_WINDOWS
                        .iter()
                        .filter(|(.., sev)| (*sev == "page") == fast)
                        .map(|(long, short, rate, _)| {
                            format!("({} > {rate} * {budget} and {} > {rate} * {budget})", errors(long), errors(short))
                        })
                        .collect();
                    alerts.push(Alert {
                        name,
                        expr: parts.join("\nor\n"),
                        for_: if fast { "2m" } else { "15m" },
                        severity: if fast { "page" } else { "ticket" },
                        labels: Vec::new(),
                        summary: format!(
                            "chat errors burn the `{}` error budget ({}) {}",
                            t.source,
                            budget,
                            if fast {
                                "fast: it lasts days at this rate"
                            } else {
                                "steadily: it will not last the month"
                            }
                        ),
                    });
                }
            }
            (Metric::Dist(Field::Latency, Stat::Percentile(q)), true) => {
                let slower = short((100.0 - q) / 100.0);
                // Exact where the histogram has a bucket at the bound; interpolated
                // by histogram_quantile where it has not (absent series make the
                // first half empty, never true).
                let slow = |w: &str| {
                    format!(
                        "(1 - sum(rate(http_request_duration_seconds_bucket{{{chat},{}}}[{w}]))\n  / sum(rate(http_request_duration_seconds_count{{{chat}}}[{w}]))) > {slower}",
                        le_matcher(t.limit)
                    )
                };
                let estimated = |w: &str| {
                    format!(
                        "histogram_quantile({}, sum by (le) (rate(http_request_duration_seconds_bucket{{{chat}}}[{w}]))) > {}",
                        short(q / 100.0),
                        seconds(t.limit)
                    )
                };
                let name = if t.escalation { "NaviChatLatencyEscalation" } else { "NaviChatLatencyAboveTarget" };
                alerts.push(Alert {
                    name,
                    expr: format!(
                        "({}\nand\n{})\nor\n({}\nand\n{})",
                        slow("1h"),
                        slow("5m"),
                        estimated("1h"),
                        estimated("5m")
                    ),
                    for_: "5m",
                    severity: if t.escalation { "page" } else { "ticket" },
                    labels: vec![("quantile", short(q / 100.0).to_string())],
                    summary: format!(
                        "more than {}% of chat requests took longer than {} s over the last hour and 5 minutes (`{}`)",
                        short(slower * 100.0),
                        seconds(t.limit),
                        t.source
                    ),
                });
                if !buckets.contains(&t.limit) {
                    buckets.push(t.limit);
                }
            }
            (Metric::CostPerRequest, true) => alerts.push(Alert {
                name: "NaviCostPerRequestAboveTarget",
                expr: format!(
                    "navi_probe_cost_usd_per_request{{stand_in=\"\"}} {} {}",
                    if t.op == Op::Lt { ">=" } else { ">" },
                    t.limit
                ),
                for_: "0m",
                severity: "ticket",
                labels: Vec::new(),
                summary: format!("the last probe run cost {{{{ $value }}}} USD per request (`{}`)", t.source),
            }),
            (Metric::Requests, _) => {
                not_watched.push(format!("{}: a property of a probe run, not of the live service", t.source))
            }
            _ => not_watched.push(format!(
                "{}: the service exposes no metric for it; latency-stats judges it on probe runs",
                t.source
            )),
        }
    }
    for ms in buckets {
        alerts.push(Alert {
            name: "NaviChatLatencyBucketMissing",
            expr: format!("absent(http_request_duration_seconds_bucket{{{chat},{}}})", le_matcher(ms)),
            for_: "30m",
            severity: "ticket",
            labels: vec![("le", seconds(ms))],
            summary: format!(
                "the chat latency histogram has no le=\"{}\" bucket: alerts on that bound interpolate, and cannot fire above the highest bucket",
                seconds(ms)
            ),
        });
    }
    alerts.push(Alert {
        name: "NaviLlmCallsFlat",
        expr: format!(
            "sum(rate(http_requests_total{{{chat},status=~\"2..\"}}[30m])) > 0\nunless\nsum(rate(aep_llm_calls_total{calls}[30m])) > 0"
        ),
        for_: "30m",
        severity: "ticket",
        labels: Vec::new(),
        summary: "chat requests succeed but aep_llm_calls_total does not grow: LLM calls are not counted".into(),
    });
    alerts.push(Alert {
        name: "NaviServiceMetricsAbsent",
        expr: format!("absent(http_requests_total{{{chat}}})"),
        for_: "30m",
        severity: "ticket",
        labels: Vec::new(),
        summary:
            "no chat series in http_requests_total: every service SLO alert is blind (not scraped, or other labels)"
                .into(),
    });
    (alerts, recording, not_watched)
}

/// duration writes seconds as the largest whole unit (`72m`, `5s`, `0s`).
fn duration(s: u64) -> String {
    match () {
        () if s == 0 => "0s".to_string(),
        () if s.is_multiple_of(86400) => format!("{}d", s / 86400),
        () if s.is_multiple_of(3600) => format!("{}h", s / 3600),
        () if s.is_multiple_of(60) => format!("{}m", s / 60),
        () => format!("{s}s"),
    }
}

/// compress divides every range selector `[5m]` and `for:` duration of the
/// rendered rules, and the staleness bound, by `k`.
fn compress(text: &str, k: u32) -> String {
    let k = u64::from(k.max(1));
    // A window never shrinks below a second; `for: 0m` stays immediate.
    let scaled = |d: &str| {
        navikit::duration::parse(d)
            .map(|t| t.as_secs())
            .map_or_else(|_| d.to_string(), |s| duration(if s == 0 { 0 } else { (s / k).max(1) }))
    };
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let line = line.replace(&format!("> {STALE_AFTER_S} "), &format!("> {} ", u64::from(STALE_AFTER_S) / k));
        if let Some(d) = line.trim_start().strip_prefix("for: ") {
            out.push_str(&line.replace(&format!("for: {d}"), &format!("for: {}", scaled(d))));
        } else {
            let mut rest = line.as_str();
            while let Some(open) = rest.find('[') {
                let Some(close) = rest[open..].find(']') else { break };
                out.push_str(&rest[..=open]);
                out.push_str(&scaled(&rest[open + 1..open + close]));
                rest = &rest[open + close..];
            }
            out.push_str(rest);
        }
        out.push('\n');
    }
    out
}

fn block(out: &mut String, indent: &str, key: &str, text: &str) {
    let _ = writeln!(out, "{indent}{key}: |-");
    for line in text.lines() {
        let _ = writeln!(out, "{indent}  {line}");
    }
}

/// check_options refuses what would break the YAML or the PromQL it is
/// written into: control characters anywhere, braces in a selector.
pub fn check_options(o: &Options) -> Result<(), String> {
    for (flag, v) in
        [("--service-selector", &o.service), ("--chat-selector", &o.chat), ("--runbook-base", &o.runbook_base)]
    {
        if v.chars().any(char::is_control) {
            return Err(format!("{flag}: control characters are not allowed"));
        }
        if flag != "--runbook-base" && v.contains(['{', '}']) {
            return Err(format!("{flag}: give label matchers without braces, e.g. job=\"navi-backend\""));
        }
    }
    Ok(())
}

/// render writes the rules file for `targets` (parsed from `source`).
pub fn render(o: &Options, source: &str, targets: &[Threshold]) -> String {
    let (mut alerts, recording, not_watched) = slo_alerts(o, targets);
    alerts.extend(check_alerts());
    let mut out = String::new();
    let _ =
        writeln!(out, "# Generated by `report-md alert-rules --targets {source}`: edit the targets, not this file.");
    for n in &not_watched {
        let _ = writeln!(out, "# Not an alert: {n}");
    }
    out.push_str("groups:\n");
    if !recording.is_empty() {
        out.push_str("  - name: navi-slo-recording\n    rules:\n");
        for (name, expr) in &recording {
            let _ = writeln!(out, "      - record: {name}");
            block(&mut out, "        ", "expr", expr);
        }
    }
    out.push_str("  - name: navi-alerts\n    rules:\n");
    for a in &alerts {
        let _ = writeln!(out, "      - alert: {}", a.name);
        block(&mut out, "        ", "expr", &a.expr);
        let _ = writeln!(out, "        for: {}", a.for_);
        let _ = writeln!(out, "        labels:\n          severity: {}", a.severity);
        for (k, v) in &a.labels {
            let _ = writeln!(out, "          {k}: '{v}'");
        }
        let _ = writeln!(out, "        annotations:");
        let _ = writeln!(out, "          summary: '{}'", a.summary.replace('\'', "''"));
        let base = o.runbook_base.trim_end_matches('/').replace('\'', "''");
        let _ = writeln!(out, "          runbook_url: '{base}/{}.md'", a.name);
    }
    if o.compress > 1 { compress(&out, o.compress) } else { out }
}
