//! The check runner every checking tool shares: the registry of a tool's
//! checks (name and meaning, written once), the `--only/--skip/--strict/
//! --allow-skip/--list` flags, the verdict policy, and the writer that stamps
//! provenance and turns the verdicts into an outcome.
//!
//! Policy, in one place: `pass` passes; `warn` fails only under `--strict`;
//! `fail` and `error` fail; `skip` (the check could not look) fails unless
//! `--allow-skip`, because a run that did not look has not passed. A run that
//! produced no verdict at all fails too: an empty run is never "all passed".

use std::io::Write;

use crate::exit::{Error, Outcome};
use crate::ndjson::RecordWriter;
use crate::record::{Check, CheckStatus, Record};

/// Def is one check of a tool's registry: its dotted name and what it looks at.
#[derive(Debug, Clone, Copy)]
pub struct Def {
    /// Dotted check name, e.g. `pg.alembic.head`.
    pub name: &'static str,
    /// What the check looks at and when it passes (shown by `--list`, docs/checks.md).
    pub meaning: &'static str,
}

/// Selection is the `--only`, `--skip`, `--strict`, `--allow-skip` and
/// `--list` flags every checking tool takes.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Selection {
    /// Only these checks (comma-separated names).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Leave these checks out (comma-separated names).
    #[arg(long, value_delimiter = ',')]
    pub skip: Vec<String>,
    /// Warnings fail the run too.
    #[arg(long)]
    pub strict: bool,
    /// A check that could not look (status `skip`) does not fail the run.
    #[arg(long)]
    pub allow_skip: bool,
    /// List the checks with what each looks at, and exit.
    #[arg(long)]
    pub list: bool,
}

impl Selection {
    /// Selection::validate rejects names that are not checks of the registry.
    pub fn validate(&self, defs: &[Def]) -> Result<(), Error> {
        for n in self.only.iter().chain(&self.skip) {
            if !defs.iter().any(|d| d.name == n) {
                let known: Vec<&str> = defs.iter().map(|d| d.name).collect();
                return Err(Error::input(format!("unknown check `{n}` (known: {})", known.join(", "))));
            }
        }
        Ok(())
    }

    /// Selection::wanted says whether a check is to run.
    pub fn wanted(&self, name: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|o| o == name)) && !self.skip.iter().any(|s| s == name)
    }

    /// Selection::fails says whether a verdict fails the run under these flags.
    pub fn fails(&self, status: CheckStatus) -> bool {
        match status {
            CheckStatus::Pass => false,
            CheckStatus::Warn => self.strict,
            CheckStatus::Skip => !self.allow_skip,
            CheckStatus::Fail | CheckStatus::Error => true,
        }
    }
}

/// list prints the registry, one `name  meaning` line per check.
pub fn list(defs: &[Def], out: &mut impl Write) -> Result<(), Error> {
    for d in defs {
        writeln!(out, "{:32} {}", d.name, d.meaning)?;
    }
    Ok(())
}

/// skipped is one `skip` record per selected check, for a tool that cannot
/// look at all (no target configured, no access): the run says what was not
/// validated instead of saying nothing.
pub fn skipped(tool: &str, defs: &[Def], sel: &Selection, target: &str, why: &str) -> Vec<Check> {
    defs.iter()
        .filter(|d| sel.wanted(d.name))
        .map(|d| Check::new(tool, d.name, target, CheckStatus::Skip, why))
        .collect()
}

/// Runner writes a tool's verdicts as they are reached and keeps the outcome.
pub struct Runner<'s, W: Write> {
    out: RecordWriter<W>,
    sel: &'s Selection,
    stand_in: Option<String>,
    written: u64,
    failed: bool,
    closed: bool,
}

impl<'s> Runner<'s, std::io::Stdout> {
    /// Runner::stdout writes to stdout.
    pub fn stdout(sel: &'s Selection) -> Self {
        Runner::new(RecordWriter::stdout(), sel)
    }
}

impl<'s, W: Write> Runner<'s, W> {
    /// Runner::new writes to any record writer.
    pub fn new(out: RecordWriter<W>, sel: &'s Selection) -> Self {
        Runner { out, sel, stand_in: None, written: 0, failed: false, closed: false }
    }

    /// Runner::stand_in marks every later verdict as made on a stand-in that
    /// declared itself (unless the verdict already names one).
    pub fn stand_in(&mut self, who: Option<String>) {
        self.stand_in = who;
    }

    /// Runner::emit writes one verdict and flushes it.
    pub fn emit(&mut self, mut c: Check) -> Result<(), Error> {
        if c.stand_in.is_none() {
            c.stand_in.clone_from(&self.stand_in);
        }
        self.failed |= self.sel.fails(c.status);
        self.written += 1;
        if self.closed {
            return Ok(());
        }
        match self.out.write(&Record::Check(c)) {
            // A closed stdout (`| head -1`) ends the output, not the judging:
            // the exit code still says whether every verdict passed.
            Err(e) if crate::exit::is_broken_pipe(&e) => {
                self.closed = true;
                Ok(())
            }
            other => Ok(other?),
        }
    }

    /// Runner::emit_all writes verdicts in order.
    pub fn emit_all(&mut self, checks: impl IntoIterator<Item = Check>) -> Result<(), Error> {
        checks.into_iter().try_for_each(|c| self.emit(c))
    }

