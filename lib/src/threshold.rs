//! k6-style thresholds: `p95<5s`, `p99<=10000ms`, `ttft.p95<800ms`,
//! `success>99%`, `error_rate<1%`, `cost_per_request<0.02`, `tokens_per_s>20`.
//!
//! Grammar: `METRIC OP VALUE[UNIT]` with OP one of `<`, `<=`, `>`, `>=`,
//! `==`, `!=`. A distribution metric is `[FIELD.]STAT`; FIELD is `latency`
//! (the default), `service`, `ttft`, `ttft_any`, `tpot`, `itl` or
//! `tokens_per_s`; STAT is `pNN` (`p95`, `p99.9`, `p(95)`), `min`, `max`,
//! `mean` (`avg`), `med` or `stddev`. Times are compared in milliseconds;
//! `ms` is assumed when no unit is given. Rates (`success`, `error_rate`)
//! take `%` or a fraction in 0..1. Any other name (e.g. `active_connections`)
//! is a plain number that the evaluating tool looks up by name.

use std::fmt;

/// Field is a measured per-request quantity with a distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// End-to-end latency.
    Latency,
    /// Service time from the actual send.
    Service,
    /// Time to first answer token.
    Ttft,
    /// Time to first token of any kind.
    TtftAny,
    /// Time per output token.
    Tpot,
    /// Inter-token gaps.
    Itl,
    /// Output tokens per second.
    TokensPerS,
}

impl Field {
    /// Field::ALL lists every field in record order.
    pub const ALL: [Field; 7] =
        [Field::Latency, Field::Service, Field::Ttft, Field::TtftAny, Field::Tpot, Field::Itl, Field::TokensPerS];

    /// Field::record_name is the field's name in probe and stats records.
    pub fn record_name(self) -> &'static str {
        match self {
            Field::Latency => "latency_ms",
            Field::Service => "service_ms",
            Field::Ttft => "ttft_ms",
            Field::TtftAny => "ttft_any_ms",
            Field::Tpot => "tpot_ms",
            Field::Itl => "itl_ms",
            Field::TokensPerS => "output_tokens_per_s",
        }
    }

    /// Field::is_time says whether values are durations in milliseconds.
    pub fn is_time(self) -> bool {
        self != Field::TokensPerS
    }

    fn from_prefix(s: &str) -> Option<Field> {
        Some(match s {
            "latency" | "latency_ms" | "duration" => Field::Latency,
            "service" | "service_ms" => Field::Service,
            "ttft" | "ttft_ms" => Field::Ttft,
            "ttft_any" | "ttft_any_ms" => Field::TtftAny,
            "tpot" | "tpot_ms" => Field::Tpot,
            "itl" | "itl_ms" => Field::Itl,
            "tokens_per_s" | "output_tokens_per_s" => Field::TokensPerS,
            _ => return None,
        })
    }
}

/// Stat is a statistic of a distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stat {
    /// A percentile in (0, 100].
    Percentile(f64),
    /// Smallest value.
    Min,
    /// Largest value.
    Max,
    /// Mean value.
    Mean,
    /// Standard deviation.
    Stddev,
}

impl Stat {
    fn parse(s: &str) -> Option<Stat> {
        Some(match s {
            "min" => Stat::Min,
            "max" => Stat::Max,
            "mean" | "avg" => Stat::Mean,
            "med" | "median" => Stat::Percentile(50.0),
            "stddev" => Stat::Stddev,
            _ => {
                let rest = s.strip_prefix('p')?;
                let rest = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')).unwrap_or(rest);
                // `p999` is the conventional spelling of p99.9.
                let q: f64 = if rest == "999" { 99.9 } else { rest.parse().ok()? };
                if !(q > 0.0 && q <= 100.0) {
                    return None;
                }
                Stat::Percentile(q)
            }
        })
    }

    fn name(self) -> String {
        match self {
            Stat::Percentile(99.9) => "p999".to_string(),
            Stat::Percentile(q) => format!("p{q}"),
            Stat::Min => "min".into(),
            Stat::Max => "max".into(),
            Stat::Mean => "mean".into(),
            Stat::Stddev => "stddev".into(),
        }
    }
}

