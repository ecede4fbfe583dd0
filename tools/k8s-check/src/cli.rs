//! Command-line arguments.

use std::time::Duration;

use clap::Parser;
use navikit::Error;

use crate::kubectl::Kubectl;

const AFTER_HELP: &str = "\
Transport: the real kubectl (`kubectl get --raw`), with KUBECONFIG and --context as
kubectl reads them, so every auth plugin works. Secret values are decoded in memory
and never printed.

Without kubectl or any cluster configuration (KUBECONFIG, ~/.kube/config, in-cluster,
--context) every check is `skip` (not validated). An API server that declares itself a
stand-in in /version (the recorded API of the demo) marks every verdict as a stand-in's.

Exit status: 0 all checks passed, 1 a check failed, errored, could not look (skip;
--allow-skip to accept) or the cluster was unreachable (warnings too with --strict),
2 usage error.

Examples:
  k8s-check -n navi-staging | report-md validation-log
  k8s-check --only k8s.rollout.complete,k8s.init.db_migrate
  k8s-check --list";

/// Args are the raw arguments.
#[derive(Debug, Parser)]
#[command(name = "k8s-check", version, about = "The plan's Kubernetes checks through the real kubectl", after_help = AFTER_HELP)]
pub struct Args {
    /// Namespace.
    #[arg(long, short = 'n', env = "NAVI_NAMESPACE", default_value = "navi-staging")]
    pub namespace: String,
    /// Deployment.
    #[arg(long, env = "NAVI_DEPLOYMENT", default_value = "navi-backend")]
    pub deployment: String,
    /// Service (default: the deployment's name).
    #[arg(long)]
    pub service: Option<String>,
    /// kubectl context.
    #[arg(long)]
    pub context: Option<String>,
    /// kubectl program.
    #[arg(long, default_value = "kubectl")]
    pub kubectl: String,
    /// Timeout per kubectl call.
    #[arg(long, default_value = "15s")]
    pub timeout: String,
    /// Ready replicas needed (plan: 2).
    #[arg(long, default_value_t = 2)]
    pub min_replicas: i64,
    /// Restarts per pod beyond which the check fails.
    #[arg(long, default_value_t = 3)]
    pub max_restarts: i64,
    /// Init container that runs the migrations.
    #[arg(long, default_value = "db-migrate")]
    pub migrate_container: String,
    /// Log window for error lines.
    #[arg(long, default_value = "4h")]
    pub log_window: String,
    /// Error lines per container beyond which the check fails (any is a warning).
    #[arg(long, default_value_t = 10)]
    pub max_log_errors: usize,
    /// CPU limit per pod in cores (plan: 1).
    #[arg(long, default_value_t = 1.0)]
    pub max_cpu: f64,
    /// Memory limit per pod in MiB (plan: 2Gi).
    #[arg(long, default_value_t = 2048.0)]
    pub max_memory_mib: f64,
    /// Share of requests/limits in use that warns, percent (plan: 50).
    #[arg(long, default_value_t = 50.0)]
    pub usage_warn_pct: f64,
    /// Database secret.
    #[arg(long, default_value = "navi-database-staging")]
    pub secret: String,
    /// Database configmap.
    #[arg(long, default_value = "navi-database-config-staging")]
    pub configmap: String,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub selection: navikit::checks::Selection,
}

/// Options are the checked arguments.
#[derive(Debug, Clone)]
pub struct Options {
    /// kubectl.
    pub kubectl: Kubectl,
    /// Namespace.
    pub ns: String,
    /// Deployment.
    pub deployment: String,
    /// Service.
    pub service: String,
    /// Minimum ready replicas.
    pub min_replicas: i64,
    /// Restart limit.
    pub max_restarts: i64,
    /// Migration init container.
    pub migrate_container: String,
    /// Log window.
    pub log_window: Duration,
    /// Log error limit.
    pub max_log_errors: usize,
    /// CPU limit, cores.
    pub max_cpu: f64,
    /// Memory limit, MiB.
    pub max_memory_mib: f64,
    /// Usage warning level.
    pub usage_warn_pct: f64,
    /// Secret name.
    pub secret: String,
    /// ConfigMap name.
    pub configmap: String,
    /// Which checks run, and whether warnings fail.
    pub selection: navikit::checks::Selection,
}

/// parse reads the process arguments.
pub fn parse() -> Result<Options, Error> {
    let a = navikit::cli::parse_args::<Args>()?;
    let dur = |flag: &str, v: &str| navikit::duration::parse(v).map_err(|e| Error::input(format!("--{flag}: {e}")));
    a.selection.validate(crate::CHECKS)?;
    Ok(Options {
        kubectl: Kubectl { program: a.kubectl, context: a.context, timeout: dur("timeout", &a.timeout)? },
        service: a.service.unwrap_or_else(|| a.deployment.clone()),
        ns: a.namespace,
        deployment: a.deployment,
        min_replicas: a.min_replicas,
        max_restarts: a.max_restarts,
        migrate_container: a.migrate_container,
        log_window: dur("log-window", &a.log_window)?,
        max_log_errors: a.max_log_errors,
        max_cpu: a.max_cpu,
        max_memory_mib: a.max_memory_mib,
        usage_warn_pct: a.usage_warn_pct,
        secret: a.secret,
        configmap: a.configmap,
        selection: a.selection,
    })
}
