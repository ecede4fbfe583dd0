//! cloud-check's command line: clap only, checked in [`parse`].

use std::path::PathBuf;

use clap::Parser;
use navikit::Error;

use crate::CHECKS;

const AFTER_HELP: &str = "\
Captured outputs (--from DIR): rds.json (aws rds describe-db-instances), nodegroups.json
(aws eks list-nodegroups) and nodegroup-NAME.json per group (aws eks describe-nodegroup),
cloudsql.json (gcloud sql instances describe --format=json),
gke.json (gcloud container clusters describe --format=json).

Without CLOUD_PROVIDER (or --provider) every check is `skip`. With --from DIR every
verdict is marked as made on a stand-in (captured answers, not the live account).

Exit status: 0 all checks passed, 1 a check failed or could not look (skip; --allow-skip
to accept), 2 usage error, no CLI or no credentials.

Examples:
  cloud-check --provider aws --region us-west-2 --db-instance navi-staging --cluster navi-staging
  cloud-check --provider gcp --region us-central1 --k8s-records results/wednesday.ndjson | report-md checklist";

/// Args are the command-line arguments.
#[derive(Debug, Parser)]
#[command(name = "cloud-check", version, about = "RDS / Cloud SQL and node autoscaling checks through the real cloud CLIs", after_help = AFTER_HELP)]
pub struct Args {
    /// aws or gcp (without it every check is `skip`: nothing to look at).
    #[arg(long, env = "CLOUD_PROVIDER")]
    pub provider: Option<String>,
    /// Region (us-west-2, us-central1).
    #[arg(long)]
    pub region: Option<String>,
    /// Database instance.
    #[arg(long, default_value = "navi-staging")]
    pub db_instance: String,
    /// Cluster.
    #[arg(long, default_value = "navi-staging")]
    pub cluster: String,
    /// EKS node group (default: every node group of the cluster).
    #[arg(long)]
    pub nodegroup: Option<String>,
    /// The DB host the Kubernetes secret uses (else STAGING_DB_HOST, else --k8s-records).
    #[arg(long, env = "STAGING_DB_HOST")]
    pub db_host: Option<String>,
    /// k8s-check records holding the secret's DB_HOST.
    #[arg(long, value_name = "FILE")]
    pub k8s_records: Option<String>,
    /// Engine major version expected.
    #[arg(long, default_value = "15")]
    pub engine_major: String,
    /// Instance class expected (informational).
    #[arg(long)]
    pub db_class: Option<String>,
    /// Backup retention in days needed (RDS).
    #[arg(long, default_value_t = 7)]
    pub backup_days: i64,
    /// Autoscaling must allow at least this few nodes (per zone on GKE, per group on EKS).
    #[arg(long)]
    pub min_nodes: Option<i64>,
    /// Autoscaling must allow at least this many nodes (per zone on GKE, per group on EKS).
    #[arg(long)]
    pub max_nodes: Option<i64>,
    /// Read captured CLI outputs from this directory instead of calling the
    /// CLI; every verdict is then marked as made on a stand-in.
    #[arg(long, value_name = "DIR")]
    pub from: Option<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub selection: navikit::checks::Selection,
}

/// parse reads the process arguments.
pub fn parse() -> Result<Args, Error> {
    let a = navikit::cli::parse_args::<Args>()?;
    if let Some(p) = a.provider.as_deref().filter(|p| *p != "aws" && *p != "gcp") {
        return Err(Error::input(format!("--provider `{p}`: aws or gcp")));
    }
    a.selection.validate(CHECKS)?;
    Ok(a)
}