/// Metric is what a threshold reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Metric {
    /// A statistic of a measured field.
    Dist(Field, Stat),
    /// Successful requests in percent.
    SuccessPct,
    /// Failed requests in percent.
    ErrorRatePct,
    /// Cost per request in US dollars.
    CostPerRequest,
    /// Total cost in US dollars.
    CostTotal,
    /// Requests counted.
    Requests,
    /// Any other named number, looked up by the evaluating tool.
    Named(String),
}

impl Metric {
    /// Metric::name is the canonical name, e.g. `latency_ms.p95`.
    pub fn name(&self) -> String {
        match self {
            Metric::Dist(f, s) => format!("{}.{}", f.record_name(), s.name()),
            Metric::SuccessPct => "success_pct".into(),
            Metric::ErrorRatePct => "error_rate_pct".into(),
            Metric::CostPerRequest => "cost_usd_per_request".into(),
            Metric::CostTotal => "cost_usd_total".into(),
            Metric::Requests => "requests".into(),
            Metric::Named(n) => n.clone(),
        }
    }
}

/// Op is a comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl Op {
    /// Op::holds compares `observed OP limit`.
    pub fn holds(self, observed: f64, limit: f64) -> bool {
        match self {
            Op::Lt => observed < limit,
            Op::Le => observed <= limit,
            Op::Gt => observed > limit,
            Op::Ge => observed >= limit,
            Op::Eq => observed == limit,
            Op::Ne => observed != limit,
        }
    }

    /// Op::symbol is the operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }
}

/// Threshold is one parsed expression, its limit in the metric's own unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The expression as given.
    pub source: String,
    /// What it reads.
    pub metric: Metric,
    /// How it compares.
    pub op: Op,
    /// The bound, in milliseconds for times, percent for rates, dollars for cost.
    pub limit: f64,
    /// An escalation trigger (the plan's "escalate when ..."), not a target:
    /// reported with its verdict, never deciding the exit code on its own.
    pub escalation: bool,
}

/// ThresholdError says why an expression is not a threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThresholdError(pub String);

impl fmt::Display for ThresholdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ThresholdError {}

impl Threshold {
    /// Threshold::parse parses one expression such as `ttft.p95<800ms`.
    pub fn parse(expr: &str) -> Result<Threshold, ThresholdError> {
        let bad = |why: String| ThresholdError(format!("bad threshold `{expr}`: {why}"));
        let s = expr.trim();
        let pos =
            s.find(['<', '>', '=', '!']).ok_or_else(|| bad("no comparison (use <, <=, >, >=, == or !=)".into()))?;
        let (lhs, rest) = s.split_at(pos);
        let (op, rhs) = if let Some(r) = rest.strip_prefix("<=") {
            (Op::Le, r)
        } else if let Some(r) = rest.strip_prefix(">=") {
            (Op::Ge, r)
        } else if let Some(r) = rest.strip_prefix("==") {
            (Op::Eq, r)
        } else if let Some(r) = rest.strip_prefix("!=") {
            (Op::Ne, r)
        } else if let Some(r) = rest.strip_prefix('<') {
            (Op::Lt, r)
        } else if let Some(r) = rest.strip_prefix('>') {
            (Op::Gt, r)
        } else {
            return Err(bad("no comparison (use <, <=, >, >=, == or !=)".into()));
        };
        let metric = parse_metric(lhs.trim()).map_err(bad)?;
        let (number, unit) = split_number(rhs.trim()).map_err(bad)?;
        let limit = scale(&metric, number, unit).map_err(bad)?;
        in_range(&metric, limit).map_err(bad)?;
        Ok(Threshold { source: expr.to_string(), metric, op, limit, escalation: false })
    }

    /// Threshold::parse_list parses a targets file: one expression per line,
    /// `#` comments and blank lines ignored, `escalate: EXPR` for an
    /// escalation trigger. `name` is the file's name, for errors.
    pub fn parse_list(name: &str, text: &str) -> Result<Vec<Threshold>, ThresholdError> {
        let mut out = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let (escalation, expr) = match line.strip_prefix("escalate:") {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let mut t = Threshold::parse(expr).map_err(|e| ThresholdError(format!("{name}:{}: {e}", i + 1)))?;
            t.escalation = escalation;
            out.push(t);
        }
        Ok(out)
    }