    /// Runner::finish is the run's outcome; a run with no verdict fails.
    pub fn finish(self, tool: &str) -> Outcome {
        if self.written == 0 {
            eprintln!("{tool}: no check ran: nothing was validated");
            return Outcome::Fail;
        }
        Outcome::from_failed(self.failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(strict: bool, allow_skip: bool) -> Selection {
        Selection { strict, allow_skip, ..Selection::default() }
    }

    #[test]
    fn policy_per_status() {
        let plain = sel(false, false);
        let expect = [(CheckStatus::Pass, false), (CheckStatus::Warn, false), (CheckStatus::Fail, true)];
        for (s, f) in expect {
            assert_eq!(plain.fails(s), f, "{s:?}");
        }
        assert!(plain.fails(CheckStatus::Error));
        assert!(plain.fails(CheckStatus::Skip));
        assert!(sel(true, false).fails(CheckStatus::Warn));
        assert!(!sel(false, true).fails(CheckStatus::Skip));
        assert!(sel(false, true).fails(CheckStatus::Fail));
    }

    fn run(statuses: &[CheckStatus], s: &Selection) -> (Outcome, Vec<Check>) {
        let mut r = Runner::new(RecordWriter::new(Vec::new()), s);
        r.stand_in(Some("llm-sim".into()));
        for st in statuses {
            r.emit(Check::new("t", "t.x", "", *st, "")).expect("vec write");
        }
        let failed = r.failed;
        let written = r.written;
        let text = String::from_utf8(r.out.into_inner()).expect("utf8");
        let checks = text
            .lines()
            .map(|l| match serde_json::from_str::<Record>(l).expect("record") {
                Record::Check(c) => c,
                other => panic!("not a check: {other:?}"),
            })
            .collect();
        let outcome = if written == 0 { Outcome::Fail } else { Outcome::from_failed(failed) };
        (outcome, checks)
    }

    #[test]
    fn runner_stamps_stand_in_and_judges() {
        let (o, checks) = run(&[CheckStatus::Pass, CheckStatus::Skip], &sel(false, false));
        assert_eq!(o, Outcome::Fail);
        assert_eq!(checks.len(), 2);
        assert!(checks.iter().all(|c| c.stand_in.as_deref() == Some("llm-sim")));
        assert_eq!(run(&[CheckStatus::Pass, CheckStatus::Skip], &sel(false, true)).0, Outcome::Pass);
        assert_eq!(run(&[CheckStatus::Pass, CheckStatus::Warn], &sel(false, false)).0, Outcome::Pass);
    }

    #[test]
    fn list_prints_each_check_and_emit_all_writes_each() {
        const DEFS: &[Def] = &[Def { name: "a.one", meaning: "looks at one" }, Def { name: "a.two", meaning: "two" }];
        let mut out = Vec::new();
        list(DEFS, &mut out).expect("vec write");
        let text = String::from_utf8(out).expect("utf8");
        assert_eq!(text.lines().count(), 2);
        assert!(text.lines().next().is_some_and(|l| l.starts_with("a.one") && l.ends_with("looks at one")));
        let sel = Selection::default();
        let mut r = Runner::new(RecordWriter::new(Vec::new()), &sel);
        r.emit_all(skipped("t", DEFS, &sel, "", "why")).expect("vec write");
        assert_eq!(r.written, 2);
        assert_eq!(String::from_utf8(r.out.into_inner()).expect("utf8").lines().count(), 2);
    }

    /// Refusing fails every write with one kind of error.
    struct Refusing(std::io::ErrorKind);

    impl Write for Refusing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::from(self.0))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Err(std::io::Error::from(self.0))
        }
    }

    #[test]
    fn a_closed_stdout_keeps_judging_and_other_write_errors_stop() {
        let s = Selection::default();
        let mut r = Runner::new(RecordWriter::new(Refusing(std::io::ErrorKind::BrokenPipe)), &s);
        r.emit(Check::new("t", "t.x", "", CheckStatus::Fail, "")).expect("a closed pipe is not an error");
        r.emit(Check::new("t", "t.y", "", CheckStatus::Pass, "")).expect("a closed pipe is not an error");
        assert_eq!(r.finish("t"), Outcome::Fail, "the failure still decides the exit code");
        let mut r = Runner::new(RecordWriter::new(Refusing(std::io::ErrorKind::StorageFull)), &s);
        assert!(r.emit(Check::new("t", "t.x", "", CheckStatus::Pass, "")).is_err(), "a full disk is an error");
    }

    #[test]
    fn empty_run_fails() {
        let s = sel(false, true);
        let r = Runner::new(RecordWriter::new(Vec::new()), &s);
        assert_eq!(r.finish("t"), Outcome::Fail);
    }

    #[test]
    fn only_and_skip_select_by_exact_name() {
        let s = |only: &[&str], skip: &[&str]| Selection {
            only: only.iter().map(|x| x.to_string()).collect(),
            skip: skip.iter().map(|x| x.to_string()).collect(),
            ..Selection::default()
        };
        assert!(s(&[], &[]).wanted("a.one"));
        assert!(s(&["a.one"], &[]).wanted("a.one"));
        assert!(!s(&["a.one"], &[]).wanted("a.two"));
        assert!(!s(&[], &["a.one"]).wanted("a.one"));
        assert!(s(&[], &["a.one"]).wanted("a.two"));
        assert!(!s(&["a.one"], &["a.one"]).wanted("a.one"));
    }

    #[test]
    fn skipped_names_every_selected_check() {
        const DEFS: &[Def] = &[Def { name: "a.one", meaning: "" }, Def { name: "a.two", meaning: "" }];
        let s = Selection { skip: vec!["a.two".into()], ..Selection::default() };
        let v = skipped("t", DEFS, &s, "db", "DATABASE_URL is not set");
        assert_eq!(v.len(), 1);
        assert_eq!((v[0].check.as_str(), v[0].status), ("a.one", CheckStatus::Skip));
        assert_eq!(v[0].message, "DATABASE_URL is not set");
        assert!(s.validate(DEFS).is_ok());
        assert!(Selection { only: vec!["nope".into()], ..Selection::default() }.validate(DEFS).is_err());
    }
}
