//! The per-pod checks: running, restarts, and the migration init
//! container of every current pod.

use serde_json::{Value, json};

use super::{Cluster, chk, i, items, name_of, need};
use navikit::record::{Check, CheckStatus};

pub(super) fn pod_list<'v>(c: &'v Cluster<'_>, n: &str, t: &str) -> Result<Vec<&'v Value>, Check> {
    let p = need(c.pods(), n, t, "pods")?;
    let list = items(p);
    if list.is_empty() {
        return Err(chk(n, t, CheckStatus::Fail, format!("no pods match deployment {}", c.o.deployment)));
    }
    Ok(list)
}

/// per_pod runs a per-pod check over the deployment's pods, the target
/// being `namespace/pod`.
pub(super) fn per_pod(c: &Cluster<'_>, n: &str, t: &str, f: impl Fn(&Value, &str) -> Check) -> Vec<Check> {
    match pod_list(c, n, t) {
        Ok(pods) => pods.iter().map(|p| f(p, &format!("{}/{}", c.ns(), name_of(p)))).collect(),
        Err(e) => vec![e],
    }
}

pub(super) fn pods_running(c: &Cluster<'_>, t: &str) -> Vec<Check> {
    let n = "k8s.pods.running";
    per_pod(c, n, t, |p, pod| {
        let phase = p.pointer("/status/phase").and_then(Value::as_str).unwrap_or("?");
        let statuses = p.pointer("/status/containerStatuses").and_then(Value::as_array).cloned().unwrap_or_default();
        let not_ready: Vec<String> = statuses
            .iter()
            .filter(|s| s.get("ready") != Some(&Value::Bool(true)))
            .map(|s| {
                let waiting = s.pointer("/state/waiting/reason").and_then(Value::as_str).unwrap_or("not ready");
                format!("{} ({waiting})", s.get("name").and_then(Value::as_str).unwrap_or("?"))
            })
            .collect();
        if phase == "Running" && not_ready.is_empty() && !statuses.is_empty() {
            chk(n, pod, CheckStatus::Pass, format!("Running, {} container(s) ready", statuses.len())).observed(phase)
        } else {
            chk(
                n,
                pod,
                CheckStatus::Fail,
                format!(
                    "phase {phase}; not ready: {}",
                    if not_ready.is_empty() { "no container status".into() } else { not_ready.join(", ") }
                ),
            )
            .observed(phase)
        }
    })
}

pub(super) fn pods_restarts(c: &Cluster<'_>, t: &str) -> Vec<Check> {
    let n = "k8s.pods.restarts";
    per_pod(c, n, t, |p, pod| {
        let statuses = p.pointer("/status/containerStatuses").and_then(Value::as_array).cloned().unwrap_or_default();
        let restarts: i64 = statuses.iter().map(|s| i(s, "/restartCount")).sum();
        let last = statuses
            .iter()
            .find_map(|s| s.pointer("/lastState/terminated/reason").and_then(Value::as_str).map(str::to_string));
        let crashloop = statuses
            .iter()
            .any(|s| s.pointer("/state/waiting/reason").and_then(Value::as_str) == Some("CrashLoopBackOff"));
        let why = last.clone().map(|r| format!(", last terminated: {r}")).unwrap_or_default();
        let (s, msg) = if crashloop {
            (
                CheckStatus::Fail,
                format!("CrashLoopBackOff after {restarts} restart(s){why}: read `kubectl logs --previous`"),
            )
        } else if last.as_deref() == Some("OOMKilled") {
            (
                CheckStatus::Fail,
                format!("{restarts} restart(s), last terminated: OOMKilled: raise the memory limit or find the leak"),
            )
        } else if restarts > c.o.max_restarts {
            (CheckStatus::Fail, format!("{restarts} restart(s){why} (limit {})", c.o.max_restarts))
        } else if restarts > 0 {
            (CheckStatus::Warn, format!("{restarts} restart(s){why}"))
        } else {
            (CheckStatus::Pass, "no restarts".to_string())
        };
        chk(n, pod, s, msg).observed(json!({"restarts": restarts, "last_termination": last}))
    })
}

