//! Check records as Prometheus gauges for node_exporter's textfile
//! collector: one gauge per check (0 pass, 1 warn, 2 fail, 3 error, 4 skip: could not look)
//! with a `stand_in` label when the verdict is about a stand-in, and the
//! time of the run, so alerts can fire on a status or a stale monitor.

use std::collections::BTreeMap;
use std::fmt::Write;

use navikit::record::{CheckStatus, Record};

fn esc(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// render returns the exposition text and whether any check failed.
pub fn render(records: &[Record]) -> (String, bool) {
    let mut latest: BTreeMap<(String, String, String), (CheckStatus, String)> = BTreeMap::new();
    for r in records {
        if let Record::Check(c) = r {
            let stand_in = c.stand_in.clone().unwrap_or_default();
            latest.insert((c.tool.clone(), c.check.clone(), c.target.clone()), (c.status, stand_in));
        }
    }
    let mut out = String::from(
        "# HELP navi_check_status Last verdict of each check: 0 pass, 1 warn, 2 fail, 3 error, 4 skip.\n# TYPE navi_check_status gauge\n",
    );
    let mut failed = false;
    for ((tool, check, target), (status, stand_in)) in &latest {
        let v = match status {
            CheckStatus::Pass => 0,
            CheckStatus::Warn => 1,
            CheckStatus::Fail => 2,
            CheckStatus::Error => 3,
            CheckStatus::Skip => 4,
        };
        failed |= !matches!(status, CheckStatus::Pass | CheckStatus::Warn);
        let _ = writeln!(
            out,
            "navi_check_status{{tool=\"{}\",check=\"{}\",target=\"{}\",stand_in=\"{}\"}} {v}",
            esc(tool),
            esc(check),
            esc(target),
            esc(stand_in)
        );
    }
    failed |= latest.is_empty();
    let _ = writeln!(
        out,
        "# HELP navi_checks_last_run_timestamp_seconds When these checks last ran.\n# TYPE navi_checks_last_run_timestamp_seconds gauge\nnavi_checks_last_run_timestamp_seconds {}",
        chrono::Utc::now().timestamp()
    );
    (out, failed)
}
