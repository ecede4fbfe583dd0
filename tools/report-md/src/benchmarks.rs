//! PERFORMANCE_BENCHMARKS.md: run metadata, the plan's targets marked
//! met/missed, an overall table and one per scenario, Mermaid charts that
//! GitHub renders, the top error patterns, the plan's escalation hints, and
//! a comparison with a baseline.

use std::fmt::Write;

use hdrhistogram::Histogram;
use navikit::Error;
use navikit::record::{Distribution, Record, SloVerdict, Stats};

/// STAND_IN_ROW opens the run table's row that says the numbers measure a stand-in.
pub const STAND_IN_ROW: &str = "| **stand-in** |";

fn secs(ms: f64) -> String {
    if ms >= 1000.0 { format!("{:.2} s", ms / 1000.0) } else { format!("{ms:.0} ms") }
}

fn opt(d: Option<&Distribution>, f: fn(&Distribution) -> f64) -> String {
    d.map_or("–".to_string(), |d| secs(f(d)))
}

fn label(s: &Stats) -> String {
    s.group.get("scenario").cloned().unwrap_or_else(|| s.group.values().cloned().collect::<Vec<_>>().join(" / "))
}

/// shown renders a verdict's value in the metric's unit.
fn shown(metric: &str, v: f64) -> String {
    if metric.ends_with("_pct") {
        format!("{v:.2} %")
    } else if metric.starts_with("cost_usd") {
        format!("${v:.5}")
    } else if metric.contains("_ms.") {
        secs(v)
    } else {
        format!("{v}")
    }
}

/// escalation_text is the plan's escalation path for a missed trigger.
fn escalation_text(v: &SloVerdict) -> String {
    let what = if v.metric == "success_pct" {
        "**Real LLM tests failing.** Owner: Backend Lead investigates; escalate to the CTO if blocked more than 4 hours. Mitigation: fix the top 3 failure patterns below."
    } else if v.metric.starts_with("latency_ms.") {
        "**Performance does not meet targets.** Owner: Backend + Platform teams; escalate to the CTO if optimisation takes more than a day. Mitigation: identify the top 3 bottlenecks and write an optimisation plan."
    } else {
        "**Escalation trigger missed.**"
    };
    format!(
        "{what} (trigger `{}` missed: observed {})",
        v.threshold,
        v.observed.map_or("nothing".into(), |o| shown(&v.metric, o))
    )
}

fn row(s: &Stats, name: &str) -> String {
    let l = s.latency_ms.as_ref();
    format!(
        "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {:.2} % | ${:.5} | ${:.4} |\n",
        s.requests,
        opt(l, |d| d.p50),
        opt(l, |d| d.p95),
        opt(l, |d| d.p99),
        opt(s.ttft_ms.as_ref(), |d| d.p50),
        opt(s.ttft_ms.as_ref(), |d| d.p95),
        s.tpot_ms.as_ref().map_or("–".into(), |d| format!("{:.1} ms", d.p50)),
        s.output_tokens_per_s.as_ref().map_or("–".into(), |d| format!("{:.1}", d.mean)),
        s.success_pct,
        s.cost_usd_per_request,
        s.cost_usd_total,
    )
}

const TABLE_HEAD: &str = "| | requests | p50 | p95 | p99 | TTFT p50 | TTFT p95 | TPOT p50 | tokens/s | success | cost/request | cost total |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";

fn histogram_chart(s: &Stats) -> Option<String> {
    let text = s.histograms.as_ref()?.get("latency_ms")?;
    let h: Histogram<u64> = navikit::histogram::decode(text).ok()?;
    if h.is_empty() {
        return None;
    }
    let (lo, hi) = (h.min() as f64 / 1000.0, h.max() as f64 / 1000.0);
    let buckets = 12usize;
    let width = ((hi - lo) / buckets as f64).max(1.0);
    let mut counts = vec![0u64; buckets];
    for v in h.iter_recorded() {
        let ms = h.median_equivalent(v.value_iterated_to()) as f64 / 1000.0;
        let i = (((ms - lo) / width) as usize).min(buckets - 1);
        counts[i] += v.count_at_value();
    }
    let labels: Vec<String> = (0..buckets).map(|i| format!("\"{:.0}\"", lo + width * (i as f64 + 0.5))).collect();
    let max = counts.iter().copied().max().unwrap_or(1);
    Some(format!(
        "```mermaid\n{CHART_THEME}\nxychart-beta\n    title \"Latency distribution (requests per bucket)\"\n    x-axis \"latency (ms)\" [{}]\n    y-axis \"requests\" 0 --> {}\n    bar [{}]\n```\n",
        labels.join(", "),
        max + max / 10 + 1,
        counts.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
    ))
}

/// Pick reads one statistic of a distribution.
type Pick = fn(&Distribution) -> f64;

