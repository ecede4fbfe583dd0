//! `report-md lessons` over a week of real records: a failure fixed later is
//! resolved, one never fixed is a Week 2 priority, a missed escalation line
//! is named with its evidence.

use navi_testkit::{Cmd, TempDir, fixture, pg, pg_client};

#[test]
fn a_fixed_failure_is_resolved_and_an_unfixed_one_is_a_week_2_priority() {
    let pg = pg();
    let url = pg.fresh_db(&pg.admin_url, "lessons");
    let dir = TempDir::new("lessons");
    let tables = dir.path("tables");
    std::fs::write(&tables, "llm_metrics\ntelemetry_events\nnavi_sessions\n").unwrap();
    let pg_check = || {
        Cmd::new("pg-check")
            .args(["--only", "pg.alembic.head,pg.tables.present", "--tables-file"])
            .arg(&tables)
            .env("DATABASE_URL", format!("{url}?sslmode=require"))
            .run()
            .stdout
    };
    // Wednesday: one migration behind, a table missing. Thursday: migrated; the table still missing.
    pg_client(&url).batch_execute("UPDATE alembic_version SET version_num = '0030_usage_limits'").unwrap();
    let wednesday = pg_check();
    pg_client(&url).batch_execute("UPDATE alembic_version SET version_num = '0031_metrics_learning'").unwrap();
    let thursday = pg_check();
    // Tuesday's probe run, judged with an escalation line it misses.
    std::fs::write(dir.path("targets"), "p95<5s\nescalate: success>99%\n").unwrap();
    let stats = Cmd::new("latency-stats")
        .arg("--targets")
        .arg(dir.path("targets"))
        .arg(fixture("latency-stats/sample-run.ndjson"))
        .run()
        .stdout;
    let week = format!("{stats}{wednesday}{thursday}");
    let out = Cmd::new("report-md").args(["lessons", "-o"]).arg(dir.path("lessons.md")).stdin(week).run();
    out.assert_code(0);
    let md = std::fs::read_to_string(dir.path("lessons.md")).unwrap();
    let section = |title: &str| -> String {
        let start = md.find(title).unwrap_or_else(|| panic!("no {title}:\n{md}"));
        let rest = &md[start + title.len()..];
        rest[..rest.find("\n## ").unwrap_or(rest.len())].to_string()
    };
    let row = |check: &str| -> String {
        section("## Issues by check")
            .lines()
            .find(|l| l.starts_with(&format!("| `{check}`")))
            .unwrap_or_default()
            .to_string()
    };
    assert!(row("pg.alembic.head").contains("| resolved "), "{md}");
    assert!(row("pg.alembic.head").contains("| 1 |"), "one failing run: {md}");
    assert!(row("pg.tables.present").contains("| 2 | open: fail"), "{md}");
    let priorities = section("## Week 2 priorities");
    assert!(priorities.contains("- [ ] `pg.tables.present`"), "{md}");
    assert!(priorities.contains("navi_sessions"), "the message says what is missing: {md}");
    assert!(!priorities.contains("pg.alembic.head"), "{md}");
    let escalations = section("## Escalation paths");
    assert!(escalations.contains("- **triggered**: Success rate or latency"), "{md}");
    assert!(escalations.contains("`success>99%` missed: observed 98.18, run of 330"), "{md}");
    assert!(escalations.contains("- not triggered: Deployment blocked"), "{md}");
    assert!(escalations.contains("- **triggered**: Database blocked"), "a missing table blocks the database: {md}");
    let patterns = section("## Probe failure patterns");
    assert!(patterns.contains("| rate_limited |"), "{md}");
    assert!(md.contains("2 issue(s) seen, 1 resolved, 1 still open"), "{md}");
}

#[test]
fn a_clean_week_has_no_priorities_and_an_empty_one_says_so() {
    let out = Cmd::new("report-md").arg("lessons").stdin("").run();
    out.assert_code(0);
    assert!(out.stdout.contains("From 0 check verdict(s) and 0 probe run summary(ies)"), "{}", out.stdout);
    assert!(out.stdout.contains("Nothing left open by week 1's checks."), "{}", out.stdout);
}

#[test]
fn a_stand_in_pass_never_resolves_a_real_failure_and_secrets_stay_out() {
    let rec = |ts: &str, status: &str, stand_in: &str, message: &str| {
        let mut c = navikit::record::Check::new(
            "pg-check",
            "pg.alembic.head",
            "db",
            match status {
                "pass" => navikit::record::CheckStatus::Pass,
                _ => navikit::record::CheckStatus::Fail,
            },
            message,
        );
        c.ts = ts.parse().unwrap();
        c.stand_in = (!stand_in.is_empty()).then(|| stand_in.to_string());
        serde_json::to_string(&navikit::record::Record::Check(c)).unwrap() + "\n"
    };
    let week = [
        rec("2026-02-10T10:00:00Z", "fail", "", "behind: DATABASE_URL=postgresql://navi:hunter22pw@db/navi"),
        rec("2026-02-11T10:00:00Z", "pass", "navi-launch stand-in: local db", "at head"),
    ]
    .concat();
    let out = Cmd::new("report-md").arg("lessons").stdin(week).run();
    out.assert_code(0);
    assert!(
        out.stdout.contains("| 1 | open: pass — at head (stand-in: navi-launch stand-in: local db) |"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("- [ ] `pg.alembic.head` on db"), "{}", out.stdout);
    assert!(!out.stdout.contains("hunter22pw"), "{}", out.stdout);
}
