//! http-check against llm-sim: healthy, broken /health, malformed metrics,
//! counters that do not grow, a counter reset, a slow chat, and the
//! audit-key start-up test with llm-sim as the service.

use std::collections::BTreeMap;

use navi_testkit::hostile::{self, Hostile, Step};
use navi_testkit::{Cmd, Output, Sim, TempDir};
use navikit::record::Check;
use std::time::Duration;

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

/// http_check_at runs http-check on any base URL, with no ambient service or credential.
fn http_check_at(url: &str, args: &[&str]) -> Cmd {
    Cmd::new("http-check").args(["--base-url", url]).args(args).env_remove("STAGING_URL").env_remove("HTTP_CHECK_AUTH")
}

/// answer is one whole response: status line, body, and the connection closed after it.
fn answer(status_line: &str, content_type: &str, body: &str) -> Vec<Step> {
    let content_type = format!("content-type: {content_type}");
    let length = format!("content-length: {}", body.len());
    vec![hostile::http(status_line, &[&content_type, &length, "connection: close"]), hostile::text(body)]
}

#[test]
fn health_passes_only_for_a_200_whose_body_says_ok() {
    // A 500 whose body still says ok, and a 200 whose body does not: both fail.
    for (status_line, body, code) in
        [("500 Internal Server Error", r#"{"status":"ok"}"#, 500), ("200 OK", r#"{"status":"degraded"}"#, 200)]
    {
        let server = Hostile::start(answer(status_line, "application/json", body));
        let out = http_check_at(&server.url, &["--only", "http.health"]).run();
        out.assert_code(1);
        let m = checks(&out);
        assert_eq!(status(&m, "http.health"), "fail", "{status_line} {body}: {}", m["http.health"].message);
        assert_eq!(m["http.health"].message, format!("GET /health answered {code} with {body}"));
        assert_eq!(m["http.health"].observed.as_ref().unwrap()["status"], code);
    }
    let server = Hostile::start(answer("200 OK", "application/json", r#"{"status":"ok"}"#));
    let out = http_check_at(&server.url, &["--only", "http.health"]).run();
    out.assert_code(0);
    let m = checks(&out);
    let health = &m["http.health"];
    assert_eq!(health.status.as_str(), "pass", "{}", health.message);
    assert!(health.message.starts_with("GET /health answered status ok in "), "{}", health.message);
    let observed = health.observed.as_ref().unwrap();
    assert_eq!(observed["status"], 200);
    let latency = observed["latency_ms"].as_f64().unwrap();
    assert!((0.0..1000.0).contains(&latency), "a loopback answer takes milliseconds: {latency}");
    assert_eq!(health.expected, Some(serde_json::json!({"status": 200, "body": {"status": "ok"}})));
}

#[test]
fn the_authorization_header_is_sent_only_when_http_check_auth_has_a_value() {
    let server = Hostile::start(answer("200 OK", "application/json", r#"{"status":"ok"}"#));
    http_check_at(&server.url, &["--only", "http.health"])
        .env("HTTP_CHECK_AUTH", "Bearer hc-test-credential")
        .run()
        .assert_code(0);
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(
        requests[0].to_ascii_lowercase().contains("\r\nauthorization: bearer hc-test-credential\r\n"),
        "{}",
        requests[0]
    );
    // Set but empty: no header at all (an empty Authorization is not a credential).
    let server = Hostile::start(answer("200 OK", "application/json", r#"{"status":"ok"}"#));
    http_check_at(&server.url, &["--only", "http.health"]).env("HTTP_CHECK_AUTH", "").run().assert_code(0);
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(!requests[0].to_ascii_lowercase().contains("authorization:"), "{}", requests[0]);
}

#[test]
fn a_metrics_page_over_a_mebibyte_is_read_to_its_end() {
    // 1.2 MB of comment before the series: well inside the 8 MiB read bound.
    let padding = 1_200_000;
    let tail = "\naep_llm_calls_total 3\nhttp_requests_total 4\n";
    let length = format!("content-length: {}", padding + tail.len());
    let server = Hostile::start(vec![
        hostile::http("200 OK", &["content-type: text/plain; version=0.0.4", &length, "connection: close"]),
        Step::Repeat(b'#', padding),
        hostile::text(tail),
    ]);
    let out = http_check_at(
        &server.url,
        &["--only", "http.metrics.present", "--require-series", "aep_llm_calls_total,http_requests_total"],
    )
    .run();
    out.assert_code(0);
    let m = checks(&out);
    let present = &m["http.metrics.present"];
    assert_eq!(present.status.as_str(), "pass", "{}", present.message);
    assert_eq!(present.message, "2 samples; aep_llm_calls_total, http_requests_total present");
    let observed = present.observed.as_ref().unwrap();
    assert_eq!(observed["aep_llm_calls_total"].as_f64(), Some(3.0));
    assert_eq!(observed["http_requests_total"].as_f64(), Some(4.0));
}

#[test]
fn the_smoke_limit_is_the_limit_itself() {
    // Well within 1 s: pass, and the latency is milliseconds.
    let fast = Hostile::start(answer("200 OK", "application/json", r#"{"reply":"hello"}"#));
    let out = http_check_at(&fast.url, &["--only", "http.navi.smoke", "--smoke-limit", "1s"]).run();
    out.assert_code(0);
    let m = checks(&out);
    let smoke = &m["http.navi.smoke"];
    assert_eq!(smoke.status.as_str(), "pass", "{}", smoke.message);
    assert!(smoke.message.starts_with("POST /api/navi/chat answered 200 in "), "{}", smoke.message);
    assert_eq!(smoke.observed.as_ref().unwrap()["status"], 200);
    let latency = smoke.observed.as_ref().unwrap()["latency_ms"].as_f64().unwrap();
    assert!((0.0..1000.0).contains(&latency), "{latency}");
    assert_eq!(smoke.expected, Some(serde_json::json!({"latency_ms_lt": 1000})));
    // 650 ms against a 500 ms limit: too slow, although under a second.
    let mut slow_script = vec![Step::Pause(Duration::from_millis(650))];
    slow_script.extend(answer("200 OK", "application/json", r#"{"reply":"hello"}"#));
    let slow = Hostile::start(slow_script);
    let out = http_check_at(&slow.url, &["--only", "http.navi.smoke", "--smoke-limit", "500ms"]).run();
    out.assert_code(1);
    let m = checks(&out);
    let smoke = &m["http.navi.smoke"];
    assert_eq!(smoke.status.as_str(), "fail", "{}", smoke.message);
    assert!(smoke.message.starts_with("POST /api/navi/chat took "), "{}", smoke.message);
    assert!(smoke.observed.as_ref().unwrap()["latency_ms"].as_f64().unwrap() >= 650.0);
    assert_eq!(smoke.expected, Some(serde_json::json!({"latency_ms_lt": 500})));
}

#[test]
fn counters_that_stay_put_are_named_with_their_value() {
    let body = "# TYPE aep_llm_calls_total counter\naep_llm_calls_total 5\nhttp_requests_total{code=\"200\"} 4\nhttp_requests_total{code=\"500\"} 3\n";
    let server = Hostile::start(answer("200 OK", "text/plain; version=0.0.4", body));
    let out = http_check_at(
        &server.url,
        &[
            "--only",
            "http.metrics.increasing",
            "--interval",
            "100ms",
            "--require-series",
            "aep_llm_calls_total,http_requests_total",
        ],
    )
    .run();
    out.assert_code(0);
    let m = checks(&out);
    let increasing = &m["http.metrics.increasing"];
    assert_eq!(increasing.status.as_str(), "warn", "{}", increasing.message);
    assert_eq!(
        increasing.message,
        "counters did not grow over 0.1 s: aep_llm_calls_total stayed at 5, http_requests_total stayed at 7"
    );
    let observed = increasing.observed.as_ref().unwrap();
    assert_eq!(observed["before"]["http_requests_total"].as_f64(), Some(7.0));
    assert_eq!(observed["after"]["http_requests_total"].as_f64(), Some(7.0));
}
