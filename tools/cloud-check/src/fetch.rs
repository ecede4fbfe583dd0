//! The transport: the real cloud CLI with JSON output, or outputs captured
//! earlier (`--from DIR`), and small readers of what came back.

use std::process::{Command, Stdio};

use navikit::Error;
use navikit::record::CheckStatus;
use serde_json::Value;

use crate::cli::Args;

/// fetch runs a CLI (or reads its captured output) and parses the JSON.
pub(crate) fn fetch(a: &Args, captured: &str, program: &str, args: &[String]) -> Result<Value, Error> {
    if let Some(dir) = &a.from {
        let p = dir.join(captured);
        let text = navikit::files::read_bounded(&p.display().to_string(), 16 << 20)?;
        return serde_json::from_str(&text).map_err(|e| Error::input(format!("{}: not JSON: {e}", p.display())));
    }
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::input(format!("cannot run `{program}`: {e} (install the {program} CLI)")))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("failed").trim();
        return Err(Error::input(format!(
            "`{program} {}` failed: {}",
            args.first().cloned().unwrap_or_default(),
            navikit::redact::redact_text(line)
        )));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| Error::input(format!("`{program}` did not print JSON: {e}")))
}

pub(crate) fn s(v: &Value, ptr: &str) -> String {
    v.pointer(ptr).map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string)).unwrap_or_default()
}

pub(crate) fn verdict(ok: bool) -> CheckStatus {
    if ok { CheckStatus::Pass } else { CheckStatus::Fail }
}

pub(crate) fn region_args(a: &Args, flag: &str) -> Vec<String> {
    a.region.as_ref().map(|r| vec![flag.to_string(), r.clone()]).unwrap_or_default()
}
