//! The official `anthropic` and `openai` Python SDKs against llm-sim
//! (tests/conformance/sdk_conformance.py): every check must pass.

use navi_testkit::{Cmd, Sim, python, workspace_root};

#[test]
fn official_sdks_accept_llm_sim() {
    let sim = Sim::start(&["--speed", "20", "--retry-after-ms", "300"]);
    let auth =
        Sim::start_with_env(&["--speed", "20", "--require-key"], &[("SIM_API_KEY", "sk-sim-good-key-0000000000")]);
    let script = workspace_root().join("tests/conformance/sdk_conformance.py");
    let out = Cmd::program(python()).arg(script).arg(&sim.url).arg(&auth.url).run();
    let results = out.json();
    let names: Vec<&str> = results.iter().filter_map(|r| r["check"].as_str()).collect();
    for expected in [
        "anthropic.create",
        "anthropic.stream_helper",
        "anthropic.raw_event_sequence",
        "anthropic.thinking",
        "anthropic.cache_usage",
        "anthropic.errors",
        "anthropic.auth",
        "anthropic.retry_after_honoured",
        "anthropic.malformed_stream_raises",
        "openai.chat",
        "openai.chat_stream_usage",
        "openai.responses",
        "openai.models",
        "openai.errors",
        "openai.retry_after_honoured",
        "prometheus.parses",
    ] {
        assert!(names.contains(&expected), "{expected} did not run: {}", out.stderr);
    }
    let failed: Vec<String> =
        results.iter().filter(|r| r["ok"] != true).map(|r| format!("{}: {}", r["check"], r["detail"])).collect();
    assert!(failed.is_empty(), "SDK checks failed:\n{}", failed.join("\n"));
    out.assert_code(0);
}
