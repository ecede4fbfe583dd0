//! The in-run baseline of `scripts/bench-stats.sh`: the loop a user writes
//! in five minutes with serde_json and hdrhistogram. It reads probe records
//! from a file, keeps latency, TTFT and inter-token-gap histograms per
//! scenario, and prints p50/p95/p99 per scenario. latency-stats does more
//! per record (tokens, cost, error classes, failure patterns, validation)
//! and is measured against this.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};

use hdrhistogram::Histogram;
use serde::Deserialize;

#[derive(Deserialize)]
struct Probe {
    scenario: String,
    ok: bool,
    latency_ms: f64,
    ttft_ms: Option<f64>,
    #[serde(default)]
    itl_ms: Vec<f64>,
}

type Hists = [Histogram<u64>; 3];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: naive_loop FILE")?;
    let mut groups: HashMap<String, Hists> = HashMap::new();
    let mut line = String::new();
    let mut reader = BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
    while reader.read_line(&mut line)? > 0 {
        let p: Probe = serde_json::from_str(&line)?;
        line.clear();
        if !p.ok {
            continue;
        }
        let h = groups.entry(p.scenario).or_insert_with(|| [(); 3].map(|_| Histogram::new(3).expect("3 digits")));
        h[0].record((p.latency_ms * 1000.0) as u64)?;
        if let Some(t) = p.ttft_ms {
            h[1].record((t * 1000.0) as u64)?;
        }
        for g in p.itl_ms {
            h[2].record((g * 1000.0) as u64)?;
        }
    }
    let mut keys: Vec<_> = groups.keys().cloned().collect();
    keys.sort();
    for k in keys {
        let h = &groups[&k];
        let q = |i: usize, p: f64| h[i].value_at_quantile(p) as f64 / 1000.0;
        println!(
            "{k} n={} p50={} p95={} p99={} ttft_p95={} itl_p95={}",
            h[0].len(),
            q(0, 0.5),
            q(0, 0.95),
            q(0, 0.99),
            q(1, 0.95),
            q(2, 0.95)
        );
    }
    Ok(())
}
