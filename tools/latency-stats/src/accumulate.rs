//! Per-group accumulators: HDR histograms and counters, merged without loss.
//!
//! Values go into histograms as integers in thousandths of their unit
//! (microseconds for `_ms` fields, milli-tokens for tokens/s) with three
//! significant digits, so every percentile is within 0.1 % of the exact one,
//! and two accumulators add up to exactly what one pass over both inputs
//! would have made. Nothing per record is kept: memory is flat.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hdrhistogram::Histogram;
use navikit::histogram::{decode, encode};
use navikit::pattern::normalize;
use navikit::record::{ClassCount, Distribution, PatternCount, SloVerdict, Stats, TokenTotals};
use navikit::threshold::{Field, Metric, Stat, Threshold};

pub use navikit::histogram::SCALE;
/// SIGFIG is the HDR precision: three significant digits.
pub const SIGFIG: u8 = 3;
/// MAX_PATTERNS bounds the distinct failure patterns kept per group.
pub const MAX_PATTERNS: usize = 256;
/// OTHER_PATTERNS is where failures go once MAX_PATTERNS is reached.
pub const OTHER_PATTERNS: &str = "(other patterns)";
const MAX_LABELS: usize = 16;

/// GroupAcc accumulates one group's records.
#[derive(Debug, Clone, Default)]
pub struct GroupAcc {
    hists: [Option<Histogram<u64>>; 7],
    /// Non-warm-up records.
    pub requests: u64,
    /// Records with ok: true.
    pub ok: u64,
    /// Warm-up records left out.
    pub warmup_excluded: u64,
    tokens: TokenTotals,
    /// Cost in whole pico-dollars: an integer sum is exact, so the total
    /// does not depend on how records were split among workers (a float sum
    /// did, in its last digits) and shows no float noise.
    cost_pico: u128,
    costed: u64,
    errors: HashMap<String, u64>,
    patterns: HashMap<String, (String, u64)>,
    first_ts: Option<String>,
    last_ts: Option<String>,
    providers: Vec<String>,
    models: Vec<String>,
    targets: Vec<String>,
    stand_ins: Vec<String>,
    stand_in_requests: u64,
}

/// ProbeView is what one probe record contributes, borrowed from the line.
#[derive(Debug, Default)]
pub struct ProbeView<'a> {
    /// ok field.
    pub ok: bool,
    /// warmup field.
    pub warmup: bool,
    /// The single-valued fields in [`Field::ALL`] order (itl is separate).
    pub values: [Option<f64>; 7],
    /// Inter-token gaps.
    pub itl: &'a [f64],
    /// Token counts: input, output, cache creation, cache read.
    pub tokens: [Option<u64>; 4],
    /// Counts are estimates.
    pub tokens_estimated: bool,
    /// Cost in dollars.
    pub cost_usd: Option<f64>,
    /// Error class and message.
    pub error: Option<(Cow<'a, str>, Cow<'a, str>)>,
    /// Record time (RFC 3339).
    pub ts: Option<Cow<'a, str>>,
    /// Provider.
    pub provider: Option<Cow<'a, str>>,
    /// Model.
    pub model: Option<Cow<'a, str>>,
    /// Target base URL.
    pub target: Option<Cow<'a, str>>,
    /// The stand-in the server declared itself to be, if any.
    pub stand_in: Option<Cow<'a, str>>,
}

/// field_index is a field's place in [`Field::ALL`] (and in [`ProbeView::values`]).
pub(crate) fn field_index(f: Field) -> usize {
    Field::ALL.iter().position(|&x| x == f).unwrap_or(0)
}

fn new_hist() -> Histogram<u64> {
    // Auto-resizing histogram; SIGFIG is in range, so this cannot fail.
    Histogram::new(SIGFIG).unwrap_or_else(|_| unreachable!("3 significant digits is valid"))
}

fn push_label(list: &mut Vec<String>, v: &str) {
    if list.len() < MAX_LABELS && !list.iter().any(|x| x == v) {
        list.push(v.to_string());
    }
}

