//! Hostile servers and inputs against the release behaviour of every tool:
//! redirects that would carry credentials away, stalls, endless lines, lying
//! headers, devices where files belong, absurd flags. Each case is a class
//! of bug fixed at its root; the test keeps it fixed.

use std::time::{Duration, Instant};

use navi_testkit::hostile::{Hostile, Step, http, text};
use navi_testkit::{Cmd, Output, TempDir};
use navikit::record::{Check, Probe, Record};

const PLANTED: &str = "sk-ant-PLANTED-0123456789abcdef";

fn probes(out: &Output) -> Vec<Probe> {
    out.records().into_iter().filter_map(|r| if let Record::Probe(p) = r { Some(*p) } else { None }).collect()
}

fn checks(out: &Output) -> Vec<Check> {
    out.records().into_iter().filter_map(|r| if let Record::Check(c) = r { Some(c) } else { None }).collect()
}

fn probe(base: &str, extra: &[&str]) -> Output {
    let retries: &[&str] = if extra.contains(&"--retries") { &[] } else { &["--retries", "0"] };
    Cmd::new("llm-probe")
        .args(["run", "--base-url", base, "--scenario", "hello-world", "--runs", "1"])
        .args(retries)
        .args(extra)
        .env("ANTHROPIC_API_KEY", PLANTED)
        .env_remove("OPENAI_API_KEY")
        .run()
}

fn no_secret(out: &Output) {
    assert!(
        !out.stdout.contains(PLANTED) && !out.stderr.contains(PLANTED),
        "secret leaked:\n{}\n{}",
        out.stdout,
        out.stderr
    );
}

#[test]
fn a_redirect_is_never_followed_and_the_key_never_leaves() {
    let elsewhere = Hostile::start(vec![http("200 OK", &["content-length: 2"]), text("{}")]);
    for status in ["301 Moved Permanently", "302 Found", "303 See Other", "307 Temporary Redirect"] {
        let location = format!("location: {}/v1/messages", elsewhere.url);
        let origin = Hostile::start(vec![http(status, &[&location, "content-length: 0"])]);
        let out = probe(&origin.url, &["-H", "x-team-token: team-secret-42"]);
        out.assert_code(0);
        no_secret(&out);
        let p = &probes(&out)[0];
        assert!(!p.ok);
        let e = p.error.as_ref().expect("error");
        assert_eq!(e.class, "redirect", "{status}");
        assert!(e.message.contains(&elsewhere.url), "the location is named: {}", e.message);
        assert!(origin.requests()[0].contains(PLANTED), "the origin got the key it was meant to get");
    }
    assert!(elsewhere.requests().is_empty(), "nothing reached the other origin: {:?}", elsewhere.requests());
    // http-check reports the redirect instead of the other host's health.
    let location = format!("location: {}/health", elsewhere.url);
    let origin = Hostile::start(vec![http("302 Found", &[&location, "content-length: 0"])]);
    let out = Cmd::new("http-check").args(["--base-url", &origin.url, "--only", "http.health"]).run();
    out.assert_code(1);
    assert_eq!(checks(&out)[0].status.as_str(), "fail");
    assert!(checks(&out)[0].message.contains("302"), "{}", checks(&out)[0].message);
    assert!(elsewhere.requests().is_empty());
}

#[test]
fn lying_retry_after_headers_cannot_panic_or_park_the_run() {
    for value in ["inf", "1e300", "-5", "NaN", "soon"] {
        let header = format!("retry-after: {value}");
        let body = r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#;
        let len = format!("content-length: {}", body.len());
        let server = Hostile::start(vec![http("429 Too Many Requests", &[&header, &len]), text(body)]);
        let started = Instant::now();
        let out = probe(&server.url, &["--retries", "2", "--max-retry-time", "1s"]);
        out.assert_code(0);
        assert!(started.elapsed() < Duration::from_secs(20), "{value}: parked");
        assert_eq!(probes(&out)[0].error.as_ref().map(|e| e.class.as_str()), Some("rate_limited"), "{value}");
    }
}

