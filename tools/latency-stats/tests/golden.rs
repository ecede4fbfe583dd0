//! The speed work changed no result: on a fixed synthetic input (20,000
//! streamed records and 20,000 flat ones, failures included), latency-stats'
//! output is byte for byte what the binary before the fast scanner (commit
//! 8b58c93) printed, kept in `fixtures/golden-*`. One worker, so sums add in
//! one order; the stats records' own `ts` (the time of the run) is left out.

use std::io::Write;
use std::process::Command;

use navi_testkit::synth::{Shape, write_shaped};

fn inputs(dir: &std::path::Path) -> [std::path::PathBuf; 2] {
    let a = dir.join("streamed.ndjson");
    let b = dir.join("flat.ndjson");
    let mut f = std::fs::File::create(&a).expect("create");
    write_shaped(&mut f, 3, 0, 20_000, Shape::WithGaps).expect("write");
    f.flush().expect("flush");
    let mut f = std::fs::File::create(&b).expect("create");
    write_shaped(&mut f, 4, 0, 20_000, Shape::Flat).expect("write");
    f.flush().expect("flush");
    [a, b]
}

fn run(args: &[&str], files: &[std::path::PathBuf]) -> String {
    let out = Command::new(navi_testkit::bin_path("latency-stats"))
        .args(args)
        .args(files)
        .output()
        .expect("run latency-stats");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn output_is_byte_identical_to_before_the_fast_scanner() {
    let dir = navi_testkit::TempDir::new("golden");
    let files = inputs(&dir.0);
    let ndjson = run(&["--jobs", "1", "--by", "scenario"], &files);
    let without_ts: String = ndjson
        .lines()
        .map(|l| {
            let rest = l.strip_prefix(r#"{"kind":"stats","ts":""#).expect("a stats record");
            let end = rest.find("\",").expect("end of ts");
            format!("{{\"kind\":\"stats\",{}\n", &rest[end + 2..])
        })
        .collect();
    assert_eq!(without_ts, include_str!("fixtures/golden-by-scenario.ndjson"));
    let csv = run(&["--jobs", "1", "--format", "csv", "--by", "scenario,ok"], &files);
    assert_eq!(csv, include_str!("fixtures/golden-by-scenario-ok.csv"));
}

#[test]
fn three_workers_give_one_workers_results() {
    // Chunks go round three workers and their buffers back to the reader;
    // every count, percentile and pattern must come out as with one worker.
    // Only the float cost sums may differ, in their last digits, as they add
    // in another order.
    let dir = navi_testkit::TempDir::new("golden-jobs");
    let files = inputs(&dir.0);
    let parse = |text: String| -> Vec<serde_json::Value> {
        text.lines().map(|l| serde_json::from_str(l).expect("a stats record")).collect()
    };
    let one = parse(run(&["--jobs", "1", "--by", "scenario,ok"], &files));
    let three = parse(run(&["--jobs", "3", "--by", "scenario,ok"], &files));
    assert_eq!(one.len(), three.len());
    assert!(one.len() > 10, "{} groups", one.len());
    for (mut a, mut b) in one.into_iter().zip(three) {
        for f in ["ts", "cost_usd_total", "cost_usd_per_request"] {
            let (x, y) = (a[f].take(), b[f].take());
            if let (Some(x), Some(y)) = (x.as_f64(), y.as_f64()) {
                assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "{f}: {x} vs {y}");
            }
        }
        assert_eq!(a, b);
    }
}

#[test]
fn many_bad_lines_with_many_workers_stop_at_the_first_one() {
    // Every worker meets a bad line while the reader still has chunks to
    // hand over: the run must end (exit 2, the first bad line named), not
    // wait for a worker that has left.
    let dir = navi_testkit::TempDir::new("golden-bad");
    let mut good = Vec::new();
    write_shaped(&mut good, 5, 0, 30_000, Shape::WithGaps).expect("write");
    let mut text = String::new();
    for (i, line) in String::from_utf8(good).expect("UTF-8").lines().enumerate() {
        text.push_str(if i % 400 == 399 { "{not json" } else { line });
        text.push('\n');
    }
    let path = dir.0.join("bad.ndjson");
    std::fs::write(&path, text).expect("write");
    let out = Command::new(navi_testkit::bin_path("latency-stats"))
        .args(["--jobs", "3"])
        .arg(&path)
        .output()
        .expect("run latency-stats");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.ndjson:400:"), "{err}");
}
