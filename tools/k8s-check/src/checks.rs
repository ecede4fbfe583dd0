//! The checks. Each kind of object is fetched once and shared; a fetch that
//! fails turns the checks that need it into `error` records naming why.
// An `Err` here is the check's own verdict, built once per check: boxing it buys nothing.
#![allow(clippy::result_large_err)]

use std::cell::OnceCell;
use std::collections::BTreeMap;

use navikit::record::{Check, CheckStatus};
use serde_json::{Value, json};

use crate::cli::Options;

mod config;
mod pods;

use crate::quantity::{cpu_cores, memory_mib};
use config::{audit_key, configmap, secret};
use pods::{db_migrate, log, pod_list, pods_restarts, pods_running};

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

impl<'a> Cluster<'a> {
    /// Cluster::new is a cache with nothing read yet.
    fn new(o: &'a Options) -> Cluster<'a> {
        Cluster {
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
        }
    }
}

/// all runs the selected checks in order.
pub fn all(o: &Options) -> Vec<Check> {
    let c = Cluster::new(o);
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
    let observed = json!({
        "generation": gen_,
        "observedGeneration": observed,
        "updated": updated,
        "replicas": replicas,
        "available": available,
        "revision": d.pointer("/metadata/annotations/deployment.kubernetes.io~1revision"),
        "images": template_images(d),
        "running_images": running_images(c),
        "conditions": d.pointer("/status/conditions").and_then(Value::as_array).map(|cs| cs.iter().map(|c| json!({
            "type": c.get("type"),
            "status": c.get("status"),
            "reason": c.get("reason"),
            "since": c.get("lastTransitionTime"),
            "updated": c.get("lastUpdateTime"),
        })).collect::<Vec<_>>()),
    });
    vec![chk(n, t, status, msg).observed(observed)]
}

/// template_images is what the deployment asks to run: container → image,
/// init containers included (the migration runs from the same image).
fn template_images(d: &Value) -> BTreeMap<String, String> {
    ["/spec/template/spec/initContainers", "/spec/template/spec/containers"]
        .iter()
        .filter_map(|p| d.pointer(p).and_then(Value::as_array))
        .flatten()
        .filter_map(|c| Some((c.get("name")?.as_str()?.to_string(), c.get("image")?.as_str()?.to_string())))
        .collect()
}

/// running_images is what the pods really run: each distinct image with the
/// digest the kubelet resolved (`imageID`), so a tag moved after the deploy
/// shows.
fn running_images(c: &Cluster<'_>) -> Vec<Value> {
    let Ok(Some(pods)) = c.pods() else { return Vec::new() };
    let mut seen: Vec<Value> = Vec::new();
    for status in items(pods)
        .iter()
        .flat_map(|p| ["/status/initContainerStatuses", "/status/containerStatuses"].map(|k| p.pointer(k)))
        .filter_map(|s| s.and_then(Value::as_array))
        .flatten()
    {
        let v =
            json!({"container": status.get("name"), "image": status.get("image"), "image_id": status.get("imageID")});
        if !seen.contains(&v) {
            seen.push(v);
        }
    }
    seen
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

fn resources(c: &Cluster<'_>, t: &str) -> Vec<Check> {
    let n = "k8s.resources.usage";
    let m = c.get(&c.metrics, &format!("/apis/metrics.k8s.io/v1beta1/namespaces/{}/pods", c.ns()));
    let metrics = match m {
        Ok(Some(v)) => v,
        Ok(None) => return vec![chk(n, t, CheckStatus::Fail, "the metrics API is not served: install metrics-server")],
        Err(e) => return vec![chk(n, t, CheckStatus::Error, format!("cannot read pod metrics: {e}"))],
    };
    let pods: BTreeMap<String, &Value> = match pod_list(c, n, t) {
        Ok(p) => p.into_iter().map(|p| (name_of(p), p)).collect(),
        Err(e) => return vec![e],
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
        out.push(chk(n, t, CheckStatus::Skip, "no pod metrics yet for the deployment's pods: usage not looked at"));
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

fn service(c: &Cluster<'_>, _t: &str) -> Vec<Check> {
    let n = "k8s.service.endpoints";
    let target = format!("{}/service/{}", c.ns(), c.o.service);
    let svc = c.get(&c.service, &format!("/api/v1/namespaces/{}/services/{}", c.ns(), c.o.service));
    let svc = match need(svc, n, &target, &format!("service {}", c.o.service)) {
        Ok(v) => v,
        Err(e) => return vec![e],
    };
    let ep = c.get(&c.endpoints, &format!("/api/v1/namespaces/{}/endpoints/{}", c.ns(), c.o.service));
    // No Endpoints object is no ready endpoint; an unreadable one is not a verdict.
    let ready: usize = match ep {
        Ok(Some(e)) => e
            .get("subsets")
            .and_then(Value::as_array)
            .map(|s| s.iter().map(|x| x.get("addresses").and_then(Value::as_array).map_or(0, Vec::len)).sum())
            .unwrap_or(0),
        Ok(None) => 0,
        Err(e) => return vec![chk(n, &target, CheckStatus::Error, format!("cannot read the endpoints: {e}"))],
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
#[cfg(test)]
mod tests {
    //! The checks judged on objects already read: each test fills the
    //! cluster's cache with the healthy recorded objects
    //! (tests/fixtures/k8s/healthy.json), changed the least a real cluster
    //! would change them, so no kubectl runs (the one pointed at does not
    //! exist: a fetch left unfilled is an error, never a verdict).

    use std::time::Duration;

    use super::*;
    use crate::kubectl::Kubectl;

    const TARGET: &str = "navi-staging/navi-backend";
    const DEPLOYMENT: &str = "/apis/apps/v1/namespaces/navi-staging/deployments/navi-backend";
    const PODS: &str = "/api/v1/namespaces/navi-staging/pods?labelSelector=app%3Dnavi-backend";
    const METRICS: &str = "/apis/metrics.k8s.io/v1beta1/namespaces/navi-staging/pods";
    const HPAS: &str = "/apis/autoscaling/v2/namespaces/navi-staging/horizontalpodautoscalers";
    const CONFIGMAP: &str = "/api/v1/namespaces/navi-staging/configmaps/navi-database-config-staging";
    const SERVICE: &str = "/api/v1/namespaces/navi-staging/services/navi-backend";
    const ENDPOINTS: &str = "/api/v1/namespaces/navi-staging/endpoints/navi-backend";
    const IMAGE: &str = "gcr.io/p/navi-backend:staging";
    const DIGEST: &str =
        "gcr.io/p/navi-backend@sha256:4b7e2a0f9c1d8e6b3a5f7c2e9d0b1a4c6e8f2d3b5a7c9e1f0d2b4a6c8e0f1a3b";
    /// The digest the `staging` tag points at after someone pushed over it.
    const MOVED_DIGEST: &str =
        "gcr.io/p/navi-backend@sha256:9d1c3e5a7b9f1d3c5e7a9b1d3f5c7e9a1b3d5f7c9e1a3b5d7f9c1e3a5b7d9f1c";
    const NEW_RS: &str = "navi-backend-7d9f8c6b5";
    const OLD_RS: &str = "navi-backend-6c8d9b7f4";
    /// A valid Fernet key (32 url-safe base64 bytes), made up for these tests.
    const FERNET_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    /// options are k8s-check's defaults, with a kubectl that does not exist.
    fn options() -> Options {
        Options {
            kubectl: Kubectl { program: "/nonexistent/kubectl".into(), context: None, timeout: Duration::from_secs(1) },
            ns: "navi-staging".into(),
            deployment: "navi-backend".into(),
            service: "navi-backend".into(),
            min_replicas: 2,
            max_restarts: 3,
            migrate_container: "db-migrate".into(),
            log_window: Duration::from_secs(4 * 3600),
            max_log_errors: 10,
            max_cpu: 1.0,
            max_memory_mib: 2048.0,
            usage_warn_pct: 50.0,
            secret: "navi-database-staging".into(),
            configmap: "navi-database-config-staging".into(),
            selection: navikit::checks::Selection::default(),
        }
    }

    /// cluster is a cache with nothing read yet.
    fn cluster(o: &Options) -> Cluster<'_> {
        Cluster::new(o)
    }

    /// found puts an object in the cache as if the API had answered with it.
    fn found(cell: &OnceCell<Fetched>, v: Value) {
        cell.set(Ok(Some(v))).expect("each object is read once");
    }

    /// healthy is the recorded healthy cluster's answer for an API path.
    fn healthy(path: &str) -> Value {
        let text = std::fs::read_to_string(navi_testkit::fixture("k8s/healthy.json")).expect("the healthy fixture");
        let mut all: Value = serde_json::from_str(&text).expect("the healthy fixture is JSON");
        all.get_mut(path).map(Value::take).unwrap_or_else(|| panic!("{path} is not in the healthy fixture"))
    }

    fn one(mut checks: Vec<Check>) -> Check {
        assert_eq!(checks.len(), 1, "{checks:?}");
        checks.remove(0)
    }

    fn statuses(checks: &[Check]) -> Vec<CheckStatus> {
        checks.iter().map(|c| c.status).collect()
    }

    #[test]
    fn the_pods_are_listed_by_the_deployments_own_selector() {
        let o = options();
        let c = cluster(&o);
        let mut d = healthy(DEPLOYMENT);
        d["spec"]["selector"]["matchLabels"] = json!({"app": "navi-backend", "tier": "api"});
        found(&c.deployment, d);
        assert_eq!(c.selector(), "app%3Dnavi-backend%2Ctier%3Dapi");

        let c = cluster(&o);
        c.deployment.set(Ok(None)).expect("read once");
        assert_eq!(c.selector(), "app%3Dnavi-backend", "no deployment: the conventional app label");
    }

    /// rollout_of judges the healthy deployment after `edit`.
    fn rollout_of(edit: impl FnOnce(&mut Value)) -> Check {
        let o = options();
        let c = cluster(&o);
        let mut d = healthy(DEPLOYMENT);
        edit(&mut d);
        found(&c.deployment, d);
        found(&c.pods, healthy(PODS));
        one(rollout(&c, TARGET))
    }

    #[test]
    fn a_complete_rollout_passes_and_shows_the_images_asked_for_and_run() {
        let r = rollout_of(|_| {});
        assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);
        assert_eq!(r.message, "deployment navi-backend successfully rolled out (2/2)");
        let observed = r.observed.expect("observed");
        assert_eq!(observed["images"], json!({"backend": IMAGE, "db-migrate": IMAGE}));
        assert_eq!(
            observed["running_images"],
            json!([
                {"container": "db-migrate", "image": IMAGE, "image_id": DIGEST},
                {"container": "backend", "image": IMAGE, "image_id": DIGEST},
            ])
        );
    }

    #[test]
    fn template_images_maps_every_container_init_containers_included_to_its_image() {
        let want: BTreeMap<String, String> =
            [("backend".to_string(), IMAGE.to_string()), ("db-migrate".to_string(), IMAGE.to_string())].into();
        assert_eq!(template_images(&healthy(DEPLOYMENT)), want);
    }

    #[test]
    fn running_images_shows_a_tag_moved_under_a_running_pod_once_per_digest() {
        let o = options();
        let c = cluster(&o);
        let mut pods = healthy(PODS);
        pods["items"][1]["status"]["containerStatuses"][0]["imageID"] = json!(MOVED_DIGEST);
        found(&c.pods, pods);
        assert_eq!(
            running_images(&c),
            vec![
                json!({"container": "db-migrate", "image": IMAGE, "image_id": DIGEST}),
                json!({"container": "backend", "image": IMAGE, "image_id": DIGEST}),
                json!({"container": "backend", "image": IMAGE, "image_id": MOVED_DIGEST}),
            ]
        );
    }

    #[test]
    fn a_spec_change_not_yet_observed_fails() {
        // Just after `kubectl apply`: generation moved, the status is the old one.
        let r = rollout_of(|d| d["metadata"]["generation"] = json!(4));
        assert_eq!(r.status, CheckStatus::Fail);
        assert_eq!(r.message, "waiting for the deployment spec update to be observed");
        let observed = r.observed.expect("observed");
        assert_eq!(observed["generation"], json!(4));
        assert_eq!(observed["observedGeneration"], json!(3));
    }

    #[test]
    fn fewer_updated_replicas_than_the_spec_asks_for_fails() {
        // Scaled to 3, the third pod not created yet (a quota, say).
        let r = rollout_of(|d| {
            d["metadata"]["generation"] = json!(4);
            d["status"]["observedGeneration"] = json!(4);
            d["spec"]["replicas"] = json!(3);
        });
        assert_eq!(r.status, CheckStatus::Fail);
        assert_eq!(r.message, "rollout in progress: 2 of 3 new replicas updated");
    }

    #[test]
    fn an_old_replica_still_terminating_fails() {
        // The surge pod of the last step: 3 pods, 2 of them updated.
        let r = rollout_of(|d| d["status"]["replicas"] = json!(3));
        assert_eq!(r.status, CheckStatus::Fail);
        assert_eq!(r.message, "rollout in progress: 1 old replicas pending termination");
        assert_eq!(r.observed.expect("observed")["replicas"], json!(3));
    }

    #[test]
    fn an_updated_replica_not_available_yet_fails() {
        let r = rollout_of(|d| {
            d["status"]["availableReplicas"] = json!(1);
            d["status"]["readyReplicas"] = json!(1);
        });
        assert_eq!(r.status, CheckStatus::Fail);
        assert_eq!(r.message, "rollout in progress: 1 of 2 updated replicas available");
        assert_eq!(r.observed.expect("observed")["available"], json!(1));
    }

    /// usage_of judges the healthy metrics and pods after `edit`.
    fn usage_of(edit: impl FnOnce(&mut Value, &mut Value)) -> Vec<Check> {
        let o = options();
        let c = cluster(&o);
        let (mut metrics, mut pods) = (healthy(METRICS), healthy(PODS));
        edit(&mut metrics, &mut pods);
        found(&c.metrics, metrics);
        found(&c.pods, pods);
        resources(&c, TARGET)
    }

    #[test]
    fn cpu_over_the_share_of_its_limit_warns_even_with_memory_low() {
        let cs = usage_of(|m, _| m["items"][0]["containers"][0]["usage"]["cpu"] = json!("600m"));
        assert_eq!(statuses(&cs), [CheckStatus::Warn, CheckStatus::Pass]);
        assert_eq!(cs[0].target, "navi-staging/navi-backend-7d9f8c6b5-x2x4z");
        assert_eq!(cs[0].message, "CPU 600m (60 % of limit), memory 420Mi (21 % of limit)");
        let observed = cs[0].observed.as_ref().expect("observed");
        assert_eq!(observed["cpu_cores"].as_f64(), Some(0.6));
        assert_eq!(observed["cpu_pct"].as_f64(), Some(60.0));
        assert_eq!(observed["memory_pct"].as_f64(), Some(21.0));
    }

    #[test]
    fn cpu_over_the_cap_fails_even_with_memory_low() {
        let cs = usage_of(|m, _| m["items"][0]["containers"][0]["usage"]["cpu"] = json!("1500m"));
        assert_eq!(statuses(&cs), [CheckStatus::Fail, CheckStatus::Pass]);
        assert_eq!(cs[0].message, "CPU 1500m (150 % of limit), memory 420Mi (21 % of limit)");
        assert_eq!(cs[0].observed.as_ref().expect("observed")["cpu_cores"].as_f64(), Some(1.5));
    }

    #[test]
    fn a_zero_cpu_request_without_a_cpu_limit_is_no_share_to_judge() {
        // No CPU limit, a request of 0: there is no share of anything in use.
        let cs = usage_of(|_, p| {
            p["items"][0]["spec"]["containers"][0]["resources"] =
                json!({"requests": {"cpu": "0", "memory": "512Mi"}, "limits": {"memory": "2Gi"}});
        });
        assert_eq!(statuses(&cs), [CheckStatus::Pass, CheckStatus::Pass]);
        assert_eq!(cs[0].message, "CPU 120m, memory 420Mi (21 % of limit)");
        let observed = cs[0].observed.as_ref().expect("observed");
        assert_eq!(observed["cpu_pct"], Value::Null);
        assert_eq!(observed["memory_pct"].as_f64(), Some(21.0));
    }

    #[test]
    fn an_hpa_for_another_deployment_does_not_count() {
        let o = options();
        let c = cluster(&o);
        let mut hpas = healthy(HPAS);
        hpas["items"][0]["metadata"]["name"] = json!("navi-frontend");
        hpas["items"][0]["spec"]["scaleTargetRef"]["name"] = json!("navi-frontend");
        found(&c.hpas, hpas);
        let r = one(hpa(&c, TARGET));
        assert_eq!(r.status, CheckStatus::Fail);
        assert_eq!(r.message, "no HPA targets deployment navi-backend: autoscaling is not configured");
    }

    /// service_of judges the healthy service after `edit`, with its two ready endpoints.
    fn service_of(edit: impl FnOnce(&mut Value)) -> Check {
        let o = options();
        let c = cluster(&o);
        let mut svc = healthy(SERVICE);
        edit(&mut svc);
        found(&c.service, svc);
        found(&c.endpoints, healthy(ENDPOINTS));
        one(service(&c, TARGET))
    }

    #[test]
    fn a_load_balancer_still_waiting_for_its_address_warns() {
        let r = service_of(|s| s["status"] = json!({"loadBalancer": {}}));
        assert_eq!(r.status, CheckStatus::Warn);
        assert_eq!(r.target, "navi-staging/service/navi-backend");
        assert_eq!(r.message, "2 ready endpoint(s); the LoadBalancer has no address yet");
        assert_eq!(r.observed, Some(json!({"ready": 2, "type": "LoadBalancer", "address": null})));
    }

    #[test]
    fn a_cluster_ip_service_with_ready_endpoints_passes_without_an_address() {
        let r = service_of(|s| {
            s["spec"]["type"] = json!("ClusterIP");
            s["status"] = json!({"loadBalancer": {}});
        });
        assert_eq!(r.status, CheckStatus::Pass);
        assert_eq!(r.message, "2 ready endpoint(s)");
        assert_eq!(r.observed, Some(json!({"ready": 2, "type": "ClusterIP", "address": null})));
    }

    /// configmap_of judges the healthy configmap with its data edited.
    fn configmap_of(edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Check {
        let o = options();
        let c = cluster(&o);
        let mut cm = healthy(CONFIGMAP);
        edit(cm["data"].as_object_mut().expect("the configmap has data"));
        found(&c.configmap, cm);
        one(configmap(&c, TARGET))
    }

    const CONFIGMAP_PASSES: &str = "pool settings numeric and sane; ALEMBIC_AUTO_UPGRADE is a boolean";

    #[test]
    fn pool_settings_at_their_bounds_pass() {
        let r = configmap_of(|data| {
            for (k, v) in [
                ("DB_POOL_SIZE", "500"),
                ("DB_MAX_OVERFLOW", "0"),
                ("DB_POOL_TIMEOUT", "1"),
                ("DB_POOL_RECYCLE", "86400"),
            ] {
                data.insert(k.to_string(), json!(v));
            }
        });
        assert_eq!((r.status, r.message.as_str()), (CheckStatus::Pass, CONFIGMAP_PASSES));
    }

    #[test]
    fn a_pool_size_past_either_bound_fails() {
        for (size, why) in [("501", "DB_POOL_SIZE=501 outside 1..500"), ("0", "DB_POOL_SIZE=0 outside 1..500")] {
            let r = configmap_of(|data| {
                data.insert("DB_POOL_SIZE".into(), json!(size));
            });
            assert_eq!((r.status, r.message.as_str()), (CheckStatus::Fail, why), "DB_POOL_SIZE={size}");
            assert_eq!(r.observed.expect("observed")["DB_POOL_SIZE"], json!(size));
        }
    }

    #[test]
    fn db_echo_may_be_left_out_but_alembic_auto_upgrade_may_not() {
        let r = configmap_of(|data| {
            data.remove("DB_ECHO");
        });
        assert_eq!((r.status, r.message.as_str()), (CheckStatus::Pass, CONFIGMAP_PASSES));
        let r = configmap_of(|data| {
            data.remove("ALEMBIC_AUTO_UPGRADE");
        });
        assert_eq!((r.status, r.message.as_str()), (CheckStatus::Fail, "ALEMBIC_AUTO_UPGRADE missing"));
    }

    #[test]
    fn db_echo_debug_is_not_a_boolean() {
        // SQLAlchemy's echo takes "debug"; the service reads DB_ECHO as a boolean.
        let r = configmap_of(|data| {
            data.insert("DB_ECHO".into(), json!("debug"));
        });
        assert_eq!((r.status, r.message.as_str()), (CheckStatus::Fail, "DB_ECHO=`debug` is not a boolean"));
    }

    /// backend_with_env is the healthy backend container with `env` instead of its own.
    fn backend_with_env(env: Value) -> Value {
        let mut d = healthy(DEPLOYMENT);
        let mut backend = d["spec"]["template"]["spec"]["containers"][0].take();
        backend["env"] = env;
        backend
    }

    /// app_env_from_a_label is APP_ENV set from a pod label, which only the kubelet resolves.
    fn app_env_from_a_label() -> Value {
        json!({
            "name": "APP_ENV",
            "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.labels['app.kubernetes.io/environment']"}}
        })
    }

    /// audit_key_of judges the healthy deployment with these containers.
    fn audit_key_of(containers: Value) -> Check {
        let o = options();
        let c = cluster(&o);
        let mut d = healthy(DEPLOYMENT);
        d["spec"]["template"]["spec"]["containers"] = containers;
        found(&c.deployment, d);
        one(audit_key(&c, TARGET))
    }

    #[test]
    fn a_container_not_in_production_is_a_skip_even_with_a_valid_key() {
        let r = audit_key_of(json!([backend_with_env(json!([
            {"name": "APP_ENV", "value": "staging"},
            {"name": "AUDIT_ENCRYPTION_KEY", "value": FERNET_KEY},
        ]))]));
        assert_eq!(r.status, CheckStatus::Skip, "{}", r.message);
        assert_eq!(
            r.message,
            "no container runs with APP_ENV=production (backend: APP_ENV=`staging` (set directly in the deployment)): mandatory audit encryption is not exercised here"
        );
    }

    #[test]
    fn an_app_env_that_cannot_be_resolved_is_a_skip_that_says_why() {
        let r = audit_key_of(json!([backend_with_env(json!([app_env_from_a_label()]))]));
        assert_eq!(r.status, CheckStatus::Skip);
        assert_eq!(
            r.message,
            "cannot resolve APP_ENV of container backend: APP_ENV is set from a source k8s-check cannot read (fieldRef or resourceFieldRef)"
        );
    }

    #[test]
    fn an_unresolvable_sidecar_does_not_hide_a_production_container_without_its_key() {
        let sidecar = json!({"name": "log-shipper", "image": "fluent/fluent-bit:3.0", "env": [app_env_from_a_label()]});
        let r = audit_key_of(json!([backend_with_env(json!([{"name": "APP_ENV", "value": "production"}])), sidecar]));
        assert_eq!(r.status, CheckStatus::Fail, "{}", r.message);
        assert_eq!(
            r.message,
            "backend: APP_ENV=production but AUDIT_ENCRYPTION_KEY is not set: the service will refuse to start; add it from a secret"
        );
    }

    #[test]
    fn restarts_up_to_the_limit_warn_and_beyond_it_fail() {
        let o = options();
        let c = cluster(&o);
        let mut pods = healthy(PODS);
        for (pod, restarts) in [(0_usize, 3), (1_usize, 4)] {
            let backend = &mut pods["items"][pod]["status"]["containerStatuses"][0];
            backend["restartCount"] = json!(restarts);
            backend["lastState"] = json!({"terminated": {
                "exitCode": 1,
                "reason": "Error",
                "startedAt": "2026-02-12T10:20:31Z",
                "finishedAt": "2026-02-12T10:21:02Z",
            }});
        }
        found(&c.pods, pods);
        let cs = pods_restarts(&c, TARGET);
        assert_eq!(statuses(&cs), [CheckStatus::Warn, CheckStatus::Fail]);
        assert_eq!(cs[0].message, "3 restart(s), last terminated: Error");
        assert_eq!(cs[0].observed, Some(json!({"restarts": 3, "last_termination": "Error"})));
        assert_eq!(cs[1].message, "4 restart(s), last terminated: Error (limit 3)");
        assert_eq!(cs[1].observed, Some(json!({"restarts": 4, "last_termination": "Error"})));
    }

    /// uid_of is the uid of one of the two ReplicaSets.
    fn uid_of(rs: &str) -> &'static str {
        if rs == NEW_RS { "e3b1c2d4-5f6a-4b7c-8d9e-0f1a2b3c4d5e" } else { "a7c9e1f3-2b4d-4f6a-8c0e-1d3f5b7a9c2e" }
    }

    /// replicaset is one ReplicaSet of the deployment as the API lists it.
    fn replicaset(name: &str, revision: &str, replicas: i64) -> Value {
        let hash = name.trim_start_matches("navi-backend-");
        json!({
            "metadata": {
                "name": name,
                "namespace": "navi-staging",
                "uid": uid_of(name),
                "labels": {"app": "navi-backend", "pod-template-hash": hash},
                "annotations": {
                    "deployment.kubernetes.io/desired-replicas": "2",
                    "deployment.kubernetes.io/max-replicas": "3",
                    "deployment.kubernetes.io/revision": revision,
                },
                "ownerReferences": [{
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": "navi-backend",
                    "uid": "5b0c7f6e-8d2a-4c1e-9a4f-2f6d8e1b7c30",
                    "controller": true,
                    "blockOwnerDeletion": true,
                }],
            },
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": "navi-backend", "pod-template-hash": hash}},
            },
            "status": {"replicas": replicas, "fullyLabeledReplicas": replicas, "observedGeneration": 1},
        })
    }

    /// owned_by makes a pod one the ReplicaSet `rs` created, named as the controller names it.
    fn owned_by(pod: &mut Value, rs: &str, suffix: &str) {
        pod["metadata"]["name"] = json!(format!("{rs}-{suffix}"));
        pod["metadata"]["labels"]["pod-template-hash"] = json!(rs.trim_start_matches("navi-backend-"));
        pod["metadata"]["ownerReferences"] = json!([{
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": rs,
            "uid": uid_of(rs),
            "controller": true,
            "blockOwnerDeletion": true,
        }]);
    }

    /// migrations_of judges the init containers of `pods` of the healthy
    /// deployment (revision 3) beside revision 2's and revision 3's ReplicaSets
    /// (listed by name, as the API does) with these replica counts.
    fn migrations_of(pods: Value, old_replicas: i64, new_replicas: i64) -> Vec<Check> {
        let o = options();
        let c = cluster(&o);
        found(&c.deployment, healthy(DEPLOYMENT));
        found(&c.pods, pods);
        found(
            &c.replicasets,
            json!({
                "kind": "ReplicaSetList",
                "apiVersion": "apps/v1",
                "metadata": {"resourceVersion": "48213"},
                "items": [replicaset(OLD_RS, "2", old_replicas), replicaset(NEW_RS, "3", new_replicas)],
            }),
        );
        db_migrate(&c, TARGET)
    }

    #[test]
    fn only_the_pods_of_the_newest_replicaset_are_judged() {
        // Revision 2's migration failed; revision 3 fixed it and its first pod migrated.
        let mut pods = healthy(PODS);
        owned_by(&mut pods["items"][0], NEW_RS, "x2x4z");
        owned_by(&mut pods["items"][1], OLD_RS, "r5t7p");
        pods["items"][1]["status"]["initContainerStatuses"][0]["state"] = json!({"terminated": {
            "exitCode": 1,
            "reason": "Error",
            "startedAt": "2026-02-12T09:40:02Z",
            "finishedAt": "2026-02-12T09:40:09Z",
        }});
        let c = one(migrations_of(pods, 1, 1));
        assert_eq!(c.status, CheckStatus::Pass, "{}", c.message);
        assert_eq!(c.target, "navi-staging/navi-backend-7d9f8c6b5-x2x4z");
        assert_eq!(c.message, "`db-migrate` terminated with exit code 0");
        let observed = c.observed.expect("observed");
        assert_eq!(observed["replicaset"], json!(NEW_RS));
        assert_eq!(observed["exit_code"], json!(0));
    }

    #[test]
    fn no_pod_of_the_newest_replicaset_yet_fails_whatever_the_old_pods_did() {
        let mut pods = healthy(PODS);
        owned_by(&mut pods["items"][0], OLD_RS, "m2p9d");
        owned_by(&mut pods["items"][1], OLD_RS, "t7w4k");
        let c = one(migrations_of(pods, 2, 0));
        assert_eq!(c.status, CheckStatus::Fail);
        assert_eq!(c.target, TARGET);
        assert_eq!(c.message, "no pod of the newest ReplicaSet navi-backend-7d9f8c6b5 exists yet");
    }
}
