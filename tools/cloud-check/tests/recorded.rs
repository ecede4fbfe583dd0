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
    assert_eq!(v.len(), 10);
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
        ("cloud.db.engine", "fail"),
        ("cloud.db.public", "fail"),
        ("cloud.db.backups", "fail"),
        ("cloud.db.network", "fail"),
        ("cloud.db.endpoint_matches_secret", "warn"),
        ("cloud.k8s.nodes", "fail"),
        ("cloud.k8s.autoscaling", "fail"),
    ] {
        assert_eq!(v[name], want, "{name}");
    }
}

#[test]
fn the_db_host_comes_from_k8s_check_records() {
    let dir = navi_testkit::TempDir::new("k8srec");
    let rec = r#"{"kind":"check","ts":"2026-02-08T10:00:00Z","tool":"k8s-check","check":"k8s.secret.keys","target":"navi-staging/secret/navi-database-staging","status":"pass","observed":{"keys":["DB_HOST"],"db_host":"navi-staging.abc123.us-west-2.rds.amazonaws.com"}}"#;
    std::fs::write(dir.path("k.ndjson"), format!("{rec}\n")).unwrap();
    let out = run("aws", "aws-healthy", &["--k8s-records", dir.path("k.ndjson").to_str().unwrap()]);
    assert_eq!(verdicts(&out)["cloud.db.endpoint_matches_secret"], "pass");
}

#[test]
fn a_missing_cli_exits_2_with_an_error_record() {
    let out = Cmd::new("cloud-check").args(["--provider", "aws"]).env("PATH", "/nonexistent").run();
    out.assert_code(2);
    assert!(out.stderr.contains("cannot run `aws`"), "{}", out.stderr);
    assert_eq!(verdicts(&out)["cloud.cli.available"], "error");
}
