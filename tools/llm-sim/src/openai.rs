//! OpenAI's APIs: `POST /v1/chat/completions` (JSON and SSE: a role-only
//! first chunk, content chunks, a final chunk with `finish_reason`, a usage
//! chunk when `stream_options.include_usage`, then `data: [DONE]`),
//! `POST /v1/responses` (JSON and the `response.*` event stream) and
//! `GET /v1/models`. Reasoning models stream `reasoning_content` deltas, as
//! vLLM and DeepSeek-compatible servers do.

use std::time::Duration;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

use crate::api::{self, Api, ApiError};
use crate::faults::Fault;
use crate::plan::{self, Plan, Request};
use crate::stream::{Piece, body_from, content_delays, json_pieces, sse_data, sse_event};
use crate::{AppState, SharedState};

const DEFAULT_MAX_TOKENS: u64 = 4096;

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::new(Api::OpenAi, StatusCode::BAD_REQUEST, msg)
}

fn parse_chat(v: &Value) -> Result<(Request, bool, bool), ApiError> {
    let a = Api::OpenAi;
    let model = api::str_field(v, "model", a)?.to_string();
    let messages = match v.get("messages") {
        Some(Value::Array(m)) if !m.is_empty() => m,
        Some(Value::Array(_)) => return Err(bad("messages: array too short, expected at least 1 element")),
        Some(_) => return Err(bad("messages: expected an array")),
        None => return Err(bad("you must provide a messages parameter")),
    };
    let mut prompt = String::new();
    let mut last_user = String::new();
    for (i, m) in messages.iter().enumerate() {
        let role =
            m.get("role").and_then(Value::as_str).ok_or_else(|| bad(format!("messages[{i}].role: field required")))?;
        let text = m.get("content").and_then(api::content_text).unwrap_or_default();
        prompt.push_str(&text);
        prompt.push('\n');
        if role == "user" {
            last_user = text;
        }
    }
    let max_tokens = api::opt_u64(v, "max_completion_tokens", a)?
        .or(api::opt_u64(v, "max_tokens", a)?)
        .unwrap_or(DEFAULT_MAX_TOKENS);
    let stream = api::opt_bool(v, "stream", a)?;
    let include_usage = v.pointer("/stream_options/include_usage").and_then(Value::as_bool).unwrap_or(false);
    let thinking_budget = v.get("reasoning_effort").and_then(Value::as_str).map(|e| match e {
        "low" => 256,
        "high" => 4096,
        _ => 1024,
    });
    Ok((Request { model, prompt, last_user, max_tokens, thinking_budget }, stream, include_usage))
}

/// Usage is a chat completion's `usage`, in OpenAI's field order.
#[derive(Serialize)]
struct Usage {
    prompt_tokens: u64,
    completion_tokens: u64,
    total_tokens: u64,
    prompt_tokens_details: CachedTokens,
    completion_tokens_details: ReasoningTokens,
}

#[derive(Serialize)]
struct CachedTokens {
    cached_tokens: u64,
}

#[derive(Serialize)]
struct ReasoningTokens {
    reasoning_tokens: u64,
}

impl Usage {
    fn of(plan: &Plan) -> Usage {
        Usage {
            prompt_tokens: plan.input_tokens,
            completion_tokens: plan.output_tokens(),
            total_tokens: plan.input_tokens + plan.output_tokens(),
            prompt_tokens_details: CachedTokens { cached_tokens: 0 },
            completion_tokens_details: ReasoningTokens { reasoning_tokens: plan.thinking_tokens },
        }
    }
}

/// ChatCompletion is a non-streamed chat completion, serialised straight
/// from borrowed fields (this is the hot path of a no-delay load test).
#[derive(Serialize)]
struct ChatCompletion<'a> {
    id: &'a str,
    object: &'static str,
    created: i64,
    model: &'a str,
    choices: [ChatChoice<'a>; 1],
    usage: Usage,
    system_fingerprint: &'static str,
}

#[derive(Serialize)]
struct ChatChoice<'a> {
    index: u32,
    message: ChatMessage<'a>,
    logprobs: Option<()>,
    finish_reason: &'static str,
}

#[derive(Serialize)]
struct ChatMessage<'a> {
    role: &'static str,
    content: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_content: Option<&'a str>,
    refusal: Option<()>,
}

fn finish_reason(plan: &Plan) -> &'static str {
    if plan.truncated { "length" } else { "stop" }
}

fn chunk(id: &str, created: i64, model: &str, delta: Value, finish: Option<&str>) -> Bytes {
    sse_data(
        &json!({
            "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
            "system_fingerprint": "fp_llm_sim",
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]
        })
        .to_string(),
    )
}