    /// Threshold::overlay adds `later` to `base`; a later threshold on the
    /// same metric and of the same kind (target or escalation) replaces the
    /// earlier one, so an environment override wins over the targets file and
    /// each metric is judged once.
    pub fn overlay(base: Vec<Threshold>, later: Vec<Threshold>) -> Vec<Threshold> {
        let mut out = base;
        for t in later {
            match out.iter_mut().find(|b| b.metric == t.metric && b.escalation == t.escalation) {
                Some(slot) => *slot = t,
                None => out.push(t),
            }
        }
        out
    }

    /// Threshold::holds says whether an observed value meets the threshold;
    /// nothing observed never meets it.
    pub fn holds(&self, observed: Option<f64>) -> bool {
        observed.is_some_and(|v| self.op.holds(v, self.limit))
    }
}

/// in_range refuses limits no observation can have: a rate beyond 0..100 %,
/// a negative time, cost or count (`success>101%`, `p95<-5s`).
fn in_range(metric: &Metric, limit: f64) -> Result<(), String> {
    match metric {
        Metric::SuccessPct | Metric::ErrorRatePct if !(0.0..=100.0).contains(&limit) => {
            Err(format!("a rate must lie between 0 and 100 %, got {limit}"))
        }
        Metric::Named(_) => Ok(()),
        _ if limit < 0.0 => Err(format!("{} cannot be negative, got {limit}", metric.name())),
        _ => Ok(()),
    }
}

fn parse_metric(lhs: &str) -> Result<Metric, String> {
    if lhs.is_empty() {
        return Err("no metric before the comparison".into());
    }
    let lower = lhs.to_ascii_lowercase();
    let pct = lower.rsplit('.').next().unwrap_or_default();
    if let Some(q) = pct.strip_prefix('p').and_then(|n| n.parse::<f64>().ok())
        && Stat::parse(pct).is_none()
    {
        return Err(format!("percentile p{q} is out of range (use p0.1 to p100)"));
    }
    let simple = match lower.as_str() {
        "success" | "success_rate" | "success_pct" => Some(Metric::SuccessPct),
        "error_rate" | "errors" | "error_rate_pct" | "failed_rate" => Some(Metric::ErrorRatePct),
        "cost_per_request" | "cost_usd_per_request" => Some(Metric::CostPerRequest),
        "cost_total" | "cost" | "cost_usd_total" => Some(Metric::CostTotal),
        "requests" | "count" => Some(Metric::Requests),
        "tokens_per_s" | "output_tokens_per_s" => Some(Metric::Dist(Field::TokensPerS, Stat::Mean)),
        _ => None,
    };
    if let Some(m) = simple {
        return Ok(m);
    }
    if let Some((prefix, stat)) = lower.rsplit_once('.').filter(|(p, _)| Field::from_prefix(p).is_some()) {
        let field = Field::from_prefix(prefix).ok_or_else(|| format!("unknown field `{prefix}`"))?;
        let stat = Stat::parse(stat)
            .ok_or_else(|| format!("unknown statistic `{stat}` (use p50, p95, p99.9, min, max, mean or stddev)"))?;
        return Ok(Metric::Dist(field, stat));
    }
    if let Some(stat) = Stat::parse(&lower) {
        return Ok(Metric::Dist(Field::Latency, stat));
    }
    if lower.contains('.') {
        // `p99.9` parses above; anything else dotted names an unknown field.
        let prefix = lower.split('.').next().unwrap_or_default();
        return Err(format!(
            "unknown metric `{lhs}`: `{prefix}` is not a field (use latency, service, ttft, ttft_any, tpot, itl, tokens_per_s)"
        ));
    }
    if lower.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && lower.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
    {
        return Ok(Metric::Named(lower));
    }
    Err(format!("unknown metric `{lhs}`"))
}

fn split_number(rhs: &str) -> Result<(f64, &str), String> {
    let rhs = rhs.strip_prefix('$').unwrap_or(rhs);
    let end = rhs
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || ((c == '-' || c == '+') && i == 0)))
        .map_or(rhs.len(), |(i, _)| i);
    let (num, unit) = rhs.split_at(end);
    if num.is_empty() {
        return Err("no number after the comparison".into());
    }
    let value: f64 = num.parse().map_err(|_| format!("`{num}` is not a number"))?;
    if !value.is_finite() {
        return Err(format!("`{num}` is not a finite number"));
    }
    Ok((value, unit.trim()))
}

