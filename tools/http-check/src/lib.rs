//! http-check: what neither the database nor the Kubernetes checks see —
//! the service's own endpoints (`/health`, `/metrics`, the NAVI chat), and
//! the plan's Wednesday start-up test of mandatory audit encryption.

pub mod cli;
pub mod prom;
pub mod sample;
pub mod startup;

use std::io::Read;
use std::time::{Duration, Instant};

use std::cell::Cell;

use navikit::checks::{Def, Runner};
use navikit::record::{Check, CheckStatus, Record};
use navikit::{Error, Outcome};
use serde_json::{Value, json};

use cli::{Parsed, ServiceOptions};

/// TOOL is the name on every record.
pub const TOOL: &str = "http-check";

/// CHECKS is the service checks' registry (the start-up test's are [`startup::NAMES`]).
pub const CHECKS: &[Def] = &[
    Def {
        name: "http.health",
        meaning: "GET /health answers 200 with a JSON object whose `status` is `ok`, from the URL asked (redirects are not followed)",
    },
    Def { name: "http.metrics.present", meaning: "GET /metrics is Prometheus text holding every --require-series" },
    Def {
        name: "http.metrics.increasing",
        meaning: "the required counters grew between two scrapes (--interval, or the last run in --history); skip with one scrape",
    },
    Def { name: "http.navi.smoke", meaning: "POST /api/navi/chat answers 2xx with a JSON object within --smoke-limit" },
];

/// run carries out a parsed command line.
pub fn run(p: Parsed) -> Result<Outcome, Error> {
    match p {
        Parsed::Service(o) => {
            if o.selection.list {
                navikit::checks::list(CHECKS, &mut std::io::stdout().lock())?;
                return Ok(Outcome::Pass);
            }
            if let Some(plan) = o.sample {
                return sample::run(&o, plan);
            }
            let mut out = Runner::stdout(&o.selection);
            let Some(base) = &o.base_url else {
                let why = "no service configured: set STAGING_URL (or --base-url)";
                out.emit_all(navikit::checks::skipped(TOOL, CHECKS, &o.selection, "", why))?;
                return Ok(out.finish(TOOL));
            };
            let seen = Cell::new(None);
            let checks = service(&o, base, &seen)?;
            out.stand_in(seen.take());
            out.emit_all(checks)?;
            Ok(out.finish(TOOL))
        }
        Parsed::Startup(cmd, health, timeout, selection) => {
            if selection.list {
                let defs = startup::NAMES.map(|name| Def { name, meaning: startup::MEANING });
                navikit::checks::list(&defs, &mut std::io::stdout().lock())?;
                return Ok(Outcome::Pass);
            }
            let mut out = Runner::stdout(&selection);
            out.emit_all(startup::run(cmd.as_deref(), health.as_deref(), timeout, |n| selection.wanted(n)))?;
            Ok(out.finish(TOOL))
        }
    }
}

pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) body: String,
    ms: f64,
}

/// StandIn remembers a stand-in's declaration seen on any response.
pub(crate) type StandIn = Cell<Option<String>>;

