//! `latency-stats --baseline FILE`: did this run regress against a baseline?
//!
//! Per group present in both runs, each metric gets a point difference, an
//! interval, and a verdict: `regressed` (check status `fail`), `improved` or
//! `no significant change` (`pass`), or `skip` when either run lacks it.
//!
//! Percentiles (latency p50/p95/p99, TTFT p95): a rank bootstrap on the HDR
//! histograms. Resampling n values and taking the p-quantile picks the
//! original value of rank k with k ~ Binomial(n, p) (the order statistic a
//! bootstrap sample's quantile lands on); k is drawn from its normal
//! approximation and read off the histogram's cumulative counts, for each
//! run independently, and the difference of the two draws is one bootstrap
//! replicate. 4,000 seeded replicates give the percentile interval. This
//! needs no per-request data, so a committed baseline of `--histograms`
//! stats (a few kilobytes) is enough, and it costs O(log n) per replicate.
//!
//! Success rate: Newcombe's hybrid score interval for a difference of two
//! proportions (from the two Wilson intervals), which stays inside [−100,
//! 100] points and behaves at 0 or 100 % where the Wald interval does not.
//!
//! Cost per request: the stats keep only its sum, so it has no interval and
//! is judged against its tolerance alone (it moves with prices and output
//! length, not with sampling noise).
//!
//! A verdict needs both: the interval excludes no change (significant) and
//! the point change is beyond the tolerance (material). The intervals are
//! Bonferroni-adjusted over the metrics judged, so a whole comparison of two
//! runs from one distribution says "no significant change" at least 95 % of
//! the time, not each metric separately.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use navikit::record::{Check, CheckStatus};
use navikit::rng::Rng;
use navikit::threshold::{Field, Metric, Stat};
use serde_json::json;

use crate::accumulate::{GroupAcc, reported};

/// REPLICATES is the number of bootstrap replicates per metric.
pub const REPLICATES: usize = 4000;
/// CONFIDENCE is the family-wise confidence of one comparison.
pub const CONFIDENCE: f64 = 0.95;

/// Compared is one metric of a comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Compared {
    /// A percentile of a time field (lower is better).
    Percentile(Field, f64),
    /// Success rate in percent (higher is better).
    Success,
    /// Mean cost per request (lower is better).
    Cost,
}

/// COMPARED lists what a comparison looks at, in report order.
pub const COMPARED: [Compared; 6] = [
    Compared::Percentile(Field::Latency, 50.0),
    Compared::Percentile(Field::Latency, 95.0),
    Compared::Percentile(Field::Latency, 99.0),
    Compared::Percentile(Field::Ttft, 95.0),
    Compared::Success,
    Compared::Cost,
];

impl Compared {
    /// Compared::name is the metric's name, as thresholds spell it (`latency_ms.p95`).
    pub fn name(self) -> String {
        match self {
            Compared::Percentile(f, q) => Metric::Dist(f, Stat::Percentile(q)).name(),
            Compared::Success => Metric::SuccessPct.name(),
            Compared::Cost => Metric::CostPerRequest.name(),
        }
    }

    /// Compared::key is the short name `--tolerance` takes (`p95`, `ttft.p95`, `success`, `cost`).
    pub fn key(self) -> String {
        match self {
            Compared::Percentile(Field::Latency, q) => format!("p{q}"),
            Compared::Percentile(f, q) => format!("{}.p{q}", f.record_name().trim_end_matches("_ms")),
            Compared::Success => "success".into(),
            Compared::Cost => "cost".into(),
        }
    }
}

/// Tolerances are the smallest changes that count: percent of the baseline
/// for percentiles and cost, percentage points for the success rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Tolerances(pub BTreeMap<String, f64>);

impl Default for Tolerances {
    fn default() -> Self {
        let mut m: BTreeMap<String, f64> = COMPARED.iter().map(|c| (c.key(), 5.0)).collect();
        m.insert(Compared::Success.key(), 0.5);
        Tolerances(m)
    }
}

