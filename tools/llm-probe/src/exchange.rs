//! One HTTP attempt: send the request, read the streamed or JSON answer,
//! time every token, and classify what went wrong.

use std::io::{BufReader, Read};
use std::time::{Duration, Instant};

use navikit::ErrorClass;
use serde_json::Value;

use crate::dialect::{self, Dialect, Step, StreamFailure, Token, Usage};
use crate::sse::Decoder;

/// Timeouts bound one attempt.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// TCP connect (and TLS).
    pub connect: Duration,
    /// To the response headers, and to the first answer token.
    pub first_token: Duration,
    /// Longest silence within a streamed body.
    pub stall: Duration,
    /// The whole attempt.
    pub total: Duration,
}

/// agent builds the HTTP client with the shared set-up.
pub fn agent(t: &Timeouts) -> ureq::Agent {
    let shared =
        navikit::http::Timeouts { connect: t.connect, first_byte: t.first_token, per_read: t.stall, total: t.total };
    navikit::http::agent(&shared, concat!("llm-probe/", env!("CARGO_PKG_VERSION")), 4096)
}

/// Answer is what a successful attempt received, times relative to its send.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    /// The answer text.
    pub text: String,
    /// First answer token.
    pub ttft: Option<Duration>,
    /// First token of any kind.
    pub ttft_any: Option<Duration>,
    /// Gaps between consecutive answer deltas.
    pub itl: Vec<Duration>,
    /// Usage as reported.
    pub usage: Usage,
    /// Response end.
    pub end: Duration,
}

/// Failure is an attempt that did not produce an answer.
#[derive(Debug, Clone)]
pub struct Failure {
    /// HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// Error class.
    pub class: ErrorClass,
    /// Message (redacted by the caller).
    pub message: String,
    /// The server's retry-after.
    pub retry_after: Option<Duration>,
    /// Worth retrying (429/529/503, or reset before any byte).
    pub retryable: bool,
    /// When it ended, relative to the send.
    pub end: Duration,
}

/// Outcome of one attempt, with the status and request id seen.
pub struct Outcome {
    /// The answer or why there is none.
    pub result: Result<Answer, Failure>,
    /// HTTP status.
    pub status: Option<u16>,
    /// Server request id.
    pub request_id: Option<String>,
    /// The stand-in the server declared itself to be (`x-navi-stand-in`).
    pub stand_in: Option<String>,
    /// The server's own time, from `Server-Timing`.
    pub server_time: Option<Duration>,
}

/// MAX_RETRY_AFTER caps a server's `retry-after`: a hostile or broken server
/// (`inf`, `1e300`) must not park the run; the retry budget bounds it further.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// parse_retry_after reads `retry-after-ms` or `retry-after` (seconds), capped
/// at [`MAX_RETRY_AFTER`]; anything that is not a finite, non-negative number is ignored.
pub fn parse_retry_after(ms: Option<&str>, secs: Option<&str>) -> Option<Duration> {
    let finite = |v: &str| v.trim().parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0);
    let seconds = ms.and_then(finite).map(|m| m / 1000.0).or_else(|| secs.and_then(finite))?;
    Some(Duration::from_secs_f64(seconds.min(MAX_RETRY_AFTER.as_secs_f64())))
}

/// MAX_SERVER_TIMING caps a reported server time: no request's own time is a day.
pub const MAX_SERVER_TIMING: Duration = Duration::from_secs(86_400);

/// parse_server_timing reads the server's own time from a `Server-Timing`
/// header (`total;dur=12.5, db;dur=3`): the `dur` of its `total` metric, else
/// of its `app` metric, in milliseconds. Other metrics are parts of the work,
/// not the whole, so they are not taken; a value that is not a finite,
/// non-negative number, or is over [`MAX_SERVER_TIMING`], is ignored.
pub fn parse_server_timing(header: &str) -> Option<Duration> {
    let dur_of = |name: &str| {
        header.split(',').find_map(|metric| {
            let mut parts = metric.split(';').map(str::trim);
            if !parts.next()?.eq_ignore_ascii_case(name) {
                return None;
            }
            let dur = parts.find_map(|p| p.strip_prefix("dur=").or_else(|| p.strip_prefix("DUR=")))?;
            let ms = dur.trim_matches('"').parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0)?;
            Duration::try_from_secs_f64(ms / 1000.0).ok().filter(|d| *d <= MAX_SERVER_TIMING)
        })
    };
    dur_of("total").or_else(|| dur_of("app"))
}

