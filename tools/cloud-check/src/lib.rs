//! cloud-check: the plan's Monday/Tuesday provisioning boxes as check
//! records. The transport is the real cloud CLI with JSON output (`aws rds
//! describe-db-instances`, `aws eks describe-nodegroup`, `gcloud sql
//! instances describe`, `gcloud container clusters describe`), so every
//! credential method works; `--from DIR` reads outputs captured earlier
//! (`aws ... --output json > DIR/rds.json`), which is also how the tests
//! feed recorded answers.

pub mod aws;
pub mod cli;
pub mod fetch;
pub mod gcp;

use navikit::checks::{Def, Runner};
use navikit::observed::SecretKeys;
use navikit::record::{Check, CheckStatus, Record};
use navikit::{Error, Outcome};
use serde_json::json;

pub use cli::{Args, parse};
use fetch::verdict;

const TOOL: &str = "cloud-check";

/// CHECKS is cloud-check's registry.
pub const CHECKS: &[Def] = &[
    Def { name: "cloud.cli.available", meaning: "the aws/gcloud CLI ran and answered with JSON" },
    Def { name: "cloud.db.available", meaning: "the RDS instance is `available` / the Cloud SQL instance RUNNABLE" },
    Def { name: "cloud.db.engine", meaning: "PostgreSQL of --engine-major" },
    Def { name: "cloud.db.class", meaning: "the instance class/tier the plan names (warn otherwise)" },
    Def { name: "cloud.db.storage_encrypted", meaning: "storage encrypted at rest" },
    Def { name: "cloud.db.public", meaning: "not publicly accessible" },
    Def {
        name: "cloud.db.backups",
        meaning: "automated backups on (RDS: >= --backup-days retention; Cloud SQL: 02:00 start)",
    },
    Def {
        name: "cloud.db.network",
        meaning: "in a VPC: RDS has a DB subnet group and security groups; Cloud SQL has a private network",
    },
    Def {
        name: "cloud.db.endpoint_matches_secret",
        meaning: "the Kubernetes secret's DB_HOST (k8s-check's record, or --db-host) is the instance endpoint; skip without one",
    },
    Def {
        name: "cloud.k8s.nodes",
        meaning: "the node count lies within the node pools' autoscaling bounds (per-zone bounds × zones on GKE)",
    },
    Def {
        name: "cloud.k8s.autoscaling",
        meaning: "node autoscaling is on in every pool, covering --min-nodes/--max-nodes when given",
    },
];

/// db_host finds the DB_HOST to compare with: flag/env, else k8s-check's records.
/// DbHost is the secret's DB_HOST and, when it came from k8s-check's
/// records, the stand-in those records were made on.
pub(crate) struct DbHost {
    host: String,
    stand_in: Option<String>,
}

fn db_host(a: &Args) -> Result<Option<DbHost>, Error> {
    if let Some(h) = &a.db_host {
        return Ok(Some(DbHost { host: h.clone(), stand_in: None }));
    }
    let Some(path) = &a.k8s_records else { return Ok(None) };
    let mut host = None;
    let file = navikit::files::open_regular(path)?;
    navikit::ndjson::Input::from_reader(path, file).records(|r, _| {
        if let Record::Check(c) = r
            && let Some(h) = SecretKeys::from_check(&c).and_then(|k| k.db_host)
        {
            host = Some(DbHost { host: h, stand_in: c.stand_in.clone() });
        }
        Ok(())
    })?;
    Ok(host)
}

fn endpoint_check(target: &str, endpoint: &str, found: Option<DbHost>) -> Check {
    let n = "cloud.db.endpoint_matches_secret";
    // A DB_HOST read on a stand-in (the recorded Kubernetes API) makes the
    // comparison a stand-in's too.
    let stand_in = found.as_ref().and_then(|f| f.stand_in.clone());
    let mut c = endpoint_verdict(n, target, endpoint, found.map(|f| f.host));
    if c.stand_in.is_none() {
        c.stand_in = stand_in;
    }
    c
}