impl Tolerances {
    /// Tolerances::parse reads `--tolerance` values: `p95=10%`, `success=1`,
    /// or a bare `10%` for every percentile and the cost.
    pub fn parse(specs: &[String]) -> Result<Tolerances, String> {
        let mut t = Tolerances::default();
        for spec in specs {
            let (key, value) = match spec.split_once('=') {
                Some((k, v)) => (Some(k.trim()), v),
                None => (None, spec.as_str()),
            };
            let v: f64 = value
                .trim()
                .trim_end_matches('%')
                .trim()
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && (0.0..=1000.0).contains(v))
                .ok_or_else(|| format!("--tolerance `{spec}`: the value is not a percentage from 0 to 1000"))?;
            match key {
                None => t.0.iter_mut().filter(|(k, _)| k.as_str() != "success").for_each(|(_, x)| *x = v),
                Some(k) if t.0.contains_key(k) => {
                    t.0.insert(k.to_string(), v);
                }
                Some(k) => {
                    let known: Vec<&str> = t.0.keys().map(String::as_str).collect();
                    return Err(format!("--tolerance `{spec}`: unknown metric `{k}` (one of {})", known.join(", ")));
                }
            }
        }
        Ok(t)
    }

    fn of(&self, c: Compared) -> f64 {
        self.0.get(&c.key()).copied().unwrap_or(5.0)
    }
}

/// Ranked is a histogram's cumulative counts, for reading a value by rank.
struct Ranked {
    cum: Vec<u64>,
    values: Vec<f64>,
}

impl Ranked {
    fn new(h: &Histogram<u64>) -> Ranked {
        let (mut cum, mut values, mut total) = (Vec::new(), Vec::new(), 0u64);
        for v in h.iter_recorded() {
            total += v.count_at_value();
            cum.push(total);
            values.push(reported(h, v.value_iterated_to()));
        }
        Ranked { cum, values }
    }

    fn n(&self) -> u64 {
        self.cum.last().copied().unwrap_or(0)
    }

    /// at_rank is the value of the rank-th smallest observation (from 1).
    fn at_rank(&self, rank: u64) -> f64 {
        let i = self.cum.partition_point(|&c| c < rank).min(self.values.len().saturating_sub(1));
        self.values.get(i).copied().unwrap_or(0.0)
    }

    /// draw is one bootstrap replicate of the q-quantile.
    fn draw(&self, q: f64, rng: &mut Rng) -> f64 {
        let n = self.n() as f64;
        let rank = n * q + (n * q * (1.0 - q)).sqrt() * rng.normal();
        self.at_rank(rank.ceil().clamp(1.0, n) as u64)
    }
}

/// Change is the comparison of one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The metric.
    pub metric: Compared,
    /// Baseline and current values.
    pub baseline: f64,
    /// Current value.
    pub current: f64,
    /// current − baseline, in the metric's unit.
    pub delta: f64,
    /// The interval of the difference, when the metric has one.
    pub interval: Option<(f64, f64)>,
    /// The change that counts, in percent of the baseline (points for success).
    pub tolerance: f64,
    /// `regressed`, `improved` or `no significant change`.
    pub verdict: &'static str,
}

/// VERDICTS are the three outcomes.
pub const REGRESSED: &str = "regressed";
/// IMPROVED: significantly and materially better.
pub const IMPROVED: &str = "improved";
/// NO_CHANGE: neither.
pub const NO_CHANGE: &str = "no significant change";

/// Compared is one metric's outcome: a change, or why it could not be judged.
pub type Outcome = (Compared, Result<Change, String>);

/// compare judges every metric either group has; `alpha` is split over the
/// ones judged. A metric neither run has (TTFT without streaming) is left
/// out; one that only one run has, or a percentile with fewer requests than
/// 10 / (1 − q) on either side (too few beyond the quantile to bootstrap it),
/// comes back as the reason it was not judged.
pub fn compare(base: &GroupAcc, cur: &GroupAcc, tol: &Tolerances, seed: u64) -> Vec<Outcome> {
    let verdicts: Vec<(Compared, Judgeable)> = COMPARED
        .iter()
        .filter(|c| value(base, **c).is_some() || value(cur, **c).is_some())
        .map(|&c| (c, judgeable(base, cur, c)))
        .collect();
    let judged = verdicts.iter().filter(|(_, v)| v.is_ok()).count().max(1);
    let alpha = (1.0 - CONFIDENCE) / judged as f64;
    let mut rng = Rng::new(seed);
    verdicts
        .into_iter()
        .map(|(c, v)| (c, v.map(|(b, x)| judge(c, base, cur, b, x, alpha, tol.of(c), &mut rng))))
        .collect()
}

/// Judgeable is both runs' values of a metric, or why it cannot be judged.
type Judgeable = Result<(f64, f64), String>;

