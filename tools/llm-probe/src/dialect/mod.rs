//! The wire dialects llm-probe speaks: how to build a request for each
//! provider, and how to read its answer (streamed events or a JSON body)
//! into text, token timing and usage.

use serde_json::{Value, json};

/// Provider is the protocol of the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// Anthropic Messages API.
    Anthropic,
    /// OpenAI Chat Completions (and any OpenAI-compatible server).
    OpenAi,
    /// OpenAI Responses API.
    OpenAiResponses,
    /// The NAVI service's `POST /api/navi/chat`.
    Navi,
}

impl Provider {
    /// Provider::parse reads a provider name.
    pub fn parse(s: &str) -> Result<Provider, String> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "anthropic" | "claude" => Provider::Anthropic,
            "openai" | "openai-chat" | "vllm" | "llama.cpp" | "litellm" | "ollama" | "openai-compatible" => {
                Provider::OpenAi
            }
            "openai-responses" | "responses" => Provider::OpenAiResponses,
            "navi" => Provider::Navi,
            other => {
                return Err(format!(
                    "unknown provider `{other}` (anthropic, openai, openai-responses, navi; vllm, llama.cpp, litellm and ollama speak openai)"
                ));
            }
        })
    }

    /// Provider::name is the name written in probe records.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Anthropic => "anthropic",
            Provider::OpenAi => "openai",
            Provider::OpenAiResponses => "openai-responses",
            Provider::Navi => "navi",
        }
    }

    /// Provider::key_env is the environment variable the official SDK reads the key from.
    pub fn key_env(self) -> &'static str {
        match self {
            Provider::Anthropic => "ANTHROPIC_API_KEY",
            Provider::OpenAi | Provider::OpenAiResponses => "OPENAI_API_KEY",
            Provider::Navi => "NAVI_API_TOKEN",
        }
    }

    /// Provider::base_env is the environment variable the SDK reads the base URL from.
    pub fn base_env(self) -> &'static str {
        match self {
            Provider::Anthropic => "ANTHROPIC_BASE_URL",
            Provider::OpenAi | Provider::OpenAiResponses => "OPENAI_BASE_URL",
            Provider::Navi => "STAGING_URL",
        }
    }

    /// Provider::default_base is the public API.
    pub fn default_base(self) -> &'static str {
        match self {
            Provider::Anthropic => "https://api.anthropic.com",
            Provider::OpenAi | Provider::OpenAiResponses => "https://api.openai.com/v1",
            Provider::Navi => "http://127.0.0.1:8787",
        }
    }

    /// Provider::url is the endpoint under a base URL. OpenAI bases carry
    /// `/v1` by the SDK's convention; a bare host gets it added.
    pub fn url(self, base: &str) -> String {
        let base = base.trim_end_matches('/');
        let has_path = base.split_once("://").map(|(_, r)| r.contains('/')).unwrap_or(false);
        match self {
            Provider::Anthropic => format!("{base}/v1/messages"),
            Provider::OpenAi if has_path => format!("{base}/chat/completions"),
            Provider::OpenAi => format!("{base}/v1/chat/completions"),
            Provider::OpenAiResponses if has_path => format!("{base}/responses"),
            Provider::OpenAiResponses => format!("{base}/v1/responses"),
            Provider::Navi => format!("{base}/api/navi/chat"),
        }
    }

    /// Provider::streams says whether the protocol streams answers.
    pub fn streams(self) -> bool {
        self != Provider::Navi
    }

    /// Provider::headers are the auth and version headers (the key is added by the caller).
    pub fn auth_header(self, key: &str) -> (&'static str, String) {
        match self {
            Provider::Anthropic => ("x-api-key", key.to_string()),
            _ => ("authorization", format!("Bearer {key}")),
        }
    }
}

/// Turn is one message of the conversation so far.
#[derive(Debug, Clone)]
pub struct Turn {
    /// `user` or `assistant`.
    pub role: &'static str,
    /// Text.
    pub text: String,
}