fn endpoint_verdict(n: &str, target: &str, endpoint: &str, host: Option<String>) -> Check {
    match host {
        None => Check::new(
            TOOL,
            n,
            target,
            CheckStatus::Skip,
            "no DB_HOST to compare: give --db-host, STAGING_DB_HOST or --k8s-records",
        )
        .observed(endpoint),
        Some(h) if h == endpoint => Check::new(
            TOOL,
            n,
            target,
            CheckStatus::Pass,
            format!("the secret's DB_HOST is the instance endpoint {endpoint}"),
        )
        .observed(endpoint)
        .expected(h),
        Some(h) => Check::new(
            TOOL,
            n,
            target,
            CheckStatus::Fail,
            format!("the secret's DB_HOST {h} is not the instance endpoint {endpoint}: fix the secret"),
        )
        .observed(endpoint)
        .expected(h),
    }
}

/// Scaling is a node pool's autoscaling, in total nodes across its zones.
struct Scaling {
    enabled: bool,
    /// Every pool has bounds to hold the count to (a GKE pool without
    /// autoscaling has none; an EKS group always has min..max).
    bounded: bool,
    min_total: i64,
    max_total: i64,
    /// Per zone (GKE) or per group (EKS), for comparing with the flags.
    min_each: i64,
    max_each: i64,
    zones: i64,
}

fn nodes_checks(target: &str, a: &Args, count: i64, sc: &Scaling) -> Vec<Check> {
    let in_range = sc.max_total > 0 && count >= sc.min_total && count <= sc.max_total;
    let bounds = json!({"min": sc.min_total, "max": sc.max_total, "zones": sc.zones});
    let wanted_min = a.min_nodes.unwrap_or(sc.min_each);
    let wanted_max = a.max_nodes.unwrap_or(sc.max_each);
    let covers = sc.min_each <= wanted_min && sc.max_each >= wanted_max && sc.max_each > 0;
    vec![
        Check::new(
            TOOL,
            "cloud.k8s.nodes",
            target,
            // Without bounds on every pool the count cannot be judged: skip, never pass.
            if sc.bounded { verdict(in_range) } else { CheckStatus::Skip },
            if sc.bounded {
                format!(
                    "{count} node(s); autoscaling allows {}–{} across {} zone(s)",
                    sc.min_total, sc.max_total, sc.zones
                )
            } else {
                format!(
                    "{count} node(s), but a pool has no autoscaling bounds to hold them to (see cloud.k8s.autoscaling)"
                )
            },
        )
        .observed(count)
        .expected(bounds),
        Check::new(
            TOOL,
            "cloud.k8s.autoscaling",
            target,
            verdict(sc.enabled && covers),
            if sc.enabled {
                format!(
                    "autoscaling between {} and {} nodes per zone/group (wanted {wanted_min}–{wanted_max})",
                    sc.min_each, sc.max_each
                )
            } else {
                "node autoscaling is off".to_string()
            },
        )
        .observed(json!({"enabled": sc.enabled, "min": sc.min_each, "max": sc.max_each}))
        .expected(json!({"min_le": wanted_min, "max_ge": wanted_max})),
    ]
}

/// run carries out the checks.
pub fn run(a: &Args) -> Result<Outcome, Error> {
    let sel = &a.selection;
    if sel.list {
        navikit::checks::list(CHECKS, &mut std::io::stdout().lock())?;
        return Ok(Outcome::Pass);
    }
    let mut out = Runner::stdout(sel);
    let Some(provider) = a.provider.as_deref() else {
        let why = "no cloud provider configured: set CLOUD_PROVIDER (aws or gcp)";
        out.emit_all(navikit::checks::skipped(TOOL, CHECKS, sel, "", why))?;
        return Ok(out.finish(TOOL));
    };
    out.stand_in(a.from.as_ref().map(|d| format!("captured cloud CLI answers ({})", d.display())));
    let (result, cli) = if provider == "aws" { (aws::aws(a), "aws") } else { (gcp::gcp(a), "gcloud") };
    let cli_check = |status, msg: String| Check::new(TOOL, "cloud.cli.available", provider, status, msg);
    match result {
        Ok(checks) => {
            let answered = cli_check(CheckStatus::Pass, format!("the {cli} CLI answered every call with JSON"));
            out.emit_all(std::iter::once(answered).chain(checks).filter(|c| sel.wanted(&c.check)))?;
            Ok(out.finish(TOOL))
        }
        Err(e) => {
            if sel.wanted("cloud.cli.available") {
                out.emit(cli_check(CheckStatus::Error, e.to_string()))?;
            }
            Err(e)
        }
    }
}
