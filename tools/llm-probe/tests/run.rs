//! llm-probe against a real llm-sim over HTTP: every fault kind gets the
//! right class, retry-after is honoured, TTFT skips the role chunk, cost is
//! exact, Ctrl-C loses nothing, secrets never leak, and a 1,000-request run
//! with mixed faults yields exactly 1,000 classified records.

use navi_testkit::{Cmd, Output, Sim, TempDir};
use navikit::record::{Probe, Record};

fn probes(out: &Output) -> Vec<Probe> {
    out.records()
        .into_iter()
        .map(|r| match r {
            Record::Probe(p) => *p,
            other => panic!("expected probe, got {}", other.kind()),
        })
        .collect()
}

fn probe(sim: &Sim, args: &[&str]) -> Output {
    Cmd::new("llm-probe")
        .args(["run", "--base-url", &sim.url, "--scenario", "hello-world"])
        .args(args)
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_BASE_URL")
        .env_remove("OPENAI_BASE_URL")
        .run()
}

#[test]
fn each_fault_kind_gets_its_class() {
    let sim = Sim::start(&["--speed", "0", "--slow-first-token-ms", "1500"]);
    let cases: &[(&str, &[&str], &str, Option<u16>)] = &[
        ("429", &[], "rate_limited", Some(429)),
        ("529", &[], "overloaded", Some(529)),
        ("503", &[], "overloaded", Some(503)),
        ("500", &[], "server_error", Some(500)),
        ("cut", &[], "stream_cut", Some(200)),
        ("malformed", &[], "malformed_stream", Some(200)),
        ("stall", &["--stall-timeout", "300ms"], "stream_stall", Some(200)),
        (
            "slow_first_token",
            &["--first-token-timeout", "300ms", "--stall-timeout", "300ms"],
            "first_token_timeout",
            Some(200),
        ),
        ("slow_first_token", &["--timeout", "400ms"], "total_timeout", Some(200)),
    ];
    for (fault, extra, class, status) in cases {
        for provider in ["anthropic", "openai"] {
            let header = format!("x-sim-fault: {fault}");
            let out = probe(
                &sim,
                &[&["--provider", provider, "--runs", "1", "--retries", "0", "-H", &header][..], extra].concat(),
            );
            out.assert_code(0);
            let p = &probes(&out)[0];
            assert!(!p.ok, "{fault}/{provider}");
            assert_eq!(p.error.as_ref().map(|e| e.class.as_str()), Some(*class), "{fault}/{provider}: {:?}", p.error);
            // OpenAI has no 529: llm-sim answers overload there with 503, as OpenAI does.
            let status = if *fault == "529" && provider == "openai" { Some(503) } else { *status };
            assert_eq!(p.status, status, "{fault}/{provider}");
        }
    }
}

#[test]
fn auth_refused_and_assertion_failures_are_classified() {
    let sim = Sim::start_with_env(&["--speed", "0", "--require-key"], &[("SIM_API_KEY", "sk-sim-right-key-000000000")]);
    let out = probe(&sim, &["--runs", "1"]);
    assert_eq!(probes(&out)[0].error.as_ref().unwrap().class, "auth");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let out =
        Cmd::new("llm-probe").args(["run", "--runs", "1", "--base-url", &format!("http://127.0.0.1:{port}")]).run();
    assert_eq!(probes(&out)[0].error.as_ref().unwrap().class, "connection_refused");

    let dir = TempDir::new("scen");
    std::fs::write(dir.path("never.yaml"), "prompt: Say hello\nexpect:\n  contains: [\"NEVER-IN-ANY-ANSWER\"]\n")
        .unwrap();
    let sim = Sim::start(&["--speed", "0"]);
    let out =
        Cmd::new("llm-probe").args(["run", "--runs", "2", "--base-url", &sim.url, "--scenarios"]).arg(&dir.0).run();
    let ps = probes(&out);
    assert_eq!(ps.len(), 2);
    for p in ps {
        assert_eq!(p.scenario, "never");
        assert_eq!(p.error.as_ref().unwrap().class, "assertion_failed");
        assert!(p.ttft_ms.is_some(), "timings are kept for a failed assertion");
    }
}

