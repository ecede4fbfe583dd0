//! latency-stats as a user runs it: a run with hand-computed answers,
//! thresholds and exit codes, bad input, merging shards, closed pipes.
//!
//! The run is built from navikit's `Probe` type and written by its codec —
//! the contract llm-probe writes through — never typed in as JSON, so a
//! change to llm-probe's record cannot leave this test reading a stale copy.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use navi_testkit::{Cmd, TempDir, fixture};
use navikit::record::{Probe, ProbeError, Record, Stats};

fn stats(out: &navi_testkit::Output) -> Vec<Stats> {
    out.records()
        .into_iter()
        .map(|r| match r {
            Record::Stats(s) => *s,
            other => panic!("expected stats, got {}", other.kind()),
        })
        .collect()
}

/// close says whether an HDR-reported value is within half a bucket (0.05 %).
fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= want.abs() * 0.0005 + 1e-9
}

macro_rules! assert_close {
    ($got:expr, $want:expr) => {
        assert!(close($got, $want), "{} = {} but expected {}", stringify!($got), $got, $want)
    };
}

fn at(second: u32) -> DateTime<Utc> {
    format!("2026-02-07T10:00:{second:02}Z").parse().expect("time")
}

/// probe_run is the hand-computed run: scenario `a` answers in 100..500 ms
/// and `b` in 600..1000 ms (TTFT a tenth of that, two 10/20 ms gaps each,
/// 100 in / 20 out / 10 cached tokens, $0.0006), then `b` fails three times
/// (two total timeouts, one 429); one warm-up of 99999 ms comes first in time.
fn probe_run() -> Vec<Probe> {
    let ok = |seq: u32| Probe {
        ts: at(seq),
        run_id: "fx".into(),
        provider: "anthropic".into(),
        target: "http://127.0.0.1:8787".into(),
        model: "claude-sonnet-4".into(),
        scenario: if seq < 5 { "a" } else { "b" }.into(),
        seq: seq.into(),
        ok: true,
        status: Some(200),
        latency_ms: f64::from(seq + 1) * 100.0,
        ttft_ms: Some(f64::from(seq + 1) * 10.0),
        itl_ms: vec![10.0, 20.0],
        tpot_ms: Some(5.0),
        output_tokens_per_s: Some(50.0),
        input_tokens: Some(100),
        output_tokens: Some(20),
        cache_read_input_tokens: Some(10),
        cost_usd: Some(0.0006),
        ..Probe::default()
    };
    let failed = |seq: u32, status: Option<u16>, latency_ms: f64, class: &str, message: &str| Probe {
        ts: at(seq),
        provider: "anthropic".into(),
        model: "claude-sonnet-4".into(),
        scenario: "b".into(),
        seq: seq.into(),
        status,
        latency_ms,
        error: Some(ProbeError { class: class.into(), message: message.into() }),
        ..Probe::default()
    };
    let mut run: Vec<Probe> = (0..10).map(ok).collect();
    run.push(failed(10, None, 30012.0, "total_timeout", "timeout after 30012ms"));
    run.push(failed(11, Some(429), 20.0, "rate_limited", "HTTP 429 rate_limit_error (request-id req_01HXYZ7ABC)"));
    run.push(failed(12, None, 30877.0, "total_timeout", "timeout after 30877ms"));
    run.push(Probe {
        ts: "2026-02-07T09:59:00Z".parse().expect("time"),
        provider: "anthropic".into(),
        model: "claude-sonnet-4".into(),
        scenario: "a".into(),
        seq: 13,
        warmup: true,
        ok: true,
        latency_ms: 99999.0,
        ..Probe::default()
    });
    run
}

/// run_text is the run as NDJSON, written by navikit's codec.
fn run_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let mut w = navikit::ndjson::RecordWriter::new(Vec::new());
        for p in probe_run() {
            w.write(&Record::Probe(Box::new(p))).expect("encode");
        }
        String::from_utf8(w.into_inner()).expect("utf-8")
    })
}

/// run_file writes the run to a file of its own (kept for the test's life).
fn run_file(dir: &TempDir) -> std::path::PathBuf {
    let path = dir.path("run.ndjson");
    std::fs::write(&path, run_text()).expect("write run");
    path
}

fn run_fixture(args: &[&str]) -> navi_testkit::Output {
    Cmd::new("latency-stats").args(args).stdin(run_text()).run()
}

