//! The checks. Each kind of object is fetched once and shared; a fetch that
//! fails turns the checks that need it into `error` records naming why.
// An `Err` here is the check's own verdict, built once per check: boxing it buys nothing.
#![allow(clippy::result_large_err)]

use std::cell::OnceCell;
use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use navikit::observed::SecretKeys;
use navikit::record::{Check, CheckStatus};
use serde_json::{Value, json};

use crate::cli::Options;
use crate::quantity::{cpu_cores, memory_mib};

const TOOL: &str = "k8s-check";

type Fetched = Result<Option<Value>, String>;

/// Cluster caches what was read from the API.
struct Cluster<'a> {
    o: &'a Options,
    namespace: OnceCell<Fetched>,
    deployment: OnceCell<Fetched>,
    pods: OnceCell<Fetched>,
    metrics: OnceCell<Fetched>,
    hpas: OnceCell<Fetched>,
    apiservice: OnceCell<Fetched>,
    secret: OnceCell<Fetched>,
    configmap: OnceCell<Fetched>,
    service: OnceCell<Fetched>,
    endpoints: OnceCell<Fetched>,
    nodes: OnceCell<Fetched>,
    replicasets: OnceCell<Fetched>,
}

impl<'a> Cluster<'a> {
    fn get<'c>(&self, cell: &'c OnceCell<Fetched>, path: &str) -> &'c Fetched {
        cell.get_or_init(|| self.o.kubectl.json(path))
    }
    fn ns(&self) -> &str {
        &self.o.ns
    }
    fn deployment(&self) -> &Fetched {
        self.get(&self.deployment, &format!("/apis/apps/v1/namespaces/{}/deployments/{}", self.ns(), self.o.deployment))
    }
    fn selector(&self) -> String {
        let selector = match self.deployment() {
            Ok(Some(d)) => d
                .pointer("/spec/selector/matchLabels")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default(),
            _ => format!("app={}", self.o.deployment),
        };
        selector.replace('=', "%3D").replace(',', "%2C")
    }
    fn pods(&self) -> &Fetched {
        self.pods.get_or_init(|| {
            self.o.kubectl.json(&format!("/api/v1/namespaces/{}/pods?labelSelector={}", self.ns(), self.selector()))
        })
    }
    fn replicasets(&self) -> &Fetched {
        self.replicasets.get_or_init(|| {
            self.o.kubectl.json(&format!(
                "/apis/apps/v1/namespaces/{}/replicasets?labelSelector={}",
                self.ns(),
                self.selector()
            ))
        })
    }
}

fn items(v: &Value) -> Vec<&Value> {
    v.get("items").and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default()
}

fn name_of(v: &Value) -> String {
    v.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("?").to_string()
}

fn i(v: &Value, ptr: &str) -> i64 {
    v.pointer(ptr).and_then(Value::as_i64).unwrap_or(0)
}

fn condition<'v>(v: &'v Value, kind: &str) -> Option<&'v Value> {
    v.pointer("/status/conditions")?.as_array()?.iter().find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
}

/// all runs the selected checks in order.
pub fn all(o: &Options) -> Vec<Check> {
    let c = Cluster {
        o,
        namespace: OnceCell::new(),
        deployment: OnceCell::new(),
        pods: OnceCell::new(),
        metrics: OnceCell::new(),
        hpas: OnceCell::new(),
        apiservice: OnceCell::new(),
        secret: OnceCell::new(),
        configmap: OnceCell::new(),
        service: OnceCell::new(),
        endpoints: OnceCell::new(),
        nodes: OnceCell::new(),
        replicasets: OnceCell::new(),
    };
    let target = format!("{}/{}", o.ns, o.deployment);
    type One = fn(&Cluster<'_>, &str) -> Vec<Check>;
    // In the order of crate::CHECKS, whose names these are (a test checks the pairing).
    const RUNS: [One; 15] = [
        namespace,
        rollout,
        replicas,
        pods_running,
        pods_restarts,
        db_migrate,
        resources,
        logs,
        hpa,
        metrics_server,
        secret,
        configmap,
        audit_key,
        service,
        nodes,
    ];
    crate::CHECKS
        .iter()
        .zip(RUNS)
        .filter(|(d, _)| o.selection.wanted(d.name))
        .flat_map(|(_, f)| f(&c, &target))
        .collect()
}

fn chk(name: &str, target: &str, status: CheckStatus, msg: impl Into<String>) -> Check {
    Check::new(TOOL, name, target, status, msg)
}

/// need unwraps a fetch or explains why the check cannot run.
fn need<'v>(f: &'v Fetched, name: &str, target: &str, what: &str) -> Result<&'v Value, Check> {
    match f {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(chk(name, target, CheckStatus::Fail, format!("{what} not found"))),
        Err(e) => Err(chk(name, target, CheckStatus::Error, format!("cannot read {what}: {e}"))),
    }
}

