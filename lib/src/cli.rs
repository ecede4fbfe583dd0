//! Argument parsing shared by every tool: clap errors become one-line
//! usage errors (exit 2); `--help` and `--version` print and exit 0.

use clap::Parser;

use crate::exit::Error;

/// parse_args parses the process arguments into `T`.
pub fn parse_args<T: Parser>() -> Result<T, Error> {
    parse_from::<T, _, _>(std::env::args_os())
}

/// parse_from parses the given arguments into `T` (for tests).
pub fn parse_from<T, I, S>(args: I) -> Result<T, Error>
where
    T: Parser,
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString> + Clone,
{
    match T::try_parse_from(args) {
        Ok(a) => Ok(a),
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            std::process::exit(0);
        }
        Err(e) => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("bad arguments");
            Err(Error::input(first.trim_start_matches("error: ")))
        }
    }
}
