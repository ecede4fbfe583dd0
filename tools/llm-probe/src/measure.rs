//! Turning one request's outcome into its probe record: times relative to
//! the intended send, tokens (reported or estimated), cost, rates, the
//! scenario's assertion and a redacted error. No scheduling here: the
//! runner decides when requests go; this says what one of them measured.

use std::time::{Duration, Instant};

use chrono::Utc;
use navikit::ErrorClass;
use navikit::record::{Attempt, Probe, ProbeError};

use crate::dialect::Turn;
use crate::exchange::{Answer, Outcome};
use crate::options::Target;
use crate::prices::Tokens;
use crate::scenario::Scenario;

/// ms is a duration in milliseconds, to the microsecond.
pub fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// Times are the instants one request is measured between.
#[derive(Debug, Clone, Copy)]
pub struct Times {
    /// When it was meant to go (the arrival schedule's time in an open
    /// loop, else the send): latency counts from here.
    pub origin: Instant,
    /// When its last attempt was sent: service time counts from here.
    pub sent: Instant,
    /// When its answer ended.
    pub end: Instant,
}

/// record is the probe record of one request and its answer text (empty
/// when it failed), from its last attempt's outcome and every attempt made.
#[allow(clippy::too_many_arguments)]
pub fn record(
    run_id: &str,
    t: &Target,
    scenario: &Scenario,
    history: &[Turn],
    outcome: Outcome,
    attempts: Vec<Attempt>,
    at: Times,
    secrets: &[&str],
) -> (Probe, String) {
    let mut probe = Probe {
        ts: Utc::now(),
        run_id: run_id.to_string(),
        provider: t.provider.name().to_string(),
        target: navikit::redact::redact_url(&t.base_url).into_owned(),
        model: t.model.clone(),
        scenario: scenario.name.clone(),
        status: outcome.status,
        latency_ms: ms(at.end.saturating_duration_since(at.origin)),
        service_ms: Some(ms(at.end - at.sent)),
        server_ms: outcome.server_time.map(ms),
        request_id: outcome.request_id,
        stand_in: outcome.stand_in,
        attempts,
        ..Probe::default()
    };
    match outcome.result {
        Ok(answer) => {
            fill_success(&mut probe, &answer, at, t, history, scenario);
            (probe, answer.text)
        }
        Err(f) => {
            probe.ok = false;
            probe.error = Some(ProbeError {
                class: f.class.to_string(),
                message: navikit::redact::redact_with(&f.message, secrets),
            });
            (probe, String::new())
        }
    }
}

fn fill_success(probe: &mut Probe, a: &Answer, at: Times, t: &Target, history: &[Turn], scenario: &Scenario) {
    let since_origin = |d: Duration| ms((at.sent + d).saturating_duration_since(at.origin));
    probe.ttft_ms = a.ttft.map(since_origin);
    probe.ttft_any_ms = a.ttft_any.map(since_origin);
    probe.itl_ms = a.itl.iter().map(|d| ms(*d)).collect();
    let estimate = |chars: usize| (chars as u64).div_ceil(4).max(1);
    let estimated = a.usage.input.is_none() || a.usage.output.is_none();
    let input = a.usage.input.unwrap_or_else(|| estimate(history.iter().map(|h| h.text.chars().count()).sum()));
    let output = a.usage.output.unwrap_or_else(|| estimate(a.text.chars().count()));
    probe.tokens_estimated = estimated;
    probe.input_tokens = Some(input);
    probe.output_tokens = Some(output);
    probe.cache_creation_input_tokens = Some(a.usage.cache_write.unwrap_or(0));
    probe.cache_read_input_tokens = Some(a.usage.cache_read.unwrap_or(0));
    let tokens = Tokens {
        input,
        output,
        cache_write: a.usage.cache_write.unwrap_or(0),
        cache_read: a.usage.cache_read.unwrap_or(0),
    };
    probe.cost_usd = t.prices.cost(&t.model, tokens);
    if probe.latency_ms > 0.0 {
        probe.output_tokens_per_s = Some((output as f64 * 1000.0 / probe.latency_ms * 100.0).round() / 100.0);
    }
    if let Some(ttft) = probe.ttft_ms
        && output > 1
    {
        probe.tpot_ms = Some(((probe.latency_ms - ttft) / (output - 1) as f64 * 1000.0).round() / 1000.0);
    }
    match scenario.check(&a.text) {
        None => probe.ok = true,
        Some(why) => {
            probe.ok = false;
            probe.error = Some(ProbeError { class: ErrorClass::AssertionFailed.to_string(), message: why });
        }
    }
}
