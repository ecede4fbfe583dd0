//! AWS: the RDS instance and the EKS node groups.

use navikit::Error;
use navikit::record::{Check, CheckStatus};
use serde_json::{Value, json};

use crate::cli::Args;
use crate::fetch::{fetch, region_args, s, verdict};
use crate::{Scaling, TOOL, db_host, endpoint_check, nodes_checks};

pub(crate) fn aws(a: &Args) -> Result<Vec<Check>, Error> {
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
    if groups.is_empty() {
        // Fargate or Karpenter clusters have no managed node groups: nothing
        // here says how nodes scale, so neither node check can look.
        let why = format!("cluster {} has no managed node groups: node count and autoscaling not looked at", a.cluster);
        for name in ["cloud.k8s.nodes", "cloud.k8s.autoscaling"] {
            out.push(Check::new(TOOL, name, &format!("eks/{}", a.cluster), CheckStatus::Skip, why.clone()));
        }
    }
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
        let scaling = Scaling {
            enabled: max > min,
            bounded: max > 0,
            min_total: min,
            max_total: max,
            min_each: min,
            max_each: max,
            zones: 1,
        };
        out.extend(nodes_checks(&format!("eks/{}/{g}", a.cluster), a, desired, &scaling));
    }
    Ok(out)
}
