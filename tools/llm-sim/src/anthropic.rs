//! `POST /v1/messages`: the Anthropic Messages API, JSON and SSE streaming
//! with the real event sequence (`message_start`, `content_block_start`,
//! `ping`, `content_block_delta`, `content_block_stop`, `message_delta`,
//! `message_stop`), extended thinking, prompt-cache usage and
//! Anthropic-shaped errors.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::api::{self, Api, ApiError};
use crate::plan::{self, Plan, Request};
use crate::stream::{Piece, body_from, content_delays, json_pieces, sse_event};
use crate::{AppState, SharedState};

const MALFORMED: &str = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"unterminated\n\n";

/// Usage is the token accounting of one answer.
struct Usage {
    input: u64,
    cache_creation: u64,
    cache_read: u64,
}

fn parse_request(v: &Value) -> Result<(Request, bool), ApiError> {
    let a = Api::Anthropic;
    let model = api::str_field(v, "model", a)?.to_string();
    let max_tokens = api::opt_u64(v, "max_tokens", a)?
        .ok_or_else(|| ApiError::new(a, StatusCode::BAD_REQUEST, "max_tokens: Field required"))?;
    let stream = api::opt_bool(v, "stream", a)?;
    let messages = match v.get("messages") {
        Some(Value::Array(m)) if !m.is_empty() => m,
        Some(Value::Array(_)) => {
            return Err(ApiError::new(a, StatusCode::BAD_REQUEST, "messages: at least one message is required"));
        }
        Some(_) => return Err(ApiError::new(a, StatusCode::BAD_REQUEST, "messages: Input should be a valid list")),
        None => return Err(ApiError::new(a, StatusCode::BAD_REQUEST, "messages: Field required")),
    };
    let mut prompt = v.get("system").and_then(api::content_text).unwrap_or_default();
    let mut last_user = String::new();
    for (i, m) in messages.iter().enumerate() {
        let role = m.get("role").and_then(Value::as_str).unwrap_or_default();
        if role != "user" && role != "assistant" {
            return Err(ApiError::new(
                a,
                StatusCode::BAD_REQUEST,
                format!("messages.{i}.role: Input should be 'user' or 'assistant'"),
            ));
        }
        let text = m.get("content").and_then(api::content_text).ok_or_else(|| {
            ApiError::new(a, StatusCode::BAD_REQUEST, format!("messages.{i}.content: Field required"))
        })?;
        prompt.push('\n');
        prompt.push_str(&text);
        if role == "user" {
            last_user = text;
        }
    }
    let thinking_budget = match v.get("thinking") {
        Some(t) if t.get("type").and_then(Value::as_str) == Some("enabled") => {
            Some(t.get("budget_tokens").and_then(Value::as_u64).unwrap_or(1024))
        }
        _ => None,
    };
    Ok((Request { model, prompt, last_user, max_tokens, thinking_budget }, stream))
}

/// has_key says whether an object anywhere in `v` has the member `key`
/// (serde_json bounds the nesting it parses, so the recursion is bounded).
fn has_key(v: &Value, key: &str) -> bool {
    match v {
        Value::Object(m) => m.contains_key(key) || m.values().any(|x| has_key(x, key)),
        Value::Array(items) => items.iter().any(|x| has_key(x, key)),
        _ => false,
    }
}

/// usage_for splits the prompt into cached and uncached tokens when the
/// request marks a cache breakpoint: the first time a prefix is seen it is
/// written to the cache, later it is read from it.
fn usage_for(state: &AppState, v: &Value, req: &Request, input_tokens: u64) -> Usage {
    if !has_key(v, "cache_control") {
        return Usage { input: input_tokens, cache_creation: 0, cache_read: 0 };
    }
    let prefix_len = req.prompt.len().saturating_sub(req.last_user.len());
    let prefix = &req.prompt[..prefix_len];
    let cached = plan::count_tokens(prefix).min(input_tokens.saturating_sub(1));
    let key = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (&req.model, prefix).hash(&mut h);
        h.finish()
    };
    let seen = state.cache.lock().map(|mut c| !c.insert(key)).unwrap_or(false);
    if seen {
        Usage { input: input_tokens - cached, cache_creation: 0, cache_read: cached }
    } else {
        Usage { input: input_tokens - cached, cache_creation: cached, cache_read: 0 }
    }
}

fn message_json(id: &str, model: &str, plan: &Plan, usage: &Usage) -> Value {
    let mut content = Vec::new();
    if plan.thinking_tokens > 0 {
        content.push(
            json!({"type": "thinking", "thinking": plan.thinking_text(), "signature": "c2ltdWxhdGVkLXNpZ25hdHVyZQ=="}),
        );
    }
    content.push(json!({"type": "text", "text": plan.text()}));
    json!({
        "id": id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": if plan.truncated { "max_tokens" } else { "end_turn" },
        "stop_sequence": null,
        "usage": {
            "input_tokens": usage.input,
            "cache_creation_input_tokens": usage.cache_creation,
            "cache_read_input_tokens": usage.cache_read,
            "output_tokens": plan.output_tokens(),
        }
    })
}

