//! cloud-check's JSON-to-verdict logic on recorded CLI outputs (captured
//! `aws ... --output json` and `gcloud ... --format=json` answers), healthy
//! and broken, with exact verdicts; and a missing CLI.

use std::collections::BTreeMap;

use navi_testkit::{Cmd, Output, fixture};
use navikit::record::Record;

fn verdicts(out: &Output) -> BTreeMap<String, String> {
    out.records()
        .into_iter()
        .filter_map(|r| match r {
            Record::Check(c) => Some((c.check, c.status.as_str().to_string())),
            _ => None,
        })
        .collect()
}

fn run(provider: &str, dir: &str, extra: &[&str]) -> Output {
    Cmd::new("cloud-check")
        .args(["--provider", provider, "--from"])
        .arg(fixture(&format!("cloud/{dir}")))
        .args(extra)
        .env_remove("STAGING_DB_HOST")
        .run()
}

#[test]
fn healthy_aws_passes_and_matches_the_secrets_host() {
    let out = run("aws", "aws-healthy", &["--db-host", "navi-staging.abc123.us-west-2.rds.amazonaws.com"]);
    out.assert_code(0);
    let v = verdicts(&out);
    assert_eq!(v.len(), 11, "every registered check, the CLI included: {v:?}");
    assert!(v.values().all(|s| s == "pass"), "{v:?}");
}

#[test]
fn broken_aws_fails_exactly_the_broken_settings() {
    let out = run("aws", "aws-broken", &["--db-host", "other-host"]);
    out.assert_code(1);
    let v = verdicts(&out);
    for (name, want) in [
        ("cloud.db.available", "pass"),
        ("cloud.db.engine", "fail"),
        ("cloud.db.class", "pass"),
        ("cloud.db.storage_encrypted", "fail"),
        ("cloud.db.public", "fail"),
        ("cloud.db.backups", "fail"),
        ("cloud.db.network", "pass"),
        ("cloud.db.endpoint_matches_secret", "fail"),
        ("cloud.k8s.nodes", "pass"),
        ("cloud.k8s.autoscaling", "fail"),
    ] {
        assert_eq!(v[name], want, "{name}");
    }
}

#[test]
fn gcp_healthy_and_broken() {
    let v = verdicts(run("gcp", "gcp-healthy", &["--db-host", "10.20.0.3"]).assert_code(0));
    assert!(v.values().all(|s| s == "pass"), "{v:?}");
    let out = run("gcp", "gcp-broken", &[]);
    out.assert_code(1);
    let v = verdicts(&out);
    for (name, want) in [
        ("cloud.db.available", "fail"),
        ("cloud.db.engine", "fail"),
        ("cloud.db.class", "warn"),
        ("cloud.db.public", "fail"),
        ("cloud.db.backups", "fail"),
        ("cloud.db.network", "fail"),
        ("cloud.db.endpoint_matches_secret", "skip"),
        ("cloud.k8s.nodes", "skip"),
        ("cloud.k8s.autoscaling", "fail"),
    ] {
        assert_eq!(v[name], want, "{name}");
    }
}

#[test]
fn the_db_host_comes_from_k8s_check_records() {
    // The real producer's record, not a hand-written one: k8s-check against
    // the recorded API, piped into cloud-check.
    let api = navi_testkit::K8sApi::start("healthy");
    let k8s = api.cmd("k8s-check").args(["--only", "k8s.secret.keys"]).run();
    let dir = navi_testkit::TempDir::new("k8srec");
    std::fs::write(dir.path("k.ndjson"), &k8s.stdout).unwrap();
    let out = run("aws", "aws-healthy", &["--k8s-records", dir.path("k.ndjson").to_str().unwrap()]);
    assert_eq!(verdicts(&out)["cloud.db.endpoint_matches_secret"], "pass", "{}", out.stdout);
    // Without the records the match cannot be made: skip, never a pass.
    let out = run("aws", "aws-healthy", &[]);
    assert_eq!(verdicts(&out)["cloud.db.endpoint_matches_secret"], "skip");
}

