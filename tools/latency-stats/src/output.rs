//! Output formats: NDJSON stats records, a table for people, CSV, and
//! Prometheus text for node_exporter's textfile collector.

use std::io::Write;

use navikit::Error;
use navikit::ndjson::RecordWriter;
use navikit::record::{Distribution, Record, Stats};

use crate::cli::{Format, Options};

/// write prints the summaries in the chosen format.
pub fn write(out: &mut impl Write, opts: &Options, stats: &[Stats]) -> Result<(), Error> {
    match opts.format {
        Format::Ndjson => {
            let mut w = RecordWriter::new(out);
            for s in stats {
                w.write(&Record::Stats(Box::new(s.clone())))?;
            }
        }
        Format::Table => {
            out.write_all(table(stats).as_bytes())?;
            out.flush()?;
        }
        Format::Csv => write_csv(out, stats)?,
        Format::Prometheus => {
            out.write_all(prometheus(stats).as_bytes())?;
            out.flush()?;
        }
    }
    Ok(())
}

fn group_label(s: &Stats) -> String {
    if s.group.is_empty() {
        "all".to_string()
    } else {
        s.group.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
    }
}

/// human formats milliseconds for people: `850ms`, `1.23s`.
pub fn human_ms(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2}s", ms / 1000.0)
    } else if ms >= 10.0 {
        format!("{ms:.0}ms")
    } else {
        format!("{ms:.2}ms")
    }
}

fn opt_ms(d: Option<&Distribution>, pick: fn(&Distribution) -> f64) -> String {
    d.map_or_else(|| "-".to_string(), |d| human_ms(pick(d)))
}

/// table renders an aligned table, then SLO verdicts and error classes.
pub fn table(stats: &[Stats]) -> String {
    let header = [
        "group", "reqs", "ok%", "p50", "p90", "p95", "p99", "max", "ttft p50", "ttft p95", "tpot p50", "tok/s",
        "$/req", "$ total",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for s in stats {
        let l = s.latency_ms.as_ref();
        rows.push(vec![
            group_label(s),
            s.requests.to_string(),
            format!("{:.1}", s.success_pct),
            opt_ms(l, |d| d.p50),
            opt_ms(l, |d| d.p90),
            opt_ms(l, |d| d.p95),
            opt_ms(l, |d| d.p99),
            opt_ms(l, |d| d.max),
            opt_ms(s.ttft_ms.as_ref(), |d| d.p50),
            opt_ms(s.ttft_ms.as_ref(), |d| d.p95),
            opt_ms(s.tpot_ms.as_ref(), |d| d.p50),
            s.output_tokens_per_s.as_ref().map_or("-".into(), |d| format!("{:.1}", d.mean)),
            format!("{:.5}", s.cost_usd_per_request),
            format!("{:.4}", s.cost_usd_total),
        ]);
    }
    let widths: Vec<usize> =
        (0..header.len()).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut text = String::new();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, v)| if c == 0 { format!("{v:<w$}", w = widths[c]) } else { format!("{v:>w$}", w = widths[c]) })
            .collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    for s in stats {
        for v in &s.slo {
            let observed = v.observed.map_or("nothing measured".to_string(), |o| format!("{o:.3}"));
            let verdict = if v.ok { "met" } else { "MISSED" };
            text.push_str(&format!(
                "slo [{}] {}: {} = {} (limit {}) {}\n",
                group_label(s),
                v.threshold,
                v.metric,
                observed,
                v.limit,
                verdict
            ));
        }
        for e in &s.errors {
            text.push_str(&format!("errors [{}] {}: {}\n", group_label(s), e.class, e.count));
        }
        for p in &s.top_failures {
            text.push_str(&format!("pattern [{}] {}x {}\n", group_label(s), p.count, p.pattern));
        }
    }
    text
}

const DIST_FIELDS: [&str; 10] = ["count", "min", "mean", "stddev", "p50", "p90", "p95", "p99", "p999", "max"];

