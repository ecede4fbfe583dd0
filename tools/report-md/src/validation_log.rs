//! docs/staging_validation_log.md in the plan's format: a `## Saturday,
//! Feb 11` heading per day (added once), a `- 10:00 - …` line per run with
//! its pass/warn/fail/error/skip counts, and a line per check that did not
//! pass. A run is logged at the time of its records (the earliest `ts`), not
//! the time of logging. A run with no verdict says so and fails; skipped
//! checks are listed as not validated. Appends only, under an exclusive file
//! lock, so concurrent cron runs never interleave or truncate.

use std::path::Path;

use chrono::{DateTime, Utc};
use navikit::Error;
use navikit::record::{Check, CheckStatus, Record};

const TITLE: &str = "# Staging Validation Log\n";

/// Logged is what one appended run found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Logged {
    /// Checks in the run.
    pub checks: usize,
    /// Checks that failed or errored.
    pub failed: usize,
    /// Checks that could not look.
    pub skipped: usize,
}

impl Logged {
    /// Logged::fails says whether the run fails: nothing checked, a failure,
    /// or (unless allowed) a check that could not look.
    pub fn fails(self, allow_skip: bool) -> bool {
        self.checks == 0 || self.failed > 0 || (self.skipped > 0 && !allow_skip)
    }
}

/// clean keeps a value on its line: secrets redacted, line breaks and
/// Markdown headings defused (a check name cannot forge a heading).
fn clean(s: &str) -> String {
    crate::one_line(s).replace('#', "\\#")
}

/// run_time is when the run happened: the earliest record's `ts`.
pub fn run_time(records: &[Record]) -> Option<DateTime<Utc>> {
    records.iter().map(Record::ts).min()
}

/// entry renders one run's lines (without the day heading).
pub fn entry(records: &[Record], at: DateTime<Utc>) -> (String, Logged) {
    let time = at.format("%H:%M");
    let checks: Vec<&Check> =
        records.iter().filter_map(|r| if let Record::Check(c) = r { Some(c) } else { None }).collect();
    let count = |s: CheckStatus| checks.iter().filter(|c| c.status == s).count();
    let [pass, warn, fail, error, skip] = CheckStatus::ALL.map(count);
    let mut tools: Vec<&str> = checks.iter().map(|c| c.tool.as_str()).collect();
    tools.sort_unstable();
    tools.dedup();
    let mut stand_ins: Vec<&str> = checks.iter().filter_map(|c| c.stand_in.as_deref()).collect();
    stand_ins.sort_unstable();
    stand_ins.dedup();
    let logged = Logged { checks: checks.len(), failed: fail + error, skipped: skip };
    let verdict = if checks.is_empty() {
        "no verdicts: the run produced no check records (a tool died or was not run); nothing was validated".to_string()
    } else if fail + error > 0 {
        "issues found".to_string()
    } else if skip > 0 {
        let whys: Vec<String> = checks
            .iter()
            .filter(|c| c.status == CheckStatus::Skip)
            .map(|c| clean(&c.message))
            .fold(Vec::new(), |mut v, m| {
                if !v.contains(&m) {
                    v.push(m);
                }
                v
            });
        format!("not validated: {skip} skipped ({})", whys.join("; "))
    } else if !stand_ins.is_empty() {
        "passed on stand-ins only: the real environment was not validated".to_string()
    } else if warn > 0 {
        "healthy, with warnings".to_string()
    } else {
        "all checks passed".to_string()
    };
    let mut text = if checks.is_empty() {
        format!("- {time} - {verdict}\n")
    } else {
        format!(
            "- {time} - {verdict}: {} checks ({pass} pass, {warn} warn, {fail} fail, {error} error, {skip} skip) from {}\n",
            checks.len(),
            clean(&tools.join(", "))
        )
    };
    if !stand_ins.is_empty() {
        text.push_str(&format!(
            "- {time} - STAND-IN: these verdicts are about stand-ins ({}), not the real staging environment\n",
            clean(&stand_ins.join(", "))
        ));
    }
    for c in checks.iter().filter(|c| c.status != CheckStatus::Pass) {
        text.push_str(&format!(
            "- {time} - {} {}: {}\n",
            c.status.as_str().to_uppercase(),
            clean(&c.check),
            clean(&c.message)
        ));
    }
    (text, logged)
}

/// heading is the plan's day heading, e.g. `## Saturday, Feb 11`.
pub fn heading(at: DateTime<Utc>) -> String {
    format!("## {}", at.format("%A, %b %-d"))
}

