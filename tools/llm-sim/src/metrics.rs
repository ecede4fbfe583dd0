//! The NAVI-shaped service's Prometheus metrics, really counting:
//! `http_requests_total{method,path,status}`,
//! `aep_llm_calls_total{provider,model,status}` and the
//! `http_request_duration_seconds` histogram per path.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// BUCKETS are the histogram's upper bounds in seconds.
pub const BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
const MAX_MODELS: usize = 64;

#[derive(Default)]
struct Hist {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Metrics holds every counter of the service.
#[derive(Default)]
pub struct Metrics {
    http: Mutex<BTreeMap<(String, String, u16), u64>>,
    llm: Mutex<BTreeMap<(String, String, String), u64>>,
    durations: Mutex<BTreeMap<String, Hist>>,
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

impl Metrics {
    /// Metrics::http_request counts one finished HTTP request.
    pub fn http_request(&self, method: &str, path: &str, status: u16, seconds: f64) {
        // Counting a known series allocates nothing: this runs on every request.
        if let Ok(mut m) = self.http.lock() {
            match m.iter_mut().find(|(k, _)| k.2 == status && k.0 == method && k.1 == path) {
                Some((_, n)) => *n += 1,
                None => {
                    m.insert((method.to_string(), path.to_string(), status), 1);
                }
            }
        }
        if let Ok(mut d) = self.durations.lock() {
            if !d.contains_key(path) {
                d.insert(path.to_string(), Hist::default());
            }
            let Some(h) = d.get_mut(path) else { return };
            for (i, le) in BUCKETS.iter().enumerate() {
                if seconds <= *le {
                    h.counts[i] += 1;
                }
            }
            h.count += 1;
            h.sum += seconds;
        }
    }

    /// Metrics::llm_call counts one call to the (simulated) LLM.
    pub fn llm_call(&self, provider: &str, model: &str, ok: bool) {
        if let Ok(mut m) = self.llm.lock() {
            // Model names come from clients: bound the label's cardinality.
            let status = if ok { "success" } else { "error" };
            if let Some((_, n)) = m.iter_mut().find(|(k, _)| k.2 == status && k.1 == model && k.0 == provider) {
                *n += 1;
                return;
            }
            let known = m.keys().any(|k| k.1 == model);
            let distinct = || m.keys().map(|k| &k.1).collect::<std::collections::BTreeSet<_>>().len();
            let model = if known || distinct() < MAX_MODELS { model } else { "other" };
            *m.entry((provider.to_string(), model.to_string(), status.to_string())).or_insert(0) += 1;
        }
    }

    /// Metrics::render writes the text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP http_requests_total Total HTTP requests by method, route and status.\n# TYPE http_requests_total counter\n");
        if let Ok(m) = self.http.lock() {
            for ((method, path, status), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "http_requests_total{{method=\"{method}\",path=\"{}\",status=\"{status}\"}} {n}",
                    escape(path)
                );
            }
        }
        out.push_str("# HELP aep_llm_calls_total LLM calls by provider, model and outcome.\n# TYPE aep_llm_calls_total counter\n");
        if let Ok(m) = self.llm.lock() {
            for ((provider, model, status), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "aep_llm_calls_total{{provider=\"{}\",model=\"{}\",status=\"{status}\"}} {n}",
                    escape(provider),
                    escape(model)
                );
            }
        }
        out.push_str("# HELP http_request_duration_seconds Time to the response headers, by route.\n# TYPE http_request_duration_seconds histogram\n");
        if let Ok(d) = self.durations.lock() {
            for (path, h) in d.iter() {
                let p = escape(path);
                for (i, le) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "http_request_duration_seconds_bucket{{path=\"{p}\",le=\"{le}\"}} {}",
                        h.counts[i]
                    );
                }
                let _ = writeln!(out, "http_request_duration_seconds_bucket{{path=\"{p}\",le=\"+Inf\"}} {}", h.count);
                let _ = writeln!(out, "http_request_duration_seconds_sum{{path=\"{p}\"}} {}", h.sum);
                let _ = writeln!(out, "http_request_duration_seconds_count{{path=\"{p}\"}} {}", h.count);
            }
        }
        out
    }
}
