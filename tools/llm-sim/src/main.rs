//! llm-sim: the embedded default target (see `llm-sim --help`).

use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    navikit::exit::finish("llm-sim", llm_sim::cli::parse().and_then(llm_sim::run))
}
