//! Synthetic probe records for benchmarks and large tests: deterministic for
//! a seed, shaped like llm-probe's output (10 scenarios, a few failures with
//! varied messages, 16–48 inter-chunk gaps per streamed answer).

pub use navikit::rng::Rng;

const SCENARIOS: [&str; 10] = [
    "hello-world",
    "bug-fix",
    "refactor",
    "unit-tests",
    "explain-code",
    "sql-query",
    "shell-one-liner",
    "code-review",
    "docstring",
    "multi-file-plan",
];

/// Shape says whether answers carry their inter-chunk gaps (`itl_ms`, as a
/// streamed run writes) or not (flat records, as a non-streamed run writes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Streamed answers: 16–48 gaps each.
    WithGaps,
    /// No gap arrays.
    Flat,
}

/// probe_line writes the `i`-th synthetic probe record (no newline) into `out`.
pub fn probe_line(rng: &mut Rng, i: u64, shape: Shape, out: &mut String) {
    use std::fmt::Write;
    out.clear();
    let scenario = SCENARIOS[(i % 10) as usize];
    let sec = 36_000 + i / 50;
    let ts = format!("2026-02-07T{:02}:{:02}:{:02}.{:03}Z", (sec / 3600) % 24, (sec / 60) % 60, sec % 60, i % 1000);
    let roll = rng.unit();
    if roll < 0.02 {
        let (class, status, msg) = match i % 4 {
            0 => ("total_timeout", "", format!("timeout after {}ms", 30_000 + rng.next_u64() % 999)),
            1 => (
                "rate_limited",
                ",\"status\":429",
                format!("HTTP 429 rate_limit_error (request-id req_{:016x})", rng.next_u64()),
            ),
            2 => ("overloaded", ",\"status\":529", "HTTP 529 overloaded_error: Overloaded".to_string()),
            _ => (
                "stream_cut",
                ",\"status\":200",
                format!("stream ended after {} bytes without message_stop", rng.next_u64() % 5000),
            ),
        };
        let latency = 30_000.0 + rng.unit() * 900.0;
        let _ = write!(
            out,
            r#"{{"kind":"probe","ts":"{ts}","run_id":"bench","provider":"anthropic","target":"http://127.0.0.1:8787","model":"claude-sonnet-4","scenario":"{scenario}","seq":{i},"ok":false{status},"latency_ms":{latency:.3},"attempts":[{{"wait_ms":0}}],"error":{{"class":"{class}","message":"{msg}"}}}}"#
        );
        return;
    }
    let ttft = rng.lognormal(450.0, 0.35);
    let n = 16 + (rng.next_u64() % 33) as usize;
    let mut itl = String::with_capacity(n * 6);
    let mut sum = 0.0;
    for k in 0..n {
        let g = rng.lognormal(28.0, 0.3);
        sum += g;
        if k > 0 {
            itl.push(',');
        }
        let _ = write!(itl, "{g:.2}");
    }
    let latency = ttft + sum;
    let gaps = if shape == Shape::WithGaps { format!(r#""itl_ms":[{itl}],"#) } else { String::new() };
    let out_tokens = (n as u64) * 4 + rng.next_u64() % 4;
    let in_tokens = 200 + rng.next_u64() % 600;
    let cost = in_tokens as f64 * 3.0e-6 + out_tokens as f64 * 15.0e-6;
    let tpot = sum / (out_tokens - 1) as f64;
    let tps = out_tokens as f64 * 1000.0 / latency;
    let _ = write!(
        out,
        r#"{{"kind":"probe","ts":"{ts}","run_id":"bench","provider":"anthropic","target":"http://127.0.0.1:8787","model":"claude-sonnet-4","scenario":"{scenario}","seq":{i},"ok":true,"status":200,"latency_ms":{latency:.3},"service_ms":{latency:.3},"ttft_ms":{ttft:.3},{gaps}"tpot_ms":{tpot:.3},"output_tokens_per_s":{tps:.2},"input_tokens":{in_tokens},"output_tokens":{out_tokens},"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"cost_usd":{cost:.6},"attempts":[{{"status":200,"wait_ms":0}}],"request_id":"req_{:016x}"}}"#,
        rng.next_u64()
    );
}

/// write_probes writes `n` records starting at index `start` to a writer.
pub fn write_probes(w: &mut impl std::io::Write, seed: u64, start: u64, n: u64) -> std::io::Result<()> {
    write_shaped(w, seed, start, n, Shape::WithGaps)
}

/// write_shaped writes `n` records of the given shape starting at index `start`.
pub fn write_shaped(w: &mut impl std::io::Write, seed: u64, start: u64, n: u64, shape: Shape) -> std::io::Result<()> {
    let mut rng = Rng::new(seed ^ start.wrapping_mul(0x2545_F491_4F6C_DD1D));
    let mut line = String::with_capacity(1024);
    for i in start..start + n {
        probe_line(&mut rng, i, shape, &mut line);
        w.write_all(line.as_bytes())?;
        w.write_all(b"\n")?;
    }
    Ok(())
}