/// CHART_THEME gives the bars a colour that reads on white and on GitHub's
/// dark theme (the default palette's first colour is a pale yellow there).
pub const CHART_THEME: &str =
    "%%{init: {\"themeVariables\": {\"xyChart\": {\"plotColorPalette\": \"#2f6fb0, #d9480f\"}}}}%%";

/// percentile_chart draws one measure per chart (its name in the title, so
/// no legend is needed), horizontal so ten scenario names fit; the p95 chart
/// carries the p95 target as a line when latency-stats judged one.
fn percentile_chart(
    scenarios: &[&Stats],
    overall: &Stats,
    pick: fn(&Distribution) -> f64,
    name: &str,
) -> Option<String> {
    let with: Vec<(&Stats, &Distribution)> =
        scenarios.iter().filter_map(|s| s.latency_ms.as_ref().map(|d| (*s, d))).collect();
    if with.is_empty() {
        return None;
    }
    let names: Vec<String> = with.iter().map(|(s, _)| format!("\"{}\"", label(s).replace('"', "'"))).collect();
    let values = with.iter().map(|(_, d)| format!("{:.0}", pick(d))).collect::<Vec<_>>().join(", ");
    let target = (name == "p95")
        .then(|| overall.slo.iter().find(|v| !v.escalation && v.metric == "latency_ms.p95").map(|v| v.limit))
        .flatten();
    let top = with.iter().map(|(_, d)| pick(d)).fold(target.unwrap_or(0.0), f64::max);
    let (title, line) = match target {
        Some(t) => (
            format!("{name} latency per scenario (ms); line: the {name} target, {t:.0} ms"),
            format!("\n    line [{}]", vec![format!("{t:.0}"); with.len()].join(", ")),
        ),
        None => (format!("{name} latency per scenario (ms)"), String::new()),
    };
    Some(format!(
        "```mermaid\n{CHART_THEME}\nxychart-beta horizontal\n    title \"{title}\"\n    x-axis [{}]\n    y-axis \"{name} (ms)\" 0 --> {:.0}\n    bar [{values}]{line}\n```\n",
        names.join(", "),
        top * 1.1 + 1.0,
    ))
}

fn delta(now: f64, before: f64) -> String {
    if before == 0.0 {
        return "–".into();
    }
    format!("{:+.1} %", (now - before) / before * 100.0)
}

