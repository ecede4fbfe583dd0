//! The wire dialects llm-probe speaks, one module each behind [`Dialect`]:
//! how to address and authenticate a request, what body to send, and how to
//! read the answer (streamed events or a JSON body) into text, token timing
//! and usage. Adding a dialect is one new module and one line in [`DIALECTS`].

mod anthropic;
mod navi;
mod openai_chat;
mod openai_responses;

use std::fmt;

use navikit::ErrorClass;
use serde_json::{Value, json};

pub use anthropic::Anthropic;
pub use navi::Navi;
pub use openai_chat::OpenAiChat;
pub use openai_responses::OpenAiResponses;

/// Identity names a dialect and says where its official SDK looks for its
/// settings.
#[derive(Debug)]
pub struct Identity {
    /// The name written in probe records and taken by `--provider`.
    pub name: &'static str,
    /// Other names `--provider` takes for it (servers that speak it).
    pub aliases: &'static [&'static str],
    /// The environment variable the official SDK reads the key from. Whether
    /// a target needs a key is never decided here: only a live call shows it
    /// (a port-forward to a real provider is on localhost too).
    pub key_env: &'static str,
    /// The environment variable the SDK reads the base URL from.
    pub base_env: &'static str,
    /// The public API's base URL.
    pub default_base: &'static str,
    /// The model asked for when none is named.
    pub default_model: &'static str,
}

/// Dialect is one provider protocol.
pub trait Dialect: Sync + fmt::Debug {
    /// The dialect's name and settings.
    fn id(&self) -> &'static Identity;
    /// The name written in probe records.
    fn name(&self) -> &'static str {
        self.id().name
    }
    /// The endpoint under a base URL.
    fn url(&self, base: &str) -> String;
    /// Whether answers can be streamed.
    fn streams(&self) -> bool {
        true
    }
    /// The auth and version headers, given the key when one is set.
    fn headers(&self, key: Option<&str>) -> Vec<(&'static str, String)>;
    /// The request body.
    fn body(&self, prompt: &Prompt<'_>, stream: bool) -> Value;
    /// Reads one server-sent event into `usage`, returning what it carried.
    fn on_event(&self, event: Option<&str>, data: &str, usage: &mut Usage) -> Result<Step, StreamFailure>;
    /// Whether this event's data says the answer is complete although the
    /// stream may go on (with usage) and may end without a final event.
    fn ends_answer(&self, _data: &str) -> bool {
        false
    }
    /// Reads a non-streamed body into text and usage.
    fn read_json(&self, v: &Value) -> Result<(String, Usage), StreamFailure>;
}

/// DIALECTS are every dialect; `--provider` takes their names and aliases.
pub const DIALECTS: [&'static dyn Dialect; 4] = [&Anthropic, &OpenAiChat, &OpenAiResponses, &Navi];

/// parse finds the dialect a provider name (or an alias) speaks.
pub fn parse(name: &str) -> Result<&'static dyn Dialect, String> {
    let wanted = name.trim().to_ascii_lowercase();
    DIALECTS.into_iter().find(|d| d.name() == wanted || d.id().aliases.contains(&wanted.as_str())).ok_or_else(|| {
        let names: Vec<&str> = DIALECTS.iter().map(|d| d.name()).collect();
        let aliases: Vec<String> =
            DIALECTS.iter().flat_map(|d| d.id().aliases.iter().map(move |a| format!("{a} → {}", d.name()))).collect();
        format!("unknown provider `{}` ({}; also {})", name.trim(), names.join(", "), aliases.join(", "))
    })
}

/// base_has_path says whether a base URL names a path after its host, as
/// OpenAI's SDK bases do (`https://api.openai.com/v1`).
fn base_has_path(base: &str) -> bool {
    base.split_once("://").is_some_and(|(_, rest)| rest.contains('/'))
}

/// bearer is the `authorization: Bearer` header most APIs take.
fn bearer(key: Option<&str>) -> Vec<(&'static str, String)> {
    key.map(|k| ("authorization", format!("Bearer {k}"))).into_iter().collect()
}

/// Turn is one message of the conversation so far.
#[derive(Debug, Clone)]
pub struct Turn {
    /// `user` or `assistant`.
    pub role: &'static str,
    /// Text.
    pub text: String,
}

/// Prompt is what a request asks, whatever the dialect.
#[derive(Debug, Clone, Copy)]
pub struct Prompt<'a> {
    /// Model.
    pub model: &'a str,
    /// System prompt.
    pub system: Option<&'a str>,
    /// The conversation so far, ending with the user's turn.
    pub history: &'a [Turn],
    /// Cap on the answer's tokens.
    pub max_tokens: u64,
    /// The NAVI workspace the question is about.
    pub workspace: &'a str,
}

