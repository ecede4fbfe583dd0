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
use navikit::ndjson::RecordWriter;
use navikit::record::{Check, CheckStatus, Record};
use navikit::{Error, Outcome};
use serde_json::{Value, json};

const TOOL: &str = "cloud-check";

const AFTER_HELP: &str = "\
Captured outputs (--from DIR): rds.json (aws rds describe-db-instances), nodegroup.json
(aws eks describe-nodegroup), cloudsql.json (gcloud sql instances describe --format=json),
gke.json (gcloud container clusters describe --format=json).

Exit status: 0 all checks passed, 1 a check failed, 2 usage error, no CLI or no credentials.

Examples:
  cloud-check --provider aws --region us-west-2 --db-instance navi-staging --cluster navi-staging
  cloud-check --provider gcp --region us-central1 --k8s-records results/wednesday.ndjson | report-md checklist";

/// Args are the command-line arguments.
#[derive(Debug, Parser)]
#[command(name = "cloud-check", version, about = "RDS / Cloud SQL and node autoscaling checks through the real cloud CLIs", after_help = AFTER_HELP)]
pub struct Args {
    /// aws or gcp.
    #[arg(long, env = "CLOUD_PROVIDER", default_value = "aws")]
    pub provider: String,
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
    /// Fewest and most nodes expected.
    #[arg(long, default_value_t = 2)]
    pub min_nodes: i64,
    /// Most nodes expected.
    #[arg(long, default_value_t = 5)]
    pub max_nodes: i64,
    /// Read captured CLI outputs from this directory instead of calling the CLI.
    #[arg(long, value_name = "DIR")]
    pub from: Option<PathBuf>,
}

/// parse reads the process arguments.
pub fn parse() -> Result<Args, Error> {
    let a = navikit::cli::parse_args::<Args>()?;
    if a.provider != "aws" && a.provider != "gcp" {
        return Err(Error::input(format!("--provider `{}`: aws or gcp", a.provider)));
    }
    Ok(a)
}

/// fetch runs a CLI (or reads its captured output) and parses the JSON.
fn fetch(a: &Args, captured: &str, program: &str, args: &[String]) -> Result<Value, Error> {
    if let Some(dir) = &a.from {
        let p = dir.join(captured);
        let text =
            std::fs::read_to_string(&p).map_err(|e| Error::input(format!("cannot read {}: {e}", p.display())))?;
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
    navikit::ndjson::Input::open(path)?.records(|r, _| {
        if let Record::Check(c) = r
            && c.check == "k8s.secret.keys"
            && let Some(h) = c.observed.as_ref().and_then(|o| o.get("db_host")).and_then(Value::as_str)
        {
            host = Some(h.to_string());
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
            CheckStatus::Warn,
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

fn nodes_checks(target: &str, a: &Args, count: i64, min: i64, max: i64, autoscaling: bool) -> Vec<Check> {
    let in_range = count >= a.min_nodes && count <= a.max_nodes;
    vec![
        Check::new(
            TOOL,
            "cloud.k8s.nodes",
            target,
            verdict(in_range),
            format!("{count} node(s) (expected {}–{})", a.min_nodes, a.max_nodes),
        )
        .observed(count)
        .expected(json!({"min": a.min_nodes, "max": a.max_nodes})),
        Check::new(
            TOOL,
            "cloud.k8s.autoscaling",
            target,
            verdict(autoscaling && min <= a.min_nodes && max >= a.max_nodes),
            if autoscaling {
                format!("autoscaling between {min} and {max} nodes")
            } else {
                "node autoscaling is off".to_string()
            },
        )
        .observed(json!({"enabled": autoscaling, "min": min, "max": max}))
        .expected(json!({"min": a.min_nodes, "max": a.max_nodes})),
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
        out.extend(nodes_checks(&format!("eks/{}/{g}", a.cluster), a, desired, min, max, max > min));
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
    let min: i64 = pools
        .iter()
        .map(|p| {
            p.pointer("/autoscaling/minNodeCount")
                .or(p.pointer("/autoscaling/totalMinNodeCount"))
                .and_then(Value::as_i64)
                .unwrap_or(0)
        })
        .sum();
    let max: i64 = pools
        .iter()
        .map(|p| {
            p.pointer("/autoscaling/maxNodeCount")
                .or(p.pointer("/autoscaling/totalMaxNodeCount"))
                .and_then(Value::as_i64)
                .unwrap_or(0)
        })
        .sum();
    out.extend(nodes_checks(&format!("gke/{}", a.cluster), a, count, min, max, enabled));
    Ok(out)
}

/// run carries out the checks.
pub fn run(a: &Args) -> Result<Outcome, Error> {
    let result = if a.provider == "aws" { aws(a) } else { gcp(a) };
    let mut w = RecordWriter::stdout();
    match result {
        Ok(checks) => {
            let mut failed = false;
            for c in checks {
                failed |= c.status.fails(false);
                w.write(&Record::Check(c))?;
            }
            Ok(Outcome::from_failed(failed))
        }
        Err(e) => {
            w.write(&Record::Check(Check::new(
                TOOL,
                "cloud.cli.available",
                &a.provider,
                CheckStatus::Error,
                e.to_string(),
            )))?;
            Err(e)
        }
    }
}