#[test]
fn retry_after_is_honoured_and_recorded() {
    let sim = Sim::start(&["--speed", "0", "--retry-after-ms", "400"]);
    let out = probe(&sim, &["--runs", "1", "-H", "x-sim-fault: 429", "-H", "x-sim-fault-once: retry-test"]);
    let p = &probes(&out)[0];
    assert!(p.ok, "{:?}", p.error);
    assert_eq!(p.attempts.len(), 2);
    assert_eq!(p.attempts[0].status, Some(429));
    assert_eq!(p.attempts[0].error.as_deref(), Some("rate_limited"));
    assert_eq!(p.attempts[1].wait_ms, 400.0);
    assert!(p.latency_ms >= 400.0, "{}", p.latency_ms);
    assert!(p.service_ms.unwrap() < p.latency_ms - 350.0, "service time counts only the last attempt");
}

#[test]
fn ttft_counts_the_first_answer_token_not_the_role_chunk() {
    // At speed 2 the first content comes after ~225 ms; the role chunk at once.
    let sim = Sim::start(&["--speed", "2"]);
    let out = probe(&sim, &["--provider", "openai", "--model", "gpt-4o", "--runs", "3"]);
    for p in probes(&out) {
        assert!(p.ok);
        let ttft = p.ttft_ms.unwrap();
        assert!(ttft > 50.0, "ttft {ttft} looks like the role chunk");
        assert!(ttft < p.latency_ms);
        assert_eq!(p.itl_ms.len() as f64, p.itl_ms.len() as f64);
        assert!(!p.itl_ms.is_empty());
    }
}

#[test]
fn thinking_models_report_both_first_token_times() {
    let sim = Sim::start(&["--speed", "4"]);
    let out = probe(&sim, &["--provider", "openai", "--model", "o3-mini", "--runs", "2"]);
    for p in probes(&out) {
        let (any, answer) = (p.ttft_any_ms.unwrap(), p.ttft_ms.unwrap());
        assert!(any < answer, "thinking starts before the answer: {any} vs {answer}");
    }
}

#[test]
fn tokens_and_cost_are_exact() {
    let sim = Sim::start(&["--speed", "0"]);
    for provider in ["anthropic", "openai", "openai-responses"] {
        let model = if provider == "anthropic" { "claude-sonnet-4" } else { "gpt-4o" };
        let (pin, pout) = if provider == "anthropic" { (3.0, 15.0) } else { (2.5, 10.0) };
        let out = probe(&sim, &["--provider", provider, "--model", model, "--runs", "3"]);
        let ps = probes(&out);
        assert_eq!(ps.len(), 3);
        for p in ps {
            assert!(p.ok, "{provider}: {:?}", p.error);
            assert!(!p.tokens_estimated);
            let (i, o) = (p.input_tokens.unwrap(), p.output_tokens.unwrap());
            // llm-sim counts ceil(chars/4) of the prompt.
            assert_eq!(i, ("Create a simple hello world Python script".len() as u64).div_ceil(4), "{provider}");
            let want = (i as f64 * pin + o as f64 * pout) / 1e6;
            assert!((p.cost_usd.unwrap() - want).abs() < 1e-12, "{provider}: {} vs {want}", p.cost_usd.unwrap());
        }
    }
}

#[test]
fn the_plans_config_runs_verbatim_and_warmup_is_marked() {
    let sim = Sim::start(&["--speed", "0"]);
    let cfg = navi_testkit::workspace_root().join("tests/e2e/real_llm_config.yaml");
    let out = Cmd::new("llm-probe")
        .args(["run", "--config"])
        .arg(&cfg)
        .args(["--base-url", &sim.url, "--runs", "10", "--warmup", "2", "--scenario", "hello-world,sql-query"])
        .env_remove("ANTHROPIC_API_KEY")
        .run();
    out.assert_code(0);
    assert_eq!(out.stderr.trim(), "llm-probe: 12 record(s) written");
    let ps = probes(&out);
    assert_eq!(ps.len(), 12);
    assert_eq!(ps.iter().filter(|p| p.warmup).count(), 2);
    assert!(ps.iter().all(|p| p.provider == "anthropic" && p.model == "claude-sonnet-4" && p.ok));
    let mut seqs: Vec<u64> = ps.iter().map(|p| p.seq).collect();
    seqs.sort();
    assert_eq!(seqs, (0..12).collect::<Vec<_>>());
}