pub(crate) fn request(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    body: Option<&Value>,
    seen: &StandIn,
) -> Result<Resp, String> {
    let start = Instant::now();
    let auth = std::env::var("HTTP_CHECK_AUTH").ok().filter(|v| !v.is_empty());
    let result = if method == "POST" {
        let mut r = agent.post(url).header("content-type", "application/json");
        if let Some(a) = &auth {
            r = r.header("authorization", a);
        }
        r.send(body.map(Value::to_string).unwrap_or_default().as_bytes())
    } else {
        let mut r = agent.get(url);
        if let Some(a) = &auth {
            r = r.header("authorization", a);
        }
        r.call()
    };
    let resp = result.map_err(|e| navikit::redact::redact_text(&e.to_string()))?;
    let status = resp.status().as_u16();
    if let Some(v) = resp.headers().get(navikit::provenance::HEADER).and_then(|v| v.to_str().ok()) {
        seen.set(Some(v.chars().take(200).collect()));
    }
    let mut text = String::new();
    resp.into_body().into_reader().take(8 * 1024 * 1024).read_to_string(&mut text).map_err(|e| e.to_string())?;
    Ok(Resp { status, body: text, ms: start.elapsed().as_secs_f64() * 1000.0 })
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// service runs the selected service checks.
pub fn service(o: &ServiceOptions, base_url: &str, seen: &StandIn) -> Result<Vec<Check>, Error> {
    let t = navikit::http::Timeouts {
        connect: Duration::from_secs(5).min(o.timeout),
        first_byte: o.timeout,
        per_read: o.timeout,
        total: o.timeout,
    };
    let agent = navikit::http::agent(&t, concat!("http-check/", env!("CARGO_PKG_VERSION")), 4);
    let target = navikit::redact::redact_url(base_url).into_owned();
    let wanted = |n: &str| o.selection.wanted(n);
    let check = |name: &str, status, msg: String| Check::new(TOOL, name, &target, status, msg);
    let mut out = Vec::new();
    if wanted("http.health") {
        out.push(match request(&agent, "GET", &format!("{base_url}/health"), None, seen) {
            Ok(r) => {
                let body: Option<Value> = serde_json::from_str(&r.body).ok();
                let good = r.status == 200
                    && body.as_ref().and_then(|b| b.get("status")).and_then(Value::as_str) == Some("ok");
                // The body is the server's: it may echo what was sent (the Authorization value).
                let auth = std::env::var("HTTP_CHECK_AUTH").unwrap_or_default();
                let words: Vec<&str> = auth.split_whitespace().chain([auth.as_str()]).collect();
                let shown: String = navikit::redact::redact_with(&r.body.chars().take(120).collect::<String>(), &words);
                let c = if good {
                    check("http.health", CheckStatus::Pass, format!("GET /health answered status ok in {:.0} ms", r.ms))
                } else {
                    check("http.health", CheckStatus::Fail, format!("GET /health answered {} with {shown}", r.status))
                };
                c.observed(json!({"status": r.status, "latency_ms": round1(r.ms)}))
                    .expected(json!({"status": 200, "body": {"status": "ok"}}))
            }
            Err(e) => check("http.health", CheckStatus::Fail, format!("GET /health failed: {e}")),
        });
    }
    let needs_metrics = wanted("http.metrics.present") || wanted("http.metrics.increasing");
    let scrape = |agent: &ureq::Agent| -> Result<prom::Scrape, String> {
        let r = request(agent, "GET", &format!("{base_url}/metrics"), None, seen)?;
        if r.status != 200 {
            return Err(format!("GET /metrics answered {}", r.status));
        }
        prom::parse(&r.body).map_err(|e| format!("/metrics is not Prometheus text: {e}"))
    };
    let first = if needs_metrics { Some(scrape(&agent)) } else { None };
    let totals = |s: &prom::Scrape| -> serde_json::Map<String, Value> {
        o.series.iter().filter_map(|n| prom::total(s, n).map(|v| (n.clone(), json!(v)))).collect()
    };
    if wanted("http.metrics.present") {
        out.push(match &first {
            Some(Ok(samples)) => {
                let missing: Vec<&String> = o.series.iter().filter(|n| prom::total(samples, n).is_none()).collect();
                let observed = Value::Object(totals(samples));
                if missing.is_empty() {
                    check(
                        "http.metrics.present",
                        CheckStatus::Pass,
                        format!("{} samples; {} present", samples.samples.len(), o.series.join(", ")),
                    )
                    .observed(observed)
                } else {
                    let m: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
                    check(
                        "http.metrics.present",
                        CheckStatus::Fail,
                        format!("series missing from /metrics: {}", m.join(", ")),
                    )
                    .observed(observed)
                }
            }
            Some(Err(e)) => check("http.metrics.present", CheckStatus::Fail, e.clone()),
            None => check("http.metrics.present", CheckStatus::Error, "not scraped".into()),
        });
    }
    if wanted("http.metrics.increasing") {
        out.push(increasing(o, &agent, &first, &target, &scrape, &totals)?);
    }
    if wanted("http.navi.smoke") {
        let body = json!({"message": "Create a simple hello world Python script", "workspace_path": "/tmp/test"});
        out.push(match request(&agent, "POST", &format!("{base_url}/api/navi/chat"), Some(&body), seen) {
            Ok(r) => {
                let json_ok = serde_json::from_str::<Value>(&r.body).is_ok_and(|v| v.is_object());
                let fast = r.ms < o.smoke_limit.as_secs_f64() * 1000.0;
                let (status, msg) = match ((200..300).contains(&r.status), json_ok, fast) {
                    (true, true, true) => {
                        (CheckStatus::Pass, format!("POST /api/navi/chat answered {} in {:.0} ms", r.status, r.ms))
                    }
                    (false, _, _) => (CheckStatus::Fail, format!("POST /api/navi/chat answered {}", r.status)),
                    (_, false, _) => {
                        (CheckStatus::Fail, "POST /api/navi/chat answered with malformed JSON".to_string())
                    }
                    (_, _, false) => (
                        CheckStatus::Fail,
                        format!(
                            "POST /api/navi/chat took {:.1} s (limit {:.0} s)",
                            r.ms / 1000.0,
                            o.smoke_limit.as_secs_f64()
                        ),
                    ),
                };
                check("http.navi.smoke", status, msg)
                    .observed(json!({"status": r.status, "latency_ms": round1(r.ms)}))
                    .expected(json!({"latency_ms_lt": o.smoke_limit.as_millis() as u64}))
            }
            Err(e) => check("http.navi.smoke", CheckStatus::Fail, format!("POST /api/navi/chat failed: {e}")),
        });
    }
    Ok(out)
}

type Totals<'a> = dyn Fn(&prom::Scrape) -> serde_json::Map<String, Value> + 'a;

fn increasing(
    o: &ServiceOptions,
    agent: &ureq::Agent,
    first: &Option<Result<prom::Scrape, String>>,
    target: &str,
    scrape: &dyn Fn(&ureq::Agent) -> Result<prom::Scrape, String>,
    totals: &Totals<'_>,
) -> Result<Check, Error> {
    let name = "http.metrics.increasing";
    let check = |status, msg: String| Check::new(TOOL, name, target, status, msg);
    let Some(Ok(now_samples)) = first else {
        return Ok(check(CheckStatus::Error, "no scrape of /metrics to compare".into()));
    };
    let (before, after, what) = if let Some(iv) = o.interval {
        std::thread::sleep(iv);
        match scrape(agent) {
            Ok(s2) => (totals(now_samples), totals(&s2), format!("over {} s", iv.as_secs_f64())),
            Err(e) => return Ok(check(CheckStatus::Fail, format!("second scrape: {e}"))),
        }
    } else {
        let mut last: Option<serde_json::Map<String, Value>> = None;
        if let Some(path) = o.history.as_ref().filter(|p| p.exists()) {
            let shown = path.display().to_string();
            let file = navikit::files::open_regular(&shown)?;
            navikit::ndjson::Input::from_reader(&shown, file).records(|r, _| {
                if let Record::Check(c) = r
                    && c.check == "http.metrics.present"
                    && c.target == target
                    && let Some(Value::Object(m)) = c.observed
                {
                    last = Some(m);
                }
                Ok(())
            })?;
        }
        match last {
            Some(prev) => (prev, totals(now_samples), "since the last run".to_string()),
            None => {
                return Ok(check(
                    CheckStatus::Skip,
                    "first scrape: nothing to compare yet (give --interval or --history)".into(),
                )
                .observed(Value::Object(totals(now_samples))));
            }
        }
    };
    let mut grew = Vec::new();
    let mut flat = Vec::new();
    let mut reset = Vec::new();
    for s in &o.series {
        let (b, a) = (before.get(s).and_then(Value::as_f64), after.get(s).and_then(Value::as_f64));
        match (b, a) {
            (Some(b), Some(a)) if a > b => grew.push(format!("{s} {b} → {a}")),
            (Some(b), Some(a)) if a < b => reset.push(format!("{s} {b} → {a}")),
            (Some(b), Some(_)) => flat.push(format!("{s} stayed at {b}")),
            _ => flat.push(format!("{s} not in both scrapes")),
        }
    }
    let observed = json!({"before": before, "after": after});
    Ok(if !reset.is_empty() {
        check(
            CheckStatus::Skip,
            format!(
                "counter reset {what} (the service restarted): growth cannot be told across a restart: {}",
                reset.join(", ")
            ),
        )
        .observed(observed)
    } else if flat.is_empty() {
        check(CheckStatus::Pass, format!("counters grew {what}: {}", grew.join(", "))).observed(observed)
    } else {
        check(CheckStatus::Warn, format!("counters did not grow {what}: {}", flat.join(", "))).observed(observed)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_is_rounded_to_a_tenth_of_a_millisecond() {
        assert_eq!(round1(1234.5678), 1234.6);
        assert_eq!(round1(12.04), 12.0);
        assert_eq!(round1(7.0), 7.0);
        assert_eq!(round1(0.0), 0.0);
    }
}
