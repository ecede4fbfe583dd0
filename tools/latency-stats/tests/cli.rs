//! latency-stats as a user runs it: fixtures with hand-computed answers,
//! thresholds and exit codes, bad input, merging shards, closed pipes.

use navi_testkit::{Cmd, TempDir, fixture};
use navikit::record::{Record, Stats};

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

fn run_fixture(args: &[&str]) -> navi_testkit::Output {
    Cmd::new("latency-stats").arg(fixture("latency-stats/run.ndjson")).args(args).run()
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
    let bad = fixture("latency-stats/non-object.ndjson");
    let out = Cmd::new("latency-stats").arg(fixture("latency-stats/run.ndjson")).arg(&bad).run();
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
    let text = std::fs::read(fixture("latency-stats/run.ndjson")).unwrap();
    for args in [vec![], vec!["-"]] {
        let out = Cmd::new("latency-stats").args(args).stdin(text.clone()).run();
        out.assert_code(0);
        assert_eq!(stats(&out)[0].requests, 13);
    }
    let out = Cmd::new("latency-stats").stdin("[]\n").run();
    assert!(out.stderr.starts_with("latency-stats: <stdin>:1: not a JSON object"), "{}", out.stderr);
}

#[test]
fn other_record_kinds_are_reported_not_silently_skipped() {
    let mut text = std::fs::read_to_string(fixture("latency-stats/run.ndjson")).unwrap();
    text.push_str(
        r#"{"kind":"check","ts":"2026-02-07T10:00:00Z","tool":"pg-check","check":"pg.connect","status":"pass"}"#,
    );
    text.push('\n');
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
    let line = out.stdout.lines().find(|l| l.starts_with("navi_probe_latency_seconds{quantile=\"0.5\"}")).unwrap();
    let v: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(close(v, 0.5), "{line}");
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
