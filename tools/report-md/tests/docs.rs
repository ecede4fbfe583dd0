//! report-md's documents from the real producers' output (latency-stats over
//! a committed probe run with the week's targets file; http-check, pg-check
//! and k8s-check against llm-sim, PostgreSQL and the recorded Kubernetes
//! API): a golden benchmarks page (regenerate with UPDATE_GOLDEN=1 and review
//! the diff), Markdown parsed with a CommonMark parser, the validation log
//! under concurrent writers, the checklist and the Prometheus gauges.

use navi_testkit::{Cmd, K8sApi, Sim, TempDir, fixture, workspace_root};
use pulldown_cmark::{Event, Parser, Tag, TagEnd};

/// tables returns every table as rows of cell texts.
fn tables(md: &str) -> Vec<Vec<Vec<String>>> {
    let mut out: Vec<Vec<Vec<String>>> = Vec::new();
    let (mut in_cell, mut cell, mut row) = (false, String::new(), Vec::new());
    for ev in Parser::new_ext(md, pulldown_cmark::Options::ENABLE_TABLES) {
        match ev {
            Event::Start(Tag::Table(_)) => out.push(Vec::new()),
            Event::Start(Tag::TableCell) => {
                in_cell = true;
                cell.clear();
            }
            Event::End(TagEnd::TableCell) => {
                in_cell = false;
                row.push(cell.trim().to_string());
            }
            Event::End(TagEnd::TableRow | TagEnd::TableHead) => {
                if let Some(t) = out.last_mut() {
                    t.push(std::mem::take(&mut row));
                }
            }
            Event::Text(t) | Event::Code(t) if in_cell => cell.push_str(&t),
            _ => {}
        }
    }
    out
}

/// stats is what latency-stats makes of the committed probe run with the
/// week's targets file: an overall record (with histograms) and one per scenario.
fn stats(dir: &TempDir) -> std::path::PathBuf {
    let run = fixture("latency-stats/sample-run.ndjson");
    let targets = workspace_root().join("config/targets.txt");
    let overall = Cmd::new("latency-stats").arg("--histograms").arg("--targets").arg(&targets).arg(&run).run();
    let per = Cmd::new("latency-stats").args(["--by", "scenario"]).arg(&run).run();
    let path = dir.path("stats.ndjson");
    std::fs::write(&path, format!("{}{}", overall.stdout, per.stdout)).expect("write stats");
    path
}

/// service_checks is http-check's verdicts on llm-sim with a broken /health:
/// health fails, metrics pass, growth cannot be told (skip), smoke passes.
fn service_checks(dir: &TempDir) -> std::path::PathBuf {
    let sim = Sim::start(&["--speed", "0", "--break", "health"]);
    let out = Cmd::new("http-check").args(["--base-url", &sim.url]).run();
    let path = dir.path("checks.ndjson");
    std::fs::write(&path, &out.stdout).expect("write checks");
    path
}

fn without_generated(md: &str) -> String {
    md.lines().filter(|l| !l.starts_with("| generated |")).collect::<Vec<_>>().join("\n")
}

#[test]
fn benchmarks_page_matches_its_golden_file_and_parses() {
    let dir = TempDir::new("bench");
    let out = Cmd::new("report-md").args(["benchmarks", "--load", "concurrency 8"]).arg(stats(&dir)).run();
    // The sample run has 1.7 % failures: the success target is missed, so exit 1.
    out.assert_code(1);
    let golden = fixture("report-md/PERFORMANCE_BENCHMARKS.md");
    if std::env::var("UPDATE_GOLDEN").is_ok() {
        std::fs::write(&golden, &out.stdout).unwrap();
    }
    assert_eq!(
        without_generated(&out.stdout),
        without_generated(&std::fs::read_to_string(&golden).unwrap()),
        "golden file differs (UPDATE_GOLDEN=1 to regenerate)"
    );
    let t = tables(&out.stdout);
    let targets = &t[1];
    assert_eq!(targets[0], ["target", "observed", ""]);
    // Rendered from latency-stats' verdicts on config/targets.txt, nothing judged here.
    let names: Vec<&str> = targets[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["requests>=100", "p50<2s", "p95<5s", "p99<10s", "success>99%", "cost_per_request<0.02"]);
    assert_eq!(targets[3][2], "✅ met");
    assert_eq!(targets[5][2], "❌ missed");
    assert!(!out.stdout.contains("## Escalation"), "98.2 % success and p95 < 8 s trigger no escalation");
    let overall = &t[2];
    assert_eq!(overall[0].len(), 12);
    assert_eq!(overall[1][0], "all");
    assert_eq!(overall[1][1], "330");
    let per_scenario = &t[3];
    assert_eq!(per_scenario.len(), 11, "header + 10 scenarios");
    // One measure per chart, named in its title; horizontal so scenario names fit.
    assert_eq!(out.stdout.matches("```mermaid").count(), 3);
    assert_eq!(out.stdout.matches("xychart-beta horizontal\n").count(), 2);
    assert!(out.stdout.contains("title \"p95 latency per scenario (ms); line: the p95 target, 5000 ms\""));
    assert!(out.stdout.contains("\n    line [5000, 5000, 5000, 5000, 5000, 5000, 5000, 5000, 5000, 5000]\n"));
}

