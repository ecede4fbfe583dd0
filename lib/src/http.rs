//! The HTTP client set-up every tool shares: ureq with rustls, Nagle off,
//! statuses returned as responses (not errors), and every timeout set —
//! connect, to the response headers, per read (a stalled body) and overall.

use std::time::Duration;

/// Timeouts bound one request.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// TCP connect (and TLS).
    pub connect: Duration,
    /// To the response headers (and, for streams, the first token).
    pub first_byte: Duration,
    /// Longest silence while reading a body.
    pub per_read: Duration,
    /// The whole request.
    pub total: Duration,
}

/// agent builds a client for a tool (`user_agent` like `llm-probe/0.1.0`).
pub fn agent(t: &Timeouts, user_agent: &str, idle_connections: usize) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .no_delay(true)
        .timeout_connect(Some(t.connect))
        .timeout_recv_response(Some(t.first_byte))
        .timeout_per_read(Some(t.per_read))
        .timeout_global(Some(t.total))
        .user_agent(user_agent)
        .max_idle_connections_per_host(idle_connections)
        .max_idle_connections(idle_connections)
        // ureq's default is 128 KiB each way per connection: with a thousand
        // streams in flight that alone is 256 MB. Headers and SSE lines fit in far less.
        .input_buffer_size(32 * 1024)
        .output_buffer_size(16 * 1024)
        .build()
        .into()
}

/// is_loopback says whether a URL points at this machine (llm-sim, a local stand-in).
pub fn is_loopback(url: &str) -> bool {
    let host = url.split("://").nth(1).unwrap_or(url).split(['/', ':']).next().unwrap_or_default();
    matches!(host, "localhost" | "[") || host.starts_with("127.") || url.contains("://[::1]")
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_urls() {
        assert!(super::is_loopback("http://127.0.0.1:8787"));
        assert!(super::is_loopback("http://localhost/v1"));
        assert!(super::is_loopback("http://[::1]:8787"));
        assert!(!super::is_loopback("https://api.anthropic.com"));
    }
}
