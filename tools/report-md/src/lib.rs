//! report-md: turns records into the documents the plan asks for —
//! `docs/PERFORMANCE_BENCHMARKS.md`, the appended
//! `docs/staging_validation_log.md`, the appended staging deployment log,
//! the week-1 checklist, the lessons learned — and into
//! Prometheus gauges for the monitor's textfile, and the targets file into
//! Prometheus alerting rules.

pub mod benchmarks;
pub mod capacity;
pub mod checklist;
pub mod cli;
pub mod comparison;
pub mod deployment_log;
pub mod lessons;
pub mod prometheus;
pub mod rules;
pub mod timeline;
pub mod validation_log;

use std::io::Write;
use std::path::Path;

use navikit::ndjson::Input;
use navikit::record::Record;
use navikit::{Error, Outcome};

use cli::Command;

/// one_line keeps outside text (a check's message, a name) on its line of a
/// document: secrets redacted, line breaks turned to spaces.
pub fn one_line(s: &str) -> String {
    navikit::redact::redact_text(s).replace(['\n', '\r'], " ")
}

/// cell is [`one_line`] made safe inside a table cell or list item: pipes,
/// headings and code spans defused.
pub fn cell(s: &str) -> String {
    one_line(s).replace('|', "\\|").replace('#', "\\#").replace('`', "'")
}

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

/// write_output writes a document to stdout, or to a file: through a new
/// temporary file in the same directory (created exclusively, never
/// following a planted link), renamed over the target atomically, removed if
/// anything fails. A target that exists and is not a regular file (a device,
/// a link, a directory) is refused, so `-o /dev/full` run as root does not
/// replace the device.
pub fn write_output(path: Option<&Path>, text: &str) -> Result<(), Error> {
    let Some(p) = path else {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()?;
        return Ok(());
    };
    let shown = p.display();
    if let Ok(meta) = std::fs::symlink_metadata(p)
        && !meta.is_file()
    {
        return Err(Error::input(format!("{shown}: not a regular file; refusing to replace it")));
    }
    let dir = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::input(format!("cannot create {}: {e}", dir.display())))?;
    let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "output".into());
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let (tmp, mut file) = (0..64)
        .find_map(|n| {
            let tmp = dir.join(format!(".{name}.{}.{stamp}.{n}.tmp", std::process::id()));
            std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp).ok().map(|f| (tmp, f))
        })
        .ok_or_else(|| Error::input(format!("cannot create a temporary file in {}", dir.display())))?;
    let written = file.write_all(text.as_bytes()).and_then(|()| file.sync_all());
    drop(file);
    let renamed = written.and_then(|()| std::fs::rename(&tmp, p));
    if let Err(e) = renamed {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::input(format!("cannot write {shown}: {e}")));
    }
    Ok(())
}

/// append_locked appends to a log that many runs share: opened for
/// appending (created when missing, refused when not a regular file), held
/// under an exclusive lock so concurrent cron runs never interleave, and
/// given what `compose` makes of the text already there (nothing for `None`).
/// Says whether anything was appended.
pub fn append_locked(path: &Path, compose: impl FnOnce(&str) -> Option<String>) -> Result<bool, Error> {
    use std::io::{Read, Seek, SeekFrom};
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::input(format!("cannot create {}: {e}", dir.display())))?;
    }
    if std::fs::symlink_metadata(path).is_ok_and(|m| !m.is_file()) {
        return Err(Error::input(format!("{}: not a regular file", path.display())));
    }
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| Error::input(format!("cannot open {}: {e}", path.display())))?;
    if !f.metadata()?.is_file() {
        return Err(Error::input(format!("{}: not a regular file", path.display())));
    }
    f.lock().map_err(|e| Error::input(format!("cannot lock {}: {e}", path.display())))?;
    let mut existing = String::new();
    f.seek(SeekFrom::Start(0))?;
    f.read_to_string(&mut existing)?;
    let appended = match compose(&existing) {
        Some(text) => {
            f.write_all(text.as_bytes())?;
            f.flush()?;
            true
        }
        None => false,
    };
    f.unlock()?;
    Ok(appended)
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
            let records = read_records(&a.out.files)?;
            let (text, all) = checklist::render(&records, &a.docs);
            write_output(a.out.output.as_deref(), &text)?;
            Ok(Outcome::from_failed(!all))
        }
        Command::Prometheus(a) => {
            let records = read_records(&a.files)?;
            let (text, failed) = prometheus::render(&records);
            write_output(a.output.as_deref(), &text)?;
            Ok(Outcome::from_failed(failed))
        }
        Command::DeploymentLog(a) => {
            let records = read_records(&a.files)?;
            match deployment_log::append(&a.log, &records)? {
                Some(passed) => Ok(Outcome::from_failed(!passed)),
                None => {
                    eprintln!("report-md: no k8s.rollout.complete record: no deployment to log");
                    Ok(Outcome::Fail)
                }
            }
        }
        Command::Lessons(a) => {
            let records = read_records(&a.files)?;
            write_output(a.output.as_deref(), &lessons::render(&records))?;
            Ok(Outcome::Pass)
        }
        Command::AlertRules(a) => {
            let opts = rules::Options {
                service: a.service_selector,
                chat: a.chat_selector,
                runbook_base: a.runbook_base,
                compress: a.compress,
            };
            rules::check_options(&opts).map_err(Error::input)?;
            let text = navikit::files::read_small(&a.targets)?;
            let targets = navikit::threshold::Threshold::parse_list(&a.targets, &text).map_err(Error::input)?;
            write_output(a.output.as_deref(), &rules::render(&opts, &a.targets, &targets))?;
            Ok(Outcome::Pass)
        }
    }
}
