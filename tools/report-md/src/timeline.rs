//! The server's timeline beside the probe's: probe records (latency, errors,
//! completions per interval) and sample records (`pg-check --sample`,
//! `http-check --sample`) on one time axis, and what moved with the load
//! flagged — a series that rose with the request rate, one that rose during
//! the load and did not fall back after it (a leak, as the plan's weekend
//! found), errors that began partway through.
//!
//! A sample series is summed over its labels except the ones that name a
//! place (`datname`, `namespace`, `pod`), so a leak in one database is not
//! diluted by another's connections; a counter (`…_total`) is shown as its
//! rate per second between readings.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{DateTime, Duration as Span, Utc};
use navikit::record::{Probe, Record, Sample};

use crate::benchmarks::CHART_THEME;

/// PLACE_LABELS are the labels a series keeps; the rest are summed over.
const PLACE_LABELS: [&str; 3] = ["datname", "namespace", "pod"];
/// MAX_BUCKETS bounds the charts' points.
const MAX_BUCKETS: i64 = 30;
/// MAX_CHARTS bounds the series drawn (every series is still judged).
const MAX_CHARTS: usize = 24;
/// CORRELATED is the Pearson correlation above which a series "moved with" the request rate.
const CORRELATED: f64 = 0.7;

/// Series is one sampled series: readings in time order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// Display name, e.g. `pg_connections{datname="navi"}`.
    pub name: String,
    /// A counter, shown as a rate.
    pub counter: bool,
    /// (time, value) readings; counters already turned into rates.
    pub points: Vec<(DateTime<Utc>, f64)>,
}

/// safe keeps a name from outside (a series, a label value) to characters
/// that cannot break a Markdown list or a Mermaid chart, and short.
fn safe(s: &str) -> String {
    s.chars().take(80).map(|c| if c.is_ascii_alphanumeric() || "_:.-/ =,".contains(c) { c } else { '_' }).collect()
}