fn dist_values(d: &Distribution) -> [f64; 10] {
    [d.count as f64, d.min, d.mean, d.stddev, d.p50, d.p90, d.p95, d.p99, d.p999, d.max]
}

fn dists(s: &Stats) -> [(&'static str, Option<&Distribution>); 7] {
    [
        ("latency_ms", s.latency_ms.as_ref()),
        ("service_ms", s.service_ms.as_ref()),
        ("ttft_ms", s.ttft_ms.as_ref()),
        ("ttft_any_ms", s.ttft_any_ms.as_ref()),
        ("tpot_ms", s.tpot_ms.as_ref()),
        ("itl_ms", s.itl_ms.as_ref()),
        ("output_tokens_per_s", s.output_tokens_per_s.as_ref()),
    ]
}

fn write_csv(out: &mut impl Write, stats: &[Stats]) -> Result<(), Error> {
    let mut group_keys: Vec<&String> = stats.iter().flat_map(|s| s.group.keys()).collect();
    group_keys.sort();
    group_keys.dedup();
    let mut w = csv::Writer::from_writer(out);
    let mut header: Vec<String> = group_keys.iter().map(|k| k.to_string()).collect();
    header.extend(["requests", "ok", "failed", "success_pct", "error_rate_pct"].map(String::from));
    for (name, _) in dists(&Stats::default()) {
        header.extend(DIST_FIELDS.iter().map(|f| format!("{name}_{f}")));
    }
    header.extend(
        [
            "input_tokens",
            "output_tokens",
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
            "cost_usd_total",
            "cost_usd_per_request",
            "slo_missed",
        ]
        .map(String::from),
    );
    w.write_record(&header).map_err(csv_err)?;
    for s in stats {
        let mut row: Vec<String> = group_keys.iter().map(|k| s.group.get(*k).cloned().unwrap_or_default()).collect();
        row.extend([
            s.requests.to_string(),
            s.ok.to_string(),
            s.failed.to_string(),
            s.success_pct.to_string(),
            s.error_rate_pct.to_string(),
        ]);
        for (_, d) in dists(s) {
            match d {
                Some(d) => row.extend(dist_values(d).iter().map(|v| v.to_string())),
                None => row.extend(std::iter::repeat_n(String::new(), DIST_FIELDS.len())),
            }
        }
        row.extend([
            s.tokens.input.to_string(),
            s.tokens.output.to_string(),
            s.tokens.cache_creation_input.to_string(),
            s.tokens.cache_read_input.to_string(),
            s.cost_usd_total.to_string(),
            s.cost_usd_per_request.to_string(),
            s.slo.iter().filter(|v| !v.ok).count().to_string(),
        ]);
        w.write_record(&row).map_err(csv_err)?;
    }
    w.flush()?;
    Ok(())
}

fn csv_err(e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::Io(io),
        other => Error::input(format!("csv: {other:?}")),
    }
}

/// family appends one metric family (HELP, TYPE, samples) unless it has no samples.
fn family(text: &mut String, kind: &str, name: &str, help: &str, samples: Vec<String>) {
    if samples.is_empty() {
        return;
    }
    text.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
    for s in samples {
        text.push_str(&s);
    }
}

use navikit::prom::escape_label;

fn labels(s: &Stats, extra: &[(&str, &str)]) -> String {
    let mut parts: Vec<String> =
        s.group.iter().map(|(k, v)| format!("{}=\"{}\"", sanitize_name(k), escape_label(v))).collect();
    // A run against a stand-in says so, as the check gauges do: alerts select `stand_in=""`.
    if !s.stand_ins.is_empty() {
        parts.push(format!("stand_in=\"{}\"", escape_label(&s.stand_ins.join(","))));
    }
    parts.extend(extra.iter().map(|(k, v)| format!("{k}=\"{}\"", escape_label(v))));
    if parts.is_empty() { String::new() } else { format!("{{{}}}", parts.join(",")) }
}

fn sanitize_name(k: &str) -> String {
    let mut n: String = k.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if n.starts_with(|c: char| c.is_ascii_digit()) {
        n.insert(0, '_');
    }
    n
}

