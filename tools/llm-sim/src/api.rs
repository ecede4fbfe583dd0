//! What the API handlers share: reading a bounded JSON body, API keys, fault
//! choice, request ids, and errors in each API's own shape.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use navikit::rng::Rng;
use serde_json::{Value, json};

use crate::AppState;
use crate::faults::Fault;

/// Api names the wire dialect of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// Anthropic Messages.
    Anthropic,
    /// OpenAI Chat Completions and Responses.
    OpenAi,
    /// The NAVI service (FastAPI-style errors).
    Navi,
}

/// ApiError is an error response in one API's shape.
#[derive(Debug)]
pub struct ApiError {
    /// Which dialect.
    pub api: Api,
    /// HTTP status.
    pub status: StatusCode,
    /// Error message.
    pub message: String,
    /// Retry-after to advertise.
    pub retry_after: Option<Duration>,
    /// Request id header.
    pub request_id: Option<String>,
}

impl ApiError {
    /// ApiError::new builds an error without retry-after.
    pub fn new(api: Api, status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError { api, status, message: message.into(), retry_after: None, request_id: None }
    }

    fn anthropic_type(&self) -> &'static str {
        match self.status.as_u16() {
            400 | 422 => "invalid_request_error",
            401 => "authentication_error",
            403 => "permission_error",
            404 => "not_found_error",
            413 => "request_too_large",
            429 => "rate_limit_error",
            529 => "overloaded_error",
            _ => "api_error",
        }
    }

    fn openai_type(&self) -> (&'static str, Option<&'static str>) {
        match self.status.as_u16() {
            401 => ("invalid_request_error", Some("invalid_api_key")),
            404 => ("invalid_request_error", Some("not_found")),
            413 => ("invalid_request_error", Some("request_too_large")),
            429 => ("requests", Some("rate_limit_exceeded")),
            400 | 422 => ("invalid_request_error", None),
            503 | 529 => ("server_error", Some("engine_overloaded")),
            _ => ("server_error", None),
        }
    }

    /// ApiError::body is the JSON error body.
    pub fn body(&self) -> Value {
        match self.api {
            Api::Anthropic => {
                json!({"type": "error", "error": {"type": self.anthropic_type(), "message": self.message}})
            }
            Api::OpenAi => {
                let (kind, code) = self.openai_type();
                json!({"error": {"message": self.message, "type": kind, "param": null, "code": code}})
            }
            Api::Navi => json!({"detail": self.message}),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, [("content-type", "application/json")], self.body().to_string()).into_response();
        let h = resp.headers_mut();
        if let Some(ra) = self.retry_after {
            let secs = ra.as_millis().div_ceil(1000).max(1);
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                h.insert("retry-after", v);
            }
            if let Ok(v) = HeaderValue::from_str(&ra.as_millis().to_string()) {
                h.insert("retry-after-ms", v);
            }
        }
        if let Some(id) = &self.request_id {
            set_request_id(h, self.api, id);
        }
        resp
    }
}

/// set_request_id sets the API's request-id header.
pub fn set_request_id(h: &mut HeaderMap, api: Api, id: &str) {
    if let Ok(v) = HeaderValue::from_str(id) {
        match api {
            Api::Anthropic => h.insert("request-id", v),
            Api::OpenAi | Api::Navi => h.insert("x-request-id", v),
        };
    }
}

/// request_id makes an id in the API's style.
pub fn request_id(api: Api, rng: &mut Rng) -> String {
    let prefix = match api {
        Api::Anthropic => "req_",
        Api::OpenAi | Api::Navi => "req-",
    };
    format!("{prefix}{:016x}{:08x}", rng.next_u64(), rng.next_u64() as u32)
}