#[test]
fn baseline_comparison_shows_deltas() {
    let dir = TempDir::new("base");
    let f = stats(&dir);
    let out = Cmd::new("report-md").arg("benchmarks").arg(&f).arg("--baseline").arg(&f).run();
    let t = tables(&out.stdout);
    let cmp = t.last().unwrap();
    assert_eq!(cmp[0], ["metric", "baseline", "now", "change"]);
    assert_eq!(cmp[1][3], "+0.0 %");
}

#[test]
fn validation_log_appends_in_the_plans_format_and_is_idempotent_per_day() {
    let dir = TempDir::new("log");
    let log = dir.path("docs/staging_validation_log.md");
    let checks = service_checks(&dir);
    for at in ["2026-02-11T10:00:00Z", "2026-02-11T14:00:00Z", "2026-02-12T10:00:00Z"] {
        Cmd::new("report-md").args(["validation-log", "--at", at, "--log"]).arg(&log).arg(&checks).run().assert_code(1);
    }
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.starts_with("# Staging Validation Log\n\n## Wednesday, Feb 11\n- 10:00 - issues found: 4 checks (2 pass, 0 warn, 1 fail, 0 error, 1 skip) from http-check\n"), "{text}");
    assert_eq!(text.matches("## Wednesday, Feb 11").count(), 1);
    assert_eq!(text.matches("## Thursday, Feb 12").count(), 1);
    assert!(text.contains("- 14:00 - FAIL http.health: GET /health answered 500"), "{text}");
    assert!(text.contains("- 14:00 - SKIP http.metrics.increasing: first scrape"), "{text}");
    assert!(text.contains("- 10:00 - STAND-IN: these verdicts are about stand-ins (llm-sim)"), "{text}");
}

#[test]
fn a_run_is_logged_when_it_happened_and_an_empty_or_skipped_run_is_not_a_pass() {
    let dir = TempDir::new("when");
    let log = dir.path("log.md");
    // pg-check with no database configured: every check could not look.
    let skipped = Cmd::new("pg-check").env_remove("DATABASE_URL").env_remove("PGHOST").run();
    skipped.assert_code(1);
    // The same run replayed later: its records say Saturday 10:00, so it lands there.
    let replayed = skipped
        .stdout
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["ts"] = "2026-02-14T10:00:00Z".into();
            v.to_string() + "\n"
        })
        .collect::<String>();
    let out = Cmd::new("report-md").args(["validation-log", "--log"]).arg(&log).stdin(replayed.clone()).run();
    out.assert_code(1);
    Cmd::new("report-md")
        .args(["validation-log", "--allow-skip", "--log"])
        .arg(&log)
        .stdin(replayed)
        .run()
        .assert_code(0);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("## Saturday, Feb 14\n- 10:00 - not validated: 13 skipped (no database configured"),
        "{text}"
    );
    assert!(!text.contains("all checks passed"), "{text}");
    // A tool that died wrote nothing: no verdicts, exit 1, never "all checks passed".
    let out = Cmd::new("report-md")
        .args(["validation-log", "--at", "2026-02-14T14:00:00Z", "--log"])
        .arg(&log)
        .stdin("")
        .run();
    out.assert_code(1);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("- 14:00 - no verdicts: the run produced no check records"), "{text}");
    assert!(!text.contains("all checks passed"), "{text}");
}

