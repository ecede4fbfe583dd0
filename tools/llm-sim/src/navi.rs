//! The NAVI-shaped service: `GET /health`, `POST /api/navi/chat` (answered
//! through the simulated LLM) and `GET /metrics`. With `--record-to-db`,
//! each chat writes an `llm_metrics` row, a `telemetry_events` row and an
//! `audit_logs` row whose payload is a Fernet token made with
//! `AUDIT_ENCRYPTION_KEY` (plain JSON without a key, as a misconfigured
//! service would), so the database checks have real evidence to find.

use std::time::Instant;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use navikit::Error;
use serde_json::{Value, json};

use crate::SharedState;
use crate::api::{self, Api};
use crate::faults::Fault;
use crate::plan::{self, Request};
use crate::stream::{body_from, json_pieces};

/// NAVI_MODEL is the model the simulated NAVI backend calls.
pub const NAVI_MODEL: &str = "claude-sonnet-4";

/// health handles `GET /health`.
pub async fn health(State(state): State<SharedState>) -> Response {
    if state.opts.break_health {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"status": "error", "detail": "database unreachable", navikit::provenance::HEALTH_FIELD: crate::STAND_IN})),
        )
            .into_response();
    }
    Json(json!({"status": "ok", navikit::provenance::HEALTH_FIELD: crate::STAND_IN})).into_response()
}

