//! `report-md alert-rules` against the real promtool: the committed rules are
//! what the targets file generates, promtool accepts them, its unit tests
//! (written by hand, independent of the generator) pass and fail when an
//! alert is broken, and every alert has a runbook and a firing test.

use std::collections::BTreeSet;
use std::path::Path;

use navi_testkit::{Cmd, TempDir, workspace_root};

fn rules_dir() -> std::path::PathBuf {
    workspace_root().join("deploy/prometheus")
}

fn promtool(args: &[&str], dir: &Path) -> navi_testkit::Output {
    let mut cmd = Cmd::program("promtool").args(args);
    cmd.command().current_dir(dir);
    cmd.run()
}

/// values_of lists what follows `key` on every line of a YAML text that has it.
fn values_of(text: &str, key: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let rest = l.trim_start().trim_start_matches("- ").trim_start_matches('{').strip_prefix(key)?;
            Some(rest.split(',').next()?.trim().trim_matches('\'').to_string())
        })
        .collect()
}

#[test]
fn the_committed_rules_are_what_the_targets_file_generates() {
    let root = workspace_root();
    let mut cmd = Cmd::new("report-md").args(["alert-rules", "--targets", "config/targets.txt"]);
    cmd.command().current_dir(&root);
    let out = cmd.run();
    out.assert_code(0);
    let committed = std::fs::read_to_string(rules_dir().join("navi-rules.yaml")).unwrap();
    assert_eq!(
        out.stdout, committed,
        "deploy/prometheus/navi-rules.yaml is stale: run `report-md alert-rules -o deploy/prometheus/navi-rules.yaml`"
    );
}

#[test]
fn promtool_accepts_the_rules_and_their_unit_tests_pass() {
    let out = promtool(&["check", "rules", "navi-rules.yaml"], &rules_dir());
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let out = promtool(&["test", "rules", "navi-rules.test.yaml"], &rules_dir());
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

#[test]
fn every_alert_has_a_runbook_and_a_firing_test() {
    let rules = std::fs::read_to_string(rules_dir().join("navi-rules.yaml")).unwrap();
    let tests = std::fs::read_to_string(rules_dir().join("navi-rules.test.yaml")).unwrap();
    let alerts: BTreeSet<String> = values_of(&rules, "alert:").into_iter().collect();
    assert!(alerts.len() >= 14, "{alerts:?}");
    for url in values_of(&rules, "runbook_url:") {
        assert!(workspace_root().join(&url).is_file(), "runbook_url {url} resolves to no file");
    }
    // An alert is tested firing when some test expects an alert under its name.
    let mut firing = BTreeSet::new();
    let mut current = String::new();
    for line in tests.lines() {
        if let Some(name) = values_of(line, "alertname:").pop() {
            current = name;
        }
        if line.contains("exp_labels:") {
            firing.insert(current.clone());
        }
    }
    let untested: Vec<&String> = alerts.difference(&firing).collect();
    assert!(untested.is_empty(), "alerts no test sees firing: {untested:?}");
}

#[test]
fn breaking_an_alert_fails_its_unit_test() {
    let dir = TempDir::new("rules");
    let rules = std::fs::read_to_string(rules_dir().join("navi-rules.yaml")).unwrap();
    // The fast burn pages at 14.4x the budget; at 144x it would sleep through an outage.
    let broken = rules.replacen("> 14.4 *", "> 144 *", 2);
    assert_ne!(broken, rules);
    std::fs::write(dir.path("navi-rules.yaml"), broken).unwrap();
    std::fs::copy(rules_dir().join("navi-rules.test.yaml"), dir.path("navi-rules.test.yaml")).unwrap();
    let out = promtool(&["test", "rules", "navi-rules.test.yaml"], &dir.path(""));
    assert_ne!(out.code, 0, "promtool passed a broken alert:\n{}", out.stdout);
    let said = format!("{}{}", out.stdout, out.stderr);
    assert!(said.contains("alertname: NaviChatErrorBudgetFastBurn, time: 5h30m"), "{said}");
}

#[test]
fn a_bad_targets_file_exits_2_naming_the_line() {
    let dir = TempDir::new("badtargets");
    std::fs::write(dir.path("t.txt"), "p95<5s\np95<<5s\n").unwrap();
    let out = Cmd::new("report-md").args(["alert-rules", "--targets"]).arg(dir.path("t.txt")).run();
    out.assert_code(2);
    assert!(out.stderr.contains("t.txt:2: bad threshold `p95<<5s`"), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1);
}

#[test]
fn any_targets_file_and_selector_yields_rules_promtool_lints_clean() {
    let dir = TempDir::new("oddtargets");
    // Repeated metrics, two error budgets, two spellings of p99.9.
    std::fs::write(dir.path("t.txt"), "p95<5s\np95<5s\nsuccess>99%\nerror_rate<2%\np99.9<10s\np999<12s\n").unwrap();
    for extra in [
        &["--chat-selector", ""][..],
        &["--runbook-base", "https://wiki.example/it's/runbooks"],
        &["--service-selector", "job=\"navi-backend\"", "--compress", "7"],
    ] {
        let out = Cmd::new("report-md").args(["alert-rules", "--targets"]).arg(dir.path("t.txt")).args(extra).run();
        out.assert_code(0);
        std::fs::write(dir.path("r.yaml"), &out.stdout).unwrap();
        let lint = promtool(&["check", "rules", "--lint-fatal", "r.yaml"], &dir.path(""));
        assert_eq!(lint.code, 0, "{extra:?}: {}{}", lint.stdout, lint.stderr);
    }
    let out = Cmd::new("report-md").args(["alert-rules", "--targets"]).arg(dir.path("t.txt")).run();
    assert!(out.stdout.contains("# Not an alert: error_rate<2%: `success>99%` already sets the error budget"));
    assert!(out.stdout.contains("quantile: '0.999'"), "{}", out.stdout);
    // What would break the YAML or the PromQL is refused.
    for (flag, value) in [("--runbook-base", "x'\n  team: 'p"), ("--chat-selector", "path=\"/x\"} or vector(1) {")] {
        let out = Cmd::new("report-md").args(["alert-rules", flag, value]).run();
        out.assert_code(2);
        assert!(out.stderr.starts_with(&format!("report-md: {flag}: ")), "{}", out.stderr);
    }
}