#[test]
fn an_endless_stream_line_is_capped_and_bad_bytes_are_malformed() {
    let head = http("200 OK", &["content-type: text/event-stream"]);
    let server = Hostile::start(vec![head.clone(), text("data: "), Step::Repeat(b'a', 8 << 20)]);
    let out = probe(&server.url, &[]);
    out.assert_code(0);
    assert_eq!(probes(&out)[0].error.as_ref().map(|e| e.class.as_str()), Some("response_too_large"));
    let server = Hostile::start(vec![head, Step::Send(b"event: message_start\ndata: \xff\xfe\n\n".to_vec())]);
    let out = probe(&server.url, &[]);
    assert_eq!(probes(&out)[0].error.as_ref().map(|e| e.class.as_str()), Some("malformed_stream"));
}

#[test]
fn the_first_token_timeout_bounds_the_first_token_not_the_headers() {
    let start = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n";
    let block = "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
    let delta = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"hi\"}}\n\n";
    let server = Hostile::start(vec![
        http("200 OK", &["content-type: text/event-stream"]),
        text(start),
        text(block),
        Step::Pause(Duration::from_millis(1500)),
        text(delta),
        Step::Hold,
    ]);
    let out = probe(&server.url, &["--first-token-timeout", "500ms", "--stall-timeout", "5s"]);
    let p = &probes(&out)[0];
    assert_eq!(p.error.as_ref().map(|e| e.class.as_str()), Some("first_token_timeout"), "{p:?}");
}

#[test]
fn a_silent_database_server_is_an_error_within_the_connect_timeout() {
    let silent = Hostile::silent();
    let started = Instant::now();
    let url = format!("postgresql://navi:{PLANTED}@127.0.0.1:{}/navi?sslmode=require", silent.port);
    let out = Cmd::new("pg-check").args(["--connect-timeout", "1s"]).env("DATABASE_URL", &url).run();
    out.assert_code(1);
    assert!(started.elapsed() < Duration::from_secs(10), "hung for {:?}", started.elapsed());
    let cs = checks(&out);
    assert_eq!(cs[0].check, "pg.connect");
    assert_eq!(cs[0].status.as_str(), "fail");
    assert!(cs[0].message.contains("stalled"), "{}", cs[0].message);
    no_secret(&out);
}

#[test]
fn devices_are_refused_where_files_belong() {
    let sim = navi_testkit::Sim::start(&["--speed", "0"]);
    let out = Cmd::new("http-check")
        .args(["--base-url", &sim.url, "--only", "http.metrics.increasing", "--history", "/dev/zero"])
        .run();
    out.assert_code(2);
    assert!(out.stderr.contains("/dev/zero: not a regular file"), "{}", out.stderr);
    let out = Cmd::new("pg-check").args(["--tables-file", "/dev/zero"]).env_remove("DATABASE_URL").run();
    out.assert_code(2);
    assert!(out.stderr.contains("/dev/zero: not a regular file"), "{}", out.stderr);
    let out = Cmd::new("latency-stats").args(["--targets", "/dev/zero"]).stdin("").run();
    out.assert_code(2);
    let out = Cmd::new("report-md").args(["validation-log", "--log", "/dev/null"]).stdin("").run();
    out.assert_code(2);
    assert!(out.stderr.contains("not a regular file"), "{}", out.stderr);
}