#[test]
fn the_api_key_never_appears_in_any_output() {
    const KEY: &str = "sk-ant-PLANTED-SECRET-0123456789abcdef";
    let sim = Sim::start_with_env(&["--speed", "0", "--require-key"], &[("SIM_API_KEY", "sk-other-key-0000000000000")]);
    let run =
        Cmd::new("llm-probe").args(["run", "--runs", "3", "--base-url", &sim.url]).env("ANTHROPIC_API_KEY", KEY).run();
    assert_eq!(probes(&run)[0].error.as_ref().unwrap().class, "auth");
    let pre =
        Cmd::new("llm-probe").args(["preflight", "--live", "--base-url", &sim.url]).env("ANTHROPIC_API_KEY", KEY).run();
    pre.assert_code(1);
    let bad =
        Cmd::new("llm-probe").args(["run", "--base-url", "ftp://x", "--runs", "1"]).env("ANTHROPIC_API_KEY", KEY).run();
    bad.assert_code(2);
    for out in [&run, &pre, &bad] {
        assert!(!out.stdout.contains(KEY) && !out.stderr.contains(KEY), "key leaked");
        assert!(!out.stdout.contains("PLANTED") && !out.stderr.contains("PLANTED"), "part of the key leaked");
    }
}

#[test]
fn preflight_gives_the_checklist() {
    let sim = Sim::start(&["--speed", "0"]);
    let out = Cmd::new("llm-probe")
        .args(["preflight", "--live", "--base-url", &sim.url])
        .env("ANTHROPIC_API_KEY", "sk-ant-x-000000000000000000")
        .run();
    out.assert_code(0);
    let checks: Vec<(String, String)> = out
        .records()
        .into_iter()
        .map(|r| match r {
            Record::Check(c) => (c.check, c.status.as_str().to_string()),
            _ => panic!("not a check"),
        })
        .collect();
    let names: Vec<&str> = checks.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        names,
        ["llm.config.valid", "llm.api_key.present", "llm.scenarios.valid", "llm.target.reachable", "llm.live_call"]
    );
    assert!(checks.iter().all(|(_, s)| s == "pass"), "{checks:?}");
    let out = Cmd::new("llm-probe")
        .args(["preflight", "--base-url", "https://api.anthropic.invalid", "--require-env", "OPENAI_API_KEY"])
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("OPENAI_API_KEY")
        .run();
    out.assert_code(1);
}

#[test]
fn a_missing_key_is_skip_only_when_the_live_call_succeeded_without_it() {
    let keys = |out: &Output| -> Vec<(String, String)> {
        out.records()
            .into_iter()
            .filter_map(|r| match r {
                Record::Check(c) if c.check == "llm.api_key.present" => Some((c.target, c.status.as_str().to_string())),
                _ => None,
            })
            .collect()
    };
    let preflight = |sim: &Sim, extra: &[&str]| {
        Cmd::new("llm-probe")
            .args(["preflight", "--base-url", &sim.url])
            .args(extra)
            .env_remove("ANTHROPIC_API_KEY")
            .env_remove("OPENAI_API_KEY")
            .run()
    };
    // The target answers without a key: no key to check (skip); a required other key still fails.
    let open = Sim::start(&["--speed", "0"]);
    let out = preflight(&open, &["--live", "--require-env", "OPENAI_API_KEY,ANTHROPIC_API_KEY"]);
    assert_eq!(
        keys(&out),
        [("ANTHROPIC_API_KEY".to_string(), "skip".to_string()), ("OPENAI_API_KEY".to_string(), "fail".to_string())]
    );
    // Without the live call nothing shows the key is not needed: fail.
    assert_eq!(keys(&preflight(&open, &[])), [("ANTHROPIC_API_KEY".to_string(), "fail".to_string())]);
    // The target refuses the keyless call: fail.
    let locked = Sim::start_with_env(&["--speed", "0", "--require-key"], &[("SIM_API_KEY", "right")]);
    assert_eq!(keys(&preflight(&locked, &["--live"])), [("ANTHROPIC_API_KEY".to_string(), "fail".to_string())]);
}

