//! docs/staging_deployment_log.md, the plan's staging deployment runbook,
//! written from Thursday's records: what the cluster runs (images and the
//! digests the kubelet resolved), the rollout's timeline (Deployment
//! conditions, each pod's `db-migrate` run), what was verified after it
//! (Alembic head, tables, health), and the commands to repeat or roll back
//! this very deployment with its real names. One entry per deployment
//! (target, revision and digests), appended and never rewritten; the same
//! deployment logged twice is written once.

use std::fmt::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use navikit::Error;
use navikit::record::{Check, Record};
use serde_json::Value;

/// STAND_IN_LINE opens an entry's line saying it was read from a stand-in.
pub const STAND_IN_LINE: &str = "> STAND-IN:";

const TITLE: &str =
    "# Staging Deployment Log\n\nOne entry per deployment, from the checks run after it (`just thursday`).\n";

use crate::cell;

/// plain keeps a value on one line and out of Markdown comments: control
/// characters and `--` (which could close the entry's key comment) go.
fn plain(s: &str) -> String {
    let one: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let mut out = one;
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    out
}

/// shell quotes a value for the copy-paste commands (`'…'` unless plainly safe).
fn shell(s: &str) -> String {
    let s: String = s.chars().filter(|c| !c.is_control()).collect();
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "@:/._=,+-".contains(c)) {
        s
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn str_at<'v>(v: &'v Value, ptr: &str) -> Option<&'v str> {
    v.pointer(ptr).and_then(Value::as_str)
}

/// latest is the newest record of a check (any target).
fn latest<'r>(records: &'r [Record], check: &str) -> Option<&'r Check> {
    records
        .iter()
        .filter_map(|r| if let Record::Check(c) = r { Some(c) } else { None })
        .filter(|c| c.check == check)
        .max_by_key(|c| c.ts)
}

fn verified(records: &[Record], check: &str, what: &str, out: &mut String) {
    let line = match latest(records, check) {
        Some(c) => format!("- {what}: **{}** — {}", c.status.as_str(), cell(&c.message)),
        None => format!("- {what}: not checked in this run (`{check}`)"),
    };
    let _ = writeln!(out, "{line}");
}

