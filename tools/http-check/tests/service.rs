//! http-check against llm-sim: healthy, broken /health, malformed metrics,
//! counters that do not grow, a counter reset, a slow chat, and the
//! audit-key start-up test with llm-sim as the service.

use std::collections::BTreeMap;

use navi_testkit::{Cmd, Output, Sim, TempDir};
use navikit::record::Check;

fn checks(out: &Output) -> BTreeMap<String, Check> {
    out.checks()
}

fn run(sim: &Sim, args: &[&str]) -> Output {
    Cmd::new("http-check").args(["--base-url", &sim.url]).args(args).env_remove("STAGING_URL").run()
}

fn status(m: &BTreeMap<String, Check>, n: &str) -> String {
    m[n].status.as_str().to_string()
}

#[test]
fn a_healthy_service_passes() {
    let sim = Sim::start(&["--speed", "0"]);
    let out = run(&sim, &["--skip", "http.metrics.increasing"]);
    out.assert_code(0);
    let m = checks(&out);
    assert_eq!(m.keys().cloned().collect::<Vec<_>>(), ["http.health", "http.metrics.present", "http.navi.smoke"]);
    for c in m.values() {
        assert_eq!(c.status.as_str(), "pass", "{}: {}", c.check, c.message);
    }
    assert_eq!(m["http.health"].observed.as_ref().unwrap()["status"], 200);
}

#[test]
fn counters_grow_with_traffic_between_scrapes() {
    let sim = Sim::start(&["--speed", "0"]);
    // The smoke request runs after the scrapes, so with no traffic in between
    // aep_llm_calls_total stays flat; http_requests_total counts the scrape.
    let out = run(&sim, &["--only", "http.metrics.increasing", "--interval", "200ms"]);
    let m = checks(&out);
    assert_eq!(status(&m, "http.metrics.increasing"), "warn", "{}", m["http.metrics.increasing"].message);
    assert!(m["http.metrics.increasing"].message.contains("aep_llm_calls_total"));
    // With history: a first run records totals, traffic happens, the next run sees growth.
    let dir = TempDir::new("hist");
    let hist = dir.path("h.ndjson");
    let first = run(&sim, &["--only", "http.metrics.present,http.navi.smoke"]);
    std::fs::write(&hist, &first.stdout).unwrap();
    run(&sim, &["--only", "http.navi.smoke"]).assert_code(0);
    let out = run(&sim, &["--only", "http.metrics.increasing", "--history", hist.to_str().unwrap()]);
    let m = checks(&out);
    assert_eq!(status(&m, "http.metrics.increasing"), "pass", "{}", m["http.metrics.increasing"].message);
    assert!(m["http.metrics.increasing"].message.starts_with("counters grew since the last run"));
}

#[test]
fn a_counter_reset_is_not_validated_growth() {
    let dir = TempDir::new("reset");
    let hist = dir.path("h.ndjson");
    {
        let sim = Sim::start(&["--speed", "0"]);
        for _ in 0..3 {
            run(&sim, &["--only", "http.navi.smoke"]);
        }
        std::fs::write(&hist, run(&sim, &["--only", "http.metrics.present"]).stdout).unwrap();
    }
    // A restarted service on another port: same target name is needed, so reuse the URL through the history's target.
    let sim = Sim::start(&["--speed", "0"]);
    let text = std::fs::read_to_string(&hist).unwrap();
    let old_target =
        checks(&Output { code: 0, stdout: text.clone(), stderr: String::new() })["http.metrics.present"].target.clone();
    std::fs::write(&hist, text.replace(&old_target, &sim.url)).unwrap();
    let out = run(&sim, &["--only", "http.metrics.increasing", "--history", hist.to_str().unwrap()]);
    // Growth cannot be told across a restart: not validated, so not a pass.
    out.assert_code(1);
    let m = checks(&out);
    assert_eq!(status(&m, "http.metrics.increasing"), "skip");
    assert!(
        m["http.metrics.increasing"].message.starts_with("counter reset since the last run"),
        "{}",
        m["http.metrics.increasing"].message
    );
}

#[test]
fn broken_health_and_malformed_metrics_fail() {
    let sim = Sim::start(&["--speed", "0", "--break", "health,metrics"]);
    let out = run(&sim, &["--only", "http.health,http.metrics.present"]);
    out.assert_code(1);
    let m = checks(&out);
    assert_eq!(status(&m, "http.health"), "fail");
    assert!(m["http.health"].message.starts_with("GET /health answered 500"));
    assert_eq!(status(&m, "http.metrics.present"), "fail");
    assert!(
        m["http.metrics.present"].message.starts_with("/metrics is not Prometheus text: line "),
        "{}",
        m["http.metrics.present"].message
    );
}

#[test]
fn a_slow_chat_fails_the_smoke_test() {
    let sim = Sim::start(&["--speed", "0", "--faults", "slow_first_token=100%", "--slow-first-token-ms", "1500"]);
    let out = run(&sim, &["--only", "http.navi.smoke", "--smoke-limit", "1s"]);
    out.assert_code(1);
    let m = checks(&out);
    assert!(m["http.navi.smoke"].message.contains("limit 1 s"), "{}", m["http.navi.smoke"].message);
}

#[test]
fn missing_series_and_unreachable_service_fail() {
    let sim = Sim::start(&["--speed", "0"]);
    let out =
        run(&sim, &["--only", "http.metrics.present", "--require-series", "aep_llm_calls_total,navi_missing_total"]);
    out.assert_code(1);
    assert!(checks(&out)["http.metrics.present"].message.contains("navi_missing_total"));
    let out = Cmd::new("http-check").args(["--base-url", "http://127.0.0.1:9", "--only", "http.health"]).run();
    out.assert_code(1);
    let out = Cmd::new("http-check").args(["--base-url", "ftp://x"]).run();
    out.assert_code(2);
}

#[test]
fn the_audit_key_startup_test_passes_for_llm_sim_and_fails_for_a_lax_service() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let sim = navi_testkit::bin_path("llm-sim");
    let cmd = format!("{} --listen 127.0.0.1:{port}", sim.display());
    let health = format!("http://127.0.0.1:{port}/health");
    let out =
        Cmd::new("http-check").args(["startup", "--cmd", &cmd, "--health-url", &health, "--timeout", "10s"]).run();
    out.assert_code(0);
    let m = checks(&out);
    assert_eq!(status(&m, "startup.audit_key.required"), "pass", "{}", m["startup.audit_key.required"].message);
    assert_eq!(status(&m, "startup.audit_key.enabled"), "pass", "{}", m["startup.audit_key.enabled"].message);
    // A service that ignores APP_ENV starts without the key: that must fail.
    let lax = format!("env -u APP_ENV APP_ENV=development {} --listen 127.0.0.1:{port}", sim.display());
    let out = Cmd::new("http-check").args(["startup", "--cmd", &lax, "--health-url", &health, "--timeout", "2s"]).run();
    out.assert_code(1);
    assert_eq!(status(&checks(&out), "startup.audit_key.required"), "fail");
}
