//! llm-sim at the wire, byte for byte: each fault kind, error shapes and
//! codes for bad requests, and the production start-up rule.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use navi_testkit::{Cmd, Sim};

/// Raw is a response read off the socket as it came.
struct Raw {
    head: String,
    body: Vec<u8>,
    /// The connection was closed by the server (not our read timeout).
    closed: bool,
}

impl Raw {
    fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn status(&self) -> u16 {
        self.head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
    }
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
    /// json decodes a chunked or plain body.
    fn json(&self) -> serde_json::Value {
        let body = if self.header("transfer-encoding").is_some() { dechunk(&self.body) } else { self.body.clone() };
        serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{e}: {}", self.body_text()))
    }
}

fn dechunk(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(p) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(std::str::from_utf8(&rest[..p]).unwrap_or("0").trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < p + 2 + size {
            break;
        }
        out.extend_from_slice(&rest[p + 2..p + 2 + size]);
        rest = &rest[(p + 4 + size).min(rest.len())..];
    }
    out
}

fn raw(sim: &Sim, path: &str, body: &str, headers: &[(&str, &str)], read_timeout: Duration) -> Raw {
    let mut s = TcpStream::connect(sim.addr()).expect("connect");
    s.set_read_timeout(Some(read_timeout)).expect("timeout");
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        sim.addr(),
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).expect("send");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let closed = loop {
        match s.read(&mut chunk) {
            Ok(0) => break true,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => break false,
            Err(_) => break true,
        }
    };
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").map_or(buf.len(), |p| p + 4);
    Raw { head: String::from_utf8_lossy(&buf[..split]).into_owned(), body: buf[split..].to_vec(), closed }
}

const STREAM: &str = r#"{"model":"claude-sonnet-4","max_tokens":200,"stream":true,"messages":[{"role":"user","content":"hello world script"}]}"#;
const CHAT_STREAM: &str =
    r#"{"model":"gpt-4o","max_tokens":200,"stream":true,"messages":[{"role":"user","content":"hello world script"}]}"#;
const LONG: Duration = Duration::from_secs(10);

#[test]
fn a_clean_stream_ends_with_message_stop_and_the_chunked_terminator() {
    // Fast but not zero: with delays the body is streamed in chunks.
    let sim = Sim::start(&["--speed", "1000"]);
    let r = raw(&sim, "/v1/messages", STREAM, &[("x-sim-fault", "none")], LONG);
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("content-type").as_deref(), Some("text/event-stream"));
    assert!(r.header("request-id").is_some_and(|id| id.starts_with("req_")));
    let text = String::from_utf8_lossy(&dechunk(&r.body)).into_owned();
    assert!(text.starts_with("event: message_start\ndata: {"), "{text}");
    assert!(text.ends_with("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"), "{text}");
    assert!(r.body.ends_with(b"0\r\n\r\n"), "chunked terminator missing");
    assert!(r.closed);
}

#[test]
fn cut_aborts_the_connection_mid_stream() {
    let sim = Sim::start(&["--speed", "0"]);
    for (path, body) in [("/v1/messages", STREAM), ("/v1/chat/completions", CHAT_STREAM)] {
        let r = raw(&sim, path, body, &[("x-sim-fault", "cut")], LONG);
        assert_eq!(r.status(), 200);
        let text = r.body_text();
        assert!(text.contains("data: "), "some events arrived first: {text}");
        assert!(!text.contains("message_stop") && !text.contains("[DONE]"), "{text}");
        assert!(!r.body.ends_with(b"0\r\n\r\n"), "a cut stream must not end cleanly: {text}");
        assert!(r.closed);
    }
}

