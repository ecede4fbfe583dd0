//! The speed work changed no result: on a fixed synthetic input (20,000
//! streamed records and 20,000 flat ones, failures included), latency-stats'
//! output is byte for byte what the binary before the fast scanner (commit
//! 8b58c93) printed, kept in `fixtures/golden-*`, but for two things: the
//! stats records' own `ts` (the time of the run) is left out, and the cost
//! sums, which that binary added as floats and now add exactly in
//! pico-dollars, are compared as numbers (they differ in float noise only).

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
    let (got, got_costs) = json_costs_apart(&without_ts);
    let (want, want_costs) = json_costs_apart(include_str!("fixtures/golden-by-scenario.ndjson"));
    assert_eq!(got, want);
    assert_close(&got_costs, &want_costs);
    let csv = run(&["--jobs", "1", "--format", "csv", "--by", "scenario,ok"], &files);
    let (got, got_costs) = csv_costs_apart(&csv);
    let (want, want_costs) = csv_costs_apart(include_str!("fixtures/golden-by-scenario-ok.csv"));
    assert_eq!(got, want);
    assert_close(&got_costs, &want_costs);
}

const COST_FIELDS: [&str; 2] = ["cost_usd_total", "cost_usd_per_request"];

/// json_costs_apart is the text with the cost fields' numbers cut out, and
/// those numbers in order.
fn json_costs_apart(text: &str) -> (String, Vec<f64>) {
    let (mut rest, mut costs) = (text.to_string(), Vec::new());
    for field in COST_FIELDS {
        let key = format!("\"{field}\":");
        let mut out = String::new();
        while let Some(at) = rest.find(&key) {
            let start = at + key.len();
            let len = rest[start..].find([',', '}']).expect("end of a number");
            costs.push(rest[start..start + len].parse().expect("a cost"));
            out.push_str(&rest[..start]);
            rest = rest[start + len..].to_string();
        }
        out.push_str(&rest);
        rest = out;
    }
    (rest, costs)
}

/// csv_costs_apart is the CSV with the cost columns emptied, and their
/// numbers in order (no field here is quoted).
fn csv_costs_apart(text: &str) -> (String, Vec<f64>) {
    let header: Vec<&str> = text.lines().next().expect("a header").split(',').collect();
    let columns: Vec<usize> =
        COST_FIELDS.iter().map(|f| header.iter().position(|h| h == f).expect("a cost column")).collect();
    let mut costs = Vec::new();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let mut cells: Vec<&str> = line.split(',').collect();
        if i > 0 {
            for &c in &columns {
                costs.push(cells[c].parse().expect("a cost"));
                cells[c] = "";
            }
        }
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    (out, costs)
}

fn assert_close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (x, y) in got.iter().zip(want) {
        assert!((x - y).abs() <= 1e-9 * y.abs().max(1e-3), "{x} vs {y}");
    }
}

#[test]
fn three_workers_give_one_workers_results() {
    // Chunks go round three workers and their buffers back to the reader;
    // every count, percentile, pattern and cost sum must come out as with
    // one worker (costs add exactly, in whole pico-dollars).
    let dir = navi_testkit::TempDir::new("golden-jobs");
    let files = inputs(&dir.0);
    let parse = |text: String| -> Vec<serde_json::Value> {
        text.lines().map(|l| serde_json::from_str(l).expect("a stats record")).collect()
    };
    let one = parse(run(&["--jobs", "1", "--by", "scenario,ok"], &files));
    let three = parse(run(&["--jobs", "3", "--by", "scenario,ok"], &files));
    assert_eq!(one.len(), three.len());
    assert!(one.len() > 10, "{} groups", one.len());
    assert!(one.iter().filter(|g| g["cost_usd_total"].as_f64().is_some_and(|c| c > 0.0)).count() > 5);
    for (mut a, mut b) in one.into_iter().zip(three) {
        a["ts"].take();
        b["ts"].take();
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
