//! Why a request failed, as one word: the classes llm-probe writes into a
//! probe record's `error.class` and `attempts[].error`. Records keep the
//! class as text, so a reader still takes a class it does not know (a newer
//! writer's); a writer names one of these, so no class is misspelt.

use std::fmt;

/// ErrorClass is one failure class (docs/records.md says what each means).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// The TCP (or TLS) connection was not made in time.
    ConnectTimeout,
    /// Nothing listens, or the host did not resolve.
    ConnectionRefused,
    /// No first token (answer or thinking) within the first-token timeout.
    FirstTokenTimeout,
    /// The whole attempt ran out of time.
    TotalTimeout,
    /// A stream fell silent longer than the stall timeout.
    StreamStall,
    /// The stream ended without its final event.
    StreamCut,
    /// The body or an event was not what the protocol says.
    MalformedStream,
    /// A line, event, stream or body over its size cap.
    ResponseTooLarge,
    /// A 3xx answer: never followed.
    Redirect,
    /// 401 or 403, or an authentication error event.
    Auth,
    /// 429, or a rate-limit error event.
    RateLimited,
    /// 529 or 503, or an overload error event.
    Overloaded,
    /// Another 5xx, or another error event.
    ServerError,
    /// Another 4xx.
    ClientError,
    /// The answer arrived but failed the scenario's assertion.
    AssertionFailed,
    /// Another transport error.
    Io,
}

impl ErrorClass {
    /// ALL lists every class, in the order docs/records.md gives them.
    pub const ALL: [ErrorClass; 16] = [
        ErrorClass::ConnectTimeout,
        ErrorClass::ConnectionRefused,
        ErrorClass::FirstTokenTimeout,
        ErrorClass::TotalTimeout,
        ErrorClass::StreamStall,
        ErrorClass::StreamCut,
        ErrorClass::MalformedStream,
        ErrorClass::ResponseTooLarge,
        ErrorClass::Redirect,
        ErrorClass::Auth,
        ErrorClass::RateLimited,
        ErrorClass::Overloaded,
        ErrorClass::ServerError,
        ErrorClass::ClientError,
        ErrorClass::AssertionFailed,
        ErrorClass::Io,
    ];

    /// ErrorClass::as_str is the word written in records.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::ConnectTimeout => "connect_timeout",
            ErrorClass::ConnectionRefused => "connection_refused",
            ErrorClass::FirstTokenTimeout => "first_token_timeout",
            ErrorClass::TotalTimeout => "total_timeout",
            ErrorClass::StreamStall => "stream_stall",
            ErrorClass::StreamCut => "stream_cut",
            ErrorClass::MalformedStream => "malformed_stream",
            ErrorClass::ResponseTooLarge => "response_too_large",
            ErrorClass::Redirect => "redirect",
            ErrorClass::Auth => "auth",
            ErrorClass::RateLimited => "rate_limited",
            ErrorClass::Overloaded => "overloaded",
            ErrorClass::ServerError => "server_error",
            ErrorClass::ClientError => "client_error",
            ErrorClass::AssertionFailed => "assertion_failed",
            ErrorClass::Io => "io",
        }
    }

    /// ErrorClass::parse reads a class word; None for one this build does not know.
    pub fn parse(word: &str) -> Option<ErrorClass> {
        ErrorClass::ALL.into_iter().find(|c| c.as_str() == word)
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_reads_back_and_the_words_are_distinct() {
        for c in ErrorClass::ALL {
            assert_eq!(ErrorClass::parse(c.as_str()), Some(c));
        }
        let mut words: Vec<&str> = ErrorClass::ALL.iter().map(|c| c.as_str()).collect();
        words.sort_unstable();
        words.dedup();
        assert_eq!(words.len(), ErrorClass::ALL.len());
        assert_eq!(ErrorClass::parse("teapot"), None);
    }

    #[test]
    fn the_record_docs_name_every_class() {
        let docs = include_str!("../../docs/records.md");
        let listed = docs.split("Error classes:").nth(1).and_then(|rest| rest.split("\n\n").next()).unwrap_or_default();
        for c in ErrorClass::ALL {
            assert!(listed.contains(&format!("`{c}`")), "docs/records.md does not list `{c}`");
        }
    }
}
