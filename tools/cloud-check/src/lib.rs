//! cloud-check: the plan's Monday/Tuesday provisioning boxes as check
//! records. The transport is the real cloud CLI with JSON output (`aws rds
//! describe-db-instances`, `aws eks describe-nodegroup`, `gcloud sql
//! instances describe`, `gcloud container clusters describe`), so every
//! credential method works; `--from DIR` reads outputs captured earlier
//! (`aws ... --output json > DIR/rds.json`), which is also how the tests
//! feed recorded answers.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use clap::Parser;
use navikit::checks::{Def, Runner};
use navikit::observed::SecretKeys;
use navikit::record::{Check, CheckStatus, Record};
use navikit::{Error, Outcome};
use serde_json::{Value, json};

const TOOL: &str = "cloud-check";

const AFTER_HELP: &str = "\
Captured outputs (--from DIR): rds.json (aws rds describe-db-instances), nodegroup.json
(aws eks describe-nodegroup), cloudsql.json (gcloud sql instances describe --format=json),
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
    Def { name: "cloud.db.network", meaning: "in a private network/VPC" },
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

/// parse reads the process arguments.
pub fn parse() -> Result<Args, Error> {
    let a = navikit::cli::parse_args::<Args>()?;
    if let Some(p) = a.provider.as_deref().filter(|p| *p != "aws" && *p != "gcp") {
        return Err(Error::input(format!("--provider `{p}`: aws or gcp")));
    }
    a.selection.validate(CHECKS)?;
    Ok(a)
}

/// fetch runs a CLI (or reads its captured output) and parses the JSON.
fn fetch(a: &Args, captured: &str, program: &str, args: &[String]) -> Result<Value, Error> {
    if let Some(dir) = &a.from {
        let p = dir.join(captured);
        let text = navikit::files::read_bounded(&p.display().to_string(), 16 << 20)?;
        return serde_json::from_str(&text).map_err(|e| Error::input(format!("{}: not JSON: {e}", p.display())));
    }
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::input(format!("cannot run `{program}`: {e} (install the {program} CLI)")))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("failed").trim();
        return Err(Error::input(format!(
            "`{program} {}` failed: {}",
            args.first().cloned().unwrap_or_default(),
            navikit::redact::redact_text(line)
        )));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| Error::input(format!("`{program}` did not print JSON: {e}")))
}

fn s(v: &Value, ptr: &str) -> String {
    v.pointer(ptr).map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string)).unwrap_or_default()
}

fn verdict(ok: bool) -> CheckStatus {
    if ok { CheckStatus::Pass } else { CheckStatus::Fail }
}

/// db_host finds the DB_HOST to compare with: flag/env, else k8s-check's records.
fn db_host(a: &Args) -> Result<Option<String>, Error> {
    if let Some(h) = &a.db_host {
        return Ok(Some(h.clone()));
    }
    let Some(path) = &a.k8s_records else { return Ok(None) };
    let mut host = None;
    let file = navikit::files::open_regular(path)?;
    navikit::ndjson::Input::from_reader(path, file).records(|r, _| {
        if let Record::Check(c) = r
            && let Some(h) = SecretKeys::from_check(&c).and_then(|k| k.db_host)
        {
            host = Some(h);
        }
        Ok(())
    })?;
    Ok(host)
}

