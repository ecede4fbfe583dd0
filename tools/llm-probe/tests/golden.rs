//! llm-probe's records from seeded llm-sim runs, every dialect streamed and
//! not, faults and retries included, equal in every field but timings to
//! the records an earlier build wrote (`tests/fixtures/golden-*.ndjson`,
//! written by the binaries of commit fec5172, before the dialect
//! restructure, with `NAVI_BIN_DIR=<its target/debug> NAVI_GOLDEN_WRITE=1`).
//! A change to the exchange, the dialects or the measuring must not change
//! what a run records.
//!
//! To re-bless after a change that is meant to alter records, run with
//! `NAVI_GOLDEN_WRITE=1` and say why in the commit.

use std::path::PathBuf;

use navi_testkit::{Cmd, Sim};
use serde_json::Value;

/// TIMING_FIELDS change from run to run; everything else must not.
const TIMING_FIELDS: [&str; 8] =
    ["ts", "latency_ms", "service_ms", "server_ms", "ttft_ms", "ttft_any_ms", "tpot_ms", "output_tokens_per_s"];

/// normalise drops the timings of one record, keeps how many inter-token
/// gaps there were, and writes each number in an error message as `#`
/// (a cut stream says after how many ms).
fn normalise(line: &str) -> Value {
    let mut v: Value = serde_json::from_str(line).expect("a probe record");
    let o = v.as_object_mut().expect("an object");
    for f in TIMING_FIELDS {
        o.remove(f);
    }
    o.insert("target".into(), Value::from("(sim)"));
    if let Some(itl) = o.remove("itl_ms") {
        o.insert("itl_count".into(), Value::from(itl.as_array().map_or(0, Vec::len)));
    }
    if let Some(attempts) = o.get_mut("attempts").and_then(Value::as_array_mut) {
        for a in attempts {
            a.as_object_mut().map(|a| a.remove("wait_ms"));
        }
    }
    if let Some(msg) = o.get_mut("error").and_then(|e| e.get_mut("message")) {
        let text = msg.as_str().unwrap_or_default();
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            if !c.is_ascii_digit() {
                out.push(c);
            } else if !out.ends_with('#') {
                out.push('#');
            }
        }
        *msg = Value::from(out);
    }
    v
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(format!("golden-{name}.ndjson"))
}

/// run_and_compare runs 60 conversations of every built-in scenario in
/// order against a seeded llm-sim with faults, one at a time so the order
/// (and so every fault and answer) is the same each run.
fn run_and_compare(provider: &str, stream: bool) {
    let sim = Sim::start(&[
        "--speed",
        "0",
        "--seed",
        "7",
        "--faults",
        "429=8%,500=6%,cut=6%,malformed=6%",
        "--retry-after-ms",
        "1",
    ]);
    let mut args = vec!["run", "--base-url", &sim.url, "--provider", provider, "--runs", "60", "-c", "1"];
    args.extend(["--run-id", "golden", "--seed", "3", "--retries", "2", "--stall-timeout", "5s"]);
    if !stream {
        args.push("--no-stream");
    }
    let out = Cmd::new("llm-probe")
        .args(args)
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("OPENAI_API_KEY")
        .env_remove("NAVI_API_TOKEN")
        .env_remove("ANTHROPIC_BASE_URL")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("STAGING_URL")
        .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let got: Vec<Value> = out.stdout.lines().map(normalise).collect();
    let name = format!("{provider}-{}", if stream { "stream" } else { "json" });
    let path = fixture(&name);
    if std::env::var_os("NAVI_GOLDEN_WRITE").is_some() {
        let text: String = got.iter().map(|v| format!("{v}\n")).collect();
        std::fs::write(&path, text).expect("write the fixture");
        return;
    }
    let want: Vec<Value> = std::fs::read_to_string(&path)
        .expect("the fixture")
        .lines()
        .map(|l| serde_json::from_str(l).expect("fixture line"))
        .collect();
    assert!(got.len() >= 60, "{name}: {} records", got.len());
    assert!(got.iter().any(|v| v["ok"] == false), "{name}: the faults should fail some requests");
    assert_eq!(got.len(), want.len(), "{name}: record count");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "{name}: record {i} differs");
    }
}

#[test]
fn anthropic_streamed_records_are_unchanged() {
    run_and_compare("anthropic", true);
}

#[test]
fn anthropic_json_records_are_unchanged() {
    run_and_compare("anthropic", false);
}

#[test]
fn openai_chat_streamed_records_are_unchanged() {
    run_and_compare("openai", true);
}

#[test]
fn openai_chat_json_records_are_unchanged() {
    run_and_compare("openai", false);
}

#[test]
fn openai_responses_streamed_records_are_unchanged() {
    run_and_compare("openai-responses", true);
}

#[test]
fn openai_responses_json_records_are_unchanged() {
    run_and_compare("openai-responses", false);
}

#[test]
fn navi_records_are_unchanged() {
    run_and_compare("navi", false);
}
