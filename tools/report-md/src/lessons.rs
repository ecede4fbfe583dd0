//! docs/week1_lessons_learned.md from the week's record files: every check
//! that did not pass, grouped by check and target with when it was first and
//! last seen and whether a later pass resolved it; the probe runs' top
//! failure patterns; which of the plan's escalation paths were triggered,
//! with their evidence; and what is still open, as the Week 2 priorities.
//!
//! A check's story is its verdicts in time order: resolved means its latest
//! verdict is a pass after earlier trouble; anything else is open (a `skip`
//! included: nothing proved it holds). Evidence from a stand-in is labelled.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{DateTime, Utc};
use navikit::record::{Check, CheckStatus, Record, Stats};

use crate::cell;

/// Story is one check on one target across the week.
struct Story<'a> {
    check: &'a str,
    target: &'a str,
    first_trouble: &'a Check,
    /// The first trouble after the last pass: when the current state began.
    since: &'a Check,
    last_trouble: &'a Check,
    latest: &'a Check,
    troubles: usize,
}

impl Story<'_> {
    /// resolved: the latest verdict passed, and a stand-in's pass never
    /// settles trouble seen on the real thing.
    fn resolved(&self) -> bool {
        self.latest.status == CheckStatus::Pass
            && (self.latest.stand_in.is_none() || self.last_trouble.stand_in.is_some())
    }
}

/// STAND_IN_NOTE opens the note on a line whose evidence came from a stand-in.
pub const STAND_IN_NOTE: &str = " (stand-in: ";

fn when(t: DateTime<Utc>) -> String {
    t.format("%a %b %-d %H:%M").to_string()
}

fn stand_in_note(c: &Check) -> String {
    c.stand_in.as_deref().map(|s| format!("{STAND_IN_NOTE}{})", cell(s))).unwrap_or_default()
}

/// stories groups the check records by (check, target), in time order, and
/// keeps those that ever did not pass.
fn stories(records: &[Record]) -> Vec<Story<'_>> {
    let mut by: BTreeMap<(&str, &str), Vec<&Check>> = BTreeMap::new();
    for r in records {
        if let Record::Check(c) = r {
            by.entry((c.check.as_str(), c.target.as_str())).or_default().push(c);
        }
    }
    let mut out = Vec::new();
    for ((check, target), mut checks) in by {
        checks.sort_by_key(|c| c.ts);
        let troubles: Vec<&&Check> = checks.iter().filter(|c| c.status != CheckStatus::Pass).collect();
        let (Some(first), Some(last), Some(latest)) = (troubles.first(), troubles.last(), checks.last()) else {
            continue;
        };
        let last_pass = checks.iter().rposition(|c| c.status == CheckStatus::Pass);
        let since = checks.get(last_pass.map_or(0, |i| i + 1)).copied().unwrap_or(latest);
        out.push(Story {
            check,
            target,
            first_trouble: first,
            since,
            last_trouble: last,
            latest,
            troubles: troubles.len(),
        });
    }
    out
}

/// Escalation is one of the plan's escalation paths and what triggered it.
struct Escalation {
    path: &'static str,
    evidence: Vec<String>,
}

fn escalations(records: &[Record], stories: &[Story<'_>]) -> Vec<Escalation> {
    let mut slo = Vec::new();
    for r in records {
        if let Record::Stats(s) = r {
            for v in s.slo.iter().filter(|v| v.escalation && !v.ok) {
                let observed = v.observed.map_or("nothing".to_string(), |o| format!("{o:.2}"));
                slo.push(format!(
                    "`{}` missed: observed {observed}, run of {} at {}{}",
                    cell(&v.threshold),
                    s.requests,
                    s.first_ts.map_or("?".to_string(), when),
                    if s.stand_ins.is_empty() {
                        String::new()
                    } else {
                        format!("{STAND_IN_NOTE}{})", cell(&s.stand_ins.join(", ")))
                    }
                ));
            }
        }
    }
    let blocked = |prefixes: &[&str]| -> Vec<String> {
        stories
            .iter()
            .filter(|s| !s.resolved() && prefixes.iter().any(|p| s.check.starts_with(p)))
            .filter(|s| matches!(s.latest.status, CheckStatus::Fail | CheckStatus::Error))
            .map(|s| {
                format!(
                    "`{}` {}: {}{}",
                    cell(s.check),
                    s.latest.status.as_str(),
                    cell(&s.latest.message),
                    stand_in_note(s.latest)
                )
            })
            .collect()
    };
    vec![
        Escalation {
            path: "Success rate or latency past the escalation line (< 95 % success, p95 > 8 s)",
            evidence: slo,
        },
        Escalation {
            path: "Deployment blocked",
            evidence: blocked(&["k8s.rollout.", "k8s.pods.", "k8s.init.", "k8s.replicas."]),
        },
        Escalation { path: "Database blocked", evidence: blocked(&["pg.connect", "pg.alembic.", "pg.tables."]) },
    ]
}

/// top_patterns merges the overall stats' failure patterns across runs.
fn top_patterns(records: &[Record]) -> Vec<(String, String, u64)> {
    let mut merged: BTreeMap<(String, String), u64> = BTreeMap::new();
    for r in records {
        if let Record::Stats(s) = r
            && s.group.is_empty()
        {
            for p in &s.top_failures {
                *merged.entry((p.class.clone(), p.pattern.clone())).or_default() += p.count;
            }
        }
    }
    let mut v: Vec<(String, String, u64)> = merged.into_iter().map(|((c, p), n)| (c, p, n)).collect();
    v.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.1.cmp(&b.1)));
    v.truncate(5);
    v
}

