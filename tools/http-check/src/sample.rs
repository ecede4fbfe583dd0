//! `http-check --sample`: the service's own metrics read on an interval
//! while a load runs — every sample of the `--require-series` families, so
//! report-md can show what the service counted beside what the probe saw.

use chrono::Utc;
use navikit::ndjson::RecordWriter;
use navikit::record::Sample;
use navikit::sample::Plan;
use navikit::{Error, Outcome};

use crate::cli::ServiceOptions;
use crate::{StandIn, TOOL, prom, request};

/// run samples `/metrics` until the plan's bound or a signal.
pub fn run(o: &ServiceOptions, plan: Plan) -> Result<Outcome, Error> {
    let Some(base) = &o.base_url else {
        return Err(Error::input("--sample needs the service: set STAGING_URL (or --base-url)"));
    };
    let t = navikit::http::Timeouts {
        connect: std::time::Duration::from_secs(5).min(o.timeout),
        first_byte: o.timeout,
        per_read: o.timeout,
        total: o.timeout.min(plan.every.max(std::time::Duration::from_secs(1))),
    };
    let agent = navikit::http::agent(&t, concat!("http-check/", env!("CARGO_PKG_VERSION")), 4);
    let target = navikit::redact::redact_url(base).into_owned();
    let url = format!("{base}/metrics");
    let seen = StandIn::new(None);
    let mut out = RecordWriter::stdout();
    navikit::sample::run(TOOL, plan, &mut out, || {
        let r = request(&agent, "GET", &url, None, &seen)?;
        if r.status != 200 {
            return Err(format!("{target}/metrics answered HTTP {}", r.status));
        }
        let scrape = prom::parse(&r.body).map_err(|e| format!("{target}/metrics: {e}"))?;
        let (ts, stand_in) = (Utc::now(), seen.take());
        seen.set(stand_in.clone());
        Ok(scrape
            .samples
            .into_iter()
            .filter(|s| o.series.contains(&s.name) && s.value.is_finite())
            .map(|s| Sample {
                ts,
                tool: TOOL.into(),
                target: target.clone(),
                series: s.name,
                labels: s.labels,
                value: s.value,
                stand_in: stand_in.clone(),
            })
            .collect())
    })
}