pub(super) fn log(c: &Cluster<'_>, pod: &str, container: &str, since: Option<u64>) -> Result<String, String> {
    let mut path = format!("/api/v1/namespaces/{}/pods/{pod}/log?container={container}", c.ns());
    if let Some(s) = since {
        path.push_str(&format!("&sinceSeconds={s}"));
    }
    match c.o.kubectl.raw(&path)? {
        crate::kubectl::Fetch::Found(t) => Ok(t),
        crate::kubectl::Fetch::NotFound => Ok(String::new()),
    }
}

const REVISION: &str = "/metadata/annotations/deployment.kubernetes.io~1revision";

/// newest_replicaset names the deployment's current ReplicaSet: the one
/// carrying the deployment's revision. None when it cannot be told.
fn newest_replicaset(c: &Cluster<'_>) -> Option<String> {
    let d = c.deployment().as_ref().ok()?.as_ref()?;
    let revision = d.pointer(REVISION)?.as_str()?;
    let sets = c.replicasets().as_ref().ok()?.as_ref()?;
    items(sets).into_iter().find(|rs| rs.pointer(REVISION).and_then(Value::as_str) == Some(revision)).map(name_of)
}

fn owner(pod: &Value) -> Option<&str> {
    pod.pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|o| o.get("kind").and_then(Value::as_str) == Some("ReplicaSet"))?
        .get("name")?
        .as_str()
}

/// log_tail is the last lines of a log, redacted, for showing (not judging).
fn log_tail(text: &str, n: usize) -> Vec<String> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| navikit::redact::redact_text(l).chars().take(300).collect())
        .collect()
}

/// db_migrate: the migration init container terminated with exit code 0 in
/// every current pod of the newest ReplicaSet. Its log is shown, not judged:
/// Alembic prints "Running upgrade" only when it migrates, so a re-deploy
/// or a second replica (already at head) logs no revision; the head itself
/// is pg-check's `pg.alembic.head`.
pub(super) fn db_migrate(c: &Cluster<'_>, t: &str) -> Vec<Check> {
    let n = "k8s.init.db_migrate";
    let pods = match pod_list(c, n, t) {
        Ok(p) => p,
        Err(e) => return vec![e],
    };
    let newest = newest_replicaset(c);
    let current: Vec<&Value> = match &newest {
        Some(rs) => pods.iter().copied().filter(|p| owner(p) == Some(rs.as_str())).collect(),
        None => pods,
    };
    if current.is_empty() {
        let rs = newest.unwrap_or_default();
        return vec![chk(n, t, CheckStatus::Fail, format!("no pod of the newest ReplicaSet {rs} exists yet"))];
    }
    let want = &c.o.migrate_container;
    current
        .into_iter()
        .map(|pod| {
            let pod_name = name_of(pod);
            let target = format!("{}/{pod_name}", c.ns());
            let status = pod
                .pointer("/status/initContainerStatuses")
                .and_then(Value::as_array)
                .and_then(|a| a.iter().find(|s| s.get("name").and_then(Value::as_str) == Some(want)));
            let Some(s) = status else {
                return chk(
                    n,
                    &target,
                    CheckStatus::Fail,
                    format!("no init container `{want}` in the pod: the migrations do not run on deploy"),
                );
            };
            let Some(term) = s.pointer("/state/terminated") else {
                let waiting = s.pointer("/state/waiting/reason").and_then(Value::as_str).unwrap_or("running");
                return chk(n, &target, CheckStatus::Fail, format!("`{want}` has not finished ({waiting})"));
            };
            let code = i(term, "/exitCode");
            let tail = log(c, &pod_name, want, None)
                .map(|t| log_tail(&t, 3))
                .unwrap_or_else(|e| vec![format!("(log not readable: {e})")]);
            let observed = json!({
                "exit_code": code,
                "started_at": term.get("startedAt"),
                "finished_at": term.get("finishedAt"),
                "replicaset": owner(pod),
                "log_tail": tail,
            });
            if code != 0 {
                let reason = term.get("reason").and_then(Value::as_str).unwrap_or("Error");
                chk(
                    n,
                    &target,
                    CheckStatus::Fail,
                    format!("`{want}` exited {code} ({reason}): read `kubectl logs {pod_name} -c {want}`"),
                )
                .observed(observed)
            } else {
                chk(n, &target, CheckStatus::Pass, format!("`{want}` terminated with exit code 0")).observed(observed)
            }
        })
        .collect()
}
