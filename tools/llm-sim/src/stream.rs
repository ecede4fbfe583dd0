//! Sends a timeline of byte pieces with their delays as a response body, and
//! applies the body faults at the timeline's midpoint: `cut` aborts the
//! connection (the client sees a body that ends without its terminator),
//! `stall` stops sending but keeps the connection open until the client
//! leaves, `malformed` sends a broken piece and ends.

use std::io;
use std::time::Duration;

use axum::body::{Body, Bytes};

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
    let fault_at = body_fault.map(|f| (pieces.len() / 2, f));
    let timeline = Timeline::pack(pieces);
    // The body is polled for each piece when the client's connection can
    // take it; a client that leaves drops the body, and with it any wait.
    let state = (timeline, 0usize, fault_at, Some(malformed));
    let stream = futures_util::stream::unfold(state, |(timeline, i, fault_at, malformed)| async move {
        if let Some((at, fault)) = fault_at
            && i == at
        {
            return match fault {
                Fault::Cut => {
                    // Let the response head go out first: a cut is a body
                    // that ends mid-way, after a 200, not a refused request.
                    tokio::task::yield_now().await;
                    Some((Err(io::Error::other("llm-sim: injected cut")), (timeline, usize::MAX, None, None)))
                }
                Fault::Malformed => malformed.map(|m| (Ok(m), (timeline, usize::MAX, None, None))),
                // Stall: send nothing more and keep the connection open until the client leaves.
                _ => std::future::pending().await,
            };
        }
        let (delay, bytes) = timeline.piece(i)?;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        Some((Ok(bytes), (timeline, i + 1, fault_at, malformed)))
    });
    Body::from_stream(stream)
}

/// Timeline is a stream's pieces packed into one buffer: a held stream
/// costs its bytes and 8 bytes a piece, not an allocation per piece (at
/// 10,000 concurrent streams the per-piece allocations were most of the memory).
struct Timeline {
    bytes: Bytes,
    /// Each piece's delay in microseconds and the end of its bytes.
    marks: Box<[(u32, u32)]>,
}

impl Timeline {
    fn pack(pieces: Vec<Piece>) -> Timeline {
        let mut bytes = Vec::with_capacity(pieces.iter().map(|(_, b)| b.len()).sum());
        let marks = pieces
            .into_iter()
            .map(|(delay, b)| {
                bytes.extend_from_slice(&b);
                let micros = u32::try_from(delay.as_micros()).unwrap_or(u32::MAX);
                (micros, u32::try_from(bytes.len()).unwrap_or(u32::MAX))
            })
            .collect();
        Timeline { bytes: Bytes::from(bytes), marks }
    }

    /// Timeline::piece is the delay and bytes of piece `i`, if there is one.
    fn piece(&self, i: usize) -> Option<(Duration, Bytes)> {
        let (micros, end) = *self.marks.get(i)?;
        let start = if i == 0 { 0 } else { self.marks[i - 1].1 };
        let (start, end) = (start as usize, (end as usize).min(self.bytes.len()));
        Some((Duration::from_micros(u64::from(micros)), self.bytes.slice(start.min(end)..end)))
    }
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
