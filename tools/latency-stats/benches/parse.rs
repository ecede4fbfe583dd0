//! Parser and accumulator throughput on a realistic probe line.

use latency_stats::accumulate::GroupAcc;
use latency_stats::parse::{Parsed, parse_line};

fn main() {
    divan::main();
}

const LINE: &[u8] = br#"{"kind":"probe","ts":"2026-02-07T10:00:00.123Z","run_id":"r1","provider":"anthropic","target":"http://127.0.0.1:8787","model":"claude-sonnet-4","scenario":"bug-fix","seq":42,"ok":true,"status":200,"latency_ms":1834.2,"service_ms":1830.1,"ttft_ms":412.7,"itl_ms":[11.2,10.9,12.4,9.8,11.1,10.2,13.3,10.0],"tpot_ms":11.1,"output_tokens_per_s":61.3,"input_tokens":412,"output_tokens":128,"cost_usd":0.003156,"request_id":"req_0042"}"#;

#[divan::bench]
fn parse_only(b: divan::Bencher) {
    let mut itl = Vec::new();
    b.bench_local(|| {
        let p = parse_line(divan::black_box(LINE), &[], &mut itl);
        matches!(p, Ok(Parsed::Probe(..)))
    });
}

#[divan::bench]
fn parse_and_accumulate(b: divan::Bencher) {
    let mut itl = Vec::new();
    let mut acc = GroupAcc::default();
    b.bench_local(|| {
        if let Ok(Parsed::Probe(view, _)) = parse_line(divan::black_box(LINE), &[], &mut itl) {
            acc.add(&view, false);
        }
    });
}