fn namespace(c: &Cluster<'_>, t: &str) -> Vec<Check> {
    let n = "k8s.namespace.exists";
    let f = c.get(&c.namespace, &format!("/api/v1/namespaces/{}", c.ns()));
    vec![match need(f, n, t, &format!("namespace {}", c.ns())) {
        Ok(v) => {
            let phase = v.pointer("/status/phase").and_then(Value::as_str).unwrap_or("?");
            let s = if phase == "Active" { CheckStatus::Pass } else { CheckStatus::Fail };
            chk(n, t, s, format!("namespace {} is {phase}", c.ns())).observed(phase)
        }
        Err(e) => e,
    }]
}

fn rollout(c: &Cluster<'_>, t: &str) -> Vec<Check> {
    let n = "k8s.rollout.complete";
    let d = match need(c.deployment(), n, t, &format!("deployment {}", c.o.deployment)) {
        Ok(d) => d,
        Err(e) => return vec![e],
    };
    // kubectl's DeploymentStatusViewer, rule for rule.
    let (gen_, observed) = (i(d, "/metadata/generation"), i(d, "/status/observedGeneration"));
    let spec = d.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1);
    let (updated, replicas, available) =
        (i(d, "/status/updatedReplicas"), i(d, "/status/replicas"), i(d, "/status/availableReplicas"));
    let (status, msg) = if gen_ > observed {
        (CheckStatus::Fail, "waiting for the deployment spec update to be observed".to_string())
    } else if condition(d, "Progressing").and_then(|c| c.get("reason")).and_then(Value::as_str)
        == Some("ProgressDeadlineExceeded")
    {
        (
            CheckStatus::Fail,
            format!(
                "deployment {} exceeded its progress deadline: check the new pods' events and logs, then `kubectl rollout undo`",
                c.o.deployment
            ),
        )
    } else if updated < spec {
        (CheckStatus::Fail, format!("rollout in progress: {updated} of {spec} new replicas updated"))
    } else if replicas > updated {
        (CheckStatus::Fail, format!("rollout in progress: {} old replicas pending termination", replicas - updated))
    } else if available < updated {
        (CheckStatus::Fail, format!("rollout in progress: {available} of {updated} updated replicas available"))
    } else {
        (CheckStatus::Pass, format!("deployment {} successfully rolled out ({updated}/{spec})", c.o.deployment))
    };
    vec![chk(n, t, status, msg).observed(json!({"generation": gen_, "observedGeneration": observed, "updated": updated, "replicas": replicas, "available": available}))]
}

fn replicas(c: &Cluster<'_>, t: &str) -> Vec<Check> {
    let n = "k8s.replicas.ready";
    vec![match need(c.deployment(), n, t, "deployment") {
        Ok(d) => {
            let ready = i(d, "/status/readyReplicas");
            let s = if ready >= c.o.min_replicas { CheckStatus::Pass } else { CheckStatus::Fail };
            chk(n, t, s, format!("{ready} replica(s) ready (need {})", c.o.min_replicas))
                .observed(ready)
                .expected(json!({"gte": c.o.min_replicas}))
        }
        Err(e) => e,
    }]
}

