//! llm-sim: a local server that speaks the real wire formats of the
//! Anthropic Messages API, OpenAI Chat Completions and Responses APIs, and a
//! NAVI-shaped service (`/health`, `/api/navi/chat`, `/metrics`), with
//! realistic, seeded timing and fault injection. It is the embedded default
//! target of every tool and test; it never replaces the real check.
//!
//! Its SSE encoder shares no code with llm-probe's decoder: the official SDKs
//! arbitrate between them in the conformance tests.

pub mod anthropic;
pub mod api;
pub mod cli;
pub mod faults;
pub mod metrics;
pub mod navi;
pub mod openai;
pub mod plan;
pub mod stream;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use futures_util::StreamExt;
use navikit::rng::Rng;
use navikit::{Error, Outcome};

use cli::Options;
use metrics::Metrics;

/// AppState is shared by every handler.
pub struct AppState {
    /// Checked options.
    pub opts: Options,
    /// The service's metrics.
    pub metrics: Metrics,
    /// Requests seen, for per-request seeds.
    pub counter: AtomicU64,
    /// Where NAVI chats are recorded, when a database is configured.
    pub recorder: Option<navi::Recorder>,
    /// Prompt prefixes already in the simulated prompt cache.
    pub cache: std::sync::Mutex<std::collections::HashSet<u64>>,
    /// `x-sim-fault-once` keys already used.
    pub fault_keys: std::sync::Mutex<std::collections::HashSet<String>>,
    /// The load model (`--capacity`): one permit per generation at once.
    pub generations: Option<Arc<tokio::sync::Semaphore>>,
}

impl AppState {
    /// AppState::new builds the state without a database.
    pub fn new(opts: Options) -> AppState {
        let generations = (opts.capacity > 0).then(|| Arc::new(tokio::sync::Semaphore::new(opts.capacity)));
        AppState {
            generations,
            opts,
            metrics: Metrics::default(),
            counter: AtomicU64::new(0),
            recorder: None,
            cache: Default::default(),
            fault_keys: Default::default(),
        }
    }

    /// AppState::next_rng gives each request its own seeded generator, so a
    /// run is reproducible for a given request order.
    pub fn next_rng(&self) -> Rng {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut r = Rng::new(self.opts.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.next_u64();
        r
    }
}

/// SharedState is the state as handlers receive it.
pub type SharedState = Arc<AppState>;

/// router builds the whole service.
pub fn router(state: SharedState) -> Router {
    Router::new()
        .route("/v1/messages", post(anthropic::messages))
        .route("/v1/chat/completions", post(openai::chat_completions))
        .route("/v1/responses", post(openai::responses))
        .route("/v1/models", get(openai::models))
        .route("/health", get(navi::health))
        .route("/api/navi/chat", post(navi::chat))
        .route("/metrics", get(navi::metrics))
        .fallback(api::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .with_state(state)
}

/// GENERATION_PATHS are the routes that generate (and take a `--capacity` slot).
const GENERATION_PATHS: [&str; 4] = ["/v1/messages", "/v1/chat/completions", "/v1/responses", "/api/navi/chat"];

/// STAND_IN is the name llm-sim declares on every answer.
pub const STAND_IN: &str = "llm-sim";

async fn track(State(state): State<SharedState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    // Clones of the method and the route are cheap (no copy of the text).
    let method = req.method().clone();
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let path = matched.as_ref().map_or("unmatched", MatchedPath::as_str);
    let mut resp = match &state.generations {
        Some(slots) if GENERATION_PATHS.contains(&path) => {
            // Queue for a slot; hold it until the last byte of the answer
            // (a stream's body outlives the handler) or the client goes.
            let Ok(permit) = slots.clone().acquire_owned().await else { return next.run(req).await };
            let (parts, body) = next.run(req).await.into_parts();
            let held = body.into_data_stream().map(move |chunk| {
                let _slot = &permit;
                chunk
            });
            Response::from_parts(parts, axum::body::Body::from_stream(held))
        }
        _ => next.run(req).await,
    };
    let took = start.elapsed();
    let h = resp.headers_mut();
    h.insert(navikit::provenance::HEADER, axum::http::HeaderValue::from_static(STAND_IN));
    // Its own time to the headers (for a stream, before the body): clients
    // subtract it to see what they and the network added.
    if let Ok(v) = axum::http::HeaderValue::from_str(&format!("app;dur={:.3}", took.as_secs_f64() * 1000.0)) {
        h.insert("server-timing", v);
    }
    state.metrics.http_request(method.as_str(), path, resp.status().as_u16(), took.as_secs_f64());
    resp
}

/// validate_production refuses production mode without a valid audit key,
/// with the plan's actionable message.
pub fn validate_production(opts: &Options) -> Result<(), Error> {
    if !opts.production {
        return Ok(());
    }
    const HOW: &str =
        "Generate one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'";
    match &opts.audit_key {
        None => Err(Error::input(format!("AUDIT_ENCRYPTION_KEY is required in production mode. {HOW}"))),
        Some(k) if fernet::Fernet::new(k.trim()).is_none() => Err(Error::input(format!(
            "AUDIT_ENCRYPTION_KEY is not a valid Fernet key (32 url-safe base64-encoded bytes). {HOW}"
        ))),
        Some(_) => {
            eprintln!("llm-sim: Production config validated: audit encryption enabled");
            Ok(())
        }
    }
}

/// run starts the server and serves until SIGINT or SIGTERM.
pub fn run(opts: Options) -> Result<Outcome, Error> {
    // A stand-in declares itself (navikit::provenance), before anything else
    // it prints, so even its production refusal is known for a stand-in's.
    eprintln!("{} {STAND_IN}", navikit::provenance::LOG_MARKER);
    validate_production(&opts)?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(serve(opts))?;
    Ok(Outcome::Pass)
}

async fn serve(opts: Options) -> Result<(), Error> {
    let listen = opts.listen;
    let recorder = match &opts.database_url {
        Some(url) => {
            Some(navi::Recorder::connect(url, opts.audit_key.as_deref(), opts.db_pool, opts.leak_db_connections).await?)
        }
        None => None,
    };
    let state = Arc::new(AppState { recorder, ..AppState::new(opts) });
    let socket = if listen.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.set_nodelay(true)?;
    socket.bind(listen).map_err(|e| Error::input(format!("cannot listen on {listen}: {e}")))?;
    // A deep backlog: a short one gives clients 1-second SYN retries under load.
    let listener = socket.listen(4096)?;
    let local = listener.local_addr()?;
    eprintln!("llm-sim: listening on http://{local}");
    let app = router(state);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        let mut rx = stop_rx;
        let _ = rx.wait_for(|s| *s).await;
    });
    let mut server = std::pin::pin!(server.into_future());
    tokio::select! {
        res = &mut server => return res.map_err(Error::Io),
        _ = shutdown_signal() => {}
    }
    eprintln!("llm-sim: shutting down");
    let _ = stop_tx.send(true);
    // Stalled streams never end on their own: give open requests a moment, then go.
    let _ = tokio::time::timeout(Duration::from_secs(3), server).await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
