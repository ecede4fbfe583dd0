//! Sends a timeline of byte pieces with their delays as a response body, and
//! applies the body faults at the timeline's midpoint: `cut` aborts the
//! connection (the client sees a body that ends without its terminator),
//! `stall` stops sending but keeps the connection open until the client
//! leaves, `malformed` sends a broken piece and ends.

use std::io;
use std::time::Duration;

use axum::body::{Body, Bytes};
use tokio::sync::mpsc;

use crate::faults::Fault;

/// Piece is one write: wait `delay`, then send `bytes`.
pub type Piece = (Duration, Bytes);

/// body_from sends the pieces in order, honouring delays and the fault.
pub fn body_from(pieces: Vec<Piece>, fault: Option<Fault>, malformed: Bytes) -> Body {
    let body_fault = fault.filter(|f| matches!(f, Fault::Cut | Fault::Stall | Fault::Malformed));
    let no_delays = pieces.iter().all(|(d, _)| d.is_zero());
    if body_fault.is_none() && no_delays {
        // The fast path: nothing to wait for, one buffer.
        let all: Vec<u8> = pieces.into_iter().flat_map(|(_, b)| b.to_vec()).collect();
        return Body::from(all);
    }
    let (tx, rx) = mpsc::channel::<Result<Bytes, io::Error>>(16);
    tokio::spawn(async move {
        let mid = pieces.len() / 2;
        for (i, (delay, bytes)) in pieces.into_iter().enumerate() {
            if i == mid {
                match body_fault {
                    Some(Fault::Cut) => {
                        let _ = tx.send(Err(io::Error::other("llm-sim: injected cut"))).await;
                        return;
                    }
                    Some(Fault::Stall) => {
                        tx.closed().await;
                        return;
                    }
                    Some(Fault::Malformed) => {
                        let _ = tx.send(Ok(malformed)).await;
                        return;
                    }
                    _ => {}
                }
            }
            if !delay.is_zero() {
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = tx.closed() => return,
                }
            }
            if tx.send(Ok(bytes)).await.is_err() {
                return;
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    Body::from_stream(stream)
}

/// sse formats one server-sent event with an `event:` line.
pub fn sse_event(event: &str, data: &serde_json::Value) -> Bytes {
    Bytes::from(format!("event: {event}\ndata: {data}\n\n"))
}

/// sse_data formats one server-sent event with only a `data:` line.
pub fn sse_data(data: &str) -> Bytes {
    Bytes::from(format!("data: {data}\n\n"))
}

/// spread turns a plan's first delay and gaps into per-piece delays:
/// `lead` pieces go out at once, then the first content after `ttft`, then
/// each following content piece after its gap.
pub fn content_delays(ttft: Duration, gaps: &[Duration]) -> impl Iterator<Item = Duration> + '_ {
    std::iter::once(ttft).chain(gaps.iter().copied())
}
