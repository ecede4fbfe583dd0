//! Cross-tool pipelines: distributed shards merge to the single-machine
//! result, and the whole demo week writes the plan's documents.

use navi_testkit::{Cmd, Sim, TempDir, workspace_root};
use navikit::record::Record;

#[test]
fn shards_of_a_probe_run_merge_to_the_single_machine_result() {
    let sim = Sim::start(&["--speed", "0", "--seed", "3", "--faults", "500=3%"]);
    let dir = TempDir::new("shards");
    let mut all = String::new();
    let mut parts = String::new();
    for i in 0..4 {
        let out = Cmd::new("llm-probe")
            .args([
                "run",
                "--runs",
                "200",
                "-c",
                "4",
                "--retries",
                "0",
                "--run-id",
                "dist",
                "--shard",
                &format!("{i}/4"),
                "--base-url",
                &sim.url,
            ])
            .run();
        out.assert_code(0);
        all.push_str(&out.stdout);
        let path = dir.path(&format!("shard-{i}.ndjson"));
        std::fs::write(&path, &out.stdout).unwrap();
        let stats = Cmd::new("latency-stats").args(["--histograms", "--by", "scenario"]).arg(&path).run();
        stats.assert_code(0);
        parts.push_str(&stats.stdout);
    }
    let probes = Cmd::new("latency-stats").arg("--by").arg("scenario").stdin(all.clone()).run();
    let merged = Cmd::new("latency-stats").arg("--merge").stdin(parts).run();
    let (single, merged) = (probes.records(), merged.records());
    // 200 runs in total (50 per shard), multi-turn scenarios add a record per turn.
    let seqs: std::collections::BTreeSet<u64> = all
        .lines()
        .filter_map(|l| match navikit::ndjson::parse_record(l.as_bytes()) {
            Ok(Record::Probe(p)) => Some(p.seq),
            _ => None,
        })
        .collect();
    assert_eq!(seqs, (0..200).collect());
    assert_eq!(single.len(), merged.len());
    for (a, b) in single.iter().zip(&merged) {
        let (Record::Stats(a), Record::Stats(b)) = (a, b) else { panic!("stats expected") };
        assert_eq!(a.group, b.group);
        assert_eq!((a.requests, a.ok, a.failed), (b.requests, b.ok, b.failed));
        assert_eq!(a.latency_ms, b.latency_ms);
        assert_eq!(a.ttft_ms, b.ttft_ms);
        assert_eq!(a.itl_ms, b.itl_ms);
        assert_eq!(a.errors, b.errors);
    }
}

