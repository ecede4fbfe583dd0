//! The HTTP client set-up every tool shares: ureq with rustls, Nagle off,
//! statuses returned as responses (not errors), and every timeout set —
//! connect, to the response headers, per read (a stalled body) and overall —
//! and no redirect is ever followed.

use std::net::{IpAddr, SocketAddr};
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
    let config = ureq::Agent::config_builder()
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
        // streams in flight that alone is 256 MB. A response head must fit
        // the input buffer (providers send 1–3 KB, gateways with cookies and
        // security policies far more), a request head the output one.
        .input_buffer_size(32 * 1024)
        .output_buffer_size(16 * 1024)
        .build();
    ureq::Agent::with_parts(config, ureq::unversioned::transport::DefaultConnector::default(), LiteralFirst::default())
}

/// LiteralFirst answers a host that is an IP address at once and hands
/// names to ureq's own resolver. That one, whenever a timeout is set (ours
/// always are), resolves on a new thread — for every request, even one
/// that reuses a pooled connection: a thread created per request to
/// `127.0.0.1` cost more than the request itself.
#[derive(Debug, Default)]
struct LiteralFirst(ureq::unversioned::resolver::DefaultResolver);

impl ureq::unversioned::resolver::Resolver for LiteralFirst {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let literal = uri.host().and_then(|h| h.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok());
        let port = uri.port_u16().or(match uri.scheme_str() {
            Some("https") => Some(443),
            Some("http") => Some(80),
            _ => None,
        });
        match (literal, port) {
            (Some(ip), Some(port)) => {
                let mut addrs = self.empty();
                addrs.push(SocketAddr::new(ip, port));
                Ok(addrs)
            }
            _ => self.0.resolve(uri, config, timeout),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::unversioned::resolver::Resolver;

    fn resolve(url: &str) -> Vec<SocketAddr> {
        let uri: ureq::http::Uri = url.parse().expect("a URI");
        let config = ureq::config::Config::default();
        let timeout = ureq::unversioned::transport::NextTimeout {
            after: ureq::unversioned::transport::time::Duration::Exact(Duration::from_secs(1)),
            reason: ureq::Timeout::Resolve,
            ..Default::default()
        };
        LiteralFirst::default().resolve(&uri, &config, timeout).expect("resolves").iter().copied().collect()
    }

    #[test]
    fn ip_literals_resolve_to_themselves_with_the_schemes_port() {
        assert_eq!(resolve("http://127.0.0.1:8787/v1/messages"), vec!["127.0.0.1:8787".parse().expect("addr")]);
        assert_eq!(resolve("http://127.0.0.1/health"), vec!["127.0.0.1:80".parse().expect("addr")]);
        assert_eq!(resolve("https://127.0.0.1/"), vec!["127.0.0.1:443".parse().expect("addr")]);
        assert_eq!(resolve("http://[::1]:9/"), vec!["[::1]:9".parse().expect("addr")]);
        // A name goes to the system resolver.
        assert!(resolve("http://localhost:9/").iter().all(|a| a.ip().is_loopback() && a.port() == 9));
    }
}
