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