#[test]
fn a_check_name_cannot_forge_a_heading() {
    let dir = TempDir::new("forge");
    let log = dir.path("log.md");
    let checks = std::fs::read_to_string(service_checks(&dir)).unwrap();
    let forged = checks.replace("\"http.health\"", "\"http.health\\n## Sunday, Feb 1\\n- 10:00 - all checks passed\"");
    Cmd::new("report-md")
        .args(["validation-log", "--at", "2026-02-11T10:00:00Z", "--log"])
        .arg(&log)
        .stdin(forged)
        .run();
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(text.lines().filter(|l| l.starts_with("## ")).count(), 1, "{text}");
}

#[test]
fn concurrent_writers_lose_nothing() {
    let dir = TempDir::new("race");
    let log = dir.path("log.md");
    let checks = service_checks(&dir);
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let (log, checks) = (log.clone(), checks.clone());
            std::thread::spawn(move || {
                for j in 0..5 {
                    let at = format!("2026-02-11T{:02}:{:02}:00Z", 10 + i, j);
                    Cmd::new("report-md").args(["validation-log", "--at", &at, "--log"]).arg(&log).arg(&checks).run();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(text.matches("issues found").count(), 40, "{text}");
    assert_eq!(text.matches("FAIL http.health").count(), 40);
    assert_eq!(text.matches("# Staging Validation Log").count(), 1);
    assert_eq!(text.matches("## Wednesday, Feb 11").count(), 1);
}

/// checklist renders the checklist of the given record files.
fn checklist(files: &[&std::path::Path]) -> navi_testkit::Output {
    let mut cmd = Cmd::new("report-md").arg("checklist");
    for f in files {
        cmd = cmd.arg(f);
    }
    cmd.run()
}

#[test]
fn stand_in_evidence_never_ticks_a_box() {
    let dir = TempDir::new("standin");
    let api = K8sApi::start("healthy");
    let k8s = api.cmd("k8s-check").run();
    k8s.assert_code(0);
    std::fs::write(dir.path("k8s.ndjson"), &k8s.stdout).unwrap();
    let sim = Sim::start(&["--speed", "0"]);
    let probes = Cmd::new("llm-probe").args(["run", "--runs", "100", "-c", "8", "--base-url", &sim.url]).run();
    std::fs::write(dir.path("probes.ndjson"), &probes.stdout).unwrap();
    let stats = Cmd::new("latency-stats")
        .arg("--targets")
        .arg(workspace_root().join("config/targets.txt"))
        .arg(dir.path("probes.ndjson"))
        .run();
    std::fs::write(dir.path("stats.ndjson"), &stats.stdout).unwrap();
    let out = checklist(&[&dir.path("k8s.ndjson"), &dir.path("stats.ndjson")]);
    out.assert_code(1);
    let md = &out.stdout;
    assert!(!md.contains("- [x]"), "a stand-in ticked a box:\n{md}");
    for line in [
        "- [ ] Application deployed (2 replicas) — would pass — evidence from a stand-in (recorded Kubernetes API (healthy))",
        "- [ ] Kubernetes cluster configured — would pass — evidence from a stand-in (recorded Kubernetes API (healthy))",
        "- [ ] 100+ tests completed with real models — would pass — evidence from a stand-in (llm-sim)",
        "- [ ] Performance meets targets (p95 < 5s) — would pass — evidence from a stand-in (llm-sim)",
    ] {
        assert!(md.contains(line), "{line}\n{md}");
    }
}

/// stats_with runs latency-stats over the committed probe run (no stand-in
/// declared) with the targets file and extra thresholds.
fn stats_with(dir: &TempDir, extra: &[&str]) -> std::path::PathBuf {
    let out = Cmd::new("latency-stats")
        .arg("--targets")
        .arg(workspace_root().join("config/targets.txt"))
        .args(extra.iter().flat_map(|t| ["-t", t]))
        .arg(fixture("latency-stats/sample-run.ndjson"))
        .run();
    let path = dir.path(&format!("stats-{}.ndjson", extra.len()));
    std::fs::write(&path, &out.stdout).expect("write stats");
    path
}

fn line_of<'a>(md: &'a str, item: &str) -> &'a str {
    md.lines().find(|l| l.contains(item)).unwrap_or_else(|| panic!("no `{item}` line:\n{md}"))
}

#[test]
fn each_performance_box_reads_its_own_verdict_and_no_escalation() {
    let dir = TempDir::new("slo");
    // The sample run: 330 requests (300 conversations), p95 under 5 s, cost under $0.02, 98.3 %
    // success (a missed target, and no box of its own), 6 failures in 2 patterns.
    let md = checklist(&[&stats_with(&dir, &[])]).stdout;
    assert!(line_of(&md, "100+ tests completed").starts_with("- [x]"), "{md}");
    assert!(line_of(&md, "Performance meets targets").starts_with("- [x]"), "{md}");
    assert!(line_of(&md, "Cost per request acceptable").starts_with("- [x]"), "{md}");
    assert!(
        line_of(&md, "Error patterns identified")
            .starts_with("- [x] Error patterns identified and documented — 6 failure(s)"),
        "{md}"
    );
    // Each box misses only when its own threshold is missed.
    let md = checklist(&[&stats_with(&dir, &["requests>=1000", "cost_per_request<0.0001"])]).stdout;
    assert!(line_of(&md, "100+ tests completed").contains("missed: `requests>=1000` observed 330"), "{md}");
    assert!(
        line_of(&md, "Cost per request acceptable")
            .starts_with("- [ ] Cost per request acceptable — missed: `cost_per_request<0.0001`"),
        "{md}"
    );
    assert!(line_of(&md, "Performance meets targets").starts_with("- [x]"), "{md}");
    // "Completed" means succeeded: 330 attempted, 324 succeeded, 326 asked for.
    let md = checklist(&[&stats_with(&dir, &["requests>=326"])]).stdout;
    assert!(line_of(&md, "100+ tests completed").ends_with("— missing: only 324 of 330 requests succeeded"), "{md}");
    // Without a p95 threshold the box cannot say p95 < 5 s, whatever else was met.
    // (An escalation trigger on p95 is not a target either.)
    std::fs::write(dir.path("targets.txt"), "escalate: p95<8s\n").unwrap();
    let only_p50 = Cmd::new("latency-stats")
        .args(["-t", "p50<2s", "--targets"])
        .arg(dir.path("targets.txt"))
        .arg(fixture("latency-stats/sample-run.ndjson"))
        .run();
    std::fs::write(dir.path("p50.ndjson"), &only_p50.stdout).unwrap();
    let md = checklist(&[&dir.path("p50.ndjson")]).stdout;
    assert!(line_of(&md, "Performance meets targets").contains("missing: no p95 latency threshold"), "{md}");
    let md = checklist(&[&stats_with(&dir, &["p95<100ms"])]).stdout;
    assert!(
        line_of(&md, "Performance meets targets")
            .starts_with("- [ ] Performance meets targets (p95 < 5s) — missed: `p95<100ms`"),
        "{md}"
    );
    assert!(line_of(&md, "Cost per request acceptable").starts_with("- [x]"), "{md}");
}

#[test]
fn the_overall_summary_decides_and_the_tally_adds_up() {
    let dir = TempDir::new("tally");
    let api = K8sApi::start("healthy");
    let k8s = api.cmd("k8s-check").run();
    std::fs::write(dir.path("k8s.ndjson"), &k8s.stdout).unwrap();
    // Overall and per-scenario stats together: the overall one is read.
    let md = checklist(&[&stats(&dir), &service_checks(&dir), &dir.path("k8s.ndjson")]).stdout;
    assert!(line_of(&md, "100+ tests completed").starts_with("- [x]"), "{md}");
    assert_eq!(md.lines().filter(|l| l.starts_with("## ")).count(), 5, "{md}");
    assert!(md.contains("\n**5 of 22 ticked**; 2 would pass on stand-in evidence only; 15 open.\n"), "{md}");
    // The monitor's textfile of the same verdicts, observed numbers included, scrapes cleanly.
    let prom = Cmd::new("report-md").arg("prometheus").arg(dir.path("k8s.ndjson")).run();
    assert!(
        prom.stdout.contains("navi_check_observed{tool=\"k8s-check\",check=\"k8s.resources.usage\""),
        "{}",
        prom.stdout
    );
    navi_testkit::promtool_accepts(&prom.stdout);
}

#[test]
fn documentation_boxes_read_the_documents_the_week_wrote() {
    let dir = TempDir::new("docboxes");
    let docs = dir.path("docs");
    let boxes = |docs: &std::path::Path| {
        let md = Cmd::new("report-md").args(["checklist", "--docs"]).arg(docs).stdin("").run().stdout;
        let section = md.split("## Documentation\n\n").nth(1).unwrap().split("\n\n").next().unwrap().to_string();
        section.lines().map(str::to_string).collect::<Vec<_>>()
    };
    // Nothing written yet: every box says which document is missing.
    let open = boxes(&docs);
    assert_eq!(open.len(), 4);
    assert!(
        open[0].starts_with("- [ ] Performance benchmarks documented — missing: ")
            && open[0].ends_with("PERFORMANCE_BENCHMARKS.md not written"),
        "{open:?}"
    );
    // The benchmarks from a real run's stats; the deployment log from the recorded cluster (a stand-in);
    // the lessons from a real database missing a table.
    std::fs::create_dir_all(&docs).unwrap();
    Cmd::new("report-md").args(["benchmarks", "-o"]).arg(docs.join("PERFORMANCE_BENCHMARKS.md")).arg(stats(&dir)).run();
    let api = K8sApi::start("healthy");
    let k8s = api.cmd("k8s-check").args(["--only", "k8s.rollout.complete"]).run();
    Cmd::new("report-md")
        .args(["deployment-log", "--log"])
        .arg(docs.join("staging_deployment_log.md"))
        .stdin(k8s.stdout)
        .run()
        .assert_code(0);
    let pg = navi_testkit::pg();
    let url = pg.fresh_db(&pg.admin_url, "docboxes");
    std::fs::write(dir.path("tables"), "llm_metrics\nnavi_sessions\n").unwrap();
    let db = Cmd::new("pg-check")
        .args(["--only", "pg.tables.present", "--tables-file"])
        .arg(dir.path("tables"))
        .env("DATABASE_URL", format!("{url}?sslmode=require"))
        .run();
    Cmd::new("report-md")
        .args(["lessons", "-o"])
        .arg(docs.join("week1_lessons_learned.md"))
        .stdin(db.stdout)
        .run()
        .assert_code(0);
    let b = boxes(&docs);
    assert!(b[0].starts_with("- [x] Performance benchmarks documented — docs/PERFORMANCE_BENCHMARKS.md"), "{b:?}");
    assert!(
        b[1].starts_with("- [ ] Staging deployment runbook created — would pass — evidence from a stand-in (staging_deployment_log.md is written from stand-in evidence)"),
        "{b:?}"
    );
    assert!(b[2].starts_with("- [x] Known issues logged — "), "{b:?}");
    assert_eq!(b[3], "- [x] Week 2 priorities identified — 1 open item(s) carried into week 2", "{b:?}");
}

#[test]
fn an_open_box_quotes_the_failing_verdict() {
    let dir = TempDir::new("quote");
    let md = checklist(&[&service_checks(&dir)]).stdout;
    assert!(
        line_of(&md, "Health checks passing")
            .starts_with("- [ ] Health checks passing — missing: `http.health` is fail: GET /health answered 500"),
        "{md}"
    );
    assert!(
        line_of(&md, "Metrics collection working")
            .contains("`http.metrics.increasing` not validated (skip): first scrape"),
        "{md}"
    );
}

#[test]
fn the_latest_run_of_real_evidence_decides_a_box() {
    let pg = navi_testkit::pg();
    let dir = TempDir::new("latest");
    // Real evidence: pg-check against a real PostgreSQL that is no stand-in;
    // one database, looked at without and with TLS (the same target).
    let url = pg.fresh_db(&pg.admin_url, "latest");
    let run = |mode: &str, name: &str| {
        let out =
            Cmd::new("pg-check").args(["--only", "pg.ssl.in_use", "--sslmode", mode]).env("DATABASE_URL", &url).run();
        let path = dir.path(&format!("{name}.ndjson"));
        std::fs::write(&path, &out.stdout).expect("write checks");
        path
    };
    let plain = run("disable", "plain");
    std::thread::sleep(std::time::Duration::from_millis(20));
    let tls = run("require", "tls");
    let box_line = |md: &str| md.lines().find(|l| l.contains("SSL mode set to")).unwrap_or_default().to_string();
    // The unencrypted run, then the encrypted one: the newer verdict ticks the box...
    let md = checklist(&[&plain, &tls]).stdout;
    assert!(box_line(&md).starts_with("- [x] SSL mode set to \"require\" — `pg.ssl.in_use`"), "{md}");
    // ...whatever the order of the files; and a newer failure unticks it.
    let md = checklist(&[&tls, &plain]).stdout;
    assert!(box_line(&md).starts_with("- [x]"), "{md}");
    std::thread::sleep(std::time::Duration::from_millis(20));
    let plain_again = run("disable", "plain2");
    let md = checklist(&[&plain, &tls, &plain_again]).stdout;
    assert!(box_line(&md).starts_with("- [ ] SSL mode set to \"require\" — missing: `pg.ssl.in_use` is fail"), "{md}");
}

#[test]
fn prometheus_gauges_per_check() {
    let dir = TempDir::new("prom");
    let out = Cmd::new("report-md").arg("prometheus").arg(service_checks(&dir)).run();
    out.assert_code(1);
    let health = out.stdout.lines().find(|l| l.contains("check=\"http.health\"")).unwrap();
    assert!(health.ends_with("stand_in=\"llm-sim\"} 2"), "{health}");
    let grew = out.stdout.lines().find(|l| l.contains("check=\"http.metrics.increasing\"")).unwrap();
    assert!(grew.ends_with("} 4"), "skip is 4: {grew}");
    assert!(out.stdout.contains("navi_checks_last_run_timestamp_seconds "));
    navi_testkit::promtool_accepts(&out.stdout);
    // The newest verdict by its time decides, whatever order the files came in.
    let at = |ts: &str, status| {
        let mut c = navikit::record::Check::new("pg-check", "pg.alembic.head", "db", status, "");
        c.ts = ts.parse().unwrap();
        serde_json::to_string(&navikit::record::Record::Check(c)).unwrap() + "\n"
    };
    let thursday_fail = at("2026-02-12T10:00:00Z", navikit::record::CheckStatus::Fail);
    let monday_pass = at("2026-02-09T10:00:00Z", navikit::record::CheckStatus::Pass);
    let out = Cmd::new("report-md").arg("prometheus").stdin(thursday_fail + &monday_pass).run();
    out.assert_code(1);
    assert!(out.stdout.contains("check=\"pg.alembic.head\",target=\"db\",stand_in=\"\"} 2\n"), "{}", out.stdout);
}

#[test]
fn bad_input_exits_2() {
    let out = Cmd::new("report-md").arg("benchmarks").stdin("{\"kind\":\"stats\"}\n").run();
    out.assert_code(2);
    assert!(out.stderr.starts_with("report-md: <stdin>:1: bad record: missing field"), "{}", out.stderr);
    let dir = TempDir::new("bad");
    let out = Cmd::new("report-md").arg("benchmarks").arg(service_checks(&dir)).run();
    out.assert_code(2);
    assert!(out.stderr.contains("no stats records"));
}

#[test]
fn the_mermaid_charts_render_in_a_real_headless_chromium() {
    let dir = TempDir::new("mermaid");
    let png = dir.path("charts.png");
    let out = Cmd::program(navi_testkit::workspace_root().join("scripts/render-mermaid.sh"))
        .arg(fixture("report-md/PERFORMANCE_BENCHMARKS.md"))
        .arg(&png)
        .run();
    out.assert_code(0);
    assert_eq!(out.stdout.trim(), "ok 0\nok 1\nok 2", "Mermaid could not render a chart: {}", out.stderr);
    assert!(std::fs::metadata(&png).map(|m| m.len() > 10_000).unwrap_or(false), "no screenshot written");
}
