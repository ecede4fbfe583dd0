//! OpenAI Chat Completions (`POST /v1/chat/completions`), which vLLM,
//! llama.cpp, LiteLLM, Ollama and other OpenAI-compatible servers speak.

use serde_json::{Value, json};

use super::{
    Dialect, Identity, Prompt, Step, StreamFailure, Token, Usage, at, base_has_path, bearer, decode, missing_answer,
    str_at, u64_at,
};

/// openai_url is an endpoint under an OpenAI base URL. The SDK's bases carry
/// `/v1` (`https://api.openai.com/v1`); a bare host gets it added.
pub(super) fn openai_url(base: &str, endpoint: &str) -> String {
    let base = base.trim_end_matches('/');
    if base_has_path(base) { format!("{base}/{endpoint}") } else { format!("{base}/v1/{endpoint}") }
}

/// OpenAiChat is Chat Completions.
#[derive(Debug)]
pub struct OpenAiChat;

/// OPENAI_CHAT is the OpenAiChat dialect's identity.
pub(super) const OPENAI_CHAT: Identity = Identity {
    name: "openai",
    aliases: &["openai-chat", "vllm", "llama.cpp", "litellm", "ollama", "openai-compatible"],
    key_env: "OPENAI_API_KEY",
    base_env: "OPENAI_BASE_URL",
    default_base: "https://api.openai.com/v1",
    default_model: "gpt-4o",
};

impl Dialect for OpenAiChat {
    fn id(&self) -> &'static Identity {
        &OPENAI_CHAT
    }

    fn url(&self, base: &str) -> String {
        openai_url(base, "chat/completions")
    }

    fn headers(&self, key: Option<&str>) -> Vec<(&'static str, String)> {
        bearer(key)
    }

    fn body(&self, p: &Prompt<'_>, stream: bool) -> Value {
        let mut all = Vec::with_capacity(p.history.len() + 1);
        if let Some(s) = p.system {
            all.push(json!({"role": "system", "content": s}));
        }
        all.extend(p.messages());
        let mut b = json!({"model": p.model, "max_tokens": p.max_tokens, "messages": all, "stream": stream});
        if stream {
            b["stream_options"] = json!({"include_usage": true});
        }
        b
    }

    fn on_event(&self, _event: Option<&str>, data: &str, usage: &mut Usage) -> Result<Step, StreamFailure> {
        if data.trim() == "[DONE]" {
            return Ok(Step::Done);
        }
        let v = decode(data)?;
        if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
            *usage = Usage::openai(
                u64_at(u, "/prompt_tokens"),
                u64_at(u, "/completion_tokens"),
                u64_at(u, "/prompt_tokens_details/cached_tokens"),
            );
        }
        let delta = at(&v, "/choices/0/delta");
        let reasoning = delta
            .and_then(|d| d.get("reasoning_content").or_else(|| d.get("reasoning")))
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !reasoning.is_empty() {
            return Ok(Step::Token(Token::Thinking));
        }
        match delta.and_then(|d| d.get("content")).and_then(Value::as_str) {
            Some(content) if !content.is_empty() => Ok(Step::Token(Token::Answer(content.to_string()))),
            _ => Ok(Step::Continue),
        }
    }

    /// A chunk with a finish_reason completes the answer; the usage chunk and
    /// `[DONE]` still follow, but the SDK tolerates a stream that ends here.
    fn ends_answer(&self, data: &str) -> bool {
        data.contains("\"finish_reason\":\"") || data.contains("\"finish_reason\": \"")
    }

    fn read_json(&self, v: &Value) -> Result<(String, Usage), StreamFailure> {
        let text = str_at(v, "/choices/0/message/content").ok_or_else(missing_answer)?.to_string();
        let usage = Usage::openai(
            u64_at(v, "/usage/prompt_tokens"),
            u64_at(v, "/usage/completion_tokens"),
            u64_at(v, "/usage/prompt_tokens_details/cached_tokens"),
        );
        Ok((text, usage))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_prompt_tokens_are_billed_once_as_cache_reads() {
        let mut u = Usage::default();
        let chunk = r#"{"choices":[],"usage":{"prompt_tokens":100,"completion_tokens":7,"prompt_tokens_details":{"cached_tokens":60}}}"#;
        assert_eq!(OpenAiChat.on_event(None, chunk, &mut u), Ok(Step::Continue));
        assert_eq!(u, Usage { input: Some(40), output: Some(7), cache_write: None, cache_read: Some(60) });
        assert_eq!(OpenAiChat.on_event(None, " [DONE] ", &mut u), Ok(Step::Done));
    }

    #[test]
    fn reasoning_is_thinking_and_a_finish_reason_ends_the_answer() {
        let mut u = Usage::default();
        let r = r#"{"choices":[{"delta":{"reasoning_content":"let me see"}}]}"#;
        assert_eq!(OpenAiChat.on_event(None, r, &mut u), Ok(Step::Token(Token::Thinking)));
        assert!(OpenAiChat.ends_answer(r#"{"choices":[{"delta":{},"finish_reason":"stop"}]}"#));
        assert!(!OpenAiChat.ends_answer(r#"{"choices":[{"delta":{},"finish_reason":null}]}"#));
        let body = OpenAiChat
            .body(&Prompt { model: "m", system: Some("be brief"), history: &[], max_tokens: 9, workspace: "" }, true);
        assert_eq!(body["messages"][0], json!({"role": "system", "content": "be brief"}));
        assert_eq!(body["stream_options"]["include_usage"], json!(true));
    }
}