#[test]
fn one_group_has_the_hand_computed_values() {
    let out = run_fixture(&[]);
    out.assert_code(0);
    let s = &stats(&out)[0];
    assert!(s.group.is_empty());
    assert_eq!((s.requests, s.ok, s.failed, s.warmup_excluded), (13, 10, 3, 1));
    assert_close!(s.success_pct, 1000.0 / 13.0);
    let l = s.latency_ms.as_ref().unwrap();
    assert_eq!(l.count, 10);
    assert_close!(l.p50, 500.0);
    assert_close!(l.p90, 900.0);
    assert_close!(l.p95, 1000.0);
    assert_close!(l.p99, 1000.0);
    assert_close!(l.min, 100.0);
    assert_close!(l.max, 1000.0);
    assert_close!(l.mean, 550.0);
    assert_close!(s.ttft_ms.as_ref().unwrap().p50, 50.0);
    let itl = s.itl_ms.as_ref().unwrap();
    assert_eq!(itl.count, 20);
    assert_close!(itl.p50, 10.0);
    assert_close!(itl.p90, 20.0);
    assert_eq!((s.tokens.input, s.tokens.output, s.tokens.cache_read_input), (1000, 200, 100));
    assert_close!(s.cost_usd_total, 0.006);
    assert_close!(s.cost_usd_per_request, 0.0006);
    assert_eq!(s.costed_requests, 10);
    assert_eq!(
        s.errors.iter().map(|e| (e.class.as_str(), e.count)).collect::<Vec<_>>(),
        [("total_timeout", 2), ("rate_limited", 1)]
    );
    assert_eq!(s.top_failures[0].pattern, "timeout after #ms");
    assert_eq!(s.top_failures[0].count, 2);
    assert_eq!(s.top_failures[1].pattern, "HTTP # rate_limit_error (request-id #)");
    assert_eq!(s.first_ts.unwrap().to_rfc3339(), "2026-02-07T10:00:00+00:00");
    assert_eq!(s.last_ts.unwrap().to_rfc3339(), "2026-02-07T10:00:12+00:00");
    assert_eq!(s.models, ["claude-sonnet-4"]);
    assert!(s.histograms.is_none());
}

#[test]
fn groups_split_the_counts() {
    let out = run_fixture(&["--by", "scenario"]);
    let all = stats(&out);
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].group.get("scenario").map(String::as_str), Some("a"));
    assert_eq!((all[0].requests, all[0].ok), (5, 5));
    assert_close!(all[0].latency_ms.as_ref().unwrap().p50, 300.0);
    assert_eq!((all[1].requests, all[1].ok, all[1].failed), (8, 5, 3));
    assert_close!(all[1].latency_ms.as_ref().unwrap().p50, 800.0);
}

#[test]
fn warmup_is_counted_only_when_asked() {
    let s = &stats(&run_fixture(&["--include-warmup"]))[0];
    assert_eq!((s.requests, s.warmup_excluded), (14, 0));
    assert_close!(s.latency_ms.as_ref().unwrap().max, 99999.0);
}

#[test]
fn thresholds_give_verdicts_and_exit_codes() {
    let out = run_fixture(&["-t", "p95<5s", "-t", "ttft.p50<=50ms", "-t", "cost_per_request<0.001"]);
    out.assert_code(0);
    let s = &stats(&out)[0];
    assert!(s.slo.iter().all(|v| v.ok), "{:?}", s.slo);
    assert_eq!(s.slo[0].metric, "latency_ms.p95");
    assert_eq!(s.slo[0].limit, 5000.0);

    let out = run_fixture(&["-t", "p95<5s", "-t", "success>99%", "-t", "error_rate<1%"]);
    out.assert_code(1);
    let s = &stats(&out)[0];
    assert_eq!(s.slo.iter().map(|v| v.ok).collect::<Vec<_>>(), [true, false, false]);
    assert_close!(s.slo[1].observed.unwrap(), 1000.0 / 13.0);
    assert_close!(s.slo[2].observed.unwrap(), 300.0 / 13.0);
}