#[test]
fn captured_answers_are_a_stand_in_and_no_provider_is_skip() {
    let out = run("aws", "aws-healthy", &["--db-host", "navi-staging.abc123.us-west-2.rds.amazonaws.com"]);
    for r in out.records() {
        if let Record::Check(c) = r {
            assert!(c.stand_in.as_deref().is_some_and(|s| s.starts_with("captured cloud CLI answers")), "{c:?}");
        }
    }
    let none = Cmd::new("cloud-check").env_remove("CLOUD_PROVIDER").run();
    none.assert_code(1);
    let v = verdicts(&none);
    assert_eq!(v.len(), 11, "{v:?}");
    assert!(v.values().all(|s| s == "skip"), "{v:?}");
    Cmd::new("cloud-check").env_remove("CLOUD_PROVIDER").arg("--allow-skip").run().assert_code(0);
}

#[test]
fn a_regional_gke_cluster_is_judged_by_pool_bounds_times_zones() {
    // The plan's cluster: `--region us-central1 --num-nodes 3 --min-nodes 2
    // --max-nodes 5`: 3 per zone in 3 zones is 9 nodes, within 6–15.
    let dir = navi_testkit::TempDir::new("gke9");
    std::fs::copy(fixture("cloud/gcp-healthy/cloudsql.json"), dir.path("cloudsql.json")).unwrap();
    let mut gke: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("cloud/gcp-healthy/gke.json")).unwrap()).unwrap();
    gke["currentNodeCount"] = 9.into();
    gke["locations"] = serde_json::json!(["us-central1-a", "us-central1-b", "us-central1-c"]);
    let nodes = |gke: &serde_json::Value| {
        std::fs::write(dir.path("gke.json"), gke.to_string()).unwrap();
        let out = Cmd::new("cloud-check")
            .args(["--provider", "gcp", "--from"])
            .arg(dir.path(""))
            .args(["--db-host", "10.20.0.3"])
            .run();
        verdicts(&out)["cloud.k8s.nodes"].clone()
    };
    assert_eq!(nodes(&gke), "pass");
    gke["currentNodeCount"] = 16.into();
    assert_eq!(nodes(&gke), "fail");
}

#[test]
fn a_missing_cli_exits_2_with_an_error_record() {
    let out = Cmd::new("cloud-check").args(["--provider", "aws"]).env("PATH", "/nonexistent").run();
    out.assert_code(2);
    assert!(out.stderr.contains("cannot run `aws`"), "{}", out.stderr);
    assert_eq!(verdicts(&out)["cloud.cli.available"], "error");
}

#[test]
fn a_closed_stdout_does_not_turn_failures_into_success() {
    // `cloud-check | true` under pipefail: the failures were judged, if not read.
    let bin = navi_testkit::bin_path("cloud-check");
    let dir = fixture("cloud/aws-broken");
    let line = format!("{} --provider aws --from {} | true", bin.display(), dir.display());
    let out = Cmd::program("bash").args(["-o", "pipefail", "-c", &line]).run();
    out.assert_code(1);
    let ok = format!(
        "{} --provider aws --from {} --db-host navi-staging.abc123.us-west-2.rds.amazonaws.com | true",
        bin.display(),
        fixture("cloud/aws-healthy").display()
    );
    Cmd::program("bash").args(["-o", "pipefail", "-c", &ok]).run().assert_code(0);
}

/// gke runs the GCP checks on the healthy Cloud SQL answer and a GKE answer given here.
fn gke(gke: serde_json::Value, extra: &[&str]) -> BTreeMap<String, navikit::record::Check> {
    let dir = navi_testkit::TempDir::new("gke");
    std::fs::copy(fixture("cloud/gcp-healthy/cloudsql.json"), dir.path("cloudsql.json")).expect("set-up");
    std::fs::write(dir.path("gke.json"), gke.to_string()).expect("set-up");
    let out = Cmd::new("cloud-check")
        .args([
            "--provider",
            "gcp",
            "--db-host",
            "10.20.0.3",
            "--only",
            "cloud.k8s.nodes,cloud.k8s.autoscaling",
            "--from",
        ])
        .arg(dir.path(""))
        .args(extra)
        .run();
    out.checks()
}

