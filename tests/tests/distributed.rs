//! The distributed probe as shipped: the Indexed Job and its ConfigMaps
//! rendered from the repository pass a strict check against the official
//! Kubernetes client's models, and the pods' exact command, run N times here
//! with each JOB_COMPLETION_INDEX and the ConfigMaps written out as their
//! volumes, merges to what one process making the same requests measures.

use navi_testkit::{Cmd, Sim, bin_path, python, workspace_root};
use navikit::record::{Record, Stats};

fn path_with_tools() -> String {
    let bins = bin_path("llm-probe").parent().expect("bin dir").display().to_string();
    format!("{bins}:{}", std::env::var("PATH").unwrap_or_default())
}

fn script() -> Cmd {
    Cmd::program(workspace_root().join("scripts/distributed-probe.sh"))
        .env("PATH", path_with_tools())
        .env("NAVI_PYTHON", python())
        .env("NAMESPACE", "navi-staging")
}

fn stats(text: &str) -> Stats {
    let all: Vec<Stats> = text
        .lines()
        .filter_map(|l| match navikit::ndjson::parse_record(l.as_bytes()).expect("a record") {
            Record::Stats(s) => Some(*s),
            _ => None,
        })
        .collect();
    assert_eq!(all.len(), 1, "{text}");
    all.into_iter().next().expect("one")
}

#[test]
fn the_rendered_job_is_valid_kubernetes_and_bad_settings_are_refused() {
    let dir = navi_testkit::TempDir::new("render");
    let rendered = script().args(["render", "4"]).run();
    rendered.assert_code(0);
    let file = dir.path("job.yaml");
    std::fs::write(&file, &rendered.stdout).expect("write");
    assert!(rendered.stdout.contains("completions: 4\n") && rendered.stdout.contains("name: llm-probe-scenarios"));
    let check = Cmd::program(python()).arg(workspace_root().join("scripts/validate-k8s.py")).arg(&file).run();
    assert_eq!((check.code, check.stderr.trim()), (0, "validate-k8s: 3 objects, 0 problems"));
    // The checker is strict: a misspelt field and a quoted number are named.
    std::fs::write(
        &file,
        rendered.stdout.replace("completionMode", "completionMod").replace("backoffLimit: 0", "backoffLimit: \"0\""),
    )
    .expect("write");
    let bad = Cmd::program(python()).arg(workspace_root().join("scripts/validate-k8s.py")).arg(&file).run();
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("Job.spec.completionMod: not a field of V1JobSpec"), "{}", bad.stderr);
    assert!(bad.stderr.contains("Job.spec.backoffLimit: expected int, got str '0'"), "{}", bad.stderr);
    let refused = script().args(["render", "4"]).env("NAVI_IMAGE", "x\"; rm -rf /").run();
    refused.assert_code(2);
    script().args(["render", "0"]).run().assert_code(2);
}

#[test]
fn the_pods_command_run_three_times_merges_to_one_runs_numbers() {
    let load = |sim: &Sim| format!("--runs 90 -c 3 --base-url {} --scenario hello-world", sim.url);
    // Fresh, seeded stand-ins: the same 90 answers, in whatever order they are asked for.
    let sim = Sim::start(&["--speed", "5", "--seed", "3"]);
    let pods = script().args(["rehearse", "3"]).env("LOAD", load(&sim)).run();
    pods.assert_code(0);
    assert_eq!(pods.stdout.lines().count(), 3, "one stats record per pod");
    let merged = Cmd::new("latency-stats").arg("--merge").stdin(pods.stdout.clone()).run();
    merged.assert_code(0);
    let merged = stats(&merged.stdout);

    let sim = Sim::start(&["--speed", "5", "--seed", "3"]);
    let one = Cmd::program("sh")
        .arg("-c")
        .arg(format!(
            "llm-probe run --config {} {} | latency-stats --histograms",
            workspace_root().join("tests/e2e/real_llm_config.yaml").display(),
            load(&sim)
        ))
        .env("PATH", path_with_tools())
        .run();
    one.assert_code(0);
    let one = stats(&one.stdout);

    assert_eq!((merged.requests, merged.ok), (90, 90));
    assert_eq!((one.requests, one.ok), (90, 90));
    assert_eq!(merged.tokens, one.tokens, "the same answers, tokens for tokens");
    assert!((merged.cost_usd_total - one.cost_usd_total).abs() < 1e-9);
    let (m, o) = (merged.latency_ms.expect("latency"), one.latency_ms.expect("latency"));
    for (name, a, b) in [("p50", m.p50, o.p50), ("p95", m.p95, o.p95)] {
        assert!((a - b).abs() <= 0.1 * b, "{name}: merged {a} ms, one run {b} ms");
    }
}
