//! `llm-probe search`: the highest open-loop rate at which the thresholds
//! hold, on coordinated-omission-corrected latencies.
//!
//! Rates double from `--start-rate` until a step fails (or halve while the
//! first ones fail), then the bracket between the highest passing and the
//! lowest failing rate is bisected until it is within `--precision`. Each
//! step is an open-loop run of its own, so latency counts from the intended
//! send and a server that queues cannot hide it. A step makes at least
//! `max(--min-requests, rate × --step-time, 10 / (1 − q))` requests, q being
//! the highest quantile a threshold reads: ten observations beyond the
//! quantile, so it is measured rather than read off the maximum; a success
//! or error-rate bound asks for enough requests to see ten failures at the
//! bound. Steps are judged by latency-stats' own accumulator and thresholds
//! on the records written, so `latency-stats --by step,rate` over the output
//! reproduces every step's verdict.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use latency_stats::accumulate::GroupAcc;
use latency_stats::parse::{Parsed, parse_line};
use navikit::ndjson::RecordWriter;
use navikit::record::{Check, CheckStatus, Record, Stats};
use navikit::threshold::{Metric, Stat, Threshold};
use navikit::{Error, Outcome};
use serde_json::json;

use crate::cli::SearchArgs;
use crate::options::{Load, MAX_WORKERS, RATE_RANGE, RunOptions};
use crate::runner;

/// CHECK is the name of the search's verdict record.
pub const CHECK: &str = "llm.capacity";
/// MAX_STEP_REQUESTS bounds one step, whatever a threshold asks for.
const MAX_STEP_REQUESTS: u64 = 1_000_000;
/// IMPLICIT_ERROR_PCT is the error rate a step may have when no threshold
/// judges errors: latency percentiles count successes only, so a server
/// failing fast would otherwise look fast.
const IMPLICIT_ERROR_PCT: f64 = 1.0;

/// judges_errors says whether a target threshold reads the success or error rate.
fn judges_errors(thresholds: &[Threshold]) -> bool {
    thresholds.iter().any(|t| !t.escalation && matches!(t.metric, Metric::SuccessPct | Metric::ErrorRatePct))
}

/// QUEUE_GROWTH and QUEUE_SLACK_MS bound how much later sends' median
/// latency may exceed earlier ones' before the step counts as queueing.
const QUEUE_GROWTH: f64 = 0.25;
const QUEUE_SLACK_MS: f64 = 10.0;
/// OBSERVATIONS_BEYOND is how many observations a step wants past its quantile.
const OBSERVATIONS_BEYOND: f64 = 10.0;

/// SearchOptions are everything `search` needs.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    /// The run each step is made of (its rate and count are the step's).
    pub run: RunOptions,
    /// Thresholds every step must meet (escalations are reported only).
    pub thresholds: Vec<Threshold>,
    /// First rate tried.
    pub start_rate: f64,
    /// Highest rate tried.
    pub max_rate: f64,
    /// Stop when lowest failing ≤ highest passing × (1 + precision).
    pub precision: f64,
    /// Shortest step.
    pub step_time: Duration,
    /// Fewest requests per step.
    pub min_requests: u64,
    /// Bound on the whole search's time.
    pub max_time: Duration,
    /// Bound on the whole search's requests.
    pub max_requests: u64,
}

/// options resolves `search`'s flags.
pub fn options(a: SearchArgs) -> Result<SearchOptions, Error> {
    let target = crate::options::target(&a.common)?;
    let thresholds = latency_stats::cli::thresholds(&a.thresholds, a.targets.as_deref())?;
    if !thresholds.iter().any(|t| !t.escalation) {
        return Err(Error::input("search needs at least one --threshold (or a --targets file) to search against"));
    }
    let rate_ok = |r: f64| r.is_finite() && (RATE_RANGE.0..=RATE_RANGE.1).contains(&r);
    if !rate_ok(a.start_rate) || !rate_ok(a.max_rate) || a.start_rate > a.max_rate {
        return Err(Error::input(format!(
            "--start-rate and --max-rate must be between {} and {} requests per second, start ≤ max",
            RATE_RANGE.0, RATE_RANGE.1
        )));
    }
    let precision =
        a.precision.trim().trim_end_matches('%').parse::<f64>().ok().filter(|p| (0.1..=100.0).contains(p)).ok_or_else(
            || Error::input(format!("--precision `{}`: write a percentage from 0.1% to 100%", a.precision)),
        )?;
    if !(1..=MAX_WORKERS).contains(&a.max_in_flight) {
        return Err(Error::input(format!("--max-in-flight must be between 1 and {}", MAX_WORKERS)));
    }
    let run_id = a.run_id.unwrap_or_else(|| chrono::Utc::now().format("s-%Y%m%d-%H%M%S").to_string());
    Ok(SearchOptions {
        run: RunOptions {
            stream: !a.no_stream && target.provider.streams(),
            target,
            runs: None,
            duration: None,
            warmup: 0,
            load: Load::Open(a.start_rate, a.arrival, a.max_in_flight),
            // A retried request hides overload: a step counts first answers.
            retries: 0,
            max_retry_time: Duration::ZERO,
            shard: (0, 1),
            run_id,
            seed: a.seed,
            grace: Duration::from_secs(10),
            start_at: None,
        },
        thresholds,
        start_rate: a.start_rate,
        max_rate: a.max_rate,
        precision: precision / 100.0,
        step_time: a.step_time,
        min_requests: a.min_requests.max(1),
        max_time: a.max_time,
        max_requests: a.max_requests,
    })
}