#[test]
fn the_demo_week_writes_the_plans_documents() {
    let out_dir = TempDir::new("demo");
    let out = Cmd::program(workspace_root().join("scripts/demo.sh"))
        .env("DEMO_OUT", &out_dir.0)
        .env("DEMO_RUNS", "30")
        .env("DEMO_SPEED", "20")
        .env("DEMO_PROFILE", "debug")
        .env("DEMO_NO_JUST", "1")
        .env_remove("DATABASE_URL")
        .env_remove("KUBECONFIG")
        .env_remove("STAGING_URL")
        .run();
    out.assert_code(0);
    let read =
        |p: &str| std::fs::read_to_string(out_dir.path(p)).unwrap_or_else(|e| panic!("{p}: {e}\n{}", out.stderr));
    let bench = read("docs/PERFORMANCE_BENCHMARKS.md");
    assert!(bench.starts_with("# Performance Benchmarks"));
    assert!(bench.contains("| `p95<5s` |"), "{bench}");
    assert!(bench.contains("| **stand-in** |") && bench.contains("(llm-sim)"), "{bench}");
    assert!(bench.contains("xychart-beta horizontal\n"), "{bench}");
    // The second Tuesday run is judged against the baseline the first established.
    assert!(bench.contains("## Compared with the baseline") && bench.contains("| latency_ms.p95 |"), "{bench}");
    // The capacity search found the load model's knee, on a stand-in and saying so.
    assert!(bench.contains("## Capacity") && bench.contains("| sustainable rate |"), "{bench}");
    assert!(bench.contains("the rate is the stand-in's, not the service's"), "{bench}");
    let capacity = read("results/capacity.ndjson");
    let verdict = capacity.lines().last().expect("a verdict");
    assert!(verdict.contains("\"check\":\"llm.capacity\",") && verdict.contains("\"status\":\"pass\""), "{verdict}");
    // Load and watch on the leaking stand-in: the timeline names the database.
    assert!(bench.contains("**pg_connections{datname=\"navi_staging\"}** rose from"), "{bench}");
    assert!(bench.contains("it did not fall back"), "{bench}");
    let log = read("docs/staging_validation_log.md");
    assert!(log.starts_with("# Staging Validation Log\n\n## "));
    // monday, wednesday..friday, two monitor rounds: six runs logged, none "all passed".
    assert_eq!(log.matches(" checks (").count(), 6, "{log}");
    assert!(!log.contains("all checks passed"), "{log}");
    assert!(log.contains("STAND-IN: these verdicts are about stand-ins"), "{log}");
    // The alert phase: the rules on a real Prometheus, chats failing on purpose.
    let fired = read("alerts-fired.txt");
    assert!(fired.lines().any(|l| l.starts_with("NaviChatErrorBudgetFastBurn (page)")), "{fired}\n{}", out.stderr);
    assert!(out.stderr.contains("demo: alert fired: NaviChatErrorBudgetFastBurn (page)"), "{}", out.stderr);
    assert!(!fired.contains("NaviCheckFailing"), "stand-in verdicts never alert: {fired}");
    let panels = read("dashboards-checked.txt");
    assert!(panels.lines().count() >= 21, "{panels}");
    assert!(!panels.contains("EMPTY"), "every dashboard panel has data on the demo's Prometheus:\n{panels}");
    let deployed = read("docs/staging_deployment_log.md");
    assert!(deployed.contains("## 2026-02-12 10:02 UTC — navi-staging/navi-backend, revision 3"), "{deployed}");
    assert!(deployed.contains("> STAND-IN: read from recorded Kubernetes API"), "{deployed}");
    assert!(deployed.contains("- Alembic head: **pass**"), "{deployed}");
    assert_eq!(deployed.matches("<!-- deployment: ").count(), 1, "one deployment, logged once: {deployed}");
    let lessons = read("docs/week1_lessons_learned.md");
    assert!(lessons.starts_with("# Week 1 Lessons Learned\n"), "{lessons}");
    assert!(lessons.contains("## Week 2 priorities"), "{lessons}");
    assert!(lessons.contains("(stand-in: "), "stand-in evidence is labelled:\n{lessons}");
    let checklist = read("docs/week1_checklist.md");
    // Everything the demo looked at is a stand-in: no real-world box is ticked,
    // and each that a real run would tick says which stand-in would have.
    assert!(!checklist.contains("- [x]"), "a stand-in ticked a box:\n{checklist}");
    for would in [
        "- [ ] Database migrations applied — would pass — evidence from a stand-in (navi-launch stand-in",
        "- [ ] Application deployed (2 replicas) — would pass — evidence from a stand-in (recorded Kubernetes API",
        "- [ ] Health checks passing — would pass — evidence from a stand-in (llm-sim)",
        "- [ ] Metrics collection working — would pass — evidence from a stand-in",
        "- [ ] Validated with real workloads — would pass — evidence from a stand-in",
        "- [ ] Audit encryption mandatory in production — would pass — evidence from a stand-in (llm-sim)",
        "- [ ] Startup validation implemented — would pass — evidence from a stand-in (llm-sim)",
        "- [ ] Node autoscaling configured — would pass — evidence from a stand-in (captured cloud CLI answers",
        "- [ ] Staging database provisioned and backed up — would pass — evidence from a stand-in (captured cloud CLI answers",
        "- [ ] 100+ tests completed with real models — missed: `requests>=100` observed 3",
    ] {
        assert!(checklist.contains(would), "{would}:\n{checklist}");
    }
    let prom = read("textfile/navi_checks.prom");
    assert!(prom.contains("navi_check_status{tool=\"k8s-check\",check=\"k8s.rollout.complete\""));
}

#[test]
fn a_day_with_nothing_configured_fails_and_says_what_was_not_validated() {
    let dir = TempDir::new("bare");
    let mut cmd = Cmd::program(workspace_root().join("scripts/week.sh")).arg("thursday");
    for k in ["DATABASE_URL", "PGHOST", "KUBECONFIG", "STAGING_URL", "CLOUD_PROVIDER", "NAVI_START_CMD", "ALLOW_SKIP"] {
        cmd = cmd.env_remove(k);
    }
    let bin = navi_testkit::bin_path("pg-check");
    let path = format!("{}:{}", bin.parent().unwrap().display(), std::env::var("PATH").unwrap_or_default());
    let out = cmd
        .env("PATH", path)
        .env("HOME", dir.path("home"))
        .env("NAVI_OUT", dir.path("out"))
        .env("NAVI_DOCS", dir.path("docs"))
        .run();
    out.assert_code(1);
    let log = std::fs::read_to_string(dir.path("docs/staging_validation_log.md")).unwrap();
    assert!(log.contains("not validated: "), "{log}");
    for why in ["no database configured", "no cluster configured", "no service configured"] {
        assert!(log.contains(why), "{why}: {log}");
    }
    assert!(!log.contains("all checks passed"), "{log}");
}
