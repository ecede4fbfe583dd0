//! http-check: the service's own checks (see `http-check --help`).

use std::process::ExitCode;

fn main() -> ExitCode {
    navikit::exit::finish("http-check", http_check::cli::parse().and_then(http_check::run))
}
