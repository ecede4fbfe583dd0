//! k8s-check: the plan's Kubernetes checks in one pass through the real
//! kubectl, one check record per verdict. Objects are read once each
//! (deployment, pods by the deployment's selector, metrics, HPAs, the
//! APIService, secret, configmap, service, endpoints, nodes); logs once per
//! container.

pub mod checks;
pub mod cli;
pub mod kubectl;
pub mod quantity;

use navikit::ndjson::RecordWriter;
use navikit::record::{Check, CheckStatus, Record};
use navikit::{Error, Outcome};

/// CHECKS lists every check with its meaning (`k8s-check --list`).
pub const CHECKS: &[(&str, &str)] = &[
    ("k8s.namespace.exists", "the namespace exists and is Active"),
    (
        "k8s.rollout.complete",
        "the deployment's rollout is complete by kubectl's rules (observed generation, updated/available replicas, no ProgressDeadlineExceeded)",
    ),
    ("k8s.replicas.ready", "at least --min-replicas replicas are ready (plan: 2)"),
    ("k8s.pods.running", "every pod of the deployment is Running with all containers ready (one record per pod)"),
    (
        "k8s.pods.restarts",
        "restarts per pod within --max-restarts, with the last termination reason such as OOMKilled (one record per pod)",
    ),
    (
        "k8s.init.db_migrate",
        "the db-migrate init container exited 0 and its log shows the upgrade to the expected Alembic head",
    ),
    ("k8s.resources.usage", "metrics API: CPU < 1 core and memory < 2Gi per pod, and under 50 % of requests/limits"),
    (
        "k8s.logs.errors",
        "lines matching error|exception|failed in the log window, counted per pod and container, top patterns, secrets redacted",
    ),
    ("k8s.hpa.configured", "an HPA targets the deployment; min/max and current metrics reported"),
    ("k8s.metrics_server.available", "the APIService v1beta1.metrics.k8s.io is Available"),
    (
        "k8s.secret.keys",
        "the database secret holds DATABASE_URL and DB_*; DB_SSLMODE=require; DATABASE_URL agrees with DB_* (values never printed)",
    ),
    (
        "k8s.configmap.keys",
        "the database configmap's pool settings are numeric and sane; ALEMBIC_AUTO_UPGRADE is a boolean",
    ),
    (
        "k8s.audit_key.production",
        "with APP_ENV=production, AUDIT_ENCRYPTION_KEY is set (directly or by secretKeyRef) and is a valid Fernet key",
    ),
    ("k8s.service.endpoints", "the service has ready endpoints; a LoadBalancer address is reported for STAGING_URL"),
    ("k8s.nodes.ready", "every node is Ready"),
];

/// run carries out the checks and writes each record as it is reached.
pub fn run(opts: &cli::Options) -> Result<Outcome, Error> {
    if opts.list {
        for (name, meaning) in CHECKS {
            println!("{name:32} {meaning}");
        }
        return Ok(Outcome::Pass);
    }
    let mut out = RecordWriter::stdout();
    let target = format!("{}/{}", opts.ns, opts.deployment);
    if let Err(e) = opts.kubectl.available() {
        out.write(&Record::Check(Check::new(
            "k8s-check",
            "k8s.cluster.reachable",
            &target,
            CheckStatus::Error,
            e.clone(),
        )))?;
        return Err(Error::input(e));
    }
    let mut failed = false;
    for c in checks::all(opts) {
        failed |= c.status.fails(opts.selection.strict);
        out.write(&Record::Check(c))?;
    }
    Ok(Outcome::from_failed(failed))
}