/// judgeable is both runs' values of a metric, or why it cannot be judged.
fn judgeable(base: &GroupAcc, cur: &GroupAcc, c: Compared) -> Judgeable {
    let (Some(b), Some(v)) = (value(base, c), value(cur, c)) else {
        return Err(format!(
            "{} is missing from the {} run",
            c.name(),
            if value(base, c).is_none() { "baseline" } else { "current" }
        ));
    };
    if let Compared::Percentile(f, q) = c {
        let need = (10.0 / (1.0 - q / 100.0) - 1e-6).ceil() as u64;
        let n = |acc: &GroupAcc| acc.histogram(f).map_or(0, |h| h.len());
        let least = n(base).min(n(cur));
        if least < need {
            return Err(format!(
                "{}: {least} values in the smaller run, {need} needed to judge p{q} (ten beyond it)",
                c.name()
            ));
        }
    }
    Ok((b, v))
}

fn value(acc: &GroupAcc, c: Compared) -> Option<f64> {
    match c {
        Compared::Percentile(f, q) => acc.value(&Metric::Dist(f, Stat::Percentile(q))),
        Compared::Success => acc.value(&Metric::SuccessPct),
        Compared::Cost => acc.value(&Metric::CostPerRequest),
    }
}

#[allow(clippy::too_many_arguments)]
fn judge(
    c: Compared,
    base: &GroupAcc,
    cur: &GroupAcc,
    b: f64,
    v: f64,
    alpha: f64,
    tolerance: f64,
    rng: &mut Rng,
) -> Change {
    let delta = v - b;
    let interval = match c {
        Compared::Percentile(f, q) => match (base.histogram(f), cur.histogram(f)) {
            (Some(hb), Some(hc)) => Some(bootstrap(&Ranked::new(hb), &Ranked::new(hc), q / 100.0, alpha, rng)),
            _ => None,
        },
        Compared::Success => {
            let z = z_two_sided(alpha);
            Some(newcombe((base.ok, base.requests), (cur.ok, cur.requests), z))
        }
        Compared::Cost => None,
    };
    // Success is in points and higher is better; the rest relative, lower better.
    let (worse, material) = match c {
        Compared::Success => (-delta, delta.abs() > tolerance),
        _ => (delta, b > 0.0 && (delta / b * 100.0).abs() > tolerance || b == 0.0 && delta != 0.0),
    };
    let significant = match interval {
        Some((lo, hi)) => lo > 0.0 || hi < 0.0,
        None => true,
    };
    let verdict = match (significant && material, worse > 0.0) {
        (true, true) => REGRESSED,
        (true, false) => IMPROVED,
        _ => NO_CHANGE,
    };
    Change { metric: c, baseline: b, current: v, delta, interval, tolerance, verdict }
}

/// bootstrap is the (1 − alpha) percentile interval of current − baseline
/// for the q-quantile.
fn bootstrap(base: &Ranked, cur: &Ranked, q: f64, alpha: f64, rng: &mut Rng) -> (f64, f64) {
    let mut diffs: Vec<f64> = (0..REPLICATES).map(|_| cur.draw(q, rng) - base.draw(q, rng)).collect();
    diffs.sort_by(f64::total_cmp);
    let at = |p: f64| diffs[((p * REPLICATES as f64) as usize).min(REPLICATES - 1)];
    (round3(at(alpha / 2.0)), round3(at(1.0 - alpha / 2.0)))
}

