//! cloud-check: provisioning checks (see `cloud-check --help`).

use std::process::ExitCode;

fn main() -> ExitCode {
    navikit::exit::finish("cloud-check", cloud_check::parse().and_then(|o| cloud_check::run(&o)))
}
