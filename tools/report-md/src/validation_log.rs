//! docs/staging_validation_log.md in the plan's format: a `## Saturday,
//! Feb 11` heading per day (added once), a `- 10:00 - …` line per run with
//! its pass/warn/fail counts, and a line per failing or warning check.
//! Appends only, under an exclusive file lock, so concurrent cron runs
//! never interleave or truncate.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use navikit::Error;
use navikit::record::{CheckStatus, Record};

const TITLE: &str = "# Staging Validation Log\n";

/// entry renders one run's lines (without the day heading).
pub fn entry(records: &[Record], at: DateTime<Utc>) -> (String, bool) {
    let time = at.format("%H:%M");
    let checks: Vec<_> = records.iter().filter_map(|r| if let Record::Check(c) = r { Some(c) } else { None }).collect();
    let count = |s: CheckStatus| checks.iter().filter(|c| c.status == s).count();
    let (pass, warn, fail, error) =
        (count(CheckStatus::Pass), count(CheckStatus::Warn), count(CheckStatus::Fail), count(CheckStatus::Error));
    let mut tools: Vec<&str> = checks.iter().map(|c| c.tool.as_str()).collect();
    tools.sort_unstable();
    tools.dedup();
    let verdict = if fail + error > 0 {
        "issues found"
    } else if warn > 0 {
        "healthy, with warnings"
    } else {
        "all checks passed"
    };
    let mut text = format!(
        "- {time} - {verdict}: {} checks ({pass} pass, {warn} warn, {fail} fail, {error} error) from {}\n",
        checks.len(),
        if tools.is_empty() { "no tool".to_string() } else { tools.join(", ") }
    );
    for c in checks.iter().filter(|c| c.status != CheckStatus::Pass) {
        let msg = navikit::redact::redact_text(&c.message).replace('\n', " ");
        text.push_str(&format!("- {time} - {} {}: {msg}\n", c.status.as_str().to_uppercase(), c.check));
    }
    (text, fail + error > 0)
}

/// heading is the plan's day heading, e.g. `## Saturday, Feb 11`.
pub fn heading(at: DateTime<Utc>) -> String {
    format!("## {}", at.format("%A, %b %-d"))
}

/// append adds one run to the log and says whether a check failed.
pub fn append(path: &Path, records: &[Record], at: DateTime<Utc>) -> Result<bool, Error> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::input(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut f = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| Error::input(format!("cannot open {}: {e}", path.display())))?;
    // One writer at a time: two cron runs must not interleave their lines.
    f.lock().map_err(|e| Error::input(format!("cannot lock {}: {e}", path.display())))?;
    let mut existing = String::new();
    f.seek(SeekFrom::Start(0))?;
    f.read_to_string(&mut existing)?;
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
    let (lines, failed) = entry(records, at);
    text.push_str(&lines);
    f.write_all(text.as_bytes())?;
    f.flush()?;
    f.unlock()?;
    Ok(failed)
}