/// metrics handles `GET /metrics`.
pub async fn metrics(State(state): State<SharedState>) -> Response {
    let mut text = state.metrics.render();
    if state.opts.break_metrics {
        text.push_str("aep_llm_calls_total{provider=\"anthropic\" 1\n");
    }
    ([("content-type", "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
}

fn unprocessable(field: &str, kind: &str, msg: &str) -> Response {
    let body = json!({"detail": [{"type": kind, "loc": ["body", field], "msg": msg, "input": null}]});
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// chat handles `POST /api/navi/chat` with `{"message", "workspace_path"}`.
pub async fn chat(State(state): State<SharedState>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let v = match api::read_json(&state, body, Api::Navi).await {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let mut fields = Vec::new();
    for name in ["message", "workspace_path"] {
        match v.get(name) {
            Some(Value::String(s)) => fields.push(s.clone()),
            Some(_) => return unprocessable(name, "string_type", "Input should be a valid string"),
            None => return unprocessable(name, "missing", "Field required"),
        }
    }
    let (message, workspace) = (fields.remove(0), fields.remove(0));
    let mut rng = state.next_rng();
    let rid = api::request_id(Api::Navi, &mut rng);
    let fault = api::choose_fault(&state, &headers, &mut rng);
    if let Some(mut e) = api::status_fault(&state, Api::Navi, fault, &rid) {
        state.metrics.llm_call("anthropic", NAVI_MODEL, false);
        e.status = StatusCode::BAD_GATEWAY;
        e.message = format!("LLM provider error: {}", e.message);
        return e.into_response();
    }
    let req = Request {
        model: NAVI_MODEL.into(),
        prompt: message.clone(),
        last_user: message,
        max_tokens: 1024,
        thinking_budget: None,
    };
    let mut plan = plan::make_plan(&req, &mut rng, state.opts.speed);
    if fault == Some(Fault::SlowFirstToken) {
        plan.ttft += state.opts.slow_first_token;
    }
    state.metrics.llm_call("anthropic", NAVI_MODEL, true);
    let answer = json!({
        "response": plan.text(),
        "model": NAVI_MODEL,
        "provider": "anthropic",
        "workspace_path": workspace,
        "request_id": rid,
        "usage": {"input_tokens": plan.input_tokens, "output_tokens": plan.output_tokens()}
    });
    if let Some(rec) = &state.recorder {
        if state.opts.leak_db_connections > 0 {
            rec.leak_one();
        }
        let latency_ms = (started.elapsed() + plan.total_delay()).as_secs_f64() * 1000.0;
        rec.record(ChatRow {
            request_id: rid.clone(),
            model: NAVI_MODEL.into(),
            input_tokens: plan.input_tokens as i64,
            output_tokens: plan.output_tokens() as i64,
            latency_ms,
            workspace,
        });
    }
    let pieces = json_pieces(answer.to_string().into_bytes(), plan.total_delay(), fault);
    let mut resp = (
        StatusCode::OK,
        [("content-type", "application/json")],
        body_from(pieces, fault, Bytes::from_static(b"{\"respon")),
    )
        .into_response();
    api::set_request_id(resp.headers_mut(), Api::Navi, &rid);
    resp
}

/// ChatRow is what one NAVI chat leaves in the database.
#[derive(Debug, Clone)]
pub struct ChatRow {
    /// The service's request id.
    pub request_id: String,
    /// Model called.
    pub model: String,
    /// Prompt tokens.
    pub input_tokens: i64,
    /// Completion tokens.
    pub output_tokens: i64,
    /// Latency in milliseconds.
    pub latency_ms: f64,
    /// Workspace path of the request.
    pub workspace: String,
}

/// Recorder writes chat rows in the background over one connection.
pub struct Recorder {
    tx: tokio::sync::mpsc::Sender<ChatRow>,
    cfg: tokio_postgres::Config,
    /// Connections opened by chats and never closed (`--leak-db-connections`).
    leaked: std::sync::Arc<std::sync::Mutex<Vec<tokio_postgres::Client>>>,
    leak_max: usize,
    leak_started: std::sync::atomic::AtomicUsize,
}

/// pg_config builds the recorder's connection from navikit's one database-URL
/// parser (SQLAlchemy URLs accepted; sslmode ignored: the stand-in records
/// over plain TCP on loopback). Errors never quote the URL.
pub fn pg_config(url: &str) -> Result<(tokio_postgres::Config, String), Error> {
    let u =
        navikit::dburl::DbUrl::parse(url).map_err(|e| Error::input(format!("--record-to-db: database URL: {e}")))?;
    let mut cfg = tokio_postgres::Config::new();
    cfg.host(u.host.as_deref().unwrap_or("localhost"))
        .port(u.port.unwrap_or(5432))
        .user(u.user.as_deref().unwrap_or("postgres"))
        .dbname(u.dbname.as_deref().unwrap_or("postgres"));
    if let Some(pw) = u.password() {
        cfg.password(pw);
    }
    Ok((cfg, u.display()))
}

impl Recorder {
    /// Recorder::connect opens a pool of `pool` connections (as NAVI's
    /// SQLAlchemy pool would) and starts one writer task per connection.
    pub async fn connect(url: &str, audit_key: Option<&str>, pool: usize, leak_max: usize) -> Result<Recorder, Error> {
        let (cfg, shown) = pg_config(url)?;
        let secrets: Vec<String> =
            navikit::dburl::DbUrl::parse(url).ok().and_then(|u| u.password().map(str::to_string)).into_iter().collect();
        let (tx, rx) = tokio::sync::mpsc::channel::<ChatRow>(1024);
        let rx = std::sync::Arc::new(tokio::sync::Mutex::new(rx));
        for _ in 0..pool.max(1) {
            let (client, conn) = cfg.connect(tokio_postgres::NoTls).await.map_err(|e| {
                let why = navikit::redact::redact_with(
                    &e.to_string(),
                    &secrets.iter().map(String::as_str).collect::<Vec<_>>(),
                );
                Error::input(format!("cannot connect to {shown}: {why}"))
            })?;
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    eprintln!("llm-sim: database connection ended: {e}");
                }
            });
            let fernet = audit_key.and_then(|k| fernet::Fernet::new(k.trim()));
            let rx = rx.clone();
            tokio::spawn(async move {
                loop {
                    let next = rx.lock().await.recv().await;
                    let Some(row) = next else { break };
                    if let Err(e) = write_row(&client, fernet.as_ref(), &row).await {
                        eprintln!("llm-sim: recording chat {} failed: {e}", row.request_id);
                    }
                }
            });
        }
        Ok(Recorder { tx, cfg, leaked: Default::default(), leak_max, leak_started: Default::default() })
    }

    /// Recorder::leak_one opens a connection that is never closed, as a
    /// handler that forgets to return its session would, up to the bound.
    pub fn leak_one(&self) {
        use std::sync::atomic::Ordering;
        if self.leak_started.fetch_add(1, Ordering::Relaxed) >= self.leak_max {
            return;
        }
        let (cfg, leaked) = (self.cfg.clone(), self.leaked.clone());
        tokio::spawn(async move {
            match cfg.connect(tokio_postgres::NoTls).await {
                Ok((client, conn)) => {
                    tokio::spawn(conn);
                    if let Ok(mut held) = leaked.lock() {
                        held.push(client);
                    }
                }
                Err(e) => eprintln!("llm-sim: leaking a connection failed: {e}"),
            }
        });
    }

    /// Recorder::record queues a row; when the queue is full the row is
    /// dropped with a warning rather than slowing the service.
    pub fn record(&self, row: ChatRow) {
        if self.tx.try_send(row).is_err() {
            eprintln!("llm-sim: database writer is behind; a chat row was dropped");
        }
    }
}

async fn write_row(
    client: &tokio_postgres::Client,
    fernet: Option<&fernet::Fernet>,
    row: &ChatRow,
) -> Result<(), tokio_postgres::Error> {
    let cost = row.input_tokens as f64 * 3.0e-6 + row.output_tokens as f64 * 15.0e-6;
    // The columns are `integer`, as in most migrations; counts fit easily.
    let (input, output) =
        (row.input_tokens.clamp(0, i32::MAX as i64) as i32, row.output_tokens.clamp(0, i32::MAX as i64) as i32);
    client
        .execute(
            "INSERT INTO llm_metrics (request_id, provider, model, input_tokens, output_tokens, latency_ms, cost_usd, status) \
             VALUES ($1, 'anthropic', $2, $3, $4, $5, $6, 'success')",
            &[&row.request_id, &row.model, &input, &output, &row.latency_ms, &cost],
        )
        .await?;
    let payload = json!({"request_id": row.request_id, "model": row.model, "output_tokens": row.output_tokens});
    client.execute("INSERT INTO telemetry_events (event_type, payload) VALUES ('navi.chat', $1)", &[&payload]).await?;
    let audit =
        json!({"action": "navi.chat", "request_id": row.request_id, "workspace_path": row.workspace}).to_string();
    let stored = match fernet {
        Some(f) => f.encrypt(audit.as_bytes()),
        None => audit,
    };
    client
        .execute("INSERT INTO audit_logs (actor, action, payload) VALUES ('navi', 'navi.chat', $1)", &[&stored])
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::pg_config;

    #[test]
    fn sqlalchemy_urls_parse_and_bad_ones_never_show_the_password() {
        let (_, shown) = pg_config("postgresql+psycopg2://u:p@h:5432/db?sslmode=require").expect("url");
        assert_eq!(shown, "postgresql://u:***@h:5432/db");
        let e = pg_config("postgresql://u:Se/cr?et@h:port/db").expect_err("bad port").to_string();
        assert!(!e.contains("Se/cr?et") && !e.contains("cr?et"), "{e}");
    }
}