#[test]
fn bad_config_exits_2_naming_file_and_key() {
    let dir = TempDir::new("cfg");
    let path = dir.path("c.yaml");
    std::fs::write(&path, "llm_provider: anthropic\ntest_runs: lots\n").unwrap();
    let out = Cmd::new("llm-probe").args(["run", "--base-url", "http://127.0.0.1:9", "--config"]).arg(&path).run();
    out.assert_code(2);
    assert_eq!(
        out.stderr.trim(),
        format!(
            "llm-probe: {}: key `test_runs`: expected a non-negative integer, found a string (\"lots\")",
            path.display()
        )
    );
    std::fs::write(&path, "llm_provider: anthropic\nmodle: x\n").unwrap();
    let out =
        Cmd::new("llm-probe").args(["preflight", "--base-url", "http://127.0.0.1:9", "--config"]).arg(&path).run();
    assert!(out.stderr.contains("unknown key `modle`"), "{}", out.stderr);
    let out = Cmd::new("llm-probe").args(["run", "--provider", "cohere"]).run();
    out.assert_code(2);
    assert!(out.stderr.contains("unknown provider `cohere`"));
}

#[test]
fn ctrl_c_stops_new_requests_and_loses_no_finished_record() {
    use std::io::Read;
    let sim = Sim::start(&["--speed", "4"]);
    let mut cmd = Cmd::new("llm-probe").args(["run", "--runs", "500", "-c", "4", "--base-url", &sim.url]);
    let mut child = cmd.command().spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let kill = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let mut stdout = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(!lines.is_empty() && lines.len() < 500, "{} records", lines.len());
    for l in &lines {
        navikit::ndjson::parse_record(l.as_bytes()).unwrap();
    }
    assert!(stderr.contains(&format!("llm-probe: {} record(s) written", lines.len())), "{stderr}");
}

#[test]
fn a_thousand_requests_with_mixed_faults_give_a_thousand_classified_records() {
    let sim = Sim::start(&["--speed", "0", "--seed", "9", "--faults", "429=2%,529=2%,500=2%,cut=2%,malformed=2%"]);
    let out = Cmd::new("llm-probe")
        .args([
            "run",
            "--runs",
            "1000",
            "-c",
            "16",
            "--retries",
            "0",
            "--base-url",
            &sim.url,
            "--scenario",
            "hello-world,bug-fix,sql-query",
        ])
        .run();
    out.assert_code(0);
    let ps = probes(&out);
    assert_eq!(ps.len(), 1000);
    let mut failed = 0;
    for p in &ps {
        let class = p.error.as_ref().map(|e| e.class.as_str());
        let want = match p.status {
            Some(429) => Some("rate_limited"),
            Some(529) => Some("overloaded"),
            Some(500) => Some("server_error"),
            Some(200) if p.ok => None,
            Some(200) => {
                assert!(matches!(class, Some("stream_cut" | "malformed_stream")), "{:?}", p.error);
                class
            }
            other => panic!("unexpected status {other:?}"),
        };
        assert_eq!(class, want, "status {:?}", p.status);
        failed += usize::from(!p.ok);
    }
    assert!((50..=150).contains(&failed), "{failed} failures for a 10 % fault rate");
}

#[test]
fn the_servers_own_time_is_recorded_within_the_clients() {
    // llm-sim answers a non-streamed request after generating it, and says
    // how long that took in Server-Timing: the record keeps it, inside the
    // client's own window for the attempt.
    let sim = Sim::start(&["--speed", "1"]);
    let out = probe(&sim, &["--runs", "3", "--no-stream"]);
    let ps = probes(&out);
    assert_eq!(ps.len(), 3);
    for p in ps {
        assert!(p.ok, "{:?}", p.error);
        let (server, service) = (p.server_ms.expect("server_ms"), p.service_ms.expect("service_ms"));
        assert!(server > 0.0 && server <= service, "server {server} ms, service {service} ms");
    }
}
