//! report-md: documents from records (see `report-md --help`).

use std::process::ExitCode;

fn main() -> ExitCode {
    navikit::exit::finish("report-md", report_md::cli::parse().and_then(report_md::run))
}
