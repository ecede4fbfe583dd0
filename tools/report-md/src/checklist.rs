//! The plan's week-1 success criteria. A box is ticked only when records
//! that looked at the real thing back it: every verdict it needs passed in
//! the latest run of that check, none of them came from a stand-in, and the
//! thresholds were judged (once) by latency-stats. Otherwise the box stays
//! open and says why: missing, failed, not validated (skip), or "would pass —
//! evidence from a stand-in" naming the stand-in.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{DateTime, Duration, Utc};
use navikit::record::{Check, CheckStatus, Record, SloVerdict, Stats};

use crate::one_line;

/// RUN_WINDOW groups one run's verdicts of a check on several targets (one
/// per pod, say): targets whose latest verdict is within this window of the
/// check's newest form its latest run. Runs are hours apart (cron every 4 h).
const RUN_WINDOW: Duration = Duration::minutes(10);

/// Rule is what ticks one box.
enum Rule {
    /// The overall stats record supports the box (its SLO verdicts, counts).
    Stats(fn(&Stats) -> Verdict),
    /// Every named check's latest run passed.
    Checks(&'static [&'static str]),
    /// A document the week writes exists under `--docs` and holds what the box asks.
    Doc(&'static str, fn(&str) -> Verdict),
}

/// Verdict is one box's evidence: `Ok` ticks (unless from a stand-in).
type Verdict = Result<String, String>;

const ITEMS: &[(&str, &str, Rule)] = &[
    (
        "Real LLM Performance",
        "100+ tests completed with real models",
        Rule::Stats(|s| {
            let ev = slo(s, |m| m == "requests")?;
            if s.ok < min_ok(s) {
                return Err(format!("only {} of {} requests succeeded", s.ok, s.requests));
            }
            Ok(ev)
        }),
    ),
    (
        "Real LLM Performance",
        "p50/p95/p99 latency documented",
        Rule::Stats(|s| match &s.latency_ms {
            Some(d) => Ok(format!("p50 {:.0} ms, p95 {:.0} ms, p99 {:.0} ms", d.p50, d.p95, d.p99)),
            None => Err("no successful request was timed".into()),
        }),
    ),
    (
        "Real LLM Performance",
        "Performance meets targets (p95 < 5s)",
        Rule::Stats(|s| {
            if !s.slo.iter().any(|v| !v.escalation && v.metric == "latency_ms.p95") {
                return Err("no p95 latency threshold was given to latency-stats (config/targets.txt)".into());
            }
            slo(s, |m| m.starts_with("latency_ms."))
        }),
    ),
    ("Real LLM Performance", "Cost per request acceptable", Rule::Stats(|s| slo(s, |m| m == "cost_usd_per_request"))),
    ("Real LLM Performance", "Error patterns identified and documented", Rule::Stats(error_patterns)),
    (
        "Staging Environment",
        "Cloud infrastructure provisioned (RDS/Cloud SQL + K8s)",
        Rule::Checks(&["cloud.db.available", "k8s.nodes.ready"]),
    ),
    ("Staging Environment", "Database migrations applied", Rule::Checks(&["pg.alembic.head", "pg.tables.present"])),
    (
        "Staging Environment",
        "Application deployed (2 replicas)",
        Rule::Checks(&["k8s.rollout.complete", "k8s.replicas.ready"]),
    ),
    ("Staging Environment", "Health checks passing", Rule::Checks(&["http.health"])),
    (
        "Staging Environment",
        "Metrics collection working",
        Rule::Checks(&["http.metrics.present", "http.metrics.increasing", "pg.llm_metrics.rows"]),
    ),
    (
        "Staging Environment",
        "Validated with real workloads",
        Rule::Checks(&["http.navi.smoke", "pg.llm_metrics.rows", "pg.telemetry_events.rows"]),
    ),
    ("Security Hardening", "Audit encryption mandatory in production", Rule::Checks(&["startup.audit_key.required"])),
    ("Security Hardening", "Startup validation implemented", Rule::Checks(&["startup.audit_key.enabled"])),
    ("Security Hardening", "Tested and documented", Rule::Checks(&["pg.audit.encrypted", "k8s.audit_key.production"])),
    (
        "Infrastructure",
        "Staging database provisioned and backed up",
        Rule::Checks(&["cloud.db.available", "cloud.db.backups"]),
    ),
    (
        "Infrastructure",
        "Kubernetes cluster configured",
        Rule::Checks(&["k8s.namespace.exists", "k8s.metrics_server.available"]),
    ),
    ("Infrastructure", "Node autoscaling configured", Rule::Checks(&["cloud.k8s.autoscaling"])),
    ("Infrastructure", "SSL mode set to \"require\"", Rule::Checks(&["pg.ssl.in_use"])),
    (
        "Documentation",
        "Performance benchmarks documented",
        Rule::Doc("PERFORMANCE_BENCHMARKS.md", |d| {
            has(d, "## Targets", "no targets table")?;
            has(d, "| p50 |", "no latency percentiles")
                .map(|_| "docs/PERFORMANCE_BENCHMARKS.md with targets and percentiles".into())
        }),
    ),
    (
        "Documentation",
        "Staging deployment runbook created",
        Rule::Doc("staging_deployment_log.md", |d| {
            // Only a rollout that completed is a deployment to repeat.
            let n = d.matches("\n- rollout: **pass**").count();
            if n == 0 {
                return Err("docs/staging_deployment_log.md has no completed deployment".into());
            }
            has(d, "rollout undo", "no rollback command")
                .map(|_| format!("docs/staging_deployment_log.md: {n} deployment(s) with repeat and rollback steps"))
        }),
    ),
    (
        "Documentation",
        "Known issues logged",
        Rule::Doc("week1_lessons_learned.md", |d| {
            has(d, "## Issues by check", "no issues section")
                .map(|_| "docs/week1_lessons_learned.md: issues by check, first and last seen, resolved or open".into())
        }),
    ),
    (
        "Documentation",
        "Week 2 priorities identified",
        Rule::Doc("week1_lessons_learned.md", |d| {
            let section = d.split("## Week 2 priorities").nth(1).ok_or("no Week 2 priorities section")?;
            let n = section.lines().filter(|l| l.starts_with("- [ ] ")).count();
            Ok(if n == 0 { "nothing left open".into() } else { format!("{n} open item(s) carried into week 2") })
        }),
    ),
];

