//! report-md: turns records into the documents the plan asks for —
//! `docs/PERFORMANCE_BENCHMARKS.md`, the appended
//! `docs/staging_validation_log.md`, the week-1 checklist — and into
//! Prometheus gauges for the monitor's textfile.

pub mod benchmarks;
pub mod checklist;
pub mod cli;
pub mod prometheus;
pub mod validation_log;

use std::io::Write;
use std::path::Path;

use navikit::ndjson::Input;
use navikit::record::Record;
use navikit::{Error, Outcome};

use cli::Command;

/// read_records reads every record of the inputs (stdin when none).
pub fn read_records(files: &[String]) -> Result<Vec<Record>, Error> {
    let mut all = Vec::new();
    for input in Input::open_all(files)? {
        input.records(|r, _| {
            all.push(r);
            Ok(())
        })?;
    }
    Ok(all)
}

/// write_output writes a document to a file (atomically, through a
/// temporary file and a rename) or to stdout.
pub fn write_output(path: Option<&Path>, text: &str) -> Result<(), Error> {
    match path {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
        Some(p) => {
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| Error::input(format!("cannot create {}: {e}", dir.display())))?;
            }
            let tmp = p.with_extension("md.tmp");
            std::fs::write(&tmp, text).map_err(|e| Error::input(format!("cannot write {}: {e}", tmp.display())))?;
            std::fs::rename(&tmp, p).map_err(|e| Error::input(format!("cannot write {}: {e}", p.display())))?;
        }
    }
    Ok(())
}

/// run carries out one subcommand.
pub fn run(cmd: Command) -> Result<Outcome, Error> {
    match cmd {
        Command::Benchmarks(a) => {
            let records = read_records(&a.out.files)?;
            let baseline = a.baseline.as_ref().map(|b| read_records(std::slice::from_ref(b))).transpose()?;
            let (text, met) = benchmarks::render(&records, baseline.as_deref(), &a.load)?;
            write_output(a.out.output.as_deref(), &text)?;
            Ok(Outcome::from_failed(!met))
        }
        Command::ValidationLog(a) => {
            let records = read_records(&a.files)?;
            let at = match &a.at {
                Some(t) => Some(
                    chrono::DateTime::parse_from_rfc3339(t)
                        .map_err(|e| Error::input(format!("--at `{t}`: {e}")))?
                        .with_timezone(&chrono::Utc),
                ),
                None => None,
            };
            let logged = validation_log::append(&a.log, &records, at)?;
            if logged.checks == 0 {
                eprintln!("report-md: the run produced no check records: nothing was validated");
            }
            Ok(Outcome::from_failed(logged.fails(a.allow_skip)))
        }
        Command::Checklist(a) => {
            let records = read_records(&a.files)?;
            let (text, all) = checklist::render(&records);
            write_output(a.output.as_deref(), &text)?;
            Ok(Outcome::from_failed(!all))
        }
        Command::Prometheus(a) => {
            let records = read_records(&a.files)?;
            let (text, failed) = prometheus::render(&records);
            write_output(a.output.as_deref(), &text)?;
            Ok(Outcome::from_failed(failed))
        }
    }
}
