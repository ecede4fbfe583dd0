//! Check records as Prometheus gauges for node_exporter's textfile
//! collector: one gauge per check (0 pass, 1 warn, 2 fail, 3 error, 4 skip: could not look)
//! with a `stand_in` label when the verdict is about a stand-in, and the
//! time of the run, so alerts can fire on a status or a stale monitor; and
//! what a check observed when that is a number (connections, rows,
//! restarts), so dashboards can draw it over time.

use std::collections::BTreeMap;
use std::fmt::Write;

use navikit::record::{CheckStatus, Record};

use navikit::prom::escape_label as esc;

/// numbers are the finite numbers a check observed: the value itself (field
/// ``), or the number fields of an object (`connect_ms`, `pct`, ...).
fn numbers(observed: Option<&serde_json::Value>) -> Vec<(String, f64)> {
    match observed {
        Some(serde_json::Value::Number(n)) => {
            n.as_f64().filter(|v| v.is_finite()).map(|v| (String::new(), v)).into_iter().collect()
        }
        Some(serde_json::Value::Object(m)) => {
            m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_f64().filter(|v| v.is_finite())?))).collect()
        }
        _ => Vec::new(),
    }
}

/// render returns the exposition text and whether any check failed.
pub fn render(records: &[Record]) -> (String, bool) {
    type Key = (String, String, String);
    type Latest = (CheckStatus, String, Vec<(String, f64)>);
    // The newest verdict by its time, whatever order the files came in.
    let mut newest: BTreeMap<Key, &navikit::record::Check> = BTreeMap::new();
    for r in records {
        if let Record::Check(c) = r {
            let key = (c.tool.clone(), c.check.clone(), c.target.clone());
            if newest.get(&key).is_none_or(|seen| seen.ts <= c.ts) {
                newest.insert(key, c);
            }
        }
    }
    let latest: BTreeMap<Key, Latest> = newest
        .into_iter()
        .map(|(k, c)| (k, (c.status, c.stand_in.clone().unwrap_or_default(), numbers(c.observed.as_ref()))))
        .collect();
    let labels = |(tool, check, target): &Key, stand_in: &str| {
        format!(
            "tool=\"{}\",check=\"{}\",target=\"{}\",stand_in=\"{}\"",
            esc(tool),
            esc(check),
            esc(target),
            esc(stand_in)
        )
    };
    let mut out = String::from(
        "# HELP navi_check_status Last verdict of each check: 0 pass, 1 warn, 2 fail, 3 error, 4 skip.\n# TYPE navi_check_status gauge\n",
    );
    let mut failed = false;
    for (key, (status, stand_in, _)) in &latest {
        let v = match status {
            CheckStatus::Pass => 0,
            CheckStatus::Warn => 1,
            CheckStatus::Fail => 2,
            CheckStatus::Error => 3,
            CheckStatus::Skip => 4,
        };
        failed |= !matches!(status, CheckStatus::Pass | CheckStatus::Warn);
        let _ = writeln!(out, "navi_check_status{{{}}} {v}", labels(key, stand_in));
    }
    if latest.values().any(|(.., o)| !o.is_empty()) {
        out.push_str("# HELP navi_check_observed What a check observed, when it is a number (or a number field of it: `field`).\n# TYPE navi_check_observed gauge\n");
        for (key, (_, stand_in, observed)) in &latest {
            for (field, v) in observed {
                let _ = writeln!(out, "navi_check_observed{{{},field=\"{}\"}} {v}", labels(key, stand_in), esc(field));
            }
        }
    }
    failed |= latest.is_empty();
    let _ = writeln!(
        out,
        "# HELP navi_checks_last_run_timestamp_seconds When these checks last ran.\n# TYPE navi_checks_last_run_timestamp_seconds gauge\nnavi_checks_last_run_timestamp_seconds {}",
        chrono::Utc::now().timestamp()
    );
    (out, failed)
}