fn pod_list<'v>(c: &'v Cluster<'_>, n: &str, t: &str) -> Result<Vec<&'v Value>, Check> {
    let p = need(c.pods(), n, t, "pods")?;
    let list = items(p);
    if list.is_empty() {
        return Err(chk(n, t, CheckStatus::Fail, format!("no pods match deployment {}", c.o.deployment)));
    }
    Ok(list)
}

/// per_pod runs a per-pod check over the deployment's pods, the target
/// being `namespace/pod`.
fn per_pod(c: &Cluster<'_>, n: &str, t: &str, f: impl Fn(&Value, &str) -> Check) -> Vec<Check> {
    match pod_list(c, n, t) {
        Ok(pods) => pods.iter().map(|p| f(p, &format!("{}/{}", c.ns(), name_of(p)))).collect(),
        Err(e) => vec![e],
    }
}

fn pods_running(c: &Cluster<'_>, t: &str) -> Vec<Check> {
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

fn pods_restarts(c: &Cluster<'_>, t: &str) -> Vec<Check> {
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

fn log(c: &Cluster<'_>, pod: &str, container: &str, since: Option<u64>) -> Result<String, String> {
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
fn db_migrate(c: &Cluster<'_>, t: &str) -> Vec<Check> {
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

fn resources(c: &Cluster<'_>, t: &str) -> Vec<Check> {
    let n = "k8s.resources.usage";
    let m = c.get(&c.metrics, &format!("/apis/metrics.k8s.io/v1beta1/namespaces/{}/pods", c.ns()));
    let metrics = match m {
        Ok(Some(v)) => v,
        Ok(None) => return vec![chk(n, t, CheckStatus::Fail, "the metrics API is not served: install metrics-server")],
        Err(e) => return vec![chk(n, t, CheckStatus::Error, format!("cannot read pod metrics: {e}"))],
    };
    let pods: BTreeMap<String, &Value> = match c.pods() {
        Ok(Some(p)) => items(p).into_iter().map(|p| (name_of(p), p)).collect(),
        _ => BTreeMap::new(),
    };
    let mut out = Vec::new();
    for pm in items(metrics) {
        let name = name_of(pm);
        let Some(pod) = pods.get(&name) else { continue };
        let containers = pm.get("containers").and_then(Value::as_array).cloned().unwrap_or_default();
        let cpu: f64 =
            containers.iter().filter_map(|c| c.pointer("/usage/cpu").and_then(Value::as_str).and_then(cpu_cores)).sum();
        let mem: f64 = containers
            .iter()
            .filter_map(|c| c.pointer("/usage/memory").and_then(Value::as_str).and_then(memory_mib))
            .sum();
        let spec = pod.pointer("/spec/containers").and_then(Value::as_array).cloned().unwrap_or_default();
        let sum = |ptr: &str, f: fn(&str) -> Option<f64>| -> Option<f64> {
            let v: Vec<f64> = spec.iter().filter_map(|c| c.pointer(ptr).and_then(Value::as_str).and_then(f)).collect();
            (!v.is_empty()).then(|| v.iter().sum())
        };
        let cpu_limit = sum("/resources/limits/cpu", cpu_cores).or(sum("/resources/requests/cpu", cpu_cores));
        let mem_limit = sum("/resources/limits/memory", memory_mib).or(sum("/resources/requests/memory", memory_mib));
        let pct = |used: f64, of: Option<f64>| of.filter(|o| *o > 0.0).map(|o| used * 100.0 / o);
        let (cpu_pct, mem_pct) = (pct(cpu, cpu_limit), pct(mem, mem_limit));
        let target = format!("{}/{name}", c.ns());
        let shown = format!(
            "CPU {:.0}m{}, memory {:.0}Mi{}",
            cpu * 1000.0,
            cpu_pct.map(|p| format!(" ({p:.0} % of limit)")).unwrap_or_default(),
            mem,
            mem_pct.map(|p| format!(" ({p:.0} % of limit)")).unwrap_or_default()
        );
        let over = cpu >= c.o.max_cpu || mem >= c.o.max_memory_mib;
        let high = cpu_pct.is_some_and(|p| p >= c.o.usage_warn_pct) || mem_pct.is_some_and(|p| p >= c.o.usage_warn_pct);
        let s = if over {
            CheckStatus::Fail
        } else if high {
            CheckStatus::Warn
        } else {
            CheckStatus::Pass
        };
        out.push(
            chk(n, &target, s, shown)
                .observed(json!({"cpu_cores": (cpu * 1000.0).round() / 1000.0, "memory_mib": mem.round(), "cpu_pct": cpu_pct.map(f64::round), "memory_pct": mem_pct.map(f64::round)}))
                .expected(json!({"cpu_cores_lt": c.o.max_cpu, "memory_mib_lt": c.o.max_memory_mib, "pct_lt": c.o.usage_warn_pct})),
        );
    }
    if out.is_empty() {
        out.push(chk(n, t, CheckStatus::Warn, "no pod metrics yet for the deployment's pods"));
    }
    out
}

fn logs(c: &Cluster<'_>, t: &str) -> Vec<Check> {
    let n = "k8s.logs.errors";
    let pods = match pod_list(c, n, t) {
        Ok(p) => p,
        Err(e) => return vec![e],
    };
    let re = regex::Regex::new(r"(?i)error|exception|failed").ok();
    let mut out = Vec::new();
    for p in pods {
        let pod = name_of(p);
        let containers: Vec<String> = p
            .pointer("/spec/containers")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string)).collect())
            .unwrap_or_default();
        for container in containers {
            let target = format!("{}/{pod}/{container}", c.ns());
            match log(c, &pod, &container, Some(c.o.log_window.as_secs())) {
                Ok(text) => {
                    let mut patterns: BTreeMap<String, u64> = BTreeMap::new();
                    let mut count = 0usize;
                    for line in text.lines().filter(|l| re.as_ref().is_some_and(|r| r.is_match(l))) {
                        count += 1;
                        *patterns
                            .entry(navikit::pattern::normalize(&navikit::redact::redact_text(line)))
                            .or_insert(0) += 1;
                    }
                    let mut top: Vec<(String, u64)> = patterns.into_iter().collect();
                    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                    top.truncate(3);
                    let s = if count == 0 {
                        CheckStatus::Pass
                    } else if count > c.o.max_log_errors {
                        CheckStatus::Fail
                    } else {
                        CheckStatus::Warn
                    };
                    let hours = c.o.log_window.as_secs_f64() / 3600.0;
                    let msg = if count == 0 {
                        format!("no error lines in the last {hours:.0} h")
                    } else {
                        format!(
                            "{count} error line(s) in the last {hours:.0} h; top: {}",
                            top.iter().map(|(p, n)| format!("{n}× {p}")).collect::<Vec<_>>().join("; ")
                        )
                    };
                    out.push(chk(n, &target, s, msg).observed(json!({"lines": count, "top": top.iter().map(|(p, n)| json!({"pattern": p, "count": n})).collect::<Vec<_>>()})));
                }
                Err(e) => out.push(chk(n, &target, CheckStatus::Error, format!("cannot read the log: {e}"))),
            }
        }
    }
    out
}

fn hpa(c: &Cluster<'_>, t: &str) -> Vec<Check> {
    let n = "k8s.hpa.configured";
    let f = c.get(&c.hpas, &format!("/apis/autoscaling/v2/namespaces/{}/horizontalpodautoscalers", c.ns()));
    let list = match need(f, n, t, "horizontal pod autoscalers") {
        Ok(v) => v,
        Err(e) => return vec![e],
    };
    let found = items(list).into_iter().find(|h| {
        h.pointer("/spec/scaleTargetRef/kind").and_then(Value::as_str) == Some("Deployment")
            && h.pointer("/spec/scaleTargetRef/name").and_then(Value::as_str) == Some(c.o.deployment.as_str())
    });
    vec![match found {
        Some(h) => {
            let (min, max) =
                (h.pointer("/spec/minReplicas").and_then(Value::as_i64).unwrap_or(1), i(h, "/spec/maxReplicas"));
            let current = h.pointer("/status/currentMetrics").cloned().unwrap_or(Value::Null);
            let s = if max >= min && max > 1 { CheckStatus::Pass } else { CheckStatus::Warn };
            chk(
                n,
                t,
                s,
                format!(
                    "HPA {} scales {} between {min} and {max} (now {})",
                    name_of(h),
                    c.o.deployment,
                    i(h, "/status/currentReplicas")
                ),
            )
            .observed(json!({"min": min, "max": max, "current": i(h, "/status/currentReplicas"), "metrics": current}))
        }
        None => chk(
            n,
            t,
            CheckStatus::Fail,
            format!("no HPA targets deployment {}: autoscaling is not configured", c.o.deployment),
        ),
    }]
}

fn metrics_server(c: &Cluster<'_>, t: &str) -> Vec<Check> {
    let n = "k8s.metrics_server.available";
    let f = c.get(&c.apiservice, "/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io");
    vec![match need(f, n, t, "APIService v1beta1.metrics.k8s.io (metrics-server is not installed)") {
        Ok(v) => {
            let avail = condition(v, "Available");
            let ok = avail.and_then(|c| c.get("status")).and_then(Value::as_str) == Some("True");
            let why = avail.and_then(|c| c.get("message")).and_then(Value::as_str).unwrap_or("");
            if ok {
                chk(n, t, CheckStatus::Pass, "metrics-server is Available")
            } else {
                chk(n, t, CheckStatus::Fail, format!("metrics-server is not Available: {why}"))
            }
        }
        Err(e) => e,
    }]
}

/// decoded returns a secret's data, base64-decoded, in memory only.
fn decoded(secret: &Value) -> BTreeMap<String, String> {
    secret
        .get("data")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| {
                    v.as_str()
                        .and_then(|s| STANDARD.decode(s).ok())
                        .map(|b| (k.clone(), String::from_utf8_lossy(&b).into_owned()))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn secret(c: &Cluster<'_>, _t: &str) -> Vec<Check> {
    let n = "k8s.secret.keys";
    let target = format!("{}/secret/{}", c.ns(), c.o.secret);
    let f = c.get(&c.secret, &format!("/api/v1/namespaces/{}/secrets/{}", c.ns(), c.o.secret));
    let s = match need(f, n, &target, &format!("secret {}", c.o.secret)) {
        Ok(v) => v,
        Err(e) => return vec![e],
    };
    let d = decoded(s);
    const KEYS: [&str; 7] = ["DATABASE_URL", "DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD", "DB_SSLMODE"];
    let missing: Vec<&str> = KEYS.iter().copied().filter(|k| d.get(*k).is_none_or(|v| v.is_empty())).collect();
    let mut problems: Vec<String> = Vec::new();
    if !missing.is_empty() {
        problems.push(format!("missing or empty: {}", missing.join(", ")));
    }
    if let Some(mode) = d
        .get("DB_SSLMODE")
        .filter(|m| m.as_str() != "require" && m.as_str() != "verify-full" && m.as_str() != "verify-ca")
    {
        problems.push(format!("DB_SSLMODE is `{mode}`, must be `require`"));
    }
    if let Some(url) = d.get("DATABASE_URL") {
        match navikit::dburl::DbUrl::parse(url) {
            Err(e) => problems.push(format!("DATABASE_URL does not parse: {e}")),
            Ok(u) => {
                let port = u.port.unwrap_or(5432).to_string();
                let pairs = [
                    ("DB_USER", u.user.as_deref()),
                    ("DB_HOST", u.host.as_deref()),
                    ("DB_PORT", Some(port.as_str())),
                    ("DB_NAME", u.dbname.as_deref()),
                ];
                for (k, v) in pairs {
                    if let Some(x) = d.get(k)
                        && Some(x.trim()) != v
                    {
                        problems.push(format!("DATABASE_URL disagrees with {k}"));
                    }
                }
                if d.get("DB_PASSWORD").is_some_and(|p| Some(p.as_str()) != u.password()) {
                    problems.push("DATABASE_URL's password disagrees with DB_PASSWORD".into());
                }
            }
        }
    }
    // Only the password-bearing values are secret; DB_SSLMODE=disable may be shown.
    let secrets: Vec<&str> =
        ["DB_PASSWORD", "DATABASE_URL"].iter().filter_map(|k| d.get(*k).map(String::as_str)).collect();
    let msg = navikit::redact::redact_with(&problems.join("; "), &secrets);
    let observed =
        SecretKeys { keys: d.keys().cloned().collect(), db_host: d.get("DB_HOST").map(|h| h.trim().to_string()) }
            .to_value();
    vec![if problems.is_empty() {
        chk(
            n,
            &target,
            CheckStatus::Pass,
            format!("all {} keys present, DB_SSLMODE=require, DATABASE_URL agrees with DB_*", KEYS.len()),
        )
        .observed(observed)
    } else {
        chk(n, &target, CheckStatus::Fail, msg).observed(observed).expected(json!(KEYS))
    }]
}

fn configmap(c: &Cluster<'_>, _t: &str) -> Vec<Check> {
    let n = "k8s.configmap.keys";
    let target = format!("{}/configmap/{}", c.ns(), c.o.configmap);
    let f = c.get(&c.configmap, &format!("/api/v1/namespaces/{}/configmaps/{}", c.ns(), c.o.configmap));
    let cm = match need(f, n, &target, &format!("configmap {}", c.o.configmap)) {
        Ok(v) => v,
        Err(e) => return vec![e],
    };
    let data = cm.get("data").and_then(Value::as_object).cloned().unwrap_or_default();
    let get = |k: &str| data.get(k).and_then(Value::as_str);
    let mut problems = Vec::new();
    for (k, lo, hi) in [
        ("DB_POOL_SIZE", 1, 500),
        ("DB_MAX_OVERFLOW", 0, 1000),
        ("DB_POOL_TIMEOUT", 1, 600),
        ("DB_POOL_RECYCLE", 1, 86400),
    ] {
        match get(k).map(|v| v.trim().parse::<i64>()) {
            None => problems.push(format!("{k} missing")),
            Some(Err(_)) => problems.push(format!("{k} is not a number")),
            Some(Ok(v)) if v < lo || v > hi => problems.push(format!("{k}={v} outside {lo}..{hi}")),
            Some(Ok(_)) => {}
        }
    }
    for k in ["ALEMBIC_AUTO_UPGRADE", "DB_ECHO"] {
        match get(k).map(|v| v.trim().to_ascii_lowercase()) {
            None if k == "DB_ECHO" => {}
            None => problems.push(format!("{k} missing")),
            Some(v) if ["true", "false", "1", "0", "yes", "no"].contains(&v.as_str()) => {}
            Some(v) => problems.push(format!("{k}=`{v}` is not a boolean")),
        }
    }
    vec![if problems.is_empty() {
        chk(n, &target, CheckStatus::Pass, "pool settings numeric and sane; ALEMBIC_AUTO_UPGRADE is a boolean")
            .observed(Value::Object(data))
    } else {
        chk(n, &target, CheckStatus::Fail, problems.join("; ")).observed(Value::Object(data))
    }]
}

/// Resolved is where an environment variable of a container comes from.
enum Resolved {
    /// Its value and where it was found.
    Value(String, String),
    /// Not set anywhere in the container's spec.
    Absent,
    /// Set, but from a source that could not be read (why).
    Unknown(String),
}

/// object_data reads a ConfigMap's `data` or a Secret's decoded `data`.
fn object_data(c: &Cluster<'_>, kind: &str, name: &str) -> Result<Option<BTreeMap<String, String>>, String> {
    let path = format!("/api/v1/namespaces/{}/{kind}/{name}", c.ns());
    Ok(c.o.kubectl.json(&path)?.map(|v| {
        if kind == "secrets" {
            decoded(&v)
        } else {
            v.get("data")
                .and_then(Value::as_object)
                .map(|m| m.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect())
                .unwrap_or_default()
        }
    }))
}

/// resolve_env finds a variable the way the kubelet sets it: `env` entries
/// (a literal `value`, or `valueFrom` a ConfigMap or Secret key) win over
/// `envFrom` sources, of which the last to define it wins.
fn resolve_env(c: &Cluster<'_>, container: &Value, key: &str) -> Resolved {
    let env = container.get("env").and_then(Value::as_array).cloned().unwrap_or_default();
    if let Some(e) = env.iter().rev().find(|e| e.get("name").and_then(Value::as_str) == Some(key)) {
        if let Some(v) = e.get("value").and_then(Value::as_str) {
            return Resolved::Value(v.to_string(), "set directly in the deployment".into());
        }
        for (field, kind) in [("configMapKeyRef", "configmaps"), ("secretKeyRef", "secrets")] {
            if let Some(r) = e.pointer(&format!("/valueFrom/{field}")) {
                let name = r.get("name").and_then(Value::as_str).unwrap_or("");
                let k = r.get("key").and_then(Value::as_str).unwrap_or("");
                return match object_data(c, kind, name) {
                    Ok(Some(d)) => match d.get(k) {
                        Some(v) => Resolved::Value(v.clone(), format!("from {kind} {name}/{k}")),
                        None => Resolved::Unknown(format!("{kind} {name} has no key {k}")),
                    },
                    Ok(None) => Resolved::Unknown(format!("{kind} {name} not found")),
                    Err(e) => Resolved::Unknown(e),
                };
            }
        }
        return Resolved::Unknown(format!(
            "{key} is set from a source k8s-check cannot read (fieldRef or resourceFieldRef)"
        ));
    }
    let sources = container.get("envFrom").and_then(Value::as_array).cloned().unwrap_or_default();
    for src in sources.iter().rev() {
        let prefix = src.get("prefix").and_then(Value::as_str).unwrap_or("");
        let Some(stripped) = key.strip_prefix(prefix) else { continue };
        for (field, kind) in [("configMapRef", "configmaps"), ("secretRef", "secrets")] {
            let Some(r) = src.get(field) else { continue };
            let name = r.get("name").and_then(Value::as_str).unwrap_or("");
            match object_data(c, kind, name) {
                Ok(Some(d)) => {
                    if let Some(v) = d.get(stripped) {
                        return Resolved::Value(v.clone(), format!("from envFrom {kind} {name}"));
                    }
                }
                Ok(None) if r.get("optional").and_then(Value::as_bool) == Some(true) => {}
                Ok(None) => return Resolved::Unknown(format!("envFrom {kind} {name} not found")),
                Err(e) => return Resolved::Unknown(format!("envFrom {kind} {name}: {e}")),
            }
        }
    }
    Resolved::Absent
}

/// audit_key: in every container that runs with APP_ENV=production,
/// AUDIT_ENCRYPTION_KEY resolves to a valid Fernet key.
fn audit_key(c: &Cluster<'_>, t: &str) -> Vec<Check> {
    let n = "k8s.audit_key.production";
    let d = match need(c.deployment(), n, t, "deployment") {
        Ok(d) => d,
        Err(e) => return vec![e],
    };
    let containers = d.pointer("/spec/template/spec/containers").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut production = Vec::new();
    let mut seen = Vec::new();
    for ct in &containers {
        let name = ct.get("name").and_then(Value::as_str).unwrap_or("?").to_string();
        match resolve_env(c, ct, "APP_ENV") {
            Resolved::Value(v, _) if v.trim().eq_ignore_ascii_case("production") => production.push((name, ct)),
            Resolved::Value(v, from) => seen.push(format!("{name}: APP_ENV=`{v}` ({from})")),
            Resolved::Absent => seen.push(format!("{name}: APP_ENV not set")),
            Resolved::Unknown(why) => {
                return vec![chk(
                    n,
                    t,
                    CheckStatus::Skip,
                    format!("cannot resolve APP_ENV of container {name}: {why}"),
                )];
            }
        }
    }
    if production.is_empty() {
        return vec![chk(
            n,
            t,
            CheckStatus::Skip,
            format!(
                "no container runs with APP_ENV=production ({}): mandatory audit encryption is not exercised here",
                seen.join("; ")
            ),
        )];
    }
    let mut problems = Vec::new();
    let mut sources = Vec::new();
    for (name, ct) in production {
        match resolve_env(c, ct, "AUDIT_ENCRYPTION_KEY") {
            Resolved::Value(k, from) if fernet::Fernet::new(k.trim()).is_some() => sources.push(format!("{name}: {from}")),
            Resolved::Value(_, from) => problems.push(format!(
                "{name}: AUDIT_ENCRYPTION_KEY {from} is not a valid Fernet key (32 url-safe base64 bytes)"
            )),
            Resolved::Absent => problems.push(format!(
                "{name}: APP_ENV=production but AUDIT_ENCRYPTION_KEY is not set: the service will refuse to start; add it from a secret"
            )),
            Resolved::Unknown(why) => problems.push(format!("{name}: AUDIT_ENCRYPTION_KEY: {why}")),
        }
    }
    vec![if problems.is_empty() {
        chk(n, t, CheckStatus::Pass, format!("AUDIT_ENCRYPTION_KEY is a valid Fernet key ({})", sources.join("; ")))
    } else {
        chk(n, t, CheckStatus::Fail, problems.join("; "))
    }]
}

fn service(c: &Cluster<'_>, _t: &str) -> Vec<Check> {
    let n = "k8s.service.endpoints";
    let target = format!("{}/service/{}", c.ns(), c.o.service);
    let svc = c.get(&c.service, &format!("/api/v1/namespaces/{}/services/{}", c.ns(), c.o.service));
    let svc = match need(svc, n, &target, &format!("service {}", c.o.service)) {
        Ok(v) => v,
        Err(e) => return vec![e],
    };
    let ep = c.get(&c.endpoints, &format!("/api/v1/namespaces/{}/endpoints/{}", c.ns(), c.o.service));
    let ready: usize = match ep {
        Ok(Some(e)) => e
            .get("subsets")
            .and_then(Value::as_array)
            .map(|s| s.iter().map(|x| x.get("addresses").and_then(Value::as_array).map_or(0, Vec::len)).sum())
            .unwrap_or(0),
        _ => 0,
    };
    let ingress = svc.pointer("/status/loadBalancer/ingress/0");
    let address = ingress.and_then(|i| i.get("hostname").or_else(|| i.get("ip"))).and_then(Value::as_str);
    let kind = svc.pointer("/spec/type").and_then(Value::as_str).unwrap_or("ClusterIP");
    let mut msg = format!("{ready} ready endpoint(s)");
    if let Some(a) = address {
        msg.push_str(&format!("; STAGING_URL=http://{a}"));
    } else if kind == "LoadBalancer" {
        msg.push_str("; the LoadBalancer has no address yet");
    }
    let s = if ready == 0 {
        CheckStatus::Fail
    } else if kind == "LoadBalancer" && address.is_none() {
        CheckStatus::Warn
    } else {
        CheckStatus::Pass
    };
    vec![chk(n, &target, s, msg).observed(json!({"ready": ready, "type": kind, "address": address}))]
}

fn nodes(c: &Cluster<'_>, t: &str) -> Vec<Check> {
    let n = "k8s.nodes.ready";
    let f = c.get(&c.nodes, "/api/v1/nodes");
    let list = match need(f, n, t, "nodes") {
        Ok(v) => v,
        Err(e) => return vec![e],
    };
    let all = items(list);
    let not_ready: Vec<String> = all
        .iter()
        .filter(|nd| condition(nd, "Ready").and_then(|c| c.get("status")).and_then(Value::as_str) != Some("True"))
        .map(|nd| name_of(nd))
        .collect();
    vec![if all.is_empty() {
        chk(n, t, CheckStatus::Fail, "no nodes")
    } else if not_ready.is_empty() {
        chk(n, t, CheckStatus::Pass, format!("{} node(s) Ready", all.len())).observed(all.len() as u64)
    } else {
        chk(
            n,
            t,
            CheckStatus::Fail,
            format!("{} of {} node(s) not Ready: {}", not_ready.len(), all.len(), not_ready.join(", ")),
        )
        .observed(all.len() as u64)
    }]
}
