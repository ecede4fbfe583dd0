//! k8s-check: the plan's Kubernetes checks in one pass through the real
//! kubectl, one check record per verdict. Objects are read once each
//! (deployment, pods by the deployment's selector, metrics, HPAs, the
//! APIService, secret, configmap, service, endpoints, nodes); logs once per
//! container.

pub mod checks;
pub mod cli;
pub mod kubectl;
pub mod quantity;

use navikit::checks::{Def, Runner};
use navikit::{Error, Outcome};

/// CHECKS is k8s-check's registry (`k8s-check --list`, docs/checks.md).
pub const CHECKS: &[Def] = &[
    Def { name: "k8s.namespace.exists", meaning: "the namespace exists and is Active" },
    Def {
        name: "k8s.rollout.complete",
        meaning: "the deployment's rollout is complete by kubectl's rules (observed generation, updated/available replicas, no ProgressDeadlineExceeded)",
    },
    Def { name: "k8s.replicas.ready", meaning: "at least --min-replicas replicas are ready (plan: 2)" },
    Def {
        name: "k8s.pods.running",
        meaning: "every pod of the deployment is Running with all containers ready (one record per pod)",
    },
    Def {
        name: "k8s.pods.restarts",
        meaning: "restarts per pod within --max-restarts, with the last termination reason such as OOMKilled (one record per pod)",
    },
    Def {
        name: "k8s.init.db_migrate",
        meaning: "the db-migrate init container terminated with exit code 0 in every current pod of the deployment's newest ReplicaSet (one record per pod; its log tail is shown, not judged: the Alembic head is pg-check's)",
    },
    Def {
        name: "k8s.resources.usage",
        meaning: "metrics API: CPU < 1 core and memory < 2Gi per pod, and under 50 % of requests/limits",
    },
    Def {
        name: "k8s.logs.errors",
        meaning: "lines matching error|exception|failed in the log window, counted per pod and container, top patterns, secrets redacted",
    },
    Def { name: "k8s.hpa.configured", meaning: "an HPA targets the deployment; min/max and current metrics reported" },
    Def { name: "k8s.metrics_server.available", meaning: "the APIService v1beta1.metrics.k8s.io is Available" },
    Def {
        name: "k8s.secret.keys",
        meaning: "the database secret holds DATABASE_URL and DB_*; DB_SSLMODE require/verify-ca/verify-full; DATABASE_URL agrees with DB_* (values never printed)",
    },
    Def {
        name: "k8s.configmap.keys",
        meaning: "the database configmap's pool settings are numeric and sane; ALEMBIC_AUTO_UPGRADE is a boolean",
    },
    Def {
        name: "k8s.audit_key.production",
        meaning: "APP_ENV resolved through env, valueFrom and envFrom; with production, AUDIT_ENCRYPTION_KEY resolves to a valid Fernet key; skip when APP_ENV cannot be resolved",
    },
    Def {
        name: "k8s.service.endpoints",
        meaning: "the service has ready endpoints; a LoadBalancer address is reported for STAGING_URL",
    },
    Def { name: "k8s.nodes.ready", meaning: "every node is Ready" },
];

const TOOL: &str = "k8s-check";

/// configured says whether kubectl has any cluster to talk to, and why not.
fn configured(opts: &cli::Options) -> Result<(), String> {
    opts.kubectl.available()?;
    let env = |k: &str| std::env::var(k).is_ok_and(|v| !v.is_empty());
    let home_config = std::env::var("HOME").is_ok_and(|h| std::path::Path::new(&h).join(".kube/config").is_file());
    if env("KUBECONFIG") || home_config || env("KUBERNETES_SERVICE_HOST") || opts.kubectl.context.is_some() {
        Ok(())
    } else {
        Err("no cluster configured: set KUBECONFIG (or ~/.kube/config, or --context)".into())
    }
}

/// run carries out the checks and writes each record as it is reached.
pub fn run(opts: &cli::Options) -> Result<Outcome, Error> {
    let sel = &opts.selection;
    if sel.list {
        navikit::checks::list(CHECKS, &mut std::io::stdout().lock())?;
        return Ok(Outcome::Pass);
    }
    let mut out = Runner::stdout(sel);
    let target = format!("{}/{}", opts.ns, opts.deployment);
    if let Err(why) = configured(opts) {
        out.emit_all(navikit::checks::skipped(TOOL, CHECKS, sel, &target, &why))?;
        return Ok(out.finish(TOOL));
    }
    out.stand_in(opts.kubectl.stand_in());
    out.emit_all(checks::all(opts))?;
    Ok(out.finish(TOOL))
}
