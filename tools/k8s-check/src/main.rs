//! k8s-check: the plan's Kubernetes checks (see `k8s-check --help`).

use std::process::ExitCode;

fn main() -> ExitCode {
    navikit::exit::finish("k8s-check", k8s_check::cli::parse().and_then(|o| k8s_check::run(&o)))
}
