//! pg-check: the plan's database checks (see `pg-check --help`).

use std::process::ExitCode;

fn main() -> ExitCode {
    navikit::exit::finish("pg-check", pg_check::cli::parse().and_then(|o| pg_check::run(&o)))
}
