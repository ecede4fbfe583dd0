//! `http-check startup` against real third-party software: a FastAPI app
//! carrying the plan's start-up hook, run by uvicorn (installed by the test
//! set-up), chatty before it is healthy, with worker processes; and the
//! ways a start command can go wrong.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use navi_testkit::{Cmd, Output, fixture, python};
use navikit::record::Check;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

fn startup(cmd: &str, port: u16) -> (Output, BTreeMap<String, Check>) {
    let out = Cmd::new("http-check")
        .args(["startup", "--timeout", "20s", "--cmd", cmd, "--health-url"])
        .arg(format!("http://127.0.0.1:{port}/health"))
        .env_remove("NAVI_START_CMD")
        .env_remove("NAVI_START_HEALTH_URL")
        .env_remove("AUDIT_ENCRYPTION_KEY")
        .run();
    let checks = out.checks();
    (out, checks)
}

fn uvicorn(port: u16, extra: &str) -> String {
    // The shell line a user writes: a `cd`, an assignment, then the server.
    format!(
        "cd {} && APP_ENV=production {} -m uvicorn navi_app:app --host 127.0.0.1 --port {port} {extra}",
        fixture("startup").display(),
        python()
    )
}

fn port_is_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

#[test]
fn a_real_fastapi_service_with_the_plans_hook_passes_both_starts() {
    let port = free_port();
    // A start line carrying a credential: never echoed into the records.
    let line = format!("DB_PASSWORD=Sekr3tValue42 {}", uvicorn(port, ""));
    let (out, m) = startup(&line, port);
    out.assert_code(0);
    assert!(!out.stdout.contains("Sekr3tValue42") && !out.stderr.contains("Sekr3tValue42"), "{}", out.stdout);
    assert!(m.values().all(|c| c.target == format!("http://127.0.0.1:{port}/health")));
    let required = &m["startup.audit_key.required"];
    assert_eq!(required.status.as_str(), "pass", "{}", required.message);
    assert_eq!(required.observed, Some(serde_json::json!(3)), "uvicorn exits 3 when start-up fails");
    assert_eq!(m["startup.audit_key.enabled"].status.as_str(), "pass", "{}", m["startup.audit_key.enabled"].message);
    assert!(m.values().all(|c| c.stand_in.is_none()), "a real service is no stand-in");
    assert!(port_is_free(port), "the service was left running");
}

#[test]
fn worker_processes_end_with_the_supervisor() {
    let port = free_port();
    let started = Instant::now();
    let (_, m) = startup(&uvicorn(port, "--workers 2"), port);
    // Both starts ended (bounded), whatever the verdicts, and nothing holds the port.
    assert!(started.elapsed() < Duration::from_secs(60), "took {:?}", started.elapsed());
    assert_eq!(m.len(), 2);
    assert_eq!(m["startup.audit_key.enabled"].status.as_str(), "pass", "{}", m["startup.audit_key.enabled"].message);
    std::thread::sleep(Duration::from_millis(500));
    assert!(port_is_free(port), "a worker kept the port");
}

#[test]
fn a_command_that_cannot_start_says_so_and_no_command_is_skip() {
    let port = free_port();
    let (out, m) = startup("no-such-program --serve", port);
    out.assert_code(1);
    let required = &m["startup.audit_key.required"];
    assert_eq!(required.status.as_str(), "error");
    assert!(required.message.starts_with("the command could not start (exit 127)"), "{}", required.message);
    let out =
        Cmd::new("http-check").arg("startup").env_remove("NAVI_START_CMD").env_remove("NAVI_START_HEALTH_URL").run();
    out.assert_code(1);
    let m = out.checks();
    assert_eq!(m.len(), 2);
    assert!(m.values().all(|c| c.status.as_str() == "skip" && c.message.starts_with("no start command")));
}

#[test]
fn a_busy_health_port_is_reported_before_starting() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = busy.local_addr().expect("addr").port();
    let (out, m) = startup(&uvicorn(port, ""), port);
    out.assert_code(1);
    assert!(m.values().all(|c| c.status.as_str() == "error" && c.message.contains("already in use")), "{m:?}");
}

#[test]
fn a_non_zero_exit_that_does_not_name_the_key_fails() {
    let (out, m) = startup("echo 'config error: DATABASE_URL is not set'; exit 1", free_port());
    out.assert_code(1);
    let required = &m["startup.audit_key.required"];
    assert_eq!(required.status.as_str(), "fail", "{}", required.message);
    assert_eq!(required.message, "exited 1 but did not name AUDIT_ENCRYPTION_KEY: the message must say what to set");
    assert_eq!(required.observed, Some(serde_json::json!(1)));
    let enabled = &m["startup.audit_key.enabled"];
    assert_eq!(enabled.status.as_str(), "fail", "{}", enabled.message);
    assert_eq!(enabled.message, "exited 1 with a valid key: config error: DATABASE_URL is not set");
}

#[test]
fn exiting_zero_without_the_key_fails_even_when_the_output_names_it() {
    let (out, m) = startup("echo 'AUDIT_ENCRYPTION_KEY is not set: audit logs stay plain'; exit 0", free_port());
    out.assert_code(1);
    let required = &m["startup.audit_key.required"];
    assert_eq!(required.status.as_str(), "fail", "{}", required.message);
    assert_eq!(required.message, "exited 0 without the key: production must refuse to start");
    assert_eq!(required.observed, Some(serde_json::json!(0)));
    let enabled = &m["startup.audit_key.enabled"];
    assert_eq!(enabled.status.as_str(), "fail", "{}", enabled.message);
    assert_eq!(enabled.message, "exited 0 with a valid key: AUDIT_ENCRYPTION_KEY is not set: audit logs stay plain");
}

#[test]
fn a_command_that_cannot_start_shows_the_last_non_blank_line() {
    let (out, m) = startup("echo 'first line'; echo 'the last words'; echo; echo '   '; exit 127", free_port());
    out.assert_code(1);
    let required = &m["startup.audit_key.required"];
    assert_eq!(required.status.as_str(), "error", "{}", required.message);
    assert_eq!(required.message, "the command could not start (exit 127): the last words");
    assert_eq!(required.observed, Some(serde_json::json!(127)));
    let enabled = &m["startup.audit_key.enabled"];
    assert_eq!(enabled.status.as_str(), "fail", "{}", enabled.message);
    assert_eq!(enabled.message, "exited 127 with a valid key: the last words");
}

#[test]
fn a_service_killed_by_a_signal_is_reported_as_exit_minus_one() {
    let (out, m) = startup("echo dying; kill -9 $$", free_port());
    out.assert_code(1);
    let required = &m["startup.audit_key.required"];
    assert_eq!(required.status.as_str(), "fail", "{}", required.message);
    assert_eq!(required.message, "exited -1 but did not name AUDIT_ENCRYPTION_KEY: the message must say what to set");
    assert_eq!(required.observed, Some(serde_json::json!(-1)));
    let enabled = &m["startup.audit_key.enabled"];
    assert_eq!(enabled.status.as_str(), "fail", "{}", enabled.message);
    assert_eq!(enabled.message, "exited -1 with a valid key: dying");
}
