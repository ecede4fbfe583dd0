//! The plan's week-1 success criteria, each box ticked only when a passing
//! record backs it, with the evidence (check, value, time); an unticked box
//! says what is missing.

use std::collections::BTreeMap;
use std::fmt::Write;

use navikit::record::{Check, CheckStatus, Record, Stats};

/// Rule is what ticks one box.
enum Rule {
    /// The overall stats record satisfies a predicate.
    Stats(fn(&Stats) -> Result<String, String>),
    /// Every named check's latest verdict is pass.
    Checks(&'static [&'static str]),
}

const ITEMS: &[(&str, &str, Rule)] = &[
    (
        "Real LLM Performance",
        "100+ tests completed with real models",
        Rule::Stats(|s| {
            let models = s.models.join(", ");
            let local = !s.targets.is_empty() && s.targets.iter().all(|t| navikit::http::is_loopback(t));
            if s.requests < 100 {
                Err(format!("only {} requests in the stats", s.requests))
            } else if local {
                Err(format!(
                    "{} requests, but to a local target ({}): llm-sim is not a real model",
                    s.requests,
                    s.targets.join(", ")
                ))
            } else {
                Ok(format!("{} requests to {models}", s.requests))
            }
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
        Rule::Stats(|s| match &s.latency_ms {
            Some(d) if d.p95 < 5000.0 => Ok(format!("p95 {:.0} ms", d.p95)),
            Some(d) => Err(format!("p95 is {:.0} ms", d.p95)),
            None => Err("no latency measured".into()),
        }),
    ),
    (
        "Real LLM Performance",
        "Cost per request acceptable",
        Rule::Stats(|s| {
            if s.costed_requests > 0 && s.cost_usd_per_request < 0.02 {
                Ok(format!("${:.5} per request", s.cost_usd_per_request))
            } else {
                Err(format!("${:.5} per request (target < $0.02)", s.cost_usd_per_request))
            }
        }),
    ),
    (
        "Real LLM Performance",
        "Error patterns identified and documented",
        Rule::Stats(|s| {
            Ok(if s.top_failures.is_empty() {
                "no failures".to_string()
            } else {
                format!("{} pattern(s), top: {}", s.top_failures.len(), s.top_failures[0].pattern)
            })
        }),
    ),
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
        Rule::Checks(&["http.metrics.present", "pg.llm_metrics.rows"]),
    ),
    ("Staging Environment", "Validated with real workloads", Rule::Checks(&["http.navi.smoke"])),
    ("Security Hardening", "Audit encryption mandatory in production", Rule::Checks(&["startup.audit_key.required"])),
    ("Security Hardening", "Startup validation implemented", Rule::Checks(&["startup.audit_key.enabled"])),
    ("Security Hardening", "Tested and documented", Rule::Checks(&["pg.audit.encrypted"])),
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
];

fn evidence(c: &Check) -> String {
    let observed = c.observed.as_ref().map(|o| format!(" = {o}")).unwrap_or_default();
    format!("`{}`{observed} ({})", c.check, c.ts.format("%Y-%m-%d %H:%M UTC"))
}

/// render writes the checklist and says whether every box is ticked.
pub fn render(records: &[Record]) -> (String, bool) {
    let mut latest: BTreeMap<&str, &Check> = BTreeMap::new();
    let mut overall: Option<&Stats> = None;
    for r in records {
        match r {
            Record::Check(c) if latest.get(c.check.as_str()).is_none_or(|prev| prev.ts <= c.ts) => {
                latest.insert(&c.check, c);
            }
            Record::Stats(s) if s.group.is_empty() => overall = Some(s),
            _ => {}
        }
    }
    let mut md =
        String::from("# Week 1 Success Checklist\n\nEach box is ticked only when a passing record backs it.\n");
    let mut section = "";
    let mut all = true;
    for (sec, text, rule) in ITEMS {
        if *sec != section {
            section = sec;
            let _ = write!(md, "\n## {sec}\n\n");
        }
        let verdict: Result<String, String> = match rule {
            Rule::Stats(f) => overall.map_or_else(|| Err("no overall stats record from latency-stats".into()), f),
            Rule::Checks(names) => {
                let mut ok = Vec::new();
                let mut missing = Vec::new();
                for n in *names {
                    match latest.get(n) {
                        Some(c) if c.status == CheckStatus::Pass => ok.push(evidence(c)),
                        Some(c) => missing.push(format!("`{n}` is {}: {}", c.status.as_str(), c.message)),
                        None => missing.push(format!("no `{n}` record")),
                    }
                }
                if missing.is_empty() { Ok(ok.join("; ")) } else { Err(missing.join("; ")) }
            }
        };
        match verdict {
            Ok(ev) => {
                let _ = writeln!(md, "- [x] {text} — {ev}");
            }
            Err(why) => {
                all = false;
                let _ = writeln!(md, "- [ ] {text} — missing: {why}");
            }
        }
    }
    (md, all)
}