fn chat_pieces(id: &str, model: &str, plan: &Plan, include_usage: bool) -> Vec<Piece> {
    let z = Duration::ZERO;
    let created = api::unix_now();
    let mut pieces = vec![(z, chunk(id, created, model, json!({"role": "assistant", "content": ""}), None))];
    let mut delays = content_delays(plan.ttft, &plan.gaps);
    for c in &plan.thinking {
        pieces.push((
            delays.next().unwrap_or_default(),
            chunk(id, created, model, json!({"reasoning_content": c}), None),
        ));
    }
    for c in &plan.answer {
        pieces.push((delays.next().unwrap_or_default(), chunk(id, created, model, json!({"content": c}), None)));
    }
    pieces.push((z, chunk(id, created, model, json!({}), Some(finish_reason(plan)))));
    if include_usage {
        let usage = json!({"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
                           "system_fingerprint": "fp_llm_sim", "choices": [], "usage": Usage::of(plan)});
        pieces.push((z, sse_data(&usage.to_string())));
    }
    pieces.push((z, sse_data("[DONE]")));
    pieces
}

fn chat_json(id: &str, model: &str, plan: &Plan) -> Vec<u8> {
    let (text, thinking) = (plan.text(), plan.thinking_text());
    let answer = ChatCompletion {
        id,
        object: "chat.completion",
        created: api::unix_now(),
        model,
        choices: [ChatChoice {
            index: 0,
            message: ChatMessage {
                role: "assistant",
                content: &text,
                reasoning_content: (plan.thinking_tokens > 0).then_some(thinking.as_str()),
                refusal: None,
            },
            logprobs: None,
            finish_reason: finish_reason(plan),
        }],
        usage: Usage::of(plan),
        system_fingerprint: "fp_llm_sim",
    };
    // Serialising plain structs into a Vec cannot fail.
    serde_json::to_vec(&answer).unwrap_or_default()
}

/// Dialect says which OpenAI endpoint is answering.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Chat,
    Responses,
}

/// chat_completions handles `POST /v1/chat/completions`.
pub async fn chat_completions(State(state): State<SharedState>, headers: HeaderMap, body: Body) -> Response {
    handle(&state, &headers, body, Dialect::Chat).await.unwrap_or_else(IntoResponse::into_response)
}

/// responses handles `POST /v1/responses`.
pub async fn responses(State(state): State<SharedState>, headers: HeaderMap, body: Body) -> Response {
    handle(&state, &headers, body, Dialect::Responses).await.unwrap_or_else(IntoResponse::into_response)
}

async fn handle(state: &AppState, headers: &HeaderMap, body: Body, dialect: Dialect) -> Result<Response, ApiError> {
    let a = Api::OpenAi;
    let mut rng = state.next_rng();
    let rid = api::request_id(a, &mut rng);
    let with_id = |mut e: ApiError| {
        e.request_id = Some(rid.clone());
        e
    };
    api::check_key(state, headers, a).map_err(with_id)?;
    let v = api::read_json(state, body, a).await.map_err(with_id)?;
    let (req, stream, include_usage) = match dialect {
        Dialect::Chat => parse_chat(&v),
        Dialect::Responses => parse_responses(&v).map(|(r, s)| (r, s, true)),
    }
    .map_err(with_id)?;
    let fault = api::choose_fault(state, headers, &mut rng);
    if let Some(e) = api::status_fault(state, a, fault, &rid) {
        state.metrics.llm_call("openai", &req.model, false);
        return Err(e);
    }
    let mut plan = plan::make_plan(&req, &mut rng, state.opts.speed);
    if fault == Some(Fault::SlowFirstToken) {
        plan.ttft += state.opts.slow_first_token;
    }
    state.metrics.llm_call("openai", &req.model, true);
    let hex = format!("{:016x}{:08x}", rng.next_u64(), rng.next_u64() as u32);
    let (pieces, malformed): (Vec<Piece>, &'static [u8]) = match (dialect, stream) {
        (Dialect::Chat, true) => {
            (chat_pieces(&format!("chatcmpl-{hex}"), &req.model, &plan, include_usage), b"data: {\"id\":\"chatcmpl-broken\",\"choices\":[{\"delta\":{\"content\":\"unterminated\n\n")
        }
        (Dialect::Responses, true) => (
            responses_pieces(&format!("resp_{hex}"), &format!("msg_{hex}"), &req.model, &plan),
            b"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"unterminated\n\n",
        ),
        (d, false) => {
            let answer = if d == Dialect::Chat {
                chat_json(&format!("chatcmpl-{hex}"), &req.model, &plan)
            } else {
                response_object(&format!("resp_{hex}"), &format!("msg_{hex}"), &req.model, &plan, "completed")
                    .to_string()
                    .into_bytes()
            };
            (json_pieces(answer, plan.total_delay(), fault), b"{\"id\":\"broken\",\"obj")
        }
    };
    let content_type = if stream { "text/event-stream" } else { "application/json" };
    let mut resp =
        (StatusCode::OK, [("content-type", content_type)], body_from(pieces, fault, Bytes::from_static(malformed)))
            .into_response();
    if stream {
        resp.headers_mut().insert("cache-control", HeaderValue::from_static("no-cache"));
    }
    api::set_request_id(resp.headers_mut(), a, &rid);
    Ok(resp)
}