fn endpoint_check(target: &str, endpoint: &str, host: Option<String>) -> Check {
    let n = "cloud.db.endpoint_matches_secret";
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
            verdict(in_range),
            if sc.enabled {
                format!(
                    "{count} node(s); autoscaling allows {}–{} across {} zone(s)",
                    sc.min_total, sc.max_total, sc.zones
                )
            } else {
                format!("{count} node(s), but autoscaling is off: no bounds to hold them to")
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

fn region_args(a: &Args, flag: &str) -> Vec<String> {
    a.region.as_ref().map(|r| vec![flag.to_string(), r.clone()]).unwrap_or_default()
}

fn aws(a: &Args) -> Result<Vec<Check>, Error> {
    let mut args: Vec<String> =
        ["rds", "describe-db-instances", "--db-instance-identifier", &a.db_instance, "--output", "json"]
            .map(String::from)
            .to_vec();
    args.extend(region_args(a, "--region"));
    let rds = fetch(a, "rds.json", "aws", &args)?;
    let db = rds
        .pointer("/DBInstances/0")
        .ok_or_else(|| Error::input(format!("no DB instance {} in the answer", a.db_instance)))?;
    let t = format!("rds/{}", a.db_instance);
    let status = s(db, "/DBInstanceStatus");
    let (engine, version) = (s(db, "/Engine"), s(db, "/EngineVersion"));
    let class = s(db, "/DBInstanceClass");
    let want_class = a.db_class.clone().unwrap_or_else(|| "db.t3.medium".into());
    let retention = db.pointer("/BackupRetentionPeriod").and_then(Value::as_i64).unwrap_or(0);
    let sgs: Vec<String> = db
        .pointer("/VpcSecurityGroups")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|g| s(g, "/VpcSecurityGroupId")).collect())
        .unwrap_or_default();
    let subnet = s(db, "/DBSubnetGroup/DBSubnetGroupName");
    let endpoint = s(db, "/Endpoint/Address");
    let mut out = vec![
        Check::new(TOOL, "cloud.db.available", &t, verdict(status == "available"), format!("status {status}"))
            .observed(status.clone())
            .expected("available"),
        Check::new(
            TOOL,
            "cloud.db.engine",
            &t,
            verdict(engine == "postgres" && version.split('.').next() == Some(a.engine_major.as_str())),
            format!("{engine} {version}"),
        )
        .observed(format!("{engine} {version}"))
        .expected(format!("postgres {}.x", a.engine_major)),
        Check::new(
            TOOL,
            "cloud.db.class",
            &t,
            if class == want_class { CheckStatus::Pass } else { CheckStatus::Warn },
            format!("instance class {class}"),
        )
        .observed(class)
        .expected(want_class),
        Check::new(
            TOOL,
            "cloud.db.storage_encrypted",
            &t,
            verdict(db.get("StorageEncrypted") == Some(&Value::Bool(true))),
            "storage encryption at rest",
        )
        .observed(db.get("StorageEncrypted").cloned().unwrap_or(Value::Null)),
        Check::new(
            TOOL,
            "cloud.db.public",
            &t,
            verdict(db.get("PubliclyAccessible") == Some(&Value::Bool(false))),
            if db.get("PubliclyAccessible") == Some(&Value::Bool(false)) {
                "not publicly accessible"
            } else {
                "PUBLICLY ACCESSIBLE: set --no-publicly-accessible"
            },
        )
        .observed(db.get("PubliclyAccessible").cloned().unwrap_or(Value::Null))
        .expected(false),
        Check::new(
            TOOL,
            "cloud.db.backups",
            &t,
            verdict(retention >= a.backup_days),
            format!("backup retention {retention} day(s) (need {})", a.backup_days),
        )
        .observed(retention)
        .expected(json!({"gte": a.backup_days})),
        Check::new(
            TOOL,
            "cloud.db.network",
            &t,
            verdict(!subnet.is_empty() && !sgs.is_empty()),
            format!("subnet group `{subnet}`, security groups {}", sgs.join(", ")),
        )
        .observed(json!({"subnet_group": subnet, "security_groups": sgs})),
    ];
    out.push(endpoint_check(&t, &endpoint, db_host(a)?));
    let groups = match &a.nodegroup {
        Some(g) => vec![g.clone()],
        None => {
            let mut args: Vec<String> =
                ["eks", "list-nodegroups", "--cluster-name", &a.cluster, "--output", "json"].map(String::from).to_vec();
            args.extend(region_args(a, "--region"));
            let list = fetch(a, "nodegroups.json", "aws", &args)?;
            list.get("nodegroups")
                .and_then(Value::as_array)
                .map(|v| v.iter().filter_map(|g| g.as_str().map(str::to_string)).collect())
                .unwrap_or_default()
        }
    };
    for g in groups {
        let mut args: Vec<String> =
            ["eks", "describe-nodegroup", "--cluster-name", &a.cluster, "--nodegroup-name", &g, "--output", "json"]
                .map(String::from)
                .to_vec();
        args.extend(region_args(a, "--region"));
        let ng = fetch(a, &format!("nodegroup-{g}.json"), "aws", &args)?;
        let sc = ng.pointer("/nodegroup/scalingConfig").cloned().unwrap_or(Value::Null);
        let (min, max, desired) = (
            sc.get("minSize").and_then(Value::as_i64).unwrap_or(0),
            sc.get("maxSize").and_then(Value::as_i64).unwrap_or(0),
            sc.get("desiredSize").and_then(Value::as_i64).unwrap_or(0),
        );
        let scaling =
            Scaling { enabled: max > min, min_total: min, max_total: max, min_each: min, max_each: max, zones: 1 };
        out.extend(nodes_checks(&format!("eks/{}/{g}", a.cluster), a, desired, &scaling));
    }
    Ok(out)
}

