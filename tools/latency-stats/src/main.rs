//! latency-stats: summarise probe records (see `latency-stats --help`).

use std::process::ExitCode;

fn main() -> ExitCode {
    navikit::exit::finish("latency-stats", latency_stats::cli::parse().and_then(|o| latency_stats::run(&o)))
}