impl GroupAcc {
    /// GroupAcc::add counts one record.
    pub fn add(&mut self, p: &ProbeView<'_>, include_warmup: bool) {
        if p.warmup && !include_warmup {
            self.warmup_excluded += 1;
            return;
        }
        self.requests += 1;
        if let Some(ts) = p.ts.as_deref() {
            // The earliest and the latest text are kept, as `merge` keeps
            // them, so the window does not depend on how the input was cut
            // into chunks. Text order is time order for UTC times with the
            // same number of fraction digits (what llm-probe writes); across
            // offsets or fraction lengths it can be off by under a second.
            if self.first_ts.as_deref().is_none_or(|f| ts < f) {
                self.first_ts = Some(ts.to_string());
            }
            match &mut self.last_ts {
                // Reuse the buffer: in a time-ordered input every record moves the end.
                Some(l) if ts > l.as_str() => {
                    l.clear();
                    l.push_str(ts);
                }
                Some(_) => {}
                None => self.last_ts = Some(ts.to_string()),
            }
        }
        if let Some(v) = p.provider.as_deref() {
            push_label(&mut self.providers, v);
        }
        if let Some(v) = p.model.as_deref() {
            push_label(&mut self.models, v);
        }
        if let Some(v) = p.target.as_deref() {
            push_label(&mut self.targets, v);
        }
        if let Some(v) = p.stand_in.as_deref() {
            push_label(&mut self.stand_ins, v);
            self.stand_in_requests += 1;
        }
        let [i, o, cw, cr] = p.tokens;
        // Sums saturate: a hostile count cannot wrap a total around.
        let t = &mut self.tokens;
        t.input = t.input.saturating_add(i.unwrap_or(0));
        t.output = t.output.saturating_add(o.unwrap_or(0));
        t.cache_creation_input = t.cache_creation_input.saturating_add(cw.unwrap_or(0));
        t.cache_read_input = t.cache_read_input.saturating_add(cr.unwrap_or(0));
        if p.tokens_estimated {
            self.tokens.estimated_records += 1;
        }
        if let Some(c) = p.cost_usd {
            self.cost_pico = self.cost_pico.saturating_add(to_pico(c));
            self.costed += 1;
        }
        if p.ok {
            self.ok += 1;
            for (idx, v) in p.values.iter().enumerate() {
                if let Some(v) = v {
                    record(&mut self.hists[idx], *v);
                }
            }
            if !p.itl.is_empty() {
                let h = self.hists[field_index(Field::Itl)].get_or_insert_with(new_hist);
                for &gap in p.itl {
                    let _ = h.record(to_int(gap));
                }
            }
        } else {
            let (class, message) = p.error.as_ref().map_or(("unknown", ""), |(c, m)| (c.as_ref(), m.as_ref()));
            *self.errors.entry(class.to_string()).or_insert(0) += 1;
            let pattern = if message.is_empty() { class.to_string() } else { normalize(message) };
            self.count_pattern(pattern, class, 1);
        }
    }

    fn count_pattern(&mut self, pattern: String, class: &str, n: u64) {
        let key = if self.patterns.len() >= MAX_PATTERNS && !self.patterns.contains_key(&pattern) {
            OTHER_PATTERNS.to_string()
        } else {
            pattern
        };
        self.patterns.entry(key).or_insert_with(|| (class.to_string(), 0)).1 += n;
    }

    /// GroupAcc::cost_total is the summed cost in dollars.
    fn cost_total(&self) -> f64 {
        self.cost_pico as f64 / PICO
    }

    /// GroupAcc::cost_per_request is the mean cost of the costed requests,
    /// divided in pico-dollars first (0.006 over 10 is 0.0006, not
    /// 0.0006000000000000001).
    fn cost_per_request(&self) -> Option<f64> {
        (self.costed > 0).then(|| self.cost_pico as f64 / self.costed as f64 / PICO)
    }

    /// GroupAcc::merge adds another accumulator into this one.
    pub fn merge(&mut self, other: GroupAcc) {
        for (mine, theirs) in self.hists.iter_mut().zip(other.hists) {
            if let Some(t) = theirs {
                match mine {
                    Some(m) => {
                        // Both auto-resize, so adding cannot fail.
                        let _ = m.add(&t);
                    }
                    None => *mine = Some(t),
                }
            }
        }
        self.requests += other.requests;
        self.ok += other.ok;
        self.warmup_excluded += other.warmup_excluded;
        let (t, o) = (&mut self.tokens, &other.tokens);
        t.input = t.input.saturating_add(o.input);
        t.output = t.output.saturating_add(o.output);
        t.cache_creation_input = t.cache_creation_input.saturating_add(o.cache_creation_input);
        t.cache_read_input = t.cache_read_input.saturating_add(o.cache_read_input);
        self.tokens.estimated_records += other.tokens.estimated_records;
        self.cost_pico = self.cost_pico.saturating_add(other.cost_pico);
        self.costed += other.costed;
        for (k, v) in other.errors {
            *self.errors.entry(k).or_insert(0) += v;
        }
        for (pattern, (class, n)) in other.patterns {
            self.count_pattern(pattern, &class, n);
        }
        if let Some(ts) = other.first_ts
            && self.first_ts.as_deref().is_none_or(|f| ts.as_str() < f)
        {
            self.first_ts = Some(ts);
        }
        if let Some(ts) = other.last_ts
            && self.last_ts.as_deref().is_none_or(|l| ts.as_str() > l)
        {
            self.last_ts = Some(ts);
        }
        for p in &other.providers {
            push_label(&mut self.providers, p);
        }
        for m in &other.models {
            push_label(&mut self.models, m);
        }
        for t in &other.stand_ins {
            push_label(&mut self.stand_ins, t);
        }
        self.stand_in_requests += other.stand_in_requests;
        for t in &other.targets {
            push_label(&mut self.targets, t);
        }
    }