fn retry_after(resp: &ureq::http::Response<ureq::Body>) -> Option<Duration> {
    let h = resp.headers();
    let get = |k: &str| h.get(k).and_then(|v| v.to_str().ok());
    parse_retry_after(get("retry-after-ms"), get("retry-after"))
}

fn classify_send(e: &ureq::Error) -> (ErrorClass, bool) {
    use ureq::Timeout;
    match e {
        ureq::Error::Timeout(Timeout::Connect | Timeout::Resolve) => (ErrorClass::ConnectTimeout, true),
        ureq::Error::Timeout(Timeout::RecvResponse | Timeout::PerRead) => (ErrorClass::FirstTokenTimeout, false),
        ureq::Error::Timeout(_) => (ErrorClass::TotalTimeout, false),
        ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => (ErrorClass::ConnectionRefused, false),
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => (ErrorClass::ConnectionRefused, false),
            std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::UnexpectedEof => (ErrorClass::Io, true),
            std::io::ErrorKind::TimedOut => (ErrorClass::ConnectTimeout, true),
            _ => (ErrorClass::Io, false),
        },
        _ => (ErrorClass::Io, false),
    }
}

/// classify_read names an error while reading a body.
fn classify_read(e: &std::io::Error, got_token: bool, since_send: Duration, t: &Timeouts) -> ErrorClass {
    let timeout = e.get_ref().and_then(|inner| inner.downcast_ref::<ureq::Error>()).and_then(|u| match u {
        ureq::Error::Timeout(kind) => Some(*kind),
        _ => None,
    });
    match timeout {
        Some(ureq::Timeout::Global) => ErrorClass::TotalTimeout,
        Some(_) if !got_token && since_send >= t.first_token => ErrorClass::FirstTokenTimeout,
        Some(_) => ErrorClass::StreamStall,
        None if e.kind() == std::io::ErrorKind::TimedOut => ErrorClass::StreamStall,
        None => ErrorClass::StreamCut,
    }
}

/// read_failure is a failed body read, named and timed.
fn read_failure(class: ErrorClass, e: &std::io::Error, sent: Instant) -> StreamFailure {
    (class, format!("{class} after {} ms: {e}", sent.elapsed().as_millis()))
}

/// Request is what one attempt sends.
pub struct Request<'a> {
    /// Protocol.
    pub dialect: &'static dyn Dialect,
    /// Endpoint.
    pub url: &'a str,
    /// The dialect's auth and version headers.
    pub auth: &'a [(&'static str, String)],
    /// Extra headers.
    pub headers: &'a [(String, String)],
    /// JSON body.
    pub body: &'a [u8],
    /// Read a stream.
    pub stream: bool,
}

/// attempt sends one request and reads the answer.
pub fn attempt(agent: &ureq::Agent, r: &Request<'_>, t: &Timeouts) -> Outcome {
    let sent = Instant::now();
    let mut req = agent.post(r.url).header("content-type", "application/json");
    // The `-H` headers go first: a repeated name is sent with both values,
    // and a server reads the first, so a gateway token given with -H wins.
    for (k, v) in r.headers {
        req = req.header(k.as_str(), v.as_str());
    }
    for (k, v) in r.auth {
        req = req.header(*k, v.as_str());
    }
    let fail = |status, class, message: String, retryable, retry_after| Failure {
        status,
        class,
        message,
        retry_after,
        retryable,
        end: sent.elapsed(),
    };
    let resp = match req.send(r.body) {
        Ok(r) => r,
        Err(e) => {
            let (class, retryable) = classify_send(&e);
            return Outcome {
                result: Err(fail(None, class, e.to_string(), retryable, None)),
                status: None,
                request_id: None,
                stand_in: None,
                server_time: None,
            };
        }
    };
    let status = resp.status().as_u16();
    let request_id = ["request-id", "x-request-id"]
        .iter()
        .find_map(|h| resp.headers().get(*h).and_then(|v| v.to_str().ok()).map(str::to_string));
    let stand_in = resp
        .headers()
        .get(navikit::provenance::HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(200).collect::<String>());
    let server_time = resp.headers().get("server-timing").and_then(|v| v.to_str().ok()).and_then(parse_server_timing);
    if (300..400).contains(&status) {
        // LLM APIs do not redirect; following would carry the key to another
        // origin and record another server's answer as this one's.
        let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("(no location)");
        let shown = navikit::redact::redact_url(location).chars().take(200).collect::<String>();
        return Outcome {
            result: Err(fail(
                Some(status),
                ErrorClass::Redirect,
                format!("answered {status} redirecting to {shown}: not followed (credentials are never sent on)"),
                false,
                None,
            )),
            status: Some(status),
            request_id,
            stand_in,
            server_time,
        };
    }
    if !(200..300).contains(&status) {
        let ra = retry_after(&resp);
        let mut text = String::new();
        let _ = resp.into_body().into_reader().take(64 * 1024).read_to_string(&mut text);
        let (class, message) = dialect::error_from_body(status, &text);
        let retryable = matches!(status, 429 | 503 | 529);
        return Outcome {
            result: Err(fail(Some(status), class, message, retryable, ra)),
            status: Some(status),
            request_id,
            stand_in,
            server_time,
        };
    }
    let reader = resp.into_body().into_reader();
    let result = if r.stream { read_stream(r.dialect, reader, sent, t) } else { read_json(r.dialect, reader, sent, t) };
    let result = result.map_err(|(class, message)| fail(Some(status), class, message, false, None));
    Outcome { result, status: Some(status), request_id, stand_in, server_time }
}

