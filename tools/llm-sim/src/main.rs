//! llm-sim: the embedded default target (see `llm-sim --help`).

use std::process::ExitCode;

// mimalloc, not glibc's malloc: a no-delay load spent a sixth of the
// server's CPU in malloc and free (hyper's buffers, the answer); with
// mimalloc chat completions went from about half of oha's /health ceiling
// to about two thirds (docs/benchmarks.md). Built with `no_thp`, it does
// not ask for transparent huge pages: when it did, 10,000 held streams took
// 368 MB instead of 250.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    navikit::exit::finish("llm-sim", llm_sim::cli::parse().and_then(llm_sim::run))
}