/// wilson is the Wilson score interval of x successes in n, as fractions.
fn wilson(x: u64, n: u64, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (n, p) = (n as f64, x as f64 / n as f64);
    let d = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / d;
    let half = z / d * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// newcombe is the hybrid score interval of p_current − p_baseline, in points.
fn newcombe(base: (u64, u64), cur: (u64, u64), z: f64) -> (f64, f64) {
    let p = |(x, n): (u64, u64)| if n == 0 { 0.0 } else { x as f64 / n as f64 };
    let (p1, p2) = (p(base), p(cur));
    let ((l1, u1), (l2, u2)) = (wilson(base.0, base.1, z), wilson(cur.0, cur.1, z));
    let d = p2 - p1;
    let lo = d - ((p2 - l2).powi(2) + (u1 - p1).powi(2)).sqrt();
    let hi = d + ((u2 - p2).powi(2) + (p1 - l1).powi(2)).sqrt();
    (round3(lo * 100.0), round3(hi * 100.0))
}

/// z_two_sided is the standard normal quantile 1 − alpha/2 (Acklam's
/// rational approximation, relative error below 1.2e-9).
pub fn z_two_sided(alpha: f64) -> f64 {
    let p = 1.0 - alpha / 2.0;
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] =
        [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
    if p > 1.0 - 0.02425 {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// CHECK_PREFIX names the comparison's check records: `stats.compare.latency_ms.p95`.
pub const CHECK_PREFIX: &str = "stats.compare.";

/// to_checks turns one group's comparison into check records: `fail` for a
/// regression, `pass` otherwise, `skip` when either run lacks the metric.
pub fn to_checks(group: &str, changes: &[Outcome], counts: (u64, u64), stand_in: Option<String>) -> Vec<Check> {
    changes
        .iter()
        .map(|(c, change)| {
            let name = format!("{CHECK_PREFIX}{}", c.name());
            let mut check = match change {
                Err(why) => Check::new("latency-stats", &name, group, CheckStatus::Skip, why.clone()),
                Ok(ch) => {
                    let status = if ch.verdict == REGRESSED { CheckStatus::Fail } else { CheckStatus::Pass };
                    let pct = (ch.baseline != 0.0).then(|| round3(ch.delta / ch.baseline * 100.0));
                    // Costs are fractions of a cent: keep six decimals.
                    let round3 = |x: f64| if *c == Compared::Cost { (x * 1e6).round() / 1e6 } else { round3(x) };
                    let unit = if *c == Compared::Success { " points" } else { "" };
                    let message = format!(
                        "{}: {} → {} ({:+}{unit}{}): {}",
                        c.name(),
                        round3(ch.baseline),
                        round3(ch.current),
                        round3(ch.delta),
                        match (pct, *c == Compared::Success) {
                            (Some(p), false) => format!(", {p:+}%"),
                            _ => String::new(),
                        },
                        ch.verdict
                    );
                    Check::new("latency-stats", &name, group, status, message)
                        .observed(json!({
                            "baseline": round3(ch.baseline),
                            "current": round3(ch.current),
                            "delta": round3(ch.delta),
                            "delta_pct": pct,
                            "interval": ch.interval.map(|(lo, hi)| [lo, hi]),
                            "verdict": ch.verdict,
                            "baseline_requests": counts.0,
                            "current_requests": counts.1,
                        }))
                        .expected(json!({"tolerance": ch.tolerance, "confidence_pct": CONFIDENCE * 100.0}))
                }
            };
            check.stand_in = stand_in.clone();
            check
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accumulate::ProbeView;

    fn field(f: Field) -> usize {
        Field::ALL.iter().position(|&x| x == f).expect("a field")
    }

    /// run draws n requests: lognormal latency around 200 ms × scale, TTFT a
    /// fifth of it, a failure with probability `fail`.
    fn run(rng: &mut Rng, n: usize, scale: f64, fail: f64) -> GroupAcc {
        let mut acc = GroupAcc::default();
        for _ in 0..n {
            let mut v = ProbeView { ok: rng.unit() >= fail, ..ProbeView::default() };
            let x = rng.lognormal(200.0, 0.5) * scale;
            v.values[field(Field::Latency)] = Some(x);
            v.values[field(Field::Ttft)] = Some(x / 5.0);
            v.cost_usd = Some(0.002);
            acc.add(&v, false);
        }
        acc
    }

    fn verdicts(b: &GroupAcc, c: &GroupAcc, seed: u64) -> Vec<(String, &'static str)> {
        compare(b, c, &Tolerances::default(), seed)
            .into_iter()
            .map(|(m, ch)| (m.key(), ch.map_or("none", |ch| ch.verdict)))
            .collect()
    }

    #[test]
    fn same_distribution_pairs_are_no_significant_change_in_95_percent_of_trials() {
        let mut rng = Rng::new(42);
        let trials: usize = 200;
        let quiet = (0..trials)
            .filter(|&t| {
                let (b, c) = (run(&mut rng, 2000, 1.0, 0.01), run(&mut rng, 2000, 1.0, 0.01));
                verdicts(&b, &c, t as u64).iter().all(|(_, v)| *v == NO_CHANGE)
            })
            .count();
        assert!(quiet * 100 >= trials * 95, "{quiet} of {trials} trials without a verdict");
    }

    #[test]
    fn a_20_percent_shift_is_a_regression_of_every_percentile_in_95_percent_of_trials() {
        let mut rng = Rng::new(7);
        let trials: usize = 100;
        let mut caught: BTreeMap<String, usize> = BTreeMap::new();
        for t in 0..trials {
            let (b, c) = (run(&mut rng, 5000, 1.0, 0.0), run(&mut rng, 5000, 1.2, 0.0));
            for (k, v) in verdicts(&b, &c, t as u64) {
                *caught.entry(k).or_default() += usize::from(v == REGRESSED);
            }
        }
        for k in ["p50", "p95", "p99", "ttft.p95"] {
            assert!(caught[k] * 100 >= trials * 95, "{k}: {} of {trials}", caught[k]);
        }
        assert_eq!((caught["success"], caught["cost"]), (0, 0), "{caught:?}");
        // And the other way round it is an improvement, never a regression.
        let (b, c) = (run(&mut rng, 5000, 1.2, 0.0), run(&mut rng, 5000, 1.0, 0.0));
        let v = verdicts(&b, &c, 1);
        assert_eq!(v[0], ("p50".to_string(), IMPROVED), "{v:?}");
    }

    #[test]
    fn a_success_drop_from_99_to_97_percent_regresses_and_cost_uses_its_tolerance() {
        let mut rng = Rng::new(3);
        let (b, c) = (run(&mut rng, 5000, 1.0, 0.01), run(&mut rng, 5000, 1.0, 0.03));
        let changes = compare(&b, &c, &Tolerances::default(), 1);
        let success =
            changes.iter().find(|(m, _)| *m == Compared::Success).and_then(|(_, c)| c.clone().ok()).expect("success");
        assert_eq!(success.verdict, REGRESSED);
        let (lo, hi) = success.interval.expect("an interval");
        assert!(lo < success.delta && success.delta < hi && hi < 0.0, "{success:?}");
        // Within the tolerance: a 0.3-point drop is no verdict even if significant.
        let tol = Tolerances::parse(&["success=5".into()]).expect("tolerance");
        let relaxed = compare(&b, &c, &tol, 1);
        assert!(relaxed.iter().all(|(_, c)| c.as_ref().is_ok_and(|c| c.verdict == NO_CHANGE)), "{relaxed:?}");
    }

    #[test]
    fn percentiles_too_thin_to_bootstrap_are_skipped_with_the_count_they_need() {
        let mut rng = Rng::new(5);
        let (b, c) = (run(&mut rng, 100, 1.0, 0.0), run(&mut rng, 150, 1.0, 0.0));
        let v: BTreeMap<String, Result<&'static str, String>> = compare(&b, &c, &Tolerances::default(), 1)
            .into_iter()
            .map(|(m, ch)| (m.key(), ch.map(|c| c.verdict)))
            .collect();
        assert_eq!(v["p50"], Ok(NO_CHANGE));
        assert_eq!(
            v["p95"],
            Err("latency_ms.p95: 100 values in the smaller run, 200 needed to judge p95 (ten beyond it)".into())
        );
        assert!(v["p99"].is_err() && v["ttft.p95"].is_err());
        assert_eq!((v["success"].clone(), v["cost"].clone()), (Ok(NO_CHANGE), Ok(NO_CHANGE)));
    }

    #[test]
    fn tolerances_parse_keys_bare_values_and_refuse_unknown_metrics() {
        let t = Tolerances::parse(&["10%".into(), "p99=20".into()]).expect("parse");
        assert_eq!(
            (t.of(Compared::Percentile(Field::Latency, 95.0)), t.of(Compared::Percentile(Field::Latency, 99.0))),
            (10.0, 20.0)
        );
        assert_eq!((t.of(Compared::Success), t.of(Compared::Cost)), (0.5, 10.0));
        assert!(Tolerances::parse(&["p42=1".into()]).expect_err("unknown").contains("unknown metric `p42`"));
        assert!(Tolerances::parse(&["p95=-1".into()]).is_err());
    }

    #[test]
    fn z_matches_the_normal_table() {
        assert!((z_two_sided(0.05) - 1.959964).abs() < 1e-5);
        assert!((z_two_sided(0.01) - 2.575829).abs() < 1e-5);
        assert!((z_two_sided(0.05 / 6.0) - 2.638257).abs() < 1e-5);
    }
}