fn parse_responses(v: &Value) -> Result<(Request, bool), ApiError> {
    let a = Api::OpenAi;
    let model = api::str_field(v, "model", a)?.to_string();
    let mut prompt = v.get("instructions").and_then(Value::as_str).unwrap_or_default().to_string();
    let last_user = match v.get("input") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => {
            let mut last = String::new();
            for item in items {
                let text = item.get("content").and_then(api::content_text).unwrap_or_default();
                prompt.push('\n');
                prompt.push_str(&text);
                if item.get("role").and_then(Value::as_str) == Some("user") {
                    last = text;
                }
            }
            last
        }
        Some(_) => return Err(bad("input: expected a string or an array")),
        None => return Err(bad("Missing required parameter: 'input'.")),
    };
    if !prompt.contains(&last_user) {
        prompt.push('\n');
        prompt.push_str(&last_user);
    }
    let max_tokens = api::opt_u64(v, "max_output_tokens", a)?.unwrap_or(DEFAULT_MAX_TOKENS);
    let stream = api::opt_bool(v, "stream", a)?;
    Ok((Request { model, prompt, last_user, max_tokens, thinking_budget: None }, stream))
}

fn output_item(msg_id: &str, text: &str, status: &str) -> Value {
    let content = if status == "completed" {
        json!([{"type": "output_text", "text": text, "annotations": []}])
    } else {
        json!([])
    };
    json!({"id": msg_id, "type": "message", "status": status, "role": "assistant", "content": content})
}

fn response_object(id: &str, msg_id: &str, model: &str, plan: &Plan, status: &str) -> Value {
    let done = status == "completed";
    json!({
        "id": id, "object": "response", "created_at": api::unix_now(), "status": status,
        "model": model, "error": null, "incomplete_details": null, "instructions": null,
        "max_output_tokens": null, "metadata": {}, "parallel_tool_calls": true,
        "temperature": 1.0, "top_p": 1.0, "tool_choice": "auto", "tools": [],
        "text": {"format": {"type": "text"}},
        "output": if done { json!([output_item(msg_id, &plan.text(), "completed")]) } else { json!([]) },
        "usage": if done { json!({
            "input_tokens": plan.input_tokens, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": plan.output_tokens(), "output_tokens_details": {"reasoning_tokens": plan.thinking_tokens},
            "total_tokens": plan.input_tokens + plan.output_tokens()
        }) } else { Value::Null }
    })
}

fn responses_pieces(id: &str, msg_id: &str, model: &str, plan: &Plan) -> Vec<Piece> {
    let z = Duration::ZERO;
    let mut seq = 0u64;
    let mut ev = |name: &str, mut data: Value| {
        data["type"] = json!(name);
        data["sequence_number"] = json!(seq);
        seq += 1;
        sse_event(name, &data)
    };
    let mut pieces = vec![
        (z, ev("response.created", json!({"response": response_object(id, msg_id, model, plan, "in_progress")}))),
        (z, ev("response.in_progress", json!({"response": response_object(id, msg_id, model, plan, "in_progress")}))),
        (
            z,
            ev(
                "response.output_item.added",
                json!({"output_index": 0, "item": output_item(msg_id, "", "in_progress")}),
            ),
        ),
        (
            z,
            ev(
                "response.content_part.added",
                json!({"item_id": msg_id, "output_index": 0, "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}}),
            ),
        ),
    ];
    // The Responses stream carries no reasoning text here: its first delta is the answer.
    let ttft = plan.ttft + plan.gaps.iter().take(plan.thinking.len()).sum::<Duration>();
    let gaps = &plan.gaps[plan.thinking.len().min(plan.gaps.len())..];
    let mut delays = content_delays(ttft, gaps);
    for c in &plan.answer {
        let d = delays.next().unwrap_or_default();
        pieces.push((
            d,
            ev(
                "response.output_text.delta",
                json!({"item_id": msg_id, "output_index": 0, "content_index": 0, "delta": c, "logprobs": []}),
            ),
        ));
    }
    let text = plan.text();
    pieces.push((
        z,
        ev(
            "response.output_text.done",
            json!({"item_id": msg_id, "output_index": 0, "content_index": 0, "text": text, "logprobs": []}),
        ),
    ));
    pieces.push((z, ev("response.content_part.done", json!({"item_id": msg_id, "output_index": 0, "content_index": 0, "part": {"type": "output_text", "text": text, "annotations": []}}))));
    pieces.push((
        z,
        ev("response.output_item.done", json!({"output_index": 0, "item": output_item(msg_id, &text, "completed")})),
    ));
    pieces.push((
        z,
        ev("response.completed", json!({"response": response_object(id, msg_id, model, plan, "completed")})),
    ));
    pieces
}

/// models handles `GET /v1/models`.
pub async fn models() -> Json<Value> {
    let data: Vec<Value> = plan::MODELS
        .iter()
        .map(|(name, _)| json!({"id": name, "object": "model", "created": 1_735_689_600, "owned_by": "llm-sim"}))
        .collect();
    Json(json!({"object": "list", "data": data}))
}
