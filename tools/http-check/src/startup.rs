//! The plan's Wednesday test as check records: started in production mode
//! without AUDIT_ENCRYPTION_KEY the service must exit non-zero within the
//! bound and name the key; with a fresh Fernet key it must come up healthy
//! and log that audit encryption is enabled. The key is never printed.
//!
//! It tests the real service, so it needs the real start command: without
//! one both checks are `skip`. The command is the shell line the user wrote
//! (`cd backend && APP_ENV=production uvicorn …`), started in its own process
//! group so workers forked by uvicorn or gunicorn end with it (TERM, then
//! KILL after a grace). Its output is drained while it runs, so a chatty
//! service never blocks on a full pipe; a bounded tail is kept for the verdict.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use navikit::record::{Check, CheckStatus};

const TOOL: &str = "http-check";
/// OUTPUT_KEPT bounds what is kept of the service's output (the tail).
const OUTPUT_KEPT: usize = 256 * 1024;
/// GRACE is how long the process group has between TERM and KILL.
const GRACE: Duration = Duration::from_secs(3);
/// NAMES are the two checks of the start-up test.
pub const NAMES: [&str; 2] = ["startup.audit_key.required", "startup.audit_key.enabled"];
/// MEANING says what the start-up checks look at (`http-check startup --list`).
pub const MEANING: &str = "the real service (NAVI_START_CMD) in production: refuses to start without AUDIT_ENCRYPTION_KEY and names it (required); starts healthy with a fresh key and logs that audit encryption is enabled (enabled)";

/// Service is one start of the command, its output drained into a bounded tail.
struct Service {
    child: Child,
    output: Arc<Mutex<Vec<u8>>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

fn drain_into(mut from: impl Read + Send + 'static, to: Arc<Mutex<Vec<u8>>>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Ok(mut out) = to.lock() {
                out.extend_from_slice(&buf[..n]);
                if out.len() > OUTPUT_KEPT * 2 {
                    let cut = out.len() - OUTPUT_KEPT;
                    out.drain(..cut);
                }
            }
        }
    })
}

impl Service {
    fn start(cmd: &str, key: Option<&str>) -> std::io::Result<Service> {
        let mut c = Command::new("sh");
        c.args(["-c", cmd])
            .env("APP_ENV", "production")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        match key {
            Some(k) => c.env("AUDIT_ENCRYPTION_KEY", k),
            None => c.env_remove("AUDIT_ENCRYPTION_KEY"),
        };
        let mut child = c.spawn()?;
        let output = Arc::new(Mutex::new(Vec::new()));
        let mut readers = Vec::new();
        if let Some(s) = child.stdout.take() {
            readers.push(drain_into(s, Arc::clone(&output)));
        }
        if let Some(s) = child.stderr.take() {
            readers.push(drain_into(s, Arc::clone(&output)));
        }
        Ok(Service { child, output, readers })
    }