fn scale(metric: &Metric, value: f64, unit: &str) -> Result<f64, String> {
    match metric {
        Metric::Dist(field, _) if field.is_time() => {
            let factor = match unit {
                "" | "ms" => 1.0,
                "s" => 1000.0,
                "us" | "µs" => 0.001,
                "m" | "min" => 60_000.0,
                "%" => return Err(format!("`%` does not fit the time metric {}", metric.name())),
                other => return Err(format!("unknown unit `{other}` (use ms, s, us or m)")),
            };
            Ok(value * factor)
        }
        Metric::SuccessPct | Metric::ErrorRatePct => match unit {
            "%" => Ok(value),
            "" if (0.0..=1.0).contains(&value) => Ok(value * 100.0),
            "" => Err(format!("write a rate as a percent (`{value}%`) or a fraction in 0..1")),
            other => Err(format!("unknown unit `{other}` for a rate (use %)")),
        },
        Metric::CostPerRequest | Metric::CostTotal => match unit {
            "" | "usd" | "USD" => Ok(value),
            other => Err(format!("unknown unit `{other}` for a cost in dollars (write 0.02 or $0.02)")),
        },
        _ => match unit {
            "" => Ok(value),
            other => Err(format!("unknown unit `{other}` for {} (write a plain number)", metric.name())),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Threshold {
        Threshold::parse(s).unwrap()
    }

    #[test]
    fn parses_the_plan_and_issue_examples() {
        assert_eq!(t("p95<5s").metric, Metric::Dist(Field::Latency, Stat::Percentile(95.0)));
        assert_eq!(t("p95<5s").limit, 5000.0);
        assert_eq!(t("p99<=10000ms").op, Op::Le);
        assert_eq!(t("p99<=10000ms").limit, 10000.0);
        assert_eq!(t("ttft.p95<800ms").metric, Metric::Dist(Field::Ttft, Stat::Percentile(95.0)));
        assert_eq!(t("success>99%").limit, 99.0);
        assert_eq!(t("success>0.99").limit, 99.0);
        assert_eq!(t("error_rate<1%").metric, Metric::ErrorRatePct);
        assert_eq!(t("cost_per_request<0.02").limit, 0.02);
        assert_eq!(t("cost_per_request<$0.02").limit, 0.02);
        assert_eq!(t("tokens_per_s>20").metric, Metric::Dist(Field::TokensPerS, Stat::Mean));
        assert_eq!(t("p99.9 < 2m").limit, 120_000.0);
        assert_eq!(t("p(90)<300").metric, Metric::Dist(Field::Latency, Stat::Percentile(90.0)));
        assert_eq!(t("active_connections<10").metric, Metric::Named("active_connections".into()));
        assert_eq!(t("itl.p99<50us").limit, 0.05);
    }

    #[test]
    fn bad_expressions_say_why() {
        for (expr, why) in [
            ("p95", "no comparison"),
            ("<5s", "no metric"),
            ("p95<5x", "unknown unit `x`"),
            ("p95<5%", "does not fit the time metric"),
            ("p95<", "no number"),
            ("p95<abc", "no number"),
            ("success>99", "percent"),
            ("foo.p95<1", "`foo` is not a field"),
            ("ttft.p0<1", "percentile p0 is out of range"),
            ("ttft.pmax<1", "unknown statistic"),
            ("p101<5s", "percentile p101 is out of range"),
            ("success>101%", "between 0 and 100"),
            ("error_rate<-1%", "between 0 and 100"),
            ("p95<-5s", "cannot be negative"),
            ("cost_per_request<-0.01", "cannot be negative"),
            ("cost_per_request<5ms", "unknown unit `ms` for a cost"),
            ("p95<1.2.3s", "not a number"),
        ] {
            let e = Threshold::parse(expr).unwrap_err().to_string();
            assert!(e.contains(why), "{expr}: {e}");
            assert!(e.starts_with(&format!("bad threshold `{expr}`")), "{e}");
        }
    }

    #[test]
    fn evaluation_compares_in_the_metric_unit() {
        assert!(t("p95<5s").holds(Some(4999.9)));
        assert!(!t("p95<5s").holds(Some(5000.0)));
        assert!(t("p95<=5s").holds(Some(5000.0)));
        assert!(!t("success>99%").holds(Some(99.0)));
        assert!(!t("p95<5s").holds(None));
        // Every operator, on both sides of its bound.
        for (expr, yes, no) in [
            ("requests>100", 101.0, 100.0),
            ("requests>=100", 100.0, 99.0),
            ("requests==100", 100.0, 101.0),
            ("requests!=100", 101.0, 100.0),
            ("requests<100", 99.0, 100.0),
            ("requests<=100", 100.0, 101.0),
        ] {
            assert!(t(expr).holds(Some(yes)), "{expr} holds for {yes}");
            assert!(!t(expr).holds(Some(no)), "{expr} fails for {no}");
            assert_eq!(format!("requests{}100", t(expr).op.symbol()), expr);
        }
    }

    #[test]
    fn every_spelling_names_its_metric() {
        for (expr, name) in [
            ("latency.p95<1", "latency_ms.p95"),
            ("latency_ms.p95<1", "latency_ms.p95"),
            ("duration.p95<1", "latency_ms.p95"),
            ("service.p50<1", "service_ms.p50"),
            ("service_ms.p50<1", "service_ms.p50"),
            ("ttft.p99<1", "ttft_ms.p99"),
            ("ttft_ms.p99<1", "ttft_ms.p99"),
            ("ttft_any.p90<1", "ttft_any_ms.p90"),
            ("ttft_any_ms.p90<1", "ttft_any_ms.p90"),
            ("tpot.mean<1", "tpot_ms.mean"),
            ("tpot_ms.mean<1", "tpot_ms.mean"),
            ("itl.p999<1", "itl_ms.p999"),
            ("tokens_per_s.min>1", "output_tokens_per_s.min"),
            ("output_tokens_per_s.p50>1", "output_tokens_per_s.p50"),
            ("min<1", "latency_ms.min"),
            ("max<1", "latency_ms.max"),
            ("mean<1", "latency_ms.mean"),
            ("avg<1", "latency_ms.mean"),
            ("med<1", "latency_ms.p50"),
            ("median<1", "latency_ms.p50"),
            ("stddev<1", "latency_ms.stddev"),
            ("success>99%", "success_pct"),
            ("errors<1%", "error_rate_pct"),
            ("cost_per_request<1", "cost_usd_per_request"),
            ("cost_total<1", "cost_usd_total"),
            ("cost<1", "cost_usd_total"),
            ("cost_usd_total<1", "cost_usd_total"),
            ("requests>1", "requests"),
            ("count>1", "requests"),
            ("active_connections<10", "active_connections"),
        ] {
            assert_eq!(t(expr).metric.name(), name, "{expr}");
        }
        // Only times take time units; tokens per second are a plain number.
        assert_eq!(t("tokens_per_s.min>20").limit, 20.0);
        assert!(Threshold::parse("tokens_per_s.min>20s").is_err());
        assert!(!Field::TokensPerS.is_time() && Field::Ttft.is_time());
        // A named metric may be negative; a dotted unknown or odd name is refused.
        assert_eq!(t("temperature>-5").limit, -5.0);
        assert_eq!(t("requests>=0").limit, 0.0, "zero is a count, not a negative one");
        assert!(Threshold::parse("1abc<5").unwrap_err().to_string().contains("unknown metric"));
        assert!(Threshold::parse("a-b<5").unwrap_err().to_string().contains("unknown metric"));
    }

    #[test]
    fn a_targets_file_and_its_overrides() {
        let list = Threshold::parse_list(
            "targets.txt",
            "# the week's targets\np95<5s\n\nsuccess>99%  # inline\nescalate: p95<8s\n",
        )
        .unwrap();
        let shown: Vec<(&str, bool)> = list.iter().map(|t| (t.source.as_str(), t.escalation)).collect();
        assert_eq!(shown, [("p95<5s", false), ("success>99%", false), ("p95<8s", true)]);
        let e = Threshold::parse_list("targets.txt", "p95<5s\np95<<5s\n").unwrap_err().to_string();
        assert!(e.starts_with("targets.txt:2: bad threshold"), "{e}");
        // An override replaces the target on its metric, never the escalation; a new metric is added.
        let merged = Threshold::overlay(list, vec![t("p95<4s"), t("cost<1")]);
        let shown: Vec<&str> = merged.iter().map(|t| t.source.as_str()).collect();
        assert_eq!(shown, ["p95<4s", "success>99%", "p95<8s", "cost<1"]);
        assert!(merged[2].escalation);
    }
}