/// body builds the request body.
pub fn body(
    p: Provider,
    model: &str,
    system: Option<&str>,
    history: &[Turn],
    max_tokens: u64,
    stream: bool,
    workspace: &str,
) -> Value {
    let messages: Vec<Value> = history.iter().map(|t| json!({"role": t.role, "content": t.text})).collect();
    match p {
        Provider::Anthropic => {
            let mut b = json!({"model": model, "max_tokens": max_tokens, "messages": messages, "stream": stream});
            if let Some(s) = system {
                b["system"] = json!(s);
            }
            b
        }
        Provider::OpenAi => {
            let mut all = Vec::new();
            if let Some(s) = system {
                all.push(json!({"role": "system", "content": s}));
            }
            all.extend(messages);
            let mut b = json!({"model": model, "max_tokens": max_tokens, "messages": all, "stream": stream});
            if stream {
                b["stream_options"] = json!({"include_usage": true});
            }
            b
        }
        Provider::OpenAiResponses => {
            let mut b = json!({"model": model, "max_output_tokens": max_tokens, "input": messages, "stream": stream});
            if let Some(s) = system {
                b["instructions"] = json!(s);
            }
            b
        }
        Provider::Navi => {
            let message = history.iter().rev().find(|t| t.role == "user").map(|t| t.text.clone()).unwrap_or_default();
            json!({"message": message, "workspace_path": workspace})
        }
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
    /// The answer is complete.
    Done,
}

/// StreamFailure says why a stream failed: an error class and a message.
pub type StreamFailure = (&'static str, String);

fn api_error_class(kind: &str) -> &'static str {
    match kind {
        "overloaded_error" => "overloaded",
        "rate_limit_error" => "rate_limited",
        "authentication_error" | "permission_error" => "auth",
        "invalid_request_error" | "not_found_error" | "request_too_large" => "client_error",
        _ => "server_error",
    }
}

/// on_event reads one server-sent event into `usage`, returning what it carried.
pub fn on_event(p: Provider, event: Option<&str>, data: &str, usage: &mut Usage) -> Result<Step, StreamFailure> {
    if p == Provider::OpenAi && data.trim() == "[DONE]" {
        return Ok(Step::Done);
    }
    let v: Value =
        serde_json::from_str(data).map_err(|e| ("malformed_stream", format!("event data is not JSON: {e}")))?;
    if let Some(err) = v.get("error").filter(|e| e.is_object()) {
        let kind = err.get("type").and_then(Value::as_str).unwrap_or("api_error");
        let msg = err.get("message").and_then(Value::as_str).unwrap_or("error event");
        return Err((api_error_class(kind), format!("{kind}: {msg}")));
    }
    let kind = v.get("type").and_then(Value::as_str).or(event).unwrap_or_default();
    let u64_at = |v: &Value, ptr: &str| at(v, ptr).and_then(Value::as_u64);
    match p {
        Provider::Anthropic => match kind {
            "message_start" => {
                usage.input = u64_at(&v, "/message/usage/input_tokens");
                usage.cache_write = u64_at(&v, "/message/usage/cache_creation_input_tokens");
                usage.cache_read = u64_at(&v, "/message/usage/cache_read_input_tokens");
                Ok(Step::Continue)
            }
            "content_block_delta" => match at(&v, "/delta/type").and_then(Value::as_str) {
                Some("text_delta") => {
                    let t = at(&v, "/delta/text").and_then(Value::as_str).unwrap_or_default();
                    Ok(Step::Token(Token::Answer(t.to_string())))
                }
                Some("thinking_delta") => Ok(Step::Token(Token::Thinking)),
                _ => Ok(Step::Continue),
            },
            "message_delta" => {
                usage.output = u64_at(&v, "/usage/output_tokens").or(usage.output);
                if let Some(i) = u64_at(&v, "/usage/input_tokens") {
                    usage.input = Some(i);
                }
                Ok(Step::Continue)
            }
            "message_stop" => Ok(Step::Done),
            _ => Ok(Step::Continue),
        },
        Provider::OpenAi => {
            if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
                *usage = Usage::openai(
                    u64_at(u, "/prompt_tokens"),
                    u64_at(u, "/completion_tokens"),
                    u64_at(u, "/prompt_tokens_details/cached_tokens"),
                );
            }
            let delta = at(&v, "/choices/0/delta");
            let content = delta.and_then(|d| d.get("content")).and_then(Value::as_str).unwrap_or_default();
            let reasoning = delta
                .and_then(|d| d.get("reasoning_content").or_else(|| d.get("reasoning")))
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !reasoning.is_empty() {
                return Ok(Step::Token(Token::Thinking));
            }
            if delta.is_some_and(|d| d.get("content").is_some_and(Value::is_string)) && !content.is_empty() {
                return Ok(Step::Token(Token::Answer(content.to_string())));
            }
            Ok(Step::Continue)
        }
        Provider::OpenAiResponses => match kind {
            "response.output_text.delta" => {
                Ok(Step::Token(Token::Answer(v.get("delta").and_then(Value::as_str).unwrap_or_default().to_string())))
            }
            "response.reasoning_summary_text.delta" | "response.reasoning_text.delta" => {
                Ok(Step::Token(Token::Thinking))
            }
            "response.completed" => {
                *usage = Usage::openai(
                    u64_at(&v, "/response/usage/input_tokens"),
                    u64_at(&v, "/response/usage/output_tokens"),
                    u64_at(&v, "/response/usage/input_tokens_details/cached_tokens"),
                );
                Ok(Step::Done)
            }
            "response.failed" | "response.incomplete" | "error" => {
                let msg = at(&v, "/response/error/message")
                    .or_else(|| v.get("message"))
                    .and_then(Value::as_str)
                    .unwrap_or(kind);
                Err(("server_error", msg.to_string()))
            }
            _ => Ok(Step::Continue),
        },
        Provider::Navi => Ok(Step::Continue),
    }
}