#[test]
fn bad_input_exits_2_naming_file_and_line() {
    let cases = [
        ("not-json.ndjson", ":3: not JSON"),
        ("non-object.ndjson", ":2: not a JSON object"),
        ("missing-field.ndjson", ":2: bad record: missing field `latency_ms`"),
        ("wrong-type.ndjson", ":1: bad record: invalid type: string \"yes\", expected a boolean"),
        ("negative.ndjson", ":1: bad record: `latency_ms` is negative"),
        ("unknown-kind.ndjson", ":1: bad record: unknown record kind `banana`"),
        ("empty.ndjson", ": no probe records"),
        // What report-md would reject, latency-stats rejects too: one contract.
        ("missing-ts.ndjson", ":1: bad record: missing field `ts`"),
        ("bad-ts.ndjson", ":1: bad record: `ts` is not an RFC 3339 time"),
        ("seq-string.ndjson", ":1: bad record: invalid type: string \"7\", expected u64"),
        ("negative-cost.ndjson", ":1: bad record: `cost_usd` is negative"),
        ("not-utf8.ndjson", ":1: not UTF-8"),
    ];
    for (file, why) in cases {
        let path = fixture(&format!("latency-stats/{file}"));
        let out = Cmd::new("latency-stats").arg(&path).run();
        out.assert_code(2);
        assert!(out.stdout.is_empty(), "{file}: stdout {}", out.stdout);
        let expected = format!("latency-stats: {}{why}", path.display());
        assert!(out.stderr.starts_with(&expected), "{file}: {} does not start with {expected}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
    }
}

#[test]
fn the_second_file_is_named_when_it_is_the_bad_one() {
    let dir = TempDir::new("second");
    let bad = fixture("latency-stats/non-object.ndjson");
    let out = Cmd::new("latency-stats").arg(run_file(&dir)).arg(&bad).run();
    out.assert_code(2);
    assert!(out.stderr.contains(&format!("{}:2:", bad.display())), "{}", out.stderr);
}

#[test]
fn bad_thresholds_and_flags_exit_2() {
    for (args, why) in [
        (vec!["-t", "active_connections<10"], "unknown metric `active_connections` for latency-stats"),
        (vec!["-t", "p95<5parsecs"], "unknown unit `parsecs`"),
        (vec!["--format", "xml"], "invalid value 'xml'"),
    ] {
        let out = run_fixture(&args);
        out.assert_code(2);
        assert!(out.stderr.contains(why), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn stdin_is_read_with_dash_or_no_file() {
    let dir = TempDir::new("stdin");
    for args in [vec![], vec!["-"]] {
        let out = Cmd::new("latency-stats").args(args).stdin(run_text()).run();
        out.assert_code(0);
        assert_eq!(stats(&out)[0].requests, 13);
    }
    // A file argument reads the same run.
    let out = Cmd::new("latency-stats").arg(run_file(&dir)).run();
    assert_eq!(stats(&out)[0].requests, 13);
    let out = Cmd::new("latency-stats").stdin("[]\n").run();
    assert!(out.stderr.starts_with("latency-stats: <stdin>:1: not a JSON object"), "{}", out.stderr);
}

#[test]
fn other_record_kinds_are_reported_not_silently_skipped() {
    let mut w = navikit::ndjson::RecordWriter::new(run_text().as_bytes().to_vec());
    let check = navikit::record::Check::new("pg-check", "pg.connect", "", navikit::record::CheckStatus::Pass, "");
    w.write(&Record::Check(check)).unwrap();
    let text = w.into_inner();
    let out = Cmd::new("latency-stats").stdin(text).run();
    out.assert_code(0);
    assert!(out.stderr.contains("ignored 1 record(s) of kind `check`"), "{}", out.stderr);
}

#[test]
fn csv_and_prometheus_formats_carry_the_same_numbers() {
    let out = run_fixture(&["--by", "scenario", "--format", "csv"]);
    out.assert_code(0);
    let mut rdr = csv::Reader::from_reader(out.stdout.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    assert_eq!(&rows[1][col("scenario")], "b");
    assert_eq!(&rows[1][col("requests")], "8");
    assert!(close(rows[1][col("latency_ms_p50")].parse().unwrap(), 800.0));

    let out = run_fixture(&["--format", "prometheus", "-t", "p95<5s"]);
    out.assert_code(0);
    assert!(out.stdout.contains("navi_probe_requests 13\n"), "{}", out.stdout);
    assert!(out.stdout.contains("navi_probe_slo_ok{threshold=\"p95<5s\"} 1\n"));
    assert!(out.stdout.contains("navi_probe_errors{class=\"total_timeout\"} 2\n"));
    let sample = |prefix: &str| -> f64 {
        let line = out.stdout.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no {prefix}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert!(close(sample("navi_probe_latency_seconds{quantile=\"0.5\"}"), 0.5));
    // A summary: ten successes of 0.1..1.0 s sum to 5.5 s.
    assert!(out.stdout.contains("# TYPE navi_probe_latency_seconds summary\n"));
    assert!(close(sample("navi_probe_latency_seconds_sum "), 5.5));
    assert_eq!(sample("navi_probe_latency_seconds_count "), 10.0);
    assert!(close(sample("navi_probe_cost_usd "), 0.006));
    navi_testkit::promtool_accepts(&out.stdout);
    // A run against a stand-in carries its name, so alerts on `stand_in=""` never see it.
    let mut w = navikit::ndjson::RecordWriter::new(Vec::new());
    for mut p in probe_run() {
        p.stand_in = Some("llm-sim".into());
        w.write(&Record::Probe(Box::new(p))).unwrap();
    }
    let out = Cmd::new("latency-stats").args(["--format", "prometheus"]).stdin(w.into_inner()).run();
    assert!(out.stdout.contains("navi_probe_cost_usd_per_request{stand_in=\"llm-sim\"} 0.0006\n"), "{}", out.stdout);
    navi_testkit::promtool_accepts(&out.stdout);
}

#[test]
fn merged_shards_equal_one_pass_over_a_million_records() {
    let dir = TempDir::new("merge");
    let shards = 8u64;
    let per = 125_000u64;
    let mut paths = Vec::new();
    for i in 0..shards {
        let path = dir.path(&format!("shard-{i}.ndjson"));
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        navi_testkit::synth::write_probes(&mut f, 11, i * per, per).unwrap();
        drop(f);
        paths.push(path);
    }
    let single =
        stats(Cmd::new("latency-stats").args(&paths).args(["--by", "scenario", "-t", "p99<2s"]).run().assert_code(1));
    let mut parts = String::new();
    for p in &paths {
        let out = Cmd::new("latency-stats").arg(p).args(["--by", "scenario", "--histograms"]).run();
        out.assert_code(0);
        parts.push_str(&out.stdout);
    }
    let merged = stats(Cmd::new("latency-stats").args(["--merge", "-t", "p99<2s"]).stdin(parts).run().assert_code(1));
    assert_eq!(single.len(), 10);
    assert_eq!(merged.len(), 10);
    for (a, b) in single.iter().zip(&merged) {
        assert_eq!(a.group, b.group);
        assert_eq!((a.requests, a.ok, a.failed), (b.requests, b.ok, b.failed));
        assert_eq!(a.latency_ms, b.latency_ms, "latency of {:?}", a.group);
        assert_eq!(a.ttft_ms, b.ttft_ms);
        assert_eq!(a.itl_ms, b.itl_ms);
        assert_eq!(a.tpot_ms, b.tpot_ms);
        assert_eq!(a.output_tokens_per_s, b.output_tokens_per_s);
        assert_eq!(a.tokens, b.tokens);
        assert_eq!(a.errors, b.errors);
        assert_eq!(a.slo, b.slo);
        assert!((a.cost_usd_total - b.cost_usd_total).abs() < 1e-9 * a.cost_usd_total);
        assert_eq!((a.first_ts, a.last_ts), (b.first_ts, b.last_ts));
    }
    assert_eq!(single.iter().map(|s| s.requests).sum::<u64>(), shards * per);
}

#[test]
fn merge_rejects_summaries_without_histograms() {
    let plain = run_fixture(&[]).stdout;
    let out = Cmd::new("latency-stats").arg("--merge").stdin(plain).run();
    out.assert_code(2);
    assert!(out.stderr.contains("<stdin>:1: stats record has no histograms"), "{}", out.stderr);
}

#[test]
fn a_closed_stdout_ends_quietly_with_status_0() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    let mut child = Command::new(navi_testkit::bin_path("latency-stats"))
        .args(["--by", "seq"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let mut buf = Vec::new();
        navi_testkit::synth::write_probes(&mut buf, 3, 0, 20_000).unwrap();
        let _ = stdin.write_all(&buf);
    });
    let mut first = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut first).unwrap();
    drop(stdout);
    feeder.join().unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(first.starts_with("{\"kind\":\"stats\""), "{first}");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
