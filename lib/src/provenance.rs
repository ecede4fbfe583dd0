//! How a stand-in declares itself, so provenance travels through the pipes
//! without anyone guessing from an address (the plan reaches the real
//! staging service on localhost through `kubectl port-forward`).
//!
//! - llm-sim sends [`HEADER`] on every response and puts [`HEALTH_FIELD`]
//!   in its `/health` body, and prints [`LOG_MARKER`] when it starts;
//! - the recorded Kubernetes API adds [`VERSION_FIELD`] to `/version`;
//! - a demo database carries a comment starting `navi-launch stand-in`;
//! - `cloud-check --from DIR` marks its own verdicts (captured answers).
//!
//! A real service never sends these, so a real target is never mislabelled;
//! a stand-in that did not declare itself would be taken for real, which is
//! why every stand-in this project ships declares itself.

/// HEADER is the response header a stand-in HTTP server sends (value: its name).
pub const HEADER: &str = "x-navi-stand-in";
/// HEALTH_FIELD is the `/health` body field naming a stand-in.
pub const HEALTH_FIELD: &str = "stand_in";
/// VERSION_FIELD is the field the recorded Kubernetes API adds to `/version`.
pub const VERSION_FIELD: &str = "navi_stand_in";
/// LOG_MARKER starts the line a stand-in process prints at start-up.
pub const LOG_MARKER: &str = "x-navi-stand-in:";

/// from_log finds a stand-in's start-up declaration in a process's output.
pub fn from_log(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(LOG_MARKER))
        .map(|name| name.trim().chars().take(200).collect())
        .filter(|n: &String| !n.is_empty())
}

#[cfg(test)]
mod tests {
    #[test]
    fn log_marker_is_found_on_its_own_line() {
        assert_eq!(super::from_log("starting\nx-navi-stand-in: llm-sim\n").as_deref(), Some("llm-sim"));
        assert_eq!(super::from_log("INFO uvicorn running\n"), None);
    }
}
