//! k8s-check with the real kubectl against the recorded Kubernetes API:
//! the healthy staging namespace and each broken variant, with exact verdicts.

use navi_testkit::{Cmd, K8sApi, Output};
use navikit::record::{Check, Record};

fn checks(out: &Output) -> Vec<Check> {
    out.records()
        .into_iter()
        .map(|r| match r {
            Record::Check(c) => c,
            other => panic!("expected check, got {}", other.kind()),
        })
        .collect()
}

/// verdicts gives `check target → status` for the checks run.
fn verdicts(variant: &str, only: &str) -> (Vec<Check>, Output) {
    let api = K8sApi::start(variant);
    let mut cmd = api.cmd("k8s-check");
    if !only.is_empty() {
        cmd = cmd.args(["--only", only]);
    }
    let out = cmd.run();
    (checks(&out), out)
}

fn status_of<'a>(cs: &'a [Check], name: &str) -> Vec<&'a str> {
    cs.iter().filter(|c| c.check == name).map(|c| c.status.as_str()).collect()
}

#[test]
fn the_healthy_namespace_passes_every_check() {
    let (cs, out) = verdicts("healthy", "");
    out.assert_code(0);
    assert_eq!(cs.len(), 20, "two pods give two records for each per-pod check");
    for c in &cs {
        assert_eq!(c.status.as_str(), "pass", "{} {}: {}", c.check, c.target, c.message);
        // The recorded API declares itself; every verdict says it was made on it.
        assert_eq!(c.stand_in.as_deref(), Some("recorded Kubernetes API (healthy)"), "{}", c.check);
    }
    let svc = cs.iter().find(|c| c.check == "k8s.service.endpoints").unwrap();
    assert!(svc.message.contains("STAGING_URL=http://a1b2c3.us-west-2.elb.amazonaws.com"));
}

#[test]
fn a_stuck_rollout_fails_by_kubectls_rules() {
    let (cs, out) = verdicts("rollout-stuck", "k8s.rollout.complete,k8s.replicas.ready");
    out.assert_code(1);
    assert_eq!(status_of(&cs, "k8s.rollout.complete"), ["fail"]);
    assert!(cs[0].message.contains("exceeded its progress deadline"), "{}", cs[0].message);
    assert_eq!(status_of(&cs, "k8s.replicas.ready"), ["fail"]);
}

#[test]
fn crashloop_and_oomkilled_pods_fail_with_the_reason() {
    let (cs, _) = verdicts("crashloop", "k8s.pods.running,k8s.pods.restarts");
    assert_eq!(status_of(&cs, "k8s.pods.running"), ["fail", "pass"]);
    assert_eq!(status_of(&cs, "k8s.pods.restarts"), ["fail", "pass"]);
    let r = cs.iter().find(|c| c.check == "k8s.pods.restarts" && c.status.as_str() == "fail").unwrap();
    assert!(r.message.starts_with("CrashLoopBackOff after 7 restart(s), last terminated: Error"), "{}", r.message);
    let (cs, _) = verdicts("oomkilled", "k8s.pods.restarts");
    assert_eq!(status_of(&cs, "k8s.pods.restarts"), ["fail", "pass"]);
    assert!(cs[0].message.contains("OOMKilled"));
    assert_eq!(cs[0].observed.as_ref().unwrap()["last_termination"], "OOMKilled");
}

#[test]
fn a_failed_init_container_fails_the_migration_check() {
    let (cs, _) = verdicts("init-failed", "k8s.init.db_migrate");
    // Every current pod is judged, not only the first.
    assert_eq!(status_of(&cs, "k8s.init.db_migrate"), ["fail", "fail"]);
    assert!(cs.iter().all(|c| c.message.starts_with("`db-migrate` exited 1 (Error)")), "{cs:?}");
}

/// with_init_log serves the healthy namespace with every pod's db-migrate
/// log replaced by `log` (real Alembic output captured by scripts/test.sh).
fn with_init_log(log: &str) -> (K8sApi, navi_testkit::TempDir) {
    let dir = navi_testkit::TempDir::new("alembic");
    let mut healthy: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(navi_testkit::fixture("k8s/healthy.json")).expect("fixture"))
            .expect("fixture JSON");
    for (k, v) in healthy.iter_mut() {
        if k.ends_with("/log?container=db-migrate") {
            *v = serde_json::Value::String(log.to_string());
        }
    }
    std::fs::write(dir.path("healthy.json"), serde_json::Value::Object(healthy).to_string()).expect("write fixture");
    (K8sApi::start_in("healthy", &dir.path("")), dir)
}