/// has requires a marker in a document.
fn has(doc: &str, marker: &str, otherwise: &str) -> Verdict {
    if doc.contains(marker) { Ok(String::new()) } else { Err(otherwise.to_string()) }
}

/// STAND_IN_MARKS are how the week's documents say their evidence came from a stand-in.
const STAND_IN_MARKS: [&str; 3] =
    [crate::benchmarks::STAND_IN_ROW, crate::deployment_log::STAND_IN_LINE, crate::lessons::STAND_IN_NOTE];

fn judge_doc(docs: &std::path::Path, file: &str, f: fn(&str) -> Verdict) -> BoxState {
    let path = docs.join(file);
    let Ok(text) = navikit::files::read_small(&path.to_string_lossy()) else {
        return BoxState::Open(format!("{} not written", path.display()));
    };
    match f(&text) {
        Ok(ev) if STAND_IN_MARKS.iter().any(|m| text.contains(m)) => {
            BoxState::StandIn(format!("{file} is written from stand-in evidence"), ev)
        }
        Ok(ev) => BoxState::Ticked(ev),
        Err(why) => BoxState::Open(why),
    }
}

/// slo renders latency-stats' verdicts on the metrics `pick` selects; the
/// box needs at least one, all met. report-md judges nothing itself.
fn slo(s: &Stats, pick: fn(&str) -> bool) -> Verdict {
    let verdicts: Vec<&SloVerdict> = s.slo.iter().filter(|v| !v.escalation && pick(&v.metric)).collect();
    if verdicts.is_empty() {
        return Err("no threshold on this was given to latency-stats (see config/targets.txt)".into());
    }
    let shown = |v: &SloVerdict| match v.observed {
        Some(o) => {
            let n = format!("{o:.5}");
            format!("`{}` observed {}", v.threshold, n.trim_end_matches('0').trim_end_matches('.'))
        }
        None => format!("`{}` observed nothing", v.threshold),
    };
    let missed: Vec<String> = verdicts.iter().filter(|v| !v.ok).map(|v| shown(v)).collect();
    if missed.is_empty() {
        Ok(verdicts.iter().map(|v| format!("{} met", shown(v))).collect::<Vec<_>>().join("; "))
    } else {
        Err(format!("missed: {}", missed.join("; ")))
    }
}

fn error_patterns(s: &Stats) -> Verdict {
    if s.requests == 0 {
        return Err("no requests were measured".into());
    }
    match (s.failed, s.top_failures.first()) {
        (0, _) => Ok(format!("no failures in {} requests", s.requests)),
        (n, Some(top)) => Ok(format!("{n} failure(s), {} pattern(s), top: `{}`", s.top_failures.len(), top.pattern)),
        (n, None) => {
            Err(format!("{n} failure(s) but no failure pattern in the stats (run latency-stats --top-errors)"))
        }
    }
}

/// one_line keeps a message on its list line, secrets redacted.
fn evidence(c: &Check) -> String {
    let observed = c.observed.as_ref().map(|o| format!(" = {o}")).unwrap_or_default();
    format!("`{}`{observed} ({})", c.check, c.ts.format("%Y-%m-%d %H:%M UTC"))
}