    fn signal_group(&self, sig: &str) {
        // The child leads its own process group (process_group(0)): `kill -SIG -PGID`.
        let _ = Command::new("kill")
            .args([sig, "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    /// stop ends the whole process group (TERM, then KILL after the grace)
    /// and returns the output's tail.
    fn stop(mut self) -> String {
        self.signal_group("-TERM");
        let start = Instant::now();
        while start.elapsed() < GRACE && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(50));
        }
        self.signal_group("-KILL");
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Workers that escaped the group could hold the pipes: wait a bounded time.
        let until = Instant::now() + GRACE;
        for r in self.readers {
            while !r.is_finished() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let bytes = self.output.lock().map(|o| o.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// run carries out the selected starts; without a command they are `skip`.
/// The records' target is the health URL (redacted), never the command line,
/// which may carry credentials (`DATABASE_URL=… uvicorn …`).
pub fn run(
    cmd: Option<&str>,
    health_url: Option<&str>,
    timeout: Duration,
    wanted: impl Fn(&str) -> bool,
) -> Vec<Check> {
    let names: Vec<&str> = NAMES.iter().copied().filter(|n| wanted(n)).collect();
    let (Some(cmd), Some(health_url)) = (cmd.filter(|c| !c.trim().is_empty()), health_url) else {
        let why = "no start command for the real service: set NAVI_START_CMD and NAVI_START_HEALTH_URL (or --cmd and --health-url)";
        return names.iter().map(|n| Check::new(TOOL, n, "", CheckStatus::Skip, why)).collect();
    };
    let target = navikit::redact::redact_url(health_url).into_owned();
    if let Some(busy) = port_in_use(health_url) {
        let why = format!(
            "{busy} is already in use before the service starts: another process would answer the health checks; stop it first"
        );
        return names.iter().map(|n| Check::new(TOOL, n, &target, CheckStatus::Error, why.clone())).collect();
    }
    let mut out = Vec::new();
    if wanted(NAMES[0]) {
        out.push(without_key(cmd, &target, timeout));
    }
    if wanted(NAMES[1]) {
        out.push(with_key(cmd, health_url, &target, timeout));
    }
    out
}

/// port_in_use says whether something already listens where the health URL points.
fn port_in_use(health_url: &str) -> Option<String> {
    let rest = health_url.split_once("://")?.1;
    let hostport = rest.split('/').next()?;
    let addr = if hostport.contains(':') {
        hostport.to_string()
    } else {
        format!("{hostport}:{}", if health_url.starts_with("https") { 443 } else { 80 })
    };
    let sock = std::net::ToSocketAddrs::to_socket_addrs(&addr).ok()?.next()?;
    std::net::TcpStream::connect_timeout(&sock, Duration::from_millis(300)).ok().map(|_| addr)
}

fn check(name: &str, target: &str, status: CheckStatus, msg: impl Into<String>, out: &str) -> Check {
    let mut c = Check::new(TOOL, name, target, status, navikit::redact::redact_text(&msg.into()));
    c.stand_in = navikit::provenance::from_log(out);
    c
}

fn without_key(cmd: &str, target: &str, timeout: Duration) -> Check {
    let name = NAMES[0];
    let mut svc = match Service::start(cmd, None) {
        Ok(s) => s,
        Err(e) => return check(name, target, CheckStatus::Error, format!("cannot start a shell: {e}"), ""),
    };
    let start = Instant::now();
    let code = loop {
        match svc.child.try_wait() {
            Ok(Some(status)) => break Some(status.code().unwrap_or(-1)),
            Ok(None) if start.elapsed() > timeout => break None,
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => {
                let out = svc.stop();
                return check(name, target, CheckStatus::Error, format!("waiting for the service: {e}"), &out);
            }
        }
    };
    let out = svc.stop();
    let names_key = out.contains("AUDIT_ENCRYPTION_KEY");
    match code {
        // 126/127: the shell could not run the command at all.
        Some(c @ (126 | 127)) => check(
            name,
            target,
            CheckStatus::Error,
            format!("the command could not start (exit {c}): {}", last_line(&out)),
            &out,
        )
        .observed(c),
        Some(c) if c != 0 && names_key => check(
            name,
            target,
            CheckStatus::Pass,
            format!("refused to start without the key (exit {c}) and named AUDIT_ENCRYPTION_KEY"),
            &out,
        )
        .observed(c)
        .expected("non-zero exit naming AUDIT_ENCRYPTION_KEY"),
        Some(c) if c != 0 => check(
            name,
            target,
            CheckStatus::Fail,
            format!("exited {c} but did not name AUDIT_ENCRYPTION_KEY: the message must say what to set"),
            &out,
        )
        .observed(c),
        Some(c) => {
            check(name, target, CheckStatus::Fail, "exited 0 without the key: production must refuse to start", &out)
                .observed(c)
        }
        None => check(
            name,
            target,
            CheckStatus::Fail,
            format!(
                "still running after {} s without AUDIT_ENCRYPTION_KEY: production must refuse to start",
                timeout.as_secs()
            ),
            &out,
        ),
    }
}

fn last_line(out: &str) -> String {
    navikit::redact::redact_text(out.lines().rfind(|l| !l.trim().is_empty()).unwrap_or_default())
        .chars()
        .take(300)
        .collect()
}

fn with_key(cmd: &str, health_url: &str, target: &str, timeout: Duration) -> Check {
    let name = NAMES[1];
    let key = fernet::Fernet::generate_key();
    let mut svc = match Service::start(cmd, Some(&key)) {
        Ok(s) => s,
        Err(e) => return check(name, target, CheckStatus::Error, format!("cannot start a shell: {e}"), ""),
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
    let mut header_stand_in = None;
    while start.elapsed() < timeout {
        if let Ok(Some(status)) = svc.child.try_wait() {
            exited = Some(status.code().unwrap_or(-1));
            break;
        }
        if let Ok(r) = agent.get(health_url).call()
            && r.status().as_u16() == 200
        {
            header_stand_in =
                r.headers().get(navikit::provenance::HEADER).and_then(|v| v.to_str().ok()).map(str::to_string);
            healthy = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = navikit::redact::redact_with(&svc.stop(), &[&key]);
    let logged = out.to_ascii_lowercase().contains("audit encryption enabled");
    let mut c = match (healthy, logged, exited) {
        (true, true, _) => check(
            name,
            target,
            CheckStatus::Pass,
            format!(
                "started healthy in {:.1} s with a fresh key and logged that audit encryption is enabled",
                start.elapsed().as_secs_f64()
            ),
            &out,
        ),
        (true, false, _) => check(
            name,
            target,
            CheckStatus::Fail,
            "healthy, but the log does not say audit encryption is enabled",
            &out,
        ),
        (false, _, Some(code)) => {
            check(name, target, CheckStatus::Fail, format!("exited {code} with a valid key: {}", last_line(&out)), &out)
        }
        (false, _, None) => check(
            name,
            target,
            CheckStatus::Fail,
            format!("not healthy at {health_url} within {} s", timeout.as_secs()),
            &out,
        ),
    };
    if c.stand_in.is_none() {
        c.stand_in = header_stand_in;
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    /// KEPT is the tail the module promises to keep (256 KiB), written out
    /// so that a change to OUTPUT_KEPT cannot move the test's own bounds.
    const KEPT: usize = 256 * 1024;

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    /// drained is what drain_into keeps of `input` (read in 8 KiB chunks).
    fn drained(input: &[u8]) -> Vec<u8> {
        let kept = Arc::new(Mutex::new(Vec::new()));
        drain_into(Cursor::new(input.to_vec()), Arc::clone(&kept)).join().expect("the drain thread panicked");
        let guard = kept.lock().expect("the drain buffer is not poisoned");
        guard.clone()
    }

    /// wait_for waits until the service has printed `text`.
    fn wait_for(svc: &Service, text: &str) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if svc.output.lock().map(|o| String::from_utf8_lossy(&o).contains(text)).unwrap_or(false) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the service never printed {text:?}");
    }

    #[test]
    fn the_kept_tail_is_a_quarter_mebibyte() {
        assert_eq!(OUTPUT_KEPT, KEPT);
    }

    #[test]
    fn output_up_to_twice_the_tail_is_kept_whole() {
        let input = pattern(2 * KEPT);
        let kept = drained(&input);
        assert_eq!(kept.len(), 2 * KEPT);
        assert!(kept == input, "the output was cut before it passed twice the tail");
    }

    #[test]
    fn output_past_twice_the_tail_is_cut_to_its_last_quarter_mebibyte() {
        let input = pattern(2 * KEPT + 8192);
        let kept = drained(&input);
        assert_eq!(kept.len(), KEPT);
        assert!(kept[..] == input[input.len() - KEPT..], "what is kept is not the output's tail");
    }

    #[test]
    fn the_last_line_is_the_last_non_blank_one() {
        assert_eq!(last_line("first\nthe last words\n\n   \n"), "the last words");
        assert_eq!(last_line("only\n"), "only");
        assert_eq!(last_line(""), "");
    }

    #[test]
    fn stop_lets_the_service_finish_its_term_handler_and_returns_once_it_exits() {
        // The handler needs half a second: KILL right after TERM would cut it short.
        let svc =
            Service::start("trap 'sleep 0.5; echo stopped-gracefully; exit 0' TERM; echo up; sleep 10 & wait", None)
                .expect("start sh");
        wait_for(&svc, "up");
        let stopping = Instant::now();
        let out = svc.stop();
        let took = stopping.elapsed();
        assert!(out.contains("stopped-gracefully"), "KILL came before the grace ran out: {out:?}");
        assert!(
            took < Duration::from_secs(2),
            "stop kept waiting after the service and its output had ended: {took:?}"
        );
    }

    #[test]
    fn stop_waits_a_bounded_time_for_output_from_a_worker_that_left_the_group() {
        // A worker in its own session escapes the group's TERM and KILL but holds
        // the pipes: its last words, half a second later, are still collected.
        let svc = Service::start("setsid sh -c 'echo escaped; sleep 0.5; echo late-line' & exec sleep 10", None)
            .expect("start sh");
        wait_for(&svc, "escaped");
        let out = svc.stop();
        assert!(out.contains("late-line"), "stop returned before the escaped worker's output ended: {out:?}");
    }
}