    /// GroupAcc::histogram is one field's histogram, when anything was recorded.
    pub fn histogram(&self, f: Field) -> Option<&Histogram<u64>> {
        self.hists[field_index(f)].as_ref().filter(|h| !h.is_empty())
    }

    /// GroupAcc::stand_ins are the stand-ins the group's records declared.
    pub fn stand_ins(&self) -> &[String] {
        &self.stand_ins
    }

    /// GroupAcc::value is the observed value of a threshold's metric.
    pub fn value(&self, metric: &Metric) -> Option<f64> {
        let failed = self.requests - self.ok;
        match metric {
            Metric::Dist(field, stat) => {
                let h = self.hists[field_index(*field)].as_ref().filter(|h| !h.is_empty())?;
                Some(match stat {
                    Stat::Percentile(q) => quantile(h, q / 100.0),
                    Stat::Min => reported(h, h.min()),
                    Stat::Max => reported(h, h.max()),
                    Stat::Mean => h.mean() / SCALE,
                    Stat::Stddev => h.stdev() / SCALE,
                })
            }
            Metric::SuccessPct => (self.requests > 0).then(|| self.ok as f64 * 100.0 / self.requests as f64),
            Metric::ErrorRatePct => (self.requests > 0).then(|| failed as f64 * 100.0 / self.requests as f64),
            Metric::CostPerRequest => self.cost_per_request(),
            Metric::CostTotal => Some(self.cost_total()),
            Metric::Requests => Some(self.requests as f64),
            Metric::Named(_) => None,
        }
    }