fn read_stream(d: &dyn Dialect, reader: impl Read, sent: Instant, t: &Timeouts) -> Result<Answer, StreamFailure> {
    // ureq buffers the socket already; this one only gathers lines.
    let mut dec = Decoder::new(BufReader::with_capacity(4 * 1024, reader));
    let mut a = Answer::default();
    let mut last_token: Option<Instant> = None;
    let mut finished = false;
    loop {
        let ev = match dec.next_event() {
            Ok(Some(ev)) => ev,
            Ok(None) => break,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                let class = if e.to_string().starts_with(crate::sse::TOO_LARGE) {
                    ErrorClass::ResponseTooLarge
                } else {
                    ErrorClass::MalformedStream
                };
                return Err(read_failure(class, &e, sent));
            }
            Err(e) => return Err(read_failure(classify_read(&e, a.ttft.is_some(), sent.elapsed(), t), &e, sent)),
        };
        // The answer may be complete before the stream's last event (a chat
        // stream's usage chunk and [DONE] follow its finish_reason): read on
        // so nothing is missed, but an end there is not a cut.
        finished |= d.ends_answer(&ev.data);
        match d.on_event(ev.event.as_deref(), &ev.data, &mut a.usage)? {
            Step::Continue => {}
            Step::Done => {
                a.end = sent.elapsed();
                return Ok(a);
            }
            Step::Token(tok) => {
                let now = Instant::now();
                // --first-token-timeout bounds the first token, not only the
                // headers: a stream whose first token comes late has failed.
                if a.ttft_any.is_none() && now - sent > t.first_token {
                    return Err((
                        ErrorClass::FirstTokenTimeout,
                        format!(
                            "first token after {} ms (limit {} ms)",
                            (now - sent).as_millis(),
                            t.first_token.as_millis()
                        ),
                    ));
                }
                a.ttft_any.get_or_insert(now - sent);
                if let Token::Answer(text) = tok {
                    if text.is_empty() {
                        continue;
                    }
                    if a.ttft.is_none() {
                        a.ttft = Some(now - sent);
                    } else if let Some(prev) = last_token {
                        a.itl.push(now - prev);
                    }
                    last_token = Some(now);
                    a.text.push_str(&text);
                }
            }
        }
    }
    if finished {
        a.end = sent.elapsed();
        return Ok(a);
    }
    Err((
        ErrorClass::StreamCut,
        format!("stream ended after {} ms without its final event", sent.elapsed().as_millis()),
    ))
}

fn read_json(d: &dyn Dialect, reader: impl Read, sent: Instant, t: &Timeouts) -> Result<Answer, StreamFailure> {
    let mut buf = Vec::new();
    if let Err(e) = reader.take(16 * 1024 * 1024).read_to_end(&mut buf) {
        return Err(read_failure(classify_read(&e, false, sent.elapsed(), t), &e, sent));
    }
    let end = sent.elapsed();
    let v: Value = serde_json::from_slice(&buf)
        .map_err(|e| (ErrorClass::MalformedStream, format!("response body is not JSON: {e}")))?;
    let (text, usage) = d.read_json(&v)?;
    Ok(Answer { text, ttft: None, ttft_any: None, itl: Vec::new(), usage, end })
}
