//! Check records as Prometheus gauges for node_exporter's textfile
//! collector: one gauge per check (0 pass, 1 warn, 2 fail, 3 error) and the
//! time of the run, so alerts can fire on a status or a stale monitor.

use std::collections::BTreeMap;
use std::fmt::Write;

use navikit::record::{CheckStatus, Record};

fn esc(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// render returns the exposition text and whether any check failed.
pub fn render(records: &[Record]) -> (String, bool) {
    let mut latest: BTreeMap<(String, String, String), CheckStatus> = BTreeMap::new();
    for r in records {
        if let Record::Check(c) = r {
            latest.insert((c.tool.clone(), c.check.clone(), c.target.clone()), c.status);
        }
    }
    let mut out = String::from(
        "# HELP navi_check_status Last verdict of each check: 0 pass, 1 warn, 2 fail, 3 error.\n# TYPE navi_check_status gauge\n",
    );
    let mut failed = false;
    for ((tool, check, target), status) in &latest {
        let v = match status {
            CheckStatus::Pass => 0,
            CheckStatus::Warn => 1,
            CheckStatus::Fail => 2,
            CheckStatus::Error => 3,
        };
        failed |= status.fails(false);
        let _ = writeln!(
            out,
            "navi_check_status{{tool=\"{}\",check=\"{}\",target=\"{}\"}} {v}",
            esc(tool),
            esc(check),
            esc(target)
        );
    }
    let _ = writeln!(
        out,
        "# HELP navi_checks_last_run_timestamp_seconds When these checks last ran.\n# TYPE navi_checks_last_run_timestamp_seconds gauge\nnavi_checks_last_run_timestamp_seconds {}",
        chrono::Utc::now().timestamp()
    );
    (out, failed)
}