#[test]
fn report_md_never_replaces_a_device_or_follows_a_planted_link() {
    let dir = TempDir::new("out");
    let doc =
        "{\"kind\":\"check\",\"ts\":\"2026-02-11T10:00:00Z\",\"tool\":\"t\",\"check\":\"t.x\",\"status\":\"pass\"}\n";
    let out = Cmd::new("report-md").args(["prometheus", "-o", "/dev/full"]).stdin(doc).run();
    out.assert_code(2);
    assert!(std::fs::metadata("/dev/full").map(|m| !m.is_file()).unwrap_or(true), "/dev/full was replaced");
    let victim = dir.path("victim");
    std::fs::write(&victim, "keep").unwrap();
    std::os::unix::fs::symlink(&victim, dir.path("out.prom")).unwrap();
    let out = Cmd::new("report-md").args(["prometheus", "-o"]).arg(dir.path("out.prom")).stdin(doc).run();
    out.assert_code(2);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    // Many writers of one file: each succeeds and the file holds one whole document.
    let target = dir.path("same.prom");
    let handles: Vec<_> = (0..24)
        .map(|_| {
            let target = target.clone();
            std::thread::spawn(move || {
                Cmd::new("report-md").args(["prometheus", "-o"]).arg(&target).stdin(doc).run().code
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 0);
    }
    let text = std::fs::read_to_string(&target).unwrap();
    assert_eq!(text.matches("# HELP navi_check_status").count(), 1);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path(""))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn absurd_flags_and_misplaced_secrets_exit_2_without_echoing_them() {
    for args in [
        &["--concurrency", "18446744073709551615"][..],
        &["--concurrency", "40000"],
        &["--rate", "1e-300"],
        &["--rate", "1", "--max-in-flight", "40000"],
        &["--retries", "100000"],
    ] {
        let out = Cmd::new("llm-probe").args(["run", "--base-url", "http://127.0.0.1:9"]).args(args).run();
        out.assert_code(2);
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {}", out.stderr);
    }
    let out = Cmd::new("llm-probe").args(["run", "--api-key-env", PLANTED]).run();
    out.assert_code(2);
    no_secret(&out);
    let out = Cmd::new("llm-probe").args(["run", "--base-url", &format!("http://user:{PLANTED}@127.0.0.1:9")]).run();
    out.assert_code(2);
    no_secret(&out);
    for url in [
        format!("postgresql://u:{PLANTED}/x?y@h:port/db"),
        format!("host=db user=u password={PLANTED} dbname=navi"),
        format!("postgresql://u:{PLANTED}@[h/db"),
    ] {
        let out = Cmd::new("pg-check").env("DATABASE_URL", &url).run();
        out.assert_code(2);
        no_secret(&out);
    }
    let out = Cmd::new("latency-stats").args(["-t", "success>101%"]).stdin("").run();
    out.assert_code(2);
    assert!(out.stderr.contains("between 0 and 100"), "{}", out.stderr);
}

#[test]
fn planted_secrets_never_come_back_from_servers_that_echo_them() {
    // llm-probe: the key and a -H value echoed in a 401 body.
    let echo = Hostile::start(vec![Step::Echo(401)]);
    let out = probe(&echo.url, &["-H", "x-team-token: team-secret-4242"]);
    no_secret(&out);
    assert!(!out.stdout.contains("team-secret-4242"), "{}", out.stdout);
    assert_eq!(probes(&out)[0].status, Some(401));
    // http-check: the Authorization header echoed by a failing /health.
    let echo = Hostile::start(vec![Step::Echo(500)]);
    let out = Cmd::new("http-check")
        .args(["--base-url", &echo.url, "--only", "http.health,http.navi.smoke"])
        .env("HTTP_CHECK_AUTH", format!("Bearer {PLANTED}"))
        .run();
    out.assert_code(1);
    assert!(echo.requests()[0].contains(PLANTED), "the header was sent to its own origin");
    no_secret(&out);
    // Every tool, unreachable targets carrying the secret in their URLs.
    let dir = TempDir::new("sweep");
    let runs = [
        Cmd::new("pg-check").env("DATABASE_URL", format!("postgresql://navi:{PLANTED}@127.0.0.1:9/navi")).run(),
        Cmd::new("llm-sim")
            .args(["--record-to-db", "--listen", "127.0.0.1:0"])
            .env("DATABASE_URL", format!("postgresql://navi:{PLANTED}@127.0.0.1:9/navi"))
            .run(),
        Cmd::new("http-check").args(["--base-url", &format!("http://u:{PLANTED}@127.0.0.1:9")]).run(),
        Cmd::new("llm-probe")
            .args(["preflight", "--live", "--base-url", "http://127.0.0.1:9"])
            .env("ANTHROPIC_API_KEY", PLANTED)
            .run(),
        Cmd::new("cloud-check").args(["--provider", "aws", "--db-host", PLANTED]).env("PATH", "/nonexistent").run(),
    ];
    for out in &runs {
        no_secret(out);
    }
    // What reached a document goes through the same redaction.
    let log = dir.path("log.md");
    let pg = &runs[0];
    Cmd::new("report-md").args(["validation-log", "--log"]).arg(&log).stdin(pg.stdout.clone()).run();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains(PLANTED), "{text}");
}
