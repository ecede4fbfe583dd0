//! Anthropic's Messages API (`POST /v1/messages`), streamed as typed events.

use serde_json::{Value, json};

use super::{
    Dialect, Identity, Prompt, Step, StreamFailure, Token, Usage, decode, event_type, missing_answer, str_at, u64_at,
};

/// Anthropic is the Messages API.
#[derive(Debug)]
pub struct Anthropic;

/// ANTHROPIC is the Anthropic dialect's identity.
const ANTHROPIC: Identity = Identity {
    name: "anthropic",
    aliases: &["claude"],
    key_env: "ANTHROPIC_API_KEY",
    base_env: "ANTHROPIC_BASE_URL",
    default_base: "https://api.anthropic.com",
    default_model: "claude-sonnet-4",
};

impl Dialect for Anthropic {
    fn id(&self) -> &'static Identity {
        &ANTHROPIC
    }

    fn url(&self, base: &str) -> String {
        format!("{}/v1/messages", base.trim_end_matches('/'))
    }

    fn headers(&self, key: Option<&str>) -> Vec<(&'static str, String)> {
        let mut h = vec![("anthropic-version", "2023-06-01".to_string())];
        h.extend(key.map(|k| ("x-api-key", k.to_string())));
        h
    }

    fn body(&self, p: &Prompt<'_>, stream: bool) -> Value {
        let mut b = json!({"model": p.model, "max_tokens": p.max_tokens, "messages": p.messages(), "stream": stream});
        if let Some(s) = p.system {
            b["system"] = json!(s);
        }
        b
    }

    fn on_event(&self, event: Option<&str>, data: &str, usage: &mut Usage) -> Result<Step, StreamFailure> {
        let v = decode(data)?;
        match event_type(&v, event) {
            "message_start" => {
                usage.input = u64_at(&v, "/message/usage/input_tokens");
                usage.cache_write = u64_at(&v, "/message/usage/cache_creation_input_tokens");
                usage.cache_read = u64_at(&v, "/message/usage/cache_read_input_tokens");
                Ok(Step::Continue)
            }
            "content_block_delta" => match str_at(&v, "/delta/type") {
                Some("text_delta") => {
                    Ok(Step::Token(Token::Answer(str_at(&v, "/delta/text").unwrap_or_default().to_string())))
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
        }
    }

    fn read_json(&self, v: &Value) -> Result<(String, Usage), StreamFailure> {
        let text = v
            .get("content")
            .and_then(Value::as_array)
            .ok_or_else(missing_answer)?
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<String>();
        let usage = Usage {
            input: u64_at(v, "/usage/input_tokens"),
            output: u64_at(v, "/usage/output_tokens"),
            cache_write: u64_at(v, "/usage/cache_creation_input_tokens"),
            cache_read: u64_at(v, "/usage/cache_read_input_tokens"),
        };
        Ok((text, usage))
    }
}

#[cfg(test)]
mod tests {
    use navikit::ErrorClass;

    use super::*;

    #[test]
    fn the_key_goes_in_x_api_key_beside_the_version() {
        assert_eq!(
            Anthropic.headers(Some("sk-ant")),
            vec![("anthropic-version", "2023-06-01".to_string()), ("x-api-key", "sk-ant".to_string())]
        );
        assert_eq!(Anthropic.headers(None).len(), 1);
    }

    #[test]
    fn a_thinking_delta_is_a_token_but_not_answer_text() {
        let mut u = Usage::default();
        let d = r#"{"type":"content_block_delta","delta":{"type":"thinking_delta","thinking":"hmm"}}"#;
        assert_eq!(Anthropic.on_event(None, d, &mut u), Ok(Step::Token(Token::Thinking)));
        let stop = r#"{"type":"message_stop"}"#;
        assert_eq!(Anthropic.on_event(None, stop, &mut u), Ok(Step::Done));
        let no_text = json!({"usage": {"input_tokens": 3}});
        assert_eq!(Anthropic.read_json(&no_text).unwrap_err().0, ErrorClass::MalformedStream);
    }
}
