//! The false-green matrix, "cannot look" side: every check each tool
//! registers (its `--list`) says `skip`, with a reason, when the tool has
//! nothing to look at — never `pass` — and such a run fails unless the user
//! allows skips. The "broken" side (the real thing is broken → `fail`) lives
//! beside each tool's checks in its own tests, against real PostgreSQL, the
//! recorded Kubernetes API, llm-sim and captured cloud answers.

use std::collections::BTreeSet;

use navi_testkit::{Cmd, Output, TempDir};
use navikit::record::{CheckStatus, Record};

/// bare runs a tool with none of the variables that point it at a target.
fn bare(tool: &str, args: &[&str], home: &TempDir) -> Output {
    let mut cmd = Cmd::new(tool).args(args).env("HOME", home.path("home"));
    for k in [
        "DATABASE_URL",
        "PGHOST",
        "KUBECONFIG",
        "KUBERNETES_SERVICE_HOST",
        "STAGING_URL",
        "CLOUD_PROVIDER",
        "NAVI_START_CMD",
        "NAVI_START_HEALTH_URL",
        "ANTHROPIC_API_KEY",
        "OPENAI_API_KEY",
        "ANTHROPIC_BASE_URL",
    ] {
        cmd = cmd.env_remove(k);
    }
    cmd.run()
}

fn listed(tool: &str) -> BTreeSet<String> {
    let out = Cmd::new(tool).arg("--list").run();
    out.assert_code(0);
    out.stdout.lines().filter_map(|l| l.split_whitespace().next().map(str::to_string)).collect()
}

#[test]
fn every_registered_check_says_skip_when_it_cannot_look() {
    let home = TempDir::new("nohome");
    for tool in ["pg-check", "k8s-check", "http-check", "cloud-check"] {
        let names = listed(tool);
        assert!(names.len() >= 4, "{tool} lists {names:?}");
        let out = bare(tool, &[], &home);
        out.assert_code(1);
        let mut seen = BTreeSet::new();
        for r in out.records() {
            let Record::Check(c) = r else { panic!("{tool}: a non-check record") };
            assert_eq!(c.status, CheckStatus::Skip, "{tool} {}: {}", c.check, c.message);
            assert!(!c.message.is_empty(), "{tool} {}: a skip says why", c.check);
            seen.insert(c.check);
        }
        assert_eq!(seen, names, "{tool}: every registered check, and nothing else");
        bare(tool, &["--allow-skip"], &home).assert_code(0);
    }
    // The start-up test has no default service to start.
    let out = bare("http-check", &["startup"], &home);
    out.assert_code(1);
    let statuses: Vec<CheckStatus> = out.checks().values().map(|c| c.status).collect();
    assert_eq!(statuses, [CheckStatus::Skip, CheckStatus::Skip]);
}

#[test]
fn a_preflight_that_could_not_check_the_key_is_not_a_pass() {
    let home = TempDir::new("pre");
    let out = bare("llm-probe", &["preflight", "--base-url", "http://127.0.0.1:9"], &home);
    let m = out.checks();
    // No live call showed the target needs no key: a missing key fails, whatever the address.
    assert_eq!(m["llm.api_key.present"].status, CheckStatus::Fail, "{}", m["llm.api_key.present"].message);
    assert_eq!(m["llm.target.reachable"].status, CheckStatus::Fail);
    out.assert_code(1);
}