fn stream_pieces(id: &str, model: &str, plan: &Plan, usage: &Usage) -> Vec<Piece> {
    let z = Duration::ZERO;
    let mut pieces: Vec<Piece> = Vec::new();
    let start = json!({
        "type": "message_start",
        "message": {
            "id": id, "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": usage.input, "cache_creation_input_tokens": usage.cache_creation,
                      "cache_read_input_tokens": usage.cache_read, "output_tokens": 1}
        }
    });
    pieces.push((z, sse_event("message_start", &start)));
    let mut delays = content_delays(plan.ttft, &plan.gaps);
    let mut index = 0;
    if plan.thinking_tokens > 0 {
        pieces.push((z, sse_event("content_block_start", &json!({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "", "signature": ""}}))));
        pieces.push((z, sse_event("ping", &json!({"type": "ping"}))));
        for c in &plan.thinking {
            let d = delays.next().unwrap_or_default();
            pieces.push((d, sse_event("content_block_delta", &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": c}}))));
        }
        pieces.push((z, sse_event("content_block_delta", &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "c2ltdWxhdGVkLXNpZ25hdHVyZQ=="}}))));
        pieces.push((z, sse_event("content_block_stop", &json!({"type": "content_block_stop", "index": 0}))));
        index = 1;
    }
    pieces.push((
        z,
        sse_event(
            "content_block_start",
            &json!({"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}),
        ),
    ));
    if index == 0 {
        pieces.push((z, sse_event("ping", &json!({"type": "ping"}))));
    }
    for c in &plan.answer {
        let d = delays.next().unwrap_or_default();
        pieces.push((
            d,
            sse_event(
                "content_block_delta",
                &json!({"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": c}}),
            ),
        ));
    }
    pieces.push((z, sse_event("content_block_stop", &json!({"type": "content_block_stop", "index": index}))));
    let stop_reason = if plan.truncated { "max_tokens" } else { "end_turn" };
    pieces.push((z, sse_event("message_delta", &json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": null}, "usage": {"output_tokens": plan.output_tokens()}}))));
    pieces.push((z, sse_event("message_stop", &json!({"type": "message_stop"}))));
    pieces
}

/// messages handles `POST /v1/messages`.
pub async fn messages(State(state): State<SharedState>, headers: HeaderMap, body: Body) -> Response {
    match handle(&state, &headers, body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn handle(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Response, ApiError> {
    let a = Api::Anthropic;
    let mut rng = state.next_rng();
    let id = api::request_id(a, &mut rng);
    let with_id = |mut e: ApiError| {
        e.request_id = Some(id.clone());
        e
    };
    api::check_key(state, headers, a).map_err(with_id)?;
    let v = api::read_json(state, body, a).await.map_err(with_id)?;
    let (req, stream) = parse_request(&v).map_err(with_id)?;
    let fault = api::choose_fault(state, headers, &mut rng);
    if let Some(e) = api::status_fault(state, a, fault, &id) {
        state.metrics.llm_call("anthropic", &req.model, false);
        return Err(e);
    }
    let mut plan = plan::make_plan(&req, &mut rng, state.opts.speed);
    if fault == Some(crate::faults::Fault::SlowFirstToken) {
        plan.ttft += state.opts.slow_first_token;
    }
    let usage = usage_for(state, &v, &req, plan.input_tokens);
    state.metrics.llm_call("anthropic", &req.model, true);
    let msg_id = format!("msg_{:016x}{:08x}", rng.next_u64(), rng.next_u64() as u32);
    let (content_type, pieces) = if stream {
        ("text/event-stream", stream_pieces(&msg_id, &req.model, &plan, &usage))
    } else {
        let answer = message_json(&msg_id, &req.model, &plan, &usage).to_string().into_bytes();
        ("application/json", json_pieces(answer, plan.total_delay(), fault))
    };
    let malformed = if stream {
        Bytes::from_static(MALFORMED.as_bytes())
    } else {
        Bytes::from_static(b"{\"id\":\"msg_broken\",\"type\":\"mess")
    };
    let mut resp =
        (StatusCode::OK, [("content-type", content_type)], body_from(pieces, fault, malformed)).into_response();
    if stream {
        resp.headers_mut().insert("cache-control", axum::http::HeaderValue::from_static("no-cache"));
    }
    api::set_request_id(resp.headers_mut(), a, &id);
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_breakpoint_is_a_member_at_any_depth_not_text() {
        let marked = json!({"system": [{"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}]});
        assert!(has_key(&marked, "cache_control"));
        let nested = json!({"messages": [{"content": [{"type": "text", "text": "a"}, {"cache_control": null}]}]});
        assert!(has_key(&nested, "cache_control"));
        let mentioned =
            json!({"messages": [{"role": "user", "content": "what does \"cache_control\" do? cache_control"}]});
        assert!(!has_key(&mentioned, "cache_control"));
    }
}