impl Prompt<'_> {
    /// Prompt::messages are the turns as `{role, content}` messages.
    fn messages(&self) -> Vec<Value> {
        self.history.iter().map(|t| json!({"role": t.role, "content": t.text})).collect()
    }
}

/// Usage is the token accounting an API reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Prompt tokens.
    pub input: Option<u64>,
    /// Completion tokens.
    pub output: Option<u64>,
    /// Cache writes.
    pub cache_write: Option<u64>,
    /// Cache reads.
    pub cache_read: Option<u64>,
}

impl Usage {
    /// Usage::openai builds usage from OpenAI's counts, whose prompt count
    /// already includes the cached tokens: `input` keeps Anthropic's meaning
    /// (uncached prompt tokens), so cached tokens are billed once, as cache reads.
    pub fn openai(prompt: Option<u64>, completion: Option<u64>, cached: Option<u64>) -> Usage {
        Usage {
            input: prompt.map(|p| p.saturating_sub(cached.unwrap_or(0))),
            output: completion,
            cache_write: None,
            cache_read: cached,
        }
    }
}

/// Token is what an event carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// Answer text.
    Answer(String),
    /// Reasoning / thinking text.
    Thinking,
}

/// Step is the outcome of one event.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Nothing to time; keep reading.
    Continue,
    /// A token arrived.
    Token(Token),
    /// The stream is complete.
    Done,
}

/// StreamFailure says why no answer came (an error event, a broken body,
/// an HTTP error): an error class and a message.
pub type StreamFailure = (ErrorClass, String);

/// decode reads an event's JSON data; an `error` object in it is the API's own failure.
fn decode(data: &str) -> Result<Value, StreamFailure> {
    let v: Value = serde_json::from_str(data)
        .map_err(|e| (ErrorClass::MalformedStream, format!("event data is not JSON: {e}")))?;
    if let Some(err) = v.get("error").filter(|e| e.is_object()) {
        let kind = err.get("type").and_then(Value::as_str).unwrap_or("api_error");
        let msg = err.get("message").and_then(Value::as_str).unwrap_or("error event");
        return Err((api_error_class(kind), format!("{kind}: {msg}")));
    }
    Ok(v)
}

/// event_type is an event's type: its `type` member, else the SSE event name.
fn event_type<'a>(v: &'a Value, event: Option<&'a str>) -> &'a str {
    v.get("type").and_then(Value::as_str).or(event).unwrap_or_default()
}

/// api_error_class classifies an error event by the API's error type.
fn api_error_class(kind: &str) -> ErrorClass {
    match kind {
        "overloaded_error" => ErrorClass::Overloaded,
        "rate_limit_error" => ErrorClass::RateLimited,
        "authentication_error" | "permission_error" => ErrorClass::Auth,
        "invalid_request_error" | "not_found_error" | "request_too_large" => ErrorClass::ClientError,
        _ => ErrorClass::ServerError,
    }
}

/// missing_answer is the failure of a JSON body without the answer text.
fn missing_answer() -> StreamFailure {
    (ErrorClass::MalformedStream, "response JSON lacks the answer text".to_string())
}

/// at walks a JSON pointer without escapes (`/choices/0/delta`);
/// `Value::pointer` allocates for every segment, on every request.
fn at<'v>(v: &'v Value, ptr: &str) -> Option<&'v Value> {
    ptr.split('/').skip(1).try_fold(v, |v, seg| match v {
        Value::Object(m) => m.get(seg),
        Value::Array(a) => a.get(seg.parse::<usize>().ok()?),
        _ => None,
    })
}

/// u64_at is the count at a JSON pointer.
fn u64_at(v: &Value, ptr: &str) -> Option<u64> {
    at(v, ptr).and_then(Value::as_u64)
}