#[test]
fn a_json_answer_echoing_non_ascii_is_whole_or_cut_mid_way_never_a_dropped_connection() {
    // The answer echoes the model name: with two-byte characters around its
    // middle, a split of the text at half its length (as llm-sim once did)
    // panicked in the handler and the client got no response at all.
    let sim = Sim::start(&["--speed", "0"]);
    for path in ["/v1/messages", "/v1/chat/completions"] {
        for k in 400..404 {
            let model = "é".repeat(k);
            let body = format!(r#"{{"model":"{model}","max_tokens":8,"messages":[{{"role":"user","content":"hi"}}]}}"#);
            let whole = raw(&sim, path, &body, &[("x-sim-fault", "none")], LONG);
            assert_eq!(whole.status(), 200, "{path} {k}: {}", whole.body_text());
            assert_eq!(whole.json()["model"], model.as_str(), "{path} {k}");
            let cut = raw(&sim, path, &body, &[("x-sim-fault", "cut")], LONG);
            assert_eq!(cut.status(), 200, "{path} {k}");
            let part = dechunk(&cut.body);
            assert!(part.starts_with(b"{") && part.len() < whole.body.len(), "{path} {k}: {}", cut.body_text());
            assert!(serde_json::from_slice::<serde_json::Value>(&part).is_err(), "{path} {k}");
            assert!(cut.closed);
        }
    }
}

#[test]
fn stall_keeps_the_connection_open_and_silent() {
    let sim = Sim::start(&["--speed", "0"]);
    let started = Instant::now();
    let r = raw(&sim, "/v1/messages", STREAM, &[("x-sim-fault", "stall")], Duration::from_millis(700));
    assert!(!r.closed, "the server closed a stalled stream");
    assert!(started.elapsed() >= Duration::from_millis(700));
    let text = r.body_text();
    assert!(text.contains("message_start") && !text.contains("message_stop"), "{text}");
}

#[test]
fn malformed_sends_a_broken_event_then_ends() {
    let sim = Sim::start(&["--speed", "0"]);
    let r = raw(&sim, "/v1/messages", STREAM, &[("x-sim-fault", "malformed")], LONG);
    let text = String::from_utf8_lossy(&dechunk(&r.body)).into_owned();
    assert!(text.ends_with("\"text\":\"unterminated\n\n"), "{text}");
    assert!(!text.contains("message_stop"));
    assert!(r.body.ends_with(b"0\r\n\r\n"));
    let r = raw(
        &sim,
        "/v1/chat/completions",
        r#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#,
        &[("x-sim-fault", "malformed")],
        LONG,
    );
    assert_eq!(r.status(), 200);
    assert!(serde_json::from_slice::<serde_json::Value>(&dechunk(&r.body)).is_err());
}

#[test]
fn status_faults_carry_the_api_error_shape_and_retry_after() {
    let sim = Sim::start(&["--speed", "0", "--retry-after-ms", "1500"]);
    let cases = [
        ("/v1/messages", "429", 429, "rate_limit_error"),
        ("/v1/messages", "529", 529, "overloaded_error"),
        ("/v1/messages", "500", 500, "api_error"),
        ("/v1/chat/completions", "429", 429, "requests"),
        ("/v1/chat/completions", "529", 503, "server_error"),
        ("/v1/chat/completions", "500", 500, "server_error"),
    ];
    for (path, fault, status, kind) in cases {
        let body = if path == "/v1/messages" { STREAM } else { CHAT_STREAM };
        let r = raw(&sim, path, body, &[("x-sim-fault", fault)], LONG);
        assert_eq!(r.status(), status, "{path} {fault}");
        let v = r.json();
        assert_eq!(v["error"]["type"], kind, "{path} {fault}: {v}");
        if path == "/v1/messages" {
            assert_eq!(v["type"], "error");
        }
        if status != 500 {
            assert_eq!(r.header("retry-after").as_deref(), Some("2"), "{path} {fault}");
            assert_eq!(r.header("retry-after-ms").as_deref(), Some("1500"));
        } else {
            assert_eq!(r.header("retry-after"), None);
        }
    }
}

#[test]
fn slow_first_token_delays_the_first_delta() {
    let sim = Sim::start(&["--speed", "0", "--slow-first-token-ms", "600"]);
    let t = Instant::now();
    let r = raw(&sim, "/v1/messages", STREAM, &[("x-sim-fault", "slow_first_token")], LONG);
    assert!(t.elapsed() >= Duration::from_millis(600), "{:?}", t.elapsed());
    assert!(r.body_text().contains("message_stop"));
}

#[test]
fn bad_requests_get_the_real_apis_codes_never_a_hang() {
    let sim = Sim::start(&["--speed", "0", "--max-body-bytes", "1000"]);
    let big =
        format!(r#"{{"model":"m","max_tokens":5,"messages":[{{"role":"user","content":"{}"}}]}}"#, "x".repeat(2000));
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("/v1/messages", "{not json".into(), 400, "invalid_request_error"),
        ("/v1/messages", "[1,2]".into(), 400, "invalid_request_error"),
        (
            "/v1/messages",
            r#"{"model":"m","messages":[{"role":"user","content":"x"}]}"#.into(),
            400,
            "max_tokens: Field required",
        ),
        ("/v1/messages", r#"{"model":"m","max_tokens":"many","messages":[]}"#.into(), 400, "max_tokens"),
        ("/v1/messages", r#"{"model":"m","max_tokens":5,"messages":[]}"#.into(), 400, "at least one message"),
        ("/v1/messages", big, 413, "request_too_large"),
        ("/v1/chat/completions", r#"{"model":"m"}"#.into(), 400, "messages"),
        ("/v1/chat/completions", r#"{"messages":[{"role":"user","content":"x"}]}"#.into(), 400, "model"),
        ("/v1/responses", r#"{"model":"m"}"#.into(), 400, "input"),
        ("/api/navi/chat", r#"{"message":"hi"}"#.into(), 422, "workspace_path"),
        ("/api/navi/chat", r#"{"message":5,"workspace_path":"/tmp"}"#.into(), 422, "string_type"),
        ("/nope", "{}".into(), 404, "Not Found"),
    ];
    for (path, body, status, needle) in cases {
        let r = raw(&sim, path, &body, &[], LONG);
        assert_eq!(r.status(), status, "{path} {body:.60}: {}", r.body_text());
        assert!(r.body_text().contains(needle), "{path}: {} lacks {needle}", r.body_text());
    }
}

#[test]
fn navi_chat_answers_and_metrics_really_count() {
    let sim = Sim::start(&["--speed", "0"]);
    for _ in 0..3 {
        let r = raw(
            &sim,
            "/api/navi/chat",
            r#"{"message":"Create a simple hello world Python script","workspace_path":"/tmp/test"}"#,
            &[],
            LONG,
        );
        assert_eq!(r.status(), 200);
        let v = r.json();
        assert!(v["response"].as_str().unwrap().contains("Hello, World!"));
        assert_eq!(v["workspace_path"], "/tmp/test");
    }
    let r = raw(&sim, "/api/navi/chat", r#"{"message":"x","workspace_path":"/"}"#, &[("x-sim-fault", "500")], LONG);
    assert_eq!(r.status(), 502);
    let mut s = TcpStream::connect(sim.addr()).unwrap();
    write!(s, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    assert!(
        text.contains("aep_llm_calls_total{provider=\"anthropic\",model=\"claude-sonnet-4\",status=\"success\"} 3\n"),
        "{text}"
    );
    assert!(
        text.contains("aep_llm_calls_total{provider=\"anthropic\",model=\"claude-sonnet-4\",status=\"error\"} 1\n")
    );
    assert!(text.contains("http_requests_total{method=\"POST\",path=\"/api/navi/chat\",status=\"200\"} 3\n"));
    assert!(text.contains("http_requests_total{method=\"POST\",path=\"/api/navi/chat\",status=\"502\"} 1\n"));
    assert!(text.contains("http_request_duration_seconds_count{path=\"/api/navi/chat\"} 4\n"));
}

#[test]
fn production_mode_refuses_to_start_without_a_valid_audit_key() {
    let out = Cmd::new("llm-sim")
        .args(["--app-env", "production", "--listen", "127.0.0.1:0"])
        .env_remove("AUDIT_ENCRYPTION_KEY")
        .run();
    out.assert_code(2);
    assert!(out.stderr.contains("AUDIT_ENCRYPTION_KEY is required in production mode"), "{}", out.stderr);
    assert!(out.stderr.contains("Fernet.generate_key()"));
    let out = Cmd::new("llm-sim")
        .args(["--listen", "127.0.0.1:0"])
        .env("APP_ENV", "production")
        .env("AUDIT_ENCRYPTION_KEY", "not-a-key")
        .run();
    out.assert_code(2);
    assert!(out.stderr.contains("not a valid Fernet key"), "{}", out.stderr);
    assert!(!out.stderr.contains("not-a-key"), "the key value must not be printed");
    let sim = Sim::start_with_env(
        &["--app-env", "production"],
        &[("AUDIT_ENCRYPTION_KEY", "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=")],
    );
    let r = raw(&sim, "/api/navi/chat", r#"{"message":"hi","workspace_path":"/"}"#, &[], LONG);
    assert_eq!(r.status(), 200);
}

#[test]
fn bad_flags_exit_2_with_one_line() {
    for (args, why) in [
        (vec!["--faults", "teapot=5%"], "unknown fault `teapot`"),
        (vec!["--speed=-1"], "--speed"),
        (vec!["--listen", "nowhere"], "invalid value"),
    ] {
        let out = Cmd::new("llm-sim").args(args).run();
        out.assert_code(2);
        assert!(out.stderr.contains(why), "{}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1);
    }
}
