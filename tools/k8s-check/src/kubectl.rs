//! The transport: the real `kubectl`, so every credential plugin users have
//! (EKS, GKE, OIDC) works. Objects are read with `kubectl get --raw PATH`,
//! which returns the API's JSON and skips discovery; each call has a timeout.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Kubectl runs kubectl with the user's context.
#[derive(Debug, Clone)]
pub struct Kubectl {
    /// Program path.
    pub program: String,
    /// `--context`, if given.
    pub context: Option<String>,
    /// Per-call timeout.
    pub timeout: Duration,
}

/// MAX_ANSWER bounds what one kubectl call may return (64 MiB: a 4-hour log
/// of a chatty service fits; an endless one is an error, not an allocation).
const MAX_ANSWER: u64 = 64 << 20;

fn read_bounded(from: &mut impl Read) -> Result<String, String> {
    let mut bytes = Vec::new();
    from.take(MAX_ANSWER + 1).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_ANSWER {
        return Err(format!("the answer is larger than {MAX_ANSWER} bytes"));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Fetch is what one call returned.
#[derive(Debug)]
pub enum Fetch {
    /// The object's body.
    Found(String),
    /// 404 from the API.
    NotFound,
}

impl Kubectl {
    /// Kubectl::available says whether the program runs at all.
    pub fn available(&self) -> Result<(), String> {
        match Command::new(&self.program)
            .arg("version")
            .arg("--client")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
        {
            Ok(_) => Ok(()),
            Err(e) => Err(format!("cannot run `{}`: {e} (install kubectl, or pass --kubectl PATH)", self.program)),
        }
    }

    /// Kubectl::raw reads an API path.
    pub fn raw(&self, path: &str) -> Result<Fetch, String> {
        let mut cmd = Command::new(&self.program);
        if let Some(c) = &self.context {
            cmd.args(["--context", c]);
        }
        cmd.args(["get", "--raw", path, &format!("--request-timeout={}s", self.timeout.as_secs().max(1))])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| format!("cannot run kubectl: {e}"))?;
        let mut stdout = child.stdout.take().ok_or("no stdout")?;
        let mut stderr = child.stderr.take().ok_or("no stderr")?;
        // Bytes, bounded, decoded lossily: one non-UTF-8 byte in a log must not
        // turn the whole log into nothing, and a huge log must not fill memory.
        let out_reader = std::thread::spawn(move || read_bounded(&mut stdout));
        let err_reader = std::thread::spawn(move || read_bounded(&mut stderr));
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(s)) => break s,
                Ok(None) if started.elapsed() > self.timeout + Duration::from_secs(2) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("kubectl timed out after {} s reading {path}", self.timeout.as_secs()));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => return Err(e.to_string()),
            }
        };
        let out = out_reader.join().unwrap_or_else(|_| Err("reader failed".into()));
        let err = err_reader.join().unwrap_or_else(|_| Err("reader failed".into())).unwrap_or_default();
        if status.success() {
            return out.map(Fetch::Found).map_err(|e| format!("{path}: {e}"));
        }
        if err.contains("NotFound")
            || err.contains("(NotFound)")
            || err.contains("the server could not find the requested resource")
        {
            return Ok(Fetch::NotFound);
        }
        let line = err.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("kubectl failed").trim().to_string();
        Err(navikit::redact::redact_text(&line))
    }

    /// Kubectl::stand_in reads the API server's own declaration of being a
    /// stand-in: a `navi_stand_in` field in its `/version` answer (the
    /// recorded API adds it; a real API server has no such field).
    pub fn stand_in(&self) -> Option<String> {
        let v = self.json("/version").ok()??;
        v.get(navikit::provenance::VERSION_FIELD)
            .and_then(serde_json::Value::as_str)
            .map(|s| s.chars().take(200).collect())
    }

    /// Kubectl::json reads an API path as JSON (None for 404).
    pub fn json(&self, path: &str) -> Result<Option<serde_json::Value>, String> {
        match self.raw(path)? {
            Fetch::NotFound => Ok(None),
            Fetch::Found(text) => {
                serde_json::from_str(&text).map(Some).map_err(|e| format!("{path}: the API's answer is not JSON: {e}"))
            }
        }
    }
}
