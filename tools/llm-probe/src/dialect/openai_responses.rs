//! OpenAI's Responses API (`POST /v1/responses`), streamed as typed events.

use navikit::ErrorClass;
use serde_json::{Value, json};

use super::openai_chat::{OPENAI_CHAT, openai_url};
use super::{
    Dialect, Identity, Prompt, Step, StreamFailure, Token, Usage, at, bearer, decode, event_type, missing_answer,
    str_at, u64_at,
};

/// OpenAiResponses is the Responses API.
#[derive(Debug)]
pub struct OpenAiResponses;

/// OPENAI_RESPONSES is the OpenAiResponses dialect's identity.
const OPENAI_RESPONSES: Identity = Identity {
    name: "openai-responses",
    aliases: &["responses"],
    key_env: OPENAI_CHAT.key_env,
    base_env: OPENAI_CHAT.base_env,
    default_base: OPENAI_CHAT.default_base,
    default_model: OPENAI_CHAT.default_model,
};

impl Dialect for OpenAiResponses {
    fn id(&self) -> &'static Identity {
        &OPENAI_RESPONSES
    }

    fn url(&self, base: &str) -> String {
        openai_url(base, "responses")
    }

    fn headers(&self, key: Option<&str>) -> Vec<(&'static str, String)> {
        bearer(key)
    }

    fn body(&self, p: &Prompt<'_>, stream: bool) -> Value {
        let mut b =
            json!({"model": p.model, "max_output_tokens": p.max_tokens, "input": p.messages(), "stream": stream});
        if let Some(s) = p.system {
            b["instructions"] = json!(s);
        }
        b
    }

    fn on_event(&self, event: Option<&str>, data: &str, usage: &mut Usage) -> Result<Step, StreamFailure> {
        let v = decode(data)?;
        match event_type(&v, event) {
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
            kind @ ("response.failed" | "response.incomplete" | "error") => {
                let msg = at(&v, "/response/error/message").or_else(|| v.get("message")).and_then(Value::as_str);
                Err((ErrorClass::ServerError, msg.unwrap_or(kind).to_string()))
            }
            _ => Ok(Step::Continue),
        }
    }

    fn read_json(&self, v: &Value) -> Result<(String, Usage), StreamFailure> {
        let text = v
            .get("output")
            .and_then(Value::as_array)
            .ok_or_else(missing_answer)?
            .iter()
            .filter_map(|item| item.get("content").and_then(Value::as_array))
            .flatten()
            .filter_map(|c| str_at(c, "/text"))
            .collect::<String>();
        let usage = Usage::openai(
            u64_at(v, "/usage/input_tokens"),
            u64_at(v, "/usage/output_tokens"),
            u64_at(v, "/usage/input_tokens_details/cached_tokens"),
        );
        Ok((text, usage))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_response_is_a_server_error_with_its_message() {
        let mut u = Usage::default();
        let failed = r#"{"type":"response.failed","response":{"error":{"message":"model crashed"}}}"#;
        assert_eq!(
            OpenAiResponses.on_event(None, failed, &mut u),
            Err((ErrorClass::ServerError, "model crashed".to_string()))
        );
        let incomplete = r#"{"type":"response.incomplete","response":{}}"#;
        assert_eq!(OpenAiResponses.on_event(None, incomplete, &mut u).unwrap_err().1, "response.incomplete");
    }

    #[test]
    fn the_json_answer_joins_every_output_texts() {
        let v = json!({"output": [{"content": [{"type": "output_text", "text": "a"}]}, {"type": "reasoning"}, {"content": [{"text": "b"}]}],
                       "usage": {"input_tokens": 10, "output_tokens": 2, "input_tokens_details": {"cached_tokens": 4}}});
        let (text, usage) = OpenAiResponses.read_json(&v).unwrap();
        assert_eq!(text, "ab");
        assert_eq!(usage, Usage { input: Some(6), output: Some(2), cache_write: None, cache_read: Some(4) });
    }
}
