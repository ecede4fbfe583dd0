//! Headers: the response's Server-Timing llm-probe reads, and the order of
//! the request headers it sends.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use llm_probe::dialect::{Anthropic, Dialect};
use llm_probe::exchange::{MAX_SERVER_TIMING, Request, Timeouts, agent, attempt, parse_server_timing};

/// sent_header_lines answers one request on a loopback port with a small
/// Anthropic JSON answer and returns the request's header lines as sent.
fn sent_header_lines(auth: &[(&'static str, String)], headers: &[(String, String)]) -> Vec<String> {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/v1/messages", listener.local_addr().expect("addr"));
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().expect("accept");
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = conn.read(&mut buf).expect("read");
            assert!(n > 0, "the request ended early");
            got.extend_from_slice(&buf[..n]);
        }
        let body = r#"{"content":[{"type":"text","text":"ok"}],"usage":{"input_tokens":1,"output_tokens":1}}"#;
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        conn.write_all(answer.as_bytes()).expect("write");
        String::from_utf8_lossy(&got).lines().skip(1).map(str::to_ascii_lowercase).collect::<Vec<_>>()
    });
    let t = Timeouts {
        connect: Duration::from_secs(5),
        first_token: Duration::from_secs(5),
        stall: Duration::from_secs(5),
        total: Duration::from_secs(10),
    };
    let req = Request { dialect: &Anthropic, url: &url, auth, headers, body: b"{}", stream: false };
    let out = attempt(&agent(&t), &req, &t);
    assert!(out.result.is_ok(), "{:?}", out.result.err());
    server.join().expect("server")
}

#[test]
fn a_header_given_with_dash_h_goes_before_the_dialects_own() {
    // A repeated name is sent with both values and servers read the first:
    // a gateway token or API version given with -H must win over the
    // key variable's and the built-in version.
    let auth = Anthropic.headers(Some("sk-ant-from-env"));
    let headers = vec![("anthropic-version".to_string(), "2099-01-01".to_string())];
    let lines = sent_header_lines(&auth, &headers);
    let pos = |prefix: &str| lines.iter().position(|l| l.starts_with(prefix)).unwrap_or(usize::MAX);
    assert!(pos("anthropic-version: 2099-01-01") < pos("anthropic-version: 2023-06-01"), "{lines:?}");
    assert!(pos("x-api-key: sk-ant-from-env") < usize::MAX, "{lines:?}");
}

#[test]
fn server_timing_takes_total_then_app() {
    let ms = |v: f64| Some(Duration::from_secs_f64(v / 1000.0));
    assert_eq!(parse_server_timing("app;dur=12.5"), ms(12.5));
    assert_eq!(parse_server_timing("db;dur=3, app;desc=\"handler\";dur=7, total;dur=9.25"), ms(9.25));
    assert_eq!(parse_server_timing("cache;desc=hit, APP ; dur=\"4\""), ms(4.0));
    // Parts of the work are not the whole: no total, no app, no value.
    assert_eq!(parse_server_timing("db;dur=3, cfRequestDuration;dur=80"), None);
    assert_eq!(parse_server_timing("app"), None);
    assert_eq!(parse_server_timing("app;dur=-1"), None);
    assert_eq!(parse_server_timing("app;dur=NaN"), None);
    assert_eq!(parse_server_timing("app;dur=inf"), None);
    assert_eq!(parse_server_timing("app;dur=1e300"), None);
    assert_eq!(parse_server_timing(""), None);
    assert_eq!(parse_server_timing("app;dur=86400000"), Some(MAX_SERVER_TIMING));
}