    /// GroupAcc::to_stats summarises the group into a stats record.
    pub fn to_stats(
        &self,
        group: std::collections::BTreeMap<String, String>,
        thresholds: &[Threshold],
        top_errors: usize,
        with_histograms: bool,
    ) -> Stats {
        let dist = |f: Field| self.hists[field_index(f)].as_ref().filter(|h| !h.is_empty()).map(distribution);
        let mut errors: Vec<ClassCount> =
            self.errors.iter().map(|(c, n)| ClassCount { class: c.clone(), count: *n }).collect();
        errors.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.class.cmp(&b.class)));
        let mut patterns: Vec<PatternCount> = self
            .patterns
            .iter()
            .map(|(p, (c, n))| PatternCount { class: c.clone(), pattern: p.clone(), count: *n })
            .collect();
        patterns.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.pattern.cmp(&b.pattern)));
        patterns.truncate(top_errors);
        let slo = thresholds
            .iter()
            .map(|t| {
                let observed = self.value(&t.metric);
                SloVerdict {
                    threshold: t.source.clone(),
                    metric: t.metric.name(),
                    observed,
                    limit: t.limit,
                    ok: t.holds(observed),
                    escalation: t.escalation,
                }
            })
            .collect();
        let histograms = with_histograms.then(|| {
            Field::ALL
                .iter()
                .filter_map(|&f| self.hists[field_index(f)].as_ref().map(|h| (f.record_name().to_string(), encode(h))))
                .collect()
        });
        let failed = self.requests - self.ok;
        let pct = |n: u64| if self.requests == 0 { 0.0 } else { n as f64 * 100.0 / self.requests as f64 };
        Stats {
            ts: Utc::now(),
            group,
            requests: self.requests,
            ok: self.ok,
            failed,
            warmup_excluded: self.warmup_excluded,
            success_pct: pct(self.ok),
            error_rate_pct: pct(failed),
            first_ts: self.first_ts.as_deref().and_then(parse_ts),
            last_ts: self.last_ts.as_deref().and_then(parse_ts),
            providers: self.providers.clone(),
            models: self.models.clone(),
            targets: self.targets.clone(),
            stand_ins: self.stand_ins.clone(),
            stand_in_requests: self.stand_in_requests,
            latency_ms: dist(Field::Latency),
            service_ms: dist(Field::Service),
            ttft_ms: dist(Field::Ttft),
            ttft_any_ms: dist(Field::TtftAny),
            tpot_ms: dist(Field::Tpot),
            itl_ms: dist(Field::Itl),
            output_tokens_per_s: dist(Field::TokensPerS),
            tokens: self.tokens.clone(),
            cost_usd_total: self.cost_total(),
            cost_usd_per_request: self.cost_per_request().unwrap_or(0.0),
            costed_requests: self.costed,
            errors,
            top_failures: patterns,
            slo,
            histograms,
        }
    }

    /// GroupAcc::from_stats rebuilds an accumulator from a stats record made
    /// with `--histograms`, for merging.
    pub fn from_stats(s: &Stats) -> Result<GroupAcc, String> {
        let hists_in =
            s.histograms.as_ref().ok_or("stats record has no histograms (make it with latency-stats --histograms)")?;
        let mut acc = GroupAcc::default();
        for (name, text) in hists_in {
            let Some(field) = Field::ALL.iter().find(|f| f.record_name() == name) else {
                return Err(format!("unknown histogram `{name}`"));
            };
            acc.hists[field_index(*field)] = Some(decode(text).map_err(|e| format!("histogram `{name}`: {e}"))?);
        }
        acc.requests = s.requests;
        acc.ok = s.ok;
        if s.ok > s.requests {
            return Err(format!("ok ({}) exceeds requests ({})", s.ok, s.requests));
        }
        acc.warmup_excluded = s.warmup_excluded;
        acc.tokens = s.tokens.clone();
        // A summary's cost must be a cost: finite, not negative, and small
        // enough that summing many summaries stays finite.
        if !(0.0..=crate::parse::MAX_COST_USD * 1e9).contains(&s.cost_usd_total) {
            return Err(format!("cost_usd_total {} is not a plausible cost", s.cost_usd_total));
        }
        acc.cost_pico = to_pico(s.cost_usd_total);
        acc.costed = s.costed_requests;
        for e in &s.errors {
            *acc.errors.entry(e.class.clone()).or_insert(0) += e.count;
        }
        for p in &s.top_failures {
            acc.count_pattern(p.pattern.clone(), &p.class, p.count);
        }
        acc.first_ts = s.first_ts.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
        acc.last_ts = s.last_ts.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
        acc.providers = s.providers.clone();
        acc.models = s.models.clone();
        acc.targets = s.targets.clone();
        acc.stand_ins = s.stand_ins.clone();
        acc.stand_in_requests = s.stand_in_requests;
        Ok(acc)
    }
}

fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

fn to_int(v: f64) -> u64 {
    // Negative values are rejected by the parser; clamp defensively.
    (v.max(0.0) * SCALE).round() as u64
}

/// PICO is pico-dollars per dollar.
const PICO: f64 = 1e12;

/// to_pico is a cost in whole pico-dollars (costs are checked to be finite,
/// not negative and bounded before they get here).
fn to_pico(usd: f64) -> u128 {
    (usd.max(0.0) * PICO).round() as u128
}

fn record(slot: &mut Option<Histogram<u64>>, v: f64) {
    let _ = slot.get_or_insert_with(new_hist).record(to_int(v));
}

/// reported is the value shown for a histogram bucket: the middle of the
/// bucket, so the error is at most half a bucket (0.05 %) either way, where
/// HDR's default (the bucket's top) always errs upward.
/// reported is a histogram value in the field's unit, as stats records show it.
pub fn reported(h: &Histogram<u64>, v: u64) -> f64 {
    h.median_equivalent(v) as f64 / SCALE
}

fn quantile(h: &Histogram<u64>, q: f64) -> f64 {
    reported(h, h.value_at_quantile(q))
}

fn distribution(h: &Histogram<u64>) -> Distribution {
    let q = |x: f64| quantile(h, x);
    Distribution {
        count: h.len(),
        min: reported(h, h.min()),
        mean: h.mean() / SCALE,
        stddev: h.stdev() / SCALE,
        p50: q(0.50),
        p90: q(0.90),
        p95: q(0.95),
        p99: q(0.99),
        p999: q(0.999),
        max: reported(h, h.max()),
    }
}