/// openai_finished says whether a chat chunk carried a finish_reason (the
/// stream may then end without `[DONE]`, which the SDK tolerates).
pub fn openai_finished(data: &str) -> bool {
    data.contains("\"finish_reason\":\"") || data.contains("\"finish_reason\": \"")
}

/// read_json_answer reads a non-streamed body into text and usage.
pub fn read_json_answer(p: Provider, v: &Value) -> Result<(String, Usage), StreamFailure> {
    let u64_at = |ptr: &str| at(v, ptr).and_then(Value::as_u64);
    let missing = || ("malformed_stream", "response JSON lacks the answer text".to_string());
    match p {
        Provider::Anthropic => {
            let text = v
                .get("content")
                .and_then(Value::as_array)
                .ok_or_else(missing)?
                .iter()
                .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
                .filter_map(|b| b.get("text").and_then(Value::as_str))
                .collect::<String>();
            let usage = Usage {
                input: u64_at("/usage/input_tokens"),
                output: u64_at("/usage/output_tokens"),
                cache_write: u64_at("/usage/cache_creation_input_tokens"),
                cache_read: u64_at("/usage/cache_read_input_tokens"),
            };
            Ok((text, usage))
        }
        Provider::OpenAi => {
            let text = at(v, "/choices/0/message/content").and_then(Value::as_str).ok_or_else(missing)?.to_string();
            Ok((
                text,
                Usage::openai(
                    u64_at("/usage/prompt_tokens"),
                    u64_at("/usage/completion_tokens"),
                    u64_at("/usage/prompt_tokens_details/cached_tokens"),
                ),
            ))
        }
        Provider::OpenAiResponses => {
            let text = v
                .get("output")
                .and_then(Value::as_array)
                .ok_or_else(missing)?
                .iter()
                .flat_map(|item| item.get("content").and_then(Value::as_array).cloned().unwrap_or_default())
                .filter_map(|c| c.get("text").and_then(Value::as_str).map(str::to_string))
                .collect::<String>();
            Ok((
                text,
                Usage::openai(
                    u64_at("/usage/input_tokens"),
                    u64_at("/usage/output_tokens"),
                    u64_at("/usage/input_tokens_details/cached_tokens"),
                ),
            ))
        }
        Provider::Navi => {
            let text = v.get("response").and_then(Value::as_str).ok_or_else(missing)?.to_string();
            Ok((
                text,
                Usage {
                    input: u64_at("/usage/input_tokens"),
                    output: u64_at("/usage/output_tokens"),
                    ..Usage::default()
                },
            ))
        }
    }
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

/// error_from_body classifies an HTTP error response from its status and body.
pub fn error_from_body(status: u16, body: &str) -> (&'static str, String) {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let msg = at(&v, "/error/message")
        .or_else(|| v.get("detail"))
        .map(|m| m.as_str().map(str::to_string).unwrap_or_else(|| m.to_string()))
        .unwrap_or_else(|| body.chars().take(200).collect());
    let kind = at(&v, "/error/type").and_then(Value::as_str).unwrap_or_default();
    let class = match status {
        401 | 403 => "auth",
        429 => "rate_limited",
        529 => "overloaded",
        503 if kind.contains("overload") || msg.to_ascii_lowercase().contains("overload") => "overloaded",
        503 => "overloaded",
        500..=599 => "server_error",
        _ => "client_error",
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
        assert_eq!(on_event(Provider::OpenAi, None, role, &mut u), Ok(Step::Continue));
        let tok = r#"{"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}"#;
        assert_eq!(on_event(Provider::OpenAi, None, tok, &mut u), Ok(Step::Token(Token::Answer("Hi".into()))));
        let start = r#"{"type":"message_start","message":{"usage":{"input_tokens":12,"cache_read_input_tokens":3,"output_tokens":1}}}"#;
        assert_eq!(on_event(Provider::Anthropic, Some("message_start"), start, &mut u), Ok(Step::Continue));
        assert_eq!((u.input, u.cache_read), (Some(12), Some(3)));
        let err = r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        assert_eq!(on_event(Provider::Anthropic, Some("error"), err, &mut u).unwrap_err().0, "overloaded");
        assert_eq!(on_event(Provider::Anthropic, None, "{broken", &mut u).unwrap_err().0, "malformed_stream");
    }

    #[test]
    fn urls_follow_the_sdk_conventions() {
        assert_eq!(Provider::OpenAi.url("http://127.0.0.1:8787"), "http://127.0.0.1:8787/v1/chat/completions");
        assert_eq!(Provider::OpenAi.url("https://api.openai.com/v1/"), "https://api.openai.com/v1/chat/completions");
        assert_eq!(Provider::Anthropic.url("http://h:1/"), "http://h:1/v1/messages");
        assert_eq!(Provider::Navi.url("http://h"), "http://h/api/navi/chat");
    }
}
