//! The NAVI service's own API (`POST /api/navi/chat`): one JSON answer to
//! the last user message about a workspace; it does not stream.

use serde_json::{Value, json};

use super::{Dialect, Identity, Prompt, Step, StreamFailure, Usage, bearer, decode, missing_answer, u64_at};

/// Navi is the NAVI chat endpoint.
#[derive(Debug)]
pub struct Navi;

/// NAVI is the Navi dialect's identity.
const NAVI: Identity = Identity {
    name: "navi",
    aliases: &[],
    key_env: "NAVI_API_TOKEN",
    base_env: "STAGING_URL",
    default_base: "http://127.0.0.1:8787",
    default_model: "claude-sonnet-4",
};

impl Dialect for Navi {
    fn id(&self) -> &'static Identity {
        &NAVI
    }

    fn url(&self, base: &str) -> String {
        format!("{}/api/navi/chat", base.trim_end_matches('/'))
    }

    fn streams(&self) -> bool {
        false
    }

    fn headers(&self, key: Option<&str>) -> Vec<(&'static str, String)> {
        bearer(key)
    }

    fn body(&self, p: &Prompt<'_>, _stream: bool) -> Value {
        let message = p.history.iter().rev().find(|t| t.role == "user").map(|t| t.text.as_str()).unwrap_or_default();
        json!({"message": message, "workspace_path": p.workspace})
    }

    /// The service does not stream, so no event is expected; one is still
    /// read as every dialect reads it (JSON, an `error` object fails).
    fn on_event(&self, _event: Option<&str>, data: &str, _usage: &mut Usage) -> Result<Step, StreamFailure> {
        decode(data).map(|_| Step::Continue)
    }

    fn read_json(&self, v: &Value) -> Result<(String, Usage), StreamFailure> {
        let text = v.get("response").and_then(Value::as_str).ok_or_else(missing_answer)?.to_string();
        let usage = Usage {
            input: u64_at(v, "/usage/input_tokens"),
            output: u64_at(v, "/usage/output_tokens"),
            ..Usage::default()
        };
        Ok((text, usage))
    }
}