/// append adds one run to the log at `at` (default: the run's own time).
pub fn append(path: &Path, records: &[Record], at: Option<DateTime<Utc>>) -> Result<Logged, Error> {
    let at = at.or_else(|| run_time(records)).unwrap_or_else(Utc::now);
    let (lines, logged) = entry(records, at);
    crate::append_locked(path, |existing| {
        let head = heading(at);
        let mut text = String::new();
        if existing.is_empty() {
            text.push_str(TITLE);
        } else if !existing.ends_with('\n') {
            text.push('\n');
        }
        // A day's heading is written once; later runs of that day go under it
        // only while it is the last heading (otherwise the day is written again,
        // so no line ever lands under another day).
        let last_heading = existing.lines().rev().find(|l| l.starts_with("## "));
        if last_heading != Some(head.as_str()) {
            text.push_str(&format!("\n{head}\n"));
        }
        text.push_str(&lines);
        Some(text)
    })?;
    Ok(logged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-02-11T10:00:00Z").expect("time").with_timezone(&Utc)
    }

    fn check(status: CheckStatus, name: &str) -> Record {
        let mut c = Check::new("pg-check", name, "t", status, format!("{name} said so"));
        c.ts = at();
        Record::Check(c)
    }

    #[test]
    fn a_run_fails_on_nothing_checked_a_failure_or_an_unallowed_skip() {
        let l = |checks, failed, skipped| Logged { checks, failed, skipped };
        assert!(l(0, 0, 0).fails(true));
        assert!(l(3, 1, 0).fails(true));
        assert!(l(3, 0, 1).fails(false));
        assert!(!l(3, 0, 1).fails(true));
        assert!(!l(3, 0, 0).fails(false));
    }

    #[test]
    fn the_entry_counts_every_status_and_lists_what_did_not_pass() {
        let all = [
            check(CheckStatus::Pass, "pg.connect"),
            check(CheckStatus::Warn, "pg.a"),
            check(CheckStatus::Fail, "pg.b"),
            check(CheckStatus::Error, "pg.c"),
            check(CheckStatus::Error, "pg.d"),
            check(CheckStatus::Skip, "pg.e"),
        ];
        let (text, logged) = entry(&all, at());
        assert_eq!(logged, Logged { checks: 6, failed: 3, skipped: 1 });
        assert_eq!(
            text,
            "- 10:00 - issues found: 6 checks (1 pass, 1 warn, 1 fail, 2 error, 1 skip) from pg-check\n\
             - 10:00 - WARN pg.a: pg.a said so\n- 10:00 - FAIL pg.b: pg.b said so\n\
             - 10:00 - ERROR pg.c: pg.c said so\n- 10:00 - ERROR pg.d: pg.d said so\n\
             - 10:00 - SKIP pg.e: pg.e said so\n"
        );
    }

    #[test]
    fn each_verdict_says_what_the_run_showed() {
        let first = |records: &[Record]| entry(records, at()).0.lines().next().unwrap_or_default().to_string();
        assert_eq!(
            first(&[check(CheckStatus::Pass, "a"), check(CheckStatus::Skip, "b")]),
            "- 10:00 - not validated: 1 skipped (b said so): 2 checks (1 pass, 0 warn, 0 fail, 0 error, 1 skip) from pg-check"
        );
        assert!(
            first(&[check(CheckStatus::Pass, "a"), check(CheckStatus::Warn, "b")])
                .starts_with("- 10:00 - healthy, with warnings: 2 checks")
        );
        assert!(first(&[check(CheckStatus::Pass, "a")]).starts_with("- 10:00 - all checks passed: 1 checks"));
        let mut stand_in = Check::new("pg-check", "a", "t", CheckStatus::Pass, "ok");
        stand_in.stand_in = Some("demo".into());
        let (text, _) = entry(&[Record::Check(stand_in)], at());
        assert!(
            text.starts_with("- 10:00 - passed on stand-ins only: the real environment was not validated: 1 checks"),
            "{text}"
        );
        assert!(text.contains("STAND-IN: these verdicts are about stand-ins (demo)"), "{text}");
        assert_eq!(
            entry(&[], at()).0,
            "- 10:00 - no verdicts: the run produced no check records (a tool died or was not run); nothing was validated\n"
        );
    }

    #[test]
    fn appending_to_a_log_without_a_final_newline_starts_a_new_line() {
        let dir = std::env::temp_dir().join(format!("vlog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let log = dir.join("log.md");
        std::fs::write(&log, "# Staging Validation Log\n\n## Wednesday, Feb 11\n- 09:00 - earlier").expect("write");
        append(&log, &[check(CheckStatus::Pass, "a")], None).expect("append");
        let text = std::fs::read_to_string(&log).expect("read");
        assert_eq!(
            text,
            "# Staging Validation Log\n\n## Wednesday, Feb 11\n- 09:00 - earlier\n- 10:00 - all checks passed: 1 checks (1 pass, 0 warn, 0 fail, 0 error, 0 skip) from pg-check\n"
        );
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
