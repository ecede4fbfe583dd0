//! Exit codes shared by every tool, and the one place errors become codes.
//!
//! `0` all checks passed / thresholds met, `1` a check failed or a threshold
//! was missed, `2` usage, configuration or input error. A closed stdout
//! (`tool | head -1`) is not an error: the tool ends quietly with `0`.

use std::fmt;
use std::io;
use std::process::ExitCode;

/// Outcome of a run that did its work: did every verdict pass?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every check passed and every threshold was met (exit 0).
    Pass,
    /// At least one check failed or a threshold was missed (exit 1).
    Fail,
}

impl Outcome {
    /// Outcome::from_failed turns "did anything fail" into an outcome.
    pub fn from_failed(failed: bool) -> Self {
        if failed { Outcome::Fail } else { Outcome::Pass }
    }

    /// Outcome::code is the process exit code of this outcome.
    pub fn code(self) -> u8 {
        match self {
            Outcome::Pass => 0,
            Outcome::Fail => 1,
        }
    }
}

/// Error is everything that stops a tool before it can give a verdict.
#[derive(Debug)]
pub enum Error {
    /// Usage, configuration or input error (exit 2): the message says what and where.
    Input(String),
    /// An I/O error while writing output or reading input (exit 2, or 0 for a closed pipe).
    Io(io::Error),
    /// The run was interrupted by a signal (exit 130), after flushing what finished.
    Interrupted,
}

impl Error {
    /// Error::input builds an input error from anything printable.
    pub fn input(msg: impl fmt::Display) -> Self {
        Error::Input(msg.to_string())
    }

    /// Error::code is the exit code this error maps to.
    pub fn code(&self) -> u8 {
        match self {
            Error::Io(e) if is_broken_pipe(e) => 0,
            Error::Interrupted => 130,
            _ => 2,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Input(m) => f.write_str(m),
            Error::Io(e) => write!(f, "{e}"),
            Error::Interrupted => f.write_str("interrupted"),
        }
    }
}

impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

/// is_broken_pipe says whether an I/O error (or one it wraps) is a closed pipe.
pub fn is_broken_pipe(e: &io::Error) -> bool {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return true;
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<io::Error>()
            && io.kind() == io::ErrorKind::BrokenPipe
        {
            return true;
        }
        source = s.source();
    }
    false
}

/// finish maps a tool's result to its exit code, printing `tool: message` on
/// stderr for errors. Every tool's `main` ends with it, so the mapping lives
/// in one place.
pub fn finish(tool: &str, result: Result<Outcome, Error>) -> ExitCode {
    match result {
        Ok(outcome) => ExitCode::from(outcome.code()),
        Err(err) => {
            let code = err.code();
            if code != 0 {
                eprintln!("{tool}: {}", crate::redact::redact_text(&err.to_string()));
            }
            ExitCode::from(code)
        }
    }
}
