//! The plan's Wednesday test as check records: started in production mode
//! without AUDIT_ENCRYPTION_KEY the service must exit non-zero within the
//! bound and name the key; with a fresh Fernet key it must come up healthy
//! and log that audit encryption is enabled. The key is never printed.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use navikit::record::{Check, CheckStatus};

const TOOL: &str = "http-check";

fn spawn(cmd: &str, key: Option<&str>) -> std::io::Result<std::process::Child> {
    let mut c = Command::new("sh");
    c.args(["-c", &format!("exec {cmd}")])
        .env("APP_ENV", "production")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match key {
        Some(k) => c.env("AUDIT_ENCRYPTION_KEY", k),
        None => c.env_remove("AUDIT_ENCRYPTION_KEY"),
    };
    c.spawn()
}

fn drain(child: &mut std::process::Child) -> String {
    let mut text = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut text);
    }
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut text);
    }
    text
}

/// run carries out both starts.
pub fn run(cmd: &str, health_url: &str, timeout: Duration) -> Vec<Check> {
    vec![without_key(cmd, timeout), with_key(cmd, health_url, timeout)]
}

fn without_key(cmd: &str, timeout: Duration) -> Check {
    let name = "startup.audit_key.required";
    let mut child = match spawn(cmd, None) {
        Ok(c) => c,
        Err(e) => return Check::new(TOOL, name, cmd, CheckStatus::Error, format!("cannot start `{cmd}`: {e}")),
    };
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let out = drain(&mut child);
                let names_key = out.contains("AUDIT_ENCRYPTION_KEY");
                let code = status.code().unwrap_or(-1);
                return if code != 0 && names_key {
                    Check::new(
                        TOOL,
                        name,
                        cmd,
                        CheckStatus::Pass,
                        format!("refused to start without the key (exit {code}) and named AUDIT_ENCRYPTION_KEY"),
                    )
                    .observed(code)
                    .expected("non-zero exit naming AUDIT_ENCRYPTION_KEY")
                } else if code != 0 {
                    Check::new(
                        TOOL,
                        name,
                        cmd,
                        CheckStatus::Fail,
                        format!(
                            "exited {code} but did not name AUDIT_ENCRYPTION_KEY: the message must say what to set"
                        ),
                    )
                    .observed(code)
                } else {
                    Check::new(
                        TOOL,
                        name,
                        cmd,
                        CheckStatus::Fail,
                        "exited 0 without the key: production must refuse to start",
                    )
                    .observed(code)
                };
            }
            Ok(None) if start.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Check::new(
                    TOOL,
                    name,
                    cmd,
                    CheckStatus::Fail,
                    format!(
                        "still running after {} s without AUDIT_ENCRYPTION_KEY: production must refuse to start",
                        timeout.as_secs()
                    ),
                );
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Check::new(TOOL, name, cmd, CheckStatus::Error, format!("waiting for `{cmd}`: {e}")),
        }
    }
}

fn with_key(cmd: &str, health_url: &str, timeout: Duration) -> Check {
    let name = "startup.audit_key.enabled";
    let key = fernet::Fernet::generate_key();
    let mut child = match spawn(cmd, Some(&key)) {
        Ok(c) => c,
        Err(e) => return Check::new(TOOL, name, cmd, CheckStatus::Error, format!("cannot start `{cmd}`: {e}")),
    };
    let t = navikit::http::Timeouts {
        connect: Duration::from_secs(1),
        first_byte: Duration::from_secs(2),
        per_read: Duration::from_secs(2),
        total: Duration::from_secs(3),
    };
    let agent = navikit::http::agent(&t, "http-check", 1);
    let start = Instant::now();
    let mut healthy = false;
    let mut exited = None;
    while start.elapsed() < timeout {
        if let Ok(Some(status)) = child.try_wait() {
            exited = Some(status.code().unwrap_or(-1));
            break;
        }
        if let Ok(r) = agent.get(health_url).call()
            && r.status().as_u16() == 200
        {
            healthy = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    let out = navikit::redact::redact_with(&drain(&mut child), &[&key]);
    let logged = out.to_ascii_lowercase().contains("audit encryption enabled");
    match (healthy, logged, exited) {
        (true, true, _) => Check::new(
            TOOL,
            name,
            cmd,
            CheckStatus::Pass,
            format!(
                "started healthy in {:.1} s with a fresh key and logged that audit encryption is enabled",
                start.elapsed().as_secs_f64()
            ),
        ),
        (true, false, _) => Check::new(
            TOOL,
            name,
            cmd,
            CheckStatus::Fail,
            "healthy, but the log does not say audit encryption is enabled",
        ),
        (false, _, Some(code)) => Check::new(
            TOOL,
            name,
            cmd,
            CheckStatus::Fail,
            format!("exited {code} with a valid key: {}", out.lines().last().unwrap_or_default()),
        ),
        (false, _, None) => Check::new(
            TOOL,
            name,
            cmd,
            CheckStatus::Fail,
            format!("not healthy at {health_url} within {} s", timeout.as_secs()),
        ),
    }
}
