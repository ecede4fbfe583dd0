//! The regression verdict's section of PERFORMANCE_BENCHMARKS.md, from
//! `latency-stats --baseline`'s `stats.compare.*` records: per group, each
//! metric's baseline, current value, change, interval and verdict, and both
//! runs' percentiles on one chart.

use std::collections::BTreeMap;
use std::fmt::Write;

use navikit::record::{Check, CheckStatus, Record};
use serde_json::Value;

use crate::benchmarks::CHART_THEME;

/// PREFIX opens every comparison record's check name.
const PREFIX: &str = "stats.compare.";

/// section renders the comparison records, if any; the bool says whether a metric regressed.
pub fn section(records: &[Record]) -> Option<(String, bool)> {
    let mut groups: BTreeMap<&str, Vec<&Check>> = BTreeMap::new();
    for r in records {
        if let Record::Check(c) = r
            && c.check.starts_with(PREFIX)
        {
            groups.entry(c.target.as_str()).or_default().push(c);
        }
    }
    if groups.is_empty() {
        return None;
    }
    let regressed = groups.values().flatten().any(|c| c.status == CheckStatus::Fail);
    let skipped = groups.values().flatten().filter(|c| c.status == CheckStatus::Skip).count();
    let judged = groups.values().flatten().any(|c| c.status != CheckStatus::Skip);
    let mut md = String::from("## Compared with the baseline\n\n");
    let headline = match (regressed, judged) {
        (true, _) => "❌ **Regressed**: at least one metric is significantly and materially worse.".to_string(),
        (false, false) => "⚠️ **Nothing could be compared**: no metric was judged (see the reasons below).".to_string(),
        (false, true) if skipped > 0 => {
            format!("No metric regressed; {skipped} could not be judged (see the reasons below).")
        }
        (false, true) => "✅ No metric regressed.".to_string(),
    };
    let _ = writeln!(md, "{headline}\n");
    if let Some(s) = groups.values().flatten().find_map(|c| c.stand_in.as_deref()) {
        let _ =
            writeln!(md, "**Stand-in:** these runs measured a stand-in that declared itself ({}).\n", crate::cell(s));
    }
    for (group, checks) in &groups {
        let _ = writeln!(md, "### {}\n", crate::cell(group));
        let _ = writeln!(
            md,
            "| metric | baseline | current | change | interval | tolerance | verdict |\n|---|---:|---:|---:|---|---:|---|"
        );
        for c in checks {
            let metric = c.check.trim_start_matches(PREFIX);
            let Some(o) = &c.observed else {
                let _ = writeln!(md, "| {} | | | | | | skip: {} |", crate::cell(metric), crate::cell(&c.message));
                continue;
            };
            let num = |k: &str| o.get(k).and_then(Value::as_f64);
            let interval = o
                .get("interval")
                .and_then(Value::as_array)
                .and_then(|a| Some(format!("[{}, {}]", a.first()?, a.get(1)?)))
                .unwrap_or_else(|| "–".to_string());
            let change = match num("delta_pct") {
                Some(p) if !metric.ends_with("_pct") => format!("{:+} ({p:+.1} %)", num("delta").unwrap_or(0.0)),
                _ => format!("{:+}", num("delta").unwrap_or(0.0)),
            };
            let tol = c.expected.as_ref().and_then(|e| e.get("tolerance")).and_then(Value::as_f64).unwrap_or(0.0);
            let verdict = o.get("verdict").and_then(Value::as_str).unwrap_or("");
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {}{} | {}{} |",
                crate::cell(metric),
                num("baseline").unwrap_or(0.0),
                num("current").unwrap_or(0.0),
                change,
                interval,
                tol,
                if metric.ends_with("_pct") { " pts" } else { " %" },
                if c.status == CheckStatus::Fail { "❌ " } else { "" },
                crate::cell(verdict)
            );
        }
        let pick = |name: &str, key: &str| {
            checks
                .iter()
                .find(|c| c.check == format!("{PREFIX}latency_ms.{name}"))
                .and_then(|c| c.observed.as_ref()?.get(key)?.as_f64())
        };
        let qs = ["p50", "p95", "p99"];
        let (b, n): (Vec<Option<f64>>, Vec<Option<f64>>) =
            qs.iter().map(|q| (pick(q, "baseline"), pick(q, "current"))).unzip();
        if b.iter().chain(&n).all(Option::is_some) {
            let fmt = |v: &[Option<f64>]| v.iter().flatten().map(|x| format!("{x:.0}")).collect::<Vec<_>>().join(", ");
            let top = b.iter().chain(&n).flatten().fold(0.0, |a: f64, x| a.max(*x));
            let _ = writeln!(
                md,
                "\n```mermaid\n{CHART_THEME}\nxychart-beta\n    title \"Latency percentiles (ms): first line the baseline, second the current run\"\n    x-axis [\"p50\", \"p95\", \"p99\"]\n    y-axis \"ms\" 0 --> {:.0}\n    line [{}]\n    line [{}]\n```\n",
                top * 1.1 + 1.0,
                fmt(&b),
                fmt(&n)
            );
        }
    }
    let _ = writeln!(
        md,
        "_Verdicts by latency-stats: a rank bootstrap on the HDR histograms for percentiles, Newcombe's interval for the success rate, Bonferroni-adjusted to 95 % over the metrics; a change counts when its interval excludes no change and it is beyond the tolerance._\n"
    );
    Some((md, regressed || !judged))
}
