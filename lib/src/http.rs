//! The HTTP client set-up every tool shares: ureq with rustls, Nagle off,
//! statuses returned as responses (not errors), and every timeout set —
//! connect, to the response headers, per read (a stalled body) and overall —
//! and no redirect is ever followed.

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
        // Never follow a redirect: it would carry credentials (API keys,
        // -H headers) to another origin and report another server's answer
        // as the target's. A 3xx comes back as a response to judge.
        .max_redirects(0)
        .max_redirects_will_error(false)
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