/// needed_requests is the fewest requests that measure what the thresholds read.
pub fn needed_requests(thresholds: &[Threshold]) -> u64 {
    // Rounded first: 10 / (1 − 0.9) is 100.00000000000001 in floating point.
    let beyond = |fraction: f64| if fraction > 0.0 { (OBSERVATIONS_BEYOND / fraction - 1e-6).ceil() as u64 } else { 0 };
    thresholds
        .iter()
        .filter(|t| !t.escalation)
        .map(|t| match &t.metric {
            Metric::Dist(_, Stat::Percentile(q)) if *q < 100.0 => beyond(1.0 - q / 100.0),
            Metric::SuccessPct => beyond((100.0 - t.limit) / 100.0),
            Metric::ErrorRatePct => beyond(t.limit / 100.0),
            _ => 0,
        })
        .max()
        .unwrap_or(0)
        .min(MAX_STEP_REQUESTS)
}

/// step_requests is one step's request count at `rate`.
pub fn step_requests(o: &SearchOptions, rate: f64) -> u64 {
    let by_time = (rate * o.step_time.as_secs_f64()).ceil() as u64;
    o.min_requests.max(by_time).max(needed_requests(&o.thresholds)).min(MAX_STEP_REQUESTS)
}

/// End says why a search stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The bracket is within the precision.
    Bracketed,
    /// Every rate up to `--max-rate` passed.
    MaxReached,
    /// Even the lowest rate tried failed.
    NothingPassed,
    /// `--max-time` or `--max-requests` would be exceeded by the next step.
    Budget,
    /// Ctrl-C.
    Interrupted,
}

/// Bracket is the search's state: the highest passing and lowest failing rates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bracket {
    /// Highest rate that passed.
    pub pass: Option<f64>,
    /// Lowest rate that failed.
    pub fail: Option<f64>,
}

impl Bracket {
    /// Bracket::next is the next rate to try, or why the search is over.
    pub fn next(&self, o: &SearchOptions) -> Result<f64, End> {
        let floor = RATE_RANGE.0.max(o.start_rate / 1024.0);
        match (self.pass, self.fail) {
            (None, None) => Ok(o.start_rate),
            (Some(p), None) if p >= o.max_rate => Err(End::MaxReached),
            (Some(p), None) => Ok((p * 2.0).min(o.max_rate)),
            (None, Some(f)) if f / 2.0 < floor => Err(End::NothingPassed),
            (None, Some(f)) => Ok(f / 2.0),
            (Some(p), Some(f)) if f <= p * (1.0 + o.precision) => Err(End::Bracketed),
            (Some(p), Some(f)) => Ok((p + f) / 2.0),
        }
    }

    /// Bracket::record narrows the bracket with one step's verdict.
    pub fn record(&mut self, rate: f64, passed: bool) {
        if passed {
            self.pass = Some(self.pass.map_or(rate, |p| p.max(rate)));
        } else {
            self.fail = Some(self.fail.map_or(rate, |f| f.min(rate)));
        }
    }
}

/// Step is one measured rate.
#[derive(Debug, Clone)]
pub struct Step {
    /// The offered rate.
    pub rate: f64,
    /// Conversations completed per second, from the first completion to the last.
    pub achieved_rps: f64,
    /// The step's summary with its verdicts.
    pub stats: Stats,
    /// Every planned conversation ended (no Ctrl-C).
    pub complete: bool,
    /// Set when latency grew through the step (a queue building): the
    /// median latency of the first and the last third of the sends.
    pub queue_growth: Option<(f64, f64)>,
    /// Without a success or error-rate threshold: more than
    /// IMPLICIT_ERROR_PCT of the requests failed (latency alone would judge
    /// only the survivors).
    pub too_many_errors: bool,
    /// Every target threshold met, every request made, no queue building,
    /// and the errors within bounds.
    pub passed: bool,
}