/// latest_runs keeps, per check name, the latest verdict on each target that
/// belongs to the check's latest run: a newer verdict on a target replaces
/// an older one, and targets last seen more than [`RUN_WINDOW`] before the
/// check's newest verdict (pods of an earlier rollout) are left out.
fn latest_runs(records: &[Record]) -> BTreeMap<&str, Vec<&Check>> {
    let mut per_target: BTreeMap<(&str, &str), &Check> = BTreeMap::new();
    for r in records {
        if let Record::Check(c) = r {
            let slot = per_target.entry((c.check.as_str(), c.target.as_str())).or_insert(c);
            if c.ts >= slot.ts {
                *slot = c;
            }
        }
    }
    let mut newest: BTreeMap<&str, DateTime<Utc>> = BTreeMap::new();
    for ((name, _), c) in &per_target {
        let e = newest.entry(name).or_insert(c.ts);
        *e = (*e).max(c.ts);
    }
    let mut runs: BTreeMap<&str, Vec<&Check>> = BTreeMap::new();
    for ((name, _), c) in per_target {
        if newest.get(name).is_some_and(|t| c.ts + RUN_WINDOW > *t) {
            runs.entry(name).or_default().push(c);
        }
    }
    runs
}

/// Box is one line's state.
enum BoxState {
    Ticked(String),
    StandIn(String, String),
    Open(String),
}

fn judge_checks(runs: &BTreeMap<&str, Vec<&Check>>, names: &[&str]) -> BoxState {
    let mut ok = Vec::new();
    let mut missing = Vec::new();
    let mut stand_ins: Vec<String> = Vec::new();
    for n in names {
        let Some(run) = runs.get(n) else {
            missing.push(format!("no `{n}` record"));
            continue;
        };
        for c in run {
            if let Some(s) = &c.stand_in
                && !stand_ins.contains(s)
            {
                stand_ins.push(s.clone());
            }
        }
        match run.iter().find(|c| c.status != CheckStatus::Pass) {
            Some(c) if c.status == CheckStatus::Skip => {
                missing.push(format!("`{n}` not validated (skip): {}", one_line(&c.message)))
            }
            Some(c) => missing.push(format!("`{n}` is {}: {}", c.status.as_str(), one_line(&c.message))),
            None => ok.extend(run.iter().take(1).map(|c| evidence(c))),
        }
    }
    if !missing.is_empty() {
        BoxState::Open(missing.join("; "))
    } else if !stand_ins.is_empty() {
        BoxState::StandIn(stand_ins.join(", "), ok.join("; "))
    } else {
        BoxState::Ticked(ok.join("; "))
    }
}

/// min_ok is how many successful requests the `requests` target asks for:
/// "100+ tests completed" means completed, not attempted.
fn min_ok(s: &Stats) -> u64 {
    s.slo.iter().filter(|v| !v.escalation && v.metric == "requests").map(|v| v.limit.ceil() as u64).max().unwrap_or(0)
}

fn judge_stats(overall: Option<&Stats>, f: fn(&Stats) -> Verdict) -> BoxState {
    let Some(s) = overall else {
        return BoxState::Open("no overall stats record from latency-stats".into());
    };
    match f(s) {
        Err(why) => BoxState::Open(why),
        Ok(ev) if !s.stand_ins.is_empty() => BoxState::StandIn(s.stand_ins.join(", "), ev),
        Ok(ev) => BoxState::Ticked(ev),
    }
}

/// render writes the checklist (the Documentation boxes read the documents
/// under `docs`) and says whether every box is ticked.
pub fn render(records: &[Record], docs: &std::path::Path) -> (String, bool) {
    let runs = latest_runs(records);
    let overall: Option<&Stats> = records
        .iter()
        .filter_map(|r| match r {
            Record::Stats(s) if s.group.is_empty() => Some(s.as_ref()),
            _ => None,
        })
        .max_by_key(|s| s.ts);
    let mut md = String::from(
        "# Week 1 Success Checklist\n\nA box is ticked only when passing records that looked at the real thing back it; \
         evidence from a stand-in (llm-sim, the recorded Kubernetes API, captured cloud answers, a demo database) \
         never ticks a box.\n",
    );
    let mut section = "";
    let (mut ticked, mut stand_in, mut open) = (0, 0, 0);
    for (sec, text, rule) in ITEMS {
        if *sec != section {
            section = sec;
            let _ = write!(md, "\n## {sec}\n\n");
        }
        let state = match rule {
            Rule::Stats(f) => judge_stats(overall, *f),
            Rule::Checks(names) => judge_checks(&runs, names),
            Rule::Doc(file, f) => judge_doc(docs, file, *f),
        };
        match state {
            BoxState::Ticked(ev) => {
                ticked += 1;
                let _ = writeln!(md, "- [x] {text} — {ev}");
            }
            BoxState::StandIn(who, ev) => {
                stand_in += 1;
                let _ = writeln!(md, "- [ ] {text} — would pass — evidence from a stand-in ({who}): {ev}");
            }
            BoxState::Open(why) => {
                open += 1;
                let why = if why.starts_with("missed:") { why } else { format!("missing: {why}") };
                let _ = writeln!(md, "- [ ] {text} — {why}");
            }
        }
    }
    let _ = write!(
        md,
        "\n**{ticked} of {} ticked**; {stand_in} would pass on stand-in evidence only; {open} open.\n",
        ITEMS.len()
    );
    (md, ticked == ITEMS.len())
}