/// prometheus renders the stats for the textfile collector; each metric
/// family appears once with its HELP and TYPE, as the exposition format
/// requires. Distributions are `summary` families (quantiles, `_sum`,
/// `_count`), everything else a gauge: one run's numbers are not counters
/// (they do not only go up), so no gauge carries a `_total` suffix.
pub fn prometheus(stats: &[Stats]) -> String {
    let mut text = String::new();
    family(
        &mut text,
        "gauge",
        "navi_probe_requests",
        "Requests summarised (warm-up excluded).",
        stats.iter().map(|s| format!("navi_probe_requests{} {}\n", labels(s, &[]), s.requests)).collect(),
    );
    family(
        &mut text,
        "gauge",
        "navi_probe_failed",
        "Failed requests.",
        stats.iter().map(|s| format!("navi_probe_failed{} {}\n", labels(s, &[]), s.failed)).collect(),
    );
    family(
        &mut text,
        "gauge",
        "navi_probe_success_ratio",
        "Successful requests / requests.",
        stats
            .iter()
            .map(|s| format!("navi_probe_success_ratio{} {}\n", labels(s, &[]), s.success_pct / 100.0))
            .collect(),
    );
    for (name, pick) in [("latency", 0usize), ("ttft", 2), ("tpot", 4), ("itl", 5)] {
        let metric = format!("navi_probe_{name}_seconds");
        let mut samples = Vec::new();
        for s in stats {
            if let Some(d) = dists(s)[pick].1 {
                for (q, v) in
                    [("0.5", d.p50), ("0.9", d.p90), ("0.95", d.p95), ("0.99", d.p99), ("0.999", d.p999), ("1", d.max)]
                {
                    samples.push(format!("{metric}{} {}\n", labels(s, &[("quantile", q)]), v / 1000.0));
                }
                let sum = d.mean * d.count as f64 / 1000.0;
                samples.push(format!("{metric}_sum{} {sum}\n", labels(s, &[])));
                samples.push(format!("{metric}_count{} {}\n", labels(s, &[]), d.count));
            }
        }
        let help = format!("{name} in seconds (quantiles from an HDR histogram, 3 significant digits).");
        family(&mut text, "summary", &metric, &help, samples);
    }
    family(
        &mut text,
        "gauge",
        "navi_probe_output_tokens_per_second",
        "Mean output tokens per second per request.",
        stats
            .iter()
            .filter_map(|s| {
                s.output_tokens_per_s
                    .as_ref()
                    .map(|d| format!("navi_probe_output_tokens_per_second{} {}\n", labels(s, &[]), d.mean))
            })
            .collect(),
    );
    family(
        &mut text,
        "gauge",
        "navi_probe_cost_usd",
        "Cost of the requests summarised, in US dollars.",
        stats.iter().map(|s| format!("navi_probe_cost_usd{} {}\n", labels(s, &[]), s.cost_usd_total)).collect(),
    );
    family(
        &mut text,
        "gauge",
        "navi_probe_cost_usd_per_request",
        "Cost per request in US dollars.",
        stats
            .iter()
            .map(|s| format!("navi_probe_cost_usd_per_request{} {}\n", labels(s, &[]), s.cost_usd_per_request))
            .collect(),
    );
    family(
        &mut text,
        "gauge",
        "navi_probe_slo_ok",
        "1 when the threshold was met, 0 when missed.",
        stats
            .iter()
            .flat_map(|s| {
                s.slo.iter().map(move |v| {
                    format!("navi_probe_slo_ok{} {}\n", labels(s, &[("threshold", &v.threshold)]), u8::from(v.ok))
                })
            })
            .collect(),
    );
    family(
        &mut text,
        "gauge",
        "navi_probe_errors",
        "Failed requests per error class.",
        stats
            .iter()
            .flat_map(|s| {
                s.errors
                    .iter()
                    .map(move |e| format!("navi_probe_errors{} {}\n", labels(s, &[("class", &e.class)]), e.count))
            })
            .collect(),
    );
    text
}
