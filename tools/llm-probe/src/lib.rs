//! llm-probe: real LLM benchmark runs. Sends the scenarios to a provider
//! (Anthropic, OpenAI chat or Responses, any OpenAI-compatible server, or
//! the NAVI service), streams the answers, and writes one probe record per
//! request: latency, TTFT (first answer token, never the role chunk), time to
//! any first token (thinking included), inter-token gaps, TPOT, tokens,
//! cost, attempts, request id and a classified error. llm-sim is the default
//! target in tests; its encoder shares no code with the decoder here.

pub mod cli;
pub mod config;
pub mod dialect;
pub mod exchange;
pub mod measure;
pub mod options;
pub mod preflight;
pub mod prices;
pub mod runner;
pub mod scenario;
pub mod search;
pub mod sse;

use navikit::{Error, Outcome};

/// run carries out a parsed command line.
pub fn run(parsed: options::Parsed) -> Result<Outcome, Error> {
    match parsed {
        options::Parsed::Run(opts) => runner::run(&opts),
        options::Parsed::Preflight(target, live, extra, policy) => preflight::run(&target, live, &extra, &policy),
        options::Parsed::Search(opts) => search::run(&opts),
        options::Parsed::ListPreflight => {
            navikit::checks::list(preflight::CHECKS, &mut std::io::stdout().lock())?;
            Ok(Outcome::Pass)
        }
    }
}