/// entry renders one deployment, and the key that identifies it.
fn entry(records: &[Record], rollout: &Check) -> (String, String) {
    let obs = rollout.observed.clone().unwrap_or_default();
    let (ns, deployment) = rollout.target.split_once('/').unwrap_or(("default", rollout.target.as_str()));
    let (ns, deployment) = (shell(ns), shell(deployment));
    let revision = plain(str_at(&obs, "/revision").unwrap_or("?"));
    let running: Vec<(String, String)> = obs
        .get("running_images")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|r| {
                    let container = str_at(r, "/container").unwrap_or("?").to_string();
                    // The digest the kubelet pulled, as `repo@sha256:…`, else the tag asked for.
                    let id = str_at(r, "/image_id").filter(|i| i.contains("@sha256:")).or_else(|| str_at(r, "/image"));
                    (plain(&container), plain(id.unwrap_or("?").trim_start_matches("docker-pullable://")))
                })
                .collect()
        })
        .unwrap_or_default();
    // The key names the deployment, and whether a stand-in showed it: a real
    // deployment is logged even after a stand-in's entry for the same names.
    let key = format!(
        "<!-- deployment: {} revision {revision} {}{} -->",
        plain(&rollout.target),
        running.iter().map(|(_, i)| i.as_str()).collect::<Vec<_>>().join(" "),
        rollout.stand_in.as_deref().map(|s| format!(" stand-in {}", plain(s))).unwrap_or_default()
    );
    let when: DateTime<Utc> = obs
        .get("conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| str_at(c, "/updated")?.parse().ok())
        .max()
        .unwrap_or(rollout.ts);
    let mut md = String::new();
    let _ = writeln!(
        md,
        "\n## {} — {}, revision {}{}\n{key}\n",
        when.format("%Y-%m-%d %H:%M UTC"),
        cell(&rollout.target),
        cell(&revision),
        if rollout.status == navikit::record::CheckStatus::Pass { "" } else { " (rollout not complete)" }
    );
    if let Some(s) = &rollout.stand_in {
        let _ = writeln!(md, "{STAND_IN_LINE} read from {} — not the real staging deployment.\n", cell(s));
    }
    let _ = writeln!(md, "- rollout: **{}** — {}", rollout.status.as_str(), cell(&rollout.message));
    if let Some(images) = obs.get("images").and_then(Value::as_object) {
        let asked: Vec<String> =
            images.iter().map(|(c, i)| format!("{} `{}`", cell(c), cell(i.as_str().unwrap_or("?")))).collect();
        let _ = writeln!(md, "- asked for: {}", asked.join(", "));
    }
    let shown: Vec<String> = running.iter().map(|(c, i)| format!("{} `{}`", cell(c), cell(i))).collect();
    let _ = writeln!(
        md,
        "- running: {}",
        if shown.is_empty() { "unknown (no pod status)".into() } else { shown.join(", ") }
    );
    md.push_str("\n### Timeline\n\n");
    let mut events: Vec<(String, String)> = Vec::new();
    for c in obs.get("conditions").and_then(Value::as_array).into_iter().flatten() {
        if let Some(t) = str_at(c, "/since") {
            let what = format!(
                "{} {}{}",
                str_at(c, "/type").unwrap_or("?"),
                str_at(c, "/status").unwrap_or("?"),
                str_at(c, "/reason").map(|r| format!(" ({r})")).unwrap_or_default()
            );
            events.push((t.to_string(), cell(&what)));
        }
    }
    for r in records {
        if let Record::Check(c) = r
            && c.check == "k8s.init.db_migrate"
        {
            let o = c.observed.clone().unwrap_or_default();
            let pod = c.target.rsplit('/').next().unwrap_or(&c.target);
            let (start, end) = (str_at(&o, "/started_at"), str_at(&o, "/finished_at"));
            let took = match (
                start.and_then(|s| s.parse::<DateTime<Utc>>().ok()),
                end.and_then(|s| s.parse::<DateTime<Utc>>().ok()),
            ) {
                (Some(a), Some(b)) => format!(" in {} s", (b - a).num_seconds()),
                _ => String::new(),
            };
            let exit = o.get("exit_code").map_or("?".to_string(), Value::to_string);
            let at = start.unwrap_or("(time unknown)").to_string();
            events.push((at, format!("`db-migrate` in {} exited {exit}{took}: {}", cell(pod), c.status.as_str())));
        }
    }
    events.sort();
    for (t, what) in &events {
        let _ = writeln!(md, "- {} {what}", cell(t));
    }
    if events.is_empty() {
        md.push_str("- no timestamps in the records\n");
    }
    md.push_str("\n### Verified after the rollout\n\n");
    verified(records, "pg.alembic.head", "Alembic head", &mut md);
    verified(records, "pg.tables.present", "tables", &mut md);
    verified(records, "http.health", "health", &mut md);
    let _ = writeln!(md, "\n### Repeat or roll back\n\n```bash");
    if !running.is_empty() {
        let pins: Vec<String> = running.iter().map(|(c, i)| shell(&format!("{c}={i}"))).collect();
        let _ = writeln!(md, "# pin exactly what ran (digests, not tags)");
        let _ = writeln!(md, "kubectl -n {ns} set image deployment/{deployment} {}", pins.join(" "));
    }
    let _ = writeln!(md, "kubectl -n {ns} rollout status deployment/{deployment} --timeout=10m");
    let _ = writeln!(md, "kubectl -n {ns} logs deployment/{deployment} -c db-migrate");
    let _ = writeln!(md, "just thursday   # the same checks, logged here and in the validation log");
    if let Some(prev) = revision.parse::<u64>().ok().filter(|r| *r > 1) {
        let _ = writeln!(md, "# roll back to the revision before this one");
        let _ = writeln!(md, "kubectl -n {ns} rollout undo deployment/{deployment} --to-revision={}", prev - 1);
    }
    md.push_str("```\n");
    (md, key)
}

/// append logs the deployment the records describe (a rollout that did not
/// complete too, marked so: it is worth a runbook entry). Ok(None) when they
/// hold no rollout verdict, else whether the rollout passed.
pub fn append(path: &Path, records: &[Record]) -> Result<Option<bool>, Error> {
    let Some(rollout) = latest(records, "k8s.rollout.complete") else { return Ok(None) };
    let passed = rollout.status == navikit::record::CheckStatus::Pass;
    let (text, key) = entry(records, rollout);
    crate::append_locked(path, |existing| {
        if existing.lines().any(|l| l == key) {
            return None;
        }
        Some(if existing.is_empty() { format!("{TITLE}{text}") } else { text })
    })?;
    Ok(Some(passed))
}