#[test]
fn db_migrate_passes_whether_alembic_migrated_or_was_already_at_head() {
    let logs =
        std::env::var("NAVI_ALEMBIC_LOGS").expect("NAVI_ALEMBIC_LOGS (scripts/test.sh captures real Alembic output)");
    for (name, runs_upgrade) in [("migrated.log", true), ("at-head.log", false)] {
        let log = std::fs::read_to_string(std::path::Path::new(&logs).join(name)).unwrap();
        assert_eq!(log.contains("Running upgrade"), runs_upgrade, "{name}: {log}");
        let (api, _dir) = with_init_log(&log);
        let out = api.cmd("k8s-check").args(["--only", "k8s.init.db_migrate"]).run();
        out.assert_code(0);
        let cs = checks(&out);
        assert_eq!(status_of(&cs, "k8s.init.db_migrate"), ["pass", "pass"], "{name}: every pod is judged");
        let tail = cs[0].observed.as_ref().unwrap()["log_tail"].as_array().unwrap().clone();
        assert_eq!(tail.last().unwrap().as_str().unwrap(), log.lines().last().unwrap().trim_end(), "the log is shown");
    }
}

#[test]
fn missing_metrics_server_and_hpa_fail() {
    let (cs, _) = verdicts("no-metrics-server", "k8s.metrics_server.available,k8s.resources.usage");
    assert_eq!(status_of(&cs, "k8s.metrics_server.available"), ["fail"]);
    assert_eq!(status_of(&cs, "k8s.resources.usage"), ["fail"]);
    assert!(cs.iter().any(|c| c.message.contains("install metrics-server")));
    let (cs, _) = verdicts("no-hpa", "k8s.hpa.configured");
    assert_eq!(status_of(&cs, "k8s.hpa.configured"), ["fail"]);
}

#[test]
fn secret_problems_fail_without_printing_values() {
    let (cs, out) = verdicts("secret-missing-key", "k8s.secret.keys");
    assert_eq!(status_of(&cs, "k8s.secret.keys"), ["fail"]);
    assert!(cs[0].message.contains("missing or empty: DB_PASSWORD"), "{}", cs[0].message);
    assert!(!out.stdout.contains("PLANTED") && !out.stderr.contains("PLANTED"));
    let (cs, out) = verdicts("sslmode-disable", "k8s.secret.keys");
    assert!(cs[0].message.contains("DB_SSLMODE is `disable`, must be `require`"), "{}", cs[0].message);
    assert!(!out.stdout.contains("PLANTED"));
    // The healthy run reads every secret too: grep all of its output for the planted value.
    let (_, out) = verdicts("healthy", "");
    assert!(!out.stdout.contains("PLANTED-db-secret") && !out.stderr.contains("PLANTED-db-secret"));
    assert!(!out.stdout.contains("cw_0x689RpI"), "the audit key must not be printed");
}

#[test]
fn the_audit_key_must_exist_and_be_a_fernet_key_in_production() {
    let (cs, _) = verdicts("audit-key-absent", "k8s.audit_key.production");
    assert_eq!(status_of(&cs, "k8s.audit_key.production"), ["fail"]);
    assert!(cs[0].message.contains("AUDIT_ENCRYPTION_KEY is not set"));
    let (cs, out) = verdicts("audit-key-invalid", "k8s.audit_key.production");
    assert!(cs[0].message.contains("is not a valid Fernet key"), "{}", cs[0].message);
    assert!(!out.stdout.contains("not-a-fernet-key"));
}

#[test]
fn error_lines_in_logs_are_counted_and_normalised() {
    let (cs, out) = verdicts("log-errors", "k8s.logs.errors");
    out.assert_code(1);
    let bad = cs.iter().find(|c| c.status.as_str() == "fail").unwrap();
    assert_eq!(bad.observed.as_ref().unwrap()["lines"], 13);
    assert_eq!(
        bad.observed.as_ref().unwrap()["top"][0]["pattern"],
        "ERROR: connection to db failed after #ms (request #)"
    );
    assert_eq!(bad.observed.as_ref().unwrap()["top"][0]["count"], 12);
    assert_eq!(status_of(&cs, "k8s.logs.errors"), ["fail", "pass"]);
}

