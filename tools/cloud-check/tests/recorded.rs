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
        ("cloud.k8s.nodes", "fail"),
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
