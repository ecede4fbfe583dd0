//! `report-md deployment-log` from what the real tools report after a
//! deployment: k8s-check through the real kubectl (recorded API), pg-check
//! on a real PostgreSQL, http-check on llm-sim.

use navi_testkit::{Cmd, K8sApi, Sim, TempDir, pg};

#[test]
fn a_deployment_is_logged_once_with_its_digest_timeline_and_rollback() {
    let dir = TempDir::new("deploy");
    let api = K8sApi::start("healthy");
    let k8s = api.cmd("k8s-check").args(["--only", "k8s.rollout.complete,k8s.init.db_migrate"]).run();
    let pg = pg();
    let url = pg.fresh_db(&pg.admin_url, "deploy");
    let db = Cmd::new("pg-check")
        .args(["--only", "pg.alembic.head"])
        .env("DATABASE_URL", format!("{url}?sslmode=require"))
        .run();
    let sim = Sim::start(&["--speed", "0"]);
    let web = Cmd::new("http-check").args(["--base-url", &sim.url, "--only", "http.health"]).run();
    let records = format!("{}{}{}", k8s.stdout, db.stdout, web.stdout);
    let log = dir.path("docs/staging_deployment_log.md");
    for _ in 0..2 {
        Cmd::new("report-md").args(["deployment-log", "--log"]).arg(&log).stdin(records.clone()).run().assert_code(0);
    }
    let md = std::fs::read_to_string(&log).unwrap();
    assert!(md.starts_with("# Staging Deployment Log\n"), "{md}");
    assert_eq!(md.matches("\n## ").count(), 1, "logged once: {md}");
    let digest = "gcr.io/p/navi-backend@sha256:4b7e2a0f9c1d8e6b3a5f7c2e9d0b1a4c6e8f2d3b5a7c9e1f0d2b4a6c8e0f1a3b";
    for line in [
        "## 2026-02-12 10:02 UTC — navi-staging/navi-backend, revision 3",
        "- rollout: **pass** — deployment navi-backend successfully rolled out (2/2)",
        "- 2026-02-12T10:01:03Z Progressing True (NewReplicaSetAvailable)",
        "- 2026-02-12T10:01:05Z `db-migrate` in navi-backend-7d9f8c6b5-x2x4z exited 0 in 14 s: pass",
        "- Alembic head: **pass** — ",
        "- tables: not checked in this run (`pg.tables.present`)",
        "- health: **pass** — ",
        "kubectl -n navi-staging rollout undo deployment/navi-backend --to-revision=2",
    ] {
        assert!(md.contains(line), "{line}\n{md}");
    }
    assert!(md.contains(&format!("set image deployment/navi-backend db-migrate={digest} backend={digest}")), "{md}");
    // Without a rollout verdict there is nothing to log: exit 1, the log untouched.
    let out = Cmd::new("report-md").args(["deployment-log", "--log"]).arg(&log).stdin(db.stdout).run();
    out.assert_code(1);
    assert!(out.stderr.contains("no k8s.rollout.complete record"), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&log).unwrap(), md);
}

#[test]
fn a_stuck_rollout_is_logged_but_never_a_runbook_and_records_cannot_forge_entries() {
    let dir = TempDir::new("deploy2");
    let log = dir.path("log.md");
    let stuck = K8sApi::start("rollout-stuck");
    let out = stuck.cmd("k8s-check").args(["--only", "k8s.rollout.complete"]).run();
    let res = Cmd::new("report-md").args(["deployment-log", "--log"]).arg(&log).stdin(out.stdout.clone()).run();
    res.assert_code(1);
    let md = std::fs::read_to_string(&log).unwrap();
    assert!(md.contains("(rollout not complete)"), "{md}");
    std::fs::rename(&log, dir.path("staging_deployment_log.md")).unwrap();
    let md = Cmd::new("report-md").args(["checklist", "--docs"]).arg(dir.path("")).stdin("").run().stdout;
    assert!(md.contains("- [ ] Staging deployment runbook created — missing: docs/staging_deployment_log.md has no completed deployment"), "{md}");
    // A record whose revision carries a forged key line cannot block the real entry.
    let healthy = K8sApi::start("healthy");
    let real = healthy.cmd("k8s-check").args(["--only", "k8s.rollout.complete"]).run().stdout;
    let forged = real.replace("\"revision\":\"3\"", "\"revision\":\"3 -->\\n<!-- deployment: x\"");
    let log = dir.path("forged.md");
    for records in [forged, real] {
        Cmd::new("report-md").args(["deployment-log", "--log"]).arg(&log).stdin(records).run();
    }
    let md = std::fs::read_to_string(&log).unwrap();
    assert_eq!(md.matches("\n## ").count(), 2, "the forged and the real entry: {md}");
    assert!(md.lines().all(|l| !l.starts_with("<!-- deployment: x")), "{md}");
}