/// series groups sample records into series (readings that are not finite
/// numbers are left out). The same series read from two targets stays two
/// series, named with their target.
pub fn series(samples: &[&Sample]) -> Vec<Series> {
    let targets_of = |name: &str| {
        samples
            .iter()
            .filter(|s| s.series == name)
            .map(|s| s.target.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    let mut by: BTreeMap<String, BTreeMap<DateTime<Utc>, f64>> = BTreeMap::new();
    let mut several: BTreeMap<String, bool> = BTreeMap::new();
    for s in samples.iter().filter(|s| s.value.is_finite()) {
        let place: Vec<String> =
            PLACE_LABELS.iter().filter_map(|k| s.labels.get(*k).map(|v| format!("{k}=\"{}\"", safe(v)))).collect();
        let mut name =
            if place.is_empty() { safe(&s.series) } else { format!("{}{{{}}}", safe(&s.series), place.join(",")) };
        if *several.entry(s.series.clone()).or_insert_with(|| targets_of(&s.series) > 1) {
            name = format!("{name} on {}", safe(&s.target));
        }
        *by.entry(name).or_default().entry(s.ts).or_insert(0.0) += s.value;
    }
    by.into_iter()
        .map(|(name, readings)| {
            let counter = name.split(['{', ' ']).next().is_some_and(|n| n.ends_with("_total"));
            let raw: Vec<(DateTime<Utc>, f64)> = readings.into_iter().collect();
            let points = if counter {
                raw.windows(2)
                    .filter_map(|w| {
                        let secs = (w[1].0 - w[0].0).num_milliseconds() as f64 / 1000.0;
                        // A counter that went down was reset: no rate for that gap.
                        (secs > 0.0 && w[1].1 >= w[0].1).then(|| (w[1].0, (w[1].1 - w[0].1) / secs))
                    })
                    .collect()
            } else {
                raw
            };
            Series { name, counter, points }
        })
        .collect()
}

/// Load is when the probe's requests were in flight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Load {
    /// The first request's start.
    pub start: DateTime<Utc>,
    /// The last request's end.
    pub end: DateTime<Utc>,
}

/// load is the span the probe records cover (a record's `ts` is its end).
pub fn load(probes: &[&Probe]) -> Option<Load> {
    let start = probes
        .iter()
        .filter_map(|p| p.ts.checked_sub_signed(Span::microseconds((p.latency_ms * 1000.0).min(1e15) as i64)))
        .min()?;
    let end = probes.iter().map(|p| p.ts).max()?;
    Some(Load { start, end })
}

/// flags says what moved with the load, one sentence each.
pub fn flags(probes: &[&Probe], all: &[Series], load: Option<Load>, buckets: &Buckets) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(l) = load {
        for s in all.iter().filter(|s| !s.counter) {
            let before: Vec<f64> = s.points.iter().filter(|(t, _)| *t < l.start).map(|p| p.1).collect();
            let during: Vec<f64> = s.points.iter().filter(|(t, _)| *t >= l.start && *t <= l.end).map(|p| p.1).collect();
            let after: Vec<f64> = s.points.iter().filter(|(t, _)| *t > l.end).map(|p| p.1).collect();
            // The peak counts readings after the load too: the last leaked
            // connection may land just after the last response.
            let peak = during.iter().chain(&after).copied().reduce(f64::max).filter(|_| !during.is_empty());
            let (Some(&first), Some(peak)) = (before.first().or(during.first()), peak) else {
                continue;
            };
            let base = if before.is_empty() { first } else { before.iter().sum::<f64>() / before.len() as f64 };
            let rise = peak - base;
            if rise < 2.0_f64.max(0.2 * base) {
                continue;
            }
            match after.last() {
                Some(&last) if last - base >= 0.5 * rise => out.push(format!(
                    "**{}** rose from {} to {} with the load and was still {} after it ended: it did not fall back — a leak?",
                    s.name,
                    num(base),
                    num(peak),
                    num(last)
                )),
                Some(_) => {}
                None => out.push(format!(
                    "**{}** rose from {} to {} with the load; no reading after the load, so whether it fell back is unknown",
                    s.name,
                    num(base),
                    num(peak)
                )),
            }
        }
    }
    let rate = &buckets.completions_per_s;
    for s in all {
        let values: Vec<Option<f64>> = buckets.mean_of(s);
        let pairs: Vec<(f64, f64)> =
            rate.iter().zip(&values).filter_map(|(r, v)| Some((*r, (*v)?))).filter(|(r, _)| r.is_finite()).collect();
        let (lo, hi) = pairs.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
        if pairs.len() >= 4
            && hi - lo > 0.2 * hi.abs().max(1e-9)
            && let Some(r) = pearson(&pairs)
            && r >= CORRELATED
        {
            out.push(format!(
                "**{}** moved with the request rate (correlation {r:.2} over {} intervals)",
                s.name,
                pairs.len()
            ));
        }
    }
    let mut clean_before = false;
    for (i, e) in buckets.errors.iter().enumerate() {
        match e {
            0 if buckets.completions[i] > 0 => clean_before = true,
            n if *n > 0 && clean_before => {
                let at = buckets.start + buckets.width * i as i32;
                let step = probes
                    .iter()
                    .filter(|p| !p.ok && p.ts >= at)
                    .min_by_key(|p| p.ts)
                    .and_then(|p| p.rate)
                    .map(|r| format!(", at the step offered {} req/s", num(r)))
                    .unwrap_or_default();
                out.push(format!(
                    "errors began at +{} s ({}){step}, after a clean start",
                    (at - buckets.start).num_seconds(),
                    at.format("%H:%M:%S")
                ));
                break;
            }
            _ => {}
        }
    }
    out
}

fn pearson(pairs: &[(f64, f64)]) -> Option<f64> {
    let n = pairs.len() as f64;
    let (mx, my) = (pairs.iter().map(|p| p.0).sum::<f64>() / n, pairs.iter().map(|p| p.1).sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx).powi(2);
        syy += (y - my).powi(2);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

fn num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 { format!("{v:.0}") } else { format!("{v:.2}") }
}