#[test]
fn no_kubectl_or_no_cluster_is_skip_and_an_unreachable_cluster_gives_error_records() {
    // Nothing to look with: every check says skip and why, and the run fails.
    let out = Cmd::new("k8s-check").args(["--kubectl", "/nonexistent/kubectl"]).run();
    out.assert_code(1);
    let cs = checks(&out);
    assert_eq!(cs.len(), 15);
    assert!(cs.iter().all(|c| c.status.as_str() == "skip" && c.message.contains("cannot run `/nonexistent/kubectl`")));
    let out = Cmd::new("k8s-check")
        .env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .run();
    out.assert_code(1);
    assert!(checks(&out).iter().all(|c| c.status.as_str() == "skip" && c.message.starts_with("no cluster configured")));
    Cmd::new("k8s-check")
        .env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .arg("--allow-skip")
        .run()
        .assert_code(0);
    let api = K8sApi::start("healthy");
    let kubeconfig = std::fs::read_to_string(api.kubeconfig()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dead = navi_testkit::TempDir::new("dead");
    let server_line = kubeconfig.lines().find(|l| l.contains("server:")).unwrap();
    std::fs::write(dead.path("kc"), kubeconfig.replace(server_line, &format!("    server: http://127.0.0.1:{port}")))
        .unwrap();
    let out = Cmd::new("k8s-check")
        .args(["--only", "k8s.namespace.exists,k8s.nodes.ready", "--timeout", "3s"])
        .env("KUBECONFIG", dead.path("kc"))
        .run();
    out.assert_code(1);
    let cs = checks(&out);
    assert!(cs.iter().all(|c| c.status.as_str() == "error"), "{:?}", cs);
}

#[test]
fn list_prints_every_check() {
    let out = Cmd::new("k8s-check").arg("--list").run();
    out.assert_code(0);
    assert_eq!(out.stdout.lines().count(), 15);
    assert!(out.stdout.contains("k8s.rollout.complete"));
}

#[test]
fn error_lines_up_to_the_limit_warn_and_only_beyond_it_fail() {
    // The log-errors variant has 13 error lines in one container's last 4 hours.
    let api = K8sApi::start("log-errors");
    let out = api.cmd("k8s-check").args(["--only", "k8s.logs.errors", "--max-log-errors", "13"]).run();
    out.assert_code(0);
    let cs = checks(&out);
    assert_eq!(status_of(&cs, "k8s.logs.errors"), ["warn", "pass"]);
    assert_eq!(cs[0].target, "navi-staging/navi-backend-7d9f8c6b5-x2x4z/backend");
    assert!(
        cs[0].message.starts_with(
            "13 error line(s) in the last 4 h; top: 12× ERROR: connection to db failed after #ms (request #); 1× "
        ),
        "{}",
        cs[0].message
    );
    assert_eq!(cs[0].observed.as_ref().unwrap()["lines"], 13);
    assert_eq!(cs[1].message, "no error lines in the last 4 h");
    assert_eq!(cs[1].observed.as_ref().unwrap()["lines"], 0);
    let out = api.cmd("k8s-check").args(["--only", "k8s.logs.errors", "--max-log-errors", "12"]).run();
    out.assert_code(1);
    assert_eq!(status_of(&checks(&out), "k8s.logs.errors"), ["fail", "pass"]);
}

#[test]
fn a_missing_envfrom_source_fails_the_audit_key_unless_it_is_optional() {
    // AUDIT_ENCRYPTION_KEY comes from envFrom: the audit-key secret, then an
    // overrides ConfigMap that does not exist. The kubelet refuses to start
    // the container unless that reference is `optional: true`.
    let (cs, out) = verdicts("audit-key-envfrom-missing", "k8s.audit_key.production");
    out.assert_code(1);
    assert_eq!(status_of(&cs, "k8s.audit_key.production"), ["fail"]);
    assert_eq!(cs[0].message, "backend: AUDIT_ENCRYPTION_KEY: envFrom configmaps navi-backend-overrides not found");
    let (cs, out) = verdicts("audit-key-envfrom-optional", "k8s.audit_key.production");
    out.assert_code(0);
    assert_eq!(status_of(&cs, "k8s.audit_key.production"), ["pass"]);
    assert_eq!(
        cs[0].message,
        "AUDIT_ENCRYPTION_KEY is a valid Fernet key (backend: from envFrom secrets navi-audit-key)"
    );
    assert!(!out.stdout.contains("cw_0x689RpI"), "the audit key must not be printed");
}
