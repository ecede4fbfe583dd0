//! The capacity search's section of PERFORMANCE_BENCHMARKS.md, from
//! `llm-probe search`'s `llm.capacity` record: the sustainable rate with its
//! bracket, why the first failing step failed, every step in a table, and
//! the latency–throughput curve with the target line.

use std::fmt::Write;

use navikit::record::{Check, Record};
use serde_json::Value;

use crate::benchmarks::CHART_THEME;

/// CHECK is llm-probe's capacity record.
const CHECK: &str = "llm.capacity";

fn f(v: &Value, key: &str) -> Option<f64> {
    v.get(key).and_then(Value::as_f64)
}

/// section renders the newest capacity search in the records, if any.
pub fn section(records: &[Record]) -> Option<String> {
    let c: &Check = records
        .iter()
        .filter_map(|r| if let Record::Check(c) = r { Some(c) } else { None })
        .filter(|c| c.check == CHECK)
        .max_by_key(|c| c.ts)?;
    let obs = c.observed.as_ref()?;
    let curve: Vec<&Value> = obs.get("curve").and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default();
    let mut steps = curve.clone();
    steps.sort_by(|a, b| f(a, "rate").unwrap_or(0.0).total_cmp(&f(b, "rate").unwrap_or(0.0)));
    let targets: Vec<String> = c
        .expected
        .as_ref()
        .and_then(|e| e.get("thresholds"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(|t| format!("`{}`", crate::cell(t))).collect())
        .unwrap_or_default();
    let mut md = String::from("## Capacity\n\n");
    if let Some(s) = &c.stand_in {
        let _ = writeln!(
            md,
            "**Stand-in:** the search ran against a stand-in that declared itself ({}); the rate is the stand-in's, not the service's.\n",
            crate::cell(s)
        );
    }
    let _ = writeln!(md, "| search | |\n|---|---|");
    let _ = writeln!(md, "| verdict | {} ({}) |", c.status.as_str(), crate::cell(&c.message));
    let _ = writeln!(md, "| targets held at every passing step | {} |", targets.join(", "));
    let rate = |k: &str| f(obs, k).map_or("–".to_string(), |v| format!("{v} req/s"));
    let _ = writeln!(md, "| sustainable rate | {} |", rate("sustainable_rps"));
    let _ = writeln!(
        md,
        "| bracket | highest passing {}, lowest failing {} |",
        rate("highest_pass_rps"),
        rate("lowest_fail_rps")
    );
    if let Some(why) = obs.get("first_failure").and_then(Value::as_str) {
        let _ = writeln!(md, "| first failing step | {} |", crate::cell(why));
    }
    let _ = writeln!(
        md,
        "| steps | {} steps, {} requests, at least {} per step |\n",
        f(obs, "steps").unwrap_or(0.0),
        f(obs, "requests").unwrap_or(0.0),
        f(obs, "min_requests_per_step").unwrap_or(0.0)
    );
    let knee = f(obs, "highest_pass_rps");
    let _ = writeln!(
        md,
        "| offered req/s | achieved req/s | p50 | p95 | p99 | success | |\n|---:|---:|---:|---:|---:|---:|---|"
    );
    for s in &steps {
        let ms = |k: &str| f(s, k).map_or("–".into(), |v| format!("{v:.0} ms"));
        let mark = match (s.get("passed").and_then(Value::as_bool), f(s, "rate") == knee) {
            (Some(true), true) => "✅ knee",
            (Some(true), false) => "✅",
            _ => "❌",
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {:.2} % | {mark} |",
            f(s, "rate").unwrap_or(0.0),
            f(s, "achieved_rps").unwrap_or(0.0),
            ms("p50_ms"),
            ms("p95_ms"),
            ms("p99_ms"),
            f(s, "success_pct").unwrap_or(0.0)
        );
    }
    let plotted: Vec<&&Value> = steps.iter().filter(|s| f(s, "p95_ms").is_some()).collect();
    if plotted.len() >= 2 {
        let series =
            |k: &str| plotted.iter().map(|s| format!("{:.0}", f(s, k).unwrap_or(0.0))).collect::<Vec<_>>().join(", ");
        let top = plotted.iter().filter_map(|s| f(s, "p99_ms")).fold(0.0, f64::max);
        let labels = plotted
            .iter()
            .map(|s| format!("\"{:.1}\"", f(s, "achieved_rps").unwrap_or(0.0)))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            md,
            "\n```mermaid\n{CHART_THEME}\nxychart-beta\n    title \"Latency against achieved throughput (lines from the bottom: p50, p95, p99 in ms)\"\n    x-axis \"achieved req/s\" [{labels}]\n    y-axis \"latency (ms)\" 0 --> {:.0}\n    line [{}]\n    line [{}]\n    line [{}]\n```\n",
            top * 1.1 + 1.0,
            series("p50_ms"),
            series("p95_ms"),
            series("p99_ms")
        );
    }
    let _ = writeln!(
        md,
        "\n_Open-loop steps, latency counted from each request's intended send (coordinated omission corrected); rates double until a step misses a target, then the bracket is bisected. Reproduce a step's verdict with `latency-stats --by step,rate`._\n"
    );
    Some(md)
}