#[test]
fn gke_node_bounds_are_per_zone_times_zones_and_hold_at_their_edges() {
    use serde_json::json;
    // The plan's regional cluster: 3 zones, 2..5 nodes per zone → 6..15 nodes.
    let regional = |count: i64| {
        json!({"currentNodeCount": count, "locations": ["a", "b", "c"],
               "nodePools": [{"name": "p", "autoscaling": {"enabled": true, "minNodeCount": 2, "maxNodeCount": 5}}]})
    };
    for (count, want) in [(5, "fail"), (6, "pass"), (15, "pass"), (16, "fail")] {
        let m = gke(regional(count), &[]);
        let nodes = &m["cloud.k8s.nodes"];
        assert_eq!(nodes.status.as_str(), want, "{count} nodes: {}", nodes.message);
        assert_eq!(nodes.expected, Some(json!({"min": 6, "max": 15, "zones": 3})));
        assert_eq!(nodes.observed, Some(json!(count)));
    }
    // Total bounds are not multiplied; two pools add up; a pool's own zones win.
    let pools = json!({"currentNodeCount": 9, "locations": ["a", "b", "c"], "nodePools": [
        {"name": "t", "autoscaling": {"enabled": true, "totalMinNodeCount": 3, "totalMaxNodeCount": 7}},
        {"name": "z", "locations": ["a", "b"], "autoscaling": {"enabled": true, "minNodeCount": 1, "maxNodeCount": 4}}]});
    let m = gke(pools, &[]);
    assert_eq!(m["cloud.k8s.nodes"].expected, Some(json!({"min": 5, "max": 15, "zones": 2})));
    assert_eq!(m["cloud.k8s.autoscaling"].observed, Some(json!({"enabled": true, "min": 2, "max": 6})));
    // The flags' wanted range is covered at its edges, not beyond.
    for (flags, want) in [
        (["--min-nodes", "2", "--max-nodes", "5"], "pass"),
        (["--min-nodes", "1", "--max-nodes", "5"], "fail"),
        (["--min-nodes", "2", "--max-nodes", "6"], "fail"),
    ] {
        let m = gke(regional(9), &flags);
        assert_eq!(
            m["cloud.k8s.autoscaling"].status.as_str(),
            want,
            "{flags:?}: {}",
            m["cloud.k8s.autoscaling"].message
        );
    }
    // One pool without autoscaling: autoscaling fails, and the count cannot be judged (never a pass).
    let off = json!({"currentNodeCount": 3, "nodePools": [
        {"name": "on", "autoscaling": {"enabled": true, "minNodeCount": 1, "maxNodeCount": 3}},
        {"name": "off", "autoscaling": {"enabled": false}}]});
    let m = gke(off, &[]);
    assert_eq!(m["cloud.k8s.autoscaling"].status.as_str(), "fail");
    assert_eq!(m["cloud.k8s.nodes"].status.as_str(), "skip", "{}", m["cloud.k8s.nodes"].message);
    // No pools at all is not "every pool autoscales".
    let m = gke(json!({"currentNodeCount": 3, "nodePools": []}), &[]);
    assert_eq!(m["cloud.k8s.autoscaling"].status.as_str(), "fail");
}

#[test]
fn cloud_sql_is_reached_at_its_private_address_when_it_has_both() {
    let dir = navi_testkit::TempDir::new("sqlips");
    let sql = std::fs::read_to_string(fixture("cloud/gcp-healthy/cloudsql.json")).unwrap();
    // Gcloud lists the public address first when the instance has one.
    let both = sql.replace(
        r#""ipAddresses": ["#,
        r#""ipAddresses": [
  {"type": "PRIMARY", "ipAddress": "34.70.1.2"},"#,
    );
    assert_ne!(both, sql);
    std::fs::write(dir.path("cloudsql.json"), both).unwrap();
    std::fs::copy(fixture("cloud/gcp-healthy/gke.json"), dir.path("gke.json")).unwrap();
    for (host, want) in [("10.20.0.3", "pass"), ("34.70.1.2", "fail")] {
        let out = Cmd::new("cloud-check")
            .args(["--provider", "gcp", "--only", "cloud.db.endpoint_matches_secret", "--db-host", host, "--from"])
            .arg(dir.path(""))
            .run();
        let c = &out.checks()["cloud.db.endpoint_matches_secret"];
        assert_eq!(c.status.as_str(), want, "{host}: {}", c.message);
    }
}