/// render writes the document and says whether every target was met.
pub fn render(records: &[Record], baseline: Option<&[Record]>, load: &str) -> Result<(String, bool), Error> {
    let stats: Vec<&Stats> =
        records.iter().filter_map(|r| if let Record::Stats(s) = r { Some(s.as_ref()) } else { None }).collect();
    if stats.is_empty() {
        return Err(Error::input("no stats records in the input (pipe llm-probe through latency-stats first)"));
    }
    let overall = stats.iter().find(|s| s.group.is_empty()).copied().or_else(|| (stats.len() == 1).then(|| stats[0]));
    let scenarios: Vec<&Stats> = stats.iter().filter(|s| s.group.contains_key("scenario")).copied().collect();
    let Some(all) = overall.or_else(|| scenarios.first().copied()) else {
        return Err(Error::input("no overall stats record (run latency-stats without --by as well)"));
    };
    let mut md = String::new();
    let _ = writeln!(md, "# Performance Benchmarks\n");
    let when = all.first_ts.map_or("–".into(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string());
    let until = all.last_ts.map_or("–".into(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string());
    let _ = writeln!(md, "| run | |\n|---|---|");
    let _ =
        writeln!(md, "| provider | {} |", if all.providers.is_empty() { "–".into() } else { all.providers.join(", ") });
    let _ = writeln!(md, "| model | {} |", if all.models.is_empty() { "–".into() } else { all.models.join(", ") });
    if !all.targets.is_empty() {
        let _ = writeln!(md, "| target | {} |", all.targets.join(", "));
    }
    if !all.stand_ins.is_empty() {
        let _ = writeln!(
            md,
            "{STAND_IN_ROW} {} of {} requests were answered by a stand-in that declared itself ({}): these numbers measure the stand-in, not a real model |",
            all.stand_in_requests,
            all.requests + all.warmup_excluded,
            all.stand_ins.join(", ")
        );
    }
    let _ = writeln!(md, "| window | {when} – {until} |");
    let _ = writeln!(
        md,
        "| requests | {} ({} ok, {} failed, {} warm-up left out) |",
        all.requests, all.ok, all.failed, all.warmup_excluded
    );
    if !load.is_empty() {
        let _ = writeln!(md, "| load | {load} |");
    }
    let _ = writeln!(
        md,
        "| tokens | {} in, {} out, {} cache read, {} cache write |",
        all.tokens.input, all.tokens.output, all.tokens.cache_read_input, all.tokens.cache_creation_input
    );
    let _ = writeln!(
        md,
        "| generated | {} by report-md {} |\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        env!("CARGO_PKG_VERSION")
    );

    let targets: Vec<&SloVerdict> = all.slo.iter().filter(|v| !v.escalation).collect();
    let all_met = !targets.is_empty() && targets.iter().all(|v| v.ok);
    let _ = writeln!(md, "## Targets\n");
    if targets.is_empty() {
        let _ = writeln!(md, "No targets were judged: run latency-stats with `--targets config/targets.txt`.\n");
    } else {
        let _ = writeln!(md, "| target | observed | |\n|---|---:|---|");
        for v in &targets {
            let _ = writeln!(
                md,
                "| `{}` | {} | {} |",
                v.threshold,
                v.observed.map_or("–".into(), |o| shown(&v.metric, o)),
                if v.ok { "✅ met" } else { "❌ missed" }
            );
        }
        let _ = writeln!(md, "\n_Judged by latency-stats; this page renders its verdicts._\n");
    }
    let hints: Vec<String> = all.slo.iter().filter(|v| v.escalation && !v.ok).map(escalation_text).collect();
    if !hints.is_empty() {
        let _ = writeln!(md, "## Escalation\n");
        for h in hints {
            let _ = writeln!(md, "- {h}");
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(md, "## Overall\n\n{TABLE_HEAD}{}", row(all, "all"));
    if !scenarios.is_empty() {
        let _ = writeln!(
            md,
            "## Per scenario\n\n{TABLE_HEAD}{}",
            scenarios.iter().map(|s| row(s, &label(s))).collect::<String>()
        );
        let charts: [(Pick, &str); 2] = [(|d| d.p95, "p95"), (|d| d.p50, "p50")];
        for (pick, name) in charts {
            if let Some(chart) = percentile_chart(&scenarios, all, pick, name) {
                let _ = writeln!(md, "{chart}");
            }
        }
    }
    if let Some(chart) = histogram_chart(all) {
        let _ = writeln!(md, "## Latency distribution\n\n{chart}");
    }
    let _ = writeln!(md, "## Errors\n");
    if all.errors.is_empty() {
        let _ = writeln!(md, "No failed requests.\n");
    } else {
        let _ = writeln!(md, "| class | count |\n|---|---:|");
        for e in &all.errors {
            let _ = writeln!(md, "| {} | {} |", e.class, e.count);
        }
        let _ = writeln!(md, "\n| top failure patterns | class | count |\n|---|---|---:|");
        for p in &all.top_failures {
            let _ =
                writeln!(md, "| `{}` | {} | {} |", p.pattern.replace('|', "\\|").replace('`', "'"), p.class, p.count);
        }
        let _ = writeln!(md);
    }
    for extra in [crate::capacity::section(records), crate::timeline::section(records)].into_iter().flatten() {
        let _ = writeln!(md, "{extra}");
    }
    // A capacity search that found no sustainable rate is a missed target too.
    let capacity_failed = records.iter().any(|r| {
        matches!(r, Record::Check(c) if c.check == "llm.capacity" && c.status == navikit::record::CheckStatus::Fail)
    });
    let mut regressed = capacity_failed;
    if let Some((text, worse)) = crate::comparison::section(records) {
        let _ = writeln!(md, "{text}");
        regressed |= worse;
    }
    if let Some(base) = baseline.filter(|_| crate::comparison::section(records).is_none()) {
        let before = base.iter().find_map(|r| match r {
            Record::Stats(s) if s.group.is_empty() => Some(s.as_ref()),
            _ => None,
        });
        if let Some(b) = before {
            let _ = writeln!(
                md,
                "## Compared with the baseline\n\n| metric | baseline | now | change |\n|---|---:|---:|---:|"
            );
            let pairs: [(&str, Option<f64>, Option<f64>); 3] = [
                ("p50", b.latency_ms.as_ref().map(|d| d.p50), all.latency_ms.as_ref().map(|d| d.p50)),
                ("p95", b.latency_ms.as_ref().map(|d| d.p95), all.latency_ms.as_ref().map(|d| d.p95)),
                ("p99", b.latency_ms.as_ref().map(|d| d.p99), all.latency_ms.as_ref().map(|d| d.p99)),
            ];
            for (name, was, now) in pairs {
                if let (Some(w), Some(n)) = (was, now) {
                    let _ = writeln!(md, "| {name} latency | {} | {} | {} |", secs(w), secs(n), delta(n, w));
                }
            }
            let _ = writeln!(
                md,
                "| success | {:.2} % | {:.2} % | {:+.2} pts |",
                b.success_pct,
                all.success_pct,
                all.success_pct - b.success_pct
            );
            let _ = writeln!(
                md,
                "| cost/request | ${:.5} | ${:.5} | {} |\n",
                b.cost_usd_per_request,
                all.cost_usd_per_request,
                delta(all.cost_usd_per_request, b.cost_usd_per_request)
            );
        }
    }
    let _ = writeln!(
        md,
        "_Percentiles from HDR histograms (3 significant digits); latency of successful requests, end to end; TTFT to the first answer token._"
    );
    Ok((md, all_met && !regressed))
}
