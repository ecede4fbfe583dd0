//! Fault injection: rates from `--faults`, or one fault per request from the
//! `x-sim-fault` header, so tests can ask for each kind deterministically.

use std::fmt;

/// Fault is one way a request can go wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 429 with the API's rate-limit error and retry-after.
    RateLimit,
    /// 529 overloaded (Anthropic); 503 on OpenAI paths.
    Overloaded,
    /// 500 server error.
    ServerError,
    /// 503 service unavailable with retry-after.
    Unavailable,
    /// The stream (or body) ends mid-way: the connection is aborted.
    Cut,
    /// The stream stops sending but stays open.
    Stall,
    /// A broken SSE event or JSON body.
    Malformed,
    /// The first token comes late.
    SlowFirstToken,
}

impl Fault {
    /// Fault::ALL lists every kind with its spelling in flags and headers.
    pub const ALL: [(&'static str, Fault); 8] = [
        ("429", Fault::RateLimit),
        ("529", Fault::Overloaded),
        ("500", Fault::ServerError),
        ("503", Fault::Unavailable),
        ("cut", Fault::Cut),
        ("stall", Fault::Stall),
        ("malformed", Fault::Malformed),
        ("slow_first_token", Fault::SlowFirstToken),
    ];

    /// Fault::parse reads one kind (`429`, `cut`, ...).
    pub fn parse(s: &str) -> Option<Fault> {
        Fault::ALL.iter().find(|(n, _)| *n == s.trim()).map(|(_, f)| *f)
    }

    /// Fault::strikes_body says whether the fault strikes a 200's body
    /// (mid-way) rather than its status or timing.
    pub fn strikes_body(self) -> bool {
        matches!(self, Fault::Cut | Fault::Stall | Fault::Malformed)
    }

    /// Fault::name is the kind as spelled in flags.
    pub fn name(self) -> &'static str {
        Fault::ALL.iter().find(|(_, f)| *f == self).map_or("?", |(n, _)| n)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// FaultRates are the probabilities of each fault, summing to at most 1.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultRates(pub Vec<(Fault, f64)>);

impl FaultRates {
    /// FaultRates::parse reads `429=5%,cut=1%` (also `429=0.05`).
    pub fn parse(spec: &str) -> Result<FaultRates, String> {
        let mut rates = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (kind, rate) = part.split_once('=').ok_or_else(|| format!("`{part}` is not KIND=RATE"))?;
            let fault = Fault::parse(kind).ok_or_else(|| {
                let kinds: Vec<&str> = Fault::ALL.iter().map(|(n, _)| *n).collect();
                format!("unknown fault `{kind}` (one of {})", kinds.join(", "))
            })?;
            let rate = rate.trim();
            let value = if let Some(p) = rate.strip_suffix('%') {
                p.trim().parse::<f64>().map(|v| v / 100.0)
            } else {
                rate.parse::<f64>()
            }
            .map_err(|_| format!("`{rate}` is not a rate (write 5% or 0.05)"))?;
            if !(0.0..=1.0).contains(&value) {
                return Err(format!("rate of `{kind}` must be within 0..100%"));
            }
            rates.push((fault, value));
        }
        let total: f64 = rates.iter().map(|(_, r)| r).sum();
        if total > 1.0 + 1e-9 {
            return Err(format!("fault rates add up to {:.1}%, more than 100%", total * 100.0));
        }
        Ok(FaultRates(rates))
    }

    /// FaultRates::pick chooses a fault for a uniform draw in [0, 1).
    pub fn pick(&self, draw: f64) -> Option<Fault> {
        let mut acc = 0.0;
        for (f, r) in &self.0 {
            acc += r;
            if draw < acc {
                return Some(*f);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_and_pick_in_order() {
        let r = FaultRates::parse("429=5%,cut=0.01").unwrap();
        assert_eq!(r.0, vec![(Fault::RateLimit, 0.05), (Fault::Cut, 0.01)]);
        assert_eq!(r.pick(0.01), Some(Fault::RateLimit));
        assert_eq!(r.pick(0.055), Some(Fault::Cut));
        assert_eq!(r.pick(0.5), None);
        assert!(FaultRates::parse("418=1%").unwrap_err().contains("unknown fault `418`"));
        assert!(FaultRates::parse("429=80%,500=30%").unwrap_err().contains("more than 100%"));
        assert!(FaultRates::parse("429").unwrap_err().contains("not KIND=RATE"));
        assert_eq!(FaultRates::parse("").unwrap(), FaultRates::default());
    }
}