/// check_key enforces `--require-key`: Anthropic's `x-api-key` or a Bearer token.
pub fn check_key(state: &AppState, headers: &HeaderMap, api: Api) -> Result<(), ApiError> {
    if !state.opts.require_key {
        return Ok(());
    }
    let sent = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .or_else(|| headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")))
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let ok = match (sent, &state.opts.expected_key) {
        (None, _) => false,
        (Some(k), Some(expected)) => k == expected,
        (Some(_), None) => true,
    };
    if ok {
        Ok(())
    } else {
        let msg = if sent.is_none() { "missing API key" } else { "invalid x-api-key" };
        Err(ApiError::new(api, StatusCode::UNAUTHORIZED, msg))
    }
}

/// read_json reads a body of at most the configured size and parses it as a JSON object.
pub async fn read_json(state: &AppState, body: Body, api: Api) -> Result<Value, ApiError> {
    let bytes: Bytes = axum::body::to_bytes(body, state.opts.max_body_bytes).await.map_err(|_| {
        ApiError::new(
            api,
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body is larger than {} bytes", state.opts.max_body_bytes),
        )
    })?;
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::new(api, StatusCode::BAD_REQUEST, format!("request body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::new(api, StatusCode::BAD_REQUEST, "request body must be a JSON object"));
    }
    Ok(value)
}

/// choose_fault takes the `x-sim-fault` header when present, else draws
/// from `--faults`. With `x-sim-fault-once: KEY` the header's fault hits only
/// the first request carrying KEY, so a client's retry can succeed.
pub fn choose_fault(state: &AppState, headers: &HeaderMap, rng: &mut Rng) -> Option<Fault> {
    let draw = rng.unit();
    if let Some(key) = headers.get("x-sim-fault-once").and_then(|v| v.to_str().ok()) {
        let first = state.fault_keys.lock().map(|mut k| k.insert(key.to_string())).unwrap_or(true);
        if !first {
            return None;
        }
    }
    match headers.get("x-sim-fault").and_then(|v| v.to_str().ok()) {
        Some("none") => None,
        Some(kind) => Fault::parse(kind),
        None => state.opts.faults.pick(draw),
    }
}

/// status_fault turns a status-code fault into the API's error response.
pub fn status_fault(state: &AppState, api: Api, fault: Option<Fault>, request_id: &str) -> Option<ApiError> {
    let (status, message, retry) = match fault? {
        Fault::RateLimit => (429, "Number of request tokens has exceeded your per-minute rate limit", true),
        Fault::Overloaded if api == Api::Anthropic => (529, "Overloaded", true),
        Fault::Overloaded => (503, "The engine is currently overloaded, please try again later", true),
        Fault::ServerError => (500, "Internal server error", false),
        Fault::Unavailable => (503, "Service unavailable", true),
        _ => return None,
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Some(ApiError {
        api,
        status,
        message: message.to_string(),
        retry_after: retry.then_some(state.opts.retry_after),
        request_id: Some(request_id.to_string()),
    })
}

/// field helpers: read typed fields of a request body with API-shaped errors.
pub fn str_field<'a>(v: &'a Value, name: &str, api: Api) -> Result<&'a str, ApiError> {
    match v.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ApiError::new(api, StatusCode::BAD_REQUEST, format!("{name}: Input should be a valid string"))),
        None => Err(ApiError::new(api, StatusCode::BAD_REQUEST, format!("{name}: Field required"))),
    }
}

/// opt_u64 reads an optional non-negative integer field.
pub fn opt_u64(v: &Value, name: &str, api: Api) -> Result<Option<u64>, ApiError> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(x) => x.as_u64().map(Some).ok_or_else(|| {
            ApiError::new(api, StatusCode::BAD_REQUEST, format!("{name}: Input should be a valid integer"))
        }),
    }
}

/// opt_bool reads an optional boolean field.
pub fn opt_bool(v: &Value, name: &str, api: Api) -> Result<bool, ApiError> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(ApiError::new(api, StatusCode::BAD_REQUEST, format!("{name}: Input should be a valid boolean"))),
    }
}

/// content_text flattens a message `content` (a string or an array of text blocks).
pub fn content_text(content: &Value) -> Option<String> {
    match content {
        Value::String(s) => Some(s.clone()),
        Value::Array(blocks) => Some(
            blocks
                .iter()
                .filter_map(|b| b.get("text").and_then(Value::as_str).or_else(|| b.as_str()))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        _ => None,
    }
}

/// not_found answers unknown paths in the OpenAI/Anthropic-neutral JSON shape.
pub async fn not_found() -> ApiError {
    ApiError::new(Api::Navi, StatusCode::NOT_FOUND, "Not Found")
}

/// unix_now is the current Unix time in seconds.
pub fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}