fn gcp(a: &Args) -> Result<Vec<Check>, Error> {
    let sql = fetch(
        a,
        "cloudsql.json",
        "gcloud",
        &["sql".into(), "instances".into(), "describe".into(), a.db_instance.clone(), "--format=json".into()],
    )?;
    let t = format!("cloudsql/{}", a.db_instance);
    let state = s(&sql, "/state");
    let version = s(&sql, "/databaseVersion");
    let tier = s(&sql, "/settings/tier");
    let want_tier = a.db_class.clone().unwrap_or_else(|| "db-custom-2-8192".into());
    let ipv4 = sql.pointer("/settings/ipConfiguration/ipv4Enabled").and_then(Value::as_bool).unwrap_or(true);
    let private_net = s(&sql, "/settings/ipConfiguration/privateNetwork");
    let backup_on = sql.pointer("/settings/backupConfiguration/enabled").and_then(Value::as_bool).unwrap_or(false);
    let backup_start = s(&sql, "/settings/backupConfiguration/startTime");
    let cmek = s(&sql, "/diskEncryptionConfiguration/kmsKeyName");
    let endpoint = sql
        .get("ipAddresses")
        .and_then(Value::as_array)
        .and_then(|ips| ips.iter().find(|i| s(i, "/type") == "PRIVATE").or_else(|| ips.first()))
        .map(|i| s(i, "/ipAddress"))
        .unwrap_or_default();
    let mut out = vec![
        Check::new(TOOL, "cloud.db.available", &t, verdict(state == "RUNNABLE"), format!("state {state}"))
            .observed(state.clone())
            .expected("RUNNABLE"),
        Check::new(
            TOOL,
            "cloud.db.engine",
            &t,
            verdict(version == format!("POSTGRES_{}", a.engine_major)),
            version.clone(),
        )
        .observed(version)
        .expected(format!("POSTGRES_{}", a.engine_major)),
        Check::new(
            TOOL,
            "cloud.db.class",
            &t,
            if tier == want_tier { CheckStatus::Pass } else { CheckStatus::Warn },
            format!("tier {tier}"),
        )
        .observed(tier)
        .expected(want_tier),
        Check::new(
            TOOL,
            "cloud.db.storage_encrypted",
            &t,
            CheckStatus::Pass,
            if cmek.is_empty() {
                "encrypted at rest with Google-managed keys (Cloud SQL always encrypts)".to_string()
            } else {
                format!("encrypted at rest with CMEK {cmek}")
            },
        ),
        Check::new(
            TOOL,
            "cloud.db.public",
            &t,
            verdict(!ipv4),
            if ipv4 {
                "a public IPv4 address is enabled: disable it and use the private network"
            } else {
                "no public IP"
            },
        )
        .observed(ipv4)
        .expected(false),
        Check::new(
            TOOL,
            "cloud.db.backups",
            &t,
            verdict(backup_on && backup_start == "02:00"),
            format!("backups {}, start {backup_start}", if backup_on { "enabled" } else { "DISABLED" }),
        )
        .observed(json!({"enabled": backup_on, "start": backup_start}))
        .expected(json!({"enabled": true, "start": "02:00"})),
        Check::new(
            TOOL,
            "cloud.db.network",
            &t,
            verdict(!private_net.is_empty()),
            if private_net.is_empty() {
                "no private network".to_string()
            } else {
                format!("private network {private_net}")
            },
        )
        .observed(private_net),
    ];
    out.push(endpoint_check(&t, &endpoint, db_host(a)?));
    let mut args =
        vec!["container".to_string(), "clusters".into(), "describe".into(), a.cluster.clone(), "--format=json".into()];
    args.extend(region_args(a, "--region"));
    let gke = fetch(a, "gke.json", "gcloud", &args)?;
    let count = gke.get("currentNodeCount").and_then(Value::as_i64).unwrap_or(0);
    let pools = gke.get("nodePools").and_then(Value::as_array).cloned().unwrap_or_default();
    let enabled = !pools.is_empty()
        && pools.iter().all(|p| p.pointer("/autoscaling/enabled").and_then(Value::as_bool) == Some(true));
    let cluster_zones = gke.get("locations").and_then(Value::as_array).map_or(1, |l| l.len().max(1) as i64);
    let mut sc = Scaling { enabled, min_total: 0, max_total: 0, min_each: 0, max_each: 0, zones: cluster_zones };
    for p in &pools {
        let zones = p.get("locations").and_then(Value::as_array).map_or(cluster_zones, |l| l.len().max(1) as i64);
        let get = |k: &str| p.pointer(&format!("/autoscaling/{k}")).and_then(Value::as_i64);
        // Per-zone bounds (minNodeCount) multiply by the zones; total bounds do not.
        let (lo, hi) = match (get("totalMinNodeCount"), get("totalMaxNodeCount")) {
            (Some(lo), Some(hi)) => (lo, hi),
            _ => (get("minNodeCount").unwrap_or(0) * zones, get("maxNodeCount").unwrap_or(0) * zones),
        };
        sc.min_total += lo;
        sc.max_total += hi;
        sc.min_each += get("minNodeCount").unwrap_or(lo / zones);
        sc.max_each += get("maxNodeCount").unwrap_or(hi / zones);
        sc.zones = zones;
    }
    out.extend(nodes_checks(&format!("gke/{}", a.cluster), a, count, &sc));
    Ok(out)
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
    let result = if provider == "aws" { aws(a) } else { gcp(a) };
    match result {
        Ok(checks) => {
            out.emit_all(checks.into_iter().filter(|c| sel.wanted(&c.check)))?;
            Ok(out.finish(TOOL))
        }
        Err(e) => {
            out.emit(Check::new(TOOL, "cloud.cli.available", provider, CheckStatus::Error, e.to_string()))?;
            Err(e)
        }
    }
}
