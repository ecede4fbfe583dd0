//! llm-probe: benchmark LLM APIs (see `llm-probe --help`).

use std::process::ExitCode;

fn main() -> ExitCode {
    navikit::exit::finish("llm-probe", llm_probe::options::parse().and_then(llm_probe::run))
}