/// str_at is the text at a JSON pointer.
fn str_at<'v>(v: &'v Value, ptr: &str) -> Option<&'v str> {
    at(v, ptr).and_then(Value::as_str)
}

/// error_from_body classifies an HTTP error response from its status and body.
pub fn error_from_body(status: u16, body: &str) -> StreamFailure {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let msg = at(&v, "/error/message")
        .or_else(|| v.get("detail"))
        .map(|m| m.as_str().map(str::to_string).unwrap_or_else(|| m.to_string()))
        .unwrap_or_else(|| body.chars().take(200).collect());
    let kind = str_at(&v, "/error/type").unwrap_or_default();
    let class = match status {
        401 | 403 => ErrorClass::Auth,
        429 => ErrorClass::RateLimited,
        503 | 529 => ErrorClass::Overloaded,
        500..=599 => ErrorClass::ServerError,
        _ => ErrorClass::ClientError,
    };
    let detail = if kind.is_empty() { msg } else { format!("{kind}: {msg}") };
    (class, format!("HTTP {status} {detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_chunks_and_empty_deltas_are_not_tokens() {
        let mut u = Usage::default();
        let role = r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#;
        assert_eq!(OpenAiChat.on_event(None, role, &mut u), Ok(Step::Continue));
        let tok = r#"{"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}"#;
        assert_eq!(OpenAiChat.on_event(None, tok, &mut u), Ok(Step::Token(Token::Answer("Hi".into()))));
        let start = r#"{"type":"message_start","message":{"usage":{"input_tokens":12,"cache_read_input_tokens":3,"output_tokens":1}}}"#;
        assert_eq!(Anthropic.on_event(Some("message_start"), start, &mut u), Ok(Step::Continue));
        assert_eq!((u.input, u.cache_read), (Some(12), Some(3)));
        let err = r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        assert_eq!(Anthropic.on_event(Some("error"), err, &mut u).unwrap_err().0, ErrorClass::Overloaded);
        assert_eq!(Anthropic.on_event(None, "{broken", &mut u).unwrap_err().0, ErrorClass::MalformedStream);
    }

    #[test]
    fn urls_follow_the_sdk_conventions() {
        assert_eq!(OpenAiChat.url("http://127.0.0.1:8787"), "http://127.0.0.1:8787/v1/chat/completions");
        assert_eq!(OpenAiChat.url("https://api.openai.com/v1/"), "https://api.openai.com/v1/chat/completions");
        assert_eq!(OpenAiResponses.url("http://h:1"), "http://h:1/v1/responses");
        assert_eq!(OpenAiResponses.url("http://h:1/v1"), "http://h:1/v1/responses");
        assert_eq!(Anthropic.url("http://h:1/"), "http://h:1/v1/messages");
        assert_eq!(Navi.url("http://h"), "http://h/api/navi/chat");
    }

    #[test]
    fn every_name_and_alias_finds_its_dialect() {
        for d in DIALECTS {
            assert_eq!(parse(d.name()).map(|p| p.name()), Ok(d.name()));
            for a in d.id().aliases {
                assert_eq!(parse(&a.to_ascii_uppercase()).map(|p| p.name()), Ok(d.name()), "{a}");
            }
        }
        assert_eq!(parse("vllm").map(|p| p.name()), Ok("openai"));
        assert_eq!(parse(" Claude ").map(|p| p.name()), Ok("anthropic"));
        let e = parse("cohere").unwrap_err();
        assert!(e.starts_with("unknown provider `cohere` (anthropic, openai, openai-responses, navi; also"), "{e}");
    }

    #[test]
    fn http_errors_are_classed_by_status() {
        let class = |s, b| error_from_body(s, b).0;
        assert_eq!(class(401, ""), ErrorClass::Auth);
        assert_eq!(class(429, ""), ErrorClass::RateLimited);
        assert_eq!(class(503, "{}"), ErrorClass::Overloaded);
        assert_eq!(class(529, ""), ErrorClass::Overloaded);
        assert_eq!(class(500, ""), ErrorClass::ServerError);
        assert_eq!(class(404, ""), ErrorClass::ClientError);
        let (_, msg) = error_from_body(400, r#"{"error":{"type":"invalid_request_error","message":"bad"}}"#);
        assert_eq!(msg, "HTTP 400 invalid_request_error: bad");
    }
}
