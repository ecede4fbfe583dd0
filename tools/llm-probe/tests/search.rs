//! `llm-probe search` against llm-sim given a known capacity (`--capacity`:
//! N generations at once, a queue beyond): the search must bracket the
//! capacity within its precision, and `latency-stats --by step,rate` over its
//! output must reproduce every step's verdict.

use std::collections::BTreeMap;

use navi_testkit::{Cmd, Sim};
use navikit::record::{CheckStatus, Probe, Record, Stats};

fn probe(sim: &Sim, cmd: &str, args: &[&str]) -> navi_testkit::Output {
    Cmd::new("llm-probe")
        .args([cmd, "--base-url", &sim.url, "--provider", "openai", "--scenario", "hello-world", "--no-stream"])
        .args(args)
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .run()
}

#[test]
fn search_brackets_a_known_capacity_and_latency_stats_reproduces_each_step() {
    let sim = Sim::start(&["--capacity", "2", "--speed", "40"]);
    // Calibrate: one at a time for the unloaded latency; then saturated
    // (more in flight than slots) for the throughput the server can give.
    let calib = probe(&sim, "run", &["--runs", "40", "-c", "1"]);
    calib.assert_code(0);
    let service: Vec<f64> = calib
        .records()
        .into_iter()
        .filter_map(|r| if let Record::Probe(p) = r { p.service_ms } else { None })
        .collect();
    let saturated = probe(&sim, "run", &["--runs", "120", "-c", "6"]);
    let done: Vec<Probe> = saturated
        .records()
        .into_iter()
        .filter_map(|r| if let Record::Probe(p) = r { Some(*p) } else { None })
        .collect();
    let first = done.iter().map(|p| p.ts - chrono::Duration::microseconds((p.latency_ms * 1000.0) as i64)).min();
    let last = done.iter().map(|p| p.ts).max();
    let (Some(first), Some(last)) = (first, last) else { panic!("no saturated records") };
    let capacity = done.len() as f64 / ((last - first).num_microseconds().unwrap_or(1) as f64 / 1e6);
    let mut sorted = service.clone();
    sorted.sort_by(f64::total_cmp);
    let limit_ms = (sorted[sorted.len() * 9 / 10] * 3.0).ceil();
    let threshold = format!("p90<{limit_ms}ms");
    let start = format!("{:.3}", capacity / 4.0);
    let out = probe(
        &sim,
        "search",
        &["-t", &threshold, "--start-rate", &start, "--step-time", "4s", "--min-requests", "40", "--max-time", "3m"],
    );
    out.assert_code(0);
    let records = out.records();
    let Some(Record::Check(verdict)) = records.last() else { panic!("the last record is the verdict") };
    assert_eq!((verdict.check.as_str(), verdict.status), ("llm.capacity", CheckStatus::Pass), "{verdict:?}");
    assert_eq!(verdict.stand_in.as_deref(), Some("llm-sim"));
    let obs = verdict.observed.as_ref().expect("observed");
    let pass = obs["highest_pass_rps"].as_f64().expect("a passing rate");
    let fail = obs["lowest_fail_rps"].as_f64().expect("a failing rate");
    eprintln!("capacity {capacity:.2} req/s, bracket {pass}..{fail}");
    assert!(fail <= pass * 1.1 + 1e-9, "bracket within 10 %: {pass}..{fail}");
    assert!(
        pass <= capacity * 1.15 && fail >= capacity * 0.85,
        "the bracket {pass}..{fail} req/s must hold the capacity {capacity:.1} req/s"
    );
    assert_eq!(obs["min_requests_per_step"], 100, "p90 needs 10 / (1 − 0.9) = 100 requests a step");
    // Every probe carries its step and rate; each step has its stats record.
    let steps: Vec<&Stats> =
        records.iter().filter_map(|r| if let Record::Stats(s) = r { Some(s.as_ref()) } else { None }).collect();
    let probes: Vec<&Probe> =
        records.iter().filter_map(|r| if let Record::Probe(p) = r { Some(p.as_ref()) } else { None }).collect();
    assert!(probes.iter().all(|p| p.step.is_some() && p.rate.is_some()));
    assert_eq!(steps.len() as u64, obs["steps"].as_u64().expect("steps"));
    assert!(steps.iter().all(|s| s.requests >= 100));
    let verdicts = |stats: &[&Stats]| -> BTreeMap<String, (u64, bool)> {
        stats.iter().map(|s| (s.group["step"].clone(), (s.requests, s.slo.iter().all(|v| v.ok)))).collect()
    };
    let again = Cmd::new("latency-stats").args(["--by", "step,rate", "-t", &threshold]).stdin(out.stdout.clone()).run();
    let again_stats: Vec<Stats> =
        again.records().into_iter().filter_map(|r| if let Record::Stats(s) = r { Some(*s) } else { None }).collect();
    assert_eq!(verdicts(&again_stats.iter().collect::<Vec<_>>()), verdicts(&steps));
    assert!(verdicts(&steps).values().any(|v| !v.1), "some step failed");
}

#[test]
fn search_refuses_to_run_without_a_threshold_and_fails_when_nothing_passes() {
    let sim = Sim::start(&["--capacity", "1", "--speed", "40"]);
    let out = probe(&sim, "search", &[]);
    out.assert_code(2);
    assert!(out.stderr.contains("needs at least one --threshold"), "{}", out.stderr);
    // No rate can meet a 1 ms p50: the search walks down and says so.
    let out = probe(
        &sim,
        "search",
        &["-t", "p50<1ms", "--start-rate", "8", "--step-time", "1s", "--min-requests", "5", "--max-requests", "60"],
    );
    out.assert_code(1);
    let Some(Record::Check(v)) = out.records().pop() else { panic!("a verdict") };
    assert_eq!(v.status, CheckStatus::Fail);
    assert!(v.message.starts_with("no rate tried held p50<1ms"), "{}", v.message);
    assert_eq!(v.observed.as_ref().expect("observed")["highest_pass_rps"], serde_json::Value::Null);
}