/// Buckets are the timeline's intervals with the probe's numbers per interval.
#[derive(Debug, Clone)]
pub struct Buckets {
    /// Start of the first interval.
    pub start: DateTime<Utc>,
    /// Interval length.
    pub width: Span,
    /// Completions per interval.
    pub completions: Vec<u64>,
    /// Completions per second per interval.
    pub completions_per_s: Vec<f64>,
    /// Failed requests per interval.
    pub errors: Vec<u64>,
    /// p95 latency of successful requests per interval (ms).
    pub p95_ms: Vec<Option<f64>>,
}

impl Buckets {
    /// Buckets::new lays intervals over the whole window.
    pub fn new(probes: &[&Probe], samples: &[&Sample]) -> Option<Buckets> {
        let times = probes.iter().map(|p| p.ts).chain(samples.iter().map(|s| s.ts));
        let (start, end) = times.fold(None, |acc: Option<(DateTime<Utc>, DateTime<Utc>)>, t| {
            Some(acc.map_or((t, t), |(a, b)| (a.min(t), b.max(t))))
        })?;
        let window = (end - start).num_seconds().max(1);
        let width_s = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600]
            .into_iter()
            .find(|w| window / w < MAX_BUCKETS)
            .unwrap_or(window / MAX_BUCKETS + 1);
        let width = Span::seconds(width_s);
        let n = (window / width_s + 1) as usize;
        let index =
            |t: DateTime<Utc>| (((t - start).num_milliseconds() / 1000) / width_s).clamp(0, n as i64 - 1) as usize;
        let (mut completions, mut errors, mut lat) = (vec![0u64; n], vec![0u64; n], vec![Vec::new(); n]);
        for p in probes {
            let i = index(p.ts);
            completions[i] += 1;
            if p.ok {
                lat[i].push(p.latency_ms);
            } else {
                errors[i] += 1;
            }
        }
        let p95_ms = lat
            .into_iter()
            .map(|mut v| {
                v.sort_by(f64::total_cmp);
                (!v.is_empty()).then(|| v[((v.len() as f64 * 0.95).ceil() as usize).clamp(1, v.len()) - 1])
            })
            .collect();
        let completions_per_s = completions.iter().map(|c| *c as f64 / width_s as f64).collect();
        Some(Buckets { start, width, completions, completions_per_s, errors, p95_ms })
    }

    /// Buckets::mean_of is a series' mean reading per interval.
    pub fn mean_of(&self, s: &Series) -> Vec<Option<f64>> {
        let n = self.completions.len();
        let mut sums = vec![(0.0, 0u32); n];
        for (t, v) in &s.points {
            let i =
                ((*t - self.start).num_milliseconds() / self.width.num_milliseconds().max(1)).clamp(0, n as i64 - 1);
            sums[i as usize].0 += v;
            sums[i as usize].1 += 1;
        }
        sums.into_iter().map(|(s, c)| (c > 0).then(|| s / c as f64)).collect()
    }

    fn labels(&self) -> String {
        (0..self.completions.len())
            .map(|i| format!("\"+{}s\"", (self.width * i as i32).num_seconds()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// line_chart draws one measure over the intervals (gaps carried as the last value).
fn line_chart(b: &Buckets, title: &str, unit: &str, values: &[Option<f64>]) -> String {
    let mut last = 0.0;
    let filled: Vec<String> = values
        .iter()
        .map(|v| {
            last = v.unwrap_or(last);
            format!("{last:.2}")
        })
        .collect();
    let top = values.iter().flatten().copied().fold(0.0, f64::max);
    format!(
        "```mermaid\n{CHART_THEME}\nxychart-beta\n    title \"{}\"\n    x-axis [{}]\n    y-axis \"{}\" 0 --> {:.2}\n    line [{}]\n```\n",
        title.replace('"', "'"),
        b.labels(),
        unit.replace('"', "'"),
        top * 1.1 + 1.0,
        filled.join(", ")
    )
}

/// section renders the timeline, or nothing when there are no samples.
pub fn section(records: &[Record]) -> Option<String> {
    let probes: Vec<&Probe> =
        records.iter().filter_map(|r| if let Record::Probe(p) = r { Some(p.as_ref()) } else { None }).collect();
    let samples: Vec<&Sample> =
        records.iter().filter_map(|r| if let Record::Sample(s) = r { Some(s) } else { None }).collect();
    if samples.is_empty() {
        return None;
    }
    // Only the probes of the watched load: other runs in the same input
    // (a capacity search, Tuesday's) are not this timeline's load.
    let (first, last) = (samples.iter().map(|s| s.ts).min()?, samples.iter().map(|s| s.ts).max()?);
    let probes: Vec<&Probe> = probes.into_iter().filter(|p| p.ts >= first && p.ts <= last).collect();
    let buckets = Buckets::new(&probes, &samples)?;
    let all = series(&samples);
    let window = load(&probes);
    let mut md = String::from("## Server timeline during the load\n\n");
    let tools: std::collections::BTreeSet<&str> = samples.iter().map(|s| s.tool.as_str()).collect();
    let _ = writeln!(
        md,
        "{} samples from {} beside {} probe records, in {}-second intervals from {}.",
        samples.len(),
        tools.into_iter().collect::<Vec<_>>().join(", "),
        probes.len(),
        buckets.width.num_seconds(),
        buckets.start.format("%Y-%m-%d %H:%M:%S UTC")
    );
    if let Some(l) = window {
        let _ = writeln!(
            md,
            "The load ran from +{} s to +{} s.",
            (l.start - buckets.start).num_seconds(),
            (l.end - buckets.start).num_seconds()
        );
    }
    let stand_ins: std::collections::BTreeSet<&str> = samples.iter().filter_map(|s| s.stand_in.as_deref()).collect();
    if !stand_ins.is_empty() {
        let _ = writeln!(
            md,
            "\n**Stand-in:** these samples were read from stand-ins that declared themselves ({}); they show the method, not the staging servers.",
            stand_ins.into_iter().map(crate::cell).collect::<Vec<_>>().join(", ")
        );
    }
    let found = flags(&probes, &all, window, &buckets);
    let _ = writeln!(md, "\n### What moved with the load\n");
    if found.is_empty() {
        let _ = writeln!(
            md,
            "Nothing: no sampled series rose with the load or stayed up after it, and no errors began partway.\n"
        );
    } else {
        for f in &found {
            let _ = writeln!(md, "- {}", crate::one_line(f));
        }
        let _ = writeln!(md);
    }
    if !probes.is_empty() {
        let rate: Vec<Option<f64>> = buckets.completions_per_s.iter().map(|v| Some(*v)).collect();
        let _ = writeln!(md, "{}", line_chart(&buckets, "completions per second", "req/s", &rate));
        let _ =
            writeln!(md, "{}", line_chart(&buckets, "p95 latency of successful requests (ms)", "ms", &buckets.p95_ms));
        let err: Vec<Option<f64>> = buckets
            .errors
            .iter()
            .zip(&buckets.completions)
            .map(|(e, c)| (*c > 0).then(|| *e as f64 * 100.0 / *c as f64))
            .collect();
        let _ = writeln!(md, "{}", line_chart(&buckets, "error rate (%)", "%", &err));
    }
    if all.len() > MAX_CHARTS {
        let _ = writeln!(md, "_{} series sampled; the first {MAX_CHARTS} are drawn._\n", all.len());
    }
    for s in all.iter().take(MAX_CHARTS) {
        let unit = if s.counter { "per second" } else { "value" };
        let title = if s.counter { format!("{} (rate per second)", s.name) } else { s.name.clone() };
        let _ = writeln!(md, "{}", line_chart(&buckets, &title, unit, &buckets.mean_of(s)));
    }
    Some(md)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_800_000_000 + s, 0).expect("a time")
    }

    fn sample(s: i64, series: &str, labels: &[(&str, &str)], value: f64) -> Sample {
        Sample {
            ts: at(s),
            tool: "pg-check".into(),
            target: String::new(),
            series: series.into(),
            labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            value,
            stand_in: None,
        }
    }

    fn probe(s: i64, ok: bool) -> Probe {
        Probe { ts: at(s), ok, latency_ms: 100.0, ..Probe::default() }
    }

    /// connections: a gauge read every second from 0 to 29, the load from 10 to 19.
    fn connections(during: fn(i64) -> f64, after: f64) -> Vec<Sample> {
        (0..30)
            .map(|s| {
                let v = match s {
                    ..10 => 2.0,
                    10..20 => during(s),
                    _ => after,
                };
                sample(s, "pg_connections", &[("datname", "navi"), ("state", "idle")], v)
            })
            .collect()
    }

    fn run(samples: &[Sample], probes: &[Probe]) -> Vec<String> {
        let (s, p): (Vec<&Sample>, Vec<&Probe>) = (samples.iter().collect(), probes.iter().collect());
        let b = Buckets::new(&p, &s).expect("buckets");
        flags(&p, &series(&s), load(&p), &b)
    }

    /// rises keeps the flags about a rise (not the ones about the rate).
    fn rises(flags: Vec<String>) -> Vec<String> {
        flags.into_iter().filter(|f| f.contains(" rose from ")).collect::<Vec<_>>()
    }

    fn steady_load() -> Vec<Probe> {
        (10..20).flat_map(|s| [probe(s, true), probe(s, true)]).collect()
    }

    #[test]
    fn a_gauge_that_stays_up_after_the_load_is_a_leak_and_one_that_falls_back_is_not() {
        let leak = rises(run(&connections(|s| (s - 8) as f64 * 2.0, 22.0), &steady_load()));
        assert_eq!(
            leak,
            [
                "**pg_connections{datname=\"navi\"}** rose from 2 to 22 with the load and was still 22 after it ended: it did not fall back — a leak?"
            ]
        );
        let recovered = run(&connections(|s| (s - 8) as f64 * 2.0, 2.0), &steady_load());
        assert_eq!(rises(recovered.clone()), Vec::<String>::new());
        // It did move with the load, and that is said.
        assert_eq!(recovered.len(), 1, "{recovered:?}");
        assert!(recovered[0].contains("moved with the request rate"), "{recovered:?}");
        // A rise below max(2, 20 % of the level) is noise.
        assert!(rises(run(&connections(|_| 3.0, 3.0), &steady_load())).is_empty());
    }

    #[test]
    fn without_a_reading_after_the_load_it_says_it_cannot_tell() {
        let samples: Vec<Sample> = connections(|s| (s - 8) as f64, 0.0).into_iter().filter(|s| s.ts < at(20)).collect();
        let mut probes = steady_load();
        probes.push(probe(25, true));
        assert_eq!(
            rises(run(&samples, &probes)),
            [
                "**pg_connections{datname=\"navi\"}** rose from 2 to 11 with the load; no reading after the load, so whether it fell back is unknown"
            ]
        );
    }

    #[test]
    fn counters_become_rates_labels_sum_except_places_and_resets_leave_a_gap() {
        let samples = [
            sample(0, "http_requests_total", &[("path", "/a")], 10.0),
            sample(0, "http_requests_total", &[("path", "/b")], 5.0),
            sample(2, "http_requests_total", &[("path", "/a")], 14.0),
            sample(2, "http_requests_total", &[("path", "/b")], 7.0),
            sample(3, "http_requests_total", &[("path", "/a")], 1.0),
            sample(4, "http_requests_total", &[("path", "/a")], 4.0),
        ];
        let s = series(&samples.iter().collect::<Vec<_>>());
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].name.as_str(), s[0].counter), ("http_requests_total", true));
        assert_eq!(s[0].points, [(at(2), 3.0), (at(4), 3.0)]);
    }

    #[test]
    fn a_series_that_follows_the_rate_and_errors_that_begin_partway_are_named() {
        // Completions per second 1, 2, 3, 4 then 1 again; the gauge follows them.
        let mut probes = Vec::new();
        let mut samples = Vec::new();
        for (s, n) in [(0i64, 1), (1, 2), (2, 3), (3, 4), (4, 1), (5, 2)] {
            for _ in 0..n {
                probes.push(probe(s, s < 4));
            }
            samples.push(sample(s, "queue_depth", &[], n as f64 * 10.0));
        }
        let found = run(&samples, &probes);
        assert!(
            found.contains(
                &"**queue_depth** moved with the request rate (correlation 1.00 over 6 intervals)".to_string()
            ),
            "{found:?}"
        );
        let began = found.iter().find(|f| f.starts_with("errors began")).expect("errors began");
        assert!(began.starts_with("errors began at +4 s ("), "{began}");
    }
}