impl Step {
    /// Step::failure names the first threshold the step missed.
    pub fn failure(&self) -> Option<String> {
        let missed = self.stats.slo.iter().find(|v| !v.ok && !v.escalation);
        if missed.is_none() && self.too_many_errors {
            return Some(format!(
                "{} % of the requests failed (without a success threshold the search allows {IMPLICIT_ERROR_PCT} %)",
                round3(self.stats.error_rate_pct)
            ));
        }
        if missed.is_none() && !self.passed {
            return Some(match self.queue_growth {
                Some((first, last)) if self.complete => format!(
                    "a queue was building: median latency rose from {first} ms in the first third of the step to {last} ms in the last"
                ),
                _ => "interrupted before every request ended".into(),
            });
        }
        missed.map(|v| match v.observed {
            Some(x) => {
                let unit = if v.metric.contains("_ms.") {
                    " ms"
                } else if v.metric.ends_with("_pct") {
                    " %"
                } else {
                    ""
                };
                format!("{}: observed {}{unit} (limit {}{unit})", v.threshold, round3(x), round3(v.limit))
            }
            None => format!("{}: nothing measured", v.threshold),
        })
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// run carries out `llm-probe search`, writing to stdout.
pub fn run(o: &SearchOptions) -> Result<Outcome, Error> {
    let mut out = RecordWriter::stdout();
    let started = Instant::now();
    let mut bracket = Bracket { pass: None, fail: None };
    let mut steps: Vec<Step> = Vec::new();
    let mut used = 0u64;
    let end = loop {
        let rate = match bracket.next(o) {
            Ok(r) => r,
            Err(end) => break end,
        };
        let n = step_requests(o, rate);
        let expected = Duration::from_secs_f64(n as f64 / rate);
        if used + n > o.max_requests || started.elapsed() + expected > o.max_time {
            break End::Budget;
        }
        let left = o.max_time.saturating_sub(started.elapsed());
        let step = run_step(o, steps.len() as u32, rate, n, left, &mut out)?;
        used += step.stats.requests;
        bracket.record(rate, step.passed);
        eprintln!(
            "llm-probe: step {}: {:.3} req/s offered, {:.3} achieved: {}",
            steps.len(),
            rate,
            step.achieved_rps,
            step.failure().unwrap_or_else(|| "pass".into())
        );
        steps.push(step);
        if runner::interrupted() {
            break End::Interrupted;
        }
    };
    let check = verdict(o, &bracket, &steps, end, used);
    let failed = check.status == CheckStatus::Fail;
    runner::write_record(&mut out, &Record::Check(check))?;
    if end == End::Interrupted {
        return Err(Error::Interrupted);
    }
    Ok(Outcome::from_failed(failed))
}

/// run_step runs one open-loop step, writing its probe records and then its
/// stats record (grouped by step and rate), and judges it.
fn run_step(
    o: &SearchOptions,
    index: u32,
    rate: f64,
    requests: u64,
    time_left: Duration,
    out: &mut RecordWriter<std::io::Stdout>,
) -> Result<Step, Error> {
    let mut run = o.run.clone();
    run.runs = Some(requests);
    // --max-time holds inside a step too: a stalling server cannot stretch it.
    run.duration = Some(time_left);
    if let Load::Open(_, arrival, cap) = o.run.load {
        run.load = Load::Open(rate, arrival, cap);
    }
    run.seed = o.run.seed.wrapping_add(u64::from(index));
    let mut acc = GroupAcc::default();
    let mut itl = Vec::new();
    // A step's unit is the conversation: when each one's first turn ended,
    // and its latency by send order.
    let mut ends: Vec<Instant> = Vec::new();
    let mut by_send: Vec<(u64, f64)> = Vec::new();
    runner::drive(&run, |mut probe| {
        if probe.turn.unwrap_or(0) == 0 {
            ends.push(Instant::now());
            if probe.ok {
                by_send.push((probe.seq, probe.latency_ms));
            }
        }
        probe.step = Some(index);
        probe.rate = Some(rate);
        let record = Record::Probe(Box::new(probe));
        let line = serde_json::to_vec(&record).map_err(|e| Error::input(format!("encoding a record: {e}")))?;
        if let Ok(Parsed::Probe(view, _)) = parse_line(&line, &[], &mut itl) {
            acc.add(&view, false);
        }
        runner::write_record(out, &record)
    })?;
    let group = BTreeMap::from([("step".to_string(), index.to_string()), ("rate".to_string(), rate.to_string())]);
    let stats = acc.to_stats(group, &o.thresholds, 5, false);
    runner::write_record(out, &Record::Stats(Box::new(stats.clone())))?;
    let complete = ends.len() as u64 == requests;
    let achieved_rps = match (ends.first(), ends.last()) {
        (Some(a), Some(b)) if *b > *a => round3((ends.len() - 1) as f64 / (*b - *a).as_secs_f64()),
        _ => 0.0,
    };
    let growth = queue_growth(&mut by_send);
    let too_many_errors = !judges_errors(&o.thresholds) && stats.error_rate_pct > IMPLICIT_ERROR_PCT;
    let passed = complete && growth.is_none() && !too_many_errors && stats.slo.iter().all(|v| v.ok || v.escalation);
    Ok(Step { rate, achieved_rps, stats, complete, queue_growth: growth, too_many_errors, passed })
}

/// queue_growth is (first third's, last third's) median latency, by send
/// order, when latency grew through the step: a server above its capacity
/// queues, and every later request waits longer, even when the step is too
/// short for the queue to break a threshold yet. Growth counts when the last
/// third's median is over the first third's × 1.25 + 10 ms and its lower
/// quartile is over the first third's median too (the wait added exceeds the
/// workload's own spread, so a mix of short and long prompts is not a
/// queue). None when stable, or with fewer than 9 successful requests.
pub fn queue_growth(by_send: &mut [(u64, f64)]) -> Option<(f64, f64)> {
    if by_send.len() < 9 {
        return None;
    }
    by_send.sort_by_key(|p| p.0);
    let third = by_send.len() / 3;
    let quantile = |part: &[(u64, f64)], q: f64| {
        let mut v: Vec<f64> = part.iter().map(|p| p.1).collect();
        v.sort_by(f64::total_cmp);
        v[((v.len() - 1) as f64 * q).round() as usize]
    };
    let (early, late) = (&by_send[..third], &by_send[by_send.len() - third..]);
    let (first, last) = (quantile(early, 0.5), quantile(late, 0.5));
    let grew = last > first * (1.0 + QUEUE_GROWTH) + QUEUE_SLACK_MS && quantile(late, 0.25) > first;
    grew.then(|| (round3(first), round3(last)))
}

/// verdict is the search's final record.
pub fn verdict(o: &SearchOptions, bracket: &Bracket, steps: &[Step], end: End, used: u64) -> Check {
    let first_failure = steps.iter().find(|s| !s.passed).and_then(Step::failure);
    let stand_in = steps.iter().flat_map(|s| s.stats.stand_ins.iter()).next().cloned();
    let thresholds: Vec<&str> = o.thresholds.iter().filter(|t| !t.escalation).map(|t| t.source.as_str()).collect();
    let pass = bracket.pass.map(round3);
    let (status, message) = match (end, pass) {
        (_, None) => (
            CheckStatus::Fail,
            format!(
                "no rate tried held {}: {}",
                thresholds.join(", "),
                first_failure.clone().unwrap_or_else(|| "no step ran within the budget".into())
            ),
        ),
        (End::Bracketed, Some(p)) => (
            CheckStatus::Pass,
            format!(
                "sustainable rate {p} req/s (fails at {} req/s: {})",
                bracket.fail.map(round3).unwrap_or_default(),
                steps.iter().find(|s| Some(s.rate) == bracket.fail).and_then(Step::failure).unwrap_or_default()
            ),
        ),
        (End::MaxReached, Some(p)) => {
            (CheckStatus::Pass, format!("every rate up to --max-rate {p} req/s held; the capacity is higher"))
        }
        (_, Some(p)) => (
            CheckStatus::Warn,
            format!(
                "search stopped early ({}); {p} req/s held, the bracket is wider than {}%",
                if end == End::Interrupted { "interrupted" } else { "--max-time or --max-requests reached" },
                o.precision * 100.0
            ),
        ),
    };
    let target = navikit::redact::redact_url(&o.run.target.base_url).into_owned();
    let mut c = Check::new("llm-probe", CHECK, &target, status, message)
        .observed(json!({
            "sustainable_rps": pass,
            "highest_pass_rps": pass,
            "lowest_fail_rps": bracket.fail.map(round3),
            "first_failure": first_failure,
            "end": format!("{end:?}").to_lowercase(),
            "steps": steps.len(),
            "requests": used,
            "min_requests_per_step": needed_requests(&o.thresholds).max(o.min_requests),
            "curve": steps.iter().map(|s| json!({
                "rate": round3(s.rate), "achieved_rps": s.achieved_rps, "passed": s.passed,
                "queue_building": s.queue_growth.is_some(),
                "p50_ms": s.stats.latency_ms.as_ref().map(|d| d.p50),
                "p95_ms": s.stats.latency_ms.as_ref().map(|d| d.p95),
                "p99_ms": s.stats.latency_ms.as_ref().map(|d| d.p99),
                "success_pct": round3(s.stats.success_pct),
            })).collect::<Vec<_>>(),
        }))
        .expected(json!({"thresholds": thresholds, "precision_pct": o.precision * 100.0}));
    c.stand_in = stand_in;
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_shows_as_latency_growing_through_the_step() {
        // Stationary noise around 100 ms: no queue.
        let mut flat: Vec<(u64, f64)> = (0..30).map(|i| (i, 100.0 + (i % 7) as f64 * 5.0)).collect();
        assert_eq!(queue_growth(&mut flat), None);
        // Each send waits 4 ms longer than the last (sent out of order): a queue.
        let mut rising: Vec<(u64, f64)> = (0..30).rev().map(|i| (i, 100.0 + i as f64 * 4.0)).collect();
        assert_eq!(queue_growth(&mut rising), Some((120.0, 200.0)));
        // A mix of short and long answers, the late third a little slower: its
        // lower quartile is still below the early median, so no queue.
        let mut mixed: Vec<(u64, f64)> =
            (0..30).map(|i| (i, if i % 2 == 0 { 100.0 } else { 1000.0 } + if i >= 20 { 200.0 } else { 0.0 })).collect();
        assert_eq!(queue_growth(&mut mixed), None);
        // Too few to judge.
        let mut few: Vec<(u64, f64)> = (0..8).map(|i| (i, 100.0 * (i + 1) as f64)).collect();
        assert_eq!(queue_growth(&mut few), None);
    }

    fn opts(start: f64, max: f64) -> SearchOptions {
        let a =
            <crate::cli::Cli as clap::Parser>::try_parse_from(["llm-probe", "search", "-t", "p95<1s"]).expect("args");
        let crate::cli::Command::Search(args) = a.command else { panic!("search") };
        SearchOptions { start_rate: start, max_rate: max, ..options(args).expect("options") }
    }

    #[test]
    fn the_bracket_ramps_up_halves_down_bisects_and_stops_within_the_precision() {
        let o = opts(4.0, 100.0);
        let mut b = Bracket { pass: None, fail: None };
        assert_eq!(b.next(&o), Ok(4.0));
        b.record(4.0, true);
        assert_eq!(b.next(&o), Ok(8.0));
        b.record(8.0, true);
        b.record(16.0, false);
        assert_eq!(b.next(&o), Ok(12.0));
        b.record(12.0, false);
        assert_eq!(b.next(&o), Ok(10.0));
        b.record(10.0, true);
        assert_eq!(b.next(&o), Ok(11.0));
        b.record(11.0, true);
        // 12 ≤ 11 × 1.1: bracketed.
        assert_eq!(b.next(&o), Err(End::Bracketed));
        // Down from a failing start, and never below start / 1024.
        let mut down = Bracket { pass: None, fail: Some(4.0) };
        assert_eq!(down.next(&o), Ok(2.0));
        down.record(2.0 / 1024.0, false);
        assert_eq!(down.next(&o), Err(End::NothingPassed));
        // Up to the maximum, then done.
        let mut up = Bracket { pass: Some(64.0), fail: None };
        assert_eq!(up.next(&o), Ok(100.0));
        up.record(100.0, true);
        assert_eq!(up.next(&o), Err(End::MaxReached));
    }

    #[test]
    fn a_step_asks_for_ten_observations_beyond_the_highest_quantile() {
        let t = |e: &str| Threshold::parse(e).expect("threshold");
        assert_eq!(needed_requests(&[t("p95<5s")]), 200);
        assert_eq!(needed_requests(&[t("p90<5s"), t("ttft.p99<1s")]), 1000);
        assert_eq!(needed_requests(&[t("success>99%")]), 1000);
        assert_eq!(needed_requests(&[t("error_rate<5%")]), 200);
        assert_eq!(needed_requests(&[t("p50<1s"), t("cost_per_request<0.02")]), 20);
        let mut e = t("p99<1s");
        e.escalation = true;
        assert_eq!(needed_requests(&[e]), 0);
    }
}