fn probe_runs(records: &[Record]) -> Vec<&Stats> {
    records
        .iter()
        .filter_map(|r| if let Record::Stats(s) = r { Some(&**s) } else { None })
        .filter(|s| s.group.is_empty())
        .collect()
}

/// render writes the document.
pub fn render(records: &[Record]) -> String {
    let stories = stories(records);
    let (resolved, open): (Vec<&Story<'_>>, Vec<&Story<'_>>) = stories.iter().partition(|s| s.resolved());
    let mut md = String::from("# Week 1 Lessons Learned\n\n");
    let checks = records.iter().filter(|r| matches!(r, Record::Check(_))).count();
    let _ = writeln!(
        md,
        "From {checks} check verdict(s) and {} probe run summary(ies): {} issue(s) seen, {} resolved, {} still open.\n",
        probe_runs(records).len(),
        stories.len(),
        resolved.len(),
        open.len()
    );
    md.push_str("## Issues by check\n\n");
    if stories.is_empty() {
        md.push_str("No check ever failed, warned or could not look.\n\n");
    } else {
        md.push_str("| check | target | first seen | last seen | times | state |\n|---|---|---|---|---|---|\n");
        for s in &stories {
            let state = if s.resolved() {
                format!("resolved {} ({}){}", when(s.latest.ts), cell(&s.latest.message), stand_in_note(s.latest))
            } else {
                format!("open: {} — {}{}", s.latest.status.as_str(), cell(&s.latest.message), stand_in_note(s.latest))
            };
            let _ = writeln!(
                md,
                "| `{}` | {} | {} {} | {} {} | {} | {state} |",
                cell(s.check),
                cell(s.target),
                when(s.first_trouble.ts),
                s.first_trouble.status.as_str(),
                when(s.last_trouble.ts),
                s.last_trouble.status.as_str(),
                s.troubles
            );
        }
        md.push('\n');
    }
    md.push_str("## Probe failure patterns\n\n");
    let patterns = top_patterns(records);
    if patterns.is_empty() {
        md.push_str("No failed request in the probe runs summarised (or no run summarised).\n\n");
    } else {
        md.push_str("| class | pattern | failures |\n|---|---|---|\n");
        for (class, pattern, n) in &patterns {
            let _ = writeln!(md, "| {} | `{}` | {n} |", cell(class), cell(pattern).replace('`', "'"));
        }
        md.push('\n');
    }
    md.push_str("## Escalation paths\n\n");
    for e in escalations(records, &stories) {
        if e.evidence.is_empty() {
            let _ = writeln!(md, "- not triggered: {}", e.path);
        } else {
            let _ = writeln!(md, "- **triggered**: {}", e.path);
            for ev in &e.evidence {
                let _ = writeln!(md, "  - {ev}");
            }
        }
    }
    md.push_str("\n## Week 2 priorities\n\n");
    if open.is_empty() {
        md.push_str("Nothing left open by week 1's checks.\n");
    } else {
        let rank = |s: &&Story<'_>| match s.latest.status {
            CheckStatus::Fail | CheckStatus::Error => 0,
            CheckStatus::Skip => 1,
            _ => 2,
        };
        let mut open = open.clone();
        open.sort_by_key(rank);
        for s in &open {
            let what = match s.latest.status {
                CheckStatus::Skip => "never validated",
                CheckStatus::Warn => "worth a look",
                _ => "broken",
            };
            let _ = writeln!(
                md,
                "- [ ] `{}` on {} — {what} since {}: {}{}",
                cell(s.check),
                cell(s.target),
                when(s.since.ts),
                cell(&s.latest.message),
                stand_in_note(s.latest)
            );
        }
    }
    md
}
