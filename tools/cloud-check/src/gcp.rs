//! GCP: the Cloud SQL instance and the GKE cluster's node pools.

use navikit::Error;
use navikit::record::{Check, CheckStatus};
use serde_json::{Value, json};

use crate::cli::Args;
use crate::fetch::{fetch, region_args, s, verdict};
use crate::{Scaling, TOOL, db_host, endpoint_check, nodes_checks};

pub(crate) fn gcp(a: &Args) -> Result<Vec<Check>, Error> {
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
    let mut sc = Scaling {
        enabled,
        bounded: enabled,
        min_total: 0,
        max_total: 0,
        min_each: 0,
        max_each: 0,
        zones: cluster_zones,
    };
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
